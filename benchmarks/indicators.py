"""The indicators and the market analytics at scale, for `make bench` (benchmarks/run.py).

Four measurements, in the run that loaded the market (benchmarks.data):

* Simulation throughput (no database): `deals.risk.simulate_spec` on 10,000 paths of a
  3-tranche, 40-quarter deal (`simulation_spec`: level collections, two fees, a reserve,
  interest by rank, sequential principal, the rest to the subordinated tranche, as
  `deals.demo.cash_flow_model` builds deals), one deal after another with different seeds, against
  `deals.risk.simulate_loop` (the same paths one by one through the exact-decimal waterfall) on
  the first deal. The loop is timed on a few hundred paths at two path counts (to check that its
  cost grows linearly) and its per-path cost scaled to 10,000 paths. benchmarks.run sets the
  OpenMP, OpenBLAS and MKL thread counts to 1 before NumPy is imported, and the CPU time of the
  process over its wall time is reported: 1.0 means one core.
* The recompute of every deal's risk and SDG indicators, timed on a deterministic sample of
  deals (and of beneficiaries, for the SDG issuer snapshots) with the services the recompute
  tasks call (`deals.services.risk_snapshot_refresh`, `disclosure.services.
  sdg_snapshot_refresh_deal` and `sdg_snapshot_refresh_issuer`), under one RecomputeRun per job,
  as `deals.tasks.recompute_all_risk` and `disclosure.tasks.recompute_all_sdg` run them, and
  extrapolated to the whole market. The risk inputs calibrate an obsolescence hazard per set of
  pooled asset kinds, from every registered asset of those kinds, and keep it in the process's
  cache: that one-off cost is timed apart (by wrapping the two functions that compute it) and
  counted once per kind set of the market, not once per deal.
* The market snapshot: `disclosure.market_build.snapshot_refresh()` over the whole market, after
  the reference data the answer converts and compares with (`add_reference_data`: FX rates and
  benchmarks from deals.demo's tables) and a few thousand synthetic annual ESG filings of deals'
  beneficiaries (`add_filings`) are loaded.
* The endpoint and the page answered from that snapshot: GET /api/v1/analytics/market/ and GET
  /market/ through Django's test Client (in process: URL routing, every middleware, the view,
  DRF or the template), for typical filters, against building the market data afresh and
  answering from it (what a request would cost without the snapshot).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import statistics
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from unittest import mock
from urllib.parse import urlencode

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SIM_PATHS = 10_000
SIM_PERIODS = 40
SIM_PERIODS_PER_YEAR = 4
SIM_DEALS = 30
LOOP_PATHS = (200, 400)
LOOP_REPS = 3
SIM_SPEEDUP_TARGET = 100.0
SIM_RATE_TARGET = 20.0  # deals per second on one core
SNAPSHOT_TARGET = 60.0  # seconds
REQUEST_P95_TARGET_MS = 200.0
CENT = Decimal("0.01")
FILINGS_AT_FULL_SCALE = 5_000
LAST_FILED_YEAR = 2024  # annual filings due 120 days after the year: all of 2024 are in
MARKET_FILTERS = (
    (),
    (("country", "CN"),),
    (("country", "CN"), ("year_from", "2019"), ("year_to", "2024")),
    (("currency", "CNY"),),
    (("asset_kind", "trademark"),),
    (("country", "US"),),
)
API_URL, PAGE_URL = "/api/v1/analytics/market/", "/market/"


def single_threaded() -> None:
    """Ask NumPy's BLAS and OpenMP pools for one thread; call before NumPy is imported."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"


def _seconds(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


# Simulation throughput


def simulation_request(seed: int, *, periods: int = SIM_PERIODS) -> dict:
    """A deal of three tranches over `periods` quarters as a DESIGN 6.2 request; the seed varies
    its size, tranche split, coupons and collections."""
    from deals.demo import cash_flow_model

    rng = random.Random(seed)
    size = Decimal(rng.randrange(100, 500) * 1_000_000)
    senior = (size * Decimal(f"{rng.uniform(0.80, 0.88):.2f}")).quantize(CENT)
    mezzanine = (size * Decimal(f"{rng.uniform(0.04, 0.08):.2f}")).quantize(CENT)
    coupon = Decimal(f"{rng.uniform(0.025, 0.045):.4f}")
    tranches = [{"name": "Senior A", "size": senior, "coupon_rate": coupon},
                {"name": "Mezzanine B", "size": mezzanine,
                 "coupon_rate": coupon + Decimal("0.0080")},
                {"name": "Subordinated", "size": size - senior - mezzanine, "coupon_rate": None}]
    model = cash_flow_model(rng, size=size, tranches=tranches,
                            years=periods / SIM_PERIODS_PER_YEAR, ppy=SIM_PERIODS_PER_YEAR)
    return {"periods_per_year": model["periods_per_year"],
            "collections": model["projected_collections"], "fees": model["fees"],
            "tranches": [{"name": t["name"], "balance": float(t["size"]),
                          "rate": float(t["coupon_rate"] or 0)} for t in tranches],
            "reserve": model["reserve"], "steps": model["waterfall_steps"]}


def simulation_spec(seed: int, *, periods: int = SIM_PERIODS):
    """The parsed `simulation_request` (a deals.waterfall.WaterfallSpec)."""
    from deals import waterfall

    return waterfall.parse_request(simulation_request(seed, periods=periods))


def time_simulation(*, deals: int = SIM_DEALS, paths: int = SIM_PATHS,
                    loop_paths: tuple[int, ...] = LOOP_PATHS, loop_reps: int = LOOP_REPS) -> dict:
    """Seconds per deal of the vectorized engine (`deals` deals, one warm-up run first) and of
    the per-path loop (median of `loop_reps` runs at each of `loop_paths`)."""
    from benchmarks.run import percentile
    from deals import risk, riskscore

    settings = {"volatility": riskscore.DEFAULT_VOLATILITY, "hazard": riskscore.DEFAULT_HAZARD}
    specs = [simulation_spec(seed) for seed in range(1, deals + 1)]
    risk.simulate_spec(specs[0], paths=paths, seed=0, **settings)
    samples = []
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for seed, spec in enumerate(specs, 1):
        seconds, _ = _seconds(risk.simulate_spec, spec, paths=paths, seed=seed, **settings)
        samples.append(seconds)
    cpu_ratio = (time.process_time() - cpu_started) / (time.perf_counter() - wall_started)
    loop, differences = {}, []
    for count in loop_paths:
        runs = []
        for _ in range(loop_reps):
            seconds, looped = _seconds(risk.simulate_loop, specs[0], paths=count, seed=1,
                                       **settings)
            runs.append(seconds)
        loop[count] = statistics.median(runs)
        # Both engines run the same paths: their expected losses agree to rounding.
        vectorized = risk.simulate_spec(specs[0], paths=count, seed=1, **settings)
        differences += [abs(vectorized.tranches[name].expected_loss - tranche.expected_loss)
                        for name, tranche in looped.tranches.items()]
    per_path = {count: seconds / count for count, seconds in loop.items()}
    loop_deal = per_path[max(loop_paths)] * paths
    p50 = percentile(samples, 0.5)
    return {"paths": paths, "periods": len(specs[0].collections),
            "tranches": len(specs[0].tranches), "fees": len(specs[0].fees),
            "steps": len(specs[0].steps), "deals": deals, "samples": samples, "p50": p50,
            "p95": percentile(samples, 0.95), "rate": 1 / p50,
            "total_rate": deals / sum(samples), "cpu_ratio": cpu_ratio,
            "threads": {name: os.environ.get(name, "unset") for name in THREAD_VARIABLES},
            "loop": loop, "loop_reps": loop_reps, "loop_per_path": per_path,
            "loop_deal": loop_deal, "speedup": loop_deal / p50,
            "linearity": per_path[max(loop_paths)] / per_path[min(loop_paths)],
            "max_difference": max(differences), **settings}


# Reference data and filings


def _interpolate(anchors: dict[int, float], year: int) -> float:
    """The value at a year from yearly anchors: linear between two, the nearest outside."""
    if year in anchors:
        return anchors[year]
    before = [y for y in anchors if y < year]
    after = [y for y in anchors if y > year]
    if not before or not after:
        return anchors[max(before) if before else min(after)]
    low, high = max(before), min(after)
    return anchors[low] + (anchors[high] - anchors[low]) * (year - low) / (high - low)


def add_reference_data() -> tuple[int, int]:
    """FX rates and each country's benchmarks for the years its deals were issued, from the
    demo data's tables (deals.demo); countries and currencies those tables lack stay without,
    as in a real registry. Returns (FX rates, benchmarks)."""
    from benchmarks import data
    from deals import demo
    from deals.models import Benchmark, Deal, FxRate

    rates = [FxRate(currency=currency, year=year, rate_to_usd=rate)
             for currency, table in sorted(demo.USD_PER_UNIT.items())
             for year, rate in sorted(table.items())]
    used = Deal.objects.filter(issue_year__isnull=False).values_list("country", "issue_year") \
        .distinct().order_by("country", "issue_year")
    benchmarks = [Benchmark(
        country=country, year=year, currency=data.CURRENCY[country],
        sme_loan_rate=Decimal(f"{_interpolate(demo.SME_LOAN_RATE[country], year):.4f}"),
        total_abs_issuance=Decimal(round(_interpolate(demo.TOTAL_ABS[country], year) / 1e6)
                                   * 1_000_000),
        industry_employment_growth=Decimal(
            f"{_interpolate(demo.EMPLOYMENT_GROWTH[country], year):.4f}"))
        for country, year in used if country in demo.SME_LOAN_RATE]
    FxRate.objects.bulk_create(rates)
    Benchmark.objects.bulk_create(benchmarks)
    return len(rates), len(benchmarks)


class _Profile:
    """An issuer's invented yearly figures (amounts in thousands, as the template asks)."""

    def __init__(self, rng: random.Random, currency: str):
        self.currency = currency
        self.revenue = rng.lognormvariate(11.0, 1.0)  # about 60 million in the 2015 money
        self.growth = rng.uniform(-0.05, 0.25)
        self.rnd_share = rng.uniform(0.02, 0.15)
        self.employees = rng.randint(40, 4000)
        self.hiring = rng.uniform(-0.04, 0.15)

    def year(self, year: int) -> dict[str, float]:
        years = year - 2015
        revenue = self.revenue * (1 + self.growth) ** years
        return {"revenue": revenue, "rnd_expense": revenue * self.rnd_share,
                "employees": round(self.employees * (1 + self.hiring) ** years)}


def _answer_value(rng: random.Random, field, figures: dict, currency: str) -> str:
    if field.key == "reporting_currency":
        return currency
    if field.key in figures:
        value = figures[field.key]
        return str(value) if field.type == "integer" else f"{value:.1f}"
    low = float(field.min) if field.min is not None else 0.0
    if field.type == "choice":
        return rng.choice(field.choice_values)
    if field.type == "decimal":
        high = float(field.max) if field.max is not None else low + 5_000
        return f"{rng.uniform(low, high):.1f}"
    if field.type == "integer":
        high = int(field.max) if field.max is not None else int(low) + 500
        return str(rng.randint(int(low), high))
    if field.type == "percent":
        return f"{rng.uniform(0.05, 0.6):.2f}"
    if field.type == "boolean":
        return rng.choice(["yes", "no"])
    if field.type == "text":
        return f"ESG policy, board resolution of {rng.randint(2016, 2024)}-03-31"
    raise NotImplementedError(f"benchmarks.indicators does not answer {field.type} fields "
                              f"({field.key})")


def filing_answers(rng: random.Random, spec, profile: _Profile, year: int) -> tuple[dict, object]:
    """A valid filing's answers: every required field, most optional ones, the template's
    rules kept; a third of the filings use an allowed No-Data code on one field. Returns the
    answers and their quality report."""
    from disclosure import quality

    figures = profile.year(year)
    for _attempt in range(20):
        answers = {}
        for field in spec.fields:
            if not field.required and rng.random() < 0.25:
                continue
            answers[field.key] = quality.Answer(
                value=_answer_value(rng, field, figures, profile.currency))
        for rule in spec.rules:  # lte: left within right; required_if: the fields answered
            if rule.check == "lte" and len(rule.left) == 1 and rule.right:
                right = sum(float(answers[key].value) for key in rule.right if key in answers)
                if rule.left[0] in answers:
                    field = spec.field(rule.left[0])
                    value = right * rng.uniform(0.05, 0.6)
                    answers[field.key] = quality.Answer(
                        value=str(int(value)) if field.type == "integer" else f"{value:.1f}")
            elif rule.check == "required_if":
                for key in rule.then:
                    if key not in answers:
                        answers[key] = quality.Answer(value=_answer_value(
                            rng, spec.field(key), figures, profile.currency))
        if rng.random() < 1 / 3:
            field = rng.choice([field for field in spec.fields if field.nd])
            answers[field.key] = quality.Answer(nd_code=rng.choice(field.nd),
                                                nd_reason="Not collected for this year.")
        report = quality.validate(spec, answers)
        if report.is_valid:
            return answers, report
    raise RuntimeError(f"benchmarks.indicators made no valid filing: {report.errors}")


def add_filings(count: int, *, seed: int) -> dict:
    """Load the disclosure templates and about `count` annual ESG filings past draft (mostly
    accepted, with their review's decision; the others submitted): deals' beneficiaries report
    the years before and after a deal's issue (what the SDG observations compare). Rows as the
    submission and the review write them (accession number and counter, content digest,
    completeness and grade, decision). COPY loads the filings as drafts and their answers,
    then one UPDATE per status moves them past draft, as a submission does (the database refuses
    answers to a filing past draft). No ledger events, attachments or search text (nothing
    measured here reads them)."""
    from benchmarks import data
    from deals.models import PoolAsset
    from disclosure.choices import Decision, FilingStatus, TemplateStatus
    from disclosure.models import (
        AccessionCounter,
        DisclosureTemplate,
        Filing,
        FilingValue,
        Review,
    )
    from disclosure.sdg_inputs import ESG_TEMPLATE
    from disclosure.templates_loader import load_templates
    from ipregistry.models import Issuer

    loaded = load_templates()
    template = DisclosureTemplate.objects.get(code=ESG_TEMPLATE, status=TemplateStatus.ACTIVE)
    spec = template.spec
    rng = random.Random(seed)
    pairs = sorted(set(PoolAsset.objects.filter(financing_amount__gt=0,
                                                deal__issue_year__isnull=False)
                       .values_list("asset__owner_id", "deal__issue_year")))
    chosen = sorted(rng.sample(pairs, min(len(pairs), max(1, count // 2))))
    periods = sorted({(owner, year) for owner, issued in chosen for year in (issued - 1, issued + 1)
                      if year <= LAST_FILED_YEAR})
    countries = dict(Issuer.objects.filter(pk__in={owner for owner, _ in periods})
                     .values_list("pk", "country"))
    profiles = {owner: _Profile(rng, data.CURRENCY[countries[owner]]) for owner in countries}
    statuses = [FilingStatus.ACCEPTED] * 4 + [FilingStatus.SUBMITTED]
    filing_id = data.reserve_ids(Filing, len(periods))
    value_id = data.reserve_ids(FilingValue, len(periods) * len(spec.fields))
    filings = data.Table(Filing, [
        "id", "issuer_id", "template_id", "period", "period_end", "due_date", "status",
        "accession_number", "accession_year", "accession_sequence", "content_sha256",
        "submitted_at", "decided_at", "completeness", "grade", "error_count", "search_text",
        "external_ref", "created_at", "updated_at"])
    values = data.Table(FilingValue, ["id", "filing_id", "field", "value", "nd_code",
                                      "nd_reason"])
    sequences: dict[tuple[int, int], int] = defaultdict(int)
    reviews, by_status = [], defaultdict(list)
    for index, (owner, year) in enumerate(periods):
        answers, report = filing_answers(rng, spec, profiles[owner], year)
        period_end = datetime.date(year, 12, 31)
        submitted = datetime.datetime.combine(
            period_end + datetime.timedelta(days=rng.randint(20, spec.due_days - 5)),
            datetime.time(10, 0), tzinfo=datetime.UTC)
        status = rng.choice(statuses)
        by_status[status].append(filing_id + index)
        decided = submitted + datetime.timedelta(days=21)
        if status == FilingStatus.ACCEPTED:
            reviews.append(Review(filing_id=filing_id + index, decision=Decision.ACCEPT,
                                  decided_at=decided))
        sequences[(owner, submitted.year)] += 1
        sequence = sequences[(owner, submitted.year)]
        stored = sorted([key, answer.value, answer.nd_code, answer.nd_reason]
                        for key, answer in answers.items() if not answer.is_blank)
        # disclosure.services.content_digest of the filing as stored
        digest = hashlib.sha256(json.dumps({
            "template": template.key, "issuer": owner, "deal": None, "period": str(year),
            "amends": None, "values": stored, "attachments": []},
            sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        filings.rows.append((
            filing_id + index, owner, template.pk, str(year), period_end,
            period_end + datetime.timedelta(days=spec.due_days), str(FilingStatus.DRAFT),
            f"{owner:010d}-{submitted.year % 100:02d}-{sequence:06d}", submitted.year, sequence,
            digest, submitted, decided if status == FilingStatus.ACCEPTED else None,
            float(report.completeness),
            report.grade, 0, "", f"BENCH-F{index}", submitted, submitted))
        for key, value, nd_code, nd_reason in stored:
            values.rows.append((value_id + len(values.rows), filing_id + index, key, value,
                                nd_code, nd_reason))
    dataset = data.Dataset({"filings": filings, "filing_values": values}, [])
    data._complete_columns(dataset)
    started = time.perf_counter()
    data.copy_load(dataset)
    for status, ids in sorted(by_status.items()):
        Filing.objects.filter(pk__in=ids).update(status=status)
    Review.objects.bulk_create(reviews)
    AccessionCounter.objects.bulk_create([AccessionCounter(issuer_id=owner, year=year, last=last)
                                          for (owner, year), last in sorted(sequences.items())])
    return {"templates": len(loaded), "filings": len(filings.rows), "values": len(values.rows),
            "accepted": len(reviews), "issuers": len(profiles),
            "seconds": time.perf_counter() - started}


# Recompute of every deal's indicators, timed on a sample


@contextmanager
def _timing(calls: list[float], *targets: tuple[object, str]):
    """Time every call of the named functions (added to `calls` one duration per call of the
    first, the others' durations added to the last entry)."""
    def wrap(function, first: bool):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                if first:
                    calls.append(0.0)
                calls[-1] += time.perf_counter() - started
        return timed

    with ExitStack() as stack:
        for position, (owner, name) in enumerate(targets):
            stack.enter_context(mock.patch.object(owner, name,
                                                  wrap(getattr(owner, name), position == 0)))
        yield


def _recorded_run(kind: str, subject: str, ids: list[int], refresh) -> dict:
    """Refresh each id's snapshot in one recorded run, as the recompute tasks do; the seconds
    of each refresh (including the run's bookkeeping)."""
    from core import runs

    seconds = []
    with runs.recording(kind=kind, scope=f"benchmark:{subject}s", trigger="benchmark",
                        total=len(ids)) as run:
        for pk in ids:
            started = time.perf_counter()
            try:
                snapshot = refresh(pk, run.run)
            except Exception as exc:  # as the tasks do: note it and go on
                run.error(f"{subject}:{pk}", exc)
                run.advance()
            else:
                run.count("snapshots" if snapshot is not None and snapshot.run_id == run.run.pk
                          else "unchanged")
                run.advance()
            seconds.append(time.perf_counter() - started)
    return {"seconds": seconds, "errors": list(run.run.errors), "counts": dict(run.run.counts)}


def time_recompute(sample: int, *, seed: int, workers: int) -> dict:
    """Risk and SDG snapshots of `sample` deals (and a proportional sample of beneficiaries),
    with the per-item cost and the whole market's time extrapolated from it."""
    from django.conf import settings
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.core.cache import cache

    from benchmarks.run import percentile
    from core.runs import Kind
    from deals import riskscore, selectors, services
    from deals.models import Deal, PoolAsset
    from deals.tasks import recompute_risk_all
    from disclosure import services as disclosure_services
    from disclosure.tasks import recompute_sdg_all
    from ipregistry.models import Issuer

    deal_ids = list(Deal.objects.order_by("pk").values_list("pk", flat=True))
    # disclosure.tasks.recompute_all_sdg: every beneficiary
    issuer_ids = list(Issuer.objects.filter(assets__pool_entries__financing_amount__gt=0)
                      .distinct().order_by("pk").values_list("pk", flat=True))
    rng = random.Random(seed)
    deals = sorted(rng.sample(deal_ids, min(sample, len(deal_ids))))
    issuers = sorted(rng.sample(issuer_ids, min(len(issuer_ids), max(1, round(
        len(issuer_ids) * len(deals) / len(deal_ids))))))
    kind_sets = len({tuple(kinds) for kinds in PoolAsset.objects.values("deal_id").annotate(
        kinds=ArrayAgg("asset__kind", distinct=True, order_by="asset__kind"))
        .order_by().values_list("kinds", flat=True)})
    periods = [len(flows) for flows in Deal.objects.filter(pk__in=deals)
               .values_list("projected_collections", flat=True)]

    cache.clear()  # a fresh worker's cache: the hazards are calibrated as the sample meets them
    calibrations: list[float] = []
    with _timing(calibrations, (selectors, "_hazard_exposures"), (riskscore, "calibrate_hazard")):
        risk = _recorded_run(Kind.RISK, "deal", deals, lambda pk, run:
                             services.risk_snapshot_refresh(deal_id=pk, run=run))
    sdg_deals = _recorded_run(Kind.SDG, "deal", deals, lambda pk, run:
                              disclosure_services.sdg_snapshot_refresh_deal(deal_id=pk, run=run))
    sdg_issuers = _recorded_run(Kind.SDG, "issuer", issuers, lambda pk, run:
                                disclosure_services.sdg_snapshot_refresh_issuer(issuer_id=pk,
                                                                                run=run))

    def summary(run: dict, items: int) -> dict:
        values = run["seconds"]
        return {"n": len(values), "p50": percentile(values, 0.5) if values else 0.0,
                "p95": percentile(values, 0.95) if values else 0.0,
                "mean": statistics.fmean(values) if values else 0.0, "sum": sum(values),
                "errors": run["errors"], "counts": run["counts"], "items": items}

    rows = {"risk": summary(risk, len(deal_ids)), "sdg_deal": summary(sdg_deals, len(deal_ids)),
            "sdg_issuer": summary(sdg_issuers, len(issuer_ids))}
    # Risk without the one-off calibrations, which the market pays once per kind set.
    steady = (sum(risk["seconds"]) - sum(calibrations)) / max(1, len(deals))
    calibration = statistics.fmean(calibrations) if calibrations else 0.0
    rows["risk"].update(steady=steady, calibrations=len(calibrations),
                        calibration_mean=calibration, kind_sets=kind_sets)
    # One worker runs every item after the other; N workers share the items (ideal), and each
    # calibrates every kind set it meets in its own process cache.
    risk_one = len(deal_ids) * steady + kind_sets * calibration
    risk_many = len(deal_ids) * steady / workers + kind_sets * calibration
    sdg_one = len(deal_ids) * rows["sdg_deal"]["mean"] \
        + len(issuer_ids) * rows["sdg_issuer"]["mean"]
    return {"rows": rows, "deals": len(deal_ids), "issuers": len(issuer_ids),
            "sample": len(deals), "issuer_sample": len(issuers), "workers": workers,
            "paths": settings.RISK_PATHS, "periods_mean": statistics.fmean(periods),
            "periods_max": max(periods),
            "risk_one": risk_one, "risk_many": risk_many, "sdg_one": sdg_one,
            "sdg_many": sdg_one / workers,
            "time_limits": {"risk": recompute_risk_all.time_limit,
                            "SDG": recompute_sdg_all.time_limit}}


# The market snapshot, the endpoint and the page


def filter_label(params: tuple) -> str:
    return " ".join(f"{name}={value}" for name, value in params) or "(none)"


def time_market(*, warmup: int, reps: int, budget: float, min_reps: int) -> dict:
    """Build and store the market snapshot, then time the endpoint and the page from it for
    each of MARKET_FILTERS; the baseline builds the market data afresh for one answer."""
    from django.test import Client

    from benchmarks.run import log, percentile
    from disclosure import market, market_build
    from disclosure.models import MarketSnapshot

    if MarketSnapshot.objects.exists():
        raise RuntimeError("a market snapshot exists already: the build timed here would not "
                           "be the first")
    seconds, snapshot = _seconds(market_build.snapshot_refresh)
    size = len(snapshot.data)
    log(f"  market snapshot: {snapshot.deals:,} deals, {snapshot.observations:,} observations, "
        f"{snapshot.filings:,} filings, {size:,} bytes in {seconds:.1f} s")
    client = Client(HTTP_HOST="localhost")

    def get(url: str, params: tuple):
        response = client.get(url + ("?" + urlencode(params) if params else ""))
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} {filter_label(params)}: {response.status_code}")
        return response

    # A refused filter answers before the snapshot is read: it loads the URLs and the views.
    if client.get(API_URL + "?year_from=x").status_code != 400:
        raise RuntimeError(f"GET {API_URL}?year_from=x: expected 400")
    first, response = _seconds(get, API_URL, ())  # reads and unpacks the new snapshot
    scope_deals = {}
    results: dict[str, dict] = {"api": {}, "page": {}}
    share = budget / (2 * len(MARKET_FILTERS))
    for kind, url in (("api", API_URL), ("page", PAGE_URL)):
        for params in MARKET_FILTERS:
            for _ in range(max(1, warmup)):
                took, response = _seconds(get, url, params)
            wanted = max(min_reps, min(reps, int(share / max(took, 1e-6))))
            samples = [_seconds(get, url, params)[0] for _ in range(wanted)]
            if kind == "api":
                scope_deals[params] = sum(row["deals"] for row in
                                          json.loads(response.content)["issuance_by_year"])
            results[kind][params] = {"samples": samples, "p50": percentile(samples, 0.5),
                                     "p95": percentile(samples, 0.95),
                                     "bytes": len(response.content)}
            log(f"  {kind} {filter_label(params)}: p50 {percentile(samples, 0.5) * 1000:,.1f} "
                f"ms over {len(samples)} runs")
    pooled = {kind: {"p50": percentile([s for r in rows.values() for s in r["samples"]], 0.5),
                     "p95": percentile([s for r in rows.values() for s in r["samples"]], 0.95)}
              for kind, rows in results.items()}
    build_seconds, data = _seconds(market_build.build)
    answer_seconds, _ = _seconds(market.answer, data)
    return {"seconds": seconds, "bytes": size, "deals": snapshot.deals,
            "observations": snapshot.observations, "filings": snapshot.filings,
            "first_request": first, "results": results, "pooled": pooled,
            "scope_deals": scope_deals, "warmup": warmup, "reps": reps, "budget": budget,
            "baseline": build_seconds + answer_seconds, "baseline_build": build_seconds,
            "baseline_answer": answer_seconds,
            "speedup": (build_seconds + answer_seconds) / results["api"][()]["p50"]}


# Report


def _verdict(ok: bool, text: str) -> str:
    return f"{text}: **{'met' if ok else 'not met'}**."


def verdicts(facts: dict) -> list[str]:
    """The targets of the indicators and the market, met or not."""
    sim, recompute, market = facts["simulation"], facts["recompute"], facts["market"]
    lines = [
        _verdict(sim["speedup"] >= SIM_SPEEDUP_TARGET,
                 f"simulation at least {SIM_SPEEDUP_TARGET:.0f}x faster than the per-path loop "
                 f"({sim['speedup']:,.0f}x, the loop extrapolated from {max(sim['loop']):,} "
                 "paths)"),
        _verdict(sim["rate"] >= SIM_RATE_TARGET,
                 f"at least {SIM_RATE_TARGET:.0f} deals per second on one core at "
                 f"{sim['paths']:,} paths x {sim['periods']} periods x {sim['tranches']} "
                 f"tranches ({sim['rate']:,.1f} at the median, {1 / sim['p95']:,.1f} at p95)"),
    ]
    for job, seconds in (("risk", recompute["risk_one"]), ("SDG", recompute["sdg_one"])):
        limit = recompute["time_limits"][job]
        lines.append(_verdict(seconds < limit, f"the full {job} recompute of the "
                              f"{recompute['deals']:,} deals in one process within the nightly "
                              f"task's time limit of {limit / 3600:.0f} h (extrapolated: "
                              f"{_duration(seconds)})"))
    lines.append(_verdict(market["seconds"] < SNAPSHOT_TARGET,
                          f"market snapshot of {market['deals']:,} deals built and stored in "
                          f"under {SNAPSHOT_TARGET:.0f} s ({market['seconds']:.1f} s)"))
    for kind, label in (("api", "GET /api/v1/analytics/market/"), ("page", "GET /market/")):
        pooled = market["pooled"][kind]["p95"]
        slow = [filter_label(params) for params, row in market["results"][kind].items()
                if row["p95"] * 1000 >= REQUEST_P95_TARGET_MS]
        lines.append(_verdict(pooled * 1000 < REQUEST_P95_TARGET_MS,
                              f"{label} p95 under {REQUEST_P95_TARGET_MS:.0f} ms, all filters "
                              f"pooled ({_ms(pooled)} ms)"))
        lines.append(_verdict(not slow, f"{label} p95 under {REQUEST_P95_TARGET_MS:.0f} ms for "
                              "every filter" + (f" (not: {', '.join(slow)})" if slow else "")))
    return lines


def _ms(seconds: float) -> str:
    from benchmarks.run import ms

    return ms(seconds)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def report(facts: dict) -> list[str]:
    """The report's "Indicators and market" section, as Markdown lines."""
    sim, recompute, market = facts["simulation"], facts["recompute"], facts["market"]
    setup, workers = facts["setup"], recompute["workers"]
    n_workers = f"{workers} worker{'s' if workers != 1 else ''}"
    out: list[str] = []
    add = out.append
    add("## Indicators and market\n")
    add("What the risk and SDG indicators and the market analytics cost at this scale, measured "
        "in the same run on the market loaded above (`benchmarks/indicators.py`). Before these "
        f"steps the run loads the reference data the market answer converts and compares with "
        f"({setup['fx']:,} FX rates and {setup['benchmarks']:,} country-year benchmarks, from "
        "the demo data's tables in `deals/demo.py`; SGD and Singapore have none, so their deals "
        "count in the coverage as left out of money figures) and "
        f"{setup['filings']['filings']:,} synthetic annual ESG filings of "
        f"{setup['filings']['issuers']:,} beneficiaries ({setup['filings']['accepted']:,} "
        "accepted with their review's decision, the others submitted; "
        f"{setup['filings']['values']:,} answers, each filing valid against the active "
        "`issuer-esg-annual` template that `disclosure.templates_loader.load_templates()` "
        "loads), for the years before and after a deal's issue, so that the SDG observations "
        f"have figures to compare (COPY, {setup['filings']['seconds']:.1f} s). Every deal "
        "carries the cash-flow model the risk recompute simulates (`benchmarks/data.py`: level "
        "quarterly collections over the deal's term, trustee and servicer fees, a reserve, "
        "interest by rank, sequential principal, the rest to the subordinated tranche, as "
        "`deals.demo.cash_flow_model` builds them).\n")

    add("### Simulation throughput on one core\n")
    threads = ", ".join(f"{name}={value}" for name, value in sim["threads"].items())
    add(f"`deals.risk.simulate_spec` (all paths at once in NumPy arrays) on {sim['deals']} "
        f"deals one after the other, each {sim['paths']:,} paths x {sim['periods']} quarterly "
        f"periods x {sim['tranches']} tranches ({sim['fees']} fees, a reserve, "
        f"{sim['steps']} waterfall steps; `benchmarks.indicators.simulation_spec` with seeds "
        f"1-{sim['deals']}, so sizes, coupons and collections differ), volatility "
        f"{sim['volatility']} and hazard {sim['hazard']} (the defaults of "
        "`deals.riskscore`), after one warm-up run; against `deals.risk.simulate_loop`, the "
        "same paths run one at a time through the exact-decimal `deals.waterfall.run_period`, "
        f"on the first deal, median of {sim['loop_reps']} runs at each path count. One core: "
        f"the run sets {threads} before NumPy is imported (NumPy's elementwise operations, all "
        "the engine uses, are single-threaded anyway), and the process's CPU time over its wall "
        f"time during the timed runs was {sim['cpu_ratio']:.2f}.\n")
    add("| engine | paths | deals timed | p50 s per deal | p95 s per deal | deals/s (p50) |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: |")
    add(f"| vectorized `simulate_spec`, measured | {sim['paths']:,} | {sim['deals']} | "
        f"{sim['p50']:.3f} | {sim['p95']:.3f} | {sim['rate']:,.1f} |")
    for count, seconds in sim["loop"].items():
        add(f"| per-path loop `simulate_loop`, measured | {count:,} | 1 | {seconds:.3f} | | "
            f"({sim['loop_per_path'][count] * 1000:.2f} ms per path) |")
    add(f"| per-path loop, **extrapolated** linearly from {max(sim['loop']):,} paths | "
        f"{sim['paths']:,} | | **{sim['loop_deal']:,.1f}** | | {1 / sim['loop_deal']:,.2f} |")
    add("")
    low, high = min(sim["loop"]), max(sim["loop"])
    add(f"The loop's figure at {sim['paths']:,} paths is not measured: it is its cost per path "
        f"at {high:,} paths times {sim['paths']:,}. Its cost grows linearly with the paths: a "
        f"path cost {sim['linearity']:.2f}x as much at {high:,} paths as at {low:,}. Speed-up "
        f"of the vectorized engine: **{sim['speedup']:,.0f}x** (extrapolated loop / measured "
        f"p50); {sim['deals']} deals took {sum(sim['samples']):.2f} s in all "
        f"({sim['total_rate']:,.1f} deals/s). On the same paths both engines give the same "
        "expected losses (largest difference over the tranches "
        f"{sim['max_difference']:.2g}, binary floats against exact decimals).\n")

    add("### Recompute of every deal's risk and SDG indicators (sample, extrapolated)\n")
    rows = recompute["rows"]
    risk = rows["risk"]
    add(f"`deals.tasks.recompute_all_risk` and `disclosure.tasks.recompute_all_sdg` refresh "
        "every deal's snapshot (and the SDG one every beneficiary's) one after the other in one "
        f"process. Timed here on a deterministic sample of {recompute['sample']:,} of the "
        f"{recompute['deals']:,} deals (and {recompute['issuer_sample']:,} of the "
        f"{recompute['issuers']:,} beneficiaries, the same share): each item through the "
        "service the task calls (`deals.services.risk_snapshot_refresh` with "
        f"RISK_PATHS={recompute['paths']:,} paths, `disclosure.services."
        "sdg_snapshot_refresh_deal`, `sdg_snapshot_refresh_issuer`), under one RecomputeRun "
        "per job, errors noted as the tasks note them, every snapshot stored. The sample's "
        f"deals have {recompute['periods_mean']:.1f} quarterly periods on average (at most "
        f"{recompute['periods_max']}) and 2-3 tranches. The risk inputs calibrate an "
        "obsolescence hazard once per set of pooled asset kinds, from every registered asset "
        "of those kinds, and keep it in the process's cache (the sample starts with an empty "
        f"one): the sample made {risk['calibrations']} such calibrations, "
        f"{_ms(risk['calibration_mean'])} ms each on average; the market has "
        f"{risk['kind_sets']} kind sets. Per-item times are in milliseconds (risk: "
        "calibrations included; \"steady\" leaves them out).\n")
    add(f"Full-market times are **extrapolated** from the sample, not measured: one worker = "
        "items x mean time per item (risk: x the steady time, plus one calibration per kind "
        f"set); {n_workers} (`nproc`) = the items shared evenly (ideal: it assumes "
        f"{workers} free core{'s' if workers != 1 else ''} besides PostgreSQL's, which on this "
        "machine shares them; "
        "per-deal tasks would add a RecomputeRun each), each worker calibrating every kind set "
        "in its own cache.\n")
    add(f"| job | items in the market | sample | p50 | p95 | mean | steady | sample s | one "
        f"worker | {n_workers} |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    add(f"| risk snapshot per deal | {risk['items']:,} | {risk['n']:,} | {_ms(risk['p50'])} | "
        f"{_ms(risk['p95'])} | {_ms(risk['mean'])} | {_ms(risk['steady'])} | "
        f"{risk['sum']:.1f} | **{_duration(recompute['risk_one'])}** | "
        f"**{_duration(recompute['risk_many'])}** |")
    sdg_deal, sdg_issuer = rows["sdg_deal"], rows["sdg_issuer"]
    add(f"| SDG snapshot per deal | {sdg_deal['items']:,} | {sdg_deal['n']:,} | "
        f"{_ms(sdg_deal['p50'])} | {_ms(sdg_deal['p95'])} | {_ms(sdg_deal['mean'])} | | "
        f"{sdg_deal['sum']:.1f} | {_duration(sdg_deal['items'] * sdg_deal['mean'])} | "
        f"{_duration(sdg_deal['items'] * sdg_deal['mean'] / workers)} |")
    add(f"| SDG snapshot per beneficiary | {sdg_issuer['items']:,} | {sdg_issuer['n']:,} | "
        f"{_ms(sdg_issuer['p50'])} | {_ms(sdg_issuer['p95'])} | {_ms(sdg_issuer['mean'])} | | "
        f"{sdg_issuer['sum']:.1f} | {_duration(sdg_issuer['items'] * sdg_issuer['mean'])} | "
        f"{_duration(sdg_issuer['items'] * sdg_issuer['mean'] / workers)} |")
    add(f"| SDG recompute, all | | | | | | | | **{_duration(recompute['sdg_one'])}** | "
        f"**{_duration(recompute['sdg_many'])}** |")
    add(f"| market snapshot (measured once, below) | {market['deals']:,} deals | | | | | | | "
        f"{market['seconds']:.1f} s | {market['seconds']:.1f} s |")
    total_one = recompute["risk_one"] + recompute["sdg_one"] + market["seconds"]
    total_many = recompute["risk_many"] + recompute["sdg_many"] + market["seconds"]
    add(f"| **everything** | | | | | | | | **{_duration(total_one)}** | "
        f"**{_duration(total_many)}** |")
    add("")
    errors = [error for row in rows.values() for error in row["errors"]]
    stored = sum(row["counts"].get("snapshots", 0) for row in rows.values())
    add(f"Snapshots stored in the sample: {stored:,}; errors: {len(errors)}"
        + (f", e.g. {errors[0]['scope']}: {errors[0]['error'][:200]}" if errors else "")
        + ".\n")

    add("### Market snapshot\n")
    add("`disclosure.market_build.snapshot_refresh()` on the whole market, timed once: the "
        "set-based queries of `build()` (deals in scope with their pool, financing and default "
        "columns, the (deal, beneficiary) observations with their filed figures, the filings "
        "past draft with their answer counts), the compressed NumPy archive, and the "
        "MarketSnapshot row.\n")
    add("| | |\n| --- | ---: |")
    add(f"| build and store | **{market['seconds']:.1f} s** |")
    add(f"| of which `build()` (timed again for the baseline below) | "
        f"{market['baseline_build']:.1f} s |")
    add(f"| size | {market['bytes']:,} bytes |")
    add(f"| deals (issued, amortizing, matured or defaulted, with an issue year) | "
        f"{market['deals']:,} |")
    add(f"| observations (deal, beneficiary) | {market['observations']:,} |")
    add(f"| filings past draft | {market['filings']:,} |")
    add("")

    add("### Market endpoint and page from the snapshot\n")
    add("Each request through Django's test `Client` in this process: URL routing, every "
        "middleware, the filter form, `disclosure.market.answer` on the snapshot kept in "
        "memory, and DRF's JSON or the page's template (the page's charts are separate image "
        f"requests, not counted). {market['warmup']} warm-up requests, then "
        f"{market['reps']} timed ones per filter and kind (fewer, at least 5, if they would "
        f"take more than {market['budget']:.0f} s in all). The first request after the "
        "snapshot was stored read and unpacked it (after a refused filter had loaded the URLs "
        f"and views): {_ms(market['first_request'])} ms. Times in milliseconds, nearest-rank "
        "percentiles.\n")
    add("| # | filters | deals in scope | API p50 | API p95 | page p50 | page p95 | page KB | "
        "runs |\n| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    api, page = market["results"]["api"], market["results"]["page"]
    for index, params in enumerate(MARKET_FILTERS, 1):
        add(f"| {index} | {filter_label(params)} | {market['scope_deals'][params]:,} | "
            f"{_ms(api[params]['p50'])} | {_ms(api[params]['p95'])} | "
            f"{_ms(page[params]['p50'])} | {_ms(page[params]['p95'])} | "
            f"{page[params]['bytes'] / 1024:,.0f} | {len(api[params]['samples'])} / "
            f"{len(page[params]['samples'])} |")
    pooled = market["pooled"]
    add(f"| | **all runs pooled** | | **{_ms(pooled['api']['p50'])}** | "
        f"**{_ms(pooled['api']['p95'])}** | **{_ms(pooled['page']['p50'])}** | "
        f"**{_ms(pooled['page']['p95'])}** | | |")
    add("")
    add("Baseline, without a snapshot: building the market data afresh "
        f"(`market_build.build()`, {market['baseline_build']:.1f} s) and answering from it "
        f"(`market.answer`, no filter, {_ms(market['baseline_answer'])} ms) takes "
        f"{market['baseline']:.1f} s for one request, **{market['speedup']:,.0f}x** the "
        f"endpoint's p50 with no filter from the snapshot. Measured once.\n")
    add("Targets of this section:\n")
    for line in verdicts(facts):
        add(f"- {line}")
    add("")
    return out
