"""Admin for distributions, targets and the target change log.

Every target write goes through ``metrics.services.targets`` so that each one
is validated the same way and leaves a ``TargetChange`` row.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import admin
from django.urls import path
from django.utils.html import format_html

from metrics import admin_views
from metrics.admin_hooks import kpi_outlook_message
from metrics.forms import DistributionForm, TargetValueForm, percent_total
from metrics.models import MONTH_FIELDS, Distribution, KpiRecomputeRequest, KpiRun, KpiSnapshot, Target, TargetChange
from metrics.services.targets import targets_delete, targets_set


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    form = DistributionForm
    list_display = ["name", "description", *MONTH_FIELDS, "total"]
    search_fields = ["name", "description"]
    readonly_fields = ["total"]
    fieldsets = [
        (None, {"fields": ["name", "description"]}),
        (
            "Monthly percentages",
            {
                "fields": [tuple(MONTH_FIELDS), "total"],
                "description": "The share of a year's target each calendar month gets; the 12 must add up to 100.",
                "classes": ["distribution-months"],
            },
        ),
    ]

    class Media:
        css = {"all": ["admin_extra/admin_extra.css"]}
        js = ["admin_extra/distribution_total.js"]

    @admin.display(description="total %")
    def total(self, obj: Distribution) -> str:
        total = percent_total(obj.percentages())
        return format_html('<span id="distribution-total">{}</span>', f"{total:.2f}")


class ScopeKindFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("territory", "territories"), ("rep", "reps")]

    def queryset(self, request, queryset):
        if self.value() == "territory":
            return queryset.filter(territory__isnull=False)
        if self.value() == "rep":
            return queryset.filter(rep__isnull=False)
        return queryset


class TargetYearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        return [(str(d.year), str(d.year)) for d in Target.objects.dates("month", "year", order="DESC")]

    def queryset(self, request, queryset):
        # A year the calendar has (the lookup's bounds are dates); isdecimal, as int() refuses digits like "²".
        value = self.value() or ""
        if value.isdecimal() and datetime.MINYEAR <= int(value) <= datetime.MAXYEAR:
            return queryset.filter(month__year=int(value))
        return queryset


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetValueForm
    list_display = ["scope", "kpi", "month_label", "value_display", "entered_as", "distribution", "updated_at"]
    list_filter = ["kpi", TargetYearFilter, ScopeKindFilter]
    search_fields = ["territory__code", "territory__name", "rep__name", "rep__external_id"]
    list_select_related = ["territory", "rep", "distribution"]
    readonly_fields = ["scope", "kpi", "month_label", "entered_as", "distribution", "updated_at"]
    fieldsets = [
        (None, {"fields": ["scope", "kpi", "month_label", "value"]}),
        ("How it was entered", {"fields": ["entered_as", "distribution", "updated_at"]}),
    ]

    def get_urls(self):
        urls = [
            path(
                "grid/",
                self.admin_site.admin_view(lambda request: admin_views.target_grid_view(request, model_admin=self)),
                name="metrics_target_grid",
            ),
        ]
        return urls + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        # Adding a target means entering a period's value and seeing its months
        # before they are written, not filling in one raw month row.
        return admin_views.target_entry_view(request, model_admin=self)

    @admin.display(description="scope", ordering="territory__code")
    def scope(self, obj: Target) -> str:
        if obj.territory_id:
            return f"territory {obj.territory.code}"
        return f"rep {obj.rep.name} ({obj.rep.external_id})"

    @admin.display(description="month", ordering="month")
    def month_label(self, obj: Target) -> str:
        return f"{obj.month:%Y-%m}"

    @admin.display(description="value", ordering="value")
    def value_display(self, obj: Target) -> str:
        return admin_views.value_display(obj.value)

    def save_model(self, request, obj, form, change):
        targets_set(entry=form.entry, user=request.user, source=TargetChange.Source.ADMIN)
        kpi_outlook_message(request)

    def delete_model(self, request, obj):
        targets_delete(targets=[obj], user=request.user, source=TargetChange.Source.ADMIN)
        kpi_outlook_message(request)

    def delete_queryset(self, request, queryset):
        targets = queryset.select_related("territory", "rep")
        targets_delete(targets=targets, user=request.user, source=TargetChange.Source.ADMIN)
        kpi_outlook_message(request)


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Records the system writes; admins read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TargetChange)
class TargetChangeAdmin(_ReadOnlyAdmin):
    """The change log: read-only for everyone, superusers included."""

    list_display = ["changed_at", "changed_by", "source", "scope", "kpi", "month_label", "old", "new", "note"]
    list_filter = ["source", "kpi"]
    search_fields = ["scope", "note"]
    date_hierarchy = "changed_at"
    list_select_related = ["changed_by"]

    @admin.display(description="month", ordering="month")
    def month_label(self, obj: TargetChange) -> str:
        return f"{obj.month:%Y-%m}"

    @admin.display(description="old value", ordering="old_value")
    def old(self, obj: TargetChange) -> str:
        return _optional_value(obj.old_value)

    @admin.display(description="new value", ordering="new_value")
    def new(self, obj: TargetChange) -> str:
        return _optional_value(obj.new_value)


def _optional_value(value: Decimal | None) -> str:
    return "—" if value is None else admin_views.value_display(value)


@admin.register(KpiRun)
class KpiRunAdmin(_ReadOnlyAdmin):
    """The recompute run log: when, what it covered, how it ended."""

    list_display = ["id", "started_at", "finished_at", "duration", "kind", "since", "as_of", "status", "periods",
                    "rows", "reason", "requested_by", "short_error"]  # fmt: skip
    list_filter = ["status", "kind"]
    search_fields = ["reason", "error"]
    date_hierarchy = "started_at"
    list_select_related = ["requested_by"]

    @admin.display(description="seconds")
    def duration(self, obj: KpiRun) -> str:
        return "—" if obj.seconds is None else f"{obj.seconds:.1f}"

    @admin.display(description="error")
    def short_error(self, obj: KpiRun) -> str:
        return obj.error[:120]


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(_ReadOnlyAdmin):
    list_display = ["scope", "period", "kpi", "value", "n", "target", "attainment", "low_sample", "provisional",
                    "computed_at", "run"]  # fmt: skip
    list_filter = ["period_kind", "kpi", "low_sample"]
    search_fields = ["scope", "period"]
    show_full_result_count = False  # counting millions of snapshot rows on every page is wasted work


@admin.register(KpiRecomputeRequest)
class KpiRecomputeRequestAdmin(_ReadOnlyAdmin):
    """Changes waiting for the next recompute run."""

    list_display = ["created_at", "month", "reason"]
