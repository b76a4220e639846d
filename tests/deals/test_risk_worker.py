"""Risk recomputes through real Celery workers on Redis (issue 5):

- a valuation change leads a worker (in this process) to a new risk snapshot;
- a worker process killed in the middle of the nightly recompute has the task delivered again
  to the next worker, which finishes it; the result is the same as an uninterrupted run
  (snapshots are idempotent: one per deal and set of inputs).
"""

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection

from core.models import RecomputeRun
from deals.models import RiskSnapshot
from tests.conftest import require_or_skip
from tests.deals.test_services import issued, make_deal
from tests.factories import IPAssetFactory, IssuerFactory, ValuationFactory
from tests.ipregistry.test_worker import _redis_answers, _wait_for, real_worker  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/14"  # a database of its own: this test empties it


def test_a_valuation_change_leads_the_worker_to_a_new_risk_snapshot(real_worker):  # noqa: F811
    issuer = IssuerFactory()
    asset = IPAssetFactory(owner=issuer)
    deal = issued(make_deal(issuer), asset)
    assert _wait_for(lambda: RiskSnapshot.objects.filter(deal=deal).exists())
    ValuationFactory(asset=asset, value=Decimal("1000"))
    ValuationFactory(asset=asset, value=Decimal("1500"))

    def dispersion_seen():
        latest = RiskSnapshot.objects.filter(deal=deal).order_by("-created_at", "-id").first()
        return latest is not None and latest.valuation_dispersion == pytest.approx(0.5)

    assert _wait_for(dispersion_seen, timeout=60)


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}")


def _worker(name: str) -> subprocess.Popen:
    # Redelivery after 4 s, swept for every second; slow enough deals; progress at every deal.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": BROKER,
           "CELERY_VISIBILITY_TIMEOUT": "4", "CELERY_UNACKED_RESTORE_INTERVAL": "1",
           "CELERY_UNACKED_RESTORE_THROTTLE": "1", "RISK_PATHS": "60000",
           "RECOMPUTE_PROGRESS_SECONDS": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--concurrency", "1", "-n", f"{name}@%h", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_killed_worker_has_its_task_delivered_again_with_the_same_result(monkeypatch):
    require_or_skip(_redis_answers(BROKER), f"no Redis answers at {BROKER}")
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery would prefer it to BROKER
    redis.Redis.from_url(BROKER).flushdb()
    issuer = IssuerFactory()
    deals = [issued(make_deal(issuer, name=f"Kill Test Patent ABS {n}",
                              projected_collections=[30] * 40), IPAssetFactory(owner=issuer))
             for n in range(8)]
    RiskSnapshot.objects.all().delete()  # those made (eagerly, here) as the deals were built
    run = RecomputeRun.objects.create(kind="risk", scope="all", trigger="button")
    sender = Celery(broker=BROKER)
    sender.send_task("deals.tasks.recompute_risk_all", args=[run.pk])

    first = _worker("first")
    try:
        def midway():
            run.refresh_from_db()
            return run.status == "running" and 0 < run.done < run.total
        assert _wait_for(midway, timeout=90), (run.status, run.done, run.total)
        first.send_signal(signal.SIGKILL)  # no goodbye, no acknowledgement
        first.wait(timeout=10)
        run.refresh_from_db()
        assert run.status == "running" and run.done < run.total
        done_before = RiskSnapshot.objects.count()
        assert 0 < done_before < len(deals)
    finally:
        _stop(first)

    second = _worker("second")
    try:
        def finished():
            run.refresh_from_db()
            return run.status == "succeeded"
        assert _wait_for(finished, timeout=180), (run.status, run.done, run.errors)
    finally:
        _stop(second)
        stderr = second.stderr.read().decode() if second.stderr else ""
    assert run.done == run.total == len(deals), stderr[-2000:]
    # The deals done before the kill were found done (same inputs): one snapshot per deal, all
    # of this run, no duplicate.
    assert run.counts == {"snapshots": len(deals)}
    assert RiskSnapshot.objects.filter(run=run).count() == len(deals)
    assert sorted(RiskSnapshot.objects.values_list("deal_id", flat=True)) == \
        sorted(deal.pk for deal in deals)
