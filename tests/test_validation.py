"""clientlens.validation: DeLong, bootstrap, rank order, calibration tests, PSI/CSI, verdicts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientlens import lift as L
from clientlens import validation as V


# --------------------------------------------------------------------------- DeLong

def test_delong_variance_matches_hand_computed_structural_components_delong_1988():
    """DeLong, DeLong & Clarke-Pearson (1988), eq. for Var(AUC) = S10/m + S01/n, by hand.

    Responders X = .9 .8 .7 .4, non-responders Y = .6 .5 .4 .3 .2 (one tie at .4).
    V10 = 1, 1, 1, 2.5/5 = .5        -> AUC = 3.5/4 = .875, S10 = .1875/3 = .0625
    V01 = 3/4, 3/4, 3.5/4, 1, 1       -> mean .875,          S01 = .0625/4 = .015625
    Var = .0625/4 + .015625/5 = .01875
    """
    y = np.r_[np.ones(4), np.zeros(5)]
    s = np.r_[0.9, 0.8, 0.7, 0.4, 0.6, 0.5, 0.4, 0.3, 0.2]
    d = V.delong_auc(y, s)
    assert d["v10"] == pytest.approx([1, 1, 1, 0.5])
    assert d["v01"] == pytest.approx([0.75, 0.75, 0.875, 1, 1])
    assert d["auc"] == pytest.approx(0.875)
    assert d["variance"] == pytest.approx(0.01875, abs=1e-15)
    assert d["ci_high"] == 1.0 and d["ci_low"] == pytest.approx(0.875 - 1.959964 * 0.01875 ** 0.5, abs=1e-6)


def test_delong_auc_matches_hanley_mcneil_1982_ct_ratings_and_brute_force_variance():
    """Hanley & McNeil (1982), Radiology 143, Table 1: 109 CT images rated 1-5, AUC 0.893.

    The fast midrank algorithm (Sun & Xu 2014) equals the structural components computed pair by pair.
    """
    neg = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
    pos = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    s = np.r_[pos, neg].astype(float)
    d = V.delong_auc(y, s)
    assert d["auc"] == pytest.approx(0.893, abs=5e-4)
    assert d["auc"] == pytest.approx(L.auc(y, s), abs=1e-12)
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    assert d["variance"] == pytest.approx(var, rel=1e-12)


# --------------------------------------------------------------------------- bootstrap

def _sample(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-2.5 + 1.2 * x)))
    y = (rng.random(n) < p).astype(int)
    return y, p


def test_bootstrap_intervals_reproducible_with_the_seed_and_centred_on_the_point_value():
    y, p = _sample()
    a = V.ks_lift_bootstrap(y, p, n_boot=200, random_state=7)
    b = V.ks_lift_bootstrap(y, p, n_boot=200, random_state=7)
    c = V.ks_lift_bootstrap(y, p, n_boot=200, random_state=8)
    assert (a["replicates"] == b["replicates"]).all() and a["ks_low"] == b["ks_low"]
    assert not (a["replicates"] == c["replicates"]).all()
    # the fast weighted statistics equal clientlens.lift's on the original sample
    assert a["ks"] == pytest.approx(L.ks(y, p), abs=1e-12)
    assert a["lift"] == pytest.approx(L.lift_at(y, p, 0.1), abs=1e-12)
    assert a["ks_low"] < a["ks"] < a["ks_high"] and a["lift_low"] < a["lift"] < a["lift_high"]
    # generic bootstrap agrees on KS within Monte-Carlo error
    v, lo, hi = V.bootstrap_interval(y, p, L.ks, n_boot=200, random_state=7)
    assert v == pytest.approx(a["ks"]) and abs(lo - a["ks_low"]) < 0.03 and abs(hi - a["ks_high"]) < 0.03


def _per_row_resample_replicates(y, p, n_boot: int, seed: int) -> np.ndarray:
    """(KS, top-10% lift) of ``n_boot`` stratified resamples written out as per-row weights (the textbook form)."""
    g = V._Grouped(y.astype(float), p)
    rng = np.random.default_rng(seed)
    pos_idx, neg_idx = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    out = np.empty((n_boot, 2))
    for b in range(n_boot):
        w = np.zeros(len(y))
        w[pos_idx] = np.bincount(rng.integers(0, len(pos_idx), len(pos_idx)), minlength=len(pos_idx))
        w[neg_idx] = np.bincount(rng.integers(0, len(neg_idx), len(neg_idx)), minlength=len(neg_idx))
        out[b] = g.stats(w, 0.1)
    return out


def test_bootstrap_group_counts_follow_the_per_row_resample_law():
    # Each replicate draws how many resampled rows fall in each score group (multinomial); the intervals must
    # match those of the textbook resample of rows written out as per-row weights, within Monte-Carlo error.
    y, p = _sample(4000, seed=3)
    p = np.round(p, 2)   # ties: several rows per score group
    assert len(np.unique(p)) * V.MULTINOMIAL_GROUP_RATIO <= len(p)   # few groups: the multinomial draws
    got = V.ks_lift_bootstrap(y, p, n_boot=600, random_state=11)
    rows = _per_row_resample_replicates(y, p, 600, seed=5)
    lo, hi = np.quantile(rows, [0.025, 0.975], axis=0)
    assert abs(got["ks_low"] - lo[0]) < 0.012 and abs(got["ks_high"] - hi[0]) < 0.012
    assert abs(got["lift_low"] - lo[1]) < 0.15 and abs(got["lift_high"] - hi[1]) < 0.15
    np.testing.assert_allclose(got["replicates"].std(axis=0), rows.std(axis=0), rtol=0.15)


def test_fast_ks_and_lift_handle_ties_like_clientlens_lift():
    y, p = _sample(2000, 3)
    s = np.round(p, 2)          # heavy ties
    g = V._Grouped(y.astype(float), s)
    ks, lift = g.stats(np.ones(len(y)))
    assert ks == pytest.approx(L.ks(y, s), abs=1e-12)
    assert lift == pytest.approx(L.lift_at(y, s, 0.1), abs=1e-12)


def test_replicate_statistics_from_integer_counts_equal_the_float_group_statistics_to_the_last_bit():
    # the bootstrap's replicates use stats_of_counts (integer running sums, reused work arrays); the figures must
    # be those of stats_of_groups on the same counts as floats, bit for bit: distinct scores and heavy ties,
    # several top fractions (a straddled tie group), and a replicate whose top group holds no event
    rng = np.random.default_rng(5)
    for y, s in (_sample(3000, 2), (lambda ys: (ys[0], np.round(ys[1], 2)))(_sample(3000, 4))):
        g = V._Grouped(y.astype(float), s)
        group_pos, group_neg = g.group[y == 1], g.group[y == 0]
        for _ in range(40):
            pos = np.bincount(group_pos[rng.integers(0, len(group_pos), len(group_pos))], minlength=g.n_groups)
            neg = np.bincount(group_neg[rng.integers(0, len(group_neg), len(group_neg))], minlength=g.n_groups)
            pos[0] = 0
            for frac in (0.001, 0.1, 0.2, 0.5):
                assert g.stats_of_counts(pos, neg, frac) == g.stats_of_groups(pos.astype(float),
                                                                              (pos + neg).astype(float), frac)


# --------------------------------------------------------------------------- rank order

def _deciles(rates, n=1000, seed=1):
    rng = np.random.default_rng(seed)
    y, s = [], []
    for d, r in enumerate(rates):
        k = int(round(r * n))
        yy = np.r_[np.ones(k), np.zeros(n - k)]
        rng.shuffle(yy)
        y.append(yy)
        s.append(1000 - d * 10 - rng.random(n))   # decile d holds scores below decile d-1's
    return np.concatenate(y).astype(int), np.concatenate(s)


def test_planted_rank_order_break_is_flagged_and_named():
    y, s = _deciles([0.30, 0.25, 0.20, 0.15, 0.05, 0.12, 0.08, 0.06, 0.04, 0.02])
    t = V.rank_order_test(y, s, n=10)
    assert t.loc[t["break"], "pair"].tolist() == ["5 -> 6"]
    # 5% vs 12% on 1,000 each: z = 5.6, one-sided p ~ 1e-8, times 9 pairs (Holm) still tiny
    assert t.set_index("pair").at["5 -> 6", "p_holm"] < 1e-6
    m = V.sample_metrics(y, np.clip(s / 2000, 0.01, 0.99), n_boot=50)
    v = V.assemble_verdicts(m)
    row = v[v["check"].str.startswith("Rank order")].iloc[0]
    assert row["verdict"] == "FAIL" and "5 -> 6" in row["note"]


def test_monotone_deciles_and_small_inversions_pass_the_rank_order_test():
    # 5.0% then 5.4% on 1,000 each: an inversion within sampling error
    y, s = _deciles([0.30, 0.25, 0.20, 0.15, 0.050, 0.054, 0.04, 0.03, 0.02, 0.01])
    t = V.rank_order_test(y, s, n=10)
    assert not t["break"].any() and t.set_index("pair").at["5 -> 6", "inversion"]
    # Holm: adjusted p-values are monotone in the raw ones and never below them
    assert (t["p_holm"] >= t["p_value"] - 1e-15).all()


def test_holm_adjustment_by_hand():
    # p = .01 .04 .03 .20 -> sorted .01 .03 .04 .20 times 4 3 2 1 -> .04 .09 .08->.09 .20
    assert V._holm(np.array([0.01, 0.04, 0.03, 0.20])) == pytest.approx([0.04, 0.09, 0.09, 0.20])


# --------------------------------------------------------------------------- calibration

def test_calibration_tests_accept_a_calibrated_model_and_reject_a_miscalibrated_one():
    y, p = _sample(20000, 5)
    ok = V.calibration_tests(y, p)
    assert ok["hl_p"] > 0.01 and ok["recalibration_p"] > 0.01
    assert abs(ok["slope"] - 1) < 0.1 and abs(ok["intercept"]) < 0.1
    bad = V.calibration_tests(y, np.clip(p * 1.5, 1e-6, 1 - 1e-6))   # predictions 50% too high
    assert bad["hl_p"] < 1e-6 and bad["recalibration_p"] < 1e-6 and bad["intercept"] < -0.3


def test_logistic_fit_matches_scikit_learn_unpenalised():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, 3))
    y = (rng.random(2000) < 1 / (1 + np.exp(-(X @ [1.0, -0.5, 0.2] - 1)))).astype(int)
    fit = V.logistic_fit(np.column_stack([np.ones(2000), X]), y)
    sk = LogisticRegression(C=1e12, max_iter=5000, tol=1e-12).fit(X, y)
    assert fit["coef"] == pytest.approx(np.r_[sk.intercept_, sk.coef_[0]], abs=1e-4)
    assert fit["converged"] and (fit["se"] > 0).all()


# --------------------------------------------------------------------------- PSI / CSI

def test_psi_on_a_hand_made_table():
    """Expected 40/30/20/10%, actual 25% each: sum (a - e) ln(a / e) by hand.

    (.25-.4) ln(.625) = .0705006; (.25-.3) ln(5/6) = .0091161; (.25-.2) ln(1.25) = .0111572;
    (.25-.1) ln(2.5) = .1374436; PSI = .2282175.
    """
    ref = np.repeat([0, 1, 2, 3], [40, 30, 20, 10])
    cmp_ = np.repeat([0, 1, 2, 3], [25, 25, 25, 25])
    value, t = V.psi_with_table(ref, cmp_, bins="discrete", labels=["a", "b", "c", "d"])
    assert value == pytest.approx(0.2282175, abs=1e-7)
    assert t["bin"].tolist() == ["a", "b", "c", "d"]
    assert t["psi"].tolist() == pytest.approx([0.0705006, 0.0091161, 0.0111572, 0.1374436], abs=1e-7)


def _fitted(seed=0, n=4000):
    from clientlens.scoring import ResponseScorecard

    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                      "cat": rng.choice(["a", "b", "c"], size=n)})
    X.loc[rng.random(n) < 0.05, "x2"] = np.nan
    logit = -2 + 1.0 * X["x1"] + 0.6 * X["x2"].fillna(0) + (X["cat"] == "a") * 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    sc = ResponseScorecard(binner_params={"iv_min": 0.0, "max_corr": None, "max_vif": None, "prescreen": False,
                                          "keep_suspicious": True},
                           random_state=0).fit(X, y)
    return sc, X, y


def _frame(sc, X):
    from clientlens.scoring import score_frame

    f = X.copy()
    f["customer_id"] = np.arange(len(f))
    return score_frame({"scorecard": sc}, f)


def test_planted_shift_turns_the_stability_verdict_to_warn_or_fail():
    sc, X, y = _fitted()
    ref = _frame(sc, X)
    rng = np.random.default_rng(9)
    same = X.sample(frac=1.0, replace=True, random_state=3)
    shifted = same.copy()
    shifted["x1"] = shifted["x1"] + 0.8                       # planted shift of one variable
    s_same = V.stability_summary(sc, ref, _frame(sc, same))
    s_shift = V.stability_summary(sc, ref, _frame(sc, shifted))
    assert (s_same["band"] == "stable").all()
    top = s_shift.iloc[1]
    assert top["item"] == "x1" and top["band"] != "stable"
    assert s_shift.iloc[0]["band"] != "stable"                 # the score moves with it
    m = V.sample_metrics(y, sc.predict_proba(X)[:, 1], n_boot=50)
    for summ, expect in ((s_same, {"PASS"}), (s_shift, {"WARN", "FAIL"})):
        stab = {"score_psi": summ.iloc[0]["index"], "variable_psi": summ.iloc[1:]["index"].max(), "variable": "x"}
        v = V.assemble_verdicts(m, stability=stab).set_index("check")
        assert v.loc[V._LABELS["score_psi"], "verdict"] in expect
        assert v.loc[V._LABELS["variable_psi"], "verdict"] in expect
    assert rng is not None


def test_stability_over_time_has_one_row_per_date_and_item():
    sc, X, y = _fitted()
    ref = _frame(sc, X)
    dates = V.month_ends("2026-10-31", 3)
    assert [str(d.date()) for d in dates] == ["2026-08-31", "2026-09-30", "2026-10-31"]
    assert [str(d.date()) for d in V.month_ends("2026-10-15", 2)] == ["2026-08-31", "2026-09-30"]
    frames = {d: _frame(sc, X.sample(frac=0.5, random_state=i)) for i, d in enumerate(dates)}
    t = V.stability_over_time(sc, ref, frames)
    assert len(t) == 3 * (1 + len(sc.variables_)) and set(t["item"]) == {"score", *sc.variables_}


# --------------------------------------------------------------------------- verdicts

def test_verdict_says_within_the_interval_of_its_threshold():
    m = {"auc": 0.71, "auc_low": 0.65, "auc_high": 0.77, "gini": 0.42}
    v = V.assemble_verdicts(m)
    assert v["verdict"].tolist() == ["PASS"]
    assert "within the interval of its threshold" in v["note"].iloc[0]
    assert "0.710 (0.650 to 0.770)" == v["out-of-time"].iloc[0]
    m2 = {"auc": 0.85, "auc_low": 0.80, "auc_high": 0.90, "gini": 0.7}
    assert "within the interval" not in V.assemble_verdicts(m2)["note"].iloc[0]


def test_leakage_review_without_a_record_warns():
    assert V.leakage_check([], None)["verdict"] == "PASS"
    w = V.leakage_check(["aum"], {"conclusion": "fine"})
    assert w["verdict"] == "WARN" and "suspicious variables kept without a recorded review" in w["note"]
    ok = V.leakage_check(["aum"], {"reviewer": "J. Wang", "date": "2026-10-20", "conclusion": "dated before contact"})
    assert ok["verdict"] == "PASS" and "J. Wang" in ok["note"]


def test_bootstrap_with_a_distinct_score_per_row_equals_the_per_row_resample_draw_for_draw():
    # Many distinct scores (a probability per row): the rows are drawn, as the textbook resample with per-row
    # weights does, and each replicate's statistics equal it exactly (the same random draws).
    y, p = _sample(3000, seed=4)
    assert len(np.unique(p)) * V.MULTINOMIAL_GROUP_RATIO > len(p)
    got = V.ks_lift_bootstrap(y, p, n_boot=40, random_state=9)["replicates"]
    np.testing.assert_allclose(got, _per_row_resample_replicates(y, p, 40, seed=9), rtol=0, atol=1e-12)
