"""Event-triggered marketing (事件式营销): daily event rules and campaign management.

The reference bank of ``../shared/domain.md`` ran event rules daily over its transaction
data and pushed the resulting tasks to SMS, app or the relationship manager (RM); campaign
management then de-duplicated across events, capped list sizes, prioritised and scheduled.
This module does the same, in three steps:

1. :func:`detect_events` evaluates every rule on every day of a window (a daily run is a
   window of one day; a longer window is a back-test of what the daily job would have
   produced) and returns one row per customer, day and event;
2. :func:`apply_cooldown` keeps the first trigger of a customer's event and drops repeats
   within ``cooldown_days`` (a surge that lasts a week is one event, not seven);
3. :func:`campaign_tasks` turns the events into contact tasks: opt-outs removed, one task
   per customer and day (the highest-priority event wins, the others are named), channel and
   scheduled date by rule, a cap per channel and day.

Rules run (thresholds are fields of :class:`EventRules`, set from params):

``spend_surge``
    Spend in the last ``surge_window_days`` (30) days is up by more than ``surge_amount_ratio``
    (20%) on the mean of the two windows before it (days 31-60 and 61-90), AND the number of
    spend transactions is up by more than ``surge_count_ratio`` (20%) -> offer instalments.
    Spend is ``direction = 'out'`` in ``spend_categories``. Customers with no spend in days
    31-90 have no baseline and are not judged; ``surge_min_spend`` (an addition to the stated
    rule, 0 turns it off) ignores surges too small for an instalment offer. The base period
    (days 31-90) must show a spending habit: a mean of at least ``surge_min_base_spend``
    and ``surge_min_base_count`` spend transactions per window (additions to the stated rule;
    0, the library default, turns them off; ``params/default.yaml`` sets 3,000 CNY and 4): "up 20%" on one or two small purchases is noise, not a
    surge an instalment offer answers.
``large_inflow`` / ``large_outflow``
    One ``in`` / ``out`` transaction in ``movement_categories`` of at least
    ``large_inflow_min`` / ``large_outflow_min`` -> RM call (a large outflow is an attrition signal).
``fx_purchase``
    One ``fx_purchase`` of at least USD ``fx_min_usd`` (10,000), converted from the amount at
    ``fx_rate`` CNY per USD -> overseas-finance offer; under USD ``fx_rm_min_usd`` (30,000) by
    SMS the same day, from it by RM follow-up the next day.
``birthday``
    The customer's birthday is ``birthday_lead_days`` days ahead (29 February counts as 28
    February in other years) -> greeting.

``wealth_maturity`` / ``time_deposit_maturity`` / ``card_expiry``
    A wealth product (any amount) or a time deposit of at least ``td_maturity_min`` (100,000)
    matures in ``maturity_lead_days`` days, or a card expires in ``card_expiry_lead_days`` days
    (one event per customer and day; the value is the amount maturing). They read the optional
    ``holdings`` table (maturity / expiry dates); without it they are skipped with the reason.

Each event names the product it offers (``product``, empty for a greeting or a retention call):
:func:`campaign_tasks` leaves out tasks whose product is above the customer's risk level when it
is given the product catalogue (:class:`clientlens.offers.Catalogue`), and counts them.

The last example of the brief (failed online wealth purchase) needs the online application log
the data contract does not have; :data:`RULES_NEEDING_DATA` names it for the report.

Everything is DuckDB SQL over the loaded :class:`clientlens.data.BankData` plus vectorised
pandas; results are sorted, so the same data and rules give the same tasks. The rules' SQL is
written in the portable subset (``docs/developing.md``), so :func:`detect_events` and
:func:`run_daily_job` also run on a :class:`clientlens.engine.SparkBank` (``engine: spark``): the
same statements, transpiled to Spark SQL by SQLGlot, give the same events (tested on the demo
bank); the events (small: one row per customer, day and rule hit) come to the driver, where the
cooldown and campaign management run as with DuckDB.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import DataError, ParamsError
from .data import quote_literal as _lit
from .i18n import money, t
from .params import require_int, to_date

__all__ = ["EventRules", "EVENTS", "RULES_NEEDING_DATA", "detect_events", "apply_cooldown", "campaign_tasks",
           "rules_table", "daily_counts", "event_window", "run_daily_job", "event_summary", "channel_load",
           "FUNNEL_LABELS", "rules_not_run", "expand_runs", "apply_cooldown_on_runs", "rule_hits"]

#: Reader's names of the campaign-management funnel steps (``tasks.attrs["funnel"]``).
FUNNEL_LABELS = {"events": "events (after cooldown)", "opted_out": "opted out (removed)",
                 "unsuitable": "product above the customer's risk level (removed)",
                 "deduplicated": "same customer and day (merged)", "over_cap": "over a channel cap (dropped)",
                 "delayed": "waited for room (sent later)", "tasks": "contact tasks"}

EVENTS = ("spend_surge", "large_inflow", "large_outflow", "fx_purchase", "birthday", "wealth_maturity",
          "time_deposit_maturity", "card_expiry")
#: maturity rules: event -> product of the holdings table it watches
MATURITY_EVENTS = {"wealth_maturity": "wealth_mgmt", "time_deposit_maturity": "time_deposit",
                   "card_expiry": "credit_card"}
CHANNELS = ("rm", "app", "sms")
RULES_NEEDING_DATA = {
    "wealth_purchase_failed": "online wealth purchase failed: needs the online application log",
}
_ACTIONS = {"spend_surge": "offer instalments", "large_inflow": "RM call: deposit / wealth offer",
            "large_outflow": "RM call: retention", "fx_purchase": "overseas-finance offer",
            "birthday": "birthday greeting", "wealth_maturity": "reinvestment offer",
            "time_deposit_maturity": "renewal offer (RM)", "card_expiry": "card renewal and activation"}


@dataclass
class EventRules:
    """Thresholds, channels and priorities of the event rules (defaults: ``../shared/domain.md``).

    Build from a params dict with :meth:`from_params` (unknown keys are refused).
    """

    events: tuple = EVENTS                  # rules to run
    # spend surge
    spend_categories: tuple = ("consumption",)
    surge_window_days: int = 30             # "last 30 days" vs the two windows before it
    surge_amount_ratio: float = 0.20        # spend up by MORE than 20%
    surge_count_ratio: float = 0.20         # AND spend transactions up by MORE than 20%
    surge_min_spend: float = 0.0            # and spend in the window at least this (0: the rule as stated)
    surge_min_base_spend: float = 0.0       # base period: mean spend per window at least this (params: 3,000)
    surge_min_base_count: float = 0.0       # base period: mean spend transactions per window at least this (params: 4)
    # large deposit movements
    movement_categories: tuple = ("transfer",)
    large_inflow_min: float = 100_000.0     # one incoming transfer of at least this (CNY)
    large_outflow_min: float = 100_000.0    # one outgoing transfer of at least this (CNY)
    # FX purchase
    fx_rate: float = 7.10                   # CNY per USD, to express fx_purchase amounts in USD
    fx_min_usd: float = 10_000.0            # one FX purchase of at least this -> event
    fx_rm_min_usd: float = 30_000.0         # below: SMS the same day; from here: RM the next day
    # birthday
    birthday_lead_days: int = 7             # trigger this many days before the birthday
    # maturities (holdings table)
    maturity_lead_days: int = 7             # wealth product / time deposit maturing in this many days
    td_maturity_min: float = 100_000.0      # time deposit of at least this maturing (domain rule)
    card_expiry_lead_days: int = 30         # card expiring in this many days
    # campaign management
    cooldown_days: int = 30                 # the same event for the same customer at most once in this many days
    priority: tuple = ("large_outflow", "fx_purchase", "large_inflow", "time_deposit_maturity", "wealth_maturity",
                       "spend_surge", "card_expiry", "birthday")
    channel: dict = field(default_factory=lambda: {
        "spend_surge": "app", "large_inflow": "rm", "large_outflow": "rm", "fx_purchase": "sms", "birthday": "sms",
        "wealth_maturity": "app", "time_deposit_maturity": "rm", "card_expiry": "sms"})
    # product each event offers ("" none); suitability is checked on it (clientlens.offers)
    product: dict = field(default_factory=lambda: {
        "spend_surge": "credit_card", "large_inflow": "wealth_mgmt", "large_outflow": "", "fx_purchase": "",
        "birthday": "", "wealth_maturity": "wealth_mgmt", "time_deposit_maturity": "time_deposit",
        "card_expiry": "credit_card"})
    rm_lead_days: int = 1                   # RM tasks are scheduled this many days after the event
    caps: dict = field(default_factory=lambda: {"rm": 50, "app": 2000, "sms": 2000})  # tasks per channel and day
    max_delay_days: int = 0                 # a task over a cap waits up to this many days for room, then is dropped

    @classmethod
    def from_params(cls, params: dict | "EventRules" | None) -> "EventRules":
        """A validated :class:`EventRules` from a dict of overrides (or an instance, or None)."""
        from .params import rules_from_params

        return rules_from_params(cls, params, "event rule")

    def validate(self) -> None:
        """Raise :class:`ParamsError` on an impossible setting."""
        def num(name, strict=True):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not np.isfinite(v) \
                    or (v <= 0 if strict else v < 0):
                raise ParamsError(f"{name} must be a number {'>' if strict else '>='} 0; got {v!r}")

        for n in ("large_inflow_min", "large_outflow_min", "fx_rate", "fx_min_usd", "fx_rm_min_usd", "td_maturity_min"):
            num(n)
        for n in ("surge_amount_ratio", "surge_count_ratio", "surge_min_spend", "surge_min_base_spend",
                  "surge_min_base_count"):
            num(n, strict=False)
        for name, lo in (("surge_window_days", 1), ("birthday_lead_days", 0), ("maturity_lead_days", 0),
                         ("card_expiry_lead_days", 0), ("cooldown_days", 0),
                         ("rm_lead_days", 0), ("max_delay_days", 0)):
            require_int(name, getattr(self, name), lo)
        unknown = [e for e in self.events if e not in EVENTS]
        if unknown or not self.events:
            raise ParamsError(f"events must be a non-empty subset of {list(EVENTS)}; got {list(self.events)}")
        if sorted(self.priority) != sorted(EVENTS):
            raise ParamsError(f"priority must list every event exactly once ({', '.join(EVENTS)}); "
                              f"got {list(self.priority)}")
        if not isinstance(self.channel, dict) or set(self.channel) != set(EVENTS) \
                or any(c not in CHANNELS for c in self.channel.values()):
            raise ParamsError(f"channel must map every event ({', '.join(EVENTS)}) to one of {list(CHANNELS)}; "
                              f"got {self.channel!r}")
        from .schema import PRODUCT_BALANCE_COLUMNS

        if not isinstance(self.product, dict) or set(self.product) != set(EVENTS) or any(
                p not in ("", *PRODUCT_BALANCE_COLUMNS) for p in self.product.values()):
            raise ParamsError(f"product must map every event ({', '.join(EVENTS)}) to a product of "
                              f"{list(PRODUCT_BALANCE_COLUMNS)} or \"\" (none); got {self.product!r}")
        if not isinstance(self.caps, dict) or set(self.caps) - set(CHANNELS) or any(
                isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0 for v in self.caps.values()):
            raise ParamsError(f"caps must map channels {list(CHANNELS)} to integers >= 0 (tasks per day); "
                              f"got {self.caps!r}")
        if self.fx_rm_min_usd < self.fx_min_usd:
            raise ParamsError(f"fx_rm_min_usd must be >= fx_min_usd ({self.fx_min_usd:g}); got {self.fx_rm_min_usd:g}")
        for name in ("spend_categories", "movement_categories"):
            v = getattr(self, name)
            if not v or not all(isinstance(c, str) and c for c in v):
                raise ParamsError(f"{name} must be a non-empty list of category names; got {v!r}")


def rules_table(rules: EventRules) -> pd.DataFrame:
    """One row per rule: condition in words (with the thresholds), action, channel, priority."""
    r = rules
    w = r.surge_window_days
    from .i18n import value

    cats = ", ".join(value(c) for c in r.spend_categories)
    moves = " / ".join(value(c) for c in r.movement_categories)
    cond = {
        "spend_surge": (t("spend ({categories}) in the last {w} days up by more than {amount:.0%} on the mean of days "
                          "{w1}-{w2} and {w3}-{w4}, and the number of spend transactions up by more than {count:.0%}",
                          categories=cats, w=w, amount=r.surge_amount_ratio, w1=w + 1, w2=2 * w, w3=2 * w + 1,
                          w4=3 * w, count=r.surge_count_ratio)
                        + (t("; spend at least {spend}", spend=money(r.surge_min_spend)) if r.surge_min_spend else "")
                        + (t("; base period at least {spend} spent and {count:g} spend transactions per {w} days",
                             spend=money(r.surge_min_base_spend), count=r.surge_min_base_count, w=w)
                           if r.surge_min_base_spend or r.surge_min_base_count else "")),
        "large_inflow": t("one incoming {categories} of at least {amount}", categories=moves,
                          amount=money(r.large_inflow_min)),
        "large_outflow": t("one outgoing {categories} of at least {amount}", categories=moves,
                           amount=money(r.large_outflow_min)),
        "fx_purchase": t("one FX purchase of at least USD {usd} (amount / {rate:g} CNY per USD)",
                         usd=money(r.fx_min_usd), rate=r.fx_rate),
        "birthday": t("birthday in {days} days", days=r.birthday_lead_days),
        "wealth_maturity": t("a wealth product matures in {days} days (holdings)", days=r.maturity_lead_days),
        "time_deposit_maturity": t("a time deposit of at least {amount} matures in {days} days (holdings)",
                                   amount=money(r.td_maturity_min), days=r.maturity_lead_days),
        "card_expiry": t("a card expires in {days} days (holdings)", days=r.card_expiry_lead_days),
    }
    chan = dict(r.channel)
    chan["fx_purchase"] = t("{channel} under USD {usd}; rm from USD {usd}",
                            channel=value(r.channel["fx_purchase"]), usd=money(r.fx_rm_min_usd))
    rows = [{"event": e, "condition": cond[e], "action": t(_ACTIONS[e]), "product": r.product.get(e) or "-",
             "channel": chan[e], "priority": r.priority.index(e) + 1, "run": e in r.events} for e in EVENTS]
    return pd.DataFrame(rows).sort_values("priority", kind="stable").reset_index(drop=True)


def rules_not_run(rules: EventRules, kept: pd.DataFrame) -> pd.DataFrame:
    """Rules of the practice not run here and why: needing data the contract lacks, skipped
    for missing optional data (``kept.attrs["skipped"]``), or left out by ``rules.events``.

    Returns a frame with the columns ``rule`` and ``why it does not run``.
    """
    why = {e: t(w) for e, w in RULES_NEEDING_DATA.items()}
    why.update({e: t("skipped: {why}", why=t(w)) for e, w in kept.attrs.get("skipped", {}).items()})
    why.update({e: t("left out by the parameter events") for e in EVENTS if e not in rules.events})
    return pd.DataFrame({"rule": list(why), "why it does not run": list(why.values())})


def event_window(as_of, history_days: int) -> tuple[_dt.date, _dt.date]:
    """(start, end) of a back-test window of ``history_days`` days ending on ``as_of``."""
    history_days = require_int("history_days", history_days, 1)
    end = to_date("as_of", as_of)
    return end - _dt.timedelta(days=history_days - 1), end


def _sql_list(values) -> str:
    """``'a', 'b'``: SQL literals for an IN list."""
    return ", ".join(_lit(v) for v in values)


def _sql_days(start: _dt.date, end: _dt.date) -> str:
    """A one-column (``d``, DATE) relation of every day from ``start`` to ``end``, aliased ``t``.

    Portable (issue 16): ``unnest(generate_series(0, n))`` is ``EXPLODE(SEQUENCE(0, n))`` in Spark SQL.
    """
    n = (end - start).days
    return (f"(SELECT CAST(DATE {_lit(start.isoformat())} + CAST(i AS INTEGER) AS DATE) AS d "
            f"FROM unnest(generate_series(0, {int(n)})) AS g(i)) t")


def _on_duckdb(bank) -> bool:
    """True for a DuckDB bank (its connection takes DuckDB settings); False for a Spark bank."""
    from .engine import SparkBank

    return not isinstance(bank, SparkBank)


_COLUMNS = ["customer_id", "event_date", "event", "value", "baseline", "n_now", "n_before", "amount_usd"]
#: rules that read the transactions' optional ``category`` column
CATEGORY_EVENTS = frozenset({"spend_surge", "large_inflow", "large_outflow", "fx_purchase"})


def detect_events(bank, start, end, rules: EventRules | dict | None = None, *,
                  customers_only: dict | None = None) -> pd.DataFrame:
    """Every rule on every day from ``start`` to ``end`` (inclusive).

    Parameters
    ----------
    bank : clientlens.data.BankData
        Needs ``transactions`` for the transaction rules and ``customers`` (``birth_date``)
        for ``birthday``; a rule whose table is absent is skipped (see ``attrs["skipped"]``).
    start, end : date or str
        Days the daily job runs on. Transactions up to ``end`` are used, and for the surge
        rule the ``3 * surge_window_days`` days before each day.
    rules : EventRules or dict, optional
    customers_only : dict, optional
        ``{event: customer ids}``: evaluate each listed event only for these customers (events
        not listed are skipped). :func:`run_daily_job` uses it for the cooldown's warm-up.

    Returns
    -------
    DataFrame
        One row per customer, day and event, sorted by day, event and customer:
        ``customer_id``, ``event_date``, ``event``, ``value`` (the amount or the window's spend),
        ``baseline`` (surge: mean spend of the two earlier windows), ``n_now`` / ``n_before``
        (surge: transaction counts; movements: qualifying transactions that day),
        ``amount_usd`` (FX). ``attrs["skipped"]`` maps skipped rules to the reason.
    """
    from .spark_progress import stage_progress

    rules = EventRules.from_params(rules)
    start, end = to_date("start", start), to_date("end", end)
    if start > end:
        raise ParamsError(f"start must be on or before end ({end}); got {start}")
    with stage_progress(bank, "event rules"):   # progress lines of a Spark bank's jobs (none on DuckDB)
        out, skipped = _detect(bank, start, end, rules, customers_only)
    out.attrs["skipped"] = skipped
    return out


def _detect(bank, start: _dt.date, end: _dt.date, rules: EventRules, customers_only,
            as_runs: bool = False) -> tuple[pd.DataFrame, dict]:
    """The rules' hits from ``start`` to ``end`` and the skipped rules; see :func:`detect_events`.

    ``as_runs``: the hits as runs (:func:`_surge_runs`; the other rules' hits are runs of one
    day), with ``days`` after ``event_date``; else one row per customer, day and event.
    """
    parts, skipped = [], {}
    has_txn, has_cust = bank.has("transactions"), bank.has("customers")
    d0, d1 = f"DATE {_lit(start.isoformat())}", f"DATE {_lit(end.isoformat())}"
    no_category = has_txn and "category" not in set(bank.columns.get("transactions", []))
    for ev in rules.events:
        if no_category and ev in CATEGORY_EVENTS:   # an optional column absent: the rule is skipped, not an error
            skipped[ev] = "transactions have no 'category' column (the rule needs it)"
            continue
        only = ""
        if customers_only is not None:
            ids = list(customers_only.get(ev, ()))
            if not ids:
                continue
            view = f"_events_only_{ev}"
            bank.con.register(view, pd.DataFrame({"customer_id": pd.Series(ids, dtype="str")}))
            only = f"CAST(customer_id AS VARCHAR) IN (SELECT customer_id FROM {view})"
        try:
            if ev in MATURITY_EVENTS:
                if not bank.has("holdings"):
                    skipped[ev] = "no holdings table (product holdings with maturity / expiry dates)"
                    continue
                parts.append(_maturities(bank, ev, start, end, rules, only))
                continue
            if ev == "birthday":
                if not has_cust:
                    skipped[ev] = "no customers table"
                    continue
                parts.append(_birthdays(bank, start, end, rules.birthday_lead_days, only))
                continue
            if not has_txn:
                skipped[ev] = "no transactions table"
                continue
            if ev == "spend_surge":
                surge = _surge_runs if as_runs else _surges
                parts.append(surge(bank, start, end, rules, only))
            else:
                parts.append(_single_transaction_events(bank, ev, d0, d1, rules, only))
        finally:
            if only:
                bank.con.unregister(view)
    parts = [p for p in parts if len(p)]
    if parts:
        out = pd.concat(parts, ignore_index=True)
    else:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in _COLUMNS})
        out["customer_id"] = out["customer_id"].astype("str")
        out["event"] = out["event"].astype("str")
        out["event_date"] = pd.Series(dtype="datetime64[s]")
    out = out[_COLUMNS]
    out["event_date"] = pd.to_datetime(out["event_date"]).astype("datetime64[s]")
    if as_runs:
        days = pd.concat([p["days"] if "days" in p.columns else pd.Series(1, index=p.index) for p in parts],
                         ignore_index=True) if parts else pd.Series(dtype="int64")
        out.insert(2, "days", days.to_numpy(dtype=np.int64))
    out = out.sort_values(["event_date", "event", "customer_id"], kind="stable").reset_index(drop=True)
    return out, skipped


def _single_transaction_events(bank, ev: str, d0: str, d1: str, rules: EventRules, only: str = "") -> pd.DataFrame:
    """large_inflow / large_outflow / fx_purchase: the largest qualifying transaction per customer and day."""
    if ev == "fx_purchase":
        where = (f"direction = 'out' AND category = 'fx_purchase' "
                 f"AND amount >= {float(rules.fx_min_usd)!r} * {float(rules.fx_rate)!r}")
    elif ev == "large_inflow":
        where = f"direction = 'in' AND category IN ({_sql_list(rules.movement_categories)}) " \
                f"AND amount >= {float(rules.large_inflow_min)!r}"
    else:
        where = f"direction = 'out' AND category IN ({_sql_list(rules.movement_categories)}) " \
                f"AND amount >= {float(rules.large_outflow_min)!r}"
    df = bank.con.execute(f"""
        SELECT CAST(customer_id AS VARCHAR) AS customer_id, txn_date AS event_date, {_lit(ev)} AS event,
               max(amount) AS value, CAST(NULL AS DOUBLE) AS baseline, CAST(count(*) AS DOUBLE) AS n_now,
               CAST(NULL AS DOUBLE) AS n_before,
               {'max(amount) / ' + repr(float(rules.fx_rate)) if ev == 'fx_purchase' else 'CAST(NULL AS DOUBLE)'}
                   AS amount_usd
        FROM transactions WHERE txn_date BETWEEN {d0} AND {d1} AND {where} {('AND ' + only) if only else ''}
        GROUP BY ALL""").df()
    return df


def _maturities(bank, ev: str, start: _dt.date, end: _dt.date, rules: EventRules, only: str = "") -> pd.DataFrame:
    """Holdings of the event's product maturing (expiring) ``lead`` days after each day: one event per
    customer and day, value = the amount maturing (time deposits: holdings of at least ``td_maturity_min``)."""
    if "maturity_date" not in bank.columns.get("holdings", []):
        raise DataError("holdings: column 'maturity_date' is missing; the maturity and card-expiry rules need it")
    lead = int(rules.card_expiry_lead_days if ev == "card_expiry" else rules.maturity_lead_days)
    min_amt = float(rules.td_maturity_min) if ev == "time_deposit_maturity" else None
    return bank.con.execute(f"""
        SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(maturity_date - CAST($lead AS INTEGER) AS DATE) AS event_date,
               $ev AS event, sum(amount) AS value, CAST(NULL AS DOUBLE) AS baseline,
               CAST(count(*) AS DOUBLE) AS n_now, CAST(NULL AS DOUBLE) AS n_before, CAST(NULL AS DOUBLE) AS amount_usd
        FROM holdings
        WHERE product = $product AND maturity_date BETWEEN CAST($d0 AS DATE) + CAST($lead AS INTEGER)
                                                  AND CAST($d1 AS DATE) + CAST($lead AS INTEGER)
              {'AND amount >= CAST($min_amt AS DOUBLE)' if min_amt is not None else ''} {('AND ' + only) if only else ''}
        GROUP BY ALL""", {"lead": lead, "ev": ev, "product": MATURITY_EVENTS[ev], "d0": start, "d1": end,
                          **({"min_amt": min_amt} if min_amt is not None else {})}).df()


def _surge_hits_sql(start: _dt.date, end: _dt.date, rules: EventRules, only: str = "") -> str:
    """The spend-surge rule from ``start`` to ``end`` as SQL: a ``WITH`` list ending in ``hits``, no final ``SELECT``.

    One pass over the window, not one join per day: a customer's three window sums change only
    on the days a spend day enters a window or moves on (its day, and w, 2w and 3w days later).
    Each spend day adds its amount and count to a window on the day it enters and takes them off
    on the day it leaves (four change rows: at +0, +w, +2w, +3w); the change rows of a customer,
    summed per day (those before ``start`` on ``start``), are the probes, and running sums over
    them give the three window sums at every probe, a state which holds until the customer's next
    probe. ``hits`` holds the probes whose state meets the rule: ``customer_id``, ``day`` (the
    probe), ``until`` (the customer's next probe, or ``end`` + 1: exclusive), ``value``,
    ``baseline``, ``n_now``, ``n_before``; so the rule holds on every day of ``[day, until)`` with
    these values, and on no other day of the window.

    Sums are exact (amounts as DECIMAL cents), so the result does not depend on row order or
    DuckDB's thread count: a DOUBLE sum can differ in its last bit between runs and flip a
    comparison that sits on a threshold.
    """
    w = int(rules.surge_window_days)
    first = start - _dt.timedelta(days=3 * w - 1)
    ra, rc = float(rules.surge_amount_ratio), float(rules.surge_count_ratio)
    d0, d1 = f"DATE {_lit(start.isoformat())}", f"DATE {_lit(end.isoformat())}"
    c = "PARTITION BY customer_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"   # running sums
    return f"""
        WITH daily AS (
            SELECT CAST(customer_id AS VARCHAR) AS customer_id, txn_date AS day,
                   sum(CAST(amount AS DECIMAL(18, 2))) AS amt, count(*) AS n
            FROM transactions
            WHERE direction = 'out' AND category IN ({_sql_list(rules.spend_categories)}) {('AND ' + only) if only else ''}
              AND txn_date BETWEEN DATE {_lit(first.isoformat())} AND {d1}
            GROUP BY ALL),
        changes AS (   -- a spend day enters / leaves the windows: last w days (0), days w+1..2w (1), 2w+1..3w (2)
            SELECT customer_id, CASE WHEN day + o.k < {d0} THEN {d0} ELSE day + o.k END AS day,
                   amt * o.s0 AS da0, amt * o.s1 AS da1, amt * o.s2 AS da2,
                   CAST(n * o.s0 AS BIGINT) AS dn0, CAST(n * (o.s1 + o.s2) AS BIGINT) AS dn12
            FROM daily CROSS JOIN (VALUES (0, 1, 0, 0), ({w}, -1, 1, 0), ({2 * w}, 0, -1, 1), ({3 * w}, 0, 0, -1))
                AS o(k, s0, s1, s2)
            WHERE day + o.k <= {d1}),
        probes AS (   -- days on which a window sum of the customer changes, inside [start, end]
            SELECT customer_id, day, sum(da0) AS da0, sum(da1) AS da1, sum(da2) AS da2,
                   CAST(sum(dn0) AS BIGINT) AS dn0, CAST(sum(dn12) AS BIGINT) AS dn12
            FROM changes GROUP BY customer_id, day),
        per AS (   -- the baseline is a DOUBLE on both engines (Spark would keep the exact DECIMAL quotient)
            SELECT customer_id, day,
                   coalesce(lead(day) OVER (PARTITION BY customer_id ORDER BY day), {d1} + 1) AS until,
                   sum(da0) OVER ({c}) AS value,
                   CAST(sum(da1) OVER ({c}) + sum(da2) OVER ({c}) AS DOUBLE) / 2 AS baseline,
                   CAST(sum(dn0) OVER ({c}) AS BIGINT) AS n_now,
                   CAST(sum(dn12) OVER ({c}) AS BIGINT) / 2 AS n_before
            FROM probes),
        hits AS (
            SELECT * FROM per
            WHERE baseline > 0 AND value > baseline * (1 + {ra!r}) AND n_now > n_before * (1 + {rc!r})
              AND value >= {float(rules.surge_min_spend)!r}
              AND baseline >= {float(rules.surge_min_base_spend)!r} AND n_before >= {float(rules.surge_min_base_count)!r})"""


def _surge_runs(bank, start: _dt.date, end: _dt.date, rules: EventRules, only: str = "") -> pd.DataFrame:
    """Spend surge from ``start`` to ``end`` as runs: the rule holds on ``days`` consecutive days from ``event_date``.

    The rows of :func:`_surge_hits_sql`'s ``hits`` in the columns of :func:`detect_events` plus ``days``
    (after ``event_date``); a customer's runs do not overlap, and two of them may touch (the state
    changed, the rule still holds). :func:`expand_runs` gives one row per day.
    """
    from .features import _configure, _restore

    sql = _surge_hits_sql(start, end, rules, only) + """
        SELECT customer_id, day AS event_date, CAST(date_diff('day', day, until) AS BIGINT) AS days,
               'spend_surge' AS event, CAST(value AS DOUBLE) AS value, CAST(baseline AS DOUBLE) AS baseline,
               CAST(n_now AS DOUBLE) AS n_now, CAST(n_before AS DOUBLE) AS n_before,
               CAST(NULL AS DOUBLE) AS amount_usd
        FROM hits"""
    if not _on_duckdb(bank):
        runs = bank.con.execute(sql).df()
    else:
        old = _configure(bank.con)
        try:
            runs = bank.con.execute(sql).df()
        finally:
            _restore(bank.con, old)
    runs["event_date"] = pd.to_datetime(runs["event_date"]).astype("datetime64[s]")
    runs["days"] = runs["days"].astype("int64")
    return runs


def _surges(bank, start: _dt.date, end: _dt.date, rules: EventRules, only: str = "") -> pd.DataFrame:
    """Spend surge on each day: the last w days vs the mean of the two w-day windows before.

    One row per customer and day the rule holds: :func:`_surge_runs` expanded (:func:`expand_runs`);
    so the result for a window equals the daily job run on each of its days (tested).
    """
    return expand_runs(_surge_runs(bank, start, end, rules, only))


def _spread(rows: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``rows`` repeated ``counts`` times, with the repeat's number (0, 1, ...) beside it."""
    out = np.repeat(rows, counts)
    return out, np.arange(len(out), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)


def expand_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per customer, day and event from rule hits as runs (the form of :func:`detect_events`).

    Parameters
    ----------
    runs : DataFrame
        Rule hits with ``event_date`` (a run's first day) and ``days`` (its length, >= 1), e.g. the
        ``triggered`` of :func:`run_daily_job`; a frame without ``days`` is returned as it is.

    Returns
    -------
    DataFrame
        Each run repeated on each of its days (``event_date`` the day, the run's values), without
        ``days``, sorted by day, event and customer as :func:`detect_events`.
    """
    if "days" not in runs.columns:
        return runs
    n = runs["days"].to_numpy(dtype=np.int64)
    if (n < 1).any():
        raise DataError("runs: days must be >= 1")
    rows, offset = _spread(np.arange(len(runs)), n)
    out = runs.drop(columns="days").iloc[rows].reset_index(drop=True)
    first = pd.to_datetime(out["event_date"]).to_numpy().astype("datetime64[D]")
    out["event_date"] = (first + offset.astype("timedelta64[D]")).astype("datetime64[s]")
    out = out.sort_values(["event_date", "event", "customer_id"], kind="stable").reset_index(drop=True)
    out.attrs = dict(runs.attrs)
    return out


def _birthdays(bank, start: _dt.date, end: _dt.date, lead: int, only: str = "") -> pd.DataFrame:
    """Customers whose birthday falls ``lead`` days after each day (29 Feb -> 28 Feb in common years)."""
    if "birth_date" not in bank.columns.get("customers", []):
        raise DataError("customers: column 'birth_date' is missing; the birthday rule needs it "
                        "(leave birthday out of events to run without it)")
    return bank.con.execute(f"""
        WITH days AS (SELECT d AS day, d + {int(lead)} AS bday FROM {_sql_days(start, end)}),
        keyed AS (
            SELECT day, month(bday) AS m, day(bday) AS dd, 1 AS pass FROM days
            UNION ALL   -- in a common year, 28 February also greets the 29-February birthdays
            SELECT day, 2, 29, 2 FROM days
            WHERE month(bday) = 2 AND day(bday) = 28 AND NOT ((year(bday) % 4 = 0 AND year(bday) % 100 <> 0)
                                                               OR year(bday) % 400 = 0))
        SELECT CAST(c.customer_id AS VARCHAR) AS customer_id, k.day AS event_date, 'birthday' AS event,
               CAST(year(k.day + {int(lead)}) - year(c.birth_date) AS DOUBLE) AS value,
               CAST(NULL AS DOUBLE) AS baseline, CAST(NULL AS DOUBLE) AS n_now, CAST(NULL AS DOUBLE) AS n_before,
               CAST(NULL AS DOUBLE) AS amount_usd
        FROM customers c JOIN keyed k ON month(c.birth_date) = k.m AND day(c.birth_date) = k.dd
        WHERE c.birth_date IS NOT NULL AND c.birth_date <= k.day
              {('AND ' + only.replace('customer_id', 'c.customer_id', 1)) if only else ''}""").df()


def apply_cooldown(events: pd.DataFrame, cooldown_days: int) -> pd.DataFrame:
    """Keep a customer's event only if the same event was not kept in the ``cooldown_days`` before.

    Greedy in date order per (customer, event): the first trigger is kept, later triggers
    within ``cooldown_days`` days of the last kept one are dropped. ``0`` keeps everything.
    """
    cooldown_days = require_int("cooldown_days", cooldown_days, 0)
    if events.empty or cooldown_days == 0:
        return events.reset_index(drop=True)
    ev = events.sort_values(["customer_id", "event", "event_date"], kind="stable")
    day = ev["event_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    key = (ev["customer_id"].astype(str) + "\x1f" + ev["event"].astype(str)).to_numpy()
    new_group = np.ones(len(ev), dtype=bool)
    new_group[1:] = key[1:] != key[:-1]
    keep = np.zeros(len(ev), dtype=bool)
    last = 0
    for i, (d, first) in enumerate(zip(day.tolist(), new_group.tolist())):
        if first or d - last > cooldown_days:
            keep[i] = True
            last = d
    out = ev[keep]
    return out.sort_values(["event_date", "event", "customer_id"], kind="stable").reset_index(drop=True)


def apply_cooldown_on_runs(runs: pd.DataFrame, cooldown_days: int) -> pd.DataFrame:
    """:func:`apply_cooldown` of rule hits given as runs, without expanding the runs into days.

    Greedy in date order per (customer, event), as :func:`apply_cooldown`: a run from day ``a`` to
    day ``b`` with ``L`` the last day kept before it (none: no cooldown) keeps ``max(a, L +
    cooldown_days + 1)`` and every ``cooldown_days + 1`` days after it up to ``b``; runs of the same
    customer and event that touch (the values changed, the rule still holds) chain through ``L``.
    Vectorised over the (customer, event) groups: one numpy step per run position within a group.

    Parameters
    ----------
    runs : DataFrame
        Rule hits in the columns of :func:`detect_events` plus ``days`` (a run's length from
        ``event_date``; a frame without it is one-day runs); a customer's runs of an event do not
        overlap.
    cooldown_days : int
        ``0`` keeps every day.

    Returns
    -------
    DataFrame
        The kept days, one row per customer, day and event with the values of the run holding the day
        (no ``days``), sorted by day, event and customer: ``apply_cooldown(expand_runs(runs))``.
    """
    cooldown_days = require_int("cooldown_days", cooldown_days, 0)
    if "days" not in runs.columns:
        runs = runs.assign(days=np.ones(len(runs), dtype=np.int64))
    n_days = runs["days"].to_numpy(dtype=np.int64)
    if (n_days < 1).any():
        raise DataError("runs: days must be >= 1")
    step = cooldown_days + 1
    customer = pd.factorize(runs["customer_id"].astype(str))[0]
    event = pd.factorize(runs["event"].astype(str))[0]
    first_day = pd.to_datetime(runs["event_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    order = np.lexsort((first_day, event, customer))
    a, b = first_day[order], first_day[order] + n_days[order] - 1
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = (customer[order][1:] != customer[order][:-1]) | (event[order][1:] != event[order][:-1])
    group = np.cumsum(new_group) - 1
    position = np.arange(len(order)) - np.flatnonzero(new_group)[group] if len(order) else group
    last_kept = np.full(int(new_group.sum()), np.iinfo(np.int64).min // 4, dtype=np.int64)
    kept_first = np.zeros(len(order), dtype=np.int64)
    kept_n = np.zeros(len(order), dtype=np.int64)
    by_position = np.argsort(position, kind="stable")
    done = 0
    for count in np.bincount(position).tolist():   # the k-th run of every group, for k = 0, 1, ...
        idx = by_position[done:done + count]
        done += count
        g = group[idx]
        f = np.maximum(a[idx], last_kept[g] + step)
        n = np.where(f <= b[idx], (b[idx] - f) // step + 1, 0)
        kept_first[idx], kept_n[idx] = f, n
        last_kept[g] = np.where(n > 0, f + (n - 1) * step, last_kept[g])
    rows, offset = _spread(order, kept_n)
    day = np.repeat(kept_first, kept_n) + offset * step
    out = runs.drop(columns="days").iloc[rows].reset_index(drop=True)
    out["event_date"] = day.astype("datetime64[D]").astype("datetime64[s]")
    out = out.sort_values(["event_date", "event", "customer_id"], kind="stable").reset_index(drop=True)
    out.attrs = dict(runs.attrs)
    return out


def run_daily_job(bank, start, end, rules: EventRules | dict | None = None,
                  warmup_days: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the daily job would have produced on each day from ``start`` to ``end``.

    The rules run from ``warmup_days`` before ``start`` so that the cooldown has history: without
    it the first day would carry every surge already in progress. The warm-up runs only for the
    customers with an event in the window (the cooldown of a customer's event depends only on that
    customer's earlier events of the same kind). The spend surge, which holds on many consecutive
    days, stays in runs throughout (:func:`apply_cooldown_on_runs`): no row per surge day is made.

    Parameters
    ----------
    bank : clientlens.data.BankData or clientlens.engine.SparkBank
    start, end : date or str
        The back-test window (a daily run: ``start == end``).
    rules : EventRules or dict, optional
    warmup_days : int, optional
        Days run before ``start`` for the cooldown; default the cooldown plus three surge windows.

    Returns
    -------
    triggered : DataFrame
        Every rule hit from ``start`` to ``end`` as runs: the columns of :func:`detect_events` plus
        ``days`` after ``event_date`` (the run's first day): the rule holds with these values on
        ``days`` consecutive days (a spend surge: until the customer's window sums change; every
        other rule: one day). Sorted by first day, event and customer; :func:`expand_runs` gives
        :func:`detect_events`' one row per customer, day and event, and :func:`rule_hits` the hits
        per event.
    kept : DataFrame
        The hits left after the cooldown (:func:`apply_cooldown` of every hit from the warm-up on),
        days ``start`` to ``end``: one row per customer, day and event, as :func:`detect_events`.

    Both carry ``attrs["skipped"]`` (rules skipped and why) and ``attrs["warmup_days"]``.
    """
    from .spark_progress import stage_progress

    rules = EventRules.from_params(rules)
    start, end = to_date("start", start), to_date("end", end)
    if start > end:
        raise ParamsError(f"start must be on or before end ({end}); got {start}")
    if warmup_days is None:
        warmup_days = int(rules.cooldown_days) + 3 * int(rules.surge_window_days)
    warmup_days = require_int("warmup_days", warmup_days, 0)
    with stage_progress(bank, "event rules"):   # progress lines of a Spark bank's jobs (none on DuckDB)
        triggered, skipped = _detect(bank, start, end, rules, None, as_runs=True)
    warm = triggered.iloc[:0]
    if warmup_days and len(triggered):
        need = {e: g.unique() for e, g in triggered.groupby("event")["customer_id"]}
        with stage_progress(bank, "event rules"):
            warm, _ = _detect(bank, start - _dt.timedelta(days=int(warmup_days)), start - _dt.timedelta(days=1),
                              rules, need, as_runs=True)
    both = pd.concat([warm, triggered], ignore_index=True) if len(warm) else triggered
    kept = apply_cooldown_on_runs(both, int(rules.cooldown_days))
    kept = kept[kept["event_date"] >= pd.Timestamp(start)].reset_index(drop=True)
    triggered = triggered.reset_index(drop=True)
    triggered.attrs = {"skipped": skipped, "warmup_days": int(warmup_days)}
    kept.attrs = dict(triggered.attrs)
    return triggered, kept


def rule_hits(triggered: pd.DataFrame) -> pd.Series:
    """Rule hits per event: the days of ``triggered``'s runs (:func:`run_daily_job`), or its rows without ``days``."""
    if "days" in triggered.columns:
        return triggered.groupby("event")["days"].sum().astype("int64")
    return triggered.groupby("event").size()


#: the event columns a task's reason reads (:func:`_reason`)
_REASON_FIELDS = ("event", "value", "baseline", "n_now", "n_before", "amount_usd")


def _reason(row, rules: EventRules) -> str:
    e = row["event"]
    if e == "spend_surge":
        up = row["value"] / row["baseline"] - 1
        return t("spend {now} in the last {days} days vs {before} before (+{up:.0%}), {n_now:.0f} vs "
                 "{n_before:.1f} transactions", now=money(row["value"]), days=rules.surge_window_days, before=money(row["baseline"]),
                 up=up, n_now=row["n_now"], n_before=row["n_before"])
    if e == "large_inflow":
        return t("incoming transfer of {amount}", amount=money(row["value"]))
    if e == "large_outflow":
        return t("outgoing transfer of {amount}", amount=money(row["value"]))
    if e == "fx_purchase":
        return t("FX purchase of USD {usd}", usd=money(row["amount_usd"]))
    if e == "wealth_maturity":
        return t("wealth product of {amount} matures in {days} days", amount=money(row["value"]),
                 days=rules.maturity_lead_days)
    if e == "time_deposit_maturity":
        return t("time deposit of {amount} matures in {days} days", amount=money(row["value"]),
                 days=rules.maturity_lead_days)
    if e == "card_expiry":
        return t("card expires in {days} days", days=rules.card_expiry_lead_days)
    return t("birthday in {days} days", days=rules.birthday_lead_days)


def campaign_tasks(events: pd.DataFrame, customers: pd.DataFrame | None, rules: EventRules | dict | None = None, *,
                   exclude_opt_out: bool = True, clv: pd.DataFrame | None = None, allow_raw_ids: bool = False,
                   catalogue=None) -> pd.DataFrame:
    """Campaign management: events (after cooldown) -> contact tasks.

    Steps, each counted in ``attrs["funnel"]``: opt-outs removed; one task per customer and
    event day (the event first in ``rules.priority`` wins; the others are listed in
    ``also``); channel by rule (``fx_purchase`` from ``fx_rm_min_usd`` goes to the RM; an app
    task for a customer without the mobile app goes by SMS); scheduled date (RM tasks
    ``rm_lead_days`` later); at most ``caps[channel]`` tasks per channel and scheduled day,
    highest priority first, then the larger ``value``; tasks over the cap are dropped.

    Parameters
    ----------
    events : DataFrame
        From :func:`detect_events` (usually after :func:`apply_cooldown`).
    customers : DataFrame or None
        ``customer_id`` with ``marketing_opt_out`` and ``channel_mobile`` (both optional;
        without ``marketing_opt_out`` nobody is removed and ``exclude_opt_out`` must be False).
    rules : EventRules or dict, optional
    exclude_opt_out : bool
        Remove customers who refused marketing contact (compliance; keep True).
    clv : DataFrame, optional
        ``customer_id`` or ``customer_id_masked`` (masked with the id key), ``clv`` and optionally
        ``clv_tier`` (the CLV report's ``clv.parquet``): ranks tasks of equal priority within a cap
        and adds ``clv_tier`` to the tasks.
    allow_raw_ids
        Raw ids only when ``allow_raw_ids``; otherwise ``customer_id_masked``.
    catalogue : clientlens.offers.Catalogue, optional
        Suitability: events whose ``product`` is above the customer's allowed risk level
        (``customers.risk_appetite``) are removed before the one-task-per-day step (so another event
        of that day can still become the task), counted as ``unsuitable``; the tasks then carry
        ``risk_appetite`` and ``product_risk`` (the suitability record).

    Returns
    -------
    DataFrame
        ``scheduled_date``, ``event_date``, id column, ``event``, ``channel``, ``priority``, ``reason``,
        ``action``, ``also``; sorted by scheduled date, channel, priority, value.
    """
    from .privacy import MASKED_ID, mask_ids

    rules = EventRules.from_params(rules)
    missing = [c for c in ("customer_id", "event_date", "event", "value") if c not in events.columns]
    if missing:
        raise DataError(f"events: column(s) {missing} missing; pass the output of detect_events")
    ev = events.copy()
    ev["customer_id"] = ev["customer_id"].astype(str)
    funnel = {"events": int(len(ev))}
    cust = None
    if customers is not None:
        if "customer_id" not in customers.columns:
            raise DataError("customers: column 'customer_id' is missing")
        cust = customers.assign(customer_id=customers["customer_id"].astype(str)).set_index("customer_id")
    if exclude_opt_out:
        if cust is None or "marketing_opt_out" not in cust.columns:
            raise DataError("customers: column 'marketing_opt_out' is missing; set exclude_opt_out to false only "
                            "if the bank records opt-outs elsewhere")
        opt = cust["marketing_opt_out"].reindex(ev["customer_id"]).fillna(False).astype(bool).to_numpy()
        funnel["opted_out"] = int(opt.sum())
        ev = ev[~opt]
    ev["product"] = ev["event"].map(rules.product).fillna("").astype(str)
    if catalogue is not None:
        appetite = (cust["risk_appetite"].reindex(ev["customer_id"]).to_numpy(dtype=object)
                    if cust is not None and "risk_appetite" in cust.columns else np.full(len(ev), None, dtype=object))
        ok = catalogue.suitable(appetite, ev["product"].to_numpy(dtype=object))
        funnel["unsuitable"] = int((~ok).sum())
        ev["risk_appetite"] = pd.Series(appetite, index=ev.index, dtype="object").fillna("").astype(str)
        ev = ev[ok]
    # one task per customer and day: the highest-priority event
    prio = {e: i + 1 for i, e in enumerate(rules.priority)}
    ev["priority"] = ev["event"].map(prio).astype("int64")
    ev = ev.sort_values(["event_date", "customer_id", "priority", "value"], ascending=[True, True, True, False],
                        kind="stable")
    # the other events of the same customer and day, in priority order (joined for the few that have any)
    extra = ev.duplicated(["event_date", "customer_id"], keep="first").to_numpy()
    also = ev[extra].groupby(["event_date", "customer_id"], sort=False)["event"].agg(", ".join)
    ev = ev[~extra].copy()
    funnel["deduplicated"] = funnel["events"] - funnel.get("opted_out", 0) - funnel.get("unsuitable", 0) - len(ev)
    ev["also"] = also.reindex(pd.MultiIndex.from_frame(ev[["event_date", "customer_id"]])).fillna("").to_numpy()
    # channel and schedule
    chan = ev["event"].map(rules.channel).to_numpy(dtype=object)
    # compared in CNY, as the detection rule does (amount >= USD threshold x rate), so USD 30,000 at 7.10
    # (213,000 CNY) is not lost to the rounding of 213,000 / 7.10
    fx_rm = (ev["event"] == "fx_purchase").to_numpy() & \
        (ev["value"].fillna(0).to_numpy() >= float(rules.fx_rm_min_usd) * float(rules.fx_rate))
    chan[fx_rm] = "rm"
    if cust is not None and "channel_mobile" in cust.columns:
        mobile = cust["channel_mobile"].reindex(ev["customer_id"]).fillna(False).astype(bool).to_numpy()
        chan[(chan == "app") & ~mobile] = "sms"
    ev["channel"] = chan.astype(str)
    lead = np.where(ev["channel"].to_numpy() == "rm", int(rules.rm_lead_days), 0)
    ev["scheduled_date"] = (ev["event_date"] + pd.to_timedelta(lead, unit="D")).astype("datetime64[s]")
    # masked ids, computed once: the CLV join (masked artefact) and the output (allow_raw_ids false)
    if not allow_raw_ids or (clv is not None and "customer_id" not in clv.columns):
        ev["_masked"] = mask_ids(ev["customer_id"].to_numpy()).to_numpy()
    # caps per channel and scheduled day: priority, then CLV (unknown last), then amount
    if clv is not None:
        if "clv" not in clv.columns or not {"customer_id", MASKED_ID} & set(clv.columns):
            raise DataError(f"clv: columns clv and customer_id (or {MASKED_ID}) are needed; got {list(clv.columns)}")
        # join on raw ids when the CLV table has them, else on the masked ids (same key)
        by = "customer_id" if "customer_id" in clv.columns else MASKED_ID
        keys = ev["customer_id"] if by == "customer_id" else ev["_masked"]
        c = clv.assign(**{by: clv[by].astype(str)}).drop_duplicates(by).set_index(by)
        ev["_clv"] = pd.to_numeric(c["clv"], errors="coerce").reindex(keys.to_numpy()).fillna(-np.inf).to_numpy()
        if "clv_tier" in c.columns:
            ev["clv_tier"] = c["clv_tier"].astype(str).reindex(keys.to_numpy()).fillna("none").to_numpy()
    else:
        ev["_clv"] = 0.0
    ev = _apply_caps(ev, rules)
    funnel["over_cap"] = int((~ev["_kept"]).sum())
    funnel["delayed"] = int((ev["_kept"] & (ev["delay_days"] > 0)).sum())
    ev = ev[ev["_kept"]].sort_values(["scheduled_date", "channel", "priority", "_clv", "value", "customer_id"],
                                     ascending=[True, True, True, False, False, True], kind="stable")
    funnel["tasks"] = int(len(ev))
    out = pd.DataFrame({"scheduled_date": ev["scheduled_date"].to_numpy(), "event_date": ev["event_date"].to_numpy()})
    id_col = "customer_id" if allow_raw_ids else "customer_id_masked"
    out[id_col] = ev["customer_id" if allow_raw_ids else "_masked"].to_numpy()
    out["event"] = ev["event"].to_numpy()
    out["product"] = ev["product"].to_numpy()
    if catalogue is not None:   # the suitability record: the customer's appetite beside the product's level
        out["risk_appetite"] = ev["risk_appetite"].to_numpy()
        out["product_risk"] = [f"R{catalogue.risk_level(p)}" if p and catalogue.risk_level(p) else ""
                               for p in ev["product"].tolist()]
    out["channel"] = ev["channel"].to_numpy()
    out["priority"] = ev["priority"].to_numpy()
    out["value"] = ev["value"].to_numpy()
    out["delay_days"] = ev["delay_days"].to_numpy()
    if "clv_tier" in ev.columns:
        out["clv_tier"] = ev["clv_tier"].to_numpy()
    out["reason"] = [_reason(r, rules) for r in ev[[c for c in _REASON_FIELDS if c in ev.columns]].to_dict("records")]
    out["action"] = ev["event"].map(_ACTIONS).map(lambda a: t(a) if isinstance(a, str) else a).to_numpy()
    out["also"] = ev["also"].fillna("").to_numpy()
    out.attrs["funnel"] = funnel
    return out


def _apply_caps(ev: pd.DataFrame, rules: EventRules) -> pd.DataFrame:
    """Daily caps per channel, with tasks over a cap waiting up to ``rules.max_delay_days``.

    Day by day, the tasks due (new ones and those waiting) compete per channel: priority, then
    CLV, then amount, then id; the first ``caps[channel]`` go out that day, the others wait for
    the next day, and a task that would go out more than ``max_delay_days`` late is dropped.
    Adds ``_kept``, ``delay_days`` and moves ``scheduled_date`` to the day the task goes out.
    """
    ev = ev.copy()
    ev["delay_days"] = 0
    ev["_kept"] = False
    cap = ev["channel"].map(lambda c: rules.caps.get(c, np.inf)).to_numpy(dtype=float)
    if len(ev) == 0 or np.isinf(cap).all():
        ev["_kept"] = True
        return ev
    due = ev["scheduled_date"].to_numpy().astype("datetime64[D]")
    order = np.lexsort((ev["customer_id"].to_numpy(), -ev["value"].to_numpy(dtype=float),
                        -ev["_clv"].to_numpy(dtype=float), ev["priority"].to_numpy()))
    rank_key = np.empty(len(ev), dtype=np.int64)
    rank_key[order] = np.arange(len(ev))          # position in the priority order
    chan = ev["channel"].to_numpy()
    out_day = np.full(len(ev), np.datetime64("NaT"), dtype="datetime64[D]")
    waiting = np.zeros(len(ev), dtype=bool)
    max_delay = int(rules.max_delay_days)
    days = np.arange(due.min(), due.max() + np.timedelta64(max_delay + 1, "D"), dtype="datetime64[D]")
    for day in days:
        cand = waiting | (due == day)
        cand &= (day - due).astype(int) <= max_delay
        waiting &= cand                              # too late: no longer waiting (dropped)
        if not cand.any():
            continue
        idx = np.flatnonzero(cand)
        for ch in np.unique(chan[idx]):
            members = idx[chan[idx] == ch]
            members = members[np.argsort(rank_key[members], kind="stable")]
            go = members[: int(min(cap[members[0]], len(members)))]
            out_day[go] = day
            waiting[members] = True
            waiting[go] = False
    kept = ~np.isnat(out_day)
    ev["_kept"] = kept
    ev["delay_days"] = np.where(kept, (out_day - due).astype("timedelta64[D]").astype(np.int64), 0)
    ev["scheduled_date"] = np.where(kept, out_day.astype("datetime64[s]"), ev["scheduled_date"].to_numpy())
    ev["scheduled_date"] = ev["scheduled_date"].astype("datetime64[s]")
    return ev


def daily_counts(frame: pd.DataFrame, date_col: str, by: str, start, end) -> pd.DataFrame:
    """Day x ``by`` counts of ``frame`` (every day from ``start`` to ``end``, zeros included)."""
    days = pd.date_range(to_date("start", start), to_date("end", end), freq="D")
    if frame.empty:
        return pd.DataFrame(index=pd.Index(days, name=date_col))
    t = pd.crosstab(pd.to_datetime(frame[date_col]), frame[by])
    t.index.name = date_col
    return t.reindex(days, fill_value=0).rename_axis(date_col)


def event_summary(triggered: pd.DataFrame, kept: pd.DataFrame, daily_events: pd.DataFrame, rules: EventRules,
                  n_customers: int) -> pd.DataFrame:
    """Per event run, in priority order: rule hits, events after the cooldown, customers, per-day volume.

    ``triggered`` is :func:`run_daily_job`'s (runs: a hit per day of each run, :func:`rule_hits`) or one
    row per hit (:func:`detect_events`). ``daily_events`` is :func:`daily_counts` of ``kept`` by event over
    the window (its length is the number of days); ``% of customers`` is the share of the ``n_customers``
    base with the event.
    """
    order = [e for e in rules.priority if e in rules.events]
    out = pd.DataFrame({
        "rule hits": rule_hits(triggered),
        "events": kept.groupby("event").size(),
        "customers": kept.groupby("event")["customer_id"].nunique(),
    }).reindex(order).fillna(0).astype(int)
    out.index.name = "event"
    out["per day (mean)"] = out["events"] / max(len(daily_events), 1)
    out["per day (max)"] = daily_events.max().reindex(order).fillna(0).astype(int) if len(daily_events) else 0
    out["% of customers"] = out["customers"] / max(int(n_customers), 1)
    return out


def channel_load(daily_tasks: pd.DataFrame, rules: EventRules, n_days: int) -> pd.DataFrame:
    """Per channel: tasks, mean and largest tasks per day over ``n_days``, the cap, days at the cap.

    ``daily_tasks`` is :func:`daily_counts` of the tasks by ``scheduled_date`` and ``channel``.
    """
    daily = daily_tasks.reindex(columns=list(CHANNELS), fill_value=0)
    out = pd.DataFrame({"tasks": daily.sum().astype(int)}, index=pd.Index(list(CHANNELS), name="channel"))
    out["per day (mean)"] = out["tasks"] / max(int(n_days), 1)
    out["per day (max)"] = daily.max().fillna(0).astype(int) if len(daily) else 0
    out["cap per day"] = [rules.caps.get(c) for c in CHANNELS]
    out["days at cap"] = [int((daily[c] >= rules.caps[c]).sum()) if c in rules.caps else 0 for c in CHANNELS]
    return out
