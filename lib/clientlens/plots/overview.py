"""Charts for the data-overview report: log-scale amount histograms, monthly volumes, category bars.

Every function takes ``ax=None`` (a new figure when omitted) and returns the axes. Inputs are the
small frames of :mod:`clientlens.report` (``log_histogram``, ``monthly_counts``, ``value_counts``);
no customer ids are drawn.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import ClientLensError
from ..i18n import value as _value
from . import tr

_COLOURS = ["#2b6cb0", "#dd6b20", "#2f855a", "#805ad5", "#c53030", "#718096"]


def _ax(ax, size=(7.0, 4.0)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def _thousands(ax, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    def fmt(v, _):
        if abs(v) >= 100 or float(v).is_integer():
            return f"{v:,.0f}"
        return f"{v:,.3f}".rstrip("0").rstrip(".")

    f = FuncFormatter(fmt)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(f)


def plot_log_histogram(hist: pd.DataFrame, ax=None, *, title: str = "", xlabel: str = "amount (CNY, log scale)",
                       ylabel: str = "count", color: str = _COLOURS[0]):
    """Bars of a log-binned histogram (columns ``lower``, ``upper``, ``count``) on a log x axis.

    The count of values <= 0 (``hist.attrs["non_positive"]``), which a log axis cannot show, is
    written in the corner.
    """
    for c in ("lower", "upper", "count"):
        if c not in hist.columns:
            raise ClientLensError(f"histogram frame needs column '{c}'; columns: {list(hist.columns)}")
    ax = _ax(ax)
    if len(hist):
        ax.bar(hist["lower"], hist["count"], width=hist["upper"] - hist["lower"], align="edge", color=color,
               edgecolor="white", linewidth=0.5)
        ax.set_xscale("log")
    else:
        ax.text(0.5, 0.5, tr("no positive values"), ha="center", va="center", transform=ax.transAxes)
    non_pos = hist.attrs.get("non_positive", 0)
    if non_pos:
        ax.text(0.99, 0.97, tr("{n:,} values <= 0 not shown", n=non_pos), ha="right", va="top", transform=ax.transAxes,
                fontsize=8, color="#555555")
    _thousands(ax)
    ax.set_title(tr(title) if title else title)
    ax.set_xlabel(tr(xlabel))
    ax.set_ylabel(tr(ylabel))
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_monthly(monthly: pd.DataFrame, ax=None, *, value: str = "rows", by: str | None = "direction",
                 title: str = "Transactions per month", ylabel: str = "transactions", highlight_months=()):
    """Lines of a monthly series (``month`` column), one per value of ``by`` when present.

    ``highlight_months`` (month numbers, e.g. ``(1, 2, 12)``) are shaded, e.g. the holiday season.
    """
    if "month" not in monthly.columns or value not in monthly.columns:
        raise ClientLensError(f"monthly frame needs columns 'month' and '{value}'; columns: {list(monthly.columns)}")
    ax = _ax(ax)
    if by and by in monthly.columns:
        for i, (key, g) in enumerate(monthly.groupby(by, sort=True)):
            ax.plot(g["month"], g[value], marker="o", ms=3, color=_COLOURS[i % len(_COLOURS)],
                    label=str(_value(str(key))))
        ax.legend(title=tr(by), fontsize=8)
    else:
        ax.plot(monthly["month"], monthly[value], marker="o", ms=3, color=_COLOURS[0])
    if highlight_months and len(monthly):
        for m in pd.to_datetime(monthly["month"]).drop_duplicates():
            if m.month in set(highlight_months):
                ax.axvspan(m, m + pd.offsets.MonthEnd(1), color="#ecc94b", alpha=0.2, lw=0)
    _thousands(ax)
    ax.set_ylim(bottom=0)
    ax.set_title(tr(title) if title else title)
    ax.set_xlabel(tr("month"))
    ax.set_ylabel(tr(ylabel))
    ax.grid(alpha=0.3)
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_ha("right")
    return ax


def plot_category_bars(counts: pd.DataFrame, column: str, ax=None, *, value: str = "rows", title: str = "",
                       xlabel: str = "rows", color: str = _COLOURS[0]):
    """Horizontal bars of a category count frame (largest on top), labelled with the share."""
    if column not in counts.columns or value not in counts.columns:
        raise ClientLensError(f"counts frame needs columns '{column}' and '{value}'; columns: {list(counts.columns)}")
    ax = _ax(ax, size=(6.0, max(2.0, 0.35 * len(counts) + 1.0)))
    df = counts.iloc[::-1]
    labels = [str(_value(v)) for v in df[column].astype(str)]
    vals = df[value].astype(float).to_numpy()
    ax.barh(np.arange(len(df)), vals, color=color)
    ax.set_yticks(np.arange(len(df)), labels)
    total = vals.sum()
    for i, v in enumerate(vals):
        if total > 0:
            ax.text(v, i, f" {v / total:.0%}", va="center", fontsize=8)
    if len(vals):
        ax.set_xlim(0, vals.max() * 1.15 if vals.max() > 0 else 1)
    _thousands(ax, "x")
    ax.set_title(tr(title or column))
    ax.set_xlabel(tr(xlabel))
    ax.grid(axis="x", alpha=0.3)
    return ax
