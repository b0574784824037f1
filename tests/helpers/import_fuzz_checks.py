"""Running one CRM import fuzz input and checking what it did.

``fuzz_one`` imports one input (tests/helpers/import_fuzz_inputs.py) and checks that it was written whole
or not at all, with readable errors and one run record; ``TALLY`` counts the outcomes of the process.
"""

from __future__ import annotations

import functools
from collections import Counter

from django.apps import apps
from django.db import connection, transaction
from hypothesis import note

from accounts.models import AuditEvent
from sales.importers import ImportResult, Issue, crm_import_path
from sales.models import ImportRun
from tests.helpers.import_fuzz_inputs import FuzzInput
from tests.helpers.import_fuzz_values import COLUMNS, SOURCES
from tests.sales.fixtures.importing import TODAY, errors

# Outcomes of every input tried in this process, printed at the end of the module.
TALLY: Counter[str] = Counter()
LEAKS = ("Traceback", "Error(", "Exception(", "<class '", " object at 0x")


@functools.cache
def _fingerprint_sql() -> str:
    """One query: row count and md5 of all rows of every table but the import's own records."""
    quote = connection.ops.quote_name
    parts = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if model in (ImportRun, AuditEvent) or meta.proxy or not meta.managed:
            continue
        rows = f"string_agg(t::text, E'\\n' ORDER BY t.{quote(meta.pk.column)})"
        parts.append(f"SELECT '{meta.label}', count(*), md5(coalesce({rows}, '')) FROM {quote(meta.db_table)} t")
    return " UNION ALL ".join(parts)


def table_fingerprints() -> dict[str, tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        return {label: (count, digest) for label, count, digest in cursor.fetchall()}


def assert_readable(issue: Issue, files: set[str]) -> None:
    """``file[:line]: [column: ]message``, naming a file of the input, and no Python internals."""
    text = str(issue)
    assert issue.file in files, text
    assert issue.message.strip(), text
    assert issue.line is None or issue.line >= 1, text
    assert text.startswith(f"{issue.file}:") and text.endswith(issue.message), text
    assert not [leak for leak in LEAKS if leak in text], text


def _import_events() -> int:
    return AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).count()


def import_checked(case: FuzzInput, *, dry_run: bool = False) -> ImportResult:
    """Import ``case`` in a savepoint rolled back afterwards; check the result and the tables.

    An import that changed rows is run a second time: the same files again change nothing.
    """
    with transaction.atomic():
        before = table_fingerprints()
        runs, events, import_events = ImportRun.objects.count(), AuditEvent.objects.count(), _import_events()
        result = case.run(dry_run=dry_run)  # nothing may escape
        after = table_fingerprints()
        changed = sorted(label for label in before if before[label] != after[label])
        # Errors name a file of the format, an uploaded file or archive, or the import as a whole.
        files = {*COLUMNS[case.format], *case.names(), "(import)"}
        for issue in result.errors:
            assert_readable(issue, files)
        # The database refuses only what the checks let through: every refusal must come from the checks.
        by_database = [str(e) for e in result.errors if e.message.startswith("the database refused")]
        assert by_database == [], f"the checks let through what the database refused: {by_database}"
        if dry_run or result.errors:
            assert changed == [], f"a refused import or a dry run changed {changed}: {errors(result)[:5]}"
        elif result.totals().written:
            assert changed != [], f"rows were counted as written, yet no table changed: {result.counts_as_dict()}"
        else:
            assert changed == [], f"nothing was counted as written, yet {changed} changed"
        record = ImportRun.objects.get(pk=result.run_id)
        counted = (ImportRun.objects.count() - runs, _import_events() - import_events)
        assert counted == (1, 1), f"import runs and import audit events added: {counted}, not one each"
        if not changed:  # the import's own event is all; a written import also logs the targets it changed
            assert AuditEvent.objects.count() == events + 1, "a run that wrote nothing logged more than itself"
        recorded = (record.status, record.dry_run, record.error_count)
        status = ImportRun.Status.FAILED if result.errors else ImportRun.Status.SUCCEEDED
        assert recorded == (status, dry_run, len(result.errors)), f"the run is recorded as {recorded}"
        if changed:
            again = case.run(dry_run=False)
            repeated = (errors(again), again.totals().written)
            assert repeated == ([], 0), f"the same files imported again: {repeated}"
            assert table_fingerprints() == after, "the same files imported again changed tables"
        transaction.set_rollback(True)
    if dry_run:
        TALLY["dry run refused" if result.errors else "dry run clean"] += 1
    elif result.errors:
        TALLY["refused"] += 1
    else:
        TALLY["written" if changed else "unchanged"] += 1
    return result


def fuzz_one(case: FuzzInput, *, dry_run: bool = False) -> ImportResult:
    """``import_checked`` inside a hypothesis example: the input is shown when the example fails."""
    note(repr(case))
    return import_checked(case, dry_run=dry_run)


def tally_line() -> str:
    t = TALLY
    tried = sum(t.values())
    written = t["written"] + t["unchanged"]
    dry = t["dry run clean"] + t["dry run refused"]
    return (
        f"{tried} inputs tried: {written} written ({t['written']} changed rows, {t['unchanged']} matched what "
        f"was stored), {t['refused']} refused with errors, {dry} dry runs ({t['dry run clean']} clean, "
        f"{t['dry run refused']} with errors; none wrote)"
    )


def base_import() -> None:
    """The acceptance set and the Maven export, imported as the state every example starts from."""
    for format, folder in SOURCES.items():
        result = crm_import_path(path=folder, format=format, today=TODAY)
        assert errors(result) == []
