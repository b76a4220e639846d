"""API tokens (django-rest-knox): stored as hashes, issued for API_TOKEN_TTL_HOURS with a
two-factor code where the user has a device, refused once expired or revoked, listed and
revoked on /accounts/tokens/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from core import two_factor
from core.choices import Role
from core.models import AuditEntry
from tests.conftest import api_token, otp_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery 9"  # tests/factories.py UserFactory
TOKEN_URL = "/api/v1/auth/token/"


def _token_login(api, user, **extra):
    return api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD, **extra},
                    format="json")


def _as(api, key):
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_token_login_gives_an_expiring_token_stored_only_as_a_hash(api, user_a):
    """The answer carries the key and its expiry, API_TOKEN_TTL_HOURS (30 days) ahead; the
    database keeps a hash, never the key."""
    before = timezone.now()
    response = _token_login(api, user_a)
    assert response.status_code == 200
    key, expiry = response.json()["token"], response.json()["expiry"]
    token = AuthToken.objects.get(user=user_a)
    assert key not in (token.digest, token.token_key) and token.digest != key
    assert timedelta(days=30) <= token.expiry - before <= timedelta(days=30, minutes=1)
    assert expiry.startswith(token.expiry.strftime("%Y-%m-%dT%H:%M:%S"))
    assert _as(api, key).get("/api/v1/assets/").status_code == 200
    assert AuditEntry.objects.filter(action="core.user.api_token_create",
                                     object_id=str(user_a.pk)).exists()


def test_the_token_lifetime_comes_from_the_settings(api, user_a, settings):
    settings.API_TOKEN_TTL_HOURS = 2
    _token_login(api, user_a)
    token = AuthToken.objects.get(user=user_a)
    assert timedelta(hours=2) - (token.expiry - token.created) < timedelta(seconds=5)


def test_token_login_of_a_user_with_two_factor_needs_a_current_code(api):
    """Missing or wrong, the code is refused with a 400 naming `otp`; the right one gives a
    token; a code given once is not taken again."""
    investor = UserFactory(username="olga", role=Role.INVESTOR, otp_device=True)  # opted in
    device = two_factor.device_for(investor)
    missing = _token_login(api, investor)
    assert missing.status_code == 400 and list(missing.json()) == ["otp"]
    code = otp_code(device)
    wrong = _token_login(api, investor, otp=f"{(int(code) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 400 and "not right" in wrong.json()["otp"][0]
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    right = _token_login(api, investor, otp=code)
    assert right.status_code == 200 and right.json()["token"]
    again = _token_login(api, investor, otp=code)
    assert again.status_code == 400 and list(again.json()) == ["otp"]
    assert AuthToken.objects.filter(user=investor).count() == 1


def test_token_login_of_a_regulator_needs_two_factor_set_up_first(api, regulator):
    """A regulator without a device gets no token: the API is no way around the setup."""
    newcomer = UserFactory(username="rene", role=Role.REGULATOR, otp_device=False)
    response = _token_login(api, newcomer)
    assert response.status_code == 400
    assert "set it up" in response.json()["otp"][0]
    code = otp_code(two_factor.device_for(regulator))
    assert _token_login(api, regulator, otp=code).status_code == 200


def test_token_login_refuses_a_wrong_password_before_asking_for_a_code(api, regulator):
    response = _token_login(api, regulator, password="wrong password")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided "
                                                    "credentials."]}


def test_an_expired_token_is_refused(api, user_a):
    key = api_token(user_a)
    AuthToken.objects.filter(user=user_a).update(expiry=timezone.now() - timedelta(seconds=1))
    response = _as(api, key).get("/api/v1/assets/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    # The next token login clears it.
    api_token(user_a)
    assert AuthToken.objects.filter(user=user_a).count() == 1


def test_revoke_ends_the_calling_token_only(api, user_a):
    kept, revoked = api_token(user_a), api_token(user_a)
    response = _as(api, revoked).post("/api/v1/auth/token/revoke/")
    assert response.status_code == 204
    assert _as(api, revoked).get("/api/v1/assets/").status_code == 401
    assert _as(api, kept).get("/api/v1/assets/").status_code == 200
    assert AuditEntry.objects.filter(action="core.user.api_token_revoke").count() == 1


def test_revoke_needs_a_token(api, client, user_a):
    """Without a token there is nothing to revoke: anonymous and session calls are refused."""
    assert api.post("/api/v1/auth/token/revoke/").status_code == 401
    client.force_login(user_a)
    assert client.post("/api/v1/auth/token/revoke/").status_code == 401


def test_revoke_all_ends_every_token_of_the_user(api, user_a, user_b):
    first, second = api_token(user_a), api_token(user_a)
    other = api_token(user_b)
    response = _as(api, first).post("/api/v1/auth/token/revoke-all/")
    assert response.status_code == 200 and response.json() == {"revoked": 2}
    for key in (first, second):
        assert _as(api, key).get("/api/v1/assets/").status_code == 401
    assert _as(api, other).get("/api/v1/assets/").status_code == 200


def test_the_tokens_page_lists_and_revokes_the_users_own_tokens(client, user_a, user_b, api):
    """/accounts/tokens/ shows each live token's issue date, expiry and the last 8 characters
    of its prefix, with a revoke button; another user's token cannot be revoked from it."""
    first, second = api_token(user_a), api_token(user_a)
    other = api_token(user_b)
    expired = api_token(user_a)
    AuthToken.objects.filter(token_key=expired[:15]).update(
        expiry=timezone.now() - timedelta(seconds=1))
    client.force_login(user_a)
    page = client.get("/accounts/tokens/")
    html = page.content.decode()
    assert page.status_code == 200
    assert [token.token_key for token in page.context["tokens"]] == [second[:15], first[:15]]
    for key in (first, second):
        assert key[7:15] in html and key not in html and key[:15] not in html
    assert other[7:15] not in html and expired[7:15] not in html

    foreign = AuthToken.objects.get(user=user_b)
    assert client.post("/accounts/tokens/revoke/", {"token": foreign.digest}).status_code == 404
    assert _as(api, other).get("/api/v1/assets/").status_code == 200

    digest = AuthToken.objects.get(token_key=first[:15]).digest
    response = client.post("/accounts/tokens/revoke/", {"token": digest}, follow=True)
    assert f"Revoked the token ending {first[7:15]}" in response.content.decode()
    assert _as(api, first).get("/api/v1/assets/").status_code == 401
    assert _as(api, second).get("/api/v1/assets/").status_code == 200

    response = client.post("/accounts/tokens/revoke/", {"all": "1"}, follow=True)
    assert "Revoked 1 token." in response.content.decode()  # the expired one was dead already
    assert not AuthToken.objects.filter(user=user_a).exists()
    assert _as(api, second).get("/api/v1/assets/").status_code == 401
    assert client.get("/accounts/tokens/revoke/").status_code == 405
