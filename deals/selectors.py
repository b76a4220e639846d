"""Reads of deals, scoped to what the user may see and shaped for pages and the API."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from deals.models import Benchmark, Deal, PoolAsset, Tranche
from deals.permissions import scope_deals


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
