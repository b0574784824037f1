"""On the acceptance data set, the API answers exactly what ``kpi_report`` prints, for several scopes × periods.

../shared/datasets/acceptance is a tricky company (refunds, moves, churn,
surveys, targets by distribution); its snapshots are recomputed once here.
"""

from __future__ import annotations

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from metrics.periods import period_parse
from metrics.selectors.cards import kpi_cards
from tests.factories import UserFactory
from tests.helpers.acceptance import acceptance_imported

DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "acceptance"
AS_OF = datetime.date(2025, 12, 31)
SCOPES = ["company", "territory:na", "territory:na-west", "territory:uk", "rep:r05", "rep:r12"]
PERIODS = ["2024", "2024-06", "2025-Q1", "2025-04", "2025-Q4"]
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def acceptance(django_db_setup, django_db_blocker):
    with acceptance_imported(django_db_blocker, reason="api acceptance"):
        yield


@pytest.fixture
def admin_client(acceptance) -> APIClient:
    client = APIClient()
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def kpi_report(**options) -> dict:
    out = StringIO()
    call_command("kpi_report", format="json", stdout=out, **options)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("scope", SCOPES)
def test_the_api_answers_what_kpi_report_prints(admin_client, scope, period):
    response = admin_client.get("/api/v1/kpis", {"scope": scope, "period": period})
    assert response.status_code == 200
    body = response.json()
    assert body == kpi_report(scope=scope, period=period)
    assert body["as_of"] == "2025-12-31"
    assert len(body["kpis"]) >= 20
    # ... and what the dashboard's cards show.
    for card in kpi_cards(scope=scope, period=period_parse(period)):
        entry = body["kpis"][card.key]
        assert (entry["value"], entry["n"], entry["target"], entry["attainment"]) == (
            card.value, card.n, card.target, card.attainment,
        )  # fmt: skip


def test_a_subset_of_kpis_too(admin_client):
    kpis = "revenue,win_rate,nps,churn_rate,quota_attainment"
    body = admin_client.get("/api/v1/kpis", {"scope": "territory:na", "period": "2025", "kpi": kpis}).json()
    assert body == kpi_report(scope="territory:na", period="2025", kpi=kpis)
    assert list(body["kpis"]) == kpis.split(",")


def test_the_series_points_are_the_reports_of_their_periods(admin_client):
    body = admin_client.get(
        "/api/v1/kpis/series",
        {"scope": "rep:r05", "kpi": "win_rate", "from": "2024-Q3", "to": "2025", "grain": "quarter"},
    ).json()
    assert [p["period"] for p in body["points"]] == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    for point in body["points"]:
        report = kpi_report(scope="rep:r05", period=point["period"], kpi="win_rate")
        assert {k: v for k, v in point.items() if k not in ("period", "start", "end")} == report["kpis"]["win_rate"]
        assert (point["start"], point["end"]) == (report["start"], report["end"])
