"""Who may see and change disclosure filings: the one place these decisions are made.

Seeing:
- templates are open to everyone, the public included;
- accepted filings are public (market transparency): everyone reads them, their values,
  attachments and history of versions;
- an issuer's members read every filing of their issuer, drafts included, with the reviewers'
  comments and the decision's reasons;
- regulators read every filing once submitted; an issuer's unsubmitted drafts stay the
  issuer's own (confidential until filed);
- staff read everything.
Changing:
- an issuer's members (preparers and approvers) open filings for it and edit its drafts;
- submitting and withdrawing are an approver's acts, or a preparer's too where the issuer
  allows it (`Issuer.preparers_may_submit`);
- a submitted filing never changes; an issuer's members answer a return (or correct an
  accepted filing) by amending, which opens a new draft pointing to it;
- regulators start reviews, comment on fields and decide; they never edit an issuer's data;
- staff may do everything.
"""

from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from disclosure.choices import AMENDABLE_STATUSES, FilingStatus
from ipregistry.choices import MembershipRole
from ipregistry.permissions import member_issuer_ids


def _is_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


def is_reviewer(user) -> bool:
    """Regulators (and staff) review filings and watch the queue."""
    return _is_staff(user) or (user.is_authenticated and user.is_regulator)


def scope_filings(queryset: QuerySet, user) -> QuerySet:
    """Restrict filings to those the user may read."""
    if _is_staff(user):
        return queryset
    visible = Q(status=FilingStatus.ACCEPTED)
    if user.is_authenticated and user.is_regulator:
        visible |= ~Q(status=FilingStatus.DRAFT)
    if ids := member_issuer_ids(user):
        visible |= Q(issuer_id__in=ids)
    return queryset.filter(visible)


def can_view(user, filing) -> bool:
    return (filing.status == FilingStatus.ACCEPTED or _is_staff(user)
            or filing.issuer_id in member_issuer_ids(user)
            or (is_reviewer(user) and filing.status != FilingStatus.DRAFT))


def can_view_review(user, filing) -> bool:
    """Comments and the decision's reasons: the issuer's members and the reviewers."""
    return filing.issuer_id in member_issuer_ids(user) or (
        is_reviewer(user) and filing.status != FilingStatus.DRAFT)


def can_file_for(user, issuer_id: int | None = None) -> bool:
    """Return whether the user may open filings (for this issuer, if given)."""
    if _is_staff(user):
        return True
    ids = member_issuer_ids(user)
    return bool(ids) if issuer_id is None else issuer_id in ids


def can_edit(user, filing) -> bool:
    """Drafts only, by the issuer's members."""
    return filing.status == FilingStatus.DRAFT and can_file_for(user, filing.issuer_id)


def _may_sign(user, issuer) -> bool:
    if _is_staff(user):
        return True
    if issuer.pk in member_issuer_ids(user, MembershipRole.APPROVER):
        return True
    return issuer.preparers_may_submit and issuer.pk in member_issuer_ids(user)


def can_submit(user, filing) -> bool:
    return filing.status == FilingStatus.DRAFT and _may_sign(user, filing.issuer)


def can_withdraw(user, filing) -> bool:
    """Before review starts, by whoever may submit for the issuer."""
    return filing.status == FilingStatus.SUBMITTED and _may_sign(user, filing.issuer)


def can_amend(user, filing) -> bool:
    return filing.status in AMENDABLE_STATUSES and can_file_for(user, filing.issuer_id)


def can_start_review(user, filing) -> bool:
    return filing.status == FilingStatus.SUBMITTED and is_reviewer(user)


def can_comment(user, filing) -> bool:
    return filing.status == FilingStatus.UNDER_REVIEW and is_reviewer(user)


def can_decide(user, filing) -> bool:
    """The assigned reviewer decides (staff too)."""
    if filing.status != FilingStatus.UNDER_REVIEW or not is_reviewer(user):
        return False
    review = getattr(filing, "review", None)
    return _is_staff(user) or (review is not None and review.reviewer_id == user.pk)


class FilingPermission(BasePermission):
    """DRF permission for filings: reads follow scope_filings (public for accepted filings);
    writes need a user and the rules above, checked by each action."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return request.user.is_authenticated

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return can_view(request.user, obj)
        return can_edit(request.user, obj)
