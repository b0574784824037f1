"""Admin for the sales facts: changelists at a constant query count, constraints as form errors."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.models import Deal, Expense, Product, SurveyResponse
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    DealFactory,
    ExpenseFactory,
    SalesRepFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def client(admin_client):
    return admin_client


def _product(tree, i):
    Product.objects.create(name=f"Product {i:02d}", series="GTX" if i % 2 else "MG", list_price=Decimal("100.00") * i)


def _customer(tree, i):
    CustomerFactory(territory=tree["na-east"], owner=SalesRepFactory())


def _deal(tree, i):
    DealFactory(territory=tree["uk"], customer=CustomerFactory(territory=tree["uk"]), product="GTX Pro")


def _activity(tree, i):
    customer = CustomerFactory(territory=tree["na-west"])
    ActivityFactory(territory=tree["na-west"], customer=customer, deal=DealFactory(territory=tree["na-west"]))


def _survey(tree, i):
    SurveyResponseFactory(territory=tree["uk"], rep=SalesRepFactory())


def _expense(tree, i):
    ExpenseFactory(territory=tree["na-east"], month=D(2024 + i // 12, i % 12 + 1, 1))


@pytest.mark.parametrize(
    ("model", "make", "plural"),
    [
        ("product", _product, "products"),
        ("customer", _customer, "customers"),
        ("deal", _deal, "deals"),
        ("activity", _activity, "activities"),
        ("surveyresponse", _survey, "survey responses"),
        ("expense", _expense, "expenses"),
    ],
)
def test_changelist_renders_at_a_constant_query_count(client, tree, django_assert_num_queries, model, make, plural):
    url = reverse(f"admin:sales_{model}_changelist")
    make(tree, 0)
    make(tree, 1)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert f"2 {plural}" in response.content.decode()
    assert len(few) <= 12, [q["sql"] for q in few.captured_queries]
    for i in range(2, 20):
        make(tree, i)
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert f"20 {plural}" in response.content.decode()


def test_deal_list_shows_the_net_amount(client, tree):
    DealFactory(
        external_id="d-refunded", territory=tree["uk"], amount=Decimal("1000.00"), refunded_amount=Decimal("250.50")
    )
    html = client.get(reverse("admin:sales_deal_changelist")).content.decode()
    assert '<td class="field-net_amount">749.50</td>' in html
    # The net amount is computed in the query, so the list can be sorted by it (column 9, descending).
    DealFactory(external_id="d-big", territory=tree["uk"], amount=Decimal("900.00"))
    html = client.get(reverse("admin:sales_deal_changelist"), {"o": "-9"}).content.decode()
    assert html.index("d-big") < html.index("d-refunded")
    html = client.get(reverse("admin:sales_deal_changelist"), {"o": "9"}).content.decode()
    assert html.index("d-refunded") < html.index("d-big")


def test_deal_filters_and_date_hierarchy(client, tree):
    DealFactory(external_id="d-uk", territory=tree["uk"], stage="won", closed_on=D(2025, 2, 10))
    DealFactory(external_id="d-east", territory=tree["na-east"], stage="lead", closed_on=None)
    html = client.get(reverse("admin:sales_deal_changelist"), {"territory": "na"}).content.decode()
    assert "d-east" in html and "d-uk" not in html
    html = client.get(reverse("admin:sales_deal_changelist"), {"stage__exact": "won"}).content.decode()
    assert "d-uk" in html and "d-east" not in html
    html = client.get(reverse("admin:sales_deal_changelist"), {"closed_on__year": "2025"}).content.decode()
    assert "d-uk" in html and "d-east" not in html


def _deal_post(tree, owner, **overrides):
    data = {
        "external_id": "d-new",
        "name": "New deal",
        "product": "",
        "owner": owner.pk,
        "customer": "",
        "territory": tree["uk"].pk,
        "stage": "won",
        "lost_from_stage": "",
        "created_on": "2025-01-10",
        "closed_on": "2025-02-10",
        "ends_on": "",
        "amount": "1000.00",
        "refunded_amount": "0",
    }
    return {**data, **overrides}


def test_deal_can_be_added(client, tree):
    owner = SalesRepFactory()
    response = client.post(reverse("admin:sales_deal_add"), _deal_post(tree, owner))
    assert response.status_code == 302
    assert Deal.objects.get(external_id="d-new").net_amount == Decimal("1000.00")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"refunded_amount": "1000.01"}, "The refunded amount must be between 0 and the deal amount."),
        ({"closed_on": ""}, "A deal is closed (won or lost) exactly when it has a close date."),
        ({"stage": "proposal"}, "A deal is closed (won or lost) exactly when it has a close date."),
        ({"closed_on": "2025-01-09"}, "A deal cannot close before it was created."),
        ({"lost_from_stage": "proposal"}, "Only a lost deal has a stage it was lost from, and it is an open stage."),
        ({"ends_on": "2025-02-09"}, "A contract end needs a close date on or before it."),
    ],
)
def test_deal_constraints_show_as_form_errors(client, tree, overrides, message):
    owner = SalesRepFactory()
    response = client.post(reverse("admin:sales_deal_add"), _deal_post(tree, owner, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Deal.objects.count() == 0


def test_changing_a_deal_to_an_invalid_refund_keeps_the_stored_deal(client, tree):
    deal = DealFactory(external_id="d-1", territory=tree["uk"], amount=Decimal("500.00"))
    response = client.post(
        reverse("admin:sales_deal_change", args=[deal.pk]),
        _deal_post(tree, deal.owner, external_id="d-1", amount="500.00", refunded_amount="600.00"),
    )
    assert response.status_code == 200
    assert "The refunded amount must be between 0 and the deal amount." in response.content.decode()
    deal.refresh_from_db()
    assert deal.refunded_amount == Decimal("0")


def test_survey_score_outside_its_scale_is_a_form_error(client, tree):
    customer = CustomerFactory()
    response = client.post(
        reverse("admin:sales_surveyresponse_add"),
        {
            "external_id": "s-1",
            "customer": customer.pk,
            "rep": "",
            "territory": tree["uk"].pk,
            "kind": "csat",
            "score": "6",
            "responded_on": "2025-01-20",
            "comment": "",
        },
    )
    assert response.status_code == 200
    assert "A CSAT score is 1–5 and an NPS score is 0–10." in response.content.decode()
    assert SurveyResponse.objects.count() == 0


def test_expense_month_must_be_a_first_day(client, tree):
    response = client.post(
        reverse("admin:sales_expense_add"),
        {"territory": tree["uk"].pk, "month": "2025-01-15", "category": "sales", "amount": "100.00"},
    )
    assert response.status_code == 200
    assert (
        "An expense is booked per month: use the first day of the month (2025-01-01), not 2025-01-15."
        in response.content.decode()
    )
    assert Expense.objects.count() == 0


def test_expense_twice_in_one_month_and_category_is_a_form_error(client, tree):
    ExpenseFactory(territory=tree["uk"], month=D(2025, 1, 1), category="sales")
    response = client.post(
        reverse("admin:sales_expense_add"),
        {"territory": tree["uk"].pk, "month": "2025-01-01", "category": "sales", "amount": "100.00"},
    )
    assert response.status_code == 200
    assert "Expense with this Territory, Month and Category already exists." in response.content.decode()
    assert Expense.objects.count() == 1


def test_fact_admins_offer_autocomplete_for_reps_customers_deals(client, tree):
    CustomerFactory(name="Acme Corp")
    DealFactory(external_id="d-acme", territory=tree["uk"])
    url = reverse("admin:autocomplete")
    customers = client.get(
        url, {"app_label": "sales", "model_name": "activity", "field_name": "customer", "term": "acme"}
    )
    assert [r["text"] for r in customers.json()["results"]] == ["Acme Corp"]
    deals = client.get(url, {"app_label": "sales", "model_name": "activity", "field_name": "deal", "term": "d-acme"})
    assert [r["text"] for r in deals.json()["results"]] == ["d-acme"]
    page = client.get(reverse("admin:sales_activity_add")).content.decode()
    for field in ("rep", "territory", "deal", "customer"):
        assert f'data-field-name="{field}"' in page
