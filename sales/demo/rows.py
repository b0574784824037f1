"""The rows the demo generators draw: plain data, before any of it reaches the database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple


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


class ExpenseRow(NamedTuple):
    territory: str
    month: datetime.date
    category: str
    amount: int  # cents
