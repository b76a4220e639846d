"""The registry API: asset shape, errors naming fields, filters, pagination."""

from decimal import Decimal

import pytest

from ipregistry.models import IPAsset
from tests.factories import IPAssetFactory, ValuationFactory

pytestmark = pytest.mark.django_db


def _asset_payload(owner, **overrides):
    payload = {"owner": owner.pk, "kind": "invention_patent", "registry_number": "CN114000001B",
               "title": "Perovskite tandem solar cell", "country": "CN",
               "filing_date": "2021-03-01", "grant_date": "2023-05-02",
               "expiry_date": "2041-03-01", "cpc_codes": ["Y02E 10/50", "H01L 31/0725"],
               "ipc_codes": ["H01L 31/042"]}
    return {**payload, **overrides}


def test_asset_written_with_owner_and_code_lists_read_with_green(api, user_a, issuer_a):
    """Assets are written with owner and code lists and read with green and its categories."""
    api.force_authenticate(user_a)
    response = api.post("/api/v1/assets/", _asset_payload(issuer_a), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == issuer_a.pk
    assert body["cpc_codes"] == ["Y02E 10/50", "H01L 31/0725"]
    assert body["green"] is True
    assert body["green_categories"] == ["IPC:alternative_energy_production", "Y02E"]
    assert body["remaining_life_years"] > 14


def test_green_cannot_be_typed_in(api, user_a, issuer_a):
    """A client sending green=true for a non-green asset gets a non-green asset."""
    api.force_authenticate(user_a)
    response = api.post("/api/v1/assets/", _asset_payload(
        issuer_a, cpc_codes=["A61K 39/395"], ipc_codes=[], green=True,
        green_categories=["Y02E"]), format="json")
    assert response.status_code == 201
    assert response.json()["green"] is False
    assert response.json()["green_categories"] == []


@pytest.mark.parametrize(("overrides", "field", "fragment"), [
    ({"registry_number": "CN11400000"}, "registry_number", "kind code"),
    ({"cpc_codes": ["Y2E 10/50"]}, "cpc_codes", "Y2E 10/50"),
    ({"country": "China"}, "country", "2 characters"),
    ({"kind": "patent"}, "kind", "not a valid choice"),
    ({"filing_date": "01/03/2021"}, "filing_date", "format"),
    ({"cpc_codes": "Y02E 10/50"}, "cpc_codes", "list"),
])
def test_bad_asset_input_is_a_400_naming_the_field(api, user_a, issuer_a, overrides, field,
                                                   fragment):
    """Every refusal names the field and says what is wrong; nothing is written."""
    api.force_authenticate(user_a)
    response = api.post("/api/v1/assets/", _asset_payload(issuer_a, **overrides), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert fragment.lower() in " ".join(map(str, errors[field])).lower()
    assert not IPAsset.objects.exists()


def test_issuer_fields_as_design_names_them(api, staff):
    """Staff register issuers through the API with the design's field names."""
    api.force_authenticate(staff)
    response = api.post("/api/v1/issuers/", {
        "name": "Hangzhou Gamma Data Co., Ltd.", "uscc": "91440300708461136T",
        "country": "CN", "province": "CN-ZJ", "city": "Hangzhou", "issuer_type": "sme",
        "sector": "Software", "founded_year": 2015}, format="json")
    assert response.status_code == 201, response.json()
    assert {"lei", "uscc", "country", "province", "issuer_type"} <= set(response.json())


def test_asset_filters_match_the_page_filters(api, regulator, issuer_a, issuer_b):
    """The API takes the page's filters: kind, country, green, status, owner, expiry, text."""
    green = IPAssetFactory(owner=issuer_a, cpc_codes=["Y02E 10/50"], title="Solar inverter")
    IPAssetFactory(owner=issuer_b, cpc_codes=["A61K 39/395"], title="Antibody")
    expired = IPAssetFactory(owner=issuer_b, status="expired", expiry_date="2024-01-01",
                             filing_date="2004-01-01", grant_date="2006-01-01")
    api.force_authenticate(regulator)

    def ids(query):
        response = api.get(f"/api/v1/assets/?{query}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("green=true") == {green.pk}
    assert ids(f"owner={issuer_b.pk}&status=expired") == {expired.pk}
    assert ids("expiry_before=2025-01-01") == {expired.pk}
    assert ids("q=inverter") == {green.pk}
    assert ids("kind=trademark") == set()


def test_lists_are_paginated(api, regulator, issuer_a):
    """List endpoints page their results with a count and next link."""
    for _ in range(3):
        IPAssetFactory(owner=issuer_a)
    api.force_authenticate(regulator)
    body = api.get("/api/v1/assets/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert "page=2" in body["next"]


def test_valuation_via_api_flags_dispersion(api, user_a, issuer_a,
                                            django_capture_on_commit_callbacks):
    """Posting a second valuation 40 % above the first flags the asset after commit."""
    asset = IPAssetFactory(owner=issuer_a)
    ValuationFactory(asset=asset, value=Decimal("1000000"))
    api.force_authenticate(user_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/valuations/", {
            "asset": asset.pk, "appraiser": "Ocean Tomo", "method": "market",
            "value": "1400000.00", "currency": "CNY", "valuation_date": "2025-01-15"},
            format="json")
    assert response.status_code == 201
    body = api.get(f"/api/v1/assets/{asset.pk}/").json()
    assert body["dispersion_flagged"] is True
    assert Decimal(body["valuation_dispersion"]) == Decimal("0.4")


def test_schema_lists_every_registry_endpoint(api, investor):
    """The OpenAPI document describes all seven registry resources and token login."""
    api.force_authenticate(investor)
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for resource in ("issuers", "financials", "assets", "valuations", "licences", "receipts",
                     "pledges"):
        assert f"/api/v1/{resource}/" in paths
    assert "/api/v1/auth/token/" in paths
