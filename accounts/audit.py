"""Write the audit log (accounts.models.AuditEvent); read it in the admin.

Each service or admin hook that changes targets, territories, assignments or users, or runs an
import or a recompute, calls ``audit_record`` itself, inside its own transaction: the event is
stored exactly when the change is.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from accounts.models import AuditEvent


def audit_record(
    *, actor, action: str, object_type: str, summary: str, object_id: Any = "", detail: dict | None = None
) -> AuditEvent:
    """Store one audit event; ``actor`` None (or anonymous) means the system did it."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:100],
        summary=summary[:300],
        detail=detail or {},
    )


class AuditedAdmin(admin.ModelAdmin):
    """ModelAdmin mixin: every save and delete in the admin leaves an audit event naming the admin."""

    def _audit(self, request, model, pk, label: str, action: str, detail: dict | None = None) -> None:
        audit_record(
            actor=request.user,
            action=action,
            object_type=model._meta.model_name,
            object_id=pk,
            summary=f"{model._meta.verbose_name} {label} {AuditEvent.Action(action).label}",
            detail=detail,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE
        # Field names only: values may be secrets (a password hash) or personal data.
        self._audit(request, type(obj), obj.pk, str(obj), action, {"fields": sorted(form.changed_data)})

    def delete_model(self, request, obj):
        pk, label = obj.pk, str(obj)
        super().delete_model(request, obj)
        self._audit(request, type(obj), pk, label, AuditEvent.Action.DELETE)

    def delete_queryset(self, request, queryset):
        doomed = [(obj.pk, str(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)
        for pk, label in doomed:
            self._audit(request, queryset.model, pk, label, AuditEvent.Action.DELETE)
