"""Binning + scorecard on a bank's own flat modelling table (target kind ``table``, clientlens.targets).

``table_scorecard@500x200k``: a synthetic user table of 200,000 rows x 500 columns (the wide table of
:func:`benchmarks.bench_binning.make_wide_table`, plus an id, an observation date over 12 months and a 0/1
target column) written as Parquet by the untimed ``prepare``. The timed run is what 02 + 05 do with it:
read the table and build the samples (:func:`clientlens.targets.build_sample`: out-of-time split on the
date, random holdout), WOE binning with screening and leakage checks, and the scorecard's logistic
regression (:func:`clientlens.targets.fit_target_model`, no challenger), then validation AUC and top-10%
lift. The issue's target: <= 60 s and < 4 GB on 2 cores. ``table_scorecard@100x50k`` is the quick check.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.harness import Case


def _path(params: dict, cache: Path) -> Path:
    return Path(cache) / f"user_table_{params['vars']}x{params['rows']}.parquet"


def _prepare(params: dict, cache: Path) -> None:
    from benchmarks.bench_binning import make_wide_table

    path = _path(params, cache)
    if path.exists():
        return
    X, y, _, _ = make_wide_table(params["rows"], params["vars"], seed=1)
    rng = np.random.default_rng(2)
    X.insert(0, "客户编号", [f"K{i:08d}" for i in range(len(X))])
    X.insert(1, "obs_date", pd.Timestamp("2025-10-31") + pd.to_timedelta(rng.integers(0, 365, len(X)), "D"))
    X["是否响应"] = y.astype("int64")
    path.parent.mkdir(parents=True, exist_ok=True)
    X.to_parquet(path, index=False)


def _run(params: dict, cache: Path) -> dict:
    import warnings

    from clientlens import lift, targets

    tg = targets.check_target({"kind": "table", "path": str(_path(params, cache)), "column": "是否响应",
                               "positive": 1, "id": "客户编号", "date": "obs_date"}, data_dir="")
    t0 = time.perf_counter()
    ts = targets.build_sample(None, tg, as_of="2026-10-31", random_state=0)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = targets.fit_target_model(ts, tg, fit_challenger=False,
                                         binner_params={"n_jobs": 2, "max_selected": 20})
    t2 = time.perf_counter()
    s = model["samples"]
    val = s["sample"] == "validation"
    return {"rows": len(ts.frame), "columns": len(ts.features), "read_and_samples_s": round(t1 - t0, 2),
            "binning_and_scorecard_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2),
            "scorecard_variables": len(model["scorecard"].variables_),
            "validation_auc": round(float(lift.auc(s.loc[val, "target"], s.loc[val, "prob"])), 4),
            "validation_lift_top10": round(float(lift.lift_at(s.loc[val, "target"], s.loc[val, "prob"], 0.1)), 2)}


CASES = [
    Case("table_scorecard", "100x50k", _run, prepare=_prepare, params={"rows": 50_000, "vars": 100},
         target="<= 60 s at 500x200k (2 cores)"),
    Case("table_scorecard", "500x200k", _run, prepare=_prepare, params={"rows": 200_000, "vars": 500},
         target="<= 60 s on 2 cores, < 4 GB"),
]
