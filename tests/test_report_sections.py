"""Sections of the thin notebooks 00_data_overview and 06_model_validation (issue 17 item 8):
clientlens.sections_overview and clientlens.sections_validation, checked by hand counts."""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from clientlens import ParamsError, config
from clientlens import sections_overview as SO
from clientlens import sections_validation as SV
from clientlens.params import notebook_parameters
from test_data import write_tiny_bank


def _defaults(stem):
    return {k: v["default"] for k, v in notebook_parameters(config.NOTEBOOKS_DIR / f"{stem}.ipynb").items()}


def test_00_check_params_accepts_the_defaults_and_refuses_bad_values_in_one_line():
    p = _defaults("00_data_overview")
    assert str(SO.check_params(p)) == "2026-10-31"
    bad = {"as_of": "2026-13-01", "bins_per_decade": 0, "top_categories": 99, "no_txn_warn_share": 1.5,
           "reconcile_fail_share": 0.01, "unknown_customers": "keep", "highlight_months": [13]}
    for key, value in bad.items():
        with pytest.raises(ParamsError, match=re.escape(key.split("_months")[0])) as e:
            SO.check_params({**p, key: value})
        assert "\n" not in str(e.value)


def test_06_check_params_derives_thresholds_and_refuses_bad_values_in_one_line():
    p = _defaults("06_model_validation")
    chk = SV.check_params(p)
    assert chk["thresholds"]["auc"] == (0.70, 0.60) and chk["thresholds"]["score_psi"] == (0.10, 0.25)
    assert chk["target"]["kind"] == "campaign_response" and chk["tdesc"]["predicts"]
    chk = SV.check_params({**p, "auc_warn": 0.8})
    assert chk["thresholds"]["auc"] == (0.8, 0.60)
    for key, value in {"n_tiles": 1, "confidence": 0.9999, "n_boot": 10, "as_of": "x"}.items():
        with pytest.raises(ParamsError, match=re.escape(key)) as e:
            SV.check_params({**p, key: value})
        assert "\n" not in str(e.value)


def test_overview_build_counts_and_saves_the_artefacts_of_a_tiny_bank(tmp_path):
    from clientlens.data import load_bank

    bank = load_bank(write_tiny_bank(tmp_path / "bank"))
    p = {**_defaults("00_data_overview"), "missing_by_design": ["customers.income_monthly"]}
    ov = SO.build(bank, p, SO.check_params({**p, "as_of": "2026-09-30"}))
    assert ov.n_customers == 3 and ov.n_transactions == 4
    assert ov.transactions["monthly"]["rows"].sum() == 4 and ov.transactions["by_category"]["rows"].sum() == 4
    assert ov.missing[["column", "by_design"]].values.tolist() == [["income_monthly", True]]
    names = [c["check"] for c in ov.checks]
    assert "no dates after the as-of date" in names
    assert next(c for c in ov.checks if c["check"] == "no dates after the as-of date")["verdict"] == "FAIL"
    out = tmp_path / "out"
    out.mkdir()
    ov.save(out)
    assert {"row_counts.parquet", "date_coverage.parquet", "missing_values.parquet",
            "activity_counts.parquet"} <= {f.name for f in out.iterdir()}
    shown = SO.missing_table(ov.missing)
    assert {"missing share", "empty by design"} <= set(shown.columns) and "missing_share" not in shown.columns


def test_transaction_profile_by_hand_on_a_tiny_bank(tmp_path):
    from clientlens import overview
    from clientlens.data import load_bank

    txns = ("txn_id,customer_id,txn_date,amount,direction,channel,category\n"
            "T1,C001,2026-01-05,100.00,out,mobile,consumption\nT2,C001,2026-01-10,1000,out,,consumption\n"
            "T3,C002,2026-03-01,9000,in,online,salary\nT4,C003,2026-03-31,0,out,mobile,transfer\n")
    bank = load_bank(write_tiny_bank(tmp_path / "bank", transactions=txns))
    p = overview.transaction_profile(bank, top_categories=1, bins_per_decade=2)
    assert p["monthly"].assign(month=p["monthly"]["month"].dt.strftime("%Y-%m")).values.tolist() == [
        ["2026-01", "out", 2, 1100.0], ["2026-03", "in", 1, 9000.0], ["2026-03", "out", 1, 0.0]]
    out = overview.amount_histogram(p, "out")   # log10(100) * 2 = 4, log10(1000) * 2 = 6: bins [100, 316), [1000, 3162)
    assert out["count"].tolist() == [1, 1] and np.allclose(out["lower"], [100, 1000])
    assert np.allclose(out["upper"], [10 ** 2.5, 10 ** 3.5]) and out.attrs["non_positive"] == 1
    assert overview.amount_histogram(p, "in").attrs["non_positive"] == 0
    assert p["by_channel"][["channel", "rows"]].values.tolist() == [["mobile", 2], ["(other)", 2]]
    assert p["by_category"][["category", "rows", "total"]].values.tolist() == [["consumption", 2, 1100.0],
                                                                                ["(other)", 2, 9000.0]]


def test_transaction_profile_in_one_scan_equals_one_scan_per_table(demo_small):
    from clientlens import overview, report
    from clientlens.data import load_bank

    bank = load_bank(demo_small)
    for top in (3, 12):
        p = overview.transaction_profile(bank, top_categories=top, bins_per_decade=10)
        pd.testing.assert_frame_equal(p["monthly"], report.monthly_counts(bank, "transactions", "txn_date",
                                                                          by="direction", value="amount"), rtol=1e-12)
        for d in ("out", "in"):
            h = report.log_histogram(bank, "transactions", "amount", where={"direction": d}, bins_per_decade=10)
            got = overview.amount_histogram(p, d)
            pd.testing.assert_frame_equal(got, h, check_exact=True)
            assert got.attrs == h.attrs
        for c in ("category", "channel"):
            pd.testing.assert_frame_equal(p[f"by_{c}"], report.value_counts(bank, "transactions", c, top=top,
                                                                            value="amount"), rtol=1e-12)


def test_reconciliation_and_monthly_aum_tables_in_million_cny_by_hand():
    recon = pd.DataFrame({"month_end": pd.to_datetime(["2026-01-31", "2026-02-28"]),
                          "aum_change": [2e6, -1e6], "net_flow": [1.5e6, -1e6], "residual": [0.5e6, 0.0],
                          "residual_share": [0.05, 0.0]})
    shown, money = SO.reconciliation_table(recon)
    assert money == ["aum_change", "net_flow", "residual"]
    assert shown.columns.tolist() == ["month", *money, "residual_share"]
    assert shown["month"].tolist() == ["2026-01", "2026-02"] and shown["aum_change"].tolist() == [2.0, -1.0]
    assert shown["residual_share"].tolist() == [0.05, 0.0]
    m = SO.monthly_aum_table(pd.DataFrame({"month": pd.to_datetime(["2026-01-31"]), "rows": [3], "total": [1.5]}))
    assert m.to_dict("records") == [{"month": "2026-01", "customers": 3, "AUM (million CNY)": 1.5}]


def test_challenger_table_and_ntile_table_by_hand():
    y = np.array([1, 0, 1, 0])
    t = SV.challenger_table(y, {"perfect": np.array([0.9, 0.1, 0.8, 0.2]), "reversed": np.array([0.1, 0.9, 0.2, 0.8])})
    assert t["AUC"].round(6).tolist() == [1.0, 0.0] and t["KS"].round(6).tolist()[0] == 1.0
    nt = pd.DataFrame({"ntile": [1], "count": [10], "responders": [3], "response_rate": [0.3], "lift": [3.0],
                       "cum_capture_rate": [0.5], "cum_lift": [3.0], "ks": [0.2], "extra": [0]})
    assert SV.ntile_table(nt).columns.tolist() == ["n-tile (1 = best)", "count", "responders", "response_rate", "lift",
                                                   "capture (cumulative)", "lift (cumulative)", "ks"]


def test_warning_lines_keep_the_collected_warnings_then_every_check_that_did_not_pass():
    verdicts = pd.DataFrame({"check": ["AUC", "KS", "PSI"], "verdict": ["PASS", "WARN", "FAIL"],
                             "note": ["", "near the threshold", ""]})
    v = SimpleNamespace(warnings=["Model fitted in-notebook"], res={"verdicts": verdicts})
    assert SV.warning_lines(v) == ["Model fitted in-notebook", "KS: WARN (near the threshold)", "PSI: FAIL"]
    v = SimpleNamespace(warnings=[], res={"verdicts": verdicts.iloc[:1]})
    assert SV.warning_lines(v) == []


def test_validation_run_models_include_the_challenger_only_when_scored():
    scored = pd.DataFrame({"sample": ["development", "out_of_time", "out_of_time"], "prob": [0.1, 0.2, 0.3],
                           "prob_challenger": [0.5, 0.6, 0.7], "target": [0, 1, 0]})
    inputs = {"model": {"scorecard": None, "challenger": object()}, "scored": scored, "base_scores": scored}
    v = SV.ValidationRun({}, {}, inputs, {"primary": "out_of_time", "names": {"out_of_time": "out-of-time"}})
    assert len(v.val) == 2 and len(v.dev) == 1 and v.primary_name == "out-of-time"
    assert list(v.models()) == ["scorecard", "challenger (gradient boosting)"]
    v.inputs["model"]["challenger"] = None
    assert list(v.models()) == ["scorecard"]


def test_text_columns_left_aligned_numbers_right_aligned():
    import re

    import pandas as pd

    from clientlens import report

    html = report.table_html(pd.DataFrame({"campaign": ["S-DORMANT-2605"], "customers": [1664], "share": [0.1]}),
                             percent_cols=["share"])
    # pandas writes one CSS rule per cell id: col0 (text) left, col1 and col2 (numbers) right
    rules = {cell: align for sel, align in re.findall(r"([^{}]+)\{\s*text-align: (\w+);\s*\}", html)
             for cell in re.findall(r"_row0_(col\d)", sel)}
    assert rules == {"col0": "left", "col1": "right", "col2": "right"}
    vt = report.verdict_table_html([{"check": "KS", "value": 0.41, "verdict": "PASS"}])
    assert "text-align:left'>KS<" in vt and "text-align:right'>0.41<" in vt


def test_treated_vs_control_tables_read_without_snake_case(monkeypatch):
    import pandas as pd

    from clientlens import i18n, report, sections

    shown = []
    monkeypatch.setattr(report, "_display", lambda obj: shown.append(obj.data))
    row = {"campaign_id": "S-1", "n_treated": 10, "n_control": 5, "treated": 0.2, "control": 0.1, "difference": 0.1,
           "ci_low": 0.0, "ci_high": 0.2, "incremental": 1.0, "incremental_low": 0.0, "incremental_high": 2.0}
    comparison = pd.DataFrame([{**row, "kpi": k} for k in ("response_rate", "aum_change", "primary_account_rate")])
    sections.show_treated_vs_control(comparison)
    page = "".join(shown)
    assert "primary-account rate" in page and "treated customers" in page and "interval low" in page
    assert "primary_account_rate" not in page and "n_treated" not in page
    try:
        i18n.set_language("zh")
        shown.clear()
        sections.show_treated_vs_control(comparison)
    finally:
        i18n.set_language("en")
    assert "主账户率" in "".join(shown) and "实验组人数" in "".join(shown)
