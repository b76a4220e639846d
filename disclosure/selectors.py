"""Reads of disclosure records, scoped to what the user may see and shaped for pages and API."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from deals.choices import PUBLIC_STATUSES
from deals.models import Deal
from disclosure import quality
from disclosure.choices import (
    PENDING_STATUSES,
    SUBMITTED_STATUSES,
    AppliesTo,
    FilingStatus,
    TemplateStatus,
)
from disclosure.models import DisclosureTemplate, FieldComment, Filing, FilingEvent
from disclosure.periods import Period, latest_closed, periods_between
from disclosure.permissions import scope_filings
from ipregistry.models import Issuer


def template_list() -> QuerySet[DisclosureTemplate]:
    return DisclosureTemplate.objects.order_by("code", "-version")


def active_templates() -> QuerySet[DisclosureTemplate]:
    return DisclosureTemplate.objects.filter(status=TemplateStatus.ACTIVE).order_by("title")


def filing_list(*, user) -> QuerySet[Filing]:
    """Filings the user may read, with what list rows show."""
    return scope_filings(Filing.objects.select_related("issuer", "deal", "template"), user)


def filing_detail(*, user, pk: int) -> Filing:
    """One filing with its answers, files, comments, review and amendments."""
    return filing_list(user=user).select_related("amends", "review__reviewer").prefetch_related(
        "values", "attachments",
        Prefetch("comments", queryset=FieldComment.objects.select_related("author")),
        Prefetch("amendments", queryset=Filing.objects.order_by("id")),
    ).get(pk=pk)


def versions(filing: Filing, *, user) -> list[Filing]:
    """Every version of a filing the user may read: the chain of amendments it belongs to,
    oldest first."""
    root = filing
    seen = {root.pk}
    while root.amends_id and root.amends_id not in seen:
        root = Filing.objects.only("id", "amends_id").get(pk=root.amends_id)
        seen.add(root.pk)
    chain, frontier = [root.pk], [root.pk]
    while frontier:
        frontier = list(Filing.objects.filter(amends_id__in=frontier).values_list("pk",
                                                                                  flat=True))
        chain.extend(frontier)
    return list(filing_list(user=user).filter(pk__in=chain).order_by("id"))


def filing_events(filing: Filing) -> QuerySet[FilingEvent]:
    return FilingEvent.objects.filter(filing=filing).order_by("sequence")


@dataclass(frozen=True)
class FieldRow:
    """One field of a filing as pages show it: answer, parsed value, errors, comments."""

    field: quality.Field
    answer: quality.Answer
    errors: list[str]
    comments: list
    earlier_comments: list


def field_rows(filing: Filing, report: quality.Report, *, comments=(),
               earlier_comments=()) -> list[tuple[quality.Section, list[FieldRow]]]:
    """The filing's sections with a row per field, in template order."""
    answers = {value.field: value.as_answer() for value in filing.values.all()}
    by_field: dict[str, list] = {}
    for comment in comments:
        by_field.setdefault(comment.field, []).append(comment)
    earlier: dict[str, list] = {}
    for comment in earlier_comments:
        earlier.setdefault(comment.field, []).append(comment)
    return [(section, [FieldRow(field, answers.get(field.key, quality.Answer()),
                                report.errors.get(field.key, []), by_field.get(field.key, []),
                                earlier.get(field.key, []))
                       for field in section.fields])
            for section in filing.template.spec.sections]


def amendment_diff(filing: Filing) -> list[quality.Change]:
    """Field-by-field changes from the filing it amends (empty for an original)."""
    if filing.amends_id is None:
        return []
    old = {value.field: value.as_answer() for value in filing.amends.values.all()}
    new = {value.field: value.as_answer() for value in filing.values.all()}
    return quality.diff(filing.template.spec, old, new)


# --- obligations and due dates ------------------------------------------------------------


@dataclass(frozen=True)
class Obligation:
    issuer: Issuer
    template: DisclosureTemplate
    deal: Deal | None
    period: Period
    due_date: date
    filing: Filing | None  # the standing filing, if any

    @property
    def overdue_days(self) -> int:
        """Days past due with nothing submitted (0 when not overdue)."""
        submitted = self.filing is not None and self.filing.status in SUBMITTED_STATUSES \
            and self.filing.status not in (FilingStatus.WITHDRAWN, FilingStatus.REJECTED)
        if submitted:
            return 0
        return max((timezone.localdate() - self.due_date).days, 0)


def obligations(*, issuers: QuerySet[Issuer], today: date | None = None,
                first_year: int | None = None) -> list[Obligation]:
    """What each issuer must file: the issuer templates yearly from the year of its first
    public deal's issue, the deal templates per deal from the year of issue, none before
    DISCLOSURE_FIRST_PERIOD_YEAR (or `first_year`), up to the last period closed before today;
    each with its standing filing, if any."""
    today = today or timezone.localdate()
    templates = list(active_templates())
    deals = list(Deal.objects.filter(originator__in=issuers, status__in=PUBLIC_STATUSES,
                                     issue_date__isnull=False).select_related("originator"))
    first_issue: dict[int, int] = {}
    for deal in deals:
        year = deal.issue_date.year
        first_issue[deal.originator_id] = min(first_issue.get(deal.originator_id, year), year)
    filings = {}
    for filing in Filing.objects.filter(issuer_id__in=first_issue).exclude(
            status__in=[FilingStatus.WITHDRAWN, FilingStatus.REJECTED]).select_related(
            "template").order_by("id"):
        filings[(filing.issuer_id, filing.template.code, filing.deal_id, filing.period)] = filing
    issuers_by_id = {issuer.pk: issuer for issuer in issuers.filter(pk__in=first_issue)}
    result = []
    for template in templates:
        last = latest_closed(template.frequency, today)
        subjects = ([(issuers_by_id[i], None, year) for i, year in first_issue.items()
                     if i in issuers_by_id] if template.applies_to == AppliesTo.ISSUER
                    else [(issuers_by_id[d.originator_id], d, d.issue_date.year) for d in deals
                          if d.originator_id in issuers_by_id])
        for issuer, deal, year in subjects:
            start = max(year, first_year or settings.DISCLOSURE_FIRST_PERIOD_YEAR)
            first = Period(start) if template.frequency == "annual" else Period(start, 1)
            for period in periods_between(first, last):
                filing = filings.get((issuer.pk, template.code, deal.pk if deal else None,
                                      str(period)))
                result.append(Obligation(issuer, template, deal, period,
                                         period.due_date(template.due_days), filing))
    return sorted(result, key=lambda o: (o.due_date, o.issuer.name, o.template.title))


def overdue(*, issuers: QuerySet[Issuer], today: date | None = None,
            since_year: int | None = None) -> list[Obligation]:
    """Obligations past their due date with nothing submitted."""
    return [o for o in obligations(issuers=issuers, today=today, first_year=since_year)
            if o.overdue_days > 0]


# --- review figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewFigures:
    by_status: dict[str, int]
    decided: int
    median_days_to_decision: float | None
    returned_share: float | None
    pending: int
    overdue_pending: int  # pending longer than REVIEW_SLA_DAYS


REVIEW_SLA_DAYS = 30


def review_figures() -> ReviewFigures:
    """Filings by status, median days from submission to decision, share returned."""
    counts = dict(Filing.objects.values_list("status").annotate(n=Count("pk")).order_by())
    by_status = {status: counts.get(status, 0) for status in FilingStatus.values}
    decided = list(Filing.objects.filter(
        status__in=[FilingStatus.ACCEPTED, FilingStatus.RETURNED, FilingStatus.REJECTED],
        decided_at__isnull=False, submitted_at__isnull=False).values_list(
        "submitted_at", "decided_at", "status"))
    days = [(decided_at - submitted_at).total_seconds() / 86400
            for submitted_at, decided_at, _ in decided]
    returned = sum(1 for *_, status in decided if status == FilingStatus.RETURNED)
    limit = timezone.now() - timezone.timedelta(days=REVIEW_SLA_DAYS)
    pending = Filing.objects.filter(status__in=PENDING_STATUSES)
    return ReviewFigures(
        by_status=by_status, decided=len(decided),
        median_days_to_decision=statistics.median(days) if days else None,
        returned_share=returned / len(decided) if decided else None,
        pending=pending.count(),
        overdue_pending=pending.filter(submitted_at__lt=limit).count())


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return user.notifications.filter(read_at__isnull=True).count()


def queue(*, user) -> QuerySet[Filing]:
    """Submitted filings for review, oldest first."""
    return filing_list(user=user).filter(status__in=SUBMITTED_STATUSES).select_related(
        "review__reviewer").order_by("submitted_at", "id")


def status_counts(queryset: QuerySet[Filing]) -> dict[str, int]:
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in FilingStatus.values}


def templates_with_target(target: str) -> list[int]:
    """Ids of the templates with a field mapped to the SDG target (few templates: in Python)."""
    return [pk for pk, targets in DisclosureTemplate.objects.values_list("pk", "sdg_targets")
            if target in (targets or [])]
