"""Fetch: the few set-based aggregate queries the KPI engine reads.

Every query groups facts by (stored territory, rep, time bucket) over the whole
company at once, so the number of queries does not depend on how many reps,
territories or periods there are. A bucket is a month (snapshots and live
month/quarter/year reports) or a day (live ``start..end`` ranges). Facts after
the as-of date are ignored, as the spec says.

Money leaves this module as integer cents so sums stay exact in pandas.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDay, TruncMonth

from metrics.models import Target
from reps.models import SalesRep
from sales.models import CLOSED_STAGES, OPEN_STAGES, Activity, Customer, Deal, Expense, Stage, SurveyResponse
from territories.models import TerritoryAssignment

Grain = Literal["month", "day"]

CENTS = 100
TARGET_UNITS = 10_000


def _trunc(field: str, grain: Grain):
    return TruncMonth(field) if grain == "month" else TruncDay(field, output_field=DateField())


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def _cents(series: pd.Series) -> pd.Series:
    """Decimal money → exact integer cents (None → 0)."""
    return series.map(lambda v: int(round(v * CENTS)) if v is not None else 0).astype("int64")


def _as_date(series: pd.Series) -> pd.Series:
    # TruncMonth/TruncDay give datetimes on some backends and dates on others.
    return series.map(lambda v: v.date() if isinstance(v, datetime.datetime) else v)


def _counts(queryset, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """Rows of ``queryset`` counted per ``keys``: a frame of ``columns`` (the keys', then the count's).

    A ``bucket`` column is read as dates.
    """
    rows = queryset.values(*keys).annotate(n=Count("pk")).values_list(*keys, "n")
    frame = _frame(rows, columns)
    if "bucket" in frame:
        frame["bucket"] = _as_date(frame["bucket"])
    return frame


@dataclass(frozen=True)
class Facts:
    """Everything the KPI functions need, already aggregated."""

    as_of: datetime.date
    grain: Grain
    closed: pd.DataFrame  # territory_id, rep_id, bucket, won_n, won_cents, lost_n
    cycle: pd.DataFrame  # territory_id, rep_id, bucket, days, n
    created: pd.DataFrame  # territory_id, rep_id, bucket, created_n, won_n, open_n, followed_n
    funnel: pd.DataFrame  # territory_id, rep_id, bucket, reached (stage rank), n
    pipeline: pd.DataFrame  # territory_id, rep_id, created_bucket, closed_bucket, n, cents
    activities: pd.DataFrame  # territory_id, rep_id, bucket, kind, n
    surveys: pd.DataFrame  # territory_id, rep_id, bucket, kind, n, good, promoters, detractors
    first_won: pd.DataFrame  # customer_id, territory_id, rep_id, bucket
    won_customers: pd.DataFrame  # territory_id, rep_id, month, customer_id (month grain, distinct)
    customer_deals: pd.DataFrame  # customer_id, closed_on, keep_until
    customers: pd.DataFrame  # customer_id, territory_id, rep_id, churned_on
    expenses: pd.DataFrame  # territory_id, month, cents
    targets: pd.DataFrame  # territory_id, rep_id, kpi, month, units (value × 10,000)
    reps: pd.DataFrame  # rep_id, hired_on, left_on
    assignments: pd.DataFrame  # rep_id, territory_id, start_date, end_date


def facts_fetch(*, as_of: datetime.date, grain: Grain = "month") -> Facts:
    """Run the aggregate queries for every scope at once; facts after ``as_of`` are left out."""
    won_customers, customer_deals = _won_customer_deals(as_of)
    return Facts(
        as_of=as_of,
        grain=grain,
        closed=_closed(as_of, grain),
        cycle=_cycle(as_of, grain),
        created=_created(as_of, grain),
        funnel=_funnel(as_of, grain),
        pipeline=_pipeline(as_of, grain),
        activities=_activities(as_of, grain),
        surveys=_surveys(as_of, grain),
        first_won=_first_won(as_of, grain),
        won_customers=won_customers,
        customer_deals=customer_deals,
        customers=_customers(as_of),
        expenses=_expenses(as_of),
        targets=_targets(),
        reps=_frame(SalesRep.objects.values_list("pk", "hired_on", "left_on"), ["rep_id", "hired_on", "left_on"]),
        assignments=_frame(
            TerritoryAssignment.objects.values_list("rep_id", "territory_id", "start_date", "end_date"),
            ["rep_id", "territory_id", "start_date", "end_date"],
        ),
    )


def _closed(as_of, grain) -> pd.DataFrame:
    won, lost = Q(stage=Stage.WON), Q(stage=Stage.LOST)
    rows = (
        Deal.objects.filter(stage__in=CLOSED_STAGES, closed_on__lte=as_of)
        .annotate(bucket=_trunc("closed_on", grain))
        .values("territory_id", "owner_id", "bucket")
        .annotate(
            won_n=Count("pk", filter=won),
            won_net=Sum(F("amount") - F("refunded_amount"), filter=won),
            lost_n=Count("pk", filter=lost),
        )
        .values_list("territory_id", "owner_id", "bucket", "won_n", "won_net", "lost_n")
    )
    frame = _frame(rows, ["territory_id", "rep_id", "bucket", "won_n", "won_cents", "lost_n"])
    frame["bucket"] = _as_date(frame["bucket"])
    frame["won_cents"] = _cents(frame["won_cents"])
    return frame


def _cycle(as_of, grain) -> pd.DataFrame:
    deals = Deal.objects.filter(stage=Stage.WON, closed_on__lte=as_of, created_on__isnull=False).annotate(
        bucket=_trunc("closed_on", grain),
        length=ExpressionWrapper(F("closed_on") - F("created_on"), output_field=DurationField()),
    )
    keys = ["territory_id", "owner_id", "bucket", "length"]
    frame = _counts(deals, keys, ["territory_id", "rep_id", "bucket", "days", "n"])
    frame["days"] = frame["days"].map(lambda d: d.days).astype("int64")
    return frame


def _created(as_of, grain) -> pd.DataFrame:
    follow_up = datetime.timedelta(days=settings.FOLLOW_UP_DAYS)
    followed = Exists(
        Activity.objects.filter(
            deal=OuterRef("pk"),
            occurred_on__gte=OuterRef("created_on"),
            occurred_on__lte=ExpressionWrapper(OuterRef("created_on") + follow_up, output_field=DateField()),
        ).filter(occurred_on__lte=as_of)
    )
    won_by_as_of = Q(stage=Stage.WON, closed_on__lte=as_of)
    open_at_as_of = Q(stage__in=OPEN_STAGES) | Q(closed_on__gt=as_of)
    rows = (
        Deal.objects.filter(created_on__lte=as_of)
        .annotate(bucket=_trunc("created_on", grain), followed=followed)
        .values("territory_id", "owner_id", "bucket")
        .annotate(
            created_n=Count("pk"),
            won_n=Count("pk", filter=won_by_as_of),
            open_n=Count("pk", filter=open_at_as_of),
            followed_n=Count("pk", filter=Q(followed=True)),
        )
        .values_list("territory_id", "owner_id", "bucket", "created_n", "won_n", "open_n", "followed_n")
    )
    frame = _frame(rows, ["territory_id", "rep_id", "bucket", "created_n", "won_n", "open_n", "followed_n"])
    frame["bucket"] = _as_date(frame["bucket"])
    return frame


FUNNEL_STAGES = ("lead", "qualified", "proposal", "negotiation", "won")


def _funnel(as_of, grain) -> pd.DataFrame:
    """Deals created per bucket by the furthest funnel stage they reached (0 = lead … 4 = won).

    A won deal reached every stage; a lost deal the stage it was lost from (lead
    when not given); an open deal its current stage. A deal closed after the
    as-of date was still open then: it counts at lead, the only stage it surely
    reached (the export keeps no stage history).
    """
    rank = {stage: i for i, stage in enumerate(FUNNEL_STAGES)}
    reached = Case(
        When(Q(stage__in=CLOSED_STAGES, closed_on__gt=as_of), then=Value(0)),
        When(stage=Stage.WON, then=Value(rank["won"])),
        *(When(stage=Stage.LOST, lost_from_stage=s, then=Value(rank[s])) for s in FUNNEL_STAGES[1:4]),
        When(stage=Stage.LOST, then=Value(0)),
        *(When(stage=s, then=Value(rank[s])) for s in FUNNEL_STAGES[1:4]),
        default=Value(0),
        output_field=IntegerField(),
    )
    deals = Deal.objects.filter(created_on__lte=as_of).annotate(bucket=_trunc("created_on", grain), reached=reached)
    keys = ["territory_id", "owner_id", "bucket", "reached"]
    return _counts(deals, keys, ["territory_id", "rep_id", "bucket", "reached", "n"])


def _pipeline(as_of, grain) -> pd.DataFrame:
    """Deals by the bucket they opened and the bucket they closed (None: still open at as-of).

    A deal with no ``created_on`` has created_bucket None: it is open at the
    as-of date only, when it is still open then.
    """
    closed_by_as_of = Q(closed_on__isnull=False, closed_on__lte=as_of)
    rows = (
        Deal.objects.filter(Q(created_on__lte=as_of) | Q(created_on__isnull=True))
        .exclude(Q(created_on__isnull=True) & closed_by_as_of)
        .annotate(
            created_bucket=_trunc("created_on", grain),
            closed_bucket=Case(When(closed_by_as_of, then=_trunc("closed_on", grain)), default=None),
        )
        .values("territory_id", "owner_id", "created_bucket", "closed_bucket")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .values_list("territory_id", "owner_id", "created_bucket", "closed_bucket", "n", "total")
    )
    frame = _frame(rows, ["territory_id", "rep_id", "created_bucket", "closed_bucket", "n", "cents"])
    frame["created_bucket"] = _as_date(frame["created_bucket"])
    frame["closed_bucket"] = _as_date(frame["closed_bucket"])
    frame["cents"] = _cents(frame["cents"])
    return frame


def _activities(as_of, grain) -> pd.DataFrame:
    activities = Activity.objects.filter(occurred_on__lte=as_of).annotate(bucket=_trunc("occurred_on", grain))
    keys = ["territory_id", "rep_id", "bucket", "kind"]
    return _counts(activities, keys, [*keys, "n"])


def _surveys(as_of, grain) -> pd.DataFrame:
    rows = (
        SurveyResponse.objects.filter(responded_on__lte=as_of)
        .annotate(bucket=_trunc("responded_on", grain), credited=Coalesce("rep_id", "customer__owner_id"))
        .values("territory_id", "credited", "bucket", "kind")
        .annotate(
            n=Count("pk"),
            good=Count("pk", filter=Q(kind="csat", score__gte=4)),
            promoters=Count("pk", filter=Q(kind="nps", score__gte=9)),
            detractors=Count("pk", filter=Q(kind="nps", score__lte=6)),
        )
        .values_list("territory_id", "credited", "bucket", "kind", "n", "good", "promoters", "detractors")
    )
    frame = _frame(rows, ["territory_id", "rep_id", "bucket", "kind", "n", "good", "promoters", "detractors"])
    frame["bucket"] = _as_date(frame["bucket"])
    return frame


def _first_won(as_of, grain) -> pd.DataFrame:
    """Each customer's first won deal: earliest closed_on, ties by smallest external id."""
    ranked = Deal.objects.filter(stage=Stage.WON, closed_on__lte=as_of, customer__isnull=False).annotate(
        rank=Window(RowNumber(), partition_by=[F("customer_id")], order_by=[F("closed_on").asc(), F("external_id")]),
        bucket=_trunc("closed_on", grain),
    )
    rows = ranked.filter(rank=1).values_list("customer_id", "territory_id", "owner_id", "bucket")
    frame = _frame(rows, ["customer_id", "territory_id", "rep_id", "bucket"])
    frame["bucket"] = _as_date(frame["bucket"])
    return frame


def _won_customer_deals(as_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Won deals with a customer, read once for two uses.

    Returns (won_customers: distinct territory_id, rep_id, month, customer_id —
    the customers of each scope's deals, for CLV) and (customer_deals:
    customer_id, closed_on, keep_until — the days each deal keeps its customer
    active: to the contract end, else CHURN_INACTIVITY_DAYS days, inclusive).
    """
    rows = Deal.objects.filter(stage=Stage.WON, closed_on__lte=as_of, customer__isnull=False).values_list(
        "territory_id", "owner_id", "customer_id", "closed_on", "ends_on"
    )
    frame = _frame(rows, ["territory_id", "rep_id", "customer_id", "closed_on", "ends_on"])
    keep = datetime.timedelta(days=settings.CHURN_INACTIVITY_DAYS - 1)
    frame["keep_until"] = [
        c + keep if e is None or pd.isna(e) else e for c, e in zip(frame["closed_on"], frame["ends_on"], strict=True)
    ]
    frame["month"] = [d.replace(day=1) for d in frame["closed_on"]]
    won_customers = frame[["territory_id", "rep_id", "month", "customer_id"]].drop_duplicates(ignore_index=True)
    return won_customers, frame[["customer_id", "closed_on", "keep_until"]]


def _customers(as_of) -> pd.DataFrame:
    rows = Customer.objects.annotate(
        churned=Case(When(churned_on__lte=as_of, then=F("churned_on")), default=None, output_field=DateField())
    ).values_list("pk", "territory_id", "owner_id", "churned")
    return _frame(rows, ["customer_id", "territory_id", "rep_id", "churned_on"])


def _expenses(as_of) -> pd.DataFrame:
    rows = (
        Expense.objects.filter(month__lte=as_of)
        .values("territory_id", "month")
        .annotate(total=Sum("amount"))
        .values_list("territory_id", "month", "total")
    )
    frame = _frame(rows, ["territory_id", "month", "cents"])
    frame["cents"] = _cents(frame["cents"])
    return frame


def _targets() -> pd.DataFrame:
    """Month targets, values as integer ten-thousandths (the column's precision) for exact sums."""
    rows = Target.objects.values_list("territory_id", "rep_id", "kpi", "month", "value")
    frame = _frame(rows, ["territory_id", "rep_id", "kpi", "month", "units"])
    frame["units"] = frame["units"].map(lambda v: int(v * TARGET_UNITS)).astype("int64")
    return frame


def facts_to_date(*, as_of: datetime.date, start: datetime.date, end: datetime.date) -> pd.DataFrame:
    """Day-level sums of the additive KPIs between ``start`` and ``end`` (like-for-like comparisons).

    Returns rows (territory_id, rep_id, day, kpi, amount): revenue in cents,
    deals_won, deals_created, calls/meetings/emails and new_customers. Only the
    comparison windows of the period in progress are read, so this stays small.
    """
    end = min(end, as_of)
    frames = []
    won = (
        Deal.objects.filter(stage=Stage.WON, closed_on__range=(start, end))
        .values("territory_id", "owner_id", "closed_on")
        .annotate(n=Count("pk"), net=Sum(F("amount") - F("refunded_amount")))
        .values_list("territory_id", "owner_id", "closed_on", "n", "net")
    )
    won = _frame(won, ["territory_id", "rep_id", "day", "deals_won", "revenue"])
    won["revenue"] = _cents(won["revenue"])
    frames += [won.assign(kpi=k, amount=won[k])[["territory_id", "rep_id", "day", "kpi", "amount"]]
               for k in ("deals_won", "revenue")]  # fmt: skip
    created = Deal.objects.filter(created_on__range=(start, end))
    created = _counts(created, ["territory_id", "owner_id", "created_on"], ["territory_id", "rep_id", "day", "amount"])
    frames.append(created.assign(kpi="deals_created"))
    activities = Activity.objects.filter(occurred_on__range=(start, end))
    keys = ["territory_id", "rep_id", "occurred_on", "kind"]
    activities = _counts(activities, keys, ["territory_id", "rep_id", "day", "kind", "amount"])
    activities["kpi"] = activities["kind"].map({"call": "calls", "meeting": "meetings", "email": "emails"})
    frames.append(activities.drop(columns="kind"))
    first = _first_won(as_of, "day")
    first = first[(first["bucket"] >= start) & (first["bucket"] <= end)] if len(first) else first
    frames.append(
        first.rename(columns={"bucket": "day"})[["territory_id", "rep_id", "day"]].assign(kpi="new_customers", amount=1)
    )
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["territory_id", "rep_id", "day", "kpi", "amount"])
    return pd.concat(frames, ignore_index=True)
