"""CLV benchmarks: RFM summary (DuckDB) vs lifetimes' summarizer, RFM at 100M rows, model fits at 1M customers."""
from __future__ import annotations

import time
from pathlib import Path

from benchmarks.harness import Case, demo_data


def _txn_1m_path(cache: Path) -> Path:
    return cache / "clv_txn_1m.parquet"


def _prepare_txn_1m(params, cache):
    """1M 'out' transaction rows from a cached demo bank (untimed)."""
    import duckdb

    out = _txn_1m_path(cache)
    if out.exists():
        return
    src = demo_data(params["demo_customers"]) / "transactions.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT customer_id, txn_date, amount FROM read_parquet('{src}') WHERE direction = 'out' "
        f"ORDER BY customer_id, txn_date LIMIT {params['rows']}) TO '{out}' (FORMAT parquet)").fetchall()


def _run_rfm_vs_lifetimes(params, cache):
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    from clientlens.clv import rfm_summary

    df = pd.read_parquet(_txn_1m_path(cache))
    df["txn_date"] = pd.to_datetime(df["txn_date"])
    as_of = str(df["txn_date"].max().date())
    t0 = time.perf_counter()
    ours = rfm_summary(df, as_of=as_of, refunds="net", directions=None)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = summary_data_from_transaction_data(df, "customer_id", "txn_date", "amount", observation_period_end=as_of,
                                             freq="D")
    t_ref = time.perf_counter() - t0
    assert len(ref) == len(ours.table)
    return {"rows": len(df), "customers": len(ref), "clientlens_s": round(t_ours, 3), "lifetimes_s": round(t_ref, 3),
            "ratio": round(t_ref / t_ours, 1)}


def _prepare_demo(params, cache):
    demo_data(params["demo_customers"])


def _run_rfm_parquet(params, cache):
    from clientlens.clv import rfm_summary
    from clientlens.data import load_bank

    bank = load_bank(demo_data(params["demo_customers"]), tables=["customers", "transactions"])
    r = rfm_summary(bank, as_of="2026-10-31", calibration_end=params.get("calibration_end"))
    rows = bank.con.execute("SELECT count(*) FROM transactions").fetchall()[0][0]
    return {"rows": int(rows), "customers": len(r.table)}


def _rfm_cache(params, cache) -> Path:
    return cache / f"clv_rfm_{params['demo_customers']}.parquet"


def _prepare_rfm(params, cache):
    out = _rfm_cache(params, cache)
    if out.exists():
        return
    from clientlens.clv import rfm_summary
    from clientlens.data import load_bank

    bank = load_bank(demo_data(params["demo_customers"]), tables=["customers", "transactions"])
    rfm_summary(bank, as_of="2026-10-31").table.to_parquet(out)


def _run_fit(params, cache):
    import pandas as pd

    from clientlens.clv import BTYDModel, SpendModel

    rfm = pd.read_parquet(_rfm_cache(params, cache))
    m = BTYDModel("bgnbd").fit(rfm)
    s = SpendModel().fit(rfm)
    return {"customers": len(rfm), "patterns": m.n_patterns_, "gg_customers": s.n_customers_,
            **{k: round(v, 4) for k, v in m.params_.items()}}


CASES = [
    Case("rfm_vs_lifetimes", "1M-txn", _run_rfm_vs_lifetimes, _prepare_txn_1m,
         {"demo_customers": 20_000, "rows": 1_000_000}, target="ratio >= 10x"),
    Case("rfm", "100M-txn", _run_rfm_parquet, _prepare_demo, {"demo_customers": 1_000_000},
         target="<= 60 s, <= 8 GB"),
    Case("fit", "1M-customers", _run_fit, _prepare_rfm, {"demo_customers": 1_000_000}, target="<= 30 s"),
    # small sizes, to check the cases work
    Case("rfm", "1M-txn", _run_rfm_parquet, _prepare_demo, {"demo_customers": 20_000}, target="smoke"),
    Case("fit", "20k-customers", _run_fit, _prepare_rfm, {"demo_customers": 20_000}, target="smoke"),
]
