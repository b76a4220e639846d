"""Query budgets: list pages and API lists run a fixed number of queries, whatever the rows.

Each test renders a page (or an API list) with a few rows, adds many more rows of every kind
the page shows (assets with valuations, licences with receipts and pledges; fiscal years;
other issuers with assets), renders it again and requires exactly the same number of queries:
an N+1 shows up as a count that grows with the rows. Each page also has an absolute budget,
so a new constant query per page is noticed too.
"""

import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import api_token
from tests.factories import (
    FinancialsFactory,
    IPAssetFactory,
    IssuerFactory,
    LicenceFactory,
    PledgeFactory,
    ReceiptFactory,
    ValuationFactory,
)

FEW, MANY = 3, 30  # rows of each kind before the first measure; rows added before the second

# The most queries each page may run, for the heavier of the two viewers (the approver of A
# also loads their memberships; staff, the two-factor device their session was verified with).
# Every signed-in page starts with the session and the user.
PAGE_BUDGETS = {
    # session, user, staff's two-factor device, COUNT, one page of issuers with their asset
    # counts
    "issuer-list": 5,
    # session, user, memberships (may this user add assets?), COUNT, every issuer for the
    # owner filter's choices, one page of assets with their owners
    "asset-list": 6,
    # the same without the filter form, which the htmx partial does not render
    "asset-list-htmx": 5,
    # session, user, issuer with asset count, memberships (may read financials?), financials,
    # approver memberships (may edit the issuer?), assets counted by kind
    "issuer-detail": 7,
    # session, user, memberships, asset with owner, then its valuations, licences, the
    # licences' receipts and its pledges (one prefetch each)
    "asset-detail": 8,
}
# API lists: token with its user, memberships (when the role reads only its issuers' rows),
# COUNT, one page of rows.
API_BUDGET = 4
API_BASENAMES = ["issuer", "financials", "asset", "valuation", "licence", "receipt", "pledge"]
VIEWERS = ["staff", "user_a"]  # reads everything; approver of A, the owner of every row


def _populate(issuer, asset, count: int, start_year: int) -> None:
    """Add `count` rows of every kind to issuer A, to A's main asset, and to other issuers."""
    for i in range(count):
        FinancialsFactory(issuer=issuer, year=start_year + i)
        for target in (IPAssetFactory(owner=issuer), asset):
            ValuationFactory(asset=target)
            ReceiptFactory(licence=LicenceFactory(asset=target))
            PledgeFactory(asset=target)
        IPAssetFactory(owner=IssuerFactory())


@pytest.fixture
def main_asset(issuer_a):
    return IPAssetFactory(owner=issuer_a)


def _normalized(sql: str) -> str:
    return re.sub(r"\b\d+\b", "?", sql)


def _repeated(first: list[dict], second: list[dict]) -> str:
    """The statements (numbers masked) that run more often with more rows."""
    before = Counter(_normalized(q["sql"]) for q in first)
    after = Counter(_normalized(q["sql"]) for q in second)
    grown = {sql: (before[sql], n) for sql, n in after.items() if n > before[sql]}
    return "\n".join(f"{old} -> {new} times: {sql}" for sql, (old, new) in grown.items())


def _count_queries(fetch) -> list[dict]:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200
    return list(captured.captured_queries)


def _assert_flat(fetch, issuer, asset, budget: int) -> None:
    _populate(issuer, asset, FEW, start_year=1950)
    fetch()  # warm any per-process cache (content types, etc.) before measuring
    few = _count_queries(fetch)
    _populate(issuer, asset, MANY, start_year=2000)
    many = _count_queries(fetch)
    assert len(many) == len(few), (
        f"{len(few)} queries with {FEW} rows, {len(many)} with {FEW + MANY}; repeated:\n"
        + _repeated(few, many))
    assert len(few) <= budget, "\n".join(q["sql"] for q in few)


PAGES = {
    "issuer-list": ("ipregistry:issuer-list", None, {}),
    "asset-list": ("ipregistry:asset-list", None, {}),
    "asset-list-htmx": ("ipregistry:asset-list", None, {"HTTP_HX_REQUEST": "true"}),
    "issuer-detail": ("ipregistry:issuer-detail", "issuer", {}),
    "asset-detail": ("ipregistry:asset-detail", "asset", {}),
}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("page", list(PAGES))
def test_page_queries_do_not_grow_with_rows(request, client, issuer_a, main_asset, page,
                                            viewer):
    """A list or detail page runs the same number of queries for 3 rows as for 33, within its
    budget."""
    name, target, headers = PAGES[page]
    kwargs = {"pk": {"issuer": issuer_a, "asset": main_asset}[target].pk} if target else {}
    url = reverse(name, kwargs=kwargs)
    client.force_login(request.getfixturevalue(viewer))
    _assert_flat(lambda: client.get(url, **headers), issuer_a, main_asset, PAGE_BUDGETS[page])


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("basename", API_BASENAMES)
def test_api_list_queries_do_not_grow_with_rows(request, api, issuer_a, main_asset, basename,
                                                viewer):
    """An API list runs the same number of queries for 3 rows as for 33, within its budget."""
    # A real token, so that each request loads its own user as it does in production.
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(request.getfixturevalue(viewer))}")
    url = reverse(f"api:{basename}-list")
    _assert_flat(lambda: api.get(url), issuer_a, main_asset, API_BUDGET)
