"""Reports in zh (issue 17, item 1): where the runner puts them, how the index links them, and the report
helpers' headers, category values and verdict words through the catalogue (no kernel started here).

The done-means test (every report rendered in zh) is tests/test_i18n_reports.py and the
library texts they show are being translated)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from clientlens import ParamsError, i18n, report, runner
from clientlens.params import check_rules


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.set_language("en")


def test_a_bad_language_is_one_line_before_a_kernel_starts():
    with pytest.raises(ParamsError, match=r"^01: language must be one of \['en', 'zh'\]; got 'fr'$"):
        check_rules({"language": "fr"}, where="01: ")
    check_rules({"language": "zh"})


def test_zh_report_goes_to_the_language_sub_folder_and_finds_the_en_runs_artefacts(tmp_path):
    plan = runner.RunPlan(notebook=tmp_path / "01_x.ipynb", stem="01_x", as_of="2026-10-31", reports_root=tmp_path,
                          params={}, declared={}, language="zh")
    assert plan.day_dir == tmp_path / "2026-10-31" / "zh" and plan.html_path.name == "01_x.html"
    assert plan.date_dir == tmp_path / "2026-10-31"
    zh_only = tmp_path / "2026-10-31" / "zh" / "01_x_files" / "tags.parquet"
    zh_only.parent.mkdir(parents=True)
    zh_only.write_text("x")
    assert report.find_artifact(tmp_path, "2026-10-31", "01_x", "tags.parquet") == zh_only
    en = tmp_path / "2026-10-31" / "01_x_files" / "tags.parquet"
    en.parent.mkdir(parents=True)
    en.write_text("x")
    assert report.find_artifact(tmp_path, "2026-10-31", "01_x", "tags.parquet") == en
    # a zh report reads the zh run's artefact first (03's segment names are written in the report's language)
    with i18n.using("zh"):
        assert report.find_artifact(tmp_path, "2026-10-31", "01_x", "tags.parquet") == zh_only


def test_index_links_each_report_in_each_language(tmp_path):
    day = tmp_path / "2026-10-31"
    for folder, stem in ((day, "00_x"), (day / "zh", "00_x"), (day / "zh", "01_y")):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.html").write_text("x")
        (folder / f"{stem}.manifest.json").write_text(json.dumps(
            {"stem": stem, "status": "ok", "duration_s": 1.0, "started_at": "t", "outputs": {"html": f"{stem}.html"}}))
    page = runner.write_index(tmp_path).read_text(encoding="utf-8")
    assert "href='2026-10-31/00_x.html'" in page and "href='2026-10-31/zh/00_x.html'>中文</a>" in page
    assert "href='2026-10-31/zh/01_y.html'>中文</a>" in page


def test_index_labels_in_en_and_zh_titles_in_each_language_data_escaped(tmp_path, monkeypatch):
    """A Chinese reviewer reads the index: every label has its Chinese beside it (strict: none missing), the zh
    report is linked under its zh title, the latest run is marked, data values (titles, errors) are escaped."""
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    for day, folder, stem, status, title in (
            ("2026-09-30", "", "00_x", "ok", "Data overview"),
            ("2026-10-31", "", "00_x", "ok", "Data overview"), ("2026-10-31", "zh", "00_x", "ok", "数据概览"),
            ("2026-10-31", "", "01_y", "failed", "Profile <script>x</script>")):
        d = tmp_path / day / folder
        d.mkdir(parents=True, exist_ok=True)
        name = f"{stem}.manifest.json" if status == "ok" else f"{stem}.FAILED.manifest.json"
        (d / f"{stem}.html").write_text("x")
        (d / name).write_text(json.dumps({"stem": stem, "status": status, "title": title, "duration_s": 1.0,
                                          "started_at": f"{day}T10:00:00", "ended_at": f"{day}T10:01:00+08:00",
                                          "error": "<b>boom</b>" if status != "ok" else None,
                                          "outputs": {"html": f"{stem}.html"}}))
    page = runner.write_index(tmp_path).read_text(encoding="utf-8")
    latest = page[page.index("<h2>As of 2026-10-31"):page.index("<h2>As of 2026-09-30")]
    for zh in ("数据基准日 2026-10-31", "最新一次运行", "运行时间：2026-10-31 10:00:00 至 2026-10-31 10:01:00+08:00",
               "共 2 份报告，1 份失败", ">报告<", ">状态<", ">开始时间<", ">成功<", ">失败<", ">运行记录<",
               ">最近一次成功的报告<", ">失败的报告<"):
        assert zh in latest, zh
    assert "最新一次运行" not in page[page.index("<h2>As of 2026-09-30"):]
    assert "href='2026-10-31/00_x.html'>Data overview</a>" in latest
    assert "href='2026-10-31/zh/00_x.html' lang='zh'>数据概览</a>" in latest
    assert "<script>" not in page and "Profile &lt;script&gt;" in page and "&lt;b&gt;boom" in page
    assert "ClientLens 报告索引" in page and "共 1 份报告，全部成功" in page
    assert runner._when("2026-12-01T12:05:15+00:00") == "2026-12-01 12:05:15 UTC"


def test_report_title_is_the_first_heading_of_the_report():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_markdown_cell("Intro\n\n# 数据概览 \n\n## Later")])
    assert runner.report_title(nb) == "数据概览"
    assert runner.report_title(nbformat.v4.new_notebook()) == ""


def test_table_headers_category_values_and_verdict_words_in_zh_badge_colour_by_english_verdict():
    i18n.set_language("zh")
    html = report.table_html(pd.DataFrame({"status": ["ok", "上海"], "seconds": [1.5, 2.0]}))
    assert ">状态<" in html and ">耗时（秒）<" in html and ">成功<" in html and ">上海<" in html
    badge = report.badge("FAIL")
    assert "data-verdict='FAIL'" in badge and ">不通过<" in badge and "#c53030" in badge
    assert runner._FAIL_BADGE.search(badge)
    assert "<strong>说明</strong>" in report.callout_html("x")
    i18n.set_language("en")
    assert ">FAIL<" in report.badge("FAIL") and ">status<" in report.table_html(pd.DataFrame({"status": ["ok"]}))


def test_set_language_returns_nothing_so_a_notebook_cell_ending_with_it_shows_nothing():
    assert i18n.set_language("zh") is None
