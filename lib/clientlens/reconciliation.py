"""Month-by-month reconciliation of month-end AUM with the transaction flows (report 00).

For each month-end after the first, the change of total AUM is compared with what the data can
explain:

    change in AUM = net external flows (inflows - outflows of the month, transfers between the
                    customer's own products at this bank excluded)
                  + opening balances of accounts that appear this month
                  - closing balances of accounts that disappear this month
                  + residual

The **residual** is what lies outside the data: interest credited to deposits, market value changes
of funds, wealth-management products and insurance, fees, and any flows the transaction extract
does not carry (for example card repayments or transfers booked outside the extract). In a bank's own
data the residual of a month is small against the opening AUM (interest is about 0.1-0.2% a month;
market value changes of a balanced book rarely move AUM by more than 1-2% in a month); a larger
residual says the transaction extract and the balances do not describe the same money. The check
grades the largest monthly residual as a share of the opening AUM (``warn_share`` / ``fail_share``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .params import require, to_date
from . import report
from .i18n import t

__all__ = ["INTERNAL_CATEGORIES", "aum_flow_reconciliation", "reconciliation_check"]

#: transaction categories that move money between the customer's own products at the bank (AUM-neutral)
INTERNAL_CATEGORIES: tuple[str, ...] = ("wealth_purchase", "wealth_redemption")

_COLUMNS = ["month_end", "aum_open", "aum_close", "aum_change", "inflow", "outflow", "internal", "net_flow",
            "new_accounts", "closed_accounts", "explained", "residual", "residual_share"]


def aum_flow_reconciliation(bank, as_of=None, internal_categories=INTERNAL_CATEGORIES) -> pd.DataFrame:
    """Month-end AUM change beside the month's net transaction flows, one row per month-end.

    Parameters
    ----------
    bank : clientlens.data.BankData
        Needs ``monthly_balances`` (``customer_id``, ``month_end``, ``aum``); ``transactions`` optional.
    as_of : date or str, optional
        Month-ends and transactions after it are ignored.
    internal_categories : sequence of str
        Transaction categories between the customer's own products (excluded from the flows and shown
        in ``internal``); empty when the extract has no such rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``month_end``, ``aum_open`` (previous month-end), ``aum_close``, ``aum_change``,
        ``inflow``, ``outflow``, ``internal`` (both directions), ``net_flow`` (inflow - outflow of external
        rows of the month, transactions after the previous month-end up to this one), ``new_accounts``
        (AUM of customers without a row at the previous month-end), ``closed_accounts`` (AUM at the
        previous month-end of customers without a row now), ``explained`` (net_flow + new - closed),
        ``residual`` (aum_change - explained) and ``residual_share`` (residual / aum_open).
        The first month-end has no previous one and is left out.
    """
    if not bank.has("monthly_balances"):
        return pd.DataFrame(columns=_COLUMNS)
    day = to_date("as_of", as_of) if as_of not in (None, "") else None
    cats = [str(c) for c in internal_categories]
    cut = "WHERE month_end <= CAST($as_of AS DATE)" if day else ""
    args: dict = {"as_of": day.isoformat()} if day else {}
    # one pass over the balances: each customer's month-ends numbered k (1, 2, ... over the data's month-ends), with
    # the customer's previous and next k; a row whose previous k is not k - 1 is a new account at k, a row whose
    # next k is not k + 1 is an account closed at k + 1 (its balance at k leaves)
    bal = bank.con.execute(
        f"WITH b AS (SELECT customer_id, month_end, sum(aum) AS aum FROM monthly_balances {cut} GROUP BY ALL), "
        "m AS (SELECT month_end, row_number() OVER (ORDER BY month_end) AS k FROM (SELECT DISTINCT month_end FROM b)), "
        "r AS (SELECT m.k, b.aum, lag(m.k) OVER (PARTITION BY b.customer_id ORDER BY m.k) AS k_prev, "
        "      lead(m.k) OVER (PARTITION BY b.customer_id ORDER BY m.k) AS k_next FROM b JOIN m USING (month_end)), "
        "per AS (SELECT k, sum(aum) AS aum_close, "
        "        coalesce(sum(aum) FILTER (WHERE k_prev IS DISTINCT FROM k - 1), 0) AS new_accounts FROM r GROUP BY k), "
        "closed AS (SELECT k + 1 AS k, sum(aum) AS closed_accounts FROM r "
        "           WHERE k_next IS DISTINCT FROM k + 1 GROUP BY k) "
        "SELECT m.month_end, p.month_end AS prev, po.aum_close AS aum_open, pc.aum_close, pc.new_accounts, "
        "       coalesce(closed.closed_accounts, 0) AS closed_accounts "
        "FROM m JOIN m p ON p.k = m.k - 1 JOIN per pc ON pc.k = m.k JOIN per po ON po.k = m.k - 1 "
        "LEFT JOIN closed ON closed.k = m.k ORDER BY m.month_end", args).df()
    if bal.empty:
        return pd.DataFrame(columns=_COLUMNS)
    ends = pd.to_datetime(bal["month_end"]).to_numpy()
    starts = pd.to_datetime(bal["prev"]).to_numpy()
    flows = pd.DataFrame({"month_end": ends, "inflow": 0.0, "outflow": 0.0, "internal": 0.0})
    if bank.has("transactions"):
        has_cat = "category" in bank.columns.get("transactions", [])
        internal = "category IN (SELECT unnest(CAST($cats AS VARCHAR[])))" if has_cat and cats else "FALSE"
        # daily sums (a few hundred rows), then bucketed to the month-end that closes each day
        daily = bank.con.execute(
            f"SELECT txn_date, sum(amount) FILTER (WHERE direction = 'in' AND NOT ({internal})) AS inflow, "
            f"sum(amount) FILTER (WHERE direction = 'out' AND NOT ({internal})) AS outflow, "
            f"sum(amount) FILTER (WHERE {internal}) AS internal FROM transactions "
            "WHERE txn_date > CAST($lo AS DATE) AND txn_date <= CAST($hi AS DATE) GROUP BY txn_date",
            {"lo": str(starts[0])[:10], "hi": str(ends[-1])[:10], **({"cats": cats} if "$cats" in internal else {})}
        ).df()
        if len(daily):
            k = np.searchsorted(ends, pd.to_datetime(daily["txn_date"]).to_numpy(), side="left")
            sums = daily[["inflow", "outflow", "internal"]].astype(float).fillna(0.0).groupby(k).sum()
            flows.loc[sums.index, ["inflow", "outflow", "internal"]] = sums.to_numpy()
    out = bal.drop(columns=["prev"]).copy()
    out["month_end"] = pd.to_datetime(out["month_end"])
    flows["month_end"] = pd.to_datetime(flows["month_end"])
    out = out.merge(flows, on="month_end", how="left")
    for c in ("aum_open", "aum_close", "new_accounts", "closed_accounts", "inflow", "outflow", "internal"):
        out[c] = out[c].astype(float).fillna(0.0)
    out["aum_change"] = out["aum_close"] - out["aum_open"]
    out["net_flow"] = out["inflow"] - out["outflow"]
    out["explained"] = out["net_flow"] + out["new_accounts"] - out["closed_accounts"]
    out["residual"] = out["aum_change"] - out["explained"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["residual_share"] = np.where(out["aum_open"] > 0, out["residual"] / out["aum_open"], np.nan)
    return out[_COLUMNS].reset_index(drop=True)


def reconciliation_check(table: pd.DataFrame, *, warn_share: float, fail_share: float) -> dict:
    """The data check of 00: the largest monthly residual against the opening AUM.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`aum_flow_reconciliation`.
    warn_share, fail_share : float
        WARN when the largest ``|residual_share|`` of a month exceeds ``warn_share``, FAIL above
        ``fail_share``.

    Returns
    -------
    dict
        A row of 00's data-check table: ``check``, ``value``, ``threshold``, ``verdict``, ``note``.
    """
    require("warn_share", warn_share, min=0)
    require("fail_share", fail_share, min=warn_share)
    check = t("month-end AUM change reconciles with net transaction flows")
    shares = table["residual_share"].dropna().abs() if len(table) else pd.Series(dtype=float)
    if shares.empty:
        return {"check": check, "value": t("not computed (needs balances at two month-ends)"), "threshold":
                t("|residual| <= {warn:.1%} of opening AUM", warn=warn_share), "verdict": report.PASS,
                "note": t("nothing to reconcile")}
    i = shares.idxmax()
    worst = float(shares.loc[i])
    month = pd.Timestamp(table.loc[i, "month_end"])
    n_over = int((shares > warn_share).sum())
    verdict = report.FAIL if worst > fail_share else report.WARN if worst > warn_share else report.PASS
    return {"check": check,
            "value": t("largest residual {worst:.2%} of opening AUM ({month:%Y-%m}); "
                       "{n_over} of {n} month(s) above {warn:.1%}", worst=worst, month=month, n_over=n_over,
                       n=len(shares), warn=warn_share),
            "threshold": t("WARN > {warn:.1%}, FAIL > {fail:.1%} of opening AUM per month", warn=warn_share,
                           fail=fail_share),
            "verdict": verdict,
            "note": t("residual = AUM change - (net external flows + new accounts - closed accounts): interest, "
                      "market value changes and flows outside the transaction extract")}
