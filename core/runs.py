"""Recording recompute runs: every run, whatever started it, is a RecomputeRun row with its
progress, counts and errors, so regulators see what ran, what is running and what failed."""

from __future__ import annotations

import time
import traceback
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import RecomputeRun

Kind, Status = RecomputeRun.Kind, RecomputeRun.Status


class Recorder:
    """A running run: count what happened, advance its progress, note errors."""

    def __init__(self, run: RecomputeRun):
        self.run = run
        self._saved = time.monotonic()

    def count(self, key: str, n: int = 1) -> None:
        self.run.counts[key] = self.run.counts.get(key, 0) + n

    def advance(self, n: int = 1) -> None:
        self.run.done += n
        if time.monotonic() - self._saved >= settings.RECOMPUTE_PROGRESS_SECONDS:
            self.save()

    def error(self, scope: str, exc: BaseException) -> None:
        self.run.errors.append({"scope": scope, "error": f"{type(exc).__name__}: {exc}"})

    def save(self) -> None:
        RecomputeRun.objects.filter(pk=self.run.pk).update(
            done=self.run.done, total=self.run.total, counts=self.run.counts,
            errors=self.run.errors)
        self._saved = time.monotonic()


def start(*, kind: str, scope: str, trigger: str = "change", total: int = 0,
          requested_by=None, run_id: int | None = None) -> Recorder:
    """Mark a run as running (a queued one, or a new one) and return its recorder."""
    fields = {"status": Status.RUNNING, "started_at": timezone.now(), "total": total}
    # A run delivered again (its worker died) starts over: the work is idempotent.
    if run_id is not None and RecomputeRun.objects.filter(pk=run_id).update(
            **fields, done=0, counts={}, errors=[], finished_at=None):
        return Recorder(RecomputeRun.objects.get(pk=run_id))
    run = RecomputeRun.objects.create(kind=kind, scope=scope, trigger=trigger,
                                      requested_by=requested_by, **fields)
    return Recorder(run)


@contextmanager
def recording(*, kind: str, scope: str, trigger: str = "change", total: int = 0,
              requested_by=None, run_id: int | None = None):
    """Run the block as a recorded run: succeeded, or failed with the error kept (and raised).

    Tasks and commands call it outside any transaction, so the run row commits at once: its
    progress shows while the block works, and a failure survives the block's rollback."""
    with transaction.atomic():
        recorder = start(kind=kind, scope=scope, trigger=trigger, total=total,
                         requested_by=requested_by, run_id=run_id)
    try:
        yield recorder
    except BaseException as exc:
        recorder.run.errors.append({"scope": scope, "error": f"{type(exc).__name__}: {exc}",
                                    "trace": traceback.format_exc(limit=5)[-2000:]})
        _finish(recorder, Status.FAILED)
        raise
    _finish(recorder, Status.FAILED if recorder.run.errors and not recorder.run.done
            else Status.SUCCEEDED)


def _finish(recorder: Recorder, status: str) -> None:
    run = recorder.run
    run.status, run.finished_at = status, timezone.now()
    RecomputeRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=run.finished_at, done=run.done, total=run.total,
        counts=run.counts, errors=run.errors)


def count_snapshot(recorder: Recorder, snapshot) -> None:
    """Count a recompute's outcome: a snapshot this run wrote, or an unchanged one (its inputs
    had not changed since the last)."""
    written = snapshot is not None and snapshot.run_id == recorder.run.pk
    recorder.count("snapshots" if written else "unchanged")


def run_over(items, work, *, kind: str, trigger: str, run_id: int | None = None,
             requested_by=None, progress=None) -> RecomputeRun:
    """Recompute every item (scope, argument) in this process as one recorded run, calling
    `work(argument, run)` for each: an item that fails is noted and the run goes on."""
    items = list(items)
    with recording(kind=kind, scope="all", trigger=trigger, total=len(items),
                   requested_by=requested_by, run_id=run_id) as recorder:
        for scope, argument in items:
            try:
                snapshot = work(argument, recorder.run)
            except Exception as exc:  # one bad item must not stop the night's run
                recorder.error(scope, exc)
            else:
                count_snapshot(recorder, snapshot)
            recorder.advance()
            if progress is not None:
                progress(recorder.run.done, recorder.run.total)
    return recorder.run
