"""Deal pages as users drive them: structuring a draft, pool totals, transitions, reports."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deals.choices import DealStatus
from deals.models import Deal, ServicerReport
from tests.deals.test_services import issued, make_deal
from tests.factories import IPAssetFactory, PledgeFactory

pytestmark = pytest.mark.django_db


def test_issuer_opens_a_draft_and_structures_it(client, user_a, issuer_a):
    """A draft is opened from the page, then given a tranche; the deal page shows both."""
    client.force_login(user_a)
    response = client.post("/deals/new/", {
        "name": "Pengcheng IP ABS 2025-1", "originator": issuer_a.pk, "country": "CN",
        "province": "CN-GD", "city": "Shenzhen", "structure": "pledged_loan",
        "currency": "CNY", "size": "200000000", "label": "green", "sdg_targets": "9.5; 7.2",
        "periods_per_year": "4", "projected_collections": "[60000000, 60000000]",
        "fees": "[]", "reserve": "{}", "waterfall_steps":
            '[{"pay_interest": ["A"]}, {"pay_principal": ["A"], "mode": "sequential"}]',
        "default_missed_periods": "2"})
    assert response.status_code == 302, response.content.decode()[:2000]
    deal = Deal.objects.get(name="Pengcheng IP ABS 2025-1")
    assert deal.status == DealStatus.DRAFT and deal.sdg_targets == ["9.5", "7.2"]
    response = client.post(f"/deals/{deal.pk}/tranches/new/", {
        "name": "A", "rank": "1", "size": "180000000", "coupon_type": "fixed",
        "coupon_rate": "0.025", "rating": "AAA"})
    assert response.status_code == 302
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Pengcheng IP ABS 2025-1" in page and 'id="tranches"' in page and "AAA" in page


def test_bad_waterfall_steps_are_refused_beside_the_field(client, user_a, issuer_a):
    """A draft whose cash-flow model is not JSON is refused, naming the field."""
    client.force_login(user_a)
    response = client.post("/deals/new/", {
        "name": "Broken", "originator": issuer_a.pk, "country": "CN", "structure": "pledged_loan",
        "currency": "CNY", "size": "1", "label": "none", "periods_per_year": "4",
        "waterfall_steps": "[{pay_interest", "default_missed_periods": "2"})
    assert response.status_code == 400
    assert "waterfall_steps" in response.context["form"].errors


def test_pool_assembly_updates_the_totals_over_htmx(client, user_a, issuer_a):
    """Adding an asset answers the pool editor with the new totals; a refusal names the asset."""
    deal = make_deal(issuer_a)
    free = IPAssetFactory(owner=issuer_a, title="Sodium-ion cell")
    pledged = IPAssetFactory(owner=issuer_a, title="Pledged cathode")
    client.force_login(user_a)
    response = client.post(f"/deals/{deal.pk}/pool/", {
        "asset": free.pk, "cutoff_value": "125", "financing_amount": "100"},
        HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pool-totals"' in html and "<html" not in html
    assert "125 CNY" in html and "25.0 %" in html  # pool 125 over notes 100
    PledgeFactory(asset=pledged, pledgee="Bank of Shenzhen")
    response = client.post(f"/deals/{deal.pk}/pool/", {
        "asset": pledged.pk, "cutoff_value": "10"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "pledged to Bank of Shenzhen" in response.content.decode()
    assert deal.pool.count() == 1


def test_regulator_registers_and_issuer_cannot(client, user_a, regulator, issuer_a):
    """Registration is the regulator's; the originator's approver is refused."""
    deal = make_deal(issuer_a)
    IPAssetFactory(owner=issuer_a)
    from deals import services

    services.pool_add(actor=None, deal=deal, asset=IPAssetFactory(owner=issuer_a),
                      cutoff_value=10)
    client.force_login(user_a)
    assert client.post(f"/deals/{deal.pk}/transition/",
                       {"status": "registered"}).status_code == 403
    client.force_login(regulator)
    assert client.post(f"/deals/{deal.pk}/transition/",
                       {"status": "registered"}).status_code == 302
    deal.refresh_from_db()
    assert deal.status == DealStatus.REGISTERED


def _upload(client, deal, text: str):
    return client.post(f"/deals/{deal.pk}/reports/new/", {
        "file": SimpleUploadedFile("report.csv", text.encode(), content_type="text/csv")})


def test_servicer_report_upload(client, user_a, issuer_a):
    """A CSV of collections by asset files the period; bad rows are all listed, nothing filed."""
    asset = IPAssetFactory(owner=issuer_a)
    deal = issued(make_deal(issuer_a), asset)
    client.force_login(user_a)
    response = _upload(client, deal, "period_end,asset_id,amount\n"
                                     "2024-06-30,abc,1\n2024-06-31,,2\n2024-06-30,,-5\n")
    assert response.status_code == 400
    problems = [(p.line, p.column) for p in response.context["problems"]]
    assert problems == [(2, "asset_id"), (3, "period_end"), (4, "amount")]
    assert not ServicerReport.objects.exists()
    response = _upload(client, deal, f"period_end,asset_id,amount\n2024-06-30,{asset.pk},20\n"
                                     "2024-06-30,,10\n")
    assert response.status_code == 302
    report = ServicerReport.objects.get()
    assert report.collections == Decimal("30") and report.collections_by_asset == {
        str(asset.pk): "20"}
    assert report.period_end == date(2024, 6, 30)


def test_page_links_keep_every_facet_value(client, investor, issuer_a):
    """Paging through a search keeps repeated facet values, so page 2 is the same search."""
    for n in range(27):
        deal = make_deal(issuer_a, name=f"Deal {n}", structure=(
            "pledged_loan" if n % 2 else "licence_royalty"))
        issued(deal, IPAssetFactory(owner=issuer_a))
    client.force_login(investor)
    page = client.get("/deals/?structure=pledged_loan&structure=licence_royalty").content.decode()
    assert "structure=pledged_loan&amp;structure=licence_royalty&amp;page=2" in page
