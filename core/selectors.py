"""Reads of the platform's plumbing: recompute runs and the job queues; a user's API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from core.models import OutboxJob, RecomputeRun

FAILURE_WINDOW = timedelta(days=7)


def recent_runs(*, kind: str | None = None, limit: int = 100) -> QuerySet[RecomputeRun]:
    runs = RecomputeRun.objects.select_related("requested_by")
    return (runs.filter(kind=kind) if kind else runs)[:limit]


def recent_failures() -> QuerySet[RecomputeRun]:
    since = timezone.now() - FAILURE_WINDOW
    return RecomputeRun.objects.filter(created_at__gte=since).filter(
        Q(status=RecomputeRun.Status.FAILED) | ~Q(errors=[])).order_by("-created_at")[:50]


@dataclass(frozen=True)
class QueueDepth:
    outbox: int  # jobs waiting to reach the broker
    broker: int | None  # messages waiting in the broker's queue; None when unknown
    note: str


def queue_depth() -> QueueDepth:
    outbox = OutboxJob.objects.count()
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return QueueDepth(outbox, None, "no broker: jobs run in-process as they are asked for")
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1,
                                      socket_timeout=1)
        return QueueDepth(outbox, int(client.llen("celery")), "")
    except redis.RedisError as exc:
        return QueueDepth(outbox, None, f"the broker does not answer ({type(exc).__name__})")


def api_tokens(user) -> QuerySet[AuthToken]:
    """The user's API tokens that have not expired, newest first."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
