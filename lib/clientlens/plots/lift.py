"""Charts for targeting-model validation: gains, lift, KS, ROC, calibration, model vs control.

Every function takes ``ax=None`` (a new figure when omitted) and returns the axes. ``scores`` may
be one array or a dict ``{model label: scores}`` to compare models (e.g. scorecard vs challenger)
on the same customers. No customer ids are drawn.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .. import lift as L
from . import tr

_COLOURS = ["#2b6cb0", "#dd6b20", "#2f855a", "#805ad5", "#c53030"]


def _ax(ax, size=(6.4, 4.4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def _as_dict(scores) -> dict:
    if isinstance(scores, Mapping):
        return dict(scores)
    return {tr("model"): scores}


def _pct_axis(ax, axis: str = "both") -> None:
    from matplotlib.ticker import PercentFormatter

    if axis in ("x", "both"):
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    if axis in ("y", "both"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _finish_unit_square(ax, xlabel: str, ylabel: str, title: str):
    """Common finish of the curve charts drawn on [0, 1] x [0, 1]: limits, labels, % ticks, grid, legend."""
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(tr(xlabel))
    ax.set_ylabel(tr(ylabel))
    ax.set_title(tr(title))
    _pct_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def gains_chart(y_true, scores, ax=None, title: str = "Cumulative gains (capture rate)"):
    """Capture rate against share of customers contacted, with the no-model diagonal and the
    perfect-model curve (all responders first)."""
    ax = _ax(ax)
    y = np.asarray(y_true, dtype=float)
    rate = float(np.nanmean(y)) if len(y) else 0.0
    for i, (label, s) in enumerate(_as_dict(scores).items()):
        c = L.gains_curve(y_true, s)
        ax.plot(c["cum_share"], c["cum_capture_rate"], color=_COLOURS[i % len(_COLOURS)], lw=2, label=label)
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label=tr("no model (random)"))
    if rate > 0:
        ax.plot([0, rate, 1], [0, 1, 1], color="black", ls=":", lw=1, label=tr("perfect model"))
    return _finish_unit_square(ax, "Customers contacted, best scores first (% of base)",
                              "Responders captured (% of all responders)", title)


def lift_chart(table: pd.DataFrame | None = None, y_true=None, scores=None, n: int = 10, ax=None,
               cumulative: bool = True, title: str | None = None):
    """Lift per n-tile (bars) and cumulative lift (line) from an :func:`clientlens.lift.ntile_table`
    (or computed from ``y_true`` and one score); the no-model level 1 is a dashed line."""
    ax = _ax(ax)
    if table is None:
        table = L.ntile_table(y_true, scores, n=n)
    x = table["ntile"].to_numpy()
    ax.bar(x, table["lift"], color=_COLOURS[0], alpha=0.75, label=tr("lift of the n-tile"))
    if cumulative:
        ax.plot(x, table["cum_lift"], color=_COLOURS[1], marker="o", lw=2, label=tr("cumulative lift"))
    ax.axhline(1.0, color="grey", ls="--", lw=1, label=tr("no model (lift 1)"))
    ax.set_xticks(x)
    ax.set_xlabel(tr("n-tile of score (1 = highest scores)"))
    ax.set_ylabel(tr("Lift (response rate / overall rate, x)"))
    ax.set_title(tr(title) if title else tr("Lift by decile" if len(table) == 10 else "Lift by n-tile"))
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return ax


def ks_chart(y_true, score, ax=None, title: str = "KS: responders vs non-responders"):
    """Cumulative shares of responders and non-responders by score cut-off, with the KS gap marked."""
    ax = _ax(ax)
    c = L.ks_curve(y_true, score)
    ax.plot(c["cum_share"], c["cum_capture_rate"], color=_COLOURS[0], lw=2, label=tr("responders"))
    ax.plot(c["cum_share"], c["cum_non_capture_rate"], color=_COLOURS[1], lw=2, label=tr("non-responders"))
    i = int(np.argmax(np.abs(c["ks"].to_numpy())))
    xk = c["cum_share"].iloc[i]
    ax.vlines(xk, c["cum_non_capture_rate"].iloc[i], c["cum_capture_rate"].iloc[i], color="black", lw=1.5)
    ax.annotate(tr("KS = {ks:.3f}\nat top {top:.0%}", ks=abs(c["ks"].iloc[i]), top=xk), (xk, (c["cum_capture_rate"].iloc[i]
                + c["cum_non_capture_rate"].iloc[i]) / 2), xytext=(8, 0), textcoords="offset points", fontsize=9)
    return _finish_unit_square(ax, "Customers selected, best scores first (% of base)",
                              "Cumulative share of the group (%)", title)


def roc_chart(y_true, scores, ax=None, title: str = "ROC curve"):
    """ROC curve(s) with AUC in the legend and the chance diagonal."""
    ax = _ax(ax, size=(5.2, 4.8))
    for i, (label, s) in enumerate(_as_dict(scores).items()):
        r = L.roc_curve(y_true, s)
        ax.plot(r["fpr"], r["tpr"], color=_COLOURS[i % len(_COLOURS)], lw=2,
                label=tr("{label} (AUC {auc:.3f})", label=label, auc=L.auc(y_true, s)))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label=tr("chance (AUC 0.5)"))
    return _finish_unit_square(ax, "False positive rate (% of non-responders selected)",
                              "True positive rate (% of responders selected)", title)


def calibration_chart(table: pd.DataFrame | None = None, y_true=None, prob=None, n_bins: int = 10, ax=None,
                      title: str = "Calibration: predicted vs observed response rate"):
    """Observed against mean predicted response rate per bin (marker size ~ customers), with the
    perfect-calibration diagonal."""
    ax = _ax(ax, size=(5.2, 4.8))
    if table is None:
        table = L.calibration_table(y_true, prob, n_bins=n_bins)
    top = float(max(table["mean_predicted"].max(), table["observed_rate"].max())) * 1.1 or 1.0
    ax.plot([0, top], [0, top], color="grey", ls="--", lw=1, label=tr("perfect calibration"))
    sizes = 20 + 200 * table["count"] / table["count"].max()
    ax.scatter(table["mean_predicted"], table["observed_rate"], s=sizes, color=_COLOURS[0], alpha=0.8,
               label=tr("bins of predicted rate"), zorder=3)
    ax.plot(table["mean_predicted"], table["observed_rate"], color=_COLOURS[0], lw=1)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(tr("Mean predicted response rate (%)"))
    ax.set_ylabel(tr("Observed response rate (%)"))
    ax.set_title(title)
    _pct_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def control_chart(comparison, ax=None, title: str = "Post-evaluation: model group vs control group"):
    """Response rates of the model and control groups with 95% Wilson intervals
    (``comparison`` from :func:`clientlens.lift.model_vs_control`)."""
    ax = _ax(ax, size=(5.2, 4.0))
    c = comparison
    alpha = 1 - c.confidence
    rates = [c.rate_model, c.rate_control]
    ints = [L.wilson_interval(c.responders_model, c.n_model, alpha),
            L.wilson_interval(c.responders_control, c.n_control, alpha)]
    err = np.array([[r - lo for r, (lo, _) in zip(rates, ints)], [hi - r for r, (_, hi) in zip(rates, ints)]])
    ax.bar([0, 1], rates, color=[_COLOURS[0], "#a0aec0"], yerr=err, capsize=6)
    ax.set_xticks([0, 1])
    ax.set_xticklabels([tr("model group\n(n = {n:,})", n=c.n_model), tr("control group\n(n = {n:,})", n=c.n_control)])
    ax.set_xlabel(tr("Group (error bars: 95% Wilson interval)") if abs(c.confidence - 0.95) < 1e-9
                  else tr("Group (error bars: {confidence:.0%} Wilson interval)", confidence=c.confidence))
    ax.set_ylabel(tr("Response rate (%)"))
    ax.set_title(title)
    _pct_axis(ax, "y")
    for x, r in zip([0, 1], rates):
        ax.annotate(f"{r:.2%}", (x, r), xytext=(12, 4), textcoords="offset points", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    return ax


def score_distribution_chart(dev_scores, other_scores, labels=("development", "validation"), bins: int = 30,
                             ax=None, xlabel: str = "Score (points)", title: str = "Score distribution"):
    """Overlaid histograms (share of customers) of the score in two samples, for stability."""
    ax = _ax(ax)
    a = np.asarray(dev_scores, dtype=float)
    b = np.asarray(other_scores, dtype=float)
    edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=bins)
    for arr, label, col in ((a, labels[0], _COLOURS[0]), (b, labels[1], _COLOURS[1])):
        ax.hist(arr, bins=edges, weights=np.full(len(arr), 1 / max(len(arr), 1)), alpha=0.5, color=col,
                label=tr("{label} (n = {n:,})", label=tr(label), n=len(arr)))
    ax.set_xlabel(tr(xlabel))
    ax.set_ylabel(tr("Share of customers (%)"))
    ax.set_title(tr(title))
    _pct_axis(ax, "y")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax
