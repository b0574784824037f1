"""Sales rep admin: list, filters, and the assignment history inline with its overlap checks."""

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reps.models import SalesRep
from territories.models import TerritoryAssignment
from tests.factories import AssignmentFactory, SalesRepFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
CHANGELIST = reverse("admin:reps_salesrep_changelist")
ADD = reverse("admin:reps_salesrep_add")
AS_OF = override_settings(KPI_AS_OF=D(2025, 3, 15))


@pytest.fixture
def client(admin_client):
    return admin_client


def rep_post(*, name="Alice Smith", external_id="r-alice", hired_on="2020-01-01", left_on="", rows=(), initial=0):
    """The rep change form's POST, with ``rows`` of (id, territory, start, end, delete) for the inline."""
    data = {
        "name": name,
        "external_id": external_id,
        "email": "",
        "user": "",
        "hired_on": hired_on,
        "left_on": left_on,
        "assignments-TOTAL_FORMS": str(len(rows)),
        "assignments-INITIAL_FORMS": str(initial),
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
    }
    for i, (pk, territory, start, end, delete) in enumerate(rows):
        data.update(
            {
                f"assignments-{i}-id": pk or "",
                f"assignments-{i}-territory": territory.pk if territory else "",
                f"assignments-{i}-start_date": start,
                f"assignments-{i}-end_date": end,
            }
        )
        if delete:
            data[f"assignments-{i}-DELETE"] = "on"
    return data


def assignments_of(rep):
    return list(
        TerritoryAssignment.objects.filter(rep=rep)
        .order_by("start_date")
        .values_list("territory__code", "start_date", "end_date")
    )


# --- Changelist ----------------------------------------------------------------------------


@AS_OF
def test_changelist_shows_current_territory(client, tree):
    alice = SalesRepFactory(name="Alice", external_id="r-a")
    AssignmentFactory(rep=alice, territory=tree["uk"], start_date=D(2024, 1, 1), end_date=D(2024, 12, 31))
    AssignmentFactory(rep=alice, territory=tree["na-east"], start_date=D(2025, 1, 1))
    html = client.get(CHANGELIST).content.decode()
    row = next(r for r in html.split("<tr") if "r-a" in r)
    assert '<td class="field-current_territory">na-east</td>' in row


@AS_OF
def test_changelist_queries_do_not_grow_with_rows(client, tree, django_assert_num_queries):
    def add(i):
        rep = SalesRepFactory(user=UserFactory(username=f"rep-{i}"))
        AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=D(2024, 1, 1))

    add(0)
    add(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    assert len(few) <= 10
    for i in range(2, 20):
        add(i)
    with django_assert_num_queries(len(few)):
        response = client.get(CHANGELIST)
    assert response.content.decode().count('<td class="field-current_territory">na-east</td>') == 20


def test_search_by_name_external_id_and_email(client, tree):
    SalesRepFactory(name="Alice Smith", external_id="crm-17", email="alice@corp.example")
    SalesRepFactory(name="Bob Jones", external_id="crm-18", email="bob@corp.example")
    for term in ("smith", "crm-17", "alice@corp"):
        html = client.get(CHANGELIST, {"q": term}).content.decode()
        assert "Alice Smith" in html and "Bob Jones" not in html, term


@AS_OF
def test_filter_active_and_left(client, tree):
    SalesRepFactory(name="Still Here", left_on=None)
    SalesRepFactory(name="Gone Already", left_on=D(2024, 12, 31))
    SalesRepFactory(name="Leaving Later", left_on=D(2025, 6, 30))
    html = client.get(CHANGELIST, {"employment": "active"}).content.decode()
    assert "Still Here" in html and "Leaving Later" in html and "Gone Already" not in html
    html = client.get(CHANGELIST, {"employment": "left"}).content.decode()
    assert "Gone Already" in html and "Still Here" not in html and "Leaving Later" not in html


@AS_OF
def test_filter_by_current_territory_includes_the_subtree(client, tree):
    east, uk = SalesRepFactory(name="East Rep"), SalesRepFactory(name="UK Rep")
    moved = SalesRepFactory(name="Moved Rep")
    AssignmentFactory(rep=east, territory=tree["na-east"], start_date=D(2024, 1, 1))
    AssignmentFactory(rep=uk, territory=tree["uk"])
    # Was in NA West, is in the UK now: only the current assignment counts.
    AssignmentFactory(rep=moved, territory=tree["na-west"], end_date=D(2025, 2, 28))
    AssignmentFactory(rep=moved, territory=tree["uk"], start_date=D(2025, 3, 1))
    html = client.get(CHANGELIST, {"territory": "na"}).content.decode()
    assert "East Rep" in html and "UK Rep" not in html and "Moved Rep" not in html
    html = client.get(CHANGELIST, {"territory": "emea"}).content.decode()
    assert "UK Rep" in html and "Moved Rep" in html and "East Rep" not in html


def test_user_autocomplete_finds_logins(client, tree):
    UserFactory(username="alice.smith")
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "reps", "model_name": "salesrep", "field_name": "user", "term": "alice"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["alice.smith"]


# --- The assignment inline --------------------------------------------------------------------


def test_add_a_rep_with_consecutive_assignments(client, tree):
    rows = [(None, tree["na-east"], "2024-01-01", "2024-06-30", False), (None, tree["uk"], "2024-07-01", "", False)]
    response = client.post(ADD, rep_post(rows=rows))
    assert response.status_code == 302
    rep = SalesRep.objects.get(external_id="r-alice")
    assert assignments_of(rep) == [("na-east", D(2024, 1, 1), D(2024, 6, 30)), ("uk", D(2024, 7, 1), None)]


def test_overlapping_rows_in_the_inline_are_refused_naming_both_periods(client, tree):
    rows = [(None, tree["na-east"], "2024-01-01", "2024-06-30", False), (None, tree["uk"], "2024-06-30", "", False)]
    response = client.post(ADD, rep_post(rows=rows))
    assert response.status_code == 200
    assert (
        "The assignments na-east 2024-01-01 – 2024-06-30 and uk 2024-06-30 – open overlap: "
        "a rep works in one territory at a time." in response.content.decode()
    )
    assert SalesRep.objects.count() == 0 and TerritoryAssignment.objects.count() == 0


def test_a_new_row_overlapping_a_stored_one_is_refused(client, tree):
    rep = SalesRepFactory(name="Alice Smith", external_id="r-alice")
    stored = AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=D(2024, 1, 1))
    rows = [(stored.pk, tree["na-east"], "2024-01-01", "", False), (None, tree["uk"], "2025-01-01", "", False)]
    response = client.post(
        reverse("admin:reps_salesrep_change", args=[rep.pk]), rep_post(name="Renamed", rows=rows, initial=1)
    )
    assert response.status_code == 200
    assert "The assignments na-east 2024-01-01 – open and uk 2025-01-01 – open overlap" in response.content.decode()
    assert assignments_of(rep) == [("na-east", D(2024, 1, 1), None)]
    assert SalesRep.objects.get(pk=rep.pk).name == "Alice Smith"


def test_closing_a_stored_row_and_adding_the_next_one_in_one_save(client, tree):
    rep = SalesRepFactory(name="Alice Smith", external_id="r-alice")
    stored = AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=D(2024, 1, 1))
    rows = [
        (stored.pk, tree["na-east"], "2024-01-01", "2024-12-31", False),
        (None, tree["uk"], "2025-01-01", "", False),
    ]
    response = client.post(reverse("admin:reps_salesrep_change", args=[rep.pk]), rep_post(rows=rows, initial=1))
    assert response.status_code == 302
    assert assignments_of(rep) == [("na-east", D(2024, 1, 1), D(2024, 12, 31)), ("uk", D(2025, 1, 1), None)]


def test_a_deleted_row_does_not_count_as_an_overlap(client, tree):
    rep = SalesRepFactory(name="Alice Smith", external_id="r-alice")
    stored = AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=D(2024, 1, 1))
    rows = [(stored.pk, tree["na-east"], "2024-01-01", "", True), (None, tree["uk"], "2024-01-01", "", False)]
    response = client.post(reverse("admin:reps_salesrep_change", args=[rep.pk]), rep_post(rows=rows, initial=1))
    assert response.status_code == 302
    assert assignments_of(rep) == [("uk", D(2024, 1, 1), None)]


def test_a_stored_row_missing_from_the_page_still_counts(client, tree):
    # Someone added an assignment after this page was drawn: the page's rows are
    # checked against it too, so the database constraint never has to fire.
    rep = SalesRepFactory(name="Alice Smith", external_id="r-alice")
    AssignmentFactory(rep=rep, territory=tree["uk"], start_date=D(2025, 1, 1))
    rows = [(None, tree["na-east"], "2024-01-01", "", False)]
    response = client.post(reverse("admin:reps_salesrep_change", args=[rep.pk]), rep_post(rows=rows, initial=0))
    assert response.status_code == 200
    assert "The assignments na-east 2024-01-01 – open and uk 2025-01-01 – open overlap" in response.content.decode()
    assert assignments_of(rep) == [("uk", D(2025, 1, 1), None)]


def test_an_inline_row_ending_before_it_starts_is_refused(client, tree):
    rows = [(None, tree["uk"], "2024-06-01", "2024-05-01", False)]
    response = client.post(ADD, rep_post(rows=rows))
    assert response.status_code == 200
    assert "The assignment ends on 2024-05-01, before it starts (2024-06-01)." in response.content.decode()
    assert SalesRep.objects.count() == 0 and TerritoryAssignment.objects.count() == 0


def test_leaving_before_being_hired_is_a_form_error(client, tree):
    response = client.post(ADD, rep_post(hired_on="2024-01-01", left_on="2023-12-31"))
    assert response.status_code == 200
    assert "A rep cannot leave before being hired." in response.content.decode()
    assert SalesRep.objects.count() == 0


def test_change_page_renders_the_inline_with_territory_autocomplete(client, tree):
    rep = SalesRepFactory()
    AssignmentFactory(rep=rep, territory=tree["uk"], start_date=D(2024, 1, 1))
    html = client.get(reverse("admin:reps_salesrep_change", args=[rep.pk])).content.decode()
    assert 'name="assignments-0-territory"' in html and "admin-autocomplete" in html
    assert "United Kingdom (uk)" in html
