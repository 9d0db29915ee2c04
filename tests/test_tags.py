"""Tests of clientlens.tags: every tag rule on hand-made wide tables, the demo's planted truth,
and a Chinese-named extract through the whole path.

References: the rules of ../shared/domain.md (primary account: > 5 key transactions in each
month; auto sweep / auto debit / > 5 products; NOT payroll retention < 0.2 in three
consecutive months), docs/demo-bank.md (lifecycle and quadrant rules, planted truth).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientlens import DataError, ParamsError
from clientlens.data import load_bank
from clientlens.features import build_wide_table
from clientlens.tags import (CATEGORIES, TAG_CATEGORIES, TagRules, build_tags, rfm_quintile, tag_catalog,
                             tag_coverage, value_tiers)

AS_OF = "2026-10-31"


def wide_rows(*rows: dict) -> pd.DataFrame:
    """A minimal wide table: neutral defaults, overridden per row."""
    base = dict(tenure_days=1000.0, days_since_last_out=5.0, days_since_last_txn=5.0, n_txn_90d=10,
                n_txn_365d=40, amt_out_365d=1000.0, aum=50_000.0, aum_avg_3m=50_000.0, aum_avg_prev6m=50_000.0,
                aum_trend=1.0, income_monthly=10_000.0, deposit_share=1.0, investment_share=0.0,
                n_products=2, auto_sweep=0, auto_debit=0, key_txn_m0=10, key_txn_m1=10, key_txn_m2=10,
                payroll_retention_m0=0.5, payroll_retention_m1=0.5, payroll_retention_m2=0.5)
    out = []
    for i, r in enumerate(rows):
        out.append({"customer_id": f"X{i:03d}", **base, **r})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- lifecycle

def test_lifecycle_rule_first_match_wins_demo_bank_md():
    w = wide_rows(
        dict(tenure_days=179, days_since_last_out=np.nan),   # contact beats dormant
        dict(tenure_days=180, days_since_last_out=180),      # tenure 180 is not contact; 180 days -> dormant
        dict(days_since_last_out=179, aum_trend=1.2),        # out 179 days ago -> not dormant; ratio 1.2 -> growth
        dict(aum_trend=1.1999),                              # maturity
        dict(aum_trend=0.8),                                 # decline (<= 0.8)
        dict(aum_trend=0.8001),                              # maturity
        dict(days_since_last_out=np.nan),                    # never an 'out' -> dormant
        dict(aum_trend=np.nan),                              # no base period -> maturity
    )
    assert build_tags(w)["lifecycle_stage"].tolist() == [
        "contact", "dormant", "growth", "maturity", "decline", "maturity", "dormant", "maturity"]


def test_lifecycle_thresholds_from_params():
    w = wide_rows(dict(aum_trend=1.3), dict(tenure_days=200))
    t = build_tags(w, {"growth_ratio": 1.5, "contact_days": 365})
    assert t["lifecycle_stage"].tolist() == ["maturity", "contact"]
    assert t["lifecycle_simple"].tolist() == ["retain", "acquire"]


# --------------------------------------------------------------------------- primary account

def test_primary_account_exactly_five_key_transactions_is_not_primary():
    w = wide_rows(dict(key_txn_m0=6, key_txn_m1=6, key_txn_m2=6, auto_debit=1),
                  dict(key_txn_m0=6, key_txn_m1=5, key_txn_m2=6, auto_debit=1),
                  dict(key_txn_m0=5, key_txn_m1=5, key_txn_m2=5, auto_debit=1))
    t = build_tags(w)
    assert t["is_primary_account"].tolist() == [True, False, False]
    assert t["primary_active"].tolist() == [True, False, False]


def test_primary_account_condition_two_sweep_debit_or_more_than_five_products():
    w = wide_rows(dict(auto_sweep=1), dict(auto_debit=1), dict(n_products=6), dict(n_products=5), dict())
    assert build_tags(w)["is_primary_account"].tolist() == [True, True, True, False, False]


def test_primary_account_retention_exactly_point_two_is_not_low():
    w = wide_rows(dict(auto_debit=1, payroll_retention_m0=0.2, payroll_retention_m1=0.2, payroll_retention_m2=0.2),
                  dict(auto_debit=1, payroll_retention_m0=0.1999, payroll_retention_m1=0.1,
                       payroll_retention_m2=0.0))
    t = build_tags(w)
    assert t["is_primary_account"].tolist() == [True, False]
    assert t["payroll_moved_out"].tolist() == [False, True]


def test_primary_account_two_versus_three_consecutive_low_months():
    w = wide_rows(
        dict(auto_debit=1, payroll_retention_m0=0.1, payroll_retention_m1=0.1, payroll_retention_m2=0.5),
        dict(auto_debit=1, payroll_retention_m0=0.1, payroll_retention_m1=0.5, payroll_retention_m2=0.1),
        dict(auto_debit=1, payroll_retention_m0=0.1, payroll_retention_m1=0.1, payroll_retention_m2=0.1),
        dict(auto_debit=1, payroll_retention_m0=np.nan, payroll_retention_m1=np.nan,
             payroll_retention_m2=np.nan),   # no payroll: condition 3 holds
    )
    assert build_tags(w)["is_primary_account"].tolist() == [True, True, False, True]
    # with a two-month rule the first row fails too (m0, m1 consecutive), the second does not
    assert build_tags(w, {"primary_low_months": 2})["is_primary_account"].tolist() == [False, True, False, True]


# --------------------------------------------------------------------------- quadrant and value

def test_quadrant_thresholds_and_missing_income_is_low_potential():
    w = wide_rows(dict(aum=100_000, income_monthly=15_000), dict(aum=100_000, income_monthly=14_999.99),
                  dict(aum=99_999.99, income_monthly=15_000), dict(aum=0, income_monthly=np.nan),
                  dict(aum=500_000, income_monthly=np.nan))
    assert build_tags(w)["quadrant"].tolist() == [
        "high_value_high_potential", "high_value_low_potential", "low_value_high_potential",
        "low_value_low_potential", "high_value_low_potential"]


def test_quadrant_action_follows_domain_brief():
    w = wide_rows(
        dict(aum=200_000, income_monthly=20_000),                               # hv hp, not primary
        dict(aum=200_000, income_monthly=20_000, auto_debit=1),                 # hv hp primary, deposit-heavy
        dict(aum=200_000, income_monthly=5_000, deposit_share=0.5),             # deposit-heavy (>= 0.5)
        dict(aum=200_000, income_monthly=5_000, deposit_share=0.3, investment_share=0.7),  # wealth-heavy
        dict(aum=1_000, income_monthly=20_000),                                 # lv hp not primary
        dict(aum=1_000, income_monthly=20_000, auto_debit=1),                   # lv hp primary
        dict(aum=1_000, income_monthly=5_000),                                  # lv lp
    )
    assert build_tags(w)["quadrant_action"].tolist() == [
        "convert_to_primary", "retention_watch", "retention_watch", "redemption_watch", "convert_to_primary",
        "maintain", "no_action"]


def test_value_tiers_by_cumulative_aum_share_ties_by_id():
    aum = pd.Series([50.0, 30.0, 10.0, 5.0, 5.0, 0.0])
    ids = pd.Series(["a", "b", "c", "e", "d", "f"])
    # share before each, largest first: a 0, b .5, c .8, d .9, e .95 (d before e on ties), f 1.0
    assert value_tiers(aum, ids, (0.8, 0.95)).tolist() == ["high", "high", "medium", "low", "medium", "low"]


def test_rfm_quintiles_recent_is_five_ties_share_a_score():
    assert rfm_quintile(pd.Series(range(1, 11))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # recency: fewer days is better; no transaction (NaN) is the worst
    r = rfm_quintile(pd.Series([1.0, 2, 3, 4, np.nan]), higher_is_better=False)
    assert r.tolist() == [5, 4, 3, 2, 1]
    # ties: all equal -> one score (average rank n/2 + .5 -> pct .55 -> ceil(2.75) = 3)
    assert rfm_quintile(pd.Series([7.0] * 10)).tolist() == [3] * 10


def test_rfm_score_weights_tier_and_segment():
    w = wide_rows(*[dict(days_since_last_txn=float(i), n_txn_365d=i, amt_out_365d=float(i)) for i in range(1, 11)])
    t = build_tags(w, {"rfm_weights": [1, 0, 0]})
    assert t["rfm_r"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert t["rfm_score"].tolist() == t["rfm_r"].astype(float).tolist()
    t = build_tags(w)  # 0.3 R + 0.3 F + 0.4 M; row 0: R5 F1 M1 -> 1.5 + .3 + .4 = 2.2
    assert t.loc[0, "rfm_score"] == pytest.approx(2.2)
    assert t.loc[0, "rfm_tier"] == "low" and t.loc[9, "rfm_tier"] == "medium"  # row 9: 0.3+1.5+2 = 3.8
    assert t.loc[0, "rfm_segment"] == "general_develop"   # R high, F low, M low
    assert t.loc[9, "rfm_segment"] == "important_retain"  # R low, F high, M high


# --------------------------------------------------------------------------- other categories

def test_bands_channel_activity_and_marketing_tags():
    w = wide_rows(
        dict(age=24, income_monthly=np.nan, n_txn_90d=0, share_mobile=0.6, share_branch=0.4,
             n_contacts_365d=3, n_responses_365d=0, days_since_last_contact=30.0),
        dict(age=25, income_monthly=15_000, n_txn_90d=5, share_mobile=0.3, share_branch=0.3, share_online=0.4,
             n_contacts_365d=3, n_responses_365d=1, days_since_last_contact=31.0),
        dict(age=65, income_monthly=30_000, n_txn_90d=6, share_mobile=0.0, share_branch=0.0,
             n_contacts_365d=0, n_responses_365d=0, days_since_last_contact=np.nan),
    )
    t = build_tags(w)
    assert t["age_band"].tolist() == ["<25", "25-34", "65+"]
    assert t["income_band"].tolist() == ["unknown", "15k-30k", "30k+"]
    assert t["activity_level"].tolist() == ["inactive", "low", "active"]
    assert t["channel_preference"].tolist() == ["mobile", "mixed", "none"]
    assert t["is_digital"].tolist() == [True, True, False]
    assert t["marketing_fatigue"].tolist() == [True, False, False]
    assert t["contact_recency"].tolist() == ["<=30d", "31-90d", "never"]


def test_every_tag_has_a_category_and_rule():
    assert set(TAG_CATEGORIES.values()) == set(CATEGORIES) and len(CATEGORIES) == 8
    cat = tag_catalog()
    assert (cat["rule"].str.len() > 0).all() and len(cat) == len(TAG_CATEGORIES)


def test_bad_params_raise_one_line_errors():
    w = wide_rows(dict())
    with pytest.raises(ParamsError, match="unknown tag rule parameter"):
        build_tags(w, {"growth": 1.2})
    with pytest.raises(ParamsError, match="growth_ratio must be > decline_ratio"):
        build_tags(w, {"growth_ratio": 0.7})
    with pytest.raises(ParamsError, match="primary_low_months"):
        TagRules.from_params({"primary_low_months": 4})
    with pytest.raises(DataError, match="customer_id"):
        build_tags(w.drop(columns="customer_id"))


# --------------------------------------------------------------------------- demo truth

@pytest.fixture(scope="module")
def demo_tags(demo_medium):
    wide = build_wide_table(load_bank(demo_medium), AS_OF)
    tags = build_tags(wide)
    truth = pd.read_parquet(demo_medium / "truth" / "customers_truth.parquet")
    return tags.merge(truth, on="customer_id", suffixes=("", "_truth"), validate="one_to_one")


def test_demo_lifecycle_shares_match_planted_truth_within_3_points(demo_tags):
    ours = demo_tags["lifecycle_stage"].value_counts(normalize=True)
    truth = demo_tags["lifecycle_stage_truth"].value_counts(normalize=True)
    for stage in ("contact", "growth", "maturity", "decline", "dormant"):
        assert abs(ours.get(stage, 0) - truth.get(stage, 0)) <= 0.03, stage


def test_demo_quadrant_shares_match_planted_truth_within_2_points(demo_tags):
    # truth uses true income; ours sees 5-15% blanked income as low potential, hence a tolerance
    ours = demo_tags["quadrant"].value_counts(normalize=True)
    truth = demo_tags["quadrant_truth"].value_counts(normalize=True)
    for q in truth.index:
        assert abs(ours.get(q, 0) - truth[q]) <= 0.02, q


def test_demo_primary_account_agrees_with_planted_truth(demo_tags):
    agree = (demo_tags["is_primary_account"].astype(bool) == demo_tags["is_primary_account_truth"]).mean()
    assert agree >= 0.99
    assert demo_tags["is_primary_account_truth"].sum() > 0


def test_demo_tag_coverage_table(demo_tags):
    tags = demo_tags[["customer_id"] + [c for c in TAG_CATEGORIES if c in demo_tags]]
    cov = tag_coverage(tags)
    assert set(cov["category"]) == set(CATEGORIES)
    assert cov.set_index("tag").loc["lifecycle_stage", "coverage"] == 1.0
    # income is blanked for 5-15% of demo customers
    assert 0.85 <= cov.set_index("tag").loc["income_band", "coverage"] <= 0.95


# --------------------------------------------------------------------------- Chinese path

def test_chinese_column_names_and_values_survive_load_wide_tags(tmp_path):
    cust = pd.DataFrame({
        "客户号": ["甲001", "乙002"], "出生日期": ["1980-01-15", "1995年06月01日"], "性别": ["女", "男"],
        "职业": ["职员", "退休"], "月收入": ["20,000", ""], "城市": ["上海", "北京"], "开户日期": ["2018/03/01", "2026-09-01"],
        "风险偏好": ["稳健型", "保守型"], "代发薪": ["是", "否"]})
    cust.to_csv(tmp_path / "customers.csv", index=False, encoding="utf-8")
    rows = [("甲001", "2026-10-0%d" % d, "100", "转出", "手机银行", "消费") for d in range(1, 8)]
    rows += [("甲001", "2026-09-0%d" % d, "50", "转出", "柜面", "转账") for d in range(1, 8)]
    rows += [("甲001", "2026-08-0%d" % d, "10", "转出", "手机银行", "消费") for d in range(1, 8)]
    rows += [("甲001", "2026-10-10", "20000", "转入", "网银", "工资"), ("乙002", "2026-10-20", "300", "转入", "柜面", "转账")]
    pd.DataFrame(rows, columns=["客户号", "交易日期", "金额", "方向", "渠道", "类别"]).to_csv(
        tmp_path / "transactions.csv", index=False, encoding="utf-8")
    bal = pd.DataFrame({"客户号": ["甲001", "乙002"], "月末": ["2026-10-31", "2026-10-31"],
                        "活期": [150_000, 100], "定期": [0, 0], "理财": [0, 0], "基金": [0, 0], "保险": [0, 0],
                        "资产": [150_000, 100], "产品数": [3, 1], "自动归集": ["否", "否"], "代扣": ["是", "否"]})
    bal.to_csv(tmp_path / "monthly_balances.csv", index=False, encoding="utf-8")
    column_map = {
        "customers": {"客户号": "customer_id", "出生日期": "birth_date", "性别": "gender", "职业": "occupation",
                      "月收入": "income_monthly", "城市": "city", "开户日期": "open_date", "风险偏好": "risk_appetite",
                      "代发薪": "payroll_flag"},
        "transactions": {"客户号": "customer_id", "交易日期": "txn_date", "金额": "amount", "方向": "direction",
                         "渠道": "channel", "类别": "category"},
        "monthly_balances": {"客户号": "customer_id", "月末": "month_end", "活期": "demand_deposit",
                             "定期": "time_deposit", "理财": "wealth_mgmt", "基金": "fund", "保险": "insurance",
                             "资产": "aum", "产品数": "n_products", "自动归集": "auto_sweep", "代扣": "auto_debit"},
    }
    value_map = {"transactions": {"direction": {"转入": "in", "转出": "out"},
                                  "channel": {"手机银行": "mobile", "网银": "online", "柜面": "branch"},
                                  "category": {"消费": "consumption", "转账": "transfer", "工资": "salary"}}}
    bank = load_bank(tmp_path, column_map=column_map, value_map=value_map)
    wide = build_wide_table(bank, AS_OF).set_index("customer_id")
    assert set(wide.index) == {"甲001", "乙002"}
    assert wide.loc["甲001", "city"] == "上海" and wide.loc["乙002", "occupation"] == "退休"
    # 90-day window is 2026-08-03 .. 2026-10-31: Aug 1 and Aug 2 fall outside -> 7 + 7 + 5 'out' rows
    assert wide.loc["甲001", "n_out_90d"] == 19 and wide.loc["甲001", "n_mobile_90d"] == 12 and wide.loc["甲001", "amt_salary_30d"] == 20_000
    assert wide.loc["甲001", "income_monthly"] == 20_000 and np.isnan(wide.loc["乙002", "income_monthly"])
    # 7 key rows in each of Aug, Sep, Oct (salary excluded) + auto debit -> primary
    assert (wide.loc["甲001", "key_txn_m0"], wide.loc["甲001", "key_txn_m1"]) == (7, 7)
    tags = build_tags(wide.reset_index()).set_index("customer_id")
    assert tags.loc["甲001", "city"] == "上海" and tags.loc["甲001", "gender"] == "女"
    assert tags.loc["甲001", "risk_appetite"] == "稳健型" and tags.loc["乙002", "occupation"] == "退休"
    assert bool(tags.loc["甲001", "is_primary_account"]) and not bool(tags.loc["乙002", "is_primary_account"])
    assert tags.loc["甲001", "quadrant"] == "high_value_high_potential"
    assert tags.loc["乙002", "lifecycle_stage"] == "contact"
    # the tag table round-trips through Parquet with its Chinese values
    tags.reset_index().to_parquet(tmp_path / "tags.parquet")
    back = pd.read_parquet(tmp_path / "tags.parquet")
    assert set(back["city"]) == {"上海", "北京"}


# --------------------------------------------------------------------------- the 01_profile report

def _run_profile(data_dir, out_dir, tmp_path):
    import papermill as pm

    from clientlens import config

    executed = tmp_path / "01_profile_out.ipynb"
    pm.execute_notebook(str(config.NOTEBOOKS_DIR / "01_profile.ipynb"), str(executed), kernel_name="clientlens",
                        parameters={"data_dir": str(data_dir), "output_dir": str(out_dir)},
                        cwd=str(config.PROJECT_ROOT), progress_bar=False)
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    text = "\n".join(str(o.get("data", {}).get("text/html", "")) + str(o.get("data", {}).get("text/markdown", ""))
                     + str(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    return text


def test_profile_notebook_runs_on_demo_small_without_showing_ids(demo_small, tmp_path):
    out = tmp_path / "art"
    text = _run_profile(demo_small, out, tmp_path)
    tags = pd.read_parquet(out / "tags.parquet")
    wide = pd.read_parquet(out / "wide.parquet")
    assert len(tags) == len(wide) == 3_000 and tags["customer_id_masked"].str.startswith("K-").all()
    # artefacts follow the report's rule: no raw ids unless allow_raw_ids
    assert "customer_id" not in tags.columns and "customer_id" not in wide.columns
    ids = set(pd.read_parquet(demo_small / "customers.parquet")["customer_id"])
    shown = {tok for tok in pd.Series(text.replace("<", " ").replace(">", " ").split()).unique() if tok in ids}
    assert not shown, f"raw ids shown: {sorted(shown)[:3]}"
    for heading_value in ("Lifecycle stages side by side", "Quadrants side by side", "RFM segments side by side",
                          "Tag library coverage", "Marketing activity"):
        assert heading_value in text


def test_profile_notebook_skips_missing_optional_tables(demo_small, tmp_path):
    data = tmp_path / "bank"
    data.mkdir()
    for t in ("customers", "transactions"):
        (data / f"{t}.parquet").symlink_to(demo_small / f"{t}.parquet")
    text = _run_profile(data, tmp_path / "art", tmp_path)
    assert "Skipped: no campaigns table" in text and "Skipped: the quadrant needs AUM" in text
    tags = pd.read_parquet(tmp_path / "art" / "tags.parquet")
    assert "quadrant" not in tags and set(tags["lifecycle_stage"]) <= {"contact", "dormant", "active"}


def test_segment_summary_sizes_and_aum_share_by_hand():
    from clientlens.tags import segment_summary

    w = wide_rows(dict(aum=300.0, n_txn_90d=1), dict(aum=100.0, n_txn_90d=3), dict(aum=600.0, n_txn_90d=0,
                                                                                   days_since_last_out=np.nan))
    t = build_tags(w)
    s = segment_summary(w, t, "lifecycle_stage", metrics=("aum", "n_txn_90d"), order=["maturity", "dormant"])
    assert s["lifecycle_stage"].tolist() == ["maturity", "dormant"]
    assert s["customers"].tolist() == [2, 1] and s["aum_share"].tolist() == pytest.approx([0.4, 0.6])
    assert s["mean_aum"].tolist() == pytest.approx([200.0, 600.0])
    with pytest.raises(ParamsError, match="by must be a tag column"):
        segment_summary(w, t, "nope")


@pytest.mark.parametrize("as_of", ["2026-10-31", "2026-03-31"])
def test_tags_read_only_their_inputs_and_equal_the_full_tables_tags_on_demo_small(demo_small, as_of):
    """Reference: build_tags on the full wide table. Every column build_tags looks at (item or membership)
    is recorded: all are in TAG_INPUTS, a share_ column or the rules' RFM columns; tags_as_of gives the same tags."""
    from clientlens.tags import TAG_INPUTS, tag_input_columns, tags_as_of

    bank = load_bank(demo_small)
    wide = build_wide_table(bank, as_of)
    rules = TagRules(rfm_frequency_col="n_txn_90d", rfm_monetary_col="amt_out_90d")
    seen: set = set()
    get, has = pd.DataFrame.__getitem__, pd.DataFrame.__contains__

    def record(frame, key):
        if frame.shape[1] == wide.shape[1] and list(frame.columns) == list(wide.columns):
            seen.update([key] if isinstance(key, str) else [k for k in key if isinstance(k, str)]
                        if isinstance(key, list) else [])

    try:
        pd.DataFrame.__getitem__ = lambda self, key: (record(self, key), get(self, key))[1]
        pd.DataFrame.__contains__ = lambda self, key: (record(self, key), has(self, key))[1]
        full_tags = build_tags(wide, rules)
    finally:
        pd.DataFrame.__getitem__, pd.DataFrame.__contains__ = get, has
    read = seen & set(wide.columns)
    assert read <= set(tag_input_columns(wide.columns, rules)), sorted(read - set(tag_input_columns(wide.columns, rules)))
    assert {"n_txn_90d", "amt_out_90d"} <= read and not read - set(TAG_INPUTS) - {"n_txn_90d", "amt_out_90d"} \
        - {c for c in read if c.startswith("share_")}
    tags, narrow = tags_as_of(bank, as_of, rules)
    assert narrow.shape[1] < wide.shape[1] / 2
    pd.testing.assert_frame_equal(tags, full_tags, check_exact=True)
