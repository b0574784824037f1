"""The pipeline drill-down lists exactly the deals the pipeline KPI counts, for a past period and the current one."""

from __future__ import annotations

from decimal import Decimal

from metrics.models import KpiSnapshot
from tests.dashboards.html import table_rows
from tests.factories import DealFactory
from tests.helpers.worlds import day, login, world_compute


def test_pipeline_drill_down_lists_the_deals_open_at_the_end_of_the_period(world, client):
    """Closed after the period's end counts as open then; an undated open deal is in today's pipeline only."""
    east, ben = world["tree"]["na-east"], world["ben"]
    for external_id, stage, created, closed in [
        ("p-closed-later", "won", day(9, 1), day(11, 15)),  # open on 09-30, closed in Q4
        ("p-undated", "qualified", None, None),  # no creation date: open today only
        ("p-old-open", "proposal", day(8, 1), None),  # open at the end of Q3 and of Q4
    ]:
        DealFactory(external_id=external_id, owner=ben, territory=east, stage=stage, amount=Decimal("10"),
                    created_on=created, closed_on=closed)  # fmt: skip
    world_compute()
    login(client, world["manager_a"])
    for period, expected in [
        ("2025-Q3", ["p-closed-later", "p-old-open"]),
        ("2025-Q4", ["d-5", "p-old-open", "p-undated"]),
    ]:
        response = client.get(f"/territories/na/drill/pipeline_value/?period={period}&sort=deal")
        assert response.status_code == 200
        html = response.content.decode()
        assert [r[0] for r in table_rows(html, "drill")] == expected, period
        # The same deals the KPI counts.
        assert KpiSnapshot.objects.get(scope="territory:na", period=period, kpi="pipeline_value").n == len(expected)
