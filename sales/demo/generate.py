"""Draw the demo data set: pure Python, no database.

Every number comes from ``random.Random`` streams seeded with a string built from
the seed (never the global generator, never today's date), so the same seed
draws the same rows on every run and every machine running the same Python.
Reps are drawn per block of ``REPS_PER_BLOCK``; each block then draws the
customers, deals, activities and survey responses of its reps, so a large scale
is produced one block at a time with bounded memory.

This module draws the company-level plans (reps, targets, expenses) and holds
the random helpers every draw uses; ``sales.demo.facts`` draws each block's
facts and ``sales.demo.rows`` defines the rows.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict

from metrics.periods import Period, months_between, period_parse
from sales.demo import plan
from sales.demo.rows import ExpenseRow, RepPlan, Stint, TargetPlan

DAY = datetime.timedelta(days=1)
REP_PREFIX = "REP-"


def rng_for(seed: int, *parts: object) -> random.Random:
    # A string seed is hashed with SHA-512 by random.seed: stable across runs,
    # unlike hash(), which changes with PYTHONHASHSEED.
    return random.Random(":".join(["kpi-demo", str(seed), *map(str, parts)]))


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, count, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def workday(day: datetime.date, low: datetime.date, high: datetime.date) -> datetime.date:
    """Move a weekend day to the Friday before, else the Monday after, staying in [low, high]."""
    weekday = day.weekday()
    if weekday < 5:
        return day
    friday = day - (weekday - 4) * DAY
    if friday >= low:
        return friday
    monday = day + (7 - weekday) * DAY
    return monday if monday <= high else day


PERIOD_MONTHS = months_between(plan.PERIOD_START, plan.REFERENCE_DATE)


# --- Reps ---------------------------------------------------------------------------------


def reps_plan(*, seed: int, block: int) -> list[RepPlan]:
    """Draw the reps of one block: five per leaf territory, three with career changes."""
    rng = rng_for(seed, "reps", block)
    span = (plan.LATEST_EARLY_HIRE - plan.EARLIEST_HIRE).days
    reps = []
    for index in range(plan.REPS_PER_BLOCK):
        number = block * plan.REPS_PER_BLOCK + index + 1
        home = plan.LEAVES[index // plan.REPS_PER_LEAF]
        first, last = rng.choice(plan.FIRST_NAMES), rng.choice(plan.LAST_NAMES)
        hired = plan.EARLIEST_HIRE + rng.randint(0, span) * DAY
        hired = workday(hired, plan.EARLIEST_HIRE, plan.LATEST_EARLY_HIRE)
        left = None
        if index == plan.HIRE_INDEX:
            hired = plan.HIRE_DATE
        if index == plan.LEAVER_INDEX:
            left = plan.LEAVE_DATE
        if index == plan.MOVER_INDEX:
            stints = (Stint(home, hired, plan.MOVE_DATE - DAY), Stint(plan.MOVE_TO, plan.MOVE_DATE, None))
        else:
            stints = (Stint(home, hired, left),)
        reps.append(
            RepPlan(
                number=number,
                external_id=f"{REP_PREFIX}{number:05d}",
                name=f"{first} {last}",
                email=f"{first}.{last}.{number:05d}@example.com".lower(),
                hired_on=hired,
                left_on=left,
                stints=stints,
                volume=_clamp(rng.gauss(1.0, 0.12), 0.75, 1.3),
                win_prob=_clamp(rng.gauss(0.4, 0.05), 0.28, 0.52),
                follow_up=_clamp(rng.gauss(0.85, 0.07), 0.6, 0.98),
                care=_clamp(rng.gauss(1.0, 0.08), 0.8, 1.2),
            )
        )
    return reps


# --- Targets --------------------------------------------------------------------------------


def _periods_within(kind: str, fiscal_start_month: int) -> list[Period]:
    """The quarters or years that lie wholly inside the demo period (fiscal aware)."""
    periods = []
    for year in range(plan.PERIOD_START.year, plan.REFERENCE_DATE.year + 2):
        labels = [f"{year}-Q{q}" for q in range(1, 5)] if kind == "quarter" else [str(year)]
        for label in labels:
            period = period_parse(label, fiscal_start_month=fiscal_start_month)
            if period.start >= plan.PERIOD_START and period.end <= plan.REFERENCE_DATE:
                periods.append(period)
    return periods


def rep_quota_plan(*, reps: list[RepPlan], fiscal_start_month: int) -> list[TargetPlan]:
    """A revenue quota for every quarter a rep is employed on its first day."""
    quarters = _periods_within("quarter", fiscal_start_month)
    return [
        TargetPlan(f"rep:{rep.external_id}", "revenue", quarter.label, str(plan.QUARTER_QUOTA))
        for rep in reps
        for quarter in quarters
        if rep.employed_on(quarter.start)
    ]


def territory_target_plan(*, reps: list[RepPlan], fiscal_start_month: int) -> list[TargetPlan]:
    """Yearly revenue targets per leaf (the sum of its reps' quotas, spread seasonally),
    two month-by-month revisions, and a yearly deals-won target per region."""
    quarters = _periods_within("quarter", fiscal_start_month)
    years = _periods_within("year", fiscal_start_month)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for rep in reps:
        for quarter in quarters:
            # With a fiscal calendar, a quarter may belong to a year that is not
            # wholly inside the data: it then has a quota but no territory target.
            year = next((y for y in years if quarter.start in y), None)
            if year is not None and rep.employed_on(quarter.start):
                totals[(rep.territory_on(quarter.start), year.label)] += int(plan.QUARTER_QUOTA)
    targets = []
    for year in years:
        for leaf in plan.LEAVES:
            spec = plan.TERRITORY_BY_CODE[leaf]
            targets.append(
                TargetPlan(
                    f"territory:{leaf}", "revenue", year.label, str(totals[(leaf, year.label)]), spec.distribution
                )
            )
    if years:
        # A manager revised the last two months of Japan's plan upwards, month by month.
        last = years[-1]
        percentages = plan.DISTRIBUTIONS[plan.TERRITORY_BY_CODE["japan"].distribution][1]
        for month in last.months[-2:]:
            share = totals[("japan", last.label)] * float(percentages[month.month - 1]) / 100
            value = round(share * 1.25 / 1000) * 1000
            targets.append(TargetPlan("territory:japan", "revenue", f"{month:%Y-%m}", str(value)))
        for region in plan.REGIONS:
            headcount = sum(
                1
                for rep in reps
                if rep.employed_on(last.start) and plan.region_of(rep.territory_on(last.start)) == region
            )
            value = headcount * plan.DEALS_WON_PER_REP_YEAR
            targets.append(TargetPlan(f"territory:{region}", "deals_won", last.label, str(value)))
    return targets


# --- Expenses ------------------------------------------------------------------------------


def expenses_plan(*, seed: int, reps: list[RepPlan]) -> list[ExpenseRow]:
    """Monthly sales (per head) and marketing (seasonal) spend of every leaf territory."""
    rng = rng_for(seed, "expenses")
    headcount: dict[tuple[str, datetime.date], int] = defaultdict(int)
    for rep in reps:
        for month in PERIOD_MONTHS:
            mid = month.replace(day=15)
            if rep.employed_on(mid):
                headcount[(rep.territory_on(mid), month)] += 1
    rows = []
    for leaf in plan.LEAVES:
        for month in PERIOD_MONTHS:
            heads = headcount[(leaf, month)]
            rows.append(ExpenseRow(leaf, month, "sales", heads * rng.randint(5_200_00, 6_400_00)))
            marketing = heads * 2_000_00 * plan.MARKETING_SEASON[month.month - 1] * rng.uniform(0.85, 1.15)
            rows.append(ExpenseRow(leaf, month, "marketing", round(marketing)))
    return rows
