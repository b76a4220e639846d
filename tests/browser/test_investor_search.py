"""Browser test of the investor's journey (the issue): an investor searches "patent Shenzhen",
narrows by facets, opens a deal and downloads the CSV.

Runs in a real Chromium against the live server, through `browser_page` of
test_issuer_journey.py, so it also fails on console errors, CSP violations, HTTP errors and
requests that leave the site.
"""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from deals import services
from deals.choices import DealStatus
from ipregistry.choices import AssetKind
from tests.browser import expect_drawn
from tests.browser import test_issuer_journey as journey
from tests.browser.test_issuer_journey import PASSWORD, log_in
from tests.deals.test_services import issued, make_deal
from tests.factories import IPAssetFactory, IssuerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The issuer journey's Chromium page, with its problems collected (console errors, CSP
# violations, HTTP errors, requests leaving the site).
browser_page = journey.browser_page

SEARCH_SCREENSHOT = "/tmp/investor-search.png"
DEAL_SCREENSHOT = "/tmp/investor-deal.png"

# The Shenzhen deals with "patent" in their text: name, originator, SPV, city, beneficiaries,
# asset titles or use of proceeds. Structure and issue date vary; the first is green.
SHENZHEN_PLEDGED = ["Shenzhen Patent ABS 2024-1", "Qianhai Patent Pledge Notes 2023",
                    "Nanshan Patent Pledge Notes 2022"]
SHENZHEN_ROYALTY = ["Futian Patent Royalty Trust 2024", "Longgang Patent Licence ABS 2023"]
NOT_MATCHING = ["Beijing Patent ABS 2024",  # a patent deal, but not in Shenzhen
                "Silicon Valley Patent Royalty Notes 2023",  # a US one
                "Shenzhen Brand Royalty ABS 2023"]  # Shenzhen, but trademarks: no "patent"
DRAFT = "Shenzhen Patent ABS 2025 (draft)"


def _deal(originator, asset, **overrides):
    return issued(make_deal(originator, **overrides), asset)


@pytest.fixture
def deals(issuer_a, issuer_b):
    """Eight issued deals and a Shenzhen draft, made through the services."""
    qianhai = IssuerFactory(name="Qianhai Semiconductor Co., Ltd.")
    valley = IssuerFactory(name="Valley Photonics Inc.", country="US", province="US-CA",
                           city="San Jose", uscc="")
    for year, rate in ((2022, "0.0540"), (2023, "0.0520"), (2024, "0.0495")):
        services.benchmark_create(actor=None, country="CN", year=year, currency="CNY",
                                  sme_loan_rate=Decimal(rate))
    solar = IPAssetFactory(owner=issuer_a, title="Perovskite tandem solar cell module",
                           cpc_codes=["Y02E 10/50"], ipc_codes=["H01L 31/042"])
    made = {
        SHENZHEN_PLEDGED[0]: _deal(
            issuer_a, solar, label="green", sdg_targets=["7.2", "13.a"],
            use_of_proceeds="Photovoltaic module production lines"),
        SHENZHEN_PLEDGED[1]: _deal(
            qianhai, IPAssetFactory(owner=qianhai, title="Wafer bonding method"),
            name=SHENZHEN_PLEDGED[1], issue_date=date(2023, 5, 10)),
        SHENZHEN_PLEDGED[2]: _deal(
            issuer_a, IPAssetFactory(owner=issuer_a), name=SHENZHEN_PLEDGED[2],
            issue_date=date(2022, 9, 1)),
        SHENZHEN_ROYALTY[0]: _deal(
            qianhai, IPAssetFactory(owner=qianhai, title="Chip packaging substrate"),
            name=SHENZHEN_ROYALTY[0], structure="licence_royalty",
            issue_date=date(2024, 8, 20)),
        SHENZHEN_ROYALTY[1]: _deal(
            issuer_a, IPAssetFactory(owner=issuer_a, kind=AssetKind.UTILITY_MODEL,
                                     registry_number="CN212345678U"),
            name=SHENZHEN_ROYALTY[1], structure="licence_royalty",
            issue_date=date(2023, 11, 15)),
        NOT_MATCHING[0]: _deal(
            issuer_b, IPAssetFactory(owner=issuer_b, title="Monoclonal antibody purification"),
            name=NOT_MATCHING[0], province="CN-BJ", city="Beijing", spv_name="Yanjing SPV"),
        NOT_MATCHING[1]: _deal(
            valley, IPAssetFactory(owner=valley, registry_number="US11000001B2", country="US",
                                   title="Silicon photonics transceiver"),
            name=NOT_MATCHING[1], country="US", province="US-CA", city="San Jose",
            currency="USD", spv_name="Valley IP Trust", issue_date=date(2023, 2, 1)),
        NOT_MATCHING[2]: _deal(
            qianhai, IPAssetFactory(owner=qianhai, kind=AssetKind.TRADEMARK,
                                    registry_number="30000001", title="Qianhai Chip brand",
                                    cpc_codes=[], ipc_codes=[]),
            name=NOT_MATCHING[2], structure="licence_royalty", issue_date=date(2023, 7, 1)),
    }
    # A Shenzhen patent draft matches the words but must stay hidden from investors.
    draft = make_deal(issuer_a, name=DRAFT, issue_date=date(2025, 1, 1))
    services.pool_add(actor=None, deal=draft, asset=IPAssetFactory(owner=issuer_a),
                      cutoff_value=Decimal("120"), financing_amount=Decimal("100"))
    assert draft.status == DealStatus.DRAFT
    assert all(deal.status == DealStatus.ISSUED for deal in made.values())
    return made


def _listed(page: Page) -> list[str]:
    """The deal names in the results table, in order."""
    return page.locator("#deal-table tbody tr td:first-child a").all_inner_texts()


def _facet(page: Page, key: str) -> dict[str, int]:
    """A facet's values and counts as shown: {label: count}."""
    counts = {}
    for label in page.locator(f"#facet-{key} label").all():
        text = " ".join(label.inner_text().split())
        name, _, count = text.rpartition(" ")
        counts[name] = int(count)
    return counts


def _expect_results(page: Page, names: list[str]) -> None:
    """The results table shows exactly these deals (in any order), and says how many."""
    rows = page.locator("#deal-table tbody tr")
    expect(rows).to_have_count(len(names))
    for name in names:
        expect(page.locator("#deal-table").get_by_role("link", name=name, exact=True)
               ).to_be_visible()
    plural = "" if len(names) == 1 else "s"
    expect(page.locator("#deal-results")).to_contain_text(f"{len(names)} deal{plural}")


def test_investor_searches_narrows_opens_a_deal_and_exports_csv(browser_page, investor, deals,
                                                                live_server):
    page, problems = browser_page
    matching = SHENZHEN_PLEDGED + SHENZHEN_ROYALTY

    # The investor logs in and goes to Deals: every issued deal, never the draft.
    log_in(page, investor, PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    expect(page.get_by_role("heading", name="Deals", exact=True)).to_be_visible()
    _expect_results(page, list(deals))
    expect(page.get_by_text(DRAFT)).to_have_count(0)

    # ... types "patent Shenzhen": htmx replaces the results and pushes the URL.
    page.get_by_label("Search deals").fill("patent Shenzhen")
    expect(page).to_have_url(re.compile(r"[?&]q=patent(\+|%20)Shenzhen"))
    _expect_results(page, matching)
    for name in NOT_MATCHING + [DRAFT]:
        expect(page.locator("#deal-table").get_by_text(name)).to_have_count(0)
    assert _facet(page, "structure") == {"Pledged loan": 3, "Licence royalty": 2}
    assert _facet(page, "issue_year") == {"2024": 2, "2023": 2, "2022": 1}
    assert _facet(page, "label") == {"None": 4, "Green": 1}
    assert list(_facet(page, "province").values()) == [5]

    # ... ticks Structure = Pledged loan: the list and the counts narrow.
    # Straight from typing, as a user does: the click also blurs the search box, whose
    # "change" starts a request of its own just before the tick's.
    page.locator("#facet-structure").get_by_label(re.compile(r"^\s*Pledged loan")).check()
    try:
        expect(page, "the tick on Structure = Pledged loan must reach the search (URL)"
               ).to_have_url(re.compile(r"[?&]structure=pledged_loan"))
        _expect_results(page, SHENZHEN_PLEDGED)
        expect(page.locator("#facet-structure input[value=pledged_loan]"),
               "the ticked facet must stay ticked").to_be_checked()
    finally:
        page.screenshot(path=SEARCH_SCREENSHOT, full_page=True)
    assert _facet(page, "structure") == {"Pledged loan": 3}
    assert _facet(page, "issue_year") == {"2024": 1, "2023": 1, "2022": 1}
    assert _facet(page, "label") == {"None": 2, "Green": 1}
    expect(page.locator("#id_q")).to_have_value("patent Shenzhen")
    narrowed = _listed(page)

    # The URL holds the whole search ...
    params = parse_qs(urlsplit(page.url).query)
    assert params["q"] == ["patent Shenzhen"]
    assert params["structure"] == ["pledged_loan"]
    search_url = page.url

    # ... so it can be shared: a fresh page on that URL shows the same results.
    other = page.context.new_page()
    other.on("console", lambda msg: msg.type == "error" and problems.console_errors.append(
        f"{msg.text} @ {msg.location.get('url', '')} (shared page)"))
    other.on("pageerror", lambda exc: problems.page_errors.append(f"{exc} (shared page)"))
    other.goto(search_url)
    expect(other.locator("#id_q")).to_have_value("patent Shenzhen")
    expect(other.locator("#facet-structure input[value=pledged_loan]")).to_be_checked()
    _expect_results(other, SHENZHEN_PLEDGED)
    assert _listed(other) == narrowed
    other.close()

    # ... opens the green deal: capital stack, pool, financing cost and status.
    page.locator("#deal-table").get_by_role("link", name=SHENZHEN_PLEDGED[0]).click()
    expect(page.get_by_role("heading", name=SHENZHEN_PLEDGED[0], level=1)).to_be_visible()
    expect(page.locator("#deal-status")).to_have_text("Issued")
    expect(page.get_by_role("heading", name="Capital stack")).to_be_visible()
    chart = page.get_by_role("img", name=re.compile("Capital stack"))
    expect(chart).to_be_visible()
    expect_drawn(chart, "capital stack chart")
    tranches = page.locator("#tranches tbody tr")
    expect(tranches).to_have_count(2)
    expect(tranches.nth(0)).to_contain_text("AAA")
    expect(tranches.nth(0)).to_contain_text("4.00")
    expect(page.locator("#pool tbody tr")).to_have_count(1)
    expect(page.locator("#pool")).to_contain_text("Perovskite tandem solar cell module")
    expect(page.locator("#pool")).to_contain_text("Invention patent")
    expect(page.locator("#pool .badge.green")).to_be_visible()
    # Senior coupon 4.00 % against the CN 2024 SME loan rate 4.95 %: 95 bp cheaper.
    expect(page.locator("#financing-cost")).to_contain_text("4.95")
    expect(page.locator("#financing-cost")).to_contain_text("95 bp")
    expect(page.locator("#financing-cost")).to_contain_text("cheaper")
    page.screenshot(path=DEAL_SCREENSHOT, full_page=True)

    # ... goes back to the narrowed search and downloads it as CSV.
    page.go_back()
    expect(page).to_have_url(search_url)
    _expect_results(page, SHENZHEN_PLEDGED)
    export = page.locator("#export-csv")
    export_params = parse_qs(urlsplit(export.get_attribute("href")).query)
    assert export_params["q"] == ["patent Shenzhen"]
    assert export_params["structure"] == ["pledged_loan"]
    with page.expect_download() as download_info:
        export.click()
    download = download_info.value
    assert download.suggested_filename == "deals.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["deal_id", "name", "originator"]
    assert "spread_bp" in header and "url" in header
    assert [row[header.index("name")] for row in body] == narrowed
    assert {row[header.index("structure")] for row in body} == {"pledged_loan"}
    assert {row[header.index("status")] for row in body} == {"issued"}
    by_name = {row[header.index("name")]: row for row in body}
    green = by_name[SHENZHEN_PLEDGED[0]]
    assert green[header.index("label")] == "green"
    assert green[header.index("url")] == \
        f"{live_server.url}{deals[SHENZHEN_PLEDGED[0]].get_absolute_url()}"

    assert not problems.csp(), f"CSP violations: {problems.csp()}"
    assert not problems.console_errors, f"console errors: {problems.console_errors}"
    assert not problems.page_errors, f"uncaught page errors: {problems.page_errors}"
    assert not problems.http_errors, f"HTTP errors: {problems.http_errors}"
    assert not problems.outside_requests, f"requests leaving the site: {problems.outside_requests}"
