"""Every write to deals goes through these functions.

Each validates, saves, writes its audit entry in the same transaction, and keeps the deal's
derived fields (search text, senior coupon, rating bucket, issue year) current.
"""

import hashlib
import json
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core import audit
from core.services import create as _create
from core.services import delete as _delete
from core.services import update as _update
from core.signals import record_changed
from deals import risk, riskscore, waterfall
from deals.choices import LIVE_STATUSES, TRANSITIONS, DealStatus, EventType
from deals.models import (
    Benchmark,
    CreditEnhancement,
    Deal,
    DealEvent,
    FxRate,
    PoolAsset,
    RiskSnapshot,
    ServicerReport,
    Tranche,
)
from deals.ratings import rating_bucket
from deals.search import refresh_facets, update_search_vectors
from deals.selectors import latest_risk, risk_inputs, waterfall_request
from deals.waterfall import WaterfallState
from ipregistry.choices import AssetStatus
from ipregistry.models import IPAsset


def _require_draft(deal: Deal) -> None:
    if deal.status != DealStatus.DRAFT:
        raise ValidationError(
            f"The deal is {deal.get_status_display().lower()}; only drafts can be restructured.")


# Deals


@transaction.atomic
def deal_create(*, actor, **data) -> Deal:
    """Open a draft deal."""
    deal = _create(actor=actor, instance=Deal(**data))
    if not deal.external_ref:
        deal.external_ref = f"deal-{deal.pk}"
        Deal.objects.filter(pk=deal.pk).update(external_ref=deal.external_ref)
    deal_refresh(deal_id=deal.pk)
    return deal


@transaction.atomic
def deal_update(*, actor, deal: Deal, **data) -> Deal:
    """Change a draft deal's terms."""
    _require_draft(deal)
    deal = _update(actor=actor, instance=deal, data=data)
    deal_refresh(deal_id=deal.pk)
    return deal


@transaction.atomic
def deal_transition(*, actor, deal: Deal, to_status: str, reason: str = "") -> Deal:
    """Move a deal along its status machine; leaving the live statuses releases its pool."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if to_status not in TRANSITIONS[deal.status]:
        allowed = ", ".join(sorted(TRANSITIONS[deal.status])) or "none"
        raise ValidationError({"status": f"A {deal.status} deal cannot become {to_status} "
                                         f"(allowed: {allowed})."})
    if to_status == DealStatus.ISSUED and not deal.issue_date:
        raise ValidationError({"issue_date": "Set the issue date before recording issuance."})
    if to_status == DealStatus.REGISTERED:
        _check_ready_for_registration(deal)
    before = deal.status
    deal.status = to_status
    deal.save(update_fields=["status", "updated_at"])
    if to_status not in LIVE_STATUSES:
        deal.pool.update(live=False)
    changes = {"status": [before, to_status], "reason": reason}
    audit.record(actor=actor, action="deals.deal.transition", instance=deal, changes=changes)
    record_changed.send(sender=Deal, instance=deal, action="transition", changes=changes)
    return deal


def _check_ready_for_registration(deal: Deal) -> None:
    problems = {}
    if not deal.tranches.exists():
        problems["tranches"] = "A deal needs at least one tranche to be registered."
    if not deal.pool.exists():
        problems["pool"] = "A deal needs a pool of assets to be registered."
    if problems:
        raise ValidationError(problems)


def deal_refresh_if_exists(*, deal_id: int) -> bool:
    """Refresh a deal's derived fields unless it was deleted meanwhile (for tasks)."""
    if not Deal.objects.filter(pk=deal_id).exists():
        return False
    deal_refresh(deal_id=deal_id)
    return True


def deal_refresh(*, deal_id: int) -> None:
    """Recompute a deal's derived fields: search text and vector, senior terms, issue year."""
    deal = Deal.objects.select_related("originator").get(pk=deal_id)
    senior = deal.tranches.order_by("rank", "id").first()
    pool = PoolAsset.objects.filter(deal_id=deal_id).select_related("asset__owner")
    beneficiaries = sorted({entry.asset.owner.name for entry in pool
                            if entry.asset.owner_id != deal.originator_id})
    Deal.objects.filter(pk=deal_id).update(
        issue_year=deal.issue_date.year if deal.issue_date else None,
        senior_coupon=senior.coupon_rate if senior else None,
        senior_rating=senior.rating if senior else "",
        rating_bucket=rating_bucket(senior.rating) if senior else "NR",
        search_primary=" ".join(filter(None, [deal.name, deal.originator.name, deal.spv_name,
                                              deal.city, deal.venue])),
        search_parties=" ".join(beneficiaries),
        search_assets=" ".join(entry.asset.title for entry in pool),
        search_proceeds=deal.use_of_proceeds,
    )
    refresh_facets([deal_id])
    if connection.vendor == "postgresql":
        update_search_vectors(Deal.objects.filter(pk=deal_id))


# Tranches and credit enhancement


@transaction.atomic
def tranche_create(*, actor, deal: Deal, **data) -> Tranche:
    """Add a tranche to a draft; its balance starts at its size."""
    _require_draft(deal)
    tranche = _create(actor=actor, instance=Tranche(deal=deal, balance=data.get("size"), **data))
    deal_refresh(deal_id=deal.pk)
    return tranche


@transaction.atomic
def tranche_update(*, actor, tranche: Tranche, **data) -> Tranche:
    """Change a draft's tranche; a new size resets the balance."""
    _require_draft(tranche.deal)
    if "size" in data:
        data["balance"] = data["size"]
    tranche = _update(actor=actor, instance=tranche, data=data)
    deal_refresh(deal_id=tranche.deal_id)
    return tranche


@transaction.atomic
def tranche_delete(*, actor, tranche: Tranche) -> None:
    """Remove a tranche from a draft."""
    _require_draft(tranche.deal)
    deal_id = tranche.deal_id
    _delete(actor=actor, instance=tranche)
    deal_refresh(deal_id=deal_id)


@transaction.atomic
def enhancement_create(*, actor, deal: Deal, **data) -> CreditEnhancement:
    """Add a credit enhancement to a draft."""
    _require_draft(deal)
    return _create(actor=actor, instance=CreditEnhancement(deal=deal, **data))


@transaction.atomic
def enhancement_update(*, actor, enhancement: CreditEnhancement, **data) -> CreditEnhancement:
    """Change a draft's credit enhancement."""
    _require_draft(enhancement.deal)
    return _update(actor=actor, instance=enhancement, data=data)


@transaction.atomic
def enhancement_delete(*, actor, enhancement: CreditEnhancement) -> None:
    """Remove a credit enhancement from a draft."""
    _require_draft(enhancement.deal)
    _delete(actor=actor, instance=enhancement)


# Pool


def pool_refusal(deal: Deal, asset: IPAsset, *, on: date | None = None) -> str | None:
    """Say why an asset cannot enter the deal's pool, or None if it can."""
    on = on or date.today()
    label = f"{asset.registry_number} ({asset.title})"
    if asset.status != AssetStatus.ACTIVE:
        return f"{label} is {asset.get_status_display().lower()}."
    if asset.expiry_date and asset.expiry_date <= on:
        return f"{label} expired on {asset.expiry_date.isoformat()}."
    pledges = asset.pledges.filter(released_date__isnull=True)
    if deal.spv_name:
        # A pledge to the deal's own SPV is how many pledged-loan deals hold their assets.
        pledges = pledges.exclude(pledgee__iexact=deal.spv_name)
    pledge = pledges.first()
    if pledge is not None:
        return (f"{label} is pledged to {pledge.pledgee} since "
                f"{pledge.registered_date.isoformat()} and not released.")
    other = PoolAsset.objects.filter(asset=asset, live=True).exclude(deal=deal) \
        .select_related("deal").first()
    if other is not None:
        return f"{label} already sits in the live pool of {other.deal.name}."
    return None


@transaction.atomic
def pool_add(*, actor, deal: Deal, asset: IPAsset, cutoff_value, financing_amount=0) -> PoolAsset:
    """Put an asset into a draft's pool, refusing it with the reason when it is not free."""
    _require_draft(deal)
    IPAsset.objects.select_for_update().filter(pk=asset.pk).first()
    if refusal := pool_refusal(deal, asset):
        raise ValidationError({"asset": refusal})
    entry = _create(actor=actor, instance=PoolAsset(
        deal=deal, asset=asset, cutoff_value=cutoff_value, financing_amount=financing_amount))
    deal_refresh(deal_id=deal.pk)
    return entry


@transaction.atomic
def pool_update(*, actor, entry: PoolAsset, **data) -> PoolAsset:
    """Change a pool entry in a draft; a new asset must pass the same checks as pool_add."""
    _require_draft(entry.deal)
    asset = data.get("asset")
    if asset is not None and asset.pk != entry.asset_id:
        IPAsset.objects.select_for_update().filter(pk=asset.pk).first()
        if refusal := pool_refusal(entry.deal, asset):
            raise ValidationError({"asset": refusal})
    entry = _update(actor=actor, instance=entry, data=data)
    deal_refresh(deal_id=entry.deal_id)
    return entry


@transaction.atomic
def pool_remove(*, actor, entry: PoolAsset) -> None:
    """Take an asset out of a draft's pool."""
    _require_draft(entry.deal)
    deal_id = entry.deal_id
    _delete(actor=actor, instance=entry)
    deal_refresh(deal_id=deal_id)


# Events


def event_record(*, actor, deal: Deal, **data) -> DealEvent:
    """Record a deal event."""
    return _create(actor=actor, instance=DealEvent(deal=deal, **data))


# Reference data


def benchmark_create(*, actor, **data) -> Benchmark:
    """Record a country's benchmarks for a year."""
    return _create(actor=actor, instance=Benchmark(**data))


def benchmark_update(*, actor, benchmark: Benchmark, **data) -> Benchmark:
    """Correct a benchmark."""
    return _update(actor=actor, instance=benchmark, data=data)


def fx_create(*, actor, **data) -> FxRate:
    """Record a currency's yearly rate to USD."""
    return _create(actor=actor, instance=FxRate(**data))


def fx_update(*, actor, rate: FxRate, **data) -> FxRate:
    """Correct an FX rate."""
    return _update(actor=actor, instance=rate, data=data)


# Servicer reports


def _state_json(state: WaterfallState) -> dict:
    return {"balances": {k: str(v) for k, v in state.balances.items()},
            "unpaid_interest": {k: str(v) for k, v in state.unpaid_interest.items()},
            "unpaid_fees": {k: str(v) for k, v in state.unpaid_fees.items()},
            "reserve": str(state.reserve)}


def _state_from_json(data: dict) -> WaterfallState:
    return WaterfallState(
        balances={k: Decimal(v) for k, v in data["balances"].items()},
        unpaid_interest={k: Decimal(v) for k, v in data["unpaid_interest"].items()},
        unpaid_fees={k: Decimal(v) for k, v in data["unpaid_fees"].items()},
        reserve=Decimal(data["reserve"]))


def deal_spec(deal: Deal) -> waterfall.WaterfallSpec:
    """The deal's cash-flow model, validated; a bad model is an error on its field."""
    try:
        return waterfall.parse_request(waterfall_request(deal))
    except waterfall.WaterfallInputError as exc:
        raise ValidationError({"waterfall_steps": f"The deal's cash-flow model is invalid: "
                                                  f"{exc.field}: {exc}"}) from None


@transaction.atomic
def report_submit(*, actor, deal: Deal, period_end: date, collections: Decimal,
                  collections_by_asset: dict | None = None) -> ServicerReport:
    """File the next period's servicer report: run the deal's waterfall on its collections,
    update tranche balances and raise the events the period calls for."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if deal.status not in (DealStatus.ISSUED, DealStatus.AMORTIZING, DealStatus.DEFAULTED):
        raise ValidationError(f"A {deal.status} deal takes no servicer reports.")
    spec = deal_spec(deal)
    previous = deal.reports.order_by("-period").first()
    period = previous.period + 1 if previous else 1
    if period > len(spec.collections):
        raise ValidationError({"period_end": f"The deal's model has {len(spec.collections)} "
                                             "periods; all are reported."})
    if previous and period_end <= previous.period_end:
        raise ValidationError({"period_end": "Must come after the last reported period, "
                                             f"{previous.period_end.isoformat()}."})
    state = _state_from_json(previous.result["state"]) if previous else \
        waterfall.initial_state(spec)
    state, outcome = waterfall.run_period(spec, state, period - 1, Decimal(collections))
    report = _create(actor=actor, instance=ServicerReport(
        deal=deal, period=period, period_end=period_end, collections=collections,
        collections_by_asset=collections_by_asset or {}, submitted_by=actor,
        result={"period": waterfall.period_json(outcome, spec.residual_tranches),
                "state": _state_json(state)}))
    for tranche in deal.tranches.all():
        balance = state.balances[tranche.name].quantize(Decimal("0.01"))
        if tranche.balance != balance:
            Tranche.objects.filter(pk=tranche.pk).update(balance=balance)
    _raise_period_events(actor, deal, report, outcome)
    return report


def _raise_period_events(actor, deal: Deal, report: ServicerReport, outcome) -> None:
    short = [name for name, tranche in outcome.tranches.items()
             if tranche.interest_paid < tranche.interest_due]
    for name in short:
        tranche = outcome.tranches[name]
        event_record(actor=actor, deal=deal, date=report.period_end, report=report,
                     event_type=EventType.MISSED_PAYMENT,
                     details=f"Tranche {name}: interest due {tranche.interest_due:.2f}, "
                             f"paid {tranche.interest_paid:.2f} in period {report.period}.")
    senior = deal.tranches.order_by("rank", "id").first()
    if deal.status == DealStatus.ISSUED:
        deal = deal_transition(actor=actor, deal=deal, to_status=DealStatus.AMORTIZING,
                               reason=f"first servicer report (period {report.period})")
    if senior and deal.status != DealStatus.DEFAULTED and _senior_short_streak(
            deal, senior.name) >= deal.default_missed_periods:
        event_record(actor=actor, deal=deal, date=report.period_end, report=report,
                     event_type=EventType.DEFAULT,
                     details=f"Senior tranche {senior.name} short of interest for "
                             f"{deal.default_missed_periods} consecutive periods.")
        deal_transition(actor=actor, deal=deal, to_status=DealStatus.DEFAULTED,
                        reason="default as the deal defines it")
    elif deal.status == DealStatus.AMORTIZING and all(
            tranche.balance == 0 for tranche in outcome.tranches.values()):
        event_record(actor=actor, deal=deal, date=report.period_end, report=report,
                     event_type=EventType.MATURED, details="All notes repaid.")
        deal_transition(actor=actor, deal=deal, to_status=DealStatus.MATURED,
                        reason="all notes repaid")


def _senior_short_streak(deal: Deal, senior_name: str) -> int:
    streak = 0
    for report in deal.reports.order_by("-period"):
        tranche = report.result["period"]["tranches"][senior_name]
        if tranche["interest_paid"] < tranche["interest_due"] - 1e-9:
            streak += 1
        else:
            break
    return streak


# Risk snapshots (DESIGN 6.3)


def risk_snapshot_refresh(*, deal_id: int, run=None, paths: int | None = None):
    """Compute the deal's risk and store a snapshot, unless nothing it depends on changed since
    the last one (then the last one is returned): recomputing is idempotent. None if the deal
    is gone."""
    deal = Deal.objects.filter(pk=deal_id).first()
    if deal is None:
        return None
    inputs = risk_inputs(deal)
    calibration = {key: value.as_json() for key, value in inputs.calibration.items()}
    simulation = {"paths": paths or settings.RISK_PATHS, "seed": deal.pk,
                  "volatility": calibration["volatility"]["value"],
                  "obsolescence_hazard": calibration["hazard"]["value"]}
    digest = hashlib.sha256(json.dumps(
        [inputs.request, simulation, calibration, inputs.metrics],
        sort_keys=True, default=str).encode()).hexdigest()
    latest = latest_risk(deal)
    if latest is not None and latest.inputs_sha256 == digest:
        return latest
    tranches, simulated = {}, {"error": inputs.request_error} if inputs.request_error else {}
    if inputs.request is not None:
        try:
            answer = risk.simulate({**inputs.request, "simulation": simulation})
        except waterfall.WaterfallInputError as exc:
            simulated = {"error": f"the deal's cash-flow model is invalid: {exc}"}
        else:
            simulated = {key: answer[key] for key in ("paths", "seed", "periods", "volatility",
                                                      "obsolescence_hazard")}
            for name, result in answer["tranches"].items():
                tranches[name] = {**result,
                                  "band": riskscore.implied_band(result["pd"], inputs.years)}
    senior = min(deal.tranches.all(), key=lambda t: (t.rank, t.pk), default=None)
    metrics = inputs.metrics
    factors = riskscore.factors(
        senior_expected_loss=tranches[senior.name]["expected_loss"]
        if senior is not None and senior.name in tranches else None,
        collateral_coverage=metrics["collateral_coverage"],
        beneficiary_hhi=metrics["hhi_beneficiary"],
        valuation_dispersion=metrics["valuation_dispersion"],
        legal_life_mismatch=metrics["legal_life_mismatch"],
        missed_payments=metrics["missed_payments"], defaulted=metrics["defaulted"])
    score, text = riskscore.composite(factors)
    return RiskSnapshot.objects.create(
        deal=deal, inputs_sha256=digest, run=run, calibration=calibration,
        simulation=simulated, tranches=tranches,
        valuation_dispersion=metrics["valuation_dispersion"],
        collateral_coverage=metrics["collateral_coverage"], hhi_asset=metrics["hhi_asset"],
        hhi_beneficiary=metrics["hhi_beneficiary"],
        legal_life_mismatch=metrics["legal_life_mismatch"],
        missed_payments=metrics["missed_payments"], defaulted=metrics["defaulted"],
        score=score, explanation={"text": text,
                                  "factors": [factor.as_json() for factor in factors]})
