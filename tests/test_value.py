"""Tests of clientlens.value: margins by hand on a three-customer bank, projection, demo checks.

References: a hand-made bank of three customers whose balances, spend and channel use give
margins worked out in the comments; the demo bank (value vs AUM, the history floor).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clientlens import ParamsError
from clientlens.data import load_bank
from clientlens.value import ValueRates, annual_margins, customer_value, value_by_group

AS_OF = "2026-10-31"
RATES = {"margins": {"demand_deposit": 0.02, "time_deposit": 0.01, "wealth_mgmt": 0.005, "fund": 0.008,
                     "insurance": 0.01, "loan": 0.02, "credit_card": 0.03},
         "interchange_rate": 0.004, "channel_costs": {"branch": 15.0, "mobile": 0.1, "pos": 0.0},
         "cost_per_customer": 20.0, "balance_months": 3, "min_history_days": 90}


def make_bank(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"customer_id": ["A", "B", "C"],
                  "birth_date": pd.to_datetime(["1960-01-01", "1985-01-01", "1999-01-01"]),
                  "open_date": pd.to_datetime(["2010-01-01", "2020-01-01", "2026-10-01"])}).to_parquet(d / "customers.parquet")
    months = pd.to_datetime(["2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31"])
    rows = []
    for m in months:
        # A: an affluent saver: 100,000 demand, 300,000 time deposit, 200,000 wealth (the July row is
        # outside the 3-month average and different on purpose)
        jul = m.month == 7
        rows.append(("A", m, 100_000.0, 300_000.0, 0.0 if jul else 200_000.0, 0.0, 0.0, 0.0, 0.0))
        # B: a borrower with a fund: demand 10,000, fund 50,000, loan 400,000, card balance 5,000
        rows.append(("B", m, 10_000.0, 0.0, 0.0, 50_000.0, 0.0, 400_000.0, 5_000.0))
    # C: opened 30 days ago, one month-end: demand 2,000
    rows.append(("C", months[-1], 2_000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    bal = pd.DataFrame(rows, columns=["customer_id", "month_end", "demand_deposit", "time_deposit", "wealth_mgmt",
                                      "fund", "insurance", "loan", "credit_card"])
    bal["aum"] = bal[["demand_deposit", "time_deposit", "wealth_mgmt", "fund", "insurance"]].sum(axis=1)
    bal.to_parquet(d / "monthly_balances.parquet")
    t = [
        # A: 4 branch visits (transfers: a cost, not spend), 1,000 of card consumption at POS
        *[("A", "2026-03-01", 50_000.0, "out", "branch", "transfer")] * 4,
        ("A", "2026-06-01", 1_000.0, "out", "pos", "consumption"),
        # B: 10,000 consumption by mobile, a 30,000 loan repayment and a 20,000 own-account transfer (not spend)
        *[("B", "2026-05-01", 1_000.0, "out", "mobile", "consumption")] * 10,
        ("B", "2026-05-02", 30_000.0, "out", "mobile", "loan_repayment"),
        ("B", "2026-05-03", 20_000.0, "out", "mobile", "transfer"),
        # a row older than 365 days: ignored
        ("B", "2025-10-01", 99_999.0, "out", "branch", "consumption"),
        # C: 300 of consumption at POS in its first 30 days
        ("C", "2026-10-10", 300.0, "out", "pos", "consumption"),
    ]
    pd.DataFrame(t, columns=["customer_id", "txn_date", "amount", "direction", "channel", "category"]).assign(
        txn_date=lambda x: pd.to_datetime(x["txn_date"])).to_parquet(d / "transactions.parquet")
    return d


@pytest.fixture()
def hand_bank(tmp_path):
    return load_bank(make_bank(tmp_path / "bank"))


def test_annual_margin_of_three_customers_matches_hand_computation(hand_bank):
    m = annual_margins(hand_bank, AS_OF, RATES)
    a, b, c = m.loc["A"], m.loc["B"], m.loc["C"]
    # A: 2% x 100,000 + 1% x 300,000 + 0.5% x 200,000 (Aug-Oct average) = 2,000 + 3,000 + 1,000
    assert a["margin_demand_deposit"] == pytest.approx(2_000.0)
    assert a["margin_time_deposit"] == pytest.approx(3_000.0)
    assert a["margin_wealth_mgmt"] == pytest.approx(1_000.0)
    # interchange 0.4% x 1,000 = 4; cost 4 branch visits x 15 + 1 POS x 0 + 20 fixed = 80
    assert a["margin_interchange"] == pytest.approx(4.0)
    assert a["cost_to_serve"] == pytest.approx(80.0)
    assert a["annual_margin"] == pytest.approx(6_004.0 - 80.0)
    # B: 2% x 10,000 + 0.8% x 50,000 + 2% x 400,000 + 3% x 5,000 = 200 + 400 + 8,000 + 150 = 8,750
    # spend = 10 x 1,000 only (loan repayment and own transfer are not spend): interchange 40;
    # cost 12 mobile rows x 0.1 + 20 = 21.2 (the branch row is older than 365 days)
    assert b["spend_annual"] == pytest.approx(10_000.0)
    assert b["gross_margin"] == pytest.approx(8_790.0)
    assert b["cost_to_serve"] == pytest.approx(21.2)
    assert b["annual_margin"] == pytest.approx(8_768.8)
    # C: 30 days of history (open 10-01 .. 10-31 = 31 days): 300 spend annualised x 365 / 31
    assert c["history_days"] == 30
    assert c["spend_annual"] == pytest.approx(300.0 * 365 / 31)
    assert c["margin_demand_deposit"] == pytest.approx(40.0)


def test_too_new_customer_gets_its_cohort_value_and_no_rank(hand_bank):
    m = annual_margins(hand_bank, AS_OF, RATES)
    v = customer_value(m, None, {**RATES, "horizon_months": 12, "discount_rate": 0.0,
                                 "cohort_aum_bands": [5_000.0]})
    # no BTYD: retention = the plain annuity, 12 months x 1/12 = 1 year undiscounted
    assert v.loc["A", "value"] == pytest.approx(m.loc["A", "annual_margin"])
    assert bool(v.loc["C", "too_new"]) and not v.loc[["A", "B"], "too_new"].any()
    # C (AUM 2,000) is in the band below 5,000 where no established customer is: the overall mean of A and B
    assert v.loc["C", "value"] == pytest.approx((v.loc["A", "value"] + v.loc["B", "value"]) / 2)
    assert np.isnan(v.loc["C", "value_rank"])
    assert v.loc["B", "value_rank"] == 1 and v.loc["A", "value_rank"] == 2


def test_transfers_and_loan_repayments_cannot_be_declared_spend():
    with pytest.raises(ParamsError, match="not spend"):
        ValueRates.from_params({"spend_categories": ["consumption", "loan_repayment"]})
    with pytest.raises(ParamsError, match="margins.fund must be a number >= 0"):
        ValueRates.from_params({"margins": {"fund": -0.01}})
    # a partial dict of margins is merged into the defaults
    assert ValueRates.from_params({"margins": {"fund": 0.01}}).margins["loan"] == 0.02


def test_demo_value_follows_aum_and_keeps_new_customers_unranked(demo_small):
    from clientlens import clv

    bank = load_bank(demo_small)
    rates = ValueRates()
    m = annual_margins(bank, AS_OF, rates)
    rfm = clv.rfm_summary(bank, as_of=AS_OF)
    model = clv.BTYDModel("bgnbd").fit(rfm.table)
    from clientlens.value import retention_weights
    ret = retention_weights(rfm.table, model, horizon_months=rates.horizon_months, discount_rate=rates.discount_rate)
    # the half-yearly evaluation grid (interpolated) matches evaluating the model every month
    monthly = retention_weights(rfm.table, model, horizon_months=rates.horizon_months,
                                discount_rate=rates.discount_rate, grid_months=1)
    np.testing.assert_allclose(ret["retention_years"], monthly["retention_years"], rtol=1e-3, atol=1e-9)
    # a customer surely alive keeps at most the plain annuity factor (36 months at 8%: about 2.68 years)
    annuity = sum(1 / 12 / 1.08 ** (k / 12) for k in range(1, 37))
    assert ret["retention_years"].max() <= annuity + 1e-9
    v = customer_value(m, ret.join(rfm.table[["frequency"]]), rates)
    rho = v["value"].corr(v["aum"], method="spearman")
    assert rho >= 0.7, rho                       # value rises with AUM, as a bank expects
    assert v.loc[v["too_new"], "value_rank"].isna().all()
    assert v.loc[~v["too_new"], "value_rank"].notna().all()
    assert (v.loc[v["too_new"], "history_days"] < 90).all()
    g = value_by_group(v, pd.Series(np.where(v["aum"] >= 100_000, "high", "low"), index=v.index), "band")
    assert g["value_share"].sum() == pytest.approx(1.0) and g["aum_share"].sum() == pytest.approx(1.0)
