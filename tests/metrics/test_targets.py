"""Target entry: validation, spreading in cents, the change log, DB constraints."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from metrics.models import Distribution, Target, TargetChange
from metrics.services.targets import (
    TargetInputError,
    TargetScope,
    target_input_clean,
    target_months,
    target_scope_parse,
    targets_delete,
    targets_grid_save,
    targets_set,
    targets_spread,
)
from tests.factories import DistributionFactory, SalesRepFactory, TargetFactory, UserFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def months_of(year):
    return [D(year, m, 1) for m in range(1, 13)]


# --- spreading (pure) ------------------------------------------------------------------


def test_quarter_of_210000_evenly_is_70000_three_times():
    spread = targets_spread(total=Decimal("210000"), months=[D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1)])
    assert spread == {
        D(2025, 4, 1): Decimal("70000.00"),
        D(2025, 5, 1): Decimal("70000.00"),
        D(2025, 6, 1): Decimal("70000.00"),
    }


def test_leftover_cents_go_to_the_earliest_months():
    # 100.00 / 3 = 33.333…: one cent left over, the first month takes it.
    spread = targets_spread(total=Decimal("100.00"), months=[D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)])
    assert list(spread.values()) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    # 0.05 over 3: 1.666… cents each; the two largest remainders (ties → earliest) take a cent.
    spread = targets_spread(total=Decimal("0.05"), months=[D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)])
    assert list(spread.values()) == [Decimal("0.02"), Decimal("0.02"), Decimal("0.01")]


def test_year_by_distribution_gives_exact_months_that_sum_to_the_year():
    # 7,7,9,8,8,9,6,5,8,9,10,14 % of 1,000,000.01: exact shares are 70,000.0007 …
    weights = [Decimal(p) for p in (7, 7, 9, 8, 8, 9, 6, 5, 8, 9, 10, 14)]
    spread = targets_spread(total=Decimal("1000000.01"), months=months_of(2025), weights=weights)
    assert list(spread.values()) == [
        Decimal("70000.00"),
        Decimal("70000.00"),
        Decimal("90000.00"),
        Decimal("80000.00"),
        Decimal("80000.00"),
        Decimal("90000.00"),
        Decimal("60000.00"),
        Decimal("50000.00"),
        Decimal("80000.00"),
        Decimal("90000.00"),
        Decimal("100000.00"),
        Decimal("140000.01"),
    ]  # the cent goes to December: 14% of a cent is the largest remainder
    assert sum(spread.values()) == Decimal("1000000.01")


def test_uneven_distribution_remainders_are_deterministic():
    weights = [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    spread = targets_spread(
        total=Decimal("1000"), months=[D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)], weights=weights
    )
    # exact: 333.3000, 333.3000, 333.4000 (cents) -> 33330 + 33330 + 33340 = 100000 cents, nothing left
    assert list(spread.values()) == [Decimal("333.30"), Decimal("333.30"), Decimal("333.40")]


# --- validation at the edge --------------------------------------------------------------


@pytest.fixture
def rep(db):
    return SalesRepFactory(external_id="r01")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"value": "-1"}, "value", "a target cannot be negative"),
        ({"value": "abc"}, "value", "'abc' is not a number"),
        ({"value": "10.001"}, "value", "use at most 2 decimals (values are spread over months in cents)"),
        ({"kpi": "happiness"}, "kpi", "unknown KPI 'happiness'"),
        ({"kpi": "revenue_growth"}, "kpi", "revenue_growth is derived from other KPIs and cannot have a target"),
        ({"kpi": "cac"}, "kpi", "cac is defined for territories and the company, not for a rep"),
        ({"period": "2025-13"}, "period", "month 13 does not exist in period '2025-13'"),
        (
            {"period": "Q3 2025"},
            "period",
            "period 'Q3 2025' is not one of YYYY-MM, YYYY-Qn (n = 1..4), YYYY or YYYY-MM-DD..YYYY-MM-DD",
        ),
        (
            {"period": "2025-01-01..2025-02-01"},
            "period",
            "a target is set for a month (YYYY-MM), a quarter (YYYY-Qn) or a year (YYYY)",
        ),
        ({"distribution": "Nope"}, "distribution", "unknown distribution 'Nope'"),
        (
            {"period": "2025-03", "distribution": "Plan"},
            "distribution",
            "a month's target is not spread: leave the distribution empty",
        ),
        (
            {"kpi": "win_rate", "value": "0.3", "distribution": "Plan"},
            "distribution",
            "win_rate is not a sum over months, so it is not spread: its value applies to every month; "
            "leave the distribution empty",
        ),
    ],
)
def test_invalid_target_input_names_the_field(rep, fields, field, message):
    DistributionFactory(name="Plan")
    arguments = {"scope": TargetScope(rep=rep), "kpi": "revenue", "period": "2025-Q1", "value": "210000"} | fields
    with pytest.raises(TargetInputError) as excinfo:
        target_input_clean(**arguments)
    assert (excinfo.value.field, excinfo.value.message) == (field, message)


def test_distribution_not_adding_up_to_100_is_refused_by_the_database():
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        DistributionFactory(name="Broken", dec=Decimal("13.99"))  # sums to 99.99
    assert "distribution_sums_to_100" in str(excinfo.value)
    assert Distribution.objects.count() == 0


def test_scope_parse(tree, rep):
    assert target_scope_parse("territory:na").territory == tree["na"]
    assert target_scope_parse("rep:r01").rep == rep
    for text, message in [
        ("territory:mars", "unknown territory 'mars'"),
        ("rep:r99", "unknown rep 'r99'"),
        ("company", "'company' is not territory:<code> or rep:<external_id>"),
    ]:
        with pytest.raises(TargetInputError) as excinfo:
            target_scope_parse(text)
        assert excinfo.value.message == message


# --- writing -------------------------------------------------------------------------------


def test_quarter_target_is_stored_as_three_months_with_a_change_log(rep):
    user = UserFactory(username="ops")
    entry = target_input_clean(scope=TargetScope(rep=rep), kpi="revenue", period="2025-Q2", value="210000")
    result = targets_set(entry=entry, user=user)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert list(Target.objects.filter(rep=rep).order_by("month").values_list("month", "value", "entered_as")) == [
        (D(2025, 4, 1), Decimal("70000.0000"), "2025-Q2"),
        (D(2025, 5, 1), Decimal("70000.0000"), "2025-Q2"),
        (D(2025, 6, 1), Decimal("70000.0000"), "2025-Q2"),
    ]
    log = list(
        TargetChange.objects.order_by("month").values_list(
            "scope", "kpi", "month", "old_value", "new_value", "changed_by__username", "source", "note"
        )
    )
    assert log == [
        ("rep:r01", "revenue", D(2025, m, 1), None, Decimal("70000.0000"), "ops", "admin", "2025-Q2 evenly")
        for m in (4, 5, 6)
    ]


def test_reentering_a_value_logs_only_what_changed(rep):
    scope = TargetScope(rep=rep)
    targets_set(entry=target_input_clean(scope=scope, kpi="revenue", period="2025-Q2", value="210000"))
    result = targets_set(entry=target_input_clean(scope=scope, kpi="revenue", period="2025-05", value="80000"))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    again = targets_set(entry=target_input_clean(scope=scope, kpi="revenue", period="2025-Q2", value="210000"))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    changes = TargetChange.objects.filter(month=D(2025, 5, 1)).order_by("id")
    assert [(c.old_value, c.new_value) for c in changes] == [
        (None, Decimal("70000.0000")),
        (Decimal("70000.0000"), Decimal("80000.0000")),
        (Decimal("80000.0000"), Decimal("70000.0000")),
    ]
    assert TargetChange.objects.count() == 5


def test_year_by_distribution_for_a_territory(tree):
    plan = DistributionFactory(name="Plan")
    entry = target_input_clean(
        scope=TargetScope(territory=tree["na"]), kpi="revenue", period="2025", value="1200000", distribution="Plan"
    )
    assert target_months(entry)[D(2025, 12, 1)] == Decimal("168000.00")  # 14 %
    targets_set(entry=entry)
    stored = dict(Target.objects.filter(territory=tree["na"]).values_list("month", "value"))
    assert sum(stored.values()) == Decimal("1200000")
    assert stored[D(2025, 8, 1)] == Decimal("60000")  # 5 %
    assert set(Target.objects.values_list("distribution", flat=True)) == {plan.pk}


def test_non_additive_kpi_applies_the_value_to_every_month(rep):
    entry = target_input_clean(scope=TargetScope(rep=rep), kpi="win_rate", period="2025-Q1", value="0.35")
    assert target_months(entry) == {D(2025, m, 1): Decimal("0.35") for m in (1, 2, 3)}


def test_fiscal_quarter_spreads_over_fiscal_months(rep, settings):
    settings.FISCAL_YEAR_START_MONTH = 7
    entry = target_input_clean(scope=TargetScope(rep=rep), kpi="revenue", period="2026-Q1", value="90000")
    assert list(target_months(entry)) == [D(2025, 7, 1), D(2025, 8, 1), D(2025, 9, 1)]


def test_delete_and_grid_save_are_logged(rep):
    other = SalesRepFactory(external_id="r02")
    TargetFactory(rep=rep, month=D(2025, 1, 1), value=Decimal("100"))
    TargetFactory(rep=rep, month=D(2025, 2, 1), value=Decimal("100"))
    result = targets_grid_save(
        kpi="revenue",
        cells={
            (rep.pk, D(2025, 1, 1)): Decimal("100"),
            (rep.pk, D(2025, 2, 1)): None,
            (other.pk, D(2025, 1, 1)): Decimal("50"),
        },
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert set(Target.objects.values_list("rep__external_id", "month", "value")) == {
        ("r01", D(2025, 1, 1), Decimal("100.0000")),
        ("r02", D(2025, 1, 1), Decimal("50.0000")),
    }
    assert targets_delete(targets=Target.objects.filter(rep=other)) == 1
    assert list(TargetChange.objects.order_by("id").values_list("scope", "old_value", "new_value", "source")) == [
        ("rep:r01", Decimal("100.0000"), None, "grid"),
        ("rep:r02", None, Decimal("50.0000"), "grid"),
        ("rep:r02", Decimal("50.0000"), None, "admin"),
    ]


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"value": Decimal("-5")}, "target_value_not_negative"),
        ({"kpi": "happiness"}, "target_kpi_known"),
        ({"month": D(2025, 1, 2)}, "target_month_first_day"),
    ],
)
def test_target_constraints_hold_at_the_database(rep, fields, constraint):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        TargetFactory(rep=rep, **fields)
    assert constraint in str(excinfo.value)
    assert Target.objects.count() == 0


def test_target_needs_exactly_one_scope(tree, rep):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        TargetFactory(rep=rep, territory=tree["uk"])
    assert "target_one_scope" in str(excinfo.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetFactory(rep=rep)
        TargetFactory(rep=rep)  # same rep, KPI and month twice
    assert Target.objects.count() == 0
