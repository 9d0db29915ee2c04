"""Post-evaluation (clientlens.uplift, clientlens.postevaluation) and the 09 report (issue 15)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clientlens import config
from clientlens import postevaluation as P
from clientlens import uplift as U
from clientlens.data import is_in, load_bank
from clientlens.tags import TagRules


def test_qini_coefficient_matches_hand_computation_radcliffe_2007():
    """Radcliffe (2007), 'Using control groups to target on predicted lift': Q(k) = R_t(k) - R_c(k) N_t(k)/N_c(k).

    Eight customers in score order (T/C, response): T1 C0 T1 C1 T0 C0 T0 C0. Q(k) for k = 1..8:
    0 (no control yet), 1, 2, 2 - 1*2/2 = 1, 2 - 3/2 = 0.5, 1, 2 - 4/3, 1. Divided by N = 8 and
    integrated by trapezoids over x = k/8: 0.8333 * 0.125 = 0.104167; the random line from 0 to Q(8)/8 =
    0.125 has area 0.0625; the coefficient is the difference, 1/24.
    """
    t = np.array([1, 0, 1, 0, 1, 0, 1, 0], bool)
    y = np.array([1, 0, 1, 1, 0, 0, 0, 0])
    s = np.arange(8, 0, -1)
    curve = U.qini_curve(y, t, s)
    assert curve["qini"].to_numpy() * 8 == pytest.approx([0, 0, 1, 2, 1, 0.5, 1, 2 - 4 / 3, 1])
    assert U.qini_coefficient(y, t, s) == pytest.approx(1 / 24)
    # reversing the order of a score that ranks the uplift first turns the coefficient negative
    assert U.qini_coefficient(y, t, -s) < 0


def test_uplift_by_ntile_groups_have_equal_size_and_newcombe_intervals():
    rng = np.random.default_rng(3)
    n = 4000
    t = rng.random(n) < 0.7
    s = rng.random(n)
    y = (rng.random(n) < 0.05 + 0.1 * t * (s > 0.5)).astype(int)
    tab = U.uplift_by_ntile(y, t, s, n=10)
    assert (tab["customers"] == 400).all()
    assert (tab["ci_low"] <= tab["uplift"]).all() and (tab["uplift"] <= tab["ci_high"]).all()
    assert tab.loc[tab["ntile"] <= 5, "uplift"].mean() > tab.loc[tab["ntile"] > 5, "uplift"].mean() + 0.05


def test_migration_matrix_rows_sum_to_the_customers_of_the_earlier_date(demo_small):
    bank = load_bank(demo_small)
    earlier, counts, flows = P.migration(bank, "2026-10-31", 6, "lifecycle_stage", TagRules())
    assert str(earlier) == "2026-04-30"
    n_earlier = bank.con.execute("SELECT count(DISTINCT customer_id) FROM monthly_balances b JOIN customers c "
                                 "USING (customer_id) WHERE month_end = DATE '2026-04-30' AND "
                                 "c.open_date <= DATE '2026-04-30'").fetchone()[0]
    assert counts.to_numpy().sum() == n_earlier
    truth = pd.read_parquet(demo_small / "truth" / "migration_truth.parquet")
    # rows = the stage at the earlier date: each row sums to that stage's customers then
    expected = truth["stage_earlier"].value_counts()
    for stage, row in counts.iterrows():
        assert row.sum() == pytest.approx(expected.get(stage, 0), abs=0.02 * n_earlier), stage
    # the planted migration: as-of stages per earlier stage agree with the truth for >= 95% of customers
    planted = pd.crosstab(truth["stage_earlier"], truth["stage_as_of"]).reindex_like(counts).fillna(0)
    assert np.abs(counts.to_numpy() - planted.to_numpy()).sum() / n_earlier <= 0.05
    assert flows.shape == counts.shape


@pytest.fixture(scope="module")
def executions(demo_medium):
    bank = load_bank(demo_medium)
    win = P.evaluation_window("2026-10-31", "2026-05-01", "2026-05-31", 2, 12)
    U.customer_months(bank, win["first_month_end"], win["last_month_end"])
    camps = P.pick_campaigns(bank, win["period_start"], win["period_end"])
    out = U.campaign_outcomes(bank, camps, win["before"], win["after"])
    truth = {e["campaign_id"]: e for e in
             json.loads((demo_medium / "truth" / "truth.json").read_text())["strategy_executions"]}
    return {"camps": camps, "outcomes": out, "cmp": U.compare_groups(out), "truth": truth}


def test_post_evaluation_recovers_the_planted_strategy_effects(executions):
    """Planted in the demo (docs/demo-bank.md): S-PAYROLL +8 points of response, S-DORMANT none, S-WEALTH
    +14 points only for customers with AUM >= 100,000 before contact. 95% Newcombe intervals."""
    assert set(executions["camps"]) == set(executions["truth"])
    c = executions["cmp"].set_index(["campaign_id", "kpi"])
    works = c.loc[("S-PAYROLL-2605", "response_rate")]
    assert works["ci_low"] > 0 and works["ci_low"] <= 0.08 <= works["ci_high"]
    null = c.loc[("S-DORMANT-2605", "response_rate")]
    assert null["ci_low"] <= 0 <= null["ci_high"]
    # incremental AUM of the working strategy: the interval holds the planted 0.08 x 20,000 per treated customer
    aum = c.loc[("S-PAYROLL-2605", "aum_change")]
    truth = executions["truth"]["S-PAYROLL-2605"]["incremental_aum_per_treated"]
    assert aum["ci_low"] <= truth <= aum["ci_high"]


def test_sub_group_effect_shows_in_uplift_by_decile(executions):
    """S-WEALTH works only above 100,000 AUM before contact. Deciles of pre-period AUM entirely above it:
    pooled uplift within 0.05 of the planted 0.14, interval above 0; deciles entirely below: interval holds 0;
    and the Qini coefficient of that score is above 0 (bootstrap interval)."""
    o = executions["outcomes"]
    w = o[o["campaign_id"] == "S-WEALTH-2605"].dropna(subset=["aum_before"]).reset_index(drop=True)
    tab = U.uplift_by_ntile(w["response_rate"], w["treated"], w["aum_before"], n=10)
    above = tab.loc[tab["min_score"] >= 100_000, "ntile"]
    below = tab.loc[tab["max_score"] < 100_000, "ntile"]
    assert len(above) >= 2 and len(below) >= 2
    tile = U.ntiles(w["aum_before"], 10)
    hi = U.compare_groups(w[np.isin(tile, above)], kpis=["response_rate"]).iloc[0]
    lo = U.compare_groups(w[np.isin(tile, below)], kpis=["response_rate"]).iloc[0]
    assert hi["ci_low"] > 0 and abs(hi["difference"] - 0.14) <= 0.05
    assert lo["ci_low"] <= 0 <= lo["ci_high"]
    assert tab.loc[tab["ntile"].isin(above), "uplift"].min() > tab.loc[tab["ntile"].isin(below), "uplift"].max() - 0.05
    q = U.qini_bootstrap(w["response_rate"].to_numpy(), w["treated"].to_numpy(), w["aum_before"].to_numpy(),
                         n_boot=50, random_state=1)
    assert q["ci_low"] > 0


def test_goal_dashboard_verdicts_on_a_hand_made_table():
    cmp = pd.DataFrame({"campaign_id": ["a", "b", "c", "d"], "kpi": "response_rate",
                        "difference": [0.06, 0.01, 0.01, -0.01], "ci_low": [0.03, -0.01, -0.01, -0.03],
                        "ci_high": [0.09, 0.03, 0.06, 0.01]})
    goals = {k: {"kpi": "response_rate", "target": 0.05} for k in "abcd"}
    d = U.goal_dashboard(cmp, goals).set_index("campaign_id")["verdict"]
    assert d.to_dict() == {"a": "PASS", "b": "FAIL", "c": "WARN", "d": "FAIL"}


def test_dashboard_reads_rounded_ids_unbroken_and_aum_scores_as_money_in_zh(monkeypatch):
    """Issue 17: the dashboard's effect and target rounded for reading (a share to 0.1%, AUM change per customer
    as money: whole units in en, 万 in zh), campaign ids never broken at their hyphen, the AUM score columns of the
    uplift table as money."""
    from clientlens import i18n, report

    cmp = pd.DataFrame({"campaign_id": ["FD-2026-09", "FD-2026-09"], "kpi": ["response_rate", "aum_change"],
                        "difference": [0.0634, 23456.7], "ci_low": [0.031, 1200.0], "ci_high": [0.09, 40000.0]})
    goals = {"FD-2026-09": {"kpi": "response_rate", "target": 0.05}, "WM-2026-09": {"kpi": "aum_change", "target": 20000}}
    dash = U.goal_dashboard(cmp, goals)
    rows = P.dashboard_checks(dash)
    assert rows[["check", "kpi", "value", "threshold", "verdict"]].values.tolist() == [
        ["FD-2026-09", "response rate", "6.3%", ">= 5.0%", "PASS"], ["WM-2026-09", "AUM change", "–", ">= 20,000", "FAIL"]]
    html = report.verdict_table_html(rows, nowrap=["check"])
    assert "white-space:nowrap'>FD-2026-09</td>" in html and html.count("nowrap") == 2
    assert P.dashboard_checks(U.goal_dashboard(cmp, {"FD-2026-09": {"kpi": "aum_change", "target": 20000}})
                              )["value"].tolist() == ["23,457"]
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with i18n.using("zh"):
        zh = P.dashboard_checks(U.goal_dashboard(cmp, {"FD-2026-09": {"kpi": "aum_change", "target": 20000}}))
        assert zh[["value", "threshold"]].values.tolist() == [["2.35 万", ">= 2.00 万"]]
        dec = pd.DataFrame({"ntile": [1, 2], "min_score": [1_234_567.0, 45_600.0], "max_score": [9e6, 1e6]})
        table = report.table_html(dec, fmt=P.score_formats("aum_before"), nowrap=["ntile"])
        assert ">123.46 万<" in table and ">4.56 万<" in table and "white-space: nowrap" in table
    assert P.score_formats("prob") == {}
    tvc = report.table_html(cmp, nowrap=P.ID_COLUMNS)
    assert "white-space: nowrap" in tvc and "white-space: nowrap" not in report.table_html(cmp)
    with pytest.raises(Exception, match="not in the table"):
        report.table_html(cmp, nowrap=["campaign"])


def test_goal_dashboard_traffic_lights(executions):
    goals = {"S-PAYROLL-2605": {"kpi": "response_rate", "target": 0.05},
             "S-DORMANT-2605": {"kpi": "response_rate", "target": 0.02}}
    d = U.goal_dashboard(executions["cmp"], goals).set_index("campaign_id")
    assert d.loc["S-PAYROLL-2605", "verdict"] == "PASS"
    # the null strategy: its interval (about -1.5 to +1.4 points on the 20k demo) lies below the 2-point goal
    assert d.loc["S-DORMANT-2605", "verdict"] == "FAIL"


@pytest.mark.slow
def test_post_evaluation_report_runs_on_demo_small(demo_small, tmp_path):
    from clientlens.runner import run_notebook

    res = run_notebook("09_post_evaluation", params_file=config.DEFAULT_PARAMS_FILE,
                       overrides={"data_dir": str(demo_small), "n_boot": 20}, reports_dir=tmp_path, progress=False)
    assert res.status == "ok", res.error
    html = res.report.read_text(encoding="utf-8")
    assert "Strategy goals vs measured effects" in html and "Qini" in html
    cmp = pd.read_parquet(tmp_path / "2026-10-31" / "09_post_evaluation_files" / "treated_vs_control.parquet")
    assert set(cmp["campaign_id"]) == {"S-PAYROLL-2605", "S-DORMANT-2605", "S-WEALTH-2605"}


@pytest.mark.parametrize("dtype", ["str", object])
def test_arrow_is_in_equals_pandas_isin(dtype):
    # is_in (Arrow, fast at 1M ids; migration's filter of the earlier date's customers) must select exactly what
    # pandas' isin selects, missing ids included
    ids = pd.Series(["C01", "C02", None, "C04", "C05", "C02"], dtype=dtype)
    among = pd.Series(["C02", "C05", "C09", None], dtype=dtype)
    got = is_in(ids, among)
    assert got.dtype == bool and got.tolist() == ids.isin(among).tolist() == [False, True, True, False, True, True]
    assert not is_in(ids, among.iloc[:0]).any()
    # indexes too (04's count of segment rows matched to valued customers)
    assert is_in(pd.Index(ids, dtype=dtype), pd.Index(among, dtype=dtype)).tolist() == ids.isin(among).tolist()


def test_uplift_score_named_in_words_in_both_languages():
    from clientlens import i18n

    try:
        i18n.set_language("zh")
        assert P.score_label("aum_before") == "活动前 AUM" and P.score_label("prob") == "响应模型的响应概率"
    finally:
        i18n.set_language("en")
    assert P.score_label("aum_before") == "pre-period AUM" and P.score_label("other") == "other"
