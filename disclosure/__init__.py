"""Disclosure: templates, filings, regulator review, the filing ledger and indicators."""
