"""clientlens.scoring: points by hand, the WOE logistic identity, reason codes, the marketing list,
clear messages, and the demo bank's planted truth (lift vs oracle, model-vs-control uplift)."""
from __future__ import annotations

import json
import math
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from clientlens import DataError, ParamsError
from clientlens import lift as L
from clientlens import scoring as S
from clientlens.binning import WoeBinner


# --------------------------------------------------------------------------- points

def test_points_scale_by_hand_pdo_20_base_600_at_odds_19():
    factor, offset = S.points_scale(pdo=20, base_score=600, base_odds=19)
    assert factor == pytest.approx(20 / math.log(2))               # 28.8539
    assert offset == pytest.approx(600 + 28.853900817779268 * math.log(19))  # 684.957
    # p = 5% -> odds against 19 -> the base score; odds halved (9.5) -> base + pdo
    assert S.prob_to_points(0.05) == pytest.approx(600.0)
    assert S.prob_to_points(1 / 10.5) == pytest.approx(620.0)
    assert S.prob_to_points(1 / 20.0) - S.prob_to_points(1 / 39.0) == pytest.approx(20.0)
    # p = 10% -> odds 9 -> 600 + 28.854 ln(19 / 9) = 600 + 28.854 * 0.74721 = 621.560
    assert S.prob_to_points(0.1) == pytest.approx(offset - factor * math.log(9))
    assert float(S.prob_to_points(0.1)) == pytest.approx(621.560, abs=1e-3)
    p = np.array([0.01, 0.2, 0.7])
    np.testing.assert_allclose(S.points_to_prob(S.prob_to_points(p)), p)
    with pytest.raises(ParamsError, match="pdo must be > 0"):
        S.points_scale(pdo=0)


def _toy(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "aum_avg_3m": np.exp(rng.normal(10, 1.5, n)),
        "channel_mobile": rng.integers(0, 2, n),
        "occupation": rng.choice(["employee", "retired", "student"], n),
        "noise": rng.normal(size=n),
    })
    lin = -3 + 0.35 * (np.log(X["aum_avg_3m"]) - 10) + 0.7 * X["channel_mobile"] + (X["occupation"] == "retired") * 0.6
    y = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    return X, pd.Series(y)


def test_univariate_woe_logistic_has_slope_minus_one_and_intercept_log_odds():
    # With WOE = ln(%non-event / %event) per bin, the logistic regression on the WOE alone reproduces every
    # bin's event rate exactly at slope -1 and intercept ln(events / non-events) (the MLE of a saturated
    # bin model), a standard identity of WOE scorecards (Siddiqi 2006, ch. 6).
    X, y = _toy()
    binner = WoeBinner(variables=["aum_avg_3m"], min_event_count=10, random_state=0).fit(X, y)
    sc = S.ResponseScorecard(binner=binner, C=1e8, random_state=0).fit(X, y)
    assert sc.coef_["aum_avg_3m"] == pytest.approx(-1.0, abs=1e-3)
    assert sc.intercept_ == pytest.approx(math.log(y.sum() / (len(y) - y.sum())), abs=1e-3)


def test_scorecard_points_per_bin_add_up_to_the_score():
    X, y = _toy()
    sc = S.ResponseScorecard(binner_params={"min_event_count": 10}, random_state=0).fit(X, y)
    assert "noise" not in sc.variables_ and "aum_avg_3m" in sc.variables_
    pt = sc.points_table_
    idx = sc.binner_.transform(X, metric="bins", variables=sc.variables_)
    total = np.zeros(len(X))
    for v in sc.variables_:
        lookup = pt[pt["variable"] == v].set_index("bin")["points"]
        total += idx[v].map(lookup).to_numpy(dtype=float)
    np.testing.assert_allclose(total, sc.score(X), rtol=0, atol=1e-8)
    np.testing.assert_allclose(sc.score(X), S.prob_to_points(sc.predict_proba(X)[:, 1]), atol=1e-6)
    # higher points = higher predicted response
    order = np.argsort(sc.score(X))
    assert np.all(np.diff(sc.predict_proba(X)[order, 1]) >= -1e-12)
    s = sc.summary()
    assert set(s["variable"]) == set(sc.variables_) and (s["points_range"] > 0).all()


def test_reason_codes_in_words_for_top_band_and_flag():
    X, y = _toy()
    sc = S.ResponseScorecard(binner_params={"min_event_count": 10}, random_state=0).fit(X, y)
    rich = pd.DataFrame({"aum_avg_3m": [1e7], "channel_mobile": [1], "occupation": ["retired"], "noise": [0.0]})
    poor = pd.DataFrame({"aum_avg_3m": [10.0], "channel_mobile": [0], "occupation": ["student"], "noise": [0.0]})
    r = sc.reason_codes(pd.concat([rich, poor], ignore_index=True))
    assert list(r.columns) == ["reason_1", "reason_2", "reason_3"]
    first = r.iloc[0].tolist()
    assert first[0].startswith("AUM 3-month average in the top band (") and first[0].endswith("or more)")
    assert "Mobile app user: yes" in first and "Occupation is retired" in first
    # nothing pushes the poor customer's score up: no reasons
    assert r.iloc[1].tolist() == ["", "", ""]


def test_reason_words_one_phrase_per_bin_including_an_unseen_category():
    X, y = _toy()
    sc = S.ResponseScorecard(binner_params={"min_event_count": 10}, random_state=0).fit(X, y)
    unseen = X.head(3).assign(occupation="astronaut")          # a category the binning never saw (index -1)
    Z = pd.concat([X.head(200), unseen], ignore_index=True)
    for v in sc.variables_:
        idx = np.asarray(sc.binner_.transform(Z, metric="indices", variables=[v])[v])
        words = sc._bin_words(Z, v)
        phrases = {i: set(words[idx == i]) for i in np.unique(idx)}
        assert all(len(p) == 1 for p in phrases.values()), v            # rows of a bin share its phrase
        assert len({next(iter(p)) for p in phrases.values()}) == len(phrases), v   # bins have their own
        if v == "occupation":
            assert -1 in phrases


def test_describe_variable_words():
    assert S.describe_variable("aum_avg_3m") == "AUM 3-month average"
    assert S.describe_variable("has_fund") == "Holds funds"
    assert S.describe_variable("n_out_90d") == "Number of outgoing transactions, last 90 days"
    assert S.describe_variable("amt_fx_purchase_365d") == "Amount of FX purchase transactions, last 365 days"
    assert S.describe_variable("weird_col") == "Weird col"


# --------------------------------------------------------------------------- split

def test_split_sample_stratified_and_out_of_time():
    f = pd.DataFrame({"response": ([1] + [0] * 9) * 100,
                      "contact_date": pd.to_datetime(["2026-01-01"] * 500 + ["2026-02-01"] * 500)})
    lab = S.split_sample(f, validation_share=0.3, random_state=1)
    val = lab == "validation"
    assert val.sum() == 300 and f["response"][val].sum() == 30  # the event rate is kept exactly
    assert (S.split_sample(f, validation_share=0.3, random_state=1) == lab).all()  # reproducible
    lab = S.split_sample(f, method="out_of_time", oot_date="2026-02-01")
    assert (lab == "validation").sum() == 500
    f2 = f.copy()
    f2.loc[500:, "response"] = 0
    with pytest.raises(DataError, match="validation sample has no responders"):
        S.split_sample(f2, method="out_of_time", oot_date="2026-02-01")
    with pytest.raises(ParamsError, match="split must be one of"):
        S.split_sample(f, method="kfold")


# --------------------------------------------------------------------------- marketing list

def _base():
    return pd.DataFrame({
        "customer_id": [f"C{i:03d}" for i in range(8)],
        "marketing_opt_out": [0, 1, 0, 0, 0, 0, 0, 0],
        "days_since_last_contact": [np.nan, np.nan, 10, 200, np.nan, 95, np.nan, np.nan],
        "aum": [1_000_000, 5, 20, 600_000, 30_000, 10, 1_000, 2_000],
        "channel_mobile": [0, 1, 1, 1, 1, 0, 0, 1],
    })


def test_marketing_list_by_hand_rules_order_and_masked_ids():
    base = _base()
    scores = [700, 900, 880, 650, 650, 640, 500, 600]
    lst = S.marketing_list(base, scores, top_n=4, recent_contact_days=90, rm_min_aum=500_000)
    # C001 opted out, C002 contacted 10 days ago; eligible by score: C000 700, C003 650, C004 650 (tie: id order),
    # C005 640 (contacted 95 days ago: outside 90), C007 600, C006 500
    from clientlens.privacy import mask_ids

    assert lst["customer_id_masked"].tolist() == mask_ids(["C000", "C003", "C004", "C005"]).tolist()
    assert lst["rank"].tolist() == [1, 2, 3, 4]
    assert lst["channel"].tolist() == ["rm", "rm", "app", "sms"]
    assert "customer_id" not in lst.columns
    assert lst.attrs["funnel"] == {"base": 8, "opted_out": 1, "recently_contacted": 1, "eligible": 6, "listed": 4}
    # top 50% of the 6 eligible
    assert len(S.marketing_list(base, scores, top_frac=0.5)) == 3
    raw = S.marketing_list(base, scores, top_n=1, allow_raw_ids=True)
    assert raw["customer_id"].tolist() == ["C000"]


def test_marketing_list_clear_messages():
    base = _base()
    with pytest.raises(ParamsError, match="list size 7 is larger than the eligible base \\(6 of 8"):
        S.marketing_list(base, range(8), top_n=7)
    with pytest.raises(DataError, match="scores has 1 missing"):
        S.marketing_list(base, [1, 2, np.nan, 4, 5, 6, 7, 8], top_n=2)
    with pytest.raises(ParamsError, match="exactly one of top_n and top_frac"):
        S.marketing_list(base, range(8))
    with pytest.raises(DataError, match="days_since_last_contact"):
        S.marketing_list(base.drop(columns="days_since_last_contact"), range(8), top_n=2)


def test_export_list_and_model_roundtrip(tmp_path):
    lst = S.marketing_list(_base(), range(8), top_n=3, reasons=pd.DataFrame({"reason_1": ["a"] * 8}))
    paths = S.export_list(lst, tmp_path)
    back = pd.read_parquet(paths["parquet"])
    assert back["customer_id_masked"].str.startswith("K-").all()
    text = paths["csv"].read_text(encoding="utf-8-sig")
    assert "C00" not in text and "reason_1" in text
    S.save_model({"meta": {"x": 1}}, tmp_path / "m.pkl")
    assert S.load_model(tmp_path / "m.pkl")["meta"] == {"x": 1}
    (tmp_path / "bad.pkl").write_bytes(b"nope")
    with pytest.raises(DataError, match="not a readable model file"):
        S.load_model(tmp_path / "bad.pkl")


# --------------------------------------------------------------------------- demo bank

def test_campaign_with_missing_target_has_a_clear_message(demo_small, tmp_path):
    from clientlens.data import load_bank

    d = tmp_path / "bank"
    shutil.copytree(demo_small, d, ignore=shutil.ignore_patterns("truth"))
    c = pd.read_parquet(d / "campaigns.parquet")
    c["response"] = c["response"].astype("Int64")
    c.loc[c["campaign_id"] == "FD2026", "response"] = pd.NA
    c.to_parquet(d / "campaigns.parquet", index=False)
    bank = load_bank(d)
    with pytest.raises(DataError, match="campaign 'FD2026': response is empty for all .* the target is missing"):
        S.training_frame(bank, ["FD2026"])


@pytest.fixture(scope="module")
def fd2026(demo_medium):
    from clientlens.data import load_bank

    bank = load_bank(demo_medium)
    f = S.training_frame(bank, ["FD2026"])
    lab = S.split_sample(f, validation_share=0.3, random_state=42)
    dev, val = f[lab == "development"], f[lab == "validation"]
    sc = S.ResponseScorecard(random_state=42).fit(dev[S.candidate_features(f)], dev["response"])
    truth = pd.read_parquet(demo_medium / "truth" / "campaign_truth.parquet")
    val = val.merge(truth[["campaign_id", "customer_id", "true_propensity"]], on=["campaign_id", "customer_id"],
                    how="left", validate="one_to_one")
    return {"dev": dev, "val": val, "sc": sc}


def test_top10_lift_is_at_least_80pct_of_oracle_lift_on_planted_propensities(fd2026):
    val, sc = fd2026["val"], fd2026["sc"]
    assert val["true_propensity"].notna().all()
    p = sc.predict_proba(val)[:, 1]
    # noise-free: mean true propensity in the model's top 10% vs in the top 10% by true propensity
    model_exp = L.expected_lift_at(val["true_propensity"], p, 0.1)
    oracle_exp = L.oracle_lift(val["true_propensity"], 0.1)
    assert model_exp >= 0.8 * oracle_exp, (model_exp, oracle_exp)
    # observed responses (about 140 responders in validation, so noisier: 0.7): the model's realised lift vs
    # the realised lift of ranking the same customers by their true propensity
    model_obs = L.lift_at(val["response"], p, 0.1)
    oracle_obs = L.oracle_lift(val["true_propensity"], 0.1, y_true=val["response"])
    assert model_obs >= 0.7 * oracle_obs, (model_obs, oracle_obs)
    assert L.auc(val["response"], p) > 0.7


def test_challenger_is_validated_like_the_scorecard(fd2026):
    dev, val = fd2026["dev"], fd2026["val"]
    pool = fd2026["sc"].binner_.iv_passed_  # the variables with a useful IV, as fit_response_model does
    ch = S.GradientBoostingChallenger(features=pool, max_iter=100, random_state=42).fit(dev, dev["response"])
    p = ch.predict_proba(val)[:, 1]
    m = S.validation_metrics(val["response"], p)
    assert m["auc"] > 0.7 and m["lift_top10"] > 2.0
    assert L.expected_lift_at(val["true_propensity"], p, 0.1) >= 0.7 * L.oracle_lift(val["true_propensity"], 0.1)


def test_challenger_scores_in_blocks_exactly_as_in_one_call(fd2026, monkeypatch):
    # A large frame is scored block by block (cache-friendly); each row's probability must not change.
    dev, val = fd2026["dev"], fd2026["val"]
    pool = fd2026["sc"].binner_.iv_passed_
    ch = S.GradientBoostingChallenger(features=pool, max_iter=30, random_state=42).fit(dev, dev["response"])
    whole = ch.predict_proba(val)
    assert len(val) > 1000
    monkeypatch.setattr(S, "PREDICT_BLOCK_ROWS", 97)   # many blocks, the last one short
    blocks = ch.predict_proba(val)
    assert blocks.shape == whole.shape == (len(val), 2)
    np.testing.assert_array_equal(blocks, whole)


def test_challenger_probabilities_equal_scikit_learn_public_predict_proba(fd2026, monkeypatch):
    # predict_proba encodes the input itself and walks scikit-learn's trees (private parts, column layout); the
    # reference is the public HistGradientBoostingClassifier.predict_proba on the input encoded the plain pandas
    # way. Categories (one unseen at fit), missing values and a nullable integer column; several blocks.
    dev, val = fd2026["dev"], fd2026["val"].copy()
    cats = [c for c in ("occupation", "education", "risk_appetite") if c in dev.columns]
    assert cats
    features = list(dict.fromkeys([*fd2026["sc"].binner_.iv_passed_[:20], *cats]))
    ch = S.GradientBoostingChallenger(features=features, max_iter=40, random_state=42).fit(dev, dev["response"])
    assert set(cats) <= set(ch.categories_)
    val.loc[val.index[:50], cats[0]] = "never seen at fit"
    val.loc[val.index[50:100], cats[0]] = None
    num = next(c for c in features if c not in cats)
    val[num] = val[num].astype("float64")
    val.loc[val.index[100:150], num] = np.nan
    monkeypatch.setattr(S, "PREDICT_BLOCK_ROWS", 257)

    def reference(X):   # the input built independently: pandas categories as fitted, numbers as floats
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # pandas warns of the unseen category, which becomes missing
            m = pd.DataFrame({c: pd.Categorical(X[c].astype(object).where(X[c].notna(), None),
                                                categories=ch.categories_[c]) if c in ch.categories_
                              else pd.to_numeric(X[c], errors="coerce").astype(float) for c in ch.features_})
        return ch.model_.predict_proba(m)

    ours = ch.predict_proba(val)
    assert ours.shape == (len(val), 2) and len(val) > 3 * 257
    np.testing.assert_array_equal(ours, reference(val))
    val_nullable = val.assign(**{num: pd.array(np.where(val[num].isna(), None, val[num].round()), dtype="Int64")})
    np.testing.assert_array_equal(ch.predict_proba(val_nullable), reference(val_nullable))


def test_newcombe_interval_covers_true_difference_at_nominal_rate():
    # Coverage by simulation (Newcombe 1998 reports ~95% for method 10 at small rates): 2,000
    # simulated campaigns with known rates 5.5% (model, n=7,000) vs 2.7% (control, n=2,100).
    rng = np.random.default_rng(2026)
    p1, n1, p2, n2 = 0.055, 7000, 0.027, 2100
    k1, k2 = rng.binomial(n1, p1, 2000), rng.binomial(n2, p2, 2000)
    hits = sum(lo <= p1 - p2 <= hi for lo, hi in
               (L.proportion_diff_ci(a, n1, b, n2, alpha=0.05) for a, b in zip(k1, k2)))
    assert 0.93 <= hits / 2000 <= 0.97, hits / 2000


def test_model_vs_control_recovers_planted_uplift(demo_medium):
    # The planted uplift of each campaign (expected model-group rate minus expected control rate,
    # from the true propensities) must lie in the interval of the observed difference. Three
    # campaigns are checked together, so each uses a Bonferroni-style 99% interval (family-wise
    # miss probability <= 3%); a single 95% interval misses 5% of the time by construction.
    truth = json.loads((demo_medium / "truth" / "truth.json").read_text())
    camp = pd.read_parquet(demo_medium / "campaigns.parquet")
    for c in truth["campaigns"]:
        rows = camp[camp["campaign_id"] == c["campaign_id"]]
        r = L.model_vs_control(rows.loc[rows["group"] == "model", "response"],
                               rows.loc[rows["group"] == "control", "response"], alpha=0.01)
        assert r.n_model == c["n_model"] and r.n_control == c["n_control"]
        assert r.ci_low <= c["planted_uplift"] <= r.ci_high, (c["campaign_id"], r, c["planted_uplift"])
        assert r.p_value < 0.001


def test_marketing_list_on_demo_excludes_opt_outs_and_recent_contacts(demo_small, fd2026):
    from clientlens.data import load_bank
    from clientlens.features import build_wide_table

    sc = fd2026["sc"]
    base = build_wide_table(load_bank(demo_small), "2026-10-31")
    prob = sc.predict_proba(base)[:, 1]
    lst = S.marketing_list(base, sc.score(base), probabilities=prob, reasons=sc.reason_codes(base),
                           top_frac=0.1, recent_contact_days=60)
    f = lst.attrs["funnel"]
    assert f["opted_out"] == int(base["marketing_opt_out"].sum()) > 0
    assert f["listed"] == round(0.1 * f["eligible"])
    assert (lst["reason_1"] != "").mean() > 0.95
    assert lst["score"].is_monotonic_decreasing
    assert set(lst["channel"]) <= {"rm", "app", "sms"}
    assert not set(lst["customer_id_masked"]) & set(base["customer_id"])
