"""Admin edits of facts ask for a recompute of the months they touch (old and new values)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import KpiRecomputeRequest, KpiRun
from tests.factories import AssignmentFactory, CustomerFactory, DealFactory, SalesRepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(tree):
    rep = SalesRepFactory(external_id="h1")
    AssignmentFactory(rep=rep, territory=tree["uk"], start_date=datetime.date(2024, 1, 1))
    return rep


def months_requested():
    return list(KpiRecomputeRequest.objects.values_list("month", flat=True))


def test_editing_a_deal_requests_the_earliest_of_old_and_new_months(client, admin_user, rep, tree):
    deal = DealFactory(owner=rep, territory=tree["uk"], created_on=datetime.date(2025, 3, 3),
                       closed_on=datetime.date(2025, 4, 2))  # fmt: skip
    client.force_login(admin_user)
    form = {
        "external_id": deal.external_id, "name": "", "product": "", "owner": rep.pk, "customer": "",
        "territory": tree["uk"].pk, "stage": "won", "lost_from_stage": "", "created_on": "2025-05-01",
        "closed_on": "2025-06-10", "ends_on": "", "amount": "10.00", "refunded_amount": "0",
    }  # fmt: skip
    response = client.post(reverse("admin:sales_deal_change", args=[deal.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    # The old created_on (2025-03) is the earliest month touched.
    assert months_requested() == [datetime.date(2025, 3, 1)]


def test_deleting_a_customer_or_an_assignment_requests_recomputes(client, admin_user, rep, tree):
    DealFactory(owner=rep, territory=tree["uk"], created_on=datetime.date(2024, 2, 1),
                closed_on=datetime.date(2024, 3, 1), amount=Decimal("5"))  # fmt: skip
    customer = CustomerFactory(territory=tree["uk"])
    client.force_login(admin_user)
    client.post(reverse("admin:sales_customer_delete", args=[customer.pk]), {"post": "yes"})
    # A customer shapes its whole history: from the first month with facts.
    assert months_requested() == [datetime.date(2024, 2, 1)]
    assignment = rep.assignments.get()
    client.post(reverse("admin:territories_territoryassignment_delete", args=[assignment.pk]), {"post": "yes"})
    assert months_requested() == [datetime.date(2024, 2, 1), datetime.date(2024, 1, 1)]  # its start month


def test_eager_mode_recomputes_right_after_the_change(rep, tree, django_capture_on_commit_callbacks, settings):
    from metrics.services.recompute import kpi_recompute_request

    settings.KPI_AS_OF = datetime.date(2025, 6, 30)
    DealFactory(owner=rep, territory=tree["uk"], created_on=datetime.date(2025, 2, 1),
                closed_on=datetime.date(2025, 3, 1))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        kpi_recompute_request(months=[datetime.date(2025, 3, 9)], reason="test")
    run = KpiRun.objects.get()
    assert (run.status, run.since) == ("succeeded", datetime.date(2025, 3, 1))
    assert KpiRecomputeRequest.objects.count() == 0


def test_a_pending_run_clears_only_the_requests_it_saw(rep, tree, monkeypatch, settings):
    """A request committed during the run, even with a lower id (its transaction began earlier), stays."""
    from metrics.services import recompute

    settings.KPI_AS_OF = datetime.date(2025, 6, 30)
    DealFactory(owner=rep, territory=tree["uk"], created_on=datetime.date(2025, 2, 1),
                closed_on=datetime.date(2025, 3, 1))  # fmt: skip
    seen = KpiRecomputeRequest.objects.create(month=datetime.date(2025, 2, 1), reason="seen")
    original = recompute.kpi_recompute

    def run_while_a_late_request_commits(**kwargs):
        KpiRecomputeRequest.objects.create(pk=seen.pk - 1, month=datetime.date(2025, 5, 1), reason="late")
        return original(**kwargs)

    monkeypatch.setattr(recompute, "kpi_recompute", run_while_a_late_request_commits)
    run = recompute.kpi_recompute_pending()
    assert (run.status, run.since) == ("succeeded", datetime.date(2025, 2, 1))
    assert list(KpiRecomputeRequest.objects.values_list("pk", "reason")) == [(seen.pk - 1, "late")]
