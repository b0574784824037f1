"""The generic CSV set: every file and column, upserts, updates and point-in-time territories."""

from __future__ import annotations

from decimal import Decimal

import pytest

from metrics.models import Target, TargetChange
from reps.models import SalesRep
from sales.models import Activity, Customer, Deal, Expense, SurveyResponse
from territories.models import Territory, TerritoryAssignment
from tests.factories import UserFactory
from tests.helpers.import_generic import FIRST_IMPORT, D, table
from tests.sales.fixtures.importing import (
    counts,
    db_counts,
    errors,
    file_with_line,
    generic_set,
    run,
    warnings,
)

pytestmark = pytest.mark.django_db


def test_every_file_and_column_is_imported(tmp_path):
    result = run(generic_set(tmp_path))
    assert errors(result) == [] and warnings(result) == []
    assert counts(result) == FIRST_IMPORT

    assert table(Territory, "code", "name", "depth") == [
        ("emea", "EMEA", 1),
        ("na", "North America", 1),
        ("na-east", "NA East", 2),
        ("na-west", "NA West", 2),
    ]
    east = Territory.objects.get(code="na-east")
    assert list(Territory.objects.get_ancestors(east).values_list("code", flat=True)) == ["na"]
    assert table(SalesRep, "external_id", "name", "email", "hired_on", "left_on") == [
        ("r1", "Rep One", "r1@example.com", D(2024, 1, 1), None),
        ("r2", "Rep Two", "r2@example.com", D(2024, 1, 1), D(2025, 12, 31)),
    ]
    assert table(TerritoryAssignment, "rep__external_id", "territory__code", "start_date", "end_date") == [
        ("r1", "na-east", D(2024, 1, 1), D(2025, 3, 31)),
        ("r1", "na-west", D(2025, 4, 1), None),
        ("r2", "emea", D(2024, 1, 1), None),
    ]
    assert table(Customer, "external_id", "name", "territory__code", "owner__external_id", "sector", "churned_on") == [
        ("c1", "Acme", "na-east", "r1", "retail", None),
        ("c2", "Globex", "emea", "r2", "health", D(2025, 6, 30)),
    ]
    deal_fields = (
        "external_id",
        "owner__external_id",
        "stage",
        "amount",
        "name",
        "customer__external_id",
        "territory__code",
        "refunded_amount",
        "created_on",
        "closed_on",
        "ends_on",
        "product",
        "lost_from_stage",
    )
    assert table(Deal, *deal_fields) == [
        # No territory_code: closed deals take their owner's territory on the close date.
        ("d1", "r1", "won", Decimal("1000.00"), "First", "c1", "na-east", Decimal("0"), D(2025, 1, 10),
         D(2025, 3, 15), None, "A", ""),
        ("d2", "r1", "won", Decimal("2500.50"), "Second", "c1", "na-west", Decimal("100"), D(2025, 3, 1),
         D(2025, 4, 20), D(2026, 4, 19), "B", ""),
        ("d3", "r2", "lost", Decimal("300"), "Third", "c2", "emea", Decimal("0"), D(2025, 2, 1),
         D(2025, 2, 28), None, "A", "qualified"),
        # An open deal takes its owner's territory on created_on.
        ("d4", "r1", "qualified", Decimal("800"), "Fourth", None, "na-west", Decimal("0"), D(2025, 5, 2),
         None, None, "C", ""),
    ]  # fmt: skip
    assert table(Activity, "external_id", "rep__external_id", "territory__code", "kind", "occurred_on",
                 "deal__external_id", "customer__external_id") == [
        ("a1", "r1", "na-east", "call", D(2025, 3, 10), "d1", "c1"),
        ("a2", "r2", "emea", "meeting", D(2025, 2, 10), "d3", None),
    ]  # fmt: skip
    assert table(SurveyResponse, "external_id", "customer__external_id", "rep__external_id", "territory__code",
                 "kind", "score", "responded_on", "comment") == [
        ("s1", "c1", None, "na-east", "csat", 5, D(2025, 4, 1), "great"),
        ("s2", "c2", "r2", "emea", "nps", 9, D(2025, 4, 2), ""),
    ]  # fmt: skip
    assert table(Expense, "territory__code", "month", "amount", "category") == [
        ("na-east", D(2025, 1, 1), Decimal("1200.00"), "sales"),
        ("na-east", D(2025, 1, 1), Decimal("300.00"), "marketing"),
    ]
    # 2025-Q2 spread evenly over its months; a month target as is.
    assert table(Target, "rep__external_id", "territory__code", "kpi", "month", "value", "entered_as") == [
        (None, "na", "revenue", D(2025, 5, 1), Decimal("50000"), "2025-05"),
        ("r1", None, "revenue", D(2025, 4, 1), Decimal("10000"), "2025-Q2"),
        ("r1", None, "revenue", D(2025, 5, 1), Decimal("10000"), "2025-Q2"),
        ("r1", None, "revenue", D(2025, 6, 1), Decimal("10000"), "2025-Q2"),
    ]
    assert set(TargetChange.objects.values_list("source", flat=True)) == {"import"}
    assert TargetChange.objects.count() == 4

    # Months whose KPIs the import touched: deals' created/closed/ends, activities, surveys,
    # expenses, target months.
    assert sorted(result.affected_months) == [
        D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1), D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1), D(2026, 4, 1),
    ]  # fmt: skip


def test_importing_twice_changes_nothing(tmp_path):
    folder = generic_set(tmp_path)
    run(folder)
    snapshot = {
        model: table(model, *[f.attname for f in model._meta.concrete_fields if f.attname != "updated_at"])
        for model in (
            Territory,
            SalesRep,
            TerritoryAssignment,
            Customer,
            Deal,
            Activity,
            SurveyResponse,
            Expense,
            Target,
        )
    }
    changes = TargetChange.objects.count()

    again = run(folder)

    assert errors(again) == []
    assert counts(again) == {
        file: {entity: (0, 0, sum(c)) for entity, c in entities.items()} for file, entities in FIRST_IMPORT.items()
    }
    assert again.affected_months == set()
    for model, rows in snapshot.items():
        assert table(model, *[f.attname for f in model._meta.concrete_fields if f.attname != "updated_at"]) == rows
    assert TargetChange.objects.count() == changes


def test_changing_one_amount_updates_exactly_one_deal(tmp_path):
    run(generic_set(tmp_path / "first"))
    before = db_counts()
    changed = generic_set(
        tmp_path / "second",
        deals_csv=file_with_line(
            "deals.csv", 3, "d2,r1,won,2600.50,Second,c1,,100,2025-03-01,2025-04-20,2026-04-19,B,"
        ),
    )

    result = run(changed)

    assert counts(result)["deals.csv"] == {"deals": (0, 1, 3)}
    assert result.totals().created == 0 and result.totals().updated == 1
    assert Deal.objects.get(external_id="d2").amount == Decimal("2600.50")
    assert db_counts() == before
    assert sorted(result.affected_months) == [D(2025, 3, 1), D(2025, 4, 1), D(2026, 4, 1)]


def test_a_rep_who_moves_keeps_each_deal_in_the_territory_of_its_close_date(tmp_path):
    # r1 works in na-east until 2025-03-31 and in na-west from 2025-04-01.
    deals = (
        "external_id,owner_external_id,stage,amount,created_on,closed_on\n"
        "m1,r1,won,10,2025-01-02,2025-03-31\n"  # last day in na-east
        "m2,r1,won,10,2025-03-20,2025-04-01\n"  # created in na-east, closed on the first day in na-west
        "m3,r1,lost,10,2024-06-01,2024-06-02\n"
        "m4,r1,lead,10,2025-03-30,\n"  # open: created_on decides
        "m5,r1,lead,10,,\n"  # open, no created_on: the import date (2025-06-30) decides
    )
    result = run(generic_set(tmp_path, deals_csv=deals, activities_csv=None))
    assert errors(result) == []
    assert table(Deal, "external_id", "territory__code") == [
        ("m1", "na-east"),
        ("m2", "na-west"),
        ("m3", "na-east"),
        ("m4", "na-east"),
        ("m5", "na-west"),
    ]


def test_customer_territory_when_the_owner_has_no_assignment_then(tmp_path):
    deals = (
        "external_id,owner_external_id,stage,amount,customer_external_id,territory_code,created_on,closed_on\n"
        "e1,r2,won,10,c1,,2023-01-02,2023-02-01\n"  # r2 starts 2024-01-01: c1's territory (na-east)
        "e2,r2,won,10,c1,na-west,2023-01-02,2023-02-01\n"  # a given territory wins
    )
    result = run(generic_set(tmp_path, deals_csv=deals, activities_csv=None))
    assert errors(result) == []
    assert table(Deal, "external_id", "territory__code") == [("e1", "na-east"), ("e2", "na-west")]


def test_activity_takes_its_deal_territory_when_the_rep_was_not_assigned(tmp_path):
    activities = (
        "external_id,rep_external_id,kind,occurred_on,deal_external_id\n"
        "x1,r2,email,2023-05-05,d1\n"  # r2 not assigned in 2023: deal d1's territory (na-east)
    )
    result = run(generic_set(tmp_path, activities_csv=activities))
    assert errors(result) == []
    assert table(Activity, "external_id", "territory__code") == [("x1", "na-east")]


def test_upsert_by_external_id_against_rows_already_there(tmp_path):
    run(generic_set(tmp_path / "first"))
    # Only deals and a moved territory this time; the rest is in the database already.
    territories = "code,name,parent_code\nna-west,NA West Coast,emea\n"
    deals = (
        "external_id,owner_external_id,stage,amount,created_on,closed_on,customer_external_id\n"
        "d4,r1,won,800,2025-05-02,2025-06-10,\n"  # the open deal closes
        "d9,r2,won,70,2025-05-02,2025-06-10,c2\n"  # a new deal for an existing customer
    )
    folder = tmp_path / "second"
    folder.mkdir()
    (folder / "territories.csv").write_text(territories)
    (folder / "deals.csv").write_text(deals)

    result = run(folder)

    assert errors(result) == []
    assert counts(result) == {"territories.csv": {"territories": (0, 1, 0)}, "deals.csv": {"deals": (1, 1, 0)}}
    west = Territory.objects.get(code="na-west")
    assert (west.name, Territory.objects.get_parent(west).code) == ("NA West Coast", "emea")
    assert table(Deal.objects.filter(external_id__in=["d4", "d9"]), "external_id", "stage", "territory__code") == [
        ("d4", "won", "na-west"),
        ("d9", "won", "emea"),
    ]


def test_manager_emails_link_existing_users_and_create_missing_ones(tmp_path):
    boss = UserFactory(username="boss", email="Boss@Example.com")
    territories = "code,name,parent_code,manager_emails\nna,North America,,boss@example.com; new@example.com\n"
    result = run(generic_set(tmp_path, territories_csv=territories, **_only_territories()))
    assert errors(result) == []
    assert counts(result) == {"territories.csv": {"territories": (1, 0, 0), "users": (1, 0, 1)}}
    assert warnings(result) == [
        "territories.csv:2: manager_emails: no user has the e-mail 'new@example.com': one is created without a "
        "password (set it in the admin or send a password reset)"
    ]
    managers = Territory.objects.get(code="na").managers.order_by("username")
    assert [(u.username, u.has_usable_password()) for u in managers] == [("boss", True), ("new@example.com", False)]
    assert boss in managers


def _only_territories() -> dict:
    others = ("reps", "assignments", "customers", "deals", "activities", "surveys", "targets", "expenses")
    return dict.fromkeys(f"{name}_csv" for name in others)


def test_moving_a_territory_to_the_top_and_ending_an_assignment(tmp_path):
    run(generic_set(tmp_path / "first"))
    west_since_april = TerritoryAssignment.objects.get(rep__external_id="r1", start_date=D(2025, 4, 1)).pk
    folder = tmp_path / "second"
    folder.mkdir()
    (folder / "territories.csv").write_text("code,name,parent_code\nna-east,NA East,\n")
    (folder / "assignments.csv").write_text(
        "rep_external_id,territory_code,start_date,end_date\nr1,na-west,2025-04-01,2025-12-31\nr1,emea,2026-01-01,\n"
    )

    result = run(folder)

    assert errors(result) == []
    assert counts(result) == {
        "territories.csv": {"territories": (0, 1, 0)},
        "assignments.csv": {"assignments": (1, 1, 0)},
    }
    assert table(Territory, "code", "depth") == [("emea", 1), ("na", 1), ("na-east", 1), ("na-west", 2)]
    assert table(TerritoryAssignment, "rep__external_id", "territory__code", "start_date", "end_date") == [
        ("r1", "emea", D(2026, 1, 1), None),
        ("r1", "na-east", D(2024, 1, 1), D(2025, 3, 31)),
        ("r1", "na-west", D(2025, 4, 1), D(2025, 12, 31)),
        ("r2", "emea", D(2024, 1, 1), None),
    ]
    # The changed assignment keeps its id.
    assert TerritoryAssignment.objects.get(rep__external_id="r1", start_date=D(2025, 4, 1)).pk == west_since_april


def test_a_column_the_file_does_not_have_leaves_stored_values_alone(tmp_path):
    run(generic_set(tmp_path / "first"))
    folder = tmp_path / "second"
    folder.mkdir()
    # No territory_code, owner_external_id, sector or churned_on column: only the names are the file's.
    (folder / "customers.csv").write_text("external_id,name\nc1,Acme Inc\nc2,Globex\n")
    # A blank cell of a column the file has still clears the value.
    (folder / "reps.csv").write_text("external_id,name,left_on\nr1,Rep One,\nr2,Rep Two,\n")

    result = run(folder)

    assert errors(result) == []
    assert counts(result) == {
        "reps.csv": {"reps": (0, 1, 1)},
        "customers.csv": {"customers": (0, 1, 1)},
    }
    assert table(Customer, "external_id", "name", "territory__code", "owner__external_id", "sector", "churned_on") == [
        ("c1", "Acme Inc", "na-east", "r1", "retail", None),
        ("c2", "Globex", "emea", "r2", "health", D(2025, 6, 30)),
    ]
    assert table(SalesRep, "external_id", "email", "left_on") == [
        ("r1", "r1@example.com", None),
        ("r2", "r2@example.com", None),
    ]
