"""Pages keep snapshot reads in the cache until the next recompute commits (dashboards/snapshot_cache.py)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.snapshot_cache import CachedSnapshotReader, snapshot_version
from metrics.periods import period_parse
from metrics.selectors.freshness import kpi_freshness
from metrics.services.recompute import kpi_recompute
from tests.dashboards.html import card
from tests.factories import DealFactory
from tests.helpers.worlds import AS_OF, login, world_compute

DASHBOARD = "/territories/na/?period=2025-Q4"


def read(client, url: str) -> tuple[str, int]:
    """The page's <main> (without the per-response CSRF mask of the logout form) and its query count."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    main = re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main), len(queries)


def test_a_second_read_comes_from_the_cache_and_shows_the_same(computed, client):
    login(client, computed["manager_a"])
    first, first_queries = read(client, DASHBOARD)
    second, second_queries = read(client, DASHBOARD)
    assert second == first
    # Cards, series, funnel, sub-territories, the leaderboard's top and counts, and win rates (8 queries) come
    # from the cache; the session, the user's access, freshness and the period picker are read each time.
    assert (first_queries, second_queries) == (19, 11)

    login(client, computed["rep_a"])
    first, first_queries = read(client, "/me/?period=2025-Q4")
    second, second_queries = read(client, "/me/?period=2025-Q4")
    assert second == first
    assert (first_queries, second_queries) == (22, 14)  # cards, series, funnel and rank from the cache


def test_a_recompute_commit_shows_at_once(computed, client):
    login(client, computed["manager_a"])
    before, _ = read(client, DASHBOARD)
    assert card(before, "revenue").startswith("Revenue USD 6,500.00 n = 3")
    DealFactory(owner=computed["ana"], territory=computed["tree"]["na-east"], stage="won", amount=Decimal("1000"),
                created_on=datetime.date(2025, 11, 1), closed_on=datetime.date(2025, 11, 2))  # fmt: skip
    unchanged, _ = read(client, DASHBOARD)
    assert unchanged == before  # the snapshots have not changed yet: neither has the page
    world_compute()
    after, queries = read(client, DASHBOARD)
    assert card(after, "revenue").startswith("Revenue USD 7,500.00 n = 4")
    assert queries == 19  # a new snapshot set: nothing of the previous one is read from the cache


def test_the_cache_off_shows_exactly_the_same_page(computed, client, settings):
    login(client, computed["manager_a"])
    cached, _ = read(client, DASHBOARD)
    cached, _ = read(client, DASHBOARD)
    settings.KPI_SNAPSHOT_CACHE_SECONDS = 0
    uncached, first_queries = read(client, DASHBOARD)
    _, second_queries = read(client, DASHBOARD)
    assert uncached == cached
    assert first_queries == second_queries == 19


def test_entries_serve_every_viewer_of_a_scope_and_access_is_still_checked_first(computed, client):
    login(client, computed["admin"])
    read(client, DASHBOARD)
    login(client, computed["manager_a"])
    _, queries = read(client, DASHBOARD)
    assert queries == 11  # the admin's reads of na serve na's manager
    login(client, computed["manager_b"])
    assert client.get(DASHBOARD).status_code == 404  # cached or not, emea's manager may not see na


@pytest.mark.django_db
def test_the_version_names_one_committed_set():
    freshness = kpi_freshness()
    assert freshness.computed_at is None and snapshot_version(freshness) is None  # nothing computed: no cache


def test_readers_of_two_versions_do_not_share_entries(computed):
    first = kpi_freshness()
    reader = CachedSnapshotReader(snapshot_version(first))
    period = period_parse("2025-Q4")
    assert reader.cards(scope="territory:na", period=period, as_of=AS_OF)[0].key == "revenue"
    kpi_recompute(as_of=AS_OF, reason="again")
    second = kpi_freshness()
    assert second.run_id == first.run_id + 1
    assert snapshot_version(second) != snapshot_version(first)
    with CaptureQueriesContext(connection) as queries:
        CachedSnapshotReader(snapshot_version(second)).cards(scope="territory:na", period=period, as_of=AS_OF)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        reader.cards(scope="territory:na", period=period, as_of=AS_OF)
    assert len(queries) == 0
