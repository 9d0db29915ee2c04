"""engine: spark beside engine: duckdb (issue 16): the wide table on local Spark and on DuckDB.

Same machine, same demo bank, same SQL (the DuckDB statements transpiled by SQLGlot), at 250k,
500k and 1M customers (about 25M / 50M / 100M transactions). ``wide_spark@N`` runs on a local
Spark (``local[*]``, 8 shuffle partitions, 6 GB driver); its figure is split into ``session_s``
(JVM start-up), ``load_s`` (registering the views) and ``wide_s`` (the SQL plus collecting one row
per customer to the driver). The peak memory is the Python process's; the JVM's is not included.
Skipped (error) without the spark extra or Java 17+.
"""
from __future__ import annotations

import time
from pathlib import Path

from benchmarks.harness import Case, demo_data

AS_OF = "2026-10-31"
SIZES = {"250k": 250_000, "500k": 500_000, "1M": 1_000_000}


def _prepare(params: dict, cache: Path) -> None:
    demo_data(params["customers"], params.get("seed", 42))


def _run_duckdb(params: dict, cache: Path) -> dict:
    from clientlens.data import load_bank
    from clientlens.features import build_wide_table

    data = demo_data(params["customers"], params.get("seed", 42))
    t0 = time.perf_counter()
    bank = load_bank(data)
    t1 = time.perf_counter()
    wide = build_wide_table(bank, AS_OF, memory_limit="4GB")
    t2 = time.perf_counter()
    n_txn = int(bank.con.execute("SELECT count(*) FROM transactions").fetchall()[0][0])
    return {"load_s": round(t1 - t0, 2), "wide_s": round(t2 - t1, 2), "customers": len(wide),
            "transactions": n_txn, "us_per_txn": round(1e6 * (t2 - t1) / n_txn, 3)}


def _run_spark(params: dict, cache: Path) -> dict:
    from clientlens import engine

    data = demo_data(params["customers"], params.get("seed", 42))
    t0 = time.perf_counter()
    spark = engine.spark_session(conf={"spark.driver.memory": "6g", "spark.ui.showConsoleProgress": "false"})
    t1 = time.perf_counter()
    bank = engine.open_spark_bank(spark, data)
    t2 = time.perf_counter()
    wide = engine.wide_table(bank, AS_OF)
    t3 = time.perf_counter()
    n_txn = int(spark.sql("SELECT count(*) FROM transactions").collect()[0][0])
    spark.stop()
    return {"session_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2), "wide_s": round(t3 - t2, 2),
            "customers": len(wide), "transactions": n_txn, "us_per_txn": round(1e6 * (t3 - t2) / n_txn, 3)}


CASES = [c for size, n in SIZES.items() for c in (
    Case("wide_duckdb", size, _run_duckdb, _prepare, params={"customers": n}, target="reference for wide_spark"),
    Case("wide_spark", size, _run_spark, _prepare, params={"customers": n}, target="ratio to wide_duckdb"),
)]
