"""/api/: version 1 of the API, its OpenAPI schema and docs; any other /api/ URL is a JSON 404."""

from django.urls import include, path, re_path

from api.deals import DealDetailView, DealListView
from api.exceptions import api_not_found
from api.imports import ImportDetailView, ImportListView
from api.kpis import FunnelView, KpiReportView, KpiSeriesView
from api.recompute import RecomputeRunView, RecomputeView
from api.reps import RepDetailView, RepListView
from api.schema import RedocView, SchemaView, SwaggerView
from api.targets import TargetChangeListView, TargetDetailView, TargetListView
from api.territories import TerritoryDetailView, TerritoryListView

app_name = "api"

v1 = [
    path("kpis", KpiReportView.as_view(), name="kpis"),
    path("kpis/series", KpiSeriesView.as_view(), name="kpi-series"),
    path("funnel", FunnelView.as_view(), name="funnel"),
    path("territories", TerritoryListView.as_view(), name="territories"),
    path("territories/<slug:code>", TerritoryDetailView.as_view(), name="territory"),
    path("reps", RepListView.as_view(), name="reps"),
    path("reps/<str:external_id>", RepDetailView.as_view(), name="rep"),
    path("deals", DealListView.as_view(), name="deals"),
    path("deals/<str:external_id>", DealDetailView.as_view(), name="deal"),
    path("targets", TargetListView.as_view(), name="targets"),
    path("targets/changes", TargetChangeListView.as_view(), name="target-changes"),
    path("targets/<int:pk>", TargetDetailView.as_view(), name="target"),
    path("imports", ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>", ImportDetailView.as_view(), name="import"),
    path("recompute", RecomputeView.as_view(), name="recompute"),
    path("recompute/<int:pk>", RecomputeRunView.as_view(), name="recompute-run"),
    # The schema and its docs, with Swagger UI and ReDoc assets served from this site (sidecar).
    path("schema", SchemaView.as_view(), name="schema"),
    path("docs", SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc", RedocView.as_view(url_name="api:schema"), name="redoc"),
]

urlpatterns = [
    path("v1/", include(v1)),
    re_path(r"^", api_not_found, name="not-found"),
]
