"""Charts for the customer profile report (01_profile): concentration, portrait, lifecycle, quadrant, RFM.

Every function takes ``ax=None`` (a new figure is made when omitted) and returns the axes.
Inputs are aggregates (counts, shares, Lorenz points), never customer ids.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import value as _value
from . import tr

STAGE_COLOURS = {"contact": "#9ecae1", "growth": "#31a354", "maturity": "#3182bd", "decline": "#fd8d3c",
                 "dormant": "#969696", "active": "#6baed6"}
QUADRANT_LABELS = {
    "high_value_high_potential": "High value\nhigh potential",
    "high_value_low_potential": "High value\nlow potential",
    "low_value_high_potential": "Low value\nhigh potential",
    "low_value_low_potential": "Low value\nlow potential",
}


def _ax(ax, figsize=(7, 4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _words(name: str, key: str | None = None) -> str:
    """A tag value or column name as a reader reads it: the catalogue entry of ``key`` (default ``name``) in the
    report's language, else ``name`` with spaces for underscores (``retention_watch`` -> ``retention watch``)."""
    key = str(name) if key is None else key
    shown = _value(key)
    return shown if shown != key else str(name).replace("_", " ")


def _cny(x: float) -> str:
    if abs(x) >= 1e9:
        return f"{x / 1e9:.1f}bn"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.1f}m"
    if abs(x) >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def plot_lorenz(lorenz: pd.DataFrame, top_share: float | None = None, top_fraction: float = 0.2, *,
                gini: float | None = None, label: str = "AUM", ax=None):
    """Lorenz curve of value concentration with the equality diagonal and the top-k% share.

    ``lorenz`` has columns ``customers_share`` and ``value_share`` (from
    :func:`clientlens.features.concentration`).
    """
    ax = _ax(ax, (5.5, 5))
    ax.plot([0, 100], [0, 100], ls="--", color="#999999", lw=1, label=tr("Equal distribution"))
    ax.plot(100 * lorenz["customers_share"], 100 * lorenz["value_share"], color="#08519c", lw=2,
            label=tr("{label} (Lorenz curve)", label=label))
    ax.fill_between(100 * lorenz["customers_share"], 100 * lorenz["value_share"],
                    100 * lorenz["customers_share"], color="#9ecae1", alpha=0.3)
    if top_share is not None and np.isfinite(top_share):
        x = 100 * (1 - top_fraction)
        y = 100 * (1 - top_share)
        ax.axvline(x, color="#c53030", lw=1, ls=":")
        ax.annotate(tr("Top {top:.0%} of customers\nhold {held:.0%} of {label}", top=top_fraction, held=top_share,
                       label=label),
                    xy=(x, y), xytext=(8, 55), textcoords="data", fontsize=9,
                    arrowprops={"arrowstyle": "->", "color": "#c53030"})
    title = tr("Concentration of {label}", label=label)
    if gini is not None and np.isfinite(gini):
        title += tr(" (Gini {gini:.2f})", gini=gini)
    ax.set_title(title)
    ax.set_xlabel(tr("Customers, ranked from lowest to highest (cumulative %)"))
    ax.set_ylabel(tr("Share of total {label} (cumulative %)", label=label))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax


def plot_value_distribution(values, *, label: str = "AUM", unit: str = "CNY", bins: int = 40, ax=None):
    """Histogram of a heavy-tailed amount on a log scale (zeros counted in the title)."""
    ax = _ax(ax)
    x = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype="float64")
    n_zero = int((x <= 0).sum())
    pos = x[x > 0]
    if len(pos):
        edges = np.logspace(np.log10(max(pos.min(), 1.0)), np.log10(pos.max() * 1.0001), bins)
        ax.hist(pos, bins=edges, color="#3182bd", edgecolor="white")
        ax.set_xscale("log")
        med = float(np.median(pos))
        ax.axvline(med, color="#c53030", ls="--", lw=1, label=tr("Median {median} {unit}", median=_cny(med), unit=tr(unit)))
        ax.legend(fontsize=8, frameon=False)
    ax.set_title(tr("Distribution of {label}", label=label)
                 + (tr(" ({n:,} customers at 0 not shown)", n=n_zero) if n_zero else ""))
    ax.set_xlabel(tr("{label} ({unit}, log scale)", label=label, unit=tr(unit)))
    ax.set_ylabel(tr("Customers"))
    return ax


def plot_share_bars(shares: pd.Series, *, title: str, xlabel: str | None = None,
                    value_share: pd.Series | None = None, value_label: str = "AUM", order=None, ax=None):
    """Horizontal bars of shares per category (optionally a second bar per category: share of value)."""
    s = shares.copy()
    if order is not None:
        s = s.reindex([o for o in order if o in s.index] + [i for i in s.index if i not in set(order)])
    s = s.iloc[::-1]
    ax = _ax(ax, (7, max(2.5, 0.35 * len(s) + 1.2)))
    y = np.arange(len(s))
    h = 0.4 if value_share is not None else 0.7
    ax.barh(y + (h / 2 if value_share is not None else 0), 100 * s.to_numpy(), height=h, color="#3182bd",
            label=tr("Customers"))
    if value_share is not None:
        v = value_share.reindex(s.index).fillna(0.0)
        ax.barh(y - h / 2, 100 * v.to_numpy(), height=h, color="#fd8d3c", label=tr(value_label))
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    for yi, val in zip(y, s.to_numpy()):
        ax.text(100 * val, yi + (h / 2 if value_share is not None else 0), f" {val:.1%}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels([str(_value(str(i))) for i in s.index])
    if xlabel is None:
        xlabel = tr("Share of customers (%)") if value_share is None else \
            tr("Share of customers / of total {label} (%)", label=value_label)
    ax.set_xlabel(tr(xlabel))
    ax.set_title(tr(title))
    ax.set_xlim(0, 100 * max(float(s.max()) if len(s) else 0,
                             float(value_share.max()) if value_share is not None and len(value_share) else 0) * 1.18
                + 1)
    return ax


def plot_lifecycle_stages(counts: pd.Series, order=("contact", "growth", "maturity", "decline", "dormant"), *,
                          ax=None):
    """Lifecycle stages as horizontal bars in stage order (first stage on top), each with its count and share.

    A lifecycle is a sequence of stages, not a funnel: the widest stage is often maturity, so bar lengths
    (customers per stage) are drawn from a common zero and the stages read top to bottom in their order.
    Stages not in ``order`` (e.g. ``active`` without balances) follow it. Returns the axes.
    """
    c = counts.reindex([o for o in order if o in counts.index] + [i for i in counts.index if i not in order])
    c = c.fillna(0)
    total = float(c.sum()) or 1.0
    ax = _ax(ax, (7.5, 0.55 * max(len(c), 1) + 1.6))
    y = np.arange(len(c))[::-1]
    widths = c.to_numpy(dtype="float64")
    colours = [STAGE_COLOURS.get(str(s), "#6baed6") for s in c.index]
    ax.barh(y, widths, color=colours, height=0.7)
    for yi, n in zip(y, widths):
        ax.text(n, yi, f" {int(n):,} ({n / total:.1%})", ha="left", va="center", fontsize=9, color="black")
    ax.set_yticks(y)
    ax.set_yticklabels([f"{i + 1}. {_value(str(s))}" for i, s in enumerate(c.index)])
    m = widths.max() if len(widths) else 1
    ax.set_xlim(0, (m or 1) * 1.3)
    ax.set_xlabel(tr("Customers"))
    ax.set_title(tr("Customers per lifecycle stage, in stage order"))
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax


def plot_quadrant(table: pd.DataFrame, *, value_threshold: float, potential_threshold: float, ax=None):
    """2 x 2 value x potential grid: customers and AUM share per quadrant, with the action.

    ``table`` is indexed by quadrant label with columns ``customers``, ``share``,
    ``aum_share`` and optionally ``action``.
    """
    from matplotlib.patches import Rectangle

    ax = _ax(ax, (7, 5.5))
    pos = {"low_value_high_potential": (0, 1), "high_value_high_potential": (1, 1),
           "low_value_low_potential": (0, 0), "high_value_low_potential": (1, 0)}
    colours = {"high_value_high_potential": "#31a354", "high_value_low_potential": "#3182bd",
               "low_value_high_potential": "#fd8d3c", "low_value_low_potential": "#bdbdbd"}
    for q, (x, y) in pos.items():
        ax.add_patch(Rectangle((x, y), 1, 1, facecolor=colours[q], alpha=0.35, edgecolor="white", lw=3))
        if q in table.index:
            r = table.loc[q]
            text = (tr(QUADRANT_LABELS[q]) + tr("\n{n:,} customers ({share:.1%})", n=int(r["customers"]),
                                                share=r["share"])
                    + (tr("\n{share:.1%} of AUM", share=r["aum_share"])
                       if "aum_share" in r and pd.notna(r["aum_share"]) else ""))
            if "action" in r and isinstance(r["action"], str):
                text += tr("\nmain action: {action}", action=_words(r["action"]))
        else:
            text = tr(QUADRANT_LABELS[q]) + tr("\nno customers")
        ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=9)
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    ax.set_xticks([0.5, 1.5])
    ax.set_xticklabels([f"AUM < {_cny(value_threshold)}", f"AUM >= {_cny(value_threshold)}"])
    ax.set_yticks([0.5, 1.5])
    ax.set_yticklabels([tr("income\n< {amount}", amount=_cny(potential_threshold)),
                        tr("income\n>= {amount}", amount=_cny(potential_threshold))])
    ax.set_xlabel(tr("Current value: AUM at as-of (CNY)"))
    ax.set_ylabel(tr("Potential: monthly income (CNY)"))
    ax.set_title(tr("Value x potential quadrant"))
    return ax


def plot_rfm_grid(grid: pd.DataFrame, *, title: str = "RFM grid: customers by recency and frequency score",
                  fmt: str = "{:,.0f}", cbar_label: str = "Customers", ax=None):
    """Heatmap of an R x F table (rows R score 5..1, columns F score 1..5)."""
    ax = _ax(ax, (6, 4.8))
    g = grid.reindex(index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5])
    vals = g.to_numpy(dtype="float64")
    im = ax.imshow(np.nan_to_num(vals, nan=0.0), cmap="Blues", aspect="auto")
    vmax = np.nanmax(vals) if np.isfinite(vals).any() else 1
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            v = vals[i, j]
            if np.isfinite(v):
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8,
                        color="white" if v > 0.6 * vmax else "black")
    ax.set_xticks(range(5))
    ax.set_xticklabels([str(c) for c in g.columns])
    ax.set_yticks(range(5))
    ax.set_yticklabels([str(r) for r in g.index])
    ax.set_xlabel(tr("F score (1 = least frequent, 5 = most)"))
    ax.set_ylabel(tr("R score (5 = most recent)"))
    ax.set_title(tr(title))
    ax.figure.colorbar(im, ax=ax, label=tr(cbar_label))
    return ax


def plot_penetration(rates: pd.Series, *, title: str = "Product penetration", ax=None):
    """Share of customers holding each product (horizontal bars, highest first)."""
    r = rates.sort_values()
    ax = _ax(ax, (7, max(2.5, 0.35 * len(r) + 1.2)))
    ax.barh(np.arange(len(r)), 100 * r.to_numpy(), color="#31a354")
    for i, v in enumerate(r.to_numpy()):
        ax.text(100 * v, i, f" {v:.1%}", va="center", fontsize=8)
    ax.set_yticks(np.arange(len(r)))
    ax.set_yticklabels([_words(str(i), key="has_" + str(i)) for i in r.index])
    ax.set_xlabel(tr("Customers holding the product (%)"))
    ax.set_xlim(0, 115)
    ax.set_title(tr(title))
    return ax


def plot_tag_coverage(coverage: pd.DataFrame, *, ax=None):
    """Tags per category (bars), annotated with the lowest coverage among the category's tags.

    ``coverage`` is :func:`clientlens.tags.tag_coverage` (columns ``tag``, ``category``, ``coverage``).
    """
    g = coverage.groupby("category", sort=False).agg(tags=("tag", "size"), min_cov=("coverage", "min"),
                                                      worst=("coverage", lambda s: coverage.loc[s.idxmin(), "tag"]))
    g = g.iloc[::-1]
    ax = _ax(ax, (7, 0.45 * len(g) + 1.4))
    y = np.arange(len(g))
    ax.barh(y, g["tags"].to_numpy(), color="#3182bd")
    for yi, (cat, r) in zip(y, g.iterrows()):
        note = tr("all customers covered") if r["min_cov"] >= 0.9995 else \
            tr("lowest coverage {cov:.0%} ({tag})", cov=r["min_cov"], tag=_value(r["worst"]))
        ax.text(r["tags"], yi, tr(" {n} tags; {note}", n=int(r["tags"]), note=note), va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels([str(_value(c)) for c in g.index])
    ax.set_xlabel(tr("Number of tags"))
    ax.set_xlim(0, g["tags"].max() * 2.2)
    ax.set_title(tr("Tag library: tags per category and coverage"))
    return ax
