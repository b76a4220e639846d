"""Reads of deals, scoped to what the user may see and shaped for pages and the API."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from deals import riskscore
from deals.choices import DealStatus, EventType
from deals.models import Benchmark, Deal, PoolAsset, RiskSnapshot, Tranche
from deals.permissions import scope_deals
from deals.riskscore import Exposure
from ipregistry.choices import AssetStatus
from ipregistry.models import IPAsset, RoyaltyReceipt


def deal_list(*, user) -> QuerySet[Deal]:
    """Deals the user may see, with what list rows show."""
    return scope_deals(Deal.objects.select_related("originator"), user)


def deal_detail(*, user, pk: int) -> Deal:
    """One deal with its tranches, enhancements, pool, reports and events prefetched."""
    return deal_list(user=user).prefetch_related(
        Prefetch("tranches", queryset=Tranche.objects.order_by("rank", "id")),
        "enhancements",
        Prefetch("pool", queryset=PoolAsset.objects.select_related("asset__owner")),
        "reports",
        "events",
    ).get(pk=pk)


def waterfall_request(deal: Deal, *, collections=None) -> dict:
    """The deal's own cash-flow model as a DESIGN 6.2 request (opening balances = sizes)."""
    tranches = sorted(deal.tranches.all(), key=lambda tranche: (tranche.rank, tranche.pk))
    return {
        "periods_per_year": deal.periods_per_year,
        "collections": list(deal.projected_collections if collections is None else collections),
        "fees": deal.fees,
        "tranches": [{"name": tranche.name, "balance": float(tranche.size),
                      "rate": float(tranche.coupon_rate or 0)} for tranche in tranches],
        "reserve": deal.reserve,
        "steps": deal.waterfall_steps,
    }


@dataclass(frozen=True)
class PoolTotals:
    pool_value: Decimal
    notes: Decimal
    senior_notes: Decimal
    financing: Decimal
    overcollateralization: Decimal | None  # pool value / notes - 1
    subordination: dict[str, Decimal]  # tranche name -> share of notes junior to it


def pool_totals(deal: Deal) -> PoolTotals:
    """Pool value, note totals, overcollateralization and subordination of a deal."""
    tranches = sorted(deal.tranches.all(), key=lambda tranche: (tranche.rank, tranche.pk))
    pool_value = sum((entry.cutoff_value for entry in deal.pool.all()), Decimal(0))
    financing = sum((entry.financing_amount for entry in deal.pool.all()), Decimal(0))
    notes = sum((tranche.size for tranche in tranches), Decimal(0))
    senior = sum((tranche.size for tranche in tranches if tranche.rank == 1), Decimal(0))
    subordination = {}
    for tranche in tranches:
        junior = sum((other.size for other in tranches if other.rank > tranche.rank), Decimal(0))
        subordination[tranche.name] = junior / notes if notes else Decimal(0)
    return PoolTotals(
        pool_value=pool_value, notes=notes, senior_notes=senior, financing=financing,
        overcollateralization=(pool_value / notes - 1) if notes else None,
        subordination=subordination)


@dataclass(frozen=True)
class FinancingCost:
    senior_coupon: Decimal | None
    benchmark_rate: Decimal | None
    spread_bp: Decimal | None  # benchmark minus senior coupon, in basis points
    missing: str  # why no spread can be shown, or ""


def financing_cost(deal: Deal, benchmarks: dict | None = None) -> FinancingCost:
    """Senior coupon against the SME loan benchmark of the deal's country and issue year."""
    coupon = deal.senior_coupon
    if coupon is None:
        return FinancingCost(None, None, None, "The senior tranche has no coupon.")
    if deal.issue_year is None:
        return FinancingCost(coupon, None, None, "The deal has no issue date.")
    key = (deal.country, deal.issue_year)
    if benchmarks is None:
        benchmark = Benchmark.objects.filter(country=deal.country, year=deal.issue_year).first()
        rate = benchmark.sme_loan_rate if benchmark else None
    else:
        rate = benchmarks.get(key)
    if rate is None:
        return FinancingCost(coupon, None, None,
                             f"No SME loan benchmark for {deal.country} {deal.issue_year}.")
    return FinancingCost(coupon, rate, (rate - coupon) * 10000, "")


def benchmark_rates(deals) -> dict:
    """SME loan rates keyed by (country, year) for a page of deals, in one query."""
    keys = {(deal.country, deal.issue_year) for deal in deals if deal.issue_year}
    if not keys:
        return {}
    rows = Benchmark.objects.filter(country__in={c for c, _ in keys},
                                    year__in={y for _, y in keys})
    return {(row.country, row.year): row.sme_loan_rate for row in rows}


# Risk (DESIGN 6.3): what a deal's risk snapshot is computed from.


@dataclass(frozen=True)
class RiskInputs:
    request: dict | None  # the simulation request, None when nothing is left to simulate
    request_error: str
    years: float  # the simulated life, for annualizing PDs
    calibration: dict  # "volatility" and "hazard": riskscore.Calibrated
    metrics: dict  # pool and performance measures, JSON-ready


def _hazard_exposures(kinds: set[str], today) -> list:
    """How long each registered asset of these kinds lived, and whether it ended early (a
    lapse or invalidation, dated by the record's last change: the registry keeps no lapse
    date)."""
    rows = IPAsset.objects.filter(kind__in=kinds).exclude(
        filing_date__isnull=True, grant_date__isnull=True).values_list(
        "filing_date", "grant_date", "expiry_date", "status", "updated_at")
    exposures = []
    for filed, granted, expiry, status, updated in rows:
        start = filed or granted
        ended_early = status in (AssetStatus.LAPSED, AssetStatus.INVALIDATED)
        end = updated.date() if ended_early else min(filter(None, [today, expiry]))
        exposures.append(Exposure(max((end - start).days / 365.25, 0.0), ended_early))
    return exposures


def risk_inputs(deal: Deal, *, today=None) -> RiskInputs:
    """The deal's simulation request (its outstanding notes against the collections not yet
    reported), calibration and pool measures."""
    today = today or timezone.localdate()
    tranches = sorted(deal.tranches.all(), key=lambda t: (t.rank, t.pk))
    pool = list(deal.pool.select_related("asset__owner"))
    reports = sorted(deal.reports.all(), key=lambda r: r.period)
    last_state = reports[-1].result.get("state") if reports else None
    remaining = list(deal.projected_collections or [])[len(reports):]
    request, error = None, ""
    if not tranches:
        error = "the deal has no tranche"
    elif not remaining:
        error = "no projected collection is left to simulate"
    else:
        balances = (last_state or {}).get("balances", {})
        request = {
            "periods_per_year": deal.periods_per_year, "collections": remaining,
            "fees": deal.fees,
            "tranches": [{"name": t.name, "balance": float(balances.get(t.name, t.balance)),
                          "rate": float(t.coupon_rate or 0)} for t in tranches],
            "reserve": {**(deal.reserve or {}),
                        **({"initial": float(last_state["reserve"])} if last_state else {})},
            "steps": deal.waterfall_steps,
        }
    receipts = RoyaltyReceipt.objects.filter(licence__asset__pool_entries__deal=deal) \
        .values_list("period_end", "amount")
    kinds = {entry.asset.kind for entry in pool}
    key = "deals.risk.hazard:" + ",".join(sorted(kinds)) + f":{today.isoformat()}"
    hazard = cache.get(key)
    if hazard is None:
        hazard = riskscore.calibrate_hazard(_hazard_exposures(kinds, today))
        cache.set(key, hazard, 6 * 3600)
    pool_value = sum(float(e.cutoff_value) for e in pool)
    senior = sum(float(balances_of(t, last_state)) for t in tranches if t.rank == 1)
    valued = [(float(e.cutoff_value), float(e.asset.valuation_dispersion)) for e in pool
              if e.asset.valuation_dispersion is not None]
    financing = {}
    for entry in pool:
        weight = float(entry.financing_amount) or float(entry.cutoff_value)
        financing[entry.asset.owner_id] = financing.get(entry.asset.owner_id, 0.0) + weight
    mismatch = None
    if deal.legal_final_date and pool_value:
        expiring = sum(float(e.cutoff_value) for e in pool
                       if e.asset.expiry_date and e.asset.expiry_date < deal.legal_final_date)
        mismatch = expiring / pool_value
    events = list(deal.events.all())
    metrics = {
        "pool_value": pool_value,
        "senior_notes": senior,
        "collateral_coverage": pool_value / senior if senior and pool_value else None,
        "valuation_dispersion": (sum(v * d for v, d in valued) / sum(v for v, _ in valued)
                                 if valued and sum(v for v, _ in valued) else None),
        "hhi_asset": riskscore.hhi(float(e.cutoff_value) for e in pool),
        "hhi_beneficiary": riskscore.hhi(financing.values()),
        "legal_life_mismatch": mismatch,
        "missed_payments": sum(1 for e in events if e.event_type == EventType.MISSED_PAYMENT),
        "defaulted": deal.status == DealStatus.DEFAULTED
        or any(e.event_type == EventType.DEFAULT for e in events),
    }
    return RiskInputs(
        request=request, request_error=error,
        years=len(remaining) / deal.periods_per_year if deal.periods_per_year else 0.0,
        calibration={"volatility": riskscore.calibrate_volatility(receipts),
                     "hazard": hazard},
        metrics=metrics)


def balances_of(tranche: Tranche, state: dict | None):
    """A tranche's outstanding balance: after the last reported period, else its balance."""
    if state and tranche.name in state.get("balances", {}):
        return Decimal(state["balances"][tranche.name])
    return tranche.balance


def latest_risk(deal: Deal):
    return deal.risk_snapshots.order_by("-created_at", "-id").first()


def risk_history(deal: Deal, *, limit: int = 200) -> list:
    """The deal's risk snapshots, oldest first (the last `limit`)."""
    latest = list(deal.risk_snapshots.order_by("-created_at", "-id")[:limit])
    return latest[::-1]


def latest_risks(deals) -> dict:
    """Each deal's latest risk snapshot, {deal id: snapshot}, in one query."""
    latest = {}
    for snapshot in RiskSnapshot.objects.filter(deal__in=deals).order_by(
            "deal_id", "-created_at", "-id").only("deal_id", "score", "created_at", "tranches"):
        latest.setdefault(snapshot.deal_id, snapshot)
    return latest


def originated_risk_history(deals) -> list[tuple]:
    """The mean score of the deals' latest snapshots as of each day a snapshot was made:
    [(date, mean score, deals counted)]."""
    by_day: dict = {}
    for deal_id, day, score in RiskSnapshot.objects.filter(
            deal__in=deals, score__isnull=False).order_by("created_at", "id").values_list(
            "deal_id", "created_at__date", "score"):
        by_day.setdefault(day, {})[deal_id] = score
    history, current = [], {}
    for day in sorted(by_day):
        current.update(by_day[day])
        history.append((day.isoformat(), round(sum(current.values()) / len(current), 1),
                        len(current)))
    return history
