"""/territories, /reps and /deals: exactly the rows each caller may see, filters, cursor pages, no N+1."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def _codes(nodes: list[dict]) -> list:
    return [(n["code"], n["parent"], n["depth"], _codes(n["children"])) for n in nodes]


def test_territory_tree_per_role(world, api):
    assert _codes(api("admin").get("/api/v1/territories").json()) == [
        ("emea", None, 1, [("uk", "emea", 2, [])]),
        ("na", None, 1, [("na-east", "na", 2, []), ("na-west", "na", 2, [])]),
    ]
    manager_tree = [("na", None, 1, [("na-east", "na", 2, []), ("na-west", "na", 2, [])])]
    assert _codes(api("manager").get("/api/v1/territories").json()) == manager_tree
    assert _codes(api("token").get("/api/v1/territories").json()) == manager_tree
    emea_tree = [("emea", None, 1, [("uk", "emea", 2, [])])]
    assert _codes(api("other_manager").get("/api/v1/territories").json()) == emea_tree
    assert api("rep").get("/api/v1/territories").json() == []
    assert api("nobody").get("/api/v1/territories").json() == []


def test_a_manager_of_a_branch_sees_it_as_a_root_without_its_hidden_parent(world, api):
    world.territories["na-east"].managers.add(world.users["other_manager"])
    tree = _codes(api("other_manager").get("/api/v1/territories").json())
    assert tree == [("emea", None, 1, [("uk", "emea", 2, [])]), ("na-east", None, 2, [])]


def test_territory_detail(world, api):
    node = api("manager").get("/api/v1/territories/na").json()
    assert node | {"children": None} == {
        "code": "na", "name": "North America", "scope": "territory:na", "parent": None, "depth": 1, "children": None
    }  # fmt: skip
    assert [c["code"] for c in node["children"]] == ["na-east", "na-west"]
    hidden = api("manager").get("/api/v1/territories/uk")
    assert hidden.status_code == 404
    assert hidden.json()["error"]["message"] == "No territory 'uk' among those you may see."
    assert api("manager").get("/api/v1/territories/atlantis").json()["error"]["message"] == (
        "No territory 'atlantis' among those you may see."
    )


def _rep_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["external_id"] for r in response.json()["results"]]


def test_reps_per_role(world, api):
    assert _rep_ids(api("admin").get("/api/v1/reps")) == ["r-linked", "r-uk", "r-west"]  # by name
    assert _rep_ids(api("manager").get("/api/v1/reps")) == ["r-linked", "r-west"]
    assert _rep_ids(api("other_manager").get("/api/v1/reps")) == ["r-uk"]
    assert _rep_ids(api("rep").get("/api/v1/reps")) == ["r-linked"]
    assert _rep_ids(api("nobody").get("/api/v1/reps")) == []
    assert api("admin").get("/api/v1/reps/r-uk").json() == {
        "external_id": "r-uk", "name": "UK Rep", "email": "r-uk@example.com", "scope": "rep:r-uk",
        "hired_on": "2020-01-01", "left_on": None, "territory": "uk",
    }  # fmt: skip


def test_rep_filters(world, api):
    admin = api("admin")
    assert _rep_ids(admin.get("/api/v1/reps?territory=na")) == ["r-linked", "r-west"]
    assert _rep_ids(admin.get("/api/v1/reps?territory=na-west")) == ["r-west"]
    assert _rep_ids(admin.get("/api/v1/reps?search=UK")) == ["r-uk"]
    assert _rep_ids(admin.get("/api/v1/reps?page_size=2&page=2")) == ["r-west"]
    # A manager cannot filter by a territory they may not see: the same answer as for an unknown one.
    hidden = api("manager").get("/api/v1/reps?territory=uk")
    unknown = api("manager").get("/api/v1/reps?territory=atlantis")
    assert hidden.status_code == unknown.status_code == 400
    assert hidden.json()["error"]["fields"] == {"territory": ["no territory uk among those you may see"]}
    assert unknown.json()["error"]["fields"] == {"territory": ["no territory atlantis among those you may see"]}


def _deal_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [d["external_id"] for d in response.json()["results"]]


def test_deals_per_role_newest_close_first_open_deals_last(world, api):
    # -closed_on: 05-01 d-w2, 04-10 d-w1, 03-15 d-e3, 03-05 d-e2, 02-10 d-e1, 01-25 d-u1, then the open
    # ones; ties go by id in the same direction (d-u2 was created after d-e4).
    assert _deal_ids(api("admin").get("/api/v1/deals")) == [
        "d-w2", "d-w1", "d-e3", "d-e2", "d-e1", "d-u1", "d-u2", "d-e4",
    ]  # fmt: skip
    assert _deal_ids(api("manager").get("/api/v1/deals")) == ["d-w2", "d-w1", "d-e3", "d-e2", "d-e1", "d-e4"]
    assert _deal_ids(api("token").get("/api/v1/deals")) == ["d-w2", "d-w1", "d-e3", "d-e2", "d-e1", "d-e4"]
    assert _deal_ids(api("other_manager").get("/api/v1/deals")) == ["d-u1", "d-u2"]
    assert _deal_ids(api("rep").get("/api/v1/deals")) == ["d-e3", "d-e2", "d-e1", "d-e4"]
    assert _deal_ids(api("other_rep").get("/api/v1/deals")) == ["d-u1", "d-u2"]
    assert _deal_ids(api("nobody").get("/api/v1/deals")) == []


def test_deal_detail(world, api):
    assert api("rep").get("/api/v1/deals/d-e2").json() == {
        "external_id": "d-e2", "name": "", "stage": "won", "lost_from_stage": "", "amount": "3000.00",
        "refunded_amount": "500.00", "net_amount": "2500.00", "created_on": "2025-01-20", "closed_on": "2025-03-05",
        "ends_on": None, "product": "", "territory": "na-east", "owner": "r-linked", "customer": None,
    }  # fmt: skip
    assert api("rep").get("/api/v1/deals/d-w1").status_code == 404
    assert api("rep").get("/api/v1/deals/nope%00").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=won", ["d-w1", "d-e2", "d-e1", "d-u1"]),
        ("stage=won&stage=lost&territory=na", ["d-w2", "d-w1", "d-e3", "d-e2", "d-e1"]),
        ("territory=na-east", ["d-e3", "d-e2", "d-e1", "d-e4"]),
        ("rep=r-west", ["d-w2", "d-w1"]),
        ("closed_from=2025-02-10&closed_to=2025-03-15", ["d-e3", "d-e2", "d-e1"]),
        ("created_from=2025-03-01", ["d-w2", "d-u2", "d-e4"]),
        ("ordering=amount", ["d-w2", "d-e3", "d-u2", "d-e4", "d-e1", "d-w1", "d-e2", "d-u1"]),
        ("ordering=-amount&stage=won", ["d-u1", "d-e2", "d-w1", "d-e1"]),
        ("ordering=closed_on&territory=na-east", ["d-e1", "d-e2", "d-e3", "d-e4"]),
        ("ordering=-created_on&rep=r-uk", ["d-u2", "d-u1"]),
        ("ordering=external_id&territory=uk", ["d-u1", "d-u2"]),
    ],
)
def test_deal_filters_and_ordering(world, api, query, expected):
    assert _deal_ids(api("admin").get(f"/api/v1/deals?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("stage=dreaming", {"stage": ["Select a valid choice. dreaming is not one of the available choices."]}),
        ("territory=uk", {"territory": ["no territory uk among those you may see"]}),
        ("rep=r-uk", {"rep": ["no rep r-uk among those you may see"]}),
        ("closed_from=yesterday", {"closed_from": ["Enter a valid date."]}),
        (
            "created_from=2025-05-01&created_to=2025-04-01",
            {
                "created_from": ["created_from (2025-05-01) is after created_to (2025-04-01)"],
                "created_to": ["created_from (2025-05-01) is after created_to (2025-04-01)"],
            },
        ),
        ("ordering=colour", {"ordering": ["'colour' is not one of closed_on, -closed_on, created_on, -created_on, "
                                          "amount, -amount, external_id, -external_id"]}),
        ("cursor=not-a-cursor", {"cursor": ["not a cursor given out by this API (use the next or previous link)"]}),
        ("page_size=1000000000", {"page_size": ["must be between 1 and 500, got 1000000000"]}),
    ],
)  # fmt: skip
def test_bad_deal_parameters_are_400_naming_them(world, api, query, fields):
    response = api("manager").get(f"/api/v1/deals?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields


def _walk(client, url: str, link: str) -> list[list[str]]:
    pages = []
    while url:
        body = client.get(url).json()
        pages.append([d["external_id"] for d in body["results"]])
        url = body[link]
    return pages


@pytest.mark.parametrize("ordering", ["-closed_on", "closed_on", "created_on", "-amount", "external_id"])
def test_cursor_pages_cover_every_deal_once_forwards_and_back(world, api, ordering):
    client = api("admin")
    everything = _deal_ids(client.get(f"/api/v1/deals?ordering={ordering}"))
    forward = _walk(client, f"/api/v1/deals?ordering={ordering}&page_size=3", "next")
    assert [len(p) for p in forward] == [3, 3, 2]
    assert sum(forward, []) == everything
    # From the last page, previous links walk back through the same pages.
    last_page_url = None
    url = f"/api/v1/deals?ordering={ordering}&page_size=3"
    while url:
        body = client.get(url).json()
        last_page_url, url = url, body["next"]
    backward = _walk(client, client.get(last_page_url).json()["previous"], "previous")
    assert backward == forward[-2::-1]
    assert client.get(f"/api/v1/deals?ordering={ordering}&page_size=3").json()["previous"] is None


def test_a_cursor_follows_its_own_ordering(world, api):
    client = api("admin")
    next_url = client.get("/api/v1/deals?ordering=amount&page_size=2").json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    response = client.get(f"/api/v1/deals?cursor={cursor}&ordering=-amount")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cursor": ["this cursor pages through ordering=amount, not -amount"]}
    # Without an ordering, the cursor's own applies.
    assert _deal_ids(client.get(f"/api/v1/deals?cursor={cursor}&page_size=2")) == ["d-u2", "d-e4"]


def test_forged_cursors_are_refused(world, api):
    def forge(data) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()

    client = api("admin")
    for data in [
        {"o": "-amount", "k": "NaN", "i": 1, "r": False},
        {"o": "-closed_on", "k": "2025-13-01", "i": 1, "r": False},
        {"o": "-closed_on", "k": "2025-01-01", "i": "1", "r": False},
        {"o": "colour", "k": "x", "i": 1, "r": False},
        ["not", "a", "dict"],
    ]:
        response = client.get(f"/api/v1/deals?cursor={forge(data)}")
        assert response.status_code == 400, data
        assert list(response.json()["error"]["fields"]) == ["cursor"]


def test_listing_deals_does_not_query_per_row(world, api):
    client = api("manager")
    with CaptureQueriesContext(connection) as one_row:
        assert len(_deal_ids(client.get("/api/v1/deals?page_size=1"))) == 1
    DealFactory.create_batch(20, territory=world.territories["na-west"], owner=world.reps["r-west"])
    with CaptureQueriesContext(connection) as many_rows:
        assert len(_deal_ids(client.get("/api/v1/deals?page_size=25"))) == 25
    assert len(one_row) == len(many_rows)


def test_listing_reps_does_not_query_per_row(world, api):
    client = api("admin")
    with CaptureQueriesContext(connection) as one_row:
        assert len(_rep_ids(client.get("/api/v1/reps?page_size=1"))) == 1
    with CaptureQueriesContext(connection) as all_rows:
        assert len(_rep_ids(client.get("/api/v1/reps"))) == 3
    assert len(one_row) == len(all_rows)
