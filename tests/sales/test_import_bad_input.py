"""Input that is not what the format says: a clear message, never a traceback, nothing written."""

from __future__ import annotations

import re
import time
import tracemalloc

import pytest

from sales.importers import crm_import_path
from sales.models import Deal
from territories.models import Territory
from tests.sales.fixtures.importing import (
    GENERIC,
    TODAY,
    counts,
    db_counts,
    errors,
    file_with_line,
    generic_set,
    generic_zip,
    run,
    warnings,
    zip_bytes,
)

pytestmark = pytest.mark.django_db

DEALS_COLUMNS = (
    "external_id, owner_external_id, stage, amount, name, customer_external_id, territory_code, refunded_amount, "
    "created_on, closed_on, ends_on, product, lost_from_stage"
)


def refused(folder, expected: list[str]) -> None:
    before = db_counts()
    result = run(folder)
    assert errors(result) == expected
    assert db_counts() == before


def test_file_that_is_not_utf8(tmp_path):
    folder = generic_set(tmp_path)
    (folder / "reps.csv").write_bytes(
        b"external_id,name,email,hired_on,left_on\nr1,Rep One,,2024-01-01,\nr2,Jos\xe9 Mart\xednez,,2024-01-01,\n"
    )
    refused(
        folder,
        ["reps.csv:3: not UTF-8 text (byte 0xe9 at position 7); save the file as UTF-8 (CSV UTF-8 in Excel)"],
    )


def test_file_without_header(tmp_path):
    folder = generic_set(tmp_path)
    (folder / "deals.csv").write_text("d1,r1,won,1000.00,First,c1,,0,2025-01-10,2025-03-15,,A,\n")
    refused(
        folder,
        [
            "deals.csv:1: no header row: the first line ('d1', 'r1', 'won', '1000.00', 'First') names none of "
            f"the expected columns ({DEALS_COLUMNS})"
        ],
    )


def test_header_missing_a_required_column(tmp_path):
    folder = generic_set(tmp_path, reps_csv="external_id,email\nr1,r1@example.com\n")
    refused(folder, ["reps.csv:1: name: required column missing from the header"])


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, content):
    folder = generic_set(tmp_path)
    (folder / "deals.csv").write_bytes(content)
    refused(
        folder,
        ["deals.csv:1: the file is empty: expected a header row (external_id, owner_external_id, stage, amount, ...)"],
    )


def test_binary_files(tmp_path):
    folder = generic_set(tmp_path)
    (folder / "deals.csv").write_bytes(zip_bytes({"x.txt": b"hello"}))
    (folder / "surveys.csv").write_bytes(b"external_id,customer_external_id\x00\x01\x02\n")
    refused(
        folder,
        [
            "deals.csv: this is a zip archive (or an .xlsx workbook), not a CSV text file",
            "surveys.csv:1: binary data (a NUL byte): this is not a CSV text file",
        ],
    )


def test_a_100_mb_line_is_refused_without_reading_it_whole(tmp_path):
    folder = generic_set(tmp_path)
    with open(folder / "customers.csv", "wb") as f:
        f.write(b"external_id,name\nc1,Acme\nc2,")
        chunk = b"x" * (1024 * 1024)
        for _ in range(100):
            f.write(chunk)
        f.write(b"\n")
    started = time.monotonic()
    tracemalloc.start()
    try:
        refused(
            folder,
            [
                "customers.csv:3: line is longer than 1,048,576 bytes; refusing to read the file further "
                "(a CSV line of a CRM export is far shorter: is this the right file?)"
            ],
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 20
    assert peak < 20 * 1024 * 1024  # at most a megabyte of the line was ever held, not 100


def test_a_huge_quoted_field_over_several_lines_is_refused(tmp_path):
    folder = generic_set(tmp_path)
    with open(folder / "customers.csv", "w") as f:
        f.write('external_id,name\nc1,"Acme\n')
        for _ in range(3000):
            f.write("y" * 1000 + "\n")
        f.write('"\n')
    refused(
        folder,
        ["customers.csv:2: malformed CSV: field larger than field limit (1048576); reading of this file stopped"],
    )


def test_row_with_the_wrong_number_of_fields_and_bad_quoting(tmp_path):
    folder = generic_set(
        tmp_path,
        activities_csv=(
            "external_id,rep_external_id,kind,occurred_on,deal_external_id,customer_external_id\n"
            "a1,r1,call,2025-03-10,d1,c1,extra\n"
            "a2,r2,meeting,2025-02-10\n"
            'a3,r2,"meeting"x,2025-02-10,,\n'
        ),
    )
    refused(
        folder,
        [
            "activities.csv:2: this row has 7 fields, the header has 6",
            "activities.csv:3: this row has 4 fields, the header has 6",
            "activities.csv:4: malformed CSV: ',' expected after '\"'; reading of this file stopped",
        ],
    )


def test_formula_looking_cells_are_kept_as_plain_text_with_a_warning(tmp_path):
    formula = '=HYPERLINK("http://evil.example","click")'
    folder = generic_set(
        tmp_path,
        deals_csv=file_with_line(
            "deals.csv",
            2,
            f'd1,r1,won,1000.00,"{formula.replace(chr(34), chr(34) * 2)}",c1,,0,2025-01-10,2025-03-15,,A,',
        ),
        surveys_csv=file_with_line("surveys.csv", 2, "s1,c1,csat,5,2025-04-01,,@SUM(A1:A9)"),
    )
    result = run(folder)
    assert errors(result) == []
    assert warnings(result) == [
        'deals.csv:2: name: \'=HYPERLINK("http://evil.example","click"\' looks like a spreadsheet formula; '
        "kept as plain text",
        "surveys.csv:2: comment: '@SUM(A1:A9)' looks like a spreadsheet formula; kept as plain text",
    ]
    assert Deal.objects.get(external_id="d1").name == formula


def test_bom_columns_in_any_order_and_unknown_columns(tmp_path):
    reps = "\ufeffname,colour,left_on,external_id,hired_on,email\nRep One,blue,,r1,2024-01-01,r1@example.com\n"
    reps += "Rep Two,red,,r2,2024-01-01,\n"
    folder = generic_set(tmp_path, reps_csv=reps)
    result = run(folder)
    assert errors(result) == []
    assert warnings(result) == ["reps.csv:1: colour: unknown column (ignored)"]
    assert counts(result)["reps.csv"] == {"reps": (2, 0, 0)}


def test_unknown_files_and_folders_are_warned_about(tmp_path):
    folder = generic_set(tmp_path)
    (folder / "notes.txt").write_text("hello")
    (folder / "old").mkdir()
    result = run(folder)
    assert errors(result) == []
    assert warnings(result) == [
        "notes.txt: not a file of this format (ignored); its files are territories.csv, reps.csv, assignments.csv, "
        "customers.csv, deals.csv, activities.csv, surveys.csv, targets.csv, expenses.csv",
        "old: a folder inside the import folder (ignored)",
    ]


def test_folder_without_any_file_of_the_format(tmp_path):
    result = run(tmp_path)
    assert errors(result) == [
        "(import): no file to import; expected some of territories.csv, reps.csv, assignments.csv, customers.csv, "
        "deals.csv, activities.csv, surveys.csv, targets.csv, expenses.csv"
    ]


# --- zip archives -----------------------------------------------------------------------------


def import_zip(tmp_path, data: bytes):
    archive = tmp_path / "upload.zip"
    archive.write_bytes(data)
    return crm_import_path(path=archive, format="generic", today=TODAY)


def test_zip_with_files_at_the_top_or_in_one_folder(tmp_path):
    for folder in ("", "export/"):
        result = import_zip(tmp_path, generic_zip(folder))
        assert errors(result) == []
    assert Territory.objects.count() == 4
    assert result.totals().created == 0  # the second archive holds the same rows


def test_zip_path_traversal_and_nested_folders_are_refused(tmp_path):
    before = db_counts()
    data = zip_bytes(
        {
            "../territories.csv": (GENERIC / "territories.csv").read_bytes(),
            "/etc/reps.csv": b"external_id,name\n",
            "a/b/deals.csv": (GENERIC / "deals.csv").read_bytes(),
            "customers.csv": (GENERIC / "customers.csv").read_bytes(),
        }
    )
    result = import_zip(tmp_path, data)
    assert errors(result) == [
        "upload.zip: ../territories.csv: unsafe path in the archive (absolute or with '..'): refused",
        "upload.zip: /etc/reps.csv: unsafe path in the archive (absolute or with '..'): refused",
        "upload.zip: a/b/deals.csv: nested folders are not read: put the CSV files at the top of the archive",
    ]
    assert db_counts() == before


def test_zip_bomb_and_damaged_archives_are_refused(tmp_path):
    bomb = zip_bytes({"deals.csv": b"0" * (30 * 1024 * 1024)})
    result = import_zip(tmp_path, bomb)
    assert len(errors(result)) == 1
    assert re.fullmatch(r"upload\.zip: deals\.csv: inflates 1,0\d\dx \(31,457,280 bytes\): refused", errors(result)[0])
    result = import_zip(tmp_path, b"PK\x03\x04 this is not really a zip")
    assert errors(result) == ["upload.zip: not a zip archive (or a damaged one)"]
