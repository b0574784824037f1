"""/api/: version 1 of the API, its OpenAPI schema and docs; any other /api/ URL is a JSON 404."""

from django.urls import include, path, re_path

from metrics.api import views
from metrics.api.exceptions import api_not_found

app_name = "api"

v1 = [
    path("kpis", views.KpiReportView.as_view(), name="kpis"),
    path("kpis/series", views.KpiSeriesView.as_view(), name="kpi-series"),
    path("funnel", views.FunnelView.as_view(), name="funnel"),
    path("territories", views.TerritoryListView.as_view(), name="territories"),
    path("territories/<slug:code>", views.TerritoryDetailView.as_view(), name="territory"),
    path("reps", views.RepListView.as_view(), name="reps"),
    path("reps/<str:external_id>", views.RepDetailView.as_view(), name="rep"),
    path("deals", views.DealListView.as_view(), name="deals"),
    path("deals/<str:external_id>", views.DealDetailView.as_view(), name="deal"),
    path("targets", views.TargetListView.as_view(), name="targets"),
    path("targets/changes", views.TargetChangeListView.as_view(), name="target-changes"),
    path("targets/<int:pk>", views.TargetDetailView.as_view(), name="target"),
    path("imports", views.ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>", views.ImportDetailView.as_view(), name="import"),
    path("recompute", views.RecomputeView.as_view(), name="recompute"),
    path("recompute/<int:pk>", views.RecomputeRunView.as_view(), name="recompute-run"),
    # The schema and its docs, with Swagger UI and ReDoc assets served from this site (sidecar).
    path("schema", views.SchemaView.as_view(), name="schema"),
    path("docs", views.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc", views.RedocView.as_view(url_name="api:schema"), name="redoc"),
]

urlpatterns = [
    path("v1/", include(v1)),
    re_path(r"^", api_not_found, name="not-found"),
]
