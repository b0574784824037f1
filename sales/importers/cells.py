"""Reading the cells of one row: each reader logs a precise error and returns None."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from sales.importers.issues import IssueLog

# 12 digits before the point: MONEY fields are max_digits=14, decimal_places=2.
MAX_AMOUNT = Decimal("1e12")
# Whole numbers (scores) are small; Python refuses to read one of over 4,300 digits at all.
MAX_INTEGER_DIGITS = 18
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
# What a spreadsheet would run as a formula if the cell were opened there.
_FORMULA = re.compile(r"^(=|@|[+-]\s*[^\d\s.])")


def date_parse(text: str) -> datetime.date:
    """Read ``YYYY-MM-DD`` strictly; raise ValueError otherwise."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(text)
    return datetime.date.fromisoformat(text)


def decimal_parse(text: str) -> Decimal:
    """Read a plain decimal number (``.`` for decimals); raise ValueError otherwise."""
    if "_" in text or "," in text:
        raise ValueError(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def choices_text(values: Iterable[str]) -> str:
    values = list(values)
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else "".join(values)


class Row:
    """One data row of a file; ``ok`` turns False as soon as a cell is refused."""

    __slots__ = ("file", "line", "data", "log", "ok")

    def __init__(self, file: str, line: int, data: dict[str, str], log: IssueLog):
        self.file = file
        self.line = line
        self.data = data
        self.log = log
        self.ok = True

    def error(self, column: str, message: str) -> None:
        self.log.error(self.file, self.line, column, message)
        self.ok = False

    def warn(self, column: str, message: str, *, kind: str = "") -> None:
        self.log.warn(self.file, self.line, column, message, kind=kind)

    def _given(self, column: str, required: bool) -> str:
        """The cell's text; when it is blank and ``required``, that is reported."""
        value = self.data.get(column, "")
        if not value and required:
            self.error(column, "required value is missing")
        return value

    def text(self, column: str, *, required: bool = False, max_length: int = 0) -> str:
        """A text cell ("" when blank); formula-looking text is kept as is, with a warning."""
        value = self._given(column, required)
        if not value:
            return ""
        if max_length and len(value) > max_length:
            self.error(column, f"is {len(value):,} characters long, at most {max_length} are allowed")
            return ""
        if value[0] in "=@+-" and _FORMULA.match(value):
            self.warn(
                column, f"{value[:40]!r} looks like a spreadsheet formula; kept as plain text", kind="formula-like"
            )
        return value

    def key(self, column: str, *, max_length: int, required: bool = True) -> str:
        """An identifier cell (external id, code): no formula warning, just the value."""
        value = self._given(column, required)
        if not value:
            return ""
        if len(value) > max_length:
            self.error(column, f"is {len(value):,} characters long, at most {max_length} are allowed")
            return ""
        return value

    def slug(self, column: str, *, max_length: int, required: bool = True) -> str:
        value = self.key(column, max_length=max_length, required=required)
        if value and not _SLUG.match(value):
            self.error(column, f"{value!r} may only contain letters, digits, '-' and '_'")
            return ""
        return value

    def date(self, column: str, *, required: bool = False) -> datetime.date | None:
        value = self._given(column, required)
        if not value:
            return None
        try:
            return date_parse(value)
        except ValueError:
            self.error(column, f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def month(self, column: str, *, required: bool = False) -> datetime.date | None:
        value = self._given(column, required)
        if not value:
            return None
        match = _MONTH.match(value)
        if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 1:  # there is no year 0
            return datetime.date(int(match[1]), int(match[2]), 1)
        self.error(column, f"{value!r} is not a month (YYYY-MM)")
        return None

    def amount(self, column: str, *, required: bool = False) -> Decimal | None:
        """A money amount: a number, not negative, at most 2 decimals and 12 digits before the point."""
        value = self._given(column, required)
        if not value:
            return None
        try:
            number = decimal_parse(value)
        except ValueError:
            self.error(column, f"{value!r} is not a number (use '.' for decimals, no thousands separators)")
            return None
        if number < 0:
            self.error(column, f"{value} is negative")
            return None
        if number >= MAX_AMOUNT:
            self.error(column, f"{value} is too large (at most 12 digits before the decimal point)")
            return None
        if number.as_tuple().exponent < -2 and number != number.quantize(Decimal("0.01")):
            self.error(column, f"{value} has more than 2 decimals")
            return None
        return number

    def integer(self, column: str, *, required: bool = False) -> int | None:
        value = self._given(column, required)
        if not value:
            return None
        digits = value[1:] if value[0] == "-" else value
        if not (digits.isascii() and digits.isdigit()):
            self.error(column, f"{value!r} is not a whole number")
            return None
        if len(digits) > MAX_INTEGER_DIGITS:
            self.error(column, f"has {len(digits):,} digits: too large a number")
            return None
        return int(value)

    def choice(self, column: str, allowed: Iterable[str], *, what: str, required: bool = False) -> str:
        value = self._given(column, required)
        if not value:
            return ""
        allowed = tuple(allowed)
        if value not in allowed:
            self.error(column, f"unknown {what} {value!r} (expected {choices_text(allowed)})")
            return ""
        return value

    def email(self, column: str, *, max_length: int = 254) -> str:
        value = self.key(column, max_length=max_length, required=False)
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.error(column, f"{value!r} is not an e-mail address")
                return ""
        return value
