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
