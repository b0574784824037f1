"""CSV cells: formulas escaped, numbers left as numbers."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dashboards.csv_export import csv_cell, csv_response, csv_rows


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1-2", "'+1-2"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("Plain name", "Plain name"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (-12.5, -12.5),
        (-3, -3),
        (Decimal("-1.50"), Decimal("-1.50")),
        (datetime.date(2025, 12, 31), "2025-12-31"),
    ],
)
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


def test_rows_and_header_are_escaped_and_streamed():
    lines = list(csv_rows(["name", "=x"], [["=1+1", -2.5], ["ok", None]]))
    assert lines == ["name,'=x\r\n", "'=1+1,-2.5\r\n", "ok,\r\n"]


def test_response_is_a_download_with_a_safe_filename():
    response = csv_response(filename='kpis "a/b".csv', header=["a"], rows=[[1]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kpis__a_b_.csv"'
    assert b"".join(response.streaming_content) == b"a\r\n1\r\n"
