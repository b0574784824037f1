"""Every page runs the same number of queries whatever the number of reps, territories and deals.

Each page is measured on the small company of conftest.py, then again after
adding 6 territories, 36 reps with targets and 720 deals (and recomputing):
the counts must be equal, and within a fixed budget.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.services.recompute import kpi_recompute
from tests.factories import AssignmentFactory, CustomerFactory, DealFactory, SalesRepFactory, territory_create
from tests.helpers.worlds import AS_OF, login, month_targets

BUDGET = 30  # queries per page, whatever the data

PAGES = [
    ("admin", "/company/?period=2025-Q4"),
    ("admin", "/company/leaderboard/?period=2025-Q4&sort=-revenue"),
    ("admin", "/company/cards.csv?period=2025-Q4"),
    ("admin", "/company/leaderboard.csv?period=2025-Q4"),
    ("admin", "/company/drill/revenue/?period=2025-Q4"),
    ("admin", "/company/drill/revenue.csv?period=2025-Q4"),
    ("admin", "/company/drill/new_customers/?period=2025-Q4"),
    ("manager_a", "/"),
    ("manager_a", "/territories/"),
    ("manager_a", "/territories/na/?period=2025-Q4"),
    ("manager_a", "/territories/na/?period=2025"),
    ("manager_a", "/territories/na/leaderboard/?period=2025-Q4"),
    ("manager_a", "/territories/na/leaderboard.csv?period=2025-Q4"),
    ("manager_a", "/territories/na/cards.csv?period=2025-Q4"),
    ("manager_a", "/territories/na/drill/pipeline_value/?period=2025-Q4&sort=-amount"),
    ("manager_a", "/territories/na/drill/deals_won.csv?period=2025-Q4"),
    ("manager_a", "/reps/{ben}/?period=2025-Q4"),
    ("rep_a", "/me/?period=2025-Q4"),
    ("rep_a", "/reps/{ana}/cards.csv?period=2025-Q4"),
    ("rep_a", "/reps/{ana}/drill/deals_won/?period=2025-Q4"),
]


def _grow(world) -> None:
    """Three territories below na-east and below uk, six reps in each with targets, 20 Q4 deals per rep."""
    number = 0
    for parent in ("na-east", "uk"):
        for t in range(3):
            territory = territory_create(f"{parent}-{t}", parent=world["tree"][parent])
            for _ in range(6):
                number += 1
                rep = SalesRepFactory(external_id=f"g{number:03d}", name=f"Grown Rep {number:03d}")
                AssignmentFactory(rep=rep, territory=territory, start_date=datetime.date(2024, 1, 1))
                month_targets(values={10: "1000", 11: "1000", 12: "1000"}, rep=rep)
                for d in range(20):
                    customer = CustomerFactory(territory=territory, owner=rep)
                    closed = datetime.date(2025, 10 + d % 3, 1 + d)
                    DealFactory(owner=rep, territory=territory, customer=customer,
                                stage=("won", "lost", "qualified")[d % 3], amount=Decimal(100 + d),
                                created_on=datetime.date(2025, 9, 1),
                                closed_on=None if d % 3 == 2 else closed)  # fmt: skip


def _counts(client, world) -> dict[str, int]:
    counts = {}
    for role, url in PAGES:
        url = url.format(ben=world["ben"].pk, ana=world["ana"].pk)
        login(client, world[role])
        cache.clear()  # every page measured reading the database (tests/dashboards/test_snapshot_cache.py: hits)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code in (200, 302), url
        counts[f"{role} {url}"] = len(queries)
    return counts


def test_query_count_does_not_grow_with_the_data(computed, client, django_assert_max_num_queries):
    small = _counts(client, computed)
    _grow(computed)
    kpi_recompute(as_of=AS_OF)
    large = _counts(client, computed)
    assert large == small
    for role, url in PAGES:
        url = url.format(ben=computed["ben"].pk, ana=computed["ana"].pk)
        login(client, computed[role])
        with django_assert_max_num_queries(BUDGET):
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_territory_dashboard_stays_within_budget(computed, client, django_assert_max_num_queries, size):
    if size == "large":
        _grow(computed)
        kpi_recompute(as_of=AS_OF)
    login(client, computed["manager_a"])
    with django_assert_max_num_queries(BUDGET):
        assert client.get("/territories/na/?period=2025-Q4").status_code == 200
