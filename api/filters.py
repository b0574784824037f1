"""Query filters of the drill-down lists; a bad filter value is a 400 naming the parameter.

Choices of territory and rep come from accounts.access, so a filter can
only name what the caller may see, and an unknown value and a hidden one get
the same answer (nothing can be enumerated through a filter).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.access import reps_visible_to, territories_visible_to, user_can_see_scope
from metrics.models import Target, TargetChange
from metrics.registry import TARGETABLE_KPI_KEYS
from reps.models import SalesRep
from sales.models import Deal, Stage


def _visible_territories(request) -> QuerySet:
    return territories_visible_to(user=request.user) if request else territories_visible_to(user=None)


def _visible_reps(request) -> QuerySet:
    return reps_visible_to(user=request.user) if request else reps_visible_to(user=None)


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(django_filters.ModelChoiceFilter):
    """A row named by its code or external id (a string in the schema)."""


def _territory_filter() -> CodeChoiceFilter:
    return CodeChoiceFilter(
        queryset=_visible_territories,
        to_field_name="code",
        method="filter_territory",
        label="Territory code: rows of the territory and everything below it.",
        error_messages={"invalid_choice": "no territory %(value)s among those you may see"},
    )


class RangeForm(forms.Form):
    """Refuses a date range whose start is after its end, naming both parameters."""

    ranges: tuple[tuple[str, str], ...] = ()

    def clean(self) -> dict:
        data = super().clean()
        for start, end in self.ranges:
            if data.get(start) and data.get(end) and data[start] > data[end]:
                message = f"{start} ({data[start].isoformat()}) is after {end} ({data[end].isoformat()})"
                self.add_error(start, message)
                self.add_error(end, message)
        return data


class DealRangeForm(RangeForm):
    ranges = (("closed_from", "closed_to"), ("created_from", "created_to"))


class DealFilter(django_filters.FilterSet):
    territory = _territory_filter()
    rep = CodeChoiceFilter(
        queryset=_visible_reps,
        to_field_name="external_id",
        field_name="owner",
        label="External id of the deal's owner.",
        error_messages={"invalid_choice": "no rep %(value)s among those you may see"},
    )
    # A deal has one stage: no duplicate rows to remove, and a DISTINCT would sort every matching deal.
    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices, label="Stage (repeat for several).", distinct=False
    )
    closed_from = django_filters.DateFilter(field_name="closed_on", lookup_expr="gte", label="Closed on or after.")
    closed_to = django_filters.DateFilter(field_name="closed_on", lookup_expr="lte", label="Closed on or before.")
    created_from = django_filters.DateFilter(field_name="created_on", lookup_expr="gte", label="Created on or after.")
    created_to = django_filters.DateFilter(field_name="created_on", lookup_expr="lte", label="Created on or before.")

    class Meta:
        model = Deal
        fields = ["territory", "rep", "stage", "closed_from", "closed_to", "created_from", "created_to"]
        form = DealRangeForm

    def filter_territory(self, queryset: QuerySet, name: str, territory) -> QuerySet:
        return queryset.filter(territory__path__startswith=territory.path)


class RepFilter(django_filters.FilterSet):
    territory = _territory_filter()
    search = django_filters.CharFilter(method="filter_search", max_length=100, label="Part of the name or id.")

    class Meta:
        model = SalesRep
        fields = ["territory", "search"]

    def filter_territory(self, queryset: QuerySet, name: str, territory) -> QuerySet:
        """Reps assigned to the territory (or below it) at any time, as the access rules count them."""
        return queryset.filter(
            pk__in=SalesRep.objects.filter(assignments__territory__path__startswith=territory.path).values("pk")
        )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(external_id__icontains=value))


class ScopeField(forms.CharField):
    """``territory:<code>`` or ``rep:<external_id>``, checked against what the user may see."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        kind, _, ident = value.partition(":")
        if kind not in ("territory", "rep") or not ident:
            # Messages are %-formatted later: the value goes in as a parameter, never into the text.
            raise forms.ValidationError(
                "%(value)s is not territory:<code> or rep:<external_id>", params={"value": repr(value[:80])}
            )
        if not user_can_see_scope(user=self.user, scope=value):
            raise forms.ValidationError("no scope %(value)s among those you may see", params={"value": value[:80]})
        return value


class ScopeFilter(django_filters.CharFilter):
    field_class = ScopeField


class TargetRangeForm(RangeForm):
    ranges = (("month_from", "month_to"),)


class _ScopedFilterSet(django_filters.FilterSet):
    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["scope"].extra["user"] = getattr(request, "user", None)


class TargetFilter(_ScopedFilterSet):
    scope = ScopeFilter(method="filter_scope", max_length=200, label="territory:<code> or rep:<external_id>.")
    kpi = django_filters.ChoiceFilter(choices=[(k, k) for k in TARGETABLE_KPI_KEYS])
    month_from = django_filters.DateFilter(
        field_name="month", lookup_expr="gte", input_formats=["%Y-%m"], label="From this month on (YYYY-MM)."
    )
    month_to = django_filters.DateFilter(
        field_name="month", lookup_expr="lte", input_formats=["%Y-%m"], label="Up to this month (YYYY-MM)."
    )

    class Meta:
        model = Target
        fields = ["scope", "kpi", "month_from", "month_to"]
        form = TargetRangeForm

    def filter_scope(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        kind, _, ident = value.partition(":")
        if kind == "territory":
            return queryset.filter(territory__code=ident)
        return queryset.filter(rep__external_id=ident)


class TargetChangeFilter(_ScopedFilterSet):
    scope = ScopeFilter(field_name="scope", max_length=200, label="territory:<code> or rep:<external_id>.")
    kpi = django_filters.ChoiceFilter(choices=[(k, k) for k in TARGETABLE_KPI_KEYS])
    source = django_filters.ChoiceFilter(choices=TargetChange.Source.choices)

    class Meta:
        model = TargetChange
        fields = ["scope", "kpi", "source"]
