"""Glossary: the tags, stages, actions and measures the reports use, in English and Chinese.

One table (:data:`TERMS`): each key is the word as a report shows it (a tag value such as
``important_develop``, a stage such as ``contact``, a measure such as ``PSI``); each entry holds the
English term and definition and the Chinese term and definition (the domain brief's Chinese terms,
written here as data, not translated at run time). :data:`REPORT_TERMS` lists the terms each report
uses; :func:`show` renders a report's glossary section, in the report's language by default.
"""
from __future__ import annotations

import html
from typing import Iterable

from . import ParamsError

__all__ = ["TERMS", "REPORT_TERMS", "TAG_VALUE_COLUMNS", "entry", "terms_for", "glossary_table", "glossary_html",
           "show"]

# key: (English term, English definition, Chinese term, Chinese definition)
_ROWS = [
    # lifecycle (巨鲸模型)
    ("contact", "contact (acquisition) stage",
     "A customer in the first months of the relationship (tenure below contact_days, 180 days by default): "
     "the bank is still getting to know them.",
     "接触期", "建立关系不满 contact_days（默认 180 天）的新客户，银行仍在了解客户的阶段。"),
    ("growth", "growth stage",
     "AUM is rising: the mean AUM of the last 3 month-ends is at least growth_ratio (1.2) times the mean of the 6 before.",
     "成长期", "资产在增长：最近 3 个月末平均 AUM 不低于此前 6 个月平均的 growth_ratio（1.2）倍。"),
    ("maturity", "maturity stage",
     "An established customer whose AUM is neither rising nor falling beyond the growth and decline ratios.",
     "成熟期", "关系稳定的客户，AUM 的变化在成长与衰退阈值之间。"),
    ("decline", "decline stage",
     "AUM is falling: the mean AUM of the last 3 month-ends is at most decline_ratio (0.8) times the mean of the 6 before.",
     "衰退期", "资产在下降：最近 3 个月末平均 AUM 不高于此前 6 个月平均的 decline_ratio（0.8）倍。"),
    ("dormant", "dormant stage",
     "No outgoing transaction in the last dormant_days (180) days: the relationship has gone quiet.",
     "沉没期", "最近 dormant_days（180）天内没有任何转出（支出）交易，关系已沉寂。"),
    ("active", "active (lifecycle without balances)",
     "Without monthly balances the growth, maturity and decline stages cannot be told apart; such customers are "
     "shown as active.",
     "活跃", "没有月末余额数据时无法区分成长、成熟、衰退期，这些客户显示为活跃。"),
    ("acquire", "acquire (four-stage form)", "Four-stage lifecycle: the contact stage, where the goal is to win the customer.",
     "获客", "四阶段生命周期中的接触期，目标是获得客户。"),
    ("develop", "develop (four-stage form)", "Four-stage lifecycle: the growth stage, where the goal is to deepen the relationship.",
     "培育", "四阶段生命周期中的成长期，目标是深化关系。"),
    ("retain", "retain (four-stage form)", "Four-stage lifecycle: the maturity stage, where the goal is to keep the customer.",
     "保有", "四阶段生命周期中的成熟期，目标是留住客户。"),
    ("win_back", "win back (four-stage form)",
     "Four-stage lifecycle: the decline and dormant stages, where the goal is to bring the customer back.",
     "挽回", "四阶段生命周期中的衰退期和沉没期，目标是挽回客户。"),
    # value x potential quadrant
    ("high_value_high_potential", "high value, high potential",
     "AUM at or above high_value_aum (100,000 CNY) and declared monthly income at or above high_potential_income (15,000 CNY).",
     "高价值高潜力", "AUM 不低于 high_value_aum（10 万元）且申报月收入不低于 high_potential_income（1.5 万元）。"),
    ("high_value_low_potential", "high value, low potential",
     "AUM at or above high_value_aum, income below high_potential_income (or unknown).",
     "高价值低潜力", "AUM 不低于 high_value_aum，月收入低于 high_potential_income（或未知）。"),
    ("low_value_high_potential", "low value, high potential",
     "AUM below high_value_aum, income at or above high_potential_income: room to grow.",
     "低价值高潜力", "AUM 低于 high_value_aum，月收入不低于 high_potential_income：有提升空间。"),
    ("low_value_low_potential", "low value, low potential",
     "AUM below high_value_aum and income below high_potential_income (or unknown).",
     "低价值低潜力", "AUM 低于 high_value_aum 且月收入低于 high_potential_income（或未知）。"),
    ("convert_to_primary", "action: convert to primary account",
     "High potential but the bank is not the customer's primary account: win the salary and daily payments.",
     "转化为主账户", "潜力高但本行不是客户的主账户：争取代发工资和日常收付。"),
    ("retention_watch", "action: retention watch",
     "High current value held mostly in deposits: watch for churn (a churn model or rule).",
     "防流失关注", "当前价值高且以存款为主：关注流失风险（流失模型或规则）。"),
    ("redemption_watch", "action: redemption watch",
     "High current value held mostly in wealth products: watch for redemptions followed by outflows.",
     "赎回关注", "当前价值高且以理财为主：关注赎回后资金转出。"),
    ("maintain", "action: maintain", "Neither case above applies: keep the usual service.",
     "维持", "不属于以上情况：保持常规服务。"),
    ("no_action", "action: no action", "Low value and low potential: no dedicated action.",
     "无需行动", "低价值低潜力：不安排专门举措。"),
    # RFM segments
    ("important_value", "important value (RFM)", "Recent, frequent and high spending: the best customers to keep.",
     "重要价值客户", "近期有交易、交易频繁且金额高：最需要保持的客户。"),
    ("important_develop", "important develop (RFM)",
     "Recent and high spending but infrequent: develop them into regular customers.",
     "重要发展客户", "近期有交易且金额高，但交易不频繁：应培养成常用客户。"),
    ("important_retain", "important retain (RFM)",
     "Frequent and high spending but not recent: keep them before they drift away.",
     "重要保持客户", "交易频繁且金额高，但近期没有交易：需在流失前保持联系。"),
    ("important_win_back", "important win back (RFM)",
     "High spending but neither recent nor frequent: worth winning back.",
     "重要挽留客户", "金额高但近期无交易且不频繁：值得挽回。"),
    ("general_value", "general value (RFM)", "Recent and frequent but lower spending.",
     "一般价值客户", "近期有交易且频繁，但金额较低。"),
    ("general_develop", "general develop (RFM)", "Recent, infrequent and lower spending.",
     "一般发展客户", "近期有交易，但不频繁且金额较低。"),
    ("general_retain", "general retain (RFM)", "Frequent but neither recent nor high spending.",
     "一般保持客户", "交易频繁，但近期无交易且金额较低。"),
    ("general_win_back", "general win back (RFM)",
     "Neither recent, frequent nor high spending: the least engaged customers; win back at low cost or leave.",
     "一般挽留客户", "近期无交易、不频繁且金额低：参与度最低的客户，低成本挽回或不做投入。"),
    # tiers and levels
    ("high", "high (tier)",
     "Value tier: the customers holding the first 80% of AUM (largest first); RFM tier: RFM score at or above 4.",
     "高", "价值层级：按 AUM 从大到小累计占前 80% 的客户；RFM 层级：RFM 得分不低于 4。"),
    ("medium", "medium (tier)", "Value tier: the next customers up to 95% of AUM; RFM tier: score at or above 2.5.",
     "中", "价值层级：累计 AUM 80% 至 95% 的客户；RFM 层级：得分不低于 2.5。"),
    ("low", "low (tier or activity)",
     "Value tier: the customers holding the last 5% of AUM; RFM tier: score below 2.5; activity: fewer than "
     "active_min_txn_90d (6) transactions in 90 days.",
     "低", "价值层级：累计 AUM 最后 5% 的客户；RFM 层级：得分低于 2.5；活跃度：90 天内交易少于 active_min_txn_90d（6）笔。"),
    ("inactive", "inactive", "No transaction in the last 90 days.", "不活跃", "最近 90 天没有交易。"),
    ("none", "none", "Nothing of the kind (no AUM, no product pattern, no channel used).",
     "无", "没有此类情况（无资产、无产品组合、未使用渠道）。"),
    ("investment_led", "investment-led", "Wealth products and funds make up at least half of AUM.",
     "投资主导", "理财和基金占 AUM 一半以上。"),
    ("deposit_and_investment", "deposit and investment", "Holds deposits and wealth products or funds.",
     "存款加投资", "同时持有存款和理财或基金。"),
    ("deposit_and_protection", "deposit and protection", "Holds deposits and insurance, no investment.",
     "存款加保障", "持有存款和保险，没有投资类产品。"),
    ("deposit_only", "deposit only", "Holds deposits only.", "仅存款", "只持有存款。"),
    ("other", "other", "A holding pattern none of the above describes.", "其他", "不属于以上任何持有模式。"),
    # relationship and measures
    ("primary account", "primary account",
     "The bank is the customer's main bank; all three must hold: more than 5 key transactions a month; an automatic "
     "sweep or auto-debit, or more than 5 products; and not three consecutive months of payroll retention below 0.2.",
     "主账户", "本行是客户的主要往来银行，须同时满足：每月关键交易超过 5 笔；有他行资金归集或代扣代缴，或持有超过 5 个产品；"
     "且没有连续三个月代发工资留存率低于 0.2。"),
    ("primary_share", "primary share", "Share of the customers in a group whose account is their primary account.",
     "主账户占比", "组内以本行为主账户的客户占比。"),
    ("AUM", "AUM", "Assets under management: deposits, wealth products, funds and insurance at a month-end.",
     "AUM（管理资产）", "月末客户在本行的存款、理财、基金和保险之和。"),
    ("RFM", "RFM", "Recency, frequency and monetary value of a customer's transactions, each scored 1 to 5 (quintiles).",
     "RFM", "客户交易的最近一次时间、频率和金额，各按五分位打 1 至 5 分。"),
    ("WOE", "WOE (weight of evidence)", "Log of the share of non-events over the share of events in a bin of a variable.",
     "WOE（证据权重）", "某变量一个分箱内非事件占比与事件占比之比的对数。"),
    ("IV", "IV (information value)",
     "How well one variable separates events from non-events: below 0.02 useless, 0.02-0.1 weak, 0.1-0.3 medium, "
     "0.3-0.5 strong, above 0.5 suspicious (check for leakage).",
     "IV（信息值）", "单个变量区分事件与非事件的能力：低于 0.02 无用，0.02-0.1 弱，0.1-0.3 中，0.3-0.5 强，"
     "高于 0.5 可疑（需检查信息泄露）。"),
    ("KS", "KS", "Largest gap between the cumulative shares of events and non-events along the score.",
     "KS", "沿评分排序时，事件与非事件累计占比之间的最大差距。"),
    ("AUC", "AUC", "Probability that a random event scores above a random non-event (0.5 = no better than chance); "
     "Gini = 2 AUC - 1.", "AUC", "随机一个事件客户得分高于随机一个非事件客户的概率（0.5 即与随机无异）；Gini = 2 AUC - 1。"),
    ("lift", "lift", "Capture rate divided by the share of customers taken: 3.6x at the top 10% means 3.6 times "
     "the responders a random 10% would find.", "提升度", "捕获率除以所取客户比例：前 10% 提升度 3.6 倍即为随机抽取 10% 客户的 3.6 倍响应者。"),
    ("capture rate", "capture rate", "Share of all responders found among the best-scored k% of customers (cumulative gains).",
     "捕获率", "评分最高的前 k% 客户中找到的响应者占全部响应者的比例（累计增益）。"),
    ("PSI", "PSI (population stability index)",
     "How much a distribution moved between two samples: below 0.1 stable, 0.1-0.25 watch, above 0.25 shifted.",
     "PSI（群体稳定性指数）", "两个样本之间分布的变化程度：低于 0.1 稳定，0.1-0.25 需关注，高于 0.25 已偏移。"),
    ("CSI", "CSI (characteristic stability index)", "The PSI of one model variable, on the scorecard's bins.",
     "CSI（特征稳定性指数）", "单个模型变量按评分卡分箱计算的 PSI。"),
    ("calibration", "calibration", "Whether predicted response rates match observed ones (Hosmer-Lemeshow test, "
     "calibration slope and intercept).", "校准", "预测响应率是否与实际相符（Hosmer-Lemeshow 检验、校准斜率与截距）。"),
    ("out-of-time", "out-of-time sample", "Customers observed after the development period: the fairest test of a model.",
     "跨时间样本", "开发期之后观察的客户，是检验模型最公平的样本。"),
    ("model group", "model group vs control group",
     "After a campaign, the model-selected customers are compared with a random control group that was not selected.",
     "模型组与非模型组", "活动后将模型选出的客户与未被选中的随机对照组比较。"),
    ("control group", "control group", "Customers kept back at random from a list or strategy, so its effect can be measured.",
     "对照组", "从名单或策略中随机留出、不接触的客户，用于衡量效果。"),
    ("uplift", "uplift", "Response of the treated minus response of the control group: the effect caused by the contact.",
     "增量（uplift）", "接触组响应率减去对照组响应率，即由接触带来的效果。"),
    ("Qini", "Qini coefficient", "Area between the cumulative uplift curve of a score and the random line: "
     "how well a score finds the customers the contact changes.",
     "Qini 系数", "评分的累计增量曲线与随机线之间的面积，衡量评分找到受接触影响客户的能力。"),
    ("CLV", "CLV (customer lifetime value)",
     "Discounted future margin the bank earns on a customer over the expected remaining relationship, minus the cost to serve.",
     "CLV（客户生命周期价值）", "客户在预期剩余关系期内为银行带来的贴现未来收益，减去服务成本。"),
    ("BG/NBD", "BG/NBD", "Model of the number of future transactions and the probability that a customer is still active.",
     "BG/NBD 模型", "预测未来交易次数和客户仍然活跃概率的模型。"),
    ("Gamma-Gamma", "Gamma-Gamma", "Model of the mean spend per transaction; assumes spend is independent of frequency.",
     "Gamma-Gamma 模型", "预测每笔交易平均金额的模型，假设金额与频率无关。"),
    ("P(alive)", "P(alive)", "Probability that a customer is still active (has not silently left).",
     "存活概率", "客户仍然活跃（没有悄然流失）的概率。"),
    ("suitability", "suitability", "A product may only be offered at or below the customer's assessed risk level "
     "(R1 lowest to R5).", "适当性管理", "只能向客户推荐风险等级不高于其风险承受能力的产品（R1 最低至 R5）。"),
    ("segment", "segment (cluster)", "A group of similar customers found by clustering; its name lists its most distinctive features.",
     "客群（聚类）", "通过聚类找到的相似客户群体，名称列出其最突出的特征。"),
    ("ARI", "ARI (adjusted Rand index)", "Agreement of two clusterings of the same customers (1 = identical, "
     "0 = chance); used to measure stability.", "ARI（调整兰德指数）", "同一批客户两次聚类结果的一致程度（1 为完全相同，0 为随机），用于衡量稳定性。"),
    ("event", "event (trigger)", "Something that happened to a customer and is a reason to contact them "
     "(spend surge, large deposit movement, maturity, birthday ...).", "事件（触发）",
     "客户身上发生的、构成接触理由的事情（消费激增、大额资金变动、产品到期、生日等）。"),
    ("cooldown", "cooldown", "Days after a task during which the same customer gets no new task.",
     "冷静期", "生成任务后的若干天内，同一客户不再收到新任务。"),
    ("strategy map", "strategy map", "Grid of customer groups by lifecycle stage; each cell holds a strategy "
     "(goal, product, channels, control group).", "策略图谱", "按客群和生命周期阶段组成的网格，每格对应一项策略（目标、产品、渠道、对照组）。"),
    ("residual", "reconciliation residual",
     "Month-end AUM change minus what the data explains (net flows, accounts opened or closed): interest, market "
     "moves, fees and flows outside the extract.", "对账差额",
     "月末 AUM 变动减去数据能解释的部分（净流入、开户销户）：利息、市值变动、费用及数据外的资金流动。"),
    ("n-tile", "n-tile (decile)", "Customers sorted by score and cut into n equal groups (10 = deciles; 1 = best).",
     "分位组（十分位）", "按评分排序后等分为 n 组的客户（10 组即十分位，1 为最好）。"),
]

TERMS: dict[str, dict] = {k: {"en": (en, den), "zh": (zh, dzh)} for k, en, den, zh, dzh in _ROWS}

#: Tag columns whose values are words with a glossary entry (tests check every emitted value).
TAG_VALUE_COLUMNS = ("lifecycle_stage", "lifecycle_simple", "quadrant", "quadrant_action", "rfm_segment", "rfm_tier",
                     "value_tier", "activity_level", "product_pattern")

_LIFECYCLE = ["contact", "growth", "maturity", "decline", "dormant"]
_QUADRANT = ["high_value_high_potential", "high_value_low_potential", "low_value_high_potential",
             "low_value_low_potential", "convert_to_primary", "retention_watch", "redemption_watch", "maintain",
             "no_action"]
_RFM = ["RFM", "important_value", "important_develop", "important_retain", "important_win_back", "general_value",
        "general_develop", "general_retain", "general_win_back"]
_MODEL = ["WOE", "IV", "KS", "AUC", "lift", "capture rate", "PSI", "n-tile"]

#: The terms each report uses, in the order its glossary lists them.
REPORT_TERMS: dict[str, list[str]] = {
    "00_data_overview": ["AUM", "dormant", "residual", "control group"],
    "01_profile": ["AUM", *_LIFECYCLE, "acquire", "develop", "retain", "win_back", *_QUADRANT, *_RFM, "high",
                   "medium", "low", "inactive", "primary account", "primary_share"],
    "02_binning": [*_MODEL],
    "03_segmentation": ["segment", "ARI", "AUM", *_LIFECYCLE, "primary account"],
    "04_clv": ["CLV", "BG/NBD", "Gamma-Gamma", "P(alive)", "AUM", "high", "medium", "low", *_LIFECYCLE, "suitability"],
    "05_response_model": [*_MODEL, "out-of-time", "control group", "suitability"],
    "06_model_validation": [*_MODEL, "CSI", "calibration", "out-of-time", "model group"],
    "07_event_triggers": ["event", "cooldown", "suitability", "CLV"],
    "08_strategy": ["strategy map", *_LIFECYCLE, "control group", "suitability", "CLV", "cooldown"],
    "09_post_evaluation": ["control group", "uplift", "Qini", "n-tile", "primary_share", "AUM", *_LIFECYCLE],
}


def entry(term: str, language: str = "en") -> tuple[str, str]:
    """(term, definition) of ``term`` in ``language`` (``en`` or ``zh``)."""
    if language not in ("en", "zh"):
        raise ParamsError(f"language must be one of ['en', 'zh']; got {language!r}")
    if term not in TERMS:
        raise ParamsError(f"no glossary entry for {term!r}")
    return TERMS[term][language]


def terms_for(stem: str) -> list[str]:
    """The glossary terms of report ``stem`` (e.g. ``01_profile``)."""
    if stem not in REPORT_TERMS:
        raise ParamsError(f"no glossary for report {stem!r}; expected one of {sorted(REPORT_TERMS)}")
    return list(REPORT_TERMS[stem])


def _language(language: str | None) -> str:
    if language is None:
        from .i18n import get_language

        return get_language()
    return language


def glossary_table(terms: Iterable[str], language: str | None = None):
    """DataFrame of the terms, each once, in the given order.

    en: ``shown as`` (the key, as an English report shows it), ``term``, ``definition``. Other languages: ``term``
    (the term in that language, which is how its report shows the value, with the key in brackets where the term
    does not already contain it: ``重要发展客户（important_develop）``, the name in params and saved tables) and
    ``definition``.
    """
    import pandas as pd

    lang = _language(language)
    seen, rows = set(), []
    for t in terms:
        if t in seen:
            continue
        seen.add(t)
        name, text = entry(t, lang)
        if lang == "en":
            rows.append({"shown as": t, "term": name, "definition": text})
        else:
            rows.append({"term": name if t.lower() in name.lower() else f"{name}（{t}）", "definition": text})
    return pd.DataFrame(rows, columns=["shown as", "term", "definition"] if lang == "en" else ["term", "definition"])


_HEADINGS = {"en": ("Glossary", "The terms, tags and measures this report uses.", ("shown as", "term", "definition")),
             "zh": ("术语表", "本报告使用的术语、标签和指标。", ("术语", "定义"))}


def glossary_html(terms: Iterable[str], language: str | None = None) -> str:
    """HTML of the glossary section (heading, one row per term); every text escaped."""
    lang = _language(language)
    table = glossary_table(terms, lang)
    title, intro, heads = _HEADINGS[lang]
    head = "".join(f"<th style='text-align:left; padding:4px 8px'>{html.escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:4px 8px; vertical-align:top; text-align:left'>{html.escape(str(v))}</td>" for v in row)
        + "</tr>" for row in table.itertuples(index=False))
    return (f"<h2 id='glossary'>{html.escape(title)}</h2><p>{html.escape(intro)}</p>"
            f"<div class='clientlens-table-wrap' style='overflow-x:auto; max-width:100%'>"
            f"<table class='clientlens-glossary' style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def show(terms: Iterable[str], language: str | None = None) -> None:
    """Display the glossary section of a report (``terms``: keys of :data:`TERMS`, e.g. :func:`terms_for`).

    ``language`` defaults to the report's language (:func:`clientlens.i18n.get_language`). Returns ``None``.
    """
    from IPython.display import HTML, display

    display(HTML(glossary_html(terms, language)))
