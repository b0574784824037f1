"""Fuzzing the CRM importer (hypothesis): whatever the files, a result, and never a partial write.

Inputs are the real data sets of ../shared/datasets (acceptance: generic format;
maven-crm: Maven format) mutated cell by cell and byte by byte, fully random small
files, and zip archives laid out wrongly or damaged, through the three ways files
arrive: a folder, a zip archive on disk, admin uploads. For every input
``crm_import`` must return a result; either it has no error and wrote what it
counted, or it has errors and every table is exactly as before (row count and a
hash of every row). The database never refuses what the checks passed, and the
same files imported again change nothing. Its own trace is one ImportRun and one
audit event (a written import also logs the targets it changed). A dry run never
writes, whatever the input.

The acceptance set and the Maven export are imported once for the module, in a
transaction rolled back at its end; each example runs in a savepoint rolled back
after its checks. ``pytest -s`` prints how many inputs were tried and how they ended.
"""

from __future__ import annotations

import datetime
import zipfile
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.models import Target
from metrics.periods import period_parse
from tests.helpers.import_fuzz_checks import base_import, fuzz_one, import_checked, tally_line
from tests.helpers.import_fuzz_inputs import FUZZ, FuzzInput, archive_inputs, central_entries, csv_inputs, zip_archive
from tests.helpers.import_fuzz_values import SOURCES
from tests.sales.fixtures.importing import errors

pytestmark = [pytest.mark.faults, pytest.mark.django_db]


@pytest.fixture(scope="module")
def base_state(django_db_setup, django_db_blocker):
    """The base state, in a transaction that the module's tests nest in and that is rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        base_import()
        yield
        transaction.set_rollback(True)
    print(f"\nimport fuzz: {tally_line()}")


# --- the fuzz --------------------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=150)
@given(case=csv_inputs("generic"))
def test_mutated_acceptance_files_are_written_whole_or_not_at_all(base_state, case):
    fuzz_one(case)


@settings(FUZZ, max_examples=60)
@given(case=csv_inputs("maven"))
def test_mutated_maven_files_are_written_whole_or_not_at_all(base_state, case):
    fuzz_one(case)


@settings(FUZZ, max_examples=120)
@given(case=st.sampled_from(list(SOURCES)).flatmap(lambda format: csv_inputs(format, random=True)))
def test_random_files_are_written_whole_or_not_at_all(base_state, case):
    fuzz_one(case)


@settings(FUZZ, max_examples=100)
@given(case=archive_inputs())
def test_zip_archives_are_written_whole_or_not_at_all(base_state, case):
    fuzz_one(case)


@settings(FUZZ, max_examples=80)
@given(
    case=st.one_of(
        csv_inputs("generic"),
        csv_inputs("maven"),
        st.sampled_from(list(SOURCES)).flatmap(lambda format: csv_inputs(format, random=True)),
        archive_inputs(),
    )
)
def test_dry_runs_never_write(base_state, case):
    fuzz_one(case, dry_run=True)


# --- what the fuzz found: damaged archives raised instead of being refused ----------------------------------


def _reps_zip(compression: int = zipfile.ZIP_STORED) -> bytes:
    return zip_archive([("reps.csv", b"external_id,name\nr01,Rep One\n")], compression)


def _central_patched(data: bytes, patch: dict[int, bytes]) -> bytes:
    """``data`` with fields of its first central directory entry overwritten (offset in the entry: bytes)."""
    entry = central_entries(data)[0]
    for offset, value in patch.items():
        data = data[: entry + offset] + value + data[entry + offset + len(value) :]
    return data


def _lzma_data_corrupted() -> bytes:
    data = _reps_zip(zipfile.ZIP_LZMA)
    start, end = 30 + len("reps.csv") + 9, central_entries(data)[0]  # after the local header and LZMA header
    return data[:start] + b"\xff" * (end - start) + data[end:]


def _members_before_the_start() -> bytes:
    """The end record puts the central directory 1,000 bytes further than it is, so members start before 0."""
    data = _reps_zip()
    offset = int.from_bytes(data[-6:-2], "little")
    return data[:-6] + (offset + 1000).to_bytes(4, "little") + data[-2:]


DAMAGED = "export.zip: not a zip archive (or a damaged one)"
UNREADABLE = "export.zip: reps.csv: cannot be read from the archive"
ARCHIVE_DAMAGE = {
    "a zip version zipfile does not read": (
        lambda: _central_patched(_reps_zip(), {6: (64).to_bytes(2, "little")}),
        DAMAGED,
    ),
    "a member name flagged UTF-8 that is not": (
        lambda: _central_patched(_reps_zip(), {8: (0x800).to_bytes(2, "little"), 46: b"\xff"}),
        DAMAGED,
    ),
    "a member name that starts with a NUL byte": (
        lambda: _central_patched(_reps_zip(), {46: b"\x00"}),
        f"{DAMAGED}: a file in it has no name",
    ),
    "an unknown compression method": (
        lambda: _central_patched(_reps_zip(), {10: (99).to_bytes(2, "little")}),
        f"{UNREADABLE} (That compression method is not supported)",
    ),
    "stored bytes read as deflate data": (
        lambda: _central_patched(_reps_zip(), {10: (8).to_bytes(2, "little")}),
        f"{UNREADABLE} (Error -3 while decompressing data: invalid code lengths set)",
    ),
    "corrupt LZMA data": (_lzma_data_corrupted, f"{UNREADABLE} (Corrupt input data)"),
    "members before the start of the archive": (
        _members_before_the_start,
        f"{UNREADABLE} (negative seek value -1000)",
    ),
}


@pytest.mark.parametrize("damage", ARCHIVE_DAMAGE)
def test_damaged_archive_is_refused_with_one_error_and_nothing_written(damage):
    build, expected = ARCHIVE_DAMAGE[damage]
    result = import_checked(FuzzInput("generic", "uploads", (("export.zip", build()),)))
    assert errors(result) == [expected]


# --- what the fuzz found: cells that raised, and cells the database refused ------------------------------------

LONG_EMAIL = "a" * 140 + "@example.com"
REFUSED_CELLS = {
    "a score of 5,000 digits (int() refuses over 4,300)": (
        "generic",
        "surveys.csv",
        f"external_id,customer_external_id,kind,score,responded_on\ns9,c001,csat,{'9' * 5000},2025-01-01\n",
        "surveys.csv:2: score: has 5,000 digits: too large a number",
    ),
    "the month of year 0": (
        "generic",
        "expenses.csv",
        "territory_code,month,amount\nna,0000-01,5\n",
        "expenses.csv:2: month: '0000-01' is not a month (YYYY-MM)",
    ),
    "a month in Arabic-Indic digits (dates refuse them too)": (
        "generic",
        "expenses.csv",
        "territory_code,month,amount\nna,٢٠٢٥-٠٦,5\n",
        "expenses.csv:2: month: '٢٠٢٥-٠٦' is not a month (YYYY-MM)",
    ),
    "a new manager's e-mail longer than a username": (
        "generic",
        "territories.csv",
        f"code,name,parent_code,manager_emails\nna,North America,,{LONG_EMAIL}\n",
        f"territories.csv:2: manager_emails: no user has the e-mail '{LONG_EMAIL}', and it is too long to be "
        "a new user's username (at most 150 characters)",
    ),
    "a manager name longer than a username once in lower case": (
        "maven",
        "sales_teams.csv",
        f"sales_agent,manager,regional_office\nAnna Snelling,{'İ' * 100},Central\n",  # İ lower-cases to 2 characters
        "sales_teams.csv:2: manager: is too long for a username: 200 characters in lower case, at most 150",
    ),
}


@pytest.mark.parametrize("case", REFUSED_CELLS)
def test_cell_that_raised_or_reached_the_database_is_refused_with_its_line(base_state, case):
    format, name, text, expected = REFUSED_CELLS[case]
    result = import_checked(FuzzInput(format, "uploads", ((name, text.encode()),)))
    assert errors(result) == [expected]


def test_the_months_of_a_period_ending_in_december_9999_stop_there():
    assert period_parse("9999-12").months == [datetime.date(9999, 12, 1)]
    assert period_parse("9999-Q4").months == [datetime.date(9999, m, 1) for m in (10, 11, 12)]
    assert len(period_parse("9999").months) == 12


def test_target_for_the_last_quarter_of_9999_is_written(base_state):
    case = FuzzInput(
        "generic", "uploads", (("targets.csv", b"scope,kpi,period,value\nterritory:na,revenue,9999-Q4,3\n"),)
    )
    assert errors(import_checked(case)) == []  # written whole, and the same file again writes nothing
    result = case.run(dry_run=False)  # once more in the test's own transaction, to read what it stores
    assert result.affected_months == {datetime.date(9999, month, 1) for month in (10, 11, 12)}
    stored = Target.objects.filter(territory__code="na", kpi="revenue", month__year=9999).order_by("month")
    assert [(t.month, t.value) for t in stored] == [
        (datetime.date(9999, 10, 1), Decimal("1.00")),
        (datetime.date(9999, 11, 1), Decimal("1.00")),
        (datetime.date(9999, 12, 1), Decimal("1.00")),
    ]
