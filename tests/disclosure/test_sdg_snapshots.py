"""SDG snapshots of deals and issuers (issue 5): inputs from the registry and accepted filings,
idempotent snapshots with history, recompute after commit when an input changes, the pages'
fragments and trends, `manage.py recompute` and the regulators' runs page."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.models import RecomputeRun
from deals import services as deal_services
from disclosure import services
from disclosure.models import SdgSnapshot
from ipregistry import services as registry_services
from tests.deals.test_services import issued, make_deal
from tests.disclosure.conftest import answers
from tests.factories import FinancialsFactory, IPAssetFactory, IssuerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(issuer_a):
    """A 2024 deal of A (an SME in Guangdong) financing A itself and a Sichuan SME."""
    sichuan = IssuerFactory(name="Chengdu Gamma Robotics Co., Ltd.", province="CN-SC",
                            city="Chengdu", issuer_type="sme")
    for issuer, (rev_before, rnd_before, emp_before), (rev_after, rnd_after, emp_after) in (
            (issuer_a, (100, 5, 300), (120, 9, 360)),
            (sichuan, (50, 2, 100), (50, 3, 110))):
        FinancialsFactory(issuer=issuer, year=2023, revenue=Decimal(rev_before * 10**6),
                          rnd_expense=Decimal(rnd_before * 10**6), employees=emp_before,
                          high_skill_employees=10, carbon_rnd_expense=Decimal(10**6))
        FinancialsFactory(issuer=issuer, year=2025, revenue=Decimal(rev_after * 10**6),
                          rnd_expense=Decimal(rnd_after * 10**6), employees=emp_after,
                          high_skill_employees=10, carbon_rnd_expense=Decimal(2 * 10**6))
    deal_services.benchmark_create(actor=None, country="CN", year=2024, currency="CNY",
                                   sme_loan_rate=Decimal("0.052"),
                                   industry_employment_growth=Decimal("0.04"))
    deal = make_deal(issuer_a, structure="finance_lease")
    green = IPAssetFactory(owner=issuer_a, title="Perovskite cell", cpc_codes=["Y02E 10/50"])
    deal_services.pool_add(actor=None, deal=deal, asset=IPAssetFactory(owner=sichuan),
                           cutoff_value=Decimal("80"), financing_amount=Decimal("50"))
    deal = issued(deal, green)  # 120 cut-off, 100 financing to A
    return deal, sichuan


def value(snapshot, key):
    return next(i for i in snapshot.indicators if i["key"] == key)


def test_a_deals_indicators_from_registry_figures(market, issuer_a):
    deal, sichuan = market
    snapshot = services.sdg_snapshot_refresh_deal(deal_id=deal.pk)
    # R&D intensity: A 5 % -> 7.5 % (+2.5 pp), Sichuan 4 % -> 6 % (+2 pp): mean +2.25 pp.
    assert value(snapshot, "rnd_intensity_change_pp")["value"] == pytest.approx(2.25)
    # Employment: A +20 %, Sichuan +10 %, each minus 4 %: mean +11 %.
    assert value(snapshot, "employment_growth_excess")["value"] == pytest.approx(0.11)
    # 5.2 % SME rate against the 4 % senior coupon.
    assert value(snapshot, "financing_cost_saving_bp")["value"] == pytest.approx(120)
    # Financing: A 100 (issuer_a's type), Sichuan 50: the Sichuan SME is a third, and western.
    assert value(snapshot, "less_developed_region_share")["value"] == pytest.approx(1 / 3)
    assert value(snapshot, "green_asset_share")["value"] == pytest.approx(120 / 200)
    assert snapshot.scores["economic"]["value"] is not None
    assert snapshot.sources[str(sichuan.pk)] == {"2023": "registry", "2025": "registry"}
    assert services.sdg_snapshot_refresh_deal(deal_id=deal.pk).pk == snapshot.pk


def test_a_missing_benchmark_is_reported_not_zeroed(issuer_a):
    deal = issued(make_deal(issuer_a), IPAssetFactory(owner=issuer_a))
    snapshot = services.sdg_snapshot_refresh_deal(deal_id=deal.pk)
    saving = value(snapshot, "financing_cost_saving_bp")
    assert saving["value"] is None and saving["missing"]
    assert "financing_cost_saving_bp" in snapshot.scores["economic"]["coverage"]["missing"]


def test_an_accepted_filing_supplies_a_missing_year(market, issuer_a, user_a, regulator,
                                                    esg_template):
    deal, _ = market
    filing = services.filing_create(actor=user_a, issuer=issuer_a, template=esg_template,
                                    period="2022")
    services.filing_save_answers(actor=user_a, filing=filing, answers=answers())
    services.filing_submit(actor=user_a, filing=filing, today=datetime.date(2023, 3, 1))
    services.review_start(actor=regulator, filing=filing)
    services.review_decide(actor=regulator, filing=filing, decision="accept")
    snapshot = services.sdg_snapshot_refresh_issuer(issuer_id=issuer_a.pk)
    assert snapshot.sources[str(issuer_a.pk)]["2022"] == "accepted filing"
    assert snapshot.sources[str(issuer_a.pk)]["2023"] == "registry"


def test_an_input_change_makes_a_new_snapshot_after_commit(market, issuer_a,
                                                           django_capture_on_commit_callbacks):
    deal, sichuan = market
    with django_capture_on_commit_callbacks(execute=True):
        services.sdg_snapshot_refresh_deal(deal_id=deal.pk)
    financials = sichuan.financials.get(year=2025)
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.financials_update(actor=None, financials=financials, employees=150)
    latest = deal.sdg_snapshots.order_by("-created_at", "-id").first()
    assert deal.sdg_snapshots.count() == 2
    assert value(latest, "employment_growth_excess")["value"] == pytest.approx(
        ((0.20 - 0.04) + (0.50 - 0.04)) / 2)
    assert SdgSnapshot.objects.filter(issuer=sichuan).exists()
    assert RecomputeRun.objects.filter(kind="sdg", scope=f"issuer:{sichuan.pk}").exists()


def test_fragments_and_trend(client, market, issuer_a, investor, user_b):
    deal, sichuan = market
    services.sdg_snapshot_refresh_deal(deal_id=deal.pk)
    services.sdg_snapshot_refresh_issuer(issuer_id=sichuan.pk)
    fragment = client.get(reverse("disclosure:sdg", args=["deal", deal.pk]),
                          HTTP_HX_REQUEST="true").content.decode()
    assert 'id="sdg-scores"' in fragment and "<html" not in fragment
    assert "rnd_intensity_change_pp" in fragment
    issuer_url = reverse("disclosure:sdg", args=["issuer", sichuan.pk])
    assert client.get(issuer_url).status_code == 404  # the public reads no financials
    client.force_login(user_b)
    assert client.get(issuer_url).status_code == 404  # nor does another issuer
    client.force_login(investor)
    assert client.get(issuer_url).status_code == 200
    csv = client.get(reverse("disclosure:sdg-trend", args=["issuer", sichuan.pk, "csv"]))
    assert csv.content.decode().startswith("computed_at,economic,social,environmental")
    svg = client.get(reverse("disclosure:sdg-trend", args=["deal", deal.pk, "svg"]))
    assert svg["Content-Type"].startswith("image/svg")


def test_the_recompute_command_shows_progress_and_records_runs(market):
    out = io.StringIO()
    call_command("recompute", "all", stdout=out)
    text = out.getvalue()
    assert "risk    [" in text and "sdg     [" in text and "market  [" in text
    assert set(RecomputeRun.objects.filter(scope="all", trigger="command", status="succeeded")
               .values_list("kind", flat=True)) == {"risk", "sdg", "market"}
    deal, _ = market
    assert deal.risk_snapshots.exists() and deal.sdg_snapshots.exists()


def test_regulators_recompute_now_and_follow_the_run(client, regulator, investor, market,
                                                     django_capture_on_commit_callbacks):
    client.force_login(investor)
    assert client.get(reverse("disclosure:runs")).status_code == 403
    client.force_login(regulator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("disclosure:runs"), {"kind": "sdg"})
    run = RecomputeRun.objects.get(trigger="button")
    assert response.url == reverse("disclosure:runs") + f"?run={run.pk}"
    run.refresh_from_db()
    assert (run.status, run.requested_by, run.done) == ("succeeded", regulator, run.total)
    page = client.get(response.url).content.decode()
    assert f'id="run-{run.pk}"' in page and "Succeeded" in page
    progress = client.get(reverse("disclosure:run-progress", args=[run.pk])).content.decode()
    assert "hx-trigger" not in progress  # a finished run is not polled any more
    assert client.post(reverse("disclosure:runs"), {"kind": "bogus"}).status_code == 400


