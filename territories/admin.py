"""Admin for the territory tree and territory assignments."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Length, Substr
from django.http import Http404, HttpResponseBadRequest
from django.utils import timezone
from treebeard.admin import TreeAdmin

from accounts.admin_widgets import SafeAutocompleteAdmin
from accounts.audit import AuditedAdmin, audit_record
from metrics.admin_hooks import KpiRecomputeOnChange, assignment_months
from territories.forms import TerritoryAssignmentForm, TerritoryForm
from territories.models import Territory, TerritoryAssignment

NBSP = "\u00a0"


def admin_today():
    """The day "current" means in the admin: KPI_AS_OF for a historical data set, else today."""
    return settings.KPI_AS_OF or timezone.localdate()


def covering_day(day, prefix: str = "") -> Q:
    """Match assignments (through ``prefix``) that include ``day``."""
    return (Q(**{f"{prefix}start_date__isnull": True}) | Q(**{f"{prefix}start_date__lte": day})) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


class TreeLevelFilter(admin.SimpleListFilter):
    title = "tree level"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        depths = Territory.objects.order_by("depth").values_list("depth", flat=True).distinct()
        return [(str(d), "top level" if d == 1 else f"level {d}") for d in depths]

    def queryset(self, request, queryset):
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if self.value() and self.value().isdecimal():
            return queryset.filter(depth=int(self.value()))
        return queryset


class TerritorySubtreeFilter(admin.SimpleListFilter):
    """Filter on a territory and everything below it, chosen from the indented tree."""

    title = "territory (and below)"
    parameter_name = "territory"
    field_path = "territory"

    def lookups(self, request, model_admin):
        return [
            (code, f"{NBSP * 3 * (depth - 1)}{name} ({code})")
            for code, name, depth in Territory.objects.order_by("path").values_list("code", "name", "depth")
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        path = Territory.objects.filter(code=self.value()).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return self.in_subtree(queryset, path)

    def in_subtree(self, queryset, path: str):
        """Rows whose territory lies at or below ``path``."""
        return queryset.filter(**{f"{self.field_path}__path__startswith": path})


class AssignmentStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        day = admin_today().isoformat()
        return [("current", f"current on {day}"), ("ended", f"ended before {day}"), ("upcoming", f"starts after {day}")]

    def queryset(self, request, queryset):
        day = admin_today()
        if self.value() == "current":
            return queryset.filter(covering_day(day))
        if self.value() == "ended":
            return queryset.filter(end_date__lt=day)
        if self.value() == "upcoming":
            return queryset.filter(start_date__gt=day)
        return queryset


def _posted_territory(request, key: str) -> Territory | None:
    """The territory a move names by id; text that is not an id names none (treebeard's form then refuses it)."""
    value = request.POST.get(key, "")
    return Territory.objects.filter(pk=value).first() if value.isdecimal() else None


@admin.register(Territory)
class TerritoryAdmin(SafeAutocompleteAdmin, AuditedAdmin, TreeAdmin):
    form = TerritoryForm
    list_display = ["indented_name", "code", "parent_code", "depth", "manager_names"]
    search_fields = ["code", "name"]
    list_filter = [TreeLevelFilter, ("managers", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["managers"]
    ordering = ["path"]
    fieldsets = [
        (None, {"fields": ["code", "name", "managers"]}),
        (
            "Position in the tree",
            {
                "fields": ["treebeard_position", "treebeard_ref_node"],
                "description": "Territories are kept in code order under their parent. "
                "Moving a territory moves everything below it.",
            },
        ),
    ]

    def get_queryset(self, request):
        # The parent's code comes from the path prefix in the same query, and
        # managers are prefetched, so the list costs the same for any size.
        flat = self.is_filtered(request)
        parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Value(Territory.steplen))
        parent_code = Territory.objects.filter(path=parent_path, depth=OuterRef("depth") - 1).values("code")[:1]
        return (
            super()
            .get_queryset(request)
            # A search or filter lists matches flat in path order, so the name
            # is indented by depth there; the tree view indents with its script.
            .annotate(parent_code=Subquery(parent_code), indent=F("depth") - 1 if flat else Value(0))
            .prefetch_related("managers")
        )

    @admin.display(description="name", ordering="name")
    def indented_name(self, obj: Territory) -> str:
        return NBSP * 4 * obj.indent + obj.name

    @admin.display(description="parent", ordering="parent_code")
    def parent_code(self, obj: Territory) -> str:
        return obj.parent_code or "—"

    @admin.display(description="managers")
    def manager_names(self, obj: Territory) -> str:
        return ", ".join(sorted(user.get_username() for user in obj.managers.all())) or "—"

    def children_view(self, request, parent_id):
        """Treebeard's rows below a node; text that is not an id names no node (a 404, not the database's error)."""
        if not parent_id.isdecimal():
            raise Http404("No such territory.")
        return super().children_view(request, parent_id)

    def move_node(self, request):
        """Refuse a drag-and-drop move into the node's own branch with a readable message."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        node, target = _posted_territory(request, "node"), _posted_territory(request, "target")
        if node is not None and target is not None and target.path.startswith(node.path):
            if target.pk != node.pk:
                message = f"{node} cannot move under {target}: {target.code} is inside {node.code}'s own branch."
            elif request.POST.get("relation") == "child":
                message = f"{node} cannot be placed under itself."
            else:
                message = ""
            if message:
                messages.error(request, message + " Nothing was moved.")
                return HttpResponseBadRequest(message)
        response = super().move_node(request)
        if node is not None and target is not None and response.status_code < 400:
            summary = f"territory {node} moved ({request.POST.get('relation', '')} of {target})"
            audit_record(
                actor=request.user, action="update", object_type="territory", object_id=node.pk, summary=summary
            )
        return response


@admin.register(TerritoryAssignment)
class TerritoryAssignmentAdmin(SafeAutocompleteAdmin, AuditedAdmin, KpiRecomputeOnChange):
    form = TerritoryAssignmentForm

    def kpi_months(self, obj):
        return assignment_months(obj)

    list_display = ["rep", "territory", "start_date", "end_date"]
    list_filter = [AssignmentStatusFilter, TerritorySubtreeFilter]
    search_fields = ["rep__name", "rep__external_id", "territory__code", "territory__name"]
    autocomplete_fields = ["rep", "territory"]
    list_select_related = ["rep", "territory"]
