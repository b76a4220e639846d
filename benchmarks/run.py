"""`make bench`: bulk load, investor search, indicators and market analytics on PostgreSQL.

    python -m benchmarks.run --scale 1.0     # 100,000 deals, 1,000,000 pooled assets
    python -m benchmarks.run --scale 0.01    # a quick run (1,000 deals)

Steps, all in one run, on a database of its own (created, and dropped at the end unless
--keep): migrate; generate the data (benchmarks.data); COPY it in; save a smaller dataset one
model instance at a time with the ORM for comparison (then delete it); set every deal's
search_vector with ONE UPDATE (deals.search.update_search_vectors); check on a sample that
deals.services.deal_refresh would derive the same columns, vectors and facet rows (then roll
back); VACUUM ANALYZE; check that each search finds the same deals both ways; time the ten
searches the fast way (the page's code path) and the naive way (the admin's), each after a
warm-up; then the indicators and the market (benchmarks.indicators): the risk simulation's
throughput on one core against its per-path loop, the risk and SDG recompute timed on a sample
of deals and extrapolated to the market, the market snapshot built from the whole market, and
the market endpoint and page answered from it against building the market afresh; print a
Markdown report and write it (docs/benchmarks.md at full scale).
"""

from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import math
import os
import platform
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import database, indicators

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ipsec_bench"
P95_TARGET_MS = 100.0
SPEEDUP_TARGET = 20.0
NAIVE_NO_WARMUP = 3.0  # seconds: a naive run longer than this is timed without a warm-up


# Sections other tools write into the same report (`make loadtest`), kept when it is rewritten.
KEPT_SECTIONS = ("## Load test",)


def _kept_sections(path: Path) -> str:
    """The kept sections of the report at `path`, each up to the next second-level heading."""
    text = path.read_text() if path.exists() else ""
    kept = []
    for title in KEPT_SECTIONS:
        match = re.search(rf"^{re.escape(title)}[ \t]*\n.*?(?=^## |\Z)", text, re.S | re.M)
        if match:
            kept.append("\n" + match.group(0).rstrip("\n") + "\n")
    return "".join(kept)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples = the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The database










# Machine


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    # nproc counts OMP_NUM_THREADS as a limit: without it, for the cores this process may use.
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("OMP_")}
    try:
        cores = subprocess.run(["nproc"], capture_output=True, text=True, check=True,
                               env=environment).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        cores = str(os.cpu_count())
    return {"cores": cores, "memory": memory, "cpu": cpu, "os": platform.platform(),
            "python": platform.python_version()}


def postgres_facts() -> dict[str, str]:
    from django.db import connection

    facts = {}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        facts["version"] = cursor.fetchone()[0]
        for setting in ("shared_buffers", "work_mem", "effective_cache_size",
                        "max_parallel_workers_per_gather", "jit", "random_page_cost",
                        "pg_trgm.word_similarity_threshold"):
            try:
                cursor.execute(f"SHOW {setting}")
                facts[setting] = cursor.fetchone()[0]
            except Exception:  # noqa: BLE001 - a setting this server lacks
                facts[setting] = "n/a"
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        facts["database size"] = cursor.fetchone()[0]
    return facts


# Steps


def migrate() -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def vacuum_analyze() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def analyze(models: list) -> None:
    """ANALYZE the tables of these models (rows loaded after the VACUUM ANALYZE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def check_derivation(sample_ids: list[int]) -> list[str]:
    """Run deals.services.deal_refresh on sample deals inside a rolled-back transaction and
    report every derived column, vector or facet row that would change (none expected)."""
    from django.db import transaction
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from deals import services
    from deals.models import Deal, DealFacetValue

    columns = ["issue_year", "senior_coupon", "senior_rating", "rating_bucket", "search_primary",
               "search_parties", "search_assets", "search_proceeds"]

    def snapshot():
        deals = {row[0]: row[1:] for row in Deal.objects.filter(pk__in=sample_ids)
                 .annotate(vector=Cast("search_vector", TextField()))
                 .values_list("pk", *columns, "vector")}
        facets = set(DealFacetValue.objects.filter(deal_id__in=sample_ids)
                     .values_list("deal_id", "facet", "value"))
        return deals, facets

    problems = []
    with transaction.atomic():
        before = snapshot()
        for deal_id in sample_ids:
            services.deal_refresh(deal_id=deal_id)
        after = snapshot()
        for deal_id, values in before[0].items():
            for column, old, new in zip([*columns, "search_vector"], values, after[0][deal_id],
                                        strict=True):
                if old != new:
                    problems.append(f"deal {deal_id} {column}: {old!r} -> {new!r}"[:300])
        if before[1] != after[1]:
            problems.append(f"facet rows differ: {sorted(before[1] ^ after[1])[:5]}")
        transaction.set_rollback(True)
    return problems


def time_searches(runner, searches, base_factory, *, warmup: int, reps: int, budget: float,
                  min_reps: int, keep_slow_first: float | None = None, label: str = "") -> dict:
    """{search key: {"samples": [total seconds], "parts": {part: [seconds]}, "count": n,
    "warm": warm-up runs}}.

    Each search first runs `warmup` untimed runs, then as many timed runs as fit its share of
    `budget` (seconds for all searches), at least `min_reps` and at most `reps`. With
    `keep_slow_first`, a first run longer than that many seconds is kept as a timed sample
    instead of being discarded (a multi-second run is not warmed up: the data is in memory
    by then and one more run would only lengthen the benchmark)."""
    results = {}
    share = budget / len(searches)
    for position, search in enumerate(searches):
        first = runner(search, base_factory)
        outcomes, warm = [], 1
        if keep_slow_first is not None and first.seconds["total"] > keep_slow_first:
            outcomes.append(first)
            warm = 0
        else:
            for _ in range(warmup - 1):
                first = runner(search, base_factory)
                warm += 1
        wanted = int(share / max(first.seconds["total"], 1e-6))
        wanted = max(min_reps, min(reps, wanted))
        while len(outcomes) < wanted:
            outcomes.append(runner(search, base_factory))
        results[search.key] = {
            "samples": [o.seconds["total"] for o in outcomes],
            "parts": {part: [o.seconds[part] for o in outcomes]
                      for part in ("count", "page", "facets")},
            "count": first.count, "warm": warm,
        }
        log(f"  {label} {position + 1}/{len(searches)} {search.key}: {first.count} matches, "
            f"p50 {ms(percentile(results[search.key]['samples'], 0.5))} ms over "
            f"{len(outcomes)} runs (load average {os.getloadavg()[0]:.1f})")
    return results


def explain(search, base_factory, runner) -> list[tuple[str, str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every SQL statement one fast run executes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        runner(search, base_factory)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            probe = " LIMIT " in sql and "ORDER BY" not in sql  # deals.search: fuzzy or not
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or probe \
                    or "issuermembership" in sql:
                continue  # cheap: the membership lookup, the probe
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def query_count(search, base_factory, runner) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        runner(search, base_factory)
    return len(captured.captured_queries)


def fingerprint() -> str:
    """Short hashes of the code the searches run, as measured (the search layer changes)."""
    parts = []
    for name in ("deals/search.py", "deals/filters.py", "deals/views.py",
                 "deals/permissions.py"):
        digest = hashlib.sha256((ROOT / name).read_bytes()).hexdigest()[:12]
        parts.append(f"`{name}` {digest}")
    return ", ".join(parts)


# Report


def render(facts: dict) -> str:
    m, pg = facts["machine"], facts["postgres"]
    out = []
    add = out.append
    add("# Benchmarks: bulk load, deal search, indicators and market analytics on PostgreSQL\n")
    add(f"Generated by `make bench` (`python -m benchmarks.run --scale {facts['scale']}`) on "
        f"{facts['date']}. Every figure below comes from this one run; the code is in "
        "`benchmarks/`.\n")
    add("## Machine\n")
    add("| | |\n| --- | --- |")
    add(f"| CPU | {m['cpu']}, {m['cores']} cores (`nproc`) |")
    add(f"| memory | {m['memory']} |")
    add(f"| OS | {m['os']} |")
    add(f"| PostgreSQL | {pg['version']} (shared_buffers {pg['shared_buffers']}, work_mem "
        f"{pg['work_mem']}, effective_cache_size {pg['effective_cache_size']}, "
        f"max_parallel_workers_per_gather {pg['max_parallel_workers_per_gather']}, jit "
        f"{pg['jit']}, random_page_cost {pg['random_page_cost']}; server defaults, untuned) |")
    add(f"| Python / Django / psycopg | {m['python']} / {facts['django']} / "
        f"{facts['psycopg']} |")
    add(f"| database size after the load | {pg['database size']} |")
    add(f"| code measured (sha256) | {facts['fingerprint']} |")
    add("")
    add(f"## Data (scale {facts['scale']})\n")
    add("Synthetic and deterministic (`benchmarks/data.py`, seed "
        f"{facts['seed']}): issuers in {len(facts['cities'])} cities (CN, US, DE, GB, JP, KR, "
        "SG, FR), deals named like \"Shenzhen Pengcheng Lithium Battery Patent ABS 2023-1\", "
        "ten pooled assets per deal with titles from per-sector technology vocabularies, "
        "2-3 tranches, use-of-proceeds sentences, labels and SDG targets. A deal's pool comes "
        "from one sector and one city; a quarter of the deals are a financial intermediary's, "
        "pooling several local companies' assets (the beneficiaries).\n")
    add("| table | rows |\n| --- | ---: |")
    for key, (rows, _seconds) in facts["copy"].items():
        add(f"| {facts['tables'][key]} | {rows:,} |")
    add(f"| **total** | **{facts['copy_rows']:,}** |")
    add("")
    add("## Bulk load: COPY against per-row ORM saves\n")
    add(f"Generating the rows in Python took {facts['generate_seconds']:.1f} s (not counted "
        "below). COPY (psycopg 3 `cursor.copy()`, `write_row`) loads every table in order into "
        "the migrated schema, with its constraints, foreign keys and indexes in place "
        "(including the trigram GIN index on `search_primary`). The derived columns are "
        "computed while generating; `search_vector` is then set for all deals by one UPDATE "
        "(`deals.search.update_search_vectors`). The ORM baseline saves "
        f"{facts['orm_deals']:,} deals with their issuers, assets, tranches, pool entries and "
        "facet rows one `Model(...).save()` at a time (plain saves, not the services: no "
        "validation, audit or refresh; autocommit, so one transaction per row), in the same "
        "run and the same database, right after the bulk load; those rows are deleted "
        "afterwards.\n")
    add("| table | COPY rows | COPY s | COPY rows/s | ORM rows | ORM s | ORM rows/s | "
        "speed-up |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, (rows, seconds) in facts["copy"].items():
        orm_rows, orm_seconds = facts["orm"][key]
        copy_rate = rows / seconds if seconds else 0
        orm_rate = orm_rows / orm_seconds if orm_seconds else 0
        add(f"| {facts['tables'][key]} | {rows:,} | {seconds:.1f} | {copy_rate:,.0f} | "
            f"{orm_rows:,} | {orm_seconds:.1f} | {orm_rate:,.0f} | "
            f"{copy_rate / orm_rate if orm_rate else 0:,.0f}x |")
    copy_rate, orm_rate = facts["copy_rate"], facts["orm_rate"]
    add(f"| **all** | **{facts['copy_rows']:,}** | **{facts['copy_seconds']:.1f}** | "
        f"**{copy_rate:,.0f}** | **{facts['orm_rows']:,}** | **{facts['orm_seconds']:.1f}** | "
        f"**{orm_rate:,.0f}** | **{copy_rate / orm_rate:,.0f}x** |")
    add("")
    add(f"After the COPY: `search_vector` UPDATE of {facts['copy']['deals'][0]:,} deals "
        f"{facts['vector_seconds']:.1f} s; VACUUM ANALYZE {facts['vacuum_seconds']:.1f} s. "
        f"End to end (COPY + vector UPDATE + VACUUM ANALYZE): "
        f"{facts['copy_rows'] / facts['end_to_end_seconds']:,.0f} rows/s, "
        f"{facts['copy_rows'] / facts['end_to_end_seconds'] / orm_rate:,.0f}x the ORM's "
        "save-only rate.\n")
    check = facts["derivation_problems"]
    add(f"Derivation check: `deals.services.deal_refresh` run on {facts['derivation_sample']} "
        "sampled deals (then rolled back) would change "
        + ("nothing: the loaded search columns, vectors, senior terms and facet rows are "
           "exactly what the services derive.\n" if not check else
           f"{len(check)} values, e.g. {check[:3]}.\n"))
    add("## Search: ten investor searches, fast against naive\n")
    add("Each search is one page view's work, timed end to end in Python: the fast way is "
        "the /deals/ page's own code path (`DealFilterSet` over the investor's queryset "
        "`selectors.deal_list`, Django's `Paginator` for the first page of 25 (its COUNT, then "
        "the rows), then `deals.search.facet_counts` over the filtered queryset); the naive "
        "way is what Django's admin does with `search_fields` over the same text "
        "(`ModelAdmin.get_search_results`: each word an OR of `icontains` over name, "
        "originator, SPV, city, venue, pooled assets' owners and titles, use of proceeds; "
        "words AND-ed), the same facet conditions written the list_filter way, the admin's "
        "de-duplication (`Exists`), the model's default order, the same page size, and one "
        "GROUP BY query per facet for the counts. Both run over the same "
        f"{facts['visible']:,} deals an investor may see (issued, amortizing, matured, "
        "defaulted). Fast: "
        f"{facts['warmup']} warm-up runs, then {facts['reps']} timed runs per search (fewer, "
        f"at least 5, if they would take more than {facts['fast_budget']:.0f} s in all). "
        "Naive: as many timed runs (at least 2, at most "
        f"{facts['naive_reps']}) as fit {facts['naive_budget']:.0f} s in all, after one "
        f"warm-up run unless that run took more than {NAIVE_NO_WARMUP:.0f} s (then it is the "
        "first sample: the data is in memory by then). p50/p95 are nearest-rank percentiles "
        "in milliseconds, so with few runs p95 is the slowest run. Load average (1 min) "
        f"{facts['load_before'][0]:.1f} before the search timings and "
        f"{facts['load_after'][0]:.1f} after them, on {facts['machine']['cores']} cores: "
        "above the core count, other work shared the machine and widened the spread.\n")
    add("| # | search | matches | same deals both ways | fast p50 | fast p95 | queries | "
        "naive p50 | naive p95 | naive runs | speed-up (p50) |")
    add("| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for index, row in enumerate(facts["search_rows"], 1):
        agreement = row["agreement"]
        same = "yes" if agreement.identical else (
            f"no: +{agreement.only_fast} fast only ({agreement.only_fast_trigram} by the "
            f"trigram branch), +{agreement.only_naive} naive only")
        add(f"| {index} | {row['label']} | {row['count']:,} | {same} | {ms(row['fast_p50'])} | "
            f"{ms(row['fast_p95'])} | {row['queries']} | {ms(row['naive_p50'])} | "
            f"{ms(row['naive_p95'])} | {row['naive_runs']} | {row['speedup']:,.0f}x |")
    overall = facts["overall"]
    add(f"| | **all runs pooled** (fast: the same number of runs per search) | | | "
        f"**{ms(overall['fast_p50'])}** | **{ms(overall['fast_p95'])}** | | | | | |")
    add(f"| | **the ten searches one after the other** (sum of p50s) | | | "
        f"**{ms(overall['fast_sum'])}** | | | **{ms(overall['naive_sum'])}** | | | "
        f"**{overall['speedup']:,.0f}x** |")
    add("")
    add("Naive runs are not pooled: their number differs per search (2 to "
        f"{facts['naive_reps']}), so a pooled percentile would weigh the quick searches "
        "most. The geometric mean of the ten speed-ups is "
        f"{overall['geomean']:,.0f}x.")
    add("")
    add("Where the fast time goes (p50 ms of each part): \n")
    add("| # | search | filter set, COUNT | first page | facet counts |\n"
        "| ---: | --- | ---: | ---: | ---: |")
    for index, row in enumerate(facts["search_rows"], 1):
        add(f"| {index} | {row['label']} | {ms(row['parts']['count'])} | "
            f"{ms(row['parts']['page'])} | {ms(row['parts']['facets'])} |")
    add("")
    out.extend(indicators.report(facts["indicators"]))
    add("## Targets\n")
    for line in facts["verdicts"] + indicators.verdicts(facts["indicators"]):
        add(f"- {line}")
    add("")
    if facts.get("findings"):
        add("## Findings\n")
        for line in facts["findings"]:
            add(line)
        add("")
    if facts.get("plans"):
        add("## Query plans of the slowest fast searches\n")
        add("`EXPLAIN (ANALYZE, BUFFERS)` of each statement of one fast run (captured SQL "
            "re-run), trimmed.\n")
        for label, plans in facts["plans"]:
            add(f"### {label}\n")
            for sql, plan in plans:
                add("```")
                add(sql[:600] + (" ..." if len(sql) > 600 else ""))
                add("")
                lines = [line for line in plan.splitlines() if "Hash Key:" not in line]
                add("\n".join(lines[:40]) + ("\n..." if len(lines) > 40 else ""))
                add("```")
            add("")
    add("## Reproduce\n")
    add("```sh\nmake bench                          # full scale, about "
        f"{facts['minutes_hint']} minutes here\n"
        "make bench BENCH_ARGS=\"--scale 0.01\"  # quick run (its report goes to var/)\n```\n")
    add(f"Total run time: {facts['wall_seconds'] / 60:.1f} minutes.")
    return "\n".join(out) + "\n"


# Main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 100,000 deals and 1,000,000 pooled assets (default)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 DEFAULT_URL),
                        help="the benchmark's own database, created and dropped "
                             f"(default {DEFAULT_URL})")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reps", type=int, default=20, help="timed runs per fast search")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up runs per fast search")
    parser.add_argument("--fast-budget", type=float, default=240.0,
                        help="seconds for all timed fast runs together (at least 5 each)")
    parser.add_argument("--naive-reps", type=int, default=20,
                        help="at most this many timed runs per naive search")
    parser.add_argument("--naive-budget", type=float, default=360.0,
                        help="seconds for all timed naive runs together (at least 2 each)")
    parser.add_argument("--orm-deals", type=int, default=None,
                        help="deals saved one by one for the ORM baseline "
                             "(default 1,000, 200 below scale 0.1)")
    parser.add_argument("--sim-deals", type=int, default=indicators.SIM_DEALS,
                        help="deals timed for the simulation throughput")
    parser.add_argument("--recompute-sample", type=int, default=None,
                        help="deals whose risk and SDG snapshots are timed (default 2,000, 100 "
                             "below scale 0.1)")
    parser.add_argument("--filings", type=int, default=None,
                        help="synthetic ESG filings for the market snapshot (default 5,000 x "
                             "scale, at least 20)")
    parser.add_argument("--market-reps", type=int, default=20,
                        help="timed requests per filter, endpoint and page alike")
    parser.add_argument("--market-budget", type=float, default=120.0,
                        help="seconds for all timed market requests together (at least 5 each)")
    parser.add_argument("--load-only", action="store_true",
                        help="stop after the load and keep the database (for investigations)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", default=None,
                        help="report file (default docs/benchmarks.md at scale 1.0, else "
                             "var/benchmarks-scale-<scale>.md)")
    args = parser.parse_args(argv)
    wall_started = time.perf_counter()

    log(f"creating database {urlsplit(args.database_url).path.lstrip('/')}")
    database.create_database(args.database_url, "bench")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    if "numpy" in sys.modules:
        log("warning: NumPy is imported already; its thread settings may not apply")
    indicators.single_threaded()  # before NumPy is imported: the simulation runs on one core
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    try:
        return _run(args, wall_started)
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.load_only):
            database.drop_database(args.database_url, "bench")
            log("database dropped")


def _run(args, wall_started: float) -> int:
    import django
    import psycopg

    from benchmarks import data
    from benchmarks.searches import (
        SEARCHES,
        agreement,
        run_fast,
        run_naive,
    )
    from core.choices import Role
    from core.models import User
    from deals import selectors
    from deals.models import Benchmark, Deal, FxRate
    from deals.search import update_search_vectors
    from disclosure.models import Filing, FilingValue, Review

    log(f"migrating ({migrate():.1f} s)")
    n_deals, n_issuers = data.sizes(args.scale)
    bases = data.reserved_bases(n_deals, n_issuers)
    log(f"generating {n_deals:,} deals over {n_issuers:,} issuers")
    dataset = data.generate(n_deals, n_issuers, seed=args.seed, bases=bases)
    log(f"generated {dataset.total_rows:,} rows in {dataset.seconds:.1f} s; COPY")
    copy_timings = data.copy_load(dataset)
    for key, (rows, seconds) in copy_timings.items():
        log(f"  COPY {key}: {rows:,} rows in {seconds:.1f} s")
    copy_rows = sum(rows for rows, _ in copy_timings.values())
    copy_seconds = sum(seconds for _, seconds in copy_timings.values())
    deal_ids = dataset.deal_ids
    cities = {row[6] for row in dataset.tables["issuers"].rows}
    generate_seconds = dataset.seconds
    del dataset

    orm_deals = args.orm_deals or (1000 if args.scale >= 0.1 else 200)
    orm_dataset = data.generate(orm_deals, max(10, orm_deals // 5), seed=args.seed + 1,
                                ref_prefix="ORM-", serial_base=10**8)
    log(f"ORM baseline: saving {orm_dataset.total_rows:,} rows one by one")
    orm_timings, orm_ids = data.orm_load(orm_dataset)
    orm_rows = sum(rows for rows, _ in orm_timings.values())
    orm_seconds = sum(seconds for _, seconds in orm_timings.values())
    log(f"  ORM: {orm_rows:,} rows in {orm_seconds:.1f} s")
    data.delete_rows(orm_ids)

    started = time.perf_counter()
    update_search_vectors(Deal.objects.all())
    vector_seconds = time.perf_counter() - started
    log(f"search_vector UPDATE: {vector_seconds:.1f} s")
    vacuum_seconds = vacuum_analyze()
    log(f"VACUUM ANALYZE: {vacuum_seconds:.1f} s")
    sample = sorted(random.Random(args.seed).sample(deal_ids, min(50, len(deal_ids))))
    problems = check_derivation(sample)
    log(f"derivation check on {len(sample)} deals: {len(problems)} differences")

    investor = User.objects.create(username="bench-investor", role=Role.INVESTOR)
    if args.load_only:
        log("loaded; --load-only: stopping here")
        return 0

    def base_factory():
        # A fresh user per page view, as each request has (its memberships are looked up).
        return selectors.deal_list(user=copy.copy(investor))

    visible = base_factory().count()
    log("checking that both ways find the same deals")
    agreements = {search.key: agreement(search, base_factory()) for search in SEARCHES}
    for key, found in agreements.items():
        log(f"  {key}: fast {found.fast}, naive {found.naive}, identical {found.identical}")

    log("timing fast searches")
    load_before = os.getloadavg()
    fast = time_searches(run_fast, SEARCHES, base_factory, warmup=args.warmup, reps=args.reps,
                         budget=args.fast_budget, min_reps=5, label="fast")
    queries = {search.key: query_count(search, base_factory, run_fast) for search in SEARCHES}
    log("timing naive searches")
    naive = time_searches(run_naive, SEARCHES, base_factory, warmup=1, reps=args.naive_reps,
                          budget=args.naive_budget, min_reps=2, keep_slow_first=NAIVE_NO_WARMUP,
                          label="naive")
    load_after = os.getloadavg()

    rows = []
    for search in SEARCHES:
        f, n = fast[search.key], naive[search.key]
        rows.append({
            "key": search.key, "label": search.label(), "count": f["count"],
            "naive_count": n["count"], "agreement": agreements[search.key],
            "fast_p50": percentile(f["samples"], 0.5), "fast_p95": percentile(f["samples"], 0.95),
            "naive_p50": percentile(n["samples"], 0.5),
            "naive_p95": percentile(n["samples"], 0.95), "naive_runs": len(n["samples"]),
            "queries": queries[search.key],
            "parts": {part: percentile(values, 0.5) for part, values in f["parts"].items()},
        })
        rows[-1]["speedup"] = rows[-1]["naive_p50"] / rows[-1]["fast_p50"]
    all_fast = [s for r in fast.values() for s in r["samples"]]
    fast_sum = sum(row["fast_p50"] for row in rows)
    naive_sum = sum(row["naive_p50"] for row in rows)
    overall = {"fast_p50": percentile(all_fast, 0.5), "fast_p95": percentile(all_fast, 0.95),
               "fast_sum": fast_sum, "naive_sum": naive_sum, "speedup": naive_sum / fast_sum,
               "geomean": math.exp(sum(math.log(row["speedup"]) for row in rows) / len(rows))}

    slow = [row for row in rows if row["fast_p95"] * 1000 >= P95_TARGET_MS]
    slow_speed = [row for row in rows if row["speedup"] < SPEEDUP_TARGET]
    differing = [row for row in rows if not row["agreement"].identical]
    def verdict(ok: bool, text: str, failures: list[str] = ()) -> str:
        if ok:
            return f"{text}: **met**."
        return f"{text}: **not met**" + (f" ({', '.join(failures)})." if failures else ".")

    verdicts = [
        verdict(overall["fast_p95"] * 1000 < P95_TARGET_MS,
                f"p95 under {P95_TARGET_MS:.0f} ms, all searches pooled "
                f"({ms(overall['fast_p95'])} ms)"),
        verdict(not slow, f"p95 under {P95_TARGET_MS:.0f} ms for every search",
                [f"#{rows.index(r) + 1} {ms(r['fast_p95'])} ms" for r in slow]),
        verdict(overall["speedup"] >= SPEEDUP_TARGET,
                f"at least {SPEEDUP_TARGET:.0f}x faster than the naive way for the ten "
                f"searches as a whole, sum of p50s ({overall['speedup']:,.0f}x)"),
        verdict(not slow_speed, f"at least {SPEEDUP_TARGET:.0f}x faster for every search (p50)",
                [f"#{rows.index(r) + 1} {r['speedup']:,.1f}x" for r in slow_speed]),
        verdict(not differing, "the same deals found both ways, for all ten searches",
                [f"#{rows.index(r) + 1}" for r in differing]),
    ]

    plans = []
    explain_rows = sorted(rows, key=lambda r: r["fast_p95"], reverse=True)
    explain_rows = [r for r in explain_rows if r["fast_p95"] * 1000 >= P95_TARGET_MS] \
        or explain_rows[:1]
    by_key = {search.key: search for search in SEARCHES}
    for row in explain_rows[:2]:
        plans.append((f"#{rows.index(row) + 1} {row['label']}",
                      explain(by_key[row["key"]], base_factory, run_fast)))

    database = postgres_facts()  # the size after the load, before the indicators add rows
    log("indicators: simulation throughput")
    simulation = indicators.time_simulation(deals=args.sim_deals)
    log(f"  vectorized p50 {simulation['p50']:.3f} s per deal ({simulation['rate']:,.1f} "
        f"deals/s), loop {simulation['loop_deal']:,.1f} s per deal (extrapolated), "
        f"{simulation['speedup']:,.0f}x")
    log("indicators: reference data and synthetic filings")
    fx_rows, benchmark_rows = indicators.add_reference_data()
    filings = indicators.add_filings(args.filings or max(20, round(
        indicators.FILINGS_AT_FULL_SCALE * args.scale)), seed=args.seed)
    log(f"  {fx_rows} FX rates, {benchmark_rows} benchmarks, {filings['filings']:,} filings "
        f"with {filings['values']:,} answers")
    analyze([Benchmark, FxRate, Filing, FilingValue, Review])
    sample_size = args.recompute_sample or (2000 if args.scale >= 0.1 else 100)
    log(f"indicators: risk and SDG recompute of {sample_size:,} sampled deals")
    recompute = indicators.time_recompute(sample_size, seed=args.seed,
                                          workers=int(machine()["cores"]))
    log(f"  risk {recompute['rows']['risk']['mean'] * 1000:,.1f} ms per deal, SDG "
        f"{recompute['rows']['sdg_deal']['mean'] * 1000:,.1f} ms per deal; extrapolated "
        f"{recompute['risk_one'] / 60:,.1f} + {recompute['sdg_one'] / 60:,.1f} min on one worker")
    log("market: snapshot, endpoint and page")
    market = indicators.time_market(warmup=args.warmup, reps=args.market_reps,
                                    budget=args.market_budget, min_reps=5)

    wall = time.perf_counter() - wall_started
    end_to_end = copy_seconds + vector_seconds + vacuum_seconds
    facts = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scale": args.scale, "seed": args.seed, "machine": machine(),
        "postgres": database, "django": django.get_version(),
        "psycopg": psycopg.__version__, "cities": cities,
        "tables": {key: model._meta.db_table for key, model in data.MODELS},
        "copy": copy_timings, "copy_rows": copy_rows, "copy_seconds": copy_seconds,
        "copy_rate": copy_rows / copy_seconds, "generate_seconds": generate_seconds,
        "orm": orm_timings, "orm_rows": orm_rows, "orm_seconds": orm_seconds,
        "orm_rate": orm_rows / orm_seconds, "orm_deals": orm_deals,
        "vector_seconds": vector_seconds, "vacuum_seconds": vacuum_seconds,
        "end_to_end_seconds": end_to_end, "derivation_problems": problems,
        "derivation_sample": len(sample), "warmup": args.warmup, "reps": args.reps,
        "naive_reps": args.naive_reps, "naive_budget": args.naive_budget,
        "fast_budget": args.fast_budget, "visible": visible, "load_before": load_before,
        "load_after": load_after, "fingerprint": fingerprint(),
        "search_rows": rows, "overall": overall, "verdicts": verdicts, "plans": plans,
        "indicators": {"simulation": simulation, "recompute": recompute, "market": market,
                       "setup": {"fx": fx_rows, "benchmarks": benchmark_rows,
                                 "filings": filings}},
        "wall_seconds": wall, "minutes_hint": max(1, round(wall / 60)),
    }
    report = render(facts)
    print(report)
    output = Path(args.output) if args.output else (
        ROOT / "docs" / "benchmarks.md" if args.scale == 1.0
        else ROOT / "var" / f"benchmarks-scale-{args.scale:g}.md")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report + _kept_sections(output))
    log(f"report written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
