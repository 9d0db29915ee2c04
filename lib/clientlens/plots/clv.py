"""Charts for the CLV report (04_clv). Every function takes ``ax=None`` and returns the axes."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..i18n import value
from . import tr


def _ax(ax, size=(7, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_period_transactions(table: pd.DataFrame, model_label: str = "model", period: str = "day", ax=None):
    """Observed vs model-expected number of customers by repeat transaction periods (calibration)."""
    ax = _ax(ax)
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["observed"], width=0.4, label=tr("observed"), color="#4c72b0")
    ax.bar(x + 0.2, table["expected"], width=0.4, label=tr("{model} expected", model=model_label), color="#dd8452")
    ax.set_xticks(x, table["repeat_transactions"])
    ax.set_xlabel(tr("repeat transaction {period}s in the calibration window", period=tr(period)))
    ax.set_ylabel(tr("customers"))
    ax.set_title(tr("Repeat transactions: observed vs model"))
    ax.legend()
    return ax


def plot_calibration_holdout(table: pd.DataFrame, period: str = "day", ax=None):
    """Mean actual vs predicted holdout transactions by calibration frequency."""
    ax = _ax(ax)
    ax.plot(table["calibration_frequency"], table["actual"], marker="o", label=tr("actual"))
    ax.plot(table["calibration_frequency"], table["predicted"], marker="s", linestyle="--", label=tr("predicted"))
    ax.set_xlabel(tr("repeat transaction {period}s in the calibration window", period=tr(period)))
    ax.set_ylabel(tr("mean transaction {period}s in the holdout", period=tr(period)))
    ax.set_title(tr("Calibration vs holdout: actual and predicted per customer"))
    ax.legend()
    return ax


def plot_tracking(table: pd.DataFrame, cumulative: bool = False, ax=None):
    """Weekly (or cumulative) transactions of calibration customers through the holdout: actual vs predicted."""
    ax = _ax(ax)
    a, p = ("cum_actual", "cum_predicted") if cumulative else ("actual", "predicted")
    t = table if cumulative else table[table["days"].diff().fillna(table["days"]) >= 7]  # full weeks only
    ax.plot(t["date"], t[a], marker=".", label=tr("actual"))
    ax.plot(t["date"], t[p], linestyle="--", label=tr("predicted"))
    ax.set_xlabel(tr("holdout date (week ending)"))
    ax.set_ylabel(tr("transactions (cumulative)" if cumulative else "transactions per week"))
    ax.set_title(tr("Cumulative transactions through the holdout" if cumulative
                    else "Weekly transactions through the holdout"))
    ax.tick_params(axis="x", rotation=30)
    ax.legend()
    return ax


def plot_decile_error(table: pd.DataFrame, ax=None, currency: str = "CNY"):
    """Predicted vs actual holdout value by decile of predicted value (1 = highest)."""
    ax = _ax(ax)
    x = table["decile"].to_numpy()
    ax.bar(x - 0.2, table["predicted_value"] / 1e6, width=0.4, label=tr("predicted"), color="#dd8452")
    ax.bar(x + 0.2, table["actual_value"] / 1e6, width=0.4, label=tr("actual"), color="#4c72b0")
    ax.set_xticks(x)
    ax.set_xlabel(tr("decile of predicted holdout value (1 = highest)"))
    ax.set_ylabel(tr("holdout transaction value (million {currency})", currency=value(currency)))
    ax.set_title(tr("Holdout value by decile: predicted vs actual"))
    ax.legend()
    return ax


def plot_concentration(curve: pd.DataFrame, ax=None):
    """Value concentration curve: share of total CLV held by the top x% of customers."""
    ax = _ax(ax, (5.5, 4.5))
    ax.plot(100 * curve["customer_share"], 100 * curve["value_share"], label=tr("CLV"))
    ax.plot([0, 100], [0, 100], color="grey", linestyle=":", label=tr("equal value"))
    k = int(np.argmin(np.abs(curve["customer_share"].to_numpy() - 0.2)))
    ax.scatter([20], [100 * curve["value_share"].iloc[k]], color="C3", zorder=3)
    ax.annotate(tr("top 20% hold {share:.0f}%", share=100 * curve["value_share"].iloc[k]),
                (20, 100 * curve["value_share"].iloc[k]), textcoords="offset points", xytext=(8, -14))
    ax.set_xlabel(tr("customers ranked by CLV (cumulative %)"))
    ax.set_ylabel(tr("share of total CLV (%)"))
    ax.set_title(tr("Value concentration"))
    ax.legend(loc="lower right")
    return ax


def plot_clv_by_group(table: pd.DataFrame, group: str, ax=None, currency: str = "CNY"):
    """Share of customers vs share of total CLV per group (segment, stage, tier)."""
    ax = _ax(ax)
    y = np.arange(len(table))
    ax.barh(y + 0.2, 100 * table["customer_share"], height=0.4, label="share of customers", color="#8c8c8c")
    ax.barh(y - 0.2, 100 * table["clv_share"], height=0.4, label="share of total CLV", color="#4c72b0")
    ax.set_yticks(y, table[group].astype(str))
    ax.invert_yaxis()
    ax.set_xlabel("%")
    ax.set_title(f"CLV by {group.replace('_', ' ')}")
    ax.legend(loc="lower right")
    return ax


def plot_frequency_vs_spend(rfm: pd.DataFrame, pearson_r: float, ax=None, currency: str = "CNY",
                            max_points: int = 5000, random_state: int = 0):
    """Gamma-Gamma independence check: repeat frequency vs mean spend per transaction period."""
    ax = _ax(ax)
    m = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
    if len(m) > max_points:
        m = m.sample(max_points, random_state=random_state)
    ax.scatter(m["frequency"], m["monetary_value"], s=4, alpha=0.3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(tr("repeat transaction periods (log scale)"))
    ax.set_ylabel(tr("mean spend per period ({currency}, log scale)", currency=value(currency)))
    ax.set_title(tr("Frequency vs spend (Pearson r = {r:.2f})", r=pearson_r))
    return ax


def plot_clv_distribution(clv_values, ax=None, currency: str = "CNY"):
    """Histogram of customer CLV (log scale of positive values)."""
    ax = _ax(ax)
    v = pd.Series(clv_values, dtype="float64").dropna()
    v = v[v > 0]
    if len(v):
        bins = np.logspace(np.log10(max(v.min(), 1e-2)), np.log10(v.max()), 40)
        ax.hist(v, bins=bins, color="#4c72b0")
        ax.set_xscale("log")
    ax.set_xlabel(tr("CLV ({currency}, log scale)", currency=value(currency)))
    ax.set_ylabel(tr("customers"))
    ax.set_title(tr("Distribution of customer lifetime value"))
    return ax
