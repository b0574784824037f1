"""``manage.py seed_demo``: the demo data set is realistic (logins, territories, reps, facts and targets)."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import CheckConstraint, Exists, F, OuterRef, Q

from accounts.access import Role, reps_visible_to, territories_visible_to, user_role
from metrics.models import Distribution, Target, TargetChange
from reps.models import SalesRep
from sales.demo import plan
from sales.models import Activity, Customer, Deal, Expense, Product, SurveyResponse
from territories.models import Territory, TerritoryAssignment
from tests.helpers.seed_demo import LOGINS, TARGETS, D

pytestmark = pytest.mark.django_db


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
