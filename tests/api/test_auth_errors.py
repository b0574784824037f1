"""Tokens, throttling, the one error shape for every failure, and the schema and docs served from this site."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from api import kpis

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert "Traceback" not in response.content.decode()
    return body["error"]


def test_a_token_reads_what_its_user_sees(world, api):
    client = api("token")
    assert (
        client.get("/api/v1/kpis?scope=territory:na&period=2025-Q1&kpi=revenue").json()["kpis"]["revenue"]["value"]
        == 3500
    )
    _error(client.get("/api/v1/kpis?scope=territory:uk&period=2025-Q1"), 404, "not_found")
    admin = api("admin_token")
    assert admin.get("/api/v1/kpis?scope=company&period=2025&kpi=deals_won").json()["kpis"]["deals_won"]["value"] == 4


def test_a_bad_token_is_401_with_the_scheme_to_use(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/territories")
    assert _error(response, 401, "authentication_failed")["message"] == "Invalid token."
    assert response["WWW-Authenticate"] == "Token"
    anonymous = APIClient().get("/api/v1/territories")
    assert _error(anonymous, 401, "not_authenticated")["message"] == "Authentication credentials were not provided."
    assert anonymous["WWW-Authenticate"] == "Token"


def test_token_users_are_throttled_sessions_are_not(world, api, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"anon": "100/min", "token": "3/min"}
    }
    token = api("token")
    assert [token.get("/api/v1/territories").status_code for _ in range(3)] == [200, 200, 200]
    refused = token.get("/api/v1/territories")
    assert _error(refused, 429, "throttled")["message"].startswith("Request was throttled.")
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another token user has their own count; a signed-in page user is never throttled.
    assert api("admin_token").get("/api/v1/territories").status_code == 200
    session = api("manager")
    assert {session.get("/api/v1/territories").status_code for _ in range(6)} == {200}


def test_anonymous_callers_are_throttled(world, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": {"anon": "2/min", "token": "9/min"}}
    client = APIClient()
    assert [client.get("/api/v1/schema").status_code for _ in range(2)] == [200, 200]
    _error(client.get("/api/v1/schema"), 429, "throttled")


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status", "code"),
    [
        ("delete", "/api/v1/kpis?scope=company&period=2025", {}, 405, "method_not_allowed"),
        ("patch", "/api/v1/targets/1", {"data": {}, "format": "json"}, 405, "method_not_allowed"),
        ("get", "/api/v1/territories", {"HTTP_ACCEPT": "text/html"}, 406, "not_acceptable"),
        ("post", "/api/v1/targets", {"data": "{not json", "content_type": "application/json"}, 400, "parse_error"),
        ("post", "/api/v1/targets", {"data": "x", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ("get", "/api/v1/no-such-thing", {}, 404, "not_found"),
        ("get", "/api/v1/kpis/", {}, 404, "not_found"),
        ("post", "/api/v2/kpis", {}, 404, "not_found"),
        ("get", "/api/", {}, 404, "not_found"),
        ("get", "/api/v1/targets/99999999999999999999999", {}, 404, "not_found"),
        ("get", "/api/v1/reps/%00", {}, 404, "not_found"),
    ],
)
def test_every_error_has_the_one_json_shape(world, api, method, url, kwargs, status, code):
    _error(getattr(api("admin"), method)(url, **kwargs), status, code)


def test_an_unexpected_failure_is_a_logged_json_500_without_a_traceback(world, api, monkeypatch, caplog):
    def broken(query):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(kpis, "kpi_report_snapshot", broken)
    response = api("admin").get("/api/v1/kpis?scope=company&period=2025")
    error = _error(response, 500, "server_error")
    assert "disk on fire" not in response.content.decode()
    assert error["message"] == "The server failed to answer this request; the failure has been logged."
    assert any("disk on fire" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_the_schema_is_valid_openapi_3_and_lists_every_endpoint(world):
    response = APIClient().get("/api/v1/schema?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert sorted(schema["paths"]) == [
        "/api/v1/deals", "/api/v1/deals/{external_id}", "/api/v1/funnel", "/api/v1/imports", "/api/v1/imports/{id}",
        "/api/v1/kpis", "/api/v1/kpis/series", "/api/v1/recompute", "/api/v1/recompute/{id}", "/api/v1/reps",
        "/api/v1/reps/{external_id}", "/api/v1/targets", "/api/v1/targets/changes", "/api/v1/targets/{id}",
        "/api/v1/territories", "/api/v1/territories/{code}",
    ]  # fmt: skip
    kpis = schema["paths"]["/api/v1/kpis"]["get"]
    assert [p["name"] for p in kpis["parameters"]] == ["kpi", "period", "scope"]
    assert kpis["responses"]["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("url", ["/api/v1/docs", "/api/v1/docs/redoc"])
def test_docs_pages_load_nothing_from_a_cdn(world, url):
    client = APIClient()
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert EXTERNAL.search(html) is None, EXTERNAL.search(html)
    assert not re.search(r"cdn|jsdelivr|unpkg|googleapis", html, re.IGNORECASE)
    assets = re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", html)
    assert assets, "the page loads its assets from this site's static files"
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file of this site"
    for script in re.findall(r"""src="(/api/[^"]+)\"""", html):  # Swagger UI's start-up script
        code = client.get(script).content.decode()
        assert not re.search(r"https?://", code), "the start-up script calls out to nowhere"
