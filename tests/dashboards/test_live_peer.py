"""The benchmark's peer (KPIs computed per request) renders exactly the page the snapshots render.

So benchmarks/dashboard_load.py compares the same work done two ways.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from dashboards.page import territory_scope
from dashboards.views.scorecards import scorecard_render
from dashboards.views.territory import dashboard_render

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
dashboard_live = pytest.importorskip("dashboard_live")


@pytest.mark.parametrize("period", ["2025-Q4", "2025", "2025-11"])
def test_live_pages_equal_snapshot_pages(computed, period, settings):
    settings.KPI_MIN_SAMPLE = 1  # as when the snapshots were computed
    request = RequestFactory().get("/", {"period": period})
    request.user = computed["manager_a"]
    scope = territory_scope(computed["tree"]["na"])
    snapshot = html(dashboard_render(request, scope))
    live = html(dashboard_render(request, scope, reader=dashboard_live.LiveReader(computed_as_of())))
    assert live == snapshot
    assert "Ana Alpha" in live and 'data-kpi="revenue"' in live
    rep = html(scorecard_render(request, computed["ana"]))
    assert html(scorecard_render(request, computed["ana"], reader=dashboard_live.LiveReader(computed_as_of()))) == rep


def html(response) -> str:
    """The page without its CSRF token, which differs on every render."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def computed_as_of():
    from tests.helpers.worlds import AS_OF

    return AS_OF
