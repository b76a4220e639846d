"""Disclosure API: a whole filing's life through the API, immutability of submitted filings
through every method, filters, and the OpenAPI schema."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from disclosure.models import Filing, FilingEvent, FilingValue
from tests.disclosure.conftest import ESG_ANSWERS

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_filing_through_the_api(api, user_a, regulator, issuer_a, esg_template):
    api.force_authenticate(user_a)
    created = api.post(reverse("api:filing-list"), {
        "issuer": issuer_a.pk, "template": esg_template.pk, "period": "2024"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    answers = reverse("api:filing-answers", args=[pk])
    report = api.post(answers, {"answers": [{"field": "revenue", "value": "lots"}]},
                      format="json").json()
    assert report["valid"] is False and "revenue" in report["errors"]
    report = api.post(answers, {"answers": [{"field": k, "value": v}
                                            for k, v in ESG_ANSWERS.items()]},
                      format="json").json()
    assert report == {"valid": True, "errors": {}, "completeness": 1.0, "grade": "A1"}
    refused = api.post(reverse("api:filing-attachments", args=[pk]),
                       {"file": SimpleUploadedFile("run.pdf", b"MZ\x00\x00")}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()
    upload = api.post(reverse("api:filing-attachments", args=[pk]),
                      {"file": SimpleUploadedFile("minutes.pdf", PDF)}, format="multipart")
    assert upload.status_code == 201 and upload.json()["content_type"] == "application/pdf"
    submitted = api.post(reverse("api:filing-submit", args=[pk])).json()
    assert submitted["status"] == "submitted" and submitted["accession_number"]
    receipt = api.get(reverse("api:filing-receipt", args=[pk])).json()
    assert receipt["accession_number"] == submitted["accession_number"]

    api.force_authenticate(regulator)
    assert api.post(reverse("api:filing-start-review", args=[pk])).json()["status"] == \
        "under_review"
    comment = api.post(reverse("api:filing-comments", args=[pk]),
                       {"field": "revenue", "text": "Audited?"}, format="json")
    assert comment.status_code == 201
    refused = api.post(reverse("api:filing-decide", args=[pk]), {"decision": "reject"},
                       format="json")
    assert refused.status_code == 400 and "reasons" in refused.json()
    decided = api.post(reverse("api:filing-decide", args=[pk]),
                       {"decision": "accept", "reasons": ""}, format="json")
    assert decided.json()["status"] == "accepted"

    api.force_authenticate(None)
    public = api.get(reverse("api:filing-detail", args=[pk])).json()
    assert {"field": "revenue", "value": "120,000", "nd_code": "", "nd_reason": ""} in \
        public["values"]
    assert api.get(reverse("api:filing-list"), {"q": "board resolution"}).json()["count"] == 1
    assert api.get(reverse("api:filing-list"), {"sdg_target": "3.1"}).json()["count"] == 0
    assert api.get(reverse("api:filing-comments", args=[pk])).status_code == 401


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_no_method_changes_a_submitted_filing(api, user_a, staff, submitted, method):
    before = (list(FilingValue.objects.values()), list(Filing.objects.values()),
              FilingEvent.objects.count())
    for user in (user_a, staff):
        api.force_authenticate(user)
        response = getattr(api, method)(reverse("api:filing-detail", args=[submitted.pk]),
                                        {"period": "2023", "status": "draft"}, format="json")
        assert response.status_code == 405
        answers = api.post(reverse("api:filing-answers", args=[submitted.pk]),
                           {"answers": [{"field": "revenue", "value": "1"}]}, format="json")
        assert answers.status_code == 403
    assert before == (list(FilingValue.objects.values()), list(Filing.objects.values()),
                      FilingEvent.objects.count())


def test_templates_endpoint_carries_the_definitions(api, templates):
    listing = api.get(reverse("api:template-list")).json()
    codes = {row["code"] for row in listing["results"]}
    assert codes == {"issuer-esg-annual", "deal-periodic"}
    esg = next(row for row in listing["results"] if row["code"] == "issuer-esg-annual")
    keys = [f["key"] for s in esg["definition"]["sections"] for f in s["fields"]]
    assert "scope1_emissions" in keys and "13.2" in esg["sdg_targets"]


def test_the_openapi_schema_is_valid_with_the_disclosure_routes():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    assert "/api/v1/filings/{id}/submit/:" in schema
    assert "/api/v1/templates/:" in schema
