"""Every write to disclosure goes through these functions.

Each validates, saves, records the change (an `AuditEntry`, and for a filing's state changes
a `FilingEvent` in the hash-chained ledger) in the same transaction, and sends notifications
and e-mail after commit. Callers authorize first (`disclosure.permissions`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.utils import timezone

from core import audit
from core.choices import Role
from core.models import User
from core.signals import record_changed
from deals.models import Deal
from disclosure import ledger, quality, sdg, sdg_inputs, uploads
from disclosure.choices import (
    AMENDABLE_STATUSES,
    DECISION_STATUS,
    SUBMITTED_STATUSES,
    AppliesTo,
    Decision,
    EventAction,
    FilingStatus,
    TemplateStatus,
)
from disclosure.models import (
    AccessionCounter,
    Attachment,
    DisclosureTemplate,
    FieldComment,
    Filing,
    FilingEvent,
    FilingValue,
    LedgerHead,
    Notification,
    Review,
    SdgSnapshot,
    attachment_path,
)
from disclosure.periods import PeriodError, parse_period
from ipregistry.models import Issuer

# --- templates --------------------------------------------------------------------------------


def _definition_sha256(definition: Mapping) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


@transaction.atomic
def template_load(*, actor, definition: dict, source_file: str = "",
                  activate: bool = True) -> tuple[DisclosureTemplate, bool]:
    """Store a template version from its definition; returns (template, created).

    Loading the same definition again changes nothing. A stored version that is active (or
    retired) never changes: a different definition under its code and version is refused,
    and must be given a new version. Activating a version retires the one active before it.
    """
    try:
        spec = quality.parse_template(definition)
    except quality.TemplateError as exc:
        raise ValidationError({"definition": f"{source_file or 'template'}: {exc}"}) from exc
    digest = _definition_sha256(definition)
    existing = DisclosureTemplate.objects.select_for_update().filter(
        code=spec.code, version=spec.version).first()
    if existing is not None:
        if existing.definition_sha256 != digest:
            if existing.status != TemplateStatus.DRAFT:
                raise ValidationError({"definition": (
                    f"{spec.code} version {spec.version} is {existing.status} and cannot "
                    f"change; give the changed definition a new version.")})
            audit_before = audit.snapshot(existing)
            _fill_template(existing, spec, definition, digest, source_file)
            existing.full_clean()
            existing.save()
            audit.record(actor=actor, action="disclosure.template.update", instance=existing,
                         changes=audit.diff(audit_before, audit.snapshot(existing)))
        if activate and existing.status == TemplateStatus.DRAFT:
            _activate(actor, existing)
        return existing, False
    template = DisclosureTemplate(code=spec.code, version=spec.version)
    _fill_template(template, spec, definition, digest, source_file)
    template.full_clean()
    template.save()
    audit.record(actor=actor, action="disclosure.template.create", instance=template,
                 changes={"code": spec.code, "version": spec.version, "sha256": digest})
    if activate:
        _activate(actor, template)
    return template, True


def _fill_template(template, spec, definition, digest, source_file) -> None:
    template.title = spec.title
    template.jurisdiction = spec.jurisdiction
    template.description = spec.description
    template.applies_to = spec.applies_to
    template.frequency = spec.frequency
    template.due_days = spec.due_days
    template.definition = definition
    template.definition_sha256 = digest
    template.source_file = source_file
    template.sdg_targets = sorted({target for field in spec.fields
                                   for target in field.sdg_targets}, key=_sdg_order)


def _sdg_order(target: str):
    goal, _, rest = target.partition(".")
    return int(goal), not rest.isdigit(), int(rest) if rest.isdigit() else 0, rest


def _activate(actor, template: DisclosureTemplate) -> None:
    for previous in DisclosureTemplate.objects.select_for_update().filter(
            code=template.code, status=TemplateStatus.ACTIVE).exclude(pk=template.pk):
        previous.status = TemplateStatus.RETIRED
        previous.save(update_fields=["status"])
        audit.record(actor=actor, action="disclosure.template.retire", instance=previous,
                     changes={"status": [TemplateStatus.ACTIVE, TemplateStatus.RETIRED]})
    template.status = TemplateStatus.ACTIVE
    template.activated_at = timezone.now()
    template.save(update_fields=["status", "activated_at"])
    audit.record(actor=actor, action="disclosure.template.activate", instance=template,
                 changes={"status": [TemplateStatus.DRAFT, TemplateStatus.ACTIVE]})


# --- the ledger ---------------------------------------------------------------------------------


def _append_event(*, filing: Filing, action: str, actor, from_status: str = "",
                  to_status: str = "", payload: dict | None = None) -> FilingEvent:
    """Append one event to the ledger, chained to the last one (the head row is locked)."""
    LedgerHead.objects.bulk_create([LedgerHead(pk=1, last_sequence=0,
                                               last_hash=ledger.GENESIS)],
                                   ignore_conflicts=True)
    head = LedgerHead.objects.select_for_update().get(pk=1)
    signed_in = actor is not None and actor.is_authenticated
    event = FilingEvent(
        sequence=head.last_sequence + 1, filing=filing, action=action,
        from_status=from_status, to_status=to_status,
        actor_id=actor.pk if signed_in else None,
        actor_name=actor.get_username() if signed_in else "",
        at=timezone.now(), payload=payload or {}, previous_hash=head.last_hash)
    event.hash = ledger.event_hash(event_record(event))
    event.save()
    head.last_sequence, head.last_hash = event.sequence, event.hash
    head.save(update_fields=["last_sequence", "last_hash"])
    return event


def event_record(event: FilingEvent) -> dict:
    """The event's fields as the ledger hashes them."""
    return {"sequence": event.sequence, "filing_id": event.filing_id, "action": event.action,
            "from_status": event.from_status, "to_status": event.to_status,
            "actor_id": event.actor_id, "actor_name": event.actor_name, "at": event.at,
            "payload": event.payload, "previous_hash": event.previous_hash,
            "hash": event.hash}


def _move(filing: Filing, to_status: str, *, actor, action: str, payload=None,
          fields: Iterable[str] = ()) -> FilingEvent:
    before = filing.status
    filing.status = to_status
    filing.save(update_fields=["status", "updated_at", *fields])
    changes = {"status": [before, to_status], **(payload or {})}
    audit.record(actor=actor, action=f"disclosure.filing.{action}", instance=filing,
                 changes=changes)
    record_changed.send(sender=Filing, instance=filing, action=action, changes=changes)
    return _append_event(filing=filing, action=action, actor=actor, from_status=before,
                         to_status=to_status, payload=payload)


def _locked(filing: Filing) -> Filing:
    # Only the filing's row: locking the joined template too (every issuer files against the
    # same one) deadlocked concurrent submits with drafts being opened (found by make loadtest).
    return Filing.objects.select_for_update(of=("self",)).select_related(
        "template", "issuer").get(pk=filing.pk)


# --- filings: drafts ------------------------------------------------------------------------


def _answers(filing: Filing) -> dict[str, quality.Answer]:
    return {value.field: value.as_answer() for value in filing.values.all()}


def filing_report(filing: Filing, answers: Mapping[str, quality.Answer] | None = None
                  ) -> quality.Report:
    """Validate a filing's answers against its template (the stored ones unless given)."""
    attachments = {attachment.name for attachment in filing.attachments.all()}
    return quality.validate(filing.template.spec, _answers(filing) if answers is None
                            else answers, attachments=attachments)


def _store_quality(filing: Filing, report: quality.Report) -> None:
    filing.completeness = float(report.completeness)
    filing.grade = report.grade
    filing.error_count = sum(len(messages) for messages in report.errors.values())
    filing.save(update_fields=["completeness", "grade", "error_count", "updated_at"])


def _require_draft(filing: Filing) -> None:
    if filing.status != FilingStatus.DRAFT:
        raise ValidationError(
            f"Filing {filing} is {filing.get_status_display().lower()}: a submitted filing "
            f"never changes. Amend it to correct it.")


@transaction.atomic
def filing_create(*, actor, issuer, template: DisclosureTemplate, period: str,
                  deal=None, amends: Filing | None = None,
                  external_ref: str | None = None) -> Filing:
    """Open a draft filing for an issuer (and a deal, for deal templates) and a period."""
    errors = {}
    if template.status != TemplateStatus.ACTIVE and amends is None:
        errors["template"] = f"{template} is {template.status}; file on the active version."
    try:
        parsed = parse_period(period, template.frequency)
    except PeriodError as exc:
        errors["period"] = str(exc)
    if template.applies_to == AppliesTo.DEAL:
        if deal is None:
            errors["deal"] = "This template reports on a deal: choose the deal."
        elif deal.originator_id != issuer.pk:
            errors["deal"] = "The deal is originated by another issuer."
    elif deal is not None:
        errors["deal"] = "This template reports on the issuer, not on a deal."
    if errors:
        raise ValidationError(errors)
    if amends is None:
        standing = Filing.objects.filter(
            issuer=issuer, template__code=template.code, period=str(parsed), deal=deal).exclude(
            status__in=[FilingStatus.WITHDRAWN, FilingStatus.REJECTED])
        if clash := standing.order_by("-id").first():
            raise ValidationError({"period": (
                f"There is already a filing for {template.title} {parsed}"
                f"{' on ' + deal.name if deal else ''} ({clash}, "
                f"{clash.get_status_display().lower()}): continue or amend it.")})
    filing = Filing(issuer=issuer, deal=deal, template=template, period=str(parsed),
                    period_end=parsed.end, due_date=parsed.due_date(template.due_days),
                    amends=amends, created_by=actor if actor and actor.is_authenticated
                    else None, external_ref=external_ref)
    filing.full_clean(exclude=["search_vector"])
    filing.save()
    if not filing.external_ref:
        filing.external_ref = f"filing-{filing.pk}"
        Filing.objects.filter(pk=filing.pk).update(external_ref=filing.external_ref)
    audit.record(actor=actor, action="disclosure.filing.create", instance=filing,
                 changes=audit.snapshot(filing))
    _append_event(filing=filing, action=EventAction.AMENDED if amends else EventAction.CREATED,
                  actor=actor, to_status=FilingStatus.DRAFT,
                  payload={"amends": amends.accession_number} if amends else {})
    _store_quality(filing, filing_report(filing))
    return filing


@transaction.atomic
def filing_save_answers(*, actor, filing: Filing,
                        answers: Mapping[str, quality.Answer]) -> quality.Report:
    """Store a draft's answers as typed (even invalid ones, so nothing is lost) and return
    the validation report. Fields not in `answers` are left as they are; an answer with no
    value and no No-Data code clears the field."""
    filing = _locked(filing)
    _require_draft(filing)
    known = {field.key for field in filing.template.spec.fields}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValidationError({key: "Unknown field for this template." for key in unknown})
    stored = {value.field: value for value in filing.values.all()}
    changes = {}
    for key, answer in answers.items():
        answer = quality.Answer(value=answer.value.strip(), nd_code=answer.nd_code.strip(),
                                nd_reason=answer.nd_reason.strip())
        row = stored.get(key)
        old = row.as_answer() if row else quality.Answer()
        if old == answer:
            continue
        changes[key] = [_answer_text(old), _answer_text(answer)]
        if not (answer.value or answer.nd_code or answer.nd_reason):
            row.delete()
        elif row is None:
            FilingValue.objects.create(filing=filing, field=key, value=answer.value,
                                       nd_code=answer.nd_code, nd_reason=answer.nd_reason)
        else:
            row.value, row.nd_code, row.nd_reason = answer.value, answer.nd_code, answer.nd_reason
            row.save(update_fields=["value", "nd_code", "nd_reason"])
    report = filing_report(filing)
    if changes:
        audit.record(actor=actor, action="disclosure.filing.answer", instance=filing,
                     changes=changes)
        _store_quality(filing, report)
    return report


def _answer_text(answer: quality.Answer) -> str:
    if answer.nd_code:
        return f"{answer.nd_code} ({answer.nd_reason})" if answer.nd_reason else answer.nd_code
    return answer.value


@transaction.atomic
def attachment_add(*, actor, filing: Filing, name: str, data: bytes,
                   field: str = "") -> Attachment:
    """Attach a file to a draft: its type sniffed from the content, size-limited, hashed."""
    filing = _locked(filing)
    _require_draft(filing)
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    errors = {}
    if not name:
        errors["file"] = "The file needs a name."
    if field and field not in {f.key for f in filing.template.spec.fields
                               if f.type == "file"}:
        errors["field"] = f"'{field}' is not a file field of this template."
    try:
        sniffed = uploads.sniff(data, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    except uploads.UploadError as exc:
        errors["file"] = str(exc)
    if not errors and filing.attachments.filter(name=name).exists():
        errors["file"] = f"The filing has a file named {name} already; remove it first."
    if errors:
        raise ValidationError(errors)
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(filing=filing, field=field, name=name, size=len(data),
                            content_type=sniffed.content_type, sha256=digest,
                            uploaded_by=actor if actor.is_authenticated else None)
    path = attachment_path(attachment, name)
    if default_storage.exists(path):  # content-addressed: the same bytes are stored once
        attachment.file.name = path
    else:
        attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    audit.record(actor=actor, action="disclosure.attachment.create", instance=attachment,
                 changes={"filing": filing.pk, "name": name, "sha256": digest,
                          "content_type": sniffed.content_type, "size": len(data)})
    if field:
        filing_save_answers(actor=actor, filing=filing,
                            answers={field: quality.Answer(value=name)})
    else:
        _store_quality(filing, filing_report(filing))
    return attachment


@transaction.atomic
def attachment_remove(*, actor, attachment: Attachment) -> None:
    """Remove a file from a draft (a file field it answered is cleared)."""
    filing = _locked(attachment.filing)
    _require_draft(filing)
    audit.record(actor=actor, action="disclosure.attachment.delete", instance=attachment,
                 changes={"filing": filing.pk, "name": attachment.name,
                          "sha256": attachment.sha256})
    field, name = attachment.field, attachment.name
    attachment.delete()  # the stored file stays: an amendment or an earlier version may share it
    if field and filing.values.filter(field=field, value=name).exists():
        filing_save_answers(actor=actor, filing=filing, answers={field: quality.Answer()})
    else:
        _store_quality(filing, filing_report(filing))


# --- filings: submission and after -------------------------------------------------------------


def content_digest(filing: Filing) -> str:
    """SHA-256 of what was filed: template, filer, period, every answer and every file."""
    content = {
        "template": filing.template.key, "issuer": filing.issuer_id, "deal": filing.deal_id,
        "period": filing.period, "amends": filing.amends.accession_number if filing.amends
        else None,
        "values": sorted([v.field, v.value, v.nd_code, v.nd_reason]
                         for v in filing.values.all()),
        "attachments": sorted([a.name, a.field, a.sha256] for a in filing.attachments.all()),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def _next_accession(issuer, year: int) -> tuple[str, int]:
    """The issuer's next accession number for the year. The counter row is locked until the
    submitting transaction ends, so concurrent submits queue and a rolled-back submit gives
    its number back: the sequence has no gaps."""
    AccessionCounter.objects.bulk_create([AccessionCounter(issuer=issuer, year=year)],
                                         ignore_conflicts=True)
    counter = AccessionCounter.objects.select_for_update().get(issuer=issuer, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{issuer.pk:010d}-{year % 100:02d}-{counter.last:06d}", counter.last


def _search_text(filing: Filing) -> str:
    spec = filing.template.spec
    parts = [filing.issuer.name, filing.template.title, filing.period,
             filing.accession_number or "", filing.deal.name if filing.deal else ""]
    for value in filing.values.all():
        if not value.value:
            continue
        field = spec.field(value.field) if spec.has_field(value.field) else None
        parts.append(field.label if field else value.field)
        if field is not None and field.type in ("choice", "multi_choice"):
            labels = dict(field.choices)
            parts.extend(labels.get(item.strip(), item) for item in value.value.split(";"))
        else:
            parts.append(value.value)
    parts.extend(attachment.name for attachment in filing.attachments.all())
    return " ".join(part for part in parts if part)


def refresh_search(filing: Filing) -> None:
    """Recompute a filing's search text (and vector on PostgreSQL)."""
    Filing.objects.filter(pk=filing.pk).update(search_text=_search_text(filing))
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchVector

        Filing.objects.filter(pk=filing.pk).update(
            search_vector=SearchVector("search_text", config="english"))


@transaction.atomic
def filing_submit(*, actor, filing: Filing, today: date | None = None) -> Filing:
    """File a draft: it must validate; it gets the issuer's next accession number for the year
    and freezes. Regulators are notified."""
    filing = _locked(filing)
    _require_draft(filing)
    report = filing_report(filing)
    if not report.is_valid:
        raise ValidationError({key or "__all__": messages
                               for key, messages in report.errors.items()})
    now = timezone.now()
    year = (today or timezone.localdate(now)).year
    filing.accession_number, filing.accession_sequence = _next_accession(filing.issuer, year)
    filing.accession_year = year
    filing.submitted_at = now
    filing.submitted_by = actor if actor.is_authenticated else None
    filing.content_sha256 = content_digest(filing)
    _store_quality(filing, report)
    _move(filing, FilingStatus.SUBMITTED, actor=actor, action=EventAction.SUBMITTED,
          payload={"accession_number": filing.accession_number,
                   "content_sha256": filing.content_sha256},
          fields=["accession_number", "accession_sequence", "accession_year", "submitted_at",
                  "submitted_by", "content_sha256"])
    refresh_search(filing)
    notify(users=_regulators(), filing=filing,
           text=f"{filing.issuer.name} filed {filing.template.title} {filing.period} "
                f"({filing.accession_number})" + (" as an amendment" if filing.amends else ""))
    return filing


@transaction.atomic
def filing_withdraw(*, actor, filing: Filing, reason: str = "") -> Filing:
    """Withdraw a submitted filing before its review starts."""
    filing = _locked(filing)
    if filing.status != FilingStatus.SUBMITTED:
        raise ValidationError(f"Only a submitted filing whose review has not started can be "
                              f"withdrawn; {filing} is {filing.get_status_display().lower()}.")
    filing.decided_at = timezone.now()
    _move(filing, FilingStatus.WITHDRAWN, actor=actor, action=EventAction.WITHDRAWN,
          payload={"reason": reason}, fields=["decided_at"])
    return filing


@transaction.atomic
def filing_amend(*, actor, filing: Filing) -> Filing:
    """Open an amendment: a new draft on the same template version, issuer, deal and period,
    with the earlier filing's answers and files, pointing to it."""
    filing = _locked(filing)
    if filing.status not in AMENDABLE_STATUSES:
        raise ValidationError(f"A filing that is {filing.get_status_display().lower()} cannot "
                              f"be amended; only returned or accepted filings can.")
    if open_amendment := filing.amendments.filter(status=FilingStatus.DRAFT).first():
        return open_amendment
    amendment = filing_create(actor=actor, issuer=filing.issuer, template=filing.template,
                              period=filing.period, deal=filing.deal, amends=filing)
    FilingValue.objects.bulk_create(
        FilingValue(filing=amendment, field=v.field, value=v.value, nd_code=v.nd_code,
                    nd_reason=v.nd_reason) for v in filing.values.all())
    Attachment.objects.bulk_create(
        Attachment(filing=amendment, field=a.field, file=a.file.name, name=a.name,
                   content_type=a.content_type, size=a.size, sha256=a.sha256,
                   uploaded_by=a.uploaded_by) for a in filing.attachments.all())
    _store_quality(amendment, filing_report(amendment))
    return amendment


@transaction.atomic
def filing_set_due_date(*, actor, filing: Filing, due_date: date) -> Filing:
    """Give a draft a due date other than its template's (an extension granted elsewhere, as
    an interchange bundle may carry it)."""
    filing = _locked(filing)
    _require_draft(filing)
    if due_date < filing.period_end:
        raise ValidationError({"due_date": f"A filing for {filing.period} cannot be due before "
                                           f"the period ends ({filing.period_end})."})
    if due_date == filing.due_date:
        return filing
    before, filing.due_date = filing.due_date, due_date
    filing.save(update_fields=["due_date", "updated_at"])
    audit.record(actor=actor, action="disclosure.filing.due_date", instance=filing,
                 changes={"due_date": [str(before), str(due_date)]})
    return filing


@transaction.atomic
def filing_import_status(*, actor, filing: Filing, status: str,
                         submitted_at: datetime) -> Filing:
    """Give a draft read from an interchange bundle the status it has there.

    As a submission does, it requires valid answers, takes the issuer's next accession number
    for the year of `submitted_at` and freezes the filing; the move is audited and is one
    `imported` event in the ledger. The bundle carries no decision date, so a decided filing
    keeps none (review figures count the decisions made here); one under review gets an
    unassigned review.
    Nobody is notified: the filing was submitted elsewhere, at `submitted_at`.
    """
    filing = _locked(filing)
    _require_draft(filing)
    errors = {}
    if status not in SUBMITTED_STATUSES:
        errors["status"] = (f"'{status}' is not a status a filing reaches by submission (one of "
                            + ", ".join(sorted(SUBMITTED_STATUSES)) + ").")
    if submitted_at is None:
        errors["submitted_at"] = "Give the time the filing was submitted."
    if errors:
        raise ValidationError(errors)
    report = filing_report(filing)
    if not report.is_valid:
        raise ValidationError({key or "__all__": messages
                               for key, messages in report.errors.items()})
    year = timezone.localdate(submitted_at).year
    filing.accession_number, filing.accession_sequence = _next_accession(filing.issuer, year)
    filing.accession_year = year
    filing.submitted_at = submitted_at
    filing.content_sha256 = content_digest(filing)
    fields = ["accession_number", "accession_sequence", "accession_year", "submitted_at",
              "content_sha256"]
    _store_quality(filing, report)
    _move(filing, status, actor=actor, action=EventAction.IMPORTED,
          payload={"accession_number": filing.accession_number,
                   "content_sha256": filing.content_sha256,
                   "submitted_at": submitted_at.isoformat()},
          fields=fields)
    if status == FilingStatus.UNDER_REVIEW:
        # review_decide records the decision on the filing's review.
        Review.objects.create(filing=filing, reviewer=None)
    refresh_search(filing)
    return filing


# --- review --------------------------------------------------------------------------------


@transaction.atomic
def review_start(*, actor, filing: Filing) -> Review:
    """A regulator takes a submitted filing for review (assigned to themself)."""
    filing = _locked(filing)
    if filing.status != FilingStatus.SUBMITTED:
        raise ValidationError(f"{filing} is {filing.get_status_display().lower()}; only a "
                              f"submitted filing can be taken for review.")
    review = Review.objects.create(filing=filing, reviewer=actor)
    _move(filing, FilingStatus.UNDER_REVIEW, actor=actor, action=EventAction.REVIEW_STARTED,
          payload={"reviewer": actor.get_username()})
    notify(users=_members(filing), filing=filing,
           text=f"The review of {filing.accession_number} has started.")
    return review


@transaction.atomic
def comment_add(*, actor, filing: Filing, field: str, text: str) -> FieldComment:
    """A reviewer's comment on a field (blank: on the whole filing)."""
    filing = _locked(filing)
    errors = {}
    if filing.status != FilingStatus.UNDER_REVIEW:
        errors["__all__"] = "Comments are made while the filing is under review."
    if field and not filing.template.spec.has_field(field):
        errors["field"] = f"'{field}' is not a field of this template."
    if not (text or "").strip():
        errors["text"] = "Write the comment."
    if errors:
        raise ValidationError(errors)
    comment = FieldComment.objects.create(filing=filing, field=field, author=actor,
                                          text=text.strip())
    audit.record(actor=actor, action="disclosure.comment.create", instance=comment,
                 changes={"filing": filing.pk, "field": field, "text": comment.text})
    _append_event(filing=filing, action=EventAction.COMMENTED, actor=actor,
                  from_status=filing.status, to_status=filing.status,
                  payload={"field": field, "comment_id": comment.pk})
    label = filing.template.spec.field(field).label if field else "the filing"
    notify(users=_members(filing), filing=filing,
           text=f"A reviewer commented on {label} in {filing.accession_number}.")
    return comment


@transaction.atomic
def review_decide(*, actor, filing: Filing, decision: str, reasons: str = "") -> Filing:
    """Accept, return for correction or reject a filing under review, with reasons."""
    filing = _locked(filing)
    errors = {}
    if filing.status != FilingStatus.UNDER_REVIEW:
        errors["__all__"] = f"{filing} is {filing.get_status_display().lower()}, not under review."
    if decision not in DECISION_STATUS:
        errors["decision"] = "Choose accept, return or reject."
    elif decision != Decision.ACCEPT and not (reasons or "").strip():
        errors["reasons"] = "Give the reasons for returning or rejecting the filing."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    review = Review.objects.select_for_update().get(filing=filing)
    review.decision, review.reasons, review.decided_at = decision, reasons.strip(), now
    review.save(update_fields=["decision", "reasons", "decided_at"])
    filing.decided_at = now
    to_status = DECISION_STATUS[decision]
    _move(filing, to_status, actor=actor, action=str(to_status),
          payload={"decision": decision, "reasons": review.reasons}, fields=["decided_at"])
    if to_status == FilingStatus.ACCEPTED:
        refresh_search(filing)
    verb = {FilingStatus.ACCEPTED: "accepted and published",
            FilingStatus.RETURNED: "returned for correction",
            FilingStatus.REJECTED: "rejected"}[to_status]
    notify(users=_members(filing), filing=filing,
           text=f"{filing.accession_number} ({filing.template.title} {filing.period}) was "
                f"{verb}." + (f" Reasons: {review.reasons}" if review.reasons else ""))
    return filing


# --- notifications -----------------------------------------------------------------------


def _regulators() -> list:
    return list(User.objects.filter(role=Role.REGULATOR, is_active=True))


def _members(filing: Filing) -> list:
    return list(User.objects.filter(memberships__issuer_id=filing.issuer_id, is_active=True)
                .distinct())


def notify(*, users: Iterable, filing: Filing | None, text: str) -> None:
    """An in-app notification for each user, and an e-mail after commit to those with an
    address."""
    users = list(users)
    url = filing.get_absolute_url() if filing else ""
    Notification.objects.bulk_create(Notification(user=user, filing=filing, text=text[:300],
                                                  url=url) for user in users)
    messages = [(f"[IPSec Registry] {text[:120]}",
                 f"{text}\n\n{settings.SITE_URL.rstrip('/')}{url}\n",
                 settings.DEFAULT_FROM_EMAIL, [user.email]) for user in users if user.email]
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))


@transaction.atomic
def notifications_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (these, or all) as read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# --- SDG snapshots ------------------------------------------------------------------------


def _sdg_snapshot(*, subject: str, obj, indicators, sources: dict, run) -> SdgSnapshot:
    """Store a snapshot of these indicators unless the last one of the subject is the same."""
    items = [indicator.as_json() for indicator in indicators.indicators]
    scores = {dimension: score.as_json()
              for dimension, score in sdg.scores(indicators.indicators).items()}
    digest = hashlib.sha256(json.dumps([items, scores, sources], sort_keys=True,
                                       default=str).encode()).hexdigest()
    field = {"deal": "deal", "issuer": "issuer"}[subject]
    latest = SdgSnapshot.objects.filter(**{field: obj}).order_by("-created_at", "-id").first()
    if latest is not None and latest.inputs_sha256 == digest:
        return latest
    return SdgSnapshot.objects.create(subject=subject, **{field: obj}, inputs_sha256=digest,
                                      run=run, indicators=items, scores=scores,
                                      sources=sources)


def sdg_snapshot_refresh_deal(*, deal_id: int, run=None) -> SdgSnapshot | None:
    """Recompute a deal's SDG indicators (idempotent); None if the deal is gone."""
    deal = Deal.objects.filter(pk=deal_id).first()
    if deal is None:
        return None
    facts, sources = sdg_inputs.deal_facts(deal)
    indicators = sdg.deal_indicators(facts, sdg_inputs.central_western())
    return _sdg_snapshot(subject="deal", obj=deal, indicators=indicators, sources=sources,
                         run=run)


def sdg_snapshot_refresh_issuer(*, issuer_id: int, run=None) -> SdgSnapshot | None:
    """Recompute an issuer's SDG indicators as a beneficiary of deals (idempotent); None if
    the issuer is gone."""
    issuer = Issuer.objects.filter(pk=issuer_id).first()
    if issuer is None:
        return None
    observations, sources = [], {}
    for deal in sdg_inputs.deals_financing(issuer_id):
        facts, deal_sources = sdg_inputs.deal_facts(deal)
        sources.update(deal_sources)
        for beneficiary in facts.beneficiaries:
            if beneficiary.issuer_id == issuer_id:
                observations.append(sdg.observation_indicators(
                    facts, beneficiary, sdg_inputs.central_western()))
    indicators = sdg.issuer_indicators(issuer_id, observations)
    return _sdg_snapshot(subject="issuer", obj=issuer, indicators=indicators,
                         sources={str(issuer_id): sources.get(str(issuer_id), {})}, run=run)
