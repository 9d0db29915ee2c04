"""Each report's "what this says" summary (computed from its results, moved to the top of the HTML by the
runner) and its glossary (issue 17 item 2): builders by hand on fixtures, the runner's move, the glossary
covering every word-valued tag the tag library emits."""
from __future__ import annotations

import html
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest

from clientlens import ParamsError, glossary, report, runner, summaries, tags


def test_summary_html_escapes_every_line_and_drops_empty_ones():
    page = report.summary_html(["<b>5</b> customers", "", "AUM & flows"])
    assert "&lt;b&gt;5&lt;/b&gt; customers" in page and "AUM &amp; flows" in page
    assert page.count("<li") == 2 and "What this says" in page


def _executed(summary_in_cell: int):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\nWhat the report is."),
                nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_markdown_cell("## 1. First section"),
                nbformat.v4.new_code_cell("show()"),
                nbformat.v4.new_code_cell("summary()")]
    table = nbformat.v4.new_output("display_data", data={"text/html": "<table>t</table>"})
    summ = nbformat.v4.new_output("display_data", data={"text/html": report.summary_html(["line one"])},
                                  metadata={report.SUMMARY_MARK: True})
    nb.cells[3].outputs = [table]
    nb.cells[summary_in_cell].outputs = [summ]
    return nb


def test_runner_moves_the_summary_after_the_title_and_before_the_first_section():
    nb = _executed(4)
    assert runner.move_summary(nb)
    assert [c.cell_type for c in nb.cells][:3] == ["markdown", "code", "code"]
    assert runner.SUMMARY_TAG in nb.cells[1].metadata["tags"] and nb.cells[1].source == ""
    assert nb.cells[5].outputs == [] and len(nb.cells[4].outputs) == 1     # left its cell; the table stayed
    page = runner._to_html(nb, "t")
    assert page.index("What this says") < page.index("First section") < page.index("<table>t</table>")
    assert "line one" in page and page.index("What the report is") < page.index("What this says")
    assert not runner.move_summary(nbformat.v4.new_notebook())  # nothing to move


def _ov():
    checks = [{"check": "no dates after the as-of date", "value": 0, "verdict": "PASS"},
              {"check": "AUM reconciliation", "value": "5.3%", "verdict": "FAIL"},
              {"check": "customers without any transaction", "value": "10", "verdict": "WARN"}]
    act = pd.DataFrame({"count": ["customers", "without any transaction"], "customers": [200, 10]})
    recon = pd.DataFrame({"month_end": pd.to_datetime(["2026-04-30", "2026-05-31"]),
                          "residual_share": [0.01, -0.053]})
    counts = pd.DataFrame({"table": ["customers", "transactions"], "rows": [200, 1000], "customers": [200, 190]})
    from clientlens.sections_overview import Overview

    return Overview(pd.Timestamp("2026-10-31").date(), counts, pd.DataFrame(), pd.DataFrame(), act, recon, checks)


def test_overview_summary_by_hand():
    lines = summaries.overview(_ov())
    assert lines[0] == "200 customers and 1,000 transactions as of 2026-10-31."
    assert lines[1] == ("Data checks: 1 FAIL, 1 WARN, 1 PASS; read first: AUM reconciliation (FAIL).")
    assert lines[2] == "10 customers (5.0%) have no transaction at all in the data."
    assert lines[3] == "Month-end AUM change and net flows differ by at most 5.3% of AUM (in 2026-05)."
    assert 3 <= len(lines) <= 5


def test_profile_summary_by_hand():
    wide = pd.DataFrame({"aum": [100.0, 300.0, 0.0, 600.0], "n_txn_90d": [1, 0, 0, 4]})
    t = pd.DataFrame({"lifecycle_stage": ["maturity", "maturity", "dormant", "growth"],
                      "is_primary_account": pd.array([True, False, pd.NA, False], dtype="boolean"),
                      "quadrant_action": ["maintain", "maintain", "no_action", "convert_to_primary"]})
    lines = summaries.profile(wide, t)
    assert lines == ["4 customers hold 1,000 CNY of AUM (median 200 CNY per customer).",
                     "50.0% of customers made a transaction in the last 90 days.",
                     "The largest lifecycle stage is maturity with 2 customers (50.0%).",
                     "33.3% of customers with balances use the bank as their primary account.",
                     "Most frequent value x potential action: maintain (50.0% of customers)."]


def test_response_validation_and_post_evaluation_summaries_by_hand():
    metrics = pd.DataFrame([{"model": "scorecard", "AUC": 0.81234, "lift top 10%": 3.6, "capture top 10%": 0.36}])
    lst = pd.DataFrame({"group": ["model"] * 4 + ["control"], "propensity": [0.5, 0.25, 0.25, 0.5, 0.3]})
    lines = summaries.response(metrics, lst, "fund", base_prob=[0.1, 0.1])
    assert lines[0].endswith("hold 36% of responders (lift 3.6x; AUC 0.812).")
    assert lines[1] == ("The marketing list offers fund to 4 customers, with 1 more kept back as a random control group.")
    assert lines[2] == "Expected responders on the list: about 2 (mean predicted response 37.5% vs 10.0% over the base)."
    verdicts = pd.DataFrame({"check": ["AUC", "Score PSI", "KS"], "out-of-time": ["0.81", "0.31", "0.2"],
                             "verdict": ["PASS", "FAIL", "WARN"]})
    res = {"verdicts": verdicts, "overall": "FAIL", "primary": "out_of_time",
           "metrics": {"out_of_time": {"auc": 0.8, "auc_low": 0.75, "auc_high": 0.85}},
           "stability": pd.DataFrame({"index": [0.31], "band": ["shifted"]})}
    lines = summaries.validation(res, "out-of-time")
    assert lines[:2] == ["Overall verdict on the out-of-time sample: FAIL.", "Worst check: Score PSI is FAIL (value 0.31)."]
    assert "AUC 0.800 (0.750 to 0.850)." in lines and len(lines) == 5
    comp = pd.DataFrame({"campaign_id": ["A", "A"], "kpi": ["response_rate", "aum_change"], "treated": [0.12, 5.0],
                         "control": [0.10, 1.0], "difference": [0.02, 4.0], "ci_low": [0.005, -1.0],
                         "ci_high": [0.035, 9.0]})
    lines = summaries.post_evaluation(["A"], comp)
    # differences to 0.1 point, as the dashboard and the tables show rates (0.1%)
    assert lines[1] == ("A: response 12.0% treated vs 10.0% control, +2.0 percentage points (95% interval +0.5 to "
                        "+3.5); significant.")
    assert summaries.post_evaluation([], pd.DataFrame())[0].startswith("No campaign")


def test_segmentation_binning_clv_events_strategy_summaries_by_hand():
    sel = pd.DataFrame({"stability_ari_mean": [0.9, 0.6]}, index=pd.Index([2, 3], name="k"))
    lines = summaries.segmentation([0, 0, 0, 1], {0: "young", 1: "wealthy"}, 2, sel, 0.8)
    assert lines[1] == "Largest segment: young (75.0% of customers); smallest: wealthy (25.0%)."
    assert "ARI 0.90, at or above the 0.80 threshold" in lines[2]
    summ = pd.DataFrame({"variable": ["a", "b"], "iv": [0.6, 0.2], "iv_band": ["suspicious", "medium"]})
    lines = summaries.binning(summ, ["a"], pd.DataFrame({"psi": [0.05]}))
    assert lines == ["1 of 2 candidate variables were selected for the model.",
                     "The strongest variable is a with IV 0.600 (suspicious).",
                     "1 variable(s) have a suspicious IV above 0.5 and were checked for leakage.",
                     "Every selected variable is stable between the samples (PSI below 0.1)."]
    vals = pd.DataFrame({"clv": [800.0, 100.0, 50.0, 30.0, 20.0], "clv_tier": ["high", "medium", "low", "low", "low"]})
    comp = pd.DataFrame({"model": ["BG/NBD"], "total_error_pct": [-2.54]})
    lines = summaries.clv(vals, comp, "BG/NBD")
    assert lines[1] == "The most valuable 20% of customers hold 80.0% of that value."
    assert lines[-1] == "The chosen transaction model (BG/NBD) misses the holdout total by -2.5%."
    kept = pd.DataFrame({"event": ["birthday", "birthday", "spend_surge"]})
    lines = summaries.events(kept, pd.DataFrame(index=range(2)), pd.DataFrame(), 2,
                             [{"check": "c", "verdict": "PASS"}])
    assert lines == ["Over the last 2 days the rules found 3 events, which became 2 contact tasks (1 a day).",
                     "The most frequent event is birthday (66.7% of events).", "0 tasks are due today.",
                     "All 1 event job checks pass."]
    lists = pd.DataFrame({"strategy": ["s1", "s1", "s2"], "group": ["treated", "control", "treated"]})
    lines = summaries.strategy(10, 3, lists, [{"check": "c", "verdict": "WARN"}], {"s3": "no one"})
    assert lines[0] == "3 strategies put 3 of 10 customers (30.0%) on a list, 1 of them held out as random controls."
    assert lines[2] == "1 strategy(ies) select nobody: s3."


# --------------------------------------------------------------------------- glossary

def test_every_word_valued_tag_the_library_can_emit_has_a_glossary_entry():
    emitted = set(tags.LIFECYCLE_STAGES) | set(tags.QUADRANTS) | set(tags.QUADRANT_ACTIONS) | set(tags.RFM_SEGMENTS)
    emitted |= {"active", "acquire", "develop", "retain", "win_back", "high", "medium", "low", "inactive",
                "none", "investment_led", "deposit_and_investment", "deposit_and_protection", "deposit_only", "other"}
    missing = emitted - set(glossary.TERMS)
    assert not missing, sorted(missing)


def test_every_value_of_the_word_valued_tags_on_the_demo_has_a_glossary_entry(demo_small):
    from clientlens.data import load_bank
    from clientlens.features import build_wide_table

    t = tags.build_tags(build_wide_table(load_bank(demo_small), pd.Timestamp("2026-10-31").date()))
    for col in glossary.TAG_VALUE_COLUMNS:
        values = set(t[col].dropna().astype(str))
        assert values and not values - set(glossary.TERMS), (col, sorted(values - set(glossary.TERMS)))


def test_every_entry_has_both_languages_and_every_report_a_known_term_list():
    for key, e in glossary.TERMS.items():
        for lang in ("en", "zh"):
            term, text = e[lang]
            assert term.strip() and len(text) > 5, (key, lang)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(e["zh"])), key
    for stem, terms in glossary.REPORT_TERMS.items():
        assert set(terms) <= set(glossary.TERMS), stem
    from clientlens import config

    assert set(glossary.REPORT_TERMS) == {p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb")}


def test_glossary_section_in_either_language_escaped_and_refuses_unknown_terms():
    en = glossary.glossary_html(["important_develop", "IV", "IV"], language="en")
    assert "<h2 id='glossary'>Glossary</h2>" in en and en.count("<tr>") == 3     # header + 2 terms, once each
    assert "important develop (RFM)" in en
    zh = glossary.glossary_html(["important_develop", "contact"], language="zh")
    assert "术语表" in zh and "重要发展客户（important_develop）" in zh and "接触期（contact）" in zh
    assert zh.count("<th ") == 2 and "报告中显示为" not in zh            # the zh term first, no column of English keys
    zh_terms = glossary.glossary_table(["PSI", "Qini", "high"], "zh")["term"].tolist()
    assert zh_terms == ["PSI（群体稳定性指数）", "Qini 系数", "高（high）"]   # the key only where the term lacks it
    assert "&lt;" not in en and "<script" not in en
    with pytest.raises(ParamsError, match="no glossary entry for 'nope'"):
        glossary.glossary_table(["nope"], "en")
    with pytest.raises(ParamsError, match="language must be one of"):
        glossary.entry("IV", "fr")


# --------------------------------------------------------------------------- index (issue 17 item 4)

def test_index_links_each_language_version_found_and_marks_an_unfinished_run_all(tmp_path):
    import json

    day = tmp_path / "2026-10-31"
    (day / "zh").mkdir(parents=True)
    for stem in ("00_x", "01_y"):
        (day / f"{stem}.html").write_text("x")
        (day / f"{stem}.manifest.json").write_text(json.dumps(
            {"stem": stem, "status": "ok", "duration_s": 1.0, "started_at": "2026-11-01T08:00:00",
             "ended_at": "2026-11-01T08:01:00", "outputs": {"html": f"{stem}.html"}}))
    (day / "zh" / "00_x.html").write_text("x")
    (day / runner.JOURNAL).write_text(json.dumps({"status": "running", "pid": 999999999, "host": "elsewhere",
                                                  "notebooks": ["00_x", "01_y", "02_z"], "done": {"00_x": "ok",
                                                                                                 "01_y": "ok"},
                                                  "started_at": "2026-11-01T08:00:00"}))
    page = runner.write_index(tmp_path).read_text(encoding="utf-8")
    assert "href='2026-10-31/zh/00_x.html'>中文</a>" in page
    assert "href='2026-10-31/zh/01_y.html'" not in page
    assert "INCOMPLETE" in page and "2 of 3 reports done" in page and "all ok" not in page
    assert "As of 2026-10-31" in page and "latest run" in page


# --------------------------------------------------------------------------- lifecycle chart (issue 17 item 2)

def test_lifecycle_chart_draws_stages_in_order_from_a_common_zero_with_counts_and_shares():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clientlens.plots.profile import plot_lifecycle_stages

    counts = pd.Series({"maturity": 500, "dormant": 200, "contact": 100, "growth": 150, "decline": 50})
    fig, ax = plt.subplots()
    assert plot_lifecycle_stages(counts, ax=ax) is ax
    bars = sorted(ax.patches, key=lambda p: -p.get_y())                      # top to bottom
    assert [round(p.get_width()) for p in bars] == [100, 150, 500, 50, 200]  # contact .. dormant, not by size
    assert all(p.get_x() == 0 for p in bars)                                 # from zero: not a centred funnel
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())), reverse=True)
    assert [t for _, t in ticks] == ["1. contact", "2. growth", "3. maturity", "4. decline", "5. dormant"]
    texts = [t.get_text() for t in ax.texts]
    assert " 500 (50.0%)" in texts and " 50 (5.0%)" in texts
    plt.close(fig)
