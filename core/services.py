"""Audited writes shared by every app's services: validate, save, record, in one transaction;
and the accounts' own: two-factor devices and API tokens."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from core import audit, two_factor
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


@transaction.atomic
def two_factor_enable(*, actor, user, key: str, last_t: int = -1) -> TOTPDevice:
    """Give the user a confirmed TOTP device with this secret; `last_t` is the time step of
    the code that confirmed it, which cannot then be used again."""
    if two_factor.device_for(user) is not None:
        raise ValidationError("Two-factor authentication is already set up for this account.")
    device = TOTPDevice(user=user, name="Authenticator app", key=key, confirmed=True,
                        last_t=last_t)
    device.full_clean()
    device.save()
    audit.record(actor=actor, action="core.user.two_factor_enable", instance=user,
                 changes={"device": device.pk})
    return device


@transaction.atomic
def two_factor_disable(*, actor, user) -> None:
    """Remove the user's two-factor devices, where their role leaves it optional."""
    if two_factor.is_required(user):
        raise ValidationError("Two-factor authentication is required for your role.")
    removed = list(TOTPDevice.objects.filter(user=user).values_list("pk", flat=True))
    TOTPDevice.objects.filter(pk__in=removed).delete()
    audit.record(actor=actor, action="core.user.two_factor_disable", instance=user,
                 changes={"devices": removed})


@transaction.atomic
def api_token_create(*, user) -> tuple[AuthToken, str]:
    """Issue the user an API token valid for API_TOKEN_TTL_HOURS, and clear their expired
    ones; return the stored token (a hash) and the key, which only its holder ever sees."""
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    token, key = AuthToken.objects.create(
        user=user, expiry=timedelta(hours=settings.API_TOKEN_TTL_HOURS))
    audit.record(actor=user, action="core.user.api_token_create", instance=user,
                 changes={"token": token.token_key[-8:], "expiry": str(token.expiry)})
    return token, key


@transaction.atomic
def api_token_revoke(*, actor, token: AuthToken) -> None:
    """Revoke one API token: it authenticates nothing from now on."""
    audit.record(actor=actor, action="core.user.api_token_revoke", instance=token.user,
                 changes={"token": token.token_key[-8:]})
    token.delete()


@transaction.atomic
def api_token_revoke_all(*, actor, user) -> int:
    """Revoke every API token of the user (and clear their expired ones); return how many
    were live."""
    tokens = AuthToken.objects.filter(user=user)
    revoked = sorted(key[-8:] for key in tokens.filter(expiry__gt=timezone.now())
                     .values_list("token_key", flat=True))
    tokens.delete()
    audit.record(actor=actor, action="core.user.api_token_revoke_all", instance=user,
                 changes={"tokens": revoked})
    return len(revoked)
