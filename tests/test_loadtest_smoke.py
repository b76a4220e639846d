"""The load test's machinery (`make loadtest`, loadtest/) at a tiny size: 2 issuers filing and
3 investors searching for 8 seconds against gunicorn, on a database of its own, then every
check of the real run (no error, no lost or duplicated submission, gapless accession numbers,
the ledger). About half a minute; PostgreSQL and Redis only."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
import pytest
import redis

from loadtest.run import SECTION, write_section
from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_SQLITE = not DATABASE_URL or environ.Env.db_url_config(DATABASE_URL)["ENGINE"].endswith(
    "sqlite3")
REDIS = os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379")


def _redis_answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.load
@pytest.mark.skipif(ON_SQLITE, reason="the load test runs on PostgreSQL (DATABASE_URL)")
def test_a_tiny_load_passes_every_check(tmp_path):
    require_or_skip(_redis_answers(REDIS), f"no Redis answers at {REDIS}")
    # The same server as the suite's, on a database of the load test's own.
    parts = urlsplit(DATABASE_URL)
    url = urlunsplit(parts._replace(path=f"/ipsec_loadtest_smoke_{os.getpid()}", query=""))
    report = tmp_path / "report.md"
    result = subprocess.run(
        [sys.executable, "-m", "loadtest.run", "--users-issuers", "2", "--users-investors", "3",
         "--seconds", "8", "--deals", "200", "--workers", "2", "--stop-timeout", "20",
         "--database-url", url, "--redis-url", REDIS, "--output", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = report.read_text()
    assert text.startswith(SECTION) and "**Every check passed.**" in text
    assert "FAILED" not in text
    for check in ("every submission the client saw succeed is stored exactly once",
                  "accession numbers gapless per issuer and year",
                  "`manage.py verify_ledger` prints OK: **passed**"):
        assert check in text


def test_the_report_replaces_only_its_own_section(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n## Search\n\nfast\n\n## Load test\n\nold figures\n\n"
                    "## Reproduce\n\nmake bench\n")
    write_section(path, f"{SECTION}\n\nnew figures\n")
    assert path.read_text() == ("# Benchmarks\n\n## Search\n\nfast\n\n## Load test\n\n"
                                "new figures\n\n## Reproduce\n\nmake bench\n")
    write_section(path, f"{SECTION}\n\nnewer figures\n")
    assert path.read_text().count(SECTION) == 1 and "newer figures" in path.read_text()

    fresh = tmp_path / "other.md"
    fresh.write_text("# Benchmarks\n\nTotal run time: 9.1 minutes.\n")
    write_section(fresh, f"{SECTION}\n\nfigures\n")
    assert fresh.read_text() == ("# Benchmarks\n\nTotal run time: 9.1 minutes.\n\n"
                                 "## Load test\n\nfigures\n")
