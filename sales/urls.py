"""Drill-down lists behind KPI cards, for the company, a territory or a rep, with CSV exports."""

from django.urls import path

from sales import views

urlpatterns = [
    path("company/drill/<slug:kpi>/", views.company_drill, name="company_drill"),
    path("company/drill/<slug:kpi>.csv", views.company_drill_csv, name="company_drill_csv"),
    path("territories/<slug:code>/drill/<slug:kpi>/", views.territory_drill, name="territory_drill"),
    path("territories/<slug:code>/drill/<slug:kpi>.csv", views.territory_drill_csv, name="territory_drill_csv"),
    path("reps/<int:pk>/drill/<slug:kpi>/", views.rep_drill, name="rep_drill"),
    path("reps/<int:pk>/drill/<slug:kpi>.csv", views.rep_drill_csv, name="rep_drill_csv"),
]
