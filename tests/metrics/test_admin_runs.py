import datetime

import pytest
from django.urls import reverse

from metrics.models import KpiRecomputeRequest, KpiRun
from metrics.services.recompute import kpi_recompute
from tests.factories import DealFactory, SalesRepFactory

pytestmark = pytest.mark.django_db


def test_run_log_snapshots_and_pending_requests_are_listed_read_only(client, admin_user, tree):
    DealFactory(owner=SalesRepFactory(), territory=tree["uk"])
    kpi_recompute(as_of=datetime.date(2025, 3, 31), reason="nightly")
    KpiRun.objects.create(kind="full", as_of=datetime.date(2025, 3, 31), status="failed", error="boom: disk full")
    KpiRecomputeRequest.objects.create(month=datetime.date(2025, 2, 1), reason="deal 7 changed in the admin")
    client.force_login(admin_user)
    runs = client.get(reverse("admin:metrics_kpirun_changelist")).content.decode()
    assert "nightly" in runs and "boom: disk full" in runs
    snapshots = client.get(reverse("admin:metrics_kpisnapshot_changelist") + "?q=territory:uk")
    assert snapshots.status_code == 200 and "territory:uk" in snapshots.content.decode()
    pending = client.get(reverse("admin:metrics_kpirecomputerequest_changelist")).content.decode()
    assert "deal 7 changed in the admin" in pending
    assert client.get(reverse("admin:metrics_kpirun_add")).status_code == 403
    run = KpiRun.objects.first()
    assert client.post(reverse("admin:metrics_kpirun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
