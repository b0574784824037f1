"""Leaderboards: the reps counted in a territory for a period, ranked on revenue attainment; a rep's rank."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from django.db.models import Case, CharField, Count, DateField, F, JSONField, OuterRef, Q, Subquery, Value, When, Window
from django.db.models.functions import Concat, JSONObject

from metrics.models import KpiSnapshot
from metrics.periods import Period
from reps.models import SalesRep
from territories.models import Territory, TerritoryAssignment


@dataclass(frozen=True)
class RepMember:
    """A rep counted in a territory for a period, and the territory they were in."""

    rep_id: int
    external_id: str
    name: str
    territory_code: str
    territory_name: str
    # The rep's revenue snapshot of a period as {value, n, target, attainment, low_sample}, when asked for.
    revenue: dict | None = None

    @property
    def scope(self) -> str:
        return f"rep:{self.external_id}"


def _memberships(*, territory_path: str | None, period: Period, as_of: datetime.date, reps=None):
    """The assignments that place reps in a territory subtree (None: anywhere) for ``period``, a queryset.

    The rule of ``reps_at_quota`` (spec/kpis.md): a rep belongs to the territory
    they were assigned to on the period's last day (the as-of date if earlier),
    or on their own last day if they left during the period. One assignment per
    rep at most: assignments of a rep never overlap.
    """

    day = min(period.end, as_of)
    member_day = Case(
        When(Q(rep__left_on__gte=period.start, rep__left_on__lte=day), then=F("rep__left_on")),
        default=Value(day),
        output_field=DateField(),
    )
    assignments = (
        TerritoryAssignment.objects.annotate(member_day=member_day)
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=F("member_day")))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=F("member_day")))
        .filter(Q(rep__hired_on__isnull=True) | Q(rep__hired_on__lte=day))
        .filter(Q(rep__left_on__isnull=True) | Q(rep__left_on__gte=period.start))
    )
    if territory_path is not None:
        assignments = assignments.filter(territory__path__startswith=territory_path)
    if reps is not None:
        assignments = assignments.filter(rep__in=reps.values("pk"))
    return assignments


def reps_in_territory(
    *, territory_path: str | None, period: Period, as_of: datetime.date, reps=None, with_revenue: bool = False
) -> list[RepMember]:
    """Reps who belong to a territory subtree (None: anywhere) for ``period`` (see ``_memberships``), one query.

    ``reps`` (a queryset, e.g. what the user may see) narrows the candidates.
    ``with_revenue`` brings each rep's revenue snapshot of the period in the
    same query (one index lookup per rep, no list of thousands of scope keys).
    """

    assignments = _memberships(territory_path=territory_path, period=period, as_of=as_of, reps=reps)
    fields = ["rep_id", "rep__external_id", "rep__name", "territory__code", "territory__name"]
    if with_revenue:
        snapshot = KpiSnapshot.objects.filter(
            scope=Concat(Value("rep:"), OuterRef("rep__external_id"), output_field=CharField()),
            period=period.label,
            kpi="revenue",
        ).values(
            row=JSONObject(value="value", n="n", target="target", attainment="attainment", low_sample="low_sample")
        )[:1]
        assignments = assignments.annotate(revenue=Subquery(snapshot, output_field=JSONField()))
        fields.append("revenue")
    rows = assignments.order_by("rep__name", "rep__external_id").values_list(*fields)
    return [RepMember(*row) for row in rows]


def _member_revenue(*, territory_path: str | None, period: Period, as_of: datetime.date):
    """The revenue snapshots of a subtree's reps for ``period``: a queryset the database joins itself."""

    keys = _memberships(territory_path=territory_path, period=period, as_of=as_of).annotate(
        key=Concat(Value("rep:"), F("rep__external_id"), output_field=CharField())
    )
    return KpiSnapshot.objects.filter(period=period.label, kpi="revenue", scope__in=keys.values("key"))


# A rep is ranked when their revenue has a target above 0 (an attainment); revenue is exact, so its n
# (won deals) never keeps a rep out of the ranking.
def _ranked_q():
    return Q(attainment__isnull=False)


@dataclass(frozen=True)
class LeaderboardRow:
    member: RepMember
    revenue: float | None
    target: float | None
    attainment: float | None
    deals_won: float | None
    win_rate: float | None
    win_rate_n: float | None
    low_sample: bool  # the win rate beside the rep is low sample: shown greyed, never a reason to leave them out
    rank: int | None  # None: not ranked (see ``unranked``)
    unranked: str  # why the rep is not ranked


@dataclass(frozen=True)
class Leaderboard:
    rows: list[LeaderboardRow]  # ranked reps by rank, then the others by name
    ranked: int


LEADERBOARD_KPIS = ("revenue", "win_rate")


def kpi_leaderboard(*, members: list[RepMember], period: str, rows=None, win_rates: bool = True) -> Leaderboard:
    """Rank ``members`` by revenue attainment in ``period`` (one query); reps without a target above 0 unranked.

    Ties are broken by revenue, then by external id, so a ranking never depends
    on the order rows come back in. Deals won are the revenue's n. Without
    ``win_rates`` only the revenue rows are read (a big territory's dashboard
    ranks thousands of reps but shows ten: ``kpi_leaderboard_win_rates`` adds
    theirs). ``rows`` — (scope, kpi, value, n, target, attainment, low_sample)
    tuples — replace the snapshots when given (a live computation).
    """
    values: dict[str, dict[str, tuple]] = {}
    if members:
        if rows is None:
            kpis = LEADERBOARD_KPIS if win_rates else ("revenue",)
            rows = KpiSnapshot.objects.filter(
                scope__in=[m.scope for m in members], period=period, kpi__in=kpis
            ).values_list("scope", "kpi", "value", "n", "target", "attainment", "low_sample")
        for scope, kpi, *rest in rows:
            if kpi in LEADERBOARD_KPIS and (win_rates or kpi == "revenue"):
                values.setdefault(scope, {})[kpi] = tuple(rest)
    ranked, unranked = [], []
    empty = (None, None, None, None, False)
    for member in members:
        found = values.get(member.scope, {})
        value, n, target, attainment, low_sample = found.get("revenue", empty)
        win_rate = found.get("win_rate", empty)
        if "revenue" not in found:
            reason = "no data"
        elif attainment is None:
            reason = "no revenue target" if target is None else "target of zero"
        else:
            reason = ""
        row = {
            "member": member, "revenue": value, "target": target, "attainment": attainment, "deals_won": n,
            "win_rate": win_rate[0], "win_rate_n": win_rate[1], "low_sample": bool(win_rate[4]), "unranked": reason,
        }  # fmt: skip
        (unranked if reason else ranked).append(row)
    ranked.sort(key=lambda r: (-r["attainment"], -(r["revenue"] or 0.0), r["member"].external_id))
    board = [LeaderboardRow(rank=i, **r) for i, r in enumerate(ranked, start=1)]
    board += [LeaderboardRow(rank=None, **r) for r in unranked]
    return Leaderboard(rows=board, ranked=len(ranked))


def kpi_leaderboard_win_rates(*, rows: list[LeaderboardRow], period: str) -> list[LeaderboardRow]:
    """``rows`` with their win rates (its n and low-sample flag) read in one query."""

    found = dict.fromkeys((r.member.scope for r in rows), (None, None, False))
    if rows:
        for scope, value, n, low_sample in KpiSnapshot.objects.filter(
            scope__in=list(found), period=period, kpi="win_rate"
        ).values_list("scope", "value", "n", "low_sample"):
            found[scope] = (value, n, low_sample)
    return [
        replace(r, win_rate=found[r.member.scope][0], win_rate_n=found[r.member.scope][1],
                low_sample=bool(found[r.member.scope][2]))
        for r in rows
    ]  # fmt: skip


def kpi_territory_leaderboard(*, territory_path: str | None, period: Period, as_of: datetime.date) -> Leaderboard:
    """The reps of a territory subtree (None: everyone) ranked for ``period``, in one query, without win rates."""
    members = reps_in_territory(territory_path=territory_path, period=period, as_of=as_of, with_revenue=True)
    rows = [(m.scope, "revenue", *_json_revenue(m.revenue)) for m in members if m.revenue is not None]
    return kpi_leaderboard(members=members, period=period.label, rows=rows, win_rates=False)


@dataclass(frozen=True)
class LeaderboardTop:
    rows: list[LeaderboardRow]  # the best ranked reps, best first, without win rates
    ranked: int  # reps with a rank
    members: int  # reps in the territory for the period


def kpi_leaderboard_top(
    *, territory_path: str | None, period: Period, as_of: datetime.date, limit: int
) -> LeaderboardTop:
    """The ``limit`` best ranked reps of a subtree, and the counts, ranked by the database.

    The same order as ``kpi_leaderboard`` (attainment, then revenue, then
    external id); a dashboard shows ten of thousands of reps, so only those ten
    rows leave the database.
    """

    revenue = _member_revenue(territory_path=territory_path, period=period, as_of=as_of)
    # One pass over the members' revenue rows: the best ones, and (window) how many are ranked.
    best = list(
        revenue.filter(_ranked_q())
        .annotate(ranked=Window(expression=Count("pk")))
        .order_by(F("attainment").desc(), F("value").desc(nulls_last=True), "scope")
        .values_list("scope", "value", "n", "target", "attainment", "low_sample", "ranked")[:limit]
    )
    ranked = best[0][-1] if best else 0
    members = _memberships(territory_path=territory_path, period=period, as_of=as_of)
    count = members.count()
    # Fewer ranked reps than places: the unranked ones follow by name, as in ``kpi_leaderboard``. Then every
    # ranked rep is among ``best``, so the first members by name who are not are the unranked ones. One query
    # reads the best reps' names and those candidates (always: the number of queries does not depend on data).
    external_ids = [scope.partition(":")[2] for scope, *_ in best]
    others = (
        members.exclude(rep__external_id__in=external_ids).order_by("rep__name", "rep__external_id").values("rep_id")
    )[:limit]
    wanted = SalesRep.objects.filter(Q(external_id__in=external_ids) | Q(pk__in=others))
    found = reps_in_territory(territory_path=territory_path, period=period, as_of=as_of, reps=wanted,
                              with_revenue=True)  # fmt: skip
    by_id = {m.external_id: m for m in found}
    rows = [
        LeaderboardRow(member=by_id[scope.partition(":")[2]], revenue=value, target=target, attainment=attainment,
                       deals_won=n, win_rate=None, win_rate_n=None, low_sample=False, rank=i, unranked="")
        for i, (scope, value, n, target, attainment, _low, _) in enumerate(best, start=1)
    ]  # fmt: skip
    fill = [m for m in found if m.external_id not in set(external_ids)][: max(0, limit - len(rows))]
    board = kpi_leaderboard(
        members=fill, period=period.label, win_rates=False,
        rows=[(m.scope, "revenue", *_json_revenue(m.revenue)) for m in fill if m.revenue is not None],
    )  # fmt: skip
    return LeaderboardTop(rows=rows + board.rows, ranked=ranked, members=count)


def _json_revenue(row: dict) -> tuple:
    """(value, n, target, attainment, low_sample) of a revenue snapshot read as JSON (2500 → 2500.0)."""

    def number(value):
        return None if value is None else float(value)

    return (number(row["value"]), number(row["n"]), number(row["target"]), number(row["attainment"]),
            bool(row["low_sample"]))  # fmt: skip


@dataclass(frozen=True)
class RepRank:
    territory_name: str | None  # None: the rep was in no territory for the period
    rank: int | None
    ranked: int  # reps with a rank in that territory
    members: int  # reps counted in that territory
    unranked: str  # why the rep has no rank


def kpi_rep_rank(*, rep_id: int, period: Period, as_of: datetime.date) -> RepRank:
    """Where a rep stands in their own territory for ``period``: rank and counts only, no one else's numbers.

    Counts the ranked reps ahead (the order of ``kpi_leaderboard``) in the
    database; nothing about the others leaves it but how many there are, so a
    rep may see it.
    """

    own = reps_in_territory(territory_path=None, period=period, as_of=as_of, reps=SalesRep.objects.filter(pk=rep_id))
    if not own:
        return RepRank(None, None, 0, 0, "not assigned to a territory in this period")
    me = own[0]
    territory = Territory.objects.only("path", "name").get(code=me.territory_code)
    revenue = _member_revenue(territory_path=territory.path, period=period, as_of=as_of)
    members = _memberships(territory_path=territory.path, period=period, as_of=as_of).count()
    mine = (
        KpiSnapshot.objects.filter(scope=me.scope, period=period.label, kpi="revenue")
        .values("value", "n", "target", "attainment", "low_sample")
        .first()
    )
    if mine is None:
        reason = "no data"
    elif mine["attainment"] is None:
        reason = "no revenue target" if mine["target"] is None else "target of zero"
    else:
        reason = ""
    if reason:
        ranked = revenue.aggregate(ranked=Count("pk", filter=_ranked_q()))["ranked"]
        return RepRank(territory.name, None, ranked, members, reason)
    attainment, value = mine["attainment"], mine["value"] or 0.0
    ahead = (
        Q(attainment__gt=attainment)
        | Q(attainment=attainment, value__gt=value)
        | Q(attainment=attainment, value=value, scope__lt=me.scope)
    )
    counts = revenue.aggregate(ranked=Count("pk", filter=_ranked_q()), ahead=Count("pk", filter=_ranked_q() & ahead))
    return RepRank(territory.name, counts["ahead"] + 1, counts["ranked"], members, "")
