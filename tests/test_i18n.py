"""clientlens.i18n: the zh/en message catalogue (issue 17, item 1)."""
from __future__ import annotations

import nbformat
import pytest

from clientlens import ClientLensError, ParamsError, i18n


@pytest.fixture(autouse=True)
def _english_after(monkeypatch):
    monkeypatch.delenv(i18n.STRICT_ENV, raising=False)
    yield
    i18n.set_language("en")


def test_english_is_the_source_text_unchanged():
    i18n.set_language("en")
    assert i18n.t("{n:,} customers", n=12345) == "12,345 customers"
    assert i18n.column("aum_share") == "aum_share" and i18n.value("growth") == "growth"


def test_chinese_comes_from_the_catalogue_and_verdict_words_are_translated():
    i18n.set_language("zh")
    assert i18n.t("PASS") == "通过" and i18n.t("FAIL") == "不通过"


def test_missing_translation_falls_back_and_is_recorded_or_raises_in_strict_mode(monkeypatch):
    i18n.set_language("zh")
    assert i18n.t("a text nobody translated") == "a text nobody translated"
    assert "a text nobody translated" in i18n.MISSING
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with pytest.raises(ClientLensError, match="no zh translation of 'another text'"):
        i18n.t("another text")


def test_a_data_value_without_entry_is_shown_as_the_bank_wrote_it(monkeypatch):
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    i18n.set_language("zh")
    assert i18n.value("上海") == "上海" and i18n.value(3) == 3


def test_unknown_language_is_one_line():
    with pytest.raises(ParamsError, match=r"language must be one of \['en', 'zh'\]; got 'fr'"):
        i18n.set_language("fr")


def test_markdown_cells_swap_by_id_and_a_changed_english_cell_is_stale(monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Profile", id="title1")])
    i18n.notebook_catalogue.cache_clear()
    monkeypatch.setattr(i18n, "notebook_catalogue",
                        lambda stem, language="zh": {"title1": {"source_sha": i18n.source_sha("# Profile"),
                                                                "zh": "# 客户画像"}})
    assert i18n.translate_notebook(nb, "x", "zh") == [] and nb.cells[0].source == "# 客户画像"
    stale = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Profile of the base", id="title1")])
    assert i18n.translate_notebook(stale, "x", "zh") == ["title1"]
    assert stale.cells[0].source == "# Profile of the base"
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with pytest.raises(ClientLensError, match=r"markdown cell\(s\) \['title1'\] have no current zh translation"):
        i18n.translate_notebook(stale, "x", "zh")


def test_catalogue_files_parse_and_agree():
    i18n.catalogue.cache_clear()
    cat = i18n.catalogue("zh")
    assert cat and all(isinstance(k, str) and isinstance(v, str) and v for k, v in cat.items())


def test_money_reads_in_wan_and_yi_in_zh_and_whole_units_in_en():
    # hand values: 156,112,162 = 1.5611 亿; 45,600 = 4.56 万; 9,999.6 rounds to 1.00 万, 99,999,999 to 1.00 亿
    i18n.set_language("en")
    assert [i18n.money(v) for v in (156_112_162, 45_600, -45_600.4, 999.5, -0.3)] == \
        ["156,112,162", "45,600", "-45,600", "1,000", "0"]
    assert i18n.money(float("nan")) == "–" and i18n.money(None) == "–"
    i18n.set_language("zh")
    assert [i18n.money(v) for v in (156_112_162, 45_600, -45_600, -230_000_000, 9_999.6, 99_999_999, 2_662.6)] == \
        ["1.56 亿", "4.56 万", "-4.56 万", "-2.30 亿", "1.00 万", "1.00 亿", "2,663"]
    assert i18n.money(float("nan")) == "–"


def test_money_columns_of_a_report_table_and_summary_follow_the_language():
    import pandas as pd

    from clientlens import report, summaries

    df = pd.DataFrame({"segment": ["a", "b"], "aum": [156_112_162.0, float("nan")]})
    i18n.set_language("zh")
    html = report.table_html(df, fmt={"aum": i18n.money})
    assert "1.56 亿" in html and "156,112,162" not in html
    line = summaries.clv(pd.DataFrame({"clv": [156_112_162.0, 0.0]}))[0]
    assert "1.56 亿元" in line
    assert "1.56 亿" in report.table_html(df, fmt=i18n.money)   # one callable for every numeric column
    i18n.set_language("en")
    assert "156,112,162" in report.table_html(df, fmt={"aum": i18n.money})


def test_readable_headers_in_en_and_zh_while_the_frame_keeps_its_names():
    import pandas as pd

    from clientlens import postevaluation, report

    df = pd.DataFrame({"campaign_id": ["S-1"], "n_treated": [1664], "ci_low": [-0.015]})
    i18n.set_language("en")
    html = report.table_html(df, headers=postevaluation.HEADERS, percent_cols=["ci_low"])
    assert "treated customers" in html and "interval low" in html and "-1.5%" in html
    assert "n_treated" not in html and "campaign_id" not in html
    assert list(df.columns) == ["campaign_id", "n_treated", "ci_low"]
    i18n.set_language("zh")
    html = report.table_html(df, headers=postevaluation.HEADERS, percent_cols=["ci_low"])
    assert "实验组人数" in html and "置信区间下限" in html and "营销活动" in html
    # every readable header of 09 has its Chinese
    assert all(h in i18n.catalogue("zh") for h in postevaluation.HEADERS.values())
