"""Checks that can fail (issue 17, item 6): every redesigned check returns WARN or FAIL on a fixture
built to trigger it, and PASS on one that should pass; report-section table builders by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientlens import checks, sections
from clientlens.events import EventRules
from clientlens.offers import Catalogue
from clientlens.report import FAIL, PASS, WARN
from clientlens.tags import TagRules


def test_fatigue_check_warns_when_no_customer_can_reach_the_threshold():
    # two campaigns in the window: at most 2 contacts per customer, the tag (>= 3) cannot fire
    two = pd.DataFrame({"n_contacts_365d": [0, 1, 2, 2]})
    row = checks.fatigue_check(two, 3)
    assert (row["verdict"], row["value"]) == (WARN, "2")
    assert checks.fatigue_check(two.assign(n_contacts_365d=[0, 1, 2, 3]), 3)["verdict"] == PASS


def _events(days_per_customer: dict) -> pd.DataFrame:
    rows = [(c, pd.Timestamp("2026-10-01") + pd.Timedelta(days=d)) for c, days in days_per_customer.items()
            for d in days]
    return pd.DataFrame(rows, columns=["customer_id", "event_date"])


def test_contact_pressure_counts_event_days_before_the_caps_and_can_warn():
    # A: five event days (two events on day 0 count once) > 4 -> WARN; B: two days
    ev = _events({"A": [0, 0, 10, 20, 30, 40], "B": [0, 5]})
    row = checks.contact_pressure(ev, 4)
    assert row["verdict"] == WARN and row["value"] == "5 (1 customer(s) above)"
    assert checks.contact_pressure(ev, 5)["verdict"] == PASS
    assert checks.contact_pressure(ev.iloc[:0], 4)["verdict"] == PASS


def test_event_job_checks_fail_on_an_unsuitable_task_and_warn_on_pressure_caps_and_raw_ids():
    cat = Catalogue.from_params()
    kept = _events({"A": [0, 10, 20, 30, 40], "B": [0]})
    kept.attrs["skipped"] = {"wealth_maturity": "no holdings table"}
    tasks = pd.DataFrame({"risk_appetite": ["conservative", "aggressive"], "product": ["wealth_mgmt", ""]})
    tasks.attrs["funnel"] = {"over_cap": 3}
    rows = checks.event_job_checks(kept, tasks, EventRules(), cat, max_tasks_per_customer=4, allow_raw_ids=True,
                                   n_events=8)
    verdicts = [r["verdict"] for r in rows]
    assert verdicts == [WARN, WARN, WARN, FAIL, WARN]
    assert rows[2]["value"] == f"{len(EventRules().events) - 1} of 8"
    ok = tasks.assign(risk_appetite=["aggressive", "aggressive"])
    ok.attrs["funnel"] = {"over_cap": 0}
    kept_ok = _events({"A": [0], "B": [0]})
    rows_ok = checks.event_job_checks(kept_ok, ok, EventRules(), cat, max_tasks_per_customer=4, allow_raw_ids=False,
                                      n_events=8)
    assert [r["verdict"] for r in rows_ok] == [PASS] * 5


def test_conservative_customer_cannot_take_a_wealth_product_in_the_default_catalogue():
    # the FAIL branch above is exercised only if the default catalogue refuses this pair
    assert not Catalogue.from_params().suitable(["conservative"], ["wealth_mgmt"])[0]


def test_segmentation_checks_grade_stability_silhouette_and_smallest_segment():
    sel = pd.DataFrame({"stability_ari_mean": [0.95, 0.55, np.nan], "silhouette": [0.30, 0.05, 0.2],
                        "min_share": [0.10, 0.001, 0.015]}, index=[3, 4, 5])
    assert [r["verdict"] for r in checks.segmentation_checks(sel, 3, 0.8)] == [PASS, PASS, PASS]
    assert [r["verdict"] for r in checks.segmentation_checks(sel, 4, 0.8)] == [FAIL, FAIL, FAIL]
    assert [r["verdict"] for r in checks.segmentation_checks(sel, 5, 0.8)] == [WARN, WARN, WARN]


def test_clv_checks_warn_and_fail_on_holdout_errors_and_correlated_spend():
    compare = pd.DataFrame({"model": ["BG/NBD", "Pareto/NBD"], "total_error_pct": [-12.0, 3.0]})
    assert checks.clv_total_error_check(compare, "BG/NBD", 10, 20)["verdict"] == WARN
    assert checks.clv_total_error_check(compare, "Pareto/NBD", 10, 20)["verdict"] == PASS
    track = pd.DataFrame({"days": [7, 28, 35], "cum_predicted": [50.0, 125.0, 150.0], "cum_actual": [100.0, 100.0, 149.0]})
    row = checks.clv_tracking_check(track, 10, 20)     # day 7 (-50%) is ignored; day 28: +25%
    assert (row["verdict"], row["value"]) == (FAIL, "25.0%")
    dec = pd.DataFrame({"decile": [1, 2, 3, 4], "predicted_value": [100.0, 100.0, 100.0, 500.0],
                        "actual_value": [100.0, 100.0, 100.0, 100.0]})
    assert checks.clv_top_deciles_check(dec, 10, 20)["verdict"] == PASS
    assert checks.clv_top_deciles_check(dec.assign(predicted_value=[115.0, 115.0, 115.0, 0.0]), 10, 20)["verdict"] == WARN
    assert checks.spend_independence_check({"pearson_r": 0.45, "independent": False}, 0.3)["verdict"] == WARN
    assert checks.spend_independence_check({"pearson_r": 0.05, "independent": True}, 0.3)["verdict"] == PASS


def test_marketing_and_primary_tables_by_hand():
    tags = pd.DataFrame({"contacted_365d": [True, True, False, False], "responded_365d": [True, False, False, False],
                         "marketing_fatigue": [False, True, False, False],
                         "primary_active": [True, True, False, False], "primary_linked": [True, False, True, False],
                         "primary_no_moveout": [True, True, True, False],
                         "is_primary_account": [True, False, False, False]})
    rules = TagRules()
    mk = sections.marketing_table(tags, rules)
    assert mk["customers"].tolist()[:3] == [2, 1, 1] and np.isnan(mk["customers"].iloc[3])
    assert mk["share"].tolist()[:3] == [0.5, 0.25, 0.25]
    assert f">= {rules.fatigue_min_contacts} times" in mk["measure"].iloc[2]
    cond = sections.primary_conditions_table(tags, rules)
    assert cond["customers meeting it"].tolist() == [2, 2, 3, 1]
    assert cond["share"].iloc[-1] == 0.25


def test_base_overview_and_thresholds_tables_by_hand():
    wide = pd.DataFrame({"aum": [100.0, 300.0, 600.0], "n_txn_90d": [0, 1, 2]})
    t = sections.base_overview_table(wide, {"top_share": 0.6, "gini": 0.4}, 0.2).set_index("measure")["value"]
    assert t["Total AUM (CNY)"] == "1,000" and t["Median AUM (CNY)"] == "300"
    assert t["Share of AUM held by the top 20%"] == "60.0%"
    assert t["Customers with a transaction in the last 90 days"] == "66.7%"
    th = sections.thresholds_table(TagRules()).set_index("parameter")["value"]
    assert th["fatigue_min_contacts"] == str(TagRules().fatigue_min_contacts)
    assert th["rfm_weights"] == "[0.3, 0.3, 0.4]"
    # whole numbers as a params file states them (params/default.yaml: 100000), the same for 100000 and 100000.0
    assert th["high_value_aum"] == "100000" and th["rfm_tier_cuts"] == "[4, 2.5]" and th["growth_ratio"] == "1.2"
    assert sections.thresholds_table(TagRules.from_params({"high_value_aum": 100000})).equals(
        sections.thresholds_table(TagRules()))


def test_key_features_table_puts_the_base_first_then_segments():
    stat = pd.DataFrame({"aum": [1.0, 3.0], "age": [30.0, 50.0]}, index=[0, 1])
    t = sections.key_features_table(stat, pd.Series({"aum": 2.0, "age": 40.0}))
    assert t.columns.tolist() == ["feature", "all customers", "segment 0", "segment 1"]
    assert t.set_index("feature").loc["age"].tolist() == [40.0, 30.0, 50.0]
