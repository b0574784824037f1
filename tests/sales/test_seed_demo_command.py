"""``manage.py seed_demo``: the demo data set is exact, deterministic and idempotent; refusals write nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import KpiRecomputeRequest
from sales.demo.facts import block_facts
from sales.demo.generate import reps_plan
from sales.demo.rows import Numbering
from sales.demo.selectors import DemoSeedError, demo_row_counts
from sales.demo.services import demo_data_seed
from sales.models import Activity, Deal
from territories.models import Territory
from tests.helpers.seed_demo import DEALS_SHA256, EXPECTED_COUNTS, LOGINS, SEED, D, _content_digests, _demo_delete

pytestmark = pytest.mark.django_db


def test_scale_1_writes_the_expected_rows(seeded):
    assert demo_row_counts() == EXPECTED_COUNTS
    assert seeded["digests"]["deals"] == DEALS_SHA256
    # Bulk inserts ask for no recompute: the seed asks once, from the first fact
    # on (a deal created 2023-06-14 that closed in 2024).
    assert min(Deal.objects.values_list("created_on", flat=True)) == D(2023, 6, 14)
    request = KpiRecomputeRequest.objects.get(reason__startswith="demo data set")
    assert (request.month, request.reason) == (D(2023, 6, 1), "demo data set (--scale 1 --seed 42)")


def test_command_reports_counts_reference_date_and_logins(seeded):
    output = seeded["output"]
    assert "Wrote the demo data set --scale 1 --seed 42" in output
    assert f"  {'deals':<21}  {10121:>12,}" in output
    assert "KPI_AS_OF=2025-12-31" in output
    assert "http://127.0.0.1:8000/" in output
    for username in LOGINS:
        assert f"  {username:<13} password: demo" in output


def test_second_run_writes_nothing(seeded):
    before = {model: model.objects.order_by("-pk").values_list("pk", flat=True).first() for model in (Deal, Activity)}
    out = io.StringIO()
    call_command("seed_demo", "--scale", "1", "--seed", str(SEED), stdout=out)
    assert "Found the demo data set --scale 1 --seed 42" in out.getvalue()
    assert "nothing to write" in out.getvalue()
    assert demo_row_counts() == EXPECTED_COUNTS
    assert _content_digests() == seeded["digests"]
    assert {model: model.objects.order_by("-pk").values_list("pk", flat=True).first() for model in before} == before


def test_same_seed_writes_the_same_rows_again_and_bulk_quotas_match_the_service(seeded):
    _demo_delete()
    assert sum(demo_row_counts().values()) == 0
    # Bulk rep quotas (used above --scale 1) must store what targets_set stores.
    with CaptureQueriesContext(connection) as queries:
        result = demo_data_seed(scale=1, seed=SEED, rep_quotas_in_bulk=True)
    assert result.written
    assert _content_digests() == seeded["digests"]
    # No query per row: ~45,000 rows take about a hundred statements (the
    # territory targets go through targets_set, a handful of queries each).
    assert len(queries) < 400


def test_another_seed_draws_other_data():
    def deals(seed):
        facts = block_facts(seed=seed, block=0, reps=reps_plan(seed=seed, block=0), numbering=Numbering())
        return [(d.external_id, d.amount, d.created_on, d.closed_on, d.stage) for d in facts.deals]

    assert deals(SEED) == deals(SEED)
    assert deals(SEED) != deals(SEED + 1)


def test_another_scale_or_seed_is_refused_and_writes_nothing(seeded):
    with pytest.raises(DemoSeedError, match=r"made with --scale 1 \(40 demo reps\), not --scale 2"):
        demo_data_seed(scale=2, seed=SEED)
    with pytest.raises(CommandError, match="not made with --seed 7"):
        call_command("seed_demo", "--seed", "7", stdout=io.StringIO())
    assert demo_row_counts() == EXPECTED_COUNTS


def test_a_database_with_other_data_is_refused(seeded):
    _demo_delete()
    Territory.objects.add_root({"code": "west", "name": "West"})
    with pytest.raises(CommandError, match=r"already holds data \(1 territories\) and no demo data"):
        call_command("seed_demo", stdout=io.StringIO())
    assert demo_row_counts()["deals"] == 0


@pytest.mark.parametrize("scale", [0, -1, 1001])
def test_a_scale_out_of_range_is_refused(scale):
    with pytest.raises(CommandError, match=f"--scale must be a whole number from 1 to 1000, got {scale}"):
        call_command("seed_demo", "--scale", str(scale), stdout=io.StringIO())
