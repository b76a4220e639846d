"""Background jobs of disclosure: SDG indicators per deal and per issuer. Entry points that
load by id and call a service; idempotent, acknowledged late, retried with back-off on
database errors and time-limited (CELERY_TASK_TIME_LIMIT)."""

from celery import shared_task
from django.db import OperationalError

from core import runs
from deals.models import Deal
from disclosure import market_build, services
from ipregistry.models import Issuer

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True,
         "retry_backoff_max": 300, "max_retries": 5}


@shared_task(**RETRY)
def recompute_sdg_deal(deal_id: int) -> int | None:
    """Recompute one deal's SDG indicators; returns the snapshot's id."""
    with runs.recording(kind=runs.Kind.SDG, scope=f"deal:{deal_id}") as run:
        snapshot = services.sdg_snapshot_refresh_deal(deal_id=deal_id, run=run.run)
        runs.count_snapshot(run, snapshot)
        run.advance()
    return snapshot.pk if snapshot is not None else None


@shared_task(**RETRY)
def recompute_sdg_issuer(issuer_id: int) -> int | None:
    """Recompute one issuer's SDG indicators; returns the snapshot's id."""
    with runs.recording(kind=runs.Kind.SDG, scope=f"issuer:{issuer_id}") as run:
        snapshot = services.sdg_snapshot_refresh_issuer(issuer_id=issuer_id, run=run.run)
        runs.count_snapshot(run, snapshot)
        run.advance()
    return snapshot.pk if snapshot is not None else None


def recompute_all_sdg(*, trigger: str, run_id: int | None = None, requested_by=None,
                      progress=None):
    """Every deal's and every beneficiary's SDG indicators, in this process, as one run."""
    deal_ids = Deal.objects.order_by("pk").values_list("pk", flat=True)
    issuer_ids = Issuer.objects.filter(assets__pool_entries__financing_amount__gt=0) \
        .distinct().order_by("pk").values_list("pk", flat=True)
    items = [(f"deal:{pk}", ("deal", pk)) for pk in deal_ids] + [
        (f"issuer:{pk}", ("issuer", pk)) for pk in issuer_ids]
    return runs.run_over(items, _refresh_sdg, kind=runs.Kind.SDG, trigger=trigger,
                         run_id=run_id, requested_by=requested_by, progress=progress)


def _refresh_sdg(subject_pk, run):
    subject, pk = subject_pk
    if subject == "deal":
        return services.sdg_snapshot_refresh_deal(deal_id=pk, run=run)
    return services.sdg_snapshot_refresh_issuer(issuer_id=pk, run=run)


@shared_task(acks_late=True, time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def recompute_sdg_all(run_id: int | None = None) -> int:
    """The nightly (or requested) recompute of every SDG snapshot; returns the run's id."""
    return recompute_all_sdg(trigger="nightly" if run_id is None else "button",
                             run_id=run_id).pk


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=300, max_retries=5, time_limit=1800, soft_time_limit=1740)
def recompute_market(run_id: int | str = "all") -> int:
    """Rebuild the market snapshot (after a change: key "all"; from the button: a run's id);
    returns the run's id."""
    if isinstance(run_id, int):
        return market_build.recompute(trigger="button", run_id=run_id).pk
    return market_build.recompute(trigger="change").pk


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def recompute_market_nightly() -> int:
    """The nightly rebuild of the market snapshot."""
    return market_build.recompute(trigger="nightly").pk
