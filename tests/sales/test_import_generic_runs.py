"""Generic CSV import runs: dry runs, the run record, the import_crm command and the months to recompute."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sales.models import Deal, ImportRun
from tests.factories import UserFactory
from tests.helpers.import_generic import FIRST_IMPORT
from tests.sales.fixtures.importing import (
    GENERIC,
    counts,
    db_counts,
    errors,
    file_with_line,
    generic_set,
    run,
)

pytestmark = pytest.mark.django_db


def test_dry_run_counts_and_writes_nothing(tmp_path):
    before = db_counts()
    result = run(generic_set(tmp_path), dry_run=True)
    assert errors(result) == []
    assert counts(result) == FIRST_IMPORT
    assert db_counts() == before
    record = ImportRun.objects.get(pk=result.run_id)
    assert (record.dry_run, record.status) == (True, "succeeded")


def test_run_record_keeps_files_checksums_counts_and_user(tmp_path):
    import hashlib

    user = UserFactory(username="importer", is_staff=True)
    from sales.importers import crm_import_path

    result = crm_import_path(path=generic_set(tmp_path), format="generic", user=user)
    record = ImportRun.objects.get(pk=result.run_id)
    deals = next(f for f in record.files if f["name"] == "deals.csv")
    assert deals == {
        "name": "deals.csv",
        "size": (GENERIC / "deals.csv").stat().st_size,
        "sha256": hashlib.sha256((GENERIC / "deals.csv").read_bytes()).hexdigest(),
    }
    assert (record.user, record.format, record.source, record.status, record.dry_run) == (
        user,
        "generic",
        "command",
        "succeeded",
        False,
    )
    assert record.counts["deals.csv"] == {"deals": {"created": 4, "updated": 0, "unchanged": 0}}
    assert record.affected_months[0] == "2025-01-01"


def test_command_prints_errors_then_summary_and_exits_non_zero(tmp_path, capsys):
    folder = generic_set(
        tmp_path,
        deals_csv=file_with_line("deals.csv", 2, "d1,r1,won,-1,First,c1,,0,2025-01-10,2025-03-15,,A,"),
    )
    with pytest.raises(CommandError) as raised:
        call_command("import_crm", str(folder), "--format", "generic")
    assert raised.value.returncode == 1
    assert str(raised.value) == "1 error: nothing was written"
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["Errors (1):", "deals.csv:2: amount: -1 is negative"]
    assert out[-2:] == ["1 error, 0 warnings.", "Import failed: nothing was written."]
    assert Deal.objects.count() == 0


def test_command_dry_run(tmp_path, capsys):
    call_command("import_crm", str(generic_set(tmp_path)), "--format", "generic", "--dry-run")
    out = capsys.readouterr().out.splitlines()
    assert ["deals.csv", "(deals)", "4", "0", "0"] in [line.split() for line in out]
    assert out[-1] == "Dry run: nothing was written (the counts say what an import would do)."
    assert Deal.objects.count() == 0


def test_command_refuses_a_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="no such folder or zip file"):
        call_command("import_crm", str(tmp_path / "nope"), "--format", "generic")


def test_command_wants_a_folder_not_a_csv_file(tmp_path):
    folder = generic_set(tmp_path)
    with pytest.raises(CommandError, match="give the folder that holds the CSV files"):
        call_command("import_crm", str(folder / "deals.csv"), "--format", "generic")


def test_a_successful_import_requests_a_recompute_of_the_months_it_touched(tmp_path, db):
    """The KPIs of every month the import wrote are recomputed after it commits."""
    import datetime

    from metrics.models import KpiRecomputeRequest
    from sales.importers.service import crm_import_path

    (tmp_path / "territories.csv").write_text("code,name,parent_code,manager_emails\nuk,United Kingdom,,\n")
    (tmp_path / "reps.csv").write_text("external_id,name\nr1,Rep One\n")
    (tmp_path / "deals.csv").write_text(
        "external_id,owner_external_id,stage,amount,territory_code,created_on,closed_on\n"
        "d1,r1,won,100,uk,2025-03-04,2025-05-06\n"
    )
    result = crm_import_path(path=tmp_path, format="generic")
    assert result.errors == []
    assert list(KpiRecomputeRequest.objects.values_list("month", "reason")) == [
        (datetime.date(2025, 3, 1), "generic import")
    ]
    assert crm_import_path(path=tmp_path, format="generic", dry_run=True).errors == []
    assert KpiRecomputeRequest.objects.count() == 1  # a dry run asks for nothing
    (tmp_path / "deals.csv").write_text(
        "external_id,owner_external_id,stage,amount,territory_code,created_on,closed_on\n"
        "d2,r9,won,100,uk,2024-01-04,2024-01-06\n"
    )
    assert crm_import_path(path=tmp_path, format="generic").errors != []
    assert KpiRecomputeRequest.objects.count() == 1  # neither does a failed import
