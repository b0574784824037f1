"""After a change, the admin says when the dashboards show it: already, or after which recompute."""

import datetime

import pytest
from django.contrib.messages import get_messages

from metrics.models import KpiRecomputeRequest, KpiRun
from metrics.selectors.freshness import kpi_change_outlook
from tests.factories import DealFactory
from tests.helpers.admin_targets import ENTRY, entry
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db

QUEUED = (
    "The dashboards will show it after the next KPI recompute (1 change waiting): it is queued to start within "
    "60 seconds, or at the next 10-minute sweep if the task queue cannot be reached."
)


@pytest.fixture(autouse=True)
def _debounce(settings):
    settings.KPI_RECOMPUTE_DEBOUNCE_SECONDS = 60
    settings.KPI_AS_OF = datetime.date(2025, 12, 31)


def infos(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "info"]


def test_a_waiting_change_is_announced_with_the_next_recompute():
    KpiRecomputeRequest.objects.create(month=datetime.date(2025, 3, 1), reason="deal changed")
    assert kpi_change_outlook() == QUEUED


def test_before_any_recompute_the_first_one_is_named():
    assert kpi_change_outlook() == (
        "The dashboards will show it once the KPIs are first computed (python manage.py recompute_kpis)."
    )


# Real commits: what the admin says is read once the change has committed.
@pytest.mark.django_db(transaction=True)
def test_a_target_saved_without_a_broker_is_already_on_the_dashboards(admin_client, tree):
    DealFactory(territory=tree["na-east"], stage="proposal", created_on=datetime.date(2025, 4, 2))

    response = admin_client.post(ENTRY, entry(period="2025-Q2", value="210000", _save="Save"), follow=True)

    run = KpiRun.objects.get()
    assert (run.status, KpiRecomputeRequest.objects.count()) == (KpiRun.Status.SUCCEEDED, 0)
    assert infos(response) == [
        f"The dashboards already show it: KPIs recomputed at {run.finished_at:%Y-%m-%d %H:%M:%S} UTC."
    ]
    assert f"KPIs recomputed at {run.finished_at:%Y-%m-%d %H:%M:%S} UTC" in response.content.decode()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_deal_saved_with_a_worker_waits_for_the_queued_recompute_then_is_shown(admin_client, tree, worker):
    deal = DealFactory(territory=tree["na-east"], stage="proposal", created_on=datetime.date(2025, 4, 2))

    response = admin_client.post(
        f"/admin/sales/deal/{deal.pk}/change/",
        {
            "external_id": deal.external_id, "name": "", "product": "", "owner": deal.owner_id, "customer": "",
            "territory": deal.territory_id, "stage": "proposal", "lost_from_stage": "", "created_on": "2025-04-02",
            "closed_on": "", "ends_on": "", "amount": "1234.00", "refunded_amount": "0",
        },
        follow=True,
    )  # fmt: skip

    assert response.redirect_chain[0][0] == "/admin/sales/deal/"
    # The worker fixture sets a 2-second debounce: the message is read before the queued run starts.
    assert infos(response) == [QUEUED.replace("60 seconds", "2 seconds")]
    assert wait_for(lambda: KpiRun.objects.filter(status=KpiRun.Status.SUCCEEDED).exists()), worker.stdout.read1(10_000)
    run = KpiRun.objects.get()
    assert kpi_change_outlook() == (
        f"The dashboards already show it: KPIs recomputed at {run.finished_at:%Y-%m-%d %H:%M:%S} UTC."
    )
