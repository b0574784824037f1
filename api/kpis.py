"""KPIs: the report of one scope and period, one KPI over time, and the stage funnel.

The answers are built by metrics.selectors (the shape of ``kpi_report``); the
serializers of the answers here only describe that shape for the schema.
"""

from __future__ import annotations

import datetime
import re

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.base import ApiView
from api.exceptions import NotComputed
from api.serializers import SCOPE_HELP, fiscal_start_month
from metrics.periods import PeriodError, period_parse, periods_containing
from metrics.registry import KPI_BY_KEY
from metrics.scopes import ScopeError, scope_index_build, scope_validate
from metrics.selectors.reports import (
    ReportError,
    ReportQuery,
    kpi_funnel_report,
    kpi_report_query,
    kpi_report_snapshot,
    kpi_series_report,
)

PERIOD_HELP = "YYYY-MM, YYYY-Qn or YYYY (fiscal quarters and years when the fiscal year does not start in January)"
GRAINS = ("month", "quarter", "year")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# --- query parameters ------------------------------------------------------------------------------

# Documented in the schema (so clients and the fuzzer know the shape); checked by the selectors,
# whose messages say what exactly is wrong.
SCOPE_PATTERN = r"^(company|territory:[-a-zA-Z0-9_]+|rep:\S+)$"
PERIOD_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$"
BOUND_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-\d{2})?|-Q[1-4])?$"


def _pattern_field(pattern: str, **kwargs) -> serializers.CharField:
    """A CharField whose schema carries ``pattern`` (the value itself is checked by the selectors)."""

    @extend_schema_field({"type": "string", "pattern": pattern})
    class PatternField(serializers.CharField):
        pass

    return PatternField(**kwargs)


class KpiQuerySerializer(serializers.Serializer):
    scope = _pattern_field(SCOPE_PATTERN, max_length=200, help_text=SCOPE_HELP)
    period = _pattern_field(PERIOD_PATTERN, max_length=40, help_text=PERIOD_HELP)
    kpi = serializers.CharField(
        max_length=2000,
        required=False,
        help_text=f"Comma-separated KPI keys (default: all): {', '.join(KPI_BY_KEY)}.",
    )


class FunnelQuerySerializer(serializers.Serializer):
    scope = _pattern_field(SCOPE_PATTERN, max_length=200, help_text=SCOPE_HELP)
    period = _pattern_field(PERIOD_PATTERN, max_length=40, help_text=PERIOD_HELP)


def _bound(text: str, name: str, *, end: bool) -> datetime.date:
    """``from``/``to``: a day (YYYY-MM-DD) or a period (its first day for ``from``, its last for ``to``)."""
    if _DAY.match(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise serializers.ValidationError({name: [f"{text!r} is not a real date"]}) from None
    try:
        period = period_parse(text, fiscal_start_month=fiscal_start_month())
    except PeriodError as exc:
        raise serializers.ValidationError({name: [f"{exc}; or a day YYYY-MM-DD"]}) from None
    if period.kind == "range":
        raise serializers.ValidationError({name: ["give one period or one day, not a range"]})
    return period.end if end else period.start


class SeriesQuerySerializer(serializers.Serializer):
    """``scope``, ``kpi``, ``from``, ``to`` (``from`` and ``to`` are Python keywords, hence ``get_fields``)."""

    def get_fields(self) -> dict:
        bound_help = "a period (YYYY-MM, YYYY-Qn, YYYY) or a day (YYYY-MM-DD)"
        return {
            "scope": _pattern_field(SCOPE_PATTERN, max_length=200, help_text=SCOPE_HELP),
            "kpi": serializers.CharField(max_length=40, help_text=f"One KPI key: {', '.join(KPI_BY_KEY)}."),
            "from": _pattern_field(BOUND_PATTERN, max_length=40, help_text=f"Start of the series: {bound_help}."),
            "to": _pattern_field(BOUND_PATTERN, max_length=40, help_text=f"End of the series: {bound_help}."),
            "grain": serializers.ChoiceField(choices=GRAINS, default="month", help_text="Period kind of each point."),
        }

    def validate(self, attrs: dict) -> dict:
        kpi = attrs["kpi"].strip()
        if kpi not in KPI_BY_KEY:
            raise serializers.ValidationError({"kpi": [f"unknown KPI {kpi[:40]!r}; known: {', '.join(KPI_BY_KEY)}"]})
        start = _bound(attrs["from"].strip(), "from", end=False)
        end = _bound(attrs["to"].strip(), "to", end=True)
        if start > end:
            message = f"from ({start.isoformat()}) is after to ({end.isoformat()})"
            raise serializers.ValidationError({"from": [message], "to": [message]})
        # Every point whose period overlaps [from, to]: start from the period that contains ``from``.
        month, quarter, year = periods_containing(start.replace(day=1), fiscal_start_month=fiscal_start_month())
        first = {"month": month, "quarter": quarter, "year": year}[attrs["grain"]].start
        return {**attrs, "kpi": kpi, "start": first, "end": end}


# --- KPI answers (documentation of the selectors' shape) ---------------------------------------------


class KpiEntrySerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    n = serializers.FloatField(allow_null=True, help_text="Sample size.")
    ci_low = serializers.FloatField(allow_null=True, help_text="95% interval (Wilson for rates).")
    ci_high = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    attainment = serializers.FloatField(allow_null=True)
    low_sample = serializers.BooleanField()
    provisional = serializers.BooleanField()


# The head of a stored answer: its scope and period, the period's days and the as-of date. (A comment,
# not a docstring: drf-spectacular would copy a docstring into each subclass's schema description.)
class _ScopePeriodSerializer(serializers.Serializer):
    scope = serializers.CharField()
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    as_of = serializers.DateField()


class KpiReportSerializer(_ScopePeriodSerializer):
    kpis = serializers.DictField(child=KpiEntrySerializer(), help_text="KPI key → entry (spec/kpis.md).")


class SeriesPointSerializer(KpiEntrySerializer):
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class KpiSeriesSerializer(serializers.Serializer):
    def get_fields(self) -> dict:
        return {
            "scope": serializers.CharField(),
            "kpi": serializers.CharField(),
            "grain": serializers.ChoiceField(choices=GRAINS),
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "points": SeriesPointSerializer(many=True),
        }


class FunnelStageSerializer(serializers.Serializer):
    stage = serializers.CharField()
    count = serializers.IntegerField(help_text="Deals created in the period that reached this stage.")
    conversion = serializers.FloatField(allow_null=True, help_text="Reached the next stage / reached this one.")


class FunnelSerializer(_ScopePeriodSerializer):
    stages = FunnelStageSerializer(many=True)


# --- views -----------------------------------------------------------------------------------------


def _report_query(*, scope: str, period: str, kpis: str | None = None) -> ReportQuery:
    if kpis is not None and not any(k.strip() for k in kpis.split(",")):
        raise ValidationError({"kpi": ["name at least one KPI, or leave kpi out for all of them"]})
    try:
        query = kpi_report_query(scope=scope, period=period, kpis=kpis)
    except ReportError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    if query.period.kind == "range":
        raise ValidationError({"period": ["date ranges are not stored: ask for a month, quarter or year"]})
    return query


def _not_computed(query: ReportQuery) -> NotComputed:
    return NotComputed(
        f"No KPIs are stored for {query.scope} in {query.period.label} yet: they are computed by the recompute "
        "(POST /api/v1/recompute) for every period up to the as-of date."
    )


class _KpiView(ApiView):
    def scoped_query(self, serializer_class) -> tuple[dict, str]:
        """The validated query parameters and their ``scope``, checked to be one the caller may read."""
        params = self.query_params(serializer_class)
        return params, self.scope_visible(params["scope"])


class KpiReportView(_KpiView):
    @extend_schema(
        summary="KPIs of one scope and period (exactly what `manage.py kpi_report` prints)",
        parameters=[KpiQuerySerializer],
        responses=KpiReportSerializer,
        tags=["kpis"],
    )
    def get(self, request):
        params, scope = self.scoped_query(KpiQuerySerializer)
        query = _report_query(scope=scope, period=params["period"], kpis=params.get("kpi"))
        report = kpi_report_snapshot(query)
        if report is None:
            raise _not_computed(query)
        return Response(report)


class KpiSeriesView(_KpiView):
    @extend_schema(
        summary="One KPI over time: every month, quarter or year overlapping from..to",
        parameters=[SeriesQuerySerializer],
        responses=KpiSeriesSerializer,
        tags=["kpis"],
    )
    def get(self, request):
        params, scope = self.scoped_query(SeriesQuerySerializer)
        try:
            scope_validate(scope, scope_index_build())  # an admin may name any scope: it must exist
        except ScopeError as exc:
            raise ValidationError({"scope": [str(exc)]}) from None
        report = kpi_series_report(
            scope=scope, kpi=params["kpi"], grain=params["grain"], start=params["start"], end=params["end"]
        )
        return Response(report)


class FunnelView(_KpiView):
    @extend_schema(
        summary="Stage funnel of the deals created in the period",
        parameters=[FunnelQuerySerializer],
        responses=FunnelSerializer,
        tags=["kpis"],
    )
    def get(self, request):
        params, scope = self.scoped_query(FunnelQuerySerializer)
        query = _report_query(scope=scope, period=params["period"])
        report = kpi_funnel_report(scope=query.scope, period=query.period)
        if report is None:
            raise _not_computed(query)
        return Response(report)
