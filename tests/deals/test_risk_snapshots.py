"""A deal's stored risk (DESIGN 6.3 and issue 5): calibration, implied bands, concentration,
the composite score and its explanation; snapshots written only when an input changed, kept as
history, recomputed after commit when an input changes; the deal page and the simulate
endpoint."""

import datetime
import math
from decimal import Decimal

import pytest
from django.urls import reverse

from deals import riskscore, services
from deals.models import RiskSnapshot
from deals.riskscore import Exposure
from ipregistry import services as registry_services
from tests.deals.test_services import issued, make_deal
from tests.factories import IPAssetFactory, LicenceFactory

# --- pure parts -----------------------------------------------------------------------------


def test_volatility_from_receipts_is_annualized():
    # Quarterly receipts alternating up and down by 10 %: log changes +-ln(1.1).
    start = datetime.date(2022, 3, 31)
    amounts = [100, 110, 100, 110, 100, 110]
    receipts = [(start + datetime.timedelta(days=91 * i), a) for i, a in enumerate(amounts)]
    result = riskscore.calibrate_volatility(receipts)
    changes = [math.log(b / a) for a, b in zip(amounts, amounts[1:], strict=False)]
    mean = sum(changes) / len(changes)
    sd = math.sqrt(sum((c - mean) ** 2 for c in changes) / (len(changes) - 1))
    assert result.source == "receipts"
    assert result.value == pytest.approx(sd * math.sqrt(365.25 / 91), abs=1e-6)


def test_too_few_receipts_fall_back_to_the_default():
    result = riskscore.calibrate_volatility([(datetime.date(2024, 1, 1), 5)])
    assert (result.value, result.source) == (riskscore.DEFAULT_VOLATILITY, "default")
    assert "1 period" in result.detail


def test_hazard_is_events_over_exposure_years():
    exposures = [Exposure(10.0, False)] * 4 + [Exposure(5.0, True)] * 2
    result = riskscore.calibrate_hazard(exposures)
    assert (result.value, result.source) == (pytest.approx(2 / 50), "asset ages")
    few = riskscore.calibrate_hazard([Exposure(3.0, True)])
    assert (few.value, few.source) == (riskscore.DEFAULT_HAZARD, "default")


@pytest.mark.parametrize("pd, years, band", [
    (0.0, 5, "AAA"), (0.0004, 5, "AAA"), (0.0014, 5, "AA"), (0.004, 5, "A"),
    (0.014, 5, "BBB"), (0.06, 5, "BB"), (0.30, 5, "B"), (0.60, 5, "CCC-D"), (1.0, 5, "CCC-D"),
    (0.002, 1, "BBB")])
def test_implied_band_of_the_annualized_pd(pd, years, band):
    assert riskscore.implied_band(pd, years) == band


def test_hhi():
    assert riskscore.hhi([1, 1, 1, 1]) == pytest.approx(0.25)
    assert riskscore.hhi([5]) == 1.0
    assert riskscore.hhi([]) is None


def test_composite_shares_the_weights_of_unmeasured_factors():
    items = riskscore.factors(senior_expected_loss=0.05, collateral_coverage=None,
                              beneficiary_hhi=1.0, valuation_dispersion=None,
                              legal_life_mismatch=0.0, missed_payments=0, defaulted=False)
    score, text = riskscore.composite(items)
    # 50 points x 0.30, 100 x 0.15, 0 x 0.15, 0 x 0.15 over weights 0.75.
    assert score == pytest.approx((50 * 0.30 + 100 * 0.15) / 0.75, abs=0.05)
    assert "collateral coverage" in text and "valuation dispersion" in text
    defaulted = riskscore.factors(senior_expected_loss=None, collateral_coverage=None,
                                  beneficiary_hhi=None, valuation_dispersion=None,
                                  legal_life_mismatch=None, missed_payments=0, defaulted=True)
    assert riskscore.composite(defaulted)[0] == 100.0


# --- snapshots -------------------------------------------------------------------------------


@pytest.fixture
def deal(issuer_a):
    asset = IPAssetFactory(owner=issuer_a, expiry_date=datetime.date(2028, 6, 30))
    return issued(make_deal(issuer_a, legal_final_date=datetime.date(2030, 3, 1)), asset)


@pytest.mark.django_db
def test_a_snapshot_and_its_idempotence(deal):
    first = services.risk_snapshot_refresh(deal_id=deal.pk)
    assert set(first.tranches) == {"A", "B"}
    assert first.calibration["volatility"]["source"] == "default"
    assert first.simulation["seed"] == deal.pk and first.simulation["paths"] > 0
    assert first.tranches["A"]["band"] in dict(riskscore.BAND_UPPER_BOUNDS)
    assert first.legal_life_mismatch == 1.0  # the only asset expires before 2030-03-01
    assert first.collateral_coverage == pytest.approx(120 / 80)
    assert first.hhi_asset == 1.0 and first.score is not None
    assert "Score" in first.explanation["text"]
    again = services.risk_snapshot_refresh(deal_id=deal.pk)
    assert again.pk == first.pk and RiskSnapshot.objects.count() == 1


@pytest.mark.django_db
def test_receipts_calibrate_the_volatility_and_make_a_new_snapshot(deal, issuer_a):
    first = services.risk_snapshot_refresh(deal_id=deal.pk)
    licence = LicenceFactory(asset=deal.pool.get().asset)
    for quarter, amount in enumerate([40, 44, 39, 47, 41]):
        registry_services.receipt_create(
            actor=None, licence=licence, amount=Decimal(amount),
            period_end=datetime.date(2023, 3, 31) + datetime.timedelta(days=91 * quarter))
    second = services.risk_snapshot_refresh(deal_id=deal.pk)
    assert second.pk != first.pk
    assert second.calibration["volatility"]["source"] == "receipts"
    assert list(deal.risk_snapshots.order_by("created_at")) == [first, second]


@pytest.mark.django_db
def test_a_change_recomputes_the_risk_after_commit(deal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.risk_snapshot_refresh(deal_id=deal.pk)
    assert RiskSnapshot.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.event_record(actor=None, deal=deal, date=datetime.date(2024, 9, 30),
                              event_type="missed_payment", details="A short")
    latest = deal.risk_snapshots.order_by("-created_at", "-id").first()
    assert RiskSnapshot.objects.count() == 2 and latest.missed_payments == 1
    from core.models import RecomputeRun
    run = RecomputeRun.objects.get(kind="risk", scope=f"deal:{deal.pk}")
    assert (run.kind, run.status, run.counts) == ("risk", "succeeded", {"snapshots": 1})


@pytest.mark.django_db
def test_a_valuation_change_reaches_the_risk_through_the_dispersion(
        deal, django_capture_on_commit_callbacks):
    asset = deal.pool.get().asset
    with django_capture_on_commit_callbacks(execute=True):
        for value in (100, 160):
            registry_services.valuation_create(
                actor=None, asset=asset, appraiser=f"A{value}", method="income",
                value=Decimal(value), currency="CNY", valuation_date="2024-01-01")
    latest = deal.risk_snapshots.order_by("-created_at", "-id").first()
    assert latest is not None and latest.valuation_dispersion == pytest.approx(0.6)


@pytest.mark.django_db
def test_the_deal_page_shows_the_risk_and_its_trend(client, deal):
    services.risk_snapshot_refresh(deal_id=deal.pk)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert 'id="risk-score"' in page and "default" in page and "Implied band" in page
    svg = client.get(reverse("deals:risk-trend", args=[deal.pk, "svg"]))
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg")
    csv = client.get(reverse("deals:risk-trend", args=[deal.pk, "csv"])).content.decode()
    assert csv.startswith("computed_at,score,senior_pd") and len(csv.splitlines()) == 2


@pytest.mark.django_db
def test_the_simulate_endpoint(api, user_a):
    body = {"periods_per_year": 1, "collections": [100], "fees": [],
            "tranches": [{"name": "A", "balance": 90, "rate": 0}], "reserve": {},
            "steps": [{"pay_principal": ["A"]}],
            "simulation": {"paths": 5000, "seed": 7, "volatility": 0.3,
                           "obsolescence_hazard": 0}}
    assert api.post(reverse("api:waterfall-simulate"), body, format="json").status_code == 401
    api.force_authenticate(user_a)
    answer = api.post(reverse("api:waterfall-simulate"), body, format="json").json()
    expected = 0.5 * (1 + math.erf((math.log(90 / 100) + 0.3 ** 2 / 2) / 0.3 / math.sqrt(2)))
    assert answer["tranches"]["A"]["pd"] == pytest.approx(expected, abs=0.03)
    bad = api.post(reverse("api:waterfall-simulate"),
                   {**body, "simulation": {**body["simulation"], "paths": 0}}, format="json")
    assert bad.status_code == 400 and "simulation.paths" in bad.json()


@pytest.mark.django_db
def test_a_bulk_change_of_10000_rows_asks_once_per_affected_deal(issuer_a):
    """10,000 royalty receipts in one transaction, on the licences of three deals' assets,
    leave one pending risk recompute per deal in the outbox."""
    from core.models import OutboxJob
    from deals.tasks import recompute_risk
    from ipregistry.models import RoyaltyReceipt

    deals = [issued(make_deal(issuer_a, name=f"Bulk {n} ABS",
                              legal_final_date=datetime.date(2030, 3, 1)),
                    IPAssetFactory(owner=issuer_a)) for n in range(3)]
    licences = [LicenceFactory(asset=deal.pool.get().asset) for deal in deals]
    OutboxJob.objects.all().delete()
    start = datetime.date(1900, 1, 31)
    for n in range(10_000):
        registry_services.receipt_create(
            actor=None, licence=licences[n % 3], amount=Decimal(100 + n % 7),
            period_end=start + datetime.timedelta(days=n // 3))
    assert RoyaltyReceipt.objects.count() == 10_000
    risk_jobs = OutboxJob.objects.filter(task=recompute_risk.name)
    assert sorted(int(key) for key in risk_jobs.values_list("key", flat=True)) == \
        sorted(deal.pk for deal in deals)
    assert OutboxJob.objects.count() <= 3 * 3 + 1  # risk, SDG per deal at most, the market


@pytest.mark.django_db
def test_the_issuer_page_loads_the_risk_of_its_deals(client, deal, issuer_a, investor):
    draft = make_deal(issuer_a, name="Alpha Draft ABS")
    services.risk_snapshot_refresh(deal_id=deal.pk)
    services.risk_snapshot_refresh(deal_id=draft.pk)
    client.force_login(investor)
    page = client.get(issuer_a.get_absolute_url()).content.decode()
    assert reverse("deals:issuer-risk", args=[issuer_a.pk]) in page
    fragment = client.get(reverse("deals:issuer-risk", args=[issuer_a.pk])).content.decode()
    assert deal.name in fragment and "Alpha Draft ABS" not in fragment  # drafts stay private
    rows = client.get(reverse("deals:issuer-risk-trend", args=[issuer_a.pk, "csv"])) \
        .content.decode().splitlines()
    assert rows[0] == "date,mean_score,deals" and rows[1].endswith(",1")
