"""Browser test of the market analytics (issue 6): a regulator opens /market/, filters to China
2019-2024, reads the findings and downloads a figure's CSV; in Chromium, failing on console
errors, CSP violations, HTTP errors and outside requests."""

import csv
import io

import pytest
from playwright.sync_api import expect

from core import two_factor
from disclosure.bundle import import_bundle
from disclosure.templates_loader import load_templates
from tests.browser import test_issuer_journey as journey
from tests.browser.test_issuer_journey import PASSWORD, log_in
from tests.disclosure.test_market_api import _bundle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser_page = journey.browser_page
SCREENSHOT = "/tmp/market-report.png"


def test_regulator_filters_china_reads_findings_and_downloads_a_csv(browser_page, regulator):
    load_templates()
    import_bundle(_bundle())  # committed at once: the market snapshot is built after it
    page, problems = browser_page
    log_in(page, regulator, PASSWORD, otp_device=two_factor.device_for(regulator))
    page.get_by_role("link", name="Market").click()
    expect(page.get_by_role("heading", name="The IP ABS market")).to_be_visible()
    page.get_by_label("Country").fill("CN")
    page.get_by_label("From year").fill("2019")
    page.get_by_label("To year").fill("2024")
    page.get_by_role("button", name="Apply").click()
    assert "country=CN" in page.url and "year_from=2019" in page.url

    findings = page.locator("#findings")
    expect(findings).to_contain_text("CN-GD")
    expect(findings).to_contain_text("dimension")
    expect(page.locator("#figure-provinces")).to_contain_text("CN-SC")
    expect(page.locator("#figure-provinces")).not_to_contain_text("US-CA")
    page.screenshot(path=SCREENSHOT, full_page=True)

    with page.expect_download() as download:
        page.locator("#figure-provinces").get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert rows[0] == ["province", "deals", "amount", "share %"]
    assert [row[0] for row in rows[1:]] == ["CN-GD", "CN-SC"]
    assert download.value.suggested_filename == "market-provinces.csv"

    assert problems.csp() == [] and problems.page_errors == []
    assert problems.console_errors == [] and problems.outside_requests == []
    assert problems.http_errors == []
