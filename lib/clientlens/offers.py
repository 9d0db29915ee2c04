"""Suitable offers: product catalogue, suitability (适当性管理), next best product, list economics.

* :class:`Catalogue` holds the products (keyed by the contract's product names,
  :data:`clientlens.schema.PRODUCT_BALANCE_COLUMNS`) with their risk level R1-R5 (deposits, loans
  and plain cards are not rated), eligibility rules (age, AUM, income) and the value of a response,
  and the mapping from the customer's risk appetite to the highest level allowed
  (conservative -> R1, balanced -> R3, aggressive -> R5 by default; ``../shared/domain.md``,
  "Suitability"). :meth:`Catalogue.suitable` and :func:`suitability_filter` leave out every
  customer-product pair above the customer's level, and count them.
* :func:`association_rules` (co-holding at a date) and :func:`acquisition_rules` (which product
  comes next, between two month-ends) give support, confidence and lift for every ordered pair of
  products, in NumPy (a dozen products, so the pair counts are one small matrix product).
* :func:`next_best_product`: for each customer the product not held, suitable and eligible with the
  highest confidence x value.
* :func:`size_list`: the list size that maximises expected profit (response probability x value of
  a response - contact cost of the channel) under per-channel daily capacities, with the gains table
  by cut-off; :func:`holdout_control` keeps a random control group back from the list.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import DataError, ParamsError
from .data import quote_ident as _q
from .i18n import t, value
from .params import require_int, to_date
from .schema import PRODUCT_BALANCE_COLUMNS

__all__ = ["Catalogue", "DEFAULT_PRODUCTS", "DEFAULT_SUITABILITY", "holdings_matrix", "association_rules",
           "acquisition_rules", "next_best_product", "suitability_filter", "size_list", "holdout_control",
           "customer_profile", "coholding_matrix", "offer_filter", "campaign_product"]

RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
APPETITES = ("conservative", "balanced", "aggressive")
ELIGIBILITY_KEYS = {"min_age": "age", "max_age": "age", "min_aum": "aum", "min_income": "income_monthly"}

#: Default catalogue (orders of magnitude; a bank sets its own in params ``common.products``).
DEFAULT_PRODUCTS = {
    "demand_deposit": {"risk": None, "response_value": 100.0, "eligibility": {}},
    "time_deposit": {"risk": None, "response_value": 300.0, "eligibility": {}},
    "wealth_mgmt": {"risk": "R2", "response_value": 500.0, "eligibility": {"min_age": 18}},
    "fund": {"risk": "R3", "response_value": 400.0, "eligibility": {"min_age": 18}},
    "insurance": {"risk": "R2", "response_value": 600.0, "eligibility": {"min_age": 18, "max_age": 70}},
    "loan": {"risk": None, "response_value": 2000.0,
             "eligibility": {"min_age": 22, "max_age": 60, "min_income": 5000}},
    "credit_card": {"risk": None, "response_value": 150.0, "eligibility": {"min_age": 18, "min_income": 3000}},
}
DEFAULT_SUITABILITY = {"max_level": {"conservative": "R1", "balanced": "R3", "aggressive": "R5"},
                       "unknown_appetite": None}


def _level(name: str, v) -> int:
    """R1..R5 -> 1..5; None / "" -> 0 (not risk-rated)."""
    if v is None or v == "":
        return 0
    if isinstance(v, str) and v.upper() in RISK_LEVELS:
        return RISK_LEVELS.index(v.upper()) + 1
    raise ParamsError(f"{name} must be one of {list(RISK_LEVELS)} or empty (not rated); got {v!r}")


@dataclass
class Catalogue:
    """Products with risk level, eligibility and value of a response; appetite -> highest level allowed.

    Parameters
    ----------
    products : dict
        ``{product: {"risk": "R1".."R5" or None, "response_value": CNY, "eligibility": {...}}}``,
        products named as the contract's balance columns; eligibility keys ``min_age``, ``max_age``,
        ``min_aum``, ``min_income``.
    suitability : dict
        ``{"max_level": {appetite: "R1".."R5"}, "unknown_appetite": level or None}``: a customer
        without an assessed appetite may only be offered what ``unknown_appetite`` allows (None: only
        products that are not rated).
    """

    products: dict = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_PRODUCTS.items()})
    suitability: dict = field(default_factory=lambda: dict(DEFAULT_SUITABILITY))

    @classmethod
    def from_params(cls, products: dict | None = None, suitability: dict | None = None) -> "Catalogue":
        """A validated catalogue; empty or None arguments give the defaults."""
        cat = cls(products={k: dict(v) for k, v in (products or DEFAULT_PRODUCTS).items()},
                  suitability={**DEFAULT_SUITABILITY, **(suitability or {})})
        cat.validate()
        return cat

    def validate(self) -> None:
        unknown = sorted(set(self.products) - set(PRODUCT_BALANCE_COLUMNS))
        if unknown or not self.products:
            raise ParamsError(f"products: unknown product(s) {unknown}; products are named as the contract's "
                              f"balance columns {list(PRODUCT_BALANCE_COLUMNS)}")
        for p, spec in self.products.items():
            if not isinstance(spec, dict):
                raise ParamsError(f"products.{p} must be a mapping with risk, response_value, eligibility; got {spec!r}")
            bad = sorted(set(spec) - {"risk", "response_value", "eligibility"})
            if bad:
                raise ParamsError(f"products.{p}: unknown key(s) {bad}; valid: risk, response_value, eligibility")
            _level(f"products.{p}.risk", spec.get("risk"))
            v = spec.get("response_value", 0.0)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ParamsError(f"products.{p}.response_value must be a number >= 0; got {v!r}")
            el = spec.get("eligibility") or {}
            bad = sorted(set(el) - set(ELIGIBILITY_KEYS))
            if bad:
                raise ParamsError(f"products.{p}.eligibility: unknown rule(s) {bad}; valid: {list(ELIGIBILITY_KEYS)}")
        ml = self.suitability.get("max_level")
        if not isinstance(ml, dict) or set(ml) != set(APPETITES):
            raise ParamsError(f"suitability.max_level must map every appetite {list(APPETITES)} to a level R1-R5; "
                              f"got {ml!r}")
        for a, lv in ml.items():
            if _level(f"suitability.max_level.{a}", lv) == 0:
                raise ParamsError(f"suitability.max_level.{a} must be one of {list(RISK_LEVELS)}; got {lv!r}")
        _level("suitability.unknown_appetite", self.suitability.get("unknown_appetite"))
        bad = sorted(set(self.suitability) - {"max_level", "unknown_appetite"})
        if bad:
            raise ParamsError(f"suitability: unknown key(s) {bad}; valid: max_level, unknown_appetite")

    # -- levels ---------------------------------------------------------------------------------
    def risk_level(self, product: str) -> int:
        """0 (not rated) or 1..5; a product outside the catalogue raises :class:`ParamsError`."""
        if product not in self.products:
            raise ParamsError(f"product {product!r} is not in the catalogue ({', '.join(self.products)})")
        return _level(product, self.products[product].get("risk"))

    def allowed_level(self, appetite) -> np.ndarray:
        """Highest risk level allowed per customer (0: only products that are not rated)."""
        ml = {a: _level(a, v) for a, v in self.suitability["max_level"].items()}
        unknown = _level("unknown_appetite", self.suitability.get("unknown_appetite"))
        a = pd.Series(appetite, dtype="object")
        return a.map(ml).fillna(unknown).to_numpy(dtype=np.int64)

    def response_value(self, product: str) -> float:
        return float(self.products[product].get("response_value", 0.0))

    def suitable(self, appetite, product) -> np.ndarray:
        """True where the product's level is at or below the customer's allowed level.

        ``product`` is one name or one per customer; an empty product (no offer) is always suitable.
        """
        allowed = self.allowed_level(appetite)
        prods = np.broadcast_to(np.asarray(product, dtype=object), allowed.shape)
        codes, names = pd.factorize(prods, use_na_sentinel=True)        # each product's level looked up once
        by_name = np.array([0 if p == "" else self.risk_level(p) for p in names] + [0], dtype=np.int64)
        return by_name[codes] <= allowed                                # code -1 (None / NaN): the last, 0

    def eligible(self, profile: pd.DataFrame, product: str) -> np.ndarray:
        """True where the customer meets the product's eligibility rules (missing values fail a rule)."""
        el = self.products[product].get("eligibility") or {}
        ok = np.ones(len(profile), dtype=bool)
        for rule, v in el.items():
            col = ELIGIBILITY_KEYS[rule]
            if col not in profile.columns:
                raise DataError(f"eligibility rule {product}.{rule} needs column {col!r}")
            x = pd.to_numeric(profile[col], errors="coerce").to_numpy(float)
            with np.errstate(invalid="ignore"):
                ok &= (x >= v) if rule.startswith("min_") else (x <= v)
        return ok

    def table(self) -> pd.DataFrame:
        """The catalogue as a table for reports."""
        rows = []
        for p, spec in self.products.items():
            lv = self.risk_level(p)
            allowed = [a for a in APPETITES if _level(a, self.suitability["max_level"][a]) >= lv]
            rows.append({"product": p, "risk level": f"R{lv}" if lv else t("not rated"),
                         "who may be offered it": ", ".join(value(a) for a in allowed) + (t(" and unassessed") if lv <= _level(
                             "u", self.suitability.get("unknown_appetite")) else ""),
                         "eligibility": ", ".join(f"{t(k)} {v:,g}" for k, v in (spec.get("eligibility") or {}).items()),
                         "value of a response": float(spec.get("response_value", 0.0))})
        return pd.DataFrame(rows)


def suitability_filter(pairs: pd.DataFrame, catalogue: Catalogue, *, appetite_col: str = "risk_appetite",
                       product_col: str = "product") -> tuple[pd.DataFrame, dict]:
    """Leave out customer-product pairs above the customer's allowed level.

    Returns ``(kept, counts)``: ``counts`` has ``pairs``, ``unsuitable`` (removed) and ``kept``, and
    ``unsuitable_by_product``.
    """
    for c in (appetite_col, product_col):
        if c not in pairs.columns:
            raise DataError(f"suitability: column {c!r} is missing")
    ok = catalogue.suitable(pairs[appetite_col].to_numpy(dtype=object), pairs[product_col].to_numpy(dtype=object))
    counts = {"pairs": int(len(pairs)), "unsuitable": int((~ok).sum()), "kept": int(ok.sum()),
              "unsuitable_by_product": pairs.loc[~ok, product_col].astype(str).value_counts().to_dict()}
    return pairs[ok], counts


def offer_filter(base: pd.DataFrame, product: str, catalogue: Catalogue) -> tuple[np.ndarray, dict]:
    """Who may be offered ``product``: suitable (risk level) and eligible. Returns (mask, counts).

    ``base`` needs ``risk_appetite`` and the columns of the product's eligibility rules (the wide
    table has them); ``counts`` has ``unsuitable`` and ``ineligible`` (among the suitable).
    """
    if "risk_appetite" not in base.columns:
        raise DataError("base: column 'risk_appetite' is missing; suitability needs each customer's risk appetite")
    suit = catalogue.suitable(base["risk_appetite"].to_numpy(dtype=object), product)
    elig = catalogue.eligible(base, product)
    return suit & elig, {"unsuitable": int((~suit).sum()), "ineligible": int((suit & ~elig).sum())}


def campaign_product(bank, campaigns, product: str = "") -> str:
    """The product a list offers: ``product`` when given, else the product of the most recent of
    ``campaigns`` (``campaigns.product``; the model is scored for the latest offer); stops when no
    campaign names its product."""
    if product:
        return product
    if not bank.has("campaigns") or "product" not in bank.columns.get("campaigns", []):
        raise DataError("campaigns: column 'product' is missing; set list_product to the product the list offers")
    got = bank.con.execute("SELECT product, max(contact_date) AS last FROM campaigns WHERE list_contains($c, campaign_id) "
                           "AND product IS NOT NULL GROUP BY product ORDER BY last DESC, product",
                           {"c": list(campaigns)}).df()
    if got.empty:
        raise DataError(f"campaigns {list(campaigns)} name no product; set list_product to the product the list offers")
    return str(got["product"].iloc[0])


# ---------------------------------------------------------------------------------------- holdings
def customer_profile(bank, as_of) -> pd.DataFrame:
    """Age, monthly income, risk appetite and AUM (last month-end) per customer, for eligibility."""
    as_of = to_date("as_of", as_of)
    ccols = set(bank.columns.get("customers", []))
    inc = "income_monthly" if "income_monthly" in ccols else "NULL"
    risk = "risk_appetite" if "risk_appetite" in ccols else "NULL"
    prof = bank.con.execute(
        f"SELECT customer_id, datediff('year', birth_date, $as_of) - CASE WHEN strftime(birth_date, '%m%d') > "
        f"strftime($as_of, '%m%d') THEN 1 ELSE 0 END AS age, CAST({inc} AS DOUBLE) AS income_monthly, "
        f"CAST({risk} AS VARCHAR) AS risk_appetite FROM customers ORDER BY customer_id", {"as_of": as_of}).df()
    prof = prof.set_index("customer_id")
    if bank.has("monthly_balances"):
        aum = bank.con.execute(
            "SELECT customer_id, arg_max(aum, month_end) AS aum FROM monthly_balances WHERE month_end <= $as_of "
            "GROUP BY customer_id", {"as_of": as_of}).df().set_index("customer_id")["aum"]
        prof["aum"] = aum.reindex(prof.index).to_numpy()
    else:
        prof["aum"] = np.nan
    return prof


def holdings_matrix(bank, month_end, products=PRODUCT_BALANCE_COLUMNS) -> pd.DataFrame:
    """Which products each customer holds (balance > 0) at the last month-end on or before ``month_end``.

    Returns a boolean DataFrame, index ``customer_id``, one column per product present in
    ``monthly_balances``; ``attrs["month_end"]`` is the month-end used.
    """
    if not bank.has("monthly_balances"):
        raise DataError("holdings: the monthly_balances table is needed")
    d = to_date("month_end", month_end)
    have = [p for p in products if p in bank.columns.get("monthly_balances", [])]
    m = bank.con.execute("SELECT max(month_end) FROM monthly_balances WHERE month_end <= $d", {"d": d}).fetchone()[0]
    if m is None:
        raise DataError(f"monthly_balances: no month-end on or before {d}")
    cols = ", ".join(f"coalesce({_q(p)}, 0) > 0 AS {_q(p)}" for p in have)
    df = bank.con.execute(f"SELECT customer_id, {cols} FROM monthly_balances WHERE month_end = $m "
                          f"ORDER BY customer_id", {"m": m}).df().set_index("customer_id")
    df.attrs["month_end"] = m
    return df.astype(bool)


def _rule_frame(names, n_a, n_ab, n_total, base_rate) -> pd.DataFrame:
    P = len(names)
    a_idx, b_idx = np.meshgrid(np.arange(P), np.arange(P), indexing="ij")
    off = a_idx != b_idx
    a_idx, b_idx = a_idx[off], b_idx[off]
    n_a_v = n_a[a_idx].astype(float)
    n_ab_v = n_ab[a_idx, b_idx].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.where(n_a_v > 0, n_ab_v / n_a_v, np.nan)
        lift = conf / base_rate[b_idx]
    names = np.asarray(names, dtype=object)
    out = pd.DataFrame({"antecedent": names[a_idx], "consequent": names[b_idx], "n_antecedent": n_a_v.astype(np.int64),
                        "n_both": n_ab_v.astype(np.int64), "support": n_ab_v / n_total if n_total else np.nan,
                        "confidence": conf, "lift": lift})
    return out.sort_values(["lift", "support"], ascending=False, kind="stable", ignore_index=True)


def association_rules(basket: pd.DataFrame, min_support: float = 0.0) -> pd.DataFrame:
    """Co-holding rules ``A -> B`` for every ordered pair of products.

    support = share of customers holding both; confidence = P(B | A); lift = confidence / P(B).

    Parameters
    ----------
    basket : DataFrame of bool
        One row per customer, one column per product (:func:`holdings_matrix`).
    min_support : float
        Rules with lower support are dropped.
    """
    X = np.asarray(basket.to_numpy(), dtype=bool)
    n = len(X)
    if n == 0:
        raise DataError("association_rules: the basket is empty")
    Xf = X.astype(np.float64)
    both = Xf.T @ Xf                     # exact: integer counts below 2^53
    n_a = np.diag(both)
    rules = _rule_frame(list(basket.columns), n_a, both, n, n_a / n)
    return rules[rules["support"] >= min_support].reset_index(drop=True)


def coholding_matrix(basket: pd.DataFrame) -> pd.DataFrame:
    """P(column product | row product): the share of the row product's holders who also hold the column one."""
    X = np.asarray(basket.to_numpy(), dtype=np.float64)
    both = X.T @ X
    with np.errstate(invalid="ignore", divide="ignore"):
        m = both / np.diag(both)[:, None]
    return pd.DataFrame(m, index=basket.columns, columns=basket.columns)


def acquisition_rules(before: pd.DataFrame, after: pd.DataFrame, min_support: float = 0.0) -> pd.DataFrame:
    """Acquisition rules ``A -> B``: among customers holding A and not B at the first month-end,
    the share holding B at the second.

    Customers present in both snapshots only. support = acquirers of B holding A / customers;
    confidence = acquirers of B among A-holders without B; lift = confidence / acquisition rate of B
    among all customers without B at the start.
    """
    common = before.index.intersection(after.index)
    cols = [c for c in before.columns if c in after.columns]
    if len(common) == 0:
        raise DataError("acquisition_rules: no customer in both snapshots")
    B0 = before.loc[common, cols].to_numpy(dtype=bool)
    B1 = after.loc[common, cols].to_numpy(dtype=bool)
    acq = (~B0 & B1).astype(np.float64)
    without = (~B0).astype(np.float64)
    A = B0.astype(np.float64)
    n_a_not_b = A.T @ without            # [a, b]: hold a, not b at the start
    n_a_acq_b = A.T @ acq                # [a, b]: hold a at the start, acquired b
    n = len(common)
    base = acq.sum(axis=0) / np.maximum(without.sum(axis=0), 1)
    P = len(cols)
    a_idx, b_idx = np.meshgrid(np.arange(P), np.arange(P), indexing="ij")
    off = a_idx != b_idx
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.where(n_a_not_b > 0, n_a_acq_b / n_a_not_b, np.nan)
        lift = conf / base[None, :]
    names = np.asarray(cols, dtype=object)
    out = pd.DataFrame({"antecedent": names[a_idx[off]], "consequent": names[b_idx[off]],
                        "n_antecedent": n_a_not_b[off].astype(np.int64), "n_both": n_a_acq_b[off].astype(np.int64),
                        "support": n_a_acq_b[off] / n, "confidence": conf[off], "lift": lift[off]})
    out = out.sort_values(["lift", "support"], ascending=False, kind="stable", ignore_index=True)
    return out[out["support"] >= min_support].reset_index(drop=True)


def next_best_product(holdings: pd.DataFrame, profile: pd.DataFrame, rules: pd.DataFrame, catalogue: Catalogue,
                      product_value: dict | pd.Series | None = None) -> pd.DataFrame:
    """Each customer's next best product: not held, suitable, eligible; highest confidence x value.

    The confidence of product B for a customer is the highest confidence of a rule ``A -> B`` whose
    antecedent the customer holds (0 when none). ``product_value`` (CNY per new holding; default the
    catalogue's ``response_value``) weighs it.

    Returns
    -------
    DataFrame
        Index customer id; ``product`` (empty when no candidate), ``confidence``, ``product_value``,
        ``score``. ``attrs["funnel"]``: customers, candidate pairs (not held, in the catalogue),
        unsuitable pairs, ineligible pairs, customers with a product.
    """
    for c in ("antecedent", "consequent", "confidence"):
        if c not in rules.columns:
            raise DataError(f"rules: column {c!r} is missing")
    prods = [p for p in holdings.columns if p in catalogue.products]
    H = holdings[prods].to_numpy(dtype=bool)
    prof = profile.reindex(holdings.index)
    idx = {p: i for i, p in enumerate(prods)}
    C = np.zeros((len(prods), len(prods)))
    r = rules[rules["antecedent"].isin(idx) & rules["consequent"].isin(idx)]
    C[r["antecedent"].map(idx).to_numpy(int), r["consequent"].map(idx).to_numpy(int)] = \
        r["confidence"].fillna(0.0).to_numpy(float)
    conf = np.zeros(H.shape)
    for a in range(len(prods)):
        conf = np.maximum(conf, H[:, a:a + 1] * C[a][None, :])
    if product_value is None:
        product_value = {p: catalogue.response_value(p) for p in prods}
    val = np.array([float(pd.Series(product_value).get(p, 0.0)) for p in prods])
    allowed = catalogue.allowed_level(prof["risk_appetite"] if "risk_appetite" in prof else [None] * len(prof))
    level = np.array([catalogue.risk_level(p) for p in prods])
    suitable = level[None, :] <= allowed[:, None]
    eligible = np.column_stack([catalogue.eligible(prof, p) for p in prods]) if prods else np.zeros(H.shape, bool)
    cand = ~H
    ok = cand & suitable & eligible
    score = np.where(ok, conf * val[None, :], -np.inf)
    best = np.argmax(score, axis=1)
    best_score = score[np.arange(len(H)), best]
    has = np.isfinite(best_score) & (best_score > 0)
    names = np.asarray(prods, dtype=object)
    out = pd.DataFrame({"product": np.where(has, names[best], ""),
                        "confidence": np.where(has, conf[np.arange(len(H)), best], np.nan),
                        "product_value": np.where(has, val[best], np.nan),
                        "score": np.where(has, best_score, np.nan)}, index=holdings.index)
    out.attrs["funnel"] = {"customers": int(len(H)), "candidate_pairs": int(cand.sum()),
                           "unsuitable_pairs": int((cand & ~suitable).sum()),
                           "ineligible_pairs": int((cand & suitable & ~eligible).sum()),
                           "customers_with_product": int(has.sum())}
    return out


# ---------------------------------------------------------------------------------- list economics
def size_list(ranked: pd.DataFrame, *, value_per_response, contact_cost: dict, capacity: dict, days: int = 1,
              prob_col: str = "propensity", channel_col: str = "channel", n_cutoffs: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The list that maximises expected profit under channel capacities, and the gains table.

    Each candidate's expected profit is ``p x value - contact_cost[channel]``. Candidates are taken
    in decreasing expected profit while it is positive and while their channel has room
    (``capacity[channel] x days`` contacts; a candidate over capacity is left out and counted).
    Cutting anywhere else lowers the expected profit: a later candidate adds a loss.

    Parameters
    ----------
    ranked : DataFrame
        Candidates (e.g. :func:`clientlens.scoring.marketing_list` with every eligible customer),
        with ``prob_col`` and ``channel_col``.
    value_per_response : float or array-like
        Value of one response (one per row, or one for all).
    contact_cost : dict
        Cost of one contact per channel (CNY); every channel on the list needs one.
    capacity : dict
        Contacts per channel and day; a channel not named has no limit.
    days : int
        Days the campaign runs (capacity x days contacts per channel).

    Returns
    -------
    (list, gains)
        ``list``: the chosen rows with ``expected_profit`` and ``list_rank``; ``attrs["funnel"]``
        counts candidates, not profitable, over capacity, listed. ``gains``: by cut-off along the
        profit order (capacity applied), customers, expected responders, contact cost, expected
        value, expected profit, with the chosen cut marked.
    """
    days = require_int("days", days, 1)
    for c in (prob_col, channel_col):
        if c not in ranked.columns:
            raise DataError(f"list: column {c!r} is missing")
    chan = ranked[channel_col].astype(str).to_numpy()
    missing = sorted(set(chan) - set(contact_cost))
    if missing:
        raise ParamsError(f"contact_cost has no cost for channel(s) {missing}; got {contact_cost!r}")
    for k, v in {**contact_cost, **capacity}.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise ParamsError(f"contact_cost and capacity must be numbers >= 0; got {k}: {v!r}")
    p = pd.to_numeric(ranked[prob_col], errors="coerce").to_numpy(float)
    if np.isnan(p).any():
        raise DataError(f"list: column {prob_col!r} has missing values")
    v = np.broadcast_to(np.asarray(value_per_response, dtype=float), p.shape)
    cost = np.array([float(contact_cost[c]) for c in chan]) if len(chan) else np.zeros(0)
    profit = p * v - cost
    order = np.argsort(-profit, kind="stable")
    # capacity: the k-th candidate of a channel in profit order fits if k < capacity x days
    cap = np.array([capacity.get(c, np.inf) * days for c in chan[order]], dtype=float)
    k_in_chan = pd.Series(chan[order]).groupby(chan[order]).cumcount().to_numpy()
    fits = k_in_chan < cap
    o = order[fits]
    cum = np.cumsum(profit[o])
    n_pos = int((profit[o] > 0).sum())
    chosen = o[:n_pos]
    out = ranked.iloc[chosen].copy()
    out["expected_profit"] = profit[chosen]
    out.insert(0, "list_rank", np.arange(1, len(out) + 1))
    out.attrs["funnel"] = {"candidates": int(len(ranked)), "over_capacity": int((~fits & (profit[order] > 0)).sum()),
                           "not_profitable": int((profit <= 0).sum()), "listed": int(len(out))}
    # gains by cut-off along the profit order (capacity applied)
    m = len(o)
    cuts = np.unique(np.concatenate([np.linspace(0, m, n_cutoffs + 1).round().astype(int)[1:], [n_pos]]))
    cuts = cuts[cuts > 0]
    cp, cc, cv = np.cumsum(p[o]), np.cumsum(cost[o]), np.cumsum(p[o] * v[o])
    gains = pd.DataFrame({"customers": cuts, "share_of_candidates": cuts / max(m, 1),
                          "expected_responders": cp[cuts - 1] if m else [], "contact_cost": cc[cuts - 1] if m else [],
                          "expected_value": cv[cuts - 1] if m else [], "expected_profit": cum[cuts - 1] if m else []})
    gains["chosen"] = gains["customers"] == n_pos
    return out.reset_index(drop=True), gains


def holdout_control(lst: pd.DataFrame, share: float = 0.1, random_state=None) -> pd.DataFrame:
    """Mark a random ``share`` of the list as the control group (not contacted), for post-evaluation.

    Exactly ``round(share x n)`` rows, drawn with ``numpy.random.default_rng(random_state)``;
    adds ``group`` (``model`` / ``control``).
    """
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share < 1:
        raise ParamsError(f"control_share must be in [0, 1); got {share!r}")
    n = len(lst)
    k = int(round(share * n))
    rng = np.random.default_rng(random_state)
    pick = np.zeros(n, dtype=bool)
    pick[rng.choice(n, size=k, replace=False)] = True
    out = lst.copy()
    out["group"] = np.where(pick, "control", "model")
    out.attrs = dict(lst.attrs)
    return out
