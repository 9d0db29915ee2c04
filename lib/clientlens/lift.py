"""Targeting-model validation: n-tile (decile) tables, gains, lift, KS, AUC, Gini, calibration,
PSI and the post-campaign model-vs-control comparison (模型组 vs 非模型组).

Definitions (see ``../shared/domain.md``, "Validating a targeting model")
-------------------------------------------------------------------------
Customers are sorted by score, highest first, and cut into ``n`` equal groups (deciles by default).

- capture rate (捕获率, cumulative gains) of the top k%: share of all responders found there;
- lift (提升度) of a group: its response rate / the overall response rate;
- cumulative lift of the top k%: capture rate / k%;
- KS: the largest gap between the cumulative share of responders and of non-responders
  over all score cut-offs;
- AUC: the probability that a random responder scores higher than a random non-responder,
  ties counting one half (Mann-Whitney); Gini = 2 AUC - 1;
- PSI = sum over bins of (actual share - expected share) * ln(actual share / expected share),
  bins from the expected (development) sample.

Ties
----
Equal scores are never split across n-tiles. The n-tile of a group of equal scores is chosen
by the midpoint of its positions in the sorted order: with ``N`` customers, a group occupying
positions ``b+1 .. b+c`` (1-based, after ``b`` higher-scored customers) goes to n-tile
``ceil((b + c/2) * n / N)``. Without ties this is the usual equal-count split
(customer ``i`` goes to ``ceil((i - 1/2) n / N) = ceil(i n / N)``); with heavy ties some n-tiles
get more customers than others, and an n-tile can be empty (it is then left out of the table).

Point metrics at a fraction (:func:`capture_at`, :func:`lift_at`) are tie-neutral instead: a tie
group straddling the cut-off contributes pro rata (the expected value under random tie-breaking),
so they are exact at any fraction.

All functions are pure (no I/O) and raise :class:`clientlens.DataError` on bad input with a
one-line message (NaN scores, targets that are not 0/1, no responders or no non-responders).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import DataError, ParamsError
from .params import require_int

__all__ = [
    "ntile_table", "ks", "ks_curve", "auc", "gini", "roc_curve", "gains_curve", "capture_at", "lift_at",
    "oracle_lift", "calibration_table", "expected_calibration_error", "hosmer_lemeshow", "psi", "psi_table",
    "model_vs_control", "ControlComparison", "proportion_diff_ci", "wilson_interval",
]


# --------------------------------------------------------------------------- input checks

def _check_target(y, name: str = "y_true") -> np.ndarray:
    y = pd.Series(y)
    if len(y) == 0:
        raise DataError(f"{name} is empty; need at least one customer")
    if y.isna().any():
        raise DataError(f"{name} has {int(y.isna().sum()):,} missing value(s); the target must be 0/1 "
                        f"for every customer (drop rows whose response is not yet known)")
    try:
        arr = y.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be 0/1; got non-numeric values such as {y.iloc[0]!r}") from None
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        raise DataError(f"{name} must be 0/1; got {int(bad.sum()):,} other value(s) (e.g. {arr[bad][0]!r})")
    return arr.astype(np.int64)


def _check_score(score, n: int | None = None, name: str = "score") -> np.ndarray:
    s = pd.Series(score)
    try:
        arr = s.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be numeric; got values such as {s.iloc[0]!r}") from None
    if n is not None and len(arr) != n:
        raise DataError(f"{name} has {len(arr):,} values but y_true has {n:,}; they must align")
    nan = ~np.isfinite(arr)
    if nan.any():
        raise DataError(f"{name} has {int(nan.sum()):,} missing or infinite value(s); score every customer "
                        f"or drop them before validation")
    return arr


def _check_both(y_true, score, *, need_both_classes: bool = True) -> tuple[np.ndarray, np.ndarray]:
    y = _check_target(y_true)
    s = _check_score(score, len(y))
    if need_both_classes:
        n1 = int(y.sum())
        if n1 == 0:
            raise DataError(f"y_true has no responders (events) among {len(y):,} customers; lift, capture, KS "
                            f"and AUC are undefined (is this sample from before the responses were recorded?)")
        if n1 == len(y):
            raise DataError(f"y_true has only responders ({len(y):,}); KS and AUC need non-responders too")
    return y, s


def _check_n(n: int, name: str = "n") -> int:
    return require_int(name, n, 1)


def _check_frac(frac: float, name: str = "frac") -> float:
    if not (isinstance(frac, (int, float, np.floating)) and 0 < frac <= 1):
        raise ParamsError(f"{name} must be in (0, 1]; got {frac!r}")
    return float(frac)


def _score_groups(y: np.ndarray, s: np.ndarray, descending: bool = True) -> pd.DataFrame:
    """One row per unique score, best first: score, count, responders."""
    g = (pd.DataFrame({"score": s, "y": y})
         .groupby("score", sort=True)["y"].agg(["size", "sum"])
         .rename(columns={"size": "count", "sum": "responders"}))
    if descending:
        g = g.iloc[::-1]
    return g.reset_index()


# --------------------------------------------------------------------------- n-tile table

def ntile_table(y_true, score, n: int = 10, higher_is_better: bool = True) -> pd.DataFrame:
    """The n-tile (decile) table reviewers read: one row per n-tile, best scores first.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed response.
    score : array-like of float
        Model score or probability (higher = more likely to respond unless ``higher_is_better=False``).
    n : int
        Number of groups (10 = deciles).
    higher_is_better : bool
        Whether a higher score means a more likely responder.

    Returns
    -------
    DataFrame
        Columns ``ntile`` (1 = best), ``score_min``, ``score_max``, ``count``, ``responders``,
        ``non_responders``, ``response_rate``, ``share`` (of customers), ``cum_share``,
        ``capture_rate`` (share of all responders in the row), ``cum_capture_rate`` (gains),
        ``cum_non_capture_rate`` (share of all non-responders up to the row),
        ``lift`` (row response rate / overall rate), ``cum_response_rate``, ``cum_lift``
        (= cum_capture_rate / cum_share) and ``ks`` (cum_capture_rate - cum_non_capture_rate).
        Equal scores share an n-tile (module docstring); empty n-tiles are left out.

    Raises
    ------
    DataError
        NaN scores, a target other than 0/1, or a sample without responders or non-responders.
    """
    n = _check_n(n)
    y, s = _check_both(y_true, score)
    if not higher_is_better:
        s = -s
    g = _score_groups(y, s)
    total, total_resp = len(y), int(y.sum())
    before = g["count"].cumsum() - g["count"]
    mid = before + g["count"] / 2.0
    g["ntile"] = np.clip(np.ceil(mid * n / total).astype(int), 1, n)
    t = g.groupby("ntile", sort=True).agg(score_min=("score", "min"), score_max=("score", "max"),
                                          count=("count", "sum"), responders=("responders", "sum"))
    if not higher_is_better:
        t["score_min"], t["score_max"] = -t["score_max"], -t["score_min"]
    t = t.reset_index()
    t["count"] = t["count"].astype("int64")
    t["responders"] = t["responders"].astype("int64")
    t["non_responders"] = t["count"] - t["responders"]
    overall = total_resp / total
    t["response_rate"] = t["responders"] / t["count"]
    t["share"] = t["count"] / total
    t["cum_share"] = t["count"].cumsum() / total
    t["capture_rate"] = t["responders"] / total_resp
    t["cum_capture_rate"] = t["responders"].cumsum() / total_resp
    t["cum_non_capture_rate"] = t["non_responders"].cumsum() / (total - total_resp)
    t["lift"] = t["response_rate"] / overall
    t["cum_response_rate"] = t["responders"].cumsum() / t["count"].cumsum()
    t["cum_lift"] = t["cum_capture_rate"] / t["cum_share"]
    t["ks"] = t["cum_capture_rate"] - t["cum_non_capture_rate"]
    return t[["ntile", "score_min", "score_max", "count", "responders", "non_responders", "response_rate",
              "share", "cum_share", "capture_rate", "cum_capture_rate", "cum_non_capture_rate", "lift",
              "cum_response_rate", "cum_lift", "ks"]]


# --------------------------------------------------------------------------- curves and point metrics

def gains_curve(y_true, score) -> pd.DataFrame:
    """Cumulative gains at every distinct score cut-off, best first, starting at (0, 0).

    Columns ``cum_share`` (share of customers selected), ``cum_capture_rate`` (share of responders),
    ``cum_non_capture_rate`` (share of non-responders) and ``score`` (the cut-off: scores >= it selected).
    Tied customers enter together, so the curve is piecewise linear between cut-offs.
    """
    y, s = _check_both(y_true, score)
    g = _score_groups(y, s)
    total, total_resp = len(y), int(y.sum())
    out = pd.DataFrame({
        "score": g["score"],
        "cum_share": g["count"].cumsum() / total,
        "cum_capture_rate": g["responders"].cumsum() / total_resp,
        "cum_non_capture_rate": (g["count"] - g["responders"]).cumsum() / (total - total_resp),
    })
    start = pd.DataFrame({"score": [np.inf], "cum_share": [0.0], "cum_capture_rate": [0.0],
                          "cum_non_capture_rate": [0.0]})
    return pd.concat([start, out], ignore_index=True)


def ks_curve(y_true, score) -> pd.DataFrame:
    """:func:`gains_curve` with ``ks`` = cum_capture_rate - cum_non_capture_rate at each cut-off."""
    c = gains_curve(y_true, score)
    c["ks"] = c["cum_capture_rate"] - c["cum_non_capture_rate"]
    return c


def ks(y_true, score) -> float:
    """Kolmogorov-Smirnov statistic: max over score cut-offs of |F_responders - F_non_responders|.

    Cut-offs are the distinct scores, so tied customers are never separated. Equals the two-sample
    KS statistic between the responders' and the non-responders' score distributions.
    """
    c = ks_curve(y_true, score)
    return float(np.max(np.abs(c["ks"])))


def roc_curve(y_true, score) -> pd.DataFrame:
    """ROC points at every distinct score cut-off: ``fpr``, ``tpr``, ``score`` (from (0, 0) to (1, 1))."""
    c = gains_curve(y_true, score)
    return pd.DataFrame({"fpr": c["cum_non_capture_rate"], "tpr": c["cum_capture_rate"], "score": c["score"]})


def auc(y_true, score) -> float:
    """Area under the ROC curve by the Mann-Whitney U statistic, ties counting 1/2.

    AUC = (sum of the responders' mid-ranks - n1 (n1 + 1) / 2) / (n1 n0).
    """
    y, s = _check_both(y_true, score)
    ranks = stats.rankdata(s, method="average")
    n1 = int(y.sum())
    n0 = len(y) - n1
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def gini(y_true, score) -> float:
    """Gini coefficient (accuracy ratio) = 2 AUC - 1."""
    return 2.0 * auc(y_true, score) - 1.0


def _cum_at(y: np.ndarray, s: np.ndarray, frac: float) -> tuple[float, float]:
    """(customers, responders) in the top ``frac`` of the base, tie groups at the cut pro rata."""
    g = _score_groups(y, s)
    target = frac * len(y)
    cum = g["count"].cumsum().to_numpy(dtype=float)
    before = cum - g["count"].to_numpy(dtype=float)
    take = np.clip(target - before, 0.0, g["count"].to_numpy(dtype=float))
    resp = float(np.sum(take / g["count"].to_numpy(dtype=float) * g["responders"].to_numpy(dtype=float)))
    return float(take.sum()), resp


def capture_at(y_true, score, frac: float = 0.1) -> float:
    """Capture rate (cumulative gains) in the top ``frac`` of customers by score.

    A tie group straddling the cut-off is counted pro rata (expected value under random tie-breaking).
    """
    frac = _check_frac(frac)
    y, s = _check_both(y_true, score)
    _, resp = _cum_at(y, s, frac)
    return resp / float(y.sum())


def lift_at(y_true, score, frac: float = 0.1) -> float:
    """Cumulative lift in the top ``frac`` of customers = capture rate / ``frac``."""
    return capture_at(y_true, score, frac) / _check_frac(frac)


def oracle_lift(true_propensity, frac: float = 0.1, y_true=None) -> float:
    """Lift in the top ``frac`` of the best possible ranking: by the true response propensity.

    Without ``y_true`` this is the expected lift: mean propensity of the top ``frac`` (ranked by
    propensity) / mean propensity of all. With ``y_true`` it is the realised lift of ranking by
    propensity (:func:`lift_at` with the propensity as score). Used as the ceiling a model's lift is
    compared with (only the demo bank has true propensities).
    """
    frac = _check_frac(frac)
    p = _check_score(true_propensity, name="true_propensity")
    if len(p) == 0:
        raise DataError("true_propensity is empty")
    if np.any((p < 0) | (p > 1)):
        raise DataError("true_propensity must lie in [0, 1]")
    if y_true is not None:
        return lift_at(y_true, p, frac)
    if p.sum() <= 0:
        raise DataError("true_propensity is zero for everyone; lift is undefined")
    # expected responders are the propensities themselves: rank by p, take the top frac pro rata
    order = np.sort(p)[::-1]
    target = frac * len(p)
    k = int(math.floor(target))
    top = order[:k].sum() + (target - k) * (order[k] if k < len(order) else 0.0)
    return float((top / target) / p.mean())


def expected_lift_at(true_propensity, score, frac: float = 0.1) -> float:
    """Expected lift of ranking by ``score`` in the top ``frac``, judged by the true propensities.

    = mean true propensity of the top ``frac`` by score / mean true propensity of all (tie groups
    pro rata). Free of response noise, so it is the fair comparison with :func:`oracle_lift`.
    """
    frac = _check_frac(frac)
    p = _check_score(true_propensity, name="true_propensity")
    s = _check_score(score, len(p))
    g = (pd.DataFrame({"s": s, "p": p}).groupby("s", sort=True)["p"].agg(["size", "sum"]).iloc[::-1])
    cnt = g["size"].to_numpy(dtype=float)
    before = np.cumsum(cnt) - cnt
    take = np.clip(frac * len(p) - before, 0.0, cnt)
    top = float(np.sum(take / cnt * g["sum"].to_numpy(dtype=float)))
    return (top / (frac * len(p))) / float(p.mean())


# --------------------------------------------------------------------------- calibration

def calibration_table(y_true, prob, n_bins: int = 10, strategy: str = "quantile") -> pd.DataFrame:
    """Predicted vs observed response rate per bin of predicted probability.

    Parameters
    ----------
    y_true : array-like of 0/1
    prob : array-like of float in [0, 1]
        Predicted probability of response.
    n_bins : int
        Number of bins.
    strategy : {"quantile", "uniform"}
        ``quantile``: equal-count bins by the n-tile rule of :func:`ntile_table` (ties kept together),
        bin 1 = lowest predictions; ``uniform``: equal-width bins on [0, 1] (right-closed, 0 in bin 1).

    Returns
    -------
    DataFrame
        ``bin``, ``count``, ``mean_predicted``, ``observed_rate``, ``responders``,
        ``expected_responders`` (sum of predictions), ``difference`` (observed - predicted).
        Empty bins are left out.
    """
    n_bins = _check_n(n_bins, "n_bins")
    if strategy not in ("quantile", "uniform"):
        raise ParamsError(f"strategy must be one of ['quantile', 'uniform']; got {strategy!r}")
    y, p = _check_both(y_true, prob, need_both_classes=False)
    if np.any((p < 0) | (p > 1)):
        raise DataError("prob must lie in [0, 1] (a predicted probability, not a points score)")
    if strategy == "quantile":
        g = _score_groups(y, p, descending=False)
        before = g["count"].cumsum() - g["count"]
        g["bin"] = np.clip(np.ceil((before + g["count"] / 2.0) * n_bins / len(y)).astype(int), 1, n_bins)
        bin_of = pd.Series(g["bin"].to_numpy(), index=g["score"].to_numpy())
        b = bin_of.reindex(p).to_numpy()
    else:
        b = np.clip(np.ceil(p * n_bins).astype(int), 1, n_bins)
    df = pd.DataFrame({"bin": b, "y": y, "p": p})
    t = df.groupby("bin", sort=True).agg(count=("y", "size"), mean_predicted=("p", "mean"),
                                         observed_rate=("y", "mean"), responders=("y", "sum"),
                                         expected_responders=("p", "sum")).reset_index()
    t["difference"] = t["observed_rate"] - t["mean_predicted"]
    return t


def expected_calibration_error(y_true=None, prob=None, n_bins: int = 10, strategy: str = "quantile",
                               table: pd.DataFrame | None = None) -> float:
    """ECE = sum over bins of (bin count / N) * |observed rate - mean predicted|.

    Pass ``y_true`` and ``prob`` (binned by :func:`calibration_table`) or a ready ``table``.
    """
    t = table if table is not None else calibration_table(y_true, prob, n_bins=n_bins, strategy=strategy)
    w = t["count"] / t["count"].sum()
    return float(np.sum(w * np.abs(t["observed_rate"] - t["mean_predicted"])))


def hosmer_lemeshow(y_true=None, prob=None, n_bins: int = 10, table: pd.DataFrame | None = None) -> dict:
    """Hosmer-Lemeshow goodness of fit on quantile bins of predicted probability.

    H = sum over bins of (O - E)^2 / (E (1 - E / n)), with O observed and E expected responders
    and n customers in the bin; p-value from chi-square with (bins - 2) degrees of freedom.
    Returns ``{"statistic", "df", "p_value"}``.
    """
    t = table if table is not None else calibration_table(y_true, prob, n_bins=n_bins, strategy="quantile")
    o, e, n = (t[c].to_numpy(dtype=float) for c in ("responders", "expected_responders", "count"))
    denom = e * (1.0 - e / n)
    ok = denom > 0
    h = float(np.sum((o[ok] - e[ok]) ** 2 / denom[ok]))
    dof = int(ok.sum()) - 2
    p = float(stats.chi2.sf(h, dof)) if dof > 0 else float("nan")
    return {"statistic": h, "df": dof, "p_value": p}


# --------------------------------------------------------------------------- stability

def _psi_bins(expected: np.ndarray, bins) -> np.ndarray | None:
    """Inner cut points (right-closed bins) from the expected sample; None = one bin per value."""
    if bins is None or bins == "discrete":
        return None
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        n = _check_n(int(bins), "bins")
        qs = np.quantile(expected, np.linspace(0, 1, n + 1)[1:-1], method="linear")
        return np.unique(qs)
    edges = np.asarray(bins, dtype=float)
    if edges.ndim != 1 or np.any(np.diff(edges) <= 0):
        raise ParamsError("bins must be an int, 'discrete' or increasing cut points")
    return edges


def psi_table(expected, actual, bins=10, eps: float = 1e-4) -> pd.DataFrame:
    """Population stability per bin: expected (development) vs actual (validation / recent) shares.

    Parameters
    ----------
    expected, actual : array-like of float
        The score (or variable) in the development sample and in the sample compared with it.
    bins : int, "discrete" or sequence of float
        ``int``: that many quantile bins of the *expected* sample (duplicate cut points merged;
        bins are right-closed, open-ended at both ends); ``"discrete"`` or ``None``: one bin per
        distinct value (for WOE codes or categories, compared as given); a sequence: inner cut points.
    eps : float
        Share used in place of 0 for an empty bin, so the logarithm is defined.

    Returns
    -------
    DataFrame
        ``bin`` (label), ``expected_count``, ``actual_count``, ``expected_share``, ``actual_share``,
        ``psi`` (the bin's contribution: (a - e) ln(a / e) with the eps-floored shares).
    """
    if not (0 < eps < 0.01):
        raise ParamsError(f"eps must be in (0, 0.01); got {eps!r}")
    discrete = bins is None or (isinstance(bins, str) and bins == "discrete")
    if discrete:
        e = pd.Series(expected)
        a = pd.Series(actual)
        if e.isna().any() or a.isna().any():
            raise DataError("psi: missing values in the compared variable; fill or code them as a value first")
        ec = e.value_counts()
        ac = a.value_counts()
        labels = sorted(set(ec.index) | set(ac.index), key=lambda v: (str(type(v)), v))
        ecount = np.array([ec.get(v, 0) for v in labels], dtype=float)
        acount = np.array([ac.get(v, 0) for v in labels], dtype=float)
        label_str = [str(v) for v in labels]
    else:
        e = _check_score(expected, name="expected")
        a = _check_score(actual, name="actual")
        if len(e) == 0 or len(a) == 0:
            raise DataError("psi needs non-empty expected and actual samples")
        cuts = _psi_bins(e, bins)
        ecount = np.bincount(np.searchsorted(cuts, e, side="left"), minlength=len(cuts) + 1).astype(float)
        acount = np.bincount(np.searchsorted(cuts, a, side="left"), minlength=len(cuts) + 1).astype(float)
        lo = np.concatenate([[-np.inf], cuts])
        hi = np.concatenate([cuts, [np.inf]])
        label_str = [f"({l:.4g}, {h:.4g}]" if np.isfinite(h) else f"({l:.4g}, inf)" for l, h in zip(lo, hi)]
    if ecount.sum() == 0 or acount.sum() == 0:
        raise DataError("psi needs non-empty expected and actual samples")
    es = ecount / ecount.sum()
    as_ = acount / acount.sum()
    ef = np.maximum(es, eps)
    af = np.maximum(as_, eps)
    return pd.DataFrame({"bin": label_str, "expected_count": ecount.astype("int64"),
                         "actual_count": acount.astype("int64"), "expected_share": es, "actual_share": as_,
                         "psi": (af - ef) * np.log(af / ef)})


def psi(expected, actual, bins=10, eps: float = 1e-4) -> float:
    """Population stability index (sum of :func:`psi_table` contributions).

    Rule of thumb (params): < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted.
    """
    return float(psi_table(expected, actual, bins=bins, eps=eps)["psi"].sum())


# --------------------------------------------------------------------------- post-evaluation

def wilson_interval(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion k / n (Wilson 1927; Newcombe 1998, method 3)."""
    if n <= 0:
        raise DataError("wilson_interval needs n >= 1")
    z = stats.norm.ppf(1 - alpha / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_diff_ci(k1: int, n1: int, k2: int, n2: int, alpha: float = 0.05,
                       method: str = "newcombe") -> tuple[float, float]:
    """Confidence interval for p1 - p2 (p1 = k1 / n1, p2 = k2 / n2).

    ``method="newcombe"``: Newcombe's hybrid score interval (Newcombe 1998, method 10) from the
    two Wilson intervals (l1, u1), (l2, u2):
    ``d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` to ``d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``.
    It keeps good coverage for small rates such as campaign responses.
    ``method="wald"``: ``d -/+ z sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)``.
    """
    if method not in ("newcombe", "wald"):
        raise ParamsError(f"method must be one of ['newcombe', 'wald']; got {method!r}")
    if not 0 < alpha < 1:
        raise ParamsError(f"alpha must be in (0, 1); got {alpha!r}")
    p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    if method == "wald":
        z = stats.norm.ppf(1 - alpha / 2)
        half = z * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        return d - half, d + half
    l1, u1 = wilson_interval(k1, n1, alpha)
    l2, u2 = wilson_interval(k2, n2, alpha)
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


@dataclass(frozen=True)
class ControlComparison:
    """Result of :func:`model_vs_control` (rates are shares, 0-1)."""

    n_model: int
    responders_model: int
    rate_model: float
    n_control: int
    responders_control: int
    rate_control: float
    difference: float
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    z: float
    p_value: float
    incremental_responders: float
    incremental_low: float
    incremental_high: float
    rate_ratio: float

    def to_dict(self) -> dict:
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """Two-row table (model, control) with customers, responders and response rate."""
        return pd.DataFrame({
            "group": ["model", "control"],
            "customers": [self.n_model, self.n_control],
            "responders": [self.responders_model, self.responders_control],
            "response_rate": [self.rate_model, self.rate_control],
        })


def model_vs_control(responses_model, responses_control, alpha: float = 0.05,
                     method: str = "newcombe") -> ControlComparison:
    """Post-evaluation (模型组 vs 非模型组): did the model-selected group respond better than control?

    Parameters
    ----------
    responses_model, responses_control : array-like of 0/1
        Responses of the contacted customers in each group (no missing values).
    alpha : float
        1 - confidence level of the interval (0.05 -> 95%).
    method : {"newcombe", "wald"}
        Interval for the difference in rates (:func:`proportion_diff_ci`).

    Returns
    -------
    ControlComparison
        Rates, difference (model - control) with its interval, the pooled two-proportion z-test
        (z = d / sqrt(p (1 - p) (1/n1 + 1/n2)), p pooled; two-sided p-value), and the incremental
        responders in the model group = difference x model-group size (with the interval scaled alike).
    """
    m = _check_target(responses_model, "responses_model")
    c = _check_target(responses_control, "responses_control")
    n1, n2 = len(m), len(c)
    k1, k2 = int(m.sum()), int(c.sum())
    p1, p2 = k1 / n1, k2 / n2
    lo, hi = proportion_diff_ci(k1, n1, k2, n2, alpha=alpha, method=method)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se > 0:
        z = (p1 - p2) / se
        pval = float(2 * stats.norm.sf(abs(z)))
    else:  # both groups all 0 or all 1: no evidence of a difference
        z, pval = 0.0, 1.0
    return ControlComparison(
        n_model=n1, responders_model=k1, rate_model=p1, n_control=n2, responders_control=k2, rate_control=p2,
        difference=p1 - p2, ci_low=lo, ci_high=hi, confidence=1 - alpha, ci_method=method, z=float(z),
        p_value=pval, incremental_responders=(p1 - p2) * n1, incremental_low=lo * n1, incremental_high=hi * n1,
        rate_ratio=(p1 / p2) if p2 > 0 else float("inf") if p1 > 0 else float("nan"),
    )
