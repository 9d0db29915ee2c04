"""Customer lifetime value: RFM summary in DuckDB, BTYD models, Gamma-Gamma spend, CLV and validation.

The buy-till-you-die (BTYD) models of the non-contractual setting, fitted with
the ``lifetimes`` fitters:

* BG/NBD (Fader, Hardie and Lee 2005), Pareto/NBD (Schmittlein, Morrison and
  Colombo 1987) and MBG/NBD (Batislam, Denizel and Filiztekin 2007) for the
  number of future transaction periods and P(alive);
* Gamma-Gamma (Fader, Hardie and Lee 2005b) for the mean spend per transaction,
  which assumes spend is independent of frequency (checked, see
  :func:`frequency_spend_check`).

Inputs per customer (:func:`rfm_summary`, one DuckDB query): ``frequency`` =
number of repeat transaction periods, ``recency`` = periods from the first to
the last transaction period, ``T`` = periods from the first transaction period
to the observation end, ``monetary_value`` = mean value of the repeat periods
(0 when there is none). With daily periods these equal
``lifetimes.utils.summary_data_from_transaction_data`` (which is not used here:
it is slow and parts of ``lifetimes.utils`` break on pandas 3).

Sums are exact: each amount is an integer multiple of 2^-k for a ``k`` chosen
from the data (:func:`_sum_scale`), so period and customer totals are summed
as HUGEINTs (exact, hence independent of row order and DuckDB's thread count)
and rounded once to the nearest float. Monetary value = (sum of the repeat
periods' totals, each rounded once) / frequency, as lifetimes defines it. On
CDNOW (daily) frequency, recency and T equal lifetimes' exactly; monetary
value equals the exact rational reference for every customer and lifetimes'
for all but 401 of 23,570, where lifetimes (pandas 3.1: ``np.add.reduceat``
for day totals, Kahan without its final correction for the mean) is off by at
most 2 ulp. Amounts spanning too wide a range for 128 bits (e.g. 1e12 and
1e-30) are rounded to the 2^-k grid and a note says so.

Periods: ``day`` (calendar day), ``week`` (ISO week starting Monday, as pandas
``W``), ``month`` (calendar month). A transaction period is a period with at
least one qualifying row; its value is the sum of the rows' amounts.

Customers with no qualifying transaction up to the observation end are not
modelled: they are counted in :attr:`RFMSummary.counts` and get ``clv = NaN``
and tier ``none`` in :func:`customer_clv` output when a customer list is given.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
import math
import uuid
import warnings
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln

from . import ClientLensError, DataError, ParamsError
from .data import quote_ident as _q, quote_literal as _lit
from .i18n import t, value
from .params import to_date as _as_date

PERIODS = ("day", "week", "month")
PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
DAYS_PER_MONTH = 365.25 / 12
MODELS = ("bgnbd", "pareto_nbd", "mbgnbd")
#: the note on customers left out of the transaction-model fit (04 replaces it by the value model's treatment)
_NO_CLV_NOTE = ("{n:,} customer(s) {without} up to {as_of}: they are excluded from fitting and get no CLV "
                "(NaN, tier 'none')")

MODEL_LABELS = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "mbgnbd": "MBG/NBD"}
MODEL_PARAMS = {"bgnbd": ("r", "alpha", "a", "b"), "pareto_nbd": ("r", "alpha", "s", "beta"),
                "mbgnbd": ("r", "alpha", "a", "b")}
REFUNDS = ("drop", "net")
TIERS = ("high", "medium", "low")


# ---------------------------------------------------------------------------
# RFM summary (DuckDB)
# ---------------------------------------------------------------------------

@dataclass
class RFMSummary:
    """Per-customer BTYD inputs and what was done to get them.

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``customer_id``; float columns ``frequency``, ``recency``, ``T``,
        ``monetary_value`` (whole window up to ``observation_end``) and, when a
        calibration end is given, ``frequency_cal``, ``recency_cal``, ``T_cal``,
        ``monetary_value_cal`` (NaN for customers first seen in the holdout),
        ``frequency_holdout`` (transaction periods in the holdout),
        ``value_holdout`` (their summed value), ``monetary_value_holdout`` (mean)
        and ``duration_holdout`` (holdout length in periods).
    period : str
        ``day``, ``week`` or ``month``.
    observation_end, calibration_end : datetime.date
        End of the observation window (inclusive) and of the calibration window.
    holdout_daily : pandas.DataFrame or None
        Holdout transaction periods of calibration customers by period start date:
        columns ``date``, ``transactions``, ``value``.
    counts : dict
        ``rows_used``, ``future_rows``, ``refund_rows``, ``customers``,
        ``customers_without_transactions``, ``customers_new_in_holdout``.
    note_items : list of (str, dict)
        The report's warnings as (English text with ``{placeholders}``, fields): kept structured so that a
        cached summary reads in the language of the report that uses it (:attr:`notes`).
    """

    table: pd.DataFrame
    period: str
    observation_end: _dt.date
    calibration_end: _dt.date | None = None
    holdout_daily: pd.DataFrame | None = None
    counts: dict = field(default_factory=dict)
    note_items: list = field(default_factory=list)
    #: how it was made, when a run cache made it (:meth:`clientlens.cache.RunCache.rfm_summary`): fits of this
    #: summary are then cached under the same key (:meth:`clientlens.cache.RunCache.btyd_fit`)
    source: dict | None = field(default=None, repr=False, compare=False)

    @property
    def notes(self) -> list[str]:
        """Sentences for the report's warnings section, in the report's language."""
        return [t(text, **{k: value(v) for k, v in fields.items()}) for text, fields in self.note_items]

    @property
    def no_clv_note(self) -> str | None:
        """The note on customers without qualifying transactions (who get no CLV from the transaction model
        alone), or None."""
        return next((n for (text, _), n in zip(self.note_items, self.notes) if text == _NO_CLV_NOTE), None)

    @property
    def holdout_length(self) -> float:
        """Length of the holdout in periods (0 without calibration)."""
        if self.calibration_end is None:
            return 0.0
        return float(_period_diff(self.period, _period_start(self.period, self.calibration_end),
                                  _period_start(self.period, self.observation_end)))

    def calibration(self) -> pd.DataFrame:
        """The calibration-period inputs of customers first seen before the calibration end.

        Columns ``frequency``, ``recency``, ``T``, ``monetary_value`` (calibration
        values) plus ``frequency_holdout``, ``value_holdout``,
        ``monetary_value_holdout`` and ``duration_holdout``.
        """
        if self.calibration_end is None:
            raise ParamsError("calibration_end was not given to rfm_summary: no calibration/holdout split")
        t = self.table[self.table["T_cal"].notna()]
        out = t[["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal"]].copy()
        out.columns = ["frequency", "recency", "T", "monetary_value"]
        for c in ("frequency_holdout", "value_holdout", "monetary_value_holdout", "duration_holdout"):
            out[c] = t[c]
        return out


def _period_start(period: str, d: _dt.date) -> _dt.date:
    if period == "day":
        return d
    if period == "week":
        return d - _dt.timedelta(days=d.weekday())
    return d.replace(day=1)


def _period_diff(period: str, a: _dt.date, b: _dt.date) -> int:
    """Whole periods from period start ``a`` to period start ``b``."""
    if period == "day":
        return (b - a).days
    if period == "week":
        return (b - a).days // 7
    return (b.year - a.year) * 12 + (b.month - a.month)


def _sql_period(period: str, col: str) -> str:
    if period == "day":
        return col
    return f"CAST(date_trunc('{period}', {col}) AS DATE)"


def _sql_diff(period: str, a: str, b: str) -> str:
    if period == "day":
        return f"date_diff('day', {a}, {b})"
    if period == "week":
        return f"(date_diff('day', {a}, {b}) // 7)"
    return f"date_diff('month', {a}, {b})"




def rfm_summary(
    source,
    *,
    as_of,
    period: str = "day",
    calibration_end=None,
    con: duckdb.DuckDBPyConnection | None = None,
    customer_col: str = "customer_id",
    date_col: str = "txn_date",
    amount_col: str = "amount",
    directions=("out",),
    categories=None,
    refunds: str = "drop",
    customers=None,
) -> RFMSummary:
    """Frequency, recency, T and monetary value per customer, computed in DuckDB.

    Parameters
    ----------
    source : BankData, SparkBank, pandas.DataFrame or str
        A :class:`clientlens.data.BankData` (its ``transactions`` view is used and
        its ``customers`` view gives the customer list), a DataFrame of
        transactions (registered in DuckDB), or the name of a table/view in ``con``.
    as_of : date or str
        Observation end (inclusive). Rows dated after it are excluded and counted.
    period : {"day", "week", "month"}
        Period unit of frequency, recency and T.
    calibration_end : date or str, optional
        End of the calibration window (inclusive); the holdout is
        (calibration_end, as_of]. The split is by period.
    con : duckdb connection, optional
        Needed when ``source`` is a table name; otherwise a new one (DataFrame)
        or the BankData's.
    customer_col, date_col, amount_col : str
        Column names in the source.
    directions : sequence of str or None
        Values of ``direction`` that count as transactions (default ``("out",)``:
        money the customer spends or moves out). Ignored when the source has no
        ``direction`` column; None uses every row.
    categories : sequence of str, optional
        Only rows with these ``category`` values count (default: all).
    refunds : {"drop", "net"}
        Rows with zero or negative amount (refunds, reversals): ``drop`` removes
        them before anything is counted; ``net`` keeps them as rows of their
        period (the period counts and its value is the net sum, as
        ``lifetimes`` does).
    customers : array-like, optional
        The whole customer list, to count customers without transactions (taken
        from the BankData's customers view when not given).

    Returns
    -------
    RFMSummary

    Raises
    ------
    ParamsError
        Unknown period or refunds value, calibration_end not before as_of.
    DataError
        Missing columns, no transactions up to as_of, or a holdout window
        outside the data.
    """
    from .spark_progress import stage_progress

    with stage_progress(source, "RFM summary"):   # progress lines of a Spark bank's jobs (none on DuckDB)
        return _rfm_summary(source, as_of=as_of, period=period, calibration_end=calibration_end, con=con,
                            customer_col=customer_col, date_col=date_col, amount_col=amount_col,
                            directions=directions, categories=categories, refunds=refunds, customers=customers)


def _rfm_summary(source, *, as_of, period, calibration_end, con, customer_col, date_col, amount_col, directions,
                 categories, refunds, customers) -> RFMSummary:
    if period not in PERIODS:
        raise ParamsError(f"period must be one of {list(PERIODS)}; got {period!r}")
    if refunds not in REFUNDS:
        raise ParamsError(f"refunds must be one of {list(REFUNDS)}; got {refunds!r}")
    as_of = _as_date("as_of", as_of)
    cal = _as_date("calibration_end", calibration_end) if calibration_end not in (None, "") else None
    if cal is not None and cal >= as_of:
        raise ParamsError(f"calibration_end must be before as_of ({as_of}); got {cal}")

    rel, con, customers_rel = _resolve_source(source, con, customers)
    cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
    for name, col in (("customer_col", customer_col), ("date_col", date_col), ("amount_col", amount_col)):
        if col not in cols:
            raise DataError(f"transactions: column '{col}' ({name}) is missing; columns: {', '.join(sorted(cols))}")
    where = []
    if directions is not None and "direction" in cols:
        where.append(f"direction IN ({', '.join(_lit(d) for d in directions)})")
    if categories:
        if "category" not in cols:
            raise DataError("transactions: column 'category' is missing but categories were given")
        where.append(f"category IN ({', '.join(_lit(c) for c in categories)})")
    where_sql = ("WHERE " + " AND ".join(where)) if where else ""
    d_expr = f"CAST({_q(date_col)} AS DATE)"
    asof_sql = f"DATE {_lit(as_of.isoformat())}"

    # one scan for the counts a reader should know about and the scale of exact sums
    amt = f"CAST({_q(amount_col)} AS DOUBLE)"
    keep = f"{d_expr} <= {asof_sql}" + (f" AND {amt} > 0" if refunds == "drop" else "")
    pre = con.execute(
        f"SELECT count(*) FILTER (WHERE {d_expr} > {asof_sql}), "
        f"count(*) FILTER (WHERE {d_expr} <= {asof_sql} AND {amt} <= 0), "
        f"count(*) FILTER (WHERE {d_expr} <= {asof_sql}), min({d_expr}), "
        f"max({d_expr}) FILTER (WHERE {d_expr} <= {asof_sql}), "
        f"count(*) FILTER (WHERE {_q(customer_col)} IS NULL OR {d_expr} IS NULL OR {amt} IS NULL "
        f"OR NOT ({amt} - {amt} = 0)), "  # non-finite: inf - inf and NaN - NaN are NaN (portable isfinite)
        f"min(abs({amt})) FILTER (WHERE {keep} AND {amt} <> 0), sum(abs({amt})) FILTER (WHERE {keep}) "
        f"FROM {rel} {where_sql}").fetchall()[0]
    future_rows, refund_rows, rows_in, first_day, last_day, null_rows, min_abs, sum_abs = pre
    if null_rows:
        raise DataError(f"transactions: {null_rows:,} row(s) with empty or non-finite {customer_col}, {date_col} "
                        f"or {amount_col}")
    if not rows_in:
        raise DataError(f"transactions: no qualifying transaction on or before as_of {as_of}"
                        + (f" (first is {first_day})" if first_day else ""))
    if cal is not None:
        if cal < first_day:
            raise DataError(f"calibration_end {cal} is before the first transaction ({first_day}): "
                            f"the calibration window has no data")
        if last_day <= cal:
            raise DataError(f"the holdout window ({cal}, {as_of}] is outside the data: the last transaction on or "
                            f"before as_of is on {last_day}")
    if refunds == "drop" and rows_in == refund_rows:
        raise DataError(f"transactions: every qualifying row up to as_of {as_of} has a zero or negative amount "
                        f"(refunds: drop leaves nothing)")
    k, exact = _sum_scale(min_abs, sum_abs)

    p_expr = _sql_period(period, d_expr)
    end_sql = f"DATE {_lit(_period_start(period, as_of).isoformat())}"
    cal_sql = None if cal is None else f"DATE {_lit(_period_start(period, cal).isoformat())}"
    cust = _q(customer_col)
    cust_types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT {cust} FROM {rel}").fetchall()}
    if cust_types.get(customer_col) != "VARCHAR":
        cust = f"CAST({cust} AS VARCHAR)"
    src = f"FROM {rel} {where_sql + (' AND ' if where_sql else 'WHERE ')}{keep}"
    per_sql = (f"SELECT {cust} AS customer_id, {p_expr} AS p, "
               f"{_sql_dec(_sql_round('sum(' + _sql_dec(amt + ' * ' + _dbl(2.0 ** k)) + ')'))} AS v "
               f"{src} GROUP BY ALL")
    agg_sql = _rfm_aggregates(period, k, end_sql, cal_sql)
    holdout_daily = None
    if cal_sql is None:
        res = con.execute(f"WITH per AS ({per_sql}) SELECT {agg_sql} FROM per GROUP BY customer_id "
                          f"ORDER BY customer_id").fetchnumpy()
    else:
        per_tbl = "_clv_per_" + uuid.uuid4().hex[:12]
        con.execute(f"CREATE TEMP TABLE {per_tbl} AS {per_sql}").fetchall()
        try:
            res = con.execute(f"SELECT {agg_sql} FROM {per_tbl} GROUP BY customer_id "
                              f"ORDER BY customer_id").fetchnumpy()
            holdout_daily = con.execute(f"""
                WITH f AS (SELECT customer_id FROM {per_tbl} GROUP BY customer_id HAVING min(p) <= {cal_sql})
                SELECT p AS date, count(*) AS transactions,
                       {_sql_round('sum(v)')} * {_dbl(2.0 ** -k)} AS value
                FROM {per_tbl} SEMI JOIN f USING (customer_id)
                WHERE p > {cal_sql}
                GROUP BY p ORDER BY p
            """).df()
        finally:
            con.execute(f"DROP TABLE IF EXISTS {per_tbl}").fetchall()
        holdout_daily["date"] = pd.to_datetime(holdout_daily["date"])
        holdout_daily["transactions"] = holdout_daily["transactions"].astype("int64")
    ids = res.pop("customer_id")
    table = pd.DataFrame({c: np.asarray(v, dtype="float64") for c, v in res.items()},
                         index=pd.Index(np.asarray(ids, dtype=object), dtype="str", name="customer_id"))
    if cal is not None:
        in_cal = table["T_cal"].to_numpy() >= 0
        cal_cols = [c for c in table.columns if c.endswith(("_cal", "_holdout"))]
        table.loc[~in_cal, cal_cols] = np.nan
        in_cal = pd.Series(in_cal, index=table.index)

    counts = {"rows_used": int(rows_in - (refund_rows if refunds == "drop" else 0)),
              "future_rows": int(future_rows), "refund_rows": int(refund_rows),
              "customers": int(len(table)), "sum_scale_exponent": int(k), "exact_sums": bool(exact)}
    notes = []
    if future_rows:
        notes.append(("{n:,} transaction row(s) dated after as_of {as_of} were excluded",
                      {"n": int(future_rows), "as_of": str(as_of)}))
    if refund_rows:
        notes.append(("{n:,} row(s) with zero or negative amount (refunds) were dropped (refunds: drop)"
                      if refunds == "drop" else
                      "{n:,} row(s) with zero or negative amount (refunds) were netted into their period (refunds: net)",
                      {"n": int(refund_rows)}))
    if not exact:
        notes.append(("amounts span too wide a range for exact summation: period and customer sums are rounded "
                      "to multiples of 2^-{k} (still independent of row order)", {"k": int(k)}))
    n_all = None
    if customers is not None:
        n_all = int(pd.Series(customers).astype(str).nunique())
    elif customers_rel is not None:
        n_all = int(con.execute(f"SELECT count(*) FROM {customers_rel}").fetchall()[0][0])
    if n_all is not None:
        n_none = max(n_all - len(table), 0)
        counts["customers_without_transactions"] = n_none
        from .activity import without_label

        # the name of this count (clientlens.activity): 'without outgoing transactions' for the default
        # filter, which differs from 00's 'without any transaction' (salary-only customers are counted here)
        counts["without_label"] = without_label(directions, categories)
        if n_none:
            notes.append((_NO_CLV_NOTE, {"n": n_none, "without": counts["without_label"], "as_of": str(as_of)}))
    if cal is not None:
        n_new = int((~in_cal).sum())
        counts["customers_new_in_holdout"] = n_new
        if n_new:
            notes.append(("{n:,} customer(s) made their first transaction in the holdout window: they are not "
                          "in the calibration fit or its validation", {"n": n_new}))
    return RFMSummary(table=table, period=period, observation_end=as_of, calibration_end=cal,
                      holdout_daily=holdout_daily, counts=counts, note_items=notes)


def _dbl(x: float) -> str:
    """A DOUBLE literal that parses back to exactly ``x``."""
    return f"CAST('{float(x)!r}' AS DOUBLE)"


_TWO62 = 4611686018427387904  # 2 ** 62


def _sql_dec(x: str) -> str:
    """SQL for the integral DOUBLE ``x`` (|x| < 2^124) as an exact ``DECIMAL(38, 0)``, on DuckDB and Spark.

    A direct ``CAST(x AS DECIMAL(38, 0))`` is exact in DuckDB but not in Spark (which goes through
    the shortest decimal string of the double). So ``x`` is split into ``hi * 2^62 + lo`` with
    ``hi`` = x / 2^62 truncated toward zero: both halves are integral DOUBLEs below 2^62 (``lo`` is
    the low bits of ``x``'s significand, exact in a DOUBLE) and convert exactly through BIGINT.
    DECIMAL(38, 0) is the portable spelling of DuckDB's HUGEINT (issue 16).
    """
    y = f"(({x}) * {_dbl(2.0 ** -62)})"
    hi = f"(sign({y}) * floor(abs({y})))"
    return (f"(CAST(CAST({hi} AS BIGINT) AS DECIMAL(38, 0)) * {_TWO62} "
            f"+ CAST(CAST(({x}) - {hi} * {_dbl(2.0 ** 62)} AS BIGINT) AS DECIMAL(38, 0)))")


def _sql_round(h: str) -> str:
    """SQL for DECIMAL(38, 0) ``h`` rounded correctly to the nearest DOUBLE (still in scaled units).

    DuckDB's HUGEINT -> DOUBLE cast is not always correctly rounded; ``hi`` is
    within a few ulps, the residual ``h - hi`` is then exact in a DOUBLE (for
    |h| < 2^103) and one IEEE addition rounds ``hi + residual = h`` correctly.
    """
    hi = f"CAST({h} AS DOUBLE)"
    return f"({hi} + CAST(({h}) - {_sql_dec(hi)} AS DOUBLE))"


def _sum_scale(min_abs, sum_abs) -> tuple[int, bool]:
    """Exponent ``k`` such that every amount is an integer multiple of 2^-k, and whether sums are exact.

    Amounts are summed as HUGEINT multiples of 2^-k, which is exact and so
    independent of row order and thread count (DuckDB's DOUBLE ``sum`` is
    neither). ``k`` makes the smallest non-zero |amount| (hence every amount)
    an integer; it is lowered when the total would overflow 128 bits, and
    sums are exact and correctly rounded while the total |amount| is below
    2^(103-k) (about 1.8e13 for amounts in cents).
    """
    if not min_abs or not sum_abs:
        return 0, True
    k_exact = 53 - math.frexp(float(min_abs))[1]       # ulp of the smallest amount is 2^-k_exact
    k_cap = 124 - math.frexp(float(sum_abs))[1]        # |total| * 2^k < 2^124: no HUGEINT overflow
    k = min(k_exact, k_cap)
    return k, bool(k == k_exact and math.frexp(float(sum_abs))[1] + k <= 102)


def _rfm_aggregates(period: str, k: int, end_sql: str, cal_sql: str | None) -> str:
    """Per-customer select list over the customer-period table ``(customer_id, p, v)``.

    ``v`` is each period's total as an exact HUGEINT multiple of 2^-k, already
    rounded to a DOUBLE value (lifetimes sums each period, then averages the
    repeat periods: same two steps, each correctly rounded here).
    """
    inv = _dbl(2.0 ** -k)

    def mean(total: str, n: str) -> str:
        return f"CASE WHEN {n} > 0 THEN {_sql_round(total)} * {inv} / ({n}) ELSE 0 END"

    first_v = "arg_min(v, p)"
    cols = [
        "customer_id",
        "CAST(count(*) - 1 AS DOUBLE) AS frequency",
        f"CAST({_sql_diff(period, 'min(p)', 'max(p)')} AS DOUBLE) AS recency",
        f"CAST({_sql_diff(period, 'min(p)', end_sql)} AS DOUBLE) AS T",
        f"{mean(f'sum(v) - {first_v}', 'count(*) - 1')} AS monetary_value",
    ]
    if cal_sql is not None:
        n_cal = f"count(*) FILTER (WHERE p <= {cal_sql})"
        n_hold = f"count(*) FILTER (WHERE p > {cal_sql})"
        s_cal = f"coalesce(sum(v) FILTER (WHERE p <= {cal_sql}), 0)"
        s_hold = f"coalesce(sum(v) FILTER (WHERE p > {cal_sql}), 0)"
        cols += [
            f"CAST({n_cal} - 1 AS DOUBLE) AS frequency_cal",
            f"CAST({_sql_diff(period, 'min(p)', f'max(p) FILTER (WHERE p <= {cal_sql})')} AS DOUBLE) AS recency_cal",
            f"CAST({_sql_diff(period, 'min(p)', cal_sql)} AS DOUBLE) AS T_cal",
            f"{mean(f'{s_cal} - {first_v}', f'{n_cal} - 1')} AS monetary_value_cal",
            f"CAST({n_hold} AS DOUBLE) AS frequency_holdout",
            f"{_sql_round(s_hold)} * {inv} AS value_holdout",
            f"{mean(s_hold, n_hold)} AS monetary_value_holdout",
            f"CAST({_sql_diff(period, cal_sql, end_sql)} AS DOUBLE) AS duration_holdout",
        ]
    return ", ".join(cols)


def _resolve_source(source, con, customers):
    """(relation SQL, connection, customers relation or None)."""
    from .data import BankData
    from .engine import SparkBank

    if isinstance(source, (BankData, SparkBank)):  # the same SQL on DuckDB or Spark (clientlens.engine)
        if not source.has("transactions"):
            raise DataError(f"{source.data_dir}: table 'transactions' is not available")
        cust = "customers" if (customers is None and source.has("customers")) else None
        return "transactions", source.con, cust
    if isinstance(source, pd.DataFrame):
        if con is None:
            from .data import connect

            con = connect()
        con.register("_clv_transactions", source)
        return "_clv_transactions", con, None
    if isinstance(source, str):
        if con is None:
            raise ParamsError("con must be given when source is a table name")
        return _q(source), con, None
    raise ParamsError(f"source must be BankData, a DataFrame or a table name; got {type(source).__name__}")


# ---------------------------------------------------------------------------
# BTYD transaction models
# ---------------------------------------------------------------------------

def compress(frame: pd.DataFrame, cols) -> tuple[pd.DataFrame, np.ndarray]:
    """Unique rows of ``frame[cols]`` with a ``weight`` column, and the inverse index of each row.

    Rows come out sorted lexicographically by ``cols`` (as ``np.unique(axis=0)``),
    by one ``np.lexsort`` (several times faster than ``np.unique(axis=0)``).
    """
    cols = list(cols)
    values = frame[cols].to_numpy(dtype="float64")
    n = len(values)
    if n == 0:
        out = pd.DataFrame(np.empty((0, len(cols))), columns=cols)
        out["weight"] = np.empty(0, dtype="int64")
        return out, np.empty(0, dtype="intp")
    order = np.lexsort(values.T[::-1])
    s = values[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    inverse = np.empty(n, dtype="intp")
    inverse[order] = np.cumsum(new) - 1
    out = pd.DataFrame(s[new], columns=cols)
    out["weight"] = np.diff(np.append(np.flatnonzero(new), n))
    return out, inverse


def _fit_from_starts(fit_one, starts, label: str, penalizer: float, hint: str = ""):
    """Call ``fit_one(x0)`` for each start until one converges to finite positive parameters.

    lifetimes' BFGS fits can stop with "precision loss" from one start and
    converge from another; the starts are tried in order (deterministic).
    Returns the fitted lifetimes fitter; raises ClientLensError when all fail.
    """
    from lifetimes.utils import ConvergenceError

    reason = "no start"
    for x0 in starts:
        try:
            with _quiet():
                fitter = fit_one(x0)
        except (ConvergenceError, np.linalg.LinAlgError, FloatingPointError, ValueError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            continue
        vals = [float(v) for v in fitter.params_.values]
        if all(np.isfinite(v) and v > 0 for v in vals):
            return fitter
        reason = "parameters " + ", ".join(f"{k}={v:.4g}" for k, v in fitter.params_.items())
    raise ClientLensError(f"{label} fit did not converge ({reason}); try a larger penalizer "
                          f"(penalizer = {penalizer}){hint}")


def _subsample(frame: pd.DataFrame, size: int, random_state) -> pd.DataFrame:
    rng = np.random.default_rng(0 if random_state is None else random_state)
    return frame.iloc[np.sort(rng.choice(len(frame), size=size, replace=False))]


def _check_rfm(frame: pd.DataFrame, need=("frequency", "recency", "T")) -> None:
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"RFM table: column '{missing[0]}' is missing (need {', '.join(need)})")
    if len(frame) == 0:
        raise DataError("RFM table is empty: no customer with a transaction to fit")
    f, r, t = (frame[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    if np.isnan(f).any() or np.isnan(r).any() or np.isnan(t).any():
        raise DataError("RFM table: frequency, recency or T has missing values")
    if (f < 0).any() or (r < 0).any() or (r > t).any() or ((f == 0) & (r != 0)).any():
        raise DataError("RFM table: needs frequency >= 0, 0 <= recency <= T and recency = 0 when frequency = 0")


#: The distinct (frequency, x) pairs of the arrays of the fit in progress, by identity (see _per_distinct_pair).
_PAIRS: list = []


def _per_distinct_pair(fn, freq, x):
    """``fn(freq, x)`` elementwise, evaluated once per distinct (freq, x) pair and spread back to every element.

    The same values as ``fn(freq, x)`` to the last bit (the same elementwise operations on the same
    inputs). The pairs of the arrays of a fit are found once and kept while the same array objects come
    back (an optimizer calls the likelihood a few hundred times with the same data); small or scalar
    inputs are evaluated directly.
    """
    if np.ndim(freq) == 0 or np.ndim(x) == 0 or np.size(x) < 10_000 or np.shape(freq) != np.shape(x):
        return fn(freq, x)
    for a, b, pf, px, inverse in _PAIRS:
        if a is freq and b is x:
            return fn(pf, px)[inverse]
    pairs, inverse = compress(pd.DataFrame({"f": np.asarray(freq, "float64"), "x": np.asarray(x, "float64")}),
                              ("f", "x"))
    pf, px = pairs["f"].to_numpy(), pairs["x"].to_numpy()
    _PAIRS[:] = _PAIRS[-3:] + [(freq, x, pf, px, inverse)]   # the arrays are held, so their ids are not reused
    return fn(pf, px)[inverse]


def _stable_pareto_class():
    """lifetimes' ParetoNBDFitter with a numerically stable log A_0.

    lifetimes evaluates 2F1(r+s+x, t; r+s+x+1; z) directly, which overflows to
    inf (NaN likelihoods, garbage fits) for customers with many repeat periods,
    e.g. daily data. Euler's transformation 2F1(a, b; c; z) = (1-z)^(c-a-b)
    2F1(c-a, c-b; c; z) with c = a + 1 gives the same value from
    2F1(1, a+1-b; a+1; z), which stays finite; the rest of the fitter is unchanged.
    """
    from lifetimes import ParetoNBDFitter
    from scipy.special import hyp2f1

    def log_term(params, freq, x):
        """log(2F1 term) - (r+s+x) log(max(alpha, beta) + x) of A_0 at time ``x`` (recency or age)."""
        r, alpha, s, beta = params
        if alpha < beta:
            lo, hi, t = alpha, beta, r + freq
        else:
            lo, hi, t = beta, alpha, s + 1
        rsf = r + s + freq
        q = hi + x
        z = (hi - lo) / q
        return (1 - t) * np.log1p(-z) + np.log(hyp2f1(1.0, rsf + 1.0 - t, rsf + 1.0, z)) - rsf * np.log(q)

    class StableParetoNBDFitter(ParetoNBDFitter):
        @staticmethod
        def _log_A_0(params, freq, recency, age):
            # each term depends on (frequency, recency) or (frequency, age) alone: evaluated once per distinct
            # pair (about 8x fewer than customers' patterns at 1M; hyp2f1 is most of a likelihood's cost)
            a_ = _per_distinct_pair(lambda f, x: log_term(params, f, x), freq, recency)
            b_ = _per_distinct_pair(lambda f, x: log_term(params, f, x), freq, age)
            return a_ + np.log1p(-np.exp(np.minimum(b_ - a_, 0.0)))

        @staticmethod
        def _conditional_log_likelihood(params, freq, rec, T):
            r, alpha, s, beta = params
            x = freq
            A_1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            log_A_0 = StableParetoNBDFitter._log_A_0(params, x, rec, T)
            A_2 = np.logaddexp(-(r + x) * np.log(alpha + T) - s * np.log(beta + T),
                               np.log(s) + log_A_0 - np.log(r + s + x))
            return A_1 + A_2

        @staticmethod
        def _negative_log_likelihood(params, freq, rec, T, weights, penalizer_coef):
            if np.any(np.asarray(params) <= 0.0):
                return np.inf
            ll = StableParetoNBDFitter._conditional_log_likelihood(params, freq, rec, T)
            penalizer_term = penalizer_coef * sum(np.asarray(params) ** 2)
            return -(weights * ll).sum() / weights.mean() + penalizer_term

    return StableParetoNBDFitter


def _fitter(model: str, penalizer: float):
    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter

    if model == "pareto_nbd":
        return _stable_pareto_class()(penalizer_coef=penalizer)
    return {"bgnbd": BetaGeoFitter, "mbgnbd": ModifiedBetaGeoFitter}[model](penalizer_coef=penalizer)


@contextlib.contextmanager
def _quiet():
    """Silence lifetimes' prints and numerical warnings during a fit."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


class BTYDModel:
    """A BTYD model of repeat transactions (BG/NBD, Pareto/NBD or MBG/NBD) on lifetimes' fitters.

    Identical (frequency, recency, T) rows are fitted once with a weight (the
    number of customers sharing them), so large bases fit fast.

    Parameters
    ----------
    model : {"bgnbd", "pareto_nbd", "mbgnbd"}
    penalizer : float
        L2 penalty on the parameters (lifetimes' ``penalizer_coef``); 0 = maximum likelihood.
    tol : float, optional
        Optimizer tolerance (lifetimes' defaults: 1e-7 for BG/MBG, 1e-4 for Pareto/NBD).
    random_state : int, optional
        Seed of the subsample that gives starting values (0 when None); the
        optimizers themselves are deterministic (Pareto/NBD's fallback start
        is fixed, not lifetimes' random one).
    init_subsample : int
        Above this many customers, start the full fit from a fit on a random
        subsample of this size (0 = never).

    Attributes
    ----------
    params_ : dict
        Fitted parameters in the period unit of the input.
    log_likelihood_ : float
        Total log-likelihood of the data (unpenalized, original time units).
    n_customers_, n_patterns_ : int
        Customers fitted and distinct (frequency, recency, T) patterns.
    fitter_ : lifetimes fitter
    """

    def __init__(self, model: str = "bgnbd", penalizer: float = 0.0, tol: float | None = None,
                 random_state: int | None = None, init_subsample: int = 50_000):
        self.model = model
        self.penalizer = penalizer
        self.tol = tol
        self.random_state = random_state
        self.init_subsample = init_subsample

    @property
    def label(self) -> str:
        return MODEL_LABELS.get(self.model, self.model)

    def _x0(self, params: dict, scale: float) -> np.ndarray:
        """lifetimes' optimizer start from parameters in data units (time scaled by ``scale``)."""
        if self.model == "pareto_nbd":
            return np.array([params["r"], params["alpha"] * scale, params["s"], params["beta"] * scale])
        return np.log([params["r"], params["alpha"] * scale, params["a"], params["b"]])

    def fit(self, rfm: pd.DataFrame) -> "BTYDModel":
        """Fit on a frame with ``frequency``, ``recency``, ``T`` (one row per customer).

        With more than ``init_subsample`` customers, a fit on a random
        subsample (``random_state``; 0 when None) gives the starting values of
        the full fit, which then needs few iterations. Fallback starts, tried
        in order when BFGS stops without converging: lifetimes' own, all
        parameters 1, and a moment start (r = 1, alpha = 1 / mean rate).
        """
        if self.model not in MODELS:
            raise ParamsError(f"model must be one of {list(MODELS)}; got {self.model!r}")
        if not isinstance(self.penalizer, (int, float)) or self.penalizer < 0:
            raise ParamsError(f"penalizer must be >= 0; got {self.penalizer!r}")
        _check_rfm(rfm)
        comp, _ = compress(rfm, ("frequency", "recency", "T"))
        if (comp["T"] <= 0).all():
            raise DataError("RFM table: every customer has T = 0 (all first transactions on the observation end)")
        comp = comp[comp["T"] > 0]  # a customer first seen in the last period carries no information
        f, r, t, w = (comp[c].to_numpy() for c in ("frequency", "recency", "T", "weight"))
        scale = 1.0 / t.max()  # lifetimes fits in time units scaled so that max(T) = 1
        starts = []
        if self.init_subsample and len(rfm) > self.init_subsample and len(comp) > self.init_subsample // 10:
            try:
                sub = BTYDModel(self.model, self.penalizer, self.tol, self.random_state, init_subsample=0).fit(
                    _subsample(rfm, self.init_subsample, self.random_state))
                starts.append(self._x0(sub.params_, scale))
            except (ClientLensError, DataError):
                pass
        if self.model == "pareto_nbd":
            starts.append(np.ones(4))  # fixed, not lifetimes' random start: deterministic fits
        else:
            # lifetimes' start, then all parameters 1 (scaled time), then a moment start (mean rate)
            rate = float(np.average(f, weights=w) + 1) / float(np.average(t * scale, weights=w))
            starts += [None, np.zeros(4), np.log([1.0, 1.0 / rate, 1.0, 1.0])]
        kw = {} if self.tol is None else {"tol": self.tol}

        def fit_one(x0):
            return _fitter(self.model, float(self.penalizer)).fit(f, r, t, weights=w, initial_params=x0, **kw)

        fitter = _fit_from_starts(fit_one, starts, self.label, self.penalizer, " or a coarser period")
        self.fitter_ = fitter
        self.params_ = {k: float(v) for k, v in fitter.params_.items()}
        self.n_customers_ = int(comp["weight"].sum())
        self.n_patterns_ = int(len(comp))
        self.n_starts_ = len(starts)
        self.log_likelihood_ = float(self._loglik(comp))
        return self

    _STATE = ("params_", "n_customers_", "n_patterns_", "n_starts_", "log_likelihood_")

    def state(self) -> dict:
        """The fitted state as plain JSON values (restored exactly by :meth:`from_state`)."""
        self._check_fitted()
        return {"model": self.model, "penalizer": self.penalizer, "tol": self.tol, "random_state": self.random_state,
                "init_subsample": self.init_subsample, **{k: getattr(self, k) for k in self._STATE},
                "params_": [[k, v] for k, v in self.params_.items()]}    # pairs: JSON keeps their order

    @classmethod
    def from_state(cls, state: dict) -> "BTYDModel":
        """A fitted model from :meth:`state`: the same parameters to the last bit, so the same predictions."""
        m = cls(state["model"], state["penalizer"], state["tol"], state["random_state"], state["init_subsample"])
        for k in cls._STATE:
            setattr(m, k, state[k])
        m.params_ = {str(k): float(v) for k, v in state["params_"]}
        fitter = _fitter(m.model, float(m.penalizer))
        fitter.params_ = pd.Series(m.params_)
        m.fitter_ = fitter
        return m

    def _loglik(self, comp: pd.DataFrame) -> float:
        x, tx, T, w = (comp[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T", "weight"))
        p = [self.params_[k] for k in MODEL_PARAMS[self.model]]
        with _quiet():
            if self.model == "pareto_nbd":
                ll = type(self.fitter_)._conditional_log_likelihood(np.asarray(p), x, tx, T)
                return float((w * ll).sum())
            nll = type(self.fitter_)._negative_log_likelihood(np.log(p), x, tx, T, w, 0.0)
            return float(-nll * w.sum())

    def _check_fitted(self):
        if not hasattr(self, "fitter_"):
            raise ClientLensError(f"{self.label} model is not fitted: call fit first")

    def _unique_apply(self, rfm: pd.DataFrame, fn, patterns: tuple | None = None) -> np.ndarray:
        """``fn(frequency, recency, T)`` once per distinct pattern, spread to ``rfm``'s rows (``patterns``: the
        :func:`compress` of ``rfm`` when already made)."""
        comp, inv = patterns if patterns is not None else compress(rfm, ("frequency", "recency", "T"))
        with _quiet():
            vals = np.asarray(fn(comp["frequency"].to_numpy(), comp["recency"].to_numpy(), comp["T"].to_numpy()),
                              dtype="float64")
        return vals[inv]

    def expected_transactions(self, t: float, rfm: pd.DataFrame, *, patterns: tuple | None = None) -> np.ndarray:
        """Expected transaction periods in the next ``t`` periods, given each customer's history
        (``patterns``: ``compress(rfm, ("frequency", "recency", "T"))`` when already made, e.g. for many ``t``)."""
        self._check_fitted()
        if t <= 0:
            return np.zeros(len(rfm))
        return self._unique_apply(
            rfm, lambda f, r, T: self.fitter_.conditional_expected_number_of_purchases_up_to_time(t, f, r, T),
            patterns)

    def p_alive(self, rfm: pd.DataFrame) -> np.ndarray:
        """Probability that each customer is still active at the end of their history."""
        self._check_fitted()
        return self._unique_apply(rfm, lambda f, r, T: self.fitter_.conditional_probability_alive(f, r, T))

    def pmf(self, n_max: int, t) -> np.ndarray:
        """P(X(t) = n) for n = 0..n_max-1 and the tail P(X(t) >= n_max), for each t (rows).

        Analytic for BG/NBD (Fader, Hardie and Lee 2005, eq. 8) and MBG/NBD
        (Batislam et al. 2007); by simulation (seeded) for Pareto/NBD.
        """
        self._check_fitted()
        t = np.atleast_1d(np.asarray(t, dtype="float64"))
        if self.model == "pareto_nbd":
            return _pareto_pmf_sim(self.params_, n_max, t, self.random_state)
        r, alpha, a, b = (self.params_[k] for k in ("r", "alpha", "a", "b"))
        return _bg_pmf(r, alpha, a, b, n_max, t, modified=self.model == "mbgnbd")


def _bg_pmf(r, alpha, a, b, n_max, t, modified=False):
    """BG/NBD (or MBG/NBD) P(X(t)=x), x < n_max, plus tail; shape (len(t), n_max + 1)."""
    t = t[:, None]
    x = np.arange(n_max)[None, :]
    lq = np.log(alpha) - np.log(alpha + t)          # log(alpha/(alpha+t))
    lp = np.log(t) - np.log(alpha + t) if np.all(t > 0) else np.log(np.maximum(t, 1e-300)) - np.log(alpha + t)
    # NBD term Γ(r+j)/(Γ(r) j!) q^r p^j
    def nb(j):
        return np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * lq + j * lp)
    shift = 1 if modified else 0
    first = np.exp(betaln(a, b + x + shift) - betaln(a, b)) * nb(x)
    cum = np.cumsum(nb(np.arange(n_max)[None, :]), axis=1)  # sum_{j<=k}
    cum_before = np.concatenate([np.zeros((t.shape[0], 1)), cum[:, :n_max - 1]], axis=1)  # sum_{j<x}
    if modified:
        second = np.exp(betaln(a + 1, b + x) - betaln(a, b)) * (1 - cum_before)
    else:
        second = np.where(x > 0, np.exp(betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b)) * (1 - cum_before), 0.0)
    probs = np.clip(first + second, 0, 1)
    tail = np.clip(1 - probs.sum(axis=1, keepdims=True), 0, 1)
    return np.concatenate([probs, tail], axis=1)


def _pareto_pmf_sim(params, n_max, t, random_state, n_sim=20_000):
    rng = np.random.default_rng(random_state)
    lam = rng.gamma(params["r"], 1 / params["alpha"], n_sim)
    mu = rng.gamma(params["s"], 1 / params["beta"], n_sim)
    life = rng.exponential(1 / mu)
    out = np.empty((len(t), n_max + 1))
    for i, ti in enumerate(t):
        n = rng.poisson(lam * np.minimum(life, ti))
        out[i] = np.bincount(np.minimum(n, n_max), minlength=n_max + 1)[: n_max + 1] / n_sim
    return out


def simulate_bgnbd(n_customers: int, T, r: float, alpha: float, a: float, b: float,
                   random_state: int | None = None) -> pd.DataFrame:
    """Simulate BG/NBD customers observed for ``T`` periods (scalar or array): frequency, recency, T.

    Each customer has ``lambda ~ Gamma(r, alpha)`` and ``p ~ Beta(a, b)``; after
    the first transaction at time 0, inter-transaction times are exponential
    with rate ``lambda`` and after each transaction the customer drops out with
    probability ``p``. Transactions are continuous-time (no period rounding).
    """
    rng = np.random.default_rng(random_state)
    T = np.broadcast_to(np.asarray(T, dtype="float64"), (n_customers,)).copy()
    lam = rng.gamma(r, 1 / alpha, n_customers)
    p = rng.beta(a, b, n_customers)
    freq = np.zeros(n_customers)
    rec = np.zeros(n_customers)
    now = np.zeros(n_customers)
    active = np.ones(n_customers, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1 / lam[idx])
        ok = now[idx] <= T[idx]
        hit = idx[ok]
        freq[hit] += 1
        rec[hit] = now[hit]
        active[idx[~ok]] = False
        dies = rng.random(hit.size) < p[hit]
        active[hit[dies]] = False
    return pd.DataFrame({"frequency": freq, "recency": rec, "T": T})


# ---------------------------------------------------------------------------
# Spend model
# ---------------------------------------------------------------------------

def frequency_spend_check(rfm: pd.DataFrame, max_abs_corr: float = 0.3) -> dict:
    """Gamma-Gamma's independence assumption: Pearson correlation of frequency and monetary value.

    On customers with at least one repeat period and positive monetary value.
    Returns ``{"pearson_r", "n", "independent"}``; ``independent`` is True when
    |r| < ``max_abs_corr`` (default 0.3: weak correlation is acceptable).
    """
    m = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
    if len(m) < 3:
        return {"pearson_r": float("nan"), "n": int(len(m)), "independent": False}
    r = float(np.corrcoef(m["frequency"].to_numpy(float), m["monetary_value"].to_numpy(float))[0, 1])
    return {"pearson_r": r, "n": int(len(m)), "independent": bool(abs(r) < max_abs_corr)}


class SpendModel:
    """Gamma-Gamma model of mean spend per transaction period (lifetimes' GammaGammaFitter).

    Fitted on customers with ``frequency > 0`` and ``monetary_value > 0``;
    identical (frequency, monetary_value) rows are fitted once with a weight.

    Parameters
    ----------
    penalizer : float
        L2 penalty (lifetimes' ``penalizer_coef``).
    max_abs_corr : float
        Independence check threshold on |Pearson r| of frequency and spend.
    random_state : int, optional
        Seed of the subsample that gives starting values (0 when None).
    init_subsample : int
        Above this many customers, start the full fit from a fit on a random
        subsample of this size (0 = never).

    Attributes
    ----------
    params_ : dict
        ``p``, ``q``, ``gamma`` (lifetimes calls the scale ``v``).
    n_customers_ : int
    n_excluded_ : int
        Customers with a repeat period but monetary value <= 0 (net refunds), left out.
    independence_ : dict
        :func:`frequency_spend_check` of the fitted data.
    population_mean_ : float
        Expected spend of a customer with no repeat history, ``p * gamma / (q - 1)``.
    """

    def __init__(self, penalizer: float = 0.0, max_abs_corr: float = 0.3, random_state: int | None = None,
                 init_subsample: int = 50_000):
        self.penalizer = penalizer
        self.max_abs_corr = max_abs_corr
        self.random_state = random_state
        self.init_subsample = init_subsample

    def fit(self, rfm: pd.DataFrame) -> "SpendModel":
        """Fit on customers with ``frequency > 0`` and ``monetary_value > 0``.

        Starts: a fit on a random subsample of ``init_subsample`` customers
        (when there are more), lifetimes' default start, then a moment start
        (p = 1, q = 3, gamma = 2 x mean spend); the first that converges wins.
        """
        from lifetimes import GammaGammaFitter

        if not isinstance(self.penalizer, (int, float)) or self.penalizer < 0:
            raise ParamsError(f"penalizer must be >= 0; got {self.penalizer!r}")
        for c in ("frequency", "monetary_value"):
            if c not in rfm.columns:
                raise DataError(f"RFM table: column '{c}' is missing (need frequency, monetary_value)")
        rep = rfm[rfm["frequency"] > 0]
        m = rep[rep["monetary_value"] > 0]
        self.n_excluded_ = int(len(rep) - len(m))
        if len(m) < 10:
            raise DataError(f"Gamma-Gamma needs customers with repeat transactions and positive spend; "
                            f"found {len(m)}")
        comp, _ = compress(m, ("frequency", "monetary_value"))
        x, mv, w = (comp[c].to_numpy() for c in ("frequency", "monetary_value", "weight"))
        starts = []
        if self.init_subsample and len(m) > self.init_subsample:
            try:
                sub = SpendModel(self.penalizer, self.max_abs_corr, self.random_state, init_subsample=0).fit(
                    _subsample(m, self.init_subsample, self.random_state))
                starts.append(np.log([sub.params_["p"], sub.params_["q"], sub.params_["gamma"]]))
            except (ClientLensError, DataError):
                pass
        starts += [None, np.log([1.0, 3.0, 2.0 * float(np.average(mv, weights=w))])]

        def fit_one(x0):
            return GammaGammaFitter(penalizer_coef=float(self.penalizer)).fit(x, mv, weights=w, initial_params=x0)

        fitter = _fit_from_starts(fit_one, starts, "Gamma-Gamma", self.penalizer)
        p, q, v = (float(fitter.params_[k]) for k in ("p", "q", "v"))
        if q <= 1:
            raise ClientLensError(f"Gamma-Gamma fit gives q = {q:.3f} <= 1 (infinite mean spend); "
                                  f"try a larger penalizer or check extreme amounts")
        self.fitter_ = fitter
        self.params_ = {"p": p, "q": q, "gamma": v}
        self.n_customers_ = int(len(m))
        self.independence_ = frequency_spend_check(m, self.max_abs_corr)
        self.population_mean_ = p * v / (q - 1)
        return self

    def expected_spend(self, rfm: pd.DataFrame) -> np.ndarray:
        """Conditional expected mean spend per transaction period (population mean without repeat history)."""
        if not hasattr(self, "fitter_"):
            raise ClientLensError("Gamma-Gamma model is not fitted: call fit first")
        p, q, v = self.params_["p"], self.params_["q"], self.params_["gamma"]
        x = rfm["frequency"].to_numpy(dtype="float64")
        m = rfm["monetary_value"].to_numpy(dtype="float64")
        ok = (x > 0) & (m > 0)
        xw = np.where(ok, x, 0.0)
        w = p * xw / (p * xw + q - 1)
        return (1 - w) * self.population_mean_ + w * np.where(ok, m, 0.0)


# ---------------------------------------------------------------------------
# Model comparison and validation
# ---------------------------------------------------------------------------

def compare_models(rfm: RFMSummary, models=MODELS, penalizer: float = 0.0, random_state: int | None = None,
                   fit=None) -> tuple[pd.DataFrame, dict]:
    """Fit each model on the calibration window and score it on the holdout.

    ``fit`` (optional): ``fit(model, "calibration")`` returns the fitted :class:`BTYDModel` (e.g. from a run
    cache, :meth:`clientlens.cache.RunCache.btyd_fit`); default: fitted here with ``penalizer`` and
    ``random_state``.

    Returns
    -------
    table : DataFrame
        One row per model: ``model``, ``params``, ``log_likelihood``, ``aic``,
        ``bic`` (calibration), ``predicted``/``actual`` holdout transaction
        periods (totals), ``total_error_pct``, ``mae``, ``rmse`` per customer.
    fitted : dict
        ``{model: fitted BTYDModel}`` (calibration fits).
    """
    cal = rfm.calibration()
    dur = rfm.holdout_length
    rows, fitted = [], {}
    for name in models:
        m = fit(name, "calibration") if fit is not None else \
            BTYDModel(name, penalizer=penalizer, random_state=random_state).fit(cal)
        fitted[name] = m
        pred = m.expected_transactions(dur, cal)
        act = cal["frequency_holdout"].to_numpy(float)
        k, n = len(m.params_), m.n_customers_
        rows.append({
            "model": m.label,
            "params": ", ".join(f"{k_}={v:.4g}" for k_, v in m.params_.items()),
            "log_likelihood": m.log_likelihood_,
            "aic": 2 * k - 2 * m.log_likelihood_,
            "bic": k * np.log(n) - 2 * m.log_likelihood_,
            "predicted": float(pred.sum()),
            "actual": float(act.sum()),
            "total_error_pct": float(100 * (pred.sum() - act.sum()) / act.sum()) if act.sum() else float("nan"),
            "mae": float(np.abs(pred - act).mean()),
            "rmse": float(np.sqrt(((pred - act) ** 2).mean())),
        })
    return pd.DataFrame(rows), fitted


def frequency_bins(frequency, n_max: int = 7, max_bins: int = 12) -> list[int]:
    """Left edges of repeat-period bins for the validation charts; the last edge starts the tail.

    Weekly or monthly data keep one bin per count ``0 .. n_max-1`` plus ``n_max+`` (the
    lifetimes convention). Daily data, where most customers repeat far more than 7 times,
    get roughly geometric edges ``0, 1, 2, 3, 5, 8, 13, ...`` up to the 90th percentile of
    frequency, so the tail bar holds about a tenth of the customers instead of most of them.
    """
    f = np.asarray(frequency, dtype=float)
    top = float(np.quantile(f, 0.9)) if f.size else 0.0
    if top <= n_max:
        return list(range(n_max + 1))
    edges = [0, 1, 2, 3]
    while edges[-1] < top and len(edges) < max_bins:
        edges.append(int(round(edges[-1] * 1.6)) if edges[-1] >= 3 else edges[-1] + 1)
    return edges


def _bin_labels(edges: list[int]) -> list[str]:
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        labels.append(str(lo) if hi == lo + 1 else f"{lo}-{hi - 1}")
    return labels + [f"{edges[-1]}+"]


def _bin_index(freq: np.ndarray, edges: list[int]) -> np.ndarray:
    return np.searchsorted(np.asarray(edges), freq, side="right") - 1


def period_transactions(rfm: pd.DataFrame, model: BTYDModel, n_max: int = 7,
                        edges: list[int] | None = None) -> pd.DataFrame:
    """Customers by number of repeat periods: observed vs expected under the fitted model.

    Expected counts sum P(X(T_i) = x) over customers (on distinct T values), then over the
    bins given by ``edges`` (left edges, the last one opens the tail; default
    :func:`frequency_bins`, which is ``0..n_max-1, n_max+`` for weekly data).
    """
    freq = rfm["frequency"].to_numpy(int)
    edges = frequency_bins(freq, n_max) if edges is None else list(edges)
    T = rfm["T"].to_numpy(float)
    uT, cnt = np.unique(T, return_counts=True)
    tail = edges[-1]
    probs = model.pmf(tail, uT)                      # columns 0..tail-1 and the tail P(X >= tail)
    per_x = (probs * cnt[:, None]).sum(axis=0)
    expected = [per_x[lo:hi].sum() for lo, hi in zip(edges[:-1], edges[1:])] + [per_x[tail]]
    observed = np.bincount(_bin_index(freq, edges), minlength=len(edges))[: len(edges)]
    return pd.DataFrame({"repeat_transactions": _bin_labels(edges), "observed": observed.astype(float),
                         "expected": np.asarray(expected, dtype=float)})


def calibration_vs_holdout(rfm: RFMSummary, model: BTYDModel, n_max: int = 7,
                           edges: list[int] | None = None) -> pd.DataFrame:
    """Mean actual vs predicted holdout transactions by calibration frequency bin (see :func:`frequency_bins`)."""
    cal = rfm.calibration()
    pred = model.expected_transactions(rfm.holdout_length, cal)
    freq = cal["frequency"].to_numpy(int)
    edges = frequency_bins(freq, n_max) if edges is None else list(edges)
    df = pd.DataFrame({"f": _bin_index(freq, edges), "actual": cal["frequency_holdout"].to_numpy(float),
                       "predicted": pred})
    g = df.groupby("f").agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
    labels = _bin_labels(edges)
    g.index = [labels[i] for i in g.index]
    g.index.name = "calibration_frequency"
    return g.reset_index()


def holdout_tracking(rfm: RFMSummary, model: BTYDModel, step_days: int = 7) -> pd.DataFrame:
    """Actual vs predicted transaction periods of calibration customers through the holdout.

    One row per step (default weekly) ending at ``date``: ``actual``,
    ``predicted`` (conditional expectation increments), and their cumulative sums.
    """
    if rfm.calibration_end is None:
        raise ParamsError("holdout_tracking needs an RFM summary with calibration_end")
    cal = rfm.calibration()
    pdays = PERIOD_DAYS[rfm.period]
    start = pd.Timestamp(_period_start(rfm.period, rfm.calibration_end))
    end = pd.Timestamp(_period_start(rfm.period, rfm.observation_end))
    total_days = (end - start).days if rfm.period != "month" else rfm.holdout_length * pdays
    edges = list(np.arange(step_days, total_days, step_days, dtype=float)) + [float(total_days)]
    patterns = compress(cal, ("frequency", "recency", "T"))     # once for every step
    cum_pred = np.array([model.expected_transactions(d / pdays, cal, patterns=patterns).sum() for d in edges])
    daily = rfm.holdout_daily
    days_since = (daily["date"] - start).dt.days.to_numpy()
    cum_act = np.array([daily["transactions"].to_numpy()[days_since <= d].sum() for d in edges], dtype=float)
    out = pd.DataFrame({
        "date": [start + pd.Timedelta(days=float(d)) for d in edges],
        "days": edges,
        "actual": np.diff(cum_act, prepend=0.0),
        "predicted": np.diff(cum_pred, prepend=0.0),
        "cum_actual": cum_act,
        "cum_predicted": cum_pred,
    })
    return out


def holdout_by_decile(rfm: RFMSummary, model: BTYDModel, spend: SpendModel, n_groups: int = 10) -> pd.DataFrame:
    """Holdout error by decile of predicted holdout value (decile 1 = highest predicted value).

    Predicted value = expected holdout transactions x Gamma-Gamma expected spend,
    both from the calibration fits; actual = summed value of holdout periods.
    """
    cal = rfm.calibration()
    n_pred = model.expected_transactions(rfm.holdout_length, cal)
    v_pred = n_pred * spend.expected_spend(cal)
    order = np.argsort(-v_pred, kind="stable")
    grp = np.empty(len(cal), dtype=int)
    grp[order] = np.arange(len(cal)) * n_groups // len(cal) + 1
    df = pd.DataFrame({"decile": grp, "pred_txn": n_pred, "act_txn": cal["frequency_holdout"].to_numpy(float),
                       "pred_value": v_pred, "act_value": cal["value_holdout"].to_numpy(float)})
    g = df.groupby("decile").agg(customers=("pred_txn", "size"), predicted_transactions=("pred_txn", "sum"),
                                 actual_transactions=("act_txn", "sum"), predicted_value=("pred_value", "sum"),
                                 actual_value=("act_value", "sum")).reset_index()
    g["transactions_error_pct"] = 100 * (g["predicted_transactions"] - g["actual_transactions"]) / \
        g["actual_transactions"].replace(0, np.nan)
    g["value_error_pct"] = 100 * (g["predicted_value"] - g["actual_value"]) / g["actual_value"].replace(0, np.nan)
    return g


# ---------------------------------------------------------------------------
# CLV
# ---------------------------------------------------------------------------

def customer_clv(rfm: pd.DataFrame, model: BTYDModel, spend: SpendModel, *, period: str = "day",
                 horizon_months: int = 12, margin_rate: float = 0.02, discount_rate_monthly: float = 0.01,
                 cost_per_transaction: float = 0.0, customers=None) -> pd.DataFrame:
    """Expected transactions, spend and discounted CLV per customer.

    CLV = sum over months m = 1..H of
    (margin_rate x E[spend] - cost_per_transaction) x (E[N(m)] - E[N(m-1)]) / (1 + d)^m,
    with E[N(m)] the model's conditional expected transaction periods in the
    next m months and d the monthly discount rate (as lifetimes'
    ``customer_lifetime_value``, with the margin and cost made explicit).

    Parameters
    ----------
    rfm : DataFrame
        Index customer id; ``frequency``, ``recency``, ``T``, ``monetary_value``.
    model, spend : fitted BTYDModel and SpendModel
    period : str
        Period unit of ``rfm`` (to convert months into periods).
    horizon_months : int
    margin_rate : float
        Share of transaction value the bank keeps as margin.
    discount_rate_monthly : float
    cost_per_transaction : float
        Cost to serve per expected transaction period (subtracted).
    customers : array-like, optional
        Full customer list: customers without transactions are added with
        NaN model columns and tier ``none``.

    Returns
    -------
    DataFrame
        Index customer id; ``frequency``, ``recency``, ``T``, ``monetary_value``,
        ``p_alive``, ``expected_transactions``, ``expected_spend`` (per
        transaction), ``expected_value`` (undiscounted spend over the horizon), ``clv``.
    """
    if period not in PERIODS:
        raise ParamsError(f"period must be one of {list(PERIODS)}; got {period!r}")
    if not isinstance(horizon_months, int) or horizon_months < 1:
        raise ParamsError(f"horizon_months must be >= 1; got {horizon_months!r}")
    if not 0 <= margin_rate <= 1:
        raise ParamsError(f"margin_rate must be between 0 and 1; got {margin_rate!r}")
    if discount_rate_monthly < 0:
        raise ParamsError(f"discount_rate_monthly must be >= 0; got {discount_rate_monthly!r}")
    per_month = DAYS_PER_MONTH / PERIOD_DAYS[period]
    comp, inv = compress(rfm, ("frequency", "recency", "T"))
    prev = np.zeros(len(comp))
    disc_n = np.zeros(len(comp))
    for m in range(1, horizon_months + 1):
        cur = model.expected_transactions(m * per_month, comp)
        disc_n += (cur - prev) / (1 + discount_rate_monthly) ** m
        prev = cur
    n_h = prev[inv]
    disc_n = disc_n[inv]
    s = spend.expected_spend(rfm)
    out = rfm[["frequency", "recency", "T", "monetary_value"]].copy()
    out["p_alive"] = model.p_alive(rfm)
    out["expected_transactions"] = n_h
    out["expected_spend"] = s
    out["expected_value"] = n_h * s
    out["clv"] = disc_n * (margin_rate * s - cost_per_transaction)
    if customers is not None:
        ids = pd.Index(pd.Series(customers).astype(str).unique(), name=out.index.name or "customer_id")
        extra = ids.difference(out.index)
        if len(extra):
            out = pd.concat([out, pd.DataFrame(index=extra, columns=out.columns, dtype="float64")])
        out = out.sort_index()
    out.index.name = "customer_id"
    return out


def clv_tiers(clv, shares=(0.2, 0.3, 0.5), labels=TIERS) -> pd.Series:
    """High / medium / low tiers by CLV rank: the top ``shares[0]`` of customers are high, etc.

    Customers with NaN CLV get tier ``none``. Ties are broken by position (stable).
    """
    shares = list(shares)
    if len(shares) != len(labels):
        raise ParamsError(f"tier_shares must have {len(labels)} values ({', '.join(labels)}); got {shares}")
    if any(s <= 0 for s in shares) or abs(sum(shares) - 1) > 1e-9:
        raise ParamsError(f"tier_shares must be positive and sum to 1; got {shares}")
    v = pd.Series(clv, dtype="float64")
    out = pd.Series("none", index=v.index, dtype="str")
    ok = v.notna().to_numpy()
    n = int(ok.sum())
    if n:
        order = np.argsort(-v.to_numpy()[ok], kind="stable")
        rank = np.empty(n, dtype=float)
        rank[order] = (np.arange(n) + 0.5) / n
        bounds = np.cumsum(shares)
        idx = np.minimum(np.searchsorted(bounds, rank, side="right"), len(labels) - 1)
        out.iloc[np.flatnonzero(ok)] = np.asarray(labels, dtype=object)[idx]
    return out


def concentration_curve(values, n_points: int = 101) -> pd.DataFrame:
    """Value concentration (Lorenz-type) curve: share of total value held by the top x% of customers.

    Returns ``customer_share`` (0..1) and ``value_share``; NaN values are ignored,
    negative values count as they are.
    """
    v = np.asarray(pd.Series(values, dtype="float64").dropna())
    if v.size == 0:
        raise DataError("concentration_curve: no values")
    v = np.sort(v)[::-1]
    cum = np.concatenate([[0.0], np.cumsum(v)])
    total = cum[-1]
    x = np.linspace(0, 1, n_points)
    k = np.round(x * v.size).astype(int)
    return pd.DataFrame({"customer_share": x, "value_share": cum[k] / total if total else np.nan})


def top_share(values, share: float = 0.2) -> float:
    """Share of total value held by the top ``share`` of customers (e.g. 0.8 for an 80/20 base)."""
    v = np.sort(np.asarray(pd.Series(values, dtype="float64").dropna()))[::-1]
    if v.size == 0 or v.sum() == 0:
        return float("nan")
    k = int(round(share * v.size))
    return float(v[:k].sum() / v.sum())


def clv_by_group(clv: pd.DataFrame, groups: pd.Series, name: str = "group") -> pd.DataFrame:
    """CLV by a customer grouping (segment, lifecycle stage, tier): customers, total, share, mean, median."""
    g = pd.Series(groups).reindex(clv.index)
    df = pd.DataFrame({name: g.astype("str").fillna("unknown").to_numpy(), "clv": clv["clv"].to_numpy(float)})
    df[name] = df[name].where(g.notna().to_numpy(), "unknown")
    out = df.groupby(name).agg(customers=("clv", "size"), total_clv=("clv", "sum"), mean_clv=("clv", "mean"),
                               median_clv=("clv", "median")).reset_index()
    total = out["total_clv"].sum()
    out["clv_share"] = out["total_clv"] / total if total else np.nan
    out["customer_share"] = out["customers"] / out["customers"].sum()
    return out.sort_values("total_clv", ascending=False, ignore_index=True)


def check_params(*, period: str, refunds: str, model: str, models, holdout_months: int, penalizer: float,
                 max_spend_corr: float, holdout_error_warn: float, holdout_error_fail: float, tracking_step_days: int,
                 acquisition_months: int, top_rules: int, nbp_rules: str) -> None:
    """Validate the CLV report's parameters (the in-kernel guard for interactive runs).

    Raises :class:`ParamsError` with one line naming the parameter, e.g. ``holdout_months must be >= 1; got 0``.
    """
    from .params import require

    require("period", period, choices=list(PERIODS))
    require("refunds", refunds, choices=list(REFUNDS))
    require("model", model, choices=list(MODELS))
    for m in models:
        require("models", m, choices=list(MODELS))
    require("holdout_months", holdout_months, min=1, max=24)
    require("penalizer", penalizer, min=0)
    require("max_spend_corr", max_spend_corr, min=0, max=1)
    require("holdout_error_warn", holdout_error_warn, min=0)
    require("holdout_error_fail", holdout_error_fail, min=holdout_error_warn)
    require("tracking_step_days", tracking_step_days, min=1, max=92)
    require("acquisition_months", acquisition_months, min=1, max=60)
    require("top_rules", top_rules, min=1)
    require("nbp_rules", nbp_rules, choices=["coholding", "acquisition"])
