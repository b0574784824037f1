"""OpenAPI additions: the one error shape, documented on every operation."""

from __future__ import annotations

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
