"""Admin for sales reps, with their territory assignment history inline."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, Prefetch

from accounts.admin_widgets import SafeAutocompleteAdmin
from accounts.audit import AuditedAdmin, audit_record
from metrics.admin_hooks import KpiRecomputeOnChange, assignment_months, kpi_outlook_message
from metrics.services.recompute import kpi_recompute_request
from reps.forms import AssignmentInlineFormSet, RepAssignmentForm
from reps.models import SalesRep
from territories.admin import TerritorySubtreeFilter, admin_today, covering_day
from territories.models import TerritoryAssignment


class EmploymentFilter(admin.SimpleListFilter):
    title = "employment"
    parameter_name = "employment"

    def lookups(self, request, model_admin):
        day = admin_today().isoformat()
        return [("active", f"active on {day}"), ("left", f"left before {day}")]

    def queryset(self, request, queryset):
        day = admin_today()
        if self.value() == "active":
            return queryset.employed_on(day)
        if self.value() == "left":
            return queryset.filter(left_on__lt=day)
        return queryset


class CurrentTerritoryFilter(TerritorySubtreeFilter):
    """Reps whose current assignment is in a territory or below it."""

    title = "current territory (and below)"

    def in_subtree(self, queryset, path: str):
        current_there = TerritoryAssignment.objects.filter(
            covering_day(admin_today()), rep=OuterRef("pk"), territory__path__startswith=path
        )
        return queryset.filter(Exists(current_there))


class TerritoryAssignmentInline(SafeAutocompleteAdmin, admin.TabularInline):
    model = TerritoryAssignment
    form = RepAssignmentForm
    formset = AssignmentInlineFormSet
    fields = ["territory", "start_date", "end_date"]
    autocomplete_fields = ["territory"]
    extra = 1
    verbose_name = "territory assignment"
    verbose_name_plural = "territory assignments (an empty start or end date means open-ended)"


@admin.register(SalesRep)
class SalesRepAdmin(SafeAutocompleteAdmin, AuditedAdmin, KpiRecomputeOnChange):
    # Hiring and leaving dates move headcount, turnover and reps at quota.
    kpi_date_fields = ("hired_on", "left_on")
    list_display = ["name", "external_id", "email", "current_territory", "user", "hired_on", "left_on"]
    list_filter = [EmploymentFilter, CurrentTerritoryFilter]
    search_fields = ["name", "external_id", "email"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]
    inlines = [TerritoryAssignmentInline]
    fieldsets = [
        (None, {"fields": ["name", "external_id", "email", "user"]}),
        ("Employment", {"fields": ["hired_on", "left_on"]}),
    ]

    def get_queryset(self, request):
        current = TerritoryAssignment.objects.filter(covering_day(admin_today())).select_related("territory")
        prefetch = Prefetch("assignments", current, to_attr="current_assignments")
        return super().get_queryset(request).prefetch_related(prefetch)

    def save_formset(self, request, form, formset, change):
        """Assignment changes move KPIs from the earliest start they touch (old and new values)."""
        months = set()
        for inline_form in formset.forms:
            if inline_form.instance.pk and (inline_form.has_changed() or inline_form in formset.deleted_forms):
                months |= assignment_months(TerritoryAssignment.objects.get(pk=inline_form.instance.pk))
        super().save_formset(request, form, formset, change)
        for assignment in [*formset.new_objects, *(obj for obj, _ in formset.changed_objects)]:
            months |= assignment_months(assignment)
        kpi_recompute_request(months=months, reason=f"assignments of {form.instance} changed in the admin")
        kpi_outlook_message(request)
        for assignment, action in [
            *((a, "create") for a in formset.new_objects),
            *((a, "update") for a, _ in formset.changed_objects),
            *((a, "delete") for a in formset.deleted_objects),
        ]:
            audit_record(
                actor=request.user,
                action=action,
                object_type="territoryassignment",
                object_id=assignment.pk or "",
                summary=f"assignment {assignment.rep} → {assignment.territory} from {assignment.start_date} {action}d",
            )

    @admin.display(description="current territory")
    def current_territory(self, obj: SalesRep) -> str:
        return ", ".join(a.territory.code for a in obj.current_assignments) or "—"
