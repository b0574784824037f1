"""The OpenAPI schema and its docs (Swagger UI, ReDoc), and the one error shape documented on every operation."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code, e.g. invalid, not_found."},
                "message": {"type": "string", "description": "What is wrong, for a person."},
                "fields": {
                    "type": "object",
                    "description": "Each bad parameter or body field and its messages (empty if none).",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}

ERRORS = {
    "400": "Bad parameters or body: `fields` names each one.",
    "401": "Not authenticated (no session, no or a bad token).",
    "403": "Authenticated, but not allowed (writes and imports are for administrators).",
    "404": "Unknown, or outside what the caller may see (the two are not told apart).",
    "405": "Method not allowed on this path.",
    "406": "Only JSON is served.",
    "415": "Unsupported request body type.",
    "429": "Too many requests: wait Retry-After seconds.",
}


def error_responses_add(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add ``Error`` and the 4xx answers to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                body = {"content": {"application/json": {"schema": reference}}, "description": description}
                responses.setdefault(code, body)
    return result


class JsonErrorsMixin:
    """Render refusals (say, throttling) as the JSON error, not as YAML or an HTML page."""

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    pass


class SwaggerView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    pass


class RedocView(JsonErrorsMixin, SpectacularRedocView):
    template_name = "api/redoc.html"  # drf-spectacular's page without its web fonts from Google
