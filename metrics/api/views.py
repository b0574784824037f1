"""API views: thin callers of the selectors and services, all scoped through ``ApiView``.

``ApiView`` owns ``get_queryset`` and ``get_object`` (a subclass that tries to
override them is refused at import), so rows only ever come from a
accounts.access selector, and KPI scopes only through ``scope_visible``.
Anything outside what the caller may see answers 404, exactly like something
that does not exist.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import mixins, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.access import (
    deals_visible_to,
    import_runs_visible_to,
    reps_visible_to,
    territories_visible_to,
    user_can_see_scope,
)
from metrics.api import serializers as s
from metrics.api.exceptions import NotComputed
from metrics.api.filters import DealFilter, RepFilter, TargetChangeFilter, TargetFilter
from metrics.api.pagination import KeysetPagination, PagePagination, SortKey
from metrics.api.permissions import IsAdminRole, ReadOrAdminWrite
from metrics.engine import as_of_date
from metrics.models import TargetChange
from metrics.scopes import ScopeError, scope_index_build, scope_validate
from metrics.selectors.freshness import kpi_runs_visible_to
from metrics.selectors.reports import (
    ReportError,
    ReportQuery,
    kpi_funnel_report,
    kpi_report_query,
    kpi_report_snapshot,
    kpi_series_report,
)
from metrics.selectors.targets import target_changes_visible_to, targets_visible_to
from metrics.services.api_runs import kpi_run_queue
from metrics.services.targets import (
    TargetInputError,
    TargetScope,
    target_input_clean,
    target_scope_parse,
    targets_delete,
    targets_set,
)
from sales.importers import crm_import_uploads
from territories.models import Territory, TerritoryAssignment

_BIGINT = 2**63 - 1


class ApiView(GenericAPIView):
    """Base of every endpoint. Rows come from ``visible_to`` (a accounts.access selector); scopes from
    ``scope_visible``. Subclasses narrow rows with ``narrow`` and never see anything else."""

    permission_classes = [IsAuthenticated]
    visible_to: Callable[..., QuerySet] | None = None  # set as staticmethod(<access selector>)
    lookup_noun = "object"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("get_queryset", "get_object"):
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} must not override {name}: set visible_to, narrow with narrow()")

    def get_queryset(self) -> QuerySet:
        if self.visible_to is None:
            raise ImproperlyConfigured(f"{type(self).__name__} reads rows but names no visible_to selector")
        return self.narrow(self.visible_to(user=self.request.user))

    def narrow(self, queryset: QuerySet) -> QuerySet:
        """Joins, ordering, fixed filters: applied to the rows the user may see."""
        return queryset

    def get_object(self):
        field = self.lookup_url_kwarg or self.lookup_field
        value = self.kwargs[field]
        # An id beyond the database's integers, or text with a NUL byte, names nothing; the database
        # would refuse the query itself.
        out_of_range = isinstance(value, int) and not 0 < value <= _BIGINT
        found = None
        if not out_of_range and "\x00" not in str(value):
            found = self.get_queryset().filter(**{self.lookup_field: value}).first()
        if found is None:
            raise NotFound(f"No {self.lookup_noun} {str(value)[:100]!r} among those you may see.")
        self.check_object_permissions(self.request, found)
        return found

    def scope_visible(self, scope: str) -> str:
        """``scope`` if the user may read its KPIs; a malformed one is a 400, a hidden or unknown one a 404."""
        scope = s.scope_syntax_check(scope)
        if not user_can_see_scope(user=self.request.user, scope=scope):
            raise NotFound(f"No scope {scope[:100]!r} among those you may see.")
        return scope

    def query_params(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


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


# --- the schema and its docs -------------------------------------------------------------------------


class JsonErrorsMixin:
    """Render refusals (say, throttling) as the JSON error, not as YAML or an HTML page."""

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    pass


class SwaggerView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    pass


class RedocView(JsonErrorsMixin, SpectacularRedocView):
    template_name = "api/redoc.html"  # drf-spectacular's page without its web fonts from Google


# --- KPIs --------------------------------------------------------------------------------------------


class KpiReportView(ApiView):
    @extend_schema(
        summary="KPIs of one scope and period (exactly what `manage.py kpi_report` prints)",
        parameters=[s.KpiQuerySerializer],
        responses=s.KpiReportSerializer,
        tags=["kpis"],
    )
    def get(self, request):
        params = self.query_params(s.KpiQuerySerializer)
        scope = self.scope_visible(params["scope"])
        query = _report_query(scope=scope, period=params["period"], kpis=params.get("kpi"))
        report = kpi_report_snapshot(query)
        if report is None:
            raise _not_computed(query)
        return Response(report)


class KpiSeriesView(ApiView):
    @extend_schema(
        summary="One KPI over time: every month, quarter or year overlapping from..to",
        parameters=[s.SeriesQuerySerializer],
        responses=s.KpiSeriesSerializer,
        tags=["kpis"],
    )
    def get(self, request):
        params = self.query_params(s.SeriesQuerySerializer)
        scope = self.scope_visible(params["scope"])
        try:
            scope_validate(scope, scope_index_build())  # an admin may name any scope: it must exist
        except ScopeError as exc:
            raise ValidationError({"scope": [str(exc)]}) from None
        report = kpi_series_report(
            scope=scope, kpi=params["kpi"], grain=params["grain"], start=params["start"], end=params["end"]
        )
        return Response(report)


class FunnelView(ApiView):
    @extend_schema(
        summary="Stage funnel of the deals created in the period",
        parameters=[s.FunnelQuerySerializer],
        responses=s.FunnelSerializer,
        tags=["kpis"],
    )
    def get(self, request):
        params = self.query_params(s.FunnelQuerySerializer)
        scope = self.scope_visible(params["scope"])
        query = _report_query(scope=scope, period=params["period"])
        report = kpi_funnel_report(scope=query.scope, period=query.period)
        if report is None:
            raise _not_computed(query)
        return Response(report)


# --- drill-down --------------------------------------------------------------------------------------


def _territory_tree(rows: list[dict]) -> list[dict]:
    """Nest territories (ordered by path) under their parents; a node whose parent is hidden is a root."""
    by_path: dict[str, dict] = {}
    roots: list[dict] = []
    for row in rows:
        parent = by_path.get(row["path"][: -Territory.steplen])
        node = {
            "code": row["code"],
            "name": row["name"],
            "scope": f"territory:{row['code']}",
            "parent": parent["code"] if parent else None,
            "depth": row["depth"],
            "children": [],
        }
        by_path[row["path"]] = node
        (parent["children"] if parent else roots).append(node)
    return roots


class TerritoryListView(ApiView):
    visible_to = staticmethod(territories_visible_to)

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by("path")

    @extend_schema(summary="The territory tree the caller may see", responses=s.TerritoryNodeSerializer(many=True))
    def get(self, request):
        return Response(_territory_tree(list(self.get_queryset().values("code", "name", "path", "depth"))))


class TerritoryDetailView(ApiView):
    visible_to = staticmethod(territories_visible_to)
    lookup_field = "code"
    lookup_noun = "territory"

    @extend_schema(
        summary="One territory and the part of its subtree the caller may see", responses=s.TerritoryNodeSerializer
    )
    def get(self, request, code: str):
        territory = self.get_object()
        rows = self.get_queryset().filter(path__startswith=territory.path).order_by("path")
        return Response(_territory_tree(list(rows.values("code", "name", "path", "depth")))[0])


class _RepView(ApiView):
    visible_to = staticmethod(reps_visible_to)
    serializer_class = s.RepSerializer

    def narrow(self, queryset: QuerySet) -> QuerySet:
        assignments = TerritoryAssignment.objects.select_related("territory").order_by("start_date")
        return queryset.prefetch_related(Prefetch("assignments", queryset=assignments)).order_by("name", "external_id")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "today": as_of_date()}


class RepListView(mixins.ListModelMixin, _RepView):
    pagination_class = PagePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = RepFilter

    @extend_schema(summary="Reps the caller may see")
    def get(self, request):
        return self.list(request)


class RepDetailView(mixins.RetrieveModelMixin, _RepView):
    lookup_field = "external_id"
    lookup_noun = "rep"

    @extend_schema(summary="One rep")
    def get(self, request, external_id: str):
        return self.retrieve(request)


class _DealView(ApiView):
    visible_to = staticmethod(deals_visible_to)
    serializer_class = s.DealSerializer

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("territory", "owner", "customer")


class DealListView(mixins.ListModelMixin, _DealView):
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = DealFilter
    sort_keys = {
        "closed_on": SortKey("closed_on", datetime.date, nullable=True),
        "created_on": SortKey("created_on", datetime.date, nullable=True),
        "amount": SortKey("amount", Decimal),
        "external_id": SortKey("external_id", str),
    }
    default_ordering = "-closed_on"

    @extend_schema(summary="Deals the caller may see (managers: stored in their territories; reps: their own)")
    def get(self, request):
        return self.list(request)


class DealDetailView(mixins.RetrieveModelMixin, _DealView):
    lookup_field = "external_id"
    lookup_noun = "deal"

    @extend_schema(summary="One deal")
    def get(self, request, external_id: str):
        return self.retrieve(request)


# --- targets -----------------------------------------------------------------------------------------


def _target_entry(**fields):
    try:
        return target_input_clean(**fields)
    except TargetInputError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None


class _TargetView(ApiView):
    visible_to = staticmethod(targets_visible_to)
    serializer_class = s.TargetSerializer
    permission_classes = [IsAuthenticated, ReadOrAdminWrite]

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("territory", "rep", "distribution").order_by("month", "kpi", "id")


class TargetListView(mixins.ListModelMixin, _TargetView):
    pagination_class = PagePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TargetFilter
    admin_perms = {"POST": ("metrics.add_target", "metrics.change_target")}

    @extend_schema(summary="Month targets of the territories and reps the caller may see", tags=["targets"])
    def get(self, request):
        return self.list(request)

    @extend_schema(
        summary="Set a month, quarter or year target (admins; spread over months as in the admin, logged)",
        request=s.TargetEntrySerializer,
        responses={201: s.TargetWriteResultSerializer, 200: s.TargetWriteResultSerializer},
        tags=["targets"],
    )
    def post(self, request):
        data = self.body(s.TargetEntrySerializer)
        try:
            scope = target_scope_parse(data["scope"])
        except TargetInputError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        entry = _target_entry(
            scope=scope,
            kpi=data["kpi"],
            period=data["period"],
            value=data["value"],
            distribution=data.get("distribution") or None,
        )
        result = targets_set(entry=entry, user=request.user, source=TargetChange.Source.API)
        targets = self.get_queryset().filter(kpi=entry.kpi.key, month__in=list(result.months), **scope.filter_kwargs())
        body = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "targets": s.TargetSerializer(targets, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class TargetDetailView(mixins.RetrieveModelMixin, _TargetView):
    lookup_noun = "target"
    admin_perms = {"PUT": ("metrics.change_target",), "DELETE": ("metrics.delete_target",)}

    @extend_schema(summary="One month target", tags=["targets"])
    def get(self, request, pk: int):
        return self.retrieve(request)

    @extend_schema(
        summary="Change one month's value (admins; logged)",
        request=s.TargetValueSerializer,
        responses=s.TargetSerializer,
        tags=["targets"],
    )
    def put(self, request, pk: int):
        target = self.get_object()
        data = self.body(s.TargetValueSerializer)
        scope = TargetScope(territory=target.territory) if target.territory_id else TargetScope(rep=target.rep)
        entry = _target_entry(scope=scope, kpi=target.kpi, period=target.month.strftime("%Y-%m"), value=data["value"])
        targets_set(entry=entry, user=request.user, source=TargetChange.Source.API)
        return Response(s.TargetSerializer(self.get_object()).data)

    @extend_schema(summary="Delete one month target (admins; logged)", responses={204: None}, tags=["targets"])
    def delete(self, request, pk: int):
        targets_delete(targets=[self.get_object()], user=request.user, source=TargetChange.Source.API)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TargetChangeListView(mixins.ListModelMixin, ApiView):
    visible_to = staticmethod(target_changes_visible_to)
    serializer_class = s.TargetChangeSerializer
    pagination_class = PagePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TargetChangeFilter

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("changed_by").order_by("-changed_at", "-id")

    @extend_schema(summary="The target change log (who changed what, when), newest first", tags=["targets"])
    def get(self, request):
        return self.list(request)


# --- imports and recomputes (admins) -----------------------------------------------------------------


class ImportListView(ApiView):
    visible_to = staticmethod(import_runs_visible_to)
    permission_classes = [IsAuthenticated, IsAdminRole]
    admin_perms = {"POST": ("sales.run_import",)}
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Import a zip of CRM CSV files (all or nothing); the run says what came of it",
        description="Answers 201 with the recorded run whether the import succeeded or not: `status` is "
        "`succeeded` or `failed`, and `errors` lists every problem as {file, line, column, message}.",
        request={"multipart/form-data": s.ImportUploadSerializer},
        responses={201: s.ImportRunSerializer},
        tags=["imports"],
    )
    def post(self, request):
        data = self.body(s.ImportUploadSerializer)
        # The importer itself asks for the KPIs of the months a written import touched.
        result = crm_import_uploads(
            uploads=data["file"], format=data["format"], dry_run=data["dry_run"], user=request.user
        )
        run = self.get_queryset().get(pk=result.run_id)
        body = s.ImportRunSerializer(run, context={"errors": result.errors, "warnings": result.warnings}).data
        headers = {"Location": reverse("api:import", args=[run.pk])}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class ImportDetailView(mixins.RetrieveModelMixin, ApiView):
    visible_to = staticmethod(import_runs_visible_to)
    permission_classes = [IsAuthenticated, IsAdminRole]
    admin_perms = {"GET": ("sales.view_importrun",)}
    serializer_class = s.ImportRunSerializer
    lookup_noun = "import run"

    @extend_schema(summary="One import run", tags=["imports"])
    def get(self, request, pk: int):
        return self.retrieve(request)


class RecomputeView(ApiView):
    visible_to = staticmethod(kpi_runs_visible_to)
    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(
        summary="Queue a KPI recompute (admins); poll the run it returns",
        request=s.RecomputeRequestSerializer,
        responses={202: s.KpiRunSerializer},
        tags=["recompute"],
    )
    def post(self, request):
        data = self.body(s.RecomputeRequestSerializer)
        reason = data.get("reason") or f"requested through the API by {request.user.get_username()}"
        run = kpi_run_queue(since=data.get("since"), reason=reason, user=request.user)
        headers = {"Location": reverse("api:recompute-run", args=[run.pk])}
        return Response(s.KpiRunSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers=headers)


class RecomputeRunView(mixins.RetrieveModelMixin, ApiView):
    visible_to = staticmethod(kpi_runs_visible_to)
    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = s.KpiRunSerializer
    lookup_noun = "recompute run"

    @extend_schema(summary="One recompute run: queued, running, succeeded or failed", tags=["recompute"])
    def get(self, request, pk: int):
        return self.retrieve(request)
