"""Every error kind of spec/import-formats.md: the exact message, and nothing written."""

from __future__ import annotations

import pytest

from sales.models import ImportRun
from tests.sales.fixtures.importing import (
    db_counts,
    errors,
    file_with_line,
    file_with_lines,
    generic_set,
    run,
)

pytestmark = pytest.mark.django_db

DEALS_HEADER = (
    "external_id,owner_external_id,stage,amount,name,customer_external_id,territory_code,"
    "refunded_amount,created_on,closed_on,ends_on,product,lost_from_stage"
)


def assert_refused(tmp_path, expected: list[str], **files: str) -> None:
    """Import the fixture set with ``files`` replaced: exactly ``expected`` errors, database unchanged."""
    before = db_counts()
    result = run(generic_set(tmp_path / "set", **files))
    assert errors(result) == expected
    assert db_counts() == before
    assert result.affected_months == set()
    record = ImportRun.objects.get(pk=result.run_id)
    assert (record.status, record.error_count, record.errors) == ("failed", len(expected), expected)


CASES = {
    "missing required value": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r1,won,,First,c1,,0,2025-01-10,2025-03-15,,A,")},
        ["deals.csv:2: amount: required value is missing"],
    ),
    "unknown territory": (
        {"customers_csv": file_with_line("customers.csv", 2, "c1,Acme,mars,r1,retail,")},
        ["customers.csv:2: territory_code: unknown territory 'mars'"],
    ),
    "unknown rep": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r9,won,1000.00,First,c1,,0,2025-01-10,2025-03-15,,A,")},
        ["deals.csv:2: owner_external_id: unknown rep 'r9'"],
    ),
    "unknown customer": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r1,won,1000.00,First,c9,,0,2025-01-10,2025-03-15,,A,")},
        ["deals.csv:2: customer_external_id: unknown customer 'c9'"],
    ),
    "unknown deal": (
        {"activities_csv": file_with_line("activities.csv", 2, "a1,r1,call,2025-03-10,d9,c1")},
        ["activities.csv:2: deal_external_id: unknown deal 'd9'"],
    ),
    "unknown stage": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r1,closed,1000.00,First,c1,,0,2025-01-10,2025-03-15,,A,")},
        ["deals.csv:2: stage: unknown stage 'closed' (expected lead, qualified, proposal, negotiation, won or lost)"],
    ),
    "unknown activity kind": (
        {"activities_csv": file_with_line("activities.csv", 2, "a1,r1,visit,2025-03-10,d1,c1")},
        ["activities.csv:2: kind: unknown kind 'visit' (expected call, meeting or email)"],
    ),
    "unknown survey kind": (
        {"surveys_csv": file_with_line("surveys.csv", 2, "s1,c1,ces,5,2025-04-01,,great")},
        ["surveys.csv:2: kind: unknown kind 'ces' (expected csat or nps)"],
    ),
    "unknown KPI": (
        {"targets_csv": file_with_line("targets.csv", 2, "rep:r1,profit,2025-Q2,30000,")},
        ["targets.csv:2: kpi: unknown KPI 'profit'"],
    ),
    "unparsable date": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r1,won,1000.00,First,c1,,0,2025-13-01,2025-03-15,,A,")},
        ["deals.csv:2: created_on: '2025-13-01' is not a date (YYYY-MM-DD)"],
    ),
    "unparsable number": (
        {"deals_csv": file_with_line("deals.csv", 2, 'd1,r1,won,"1,000",First,c1,,0,2025-01-10,2025-03-15,,A,')},
        ["deals.csv:2: amount: '1,000' is not a number (use '.' for decimals, no thousands separators)"],
    ),
    "closed deal without closed_on": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r1,won,1000.00,First,c1,,0,2025-01-10,,,A,")},
        ["deals.csv:2: closed_on: required for a closed (won) deal"],
    ),
    "open deal with closed_on": (
        {"deals_csv": file_with_line("deals.csv", 5, "d4,r1,qualified,800,Fourth,,,,2025-05-02,2025-06-01,,C,")},
        ["deals.csv:5: closed_on: an open (qualified) deal has no close date: leave it empty or close the deal"],
    ),
    "closed_on before created_on": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r1,won,1000.00,First,c1,,0,2025-01-10,2025-01-05,,A,")},
        ["deals.csv:2: closed_on: 2025-01-05 is before created_on 2025-01-10"],
    ),
    "negative amount": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r1,won,-5,First,c1,,0,2025-01-10,2025-03-15,,A,")},
        ["deals.csv:2: amount: -5 is negative"],
    ),
    "refunded above amount": (
        {"deals_csv": file_with_line("deals.csv", 2, "d1,r1,won,1000.00,First,c1,,1500,2025-01-10,2025-03-15,,A,")},
        ["deals.csv:2: refunded_amount: 1500 is more than the amount 1000.00"],
    ),
    "CSAT outside 1-5": (
        {"surveys_csv": file_with_line("surveys.csv", 2, "s1,c1,csat,6,2025-04-01,,great")},
        ["surveys.csv:2: score: 6 is outside the CSAT scale 1–5"],
    ),
    "NPS outside 0-10": (
        {"surveys_csv": file_with_line("surveys.csv", 3, "s2,c2,nps,11,2025-04-02,r2,")},
        ["surveys.csv:3: score: 11 is outside the NPS scale 0–10"],
    ),
    "overlapping assignments in the file": (
        {"assignments_csv": file_with_line("assignments.csv", 3, "r1,na-west,2025-03-01,")},
        [
            "assignments.csv:3: start_date: overlaps the assignment of r1 to na-east "
            "from 2024-01-01 to 2025-03-31 (line 2)"
        ],
    ),
    "territory cycle": (
        {"territories_csv": file_with_line("territories.csv", 2, "na,North America,na-west,")},
        ["territories.csv:2: parent_code: territory cycle: na -> na-west -> na"],
    ),
    "duplicate external id": (
        {"deals_csv": file_with_lines("deals.csv", "d1,r1,won,5.00,Again,c1,,0,2025-01-10,2025-03-15,,A,")},
        ["deals.csv:6: external_id: duplicate external id 'd1' (first on line 2)"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_error_kind_is_named_and_nothing_is_written(tmp_path, case):
    files, expected = CASES[case]
    assert_refused(tmp_path, expected, **files)


def test_overlap_with_an_assignment_already_in_the_database(tmp_path):
    assert errors(run(generic_set(tmp_path / "first"))) == []
    assert_refused(
        tmp_path,
        [
            "assignments.csv:2: start_date: overlaps the assignment of r1 to na-west "
            "from 2025-04-01 with no end (the database)"
        ],
        assignments_csv="rep_external_id,territory_code,start_date,end_date\nr1,emea,2025-06-01,\n",
    )


def test_longer_territory_cycle_is_named_once_from_its_first_line(tmp_path):
    territories = (
        "code,name,parent_code\n"
        "na,North America,emea\n"  # line 2
        "na-east,NA East,na\n"
        "na-west,NA West,na\n"
        "emea,EMEA,na-east\n"  # line 5: na -> emea -> na-east -> na
    )
    assert_refused(
        tmp_path,
        ["territories.csv:2: parent_code: territory cycle: na -> emea -> na-east -> na"],
        territories_csv=territories,
    )


def test_every_error_of_several_files_in_one_run(tmp_path):
    before = db_counts()
    result = run(
        generic_set(
            tmp_path / "set",
            reps_csv=file_with_line("reps.csv", 3, "r2,,r2@example.com,2024-01-01,2023-12-31"),
            deals_csv=(
                f"{DEALS_HEADER}\n"
                "d1,r1,won,abc,First,c1,,0,2025-01-10,2025-03-15,,A,\n"
                "d2,r1,lead,10,Second,c1,,0,2025-01-10,2025-03-15,,A,\n"
                "d3,r7,won,10,Third,c1,,20,2025-01-10,2025-03-15,,A,\n"
            ),
            surveys_csv=file_with_line("surveys.csv", 2, "s1,c1,csat,0,2025-02-30,,great"),
            expenses_csv=file_with_lines("expenses.csv", "na-east,2025-01,50,sales"),
        )
    )
    assert errors(result) == [
        "reps.csv:3: name: required value is missing",
        "reps.csv:3: left_on: 2023-12-31 is before hired_on 2024-01-01",
        "deals.csv:2: amount: 'abc' is not a number (use '.' for decimals, no thousands separators)",
        "deals.csv:3: closed_on: an open (lead) deal has no close date: leave it empty or close the deal",
        "deals.csv:4: owner_external_id: unknown rep 'r7'",
        "deals.csv:4: refunded_amount: 20 is more than the amount 10",
        "surveys.csv:2: responded_on: '2025-02-30' is not a date (YYYY-MM-DD)",
        "surveys.csv:2: score: 0 is outside the CSAT scale 1–5",
        "expenses.csv:4: month: duplicate expense of na-east for 2025-01 (sales) (first on line 2)",
    ]
    assert db_counts() == before


def test_deal_whose_territory_cannot_be_derived(tmp_path):
    assert_refused(
        tmp_path,
        [
            "deals.csv:2: territory_code: missing, and none can be derived: "
            "rep r1 has no assignment on 2023-06-30 and the deal has no customer"
        ],
        deals_csv=f"{DEALS_HEADER}\nd1,r1,won,10,Early,,,0,2023-06-01,2023-06-30,,A,\n",
        activities_csv=None,
    )


def test_target_errors_come_from_the_shared_target_validation(tmp_path):
    targets = (
        "scope,kpi,period,value,distribution\n"
        "rep:r1,revenue,2025-Q5,100,\n"
        "territory:na,revenue_growth,2025,100,\n"
        "rep:r1,cac,2025-01,100,\n"
        "team:x,revenue,2025,100,\n"
        "rep:r1,revenue,2025,100.001,\n"
        "rep:r1,revenue,2025-Q2,100,\n"
        "rep:r1,revenue,2025-05,7,\n"
    )
    assert_refused(
        tmp_path,
        [
            "targets.csv:2: period: period '2025-Q5' is not one of YYYY-MM, YYYY-Qn (n = 1..4), YYYY "
            "or YYYY-MM-DD..YYYY-MM-DD",
            "targets.csv:3: kpi: revenue_growth is derived from other KPIs and cannot have a target",
            "targets.csv:4: kpi: cac is defined for territories and the company, not for a rep",
            "targets.csv:5: scope: 'team:x' is not territory:<code> or rep:<external_id>",
            "targets.csv:6: value: use at most 2 decimals (values are spread over months in cents)",
            "targets.csv:8: period: 2025-05 sets revenue of rep:r1 for 2025-05, which line 7 sets too",
        ],
        targets_csv=targets,
    )


def test_a_refused_row_is_reported_once_not_again_by_its_dependants(tmp_path):
    # r2's only assignment is refused, so r2's deal without customer or territory cannot be placed,
    # and c1 is refused, so its survey cannot be placed: neither is reported a second time.
    assert_refused(
        tmp_path,
        [
            "assignments.csv:4: territory_code: unknown territory 'mars'",
            "customers.csv:2: territory_code: unknown territory 'moon'",
        ],
        assignments_csv=file_with_line("assignments.csv", 4, "r2,mars,2024-01-01,"),
        customers_csv=file_with_line("customers.csv", 2, "c1,Acme,moon,r1,retail,"),
        deals_csv=f"{DEALS_HEADER}\nd7,r2,won,10,Lonely,,,0,2025-01-10,2025-03-15,,A,\n",
        activities_csv=None,
    )
