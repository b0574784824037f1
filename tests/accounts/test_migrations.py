"""The audit log's move into accounts migrates a database made before the move in place."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def test_a_database_from_before_the_move_keeps_its_audit_log_and_permissions():
    # Back to how a database looked before accounts existed: the table is there (the state-only
    # migration leaves it when reversed), the model's content type is the project package's.
    migrate(("accounts", None))
    ContentType.objects.filter(app_label="accounts", model="auditevent").update(app_label="kpi_dashboard")
    content_type = ContentType.objects.get(app_label="kpi_dashboard", model="auditevent")
    view = Permission.objects.get(content_type=content_type, codename="view_auditevent")
    Group.objects.create(name="auditors").permissions.add(view)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kpi_dashboard_auditevent (at, actor_name, action, object_type, object_id, summary, detail)"
            " VALUES (now(), 'boss', 'update', 'target', '7', 'targets of territory:na revenue: 3 months set', '{}')"
        )

    migrate(("accounts", "0001_initial"))

    assert list(AuditEvent.objects.values_list("actor_name", "summary")) == [
        ("boss", "targets of territory:na revenue: 3 months set")
    ]
    moved = ContentType.objects.get(pk=content_type.pk)
    assert (moved.app_label, moved.model) == ("accounts", "auditevent")
    assert list(Group.objects.get(name="auditors").permissions.values_list("content_type__app_label", "codename")) == [
        ("accounts", "view_auditevent")
    ]


def test_a_new_database_gets_the_table():
    migrate(("accounts", None))
    with connection.schema_editor() as editor:
        editor.delete_model(AuditEvent)
    assert "kpi_dashboard_auditevent" not in connection.introspection.table_names()

    migrate(("accounts", "0001_initial"))

    assert "kpi_dashboard_auditevent" in connection.introspection.table_names()
    AuditEvent.objects.create(action="update", object_type="target", summary="written")
    assert AuditEvent.objects.count() == 1
