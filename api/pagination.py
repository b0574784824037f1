"""Pagination that refuses bad parameters (400 naming the parameter) instead of quietly clamping them.

- ``PagePagination``: ``page`` and ``page_size`` for the small lists (reps, targets, change log).
- ``KeysetPagination``: an opaque ``cursor`` for deals, which may be millions of rows: each page is one
  indexed range query on (sort key, id), however deep; no ``COUNT(*)``, no OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.paginator import InvalidPage
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def int_param(request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """Read an integer query parameter in [minimum, maximum]; raise a 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"{raw[:40]!r} is not a whole number"]}) from None
    if not minimum <= value <= maximum:
        raise ValidationError({name: [f"must be between {minimum} and {maximum}, got {value}"]})
    return value


def _page_size_parameter(default: int) -> dict:
    return {
        "name": "page_size",
        "in": "query",
        "required": False,
        "description": f"Rows per page (default {default}, at most {MAX_PAGE_SIZE}).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    }


class PagePagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return int_param(request, "page_size", default=self.page_size, minimum=1, maximum=self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        return int_param(request, "page", default=1, minimum=1, maximum=2**31)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            message = f"page {number} does not exist; there are {paginator.num_pages}"
            raise ValidationError({"page": [message]}) from None
        return list(self.page)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        page = {
            "name": "page",
            "in": "query",
            "required": False,
            "description": "Page number, from 1.",
            "schema": {"type": "integer", "minimum": 1},
        }
        return [page, _page_size_parameter(self.page_size)]


@dataclass(frozen=True)
class SortKey:
    """A field deals may be ordered by: its type (to read a cursor back) and where its nulls go."""

    field: str
    kind: type  # datetime.date, Decimal or str
    nullable: bool = False


_LAST = {datetime.date: (datetime.date.max, datetime.date.min)}  # (ascending, descending): nulls sort last
_OUTPUT = {datetime.date: models.DateField(), Decimal: models.DecimalField(), str: models.CharField()}


@dataclass(frozen=True)
class Cursor:
    ordering: str
    key: object
    pk: int
    backwards: bool


class KeysetPagination(BasePagination):
    """``cursor``, ``page_size`` and ``ordering`` (one of ``view.sort_keys``, ``-`` for descending).

    Ties on the sort key are broken by id, and rows without a value (an open
    deal's close date) come last in either direction.
    """

    page_size = DEFAULT_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = int_param(request, "page_size", default=self.page_size, minimum=1, maximum=MAX_PAGE_SIZE)
        keys: dict[str, SortKey] = view.sort_keys
        cursor = self._cursor_read(request, keys)
        ordering = request.query_params.get("ordering") or (cursor.ordering if cursor else view.default_ordering)
        name = ordering[1:] if ordering.startswith("-") else ordering
        if name not in keys:
            choices = ", ".join(f"{k}, -{k}" for k in keys)
            raise ValidationError({"ordering": [f"{ordering[:40]!r} is not one of {choices}"]})
        if cursor and cursor.ordering != ordering:
            raise ValidationError({"cursor": [f"this cursor pages through ordering={cursor.ordering}, not {ordering}"]})
        self.ordering = ordering
        key = keys[name]
        descending = ordering.startswith("-")
        value = F(key.field)
        if key.nullable:
            value = Coalesce(key.field, Value(_LAST[key.kind][descending]), output_field=_OUTPUT[key.kind])
        queryset = queryset.annotate(_sort=value)

        backwards = bool(cursor and cursor.backwards)
        reverse = descending != backwards  # the direction this query walks in
        if cursor:
            if reverse:
                queryset = queryset.filter(Q(_sort__lt=cursor.key) | Q(_sort=cursor.key, pk__lt=cursor.pk))
            else:
                queryset = queryset.filter(Q(_sort__gt=cursor.key) | Q(_sort=cursor.key, pk__gt=cursor.pk))
        order = ("-_sort", "-pk") if reverse else ("_sort", "pk")
        rows = list(queryset.order_by(*order)[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
        has_next, has_previous = (True, more) if backwards else (more, cursor is not None)
        self.next = self._link(rows[-1], backwards=False) if rows and has_next else None
        self.previous = self._link(rows[0], backwards=True) if rows and has_previous else None
        return rows

    def _cursor_read(self, request, keys: dict[str, SortKey]) -> Cursor | None:
        raw = request.query_params.get("cursor")
        if not raw:
            return None
        bad = ValidationError({"cursor": ["not a cursor given out by this API (use the next or previous link)"]})
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==="))
            ordering, key, pk, backwards = data["o"], data["k"], data["i"], data["r"]
            key_def = keys[ordering.lstrip("-")]
            if not isinstance(pk, int) or not isinstance(backwards, bool) or not isinstance(key, str):
                raise bad
            key = key_def.kind.fromisoformat(key) if key_def.kind is datetime.date else key_def.kind(key)
        except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation, binascii.Error, UnicodeError):
            raise bad from None
        if (isinstance(key, Decimal) and not key.is_finite()) or "\x00" in str(key):
            raise bad
        return Cursor(ordering, key, pk, backwards)

    def _link(self, row, *, backwards: bool) -> str:
        data = {"o": self.ordering, "k": str(row._sort), "i": row.pk, "r": backwards}
        token = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        url = replace_query_param(self.request.build_absolute_uri(), "cursor", token)
        return replace_query_param(url, "ordering", self.ordering)

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.next, "previous": self.previous, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        orderings = [o for k in view.sort_keys for o in (k, f"-{k}")]
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Where the page starts: take it from a previous answer's next or previous link.",
                "schema": {"type": "string"},
            },
            _page_size_parameter(self.page_size),
            {
                "name": "ordering",
                "in": "query",
                "required": False,
                "description": f"Sort order (default {view.default_ordering}); '-' for descending. "
                "Rows without a value come last.",
                "schema": {"type": "string", "enum": orderings},
            },
        ]
