"""Deal services: the status machine, asset isolation, servicer reports through the waterfall."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEntry
from deals import services
from deals.choices import DealStatus, EventType
from deals.models import PoolAsset
from tests.factories import IPAssetFactory, PledgeFactory

pytestmark = pytest.mark.django_db

STEPS = [{"pay_fees": ["trustee"]}, {"pay_interest": ["A"]}, {"pay_interest": ["B"]},
         {"fund_reserve": True}, {"pay_principal": ["A", "B"], "mode": "sequential"},
         {"pay_residual": "B"}]


def make_deal(originator, **overrides):
    data = {"name": "Shenzhen Patent ABS 2024-1", "originator": originator, "country": "CN",
            "province": "CN-GD", "city": "Shenzhen", "structure": "pledged_loan",
            "currency": "CNY", "size": Decimal("100"), "spv_name": "Pengcheng SPV",
            "issue_date": date(2024, 3, 1), "legal_final_date": date(2026, 3, 1),
            "periods_per_year": 4, "projected_collections": [30, 30, 30, 30],
            "fees": [{"name": "trustee", "per_period": 1}],
            "reserve": {"initial": 2, "target": 2}, "waterfall_steps": STEPS}
    deal = services.deal_create(actor=None, **{**data, **overrides})
    services.tranche_create(actor=None, deal=deal, name="A", rank=1, size=Decimal("80"),
                            coupon_rate=Decimal("0.04"), rating="AAA")
    services.tranche_create(actor=None, deal=deal, name="B", rank=2, size=Decimal("20"),
                            coupon_rate=Decimal("0"))
    return deal


def issued(deal, asset):
    services.pool_add(actor=None, deal=deal, asset=asset, cutoff_value=Decimal("120"),
                      financing_amount=Decimal("100"))
    for status in (DealStatus.REGISTERED, DealStatus.ISSUED):
        deal = services.deal_transition(actor=None, deal=deal, to_status=status)
    return deal


@pytest.fixture
def deal(issuer_a):
    return make_deal(issuer_a)


@pytest.fixture
def asset(issuer_a):
    return IPAssetFactory(owner=issuer_a)


def test_status_machine_refuses_skipping_and_names_the_allowed_moves(deal, asset):
    """A draft cannot jump to issued; the refusal lists what is allowed."""
    with pytest.raises(ValidationError) as caught:
        services.deal_transition(actor=None, deal=deal, to_status=DealStatus.ISSUED)
    assert "allowed: registered, terminated" in str(caught.value)


def test_registration_needs_tranches_and_a_pool(issuer_a):
    """An empty draft cannot be registered; the reasons name what is missing."""
    deal = services.deal_create(actor=None, name="Empty", originator=issuer_a, country="CN",
                                structure="licence_royalty", currency="CNY", size=10)
    with pytest.raises(ValidationError) as caught:
        services.deal_transition(actor=None, deal=deal, to_status=DealStatus.REGISTERED)
    assert set(caught.value.message_dict) == {"tranches", "pool"}


def test_transitions_are_audited_and_only_drafts_restructure(deal, asset):
    """Every status change is an audit entry; an issued deal's tranches are frozen."""
    deal = issued(deal, asset)
    changes = list(AuditEntry.objects.filter(action="deals.deal.transition").order_by("id")
                   .values_list("changes", flat=True))
    assert [c["status"] for c in changes] == [["draft", "registered"], ["registered", "issued"]]
    with pytest.raises(ValidationError, match="only drafts"):
        services.tranche_create(actor=None, deal=deal, name="C", rank=3, size=1)


def test_an_asset_sits_in_one_live_pool(deal, asset, issuer_a):
    """A second live pool is refused with the asset and the reason, and the database agrees."""
    services.pool_add(actor=None, deal=deal, asset=asset, cutoff_value=10)
    other = make_deal(issuer_a, name="Second deal")
    with pytest.raises(ValidationError) as caught:
        services.pool_add(actor=None, deal=other, asset=asset, cutoff_value=10)
    message = caught.value.message_dict["asset"][0]
    assert asset.registry_number in message and "Shenzhen Patent ABS 2024-1" in message
    with pytest.raises(IntegrityError), transaction.atomic():
        PoolAsset.objects.create(deal=other, asset=asset, cutoff_value=1)


def test_ending_a_deal_frees_its_assets(deal, asset, issuer_a):
    """A terminated deal's pool is no longer live, so the asset may enter another pool."""
    services.pool_add(actor=None, deal=deal, asset=asset, cutoff_value=10)
    services.deal_transition(actor=None, deal=deal, to_status=DealStatus.TERMINATED)
    other = make_deal(issuer_a, name="Second deal")
    assert services.pool_add(actor=None, deal=other, asset=asset, cutoff_value=10).live


@pytest.mark.parametrize(("setup", "fragment"), [
    ("lapsed", "is lapsed"),
    ("expired", "is expired"),
    ("invalidated", "is invalidated"),
    ("past_expiry", "expired on"),
    ("pledged", "is pledged to Bank of Shenzhen"),
])
def test_unavailable_assets_are_refused_with_the_reason(deal, issuer_a, setup, fragment):
    """Lapsed, expired, invalidated and pledged-elsewhere assets cannot enter a pool."""
    if setup == "past_expiry":
        asset = IPAssetFactory(owner=issuer_a, filing_date=date(2000, 1, 1),
                               grant_date=date(2001, 1, 1), expiry_date=date(2020, 1, 1))
    else:
        asset = IPAssetFactory(owner=issuer_a,
                               status=setup if setup != "pledged" else "active")
    if setup == "pledged":
        PledgeFactory(asset=asset, pledgee="Bank of Shenzhen")
    with pytest.raises(ValidationError) as caught:
        services.pool_add(actor=None, deal=deal, asset=asset, cutoff_value=10)
    assert fragment in caught.value.message_dict["asset"][0]
    assert asset.registry_number in caught.value.message_dict["asset"][0]


def test_a_pledge_to_the_deals_own_spv_is_no_obstacle(deal, asset):
    """Pledged-loan deals hold their assets through a pledge to their SPV."""
    PledgeFactory(asset=asset, pledgee="Pengcheng SPV")
    assert services.pool_add(actor=None, deal=deal, asset=asset, cutoff_value=10)


def test_servicer_report_runs_the_waterfall_and_updates_balances(deal, asset):
    """Period 1: 30 collected, 1 fee, A interest 0.8, reserve full, 28.2 principal to A."""
    deal = issued(deal, asset)
    report = services.report_submit(actor=None, deal=deal, period_end=date(2024, 6, 30),
                                     collections=Decimal("30"))
    tranches = {t.name: t for t in deal.tranches.all()}
    assert tranches["A"].balance == Decimal("51.80")
    assert tranches["B"].balance == Decimal("20.00")
    assert report.result["period"]["tranches"]["A"]["interest_paid"] == pytest.approx(0.8)
    deal.refresh_from_db()
    assert deal.status == DealStatus.AMORTIZING
    assert not deal.events.filter(event_type=EventType.MISSED_PAYMENT).exists()


def test_shortfalls_raise_missed_payments_then_default(deal, asset):
    """Senior interest short for two periods (the deal's definition) defaults the deal."""
    deal = issued(deal, asset)
    services.report_submit(actor=None, deal=deal, period_end=date(2024, 6, 30),
                           collections=Decimal("0"))
    # Period 1: the reserve (2) pays the fee (1) and 1 of A's 0.8 interest: no shortfall yet.
    services.report_submit(actor=None, deal=deal, period_end=date(2024, 9, 30),
                           collections=Decimal("0"))
    services.report_submit(actor=None, deal=deal, period_end=date(2024, 12, 31),
                           collections=Decimal("0"))
    deal.refresh_from_db()
    missed = deal.events.filter(event_type=EventType.MISSED_PAYMENT)
    assert missed.count() == 2
    assert "Tranche A" in missed.first().details
    assert deal.events.filter(event_type=EventType.DEFAULT).count() == 1
    assert deal.status == DealStatus.DEFAULTED


def test_reports_follow_the_period_order(deal, asset):
    """A report dated before the last one is refused, naming the field."""
    deal = issued(deal, asset)
    services.report_submit(actor=None, deal=deal, period_end=date(2024, 6, 30), collections=30)
    with pytest.raises(ValidationError) as caught:
        services.report_submit(actor=None, deal=deal, period_end=date(2024, 6, 1),
                               collections=30)
    assert "period_end" in caught.value.message_dict


def test_full_repayment_matures_the_deal(deal, asset):
    """When every note is repaid the deal matures with an event."""
    deal = issued(deal, asset)
    for month, amount in ((6, 60), (9, 60)):
        services.report_submit(actor=None, deal=deal, period_end=date(2024, month, 28),
                               collections=Decimal(amount))
    deal.refresh_from_db()
    assert deal.status == DealStatus.MATURED
    assert deal.events.filter(event_type=EventType.MATURED).exists()
