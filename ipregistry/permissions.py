"""Who may read and write registry records: the one place these decisions are made.

Pages (through `RegistryAccessMixin`-style checks in views) and the API (through
`RegistryPermission`) both ask the functions below.

Reading:
- issuers and IP assets are registry facts: every signed-in user reads them;
- financials, valuations and pledges also go to investors, who judge collateral with them;
- licences and royalty receipts are commercial contracts: the owner's members, regulators, staff;
- the public (anonymous) reads nothing here.
Writing:
- staff may do everything (onboarding and support); only staff register issuers;
- an issuer's approvers maintain its record; its members (preparers and approvers) maintain its
  financials, assets, valuations, licences, receipts and pledges;
- regulators and investors never write.
"""

from enum import Enum

from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ipregistry.choices import MembershipRole


class Record(Enum):
    ISSUER = "issuer"
    FINANCIALS = "financials"
    ASSET = "asset"
    VALUATION = "valuation"
    LICENCE = "licence"
    RECEIPT = "receipt"
    PLEDGE = "pledge"


OPEN_TO_ALL_USERS = {Record.ISSUER, Record.ASSET}
OPEN_TO_INVESTORS = OPEN_TO_ALL_USERS | {Record.FINANCIALS, Record.VALUATION, Record.PLEDGE}

# How to reach the owning issuer from each record, for scoping querysets.
ISSUER_PATH = {
    Record.ISSUER: "pk",
    Record.FINANCIALS: "issuer_id",
    Record.ASSET: "owner_id",
    Record.VALUATION: "asset__owner_id",
    Record.LICENCE: "asset__owner_id",
    Record.RECEIPT: "licence__asset__owner_id",
    Record.PLEDGE: "asset__owner_id",
}


def _is_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


def member_issuer_ids(user, role: str | None = None) -> set[int]:
    """Return the ids of the issuers the user is a member of (optionally with one role)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    cache_name = f"_issuer_ids_{role or 'any'}"
    if not hasattr(user, cache_name):
        memberships = user.memberships.all()
        if role:
            memberships = memberships.filter(role=role)
        setattr(user, cache_name, set(memberships.values_list("issuer_id", flat=True)))
    return getattr(user, cache_name)


def reads_everything(user, record: Record) -> bool:
    """Return whether the user reads every row of this record type."""
    if not user.is_authenticated or not user.is_active:
        return False
    if _is_staff(user) or user.is_regulator:
        return True
    if user.is_investor:
        return record in OPEN_TO_INVESTORS
    return record in OPEN_TO_ALL_USERS


def can_read(user, record: Record, issuer_id: int | None) -> bool:
    """Return whether the user may read a record owned by the issuer."""
    return reads_everything(user, record) or issuer_id in member_issuer_ids(user)


def can_create(user, record: Record, issuer_id: int | None = None) -> bool:
    """Return whether the user may create a record for the issuer."""
    if _is_staff(user):
        return True
    if record is Record.ISSUER:
        return False
    return issuer_id is not None and issuer_id in member_issuer_ids(user)


def can_change(user, record: Record, issuer_id: int | None) -> bool:
    """Return whether the user may change or delete a record owned by the issuer."""
    if _is_staff(user):
        return True
    if record is Record.ISSUER:
        return issuer_id in member_issuer_ids(user, MembershipRole.APPROVER)
    return issuer_id in member_issuer_ids(user)


def may_move_to(user, record: Record, stored, edited) -> bool:
    """Return whether an edit may leave the record with the issuer it now names.

    Changing a record is checked on the stored record; moving it to another issuer also needs
    the right to create records for that issuer.
    """
    target = issuer_id_of(edited)
    return target == issuer_id_of(stored) or can_create(user, record, target)


def can_create_anything(user, record: Record) -> bool:
    """Return whether the user may create this record type for at least one issuer."""
    return _is_staff(user) or (record is not Record.ISSUER and bool(member_issuer_ids(user)))


def writable_issuer_ids(user) -> set[int] | None:
    """Return the issuers the user may add records to; None means every issuer (staff)."""
    return None if _is_staff(user) else member_issuer_ids(user)


def readable_issuer_ids(user, record: Record) -> set[int] | None:
    """Return the issuers whose records of this type the user reads; None means all."""
    return None if reads_everything(user, record) else member_issuer_ids(user)


def scope(queryset: QuerySet, user, record: Record) -> QuerySet:
    """Restrict a queryset to the rows the user may read."""
    if reads_everything(user, record):
        return queryset
    ids = member_issuer_ids(user)
    if not ids:
        return queryset.none()
    return queryset.filter(Q(**{f"{ISSUER_PATH[record]}__in": ids}))


def issuer_id_of(obj) -> int | None:
    """Return the id of the issuer that owns a registry object."""
    for attribute in ("owner_id", "issuer_id"):
        if hasattr(obj, attribute):
            return getattr(obj, attribute)
    if hasattr(obj, "asset"):
        return obj.asset.owner_id
    if hasattr(obj, "licence"):
        return obj.licence.asset.owner_id
    return obj.pk


class RegistryPermission(BasePermission):
    """DRF permission for a viewset declaring `record`; delegates to the functions above."""

    def has_permission(self, request, view):
        user = request.user
        if not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        if view.action == "create":
            return can_create_anything(user, view.record)
        return True

    def has_object_permission(self, request, view, obj):
        issuer_id = issuer_id_of(obj)
        if request.method in SAFE_METHODS:
            return can_read(request.user, view.record, issuer_id)
        return can_change(request.user, view.record, issuer_id)
