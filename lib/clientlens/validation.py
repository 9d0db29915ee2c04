"""Model validation a bank's validation team signs: intervals, rank order, calibration tests, stability.

The three pillars of model-risk practice (conceptual soundness, ongoing monitoring, outcomes analysis)
need more than point metrics. This module adds, for a scored sample (``y`` 0/1, ``prob`` or score):

AUC with a DeLong interval
    DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or more correlated receiver
    operating characteristic curves: a nonparametric approach", Biometrics 44(3), computed with the
    midrank algorithm of Sun & Xu (2014), "Fast implementation of DeLong's algorithm", IEEE SPL 21(11).
    With ``m`` responders ``X_i`` and ``n`` non-responders ``Y_j`` and ``psi(x, y) = 1 if x > y, 1/2 if
    x = y, 0 otherwise``, the structural components are ``V10(X_i) = (1/n) sum_j psi(X_i, Y_j)`` and
    ``V01(Y_j) = (1/m) sum_i psi(X_i, Y_j)``; ``AUC = mean V10 = mean V01`` and
    ``Var(AUC) = S10 / m + S01 / n`` with ``S10``, ``S01`` their sample variances (denominator ``m - 1``,
    ``n - 1``). Interval: ``AUC +- z SE``, clipped to [0, 1].
KS and lift in the top 10% with bootstrap intervals
    Stratified bootstrap (responders and non-responders resampled separately, so every replicate keeps
    the sample's counts), ``n_boot`` replicates drawn with ``numpy.random.default_rng(random_state)``;
    percentile interval. Same data + same seed -> same interval.
Rank order across deciles
    For each pair of adjacent deciles ``(d, d + 1)`` (1 = best), a one-sided two-proportion z-test
    (pooled variance) of ``H0: rate(d + 1) <= rate(d)`` against a break ``rate(d + 1) > rate(d)``;
    the ``n - 1`` p-values are adjusted by Holm's step-down method (family-wise error). A pair whose
    adjusted p-value is below the threshold is a *break* and its deciles are named; an inversion of the
    point rates that is not significant is within sampling error.
Calibration
    Hosmer-Lemeshow (quantile bins, ``bins - 2`` degrees of freedom) and the logistic recalibration
    ``logit P(y = 1) = a + b logit(p)`` (Cox 1958): calibration slope ``b`` (1 = ideal) and
    calibration-in-the-large ``a`` with ``b`` fixed at 1 (0 = ideal); the joint test ``a = 0, b = 1`` is a
    likelihood-ratio test with 2 degrees of freedom. Both tests account for the sample size; the expected
    calibration error (ECE) is shown as information only.
Stability (PSI / CSI)
    One reference everywhere: the development sample. Score PSI on 10 quantile bins of the development
    scores; each model variable's characteristic stability index (CSI) on the scorecard's own bins
    (missing and special bins included), with the same formula and the bands of the domain brief
    (< 0.1 stable, 0.1-0.25 watch, > 0.25 shifted). :func:`stability_over_time` repeats both at each
    month-end.

Verdicts (:func:`assemble_verdicts`) grade the *point* value against the params thresholds and show the
interval; when the threshold lies inside the interval the note says the verdict is "within the interval
of its threshold" (the data cannot tell the two sides apart).
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import DataError, ParamsError
from . import lift as L
from .i18n import t
from .params import require_int

__all__ = [
    "delong_auc", "bootstrap_interval", "ks_lift_bootstrap", "rank_order_test", "logistic_fit",
    "calibration_tests", "psi_with_table", "csi_tables", "stability_summary", "stability_over_time",
    "month_ends", "assemble_verdicts", "DEFAULT_THRESHOLDS", "sample_metrics", "leakage_check",
    "scored_sample", "SAMPLE_LABELS", "load_validation_inputs", "validate_model", "scores_at_month_ends",
    "control_group_outcome", "calibration_summary", "overall_message", "sample_counts", "post_evaluation",
]

#: Labels of ``scored_sample.parquet``'s ``sample`` column.
SAMPLE_LABELS = ("development", "validation", "out_of_time")

#: check -> (warn, fail, higher_is_better); overridden by the 06 section of params/default.yaml.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float, bool]] = {
    "auc": (0.70, 0.60, True),
    "ks": (0.20, 0.10, True),
    "lift_top10": (2.0, 1.5, True),
    "capture_top20": (0.35, 0.25, True),
    "rank_order_p": (0.05, 0.01, True),
    "hl_p": (0.05, 0.01, True),
    "recalibration_p": (0.05, 0.01, True),
    "score_psi": (0.10, 0.25, False),
    "variable_psi": (0.10, 0.25, False),
}

_LABELS = {
    "auc": "AUC (ranking power, 0.5 = random)",
    "ks": "KS (max gap responders vs non-responders)",
    "lift_top10": "Lift in the top 10% (x overall rate)",
    "capture_top20": "Capture rate in the top 20%",
    "rank_order_p": "Rank order across deciles (smallest Holm-adjusted p of a break)",
    "hl_p": "Calibration: Hosmer-Lemeshow p-value",
    "recalibration_p": "Calibration slope / intercept: joint test p-value (a = 0, b = 1)",
    "score_psi": "Score PSI (development sample vs today's base)",
    "variable_psi": "Largest variable CSI (development sample vs today's base)",
    "leakage_review": "Leakage review of suspicious variables",
    "calibration_error": "Expected calibration error (information)",
}


# --------------------------------------------------------------------------- DeLong

def _midrank(x: np.ndarray) -> np.ndarray:
    """Midranks (1-based, ties get the mean of their positions)."""
    return stats.rankdata(x, method="average")


def delong_auc(y_true, score, confidence: float = 0.95) -> dict:
    """AUC, its DeLong variance and interval (module docstring).

    Returns
    -------
    dict
        ``auc``, ``variance``, ``se``, ``ci_low``, ``ci_high``, ``m`` (responders), ``n``
        (non-responders), ``v10`` and ``v01`` (the structural components, arrays).
    """
    _check_confidence(confidence)
    y, s = L._check_both(y_true, score)
    x_pos, y_neg = s[y == 1], s[y == 0]
    m, n = len(x_pos), len(y_neg)
    tz = _midrank(np.concatenate([x_pos, y_neg]))
    tx, ty = _midrank(x_pos), _midrank(y_neg)
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    auc = float(v10.mean())
    s10 = float(np.var(v10, ddof=1)) if m > 1 else 0.0
    s01 = float(np.var(v01, ddof=1)) if n > 1 else 0.0
    var = s10 / m + s01 / n
    se = math.sqrt(var)
    z = stats.norm.ppf(0.5 + confidence / 2)
    return {"auc": auc, "variance": var, "se": se, "ci_low": max(0.0, auc - z * se),
            "ci_high": min(1.0, auc + z * se), "m": m, "n": n, "v10": v10, "v01": v01}


def _check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0.5 <= confidence < 1:
        raise ParamsError(f"confidence must be in [0.5, 1); got {confidence!r}")


# --------------------------------------------------------------------------- bootstrap

class _Grouped:
    """A sample sorted by score (best first) with ties grouped, for fast weighted KS and top-k% lift."""

    def __init__(self, y: np.ndarray, s: np.ndarray):
        order = np.argsort(-s, kind="mergesort")
        ss = s[order]
        new = np.r_[True, ss[1:] != ss[:-1]]
        grp_sorted = np.cumsum(new) - 1
        self.group = np.empty(len(s), dtype=np.int64)
        self.group[order] = grp_sorted
        self.n_groups = int(grp_sorted[-1]) + 1
        self.y = y

    def stats(self, w: np.ndarray, frac: float = 0.1) -> tuple[float, float]:
        """(KS, cumulative lift in the top ``frac``) of the sample weighted by ``w`` (counts)."""
        pos = np.bincount(self.group, weights=w * self.y, minlength=self.n_groups)
        cnt = np.bincount(self.group, weights=w, minlength=self.n_groups)
        return self.stats_of_groups(pos, cnt, frac)

    def stats_of_groups(self, pos: np.ndarray, cnt: np.ndarray, frac: float = 0.1) -> tuple[float, float]:
        """:meth:`stats` from the weighted count of events (``pos``) and of rows (``cnt``) of each group."""
        neg = cnt - pos
        P, N, T = pos.sum(), neg.sum(), cnt.sum()
        ks = float(np.max(np.abs(np.cumsum(pos) / P - np.cumsum(neg) / N)))
        # tie-neutral capture at frac (as lift.capture_at): the straddling group counts pro rata
        cum = np.cumsum(cnt)
        k = frac * T
        i = int(np.searchsorted(cum, k, side="left"))
        before_cnt = cum[i - 1] if i > 0 else 0.0
        before_pos = pos[:i].sum()
        share = (k - before_cnt) / cnt[i] if cnt[i] > 0 else 0.0
        capture = (before_pos + share * pos[i]) / P
        return ks, float(capture / frac)

    def stats_of_counts(self, pos: np.ndarray, neg: np.ndarray, frac: float = 0.1) -> tuple[float, float]:
        """:meth:`stats_of_groups` from whole-number counts of events (``pos``) and non-events (``neg``) per group
        (integer arrays, as a bootstrap replicate draws them): the same figures to the last bit (running sums of
        whole numbers are exact in integers and in floats), about half the time. Integer running sums are several
        times faster than float ones, and the work arrays are reused from one replicate to the next (a fresh
        array of a few MB per step cost more than the arithmetic)."""
        if getattr(self, "_work", None) is None or len(self._work[0]) != len(pos):
            self._work = (np.empty(len(pos), np.int64), np.empty(len(pos), np.int64), np.empty(len(pos)),
                          np.empty(len(pos)))
        cpos, cum, a, b = self._work
        np.cumsum(pos, out=cpos)
        np.cumsum(neg, out=cum)
        P, N = cpos[-1], cum[-1]
        np.divide(cpos, P, out=a)
        np.divide(cum, N, out=b)
        np.subtract(a, b, out=a)
        ks = float(np.abs(a, out=a).max())
        np.add(cpos, cum, out=cum)              # running count of rows
        k = frac * cum[-1]
        i = int(np.searchsorted(cum, k, side="left"))
        before_cnt, before_pos = (cum[i - 1], cpos[i - 1]) if i > 0 else (0, 0)
        cnt_i, pos_i = cum[i] - before_cnt, cpos[i] - before_pos
        share = (k - before_cnt) / cnt_i if cnt_i > 0 else 0.0
        capture = (before_pos + share * pos_i) / P
        return ks, float(capture / frac)


#: :func:`ks_lift_bootstrap` draws each replicate's counts per score group (multinomial) when the rows number at
#: least this many times the distinct scores; otherwise it draws rows (a multinomial draw per group costs ~20 row
#: draws: with a distinct probability per row it was 15x slower than drawing the rows)
MULTINOMIAL_GROUP_RATIO = 20


def ks_lift_bootstrap(y_true, score, n_boot: int = 1000, confidence: float = 0.95, frac: float = 0.1,
                      random_state: int | None = 42) -> dict:
    """KS and cumulative lift in the top ``frac`` with stratified bootstrap percentile intervals.

    Returns
    -------
    dict
        ``ks``, ``ks_low``, ``ks_high``, ``lift``, ``lift_low``, ``lift_high``, ``n_boot``,
        ``replicates`` (``(n_boot, 2)`` array of KS and lift).
    """
    require_int("n_boot", n_boot, 10)
    _check_confidence(confidence)
    y, s = L._check_both(y_true, score)
    g = _Grouped(y.astype(float), s)
    ks0, lift0 = g.stats(np.ones(len(y)), frac)
    rng = np.random.default_rng(random_state)
    pos_idx, neg_idx = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    reps = np.empty((n_boot, 2))
    n_pos, n_neg = len(pos_idx), len(neg_idx)
    # A resample within each class is n draws with replacement out of its n rows. The statistics only need how
    # many draws fall in each score group (ties form one group). With few distinct scores (a scorecard's points)
    # those counts are drawn directly: they follow Multinomial(n, rows of the group / n), the law of resampling
    # rows, at the cost of the number of groups. With many (a probability per row), the rows are drawn and
    # counted into their groups.
    if g.n_groups * MULTINOMIAL_GROUP_RATIO <= len(y):
        share_pos = np.bincount(g.group[pos_idx], minlength=g.n_groups) / n_pos
        share_neg = np.bincount(g.group[neg_idx], minlength=g.n_groups) / n_neg
        for b in range(n_boot):
            reps[b] = g.stats_of_counts(rng.multinomial(n_pos, share_pos), rng.multinomial(n_neg, share_neg), frac)
    else:
        pos_group, neg_group = g.group[pos_idx], g.group[neg_idx]
        for b in range(n_boot):
            reps[b] = g.stats_of_counts(np.bincount(pos_group[rng.integers(0, n_pos, n_pos)], minlength=g.n_groups),
                                        np.bincount(neg_group[rng.integers(0, n_neg, n_neg)], minlength=g.n_groups),
                                        frac)
    a = (1 - confidence) / 2
    lo, hi = np.quantile(reps, [a, 1 - a], axis=0)
    return {"ks": ks0, "ks_low": float(lo[0]), "ks_high": float(hi[0]), "lift": lift0,
            "lift_low": float(lo[1]), "lift_high": float(hi[1]), "n_boot": int(n_boot), "replicates": reps}


def bootstrap_interval(y_true, score, statistic, n_boot: int = 1000, confidence: float = 0.95,
                       random_state: int | None = 42) -> tuple[float, float, float]:
    """``(value, low, high)`` of any ``statistic(y, score)`` by stratified bootstrap (percentile interval)."""
    require_int("n_boot", n_boot, 10)
    _check_confidence(confidence)
    y, s = L._check_both(y_true, score)
    rng = np.random.default_rng(random_state)
    pos_idx, neg_idx = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    vals = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.concatenate([rng.choice(pos_idx, len(pos_idx)), rng.choice(neg_idx, len(neg_idx))])
        vals[b] = statistic(y[idx], s[idx])
    a = (1 - confidence) / 2
    lo, hi = np.quantile(vals, [a, 1 - a])
    return float(statistic(y, s)), float(lo), float(hi)


# --------------------------------------------------------------------------- rank order

def _holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values."""
    p = np.asarray(p, dtype=float)
    k = len(p)
    order = np.argsort(p, kind="mergesort")
    adj = np.empty(k)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (k - rank) * p[i]))
        adj[i] = running
    return adj


def rank_order_test(y_true, score, n: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """Adjacent n-tile comparisons: is the response rate non-increasing within sampling error?

    Test (module docstring): one-sided two-proportion z-test with pooled variance of
    ``rate(d + 1) > rate(d)`` for each adjacent pair, Holm-adjusted over the ``n - 1`` pairs.

    Returns
    -------
    DataFrame
        One row per adjacent pair: ``pair`` ("4 -> 5"), ``ntile``, ``next_ntile``, ``rate``,
        ``next_rate``, ``z``, ``p_value``, ``p_holm``, ``inversion`` (point rates increase), ``break``
        (``p_holm < alpha``).
    """
    t = L.ntile_table(y_true, score, n=n)
    rows = []
    for a, b in zip(t.itertuples(), list(t.itertuples())[1:]):
        n1, k1, n2, k2 = a.count, a.responders, b.count, b.responders
        p1, p2 = k1 / n1, k2 / n2
        pool = (k1 + k2) / (n1 + n2)
        se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2)) if 0 < pool < 1 else 0.0
        z = (p2 - p1) / se if se > 0 else 0.0
        rows.append({"pair": f"{a.ntile} -> {b.ntile}", "ntile": int(a.ntile), "next_ntile": int(b.ntile),
                     "rate": p1, "next_rate": p2, "z": z, "p_value": float(stats.norm.sf(z))})
    out = pd.DataFrame(rows, columns=["pair", "ntile", "next_ntile", "rate", "next_rate", "z", "p_value"])
    out["p_holm"] = _holm(out["p_value"].to_numpy()) if len(out) else []
    out["inversion"] = out["next_rate"] > out["rate"]
    out["break"] = out["p_holm"] < alpha
    return out


# --------------------------------------------------------------------------- logistic regression (Newton)

def logistic_fit(X, y, offset=None, max_iter: int = 100, tol: float = 1e-10) -> dict:
    """Unpenalised maximum-likelihood logistic regression by Newton-Raphson (IRLS).

    ``X`` includes any intercept column. Returns ``coef``, ``cov`` (inverse Fisher information),
    ``se``, ``z``, ``p_value`` (two-sided Wald), ``loglik``, ``converged``.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    beta = np.zeros(X.shape[1])
    converged = False
    for _ in range(max_iter):
        eta = off + X @ beta
        p = 1 / (1 + np.exp(-eta))
        w = p * (1 - p)
        grad = X.T @ (y - p)
        H = (X * w[:, None]).T @ X
        step = np.linalg.solve(H, grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    eta = off + X @ beta
    p = np.clip(1 / (1 + np.exp(-eta)), 1e-15, 1 - 1e-15)
    w = p * (1 - p)
    cov = np.linalg.inv((X * w[:, None]).T @ X)
    se = np.sqrt(np.diag(cov))
    z = beta / se
    return {"coef": beta, "cov": cov, "se": se, "z": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
            "loglik": float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))), "converged": converged}


def _loglik(y, p) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


def calibration_tests(y_true, prob, n_bins: int = 10) -> dict:
    """Hosmer-Lemeshow, calibration slope / intercept (Cox recalibration) and the ECE.

    Returns
    -------
    dict
        ``hl_statistic``, ``hl_df``, ``hl_p``; ``slope``, ``slope_se``, ``slope_low``, ``slope_high``
        (95%), ``intercept`` (calibration-in-the-large, slope fixed at 1), ``intercept_se``;
        ``recalibration_lr``, ``recalibration_p`` (joint LR test ``a = 0, b = 1``, 2 df); ``ece``;
        ``mean_predicted``, ``observed_rate``; ``table`` (:func:`clientlens.lift.calibration_table`).
    """
    y, p = L._check_both(y_true, prob)
    if np.any((p <= 0) | (p >= 1)):
        raise DataError("prob must lie strictly in (0, 1) for the calibration tests")
    table = L.calibration_table(y, p, n_bins=n_bins)
    hl = L.hosmer_lemeshow(table=table)
    lp = np.log(p / (1 - p))
    full = logistic_fit(np.column_stack([np.ones(len(y)), lp]), y)
    citl = logistic_fit(np.ones((len(y), 1)), y, offset=lp)
    lr = 2 * (full["loglik"] - _loglik(y, p))
    slope, sse = float(full["coef"][1]), float(full["se"][1])
    return {"hl_statistic": hl["statistic"], "hl_df": hl["df"], "hl_p": hl["p_value"],
            "slope": slope, "slope_se": sse, "slope_low": slope - 1.959964 * sse, "slope_high": slope + 1.959964 * sse,
            "intercept": float(citl["coef"][0]), "intercept_se": float(citl["se"][0]),
            "recalibration_lr": float(max(lr, 0.0)), "recalibration_p": float(stats.chi2.sf(max(lr, 0.0), 2)),
            "ece": L.expected_calibration_error(table=table), "mean_predicted": float(p.mean()),
            "observed_rate": float(y.mean()), "table": table}


# --------------------------------------------------------------------------- sample metrics

def sample_metrics(y_true, prob, *, n_tiles: int = 10, n_boot: int = 1000, confidence: float = 0.95,
                   rank_alpha: float = 0.05, random_state: int | None = 42) -> dict:
    """Every validation figure of one scored sample (point values, intervals and tests).

    Returns
    -------
    dict
        ``n``, ``responders``, ``response_rate``, ``auc`` (+ ``auc_low``, ``auc_high``, ``auc_se``),
        ``gini``, ``ks`` (+ ``ks_low``, ``ks_high``), ``lift_top10`` (+ ``lift_top10_low``,
        ``lift_top10_high``), ``capture_top10``, ``capture_top20``, ``rank_order`` (table of
        :func:`rank_order_test`), ``rank_order_p`` (smallest adjusted p, 1 without pairs), ``breaks``
        (list of pair strings), ``calibration`` (:func:`calibration_tests`), ``hl_p``, ``recalibration_p``,
        ``calibration_error`` (ECE), ``ntile_table``.
    """
    y = L._check_target(y_true)
    if y.sum() == 0 or y.sum() == len(y):
        raise DataError(f"the sample needs responders and non-responders; got {int(y.sum()):,} of {len(y):,}")
    p = np.asarray(prob, dtype=float)
    d = delong_auc(y, p, confidence)
    bs = ks_lift_bootstrap(y, p, n_boot=n_boot, confidence=confidence, random_state=random_state)
    ro = rank_order_test(y, p, n=n_tiles, alpha=rank_alpha)
    cal = calibration_tests(y, p)
    return {"n": int(len(y)), "responders": int(y.sum()), "response_rate": float(y.mean()),
            "auc": d["auc"], "auc_low": d["ci_low"], "auc_high": d["ci_high"], "auc_se": d["se"],
            "gini": 2 * d["auc"] - 1, "ks": bs["ks"], "ks_low": bs["ks_low"], "ks_high": bs["ks_high"],
            "lift_top10": bs["lift"], "lift_top10_low": bs["lift_low"], "lift_top10_high": bs["lift_high"],
            "capture_top10": L.capture_at(y, p, 0.1), "capture_top20": L.capture_at(y, p, 0.2),
            "rank_order": ro, "rank_order_p": float(ro["p_holm"].min()) if len(ro) else 1.0,
            "breaks": ro.loc[ro["break"], "pair"].tolist(), "calibration": cal, "hl_p": cal["hl_p"],
            "recalibration_p": cal["recalibration_p"], "calibration_error": cal["ece"],
            "mean_predicted": cal["mean_predicted"], "ntile_table": L.ntile_table(y, p, n=n_tiles)}


# --------------------------------------------------------------------------- stability

def psi_with_table(expected, actual, bins=10, labels: Sequence[str] | None = None) -> tuple[float, pd.DataFrame]:
    """``(PSI, bin table)`` of :func:`clientlens.lift.psi_table`; ``labels`` names discrete bin codes
    ``0..k-1`` (e.g. the scorecard's bin labels, with ``-1`` an unseen category)."""
    t = L.psi_table(expected, actual, bins=bins)
    if labels is not None:
        names = list(labels)
        t["bin"] = [names[int(c)] if 0 <= int(c) < len(names) else "unknown" for c in t["bin"]]
    return float(t["psi"].sum()), t


def _bin_labels(scorecard, variable: str) -> list[str]:
    return list(scorecard.binner_.binnings_[variable].labels)


def csi_tables(scorecard, reference: pd.DataFrame, comparison: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Bin-by-bin CSI table of each scorecard variable (columns ``bin_<variable>`` of :func:`scoring.score_frame`)."""
    return {v: psi_with_table(reference[f"bin_{v}"], comparison[f"bin_{v}"], bins="discrete",
                              labels=_bin_labels(scorecard, v))[1]
            for v in scorecard.variables_}


def stability_summary(scorecard, reference: pd.DataFrame, comparison: pd.DataFrame, watch: float = 0.1,
                      shifted: float = 0.25) -> pd.DataFrame:
    """Score PSI and each variable's CSI of ``comparison`` against ``reference`` (both score frames).

    Returns one row per item: ``item`` ("score" or the variable), ``description``, ``index`` (PSI / CSI),
    ``band`` (stable / watch / shifted), ``top_bin`` (largest contribution).
    """
    from .binning import psi_band
    from .scoring import describe_variable

    rows = []
    v, t = psi_with_table(reference["score"], comparison["score"], bins=10)
    rows.append({"item": "score", "description": "scorecard points (10 bins of the development scores)", "index": v,
                 "band": psi_band(v, watch, shifted), "top_bin": t.loc[t["psi"].idxmax(), "bin"]})
    for var, tab in csi_tables(scorecard, reference, comparison).items():
        x = float(tab["psi"].sum())
        rows.append({"item": var, "description": describe_variable(var), "index": x,
                     "band": psi_band(x, watch, shifted), "top_bin": tab.loc[tab["psi"].idxmax(), "bin"]})
    out = pd.DataFrame(rows)
    return pd.concat([out.iloc[:1], out.iloc[1:].sort_values("index", ascending=False, kind="mergesort")],
                     ignore_index=True)


def month_ends(as_of, n: int = 12, first=None) -> list[pd.Timestamp]:
    """The last ``n`` month-ends up to ``as_of`` (``as_of`` itself when it is a month-end), oldest first,
    none before ``first``."""
    require_int("n", n, 1)
    a = pd.Timestamp(as_of)
    last = a if a.is_month_end else (a - pd.offsets.MonthEnd(1))
    out = [last - pd.offsets.MonthEnd(k) for k in range(n - 1, -1, -1)]
    out = [pd.Timestamp(d).normalize() for d in out]
    if first is not None:
        out = [d for d in out if d >= pd.Timestamp(first)]
    return out


def stability_over_time(scorecard, reference: pd.DataFrame, frames: Mapping, watch: float = 0.1,
                        shifted: float = 0.25) -> pd.DataFrame:
    """Score PSI and variable CSI of each dated score frame against the reference.

    Parameters
    ----------
    frames : mapping date -> DataFrame
        Score frames (:func:`clientlens.scoring.score_frame`) of the base at each month-end.

    Returns
    -------
    DataFrame
        Long format: ``date``, ``item``, ``description``, ``index``, ``band``.
    """
    parts = []
    for d, f in frames.items():
        s = stability_summary(scorecard, reference, f, watch=watch, shifted=shifted)
        s.insert(0, "date", pd.Timestamp(d).date())
        parts.append(s.drop(columns="top_bin"))
    if not parts:
        return pd.DataFrame(columns=["date", "item", "description", "index", "band"])
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- verdicts

def _fmt(v: float, check: str) -> str:
    if check in ("capture_top20",):
        return f"{v:.1%}"
    if check == "lift_top10":
        return f"{v:.2f}x"
    if check.endswith("_p"):
        return f"{v:.3g}"
    return f"{v:.3f}"


def leakage_check(suspicious_kept: Sequence[str], review: Mapping | None) -> dict:
    """Verdict row data for the leakage review record.

    ``review`` is ``{reviewer, date, conclusion}`` from params. Kept suspicious variables without a
    complete record -> WARN "suspicious variables kept without a recorded review".
    """
    kept = list(suspicious_kept)
    rec = {k: str((review or {}).get(k, "") or "").strip() for k in ("reviewer", "date", "conclusion")}
    complete = all(rec.values())
    if not kept:
        return {"verdict": "PASS", "value": t("no suspicious variable kept"), "note": ""}
    if not complete:
        missing = [k for k, v in rec.items() if not v]
        return {"verdict": "WARN", "value": t("{n} kept: {variables}", n=len(kept), variables=", ".join(kept)),
                "note": t("suspicious variables kept without a recorded review (leakage_review lacks {fields})",
                          fields=t(", ").join(missing))}
    return {"verdict": "PASS", "value": t("{n} kept: {variables}", n=len(kept), variables=", ".join(kept)),
            "note": t("reviewed by {reviewer} on {date}: {conclusion}", reviewer=rec["reviewer"], date=rec["date"],
                      conclusion=rec["conclusion"])}


def assemble_verdicts(primary: dict, secondary: dict | None = None, stability: dict | None = None,
                      thresholds: Mapping | None = None, *, primary_name: str = "out-of-time",
                      secondary_name: str = "in-time holdout", leakage: dict | None = None) -> pd.DataFrame:
    """The verdict table: one row per check, graded on the primary sample's point value.

    Parameters
    ----------
    primary, secondary : dict
        :func:`sample_metrics` of the sample the verdict uses (out-of-time when there is one) and of a
        second sample shown beside it (the in-time holdout), or None.
    stability : dict
        ``{"score_psi": .., "variable_psi": .., "variable": name of the largest, "reference": words}``.
    thresholds : mapping
        ``{check: (warn, fail)}`` overriding :data:`DEFAULT_THRESHOLDS`.
    leakage : dict
        :func:`leakage_check` output (a row of its own).

    Returns
    -------
    DataFrame
        ``check``, ``<primary_name>`` (value with interval), ``<secondary_name>``, ``threshold``,
        ``verdict``, ``note``.
    """
    from .report import grade

    th = dict(DEFAULT_THRESHOLDS)
    for k, v in (thresholds or {}).items():
        if k not in th:
            raise ParamsError(f"unknown check {k!r} in thresholds; valid: {sorted(th)}")
        warn, fail = (v["warn"], v["fail"]) if isinstance(v, Mapping) else v
        th[k] = (float(warn), float(fail), th[k][2])
    stab = stability or {}
    rows = []

    def value_text(m: dict | None, k: str) -> str:
        if m is None or k not in m:
            return "-"
        if f"{k}_low" in m:
            return t("{value} ({low} to {high})", value=_fmt(m[k], k), low=_fmt(m[f"{k}_low"], k),
                     high=_fmt(m[f"{k}_high"], k))
        return _fmt(m[k], k)

    for k, (warn, fail, hib) in th.items():
        src = stab if k in ("score_psi", "variable_psi") else primary
        if k not in src or src[k] is None:
            continue
        val = float(src[k])
        text = (t("PASS if >= {warn:g}; FAIL if < {fail:g}", warn=warn, fail=fail) if hib
                else t("PASS if < {warn:g}; FAIL if >= {fail:g}", warn=warn, fail=fail))
        note = ""
        if f"{k}_low" in src:
            lo, hi = src[f"{k}_low"], src[f"{k}_high"]
            inside = [x for x in (warn, fail) if lo <= x <= hi]
            if inside:
                note = t("within the interval of its threshold ({threshold} lies in {low} to {high}): the sample "
                         "cannot tell the two sides apart", threshold=_fmt(inside[0], k), low=_fmt(lo, k),
                         high=_fmt(hi, k))
        if k == "rank_order_p":
            br = primary.get("breaks", [])
            inv = primary["rank_order"].loc[primary["rank_order"]["inversion"] & ~primary["rank_order"]["break"], "pair"]
            note = (t("breaks: n-tile pair(s) {pairs} respond significantly better than the n-tile above",
                      pairs=", ".join(br)) if br else t("no significant break")) + \
                (t("; point inversions within sampling error: {pairs}", pairs=", ".join(inv)) if len(inv) else "") + \
                t("; one-sided two-proportion z-test per adjacent pair, Holm-adjusted")
        elif k == "recalibration_p":
            c = primary["calibration"]
            note = t("slope {slope:.2f} ({low:.2f} to {high:.2f}), intercept {intercept:+.2f} (slope fixed at 1); "
                     "likelihood-ratio test, 2 df", slope=c["slope"], low=c["slope_low"], high=c["slope_high"],
                     intercept=c["intercept"])
        elif k == "hl_p":
            c = primary["calibration"]
            note = t("HL {hl:.1f} on {df} df; mean predicted {predicted:.2%} vs observed {observed:.2%}",
                     hl=c["hl_statistic"], df=c["hl_df"], predicted=c["mean_predicted"], observed=c["observed_rate"])
        elif k == "auc" and not note:
            note = t("Gini {gini:.3f}; DeLong interval", gini=primary["gini"])
        elif k in ("ks", "lift_top10") and not note:
            note = t("bootstrap percentile interval")
        elif k == "score_psi":
            note = stab.get("reference", "")
        elif k == "variable_psi":
            note = stab.get("variable", "")
        rows.append({"check": _LABELS[k],
                     primary_name: value_text(src, k) if src is primary else _fmt(val, k),
                     secondary_name: value_text(secondary, k) if src is primary else "",
                     "threshold": text, "verdict": grade(val, warn=warn, fail=fail, higher_is_better=hib),
                     "note": note})
    if leakage is not None:
        rows.append({"check": _LABELS["leakage_review"], primary_name: leakage["value"], secondary_name: "",
                     "threshold": t("a review record (reviewer, date, conclusion) when suspicious variables are kept"),
                     "verdict": leakage["verdict"], "note": leakage["note"]})
    cols = ["check", primary_name, secondary_name, "threshold", "verdict", "note"]
    out = pd.DataFrame(rows, columns=cols)
    if secondary is None:
        out = out.drop(columns=secondary_name)
    return out


# --------------------------------------------------------------------------- the scored-sample artefact

def scored_sample(samples: pd.DataFrame, target: str = "response", date_col: str = "contact_date") -> pd.DataFrame:
    """The ``scored_sample.parquet`` of 05: ``customer_id_masked`` (or ``customer_id`` with raw ids),
    ``obs_date``, ``sample`` (development / validation / out_of_time), ``target``, ``prob``, ``score``,
    then the challenger's probability and the scorecard bin of each variable when present."""
    bad = sorted(set(samples["sample"]) - set(SAMPLE_LABELS))
    if bad:
        raise DataError(f"scored sample: unknown sample label(s) {bad}; valid: {list(SAMPLE_LABELS)}")
    out = pd.DataFrame(index=samples.index)
    for c in ("customer_id_masked", "customer_id"):
        if c in samples.columns:
            out[c] = samples[c]
    if date_col in samples.columns:
        out["obs_date"] = pd.to_datetime(samples[date_col])
    out["sample"] = samples["sample"].astype(str)
    out["target"] = samples[target].astype("int64")
    out["prob"] = samples["prob"].astype(float)
    out["score"] = samples["score"].astype(float)
    extra = [c for c in samples.columns if c == "prob_challenger" or c.startswith("bin_") or c in ("group", "campaign_id")]
    for c in extra:
        out[c] = samples[c]
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- the report's pipeline (06)

def load_validation_inputs(bank, reports_dir, as_of: str, *, include_scratch: bool, campaigns: Sequence[str],
                           validation_share: float = 0.3, random_state: int | None = 42,
                           allow_raw_ids: bool = False) -> dict:
    """05_response_model's model, scored sample and base scores, or a fit here when they are absent.

    Returns ``model`` (dict of :func:`clientlens.scoring.fit_response_model`), ``scored`` (the
    ``scored_sample.parquet`` table), ``base_scores``, ``fitted_here`` (bool) and ``source_note``.
    """
    import warnings

    from .features import build_wide_table
    from .report import find_artifact
    from .scoring import fit_response_model, load_model, score_frame

    files = ("scorecard.pkl", "scored_sample.parquet", "base_scores.parquet")
    found = {f: find_artifact(reports_dir, as_of, "05_response_model", f, include_scratch=include_scratch) for f in files}
    if all(found.values()):
        return {"model": load_model(found["scorecard.pkl"]), "scored": pd.read_parquet(found["scored_sample.parquet"]),
                "base_scores": pd.read_parquet(found["base_scores.parquet"]), "fitted_here": False,
                "source_note": t("Model and scores loaded from the 05_response_model report of {as_of}.", as_of=as_of)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_response_model(bank, campaigns, validation_share=validation_share, random_state=random_state,
                                   allow_raw_ids=allow_raw_ids)
        base = build_wide_table(bank, pd.Timestamp(as_of).date())
        base_scores = score_frame(model, base, allow_raw_ids=allow_raw_ids)
    model["meta"].update(as_of=as_of, fingerprints=bank.fingerprints())
    return {"model": model, "scored": scored_sample(model["samples"]), "base_scores": base_scores, "fitted_here": True,
            "source_note": t("05_response_model's artefacts were not found for this date, so the model was fitted in "
                             "this notebook with default settings on {campaigns}.", campaigns=", ".join(campaigns))}


def validate_model(scored: pd.DataFrame, base_scores: pd.DataFrame, scorecard, thresholds: Mapping, *,
                   n_tiles: int = 10, confidence: float = 0.95, n_boot: int = 1000, random_state: int | None = 42,
                   leakage_review: Mapping | None = None, as_of: str = "") -> dict:
    """Everything the verdict of 06 needs, from the scored sample and today's base scores.

    The verdict sample is ``out_of_time`` when the scored sample has one, else the in-time ``validation``
    holdout; the in-time holdout is the second column when both exist. Stability: the development sample
    against today's base (score PSI and CSI per variable). Leakage: model variables in the suspicious IV
    band (:func:`clientlens.binning.iv_band`) need a ``leakage_review`` record.

    Returns
    -------
    dict
        ``primary`` / ``secondary`` (sample labels; secondary may be None), ``names`` (their words),
        ``metrics`` (label -> :func:`sample_metrics`), ``stability`` (:func:`stability_summary`),
        ``csi`` (bin tables of the variables not stable), ``suspicious`` (kept variables), ``leakage``,
        ``verdicts`` (:func:`assemble_verdicts`), ``overall``.
    """
    from .binning import iv_band
    from .report import worst

    th = {k: tuple(v)[:2] for k, v in thresholds.items()}
    labels = set(scored["sample"])
    primary = "out_of_time" if "out_of_time" in labels else "validation"
    secondary = "validation" if primary == "out_of_time" and "validation" in labels else None
    names = {"out_of_time": "out-of-time", "validation": "in-time holdout"}
    alpha = th.get("rank_order_p", DEFAULT_THRESHOLDS["rank_order_p"])[0]
    metrics = {}
    for lab in filter(None, (primary, secondary)):
        part = scored[scored["sample"] == lab]
        metrics[lab] = sample_metrics(part["target"], part["prob"], n_tiles=n_tiles, n_boot=n_boot,
                                      confidence=confidence, rank_alpha=alpha, random_state=random_state)
    dev = scored[scored["sample"] == "development"]
    watch, shifted = th.get("score_psi", (0.1, 0.25))
    stab = stability_summary(scorecard, dev, base_scores, watch=watch, shifted=shifted)
    var = stab.iloc[1:]
    csi = {v: t for v, t in csi_tables(scorecard, dev, base_scores).items()
           if v in set(var.loc[var["band"] != "stable", "item"])}
    suspicious = [v for v in scorecard.variables_ if iv_band(scorecard.iv_.get(v, np.nan)) == "suspicious"]
    leak = leakage_check(suspicious, leakage_review)
    top = var.iloc[0] if len(var) else None
    st = {"score_psi": float(stab.iloc[0]["index"]), "reference": t("development sample vs base as of {as_of}", as_of=as_of)}
    if top is not None:
        st.update(variable_psi=float(top["index"]), variable=f"{top['description']} ({top['item']})")
    verdicts = assemble_verdicts(metrics[primary], metrics.get(secondary), st, th, primary_name=names[primary],
                                 secondary_name=names["validation"], leakage=leak)
    return {"primary": primary, "secondary": secondary, "names": names, "metrics": metrics, "stability": stab,
            "csi": csi, "suspicious": suspicious, "leakage": leak, "verdicts": verdicts,
            "overall": worst(verdicts["verdict"])}


def scores_at_month_ends(bank, model: dict, as_of, n_periods: int = 12, allow_raw_ids: bool = False,
                         cache=None, reports_dir=None, output_dir: str = "") -> dict:
    """Score frames of the base at each of the last ``n_periods`` month-ends the data covers (oldest first).

    Only what the stability sections read: the scorecard's score, probability and variable bins
    (:func:`clientlens.scoring.score_frame` without the challenger), from the wide table's columns of
    the scorecard's variables alone (``build_wide_table(..., columns=...)``, a fraction of the full
    table's cost; the same values), the month-ends built together in one pass over the transactions and
    balances (:func:`clientlens.features.build_wide_tables`). ``cache`` (a :class:`clientlens.cache.RunCache`):
    each month-end's columns come from the run cache (:meth:`~clientlens.cache.RunCache.wide_columns_at`), so
    a re-run or the run date's full table (built by 01/05) serves them. Without ``cache``, ``reports_dir`` (and the
    report's ``output_dir``, where the cache logs its use) opens the run cache of ``as_of`` there.
    """
    import warnings

    if cache is None and reports_dir is not None:
        from .cache import RunCache
        from .report import resolve_output_dir

        cache = RunCache.for_run(bank, as_of, reports_dir, log_dir=resolve_output_dir(output_dir, "06_model_validation"))

    from .features import build_wide_tables
    from .scoring import score_frame

    first = None
    if bank.has("monthly_balances"):
        first = bank.con.execute("SELECT min(month_end) FROM monthly_balances").fetchone()[0]
    scorecard_only = {**model, "challenger": None}
    variables = list(model["scorecard"].variables_)
    ends = month_ends(as_of, n_periods, first=first)
    days = [d.date() for d in ends]
    # every month-end's columns in one pass over the transactions and balances (the same values)
    wides = (cache.wide_columns_at(days, variables) if cache is not None
             else build_wide_tables(bank, days, columns=variables))
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d, day in zip(ends, days):
            out[d] = score_frame(scorecard_only, wides.pop(day), allow_raw_ids=allow_raw_ids, ids=False)
    return out


def control_group_outcome(scored: pd.DataFrame, campaign: str, n: int = 10) -> pd.DataFrame | None:
    """Response by this model's n-tile among the control-group contacts of ``campaign`` that the model did
    not train on (an outcome analysis on untargeted customers); None when there are none or no responders."""
    if not {"campaign_id", "group"} <= set(scored.columns):
        return None
    c = scored[(scored["campaign_id"] == campaign) & (scored["group"] == "control")
               & (scored["sample"] != "development")]
    if len(c) < n or c["target"].sum() == 0 or c["target"].sum() == len(c):
        return None
    return L.ntile_table(c["target"], c["prob"], n=n)


def calibration_summary(c: Mapping) -> pd.DataFrame:
    """The calibration tests of :func:`calibration_tests` as a ``measure`` / ``value`` table for the report."""
    rows = [("mean predicted", f"{c['mean_predicted']:.2%}"), ("observed response rate", f"{c['observed_rate']:.2%}"),
            ("Hosmer-Lemeshow", t("{stat:.1f} on {df} df (p = {p:.3g})", stat=c["hl_statistic"], df=c["hl_df"],
                                  p=c["hl_p"])),
            ("calibration slope b (95% interval)", t("{value} ({low} to {high})", value=f"{c['slope']:.3f}",
                                                    low=f"{c['slope_low']:.3f}", high=f"{c['slope_high']:.3f}")),
            ("calibration-in-the-large a (slope fixed at 1)", f"{c['intercept']:+.3f} (SE {c['intercept_se']:.3f})"),
            ("joint test a = 0, b = 1", t("LR {lr:.2f} on 2 df (p = {p:.3g})", lr=c["recalibration_lr"],
                                          p=c["recalibration_p"])),
            ("expected calibration error (information only)", f"{c['ece']:.2%}")]
    return pd.DataFrame(rows, columns=["measure", "value"])


def overall_message(res: Mapping, source_note: str = "") -> tuple[str, str, str]:
    """``(text, callout kind, title)`` of the overall verdict of :func:`validate_model`."""
    v = res["verdicts"]["verdict"]
    n_fail, n_warn = int((v == "FAIL").sum()), int((v == "WARN").sum())
    text = {"PASS": t("Every check passes."),
            "WARN": t("{n} check(s) need attention (WARN); none fails. Read the evidence below before using the list.",
                      n=n_warn),
            "FAIL": t("{n} check(s) fail: do not use the model's list without remediation.", n=n_fail)}[res["overall"]]
    which = (t(" (contacts after the development period: the model is tested on a later time)")
             if res["primary"] == "out_of_time" else t(" (a random in-time holdout: the data has no later sample)"))
    return (t("{text}\n\nThe verdict uses the {sample} sample{which}. {source}", text=text,
              sample=t(res["names"][res["primary"]]), which=which, source=source_note),
            {"PASS": "pass", "WARN": "warning", "FAIL": "fail"}[res["overall"]],
            t("Overall: {verdict}", verdict=t(res["overall"])))


def sample_counts(scored: pd.DataFrame) -> pd.DataFrame:
    """Contacts and responders per sample label present (development, validation, out_of_time)."""
    g = scored.groupby("sample")["target"].agg(contacts="size", responders="sum")
    return g.reindex([s for s in SAMPLE_LABELS if s in g.index]).reset_index()


def post_evaluation(bank, campaign: str, confidence: float = 0.95):
    """Model group vs control group of ``campaign`` (:func:`clientlens.lift.model_vs_control`), or None when
    the campaign lacks either group with recorded responses. The campaign id reaches SQL as a bound parameter."""
    if not bank.has("campaigns"):
        return None
    camp = bank.con.execute('SELECT "group", response FROM campaigns WHERE campaign_id = ? AND response IS NOT NULL',
                            [str(campaign)]).df()
    grp_m, grp_c = camp[camp["group"] == "model"], camp[camp["group"] == "control"]
    if len(grp_m) == 0 or len(grp_c) == 0:
        return None
    return L.model_vs_control(grp_m["response"], grp_c["response"], alpha=1 - confidence)
