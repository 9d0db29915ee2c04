"""The tag library (客户标签库): 8 categories of customer tags from the wide table.

:func:`build_tags` turns the customer wide table (:func:`clientlens.features.build_wide_table`)
into a customer x tag table: ``customer_id`` plus one column per tag. Every rule is
documented in ``docs/tags.md`` and in :data:`TAG_RULES_TEXT`; every threshold is a
field of :class:`TagRules` whose defaults are the bank-practice values of the
domain brief and ``docs/demo-bank.md`` (override them from params).

Categories (:data:`CATEGORIES`): lifecycle, demographics, product holding,
behaviour habits, attitude/feedback, value contribution, relationship circle,
marketing activity. :data:`TAG_CATEGORIES` maps every tag column to its category.
Tags whose source columns are absent (e.g. no ``monthly_balances`` or no
``campaigns`` table) are left out of the output; :func:`tag_catalog` lists them all.

Everything is vectorised pandas / numpy; ties are broken deterministically
(average ranks for RFM, ``customer_id`` order for value tiers).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import DataError, ParamsError

__all__ = ["TagRules", "build_tags", "TAG_CATEGORIES", "CATEGORIES", "TAG_RULES_TEXT", "tag_catalog",
           "LIFECYCLE_STAGES", "QUADRANTS", "rfm_quintile", "value_tiers", "lifecycle_stage",
           "primary_account", "quadrant", "tag_coverage", "TAG_INPUTS", "tag_input_columns", "tag_wide_columns", "tags_as_of"]

CATEGORIES = ("lifecycle", "demographics", "product holding", "behaviour habits", "attitude/feedback",
              "value contribution", "relationship circle", "marketing activity")
LIFECYCLE_STAGES = ("contact", "growth", "maturity", "decline", "dormant")
QUADRANTS = ("high_value_high_potential", "high_value_low_potential", "low_value_high_potential",
             "low_value_low_potential")
QUADRANT_ACTIONS = ("convert_to_primary", "retention_watch", "redemption_watch", "maintain", "no_action")
RFM_SEGMENTS = ("important_value", "important_develop", "important_retain", "important_win_back",
                "general_value", "general_develop", "general_retain", "general_win_back")


@dataclass
class TagRules:
    """Thresholds of the tag rules; defaults are the documented bank-practice values.

    Build from a params dict with :meth:`from_params` (unknown keys are refused).
    """

    # lifecycle (docs/demo-bank.md)
    contact_days: int = 180              # tenure < this -> contact
    dormant_days: int = 180              # no 'out' transaction in this many days -> dormant
    growth_ratio: float = 1.2            # mean AUM last 3 month-ends / 6 before >= this -> growth
    decline_ratio: float = 0.8           # that ratio <= this -> decline
    # value x potential quadrant (domain brief, payroll-customer case)
    high_value_aum: float = 100_000.0    # AUM at as-of >= this -> high value
    high_potential_income: float = 15_000.0  # monthly income >= this -> high potential (missing -> low)
    deposit_heavy_share: float = 0.5     # deposits / AUM >= this -> deposit-heavy (retention watch)
    # primary account (domain brief: all three conditions)
    primary_min_key_txn: int = 5         # key (non-salary) transactions per month must be MORE than this
    primary_max_products: int = 5        # holding MORE than this many products satisfies condition 2
    primary_retention_floor: float = 0.2  # payroll retention below this is a "moved-out" month
    primary_low_months: int = 3          # this many consecutive moved-out months fail condition 3 (1-3)
    # RFM
    rfm_weights: tuple = (0.3, 0.3, 0.4)  # weights of R, F, M scores in rfm_score
    rfm_recency_col: str = "days_since_last_txn"
    rfm_frequency_col: str = "n_txn_365d"
    rfm_monetary_col: str = "amt_out_365d"
    rfm_tier_cuts: tuple = (4.0, 2.5)    # rfm_score >= first -> high, >= second -> medium, else low
    rfm_segment_cut: float = 3.0         # R/F/M score > this counts as "high" in the 8 RFM segments
    # value tiers by cumulative AUM share (customers ranked by AUM, largest first)
    value_tier_shares: tuple = (0.8, 0.95)  # first 80% of AUM -> high, up to 95% -> medium, rest low
    # bands
    age_bands: tuple = (25, 35, 45, 55, 65)
    income_bands: tuple = (5_000, 10_000, 15_000, 30_000)
    tenure_bands_years: tuple = (1, 3, 5, 10)
    aum_bands: tuple = (10_000, 50_000, 100_000, 500_000, 1_000_000)
    # behaviour
    active_min_txn_90d: int = 6          # >= this many transactions in 90 days -> active (1..this-1 -> low)
    channel_pref_min_share: float = 0.5  # a channel with >= this share of 365-day transactions is preferred
    digital_min_share: float = 0.5       # mobile + online share >= this -> digital user
    # marketing
    fatigue_min_contacts: int = 3        # >= this many contacts in 365 days and no response -> fatigued
    multi_product_min: int = 3           # n_products >= this -> multi-product holder

    @classmethod
    def from_params(cls, params: dict | "TagRules" | None) -> "TagRules":
        """A validated :class:`TagRules` from a dict of overrides (or an instance, or None)."""
        from .params import rules_from_params

        return rules_from_params(cls, params, "tag rule")

    def validate(self) -> None:
        """Raise :class:`ParamsError` on an impossible threshold."""
        def pos(name, strict=True):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or (v <= 0 if strict else v < 0):
                raise ParamsError(f"{name} must be a number {'>' if strict else '>='} 0; got {v!r}")

        for n in ("contact_days", "dormant_days", "growth_ratio", "decline_ratio", "high_value_aum",
                  "high_potential_income", "active_min_txn_90d", "fatigue_min_contacts", "multi_product_min"):
            pos(n)
        for n in ("primary_min_key_txn", "primary_max_products", "primary_retention_floor"):
            pos(n, strict=False)
        if self.growth_ratio <= self.decline_ratio:
            raise ParamsError(f"growth_ratio must be > decline_ratio; got {self.growth_ratio} <= {self.decline_ratio}")
        for n in ("deposit_heavy_share", "channel_pref_min_share", "digital_min_share"):
            v = getattr(self, n)
            if not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise ParamsError(f"{n} must be in (0, 1]; got {v!r}")
        if self.primary_low_months not in (1, 2, 3):
            raise ParamsError(f"primary_low_months must be 1, 2 or 3; got {self.primary_low_months!r}")
        w = self.rfm_weights
        if len(w) != 3 or any((not isinstance(x, (int, float))) or x < 0 for x in w) or sum(w) <= 0:
            raise ParamsError(f"rfm_weights must be three non-negative numbers with a positive sum; got {list(w)!r}")
        c = self.rfm_tier_cuts
        if len(c) != 2 or not 1 <= c[1] <= c[0] <= 5:
            raise ParamsError(f"rfm_tier_cuts must be [high, medium] with 5 >= high >= medium >= 1; got {list(c)!r}")
        s = self.value_tier_shares
        if len(s) != 2 or not 0 < s[0] <= s[1] <= 1:
            raise ParamsError(f"value_tier_shares must be [high, medium] with 0 < high <= medium <= 1; "
                              f"got {list(s)!r}")
        for n in ("age_bands", "income_bands", "tenure_bands_years", "aum_bands"):
            b = list(getattr(self, n))
            if not b or b != sorted(b) or len(set(b)) != len(b):
                raise ParamsError(f"{n} must be a non-empty increasing list of numbers; got {b!r}")


# --------------------------------------------------------------------------- catalogue

TAG_CATEGORIES: dict[str, str] = {
    # lifecycle
    "lifecycle_stage": "lifecycle", "lifecycle_simple": "lifecycle",
    # demographics
    "age_band": "demographics", "gender": "demographics", "education": "demographics",
    "occupation": "demographics", "city": "demographics", "income_band": "demographics",
    "tenure_band": "demographics",
    # product holding
    "product_breadth": "product holding", "product_pattern": "product holding",
    "has_deposit": "product holding", "has_investment": "product holding", "has_insurance": "product holding",
    "has_loan": "product holding", "has_credit_card": "product holding", "multi_product": "product holding",
    # behaviour habits
    "activity_level": "behaviour habits", "channel_preference": "behaviour habits",
    "is_digital": "behaviour habits", "is_wealth_trader": "behaviour habits", "is_fx_user": "behaviour habits",
    # attitude / feedback
    "risk_appetite": "attitude/feedback", "marketing_opt_out": "attitude/feedback",
    # value contribution
    "aum_band": "value contribution", "value_tier": "value contribution", "quadrant": "value contribution",
    "quadrant_action": "value contribution", "rfm_r": "value contribution", "rfm_f": "value contribution",
    "rfm_m": "value contribution", "rfm_score": "value contribution", "rfm_tier": "value contribution",
    "rfm_segment": "value contribution",
    # relationship circle
    "is_payroll": "relationship circle", "has_auto_sweep": "relationship circle",
    "has_auto_debit": "relationship circle", "payroll_moved_out": "relationship circle",
    "is_primary_account": "relationship circle", "primary_active": "relationship circle",
    "primary_linked": "relationship circle", "primary_no_moveout": "relationship circle",
    # marketing activity
    "contacted_365d": "marketing activity", "responded_365d": "marketing activity",
    "marketing_fatigue": "marketing activity", "contact_recency": "marketing activity",
}

TAG_RULES_TEXT: dict[str, str] = {
    "lifecycle_stage": "first match: contact if tenure_days < contact_days; dormant if no 'out' transaction in the "
                       "last dormant_days days; growth if aum_trend (mean AUM of last 3 month-ends / mean of the 6 "
                       "before) >= growth_ratio; decline if <= decline_ratio; else maturity (without monthly "
                       "balances: 'active')",
    "lifecycle_simple": "four-stage form: contact->acquire, growth->develop, maturity->retain, "
                        "decline/dormant->win_back (active->retain)",
    "age_band": "age in years cut at age_bands (e.g. <25, 25-34, ... 65+); unknown when no birth date",
    "gender": "as recorded", "education": "as recorded", "occupation": "as recorded", "city": "as recorded",
    "income_band": "monthly income cut at income_bands; unknown when missing",
    "tenure_band": "relationship years cut at tenure_bands_years",
    "product_breadth": "n_products as 0 / 1 / 2-3 / 4-5 / 6+",
    "product_pattern": "none (no balance) / deposit_only / investment_led (wealth+fund >= 50% of AUM) / "
                       "deposit_and_investment / deposit_and_protection (insurance, no investment) / other",
    "has_deposit": "demand or time deposit balance > 0", "has_investment": "wealth-management or fund balance > 0",
    "has_insurance": "insurance cash value > 0", "has_loan": "loan balance > 0",
    "has_credit_card": "credit-card balance > 0", "multi_product": "n_products >= multi_product_min",
    "activity_level": "inactive (no transaction in 90 days) / low (< active_min_txn_90d) / active",
    "channel_preference": "channel with >= channel_pref_min_share of 365-day transactions; mixed otherwise; "
                          "none without transactions",
    "is_digital": "mobile + online share of 365-day transactions >= digital_min_share",
    "is_wealth_trader": "any wealth purchase or redemption in 365 days",
    "is_fx_user": "any FX purchase in 365 days",
    "risk_appetite": "declared risk appetite (attitude to risk)",
    "marketing_opt_out": "customer refused marketing contact (feedback)",
    "aum_band": "AUM at as-of cut at aum_bands",
    "value_tier": "customers ranked by AUM (largest first, ties by customer_id); high while the AUM before them "
                  "is < value_tier_shares[0] of the total, medium while < value_tier_shares[1], else low",
    "quadrant": "high value = AUM >= high_value_aum; high potential = income >= high_potential_income "
                "(missing income -> low potential)",
    "quadrant_action": "high potential and not primary -> convert_to_primary; else high value and deposits >= "
                       "deposit_heavy_share of AUM -> retention_watch; else high value -> redemption_watch; "
                       "low value low potential -> no_action; else maintain",
    "rfm_r": "recency quintile 1-5 of rfm_recency_col (recent = 5; no transaction = lowest)",
    "rfm_f": "frequency quintile 1-5 of rfm_frequency_col",
    "rfm_m": "monetary quintile 1-5 of rfm_monetary_col",
    "rfm_score": "weighted mean of rfm_r, rfm_f, rfm_m with rfm_weights (1-5)",
    "rfm_tier": "high if rfm_score >= rfm_tier_cuts[0], medium if >= rfm_tier_cuts[1], else low",
    "rfm_segment": "8 classic RFM segments: each of R, F, M high if its score > rfm_segment_cut; "
                   "M high -> important_*, else general_*; (R,F) = (H,H) value, (H,L) develop, "
                   "(L,H) retain, (L,L) win_back",
    "is_payroll": "salary paid through this bank (employer relationship, 代发薪)",
    "has_auto_sweep": "automatic sweep of funds from other banks in place (link to other banks)",
    "has_auto_debit": "auto-debit / withholding service in place (link to merchants and utilities)",
    "payroll_moved_out": "payroll retention < primary_retention_floor in primary_low_months consecutive months "
                         "of the last 3",
    "is_primary_account": "primary_active AND primary_linked AND primary_no_moveout (domain brief)",
    "primary_active": "more than primary_min_key_txn key (non-salary) transactions in EACH of the 3 calendar "
                      "months ending at as-of",
    "primary_linked": "auto_sweep or auto_debit at the latest month-end, or n_products > primary_max_products",
    "primary_no_moveout": "NOT payroll_moved_out",
    "contacted_365d": "contacted by any campaign in the 365 days to as-of",
    "responded_365d": "responded to any campaign contact in the 365 days to as-of",
    "marketing_fatigue": ">= fatigue_min_contacts contacts in 365 days and no response",
    "contact_recency": "never / <=30d / 31-90d / 91-365d / >365d since the last contact",
}


def tag_catalog(rules: TagRules | dict | None = None) -> pd.DataFrame:
    """Every tag with its category and rule (the content of ``docs/tags.md``)."""
    rules = TagRules.from_params(rules)
    rows = [{"tag": t, "category": c, "rule": TAG_RULES_TEXT.get(t, "")} for t, c in TAG_CATEGORIES.items()]
    df = pd.DataFrame(rows)
    df["category"] = pd.Categorical(df["category"], categories=list(CATEGORIES), ordered=True)
    return df.sort_values(["category"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- rule functions

def _col(wide: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    if name in wide:
        return wide[name]
    return pd.Series(default, index=wide.index)


def rfm_quintile(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Quintile score 1-5 by average rank (ties share a score; NaN gets the worst score).

    ``score = ceil(5 * average_rank / n)``, ranks ascending in "goodness", so the
    result is deterministic and ties never split across scores.
    """
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    worst = -np.inf if higher_is_better else np.inf
    v = v.fillna(worst)
    good = v if higher_is_better else -v
    n = len(good)
    if n == 0:
        return pd.Series([], dtype="int64", index=values.index)
    pct = good.rank(method="average", pct=True).to_numpy()
    score = np.clip(np.ceil(pct * 5 - 1e-9), 1, 5).astype("int64")
    return pd.Series(score, index=values.index, dtype="int64")


def value_tiers(aum: pd.Series, customer_id: pd.Series, shares=(0.8, 0.95)) -> pd.Series:
    """high / medium / low by cumulative AUM share (largest first, ties by customer_id)."""
    a = pd.to_numeric(aum, errors="coerce").fillna(0.0).clip(lower=0.0)
    order = pd.DataFrame({"a": a.to_numpy(), "id": customer_id.astype(str).to_numpy(),
                          "pos": np.arange(len(a))}).sort_values(["a", "id"], ascending=[False, True],
                                                                  kind="mergesort")
    total = order["a"].sum()
    out = np.full(len(a), "low", dtype=object)
    if total > 0:
        before = (order["a"].cumsum() - order["a"]).to_numpy() / total
        tier = np.where(before < shares[0], "high", np.where(before < shares[1], "medium", "low"))
        tier = np.where(order["a"].to_numpy() > 0, tier, "low")
        out[order["pos"].to_numpy()] = tier
    return pd.Series(out, index=aum.index, dtype="str")


def lifecycle_stage(wide: pd.DataFrame, rules: TagRules) -> pd.Series:
    """Lifecycle stage by the default rule (first match wins); see :data:`TAG_RULES_TEXT`."""
    tenure = _col(wide, "tenure_days").astype("float64")
    last_out = _col(wide, "days_since_last_out").astype("float64")
    contact = (tenure < rules.contact_days).to_numpy()
    dormant = (last_out.isna() | (last_out >= rules.dormant_days)).to_numpy()
    if "aum_trend" in wide:
        trend = wide["aum_trend"].astype("float64").to_numpy()
        with np.errstate(invalid="ignore"):
            rest = np.where(trend >= rules.growth_ratio, "growth",
                            np.where(trend <= rules.decline_ratio, "decline", "maturity"))
    else:
        rest = np.full(len(wide), "active", dtype=object)
    stage = np.where(contact, "contact", np.where(dormant, "dormant", rest))
    return pd.Series(stage, index=wide.index, dtype="str")


def primary_account(wide: pd.DataFrame, rules: TagRules) -> pd.DataFrame:
    """The three conditions and the flag (``primary_active``, ``primary_linked``,
    ``primary_no_moveout``, ``payroll_moved_out``, ``is_primary_account``)."""
    idx = wide.index
    keys = [f"key_txn_m{m}" for m in range(3)]
    missing = [k for k in keys if k not in wide]
    if missing:
        raise DataError(f"wide table lacks column '{missing[0]}' needed by the primary-account rule")
    active = np.ones(len(wide), bool)
    for k in keys:
        active &= wide[k].fillna(0).to_numpy() > rules.primary_min_key_txn
    linked = np.zeros(len(wide), bool)
    for c in ("auto_sweep", "auto_debit"):
        if c in wide:
            linked |= wide[c].fillna(0).astype(bool).to_numpy()
    if "n_products" in wide:
        linked |= wide["n_products"].fillna(0).to_numpy() > rules.primary_max_products
    ret = [f"payroll_retention_m{m}" for m in range(3)]
    if all(c in wide for c in ret):
        with np.errstate(invalid="ignore"):
            low = np.column_stack([(wide[c].astype("float64") < rules.primary_retention_floor).to_numpy()
                                   for c in ret])  # NaN (no payroll) -> not low
        L = rules.primary_low_months
        moved = np.zeros(len(wide), bool)
        for start in range(0, 3 - L + 1):
            moved |= low[:, start:start + L].all(axis=1)
    else:
        moved = np.zeros(len(wide), bool)
    out = pd.DataFrame({"primary_active": active, "primary_linked": linked, "primary_no_moveout": ~moved,
                        "payroll_moved_out": moved}, index=idx)
    flag = active & linked & ~moved
    if "n_products" in wide or "auto_sweep" in wide or "auto_debit" in wide:
        out["is_primary_account"] = flag
    else:  # no monthly balances: condition 2 cannot be evaluated
        out["is_primary_account"] = pd.array([pd.NA] * len(wide), dtype="boolean")
        out["primary_linked"] = pd.array([pd.NA] * len(wide), dtype="boolean")
    return out


def quadrant(wide: pd.DataFrame, rules: TagRules, is_primary: pd.Series | None = None) -> pd.DataFrame:
    """Value x potential quadrant and the domain's action per quadrant."""
    aum = _col(wide, "aum").astype("float64").fillna(0.0).to_numpy()
    income = _col(wide, "income_monthly").astype("float64").to_numpy()
    hv = aum >= rules.high_value_aum
    with np.errstate(invalid="ignore"):
        hp = np.nan_to_num(income, nan=-np.inf) >= rules.high_potential_income
    quad = np.where(hv, np.where(hp, QUADRANTS[0], QUADRANTS[1]), np.where(hp, QUADRANTS[2], QUADRANTS[3]))
    primary = (np.zeros(len(wide), bool) if is_primary is None
               else pd.Series(is_primary).fillna(False).astype(bool).to_numpy())
    dep = _col(wide, "deposit_share").astype("float64").fillna(1.0).to_numpy()
    action = np.where(hp & ~primary, "convert_to_primary",
                      np.where(hv & (dep >= rules.deposit_heavy_share), "retention_watch",
                               np.where(hv, "redemption_watch", np.where(~hp, "no_action", "maintain"))))
    return pd.DataFrame({"quadrant": pd.Series(quad, index=wide.index, dtype="str"),
                         "quadrant_action": pd.Series(action, index=wide.index, dtype="str")})


def _band(values: pd.Series, cuts, fmt=lambda x: f"{x:g}", unknown: str = "unknown") -> pd.Series:
    """Labels like ``<25``, ``25-34``, ``65+`` for integer-like cuts; NaN -> ``unknown``."""
    v = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    cuts = list(cuts)
    labels = [f"<{fmt(cuts[0])}"] + [f"{fmt(a)}-{fmt(b)}" for a, b in zip(cuts[:-1], cuts[1:])] + [f"{fmt(cuts[-1])}+"]
    idx = np.searchsorted(np.asarray(cuts, dtype="float64"), v, side="right")
    out = np.array(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)]
    out = np.where(np.isnan(v), unknown, out)
    return pd.Series(out, index=values.index, dtype="str")


def _age_fmt(cuts):
    labels = [f"<{cuts[0]}"] + [f"{a}-{b - 1}" for a, b in zip(cuts[:-1], cuts[1:])] + [f"{cuts[-1]}+"]
    return labels


def _money(x: float) -> str:
    if x >= 1_000_000 and x % 1_000_000 == 0:
        return f"{x / 1_000_000:g}m"
    if x >= 1_000 and x % 1_000 == 0:
        return f"{x / 1_000:g}k"
    return f"{x:g}"


def band_labels(cuts, kind: str = "plain") -> list[str]:
    """Ordered labels of a banding (for plotting in order)."""
    cuts = list(cuts)
    if kind == "age":
        return _age_fmt(cuts)
    f = _money if kind == "money" else (lambda x: f"{x:g}")
    return [f"<{f(cuts[0])}"] + [f"{f(a)}-{f(b)}" for a, b in zip(cuts[:-1], cuts[1:])] + [f"{f(cuts[-1])}+"]


def _age_band(age: pd.Series, cuts) -> pd.Series:
    v = pd.to_numeric(age, errors="coerce").astype("float64").to_numpy()
    labels = np.array(_age_fmt(list(cuts)), dtype=object)
    idx = np.searchsorted(np.asarray(cuts, dtype="float64"), v, side="right")
    out = np.where(np.isnan(v), "unknown", labels[np.clip(idx, 0, len(labels) - 1)])
    return pd.Series(out, index=age.index, dtype="str")


# --------------------------------------------------------------------------- build

#: the wide-table columns :func:`build_tags` reads, besides every ``share_<channel>`` column and the rules' RFM
#: columns (:func:`tag_input_columns`); a test records what build_tags reads and fails on anything missing here
TAG_INPUTS = (
    "customer_id", "age", "gender", "education", "occupation", "city", "income_monthly", "risk_appetite",
    "marketing_opt_out", "payroll_flag", "tenure_days", "days_since_last_out", "days_since_last_txn",
    "days_since_last_contact", "n_txn_90d", "n_txn_365d", "amt_out_365d", "n_wealth_purchase_365d",
    "n_wealth_redemption_365d", "n_fx_purchase_365d", "key_txn_m0", "key_txn_m1", "key_txn_m2",
    "n_contacts_365d", "n_responses_365d", "aum", "aum_trend", "deposit_share", "investment_share",
    "n_products", "auto_sweep", "auto_debit", "payroll_retention_m0", "payroll_retention_m1",
    "payroll_retention_m2", "has_demand_deposit", "has_time_deposit", "has_wealth_mgmt", "has_fund",
    "has_insurance", "has_loan", "has_credit_card",
)


def tag_input_columns(available, rules: dict | TagRules | None = None) -> list[str]:
    """The columns of ``available`` (a wide table's, in order) that :func:`build_tags` with ``rules`` reads."""
    rules = TagRules.from_params(rules)
    want = set(TAG_INPUTS) | {rules.rfm_recency_col, rules.rfm_frequency_col, rules.rfm_monetary_col}
    return [c for c in available if c in want or str(c).startswith("share_")]


def tags_as_of(bank, as_of, rules: dict | TagRules | None = None, *, windows=None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tags at ``as_of`` from only the wide-table columns they read: ``(tags, narrow wide table)``.

    The same tags as ``build_tags(build_wide_table(bank, as_of), rules)`` (tested), at a fraction of the
    cost: the wide table's SQL computes only the aggregates the tags need (e.g. the tags at an earlier
    month-end of 09's migration matrix).
    """
    from .features import DEFAULT_WINDOWS, build_wide_table

    win = DEFAULT_WINDOWS if windows is None else windows
    wide = build_wide_table(bank, as_of, windows=win, columns=tag_wide_columns(bank, as_of, rules, windows=win))
    return build_tags(wide, rules), wide


def tag_wide_columns(bank, as_of, rules: dict | TagRules | None = None, *, windows=None) -> list[str]:
    """The wide-table columns (``customer_id`` aside) that the tags of this bank at ``as_of`` read."""
    from .features import DEFAULT_WINDOWS, wide_table_columns

    cols = wide_table_columns(bank, as_of, windows=DEFAULT_WINDOWS if windows is None else windows)
    return [c for c in tag_input_columns(cols, rules) if c != "customer_id"]


def build_tags(wide: pd.DataFrame, params: dict | TagRules | None = None) -> pd.DataFrame:
    """The customer x tag table from the wide table.

    Parameters
    ----------
    wide : DataFrame
        Output of :func:`clientlens.features.build_wide_table` (column ``customer_id``).
    params : dict or TagRules, optional
        Threshold overrides (keys are :class:`TagRules` fields).

    Returns
    -------
    DataFrame
        ``customer_id`` and one column per computable tag, in :data:`TAG_CATEGORIES`
        order. Flags are bool (``is_primary_account`` / ``primary_linked`` are
        nullable when monthly balances are absent); scores int; labels str.
    """
    rules = TagRules.from_params(params)
    if not isinstance(wide, pd.DataFrame):
        raise DataError(f"wide must be a DataFrame from build_wide_table; got {type(wide).__name__}")
    if "customer_id" not in wide:
        raise DataError("wide table has no column 'customer_id'")
    for c in ("tenure_days", "days_since_last_out", "n_txn_90d"):
        if c not in wide:
            raise DataError(f"wide table lacks column '{c}'; build it with clientlens.features.build_wide_table")
    wide = wide.reset_index(drop=True)
    t: dict[str, pd.Series] = {"customer_id": wide["customer_id"].astype("str")}
    has_bal = "aum" in wide

    # lifecycle
    stage = lifecycle_stage(wide, rules)
    t["lifecycle_stage"] = stage
    t["lifecycle_simple"] = stage.map({"contact": "acquire", "growth": "develop", "maturity": "retain",
                                       "active": "retain", "decline": "win_back", "dormant": "win_back"}
                                      ).astype("str")
    # demographics
    if "age" in wide:
        t["age_band"] = _age_band(wide["age"], rules.age_bands)
    for c in ("gender", "education", "occupation", "city"):
        if c in wide:
            t[c] = wide[c].astype("str").where(wide[c].notna(), "unknown").astype("str")
    if "income_monthly" in wide:
        t["income_band"] = _band(wide["income_monthly"], rules.income_bands, _money)
    t["tenure_band"] = _band(wide["tenure_days"].astype("float64").clip(lower=0) / 365.25,
                             rules.tenure_bands_years, lambda x: f"{x:g}y")
    # product holding
    if has_bal:
        n_prod = wide["n_products"].fillna(0).astype("int64")
        t["product_breadth"] = pd.Series(np.select([n_prod <= 0, n_prod == 1, n_prod <= 3, n_prod <= 5],
                                                   ["0", "1", "2-3", "4-5"], "6+"), index=wide.index, dtype="str")
        has = {p: _col(wide, f"has_{p}", 0).fillna(0).astype(bool).to_numpy()
               for p in ("demand_deposit", "time_deposit", "wealth_mgmt", "fund", "insurance", "loan",
                         "credit_card")}
        dep = has["demand_deposit"] | has["time_deposit"]
        inv = has["wealth_mgmt"] | has["fund"]
        inv_share = _col(wide, "investment_share").astype("float64").fillna(0.0).to_numpy()
        aum_pos = wide["aum"].fillna(0).to_numpy() > 0
        pattern = np.select(
            [~aum_pos, inv & (inv_share >= 0.5), dep & inv, dep & has["insurance"], dep],
            ["none", "investment_led", "deposit_and_investment", "deposit_and_protection", "deposit_only"],
            "other")
        t["product_pattern"] = pd.Series(pattern, index=wide.index, dtype="str")
        t["has_deposit"] = pd.Series(dep, index=wide.index)
        t["has_investment"] = pd.Series(inv, index=wide.index)
        t["has_insurance"] = pd.Series(has["insurance"], index=wide.index)
        if "has_loan" in wide:
            t["has_loan"] = pd.Series(has["loan"], index=wide.index)
        if "has_credit_card" in wide:
            t["has_credit_card"] = pd.Series(has["credit_card"], index=wide.index)
        t["multi_product"] = n_prod >= rules.multi_product_min
    # behaviour habits
    n90 = wide["n_txn_90d"].fillna(0).to_numpy()
    t["activity_level"] = pd.Series(np.where(n90 <= 0, "inactive",
                                             np.where(n90 < rules.active_min_txn_90d, "low", "active")),
                                    index=wide.index, dtype="str")
    share_cols = [c for c in wide.columns if c.startswith("share_")]
    if share_cols:
        shares = wide[share_cols].astype("float64").fillna(0.0).to_numpy()
        best = shares.argmax(axis=1)
        best_share = shares[np.arange(len(wide)), best]
        names = np.array([c[len("share_"):] for c in share_cols], dtype=object)
        pref = np.where(shares.sum(axis=1) <= 0, "none",
                        np.where(best_share >= rules.channel_pref_min_share, names[best], "mixed"))
        t["channel_preference"] = pd.Series(pref, index=wide.index, dtype="str")
        digital = _col(wide, "share_mobile", 0.0).fillna(0.0) + _col(wide, "share_online", 0.0).fillna(0.0)
        t["is_digital"] = (digital >= rules.digital_min_share) & (digital > 0)
    if "n_wealth_purchase_365d" in wide:
        t["is_wealth_trader"] = (wide["n_wealth_purchase_365d"].fillna(0)
                                 + _col(wide, "n_wealth_redemption_365d", 0).fillna(0)) > 0
    if "n_fx_purchase_365d" in wide:
        t["is_fx_user"] = wide["n_fx_purchase_365d"].fillna(0) > 0
    # attitude / feedback
    if "risk_appetite" in wide:
        t["risk_appetite"] = wide["risk_appetite"].astype("str").where(wide["risk_appetite"].notna(),
                                                                       "unknown").astype("str")
    if "marketing_opt_out" in wide:
        t["marketing_opt_out"] = wide["marketing_opt_out"].fillna(0).astype(bool)
    # value contribution
    if has_bal:
        t["aum_band"] = _band(wide["aum"], rules.aum_bands, _money)
        t["value_tier"] = value_tiers(wide["aum"], wide["customer_id"], rules.value_tier_shares)
    r_col, f_col, m_col = rules.rfm_recency_col, rules.rfm_frequency_col, rules.rfm_monetary_col
    for c in (r_col, f_col, m_col):
        if c not in wide:
            raise ParamsError(f"rfm column '{c}' is not in the wide table")
    r = rfm_quintile(wide[r_col], higher_is_better=False)
    f = rfm_quintile(wide[f_col])
    m = rfm_quintile(wide[m_col])
    w = np.asarray(rules.rfm_weights, dtype="float64")
    w = w / w.sum()
    score = (w[0] * r + w[1] * f + w[2] * m).round(4)
    hi_cut, med_cut = rules.rfm_tier_cuts
    # rfm tags are placed after the value tier, see TAG_CATEGORIES order below
    rh, fh, mh = (r > rules.rfm_segment_cut).to_numpy(), (f > rules.rfm_segment_cut).to_numpy(), \
        (m > rules.rfm_segment_cut).to_numpy()
    rf = np.where(rh & fh, "value", np.where(rh, "develop", np.where(fh, "retain", "win_back")))
    seg = np.where(mh, "important_", "general_").astype(object) + rf.astype(object)
    # relationship circle (and primary, needed by the quadrant action)
    prim = primary_account(wide, rules) if "key_txn_m0" in wide else None
    if has_bal:
        q = quadrant(wide, rules, None if prim is None else prim["is_primary_account"])
        t["quadrant"] = q["quadrant"]
        t["quadrant_action"] = q["quadrant_action"]
    t["rfm_r"], t["rfm_f"], t["rfm_m"], t["rfm_score"] = r, f, m, score
    t["rfm_tier"] = pd.Series(np.where(score >= hi_cut, "high", np.where(score >= med_cut, "medium", "low")),
                              index=wide.index, dtype="str")
    t["rfm_segment"] = pd.Series(seg, index=wide.index, dtype="str")
    if "payroll_flag" in wide:
        t["is_payroll"] = wide["payroll_flag"].fillna(0).astype(bool)
    if "auto_sweep" in wide:
        t["has_auto_sweep"] = wide["auto_sweep"].fillna(0).astype(bool)
    if "auto_debit" in wide:
        t["has_auto_debit"] = wide["auto_debit"].fillna(0).astype(bool)
    if prim is not None:
        for c in ("payroll_moved_out", "is_primary_account", "primary_active", "primary_linked",
                  "primary_no_moveout"):
            t[c] = prim[c]
    # marketing activity
    if "n_contacts_365d" in wide:
        nc = wide["n_contacts_365d"].fillna(0).to_numpy()
        nr = wide["n_responses_365d"].fillna(0).to_numpy()
        t["contacted_365d"] = pd.Series(nc > 0, index=wide.index)
        t["responded_365d"] = pd.Series(nr > 0, index=wide.index)
        t["marketing_fatigue"] = pd.Series((nc >= rules.fatigue_min_contacts) & (nr == 0), index=wide.index)
        d = wide["days_since_last_contact"].astype("float64").to_numpy()
        with np.errstate(invalid="ignore"):
            rec = np.where(np.isnan(d), "never", np.where(d <= 30, "<=30d", np.where(
                d <= 90, "31-90d", np.where(d <= 365, "91-365d", ">365d"))))
        t["contact_recency"] = pd.Series(rec, index=wide.index, dtype="str")

    order = ["customer_id"] + [c for c in TAG_CATEGORIES if c in t]
    return pd.DataFrame({c: t[c] for c in order})


def tag_coverage(tags: pd.DataFrame) -> pd.DataFrame:
    """Per tag: category, number of distinct values, share of customers with a known / true value,
    and the most common value with its share."""
    rows = []
    n = len(tags)
    for c in tags.columns:
        if c == "customer_id":
            continue
        s = tags[c]
        if s.dtype == bool or str(s.dtype) == "boolean":
            known = s.notna().mean() if n else math.nan
            true_share = s.fillna(False).astype(bool).mean() if n else math.nan
            top, top_share = "True", true_share
        else:
            known = (s.notna() & (s.astype("str") != "unknown")).mean() if n else math.nan
            vc = s.astype("str").value_counts(normalize=True, sort=True)
            vc = vc.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
            top, top_share = (vc.index[0], vc.iloc[0]) if len(vc) else ("", math.nan)
        rows.append({"tag": c, "category": TAG_CATEGORIES.get(c, ""), "n_values": int(s.nunique(dropna=True)),
                     "coverage": float(known), "top_value": str(top), "top_share": float(top_share)})
    out = pd.DataFrame(rows)
    if len(out):
        out["category"] = pd.Categorical(out["category"], categories=list(CATEGORIES), ordered=True)
        out = out.sort_values("category", kind="stable").reset_index(drop=True)
        out["category"] = out["category"].astype("str")
    return out


DEFAULT_SUMMARY_METRICS = ("aum", "income_monthly", "age", "n_products", "n_txn_90d", "amt_out_365d")


def segment_summary(wide: pd.DataFrame, tags: pd.DataFrame, by: str, *,
                    metrics=DEFAULT_SUMMARY_METRICS, order=None) -> pd.DataFrame:
    """Rule segments side by side: size, share of customers, share of AUM and key averages.

    Parameters
    ----------
    wide, tags : DataFrame
        Wide table and tag table (joined on ``customer_id``).
    by : str
        Tag column to group by (e.g. ``"lifecycle_stage"``).
    metrics : sequence of str
        Wide-table columns averaged per segment (absent ones are skipped).
    order : sequence, optional
        Row order of the segments (others follow, by size).
    """
    if by not in tags:
        raise ParamsError(f"by must be a tag column; got {by!r}")
    cols = ["customer_id"] + [m for m in metrics if m in wide and m != by]
    df = tags[["customer_id", by]].merge(wide[cols], on="customer_id", how="left", validate="one_to_one")
    g = df.groupby(by, observed=True, dropna=False, sort=False)
    out = pd.DataFrame({"customers": g.size()})
    out["share"] = out["customers"] / max(len(df), 1)
    if "aum" in df:
        total = df["aum"].clip(lower=0).sum()
        out["aum_share"] = g["aum"].sum() / total if total > 0 else np.nan
    if "is_primary_account" in tags and by != "is_primary_account":
        pr = tags[["customer_id", "is_primary_account"]].merge(df[["customer_id", by]], on="customer_id")
        out["primary_share"] = pr.groupby(by, observed=True, sort=False)["is_primary_account"].apply(
            lambda s: s.fillna(False).astype(bool).mean())
    for m in cols[1:]:
        out[f"mean_{m}"] = g[m].mean()
    out = out.sort_values("customers", ascending=False, kind="stable")
    if order is not None:
        first = [o for o in order if o in out.index]
        out = out.loc[first + [i for i in out.index if i not in first]]
    out.index.name = by
    return out.reset_index()
