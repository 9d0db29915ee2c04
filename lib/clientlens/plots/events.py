"""Charts for the event-triggered marketing report (07_event_triggers).

Every function takes ``ax=None`` (a new figure is made when None) and returns the axes.
No chart shows customer ids.
"""
from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from . import tr

_COLOURS = {"large_outflow": "#c53030", "fx_purchase": "#dd6b20", "large_inflow": "#2f855a",
            "spend_surge": "#2b6cb0", "birthday": "#805ad5", "rm": "#c53030", "app": "#2b6cb0", "sms": "#718096"}


def _ax(ax, figsize=(11, 3.8)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax



def _name(code: str) -> str:
    """A rule or channel code in the report's language (``spend_surge`` -> "spend surge" in English)."""
    from ..i18n import value

    named = value(code)
    return named if named != code else str(code).replace("_", " ")

def plot_daily_stacked(counts: pd.DataFrame, title: str, order=None, ax=None):
    """Day x category counts as stacked bars (one bar per day).

    Parameters
    ----------
    counts : DataFrame
        Index: days; columns: categories (events or channels); values: counts
        (:func:`clientlens.events.daily_counts`).
    title : str
    order : sequence, optional
        Stacking order of the columns (bottom first); absent columns are skipped.
    """
    ax = _ax(ax)
    cols = [c for c in (order or counts.columns) if c in counts.columns]
    x = np.arange(len(counts))
    bottom = np.zeros(len(counts))
    for c in cols:
        v = counts[c].to_numpy(dtype=float)
        ax.bar(x, v, bottom=bottom, width=0.85, color=_COLOURS.get(c, None), label=_name(c))
        bottom += v
    _day_axis(ax, counts.index)
    ax.set_title(tr(title), fontsize=11)
    ax.legend(fontsize=8, ncol=min(len(cols), 6), loc="upper left", frameon=False)
    return ax


def _day_axis(ax, days) -> None:
    x = np.arange(len(days))
    step = max(1, len(days) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([d.strftime("%m-%d") for d in pd.to_datetime(days[::step])], fontsize=8)
    ax.set_xlim(-0.6, len(days) - 0.4)
    ax.set_ylabel(tr("per day"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)


def plot_channel_load(counts: pd.Series, channel: str, cap: float | None = None, ax=None):
    """One channel's tasks per day against its daily cap (the cap line is drawn when it is on the scale).

    Parameters
    ----------
    counts : Series
        Tasks per day (index: days).
    channel : str
    cap : float, optional
        Tasks per day the channel can take; days at the cap are drawn darker.
    """
    ax = _ax(ax, figsize=(5, 3))
    v = counts.to_numpy(dtype=float)
    x = np.arange(len(v))
    colour = _COLOURS.get(channel, "#2b6cb0")
    at_cap = np.zeros(len(v), dtype=bool) if cap is None else v >= cap
    ax.bar(x[~at_cap], v[~at_cap], width=0.85, color=colour, alpha=0.75)
    if at_cap.any():
        ax.bar(x[at_cap], v[at_cap], width=0.85, color="#1a202c", label=tr("at the cap"))
    top = max(v.max() if len(v) else 0.0, 1.0)
    if cap is not None and cap <= top * 1.5:
        ax.axhline(cap, color="#c53030", ls="--", lw=1, label=tr("cap {cap:,.0f}/day", cap=cap))
        ax.set_ylim(0, max(top, cap) * 1.15)
        ax.legend(fontsize=8, loc="upper left", frameon=False)
        title = tr("{channel}: tasks per day", channel=_name(channel))
    else:
        title = tr("{channel}: tasks per day", channel=_name(channel)) + (
            tr(" (cap {cap:,.0f}/day, off the scale)", cap=cap) if cap is not None else "")
    _day_axis(ax, counts.index)
    ax.set_title(title, fontsize=10)
    return ax


def plot_funnel(funnel: Mapping[str, int], labels: Mapping[str, str] | None = None, ax=None):
    """Campaign-management funnel: events in, the counts removed at each step, tasks out (horizontal bars)."""
    ax = _ax(ax, figsize=(7, 3))
    steps = list(funnel.items())
    names = [tr(labels[k]) if labels and k in labels else _name(k) for k, _ in steps]
    vals = np.array([v for _, v in steps], dtype=float)
    out_steps = {"events", "tasks"}
    colours = ["#2b6cb0" if k in out_steps else "#a0aec0" for k, _ in steps]
    y = np.arange(len(steps))[::-1]
    ax.barh(y, vals, color=colours)
    for yi, v in zip(y, vals):
        ax.text(v, yi, f" {v:,.0f}", va="center", fontsize=9)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.set_xlim(0, max(vals.max(), 1) * 1.18)
    ax.set_xlabel(tr("count"))
    ax.set_title(tr("From events to contact tasks"), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
