"""Draw the demo data set: pure Python, no database.

Every number comes from ``random.Random`` streams seeded with a string built from
the seed (never the global generator, never today's date), so the same seed
draws the same rows on every run and every machine running the same Python.
Reps are drawn per block of ``REPS_PER_BLOCK``; each block then draws the
customers, deals, activities and survey responses of its reps, so a large scale
is produced one block at a time with bounded memory.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate
from typing import NamedTuple

from metrics.periods import Period, month_add, month_end, period_parse
from sales.demo import plan
from sales.models import OPEN_STAGES, ActivityKind, Stage, SurveyKind

DAY = datetime.timedelta(days=1)
REP_PREFIX = "REP-"

# Sales cycle in days (log-normal): won deals take longer than lost ones.
WON_CYCLE_MU, WON_CYCLE_SIGMA = math.log(35), 0.6
LOST_CYCLE_MU, LOST_CYCLE_SIGMA = math.log(21), 0.7
MAX_CYCLE_DAYS = 240  # the log-normal tail, cut where a CRM would have closed the deal as lost
PIPELINE_DAYS = 180  # open deals are drawn from the deals created this many days before the reference date
STALE_DEALS_PER_REP = 6.0  # open deals stuck for months, as every real pipeline has
STALE_AGES = (60, 330)
REPEAT_CUSTOMER_SHARE = 0.65
CHURN_SHARE = 0.15
CONTRACT_SHARE = 0.7
FULL_REFUND_SHARE, PARTIAL_REFUND_SHARE = 0.01, 0.03
CSAT_SHARE, NPS_SHARE = 0.35, 0.2
LOOSE_ACTIVITIES_PER_REP_MONTH = 1.5  # prospecting calls and emails not tied to a deal

_PRODUCT_CUM = tuple(accumulate(p.weight for p in plan.PRODUCTS))
_SECTOR_NAMES = tuple(name for name, _ in plan.SECTORS)
_SECTOR_CUM = tuple(accumulate(weight for _, weight in plan.SECTORS))
_LOST_FROM = tuple(s.value for s in OPEN_STAGES)
_LOST_FROM_CUM = (30, 60, 85, 100)
_UNITS, _UNITS_CUM = (1, 2, 3), (70, 90, 100)
_DISCOUNTS, _DISCOUNTS_CUM = (0, 5, 10, 15, 20), (30, 55, 75, 90, 100)
_FOLLOW_UP_DAYS, _FOLLOW_UP_CUM = (0, 1, 2, 3, 4, 5), (25, 50, 70, 85, 95, 100)
_FIRST_KINDS = (ActivityKind.CALL.value, ActivityKind.EMAIL.value, ActivityKind.MEETING.value)
_FIRST_KINDS_CUM = (50, 90, 100)
_LATER_KINDS_CUM = (40, 75, 100)
_LOOSE_KINDS, _LOOSE_KINDS_CUM = (ActivityKind.CALL.value, ActivityKind.EMAIL.value), (60, 100)


class Stint(NamedTuple):
    territory: str
    start: datetime.date
    end: datetime.date | None


@dataclass(slots=True)
class RepPlan:
    number: int
    external_id: str
    name: str
    email: str
    hired_on: datetime.date
    left_on: datetime.date | None
    stints: tuple[Stint, ...]
    volume: float  # deal volume relative to an average rep
    win_prob: float
    follow_up: float  # share of deals followed up within a few days
    care: float  # customer satisfaction relative to an average rep
    pk: int | None = None

    def territory_on(self, day: datetime.date) -> str | None:
        for stint in self.stints:
            if stint.start <= day and (stint.end is None or day <= stint.end):
                return stint.territory
        return None

    def employed_on(self, day: datetime.date) -> bool:
        return self.hired_on <= day and (self.left_on is None or day <= self.left_on)


@dataclass(slots=True)
class CustomerRow:
    name: str
    sector: str
    territory: str
    rep: RepPlan
    first_created: datetime.date
    external_id: str = ""
    churned_on: datetime.date | None = None
    has_won: bool = False
    deals: list[DealRow] = field(default_factory=list)
    pk: int | None = None


@dataclass(slots=True)
class DealRow:
    rep: RepPlan
    territory: str
    stage: str
    lost_from_stage: str
    amount: int  # cents
    refunded: int  # cents
    created_on: datetime.date
    closed_on: datetime.date | None
    ends_on: datetime.date | None
    product: str
    customer: CustomerRow | None = None
    name: str = ""
    external_id: str = ""
    pk: int | None = None


@dataclass(slots=True)
class ActivityRow:
    rep: RepPlan
    territory: str
    kind: str
    occurred_on: datetime.date
    deal: DealRow | None
    customer: CustomerRow | None
    external_id: str = ""


@dataclass(slots=True)
class SurveyRow:
    customer: CustomerRow
    rep: RepPlan
    territory: str
    kind: str
    score: int
    responded_on: datetime.date
    external_id: str = ""


@dataclass(slots=True)
class BlockFacts:
    customers: list[CustomerRow]
    deals: list[DealRow]
    activities: list[ActivityRow]
    surveys: list[SurveyRow]


@dataclass(slots=True)
class Numbering:
    """The next external id number of each fact, carried from one block to the next."""

    customer: int = 1
    deal: int = 1
    activity: int = 1
    survey: int = 1


@dataclass(frozen=True)
class TargetPlan:
    scope: str  # territory:<code> or rep:<external_id>
    kpi: str
    period: str
    value: str
    distribution: str = ""


def rng_for(seed: int, *parts: object) -> random.Random:
    # A string seed is hashed with SHA-512 by random.seed: stable across runs,
    # unlike hash(), which changes with PYTHONHASHSEED.
    return random.Random(":".join(["kpi-demo", str(seed), *map(str, parts)]))


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, count, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _workday(day: datetime.date, low: datetime.date, high: datetime.date) -> datetime.date:
    """Move a weekend day to the Friday before, else the Monday after, staying in [low, high]."""
    weekday = day.weekday()
    if weekday < 5:
        return day
    friday = day - (weekday - 4) * DAY
    if friday >= low:
        return friday
    monday = day + (7 - weekday) * DAY
    return monday if monday <= high else day


def _survival(age: int, win_prob: float) -> float:
    """Probability that a deal created ``age`` days ago is still open."""
    if age <= 0:
        return 1.0
    log_age = math.log(age)

    def tail(mu: float, sigma: float) -> float:
        return 0.5 * math.erfc((log_age - mu) / (sigma * math.sqrt(2)))

    return win_prob * tail(WON_CYCLE_MU, WON_CYCLE_SIGMA) + (1 - win_prob) * tail(LOST_CYCLE_MU, LOST_CYCLE_SIGMA)


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = month_add(month, 1)
    return months


PERIOD_MONTHS = _months(plan.PERIOD_START, plan.REFERENCE_DATE)


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
        hired = _workday(hired, plan.EARLIEST_HIRE, plan.LATEST_EARLY_HIRE)
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


class ExpenseRow(NamedTuple):
    territory: str
    month: datetime.date
    category: str
    amount: int  # cents


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


# --- Facts ------------------------------------------------------------------------------------


def _deal_draw(
    rng: random.Random,
    rep: RepPlan,
    *,
    territory: str,
    stage: str,
    created: datetime.date,
    closed: datetime.date | None,
) -> DealRow:
    product = rng.choices(plan.PRODUCTS, cum_weights=_PRODUCT_CUM)[0]
    units = rng.choices(_UNITS, cum_weights=_UNITS_CUM)[0]
    discount = rng.choices(_DISCOUNTS, cum_weights=_DISCOUNTS_CUM)[0]
    amount = product.list_price_cents * units * (100 - discount) // 100
    lost_from, refunded, ends_on = "", 0, None
    if stage == Stage.LOST:
        lost_from = rng.choices(_LOST_FROM, cum_weights=_LOST_FROM_CUM)[0]
    elif stage == Stage.WON:
        if product.subscription and rng.random() < CONTRACT_SHARE:
            years = 2 if rng.random() < 0.2 else 1
            ends_on = closed + (365 * years - 1) * DAY
        if (plan.REFERENCE_DATE - closed).days >= 14:
            draw = rng.random()
            if draw < FULL_REFUND_SHARE:
                refunded = amount
            elif draw < FULL_REFUND_SHARE + PARTIAL_REFUND_SHARE:
                refunded = amount * rng.randint(10, 50) // 100
    return DealRow(rep, territory, stage, lost_from, amount, refunded, created, closed, ends_on, product.name)


def _open_stage(rng: random.Random, age: int) -> str:
    progress = age / 35
    weights = (max(0.15, 1 - progress), 0.6, min(1.0, progress), min(1.0, progress / 2))
    return rng.choices(_LOST_FROM, weights=weights)[0]


def _rep_deals(rng: random.Random, rep: RepPlan) -> list[DealRow]:
    """Closed deals month by month (seasonal), then the open pipeline on the reference date."""
    deals = []
    ramp_end = rep.hired_on + 30 * DAY  # a new rep closes nothing in the first month
    last_day = min(rep.left_on or plan.REFERENCE_DATE, plan.REFERENCE_DATE)
    for month in PERIOD_MONTHS:
        low, high = max(month, ramp_end), min(month_end(month), last_day)
        if low > high:
            continue
        market = plan.TERRITORY_BY_CODE[rep.territory_on(low)].market
        share_of_month = ((high - low).days + 1) / month_end(month).day
        lam = (
            plan.CLOSED_DEALS_PER_REP_MONTH
            * plan.CLOSE_SEASON[month.month - 1]
            * plan.YEAR_GROWTH[month.year]
            * rep.volume
            * market
            * share_of_month
        )
        push = 1.08 if month.month >= 10 else 1.0  # the year-end push also wins more
        for _ in range(_poisson(rng, lam)):
            closed = _workday(low + rng.randint(0, (high - low).days) * DAY, low, high)
            won = rng.random() < rep.win_prob * push
            mu, sigma = (WON_CYCLE_MU, WON_CYCLE_SIGMA) if won else (LOST_CYCLE_MU, LOST_CYCLE_SIGMA)
            cycle = min(int(rng.lognormvariate(mu, sigma)), MAX_CYCLE_DAYS)
            created = max(closed - cycle * DAY, rep.hired_on)
            created = _workday(created, rep.hired_on, closed)
            stage = Stage.WON.value if won else Stage.LOST.value
            deals.append(
                _deal_draw(rng, rep, territory=rep.territory_on(closed), stage=stage, created=created, closed=closed)
            )
    if rep.left_on is None:
        # Deals created in the last months that have not closed yet, in the
        # proportion the cycle-length distribution leaves open at each age.
        market = plan.TERRITORY_BY_CODE[rep.territory_on(plan.REFERENCE_DATE)].market
        per_day = plan.CLOSED_DEALS_PER_REP_MONTH * plan.YEAR_GROWTH[plan.REFERENCE_DATE.year] * 12 / 365
        for _ in range(_poisson(rng, per_day * rep.volume * market * PIPELINE_DAYS)):
            age = rng.randint(0, PIPELINE_DAYS - 1)
            created = plan.REFERENCE_DATE - age * DAY
            if created < rep.hired_on or rng.random() >= _survival(age, rep.win_prob):
                continue
            created = _workday(created, rep.hired_on, plan.REFERENCE_DATE)
            stage = _open_stage(rng, age)
            deals.append(
                _deal_draw(rng, rep, territory=rep.territory_on(created), stage=stage, created=created, closed=None)
            )
        for _ in range(_poisson(rng, STALE_DEALS_PER_REP)):
            created = plan.REFERENCE_DATE - rng.randint(*STALE_AGES) * DAY
            if created < rep.hired_on:
                continue
            created = _workday(created, rep.hired_on, plan.REFERENCE_DATE)
            stage = rng.choices(_LOST_FROM, cum_weights=(10, 40, 75, 100))[0]
            deals.append(
                _deal_draw(rng, rep, territory=rep.territory_on(created), stage=stage, created=created, closed=None)
            )
    return deals


def _company_name(rng: random.Random, territory: str) -> str:
    suffix = rng.choice(plan.COMPANY_SUFFIX[territory])
    return f"{rng.choice(plan.COMPANY_FIRST)} {rng.choice(plan.COMPANY_SECOND)} {suffix}"


def _customers_assign(rng: random.Random, rep: RepPlan, deals: list[DealRow]) -> list[CustomerRow]:
    """Give each deal a customer: a repeat customer of the rep, or a new one."""
    customers: list[CustomerRow] = []
    won: list[CustomerRow] = []
    for deal in deals:
        if customers and rng.random() < REPEAT_CUSTOMER_SHARE:
            pool = won if won and rng.random() < 0.8 else customers
            customer = pool[rng.randrange(len(pool))]
        else:
            sector = rng.choices(_SECTOR_NAMES, cum_weights=_SECTOR_CUM)[0]
            customer = CustomerRow(_company_name(rng, deal.territory), sector, deal.territory, rep, deal.created_on)
            customers.append(customer)
        deal.customer = customer
        deal.name = f"{customer.name} - {deal.product}"
        customer.deals.append(deal)
        if deal.stage == Stage.WON and not customer.has_won:
            customer.has_won = True
            won.append(customer)
    for customer in customers:
        # Some customers with no open deal say explicitly that they stopped buying.
        if not customer.has_won or any(d.closed_on is None for d in customer.deals):
            continue
        last_close = max(d.closed_on for d in customer.deals)
        if (plan.REFERENCE_DATE - last_close).days > 60 and rng.random() < CHURN_SHARE:
            churned = last_close + rng.randint(30, 240) * DAY
            if churned <= plan.REFERENCE_DATE:
                customer.churned_on = churned
    return customers


def _deal_activities(rng: random.Random, deal: DealRow) -> list[ActivityRow]:
    rep = deal.rep
    end = min(deal.closed_on or plan.REFERENCE_DATE, rep.left_on or plan.REFERENCE_DATE)
    if rng.random() < rep.follow_up:
        first = min(deal.created_on + rng.choices(_FOLLOW_UP_DAYS, cum_weights=_FOLLOW_UP_CUM)[0] * DAY, end)
    else:
        first = deal.created_on + rng.randint(8, 25) * DAY
        if first > end:
            return []
    days = [first]
    span = (end - first).days
    if span > 0:
        days += sorted(first + rng.randint(1, span) * DAY for _ in range(min(6, _poisson(rng, span / 14))))
    kinds = [rng.choices(_FIRST_KINDS, cum_weights=_FIRST_KINDS_CUM)[0]]
    kinds += [rng.choices(_FIRST_KINDS, cum_weights=_LATER_KINDS_CUM)[0] for _ in days[1:]]
    return [
        ActivityRow(rep, rep.territory_on(day), kind, day, deal, deal.customer)
        for day, kind in zip(days, kinds, strict=True)
    ]


def _loose_activities(rng: random.Random, rep: RepPlan, customers: list[CustomerRow]) -> list[ActivityRow]:
    rows = []
    last_day = min(rep.left_on or plan.REFERENCE_DATE, plan.REFERENCE_DATE)
    for month in PERIOD_MONTHS:
        low, high = max(month, rep.hired_on), min(month_end(month), last_day)
        if low > high:
            continue
        for _ in range(_poisson(rng, LOOSE_ACTIVITIES_PER_REP_MONTH)):
            day = _workday(low + rng.randint(0, (high - low).days) * DAY, low, high)
            kind = rng.choices(_LOOSE_KINDS, cum_weights=_LOOSE_KINDS_CUM)[0]
            customer = customers[rng.randrange(len(customers))] if customers and rng.random() < 0.5 else None
            rows.append(ActivityRow(rep, rep.territory_on(day), kind, day, None, customer))
    return rows


def _csat_score(rng: random.Random, care: float, refunded: bool) -> int:
    if rng.random() < 0.78 * care * (0.4 if refunded else 1.0):
        return 5 if rng.random() < 0.55 else 4
    return rng.choices((1, 2, 3), cum_weights=(2, 5, 10))[0]


def _nps_score(rng: random.Random, care: float, refunded: bool) -> int:
    promoters = 0.45 * care * (0.4 if refunded else 1.0)
    draw = rng.random()
    if draw < promoters:
        return 10 if rng.random() < 0.5 else 9
    if draw < promoters + 0.35:
        return 8 if rng.random() < 0.6 else 7
    return rng.choices(range(7), cum_weights=(1, 2, 3, 5, 7, 10, 14))[0]


def _deal_surveys(rng: random.Random, deal: DealRow) -> list[SurveyRow]:
    rows = []
    refunded = deal.refunded > 0
    if rng.random() < CSAT_SHARE:
        day = deal.closed_on + rng.randint(5, 30) * DAY
        if day <= plan.REFERENCE_DATE:
            score = _csat_score(rng, deal.rep.care, refunded)
            rows.append(SurveyRow(deal.customer, deal.rep, deal.territory, SurveyKind.CSAT.value, score, day))
    if rng.random() < NPS_SHARE:
        day = deal.closed_on + rng.randint(30, 120) * DAY
        if day <= plan.REFERENCE_DATE:
            score = _nps_score(rng, deal.rep.care, refunded)
            rows.append(SurveyRow(deal.customer, deal.rep, deal.territory, SurveyKind.NPS.value, score, day))
    return rows


_FAR = datetime.date.max


def block_facts(*, seed: int, block: int, reps: list[RepPlan], numbering: Numbering) -> BlockFacts:
    """Draw the customers, deals, activities and survey responses of one block of reps."""
    rng = rng_for(seed, "facts", block)
    customers: list[CustomerRow] = []
    deals: list[DealRow] = []
    activities: list[ActivityRow] = []
    surveys: list[SurveyRow] = []
    for rep in reps:
        rep_deals = _rep_deals(rng, rep)
        rep_deals.sort(key=lambda d: (d.created_on, d.closed_on or _FAR))
        rep_customers = _customers_assign(rng, rep, rep_deals)
        for deal in rep_deals:
            activities += _deal_activities(rng, deal)
            if deal.stage == Stage.WON:
                surveys += _deal_surveys(rng, deal)
        activities += _loose_activities(rng, rep, rep_customers)
        customers += rep_customers
        deals += rep_deals
    # External ids follow the calendar inside a block; sorts are stable, so ties
    # keep the order they were drawn in.
    customers.sort(key=lambda c: c.first_created)
    deals.sort(key=lambda d: d.created_on)
    activities.sort(key=lambda a: a.occurred_on)
    surveys.sort(key=lambda s: s.responded_on)
    for row in customers:
        row.external_id = f"CUS-{numbering.customer:07d}"
        numbering.customer += 1
    for row in deals:
        row.external_id = f"DEAL-{numbering.deal:07d}"
        numbering.deal += 1
    for row in activities:
        row.external_id = f"ACT-{numbering.activity:08d}"
        numbering.activity += 1
    for row in surveys:
        row.external_id = f"SRV-{numbering.survey:07d}"
        numbering.survey += 1
    return BlockFacts(customers, deals, activities, surveys)
