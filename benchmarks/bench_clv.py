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
    """Both summarizers on the same 1M-row DataFrame in this process; median of several runs each.

    The RFM builder reads the DataFrame registered in DuckDB; lifetimes' summarizer gets the
    same frame. Runs alternate (ours, lifetimes, ours, ...) so machine load hits both alike.
    Daily periods (the issue's comparison) and weekly periods (lifetimes' freq='W').
    """
    import statistics
    import warnings

    import numpy as np
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    from clientlens.clv import rfm_summary

    warnings.simplefilter("ignore")
    df = pd.read_parquet(_txn_1m_path(cache))
    df["txn_date"] = pd.to_datetime(df["txn_date"])
    as_of = str(df["txn_date"].max().date())
    out = {"rows": len(df), "repeats": params["repeats"]}
    for period, freq in (("day", "D"), ("week", "W")):
        ours_t, ref_t = [], []
        for _ in range(params["repeats"]):
            t0 = time.perf_counter()
            ours = rfm_summary(df, as_of=as_of, period=period, refunds="net", directions=None).table
            ours_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ref = summary_data_from_transaction_data(df, "customer_id", "txn_date", "amount",
                                                     observation_period_end=as_of, freq=freq)
            ref_t.append(time.perf_counter() - t0)
        ref = ref.sort_index()
        same = all(np.array_equal(ours[c].to_numpy(), ref[c].to_numpy()) for c in ("frequency", "recency", "T"))
        o, r = statistics.median(ours_t), statistics.median(ref_t)
        out.update({"customers": len(ref), f"clientlens_{period}_s": round(o, 3), f"lifetimes_{period}_s": round(r, 3),
                    f"ratio_{period}": round(r / o, 2), f"frt_identical_{period}": bool(same)})
    out["ratio"] = out["ratio_day"]
    return out


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


def _fit_both(rfm):
    from clientlens.clv import BTYDModel, SpendModel

    t0 = time.perf_counter()
    m = BTYDModel("bgnbd", random_state=0).fit(rfm)
    t1 = time.perf_counter()
    s = SpendModel(random_state=0).fit(rfm)
    t2 = time.perf_counter()
    return {"customers": len(rfm), "patterns": m.n_patterns_, "gg_customers": s.n_customers_,
            "bgnbd_s": round(t1 - t0, 2), "gamma_gamma_s": round(t2 - t1, 2),
            **{k: round(v, 4) for k, v in m.params_.items()}, **{f"gg_{k}": round(v, 3) for k, v in s.params_.items()}}


def _run_fit(params, cache):
    import pandas as pd

    return _fit_both(pd.read_parquet(_rfm_cache(params, cache)))


def _sim_cache(params, cache) -> Path:
    return cache / f"clv_rfm_sim_{params['customers']}.parquet"


def _prepare_sim(params, cache):
    """A daily RFM table of simulated BG/NBD customers (demo truth r, alpha, a, b in days) with spend."""
    import numpy as np

    from clientlens.clv import simulate_bgnbd

    out = _sim_cache(params, cache)
    if out.exists():
        return
    n = params["customers"]
    rng = np.random.default_rng(7)
    sim = simulate_bgnbd(n, rng.integers(1, 731, n).astype(float), 0.8, 8.0, 0.5, 120.0, random_state=3)
    sim["recency"] = np.floor(sim["recency"])
    # Gamma-Gamma spend: nu ~ Gamma(q, gamma), day totals ~ Gamma(p, nu); mean of x of them ~ Gamma(p x, nu x)
    nu = rng.gamma(3.5, 1 / 400.0, n)
    x = sim["frequency"].to_numpy()
    sim["monetary_value"] = np.where(x > 0, rng.gamma(np.maximum(6.0 * x, 1e-9), 1 / (nu * np.maximum(x, 1))), 0.0)
    sim["monetary_value"] = sim["monetary_value"].round(2)
    sim.to_parquet(out)


def _run_fit_sim(params, cache):
    import pandas as pd

    return _fit_both(pd.read_parquet(_sim_cache(params, cache)))


CASES = [
    Case("rfm_vs_lifetimes", "1M-txn", _run_rfm_vs_lifetimes, _prepare_txn_1m,
         {"demo_customers": 20_000, "rows": 1_000_000, "repeats": 5}, target="ratio >= 10x"),
    Case("rfm", "100M-txn", _run_rfm_parquet, _prepare_demo, {"demo_customers": 1_000_000},
         target="<= 60 s, <= 8 GB"),
    Case("fit", "1M-customers", _run_fit, _prepare_rfm, {"demo_customers": 1_000_000}, target="<= 30 s"),
    Case("fit", "1M-customers-simulated", _run_fit_sim, _prepare_sim, {"customers": 1_000_000}, target="<= 30 s"),
    # small sizes, to check the cases work
    Case("rfm", "1M-txn", _run_rfm_parquet, _prepare_demo, {"demo_customers": 20_000}, target="smoke"),
    Case("fit", "20k-customers", _run_fit, _prepare_rfm, {"demo_customers": 20_000}, target="smoke"),
    Case("fit", "50k-customers-simulated", _run_fit_sim, _prepare_sim, {"customers": 50_000}, target="smoke"),
]
