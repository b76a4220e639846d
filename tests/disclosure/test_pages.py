"""Disclosure pages: the generated form, autosave over htmx, errors beside their fields,
attachments, submit and receipt, the review queue and decisions, amendments, the public search
and its CSV, templates and notifications."""

import datetime
import json

import pytest
from django.urls import reverse

from disclosure import services
from disclosure.choices import FilingStatus
from disclosure.models import Filing, FilingValue
from disclosure.quality import Answer
from tests.disclosure.conftest import ESG_ANSWERS, answers

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form_data(values: dict) -> dict:
    return {f"v_{key}": value for key, value in values.items()}


def test_templates_are_open_to_everyone(client, templates):
    page = client.get(reverse("disclosure:template-list"))
    assert page.status_code == 200
    assert b"Issuer annual ESG and SDG disclosure" in page.content
    detail = client.get(templates["issuer-esg-annual"].get_absolute_url())
    assert detail.status_code == 200
    assert b"scope1_emissions" in detail.content and b"ND1, ND2, ND3, ND4" in detail.content


def test_an_issuer_opens_a_filing_and_lands_on_its_form(client, user_a, issuer_a, esg_template):
    client.force_login(user_a)
    response = client.post(reverse("disclosure:filing-create"), {
        "issuer": issuer_a.pk, "template": esg_template.pk, "period": "2024"})
    filing = Filing.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("disclosure:filing-edit", args=[filing.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert b'name="v_revenue"' in page.content and b'name="nd_scope1_emissions"' in page.content
    assert b'hx-post="' in page.content


def test_a_bad_period_is_shown_beside_the_form(client, user_a, issuer_a, esg_template):
    client.force_login(user_a)
    response = client.post(reverse("disclosure:filing-create"), {
        "issuer": issuer_a.pk, "template": esg_template.pk, "period": "2024-Q5"})
    assert response.status_code == 400
    assert b"Write the period" in response.content
    assert not Filing.objects.exists()


def test_autosave_stores_the_answers_and_returns_errors_out_of_band(client, user_a, draft):
    client.force_login(user_a)
    response = client.post(reverse("disclosure:filing-edit", args=[draft.pk]),
                           {"v_revenue": "abc", "v_employees": "12"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="quality"' in body
    assert 'id="err-revenue" role="status" hx-swap-oob="true"' in body
    assert "Enter a number" in body or "number" in body.split('id="err-revenue"')[1][:300]
    assert FilingValue.objects.get(filing=draft, field="revenue").value == "abc"
    assert FilingValue.objects.get(filing=draft, field="employees").value == "12"


def test_no_data_codes_with_a_date_and_a_reason(client, user_a, draft):
    client.force_login(user_a)
    client.post(reverse("disclosure:filing-edit", args=[draft.pk]), {
        "nd_scope1_emissions": "ND4", "ndd_scope1_emissions": "2025-09-30",
        "ndr_scope1_emissions": "Verification by the auditor is pending"})
    value = FilingValue.objects.get(filing=draft, field="scope1_emissions")
    assert value.nd_code == "ND4-2025-09-30"
    assert value.nd_reason == "Verification by the auditor is pending"


def test_a_full_save_without_javascript_redirects_back(client, user_a, draft):
    client.force_login(user_a)
    response = client.post(reverse("disclosure:filing-edit", args=[draft.pk]),
                           form_data(ESG_ANSWERS))
    assert response.status_code == 302
    page = client.get(response.url)
    assert b"none: ready to submit" in page.content


def test_upload_submit_and_receipt(client, user_a, complete_draft):
    client.force_login(user_a)
    from django.core.files.uploadedfile import SimpleUploadedFile
    upload = SimpleUploadedFile("board-minutes.pdf", PDF, content_type="text/plain")
    response = client.post(reverse("disclosure:attachment-upload", args=[complete_draft.pk]),
                           {"file": upload})
    assert response.status_code == 302
    attachment = complete_draft.attachments.get()
    assert attachment.content_type == "application/pdf"  # sniffed, not the browser's word
    response = client.post(reverse("disclosure:filing-submit", args=[complete_draft.pk]))
    assert response.status_code == 302
    assert response.url == reverse("disclosure:filing-receipt", args=[complete_draft.pk])
    complete_draft.refresh_from_db()
    receipt = client.get(response.url)
    assert complete_draft.accession_number.encode() in receipt.content
    data = json.loads(client.get(reverse("disclosure:filing-receipt-json",
                                         args=[complete_draft.pk])).content)
    assert data["accession_number"] == complete_draft.accession_number
    assert data["content_sha256"] == complete_draft.content_sha256
    assert data["attachments"][0]["sha256"] == attachment.sha256
    assert data["ledger_event"]["hash"] == complete_draft.events.get(action="submitted").hash
    download = client.get(reverse("disclosure:attachment-download",
                                  args=[complete_draft.pk, attachment.pk]))
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"


def test_an_executable_upload_is_refused_with_a_message(client, user_a, draft):
    from django.core.files.uploadedfile import SimpleUploadedFile
    client.force_login(user_a)
    upload = SimpleUploadedFile("report.pdf", b"MZ\x90\x00\x03\x00binary",
                                content_type="application/pdf")
    response = client.post(reverse("disclosure:attachment-upload", args=[draft.pk]),
                           {"file": upload}, follow=True)
    assert b"binary" in response.content
    assert not draft.attachments.exists()


def test_submitting_an_incomplete_draft_lists_the_problems(client, user_a, draft):
    client.force_login(user_a)
    response = client.post(reverse("disclosure:filing-submit", args=[draft.pk]), follow=True)
    assert b"required" in response.content
    draft.refresh_from_db()
    assert draft.status == FilingStatus.DRAFT


def test_regulator_review_journey_on_pages(client, user_a, regulator, submitted):
    client.force_login(regulator)
    queue = client.get(reverse("disclosure:queue"))
    assert queue.status_code == 200 and submitted.accession_number.encode() in queue.content
    client.post(reverse("disclosure:review-start", args=[submitted.pk]))
    client.post(reverse("disclosure:review-comment", args=[submitted.pk]),
                {"field": "scope1_emissions", "text": "Scope 1 seems low for 480 staff."})
    response = client.post(reverse("disclosure:review-decide", args=[submitted.pk]),
                           {"decision": "return", "reasons": "Check Scope 1."})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.RETURNED
    client.force_login(user_a)
    detail = client.get(submitted.get_absolute_url())
    assert b"Scope 1 seems low" in detail.content and b"Check Scope 1." in detail.content
    response = client.post(reverse("disclosure:filing-amend", args=[submitted.pk]))
    amendment = Filing.objects.get(amends=submitted)
    assert response.url == reverse("disclosure:filing-edit", args=[amendment.pk])
    form = client.get(response.url)
    assert b"Scope 1 seems low" in form.content  # the reviewer's comment beside the field


def test_a_return_without_reasons_is_refused(client, regulator, under_review):
    client.force_login(regulator)
    response = client.post(reverse("disclosure:review-decide", args=[under_review.pk]),
                           {"decision": "return", "reasons": ""}, follow=True)
    assert b"reasons" in response.content
    under_review.refresh_from_db()
    assert under_review.status == FilingStatus.UNDER_REVIEW


def test_accepted_filings_are_public_and_searchable(client, accepted):
    page = client.get(reverse("disclosure:filing-list") + "?q=board+resolution")
    assert page.status_code == 200 and accepted.accession_number.encode() in page.content
    assert client.get(accepted.get_absolute_url()).status_code == 200
    miss = client.get(reverse("disclosure:filing-list") + "?q=zeppelin")
    assert accepted.accession_number.encode() not in miss.content
    csv = client.get(reverse("disclosure:filing-export") + "?q=board+resolution").content
    assert accepted.accession_number.encode() in csv
    data = json.loads(client.get(reverse("disclosure:filing-data", args=[accepted.pk, "json"]))
                      .content)
    assert {"field": "revenue", "value": "120,000"}.items() <= next(
        row for row in data["values"] if row["field"] == "revenue").items()


def test_the_search_filters_by_sdg_target_template_and_period(client, accepted):
    url = reverse("disclosure:filing-list")
    assert accepted.accession_number.encode() in client.get(url + "?sdg_target=13.2").content
    assert accepted.accession_number.encode() not in client.get(url + "?sdg_target=3.1").content
    assert accepted.accession_number.encode() in client.get(
        url + "?template=issuer-esg-annual&period=2024").content
    assert accepted.accession_number.encode() not in client.get(url + "?period=2023").content


def test_drafts_are_not_public(client, complete_draft, regulator):
    assert client.get(complete_draft.get_absolute_url()).status_code == 404
    client.force_login(regulator)
    assert client.get(complete_draft.get_absolute_url()).status_code == 404


def test_my_filings_show_overdue_obligations(client, user_a, issued_deal_a, templates):
    client.force_login(user_a)
    page = client.get(reverse("disclosure:mine"))
    assert page.status_code == 200
    # The deal was issued in 2023: its 2023 report and the issuer's 2024 ESG filing are due.
    assert b"Deal periodic report" in page.content
    assert b"File now" in page.content


def test_notifications_page_and_mark_read(client, user_a, under_review, regulator):
    services.comment_add(actor=regulator, filing=under_review, field="", text="General note")
    client.force_login(user_a)
    page = client.get(reverse("disclosure:notifications"))
    assert b"commented on the filing" in page.content
    client.post(reverse("disclosure:notifications"))
    assert not user_a.notifications.filter(read_at__isnull=True).exists()


def test_an_amendment_shows_its_changes(client, user_a, regulator, under_review):
    services.review_decide(actor=regulator, filing=under_review, decision="return",
                           reasons="Fix Scope 1")
    amendment = services.filing_amend(actor=user_a, filing=under_review)
    services.filing_save_answers(actor=user_a, filing=amendment,
                                 answers={"scope1_emissions": Answer(value="12505")})
    services.filing_submit(actor=user_a, filing=amendment, today=datetime.date(2025, 3, 5))
    client.force_login(regulator)
    page = client.get(amendment.get_absolute_url()).content.decode()
    assert 'id="changes"' in page and "12505" in page and "1250.5" in page


def test_a_submitted_filing_has_no_edit_form(client, user_a, submitted):
    client.force_login(user_a)
    assert client.get(reverse("disclosure:filing-edit", args=[submitted.pk])).status_code == 403
    response = client.post(reverse("disclosure:filing-edit", args=[submitted.pk]),
                           {"v_revenue": "1"})
    assert response.status_code == 403
    assert FilingValue.objects.get(filing=submitted, field="revenue").value == "120,000"



def test_issuer_and_deal_pages_load_their_accepted_filings(client, user_a, accepted,
                                                           issued_deal_a, esg_template):
    pending = services.filing_create(actor=user_a, issuer=accepted.issuer,
                                     template=esg_template, period="2023")
    services.filing_save_answers(actor=user_a, filing=pending, answers=answers())
    pending = services.filing_submit(actor=user_a, filing=pending)
    client.force_login(user_a)
    issuer_page = client.get(accepted.issuer.get_absolute_url()).content.decode()
    assert f"?issuer={accepted.issuer_id}&status=accepted" in issuer_page
    deal_page = client.get(issued_deal_a.get_absolute_url()).content.decode()
    assert f"?deal={issued_deal_a.pk}&status=accepted" in deal_page
    client.logout()
    fragment = client.get(reverse("disclosure:filing-list"),
                          {"issuer": accepted.issuer_id, "status": "accepted"},
                          HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and accepted.accession_number in fragment
    assert pending.accession_number not in fragment
