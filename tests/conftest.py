"""Shared fixtures: one user per role, two issuers with their members, and an API client;
API tokens and two-factor codes for tests."""

import os
import shutil
import time

import pytest
from django.test.client import ClientMixin
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from rest_framework.test import APIClient

from core import services, two_factor
from core.choices import Role
from ipregistry.choices import MembershipRole
from tests.factories import IssuerFactory, MembershipFactory, UserFactory

CHROMIUM = "/usr/bin/chromium"


def require_or_skip(available: bool, reason: str) -> None:
    """Skip a test whose outside part is missing here; in CI, where it must exist, fail."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


def api_token(user) -> str:
    """A fresh API token of the user, as POST /api/v1/auth/token/ gives it."""
    return services.api_token_create(user=user)[1]


def otp_code(device) -> str:
    """The device's next code, as its authenticator app would show it: the current time
    step's, or a later one within the device's tolerance when that was used already (a device
    accepts each step once); waits for the next step when both were."""
    device.refresh_from_db()
    while True:
        now = int(time.time() - device.t0) // device.step + device.drift
        step = max(now, device.last_t + 1)
        if step <= now + device.tolerance:
            return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.1)


@pytest.fixture(autouse=True, scope="session")
def force_login_completes_two_factor():
    """`force_login` skips the login pages, so let it skip their second step too: the session
    is verified with the user's two-factor device where they have one. The tests of the steps
    themselves log in through the pages (tests/core/test_two_factor.py). Session-wide, so
    module-scoped data fixtures that measure pages get it too."""
    force_login = ClientMixin.force_login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        device = two_factor.device_for(user)
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientMixin, "force_login", force_login_verified)
        yield


@pytest.fixture
def issuer_a(db):
    return IssuerFactory(name="Shenzhen Alpha Photovoltaic Co., Ltd.")


@pytest.fixture
def issuer_b(db):
    return IssuerFactory(name="Beijing Beta Biotech Co., Ltd.", province="CN-BJ", city="Beijing")


@pytest.fixture
def user_a(issuer_a):
    return MembershipFactory(issuer=issuer_a, user__username="alice",
                             role=MembershipRole.APPROVER).user


@pytest.fixture
def preparer_a(issuer_a):
    return MembershipFactory(issuer=issuer_a, user__username="paul",
                             role=MembershipRole.PREPARER).user


@pytest.fixture
def user_b(issuer_b):
    return MembershipFactory(issuer=issuer_b, user__username="bob").user


@pytest.fixture
def regulator(db):
    return UserFactory(username="rita", role=Role.REGULATOR)


@pytest.fixture
def investor(db):
    return UserFactory(username="ivan", role=Role.INVESTOR)


@pytest.fixture
def staff(db):
    return UserFactory(username="sam", role=Role.INVESTOR, is_staff=True, is_superuser=True)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def chromium_path():
    require_or_skip(os.path.exists(CHROMIUM) or bool(shutil.which("chromium")),
                    f"no Chromium at {CHROMIUM}")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
