"""The marketing list of 05_response_model: suitability and eligibility, list rules, economics,
random control group and the funnel from the base to the customers to contact.

:func:`build` assembles the list from a fitted response model and the scored base; the pieces
(ranking, sizing, control group) are :func:`clientlens.scoring.marketing_list`,
:func:`clientlens.offers.size_list` and :func:`clientlens.offers.holdout_control`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .i18n import money, t, value

#: formats of the gains table (:func:`clientlens.offers.size_list`)
GAINS_FMT = {"expected_responders": "{:,.1f}", "contact_cost": money, "expected_value": money,
             "expected_profit": money}
_CHANNELS = {"rm": "relationship manager", "app": "mobile app", "sms": "SMS"}


@dataclass
class MarketingList:
    """A built marketing list (:func:`build`).

    Attributes
    ----------
    list : DataFrame
        The list with its product and ``group`` (model = contact, control = random holdout).
    gains : DataFrame or None
        Gains by cut-off of the list economics (None with ``list_sizing: rule``).
    funnel : DataFrame
        Steps from the base to the customers to contact (``step``, ``customers``).
    product : str
    economics : bool
        Sized by expected profit.
    notes : list of str
        Rules skipped for want of optional columns, own modelling table.
    base_scores : DataFrame
        Scores of the whole base (:func:`clientlens.scoring.score_frame`).
    response_value : float or None
        Value of a response of the product (None without a bank).
    """

    list: pd.DataFrame
    gains: pd.DataFrame | None
    funnel: pd.DataFrame
    product: str
    economics: bool
    notes: list = field(default_factory=list)
    base_scores: pd.DataFrame | None = None
    response_value: float | None = None


def funnel_steps(counts: Mapping[str, Any], *, product: str, exclude_opt_out: bool,
                 recent_contact_days: int | None, economics: bool, n_list: int, n_control: int,
                 control_share: float) -> pd.DataFrame:
    """The list funnel: base, removals by rule, eligible, not profitable, over capacity, listed, control.

    Parameters
    ----------
    counts : mapping
        ``base``, ``unsuitable``, ``ineligible``, ``opted_out``, ``recently_contacted``, ``eligible`` and,
        with economics, ``not_profitable`` and ``over_capacity``.
    product : str
    exclude_opt_out : bool
        False: the opt-out rule was skipped (shown as such).
    recent_contact_days : int or None
        None: the recent-contact rule was skipped.
    economics : bool
    n_list, n_control : int
        Customers on the list and of them in the control group.
    control_share : float

    Returns
    -------
    DataFrame
        Columns ``step`` and ``customers`` (a count or "rule skipped").
    """
    f, prod, skipped = counts, value(product), t("rule skipped")
    steps = [(t("customers in the base"), f["base"]),
             (t("above their risk level for {product} (unsuitable, removed)", product=prod), f["unsuitable"]),
             (t("not eligible for {product} (removed)", product=prod), f["ineligible"]),
             (t("opted out of marketing (removed)"), f.get("opted_out", 0) if exclude_opt_out else skipped),
             (t("contacted in the last {days} days (removed)", days=recent_contact_days), f.get("recently_contacted", 0))
             if recent_contact_days is not None else (t("recently contacted"), skipped),
             (t("eligible candidates"), f["eligible"])]
    if economics:
        steps += [(t("expected profit <= 0 (not listed)"), f["not_profitable"]),
                  (t("over a channel's capacity (not listed)"), f["over_capacity"])]
    steps += [(t("on the list"), n_list),
              ("  " + t("of which random control ({share:.0%}, not contacted)", share=control_share), n_control),
              ("  " + t("to contact"), n_list - n_control)]
    return pd.DataFrame(steps, columns=["step", "customers"])


def build(model: dict, base: pd.DataFrame, p: Mapping[str, Any], *, bank=None, catalogue=None,
          campaigns=(), predicts: str = "", cache=None) -> MarketingList:
    """The marketing list of 05_response_model from a fitted model and the base as of the report date.

    With a bank: the list names its product (``list_product`` or the training campaigns' one), keeps the
    customers it may be offered to (suitability, eligibility), applies the opt-out and recent-contact rules
    (skipped with a note when their optional columns are absent), is sized by expected profit
    (``list_sizing: economics``) or by ``list_top_n`` / ``list_top_frac``, and keeps back a random control
    group (``control_share``). Without a bank (a target of kind ``table``): every row ranked with its
    reasons, no channel, no control group.

    Parameters
    ----------
    model : dict
        The fitted model (:func:`clientlens.scoring.fit_response_model` or
        :func:`clientlens.targets.fit_target_model`).
    base : DataFrame
        The scoring base (wide table as of the report date, or the own table's rows).
    p : mapping
        05's parameters: ``allow_raw_ids, n_reasons, exclude_opt_out, recent_contact_days, list_product,
        list_sizing, list_top_n, list_top_frac, control_share, rm_min_aum, contact_cost, channel_capacity,
        list_days, seed``.
    bank : Bank, optional
    catalogue : clientlens.offers.Catalogue, optional
        Needed with a bank.
    campaigns : sequence of str
        The training campaigns (their product is the list's default product).
    predicts : str
        What the target predicts (the list's product without a bank and without ``list_product``).
    cache : clientlens.cache.RunCache, optional
        Stores the base's scores and reasons (:meth:`clientlens.cache.RunCache.scores_and_reasons`).

    Returns
    -------
    MarketingList
    """
    from . import offers, scoring, targets

    base_scores, reasons = scoring.scores_and_reasons(model, base, n_reasons=p["n_reasons"],
                                                      allow_raw_ids=p["allow_raw_ids"], cache=cache)
    rules, notes = targets.list_rules(base, exclude_opt_out=p["exclude_opt_out"],
                                      recent_contact_days=p["recent_contact_days"])
    exclude_opt_out, recent_days = rules["exclude_opt_out"], rules["recent_contact_days"]  # optional columns
    top_n, top_frac, control_share = p["list_top_n"], p["list_top_frac"], p["control_share"]
    value = None
    if bank is not None:
        product = offers.campaign_product(bank, campaigns, p["list_product"])
        catalogue.risk_level(product)  # stops on a product outside the catalogue
        ok, excl = offers.offer_filter(base, product, catalogue)
        economics = p["list_sizing"] == "economics"
        value = catalogue.response_value(product)
    else:  # own modelling table: no bank, product catalogue or contact history: a scored, ranked list
        notes = notes + [t("Own modelling table: no suitability, eligibility or list economics.")]
        product, economics = p["list_product"] or predicts, False
        top_frac, control_share = (top_frac if top_n > 0 else 1.0), 0.0  # every row ranked; the user cuts
        ok, excl = np.ones(len(base), dtype=bool), {"unsuitable": 0, "ineligible": 0}
    ranked = scoring.marketing_list(
        base[ok].reset_index(drop=True), base_scores["score"].to_numpy()[ok],
        probabilities=base_scores["prob"].to_numpy()[ok], reasons=reasons[ok].reset_index(drop=True),
        top_n=None if economics or top_n <= 0 else top_n,
        top_frac=1.0 if economics else (None if top_n > 0 else top_frac), exclude_opt_out=exclude_opt_out,
        recent_contact_days=recent_days, rm_min_aum=p["rm_min_aum"], allow_raw_ids=p["allow_raw_ids"])
    counts = {**ranked.attrs["funnel"], "base": len(base), **excl}
    gains = None
    if economics:
        ranked, gains = offers.size_list(ranked, value_per_response=value, contact_cost=p["contact_cost"],
                                         capacity=p["channel_capacity"], days=p["list_days"])
        counts.update(not_profitable=ranked.attrs["funnel"]["not_profitable"],
                      over_capacity=ranked.attrs["funnel"]["over_capacity"])
    if bank is None:  # no customer base to apply channel rules to: a ranked file with reasons
        ranked = ranked.drop(columns=["channel"])
    lst = offers.holdout_control(ranked, control_share, random_state=p["seed"])
    lst.insert(2, "product", product)
    n_control = int((lst["group"] == "control").sum())
    funnel = funnel_steps(counts, product=product, exclude_opt_out=exclude_opt_out, recent_contact_days=recent_days,
                          economics=economics, n_list=len(lst), n_control=n_control, control_share=control_share)
    return MarketingList(list=lst, gains=gains, funnel=funnel, product=product, economics=economics, notes=notes,
                         base_scores=base_scores, response_value=value)


def gains_caption(ml: MarketingList, contact_cost: Mapping[str, float]) -> str:
    """Caption of the gains table: the value of a response and the contact costs."""
    return t("Gains by cut-off (value of a response {value}; contact cost {costs})", value=money(ml.response_value),
             costs=", ".join(f"{value(k)} {v:g}" for k, v in contact_cost.items()))


def channel_mix(lst: pd.DataFrame) -> pd.DataFrame:
    """Customers on the list per suggested channel (``channel``, ``customers``), most first."""
    mix = lst["channel"].map(_CHANNELS).map(lambda c: t(c) if isinstance(c, str) else c).value_counts()
    return mix.rename("customers").rename_axis("channel").reset_index()


def channel_caption(rm_min_aum: float) -> str:
    """Caption of the channel mix: the channel rule with its AUM threshold."""
    return t("Suggested channel (AUM >= {aum} -> relationship manager; mobile-app user -> app; otherwise SMS)",
             aum=money(rm_min_aum))


def list_fmt(ml: MarketingList) -> dict:
    """Formats of the list table: whole points, and whole currency units of expected profit with economics."""
    return {"score": "{:.0f}", **({"expected_profit": money} if ml.economics else {})}


def reason_frequency(lst: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The ``top`` most frequent main reasons (``reason_1``) on the list with their customer counts."""
    freq = pd.Series(lst["reason_1"]).replace("", pd.NA).dropna().value_counts().head(top)
    return freq.rename("customers").rename_axis("main reason (reason 1)").reset_index()


def expected_md(lst: pd.DataFrame, base_prob) -> str:
    """Markdown: expected responders among the customers to contact and their mean propensity vs the base."""
    contacted = lst[lst["group"] == "model"]
    return t("Expected responders among the {n:,} customers to contact: **{k:,.0f}** (mean predicted response "
             "{mean:.1%} vs {base:.1%} over the base). Propensities are calibrated on past contacted customers, so "
             "they are indicative.", n=len(contacted), k=contacted["propensity"].sum(),
             mean=contacted["propensity"].mean(), base=pd.Series(base_prob).mean())
