"""Schema-driven fuzzing: schemathesis sends requests generated from /api/v1/schema to a live server.

Every operation gets valid requests (positive) and invalid ones (negative), as an
admin (who can reach every endpoint and write) and as a manager (scoped). No
request may make the server fail: no 5xx, and each answer matches what the
schema documents (status code, content type, body). The number of examples is
bounded so the whole module runs in well under two minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers.api import AS_OF, world_build

EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.django_db(transaction=True)
def test_no_generated_request_makes_the_server_fail(live_server):
    with override_settings(
        KPI_AS_OF=AS_OF,
        REST_FRAMEWORK=_rest_framework_without_throttling(),
    ):
        cache.clear()
        world = world_build()
        schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema?format=json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 19  # every method of every path (see test_permissions for the list)
        for who in ("admin_token", "token"):
            headers = {"Authorization": f"Token {world.tokens[who]}"}
            for operation in operations:
                for mode, count in EXAMPLES.items():
                    _fuzz(operation, mode, count, live_server.url, headers)


def _rest_framework_without_throttling() -> dict:
    from django.conf import settings as django_settings

    rates = {"anon": "100000/min", "token": "100000/min"}
    return django_settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": rates}


def _fuzz(operation, mode: GenerationMode, count: int, base_url: str, headers: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS if mode is GenerationMode.POSITIVE else [not_a_server_error])

    try:
        run()
    except Unsatisfiable:
        # Nothing about this operation can be made invalid (say, a free-text path id): no negative case.
        assert mode is GenerationMode.NEGATIVE, operation.label
