"""The transactional outbox behind every background recompute (core.jobs): one job per task
and key however many changes ask for it, none for a rolled-back change, and nothing lost while
the broker is down: the job waits in the database and goes when Redis answers again (a real
Redis server of the test's own, stopped and restarted)."""

import shutil
import socket
import subprocess
import time
from decimal import Decimal

import pytest
import redis
from django.db import transaction
from kombu import pools as kombu_pools

from config.celery import app
from core import jobs
from core.models import OutboxJob
from ipregistry import services
from ipregistry.tasks import recompute_valuation_dispersion
from tests.conftest import require_or_skip
from tests.factories import IPAssetFactory

pytestmark = pytest.mark.django_db


def test_many_changes_ask_for_one_job_per_key(issuer_a, django_capture_on_commit_callbacks,
                                              monkeypatch):
    asset = IPAssetFactory(owner=issuer_a)
    ran = []
    real = services.asset_refresh_dispersion
    monkeypatch.setattr(services, "asset_refresh_dispersion",
                        lambda *, asset_id: (ran.append(asset_id), real(asset_id=asset_id))[1])
    with django_capture_on_commit_callbacks(execute=True):
        for value in (100, 110, 120, 130, 140):
            services.valuation_create(actor=None, asset=asset, appraiser=f"A{value}",
                                      method="cost", value=Decimal(value), currency="CNY",
                                      valuation_date="2024-01-01")
        assert list(OutboxJob.objects.filter(task=recompute_valuation_dispersion.name)
                    .values_list("key", flat=True)) == [str(asset.pk)]
    assert ran == [asset.pk]
    assert jobs.pending() == 0


def test_a_rolled_back_change_leaves_no_job(issuer_a):
    asset = IPAssetFactory(owner=issuer_a)

    class Abort(Exception):
        pass

    before = OutboxJob.objects.count()
    with pytest.raises(Abort), transaction.atomic():
        jobs.after_commit(recompute_valuation_dispersion, asset.pk)
        raise Abort
    assert OutboxJob.objects.count() == before


def test_relay_runs_eager_jobs_and_empties_the_outbox(issuer_a,
                                                      django_capture_on_commit_callbacks):
    asset = IPAssetFactory(owner=issuer_a)
    with django_capture_on_commit_callbacks(execute=True):
        for value in (100, 150):
            services.valuation_create(actor=None, asset=asset, appraiser=f"A{value}",
                                      method="cost", value=Decimal(value), currency="CNY",
                                      valuation_date="2024-01-01")
    asset.refresh_from_db()
    assert asset.valuation_dispersion == Decimal("0.5")
    assert jobs.pending() == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A Redis server of the test's own, on a free port, that the test stops and starts."""

    def __init__(self, tmp_path):
        self.port, self.dir, self.process = _free_port(), tmp_path, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)], stdout=subprocess.DEVNULL)
        for _ in range(50):
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def queued(self) -> int:
        return redis.Redis.from_url(self.url).llen("celery")


def _reset_broker_connections():
    """Drop the app's pooled broker connections, so the next publish connects afresh."""
    kombu_pools.reset()  # closes and forgets every pooled connection
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_broker(tmp_path, monkeypatch):
    require_or_skip(shutil.which("redis-server") is not None, "no redis-server")
    # Celery reads the broker from this variable before its configuration.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    server = RedisServer(tmp_path)
    server.start()
    saved = (app.conf.broker_url, app.conf.task_always_eager,
             app.conf.broker_transport_options)
    app.conf.broker_url, app.conf.task_always_eager = server.url, False
    app.conf.broker_transport_options = {"max_retries": 0}
    _reset_broker_connections()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()
        app.conf.broker_url, app.conf.task_always_eager = saved[0], saved[1]
        app.conf.broker_transport_options = saved[2]
        _reset_broker_connections()


def test_jobs_wait_while_redis_is_down_and_go_when_it_returns(own_broker, issuer_a):
    asset = IPAssetFactory(owner=issuer_a)
    OutboxJob.objects.all().delete()  # what making the asset asked for
    own_broker.stop()
    jobs.after_commit(recompute_valuation_dispersion, asset.pk)
    started = time.monotonic()
    assert jobs.relay() == 0  # the broker refuses: the job stays
    assert time.monotonic() - started < 10
    job = OutboxJob.objects.get()
    assert job.attempts == 1 and job.last_error
    own_broker.start()
    _reset_broker_connections()
    assert jobs.relay() == 1
    assert jobs.pending() == 0
    assert own_broker.queued() == 1
