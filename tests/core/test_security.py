"""Accounts and security defaults: hashing, lock-out, rate limits, CSP, production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from config.settings import base
from core import two_factor
from core.choices import Role
from tests.conftest import api_token, otp_code
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery 9"  # tests/factories.py UserFactory


def test_passwords_are_hashed_with_argon2_outside_tests():
    """Every environment but the test suite hashes with Argon2 first."""
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_login_and_logout_pages(client, user_a):
    """A user logs in on the login page, lands home, and logs out with a POST."""
    response = client.post("/accounts/login/", {"username": "alice",
                                                "password": "correct horse battery 9"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"].username == "alice"
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not client.get("/").context["user"].is_authenticated


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account(client, user_a):
    """After five failures even the right password is refused, on the page and the API."""
    statuses = [client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
                .status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    # The form is shown again after each failure; the last one locks the account.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    response = client.post("/accounts/login/", {"username": "alice",
                                                "password": "correct horse battery 9"})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    _assert_strict_policy(response)
    api_response = client.post("/api/v1/auth/token/", {"username": "alice",
                                                       "password": "correct horse battery 9"})
    assert api_response.status_code in (400, 429)
    assert "token" not in api_response.content.decode()


@pytest.mark.django_db
def test_token_login(api, user_a):
    """POST /api/v1/auth/token/ answers a token that then authenticates requests."""
    response = api.post("/api/v1/auth/token/", {"username": "alice",
                                                "password": "correct horse battery 9"},
                        format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/assets/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get("/api/v1/assets/").status_code == 401


def _assert_strict_policy(response) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    # The two-factor setup page's QR code is an image in a data: URI; nothing else is let in.
    assert directives["img-src"] == "'self' data:"


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client, user_a):
    """No inline script or style is allowed anywhere, and framing is refused."""
    client.force_login(user_a)
    _assert_strict_policy(client.get("/registry/assets/"))


@pytest.mark.django_db
def test_account_pages_carry_the_strict_policy_too(client, settings):
    """The login, two-factor (the setup page with its QR code), tokens and rate-limit pages
    send the same policy."""
    UserFactory(username="rene", role=Role.REGULATOR, otp_device=False)
    opted_in = UserFactory(username="olga", otp_device=True)
    _assert_strict_policy(client.get("/accounts/login/"))
    client.post("/accounts/login/", {"username": "rene", "password": PASSWORD})
    setup = client.get("/accounts/2fa/setup/")
    assert setup.status_code == 200 and b'src="data:image/svg+xml;base64,' in setup.content
    _assert_strict_policy(setup)
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "olga", "password": PASSWORD})
    verify = client.get("/accounts/2fa/verify/")
    assert verify.status_code == 200
    _assert_strict_policy(verify)
    client.post("/accounts/2fa/verify/", {"code": otp_code(two_factor.device_for(opted_in))})
    for url in ("/accounts/2fa/setup/", "/accounts/2fa/disable/", "/accounts/tokens/"):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_strict_policy(response)
    client.post("/accounts/logout/")
    cache.clear()
    settings.REST_FRAMEWORK = _with_rates(settings, login="1/min")
    client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    limited = client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    assert limited.status_code == 429
    _assert_strict_policy(limited)
    cache.clear()


def _with_rates(settings, **rates) -> dict:
    """REST_FRAMEWORK with these rate limits (the test settings set none)."""
    framework = settings.REST_FRAMEWORK
    return {**framework, "DEFAULT_THROTTLE_RATES": {
        **framework["DEFAULT_THROTTLE_RATES"], **rates}}


@pytest.fixture
def fresh_counts():
    """Rate-limit counts start from zero, and leave none behind."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_anonymous_api_calls_are_limited_per_address(api, settings, fresh_counts):
    """Beyond the "anon" rate, an address gets 429 with Retry-After; another is still served,
    and a forged X-Forwarded-For does not make a new address (no proxy is configured)."""
    settings.REST_FRAMEWORK = _with_rates(settings, anon="3/min")
    statuses = [api.get("/api/v1/templates/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/api/v1/templates/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "throttled" in refused.json()["detail"].lower()
    assert api.get("/api/v1/templates/", REMOTE_ADDR="198.51.100.7").status_code == 200


@pytest.mark.django_db
def test_signed_in_api_calls_are_limited_per_user(api, user_a, user_b, settings, fresh_counts):
    settings.REST_FRAMEWORK = _with_rates(settings, user="2/min")
    _authorize(api, user_a)
    assert [api.get("/api/v1/assets/").status_code for _ in range(3)] == [200, 200, 429]
    _authorize(api, user_b)
    assert api.get("/api/v1/assets/").status_code == 200


@pytest.mark.django_db
def test_the_token_endpoint_has_its_own_tighter_limit(api, user_a, settings, fresh_counts):
    """Token logins beyond the "token" rate get 429 even with the right password, while the
    rest of the API still answers that address."""
    settings.REST_FRAMEWORK = _with_rates(settings, token="2/min", anon="100/min")
    credentials = {"username": "alice", "password": PASSWORD}
    statuses = [api.post("/api/v1/auth/token/", credentials, format="json").status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api.get("/api/v1/templates/").status_code == 200


@pytest.mark.django_db
def test_login_posts_are_limited_per_address(client, user_a, settings, fresh_counts):
    """Beyond the "login" rate, login posts from an address get a 429 page saying how long to
    wait, whatever the user name (the admin's login form counts too); showing the form does
    not count, and another address may still log in."""
    settings.REST_FRAMEWORK = _with_rates(settings, login="3/min")
    for name in ("carol", "dave"):
        assert client.post("/accounts/login/", {"username": name, "password": "x"}
                           ).status_code == 200
    assert client.post("/admin/login/", {"username": "erin", "password": "x"}).status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    limited = client.post("/accounts/login/", {"username": "alice",
                                               "password": "correct horse battery 9"})
    assert limited.status_code == 429
    assert b"Too many login attempts" in limited.content
    assert int(limited["Retry-After"]) > 0
    assert client.post("/admin/login/", {"username": "alice", "password": "x"}
                       ).status_code == 429
    other = client.post("/accounts/login/", {"username": "alice",
                                             "password": "correct horse battery 9"},
                        REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302


def _authorize(api, user) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")


def _run_with_production_settings(env_overrides: dict, *args: str):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("DJANGO_") and key != "DATABASE_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_overrides})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("env", "message"), [
    ({"DJANGO_ALLOWED_HOSTS": "registry.example.org"}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_SECRET_KEY": "insecure-local-development-key-not-for-production-xxxxxxxx",
      "DJANGO_ALLOWED_HOSTS": "registry.example.org"}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_SECRET_KEY": secrets.token_urlsafe(64)}, "DJANGO_ALLOWED_HOSTS"),
    ({"DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "DJANGO_ALLOWED_HOSTS": "*"},
     "DJANGO_ALLOWED_HOSTS"),
])
def test_production_refuses_to_start_without_real_secret_and_hosts(env, message):
    """Production settings stop at import with a message naming what is missing."""
    result = _run_with_production_settings(env, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_deploy_checklist_is_clean_under_production_settings():
    """`manage.py check --deploy` reports nothing under production settings."""
    result = _run_with_production_settings(
        {"DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
         "DJANGO_ALLOWED_HOSTS": "registry.example.org"},
        "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
