from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kpi_dashboard.access import Role, reps_visible_to, territories_visible_to, user_role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Land every role on what it may open: the territories and reps it can see."""
    role = user_role(request.user)
    territories = territories_visible_to(user=request.user).order_by("path")
    reps = reps_visible_to(user=request.user).order_by("name") if role is not Role.ADMIN else None
    return render(
        request,
        "home.html",
        {"role": role, "territories": territories, "reps": reps, "is_admin": role is Role.ADMIN},
    )


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the container healthcheck."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
