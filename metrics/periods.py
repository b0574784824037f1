"""Reporting periods: months, (fiscal) quarters and years, and date ranges.

Written as in ``spec/kpis.md``: ``YYYY-MM``, ``YYYY-Qn``, ``YYYY`` or
``start..end``. With ``FISCAL_YEAR_START_MONTH`` = m ≠ 1 quarters and years are
fiscal, and a fiscal year is named by the calendar year in which it ends.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["month", "quarter", "year", "range"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


class PeriodError(ValueError):
    """A period string that cannot be read; the message says what is expected."""


def month_add(day: datetime.date, months: int) -> datetime.date:
    """Return the first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """First days of the months from ``first``'s to ``last``'s, in order (none when ``last`` is earlier)."""
    months, day, end = [], first.replace(day=1), last.replace(day=1)
    while day <= end:
        months.append(day)
        if day == end:  # no step past the last month: after December 9999 there is no date
            break
        day = month_add(day, 1)
    return months


@dataclass(frozen=True, order=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    kind: PeriodKind
    label: str

    @property
    def months(self) -> list[datetime.date]:
        """First days of the months the period touches, in order."""
        return months_between(self.start, self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def fiscal_year_start(year: int, start_month: int) -> datetime.date:
    """First day of fiscal year ``year`` (named by the calendar year it ends in)."""
    if start_month == 1:
        return datetime.date(year, 1, 1)
    return datetime.date(year - 1, start_month, 1)


def period_month(year: int, month: int) -> Period:
    start = datetime.date(year, month, 1)
    return Period(start, month_end(start), "month", f"{year:04d}-{month:02d}")


def period_quarter(year: int, quarter: int, *, fiscal_start_month: int = 1) -> Period:
    start = month_add(fiscal_year_start(year, fiscal_start_month), 3 * (quarter - 1))
    end = month_end(month_add(start, 2))
    return Period(start, end, "quarter", f"{year:04d}-Q{quarter}")


def period_year(year: int, *, fiscal_start_month: int = 1) -> Period:
    start = fiscal_year_start(year, fiscal_start_month)
    return Period(start, month_end(month_add(start, 11)), "year", f"{year:04d}")


def period_parse(text: str, *, fiscal_start_month: int = 1) -> Period:
    """Read ``YYYY-MM``, ``YYYY-Qn``, ``YYYY`` or ``YYYY-MM-DD..YYYY-MM-DD``."""
    text = (text or "").strip()
    try:
        if match := _MONTH.match(text):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise PeriodError(f"month {month:02d} does not exist in period {text!r}")
            return period_month(year, month)
        if match := _QUARTER.match(text):
            return period_quarter(int(match[1]), int(match[2]), fiscal_start_month=fiscal_start_month)
        if match := _YEAR.match(text):
            return period_year(int(match[1]), fiscal_start_month=fiscal_start_month)
        if match := _RANGE.match(text):
            start = datetime.date.fromisoformat(match[1])
            end = datetime.date.fromisoformat(match[2])
            if end < start:
                raise PeriodError(f"period {text!r} ends before it starts")
            return Period(start, end, "range", text)
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"period {text!r} is not a real date range: {exc}") from None
    raise PeriodError(f"period {text!r} is not one of YYYY-MM, YYYY-Qn (n = 1..4), YYYY or YYYY-MM-DD..YYYY-MM-DD")


def period_previous(period: Period, *, fiscal_start_month: int = 1) -> Period:
    """The period of the same kind just before ``period``."""
    if period.kind == "month":
        start = month_add(period.start, -1)
        return period_month(start.year, start.month)
    if period.kind == "quarter":
        year, quarter = int(period.label[:4]), int(period.label[-1])
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        return period_quarter(year, quarter, fiscal_start_month=fiscal_start_month)
    if period.kind == "year":
        return period_year(int(period.label) - 1, fiscal_start_month=fiscal_start_month)
    length = period.days
    end = period.start - datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=length - 1)
    return Period(start, end, "range", f"{start.isoformat()}..{end.isoformat()}")


def period_last_year(period: Period, *, fiscal_start_month: int = 1) -> Period:
    """The same period one year earlier."""
    if period.kind == "month":
        return period_month(period.start.year - 1, period.start.month)
    if period.kind == "quarter":
        return period_quarter(int(period.label[:4]) - 1, int(period.label[-1]), fiscal_start_month=fiscal_start_month)
    if period.kind == "year":
        return period_year(int(period.label) - 1, fiscal_start_month=fiscal_start_month)
    start, end = _year_earlier(period.start), _year_earlier(period.end)
    return Period(start, end, "range", f"{start.isoformat()}..{end.isoformat()}")


def _year_earlier(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def fiscal_year_of(day: datetime.date, fiscal_start_month: int = 1) -> int:
    """The name (calendar year it ends in) of the fiscal year containing ``day``."""
    if fiscal_start_month == 1 or day.month < fiscal_start_month:
        return day.year
    return day.year + 1


def periods_containing(month: datetime.date, *, fiscal_start_month: int = 1) -> tuple[Period, Period, Period]:
    """The month, (fiscal) quarter and (fiscal) year that contain ``month``."""
    year = fiscal_year_of(month, fiscal_start_month)
    offset = (month.year * 12 + month.month - 1) - (
        fiscal_year_start(year, fiscal_start_month).year * 12 + fiscal_year_start(year, fiscal_start_month).month - 1
    )
    return (
        period_month(month.year, month.month),
        period_quarter(year, offset // 3 + 1, fiscal_start_month=fiscal_start_month),
        period_year(year, fiscal_start_month=fiscal_start_month),
    )


def periods_between(first_month: datetime.date, as_of: datetime.date, *, fiscal_start_month: int = 1) -> list[Period]:
    """Every month, quarter and year that starts between ``first_month`` and ``as_of``.

    Quarters and years are included from the one containing ``first_month``;
    the period containing ``as_of`` is included (it is in progress).
    """
    seen: dict[str, Period] = {}
    month = first_month.replace(day=1)
    while month <= as_of:
        for period in periods_containing(month, fiscal_start_month=fiscal_start_month):
            seen.setdefault(period.label, period)
        month = month_add(month, 1)
    order = {"year": 0, "quarter": 1, "month": 2}
    return sorted(seen.values(), key=lambda p: (p.start, order[p.kind]))
