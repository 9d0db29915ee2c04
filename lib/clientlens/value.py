"""What a customer is worth to the bank: annual margin by product, cost to serve, projected value.

A retail bank earns on balances and fees, not on the customer's spending (``../shared/domain.md``,
"What a customer is worth to a bank"). For every customer this module computes, in DuckDB:

* the **annual margin of each product** from the average month-end balance over the last
  ``balance_months`` month-ends: deposit spread (demand and time deposits), annual fee rates
  (wealth products, funds, insurance), loan margin, interest on card balances;
* **card interchange** on consumption spend (``spend_categories``, direction ``out``) over the
  last 365 days, annualised; own-account transfers, loan repayments, wealth purchases and salary
  are not spend (refused in ``spend_categories``);
* the **cost to serve**: a cost per transaction by channel (branch and phone far above app) plus
  a yearly cost per customer;

and then **projects** the annual net margin over ``horizon_months`` with the retention the BTYD
transaction models give (:mod:`clientlens.clv`): month ``m`` counts with weight
``S(m) = P(alive) x inc(m) / inc(1)`` (``inc(m)`` = expected transactions in month ``m``, so the
ratio is the expected activity relative to next month's, which falls as customers drop out),
discounted at ``discount_rate`` a year. Customers with less than ``min_history_days`` of history
are not extrapolated: they get the mean value of established customers of their cohort (AUM band)
and the flag ``too_new``; they are not ranked.

Rates differ by bank and year; the defaults are the orders of magnitude of the domain brief and
live in params (``common.value`` in ``params/default.yaml``).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import DataError, ParamsError
from .data import quote_ident as _q
from .i18n import t
from .params import require_int, to_date
from .schema import PRODUCT_BALANCE_COLUMNS

__all__ = ["ValueRates", "annual_margins", "retention_weights", "customer_value", "value_by_group",
           "NOT_SPEND", "MARGIN_COLUMNS", "components", "clv_table"]

#: transaction categories that are never spend: own-account transfers, loan repayments, wealth buys,
#: salary and redemptions move the customer's own money
NOT_SPEND = ("transfer", "loan_repayment", "wealth_purchase", "wealth_redemption", "salary", "fx_purchase")
MARGIN_COLUMNS = tuple(f"margin_{p}" for p in PRODUCT_BALANCE_COLUMNS) + ("margin_interchange",)


def _default_margins() -> dict:
    return {"demand_deposit": 0.02, "time_deposit": 0.0075, "wealth_mgmt": 0.005, "fund": 0.008,
            "insurance": 0.01, "loan": 0.02, "credit_card": 0.03}


def _default_costs() -> dict:
    return {"branch": 15.0, "phone": 5.0, "atm": 2.0, "online": 0.3, "mobile": 0.1, "pos": 0.0}


@dataclass
class ValueRates:
    """Margin rates, costs and projection settings of the value model (orders of magnitude: domain brief).

    Build from a params dict with :meth:`from_params`; ``margins`` and ``channel_costs`` given as
    partial dicts are merged into the defaults.
    """

    margins: dict = field(default_factory=_default_margins)   # annual margin / average balance, per product
    interchange_rate: float = 0.0035          # card interchange on consumption spend
    spend_categories: tuple = ("consumption",)
    channel_costs: dict = field(default_factory=_default_costs)  # cost per transaction by channel, CNY
    cost_per_customer: float = 20.0           # yearly fixed cost to serve one customer, CNY
    balance_months: int = 12                  # average balance over the last 12 month-ends
    horizon_months: int = 36                  # projection horizon
    discount_rate: float = 0.08               # annual discount rate
    min_history_days: int = 90                # below: cohort value and the flag too_new
    cohort_aum_bands: tuple = (10_000.0, 50_000.0, 100_000.0, 500_000.0, 1_000_000.0)

    @classmethod
    def from_params(cls, params: dict | "ValueRates" | None) -> "ValueRates":
        """A validated :class:`ValueRates` from a dict of overrides (or an instance, or None)."""
        from .params import rules_from_params

        if isinstance(params, dict):
            params = dict(params)
            for k, default in (("margins", _default_margins()), ("channel_costs", _default_costs())):
                if isinstance(params.get(k), dict):
                    params[k] = {**default, **params[k]}
        return rules_from_params(cls, params, "value rate")

    def validate(self) -> None:
        """Raise :class:`ParamsError` on an impossible setting."""
        if not isinstance(self.margins, dict) or set(self.margins) - set(PRODUCT_BALANCE_COLUMNS):
            raise ParamsError(f"margins must map products {list(PRODUCT_BALANCE_COLUMNS)} to annual rates; "
                              f"got {self.margins!r}")
        for k, v in {**{f"margins.{p}": r for p, r in self.margins.items()},
                     **{f"channel_costs.{c}": r for c, r in self.channel_costs.items()},
                     "interchange_rate": self.interchange_rate, "cost_per_customer": self.cost_per_customer,
                     "discount_rate": self.discount_rate}.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
                raise ParamsError(f"{k} must be a number >= 0; got {v!r}")
        for k in ("interchange_rate", "discount_rate", *[f"margins.{p}" for p in self.margins]):
            v = self.margins[k[8:]] if k.startswith("margins.") else getattr(self, k)
            if v > 1:
                raise ParamsError(f"{k} is a yearly rate and must be <= 1; got {v!r}")
        bad = [c for c in self.spend_categories if c in NOT_SPEND]
        if bad or not self.spend_categories:
            raise ParamsError(f"spend_categories must be a non-empty list without {list(NOT_SPEND)} (own-account "
                              f"transfers, loan repayments and the like are not spend); got {list(self.spend_categories)}")
        require_int("balance_months", self.balance_months, 1)
        require_int("horizon_months", self.horizon_months, 1)
        require_int("min_history_days", self.min_history_days, 0)
        b = list(self.cohort_aum_bands)
        if any(not isinstance(x, (int, float)) for x in b) or b != sorted(b):
            raise ParamsError(f"cohort_aum_bands must be increasing numbers; got {b!r}")


def annual_margins(bank, as_of, rates: ValueRates | dict | None = None) -> pd.DataFrame:
    """Annual margin per customer and product, interchange and cost to serve, from the contract tables.

    Parameters
    ----------
    bank : clientlens.data.BankData
        ``customers`` (``open_date``), ``monthly_balances`` and ``transactions`` (``category`` and
        ``channel`` when present).
    as_of : date or str
    rates : ValueRates or dict, optional

    Returns
    -------
    DataFrame
        Index ``customer_id``; ``balance_<product>`` (average month-end balance), ``aum`` (last
        month-end), ``margin_<product>``, ``spend_annual``, ``margin_interchange``,
        ``cost_transactions``, ``cost_fixed``, ``gross_margin``, ``cost_to_serve``,
        ``annual_margin`` (gross margin minus cost to serve), ``history_days`` (days since opening).
    """
    rates = ValueRates.from_params(rates)
    as_of = to_date("as_of", as_of)
    if not bank.has("customers"):
        raise DataError("value: the customers table is needed")
    con = bank.con
    products = list(PRODUCT_BALANCE_COLUMNS)
    params: dict = {"as_of": as_of}
    parts = ["WITH c AS (SELECT customer_id, datediff('day', open_date, $as_of) AS history_days FROM customers "
             "WHERE open_date <= $as_of)"]
    cols = ["c.customer_id", "c.history_days"]
    joins = []
    if bank.has("monthly_balances"):
        have = set(bank.columns.get("monthly_balances", []))
        avg = ", ".join(f"avg(coalesce({_q(p)}, 0)) AS {_q('balance_' + p)}" if p in have
                        else f"0.0 AS {_q('balance_' + p)}" for p in products)
        parts.append(f"bm AS (SELECT * FROM monthly_balances WHERE month_end <= $as_of), "
                     f"last AS (SELECT max(month_end) AS m FROM bm), "
                     f"b AS (SELECT customer_id, {avg}, arg_max(aum, month_end) AS aum FROM bm, last "
                     f"WHERE month_end > last.m - to_months($months) GROUP BY customer_id)")
        params["months"] = int(rates.balance_months)
        cols += [f"coalesce(b.{_q('balance_' + p)}, 0.0) AS {_q('balance_' + p)}" for p in products] + ["b.aum"]
        joins.append("LEFT JOIN b ON b.customer_id = c.customer_id")
    else:
        cols += [f"0.0 AS {_q('balance_' + p)}" for p in products] + ["CAST(NULL AS DOUBLE) AS aum"]
    # activity over the last 365 days, annualised over the days the customer was there (at most 365)
    has_chan = False
    if bank.has("transactions"):
        tcols = set(bank.columns.get("transactions", []))
        has_cat = "category" in tcols
        has_chan = "channel" in tcols and bool(rates.channel_costs)
        spend_sql = ("sum(t.amount) FILTER (WHERE t.direction = 'out' AND t.amount > 0 "
                     "AND list_contains($cats, t.category))") if has_cat else "0.0"
        cost_sql = "sum(cc.cost)" if has_chan else "0.0"
        cjoin = "LEFT JOIN _value_channel_costs cc ON t.channel = cc.channel" if has_chan else ""
        parts.append(f"a AS (SELECT t.customer_id, {spend_sql} AS s, {cost_sql} AS k FROM transactions t {cjoin} "
                     f"WHERE t.txn_date BETWEEN $start AND $as_of GROUP BY t.customer_id)")   # one scan: both
        params["start"] = as_of - _dt.timedelta(days=364)
        if has_cat:
            params["cats"] = list(rates.spend_categories)
        cols += ["coalesce(a.s, 0.0) AS spend_annual", "coalesce(a.k, 0.0) AS cost_transactions"]
        joins.append("LEFT JOIN a ON a.customer_id = c.customer_id")
    else:
        cols += ["0.0 AS spend_annual", "0.0 AS cost_transactions"]
    if has_chan:
        con.register("_value_channel_costs", pd.DataFrame({"channel": list(rates.channel_costs),
                                                           "cost": [float(v) for v in rates.channel_costs.values()]}))
    try:
        out = con.execute(f"{', '.join(parts)} SELECT {', '.join(cols)} FROM c {' '.join(joins)} "
                          f"ORDER BY c.customer_id", params).df().set_index("customer_id")
    finally:
        if has_chan:
            con.unregister("_value_channel_costs")
    if not bank.has("monthly_balances"):
        out.attrs.setdefault("notes", []).append("no monthly_balances table: balance margins are 0")
    out = out.astype({c: float for c in out.columns if c != "history_days"})
    activity = out.pop("spend_annual"), out.pop("cost_transactions")
    for p in products:
        out["margin_" + p] = float(rates.margins.get(p, 0.0)) * out["balance_" + p]
    out["spend_annual"], out["cost_transactions"] = activity
    observed = np.clip(out["history_days"].to_numpy(float) + 1, 1, 365)
    scale = 365.0 / observed
    out["spend_annual"] *= scale
    out["cost_transactions"] *= scale
    out["margin_interchange"] = float(rates.interchange_rate) * out["spend_annual"]
    out["cost_fixed"] = float(rates.cost_per_customer)
    out["gross_margin"] = out[list(MARGIN_COLUMNS)].sum(axis=1)
    out["cost_to_serve"] = out["cost_transactions"] + out["cost_fixed"]
    out["annual_margin"] = out["gross_margin"] - out["cost_to_serve"]
    out.index.name = "customer_id"
    return out


def retention_weights(rfm: pd.DataFrame, model, *, period: str = "day", horizon_months: int = 36,
                      discount_rate: float = 0.08, grid_months: int = 6) -> pd.DataFrame:
    """Discounted expected relationship-years over the horizon, from a fitted BTYD model.

    ``years = sum_m S(m) / 12 / (1 + discount_rate)^(m / 12)``, ``S(m) = P(alive) x inc(m) / inc(1)``,
    ``inc(m)`` = the model's expected transactions in month ``m`` (conditional on the customer's
    history). A customer sure to stay and keep their activity gets the plain annuity factor. The
    model's cumulative expectation is evaluated at month 1 and every ``grid_months`` (1: every month)
    and interpolated linearly in between.

    Parameters
    ----------
    rfm : DataFrame
        Index customer id; ``frequency``, ``recency``, ``T`` (as :func:`clientlens.clv.rfm_summary`).
    model : clientlens.clv.BTYDModel
        Fitted.
    period : str
        Period unit of ``rfm``.
    horizon_months : int
    discount_rate : float
        Annual.

    Returns
    -------
    DataFrame
        Index customer id; ``p_alive``, ``expected_transactions`` (over the horizon), ``retention_years``.
    """
    from .clv import DAYS_PER_MONTH, PERIOD_DAYS, compress

    horizon_months = require_int("horizon_months", horizon_months, 1)
    grid_months = require_int("grid_months", grid_months, 1)
    if discount_rate < 0:
        raise ParamsError(f"discount_rate must be >= 0; got {discount_rate!r}")
    per_month = DAYS_PER_MONTH / PERIOD_DAYS[period]
    comp, inv = compress(rfm, ("frequency", "recency", "T"))
    p_alive = np.asarray(model.p_alive(comp), float)
    # E[X(t)] at month 1 and every grid_months (and the horizon), linear in between: the expected
    # cumulative count is smooth and nearly linear over half a year (within 0.1% of monthly evaluation: tested), and each evaluation is costly
    grid = sorted({1, horizon_months, *range(grid_months, horizon_months + 1, grid_months)})
    cum = np.column_stack([np.zeros(len(comp))] + [np.asarray(model.expected_transactions(m * per_month, comp), float)
                                                  for m in grid])
    gx = np.asarray([0, *grid], float)
    W = np.zeros((len(gx), horizon_months + 1))      # E[X(m)] = cum @ W[:, m]: linear between grid points
    for m in range(horizon_months + 1):
        j = int(np.searchsorted(gx, m, side="right") - 1)
        if gx[j] == m:
            W[j, m] = 1.0
        else:
            w = (m - gx[j]) / (gx[j + 1] - gx[j])
            W[j, m], W[j + 1, m] = 1.0 - w, w
    e = cum @ W                                                                # E[X(m)], m = 0..H
    inc = np.diff(e, axis=1)                                                   # expected transactions in month m
    first = np.maximum(inc[:, :1], 1e-300)
    s = p_alive[:, None] * np.clip(inc / first, 0.0, 1.0)
    disc = 1.0 / 12.0 / (1.0 + discount_rate) ** (np.arange(1, horizon_months + 1) / 12.0)
    years = s @ disc
    out = pd.DataFrame({"p_alive": p_alive[inv], "expected_transactions": e[:, -1][inv], "retention_years": years[inv]},
                       index=rfm.index)
    out.index.name = "customer_id"
    return out


def _annuity_years(horizon_months: int, discount_rate: float) -> float:
    m = np.arange(1, horizon_months + 1)
    return float(np.sum(1.0 / 12.0 / (1.0 + discount_rate) ** (m / 12.0)))


def customer_value(margins: pd.DataFrame, retention: pd.DataFrame | None,
                   rates: ValueRates | dict | None = None) -> pd.DataFrame:
    """Projected, discounted value per customer; too-new customers get their cohort's value.

    ``value = annual_margin x retention_years`` (:func:`retention_weights`). Customers without
    BTYD inputs (no transaction) get the mean ``retention_years`` of the customers with no repeat
    transaction (or of all, if none). Customers with ``history_days < min_history_days`` get the
    mean value of the established customers of their AUM band (``cohort_aum_bands``), the flag
    ``too_new`` and no rank.

    Returns
    -------
    DataFrame
        ``margins`` with ``p_alive``, ``retention_years``, ``value``, ``value_individual`` (before the
        cohort rule), ``too_new``, ``cohort``, ``value_rank`` (1 = most valuable; NaN when too new).
    """
    rates = ValueRates.from_params(rates)
    out = margins.copy()
    if retention is not None and len(retention):
        r = retention.reindex(out.index)
        out["p_alive"] = r["p_alive"].to_numpy()
        years = r["retention_years"].to_numpy(float)
        ref = retention["retention_years"]
        if "frequency" in retention.columns and (retention["frequency"] == 0).any():
            ref = ref[retention["frequency"] == 0]
        fill = float(ref.mean()) if len(ref) else _annuity_years(rates.horizon_months, rates.discount_rate)
        out["retention_years"] = np.where(np.isnan(years), fill, years)
    else:
        out["p_alive"] = np.nan
        out["retention_years"] = _annuity_years(rates.horizon_months, rates.discount_rate)
    out["value_individual"] = out["annual_margin"] * out["retention_years"]
    bands = np.asarray(rates.cohort_aum_bands, float)
    aum = out["aum"].fillna(0.0).to_numpy(float)
    band = np.searchsorted(bands, aum, side="right")
    labels = [f"< {bands[0]:,.0f}"] + [f"{bands[i]:,.0f} - {bands[i + 1]:,.0f}" for i in range(len(bands) - 1)] \
        + [f">= {bands[-1]:,.0f}"] if len(bands) else ["all"]
    out["cohort"] = np.asarray(labels, dtype=object)[band]
    too_new = out["history_days"].to_numpy(float) < rates.min_history_days
    out["too_new"] = too_new
    est = pd.Series(out["value_individual"].to_numpy()[~too_new]).groupby(band[~too_new]).mean()
    overall = float(np.nanmean(out["value_individual"].to_numpy()[~too_new])) if (~too_new).any() else np.nan
    cohort_value = pd.Series(band).map(est).fillna(overall).to_numpy(float)
    out["value"] = np.where(too_new, cohort_value, out["value_individual"].to_numpy(float))
    rank = pd.Series(np.where(too_new, np.nan, out["value"].to_numpy(float)), index=out.index)
    out["value_rank"] = rank.rank(ascending=False, method="first")
    return out


def value_by_group(values: pd.DataFrame, groups: pd.Series, name: str = "group") -> pd.DataFrame:
    """Customers, value and AUM by group, with the share of each: where the value sits beside the AUM."""
    g = pd.Series(groups).reindex(values.index)
    df = pd.DataFrame({name: g.astype("str").where(g.notna(), "unknown").to_numpy(),
                       "value": values["value"].to_numpy(float), "aum": values["aum"].fillna(0.0).to_numpy(float),
                       "annual_margin": values["annual_margin"].to_numpy(float)})
    out = df.groupby(name).agg(customers=("value", "size"), total_value=("value", "sum"),
                               mean_value=("value", "mean"), annual_margin=("annual_margin", "sum"),
                               aum=("aum", "sum")).reset_index()
    for c, s in (("customers", "customer_share"), ("total_value", "value_share"), ("aum", "aum_share")):
        tot = out[c].sum()
        out[s] = out[c] / tot if tot else np.nan
    return out.sort_values("total_value", ascending=False, ignore_index=True)


def components(values: pd.DataFrame) -> pd.DataFrame:
    """Total annual margin by source (products, interchange) and cost to serve, with shares of gross margin."""
    rows = [(t(c.removeprefix("margin_").replace("_", " ")), float(values[c].sum())) for c in MARGIN_COLUMNS]
    rows += [(t("cost to serve: transactions by channel"), -float(values["cost_transactions"].sum())),
             (t("cost to serve: fixed per customer"), -float(values["cost_fixed"].sum()))]
    out = pd.DataFrame(rows, columns=["component", "annual_amount"])
    gross = float(values["gross_margin"].sum())
    out["share_of_gross"] = out["annual_amount"] / gross if gross else np.nan
    return out



def clv_table(margins: pd.DataFrame, rfm: pd.DataFrame, model, spend, rates: ValueRates, *, period: str = "day",
              tier_shares=(0.2, 0.3, 0.5)) -> pd.DataFrame:
    """Each customer's value to the bank with the transaction models' retention, expected spend and tier.

    Parameters
    ----------
    margins : DataFrame
        :func:`annual_margins` (one row per customer).
    rfm : DataFrame
        The RFM summary's table (index customer_id; ``frequency``, ``recency``, ``T``).
    model : clientlens.clv.BTYDModel
        Transaction model fitted on the whole window (retention, expected transactions).
    spend : clientlens.clv.SpendModel
        Gamma-Gamma spend model fitted on the whole window.
    rates : ValueRates
        Horizon, discount rate and the history floor.
    period : str
        Period unit of ``rfm``.
    tier_shares : sequence of float
        Shares of established customers in the high / medium / low tiers (by rank).

    Returns
    -------
    DataFrame
        :func:`customer_value`'s columns plus ``expected_spend``, ``expected_transactions``,
        ``clv`` (= ``value``) and ``clv_tier`` (``"too new"`` for customers not ranked).
    """
    from .clv import clv_tiers

    ret = retention_weights(rfm, model, period=period, horizon_months=rates.horizon_months,
                            discount_rate=rates.discount_rate).join(rfm[["frequency"]])
    vals = customer_value(margins, ret, rates)
    vals["expected_spend"] = pd.Series(spend.expected_spend(rfm), index=rfm.index).reindex(vals.index)
    vals["expected_transactions"] = ret["expected_transactions"].reindex(vals.index)
    vals["clv"] = vals["value"]
    established = vals.loc[~vals["too_new"], "value"]
    vals["clv_tier"] = clv_tiers(established, shares=tier_shares).reindex(vals.index).fillna("too new")
    return vals
