"""What the CRM import fuzz draws cells from: the real data sets of ../shared/datasets and hostile values.

Hostile values are numbers, dates, e-mail addresses and texts an export could hold or a hostile file could
carry; ``cells`` mixes them with values that mean something in the base state (codes, ids, stages).
"""

from __future__ import annotations

import csv
import functools
import io

from hypothesis import strategies as st

from sales.importers.generic import FILES as GENERIC_FILES
from sales.importers.maven import FILES as MAVEN_FILES
from tests.sales.fixtures.importing import DATASETS

SOURCES = {"generic": DATASETS / "acceptance", "maven": DATASETS / "maven-crm"}
COLUMNS = {"generic": GENERIC_FILES, "maven": MAVEN_FILES}


@functools.cache
def real_files(format: str) -> dict[str, bytes]:
    """The files of the shared data set of ``format``, read from ../shared (never copied here)."""
    folder = SOURCES[format]
    assert folder.is_dir(), f"the data set is missing at {folder}"
    return {name: (folder / name).read_bytes() for name in COLUMNS[format]}


@functools.cache
def real_table(format: str, name: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(row) for row in csv.reader(io.StringIO(real_files(format)[name].decode("utf-8"))))


NUMBERS = (
    "9" * 5000,
    "1,000.00",
    "1 000",
    "1e3",
    "1E+30",
    "-1e-5",
    "0E-1000",
    "1e-1000000",
    "NaN",
    "nan",
    "-Infinity",
    "inf",
    "sNaN",
    "1_000",
    "0x10",
    "٣",
    "-0",
    "-5",
    "-0.01",
    "0.001",
    "4.5",
    "32768",
    "999999999999.99",
    "1000000000000",
    "12345678901234.5",
)
DATES = (
    "0000-01-01",
    "9999-12-31",
    "0001-01-01",
    "2025-02-29",
    "2024-02-29",
    "2025-13-01",
    "2025-06-31",
    "2025-1-1",
    "20250101",
    "2025-06-15T10:00",
    "２０２５-06-15",
    "0000-01",
    "9999-12",
    "2025-00",
    "٢٠٢٥-٠٦",
    "0000-Q1",
    "9999-Q4",
    "2025-Q5",
    "0000",
    "9999",
    "10000",
)
EMAILS = ("a" * 140 + "@example.com", "Boss@Example.COM", "not-an-email", "a@b", "a@example.com;;b@example.com")
TEXTS = (
    "",
    " ",
    "x" * 300,
    "é" * 201,
    "İ" * 100,
    "\x00",
    "nul\x00inside",
    "\u202eevil\u202c",
    "שלום",
    "مرحبا",
    "😀🎉👩‍👩‍👧",
    "Ω≈ç√∫",
    "=1+1",
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(A1:A9)",
    "+1-1",
    "-2+3",
    "'; DROP TABLE sales_deal; --",
    "Robert'); DROP TABLE reps_salesrep;--",
    "<script>alert(1)</script>",
    '"',
    '""',
    'a"b',
    "a\nb",
    "a\r\nb",
    "a,b",
    "  padded  ",
    "\t",
    "None",
    "null",
    "TRUE",
)
HOSTILE = TEXTS + NUMBERS + DATES + EMAILS
NUMBER_COLUMNS = ("amount", "refunded_amount", "score", "value", "sales_price", "close_value")
DATE_COLUMNS = ("hired_on", "left_on", "start_date", "end_date", "churned_on", "created_on", "closed_on", "ends_on",
                "occurred_on", "responded_on", "month", "period", "engage_date", "close_date")  # fmt: skip
# Values that mean something in the base state, so that random rows sometimes get past the references.
TOKENS = {
    "generic": (
        "na", "na-east", "na-west", "emea", "uk", "de", "r01", "r05", "r12", "c001", "c060", "d00001", "d01600",
        "a00000", "s0001", "won", "lost", "lead", "qualified", "proposal", "negotiation", "call", "meeting",
        "email", "csat", "nps", "0", "5", "10", "2024-12-31", "2025-03-15", "2025-03", "2025-Q2", "2025",
        "100.00", "revenue", "win_rate", "deals_won", "territory:na", "rep:r01", "sales", "r01@example.com", "A",
    ),
    "maven": (
        "Anna Snelling", "Dustin Brinkmann", "Central", "East", "West", "GTX Pro", "GTXPro", "GTX Basic",
        "MG Special", "GTX", "Acme Corporation", "Betasoloin", "technolgy", "Won", "Lost", "Engaging",
        "Prospecting", "1C1I7A6R", "2016-10-20", "2017-03-01", "1054", "550",
    ),
}  # fmt: skip


def cells(format: str, column: str = "") -> st.SearchStrategy[str]:
    """Cell values for ``column``: hostile ones of its kind (numbers, dates, e-mails) half the time."""
    kind = NUMBERS if column in NUMBER_COLUMNS else DATES if column in DATE_COLUMNS else None
    kind = EMAILS if "email" in column else kind
    anything = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(TOKENS[format]), st.text(max_size=20))
    return anything if kind is None else st.one_of(st.sampled_from(kind), anything)


# Free-text columns, and hostile text that is valid in them (it must be stored as given).
TEXT_COLUMNS = ("name", "comment", "sector", "product", "series", "category", "manager")
HOSTILE_TEXT = (
    "=1+1",
    "@SUM(A1:A9)",
    "'; DROP TABLE sales_deal; --",
    "<script>alert(1)</script>",
    "\u202eevil\u202c",
    "مرحبا",
    "😀🎉👩‍👩‍👧",
    "Ω≈ç√∫",
    'a"b',
    "a\nb",
    "a,b",
    "é" * 200,
    "İ" * 100,
)
