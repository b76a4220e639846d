"""Who may see and change deals: the one place these decisions are made.

Seeing: the public (anonymous) and investors see issued deals (issued, amortizing, matured,
defaulted); an issuer's members also see the deals their issuer originates, drafts included;
regulators and staff see everything. Benchmarks and FX rates are open to every signed-in user.

Changing:
- the originator's members structure a draft (tranches, enhancements, pool) and file servicer
  reports once it is issued; its approvers record issuance, amortization, maturity and
  termination;
- a regulator records registration and default; regulators maintain benchmarks and FX rates;
- staff may do everything.
"""

from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from deals.choices import PUBLIC_STATUSES, TRANSITIONS, DealStatus
from ipregistry.choices import IssuerType, MembershipRole
from ipregistry.permissions import member_issuer_ids

REGULATOR_TRANSITIONS = {DealStatus.REGISTERED, DealStatus.DEFAULTED}
REPORTING_STATUSES = {DealStatus.ISSUED, DealStatus.AMORTIZING, DealStatus.DEFAULTED}


def _is_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


def _is_regulator(user) -> bool:
    return user.is_authenticated and user.is_regulator


def sees_every_deal(user) -> bool:
    return _is_staff(user) or _is_regulator(user)


def scope_deals(queryset: QuerySet, user) -> QuerySet:
    """Restrict deals to those the user may see."""
    if sees_every_deal(user):
        return queryset
    visible = Q(status__in=PUBLIC_STATUSES)
    if ids := member_issuer_ids(user):
        visible |= Q(originator_id__in=ids)
    return queryset.filter(visible)


def can_view_deal(user, deal) -> bool:
    return (deal.status in PUBLIC_STATUSES or sees_every_deal(user)
            or deal.originator_id in member_issuer_ids(user))


def can_create_deal(user, originator_id: int | None = None) -> bool:
    """Return whether the user may open a draft deal (for this originator, if given)."""
    if _is_staff(user):
        return True
    ids = member_issuer_ids(user)
    return bool(ids) if originator_id is None else originator_id in ids


def can_structure(user, deal) -> bool:
    """Return whether the user may change the deal's terms, tranches, enhancements and pool."""
    return deal.status == DealStatus.DRAFT and (
        _is_staff(user) or deal.originator_id in member_issuer_ids(user))


def can_transition(user, deal, to_status: str) -> bool:
    """Return whether the user may move the deal to a status (if the machine allows it)."""
    if to_status not in TRANSITIONS.get(deal.status, set()):
        return False
    if _is_staff(user):
        return True
    if to_status in REGULATOR_TRANSITIONS:
        return _is_regulator(user)
    return deal.originator_id in member_issuer_ids(user, MembershipRole.APPROVER)


def allowed_transitions(user, deal) -> list[str]:
    """Statuses the user may move the deal to now, in the machine's order."""
    return [status for status in DealStatus.values
            if status in TRANSITIONS.get(deal.status, set())
            and can_transition(user, deal, status)]


def can_report(user, deal) -> bool:
    """Return whether the user may file a servicer report for the deal."""
    return deal.status in REPORTING_STATUSES and (
        _is_staff(user) or deal.originator_id in member_issuer_ids(user))


def may_pool_asset(user, deal, asset) -> bool:
    """Return whether the user may put this asset into the deal's pool.

    Originators pool their own assets; intermediary originators (leasing companies,
    microlenders, guarantors) pool their beneficiaries' assets.
    """
    if not can_structure(user, deal):
        return False
    return (asset.owner_id == deal.originator_id
            or deal.originator.issuer_type == IssuerType.FINANCIAL_INTERMEDIARY)


def can_maintain_reference_data(user) -> bool:
    """Benchmarks and FX rates are maintained by regulators and staff."""
    return _is_staff(user) or _is_regulator(user)


class DealPermission(BasePermission):
    """DRF permission for deal resources; reading follows scope_deals, writing the rules above."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return getattr(view, "public_read", False) or request.user.is_authenticated
        return request.user.is_authenticated

    def has_object_permission(self, request, view, obj):
        deal = getattr(obj, "deal", obj)
        if request.method in SAFE_METHODS:
            return can_view_deal(request.user, deal)
        return can_structure(request.user, deal)


class ReferenceDataPermission(BasePermission):
    """Benchmarks and FX rates: every signed-in user reads; regulators and staff write."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or can_maintain_reference_data(request.user)
