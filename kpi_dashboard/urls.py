from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accounts.forms import AdminLoginForm, LoginForm

admin.site.site_header = "Territory KPI administration"
admin.site.site_title = "Territory KPI admin"
admin.site.index_title = "Territories, reps, targets and data"
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The audit log moved from the project package to accounts; its old admin address still leads there.
    re_path(
        r"^admin/kpi_dashboard/auditevent/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/accounts/auditevent/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
    # The REST API (the api app): /api/v1/..., its schema and docs; other /api/ URLs answer a JSON 404.
    path("api/", include("api.urls")),
    # The landing redirect, the health check and every dashboard page.
    path("", include("dashboards.urls")),
]
