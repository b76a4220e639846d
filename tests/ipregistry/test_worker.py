"""The dispersion task runs through a real Celery worker consuming from Redis."""

import os
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from config.celery import app
from ipregistry import services
from ipregistry.models import IPAsset
from tests.conftest import require_or_skip
from tests.factories import IPAssetFactory, ValuationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The configured Redis (or the local one), but a database of its own, so the test can empty
# its queue without touching anyone else's.
TEST_REDIS_DB = "/15"


def _test_broker_url() -> str:
    configured = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    return urlsplit(configured)._replace(path=TEST_REDIS_DB).geturl()


def _redis_answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def real_worker():
    url = _test_broker_url()
    require_or_skip(_redis_answers(url), f"no Redis answers at {url}")
    redis.Redis.from_url(url).delete("celery")
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=url)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield url
    finally:
        app.conf.update(saved)


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
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
