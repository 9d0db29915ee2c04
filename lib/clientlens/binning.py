"""WOE/IV optimal binning, variable screening, stability (PSI) and selection (IV 最优分箱).

Built on optbinning's :class:`~optbinning.OptimalBinning` (mixed-integer / CP optimal binning with
monotonic trends, minimum bin share, maximum bin count, missing and special values in their own bins).

Conventions (the same as optbinning, so tables and transforms agree):

* the *event* is ``y == 1`` (e.g. responded, churned); a *non-event* is ``y == 0``;
* ``WOE_i = ln(%non-event_i / %event_i)`` with ``%event_i = events_i / total events``: a bin with an
  event rate above the average has a negative WOE;
* ``IV_i = (%non-event_i - %event_i) * WOE_i`` (equivalently ``(%event - %non-event) ln(%event / %non-event)``),
  ``IV = sum_i IV_i``; the IV does not depend on which sign convention is used for the WOE;
* a bin with no events or no non-events gets WOE 0 and IV contribution 0 (optbinning's rule);
* bank-practice bands (``../shared/domain.md``): IV < 0.02 useless, 0.02-0.1 weak, 0.1-0.3 medium,
  0.3-0.5 strong, > 0.5 suspicious (check for leakage); PSI < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted.

Screening at scale (:class:`WoeBinner` with ``prescreen=True``): every numeric variable is first cut into
``prescreen_bins`` quantile bins (plus a missing bin) in vectorised numpy, and its IV is computed in one
pass over a block of columns. Merging bins can only lower the IV (it is an f-divergence), so the IV of an
optimal binning built from such fine bins is at most about the fine-bin IV; only variables whose
pre-screen IV reaches ``prescreen_factor * iv_min`` (default half the useless threshold) go on to optimal
binning, which runs in parallel (joblib, ``n_jobs``). Then come the IV range, the correlation and VIF
filters among kept variables, and the maximum count. Every dropped variable gets a reason.

Typical use::

    binner = WoeBinner(iv_min=0.02, iv_max=0.5, max_corr=0.7, random_state=42).fit(X, y)
    binner.summary_                 # one row per variable: iv, ks, gini, n_bins, trend, iv_band, selected, reason
    binner.bin_table("aum")         # one row per bin
    W = binner.transform(X_new)     # WOE of the selected variables
    binner.psi(X_dev, X_recent)     # stability per variable
    save_binning(binner, path, meta=sample_meta); load_binning(path); load_binning_meta(path)
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from . import ClientLensError, DataError, ParamsError
from .artifacts import dump_artifact, load_artifact
from .i18n import t

__all__ = [
    "IV_BANDS", "PSI_BANDS", "iv_band", "psi_band", "psi", "woe_iv_table", "WoeBinner", "variable_psi",
    "psi_table", "save_binning", "load_binning", "prescreen_iv", "campaign_samples", "dropped_table",
    "all_bin_tables", "reason_kind", "default_min_bin_events", "CAMPAIGN_META_COLUMNS", "load_binning_meta", "BinningSamples",
    "bin_counts", "bin_count_sql", "sql_bin_counts", "psi_from_counts",
]

#: Upper edges of the IV bands (domain.md): [0, 0.02) useless, [0.02, 0.1) weak, [0.1, 0.3) medium,
#: [0.3, 0.5] strong, above 0.5 suspicious.
IV_BANDS: tuple[tuple[str, float], ...] = (("useless", 0.02), ("weak", 0.1), ("medium", 0.3), ("strong", 0.5))
#: PSI bands (domain.md): < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted.
PSI_BANDS: tuple[tuple[str, float], ...] = (("stable", 0.1), ("watch", 0.25))

#: Share floor used by :func:`psi` in place of an empty bin's share (so the logarithm is defined).
PSI_EPS = 1e-4

_ID_NAME = re.compile(r"(^id$|^id_|_id$|_id_|id$|_no$|^no_|_num$|_number$|^uuid|_key$|号$|编号|证件|账号|卡号)",
                      re.IGNORECASE)
_TRENDS = ("auto", "auto_heuristic", "auto_asc_desc", "ascending", "descending", "convex", "concave",
           "peak", "valley", "peak_heuristic", "valley_heuristic", None)
_SAVE_FORMAT = "clientlens.binning/1"


# --------------------------------------------------------------------------- bands and PSI

def iv_band(iv: float, bands: Sequence[tuple[str, float]] = IV_BANDS) -> str:
    """Bank-practice band of an information value.

    ``< 0.02`` useless, ``0.02-0.1`` weak, ``0.1-0.3`` medium, ``0.3-0.5`` strong, ``> 0.5`` suspicious
    (a lower edge belongs to the higher band; exactly 0.5 is still strong). ``NaN`` gives ``"n/a"``.
    """
    if iv is None or (isinstance(iv, float) and np.isnan(iv)) or pd.isna(iv):
        return "n/a"
    iv = float(iv)
    for i, (name, upper) in enumerate(bands):
        last = i == len(bands) - 1
        if iv < upper or (last and iv <= upper):
            return name
    return "suspicious"


def psi_band(value: float, watch: float = 0.1, shifted: float = 0.25) -> str:
    """``'stable'`` (PSI < watch), ``'watch'`` (watch <= PSI <= shifted) or ``'shifted'`` (PSI > shifted)."""
    if value is None or pd.isna(value):
        return "n/a"
    if not 0 <= watch <= shifted:
        raise ParamsError(f"psi thresholds must satisfy 0 <= watch <= shifted; got watch={watch}, shifted={shifted}")
    value = float(value)
    if value < watch:
        return "stable"
    if value <= shifted:
        return "watch"
    return "shifted"


def psi(expected_counts, actual_counts, eps: float = PSI_EPS) -> float:
    """Population stability index of two binned distributions.

    ``PSI = sum_i (a_i - e_i) ln(a_i / e_i)`` with ``e_i``, ``a_i`` the *shares* of bin ``i`` in the
    expected (development) and actual (comparison) sample.

    Small-count guard: a share below ``eps`` (default 1e-4, i.e. an empty bin) is replaced by ``eps``
    before the difference and the logarithm, so an empty bin adds a large but finite term; bins with
    shares of at least ``eps`` in both samples are computed exactly.

    Parameters
    ----------
    expected_counts, actual_counts : array-like of float
        Counts (or weights) per bin, in the same bin order.
    eps : float
        Share floor, in (0, 0.01).
    """
    e = np.asarray(expected_counts, dtype=float)
    a = np.asarray(actual_counts, dtype=float)
    if e.ndim != 1 or e.shape != a.shape:
        raise DataError(f"psi: expected and actual counts must be 1-d of the same length; got {e.shape} and {a.shape}")
    if not (0 < eps < 0.01):
        raise ParamsError(f"eps must be in (0, 0.01); got {eps!r}")
    if np.any(e < 0) or np.any(a < 0) or not np.all(np.isfinite(e)) or not np.all(np.isfinite(a)):
        raise DataError("psi: counts must be finite and >= 0")
    if e.sum() <= 0 or a.sum() <= 0:
        raise DataError("psi: expected and actual samples must not be empty")
    es = np.maximum(e / e.sum(), eps)
    as_ = np.maximum(a / a.sum(), eps)
    return float(np.sum((as_ - es) * np.log(as_ / es)))


# --------------------------------------------------------------------------- exact tables

def _check_binary_target(y, *, min_event_count: int = 1, name: str = "target") -> np.ndarray:
    """``y`` as an int8 0/1 array; DataError on missing values, other values, one class or too few events."""
    arr = y.to_numpy() if isinstance(y, (pd.Series, pd.Index)) else np.asarray(y)
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if len(arr) == 0:
        raise DataError(f"{name} is empty")
    s = pd.Series(arr)
    n_missing = int(s.isna().sum())
    if n_missing:
        raise DataError(f"{name} has {n_missing:,} missing value(s); drop those rows or fill them first")
    if s.dtype == bool:
        out = s.to_numpy().astype(np.int8)
    else:
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() | ~num.isin([0, 1])
        if bad.any():
            shown = sorted({str(v) for v in s[bad].unique()[:5]})
            raise DataError(f"{name} must be binary 0/1; got other value(s) {shown}")
        out = num.to_numpy().astype(np.int8)
    n_event = int(out.sum())
    n_nonevent = len(out) - n_event
    if n_event == 0 or n_nonevent == 0:
        only = "1 (all events)" if n_event else "0 (no events)"
        raise DataError(f"{name} has only one class: every value is {only}; binning needs both 0 and 1")
    if n_event < min_event_count:
        raise DataError(f"{name} has {n_event:,} events (1s); at least min_event_count={min_event_count} are needed")
    if n_nonevent < min_event_count:
        raise DataError(f"{name} has {n_nonevent:,} non-events (0s); at least min_event_count={min_event_count} "
                        "are needed")
    return out


def _woe_iv(n_nonevent: np.ndarray, n_event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WOE and IV contribution per bin (optbinning convention; zero-cell bins get 0 and 0)."""
    n_nonevent = np.asarray(n_nonevent, dtype=float)
    n_event = np.asarray(n_event, dtype=float)
    t_ne, t_e = n_nonevent.sum(), n_event.sum()
    woe = np.zeros(len(n_event))
    iv = np.zeros(len(n_event))
    mask = (n_event > 0) & (n_nonevent > 0)
    if t_ne > 0 and t_e > 0:
        p_ne = n_nonevent[mask] / t_ne
        p_e = n_event[mask] / t_e
        woe[mask] = np.log(p_ne / p_e)
        iv[mask] = (p_ne - p_e) * woe[mask]
    return woe, iv


def _table_from_counts(labels: list[str], n_nonevent, n_event) -> pd.DataFrame:
    n_nonevent = np.asarray(n_nonevent, dtype="int64")
    n_event = np.asarray(n_event, dtype="int64")
    count = n_nonevent + n_event
    total = count.sum()
    woe, iv = _woe_iv(n_nonevent, n_event)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, n_event / np.maximum(count, 1), np.nan)
    return pd.DataFrame({
        "bin": pd.array(labels, dtype="str"),
        "count": count,
        "share": count / total if total else np.zeros(len(count)),
        "non_events": n_nonevent,
        "events": n_event,
        "event_rate": rate,
        "woe": woe,
        "iv": iv,
    })


def woe_iv_table(x, y) -> pd.DataFrame:
    """Exact WOE/IV table with one bin per distinct value of ``x`` (missing values in a ``'Missing'`` bin).

    For categorical or discrete variables and for checking the binner by hand: nothing is merged.

    Parameters
    ----------
    x : array-like
        The variable.
    y : array-like of 0/1
        The binary target (1 = event).

    Returns
    -------
    DataFrame
        ``bin``, ``count``, ``share``, ``non_events``, ``events``, ``event_rate``,
        ``woe`` = ln(%non-event / %event), ``iv`` = (%non-event - %event) * woe; the total IV is
        ``table["iv"].sum()``. Bins are in sorted order of the values, ``'Missing'`` last.
    """
    yv = _check_binary_target(y, name="y")
    xs = pd.Series(x.to_numpy() if isinstance(x, pd.Series) else np.asarray(x, dtype=object))
    if len(xs) != len(yv):
        raise DataError(f"x and y must have the same length; got {len(xs)} and {len(yv)}")
    codes, uniques = pd.factorize(xs, sort=True, use_na_sentinel=True)
    k = len(uniques)
    missing = codes < 0
    codes = np.where(missing, k, codes)
    n_event = np.bincount(codes, weights=yv, minlength=k + 1)
    count = np.bincount(codes, minlength=k + 1)
    labels = [str(u) for u in uniques] + ["Missing"]
    if not missing.any():
        labels, n_event, count = labels[:-1], n_event[:-1], count[:-1]
    return _table_from_counts(labels, count - n_event, n_event)


# --------------------------------------------------------------------------- pre-screen

def _numeric_block(X: pd.DataFrame, cols: list[str]) -> np.ndarray:
    M = np.empty((len(X), len(cols)), dtype=np.float64)
    for j, c in enumerate(cols):
        s = X[c]
        if s.dtype == bool:
            M[:, j] = s.to_numpy().astype(np.float64)
        else:
            M[:, j] = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    M[~np.isfinite(M)] = np.nan
    return M


def _iv_from_counts(count: np.ndarray, events: np.ndarray, t_event: float, t_nonevent: float,
                    pseudo: float = 0.5) -> np.ndarray:
    """IV per row of (k, bins) count matrices; empty bins ignored, zero cells smoothed by ``pseudo``."""
    nonevents = count - events
    used = count > 0
    e = np.where(used, events + pseudo, 0.0)
    ne = np.where(used, nonevents + pseudo, 0.0)
    pe = e / (t_event + pseudo * used.sum(axis=1, keepdims=True))
    pne = ne / (t_nonevent + pseudo * used.sum(axis=1, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(used, (pne - pe) * np.log(np.where(used, pne, 1.0) / np.where(used, pe, 1.0)), 0.0)
    return term.sum(axis=1)


def prescreen_iv(X: pd.DataFrame, y, variables: Iterable[str] | None = None,
                 categorical_variables: Iterable[str] = (), n_bins: int = 20, block: int = 64,
                 special_codes=None, edge_sample: int = 50_000, random_state=0) -> pd.Series:
    """Fast approximate IV per variable: quantile bins for numbers, one bin per category, one for missing.

    Vectorised over blocks of ``block`` numeric columns (memory about ``len(X) * block * 12`` bytes).
    The quantile cut points come from a random sample of ``edge_sample`` rows (``random_state``); every
    row is then counted. A zero event or non-event cell is smoothed with 0.5, which errs towards a
    *higher* IV (a screen should keep a doubtful variable, not drop it). Special codes get their own bin.
    """
    yv = _check_binary_target(y, name="y")
    if n_bins < 2:
        raise ParamsError(f"prescreen_bins must be >= 2; got {n_bins}")
    variables = list(X.columns) if variables is None else list(variables)
    cats = set(categorical_variables)
    t_e = float(yv.sum())
    t_ne = float(len(yv) - t_e)
    out: dict[str, float] = {}
    num = [v for v in variables if v not in cats]
    ev_rows = yv.astype(bool)
    B = n_bins + 2  # regular bins, special, missing
    qs = np.linspace(0, 1, n_bins + 1)[1:-1]
    n = len(X)
    sample = None
    if n > edge_sample:
        sample = np.sort(np.random.default_rng(random_state).choice(n, size=int(edge_sample), replace=False))
    for start in range(0, len(num), block):
        cols = num[start:start + block]
        M = _numeric_block(X, cols)
        idx = np.empty(M.shape, dtype=np.int32)
        for j, c in enumerate(cols):
            col = M[:, j]
            miss = np.isnan(col)
            sc = _special_list(special_codes, c)
            spec = np.isin(col, np.asarray(sc, dtype=float)) & ~miss if sc else np.zeros(len(col), bool)
            ok = ~miss & ~spec
            clean = col[sample][ok[sample]] if sample is not None else col[ok]
            if clean.size:
                edges = np.unique(np.quantile(clean, qs))
                b = np.searchsorted(edges, col, side="right")
            else:
                b = np.zeros(len(col), dtype=np.int64)
            b[spec] = n_bins
            b[miss] = n_bins + 1
            idx[:, j] = b + j * B
        count = np.bincount(idx.ravel(), minlength=len(cols) * B).reshape(len(cols), B)
        events = np.bincount(idx[ev_rows].ravel(), minlength=len(cols) * B).reshape(len(cols), B)
        del idx, M
        ivs = _iv_from_counts(count.astype(float), events.astype(float), t_e, t_ne)
        out.update(zip(cols, ivs.tolist()))
    for c in [v for v in variables if v in cats]:
        codes, uniq = pd.factorize(X[c], use_na_sentinel=True)
        k = len(uniq)
        codes = np.where(codes < 0, k, codes)
        count = np.bincount(codes, minlength=k + 1)[None, :].astype(float)
        events = np.bincount(codes[ev_rows], minlength=k + 1)[None, :].astype(float)
        out[c] = float(_iv_from_counts(count, events, t_e, t_ne)[0])
    return pd.Series({v: out[v] for v in variables}, name="prescreen_iv", dtype=float)


def default_min_bin_events(n_events: int, share: float = 0.05, floor: int = 20) -> int:
    """Per-bin minimum event count: ``max(ceil(share * n_events), floor)``, at most ``n_events``, at least 1."""
    return int(max(1, min(int(n_events), max(int(np.ceil(share * n_events)), int(floor)))))


def _special_list(special_codes, variable: str) -> list:
    if special_codes is None:
        return []
    if isinstance(special_codes, dict):
        v = special_codes.get(variable)
        if v is None:
            return []
        return list(v) if isinstance(v, (list, tuple, set, np.ndarray)) else [v]
    return list(special_codes)


# --------------------------------------------------------------------------- one variable's binning

@dataclass
class VariableBinning:
    """A fitted binning of one variable, self-contained for transforming new data.

    ``n_nonevent`` / ``n_event`` hold the regular bins, then ``Special``, then ``Missing``.
    Numerical bins are ``[splits[i-1], splits[i])``; categorical bins are lists of categories.
    """

    name: str
    dtype: str                          # "numerical" | "categorical"
    splits: list                        # numerical: cut points; categorical: list of lists of categories
    special_codes: list
    n_nonevent: np.ndarray
    n_event: np.ndarray
    labels: list[str]
    woe: np.ndarray
    iv_bins: np.ndarray
    iv: float
    ks: float
    gini: float
    trend: str
    status: str = ""
    optb: object = field(default=None, repr=False)

    @property
    def n_bins(self) -> int:
        """Number of regular bins (excluding Special and Missing)."""
        return len(self.labels) - 2

    def indices(self, x) -> np.ndarray:
        """Bin index per value: regular bins 0..n-1, Special n, Missing n+1, unknown category -1."""
        n = self.n_bins
        if self.dtype == "numerical":
            v = _to_float(x)
            miss = np.isnan(v)
            idx = np.digitize(v, np.asarray(self.splits, dtype=float), right=False) if len(self.splits) else \
                np.zeros(len(v), dtype=np.int64)
            idx = idx.astype(np.int64)
            if self.special_codes:
                spec = np.isin(v, np.asarray(self.special_codes, dtype=float)) & ~miss
                idx[spec] = n
            idx[miss] = n + 1
            return idx
        s = pd.Series(np.asarray(x, dtype=object) if not isinstance(x, pd.Series) else x.to_numpy(dtype=object))
        miss = s.isna().to_numpy()
        mapping = {str(c): i for i, cats in enumerate(self.splits) for c in cats}
        idx = np.array(s.astype(object).map(lambda c: mapping.get(str(c), -1)), dtype=np.int64)
        if self.special_codes:
            spec = s.astype(str).isin([str(c) for c in self.special_codes]).to_numpy() & ~miss
            idx[spec] = n
        idx[miss] = n + 1
        return idx

    def transform(self, x, metric: str = "woe") -> np.ndarray:
        """``woe`` (unknown category: 0 = the average), ``event_rate``, ``indices`` or ``bins`` (labels)."""
        idx = self.indices(x)
        if metric == "indices":
            return idx
        if metric == "woe":
            vals = np.append(self.woe, 0.0)
            return vals[idx]  # idx -1 -> the appended 0.0
        if metric == "event_rate":
            count = self.n_event + self.n_nonevent
            total = self.n_event.sum() / count.sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(count > 0, self.n_event / np.maximum(count, 1), total)
            return np.append(rate, total)[idx]
        if metric == "bins":
            return np.asarray(self.labels + ["unknown"], dtype=object)[idx]
        raise ParamsError(f"metric must be one of ['woe', 'event_rate', 'indices', 'bins']; got {metric!r}")


def _to_float(x) -> np.ndarray:
    s = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x))
    if s.dtype == bool:
        v = s.to_numpy().astype(float)
    else:
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    v = v.copy()
    v[~np.isfinite(v)] = np.nan
    return v


def _fmt_edge(v: float) -> str:
    """Readable cut point: whole numbers from 10,000 on (no exponent), else 6 significant digits."""
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    if abs(v) >= 1e4:
        return f"{v:.0f}"
    return f"{v:.6g}"


def _detect_trend(event_rate: np.ndarray, dtype: str) -> str:
    if dtype == "categorical":
        return "by category"
    r = event_rate[~np.isnan(event_rate)]
    if len(r) <= 1:
        return "flat"
    d = np.sign(np.diff(r))
    d = d[d != 0]
    if len(d) == 0:
        return "flat"
    if np.all(d > 0):
        return "ascending"
    if np.all(d < 0):
        return "descending"
    changes = np.count_nonzero(np.diff(d))
    if changes == 1:
        return "peak" if d[0] > 0 else "valley"
    return "non-monotonic"


#: optbinning settings that change its pre-binning: with any of them set, optbinning pre-bins itself
_PREBINNING_OPTIONS = {"prebinning_method", "max_n_prebins", "min_prebin_size", "class_weight", "outlier_detector",
                       "split_digits", "cat_cutoff", "user_splits", "user_splits_fixed"}


def _cart_prebin_splits(x: np.ndarray, y: np.ndarray, special_codes, min_prebin_size: float = 0.05,
                        max_n_prebins: int = 20) -> np.ndarray | None:
    """The split points of optbinning's CART pre-binning of a numerical variable, found on the distinct
    (value, target) pairs weighted by their counts instead of on every row.

    ``OptimalBinning.fit`` pre-bins with ``DecisionTreeClassifier(min_weight_fraction_leaf=m / n,
    max_leaf_nodes=max_n_prebins)`` fitted on the non-missing, non-special rows with a weight of 1 each
    (``m = ceil(min_prebin_size * all rows)``, ``n`` those rows). A tree on the distinct pairs with their counts
    as weights sees the same weighted class counts at every candidate split (integers, exact in floating
    point), the same thresholds (midpoints of the same distinct float32 values) and the same leaf sizes, so it
    grows the same tree: the same splits (tested against optbinning on every demo variable). A variable of
    counts or flags has a few hundred distinct values among hundreds of thousands of rows. The tree is grown by
    :func:`clientlens.cart.best_first_splits` (scikit-learn's thresholds from cumulative counts), or by
    scikit-learn itself when two candidate nodes tie on improvement.
    None when no row is left to split or the target is not 0/1 (optbinning then pre-bins itself).
    """
    from sklearn.tree import DecisionTreeClassifier, _tree

    from .cart import best_first_splits

    x = np.asarray(x, dtype=float)
    y = np.asarray(y)
    clean = ~np.isnan(x)
    if special_codes:
        clean &= ~pd.Series(x).isin(list(special_codes)).to_numpy()
    if not clean.any():
        return None
    xc, yc = x[clean].astype(np.float32), y[clean]
    if not np.isin(yc, (0, 1)).all():      # a 0/1 target only (optbinning's binary problem)
        return None
    min_bin_size = int(np.ceil(min_prebin_size * len(x)))
    fraction = min(0.5, min_bin_size / np.sum(np.ones(len(xc), dtype=x.dtype)))
    inverse, values = pd.factorize(xc, sort=True)   # np.unique(xc, return_inverse=True) by hashing: 4x faster
    counts = np.bincount(inverse * 2 + (yc == 1), minlength=2 * len(values)).reshape(-1, 2)   # [value, target]
    weights = counts.astype(x.dtype)
    splits = best_first_splits(values, weights[:, 0], weights[:, 1], (counts > 0).sum(axis=1),
                               min_weight_fraction_leaf=fraction, max_leaf_nodes=max_n_prebins)
    if splits is not None:          # scikit-learn's tree, grown on cumulative counts (clientlens.cart)
        return splits
    row, target = np.nonzero(counts)
    tree = DecisionTreeClassifier(min_weight_fraction_leaf=fraction, max_leaf_nodes=max_n_prebins, class_weight=None)
    tree.fit(values[row].reshape(-1, 1), np.where(target == 1, yc.dtype.type(1), yc.dtype.type(0)),
             sample_weight=weights[row, target])
    splits = np.unique(tree.tree_.threshold)
    return splits[splits != _tree.TREE_UNDEFINED]


def _fit_one(name: str, x: np.ndarray, y: np.ndarray, dtype: str, options: dict,
             special_codes: list, user_splits) -> VariableBinning:
    from optbinning import OptimalBinning

    kw = dict(options)
    if user_splits is None and dtype == "numerical" and not _PREBINNING_OPTIONS & set(kw):
        splits = _cart_prebin_splits(x, y, special_codes)
        if splits is not None and len(splits):
            kw["user_splits"] = splits     # optbinning's own pre-binning splits, found on distinct pairs
    if user_splits is not None:
        # analyst-fixed bins: kept exactly as given (trend, size and count constraints do not apply)
        if dtype == "numerical":
            user_splits = sorted(float(s) for s in user_splits)
        else:
            user_splits = [[str(c) for c in (grp if isinstance(grp, (list, tuple, set, np.ndarray)) else [grp])]
                           for grp in user_splits]
        kw.update(user_splits=user_splits, user_splits_fixed=[True] * len(user_splits), monotonic_trend=None,
                  min_bin_size=None, max_n_bins=None, min_bin_n_event=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optb = OptimalBinning(name=name, dtype=dtype, special_codes=special_codes or None, **kw)
        optb.fit(x, y)
    bt = optb.binning_table
    bt.build(add_totals=False)
    n_ne = np.asarray(bt.n_nonevent, dtype="int64")
    n_e = np.asarray(bt.n_event, dtype="int64")
    if dtype == "numerical":
        splits = [float(s) for s in np.asarray(optb.splits, dtype=float)]
        edges = [-np.inf] + splits + [np.inf]
        labels = [f"[{_fmt_edge(a)}, {_fmt_edge(b)})" for a, b in zip(edges[:-1], edges[1:])]
    else:
        splits = [[c.item() if hasattr(c, "item") else c for c in np.asarray(s, dtype=object)] for s in optb.splits]
        labels = [", ".join(str(c) for c in s) for s in splits]
    labels = labels + ["Special", "Missing"]
    if len(n_e) != len(labels):  # should not happen (one special group); keep a clear message if it does
        raise ClientLensError(f"{name}: unexpected optbinning table ({len(n_e)} rows for {len(labels)} bins)")
    woe, iv = _woe_iv(n_ne, n_e)
    count = n_e + n_ne
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, n_e / np.maximum(count, 1), np.nan)
    trend = _detect_trend(rate[:-2], dtype)
    return VariableBinning(name=name, dtype=dtype, splits=splits, special_codes=list(special_codes or []),
                           n_nonevent=n_ne, n_event=n_e, labels=labels, woe=woe, iv_bins=iv,
                           iv=float(iv.sum()), ks=float(bt.ks), gini=float(bt.gini), trend=trend,
                           status=str(optb.status), optb=optb)


def _fit_many(tasks: list[tuple], y: np.ndarray, options: dict) -> list[VariableBinning]:
    return [_fit_one(name, x, y, dtype, options, sc, us) for name, x, dtype, sc, us in tasks]


# --------------------------------------------------------------------------- the binner

class WoeBinner:
    """Optimal WOE binning of many variables with screening, selection and stability.

    Parameters
    ----------
    variables : list of str, optional
        Candidate columns (default: every column of ``X`` at fit).
    categorical_variables : list of str, optional
        Columns binned as categories. Text, category and object columns are categorical anyway.
    special_codes : list or dict, optional
        Values with their own ``Special`` bin (e.g. ``[-999]``), for all numeric variables or per variable.
    monotonic_trend : str or None
        optbinning trend for numeric variables: ``"auto_asc_desc"`` (default: best of ascending or
        descending), ``"auto"``, ``"ascending"``, ``"descending"``, ``"peak"``, ``"valley"``, ``None``...
    trends : dict, optional
        Per-variable override of ``monotonic_trend``.
    user_splits : dict, optional
        Fixed bins per variable: cut points for numbers, a list of category lists for categories
        (e.g. ``[[c] for c in categories]`` for one bin per category). They are kept exactly: the
        trend, bin-size and bin-count constraints do not apply to them, nor the pre-screen.
    max_n_bins : int or None
        Maximum number of regular bins per variable.
    min_bin_size : float or None
        Minimum share of records in a regular bin.
    min_event_count : int
        Fewer events (1s) or non-events in the target than this stops the fit.
    min_bin_events : int or None
        Smallest number of events (responders) in each regular bin, enforced by optbinning's
        ``min_bin_n_event`` constraint. ``None`` (default): ``max(ceil(5% of events), 20)``, at most the
        number of events, at least 1 (:func:`default_min_bin_events`). Fitted value: ``min_bin_events_``.
    iv_min, iv_max : float
        Keep variables with ``iv_min <= IV <= iv_max`` (domain.md bands: useless below 0.02,
        suspicious above 0.5).
    keep_suspicious : bool
        Keep variables above ``iv_max`` (flagged ``suspicious``) when the automated leakage checks find no
        leak (default: IV > 0.5 means "check for leakage", not "drop"); ``False`` drops them all.
    leak_auc : float
        Leakage check: a variable whose binned single-variable AUC (either direction) is at least this
        separates the target almost perfectly: a leak, dropped with the reason.
    target_name : str, optional
        Leakage check: a variable whose name contains the target's name (or is contained in it) is a leak.
    feature_dates : dict, optional
        Leakage check: ``{variable: date the variable was measured}``; a date after ``obs_date`` is a leak.
    obs_date : str or date, optional
        The observation date the features must precede (with ``feature_dates``).
    max_corr : float or None
        Among kept variables (in IV order), drop one whose absolute WOE correlation with a
        stronger kept variable exceeds this.
    max_vif : float or None
        Then drop the variable with the largest VIF while it exceeds this.
    max_selected : int or None
        Keep at most this many variables (highest IV).
    prescreen : bool
        Run the fast quantile pre-screen first and bin optimally only the candidates.
    prescreen_bins : int
        Quantile bins of the pre-screen.
    prescreen_factor : float
        A variable is a candidate when its pre-screen IV >= ``prescreen_factor * iv_min``.
    id_unique_share : float
        Unique share of non-missing values above which a column with an id-like name (``*id*``,
        ``*_no``, ``*号``...), a consecutive integer sequence, or a text column counts as an identifier.
    corr_sample : int
        Rows (random, ``random_state``) used for the correlation and VIF filters.
    n_jobs : int
        Parallel jobs for optimal binning (joblib).
    random_state : int, optional
        Seed of the correlation sample.
    solver : str
        optbinning solver (``"cp"``).
    """

    def __init__(self, variables=None, categorical_variables=None, special_codes=None,
                 monotonic_trend="auto_asc_desc", trends=None, user_splits=None, max_n_bins=10,
                 min_bin_size=0.05, min_event_count=30, min_bin_events=None, iv_min=0.02, iv_max=0.5, keep_suspicious=True,
                 max_corr=0.7, max_vif=10.0, max_selected=20, prescreen=True, prescreen_bins=20,
                 prescreen_factor=0.5, id_unique_share=0.95, corr_sample=200_000, n_jobs=1,
                 random_state=None, solver="cp", leak_auc=0.95, target_name=None, feature_dates=None,
                 obs_date=None):
        self.variables = variables
        self.categorical_variables = categorical_variables
        self.special_codes = special_codes
        self.monotonic_trend = monotonic_trend
        self.trends = trends
        self.user_splits = user_splits
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.min_event_count = min_event_count
        self.min_bin_events = min_bin_events
        self.iv_min = iv_min
        self.iv_max = iv_max
        self.keep_suspicious = keep_suspicious
        self.max_corr = max_corr
        self.max_vif = max_vif
        self.max_selected = max_selected
        self.prescreen = prescreen
        self.prescreen_bins = prescreen_bins
        self.prescreen_factor = prescreen_factor
        self.id_unique_share = id_unique_share
        self.corr_sample = corr_sample
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.solver = solver
        self.leak_auc = leak_auc
        self.target_name = target_name
        self.feature_dates = feature_dates
        self.obs_date = obs_date

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        def num(name, v, lo=None, hi=None, allow_none=False, integer=False):
            if v is None and allow_none:
                return
            ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            if integer:
                ok = ok and float(v) == int(v)
            if not ok:
                raise ParamsError(f"{name} must be a {'whole ' if integer else ''}number; got {v!r}")
            if lo is not None and v < lo:
                raise ParamsError(f"{name} must be >= {lo}; got {v!r}")
            if hi is not None and v > hi:
                raise ParamsError(f"{name} must be <= {hi}; got {v!r}")

        num("max_n_bins", self.max_n_bins, 2, allow_none=True, integer=True)
        num("min_bin_size", self.min_bin_size, 0, 0.5, allow_none=True)
        num("min_event_count", self.min_event_count, 1, integer=True)
        num("min_bin_events", self.min_bin_events, 1, allow_none=True, integer=True)
        num("iv_min", self.iv_min, 0)
        num("iv_max", self.iv_max, 0)
        num("leak_auc", self.leak_auc, 0.5, 1)
        if self.iv_max < self.iv_min:
            raise ParamsError(f"iv_max must be >= iv_min; got iv_min={self.iv_min}, iv_max={self.iv_max}")
        num("max_corr", self.max_corr, 0, 1, allow_none=True)
        num("max_vif", self.max_vif, 1, allow_none=True)
        num("max_selected", self.max_selected, 1, allow_none=True, integer=True)
        num("prescreen_bins", self.prescreen_bins, 2, integer=True)
        num("prescreen_factor", self.prescreen_factor, 0, 1)
        num("id_unique_share", self.id_unique_share, 0.5, 1)
        num("corr_sample", self.corr_sample, 100, integer=True)
        num("n_jobs", self.n_jobs, integer=True)
        if self.n_jobs == 0:
            raise ParamsError("n_jobs must not be 0 (use 1, 2, ... or -1 for all cores)")
        if self.monotonic_trend not in _TRENDS:
            raise ParamsError(f"monotonic_trend must be one of {list(_TRENDS)}; got {self.monotonic_trend!r}")
        for var, t in (self.trends or {}).items():
            if t not in _TRENDS:
                raise ParamsError(f"trends[{var!r}] must be one of {list(_TRENDS)}; got {t!r}")

    def _variable_list(self, X: pd.DataFrame) -> list[str]:
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"X must be a pandas DataFrame; got {type(X).__name__}")
        variables = list(X.columns) if self.variables is None else list(self.variables)
        missing = [v for v in variables if v not in X.columns]
        if missing:
            raise DataError(f"variable(s) {missing[:5]} not in X (columns: {list(X.columns)[:10]})")
        extra = [v for v in (self.categorical_variables or []) + list(self.trends or {}) + list(self.user_splits or {})
                 if v not in X.columns]
        if extra:
            raise DataError(f"variable(s) {extra[:5]} named in params are not in X")
        if len(set(variables)) != len(variables):
            raise DataError("variables contains duplicate names")
        if not variables:
            raise DataError("no variables to bin")
        return variables

    def _kind(self, X: pd.DataFrame, v: str) -> str:
        s = X[v]
        if v in set(self.categorical_variables or []):
            return "categorical"
        if pd.api.types.is_datetime64_any_dtype(s.dtype) or isinstance(s.dtype, pd.PeriodDtype) or \
                pd.api.types.is_timedelta64_dtype(s.dtype):
            return "unsupported"
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            return "numerical"
        return "categorical"

    def _precheck(self, X: pd.DataFrame, v: str, kind: str) -> str | None:
        """Reason to drop ``v`` before binning, or None."""
        s = X[v]
        if kind == "unsupported":
            return f"unsupported dtype {s.dtype}: derive a number from it (e.g. days since the date)"
        if kind == "numerical":
            vals = _to_float(s)
            present = vals[~np.isnan(vals)]
        else:
            present = s.dropna().to_numpy()
        if len(present) == 0:
            return "all values missing"
        name_like = bool(_ID_NAME.search(str(v)))
        if kind == "categorical":
            nuniq = len(pd.unique(present))
            if nuniq == 1:
                return "constant: one distinct value"
            share = nuniq / len(present)
            if share >= self.id_unique_share and len(present) >= 20:
                return f"id-like column: {share:.0%} of values unique" + (" and an id-like name" if name_like else "")
            return None
        lo, hi = present.min(), present.max()
        if lo == hi:
            return "constant: one distinct value"
        if len(present) < 20:
            return None
        integer = lo == np.floor(lo) and hi == np.floor(hi) and np.all(present == np.floor(present))
        if name_like or (integer and hi - lo + 1 <= len(present) / self.id_unique_share):
            # counting distinct values (a sort) only where an identifier is plausible
            share = len(np.unique(present)) / len(present)
            if share >= self.id_unique_share:
                if name_like:
                    return f"id-like column: {share:.0%} of values unique and an id-like name"
                srt = np.sort(present)
                if np.all(np.diff(srt) == 1):
                    return f"id-like column: a consecutive integer sequence ({share:.0%} unique)"
        return None

    # ------------------------------------------------------------------ fit
    def fit(self, X: pd.DataFrame, y) -> "WoeBinner":
        """Bin, screen and select the variables of ``X`` against the binary target ``y``.

        Raises
        ------
        DataError
            ``y`` not binary 0/1, one class, fewer events than ``min_event_count``, length mismatch,
            named variables absent. Unusable variables (all missing, constant, id-like, dates) are
            dropped with a reason in ``summary_`` instead.
        ParamsError
            Bad parameter values.
        """
        self._check_params()
        variables = self._variable_list(X)
        yv = _check_binary_target(y, min_event_count=int(self.min_event_count))
        if len(yv) != len(X):
            raise DataError(f"target has {len(yv):,} values but X has {len(X):,} rows")
        self.n_rows_ = len(X)
        self.event_rate_ = float(yv.mean())
        n_ev = int(yv.sum())
        self.min_bin_events_ = (default_min_bin_events(n_ev) if self.min_bin_events is None
                                else int(min(int(self.min_bin_events), n_ev)))
        kinds = {v: self._kind(X, v) for v in variables}
        rows: dict[str, dict] = {}
        for v in variables:
            rows[v] = {"variable": v, "dtype": kinds[v], "prescreen_iv": np.nan, "iv": np.nan, "ks": np.nan,
                       "gini": np.nan, "n_bins": 0, "trend": "", "iv_band": "n/a", "selected": False, "reason": ""}
            reason = self._precheck(X, v, kinds[v])
            if reason:
                rows[v]["reason"] = reason
        usable = [v for v in variables if not rows[v]["reason"]]
        cats = [v for v in usable if kinds[v] == "categorical"]

        # 1. pre-screen
        candidates = usable
        threshold = self.prescreen_factor * self.iv_min
        if self.prescreen and usable:
            pre = prescreen_iv(X, yv, usable, categorical_variables=cats, n_bins=int(self.prescreen_bins),
                               special_codes=self.special_codes,
                               random_state=self.random_state if self.random_state is not None else 0)
            candidates = []
            for v in usable:
                rows[v]["prescreen_iv"] = float(pre[v])
                if v in (self.user_splits or {}) or pre[v] >= threshold:
                    candidates.append(v)
                else:
                    rows[v]["reason"] = (f"pre-screen IV {pre[v]:.4f} < {threshold:.4g} "
                                         f"({self.prescreen_factor:g} x iv_min): useless")
                    rows[v]["iv_band"] = iv_band(pre[v])

        # 2. optimal binning of the candidates (parallel)
        self.binnings_: dict[str, VariableBinning] = {}
        for vb in self._fit_candidates(X, yv, candidates, kinds):
            self.binnings_[vb.name] = vb
            r = rows[vb.name]
            r.update(iv=vb.iv, ks=vb.ks, gini=vb.gini, n_bins=vb.n_bins, trend=vb.trend, iv_band=iv_band(vb.iv))

        # 3. IV range; above iv_max the automated leakage checks decide (leakage_)
        self.leakage_ = self._leakage_checks(X, yv, [v for v in candidates if rows[v]["iv"] > self.iv_max], rows)
        found = dict(zip(self.leakage_["variable"], self.leakage_["finding"]))
        passed = []
        for v in candidates:
            iv = rows[v]["iv"]
            if iv < self.iv_min:
                rows[v]["reason"] = f"IV {iv:.4f} < iv_min {self.iv_min:g} ({iv_band(iv)})"
            elif iv > self.iv_max and found.get(v):
                rows[v]["reason"] = f"IV {iv:.4f} > iv_max {self.iv_max:g}: suspicious; leak found: {found[v]}"
            elif iv > self.iv_max and not self.keep_suspicious:
                rows[v]["reason"] = f"IV {iv:.4f} > iv_max {self.iv_max:g}: suspicious, check for leakage"
            else:
                passed.append(v)
        self.iv_passed_ = sorted(passed, key=lambda v: (-rows[v]["iv"], v))

        # 4. correlation and VIF among kept variables, 5. maximum count
        kept = self._corr_vif_filter(X, self.iv_passed_, rows)
        if self.max_selected is not None and len(kept) > self.max_selected:
            for rank, v in enumerate(kept[self.max_selected:], start=self.max_selected + 1):
                rows[v]["reason"] = f"rank {rank} by IV > max_selected {self.max_selected}"
            kept = kept[: self.max_selected]
        for v in kept:
            rows[v]["selected"] = True
        self.selected_ = list(kept)
        summary = pd.DataFrame(list(rows.values()))
        summary["_order"] = summary["iv"].fillna(summary["prescreen_iv"]).fillna(-1.0)
        summary = summary.sort_values(["_order", "variable"], ascending=[False, True],
                                      kind="mergesort").drop(columns="_order").reset_index(drop=True)
        summary["n_bins"] = summary["n_bins"].astype("int64")
        summary["selected"] = summary["selected"].astype(bool)
        self.summary_ = summary
        self.variables_ = variables
        return self

    def _leakage_checks(self, X: pd.DataFrame, yv: np.ndarray, variables: list[str], rows: dict) -> pd.DataFrame:
        """The automated checks of every variable above ``iv_max``: binned single-variable AUC, name
        repeating the target's, measured after the observation date. ``finding`` is empty when none fires."""
        from .lift import auc as _auc

        tn = str(self.target_name or "").strip().lower()
        obs = pd.Timestamp(self.obs_date) if self.obs_date else None
        out = []
        for v in variables:
            er = self.binnings_[v].transform(X[v], "event_rate")
            raw = _to_float(X[v]) if self.binnings_[v].dtype == "numerical" else None
            if raw is not None and np.isfinite(raw).sum() > 1 and len(np.unique(yv[np.isfinite(raw)])) == 2:
                ok = np.isfinite(raw)   # numbers: the raw values (finer than the bins) on the non-missing rows
                er, yy = raw[ok], yv[ok]
            else:
                yy = yv
            a = float(_auc(yy, er)) if len(np.unique(er)) > 1 else 0.5
            a = max(a, 1.0 - a)
            name = str(v).lower()
            same_name = bool(tn) and len(tn) >= 2 and (tn in name or name in tn)
            fdate = (self.feature_dates or {}).get(v)
            after = bool(obs is not None and fdate is not None and pd.Timestamp(fdate) > obs)
            finding = "; ".join(f for f, hit in (
                (f"single-variable AUC {a:.3f} >= {self.leak_auc:g}", a >= self.leak_auc),
                (f"the name repeats the target's ('{self.target_name}')", same_name),
                (f"measured on {fdate}, after the observation date {obs.date() if obs is not None else ''}", after))
                if hit)
            out.append({"variable": v, "iv": rows[v]["iv"], "single_auc": a, "name_repeats_target": same_name,
                        "dated_after_observation": after, "finding": finding,
                        "decision": "dropped: leak" if finding else
                        ("kept for review" if self.keep_suspicious else "dropped (keep_suspicious is off)")})
        return pd.DataFrame(out, columns=["variable", "iv", "single_auc", "name_repeats_target",
                                          "dated_after_observation", "finding", "decision"])

    def _options(self, v: str, kind: str) -> dict:
        trend = (self.trends or {}).get(v, self.monotonic_trend)
        opts = dict(monotonic_trend=trend if kind == "numerical" else None, max_n_bins=self.max_n_bins,
                    min_bin_size=self.min_bin_size, min_bin_n_event=getattr(self, "min_bin_events_", None),
                    solver=self.solver)
        if kind == "categorical" and trend is not None:
            # categories are ordered by event rate inside optbinning: an ascending trend is natural
            opts["monotonic_trend"] = "ascending" if trend in ("auto", "auto_heuristic", "auto_asc_desc",
                                                              "ascending") else trend
        return opts

    def _fit_candidates(self, X, yv, candidates, kinds) -> list[VariableBinning]:
        if not candidates:
            return []
        groups: dict[tuple, list] = {}
        for v in candidates:
            opts = self._options(v, kinds[v])
            key = tuple(sorted((k, str(val)) for k, val in opts.items()))
            groups.setdefault(key, [opts, []])[1].append(v)
        results: list[VariableBinning] = []
        for opts, vs in groups.values():
            tasks = []
            for v in vs:
                x = _to_float(X[v]) if kinds[v] == "numerical" else \
                    X[v].astype(object).where(X[v].notna(), np.nan).to_numpy(dtype=object)
                if kinds[v] == "categorical":
                    x = np.array([c if c is np.nan or isinstance(c, float) and np.isnan(c) else str(c) for c in x],
                                 dtype=object)
                special = _special_list(self.special_codes, v) \
                    if kinds[v] == "numerical" or isinstance(self.special_codes, dict) else []
                tasks.append((v, x, kinds[v], special,
                              (self.user_splits or {}).get(v)))
            n_jobs = int(self.n_jobs)
            if n_jobs == 1 or len(tasks) == 1:
                results.extend(_fit_many(tasks, yv, opts))
            else:
                from joblib import Parallel, delayed, effective_n_jobs

                n_workers = min(effective_n_jobs(n_jobs), len(tasks))
                chunks = [tasks[i::n_workers * 4] for i in range(n_workers * 4)]
                chunks = [c for c in chunks if c]
                parts = Parallel(n_jobs=n_workers)(delayed(_fit_many)(c, yv, opts) for c in chunks)
                results.extend(vb for part in parts for vb in part)
        order = {v: i for i, v in enumerate(candidates)}
        return sorted(results, key=lambda vb: order[vb.name])

    def _corr_vif_filter(self, X, ordered: list[str], rows: dict) -> list[str]:
        if len(ordered) <= 1 or (self.max_corr is None and self.max_vif is None):
            return list(ordered)
        n = len(X)
        if n > self.corr_sample:
            rng = np.random.default_rng(self.random_state)
            take = np.sort(rng.choice(n, size=int(self.corr_sample), replace=False))
        else:
            take = np.arange(n)
        Xs = X.iloc[take]
        W = np.column_stack([self.binnings_[v].transform(Xs[v], "woe") for v in ordered])
        W -= W.mean(axis=0)
        sd = np.sqrt(np.einsum("ij,ij->j", W, W) / len(W))
        # einsum, not BLAS: one thread, fast and deterministic for these few columns
        cov = np.einsum("ij,ik->jk", W, W) / len(W)
        with np.errstate(invalid="ignore", divide="ignore"):
            C = cov / np.outer(sd, sd)
        C = np.nan_to_num(C, nan=0.0)
        np.fill_diagonal(C, 1.0)
        kept_idx: list[int] = []
        for j, v in enumerate(ordered):
            if sd[j] == 0:
                rows[v]["reason"] = "WOE constant on the development sample"
                continue
            if self.max_corr is not None and kept_idx:
                cj = np.abs(C[j, kept_idx])
                k = int(np.argmax(cj))
                if cj[k] > self.max_corr:
                    rows[v]["reason"] = (f"|corr| {cj[k]:.2f} > max_corr {self.max_corr:g} with "
                                         f"{ordered[kept_idx[k]]} (higher IV)")
                    continue
            kept_idx.append(j)
        if self.max_vif is not None:
            while len(kept_idx) > 1:
                R = C[np.ix_(kept_idx, kept_idx)]
                vif = np.diag(np.linalg.pinv(R))
                worst = int(np.argmax(vif))
                if vif[worst] <= self.max_vif:
                    break
                v = ordered[kept_idx[worst]]
                rows[v]["reason"] = f"VIF {vif[worst]:.1f} > max_vif {self.max_vif:g} among kept variables"
                kept_idx.pop(worst)
        return [ordered[j] for j in kept_idx]

    # ------------------------------------------------------------------ outputs
    def _check_fitted(self) -> None:
        if not hasattr(self, "summary_"):
            raise ClientLensError("this WoeBinner is not fitted yet: call fit(X, y) first")

    def _binning(self, variable: str) -> VariableBinning:
        self._check_fitted()
        if variable not in self.binnings_:
            if variable in set(self.summary_["variable"]):
                reason = self.summary_.set_index("variable").at[variable, "reason"]
                raise ClientLensError(f"variable {variable!r} was not binned ({reason})")
            raise ClientLensError(f"variable {variable!r} is not among the fitted variables")
        return self.binnings_[variable]

    def bin_table(self, variable: str, drop_empty_special: bool = True) -> pd.DataFrame:
        """One row per bin of ``variable``: ``bin`` (range, categories, ``'Special'``, ``'Missing'``),
        ``count``, ``share``, ``non_events``, ``events``, ``event_rate``, ``woe``, ``iv`` (contribution).

        The empty ``Special`` bin of a variable without special codes is left out; ``Missing`` stays.
        """
        vb = self._binning(variable)
        t = _table_from_counts(vb.labels, vb.n_nonevent, vb.n_event)
        if drop_empty_special and not vb.special_codes:
            t = t[t["bin"] != "Special"].reset_index(drop=True)
        return t

    def transform(self, X: pd.DataFrame, metric: str = "woe", variables: Iterable[str] | None = None) -> pd.DataFrame:
        """WOE (or ``event_rate``, ``indices``, ``bins``) per variable; default the selected variables.

        New categories unseen at fit get WOE 0 (the average) and index -1.
        """
        self._check_fitted()
        variables = self.selected_ if variables is None else list(variables)
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"X must be a pandas DataFrame; got {type(X).__name__}")
        absent = [v for v in variables if v not in X.columns]
        if absent:
            raise DataError(f"column(s) {absent[:5]} missing from X")
        out = {v: self._binning(v).transform(X[v], metric) for v in variables}
        return pd.DataFrame(out, index=X.index, columns=list(variables))

    def fit_transform(self, X: pd.DataFrame, y, metric: str = "woe") -> pd.DataFrame:
        return self.fit(X, y).transform(X, metric=metric)

    def psi(self, X_dev: pd.DataFrame, X_cmp: pd.DataFrame, variables: Iterable[str] | None = None,
            watch: float = 0.1, shifted: float = 0.25) -> pd.DataFrame:
        """Per-variable PSI between two samples on the fitted bins; see :func:`variable_psi`."""
        return variable_psi(self, X_dev, X_cmp, variables=variables, watch=watch, shifted=shifted)


def psi_table(binner: WoeBinner, variable: str, X_dev: pd.DataFrame, X_cmp: pd.DataFrame,
              eps: float = PSI_EPS) -> pd.DataFrame:
    """Per-bin shares of ``variable`` in two samples and each bin's PSI term (bins of the fitted binner)."""
    vb = binner._binning(variable)
    return _psi_bins(variable, vb.labels + ["unknown"], _bin_count(vb, X_dev[variable]),
                     _bin_count(vb, X_cmp[variable]), eps)


def _bin_count(vb: VariableBinning, x, y=None) -> np.ndarray:
    """Rows (or, with ``y``, events) per bin: regular, Special, Missing, then unseen categories."""
    k = len(vb.labels) + 1
    idx = vb.indices(x)
    w = None if y is None else np.asarray(y, dtype=float)
    return np.bincount(np.where(idx < 0, k - 1, idx), weights=w, minlength=k).astype(float)


def _psi_bins(variable: str, labels: list, cd: np.ndarray, cc: np.ndarray, eps: float) -> pd.DataFrame:
    keep = (cd + cc) > 0
    if cd.sum() == 0 or cc.sum() == 0:
        raise DataError(f"psi: {variable}: the development and comparison samples must not be empty")
    es = np.maximum(cd / cd.sum(), eps)
    as_ = np.maximum(cc / cc.sum(), eps)
    t = pd.DataFrame({"bin": pd.array(labels, dtype="str"), "dev_count": cd.astype("int64"),
                      "cmp_count": cc.astype("int64"), "dev_share": cd / cd.sum(), "cmp_share": cc / cc.sum(),
                      "psi": (as_ - es) * np.log(as_ / es)})
    return t[keep].reset_index(drop=True)


def variable_psi(binner: WoeBinner, X_dev: pd.DataFrame, X_cmp: pd.DataFrame,
                 variables: Iterable[str] | None = None, watch: float = 0.1, shifted: float = 0.25,
                 eps: float = PSI_EPS) -> pd.DataFrame:
    """PSI per variable between a development and a comparison sample, on the binner's bins.

    Each variable's bins (regular, Special, Missing, unseen categories) are counted in both samples
    and compared with :func:`psi`. Default variables: the selected ones.

    Returns
    -------
    DataFrame
        ``variable``, ``psi``, ``band`` (stable / watch / shifted), ``n_dev``, ``n_cmp``,
        ``top_bin`` (the bin contributing most), sorted by PSI descending.
    """
    binner._check_fitted()
    variables = binner.selected_ if variables is None else list(variables)
    for name, X in (("X_dev", X_dev), ("X_cmp", X_cmp)):
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"{name} must be a pandas DataFrame; got {type(X).__name__}")
        absent = [v for v in variables if v not in X.columns]
        if absent:
            raise DataError(f"{name}: column(s) {absent[:5]} missing")
    tables = {v: psi_table(binner, v, X_dev, X_cmp, eps=eps) for v in variables}
    return _psi_summary(tables, len(X_dev), len(X_cmp), watch, shifted)


def _psi_summary(tables: dict, n_dev: int, n_cmp: int, watch: float, shifted: float) -> pd.DataFrame:
    rows = []
    for v, t in tables.items():
        value = float(t["psi"].sum())
        top = t.loc[t["psi"].idxmax(), "bin"] if len(t) else ""
        rows.append({"variable": v, "psi": value, "band": psi_band(value, watch, shifted),
                     "n_dev": int(n_dev), "n_cmp": int(n_cmp), "top_bin": str(top)})
    out = pd.DataFrame(rows, columns=["variable", "psi", "band", "n_dev", "n_cmp", "top_bin"])
    return out.sort_values("psi", ascending=False, kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- per-bin counts (any engine)

_COUNT_COLUMNS = ["variable", "bin_index", "bin", "count", "events"]


def bin_counts(binner: WoeBinner, X: pd.DataFrame, variables: Iterable[str] | None = None,
               y=None) -> pd.DataFrame:
    """Rows and events per bin of each variable in a sample, on the fitted bins (pandas, on the driver).

    Returns
    -------
    DataFrame
        One row per variable and bin (zeros included), in the binner's bin order: ``variable``,
        ``bin_index`` (regular bins ``0..n-1``, Special ``n``, Missing ``n+1``, unseen categories ``n+2``),
        ``bin`` (label; ``unknown`` for unseen categories), ``count`` and ``events`` (0 without ``y``).
        The same frame :func:`sql_bin_counts` computes in SQL.
    """
    binner._check_fitted()
    variables = binner.selected_ if variables is None else list(variables)
    parts = []
    for v in variables:
        vb = binner._binning(v)
        n = _bin_count(vb, X[v])
        e = _bin_count(vb, X[v], y) if y is not None else np.zeros(len(n))
        parts.append(_count_frame(v, vb, n, e))
    return _concat_counts(parts)


def _count_frame(v: str, vb: VariableBinning, n, e) -> pd.DataFrame:
    labels = vb.labels + ["unknown"]
    return pd.DataFrame({"variable": v, "bin_index": np.arange(len(labels), dtype="int64"),
                         "bin": pd.array(labels, dtype="str"), "count": np.asarray(n, dtype="int64"),
                         "events": np.asarray(e, dtype="int64")})


def _concat_counts(parts: list) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("bin_index", "count", "events") else "str")
                             for c in _COUNT_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def bin_count_sql(binner: WoeBinner, table: str, variables: Iterable[str] | None = None,
                  target: str | None = None) -> str:
    """One portable ``SELECT`` counting the rows (and events of ``target``) of ``table`` per bin.

    Each variable's bin is the ``CASE`` of the scoring SQL (:func:`clientlens.scorecard_sql.bin_index_case`:
    the same rules as :meth:`VariableBinning.indices`); one scan with ``GROUPING SETS`` (one set per
    variable) returns a few rows per variable, never the table. DuckDB SQL of the portable subset: run it
    on Spark through :func:`clientlens.engine.to_spark_sql` (:func:`sql_bin_counts` does).
    """
    from .data import quote_ident
    from .scorecard_sql import bin_index_case

    binner._check_fitted()
    variables = binner.selected_ if variables is None else list(variables)
    if not variables:
        raise ParamsError("bin_count_sql: no variables to count")
    cols = [f"{bin_index_case(binner._binning(v))} AS b{i}" for i, v in enumerate(variables)]
    ev = f"CAST({quote_ident(target)} AS BIGINT)" if target else "0"
    tbl = ".".join(quote_ident(t) for t in str(table).split("."))
    sets = ", ".join(f"(b{i})" for i in range(len(variables)))
    keys = ", ".join(f"b{i}" for i in range(len(variables)))
    return (f"SELECT {keys}, CAST(count(*) AS BIGINT) AS n, CAST(sum(ev0) AS BIGINT) AS events\n"
            f"FROM (SELECT {', '.join(cols)}, {ev} AS ev0 FROM {tbl}) x\n"
            f"GROUP BY GROUPING SETS ({sets})")


def sql_bin_counts(binner: WoeBinner, con, table: str, variables: Iterable[str] | None = None,
                   target: str | None = None) -> pd.DataFrame:
    """:func:`bin_counts` computed by the engine that holds ``table`` (:func:`bin_count_sql`).

    ``con`` is a DuckDB connection or a Spark bank's connection (:attr:`clientlens.engine.SparkBank.con`,
    which transpiles the SQL); only the per-bin counts come back. ``target`` names a 0/1 column.
    """
    binner._check_fitted()
    variables = binner.selected_ if variables is None else list(variables)
    rows = con.execute(bin_count_sql(binner, table, variables, target)).df()
    parts = []
    for i, v in enumerate(variables):
        vb = binner._binning(v)
        k = len(vb.labels) + 1
        r = rows[rows[f"b{i}"].notna()]
        idx = r[f"b{i}"].to_numpy(dtype="int64")
        idx = np.where(idx < 0, k - 1, idx)
        n = np.bincount(idx, weights=r["n"].to_numpy(dtype=float), minlength=k)
        e = np.bincount(idx, weights=r["events"].fillna(0).to_numpy(dtype=float), minlength=k)
        parts.append(_count_frame(v, vb, n, e))
    return _concat_counts(parts)


def psi_from_counts(dev: pd.DataFrame, cmp: pd.DataFrame, watch: float = 0.1, shifted: float = 0.25,
                    eps: float = PSI_EPS) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """PSI (CSI) per variable from per-bin counts of two samples (:func:`bin_counts` / :func:`sql_bin_counts`).

    Returns ``(summary, tables)``: the :func:`variable_psi` summary and each variable's :func:`psi_table`,
    equal to those computed from the samples themselves (so a base counted in Spark is compared on the driver).
    """
    tables, n_dev, n_cmp = {}, 0, 0
    for v, d in dev.groupby("variable", sort=False):
        c = cmp[cmp["variable"] == v]
        if c["bin_index"].tolist() != d["bin_index"].tolist():
            raise DataError(f"psi: {v}: the two count tables have different bins")
        cd, cc = d["count"].to_numpy(dtype=float), c["count"].to_numpy(dtype=float)
        tables[v] = _psi_bins(v, d["bin"].tolist(), cd, cc, eps)
        n_dev, n_cmp = int(cd.sum()), int(cc.sum())
    return _psi_summary(tables, n_dev, n_cmp, watch, shifted), tables


# --------------------------------------------------------------------------- report helpers

#: Columns of :func:`clientlens.features.campaign_frame` that are not features (ids, dates, the target).
CAMPAIGN_META_COLUMNS: tuple[str, ...] = ("customer_id", "campaign_id", "contact_date", "group", "response",
                                          "contact_channel", "product", "open_date", "balance_month_end")


@dataclass
class BinningSamples:
    """Development and comparison samples for the binning report."""

    X_dev: pd.DataFrame
    y_dev: np.ndarray
    X_cmp: pd.DataFrame
    y_cmp: np.ndarray | None
    info: pd.DataFrame          # one row per sample: sample, source, features_as_of, rows, events, event_rate
    notes: list[str]
    meta: dict = field(default_factory=dict)   # clientlens.samples.sample_meta of the development sample


def campaign_samples(bank, campaigns: str | Sequence[str], *, feature_lag_days: int = 1, split: str = "random",
                     validation_share: float = 0.3, oot_date: str | None = "", comparison: str = "holdout",
                     comparison_campaign: str | None = None, exclude_columns: Iterable[str] | None = None,
                     random_state=42, as_of: str | None = None, holdout_share: float | None = None,
                     in_time_share: float = 0.0, sample=None, base: pd.DataFrame | None = None) -> BinningSamples:
    """The binning's development sample and its PSI comparison sample.

    The development sample is the development part of the split the response model uses
    (:func:`clientlens.samples.model_sample`: contacts of ``campaigns`` with a known response, features
    ``feature_lag_days`` before contact, ``split`` random with ``validation_share`` and ``random_state``, or
    out of time at ``oot_date``), so a binning fitted on it can be reused by 05_response_model without
    having seen the validation rows. The comparison sample for PSI is today's scoring base
    (``comparison="base"``: the wide table as of ``as_of``, the comparison 05 and 06 use), the validation part
    (``"holdout"``) or all contacts of a later ``comparison_campaign`` (``"campaign"``). ``in_time_share``: the
    in-time holdout of an out-of-time split (:func:`clientlens.samples.split_sample`).

    Features are :func:`clientlens.scoring.candidate_features` minus ``exclude_columns`` (default: the
    scorecard's :data:`clientlens.scoring.DEFAULT_EXCLUDE`), so both reports see the same candidates.
    ``holdout_share`` is an older name of ``validation_share``. ``sample``: the
    :class:`clientlens.samples.ModelSample` of these settings when already built (the run cache's); ``base``:
    the wide table as of ``as_of`` when already built (the run cache's, :meth:`clientlens.cache.RunCache.wide_table`,
    the table 01, 03 and 05 read), used by ``comparison="base"`` instead of building it again.
    """
    from .samples import describe_meta, model_sample, training_frame
    from .scoring import DEFAULT_EXCLUDE, candidate_features

    if holdout_share is not None:
        validation_share = holdout_share
    if comparison not in ("base", "campaign", "holdout"):
        raise ParamsError(f"comparison must be one of ['base', 'campaign', 'holdout']; got {comparison!r}")
    if comparison == "base" and not as_of:
        raise ParamsError("as_of must be set when comparison is 'base' (the scoring base as of that day)")
    campaigns = [campaigns] if isinstance(campaigns, str) else list(campaigns)
    if comparison == "campaign":
        if not comparison_campaign:
            raise ParamsError("comparison_campaign must be set when comparison is 'campaign'")
        if comparison_campaign in campaigns:
            raise ParamsError(f"comparison_campaign {comparison_campaign!r} is one of the development campaigns; "
                              f"pick a later campaign or comparison: holdout")
    ms = sample if sample is not None else model_sample(
        bank, campaigns, feature_lag_days=feature_lag_days, split=split, validation_share=validation_share,
        oot_date=oot_date, random_state=random_state, as_of=as_of, in_time_share=in_time_share)
    notes = [t("{campaign}: {n:,} contact(s) without a known response left out", campaign=cid, n=k)
             for cid, k in ms.frame.attrs.get("dropped_no_response", {}).items() if k]
    feats = candidate_features(ms.frame, exclude=DEFAULT_EXCLUDE if exclude_columns is None else exclude_columns)
    dev, val = ms.dev, ms.val
    dates = "; ".join(f"{k}: {v}" for k, v in ms.meta.get("features_as_of", {}).items())
    if comparison == "campaign":
        cmp_ = training_frame(bank, [comparison_campaign], feature_lag_days=feature_lag_days)
        k = cmp_.attrs.get("dropped_no_response", {}).get(comparison_campaign, 0)
        if k:
            notes.append(t("{campaign}: {n:,} contact(s) without a known response left out", campaign=comparison_campaign,
                           n=k))
        absent = [c for c in feats if c not in cmp_.columns]
        if absent:
            raise DataError(f"campaign {comparison_campaign}: feature column(s) {absent[:5]} missing")
        cmp_src = t("campaign {campaign} (all contacts)", campaign=comparison_campaign)
        cmp_date = "; ".join(f"{k}: {v}" for k, v in cmp_.attrs.get("features_as_of", {}).items())
    elif comparison == "base":
        from .features import build_wide_table

        if base is not None:
            cmp_ = base
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cmp_ = build_wide_table(bank, pd.Timestamp(str(as_of)).date())
        absent = [c for c in feats if c not in cmp_.columns]
        if absent:
            raise DataError(f"the scoring base lacks feature column(s) {absent[:5]}")
        cmp_src, cmp_date = t("scoring base as of {as_of} (all customers)", as_of=as_of), str(as_of)
    else:
        cmp_ = val
        split_txt = (t("stratified random {share:.0%}, seed {seed}", share=validation_share, seed=random_state)
                     if split == "random" else t("contacts on or after {date}", date=oot_date))
        cmp_src = t("validation part of {campaigns} ({split})", campaigns=", ".join(campaigns), split=split_txt)
        cmp_date = dates
    X_cmp = cmp_[feats].reset_index(drop=True)
    y_cmp = cmp_["response"].to_numpy(dtype="int64") if "response" in cmp_.columns else None
    X_dev, y_dev = dev[feats].reset_index(drop=True), dev["response"].to_numpy(dtype="int64")
    rows = []
    for name, src, date, yy in (("development", t("development part of {campaigns}", campaigns=", ".join(campaigns)),
                                 dates, y_dev),
                                ("comparison", cmp_src, cmp_date, y_cmp)):
        rows.append({"sample": name, "source": src, "features_as_of": date,
                     "rows": len(X_cmp) if yy is None else len(yy), "events": np.nan if yy is None else int(yy.sum()),
                     "event_rate": np.nan if yy is None or not len(yy) else float(yy.mean())})
    notes.insert(0, t("Development sample: {description}.", description=describe_meta(ms.meta)))
    return BinningSamples(X_dev=X_dev, y_dev=y_dev, X_cmp=X_cmp, y_cmp=y_cmp, info=pd.DataFrame(rows),
                          notes=notes, meta=ms.meta)


#: the drop reasons of :class:`WoeBinner` as templates (``{field}`` for the numbers and names filled in), to show
#: them in the report's language (:func:`reason_text`); the stored reason stays English (:func:`reason_kind` reads it)
REASON_TEMPLATES = (
    "unsupported dtype {dtype}: derive a number from it (e.g. days since the date)",
    "all values missing",
    "constant: one distinct value",
    "id-like column: {share} of values unique and an id-like name",
    "id-like column: {share} of values unique",
    "id-like column: a consecutive integer sequence ({share} unique)",
    "pre-screen IV {iv} < {threshold} ({factor} x iv_min): useless",
    "IV {iv} < iv_min {iv_min} ({band})",
    "IV {iv} > iv_max {iv_max}: suspicious, check for leakage",
    "rank {rank} by IV > max_selected {max_selected}",
    "WOE constant on the development sample",
    "|corr| {corr} > max_corr {max_corr} with {variable} (higher IV)",
    "VIF {vif} > max_vif {max_vif} among kept variables",
)
#: the parts of a leakage finding (joined by "; ") and the reason that carries one
FINDING_TEMPLATES = ("single-variable AUC {auc} >= {leak_auc}", "the name repeats the target's ('{target}')",
                     "measured on {date}, after the observation date {obs}")
_LEAK_REASON = "IV {iv} > iv_max {iv_max}: suspicious; leak found: {finding}"


def finding_text(finding: str) -> str:
    """A leakage finding of the binner (``leakage_["finding"]``) in the report's language (English unchanged)."""
    from .i18n import t, t_matching

    return t("; ").join(t_matching(f, FINDING_TEMPLATES) for f in str(finding).split("; ")) if finding else finding


def reason_text(reason: str) -> str:
    """A drop reason of the binner (``summary_["reason"]``) in the report's language (English unchanged)."""
    import re

    from .i18n import get_language, t, t_matching

    if not reason or get_language() == "en":
        return reason
    m = re.fullmatch(r"IV (\S+) > iv_max (\S+): suspicious; leak found: (.+)", str(reason))
    if m:
        return t(_LEAK_REASON, iv=m.group(1), iv_max=m.group(2), finding=finding_text(m.group(3)))
    return t_matching(reason, REASON_TEMPLATES)


def reason_kind(reason: str) -> str:
    """Short category of a drop reason (for counting): unusable, pre-screen, useless IV, suspicious IV,
    correlation, VIF, max count; ``''`` for a selected variable."""
    r = str(reason or "")
    if not r:
        return ""
    for prefix, kind in (("pre-screen", "pre-screen (useless)"), ("|corr|", "correlation"), ("VIF", "VIF"),
                         ("rank", "max count"), ("WOE constant", "unusable")):
        if r.startswith(prefix):
            return kind
    if "leak found" in r:
        return "leak found (IV > iv_max)"
    if r.startswith("IV"):
        return "suspicious IV (> iv_max)" if "iv_max" in r else "useless IV (< iv_min)"
    return "unusable (missing, constant, id-like, type)"


def dropped_table(binner: WoeBinner) -> pd.DataFrame:
    """The dropped variables with IV, band, reason and its category, strongest first."""
    binner._check_fitted()
    s = binner.summary_
    d = s.loc[~s["selected"], ["variable", "dtype", "iv", "prescreen_iv", "iv_band", "reason"]].copy()
    d.insert(len(d.columns) - 1, "kind", d["reason"].map(reason_kind))
    return d.reset_index(drop=True)


def all_bin_tables(binner: WoeBinner, variables: Iterable[str] | None = None) -> pd.DataFrame:
    """The bin tables of ``variables`` (default: selected) stacked, with a ``variable`` column."""
    binner._check_fitted()
    variables = binner.selected_ if variables is None else list(variables)
    parts = [binner.bin_table(v).assign(variable=v) for v in variables]
    if not parts:
        return pd.DataFrame(columns=["variable", "bin", "count", "share", "non_events", "events", "event_rate",
                                     "woe", "iv"])
    t = pd.concat(parts, ignore_index=True)
    return t[["variable"] + [c for c in t.columns if c != "variable"]]


# --------------------------------------------------------------------------- persistence (I/O outside the class)

def save_binning(binner: WoeBinner, path: str | os.PathLike, meta: dict | None = None) -> Path:
    """Pickle a fitted binner (with the optbinning and clientlens versions) to ``path``.

    ``meta`` describes the sample the binning was fitted on (:func:`clientlens.samples.sample_meta`:
    campaigns, feature_lag_days, split, validation_share, oot_date, seed, n_dev, n_events, as_of and the
    SHA-256 of the sorted development ids - never the ids); the response model reuses the binning only
    when it matches its own development sample. Read it back with :func:`load_binning_meta`.
    """
    import optbinning

    binner._check_fitted()
    if meta is not None and not isinstance(meta, dict):
        raise ParamsError(f"meta must be a dict describing the fitted sample; got {type(meta).__name__}")
    return dump_artifact({"optbinning": optbinning.__version__, "binner": binner, "meta": dict(meta or {})},
                         path, fmt=_SAVE_FORMAT)


def _load_payload(path: str | os.PathLike) -> dict:
    payload = load_artifact(path, fmt=_SAVE_FORMAT, what="binning")
    if not isinstance(payload.get("binner"), WoeBinner):
        raise DataError(f"{path}: not a clientlens binning file (no fitted binner inside)")
    return payload


def load_binning(path: str | os.PathLike, with_meta: bool = False):
    """Load a binner saved by :func:`save_binning` (only open files you trust: this unpickles).

    Returns the binner, or ``(binner, meta)`` with ``with_meta=True`` (``meta`` is ``{}`` for a file
    saved without it).
    """
    payload = _load_payload(path)
    if with_meta:
        return payload["binner"], dict(payload.get("meta") or {})
    return payload["binner"]


def load_binning_meta(path: str | os.PathLike) -> dict:
    """The description of the fitted sample saved with a binning (``{}`` when none was saved)."""
    return dict(_load_payload(path).get("meta") or {})
