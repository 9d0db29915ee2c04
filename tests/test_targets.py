"""Targets of the modelling chain (clientlens.targets, issue 12): the ``target`` parameter, the samples of the
bank-derived kinds against the demo's planted truth (truth/targets_truth.parquet), the leakage checks of the
binning, and 02 -> 05 -> 06 through ``clientlens run`` for each of the five kinds."""
from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from clientlens import ParamsError, lift, targets
from clientlens.binning import WoeBinner
from clientlens.data import load_bank
from test_data import run_cli

AS_OF = "2026-10-31"


# --------------------------------------------------------------------------- the parameter

def test_check_target_fills_defaults_and_refuses_bad_targets_in_one_line(tmp_path):
    t = targets.check_target({"kind": "asset_outflow"}, data_dir="data/demo")
    assert t == {"kind": "asset_outflow", "horizon_months": 3, "drop_share": 0.5, "min_aum": 50_000.0}
    assert targets.describe(targets.check_target({"kind": "primary_account_conversion"}, data_dir="x"))[
        "predicts"] == "converts to a primary account within 3 months"
    csv = tmp_path / "t.csv"
    pd.DataFrame({"编号": [1, 2], "是否流失": ["是", "否"]}).to_csv(csv, index=False)
    cases = [({"kind": "churn"}, "kind must be one of"), ("asset_outflow", "must be a dict"),
             ({"kind": "asset_outflow", "drop": 0.5}, "unknown key"),
             ({"kind": "asset_outflow", "drop_share": 1.5}, "drop_share must be in"),
             ({"kind": "product_uptake", "product": "gold"}, "product must be one of"),
             ({"kind": "table", "column": "是否流失"}, "'path' is required"),
             ({"kind": "table", "path": str(tmp_path / "none.csv"), "column": "y"}, "not found"),
             ({"kind": "table", "path": str(csv), "column": "流失"}, "column '流失' (column) not found"),
             ({"kind": "table", "path": str(csv), "column": "是否流失", "id": "客户号"}, "(id) not found")]
    for bad, msg in cases:
        with pytest.raises(ParamsError, match=re.escape(msg)) as e:
            targets.check_target(bad, data_dir="data/demo")
        assert "\n" not in str(e.value)
    with pytest.raises(ParamsError, match="data_dir must name"):
        targets.check_target({"kind": "asset_outflow"}, data_dir="")
    assert targets.check_target({"kind": "table", "path": str(csv), "column": "是否流失"}, data_dir="")["positive"] == 1


def test_bad_target_stops_the_run_with_exit_2_before_a_kernel(tmp_path, capsys):
    pf = tmp_path / "p.yaml"
    pf.write_text(yaml.safe_dump({"common": {"data_dir": "", "target": {"kind": "table", "path": "nope.csv",
                                                                         "column": "y"}}}), encoding="utf-8")
    rc, out, err = run_cli(capsys, "run", "05_response_model", "--params", pf, "--reports-dir", tmp_path / "r",
                           "--no-progress")
    assert rc == 2 and "target (table): file nope.csv not found" in err and "Traceback" not in err
    assert not (tmp_path / "r" / AS_OF / "05_response_model.html").exists()


def test_observation_dates_leave_both_label_windows_complete_by_as_of():
    me = list(pd.date_range("2024-11-30", "2026-10-31", freq="ME").date)
    d = targets.observation_dates(me, 3)
    # hand: T = 2026-10-31; out of time T - 3 months, development T - 6 months
    assert str(d["development"]) == "2026-04-30" and str(d["out_of_time"]) == "2026-07-31"
    short = targets.observation_dates(me[-8:], 3)   # 8 month-ends: one complete window only
    assert short["out_of_time"] is None and str(short["development"]) == "2026-07-31"
    assert "no out-of-time" in short["note"]


# --------------------------------------------------------------------------- leakage checks

def _leak_data(n=8000, seed=3):
    rng = np.random.default_rng(seed)
    contract = rng.choice(["monthly", "one_year", "two_year"], size=n, p=[0.5, 0.3, 0.2])
    x = rng.normal(size=n)
    logit = -1.0 + np.select([contract == "monthly", contract == "one_year"], [1.6, -0.6], -2.6) + 0.4 * x
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"contract": pd.array(contract, dtype="str"), "x": x,
                      "churn_copy": np.where(rng.random(n) < 0.03, 1 - y, y) + rng.normal(scale=0.2, size=n),
                      "closing_balance": x + rng.normal(size=n)})
    return X, y


def test_genuine_iv_above_half_is_kept_and_planted_leaks_are_dropped_with_their_reason():
    """A churn-like table: contract type drives churn (IV > 0.5, genuine); churn_copy is the target with 3% flipped
    and noise (single-variable AUC ~0.97); closing_balance is measured after the observation date."""
    X, y = _leak_data()
    b = WoeBinner(random_state=0, feature_dates={"closing_balance": "2026-12-31", "contract": "2026-06-30"},
                  obs_date="2026-06-30").fit(X, y)
    s = b.summary_.set_index("variable")
    assert s.at["contract", "iv"] > 0.5 and "contract" in b.selected_          # genuine: kept for review
    assert s.at["churn_copy", "iv"] > 0.5 and "churn_copy" not in b.selected_
    assert "leak found: single-variable AUC" in s.at["churn_copy", "reason"]
    checks = b.leakage_.set_index("variable")
    assert checks.at["contract", "decision"] == "kept for review" and checks.at["contract", "single_auc"] < 0.95
    assert checks.at["churn_copy", "single_auc"] >= 0.95
    # dated after the observation date: dropped even without a suspicious AUC (when its IV is above iv_max)
    b2 = WoeBinner(random_state=0, iv_min=0.0, iv_max=0.01, max_selected=None, feature_dates={"closing_balance": "2026-12-31"},
                   obs_date="2026-06-30").fit(X[["x", "closing_balance"]], y)
    assert "after the observation date" in b2.summary_.set_index("variable").at["closing_balance", "reason"]
    # the name check: a column repeating the target's name
    b3 = WoeBinner(random_state=0, target_name="churn").fit(X, y)
    assert "name repeats the target" in b3.summary_.set_index("variable").at["churn_copy", "reason"]
    # keep_suspicious=False still drops every variable above iv_max (the old behaviour)
    b4 = WoeBinner(random_state=0, keep_suspicious=False).fit(X, y)
    assert "contract" not in b4.selected_


# --------------------------------------------------------------------------- planted truth (20k demo)

@pytest.fixture(scope="module")
def medium_bank(demo_medium):
    return load_bank(demo_medium), pd.read_parquet(demo_medium / "truth" / "targets_truth.parquet").set_index(
        "customer_id")


@pytest.mark.parametrize("target,hazard", [
    ({"kind": "primary_account_conversion"}, "convert_hazard"),
    ({"kind": "asset_outflow"}, "outflow_hazard"),
    ({"kind": "product_uptake", "product": "fund"}, "fund_hazard")])
def test_top10_lift_is_at_least_80pct_of_planted_probability_lift(medium_bank, demo_medium, target, hazard):
    """docs/demo-bank.md: each target's event is planted with a monthly hazard; P(event within 3 months) =
    1 - (1 - hazard)^3. On the in-time validation rows, the scorecard's top-10% lift must reach 80% of the lift
    the true probabilities give on the same rows."""
    bank, truth = medium_bank
    tg = targets.check_target(target, data_dir=str(demo_medium))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = targets.build_sample(bank, tg, as_of=AS_OF, random_state=42)
        model = targets.fit_target_model(ts, tg, fit_challenger=False)
    assert set(ts.labels) == {"development", "validation", "out_of_time"}
    fa = ts.meta["features_as_of"]
    assert fa == {"development": "2026-04-30", "out_of_time": "2026-07-31"}
    val = ts.labels == "validation"
    y = ts.frame["target"].to_numpy()[val]
    assert y.sum() >= 50
    p_true = 1 - (1 - truth.loc[ts.frame["customer_id"][val], hazard].to_numpy()) ** 3
    model_lift = lift.lift_at(y, model["samples"]["prob"].to_numpy()[val], 0.1)
    true_lift = lift.lift_at(y, p_true, 0.1)
    assert true_lift > 1.5
    assert model_lift >= 0.8 * true_lift, (model_lift, true_lift)
    # the scoring base is the eligible population at as_of
    assert len(ts.base) > 1000 and "customer_id" in ts.base


# --------------------------------------------------------------------------- 02 -> 05 -> 06 for each kind

def _chinese_table(path, n=3000, seed=11):
    """A flat churn table with Chinese column names: 合约类型 a genuine strong driver (IV > 0.5), 流失标记副本 a
    noisy copy of the target (a leak), 销户日期 dated after the observation date (a leak), -999 special codes."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["月付", "一年", "两年"], size=n, p=[0.5, 0.3, 0.2])
    tenure = rng.integers(1, 72, size=n)
    income = np.round(np.exp(rng.normal(9, 0.5, size=n)), -1)
    logit = -1.2 + np.select([contract == "月付", contract == "一年"], [1.5, -0.5], -2.5) - 0.02 * tenure
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    obs = pd.Timestamp("2025-01-31") + pd.to_timedelta(rng.integers(0, 365, size=n), "D")
    close = np.where(y, (obs + pd.to_timedelta(rng.integers(5, 60, size=n), "D")).strftime("%Y-%m-%d"), "")
    df = pd.DataFrame({
        "客户编号": [f"K{i:06d}" for i in range(n)], "观察日期": obs.strftime("%Y-%m-%d"),
        "是否流失": np.where(y, "是", "否"), "合约类型": contract, "在网月数": tenure,
        "月收入": np.where(rng.random(n) < 0.1, -999, income), "城市": rng.choice(["上海", "北京", "成都"], size=n),
        "流失标记副本": np.where(rng.random(n) < 0.03, ~y, y).astype(int) + rng.normal(scale=0.2, size=n),
        "销户日期": close, "备注": "无"})
    df.to_csv(path, index=False, encoding="utf-8")
    return df


# campaign_response (the default target) runs 02 -> 05 -> 06 with the default params file in
# test_runner.py::test_run_all_every_notebook_on_demo_small; the other four kinds run here.
KINDS = {
    "primary_account_conversion": {"kind": "primary_account_conversion", "horizon_months": 3},
    "asset_outflow": {"kind": "asset_outflow", "horizon_months": 3, "drop_share": 0.5, "min_aum": 10000},
    "product_uptake": {"kind": "product_uptake", "product": "fund", "horizon_months": 3},
    "table": None,
}


@pytest.mark.slow(seconds=55)
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_target_kind_runs_binning_model_and_validation_through_clientlens_run(kind, demo_small, tmp_path,
                                                                                    capsys):
    if kind == "table":
        csv = tmp_path / "流失宽表.csv"
        _chinese_table(csv)
        target = {"kind": "table", "path": str(csv), "column": "是否流失", "positive": "是", "id": "客户编号",
                  "date": "观察日期", "exclude": ["备注"]}
        common = {"data_dir": "", "target": target}
        extra = {"02_binning": {"special_codes": [-999]}}
    else:
        common = {"data_dir": str(demo_small), "target": KINDS[kind]}
        extra = {"02_binning": {"min_event_count": 20}}
    pf = tmp_path / "params.yaml"
    pf.write_text(yaml.safe_dump({"common": common, **extra}, allow_unicode=True), encoding="utf-8")
    reports = tmp_path / "reports"
    for nb in ("02_binning", "05_response_model", "06_model_validation"):
        rc, out, err = run_cli(capsys, "run", nb, "--params", pf, "--reports-dir", reports, "--no-progress")
        assert rc == 0, (nb, err[-3000:])
        html = (reports / AS_OF / f"{nb}.html").read_text(encoding="utf-8")
        assert "Provenance" in html
    words = targets.describe(targets.check_target(common["target"], data_dir=common["data_dir"]))
    m05 = (reports / AS_OF / "05_response_model.html").read_text(encoding="utf-8")
    import html as _h

    assert _h.escape(words["predicts"]) in m05 or words["predicts"] in m05   # 05 states the target in its words
    m06 = (reports / AS_OF / "06_model_validation.html").read_text(encoding="utf-8")
    assert _h.escape(words["predicts"]) in m06                              # so does 06
    assert ("Labelled benchmark" in m06) == (kind == "primary_account_conversion")   # 36% / 3.6x only there
    assert "36%" not in m06 or kind == "primary_account_conversion"
    sc = pd.read_parquet(reports / AS_OF / "05_response_model_files" / "scored_sample.parquet")
    assert {"sample", "target", "prob", "score"} <= set(sc.columns)
    assert set(sc["sample"]) <= {"development", "validation", "out_of_time"} and "validation" in set(sc["sample"])
    assert set(sc["target"].unique()) == {0, 1} and "customer_id" not in sc.columns
    if kind in ("primary_account_conversion", "asset_outflow", "product_uptake", "table"):
        assert "out_of_time" in set(sc["sample"]) and "obs_date" in sc.columns
    if kind == "table":
        b02 = (reports / AS_OF / "02_binning.html").read_text(encoding="utf-8")
        for col in ("客户编号", "观察日期", "是否流失", "合约类型", "在网月数", "月收入", "城市", "流失标记副本", "销户日期", "备注"):
            assert col in b02, col                       # every column listed with its fate
        assert "dated after the observation date" in b02 and "leak found" in b02
        summ = pd.read_parquet(reports / AS_OF / "02_binning_files" / "iv_summary.parquet").set_index("variable")
        assert summ.at["合约类型", "selected"] and summ.at["合约类型", "iv"] > 0.5
        assert not summ.at["流失标记副本", "selected"]
        lst = pd.read_csv(reports / AS_OF / "05_response_model_files" / "marketing_list.csv")
        assert len(lst) > 2000 and "reason_1" in lst.columns
    manifest = json.loads((reports / AS_OF / "05_response_model.manifest.json").read_text())
    assert manifest["status"] == "ok"


def test_leak_auc_outside_half_to_one_is_refused():
    """leak_auc is an AUC threshold: 0.5 or below would call every informative variable a leak."""
    from clientlens.params import check_rules

    with pytest.raises(ParamsError, match="leak_auc"):
        check_rules({"leak_auc": 0.4})
    check_rules({"leak_auc": 0.95})


@pytest.mark.slow
def test_optional_contract_columns_stay_optional_in_the_list_and_the_tasks(demo_small, tmp_path, capsys):
    """Without customers.marketing_opt_out and transactions.category, 05 and 07 run: the rules that need them
    are skipped with a note in the report, not an error."""
    import shutil

    bank = tmp_path / "bank"
    shutil.copytree(demo_small, bank)
    c = pd.read_parquet(bank / "customers.parquet")
    c.drop(columns=["marketing_opt_out"]).to_parquet(bank / "customers.parquet", index=False)
    t = pd.read_parquet(bank / "transactions.parquet")
    t.drop(columns=["category"]).to_parquet(bank / "transactions.parquet", index=False)
    reports = tmp_path / "reports"
    for nb in ("05_response_model", "07_event_triggers"):
        rc, out, err = run_cli(capsys, "run", nb, "-p", f"data_dir={bank}", "--reports-dir", reports, "--no-progress")
        assert rc == 0, (nb, err[-2000:])
    m05 = (reports / AS_OF / "05_response_model.html").read_text(encoding="utf-8")
    assert "No marketing_opt_out column: the opt-out rule is skipped" in m05 and "rule skipped" in m05
    m07 = (reports / AS_OF / "07_event_triggers.html").read_text(encoding="utf-8")
    assert "Opt-out rule skipped" in m07
    assert "skipped: transactions have no 'category' column" in m07.replace("&#x27;", "'")


# --------------------------------------------------------------------------- texts in the report's language

def test_texts_of_the_bank_and_table_targets_read_in_chinese_in_a_zh_report(tmp_path, monkeypatch):
    """Issue 17: what 02/05/06 show about a target other than campaign_response (its words, the split and
    observation notes, the table's notes and column fates) comes from the catalogue in zh (strict: none
    missing), with the domain's terms; English unchanged."""
    from clientlens import i18n
    from clientlens.binning import BinningSamples  # noqa: F401 - binning_samples builds one

    cjk = re.compile(r"[\u4e00-\u9fff]")
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    me = list(pd.date_range("2024-11-30", "2026-10-31", freq="ME").date)
    with i18n.using("zh"):
        for kind, spec in KINDS.items():
            if spec:
                words = targets.describe(targets.check_target(spec, data_dir="x"))
                assert all(cjk.search(words[k]) for k in ("predicts", "title", "population", "events", "rate")), words
        assert targets.describe({**KINDS["product_uptake"]})["title"] == "产品响应：基金"
        oot, short = targets.observation_dates(me, 3)["note"], targets.observation_dates(me[-8:], 3)["note"]
        assert oot.startswith("跨时间验证：模型基于 2026-04-30 观察的客户开发") and "无跨时间验证" in short
        csv = tmp_path / "流失宽表.csv"
        _chinese_table(csv)
        tgt = targets.check_target({"kind": "table", "path": str(csv), "column": "是否流失", "positive": "是",
                                    "id": "客户编号", "date": "观察日期", "exclude": ["备注"]})
        ts = targets.build_sample(None, tgt, as_of=AS_OF)
        assert ts.notes[0].startswith("自有建模表 流失宽表.csv：3,000 行，10 列；目标变量“是否流失” = '是'")
        assert "样本划分：跨时间：日期在" in ts.notes[0] and ts.meta["observation_note"].startswith("样本划分：")
        assert set(targets.binning_samples(ts).info["source"]) == {"开发样本", "验证保留样本", "跨时间样本"}
        summary = pd.DataFrame({"variable": ts.features, "iv": 0.2, "reason": "all values missing"})
        fates = targets.column_fates(ts, summary, selected=["合约类型"]).set_index("column")
        assert fates.at["合约类型", "reason"] == "IV 0.200" and fates.at["城市", "reason"] == "全部缺失"
        assert fates.at["是否流失", "role"] == "target variable"     # a category word: the table shows 目标变量
        assert fates.at["销户日期", "reason"].startswith("泄露：") and fates.at["观察日期", "role"] == "observation date"
        assert i18n.value("target variable") == "目标变量" and i18n.value("selected by the binning") == "分箱筛选入选"
        assert not [r for r in fates["reason"] if re.search(r"[a-z]{4,}", r)]     # no English sentence left
        from clientlens.samples import describe_meta

        assert describe_meta(ts.meta).startswith("“是否流失 = 是”的开发样本（观察日：建模表中的日期；随机留出 30%")
        bank_meta = {**ts.meta, "features_as_of": {"development": "2026-04-30", "out_of_time": "2026-07-31"},
                     "oot_date": "2026-07-31"}
        assert "观察日：开发样本 2026-04-30, 跨时间样本 2026-07-31；" in describe_meta(bank_meta)
        assert "跨时间样本自 2026-07-31 起）" in describe_meta(bank_meta)
    ts = targets.build_sample(None, tgt, as_of=AS_OF)
    assert ts.notes[0].startswith("Own modelling table 流失宽表.csv: 3,000 rows, 10 columns; target '是否流失' = '是'")
    assert targets.observation_dates(me, 3)["note"].startswith("Out-of-time validation: the model is developed")
    from clientlens.samples import describe_meta

    assert describe_meta(ts.meta).startswith("development sample of '是否流失 = 是' (observed at the table dates; random")
