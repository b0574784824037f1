"""Territory tree and assignment admin: rendering, moves, overlap checks, query counts."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from territories.models import Territory, TerritoryAssignment
from tests.factories import AssignmentFactory, SalesRepFactory, UserFactory, territory_create

pytestmark = pytest.mark.django_db

D = datetime.date
CHANGELIST = reverse("admin:territories_territory_changelist")


@pytest.fixture
def client(admin_client):
    return admin_client


def tree_snapshot():
    return list(Territory.objects.order_by("path").values_list("code", "path", "depth", "numchild"))


def under(parent):
    return {"treebeard_position": "sorted-child", "treebeard_ref_node": parent.pk}


def assert_constant_queries(client, url, grow, django_assert_num_queries, *, limit):
    """The page costs the same number of queries before and after ``grow()`` adds rows."""
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    assert len(few) <= limit, [q["sql"] for q in few.captured_queries]
    grow()
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
    return response


def test_tree_changelist_shows_roots_with_their_tree_context(client, tree):
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "North America" in html and "EMEA" in html
    # The tree view lists one level and loads children on demand (treebeard's own script, served locally).
    assert "NA East" not in html
    assert "treebeard/treebeard-admin.js" in html and "cdn" not in html.lower()
    context = json.loads(html.split('<script id="tree-context" type="application/json">')[1].split("</script>")[0])
    assert [(row["node-id"], row["has-children"], row["level"]) for row in context] == [
        (str(tree["emea"].pk), 1, 1),
        (str(tree["na"].pk), 1, 1),
    ]


def test_children_endpoint_returns_the_next_level(client, tree):
    response = client.get(f"{CHANGELIST}children/{tree['na'].pk}/")
    assert response.status_code == 200
    data = response.json()
    assert "NA East" in data["result_html"] and "NA West" in data["result_html"]
    assert [(row["level"], row["parent-id"]) for row in data["tree_context"]] == [(2, str(tree["na"].pk))] * 2


def test_search_lists_matches_flat_and_indented_by_depth(client, tree):
    response = client.get(CHANGELIST, {"q": "na"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "\u00a0" * 4 + "NA East" in html and "\u00a0" * 4 + "NA West" in html
    assert 'id="tree-context"' not in html
    # The parent column names the parent's code.
    rows = [r for r in html.split("<tr") if "NA East" in r]
    assert len(rows) == 1 and ">na<" in rows[0]


def test_filter_by_level_and_by_manager(client, tree, manager_user):
    html = client.get(CHANGELIST, {"level": "2"}).content.decode()
    assert "NA East" in html and "United Kingdom" in html and "EMEA" not in html
    html = client.get(CHANGELIST, {"managers__id__exact": manager_user.pk}).content.decode()
    assert "North America" in html and "EMEA" not in html and "na-manager" in html


def test_changelist_queries_do_not_grow_with_rows(client, tree, django_assert_num_queries):
    manager = UserFactory(username="m1")
    tree["na"].managers.add(manager)

    def grow():
        for i in range(18):
            territory_create(f"root-{i:02d}").managers.add(manager)

    assert_constant_queries(client, CHANGELIST, grow, django_assert_num_queries, limit=12)
    response = client.get(CHANGELIST)
    assert response.content.decode().count("root-") >= 18


def test_flat_changelist_queries_do_not_grow_with_rows(client, tree, django_assert_num_queries):
    def grow():
        for i in range(18):
            territory_create(f"na-sub-{i:02d}", parent=tree["na"])

    assert_constant_queries(client, f"{CHANGELIST}?q=na", grow, django_assert_num_queries, limit=12)


def test_add_a_territory_under_a_parent(client, tree):
    response = client.post(
        reverse("admin:territories_territory_add"),
        {"code": "na-north", "name": "NA North", **under(tree["na"])},
    )
    assert response.status_code == 302, response.content.decode()
    node = Territory.objects.get(code="na-north")
    assert Territory.objects.get_parent(node).code == "na"
    assert Territory.objects.get(code="na").numchild == 3


def test_move_a_territory_under_another_branch(client, tree):
    uk = tree["uk"]
    response = client.post(
        reverse("admin:territories_territory_change", args=[uk.pk]),
        {"code": "uk", "name": "United Kingdom", **under(tree["na"])},
    )
    assert response.status_code == 302
    uk.refresh_from_db()
    assert Territory.objects.get_parent(uk).code == "na"
    assert Territory.objects.get(code="emea").numchild == 0


def test_moving_under_own_descendant_in_the_form_shows_an_error_and_changes_nothing(client, tree):
    before = tree_snapshot()
    na = tree["na"]
    response = client.post(
        reverse("admin:territories_territory_change", args=[na.pk]),
        {
            "code": "na",
            "name": "North America renamed",
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": tree["na-east"].pk,
        },
    )
    assert response.status_code == 200
    assert (
        "North America (na) cannot move under NA East (na-east): na-east is inside na&#x27;s own branch."
        in response.content.decode()
    )
    assert tree_snapshot() == before
    assert Territory.objects.get(code="na").name == "North America"


def test_placing_a_territory_under_itself_shows_an_error(client, tree):
    before = tree_snapshot()
    na = tree["na"]
    response = client.post(
        reverse("admin:territories_territory_change", args=[na.pk]),
        {"code": "na", "name": "North America", "treebeard_position": "sorted-child", "treebeard_ref_node": na.pk},
    )
    assert response.status_code == 200
    assert "North America (na) cannot be placed under itself." in response.content.decode()
    assert tree_snapshot() == before


def test_drag_and_drop_move_into_own_descendant_is_refused(client, tree):
    before = tree_snapshot()
    response = client.post(
        f"{CHANGELIST}move/", {"node": tree["na"].pk, "target": tree["na-west"].pk, "relation": "child"}
    )
    assert response.status_code == 400
    assert tree_snapshot() == before
    # The script reloads the page, which shows the message.
    html = client.get(CHANGELIST).content.decode()
    assert "North America (na) cannot move under NA West (na-west): na-west is inside na&#x27;s own branch." in html
    assert "Nothing was moved." in html


def test_drag_and_drop_move_to_another_branch_works(client, tree):
    response = client.post(f"{CHANGELIST}move/", {"node": tree["uk"].pk, "target": tree["na"].pk, "relation": "child"})
    assert response.status_code == 200
    assert Territory.objects.get_parent(Territory.objects.get(code="uk")).code == "na"


def test_territories_can_be_found_by_autocomplete(client, tree):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "sales", "model_name": "deal", "field_name": "territory", "term": "east"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["NA East (na-east)"]


# --- Assignments -------------------------------------------------------------------------

ASSIGNMENTS = reverse("admin:territories_territoryassignment_changelist")


def test_assignment_changelist_filters_by_territory_subtree(client, tree):
    rep_a, rep_b = SalesRepFactory(name="Alice"), SalesRepFactory(name="Bob")
    AssignmentFactory(rep=rep_a, territory=tree["na-east"], start_date=D(2024, 1, 1))
    AssignmentFactory(rep=rep_b, territory=tree["uk"], start_date=D(2024, 1, 1))
    html = client.get(ASSIGNMENTS, {"territory": "na"}).content.decode()
    assert "Alice" in html and "Bob" not in html
    html = client.get(ASSIGNMENTS, {"territory": "uk"}).content.decode()
    assert "Bob" in html and "Alice" not in html


def test_assignment_changelist_queries_do_not_grow_with_rows(client, tree, django_assert_num_queries):
    AssignmentFactory(territory=tree["na-east"], start_date=D(2024, 1, 1))
    AssignmentFactory(territory=tree["uk"], start_date=D(2024, 1, 1))

    def grow():
        for i in range(18):
            AssignmentFactory(territory=tree["na-west" if i % 2 else "uk"], start_date=D(2024, 1, 1))

    response = assert_constant_queries(client, ASSIGNMENTS, grow, django_assert_num_queries, limit=12)
    assert "20 territory assignments" in response.content.decode()


def _assignment_post(rep, territory, start, end):
    return {"rep": rep.pk, "territory": territory.pk, "start_date": start, "end_date": end}


def test_assignment_form_refuses_an_overlap_with_a_stored_assignment(client, tree):
    rep = SalesRepFactory(external_id="r-1", name="Alice")
    AssignmentFactory(rep=rep, territory=tree["na-east"], start_date=D(2024, 1, 1), end_date=D(2024, 6, 30))
    response = client.post(
        reverse("admin:territories_territoryassignment_add"),
        _assignment_post(rep, tree["uk"], "2024-06-01", ""),
    )
    assert response.status_code == 200
    assert (
        "The assignments uk 2024-06-01 – open and na-east 2024-01-01 – 2024-06-30 overlap: "
        "a rep works in one territory at a time." in response.content.decode()
    )
    assert TerritoryAssignment.objects.count() == 1


def test_assignment_form_refuses_an_end_before_the_start(client, tree):
    rep = SalesRepFactory()
    response = client.post(
        reverse("admin:territories_territoryassignment_add"),
        _assignment_post(rep, tree["uk"], "2024-06-01", "2024-05-31"),
    )
    assert response.status_code == 200
    assert "The assignment ends on 2024-05-31, before it starts (2024-06-01)." in response.content.decode()
    assert TerritoryAssignment.objects.count() == 0


def test_assignment_form_lets_a_row_change_its_own_dates(client, tree):
    rep = SalesRepFactory()
    row = AssignmentFactory(rep=rep, territory=tree["uk"], start_date=D(2024, 1, 1), end_date=D(2024, 6, 30))
    response = client.post(
        reverse("admin:territories_territoryassignment_change", args=[row.pk]),
        _assignment_post(rep, tree["uk"], "2024-01-01", "2024-12-31"),
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.end_date == D(2024, 12, 31)


def test_non_staff_user_is_sent_to_the_admin_login(client, tree):
    client.logout()
    client.force_login(UserFactory(username="plain", is_staff=False))
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={CHANGELIST}"
