"""Strategy map (clientlens.strategy) and the 08_strategy report (issue 15)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from clientlens import ParamsError, config
from clientlens import strategy as S

MAP = config.PROJECT_ROOT / "params" / "strategy_map.yaml"


def _map(**changes) -> dict:
    data = yaml.safe_load(MAP.read_text(encoding="utf-8"))
    for i, ch in changes.get("edit", {}).items():
        data["strategies"][i].update(ch)
    return data


def test_demo_strategy_map_has_at_least_five_valid_strategies():
    smap = S.load_strategy_map(MAP)
    assert len(smap.strategies) >= 5
    assert [s.priority for s in smap.strategies] == sorted(s.priority for s in smap.strategies)
    assert all(s.product in S.PRODUCT_BALANCE_COLUMNS for s in smap.strategies)


@pytest.mark.parametrize("edit, message", [
    ({0: {"target": {"no_such_tag": True}}}, "unknown tag or column 'no_such_tag'"),
    ({0: {"product": "gold_bars"}}, "unknown product 'gold_bars'"),
    ({1: {"priority": 1}}, "share priority 1 in overlapping periods"),
    ({0: {"target": {"lifecycle_stage": ["teenage"]}}}, "unknown value(s) ['teenage'] for 'lifecycle_stage'"),
    ({0: {"goal": {"kpi": "happiness", "target": 1}}}, "unknown goal KPI 'happiness'"),
    ({0: {"control_share": 0}}, "control_share must be in (0, 1)"),
    ({0: {"channels": ["pigeon"]}}, "channels must be a non-empty list"),
])
def test_strategy_map_errors_are_one_line_naming_file_strategy_and_problem(edit, message):
    with pytest.raises(ParamsError) as exc:
        S.parse_strategy_map(_map(edit=edit), path="params/x.yaml")
    text = str(exc.value)
    assert "\n" not in text and text.startswith("params/x.yaml: ") and message in text


def test_same_priority_allowed_when_periods_do_not_overlap():
    data = _map(edit={1: {"priority": 1, "start": "2026-12-01", "end": "2026-12-31"}})
    assert len(S.parse_strategy_map(data).strategies) == len(data["strategies"])


def test_product_must_be_in_the_catalogue_when_one_is_given():
    with pytest.raises(ParamsError, match="unknown product 'fund'.*catalogue"):
        S.parse_strategy_map(_map(), products={"demand_deposit": {}, "wealth_mgmt": {}, "time_deposit": {},
                                               "insurance": {}})


def test_runner_checks_the_strategy_map_before_a_kernel(tmp_path):
    from clientlens.runner import plan_run

    bad = tmp_path / "map.yaml"
    bad.write_text(yaml.safe_dump(_map(edit={0: {"product": "gold_bars"}})), encoding="utf-8")
    with pytest.raises(ParamsError, match="unknown product 'gold_bars'"):
        plan_run("08_strategy", overrides={"strategy_map": str(bad)}, reports_dir=tmp_path, check_data=False)


def _toy_base(n=1000):
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "customer_id_masked": [f"K-{i:05d}" for i in range(n)],
        "lifecycle_stage": rng.choice(["growth", "maturity", "dormant"], n),
        "is_payroll": rng.random(n) < 0.5, "aum": rng.lognormal(10, 1, n), "age": rng.integers(20, 80, n),
        "marketing_opt_out": rng.random(n) < 0.05, "days_since_last_contact": np.where(rng.random(n) < 0.1, 5, 400)})


def _toy_map(**over):
    base = {"group": "g", "goal": {"kpi": "response_rate", "target": 0.01}, "product": "fund", "channels": ["app"],
            "script": "s", "capacity": 10_000, "control_share": 0.2}
    return S.parse_strategy_map({"period": {"start": "2026-11-01", "end": "2026-11-10"}, "strategies": [
        {**base, "name": "a", "priority": 1, "target": {"is_payroll": True}, **over.get("a", {})},
        {**base, "name": "b", "priority": 2, "target": {"lifecycle_stage": ["growth", "maturity"]},
         **over.get("b", {})}]})


def test_one_strategy_per_customer_by_priority_with_exact_random_controls():
    base = _toy_base()
    r = S.assign(base, _toy_map(), cooldown_days=30, seed=1)
    lists = r.lists
    assert not lists["customer_id_masked"].duplicated().any()
    f = r.funnel.set_index("strategy")
    opt, cool = base["marketing_opt_out"].to_numpy(), base["days_since_last_contact"].to_numpy() < 30
    a_ok = base["is_payroll"].to_numpy() & ~opt & ~cool
    assert f.loc["a", "treated"] + f.loc["a", "control"] == a_ok.sum()
    # b loses exactly the customers a took
    b_ok = base["lifecycle_stage"].isin(["growth", "maturity"]).to_numpy() & ~opt & ~cool
    assert f.loc["b", "on_higher_priority_list"] == (b_ok & a_ok).sum()
    for name, g in lists.groupby("strategy"):
        assert (g["group"] == "control").sum() == round(0.2 * len(g))
    again = S.assign(base, _toy_map(), cooldown_days=30, seed=1).lists
    pd.testing.assert_frame_equal(lists, again)


def test_capacity_and_channel_cap_limit_the_list():
    base = _toy_base()
    r = S.assign(base, _toy_map(a={"capacity": 50}), caps={"app": 10}, cooldown_days=0, seed=1)  # 100 app contacts
    f = r.funnel.set_index("strategy")
    assert f.loc["a", "treated"] + f.loc["a", "control"] == 50
    assert f.loc["a", "treated"] + f.loc["b", "treated"] <= 100
    assert r.channel_used["app"] <= r.channel_budget["app"] == 100
    assert f.loc["b", "treated"] == 100 - f.loc["a", "treated"]


def test_strategy_naming_an_absent_artefact_column_selects_nobody_with_a_reason():
    base = _toy_base()
    smap = _toy_map(b={"target": {"prob": {"min": 0.1}}})
    r = S.assign(base, smap, seed=1)
    assert r.funnel.set_index("strategy").loc["b", "eligible"] == 0
    assert "05_response_model" in r.skipped["b"]


def test_next_best_product_from_04_is_found_under_any_file_name(demo_small, tmp_path):
    """H14's next best product (04_clv) may be saved under its own file name: the base finds the column."""
    from clientlens.data import load_bank
    from clientlens.privacy import mask_ids

    bank = load_bank(demo_small)
    ids = bank.con.execute("SELECT customer_id FROM customers ORDER BY customer_id").df()["customer_id"]
    folder = tmp_path / "2026-10-31" / "04_clv_files"
    folder.mkdir(parents=True)
    nbp = pd.DataFrame({"customer_id_masked": mask_ids(ids.to_numpy()).to_numpy(),
                        "next_best_product": np.where(np.arange(len(ids)) % 2 == 0, "fund", "insurance")})
    nbp.to_parquet(folder / "offers.parquet", index=False)
    base, notes = S.build_base(bank, "2026-10-31", reports_dir=tmp_path)
    assert base["next_best_product"].notna().all() and (base["next_best_product"] == "fund").sum() == (len(ids) + 1) // 2
    assert not any("next_best_product" in n for n in notes)


@pytest.mark.slow
def test_strategy_report_renders_map_lists_and_controls_on_demo_small(demo_small, tmp_path):
    from clientlens.runner import run_notebook

    res = run_notebook("08_strategy", params_file=config.DEFAULT_PARAMS_FILE,
                       overrides={"data_dir": str(demo_small)}, reports_dir=tmp_path, progress=False)
    assert res.status == "ok", res.error
    html = res.report.read_text(encoding="utf-8")
    assert "Strategy map: customer groups x lifecycle stages" in html and "payroll_to_primary" in html
    lists = pd.read_parquet(tmp_path / "2026-10-31" / "08_strategy_files" / "strategy_lists.parquet")
    assert "customer_id" not in lists.columns and not lists["customer_id_masked"].duplicated().any()
    counts = lists.groupby("strategy")["group"].value_counts().unstack(fill_value=0)
    assert len(counts) >= 5 and (counts["control"] > 0).all() and (counts["treated"] > 0).all()


def test_strategy_lists_leave_out_customers_above_their_risk_level():
    """Suitability (issue 14): the toy map offers fund (R3): conservative customers (R1) never get it."""
    from clientlens.offers import Catalogue

    base = _toy_base()
    base["risk_appetite"] = np.random.default_rng(1).choice(["conservative", "balanced", "aggressive", None], len(base))
    cat = Catalogue.from_params()
    r = S.assign(base, _toy_map(), cooldown_days=30, seed=1, catalogue=cat)
    on = base.set_index("customer_id_masked").loc[r.lists["customer_id_masked"], "risk_appetite"]
    assert on.isin(["balanced", "aggressive"]).all()
    f = r.funnel.set_index("strategy")
    ok = base["risk_appetite"].isin(["balanced", "aggressive"]).to_numpy()
    assert f.loc["a", "unsuitable"] == (base["is_payroll"].to_numpy() & ~ok).sum()


def test_goals_and_money_columns_read_as_shares_and_money_in_en_and_zh(monkeypatch):
    """Issue 17: a goal is a share to 0.1% or money (whole units in en, 万 in zh), never '+0.05' or '+20000'; the
    coverage and uncovered tables' AUM and CLV columns are money."""
    from clientlens import i18n

    smap = S.load_strategy_map(MAP)
    goals = S.strategy_table(smap).set_index("priority")["goal"]
    assert goals[1] == "primary_account_rate +5.0%" and goals[2] == "aum_change +20,000"
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with i18n.using("zh"):
        goals = S.strategy_table(smap).set_index("priority")["goal"]
        assert goals[1] == "主账户率 +5.0%" and goals[2] == "AUM 变动 +2.00 万"
        cov = pd.DataFrame({"strategy": ["a"], "AUM eligible": [45_480_435.0], "clv on list": [4_172_363.0],
                            "uncovered_aum": [3_839_338.0], "eligible": [492]})
        fmt = S.money_formats(cov)
        assert set(fmt) == {"AUM eligible", "clv on list", "uncovered_aum"}
        assert [fmt[c](cov.at[0, c]) for c in fmt] == ["4,548.04 万", "417.24 万", "383.93 万"]
