"""Background jobs of deals: entry points that load by id and call a service. Tasks are
idempotent (a redelivered one finds its work done), acknowledged late, retried with back-off on
database errors and time-limited (CELERY_TASK_TIME_LIMIT)."""

from celery import shared_task
from django.db import OperationalError

from core import runs
from deals import services
from deals.models import Deal

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True,
         "retry_backoff_max": 300, "max_retries": 5}


@shared_task(**RETRY)
def refresh_deal(deal_id: int) -> bool:
    """Recompute one deal's derived search and facet fields (idempotent); False if it is gone."""
    return services.deal_refresh_if_exists(deal_id=deal_id)


@shared_task(**RETRY)
def recompute_risk(deal_id: int) -> int | None:
    """Recompute one deal's risk snapshot; returns the snapshot's id (None: the deal is gone)."""
    with runs.recording(kind=runs.Kind.RISK, scope=f"deal:{deal_id}") as run:
        snapshot = services.risk_snapshot_refresh(deal_id=deal_id, run=run.run)
        runs.count_snapshot(run, snapshot)
        run.advance()
    return snapshot.pk if snapshot is not None else None


def recompute_all_risk(*, trigger: str, run_id: int | None = None, requested_by=None,
                       progress=None) -> runs.RecomputeRun:
    """Recompute every deal's risk in this process, as one recorded run."""
    deal_ids = Deal.objects.order_by("pk").values_list("pk", flat=True)
    return runs.run_over(
        ((f"deal:{pk}", pk) for pk in deal_ids),
        lambda pk, run: services.risk_snapshot_refresh(deal_id=pk, run=run),
        kind=runs.Kind.RISK, trigger=trigger, run_id=run_id, requested_by=requested_by,
        progress=progress)


@shared_task(acks_late=True, time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def recompute_risk_all(run_id: int | None = None) -> int:
    """The nightly (or requested) recompute of every deal's risk; returns the run's id."""
    return recompute_all_risk(trigger="nightly" if run_id is None else "button",
                              run_id=run_id).pk
