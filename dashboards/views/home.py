"""The landing redirect and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.access import Role, user_role
from dashboards.converters import COMPANY, TERRITORY, ScopeRef


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its page: admin → company, manager → their territory (or a picker), rep → /me/."""
    role = user_role(request.user)
    if role is Role.ADMIN:
        return redirect("dashboard", scope=ScopeRef(COMPANY))
    if role is Role.MANAGER:
        managed = list(request.user.managed_territories.values_list("code", "path"))
        # A territory inside another managed one adds nothing: its manager lands on the outer one.
        tops = [code for code, path in managed if not any(path != p and path.startswith(p) for _, p in managed)]
        if len(tops) == 1:
            return redirect("dashboard", scope=ScopeRef(TERRITORY, tops[0]))
        return redirect("territory_picker")
    if role is Role.REP:
        return redirect("my_scorecard")
    return render(request, "home.html", {"role": role})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the container healthcheck."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
