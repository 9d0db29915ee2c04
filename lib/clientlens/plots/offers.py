"""Charts for customer value and offers (04_clv, 05_response_model).

Every function takes ``ax=None`` (a new figure is made when None) and returns the axes.
No chart shows customer ids.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..i18n import value
from . import tr


def _ax(ax, figsize=(6.5, 4.2)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_coholding(matrix: pd.DataFrame, ax=None, title: str = "Co-holding: share of row holders holding the column"):
    """Heat map of :func:`clientlens.offers.coholding_matrix` (diagonal blank)."""
    ax = _ax(ax, (6.8, 5.4))
    m = matrix.to_numpy(dtype=float).copy()
    np.fill_diagonal(m, np.nan)
    im = ax.imshow(m, cmap="Blues", vmin=0, vmax=1)
    labels = [str(value(c)).replace("_", " ") for c in matrix.columns]
    ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right")
    ax.set_yticks(range(len(labels)), [str(value(c)).replace("_", " ") for c in matrix.index])
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if np.isfinite(m[i, j]):
                ax.text(j, i, f"{m[i, j]:.0%}", ha="center", va="center", fontsize=8,
                        color="white" if m[i, j] > 0.6 else "black")
    ax.set_xlabel(tr("also holds"))
    ax.set_ylabel(tr("holders of"))
    ax.set_title(tr(title))
    plt.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_gains(gains: pd.DataFrame, ax=None, currency: str = "CNY"):
    """Expected value, contact cost and profit by list size (:func:`clientlens.offers.size_list`)."""
    ax = _ax(ax, (7.5, 4.0))
    x = np.concatenate([[0], gains["customers"].to_numpy()])
    for col, label, colour in (("expected_value", "expected value of responses", "#2f855a"),
                               ("contact_cost", "contact cost", "#c53030"),
                               ("expected_profit", "expected profit", "#2b6cb0")):
        ax.plot(x, np.concatenate([[0], gains[col].to_numpy()]), label=tr(label), color=colour, lw=2)
    chosen = gains[gains["chosen"]]
    if len(chosen):
        ax.axvline(chosen["customers"].iloc[0], color="#4a5568", ls="--", lw=1, label=tr("chosen list size"))
    ax.set_xlabel(tr("customers contacted (best expected profit first)"))
    ax.set_ylabel(tr(currency))
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(tr("Expected profit by list size"))
    return ax


def plot_value_vs_aum(table: pd.DataFrame, name: str, ax=None):
    """Share of value beside share of AUM and of customers per group (:func:`clientlens.value.value_by_group`)."""
    ax = _ax(ax, (8, 3.8))
    t = table.sort_values("aum_share", ascending=False)
    x = np.arange(len(t))
    w = 0.27
    for k, (col, label, colour) in enumerate((("customer_share", "customers", "#a0aec0"),
                                               ("aum_share", "AUM", "#dd6b20"),
                                               ("value_share", "value to the bank", "#2b6cb0"))):
        ax.bar(x + (k - 1) * w, t[col].to_numpy(), w, label=tr(label), color=colour)
    ax.set_xticks(x, [str(value(v)).replace("_", " ") for v in t[name]], rotation=20, ha="right")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(tr("Share of customers, AUM and value by {group}", group=tr(name.replace("_", " "))))
    return ax
