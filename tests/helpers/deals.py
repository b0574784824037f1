"""Deals for the hand-computed deal KPI tests: won, lost and open ones, created ten days before closing unless told."""

from __future__ import annotations

import datetime
from decimal import Decimal

from tests.factories import DealFactory

D = datetime.date
TEN_DAYS_EARLIER = object()  # default created_on of won()/lost(): closed_on − 10 days


def won(rep, territory, closed_on, amount="1000.00", created_on=TEN_DAYS_EARLIER, **fields):
    if created_on is TEN_DAYS_EARLIER:
        created_on = closed_on - datetime.timedelta(days=10)
    return DealFactory(
        owner=rep,
        territory=territory,
        stage="won",
        amount=Decimal(amount),
        created_on=created_on,
        closed_on=closed_on,
        **fields,
    )


def lost(rep, territory, closed_on, amount="1000.00", created_on=TEN_DAYS_EARLIER, **fields):
    if created_on is TEN_DAYS_EARLIER:
        created_on = closed_on - datetime.timedelta(days=10)
    return DealFactory(
        owner=rep,
        territory=territory,
        stage="lost",
        amount=Decimal(amount),
        created_on=created_on,
        closed_on=closed_on,
        **fields,
    )


def open_deal(rep, territory, created_on, amount="1000.00", stage="proposal", **fields):
    return DealFactory(
        owner=rep, territory=territory, stage=stage, amount=Decimal(amount), created_on=created_on, **fields
    )
