"""Best-first CART on one variable: the split points scikit-learn's ``DecisionTreeClassifier`` finds, found faster.

optbinning pre-bins a numerical variable with ``DecisionTreeClassifier(min_weight_fraction_leaf=...,
max_leaf_nodes=...)`` (Gini, best-first growth) and keeps the thresholds of the tree's splits
(:func:`clientlens.binning._cart_prebin_splits` fits it on the distinct (value, target) pairs). On one variable
every node of that tree is a run of consecutive sorted values, so each node's best split comes from cumulative
class weights over its run, evaluated for all cut points at once. :func:`best_first_splits` does that with the
same arithmetic as scikit-learn's Cython (its ``Gini`` criterion, ``BestSplitter`` and ``BestFirstTreeBuilder``,
version 1.9): the same proxy and improvement formulas in the same order of operations, the same float32 tie
tolerance between neighbouring values, the same thresholds (midpoints in float64), the first best cut point on
equal proxies, the same leaf rules. The weights are whole counts, so every sum is exact whatever order the tree
adds the rows in.

One thing is left to scikit-learn: the order of two candidate nodes with exactly equal improvement (its heap
decides). When that happens :func:`best_first_splits` returns None and the caller fits scikit-learn's tree.
Tested against scikit-learn on the demo's variables and on constructed cases and ties (``tests/test_cart.py``).
At 1M customers (80 variables of the 605k-row development sample) the pre-binning took 8.0 s with scikit-learn's
trees and takes 5.7 s with these (the trees themselves: 4.3 s -> 1.6 s).
"""
from __future__ import annotations

import numpy as np

__all__ = ["best_first_splits"]

#: scikit-learn's ``FEATURE_THRESHOLD`` (float32): neighbouring values closer than this are not cut between
FEATURE_THRESHOLD = np.float32(1e-7)
#: scikit-learn's ``EPSILON`` in ``sklearn/tree/_tree.pyx``
EPSILON = np.finfo("double").eps


def best_first_splits(values: np.ndarray, weight_0: np.ndarray, weight_1: np.ndarray, rows: np.ndarray, *,
                      min_weight_fraction_leaf: float, max_leaf_nodes: int) -> np.ndarray | None:
    """The sorted thresholds of ``DecisionTreeClassifier(min_weight_fraction_leaf, max_leaf_nodes)``'s splits.

    Parameters
    ----------
    values : ndarray of float32
        The distinct values of the variable, ascending (the tree sees float32).
    weight_0, weight_1 : ndarray of float64
        Total sample weight of class 0 and of class 1 at each value: whole numbers (counts).
    rows : ndarray of int
        Training rows at each value (the tree's ``min_samples_split`` counts rows, not weights).
    min_weight_fraction_leaf : float
    max_leaf_nodes : int

    Returns
    -------
    ndarray of float64 or None
        The thresholds of the split nodes, ascending and unique (``np.unique(tree.tree_.threshold)`` without
        the leaves' -2), or None when two candidate nodes tie on improvement (scikit-learn's heap order decides
        then: fit its tree).
    """
    v32 = np.asarray(values, dtype=np.float32)
    w0 = np.asarray(weight_0, dtype=np.float64)
    w1 = np.asarray(weight_1, dtype=np.float64)
    if not (len(v32) == len(w0) == len(w1) == len(rows)):
        raise ValueError(f"values, weight_0, weight_1 and rows must have the same length; got "
                         f"{len(v32)}, {len(w0)}, {len(w1)} and {len(rows)}")
    v64 = v32.astype(np.float64)
    # a cut between value j-1 and j exists unless value j <= value j-1 + FEATURE_THRESHOLD, in float32
    cut = np.zeros(len(v32), dtype=bool)
    cut[1:] = ~(v32[1:] <= v32[:-1] + FEATURE_THRESHOLD)
    c0 = np.concatenate(([0.0], np.cumsum(w0)))
    c1 = np.concatenate(([0.0], np.cumsum(w1)))
    cr = np.concatenate(([0], np.cumsum(np.asarray(rows, dtype=np.int64))))
    total = c0[-1] + c1[-1]
    min_weight_leaf = min_weight_fraction_leaf * total

    def node(lo: int, hi: int, impurity: float):
        """The best split of values [lo, hi): (improvement, threshold, cut, impurity left, impurity right) or
        None for a leaf."""
        s0, s1 = c0[hi] - c0[lo], c1[hi] - c1[lo]
        wn = s0 + s1
        if cr[hi] - cr[lo] < 2 or wn < 2 * min_weight_leaf or impurity <= EPSILON:
            return None
        j = lo + 1 + np.flatnonzero(cut[lo + 1:hi])
        if not len(j):
            return None
        l0, l1 = c0[j] - c0[lo], c1[j] - c1[lo]
        wl = l0 + l1
        r0, r1 = s0 - l0, s1 - l1
        wr = wn - wl
        ok = (wl >= min_weight_leaf) & (wr >= min_weight_leaf)
        if not ok.any():
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            gini_l = 1.0 - (l0 * l0 + l1 * l1) / (wl * wl)
            gini_r = 1.0 - (r0 * r0 + r1 * r1) / (wr * wr)
            proxy = np.where(ok, (-wr) * gini_r - wl * gini_l, -np.inf)
        b = int(np.argmax(proxy))                  # the first of equal proxies, as the splitter's strict ">"
        jb, gl, gr = int(j[b]), float(gini_l[b]), float(gini_r[b])
        wlb, wrb = float(wl[b]), float(wr[b])
        improvement = (wn / total) * (impurity - (wrb / wn * gr) - (wlb / wn * gl))
        if improvement + EPSILON < 0.0:
            return None
        threshold = v64[jb - 1] / 2.0 + v64[jb] / 2.0
        return improvement, threshold, lo, jb, hi, gl, gr

    root_impurity = 1.0 - (c0[-1] * c0[-1] + c1[-1] * c1[-1]) / (total * total)
    frontier = [s for s in [node(0, len(v32), root_impurity)] if s is not None]
    thresholds, budget = [], max_leaf_nodes - 1
    while budget > 0 and frontier:
        gains = [s[0] for s in frontier]
        best = max(gains)
        if gains.count(best) > 1:
            return None
        improvement, threshold, lo, jb, hi, gl, gr = frontier.pop(gains.index(best))
        budget -= 1
        thresholds.append(threshold)
        frontier += [s for s in (node(lo, jb, gl), node(jb, hi, gr)) if s is not None]
    return np.unique(np.asarray(thresholds, dtype=np.float64))
