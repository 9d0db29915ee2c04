"""Charts for the segmentation report (03_segmentation).

Every function takes ``ax=None`` (a new figure is made when None) and returns the axes.
No chart shows customer ids.
"""
from __future__ import annotations

import re
import textwrap
from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..i18n import value
from . import tr

_METRICS = {
    "inertia": ("Inertia (within-segment sum of squares)", "lower is tighter; look for the elbow"),
    "silhouette": ("Silhouette (sample)", "higher is better"),
    "calinski_harabasz": ("Calinski-Harabasz index", "higher is better"),
    "davies_bouldin": ("Davies-Bouldin index", "lower is better"),
    "bic": ("BIC (Gaussian mixture)", "lower is better"),
}


def _ax(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


_WIDE_CHAR = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _seg_name(s, labels: Mapping | None, width: int = 38) -> str:
    """``"<segment>: <label>"`` wrapped onto lines of at most ``width`` characters (a CJK character counts two),
    never cut."""
    if labels is None or s not in labels:
        return tr("segment {s}", s=s)
    text = f"{s}: {labels[s]}"
    if _WIDE_CHAR.search(text):
        width = max(8, width // 2)
    return "\n".join(textwrap.wrap(text, width=width, break_on_hyphens=False)) or text


def plot_k_metric(k_selection: pd.DataFrame, metric: str, chosen_k: int | None = None, ax=None):
    """One k-selection criterion against k, the chosen k marked."""
    if metric not in k_selection.columns:
        raise KeyError(f"k_selection has no column {metric!r}")
    ax = _ax(ax)
    title, hint = _METRICS.get(metric, (metric, ""))
    short = tr(title.split(" (")[0])
    title, hint = tr(title), tr(hint) if hint else hint
    ks = k_selection.index.to_numpy()
    ax.plot(ks, k_selection[metric].to_numpy(), marker="o", color="#2b6cb0")
    if chosen_k is not None and chosen_k in k_selection.index:
        ax.axvline(chosen_k, color="#c53030", ls="--", lw=1, label=tr("chosen k = {k}", k=chosen_k))
        ax.legend(loc="best", fontsize=8)
    ax.set_title(f"{title}\n({hint})" if hint else title, fontsize=10)
    ax.set_xlabel(tr("number of segments k"))
    ax.set_ylabel(short)
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    return ax


def plot_stability(k_selection: pd.DataFrame, threshold: float = 0.8, chosen_k: int | None = None, ax=None):
    """Bootstrap stability (mean adjusted Rand index between refits, +/- 1 sd) against k."""
    ax = _ax(ax)
    ks = k_selection.index.to_numpy()
    m = k_selection["stability_ari_mean"].to_numpy(dtype=float)
    sd = k_selection["stability_ari_sd"].to_numpy(dtype=float)
    sd = np.nan_to_num(sd)
    yerr = np.vstack([sd, np.minimum(sd, 1.0 - m)])  # ARI cannot exceed 1
    ax.errorbar(ks, m, yerr=np.clip(yerr, 0, None), marker="o", capsize=3, color="#2f855a",
                label=tr("mean ARI ± 1 sd"))
    ax.axhline(threshold, color="#b7791f", ls=":", label=tr("stable if ≥ {threshold:g}", threshold=threshold))
    if chosen_k is not None and chosen_k in k_selection.index:
        ax.axvline(chosen_k, color="#c53030", ls="--", lw=1, label=tr("chosen k = {k}", k=chosen_k))
    ax.set_ylim(min(0.0, np.nanmin(m - sd) - 0.05) if np.isfinite(m).any() else 0, 1.05)
    ax.set_title(tr("Stability: agreement between refits on resamples\n(adjusted Rand index, 1 = identical)"),
                 fontsize=10)
    ax.set_xlabel(tr("number of segments k"))
    ax.set_ylabel(tr("adjusted Rand index"))
    ax.set_xticks(ks)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_segment_sizes(summary: pd.DataFrame, labels: Mapping | None = None, ax=None):
    """Share of customers and, when present, of AUM and CLV per segment (horizontal bars, %)."""
    cols = [c for c in ("share_customers", "share_aum", "share_clv") if c in summary.columns]
    ax = _ax(ax, figsize=(7, 0.6 * len(summary) + 1.5))
    n = len(cols)
    h = 0.8 / n
    y = np.arange(len(summary))
    colors = {"share_customers": "#2b6cb0", "share_aum": "#2f855a", "share_clv": "#b7791f"}
    names = {"share_customers": "customers", "share_aum": "AUM", "share_clv": "CLV"}
    for i, c in enumerate(cols):
        vals = summary[c].to_numpy(dtype=float) * 100
        ax.barh(y + (i - (n - 1) / 2) * h, vals, height=h, color=colors[c], label=tr("share of {what}", what=tr(names[c])))
    ax.set_yticks(y, [_seg_name(s, labels) for s in summary.index], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(tr("share of the total (%)"))
    ax.set_ylabel(tr("segment"))
    ax.set_title(tr("Segment sizes and value shares"), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_profile_heatmap(zscores: pd.DataFrame, labels: Mapping | None = None, ax=None, vmax: float = 2.0):
    """Segment x feature z-scores (segment mean vs all customers, in standard deviations)."""
    ax = _ax(ax, figsize=(max(6, 0.7 * zscores.shape[1] + 3), 0.55 * zscores.shape[0] + 2))
    z = zscores.to_numpy(dtype=float)
    im = ax.imshow(np.clip(z, -vmax, vmax), cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
    ax.set_xticks(range(z.shape[1]), [value(c) for c in zscores.columns], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(z.shape[0]), [_seg_name(s, labels) for s in zscores.index], fontsize=8)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            ax.text(j, i, f"{z[i, j]:+.1f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(z[i, j]) > 0.6 * vmax else "black")
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    cb.set_label(tr("z-score (standard deviations from the mean)"), fontsize=8)
    ax.set_title(tr("Segment profiles: how far each segment's mean is from all customers"), fontsize=10)
    ax.set_xlabel(tr("feature (amounts and counts on a log scale)"))
    ax.set_ylabel(tr("segment"))
    return ax


def plot_projection(projection: pd.DataFrame, labels: Mapping | None = None, ax=None, max_points: int = 5000):
    """2-D PCA map of a sample of customers, coloured by segment."""
    ax = _ax(ax, figsize=(10, 5.5))
    pts = projection.iloc[:max_points]
    cmap = plt.get_cmap("tab10")
    for i, s in enumerate(sorted(pts["segment"].unique())):
        m = pts["segment"] == s
        ax.scatter(pts.loc[m, "pc1"], pts.loc[m, "pc2"], s=5, alpha=0.5, color=cmap(i % 10),
                   label=_seg_name(s, labels))
    ev = projection.attrs.get("explained", [np.nan, np.nan])
    ax.set_xlabel(tr("principal component {i} ({share:.0%} of variance)", i=1, share=ev[0]))
    ax.set_ylabel(tr("principal component {i} ({share:.0%} of variance)", i=2, share=ev[1]))
    ax.set_title(tr("Segments on a 2-D map (PCA of the clustering features, {n:,} sampled customers)", n=len(pts)),
                 fontsize=10)
    # outside the axes, to the right: a legend on the map hides the customers under it
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8, markerscale=3)
    ax.grid(alpha=0.3)
    return ax


def plot_crosstab(ct: pd.DataFrame, labels: Mapping | None = None, ax=None, title: str | None = None):
    """Heatmap of a segment x rule cross-tab (row shares, %)."""
    ax = _ax(ax, figsize=(max(5, 1.0 * ct.shape[1] + 3), 0.5 * ct.shape[0] + 2))
    v = ct.to_numpy(dtype=float) * 100
    im = ax.imshow(v, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(ct.shape[1]), [str(value(c)) for c in ct.columns], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(ct.shape[0]), [_seg_name(s, labels) for s in ct.index], fontsize=8)
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            ax.text(j, i, f"{v[i, j]:.0f}%", ha="center", va="center", fontsize=7,
                    color="white" if v[i, j] > 60 else "black")
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    cb.set_label(tr("share of the segment's customers (%)"), fontsize=8)
    rule = tr(ct.columns.name or "rule segment")
    ax.set_title(tr(title) if title else tr("Segments vs {rule} (each row sums to 100%)", rule=rule), fontsize=10)
    ax.set_xlabel(rule)
    ax.set_ylabel(tr("segment"))
    return ax
