"""Draw the facts of one block of reps: deals, customers, activities and survey responses.

Each block draws from its own ``random.Random`` stream (see ``rng_for``), rep
by rep, so a block's rows do not depend on how many blocks come before it.
"""

from __future__ import annotations

import datetime
import math
import random
from itertools import accumulate

from metrics.periods import month_end
from sales.demo import plan
from sales.demo.generate import DAY, PERIOD_MONTHS, poisson, rng_for, workday
from sales.demo.rows import ActivityRow, BlockFacts, CustomerRow, DealRow, Numbering, RepPlan, SurveyRow
from sales.models import OPEN_STAGES, ActivityKind, Stage, SurveyKind

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


def _survival(age: int, win_prob: float) -> float:
    """Probability that a deal created ``age`` days ago is still open."""
    if age <= 0:
        return 1.0
    log_age = math.log(age)

    def tail(mu: float, sigma: float) -> float:
        return 0.5 * math.erfc((log_age - mu) / (sigma * math.sqrt(2)))

    return win_prob * tail(WON_CYCLE_MU, WON_CYCLE_SIGMA) + (1 - win_prob) * tail(LOST_CYCLE_MU, LOST_CYCLE_SIGMA)


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
        for _ in range(poisson(rng, lam)):
            closed = workday(low + rng.randint(0, (high - low).days) * DAY, low, high)
            won = rng.random() < rep.win_prob * push
            mu, sigma = (WON_CYCLE_MU, WON_CYCLE_SIGMA) if won else (LOST_CYCLE_MU, LOST_CYCLE_SIGMA)
            cycle = min(int(rng.lognormvariate(mu, sigma)), MAX_CYCLE_DAYS)
            created = max(closed - cycle * DAY, rep.hired_on)
            created = workday(created, rep.hired_on, closed)
            stage = Stage.WON.value if won else Stage.LOST.value
            deals.append(
                _deal_draw(rng, rep, territory=rep.territory_on(closed), stage=stage, created=created, closed=closed)
            )
    if rep.left_on is None:
        # Deals created in the last months that have not closed yet, in the
        # proportion the cycle-length distribution leaves open at each age.
        market = plan.TERRITORY_BY_CODE[rep.territory_on(plan.REFERENCE_DATE)].market
        per_day = plan.CLOSED_DEALS_PER_REP_MONTH * plan.YEAR_GROWTH[plan.REFERENCE_DATE.year] * 12 / 365
        for _ in range(poisson(rng, per_day * rep.volume * market * PIPELINE_DAYS)):
            age = rng.randint(0, PIPELINE_DAYS - 1)
            created = plan.REFERENCE_DATE - age * DAY
            if created < rep.hired_on or rng.random() >= _survival(age, rep.win_prob):
                continue
            created = workday(created, rep.hired_on, plan.REFERENCE_DATE)
            stage = _open_stage(rng, age)
            deals.append(
                _deal_draw(rng, rep, territory=rep.territory_on(created), stage=stage, created=created, closed=None)
            )
        for _ in range(poisson(rng, STALE_DEALS_PER_REP)):
            created = plan.REFERENCE_DATE - rng.randint(*STALE_AGES) * DAY
            if created < rep.hired_on:
                continue
            created = workday(created, rep.hired_on, plan.REFERENCE_DATE)
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
        days += sorted(first + rng.randint(1, span) * DAY for _ in range(min(6, poisson(rng, span / 14))))
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
        for _ in range(poisson(rng, LOOSE_ACTIVITIES_PER_REP_MONTH)):
            day = workday(low + rng.randint(0, (high - low).days) * DAY, low, high)
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
    numbered = (("customer", customers, "CUS-", 7), ("deal", deals, "DEAL-", 7),
                ("activity", activities, "ACT-", 8), ("survey", surveys, "SRV-", 7))  # fmt: skip
    for kind, rows, prefix, digits in numbered:
        first = getattr(numbering, kind)
        for number, row in enumerate(rows, start=first):
            row.external_id = f"{prefix}{number:0{digits}d}"
        setattr(numbering, kind, first + len(rows))
    return BlockFacts(customers, deals, activities, surveys)
