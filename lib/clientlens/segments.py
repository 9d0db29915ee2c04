"""Customer segmentation: clustering beside the rule segments (客户聚类分群).

Three steps, scikit-learn style:

1. :class:`SegmentPreprocessor` turns wide-table columns into a numeric matrix
   suited to bank data: ``log1p`` for heavy-tailed non-negative amounts and
   counts, winsorising at quantiles, robust scaling (median / normalised IQR),
   one-hot encoding for categoricals, median imputation with a missing
   indicator where a column is missing often enough to matter.
2. :class:`CustomerSegmenter` fits k-means (``MiniBatchKMeans`` above a size
   threshold) or a Gaussian mixture for every k of a range, scores each k
   (inertia, silhouette on a sample, Calinski-Harabasz, Davies-Bouldin and a
   bootstrap stability score) and chooses k by the rule documented in
   :func:`choose_k`.
3. :func:`profile_segments`, :func:`label_segments` and
   :func:`crosstab_segments` describe the segments and read them against the
   rule segments (lifecycle stage, value x potential quadrant, RFM tier).

No I/O happens here; notebooks save the assignment.
"""
from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state

from . import ClientLensError, DataError, ParamsError
from .i18n import t, value
from .params import require_int

__all__ = [
    "DEFAULT_FEATURES", "PROFILE_FEATURES", "FEATURE_WORDS", "K_RULES", "SegmentPreprocessor", "CustomerSegmenter", "choose_k",
    "elbow_k", "SegmentProfile", "profile_segments", "label_segments", "crosstab_segments",
    "crosstab_reading", "project_2d", "assignment_table", "silhouettes",
]

#: Default clustering features, used when ``features`` is None (those present in the wide table
#: are taken; names follow :mod:`clientlens.features`): who the customer is and how they bank --
#: demographics (age, income), value (AUM), product mix (investment share of AUM, product count),
#: payroll relationship and channel preference (mobile / branch share of transactions).
#: Activity *level* and recency (``n_txn_365d``, ``days_since_last_txn``) are left out on purpose:
#: they mostly say where a customer is in the lifecycle (dropout, dormancy), which the lifecycle
#: rule segmentation already shows beside the clusters; they stay in the profiles. Add them
#: through ``features`` to cluster on activity.
DEFAULT_FEATURES: tuple[str, ...] = (
    "age", "income_monthly", "aum", "investment_share", "n_products", "payroll_flag",
    "share_mobile", "share_branch",
)

#: Default profile features (means, medians, z-scores, labels): the clustering features plus
#: activity, spend, recency and tenure, those present in the table.
PROFILE_FEATURES: tuple[str, ...] = DEFAULT_FEATURES + (
    "n_txn_365d", "amt_out_365d", "days_since_last_txn", "tenure_days", "channel_mobile", "channel_branch",
)

#: Words for generated labels: feature -> (word when low, word when high). Unknown features get
#: "low <feature>" / "high <feature>". Analysts override whole labels through params.
FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "age": ("younger", "older"),
    "income_monthly": ("low income", "high income"),
    "tenure_days": ("new", "long-standing"),
    "aum": ("low AUM", "high AUM"),
    "aum_avg_3m": ("low AUM", "high AUM"),
    "aum_avg_12m": ("low AUM", "high AUM"),
    "investment_share": ("deposit-heavy", "wealth-heavy"),
    "deposit_share": ("investment-heavy", "deposit-heavy"),
    "wealth_mgmt": ("little wealth mgmt", "wealth-mgmt holder"),
    "fund": ("few funds", "fund holder"),
    "n_products": ("few products", "many products"),
    "n_product_types": ("few products", "many products"),
    "payroll_flag": ("no payroll", "payroll"),
    "n_txn_30d": ("low activity", "high activity"),
    "n_txn_90d": ("low activity", "high activity"),
    "n_txn_365d": ("low activity", "high activity"),
    "n_out_365d": ("low activity", "high activity"),
    "active_months_12m": ("low activity", "high activity"),
    "amt_out_365d": ("low spend", "high spend"),
    "amt_out_90d": ("low spend", "high spend"),
    "amt_in_365d": ("low inflows", "high inflows"),
    "days_since_last_txn": ("recently active", "inactive"),
    "share_mobile": ("mobile-light", "mobile-first"),
    "channel_mobile": ("no app", "app user"),
    "share_branch": ("digital", "branch-preferring"),
    "channel_branch": ("branch-averse", "branch-preferring"),
    "share_pos": ("little card spend", "card spender"),
}

_METHODS = ("kmeans", "gmm")
_ID_COLUMNS = ("customer_id",)


# --------------------------------------------------------------------------------------------
# preprocessing
# --------------------------------------------------------------------------------------------
def _as_frame(X, name: str = "X") -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise DataError(f"{name} must be a 2-D table (customers x features); got {arr.ndim} dimension(s)")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _numeric_values(s: pd.Series) -> np.ndarray:
    """A numeric or boolean column as float64 with NaN for missing."""
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)


def _skewness(v: np.ndarray) -> float:
    v = v[~np.isnan(v)]
    if v.size < 3:
        return 0.0
    sd = v.std()
    if sd == 0:
        return 0.0
    return float(np.mean(((v - v.mean()) / sd) ** 3))


class SegmentPreprocessor(TransformerMixin, BaseEstimator):
    """Turn wide-table columns into a numeric matrix for clustering.

    Per numeric column, in order: ``log1p`` (heavy-tailed non-negative amounts and
    counts), winsorising at ``winsor_quantiles``, then scaling ``(x - median) / scale``
    with ``scale`` the standard deviation of the clipped values (``scaling="std"``,
    default: every feature carries about unit variance, and clipping has already made it
    robust to outliers) or ``IQR / 1.349`` (``scaling="iqr"``; the standard deviation
    where the IQR is 0, as in zero-inflated shares). Missing values are set to the median
    (0 after scaling), with a ``<col>__missing`` 0/1 indicator when at least
    ``missing_indicator_min`` of the column is missing. 0/1 flags are standardised
    (missing -> the more common value). Categorical columns are one-hot encoded (the
    ``max_categories - 1`` most frequent values plus ``other``; ``missing`` as its own
    value); each dummy is standardised and divided by ``sqrt(number of levels)`` so the
    categorical feature as a whole carries unit variance like any other feature.

    Parameters
    ----------
    log_cols : "auto" or list of str
        Columns to ``log1p``. ``"auto"``: non-negative numeric columns (not flags, and
        not shares bounded in [0, 1]) whose skewness exceeds ``skew_threshold``
        (amounts, balances, counts).
    categorical_cols : list of str, optional
        Columns to one-hot encode; default: every non-numeric column.
    winsor_quantiles : (float, float)
        Lower and upper quantiles for clipping, after the log (default 1% / 99%).
    scaling : {"std", "iqr"}
        Scale of numeric features after clipping (see above).
    max_missing : float
        A feature missing for more than this share is refused (clear message).
    missing_indicator_min : float
        Add a missing indicator when at least this share is missing.
    max_categories : int
        Most one-hot columns per categorical feature.
    skew_threshold : float
        Skewness above which ``log_cols="auto"`` takes the log.

    Attributes
    ----------
    columns_ : list of str
        Input columns, in order.
    specs_ : dict
        What was learned per column (kind, log, bounds, center, scale, categories).
    feature_names_out_ : list of str
        Names of the output columns.
    """

    def __init__(self, log_cols="auto", categorical_cols=None, winsor_quantiles=(0.01, 0.99),
                 scaling="std", max_missing=0.5, missing_indicator_min=0.05, max_categories=10,
                 skew_threshold=1.0):
        self.log_cols = log_cols
        self.categorical_cols = categorical_cols
        self.winsor_quantiles = winsor_quantiles
        self.scaling = scaling
        self.max_missing = max_missing
        self.missing_indicator_min = missing_indicator_min
        self.max_categories = max_categories
        self.skew_threshold = skew_threshold

    def _check_params(self):
        lo, hi = self.winsor_quantiles
        if not (0.0 <= lo < hi <= 1.0):
            raise ParamsError(f"winsor_quantiles must satisfy 0 <= low < high <= 1; got {self.winsor_quantiles!r}")
        if self.scaling not in ("std", "iqr"):
            raise ParamsError(f"scaling must be one of ['std', 'iqr']; got {self.scaling!r}")
        if not (0.0 < self.max_missing <= 1.0):
            raise ParamsError(f"max_missing must be in (0, 1]; got {self.max_missing!r}")
        if not (0.0 <= self.missing_indicator_min <= 1.0):
            raise ParamsError(f"missing_indicator_min must be in [0, 1]; got {self.missing_indicator_min!r}")
        if self.max_categories < 2:
            raise ParamsError(f"max_categories must be >= 2; got {self.max_categories!r}")

    def fit(self, X, y=None):
        """Learn transforms per column; refuse constant or mostly missing features."""
        self._check_params()
        X = _as_frame(X)
        if X.shape[1] == 0:
            raise DataError("no features to cluster on: the feature list is empty")
        if len(X) < 2:
            raise DataError(f"need at least 2 customers to learn scaling; got {len(X)}")
        cats = set(self.categorical_cols or [c for c in X.columns if not _is_numeric(X[c])])
        unknown = [c for c in (self.categorical_cols or []) if c not in X.columns]
        if unknown:
            raise DataError(f"categorical_cols not in the table: {', '.join(map(str, unknown))}")
        if self.log_cols != "auto":
            unknown = [c for c in self.log_cols if c not in X.columns]
            if unknown:
                raise DataError(f"log_cols not in the table: {', '.join(map(str, unknown))}")
        lo_q, hi_q = self.winsor_quantiles
        specs: dict[str, dict] = {}
        names: list[str] = []
        for col in X.columns:
            s = X[col]
            miss = float(s.isna().mean())
            if miss > self.max_missing:
                raise DataError(f"feature '{col}' is {miss:.0%} missing (max_missing {self.max_missing:.0%}): "
                                "drop it from features or fill it upstream")
            indicator = miss >= self.missing_indicator_min and miss > 0
            if col in cats:
                vals = s.astype("str").where(s.notna(), "missing")
                counts = vals.value_counts()
                if len(counts) < 2:
                    raise DataError(f"feature '{col}' is constant ({counts.index[0]!r} for every customer): "
                                    "it cannot separate segments; drop it from features")
                keep = list(counts.index[: self.max_categories - 1]) if len(counts) > self.max_categories \
                    else list(counts.index)
                levels = sorted(map(str, keep)) + (["other"] if len(counts) > len(keep) else [])
                share = np.array([float((vals == lv).mean()) if lv != "other" else
                                  float((~vals.isin(keep)).mean()) for lv in levels])
                specs[col] = {"kind": "categorical", "levels": levels, "share": share.tolist(),
                              "missing_share": miss}
                names += [f"{col}={lv}" for lv in levels]
                continue
            if not _is_numeric(s):
                raise DataError(f"feature '{col}' is not numeric; list it in categorical_cols")
            v = _numeric_values(s)
            ok = v[~np.isnan(v)]
            if ok.size == 0 or np.all(ok == ok[0]):
                shown = ok[0] if ok.size else "missing"
                raise DataError(f"feature '{col}' is constant ({shown} for every customer): "
                                "it cannot separate segments; drop it from features")
            if not np.all(np.isfinite(ok)):
                raise DataError(f"feature '{col}' has infinite values")
            uniq = np.unique(ok) if ok.size < 1_000_000 else np.unique(ok[:: max(1, ok.size // 200_000)])
            if uniq.size == 2 and set(uniq.tolist()) <= {0.0, 1.0} and np.all((ok == 0) | (ok == 1)):
                fill = 1.0 if ok.mean() > 0.5 else 0.0
                vv = np.where(np.isnan(v), fill, v)
                specs[col] = {"kind": "flag", "fill": fill, "center": float(vv.mean()), "scale": float(vv.std()),
                              "indicator": indicator, "missing_share": miss}
                names.append(col)
                if indicator:
                    names.append(f"{col}__missing")
                continue
            if self.log_cols == "auto":  # amounts and counts; not shares bounded in [0, 1]
                log = bool(ok.min() >= 0 and ok.max() > 1 and _skewness(ok) > self.skew_threshold)
            else:
                log = col in self.log_cols
                if log and ok.min() < 0:
                    raise DataError(f"feature '{col}' has negative values ({ok.min():g}); it cannot be in log_cols")
            t = np.log1p(ok) if log else ok
            lo, hi = np.quantile(t, [lo_q, hi_q])
            if not hi > lo:  # e.g. mostly zeros: clipping would erase the signal
                lo, hi = float(t.min()), float(t.max())
            tc = np.clip(t, lo, hi)
            center = float(np.median(tc))
            sd = float(tc.std())
            if self.scaling == "iqr":
                q1, q3 = np.quantile(tc, [0.25, 0.75])
                scale = float(q3 - q1) / 1.349
                if not scale > 0:
                    scale = sd
            else:
                scale = sd
            specs[col] = {"kind": "numeric", "log": log, "lo": float(lo), "hi": float(hi), "center": center,
                          "scale": scale, "indicator": indicator, "missing_share": miss}
            names.append(col)
            if indicator:
                names.append(f"{col}__missing")
        self.columns_ = list(X.columns)
        self.specs_ = specs
        self.feature_names_out_ = names
        self.n_features_in_ = len(self.columns_)
        return self

    def transform(self, X) -> np.ndarray:
        """The clustering matrix, float64, one row per customer."""
        X = _as_frame(X)
        missing = [c for c in self.columns_ if c not in X.columns]
        if missing:
            raise DataError(f"columns missing from the table: {', '.join(map(str, missing))}")
        out = np.empty((len(X), len(self.feature_names_out_)), dtype="float64")
        j = 0
        for col in self.columns_:
            spec = self.specs_[col]
            s = X[col]
            if spec["kind"] == "categorical":
                vals = s.astype("str").where(s.notna(), "missing")
                levels = spec["levels"]
                known = set(levels)
                if "other" in known:
                    vals = vals.where(vals.isin(known), "other")
                arr = vals.to_numpy()
                w = 1.0 / np.sqrt(len(levels))
                for lv, p in zip(levels, spec["share"]):
                    sd = np.sqrt(p * (1 - p))
                    out[:, j] = ((arr == lv) - p) / (sd if sd > 0 else 1.0) * w
                    j += 1
                continue
            v = _numeric_values(s)
            nan = np.isnan(v)
            if spec["kind"] == "flag":
                out[:, j] = (np.where(nan, spec["fill"], v) - spec["center"]) / spec["scale"]
                j += 1
            else:
                t = np.log1p(np.maximum(v, 0.0)) if spec["log"] else v
                t = (np.clip(t, spec["lo"], spec["hi"]) - spec["center"]) / spec["scale"]
                out[:, j] = np.where(nan, 0.0, t)
                j += 1
            if spec["indicator"]:
                out[:, j] = nan
                j += 1
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)


# --------------------------------------------------------------------------------------------
# choosing k
# --------------------------------------------------------------------------------------------
def elbow_k(k_values: Sequence[int], inertia: Sequence[float]) -> int:
    """The elbow of an inertia curve: the k farthest below the chord joining its ends.

    Both axes are first scaled to [0, 1] (the "kneedle" construction of Satopaa et al., 2011,
    for a decreasing convex curve). With fewer than 3 values the first k is returned.
    """
    k = np.asarray(k_values, dtype=float)
    y = np.asarray(inertia, dtype=float)
    if k.size < 3 or not np.all(np.isfinite(y)) or y[0] == y[-1]:
        return int(k[0])
    xs = (k - k[0]) / (k[-1] - k[0])
    ys = (y - y[-1]) / (y[0] - y[-1])
    gap = (1.0 - xs) - ys  # distance below the chord from (0, 1) to (1, 0)
    return int(k[int(np.argmax(gap))])


K_RULES = ("vote", "stability", "silhouette")


def choose_k(k_selection: pd.DataFrame, stability_threshold: float = 0.8, rule: str = "vote") -> tuple[int, str]:
    """Choose k from the per-k criteria.

    *Stable* k are those whose mean bootstrap ARI is at least ``stability_threshold``
    (0.8: refits on resampled customers agree well beyond chance). If stability was not
    computed or no k is stable, every k is a candidate (and the reason says so).

    ``rule="vote"`` (default): among the stable k, four internal criteria each vote for one
    k -- the highest silhouette, the highest Calinski-Harabasz, the lowest Davies-Bouldin
    and the elbow of the inertia curve (:func:`elbow_k`, over the whole range; it votes only
    if its k is stable). The k with most votes wins: the majority rule of NbClust (Charrad
    et al., 2014), restricted to reproducible partitions. A tie goes to the tied k with the
    higher stability (then the better silhouette): when the criteria disagree, prefer the
    partition that reproduces best.

    ``rule="stability"``: the largest stable k -- the finest partition the data reproduces
    (Ben-Hur, Elisseeff and Guyon, 2002). Useful on small bases; on large bases k-means is
    reproducible at almost every k, so this tends to run to the top of the range.

    ``rule="silhouette"``: the stable k with the highest silhouette (favours coarse splits).

    Returns
    -------
    (int, str)
        The chosen k and a one-sentence reason, naming the other criteria's choices.
    """
    if rule not in K_RULES:
        raise ParamsError(f"k_rule must be one of {list(K_RULES)}; got {rule!r}")
    ks = [int(k) for k in k_selection.index]
    if len(ks) == 1:
        return ks[0], t("k fixed at {k}", k=ks[0])
    stab = k_selection["stability_ari_mean"]
    if stab.notna().any():
        stable = [int(k) for k in k_selection.index[stab >= stability_threshold]]
        note = (t("stable k (bootstrap ARI >= {threshold:g}): {ks}", threshold=stability_threshold,
                  ks=", ".join(map(str, stable))) if stable
                else t("no k reaches bootstrap ARI {threshold:g}", threshold=stability_threshold))
    else:
        stable = []
        note = t("stability not computed")
    cand = k_selection.loc[stable] if stable else k_selection
    sil, ch, db = cand["silhouette"], cand["calinski_harabasz"], cand["davies_bouldin"]
    picks = {
        "silhouette": int(sil.idxmax()) if sil.notna().any() else None,
        "Calinski-Harabasz": int(ch.idxmax()) if ch.notna().any() else None,
        "Davies-Bouldin": int(db.idxmin()) if db.notna().any() else None,
        "elbow": elbow_k(k_selection.index, k_selection["inertia"]),
    }
    others = "; ".join(f"{t(name)} -> {k}" for name, k in picks.items() if k is not None)
    if rule == "stability":
        if stable:
            k = max(stable)
            why = t("largest stable k")
            if k == max(ks):
                why += t(" (the top of k_range: a wider range may find more segments)")
        elif stab.notna().any():
            k = int(stab.idxmax())
            why = t("most stable k (none reached the threshold: treat the segments as tentative)")
        else:
            k = picks["silhouette"] or ks[0]
            why = t("best silhouette (no stability scores)")
    elif rule == "silhouette":
        k = picks["silhouette"] or ks[0]
        why = t("best silhouette among the candidates")
    else:
        votes: dict[int, list[str]] = {int(k): [] for k in cand.index}
        for name, kk in picks.items():
            if kk in votes:
                votes[kk].append(name)
        most = max(len(v) for v in votes.values())
        tied = [kk for kk, v in votes.items() if len(v) == most]
        if len(tied) > 1:
            tb = cand.loc[tied, ["stability_ari_mean", "silhouette"]].fillna(-np.inf)
            k = int(tb.sort_values(["stability_ari_mean", "silhouette"], ascending=False, kind="stable").index[0])
            why = t("{most} of 4 criteria ({names}), tied with {others}; the more stable k taken", most=most,
                    names=", ".join(t(v) for v in votes[k]) or t("none"), others=", ".join(str(x) for x in tied if x != k))
        else:
            k = tied[0]
            why = t("{most} of 4 criteria vote for it ({names})", most=most, names=", ".join(t(v) for v in votes[k]))
    return k, t("k = {k}: {why}; {note}; other criteria: {others}", k=k, why=why, note=note, others=others)


def silhouettes(X: np.ndarray, label_sets: Sequence[np.ndarray], chunk: int = 1024) -> list[float]:
    """Mean silhouette of several labelings of the same points, computing distances once.

    Same definition as :func:`sklearn.metrics.silhouette_score` (Euclidean; a point alone in
    its cluster scores 0), but the pairwise distances are computed once in row chunks and
    reduced to per-cluster sums for every labeling by one matrix product, so scoring nine
    values of k costs about as much as scoring one. NaN for a labeling with fewer than 2 or
    more than n-1 clusters.
    """
    X = np.asarray(X, dtype="float64")
    n = X.shape[0]
    codes, sizes, offsets = [], [], [0]
    for lab in label_sets:
        u, inv = np.unique(np.asarray(lab), return_inverse=True)
        codes.append(inv)
        sizes.append(np.bincount(inv, minlength=len(u)).astype("float64"))
        offsets.append(offsets[-1] + len(u))
    onehot = np.zeros((n, offsets[-1]), dtype="float64")
    for j, inv in enumerate(codes):
        onehot[np.arange(n), offsets[j] + inv] = 1.0
    sums = np.empty((n, offsets[-1]), dtype="float64")
    sq = np.einsum("ij,ij->i", X, X)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        d = sq[a:b, None] + sq[None, :] - 2.0 * (X[a:b] @ X.T)
        np.maximum(d, 0.0, out=d)
        np.sqrt(d, out=d)
        d[np.arange(b - a), np.arange(a, b)] = 0.0
        sums[a:b] = d @ onehot
    out = []
    rows = np.arange(n)
    for j, inv in enumerate(codes):
        sz = sizes[j]
        k = sz.size
        if k < 2 or k > n - 1:
            out.append(float("nan"))
            continue
        block = sums[:, offsets[j]:offsets[j + 1]]
        own = sz[inv]
        a_ = block[rows, inv] / np.maximum(own - 1.0, 1.0)
        mean_other = block / sz[None, :]
        mean_other[rows, inv] = np.inf
        b_ = mean_other.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (b_ - a_) / np.maximum(a_, b_)
        s = np.where(own > 1, np.nan_to_num(s), 0.0)
        out.append(float(s.mean()))
    return out


# --------------------------------------------------------------------------------------------
# the segmenter
# --------------------------------------------------------------------------------------------
class CustomerSegmenter(ClusterMixin, BaseEstimator):
    """Cluster customers and choose the number of segments.

    Parameters
    ----------
    features : list of str, optional
        Wide-table columns to cluster on. None: the :data:`DEFAULT_FEATURES` present in
        the table, or, if none is present, every column except ``customer_id``.
    k : int, optional
        Fixed number of segments; None chooses k over ``k_range`` with :func:`choose_k`.
    k_range : (int, int)
        Smallest and largest k tried (inclusive).
    method : {"kmeans", "gmm"}
        k-means or a full-covariance Gaussian mixture.
    minibatch_threshold : int
        Above this many customers, k is selected on a random sample of this many
        customers (every criterion and the stability refits), and the chosen k is then
        fitted on everyone with ``MiniBatchKMeans`` started from the sample's centres (a
        Gaussian mixture keeps the sample fit); every customer is assigned.
    silhouette_sample : int
        Customers sampled for the silhouette (and as the common set the bootstrap
        refits are compared on).
    n_bootstrap : int
        Refits on resamples for the stability score (0: skip it). Stability of k is the
        mean adjusted Rand index between every pair of refits, compared on the same
        customers (Lange et al., 2004; Hennig, 2007).
    bootstrap_size : int
        Each refit uses a resample (with replacement) of ``min(n, bootstrap_size)`` customers.
    stability_threshold : float
        Mean ARI a k needs to count as stable in :func:`choose_k`.
    k_rule : {"vote", "stability", "silhouette"}
        How :func:`choose_k` picks k (default: majority vote of the criteria among stable k).
    n_init : int
        k-means restarts (the best inertia is kept); bootstrap refits use the same.
    n_threads : int, optional
        OpenMP/BLAS threads for the fits (None: the library default). 1 is the default
        because many small fits run fastest single-threaded, especially on a busy machine.
    preprocessor : SegmentPreprocessor, optional
        Preprocessing; default ``SegmentPreprocessor()``.
    random_state : int, optional
        Seed: same data + params + seed -> same segments.

    Attributes
    ----------
    features_ : list of str
    preprocessor_ : SegmentPreprocessor
    selection_n_ : int
        Customers the k selection ran on (all, or the sample above ``minibatch_threshold``).
    k_selection_ : DataFrame
        Index ``k``; ``inertia``, ``silhouette``, ``calinski_harabasz``, ``davies_bouldin``,
        ``stability_ari_mean``, ``stability_ari_sd``, ``min_share`` (smallest segment), and
        ``bic`` for ``method="gmm"``.
    k_ : int
    k_reason_ : str
        Why this k (one sentence).
    labels_ : ndarray of int
        Segment per customer (0 .. k-1, ordered by decreasing size).
    model_ : fitted KMeans / MiniBatchKMeans / GaussianMixture
    """

    def __init__(self, features=None, k=None, k_range=(2, 10), method="kmeans", minibatch_threshold=200_000,
                 silhouette_sample=10_000, n_bootstrap=10, bootstrap_size=20_000, stability_threshold=0.8,
                 k_rule="vote", n_init=4, n_threads=1, preprocessor=None, random_state=None):
        self.features = features
        self.k = k
        self.k_range = k_range
        self.method = method
        self.minibatch_threshold = minibatch_threshold
        self.silhouette_sample = silhouette_sample
        self.n_bootstrap = n_bootstrap
        self.bootstrap_size = bootstrap_size
        self.stability_threshold = stability_threshold
        self.k_rule = k_rule
        self.n_init = n_init
        self.n_threads = n_threads
        self.preprocessor = preprocessor
        self.random_state = random_state

    # -- validation ---------------------------------------------------------------------
    def _k_values(self) -> list[int]:
        if self.k is not None:
            if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 2:
                raise ParamsError(f"k must be an integer >= 2 or None; got {self.k!r}")
            return [int(self.k)]
        try:
            lo, hi = (int(v) for v in self.k_range)
        except (TypeError, ValueError):
            raise ParamsError(f"k_range must be two integers (k_min, k_max); got {self.k_range!r}") from None
        if lo < 2:
            raise ParamsError(f"k_min must be >= 2; got {lo}")
        if hi < lo:
            raise ParamsError(f"k_max must be >= k_min ({lo}); got {hi}")
        return list(range(lo, hi + 1))

    def _check_params(self):
        if self.method not in _METHODS:
            raise ParamsError(f"method must be one of {list(_METHODS)}; got {self.method!r}")
        for name in ("minibatch_threshold", "silhouette_sample", "bootstrap_size", "n_init"):
            require_int(name, getattr(self, name), 1 if name == "n_init" else 100)
        if not isinstance(self.n_bootstrap, (int, np.integer)) or self.n_bootstrap < 0 or self.n_bootstrap == 1:
            raise ParamsError(f"n_bootstrap must be 0 (no stability) or >= 2; got {self.n_bootstrap!r}")
        if self.k_rule not in K_RULES:
            raise ParamsError(f"k_rule must be one of {list(K_RULES)}; got {self.k_rule!r}")
        if not (0.0 <= self.stability_threshold <= 1.0):
            raise ParamsError(f"stability_threshold must be in [0, 1]; got {self.stability_threshold!r}")

    def _resolve_features(self, X: pd.DataFrame) -> list[str]:
        if self.features is not None:
            feats = list(self.features)
            if not feats:
                raise ParamsError("features must list at least one column (or be None for the defaults)")
            missing = [f for f in feats if f not in X.columns]
            if missing:
                raise DataError(f"features not in the table: {', '.join(map(str, missing))}")
            return feats
        feats = [f for f in DEFAULT_FEATURES if f in X.columns]
        return feats or [c for c in X.columns if c not in _ID_COLUMNS]

    # -- models ---------------------------------------------------------------------------
    def _model(self, k: int, n: int, seed: int, n_init: int | None = None):
        n_init = self.n_init if n_init is None else n_init
        if self.method == "gmm":
            return GaussianMixture(n_components=k, covariance_type="full", n_init=1, reg_covar=1e-4,
                                   max_iter=200, random_state=seed)
        if n > self.minibatch_threshold:
            return MiniBatchKMeans(n_clusters=k, n_init=n_init, batch_size=4096, max_no_improvement=20,
                                   random_state=seed)
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed)

    @staticmethod
    def _inertia(Xt: np.ndarray, labels: np.ndarray, k: int) -> float:
        total = 0.0
        for c in range(k):
            m = labels == c
            if m.any():
                d = Xt[m] - Xt[m].mean(axis=0)
                total += float(np.einsum("ij,ij->", d, d))
        return total

    # -- fit --------------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Preprocess, score every k, choose k, fit the final model; returns self."""
        self._check_params()
        if self.n_threads is None:
            return self._fit(X)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=int(self.n_threads)):
            return self._fit(X)

    def _fit(self, X):
        ks = self._k_values()
        X = _as_frame(X)
        feats = self._resolve_features(X)
        n = len(X)
        if n <= max(ks):
            raise DataError(f"fewer customers than segments: {n} customer(s) for k = {max(ks)}; "
                            f"need more than {max(ks)} (lower k / k_range or widen the selection)")
        pre = SegmentPreprocessor() if self.preprocessor is None else self.preprocessor
        pre = pre.fit(X[feats])
        Xt = pre.transform(X[feats])
        rs = check_random_state(self.random_state)
        large = n > self.minibatch_threshold
        # above the threshold, k is selected on a random sample; the chosen k is then fitted on everyone
        Xs = Xt[np.sort(rs.choice(n, self.minibatch_threshold, replace=False))] if large else Xt
        ns = Xs.shape[0]
        n_eval = min(ns, self.silhouette_sample)
        eval_idx = np.sort(rs.choice(ns, n_eval, replace=False)) if n_eval < ns else np.arange(ns)
        Xe = Xs[eval_idx]
        rows, models, eval_labels = [], {}, []
        for k in ks:
            seed = int(rs.randint(0, 2**31 - 1))
            model = self._model(k, ns, seed).fit(Xs)
            labels = model.predict(Xs)
            n_lab = len(np.unique(labels))
            inertia = float(model.inertia_) if isinstance(model, KMeans) else self._inertia(Xs, labels, k)
            eval_labels.append(labels[eval_idx])
            if n_lab > 1:
                ch = float(calinski_harabasz_score(Xs, labels))
                db = float(davies_bouldin_score(Xs, labels))
            else:
                ch = db = np.nan
            stab = self._stability(Xs, Xe, k, rs)
            row = {"k": k, "inertia": inertia, "calinski_harabasz": ch,
                   "davies_bouldin": db, "stability_ari_mean": float(np.mean(stab)) if stab else np.nan,
                   "stability_ari_sd": float(np.std(stab, ddof=1)) if len(stab) > 1 else np.nan,
                   "min_share": float(np.bincount(labels, minlength=k).min() / ns)}
            if self.method == "gmm":
                row["bic"] = float(model.bic(Xs))
            rows.append(row)
            models[k] = model
        sel = pd.DataFrame(rows).set_index("k")
        sel.insert(1, "silhouette", silhouettes(Xe, eval_labels))
        if len(ks) == 1:
            k_best, reason = ks[0], f"k fixed at {ks[0]} by params"
        else:
            k_best, reason = choose_k(sel, self.stability_threshold, self.k_rule)
        model = models[k_best]
        if large and self.method == "kmeans":
            # MiniBatchKMeans on everyone, started from the sample's centres
            model = MiniBatchKMeans(n_clusters=k_best, init=model.cluster_centers_, n_init=1, batch_size=4096,
                                    max_no_improvement=20, random_state=int(rs.randint(0, 2**31 - 1))).fit(Xt)
        raw = model.predict(Xt)
        # relabel 0..k-1 by decreasing size (ties by old label): stable, readable ids
        sizes = np.bincount(raw, minlength=k_best)
        order = sorted(range(k_best), key=lambda c: (-sizes[c], c))
        self._relabel = np.empty(k_best, dtype=int)
        self._relabel[order] = np.arange(k_best)
        self.features_ = feats
        self.preprocessor_ = pre
        self.k_selection_ = sel
        self.selection_n_ = int(ns)
        self.k_ = int(k_best)
        self.k_reason_ = reason
        self.model_ = model
        self.labels_ = self._relabel[raw]
        self.n_features_in_ = len(feats)
        return self

    def _stability(self, Xt: np.ndarray, Xe: np.ndarray, k: int, rs: np.random.RandomState) -> list[float]:
        if self.n_bootstrap == 0:
            return []
        n = Xt.shape[0]
        m = min(n, self.bootstrap_size)
        preds = []
        for _ in range(self.n_bootstrap):
            seed = int(rs.randint(0, 2**31 - 1))
            idx = rs.randint(0, n, size=m)
            model = self._model(k, m, seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # duplicated points from the resample
                model.fit(Xt[idx])
            preds.append(model.predict(Xe))
        return [float(adjusted_rand_score(a, b)) for a, b in itertools.combinations(preds, 2)]

    def transform(self, X) -> np.ndarray:
        """The preprocessed clustering matrix of ``X`` (for projections and profiles)."""
        self._check_fitted()
        return self.preprocessor_.transform(_as_frame(X)[self.features_])

    def predict(self, X) -> np.ndarray:
        """Assign customers to the fitted segments (0 .. k-1)."""
        self._check_fitted()
        X = _as_frame(X)
        missing = [f for f in self.features_ if f not in X.columns]
        if missing:
            raise DataError(f"features not in the table: {', '.join(map(str, missing))}")
        return self._relabel[self.model_.predict(self.preprocessor_.transform(X[self.features_]))]

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise ClientLensError("CustomerSegmenter is not fitted yet: call fit(X) first")


# --------------------------------------------------------------------------------------------
# profiles and labels
# --------------------------------------------------------------------------------------------
@dataclass
class SegmentProfile:
    """What sets each segment apart.

    Attributes
    ----------
    summary : DataFrame
        Per segment: ``n_customers``, ``share_customers`` and, when the columns exist,
        ``share_aum``, ``share_clv``, ``mean_aum``, ``mean_clv``.
    means, medians : DataFrame
        Segment x feature, in the features' own units.
    zscores : DataFrame
        Segment x feature: (segment mean - overall mean) / overall standard deviation,
        computed after ``log1p`` for heavy-tailed non-negative features (so one
        millionaire does not make a segment "high AUM").
    distinguishing : DataFrame
        Per segment, the ``top_n`` features with the largest ``|z|``: ``rank``,
        ``feature``, ``z``, ``segment_mean``, ``overall_mean``.
    overall : Series
        Overall mean per feature.
    """

    summary: pd.DataFrame
    means: pd.DataFrame
    medians: pd.DataFrame
    zscores: pd.DataFrame
    distinguishing: pd.DataFrame
    overall: pd.Series
    log_features: list = field(default_factory=list)


def _numeric_frame(X: pd.DataFrame, cols: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({c: _numeric_values(X[c]) for c in cols}, index=X.index)


def profile_segments(X: pd.DataFrame, labels, features: Sequence[str] | None = None,
                     value_cols: Mapping[str, str] | Sequence[str] | None = None, aum_col: str = "aum",
                     clv_col: str = "clv", top_n: int = 3, skew_threshold: float = 1.0) -> SegmentProfile:
    """Profile segments: sizes, value shares, means/medians, z-scores, distinguishing features.

    Parameters
    ----------
    X : DataFrame
        Wide table, one row per customer, aligned with ``labels``.
    labels : array-like
        Segment per customer.
    features : list of str, optional
        Features to profile; default: every numeric or boolean column except ids.
    value_cols : list of str, optional
        Columns whose segment *share of the total* is reported (default ``[aum_col, clv_col]``
        where present); e.g. ``["aum", "clv"]``.
    aum_col, clv_col : str
        Names of the AUM and CLV columns (shares reported when present).
    top_n : int
        Distinguishing features listed per segment.
    skew_threshold : float
        Non-negative features with skewness above this are z-scored after ``log1p``.
    """
    X = _as_frame(X)
    labels = np.asarray(labels)
    if labels.shape[0] != len(X):
        raise DataError(f"labels has {labels.shape[0]} rows but the table has {len(X)}")
    if len(X) == 0:
        raise DataError("cannot profile segments of an empty table")
    if top_n < 1:
        raise ParamsError(f"top_n must be >= 1; got {top_n}")
    if features is None:
        features = [c for c in X.columns if c not in _ID_COLUMNS and _is_numeric(X[c])]
    else:
        bad = [f for f in features if f not in X.columns]
        if bad:
            raise DataError(f"profile features not in the table: {', '.join(map(str, bad))}")
        nonnum = [f for f in features if not _is_numeric(X[f])]
        if nonnum:
            raise DataError(f"profile features must be numeric: {', '.join(map(str, nonnum))}")
    features = list(features)
    num = _numeric_frame(X, features)
    seg = pd.Series(labels, index=X.index, name="segment")
    groups = num.groupby(seg, sort=True)
    means = groups.mean()
    medians = groups.median()
    # z-scores on a log scale for heavy-tailed amounts
    logged = []
    zsrc = num.copy()
    for c in features:
        v = num[c].to_numpy()
        ok = v[~np.isnan(v)]
        if ok.size and ok.min() >= 0 and not np.all(np.isin(ok, (0.0, 1.0))) and _skewness(ok) > skew_threshold:
            zsrc[c] = np.log1p(v)
            logged.append(c)
    mu, sd = zsrc.mean(), zsrc.std(ddof=0)
    z = (zsrc.groupby(seg, sort=True).mean() - mu) / sd.where(sd > 0)
    z = z.fillna(0.0)
    counts = seg.value_counts().sort_index()
    summary = pd.DataFrame({"n_customers": counts, "share_customers": counts / counts.sum()})
    if value_cols is None:
        value_cols = [c for c in (aum_col, clv_col) if c in X.columns]
    for c in value_cols:
        if c not in X.columns:
            raise DataError(f"value column '{c}' not in the table")
        v = pd.Series(_numeric_values(X[c]), index=X.index).fillna(0.0)
        tot = v.sum()
        summary[f"share_{c}"] = v.groupby(seg).sum() / tot if tot else np.nan
        summary[f"mean_{c}"] = v.groupby(seg).mean()
    summary.index.name = "segment"
    rows = []
    for s in z.index:
        zz = z.loc[s]
        top = zz.abs().sort_values(ascending=False, kind="stable").index[:top_n]
        for r, f in enumerate(top, 1):
            rows.append({"segment": s, "rank": r, "feature": f, "z": float(zz[f]),
                         "segment_mean": float(means.loc[s, f]), "overall_mean": float(num[f].mean())})
    dist = pd.DataFrame(rows)
    return SegmentProfile(summary=summary, means=means, medians=medians, zscores=z, distinguishing=dist,
                          overall=num.mean(), log_features=logged)


def label_segments(profile: SegmentProfile, overrides: Mapping | None = None, max_terms: int = 4,
                   min_abs_z: float = 0.5, words: Mapping[str, tuple[str, str]] | None = None) -> pd.Series:
    """Short generated labels per segment ("older, high AUM, low activity, branch-preferring").

    Takes the features with the largest ``|z|`` (at least ``min_abs_z``), turns each into a
    word through ``words`` (default :data:`FEATURE_WORDS`: feature -> (low word, high word);
    unknown features give "high <feature>" / "low <feature>"), skips repeated words and keeps
    ``max_terms``. A segment with no feature past ``min_abs_z`` is "typical". Duplicate labels
    get " (segment s)" appended. ``overrides`` ``{segment: label}`` (keys int or str) replace
    generated labels; unknown segments in overrides raise :class:`ParamsError`.
    """
    if max_terms < 1:
        raise ParamsError(f"max_terms must be >= 1; got {max_terms}")
    words = {**FEATURE_WORDS, **(words or {})}
    z = profile.zscores
    labels = {}
    for s in z.index:
        zz = z.loc[s]
        terms: list[str] = []
        for f in zz.abs().sort_values(ascending=False, kind="stable").index:
            if abs(zz[f]) < min_abs_z or len(terms) >= max_terms:
                break
            low, high = words.get(f, (None, None))
            w = high if zz[f] > 0 else low
            w = t(w) if w else t("high {feature}" if zz[f] > 0 else "low {feature}", feature=f)
            if w not in terms:
                terms.append(w)
        labels[s] = t(", ").join(terms) if terms else t("typical")   # ", " is "、" in zh
    out = pd.Series(labels, name="label")
    out.index.name = "segment"
    dup = out.duplicated(keep=False)
    out[dup] = [t("{label} (segment {s})", label=lab, s=s) for s, lab in out[dup].items()]
    if overrides:
        by_str = {str(s): s for s in out.index}
        for key, lab in overrides.items():
            if str(key) not in by_str:
                raise ParamsError(f"segment_labels: no segment {key!r}; segments are {', '.join(by_str)}")
            out[by_str[str(key)]] = str(lab)
    return out


# --------------------------------------------------------------------------------------------
# rules and ML side by side
# --------------------------------------------------------------------------------------------
def crosstab_segments(segments, other, normalize: str = "index", segment_labels: Mapping | None = None,
                      other_name: str | None = None, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Cross-tab of segments (rows) against a rule segmentation (columns).

    ``normalize``: ``"index"`` (each segment's mix, rows sum to 1), ``"columns"``,
    ``"all"`` or ``"none"`` (counts). Missing rule values show as ``"(missing)"``.
    ``order``: column order for the rule values (values not listed follow, sorted).
    """
    if normalize not in ("index", "columns", "all", "none"):
        raise ParamsError(f"normalize must be one of ['index', 'columns', 'all', 'none']; got {normalize!r}")
    seg = pd.Series(np.asarray(segments), name="segment")
    oth = pd.Series(np.asarray(other, dtype=object), name=other_name or getattr(other, "name", None) or "rule")
    if len(seg) != len(oth):
        raise DataError(f"segments has {len(seg)} rows but the rule column has {len(oth)}")
    oth = oth.where(oth.notna(), "(missing)").astype(str)
    if segment_labels is not None:
        seg = seg.map(lambda s: segment_labels.get(s, s))
    ct = pd.crosstab(seg, oth, normalize=False if normalize == "none" else normalize)
    if order is not None:
        first = [str(c) for c in order if str(c) in ct.columns]
        ct = ct[first + [c for c in ct.columns if c not in first]]
    ct.columns.name = oth.name
    return ct


def _cramers_v(counts: pd.DataFrame) -> float:
    from scipy.stats import chi2_contingency

    obs = counts.to_numpy(dtype=float)
    if min(obs.shape) < 2 or obs.sum() == 0:
        return 0.0
    chi2 = chi2_contingency(obs, correction=False)[0]
    return float(np.sqrt(chi2 / (obs.sum() * (min(obs.shape) - 1))))


def crosstab_reading(segments, other, segment_labels: Mapping | None = None, rule_name: str = "rule",
                     min_lift: float = 1.5) -> str:
    """A short reading of a segment x rule cross-tab, for the report.

    States how closely the two views agree (Cramér's V: < 0.1 independent,
    0.1-0.3 weak, 0.3-0.5 moderate, > 0.5 strong) and, per segment, the rule
    value most over-represented (its share in the segment vs overall, when the
    ratio is at least ``min_lift``).
    """
    counts = crosstab_segments(segments, other, normalize="none", other_name=rule_name)
    v = _cramers_v(counts)
    strength = t("independent of" if v < 0.1 else "weakly related to" if v < 0.3 else
                 "moderately related to" if v < 0.5 else "strongly related to")
    overall = counts.sum(axis=0) / counts.to_numpy().sum()
    mix = counts.div(counts.sum(axis=1), axis=0)
    lift = mix / overall
    parts = []
    for s in counts.index:
        col = lift.loc[s].idxmax()
        if lift.loc[s, col] >= min_lift:
            name = f"{s} ({segment_labels.get(s, s)})" if segment_labels is not None else f"{s}"
            parts.append(t("segment {name} is {share:.0%} {value} vs {overall:.0%} overall", name=name,
                           share=mix.loc[s, col], value=value(col), overall=overall[col]))
    text = t("Clusters are {strength} the {rule} (Cramér's V = {v:.2f}).", strength=strength, rule=t(rule_name), v=v)
    if parts:
        text += t(" Over-represented: {parts}.", parts="; ".join(parts))
    else:
        text += t(" No segment over-represents a {rule} value by {lift:g}x or more.", rule=t(rule_name), lift=min_lift)
    return text


# --------------------------------------------------------------------------------------------
# projection and output
# --------------------------------------------------------------------------------------------
def project_2d(Xt: np.ndarray, labels, sample: int = 5_000, random_state=None) -> pd.DataFrame:
    """2-D PCA map of the clustering matrix on a sample: columns ``pc1``, ``pc2``, ``segment``.

    PCA is fitted on the sample (at most ``sample`` customers); ``attrs["explained"]`` holds
    the variance share of the two components.
    """
    Xt = np.asarray(Xt, dtype=float)
    labels = np.asarray(labels)
    if Xt.ndim != 2 or Xt.shape[0] != labels.shape[0]:
        raise DataError("project_2d: Xt must be 2-D with one row per label")
    if Xt.shape[1] < 2:
        raise DataError("project_2d: need at least 2 features for a 2-D map")
    rs = check_random_state(random_state)
    n = Xt.shape[0]
    idx = np.sort(rs.choice(n, sample, replace=False)) if n > sample else np.arange(n)
    pca = PCA(n_components=2, random_state=0).fit(Xt[idx])
    xy = pca.transform(Xt[idx])
    out = pd.DataFrame({"pc1": xy[:, 0], "pc2": xy[:, 1], "segment": labels[idx]})
    out.attrs["explained"] = [float(v) for v in pca.explained_variance_ratio_]
    return out


def assignment_table(customer_ids, labels, segment_labels: Mapping | None = None, *, mask_ids: bool = False) -> pd.DataFrame:
    """Customer-to-segment table to save as the report's artefact.

    Columns ``customer_id``, ``segment`` (int) and ``segment_name`` (the label). The raw id is
    kept by default because later notebooks join on it (the artefact stays inside the bank,
    like the input data; reports never display it). ``mask_ids=True`` stores
    :func:`clientlens.privacy.mask_ids` instead (keyed hashes; joinable by re-masking with
    the same key).
    """
    from .privacy import mask_ids as _mask

    ids = pd.Series(np.asarray(customer_ids)).astype("str")
    labels = np.asarray(labels)
    if len(ids) != len(labels):
        raise DataError(f"{len(ids)} customer ids but {len(labels)} labels")
    out = pd.DataFrame({"customer_id": (_mask(ids) if mask_ids else ids).to_numpy(),
                        "segment": labels.astype("int64")})
    names = segment_labels if segment_labels is not None else {}
    out["segment_name"] = out["segment"].map(lambda s: str(names.get(s, t("segment {s}", s=s)))).astype("str")
    return out


def check_params(*, method: str, k_rule: str, k: int, k_min: int, k_max: int, stability_threshold: float,
                 n_bootstrap: int, bootstrap_size: int, silhouette_sample: int, minibatch_threshold: int,
                 max_missing: float, missing_indicator_min: float, label_min_z: float, label_max_terms: int,
                 map_sample: int) -> None:
    """Validate the segmentation report's parameters (the in-kernel guard for interactive runs).

    Raises :class:`ParamsError` with one line naming the parameter, e.g. ``k_max must be >= 2; got 1``.
    """
    from .params import require

    require("method", method, choices=["kmeans", "gmm"])
    require("k_rule", k_rule, choices=list(K_RULES))
    require("k", k, min=0)
    require("k_min", k_min, min=2)
    require("k_max", k_max, min=k_min)
    require("stability_threshold", stability_threshold, min=0, max=1)
    for name, value, lo in (("n_bootstrap", n_bootstrap, 0), ("bootstrap_size", bootstrap_size, 100),
                            ("silhouette_sample", silhouette_sample, 100),
                            ("minibatch_threshold", minibatch_threshold, 100), ("label_min_z", label_min_z, 0),
                            ("label_max_terms", label_max_terms, 1), ("map_sample", map_sample, 100)):
        require(name, value, min=lo)
    require("max_missing", max_missing, min=0, max=1, min_exclusive=True)
    require("missing_indicator_min", missing_indicator_min, min=0, max=1)
    if k == 1:
        require("k", k, min=2)
