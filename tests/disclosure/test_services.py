"""Disclosure services: drafts, answers, submission with gapless accession numbers, freezing,
withdrawal, review, amendments, notifications, templates and the ledger."""

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from core.models import AuditEntry
from disclosure import services
from disclosure.choices import FilingStatus
from disclosure.models import (
    AccessionCounter,
    DisclosureTemplate,
    Filing,
    FilingEvent,
    FilingValue,
    Notification,
)
from disclosure.quality import Answer
from disclosure.templates_loader import TEMPLATE_DIR, read_definition
from tests.disclosure.conftest import answers

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- drafts --------------------------------------------------------------------------------


def test_a_draft_is_due_120_days_after_its_year(draft):
    assert draft.status == FilingStatus.DRAFT
    assert draft.period_end == datetime.date(2024, 12, 31)
    assert draft.due_date == datetime.date(2025, 4, 30)
    assert draft.accession_number is None
    assert draft.events.get().action == "created"


@pytest.mark.parametrize("period, message", [
    ("2024-Q2", "yearly"), ("24", "Write the period"), ("1800", "Write the period")])
def test_a_bad_period_is_refused_naming_the_field(issuer_a, user_a, esg_template, period,
                                                  message):
    with pytest.raises(ValidationError) as caught:
        services.filing_create(actor=user_a, issuer=issuer_a, template=esg_template,
                               period=period)
    assert message in caught.value.message_dict["period"][0]
    assert not Filing.objects.exists()


def test_a_deal_report_needs_the_issuers_own_deal(templates, issuer_a, issuer_b, user_a,
                                                  issued_deal_a):
    template = templates["deal-periodic"]
    with pytest.raises(ValidationError) as caught:
        services.filing_create(actor=user_a, issuer=issuer_a, template=template, period="2024")
    assert "deal" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.filing_create(actor=user_a, issuer=issuer_b, template=template, period="2024",
                               deal=issued_deal_a)
    assert "another issuer" in caught.value.message_dict["deal"][0]
    filing = services.filing_create(actor=user_a, issuer=issuer_a, template=template,
                                    period="2024", deal=issued_deal_a)
    assert filing.deal == issued_deal_a


def test_one_standing_filing_per_template_and_period(draft, issuer_a, user_a, esg_template):
    with pytest.raises(ValidationError) as caught:
        services.filing_create(actor=user_a, issuer=issuer_a, template=esg_template,
                               period="2024")
    assert "already a filing" in caught.value.message_dict["period"][0]


def test_invalid_answers_are_kept_and_reported_beside_their_fields(draft, user_a):
    report = services.filing_save_answers(actor=user_a, filing=draft, answers={
        "revenue": Answer(value="a lot"), "employees": Answer(value="12.5")})
    assert FilingValue.objects.get(filing=draft, field="revenue").value == "a lot"
    assert "revenue" in report.errors and "employees" in report.errors
    draft.refresh_from_db()
    assert draft.error_count >= 2
    audit = AuditEntry.objects.filter(action="disclosure.filing.answer").get()
    assert audit.changes["revenue"] == ["", "a lot"]


def test_saving_the_same_answers_writes_no_audit_entry(complete_draft, user_a):
    before = AuditEntry.objects.count()
    services.filing_save_answers(actor=user_a, filing=complete_draft, answers=answers())
    assert AuditEntry.objects.count() == before


def test_a_blank_answer_clears_the_field(complete_draft, user_a):
    services.filing_save_answers(actor=user_a, filing=complete_draft,
                                 answers={"new_hires": Answer()})
    assert not FilingValue.objects.filter(filing=complete_draft, field="new_hires").exists()


def test_unknown_fields_are_refused(draft, user_a):
    with pytest.raises(ValidationError) as caught:
        services.filing_save_answers(actor=user_a, filing=draft,
                                     answers={"favourite_colour": Answer(value="blue")})
    assert "favourite_colour" in caught.value.message_dict


def test_quality_follows_the_answers(draft, user_a):
    nd = {key: ("ND1", "not collected this year") for key in
          ("scope1_emissions", "scope2_emissions", "carbon_rnd_expense", "energy_consumption_mwh")}
    report = services.filing_save_answers(actor=user_a, filing=draft, answers=answers(**nd))
    draft.refresh_from_db()
    assert report.is_valid
    assert draft.grade == report.grade and draft.grade.startswith("C")
    assert draft.completeness == pytest.approx(float(report.completeness))
    assert draft.completeness < 1


# --- submission ------------------------------------------------------------------------------


def test_submit_assigns_the_accession_number_and_freezes(submitted, issuer_a, user_a):
    assert submitted.status == FilingStatus.SUBMITTED
    assert submitted.accession_number == f"{issuer_a.pk:010d}-25-000001"
    assert re.fullmatch(r"\d{10}-\d{2}-\d{6}", submitted.accession_number)
    assert len(submitted.content_sha256) == 64
    assert submitted.submitted_by == user_a
    with pytest.raises(ValidationError, match="never changes"):
        services.filing_save_answers(actor=user_a, filing=submitted,
                                     answers={"revenue": Answer(value="1")})
    with pytest.raises(ValidationError, match="never changes"):
        services.attachment_add(actor=user_a, filing=submitted, name="late.pdf", data=PDF)
    assert FilingValue.objects.get(filing=submitted, field="revenue").value == "120,000"


def test_the_database_refuses_to_change_a_submitted_filings_answers(submitted):
    value = FilingValue.objects.get(filing=submitted, field="revenue")
    with pytest.raises(IntegrityError), transaction.atomic():
        FilingValue.objects.filter(pk=value.pk).update(value="1")
    with pytest.raises(IntegrityError), transaction.atomic():
        FilingValue.objects.create(filing=submitted, field="note", value="sneaked in")
    assert FilingValue.objects.get(pk=value.pk).value == "120,000"


def test_an_invalid_draft_cannot_be_submitted(draft, user_a):
    services.filing_save_answers(actor=user_a, filing=draft,
                                 answers={"revenue": Answer(value="-5")})
    with pytest.raises(ValidationError) as caught:
        services.filing_submit(actor=user_a, filing=draft)
    assert "revenue" in caught.value.message_dict
    assert "employees" in caught.value.message_dict  # required, blank
    draft.refresh_from_db()
    assert draft.status == FilingStatus.DRAFT and draft.accession_number is None
    assert not AccessionCounter.objects.filter(last__gt=0).exists()


def test_accession_numbers_are_sequential_per_issuer_and_year(templates, issuer_a, issuer_b,
                                                              user_a, user_b):
    def file(issuer, user, period, today):
        filing = services.filing_create(actor=user, issuer=issuer,
                                        template=templates["issuer-esg-annual"], period=period)
        services.filing_save_answers(actor=user, filing=filing, answers=answers())
        return services.filing_submit(actor=user, filing=filing, today=today).accession_number

    a1 = file(issuer_a, user_a, "2022", datetime.date(2025, 1, 5))
    b1 = file(issuer_b, user_b, "2022", datetime.date(2025, 1, 6))
    a2 = file(issuer_a, user_a, "2023", datetime.date(2025, 2, 1))
    a3 = file(issuer_a, user_a, "2024", datetime.date(2026, 2, 1))
    assert [a1, a2] == [f"{issuer_a.pk:010d}-25-000001", f"{issuer_a.pk:010d}-25-000002"]
    assert b1 == f"{issuer_b.pk:010d}-25-000001"
    assert a3 == f"{issuer_a.pk:010d}-26-000001"


def test_withdraw_before_review_only(submitted, user_a, regulator):
    services.filing_withdraw(actor=user_a, filing=submitted, reason="filed the wrong year")
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.WITHDRAWN
    assert submitted.events.last().payload == {"reason": "filed the wrong year"}
    with pytest.raises(ValidationError):
        services.review_start(actor=regulator, filing=submitted)


def test_no_withdrawal_once_review_started(under_review, user_a):
    with pytest.raises(ValidationError, match="review has not started"):
        services.filing_withdraw(actor=user_a, filing=under_review)


# --- review ------------------------------------------------------------------------------


def test_review_comment_and_return_notify_the_issuer(under_review, regulator, user_a, preparer_a):
    user_a.email, preparer_a.email = "alice@example.org", "paul@example.org"
    user_a.save()
    preparer_a.save()
    comment = services.comment_add(actor=regulator, filing=under_review,
                                   field="scope2_emissions", text="Which grid factor?")
    assert comment.field == "scope2_emissions"
    with pytest.raises(ValidationError) as caught:
        services.review_decide(actor=regulator, filing=under_review, decision="return")
    assert "reasons" in caught.value.message_dict
    mail.outbox.clear()
    services.review_decide(actor=regulator, filing=under_review, decision="return",
                           reasons="State the Scope 2 method's emission factors.")
    under_review.refresh_from_db()
    assert under_review.status == FilingStatus.RETURNED
    assert under_review.review.decision == "return"
    texts = list(Notification.objects.filter(user=user_a).values_list("text", flat=True))
    assert any("commented on Scope 2" in text for text in texts)
    assert any("returned for correction" in text for text in texts)
    # E-mail goes after commit (the test transaction never commits; pytest-django's
    # mailoutbox sees what send_mass_mail would send when executed).


def test_decision_emails_are_sent_after_commit(under_review, regulator, user_a,
                                               django_capture_on_commit_callbacks):
    user_a.email = "alice@example.org"
    user_a.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(actor=regulator, filing=under_review, decision="accept")
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
    assert "accepted and published" in mail.outbox[0].subject


def test_regulators_are_notified_of_a_submission(complete_draft, user_a, regulator):
    services.filing_submit(actor=user_a, filing=complete_draft)
    assert Notification.objects.filter(user=regulator, filing=complete_draft).exists()


def test_comments_only_under_review(submitted, regulator):
    with pytest.raises(ValidationError):
        services.comment_add(actor=regulator, filing=submitted, field="", text="Early")


def test_accepting_publishes_for_search(accepted):
    assert accepted.status == FilingStatus.ACCEPTED
    stored = Filing.objects.get(pk=accepted.pk)
    assert "ESG policy 2023" in stored.search_text
    assert "Small or medium-sized enterprise" in stored.search_text  # choice label


# --- amendments --------------------------------------------------------------------------


def test_amend_copies_answers_and_diffs_field_by_field(under_review, regulator, user_a):
    services.review_decide(actor=regulator, filing=under_review, decision="return",
                           reasons="Scope 1 looks a tenfold too low.")
    amendment = services.filing_amend(actor=user_a, filing=under_review)
    assert amendment.amends == under_review and amendment.status == FilingStatus.DRAFT
    assert services.filing_amend(actor=user_a, filing=under_review) == amendment  # one open
    services.filing_save_answers(actor=user_a, filing=amendment,
                                 answers={"scope1_emissions": Answer(value="12505")})
    from disclosure.selectors import amendment_diff
    changes = amendment_diff(amendment)
    assert [(c.field, c.old.value, c.new.value) for c in changes] == [
        ("scope1_emissions", "1250.5", "12505")]
    amended = services.filing_submit(actor=user_a, filing=amendment,
                                     today=datetime.date(2025, 3, 2))
    assert amended.accession_number.endswith("-25-000002")
    assert FilingValue.objects.get(filing=under_review, field="scope1_emissions").value == \
        "1250.5"


def test_drafts_and_rejected_filings_are_not_amended(draft, user_a):
    with pytest.raises(ValidationError):
        services.filing_amend(actor=user_a, filing=draft)


# --- attachments -------------------------------------------------------------------------


def test_attachments_are_sniffed_hashed_and_limited(draft, user_a, settings):
    attachment = services.attachment_add(actor=user_a, filing=draft, name="../../etc/report.pdf",
                                         data=PDF)
    assert attachment.name == "report.pdf"
    assert attachment.content_type == "application/pdf"
    assert len(attachment.sha256) == 64 and attachment.size == len(PDF)
    assert attachment.file.name.endswith(attachment.sha256)
    with pytest.raises(ValidationError, match="binary"):
        services.attachment_add(actor=user_a, filing=draft, name="x.pdf",
                                data=b"\x7fELF\x00\x00binary")
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="limit"):
        services.attachment_add(actor=user_a, filing=draft, name="big.csv",
                                data=b"a,b\n1,2\n3,4\n")
    assert draft.attachments.count() == 1


# --- templates ---------------------------------------------------------------------------


def test_loading_templates_twice_changes_nothing(templates):
    before = list(DisclosureTemplate.objects.values_list("pk", "definition_sha256", "status"))
    call_command("load_templates")
    assert list(DisclosureTemplate.objects.values_list("pk", "definition_sha256", "status")) == \
        before


def test_an_active_template_never_changes(templates):
    definition = read_definition(TEMPLATE_DIR / "issuer-esg-annual-v1.yaml")
    definition["title"] = "Something else"
    with pytest.raises(ValidationError, match="new version"):
        services.template_load(actor=None, definition=definition)
    definition["version"] = 2
    template, created = services.template_load(actor=None, definition=definition)
    assert created and template.status == "active"
    assert DisclosureTemplate.objects.get(code="issuer-esg-annual", version=1).status == "retired"


def test_a_bad_template_is_refused_naming_the_place(db):
    with pytest.raises(ValidationError) as caught:
        services.template_load(actor=None, definition={"code": "x", "version": 1})
    assert "definition" in caught.value.message_dict


# --- the ledger --------------------------------------------------------------------------


def test_every_state_change_is_a_chained_event(accepted):
    events = list(FilingEvent.objects.filter(filing=accepted))
    assert [e.action for e in events] == ["created", "submitted", "review_started", "accepted"]
    for previous, event in zip(events, events[1:], strict=False):
        assert event.previous_hash == previous.hash
    call_command("verify_ledger", stdout=(out := __import__("io").StringIO()))
    assert out.getvalue().startswith("OK: 4 events")


def test_the_database_refuses_to_edit_the_ledger(accepted):
    event = FilingEvent.objects.filter(filing=accepted).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        FilingEvent.objects.filter(pk=event.pk).update(actor_name="mallory")
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            FilingEvent.objects.filter(pk=event.pk).delete()
    assert FilingEvent.objects.get(pk=event.pk).actor_name != "mallory"
