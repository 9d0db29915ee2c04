"""Tests of clientlens.features: the customer wide table and the campaign frame.

References: hand computations on a tiny hand-made bank (every expected number is
worked out in the comments), docs/demo-bank.md for the planted truth.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clientlens import DataError, ParamsError
from clientlens.data import load_bank
from clientlens import features
from clientlens.features import build_wide_table, campaign_frame, month_windows

AS_OF = "2026-10-31"


def make_tiny(d: Path):
    d.mkdir(parents=True, exist_ok=True)
    cust = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3"],
        "birth_date": pd.to_datetime(["1980-11-01", "1990-10-31", None]),
        "gender": ["F", "M", None], "education": ["bachelor", None, "college"],
        "occupation": ["employee", "retired", "student"], "income_monthly": [20000.0, None, 3000.0],
        "city": ["Shanghai", "Beijing", "Shanghai"], "open_date": pd.to_datetime(["2020-01-01", "2026-08-01", "2026-10-01"]),
        "risk_appetite": ["balanced", "conservative", None], "payroll_flag": [True, False, False],
        "channel_mobile": [True, False, True], "channel_online": [False, False, False],
        "channel_phone": [False, True, False], "channel_branch": [False, True, False], "marketing_opt_out": [False, False, True]})
    cust.to_parquet(d / "customers.parquet")
    tx = pd.DataFrame([
        ("T1", "C1", "2026-10-31", 100.0, "out", "mobile", "consumption"),
        ("T2", "C1", "2026-10-02", 50.0, "out", "pos", "consumption"),
        ("T3", "C1", "2026-10-01", 1000.0, "in", "online", "salary"),
        ("T4", "C1", "2026-08-15", 20.0, "out", "branch", "transfer"),
        ("T5", "C1", "2025-11-01", 5.0, "out", "atm", "other"),
        ("T6", "C1", "2025-10-31", 7.0, "out", "atm", "other"),
        ("T7", "C1", "2026-11-01", 999.0, "out", "mobile", "consumption"),
        ("T8", "C2", "2026-09-30", 300.0, "in", "branch", "transfer"),
    ], columns=["txn_id", "customer_id", "txn_date", "amount", "direction", "channel", "category"])
    tx["txn_date"] = pd.to_datetime(tx["txn_date"])
    tx.to_parquet(d / "transactions.parquet")
    rows = []
    me = pd.date_range("2025-10-31", "2026-11-30", freq="ME")
    for i, m in enumerate(me):
        mi = 12 - i  # 2026-10-31 -> 0; 2026-11-30 -> -1
        aum = 100.0 * (13 - mi) if mi >= 0 else 99999.0
        rows.append(dict(customer_id="C1", month_end=m, demand_deposit=aum / 2, time_deposit=0.0, wealth_mgmt=aum / 2,
                         fund=0.0, insurance=0.0, loan=0.0, credit_card=0.0, aum=aum, n_products=3,
                         auto_sweep=False, auto_debit=(mi == 0), payroll_amount=1000.0,
                         payroll_retention={0: 0.1, 1: 0.2, 2: 0.1}.get(mi, 0.5)))
    for m, aum in (("2026-09-30", 300.0), ("2026-10-31", 500.0)):
        rows.append(dict(customer_id="C2", month_end=pd.Timestamp(m), demand_deposit=aum, time_deposit=0.0, wealth_mgmt=0.0,
                         fund=0.0, insurance=0.0, loan=0.0, credit_card=0.0, aum=aum, n_products=1,
                         auto_sweep=False, auto_debit=False, payroll_amount=None, payroll_retention=None))
    pd.DataFrame(rows).to_parquet(d / "monthly_balances.parquet")
    camp = pd.DataFrame([("CAMP1", "C1", "2026-06-01", "sms", "model", 1, "fund"),
                         ("CAMP1", "C2", "2026-06-03", "sms", "control", 0, "fund"),
                         ("CAMP2", "C1", "2026-11-15", "app", "model", None, "card")],
                        columns=["campaign_id", "customer_id", "contact_date", "channel", "group", "response", "product"])
    camp["contact_date"] = pd.to_datetime(camp["contact_date"])
    camp["response"] = camp["response"].astype("Int64")
    camp.to_parquet(d / "campaigns.parquet")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tiny_bank")
    make_tiny(d)
    return d


@pytest.fixture(scope="module")
def tiny_wide(tiny_dir) -> pd.DataFrame:
    return build_wide_table(load_bank(tiny_dir), AS_OF).set_index("customer_id")


def test_one_row_per_customer_including_customers_without_transactions(tiny_wide):
    assert list(tiny_wide.index) == ["C1", "C2", "C3"]
    c3 = tiny_wide.loc["C3"]
    assert c3["n_txn_365d"] == 0 and c3["amt_out_365d"] == 0.0 and c3["n_contacts_total"] == 0
    assert np.isnan(c3["days_since_last_txn"]) and np.isnan(c3["aum_avg_3m"])
    assert c3["aum"] == 0.0 and c3["n_products"] == 0


def test_demographics_by_hand(tiny_wide):
    # C1 born 1980-11-01: on 2026-10-31 the birthday is one day away -> 45, not 46
    assert tiny_wide.loc["C1", "age"] == 45
    # C2 born 1990-10-31: birthday on the as-of date -> 36
    assert tiny_wide.loc["C2", "age"] == 36
    # tenure: 2026-10-31 - 2026-08-01 = 91 days
    assert tiny_wide.loc["C2", "tenure_days"] == 91
    assert tiny_wide.loc["C1", "payroll_flag"] == 1 and tiny_wide.loc["C3", "marketing_opt_out"] == 1


def test_transaction_windows_by_hand(tiny_wide):
    c1 = tiny_wide.loc["C1"]
    # C1 rows, d = days before as-of: T1 d=0 out 100 mobile, T2 d=29 out 50 pos, T3 d=30 in 1000 salary,
    # T4 d=77 out 20 branch, T5 d=364 out 5 atm, T6 d=365 out 7 atm (outside 365d), T7 after as-of (ignored)
    assert (c1["n_txn_30d"], c1["n_out_30d"], c1["amt_out_30d"], c1["n_in_30d"]) == (2, 2, 150.0, 0)
    assert (c1["n_txn_90d"], c1["amt_in_90d"], c1["amt_out_90d"]) == (4, 1000.0, 170.0)
    assert (c1["n_txn_365d"], c1["amt_out_365d"], c1["n_txn_total"]) == (5, 175.0, 6)
    assert (c1["n_mobile_30d"], c1["n_pos_30d"], c1["n_atm_365d"]) == (1, 1, 1)
    assert (c1["n_consumption_30d"], c1["amt_consumption_30d"], c1["amt_salary_90d"]) == (2, 150.0, 1000.0)
    assert (c1["days_since_last_txn"], c1["days_since_last_in"], c1["days_since_first_txn"]) == (0, 30, 365)
    # calendar months with a transaction among Nov 2025 .. Oct 2026: Oct 2026, Aug 2026, Nov 2025
    assert c1["active_months_12m"] == 3
    # key (non-salary) rows per calendar month: Oct 2 (T1, T2), Sep 0, Aug 1 (T4)
    assert (c1["key_txn_m0"], c1["key_txn_m1"], c1["key_txn_m2"]) == (2, 0, 1)
    assert c1["share_mobile"] == pytest.approx(1 / 5)
    c2 = tiny_wide.loc["C2"]
    assert np.isnan(c2["days_since_last_out"]) and c2["days_since_last_in"] == 31 and c2["amt_in_90d"] == 300.0


def test_as_of_cutoff_excludes_later_rows(tiny_dir):
    bank = load_bank(tiny_dir)
    w = build_wide_table(bank, "2026-10-30").set_index("customer_id")
    # T1 (2026-10-31) and T7 (2026-11-01) are after 2026-10-30; d shifts by one day
    assert w.loc["C1", "n_txn_30d"] == 2  # T2 d=28, T3 d=29
    assert w.loc["C1", "amt_out_30d"] == 50.0
    assert w.loc["C1", "n_txn_total"] == 5
    assert w.loc["C1", "days_since_last_txn"] == 28
    # balance snapshot 2026-10-31 is after the as-of date: reference month-end is 2026-09-30 (aum 1200)
    assert w.loc["C1", "aum"] == 1200.0
    assert w.loc["C1", "balance_month_end"] == pd.Timestamp("2026-09-30")


def test_balances_averages_and_trend_by_hand(tiny_wide):
    c1 = tiny_wide.loc["C1"]
    # C1 aum at k month-ends back = 100 * (13 - k): 1300, 1200, 1100, ... 100; the 2026-11-30 row is ignored
    assert c1["aum"] == 1300.0 and c1["aum_avg_3m"] == 1200.0
    assert c1["aum_avg_6m"] == pytest.approx((1300 + 1200 + 1100 + 1000 + 900 + 800) / 6)
    assert c1["aum_avg_12m"] == pytest.approx(np.mean([100 * (13 - k) for k in range(12)]))
    assert c1["aum_avg_prev6m"] == pytest.approx(750.0)   # k = 3..8: 1000 .. 500
    assert c1["aum_trend"] == pytest.approx(1.6)
    assert c1["aum_change_12m"] == 1200.0                 # 1300 - 100
    assert (c1["has_demand_deposit"], c1["has_wealth_mgmt"], c1["has_fund"]) == (1, 1, 0)
    assert c1["n_product_types"] == 2 and c1["n_products"] == 3  # table's own count wins
    assert (c1["auto_debit"], c1["auto_sweep"]) == (1, 0)
    assert (c1["payroll_retention_m0"], c1["payroll_retention_m1"], c1["payroll_retention_m2"]) == (0.1, 0.2, 0.1)
    assert c1["deposit_share"] == 0.5 and c1["investment_share"] == 0.5
    # value contribution: AUM 1300 / (1300 + 500 + 0)
    assert c1["aum_share"] == pytest.approx(1300 / 1800)
    # C2 only has two month-ends: averages over its months on book, no base period -> no trend
    c2 = tiny_wide.loc["C2"]
    assert c2["aum_avg_3m"] == 400.0 and np.isnan(c2["aum_avg_prev6m"]) and np.isnan(c2["aum_trend"])


def test_campaign_aggregates_by_hand(tiny_wide):
    c1 = tiny_wide.loc["C1"]
    # CAMP1 2026-06-01 responded; CAMP2 2026-11-15 is after the as-of date
    assert (c1["n_contacts_365d"], c1["n_responses_365d"], c1["n_contacts_total"]) == (1, 1, 1)
    assert c1["days_since_last_contact"] == 152


def test_campaign_frame_uses_features_as_of_day_before_first_contact(tiny_dir):
    bank = load_bank(tiny_dir)
    cf = campaign_frame(bank, "CAMP1")
    assert cf.attrs["features_as_of"] == "2026-05-31"
    assert list(cf.columns[:5]) == ["customer_id", "campaign_id", "contact_date", "group", "response"]
    c1 = cf.set_index("customer_id").loc["C1"]
    # as of 2026-05-31 only T5 (2025-11-01, d=211) and T6 (2025-10-31, d=212) exist
    assert c1["n_txn_total"] == 2 and c1["days_since_last_txn"] == 211 and c1["n_txn_30d"] == 0
    # balance snapshot of 2026-05-31 (k = 5 back from 2026-10-31): 100 * (13 - 5) = 800
    assert c1["aum"] == 800.0
    # the campaign's own contact is not counted in its features
    assert c1["n_contacts_total"] == 0
    assert c1["response"] == 1 and cf.set_index("customer_id").loc["C2", "group"] == "control"
    cf2 = campaign_frame(bank, "CAMP1", feature_lag_days=30)
    assert cf2.attrs["features_as_of"] == "2026-05-02"


def test_bad_inputs_raise_clear_errors(tiny_dir):
    bank = load_bank(tiny_dir)
    with pytest.raises(ParamsError, match="windows"):
        build_wide_table(bank, AS_OF, windows=(0, 30))
    with pytest.raises(ParamsError, match="as_of"):
        build_wide_table(bank, "2026-13-01")
    with pytest.raises(DataError, match="NOPE"):
        campaign_frame(bank, "NOPE")
    with pytest.raises(ParamsError, match="feature_lag_days"):
        campaign_frame(bank, "CAMP1", feature_lag_days=0)


def test_optional_tables_absent_drop_their_columns(tmp_path):
    make_tiny(tmp_path)
    (tmp_path / "monthly_balances.parquet").unlink()
    (tmp_path / "campaigns.parquet").unlink()
    w = build_wide_table(load_bank(tmp_path), AS_OF)
    assert "aum" not in w and "n_contacts_365d" not in w and "payroll_retention_m0" not in w
    assert w.set_index("customer_id").loc["C1", "n_txn_90d"] == 4


def test_custom_windows_and_month_anchors(tiny_dir):
    w = build_wide_table(load_bank(tiny_dir), AS_OF, windows=(7, 60)).set_index("customer_id")
    assert w.loc["C1", "n_txn_7d"] == 1 and w.loc["C1", "n_txn_60d"] == 3  # d=0; d=0, 29, 30
    assert "n_txn_30d" not in w
    a = month_windows("2026-06-14")  # mid-month: m0 is May 2026
    assert a["m0_month"].isoformat() == "2026-05-01" and a["as_of_month"].isoformat() == "2026-06-01"


def test_same_input_same_output(tiny_dir):
    bank = load_bank(tiny_dir)
    pd.testing.assert_frame_equal(build_wide_table(bank, AS_OF), build_wide_table(bank, AS_OF))


def test_sql_kept_together_as_strings(tiny_dir):
    plan = features.wide_table_sql(load_bank(tiny_dir), AS_OF)
    assert "GROUP BY customer_id" in plan.transactions and "FROM transactions" in plan.transactions
    assert "FROM monthly_balances" in plan.balances and "FROM campaigns" in plan.campaigns


def test_demo_medium_wide_table_matches_truth_counts(demo_medium):
    bank = load_bank(demo_medium)
    w = build_wide_table(bank, AS_OF)
    n_cust = bank.con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    assert len(w) == n_cust and w["customer_id"].is_unique
    truth = pd.read_parquet(demo_medium / "truth" / "customers_truth.parquet")
    # truth n_txn_days = distinct days with an 'out' row; no transaction at all -> NaN recency in the wide table
    m = w.merge(truth[["customer_id", "n_txn_days"]], on="customer_id")
    none = m["n_txn_total"] == 0
    assert m.loc[none, "days_since_last_txn"].isna().all()
    assert (m.loc[m["n_txn_days"] > 0, "days_since_last_out"].notna()).all()
    # totals agree with a direct count over the table
    total = bank.con.execute(f"SELECT count(*) FROM transactions WHERE txn_date <= DATE '{AS_OF}'").fetchall()[0][0]
    assert w["n_txn_total"].sum() == total


def test_concentration_top_share_and_gini_by_hand():
    from clientlens.features import concentration

    # nine customers with 1 and one with 91: the top 20% (2 customers) hold 92 of 100;
    # Gini = sum |xi - xj| / (2 n^2 mean) = 2 * 9 * 90 / (2 * 100 * 10) = 0.81
    r = concentration([1] * 9 + [91], top_share=0.2)
    assert r["top_share"] == pytest.approx(0.92) and r["gini"] == pytest.approx(0.81)
    assert r["lorenz"]["value_share"].iloc[-1] == pytest.approx(1.0)
    equal = concentration([5.0] * 10)
    assert equal["gini"] == pytest.approx(0.0) and equal["top_share"] == pytest.approx(0.2)
    with pytest.raises(ParamsError, match="top_share"):
        concentration([1, 2], top_share=1.5)


def test_data_quality_flags_missing_constant_duplicate_and_extreme_values():
    from clientlens.features import data_quality

    rng = np.random.default_rng(0)
    n = 200
    aum = np.exp(rng.normal(10, 1, n))
    aum[0] = aum.max() * 1e4                       # one extreme AUM
    wide = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "aum": aum,
                         "income_monthly": np.where(np.arange(n) < 20, np.nan, 8000.0 + np.arange(n)),  # 10% missing
                         "flag": 1, "copy_of_aum": aum, "days_since_last_txn": np.nan})
    q = data_quality(wide)
    assert q["constant"] == ["flag", "days_since_last_txn"]
    assert q["duplicates"] == [("copy_of_aum", "aum")]
    assert q["outliers"].set_index("column").loc["aum", "n_outliers"] == 1
    assert any(w.startswith("income_monthly: 10.0%") for w in q["warnings"])
    # derived columns empty by design do not warn
    assert not any(w.startswith("days_since_last_txn") for w in q["warnings"])


def test_data_quality_lists_expected_findings_once_as_by_design_not_as_warnings():
    """A constant has_demand_deposit and ages beyond the IQR fences but inside 18-100 are by design;
    an age of 140 or another constant column still warns (the split can fail)."""
    from clientlens.features import data_quality

    rng = np.random.default_rng(1)
    n = 300
    age = np.concatenate([rng.normal(40, 5, n - 3), [85.0, 87.0, 19.0]])
    wide = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "age": age, "has_demand_deposit": True})
    q = data_quality(wide)
    assert q["outliers"].set_index("column").loc["age", "n_outliers"] >= 2
    assert q["warnings"] == []
    assert len(q["by_design"]) == 2 and q["by_design"][0].startswith("has_demand_deposit")
    assert q["by_design"][1].startswith("age:") and "18-100" in q["by_design"][1]
    bad = wide.assign(age=np.r_[age[:-1], 140.0], has_fund=False)
    qb = data_quality(bad)
    assert any(w.startswith("age:") for w in qb["warnings"])
    assert any("constant column(s), no information: has_fund" in w for w in qb["warnings"])
    assert data_quality(wide, plausible_age=None, constant_by_design=())["by_design"] == []


# the scorecard's variables on the demo (06's month-end tables), and sets touching every column group and
# every kind of transaction look-back (windows, calendar months, 12 months, all history)
COLUMN_SETS = [
    ["amt_out_90d", "demand_deposit_avg_3m", "key_txn_m0", "n_mobile_90d", "n_wealth_purchase_90d", "aum_avg_prev6m",
     "key_txn_m1", "key_txn_m2", "n_branch_90d", "amt_consumption_30d"],
    ["active_months_12m", "share_mobile", "aum_pct_rank"],
    ["aum_share"],
    ["days_since_first_txn", "n_contacts_365d", "days_since_last_contact"],
    ["age", "gender", "tenure_days"],
    [],
    ["balance_month_end", "has_fund", "n_products", "aum_trend", "aum_change_12m", "deposit_share",
     "payroll_retention_m2", "auto_sweep", "n_txn_365d"],
]


@pytest.mark.parametrize("as_of", ["2026-10-31", "2026-06-17", "2026-02-28"])
def test_requested_columns_equal_the_full_tables_columns_on_demo_small(demo_small, as_of):
    """Reference: the full wide table of the same bank and date; a subset must match it to the last bit."""
    bank = load_bank(demo_small)
    full = build_wide_table(bank, as_of)
    for cols in COLUMN_SETS:
        got = build_wide_table(bank, as_of, columns=list(reversed(cols)))
        pd.testing.assert_frame_equal(got, full[["customer_id"] + [c for c in full.columns if c in cols]],
                                      check_exact=True, obj=str(cols))


def test_requested_columns_read_only_their_tables_and_transaction_dates(demo_small):
    bank = load_bank(demo_small)
    plan = features.wide_table_sql(bank, AS_OF, columns=["n_mobile_90d", "key_txn_m2", "aum_avg_prev6m"])
    sql = features.plan_sql(plan)
    assert plan.sources == ("c", "t", "b") and "FROM campaigns" not in sql
    assert "txn_date >= DATE '2026-08-01'" in plan.transactions           # key_txn_m2: August (90 days: Aug 3)
    assert "n_txn_365d" not in plan.transactions and "aum_12m_ago" not in plan.balances
    assert "txn_date >= " not in features.wide_table_sql(bank, AS_OF, columns=["days_since_first_txn"]).transactions
    assert features.wide_table_sql(bank, AS_OF, columns=["age"]).sources == ("c",)
    full = features.wide_table_sql(bank, AS_OF)
    assert full.columns is None and "txn_date >= " not in full.transactions and "n_txn_365d" in full.transactions
    with pytest.raises(ParamsError, match=r"columns: \['n_txn_180d'\] not in the wide table"):
        build_wide_table(bank, AS_OF, columns=["n_txn_180d", "aum"])


def test_wide_table_columns_lists_the_tables_columns_without_building_it(demo_small):
    bank = load_bank(demo_small)
    for as_of in ("2026-10-31", "2025-01-15"):
        assert features.wide_table_columns(bank, as_of) == list(build_wide_table(bank, as_of).columns)


@pytest.mark.parametrize("as_of", ["2026-10-31", "2026-02-28"])
def test_customer_subset_equals_the_full_tables_rows_on_demo_small(demo_small, as_of):
    """Reference: the full wide table's rows of the same customers, to the last bit; ``aum_share`` and
    ``aum_pct_rank`` stay shares and ranks of the whole base, an id outside ``customers`` is ignored."""
    bank = load_bank(demo_small)
    full = build_wide_table(bank, as_of)
    some = full["customer_id"].sample(200, random_state=7).tolist()
    got = build_wide_table(bank, as_of, customers=[*some, "NOT-A-CUSTOMER", some[0]])
    want = full[full["customer_id"].isin(some)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    narrow = build_wide_table(bank, as_of, customers=some, columns=["aum_pct_rank", "n_txn_90d"])
    pd.testing.assert_frame_equal(narrow, want[["customer_id", "n_txn_90d", "aum_pct_rank"]], check_exact=True)
    assert build_wide_table(bank, as_of, customers=[]).empty
    assert not [v for v in bank.con.execute("SHOW TABLES").fetchall() if v[0].startswith("_wide_only_")]


@pytest.mark.parametrize("max_share", [1.0, 0.0])
def test_campaign_frame_reads_the_contacts_alone_with_the_full_tables_values(demo_small, monkeypatch, max_share):
    """Reference: the contacts merged with the full wide table as of the feature date (the former build),
    whether the contacts' rows are read alone (a small share of the base) or the whole table is."""
    monkeypatch.setattr(features, "SUBSET_MAX_SHARE", max_share)
    bank = load_bank(demo_small)
    got = campaign_frame(bank, "FD2026")
    full = build_wide_table(bank, got.attrs["features_as_of"])
    want = got[["customer_id"]].merge(full, on="customer_id", how="left")
    pd.testing.assert_frame_equal(got[want.columns].reset_index(drop=True), want, check_exact=True)
    assert len(got) < len(full) / 2


@pytest.mark.parametrize("cols", [None, ["n_out_90d", "n_txn_total", "aum", "deposit_share", "payroll_amount_m0",
                                         "amt_transfer_30d", "active_months_12m", "key_txn_m1", "aum_trend"]])
def test_wide_tables_at_several_dates_equal_each_dates_own_table_on_demo_small(demo_small, cols):
    """Reference: :func:`build_wide_table` date by date (month-ends, a mid-month day, a day before the
    demo's history (2024-01-31) and one in its first month before any balance snapshot), to the last bit."""
    bank = load_bank(demo_small)
    dates = ["2026-10-31", "2026-06-17", "2025-12-31", "2026-09-30"] + (["2024-11-15", "2024-01-31"] if cols is None
                                                                        else [])
    got = features.build_wide_tables(bank, dates, columns=cols)
    assert list(got) == [pd.Timestamp(d).date() for d in dates]
    for d in dates:
        want = build_wide_table(bank, d, columns=cols)
        pd.testing.assert_frame_equal(got[pd.Timestamp(d).date()], want, check_exact=True, obj=d)
    assert not [v for v in bank.con.execute("SHOW TABLES").fetchall() if v[0].startswith("_wide_at_")]


def test_month_index_differences_equal_duckdbs_month_count_between_month_starts():
    """Reference: DuckDB's ``date_diff('month', date_trunc('month', x), m)`` (the form the wide table used before):
    the month index difference ``_month_index(m) - (year(x) * 12 + month(x))`` gives the same whole number for
    every day of 2023-2025 (leap day, year ends) against month starts before, at and after it."""
    import datetime as dt

    import duckdb

    con = duckdb.connect()
    anchors = [dt.date(2023, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 12, 1), dt.date(2025, 3, 1), dt.date(2026, 1, 1)]
    for m in anchors:
        got = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE date_diff('month', date_trunc('month', x), ?::DATE) <> "
            "? - (year(x) * 12 + month(x))) FROM (SELECT CAST(unnest(generate_series(DATE '2023-01-01', "
            "DATE '2025-12-31', INTERVAL 1 DAY)) AS DATE) AS x)", [m, features._month_index(m)]).fetchone()
        assert got == (1096, 0), (m, got)
