"""Hostile input against every API endpoint, page, login form and admin page: refused with a 4xx that says
what is wrong (or a sane fallback), never a 5xx, and nothing written.

The cases are walked, not listed: the API's operations and their parameters come from the OpenAPI schema,
the pages from the URL conf, the admin change lists, filters and autocomplete fields from the admin site's
registry. Each walk asserts it knows every entry it finds, so a new endpoint, parameter, page or admin
fails here until someone says what it must answer.

The hostile values: a megabyte, 10^30 and 10^20, -1 and 0, 1e400, NaN, "true", "[1, 2]" and '{"a": 1}' where
a number or a word is expected, NUL, a right-to-left override, emoji, combining accents, two SQL payloads
and two HTML payloads; JSON bodies also get real JSON types (numbers, a list, an object, a boolean, null) and
a lone surrogate (only JSON can carry one: query strings and forms are decoded as UTF-8 with replacement).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, urlencode

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape
from drf_spectacular.generators import SchemaGenerator
from rest_framework.fields import BooleanField
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from dashboards.converters import ScopeRef
from dashboards.page import BAD_INPUT_MESSAGE_MAX
from metrics.models import Distribution, KpiRecomputeRequest, KpiRun, Target, TargetChange
from metrics.registry import KPI_BY_KEY
from reps.models import SalesRep
from sales.models import Customer, Deal, ImportRun
from territories.models import Territory, TerritoryAssignment
from tests.factories import SalesRepFactory, UserFactory
from tests.helpers.worlds import world_held

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("as_of")]

MEGABYTE = "x" * 2**20
# Strings: what a query string, a form field or a path segment can carry.
HOSTILE = {
    "1 MB": MEGABYTE,
    "10^30": "1" + "0" * 30,
    "10^20": "1" + "0" * 20,
    "-1": "-1",
    "0": "0",
    "1e400": "1e400",
    "NaN": "NaN",
    "bool": "true",
    "list": "[1, 2]",
    "object": '{"a": 1}',
    "NUL": "a\x00b",
    "RTL override": "\u202eevil",
    "emoji": "\U0001f4a5\U0001f642",
    "combining": "e\u0301\u0301\u0301",
    "SQL or": "' OR 1=1 --",
    "SQL drop": "'; DROP TABLE metrics_target; --",
    "HTML script": "<script>alert(1)</script>",
    "HTML attribute": '"><img src=x onerror=alert(1)>',
}
# JSON body values: the strings above (the real JSON types in place of their look-alikes) and a lone surrogate.
JSON_HOSTILE = {
    **{name: value for name, value in HOSTILE.items() if name not in ("10^30", "10^20", "-1", "bool", "list")},
    "10^30": 10**30,
    "-1": -1,
    "1e308": 1e308,
    "bool": True,
    "list": ["a"],
    "object": {"a": 1},
    "null": None,
    "lone surrogate": "a\ud800b",
}
# Never in an HTML answer as they were sent.
RAW_PAYLOADS = ("<script>alert(1)", "<img src=x")

WATCHED = (
    Territory, TerritoryAssignment, SalesRep, Customer, Deal, Target, TargetChange, Distribution, KpiRun,
    KpiRecomputeRequest, ImportRun, AuditEvent, get_user_model(),
)  # fmt: skip


def row_counts() -> dict[str, int]:
    """Rows of every watched table, in one query (it runs after each of some thousand requests)."""
    counts = ", ".join(f'(SELECT count(*) FROM "{model._meta.db_table}")' for model in WATCHED)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")  # noqa: S608 - table names from the models, nothing from outside
        row = cursor.fetchone()
    return {model._meta.label: count for model, count in zip(WATCHED, row, strict=True)}


@pytest.fixture(scope="module")
def company(django_db_setup, django_db_blocker):
    """The dashboards' company with its snapshots, built once; each test runs in a savepoint, all rolled back."""
    with world_held(django_db_blocker) as built:
        yield built


@pytest.fixture
def api(company) -> APIClient:
    """The admin's session (sessions are not throttled; tokens would be after 1,200 calls a minute)."""
    client = APIClient()
    client.force_login(company["admin"])
    return client


def assert_no_raw_payload(response) -> None:
    if "html" in response.get("Content-Type", ""):
        html = response.content.decode()
        for payload in RAW_PAYLOADS:
            assert payload not in html


# --- what the API says back ----------------------------------------------------------------------------

MESSAGE_MAX_CHARS = 1000  # api.exceptions: a refused value is quoted back at most this long


def sent_back(text: str) -> str:
    """A message as the API sends it: lone surrogates written as \\udXXX escapes, cut at 1,000 characters."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MESSAGE_MAX_CHARS else text[: MESSAGE_MAX_CHARS - 1] + "…"


PERIOD_FORMS = "is not one of YYYY-MM, YYYY-Qn (n = 1..4), YYYY or YYYY-MM-DD..YYYY-MM-DD"
KNOWN_KPIS = ", ".join(KPI_BY_KEY)
NOT_A_CURSOR = "not a cursor given out by this API (use the next or previous link)"
ORDERINGS = "closed_on, -closed_on, created_on, -created_on, amount, -amount, external_id, -external_id"

Check = Callable[[object], str | None]  # a hostile value → the one message refusing it, or None if accepted


def period_error(text: str) -> str:
    return f"period {text!r} {PERIOD_FORMS}"


def drf_text(max_length: int, then: Callable[[str], str | None]) -> Check:
    """A DRF CharField: types, length, NUL and surrogates first, then ``then`` on the text."""

    def check(value) -> str | None:
        if value is None:
            return "This field may not be null."
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return "Not a valid string."
        text = str(value)
        if len(text) > max_length:
            return f"Ensure this field has no more than {max_length} characters."
        if "\x00" in text:
            return "Null characters are not allowed."
        surrogates = [c for c in text if 0xD800 <= ord(c) <= 0xDFFF]
        if surrogates:
            return f"Surrogate characters are not allowed: U+{ord(surrogates[0]):X}."
        return then(text)

    return check


def drf_choice(value) -> str:
    return "This field may not be null." if value is None else f'"{value}" is not a valid choice.'


def form_text(max_length: int | None, then: Callable[[str], str | None]) -> Check:
    """A Django form CharField (django-filter's fields are ones): length, NUL, then ``then``."""

    def check(text: str) -> str | None:
        if max_length is not None and len(text) > max_length:
            return f"Ensure this value has at most {max_length} characters (it has {len(text)})."
        if "\x00" in text:
            return "Null characters are not allowed."
        return then(text)

    return check


def integer(maximum: int) -> Check:
    """``api.pagination.int_param``."""

    def check(text: str) -> str | None:
        try:
            value = int(text)
        except ValueError:
            return f"{text[:40]!r} is not a whole number"
        return None if 1 <= value <= maximum else f"must be between 1 and {maximum}, got {value}"

    return check


def choice(text: str) -> str:
    return f"Select a valid choice. {text} is not one of the available choices."


def report_scope(text: str) -> str:
    return f"{text[:80]!r} is not company, territory:<code> or rep:<external_id>"


def target_scope(text: str) -> str:
    return f"{text[:80]!r} is not territory:<code> or rep:<external_id>"


def unknown_kpis(text: str) -> str:
    keys = [k.strip() for k in text.split(",") if k.strip()]
    return f"unknown KPI {', '.join(map(repr, keys))}; known: {KNOWN_KPIS}"


def target_value(text: str) -> str | None:
    """What ``metrics.services.targets.target_input_clean`` says of a revenue target of ``text`` (None: valid)."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return f"{text!r} is not a number"
    if not amount.is_finite():
        return f"{text!r} is not a number"
    if amount < 0:
        return "a target cannot be negative"
    return "is too large (at most 13 digits before the decimal point)" if amount >= Decimal("1e13") else None


DATE = "Enter a valid date."
PAGE, PAGE_SIZE = integer(2**31), integer(500)
REPORT_SCOPE = drf_text(200, report_scope)

# Every GET operation with query parameters: a valid query, and each parameter's check.
API_QUERIES: dict[str, tuple[dict, dict[str, Check]]] = {
    "GET /api/v1/kpis": (
        {"scope": "company", "period": "2025-Q4", "kpi": "revenue"},
        {"scope": REPORT_SCOPE, "period": drf_text(40, period_error), "kpi": drf_text(2000, unknown_kpis)},
    ),
    "GET /api/v1/kpis/series": (
        {"scope": "company", "kpi": "revenue", "from": "2025-01", "to": "2025-12", "grain": "month"},
        {
            "scope": REPORT_SCOPE,
            "kpi": drf_text(40, lambda t: f"unknown KPI {t[:40]!r}; known: {KNOWN_KPIS}"),
            "from": drf_text(40, lambda t: f"{period_error(t)}; or a day YYYY-MM-DD"),
            "to": drf_text(40, lambda t: f"{period_error(t)}; or a day YYYY-MM-DD"),
            "grain": drf_choice,
        },
    ),
    "GET /api/v1/funnel": (
        {"scope": "company", "period": "2025-Q4"},
        {"scope": REPORT_SCOPE, "period": drf_text(40, period_error)},
    ),
    "GET /api/v1/territories": ({}, {}),
    "GET /api/v1/reps": (
        {"territory": "na", "search": "a", "page": "1", "page_size": "10"},
        {
            "territory": form_text(None, lambda t: f"no territory {t} among those you may see"),
            "search": form_text(100, lambda t: None),  # free text: matches no rep
            "page": PAGE,
            "page_size": PAGE_SIZE,
        },
    ),
    "GET /api/v1/deals": (
        {
            "territory": "na",
            "rep": "r-a",
            "stage": "won",
            "closed_from": "2025-01-01",
            "closed_to": "2025-12-31",
            "created_from": "2025-01-01",
            "created_to": "2025-12-31",
            "ordering": "amount",
            "page_size": "10",
        },
        {
            "territory": form_text(None, lambda t: f"no territory {t} among those you may see"),
            "rep": form_text(None, lambda t: f"no rep {t} among those you may see"),
            "stage": choice,
            "closed_from": lambda t: DATE,
            "closed_to": lambda t: DATE,
            "created_from": lambda t: DATE,
            "created_to": lambda t: DATE,
            "cursor": lambda t: NOT_A_CURSOR,
            "ordering": lambda t: f"{t[:40]!r} is not one of {ORDERINGS}",
            "page_size": PAGE_SIZE,
        },
    ),
    "GET /api/v1/targets": (
        {
            "scope": "territory:na-east",
            "kpi": "revenue",
            "month_from": "2025-01",
            "month_to": "2025-12",
            "page": "1",
            "page_size": "10",
        },
        {
            "scope": form_text(200, target_scope),
            "kpi": choice,
            "month_from": lambda t: DATE,
            "month_to": lambda t: DATE,
            "page": PAGE,
            "page_size": PAGE_SIZE,
        },
    ),
    "GET /api/v1/targets/changes": (
        {"scope": "territory:na-east", "kpi": "revenue", "source": "admin", "page": "1", "page_size": "10"},
        {"scope": form_text(200, target_scope), "kpi": choice, "source": choice, "page": PAGE, "page_size": PAGE_SIZE},
    ),
}

# Every operation with a path parameter: what it names, and the URL converter's pattern.
SLUG, TEXT, NUMBER = r"[-a-zA-Z0-9_]+", r"[^/]+", r"[0-9]+"
API_PATHS: dict[str, tuple[str, str]] = {
    "GET /api/v1/territories/{code}": ("territory", SLUG),
    "GET /api/v1/reps/{external_id}": ("rep", TEXT),
    "GET /api/v1/deals/{external_id}": ("deal", TEXT),
    "GET /api/v1/imports/{id}": ("import run", NUMBER),
    "GET /api/v1/recompute/{id}": ("recompute run", NUMBER),
    "GET /api/v1/targets/{id}": ("target", NUMBER),
    "PUT /api/v1/targets/{id}": ("target", NUMBER),
    "DELETE /api/v1/targets/{id}": ("target", NUMBER),
}

NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."
BOOLEAN_WORDS = {str(v).lower() for v in BooleanField.TRUE_VALUES | BooleanField.FALSE_VALUES}
# Every operation with a body: a valid body, each field's check (None: any text is accepted), the success status.
API_BODIES: dict[str, tuple[dict, dict[str, Check], int]] = {
    "POST /api/v1/targets": (
        {"scope": "territory:na-east", "kpi": "revenue", "period": "2026-Q1", "value": "9000", "distribution": ""},
        {
            "scope": drf_text(200, target_scope),
            "kpi": drf_choice,
            "period": drf_text(40, period_error),
            "value": drf_text(40, target_value),
            "distribution": drf_text(100, lambda t: f"unknown distribution {t!r}"),
        },
        201,
    ),
    "PUT /api/v1/targets/{id}": ({"value": "9000"}, {"value": drf_text(40, target_value)}, 200),
    "POST /api/v1/recompute": (
        {"since": "2025-01", "reason": "month end"},
        {"since": drf_text(7, period_error), "reason": drf_text(200, lambda t: None)},
        202,
    ),
    "POST /api/v1/imports": (
        {"format": "generic", "dry_run": "true"},
        {
            "file": lambda t: NOT_A_FILE,
            "format": drf_choice,
            "dry_run": lambda t: None if t.lower() in BOOLEAN_WORDS else "Must be a valid boolean.",
        },
        201,
    ),
}

# Bodies that are not an object of fields, for every JSON operation: (body, content type) → status, code, message.
DICT_EXPECTED = "Invalid data. Expected a dictionary, but got {}."
RAW_BODIES = [
    (b"{", "application/json", 400, "parse_error",
     "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b"[1, 2]", "application/json", 400, "invalid", DICT_EXPECTED.format("list")),
    (b'"x"', "application/json", 400, "invalid", DICT_EXPECTED.format("str")),
    (b"1", "application/json", 400, "invalid", DICT_EXPECTED.format("int")),
    (b"true", "application/json", 400, "invalid", DICT_EXPECTED.format("bool")),
    (b"null", "application/json", 400, "invalid", "No data provided"),
    (b'{"value": NaN}', "application/json", 400, "parse_error",
     "JSON parse error - Out of range float values are not JSON compliant: 'NaN'"),
    (b"\xff\xfe\xfa", "application/json", 400, "parse_error",
     "JSON parse error - 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    (b'{"a": 1}', "text/plain", 415, "unsupported_media_type", 'Unsupported media type "text/plain" in request.'),
    (b"<x/>", "application/xml", 415, "unsupported_media_type",
     'Unsupported media type "application/xml" in request.'),
]  # fmt: skip


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


def assert_refused(response, status: int, fields: dict[str, list[str]], code: str = "invalid") -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["fields"] == fields
    assert error["code"] == code
    if fields:
        assert error["message"] == "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
    assert len(response.content) < 8 * MESSAGE_MAX_CHARS  # a refused megabyte is not sent back


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


# --- pages ---------------------------------------------------------------------------------------------

LEADERBOARD_SORTS = "rank, name, territory, revenue, target, attainment, deals_won, win_rate"
DRILL_SORTS = "deal, customer, owner, territory, stage, created, closed, amount, refunded, net"
# url name → the query parameters the page reads. A page missing here fails the walk.
PAGE_READS: dict[str, tuple[str, ...]] = {
    "home": (), "healthz": (), "login": (), "logout": (),
    "dashboard": ("period",), "cards_csv": ("period",),
    "leaderboard": ("period", "sort", "page"), "leaderboard_csv": ("period",),
    "territory_picker": ("scope", "period"),
    "my_scorecard": ("period",), "scorecard": ("period",),
    "drill": ("period", "sort", "page"), "drill_csv": ("period", "sort"),
}  # fmt: skip
# What each page answers when nothing is wrong (signed in as an admin; /me/ as a rep).
PAGE_STATUS = {"home": 302, "login": 302, "logout": 405}


def page_routes() -> list[tuple[str, str | None, tuple[str, ...]]]:
    """(url name, kind of scope, its URL parameters) of every page of the URL conf, once per kind of scope the page
    takes (the admin and the API have their own walks)."""

    def walk(resolver: URLResolver, prefix: str = ""):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if route.lstrip("^").startswith(("admin/", "api/")):
                continue
            if isinstance(entry, URLResolver):
                yield from walk(entry, route)
            elif isinstance(entry, URLPattern):
                yield entry.name, entry.pattern.converters

    routes = []
    for name, converters in walk(get_resolver()):
        kinds = getattr(converters.get("scope"), "kinds", (None,))
        routes.extend((name, kind, tuple(converters)) for kind in kinds)
    return routes


def bad_page(response, field: str, message: str) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    if len(message) > BAD_INPUT_MESSAGE_MAX:  # the quote of a refused megabyte is cut, not sent back
        message = message[: BAD_INPUT_MESSAGE_MAX - 1] + "…"
        assert len(response.content) < 16 * BAD_INPUT_MESSAGE_MAX
    assert f"The <code>{field}</code> parameter is wrong: {escape(message)}</p>" in html
    assert_no_raw_payload(response)


def test_every_page_is_walked():
    assert {name for name, _, _ in page_routes()} == set(PAGE_READS)


def test_hostile_query_parameters_on_every_page_get_a_4xx_naming_them_or_a_fallback(company):
    client = Client()
    scopes = {"company": ScopeRef("company"), "territory": ScopeRef("territory", "na"),
              "rep": ScopeRef("rep", company["ana"].pk)}  # fmt: skip
    for name, kind, params in page_routes():
        user = company["rep_a"] if name == "my_scorecard" else company["admin"]
        client.force_login(user)
        kwargs = {"scope": scopes.get(kind), "pk": company["ana"].pk, "kpi": "revenue"}
        url = reverse(name, kwargs={p: kwargs[p] for p in params})
        ok = PAGE_STATUS.get(name, 200)
        reads = PAGE_READS[name]
        for value in HOSTILE.values():
            text = value.strip()
            if not reads:  # a page without parameters ignores them
                assert client.get(url, {"period": value, "sort": value}).status_code == ok, name
            if "period" in reads and name != "territory_picker":
                bad_page(client.get(url, {"period": value}), "period", period_error(text))
            if "sort" in reads:
                columns = LEADERBOARD_SORTS if "leaderboard" in name else DRILL_SORTS
                message = f"{text!r} is not a column; sort by one of {columns}"
                bad_page(client.get(url, {"sort": value}), "sort", message)
            if "page" in reads:  # Django's paginator falls back to the first (or the last) page
                response = client.get(url, {"page": value})
                assert response.status_code == 200
                assert (response.context["page"].number, response.context["page"].paginator.num_pages) == (1, 1)
                assert_no_raw_payload(response)
            if "scope" in reads:
                assert client.get(url, {"scope": value}).status_code == 404
                moved = client.get(url, {"scope": "company", "period": value})
                location = f"/company/?{urlencode({'period': text})}"
                if len(location) > 2048:  # Django refuses to redirect that far (DisallowedRedirect)
                    assert moved.status_code == 400
                else:
                    assert (moved.status_code, moved["Location"]) == (302, location)


@pytest.mark.parametrize(("period", "status"), [
    ("0001", 400), ("0001-Q1", 400), ("0001-01", 400), ("9999", 400), ("9999-Q4", 400), ("9999-12", 400),
    ("0002-01", 200), ("9998-12", 200), ("9998-Q4", 200),
])  # fmt: skip
def test_periods_at_the_ends_of_the_calendar_are_refused_not_a_500(company, client, period, status):
    client.force_login(company["admin"])
    pages = ["/company/", "/company/leaderboard/", "/company/cards.csv", "/company/leaderboard.csv",
             f"/reps/{company['ana'].pk}/", "/company/drill/revenue/", "/company/drill/revenue.csv"]  # fmt: skip
    for page in pages:
        response = client.get(page, {"period": period})
        if status == 400:
            bad_page(response, "period", f"{period} is out of range: dashboards show the years 2 to 9998")
        else:
            assert response.status_code == 200, page


# --- logging in ----------------------------------------------------------------------------------------

UNSAFE_NEXT = [
    "https://evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "https:evil.example", " https://evil.example", "javascript:alert(1)", "https://evil.example@testserver/",
    "http://testserver@evil.example/",
]  # fmt: skip
PASSWORD = "pw-for-tests-1"


@pytest.fixture
def staff_login(db):
    """A superuser whose password was hashed with the tests' hasher (the module's users were not)."""
    return UserFactory(username="door", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(("login_url", "signed_in"), [("/login/", "/"), ("/admin/login/", "/admin/")])
def test_login_never_redirects_off_site(company, staff_login, login_url, signed_in):
    user = staff_login
    for index, target in enumerate(UNSAFE_NEXT):
        client = Client()
        form = client.get(login_url, {"next": target})
        assert form.status_code == 200
        assert 'name="next" value=""' in form.content.decode()  # the unsafe target is not even offered
        done = client.post(
            login_url, {"username": user.username, "password": PASSWORD, "next": target}, REMOTE_ADDR=f"10.0.0.{index}"
        )
        assert (done.status_code, done["Location"]) == (302, "/"), target  # LOGIN_REDIRECT_URL instead
        again = client.get(login_url, {"next": target})  # signed in: sent on, and still not off site
        assert (again.status_code, again["Location"]) == (302, signed_in), target
    client = Client()
    local = client.post(login_url, {"username": user.username, "password": PASSWORD, "next": "/company/"})
    assert local["Location"] == "/company/"
    crlf = Client().post(login_url, {"username": user.username, "password": PASSWORD, "next": "/\r\nSet-Cookie: x=1"})
    assert crlf["Location"] == "/%0D%0ASet-Cookie:%20x=1"  # percent-encoded: no header injection


def login_field_error(field: str, value: str) -> str | None:
    """The error a login form shows on ``field`` before anyone is looked up, or None."""
    if field == "username" and len(value) > 150:
        return f"Ensure this value has at most 150 characters (it has {len(value)})."
    return "Null characters are not allowed." if "\x00" in value else None


@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_hostile_credentials_re_render_the_login_form(company, staff_login, login_url):
    wrong = (
        "Please enter the correct username and password for a staff account. Note that both fields may be "
        "case-sensitive."
        if login_url.startswith("/admin/")
        else "Please enter a correct username and password. Note that both fields may be case-sensitive."
    )
    for field in ("username", "password"):
        for index, value in enumerate(HOSTILE.values()):
            client = Client()
            data = {"username": staff_login.username, "password": PASSWORD, field: value}
            attempts = AccessAttempt.objects.count()
            response = client.post(login_url, data, REMOTE_ADDR=f"10.1.{len(field)}.{index}")
            assert response.status_code == 200, (field, value[:20])
            html = response.content.decode()
            error = login_field_error(field, value)
            if error:  # refused by the form: axes is not even asked
                assert response.context["form"].errors == {field: [error]}
                assert escape(error) in html
                assert AccessAttempt.objects.count() == attempts
            else:
                assert response.context["form"].errors == {"__all__": [wrong]}
                assert AccessAttempt.objects.count() == attempts + 1
            assert "_auth_user_id" not in client.session
            assert_no_raw_payload(response)


# --- the admin: change lists, filters, searches, autocomplete ------------------------------------------

NUL_REASON = "which no text in the database holds."
ADMIN_VALUES = {
    "NUL": "a\x00b",
    "10^30": HOSTILE["10^30"],
    "superscript two": "\u00b2",  # str.isdigit() says yes, int() says no
    "payload": "'; DROP TABLE metrics_target; --<script>alert(1)</script>",
}


def admin_changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    ]


def test_the_admin_registry_is_walked():
    urls = set(admin_changelists())
    assert len(urls) == 28
    assert {"/admin/territories/territory/", "/admin/metrics/target/", "/admin/sales/importrun/"} <= urls


def test_hostile_change_list_parameters_answer_400_or_the_admins_own_fallback(company, admin_client):
    for url in admin_changelists():
        changelist = admin_client.get(url).context["cl"]
        names = ["q", "o", "p"] + [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
        if changelist.date_hierarchy:
            names += [f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day")]
        for name in names:
            for label, value in ADMIN_VALUES.items():
                response = admin_client.get(url, {name: value})
                if "\x00" in value:
                    message = f"The query parameter {name!r} contains a NUL character, {NUL_REASON}"
                elif re.search(r"__(year|month|day)$", name) and not re.fullmatch("[0-9]{1,4}", value):
                    message = f"The query parameter {name!r} is not a year, month or day: {value[:40]!r}."
                else:  # shown filtered, or Django's own answer to a lookup it cannot make: back to ?e=1
                    assert response.status_code in (200, 302), (url, name, label)
                    if response.status_code == 302:
                        assert response["Location"] == f"{url}?e=1", (url, name, label)
                    assert_no_raw_payload(response)
                    continue
                assert response.status_code == 400, (url, name, label)
                assert response["Content-Type"] == "text/plain; charset=utf-8"
                assert response.content.decode() == message


def autocomplete_fields() -> list[tuple[object, str]]:
    """(model admin or inline, field name) of every autocomplete field of the admin."""
    found = []
    request = RequestFactory().get("/")
    for model_admin in admin.site._registry.values():
        for owner in [model_admin, *(inline(model_admin.model, admin.site) for inline in model_admin.inlines)]:
            found += [(owner, name) for name in owner.get_autocomplete_fields(request)]
    return found


def test_autocomplete_searches_refuse_nul_and_find_nothing_for_payloads(company, admin_client):
    fields = autocomplete_fields()
    assert len(fields) == 18
    for owner, name in fields:
        meta = owner.model._meta
        query = {"app_label": meta.app_label, "model_name": meta.model_name, "field_name": name}
        for value in HOSTILE.values():
            response = admin_client.get("/admin/autocomplete/", {**query, "term": value})
            if "\x00" in value:
                assert response.status_code == 400
                continue
            assert response.status_code == 200, (owner, name)
            found = response.json()
            assert found["pagination"] == {"more": False}
            # Only what the text names ("-1" finds deal d-1); every payload finds nothing.
            assert all(value.lower() in row["text"].lower() for row in found["results"]), (owner, name, value[:20])
            if not re.fullmatch(r"-?[0-9]+", value):
                assert found["results"] == [], (owner, name, value[:20])


def test_every_autocomplete_field_re_renders_a_refused_value_instead_of_failing(company, rf):
    request = rf.post("/")
    request.user = company["admin"]
    for owner, name in autocomplete_fields():
        inline = isinstance(owner, admin.options.InlineModelAdmin)
        form_class = owner.get_formset(request).form if inline else owner.get_form(request)
        many = form_class.base_fields[name].widget.widget.allow_multiple_selected
        for value in HOSTILE.values():
            form = form_class(data={name: [value] if many else value})
            assert not form.is_valid()
            assert form.errors[name] == [autocomplete_error(value, many=many)], (owner, name)
            html = str(form[name])  # Django's own widget failed here on text for an integer id
            assert f'name="{name}"' in html
            assert "<script>alert(1)" not in html


def autocomplete_error(value: str, *, many: bool) -> str:
    if "\x00" in value:
        return "Null characters are not allowed."
    if not many:
        return "Select a valid choice. That choice is not one of the available choices."
    try:
        int(value)
    except ValueError:
        return f"“{value}” is not a valid value."
    return f"Select a valid choice. {value} is not one of the available choices."


# --- admin forms ---------------------------------------------------------------------------------------

Errors = Callable[[str], list[str]]  # a hostile value → the field's errors ([] when the value is accepted)
SLUG_MESSAGE = "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
NO_CHOICE = "Select a valid choice. That choice is not one of the available choices."
# Plain text fields take every number and word look-alike as text: two of them stand for the rest there.
PLAIN_TEXT_SKIPS = ("10^20", "-1", "0", "1e400", "NaN", "bool", "list")


def text_field(max_length: int, *, slug: bool = False, email: bool = False) -> Errors:
    """A Django CharField (a SlugField, an EmailField): its own validator, then the length, then NUL."""

    def errors(value: str) -> list[str]:
        found = []
        if slug and not re.fullmatch(r"[-a-zA-Z0-9_]+", value):
            found.append(SLUG_MESSAGE)
        if email:
            found.append("Enter a valid email address.")  # no hostile value is one
        if len(value) > max_length:
            found.append(f"Ensure this value has at most {max_length} characters (it has {len(value)}).")
        if "\x00" in value:
            found.append("Null characters are not allowed.")
        return found

    errors.plain_text = not (slug or email)
    return errors


def date_field(value: str) -> list[str]:
    return ["Enter a valid date."]


def related(value: str) -> list[str]:
    return ["Null characters are not allowed." if "\x00" in value else NO_CHOICE]


def form_choice(value: str) -> list[str]:
    return [choice(value)]


def target_entry_errors(field: str) -> Errors:
    """The target entry form: text fields whose rules live in ``target_input_clean``."""

    def errors(value: str) -> list[str]:
        if "\x00" in value:
            return ["Null characters are not allowed."]
        if field in ("period", "value") and len(value) > 40:
            return [f"Ensure this value has at most 40 characters (it has {len(value)})."]
        if field == "scope":
            return [f"{value!r} is not territory:<code> or rep:<external_id>"]
        if field == "kpi":
            return [f"unknown KPI {value!r}"]
        if field == "period":
            return [period_error(value)]
        message = target_value(value)
        return [message] if message else []

    return errors


def decimal_field(max_digits: int, *, below_zero: str) -> Errors:
    """A Django DecimalField of ``max_digits`` digits that refuses a negative number with ``below_zero``."""

    def errors(value: str) -> list[str]:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return ["Enter a number."]
        if not number.is_finite():
            return ["Enter a number."]
        if number < 0:
            return [below_zero]
        digits = len(number.as_tuple().digits) + max(number.as_tuple().exponent, 0)
        if digits > max_digits:
            return [f"Ensure that there are no more than {max_digits} digits in total."]
        return []

    return errors


def admin_forms(world) -> dict[str, tuple[str, Callable[[int], dict], dict[str, Errors]]]:
    """form → (URL, a valid POST for case number n, each field's errors). Unique fields take n."""
    tree, target = world["tree"], Target.objects.filter(rep=world["ana"]).order_by("month").first()
    free = SalesRepFactory(external_id="r-free", name="Free Rep")  # no assignment for a refused date to overlap
    months = dict.fromkeys(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov"], "8.33")
    return {
        "territory add": (
            reverse("admin:territories_territory_add"),
            lambda n: {"code": f"t{n}", "name": "T", "treebeard_position": "sorted-child",
                       "treebeard_ref_node": tree["na"].pk},
            {"code": text_field(64, slug=True), "name": text_field(200), "treebeard_position": form_choice,
             "treebeard_ref_node": related},
        ),
        "territory change": (
            reverse("admin:territories_territory_change", args=[tree["na-west"].pk]),
            lambda n: {"code": "na-west", "name": "NA West", "treebeard_position": "sorted-child",
                       "treebeard_ref_node": tree["na"].pk},
            {"name": text_field(200)},
        ),
        "rep add": (
            reverse("admin:reps_salesrep_add"),
            lambda n: {"name": "N", "external_id": f"r-{n}", "email": "", "user": "", "hired_on": "2020-01-01",
                       "left_on": "", "assignments-TOTAL_FORMS": "1", "assignments-INITIAL_FORMS": "0",
                       "assignments-MIN_NUM_FORMS": "0", "assignments-MAX_NUM_FORMS": "1000",
                       "assignments-0-territory": tree["uk"].pk, "assignments-0-start_date": "2024-01-01",
                       "assignments-0-end_date": ""},
            {"name": text_field(200), "external_id": text_field(100), "email": text_field(254, email=True),
             "user": related, "hired_on": date_field, "left_on": date_field, "assignments-0-territory": related,
             "assignments-0-start_date": date_field},
        ),
        "assignment add": (
            reverse("admin:territories_territoryassignment_add"),
            lambda n: {"rep": free.pk, "territory": tree["uk"].pk, "start_date": "2010-01-01",
                       "end_date": "2010-12-31"},
            {"rep": related, "territory": related, "start_date": date_field, "end_date": date_field},
        ),
        "target entry": (
            reverse("admin:metrics_target_add"),
            lambda n: {"scope": "territory:na", "kpi": "revenue", "period": "2026-Q1", "value": "1000",
                       "distribution": "", "_save": "1"},
            {**{f: target_entry_errors(f) for f in ("scope", "kpi", "period", "value")}, "distribution": related},
        ),
        "target change": (
            reverse("admin:metrics_target_change", args=[target.pk]),
            lambda n: {"value": "123"},
            {"value": decimal_field(18, below_zero="a target cannot be negative")},
        ),
        "distribution add": (
            reverse("admin:metrics_distribution_add"),
            lambda n: {"name": f"D{n}", "description": "", **months, "dec": "8.37"},
            {"name": text_field(100), "description": text_field(300)},
        ),
        "customer add": (
            reverse("admin:sales_customer_add"),
            lambda n: {"external_id": f"c-{n}", "name": "C", "sector": "retail", "territory": tree["uk"].pk,
                       "owner": world["cara"].pk, "churned_on": ""},
            {"external_id": text_field(200), "name": text_field(200), "sector": text_field(100),
             "churned_on": date_field},
        ),
        "import upload": (
            reverse("admin:sales_importrun_upload"),
            lambda n: {"format": "generic", "dry_run": "on"},
            {"format": form_choice},
        ),
    }  # fmt: skip


# Where an accepted value of these forms is stored (in the field of the same name).
SAVED_IN = {
    "territory add": Territory, "territory change": Territory, "rep add": SalesRep, "distribution add": Distribution,
    "customer add": Customer,
}  # fmt: skip


def form_errors(response) -> dict[str, list[str]]:
    """The errors of the form a page shows again, inline rows as "<prefix>-<row>-<field>"."""
    context = response.context
    form = context["adminform"].form if "adminform" in context else context["form"]
    errors = {name: list(messages) for name, messages in form.errors.items()}
    for inline in context.get("inline_admin_formsets", []):
        for row, row_errors in enumerate(inline.formset.errors):
            errors |= {f"{inline.formset.prefix}-{row}-{name}": list(m) for name, m in row_errors.items()}
    return errors


def test_hostile_admin_form_fields_re_render_with_the_field_error_and_write_nothing(company, admin_client):
    cases = 0
    for form_name, (url, valid, fields) in admin_forms(company).items():
        for field, expected_errors in fields.items():
            plain = getattr(expected_errors, "plain_text", False)
            for label, value in HOSTILE.items():
                if plain and label in PLAIN_TEXT_SKIPS:
                    continue
                cases += 1
                before = row_counts()
                data = {**valid(cases), field: value}
                if form_name == "import upload":
                    data["files"] = SimpleUploadedFile("deals.csv", b"external_id\n")
                response = admin_client.post(url, data)
                expected = expected_errors(value)
                if not expected:  # a value the field takes (a name, a code that is a slug): saved as sent
                    assert response.status_code == 302, (form_name, field, label, form_errors(response))
                    if form_name in SAVED_IN:
                        assert SAVED_IN[form_name].objects.filter(**{field: value}).exists(), (form_name, field)
                    continue
                assert response.status_code == 200, (form_name, field, label)
                assert form_errors(response) == {field: expected}, (form_name, field, label)
                for message in expected:
                    assert escape(message)[:200] in response.content.decode(), (form_name, field, label)
                assert_no_raw_payload(response)
                assert row_counts() == before, (form_name, field, label)
    assert cases == 30 * len(HOSTILE) - 9 * len(PLAIN_TEXT_SKIPS)


def test_hostile_quota_grid_filters_and_cells_change_nothing(company, admin_client):
    grid = reverse("admin:metrics_target_grid")
    filters = {
        "year": lambda v: (
            ["Ensure this value is less than or equal to 2999."] if re.fullmatch("[0-9]+", v) and int(v) > 2999
            else ["Ensure this value is greater than or equal to 1900."] if re.fullmatch("-?[0-9]+", v)
            else ["Enter a whole number."]
        ),
        "kpi": form_choice,
        "territory": form_choice,
    }  # fmt: skip
    for name, expected in filters.items():
        for value in HOSTILE.values():
            response = admin_client.get(grid, {"year": "2025", "kpi": "revenue", name: value})
            if "\x00" in value:  # refused in front of every admin page
                assert response.status_code == 400
                continue
            assert response.status_code == 200
            assert dict(response.context["filter_form"].errors) == {name: expected(value)}
            assert_no_raw_payload(response)

    def page() -> dict[str, str]:
        """The POST the grid page sends as drawn now."""
        drawn = admin_client.get(grid, {"year": "2025", "kpi": "revenue"})
        cells = {cell.name: cell.value for row in drawn.context["rows"] for cell in row.cells}
        return {"baseline": drawn.context["baseline"], **cells}

    ana = company["ana"]
    cell = f"c-{ana.pk}-1"
    before = row_counts()
    for value in HOSTILE.values():
        response = admin_client.post(f"{grid}?year=2025&kpi=revenue", {**page(), cell: value})
        message = target_value(value.strip())
        if message is None:  # "0": a valid target for January
            assert response.status_code == 302
            assert Target.objects.get(rep=ana, kpi="revenue", month=datetime.date(2025, 1, 1)).value == 0
            before = row_counts()
            continue
        assert response.status_code == 200
        assert response.context["errors"] == [f"{ana.name} ({ana.external_id}), January 2025: {message}"]
        assert_no_raw_payload(response)
        assert row_counts() == before
        # A baseline that is not the page's: read as none, so no cell counts as changed by this user.
        unreadable = admin_client.post(f"{grid}?year=2025&kpi=revenue", {**page(), "baseline": value})
        assert unreadable.status_code == 302
        assert row_counts() == before


def test_hostile_upload_file_names_are_recorded_and_shown_escaped(company, admin_client):
    upload = reverse("admin:sales_importrun_upload")
    for name in ["<script>alert(1)</script>.csv", '"><img src=x onerror=alert(1)>.csv', "a\x00b.csv",
                 "\u202evsc.csv", "../../etc/passwd", "=HYPERLINK(1).csv", "x" * 300 + ".csv"]:  # fmt: skip
        runs = ImportRun.objects.count()
        response = admin_client.post(upload, {"format": "generic", "dry_run": "on",
                                              "files": SimpleUploadedFile(name, b"external_id\n")})  # fmt: skip
        assert response.status_code == 200, name[:40]
        assert ImportRun.objects.count() == runs + 1  # a dry run is recorded, like any run
        assert_no_raw_payload(response)
        record = admin_client.get(reverse("admin:sales_importrun_change", args=[ImportRun.objects.latest("pk").pk]))
        assert record.status_code == 200
        assert_no_raw_payload(record)


PATH_VALUES = {"NUL": "a\x00b", "10^30": HOSTILE["10^30"], "superscript two": "\u00b2", "SQL or": "' OR 1=1 --",
               "RTL override": "\u202eevil"}  # fmt: skip


def admin_routes() -> list[str]:
    """Every admin route with a parameter, as written in the URL conf (admin/…/<converter:name>/…)."""

    def walk(patterns, prefix: str):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif "<" in route and "(?P" not in route:
                yield route

    admin_resolver = next(e for e in get_resolver().url_patterns if str(e.pattern) == "admin/")
    return sorted(set(walk(admin_resolver.url_patterns, "/admin/")))


def test_hostile_values_in_every_admin_url_parameter_are_a_redirect_or_a_refusal(company, admin_client):
    routes = admin_routes()
    # Each model's change, delete, history and object redirect; a user's password; the tree's children; "view on site".
    assert len(routes) == 4 * 28 + 3
    for route in routes:
        for label, value in PATH_VALUES.items():
            response = admin_client.get(re.sub(r"<[^>]+>", quote(value, safe=""), route))
            # Django's admin sends an unknown object back to the list with a message; read-only admins refuse a
            # delete (403); the rest answer 404.
            assert response.status_code in (302, 403, 404), (route, label)
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/"), (route, label)


def test_tree_moves_naming_no_territory_are_refused_and_move_nothing(company, admin_client):
    na = company["tree"]["na"]
    paths = dict(Territory.objects.values_list("code", "path"))
    for value in PATH_VALUES.values():
        for node, target in ((value, na.pk), (na.pk, value)):
            response = admin_client.post(
                "/admin/territories/territory/move/", {"node": node, "target": target, "relation": "sorted-child"}
            )
            assert (response.status_code, response.content) == (400, b"Invalid form data provided")
    assert dict(Territory.objects.values_list("code", "path")) == paths
