"""factory_boy factories for every model, shared by all tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from metrics.models import Distribution, Target
from reps.models import SalesRep
from sales.models import Activity, Customer, Deal, Expense, SurveyResponse
from territories.models import Territory, TerritoryAssignment


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook signature
        if create:
            obj.save()


def territory_create(code: str, *, parent: Territory | None = None, name: str | None = None) -> Territory:
    """Add a territory under ``parent`` (a root when None); treebeard keeps the path."""
    fields = {"code": code, "name": name or code.upper()}
    if parent is None:
        return Territory.objects.add_root(fields)
    parent.refresh_from_db()
    return Territory.objects.add_child(parent, fields)


class SalesRepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesRep

    external_id = factory.Sequence(lambda n: f"r{n:03d}")
    name = factory.Sequence(lambda n: f"Rep {n}")
    email = factory.LazyAttribute(lambda r: f"{r.external_id}@example.com")
    hired_on = datetime.date(2020, 1, 1)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TerritoryAssignment

    rep = factory.SubFactory(SalesRepFactory)
    start_date = None
    end_date = None


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"c{n:04d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    sector = "retail"


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    external_id = factory.Sequence(lambda n: f"d{n:05d}")
    owner = factory.SubFactory(SalesRepFactory)
    stage = "won"
    amount = Decimal("1000.00")
    refunded_amount = Decimal("0")
    created_on = datetime.date(2025, 1, 10)
    closed_on = factory.LazyAttribute(lambda d: datetime.date(2025, 2, 10) if d.stage in ("won", "lost") else None)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    external_id = factory.Sequence(lambda n: f"a{n:05d}")
    rep = factory.SubFactory(SalesRepFactory)
    kind = "call"
    occurred_on = datetime.date(2025, 1, 15)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    external_id = factory.Sequence(lambda n: f"s{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    kind = "csat"
    score = 5
    responded_on = datetime.date(2025, 1, 20)


class ExpenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expense

    month = datetime.date(2025, 1, 1)
    amount = Decimal("5000.00")
    category = "sales"


class DistributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Distribution

    name = factory.Sequence(lambda n: f"Plan {n}")
    # A typical seasonal plan: slow summer, strong Q4 (sums to 100).
    jan, feb, mar = Decimal("7"), Decimal("7"), Decimal("9")
    apr, may, jun = Decimal("8"), Decimal("8"), Decimal("9")
    jul, aug, sep = Decimal("6"), Decimal("5"), Decimal("8")
    oct, nov, dec = Decimal("9"), Decimal("10"), Decimal("14")


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    kpi = "revenue"
    month = datetime.date(2025, 1, 1)
    value = Decimal("70000")
