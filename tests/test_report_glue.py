"""Glue of the thin notebooks 02_binning and 05_response_model (issue 17 item 8): clientlens.screening,
clientlens.response_model and clientlens.marketing_list, checked by hand counts; texts meant for a callout are
plain text (a callout escapes its text, so markdown would show as literal asterisks, issue 17 item 2)."""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from clientlens import ParamsError
from clientlens import marketing_list as ML
from clientlens import response_model as RM
from clientlens import screening as SC
from clientlens.params import namespace_params, notebook_parameters
from clientlens import config


def _defaults(stem):
    return {k: v["default"] for k, v in notebook_parameters(config.NOTEBOOKS_DIR / f"{stem}.ipynb").items()}


def test_namespace_params_keeps_literals_and_drops_modules_private_names_and_history():
    ns = {"a": 1, "b": "x", "c": [1], "d": {"k": 1}, "e": None, "_f": 2, "pd": pd, "In": ["x"], "g": 1.5}
    assert namespace_params(ns) == {"a": 1, "b": "x", "c": [1], "d": {"k": 1}, "e": None, "g": 1.5}


@pytest.mark.parametrize("stem, module", [("02_binning", SC), ("05_response_model", RM)])
def test_check_params_accepts_the_notebook_defaults_and_refuses_bad_values_in_one_line(stem, module):
    p = _defaults(stem)
    out = module.check_params(p)
    tgt = out if stem == "02_binning" else out[0]
    assert tgt["kind"] == "campaign_response" and tgt["campaigns"] == ["FD2026"]
    bad = {"validation_share": 0.9, "split": "sometimes", "as_of": "2026-13-01", "campaigns": []}
    bad.update({"max_n_bins": 1} if stem == "02_binning" else {"pdo": 0, "list_sizing": "gut"})
    for key, value in bad.items():
        with pytest.raises(ParamsError, match=re.escape(key)) as e:
            module.check_params({**p, key: value})
        assert "\n" not in str(e.value)


def _binner(iv, finding, selected, features_as_of=None):
    summary = pd.DataFrame({"variable": ["a", "b", "c"], "iv": iv, "n_bins": [4, 3, 0],
                            "iv_band": ["suspicious", "medium", "useless"]})
    leak = pd.DataFrame({"variable": ["a"], "iv": [iv[0]], "single_auc": [0.8], "finding": [finding]})
    return SimpleNamespace(summary_=summary, selected_=selected, leakage_=leak, min_bin_events_=20)


def test_leakage_review_is_plain_text_and_warns_only_when_a_kept_variable_has_no_review():
    meta = {"features_as_of": {"FD2026": "2026-03-01"}}
    text, checks, warns = SC.leakage_review(_binner([0.8, 0.2, 0.0], "", ["a", "b"]), meta, iv_max=0.5, leak_auc=0.95)
    assert "**" not in text and "Timing: the features are computed as of FD2026: 2026-03-01" in text
    assert "WARN: suspicious variables kept without a recorded review" in text
    assert warns == ["suspicious variables kept without a recorded review",
                     "1 variable(s) with IV > 0.5 (possible leakage): 0 leak(s) dropped, 1 selected after review"]
    assert checks["selected"].tolist() == [True]
    review = {"reviewer": "Li", "date": "2026-11-01", "conclusion": "measured before contact"}
    text, _, warns = SC.leakage_review(_binner([0.8, 0.2, 0.0], "", ["a"]), meta, iv_max=0.5, leak_auc=0.95,
                                       review=review)
    assert "Review record: Li, 2026-11-01: measured before contact" in text and len(warns) == 1
    text, _, warns = SC.leakage_review(_binner([0.8, 0.2, 0.0], "AUC 0.99", ["b"]), meta, iv_max=0.5, leak_auc=0.95)
    assert "Leak found, dropped: a (AUC 0.99)" in text and "WARN" not in text
    assert warns == ["1 variable(s) with IV > 0.5 (possible leakage): 1 leak(s) dropped, 0 selected after review"]
    assert SC.leakage_review(_binner([0.4, 0.2, 0.0], "", ["a"]), meta, iv_max=0.5, leak_auc=0.95)[0] == ""


def test_band_counts_lists_every_band_and_samples_summary_counts_by_hand():
    b = _binner([0.8, 0.2, 0.0], "", ["a", "b"])
    bands = SC.band_counts(b.summary_)
    assert bands["IV band"].tolist() == ["suspicious", "strong", "medium", "weak", "useless", "n/a"]
    assert bands["variables"].tolist() == [1, 0, 1, 0, 1, 0]
    samples = SimpleNamespace(y_dev=pd.Series([1] * 30 + [0] * 270))
    md = SC.samples_summary_md(b, samples, target={"kind": "campaign_response", "campaigns": ["FD<1>"]},
                               min_bin_size=0.05)
    assert md.startswith("**3** candidate variables; **2** were binned optimally")
    assert "**2** are selected" in md and "30 responders of 300 contacts (10.0%)" in md and "FD&lt;1&gt;" in md
    md = SC.samples_summary_md(b, samples, target={"kind": "asset_outflow", "horizon_months": 3, "drop_share": 0.5,
                                                   "min_aum": 10000.0}, min_bin_size=0.05)
    assert "Target: **moves at least 50% of assets out within 3 months**, 30 customers moving assets out of 300 rows" in md
    assert "responders" not in md and "FD" not in md


def test_psi_verdict_names_unstable_variables_and_passes_when_all_are_stable():
    psi = pd.DataFrame({"variable": ["a", "b"], "psi": [0.02, 0.31], "band": ["stable", "shifted"]})
    kind, text, warns = SC.psi_verdict(psi, 0.1)
    assert kind == "warning" and "Not stable: b (0.310, shifted)." in text
    assert warns == ["1 selected variable(s) with PSI >= 0.1"]
    assert SC.psi_verdict(psi.iloc[:1], 0.1) == ("pass", "All 1 selected variables are stable (PSI < 0.1).", [])


def test_sample_meta_table_shows_a_hash_prefix_not_ids():
    meta = {"campaigns": ["FD2026", "WM2026"], "feature_lag_days": 1, "split": "random", "validation_share": 0.3,
            "oot_date": "", "seed": 42, "n_dev": 2100, "n_events": 120, "dev_ids_sha256": "ab" * 32}
    t = SC.sample_meta_table(meta)
    assert dict(zip(t["item"], t["value"]))["campaigns"] == "FD2026, WM2026"
    assert dict(zip(t["item"], t["value"]))["out-of-time date"] == "-"
    assert dict(zip(t["item"], t["value"]))["development ids (SHA-256, first 16)"] == "ab" * 8


def test_funnel_steps_add_up_from_the_base_to_the_customers_to_contact():
    counts = {"base": 1000, "unsuitable": 100, "ineligible": 50, "opted_out": 40, "recently_contacted": 10,
              "eligible": 800, "not_profitable": 500, "over_capacity": 20}
    f = ML.funnel_steps(counts, product="FUND_R3", exclude_opt_out=True, recent_contact_days=90, economics=True,
                        n_list=280, n_control=28, control_share=0.1)
    d = dict(zip(f["step"], f["customers"]))
    assert d["customers in the base"] - 100 - 50 - 40 - 10 == d["eligible candidates"]
    assert d["eligible candidates"] - 500 - 20 == d["on the list"]
    assert d["  of which random control (10%, not contacted)"] == 28 and d["  to contact"] == 252
    assert "above their risk level for FUND_R3 (unsuitable, removed)" in d
    f = ML.funnel_steps(counts, product="x", exclude_opt_out=False, recent_contact_days=None, economics=False,
                        n_list=80, n_control=0, control_share=0.0)
    d = dict(zip(f["step"], f["customers"]))
    assert d["opted out of marketing (removed)"] == "rule skipped" and d["recently contacted"] == "rule skipped"
    assert "expected profit <= 0 (not listed)" not in d


def test_list_summaries_by_hand():
    lst = pd.DataFrame({"group": ["model", "model", "control", "model"], "propensity": [0.5, 0.3, 0.2, 0.1],
                        "channel": ["rm", "app", "sms", "app"], "reason_1": ["aum", "", "aum", "age"]})
    assert ML.channel_mix(lst).set_index("channel")["customers"].to_dict() == {
        "mobile app": 2, "relationship manager": 1, "SMS": 1}
    assert ML.reason_frequency(lst).values.tolist() == [["aum", 2], ["age", 1]]
    md = ML.expected_md(lst, [0.1, 0.1, 0.1, 0.1])
    assert "to contact: **1** (mean predicted response 30.0% vs 10.0% over the base)" in md
    assert ML.channel_caption(500000.0).startswith("Suggested channel (AUM >= 500,000 -> relationship manager")
    ml = ML.MarketingList(list=lst, gains=None, funnel=pd.DataFrame(), product="x", economics=True,
                          response_value=800.0)
    assert ML.list_fmt(ml) == {"score": "{:.0f}", "expected_profit": ML.money}   # whole units in en, 万/亿 in zh
    assert ML.gains_caption(ml, {"rm": 30.0, "sms": 0.1}) == "Gains by cut-off (value of a response 800; contact cost rm 30, sms 0.1)"


def test_scorecard_drop_reasons_read_in_the_report_language():
    from clientlens import i18n
    from clientlens.scoring import DROP_TEMPLATES

    dropped = {"age": DROP_TEMPLATES[0].format(max_variables=15), "fund": DROP_TEMPLATES[1], "x": "another reason"}
    try:
        i18n.set_language("zh")
        tbl = RM.dropped_table(dropped)
    finally:
        i18n.set_language("en")
    assert tbl["variable"].tolist() == ["age", "fund", "x"]
    assert tbl["reason"].tolist() == ["超出变量数上限 max_variables=15（按 IV 排序）", "系数符号与其 WOE 趋势相反（共线性）",
                                      "another reason"]
    assert RM.dropped_table(dropped)["reason"].tolist() == ["beyond max_variables=15 (by IV)", DROP_TEMPLATES[1],
                                                             "another reason"]


def test_points_text_and_first_validation_check_by_hand():
    assert "(a 5.0% response rate); every 20 points double the odds" in RM.points_md(600.0, 19.0, 20.0)
    y = np.array([0, 0, 0, 1] * 50)
    samples = pd.DataFrame({"sample": ["validation"] * 200 + ["development"] * 4,
                            "response": np.r_[y, [0, 1, 0, 1]], "prob": np.r_[y * 0.8 + 0.1, [0.5] * 4]})
    val, models, table, caption = RM.validation_check(samples, has_challenger=False)
    assert len(val) == 200 and list(models) == ["scorecard"]
    assert table.loc[0, "AUC"] == pytest.approx(1.0) and table.loc[0, "KS"] == pytest.approx(1.0)
    assert caption == "Validation sample (200 contacts, 50 responders)"


def test_stability_warnings_name_only_what_is_not_stable():
    stab = pd.DataFrame({"item": ["score", "aum"], "index": [0.05, 0.3], "band": ["stable", "shifted"]})
    assert RM.stability_warnings(stab) == ["Not stable against today's base: aum (0.300, shifted)"]
    assert RM.stability_warnings(stab.iloc[:1]) == []


def test_a_report_table_scrolls_sideways_instead_of_being_cut_and_escapes_its_values():
    from clientlens import report

    wide = pd.DataFrame({f"column number {i}": ["<b>x</b>" * 5] for i in range(40)})
    html = report.table_html(wide, caption="wide & long")
    assert html.startswith("<div class='clientlens-table' style='overflow-x: auto; max-width: 100%;'>")
    assert html.endswith("</div>") and "<table" in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html and "wide &amp; long" in html
