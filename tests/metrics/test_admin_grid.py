"""Quota grid: reps × months of one KPI and year, saved all together or not at all."""

import datetime
import html
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import Target, TargetChange
from tests.factories import AssignmentFactory, SalesRepFactory, TargetFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
GRID = reverse("admin:metrics_target_grid")


@pytest.fixture
def client(admin_client):
    return admin_client


@pytest.fixture
def team(tree):
    """Two reps in NA East in 2025 and one in the UK; one rep left NA in 2024."""
    ann = SalesRepFactory(external_id="r-ann", name="Ann")
    bob = SalesRepFactory(external_id="r-bob", name="Bob")
    uma = SalesRepFactory(external_id="r-uma", name="Uma")
    old = SalesRepFactory(external_id="r-old", name="Old Timer", left_on=D(2024, 6, 30))
    AssignmentFactory(rep=ann, territory=tree["na-east"], start_date=D(2024, 1, 1))
    AssignmentFactory(rep=bob, territory=tree["na-west"], start_date=D(2025, 7, 1))
    AssignmentFactory(rep=uma, territory=tree["uk"], start_date=D(2020, 1, 1))
    AssignmentFactory(rep=old, territory=tree["na-east"], start_date=D(2020, 1, 1), end_date=D(2024, 6, 30))
    TargetFactory(rep=ann, month=D(2025, 1, 1), value=Decimal("1000.00"))
    TargetFactory(rep=ann, month=D(2025, 2, 1), value=Decimal("2000.00"))
    TargetFactory(rep=bob, month=D(2025, 7, 1), value=Decimal("500.00"))
    TargetFactory(rep=ann, kpi="calls", month=D(2025, 1, 1), value=Decimal("40"))
    return {"ann": ann, "bob": bob, "uma": uma, "old": old}


def page(response) -> str:
    return html.unescape(response.content.decode())


def grid_values(response) -> dict[str, list[str]]:
    return {row.rep.external_id: [cell.value for cell in row.cells] for row in response.context["rows"]}


def submitted(response, **changes) -> dict[str, str]:
    """The POST the page would send, with ``changes`` as {"<external id>_<month>": "text"}."""
    data = {"baseline": response.context["baseline"]}
    for row in response.context["rows"]:
        for month, cell in enumerate(row.cells, start=1):
            data[cell.name] = changes.pop(f"{row.rep.external_id}_{month}", cell.value)
    assert not changes, f"no such cells: {changes}"
    return data


def stored(kpi="revenue"):
    return {
        (rep, month.month): value
        for rep, month, value in Target.objects.filter(kpi=kpi, rep__isnull=False).values_list(
            "rep__external_id", "month", "value"
        )
    }


def test_grid_lists_reps_of_the_year_with_their_targets_and_totals(client, team):
    response = client.get(GRID, {"year": "2025", "kpi": "revenue"})
    assert response.status_code == 200
    empty = [""] * 12
    assert grid_values(response) == {
        "r-ann": ["1000.00", "2000.00"] + [""] * 10,
        "r-bob": [""] * 6 + ["500.00"] + [""] * 5,
        "r-uma": empty,
    }
    assert [row.total for row in response.context["rows"]] == ["3,000.00", "500.00", "—"]
    assert response.context["column_totals"][:3] == ["1,000.00", "2,000.00", "—"]
    assert response.context["grand_total"] == "3,500.00"
    text = page(response)
    assert "These are calendar months: the fiscal year setting (fiscal years start in January) does not apply" in text


def test_grid_can_show_only_reps_assigned_to_a_territory_during_the_year(client, team):
    response = client.get(GRID, {"year": "2025", "kpi": "revenue", "territory": "na"})
    assert list(grid_values(response)) == ["r-ann", "r-bob"]
    response = client.get(GRID, {"year": "2024", "kpi": "revenue", "territory": "na-east"})
    assert list(grid_values(response)) == ["r-ann", "r-old"]
    response = client.get(GRID, {"year": "2025", "kpi": "revenue", "territory": "uk"})
    assert list(grid_values(response)) == ["r-uma"]


def test_grid_is_linked_from_the_target_list_and_says_the_fiscal_year_does_not_apply(client, team):
    assert f'href="{GRID}"' in page(client.get(reverse("admin:metrics_target_changelist")))
    with override_settings(FISCAL_YEAR_START_MONTH=7):
        text = page(client.get(GRID, {"year": "2025", "kpi": "revenue"}))
    assert "the fiscal year setting (fiscal years start in July) does not apply to this grid" in text


def test_saving_writes_exactly_the_changed_cells_and_logs_them(client, team, admin_user):
    grid = client.get(GRID, {"year": "2025", "kpi": "revenue"})
    data = submitted(grid, **{"r-ann_2": "2500", "r-ann_3": "3000.50", "r-bob_7": "", "r-uma_12": "0"})
    response = client.post(f"{GRID}?year=2025&kpi=revenue", data)
    assert response.status_code == 302
    assert response["Location"] == f"{GRID}?year=2025&kpi=revenue"
    assert stored() == {
        ("r-ann", 1): Decimal("1000.00"),
        ("r-ann", 2): Decimal("2500.00"),
        ("r-ann", 3): Decimal("3000.50"),
        ("r-uma", 12): Decimal("0.00"),
    }
    assert stored("calls") == {("r-ann", 1): Decimal("40")}
    log = sorted(
        TargetChange.objects.values_list("scope", "month", "old_value", "new_value", "changed_by", "source", "note")
    )
    assert log == [
        ("rep:r-ann", D(2025, 2, 1), Decimal("2000.00"), Decimal("2500.00"), admin_user.pk, "grid", "quota grid"),
        ("rep:r-ann", D(2025, 3, 1), None, Decimal("3000.50"), admin_user.pk, "grid", "quota grid"),
        ("rep:r-bob", D(2025, 7, 1), Decimal("500.00"), None, admin_user.pk, "grid", "quota grid"),
        ("rep:r-uma", D(2025, 12, 1), None, Decimal("0.00"), admin_user.pk, "grid", "quota grid"),
    ]
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == ["Saved 4 changed cells of Revenue 2025 (created 2, updated or cleared 2, unchanged 0)."]


def test_submitting_an_untouched_grid_changes_nothing(client, team):
    grid = client.get(GRID, {"year": "2025", "kpi": "revenue"})
    response = client.post(f"{GRID}?year=2025&kpi=revenue", submitted(grid, **{"r-ann_1": "1000"}))
    assert response.status_code == 302
    assert TargetChange.objects.count() == 0
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == ["Nothing changed: no cell differs from the saved grid."]


def test_bad_cells_are_all_reported_and_nothing_is_saved(client, team):
    grid = client.get(GRID, {"year": "2025", "kpi": "revenue"})
    before = (stored(), TargetChange.objects.count())
    data = submitted(grid, **{"r-ann_2": "abc", "r-bob_12": "-10", "r-uma_3": "12.345", "r-uma_4": "999"})
    response = client.post(f"{GRID}?year=2025&kpi=revenue", data)
    assert response.status_code == 200
    assert response.context["errors"] == [
        "Ann (r-ann), February 2025: 'abc' is not a number",
        "Bob (r-bob), December 2025: a target cannot be negative",
        "Uma (r-uma), March 2025: use at most 2 decimals (values are spread over months in cents)",
    ]
    text = page(response)
    for error in response.context["errors"]:
        assert error in text
    assert "Nothing was saved: 3 cells are not valid targets (listed below)." in text
    # The page keeps what was typed, so it can be corrected and sent again.
    assert grid_values(response)["r-uma"][2:4] == ["12.345", "999"]
    assert (stored(), TargetChange.objects.count()) == before


def test_a_cell_changed_meanwhile_by_someone_else_is_not_overwritten(client, team):
    grid = client.get(GRID, {"year": "2025", "kpi": "revenue"})
    Target.objects.filter(rep=team["ann"], month=D(2025, 1, 1)).update(value=Decimal("1111.00"))
    response = client.post(f"{GRID}?year=2025&kpi=revenue", submitted(grid, **{"r-ann_2": "2200"}))
    assert response.status_code == 302
    assert stored()[("r-ann", 1)] == Decimal("1111.00")
    assert stored()[("r-ann", 2)] == Decimal("2200.00")


def test_rate_kpis_take_fractions_and_have_no_totals(client, team):
    grid = client.get(GRID, {"year": "2025", "kpi": "win_rate"})
    assert [row.total for row in grid.context["rows"]] == ["", "", ""]
    assert grid.context["column_totals"] == []
    response = client.post(f"{GRID}?year=2025&kpi=win_rate", submitted(grid, **{"r-uma_5": "0.3125"}))
    assert response.status_code == 302
    assert stored("win_rate") == {("r-uma", 5): Decimal("0.3125")}


def test_kpis_not_defined_for_reps_are_not_offered(client, team):
    response = client.get(GRID, {"year": "2025", "kpi": "cac"})
    assert "kpi" in response.context["filter_form"].errors
    assert "rows" not in response.context


def test_grid_queries_do_not_grow_with_reps(client, tree, django_assert_num_queries):
    def add(i):
        rep = SalesRepFactory()
        AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=D(2024, 1, 1))
        for month in (1, 6, 12):
            TargetFactory(rep=rep, month=D(2025, month, 1), value=Decimal("100.00"))

    add(0)
    add(1)
    url = f"{GRID}?year=2025&kpi=revenue&territory=na"
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert len(response.context["rows"]) == 2
    assert len(few) <= 10, [q["sql"] for q in few.captured_queries]
    for i in range(2, 20):
        add(i)
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["rows"]) == 20
    assert response.context["grand_total"] == "6,000.00"


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=36)
def test_a_grid_too_large_to_post_asks_for_a_territory(client, team):
    response = client.get(GRID, {"year": "2025", "kpi": "revenue"})
    assert "3 reps match: the grid shows at most 2 at a time. Pick a territory to narrow it." in page(response)
    assert "rows" not in response.context


def test_staff_without_change_permission_sees_a_read_only_grid(client, team):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_target"))
    client.force_login(viewer)
    response = client.get(GRID, {"year": "2025", "kpi": "revenue"})
    assert response.status_code == 200 and not response.context["can_save"]
    assert "Save changed cells" not in page(response)
    data = submitted(response, **{"r-uma_1": "5"})
    assert client.post(f"{GRID}?year=2025&kpi=revenue", data).status_code == 403
    assert ("r-uma", 1) not in stored()
