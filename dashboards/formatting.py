"""KPI values formatted for people (units, currency, percentage points).

Cards, tables and charts use these, so they say the same thing the same way.
"""

from __future__ import annotations

import datetime
import functools
import math

from metrics.registry import Unit


def finite(value) -> float | None:
    """``value`` as a float, or None for null, NaN and infinity."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def value_format(value, unit: str, currency: str = "USD") -> str:
    """Format a KPI value for people: ``USD 1,234.50``, ``47.3%``, ``36 days``, ``1.25×``; "no data" for null."""
    value = finite(value)
    if value is None:
        return "no data"
    if unit == Unit.CURRENCY:
        return f"{currency} {value:,.2f}"
    if unit == Unit.COUNT:
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if unit == Unit.RATIO:
        return f"{value * 100:.1f}%"
    if unit == Unit.DAYS:
        days = f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
        return f"{days} day" if value == 1 else f"{days} days"
    if unit == Unit.SCORE:
        return f"{value:+.1f}" if value else "0.0"
    if unit == Unit.MULTIPLE:
        return f"{value:.2f}×"
    return f"{value:,.2f}"


def change_format(change, change_unit: str) -> str:
    """Format a change: ``+3.1 pp`` for rates (a fraction of 1 = 100 pp), ``-12.4%`` for amounts and counts."""
    change = finite(change)
    if change is None:
        return "no data"
    if change_unit == "pp":
        return f"{change * 100:+.1f} pp"
    return f"{change * 100:+.1f}%"


def attainment_format(value) -> str:
    value = finite(value)
    return "no target" if value is None else f"{value * 100:.1f}%"


def interval_format(low, high, unit: str, currency: str = "USD") -> str:
    low, high = finite(low), finite(high)
    if low is None or high is None:
        return ""
    return f"{value_format(low, unit, currency)} – {value_format(high, unit, currency)}"


@functools.lru_cache(maxsize=512)
def month_label(day: datetime.date) -> str:
    return f"{day:%b %Y}"


def plain_money(value) -> str:
    """An amount in a chart table: ``1,234.50`` (the column names the currency)."""
    value = finite(value)
    return "" if value is None else f"{value:,.2f}"


def plain_count(value) -> str:
    value = finite(value)
    return "" if value is None else f"{value:,.0f}"


def plain_days(value) -> str:
    value = finite(value)
    if value is None:
        return ""
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def short_amount(value) -> str:
    """A bar label: 1.2M, 350k, 900."""
    value = finite(value)
    if value is None:
        return ""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:,.0f}"
