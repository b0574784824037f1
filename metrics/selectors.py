"""Reading KPIs: from snapshots (pages, API, kpi_report) or live (checks, ranges).

Both paths return the same shape, the one of spec/kpis.md's ``kpi_report``.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.conf import settings

from metrics.engine import as_of_date, kpis_compute
from metrics.models import KpiSnapshot
from metrics.periods import Period, PeriodError, period_parse
from metrics.registry import KPI_BY_KEY, KPIS
from metrics.scopes import ScopeError, scope_index_build, scope_validate

REPORT_FIELDS = ("value", "n", "ci_low", "ci_high", "target", "attainment", "low_sample", "provisional")


class ReportError(ValueError):
    """Bad report parameters; ``field`` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class ReportQuery:
    scope: str
    period: Period
    kpis: tuple[str, ...]


def kpi_report_query(*, scope: str, period: str, kpis: str | None = None) -> ReportQuery:
    """Validate report parameters; raise ``ReportError`` naming the bad one."""
    try:
        scope = scope_validate((scope or "").strip(), scope_index_build())
    except ScopeError as exc:
        raise ReportError("scope", str(exc)) from None
    try:
        parsed = period_parse(period, fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
    except PeriodError as exc:
        raise ReportError("period", str(exc)) from None
    keys = tuple(k.strip() for k in kpis.split(",") if k.strip()) if kpis else tuple(k.key for k in KPIS)
    unknown = [k for k in keys if k not in KPI_BY_KEY]
    if unknown:
        raise ReportError("kpi", f"unknown KPI {', '.join(map(repr, unknown))}; known: {', '.join(KPI_BY_KEY)}")
    return ReportQuery(scope, parsed, keys)


def _number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value) if value == int(value) else value
    return value


def _entry(values: dict) -> dict:
    entry = {field: _number(values.get(field)) for field in REPORT_FIELDS}
    entry["low_sample"] = bool(values.get("low_sample"))
    entry["provisional"] = bool(values.get("provisional"))
    if values.get("extra"):
        entry.update(values["extra"])
    return entry


def _report(query: ReportQuery, as_of: datetime.date, rows: dict[str, dict]) -> dict:
    return {
        "scope": query.scope,
        "period": query.period.label,
        "start": query.period.start.isoformat(),
        "end": query.period.end.isoformat(),
        "as_of": as_of.isoformat(),
        "kpis": {key: _entry(rows[key]) for key in query.kpis if key in rows},
    }


def kpi_report_snapshot(query: ReportQuery) -> dict | None:
    """The report from stored snapshots; None when the period has not been computed."""
    if query.period.kind == "range":
        raise ReportError("period", "date ranges are not stored as snapshots: compute them live")
    snapshots = list(
        KpiSnapshot.objects.filter(scope=query.scope, period=query.period.label, kpi__in=query.kpis).select_related(
            "run"
        )
    )
    if not snapshots:
        return None
    rows = {s.kpi: {f: getattr(s, f) for f in (*REPORT_FIELDS, "extra")} for s in snapshots}
    return _report(query, snapshots[0].run.as_of, rows)


def kpi_report_live(query: ReportQuery, *, as_of: datetime.date | None = None) -> dict:
    """The report computed now from the facts (same engine as the snapshots)."""
    as_of = as_of or as_of_date()
    if query.period.start > as_of:
        raise ReportError("period", f"{query.period.label} starts after the as-of date {as_of.isoformat()}")
    grain = "day" if query.period.kind == "range" else "month"
    result = kpis_compute(periods=[query.period], as_of=as_of, grain=grain, scopes=[query.scope])
    table = result.table[result.table["kpi"].isin(query.kpis)]
    rows = {
        row["kpi"]: {**row, "extra": row["extra"] if isinstance(row["extra"], dict) else None}
        for row in table.to_dict("records")
    }
    return _report(query, as_of, rows)


# --- snapshots for pages and the API --------------------------------------------------------------


@dataclass(frozen=True)
class KpiCard:
    """One KPI of one scope and period, with its comparisons, ready for a page or the API."""

    key: str
    label: str
    unit: str
    kind: str
    higher_is_better: bool
    value: float | None
    n: float | None
    ci_low: float | None
    ci_high: float | None
    target: float | None
    attainment: float | None
    low_sample: bool
    provisional: bool
    extra: dict | None
    previous: float | None
    last_year: float | None
    # Rates change in percentage points (as a fraction: 0.031 = 3.1 pp), amounts and counts in %.
    change_previous: float | None
    change_last_year: float | None
    change_unit: str  # "pp" or "%"
    expected_to_date: float | None  # pace: target × elapsed / days, for the period in progress
    pace: str | None  # "ahead", "behind" or None
    # True when previous/last_year are the same elapsed days of those periods (period in progress).
    like_for_like: bool = False


@dataclass(frozen=True)
class Freshness:
    as_of: datetime.date | None
    computed_at: datetime.datetime | None
    last_status: str | None
    last_error: str
    failed: bool
    stale: bool
    pending: int
    run_id: int | None = None  # the last successful run: with computed_at, the version of the snapshot set


def _change(value, base, unit: str):
    if value is None or base is None:
        return None
    if unit == "pp":
        return value - base
    return None if base == 0 else (value - base) / abs(base)


def kpi_cards(*, scope: str, period: Period, as_of: datetime.date | None = None) -> list[KpiCard]:
    """Every stored KPI of ``scope`` in ``period`` with previous-period and last-year comparisons (one query)."""
    from metrics.periods import period_last_year, period_previous
    from metrics.registry import Unit

    fiscal = settings.FISCAL_YEAR_START_MONTH
    previous = period_previous(period, fiscal_start_month=fiscal)
    last_year = period_last_year(period, fiscal_start_month=fiscal)
    rows = KpiSnapshot.objects.filter(scope=scope, period__in=[period.label, previous.label, last_year.label]).exclude(
        kpi="funnel"
    )
    by_period: dict[str, dict[str, KpiSnapshot]] = {}
    for row in rows:
        by_period.setdefault(row.period, {})[row.kpi] = row
    current = by_period.get(period.label, {})
    if not current:
        return []
    as_of = as_of or next(iter(current.values())).run.as_of
    in_progress = as_of is not None and period.start <= as_of < period.end
    elapsed = (as_of - period.start).days + 1 if in_progress else None
    cards = []
    for definition in KPIS:
        snap = current.get(definition.key)
        if snap is None:
            continue
        unit = "pp" if definition.unit in (Unit.RATIO,) else "%"
        prev = by_period.get(previous.label, {}).get(definition.key)
        ly = by_period.get(last_year.label, {}).get(definition.key)
        prev_value = prev.value if prev else None
        ly_value = ly.value if ly else None
        extra = snap.extra or {}
        like_for_like = in_progress and "previous_to_date" in extra
        if like_for_like:
            # Period to date against the same number of days of the earlier periods.
            prev_value, ly_value = extra["previous_to_date"], extra["last_year_to_date"]
        expected = pace = None
        if in_progress and snap.target is not None and definition.additive:
            expected = snap.target * elapsed / period.days
            if snap.value is not None:
                ahead = snap.value >= expected if definition.higher_is_better else snap.value <= expected
                pace = "ahead" if ahead else "behind"
        cards.append(
            KpiCard(
                key=definition.key, label=definition.label, unit=definition.unit.value, kind=definition.kind.value,
                higher_is_better=definition.higher_is_better, value=snap.value, n=snap.n, ci_low=snap.ci_low,
                ci_high=snap.ci_high, target=snap.target, attainment=snap.attainment, low_sample=snap.low_sample,
                provisional=snap.provisional, extra=snap.extra, previous=prev_value, last_year=ly_value,
                change_previous=_change(snap.value, prev_value, unit),
                change_last_year=_change(snap.value, ly_value, unit), change_unit=unit,
                expected_to_date=expected, pace=pace, like_for_like=like_for_like,
            )
        )  # fmt: skip
    return cards


def kpi_series(*, scope: str, kpi: str, kind: str, start: datetime.date, end: datetime.date) -> list[KpiSnapshot]:
    """Snapshots of one KPI of one scope for every period of ``kind`` starting in [start, end], in order."""
    return list(
        KpiSnapshot.objects.filter(
            scope=scope, kpi=kpi, period_kind=kind, period_start__gte=start, period_start__lte=end
        ).order_by("period_start")
    )


def kpi_snapshots_for_scopes(*, scopes: list[str], period: str, kpis: list[str]) -> dict[str, dict[str, KpiSnapshot]]:
    """{scope: {kpi: snapshot}} for many scopes in one period (leaderboards, sub-territory comparison)."""
    found: dict[str, dict[str, KpiSnapshot]] = {}
    for row in KpiSnapshot.objects.filter(scope__in=scopes, period=period, kpi__in=kpis):
        found.setdefault(row.scope, {})[row.kpi] = row
    return found


def kpi_funnel(*, scope: str, period: str) -> dict[str, int] | None:
    """Stage counts of the deals created in the period, lead → won."""
    row = KpiSnapshot.objects.filter(scope=scope, period=period, kpi="funnel").first()
    return row.extra["stages"] if row and row.extra else None


def kpi_freshness(*, now: datetime.datetime | None = None) -> Freshness:
    """What the numbers on screen are based on, and whether a banner should warn about them."""
    from django.utils import timezone

    from metrics.models import KpiRecomputeRequest, KpiRun

    now = now or timezone.now()
    last = KpiRun.objects.order_by("-started_at", "-id").first()
    good = KpiRun.objects.filter(status=KpiRun.Status.SUCCEEDED).order_by("-finished_at", "-id").first()
    computed_at = good.finished_at if good else None
    return Freshness(
        as_of=good.as_of if good else None,
        computed_at=computed_at,
        last_status=last.status if last else None,
        last_error=last.error if last and last.status == KpiRun.Status.FAILED else "",
        failed=bool(last and last.status == KpiRun.Status.FAILED),
        stale=computed_at is None or now - computed_at > datetime.timedelta(hours=26),
        pending=KpiRecomputeRequest.objects.count(),
        run_id=good.pk if good else None,
    )


# --- dashboards: stored periods, several series at once, leaderboards, a rep's rank ----------------


@dataclass(frozen=True)
class PeriodOption:
    label: str
    kind: str
    start: datetime.date
    end: datetime.date


def kpi_periods_available(*, scope: str) -> list[PeriodOption]:
    """The periods stored for ``scope`` (those with a revenue snapshot), newest first, years before quarters."""
    order = {"year": 0, "quarter": 1, "month": 2}
    rows = KpiSnapshot.objects.filter(scope=scope, kpi="revenue").values_list(
        "period", "period_kind", "period_start", "period_end"
    )
    options = [PeriodOption(*row) for row in rows]
    return sorted(options, key=lambda o: (-o.start.toordinal(), order.get(o.kind, 3)))


def kpi_series_many(
    *, scope: str, kpis: list[str], kind: str, start: datetime.date, end: datetime.date
) -> dict[str, list[KpiSnapshot]]:
    """{kpi: snapshots of every period of ``kind`` starting in [start, end], in order}, in one query."""
    found: dict[str, list[KpiSnapshot]] = {key: [] for key in kpis}
    rows = KpiSnapshot.objects.filter(
        scope=scope, period_kind=kind, period_start__gte=start, period_start__lte=end, kpi__in=kpis
    ).order_by("period_start")
    for row in rows:
        found[row.kpi].append(row)
    return found


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
    from django.db.models import Case, DateField, F, Q, Value, When

    from territories.models import TerritoryAssignment

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
    from django.db.models import CharField, JSONField, OuterRef, Subquery, Value
    from django.db.models.functions import Concat, JSONObject

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
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Concat

    keys = _memberships(territory_path=territory_path, period=period, as_of=as_of).annotate(
        key=Concat(Value("rep:"), F("rep__external_id"), output_field=CharField())
    )
    return KpiSnapshot.objects.filter(period=period.label, kpi="revenue", scope__in=keys.values("key"))


# A rep is ranked when their revenue has a target (attainment) and enough won deals (not low sample).
def _ranked_q():
    from django.db.models import Q

    return Q(low_sample=False, attainment__isnull=False)


@dataclass(frozen=True)
class LeaderboardRow:
    member: RepMember
    revenue: float | None
    target: float | None
    attainment: float | None
    deals_won: float | None
    win_rate: float | None
    win_rate_n: float | None
    low_sample: bool  # the revenue's sample (won deals) is below KPI_MIN_SAMPLE
    rank: int | None  # None: not ranked (see ``unranked``)
    unranked: str  # why the rep is not ranked


@dataclass(frozen=True)
class Leaderboard:
    rows: list[LeaderboardRow]  # ranked reps by rank, then the others by name
    ranked: int


LEADERBOARD_KPIS = ("revenue", "win_rate")


def kpi_leaderboard(*, members: list[RepMember], period: str, rows=None, win_rates: bool = True) -> Leaderboard:
    """Rank ``members`` by revenue attainment in ``period`` (one query); low-sample and target-less reps unranked.

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
        elif low_sample:
            reason = f"low sample: {int(n or 0)} won deals"
        else:
            reason = ""
        row = {
            "member": member, "revenue": value, "target": target, "attainment": attainment, "deals_won": n,
            "win_rate": win_rate[0], "win_rate_n": win_rate[1], "low_sample": bool(low_sample), "unranked": reason,
        }  # fmt: skip
        (unranked if reason else ranked).append(row)
    ranked.sort(key=lambda r: (-r["attainment"], -(r["revenue"] or 0.0), r["member"].external_id))
    board = [LeaderboardRow(rank=i, **r) for i, r in enumerate(ranked, start=1)]
    board += [LeaderboardRow(rank=None, **r) for r in unranked]
    return Leaderboard(rows=board, ranked=len(ranked))


def kpi_leaderboard_win_rates(*, rows: list[LeaderboardRow], period: str) -> list[LeaderboardRow]:
    """``rows`` with their win rates (and its n) read in one query."""
    from dataclasses import replace

    found = dict.fromkeys((r.member.scope for r in rows), (None, None))
    if rows:
        for scope, value, n in KpiSnapshot.objects.filter(
            scope__in=list(found), period=period, kpi="win_rate"
        ).values_list("scope", "value", "n"):
            found[scope] = (value, n)
    return [replace(r, win_rate=found[r.member.scope][0], win_rate_n=found[r.member.scope][1]) for r in rows]


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
    from django.db.models import Count, F, Q, Window

    from reps.models import SalesRep

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
                       deals_won=n, win_rate=None, win_rate_n=None, low_sample=low, rank=i, unranked="")
        for i, (scope, value, n, target, attainment, low, _) in enumerate(best, start=1)
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
    from django.db.models import Count, Q

    from reps.models import SalesRep
    from territories.models import Territory

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
    elif mine["low_sample"]:
        reason = f"low sample: {int(mine['n'] or 0)} won deals"
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


# --- the API's series and funnel (same entry shape as kpi_report) ----------------------------------


def kpi_series_report(*, scope: str, kpi: str, grain: str, start: datetime.date, end: datetime.date) -> dict:
    """One KPI of one scope for every stored ``grain`` period starting in [start, end], oldest first.

    Each point is a ``kpi_report`` entry (value, n, interval, target, flags)
    with its period's label and dates.
    """
    points = [
        {
            "period": snap.period,
            "start": snap.period_start.isoformat(),
            "end": snap.period_end.isoformat(),
            **_entry({f: getattr(snap, f) for f in (*REPORT_FIELDS, "extra")}),
        }
        for snap in kpi_series(scope=scope, kpi=kpi, kind=grain, start=start, end=end)
    ]
    return {
        "scope": scope,
        "kpi": kpi,
        "grain": grain,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "points": points,
    }


def kpi_funnel_report(*, scope: str, period: Period) -> dict | None:
    """The stage funnel of the deals created in ``period``: each stage's count and its conversion to the next.

    None when the period has no stored snapshot. A step's conversion is
    reached-next / reached-this, null when no deal reached this stage (and for won, the last stage).
    """
    from metrics.engine import FUNNEL_STAGES

    row = KpiSnapshot.objects.filter(scope=scope, period=period.label, kpi="funnel").select_related("run").first()
    if row is None:
        return None
    counts = (row.extra or {}).get("stages", {})
    stages = []
    for index, stage in enumerate(FUNNEL_STAGES):
        count = int(counts.get(stage, 0))
        following = FUNNEL_STAGES[index + 1] if index + 1 < len(FUNNEL_STAGES) else None
        conversion = int(counts.get(following, 0)) / count if following and count else None
        stages.append({"stage": stage, "count": count, "conversion": conversion})
    return {
        "scope": scope,
        "period": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "as_of": row.run.as_of.isoformat(),
        "stages": stages,
    }
