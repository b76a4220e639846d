"""`make loadtest`: issuers submitting filings and investors searching, at once, against
gunicorn under the production settings on PostgreSQL, on this machine only.

    python -m loadtest.run                        # 50 issuers, 200 investors, 60 s
    python -m loadtest.run --users-issuers 2 --users-investors 3 --seconds 8   # a smoke run

Steps: create the load test's own database (its name must contain "loadtest"; dropped at the
end unless --keep) and take two empty Redis databases (the Celery broker, the cache the rate
limits count in; emptied at the end); migrate; load the templates and prepare the data
(loadtest/prepare.py); collect the static files; start gunicorn (`config.wsgi`) on a free port
of 127.0.0.1 with `config.settings.production`, given only environment variables; run locust
headless (loadtest/locustfile.py) for the given time, every user then finishing the iteration
it is in; stop gunicorn; check the database (loadtest/checks.py) and the ledger
(`manage.py verify_ledger`); print the report and write it as the "Load test" section of
docs/benchmarks.md (at the default size; var/loadtest.md otherwise), leaving the rest of that
file as it is. Exits 1 when a check fails.

Traffic goes to 127.0.0.1 only, for a bounded time; every process started here is stopped
here.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import importlib.metadata
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchmarks import database
from benchmarks.run import log, machine, percentile
from loadtest import names

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ipsec_loadtest"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
DEFAULT_SIZE = {"users_issuers": 50, "users_investors": 200, "seconds": 60}
SECTION = "## Load test"
# The API's rate limits while the load runs: every request comes from one address (and half
# the investors share one account), which the production limits are there to stop. Per
# second, so that each counter keeps one second of timestamps, not a minute's.
RATE_LIMIT = "100000/s"
REDIS_MARK = "ipsec-loadtest:owner"
REDIS_CANDIDATES = (13, 12, 11, 10, 9, 8)  # not 0, 1 (the README's), 14, 15 (the tests')


def cores() -> int:
    return int(machine()["cores"] or os.cpu_count() or 1)


# The database and Redis




def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("", "localhost", "::1") or host.startswith("127.")


def _with_conn_max_age(url: str, seconds: int) -> str:
    """The URL with django-environ's conn_max_age (and health checks) in its query."""
    if not seconds:
        return url
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, f"conn_max_age={seconds}",
                                   "conn_health_checks=true"]))
    return urlunsplit(parts._replace(query=query))








def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_redis(base: str, count: int = 2) -> list[int]:
    """Take `count` Redis databases that are empty (or left by a load test whose process is
    gone), marking each as this process's."""
    import redis

    claimed = []
    for number in REDIS_CANDIDATES:
        client = redis.Redis.from_url(f"{base}/{number}")
        owner = client.get(REDIS_MARK)
        if owner is not None and not _pid_alive(int(owner)):
            client.flushdb()
        if client.dbsize() == 0 and client.set(REDIS_MARK, os.getpid(), nx=True):
            claimed.append(number)
            if len(claimed) == count:
                return claimed
    for number in claimed:
        redis.Redis.from_url(f"{base}/{number}").flushdb()
    raise SystemExit(f"No {count} empty Redis databases at {base} among {REDIS_CANDIDATES}.")


def release_redis(base: str, numbers: list[int]) -> None:
    import redis

    for number in numbers:
        client = redis.Redis.from_url(f"{base}/{number}")
        if client.get(REDIS_MARK) == str(os.getpid()).encode():
            client.flushdb()


# Processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


KEEP_ALIVE = 20  # seconds (gthread): longer than any client's pause between two requests
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"  # method, path, status, microseconds in the worker


def start_gunicorn(*, port: int, workers: int, threads: int, worker_class: str,
                   environment: dict, logfile: Path, access_log: Path) -> subprocess.Popen:
    # gthread keeps connections open: its keep-alive outlasts the clients' pauses, for with
    # gunicorn's 2 s a client that paused longer may send its next request on a connection
    # the server is closing, which it may not send again for a POST (not idempotent): a
    # failure of the test, not of the site. A sync worker closes every connection.
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", worker_class, "--threads", str(threads),
               "--keep-alive", str(KEEP_ALIVE), "--timeout", "120",
               "--graceful-timeout", "30", "--backlog", "2048",
               "--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT,
               "--error-logfile", "-", "--log-level", "warning"]
    with logfile.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_serving(server: subprocess.Popen, url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen | None, *, grace: float = 40.0) -> None:
    """SIGTERM (gunicorn: finish the requests in hand), then SIGKILL after `grace` seconds;
    only this process and the group it leads (started with start_new_session)."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def collect_static(environment: dict) -> None:
    """`manage.py collectstatic` into the run's own STATIC_ROOT, as a production install does
    it: without brotli, which comes with
    locust (requirements-dev.txt) and not with requirements.txt, and with which whitenoise's
    compression of the API docs' bundles takes ten times as long."""
    code = ("import sys; sys.modules['brotli'] = None; "
            "from django.core.management import execute_from_command_line; "
            "execute_from_command_line(['manage.py', 'collectstatic', '--noinput', "
            "'--verbosity', '0'])")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, check=True,
                   timeout=600)


def warm_up(host: str, requests: int) -> None:
    """A few requests of each kind before the load, so that it meets workers that have
    loaded their code (URLconf, templates) rather than a cold start; not counted."""
    from concurrent.futures import ThreadPoolExecutor

    paths = ["/api/v1/deals/?q=patent&country=CN", "/deals/?q=solar&country=CN",
             "/api/v1/templates/"]

    def fetch(index: int) -> None:
        with contextlib.suppress(urllib.error.URLError, OSError), \
                urllib.request.urlopen(host + paths[index % len(paths)], timeout=60) as reply:
            reply.read()

    with ThreadPoolExecutor(max_workers=max(1, requests // 3)) as pool:
        list(pool.map(fetch, range(requests)))


def children_cpu() -> float:
    """CPU-seconds of this process's children (and theirs) that have ended and been waited
    for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def busy_fraction(seconds: float) -> float | None:
    """How busy the cores are over the next `seconds` (0 to 1)."""
    busy, total = cpu_busy()
    time.sleep(seconds)
    busy_after, total_after = cpu_busy()
    return (busy_after - busy) / (total_after - total) if total_after > total else None


def cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores so far (/proc/stat)."""
    try:
        fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


# The run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users-issuers", type=int, default=DEFAULT_SIZE["users_issuers"],
                        help="issuers filing at once, each its own issuer (default 50)")
    parser.add_argument("--users-investors", type=int, default=DEFAULT_SIZE["users_investors"],
                        help="investors searching at once (default 200)")
    parser.add_argument("--seconds", type=int, default=DEFAULT_SIZE["seconds"],
                        help="how long the load runs (default 60)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default 2 x cores + 1)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                        help="gunicorn's worker class (default sync: on this 2-core machine "
                             "it served more than gthread)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker (gthread only; default 1)")
    parser.add_argument("--conn-max-age", type=int, default=60,
                        help="seconds a worker keeps its database connection (DATABASE_URL's "
                             "conn_max_age; 0: a new connection per request; default 60)")
    parser.add_argument("--spawn-rate", type=float, default=50.0,
                        help="users started per second (default 50)")
    parser.add_argument("--stop-timeout", type=int, default=30,
                        help="seconds the users get to finish their iteration at the end")
    parser.add_argument("--issuer-wait", default="1,3",
                        help="seconds an issuer waits between filings, min,max (default 1,3)")
    parser.add_argument("--investor-wait", default="2,6",
                        help="seconds an investor waits between searches (default 2,6)")
    parser.add_argument("--deals", type=int, default=3000,
                        help="deals of the synthetic market to search (default 3,000)")
    parser.add_argument("--database-url", default=os.environ.get("LOADTEST_DATABASE_URL",
                                                                 DEFAULT_URL),
                        help=f"the load test's own database, created and dropped "
                             f"(default {DEFAULT_URL})")
    parser.add_argument("--redis-url", default=os.environ.get("LOADTEST_REDIS_URL",
                                                              DEFAULT_REDIS),
                        help=f"the Redis server, without a database (default {DEFAULT_REDIS})")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and the run's files (locust CSV, logs)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", default=None,
                        help="the Markdown file whose 'Load test' section is written "
                             "(default docs/benchmarks.md at the default size, else "
                             "var/loadtest.md)")
    args = parser.parse_args(argv)
    if min(args.users_issuers, args.users_investors, args.seconds) < 1:
        parser.error("at least one issuer, one investor and one second")
    args.workers = args.workers or 2 * cores() + 1
    if args.worker_class == "sync":
        args.threads = 1
    # Refuse a wrong database name, or a server off this machine, before anything is touched.
    database.maintenance_url(args.database_url, "loadtest")
    for url in (args.database_url, args.redis_url):
        if not _loopback(url):
            raise SystemExit(f"Refusing {url}: the load test runs on this machine only "
                             "(127.0.0.1, localhost, ::1 or a Unix socket).")
    started = time.perf_counter()

    redis_dbs = claim_redis(args.redis_url)
    workdir = Path(tempfile.mkdtemp(prefix="ipsec-loadtest-"))
    server_env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),  # throwaway, for this run only
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback: no TLS proxy in front to redirect to.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": _with_conn_max_age(args.database_url, args.conn_max_age),
        "CELERY_BROKER_URL": f"{args.redis_url}/{redis_dbs[0]}",
        "CACHE_URL": f"{args.redis_url}/{redis_dbs[1]}",
        "API_THROTTLE_ANON": RATE_LIMIT,
        "API_THROTTLE_USER": RATE_LIMIT,
        "API_THROTTLE_TOKEN": RATE_LIMIT,
        # Static files collected for this run only, never into the checkout's var/.
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
    }
    os.environ.update(server_env)  # this process prepares and checks the data the same way
    environment = {**os.environ, **server_env}
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    processes: dict[str, subprocess.Popen] = {}
    try:
        log(f"creating database {urlsplit(args.database_url).path.lstrip('/')}; files in "
            f"{workdir}")
        database.create_database(args.database_url, "loadtest")
        return _run(args, environment, workdir, redis_dbs, started, processes)
    finally:
        for process in processes.values():
            stop_process(process)
        from django.db import connections

        connections.close_all()
        release_redis(args.redis_url, redis_dbs)
        if args.keep:
            log(f"kept: database {urlsplit(args.database_url).path.lstrip('/')}, files in "
                f"{workdir}")
        else:
            database.drop_database(args.database_url, "loadtest")
            shutil.rmtree(workdir, ignore_errors=True)
            log("database dropped")


def _run(args, environment: dict, workdir: Path, redis_dbs: list[int], started: float,
         processes: dict) -> int:
    from django.core.management import call_command
    from django.db import connection, connections

    from loadtest import checks, prepare

    step = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated ({time.perf_counter() - step:.1f} s)")
    step = time.perf_counter()
    setup = prepare.prepare(issuers=args.users_issuers, deals=args.deals, seed=args.seed)
    from django.contrib.auth.models import AnonymousUser

    from deals.selectors import deal_list

    visible = deal_list(user=AnonymousUser()).count()
    log(f"prepared {args.users_issuers} filers, {args.deals:,} deals ({visible:,} public) "
        f"({time.perf_counter() - step:.1f} s)")
    step = time.perf_counter()
    collect_static(environment)
    log(f"static files collected ({time.perf_counter() - step:.1f} s)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    connections.close_all()
    setup_file = workdir / "setup.json"
    setup_file.write_text(json.dumps(setup))

    port = free_port()
    host = f"http://127.0.0.1:{port}"
    environment = {**environment, "SITE_URL": host}
    server_log = workdir / "gunicorn.log"
    access_log = workdir / "access.log"
    server = start_gunicorn(port=port, workers=args.workers, threads=args.threads,
                            worker_class=args.worker_class, environment=environment,
                            logfile=server_log, access_log=access_log)
    processes["gunicorn"] = server
    wait_until_serving(server, f"{host}/api/v1/templates/")
    warm_up(host, 3 * args.workers * args.threads)
    log(f"gunicorn serving on {host}: {_server_text(args)}, warmed up with "
        f"{3 * args.workers * args.threads} requests")

    users = args.users_issuers + args.users_investors
    locust_env = {**environment, "PYTHONPATH": str(ROOT), "LOADTEST_SETUP": str(setup_file),
                  "LOADTEST_OUT": str(workdir), "LOADTEST_ISSUERS": str(args.users_issuers),
                  "LOADTEST_INVESTORS": str(args.users_investors),
                  "LOADTEST_ISSUER_WAIT": args.issuer_wait,
                  "LOADTEST_INVESTOR_WAIT": args.investor_wait}
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"),
               "--headless", "-u", str(users), "-r", f"{args.spawn_rate:g}",
               "-t", f"{args.seconds}s", "--stop-timeout", str(args.stop_timeout),
               "--host", host, "--csv", str(workdir / "locust"), "--only-summary",
               "--loglevel", "WARNING"]
    log(f"locust: {args.users_issuers} issuers + {args.users_investors} investors for "
        f"{args.seconds} s")
    locust_log = workdir / "locust.log"
    idle_check = busy_fraction(3.0)  # other work on the machine, before the load
    access_offset = access_log.stat().st_size if access_log.exists() else 0  # the warm-up
    busy_before, total_before = cpu_busy()
    children_before = children_cpu()
    with locust_log.open("wb") as out:
        locust = processes["locust"] = subprocess.Popen(
            command, cwd=ROOT, env=locust_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            locust_exit = locust.wait(timeout=args.seconds + args.stop_timeout + 120)
        except subprocess.TimeoutExpired:
            stop_process(locust, grace=10)
            locust_exit = None
            log("locust did not stop in time and was killed")
    children_after = children_cpu()
    busy_after, total_after = cpu_busy()
    stop_process(server)
    gunicorn_cpu = children_cpu() - children_after  # its workers, reaped by now
    log(f"locust exited {locust_exit}; gunicorn stopped ({server.returncode})")

    # What the client saw
    samples_file = workdir / "samples.json"
    recorded = json.loads(samples_file.read_text()) if samples_file.exists() else {
        "samples": [], "cpu_warnings": []}
    samples = recorded["samples"]
    records = [json.loads(line) for line in (workdir / "submissions.jsonl").read_text()
               .splitlines()] if (workdir / "submissions.jsonl").exists() else []
    submitted = [item for item in records if item["kind"] == "submitted"]
    opened = [item for item in records if item["kind"] == "opened"]
    exhausted = sum(1 for item in records if item["kind"] == "exhausted")
    user_errors = _csv_rows(workdir / "locust_exceptions.csv", "Count", "Message")
    failure_messages = _csv_rows(workdir / "locust_failures.csv", "Occurrences", "Name",
                                 "Error")
    failures = sum(1 for sample in samples if not sample[2])
    expected = list(names.ALL)
    counts = {name: sum(1 for sample in samples if sample[0] == name) for name in expected}

    server = server_times(access_log, access_offset)

    results = checks.client_checks(failures=failures, failure_messages=failure_messages,
                                   locust_exit=locust_exit, user_errors=user_errors,
                                   counts=counts,
                                   expected_names=expected, exhausted=exhausted)
    results.append(checks.server_check(sent=len(samples), answered=server["answered"],
                                       errors=server["errors"], unknown=server["unknown"]))
    issuer_ids = [filer["issuer_id"] for filer in setup["issuers"]]
    results += checks.database_checks(submitted=submitted, opened=opened,
                                      issuer_ids=issuer_ids)
    connections.close_all()
    results.append(checks.ledger_check(environment))

    facts = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "args": args, "machine": machine(), "postgres": postgres,
        "versions": {name: importlib.metadata.version(name)
                     for name in ("Django", "gunicorn", "locust", "psycopg")},
        "setup": setup, "visible": visible, "redis_dbs": redis_dbs,
        "samples": samples, "server": server["times"], "submitted": submitted,
        "server_errors": server_errors(server_log),
        "checks": results,
        "cpu": ((busy_after - busy_before) / (total_after - total_before)
                if total_after > total_before else None),
        "busy_before": idle_check, "locust_cpu": children_after - children_before,
        "gunicorn_cpu": gunicorn_cpu,
        "cpu_warnings": recorded["cpu_warnings"], "names": expected,
        "wall_seconds": time.perf_counter() - started,
    }
    report = render(facts)
    print(report)
    full = all(getattr(args, key) == value for key, value in DEFAULT_SIZE.items())
    output = Path(args.output) if args.output else (
        ROOT / "docs" / "benchmarks.md" if full else ROOT / "var" / "loadtest.md")
    write_section(output, report)
    log(f"report written to {output} (section '{SECTION}')")
    failed = [check for check in results if not check.ok]
    for check in failed:
        log(f"FAILED: {check.name}: {check.detail}")
    if failed:
        for path in (locust_log, server_log):
            tail = path.read_text(errors="replace").splitlines()[-30:] if path.exists() else []
            log(f"last lines of {path.name}:\n" + "\n".join(tail))
    return 1 if failed else 0


SERVER_ROUTES = [(name, method, re.compile(pattern)) for name, method, pattern in (
    (names.TOKEN, "POST", r"^/api/v1/auth/token/$"),
    (names.OPEN, "POST", r"^/api/v1/filings/$"),
    (names.ANSWERS, "POST", r"^/api/v1/filings/\d+/answers/$"),
    (names.SUBMIT, "POST", r"^/api/v1/filings/\d+/submit/$"),
    (names.API_SEARCH, "GET", r"^/api/v1/deals/$"),
    (names.PAGE_SEARCH, "GET", r"^/deals/$"),
)]


def server_times(path: Path, offset: int) -> dict:
    """From gunicorn's access log, past `offset` (the warm-up): each request kind's times in
    the worker (ms, without the wait for a free worker), how many requests were answered,
    those answered with an error status (>= 400), and lines of no known kind."""
    times: dict[str, list[float]] = {name: [] for name, _method, _pattern in SERVER_ROUTES}
    answered, errors, unknown = 0, [], []
    if path.exists():
        with path.open("rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode(errors="replace").splitlines()
        for line in lines:
            parts = line.split()
            if len(parts) != 4:
                continue
            method, url, status, micros = parts
            answered += 1
            if not status.isdigit() or int(status) >= 400:
                errors.append(f"{status} {method} {url}")
            for name, expected, pattern in SERVER_ROUTES:
                if method == expected and pattern.match(url):
                    times[name].append(int(micros) / 1000)
                    break
            else:
                unknown.append(f"{method} {url}")
    return {"times": times, "answered": answered, "errors": errors, "unknown": unknown}


def server_errors(path: Path) -> list[tuple[str, int]]:
    """The exceptions in gunicorn's error log (the last line of each traceback), counted."""
    if not path.exists():
        return []
    pattern = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$")
    counts: dict[str, int] = {}
    for line in path.read_text(errors="replace").splitlines():
        if match := pattern.match(line):
            key = f"{match[1]}: {match[2][:160]}"
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])


def _csv_rows(path: Path, count: str, *columns: str) -> list[str]:
    """Rows of one of locust's CSV reports as "<count>x <columns>": its failures (requests
    that failed) or its exceptions (errors raised in the users' own code, which are not
    request failures)."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [f"{row.get(count, '?')}x " + ": ".join(row.get(column, "") for column in columns)
                for row in csv.DictReader(handle)]


# The report


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def latency_rows(samples: list, server: dict[str, list[float]],
                 kinds: list[str]) -> tuple[list[dict], float]:
    """One row per request kind, then pooled rows; and the run's duration in seconds (first
    request sent to last reply)."""
    if not samples:
        return [], 0.0
    first = min(sample[3] for sample in samples)
    last = max(sample[3] + sample[1] / 1000 for sample in samples)
    duration = max(last - first, 1e-9)

    def row(label: str, chosen_kinds: set) -> dict:
        chosen = [sample for sample in samples if sample[0] in chosen_kinds]
        times = [sample[1] for sample in chosen]
        inside = [value for kind in chosen_kinds for value in server.get(kind, [])]
        return {"label": label, "count": len(chosen),
                "failures": sum(1 for sample in chosen if not sample[2]),
                "p50": percentile(times, 0.5) if times else 0.0,
                "p95": percentile(times, 0.95) if times else 0.0,
                "max": max(times) if times else 0.0, "rps": len(chosen) / duration,
                "server_p50": percentile(inside, 0.5) if inside else 0.0,
                "server_p95": percentile(inside, 0.95) if inside else 0.0}

    rows = [row(f"`{name}`", {name}) for name in kinds]
    rows.append(row("**issuers' requests, pooled**", set(names.ISSUER_REQUESTS)))
    rows.append(row("**investors' searches, pooled**", set(names.INVESTOR_REQUESTS)))
    rows.append(row("**all requests, pooled**", set(kinds)))
    return rows, duration


def _server_text(args) -> str:
    if args.worker_class == "sync":
        return f"{args.workers} sync workers"
    return (f"{args.workers} gthread workers x {args.threads} threads, keep-alive "
            f"{KEEP_ALIVE} s (longer than the clients' pauses)")


def render(facts: dict) -> str:
    args, m, setup = facts["args"], facts["machine"], facts["setup"]
    versions = facts["versions"]
    rows, duration = latency_rows(facts["samples"], facts["server"], facts["names"])
    passed = all(check.ok for check in facts["checks"])
    out = []
    add = out.append
    command = (f"python -m loadtest.run --users-issuers {args.users_issuers} --users-investors "
               f"{args.users_investors} --seconds {args.seconds} --workers {args.workers} "
               f"--worker-class {args.worker_class}"
               + (f" --threads {args.threads}" if args.worker_class != "sync" else ""))
    add(f"{SECTION}\n")
    add(f"Generated by `make loadtest` (`{command}`) on {facts['date']}; the code is in "
        "`loadtest/`. " + ("**Every check passed.**" if passed else "**Some checks FAILED.**")
        + "\n")
    cpu, before = facts["cpu"], facts["busy_before"]
    add(f"Machine: {m['cpu']}, {m['cores']} cores (`nproc`), {m['memory']}, {m['os']}; "
        f"PostgreSQL {facts['postgres']} (server defaults); Python {m['python']}, Django "
        f"{versions['Django']}, gunicorn {versions['gunicorn']}, locust {versions['locust']}, "
        f"psycopg {versions['psycopg']}. The server, PostgreSQL, Redis and locust share these "
        "cores" + (f": they were {cpu * 100:.0f} % busy during the load; gunicorn's workers "
                   f"used {facts['gunicorn_cpu']:.0f} CPU-seconds (their start and the "
                   f"warm-up included), locust {facts['locust_cpu']:.0f}"
                   if cpu is not None else "")
        + (f" (locust warned {len(facts['cpu_warnings'])} times that its own CPU use was "
           "above 90 %)" if facts["cpu_warnings"] else "") + ". "
        + (f"Before the load the cores were {before * 100:.0f} % busy"
           + (": other work was running on the machine, and took its share during the load."
              if before > 0.25 else " (an otherwise idle machine).")
           if before is not None else "") + "\n")
    rows_loaded = setup["deals"]["rows"]
    database = urlsplit(args.database_url).path.lstrip("/")
    add(f"Setup: a database of its own (`{database}`, "
        + ("kept" if args.keep else "dropped afterwards") + "), migrated, the "
        "disclosure templates loaded; the benchmark's synthetic market at a small scale "
        f"(`benchmarks/data.py`, COPY): {rows_loaded['deals']:,} deals over "
        f"{rows_loaded['issuers']:,} issuers with {rows_loaded['assets']:,} pooled assets, "
        f"{facts['visible']:,} of them public (issued, amortizing, matured, defaulted); "
        f"{args.users_issuers} filers registered through the services, each with one approver "
        "(a password made for the run); one investor with an API token. Server: gunicorn "
        f"(`config.wsgi`) on a free port of 127.0.0.1, {_server_text(args)}, "
        "`config.settings.production` as it is, given only environment variables: a "
        "throwaway `DJANGO_SECRET_KEY`, `DJANGO_ALLOWED_HOSTS=127.0.0.1`, "
        "`DJANGO_SECURE_SSL_REDIRECT=false` (plain HTTP on the loopback, no TLS proxy in "
        "front), `DATABASE_URL` "
        + (f"with `conn_max_age={args.conn_max_age}&conn_health_checks=true` (each worker, or "
           "each thread with gthread, keeps its database connection instead of opening one "
           "per request)"
           if args.conn_max_age else "(a new database connection per request)")
        + ", `CELERY_BROKER_URL` and `CACHE_URL` on Redis databases of "
        f"the run's own ({facts['redis_dbs'][0]} and {facts['redis_dbs'][1]}: the outbox's "
        "jobs queued there for a worker that is not started, the rate limits counted there by "
        f"all workers), and the API rate limits raised to `{RATE_LIMIT}` "
        "(`API_THROTTLE_ANON`, `API_THROTTLE_USER`, `API_THROTTLE_TOKEN`): all the traffic "
        "comes from one address and half the investors share one account, so the production "
        "limits (120 anonymous calls a minute per address, 10 token logins) would refuse most "
        "of it; per second, so each counter keeps a second of timestamps rather than a "
        "minute's. Static files collected into a `DJANGO_STATIC_ROOT` of the run's own and "
        "served by whitenoise.\n")
    issuer_wait = args.issuer_wait.replace(",", "-")
    investor_wait = args.investor_wait.replace(",", "-")
    add(f"Load: locust, headless, {args.users_issuers + args.users_investors} users started "
        f"{args.spawn_rate:g} a second, for {args.seconds} s, then up to {args.stop_timeout} s "
        f"for each to finish the iteration it was in, after a warm-up of "
        f"{3 * args.workers * args.threads} requests (not counted). {args.users_issuers} "
        "issuers, each with its own filer: an API token once, then over and over: open the "
        f"issuer's `{setup['template']}` filing for the next period (2001, 2002, ...), post its "
        f"{len(setup['answers'])} answers (the suite's complete set), submit; {issuer_wait} s "
        f"between filings. {args.users_investors} investors: a text query (words of the "
        "market's vocabularies: cities, sectors, kinds of IP, technologies), `country=CN` "
        "seven times in ten and one more facet every other time, through the API (half of "
        f"them with the investor's token, half anonymous) or the `/deals/` page; "
        f"{investor_wait} s between searches.\n")
    add("| request | requests | failures | p50 ms | p95 ms | max ms | req/s | in the worker: "
        "p50 ms | p95 ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        add(f"| {row['label']} | {row['count']:,} | {row['failures']:,} | {_ms(row['p50'])} | "
            f"{_ms(row['p95'])} | {_ms(row['max'])} | {row['rps']:,.1f} | "
            f"{_ms(row['server_p50'])} | {_ms(row['server_p95'])} |")
    add("")
    add("p50, p95 and max are locust's times, from sending a request to the end of its reply, "
        "waiting for a free worker included; \"in the worker\" is the time gunicorn logged for "
        "the same requests from the moment a worker took each (its access log's `%(D)s`). "
        "Percentiles are nearest-rank over every request of the run; requests per second "
        f"over the run's {duration:,.1f} s (first request sent to last reply)."
        + (" Most of a request's time went in waiting for a free worker: the cores were "
           f"saturated ({facts['cpu'] * 100:.0f} % busy), so these latencies measure the queue "
           "that the offered load builds up on this machine more than the work of a request "
           "(which, on cores shared by every process, also includes waiting for a CPU)."
           if rows and facts["cpu"] and facts["cpu"] > 0.9
           and rows[-1]["p50"] > 3 * rows[-1]["server_p50"] else "") + "\n")
    submitted = facts["submitted"]
    per_issuer = {}
    for item in submitted:
        per_issuer[item["issuer_id"]] = per_issuer.get(item["issuer_id"], 0) + 1
    spread = sorted(per_issuer.values())
    numbers = sorted(item["accession_number"] for item in submitted)
    if submitted:
        add(f"Filings: {len(submitted):,} submitted by {len(per_issuer)} issuers "
            f"({spread[0]} to {spread[-1]} each, median {spread[len(spread) // 2]}), "
            f"accession numbers such as {numbers[0]} and {numbers[-1]}.\n")
    if facts["server_errors"]:
        add("Errors in gunicorn's log: " + "; ".join(
            f"{count} x `{error}`" for error, count in facts["server_errors"][:5]) + ".\n")
    add("Checks, on the database after gunicorn stopped:\n")
    for check in facts["checks"]:
        detail = " ".join(check.detail.split())
        add(f"- {check.name}: **{'passed' if check.ok else 'FAILED'}** ({detail}).")
    add("")
    add(f"Total run time: {facts['wall_seconds'] / 60:.1f} minutes (database, data, server, "
        "load, checks).")
    return "\n".join(out) + "\n"


def write_section(path: Path, section: str) -> None:
    """Put `section` (starting with SECTION) in the file: in place of a section of that title,
    up to the next second-level heading, or appended; the rest of the file is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else ""
    pattern = re.compile(rf"^{re.escape(SECTION)}[ \t]*\n.*?(?=^## |\Z)", re.S | re.M)
    block = section.rstrip("\n") + "\n"
    if pattern.search(text):
        following = pattern.search(text)
        rest = text[following.end():]
        text = text[:following.start()] + block + ("\n" + rest if rest else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
