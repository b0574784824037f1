"""Answer a plain 503 page while the database cannot be reached; refuse admin query strings the admin cannot use."""

from __future__ import annotations

import logging
import re

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = "The database cannot be reached; try again shortly."


def database_lost(error: BaseException) -> bool:
    """Tell a lost connection (server down, restarting, network) from a bad query."""
    return isinstance(error, OperationalError | InterfaceError)


class DatabaseUnavailableMiddleware:
    """Turn a view's lost-database error into a 503 with Retry-After.

    Django reconnects on the next request by itself (``CONN_HEALTH_CHECKS``), so the page only
    asks to try again. Other database errors are bugs: they stay 500s.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DatabaseError) or not database_lost(exception):
            return None
        logger.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"error": {"code": "unavailable", "message": UNAVAILABLE_MESSAGE, "fields": {}}},  # the API's shape
                status=503,
            )
        else:
            # No request context: the context processors would query the database again.
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


# A date-hierarchy step of the admin's change lists: <field>__year, <field>__month or <field>__day.
_DATE_PART = re.compile(r"__(year|month|day)$")
_DATE_VALUE = re.compile(r"^[0-9]{1,4}$")


def admin_query_problem(query: QueryDict) -> str:
    """Why the admin cannot use this query string, or "" when it can."""
    for name, values in query.lists():
        for value in values:
            if "\x00" in name or "\x00" in value:
                return f"The query parameter {name!r} contains a NUL character, which no text in the database holds."
            if _DATE_PART.search(name) and not _DATE_VALUE.match(value):
                return f"The query parameter {name!r} is not a year, month or day: {value[:40]!r}."
    return ""


class AdminQueryGuardMiddleware:
    """Answer 400 to an admin URL whose query string would make Django's admin fail with a 500.

    - A NUL character: list filters and the autocomplete search hand the value to PostgreSQL, which
      refuses NUL in any text (psycopg raises ValueError, which the change list does not catch).
    - A date-hierarchy step that is not 1 to 4 digits: a number past a C long overflows ``datetime()``
      (OverflowError, not caught either).

    The admin includes third-party apps' pages (axes, celery beat), so the check sits in front of all of them.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.admin_prefix: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        if request.path.startswith(self.admin_prefix):
            problem = admin_query_problem(request.GET)
            if problem:
                return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
