"""Serializers: query parameters in (validated, 400 naming the field), rows and reports out.

The KPI answers themselves are built by metrics.selectors (the shape of
``kpi_report``); the serializers here only describe that shape for the schema.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metrics.models import KpiRun, Target, TargetChange
from metrics.periods import PeriodError, period_parse, periods_containing
from metrics.registry import KPI_BY_KEY, TARGETABLE_KPI_KEYS
from reps.models import SalesRep
from sales.importers.issues import Issue
from sales.models import Deal, ImportRun

SCOPE_HELP = "company, territory:<code> or rep:<external_id>"
PERIOD_HELP = "YYYY-MM, YYYY-Qn or YYYY (fiscal quarters and years when the fiscal year does not start in January)"
GRAINS = ("month", "quarter", "year")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _fiscal() -> int:
    return settings.FISCAL_YEAR_START_MONTH


def scope_syntax_check(scope: str) -> str:
    """Return ``scope`` stripped if it is written like a scope; raise a 400 naming ``scope`` otherwise."""
    scope = (scope or "").strip()
    kind, _, ident = scope.partition(":")
    if scope != "company" and not (kind in ("territory", "rep") and ident):
        raise serializers.ValidationError({"scope": [f"{scope[:80]!r} is not {SCOPE_HELP}"]})
    return scope


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
        period = period_parse(text, fiscal_start_month=_fiscal())
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
        month, quarter, year = periods_containing(start.replace(day=1), fiscal_start_month=_fiscal())
        first = {"month": month, "quarter": quarter, "year": year}[attrs["grain"]].start
        return {**attrs, "kpi": kpi, "start": first, "end": end}


class RecomputeRequestSerializer(serializers.Serializer):
    since = serializers.CharField(
        max_length=7,
        required=False,
        allow_blank=True,
        help_text="YYYY-MM: recompute the periods ending in or after this month; empty: every period.",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_since(self, value: str) -> datetime.date | None:
        if not value:
            return None
        try:
            period = period_parse(value, fiscal_start_month=_fiscal())
        except PeriodError as exc:
            raise serializers.ValidationError(str(exc)) from None
        if period.kind != "month":
            raise serializers.ValidationError(f"{value!r} is not a month YYYY-MM")
        return period.start


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        min_length=1,
        max_length=60,
        help_text="A zip archive of the CSV files (or the CSV files themselves); repeat the field for several.",
    )
    format = serializers.ChoiceField(choices=ImportRun.Format.choices, default=ImportRun.Format.GENERIC)
    dry_run = serializers.BooleanField(default=False, help_text="Check everything, write nothing.")


class TargetEntrySerializer(serializers.Serializer):
    """A target entry as in the admin: a month, quarter or year value, spread evenly or by a distribution."""

    scope = serializers.CharField(max_length=200, help_text="territory:<code> or rep:<external_id>")
    kpi = serializers.ChoiceField(choices=TARGETABLE_KPI_KEYS)
    period = serializers.CharField(max_length=40, help_text="YYYY-MM, YYYY-Qn or YYYY")
    value = serializers.CharField(max_length=40, help_text="A number (sent as a JSON number or a string).")
    distribution = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Name of a distribution (quarters and years)."
    )


class TargetValueSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=40, help_text="The month's new value.")


# --- rows out --------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2025-04"})
class MonthField(serializers.DateField):
    """A first-of-month date shown as YYYY-MM."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class TerritoryNodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    scope = serializers.CharField()
    parent = serializers.CharField(allow_null=True, help_text="Code of the parent territory (null for a top one).")
    depth = serializers.IntegerField(help_text="1 for a top-level territory.")
    children = serializers.ListField(child=serializers.DictField(), help_text="The same shape, one level down.")


class RepSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_key")
    territory = serializers.SerializerMethodField(help_text="Code of the territory the rep is assigned to today.")

    class Meta:
        model = SalesRep
        fields = ["external_id", "name", "email", "scope", "hired_on", "left_on", "territory"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_territory(self, rep: SalesRep) -> str | None:
        day = self.context["today"]
        for assignment in rep.assignments.all():  # prefetched with their territories
            if (assignment.start_date is None or assignment.start_date <= day) and (
                assignment.end_date is None or assignment.end_date >= day
            ):
                return assignment.territory.code
        return None


class DealSerializer(serializers.ModelSerializer):
    territory = serializers.CharField(source="territory.code")
    owner = serializers.CharField(source="owner.external_id")
    customer = serializers.CharField(source="customer.external_id", allow_null=True, default=None)
    net_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Deal
        fields = [
            "external_id", "name", "stage", "lost_from_stage", "amount", "refunded_amount", "net_amount",
            "created_on", "closed_on", "ends_on", "product", "territory", "owner", "customer",
        ]  # fmt: skip


class TargetSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_key")
    month = MonthField(help_text="YYYY-MM")
    distribution = serializers.CharField(source="distribution.name", allow_null=True, default=None)

    class Meta:
        model = Target
        fields = ["id", "scope", "kpi", "month", "value", "entered_as", "distribution", "updated_at"]


class TargetWriteResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    targets = TargetSerializer(many=True)


class TargetChangeSerializer(serializers.ModelSerializer):
    month = MonthField()
    changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)

    class Meta:
        model = TargetChange
        fields = ["id", "scope", "kpi", "month", "old_value", "new_value", "changed_by", "changed_at", "source", "note"]


class IssueSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField(allow_null=True, help_text="Line in the file; the header is line 1.")
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


# ``Issue.__str__`` is "file[:line]: [column: ]message"; a run keeps its issues as those strings.
_ISSUE = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+))?: (?P<rest>.*)$", re.DOTALL)
_COLUMN = re.compile(r"^(?P<column>[^\s:]+): (?P<message>.+)$", re.DOTALL)


def issue_parse(text: str) -> Issue:
    """Read back an issue stored as text by an import run.

    A column name never holds a space or a colon, so text before the first
    ': ' that holds neither is the column; otherwise the rest is the message.
    """
    match = _ISSUE.match(text)
    if match is None:
        return Issue("", None, "", text)
    line = int(match["line"]) if match["line"] else None
    column = _COLUMN.match(match["rest"])
    if column is None:
        return Issue(match["file"], line, "", match["rest"])
    return Issue(match["file"], line, column["column"], column["message"])


class ImportRunSerializer(serializers.ModelSerializer):
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id", "status", "format", "dry_run", "source", "started_at", "finished_at", "files", "counts",
            "error_count", "errors", "warnings", "affected_months",
        ]  # fmt: skip

    def _issues(self, run: ImportRun, name: str) -> list[dict]:
        exact = self.context.get(name)  # the Issue objects, when the import ran in this request
        issues = exact if exact is not None else [issue_parse(text) for text in getattr(run, name)]
        return IssueSerializer(issues, many=True).data

    @extend_schema_field(IssueSerializer(many=True))
    def get_errors(self, run: ImportRun) -> list[dict]:
        return self._issues(run, "errors")

    @extend_schema_field(IssueSerializer(many=True))
    def get_warnings(self, run: ImportRun) -> list[dict]:
        return self._issues(run, "warnings")


class KpiRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)

    class Meta:
        model = KpiRun
        fields = [
            "id", "status", "kind", "since", "as_of", "reason", "started_at", "finished_at", "periods", "rows",
            "error", "requested_by",
        ]  # fmt: skip


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


class KpiReportSerializer(serializers.Serializer):
    scope = serializers.CharField()
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    as_of = serializers.DateField()
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


class FunnelSerializer(serializers.Serializer):
    scope = serializers.CharField()
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    as_of = serializers.DateField()
    stages = FunnelStageSerializer(many=True)
