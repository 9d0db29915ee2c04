"""The zh texts of 03_segmentation and 04_clv (issue 17, item 1): library text in Chinese in strict mode, English
unchanged. Their catalogue files and notebook narrative are checked with 05-09's in tests/test_i18n_reports.py."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import yaml

from clientlens import i18n
from test_i18n_reports import zh  # noqa: F401  (the strict zh fixture)

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_notebook_skeleton_quotes_cell_ids_that_yaml_would_read_as_numbers():
    """Cell id 90802434 (04's 'Warnings') must stay a string key, or its translation is never found."""
    from clientlens.i18n_tools import notebook_skeleton

    data = yaml.safe_load(notebook_skeleton("04_clv"))
    assert "90802434" in data and data["90802434"]["zh"] == "## 警告"


def _profile(z: dict) -> object:
    from clientlens.segments import SegmentProfile

    zs = pd.DataFrame(z).T
    empty = pd.DataFrame()
    return SegmentProfile(summary=empty, means=empty, medians=empty, zscores=zs, distinguishing=empty,
                          overall=pd.Series(dtype=float))


def test_generated_segment_labels_english_unchanged_chinese_in_zh(monkeypatch):
    from clientlens.segments import label_segments

    prof = _profile({0: {"age": 1.2, "aum": 0.9, "share_mobile": -0.1},
                     1: {"age": -1.0, "aum": -0.7, "share_mobile": 0.2},
                     2: {"age": 0.1, "aum": 0.1, "share_mobile": 0.1}})
    en = label_segments(prof)
    assert list(en) == ["older, high AUM", "younger, low AUM", "typical"]
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with i18n.using("zh"):
        zh = label_segments(prof)
    assert list(zh) == ["较年长、高 AUM", "较年轻、低 AUM", "普通"]


def test_k_choice_reason_and_crosstab_reading_read_in_chinese(zh):
    from clientlens.segments import choose_k, crosstab_reading

    sel = pd.DataFrame([(2, 100.0, 0.50, 10.0, 0.9, 0.99), (3, 40.0, 0.45, 30.0, 0.8, 0.95),
                        (4, 30.0, 0.40, 25.0, 0.7, 0.90), (5, 25.0, 0.30, 20.0, 1.0, 0.50)],
                       columns=["k", "inertia", "silhouette", "calinski_harabasz", "davies_bouldin",
                                "stability_ari_mean"]).set_index("k")
    k, why = choose_k(sel, 0.8, "vote")
    assert k == 3 and why.startswith("k = 3：4 项准则中有 2 项支持") and "肘部法则" in why
    seg = np.repeat([0, 1], 50)
    rule = np.array(["growth"] * 45 + ["dormant"] * 5 + ["dormant"] * 45 + ["growth"] * 5)
    text = crosstab_reading(seg, rule, {0: "较年长", 1: "较年轻"}, "lifecycle stage")
    assert text.startswith("聚类结果强相关于生命周期阶段") and "成长期" in text and "growth" not in text


def test_segmentation_and_clv_checks_read_in_chinese(zh):
    from clientlens import checks

    sel = pd.DataFrame({"stability_ari_mean": [0.9], "silhouette": [0.3], "min_share": [0.05]}, index=[4])
    rows = checks.segmentation_checks(sel, 4, 0.8)
    assert all(CJK.search(r["check"]) for r in rows)
    compare = pd.DataFrame({"model": ["BG/NBD"], "total_error_pct": [12.0]})
    row = checks.clv_total_error_check(compare, "BG/NBD", 10, 20)
    assert row == {"check": "BG/NBD：保留期交易总数，预测与实际对比", "value": "+12.0%",
                   "threshold": "|误差| < 10%（>= 20% 为不通过）", "verdict": "WARN"}


def test_rfm_notes_read_in_the_language_of_the_report_that_uses_them(monkeypatch):
    """The RFM summary is cached once per dated run and read by the en and the zh report: its notes are kept as
    (text, fields) and rendered on access, so a zh report never shows the en run's sentences."""
    from clientlens.clv import _NO_CLV_NOTE, RFMSummary

    r = RFMSummary(table=pd.DataFrame(), period="day", observation_end=pd.Timestamp("2026-10-31").date(),
                   note_items=[("{n:,} transaction row(s) dated after as_of {as_of} were excluded",
                                {"n": 1200, "as_of": "2026-10-31"}),
                               (_NO_CLV_NOTE, {"n": 7, "without": "without outgoing transactions",
                                               "as_of": "2026-10-31"})])
    assert r.notes[0] == "1,200 transaction row(s) dated after as_of 2026-10-31 were excluded"
    assert r.no_clv_note == r.notes[1] and r.notes[1].startswith("7 customer(s) without outgoing transactions")
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with i18n.using("zh"):
        assert r.notes[0] == "1,200 条日期晚于基准日 2026-10-31 的交易记录已剔除"
        assert r.no_clv_note == "7 名客户截至 2026-10-31 没有转出交易：不参与拟合，没有 CLV（NaN，层级 'none'）"


def test_headers_built_with_fields_pass_column_in_strict_mode(zh):
    """'客群 3' (t('segment {s}', s=3)) and a bank's own Chinese header are not looked up again."""
    from clientlens import report
    from clientlens.sections import key_features_table

    stat = pd.DataFrame({"age": [30.0, 50.0]}, index=pd.Index([0, 1], name="segment"))
    tab = key_features_table(stat, pd.Series({"age": 40.0}))
    assert list(tab.columns) == ["feature", "all customers", "客群 0", "客群 1"]
    html = report.table_html(tab.assign(**{"分行": ["上海"]}))
    assert "全体客户" in html and "客群 1" in html and "分行" in html and "年龄" in html


def test_product_catalogue_table_reads_in_chinese(zh):
    from clientlens.offers import Catalogue

    tab = Catalogue.from_params({}, {}).table()
    fund = tab[tab["product"] == "fund"].iloc[0]
    assert fund["risk level"] == "R3" and fund["who may be offered it"] == "稳健型, 进取型"
    assert fund["eligibility"] == "最低年龄 18"
    assert tab[tab["product"] == "loan"].iloc[0]["risk level"] == "未评级"


def test_summary_box_heading_and_sentences_read_in_chinese(zh):
    from clientlens import report, summaries

    html = report.summary_html(["一"])
    assert "<strong>本报告要点</strong>" in html
    vals = pd.DataFrame({"clv": [300.0, 100.0, 100.0, 0.0, 0.0], "clv_tier": ["high", "medium", "low", "low", "low"]})
    assert summaries.clv(vals, currency="CNY") == ["5 名客户在预期关系期内为银行带来的价值合计 500元。",  # i18n.money: unit word joined
                                                   "价值最高的 20% 客户占其中 60.0%。", "1 名客户（20.0%）处于高价值层级。"]
    checks = [{"check": "数据", "verdict": "PASS"}, {"check": "名单规模", "verdict": "WARN"}]
    assert summaries.strategy(100, 2, pd.DataFrame({"group": ["model", "control"], "strategy": ["a", "a"]}),
                              checks)[-1] == "名单检查：不通过 0 项、关注 1 项、通过 1 项；请先看：名单规模（关注）。"
