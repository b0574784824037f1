"""One JSON error shape for every API error: ``{"error": {"code", "message", "fields"}}``.

``code`` is a stable machine-readable word, ``message`` a sentence for a
person, ``fields`` maps each bad parameter or body field to its messages (empty
when the error is not about a field). No error is ever an HTML page or a
traceback; unexpected failures are logged and answered with a JSON 500.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from accounts.middleware import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, database_lost

logger = logging.getLogger("api")


class NotComputed(exceptions.NotFound):
    """The KPIs asked for exist as a scope and period, but no snapshot has been computed for them."""

    default_code = "not_computed"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again later."
    default_code = "unavailable"


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


# Messages quote the refused value; a quote longer than this is cut (a refused megabyte is not sent back).
MESSAGE_MAX_CHARS = 1000


def message_clean(text: str) -> str:
    """``text`` as the answer can carry it: at most ``MESSAGE_MAX_CHARS`` characters, lone surrogates written
    as ``\\udXXX``. A JSON body may hold "\\ud800", which Python reads as a lone surrogate; quoted in a
    message, UTF-8 could not encode it and rendering the error itself would fail."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MESSAGE_MAX_CHARS else text[: MESSAGE_MAX_CHARS - 1] + "…"


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """{"a": {"b": ["x"]}, "c": [..]} → {"a.b": ["x"], "c": [..]} (nested serializers, list items)."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            fields.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, value in enumerate(detail):
            fields.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        items = detail if isinstance(detail, list) else [detail]
        fields[prefix or "non_field_errors"] = [message_clean(str(item)) for item in items]
    return fields


def _validation_body(exc: exceptions.ValidationError) -> dict:
    if isinstance(exc.detail, dict):
        fields = _flatten(exc.detail)
        message = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
        return error_body("invalid", message, fields)
    messages = [message_clean(str(item)) for item in (exc.detail if isinstance(exc.detail, list) else [exc.detail])]
    return error_body("invalid", " ".join(messages))


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's handler, reshaped into the one error shape; anything unexpected becomes a logged JSON 500."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "The request was refused as malformed.")
    response = exception_handler(exc, context)
    if response is None and database_lost(exc):
        # PostgreSQL is down or restarting: not a bug, and the next requests reconnect by themselves.
        logger.warning("database unavailable: %s", exc)
        set_rollback()
        return Response(error_body("unavailable", UNAVAILABLE_MESSAGE), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})  # fmt: skip
    if response is None:
        request = context.get("request")
        logger.error("API error on %s %s", getattr(request, "method", "?"), getattr(request, "path", "?"), exc_info=exc)
        set_rollback()
        body = error_body("server_error", "The server failed to answer this request; the failure has been logged.")
        return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message = exc.detail if isinstance(exc.detail, str) else exc.default_detail
        response.data = error_body(str(code), message_clean(str(message)))
    return response


@csrf_exempt  # it changes nothing; a CSRF refusal would be Django's HTML page
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any URL under /api/ that names no endpoint: a JSON 404, never Django's HTML page."""
    message = f"No API endpoint at {request.path}. The endpoints are listed at /api/v1/docs (schema: /api/v1/schema)."
    return JsonResponse(error_body("not_found", message_clean(message)), status=status.HTTP_404_NOT_FOUND)
