"""Query budgets: deal pages and API lists run a fixed number of queries, whatever the rows.

The module builds a small market (a few deals, each with two tranches, an enhancement and a pool
of three assets of different kinds, two in three of them issued with a servicer report and an
event; benchmarks and FX rates for their years), measures every page and API list once for
every viewer, then adds ten times as many rows of every kind; each test measures its page again
and requires exactly the same number of queries: an N+1 shows up as a count that grows with the
rows. The deal page and GET /api/v1/deals/<id>/ are compared between a small deal (2 tranches,
2 pool assets, one report) and a large one (6 tranches, 20 pool assets, several reports and
events). Each page also has an absolute budget, so a new constant query per page is noticed
too.

The data lives in a transaction rolled back at the end of the module (see
tests/deals/test_permissions.py); every test runs in its own savepoint.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import Role
from deals import services
from deals.choices import DealStatus, EventType
from deals.models import Deal
from ipregistry.choices import MembershipRole
from tests.conftest import api_token
from tests.deals.factories import asset
from tests.deals.test_permissions import module_transaction
from tests.deals.test_services import STEPS
from tests.factories import IssuerFactory, MembershipFactory, UserFactory

FEW, MANY = 3, 30  # deals of the market before the first measure; deals added before the second
KINDS = ("invention_patent", "trademark", "copyright_software")  # one pool asset of each

# Pages: URL name, URL kwargs, query string, request headers.
PAGES = {
    "deal-list": ("deals:deal-list", {}, {}, {}),
    "deal-list-q": ("deals:deal-list", {}, {"q": "Patent"}, {}),
    "deal-list-facets": ("deals:deal-list", {},
                         {"country": "CN", "status": ["issued", "amortizing"],
                          "asset_kind": "trademark", "sort": "-size"}, {}),
    "deal-list-htmx": ("deals:deal-list", {}, {"q": "Patent", "country": "CN"},
                       {"HTTP_HX_REQUEST": "true"}),
    "deal-export": ("deals:deal-export", {"fmt": "csv"}, {"q": "Patent"}, {}),
}
# API lists: URL name, query string.
API_LISTS = {
    "deal": ("api:deal-list", {}),
    "deal-facets": ("api:deal-list", {"country": "CN", "asset_kind": "trademark",
                                      "q": "Patent"}),
    "tranche": ("api:tranche-list", {}),
    "enhancement": ("api:enhancement-list", {}),
    "pool": ("api:pool-list", {}),
    "benchmark": ("api:benchmark-list", {}),
    "fx": ("api:fx-list", {}),
}
PUBLIC_API_LISTS = {"deal", "deal-facets"}  # the others are for signed-in users only

# Who looks: the public (deal pages only), staff (reads everything, no membership queries) and
# the approver of A (A's drafts too, found through their memberships).
VIEWERS = ("anonymous", "staff", "user_a")

# On PostgreSQL a text query first asks whether its exact matches fill a page (one cheap query,
# deals.search._enough) before it decides whether to add near misses on the names.
TEXT_QUERY = 1 if connection.vendor == "postgresql" else 0

# The most queries each page may run, for the heaviest viewer (A's approver; staff run one
# query fewer, without memberships, the public two or three fewer, without session and user).
SEARCH_PAGE_BUDGET = 7  # session, user, memberships (which drafts they see), COUNT for the
# paginator, one page of deals with their originators, the SME loan benchmarks of the page's
# (country, year)s, the facet counts (one statement for every facet)
PAGE_BUDGETS = {
    "deal-list": SEARCH_PAGE_BUDGET,
    "deal-list-q": SEARCH_PAGE_BUDGET + TEXT_QUERY,
    "deal-list-facets": SEARCH_PAGE_BUDGET,
    "deal-list-htmx": SEARCH_PAGE_BUDGET + TEXT_QUERY,
    # session, user, memberships, the matching deals with their originators, their benchmarks
    "deal-export": 5 + TEXT_QUERY,
    # session, user, memberships, the deal with its originator, then its tranches,
    # enhancements, pool (with assets and owners), reports and events, one prefetch each; the
    # SME loan benchmark of its year; approver memberships (which transitions they may record);
    # its latest risk snapshot
    "deal-detail": 12,
}
# API lists: token with its user, memberships (A's approver: the deal scope), then
API_BUDGETS = {
    # COUNT, one page of deals with originators, the page's benchmarks, the facet counts
    "deal": 6,
    "deal-facets": 6 + TEXT_QUERY,
    # COUNT and one page (the deals the viewer sees are a subquery)
    "tranche": 4,
    "enhancement": 4,
    "pool": 4,
    # COUNT and one page; no membership query
    "benchmark": 3,
    "fx": 3,
}
# GET /api/v1/deals/<id>/: token with its user, memberships, the deal with its originator, its
# tranches, enhancements, pool entries, their assets, the assets' owners (three queries, as
# `pool__asset__owner` is prefetched rather than joined), events, the SME loan benchmark.
API_DETAIL_BUDGET = 10

# --- the market -------------------------------------------------------------------------------


def _deal(originator, name: str, year: int, *, tranches=("A", "B"), kinds=KINDS,
          reports: int = 1, status: str = DealStatus.ISSUED) -> Deal:
    """A deal of the year with its tranches, an enhancement, a pool, reports and events."""
    steps = STEPS if tuple(tranches) == ("A", "B") else [
        {"pay_fees": ["trustee"]}, {"pay_interest": list(tranches)}, {"fund_reserve": True},
        {"pay_principal": list(tranches), "mode": "sequential"},
        {"pay_residual": tranches[-1]}]
    deal = services.deal_create(
        actor=None, name=name, originator=originator, country="CN", province="CN-GD",
        city="Shenzhen", structure="licence_royalty", currency="CNY",
        size=Decimal(100 * len(tranches)), spv_name=f"{name} SPV",
        issue_date=datetime.date(year, 3, 1), legal_final_date=datetime.date(year + 3, 3, 1),
        periods_per_year=4, projected_collections=[30] * 8,
        fees=[{"name": "trustee", "per_period": 1}], reserve={"initial": 2, "target": 2},
        waterfall_steps=steps, sdg_targets=["9.5"])
    for rank, tranche in enumerate(tranches, start=1):
        services.tranche_create(actor=None, deal=deal, name=tranche, rank=rank,
                                size=Decimal(100), coupon_rate=Decimal("0.04"), rating="AA")
    services.enhancement_create(actor=None, deal=deal, kind="overcollateralization",
                                percent=Decimal("0.1"))
    for kind in kinds:
        services.pool_add(actor=None, deal=deal, asset=asset(kind, owner=originator),
                          cutoff_value=Decimal(40), financing_amount=Decimal(30))
    if status == DealStatus.DRAFT:
        return deal
    for step in (DealStatus.REGISTERED, DealStatus.ISSUED):
        deal = services.deal_transition(actor=None, deal=deal, to_status=step)
    for period in range(1, reports + 1):
        period_end = deal.issue_date + datetime.timedelta(days=91 * period)
        services.report_submit(actor=None, deal=deal, period_end=period_end,
                               collections=Decimal(30))
        services.event_record(actor=None, deal=deal, date=period_end,
                              event_type=EventType.DOWNGRADE, details=f"Period {period}.")
    return Deal.objects.get(pk=deal.pk)


def _populate(issuer_a, count: int, start: int) -> None:
    """Add `count` deals (every third a draft of A, the rest issued deals of A or of other
    issuers), with the benchmark and FX rate of each deal's year."""
    for i in range(start, start + count):
        year = 1990 + i
        originator = issuer_a if i % 2 == 0 else IssuerFactory()
        status = DealStatus.DRAFT if i % 3 == 0 else DealStatus.ISSUED
        _deal(originator, f"Market {i} Patent ABS", year, status=status)
        services.benchmark_create(actor=None, country="CN", year=year, currency="CNY",
                                  sme_loan_rate=Decimal("0.05"))
        services.fx_create(actor=None, currency="CNY", year=year, rate_to_usd=Decimal("0.14"))


@dataclass(frozen=True)
class Market:
    viewers: dict  # viewer -> user (None for the public)
    small: Deal  # 2 tranches, 2 pool assets, one report
    large: Deal  # 6 tranches, 20 pool assets, four reports
    few: dict  # (kind, key, viewer) -> (status, queries) measured with FEW deals


def _page_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _api_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        # A real token, so that each request loads its own user as it does in production.
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def _request(kind: str, key, user):
    """A function fetching the page or API answer as the user, the client already signed in."""
    if kind == "page":
        name, kwargs, query, headers = PAGES[key]
        client = _page_client(user)
        return lambda: client.get(reverse(name, kwargs=kwargs), query, **headers)
    if kind == "api":
        name, query = API_LISTS[key]
        client = _api_client(user)
        return lambda: client.get(reverse(name), query)
    surface, deal = key  # kind "detail": ("page" or "api", deal)
    if surface == "page":
        client = _page_client(user)
        return lambda: client.get(deal.get_absolute_url())
    client = _api_client(user)
    return lambda: client.get(reverse("api:deal-detail", kwargs={"pk": deal.pk}))


def _measure(kind: str, key, user) -> tuple[int, list[dict]]:
    fetch = _request(kind, key, user)
    fetch()  # warm any per-process cache (content types, etc.) first
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    return response.status_code, list(captured.captured_queries)


def _cells():
    for viewer in VIEWERS:
        for page in PAGES:
            yield "page", page, viewer
        for name in API_LISTS:
            if viewer != "anonymous" or name in PUBLIC_API_LISTS:
                yield "api", name, viewer


@pytest.fixture(scope="module")
def market(django_db_setup, django_db_blocker):
    """The viewers, the small and the large deal, and every page measured with FEW deals,
    before MANY more are added."""
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            issuer_a = IssuerFactory(name="Shenzhen Alpha Photovoltaic Co., Ltd.")
            viewers = {
                "anonymous": None,
                "staff": UserFactory(username="sam", role=Role.INVESTOR, is_staff=True,
                                     is_superuser=True),
                "user_a": MembershipFactory(issuer=issuer_a, user__username="alice",
                                            role=MembershipRole.APPROVER).user,
            }
            small = _deal(issuer_a, "Small Patent ABS", 2024, kinds=KINDS[:2])
            large = _deal(issuer_a, "Large Patent ABS", 2024,
                          tranches=("A1", "A2", "B1", "B2", "C", "Sub"),
                          kinds=[KINDS[i % 3] for i in range(20)], reports=4)
            _populate(issuer_a, FEW, start=0)
            few = {(kind, key, viewer): _measure(kind, key, viewers[viewer])
                   for kind, key, viewer in _cells()}
            _populate(issuer_a, MANY, start=FEW)
        yield Market(viewers=viewers, small=small, large=large, few=few)


# --- checks -----------------------------------------------------------------------------------


def _normalized(sql: str) -> str:
    """The statement with its literals masked and IN lists folded, so repeats compare equal."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return re.sub(r"\(\?(?:, \?)*\)", "(?...)", sql)


def _repeated(first: list[dict], second: list[dict]) -> str:
    """The statements (numbers masked) that run more often with more rows."""
    before = Counter(_normalized(q["sql"]) for q in first)
    after = Counter(_normalized(q["sql"]) for q in second)
    grown = {sql: (before[sql], n) for sql, n in after.items() if n > before[sql]}
    return "\n".join(f"{old} -> {new} times: {sql}" for sql, (old, new) in grown.items())


def _assert_flat(few: tuple[int, list[dict]], many: tuple[int, list[dict]], budget: int,
                 what: str) -> None:
    (few_status, few_queries), (many_status, many_queries) = few, many
    assert (few_status, many_status) == (200, 200), what
    assert len(many_queries) == len(few_queries), (
        f"{what}: {len(few_queries)} queries with few rows, {len(many_queries)} with many; "
        f"repeated:\n" + _repeated(few_queries, many_queries))
    assert len(many_queries) <= budget, (
        f"{what}: {len(many_queries)} queries, budget {budget}:\n"
        + "\n".join(q["sql"] for q in many_queries))


def test_the_market_grows_tenfold(market, db):
    """The second measure sees ten times the deals, each with what the pages show."""
    assert Deal.objects.filter(name__startswith="Market ").count() == FEW + MANY
    large = Deal.objects.get(pk=market.large.pk)
    assert (large.tranches.count(), large.pool.count(), large.reports.count()) == (6, 20, 4)
    assert large.status == DealStatus.AMORTIZING and large.events.count() >= 4


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("page", list(PAGES))
def test_page_queries_do_not_grow_with_rows(market, db, page, viewer):
    """The deal search page (plain, with a query, with facets, as the htmx partial) and the
    CSV export run the same number of queries for a few deals as for ten times as many,
    within their budget."""
    user = market.viewers[viewer]
    _assert_flat(market.few[("page", page, viewer)], _measure("page", page, user),
                 PAGE_BUDGETS[page], f"{page} as {viewer}")


@pytest.mark.parametrize(("name", "viewer"), [
    (name, viewer) for name in API_LISTS for viewer in VIEWERS
    if viewer != "anonymous" or name in PUBLIC_API_LISTS])
def test_api_list_queries_do_not_grow_with_rows(market, db, name, viewer):
    """Every deals API list runs the same number of queries for a few rows as for ten times as
    many, within its budget."""
    user = market.viewers[viewer]
    _assert_flat(market.few[("api", name, viewer)], _measure("api", name, user),
                 API_BUDGETS[name], f"{name} list as {viewer}")


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("surface", ["page", "api"])
def test_deal_detail_queries_do_not_grow_with_its_parts(market, db, surface, viewer):
    """The deal page and GET /api/v1/deals/<id>/ run the same number of queries for a deal of
    2 tranches and 2 pool assets as for one of 6 tranches, 20 pool assets and four servicer
    reports, within their budget."""
    user = market.viewers[viewer]
    budget = PAGE_BUDGETS["deal-detail"] if surface == "page" else API_DETAIL_BUDGET
    _assert_flat(_measure("detail", (surface, market.small), user),
                 _measure("detail", (surface, market.large), user), budget,
                 f"deal {surface} as {viewer}")
