"""Target admin change list, edits and deletes through the services, and the read-only change log."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.models import Target, TargetChange
from tests.factories import SalesRepFactory, TargetFactory, UserFactory
from tests.helpers.admin_targets import CHANGES, TARGETS, D, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin_client):
    return admin_client


def test_target_changelist_queries_do_not_grow_with_rows(client, tree, plan, django_assert_num_queries):
    def add(i):
        if i % 2:
            TargetFactory(territory=tree["uk"], month=D(2024 + i // 12, i % 12 + 1, 1), distribution=plan)
        else:
            TargetFactory(rep=SalesRepFactory(), month=D(2025, 1, 1))

    add(0)
    add(1)
    with CaptureQueriesContext(connection) as few:
        response = client.get(TARGETS)
    assert response.status_code == 200 and "2 targets" in page(response)
    assert len(few) <= 10, [q["sql"] for q in few.captured_queries]
    for i in range(2, 20):
        add(i)
    with django_assert_num_queries(len(few)):
        response = client.get(TARGETS)
    assert "20 targets" in page(response)
    assert 'href="/admin/metrics/target/grid/"' in page(response)


def test_target_changelist_filters(client, tree):
    rep = SalesRepFactory(name="Rita", external_id="r-9")
    TargetFactory(territory=tree["uk"], kpi="revenue", month=D(2024, 3, 1), value=Decimal("1.00"))
    TargetFactory(rep=rep, kpi="calls", month=D(2025, 3, 1), value=Decimal("2.00"))

    def listed(**params):
        response = client.get(TARGETS, params)
        return sorted(t.scope_key for t in response.context["cl"].result_list)

    assert listed(kpi__exact="calls") == ["rep:r-9"]
    assert listed(year="2024") == ["territory:uk"]
    assert listed(scope="rep") == ["rep:r-9"]
    assert listed(scope="territory") == ["territory:uk"]
    assert listed(q="rita") == ["rep:r-9"]
    text = page(client.get(TARGETS))
    assert "rep Rita (r-9)" in text and "territory uk" in text and "2024-03" in text


def test_editing_a_month_goes_through_the_service_and_logs_old_and_new(client, tree, admin_user, plan):
    target = TargetFactory(
        territory=tree["na"], month=D(2025, 4, 1), value=Decimal("70000.00"), entered_as="2025-Q2", distribution=plan
    )
    response = client.post(reverse("admin:metrics_target_change", args=[target.pk]), {"value": "75000.50"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.value, target.entered_as, target.distribution) == (Decimal("75000.50"), "2025-04", None)
    assert list(
        TargetChange.objects.values_list("target", "scope", "old_value", "new_value", "changed_by", "source")
    ) == [(target.pk, "territory:na", Decimal("70000.00"), Decimal("75000.50"), admin_user.pk, "admin")]


def test_editing_to_an_invalid_value_changes_nothing(client, tree):
    target = TargetFactory(territory=tree["na"], month=D(2025, 4, 1), value=Decimal("70000.00"))
    response = client.post(reverse("admin:metrics_target_change", args=[target.pk]), {"value": "70000.125"})
    assert response.status_code == 200
    assert "use at most 2 decimals (values are spread over months in cents)" in page(response)
    response = client.post(reverse("admin:metrics_target_change", args=[target.pk]), {"value": "-1"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value"] == ["a target cannot be negative"]
    target.refresh_from_db()
    assert target.value == Decimal("70000.00")
    assert TargetChange.objects.count() == 0


def test_the_change_page_shows_the_scope_and_month_read_only(client, tree):
    target = TargetFactory(territory=tree["na"], month=D(2025, 4, 1), value=Decimal("70000.00"))
    text = page(client.get(reverse("admin:metrics_target_change", args=[target.pk])))
    assert '<div class="readonly">territory na</div>' in text
    assert '<div class="readonly">2025-04</div>' in text
    assert 'name="value" value="70000.0000"' in text


def test_deleting_a_target_logs_the_deletion(client, tree, admin_user):
    target = TargetFactory(territory=tree["na"], month=D(2025, 4, 1), value=Decimal("70000.00"))
    response = client.post(reverse("admin:metrics_target_delete", args=[target.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert Target.objects.count() == 0
    assert list(TargetChange.objects.values_list("scope", "month", "old_value", "new_value", "changed_by", "note")) == [
        ("territory:na", D(2025, 4, 1), Decimal("70000.00"), None, admin_user.pk, "deleted")
    ]


def test_bulk_delete_action_logs_every_deletion(client, tree, admin_user):
    rep = SalesRepFactory(external_id="r-1")
    kept = TargetFactory(territory=tree["uk"], month=D(2025, 1, 1))
    doomed = [
        TargetFactory(territory=tree["na"], month=D(2025, 4, 1), value=Decimal("10.00")),
        TargetFactory(rep=rep, kpi="calls", month=D(2025, 5, 1), value=Decimal("20.00")),
    ]
    response = client.post(
        TARGETS, {"action": "delete_selected", "_selected_action": [t.pk for t in doomed], "post": "yes"}
    )
    assert response.status_code == 302
    assert list(Target.objects.values_list("pk", flat=True)) == [kept.pk]
    log = sorted(TargetChange.objects.values_list("scope", "kpi", "old_value", "new_value", "changed_by", "source"))
    assert log == [
        ("rep:r-1", "calls", Decimal("20.00"), None, admin_user.pk, "admin"),
        ("territory:na", "revenue", Decimal("10.00"), None, admin_user.pk, "admin"),
    ]


def _change(i, user):
    return TargetChange.objects.create(
        scope=f"territory:t{i}",
        kpi="revenue" if i % 2 else "calls",
        month=D(2025, 1, 1),
        old_value=None if i % 3 else Decimal("5.00"),
        new_value=Decimal("1234.50"),
        changed_by=user,
        source="grid" if i % 2 else "admin",
        note="2025-Q1 evenly",
    )


def test_change_log_list_is_read_only_and_queries_do_not_grow(client, admin_user, django_assert_num_queries):
    users = [UserFactory(username=f"editor{i}") for i in range(20)]
    _change(0, users[0])
    _change(1, users[1])
    with CaptureQueriesContext(connection) as few:
        response = client.get(CHANGES)
    assert response.status_code == 200
    assert len(few) <= 10, [q["sql"] for q in few.captured_queries]
    for i in range(2, 20):
        _change(i, users[i])
    with django_assert_num_queries(len(few)):
        response = client.get(CHANGES)
    text = page(response)
    assert "20 target changes" in text and "editor19" in text and "1,234.50" in text
    assert "Add target change" not in text
    assert 'name="action"' not in text  # no bulk delete


def test_change_log_cannot_be_added_changed_or_deleted(client, admin_user):
    change = _change(1, admin_user)
    assert client.get(reverse("admin:metrics_targetchange_add")).status_code == 403
    view = client.get(reverse("admin:metrics_targetchange_change", args=[change.pk]))
    assert view.status_code == 200 and 'name="_save"' not in page(view)
    assert client.post(reverse("admin:metrics_targetchange_change", args=[change.pk]), {"note": "x"}).status_code == 403
    assert (
        client.post(reverse("admin:metrics_targetchange_delete", args=[change.pk]), {"post": "yes"}).status_code == 403
    )
    change.refresh_from_db()
    assert change.note == "2025-Q1 evenly"


def test_change_log_filters_and_search(client, admin_user):
    for i in range(4):
        _change(i, admin_user)

    def listed(**params):
        return sorted(c.scope for c in client.get(CHANGES, params).context["cl"].result_list)

    assert listed(source__exact="grid") == ["territory:t1", "territory:t3"]
    assert listed(kpi="calls") == ["territory:t0", "territory:t2"]
    assert listed(q="t2") == ["territory:t2"]
