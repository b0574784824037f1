"""The period in progress is compared with the same elapsed days of the earlier periods."""

import datetime
from decimal import Decimal

import pytest

from metrics.periods import period_parse
from metrics.selectors.cards import kpi_cards
from metrics.selectors.reports import kpi_report_live, kpi_report_query
from metrics.services.recompute import kpi_recompute
from tests.factories import DealFactory, SalesRepFactory

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(tree):
    rep = SalesRepFactory(external_id="l1")

    def won(closed_on, amount):
        DealFactory(owner=rep, territory=tree["uk"], created_on=D(2024, 1, 1), closed_on=closed_on,
                    amount=Decimal(amount))  # fmt: skip

    won(D(2024, 11, 10), "100")  # last year, within the first 15 days
    won(D(2024, 11, 20), "900")  # last year, after day 15
    won(D(2025, 10, 3), "200")  # previous month, within 15 days
    won(D(2025, 10, 15), "50")  # previous month, day 15 counts
    won(D(2025, 10, 16), "4000")  # previous month, day 16 does not
    won(D(2025, 11, 2), "500")  # this month to date
    won(D(2025, 11, 20), "7000")  # after the as-of date: ignored


def test_growth_in_progress_compares_the_same_elapsed_days(deals):
    as_of = D(2025, 11, 15)
    report = kpi_report_live(kpi_report_query(scope="territory:emea", period="2025-11"), as_of=as_of)["kpis"]
    assert report["revenue"]["value"] == 500
    assert (report["revenue"]["previous_to_date"], report["revenue"]["last_year_to_date"]) == (250, 100)
    assert report["revenue_growth"]["value"] == pytest.approx((500 - 250) / 250)  # 1.0, not (500-4250)/4250
    assert report["revenue_yoy"]["value"] == pytest.approx((500 - 100) / 100)  # 4.0, not (500-1000)/1000
    assert report["deals_won"]["previous_to_date"] == 2


def test_finished_periods_compare_whole_periods(deals):
    report = kpi_report_live(kpi_report_query(scope="company", period="2025-10"), as_of=D(2025, 11, 15))["kpis"]
    assert "previous_to_date" not in report["revenue"]
    assert report["revenue"]["value"] == 4250


def test_cards_use_like_for_like_values_for_the_period_in_progress(deals):
    kpi_recompute(as_of=D(2025, 11, 15))
    card = next(c for c in kpi_cards(scope="company", period=period_parse("2025-11")) if c.key == "revenue")
    assert (card.like_for_like, card.previous, card.last_year) == (True, 250, 100)
    assert card.change_previous == pytest.approx(1.0)
    october = next(c for c in kpi_cards(scope="company", period=period_parse("2025-10")) if c.key == "revenue")
    assert (october.like_for_like, october.value) == (False, 4250)
