"""Hostile values and the checks shared by the hostile-input tests (tests/security/test_hostile_*.py).

Hostile input against every API endpoint, page, login form and admin page is refused with a 4xx that says
what is wrong (or a sane fallback), never a 5xx, and nothing is written.

The hostile values: a megabyte, 10^30 and 10^20, -1 and 0, 1e400, NaN, "true", "[1, 2]" and '{"a": 1}' where
a number or a word is expected, NUL, a right-to-left override, emoji, combining accents, two SQL payloads
and two HTML payloads; JSON bodies also get real JSON types (numbers, a list, an object, a boolean, null) and
a lone surrogate (only JSON can carry one: query strings and forms are decoded as UTF-8 with replacement).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import connection

from accounts.models import AuditEvent
from metrics.models import Distribution, KpiRecomputeRequest, KpiRun, Target, TargetChange
from reps.models import SalesRep
from sales.models import Customer, Deal, ImportRun
from territories.models import Territory, TerritoryAssignment

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


def assert_no_raw_payload(response) -> None:
    if "html" in response.get("Content-Type", ""):
        html = response.content.decode()
        for payload in RAW_PAYLOADS:
            assert payload not in html


PERIOD_FORMS = "is not one of YYYY-MM, YYYY-Qn (n = 1..4), YYYY or YYYY-MM-DD..YYYY-MM-DD"


def period_error(text: str) -> str:
    return f"period {text!r} {PERIOD_FORMS}"


def choice(text: str) -> str:
    return f"Select a valid choice. {text} is not one of the available choices."


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
