"""The demo bank: a deterministic synthetic retail bank with planted ground truth.

:func:`generate_demo` writes the four contract tables (``customers``,
``monthly_balances``, ``transactions``, ``campaigns``) as single Parquet files and
the planted truth into ``truth/`` (never read by analyses). See
``docs/demo-bank.md`` for what is planted and how each truth can be recovered.

Generation runs in chunks of customers; every chunk draws from its own
``numpy.random.SeedSequence(seed, spawn_key=(chunk_index,))`` stream, so the
same ``n_customers``, ``seed`` and ``chunk_size`` always give identical tables.
Changing ``chunk_size`` changes the draws (the distributions stay the same).
Everything inside a chunk is vectorised numpy; the tables are streamed to disk
with :class:`pyarrow.parquet.ParquetWriter`, so memory stays bounded by the
chunk size (1,000,000 customers run in well under 4 GB).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import ParamsError
from .params import require_int

# ---------------------------------------------------------------------------
# Population parameters (the truth a model fit should recover)
# ---------------------------------------------------------------------------
#: BG/NBD in days: lambda ~ Gamma(shape r, rate alpha) per day, dropout p ~ Beta(a, b)
#: after each repeat transaction day. Gamma-Gamma on day totals (CNY): spend ~
#: Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate gamma).
BTYD = {"r": 0.8, "alpha": 8.0, "a": 0.5, "b": 120.0}
GAMMA_GAMMA = {"p": 6.0, "q": 3.5, "gamma": 400.0}
HOLIDAY_MONTHS = (1, 2)          # Spring Festival
HOLIDAY_MULTIPLIER = 1.5
AUM_TREND = 0.003                # market-wide AUM growth per month (log scale)

LIFECYCLE = {"contact_days": 180, "dormant_days": 180, "growth_ratio": 1.2, "decline_ratio": 0.8,
             "recent_months": 3, "base_months": 6}
QUADRANT = {"high_value_aum": 100_000.0, "high_potential_income": 15_000.0}
PRIMARY = {"min_key_txn": 5, "months": 3, "max_products": 5, "retention_floor": 0.2}
#: Planted event-rule cases (clientlens.events): a share of the customers with AUM of at least ``min_aum``
#: get one of their 'out' rows (any day of the window, so no month stands out) turned into a large FX
#: purchase or a large outgoing transfer; near misses sit just under the thresholds. Days and counts are
#: unchanged, so the BTYD truth holds; the planted amounts are outside the Gamma-Gamma spend process.
EVENTS = {"fx_rate": 7.10, "fx_min_usd": 10_000.0, "fx_rm_min_usd": 30_000.0,
          "fx_share": 0.03, "fx_usd_range": (10_000.0, 60_000.0), "fx_near_share": 0.01,
          "outflow_min": 100_000.0, "outflow_share": 0.03, "outflow_near_share": 0.01, "min_aum": 200_000.0}

#: Planted product mechanisms (issue 14), drawn from their own random stream (spawn key (chunk, 14)):
#: risk appetite shapes holdings (conservative customers hold fewer funds);
#: co-holding affinity wealth_mgmt -> insurance; acquisition affinity loan -> credit_card (cards opened
#: in the last 12 months, mostly by loan holders); a holdings table with maturities and card expiries,
#: near misses just under the 100,000 time-deposit threshold.
PRODUCTS = {"conservative_drop": {"fund": 0.6, "wealth_mgmt": 0.0},
            "coholding": {"antecedent": "wealth_mgmt", "consequent": "insurance", "extra_prob": 0.5},
            "acquisition": {"antecedent": "loan", "consequent": "credit_card", "prob": 0.5,
                            "background_prob": 0.03, "months": 12},
            "td_terms_months": [3, 6, 12, 24, 36], "wm_terms_months": [3, 6, 12],
            "matured_share": {"time_deposit": 0.35, "wealth_mgmt": 0.4}, "matured_days": 180,
            "card_expiry_days": [-150, 1460], "td_large": 100_000.0, "td_near_share": 0.08,
            "td_edge_share": 0.04}
HOLDING_PRODUCTS = ("demand_deposit", "time_deposit", "wealth_mgmt", "fund", "insurance", "loan", "credit_card")

SEGMENTS = ("young_professional", "payroll_mass", "affluent_retiree", "business_owner", "student_starter",
            "dormant")
SEG_SHARE = np.array([0.19, 0.26, 0.13, 0.12, 0.13, 0.17])

STAGES = ("contact", "growth", "maturity", "decline", "dormant")
QUADRANTS = ("high_value_high_potential", "high_value_low_potential", "low_value_high_potential",
             "low_value_low_potential")
GENDERS = ("F", "M")
EDUCATIONS = ("high_school", "college", "bachelor", "postgraduate")
OCCUPATIONS = ("employee", "civil_servant", "professional", "business_owner", "retired", "student", "other")
RISKS = ("conservative", "balanced", "aggressive")
CITIES = ("Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Hangzhou", "Nanjing", "Suzhou", "Chengdu", "Wuhan",
          "Xian", "Tianjin", "Chongqing")
CITY_P = np.array([0.16, 0.14, 0.11, 0.1, 0.09, 0.08, 0.07, 0.07, 0.06, 0.05, 0.04, 0.03])
TXN_CHANNELS = ("mobile", "online", "phone", "branch", "atm", "pos")
OUT_CATS = ("consumption", "transfer", "wealth_purchase", "fx_purchase", "loan_repayment", "other")
IN_CATS = ("transfer", "wealth_redemption", "other")
CONTACT_CHANNELS = ("sms", "phone", "app", "rm")
ALL_CATS = ("consumption", "transfer", "salary", "wealth_purchase", "wealth_redemption", "fx_purchase",
            "loan_repayment", "other")
_CAT = {c: i for i, c in enumerate(ALL_CATS)}

# Per-segment parameters, rows in SEGMENTS order.
_A = np.array
SEG = {
    "age": _A([[30, 4], [41, 7], [67, 5], [46, 7], [21, 2], [45, 12]], float),
    "income": _A([[19000, 0.30], [8500, 0.28], [6500, 0.30], [48000, 0.45], [2500, 0.45], [5500, 0.5]], float),
    "aum": _A([[90e3, 0.65], [35e3, 0.65], [700e3, 0.6], [500e3, 0.7], [5e3, 0.7], [2e3, 0.9]], float),
    # Gaussian-copula latent means: transaction rate, dropout, spend rate nu (high nu = low spend)
    "lam_score": _A([1.3, 0.5, -0.7, 1.3, 0.6, -1.9]),
    "p_score": _A([0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    "nu_score": _A([-0.15, 0.15, -0.15, -0.5, 0.6, 0.2]),
    "contact": _A([0.11, 0.07, 0.03, 0.07, 0.28, 0.02]),
    # non-contact tenure = 180 days + Exponential(mean): the opening rate at 180 days matches the
    # contact openings (< 180 days), so monthly account openings have no step
    "tenure_mean": _A([1300, 3200, 7000, 4400, 450, 3600], float),
    "growth": _A([0.40, 0.27, 0.15, 0.30, 0.45, 0.10]),
    "decline": _A([0.14, 0.20, 0.25, 0.25, 0.10, 0.45]),
    "payroll": _A([0.65, 0.95, 0.02, 0.05, 0.08, 0.12]),
    "ch_flag": _A([[0.97, 0.5, 0.1, 0.12], [0.8, 0.35, 0.15, 0.35], [0.25, 0.15, 0.4, 0.92],
                   [0.85, 0.8, 0.2, 0.45], [0.98, 0.2, 0.02, 0.08], [0.4, 0.15, 0.15, 0.5]]),
    "txn_channel": _A([[.70, .10, .01, .02, .04, .13], [.45, .10, .02, .08, .10, .25],
                       [.08, .05, .08, .50, .14, .15], [.15, .55, .02, .12, .04, .12],
                       [.78, .03, .00, .01, .05, .13], [.20, .05, .05, .35, .20, .15]]),
    "out_cat": _A([[.70, .15, .06, .02, .04, .03], [.72, .12, .03, .005, .10, .025],
                   [.55, .20, .18, .02, .01, .04], [.45, .35, .08, .06, .04, .02],
                   [.85, .10, .00, .01, .00, .04], [.60, .25, .02, .00, .05, .08]]),
    "in_rate": _A([0.8, 0.6, 0.6, 2.0, 0.5, 0.2]),        # other incoming rows per active month
    "in_cat": _A([[.75, .15, .10], [.80, .10, .10], [.55, .35, .10], [.70, .20, .10], [.85, .02, .13],
                  [.80, .05, .15]]),
    # AUM mix: demand, time, wealth, fund, insurance (Dirichlet means) and holding probs of the last four
    "mix": _A([[.30, .10, .20, .35, .05], [.55, .30, .05, .05, .05], [.12, .40, .33, .05, .10],
               [.25, .15, .30, .25, .05], [.85, .05, .00, .10, .00], [.85, .12, .01, .01, .01]]),
    "hold": _A([[.30, .55, .85, .20], [.60, .20, .20, .25], [.85, .75, .25, .50], [.50, .70, .65, .30],
                [.05, .02, .30, .02], [.20, .05, .05, .05]]),
    "loan": _A([.25, .35, .05, .45, .02, .10]),
    "card": _A([.80, .60, .30, .80, .50, .20]),
    "extra_products": _A([0.8, 0.6, 1.0, 1.5, 0.2, 0.1]),
    "auto_sweep": _A([.12, .08, .05, .30, .02, .02]),
    "auto_debit": _A([.30, .35, .25, .30, .08, .05]),
    "primary": _A([0.14, 0.17, 0.08, 0.20, 0.06, 0.02]),  # planted primary share among active customers
    "occupation": _A([[.45, .10, .40, .02, 0, 0, .03], [.65, .20, .08, .02, 0, 0, .05],
                      [0, 0, .02, .02, .94, 0, .02], [.05, 0, .05, .85, 0, 0, .05],
                      [.10, 0, 0, 0, 0, .85, .05], [.40, .05, .10, .05, .10, .05, .25]]),
    "education": _A([[.02, .15, .58, .25], [.25, .35, .35, .05], [.50, .25, .20, .05], [.20, .30, .35, .15],
                     [.30, .30, .38, .02], [.40, .30, .25, .05]]),
    "risk": _A([[.20, .45, .35], [.45, .45, .10], [.70, .27, .03], [.20, .45, .35], [.30, .40, .30],
                [.60, .35, .05]]),
    "contact_channel": _A([[.30, .10, .55, .05], [.50, .20, .25, .05], [.25, .35, .05, .35], [.20, .20, .30, .30],
                           [.30, .05, .65, .00], [.60, .30, .10, .00]]),
}

#: Campaigns: id, campaign date, product, logit intercept, coefficients on the standardised
#: attributes (z_age, z_aum, z_income, z_activity, mobile, balanced, aggressive, holds_fund) and
#: per-segment effects; the earlier model's noise and threshold choose the model group.
CAMPAIGNS = (
    {"campaign_id": "WM2025", "date": "2025-09-15", "product": "wealth_mgmt", "intercept": -5.25,
     "coef": [0.35, 0.95, 0.35, 0.35, 0.0, 0.5, 0.3, 0.45],
     "segment": [0.0, -0.2, 0.5, 0.3, -0.8, -1.0], "control_share": 0.12, "model_threshold": -4.4},
    {"campaign_id": "CC2026", "date": "2026-03-10", "product": "credit_card", "intercept": -5.4,
     "coef": [-0.55, -0.2, 0.35, 0.95, 0.6, 0.0, 0.2, 0.0],
     "segment": [0.5, 0.2, -0.6, 0.1, 0.2, -1.0], "control_share": 0.12, "model_threshold": -4.4},
    {"campaign_id": "FD2026", "date": "2026-08-20", "product": "fund", "intercept": -5.75,
     "coef": [0.0, 0.6, 0.3, 0.35, 0.45, 0.35, 0.85, 0.95],
     "segment": [0.3, 0.0, -0.3, 0.3, -0.4, -1.0], "control_share": 0.12, "model_threshold": -4.4},
)
MODEL_NOISE_SD = 1.0     # noise of the bank's earlier model on the logit scale
# fixed standardisation of the campaign attributes (not data-derived: chunk-independent)
_Z = {"age": (42.0, 14.0), "aum": (4.5, 1.1), "income": (3.95, 0.35), "activity": (1.2, 1.0)}

#: Planted strategy executions of a past period (for 09_post_evaluation), own random stream
#: ``default_rng([seed, 15, chunk])``. Each execution takes a random ``list_share`` of its eligible
#: customers (one execution per customer: the eligible sets are disjoint), holds out ``control_share`` as
#: the control group, and draws responses with the control rate, plus ``uplift`` for treated customers
#: (S-WEALTH: only those with AUM of at least ``subgroup_min_aum`` at the month-end before contact).
#: Every responder (treated or control) adds ``aum_add`` CNY to ``product`` from the first month-end after
#: contact, so the incremental AUM per treated customer is uplift x aum_add.
STRATEGY_EXECUTIONS = (
    {"campaign_id": "S-PAYROLL-2605", "name": "payroll_to_primary", "product": "demand_deposit",
     "works": "yes", "control_rate": 0.04, "uplift": 0.08, "aum_add": 20_000.0},
    {"campaign_id": "S-DORMANT-2605", "name": "dormant_winback", "product": "demand_deposit",
     "works": "no", "control_rate": 0.03, "uplift": 0.0, "aum_add": 5_000.0},
    {"campaign_id": "S-WEALTH-2605", "name": "wealth_upgrade", "product": "wealth_mgmt",
     "works": "sub-group", "control_rate": 0.03, "uplift": 0.14, "aum_add": 50_000.0,
     "subgroup_min_aum": 100_000.0},
)
STRATEGY_PERIOD = {"contact_date": "2026-05-06", "contact_days": 5, "before_month_end": "2026-04-30",
                   "list_share": 0.6, "control_share": 0.3, "channel": "app"}
#: lifecycle migration truth: the rule stage at this earlier month-end beside the one at as_of
MIGRATION_EARLIER = "2026-04-30"



@dataclass(frozen=True)
class _Calendar:
    as_of: int                # days since 1970-01-01
    month_ends: np.ndarray    # int days, ascending, last <= as_of
    month_starts: np.ndarray  # int days
    first_month: int          # months since 1970-01 of month_ends[0]
    start: int                # first day of the observation window

    @property
    def n_months(self) -> int:
        return len(self.month_ends)

    def month_index(self, days: np.ndarray) -> np.ndarray:
        return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) - self.first_month


def _calendar(as_of: str, months: int) -> _Calendar:
    try:
        d = np.datetime64(dt.date.fromisoformat(str(as_of)), "D")
    except ValueError:
        raise ParamsError(f"as_of must be a date YYYY-MM-DD; got {as_of!r}") from None
    m_as_of = d.astype("datetime64[M]")
    last_end = (m_as_of + 1).astype("datetime64[D]") - 1
    last_month = m_as_of if last_end <= d else m_as_of - 1
    first_month = last_month - (months - 1)
    mm = np.arange(first_month, last_month + 1)
    ends = ((mm + 1).astype("datetime64[D]") - 1).astype(np.int64)
    starts = mm.astype("datetime64[D]").astype(np.int64)
    return _Calendar(int(d.astype(np.int64)), ends, starts, int(first_month.astype(np.int64)), int(starts[0]))


# ---------------------------------------------------------------------------
# small vectorised helpers
# ---------------------------------------------------------------------------
def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


def _copula_assign(rng: np.random.Generator, draws: np.ndarray, latent_mean: np.ndarray) -> np.ndarray:
    """Assign iid ``draws`` to customers by the rank of ``latent_mean + N(0, 1)`` (Gaussian copula).

    The multiset of values is exactly the iid sample, so the marginal stays exact.
    """
    score = latent_mean + rng.standard_normal(len(draws))
    out = np.empty_like(draws)
    out[np.argsort(score, kind="stable")] = np.sort(draws)
    return out


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every group of ``counts`` consecutive values."""
    cs = np.cumsum(values)
    ends = np.cumsum(counts)
    starts = ends - counts
    before = np.where(starts > 0, cs[np.maximum(starts - 1, 0)], 0.0)
    return cs - np.repeat(before, counts)


def _fixed_strings(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``nums`` as an Arrow string array, built from bytes (fast)."""
    nums = np.asarray(nums, dtype=np.int64)
    n = len(nums)
    p = prefix.encode("ascii")
    length = len(p) + width
    mat = np.empty((n, length), dtype=np.uint8)
    mat[:, :len(p)] = np.frombuffer(p, dtype=np.uint8)
    rest = nums.copy()
    for k in range(width - 1, -1, -1):
        mat[:, len(p) + k] = (rest % 10 + 48).astype(np.uint8)
        rest //= 10
    offsets = np.arange(n + 1, dtype=np.int64) * length
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat.tobytes())).cast(pa.string())


def _cat(codes: np.ndarray, vocab: tuple[str, ...]) -> pa.Array:
    codes = np.asarray(codes)
    idx = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pc.take(pa.array(list(vocab), type=pa.string()), idx)


def _num(x: np.ndarray) -> pa.Array:
    x = np.asarray(x, dtype=np.float64)
    return pa.array(x, mask=np.isnan(x), type=pa.float64())


def _date(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    return pa.array(days.astype(np.int32), type=pa.int32()).cast(pa.date32())


def _date_nullable(days: np.ndarray, valid: np.ndarray) -> pa.Array:
    arr = pa.array(np.asarray(days, dtype=np.int32), mask=~np.asarray(valid, bool), type=pa.int32())
    return arr.cast(pa.date32())


# ---------------------------------------------------------------------------
# Arrow schemas of the output files
# ---------------------------------------------------------------------------
_S, _F, _D, _B, _I = pa.string(), pa.float64(), pa.date32(), pa.bool_(), pa.int64()
SCHEMAS = {
    "customers": pa.schema([("customer_id", _S), ("name", _S), ("phone", _S), ("id_number", _S),
                            ("birth_date", _D), ("gender", _S), ("education", _S), ("occupation", _S),
                            ("income_monthly", _F), ("city", _S), ("open_date", _D), ("risk_appetite", _S),
                            ("payroll_flag", _B), ("channel_mobile", _B), ("channel_online", _B),
                            ("channel_phone", _B), ("channel_branch", _B), ("marketing_opt_out", _B)]),
    "monthly_balances": pa.schema([("customer_id", _S), ("month_end", _D), ("demand_deposit", _F),
                                   ("time_deposit", _F), ("wealth_mgmt", _F), ("fund", _F), ("insurance", _F),
                                   ("loan", _F), ("credit_card", _F), ("aum", _F), ("n_products", _I),
                                   ("auto_sweep", _B), ("auto_debit", _B), ("payroll_amount", _F),
                                   ("payroll_retention", _F)]),
    "transactions": pa.schema([("txn_id", _S), ("customer_id", _S), ("txn_date", _D), ("amount", _F),
                               ("direction", _S), ("channel", _S), ("category", _S)]),
    "campaigns": pa.schema([("campaign_id", _S), ("customer_id", _S), ("contact_date", _D), ("channel", _S),
                            ("group", _S), ("response", _I), ("product", _S)]),
    "customers_truth": pa.schema([("customer_id", _S), ("segment", _S), ("lifecycle_stage", _S), ("quadrant", _S),
                                  ("is_primary_account", _B), ("true_income", _F), ("btyd_lambda", _F),
                                  ("btyd_p", _F), ("gg_nu", _F), ("first_txn_date", _D), ("dropout_date", _D),
                                  ("alive_at_as_of", _B), ("n_txn_days", _I), ("base_propensity", _F)]),
    "events_truth": pa.schema([("customer_id", _S), ("event_date", _D), ("planted", _S), ("amount", _F),
                               ("amount_usd", _F), ("should_trigger", _B)]),
    "campaign_truth": pa.schema([("campaign_id", _S), ("customer_id", _S), ("group", _S),
                                 ("true_propensity", _F)]),
    "strategy_truth": pa.schema([("campaign_id", _S), ("customer_id", _S), ("group", _S), ("subgroup", _B),
                                 ("aum_before", _F), ("p_control", _F), ("p_treated", _F), ("response", _I)]),
    "migration_truth": pa.schema([("customer_id", _S), ("stage_earlier", _S), ("stage_as_of", _S)]),
    "holdings": pa.schema([("holding_id", _S), ("customer_id", _S), ("product", _S), ("amount", _F),
                           ("open_date", _D), ("maturity_date", _D)]),
    "maturities_truth": pa.schema([("customer_id", _S), ("product", _S), ("maturity_date", _D), ("amount", _F),
                                   ("event", _S), ("should_trigger", _B)]),
    "targets_truth": pa.schema([("customer_id", _S), ("convert_hazard", _F), ("convert_month_end", _D),
                                ("outflow_hazard", _F), ("outflow_month_end", _D), ("fund_hazard", _F),
                                ("fund_month_end", _D)]),
}

_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力志宇浩然欣怡子轩梓涵一诺雨")
_REGIONS = np.array([310101, 110101, 440301, 440103, 330102, 320102, 320505, 510104, 420102, 610102, 120101,
                     500103])


def _names(rng, n) -> pa.Array:
    s = np.array(_SURNAMES, dtype=object)[rng.integers(0, len(_SURNAMES), n)]
    g1 = np.array(_GIVEN, dtype=object)[rng.integers(0, len(_GIVEN), n)]
    g2 = np.where(rng.random(n) < 0.6, np.array(_GIVEN, dtype=object)[rng.integers(0, len(_GIVEN), n)], "")
    return pa.array((s + g1 + g2).tolist(), type=pa.string())


def _id_numbers(rng, city, birth_days) -> pa.Array:
    """Synthetic 18-character national ID numbers (region + birth date + sequence + ISO 7064 check)."""
    n = len(city)
    ymd = birth_days.astype("datetime64[D]").astype(str)
    ymd = np.char.replace(ymd, "-", "").astype(np.int64)
    body = _REGIONS[city].astype(np.int64) * 10 ** 11 + ymd * 1000 + rng.integers(0, 1000, n)
    digits = np.stack([(body // 10 ** (16 - k)) % 10 for k in range(17)], axis=1)
    w = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.array(list("10X98765432"))[(digits * w).sum(axis=1) % 11]
    return pa.array(np.char.add(body.astype(str), check).tolist(), type=pa.string())


def _phones(rng, n) -> pa.Array:
    return _fixed_strings("1", np.array([3, 5, 7, 8, 9])[rng.integers(0, 5, n)] * 10 ** 9
                          + rng.integers(0, 10 ** 9, n), 10)


# ---------------------------------------------------------------------------
# one chunk
# ---------------------------------------------------------------------------
def _plant_events(prng: np.random.Generator, cal: _Calendar, ids: pa.Array, aum_now: np.ndarray,
                  o_cust: np.ndarray, o_day: np.ndarray, o_amt: np.ndarray, o_cat: np.ndarray) -> pa.Table:
    """Turn one 'out' row of some wealthy customers into a large FX purchase or outgoing transfer.

    Modifies ``o_amt`` / ``o_cat`` in place (rows keep their customer and day, so transaction-day
    counts are unchanged) and returns the planted cases for ``truth/events_truth.parquet``.
    Uses its own random stream, so the rest of the bank is the same with or without it.
    """
    E = EVENTS
    recent = np.flatnonzero((o_day >= cal.start) & (o_day <= cal.as_of))
    n = len(aum_now)
    # one candidate row per customer: a random 'out' row of the window
    pick = np.full(n, -1, dtype=np.int64)
    shuffled = recent[prng.permutation(len(recent))]
    cust_first, at = np.unique(o_cust[shuffled], return_index=True)
    pick[cust_first] = shuffled[at]
    eligible = (pick >= 0) & (np.nan_to_num(aum_now) >= E["min_aum"])
    u = prng.random(n)
    cuts = np.cumsum([E["fx_share"], E["fx_near_share"], E["outflow_share"], E["outflow_near_share"]])
    kind = np.where(eligible, np.searchsorted(cuts, u, side="right"), 4)   # 0..3 planted, 4 none
    rows, out = [], {k: [] for k in ("cust", "day", "kind", "amt", "usd")}
    for k in range(4):
        c = np.flatnonzero(kind == k)
        r = pick[c]
        if k == 0:
            lo, hi = E["fx_usd_range"]
            usd = np.round(np.exp(prng.uniform(np.log(lo), np.log(hi), len(c))), -1)
        elif k == 1:
            usd = np.round(prng.uniform(0.85, 0.995, len(c)) * E["fx_min_usd"], -1)
        if k in (0, 1):
            amt = np.round(usd * E["fx_rate"], 2)
            o_cat[r] = _CAT["fx_purchase"]
        else:
            share = prng.uniform(0.3, 0.8, len(c)) if k == 2 else prng.uniform(0.6, 0.99, len(c))
            amt = np.round(np.maximum(share * aum_now[c], E["outflow_min"]) if k == 2
                           else share * E["outflow_min"], 2)
            usd = np.full(len(c), np.nan)
            o_cat[r] = _CAT["transfer"]
        o_amt[r] = amt
        for key, v in (("cust", c), ("day", o_day[r]), ("kind", np.full(len(c), k)), ("amt", amt), ("usd", usd)):
            out[key].append(v)
    cat = {key: np.concatenate(v) for key, v in out.items()}
    order = np.lexsort((cat["cust"], cat["day"]))
    cat = {key: v[order] for key, v in cat.items()}
    names = np.array(["fx_purchase", "fx_purchase_near_miss", "large_outflow", "large_outflow_near_miss"])
    return pa.table({"customer_id": ids.take(pa.array(cat["cust"])), "event_date": _date(cat["day"]),
                     "planted": pa.array(names[cat["kind"]]), "amount": cat["amt"],
                     "amount_usd": _num(cat["usd"]), "should_trigger": pa.array(np.isin(cat["kind"], [0, 2]))},
                    schema=SCHEMAS["events_truth"])


def _plant_strategies(srng: np.random.Generator, cal: _Calendar, ids: pa.Array, comp: np.ndarray, aum: np.ndarray,
                      has_row: np.ndarray, open_day: np.ndarray, opt_out: np.ndarray, payroll: np.ndarray,
                      stage_plan: np.ndarray, plant_primary: np.ndarray, contact_stage: np.ndarray):
    """Planted strategy executions (:data:`STRATEGY_EXECUTIONS`) with their effect on later balances.

    Adds each responder's ``aum_add`` to ``comp`` / ``aum`` in place (month-ends after the contact) and
    returns the campaign rows, the truth rows and summary sums. All draws are full-length, in a fixed
    order, from ``srng`` (this mechanism's own stream).
    """
    n, M = aum.shape
    P = STRATEGY_PERIOD
    cday = int(np.datetime64(P["contact_date"], "D").astype(np.int64))
    mb = int(np.searchsorted(cal.month_ends, int(np.datetime64(P["before_month_end"], "D").astype(np.int64))))
    u_list, u_ctrl, u_resp = srng.random(n), srng.random(n), srng.random(n)
    c_off = srng.integers(0, P["contact_days"], n)
    empty = {"campaigns": SCHEMAS["campaigns"].empty_table(), "strategy_truth": SCHEMAS["strategy_truth"].empty_table(),
             "summaries": [{} for _ in STRATEGY_EXECUTIONS]}
    if mb >= M or cal.month_ends[mb] >= cday:
        return empty
    aum_before = np.where(has_row[:, mb], aum[:, mb], np.nan)
    ok = (open_day < cday) & ~opt_out & has_row[:, mb] & ~contact_stage
    active = np.isin(stage_plan, [STAGES.index(s) for s in ("growth", "maturity", "decline")])
    elig = {"S-PAYROLL-2605": ok & payroll & active & ~plant_primary,
            "S-DORMANT-2605": ok & (stage_plan == STAGES.index("dormant")),
            "S-WEALTH-2605": ok & ~payroll & active}
    after = (np.arange(M) > mb)[None, :] & has_row
    prod_idx = {"demand_deposit": 0, "time_deposit": 1, "wealth_mgmt": 2, "fund": 3, "insurance": 4}
    rows, truth, sums = [], [], []
    for ex in STRATEGY_EXECUTIONS:
        on = elig[ex["campaign_id"]] & (u_list < P["list_share"])
        ctrl = on & (u_ctrl < P["control_share"])
        treated = on & ~ctrl
        sub = (np.nan_to_num(aum_before, nan=0.0) >= ex["subgroup_min_aum"]) if "subgroup_min_aum" in ex \
            else np.ones(n, bool)
        p_c = np.full(n, ex["control_rate"])
        p_t = p_c + ex["uplift"] * sub
        resp = on & (u_resp < np.where(treated, p_t, p_c))
        add = np.where(resp[:, None] & after, ex["aum_add"], 0.0)
        comp[:, :, prod_idx[ex["product"]]] += add
        aum += add
        idx = np.nonzero(on)[0]
        k = len(idx)
        grp = np.where(ctrl[idx], 1, 0)
        rows.append(pa.table({
            "campaign_id": pa.array([ex["campaign_id"]] * k, pa.string()), "customer_id": ids.take(pa.array(idx)),
            "contact_date": _date(cday + c_off[idx]), "channel": pa.array([P["channel"]] * k, pa.string()),
            "group": _cat(grp, ("model", "control")), "response": pa.array(resp[idx].astype(np.int64), pa.int64()),
            "product": pa.array([ex["product"]] * k, pa.string())}, schema=SCHEMAS["campaigns"]))
        truth.append(pa.table({
            "campaign_id": pa.array([ex["campaign_id"]] * k, pa.string()), "customer_id": ids.take(pa.array(idx)),
            "group": _cat(grp, ("model", "control")), "subgroup": pa.array(sub[idx]),
            "aum_before": _num(aum_before[idx]), "p_control": pa.array(p_c[idx]), "p_treated": pa.array(p_t[idx]),
            "response": pa.array(resp[idx].astype(np.int64), pa.int64())}, schema=SCHEMAS["strategy_truth"]))
        sums.append({"n_eligible": int(elig[ex["campaign_id"]].sum()), "n_treated": int(treated.sum()),
                     "n_control": int(ctrl.sum()), "sum_uplift_treated": float((p_t - p_c)[treated].sum()),
                     "n_treated_subgroup": int((treated & sub).sum()), "n_control_subgroup": int((ctrl & sub).sum())})
    return {"campaigns": pa.concat_tables(rows), "strategy_truth": pa.concat_tables(truth), "summaries": sums}


def _stage_at(cal: _Calendar, mi: int, aum_m: np.ndarray, d_cust: np.ndarray, d_day: np.ndarray,
              open_day: np.ndarray) -> np.ndarray:
    """Lifecycle stage by the rules at month-end ``mi`` (-1 where the customer had no balance row yet)."""
    n = len(open_day)
    day = int(cal.month_ends[mi])
    r, b = LIFECYCLE["recent_months"], LIFECYCLE["base_months"]
    rec = aum_m[:, max(mi - r + 1, 0):mi + 1]
    base = aum_m[:, max(mi - r - b + 1, 0):max(mi - r + 1, 0)]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = _nanmean(rec) / _nanmean(base) if base.shape[1] else np.full(n, np.nan)
    last = np.full(n, -10 ** 6, dtype=np.int64)
    keep = d_day <= day
    np.maximum.at(last, d_cust[keep], d_day[keep])
    stage = np.full(n, STAGES.index("maturity"))
    stage[ratio <= LIFECYCLE["decline_ratio"]] = STAGES.index("decline")
    stage[ratio >= LIFECYCLE["growth_ratio"]] = STAGES.index("growth")
    stage[last <= day - LIFECYCLE["dormant_days"]] = STAGES.index("dormant")
    stage[day - open_day < LIFECYCLE["contact_days"]] = STAGES.index("contact")
    stage[np.isnan(aum_m[:, mi])] = -1
    return stage


#: Planted targeting mechanisms (clientlens.targets, issue 12): who converts to a primary account, who moves
#: assets out, who takes up a fund. Each is a constant monthly hazard ``sigmoid(intercept + coef . z)`` over
#: the last ``window_months`` month-ends, driven by attributes and behaviour visible in the tables
#: (z as in :func:`_target_drivers`). The first month whose uniform draw is below the hazard is the event
#: month; P(event within h months | eligible) = 1 - (1 - hazard)^h (truth/targets_truth.parquet).
TARGETS = {
    "window_months": 6,
    "convert": {"intercept": -6.2, "coef": {"payroll": 0.9, "mobile": 0.7, "z_income": 0.5, "z_activity": 0.7,
                                            "z_age": -0.3}},
    "outflow": {"intercept": -5.5, "coef": {"z_activity": -0.7, "branch": 0.7, "z_age": 0.4, "deposit_share": 1.2,
                                            "payroll": -0.7}},
    "fund": {"intercept": -4.9, "coef": {"aggressive": 1.2, "balanced": 0.6, "z_aum": 0.5, "mobile": 0.6,
                                         "holds_wealth": 0.7, "z_age": -0.3}},
    "outflow_keep": (0.10, 0.35),   # AUM after an outflow: this share of the balances before (uniform)
    "fund_share": (0.10, 0.30),     # share of the AUM moved from deposits into the new fund (AUM unchanged)
}


def _target_drivers(age, income, risk, ch, payroll, level, lam, shares, held) -> dict:
    """Standardised drivers of the planted targets (fixed scales of ``_Z``, chunk-independent)."""
    return {
        "z_age": (age - _Z["age"][0]) / _Z["age"][1],
        "z_income": (np.log10(np.maximum(income, 100.0)) - _Z["income"][0]) / _Z["income"][1],
        "z_activity": (np.log1p(np.nan_to_num(lam, nan=0.0) * 90.0) - _Z["activity"][0]) / _Z["activity"][1],
        "z_aum": (np.log10(level + 1.0) - _Z["aum"][0]) / _Z["aum"][1],
        "payroll": payroll.astype(float), "mobile": ch[:, 0].astype(float), "branch": ch[:, 3].astype(float),
        "balanced": (risk == 1).astype(float), "aggressive": (risk == 2).astype(float),
        "deposit_share": shares[:, 0] + shares[:, 1], "holds_wealth": held[:, 2].astype(float),
    }


def _target_hazard(kind: str, z: dict) -> np.ndarray:
    spec = TARGETS[kind]
    lin = spec["intercept"] + sum(c * z[k] for k, c in spec["coef"].items())
    return 1.0 / (1.0 + np.exp(-lin))


def _event_month(trng, hazard: np.ndarray, eligible: np.ndarray, M: int) -> np.ndarray:
    """First month index of the planting window with a draw below the hazard; -1 when none."""
    W = TARGETS["window_months"]
    hit = (trng.random((len(hazard), W)) < hazard[:, None]) & eligible[:, None]
    first = np.argmax(hit, axis=1)
    return np.where(hit.any(axis=1), M - W + first, -1)


def _plant_fund_and_outflow(trng, comp: np.ndarray, has_row: np.ndarray, z: dict, active: np.ndarray,
                            held: np.ndarray) -> dict:
    """Fund uptake (deposits moved into a new fund, AUM unchanged) and asset outflow (every balance scaled
    down) at the planted event months; ``comp`` (n, M, 5) is changed in place."""
    n, M = has_row.shape
    W = TARGETS["window_months"]
    mm = np.arange(M)[None, :]
    q_fund = _target_hazard("fund", z)
    fund_m = _event_month(trng, q_fund, active & ~held[:, 3] & has_row[:, M - W - 1], M)
    s = trng.uniform(*TARGETS["fund_share"], n)
    after = (mm >= fund_m[:, None]) & (fund_m[:, None] >= 0)
    tot = comp.sum(axis=2)
    want = np.round(np.where(after, s[:, None] * tot, 0.0), 2)
    from_demand = np.minimum(want, np.maximum(comp[:, :, 0] - 10.0, 0.0))
    from_time = np.minimum(want - from_demand, comp[:, :, 1])
    comp[:, :, 0] -= from_demand
    comp[:, :, 1] -= from_time
    comp[:, :, 3] += from_demand + from_time
    q_out = _target_hazard("outflow", z)
    out_m = _event_month(trng, q_out, active & has_row[:, M - W - 1], M)
    keep = trng.uniform(*TARGETS["outflow_keep"], n)
    after = (mm >= out_m[:, None]) & (out_m[:, None] >= 0)
    comp *= np.where(after, keep[:, None], 1.0)[:, :, None]
    np.round(comp, 2, out=comp)
    return {"fund_hazard": q_fund, "fund_month": fund_m, "outflow_hazard": q_out, "outflow_month": out_m}


def _plant_conversion(trng, cal: _Calendar, z: dict, candidates: np.ndarray, has_row: np.ndarray,
                      key_counts: np.ndarray, auto_sweep: np.ndarray, auto_debit: np.ndarray,
                      n_products: np.ndarray, open_day: np.ndarray, mobile: np.ndarray) -> dict:
    """Conversion to a primary account at the event month k: more than 5 key rows (incoming standing
    transfers) in every month from k-2 on, and an auto-debit from month k when the customer had no link."""
    n, M = has_row.shape
    W = TARGETS["window_months"]
    q = _target_hazard("convert", z)
    conv_m = _event_month(trng, q, candidates & has_row[:, M - W - 3], M)
    mm = np.arange(M)[None, :]
    boost = (conv_m[:, None] >= 0) & (mm >= conv_m[:, None] - 2) & has_row
    tgt = trng.integers(PRIMARY["min_key_txn"] + 1, 15, (n, M))
    add = np.where(boost, np.maximum(tgt - key_counts, 0), 0)
    unlinked = ~auto_sweep & ~auto_debit & (n_products[:, M - 1] <= PRIMARY["max_products"])
    debit_m = np.repeat(auto_debit[:, None], M, axis=1)
    conv = conv_m >= 0
    debit_m[conv & unlinked] = mm[0][None, :] >= conv_m[conv & unlinked][:, None]
    c_cust = np.repeat(np.repeat(np.arange(n), M), add.ravel())
    c_m = np.repeat(np.tile(np.arange(M), n), add.ravel())
    lo = np.maximum(cal.month_starts[c_m], open_day[c_cust])
    hi = np.minimum(cal.month_ends[c_m], cal.as_of)
    c_day = lo + np.floor(trng.random(len(c_m)) * (hi - lo + 1)).astype(np.int64)
    c_amt = np.round(300.0 * np.exp(trng.standard_normal(len(c_m))), 2)
    c_chan = np.where(mobile[c_cust], TXN_CHANNELS.index("mobile"), TXN_CHANNELS.index("branch"))
    return {"convert_hazard": q, "convert_month": conv_m, "auto_debit_m": debit_m,
            "auto_debit": auto_debit | (conv & unlinked),
            "rows": (c_cust, c_day, c_amt, c_chan, np.full(len(c_cust), _CAT["transfer"]))}


def _targets_truth(ids: pa.Array, cal: _Calendar, planted: dict) -> pa.Table:
    cols = {"customer_id": ids}
    for k in ("convert", "outflow", "fund"):
        m = planted[f"{k}_month"]
        cols[f"{k}_hazard"] = pa.array(planted[f"{k}_hazard"])
        cols[f"{k}_month_end"] = _date_nullable(cal.month_ends[np.maximum(m, 0)], m >= 0)
    return pa.table(cols, schema=SCHEMAS["targets_truth"])


def _chunk(rng: np.random.Generator, first: int, n: int, cal: _Calendar, txn_offset: int,
           prng: np.random.Generator, srng: np.random.Generator, hrng: np.random.Generator,
           trng: np.random.Generator | None = None) -> dict:
    """One chunk of customers; ``rng`` draws the bank, ``prng`` (its own stream) the birthday spread
    and the planted event cases, ``hrng`` (another stream) the product mechanisms and the holdings
    table, so adding those left every other draw unchanged."""
    M = cal.n_months
    as_of = cal.as_of
    seg = _choice_rows(rng, np.tile(SEG_SHARE, (n, 1)))
    ids = _fixed_strings("C", np.arange(first + 1, first + n + 1), 8)

    # --- demographics ------------------------------------------------------
    age = np.clip(SEG["age"][seg, 0] + SEG["age"][seg, 1] * rng.standard_normal(n), 18, 88)
    birth = (as_of - np.round(age * 365.25)).astype(np.int64)
    # ages clipped at 18 / 88 would all share as_of's birthday: spread them over their year of age
    # (own random stream, so every other draw of the bank is unchanged)
    clipped = (age <= 18) | (age >= 88)
    birth = np.where(clipped, birth - np.floor(prng.random(n) * 365).astype(np.int64), birth)
    gender = rng.integers(0, 2, n)
    occupation = _choice_rows(rng, SEG["occupation"][seg])
    education = _choice_rows(rng, SEG["education"][seg])
    education[rng.random(n) < 0.09] = -1
    true_income = np.round(SEG["income"][seg, 0] * np.exp(SEG["income"][seg, 1] * rng.standard_normal(n)), -1)
    # missing declared income, more often for lower incomes (MNAR, as in practice)
    p_missing = np.where(true_income >= QUADRANT["high_potential_income"], 0.03, 0.12)
    income = np.where(rng.random(n) < p_missing, np.nan, true_income)
    city = _choice_rows(rng, np.tile(CITY_P, (n, 1)))
    risk = _choice_rows(rng, SEG["risk"][seg])
    payroll = rng.random(n) < SEG["payroll"][seg]
    ch = rng.random((n, 4)) < SEG["ch_flag"][seg]
    opt_out = rng.random(n) < 0.03

    # tenure: contact (< 180 days) or 180 days + Exponential(segment mean); a tenure longer than the
    # adult age allows is redrawn uniformly in [180 days, cap] (no pile-up at the cap)
    u = rng.random(n)
    is_contact = u < SEG["contact"][seg]
    cd = LIFECYCLE["contact_days"]
    long_t = cd + rng.exponential(SEG["tenure_mean"][seg])
    cap = np.maximum((age - 17) * 365.25, cd + 1)
    long_t = np.where(long_t > cap, cd + rng.random(n) * (cap - cd), long_t)
    tenure = np.where(is_contact, rng.integers(0, cd, n), long_t).astype(np.int64)
    open_day = as_of - tenure

    # --- BG/NBD transaction process (days) ------------------------------------
    # accounts never used (part of the dormant segment) are outside the transaction process;
    # every other customer gets exact Gamma / Beta / Gamma draws, ranked by segment (Gaussian copula)
    unused = (seg == SEGMENTS.index("dormant")) & (rng.random(n) < 0.1)
    proc = np.nonzero(~unused)[0]
    m = len(proc)
    lam = np.full(n, np.nan)
    p_drop = np.full(n, np.nan)
    nu = np.full(n, np.nan)
    lam[proc] = _copula_assign(rng, rng.gamma(BTYD["r"], 1.0 / BTYD["alpha"], m), SEG["lam_score"][seg[proc]])
    p_drop[proc] = _copula_assign(rng, rng.beta(BTYD["a"], BTYD["b"], m), SEG["p_score"][seg[proc]])
    nu[proc] = _copula_assign(rng, rng.gamma(GAMMA_GAMMA["q"], 1.0 / GAMMA_GAMMA["gamma"], m),
                              SEG["nu_score"][seg[proc]])
    lam_c = np.where(unused, 1e-9, lam)
    p_c = np.where(unused, 0.5, p_drop)
    nu_c = np.where(unused, 1.0, nu)
    # first 'out' day: the open date for customers opened inside the window; for older customers
    # the first event of their Poisson process after the window start (memoryless); none if after as_of
    first_day = np.where(open_day >= cal.start, open_day,
                         cal.start + np.floor(np.minimum(rng.exponential(1.0 / lam_c), 1e6)).astype(np.int64))
    never = unused | (first_day > as_of)
    first_day = np.minimum(first_day, as_of)
    T = (as_of - first_day).astype(np.float64)                         # days observable after first txn
    j_death = rng.geometric(np.clip(p_c, 1e-12, 1.0))                # repeat txn after which it drops out
    n_T = rng.poisson(lam_c * T)
    x = np.minimum(n_T, j_death)
    x[never] = 0
    alive = (j_death > n_T) & ~never
    # first x of n_T uniform order statistics on (0, T] via exponential spacings
    E = rng.exponential(1.0, int(x.sum()))
    S = _group_cumsum(E, x)
    ends = np.cumsum(x)
    S_x = np.zeros(n)
    S_x[x > 0] = S[ends[x > 0] - 1]
    total = S_x + rng.gamma(np.maximum(n_T - x + 1, 1).astype(float), 1.0)
    cust_rep = np.repeat(np.arange(n), x)
    t_rep = T[cust_rep] * S / total[cust_rep]
    off = np.maximum(np.ceil(t_rep), 1).astype(np.int64)                # day offsets 1..T
    # distinct days: an event falling on an already used day moves to the next free day
    k_in = np.arange(len(off)) - np.repeat(ends - x, x)
    big = np.int64(10 ** 7)
    v = np.maximum.accumulate(off - k_in + cust_rep * big) - cust_rep * big
    off = v + k_in
    keep = off <= T[cust_rep]
    if not keep.all():                                                 # pushed past as_of (rare): drop
        cust_rep, off = cust_rep[keep], off[keep]
        x_new = np.bincount(cust_rep, minlength=n)
        alive |= (x_new < x) & ~never                                    # its dropout day fell after as_of
        x = x_new
        ends = np.cumsum(x)
    rep_day = first_day[cust_rep] + off
    dropout = np.full(n, -1, dtype=np.int64)
    died = ~alive & ~never
    dropout[died & (x > 0)] = rep_day[ends[died & (x > 0)] - 1]
    dropout[died & (x == 0)] = first_day[died & (x == 0)]              # cannot happen in BG/NBD (x>=1)
    # distinct 'out' days, sorted by customer and day: the first day, then the (increasing) repeat days
    has_first = ~never
    x = np.where(has_first, x, 0)
    cnt = has_first.astype(np.int64) + x
    pos0 = np.cumsum(cnt) - cnt
    d_cust = np.repeat(np.arange(n), cnt)
    d_day = np.empty(int(cnt.sum()), dtype=np.int64)
    d_day[pos0[has_first]] = first_day[has_first]
    d_day[np.repeat(pos0 + 1, x) + (np.arange(len(rep_day)) - np.repeat(np.cumsum(x) - x, x))] = rep_day
    n_days = np.bincount(d_cust, minlength=n)
    last_out = np.full(n, -10 ** 6, dtype=np.int64)
    np.maximum.at(last_out, d_cust, d_day)

    # day totals (Gamma-Gamma) with the holiday multiplier, split into 1+ rows
    d_month = cal.month_index(d_day)
    cal_month = (d_month + cal.first_month) % 12 + 1
    mult = np.where(np.isin(cal_month, HOLIDAY_MONTHS), HOLIDAY_MULTIPLIER, 1.0)
    day_total = rng.gamma(GAMMA_GAMMA["p"], 1.0 / nu_c[d_cust]) * mult
    rows_per_day = 1 + rng.poisson(0.3, len(d_day))
    o_cust = np.repeat(d_cust, rows_per_day)
    o_day = np.repeat(d_day, rows_per_day)
    w = rng.gamma(2.0, 1.0, len(o_day))
    wsum = np.bincount(np.repeat(np.arange(len(d_day)), rows_per_day), weights=w)
    o_amt = np.round(np.repeat(day_total, rows_per_day) * w / np.repeat(wsum, rows_per_day), 2)
    o_amt = np.maximum(o_amt, 0.01)
    o_cat = np.array([_CAT[c] for c in OUT_CATS])[_choice_rows(rng, SEG["out_cat"][seg[o_cust]])]
    o_chan = _choice_rows(rng, SEG["txn_channel"][seg[o_cust]])

    # --- lifecycle plan ----------------------------------------------------------
    stage_plan = np.full(n, STAGES.index("maturity"))
    dormant_stage = (last_out <= as_of - LIFECYCLE["dormant_days"])
    contact_stage = tenure < LIFECYCLE["contact_days"]
    u = rng.random(n)
    stage_plan[u < SEG["growth"][seg]] = STAGES.index("growth")
    stage_plan[(u >= SEG["growth"][seg]) & (u < SEG["growth"][seg] + SEG["decline"][seg])] = STAGES.index("decline")
    stage_plan[dormant_stage] = STAGES.index("dormant")
    stage_plan[contact_stage] = STAGES.index("contact")
    active = np.isin(stage_plan, [STAGES.index(s) for s in ("growth", "maturity", "decline")])

    # --- monthly balances ----------------------------------------------------------
    open_m = np.clip(cal.month_index(open_day), 0, M)            # first month-end with a row
    has_row = np.arange(M)[None, :] >= open_m[:, None]             # (n, M)
    level = SEG["aum"][seg, 0] * np.exp(SEG["aum"][seg, 1] * rng.standard_normal(n))
    outlier = rng.random(n) < 0.002
    level = np.where(outlier, level * rng.uniform(10, 40, n), level)
    path = np.ones((n, M))
    # slow drift before the last 9 months, normalised to 1 at month M-9
    drift = np.cumsum(0.02 * rng.standard_normal((n, M)), axis=1)
    k9 = max(M - 9, 0)
    path *= np.exp(np.where(np.arange(M)[None, :] < k9, drift - drift[:, [k9]], 0.0))
    ramp = np.clip((np.arange(M) - (M - 9) - 4) / 4.0, 0.0, 1.0)[None, :]   # 0 ... 0, .25, .5, .75, 1
    G = np.ones(n)
    G = np.where(stage_plan == STAGES.index("growth"), rng.uniform(1.35, 1.75, n), G)
    G = np.where(stage_plan == STAGES.index("decline"), rng.uniform(0.3, 0.6, n), G)
    G = np.where(stage_plan == STAGES.index("maturity"), rng.uniform(0.94, 1.06, n), G)
    path *= 1.0 + (G[:, None] - 1.0) * ramp
    # dormant stage: balances drain after the last 'out' month (or throughout when never used)
    last_m = np.where(last_out > -10 ** 6, cal.month_index(np.maximum(last_out, cal.start)), -1)
    since = np.maximum(np.arange(M)[None, :] - last_m[:, None], 0)
    path = np.where(dormant_stage[:, None] & ~contact_stage[:, None], path * 0.9 ** since, path)
    path *= np.exp(0.03 * rng.standard_normal((n, M)))
    path *= np.exp(AUM_TREND * (np.arange(M) - (M - 1)))[None, :]       # market-wide growth
    aum_target = level[:, None] * path
    alpha_mix = SEG["mix"][seg] * 8.0 + 1e-3
    shares = rng.gamma(alpha_mix)
    held = np.ones((n, 5), bool)
    held[:, 1:] = rng.random((n, 4)) < SEG["hold"][seg]
    held = _plant_holding_affinities(hrng, held, risk)
    shares = np.where(held, shares, 0.0)
    shares /= shares.sum(axis=1, keepdims=True)
    comp = aum_target[:, :, None] * shares[:, None, :]            # (n, M, 5)
    comp[:, :, 0] += 10.0                                          # demand deposit floor
    comp = np.round(comp, 2)
    # planted targets (own stream trng): fund uptake and asset outflow change the balances from the event month
    if trng is None:
        trng = np.random.default_rng([first, 12])
    tz = _target_drivers(age, true_income, risk, ch, payroll, level, lam, shares, held)
    planted_targets = _plant_fund_and_outflow(trng, comp, has_row, tz, active, held)
    aum = comp.sum(axis=2)
    has_loan = rng.random(n) < SEG["loan"][seg]
    loan0 = np.where(has_loan, np.round(np.exp(np.log(300e3) + 0.8 * rng.standard_normal(n)), -2), 0.0)
    loan = np.maximum(loan0[:, None] * (1 - np.arange(M)[None, :] / 120.0), 0.0)
    has_card = rng.random(n) < SEG["card"][seg]
    card_start = _plant_card_acquisitions(hrng, has_card, loan0 > 0, M)
    card = np.where((card_start[:, None] <= np.arange(M)[None, :]),
                    np.round(np.exp(np.log(4000) + 1.0 * rng.standard_normal((n, M))), 2), 0.0)
    extra = np.minimum(rng.poisson(SEG["extra_products"][seg]), 3)
    n_products = held.sum(axis=1)[:, None] + (loan > 0) + (card > 0) + extra[:, None]
    auto_sweep = rng.random(n) < SEG["auto_sweep"][seg]
    auto_debit = rng.random(n) < SEG["auto_debit"][seg]
    salary = np.where(payroll[:, None], np.round(true_income[:, None] * rng.uniform(0.95, 1.05, (n, M)), 2), np.nan)
    retention = np.where(payroll[:, None], np.round(rng.beta(2.5, 2.5, (n, M)), 4), np.nan)

    # --- primary account planting -------------------------------------------------------
    # Primary customers have > 5 key rows in EVERY month with a balance row (not only in the
    # last 3 months the rule looks at), so monthly volumes have no step at the end.
    last3 = np.arange(M - PRIMARY["months"], M)
    # other incoming rows (transfers in, redemptions) while the customer is active
    active_until = np.where(alive, as_of, np.where(dropout >= 0, dropout, first_day))
    act_m = cal.month_index(np.maximum(active_until, cal.start))
    in_counts = rng.poisson(SEG["in_rate"][seg][:, None], (n, M))
    in_counts = np.where(has_row & (np.arange(M)[None, :] <= act_m[:, None]) & ~never[:, None], in_counts, 0)
    # key (non-salary) rows per customer and month so far
    o_m = cal.month_index(o_day)
    key_counts = np.bincount(o_cust * M + o_m, minlength=n * M).reshape(n, M) + in_counts
    u = rng.random(n)
    plant_primary = active & (u < SEG["primary"][seg])
    near_count = active & ~plant_primary & (u < SEG["primary"][seg] + 0.04)
    near_ret = active & payroll & ~plant_primary & ~near_count & (rng.random(n) < 0.06)
    forced = plant_primary | near_count | near_ret
    which = rng.integers(0, 2, n)
    auto_debit = auto_debit | (forced & (which == 0))
    auto_sweep = auto_sweep | (forced & (which == 1))
    target = np.maximum(key_counts, rng.integers(PRIMARY["min_key_txn"] + 1, 15, (n, M)))
    add = np.where(forced[:, None] & has_row, target - key_counts, 0)
    miss_k = M - PRIMARY["months"] + rng.integers(0, len(last3), n)
    nc = near_count & (key_counts[np.arange(n), miss_k] <= PRIMARY["min_key_txn"])
    add[nc, miss_k[nc]] = PRIMARY["min_key_txn"] - key_counts[nc, miss_k[nc]]
    # payroll retention: moved-out salary in all 3 months (near miss), or in exactly 2 (still primary)
    low = rng.uniform(0.01, 0.19, (n, len(last3)))
    ret_last = retention[:, last3]
    two = plant_primary & payroll & (rng.random(n) < 0.15)
    keep_k = rng.integers(0, len(last3), n)
    ret_last = np.where(near_ret[:, None], low, ret_last)
    two_mask = two[:, None] & (np.arange(len(last3))[None, :] != keep_k[:, None])
    ret_last = np.where(two_mask, low, ret_last)
    ret_last = np.where(two[:, None] & ~two_mask, rng.uniform(0.3, 0.8, (n, len(last3))), ret_last)
    # other payroll customers: a real salary move-out in all 3 months for a few
    moved = payroll & ~forced & (rng.random(n) < 0.05)
    ret_last = np.where(moved[:, None], low, ret_last)
    retention[:, last3] = np.round(ret_last, 4)
    # primary customers must not look like a salary move-out by chance
    fix = plant_primary & payroll & ~two & (ret_last < PRIMARY["retention_floor"]).all(axis=1)
    retention[fix, M - 1] = 0.5
    # the same share of salary move-outs in earlier months: episodes of 3-6 low months placed
    # uniformly on months 0 .. M-4 (the planted last-3-month cases above have no step then)
    pay_rows = payroll[:, None] & has_row
    floor = PRIMARY["retention_floor"]
    with np.errstate(invalid="ignore"):
        low_now = retention < floor
    share = (low_now & pay_rows).sum(axis=0) / np.maximum(pay_rows.sum(axis=0), 1)
    k3 = M - PRIMARY["months"]
    extra = max(float(share[k3:].mean() - share[:k3].mean()), 0.0)
    ep_len = rng.integers(3, 7, n)
    q = min(extra * (k3 + 3.5) / 4.5, 1.0)
    ep_start = -(ep_len - 1) + np.floor(rng.random(n) * (k3 + ep_len - 1)).astype(np.int64)
    mm = np.arange(M)[None, :]
    episode = (payroll & (rng.random(n) < q))[:, None] & (mm >= ep_start[:, None]) & \
        (mm < (ep_start + ep_len)[:, None]) & (mm < k3)
    retention = np.where(episode, np.round(rng.uniform(0.01, 0.19, (n, M)), 4), retention)

    # planted conversions to a primary account (own stream): key rows and an auto-debit from the event month
    conv = _plant_conversion(trng, cal, tz, active & ~forced & ~moved, has_row, key_counts, auto_sweep, auto_debit,
                             n_products, open_day, ch[:, 0])
    planted_targets.update({k: conv[k] for k in ("convert_hazard", "convert_month")})
    auto_debit, auto_debit_m = conv["auto_debit"], conv["auto_debit_m"]
    c_cust, c_day, c_amt, c_chan, c_cat = conv["rows"]

    # --- incoming rows ---------------------------------------------------------------------
    # regular rows, then the primary customers' extra key rows (smaller: standing transfers in)
    cnt_all = np.concatenate([in_counts.ravel(), add.ravel()])
    planted = np.repeat(np.repeat([False, True], n * M), cnt_all)
    i_cust = np.repeat(np.tile(np.repeat(np.arange(n), M), 2), cnt_all)
    i_m = np.repeat(np.tile(np.arange(M), 2 * n), cnt_all)
    i_lo = np.maximum(cal.month_starts[i_m], open_day[i_cust])
    i_hi = np.minimum(cal.month_ends[i_m], as_of)
    i_day = i_lo + np.floor(rng.random(len(i_m)) * (i_hi - i_lo + 1)).astype(np.int64)
    i_med = np.where(planted, 300.0, 800.0) * np.where(seg[i_cust] == 3, np.where(planted, 3, 5), 1)
    i_amt = np.round(i_med * np.exp(np.where(planted, 1.0, 1.2) * rng.standard_normal(len(i_m))), 2)
    i_cat = np.array([_CAT[c] for c in IN_CATS])[_choice_rows(rng, SEG["in_cat"][seg[i_cust]])]
    i_chan = _choice_rows(rng, SEG["txn_channel"][seg[i_cust]])
    # salary rows: payroll customers, every month with a balance row, paid on a fixed day 5-15
    pay_dom = rng.integers(4, 15, n)
    s_mask = payroll[:, None] & has_row
    s_cust, s_m = np.nonzero(s_mask)
    s_day = cal.month_starts[s_m] + pay_dom[s_cust]
    ok = (s_day >= open_day[s_cust]) & (s_day <= as_of)
    salary[s_cust[~ok], s_m[~ok]] = np.nan
    retention[s_cust[~ok], s_m[~ok]] = np.nan
    s_cust, s_m, s_day = s_cust[ok], s_m[ok], s_day[ok]
    s_amt = salary[s_cust, s_m]
    salary = np.where(has_row, salary, np.nan)
    retention = np.where(np.isnan(salary), np.nan, retention)

    # planted event-rule cases (own random stream): large FX purchases and outgoing transfers
    events_truth = _plant_events(prng, cal, ids, aum[:, M - 1],
                                 o_cust, o_day, o_amt, o_cat)
    # planted strategy executions of a past period (own random stream) and their effect on later balances
    strat = _plant_strategies(srng, cal, ids, comp, aum, has_row, open_day, opt_out, payroll, stage_plan,
                              plant_primary, contact_stage)

    # all transactions of the chunk, sorted by customer, date, direction
    t_cust = np.concatenate([o_cust, i_cust, s_cust, c_cust])
    t_day = np.concatenate([o_day, i_day, s_day, c_day])
    t_amt = np.concatenate([o_amt, i_amt, s_amt, c_amt])
    t_dir = np.concatenate([np.ones(len(o_cust), np.int8), np.zeros(len(i_cust) + len(s_cust) + len(c_cust), np.int8)])
    t_chan = np.concatenate([o_chan, i_chan, np.full(len(s_cust), -1), c_chan])
    t_cat = np.concatenate([o_cat, i_cat, np.full(len(s_cust), _CAT["salary"]), c_cat])
    order = np.lexsort((t_dir, t_day, t_cust))
    t_cust, t_day, t_amt, t_dir, t_chan, t_cat = (a[order] for a in (t_cust, t_day, t_amt, t_dir, t_chan, t_cat))
    n_txn = len(t_cust)

    # --- truth by the rules, on the generated values -----------------------------------------
    aum_m = np.where(has_row, aum, np.nan)
    rec = aum_m[:, M - LIFECYCLE["recent_months"]:]
    base = aum_m[:, M - LIFECYCLE["recent_months"] - LIFECYCLE["base_months"]:M - LIFECYCLE["recent_months"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = _nanmean(rec) / _nanmean(base)
    stage = np.full(n, STAGES.index("maturity"))
    stage[ratio <= LIFECYCLE["decline_ratio"]] = STAGES.index("decline")
    stage[ratio >= LIFECYCLE["growth_ratio"]] = STAGES.index("growth")
    stage[last_out <= as_of - LIFECYCLE["dormant_days"]] = STAGES.index("dormant")
    stage[tenure < LIFECYCLE["contact_days"]] = STAGES.index("contact")
    me = np.nonzero(cal.month_ends == int(np.datetime64(MIGRATION_EARLIER, "D").astype(np.int64)))[0]
    if len(me):
        st_e = _stage_at(cal, int(me[0]), aum_m, d_cust, d_day, open_day)
        mig = np.nonzero(st_e >= 0)[0]
        migration_truth = pa.table({"customer_id": ids.take(pa.array(mig)), "stage_earlier": _cat(st_e[mig], STAGES),
                                    "stage_as_of": _cat(stage[mig], STAGES)}, schema=SCHEMAS["migration_truth"])
    else:
        migration_truth = SCHEMAS["migration_truth"].empty_table()
    aum_now = aum_m[:, M - 1]
    hv = aum_now >= QUADRANT["high_value_aum"]
    hp = true_income >= QUADRANT["high_potential_income"]
    quad = np.where(hv, np.where(hp, 0, 1), np.where(hp, 2, 3))
    key = t_cat != _CAT["salary"]
    t_m = cal.month_index(t_day)
    cond1 = np.ones(n, bool)
    for m in last3:
        cond1 &= np.bincount(t_cust[key & (t_m == m)], minlength=n) > PRIMARY["min_key_txn"]
    cond2 = auto_sweep | auto_debit | (n_products[:, M - 1] > PRIMARY["max_products"])
    cond3 = ~(retention[:, last3] < PRIMARY["retention_floor"]).all(axis=1)
    is_primary = cond1 & cond2 & cond3

    # --- campaigns -------------------------------------------------------------------------------
    fund_held = comp[:, :, 3] > 0
    camp_rows, camp_truth, summaries = [], [], []
    for c in CAMPAIGNS:
        cday = int(np.datetime64(c["date"], "D").astype(np.int64))
        mi = int(np.searchsorted(cal.month_ends, cday) - 1)
        eligible = (open_day < cday) & ~opt_out
        _, lin = _campaign_logit(c, seg, age - (as_of - cday) / 365.25, aum_m, mi, true_income,
                                     d_cust, d_day, cday, ch[:, 0], risk, fund_held, n)
        prop = 1.0 / (1.0 + np.exp(-lin))
        noisy = lin + MODEL_NOISE_SD * rng.standard_normal(n)
        control = eligible & (rng.random(n) < c["control_share"])
        model = eligible & ~control & (noisy > c["model_threshold"])
        contacted = control | model
        resp = (rng.random(n) < prop).astype(np.int64)
        idx = np.nonzero(contacted)[0]
        k = len(idx)
        cdate = cday + rng.integers(0, 5, k)
        cchan = _choice_rows(rng, SEG["contact_channel"][seg[idx]])
        grp = np.where(model[idx], 0, 1)
        camp_rows.append(pa.table({
            "campaign_id": pa.array([c["campaign_id"]] * k, pa.string()), "customer_id": ids.take(pa.array(idx)),
            "contact_date": _date(cdate), "channel": _cat(cchan, CONTACT_CHANNELS),
            "group": _cat(grp, ("model", "control")), "response": pa.array(resp[idx], pa.int64()),
            "product": pa.array([c["product"]] * k, pa.string())}, schema=SCHEMAS["campaigns"]))
        camp_truth.append(pa.table({
            "campaign_id": pa.array([c["campaign_id"]] * k, pa.string()), "customer_id": ids.take(pa.array(idx)),
            "group": _cat(grp, ("model", "control")), "true_propensity": pa.array(prop[idx])},
            schema=SCHEMAS["campaign_truth"]))
        summaries.append({"n_model": int(model.sum()), "n_control": int(control.sum()),
                          "sum_prop_model": float(prop[model].sum()), "sum_prop_control": float(prop[control].sum()),
                          "resp_model": int(resp[model].sum()), "resp_control": int(resp[control].sum()),
                          "n_eligible": int(eligible.sum()), "sum_prop_eligible": float(prop[eligible].sum())})
    base_c = CAMPAIGNS[-1]
    _, lin_now = _campaign_logit(base_c, seg, age, aum_m, M - 1, true_income, d_cust, d_day, as_of + 1,
                                 ch[:, 0], risk, fund_held, n)
    base_prop = 1.0 / (1.0 + np.exp(-lin_now))

    holdings, maturities = _holdings_table(hrng, cal, ids, first, open_day, comp[:, M - 1, :], loan[:, M - 1],
                                           card[:, M - 1], card_start)

    # --- Arrow tables -------------------------------------------------------------------------
    customers = pa.table({
        "customer_id": ids, "name": _names(rng, n), "phone": _phones(rng, n),
        "id_number": _id_numbers(rng, city, birth), "birth_date": _date(birth), "gender": _cat(gender, GENDERS),
        "education": _cat(education, EDUCATIONS), "occupation": _cat(occupation, OCCUPATIONS),
        "income_monthly": _num(income), "city": _cat(city, CITIES), "open_date": _date(open_day),
        "risk_appetite": _cat(risk, RISKS), "payroll_flag": pa.array(payroll), "channel_mobile": pa.array(ch[:, 0]),
        "channel_online": pa.array(ch[:, 1]), "channel_phone": pa.array(ch[:, 2]),
        "channel_branch": pa.array(ch[:, 3]), "marketing_opt_out": pa.array(opt_out)},
        schema=SCHEMAS["customers"])
    b_cust, b_m = np.nonzero(has_row)
    balances = pa.table({
        "customer_id": ids.take(pa.array(b_cust)), "month_end": _date(cal.month_ends[b_m]),
        "demand_deposit": comp[b_cust, b_m, 0], "time_deposit": comp[b_cust, b_m, 1],
        "wealth_mgmt": comp[b_cust, b_m, 2], "fund": comp[b_cust, b_m, 3], "insurance": comp[b_cust, b_m, 4],
        "loan": np.round(loan[b_cust, b_m], 2), "credit_card": card[b_cust, b_m], "aum": np.round(aum[b_cust, b_m], 2),
        "n_products": n_products[b_cust, b_m].astype(np.int64), "auto_sweep": pa.array(auto_sweep[b_cust]),
        "auto_debit": pa.array(auto_debit_m[b_cust, b_m]), "payroll_amount": _num(salary[b_cust, b_m]),
        "payroll_retention": _num(retention[b_cust, b_m])}, schema=SCHEMAS["monthly_balances"])
    transactions = pa.table({
        "txn_id": _fixed_strings("T", np.arange(txn_offset + 1, txn_offset + n_txn + 1), 11),
        "customer_id": ids.take(pa.array(t_cust)), "txn_date": _date(t_day), "amount": t_amt,
        "direction": _cat(t_dir, ("in", "out")), "channel": _cat(t_chan, TXN_CHANNELS),
        "category": _cat(t_cat, ALL_CATS)}, schema=SCHEMAS["transactions"])
    truth = pa.table({
        "customer_id": ids, "segment": _cat(seg, SEGMENTS), "lifecycle_stage": _cat(stage, STAGES),
        "quadrant": _cat(quad, QUADRANTS), "is_primary_account": pa.array(is_primary),
        "true_income": true_income, "btyd_lambda": _num(lam), "btyd_p": _num(p_drop), "gg_nu": _num(nu),
        "first_txn_date": _date_nullable(first_day, ~never), "dropout_date": _date_nullable(dropout, dropout >= 0),
        "alive_at_as_of": pa.array(alive), "n_txn_days": n_days.astype(np.int64), "base_propensity": base_prop},
        schema=SCHEMAS["customers_truth"])
    return {"targets_truth": _targets_truth(ids, cal, planted_targets),
            "customers": customers, "monthly_balances": balances, "transactions": transactions,
            "campaigns": pa.concat_tables(camp_rows + [strat["campaigns"]]), "customers_truth": truth,
            "campaign_truth": pa.concat_tables(camp_truth), "events_truth": events_truth, "summaries": summaries,
            "strategy_truth": strat["strategy_truth"], "strategy_summaries": strat["summaries"],
            "migration_truth": migration_truth, "holdings": holdings, "maturities_truth": maturities}


def _strategy_truth(totals: list[dict]) -> list[dict]:
    out = []
    for ex, tot in zip(STRATEGY_EXECUTIONS, totals):
        nt = max(tot.get("n_treated", 0), 1)
        uplift = tot.get("sum_uplift_treated", 0.0) / nt
        out.append({**{k: v for k, v in ex.items()}, **STRATEGY_PERIOD, **tot,
                    "planted_uplift_treated": uplift, "planted_uplift_subgroup": ex["uplift"],
                    "incremental_responders": uplift * tot.get("n_treated", 0),
                    "incremental_aum_per_treated": uplift * ex["aum_add"]})
    return out


def _plant_holding_affinities(hrng: np.random.Generator, held: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """Risk appetite and the co-holding affinity on the AUM products held (columns of ``held``:
    demand, time, wealth, fund, insurance). Conservative customers drop funds / wealth products
    with the planted probabilities; wealth holders take insurance with ``extra_prob``. AUM is
    unchanged (the shares are renormalised over the products held)."""
    P = PRODUCTS
    n = len(held)
    held = held.copy()
    cons = risk == RISKS.index("conservative")
    u = hrng.random((n, 3))
    held[:, 3] &= ~(cons & (u[:, 0] < P["conservative_drop"]["fund"]))
    held[:, 2] &= ~(cons & (u[:, 1] < P["conservative_drop"]["wealth_mgmt"]))
    held[:, 4] |= held[:, 2] & (u[:, 2] < P["coholding"]["extra_prob"])
    return held


def _plant_card_acquisitions(hrng: np.random.Generator, has_card: np.ndarray, has_loan: np.ndarray,
                             M: int) -> np.ndarray:
    """First month index with a credit-card balance: 0 for cards held throughout, a month of the last
    ``months`` (12) for cards acquired (loan holders with ``prob``, others with ``background_prob``),
    ``M`` (never) for customers without a card. Updates ``has_card`` in place."""
    A = PRODUCTS["acquisition"]
    n = len(has_card)
    u = hrng.random(n)
    k = M - A["months"] + 1 + hrng.integers(0, A["months"] - 1, n)     # months M-11 .. M-1
    acquire = ~has_card & (u < np.where(has_loan, A["prob"], A["background_prob"]))
    start = np.where(has_card, 0, np.where(acquire, k, M))
    has_card |= acquire
    return start


def _holdings_table(hrng: np.random.Generator, cal: _Calendar, ids: pa.Array, first: int, open_day: np.ndarray,
                    bal_last: np.ndarray, loan_last: np.ndarray, card_last: np.ndarray,
                    card_start: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """The ``holdings`` table: one row per product held at the last month-end (amount = that balance),
    plus time-deposit and wealth contracts that matured in the last ``matured_days`` days (their record
    is kept, amount = principal). Time deposits and wealth products carry a maturity date, cards an
    expiry date, loans their maturity. Returns (holdings, maturities truth)."""
    P = PRODUCTS
    n = len(open_day)
    as_of = cal.as_of
    cols = {k: [] for k in ("cust", "prod", "amt", "open", "mat", "seq")}

    def add(cust, prod, amt, open_d, mat, seq):
        for key, v in (("cust", cust), ("prod", np.full(len(cust), prod)), ("amt", amt), ("open", open_d),
                       ("mat", mat), ("seq", np.full(len(cust), seq))):
            cols[key].append(np.asarray(v))

    m_days = 365.25 / 12
    bal = np.column_stack([bal_last, loan_last, card_last])
    # demand deposits, funds, insurance: no maturity
    for j, prod in ((0, 0), (3, 3), (4, 4)):
        c = np.flatnonzero(bal[:, j] > 0)
        opened = open_day[c] if j == 0 else open_day[c] + np.floor(hrng.random(len(c)) * (as_of - open_day[c] + 1))
        add(c, prod, bal[c, j], opened.astype(np.int64), np.full(len(c), -1), prod)
    # time deposits and wealth products: the current contract and, for some, one that matured recently
    for j, terms in ((1, P["td_terms_months"]), (2, P["wm_terms_months"])):
        name = HOLDING_PRODUCTS[j]
        c = np.flatnonzero(bal[:, j] > 0)
        term = np.round(np.asarray(terms)[hrng.integers(0, len(terms), len(c))] * m_days).astype(np.int64)
        mat = as_of + 1 + np.floor(hrng.random(len(c)) * term).astype(np.int64)
        add(c, j, bal[c, j], np.maximum(mat - term, open_day[c]), mat, j)
        old = c[hrng.random(len(c)) < P["matured_share"][name]]
        term = np.round(np.asarray(terms)[hrng.integers(0, len(terms), len(old))] * m_days).astype(np.int64)
        mat = as_of - np.floor(hrng.random(len(old)) * P["matured_days"]).astype(np.int64)
        amt = np.round(bal[old, j] * hrng.uniform(0.5, 1.2, len(old)), 2)
        if j == 1:   # planted near misses just under the 100,000 threshold and exact hits on it
            u = hrng.random(len(old))
            amt = np.where(u < P["td_near_share"], np.round(hrng.uniform(0.95, 0.99999, len(old)) * P["td_large"], 2),
                           amt)
            amt = np.where((u >= P["td_near_share"]) & (u < P["td_near_share"] + P["td_edge_share"]),
                           P["td_large"], amt)
        add(old, j, amt, np.maximum(mat - term, open_day[old]), mat, 10 + j)
    # loans: 10-year loans opened before the window; cards: 5-year cards, expiry spread around as_of
    c = np.flatnonzero(bal[:, 5] > 0)
    opened = np.minimum(cal.start - np.floor(hrng.random(len(c)) * 3 * 365).astype(np.int64), as_of)
    add(c, 5, bal[c, 5], opened, opened + 3652, 5)
    c = np.flatnonzero(bal[:, 6] > 0)
    lo, hi = P["card_expiry_days"]
    expiry = as_of + lo + np.floor(hrng.random(len(c)) * (hi - lo)).astype(np.int64)
    acquired = card_start[c] > 0
    start_day = cal.month_starts[np.minimum(card_start[c], len(cal.month_starts) - 1)]
    opened = np.where(acquired, start_day + np.floor(hrng.random(len(c)) * 28).astype(np.int64),
                      np.maximum(expiry - 5 * 365, open_day[c]))
    expiry = np.where(acquired, opened + 5 * 365, expiry)
    add(c, 6, bal[c, 6], np.minimum(opened, as_of), expiry, 6)

    h = {k: np.concatenate(v) if v else np.zeros(0) for k, v in cols.items()}
    order = np.lexsort((h["seq"], h["cust"]))
    h = {k: v[order] for k, v in h.items()}
    prod = np.asarray(HOLDING_PRODUCTS)[h["prod"].astype(np.int64)]
    has_mat = h["mat"] >= 0
    holdings = pa.table({
        "holding_id": _fixed_strings("H", (first + h["cust"] + 1) * 100 + h["seq"], 10),
        "customer_id": ids.take(pa.array(h["cust"])), "product": pa.array(prod, pa.string()),
        "amount": np.round(h["amt"].astype(np.float64), 2), "open_date": _date(h["open"]),
        "maturity_date": _date_nullable(np.where(has_mat, h["mat"], 0), has_mat)}, schema=SCHEMAS["holdings"])
    ev = np.isin(h["prod"], [1, 2, 6])
    event = np.select([h["prod"] == 1, h["prod"] == 2], ["time_deposit_maturity", "wealth_maturity"], "card_expiry")
    trig = np.where(h["prod"] == 1, h["amt"] >= P["td_large"], True)
    maturities = pa.table({
        "customer_id": ids.take(pa.array(h["cust"][ev])), "product": pa.array(prod[ev], pa.string()),
        "maturity_date": _date(h["mat"][ev]), "amount": np.round(h["amt"][ev].astype(np.float64), 2),
        "event": pa.array(event[ev], pa.string()), "should_trigger": pa.array(trig[ev])},
        schema=SCHEMAS["maturities_truth"])
    return holdings, maturities


def _nanmean(a: np.ndarray) -> np.ndarray:
    cnt = (~np.isnan(a)).sum(axis=1)
    s = np.nansum(a, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)


def _campaign_logit(c, seg, age, aum_m, mi, income, d_cust, d_day, cday, mobile, risk, fund_held, n):
    """Linear predictor of the true response propensity, from attributes as of the contact date."""
    aum_at = np.nan_to_num(aum_m[:, mi], nan=0.0) if mi >= 0 else np.zeros(n)
    act = np.bincount(d_cust[(d_day < cday) & (d_day >= cday - 90)], minlength=n)
    fund = fund_held[:, mi] & ~np.isnan(aum_m[:, mi]) if mi >= 0 else np.zeros(n, bool)
    z = np.stack([
        (age - _Z["age"][0]) / _Z["age"][1],
        (np.log10(aum_at + 1.0) - _Z["aum"][0]) / _Z["aum"][1],
        (np.log10(np.maximum(income, 100.0)) - _Z["income"][0]) / _Z["income"][1],
        (np.log1p(act) - _Z["activity"][0]) / _Z["activity"][1],
        mobile.astype(float), (risk == 1).astype(float), (risk == 2).astype(float), fund.astype(float)], axis=1)
    lin = c["intercept"] + z @ np.asarray(c["coef"]) + np.asarray(c["segment"])[seg]
    return z, lin


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def generator_version() -> str:
    """Short hash of this module's source: caches of generated banks are keyed by it."""
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]


def cached_demo(cache_dir, n_customers: int, seed: int, progress: bool = False) -> Path:
    """A demo bank in ``cache_dir``, generated once per (size, seed, generator version), then reused.

    The folder name carries :func:`generator_version`, so a changed generator never reuses a
    stale bank; older versions of the same size and seed are removed. The bank is generated
    into a temporary folder and renamed, so concurrent callers (pytest-xdist workers) never see
    a half-written one.
    """
    import shutil
    import tempfile

    cache = Path(cache_dir)
    final = cache / f"demo_{n_customers}_{seed}_{generator_version()}"
    if (final / ".complete").exists():
        return final
    cache.mkdir(parents=True, exist_ok=True)
    for old in [cache / f"demo_{n_customers}_{seed}", *cache.glob(f"demo_{n_customers}_{seed}_*")]:
        if old != final and old.exists():
            shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp_demo_{n_customers}_{seed}_", dir=cache))
    generate_demo(tmp, n_customers=n_customers, seed=seed, progress=progress)
    (tmp / ".complete").write_text("ok")
    try:
        os.rename(tmp, final)
    except OSError:  # another caller won the race
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def generate_demo(out_dir, n_customers: int = 20_000, seed: int = 42, as_of: str = "2026-10-31",
                  months: int = 24, chunk_size: int = 50_000, progress: bool = True) -> dict:
    """Generate the demo bank into ``out_dir`` and return a summary.

    Parameters
    ----------
    out_dir : path
        Folder to write (created; existing demo files in it are replaced).
    n_customers : int
        Number of customers (>= 100).
    seed : int
        Seed of the whole bank; same ``n_customers``, ``seed`` and ``chunk_size`` give identical tables.
    as_of : str
        As-of date ``YYYY-MM-DD``; no row is dated after it.
    months : int
        Number of month-ends in ``monthly_balances`` (>= 12), ending at the last month-end <= ``as_of``.
    chunk_size : int
        Customers generated per chunk (memory scales with it).
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    dict
        ``rows`` per table, ``seconds``, ``out_dir``, ``n_customers``, ``seed``.
    """
    require_int("n_customers", n_customers, 100)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParamsError(f"seed must be a non-negative integer; got {seed!r}")
    require_int("months", months, 12)
    require_int("chunk_size", chunk_size, 100)
    cal = _calendar(as_of, int(months))
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    files = {"customers": out / "customers.parquet", "monthly_balances": out / "monthly_balances.parquet",
             "transactions": out / "transactions.parquet", "campaigns": out / "campaigns.parquet",
             "customers_truth": out / "truth" / "customers_truth.parquet",
             "campaign_truth": out / "truth" / "campaign_truth.parquet",
             "events_truth": out / "truth" / "events_truth.parquet",
             "strategy_truth": out / "truth" / "strategy_truth.parquet",
             "migration_truth": out / "truth" / "migration_truth.parquet",
             "holdings": out / "holdings.parquet",
             "maturities_truth": out / "truth" / "maturities_truth.parquet",
             "targets_truth": out / "truth" / "targets_truth.parquet"}
    writers = {k: pq.ParquetWriter(str(f) + ".part", SCHEMAS[k], compression="zstd", compression_level=1)
               for k, f in files.items()}
    rows = {k: 0 for k in files}
    totals: list[dict] = [dict() for _ in CAMPAIGNS]
    strat_totals: list[dict] = [dict() for _ in STRATEGY_EXECUTIONS]
    starts = list(range(0, int(n_customers), int(chunk_size)))
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=int(n_customers), desc="demo bank", unit="customer", file=sys.stderr)
    try:
        for ci, first in enumerate(starts):
            rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(ci,)))
            size = min(int(chunk_size), int(n_customers) - first)
            prng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(ci, 1)))
            srng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(ci, 15)))
            hrng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(ci, 14)))
            trng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(ci, 12)))
            res = _chunk(rng, first, size, cal, rows["transactions"], prng, srng, hrng, trng)
            for k in files:
                writers[k].write_table(res[k], row_group_size=1_000_000)
                rows[k] += res[k].num_rows
            for tot, s in zip(totals, res["summaries"]):
                for key, v in s.items():
                    tot[key] = tot.get(key, 0) + v
            for tot, s in zip(strat_totals, res["strategy_summaries"]):
                for key, v in s.items():
                    tot[key] = tot.get(key, 0) + v
            del res
            if bar is not None:
                bar.update(size)
    finally:
        for w in writers.values():
            w.close()
        if bar is not None:
            bar.close()
    for k, f in files.items():
        os.replace(str(f) + ".part", f)
    campaigns = []
    for c, tot in zip(CAMPAIGNS, totals):
        nm, nc = max(tot["n_model"], 1), max(tot["n_control"], 1)
        campaigns.append({
            "campaign_id": c["campaign_id"], "campaign_date": c["date"], "product": c["product"],
            "intercept": c["intercept"], "coefficients": dict(zip(
                ["z_age", "z_log10_aum", "z_log10_income", "z_log1p_out_days_90d", "channel_mobile",
                 "risk_balanced", "risk_aggressive", "holds_fund"], c["coef"])),
            "segment_effects": dict(zip(SEGMENTS, c["segment"])),
            "n_model": tot["n_model"], "n_control": tot["n_control"], "n_eligible": tot["n_eligible"],
            "expected_rate_model": tot["sum_prop_model"] / nm, "expected_rate_control": tot["sum_prop_control"] / nc,
            "expected_rate_eligible": tot["sum_prop_eligible"] / max(tot["n_eligible"], 1),
            "observed_rate_model": tot["resp_model"] / nm, "observed_rate_control": tot["resp_control"] / nc,
            "planted_uplift": tot["sum_prop_model"] / nm - tot["sum_prop_control"] / nc})
    truth = {
        "seed": int(seed), "n_customers": int(n_customers), "as_of": str(np.datetime64(cal.as_of, "D")),
        "months": int(months), "chunk_size": int(chunk_size),
        "window_start": str(np.datetime64(cal.start, "D")),
        "bgnbd": {**BTYD, "time_unit": "day",
                  "counts": "distinct calendar days with at least one direction='out' row; frequency = those days "
                            "minus one, recency = last day - first day, T = as_of - first day (days); the first "
                            "day is open_date for customers opened inside the window, else the first event of "
                            "the customer's Poisson process after window_start"},
        "gamma_gamma": {**GAMMA_GAMMA, "unit": "CNY per transaction day (sum of the day's 'out' rows, before the "
                                               "holiday multiplier)"},
        "holiday_months": list(HOLIDAY_MONTHS), "holiday_multiplier": HOLIDAY_MULTIPLIER,
        "segments": list(SEGMENTS), "segment_shares": dict(zip(SEGMENTS, SEG_SHARE.tolist())),
        "lifecycle": LIFECYCLE, "quadrant": QUADRANT, "primary_account": PRIMARY,
        "events": {k: (list(v) if isinstance(v, tuple) else v) for k, v in EVENTS.items()},
        "campaign_model_noise_sd": MODEL_NOISE_SD, "campaign_standardisation": _Z,
        "campaigns": campaigns,
        "strategy_executions": _strategy_truth(strat_totals),
        "lifecycle_migration": {
            "earlier_month_end": MIGRATION_EARLIER, "as_of": str(np.datetime64(cal.as_of, "D")),
            "file": "truth/migration_truth.parquet",
            "how": "stage by the lifecycle rules (thresholds in 'lifecycle') on the generated values at both dates; "
                   "customers planned as growth or decline at as_of ramp their AUM only in the last 5 months, so "
                   "most of them were in maturity at the earlier date"},
        "products": {k: (list(v) if isinstance(v, tuple) else v) for k, v in PRODUCTS.items()},
        "targets": {"window_months": TARGETS["window_months"],
                    **{k: TARGETS[k] for k in ("convert", "outflow", "fund")},
                    "outflow_keep": list(TARGETS["outflow_keep"]), "fund_share": list(TARGETS["fund_share"]),
                    "note": "monthly hazards over the last window_months month-ends; P(event within h months | "
                            "eligible) = 1 - (1 - hazard)^h; truth/targets_truth.parquet"},
    }
    (out / "truth" / "truth.json").write_text(json.dumps(truth, indent=2))
    seconds = round(time.perf_counter() - t0, 3)
    return {"out_dir": str(out), "n_customers": int(n_customers), "seed": int(seed),
            "rows": {k: rows[k] for k in ("customers", "monthly_balances", "transactions", "campaigns", "holdings")},
            "seconds": seconds}
