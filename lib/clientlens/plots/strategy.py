"""Charts for the strategy and post-evaluation reports (08_strategy, 09_post_evaluation).

Every function takes ``ax=None`` / ``axes=None`` (a new figure is made when None) and returns the axes.
No chart shows customer ids.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from ..i18n import value
from . import tr


def plot_coverage(cov: pd.DataFrame, ax=None):
    """Eligible customers and customers on the list per strategy (horizontal bars, priority order)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(cov) + 1))
    names = [str(value(s)) for s in cov["strategy"][::-1]]
    ax.barh(names, cov["eligible"][::-1], color="#cbd5e0", label=tr("eligible"))
    ax.barh(names, cov["on list"][::-1], color="#2b6cb0", label=tr("on the list"))
    ax.set_xlabel(tr("customers"))
    ax.legend(loc="lower right")
    return ax


def plot_qini(curves: Sequence[tuple[str, pd.DataFrame]], ax=None):
    """Qini curves (:func:`clientlens.uplift.qini_curve`), each with its random line (dashed)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for name, c in curves:
        line, = ax.plot(c["share"], c["qini"], label=name)
        ax.plot(c["share"], c["random"], color=line.get_color(), lw=0.8, ls="--")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel(tr("share of customers targeted (score order)"))
    ax.set_ylabel(tr("incremental responders / customers"))
    ax.set_title(tr("Qini curves (dashed: random order)"))
    ax.legend()
    return ax


TREND_PANELS = (("aum_mean", "mean AUM"), ("active_share", "active share"),
                ("primary_share", "primary-account share"), ("churn_share", "churn share"))


def plot_segment_trends(trends: pd.DataFrame, by: str, axes=None):
    """One panel per KPI of :data:`TREND_PANELS`, one line per segment, month by month."""
    if axes is None:
        _, axes = plt.subplots(1, len(TREND_PANELS), figsize=(17, 3.4))
    for ax, (col, title) in zip(axes, TREND_PANELS):
        for key, g in trends.groupby(by):
            ax.plot(pd.to_datetime(g["month_end"]), g[col], label=str(value(key)))
        ax.set_title(tr(title))
        ax.tick_params(axis="x", labelrotation=45)
    axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return axes
