"""Shared fixtures: one user per role, two issuers with their members, and an API client."""

import os
import shutil

import pytest
from rest_framework.test import APIClient

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
