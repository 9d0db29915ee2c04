"""clientlens.reconciliation and clientlens.activity on hand-made banks where the answer is known."""
from __future__ import annotations

import pandas as pd
import pytest

from clientlens import activity, report
from clientlens.data import load_bank
from clientlens.reconciliation import aum_flow_reconciliation, reconciliation_check


def _bank(tmp_path, balances, transactions, customers=("C1", "C2", "C3")):
    d = tmp_path / "bank"
    d.mkdir()
    pd.DataFrame({"customer_id": list(customers), "birth_date": "1980-01-01", "gender": "F",
                  "income_monthly": 10000.0, "open_date": "2020-01-01"}).to_csv(d / "customers.csv", index=False)
    bal = pd.DataFrame(balances, columns=["customer_id", "month_end", "aum"])
    bal = bal.assign(demand_deposit=bal["aum"], time_deposit=0.0, wealth_mgmt=0.0, fund=0.0, insurance=0.0)
    bal.to_csv(d / "monthly_balances.csv", index=False)
    pd.DataFrame(transactions, columns=["txn_id", "customer_id", "txn_date", "amount", "direction", "channel",
                                       "category"]).to_csv(d / "transactions.csv", index=False)
    return load_bank(d)


BAL = [("C1", "2026-01-31", 1000.0), ("C2", "2026-01-31", 500.0),
       ("C1", "2026-02-28", 1100.0), ("C2", "2026-02-28", 480.0), ("C3", "2026-02-28", 300.0),
       ("C1", "2026-03-31", 1100.0), ("C3", "2026-03-31", 250.0)]
TXN = [("T1", "C1", "2026-01-31", 999.0, "in", "mobile", "transfer"),       # before the first month-end's window
       ("T2", "C1", "2026-02-05", 150.0, "in", "mobile", "transfer"),
       ("T3", "C1", "2026-02-10", 60.0, "out", "pos", "consumption"),
       ("T4", "C2", "2026-02-28", 20.0, "out", "mobile", "consumption"),
       ("T5", "C1", "2026-02-15", 40.0, "out", "mobile", "wealth_purchase"),  # own products: AUM-neutral
       ("T6", "C3", "2026-03-03", 50.0, "out", "mobile", "transfer"),
       ("T7", "C1", "2026-03-25", 3000.0, "in", None, "salary")]


def test_reconciliation_month_by_month_matches_hand_computation(tmp_path):
    t = aum_flow_reconciliation(_bank(tmp_path, BAL, TXN), "2026-03-31").set_index(
        pd.Index(["2026-02", "2026-03"]))
    # February: AUM 1500 -> 1880 (+380); net flow 150 - 60 - 20 = 70 (the 40 wealth purchase is internal, the
    # 999 on 31 January belongs to January); new account C3 opens with 300; residual 380 - 370 = 10
    feb = t.loc["2026-02"]
    assert (feb["aum_open"], feb["aum_close"], feb["aum_change"]) == (1500.0, 1880.0, 380.0)
    assert (feb["inflow"], feb["outflow"], feb["internal"], feb["net_flow"]) == (150.0, 80.0, 40.0, 70.0)
    assert (feb["new_accounts"], feb["closed_accounts"], feb["residual"]) == (300.0, 0.0, 10.0)
    assert feb["residual_share"] == pytest.approx(10 / 1500)
    # March: 1880 -> 1350 (-530); net flow 3000 - 50; C2 (480) closed; residual -530 - (2950 - 480) = -3000
    mar = t.loc["2026-03"]
    assert (mar["net_flow"], mar["closed_accounts"], mar["residual"]) == (2950.0, 480.0, -3000.0)
    assert mar["residual_share"] == pytest.approx(-3000 / 1880)


@pytest.mark.parametrize("residual, verdict", [(10.0, "PASS"), (-40.0, "WARN"), (150.0, "FAIL")])
def test_reconciliation_check_passes_warns_and_fails(residual, verdict):
    t = pd.DataFrame({"month_end": pd.to_datetime(["2026-02-28", "2026-03-31"]), "aum_open": [1000.0, 1000.0],
                      "residual": [5.0, residual]})
    t["residual_share"] = t["residual"] / t["aum_open"]
    row = reconciliation_check(t, warn_share=0.02, fail_share=0.05)
    assert row["verdict"] == verdict, row
    assert "2026-03" in row["value"] or verdict == "PASS"


def test_reconciliation_check_bad_thresholds_and_nothing_to_reconcile():
    from clientlens import ParamsError

    with pytest.raises(ParamsError, match="fail_share must be >= 0.02"):
        reconciliation_check(pd.DataFrame(columns=["month_end", "residual_share"]), warn_share=0.02, fail_share=0.01)
    row = reconciliation_check(pd.DataFrame(columns=["month_end", "residual_share"]), warn_share=0.02, fail_share=0.05)
    assert row["verdict"] == "PASS" and "not computed" in row["value"]


def test_activity_counts_one_definition_hand_computed(tmp_path):
    # C1: outgoing on 2026-02-10 and an 'in' later; C2: outgoing on 2026-02-28; C3: outgoing on 2026-03-03;
    # C4: salary only (in); C5: nothing. As of 2026-03-31 with a 30-day window: active = out on/after 2026-03-02
    txn = TXN + [("T8", "C4", "2026-03-10", 900.0, "in", None, "salary"),
                 ("T9", "C5", "2026-04-02", 5.0, "out", "pos", "consumption")]   # after as_of: ignored
    bank = _bank(tmp_path, BAL, txn, customers=("C1", "C2", "C3", "C4", "C5"))
    c = activity.activity_counts(bank, "2026-03-31", dormant_days=30).set_index("count")["customers"]
    assert c.to_dict() == {"customers": 5, "without any transaction": 1, "without outgoing transactions": 2,
                           "active": 1, "dormant": 4}
    assert report.customers_without_transactions(bank, "2026-03-31") == 1
    assert activity.without_label(("out",)) == "without outgoing transactions"
    assert activity.without_label(("in", "out")) == "without any transaction"
    assert "consumption" in activity.without_label(("out",), ["consumption"])


def test_salary_channel_is_empty_by_design_not_missing(tmp_path):
    bank = _bank(tmp_path, BAL, TXN + [("T8", "C2", "2026-03-01", 5.0, "out", None, "consumption")])
    plain = report.missing_values(bank).set_index(["table", "column"])
    assert plain.loc[("transactions", "channel"), "missing"] == 2
    m = report.missing_values(bank, by_design_when={"transactions.channel": {"category": ["salary"]}})
    row = m.set_index(["table", "column"]).loc[("transactions", "channel")]
    # the salary row is by design; the consumption row without a channel is a real gap
    assert (row["missing"], row["empty_by_design"]) == (1, 1)
    assert row["missing_share"] == pytest.approx(1 / 8)


def test_data_checks_of_00_grade_activity_and_reconciliation(tmp_path):
    from clientlens import activity as A, overview

    bank = _bank(tmp_path, BAL, TXN + [("T8", "C2", "2026-03-01", 5.0, "out", None, "consumption")],
                 customers=("C1", "C2", "C3", "C4"))   # C4 has no transaction: 25% of the customers
    kw = dict(as_of="2026-03-31", coverage=report.date_coverage(bank, as_of="2026-03-31"),
              missing=report.missing_values(bank).assign(by_design=False),
              activity_counts=A.activity_counts(bank, "2026-03-31"), amount_ceiling=1e9)
    recon = aum_flow_reconciliation(bank, "2026-03-31")   # residuals 0.7% and 160% of the opening AUM
    loose = {c["check"]: c["verdict"] for c in overview.data_checks(
        bank, recon=recon.iloc[:1], no_txn_warn_share=0.3, missing_warn_share=0.5, reconcile_warn_share=0.02,
        reconcile_fail_share=0.05, **kw)}
    strict = {c["check"]: c["verdict"] for c in overview.data_checks(
        bank, recon=recon, no_txn_warn_share=0.1, missing_warn_share=0.05, reconcile_warn_share=0.02,
        reconcile_fail_share=0.05, **kw)}
    rec = "month-end AUM change reconciles with net transaction flows"
    assert (loose["customers without any transaction"], strict["customers without any transaction"]) == ("PASS", "WARN")
    assert (loose[rec], strict[rec]) == ("PASS", "FAIL")
    assert strict["largest share of empty values in a column"] == "WARN"
