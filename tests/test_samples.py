"""Development/validation samples shared by 02_binning and 05_response_model (clientlens.samples)."""
from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

from clientlens import DataError, ParamsError, binning, scoring
from clientlens import samples as SM


def _frame(n_events=7, n_non=33, seed=0):
    rng = np.random.default_rng(seed)
    n = n_events + n_non
    y = np.array([1] * n_events + [0] * n_non)
    rng.shuffle(y)
    return pd.DataFrame({"customer_id": [f"C{i:04d}" for i in range(n)], "campaign_id": "X1", "response": y,
                         "contact_date": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n) % 10, "D")})


# --------------------------------------------------------------------------- split rules

def test_random_split_is_stratified_exactly_to_rounding_half_up():
    # hand: 7 events * 0.3 = 2.1 -> 2; 33 non-events * 0.3 = 9.9 -> 10
    f = _frame(7, 33)
    lab = SM.split_sample(f, validation_share=0.3, random_state=1)
    val = lab == "validation"
    assert int(val.sum()) == 12 and int(f["response"][val].sum()) == 2
    # half up: 5 events * 0.3 = 1.5 -> 2; 15 non-events * 0.3 = 4.5 -> 5
    f = _frame(5, 15)
    val = SM.split_sample(f, validation_share=0.3, random_state=3) == "validation"
    assert int(f["response"][val].sum()) == 2 and int(val.sum()) == 7


def test_split_is_disjoint_complete_and_reproducible_and_order_free():
    f = _frame(40, 360, seed=5)
    lab = SM.split_sample(f, validation_share=0.25, random_state=42)
    assert set(lab) == {"development", "validation"} and len(lab) == len(f)   # every row exactly one label
    assert (SM.split_sample(f, validation_share=0.25, random_state=42) == lab).all()
    assert not (SM.split_sample(f, validation_share=0.25, random_state=43) == lab).all()
    # shuffled rows: the same customers land in the same sample (canonical order by campaign_id, customer_id)
    g = f.sample(frac=1.0, random_state=9).reset_index(drop=True)
    lab_g = SM.split_sample(g, validation_share=0.25, random_state=42)
    a = dict(zip(f["customer_id"], lab))
    assert all(a[c] == v for c, v in zip(g["customer_id"], lab_g))
    assert SM.ids_hash(f, lab == "development") == SM.ids_hash(g, lab_g == "development")


def test_out_of_time_cutoff_day_belongs_to_validation():
    f = _frame(30, 70)   # dates 2026-01-01 .. 2026-01-10
    lab = SM.split_sample(f, method="out_of_time", oot_date="2026-01-06")
    d = pd.to_datetime(f["contact_date"])
    assert (lab[d == "2026-01-06"] == "validation").all()       # inclusive on the validation side
    assert (lab[d == "2026-01-05"] == "development").all()      # the day before: development
    assert ((lab == "validation") == (d >= "2026-01-06")).all()
    with pytest.raises(ParamsError, match="oot_date must be a date"):
        SM.split_sample(f, method="out_of_time", oot_date="")
    with pytest.raises(ParamsError, match="validation_share must be in"):
        SM.split_sample(f, validation_share=1.0)


def test_scoring_split_sample_is_the_samples_function():
    assert scoring.split_sample is SM.split_sample and scoring.training_frame is SM.training_frame


def test_ids_hash_is_sha256_of_sorted_keys_by_hand():
    f = pd.DataFrame({"customer_id": ["b", "a"], "campaign_id": ["K", "K"]})
    assert SM.ids_hash(f) == hashlib.sha256(b"K|a\nK|b\n").hexdigest()


def test_meta_mismatch_lists_differences():
    f = _frame(20, 80)
    lab = SM.split_sample(f, random_state=1)
    kw = dict(campaigns=["X1"], feature_lag_days=1, split="random", validation_share=0.3, oot_date="")
    m1 = SM.sample_meta(f, lab, seed=1, **kw)
    assert m1["n_dev"] == 70 and m1["n_events"] == 14 and m1["oot_date"] is None
    assert "customer_id" not in str(m1) and "C0001" not in str(m1)          # only the hash, no ids
    assert SM.meta_mismatch(m1, dict(m1)) == []
    lab2 = SM.split_sample(f, random_state=2)
    diff = SM.meta_mismatch(SM.sample_meta(f, lab2, seed=2, **kw), m1)
    assert any(d.startswith("seed") for d in diff) and any("development ids differ" in d for d in diff)
    assert SM.meta_mismatch({}, m1) and "no description" in SM.meta_mismatch(None, m1)[0]


# --------------------------------------------------------------------------- the 02 -> 05 chain on the demo

@pytest.fixture(scope="module")
def chain(demo_small, tmp_path_factory):
    from clientlens.data import load_bank

    bank = load_bank(demo_small)
    kw = dict(feature_lag_days=1, split="random", validation_share=0.3, oot_date="", random_state=42,
              as_of="2026-10-31")
    smp = binning.campaign_samples(bank, ["FD2026"], comparison="holdout", **kw)      # 02_binning's samples
    variables = ["aum", "fund", "income_monthly", "age", "n_txn_365d", "has_fund", "share_mobile"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # FD2026 on the 3k demo has few responders: the default per-bin floor (max(5% of events, 20))
        # would leave every variable with one bin, so this chain test sets its own floor
        b = binning.WoeBinner(variables=variables, keep_suspicious=True, min_event_count=10, min_bin_events=5,
                              random_state=42).fit(smp.X_dev, smp.y_dev)
    path = binning.save_binning(b, tmp_path_factory.mktemp("b02") / "binning.pkl", meta=smp.meta)
    ms = SM.model_sample(bank, ["FD2026"], **kw)                                     # 05's own sample
    return {"bank": bank, "smp": smp, "path": path, "ms": ms, "kw": kw}


def test_chain_02_binning_is_reused_by_05_when_fitted_on_its_development_sample(chain):
    smp, ms, path = chain["smp"], chain["ms"], chain["path"]
    # 02's development/comparison samples are exactly 05's development/validation samples
    assert len(smp.X_dev) == ms.meta["n_dev"] and len(smp.X_cmp) == ms.meta["n_validation"]
    assert int(smp.y_dev.sum()) == ms.meta["n_events"]
    meta = binning.load_binning_meta(path)
    assert meta["dev_ids_sha256"] == ms.meta["dev_ids_sha256"] == SM.ids_hash(ms.frame, ms.labels == "development")
    b, info = scoring.choose_binning("auto", path, ms.meta)
    assert b is not None and info["source"] == "02_binning" and info["mismatch"] == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = scoring.fit_response_model(chain["bank"], ["FD2026"], sample=ms, binner=b, binning_info=info,
                                           fit_challenger=False, random_state=42)
    bm = model["meta"]["binning"]
    assert bm["same_as_development"] and bm["sample"]["dev_ids_sha256"] == ms.meta["dev_ids_sha256"]
    assert model["meta"]["binning_source"].startswith("02_binning (reused)")
    assert model["scorecard"].binner_ is b
    assert model["meta"]["n"]["development"] == ms.meta["n_dev"]


def test_chain_mismatching_binning_is_refitted_with_note_or_stops_when_saved_is_required(chain, tmp_path):
    ms, path = chain["ms"], chain["path"]
    b = binning.load_binning(path)
    other = dict(binning.load_binning_meta(path), seed=7, dev_ids_sha256="0" * 64)
    p2 = binning.save_binning(b, tmp_path / "other.pkl", meta=other)
    got, info = scoring.choose_binning("auto", p2, ms.meta)
    assert got is None and info["kind"] == "warning" and "NOT reused" in info["note"]
    assert "seed: 7 vs 42" in info["note"] and info["sample"]["dev_ids_sha256"] == ms.meta["dev_ids_sha256"]
    with pytest.raises(DataError, match="binning_source is 'saved' but 02_binning's binning was fitted on another "
                                        "sample .*seed: 7 vs 42"):
        scoring.choose_binning("saved", p2, ms.meta)
    with pytest.raises(DataError, match="was not found"):
        scoring.choose_binning("saved", None, ms.meta)
    got, info = scoring.choose_binning("fit", path, ms.meta)
    assert got is None and "'fit'" in info["note"]
    # a binning saved without metadata (older file) is not reused either
    p3 = binning.save_binning(b, tmp_path / "old.pkl")
    assert scoring.choose_binning("auto", p3, ms.meta)[0] is None


def test_out_of_time_split_with_an_in_time_holdout_has_three_parts():
    """Issue 13: out_of_time + in_time_share: later rows out_of_time, earlier rows split at random."""
    rng = np.random.default_rng(0)
    n = 2000
    f = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(n)],
                      "contact_date": pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 60, n), "D"),
                      "response": (rng.random(n) < 0.1).astype(int)})
    lab = SM.split_sample(f, "out_of_time", oot_date="2026-02-01", in_time_share=0.3, random_state=1)
    late = (f["contact_date"] >= "2026-02-01").to_numpy()
    assert (lab[late] == "out_of_time").all() and set(lab[~late]) == {"development", "validation"}
    early_val = (lab == "validation")
    assert early_val.sum() == pytest.approx(0.3 * (~late).sum(), abs=2)
    assert (SM.split_sample(f, "out_of_time", oot_date="2026-02-01", in_time_share=0.3, random_state=1) == lab).all()
    # without the in-time share the two-part split is unchanged
    two = SM.split_sample(f, "out_of_time", oot_date="2026-02-01")
    assert set(two) == {"development", "validation"} and ((two == "validation") == late).all()
