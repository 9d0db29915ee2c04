"""clientlens.cart: the split points of scikit-learn's best-first DecisionTreeClassifier on one variable.

Reference: scikit-learn's own tree (``DecisionTreeClassifier(min_weight_fraction_leaf, max_leaf_nodes)`` fitted on
the distinct (value, target) pairs weighted by their counts, as clientlens.binning._cart_prebin_splits fitted it
before). The thresholds must be equal as floats, not close.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientlens import binning
from clientlens.cart import best_first_splits


def _pairs(x, y):
    xc = np.asarray(x, dtype=np.float32)
    inverse, values = pd.factorize(xc, sort=True)
    counts = np.bincount(inverse * 2 + (np.asarray(y) == 1), minlength=2 * len(values)).reshape(-1, 2)
    return values, counts


def _sklearn_splits(values, counts, fraction, max_leaf_nodes):
    from sklearn.tree import DecisionTreeClassifier, _tree

    row, target = np.nonzero(counts)
    tree = DecisionTreeClassifier(min_weight_fraction_leaf=fraction, max_leaf_nodes=max_leaf_nodes)
    tree.fit(values[row].reshape(-1, 1), target, sample_weight=counts[row, target].astype(float))
    t = np.unique(tree.tree_.threshold)
    return t[t != _tree.TREE_UNDEFINED]


def _ours(values, counts, fraction, max_leaf_nodes):
    w = counts.astype(float)
    return best_first_splits(values, w[:, 0], w[:, 1], (counts > 0).sum(axis=1),
                             min_weight_fraction_leaf=fraction, max_leaf_nodes=max_leaf_nodes)


def _cases():
    rng = np.random.default_rng(7)
    n = 20_000
    money = rng.lognormal(8, 2, n)
    yield "lognormal money", money, rng.random(n) < 1 / (1 + np.exp(-(np.log(money) - 8)))
    counts = rng.poisson(3, n).astype(float)
    yield "small counts", counts, rng.random(n) < 0.05 + 0.03 * counts
    yield "flag", (rng.random(n) < 0.3).astype(float), rng.random(n) < 0.1
    # neighbouring float32 values closer than FEATURE_THRESHOLD (spacing 6e-8 at 0.5) are not cut between
    near = np.float32(0.5) + np.arange(40, dtype=np.float32) * np.float32(6e-8)
    x = near[rng.integers(0, 40, n)].astype(float)
    yield "values closer than 1e-7", x, rng.random(n) < 0.2 + (x > 0.5000012)
    yield "negative and large", rng.normal(0, 1e6, n), rng.random(n) < 0.5
    yield "one class only", rng.normal(size=n), np.zeros(n, dtype=bool)
    yield "one value", np.full(n, 3.0), rng.random(n) < 0.3
    yield "tiny values", rng.random(n) * 1e-30, rng.random(n) < 0.4


@pytest.mark.parametrize("fraction", [0.01, 0.05, 0.5])
@pytest.mark.parametrize("max_leaf_nodes", [2, 5, 20])
def test_best_first_splits_equal_scikit_learn_decision_tree(fraction, max_leaf_nodes):
    for name, x, y in _cases():
        values, counts = _pairs(x, y)
        ours = _ours(values, counts, fraction, max_leaf_nodes)
        reference = _sklearn_splits(values, counts, fraction, max_leaf_nodes)
        assert ours is not None, name
        np.testing.assert_array_equal(ours, reference, err_msg=name)


def test_best_first_splits_equal_scikit_learn_on_every_demo_variable(demo_small):
    from clientlens.data import load_bank
    from clientlens.samples import training_frame
    from clientlens.scoring import candidate_features

    f = training_frame(load_bank(demo_small), ["FD2026"])
    checked = 0
    for c in candidate_features(f):
        if not pd.api.types.is_numeric_dtype(f[c]):
            continue
        x = f[c].to_numpy(dtype=float)
        keep = ~np.isnan(x)
        if not keep.any():
            continue
        values, counts = _pairs(x[keep], f["response"].to_numpy()[keep])
        fraction = min(0.5, np.ceil(0.05 * len(x)) / keep.sum())
        ours = _ours(values, counts, fraction, 20)
        if ours is None:      # a tie on improvement: _cart_prebin_splits fits scikit-learn's tree then
            continue
        np.testing.assert_array_equal(ours, _sklearn_splits(values, counts, fraction, 20), err_msg=c)
        checked += 1
    assert checked > 100


def test_a_tie_on_improvement_is_left_to_scikit_learn():
    # Two halves alike but for the classes, swapped: after the root cut, both children offer splits of exactly equal
    # improvement, and with one split left only scikit-learn's heap order decides which is made.
    values = np.arange(8, dtype=np.float32)
    half = np.array([[400, 0], [0, 200], [400, 0], [400, 0]])
    counts = np.vstack([half, half[:, ::-1]])
    assert _ours(values, counts, 0.01, 3) is None
    x = np.repeat(values, counts.sum(axis=1)).astype(float)
    y = np.concatenate([np.r_[np.zeros(a), np.ones(b)] for a, b in counts])
    np.testing.assert_array_equal(binning._cart_prebin_splits(x, y, []),
                                  _sklearn_splits(values, counts, min(0.5, np.ceil(0.05 * len(x)) / len(x)), 20))
