"""Hostile query parameters, path parameters and bodies on every API operation of the OpenAPI schema."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from metrics.models import KpiRun, Target
from tests.helpers.hostile import HOSTILE, JSON_HOSTILE, row_counts
from tests.helpers.hostile_api import API_BODIES, API_PATHS, API_QUERIES, NUMBER, RAW_BODIES, assert_refused, sent_back

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("as_of")]


def test_every_api_operation_and_input_of_the_schema_is_covered():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {f"{method.upper()} {path}": op for path, ops in schema["paths"].items() for method, op in ops.items()}
    assert len(operations) == 19
    assert set(operations) == set(API_QUERIES) | set(API_PATHS) | set(API_BODIES)
    for key, operation in operations.items():
        parameters = {p["name"]: p["in"] for p in operation.get("parameters", [])}
        if key in API_QUERIES:
            assert {n for n, where in parameters.items() if where == "query"} == set(API_QUERIES[key][1]), key
        assert {n for n, where in parameters.items() if where == "path"} == (
            {re.search(r"\{(\w+)\}", key)[1]} if key in API_PATHS else set()
        ), key
        if key in API_BODIES:
            content = operation["requestBody"]["content"]
            ref = next(iter(content.values()))["schema"]["$ref"].rsplit("/", 1)[1]
            assert set(schema["components"]["schemas"][ref]["properties"]) == set(API_BODIES[key][1]), key


def test_methods_an_endpoint_does_not_have_answer_a_json_405(company, api):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for route, operations in schema["paths"].items():
        path = re.sub(r"\{\w+\}", "1", route)
        for method in {"get", "post", "put", "patch", "delete"} - set(operations):
            response = api.generic(method.upper(), path, b"{}", content_type="application/json")
            assert response.status_code == 405, (method, route)
            message = f'Method "{method.upper()}" not allowed.'
            assert response.json() == {"error": {"code": "method_not_allowed", "message": message, "fields": {}}}


@pytest.mark.parametrize("operation", sorted(k for k, (_, checks) in API_QUERIES.items() if checks))
def test_hostile_query_parameters_are_refused_naming_the_parameter(company, api, operation):
    valid, checks = API_QUERIES[operation]
    path = operation.split(" ", 1)[1]
    before = row_counts()
    for name, check in checks.items():
        for label, value in HOSTILE.items():
            response = api.get(path, {**valid, name: value})
            message = check(value)
            if message is None:
                assert response.status_code == 200, (name, label)
                assert response.json()["results"] == [], (name, label)  # free text that matches nothing
            else:
                assert_refused(response, 400, {name: [sent_back(message)]})
    assert row_counts() == before


def test_unknown_query_parameters_are_ignored(company, api):
    expected = api.get("/api/v1/territories").json()
    for value in HOSTILE.values():
        response = api.get("/api/v1/territories", {"x": value, "ordering": value, "page": value})
        assert response.status_code == 200
        assert response.json() == expected


@pytest.mark.parametrize(
    "scope", ["territory:' OR 1=1 --", "territory:<script>alert(1)</script>", "rep:'; DROP TABLE metrics_target; --"]
)
def test_payloads_behind_a_scope_prefix_name_nothing(company, api, scope):
    kind = scope.partition(":")[0]
    manager = APIClient()
    manager.force_login(company["manager_a"])
    for path in ("/api/v1/kpis", "/api/v1/funnel"):
        query = {"scope": scope, "period": "2025-Q4"}
        # An admin may name any scope, so it must exist; a manager is told it is not among theirs.
        assert_refused(api.get(path, query), 400, {"scope": [f"unknown {kind} in scope {scope!r}"]})
        hidden = manager.get(path, query)
        assert_refused(hidden, 404, {}, code="not_found")
        assert hidden.json()["error"]["message"] == f"No scope {scope!r} among those you may see."
    assert api.get("/api/v1/targets", {"scope": scope}).json()["results"] == []
    listed = manager.get("/api/v1/targets", {"scope": scope})
    assert_refused(listed, 400, {"scope": [f"no scope {scope} among those you may see"]})
    assert Target.objects.exists()  # the table is still there


@pytest.mark.parametrize("operation", sorted(API_PATHS))
def test_hostile_path_parameters_answer_a_json_404(company, api, operation):
    noun, pattern = API_PATHS[operation]
    method, route = operation.split(" ", 1)
    before = row_counts()
    for value in HOSTILE.values():
        path = re.sub(r"\{\w+\}", quote(value, safe=""), route)
        body = json.dumps({"value": "9000"}) if method == "PUT" else None
        response = getattr(api, method.lower())(path, body, content_type="application/json")
        if re.fullmatch(pattern, value):
            shown = str(int(value)) if pattern == NUMBER else value
            message = f"No {noun} {shown[:100]!r} among those you may see."
        else:
            decoded = re.sub(r"\{\w+\}", value, route)
            message = sent_back(
                f"No API endpoint at {decoded}. The endpoints are listed at /api/v1/docs (schema: /api/v1/schema)."
            )
        assert response.status_code == 404, path[:80]
        assert response.json() == {"error": {"code": "not_found", "message": message, "fields": {}}}
    assert row_counts() == before


def _body_path(operation: str, company) -> tuple[str, str]:
    method, route = operation.split(" ", 1)
    target = Target.objects.filter(rep=company["ana"]).order_by("month").first()
    return method.lower(), route.replace("{id}", str(target.pk))


@pytest.mark.parametrize("operation", sorted(k for k in API_BODIES if k != "POST /api/v1/imports"))
def test_hostile_json_body_fields_are_refused_naming_the_field_and_write_nothing(company, api, operation):
    valid, checks, success = API_BODIES[operation]
    method, path = _body_path(operation, company)
    for name, check in checks.items():
        for label, value in JSON_HOSTILE.items():
            before = row_counts()
            body = json.dumps({**valid, name: value})  # ASCII escapes: the lone surrogate travels as \ud800
            response = getattr(api, method)(path, body, content_type="application/json")
            message = check(value)
            if message is None:  # a valid value after all (a reason is free text, 0 is a target): stored as sent
                assert response.status_code == success, (name, label)
                assert stored(operation, response, company) == {name: str(value)}, (name, label)
                continue
            assert_refused(response, 400, {name: [sent_back(message)]})
            assert row_counts() == before, (name, label)


def stored(operation: str, response, company) -> dict[str, str]:
    """The accepted field as the database now holds it."""
    if operation == "POST /api/v1/recompute":
        return {"reason": KpiRun.objects.get(pk=response.json()["id"]).reason}
    if operation == "PUT /api/v1/targets/{id}":
        return {"value": f"{Target.objects.get(pk=response.json()['id']).value:f}".rstrip("0").rstrip(".")}
    months = Target.objects.filter(territory=company["tree"]["na-east"], kpi="revenue", month__year=2026)
    return {"value": f"{sum(t.value for t in months):f}".rstrip("0").rstrip(".")}


@pytest.mark.parametrize("operation", sorted(API_BODIES))
def test_bodies_that_are_not_an_object_of_fields_are_refused(company, api, operation):
    method, path = _body_path(operation, company)
    before = row_counts()
    for raw, content_type, status, code, message in RAW_BODIES:
        response = getattr(api, method)(path, raw, content_type=content_type)
        if operation == "POST /api/v1/imports":  # multipart only
            status, code = 415, "unsupported_media_type"
            message = f'Unsupported media type "{content_type}" in request.'
        assert response.status_code == status, (raw, content_type)
        if code == "invalid":
            expected = {
                "code": code,
                "message": f"non_field_errors: {message}",
                "fields": {"non_field_errors": [message]},
            }
        else:
            expected = {"code": code, "message": message, "fields": {}}
        assert response.json() == {"error": expected}
    assert row_counts() == before


def test_hostile_import_upload_fields_are_refused_and_write_nothing(company, api):
    valid, checks, success = API_BODIES["POST /api/v1/imports"]
    for name, check in checks.items():
        for label, value in HOSTILE.items():
            before = row_counts()
            data = {**valid, "file": SimpleUploadedFile("deals.csv", b"external_id\n"), name: value}
            response = api.post("/api/v1/imports", data, format="multipart")
            message = check(value)
            if message is None:  # a word DRF reads as a boolean: the (failing) import runs and is recorded
                assert response.status_code == success, (name, label)
                assert response.json()["status"] == "failed"
                continue
            assert_refused(response, 400, {"file.0" if name == "file" else name: [sent_back(message)]})
            assert row_counts() == before, (name, label)
