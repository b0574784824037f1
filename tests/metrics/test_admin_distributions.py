"""Distribution admin: monthly percentages must add up to 100, shown in one row with their total."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import Distribution
from tests.factories import DistributionFactory
from tests.helpers.admin_targets import MONTHS, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin_client):
    return admin_client


def _distribution_post(name="Seasonal", **months):
    values = dict.fromkeys(MONTHS, "8.33") | {"dec": "8.37"}
    return {"name": name, "description": "", **values, **months}


def test_distribution_with_percentages_adding_to_100_is_saved(client):
    response = client.post(reverse("admin:metrics_distribution_add"), _distribution_post())
    assert response.status_code == 302
    assert sum(Distribution.objects.get(name="Seasonal").percentages()) == Decimal("100.00")


@pytest.mark.parametrize(
    ("months", "message"),
    [
        ({"dec": "3.37"}, "The 12 monthly percentages add up to 95.00%, 5.00 points short of 100%. Nothing was saved."),
        ({"jan": "9.33"}, "The 12 monthly percentages add up to 101.00%, 1.00 points over 100%. Nothing was saved."),
    ],
)
def test_distribution_not_adding_to_100_is_a_form_error(client, months, message):
    response = client.post(reverse("admin:metrics_distribution_add"), _distribution_post(**months))
    assert response.status_code == 200
    assert message in page(response)
    assert Distribution.objects.count() == 0


def test_changing_a_distribution_off_100_keeps_the_stored_one(client, plan):
    response = client.post(
        reverse("admin:metrics_distribution_change", args=[plan.pk]),
        {
            "name": "Plan",
            "description": "",
            **{m: str(v) for m, v in zip(MONTHS, plan.percentages(), strict=True)},
            "jan": "8",
        },
    )
    assert response.status_code == 200
    assert "add up to 101.00%" in page(response)
    plan.refresh_from_db()
    assert plan.jan == Decimal("7.00")


def test_distribution_pages_show_the_months_in_one_row_with_the_total(client, plan, django_assert_num_queries):
    text = page(client.get(reverse("admin:metrics_distribution_change", args=[plan.pk])))
    assert "form-multiline" in text and 'name="jan"' in text and 'name="dec"' in text
    assert '<span id="distribution-total">100.00</span>' in text
    DistributionFactory()
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("admin:metrics_distribution_changelist"))
    assert "2 distributions" in page(response)
    for _ in range(18):
        DistributionFactory()
    with django_assert_num_queries(len(few)):
        response = client.get(reverse("admin:metrics_distribution_changelist"))
    assert "20 distributions" in page(response)
