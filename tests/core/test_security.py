"""Accounts and security defaults: hashing, lock-out, CSP, production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.settings import base

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client, user_a):
    """No inline script or style is allowed anywhere, and framing is refused."""
    client.force_login(user_a)
    policy = client.get("/registry/assets/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


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
