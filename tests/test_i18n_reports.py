"""The zh texts of 03-09 (issue 17, item 1): library text in Chinese in strict mode, catalogue entries that
format like their English key, notebook narrative current with its English cells."""
from __future__ import annotations

import re
import string
from pathlib import Path

import nbformat
import pytest
import yaml

from clientlens import config, i18n

STEMS = ("00_data_overview", "01_profile", "02_binning", "03_segmentation", "04_clv", "05_response_model", "06_model_validation", "07_event_triggers", "08_strategy", "09_post_evaluation")
FILES = ("overview", "profile", "tags", "binning", "segments", "clv", "summaries", "response_model", "variables", "events", "strategy", "postevaluation",
         "validation")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def zh(monkeypatch):
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


@pytest.mark.parametrize("name", FILES)
def test_each_translation_has_the_placeholders_of_its_english_key(name):
    """Same fields; only an English plural ending ({s}) may be left out (Chinese has none)."""
    data = yaml.safe_load((i18n.MESSAGES_DIR / "zh" / f"{name}.yaml").read_text(encoding="utf-8"))
    bad = {k: v for k, v in data.items() if not (_fields(str(v)) <= _fields(str(k))
                                                 and _fields(str(k)) - _fields(str(v)) <= {"s"})}
    assert not bad, f"{name}.yaml: placeholders differ from the English key: {bad}"


@pytest.mark.parametrize("stem", STEMS)
def test_every_markdown_cell_of_the_notebook_has_a_current_translation(stem):
    i18n.notebook_catalogue.cache_clear()
    nb = nbformat.read(str(config.resolve("notebooks") / f"{stem}.ipynb"), as_version=4)
    assert i18n.untranslated_cells(nb, stem) == [], f"{stem}: rerun the skeleton script and translate the cells"


def test_variable_words_and_reason_bands_read_in_chinese(zh):
    from clientlens.scoring import describe_variable

    for name in ("amt_consumption_30d", "n_txn_90d", "has_fund", "aum_avg_3m", "key_txn_m0", "payroll_retention_m2",
                 "share_atm", "days_since_last_txn", "n_fx_purchase_365d"):
        assert CJK.search(describe_variable(name)), name
    assert describe_variable("amt_consumption_30d") == "近 30 天消费交易金额"


def test_event_rules_actions_and_funnel_read_in_chinese(zh):
    from clientlens import events as E

    table = E.rules_table(E.EventRules())
    assert all(CJK.search(c) for c in table["condition"]) and all(CJK.search(a) for a in table["action"])
    assert all(CJK.search(i18n.t(label)) for label in E.FUNNEL_LABELS.values())


def test_list_funnel_and_event_checks_english_unchanged_chinese_in_zh(monkeypatch):
    from clientlens import marketing_list

    counts = {"base": 100, "unsuitable": 5, "ineligible": 3, "opted_out": 2, "recently_contacted": 10, "eligible": 80}
    kw = dict(product="fund", exclude_opt_out=True, recent_contact_days=90, economics=False, n_list=20, n_control=2,
              control_share=0.1)
    en = marketing_list.funnel_steps(counts, **kw)
    assert list(en["step"])[:2] == ["customers in the base", "above their risk level for fund (unsuitable, removed)"]
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    i18n.set_language("zh")
    try:
        zh = marketing_list.funnel_steps(counts, **kw)
    finally:
        i18n.set_language("en")
    assert list(zh["step"])[:2] == ["全量客户", "基金风险等级高于客户风险承受能力（不适当，剔除）"]
    assert list(zh["customers"]) == list(en["customers"])


def test_validation_overall_message_reads_in_chinese(zh):
    import pandas as pd

    from clientlens import validation

    res = {"verdicts": pd.DataFrame({"verdict": ["PASS", "WARN"]}), "overall": "WARN", "primary": "out_of_time",
           "names": {"out_of_time": "out-of-time", "validation": "in-time holdout"}}
    text, kind, title = validation.overall_message(res, "")
    assert kind == "warning" and title == "总体结论：关注" and text.startswith("1 项检查需要关注")
