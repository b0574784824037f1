"""Target admin entry form: what it offers, the preview of a spread and saving with the change log."""

from decimal import Decimal

import pytest

from metrics.models import Target, TargetChange
from tests.factories import SalesRepFactory, TargetFactory
from tests.helpers.admin_targets import ENTRY, TARGETS, D, counts, entry, page, preview_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin_client):
    return admin_client


def test_entry_form_offers_territories_reps_and_only_targetable_kpis(client, tree, plan):
    SalesRepFactory(external_id="r-7", name="Rita")
    response = client.get(ENTRY)
    assert response.status_code == 200
    text = page(response)
    assert '<option value="territory:na-east">' in text and '<option value="rep:r-7">Rita (r-7)</option>' in text
    assert '<option value="revenue" selected>Revenue</option>' in text
    assert 'value="revenue_growth"' not in text and 'value="quota_attainment"' not in text
    assert '<option value="" selected>Evenly</option>' in text and ">Plan</option>" in text


def test_preview_of_a_quarter_evenly(client, tree):
    response = client.post(ENTRY, entry(period="2025-Q2", value="210000", _preview="Preview"))
    assert response.status_code == 200
    assert preview_rows(response) == [("2025-04", "70,000.00"), ("2025-05", "70,000.00"), ("2025-06", "70,000.00")]
    assert response.context["preview"].total == "210,000.00"
    text = page(response)
    assert text.count('<td class="num">70,000.00</td>') == 3
    assert '<td class="num total">210,000.00</td>' in text
    assert counts() == (0, 0)


def test_preview_of_a_year_by_the_plan_distribution(client, tree, plan):
    response = client.post(ENTRY, entry(period="2025", value="1000000.00", distribution=plan.pk, _preview="1"))
    assert preview_rows(response) == [
        ("2025-01", "70,000.00"),
        ("2025-02", "70,000.00"),
        ("2025-03", "90,000.00"),
        ("2025-04", "80,000.00"),
        ("2025-05", "80,000.00"),
        ("2025-06", "90,000.00"),
        ("2025-07", "60,000.00"),
        ("2025-08", "50,000.00"),
        ("2025-09", "80,000.00"),
        ("2025-10", "90,000.00"),
        ("2025-11", "100,000.00"),
        ("2025-12", "140,000.00"),
    ]
    assert response.context["preview"].total == "1,000,000.00"
    assert counts() == (0, 0)


def test_preview_spreads_cents_and_shows_stored_values(client, tree):
    TargetFactory(territory=tree["na"], month=D(2025, 2, 1), value=Decimal("40.00"))
    response = client.post(ENTRY, entry(period="2025-Q1", value="100.00", _preview="1"))
    # 10,000 cents / 3: 3,333 each and the one cent left goes to the earliest month.
    assert preview_rows(response) == [("2025-01", "33.34"), ("2025-02", "33.33"), ("2025-03", "33.33")]
    assert [row.current for row in response.context["preview"].rows] == ["—", "40.00", "—"]
    assert counts() == (1, 0)


def test_preview_of_a_rate_gives_every_month_the_value(client, tree):
    response = client.post(ENTRY, entry(kpi="win_rate", period="2025-Q3", value="0.25", _preview="1"))
    assert preview_rows(response) == [("2025-07", "0.25"), ("2025-08", "0.25"), ("2025-09", "0.25")]
    assert response.context["preview"].total is None
    assert "Win rate is not a sum over months" in page(response)


def test_save_writes_targets_and_the_change_log_with_the_user(client, tree, admin_user, plan):
    response = client.post(ENTRY, entry(period="2025-Q4", value="300000.00", distribution=plan.pk, _save="Save"))
    assert response.status_code == 302 and response["Location"] == TARGETS
    rows = list(Target.objects.order_by("month").values_list("territory__code", "kpi", "month", "value", "entered_as"))
    # Q4 of the plan: 9, 10, 14 -> 9/33, 10/33, 14/33 of 300,000.00 in cents.
    assert rows == [
        ("na", "revenue", D(2025, 10, 1), Decimal("81818.18"), "2025-Q4"),
        ("na", "revenue", D(2025, 11, 1), Decimal("90909.09"), "2025-Q4"),
        ("na", "revenue", D(2025, 12, 1), Decimal("127272.73"), "2025-Q4"),
    ]
    log = list(
        TargetChange.objects.order_by("month").values_list(
            "scope", "month", "old_value", "new_value", "changed_by", "source", "note"
        )
    )
    assert log == [
        ("territory:na", D(2025, 10, 1), None, Decimal("81818.18"), admin_user.pk, "admin", "2025-Q4 by Plan"),
        ("territory:na", D(2025, 11, 1), None, Decimal("90909.09"), admin_user.pk, "admin", "2025-Q4 by Plan"),
        ("territory:na", D(2025, 12, 1), None, Decimal("127272.73"), admin_user.pk, "admin", "2025-Q4 by Plan"),
    ]
    messages = [str(m) for m in client.get(TARGETS).context["messages"]]
    assert messages == [
        "Saved 3 months (created 3, updated 0, unchanged 0) of Revenue for territory:na, 2025-Q4 by Plan."
    ]


def test_saving_over_existing_months_counts_updates_and_unchanged(client, tree, admin_user):
    rep = SalesRepFactory(external_id="r-1")
    TargetFactory(rep=rep, month=D(2025, 4, 1), value=Decimal("70000.00"))
    TargetFactory(rep=rep, month=D(2025, 5, 1), value=Decimal("50000.00"))
    client.post(ENTRY, entry(scope="rep:r-1", period="2025-Q2", value="210000", _save="Save"))
    assert dict(Target.objects.filter(rep=rep).values_list("month", "value")) == {
        D(2025, 4, 1): Decimal("70000.00"),
        D(2025, 5, 1): Decimal("70000.00"),
        D(2025, 6, 1): Decimal("70000.00"),
    }
    log = list(TargetChange.objects.order_by("month").values_list("month", "old_value", "new_value", "changed_by"))
    assert log == [
        (D(2025, 5, 1), Decimal("50000.00"), Decimal("70000.00"), admin_user.pk),
        (D(2025, 6, 1), None, Decimal("70000.00"), admin_user.pk),
    ]
    messages = [str(m) for m in client.get(TARGETS).context["messages"]]
    assert messages == ["Saved 3 months (created 1, updated 1, unchanged 1) of Revenue for rep:r-1, 2025-Q2 evenly."]
