"""The dispersion task runs through a real Celery worker consuming from Redis."""

import time
from decimal import Decimal

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import OperationalError, connections, transaction

from config.celery import app
from ipregistry import services
from ipregistry.models import IPAsset
from tests.conftest import require_or_skip
from tests.factories import IPAssetFactory, ValuationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

def _redis_answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def real_worker():
    url = app.conf.broker_url  # the test settings' own Redis database
    require_or_skip(_redis_answers(url), f"no Redis answers at {url}")
    redis.Redis.from_url(url).delete("celery")
    app.conf.task_always_eager = False
    # The worker thread opens its own database connection; close it after each task, or
    # PostgreSQL refuses to drop the test database at the end of the run.
    task_postrun.connect(_close_worker_connections)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield url
    finally:
        task_postrun.disconnect(_close_worker_connections)
        app.conf.task_always_eager = True


def _close_worker_connections(**kwargs):
    connections.close_all()


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError:
            # SQLite's shared in-memory test database locks a table while the worker writes.
            pass
        time.sleep(0.1)
    return False


def test_valuation_changes_are_recomputed_by_the_worker(real_worker):
    """Adding, changing and removing valuations each lead the worker to a new dispersion."""
    asset = IPAssetFactory()
    first = ValuationFactory(asset=asset, value=Decimal("1000000"))
    ValuationFactory(asset=asset, value=Decimal("1400000"))

    def dispersion():
        return IPAsset.objects.get(pk=asset.pk).valuation_dispersion

    assert _wait_for(lambda: dispersion() == Decimal("0.4")), dispersion()
    assert IPAsset.objects.get(pk=asset.pk).dispersion_flagged

    with transaction.atomic():
        services.valuation_update(actor=None, valuation=first, value=Decimal("1250000"))
    assert _wait_for(lambda: dispersion() == Decimal("0.12")), dispersion()
    assert not IPAsset.objects.get(pk=asset.pk).dispersion_flagged

    services.valuation_delete(actor=None, valuation=first)
    assert _wait_for(lambda: dispersion() is None)
    assert IPAsset.objects.get(pk=asset.pk).dispersion_note == "fewer than two valuations"


def test_task_enqueued_only_after_commit(real_worker):
    """A valuation rolled back never reaches the queue, so the stored figure stays."""
    asset = IPAssetFactory()
    ValuationFactory(asset=asset, value=Decimal("100"))
    ValuationFactory(asset=asset, value=Decimal("110"))
    assert _wait_for(lambda: IPAsset.objects.get(pk=asset.pk).valuation_dispersion is not None)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        ValuationFactory(asset=asset, value=Decimal("500"))
        raise Abort
    time.sleep(1.0)
    assert IPAsset.objects.get(pk=asset.pk).valuation_dispersion == Decimal("0.1")
    assert redis.Redis.from_url(real_worker).llen("celery") == 0
