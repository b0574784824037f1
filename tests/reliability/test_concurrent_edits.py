"""Two admins save the same target at the same moment: both changes are in the change log, chained
(the second's old value is the first's new value), and the stored value is the last one: no lost update."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import psycopg2
import pytest
from django.db import connection

from metrics.models import Target, TargetChange
from metrics.services.targets import TargetScope, target_input_clean, targets_set

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]
MARCH = datetime.date(2025, 3, 1)


def _save(user, value: str, errors: list) -> None:
    try:
        entry = target_input_clean(scope=TargetScope(territory=user.territory), kpi="revenue", period="2025-03",
                                   value=value)  # fmt: skip
        targets_set(entry=entry, user=user)
    except Exception as exc:  # reported by the test, never swallowed
        errors.append(exc)
    finally:
        connection.close()


def test_two_admins_saving_one_target_at_once_both_land_in_the_log(tree, admin_user):
    from tests.factories import UserFactory

    other = UserFactory(username="boss2", is_staff=True, is_superuser=True)
    entry = target_input_clean(scope=TargetScope(territory=tree["na"]), kpi="revenue", period="2025-03", value="1000")
    targets_set(entry=entry, user=admin_user)
    target = Target.objects.get(territory=tree["na"], month=MARCH)
    db = connection.settings_dict
    holder = psycopg2.connect(f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    errors: list = []
    try:
        with holder.cursor() as cursor:
            # Hold the row so both saves are in flight together, then let them go.
            cursor.execute("BEGIN; SELECT id FROM metrics_target WHERE id = %s FOR UPDATE", [target.pk])
            admin_user.territory = other.territory = tree["na"]
            threads = [threading.Thread(target=_save, args=(u, v, errors)) for u, v in [(admin_user, "2000"),
                                                                                        (other, "3000")]]  # fmt: skip
            for thread in threads:
                thread.start()
            threads[0].join(timeout=1)
            assert all(t.is_alive() for t in threads)  # both wait on the row
            cursor.execute("COMMIT")
    finally:
        holder.close()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    log = TargetChange.objects.filter(month=MARCH).order_by("id")
    changes = list(log.values_list("old_value", "new_value", "changed_by__username"))
    assert len(changes) == 3
    first, second = changes[1], changes[2]
    assert first[0] == Decimal("1000.00")
    assert second[0] == first[1]  # the second saw the first's value: nothing silently overwritten
    assert {first[1], second[1]} == {Decimal("2000.00"), Decimal("3000.00")}
    assert {first[2], second[2]} == {"boss", "boss2"}
    assert Target.objects.get(pk=target.pk).value == second[1]  # last write wins, and the log says so
