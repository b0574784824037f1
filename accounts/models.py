"""The audit log: who changed targets, territories, assignments and users, who ran imports and recomputes."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One change or run, written by the service or admin hook that made it (never by a signal)."""

    class Action(models.TextChoices):
        CREATE = "create", "created"
        UPDATE = "update", "changed"
        DELETE = "delete", "deleted"
        IMPORT = "import", "imported"
        RECOMPUTE = "recompute", "recomputed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The actor's name is copied so the log still says who after the user is deleted.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150, blank=True, help_text="empty: the system (schedule, command)")
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=40, db_index=True)
    object_id = models.CharField(max_length=100, blank=True)
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        # The table keeps the name it had when the audit log lived in the project package:
        # moving the model did not rebuild it (accounts/migrations/0001_initial.py).
        db_table = "kpi_dashboard_auditevent"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'system'}: {self.summary}"
