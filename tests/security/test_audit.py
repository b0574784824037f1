"""The audit log: targets, territories, assignments and users changed in the admin or the services,
imports and recomputes run, each with who did it; the admin list is read-only."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from metrics.services.recompute import kpi_recompute
from metrics.services.targets import TargetScope, target_input_clean, targets_delete, targets_set
from sales.importers.service import crm_import_path
from tests.factories import UserFactory
from tests.sales.fixtures.importing import generic_set

pytestmark = pytest.mark.django_db


def events() -> list[tuple[str, str, str, str]]:
    return [(e.actor_name, e.action, e.object_type, e.summary) for e in AuditEvent.objects.order_by("id")]


def test_target_set_and_delete_name_the_admin_and_the_months(tree, admin_user):
    entry = target_input_clean(scope=TargetScope(territory=tree["na"]), kpi="revenue", period="2025-Q1", value="300")
    targets_set(entry=entry, user=admin_user)
    targets_set(entry=entry, user=admin_user)  # nothing changes: nothing logged
    from metrics.models import Target

    targets_delete(targets=Target.objects.filter(month=datetime.date(2025, 2, 1)), user=admin_user)
    assert events() == [
        ("boss", "update", "target", "targets of territory:na revenue: 3 months set"),
        ("boss", "delete", "target", "targets of territory:na revenue: 1 months deleted"),
    ]
    first = AuditEvent.objects.order_by("id").first()
    assert first.detail == {
        "source": "admin",
        "months": {"2025-01-01": "100.00", "2025-02-01": "100.00", "2025-03-01": "100.00"},
    }
    assert Decimal(first.detail["months"]["2025-01-01"]) == 100


def test_import_and_recompute_runs_are_logged_with_who_ran_them(tmp_path, admin_user, settings):
    settings.KPI_AS_OF = datetime.date(2018, 1, 1)
    result = crm_import_path(path=generic_set(tmp_path), format="generic", user=admin_user)
    assert result.errors == []
    run = kpi_recompute(reason="nightly")
    logged = [e for e in events() if e[2] != "target"]  # the file's targets are logged as target changes
    assert [e[:3] for e in logged] == [("boss", "import", "import"), ("", "recompute", "kpi_run")]
    assert logged[0][3].startswith("generic import (command) written: ")
    assert logged[1] == ("", "recompute", "kpi_run", f"KPI recompute {run.pk} (full) started: nightly")


def test_admin_changes_to_users_territories_and_assignments_are_logged(client, admin_user, tree):
    client.force_login(admin_user)
    response = client.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "ledger-Orbit-42-quiet", "password2": "ledger-Orbit-42-quiet",
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    newbie = type(admin_user).objects.get(username="newbie")
    response = client.post(f"/admin/auth/user/{newbie.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    response = client.post(f"/admin/territories/territory/{tree['uk'].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert [(a, act, kind) for a, act, kind, _ in events()] == [
        ("boss", "create", "user"),
        ("boss", "delete", "user"),
        ("boss", "delete", "territory"),
    ]
    assert events()[1][3] == "user newbie deleted"


def test_audit_list_is_visible_to_admins_and_read_only(client, admin_user, tree):
    AuditEvent.objects.create(actor=admin_user, actor_name="boss", action="update", object_type="target",
                              summary="targets of territory:na revenue: 3 months set")  # fmt: skip
    client.force_login(admin_user)
    page = client.get("/admin/accounts/auditevent/")
    assert page.status_code == 200
    assert "targets of territory:na revenue: 3 months set" in page.content.decode()
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    event = AuditEvent.objects.get()
    assert client.post(f"/admin/accounts/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    staff = UserFactory(username="viewer", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/accounts/auditevent/").status_code == 403


def test_audit_list_keeps_its_address_from_before_the_accounts_app(client, admin_user):
    client.force_login(admin_user)
    old = client.get("/admin/kpi_dashboard/auditevent/?action=update")
    assert old.status_code == 301
    assert old["Location"] == "/admin/accounts/auditevent/?action=update"
