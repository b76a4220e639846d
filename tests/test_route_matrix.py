"""Every route of the URL configuration, for every role (issue 7).

The routes are enumerated from the resolver, not from a hand-kept list: a route without a row
in RULES fails `test_every_route_has_a_rule`, so a new view cannot ship without its rule. Each
rule gives the GET status per role on one world whose records are public where the route shows
one (an issued deal, an accepted filing) and owned by issuer A: roles are anonymous, A's
approver, B's member, an investor, a regulator and staff. Writes are checked in depth, with
their effects and audit entries, by the per-app matrices (tests/*/test_permissions.py); here a
POST-only route is a GET answered 405 (or the login redirect), and each of them must refuse an
anonymous POST without writing.

Codes per role, in ROLES order: anonymous, member_a, member_b, investor, regulator, staff.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import AuditEntry, RecomputeRun
from disclosure import market_build
from disclosure import services as filing_services
from disclosure.models import DisclosureTemplate
from disclosure.templates_loader import load_templates
from tests.deals.test_permissions import module_transaction
from tests.deals.test_services import issued, make_deal
from tests.disclosure.conftest import answers
from tests.factories import (
    FinancialsFactory,
    IPAssetFactory,
    IssuerFactory,
    LicenceFactory,
    MembershipFactory,
    PledgeFactory,
    ReceiptFactory,
    UserFactory,
    ValuationFactory,
)

ROLES = ("anonymous", "member_a", "member_b", "investor", "regulator", "staff")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SKIPPED = ("admin/",)  # the admin: staff only, through django-otp's checks (tests/core)


def routes():
    """(route name, pattern) of every named route; format-suffix twins share their name."""
    found = {}

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith(SKIPPED):
                    continue
                name = f"{namespace}{pattern.name}" if pattern.name else route
                found.setdefault(name, route)

    walk(get_resolver().url_patterns, "", "")
    return found


@dataclass
class World:
    users: dict
    ids: dict


def build_world() -> World:
    load_templates()
    issuer_a = IssuerFactory(name="Shenzhen Alpha Photovoltaic Co., Ltd.")
    issuer_b = IssuerFactory(name="Beijing Beta Biotech Co., Ltd.", province="CN-BJ",
                             city="Beijing")
    users = {
        "anonymous": None,
        "member_a": MembershipFactory(issuer=issuer_a, user__username="alice",
                                      role="approver").user,
        "member_b": MembershipFactory(issuer=issuer_b, user__username="bob").user,
        "investor": UserFactory(username="ivan", role="investor"),
        "regulator": UserFactory(username="rita", role="regulator"),
        "staff": UserFactory(username="sam", role="investor", is_staff=True,
                             is_superuser=True),
    }
    alice, rita = users["member_a"], users["regulator"]
    asset = IPAssetFactory(owner=issuer_a)
    valuation = ValuationFactory(asset=asset, value=Decimal("100"))
    licence = LicenceFactory(asset=asset)
    receipt = ReceiptFactory(licence=licence)
    pledge = PledgeFactory(asset=IPAssetFactory(owner=issuer_a))
    financials = FinancialsFactory(issuer=issuer_a, year=2023)
    deal = issued(make_deal(issuer_a), IPAssetFactory(owner=issuer_a))
    template = DisclosureTemplate.objects.get(code="issuer-esg-annual", status="active")
    filing = filing_services.filing_create(actor=alice, issuer=issuer_a, template=template,
                                           period="2024")
    filing_services.filing_save_answers(actor=alice, filing=filing, answers=answers())
    attachment = filing_services.attachment_add(actor=alice, filing=filing, name="m.pdf",
                                                data=PDF)
    filing_services.filing_submit(actor=alice, filing=filing, today=datetime.date(2025, 3, 1))
    filing_services.review_start(actor=rita, filing=filing)
    filing_services.review_decide(actor=rita, filing=filing, decision="accept")
    run = RecomputeRun.objects.create(kind="risk", scope="all", trigger="button")
    market_build.snapshot_refresh()
    ids = {"issuer": issuer_a.pk, "asset": asset.pk, "valuation": valuation.pk,
           "licence": licence.pk, "receipt": receipt.pk, "pledge": pledge.pk,
           "financials": financials.pk, "deal": deal.pk,
           "tranche": deal.tranches.get(name="B").pk, "pool": deal.pool.get().pk,
           "enhancement": None, "filing": filing.pk, "attachment": attachment.pk,
           "template": template.pk, "template_code": template.code,
           "template_version": template.version, "run": run.pk}
    return World(users=users, ids=ids)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            built = build_world()
        yield built


# --- the rules ---------------------------------------------------------------------------------

ALL = "200 200 200 200 200 200"
SIGNED_IN = "302 200 200 200 200 200"
API_SIGNED_IN = "401 200 200 200 200 200"
REVIEWERS = "302 403 403 403 200 200"
MEMBERS = "302 200 200 403 403 200"
POST_ONLY = "302 405 405 405 405 405"
API_POST_ONLY = "401 405 405 405 405 405"

RULES = {
    # name: (GET codes per role, URL kwargs: keys of World.ids, "=literal" or a number)
    "home": (ALL, {}),
    "login": ("200 302 302 302 302 302", {}),
    "logout": ("405 405 405 405 405 405", {}),
    "accounts:two-factor-setup": None,
    "accounts:two-factor-verify": None,
    "accounts:two-factor-disable": None,
    "accounts:tokens": (SIGNED_IN, {}),
    "accounts:token-revoke": (POST_ONLY, {}),
    "audit-log": (REVIEWERS, {}),
    "ipregistry:issuer-list": (SIGNED_IN, {}),
    "ipregistry:issuer-create": ("302 403 403 403 403 200", {}),
    "ipregistry:issuer-detail": (SIGNED_IN, {"pk": "issuer"}),
    "ipregistry:issuer-update": ("302 200 403 403 403 200", {"pk": "issuer"}),
    "ipregistry:issuer-rnd-chart": ("302 200 403 200 200 200", {"pk": "issuer", "fmt": "=svg"}),
    "ipregistry:financials-create": ("302 200 403 403 403 200", {"pk": "issuer"}),
    "ipregistry:financials-update": ("302 200 403 403 403 200", {"pk": "financials"}),
    "ipregistry:financials-delete": ("302 200 403 403 403 200", {"pk": "financials"}),
    "ipregistry:asset-list": (SIGNED_IN, {}),
    "ipregistry:asset-create": ("302 200 200 403 403 200", {}),
    "ipregistry:asset-import": ("302 200 200 403 403 200", {}),
    "ipregistry:asset-detail": (SIGNED_IN, {"pk": "asset"}),
    "ipregistry:asset-update": ("302 200 403 403 403 200", {"pk": "asset"}),
    "ipregistry:asset-delete": ("302 200 403 403 403 200", {"pk": "asset"}),
    "ipregistry:asset-receipts-chart": ("302 200 403 403 200 200", {"pk": "asset", "fmt": "=svg"}),
    "ipregistry:valuation-create": ("302 200 403 403 403 200", {"pk": "asset"}),
    "ipregistry:valuation-update": ("302 200 403 403 403 200", {"pk": "valuation"}),
    "ipregistry:valuation-delete": ("302 200 403 403 403 200", {"pk": "valuation"}),
    "ipregistry:licence-create": ("302 200 403 403 403 200", {"pk": "asset"}),
    "ipregistry:licence-update": ("302 200 403 403 403 200", {"pk": "licence"}),
    "ipregistry:licence-delete": ("302 200 403 403 403 200", {"pk": "licence"}),
    "ipregistry:receipt-create": ("302 200 403 403 403 200", {"pk": "licence"}),
    "ipregistry:receipt-update": ("302 200 403 403 403 200", {"pk": "receipt"}),
    "ipregistry:receipt-delete": ("302 200 403 403 403 200", {"pk": "receipt"}),
    "ipregistry:pledge-create": ("302 200 403 403 403 200", {"pk": "asset"}),
    "ipregistry:pledge-update": ("302 200 403 403 403 200", {"pk": "pledge"}),
    "ipregistry:pledge-delete": ("302 200 403 403 403 200", {"pk": "pledge"}),
    "deals:deal-list": (ALL, {}),
    "deals:deal-export": (ALL, {"fmt": "=csv"}),
    "deals:deal-create": ("302 200 200 403 403 200", {}),
    "deals:deal-detail": (ALL, {"pk": "deal"}),
    "deals:capital-stack": (ALL, {"pk": "deal", "fmt": "=svg"}),
    "deals:projected-cash-flow": (ALL, {"pk": "deal", "fmt": "=svg"}),
    "deals:risk-trend": (ALL, {"pk": "deal", "fmt": "=csv"}),
    "deals:issuer-risk": (ALL, {"pk": "issuer"}),
    "deals:issuer-risk-trend": (ALL, {"pk": "issuer", "fmt": "=csv"}),
    # An issued deal is no longer a draft: nobody restructures it.
    "deals:deal-update": ("302 403 403 403 403 403", {"deal_pk": "deal"}),
    "deals:deal-transition": (POST_ONLY, {"deal_pk": "deal"}),
    "deals:tranche-create": ("302 403 403 403 403 403", {"deal_pk": "deal"}),
    "deals:tranche-update": ("302 403 403 403 403 403", {"deal_pk": "deal", "pk": "tranche"}),
    "deals:tranche-delete": ("302 403 403 403 403 403", {"deal_pk": "deal", "pk": "tranche"}),
    "deals:enhancement-create": ("302 403 403 403 403 403", {"deal_pk": "deal"}),
    "deals:enhancement-delete": ("302 403 403 403 403 403", {"deal_pk": "deal", "pk": 0}),
    "deals:pool": ("302 403 403 403 403 403", {"deal_pk": "deal"}),
    "deals:pool-remove": ("302 403 403 403 403 403", {"deal_pk": "deal", "pk": "pool"}),
    "deals:report-create": ("302 200 403 403 403 200", {"deal_pk": "deal"}),
    "disclosure:template-list": (ALL, {}),
    "disclosure:template-detail": (ALL, {"code": "template_code",
                                         "version": "template_version"}),
    "disclosure:filing-list": (ALL, {}),
    "disclosure:filing-export": (ALL, {}),
    "disclosure:mine": (MEMBERS, {}),
    "disclosure:filing-create": (MEMBERS, {}),
    "disclosure:filing-detail": (ALL, {"pk": "filing"}),
    # An accepted filing never changes.
    "disclosure:filing-edit": ("302 403 403 403 403 403", {"pk": "filing"}),
    "disclosure:attachment-upload": ("302 403 403 403 403 403", {"pk": "filing"}),
    "disclosure:attachment-download": (ALL, {"pk": "filing", "attachment_pk": "attachment"}),
    "disclosure:attachment-delete": ("302 403 403 403 403 403",
                                     {"pk": "filing", "attachment_pk": "attachment"}),
    "disclosure:filing-submit": (POST_ONLY, {"pk": "filing"}),
    "disclosure:filing-withdraw": (POST_ONLY, {"pk": "filing"}),
    "disclosure:filing-amend": (POST_ONLY, {"pk": "filing"}),
    "disclosure:filing-receipt": (ALL, {"pk": "filing"}),
    "disclosure:filing-receipt-json": (ALL, {"pk": "filing"}),
    "disclosure:filing-data": (ALL, {"pk": "filing", "fmt": "=json"}),
    "disclosure:review-start": (POST_ONLY, {"pk": "filing"}),
    "disclosure:review-comment": (POST_ONLY, {"pk": "filing"}),
    "disclosure:review-decide": (POST_ONLY, {"pk": "filing"}),
    "disclosure:queue": (REVIEWERS, {}),
    "disclosure:runs": (REVIEWERS, {}),
    "disclosure:run-progress": (REVIEWERS, {"pk": "run"}),
    "disclosure:sdg": (ALL, {"subject": "=deal", "pk": "deal"}),
    "disclosure:sdg-trend": (ALL, {"subject": "=deal", "pk": "deal", "fmt": "=csv"}),
    "disclosure:bundle-import": (REVIEWERS, {}),
    "disclosure:notifications": (SIGNED_IN, {}),
    "market": (ALL, {}),
    "market-figure": (ALL, {"key": "=issuance", "fmt": "=csv"}),
    "api:token": ("405 405 405 405 405 405", {}),
    "api:token-revoke": ("401 401 401 401 401 401", {}),  # tokens only
    "api:token-revoke-all": (API_POST_ONLY, {}),
    "api:api-root": (API_SIGNED_IN, {}),
    "api:issuer-list": (API_SIGNED_IN, {}),
    "api:issuer-detail": (API_SIGNED_IN, {"pk": "issuer"}),
    "api:financials-list": (API_SIGNED_IN, {}),
    "api:financials-detail": ("401 200 404 200 200 200", {"pk": "financials"}),
    "api:asset-list": (API_SIGNED_IN, {}),
    "api:asset-detail": (API_SIGNED_IN, {"pk": "asset"}),
    "api:valuation-list": (API_SIGNED_IN, {}),
    "api:valuation-detail": ("401 200 404 200 200 200", {"pk": "valuation"}),
    "api:licence-list": (API_SIGNED_IN, {}),
    "api:licence-detail": ("401 200 404 404 200 200", {"pk": "licence"}),
    "api:receipt-list": (API_SIGNED_IN, {}),
    "api:receipt-detail": ("401 200 404 404 200 200", {"pk": "receipt"}),
    "api:pledge-list": (API_SIGNED_IN, {}),
    "api:pledge-detail": ("401 200 404 200 200 200", {"pk": "pledge"}),
    "api:waterfall-run": (API_POST_ONLY, {}),
    "api:waterfall-simulate": (API_POST_ONLY, {}),
    "api:deal-list": (ALL, {}),
    "api:deal-detail": (ALL, {"pk": "deal"}),
    "api:deal-reports": (ALL, {"pk": "deal"}),
    "api:deal-transition": (API_POST_ONLY, {"pk": "deal"}),
    "api:tranche-list": (ALL, {}),
    "api:tranche-detail": (ALL, {"pk": "tranche"}),
    "api:enhancement-list": (ALL, {}),
    "api:enhancement-detail": ("404 404 404 404 404 404", {"pk": 0}),
    "api:pool-list": (ALL, {}),
    "api:pool-detail": (ALL, {"pk": "pool"}),
    "api:benchmark-list": (API_SIGNED_IN, {}),
    "api:benchmark-detail": ("401 404 404 404 404 404", {"pk": 0}),
    "api:fx-list": (API_SIGNED_IN, {}),
    "api:fx-detail": ("401 404 404 404 404 404", {"pk": 0}),
    "api:template-list": (ALL, {}),
    "api:template-detail": (ALL, {"pk": "template"}),
    "api:filing-list": (ALL, {}),
    "api:filing-detail": (ALL, {"pk": "filing"}),
    "api:filing-amend": (API_POST_ONLY, {"pk": "filing"}),
    "api:filing-answers": (ALL, {"pk": "filing"}),
    "api:filing-attachments": ("405 405 405 405 405 405", {"pk": "filing"}),
    "api:filing-comments": ("401 200 403 403 200 200", {"pk": "filing"}),
    "api:filing-decide": (API_POST_ONLY, {"pk": "filing"}),
    "api:filing-receipt": (ALL, {"pk": "filing"}),
    "api:filing-start-review": (API_POST_ONLY, {"pk": "filing"}),
    "api:filing-submit": (API_POST_ONLY, {"pk": "filing"}),
    "api:filing-withdraw": (API_POST_ONLY, {"pk": "filing"}),
    "api:notification-list": (API_SIGNED_IN, {}),
    "api:notification-read": (API_POST_ONLY, {}),
    "api:market": (ALL, {}),
    "schema": (ALL, {}),
    "api-docs": (ALL, {}),
}
# Two-factor pages depend on the user's device; tests/core/test_two_factor.py covers them.
RULES_ELSEWHERE = {name for name, rule in RULES.items() if rule is None}


def test_every_route_has_a_rule():
    """A new route must say who may open it: add its row to RULES."""
    missing = sorted(set(routes()) - set(RULES))
    assert missing == [], f"routes without a rule: {missing}"
    stale = sorted(set(RULES) - set(routes()))
    assert stale == [], f"rules of routes that no longer exist: {stale}"


def _cases():
    for name, rule in RULES.items():
        if rule is None:
            continue
        codes, _ = rule
        for role, code in zip(ROLES, codes.split(), strict=True):
            yield pytest.param(name, role, int(code), id=f"{name}-{role}")


def _url(world: World, name: str) -> str:
    kwargs = {key: (value[1:] if value.startswith("=") else world.ids[value])
              if isinstance(value, str) else value for key, value in RULES[name][1].items()}
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name, role, code", list(_cases()))
def test_get(world, db, name, role, code):
    client = Client()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    with transaction.atomic():
        response = client.get(_url(world, name))
        assert response.status_code == code, (name, role, response.status_code,
                                              response.content[:200])
        transaction.set_rollback(True)


@pytest.mark.parametrize("name", [name for name, rule in RULES.items()
                                  if rule is not None and rule[0].split()[0] != "200"])
def test_anonymous_posts_write_nothing(world, db, name):
    """Routes closed to the public refuse an anonymous POST (login redirect, 401, 403 or 405;
    400 from the token login, which takes anonymous POSTs) and leave no audit entry: nothing
    was written."""
    before = AuditEntry.objects.count()
    with transaction.atomic():
        response = Client().post(_url(world, name), {})
        assert response.status_code in (302, 400, 401, 403, 405), (name, response.status_code)
        assert AuditEntry.objects.count() == before
        transaction.set_rollback(True)
