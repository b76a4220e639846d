"""Accounts, roles, the audit log and small shared pieces used by every app."""
