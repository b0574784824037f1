"""One rep is never assigned to two territories on the same day.

Django has no portable way to say "these date ranges of one rep never overlap",
so the database says it in its own words: an exclusion constraint on PostgreSQL
(btree_gist, daterange with NULL meaning unbounded) and BEFORE triggers on
SQLite, which is the demo database. Both raise an IntegrityError naming
``assignment_no_overlap``.
"""

from django.db import migrations

TABLE = "territories_territoryassignment"

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE {TABLE} ADD CONSTRAINT assignment_no_overlap
        EXCLUDE USING gist (rep_id WITH =, daterange(start_date, end_date, '[]') WITH &&)""",
]
POSTGRES_BACKWARD = [f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS assignment_no_overlap"]

_OVERLAP = f"""EXISTS (SELECT 1 FROM {TABLE} a WHERE a.rep_id = NEW.rep_id {{same_row}}
    AND (a.start_date IS NULL OR NEW.end_date IS NULL OR a.start_date <= NEW.end_date)
    AND (a.end_date IS NULL OR NEW.start_date IS NULL OR NEW.start_date <= a.end_date))"""
_RAISE = "SELECT RAISE(ABORT, 'assignment_no_overlap: a rep cannot have two assignments on the same day')"

SQLITE_FORWARD = [
    f"""CREATE TRIGGER assignment_no_overlap_insert BEFORE INSERT ON {TABLE}
        WHEN {_OVERLAP.format(same_row="")} BEGIN {_RAISE}; END""",
    f"""CREATE TRIGGER assignment_no_overlap_update BEFORE UPDATE ON {TABLE}
        WHEN {_OVERLAP.format(same_row="AND a.id <> NEW.id")} BEGIN {_RAISE}; END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS assignment_no_overlap_insert",
    "DROP TRIGGER IF EXISTS assignment_no_overlap_update",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("territories", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
