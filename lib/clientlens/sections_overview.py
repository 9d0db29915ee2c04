"""Sections of report ``00_data_overview``: what data arrived, and is it fit to analyse.

:func:`check_params` validates the report's parameters (one clear line per bad value);
:func:`build` computes every table the report shows (row counts, date coverage, missing values,
activity counts, the AUM reconciliation and the data checks) into an :class:`Overview`;
:meth:`Overview.save` writes the artefacts. The ``show_*`` functions display one section each
(tables through :mod:`clientlens.report`, which escapes every value; charts through
:mod:`clientlens.plots.overview` and ``plt.show()``) and return ``None``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import report
from .i18n import get_language, money, t

__all__ = ["Overview", "check_params", "build", "show_counts", "show_loader_notes", "show_checks",
           "show_activity", "show_coverage", "show_missing", "show_customers", "show_balances",
           "show_reconciliation", "show_transactions", "show_campaigns", "CUSTOMER_COLUMNS"]

def _names(df: pd.DataFrame) -> dict:
    """Formats of the contract's table and column names: shown as the files and the data contract name them
    (not looked up as category values: ``customers`` the table is not ``customers`` the count)."""
    out = {c: str for c in ("table", "column") if c in df.columns}
    if get_language() != "en":   # True/False as yes/no in the report's language
        out.update({c: (lambda v: t("yes") if v else t("no")) for c in df.columns if df[c].dtype == bool})
    return out

#: Customer attributes charted in the customers section (those present).
CUSTOMER_COLUMNS = ("gender", "education", "occupation", "risk_appetite", "city")


def check_params(p: dict):
    """Validate 00's parameters (``namespace_params(globals())``); return the as-of date.

    Raises :class:`clientlens.ParamsError` with one line naming the parameter.
    """
    from .params import parse_date, require

    as_of_date = parse_date("as_of", p["as_of"])
    require("unknown_customers", p["unknown_customers"], choices=["fail", "drop"])
    require("bins_per_decade", p["bins_per_decade"], min=1, max=50)
    require("top_categories", p["top_categories"], min=1, max=50)
    require("missing_warn_share", p["missing_warn_share"], min=0, max=1)
    require("no_txn_warn_share", p["no_txn_warn_share"], min=0, max=1)
    require("reconcile_fail_share", p["reconcile_fail_share"], min=p["reconcile_warn_share"], max=1)
    for m in p.get("highlight_months") or []:
        require("highlight_months item", m, choices=range(1, 13))
    return as_of_date


@dataclass
class Overview:
    """Everything 00 computes before it shows anything (see :func:`build`)."""

    as_of_date: object
    counts: pd.DataFrame
    coverage: pd.DataFrame
    missing: pd.DataFrame
    activity_counts: pd.DataFrame
    recon: pd.DataFrame
    checks: list = field(default_factory=list)
    transactions: dict = field(default_factory=dict)   # clientlens.overview.transaction_profile (empty: no table)

    def save(self, out_dir) -> None:
        """Write the artefacts of 00 into ``out_dir`` (Parquet)."""
        out = Path(out_dir)
        self.counts.to_parquet(out / "row_counts.parquet")
        self.coverage.to_parquet(out / "date_coverage.parquet")
        self.missing.to_parquet(out / "missing_values.parquet")
        self.activity_counts.to_parquet(out / "activity_counts.parquet")
        if len(self.recon):
            self.recon.to_parquet(out / "aum_reconciliation.parquet")

    @property
    def n_customers(self) -> int:
        return int(self.counts.loc[self.counts["table"] == "customers", "customers"].iloc[0])

    @property
    def n_transactions(self) -> int:
        return int(self.counts.loc[self.counts["table"] == "transactions", "rows"].iloc[0])


#: the parameters of 00 that shape :func:`build`'s tables (the run cache's key)
BUILD_PARAMS = ("missing_by_design", "missing_by_design_when", "dormant_days", "no_txn_warn_share",
                "missing_warn_share", "reconcile_warn_share", "reconcile_fail_share", "load_options",
                "top_categories", "bins_per_decade")


def build(bank, p: dict, as_of_date, *, log_dir=None) -> Overview:
    """Row counts, coverage, missing values (with the by-design flags), activity, reconciliation, checks.

    With ``log_dir`` (the report's output folder), the tables come from the run cache of ``p["reports_dir"]``
    (:meth:`clientlens.cache.RunCache.memo`): a re-run of the same data, parameters and code reuses them.

    Parameters
    ----------
    bank : clientlens.data.BankData
        The loaded bank.
    p : dict
        00's parameters (``missing_by_design``, ``missing_by_design_when``, ``dormant_days``, the
        thresholds of the checks, ``load_options``).
    as_of_date : date
        Analysis date (:func:`check_params`).

    Returns
    -------
    Overview
    """
    if log_dir is None:
        return _build(bank, p, as_of_date)
    from .cache import RunCache

    def compute():
        ov = _build(bank, p, as_of_date)
        return ({"counts": ov.counts, "coverage": ov.coverage, "missing": ov.missing,
                 "activity_counts": ov.activity_counts, "recon": ov.recon,
                 **{f"transactions_{k}": v for k, v in ov.transactions.items()}}, {"checks": ov.checks})

    cache = RunCache.for_run(bank, as_of_date, p["reports_dir"], log_dir=log_dir)
    params = {"as_of": as_of_date, "language": get_language(), **{k: p.get(k) for k in BUILD_PARAMS}}  # checks: words
    frames, meta = cache.memo("overview", params, compute,
                              t("data overview tables as of {day}", day=as_of_date))
    txn = {k.removeprefix("transactions_"): v for k, v in frames.items() if k.startswith("transactions_")}
    return Overview(as_of_date, frames["counts"], frames["coverage"], frames["missing"], frames["activity_counts"],
                    frames["recon"], list(meta["checks"]), txn)


def _build(bank, p: dict, as_of_date) -> Overview:
    from . import activity, overview, reconciliation
    from .data import LOAD_OPTIONS

    counts = report.row_counts(bank)
    coverage = report.date_coverage(bank, as_of=as_of_date.isoformat())
    missing = report.missing_values(bank, by_design_when=p.get("missing_by_design_when") or {})
    missing["by_design"] = (missing["table"] + "." + missing["column"]).isin(p.get("missing_by_design") or [])
    act = activity.activity_counts(bank, as_of_date, dormant_days=p["dormant_days"])
    recon = reconciliation.aum_flow_reconciliation(bank, as_of_date)
    checks = overview.data_checks(
        bank, as_of=as_of_date, coverage=coverage, missing=missing, activity_counts=act, recon=recon,
        no_txn_warn_share=p["no_txn_warn_share"], missing_warn_share=p["missing_warn_share"],
        amount_ceiling=(p.get("load_options") or {}).get("amount_ceiling", LOAD_OPTIONS["amount_ceiling"][0]),
        reconcile_warn_share=p["reconcile_warn_share"], reconcile_fail_share=p["reconcile_fail_share"])
    txn = overview.transaction_profile(bank, top_categories=p["top_categories"], bins_per_decade=p["bins_per_decade"]) \
        if bank.has("transactions") else {}
    return Overview(as_of_date, counts, coverage, missing, act, recon, checks, txn)


def _show():
    import matplotlib.pyplot as plt

    plt.show()


def show_counts(ov: Overview) -> None:
    """The contract tables, their rows and customers; transactions per customer."""
    report.show_table(ov.counts, caption=t("Contract tables (as of {as_of:%Y-%m-%d})", as_of=ov.as_of_date),
                      fmt=_names(ov.counts))
    n_customers, n_txn = ov.n_customers, ov.n_transactions
    report.show_md(t("**{n_customers:,}** customers and **{n_txn:,}** transactions "
                     "(**{per:,.1f}** per customer over the whole period).",
                     n_customers=n_customers, n_txn=n_txn, per=n_txn / max(n_customers, 1)))


def show_loader_notes(notes) -> None:
    """The loader's notes (tables not found, rows dropped), or a pass line."""
    if notes:
        for note in notes:
            report.callout(note, kind="warning")
    else:
        report.callout(t("All four contract tables were found; no rows were dropped."), kind="pass")


def show_checks(ov: Overview) -> None:
    """The data checks with their verdicts, the worst one in the caption."""
    worst = report.worst(c["verdict"] for c in ov.checks)
    report.show_verdicts(ov.checks, caption=t("Overall: {verdict}", verdict=t(worst)))


def activity_table(counts: pd.DataFrame) -> pd.DataFrame:
    """The activity counts; in a translated report the header names the count (``count`` reads as a number of
    customers in the catalogue)."""
    return counts if get_language() == "en" else counts.rename(columns={"count": "activity count"})


def show_activity(ov: Overview) -> None:
    """The activity counts every report uses, with their definitions."""
    report.show_table(activity_table(ov.activity_counts),
                      caption=t("Customer activity as of {as_of:%Y-%m-%d}", as_of=ov.as_of_date),
                      percent_cols=["share"], fmt={"customers": "{:,}"}, index=False)


def show_coverage(ov: Overview) -> None:
    """First and last date of every date column."""
    report.show_table(ov.coverage, caption=t("Date coverage by table and column"), fmt=_names(ov.coverage))


def missing_table(missing: pd.DataFrame) -> pd.DataFrame:
    """The missing-values table with the reader's column names."""
    out = missing.rename(columns={"missing_share": "missing share", "by_design": "empty by design",
                                  "empty_by_design": "rows empty by design"})
    # a translated report names the count (``missing`` reads as a share in the catalogue)
    return out if get_language() == "en" else out.rename(columns={"missing": "missing rows"})


def show_missing(ov: Overview) -> None:
    """Columns with empty values, most missing first, with the by-design flags."""
    if len(ov.missing):
        shown = missing_table(ov.missing)
        report.show_table(shown, caption=t("Columns with empty values"), percent_cols=["missing share"],
                          fmt=_names(shown))
    else:
        report.callout(t("No empty values in any column."), kind="pass")


def show_customers(bank, *, top_categories: int, bins_per_decade: int) -> None:
    """Customers by the main attributes (bar charts) and the declared monthly income (log histogram)."""
    import matplotlib.pyplot as plt

    from .plots import overview as plots

    cat_cols = [c for c in CUSTOMER_COLUMNS if c in bank.columns["customers"]]
    if cat_cols:
        n_cols = 2
        n_rows = (len(cat_cols) + n_cols - 1) // n_cols
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(11, 3.2 * n_rows), squeeze=False)
        for ax, col in zip(axes.ravel(), cat_cols):
            vc = report.value_counts(bank, "customers", col, top=top_categories)
            plots.plot_category_bars(vc, col, ax=ax, title=t("Customers by {attribute}", attribute=t(col)),
                                     xlabel="customers")
        for ax in axes.ravel()[len(cat_cols):]:
            ax.set_visible(False)
        fig.tight_layout()
        _show()
        plt.close(fig)
    if "income_monthly" in bank.columns["customers"]:
        h = report.log_histogram(bank, "customers", "income_monthly", bins_per_decade=bins_per_decade)
        ax = plots.plot_log_histogram(h, title="Declared monthly income", xlabel="monthly income (CNY, log scale)",
                                      ylabel="customers")
        _show()
        plt.close(ax.figure)


def monthly_aum_table(monthly_aum: pd.DataFrame) -> pd.DataFrame:
    """Customers and total AUM (million CNY) per month-end, months as ``YYYY-MM``."""
    return (monthly_aum.assign(month=monthly_aum["month"].dt.strftime("%Y-%m"))
            .rename(columns={"rows": "customers", "total": "AUM (million CNY)"}))


def show_balances(bank, as_of_date, *, bins_per_decade: int) -> None:
    """AUM per customer at the latest month-end (log histogram), total AUM per month-end (chart, table)."""
    import matplotlib.pyplot as plt

    from .plots import overview as plots

    if not bank.has("monthly_balances"):
        report.callout(t("No monthly_balances table: balance and AUM distributions are skipped."), kind="warning")
        return
    last_me = bank.con.execute("SELECT max(month_end) FROM monthly_balances WHERE month_end <= ?",
                               [as_of_date]).fetchone()[0]
    if last_me is None:
        report.callout(t("No month-end on or before the as-of date."), kind="warning")
    else:
        h = report.log_histogram(bank, "monthly_balances", "aum", where={"month_end": last_me},
                                 bins_per_decade=bins_per_decade)
        ax = plots.plot_log_histogram(h, title=t("AUM per customer at {month_end:%Y-%m-%d}", month_end=last_me),
                                      xlabel="AUM (CNY, log scale)", ylabel="customers", color="#2f855a")
        _show()
        plt.close(ax.figure)
    monthly_aum = report.monthly_counts(bank, "monthly_balances", "month_end", by=None, value="aum")
    monthly_aum["total"] = monthly_aum["total"] / 1e6
    ax = plots.plot_monthly(monthly_aum, value="total", by=None, title="Total AUM per month-end",
                            ylabel="AUM (million CNY)")
    _show()
    plt.close(ax.figure)
    report.show_table(monthly_aum_table(monthly_aum), caption=t("Customers and total AUM per month-end"),
                      fmt={"AUM (million CNY)": "{:,.1f}"}, max_rows=36)


def reconciliation_table(recon: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The reconciliation in million CNY, months as ``YYYY-MM``; returns the table and its money columns."""
    shown = recon.assign(month=recon["month_end"].dt.strftime("%Y-%m")).drop(columns=["month_end"])
    money = [c for c in shown.columns if c not in ("month", "residual_share")]
    shown[money] = shown[money] / 1e6
    return shown[["month", *money, "residual_share"]], money


def show_reconciliation(ov: Overview) -> None:
    """Month-end AUM change against net flows, month by month."""
    if not len(ov.recon):
        report.callout(t("Fewer than two month-ends of balances: nothing to reconcile."), kind="note")
        return
    shown, money = reconciliation_table(ov.recon)
    report.show_table(shown, caption=t("AUM change vs net flows (million CNY)"),
                      fmt={c: "{:,.1f}" for c in money}, percent_cols=["residual_share"], max_rows=36)


def show_transactions(ov: Overview, *, highlight_months=()) -> None:
    """Volume and amount per month by direction, amounts per direction (log), split by category and channel
    (:func:`clientlens.overview.transaction_profile`, computed by :func:`build`)."""
    import matplotlib.pyplot as plt

    from .overview import PROFILE_COLUMNS, amount_histogram
    from .plots import overview as plots

    if not ov.transactions:
        return
    monthly_txn = ov.transactions["monthly"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    plots.plot_monthly(monthly_txn, ax=ax1, value="rows", title="Transactions per month", ylabel="transactions",
                       highlight_months=highlight_months)
    monthly_amt = monthly_txn.assign(total=monthly_txn["total"] / 1e6)
    plots.plot_monthly(monthly_amt, ax=ax2, value="total", title="Amount per month", ylabel="amount (million CNY)",
                       highlight_months=highlight_months)
    fig.tight_layout()
    _show()
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for ax, d, colour in zip(axes, ("out", "in"), ("#dd6b20", "#2b6cb0")):
        plots.plot_log_histogram(amount_histogram(ov.transactions, d), ax=ax,
                                 title=t("Amount per transaction, direction '{direction}'", direction=t(d)),
                                 xlabel="amount (CNY, log scale)", ylabel="transactions", color=colour)
    fig.tight_layout()
    _show()
    plt.close(fig)

    counts_by = {c: ov.transactions[f"by_{c}"] for c in PROFILE_COLUMNS if f"by_{c}" in ov.transactions}
    if not counts_by:
        return
    fig, axes = plt.subplots(1, len(counts_by), figsize=(6 * len(counts_by), 4), squeeze=False)
    for ax, (col, vc) in zip(axes.ravel(), counts_by.items()):
        plots.plot_category_bars(vc, col, ax=ax, title=t("Transactions by {attribute}", attribute=t(col)),
                                 xlabel="transactions")
    fig.tight_layout()
    _show()
    plt.close(fig)
    for col, vc in counts_by.items():
        report.show_table(vc.rename(columns={"rows": "transactions", "total": "amount (CNY)"}),
                          caption=t("Transactions by {attribute}", attribute=t(col)), percent_cols=["share"],
                          fmt={"amount (CNY)": money})


def show_campaigns(bank) -> None:
    """Contacts and response by campaign and group."""
    camp = report.campaign_overview(bank)
    if len(camp):
        report.show_table(camp, caption=t("Contacts and response by campaign and group"),
                          percent_cols=["response_rate"])
    else:
        report.callout(t("No campaigns table: campaign history is skipped."), kind="warning")
