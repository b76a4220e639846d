"""Browser tests: a real Chromium, driven through Playwright, against the live server.

The site runs a strict Content-Security-Policy (no inline script or style), so every test
also collects console errors, uncaught page errors and CSP violations, and blocks any request
that leaves the live server (the pages must work offline).
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from ipregistry.models import IPAsset
from tests.conftest import otp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery 9"  # tests/factories.py UserFactory
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOT = "/tmp/journey-asset.png"

# Reports every CSP violation, including ones the console might word differently.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCspViolation(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`
    + (e.sourceFile ? ` (${e.sourceFile}:${e.lineNumber})` : ""));
});
"""


@dataclass
class Problems:
    """What went wrong in the browser while a test ran."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def csp(self) -> list[str]:
        return self.csp_violations + [m for m in self.console_errors
                                      if "Content Security Policy" in m]


@pytest.fixture
def browser_page(live_server, chromium_path, monkeypatch):
    """A fresh Chromium page on the live server, with its problems collected."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM would refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems = Problems()
    live_host = urlsplit(live_server.url).netloc

    def route(route_, request):
        if urlsplit(request.url).netloc == live_host or request.url.startswith("data:"):
            route_.continue_()
        else:
            problems.outside_requests.append(request.url)
            route_.abort()

    def on_console(msg):
        if msg.type == "error":
            problems.console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")

    def on_response(response):
        if response.status >= 400:
            problems.http_errors.append(f"{response.status} {response.request.method} "
                                        f"{response.url}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url,
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        context.route("**/*", route)
        context.expose_function("__reportCspViolation",
                                lambda text: problems.csp_violations.append(text))
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.page_errors.append(str(exc)))
        page.on("response", on_response)
        try:
            yield page, problems
        finally:
            context.close()
            browser.close()


def log_in(page: Page, user, password: str, otp_device=None) -> None:
    """Log in on the login page; with the user's two-factor device, also enter its current
    code, computed as the user's authenticator app would."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if otp_device is not None:
        expect(page.get_by_role("heading", name="Two-factor code")).to_be_visible()
        page.get_by_label("Code").fill(otp_code(otp_device))
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_issuer_registers_green_patent_and_sees_dispersion_flag(browser_page, user_a,
                                                                issuer_a):
    page, problems = browser_page

    # The issuer logs in from the home page.
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill(user_a.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # ... registers a photovoltaic invention patent with a Y02E code ...
    page.get_by_role("link", name="Register an asset").click()
    expect(page.get_by_role("heading", name="Register an IP asset")).to_be_visible()
    page.get_by_label("Owner").select_option(label=issuer_a.name)
    page.get_by_label("Kind").select_option(label="Invention patent")
    page.get_by_label("Registry number").fill("CN114000001B")
    # get_by_label() matches the label's whole text, with its aria-hidden "*"; the role
    # locator matches the accessible name, "Title", exactly.
    page.get_by_role("textbox", name="Title", exact=True).fill(
        "Perovskite tandem solar cell module")
    page.get_by_label("Country").fill("CN")
    page.get_by_label("Filing date").fill("2021-03-01")
    page.get_by_label("Grant date").fill("2023-06-01")
    page.get_by_label("Expiry date").fill("2041-03-01")
    page.get_by_label("CPC codes").fill("Y02E 10/50")
    page.get_by_label("IPC codes").fill("H01L 31/042")
    page.get_by_label("Status").select_option(label="Active")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Perovskite tandem solar cell module")).to_be_visible()
    asset = IPAsset.objects.get(registry_number="CN114000001B")
    expect(page).to_have_url(re.compile(rf"/registry/assets/{asset.pk}/$"))

    # ... adds two valuations 40 % apart ...
    for appraiser, method, value, date in [
        ("Shenzhen Appraisal Co.", "Income", "1000000", "2024-06-30"),
        ("Guangdong Valuation LLP", "Market", "1400000", "2024-09-30"),
    ]:
        page.get_by_role("link", name="Add a valuation").click()
        expect(page.get_by_role("heading", name="Add a valuation")).to_be_visible()
        page.get_by_label("Appraiser").fill(appraiser)
        page.get_by_label("Method").select_option(label=method)
        page.get_by_role("spinbutton", name="Value", exact=True).fill(value)
        page.get_by_label("Currency").fill("CNY")
        page.get_by_label("Valuation date").fill(date)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Valuations")).to_be_visible()
        expect(page.get_by_role("cell", name=appraiser)).to_be_visible()

    # ... and sees the asset marked green and its dispersion flagged, on the page the last
    # save led to (the dispersion task ran once that save committed, before the redirect).
    expect(page.locator("#green-badge")).to_be_visible()
    expect(page.locator("#green-badge")).to_have_text("Green")
    expect(page.locator("#green-categories").get_by_role("cell", name="Y02E", exact=True)
           ).to_be_visible()
    expect(page.locator("#dispersion")).to_contain_text("40.0 %")
    expect(page.locator("#dispersion")).to_contain_text("above the 30 % threshold")
    expect(page.locator("#dispersion-flag")).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)

    assert not problems.csp(), f"CSP violations: {problems.csp()}"
    assert not problems.console_errors, f"console errors: {problems.console_errors}"
    assert not problems.page_errors, f"uncaught page errors: {problems.page_errors}"
    assert not problems.http_errors, f"HTTP errors: {problems.http_errors}"
    assert not problems.outside_requests, f"requests leaving the site: {problems.outside_requests}"


def test_five_wrong_passwords_lock_the_account(browser_page, user_a):
    page, problems = browser_page

    for _attempt in range(4):
        log_in(page, user_a, "not the password")
        expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    log_in(page, user_a, "not the password")
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()

    # Even the right password is now refused.
    log_in(page, user_a, PASSWORD)
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto("/registry/assets/new/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))

    assert not problems.csp(), f"CSP violations: {problems.csp()}"
    assert not problems.page_errors, f"uncaught page errors: {problems.page_errors}"
    assert not problems.outside_requests, f"requests leaving the site: {problems.outside_requests}"


def test_api_docs_render_swagger_ui_offline(browser_page, user_a):
    page, problems = browser_page

    log_in(page, user_a, PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API").click()
    expect(page).to_have_url(re.compile(r"/api/docs/$"))
    expect(page.get_by_role("heading", name=re.compile("IP securitization registry API"))
           ).to_be_visible()
    # The schema was fetched and rendered: the operations are listed.
    expect(page.locator(".opblock").first).to_be_visible()

    assert not problems.csp(), f"CSP violations: {problems.csp()}"
    assert not problems.console_errors, f"console errors: {problems.console_errors}"
    assert not problems.page_errors, f"uncaught page errors: {problems.page_errors}"
    assert not problems.http_errors, f"HTTP errors: {problems.http_errors}"
    assert not problems.outside_requests, f"requests leaving the site: {problems.outside_requests}"
