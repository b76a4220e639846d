"""The market recompute: collect the market's facts from the database in a few set-based
queries, as the columns of disclosure/market.py, and store them as a MarketSnapshot.

Scope (DESIGN 6.4): deals issued, amortizing, matured or defaulted with an issue year; every
(deal, beneficiary) pair with financing above 0 is an observation; every filing past draft is
a filing. The snapshot holds facts, not answers, so the endpoint answers any filter from it.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.db.models import Count, Q, Sum

from core import runs
from deals.choices import PUBLIC_STATUSES, EventType
from deals.models import Benchmark, Deal, DealEvent, FxRate, PoolAsset
from disclosure import market, quality, sdg
from disclosure.choices import FilingStatus
from disclosure.models import DisclosureTemplate, Filing, MarketSnapshot
from disclosure.sdg_inputs import central_western, years_of
from ipregistry.choices import IssuerType
from ipregistry.models import Issuer


def _float(value) -> float | None:
    return None if value is None else float(value)


def deal_records() -> list[dict]:
    scope = Deal.objects.filter(status__in=PUBLIC_STATUSES, issue_year__isnull=False)
    deals = {row["pk"]: {
        "deal_id": row["pk"], "year": row["issue_year"], "country": row["country"],
        "province": row["province"] or "", "currency": row["currency"],
        "size": float(row["size"]), "coupon": _float(row["senior_coupon"]),
        "kind_value": {}, "green_value": 0.0, "financing_total": 0.0, "financing_sme": 0.0,
        "defaulted": False, "label": row["label"], "sdg_claimed": bool(row["sdg_targets"]),
        "multi_valued": 0, "dispersed": 0,
        "dispersion_bins": [0] * len(market.DISPERSION_BINS),
    } for row in scope.values("pk", "issue_year", "country", "province", "currency", "size",
                              "senior_coupon", "label", "sdg_targets")}
    pool = PoolAsset.objects.filter(deal__in=scope)
    for row in pool.values("deal_id", "asset__kind").annotate(value=Sum("cutoff_value")) \
            .order_by():
        deals[row["deal_id"]]["kind_value"][row["asset__kind"]] = float(row["value"])
    for row in pool.values("deal_id").annotate(
            green=Sum("cutoff_value", filter=Q(asset__green=True)),
            total=Sum("financing_amount"),
            sme=Sum("financing_amount", filter=Q(asset__owner__issuer_type=IssuerType.SME)),
            multi=Count("pk", filter=Q(asset__valuation_dispersion__isnull=False)),
            dispersed=Count("pk", filter=Q(asset__dispersion_flagged=True))).order_by():
        deal = deals[row["deal_id"]]
        deal.update(green_value=_float(row["green"]) or 0.0,
                    financing_total=_float(row["total"]) or 0.0,
                    financing_sme=_float(row["sme"]) or 0.0,
                    multi_valued=row["multi"], dispersed=row["dispersed"])
    for deal_id, dispersion in pool.filter(asset__valuation_dispersion__isnull=False) \
            .values_list("deal_id", "asset__valuation_dispersion"):
        bins = deals[deal_id]["dispersion_bins"]
        bins[next(i for i, (_, upper) in enumerate(market.DISPERSION_BINS)
                  if float(dispersion) <= upper)] += 1
    for deal_id in DealEvent.objects.filter(deal__in=scope, event_type=EventType.DEFAULT) \
            .values_list("deal_id", flat=True).distinct():
        deals[deal_id]["defaulted"] = True
    return [deals[pk] for pk in sorted(deals)]


def observation_records(deals: list[dict], benchmarks: dict) -> list[dict]:
    """R&D-intensity change and employment growth against industry per (deal, beneficiary),
    as disclosure/sdg.py defines them; the employment benchmark is the beneficiary's country's
    for the issue year (DESIGN 6.4)."""
    years = {deal["deal_id"]: deal["year"] for deal in deals}
    rows = {deal["deal_id"]: index for index, deal in enumerate(deals)}
    pairs = list(PoolAsset.objects.filter(deal_id__in=years, financing_amount__gt=0)
                 .values_list("deal_id", "asset__owner_id").annotate(f=Sum("financing_amount"))
                 .order_by("deal_id", "asset__owner_id"))
    owners = {owner for _, owner, _ in pairs}
    figures, _ = years_of(owners)
    issuers = {row["pk"]: row for row in Issuer.objects.filter(pk__in=owners).values(
        "pk", "name", "issuer_type", "country", "province")}
    records = []
    for deal_id, owner_id, financing in pairs:
        issuer, year = issuers[owner_id], years[deal_id]
        benchmark = benchmarks.get((issuer["country"], year))
        growth = benchmark.industry_employment_growth if benchmark else None
        facts = sdg.DealFacts(
            deal_id=deal_id, issue_year=year, country=issuer["country"], senior_coupon=None,
            sme_loan_rate=None, industry_employment_growth=None if growth is None
            else Decimal(str(growth)), pool_value=Decimal(0), green_pool_value=Decimal(0))
        beneficiary = sdg.Beneficiary(
            issuer_id=owner_id, name=issuer["name"], issuer_type=issuer["issuer_type"],
            country=issuer["country"], province=issuer["province"],
            years=figures.get(owner_id, {}), financing_amount=financing)
        observed = sdg.observation_indicators(facts, beneficiary, central_western())
        records.append({
            "obs_deal": rows[deal_id],
            "obs_rnd_pp": observed.indicator("rnd_intensity_change_pp").value,
            "obs_emp_excess": observed.indicator("employment_growth_excess").value})
    return records


def filing_records() -> list[dict]:
    """Each filing past draft: its period year, its issuer's country, whether it is incomplete
    (a required field missing or any ND code) and its ESG fields answered with a value."""
    records = []
    for template in DisclosureTemplate.objects.all():
        spec = template.spec
        esg = [field.key for field in quality.esg_fields(spec)]
        required = [field.key for field in spec.fields if field.required]
        filings = Filing.objects.filter(template=template).exclude(
            status=FilingStatus.DRAFT).annotate(
            nd=Count("values", filter=~Q(values__nd_code="")),
            required_answered=Count("values", filter=Q(values__field__in=required)
                                    & (~Q(values__value="") | ~Q(values__nd_code=""))),
            esg_answered=Count("values", filter=Q(values__field__in=esg, values__nd_code="")
                               & ~Q(values__value=""))).values(
            "period", "issuer__country", "nd", "required_answered", "esg_answered")
        for row in filings:
            records.append({
                "filing_year": int(row["period"][:4]), "filing_country": row["issuer__country"],
                "filing_incomplete": row["nd"] > 0
                or row["required_answered"] < len(required),
                "filing_esg_pairs": len(esg), "filing_esg_answered": row["esg_answered"]})
    return records


def reference_tables() -> tuple[dict, dict]:
    benchmarks = {
        (row["country"], row["year"]): market.Benchmark(
            sme_loan_rate=_float(row["sme_loan_rate"]),
            total_abs_issuance=_float(row["total_abs_issuance"]), currency=row["currency"],
            industry_employment_growth=_float(row["industry_employment_growth"]))
        for row in Benchmark.objects.values("country", "year", "sme_loan_rate",
                                            "total_abs_issuance", "currency",
                                            "industry_employment_growth")}
    fx = {(currency, year): float(rate) for currency, year, rate in
          FxRate.objects.values_list("currency", "year", "rate_to_usd")}
    return benchmarks, fx


def build() -> market.MarketData:
    benchmarks, fx = reference_tables()
    deals = deal_records()
    return market.MarketData.from_records(
        deals=deals, observations=observation_records(deals, benchmarks),
        filings=filing_records(), benchmarks=benchmarks, fx=fx,
        central_western=central_western())


def snapshot_refresh(*, run=None) -> MarketSnapshot:
    """Build the market's facts and store them, unless they equal the latest snapshot's."""
    data = build()
    blob = data.to_npz_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    latest = MarketSnapshot.objects.order_by("-created_at", "-id").first()
    if latest is not None and latest.sha256 == digest:
        return latest
    return MarketSnapshot.objects.create(
        run=run, data=blob, sha256=digest, deals=len(data.deal_id),
        observations=len(data.obs_deal), filings=len(data.filing_year))


def recompute(*, trigger: str, run_id: int | None = None, requested_by=None, progress=None):
    with runs.recording(kind=runs.Kind.MARKET, scope="all", trigger=trigger, total=1,
                        requested_by=requested_by, run_id=run_id) as run:
        snapshot = snapshot_refresh(run=run.run)
        run.count("snapshots" if snapshot.run_id == run.run.pk else "unchanged")
        run.count("deals", snapshot.deals)
        run.advance()
        if progress is not None:
            progress(run.run.done, run.run.total)
    return run.run


_loaded: dict[int, market.MarketData] = {}


def latest() -> tuple[MarketSnapshot | None, market.MarketData | None]:
    """The latest snapshot and its data (kept in memory per snapshot, so answering a request
    costs the computation only)."""
    snapshot = MarketSnapshot.objects.defer("data").order_by("-created_at", "-id").first()
    if snapshot is None:
        return None, None
    if snapshot.pk not in _loaded:
        blob = MarketSnapshot.objects.values_list("data", flat=True).get(pk=snapshot.pk)
        _loaded.clear()
        _loaded[snapshot.pk] = market.MarketData.from_npz_bytes(bytes(blob))
    return snapshot, _loaded[snapshot.pk]



