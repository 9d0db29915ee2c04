"""Post-evaluation (策略后评估 / 经营回检): treated vs control, uplift, Qini, KPI trends, migration.

* :func:`customer_months` - one row per customer and month-end (AUM, active, primary account by the
  practice's three-condition rule, asset-outflow churn), kept in DuckDB;
* :func:`campaign_outcomes` - each contacted customer's response and KPIs before and after a period;
* :func:`compare_groups` - treated vs control per campaign and KPI: rates with Newcombe intervals
  (:func:`clientlens.lift.proportion_diff_ci`), means with Welch intervals, incremental responders,
  incremental AUM and value;
* :func:`uplift_by_ntile`, :func:`qini_curve`, :func:`qini_coefficient`, :func:`qini_bootstrap` - uplift
  by decile of a score and the Qini curve and coefficient (Radcliffe 2007);
* :func:`segment_trends` - KPIs per segment month by month;
* :func:`migration_matrix` - customers and AUM flows between the groups of two dates;
* :func:`goal_dashboard` - strategy goals vs measured effects as traffic lights.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import DataError, ParamsError
from .lift import proportion_diff_ci

__all__ = ["customer_months", "campaign_outcomes", "compare_groups", "ntiles", "uplift_by_ntile", "qini_curve",
           "qini_coefficient", "qini_bootstrap", "segment_trends", "migration_matrix", "goal_dashboard",
           "BINARY_KPIS", "MEAN_KPIS"]

#: KPIs measured as shares (difference in points) and as means (difference in CNY)
BINARY_KPIS = ("response_rate", "primary_account_rate", "product_holding_rate", "active_share")
MEAN_KPIS = ("aum_change",)
_TABLE = "cl_customer_months"


# --------------------------------------------------------------------------- customer x month status

def customer_months(bank, start, end, *, min_key_txn: int = 5, max_products: int = 5,
                    retention_floor: float = 0.2, low_months: int = 3, churn_drop: float = 0.5,
                    churn_min_aum: float = 10_000.0, table: str = _TABLE) -> str:
    """Build the DuckDB temp table of customer x month-end status between ``start`` and ``end``.

    One row per ``monthly_balances`` row with ``month_end`` in the range: ``aum``, ``active`` (an
    outgoing transaction in that calendar month), ``is_primary`` (the practice's rule on the last three
    months: MORE than ``min_key_txn`` key (non-salary) transactions in each, AND auto sweep or auto debit
    or MORE than ``max_products`` products, AND NOT payroll retention below ``retention_floor`` in
    ``low_months`` consecutive months), ``churn`` (AUM down by at least ``churn_drop`` from three
    month-ends before, which held at least ``churn_min_aum``: an asset outflow). Dates and thresholds are
    bound parameters. Returns the table name.
    """
    from .params import to_date

    start, end = to_date("start", start), to_date("end", end)
    if end < start:
        raise ParamsError(f"end {end} is before start {start}")
    con = bank.con
    tcols = set(bank.columns.get("transactions", []))
    bcols = set(bank.columns.get("monthly_balances", []))
    if not bank.has("monthly_balances"):
        raise DataError("monthly_balances is absent: the post-evaluation KPIs need month-end balances")
    key = "category IS DISTINCT FROM 'salary'" if "category" in tcols else "TRUE"
    sweep = "coalesce(auto_sweep, FALSE)" if "auto_sweep" in bcols else "FALSE"
    debit = "coalesce(auto_debit, FALSE)" if "auto_debit" in bcols else "FALSE"
    nprod = "coalesce(n_products, 0)" if "n_products" in bcols else "0"
    ret = "payroll_retention" if "payroll_retention" in bcols else "NULL::DOUBLE"
    lo = (pd.Timestamp(start) - pd.DateOffset(months=max(low_months, 3) + 1)).date()
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        WITH t AS (
            SELECT customer_id, last_day(txn_date) AS month_end,
                   count(*) FILTER (WHERE {key}) AS n_key,
                   count(*) FILTER (WHERE direction = 'out') AS n_out
            FROM transactions WHERE txn_date > ?::DATE AND txn_date <= ?::DATE GROUP BY ALL),
        b AS (
            SELECT customer_id, month_end, coalesce(aum, 0) AS aum, {sweep} OR {debit} OR {nprod} > ? AS linked,
                   {ret} AS retention
            FROM monthly_balances WHERE month_end > ?::DATE AND month_end <= ?::DATE),
        j AS (
            SELECT b.*, coalesce(t.n_key, 0) AS n_key, coalesce(t.n_out, 0) > 0 AS active
            FROM b LEFT JOIN t USING (customer_id, month_end)),
        w AS (
            SELECT *,
                count(*) OVER w3 = 3 AND min(n_key) OVER w3 > ? AS busy,
                count(retention) OVER wl = ? AND max(retention) OVER wl < ? AS moved_out,
                lag(aum, 3) OVER (PARTITION BY customer_id ORDER BY month_end) AS aum_3m_before
            FROM j
            WINDOW w3 AS (PARTITION BY customer_id ORDER BY month_end ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
                   wl AS (PARTITION BY customer_id ORDER BY month_end ROWS BETWEEN ? PRECEDING AND CURRENT ROW))
        SELECT customer_id, month_end, aum, active, busy AND linked AND NOT moved_out AS is_primary,
               coalesce(aum_3m_before >= ? AND aum <= (1 - ?) * aum_3m_before, FALSE) AS churn
        FROM w WHERE month_end >= ?::DATE
        """, [lo, end, int(max_products), lo, end, int(min_key_txn), int(low_months), float(retention_floor),
              int(low_months) - 1, float(churn_min_aum), float(churn_drop), start])
    return table


# --------------------------------------------------------------------------- per campaign outcomes

def campaign_outcomes(bank, campaign_ids: Sequence[str], before, after, *, table: str = _TABLE) -> pd.DataFrame:
    """Each contacted customer of ``campaign_ids``: group, response and KPIs at ``before`` and ``after``.

    ``before`` / ``after`` are month-ends in :func:`customer_months`' table. Columns: ``campaign_id``,
    ``customer_id``, ``group``, ``treated`` (group is not ``control``), ``response``, ``product``,
    ``aum_before``, ``aum_after``, ``aum_change``, ``primary_before`` / ``primary_account_rate`` (after),
    ``active_share`` (active in the month of ``after``), ``product_before`` / ``product_holding_rate``
    (holds the campaign's product, when it names a balance column, at ``after``).
    """
    from .params import to_date
    from .schema import PRODUCT_BALANCE_COLUMNS

    before, after = to_date("before", before), to_date("after", after)
    ids = [str(c) for c in campaign_ids]
    if not ids:
        raise ParamsError("campaign_ids must name at least one campaign")
    con = bank.con
    bcols = set(bank.columns.get("monthly_balances", []))
    prods = [p for p in PRODUCT_BALANCE_COLUMNS if p in bcols]
    ph = ", ".join("?" for _ in ids)
    prod_col = "product" if "product" in bank.columns.get("campaigns", []) else "NULL::VARCHAR"
    df = con.execute(f"""
        SELECT c.campaign_id, c.customer_id, c."group" AS "group", c.response, {prod_col} AS product,
               s0.aum AS aum_before, s1.aum AS aum_after, s0.is_primary AS primary_before,
               s1.is_primary AS primary_after, s1.active AS active_after
        FROM campaigns c
        LEFT JOIN {table} s0 ON s0.customer_id = c.customer_id AND s0.month_end = ?::DATE
        LEFT JOIN {table} s1 ON s1.customer_id = c.customer_id AND s1.month_end = ?::DATE
        WHERE c.campaign_id IN ({ph}) ORDER BY c.campaign_id, c.customer_id""", [before, after, *ids]).df()
    if prods:
        cols = ", ".join(prods)
        bal = con.execute(f"SELECT customer_id, month_end, {cols} FROM monthly_balances "
                          "WHERE month_end IN (?::DATE, ?::DATE) AND customer_id IN "
                          f"(SELECT customer_id FROM campaigns WHERE campaign_id IN ({ph}))",
                          [before, after, *ids]).df()
        bal["month_end"] = pd.to_datetime(bal["month_end"])
        b0 = bal[bal["month_end"] == pd.Timestamp(before)].set_index("customer_id")
        b1 = bal[bal["month_end"] == pd.Timestamp(after)].set_index("customer_id")
        held0 = np.zeros(len(df), bool)
        held1 = np.zeros(len(df), bool)
        for p in prods:
            m = (df["product"] == p).to_numpy()
            if m.any():
                cid = df.loc[m, "customer_id"]
                held0[m] = (b0[p].reindex(cid).fillna(0).to_numpy() > 0)
                held1[m] = (b1[p].reindex(cid).fillna(0).to_numpy() > 0)
        known = df["product"].isin(prods).to_numpy()
        df["product_before"] = np.where(known, held0, np.nan)
        df["product_holding_rate"] = np.where(known, held1, np.nan)
    df["treated"] = df["group"].astype(str) != "control"
    df["aum_change"] = df["aum_after"] - df["aum_before"]
    df["response_rate"] = pd.to_numeric(df["response"], errors="coerce")
    df["primary_account_rate"] = df["primary_after"].astype("float")
    df["active_share"] = df["active_after"].astype("float")
    return df


def _mean_diff_ci(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[float, float, float]:
    """Difference of means a - b with Welch's t interval."""
    na, nb = len(a), len(b)
    d = float(a.mean() - b.mean())
    if na < 2 or nb < 2:
        return d, float("nan"), float("nan")
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    t = stats.t.ppf(1 - alpha / 2, df)
    return d, d - t * se, d + t * se


def compare_groups(outcomes: pd.DataFrame, kpis: Sequence[str] = BINARY_KPIS + MEAN_KPIS, *,
                   by: str = "campaign_id", alpha: float = 0.05, margin_rate: float = 0.01) -> pd.DataFrame:
    """Treated vs control per campaign and KPI, with intervals and incremental totals.

    Shares (:data:`BINARY_KPIS`): difference in rates with Newcombe's hybrid score interval; means
    (:data:`MEAN_KPIS`): Welch interval. ``incremental`` = difference x treated customers (incremental
    responders for ``response_rate``, incremental AUM for ``aum_change``, with the interval scaled alike);
    for ``aum_change`` the row also carries ``incremental_value`` = incremental AUM x ``margin_rate``
    (the bank's yearly margin on balances). Customers with a missing KPI are left out of that KPI.
    """
    if not 0 < alpha < 1:
        raise ParamsError(f"alpha must be in (0, 1); got {alpha!r}")
    rows = []
    for key, g in outcomes.groupby(by, sort=True):
        t_mask = g["treated"].to_numpy(bool)
        for k in kpis:
            if k not in g:
                continue
            v = pd.to_numeric(g[k], errors="coerce").to_numpy(float)
            ok = ~np.isnan(v)
            a, b = v[ok & t_mask], v[ok & ~t_mask]
            if len(a) == 0 or len(b) == 0:
                continue
            if k in MEAN_KPIS:
                d, lo, hi = _mean_diff_ci(a, b, alpha)
            else:
                k1, k2 = int(a.sum()), int(b.sum())
                d = k1 / len(a) - k2 / len(b)
                lo, hi = proportion_diff_ci(k1, len(a), k2, len(b), alpha=alpha)
            n_t = int(t_mask.sum())
            r = {by: key, "kpi": k, "n_treated": len(a), "n_control": len(b), "treated": float(a.mean()),
                 "control": float(b.mean()), "difference": d, "ci_low": lo, "ci_high": hi,
                 "incremental": d * n_t, "incremental_low": lo * n_t, "incremental_high": hi * n_t}
            if k == "aum_change":
                r["incremental_value"] = d * n_t * margin_rate
            rows.append(r)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- uplift by n-tile and Qini

def _check_uplift(y, treated, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    t = np.asarray(treated, dtype=bool)
    s = np.asarray(score, dtype=float)
    if not (len(y) == len(t) == len(s)):
        raise DataError(f"y, treated and score must have the same length; got {len(y)}, {len(t)}, {len(s)}")
    if np.isnan(y).any() or np.isnan(s).any():
        raise DataError("y and score must not have missing values")
    if t.all() or (~t).all():
        raise DataError("uplift needs both treated and control customers")
    return y, t, s


def ntiles(score, n: int = 10) -> np.ndarray:
    """N-tile of each customer by ``score`` (1 = highest), cut by rank so the groups have equal size (ties
    by position)."""
    s = np.asarray(score, dtype=float)
    order = np.argsort(-s, kind="stable")
    tile = np.empty(len(s), dtype=np.int64)
    tile[order] = np.arange(len(s)) * n // max(len(s), 1) + 1
    return tile


def uplift_by_ntile(y, treated, score, n: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """Uplift (treated minus control response) per n-tile of ``score`` (1 = highest scores).

    N-tiles are cut on the whole population (treated and control together) by rank (ties by position,
    so the groups have equal size). Per group: customers, responders and rates of each arm, uplift with
    its Newcombe interval, and incremental responders = uplift x treated customers.
    """
    y, t, s = _check_uplift(y, treated, score)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ParamsError(f"n must be an integer >= 2; got {n!r}")
    tile = ntiles(s, n)
    rows = []
    for k in range(1, n + 1):
        m = tile == k
        yt, yc = y[m & t], y[m & ~t]
        r = {"ntile": k, "customers": int(m.sum()), "treated": len(yt), "control": len(yc),
             "min_score": float(s[m].min()) if m.any() else np.nan,
             "max_score": float(s[m].max()) if m.any() else np.nan,
             "rate_treated": yt.mean() if len(yt) else np.nan, "rate_control": yc.mean() if len(yc) else np.nan}
        if len(yt) and len(yc):
            r["uplift"] = r["rate_treated"] - r["rate_control"]
            r["ci_low"], r["ci_high"] = proportion_diff_ci(int(yt.sum()), len(yt), int(yc.sum()), len(yc), alpha=alpha)
        else:
            r["uplift"] = r["ci_low"] = r["ci_high"] = np.nan
        r["incremental_responders"] = r["uplift"] * len(yt)
        rows.append(r)
    return pd.DataFrame(rows)


def qini_curve(y, treated, score, weights=None) -> pd.DataFrame:
    """The Qini curve (Radcliffe 2007): incremental responders when targeting the top share of customers.

    Customers are sorted by ``score`` (descending); at each distinct score boundary k,
    ``Q(k) = R_t(k) - R_c(k) * N_t(k) / N_c(k)`` (responders of the treated among the top k, minus the
    control responders scaled to the treated count; 0 while N_c(k) = 0). Returns ``share`` (k / N,
    from 0 to 1) and ``qini`` (Q(k) / N, incremental responders as a share of the population), and
    ``random`` (the straight line from 0 to Q(N) / N). ``weights`` (bootstrap counts) default to 1.
    """
    y, t, s = _check_uplift(y, treated, score)
    order = np.argsort(-s, kind="stable")
    w = None if weights is None else np.asarray(weights, dtype=float)[order]
    share, qini = _qini_sorted(y[order], t[order], s[order], w)
    return pd.DataFrame({"share": share, "qini": qini, "random": share * qini[-1]})


def _qini_sorted(y: np.ndarray, t: np.ndarray, s: np.ndarray, w: np.ndarray | None,
                 last: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Qini points of customers already sorted by descending score (see :func:`qini_curve`); ``last``:
    positions ending each tie group (computed when None)."""
    if last is None:
        last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])   # evaluate at the end of each tie group
    tf = t.astype(float)
    wt = tf if w is None else w * tf
    wa = np.ones(len(y)) if w is None else w
    nt, na = np.cumsum(wt)[last], np.cumsum(wa)[last]
    rt, ra = np.cumsum(wt * y)[last], np.cumsum(wa * y)[last]
    nc, rc = na - nt, ra - rt
    q = np.where(nc > 0, rt - rc * nt / np.where(nc > 0, nc, 1), 0.0)
    total = na[-1]
    return np.r_[0.0, na / total], np.r_[0.0, q / total]


def _area(share: np.ndarray, qini: np.ndarray) -> float:
    diff = qini - share * qini[-1]
    return float(np.sum((diff[1:] + diff[:-1]) * np.diff(share)) / 2)


def qini_coefficient(y=None, treated=None, score=None, curve: pd.DataFrame | None = None, weights=None) -> float:
    """Qini coefficient (Radcliffe 2007): area between the Qini curve and the random line.

    Trapezoid rule over :func:`qini_curve`'s points (x = share targeted, y = incremental responders as a
    share of the population); positive when the score ranks customers who respond because of the
    treatment first, 0 for a random order.
    """
    c = curve if curve is not None else qini_curve(y, treated, score, weights)
    return _area(c["share"].to_numpy(float), c["qini"].to_numpy(float))


def qini_bootstrap(y, treated, score, n_boot: int = 200, alpha: float = 0.05, random_state: int = 42) -> dict:
    """Qini coefficient with a percentile bootstrap interval.

    Poisson bootstrap (each customer's weight in a resample is Poisson(1), the large-sample form of
    resampling with replacement; Hanley & MacGibbon 2006): one pass over the score order per resample,
    so 200 resamples of a 1M-customer list stay in seconds.

    Returns ``{"qini": q, "ci_low", "ci_high", "n_boot"}``; same ``random_state`` -> same interval.
    """
    y, t, s = _check_uplift(y, treated, score)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ParamsError(f"n_boot must be an integer >= 10; got {n_boot!r}")
    rng = np.random.default_rng(random_state)
    order = np.argsort(-s, kind="stable")
    y, t, s = y[order], t[order], s[order]
    last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    q0 = _area(*_qini_sorted(y, t, s, None, last))
    qs = np.empty(n_boot)
    for b in range(n_boot):
        qs[b] = _area(*_qini_sorted(y, t, s, rng.poisson(1.0, len(y)).astype(float), last))
    lo, hi = np.quantile(qs, [alpha / 2, 1 - alpha / 2])
    return {"qini": q0, "ci_low": float(lo), "ci_high": float(hi), "n_boot": int(n_boot)}


# --------------------------------------------------------------------------- trends and migration

def segment_trends(bank, segments: pd.DataFrame, *, by: str = "segment", table: str = _TABLE) -> pd.DataFrame:
    """KPIs per segment and month-end from :func:`customer_months`' table.

    ``segments`` has ``customer_id`` and the column ``by``; customers missing from it count as
    ``(none)``. Columns: ``by``, ``month_end``, ``customers``, ``aum`` (total), ``aum_mean``,
    ``active_share``, ``primary_share``, ``churn_share``.
    """
    if "customer_id" not in segments or by not in segments:
        raise DataError(f"segments must have columns customer_id and {by!r}")
    seg = pd.DataFrame({"customer_id": segments["customer_id"].astype(str).to_numpy(),
                        "seg": segments[by].astype(str).to_numpy()})
    con = bank.con
    con.register("cl_trend_segments", seg)
    # AUM summed exactly (DECIMAL, 1/10,000 of the currency unit): a DOUBLE sum's last bit depends on
    # DuckDB's thread schedule, and the same data must give the same numbers
    try:
        out = con.execute(f"""
            SELECT coalesce(s.seg, '(none)') AS seg, m.month_end, count(*) AS customers,
                   CAST(sum(CAST(m.aum AS DECIMAL(38, 4))) AS DOUBLE) AS aum,
                   CAST(sum(CAST(m.aum AS DECIMAL(38, 4))) AS DOUBLE) / count(m.aum) AS aum_mean,
                   avg(m.active::INT) AS active_share,
                   avg(m.is_primary::INT) AS primary_share, avg(m.churn::INT) AS churn_share
            FROM {table} m LEFT JOIN cl_trend_segments s USING (customer_id)
            GROUP BY ALL ORDER BY 1, 2""").df()
    finally:
        con.unregister("cl_trend_segments")
    return out.rename(columns={"seg": by})


def migration_matrix(earlier: pd.Series, later: pd.Series, aum_earlier: pd.Series | None = None,
                     aum_later: pd.Series | None = None, order: Sequence[str] | None = None,
                     gone: str = "(gone)") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers moving between groups (segments, lifecycle stages) from one date to a later one.

    Parameters
    ----------
    earlier, later : Series
        Group per customer, indexed by customer id, at the two dates.
    aum_earlier, aum_later : Series, optional
        AUM per customer at the two dates (same index), for the AUM flows.
    order : sequence, optional
        Row and column order of the groups.

    Returns
    -------
    counts : DataFrame
        Rows: group at the earlier date (every customer of the earlier date exactly once, so each row
        sums to that group's customers); columns: group at the later date, plus ``gone`` for customers
        absent at the later date.
    flows : DataFrame
        Same shape: sum of (AUM later - AUM earlier) of the customers in each cell (a customer gone at
        the later date counts with AUM 0 then).
    """
    e = earlier.astype(str)
    if e.index.has_duplicates or later.index.has_duplicates:
        raise DataError("earlier and later must have one row per customer")
    lat = later.astype(str).reindex(e.index).fillna(gone)
    groups = list(order) if order is not None else sorted(set(e) | set(later.astype(str)))
    groups += [g for g in sorted(set(e) | set(lat)) if g not in groups and g != gone]
    cols = groups + ([gone] if (lat == gone).any() else [])
    counts = pd.crosstab(e, lat).reindex(index=[g for g in groups if g in set(e)], columns=cols, fill_value=0)
    counts.index.name, counts.columns.name = "earlier", "later"
    if aum_earlier is None or aum_later is None:
        flows = pd.DataFrame(np.nan, index=counts.index, columns=counts.columns)
    else:
        a0 = pd.to_numeric(aum_earlier.reindex(e.index), errors="coerce").fillna(0.0)
        a1 = pd.to_numeric(aum_later.reindex(e.index), errors="coerce").fillna(0.0)
        flows = pd.crosstab(e, lat, values=(a1 - a0), aggfunc="sum").reindex(
            index=counts.index, columns=counts.columns).fillna(0.0)
        flows.index.name, flows.columns.name = "earlier", "later"
    return counts, flows


# --------------------------------------------------------------------------- dashboard

def goal_dashboard(comparison: pd.DataFrame, goals: Mapping[str, Mapping], by: str = "campaign_id") -> pd.DataFrame:
    """Strategy goals vs measured effects as traffic lights (看板).

    For each ``{campaign: {kpi, target}}`` of ``goals``: the measured treated-minus-control difference of
    that KPI with its interval; ``PASS`` (green) when the interval's lower end is above 0 and the effect
    reaches the target; ``FAIL`` (red) when the effect is 0 or negative, or the whole interval lies below
    the target (the data rule the goal out); ``WARN`` (amber) otherwise (positive but below target, or not
    distinguishable from 0, with the target still inside the interval). A campaign without data is ``FAIL``.
    """
    from .report import FAIL, PASS, WARN

    rows = []
    for camp, goal in goals.items():
        if not isinstance(goal, Mapping) or "kpi" not in goal or "target" not in goal:
            raise ParamsError(f"goal of {camp!r} must be {{kpi: ..., target: ...}}; got {goal!r}")
        m = comparison[(comparison[by] == camp) & (comparison["kpi"] == goal["kpi"])] if len(comparison) else []
        if len(m) == 0:
            rows.append({by: camp, "kpi": goal["kpi"], "target": goal["target"], "effect": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "verdict": FAIL, "why": "no treated/control data"})
            continue
        r = m.iloc[0]
        if r["ci_low"] > 0 and r["difference"] >= goal["target"]:
            v, why = PASS, "effect reaches the target and is above 0"
        elif r["difference"] <= 0:
            v, why = FAIL, "no positive effect"
        elif r["ci_high"] < goal["target"]:
            v, why = FAIL, "target ruled out: above the interval"
        elif r["ci_low"] <= 0:
            v, why = WARN, "effect not distinguishable from 0; target not ruled out"
        else:
            v, why = WARN, "positive effect below target; target not ruled out"
        rows.append({by: camp, "kpi": goal["kpi"], "target": goal["target"], "effect": r["difference"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "verdict": v, "why": why})
    return pd.DataFrame(rows)
