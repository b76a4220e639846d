"""Background work scheduled by writes, through a transactional outbox.

A service that changes an input calls `after_commit(task, key)`. That writes an `OutboxJob`
row in the current transaction (none if it rolls back), at most one pending row per task and
key, so however many rows of a bulk import touch a deal, its recompute is asked for once. After
the commit the pending rows are handed to the broker (`relay`); a row the broker refuses (Redis
down) stays, with its error, and goes with the next relay: the next commit that asks for work,
the minutely beat task `core.tasks.relay_outbox`, or `manage.py relay_outbox`. With no broker
configured, tasks run eagerly in-process as they are relayed.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from core.models import OutboxJob

logger = logging.getLogger(__name__)
RELAY_BATCH = 500


def after_commit(task, key, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Ask for `task.delay(key)` once the current transaction commits (at once, outside one)."""
    OutboxJob.objects.using(using).bulk_create([OutboxJob(task=task.name, key=str(key))],
                                               ignore_conflicts=True)
    connection = connections[using]
    connection.outbox_dirty = True
    if not connection.in_atomic_block:
        _relay_if_dirty(using)
        return
    # A relay per call: the first to run after the commit relays every pending job; the rest
    # find the outbox clean and return at once, without a query.
    transaction.on_commit(lambda: _relay_if_dirty(using), using=using)


def _relay_if_dirty(using: str) -> None:
    connection = connections[using]
    if getattr(connection, "outbox_dirty", False):
        connection.outbox_dirty = False
        relay(using=using)


def _argument(key: str):
    return int(key) if key.lstrip("-").isdigit() else key


def relay(*, using: str = DEFAULT_DB_ALIAS, limit: int = RELAY_BATCH) -> int:
    """Hand pending jobs to the broker, oldest first; return how many went. A job is removed
    once the broker has it; one the broker refuses stays for the next relay."""
    sent = 0
    broker_errors = (*current_app.connection_for_write().connection_errors,
                     KombuOperationalError, OSError, LookupError)
    while True:
        with transaction.atomic(using=using):
            jobs = list(OutboxJob.objects.using(using).select_for_update(skip_locked=True)
                        .order_by("id")[:limit])
            if not jobs:
                return sent
            handed, failed = [], []
            for job in jobs:
                task = current_app.tasks.get(job.task)
                try:
                    if task is None:
                        raise LookupError(f"no task named {job.task}")
                    # Removed first: an eager task that asks for more work may re-add its key.
                    OutboxJob.objects.using(using).filter(pk=job.pk).delete()
                    task.delay(_argument(job.key))
                except broker_errors as exc:
                    failed.append((job, exc))
                else:
                    handed.append(job)
            for job, exc in failed:
                logger.warning("outbox: %s(%s) not enqueued: %s", job.task, job.key, exc)
                OutboxJob.objects.using(using).bulk_create(
                    [OutboxJob(task=job.task, key=job.key, attempts=job.attempts + 1,
                               last_error=str(exc)[:1000])], ignore_conflicts=True)
        sent += len(handed)
        if failed or len(jobs) < limit:
            return sent


def pending() -> int:
    """Jobs waiting for the broker."""
    return OutboxJob.objects.count()
