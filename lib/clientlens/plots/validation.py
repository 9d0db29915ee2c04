"""Charts of the model-validation report: stability over time, rank order with intervals.

Every function takes ``ax=None`` (a new figure when omitted) and returns the axes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import tr

_COLOURS = ["#2b6cb0", "#dd6b20", "#2f855a", "#805ad5", "#c53030", "#718096", "#d69e2e", "#319795"]


def _ax(ax, size=(8.0, 4.4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def stability_over_time_chart(table: pd.DataFrame, watch: float = 0.1, shifted: float = 0.25, top: int = 6,
                              ax=None, title: str = "Stability over time: PSI / CSI against the development sample"):
    """Lines of the score PSI (thick) and the ``top`` variables' CSI (largest at the last date) by date,
    with the watch and shifted bands shaded. ``table`` is :func:`clientlens.validation.stability_over_time`."""
    ax = _ax(ax)
    t = table.copy()
    t["date"] = pd.to_datetime(t["date"])
    last = t[t["date"] == t["date"].max()]
    items = ["score"] + last[last["item"] != "score"].sort_values("index", ascending=False)["item"].head(top).tolist()
    for i, item in enumerate(items):
        s = t[t["item"] == item].sort_values("date")
        ax.plot(s["date"], s["index"], marker="o", ms=3, lw=2.6 if item == "score" else 1.2,
                color=_COLOURS[i % len(_COLOURS)], label=tr("score (PSI)") if item == "score" else item)
    ymax = max(float(t["index"].max()) * 1.1, shifted * 1.2)
    ax.axhspan(watch, shifted, color="#f6e05e", alpha=0.15, label=tr("watch ({watch:g}-{shifted:g})", watch=watch, shifted=shifted))
    ax.axhspan(shifted, ymax, color="#fc8181", alpha=0.12, label=tr("shifted (> {shifted:g})", shifted=shifted))
    ax.set_ylim(0, ymax)
    ax.set_ylabel(tr("PSI / CSI"))
    ax.set_title(tr(title))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return ax


def rank_order_chart(table: pd.DataFrame, ax=None, title: str = "Response rate by decile (95% Wilson interval)"):
    """Response rate per n-tile with Wilson intervals; ``table`` is :func:`clientlens.lift.ntile_table`."""
    from matplotlib.ticker import PercentFormatter

    from .. import lift as L

    ax = _ax(ax, (6.4, 4.0))
    lo, hi = zip(*(L.wilson_interval(int(k), int(n)) for k, n in zip(table["responders"], table["count"])))
    r = table["response_rate"].to_numpy()
    ax.bar(table["ntile"], r, color=_COLOURS[0], alpha=0.7)
    ax.errorbar(table["ntile"], r, yerr=[r - np.array(lo), np.array(hi) - r], fmt="none", ecolor="black", capsize=3)
    ax.set_xlabel(tr("n-tile (1 = best scores)"))
    ax.set_ylabel(tr("Response rate"))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(tr(title))
    ax.grid(alpha=0.3, axis="y")
    return ax
