"""Properties over random small companies (hypothesis).

- Snapshots equal the live computation for every scope × period × KPI.
- A parent's additive KPIs equal the sum of its children's plus its own facts.
"""

import datetime
import math
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.engine import kpis_compute
from metrics.models import KpiSnapshot
from metrics.periods import period_parse
from metrics.services.recompute import facts_first_month, kpi_recompute
from sales.models import Activity, Deal
from tests.factories import (
    ActivityFactory,
    AssignmentFactory,
    CustomerFactory,
    DealFactory,
    SalesRepFactory,
    SurveyResponseFactory,
    territory_create,
)

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2025, 12, 31)
PERIODS = ["2025", "2025-Q2", "2025-05", "2024-12"]
CODES = ["na", "na-east", "na-west", "emea", "uk"]
STAGES = ["lead", "qualified", "proposal", "negotiation", "won", "lost"]
ADDITIVE = ["revenue", "deals_won", "deals_created", "calls", "meetings", "emails", "pipeline_value"]
ACTIVITY_COUNTS = ("calls", "meetings", "emails")

day = st.dates(min_value=datetime.date(2024, 6, 1), max_value=datetime.date(2026, 1, 31))
deal = st.fixed_dictionaries(
    {
        "territory": st.sampled_from(CODES),
        "owner": st.integers(0, 3),
        "customer": st.integers(0, 5),
        "stage": st.sampled_from(STAGES),
        "amount": st.integers(0, 50_000),
        "refund_share": st.sampled_from([0, 0, 0, 10, 50, 100]),
        "created": st.one_of(st.none(), day),
        "cycle": st.integers(0, 200),
        "contract_days": st.one_of(st.none(), st.integers(0, 500)),
    }
)
activity = st.fixed_dictionaries(
    {"territory": st.sampled_from(CODES), "rep": st.integers(0, 3),
     "kind": st.sampled_from(["call", "meeting", "email"]), "on": day,
     "deal": st.one_of(st.none(), st.integers(0, 30))}
)  # fmt: skip
survey = st.fixed_dictionaries(
    {"territory": st.sampled_from(CODES), "customer": st.integers(0, 5), "kind": st.sampled_from(["csat", "nps"]),
     "score": st.integers(0, 10), "on": day, "rep": st.one_of(st.none(), st.integers(0, 3))}
)  # fmt: skip


def _build(deals, activities, surveys):
    territories = {"na": territory_create("na"), "emea": territory_create("emea")}
    territories["na-east"] = territory_create("na-east", parent=territories["na"])
    territories["na-west"] = territory_create("na-west", parent=territories["na"])
    territories["uk"] = territory_create("uk", parent=territories["emea"])
    reps = [SalesRepFactory(external_id=f"p{i}", hired_on=datetime.date(2024, 1, 1)) for i in range(4)]
    reps[3].left_on = datetime.date(2025, 8, 31)
    reps[3].save()
    for rep, code in zip(reps, ["na-east", "na-west", "uk", "na-east"], strict=True):
        AssignmentFactory(rep=rep, territory=territories[code], start_date=datetime.date(2024, 1, 1))
    customers = [
        CustomerFactory(external_id=f"k{i}", territory=territories[CODES[i % 5]], owner=reps[i % 4]) for i in range(6)
    ]
    made = []
    for i, d in enumerate(deals):
        closed = d["stage"] in ("won", "lost")
        created = d["created"]
        closed_on = (created or datetime.date(2025, 3, 1)) + datetime.timedelta(days=d["cycle"]) if closed else None
        amount = Decimal(d["amount"])
        made.append(
            DealFactory(
                external_id=f"x{i:03d}", territory=territories[d["territory"]], owner=reps[d["owner"]],
                customer=customers[d["customer"]], stage=d["stage"], amount=amount,
                refunded_amount=(amount * d["refund_share"] / 100).quantize(Decimal("0.01")),
                created_on=created, closed_on=closed_on,
                ends_on=closed_on + datetime.timedelta(days=d["contract_days"])
                if closed_on and d["contract_days"] is not None and d["stage"] == "won" else None,
                lost_from_stage="qualified" if d["stage"] == "lost" and i % 2 else "",
            )
        )  # fmt: skip
    for a in activities:
        ActivityFactory(
            territory=territories[a["territory"]], rep=reps[a["rep"]], kind=a["kind"], occurred_on=a["on"],
            deal=made[a["deal"]] if a["deal"] is not None and a["deal"] < len(made) else None,
        )  # fmt: skip
    for s in surveys:
        score = s["score"] if s["kind"] == "nps" else 1 + s["score"] % 5
        SurveyResponseFactory(
            territory=territories[s["territory"]], customer=customers[s["customer"]], kind=s["kind"], score=score,
            responded_on=s["on"], rep=reps[s["rep"]] if s["rep"] is not None else None,
        )  # fmt: skip
    return territories


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    deals=st.lists(deal, max_size=30),
    activities=st.lists(activity, max_size=15),
    surveys=st.lists(survey, max_size=10),
)
def test_snapshots_equal_live_and_parents_add_up(deals, activities, surveys):
    with transaction.atomic():
        territories = _build(deals, activities, surveys)
        kpi_recompute(as_of=AS_OF, reason="property")
        snapshots = {
            (s.scope, s.period, s.kpi): s for s in KpiSnapshot.objects.filter(period__in=PERIODS).exclude(kpi="funnel")
        }
        first = facts_first_month()
        for label in PERIODS:
            if first is None or period_parse(label).end < first:
                # Nothing happened yet: no snapshot is stored (pages show the empty state).
                assert not any(key[1] == label for key in snapshots)
                continue
            live = kpis_compute(periods=[period_parse(label)], as_of=AS_OF)
            for row in live.table.itertuples(index=False):
                stored = snapshots[(row.scope, row.period, row.kpi)]
                for field in ("value", "n", "ci_low", "ci_high", "target", "attainment"):
                    assert _same(getattr(row, field), getattr(stored, field)), (row, field, getattr(stored, field))
                assert bool(row.low_sample) == stored.low_sample
                assert bool(row.provisional) == stored.provisional

            # Parent = children + the facts stored on the parent itself.
            period = period_parse(label)
            for parent, children in (("na", ["na-east", "na-west"]), ("emea", ["uk"])):
                own = _own_facts(territories[parent], period)
                for key in ADDITIVE:
                    value = snapshots[(f"territory:{parent}", label, key)].value
                    children_values = [snapshots[(f"territory:{c}", label, key)].value for c in children]
                    if value is None:
                        # an activity count of an installation holding no activity is no data everywhere
                        assert key in ACTIVITY_COUNTS and all(v is None for v in children_values), (parent, key)
                        continue
                    parts = sum(children_values)
                    assert value == pytest.approx(parts + own[key], abs=1e-6), (parent, label, key)
        transaction.set_rollback(True)


def _own_facts(territory, period) -> dict[str, float]:
    """Additive KPIs from the facts stored directly on ``territory`` (computed with plain ORM)."""
    deals = Deal.objects.filter(territory=territory)
    won = [d for d in deals if d.stage == "won" and d.closed_on in period]
    last_day = min(period.end, AS_OF)
    open_deals = [
        d for d in deals
        if (d.created_on is not None and d.created_on <= last_day or d.created_on is None and last_day == AS_OF)
        and (d.closed_on is None or d.closed_on > last_day)
    ]  # fmt: skip
    activities = Activity.objects.filter(territory=territory, occurred_on__range=(period.start, last_day))
    return {
        "revenue": float(sum(d.amount - d.refunded_amount for d in won)),
        "deals_won": len(won),
        "deals_created": sum(1 for d in deals if d.created_on and d.created_on in period and d.created_on <= AS_OF),
        "calls": activities.filter(kind="call").count(),
        "meetings": activities.filter(kind="meeting").count(),
        "emails": activities.filter(kind="email").count(),
        "pipeline_value": float(sum(d.amount for d in open_deals)),
    }
