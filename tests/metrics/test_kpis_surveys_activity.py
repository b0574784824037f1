"""Survey and activity KPIs worked out by hand from spec/kpis.md: CSAT (share of 4–5), NPS and its
interval, surveys credited to the response's rep else the customer's owner, calls, meetings, emails."""

from __future__ import annotations

import datetime
import math
from fractions import Fraction

import pytest

from tests.factories import ActivityFactory, AssignmentFactory, CustomerFactory, SurveyResponseFactory
from tests.helpers.kpis import Z, approx, rep_in, wilson

D = datetime.date
MARCH_10, MARCH_12 = D(2025, 3, 10), D(2025, 3, 12)


@pytest.fixture
def surveys(tree):
    east, west, uk = tree["na-east"], tree["na-west"], tree["uk"]
    a, b, c = rep_in(east, "ra"), rep_in(uk, "rb"), rep_in(west, "rc")
    owned_by_b = CustomerFactory(territory=uk, owner=b)  # the customer's territory plays no part
    owned_by_c = CustomerFactory(territory=west, owner=c)

    def csat(score, rep=None, territory=east, customer=owned_by_b, day=None):
        SurveyResponseFactory(
            customer=customer, rep=rep, territory=territory, kind="csat", score=score, responded_on=day or MARCH_10
        )

    def nps(score, rep=None, territory=east, customer=owned_by_b, day=None):
        SurveyResponseFactory(
            customer=customer, rep=rep, territory=territory, kind="nps", score=score, responded_on=day or MARCH_12
        )

    # CSAT in na-east, March: credited to a (the response's rep) or b (the customer's owner)
    csat(5, rep=a)
    csat(3, rep=a)
    csat(4)
    csat(1)
    csat(4, day=D(2025, 3, 31))
    csat(1, rep=a, day=D(2025, 4, 1))  # April: not in P
    # NPS in na-east, March: 10, 9, 9 promoters; 8, 7 passives; 6, 2 detractors
    for score in (10, 9, 8, 6):
        nps(score, rep=a)
    for score in (9, 7, 2):
        nps(score)
    # NPS in na-west: two detractors, credited to c (owner of the customer)
    nps(0, territory=west, customer=owned_by_c)
    nps(6, territory=west, customer=owned_by_c)
    return tree


def test_csat_is_the_share_of_4_and_5(surveys, grid):
    table = grid(["territory:na-east", "territory:uk"], ["2025-03"])
    row = table["territory:na-east", "2025-03"]["csat"]
    # March: 5, 3, 4, 1, 4 → good 5, 4, 4 = 3 of 5
    assert row["value"] == approx(Fraction(3, 5)) and row["n"] == 5
    low, high = wilson(3, 5)
    assert row["ci_low"] == approx(low) and row["ci_high"] == approx(high)
    # the customer's territory (uk) gets nothing: surveys count for the territory stored on them
    uk = table["territory:uk", "2025-03"]["csat"]
    assert uk["value"] is None and uk["n"] == 0


def test_surveys_are_credited_to_the_response_rep_else_the_customer_owner(surveys, grid):
    table = grid(["rep:ra", "rep:rb", "rep:rc"], ["2025-03"])
    a = table["rep:ra", "2025-03"]
    assert a["csat"]["value"] == 0.5 and a["csat"]["n"] == 2  # 5 and 3 → 1 of 2
    b = table["rep:rb", "2025-03"]
    assert b["csat"]["value"] == approx(Fraction(2, 3)) and b["csat"]["n"] == 3  # 4, 1, 4 → 2 of 3
    # NPS of a: 10, 9, 8, 6 → (2 − 1) / 4 = +25; of b: 9, 7, 2 → (1 − 1) / 3 = 0; of c: 0, 6 → −100
    assert a["nps"]["value"] == 25 and a["nps"]["n"] == 4
    assert b["nps"]["value"] == 0 and b["nps"]["n"] == 3
    c = table["rep:rc", "2025-03"]["nps"]
    assert c["value"] == -100 and c["n"] == 2


def test_nps_and_its_interval(surveys, grid):
    table = grid(["territory:na-east", "territory:na", "territory:na-west", "territory:emea"], ["2025-03"])
    row = table["territory:na-east", "2025-03"]["nps"]
    # 7 responses: promoters 10, 9, 9 (3), detractors 6, 2 (2) → 100 × (3 − 2) / 7 = 14.285…
    assert row["value"] == approx(Fraction(100, 7)) and row["n"] == 7
    # p = 3/7, d = 2/7: (p + d − (p − d)²) / n = (5/7 − 1/49) / 7 = 34/343
    half = Z * 100 * math.sqrt(34 / 343)
    assert row["ci_low"] == approx(100 / 7 - half) and row["ci_high"] == approx(100 / 7 + half)
    # na pools the 9 responses: promoters 3, detractors 2 + 2 → 100 × (3 − 4) / 9 = −11.1…
    na = table["territory:na", "2025-03"]["nps"]
    assert na["value"] == approx(Fraction(-100, 9)) and na["n"] == 9
    west = table["territory:na-west", "2025-03"]["nps"]
    # all detractors: −100, and the interval has zero width (p + d − (p − d)² = 1 − 1 = 0)
    assert west["value"] == -100 and west["ci_low"] == -100 and west["ci_high"] == -100
    empty = table["territory:emea", "2025-03"]
    for key in ("csat", "nps"):
        assert empty[key]["value"] is None and empty[key]["n"] == 0 and empty[key]["ci_low"] is None, key


def test_responses_after_the_as_of_date_are_ignored(surveys, kpi):
    # as of 30 March the CSAT of the 31st is not in: 5, 3, 4, 1 → 2 of 4
    row = kpi("territory:na-east", "2025-03", "csat", as_of=D(2025, 3, 30))
    assert row["value"] == 0.5 and row["n"] == 4
    # as of 11 March no NPS response exists yet (they are from the 12th)
    assert kpi("territory:na-east", "2025-03", "nps", as_of=D(2025, 3, 11))["value"] is None


def test_activities_are_counted_by_kind_for_their_stored_territory(tree, kpi, grid):
    east, west = tree["na-east"], tree["na-west"]
    a = rep_in(east, "ra", start=D(2020, 1, 1), end=D(2025, 3, 15))
    AssignmentFactory(rep=a, territory=west, start_date=D(2025, 3, 16))  # a moves to na-west on 16 March

    def act(kind, day, territory):
        ActivityFactory(rep=a, territory=territory, kind=kind, occurred_on=day)

    for day in (1, 10, 15):
        act("call", D(2025, 3, day), east)
    act("call", D(2025, 3, 20), west)  # after the move
    act("call", D(2025, 4, 1), west)  # April: not in P
    act("call", D(2025, 2, 28), east)  # February: not in P
    act("meeting", D(2025, 3, 3), east)
    act("meeting", D(2025, 3, 25), west)
    act("email", D(2025, 3, 31), west)

    scopes = ["territory:na-east", "territory:na-west", "territory:na", "rep:ra", "company"]
    table = grid(scopes, ["2025-03", "2025-Q1"])
    east_rows, west_rows = table["territory:na-east", "2025-03"], table["territory:na-west", "2025-03"]
    assert (east_rows["calls"]["value"], east_rows["meetings"]["value"], east_rows["emails"]["value"]) == (3, 1, 0)
    assert (west_rows["calls"]["value"], west_rows["meetings"]["value"], west_rows["emails"]["value"]) == (1, 1, 1)
    for scope in ("territory:na", "rep:ra", "company"):
        rows = table[scope, "2025-03"]
        assert (rows["calls"]["value"], rows["meetings"]["value"], rows["emails"]["value"]) == (4, 2, 1), scope
    # Q1: the February call too → 5 calls
    assert table["rep:ra", "2025-Q1"]["calls"]["value"] == 5
    # as of 15 March: calls on 1, 10, 15 March only
    assert kpi("rep:ra", "2025-03", "calls", as_of=D(2025, 3, 15))["value"] == 3
    assert kpi("rep:ra", "2025-03", "emails", as_of=D(2025, 3, 15))["value"] == 0
