"""Charts for the WOE/IV binning report: IV ranking, WOE and event rate per bin, PSI per variable."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ..i18n import value
from . import tr

BAND_COLOURS = {
    "useless": "#bdbdbd", "weak": "#9ecae1", "medium": "#3182bd", "strong": "#08519c",
    "suspicious": "#d62728", "n/a": "#eeeeee",
}
PSI_COLOURS = {"stable": "#2f855a", "watch": "#d69e2e", "shifted": "#c53030", "n/a": "#bdbdbd"}


def _ax(ax, figsize):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _short(label: str, width: int = 28) -> str:
    label = str(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def plot_iv_ranking(summary: pd.DataFrame, top: int = 30, iv_min: float = 0.02, iv_max: float = 0.5, ax=None):
    """Horizontal bars of IV per variable (highest first), coloured by IV band, selected ones marked.

    ``summary`` is :attr:`clientlens.binning.WoeBinner.summary_` (columns ``variable``, ``iv``,
    ``prescreen_iv``, ``iv_band``, ``selected``); variables not binned show their pre-screen IV.
    """
    df = summary.copy()
    df["iv_shown"] = df["iv"].fillna(df.get("prescreen_iv")).fillna(0.0)
    df = df.sort_values("iv_shown", ascending=False, kind="mergesort").head(int(top)).iloc[::-1]
    ax = _ax(ax, (8, max(3.0, 0.28 * len(df) + 1.2)))
    colours = [BAND_COLOURS.get(b, "#bdbdbd") for b in df["iv_band"]]
    y = np.arange(len(df))
    ax.barh(y, df["iv_shown"], color=colours, edgecolor=["black" if s else "none" for s in df["selected"]],
            linewidth=1.2)
    ax.set_yticks(y)
    ax.set_yticklabels([("✓ " if s else "") + _short(v) for v, s in zip(df["variable"], df["selected"])],
                       fontsize=8)
    ax.axvline(iv_min, color="grey", ls="--", lw=1)
    ax.axvline(iv_max, color="#d62728", ls="--", lw=1)
    ax.set_xlabel(tr("information value (IV)"))
    ax.set_title(tr("IV ranking: top {n} variables (✓ selected; dashed: IV {iv_min:g} and {iv_max:g})", n=len(df),
                    iv_min=iv_min, iv_max=iv_max))
    from matplotlib.patches import Patch

    present = [b for b in BAND_COLOURS if b in set(df["iv_band"])]
    ax.legend(handles=[Patch(color=BAND_COLOURS[b], label=value(b)) for b in present], title=tr("IV band"),
              loc="lower right", fontsize=8)
    return ax


def plot_woe_bins(bin_table: pd.DataFrame, variable: str = "", ax=None, max_label: int = 22):
    """WOE per bin (bars) with the event rate per bin (line, right axis, %); empty bins left out.

    ``bin_table`` is :meth:`clientlens.binning.WoeBinner.bin_table` output.
    """
    t = bin_table[bin_table["count"] > 0].reset_index(drop=True)
    ax = _ax(ax, (max(5.0, 0.7 * len(t) + 2), 3.6))
    x = np.arange(len(t))
    colours = ["#3182bd" if w >= 0 else "#e6550d" for w in t["woe"]]
    ax.bar(x, t["woe"], color=colours, alpha=0.85)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel(tr("WOE = ln(%non-event / %event)"))
    ax.set_xticks(x)
    ax.set_xticklabels(["\n".join(textwrap.wrap(_short(value(b), 40), max_label) or ["–"]) + f"\n({100 * sh:.0f}%)"
                        for b, sh in zip(t["bin"], t["share"])],
                       rotation=30 if len(t) > 4 else 0, ha="right" if len(t) > 4 else "center", fontsize=7)
    ax2 = ax.twinx()
    regular = ~t["bin"].isin(["Missing", "Special"]).to_numpy()
    ax2.plot(x[regular], 100 * t["event_rate"].to_numpy()[regular], color="black", marker="o", lw=1.5)
    ax2.plot(x[~regular], 100 * t["event_rate"].to_numpy()[~regular], color="black", marker="D", lw=0,
             label=tr("Missing / Special (own bins)"))
    ax2.set_ylabel(tr("event rate (%)"))
    ax2.set_ylim(bottom=0)
    ax.set_title(tr("{variable}: WOE (bars) and event rate (line) per bin", variable=variable))
    ax.set_xlabel(tr("bin (share of records)"))
    return ax


def plot_psi(psi_df: pd.DataFrame, watch: float = 0.1, shifted: float = 0.25, top: int = 30, ax=None):
    """Bars of PSI per variable coloured by band, with the watch and shifted thresholds."""
    df = psi_df.sort_values("psi", ascending=False, kind="mergesort").head(int(top)).iloc[::-1]
    ax = _ax(ax, (8, max(2.5, 0.28 * len(df) + 1.2)))
    y = np.arange(len(df))
    ax.barh(y, df["psi"], color=[PSI_COLOURS.get(b, "#bdbdbd") for b in df["band"]])
    ax.set_yticks(y)
    ax.set_yticklabels([_short(v) for v in df["variable"]], fontsize=8)
    ax.axvline(watch, color=PSI_COLOURS["watch"], ls="--", lw=1)
    ax.axvline(shifted, color=PSI_COLOURS["shifted"], ls="--", lw=1)
    ax.set_xlabel(tr("population stability index (PSI)"))
    ax.set_xlim(0, max(shifted * 1.2, float(df["psi"].max()) * 1.1 if len(df) else 0.3))
    ax.set_title(tr("Stability: PSI per selected variable (dashed: watch {watch:g}, shifted {shifted:g})", watch=watch,
                    shifted=shifted))
    return ax
