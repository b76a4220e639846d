"""What a deal's or an issuer's SDG indicators (disclosure/sdg.py) are computed from: registry
records (pools, financing, issuers' yearly financials, benchmarks) and accepted filings.

A year's figures come from one source, so that ratios and growth rates never mix units: the
registry's IssuerFinancials of that year when it has them (amounts in units), else the issuer's
accepted annual ESG filing for that year (its amounts are in thousands, so they are scaled to
units). `sources` records which one each year came from.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from deals.models import Benchmark, Deal, PoolAsset
from disclosure import quality, sdg
from disclosure.choices import FilingStatus
from disclosure.models import Filing
from ipregistry.models import IssuerFinancials

ESG_TEMPLATE = "issuer-esg-annual"
THOUSAND = Decimal(1000)
REGIONS_FILE = Path(__file__).resolve().parent / "data" / "cn_regions.csv"
FIGURES = ("revenue", "rnd_expense", "employees", "carbon_rnd_expense")
SCALED = {"revenue", "rnd_expense", "carbon_rnd_expense"}


@lru_cache(maxsize=1)
def central_western() -> frozenset[str]:
    return sdg.read_regions(REGIONS_FILE.read_text(encoding="utf-8"))


def _filed_years(issuer_ids) -> dict[int, dict[int, dict]]:
    """Figures from accepted ESG filings: issuer -> year -> {figure: value in units}."""
    found: dict[int, dict[int, dict]] = {}
    filings = Filing.objects.filter(
        issuer_id__in=issuer_ids, status=FilingStatus.ACCEPTED,
        template__code=ESG_TEMPLATE).select_related("template").prefetch_related("values") \
        .order_by("submitted_at", "id")
    for filing in filings:
        if not filing.period.isdigit():
            continue
        values = {v.field: v.as_answer() for v in filing.values.all() if v.field in FIGURES}
        parsed = sdg_values(filing, values)
        found.setdefault(filing.issuer_id, {})[int(filing.period)] = parsed
    return found


def sdg_values(filing: Filing, answers: dict) -> dict:
    """A filing's figures parsed by its template, amounts scaled from thousands to units."""
    report = quality.validate(filing.template.spec, answers)
    out = {}
    for key in FIGURES:
        value = report.values.get(key)
        if value is None:
            continue
        out[key] = value * THOUSAND if key in SCALED else int(value)
    return out


def years_of(issuer_ids) -> tuple[dict[int, dict[int, sdg.YearFigures]], dict]:
    """Each issuer's yearly figures and where each year came from."""
    issuer_ids = list(issuer_ids)
    registry: dict[int, dict[int, dict]] = {}
    for row in IssuerFinancials.objects.filter(issuer_id__in=issuer_ids).values(
            "issuer_id", "year", *FIGURES):
        registry.setdefault(row["issuer_id"], {})[row["year"]] = row
    filed = _filed_years(issuer_ids)
    years, sources = {}, {}
    for issuer_id in issuer_ids:
        merged, source = {}, {}
        for year in sorted(set(registry.get(issuer_id, {})) | set(filed.get(issuer_id, {}))):
            if year in registry.get(issuer_id, {}):
                row, source[year] = registry[issuer_id][year], "registry"
            else:
                row, source[year] = filed[issuer_id][year], "accepted filing"
            merged[year] = sdg.YearFigures(year=year, **{k: row.get(k) for k in FIGURES})
        years[issuer_id], sources[issuer_id] = merged, source
    return years, sources


def deal_facts(deal: Deal) -> tuple[sdg.DealFacts, dict]:
    """The deal's inputs for sdg.deal_indicators, and the sources of its figures."""
    pool = list(PoolAsset.objects.filter(deal=deal).select_related("asset__owner"))
    financing: dict[int, Decimal] = {}
    owners = {}
    for entry in pool:
        if entry.financing_amount > 0:
            owner = entry.asset.owner
            owners[owner.pk] = owner
            financing[owner.pk] = financing.get(owner.pk, Decimal(0)) + entry.financing_amount
    years, sources = years_of(owners)
    benchmark = Benchmark.objects.filter(country=deal.country, year=deal.issue_year).first() \
        if deal.issue_year else None
    beneficiaries = [
        sdg.Beneficiary(issuer_id=pk, name=owner.name, issuer_type=owner.issuer_type,
                        country=owner.country, province=owner.province,
                        years=years.get(pk, {}), financing_amount=financing[pk])
        for pk, owner in sorted(owners.items())]
    pool_value = sum((e.cutoff_value for e in pool), Decimal(0))
    green = sum((e.cutoff_value for e in pool if e.asset.green), Decimal(0))
    facts = sdg.DealFacts(
        deal_id=deal.pk, issue_year=deal.issue_year, country=deal.country,
        senior_coupon=deal.senior_coupon,
        sme_loan_rate=benchmark.sme_loan_rate if benchmark else None,
        industry_employment_growth=benchmark.industry_employment_growth if benchmark else None,
        pool_value=pool_value, green_pool_value=green, beneficiaries=beneficiaries)
    return facts, {str(k): {str(y): s for y, s in v.items()} for k, v in sources.items()}


def deals_financing(issuer_id: int):
    """The deals in which the issuer is a beneficiary (financing above 0)."""
    return Deal.objects.filter(pool__asset__owner_id=issuer_id,
                               pool__financing_amount__gt=0).distinct().order_by("pk")
