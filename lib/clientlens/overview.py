"""The data checks of report 00 (data overview), each a row with a verdict.

Each check compares one figure of the loaded bank with a threshold from the report's parameters and
returns a row ``check``, ``value``, ``threshold``, ``verdict`` (PASS / WARN / FAIL) and ``note``.
"""
from __future__ import annotations

import pandas as pd

from . import report
from .i18n import t
from .params import to_date

__all__ = ["data_checks"]


def data_checks(bank, *, as_of, coverage: pd.DataFrame, missing: pd.DataFrame, activity_counts: pd.DataFrame,
                recon: pd.DataFrame, no_txn_warn_share: float, missing_warn_share: float, amount_ceiling: float,
                reconcile_warn_share: float, reconcile_fail_share: float) -> list[dict]:
    """The checks 00 shows, in order.

    Parameters
    ----------
    bank : clientlens.data.BankData
        The loaded bank (its ``flags`` count the amounts above the ceiling).
    as_of : date or str
        Analysis date.
    coverage, missing : pandas.DataFrame
        :func:`clientlens.report.date_coverage` and :func:`clientlens.report.missing_values` (with a
        boolean ``by_design`` column: whole columns empty by design are not checked).
    activity_counts : pandas.DataFrame
        :func:`clientlens.activity.activity_counts`.
    recon : pandas.DataFrame
        :func:`clientlens.reconciliation.aum_flow_reconciliation` (empty: the check is left out).
    no_txn_warn_share, missing_warn_share : float
        WARN above these shares of customers without any transaction / of empty values in a column.
    amount_ceiling : float
        The loader's plausibility ceiling of transaction amounts (stated in the threshold).
    reconcile_warn_share, reconcile_fail_share : float
        Thresholds of :func:`clientlens.reconciliation.reconciliation_check`.

    Returns
    -------
    list of dict
    """
    from .reconciliation import reconciliation_check

    day = to_date("as_of", as_of)
    checks = []
    after = int(coverage["after_as_of"].sum()) if len(coverage) else 0
    checks.append({"check": t("no dates after the as-of date"), "value": after, "threshold": t("0 rows"),
                   "verdict": report.PASS if after == 0 else report.FAIL,
                   "note": t("rows dated after the as-of date would leak the future into the analyses")})
    act = activity_counts.set_index("count")["customers"]
    no_txn, n = int(act["without any transaction"]), int(act["customers"])
    share = no_txn / max(n, 1)
    checks.append({"check": t("customers without any transaction"), "value": f"{no_txn:,} ({share:.1%})",
                   "threshold": f"<= {no_txn_warn_share:.0%}",
                   "verdict": report.PASS if share <= no_txn_warn_share else report.WARN,
                   "note": t("some inactive customers are normal; many suggest an incomplete extract")})
    checked = missing[~missing["by_design"].astype(bool) & (missing["missing"] > 0)] if len(missing) else missing
    worst = checked.iloc[0] if len(checked) else None
    checks.append({"check": t("largest share of empty values in a column"),
                   "value": t("none") if worst is None else
                            f"{worst['table']}.{worst['column']}: {worst['missing_share']:.1%}",
                   "threshold": f"<= {missing_warn_share:.0%}",
                   "verdict": report.PASS if worst is None or worst["missing_share"] <= missing_warn_share
                              else report.WARN,
                   "note": t("analyses treat empty values as their own group or skip them; columns empty by design "
                             "(e.g. payroll fields of customers without payroll, a salary credit's channel) are not "
                             "checked")})
    for table in ("monthly_balances", "campaigns"):
        if bank.has(table):
            dup = report.duplicate_keys(bank, table)
            checks.append({"check": t("unique keys in {table}", table=table),
                           "value": t("{n:,} duplicate row(s)", n=dup), "threshold": "0",
                           "verdict": report.PASS if dup == 0 else report.FAIL,
                           "note": t("one row per customer and month") if table == "monthly_balances"
                           else t("one row per campaign and customer")})
    n_big = sum(f["rows"] for f in bank.flags)
    checks.append({"check": t("transaction amounts below the plausibility ceiling"),
                   "value": t("{n:,} row(s) above", n=n_big),
                   "threshold": f"<= {float(amount_ceiling):,.0f} (amount_ceiling)",
                   "verdict": report.PASS if n_big == 0 else report.FAIL,
                   "note": t("an amount this large is almost surely a unit or extraction error; it distorts totals "
                             "and CLV")})
    if bank.has("monthly_balances"):
        last = coverage.loc[coverage["column"] == "month_end", "last"].iloc[0]
        gap = (day - pd.Timestamp(last).date()).days if not pd.isna(last) else -1
        checks.append({"check": t("latest month-end close to the as-of date"),
                       "value": t("none") if pd.isna(last) else f"{pd.Timestamp(last):%Y-%m-%d}",
                       "threshold": t("within 31 days"), "verdict": report.PASS if 0 <= gap <= 31 else report.WARN,
                       "note": t("balances older than a month make value and lifecycle tags stale")})
    if len(recon):
        checks.append(reconciliation_check(recon, warn_share=reconcile_warn_share, fail_share=reconcile_fail_share))
    return checks

