"""Browser test of two-factor setup: a new regulator is sent to set it up at the first login
and from every page, scans (here: reads) the QR code's secret, confirms it with a code and
goes on; the next login asks for the code. In a real Chromium, failing on CSP violations (the
QR code is an image in a data: URI), console errors and requests leaving the site."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from core import two_factor
from core.choices import Role
from tests.browser import expect_drawn
from tests.browser import test_issuer_journey as journey
from tests.browser.test_issuer_journey import PASSWORD, log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser_page = journey.browser_page
SCREENSHOT = "/tmp/two-factor-setup.png"


def test_a_new_regulator_sets_up_two_factor_then_logs_in_with_a_code(browser_page):
    page, problems = browser_page
    regulator = UserFactory(username="rene", role=Role.REGULATOR, otp_device=False)

    # The first login leads to the setup page, from wherever the regulator was going.
    page.goto("/disclosure/review/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Username").fill(regulator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    expect(page.get_by_text("Your role requires two-factor authentication")).to_be_visible()
    qr = page.get_by_role("img", name="QR code of your two-factor secret")
    expect(qr).to_be_visible()
    expect_drawn(qr, "the QR code")
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()

    # The app takes the secret; its code turns two-factor on and the page asked for last opens.
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill(f"{totp(base64.b32decode(secret)):06d}")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page).to_have_url(re.compile(r"/deals/$"))
    expect(page.get_by_role("status")).to_contain_text("Two-factor authentication is on")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    expect(page).to_have_url(re.compile(r"/disclosure/review/$"))
    page.get_by_role("button", name="Log out").click()

    # The next login asks for the code.
    log_in(page, regulator, PASSWORD, otp_device=two_factor.device_for(regulator))
    page.goto("/disclosure/review/")
    expect(page).to_have_url(re.compile(r"/disclosure/review/$"))

    assert problems.csp() == [], problems.csp()
    assert problems.console_errors == [] and problems.page_errors == []
    assert problems.outside_requests == []
