"""The deals API: the waterfall calculator's contract, errors keyed by field path, facets in
the deal list, pooling other issuers' assets, servicer reports that move balances."""

import copy
from decimal import Decimal

import pytest

from core.models import AuditEntry
from deals.choices import DealStatus, Label, Structure
from deals.models import PoolAsset, ServicerReport
from ipregistry.choices import IssuerType
from tests.deals.factories import asset, issued_deal
from tests.deals.test_services import issued, make_deal
from tests.factories import IPAssetFactory, IssuerFactory, MembershipFactory, PledgeFactory

pytestmark = pytest.mark.django_db

WATERFALL_URL = "/api/v1/waterfall/run/"

# DESIGN 6.2: the request and the first period of its answer, as the contract shows them.
DESIGN_REQUEST = {
    "periods_per_year": 4,
    "collections": [100, 100, 100, 100],
    "fees": [{"name": "trustee", "per_period": 1}],
    "tranches": [{"name": "A", "balance": 300, "rate": 0.04},
                 {"name": "B", "balance": 50, "rate": 0.06},
                 {"name": "Sub", "balance": 20, "rate": 0}],
    "reserve": {"initial": 10, "target": 10},
    "steps": [{"pay_fees": ["trustee"]},
              {"pay_interest": ["A"]}, {"pay_interest": ["B"]},
              {"fund_reserve": True},
              {"pay_principal": ["A", "B"], "mode": "sequential"},
              {"pay_residual": "Sub"}],
}
DESIGN_PERIOD_1 = {
    "period": 1, "available": 100, "fees_paid": {"trustee": 1},
    "reserve_draw": 0, "reserve_balance": 10,
    "tranches": {"A": {"interest_due": 3, "interest_paid": 3, "principal_paid": 95.25,
                       "balance": 204.75, "unpaid_interest": 0},
                 "B": {"interest_due": 0.75, "interest_paid": 0.75, "principal_paid": 0,
                       "balance": 50, "unpaid_interest": 0},
                 "Sub": {"interest_due": 0, "interest_paid": 0, "principal_paid": 0,
                         "balance": 20, "unpaid_interest": 0, "excess": 0}},
}


# --- the waterfall calculator -----------------------------------------------------------------


def test_waterfall_run_answers_the_design_example(api, investor):
    """POST /api/v1/waterfall/run/ with the DESIGN 6.2 example returns its period 1 exactly,
    one entry per period and per tranche, and a check in which cash is conserved."""
    api.force_authenticate(investor)
    response = api.post(WATERFALL_URL, DESIGN_REQUEST, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["periods"][0] == DESIGN_PERIOD_1
    assert [period["period"] for period in body["periods"]] == [1, 2, 3, 4]
    assert set(body["tranches"]) == {"A", "B", "Sub"}
    check = body["check"]
    assert (check["collections"], check["reserve_start"]) == (400, 10)
    assert check["collections"] + check["reserve_start"] == pytest.approx(
        check["paid_out"] + check["reserve_end"], abs=0.01)
    # The reserve is released in the last period, so nothing is left in it.
    assert check["reserve_end"] == 0


def test_waterfall_run_stores_nothing(api, investor):
    """The calculator computes only: no row and no audit entry are written."""
    api.force_authenticate(investor)
    audit_before = AuditEntry.objects.count()
    assert api.post(WATERFALL_URL, DESIGN_REQUEST, format="json").status_code == 200
    assert AuditEntry.objects.count() == audit_before


def _changed(path: str, value):
    """The DESIGN request with the value at a dotted path (list indexes as numbers) replaced."""
    request = copy.deepcopy(DESIGN_REQUEST)
    *parents, last = path.split(".")
    target = request
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[int(last) if last.isdigit() else last] = value
    return request


@pytest.mark.parametrize(("request_body", "field", "fragment"), [
    (_changed("steps.4.pay_principal", ["A", "C"]), "steps[4].pay_principal[1]",
     "no tranche named 'C'"),
    (_changed("tranches.1.balance", -50), "tranches[1].balance", "must not be negative"),
    (_changed("collections", []), "collections", "must not be empty"),
    (_changed("collections.2", "a hundred"), "collections[2]", "must be a number"),
    (_changed("periods_per_year", 0), "periods_per_year", "positive integer"),
    (_changed("steps.0.pay_fees", ["custodian"]), "steps[0].pay_fees[0]",
     "no fee named 'custodian'"),
    (_changed("steps.5.pay_residual", "Equity"), "steps[5].pay_residual",
     "no tranche named 'Equity'"),
    ({key: value for key, value in DESIGN_REQUEST.items() if key != "tranches"}, "tranches",
     "is required"),
    ([1, 2, 3], "body", "JSON object"),
])
def test_bad_waterfall_input_is_a_400_keyed_by_the_field_path(api, investor, request_body,
                                                              field, fragment):
    """Bad input answers 400 with one error, keyed by the offending field's path."""
    api.force_authenticate(investor)
    response = api.post(WATERFALL_URL, request_body, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == [field]
    assert fragment in body[field][0]


def test_waterfall_run_needs_a_signed_in_user(api):
    """The calculator is for signed-in users."""
    assert api.post(WATERFALL_URL, DESIGN_REQUEST, format="json").status_code == 401


# --- the deal list and its facets -------------------------------------------------------------


@pytest.fixture
def market(issuer_a):
    """Three issued deals (two of A, one of another issuer) and a draft of A."""
    other = IssuerFactory(name="Hangzhou Gamma Software Co., Ltd.", province="CN-ZJ",
                          city="Hangzhou")
    return {
        "green": issued_deal(name="Alpha Green Patent ABS", originator=issuer_a,
                             label=Label.GREEN, sdg_targets=["7.2"],
                             assets=["invention_patent", "trademark"]),
        "lease": issued_deal(name="Alpha Lease ABS", originator=issuer_a,
                             structure=Structure.FINANCE_LEASE, assets=["invention_patent"]),
        "gamma": issued_deal(name="Gamma Software ABS", originator=other, province="CN-ZJ",
                             assets=["copyright_software"]),
        "draft": issued_deal(name="Alpha Draft ABS", originator=issuer_a,
                             status=DealStatus.DRAFT, assets=["trademark"]),
    }


def _counts(facets: dict, key: str) -> dict:
    return {str(entry["value"]): entry["count"] for entry in facets[key]}


def test_deal_list_carries_facet_counts_over_every_match(api, market):
    """GET /api/v1/deals/ answers the page of deals and `facets`: for each facet, its values
    with labels and the number of matching deals, over every match (not just the page)."""
    response = api.get("/api/v1/deals/", {"page_size": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 1
    facets = body["facets"]
    assert _counts(facets, "status") == {"issued": 3}
    assert _counts(facets, "asset_kind") == {"invention_patent": 2, "trademark": 1,
                                             "copyright_software": 1}
    assert _counts(facets, "province") == {"CN-GD": 2, "CN-ZJ": 1}
    assert _counts(facets, "label") == {"none": 2, "green": 1}
    assert _counts(facets, "sdg_target") == {"7.2": 1}
    status = facets["status"][0]
    assert (status["label"], status["count"]) == ("Issued", 3)


def test_deal_list_facets_follow_the_filters(api, market):
    """With a facet filter the counts describe the filtered deals."""
    body = api.get("/api/v1/deals/", {"asset_kind": "invention_patent"}).json()
    assert {row["name"] for row in body["results"]} == {"Alpha Green Patent ABS",
                                                        "Alpha Lease ABS"}
    assert _counts(body["facets"], "structure") == {"licence_royalty": 1, "finance_lease": 1}
    assert _counts(body["facets"], "asset_kind") == {"invention_patent": 2, "trademark": 1}


def test_deal_list_facets_count_only_deals_the_user_may_see(api, market, user_a, investor):
    """A's draft is counted for A's members, never for investors or the public."""
    assert "draft" not in _counts(api.get("/api/v1/deals/").json()["facets"], "status")
    api.force_authenticate(investor)
    assert "draft" not in _counts(api.get("/api/v1/deals/").json()["facets"], "status")
    api.force_authenticate(user_a)
    body = api.get("/api/v1/deals/").json()
    assert _counts(body["facets"], "status") == {"issued": 3, "draft": 1}
    assert _counts(body["facets"], "asset_kind")["trademark"] == 2


def test_bad_facet_values_are_a_400_naming_the_filter(api, market):
    """A facet value that is not one is refused, naming the parameter."""
    response = api.get("/api/v1/deals/", {"country": "China"})
    assert response.status_code == 400
    assert "country" in response.json()


# --- pooling ------------------------------------------------------------------------------------


def _pool(api, deal, an_asset):
    return api.post("/api/v1/pool/", {"deal": deal.pk, "asset": an_asset.pk,
                                      "cutoff_value": "10"}, format="json")


def test_an_sme_cannot_pool_another_issuers_asset(api, user_b, issuer_a, issuer_b):
    """B's member may structure B's own draft, but B is no intermediary: an asset of A cannot
    enter its pool (403, nothing written); B's own asset can."""
    draft = make_deal(issuer_b, name="Beta Biotech Patent ABS")
    foreign = IPAssetFactory(owner=issuer_a)
    api.force_authenticate(user_b)
    audit_before = AuditEntry.objects.count()

    response = _pool(api, draft, foreign)

    assert response.status_code == 403, response.content
    assert not PoolAsset.objects.filter(asset=foreign).exists()
    assert AuditEntry.objects.count() == audit_before
    own = IPAssetFactory(owner=issuer_b)
    assert _pool(api, draft, own).status_code == 201
    assert list(draft.pool.values_list("asset_id", flat=True)) == [own.pk]


def test_an_intermediary_pools_its_beneficiaries_assets(api, issuer_a):
    """A financial intermediary's member may pool another issuer's asset into its draft."""
    intermediary = IssuerFactory(name="Shenzhen Leasing Co., Ltd.",
                                 issuer_type=IssuerType.FINANCIAL_INTERMEDIARY)
    member = MembershipFactory(issuer=intermediary).user
    draft = make_deal(intermediary, name="Shenzhen Leasing IP ABS")
    beneficiary_asset = IPAssetFactory(owner=issuer_a)
    api.force_authenticate(member)

    response = _pool(api, draft, beneficiary_asset)

    assert response.status_code == 201, response.content
    assert response.json()["beneficiary"] == issuer_a.name
    entry = PoolAsset.objects.get(deal=draft, asset=beneficiary_asset)
    assert AuditEntry.objects.filter(action="deals.poolasset.create",
                                     object_id=str(entry.pk), actor=member).exists()


def test_an_asset_in_another_live_pool_is_refused(api, user_a, issuer_a):
    """Asset isolation: an asset in another deal's live pool cannot enter a second one (400,
    nothing written)."""
    taken = asset(owner=issuer_a)
    issued_deal(name="First Alpha ABS", originator=issuer_a, assets=[taken])
    draft = make_deal(issuer_a, name="Second Alpha ABS")
    api.force_authenticate(user_a)
    audit_before = AuditEntry.objects.count()
    response = _pool(api, draft, taken)
    assert response.status_code == 400
    messages = [message for errors in response.json().values() for message in errors]
    assert any("live pool" in message for message in messages), messages
    assert not draft.pool.exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("unavailable", ["lapsed", "pledged"])
def test_changing_a_pool_entrys_asset_is_checked_like_adding_it(api, user_a, issuer_a,
                                                                unavailable):
    """PATCH pool/<id>/ with another asset passes the checks of adding it: a lapsed asset, or
    one pledged to someone other than the deal's SPV, is refused (400 keyed by `asset`) and
    the entry keeps its asset."""
    draft = make_deal(issuer_a, name="Alpha Draft ABS")
    api.force_authenticate(user_a)
    entry = _pool(api, draft, IPAssetFactory(owner=issuer_a)).json()
    if unavailable == "lapsed":
        replacement = IPAssetFactory(owner=issuer_a, status="lapsed")
    else:
        replacement = IPAssetFactory(owner=issuer_a)
        PledgeFactory(asset=replacement, pledgee="Bank of Shenzhen")

    response = api.patch(f"/api/v1/pool/{entry['id']}/", {"asset": replacement.pk},
                         format="json")

    assert response.status_code == 400, response.content
    assert "asset" in response.json()
    assert PoolAsset.objects.get(pk=entry["id"]).asset_id == entry["asset"]


# --- servicer reports ---------------------------------------------------------------------------


@pytest.fixture
def issued_a(issuer_a):
    """make_deal's model (tranches A 80 at 4 %, B 20), issued with a pool of one asset."""
    return issued(make_deal(issuer_a), IPAssetFactory(owner=issuer_a))


def test_servicer_report_through_the_api_updates_balances(api, user_a, issued_a):
    """POST deals/<id>/reports/ runs the period through the deal's waterfall: the answer holds
    the period's result, the tranche balances move, the deal starts amortizing, and the report
    is audited."""
    api.force_authenticate(user_a)
    url = f"/api/v1/deals/{issued_a.pk}/reports/"

    response = api.post(url, {"period_end": "2024-06-30", "collections": "30"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["period"], body["deal"]) == (1, issued_a.pk)
    # 30 collected: 1 fee, A's interest 0.8, the reserve already full, 28.2 of principal to A.
    assert body["result"]["period"]["tranches"]["A"]["principal_paid"] == pytest.approx(28.2)
    deal = api.get(f"/api/v1/deals/{issued_a.pk}/").json()
    assert {t["name"]: Decimal(t["balance"]) for t in deal["tranches"]} == {
        "A": Decimal("51.80"), "B": Decimal("20.00")}
    assert deal["status"] == DealStatus.AMORTIZING
    report = ServicerReport.objects.get(deal=issued_a)
    assert report.submitted_by == user_a
    assert AuditEntry.objects.filter(action="deals.servicerreport.create",
                                     object_id=str(report.pk), actor=user_a).exists()
    assert [row["period"] for row in api.get(url).json()] == [1]


def test_servicer_reports_follow_the_period_order(api, user_a, issued_a):
    """A report dated before the last one is a 400 keyed by `period_end`; nothing moves."""
    api.force_authenticate(user_a)
    url = f"/api/v1/deals/{issued_a.pk}/reports/"
    assert api.post(url, {"period_end": "2024-06-30", "collections": "30"},
                    format="json").status_code == 201

    response = api.post(url, {"period_end": "2024-06-01", "collections": "30"}, format="json")

    assert response.status_code == 400
    assert "period_end" in response.json()
    assert ServicerReport.objects.filter(deal=issued_a).count() == 1
    assert issued_a.tranches.get(name="A").balance == Decimal("51.80")


def test_bad_servicer_report_input_is_a_400(api, user_a, issued_a):
    """A report without its period end, or with negative collections, is refused; nothing
    is filed and no balance moves."""
    api.force_authenticate(user_a)
    url = f"/api/v1/deals/{issued_a.pk}/reports/"
    missing = api.post(url, {"collections": "30"}, format="json")
    assert missing.status_code == 400
    assert list(missing.json()) == ["period_end"]
    negative = api.post(url, {"period_end": "2024-06-30", "collections": "-1"}, format="json")
    assert negative.status_code == 400
    messages = [message for errors in negative.json().values() for message in errors]
    assert "Collections cannot be negative." in messages
    assert not ServicerReport.objects.exists()
    assert issued_a.tranches.get(name="A").balance == Decimal("80.00")
