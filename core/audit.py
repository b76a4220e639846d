"""Write audit entries for service-level state changes."""

from datetime import date, datetime
from decimal import Decimal

from django.db import models

from core.models import AuditEntry


def _plain(value):
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def _canonical(field: models.Field, value):
    # 9000000 and 9000000.00 are the same stored amount: compare them at the field's scale.
    if isinstance(field, models.DecimalField) and value is not None:
        return format(Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places)), "f")
    return _plain(value)


def snapshot(instance: models.Model) -> dict:
    """Return the instance's concrete field values as JSON-safe data."""
    return {
        field.attname: _canonical(field, getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        # Timestamps change on every save and would make every diff non-empty.
        if field.attname != "id" and not getattr(field, "auto_now", False)
    }


def diff(before: dict, after: dict) -> dict:
    """Return {field: [old, new]} for the fields that changed."""
    return {key: [before.get(key), value] for key, value in after.items()
            if before.get(key) != value}


def record(*, actor, action: str, instance: models.Model,
           changes: dict | None = None) -> AuditEntry:
    """Record that `actor` performed `action` on `instance`."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes or {},
    )
