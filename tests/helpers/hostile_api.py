"""What the API must answer to hostile input: every operation's inputs and the message refusing each value.

The operations and their parameters are checked against the OpenAPI schema (tests/security/test_hostile_api.py),
so a new endpoint, parameter or body field fails there until it is listed here.
"""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.fields import BooleanField

from metrics.registry import KPI_BY_KEY
from tests.helpers.hostile import choice, period_error, target_value

MESSAGE_MAX_CHARS = 1000  # api.exceptions: a refused value is quoted back at most this long


def sent_back(text: str) -> str:
    """A message as the API sends it: lone surrogates written as \\udXXX escapes, cut at 1,000 characters."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MESSAGE_MAX_CHARS else text[: MESSAGE_MAX_CHARS - 1] + "…"


KNOWN_KPIS = ", ".join(KPI_BY_KEY)
NOT_A_CURSOR = "not a cursor given out by this API (use the next or previous link)"
ORDERINGS = "closed_on, -closed_on, created_on, -created_on, amount, -amount, external_id, -external_id"

Check = Callable[[object], str | None]  # a hostile value → the one message refusing it, or None if accepted


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


def report_scope(text: str) -> str:
    return f"{text[:80]!r} is not company, territory:<code> or rep:<external_id>"


def target_scope(text: str) -> str:
    return f"{text[:80]!r} is not territory:<code> or rep:<external_id>"


def unknown_kpis(text: str) -> str:
    keys = [k.strip() for k in text.split(",") if k.strip()]
    return f"unknown KPI {', '.join(map(repr, keys))}; known: {KNOWN_KPIS}"


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


def assert_refused(response, status: int, fields: dict[str, list[str]], code: str = "invalid") -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["fields"] == fields
    assert error["code"] == code
    if fields:
        assert error["message"] == "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
    assert len(response.content) < 8 * MESSAGE_MAX_CHARS  # a refused megabyte is not sent back
