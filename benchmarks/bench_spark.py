"""engine: spark beside engine: duckdb (issue 16): the heavy stages on local Spark and on DuckDB.

Same machine, same demo bank, same SQL (the DuckDB statements transpiled by SQLGlot), at 250k,
500k and 1M customers (about 25M / 50M / 100M transactions). Each case runs three stages one after
the other in one process:

* ``wide_s``: the customer wide table (one row per customer comes to the driver);
* ``rfm_s``: the RFM summary of the CLV report (exact money sums);
* ``events_s``: the daily event job as scheduled in production (``history_days: 1``: every rule on
  the run date, the cooldown's warm-up for the customers with an event), rules as ``bench_events``.

``stages_spark@N`` runs on a local Spark (``local[*]``, 8 shuffle partitions, 6 GB driver); its
``session_s`` (JVM start-up) and ``load_s`` (registering the views) are reported apart.
``stages_duckdb@N``'s ``load_s`` is the DuckDB loader's (views and value checks). The peak memory is
the Python process's; the JVM's is not included. Skipped (error) without the spark extra or Java 17+.
"""
from __future__ import annotations

import time
from pathlib import Path

from benchmarks.harness import Case, demo_data

AS_OF = "2026-10-31"
SIZES = {"250k": 250_000, "500k": 500_000, "1M": 1_000_000}
EVENT_RULES = {"surge_min_spend": 3000.0, "max_delay_days": 2}   # as benchmarks/bench_events.py


def _prepare(params: dict, cache: Path) -> None:
    demo_data(params["customers"], params.get("seed", 42))


def _stages(bank, count_sql) -> dict:
    """Wide table, RFM summary and the daily event job on ``bank`` (either engine): seconds and sizes."""
    from clientlens.clv import rfm_summary
    from clientlens.engine import wide_table
    from clientlens.events import EventRules, event_window, rule_hits, run_daily_job

    t0 = time.perf_counter()
    wide = wide_table(bank, AS_OF)
    t1 = time.perf_counter()
    rfm = rfm_summary(bank, as_of=AS_OF)
    t2 = time.perf_counter()
    triggered, kept = run_daily_job(bank, *event_window(AS_OF, 1), EventRules.from_params(EVENT_RULES))
    t3 = time.perf_counter()
    n_txn = int(count_sql("SELECT count(*) FROM transactions"))
    return {"wide_s": round(t1 - t0, 2), "rfm_s": round(t2 - t1, 2), "events_s": round(t3 - t2, 2),
            "stages_s": round(t3 - t0, 2), "customers": len(wide), "rfm_customers": len(rfm.table),
            "rule_hits": int(rule_hits(triggered).sum()), "events": len(kept), "transactions": n_txn,
            "us_per_txn": {k: round(1e6 * v / n_txn, 3) for k, v in
                           (("wide", t1 - t0), ("rfm", t2 - t1), ("events", t3 - t2))}}


def _run_duckdb(params: dict, cache: Path) -> dict:
    from clientlens.data import load_bank

    data = demo_data(params["customers"], params.get("seed", 42))
    t0 = time.perf_counter()
    bank = load_bank(data)
    t1 = time.perf_counter()
    out = _stages(bank, lambda q: bank.con.execute(q).fetchall()[0][0])
    return {"load_s": round(t1 - t0, 2), **out}


def _run_spark(params: dict, cache: Path) -> dict:
    from clientlens import engine

    data = demo_data(params["customers"], params.get("seed", 42))
    t0 = time.perf_counter()
    spark = engine.spark_session(conf={"spark.driver.memory": "6g", "spark.ui.showConsoleProgress": "false"})
    t1 = time.perf_counter()
    bank = engine.open_spark_bank(spark, data)
    t2 = time.perf_counter()
    try:
        out = _stages(bank, lambda q: spark.sql(q).collect()[0][0])
    finally:
        spark.stop()
    return {"session_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2), **out}


CASES = [c for size, n in SIZES.items() for c in (
    Case("stages_duckdb", size, _run_duckdb, _prepare, params={"customers": n},
         target="reference for stages_spark"),
    Case("stages_spark", size, _run_spark, _prepare, params={"customers": n}, target="ratio to stages_duckdb"),
)]
