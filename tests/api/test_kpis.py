"""/kpis, /kpis/series and /funnel: the values of the snapshots, worked out by hand, and bad parameters named."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.periods import period_parse
from metrics.selectors.cards import kpi_cards

pytestmark = pytest.mark.django_db

SCOPES = ["company", "territory:na", "territory:na-east", "territory:uk", "rep:r-linked", "rep:r-west"]
PERIODS = ["2025-01", "2025-03", "2025-Q1", "2025-Q2", "2025"]


def kpi_report(scope: str, period: str, kpi: str | None = None) -> dict:
    out = StringIO()
    call_command("kpi_report", scope=scope, period=period, kpi=kpi, format="json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("scope", SCOPES)
def test_kpis_equal_kpi_report_and_the_page(world, api, scope, period):
    response = api("admin").get("/api/v1/kpis", {"scope": scope, "period": period})
    assert response.status_code == 200
    assert response.json() == kpi_report(scope, period)
    # The page's cards read the same snapshots.
    cards = {card.key: card for card in kpi_cards(scope=scope, period=period_parse(period))}
    entries = response.json()["kpis"]
    assert set(cards) == set(entries)
    for key, card in cards.items():
        shown = {f: getattr(card, f) for f in ("value", "n", "ci_low", "ci_high", "target", "attainment")}
        assert {f: entries[key][f] for f in shown} == shown, key


def test_kpis_hand_computed(world, api):
    body = api("manager").get("/api/v1/kpis?scope=territory:na&period=2025-Q1&kpi=revenue,win_rate,deals_won").json()
    assert body["scope"] == "territory:na"
    dates = (body["period"], body["start"], body["end"], body["as_of"])
    assert dates == ("2025-Q1", "2025-01-01", "2025-03-31", "2025-12-31")
    assert list(body["kpis"]) == ["revenue", "win_rate", "deals_won"]  # in the order asked for
    revenue = body["kpis"]["revenue"]
    # d-e1 1000 + d-e2 3000 − 500 refunded; target 12000 for the quarter.
    assert (revenue["value"], revenue["n"], revenue["target"]) == (3500, 2, 12000)
    assert revenue["attainment"] == pytest.approx(3500 / 12000)
    assert revenue["low_sample"] is False  # revenue is exact: never low sample, whatever its n
    win_rate = body["kpis"]["win_rate"]
    assert (win_rate["value"], win_rate["n"]) == (pytest.approx(2 / 3), 3)  # d-e1, d-e2 won; d-e3 lost
    assert 0 < win_rate["ci_low"] < 2 / 3 < win_rate["ci_high"] < 1


def test_a_rep_reads_their_own_scorecard(world, api):
    body = api("rep").get("/api/v1/kpis?scope=rep:r-linked&period=2025-01&kpi=revenue").json()
    assert body["kpis"]["revenue"] | {} == {
        "value": 0, "n": 0, "ci_low": None, "ci_high": None, "target": 2000, "attainment": 0,
        "low_sample": False, "provisional": False,
    }  # fmt: skip


def test_series_by_month(world, api):
    body = api("rep").get("/api/v1/kpis/series?scope=rep:r-linked&kpi=revenue&from=2025-01&to=2025-06").json()
    assert (body["scope"], body["kpi"], body["grain"], body["from"], body["to"]) == (
        "rep:r-linked", "revenue", "month", "2025-01-01", "2025-06-30",
    )  # fmt: skip
    points = [(p["period"], p["start"], p["end"], p["value"], p["n"], p["target"]) for p in body["points"]]
    assert points == [
        ("2025-01", "2025-01-01", "2025-01-31", 0, 0, 2000),
        ("2025-02", "2025-02-01", "2025-02-28", 1000, 1, None),
        ("2025-03", "2025-03-01", "2025-03-31", 2500, 1, None),
        ("2025-04", "2025-04-01", "2025-04-30", 0, 0, None),
        ("2025-05", "2025-05-01", "2025-05-31", 0, 0, None),
        ("2025-06", "2025-06-01", "2025-06-30", 0, 0, None),
    ]


def test_series_by_quarter_covers_every_quarter_overlapping_the_range(world, api):
    url = "/api/v1/kpis/series?scope=territory:na&kpi=revenue&from=2025-02-15&to=2025-05&grain=quarter"
    body = api("admin").get(url).json()
    assert body["from"] == "2025-01-01"  # the quarter that holds 2025-02-15
    # Q1: d-e1 1000 + d-e2 2500; Q2: d-w1 2000.
    points = [(p["period"], p["value"], p["target"]) for p in body["points"]]
    assert points == [("2025-Q1", 3500, 12000), ("2025-Q2", 2000, None)]


def test_series_by_year(world, api):
    body = api("admin").get("/api/v1/kpis/series?scope=company&kpi=deals_won&from=2024&to=2025&grain=year").json()
    assert [(p["period"], p["value"]) for p in body["points"]] == [("2025", 4)]  # nothing stored for 2024


def test_funnel(world, api):
    body = api("manager").get("/api/v1/funnel?scope=territory:na-east&period=2025-Q1").json()
    # Created in Q1 in na-east: d-e1, d-e2 won; d-e3 lost from proposal; d-e4 in negotiation.
    assert body == {
        "scope": "territory:na-east", "period": "2025-Q1", "start": "2025-01-01", "end": "2025-03-31",
        "as_of": "2025-12-31",
        "stages": [
            {"stage": "lead", "count": 4, "conversion": 1.0},
            {"stage": "qualified", "count": 4, "conversion": 1.0},
            {"stage": "proposal", "count": 4, "conversion": 0.75},
            {"stage": "negotiation", "count": 3, "conversion": pytest.approx(2 / 3)},
            {"stage": "won", "count": 2, "conversion": None},
        ],
    }  # fmt: skip


def test_funnel_of_a_period_without_deals_has_no_conversions(world, api):
    stages = api("admin").get("/api/v1/funnel?scope=territory:uk&period=2025-11").json()["stages"]
    assert [(s["count"], s["conversion"]) for s in stages] == [(0, None)] * 5


def test_a_period_not_computed_is_a_404_saying_so(world, api):
    response = api("admin").get("/api/v1/kpis?scope=company&period=2030-01")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_computed"
    assert "company in 2030-01" in response.json()["error"]["message"]
    assert api("admin").get("/api/v1/funnel?scope=company&period=2030").json()["error"]["code"] == "not_computed"


def _error(response) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"]["code"] == "invalid"
    return body["error"]


K = "/api/v1/kpis?"
S = "/api/v1/kpis/series?scope=company&"
PERIOD_FORMS = "is not one of YYYY-MM, YYYY-Qn (n = 1..4), YYYY or YYYY-MM-DD..YYYY-MM-DD"
BAD = [
    (K + "scope=territory:atlantis&period=2025-Q1", "scope", "unknown territory in scope 'territory:atlantis'"),
    (K + "scope=rep:nobody&period=2025-Q1", "scope", "unknown rep in scope 'rep:nobody'"),
    (K + "scope=planet:mars&period=2025-Q1", "scope", "'planet:mars' is not company, territory:<code> or rep:<"),
    (K + "period=2025-Q1", "scope", "This field is required."),
    (K + "scope=company&period=2025-13", "period", "month 13 does not exist in period '2025-13'"),
    (K + "scope=company&period=2025-Q5", "period", f"period '2025-Q5' {PERIOD_FORMS}"),
    (K + "scope=company&period=2025-01-01..2025-02-01", "period", "date ranges are not stored: ask for a month"),
    (K + "scope=company&period=2025&kpi=revenue,happiness", "kpi", "unknown KPI 'happiness'"),
    (K + "scope=company&period=2025&kpi=,", "kpi", "name at least one KPI, or leave kpi out for all of them"),
    ("/api/v1/funnel?scope=company&period=Q1", "period", f"period 'Q1' {PERIOD_FORMS}"),
    (S + "kpi=revenue&from=2025-06&to=2025-01", "from", "from (2025-06-01) is after to (2025-01-31)"),
    (S + "kpi=revenue&from=2025-06&to=2025-01", "to", "from (2025-06-01) is after to (2025-01-31)"),
    (S + "kpi=sparkle&from=2025&to=2025", "kpi", "unknown KPI 'sparkle'"),
    (S + "kpi=revenue&from=2025-02-30&to=2025", "from", "'2025-02-30' is not a real date"),
    (S + "kpi=revenue&from=2025&to=soon", "to", f"period 'soon' {PERIOD_FORMS}; or a day YYYY-MM-DD"),
    (S + "kpi=revenue&from=2025&to=2025&grain=week", "grain", '"week" is not a valid choice.'),
    (S.replace("company", "territory:atlantis") + "kpi=revenue&from=2025&to=2025", "scope", "unknown territory"),
    ("/api/v1/deals?page_size=1000000000", "page_size", "must be between 1 and 500, got 1000000000"),
    ("/api/v1/reps?page_size=1000000000", "page_size", "must be between 1 and 500, got 1000000000"),
    ("/api/v1/targets?page_size=1000000000", "page_size", "must be between 1 and 500, got 1000000000"),
    ("/api/v1/targets/changes?page_size=0", "page_size", "must be between 1 and 500, got 0"),
    ("/api/v1/reps?page=7", "page", "page 7 does not exist; there are 1"),
    ("/api/v1/reps?page=two", "page", "'two' is not a whole number"),
]


@pytest.mark.parametrize(("url", "field", "message"), BAD)
def test_bad_parameters_are_400_naming_the_field(world, api, url, field, message):
    error = _error(api("admin").get(url))
    assert list(error["fields"]) == [field] or field in error["fields"]
    assert any(m.startswith(message) for m in error["fields"][field]), error["fields"][field]
    assert f"{field}: " in error["message"]


def test_several_bad_parameters_are_all_named(world, api):
    error = _error(api("admin").get("/api/v1/kpis/series?scope=company&from=2025"))
    assert error["fields"] == {"kpi": ["This field is required."], "to": ["This field is required."]}


def test_a_scope_outside_the_callers_is_404_whether_it_exists_or_not(world, api):
    manager = api("manager")
    hidden = manager.get("/api/v1/kpis?scope=territory:uk&period=2025-Q1")
    unknown = manager.get("/api/v1/kpis?scope=territory:atlantis&period=2025-Q1")
    assert (hidden.status_code, unknown.status_code) == (404, 404)
    assert hidden.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    # A malformed scope is still a 400 naming it, for everyone.
    assert _error(manager.get("/api/v1/kpis?scope=uk&period=2025-Q1"))["fields"] == {
        "scope": ["'uk' is not company, territory:<code> or rep:<external_id>"]
    }


def test_reading_kpis_takes_a_fixed_number_of_queries(world, api):
    client = api("manager")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/kpis?scope=territory:na&period=2025&kpi=revenue").status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/kpis?scope=territory:na&period=2025").status_code == 200
    # Constant: the access checks and one snapshot query, however many KPIs are read.
    assert len(few) == len(many) <= 15
