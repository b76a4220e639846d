from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from core.choices import Role


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.INVESTOR)

    class Meta:
        db_table = "core_user"

    @property
    def is_regulator(self) -> bool:
        return self.is_active and self.role == Role.REGULATOR

    @property
    def is_investor(self) -> bool:
        return self.is_active and self.role == Role.INVESTOR


class AuditEntry(models.Model):
    """One state change, written by the service that made it, in the same transaction."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.action} {self.object_repr}"


class OutboxJob(models.Model):
    """A background task a change needs, written in the change's own transaction (a
    transactional outbox): it exists if and only if the change committed, and it stays until
    the broker has taken it, so a broker that is down loses nothing. One pending row per task
    and key: however many changes ask for the same recompute, it is enqueued once."""

    task = models.CharField(max_length=200)
    key = models.CharField(max_length=100, help_text="The task's one argument, as text.")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["task", "key"], name="outbox_job_once")]

    def __str__(self):
        return f"{self.task}({self.key})"


class RecomputeRun(models.Model):
    """One run of a recompute (risk, SDG or market indicators), whatever started it: a change,
    the nightly schedule, a regulator's button or `manage.py recompute`."""

    class Kind(models.TextChoices):
        RISK = "risk", "Risk"
        SDG = "sdg", "SDG indicators"
        MARKET = "market", "Market snapshot"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    scope = models.CharField(max_length=100, help_text='e.g. "deal:12", "issuer:4", "all".')
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=32, blank=True,
                               help_text="change, nightly, button, command")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True,
                              help_text="e.g. {'snapshots': 12, 'unchanged': 3}")
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self):
        return f"{self.kind} {self.scope} {self.status}"

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else (1.0 if self.finished_at else 0.0)
