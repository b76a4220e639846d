"""Two-factor authentication (TOTP): required of regulators and staff before any page, the
admin or a session's API call; offered to everyone else; set up, verified and turned off with
real codes computed from the device's key."""

import base64
import re
from binascii import unhexlify
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.http import urlencode
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import two_factor
from core.choices import Role
from core.models import AuditEntry
from tests.conftest import otp_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery 9"  # tests/factories.py UserFactory
SETUP = "/accounts/2fa/setup/"
VERIFY = "/accounts/2fa/verify/"
DISABLE = "/accounts/2fa/disable/"
# Pages of every kind, the admin among them; each one a signed-in user may open.
PAGES = ["/", "/registry/assets/", "/deals/", "/disclosure/filings/", "/disclosure/templates/",
         "/accounts/tokens/", "/api/docs/"]


def _log_in(client, user):
    """Log in through the login page, with the password only."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return response


def _step(page: str, back: str) -> str:
    """Where a session owing a step is sent: the step's page, then back."""
    return f"{page}?{urlencode({'next': back})}"


def _setup_key(client) -> str:
    """The secret the setup page offers, read as a person reads it (base32), as hex."""
    page = client.get(SETUP).content.decode()
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    return base64.b32decode(secret.replace(" ", "")).hex()


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _let_throttle_pass(device):
    """Move the device's last failure far enough back that the next code is checked."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(days=1))


@pytest.fixture
def new_regulator():
    return UserFactory(username="rene", role=Role.REGULATOR, otp_device=False)


@pytest.fixture
def new_staff():
    return UserFactory(username="stan", is_staff=True, is_superuser=True, otp_device=False)


def test_who_must_use_two_factor_authentication(investor, user_a, regulator, staff):
    """Required of regulators and staff; optional for investors and issuer members."""
    assert {user.username: two_factor.is_required(user)
            for user in (investor, user_a, regulator, staff)} == {
        "ivan": False, "alice": False, "rita": True, "sam": True}


@pytest.mark.parametrize("who", ["new_regulator", "new_staff"])
def test_regulators_and_staff_must_set_up_two_factor_before_any_page(request, client, who):
    """Until they have a device, every page (the admin too) sends them to the setup page,
    which remembers where they were going; only the setup page and logging out stay open."""
    user = request.getfixturevalue(who)
    response = _log_in(client, user)
    assert client.get(response["Location"])["Location"] == _step(SETUP, "/")
    for url in [*PAGES, "/admin/", "/admin/core/user/", "/disclosure/review/"]:
        response = client.get(url, {"page": 2})
        assert response.status_code == 302, url
        assert response["Location"] == _step(SETUP, f"{url}?page=2"), url
        assert client.post(url)["Location"].startswith(SETUP), url
    assert client.get(SETUP).status_code == 200
    assert client.get(VERIFY)["Location"].startswith(SETUP)  # no device: nothing to verify
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"
    assert client.get("/registry/assets/")["Location"].startswith("/accounts/login/")


def test_an_htmx_request_is_sent_to_the_step_as_a_whole_page(client, new_regulator):
    """An htmx fragment request gets HX-Redirect, back to the page it came from afterwards."""
    _log_in(client, new_regulator)
    response = client.get("/deals/", headers={"HX-Request": "true",
                                              "HX-Current-URL": "http://testserver/deals/?q=x"})
    assert response["HX-Redirect"] == _step(SETUP, "/deals/?q=x")


def test_setup_with_a_real_code_turns_two_factor_on(client, new_regulator):
    """The setup page shows a new secret as text and as an SVG QR code in a data: URI; a code
    computed from that secret confirms a device with it, verifies the session and goes on to
    where the regulator was going; a wrong code confirms nothing."""
    _log_in(client, new_regulator)
    page = client.get(f"{SETUP}?next=/deals/")
    html = page.content.decode()
    qr = re.search(r'<img id="two-factor-qr" src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert qr and base64.b64decode(qr.group(1)).startswith(b"<svg")
    assert "Your role requires two-factor authentication" in html
    key = _setup_key(client)
    assert client.get(SETUP).content.decode().count(two_factor.secret_text(key)) == 1  # same

    code = f"{totp(unhexlify(key)):06d}"
    refused = client.post(f"{SETUP}?next=/deals/", {"code": _wrong(code), "next": "/deals/"})
    assert refused.status_code == 200
    assert "does not match the secret" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=new_regulator).exists()

    response = client.post(f"{SETUP}?next=/deals/", {"code": code, "next": "/deals/"})
    assert response.status_code == 302 and response["Location"] == "/deals/"
    device = TOTPDevice.objects.get(user=new_regulator)
    assert device.confirmed and device.key == key
    assert AuditEntry.objects.filter(action="core.user.two_factor_enable",
                                     object_id=str(new_regulator.pk)).exists()
    for url in PAGES + ["/disclosure/review/"]:
        assert client.get(url).status_code == 200, url
    assert "is <strong>on</strong>" in client.get(SETUP).content.decode()
    # The code that confirmed the device cannot log anyone in again.
    client.post("/accounts/logout/")
    _log_in(client, new_regulator)
    assert "not right" in client.post(VERIFY, {"code": code}).content.decode()


def test_staff_need_a_verified_session_for_the_admin(client, staff):
    """Staff with a device are sent from the admin to the code, then let in."""
    device = two_factor.device_for(staff)
    _log_in(client, staff)
    assert client.get("/admin/")["Location"] == _step(VERIFY, "/admin/")
    response = client.post(f"{VERIFY}?next=/admin/", {"code": otp_code(device),
                                                      "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_after_logging_in_again_the_code_is_asked_and_works(client, regulator):
    """With a device, a password login leads to the code; every page and the API wait for
    it; a wrong code is refused; the right one opens the site for this session only."""
    device = two_factor.device_for(regulator)
    _log_in(client, regulator)
    for url in PAGES:
        assert client.get(url)["Location"] == _step(VERIFY, url), url
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    api = client.get("/api/v1/assets/")
    assert api.status_code == 403
    assert "has not passed two-factor authentication" in api.json()["detail"]

    refused = client.post(VERIFY, {"code": _wrong(otp_code(device))})
    assert refused.status_code == 200
    assert "not right" in refused.content.decode()
    _let_throttle_pass(device)
    response = client.post(f"{VERIFY}?next=/registry/assets/",
                           {"code": otp_code(device), "next": "/registry/assets/"})
    assert response["Location"] == "/registry/assets/"
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/assets/").status_code == 200
    assert client.get(VERIFY)["Location"] == "/"  # verified already

    client.post("/accounts/logout/")
    _log_in(client, regulator)
    assert client.get("/")["Location"].startswith(VERIFY)


def test_verify_refuses_to_send_anyone_off_the_site(client, regulator):
    device = two_factor.device_for(regulator)
    _log_in(client, regulator)
    response = client.post(VERIFY, {"code": otp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_regulators_session_without_a_device_is_refused_by_the_api(client, new_regulator):
    _log_in(client, new_regulator)
    response = client.get("/api/v1/assets/")
    assert response.status_code == 403
    assert "required for your role" in response.json()["detail"]


def test_wrong_codes_make_the_next_one_wait(client, regulator):
    """After a wrong code even the right one is refused for a while (1, 2, 4... seconds),
    and logging in with the password again does not reset that."""
    device = two_factor.device_for(regulator)
    _log_in(client, regulator)
    client.post(VERIFY, {"code": _wrong(otp_code(device))})
    hurried = client.post(VERIFY, {"code": otp_code(device)})
    assert "Too many wrong codes: try again in 1 second" in hurried.content.decode()
    client.post("/accounts/logout/")
    _log_in(client, regulator)
    again = client.post(VERIFY, {"code": otp_code(device)})
    assert "Too many wrong codes" in again.content.decode()
    _let_throttle_pass(device)
    assert client.post(VERIFY, {"code": otp_code(device)})["Location"] == "/"


def test_repeated_wrong_codes_lock_the_account_as_passwords_do(client, regulator):
    """Each wrong code is a failed login: after AXES_FAILURE_LIMIT of them the session ends
    with the lock-out page, and the right password is refused too."""
    device = two_factor.device_for(regulator)
    _log_in(client, regulator)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(VERIFY, {"code": _wrong(otp_code(device))}).status_code == 200
        _let_throttle_pass(device)
    locked = client.post(VERIFY, {"code": _wrong(otp_code(device))})
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert not client.get("/").context["user"].is_authenticated
    relogin = client.post("/accounts/login/", {"username": regulator.username,
                                               "password": PASSWORD})
    assert relogin.status_code == 429


def test_an_investor_uses_the_site_without_two_factor_and_may_opt_in(client, investor):
    """An investor goes anywhere after the password; may turn two-factor on (then the code is
    asked at every login) and off again with a code."""
    _log_in(client, investor)
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    offer = client.get(SETUP).content.decode()
    assert "Protect your account" in offer and "Your role requires" not in offer

    key = _setup_key(client)
    response = client.post(SETUP, {"code": f"{totp(unhexlify(key)):06d}"})
    assert response["Location"] == "/"
    device = TOTPDevice.objects.get(user=investor, confirmed=True)
    assert "Turn it off" in client.get(SETUP).content.decode()

    client.post("/accounts/logout/")
    _log_in(client, investor)
    assert client.get("/deals/")["Location"] == _step(VERIFY, "/deals/")
    client.post(VERIFY, {"code": otp_code(device)})
    assert client.get("/deals/").status_code == 200

    refused = client.post(DISABLE, {"code": _wrong(otp_code(device))})
    assert "not right" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=investor).exists()
    _let_throttle_pass(device)
    assert client.post(DISABLE, {"code": otp_code(device)})["Location"] == SETUP
    assert not TOTPDevice.objects.filter(user=investor).exists()
    assert AuditEntry.objects.filter(action="core.user.two_factor_disable").count() == 1
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    client.post("/accounts/logout/")
    _log_in(client, investor)
    assert client.get("/deals/").status_code == 200


def test_regulators_cannot_turn_two_factor_off(client, regulator):
    device = two_factor.device_for(regulator)
    _log_in(client, regulator)
    client.post(VERIFY, {"code": otp_code(device)})
    assert client.get(DISABLE).status_code == 403
    assert client.post(DISABLE, {"code": otp_code(device)}).status_code == 403
    assert TOTPDevice.objects.filter(user=regulator).exists()
    assert "administrator can remove the device" in client.get(SETUP).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in (SETUP, VERIFY, DISABLE, "/accounts/tokens/"):
        assert client.get(url)["Location"].startswith("/accounts/login/?next="), url
