"""Answer a plain 503 page while the database cannot be reached."""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

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


# ReDoc's bundle writes its styles into <style> elements at run time; no hash can name them.
REDOC_PATH = "/api/v1/docs/redoc"


class ApiDocsStylePolicyMiddleware:
    """Let the ReDoc page (and only it) apply inline styles; scripts stay the site's own everywhere."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path == REDOC_PATH:
            response._csp_replace = {"style-src": ["'self'", "'unsafe-inline'"]}  # read by django-csp
        return response
