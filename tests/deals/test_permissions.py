"""Permission matrix: every deal page and API endpoint, for every role, on three deals of A.

The deals under test all belong to issuer A: a draft, a registered deal and an issued deal, each
with tranches A and B, a credit enhancement and a one-asset pool. The expected outcomes follow
the policy in `deals/permissions.py`:

- seeing: anonymous users and investors see issued deals only (drafts and registered deals are
  404 on pages and API details, and left out of lists); A's members also see A's drafts and
  registered deals; regulators and staff see every deal;
- structuring (terms, tranches, enhancements, pool): drafts only, by A's members and staff;
  anyone else who can see the deal gets 403, and nobody restructures a registered or issued deal;
- transitions: a regulator registers and records default; A's approvers (not its preparers)
  record issuance, amortization, maturity and termination; staff all of them; the status machine
  refuses any other move;
- servicer reports: A's members and staff, on issued deals only;
- benchmarks and FX rates: every signed-in user reads, regulators and staff write;
- the waterfall calculator: any signed-in user.
Anonymous users are sent to the login page by pages that need a user and get 401 from the API.

Every successful write must have its effect and leave the expected `AuditEntry` rows; every
refused write must change nothing and leave no `AuditEntry`.

The deals and users are built once for the module, inside a transaction that is rolled back when
the module ends (as `TestCase.setUpTestData` does); each test runs in its own savepoint, so a
write made by one cell never reaches the next.
"""

import datetime
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from core.choices import Role
from core.models import AuditEntry
from deals import forms, services
from deals.choices import DealStatus
from deals.models import (
    Benchmark,
    CreditEnhancement,
    Deal,
    DealEvent,
    DealFacetValue,
    FxRate,
    PoolAsset,
    ServicerReport,
    Tranche,
)
from ipregistry.choices import MembershipRole
from ipregistry.models import Issuer
from tests.deals.test_services import make_deal
from tests.factories import IPAssetFactory, IssuerFactory, MembershipFactory, UserFactory

# The columns of every matrix, in this order.
ROLES = ("anonymous", "member_a", "preparer_a", "member_b", "regulator", "investor", "staff")

DEALS = ("draft", "registered", "issued")
MODELS = {
    "deal": Deal,
    "tranche": Tranche,
    "enhancement": CreditEnhancement,
    "pool": PoolAsset,
    "report": ServicerReport,
    "event": DealEvent,
    "facet": DealFacetValue,
    "benchmark": Benchmark,
    "fx": FxRate,
}

NEW_DEAL_NAME = "Guangzhou Gamma Patent ABS 2025-1"
DEAL_FORM = {"name": NEW_DEAL_NAME, "country": "CN", "province": "CN-GD", "city": "Guangzhou",
             "structure": "licence_royalty", "currency": "CNY", "size": "50", "label": "none",
             "periods_per_year": "4", "default_missed_periods": "2"}
TRANCHE_FORM = {"name": "C", "rank": "3", "size": "5", "coupon_type": "fixed",
                "coupon_rate": "0"}
ENHANCEMENT_FORM = {"kind": "guarantee", "provider": "Shenzhen Guarantee Co."}
REPORT_FORM = {"period_end": "2024-06-30", "collections": "30"}
BENCHMARK_FORM = {"country": "CN", "year": 2025, "currency": "CNY", "sme_loan_rate": "0.05"}
FX_FORM = {"currency": "EUR", "year": 2025, "rate_to_usd": "1.08"}

# One field each update changes, and its new value (pages post the whole form, the API PATCHes).
UPDATES = {
    "deal": ("name", "Renamed Alpha Patent ABS"),
    "tranche": ("rating", "A+"),
    "enhancement": ("provider", "Renamed Guarantee Co."),
    "pool": ("cutoff_value", Decimal("150.00")),
    "benchmark": ("sme_loan_rate", Decimal("0.0500")),
    "fx": ("rate_to_usd", Decimal("0.15")),
}


# --- the module's data ------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    users: dict  # role -> user (None for anonymous)
    issuer_a: Issuer
    deals: dict  # "draft" / "registered" / "issued" -> Deal
    parts: dict  # deal key -> {"tranche": B tranche, "enhancement": ..., "pool": entry}
    free_asset: object  # an active asset of A in no pool, for pool additions
    benchmark: Benchmark
    fx: FxRate

    def target(self, kind: str, key: str | None):
        """The record a cell acts on: a deal, a part of a deal, or a reference data row."""
        if kind in ("benchmark", "fx"):
            return getattr(self, kind)
        return self.deals[key] if kind in ("deal", "report") else self.parts[key][kind]


@contextmanager
def module_transaction(django_db_blocker):
    """Keep the module's data in a transaction rolled back at the end of the module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _deal_of_a(issuer_a, key: str) -> Deal:
    deal = make_deal(issuer_a, name=f"Alpha {key.title()} Patent ABS")
    services.enhancement_create(actor=None, deal=deal, kind="reserve_account",
                                amount=Decimal("2"), provider="Alpha Reserve Trust")
    services.pool_add(actor=None, deal=deal, asset=IPAssetFactory(owner=issuer_a),
                      cutoff_value=Decimal("120"), financing_amount=Decimal("100"))
    path = {"draft": [], "registered": [DealStatus.REGISTERED],
            "issued": [DealStatus.REGISTERED, DealStatus.ISSUED]}[key]
    for status in path:
        deal = services.deal_transition(actor=None, deal=deal, to_status=status)
    return Deal.objects.get(pk=deal.pk)


def build_world() -> World:
    """Issuers A and B, one user per role (as in tests/conftest.py) and A's three deals."""
    issuer_a = IssuerFactory(name="Shenzhen Alpha Photovoltaic Co., Ltd.")
    issuer_b = IssuerFactory(name="Beijing Beta Biotech Co., Ltd.", province="CN-BJ",
                             city="Beijing")
    users = {
        "anonymous": None,
        "member_a": MembershipFactory(issuer=issuer_a, user__username="alice",
                                      role=MembershipRole.APPROVER).user,
        "preparer_a": MembershipFactory(issuer=issuer_a, user__username="paul",
                                        role=MembershipRole.PREPARER).user,
        "member_b": MembershipFactory(issuer=issuer_b, user__username="bob").user,
        "regulator": UserFactory(username="rita", role=Role.REGULATOR),
        "investor": UserFactory(username="ivan", role=Role.INVESTOR),
        "staff": UserFactory(username="sam", role=Role.INVESTOR, is_staff=True,
                             is_superuser=True),
    }
    deals = {key: _deal_of_a(issuer_a, key) for key in DEALS}
    parts = {key: {"tranche": deal.tranches.get(name="B"),
                   "enhancement": deal.enhancements.get(),
                   "pool": deal.pool.get()} for key, deal in deals.items()}
    return World(
        users=users, issuer_a=issuer_a, deals=deals, parts=parts,
        free_asset=IPAssetFactory(owner=issuer_a, title="Free heat sink design"),
        benchmark=services.benchmark_create(actor=None, country="CN", year=2024,
                                            currency="CNY", sme_loan_rate=Decimal("0.045")),
        fx=services.fx_create(actor=None, currency="CNY", year=2024,
                              rate_to_usd=Decimal("0.14")))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The module's issuers, users and deals, built once and rolled back after the module."""
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            built = build_world()
        yield built


# --- checks shared by pages and API -----------------------------------------------------------


def _state() -> dict:
    """Every deal row, to show that a refused write changed nothing."""
    return {key: list(model.objects.order_by("pk").values()) for key, model in MODELS.items()}


def _last_audit_id() -> int:
    last = AuditEntry.objects.order_by("-id").first()
    return last.id if last else 0


def _new_audit(since: int) -> list[tuple]:
    return [(entry.action, entry.object_id, entry.actor_id)
            for entry in AuditEntry.objects.filter(id__gt=since).order_by("id")]


def _assert_refused(before: dict, audit_mark: int) -> None:
    assert _state() == before, "a refused write changed the deals"
    assert _new_audit(audit_mark) == [], "a refused write left an audit entry"


def _created(kind: str, world: World, deal: Deal | None):
    lookups = {
        "deal": {"name": NEW_DEAL_NAME},
        "tranche": {"deal": deal, "name": "C"},
        "enhancement": {"deal": deal, "provider": "Shenzhen Guarantee Co."},
        "pool": {"deal": deal, "asset": world.free_asset},
        "benchmark": {"country": "CN", "year": 2025},
        "fx": {"currency": "EUR", "year": 2025},
    }
    return MODELS[kind].objects.get(**lookups[kind])


def _assert_written(kind: str, verb: str, world: World, key: str | None, user,
                    audit_mark: int, to_status: str = "", response=None) -> None:
    """Assert the write took effect and left exactly the audit entries it should."""
    deal = world.deals.get(key)
    if verb == "transition":
        before = deal.status
        deal = Deal.objects.get(pk=deal.pk)
        assert deal.status == to_status
        entries = AuditEntry.objects.filter(id__gt=audit_mark)
        assert [entry.changes["status"] for entry in entries] == [[before, to_status]]
        expected = [("deals.deal.transition", str(deal.pk))]
    elif verb == "report":
        # Period 1 of make_deal's model on 30 collected: 1 fee, A's interest 0.8, 28.2 of
        # principal to A; the first report moves the deal to amortizing.
        report = ServicerReport.objects.get(deal=deal, period=1)
        assert report.submitted_by_id == user.pk
        balances = dict(Tranche.objects.filter(deal=deal).values_list("name", "balance"))
        assert balances == {"A": Decimal("51.80"), "B": Decimal("20.00")}
        assert Deal.objects.get(pk=deal.pk).status == DealStatus.AMORTIZING
        expected = [("deals.servicerreport.create", str(report.pk)),
                    ("deals.deal.transition", str(deal.pk))]
    elif verb == "create":
        obj = _created(kind, world, deal)
        if response is not None:
            assert response.json()["id"] == obj.pk
        expected = [(f"{obj._meta.label_lower}.create", str(obj.pk))]
    elif verb == "update":
        original = world.target(kind, key)
        obj = type(original).objects.get(pk=original.pk)
        field, value = UPDATES[kind]
        assert getattr(obj, field) == value
        expected = [(f"{obj._meta.label_lower}.update", str(obj.pk))]
    else:
        obj = world.target(kind, key)
        assert not type(obj).objects.filter(pk=obj.pk).exists()
        expected = [(f"{obj._meta.label_lower}.delete", str(obj.pk))]
    assert _new_audit(audit_mark) == [(action, object_id, user.pk)
                                      for action, object_id in expected]


# --- pages ------------------------------------------------------------------------------------

# Status per role: anonymous, A's approver, A's preparer, B's member, regulator, investor, staff.
# A label is a URL name of deals/urls.py; ".svg"/".csv"/".xlsx" selects a format, ":<status>"
# the status a transition asks for. The target is the deal of A whose pk goes into the URL (and
# whose tranche B, enhancement or pool entry, for part URLs).
# 302 means "to the login page" for anonymous users and "saved, back to the deal" otherwise;
# adding to the pool answers the pool editor again, so there 200 means "saved".
# B's member and investors do not see A's drafts and registered deals: 404 on every URL that
# names one, before any question of rights. POST-only URLs answer GET with 405 to those who
# pass the checks.
PAGE_MATRIX = [
    # label                      method target        anon  A    prepA B    reg  inv  staff
    ("deal-list",                "GET",  None,         200, 200, 200,  200, 200, 200, 200),
    ("deal-export.csv",          "GET",  None,         200, 200, 200,  200, 200, 200, 200),
    ("deal-export.xlsx",         "GET",  None,         200, 200, 200,  200, 200, 200, 200),
    # B's member may open drafts for B; posting A as the originator fails the form (only B is
    # offered): 400, nothing written.
    ("deal-create",              "GET",  None,         302, 200, 200,  200, 403, 403, 200),
    ("deal-create",              "POST", None,         302, 302, 302,  400, 403, 403, 302),
    ("deal-detail",              "GET",  "draft",      404, 200, 200,  404, 200, 404, 200),
    ("deal-detail",              "GET",  "registered", 404, 200, 200,  404, 200, 404, 200),
    ("deal-detail",              "GET",  "issued",     200, 200, 200,  200, 200, 200, 200),
    ("capital-stack.svg",        "GET",  "draft",      404, 200, 200,  404, 200, 404, 200),
    ("capital-stack.svg",        "GET",  "registered", 404, 200, 200,  404, 200, 404, 200),
    ("capital-stack.svg",        "GET",  "issued",     200, 200, 200,  200, 200, 200, 200),
    ("capital-stack.csv",        "GET",  "draft",      404, 200, 200,  404, 200, 404, 200),
    ("capital-stack.csv",        "GET",  "registered", 404, 200, 200,  404, 200, 404, 200),
    ("capital-stack.csv",        "GET",  "issued",     200, 200, 200,  200, 200, 200, 200),
    ("projected-cash-flow.svg",  "GET",  "draft",      404, 200, 200,  404, 200, 404, 200),
    ("projected-cash-flow.svg",  "GET",  "registered", 404, 200, 200,  404, 200, 404, 200),
    ("projected-cash-flow.svg",  "GET",  "issued",     200, 200, 200,  200, 200, 200, 200),
    ("projected-cash-flow.csv",  "GET",  "draft",      404, 200, 200,  404, 200, 404, 200),
    ("projected-cash-flow.csv",  "GET",  "registered", 404, 200, 200,  404, 200, 404, 200),
    ("projected-cash-flow.csv",  "GET",  "issued",     200, 200, 200,  200, 200, 200, 200),
    ("risk-trend.svg",           "GET",  "draft",      404, 200, 200,  404, 200, 404, 200),
    ("risk-trend.svg",           "GET",  "issued",     200, 200, 200,  200, 200, 200, 200),
    ("risk-trend.csv",           "GET",  "registered", 404, 200, 200,  404, 200, 404, 200),
    ("risk-trend.csv",           "GET",  "issued",     200, 200, 200,  200, 200, 200, 200),
    # Structuring: drafts only, A's members and staff.
    ("deal-update",              "GET",  "draft",      302, 200, 200,  404, 403, 404, 200),
    ("deal-update",              "POST", "draft",      302, 302, 302,  404, 403, 404, 302),
    ("deal-update",              "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("deal-update",              "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("deal-update",              "GET",  "issued",     302, 403, 403,  403, 403, 403, 403),
    ("deal-update",              "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    ("tranche-create",           "GET",  "draft",      302, 200, 200,  404, 403, 404, 200),
    ("tranche-create",           "POST", "draft",      302, 302, 302,  404, 403, 404, 302),
    ("tranche-create",           "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("tranche-create",           "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("tranche-create",           "GET",  "issued",     302, 403, 403,  403, 403, 403, 403),
    ("tranche-create",           "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    ("tranche-update",           "GET",  "draft",      302, 200, 200,  404, 403, 404, 200),
    ("tranche-update",           "POST", "draft",      302, 302, 302,  404, 403, 404, 302),
    ("tranche-update",           "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("tranche-update",           "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("tranche-update",           "GET",  "issued",     302, 403, 403,  403, 403, 403, 403),
    ("tranche-update",           "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    ("tranche-delete",           "GET",  "draft",      302, 405, 405,  404, 403, 404, 405),
    ("tranche-delete",           "POST", "draft",      302, 302, 302,  404, 403, 404, 302),
    ("tranche-delete",           "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("tranche-delete",           "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("tranche-delete",           "GET",  "issued",     302, 403, 403,  403, 403, 403, 403),
    ("tranche-delete",           "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    ("enhancement-create",       "GET",  "draft",      302, 200, 200,  404, 403, 404, 200),
    ("enhancement-create",       "POST", "draft",      302, 302, 302,  404, 403, 404, 302),
    ("enhancement-create",       "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("enhancement-create",       "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("enhancement-create",       "GET",  "issued",     302, 403, 403,  403, 403, 403, 403),
    ("enhancement-create",       "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    ("enhancement-delete",       "GET",  "draft",      302, 405, 405,  404, 403, 404, 405),
    ("enhancement-delete",       "POST", "draft",      302, 302, 302,  404, 403, 404, 302),
    ("enhancement-delete",       "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("enhancement-delete",       "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("enhancement-delete",       "GET",  "issued",     302, 403, 403,  403, 403, 403, 403),
    ("enhancement-delete",       "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    ("pool",                     "GET",  "draft",      302, 200, 200,  404, 403, 404, 200),
    ("pool",                     "POST", "draft",      302, 200, 200,  404, 403, 404, 200),
    ("pool",                     "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("pool",                     "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("pool",                     "GET",  "issued",     302, 403, 403,  403, 403, 403, 403),
    ("pool",                     "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    ("pool-remove",              "GET",  "draft",      302, 405, 405,  404, 403, 404, 405),
    ("pool-remove",              "POST", "draft",      302, 302, 302,  404, 403, 404, 302),
    ("pool-remove",              "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("pool-remove",              "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("pool-remove",              "GET",  "issued",     302, 403, 403,  403, 403, 403, 403),
    ("pool-remove",              "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    # Transitions (POST only). A move the status machine does not allow is refused to all.
    ("deal-transition",          "GET",  "draft",      302, 405, 405,  405, 405, 405, 405),
    ("deal-transition:registered", "POST", "draft",    302, 403, 403,  404, 302, 404, 302),
    ("deal-transition:terminated", "POST", "draft",    302, 302, 403,  404, 403, 404, 302),
    ("deal-transition:issued",   "POST", "draft",      302, 403, 403,  404, 403, 404, 403),
    ("deal-transition:issued",   "POST", "registered", 302, 302, 403,  404, 403, 404, 302),
    ("deal-transition:terminated", "POST", "registered", 302, 302, 403, 404, 403, 404, 302),
    ("deal-transition:amortizing", "POST", "issued",   302, 302, 403,  403, 403, 403, 302),
    ("deal-transition:matured",  "POST", "issued",     302, 302, 403,  403, 403, 403, 302),
    ("deal-transition:defaulted", "POST", "issued",    302, 403, 403,  403, 302, 403, 302),
    ("deal-transition:terminated", "POST", "issued",   302, 302, 403,  403, 403, 403, 302),
    ("deal-transition:draft",    "POST", "issued",     302, 403, 403,  403, 403, 403, 403),
    # Servicer reports: A's members and staff, issued deals only.
    ("report-create",            "GET",  "draft",      302, 403, 403,  404, 403, 404, 403),
    ("report-create",            "POST", "draft",      302, 403, 403,  404, 403, 404, 403),
    ("report-create",            "GET",  "registered", 302, 403, 403,  404, 403, 404, 403),
    ("report-create",            "POST", "registered", 302, 403, 403,  404, 403, 404, 403),
    ("report-create",            "GET",  "issued",     302, 200, 200,  403, 403, 403, 200),
    ("report-create",            "POST", "issued",     302, 302, 302,  403, 403, 403, 302),
]

# URL names whose deal is `pk` (the others name it `deal_pk`), and the part a URL's `pk` names.
DEAL_PK_URLS = {"deal-detail", "capital-stack", "projected-cash-flow", "risk-trend"}
PART_URLS = {"tranche-update": "tranche", "tranche-delete": "tranche",
             "enhancement-delete": "enhancement", "pool-remove": "pool"}
# What a successful POST wrote: (kind, verb) for _assert_written.
PAGE_WRITES = {
    "deal-create": ("deal", "create"), "deal-update": ("deal", "update"),
    "deal-transition": ("deal", "transition"), "report-create": ("report", "report"),
    "tranche-create": ("tranche", "create"), "tranche-update": ("tranche", "update"),
    "tranche-delete": ("tranche", "delete"), "enhancement-create": ("enhancement", "create"),
    "enhancement-delete": ("enhancement", "delete"), "pool": ("pool", "create"),
    "pool-remove": ("pool", "delete"),
}
SAVED = {"pool": 200}  # the status of a successful POST where it is not a redirect


def _page_cases():
    for label, method, target, *statuses in PAGE_MATRIX:
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(label, method, target, role, status,
                               id=f"{label}-{method}-{target or 'none'}-{role}")


PAGE_CASES = list(_page_cases())


def _split(label: str) -> tuple[str, str, str]:
    """(URL name, format, status asked for) of a matrix label."""
    base, _, to_status = label.partition(":")
    name, _, fmt = base.partition(".")
    return name, fmt, to_status


def _page_url(label: str, target: str | None, world: World) -> str:
    name, fmt, _ = _split(label)
    kwargs = {}
    if target:
        kwargs["pk" if name in DEAL_PK_URLS else "deal_pk"] = world.deals[target].pk
    if name in PART_URLS:
        kwargs["pk"] = world.parts[target][PART_URLS[name]].pk
    if fmt:
        kwargs["fmt"] = fmt
    return reverse(f"deals:{name}", kwargs=kwargs)


def _form_data(form, **changes) -> dict:
    """The data a browser posts for an unchanged bound form, with some fields changed."""
    data = {}
    for field in form:
        value = changes.get(field.name, field.value())
        if value is None or value is False:
            continue
        data[field.name] = "on" if value is True else str(value)
    return data


def _page_post_data(label: str, target: str | None, world: World) -> dict:
    name, _, to_status = _split(label)
    deal = world.deals.get(target)
    if name == "deal-create":
        return {**DEAL_FORM, "originator": world.issuer_a.pk}
    if name == "deal-update":
        return _form_data(forms.DealForm(instance=deal, originators=Issuer.objects.all()),
                          name=UPDATES["deal"][1])
    if name == "deal-transition":
        return {"status": to_status, "reason": "permission matrix"}
    if name == "tranche-create":
        return TRANCHE_FORM
    if name == "tranche-update":
        return _form_data(forms.TrancheForm(instance=world.parts[target]["tranche"]),
                          rating=UPDATES["tranche"][1])
    if name == "enhancement-create":
        return ENHANCEMENT_FORM
    if name == "pool":
        return {"asset": world.free_asset.pk, "cutoff_value": "50", "financing_amount": "40"}
    if name == "report-create":
        return REPORT_FORM
    return {}  # deletes and removals carry only the CSRF token


def _login(client, world: World, role: str):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    return user


@pytest.mark.parametrize(("label", "method", "target", "role", "expected"), PAGE_CASES)
def test_page_permissions(world, db, client, label, method, target, role, expected):
    """Each deal page answers each role as the policy says; writes take effect and are
    audited, refusals change nothing."""
    user = _login(client, world, role)
    url = _page_url(label, target, world)
    before, audit_mark = _state(), _last_audit_id()

    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, _page_post_data(label, target, world))

    assert response.status_code == expected, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code}")
    name, _, to_status = _split(label)
    login = reverse("login")
    if expected == 302 and user is None:
        assert response["Location"].startswith(f"{login}?next=")
    elif expected == 302:
        assert not response["Location"].startswith(login)
    if method == "GET":
        assert _new_audit(audit_mark) == []
    elif user is not None and expected == SAVED.get(name, 302):
        kind, verb = PAGE_WRITES[name]
        _assert_written(kind, verb, world, target, user, audit_mark, to_status=to_status)
    else:
        _assert_refused(before, audit_mark)


# Which of A's deals each role finds on the search page, in the export and in API lists.
VISIBLE = {
    "anonymous": {"issued"},
    "member_a": set(DEALS),
    "preparer_a": set(DEALS),
    "member_b": {"issued"},
    "regulator": set(DEALS),
    "investor": {"issued"},
    "staff": set(DEALS),
}


@pytest.mark.parametrize("role", ROLES)
def test_search_page_and_export_list_only_visible_deals(world, db, client, role):
    """The search page, its htmx partial and the CSV export list exactly the deals the role
    may see: the issued deal for the public, investors and other issuers, all three for A's
    members, regulators and staff."""
    _login(client, world, role)
    expected = {world.deals[key].name for key in VISIBLE[role]}
    hidden = {deal.name for deal in world.deals.values()} - expected
    for response in (client.get(reverse("deals:deal-list")),
                     client.get(reverse("deals:deal-list"), HTTP_HX_REQUEST="true"),
                     client.get(reverse("deals:deal-export", kwargs={"fmt": "csv"}))):
        content = response.content.decode()
        assert {name for name in expected if name in content} == expected
        assert {name for name in hidden if name in content} == set()


# What A's deal pages offer each role: (edit links, servicer report link, transition buttons).
DETAIL_ACTIONS = {
    ("draft", "member_a"): (True, False, ["terminated"]),
    ("draft", "preparer_a"): (True, False, []),
    ("draft", "regulator"): (False, False, ["registered"]),
    ("draft", "staff"): (True, False, ["registered", "terminated"]),
    ("registered", "member_a"): (False, False, ["issued", "terminated"]),
    ("registered", "preparer_a"): (False, False, []),
    ("registered", "regulator"): (False, False, []),
    ("registered", "staff"): (False, False, ["issued", "terminated"]),
    ("issued", "anonymous"): (False, False, []),
    ("issued", "member_a"): (False, True, ["amortizing", "matured", "terminated"]),
    ("issued", "preparer_a"): (False, True, []),
    ("issued", "member_b"): (False, False, []),
    ("issued", "regulator"): (False, False, ["defaulted"]),
    ("issued", "investor"): (False, False, []),
    ("issued", "staff"): (False, True, ["amortizing", "matured", "defaulted", "terminated"]),
}


@pytest.mark.parametrize(("key", "role"), list(DETAIL_ACTIONS))
def test_deal_page_offers_only_what_the_role_may_do(world, db, client, key, role):
    """The deal page shows edit links, the servicer report link and the transition buttons
    only to the roles the policy allows them."""
    _login(client, world, role)
    deal = world.deals[key]
    content = client.get(deal.get_absolute_url()).content.decode()
    edit, report, transitions = DETAIL_ACTIONS[(key, role)]
    assert (reverse("deals:deal-update", args=[deal.pk]) in content) is edit
    assert (reverse("deals:tranche-create", args=[deal.pk]) in content) is edit
    assert (reverse("deals:pool", args=[deal.pk]) in content) is edit
    assert (reverse("deals:report-create", args=[deal.pk]) in content) is report
    offered = [status for status in DealStatus.values
               if f'name="status" value="{status}"' in content]
    assert offered == transitions


# --- API --------------------------------------------------------------------------------------

# List cells: 200 with exactly the rows of the deals the role may see (PUBLIC: the issued deal;
# ALL: the draft, the registered and the issued deal), or with the reference data row (LISTED).
PUBLIC, ALL, LISTED = "200 issued only", "200 all three", "200 listed"
LIST_DEALS = {PUBLIC: {"issued"}, ALL: set(DEALS)}

# Status per role, as in PAGE_MATRIX. Actions: list (GET list), create (POST list), retrieve
# (GET detail), update (PATCH detail), delete (DELETE detail), transition:<status> and report
# (POST deals/<id>/transition/ and reports/), reports (GET deals/<id>/reports/), run (POST
# waterfall/run/). The target is the deal (or the part of it) in the URL or, for creations of
# parts, in the body; "row" is the reference data row of 2024.
# Creating a part of a deal the user may not see answers 400 (no such deal for them), not a
# 403 that would confirm the deal exists.
API_MATRIX = [
    # basename     action      target        anon A    prepA B    reg  inv  staff
    ("deal",       "list",     None,         PUBLIC, ALL, ALL, PUBLIC, ALL, PUBLIC, ALL),
    ("deal",       "create",   None,         401, 201, 201,  403, 403, 403, 201),
    ("deal",       "retrieve", "draft",      404, 200, 200,  404, 200, 404, 200),
    ("deal",       "retrieve", "registered", 404, 200, 200,  404, 200, 404, 200),
    ("deal",       "retrieve", "issued",     200, 200, 200,  200, 200, 200, 200),
    ("deal",       "update",   "draft",      401, 200, 200,  404, 403, 404, 200),
    ("deal",       "update",   "registered", 401, 403, 403,  404, 403, 404, 403),
    ("deal",       "update",   "issued",     401, 403, 403,  403, 403, 403, 403),
    ("deal",       "transition:registered", "draft",      401, 403, 403, 404, 200, 404, 200),
    ("deal",       "transition:terminated", "draft",      401, 200, 403, 404, 403, 404, 200),
    ("deal",       "transition:issued",     "draft",      401, 403, 403, 404, 403, 404, 403),
    ("deal",       "transition:issued",     "registered", 401, 200, 403, 404, 403, 404, 200),
    ("deal",       "transition:terminated", "registered", 401, 200, 403, 404, 403, 404, 200),
    ("deal",       "transition:amortizing", "issued",     401, 200, 403, 403, 403, 403, 200),
    ("deal",       "transition:matured",    "issued",     401, 200, 403, 403, 403, 403, 200),
    ("deal",       "transition:defaulted",  "issued",     401, 403, 403, 403, 200, 403, 200),
    ("deal",       "transition:terminated", "issued",     401, 200, 403, 403, 403, 403, 200),
    ("deal",       "transition:draft",      "issued",     401, 403, 403, 403, 403, 403, 403),
    # The servicer reports of an issued deal are shown to the public on its page.
    ("deal",       "reports",  "draft",      404, 200, 200,  404, 200, 404, 200),
    ("deal",       "reports",  "registered", 404, 200, 200,  404, 200, 404, 200),
    ("deal",       "reports",  "issued",     200, 200, 200,  200, 200, 200, 200),
    ("deal",       "report",   "draft",      401, 403, 403,  404, 403, 404, 403),
    ("deal",       "report",   "registered", 401, 403, 403,  404, 403, 404, 403),
    ("deal",       "report",   "issued",     401, 201, 201,  403, 403, 403, 201),
    # A deal's tranches, enhancements and pool are read as the deal is: the public reads those
    # of issued deals (the deal page and GET deals/<id>/ show them).
    ("tranche",    "list",     None,         PUBLIC, ALL, ALL, PUBLIC, ALL, PUBLIC, ALL),
    ("tranche",    "create",   "draft",      401, 201, 201,  400, 403, 400, 201),
    ("tranche",    "create",   "registered", 401, 403, 403,  400, 403, 400, 403),
    ("tranche",    "create",   "issued",     401, 403, 403,  403, 403, 403, 403),
    ("tranche",    "retrieve", "draft",      404, 200, 200,  404, 200, 404, 200),
    ("tranche",    "retrieve", "registered", 404, 200, 200,  404, 200, 404, 200),
    ("tranche",    "retrieve", "issued",     200, 200, 200,  200, 200, 200, 200),
    ("tranche",    "update",   "draft",      401, 200, 200,  404, 403, 404, 200),
    ("tranche",    "update",   "registered", 401, 403, 403,  404, 403, 404, 403),
    ("tranche",    "update",   "issued",     401, 403, 403,  403, 403, 403, 403),
    ("tranche",    "delete",   "draft",      401, 204, 204,  404, 403, 404, 204),
    ("tranche",    "delete",   "registered", 401, 403, 403,  404, 403, 404, 403),
    ("tranche",    "delete",   "issued",     401, 403, 403,  403, 403, 403, 403),
    ("enhancement", "list",    None,         PUBLIC, ALL, ALL, PUBLIC, ALL, PUBLIC, ALL),
    ("enhancement", "create",  "draft",      401, 201, 201,  400, 403, 400, 201),
    ("enhancement", "create",  "registered", 401, 403, 403,  400, 403, 400, 403),
    ("enhancement", "create",  "issued",     401, 403, 403,  403, 403, 403, 403),
    ("enhancement", "retrieve", "draft",     404, 200, 200,  404, 200, 404, 200),
    ("enhancement", "retrieve", "registered", 404, 200, 200, 404, 200, 404, 200),
    ("enhancement", "retrieve", "issued",    200, 200, 200,  200, 200, 200, 200),
    ("enhancement", "update",  "draft",      401, 200, 200,  404, 403, 404, 200),
    ("enhancement", "update",  "registered", 401, 403, 403,  404, 403, 404, 403),
    ("enhancement", "update",  "issued",     401, 403, 403,  403, 403, 403, 403),
    ("enhancement", "delete",  "draft",      401, 204, 204,  404, 403, 404, 204),
    ("enhancement", "delete",  "registered", 401, 403, 403,  404, 403, 404, 403),
    ("enhancement", "delete",  "issued",     401, 403, 403,  403, 403, 403, 403),
    ("pool",       "list",     None,         PUBLIC, ALL, ALL, PUBLIC, ALL, PUBLIC, ALL),
    ("pool",       "create",   "draft",      401, 201, 201,  400, 403, 400, 201),
    ("pool",       "create",   "registered", 401, 403, 403,  400, 403, 400, 403),
    ("pool",       "create",   "issued",     401, 403, 403,  403, 403, 403, 403),
    ("pool",       "retrieve", "draft",      404, 200, 200,  404, 200, 404, 200),
    ("pool",       "retrieve", "registered", 404, 200, 200,  404, 200, 404, 200),
    ("pool",       "retrieve", "issued",     200, 200, 200,  200, 200, 200, 200),
    ("pool",       "update",   "draft",      401, 200, 200,  404, 403, 404, 200),
    ("pool",       "update",   "registered", 401, 403, 403,  404, 403, 404, 403),
    ("pool",       "update",   "issued",     401, 403, 403,  403, 403, 403, 403),
    ("pool",       "delete",   "draft",      401, 204, 204,  404, 403, 404, 204),
    ("pool",       "delete",   "registered", 401, 403, 403,  404, 403, 404, 403),
    ("pool",       "delete",   "issued",     401, 403, 403,  403, 403, 403, 403),
    # Reference data: every signed-in user reads, regulators and staff write.
    ("benchmark",  "list",     None,         401, LISTED, LISTED, LISTED, LISTED, LISTED, LISTED),
    ("benchmark",  "create",   None,         401, 403, 403,  403, 201, 403, 201),
    ("benchmark",  "retrieve", "row",        401, 200, 200,  200, 200, 200, 200),
    ("benchmark",  "update",   "row",        401, 403, 403,  403, 200, 403, 200),
    ("fx",         "list",     None,         401, LISTED, LISTED, LISTED, LISTED, LISTED, LISTED),
    ("fx",         "create",   None,         401, 403, 403,  403, 201, 403, 201),
    ("fx",         "retrieve", "row",        401, 200, 200,  200, 200, 200, 200),
    ("fx",         "update",   "row",        401, 403, 403,  403, 200, 403, 200),
    ("waterfall",  "run",      None,         401, 200, 200,  200, 200, 200, 200),
    ("waterfall",  "simulate", None,         401, 200, 200,  200, 200, 200, 200),
]
API_METHODS = {"list": ("list", "GET"), "create": ("list", "POST"),
               "retrieve": ("detail", "GET"), "update": ("detail", "PATCH"),
               "delete": ("detail", "DELETE"), "transition": ("transition", "POST"),
               "reports": ("reports", "GET"), "report": ("reports", "POST"),
               "run": ("run", "POST"), "simulate": ("simulate", "POST")}

WATERFALL = {"periods_per_year": 4, "collections": [30, 30],
             "tranches": [{"name": "A", "balance": 50, "rate": 0.04}],
             "steps": [{"pay_interest": ["A"]}, {"pay_principal": ["A"], "mode": "sequential"}]}


def _api_cases():
    for basename, action, target, *statuses in API_MATRIX:
        route, method = API_METHODS[action.partition(":")[0]]
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(basename, action, target, role, status,
                               id=f"{basename}-{action}-{method}-{target or 'none'}-{role}")


API_CASES = list(_api_cases())


def _api_url(basename: str, action: str, target: str | None, world: World) -> str:
    route, _ = API_METHODS[action.partition(":")[0]]
    if basename == "waterfall":
        return reverse(f"api:waterfall-{route}")
    if route == "list":
        return reverse(f"api:{basename}-list")
    return reverse(f"api:{basename}-{route}", kwargs={"pk": world.target(basename, target).pk})


def _api_payload(basename: str, action: str, target: str | None, world: World):
    verb, _, to_status = action.partition(":")
    deal = world.deals.get(target)
    if verb == "create":
        return {
            "deal": {**DEAL_FORM, "originator": world.issuer_a.pk},
            "tranche": {**TRANCHE_FORM, "deal": getattr(deal, "pk", None)},
            "enhancement": {**ENHANCEMENT_FORM, "deal": getattr(deal, "pk", None)},
            "pool": {"deal": getattr(deal, "pk", None), "asset": world.free_asset.pk,
                     "cutoff_value": "50", "financing_amount": "40"},
            "benchmark": BENCHMARK_FORM,
            "fx": FX_FORM,
        }[basename]
    if verb == "update":
        field, value = UPDATES[basename]
        return {field: str(value)}
    if verb == "transition":
        return {"status": to_status, "reason": "permission matrix"}
    if verb == "report":
        return REPORT_FORM
    if verb == "run":
        return WATERFALL
    if verb == "simulate":
        return {**WATERFALL, "simulation": {"paths": 100, "seed": 1, "volatility": 0.2,
                                            "obsolescence_hazard": 0.01}}
    return None


@pytest.mark.parametrize(("basename", "action", "target", "role", "expected"), API_CASES)
def test_api_permissions(world, db, api, basename, action, target, role, expected):
    """Each deals API endpoint answers each role as the policy says: lists are filtered
    rather than refused, writes take effect and are audited, refusals change nothing."""
    user = world.users[role]
    if user is not None:
        api.force_authenticate(user)
    route, method = API_METHODS[action.partition(":")[0]]
    url = _api_url(basename, action, target, world)
    before, audit_mark = _state(), _last_audit_id()

    send = getattr(api, method.lower())
    payload = _api_payload(basename, action, target, world)
    response = send(url, payload, format="json") if payload is not None else send(url)

    status = 200 if expected in (PUBLIC, ALL, LISTED) else expected
    assert response.status_code == status, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code} "
        f"{response.content[:300]!r}")
    if expected in LIST_DEALS:
        rows = response.json()["results"]
        deal_ids = {row["id"] if basename == "deal" else row["deal"] for row in rows}
        assert deal_ids == {world.deals[key].pk for key in LIST_DEALS[expected]}
    elif expected == LISTED:
        assert [row["id"] for row in response.json()["results"]] == [
            world.target(basename, "row").pk]
    elif method == "GET" and expected == 200 and route == "detail":
        assert response.json()["id"] == world.target(basename, target).pk
    verb, _, to_status = action.partition(":")
    if method == "GET" or basename == "waterfall":
        assert _new_audit(audit_mark) == []
        assert _state() == before
    elif expected in (200, 201, 204):
        _assert_written(basename, verb, world, target, user, audit_mark, to_status=to_status,
                        response=response if verb == "create" else None)
    else:
        _assert_refused(before, audit_mark)


def test_module_data_is_what_the_matrix_assumes(world, db):
    """A's three deals are in the statuses the matrix names, each with tranches A and B, an
    enhancement and a pool; the free asset sits in no pool."""
    assert {key: deal.status for key, deal in world.deals.items()} == {
        "draft": DealStatus.DRAFT, "registered": DealStatus.REGISTERED,
        "issued": DealStatus.ISSUED}
    for deal in world.deals.values():
        assert sorted(deal.tranches.values_list("name", flat=True)) == ["A", "B"]
        assert deal.enhancements.count() == 1 and deal.pool.count() == 1
        assert deal.originator_id == world.issuer_a.pk
        assert deal.issue_date == datetime.date(2024, 3, 1)
    assert not world.free_asset.pool_entries.exists()
