"""The audit log moves from the project package to accounts without rebuilding its table.

A database made before the move already has ``kpi_dashboard_auditevent`` (and a
``kpi_dashboard`` row in django_migrations, left as history): this migration only
records the model in accounts' state and re-points its content type, so the
admin permissions granted on it stay. A new database gets the table here.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "kpi_dashboard_auditevent"


def table_create_unless_present(apps, schema_editor):
    if TABLE not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(apps.get_model("accounts", "AuditEvent"))


def content_type_move(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="accounts", model="auditevent").exists():
        ContentType.objects.using(db).filter(app_label="kpi_dashboard", model="auditevent").update(
            app_label="accounts"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("actor_name", models.CharField(blank=True, help_text="empty: the system (schedule, command)", max_length=150)),
                        ("action", models.CharField(choices=[("create", "created"), ("update", "changed"), ("delete", "deleted"), ("import", "imported"), ("recompute", "recomputed")], max_length=16)),
                        ("object_type", models.CharField(db_index=True, max_length=40)),
                        ("object_id", models.CharField(blank=True, max_length=100)),
                        ("summary", models.CharField(max_length=300)),
                        ("detail", models.JSONField(blank=True, default=dict)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": TABLE,
                        "ordering": ["-at", "-id"],
                        "indexes": [models.Index(fields=["object_type", "object_id"], name="kpi_dashboa_object__49bcd0_idx")],
                    },
                ),
            ],
        ),
        migrations.RunPython(table_create_unless_present, migrations.RunPython.noop),
        migrations.RunPython(content_type_move, migrations.RunPython.noop),
    ]
