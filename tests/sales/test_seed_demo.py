"""``manage.py seed_demo``: the demo data set is exact, realistic, deterministic and idempotent."""

from __future__ import annotations

import datetime
import hashlib
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import CheckConstraint, Exists, F, OuterRef, Q
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.access import Role, reps_visible_to, territories_visible_to, user_role
from metrics.models import Distribution, KpiRecomputeRequest, Target, TargetChange
from reps.models import SalesRep
from sales.demo import plan
from sales.demo.facts import block_facts
from sales.demo.generate import reps_plan
from sales.demo.rows import Numbering
from sales.demo.selectors import DemoSeedError, demo_row_counts
from sales.demo.services import demo_data_seed
from sales.models import Activity, Customer, Deal, Expense, Product, SurveyResponse
from territories.models import Territory, TerritoryAssignment

D = datetime.date
SEED = 42
LOGINS = ("admin", "manager", "manager-emea", "manager-apac", "rep")
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

# Worked out from the plan: 12 territories; 40 reps, one with two assignments;
# 8 leaves x 24 months x 2 expense categories; quotas for 38 reps x 8 quarters
# (the rep who moves keeps his quota), plus 5 for the rep hired 2024-09-02 (2024-Q4..2025-Q4) and 6 for the rep who
# left 2025-06-13 (2024-Q1..2025-Q2), 3 months each; 8 leaves x 2 years x 12
# months of territory revenue targets; 3 regions x 12 months of deals won. Two
# of Japan's months are revised afterwards: two more changes, no more targets.
QUOTA_QUARTERS = 38 * 8 + 5 + 6
TARGETS = QUOTA_QUARTERS * 3 + 8 * 2 * 12 + 3 * 12
EXPECTED_COUNTS = {
    "territories": 12,
    "territory assignments": 41,
    "sales reps": 40,
    "users": 5,
    "products": 7,
    "customers": 3474,
    "deals": 10121,
    "activities": 31275,
    "survey responses": 2033,
    "expenses": 8 * 24 * 2,
    "distributions": 2,
    "targets": TARGETS,
    "target changes": TARGETS + 2,
}
# sha256 of the sorted deal rows of --seed 42 (see DEAL_FIELDS); the same on
# PostgreSQL and SQLite, in any process, on any day.
DEALS_SHA256 = "0d5003608e0a63d1fc8de94b9ef13840d8858cdffc4c658cd290f67d52ee518c"


def _sha(rows) -> str:
    digest = hashlib.sha256()
    for row in sorted(rows):
        digest.update(repr(row).encode())
    return digest.hexdigest()


DEAL_FIELDS = (
    "external_id",
    "owner__external_id",
    "customer__external_id",
    "territory__code",
    "stage",
    "lost_from_stage",
    "amount",
    "refunded_amount",
    "created_on",
    "closed_on",
    "ends_on",
    "product",
    "name",
)


def _rows(queryset, *fields) -> list[tuple[str, ...]]:
    return [tuple(str(value) for value in row) for row in queryset.values_list(*fields)]


def _content_digests() -> dict[str, str]:
    """A digest of every demo table's content, by natural keys (ids and audit times left out)."""

    rows = _rows
    return {
        "deals": _sha(rows(Deal.objects, *DEAL_FIELDS)),
        "territories": _sha(rows(Territory.objects, "code", "name", "path", "depth")),
        "assignments": _sha(
            rows(TerritoryAssignment.objects, "rep__external_id", "territory__code", "start_date", "end_date")
        ),
        "reps": _sha(rows(SalesRep.objects, "external_id", "name", "email", "hired_on", "left_on", "user__username")),
        "users": _sha(
            rows(get_user_model().objects, "username", "password", "is_staff", "is_superuser", "date_joined")
        ),
        "managers": _sha(rows(Territory.managers.through.objects, "territory__code", "user__username")),
        "products": _sha(rows(Product.objects, "name", "series", "list_price")),
        "customers": _sha(
            rows(
                Customer.objects, "external_id", "name", "sector", "territory__code", "owner__external_id", "churned_on"
            )
        ),
        "activities": _sha(
            rows(
                Activity.objects,
                "external_id",
                "rep__external_id",
                "territory__code",
                "kind",
                "occurred_on",
                "deal__external_id",
                "customer__external_id",
            )
        ),
        "surveys": _sha(
            rows(
                SurveyResponse.objects,
                "external_id",
                "customer__external_id",
                "rep__external_id",
                "territory__code",
                "kind",
                "score",
                "responded_on",
            )
        ),
        "expenses": _sha(rows(Expense.objects, "territory__code", "month", "category", "amount")),
        "distributions": _sha(rows(Distribution.objects, "name", "description", "jan", "jun", "dec")),
        "targets": _sha(
            rows(
                Target.objects,
                "territory__code",
                "rep__external_id",
                "kpi",
                "month",
                "value",
                "entered_as",
                "distribution__name",
            )
        ),
        "target changes": _sha(
            rows(TargetChange.objects, "scope", "kpi", "month", "old_value", "new_value", "source", "note")
        ),
    }


def _demo_delete() -> None:
    """Empty every table the demo fills (children first: most foreign keys protect)."""
    for model in (
        TargetChange,
        Target,
        SurveyResponse,
        Activity,
        Deal,
        Customer,
        Expense,
        TerritoryAssignment,
        SalesRep,
        Distribution,
        Product,
        Territory,
    ):
        model.objects.all().delete()
    get_user_model().objects.filter(username__in=LOGINS).delete()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed --scale 1 once for the module, inside a transaction rolled back at its end.

    Each test runs in a savepoint inside it, so a test may change or wipe the
    data and the next one still finds it whole.
    """
    # Hash like the function-scoped tests do (tests/conftest.py uses MD5), so the
    # logins seeded here and the ones re-seeded inside a test are the same rows.
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[MD5_HASHER]):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = io.StringIO()
            call_command("seed_demo", "--scale", "1", "--seed", str(SEED), stdout=out)
            yield {"output": out.getvalue(), "digests": _content_digests()}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


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


def test_logins_have_their_roles(seeded, client):
    users = get_user_model().objects.in_bulk(LOGINS, field_name="username")
    for username in LOGINS:
        assert client.login(username=username, password="demo") is True, username
        client.logout()
    assert client.login(username="admin", password="wrong") is False
    assert user_role(users["admin"]) is Role.ADMIN
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert user_role(users["manager"]) is Role.MANAGER
    assert user_role(users["rep"]) is Role.REP
    assert sorted(territories_visible_to(user=users["manager"]).values_list("code", flat=True)) == [
        "na",
        "na-east",
        "na-northeast",
        "na-southeast",
        "na-west",
    ]
    rep = SalesRep.objects.get(user=users["rep"])
    assert rep.external_id == "REP-00001"
    assert list(reps_visible_to(user=users["rep"])) == [rep]
    assert rep.assignments.get().territory.code == "na-northeast"
    assert reps_visible_to(user=users["manager"]).filter(pk=rep.pk).exists()


def test_territory_tree_has_three_levels(seeded):
    depths = Counter(Territory.objects.values_list("depth", flat=True))
    assert depths == {1: 3, 2: 7, 3: 2}
    na_east = Territory.objects.get(code="na-east")
    assert sorted(Territory.objects.get_children(na_east).values_list("code", flat=True)) == [
        "na-northeast",
        "na-southeast",
    ]
    assert set(Territory.objects.filter(depth=1).values_list("code", flat=True)) == {"na", "emea", "apac"}


def test_the_moving_rep_keeps_history_in_the_old_territory(seeded):
    mover = SalesRep.objects.get(external_id="REP-00015")
    first, second = mover.assignments.order_by("start_date")
    assert (first.territory.code, first.end_date) == ("na-west", D(2025, 4, 30))
    assert (second.territory.code, second.start_date, second.end_date) == ("na-northeast", D(2025, 5, 1), None)
    assert first.start_date == mover.hired_on and first.end_date < second.start_date
    closed = mover.deals.filter(closed_on__isnull=False)
    before = Counter(closed.filter(closed_on__lt=D(2025, 5, 1)).values_list("territory__code", flat=True))
    after = Counter(closed.filter(closed_on__gte=D(2025, 5, 1)).values_list("territory__code", flat=True))
    assert before == {"na-west": 190}
    assert after == {"na-northeast": 105}
    # A deal created before the move and closed after it counts where it closed;
    # one still open counts where it was created.
    straddling = closed.filter(created_on__lt=D(2025, 5, 1), closed_on__gte=D(2025, 5, 1))
    assert Counter(straddling.values_list("territory__code", flat=True)) == {"na-northeast": 15}
    still_open = mover.deals.filter(closed_on__isnull=True)
    assert Counter(still_open.filter(created_on__lt=D(2025, 5, 1)).values_list("territory__code", flat=True)) == {
        "na-west": 2
    }
    assert set(still_open.filter(created_on__gte=D(2025, 5, 1)).values_list("territory__code", flat=True)) == {
        "na-northeast"
    }
    assert set(mover.activities.filter(occurred_on__lt=D(2025, 5, 1)).values_list("territory__code", flat=True)) == {
        "na-west"
    }


def test_the_leaver_has_nothing_after_leaving(seeded):
    leaver = SalesRep.objects.get(external_id="REP-00020")
    assert leaver.left_on == D(2025, 6, 13)
    assignment = leaver.assignments.get()
    assert (assignment.territory.code, assignment.end_date) == ("uk", D(2025, 6, 13))
    assert leaver.deals.filter(closed_on__gt=leaver.left_on).count() == 0
    assert leaver.deals.filter(closed_on__isnull=True).count() == 0
    assert leaver.activities.filter(occurred_on__gt=leaver.left_on).count() == 0
    assert leaver.deals.filter(closed_on__lte=leaver.left_on).count() == 179
    assert not SalesRep.objects.employed_on(D(2025, 6, 14)).filter(pk=leaver.pk).exists()


def test_the_new_hire_starts_during_the_period(seeded):
    hire = SalesRep.objects.get(external_id="REP-00025")
    assert hire.hired_on == D(2024, 9, 2)
    assert hire.assignments.get().start_date == D(2024, 9, 2)
    assert min(hire.deals.values_list("created_on", flat=True)) >= D(2024, 9, 2)
    assert min(hire.deals.exclude(closed_on=None).values_list("closed_on", flat=True)) >= D(2024, 10, 2)
    assert sorted(set(hire.targets.values_list("entered_as", flat=True))) == [
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
    ]


def test_every_fact_carries_its_owners_territory_on_the_day(seeded):
    def assigned(rep_field: str, day):
        return Exists(
            TerritoryAssignment.objects.filter(rep=OuterRef(rep_field), territory=OuterRef("territory"))
            .filter(Q(start_date__isnull=True) | Q(start_date__lte=day))
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        )

    closed = Deal.objects.filter(closed_on__isnull=False)
    open_ = Deal.objects.filter(closed_on__isnull=True)
    assert closed.filter(assigned("owner", OuterRef("closed_on"))).count() == closed.count()
    assert open_.filter(assigned("owner", OuterRef("created_on"))).count() == open_.count()
    assert Activity.objects.filter(assigned("rep", OuterRef("occurred_on"))).count() == Activity.objects.count()
    # Survey responses count for the deal's territory: a customer of the deal's owner.
    assert SurveyResponse.objects.exclude(customer__owner=F("rep")).count() == 0


def test_facts_satisfy_every_check_constraint(seeded):
    for model in (Deal, Activity, SurveyResponse, Expense, Product, Distribution, Target, SalesRep):
        for constraint in model._meta.constraints:
            if isinstance(constraint, CheckConstraint):
                assert model.objects.exclude(constraint.condition).count() == 0, constraint.name


def test_deals_look_like_a_sales_pipeline(seeded):
    stages = Counter(Deal.objects.values_list("stage", flat=True))
    assert stages == {"won": 3945, "lost": 5527, "lead": 132, "qualified": 212, "proposal": 182, "negotiation": 123}
    lost_from = Counter(Deal.objects.filter(stage="lost").values_list("lost_from_stage", flat=True))
    assert lost_from == {"lead": 1704, "qualified": 1609, "proposal": 1378, "negotiation": 836}
    assert Deal.objects.filter(created_on__isnull=True).count() == 0
    assert Deal.objects.filter(customer__isnull=True).count() == 0
    won = Deal.objects.filter(stage="won")
    assert won.filter(refunded_amount=F("amount")).count() == 37
    assert won.filter(refunded_amount__gt=0, refunded_amount__lt=F("amount")).count() == 104
    assert Deal.objects.exclude(stage="won").filter(refunded_amount__gt=0).count() == 0
    assert won.filter(ends_on__isnull=False).count() == 2379
    assert Customer.objects.filter(churned_on__isnull=False).count() == 74
    assert set(Customer.objects.values_list("sector", flat=True)) == {name for name, _ in plan.SECTORS}
    # Seasonality: each year closes the most deals in Q4 and the fewest in Q3.
    for year in (2024, 2025):
        quarters = Counter(
            (day.month - 1) // 3 + 1
            for day in Deal.objects.filter(closed_on__year=year).values_list("closed_on", flat=True)
        )
        assert max(quarters, key=quarters.get) == 4 and min(quarters, key=quarters.get) == 3, (year, quarters)


def test_most_deals_are_followed_up_within_a_week(seeded):
    first_touch: dict[int, datetime.date] = {}
    for deal_id, day in Activity.objects.filter(deal__isnull=False).values_list("deal_id", "occurred_on"):
        first_touch[deal_id] = min(day, first_touch.get(deal_id, day))
    created = dict(Deal.objects.values_list("pk", "created_on"))
    followed = sum(1 for pk, day in created.items() if pk in first_touch and (first_touch[pk] - day).days <= 7)
    assert followed == 8323  # 82 % of 10,121
    assert all(first_touch[pk] >= day for pk, day in created.items() if pk in first_touch)
    kinds = Counter(Activity.objects.values_list("kind", flat=True))
    assert kinds == {"call": 13936, "email": 11398, "meeting": 5941}
    assert Activity.objects.filter(deal__isnull=True).count() == 1455


def test_surveys_cover_csat_and_nps(seeded):
    kinds = Counter(SurveyResponse.objects.values_list("kind", flat=True))
    assert kinds == {"csat": 1358, "nps": 675}
    csat = SurveyResponse.objects.filter(kind="csat")
    assert csat.filter(score__gte=4).count() == 1020  # CSAT 75 %
    nps = SurveyResponse.objects.filter(kind="nps")
    assert (nps.filter(score__gte=9).count(), nps.filter(score__lte=6).count()) == (300, 144)  # NPS +23
    # Every response follows a won deal of its customer.
    assert SurveyResponse.objects.exclude(customer__deals__stage="won").count() == 0


def test_a_rep_quarter_of_210000_is_three_months_of_70000(seeded):
    quota = Target.objects.filter(rep__external_id="REP-00001", kpi="revenue", entered_as="2025-Q1")
    assert list(quota.order_by("month").values_list("month", "value")) == [
        (D(2025, 1, 1), Decimal("70000")),
        (D(2025, 2, 1), Decimal("70000")),
        (D(2025, 3, 1), Decimal("70000")),
    ]
    change = TargetChange.objects.get(scope="rep:REP-00001", kpi="revenue", month=D(2025, 2, 1))
    assert (change.old_value, change.new_value, change.source, change.note) == (
        None,
        Decimal("70000"),
        "seed",
        "2025-Q1 evenly",
    )
    assert TargetChange.objects.filter(source="seed").count() == TARGETS + 2
    assert TargetChange.objects.exclude(source="seed").count() == 0


def test_territory_targets_are_spread_by_their_plan(seeded):
    # na-west: 5 reps x 4 quarters in 2024 = 4,200,000 spread by Seasonal retail;
    # 2025 loses the mover for Q3 and Q4: 18 quarters x 210,000 = 3,780,000.
    na_west = Target.objects.filter(territory__code="na-west", kpi="revenue")
    assert na_west.filter(month=D(2024, 12, 1)).get().value == Decimal("756000")  # 18 %
    assert na_west.filter(month=D(2024, 7, 1)).get().value == Decimal("210000")  # 5 %
    assert sum(na_west.filter(month__year=2025).values_list("value", flat=True)) == Decimal("3780000")
    assert set(na_west.values_list("entered_as", "distribution__name")) == {
        ("2024", "Seasonal retail"),
        ("2025", "Seasonal retail"),
    }
    # Japan (Flat) was revised month by month for November and December 2025.
    japan = Target.objects.filter(territory__code="japan", kpi="revenue", month__year=2025)
    assert japan.get(month=D(2025, 1, 1)).value == Decimal("350280")  # 8.34 % of 4,200,000
    revised = japan.filter(month__gte=D(2025, 11, 1)).order_by("month")
    assert list(revised.values_list("value", "entered_as")) == [
        (Decimal("437000"), "2025-11"),
        (Decimal("437000"), "2025-12"),
    ]
    change = TargetChange.objects.get(scope="territory:japan", month=D(2025, 12, 1), old_value__isnull=False)
    assert (change.old_value, change.new_value, change.note) == (Decimal("349860"), Decimal("437000"), "2025-12")
    # Deals won: 48 a year per rep employed on 2025-01-01 (na 15, emea 15 - none left yet, apac 10).
    deals_won = Target.objects.filter(kpi="deals_won", month=D(2025, 1, 1))
    assert dict(deals_won.values_list("territory__code", "value")) == {
        "na": Decimal("60"),
        "emea": Decimal("60"),
        "apac": Decimal("40"),
    }
    assert Target.objects.filter(kpi="deals_won").count() == 36


def test_expenses_cover_every_leaf_and_month(seeded):
    expenses = Expense.objects.all()
    assert set(expenses.values_list("territory__code", flat=True)) == set(plan.LEAVES)
    assert expenses.filter(month__lt=D(2024, 1, 1)).count() == 0
    assert expenses.filter(month__gt=D(2025, 12, 1)).count() == 0
    assert Counter(expenses.values_list("category", flat=True)) == {"sales": 192, "marketing": 192}
    assert expenses.filter(amount=0).count() == 0
