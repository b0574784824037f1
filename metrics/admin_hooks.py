"""Admin changes that move KPIs ask for a recompute (explicitly, not through signals).

Each admin that edits facts mixes in ``KpiRecomputeOnChange`` and names the
date fields that place a row in time; the recompute then covers the periods
from the earliest month the change touches (old and new values). Changes that
move whole histories (a customer's territory, the tree) recompute everything.
"""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest

from metrics.selectors.freshness import kpi_change_outlook
from metrics.services.recompute import facts_first_month, kpi_recompute_request


def kpi_outlook_message(request: HttpRequest) -> None:
    """Tell whoever just changed what KPIs are made of when the dashboards show it.

    Asked once the change has committed (and, without a broker, once the recompute
    it queued has run in process), so the message says what is true.
    """
    transaction.on_commit(lambda: messages.info(request, kpi_change_outlook()))


def _months(obj, fields: tuple[str, ...]) -> set[datetime.date] | None:
    """Months of the row's dates; None when a field is empty and the row is open-ended in time."""
    months: set[datetime.date] = set()
    for name in fields:
        value = getattr(obj, name, None)
        if value is not None:
            months.add(value.replace(day=1))
    return months


class KpiRecomputeOnChange(admin.ModelAdmin):
    """ModelAdmin mixin: saving or deleting a row queues a recompute of the months it touches."""

    # Dates that place the row in time; empty means the change can affect any period.
    kpi_date_fields: tuple[str, ...] = ()

    def kpi_months(self, obj) -> set[datetime.date]:
        if not self.kpi_date_fields:
            first = facts_first_month()
            return {first} if first else set()
        return _months(obj, self.kpi_date_fields)

    def _request(self, request: HttpRequest, months: set[datetime.date], what: str) -> None:
        kpi_recompute_request(months=months, reason=f"{what} in the admin")
        kpi_outlook_message(request)

    def save_model(self, request, obj, form, change):
        old = type(obj).objects.filter(pk=obj.pk).first() if change and obj.pk else None
        super().save_model(request, obj, form, change)
        months = self.kpi_months(obj) | (self.kpi_months(old) if old else set())
        self._request(request, months, f"{obj._meta.verbose_name} {obj.pk} {'changed' if change else 'added'}")

    def delete_model(self, request, obj):
        months = self.kpi_months(obj)
        super().delete_model(request, obj)
        self._request(request, months, f"{obj._meta.verbose_name} deleted")

    def delete_queryset(self, request, queryset):
        months: set[datetime.date] = set()
        for obj in queryset:
            months |= self.kpi_months(obj)
        super().delete_queryset(request, queryset)
        self._request(request, months, f"{queryset.model._meta.verbose_name_plural} deleted")


def assignment_months(assignment) -> set[datetime.date]:
    """An assignment moves KPIs from its start (or from the beginning, when open at the start)."""
    if assignment.start_date is None:
        first = facts_first_month()
        return {first} if first else set()
    return {assignment.start_date.replace(day=1)}
