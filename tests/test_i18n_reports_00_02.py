"""The zh texts of 00-02 (issue 17, item 1): catalogue entries that format like their English key, notebook
narrative current with its English cells, library text of the data overview, profile and binning in Chinese in
strict mode (and unchanged in English)."""
from __future__ import annotations

import pandas as pd

from clientlens import i18n

from test_i18n_reports import CJK, zh  # noqa: F401 - the strict zh fixture, shared

# the placeholders of overview/profile/tags/binning.yaml and the notebook narrative of 00-02 are checked with
# the other reports' in tests/test_i18n_reports.py (STEMS, FILES)


def _recon(residual_share):
    return pd.DataFrame({"month_end": pd.to_datetime(["2026-08-31", "2026-09-30"]),
                         "residual_share": residual_share})


def test_reconciliation_check_reads_in_chinese_and_english_unchanged(zh):
    from clientlens.reconciliation import reconciliation_check

    row = reconciliation_check(_recon([0.01, -0.03]), warn_share=0.02, fail_share=0.05)
    assert row["verdict"] == "WARN"
    assert row["check"] == "月末 AUM 变动与交易净流入勾稽一致"
    assert row["value"] == "最大对账差额为期初 AUM 的 3.00%（2026-09）；2 个月中有 1 个月超过 2.0%"
    assert all(CJK.search(row[k]) for k in ("threshold", "note"))
    i18n.set_language("en")
    row = reconciliation_check(_recon([0.01, -0.03]), warn_share=0.02, fail_share=0.05)
    assert row["value"] == "largest residual 3.00% of opening AUM (2026-09); 1 of 2 month(s) above 2.0%"


def test_loader_problems_and_activity_definitions_read_in_chinese(zh):
    from clientlens import activity, data

    assert data._problem("transaction(s) dated after as_of 2026-10-31 dropped (future_transactions: drop)") == \
        "日期晚于基准日 2026-10-31 的交易已剔除（future_transactions: drop）"
    assert all(CJK.search(data._problem(p.format(ceiling="1,000", as_of="2026-10-31"))) for p in data._PROBLEMS)
    assert all(CJK.search(i18n.t(d, dormant_days=180)) and CJK.search(i18n.value(name))
               for name, d in activity.ACTIVITY_COUNTS.items())


def test_data_quality_warnings_and_quadrant_words_read_in_chinese(zh):
    from clientlens.features import data_quality
    from clientlens.tags import CATEGORIES, QUADRANT_ACTIONS, QUADRANTS, RFM_SEGMENTS

    wide = pd.DataFrame({"customer_id": range(40), "age": [30] * 39 + [99], "has_demand_deposit": 1,
                         "income_monthly": [None] * 10 + [8000.0] * 30})
    dq = data_quality(wide, outlier_iqr=1.5, missing_warn=0.05)
    assert dq["warnings"] and all(CJK.search(w) for w in dq["warnings"] + dq["by_design"])
    assert "income_monthly：25.0% 的客户缺失" in dq["warnings"]
    for word in (*QUADRANTS, *QUADRANT_ACTIONS, *RFM_SEGMENTS, *CATEGORIES):
        assert CJK.search(i18n.value(word)), word


def test_summaries_of_00_and_01_read_in_chinese(zh):
    from clientlens import summaries

    checks = [{"check": i18n.t("no dates after the as-of date"), "verdict": "PASS"},
              {"check": i18n.t("customers without any transaction"), "verdict": "WARN"}]
    assert summaries._checks_line(checks, "data checks") == \
        "数据检查：不通过 0 项、关注 1 项、通过 1 项；请先看：无任何交易的客户（关注）。"
    wide = pd.DataFrame({"customer_id": [1, 2], "aum": [100.0, 300.0], "n_txn_90d": [0, 3]})
    tags = pd.DataFrame({"customer_id": [1, 2], "lifecycle_stage": ["growth", "growth"],
                         "quadrant_action": ["retention_watch", "no_action"]})
    lines = summaries.profile(wide, tags)
    assert all(CJK.search(x) for x in lines)
    assert "客户最多的生命周期阶段是成长期，共 2 名客户（100.0%）。" in lines


def test_binning_reasons_findings_and_stability_read_in_chinese_english_unchanged(zh):
    from clientlens import binning, screening

    reasons = ["IV 0.0123 < iv_min 0.02 (useless)", "pre-screen IV 0.0046 < 0.01 (0.5 x iv_min): useless",
               "|corr| 0.81 > max_corr 0.7 with n_txn_90d (higher IV)", "rank 21 by IV > max_selected 20",
               "IV 0.7000 > iv_max 0.5: suspicious; leak found: single-variable AUC 0.990 >= 0.95; measured on "
               "2026-01-01, after the observation date 2025-12-01"]
    zh_texts = [binning.reason_text(r) for r in reasons]
    assert zh_texts[0] == "IV 0.0123 < iv_min 0.02（无效）"
    assert zh_texts[-1] == ("IV 0.7000 > iv_max 0.5：可疑；发现数据泄露：单变量 AUC 0.990 >= 0.95；"
                            "取数日期 2026-01-01 晚于观察日 2025-12-01")
    assert all(CJK.search(x) for x in zh_texts)
    assert all(binning.reason_kind(r) for r in reasons)   # the stored reason stays English
    psi = pd.DataFrame({"variable": ["aum", "age"], "psi": [0.02, 0.15], "band": ["stable", "watch"]})
    kind, text, warns = screening.psi_verdict(psi, 0.1)
    assert kind == "warning" and text.startswith("不稳定：age (0.150, 关注)") and CJK.search(warns[0])
    i18n.set_language("en")
    assert [binning.reason_text(r) for r in reasons] == reasons
    assert screening.psi_verdict(psi, 0.1)[1].startswith("Not stable: age (0.150, watch)")
