"""Every endpoint × method × kind of caller: the status the API answers.

The matrix is checked against the API's URL configuration, so an endpoint (or
a method on one) added without a row here fails ``test_the_matrix_covers_every_endpoint_and_method``.

Rules (the pages' rules, accounts.access): admins see everything; a manager
their subtrees and the reps assigned there; a rep their own scorecard; anyone
else signed in nothing. Out of scope answers 404 (like something unknown);
writes, imports and recomputes are for admins (403 for the others); no
credentials: 401. "token" is na-manager's API token: it sees what na-manager sees.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver

from api import urls as api_urls
from api.base import ApiView
from metrics.models import Target
from tests.helpers.api import ROLES, World, client_for

pytestmark = pytest.mark.django_db

SIGNED_IN = set(ROLES) - {"anonymous"}
NA_SIDE = {"admin", "manager", "token"}  # who sees na and its subtree
R_LINKED = NA_SIDE | {"rep"}  # who sees rep r-linked (assigned in na-east)
UK_SIDE = {"admin", "other_manager"}  # who sees emea and uk
R_UK = UK_SIDE | {"other_rep"}


def answers(ok: int, allowed: set[str], refused: int) -> dict[str, int]:
    """``ok`` for the roles in ``allowed``, 401 without credentials, ``refused`` for everyone else."""
    return {role: ok if role in allowed else 401 if role == "anonymous" else refused for role in ROLES}


def _zip(**files: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    buffer.seek(0)
    buffer.name = "crm.zip"
    return buffer


def _r_linked_target(world: World) -> int:
    return Target.objects.get(rep=world.reps["r-linked"]).pk


@dataclass(frozen=True)
class Case:
    name: str  # the URL name in api.urls
    method: str
    path: Any  # a path, or a function of the world giving one
    expected: dict[str, int]
    body: Any = None  # a dict, or a function giving one (fresh per request)
    multipart: bool = False
    label: str = field(default="")

    def url(self, world: World) -> str:
        return self.path(world) if callable(self.path) else self.path


Q1 = "period=2025-Q1"
CASES = [
    Case("kpis", "get", f"/api/v1/kpis?scope=company&{Q1}", answers(200, {"admin"}, 404), label="company"),
    Case("kpis", "get", f"/api/v1/kpis?scope=territory:na-east&{Q1}", answers(200, NA_SIDE, 404), label="na-east"),
    Case("kpis", "get", f"/api/v1/kpis?scope=territory:uk&{Q1}", answers(200, UK_SIDE, 404), label="uk"),
    Case("kpis", "get", f"/api/v1/kpis?scope=rep:r-linked&{Q1}", answers(200, R_LINKED, 404), label="r-linked"),
    Case("kpis", "get", f"/api/v1/kpis?scope=rep:r-uk&{Q1}", answers(200, R_UK, 404), label="r-uk"),
    Case(
        "kpi-series",
        "get",
        "/api/v1/kpis/series?scope=rep:r-linked&kpi=revenue&from=2025-01&to=2025-06",
        answers(200, R_LINKED, 404),
    ),
    Case(
        "kpi-series",
        "get",
        "/api/v1/kpis/series?scope=territory:na&kpi=win_rate&from=2025&to=2025&grain=quarter",
        answers(200, NA_SIDE, 404),
        label="na",
    ),
    Case("funnel", "get", f"/api/v1/funnel?scope=territory:uk&{Q1}", answers(200, UK_SIDE, 404)),
    Case("funnel", "get", f"/api/v1/funnel?scope=rep:r-linked&{Q1}", answers(200, R_LINKED, 404), label="r-linked"),
    Case("territories", "get", "/api/v1/territories", answers(200, SIGNED_IN, 0)),
    Case("territory", "get", "/api/v1/territories/na-east", answers(200, NA_SIDE, 404)),
    Case("territory", "get", "/api/v1/territories/emea", answers(200, UK_SIDE, 404), label="emea"),
    Case("reps", "get", "/api/v1/reps", answers(200, SIGNED_IN, 0)),
    Case("rep", "get", "/api/v1/reps/r-linked", answers(200, R_LINKED, 404)),
    Case("rep", "get", "/api/v1/reps/r-uk", answers(200, R_UK, 404), label="r-uk"),
    Case("rep", "get", "/api/v1/reps/r-west", answers(200, NA_SIDE, 404), label="r-west"),
    Case("deals", "get", "/api/v1/deals", answers(200, SIGNED_IN, 0)),
    Case("deal", "get", "/api/v1/deals/d-e1", answers(200, R_LINKED, 404)),
    Case("deal", "get", "/api/v1/deals/d-w1", answers(200, NA_SIDE, 404), label="d-w1"),
    Case("deal", "get", "/api/v1/deals/d-u1", answers(200, R_UK, 404), label="d-u1"),
    Case("targets", "get", "/api/v1/targets", answers(200, SIGNED_IN, 0)),
    Case(
        "targets",
        "post",
        "/api/v1/targets",
        answers(201, {"admin"}, 403),
        body={"scope": "rep:r-west", "kpi": "revenue", "period": "2025-Q3", "value": 3000},
    ),
    Case("target", "get", lambda w: f"/api/v1/targets/{_r_linked_target(w)}", answers(200, R_LINKED, 404)),
    Case(
        "target",
        "put",
        lambda w: f"/api/v1/targets/{_r_linked_target(w)}",
        answers(200, {"admin"}, 403),
        body={"value": "2500"},
    ),
    Case("target", "delete", lambda w: f"/api/v1/targets/{_r_linked_target(w)}", answers(204, {"admin"}, 403)),
    Case("target-changes", "get", "/api/v1/targets/changes", answers(200, SIGNED_IN, 0)),
    Case(
        "imports",
        "post",
        "/api/v1/imports",
        answers(201, {"admin"}, 403),
        body=lambda: {"file": _zip(**{"reps.csv": "external_id,name\nr-new,New Rep\n"}), "dry_run": "true"},
        multipart=True,
    ),
    Case("import", "get", lambda w: f"/api/v1/imports/{w.import_run.pk}", answers(200, {"admin"}, 403)),
    Case("recompute", "post", "/api/v1/recompute", answers(202, {"admin"}, 403), body={"since": "2025-11"}),
    Case("recompute-run", "get", lambda w: f"/api/v1/recompute/{w.run.pk}", answers(200, {"admin"}, 403)),
    # The schema and the docs describe the API (no data): open to everyone.
    Case("schema", "get", "/api/v1/schema", answers(200, set(ROLES), 0)),
    Case("docs", "get", "/api/v1/docs", answers(200, set(ROLES), 0)),
    Case("redoc", "get", "/api/v1/docs/redoc", answers(200, set(ROLES), 0)),
    Case("not-found", "get", "/api/v1/no-such-endpoint", answers(404, set(), 404) | {"anonymous": 404}),
]


def _case_id(case: Case) -> str:
    return f"{case.method.upper()} {case.name}{' ' + case.label if case.label else ''}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matrix(world, case: Case, role: str, django_capture_on_commit_callbacks):
    client = client_for(world, role)
    body = case.body() if callable(case.body) else case.body
    kwargs = {"format": "multipart" if case.multipart else "json"} if body is not None else {}
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, case.method)(case.url(world), body, **kwargs)
    expected = case.expected[role]
    assert response.status_code == expected, (role, response.content[:300])
    if expected >= 400:
        # Every refusal has the one error shape, in JSON.
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"code", "message", "fields"}
        assert (
            response.json()["error"]["code"]
            == {
                401: "not_authenticated",
                403: "permission_denied",
                404: "not_found",
            }[expected]
        )


def _endpoints() -> dict[str, set[str]]:
    """{URL name: the methods its view answers} for every URL under /api/."""

    def methods(callback) -> set[str]:
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class is None:
            return {"get"}  # a plain function view (the JSON 404 for unknown URLs)
        return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)}

    found: dict[str, set[str]] = {}

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"every API URL is named: {pattern}"
                found[pattern.name] = methods(pattern.callback)

    walk(api_urls.urlpatterns)
    return found


def test_the_matrix_covers_every_endpoint_and_method():
    endpoints = _endpoints()
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.name, set()).add(case.method)
        assert set(case.expected) == set(ROLES), f"{_case_id(case)} must say what every role gets"
    assert covered == endpoints


def test_every_data_endpoint_is_scoped_by_the_base_view():
    """Every view under /api/ but the schema, the docs and the JSON 404 is an ``ApiView``."""
    documentation = {"schema", "docs", "redoc", "not-found"}
    for name in set(_endpoints()) - documentation:
        pattern = next(p for p in api_urls.v1 if p.name == name)
        assert issubclass(pattern.callback.cls, ApiView), name


def test_a_view_cannot_take_over_scoping():
    with pytest.raises(TypeError, match="must not override get_queryset"):

        class Sneaky(ApiView):
            def get_queryset(self):
                return Target.objects.all()
