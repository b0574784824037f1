"""Serializer helpers shared by the resource modules: the scope syntax and the fiscal year start.

The KPI answers themselves are built by metrics.selectors (the shape of
``kpi_report``); the serializers of each resource module only describe that
shape for the schema.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

SCOPE_HELP = "company, territory:<code> or rep:<external_id>"


def fiscal_start_month() -> int:
    return settings.FISCAL_YEAR_START_MONTH


def scope_syntax_check(scope: str) -> str:
    """Return ``scope`` stripped if it is written like a scope; raise a 400 naming ``scope`` otherwise."""
    scope = (scope or "").strip()
    kind, _, ident = scope.partition(":")
    if scope != "company" and not (kind in ("territory", "rep") and ident):
        raise serializers.ValidationError({"scope": [f"{scope[:80]!r} is not {SCOPE_HELP}"]})
    return scope
