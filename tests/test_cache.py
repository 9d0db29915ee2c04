"""Tests of clientlens.cache (the run cache) and of the one-pass event back-test.

References: the direct computations the cache replaces (build_wide_table, build_tags, model_sample,
rfm_summary, run_daily_job on the same bank must give frames identical to the last bit), and the
daily event job run on each day of the window by itself (the back-test must equal it day by day).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from clientlens import cache as cache_mod
from clientlens import clv, events as E, samples
from clientlens.cache import CACHE_DIRNAME, LOG_FILE, RunCache
from clientlens.data import load_bank
from clientlens.features import build_wide_table
from clientlens.tags import TagRules, build_tags

AS_OF = "2026-10-31"


def _all(rc: RunCache):
    wide, tags = rc.wide_and_tags(AS_OF)
    ms = rc.model_sample(["FD2026"], as_of=AS_OF)
    rfm = rc.rfm_summary(as_of=AS_OF, calibration_end="2026-04-30")
    trig, kept = rc.daily_job("2026-10-18", AS_OF)
    return wide, tags, ms, rfm, trig, kept


def test_cached_intermediates_equal_direct_computation_cold_and_warm(demo_small, tmp_path):
    bank = load_bank(demo_small)
    direct_wide = build_wide_table(bank, AS_OF)
    direct_tags = build_tags(direct_wide)
    direct_ms = samples.model_sample(bank, ["FD2026"], as_of=AS_OF)
    direct_rfm = clv.rfm_summary(bank, as_of=AS_OF, calibration_end="2026-04-30")
    direct_trig, direct_kept = E.run_daily_job(bank, "2026-10-18", AS_OF)
    for round_, status in ((1, "computed"), (2, "reused")):
        rc = RunCache.for_run(load_bank(demo_small), AS_OF, tmp_path / "reports", log_dir=tmp_path / f"out{round_}")
        wide, tags, ms, rfm, trig, kept = _all(rc)
        assert [r["status"] for r in rc.log] == [status] * 5, rc.log
        pd.testing.assert_frame_equal(wide, direct_wide, check_exact=True)
        pd.testing.assert_frame_equal(tags, direct_tags, check_exact=True)
        pd.testing.assert_frame_equal(ms.frame, direct_ms.frame, check_exact=True)
        assert ms.frame.attrs == direct_ms.frame.attrs
        assert ms.meta == direct_ms.meta and (ms.labels == direct_ms.labels).all()
        pd.testing.assert_frame_equal(rfm.table, direct_rfm.table, check_exact=True)
        pd.testing.assert_frame_equal(rfm.holdout_daily, direct_rfm.holdout_daily, check_exact=True)
        assert (rfm.counts, rfm.notes, rfm.calibration_end, rfm.observation_end) == \
            (direct_rfm.counts, direct_rfm.notes, direct_rfm.calibration_end, direct_rfm.observation_end)
        pd.testing.assert_frame_equal(trig, direct_trig, check_exact=True)
        pd.testing.assert_frame_equal(kept, direct_kept, check_exact=True)
        assert kept.attrs == direct_kept.attrs
        log = json.loads((tmp_path / f"out{round_}" / LOG_FILE).read_text())
        assert [r["intermediate"] for r in log["intermediates"]] == ["wide", "tags", "sample", "rfm", "events"]


def test_entries_hold_masked_ids_only_and_no_partial_entry(demo_small, tmp_path):
    rc = RunCache.for_run(load_bank(demo_small), AS_OF, tmp_path / "reports")
    _all(rc)
    raw = set(pd.read_parquet(demo_small / "customers.parquet")["customer_id"].astype(str))
    files = sorted((tmp_path / "reports" / AS_OF / CACHE_DIRNAME).rglob("*.parquet"))
    assert len(files) >= 6
    for f in files:
        df = pd.read_parquet(f)
        assert "customer_id" not in df.columns and df.index.name != "customer_id", f
        for c in df.columns:
            if df[c].dtype == object or str(df[c].dtype).startswith(("str", "string")):
                assert not set(df[c].dropna().astype(str)) & raw, (f, c)
    text = "".join(p.read_text() for p in (tmp_path / "reports" / AS_OF / CACHE_DIRNAME).rglob("*.json"))
    assert not set(re.findall(r"C\d{8}", text)) & raw
    assert not list((tmp_path / "reports" / AS_OF / CACHE_DIRNAME).glob(".tmp-*"))


def test_id_translation_of_the_whole_base_in_order_equals_the_lookup(demo_small, tmp_path):
    # a frame of the whole base sorted by id (a wide table) is translated without a lookup: the same masks as
    # mask_ids, and back; any other order or subset goes through the lookup; an unknown id is refused
    from clientlens.privacy import mask_ids

    bank = load_bank(demo_small)
    rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
    wide = build_wide_table(bank, AS_OF, columns=["aum"])
    ids = wide["customer_id"].to_numpy(dtype=object)
    masked = rc._translate(ids, to_masked=True)
    assert masked.tolist() == mask_ids(ids).tolist()
    assert rc._translate(masked, to_masked=False).tolist() == ids.tolist()
    shuffled = np.random.default_rng(0).permutation(ids)
    assert rc._translate(shuffled, to_masked=True).tolist() == mask_ids(shuffled).tolist()
    assert rc._translate(ids[::7], to_masked=True).tolist() == mask_ids(ids[::7]).tolist()
    with pytest.raises(ValueError, match="not among the loaded customers"):
        rc._translate(np.r_[ids[:-1], ["nobody"]], to_masked=True)


def test_changed_input_file_invalidates_the_cache(demo_small, tmp_path):
    data = tmp_path / "bank"
    shutil.copytree(demo_small, data)
    rc = RunCache.for_run(load_bank(data), AS_OF, tmp_path / "reports")
    wide1 = rc.wide_table(AS_OF)
    # the same data again: reused; then one customer's income changes in the input file
    rc = RunCache.for_run(load_bank(data), AS_OF, tmp_path / "reports")
    rc.wide_table(AS_OF)
    assert rc.log[-1]["status"] == "reused"
    cust = pd.read_parquet(data / "customers.parquet")
    cust.loc[0, "income_monthly"] = float(cust.loc[0, "income_monthly"]) + 1000.0
    cust.to_parquet(data / "customers.parquet", index=False)
    rc = RunCache.for_run(load_bank(data), AS_OF, tmp_path / "reports")
    wide2 = rc.wide_table(AS_OF)
    assert rc.log[-1]["status"] == "computed"
    i = wide2.index[wide2["customer_id"] == str(cust.loc[0, "customer_id"])][0]
    assert wide2.loc[i, "income_monthly"] == wide1.loc[i, "income_monthly"] + 1000.0
    # the older entry of the same intermediate and parameters was replaced, not kept beside it
    assert len(list((tmp_path / "reports" / AS_OF / CACHE_DIRNAME).glob("wide-*"))) == 1


def test_file_digests_equal_the_banks_fingerprints_without_reading_unchanged_files_again(demo_small, tmp_path,
                                                                                        monkeypatch):
    from clientlens import data as data_mod

    data = tmp_path / "bank"
    shutil.copytree(demo_small, data)
    bank = load_bank(data)
    direct = bank.fingerprints()
    assert RunCache.for_run(bank, AS_OF, tmp_path / "reports").file_digests() == direct
    read = []
    real = data_mod.file_sha256
    monkeypatch.setattr(data_mod, "file_sha256", lambda path, *a: read.append(path.name) or real(path, *a))
    assert RunCache.for_run(load_bank(data), AS_OF, tmp_path / "reports").file_digests() == direct   # a later report
    assert read == []
    cust = pd.read_parquet(data / "customers.parquet")
    cust.loc[0, "income_monthly"] = float(cust.loc[0, "income_monthly"]) + 1000.0
    cust.to_parquet(data / "customers.parquet", index=False)
    again = RunCache.for_run(load_bank(data), AS_OF, tmp_path / "reports").file_digests()
    assert read == ["customers.parquet"] and again == load_bank(data).fingerprints() != direct


def test_changed_feature_parameter_tag_rule_code_or_mask_key_recomputes(demo_small, tmp_path, monkeypatch):
    bank = load_bank(demo_small)
    rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
    rc.wide_and_tags(AS_OF)
    rc.wide_and_tags(AS_OF, windows=[30, 90, 180, 365])                    # a feature parameter: both recomputed
    assert [r["status"] for r in rc.log[-2:]] == ["computed", "computed"]
    pd.testing.assert_frame_equal(rc.wide_table(AS_OF, windows=[365, 180, 90, 30]),
                                  build_wide_table(bank, AS_OF, windows=[30, 90, 180, 365]))
    assert rc.log[-1]["status"] == "reused"
    rules = TagRules(**{**TagRules().__dict__, "fatigue_min_contacts": TagRules().fatigue_min_contacts + 1})
    rc.wide_and_tags(AS_OF, rules=rules)                          # a tag rule: wide reused, tags recomputed
    assert [r["status"] for r in rc.log[-2:]] == ["reused", "computed"]
    monkeypatch.setattr(cache_mod, "code_fingerprint", lambda modules: "edited library source")
    rc.wide_table(AS_OF)
    assert rc.log[-1]["status"] == "computed"
    monkeypatch.setattr(cache_mod, "mask_key_fingerprint", lambda: "another masking key")
    rc.wide_table(AS_OF)
    assert rc.log[-1]["status"] == "computed"


def test_tag_rules_spelled_as_in_params_default_yaml_share_the_default_rules_entry(demo_small, tmp_path):
    # params/default.yaml states every tag threshold (01's section, whole numbers such as 100000) while 03, 04 and
    # 09 leave them at the defaults (100000.0): the same rules must be the same entry, computed once per run
    import yaml

    from clientlens.config import PROJECT_ROOT

    params = yaml.safe_load((PROJECT_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    spelled = params["01_profile"]["tag_rules"]
    assert isinstance(spelled["high_value_aum"], int) and isinstance(TagRules().high_value_aum, float)
    assert TagRules.from_params(spelled) == TagRules()
    bank = load_bank(demo_small)
    rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
    _, tags = rc.wide_and_tags(AS_OF, rules=TagRules.from_params(spelled))
    pd.testing.assert_frame_equal(rc.tags(AS_OF), tags, check_exact=True)
    assert [(r["intermediate"], r["status"]) for r in rc.log] == [("wide", "computed"), ("tags", "computed"),
                                                                  ("tags", "reused")]
    rc.tags(AS_OF, rules={**spelled, "high_value_aum": 100001})                # another threshold: another entry
    assert rc.log[-1]["status"] == "computed"


def test_cache_off_by_environment_stores_nothing(demo_small, tmp_path, monkeypatch):
    monkeypatch.setenv("CLIENTLENS_CACHE", "off")
    rc = RunCache.for_run(load_bank(demo_small), AS_OF, tmp_path / "reports")
    rc.wide_table(AS_OF)
    assert rc.log[-1]["status"] == "computed (cache off)"
    assert not (tmp_path / "reports").exists()


def test_interrupted_write_leaves_no_entry_and_the_next_run_recomputes(demo_small, tmp_path, monkeypatch):
    bank = load_bank(demo_small)
    calls = []

    def broken(self, path, *a, **k):
        calls.append(path)
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(KeyboardInterrupt):
        RunCache.for_run(bank, AS_OF, tmp_path / "reports").wide_table(AS_OF)
    monkeypatch.undo()
    d = tmp_path / "reports" / AS_OF / CACHE_DIRNAME
    assert calls and not list(d.glob("wide-*")) and not list(d.glob(".tmp-*"))
    rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
    rc.wide_table(AS_OF)
    assert rc.log[-1]["status"] == "computed" and len(list(d.glob("wide-*"))) == 1


# --------------------------------------------------------------------------- one-pass back-test

def _surge_by_definition(bank, day: dt.date, rules: E.EventRules) -> pd.DataFrame:
    """The surge rule on one day, straight from its definition in pandas (independent of the SQL)."""
    w = rules.surge_window_days
    t = bank.sql("SELECT CAST(customer_id AS VARCHAR) AS customer_id, txn_date, CAST(amount AS DECIMAL(18, 2)) AS a "
                 "FROM transactions WHERE direction = 'out' AND category IN ('consumption')")
    age = (pd.Timestamp(day) - pd.to_datetime(t["txn_date"])).dt.days
    t = t[(age >= 0) & (age < 3 * w)].assign(k=age // w)
    t["a"] = t["a"].map(lambda x: int(round(float(x) * 100)))      # cents: exact sums
    g = t.groupby(["customer_id", "k"]).agg(a=("a", "sum"), n=("a", "size")).unstack("k", fill_value=0)
    g = g.reindex(columns=pd.MultiIndex.from_product([["a", "n"], [0, 1, 2]]), fill_value=0)
    now, base = g[("a", 0)], (g[("a", 1)] + g[("a", 2)]) / 2
    n_now, n_before = g[("n", 0)], (g[("n", 1)] + g[("n", 2)]) / 2
    hit = (base > 0) & (now > base * (1 + rules.surge_amount_ratio)) & (n_now > n_before * (1 + rules.surge_count_ratio))
    return pd.DataFrame({"customer_id": g.index[hit], "value": now[hit].to_numpy() / 100.0})


def test_backtest_equals_the_daily_job_run_day_by_day_on_demo_small(demo_small):
    """One pass per rule over 21 days == the daily job run on each day alone: every rule hit, and the
    events kept by the cooldown (both with a warm-up long enough to hold every cooldown chain: with
    the default warm-up, cooldown + 3 surge windows, a chain of repeats longer than it can differ)."""
    bank = load_bank(demo_small)
    rules = E.EventRules()
    start, end = E.event_window(AS_OF, 21)
    runs_w, kept_w = E.run_daily_job(bank, start, end, rules, warmup_days=400)
    trig_w = E.expand_runs(runs_w)            # the hits as runs: one row per customer, day and event
    trig_d, kept_d = [], []
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        t, k = E.run_daily_job(bank, day, day, rules, warmup_days=400)
        trig_d.append(E.expand_runs(t))
        kept_d.append(k)
    assert len(trig_w) > 1000 and {"spend_surge", "large_inflow", "large_outflow", "birthday"} <= set(trig_w["event"])
    pd.testing.assert_frame_equal(trig_w, pd.concat(trig_d, ignore_index=True), check_exact=True)
    pd.testing.assert_frame_equal(kept_w, pd.concat(kept_d, ignore_index=True), check_exact=True)
    # and the surge hits of three days equal the rule's definition computed in pandas
    for day in (start, start + dt.timedelta(days=11), end):
        got = trig_w[(trig_w["event"] == "spend_surge") & (trig_w["event_date"] == pd.Timestamp(day))]
        ref = _surge_by_definition(bank, day, rules)
        assert len(ref) > 0
        assert sorted(got["customer_id"]) == sorted(ref["customer_id"])
        assert got.set_index("customer_id")["value"].sort_index().tolist() == \
            ref.set_index("customer_id")["value"].sort_index().tolist()


@pytest.mark.slow(seconds=340)
def test_reports_numbers_identical_with_and_without_the_cache_on_demo_small(demo_small, tmp_path, monkeypatch):
    """The reports that use the run cache, run with it off and on (later reports reusing earlier
    ones' intermediates): every artefact table is identical, and the provenance lists the reuse."""
    import yaml

    from clientlens import config
    from clientlens.params import load_params_file
    from clientlens.runner import run_all

    # 02, 03 and 05 reuse 01's wide table, 05 reuses 02's campaign sample, 06 reads the run date's columns of the
    # scorecard from 01's table, 09 reuses 01's tags; the RFM summary (04) and the event back-test (07) are
    # checked against their direct computation above (08 uses 01's tags.parquet; its cache path: above)
    stems = ["01_profile", "02_binning", "03_segmentation", "05_response_model", "06_model_validation", "08_strategy",
             "09_post_evaluation"]
    merged = load_params_file(config.DEFAULT_PARAMS_FILE)
    merged.setdefault("common", {})["data_dir"] = str(demo_small)
    pf = tmp_path / "params.yaml"
    pf.write_text(yaml.safe_dump(merged, allow_unicode=True), encoding="utf-8")
    out = {}
    for mode in ("off", "on"):
        monkeypatch.setenv("CLIENTLENS_CACHE", mode)      # inherited by the report kernels
        res = run_all(params_file=pf, reports_dir=tmp_path / mode, notebooks=stems, progress=False)
        assert [r.status for r in res] == ["ok"] * len(stems), [r.error for r in res]
        out[mode] = tmp_path / mode / AS_OF
    assert not (out["off"] / CACHE_DIRNAME).exists() and (out["on"] / CACHE_DIRNAME).is_dir()
    tables = sorted(p.relative_to(out["off"]) for p in out["off"].rglob("*.parquet"))
    assert len(tables) >= 6
    for rel in tables:
        pd.testing.assert_frame_equal(pd.read_parquet(out["on"] / rel), pd.read_parquet(out["off"] / rel),
                                      check_exact=True, obj=str(rel))
    used = {s: json.loads((out["on"] / f"{s}.manifest.json").read_text())["intermediates"] for s in stems}
    assert {r["intermediate"]: r["status"] for r in used["05_response_model"]} == {
        "sample": "reused", "wide": "reused", "fit": "computed", "scores": "computed"}
    # 02's PSI comparison (today's scoring base) is 01's wide table, not a second build
    assert {r["intermediate"]: r["status"] for r in used["02_binning"]} == {"sample": "computed", "wide": "reused",
                                                                           "fit": "computed"}
    # a re-run reuses 02's binning and 05's models and base scores (issue 18, warm) with the same tables
    again = ["02_binning", "05_response_model"]
    res = run_all(params_file=pf, reports_dir=tmp_path / "on", notebooks=again, progress=False, force=True)
    assert [r.status for r in res] == ["ok", "ok"], [r.error for r in res]
    for s in again:
        used = json.loads((out["on"] / f"{s}.manifest.json").read_text())["intermediates"]
        assert {r["status"] for r in used} == {"reused"}, (s, used)
        for rel in sorted(p.relative_to(out["off"]) for p in (out["off"] / f"{s}_files").rglob("*.parquet")):
            pd.testing.assert_frame_equal(pd.read_parquet(out["on"] / rel), pd.read_parquet(out["off"] / rel),
                                          check_exact=True, obj=f"re-run {rel}")
    used = {s: json.loads((out["on"] / f"{s}.manifest.json").read_text())["intermediates"] for s in stems}
    assert {r["intermediate"]: r["status"] for r in used["03_segmentation"]}["wide"] == "reused"
    assert [r["status"] for r in used["06_model_validation"]] == ["computed"] * 11 + ["reused"]
    assert "(from the full table)" in used["06_model_validation"][-1]["what"]
    # 06 saves no table: its stability section (PSI / CSI at 12 month-ends) compared as rendered
    import nbformat

    def stability_html(mode):
        nb = nbformat.read(out[mode] / "06_model_validation.ipynb", as_version=4)
        cell = next(c for c in nb.cells if c.get("id") == "b8d4f2e3")
        return [re.sub(r"T_[0-9a-f]{5}", "T_", o["data"]["text/html"])      # the Styler's random table id
                for o in cell.outputs if "text/html" in o.get("data", {})]

    assert stability_html("on") == stability_html("off") and "PSI / CSI at the last 12 month-ends" in stability_html("on")[0]
    html = (out["on"] / "05_response_model.html").read_text(encoding="utf-8")
    assert "Intermediates" in html and "reused" in html


# --------------------------------------------------------------------------- 06, 08, 09 through the cache

def test_wide_columns_from_the_full_entry_or_built_alone_equal_the_full_table(demo_small, tmp_path):
    bank = load_bank(demo_small)
    cols = ["n_mobile_90d", "aum_pct_rank", "key_txn_m2", "income_monthly"]
    for day in ("2026-09-30", AS_OF):
        full = build_wide_table(bank, day)
        ref = full[["customer_id"] + [c for c in full.columns if c in cols]]
        rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
        if day == AS_OF:
            rc.wide_table(day)                     # the run date's full table stored (01 / 05 do this)
        pd.testing.assert_frame_equal(rc.wide_columns(day, cols), ref, check_exact=True)
        pd.testing.assert_frame_equal(rc.wide_columns(day, reversed(cols)), ref, check_exact=True)
        log = [(r["status"], r["what"]) for r in rc.log if "column(s)" in r["what"]]
        if day == AS_OF:    # read from the full table's entry both times
            assert log == [("reused", f"4 column(s) of the customer wide table as of {day} (from the full table)")] * 2
        else:               # built alone, then its own entry reused
            assert [s for s, _ in log] == ["computed", "reused"]


class _NoChallenger:
    def predict_proba(self, X):
        raise AssertionError("the stability frames must not score the challenger")


@pytest.fixture(scope="module")
def response_model(demo_small):
    import warnings

    from clientlens.scoring import fit_response_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # 05's three campaigns (params/default.yaml): a scorecard of a dozen variables from every table
        return fit_response_model(load_bank(demo_small), ["WM2025", "CC2026", "FD2026"], fit_challenger=False,
                                  random_state=42)


def test_06_month_end_scores_equal_those_of_full_wide_tables_with_and_without_the_cache(demo_small, tmp_path,
                                                                                        response_model):
    """Reference: 06's stability frames as they were computed before (score_frame of the full wide table
    at each month-end); the PSI / CSI table of 06 built from them must be identical."""
    from clientlens import validation as V
    from clientlens.scoring import score_frame

    bank = load_bank(demo_small)
    sc = response_model["scorecard"]
    assert len(sc.variables_) >= 5
    ref = {}
    for d in V.month_ends(AS_OF, 4):
        full = build_wide_table(bank, d.date())
        ref[d] = score_frame(response_model, full)
        # score and probability exactly as the scorecard's own methods give them (score_frame computes the
        # log-odds once for both)
        assert (ref[d]["score"].to_numpy() == sc.score(full)).all()
        assert (ref[d]["prob"].to_numpy() == sc.predict_proba(full)[:, 1]).all()
        ref[d] = ref[d].drop(columns=["customer_id_masked"])            # 06 reads distributions only
    reference = ref[min(ref)]
    ref_over = V.stability_over_time(sc, reference, ref)
    model = {**response_model, "challenger": _NoChallenger()}
    RunCache.for_run(bank, AS_OF, tmp_path / "reports").wide_table(AS_OF)      # stored by 01 / 05 in a run
    for cache in (None, "cold", "warm"):
        rc = None if cache is None else RunCache.for_run(load_bank(demo_small), AS_OF, tmp_path / "reports")
        frames = V.scores_at_month_ends(bank, model, AS_OF, n_periods=4, cache=rc)
        assert list(frames) == list(ref)
        for d in ref:
            pd.testing.assert_frame_equal(frames[d], ref[d], check_exact=True)
        pd.testing.assert_frame_equal(V.stability_over_time(sc, reference, frames), ref_over, check_exact=True)
        if rc is not None:
            assert [r["status"] for r in rc.log] == (["computed"] * 3 if cache == "cold" else ["reused"] * 3) + ["reused"]
            assert rc.log[-1]["what"].endswith("(from the full table)")


def test_08_and_09_tags_through_the_cache_equal_the_direct_computation(demo_small, tmp_path):
    from clientlens import postevaluation as P
    from clientlens import strategy as S

    bank = load_bank(demo_small)
    rules = TagRules()
    direct_base, direct_notes = S.build_base(bank, AS_OF, reports_dir=tmp_path / "none")
    P._TAG_CACHE.clear()
    direct_mig = P.migration(bank, AS_OF, 6, "lifecycle_stage", rules)
    # 01 stored the run date's wide table and tags (default windows and rules, as in params/default.yaml)
    RunCache.for_run(bank, AS_OF, tmp_path / "reports").wide_and_tags(AS_OF, rules=rules)
    for round_ in ("cold", "warm"):
        P._TAG_CACHE.clear()
        bank = load_bank(demo_small)
        rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
        base, notes = S.build_base(bank, AS_OF, reports_dir=tmp_path / "none", cache=rc)
        pd.testing.assert_frame_equal(base, direct_base, check_exact=True)
        assert notes == direct_notes
        mig = P.migration(bank, AS_OF, 6, "lifecycle_stage", rules, cache=rc)
        assert mig[0] == direct_mig[0]
        pd.testing.assert_frame_equal(mig[1], direct_mig[1], check_exact=True)
        pd.testing.assert_frame_equal(mig[2], direct_mig[2], check_exact=True)
        status = [(r["intermediate"], r["status"]) for r in rc.log]
        # 09, 6 month-ends before: cold, the tags from the columns they read, then that date's AUM alone; warm:
        # both reused; the run date's: 01's tags and AUM (from its full table)
        earlier = [("wide", "computed"), ("tags", "computed"), ("wide", "computed")] if round_ == "cold" else \
            [("tags", "reused"), ("wide", "reused")]
        assert status == [("wide", "reused"), ("tags", "reused"), *earlier,
                          ("tags", "reused"), ("wide", "reused")], status
        assert "(from the full table)" in rc.log[-1]["what"]


def test_btyd_fits_stored_once_and_restored_to_the_last_bit(demo_small, tmp_path):
    """Reference: BTYDModel fitted directly on the same summary; the restored fit has the same parameters,
    log-likelihood and predictions, exactly (04's numbers do not change with the cache)."""
    cal_end = "2026-04-30"
    direct_rfm = clv.rfm_summary(load_bank(demo_small), as_of=AS_OF, calibration_end=cal_end)
    direct = {("bgnbd", "calibration"): clv.BTYDModel("bgnbd", random_state=42).fit(direct_rfm.calibration()),
              ("pareto_nbd", "full"): clv.BTYDModel("pareto_nbd", random_state=42).fit(direct_rfm.table)}
    for round_, status in ((1, "computed"), (2, "reused")):
        rc = RunCache.for_run(load_bank(demo_small), AS_OF, tmp_path / "reports")
        rfm = rc.rfm_summary(as_of=AS_OF, calibration_end=cal_end)
        fit = rc.btyd_fit(rfm, random_state=42)
        for (model, window), want in direct.items():
            got = fit(model, window)
            frame = rfm.calibration() if window == "calibration" else rfm.table
            assert got.params_ == want.params_ and got.log_likelihood_ == want.log_likelihood_
            assert (got.n_customers_, got.n_patterns_) == (want.n_customers_, want.n_patterns_)
            assert (got.expected_transactions(30.0, frame) == want.expected_transactions(30.0, frame)).all()
            assert (got.p_alive(frame) == want.p_alive(frame)).all()
        assert [r["status"] for r in rc.log if r["intermediate"] == "btyd"] == [status] * 2
    table, fitted = clv.compare_models(rfm, models=["bgnbd"], fit=fit)
    ref_table, _ = clv.compare_models(direct_rfm, models=["bgnbd"], random_state=42)
    pd.testing.assert_frame_equal(table, ref_table, check_exact=True)
    other = RunCache.for_run(load_bank(demo_small), AS_OF, tmp_path / "reports")
    other.btyd_fit(other.rfm_summary(as_of=AS_OF, calibration_end=cal_end), penalizer=0.01, random_state=42)("bgnbd")
    assert [r["status"] for r in other.log] == ["reused", "computed"]          # another penalizer: fitted again
    with pytest.raises(ValueError, match="must come from RunCache.rfm_summary"):
        rc.btyd_fit(direct_rfm)


def test_clv_values_stored_once_equal_the_direct_value_table_and_follow_rates_and_fits(demo_small, tmp_path):
    from clientlens import value

    bank = load_bank(demo_small)
    rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
    rfm = rc.rfm_summary(as_of=AS_OF, calibration_end="2026-04-30")
    model = rc.btyd_fit(rfm, random_state=42)("bgnbd", "full")
    spend = clv.SpendModel(random_state=42).fit(rfm.table)
    rates = value.ValueRates()
    direct = value.clv_table(value.annual_margins(bank, AS_OF, rates), rfm.table, model, spend, rates)
    stored = None
    for status in ("computed", "reused"):      # a later report (or a re-run): a new bank and cache object
        rc = RunCache.for_run(load_bank(demo_small), AS_OF, tmp_path / "reports")
        got = rc.clv_values(AS_OF, rc.rfm_summary(as_of=AS_OF, calibration_end="2026-04-30"), model, spend, rates)
        assert rc.log[-1]["intermediate"] == "value" and rc.log[-1]["status"] == status
        # (DuckDB's parallel sums of the balances may differ in the last bit between two computations)
        pd.testing.assert_frame_equal(got, direct, check_exact=False, rtol=1e-12)
        assert list(got.dtypes) == list(direct.dtypes) and got.index.equals(direct.index)
        if stored is not None:
            pd.testing.assert_frame_equal(got, stored, check_exact=True)   # the stored table, to the last bit
        stored = got
    # another discount rate, another transaction-model fit or spend fit: computed again, and different
    rc.clv_values(AS_OF, rfm, model, spend, {"discount_rate": 0.12})
    assert rc.log[-1]["status"] == "computed"
    rc.clv_values(AS_OF, rfm, rc.btyd_fit(rfm, random_state=42)("pareto_nbd", "full"), spend, rates)
    assert rc.log[-1]["status"] == "computed"
    rc.clv_values(AS_OF, rfm, model, clv.SpendModel(random_state=42).fit(rfm.calibration()), rates)
    assert rc.log[-1]["status"] == "computed"
    with pytest.raises(ValueError, match="rfm_summary"):
        rc.clv_values(AS_OF, clv.rfm_summary(bank, as_of=AS_OF), model, spend, rates)


@pytest.mark.parametrize("as_of", [AS_OF, "2026-04-30"])
def test_tags_from_the_columns_they_read_equal_the_tags_of_the_full_table(demo_small, tmp_path, as_of):
    """Reference: build_tags on the full wide table; RunCache.tags computes them from the tag inputs alone
    (stored under the same entry as wide_and_tags) and reuses 01's entry when present."""
    bank = load_bank(demo_small)
    direct = build_tags(build_wide_table(bank, as_of))
    rc = RunCache.for_run(bank, AS_OF, tmp_path / "alone")
    pd.testing.assert_frame_equal(rc.tags(as_of), direct, check_exact=True)
    assert [r["status"] for r in rc.log] == ["computed", "computed"] and rc.log[0]["intermediate"] == "wide"
    rc2 = RunCache.for_run(bank, AS_OF, tmp_path / "alone")
    _, tags = rc2.wide_and_tags(as_of)                     # the same entry: the full table is built, tags reused
    pd.testing.assert_frame_equal(tags, direct, check_exact=True)
    assert [(r["intermediate"], r["status"]) for r in rc2.log] == [("wide", "computed"), ("tags", "reused")]


def test_two_kernels_asking_for_one_entry_at_once_compute_it_once(demo_small, tmp_path):
    """A parallel run-all (issue 18): the second asker waits on the entry's OS lock and reuses the first's result."""
    import threading
    import time

    calls = []

    def compute():
        calls.append(threading.current_thread().name)
        time.sleep(1.0)
        return {"wide": pd.DataFrame({"customer_id": ["C00000001"], "x": [1.5]})}, {"n": 1}

    caches = [RunCache.for_run(load_bank(demo_small), AS_OF, tmp_path / "reports") for _ in range(2)]
    got = {}

    def ask(i):
        got[i] = caches[i]._get("wide", {"probe": 1}, compute, "probe")

    threads = [threading.Thread(target=ask, args=(i,), name=f"k{i}") for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1
    assert sorted(c.log[-1]["status"] for c in caches) == ["computed", "reused"]
    pd.testing.assert_frame_equal(got[0][0]["wide"], got[1][0]["wide"])
    assert got[0][1] == got[1][1] == {"n": 1}


def test_fitted_models_stored_once_and_equal_to_a_direct_fit(demo_small, tmp_path):
    """RunCache.fitted (issue 18, warm runs): the binning and scorecard of 02/05 are fitted once per training data,
    settings and code; the stored model scores exactly as a direct fit; its pickle holds no customer id; a changed
    setting or training row fits again; a stored pickle that does not match its SHA-256 is refitted."""
    import subprocess
    import sys
    import warnings

    from clientlens.binning import WoeBinner
    from clientlens.scoring import ResponseScorecard, candidate_features

    bank = load_bank(demo_small)
    ms = samples.model_sample(bank, ["FD2026"], as_of=AS_OF)
    dev = ms.frame[ms.labels == "development"]
    feats = [c for c in candidate_features(ms.frame) if c in ("aum", "age", "n_txn_90d", "amt_in_90d", "wealth_mgmt",
                                                            "income_monthly", "tenure_days", "occupation")]
    X, y = dev[feats], dev["response"].to_numpy()   # 02 passes the target as an array
    assert len(feats) >= 6
    direct = WoeBinner(max_n_bins=6, random_state=0).fit(X, y)
    rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = rc.fitted(WoeBinner(max_n_bins=6, random_state=0), X, y)
        again = RunCache.for_run(bank, AS_OF, tmp_path / "reports").fitted(WoeBinner(max_n_bins=6, random_state=0), X, y)
        sc = rc.fitted(ResponseScorecard(binner=again, random_state=0), X, y)
        sc_again = rc.fitted(ResponseScorecard(binner=first, random_state=0), X, y)   # same binning, other object
    assert [r["status"] for r in rc.log] == ["computed", "computed", "reused"]
    pd.testing.assert_frame_equal(again.summary_, direct.summary_)
    pd.testing.assert_frame_equal(again.transform(X), direct.transform(X))
    pd.testing.assert_series_equal(pd.Series(sc_again.predict_proba(X)[:, 1]),
                                   pd.Series(ResponseScorecard(binner=direct, random_state=0).fit(X, y)
                                             .predict_proba(X)[:, 1]))
    entries = sorted((tmp_path / "reports" / AS_OF / CACHE_DIRNAME).glob("fit-*/model.bin"))
    assert len(entries) == 2
    raw = set(ms.frame["customer_id"].astype(str))
    for e in entries:
        data = e.read_bytes()
        assert not any(cid.encode() in data for cid in list(raw)[:500])
    # the key of a fitted setting (the scorecard's binning) does not depend on the process's hash seed
    code = ("import pickle,sys; from clientlens.cache import _setting_fingerprint; "
            "print(_setting_fingerprint(pickle.load(open(sys.argv[1], 'rb'))))")
    (tmp_path / "b.pkl").write_bytes(__import__("pickle").dumps(first))
    fps = {subprocess.run([sys.executable, "-c", code, str(tmp_path / "b.pkl")], capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONHASHSEED": seed}, check=True).stdout
           for seed in ("1", "2")}
    assert len(fps) == 1, fps
    rc2 = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc2.fitted(WoeBinner(max_n_bins=5, random_state=0), X, y)            # another setting
        rc2.fitted(WoeBinner(max_n_bins=6, random_state=0), X.iloc[1:], y[1:])   # one row fewer
        entry = tmp_path / "reports" / AS_OF / CACHE_DIRNAME / rc.log[0]["entry"] / "model.bin"   # the binning's
        entry.write_bytes(entry.read_bytes()[:-1] + b"x")                   # tampered or damaged
        rc2.fitted(WoeBinner(max_n_bins=6, random_state=0), X, y)
    assert [r["status"] for r in rc2.log] == ["computed", "computed", "computed"]


def test_base_scores_and_reasons_stored_once_equal_the_direct_scoring(demo_small, tmp_path, response_model):
    """05's scoring of the base through the run cache (issue 18, warm runs): identical to score_frame and
    reason_codes, cold and warm; another model or another base scores again."""
    import copy

    from clientlens.scoring import score_frame

    bank = load_bank(demo_small)
    base = build_wide_table(bank, AS_OF)
    direct_scores = score_frame(response_model, base)
    direct_reasons = response_model["scorecard"].reason_codes(base, n=3)
    rc = RunCache.for_run(bank, AS_OF, tmp_path / "reports")
    for _ in range(2):
        s, r = RunCache.for_run(bank, AS_OF, tmp_path / "reports").scores_and_reasons(response_model, base, n_reasons=3)
        pd.testing.assert_frame_equal(s, direct_scores)
        pd.testing.assert_frame_equal(r, direct_reasons)
    rc.scores_and_reasons(response_model, base, n_reasons=3)
    rc.scores_and_reasons(response_model, base.iloc[:-1], n_reasons=3)          # another base
    other = copy.deepcopy(response_model["scorecard"])
    other.C = 0.5                                                                   # another model
    rc.scores_and_reasons({**response_model, "scorecard": other}, base, n_reasons=3)
    from clientlens import i18n

    with i18n.using("zh"):                                                          # reasons are words: per language
        _, r_zh = rc.scores_and_reasons(response_model, base, n_reasons=3)
    assert [x["status"] for x in rc.log] == ["reused", "computed", "computed", "computed"]
    assert not r_zh["reason_1"].isin(direct_reasons["reason_1"][direct_reasons["reason_1"] != ""]).any()


def test_data_overview_tables_through_the_cache_equal_the_direct_build(demo_small, tmp_path):
    """00's tables and checks (sections_overview.build) reused from the run cache equal a direct build; another
    parameter of theirs builds again."""
    from clientlens import sections_overview as so
    from clientlens.params import load_params_file, params_for
    from clientlens import config

    p = dict(load_params_file(config.DEFAULT_PARAMS_FILE).get("common", {}))
    p.update({"reports_dir": str(tmp_path / "reports"), "missing_by_design": [], "missing_by_design_when": {},
              "dormant_days": 180, "no_txn_warn_share": 0.1, "missing_warn_share": 0.2, "reconcile_warn_share": 0.02,
              "reconcile_fail_share": 0.05, "load_options": {}, "top_categories": 5, "bins_per_decade": 10})
    bank = load_bank(demo_small)
    day = dt.date(2026, 10, 31)
    direct = so.build(bank, p, day)
    for _ in range(2):
        ov = so.build(bank, p, day, log_dir=tmp_path / "log")
        for name in ("counts", "coverage", "missing", "activity_counts", "recon"):
            # (DuckDB's multi-threaded DOUBLE sums of the reconciliation vary in the last digits between builds)
            pd.testing.assert_frame_equal(getattr(ov, name), getattr(direct, name), check_exact=False, rtol=1e-9, atol=1e-3,
                                          obj=name)
        assert sorted(ov.transactions) == sorted(direct.transactions) == [
            "by_category", "by_channel", "histogram", "monthly", "non_positive"]
        for name, frame in direct.transactions.items():
            pd.testing.assert_frame_equal(ov.transactions[name], frame, check_exact=False, rtol=1e-9, obj=name)
        assert [c["check"] for c in ov.checks] == [c["check"] for c in direct.checks]
        assert [c["verdict"] for c in ov.checks] == [c["verdict"] for c in direct.checks]
    so.build(bank, {**p, "dormant_days": 90}, day, log_dir=tmp_path / "log")
    so.build(bank, {**p, "top_categories": 6}, day, log_dir=tmp_path / "log")
    log = json.loads((tmp_path / "log" / LOG_FILE).read_text())["intermediates"]
    assert [r["status"] for r in log] == ["computed", "reused", "computed", "computed"]


def test_frame_fingerprint_equal_for_equal_data_and_changes_with_any_value_name_dtype_or_row():
    # numbers, flags and times are hashed as their bytes, strings through pandas' hash: either way a changed
    # value, column name, dtype, row order or index changes the key, and a copy does not
    from clientlens.cache import frame_fingerprint

    df = pd.DataFrame({"x": [1.5, np.nan, -0.25], "n": [1, 2, 3], "b": [True, False, True],
                       "d": pd.to_datetime(["2026-01-01", "2026-02-01", None]),
                       "s": pd.Series(["a", None, "c"], dtype="str")})
    fp = frame_fingerprint(df)
    assert frame_fingerprint(df.copy()) == fp
    changed = [df.assign(x=[1.5, np.nan, -0.5]), df.assign(n=[1, 2, 4]), df.assign(b=[True, True, True]),
               df.assign(s=pd.Series(["a", None, "d"], dtype="str")), df.rename(columns={"x": "y"}),
               df.astype({"n": "int32"}), df.iloc[::-1], df.set_axis([5, 6, 7]),
               df.assign(d=pd.to_datetime(["2026-01-01", "2026-02-02", None]))]
    assert len({frame_fingerprint(c) for c in changed} | {fp}) == len(changed) + 1
