"""The database itself refuses impossible facts, whatever code path writes them."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from sales.models import Deal, SurveyResponse
from tests.factories import CustomerFactory, DealFactory, SalesRepFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def _refused(factory, **fields) -> str:
    """Create a row expected to violate a constraint; return the database's message."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        factory(**fields)
    return str(excinfo.value)


@pytest.fixture
def owner(tree):
    return SalesRepFactory()


def test_refund_above_amount_is_refused(tree, owner):
    message = _refused(
        DealFactory, owner=owner, territory=tree["uk"], amount=Decimal("100.00"), refunded_amount=Decimal("100.01")
    )
    assert "deal_refund_within_amount" in message
    assert Deal.objects.count() == 0


def test_refund_equal_to_amount_is_allowed(tree, owner):
    DealFactory(owner=owner, territory=tree["uk"], amount=Decimal("100.00"), refunded_amount=Decimal("100.00"))
    assert Deal.objects.get().net_amount == Decimal("0.00")


def test_closed_deal_without_closed_on_is_refused(tree, owner):
    message = _refused(DealFactory, owner=owner, territory=tree["uk"], stage="won", closed_on=None)
    assert "deal_closed_iff_closed_on" in message
    assert Deal.objects.count() == 0


def test_open_deal_with_closed_on_is_refused(tree, owner):
    message = _refused(
        DealFactory, owner=owner, territory=tree["uk"], stage="proposal", closed_on=datetime.date(2025, 3, 1)
    )
    assert "deal_closed_iff_closed_on" in message
    assert Deal.objects.count() == 0


def test_deal_closing_before_creation_is_refused(tree, owner):
    message = _refused(
        DealFactory,
        owner=owner,
        territory=tree["uk"],
        created_on=datetime.date(2025, 3, 2),
        closed_on=datetime.date(2025, 3, 1),
    )
    assert "deal_closes_after_created" in message


def test_negative_amount_is_refused(tree, owner):
    message = _refused(DealFactory, owner=owner, territory=tree["uk"], amount=Decimal("-1"))
    assert "deal_amount_not_negative" in message or "deal_refund_within_amount" in message
    assert Deal.objects.count() == 0


def test_unknown_stage_is_refused(tree, owner):
    message = _refused(DealFactory, owner=owner, territory=tree["uk"], stage="maybe", closed_on=None)
    # PostgreSQL names the first violated check; an unknown stage violates two.
    assert "deal_stage_valid" in message or "deal_closed_iff_closed_on" in message
    assert Deal.objects.count() == 0


def test_lost_from_stage_only_on_lost_deals(tree, owner):
    message = _refused(DealFactory, owner=owner, territory=tree["uk"], stage="won", lost_from_stage="proposal")
    assert "deal_lost_from_stage_only_when_lost" in message
    DealFactory(owner=owner, territory=tree["uk"], stage="lost", lost_from_stage="proposal")
    assert Deal.objects.count() == 1


@pytest.mark.parametrize(("kind", "score"), [("csat", 0), ("csat", 6), ("nps", 11)])
def test_survey_score_outside_its_scale_is_refused(tree, kind, score):
    customer = CustomerFactory()
    message = _refused(SurveyResponseFactory, customer=customer, territory=tree["uk"], kind=kind, score=score)
    assert "survey_score_in_scale" in message
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize(("kind", "score"), [("csat", 1), ("csat", 5), ("nps", 0), ("nps", 10)])
def test_survey_scores_at_the_scale_edges_are_kept(tree, kind, score):
    SurveyResponseFactory(customer=CustomerFactory(), territory=tree["uk"], kind=kind, score=score)
    assert SurveyResponse.objects.get().score == score
