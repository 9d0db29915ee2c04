"""Event-rule benchmarks: the daily job on a large bank, and a 90-day back-test.

``event_daily_job@1M``: the demo bank with 1,000,000 customers (about 99M transactions) read from
Parquet; one day's run as scheduled in production (``history_days: 1``): every rule on the run
date, the cooldown's warm-up (120 days) for the customers with an event, campaign management.
No issue sets a target; a daily batch should fit comfortably in the night: <= 60 s, <= 8 GB.

``event_backtest_90d@20k``: the default demo, 90-day back-test as in ``make demo``'s report.
"""
from __future__ import annotations

import time

from benchmarks.harness import Case, demo_data

AS_OF = "2026-10-31"


def _prepare(params, cache):
    demo_data(params["demo_customers"])


def _run(params, cache):
    from clientlens.data import load_bank
    from clientlens.events import EventRules, campaign_tasks, event_window, rule_hits, run_daily_job

    rules = EventRules.from_params({"surge_min_spend": 3000.0, "max_delay_days": 2})
    t0 = time.perf_counter()
    bank = load_bank(demo_data(params["demo_customers"]), tables=["customers", "transactions"])
    t1 = time.perf_counter()
    start, end = event_window(AS_OF, params["history_days"])
    triggered, kept = run_daily_job(bank, start, end, rules)
    t2 = time.perf_counter()
    customers = bank.sql("SELECT customer_id, marketing_opt_out, channel_mobile FROM customers")
    tasks = campaign_tasks(kept, customers, rules)
    t3 = time.perf_counter()
    rows = int(bank.con.execute("SELECT count(*) FROM transactions").fetchall()[0][0])
    return {"transactions": rows, "customers": len(customers), "history_days": params["history_days"],
            "rule_hits": int(rule_hits(triggered).sum()), "events": len(kept), "tasks": len(tasks),
            "tasks_delayed": tasks.attrs["funnel"]["delayed"], "tasks_over_cap": tasks.attrs["funnel"]["over_cap"],
            "load_s": round(t1 - t0, 2), "rules_s": round(t2 - t1, 2), "campaign_s": round(t3 - t2, 2),
            **{f"events_{k}": int(v) for k, v in kept["event"].value_counts().items()}}


CASES = [
    Case("event_daily_job", "1M", _run, _prepare, {"demo_customers": 1_000_000, "history_days": 1},
         target="<= 60 s, <= 8 GB (no issue target: a nightly batch)"),
    Case("event_backtest_90d", "20k", _run, _prepare, {"demo_customers": 20_000, "history_days": 90},
         target="smoke"),
]
