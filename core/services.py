"""Audited writes shared by every app's services: validate, save, record, in one transaction."""

from django.db import models, transaction

from core import audit
from core.jobs import after_commit
from core.models import RecomputeRun
from core.signals import record_changed


def _action(instance: models.Model, verb: str) -> str:
    return f"{instance._meta.label_lower}.{verb}"


@transaction.atomic
def create(*, actor, instance: models.Model) -> models.Model:
    """Validate and save a new instance, recording its values."""
    instance.full_clean()
    instance.save()
    changes = audit.snapshot(instance)
    audit.record(actor=actor, action=_action(instance, "create"), instance=instance,
                 changes=changes)
    record_changed.send(sender=type(instance), instance=instance, action="create",
                        changes=changes)
    return instance


@transaction.atomic
def update(*, actor, instance: models.Model, data: dict) -> models.Model:
    """Apply changes, validate and save, recording what changed (nothing if nothing did)."""
    before = audit.snapshot(instance)
    for field, value in data.items():
        setattr(instance, field, value)
    instance.full_clean()
    instance.save()
    changes = audit.diff(before, audit.snapshot(instance))
    if changes:
        audit.record(actor=actor, action=_action(instance, "update"), instance=instance,
                     changes=changes)
        record_changed.send(sender=type(instance), instance=instance, action="update",
                            changes=changes)
    return instance


@transaction.atomic
def delete(*, actor, instance: models.Model) -> None:
    """Delete an instance, recording what it held."""
    changes = audit.snapshot(instance)
    audit.record(actor=actor, action=_action(instance, "delete"), instance=instance,
                 changes=changes)
    record_changed.send(sender=type(instance), instance=instance, action="delete",
                        changes=changes)
    instance.delete()


@transaction.atomic
def run_request(*, actor, kind: str, scope: str, task) -> RecomputeRun:
    """Queue a recompute run a user asked for; its task starts after commit."""
    run = RecomputeRun.objects.create(kind=kind, scope=scope, trigger="button",
                                      requested_by=actor if actor.is_authenticated else None)
    audit.record(actor=actor, action="core.recomputerun.request", instance=run,
                 changes={"kind": kind, "scope": scope})
    after_commit(task, run.pk)
    return run
