"""Browser tests of the two disclosure journeys (issue 4), in a real Chromium against the
live server, failing on console errors, CSP violations, HTTP errors and outside requests:

1. an issuer fills in a filing, meets errors beside the fields (saved as it types, over
   htmx), attaches a file, submits and gets a receipt;
2. a regulator comments and returns it, the issuer amends, the regulator accepts, and the
   filing is public.
"""

import datetime
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from core import two_factor
from disclosure import services
from disclosure.models import DisclosureTemplate, Filing
from disclosure.templates_loader import load_templates
from tests.browser import test_issuer_journey as journey
from tests.browser.test_issuer_journey import PASSWORD, log_in
from tests.disclosure.conftest import ESG_ANSWERS, answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser_page = journey.browser_page
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FILING_SCREENSHOT = "/tmp/disclosure-filing.png"
REVIEW_SCREENSHOT = "/tmp/disclosure-review.png"


def _fill(page: Page, key: str, value: str) -> None:
    field = page.locator(f"[name=v_{key}]")
    if field.evaluate("node => node.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def _clean(problems) -> None:
    assert problems.csp() == [], problems.csp()
    assert problems.page_errors == [] and problems.outside_requests == []
    assert problems.console_errors == []


def test_issuer_fills_meets_errors_attaches_submits_and_gets_a_receipt(
        browser_page, user_a, issuer_a, tmp_path):
    load_templates()
    page, problems = browser_page
    log_in(page, user_a, PASSWORD)
    page.get_by_role("link", name="My filings").click()
    page.get_by_role("link", name="Open a filing").click()
    page.get_by_label("Issuer").select_option(label=issuer_a.name)
    page.get_by_label("Template").select_option(label="Issuer annual ESG and SDG disclosure (v1)")
    page.get_by_label("Period").fill("2024")
    page.get_by_role("button", name="Open draft").click()
    expect(page.get_by_role("heading", name=re.compile("ESG and SDG disclosure · 2024"))) \
        .to_be_visible()

    # A word where a number belongs: the error appears beside the field as it is saved.
    _fill(page, "revenue", "about a million")
    page.locator("[name=v_employees]").focus()
    expect(page.locator("#err-revenue")).to_contain_text("number")
    expect(page.locator("#q-errors")).to_contain_text("to correct")

    # Every field answered; more high-skill staff than staff breaks a cross-field rule.
    for key, value in ESG_ANSWERS.items():
        _fill(page, key, value)
    _fill(page, "high_skill_employees", "900")
    page.locator("[name=v_employees]").focus()
    expect(page.locator("#err-high_skill_employees")).to_contain_text("cannot exceed")
    _fill(page, "high_skill_employees", "210")
    # Scope 1 not yet verified: an ND4 code with its date and reason.
    _fill(page, "scope1_emissions", "")
    page.locator("[name=nd_scope1_emissions]").select_option("ND4")
    page.locator("[name=ndd_scope1_emissions]").fill("2025-09-30")
    page.locator("[name=ndr_scope1_emissions]").fill("Third-party verification pending")
    page.locator("[name=v_employees]").focus()
    expect(page.locator("#q-errors")).to_contain_text("ready to submit")
    expect(page.locator("#err-high_skill_employees")).to_be_empty()
    expect(page.locator("#q-grade")).to_contain_text("A2")

    # A board-minutes PDF attached; its type is read from the content.
    minutes = tmp_path / "board-minutes.pdf"
    minutes.write_bytes(PDF)
    page.locator("#id_file").set_input_files(str(minutes))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#attachments")).to_contain_text("board-minutes.pdf")
    expect(page.locator("#attachments")).to_contain_text("application/pdf")
    page.screenshot(path=FILING_SCREENSHOT, full_page=True)

    page.get_by_role("button", name="Submit filing").click()
    expect(page.get_by_role("heading", name="Filing receipt")).to_be_visible()
    filing = Filing.objects.get()
    assert filing.status == "submitted"
    assert re.fullmatch(rf"{issuer_a.pk:010d}-\d\d-000001", filing.accession_number)
    expect(page.locator("#receipt-accession")).to_have_text(filing.accession_number)
    assert filing.values.get(field="scope1_emissions").nd_code == "ND4-2025-09-30"
    receipt = json.loads(page.request.get(
        f"/disclosure/filings/{filing.pk}/receipt.json").text())
    assert receipt["content_sha256"] == filing.content_sha256
    assert receipt["attachments"][0]["name"] == "board-minutes.pdf"
    _clean(problems)


def test_regulator_returns_issuer_amends_regulator_accepts_and_it_is_public(
        browser_page, user_a, issuer_a, regulator):
    load_templates()
    template = DisclosureTemplate.objects.get(code="issuer-esg-annual", status="active")
    filing = services.filing_create(actor=user_a, issuer=issuer_a, template=template,
                                    period="2024")
    services.filing_save_answers(actor=user_a, filing=filing, answers=answers())
    filing = services.filing_submit(actor=user_a, filing=filing,
                                    today=datetime.date(2025, 3, 1))
    page, problems = browser_page

    # The regulator finds it in the queue, takes it, comments on a field and returns it.
    log_in(page, regulator, PASSWORD, otp_device=two_factor.device_for(regulator))
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name=filing.accession_number).click()
    page.get_by_role("button", name="Take for review").click()
    page.locator("#comment-form").get_by_label("Field").select_option(label="Scope 1 GHG emissions")
    page.locator("#comment-form").get_by_label("Text").fill(
        "Scope 1 looks tenfold too low for 480 employees; check the fuel records.")
    page.get_by_role("button", name="Add comment").click()
    page.locator("#decide-form").get_by_label("Return for correction").check()
    page.locator("#decide-form").get_by_label("Reasons").fill("Correct Scope 1.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#filing-status")).to_have_text("Returned for correction")
    page.get_by_role("button", name="Log out").click()

    # The issuer sees the comment beside the field and answers by amending.
    log_in(page, user_a, PASSWORD)
    page.goto(filing.get_absolute_url())
    expect(page.locator("#value-scope1_emissions")).to_contain_text("tenfold too low")
    page.get_by_role("button", name="Amend").click()
    expect(page.locator("#field-scope1_emissions")).to_contain_text("tenfold too low")
    _fill(page, "scope1_emissions", "12505")
    page.locator("[name=v_employees]").focus()
    expect(page.locator("#saved-at")).to_be_visible()
    page.get_by_role("button", name="Submit filing").click()
    expect(page.get_by_role("heading", name="Filing receipt")).to_be_visible()
    amendment = Filing.objects.get(amends=filing)
    year = timezone.localdate().year % 100
    assert amendment.accession_number == f"{issuer_a.pk:010d}-{year:02d}-000001"
    page.get_by_role("button", name="Log out").click()

    # The regulator sees the change and accepts.
    log_in(page, regulator, PASSWORD, otp_device=two_factor.device_for(regulator))
    page.goto(amendment.get_absolute_url())
    expect(page.locator("#changes")).to_contain_text("12505")
    page.get_by_role("button", name="Take for review").click()
    page.locator("#decide-form").get_by_label("Accept").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#filing-status")).to_have_text("Accepted")
    page.screenshot(path=REVIEW_SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Log out").click()

    # Anyone finds the accepted amendment in the public filings search.
    page.goto("/disclosure/filings/?q=12505")
    page.get_by_role("link", name=amendment.accession_number).click()
    expect(page.locator("#filing-status")).to_have_text("Accepted")
    expect(page.locator("#amends")).to_contain_text(f"{filing.accession_number} (returned")
    assert "tenfold" not in page.content()  # review correspondence is not public
    _clean(problems)
