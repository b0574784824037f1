"""The KPI engine: fetch → pure KPI functions → roll-ups, for every scope × period at once.

``kpis_compute`` is the one computation behind snapshots (``recompute_kpis``)
and live reports (``kpi_report --live``), so the two agree exactly.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings

from metrics.fetch import CENTS, FUNNEL_STAGES, TARGET_UNITS, Facts, Grain, facts_fetch, facts_to_date
from metrics.kpis.customers import active_matrix, distinct_in_windows
from metrics.kpis.stats import histogram_quantiles, nps_interval, ratio, wilson
from metrics.kpis.targets import attainment, targets_resolve
from metrics.kpis.team import reps_at_quota, turnover
from metrics.periods import Period, month_add, month_end, period_last_year, period_previous
from metrics.registry import KPI_BY_KEY, KPIS
from metrics.scopes import COMPANY, ScopeIndex, rollup, scope_index_build

REP_EXCLUDED = frozenset(k.key for k in KPIS if not k.for_reps)
COLUMNS = ["scope", "period", "kpi", "value", "n", "ci_low", "ci_high", "target", "attainment", "low_sample",
           "provisional", "extra"]  # fmt: skip


@dataclass(frozen=True)
class KpiResult:
    """Long table of KPI values: one row per (scope, period, kpi), plus the funnel per (scope, period)."""

    as_of: datetime.date
    periods: tuple[Period, ...]
    table: pd.DataFrame  # COLUMNS
    funnel: pd.DataFrame  # scope, period, <stage>_n …


def as_of_date() -> datetime.date:
    """The as-of date: the ``KPI_AS_OF`` setting, else today."""
    return settings.KPI_AS_OF or datetime.date.today()


def _window_buckets(start: datetime.date, end: datetime.date, grain: Grain) -> list[datetime.date]:
    if grain == "day":
        return [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = month_add(month, 1)
    return months


_PREFIXES = ("", "prev|", "ly|", "W|")


class _Frame:
    """Sums per (scope, window) laid out as arrays [prefix, scope, period] matching the grid.

    A window is a period label with an optional prefix (previous period, last
    year, CLV window); ``take`` returns one column for the whole grid at once.
    """

    def __init__(self, sums: pd.DataFrame, grid: pd.MultiIndex):
        self.shape = (len(_PREFIXES), len(grid.unique(level=0)), len(grid.unique(level=1)))
        self.scope_order = list(dict.fromkeys(grid.get_level_values(0)))
        self.label_order = list(dict.fromkeys(grid.get_level_values(1)))
        self.arrays: dict[str, np.ndarray] = {}
        if sums.empty:
            return
        scope_code = pd.Categorical(sums["scope"], categories=self.scope_order).codes
        prefix, _, label = sums["window"].str.rpartition("|").T.values
        prefix_code = pd.Series(prefix).map({p.rstrip("|"): i for i, p in enumerate(_PREFIXES)}).to_numpy()
        label_code = pd.Categorical(label, categories=self.label_order).codes
        keep = (scope_code >= 0) & (label_code >= 0) & ~pd.isna(prefix_code)
        where = (prefix_code[keep].astype("int64"), scope_code[keep], label_code[keep])
        for column in sums.columns.difference(["scope", "window"]):
            array = np.zeros(self.shape)
            array[where] = sums[column].to_numpy(dtype="float64")[keep]
            self.arrays[column] = array

    def take(self, column: str, prefix: str = "") -> np.ndarray:
        if column not in self.arrays:
            return np.zeros(self.shape[1] * self.shape[2])
        return self.arrays[column][_PREFIXES.index(prefix)].reshape(-1)


def kpis_compute(
    *,
    periods: Sequence[Period],
    as_of: datetime.date | None = None,
    grain: Grain = "month",
    scopes: Sequence[str] | None = None,
    facts: Facts | None = None,
    index: ScopeIndex | None = None,
) -> KpiResult:
    """Compute every KPI for every scope (or ``scopes``) × ``periods`` from the facts.

    Periods that start after the as-of date are skipped. Month, quarter and year
    periods use month buckets; ``start..end`` ranges need ``grain="day"``.
    """
    as_of = as_of or as_of_date()
    fiscal = settings.FISCAL_YEAR_START_MONTH
    periods = tuple(p for p in periods if p.start <= as_of)
    index = index or scope_index_build()
    facts = facts or facts_fetch(as_of=as_of, grain=grain)
    all_scopes = index.all_keys()
    scope_list = list(scopes) if scopes is not None else all_scopes
    labels = [p.label for p in periods]
    grid = pd.MultiIndex.from_product([scope_list, labels], names=["scope", "period"])
    if not periods:
        return KpiResult(as_of, periods, pd.DataFrame(columns=COLUMNS), pd.DataFrame())

    # Windows: each period, the one before it, the same one last year, and its 12-month CLV window.
    windows: dict[str, tuple[datetime.date, datetime.date]] = {}
    for p in periods:
        windows[p.label] = (p.start, p.end)
        prev, last_year = period_previous(p, fiscal_start_month=fiscal), period_last_year(p, fiscal_start_month=fiscal)
        windows["prev|" + p.label] = (prev.start, prev.end)
        windows["ly|" + p.label] = (last_year.start, last_year.end)
        end_month = p.end.replace(day=1)
        windows["W|" + p.label] = (month_add(end_month, -11), month_end(end_month))
    window_map = pd.DataFrame(
        [(key, b) for key, (s, e) in windows.items() for b in _window_buckets(s, min(e, as_of), grain)],
        columns=["window", "bucket"],
    )
    period_map = window_map[window_map["window"].isin(labels)]

    def by_window(frame: pd.DataFrame, values: list[str], *, only_periods: bool = False, **kw) -> _Frame:
        rolled = rollup(frame, ["bucket"], values, index, **kw)
        rolled = rolled.merge(period_map if only_periods else window_map, on="bucket")
        return _Frame(rolled.groupby(["scope", "window"], sort=False)[values].sum().reset_index(), grid)

    is_rep = np.array([s.startswith("rep:") for s in grid.get_level_values(0)])
    out: dict[str, dict[str, np.ndarray]] = {}

    def put(key, value, n=None, low=None, high=None, provisional=None, extra=None):
        size = len(grid)
        out[key] = {
            "value": np.asarray(value, dtype="float64"),
            "n": np.full(size, np.nan) if n is None else np.asarray(n, dtype="float64"),
            "ci_low": np.full(size, np.nan) if low is None else np.asarray(low, dtype="float64"),
            "ci_high": np.full(size, np.nan) if high is None else np.asarray(high, dtype="float64"),
            "provisional": np.zeros(size, dtype=bool) if provisional is None else np.asarray(provisional, dtype=bool),
            "extra": extra,
        }

    # --- deals closed: revenue, deals won, average size, win rate, growth --------------------
    closed = by_window(facts.closed, ["won_n", "won_cents", "lost_n"])
    won, cents, lost = closed.take("won_n"), closed.take("won_cents"), closed.take("lost_n")
    revenue = cents / CENTS
    put("revenue", revenue, n=won)
    put("deals_won", won)
    put("avg_deal_size", ratio(revenue, won), n=won)
    low, high = wilson(won, won + lost)
    put("win_rate", ratio(won, won + lost), n=won + lost, low=low, high=high)
    previous = closed.take("won_cents", "prev|") / CENTS
    last_year = closed.take("won_cents", "ly|") / CENTS
    put("revenue_growth", ratio(revenue - previous, previous))
    put("revenue_yoy", ratio(revenue - last_year, last_year))

    # --- sales cycle: median (p75, p90) from additive histograms ------------------------------
    cycle = rollup(facts.cycle, ["bucket", "days"], ["n"], index).merge(period_map, on="bucket")
    quantiles = histogram_quantiles(cycle, ["scope", "window"], "days", "n", (0.5, 0.75, 0.9))
    quantiles = quantiles.set_index(["scope", "window"]).reindex(grid)
    put("sales_cycle_days", quantiles["q0.5"], n=quantiles["n"].fillna(0),
        extra=[None if pd.isna(a) else {"p75": float(a), "p90": float(b)}
               for a, b in zip(quantiles["q0.75"], quantiles["q0.9"], strict=True)])  # fmt: skip

    # --- deals created: volume, conversion cohort, follow-up ------------------------------------
    created = by_window(facts.created, ["created_n", "won_n", "open_n", "followed_n"], only_periods=True)
    created_n = created.take("created_n")
    put("deals_created", created_n)
    won_cohort = created.take("won_n")
    low, high = wilson(won_cohort, created_n)
    put("lead_conversion_rate", ratio(won_cohort, created_n), n=created_n, low=low, high=high,
        provisional=created.take("open_n") > 0)  # fmt: skip
    followed = created.take("followed_n")
    low, high = wilson(followed, created_n)
    put("follow_up_rate", ratio(followed, created_n), n=created_n, low=low, high=high)

    # --- activities ----------------------------------------------------------------------------
    activities = pd.DataFrame(columns=["territory_id", "rep_id", "bucket"])
    if not facts.activities.empty:
        activities = facts.activities.pivot_table(
            index=["territory_id", "rep_id", "bucket"], columns="kind", values="n", aggfunc="sum", fill_value=0
        ).reset_index()
    kinds = [k for k in ("call", "meeting", "email") if k in activities.columns]
    acts = by_window(activities, kinds, only_periods=True) if kinds else None
    for kind, key in (("call", "calls"), ("meeting", "meetings"), ("email", "emails")):
        put(key, acts.take(kind) if acts is not None and kind in kinds else np.zeros(len(grid)))

    # --- surveys -----------------------------------------------------------------------------------
    surveys = facts.surveys
    csat = by_window(surveys[surveys["kind"] == "csat"], ["n", "good"], only_periods=True)
    nps = by_window(surveys[surveys["kind"] == "nps"], ["n", "promoters", "detractors"], only_periods=True)
    csat_n, good = csat.take("n"), csat.take("good")
    low, high = wilson(good, csat_n)
    put("csat", ratio(good, csat_n), n=csat_n, low=low, high=high)
    nps_n, promoters, detractors = nps.take("n"), nps.take("promoters"), nps.take("detractors")
    low, high = nps_interval(promoters, detractors, nps_n)
    put("nps", 100 * ratio(promoters - detractors, nps_n), n=nps_n, low=low, high=high)

    # --- new customers, CAC ------------------------------------------------------------------------
    new = by_window(facts.first_won.assign(one=1), ["one"], only_periods=True)
    new_customers = new.take("one")
    put("new_customers", new_customers)
    expenses = facts.expenses.rename(columns={"month": "bucket"}).assign(rep_id=None)
    spend = by_window(expenses, ["cents"], only_periods=True, rep_col=None).take("cents") / CENTS
    cac = ratio(spend, new_customers)
    put("cac", cac, n=new_customers)

    # --- customer activity: active, churn, retention, ARPU, CLV -------------------------------------
    start_days = [p.start - datetime.timedelta(days=1) for p in periods]
    end_days = [min(p.end, as_of) for p in periods]
    clv_start_days = [month_add(p.end.replace(day=1), -11) - datetime.timedelta(days=1) for p in periods]
    dates = sorted(set(start_days) | set(end_days) | set(clv_start_days))
    column = {d: i for i, d in enumerate(dates)}
    customers = facts.customers.reset_index(drop=True)
    matrix = active_matrix(customers, facts.customer_deals, dates)
    starts = matrix[:, [column[d] for d in start_days]]
    ends = matrix[:, [column[d] for d in end_days]]
    clv_starts = matrix[:, [column[d] for d in clv_start_days]]
    per_customer = {}
    for j, label in enumerate(labels):
        per_customer[f"S|{label}"] = starts[:, j]
        per_customer[f"E|{label}"] = ends[:, j]
        per_customer[f"C|{label}"] = starts[:, j] & ~ends[:, j]
        per_customer[f"WS|{label}"] = clv_starts[:, j]
        per_customer[f"WC|{label}"] = clv_starts[:, j] & ~ends[:, j]
    customer_frame = pd.concat(
        [customers[["territory_id", "rep_id"]], pd.DataFrame(per_customer, dtype="int64")], axis=1
    )
    value_columns = list(per_customer)
    rolled = rollup(customer_frame.assign(bucket=0), ["bucket"], value_columns, index).set_index("scope")
    rolled = rolled.reindex(scope_list).fillna(0)

    def customer_take(prefix: str) -> np.ndarray:
        wide = rolled[[f"{prefix}|{label}" for label in labels]].to_numpy(dtype="float64")
        return wide.reshape(-1)  # grid order: scope-major, then period

    active_start, active_end, churned = customer_take("S"), customer_take("E"), customer_take("C")
    put("customers_active", active_end)
    churn = ratio(churned, active_start)
    low, high = wilson(churned, active_start)
    put("churn_rate", churn, n=active_start, low=low, high=high)
    put("retention_rate", 1 - churn, n=active_start, low=1 - high, high=1 - low)
    put("arpu", ratio(revenue, active_end), n=active_end)

    window_revenue = closed.take("won_cents", "W|") / CENTS
    won_customers = facts.won_customers
    month_index = won_customers["month"].map(lambda d: d.year * 12 + d.month - 1) if len(won_customers) else []
    by_scope = pd.concat(
        [
            won_customers.assign(
                month_index=month_index, territory_id=won_customers["territory_id"].astype("int64")
            ).merge(index.membership(), on="territory_id")[["scope", "customer_id", "month_index"]],
            won_customers.assign(month_index=month_index).merge(index.rep_scope_frame(), on="rep_id")[
                ["scope", "customer_id", "month_index"]
            ],
        ]
    ).drop_duplicates()
    end_months = {label: p.end.year * 12 + p.end.month - 1 for label, p in zip(labels, periods, strict=True)}
    distinct = distinct_in_windows(by_scope, 12, list(end_months.values())).set_index(["scope", "end"])["customers"]
    distinct_n = distinct.reindex(
        pd.MultiIndex.from_arrays([grid.get_level_values(0), [end_months[p] for p in grid.get_level_values(1)]])
    ).fillna(0).to_numpy(dtype="float64")  # fmt: skip
    window_churn = ratio(customer_take("WC"), customer_take("WS"))
    value_per_customer = ratio(window_revenue, distinct_n)
    clv = ratio(value_per_customer, np.where(window_churn > 0, window_churn, np.nan))
    put("clv", clv, n=distinct_n)
    put("clv_cac_ratio", ratio(clv, cac))

    # --- pipeline ------------------------------------------------------------------------------------
    pipeline_value, pipeline_n, pipeline_before = _pipeline(facts, index, grid, periods, as_of, grain)
    put("pipeline_value", pipeline_value, n=pipeline_n)

    # --- funnel --------------------------------------------------------------------------------------
    funnel = _funnel(facts, index, period_map, grid)

    # --- like for like: the period in progress against the same elapsed days before ------------------
    to_date = _to_date_comparisons(periods, as_of, index, grid, fiscal)
    for key, (previous_td, last_year_td) in to_date.items():
        extras = out[key]["extra"] or [None] * len(grid)
        out[key]["extra"] = [
            ({**(e or {}), "previous_to_date": p, "last_year_to_date": y} if not (np.isnan(p) and np.isnan(y)) else e)
            for e, p, y in zip(extras, previous_td, last_year_td, strict=True)
        ]
    if "revenue" in to_date:
        # Growth of the period in progress compares like with like, never a part-period with a whole one.
        previous_td, last_year_td = to_date["revenue"]
        in_progress = ~np.isnan(previous_td)
        growth, yoy = out["revenue_growth"]["value"], out["revenue_yoy"]["value"]
        growth[in_progress] = ratio(revenue - previous_td, previous_td)[in_progress]
        yoy[in_progress] = ratio(revenue - last_year_td, last_year_td)[in_progress]

    # --- targets, attainment, quota, team --------------------------------------------------------------
    # A target covers the whole period, also while the period is in progress (pace compares against it).
    month_map = pd.DataFrame(
        [(p.label, m) for p in periods for m in p.months if m >= p.start], columns=["window", "bucket"]
    )
    targets = targets_resolve(facts.targets, month_map, index)
    scope_order = list(dict.fromkeys(grid.get_level_values(0)))
    target_arrays: dict[str, np.ndarray] = {}
    if not targets.empty:
        scope_code = pd.Categorical(targets["scope"], categories=scope_order).codes
        label_code = pd.Categorical(targets["period"], categories=labels).codes
        for kpi, rows in targets.assign(s=scope_code, p=label_code).groupby("kpi"):
            rows = rows[(rows["s"] >= 0) & (rows["p"] >= 0)]
            array = np.full((len(scope_order), len(labels)), np.nan)
            array[rows["s"].to_numpy(), rows["p"].to_numpy()] = rows["target"].to_numpy(dtype="float64")
            target_arrays[kpi] = array.reshape(-1)

    def target_take(kpi: str) -> np.ndarray:
        return target_arrays[kpi] if kpi in target_arrays else np.full(len(grid), np.nan)

    revenue_target = target_take("revenue")
    put("quota_attainment", ratio(revenue, revenue_target))
    put("pipeline_coverage", ratio(pipeline_before, revenue_target))

    rep_attainment = _rep_attainment(facts, period_map, month_map)
    at_quota = reps_at_quota(facts.reps, facts.assignments, periods, rep_attainment, index, as_of)
    at_quota = at_quota.set_index(["scope", "period"]).reindex(grid)
    with_target = at_quota["reps_with_target"].to_numpy(dtype="float64")
    put("reps_at_quota", ratio(at_quota["reps_at_quota"].to_numpy(dtype="float64"), with_target), n=with_target)
    team = turnover(facts.reps, facts.assignments, periods, as_of, index).set_index(["scope", "period"]).reindex(grid)
    headcount = (team["headcount_start"].fillna(0) + team["headcount_end"].fillna(0)).to_numpy() / 2
    put("rep_turnover_rate", ratio(team["leavers"].fillna(0).to_numpy(), headcount))

    table = _assemble(out, grid, is_rep, target_take)
    return KpiResult(as_of, periods, table, funnel)


def _rep_attainment(facts: Facts, period_map: pd.DataFrame, month_map: pd.DataFrame) -> pd.DataFrame:
    """(rep_id, period, attained) for every rep with a revenue target in the period, whatever scopes are asked."""
    targets = facts.targets[(facts.targets["kpi"] == "revenue") & facts.targets["rep_id"].notna()]
    targets = targets.merge(month_map, left_on="month", right_on="bucket")
    targets = targets.groupby(["rep_id", "window"], sort=False)["units"].sum().reset_index()
    closed = facts.closed.merge(period_map, on="bucket")
    revenue = closed.groupby(["rep_id", "window"], sort=False)["won_cents"].sum().reset_index()
    merged = targets.merge(revenue, on=["rep_id", "window"], how="left").fillna({"won_cents": 0})
    # revenue / target ≥ 1 in exact integers: cents / 100 ≥ units / 10,000.
    attained = (merged["units"] > 0) & (merged["won_cents"] * (TARGET_UNITS // CENTS) >= merged["units"])
    return pd.DataFrame(
        {"rep_id": merged["rep_id"].astype("int64"), "period": merged["window"], "attained": attained.astype(bool)}
    )


LIKE_FOR_LIKE = ("revenue", "deals_won", "deals_created", "calls", "meetings", "emails", "new_customers")


def _to_date_comparisons(periods, as_of, index, grid, fiscal) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For periods in progress: additive KPIs over the same elapsed days of the previous period and last year.

    Returns {kpi: (previous_to_date, last_year_to_date)} aligned with ``grid``; NaN for finished periods.
    """
    windows: dict[str, tuple[datetime.date, datetime.date]] = {}
    for p in periods:
        if not p.start <= as_of < p.end:
            continue
        elapsed = datetime.timedelta(days=(as_of - p.start).days)
        for prefix, earlier in (("prevtd|", period_previous(p, fiscal_start_month=fiscal)),
                                ("lytd|", period_last_year(p, fiscal_start_month=fiscal))):  # fmt: skip
            windows[prefix + p.label] = (earlier.start, min(earlier.start + elapsed, earlier.end))
    if not windows:
        return {}
    start = min(s for s, _ in windows.values())
    end = max(e for _, e in windows.values())
    rows = facts_to_date(as_of=as_of, start=start, end=end)
    window_map = pd.DataFrame(
        [(key, s + datetime.timedelta(days=i)) for key, (s, e) in windows.items() for i in range((e - s).days + 1)],
        columns=["window", "day"],
    )
    rolled = rollup(rows, ["day", "kpi"], ["amount"], index).merge(window_map, on="day")
    sums = rolled.groupby(["scope", "window", "kpi"], sort=False)["amount"].sum()
    in_progress = {p.label for p in periods if p.start <= as_of < p.end}
    result = {}
    for kpi in LIKE_FOR_LIKE:
        pair = []
        for prefix in ("prevtd|", "lytd|"):
            keys = pd.MultiIndex.from_arrays(
                [grid.get_level_values(0), [prefix + p for p in grid.get_level_values(1)], [kpi] * len(grid)]
            )
            values = sums.reindex(keys).fillna(0).to_numpy(dtype="float64").copy()
            values[~np.isin(grid.get_level_values(1), list(in_progress))] = np.nan
            pair.append(values / CENTS if kpi == "revenue" else values)
        result[kpi] = (pair[0], pair[1])
    return result


def _pipeline(facts: Facts, index: ScopeIndex, grid, periods, as_of, grain):
    """Open pipeline on each period's last day (or the as-of date) and on the day before it starts."""
    data = facts.pipeline
    scopes = list(dict.fromkeys(grid.get_level_values(0)))
    at_as_of = rollup(data[data["closed_bucket"].isna()].assign(bucket=0), ["bucket"], ["n", "cents"], index)
    at_as_of = at_as_of.set_index("scope").reindex(scopes).fillna(0)
    known = data[data["created_bucket"].notna()]
    opened = rollup(known.rename(columns={"created_bucket": "bucket"}), ["bucket"], ["n", "cents"], index)
    closed_rows = known[known["closed_bucket"].notna()].rename(columns={"closed_bucket": "bucket"})
    shut = rollup(closed_rows, ["bucket"], ["n", "cents"], index)
    buckets = sorted(set(opened["bucket"]) | set(shut["bucket"]))

    def cumulative(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        wide = frame.pivot_table(index="scope", columns="bucket", values=column, aggfunc="sum", fill_value=0)
        return wide.reindex(index=scopes, columns=buckets, fill_value=0).cumsum(axis=1)

    open_n = cumulative(opened, "n") - cumulative(shut, "n") if buckets else None
    open_cents = cumulative(opened, "cents") - cumulative(shut, "cents") if buckets else None
    bucket_keys = np.array([b.toordinal() for b in buckets], dtype="int64")

    def open_on(day: datetime.date) -> tuple[pd.Series, pd.Series]:
        if day >= as_of:
            return at_as_of["cents"], at_as_of["n"]
        bucket = day.replace(day=1) if grain == "month" else day
        position = np.searchsorted(bucket_keys, bucket.toordinal(), side="right") - 1
        if open_n is None or position < 0:
            zero = pd.Series(0.0, index=scopes)
            return zero, zero
        return open_cents.iloc[:, position], open_n.iloc[:, position]

    value = pd.DataFrame(index=scopes)
    count = pd.DataFrame(index=scopes)
    before = pd.DataFrame(index=scopes)
    for p in periods:
        cents, n = open_on(min(p.end, as_of))
        value[p.label], count[p.label] = cents / CENTS, n
        before[p.label] = open_on(p.start - datetime.timedelta(days=1))[0] / CENTS
    labels = [p.label for p in periods]
    return (
        value[labels].to_numpy(dtype="float64").reshape(-1),
        count[labels].to_numpy(dtype="float64").reshape(-1),
        before[labels].to_numpy(dtype="float64").reshape(-1),
    )


def _funnel(facts: Facts, index: ScopeIndex, period_map: pd.DataFrame, grid) -> pd.DataFrame:
    """Deals created in each period that reached each stage, lead → won."""
    data = facts.funnel
    if data.empty:
        return pd.DataFrame(index=grid, columns=[f"{s}_n" for s in FUNNEL_STAGES]).fillna(0).reset_index()
    rolled = rollup(data, ["bucket", "reached"], ["n"], index).merge(period_map, on="bucket")
    wide = rolled.pivot_table(index=["scope", "window"], columns="reached", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=range(len(FUNNEL_STAGES)), fill_value=0)
    # A deal reached every stage up to its own: counts accumulate from the top stage down.
    reached_counts = wide.iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1]
    reached_counts.columns = [f"{s}_n" for s in FUNNEL_STAGES]
    reached_counts.index = reached_counts.index.set_names(["scope", "period"])
    return reached_counts.reindex(grid, fill_value=0).reset_index()


def _assemble(out, grid, is_rep, target_take) -> pd.DataFrame:
    min_sample = settings.KPI_MIN_SAMPLE
    parts = []
    scopes, periods = grid.get_level_values(0), grid.get_level_values(1)
    for definition in KPIS:
        data = out[definition.key]
        target = target_take(definition.key) if definition.targetable else np.full(len(grid), np.nan)
        value = data["value"]
        frame = pd.DataFrame(
            {
                "scope": scopes,
                "period": periods,
                "kpi": definition.key,
                "value": value,
                "n": data["n"],
                "ci_low": data["ci_low"],
                "ci_high": data["ci_high"],
                "target": target,
                "attainment": attainment(value, target, np.full(len(grid), definition.higher_is_better)),
                # "no data" is not a low sample: the flag marks values shown with too small an n.
                "low_sample": np.isfinite(data["n"]) & (data["n"] < min_sample) & np.isfinite(value),
                "provisional": data["provisional"],
                "extra": data["extra"] if data["extra"] is not None else None,
            }
        )
        if definition.key in REP_EXCLUDED:
            frame = frame[~is_rep]
        parts.append(frame)
    table = pd.concat(parts, ignore_index=True)
    for column in ("value", "n", "ci_low", "ci_high", "target", "attainment"):
        table[column] = table[column].astype("float64").where(np.isfinite(table[column].astype("float64")))
    return table[COLUMNS]


def kpi_definitions_for(scope: str) -> list[str]:
    """KPI keys defined for a scope (some are territory/company only)."""
    return [k.key for k in KPIS if scope == COMPANY or not scope.startswith("rep:") or k.key not in REP_EXCLUDED]


__all__ = ["KpiResult", "kpis_compute", "as_of_date", "FUNNEL_STAGES", "KPI_BY_KEY"]
