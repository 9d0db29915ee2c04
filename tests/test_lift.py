"""clientlens.lift: every metric against a hand computation, including ties and a group without responders.

The running example (6 customers, ties at 0.8 and 0.3)::

    score  0.9  0.8  0.8  0.5  0.3  0.3
    y       1    1    0    0    1    0

Pairs (responder, non-responder) by hand: 0.9 beats all 3 (3); 0.8 ties one 0.8 (0.5) and beats
0.5 and 0.3 (2); 0.3 loses to 0.8 and 0.5 and ties 0.3 (0.5) -> AUC = 6 / 9 = 2/3, Gini = 1/3.
"""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clientlens import DataError, ParamsError
from clientlens import lift as L

S = [0.9, 0.8, 0.8, 0.5, 0.3, 0.3]
Y = [1, 1, 0, 0, 1, 0]


def test_auc_by_hand_mann_whitney_ties_half():
    assert L.auc(Y, S) == pytest.approx(2 / 3, abs=1e-12)
    assert L.gini(Y, S) == pytest.approx(1 / 3, abs=1e-12)
    # order of rows does not matter
    idx = [5, 2, 0, 4, 1, 3]
    assert L.auc(np.array(Y)[idx], np.array(S)[idx]) == pytest.approx(2 / 3, abs=1e-12)
    # all scores tied: no ranking information -> 0.5
    assert L.auc(Y, [1.0] * 6) == pytest.approx(0.5)


def test_auc_equals_scipy_mannwhitney_u_over_n1n0():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.normal(size=400) + y * 0.5, 1)  # rounded: many ties
    u = stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic
    assert L.auc(y, s) == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), abs=1e-12)


def test_ks_by_hand_and_equals_two_sample_ks():
    # cut-offs >=0.9: TPR 1/3, FPR 0; >=0.8: 2/3, 1/3; >=0.5: 2/3, 2/3; >=0.3: 1, 1 -> KS = 1/3
    assert L.ks(Y, S) == pytest.approx(1 / 3, abs=1e-12)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(size=300) + y, 1)
    assert L.ks(y, s) == pytest.approx(stats.ks_2samp(s[y == 1], s[y == 0]).statistic, abs=1e-12)


def test_ntile_table_by_hand_with_ties_and_a_tile_without_responders():
    # n = 3, N = 6: group 0.9 midpoint 0.5 -> ceil(0.25) = 1; group 0.8 (2) midpoint 2 -> ceil(1) = 1;
    # group 0.5 midpoint 3.5 -> ceil(1.75) = 2; group 0.3 (2) midpoint 5 -> ceil(2.5) = 3
    t = L.ntile_table(Y, S, n=3)
    assert t["ntile"].tolist() == [1, 2, 3]
    assert t["count"].tolist() == [3, 1, 2]
    assert t["responders"].tolist() == [2, 0, 1]
    assert t["score_min"].tolist() == [0.8, 0.5, 0.3]
    assert t["score_max"].tolist() == [0.9, 0.5, 0.3]
    np.testing.assert_allclose(t["response_rate"], [2 / 3, 0, 1 / 2])
    np.testing.assert_allclose(t["lift"], [4 / 3, 0, 1])  # overall rate 1/2
    np.testing.assert_allclose(t["cum_share"], [1 / 2, 2 / 3, 1])
    np.testing.assert_allclose(t["cum_capture_rate"], [2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(t["cum_non_capture_rate"], [1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(t["cum_lift"], [4 / 3, 1, 1])
    np.testing.assert_allclose(t["ks"], [1 / 3, 0, 0], atol=1e-12)


def test_ntile_ties_never_split_and_empty_tiles_dropped():
    # 4 tied at 5, 2 tied at 1; n = 2: group 5 midpoint 2 -> ceil(2*2/6) = 1; group 1 midpoint 5 -> 2
    t = L.ntile_table([1, 0, 0, 1, 0, 0], [5, 5, 5, 5, 1, 1], n=2)
    assert t["count"].tolist() == [4, 2]
    # all tied: one group with midpoint 3 -> n-tile ceil(3 * 3 / 6) = 2; the others are empty
    t = L.ntile_table([1, 0, 0, 1, 0, 0], [7] * 6, n=3)
    assert t["ntile"].tolist() == [2] and t["count"].tolist() == [6]
    assert t["lift"].tolist() == [1.0]


def test_ntile_without_ties_is_equal_count_deciles():
    rng = np.random.default_rng(2)
    s = rng.permutation(1000) / 1000.0
    y = (rng.random(1000) < s).astype(int)
    t = L.ntile_table(y, s)
    assert t["count"].tolist() == [100] * 10
    top = np.sort(s)[::-1][:100]
    assert t["score_min"].iloc[0] == top.min()
    assert t["responders"].iloc[0] == y[s >= top.min()].sum()
    assert t["cum_capture_rate"].iloc[-1] == pytest.approx(1.0)
    # lower scores better flips the order
    t2 = L.ntile_table(y, -s, higher_is_better=False)
    assert t2["responders"].tolist() == t["responders"].tolist()
    assert t2["score_max"].iloc[0] == pytest.approx(-top.min())


def test_capture_and_lift_at_fraction_split_tie_groups_pro_rata():
    # top half (3): 0.9 and both 0.8 -> 2 responders of 3 -> capture 2/3, lift 4/3
    assert L.capture_at(Y, S, 0.5) == pytest.approx(2 / 3)
    assert L.lift_at(Y, S, 0.5) == pytest.approx(4 / 3)
    # top third (2): 0.9 plus half of the 0.8 pair (0.5 expected responders) -> 1.5 / 3
    assert L.capture_at(Y, S, 1 / 3) == pytest.approx(0.5)
    assert L.lift_at(Y, S, 1 / 3) == pytest.approx(1.5)
    assert L.capture_at(Y, S, 1.0) == pytest.approx(1.0)


def test_oracle_lift_expected_by_hand():
    # propensities 0.5, 0.3, 0.1, 0.1 (mean 0.25); top 25% = 1 customer with 0.5 -> lift 2
    assert L.oracle_lift([0.1, 0.5, 0.1, 0.3], frac=0.25) == pytest.approx(2.0)
    # top 50% = 0.5 + 0.3 -> mean 0.4 -> lift 1.6; top 37.5% = 1.5 customers: (0.5 + 0.5*0.3)/1.5
    assert L.oracle_lift([0.1, 0.5, 0.1, 0.3], frac=0.5) == pytest.approx(1.6)
    assert L.oracle_lift([0.1, 0.5, 0.1, 0.3], frac=0.375) == pytest.approx((0.65 / 1.5) / 0.25)
    # the model's expected lift: the score puts 0.3 first, then 0.5
    assert L.expected_lift_at([0.1, 0.5, 0.1, 0.3], [1, 2, 0, 3], frac=0.25) == pytest.approx(0.3 / 0.25)
    assert L.expected_lift_at([0.1, 0.5, 0.1, 0.3], [1, 2, 0, 3], frac=0.5) == pytest.approx(1.6)


def test_psi_by_hand():
    # expected 1..10, 2 quantile bins -> cut 5.5: expected shares 0.5 / 0.5; actual 1, 1, 1, 9 -> 0.75 / 0.25
    # PSI = 0.25 ln(1.5) + (-0.25) ln(0.5) = 0.274653
    exp = np.arange(1, 11)
    v = L.psi(exp, [1, 1, 1, 9], bins=2)
    assert v == pytest.approx(0.25 * math.log(1.5) - 0.25 * math.log(0.5), abs=1e-12)
    assert L.psi(exp, exp, bins=10) == pytest.approx(0.0)
    # an empty actual bin uses eps = 1e-4: 0.5 ln 2 + (1e-4 - 0.5) ln(1e-4 / 0.5)
    v = L.psi([1, 2, 3, 4], [1, 2], bins=2)
    assert v == pytest.approx(0.5 * math.log(2) + (1e-4 - 0.5) * math.log(1e-4 / 0.5), abs=1e-12)
    t = L.psi_table([1, 2, 3, 4], [1, 2], bins=2)
    assert t["expected_count"].tolist() == [2, 2] and t["actual_count"].tolist() == [2, 0]


def test_psi_bins_right_closed_and_discrete():
    # expected [1, 1, 1, 2], 4 bins: quantile cuts 1, 1, 1.25 -> unique (-inf, 1], (1, 1.25], (1.25, inf)
    t = L.psi_table([1, 1, 1, 2], [1, 2, 2, 2], bins=4)
    assert t["expected_count"].tolist() == [3, 0, 1]
    assert t["actual_count"].tolist() == [1, 0, 3]
    # discrete (WOE codes, categories): one bin per value; shares a/b: e 0.75/0.25, a 0.25/0.75
    v = L.psi(["a", "a", "a", "b"], ["a", "b", "b", "b"], bins="discrete")
    assert v == pytest.approx(2 * 0.5 * math.log(3), abs=1e-12)


def test_calibration_table_and_ece_by_hand():
    p = [0.1, 0.1, 0.2, 0.4, 0.6, 0.8]
    y = [0, 0, 1, 0, 1, 1]
    t = L.calibration_table(y, p, n_bins=2)
    assert t["count"].tolist() == [3, 3]
    np.testing.assert_allclose(t["mean_predicted"], [0.4 / 3, 0.6])
    np.testing.assert_allclose(t["observed_rate"], [1 / 3, 2 / 3])
    assert L.expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.5 * 0.2 + 0.5 * (2 / 3 - 0.6))
    # Hosmer-Lemeshow: (1 - 0.4)^2 / (0.4 (1 - 0.4/3)) + (2 - 1.8)^2 / (1.8 (1 - 0.6))
    hl = L.hosmer_lemeshow(y, p, n_bins=2)
    assert hl["statistic"] == pytest.approx(0.36 / (0.4 * (1 - 0.4 / 3)) + 0.04 / (1.8 * 0.4))
    u = L.calibration_table(y, p, n_bins=2, strategy="uniform")  # (0, .5] and (.5, 1]
    assert u["count"].tolist() == [4, 2]


def test_newcombe_interval_matches_newcombe_1998_table_ii():
    # Newcombe (1998) Stat Med 17:873, Table II: (a) 56/70 - 48/80, (b) 9/10 - 3/10, (c) 6/7 - 2/7,
    # (e) 5/56 - 0/29 (a zero count); method 10 (hybrid score) and method 1 (Wald)
    lo, hi = L.proportion_diff_ci(56, 70, 48, 80, method="newcombe")
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    lo, hi = L.proportion_diff_ci(56, 70, 48, 80, method="wald")
    assert (round(lo, 4), round(hi, 4)) == (0.0575, 0.3425)
    lo, hi = L.proportion_diff_ci(9, 10, 3, 10, method="newcombe")
    assert (round(lo, 4), round(hi, 4)) == (0.1705, 0.8090)
    lo, hi = L.proportion_diff_ci(6, 7, 2, 7, method="newcombe")
    assert (round(lo, 4), round(hi, 4)) == (0.0582, 0.8062)
    lo, hi = L.proportion_diff_ci(5, 56, 0, 29, method="newcombe")
    assert (round(lo, 4), round(hi, 4)) == (-0.0381, 0.1926)


def test_wilson_interval_matches_newcombe_1998_single_proportion():
    # Newcombe (1998) Stat Med 17:857, Table I: 81/263 -> 0.2553 to 0.3662 (Wilson score, method 3)
    lo, hi = L.wilson_interval(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


def test_model_vs_control_z_test_equals_chi_square_without_correction():
    m = [1] * 56 + [0] * 14
    c = [1] * 48 + [0] * 32
    r = L.model_vs_control(m, c)
    assert r.rate_model == pytest.approx(0.8) and r.rate_control == pytest.approx(0.6)
    assert r.difference == pytest.approx(0.2)
    chi2, p, _, _ = stats.chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert r.z ** 2 == pytest.approx(chi2)
    assert r.p_value == pytest.approx(p)
    assert r.incremental_responders == pytest.approx(0.2 * 70)
    assert r.incremental_low == pytest.approx(r.ci_low * 70)
    assert r.to_frame()["customers"].tolist() == [70, 80]


def test_model_vs_control_no_responders_anywhere():
    r = L.model_vs_control([0] * 50, [0] * 40)
    assert r.difference == 0 and r.p_value == 1.0
    assert r.ci_low < 0 < r.ci_high


def test_clear_messages_for_bad_input():
    with pytest.raises(DataError, match="score has 1 missing"):
        L.ntile_table(Y, [0.9, np.nan, 0.8, 0.5, 0.3, 0.3])
    with pytest.raises(DataError, match="no responders"):
        L.auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="no responders"):
        L.ntile_table([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="only responders"):
        L.ks([1, 1], [0.1, 0.2])
    with pytest.raises(DataError, match="y_true has 1 missing"):
        L.auc([1, None, 0], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="must be 0/1"):
        L.auc([1, 2, 0], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="must align"):
        L.auc([1, 0, 0], [0.1, 0.2])
    with pytest.raises(ParamsError, match="n must be an integer >= 1"):
        L.ntile_table(Y, S, n=0)
    with pytest.raises(ParamsError, match=r"frac must be in \(0, 1\]"):
        L.lift_at(Y, S, 0)
    with pytest.raises(DataError, match="responses_control has 1 missing"):
        L.model_vs_control([1, 0], [0, None])


def test_charts_return_axes_with_labels():
    import matplotlib.pyplot as plt

    from clientlens.plots import lift as P

    rng = np.random.default_rng(3)
    s = rng.random(500)
    y = (rng.random(500) < s * 0.3).astype(int)
    t = L.ntile_table(y, s)
    axes = [P.gains_chart(y, {"scorecard": s, "random": rng.random(500)}), P.lift_chart(t), P.ks_chart(y, s),
            P.roc_chart(y, s), P.calibration_chart(y_true=y, prob=s * 0.3),
            P.control_chart(L.model_vs_control(y[:250], y[250:])), P.score_distribution_chart(s[:250], s[250:])]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    # gains chart: model, no-model diagonal and perfect-model curves
    labels = [ln.get_label() for ln in axes[0].get_lines()]
    assert {"scorecard", "no model (random)", "perfect model"} <= set(labels)
    plt.close("all")
