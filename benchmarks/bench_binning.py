"""Variable screening (clientlens.binning.WoeBinner) against optbinning's plain BinningProcess.

``screen@500x200k``: a synthetic wide table of 500 candidate variables x 200,000 customers (float32
numbers, some with missing values, heavy-tailed amounts and counts, plus text categories) with a known
set of informative variables, target about 5% events. In the same run it fits

* ``WoeBinner(n_jobs=2)``: vectorised quantile pre-screen, optimal binning of the candidates only,
  IV range, correlation/VIF filter and maximum count (the whole screening), and
* ``BinningProcess(n_jobs=2)``: optimal binning of every variable, then the same IV range
  (``selection_criteria={"iv": {"min": 0.02, "max": 0.5}}``), with the same per-variable options,

and reports both times, their ratio and whether the variables passing the IV range are the same
(``same_selection``; WoeBinner's set is ``iv_passed_``, before its correlation/VIF filter, which
BinningProcess does not have). The issue's target is <= 60 s for the WoeBinner on 2 cores.
Generation of the data and the start of the two joblib workers are not part of either figure
(``generate_s``; both methods then share the same warm worker pool). ``screen@100x50k`` is the
quick check.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.harness import Case

IV_MIN, IV_MAX = 0.02, 0.5


def make_wide_table(n_rows: int, n_vars: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, list[str], list[str]]:
    """Synthetic wide table: ``(X, y, informative variable names, categorical variable names)``.

    30 numeric variables enter the logit with slopes from 0.6 down to 0.06 (IV from about 0.35 to
    below 0.005, several near the 0.02 threshold), 4 of 12 text variables have level effects; the rest
    is noise. Transforms (exp, counts) keep the order, so the optimal binning sees the same signal.
    """
    rng = np.random.default_rng(seed)
    n_cat = max(2, n_vars // 40)
    n_inf = min(30, n_vars // 3)
    n_num = n_vars - n_cat
    cols: dict[str, np.ndarray] = {}
    logit = np.full(n_rows, -3.3)
    informative = []
    betas = np.geomspace(0.6, 0.06, n_inf)
    for j in range(n_num):
        z = rng.standard_normal(n_rows).astype(np.float32)
        if j < n_inf:
            logit += betas[j] * z
            name = f"inf_{j:03d}"
            informative.append(name)
        else:
            name = f"var_{j:03d}"
        kind = j % 4
        if kind == 1:      # heavy-tailed amount
            v = np.exp(1.2 * z + 8).astype(np.float32)
        elif kind == 2:    # count
            v = np.floor(np.exp(0.8 * z + 1.0)).astype(np.float32)
        else:
            v = z
        if j % 5 == 0:     # 8% missing
            v = v.copy()
            v[rng.random(n_rows) < 0.08] = np.nan
        cols[name] = v
    cats = []
    for j in range(n_cat):
        levels = np.array([f"L{k}" for k in range(8)])
        codes = rng.integers(0, 8, size=n_rows)
        name = f"cat_{j:02d}"
        if j < 4:
            effect = np.linspace(-0.4, 0.4, 8) * (1.0 - 0.2 * j)
            logit += effect[codes]
            informative.append(name)
        cols[name] = pd.array(levels[codes], dtype="str")
        cats.append(name)
    y = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)
    X = pd.DataFrame(cols)
    return X, y, informative, cats


def _warm() -> int:
    import optbinning  # noqa: F401

    import clientlens.binning  # noqa: F401

    return 0


def _run(params: dict, cache: Path) -> dict:
    from optbinning import BinningProcess

    from clientlens.binning import WoeBinner

    t0 = time.perf_counter()
    X, y, informative, cats = make_wide_table(params["rows"], params["vars"], params.get("seed", 0))
    gen_s = time.perf_counter() - t0

    # start the two joblib workers (and their optbinning import) once, untimed, so that neither method
    # pays the worker start-up: both use the same reusable loky pool afterwards
    from joblib import Parallel, delayed

    Parallel(n_jobs=2)(delayed(_warm)() for _ in range(4))

    binner = WoeBinner(categorical_variables=cats, iv_min=IV_MIN, iv_max=IV_MAX, max_corr=0.7, max_vif=10.0,
                       max_selected=20, n_jobs=2, random_state=0)
    t1 = time.perf_counter()
    binner.fit(X, y)
    woe_s = time.perf_counter() - t1

    out = {"rows": len(X), "variables": X.shape[1], "events": int(y.sum()), "generate_s": round(gen_s, 2),
           "woebinner_s": round(woe_s, 2),
           "woebinner_binned": int((binner.summary_["n_bins"] > 0).sum()),
           "woebinner_iv_passed": len(binner.iv_passed_), "woebinner_selected": len(binner.selected_)}
    if params.get("compare", True):
        kinds = {v: ("categorical" if v in cats else "numerical") for v in X.columns}
        fit_params = {}
        for v in X.columns:
            o = binner._options(v, kinds[v])
            fit_params[v] = {"monotonic_trend": o["monotonic_trend"], "solver": o["solver"]}
        bp = BinningProcess(variable_names=list(X.columns), categorical_variables=cats, max_n_bins=10,
                            min_bin_size=0.05, binning_fit_params=fit_params,
                            selection_criteria={"iv": {"min": IV_MIN, "max": IV_MAX}}, n_jobs=2)
        t2 = time.perf_counter()
        bp.fit(X, y)
        bp_s = time.perf_counter() - t2
        bp_sel = set(bp.get_support(names=True))
        ours = set(binner.iv_passed_)
        bp_iv = bp.summary().set_index("name")["iv"].astype(float)
        common = [v for v in binner.binnings_ if v in bp_iv.index]
        diff = max((abs(binner.binnings_[v].iv - bp_iv[v]) for v in common), default=0.0)
        out.update({"binning_process_s": round(bp_s, 2), "ratio": round(bp_s / max(woe_s, 1e-9), 2),
                    "binning_process_iv_passed": len(bp_sel), "same_selection": bp_sel == ours,
                    "only_binning_process": sorted(bp_sel - ours)[:10], "only_woebinner": sorted(ours - bp_sel)[:10],
                    "max_iv_diff_binned": float(f"{diff:.3g}")})
    return out


CASES = [
    Case("screen", "100x50k", _run, params={"rows": 50_000, "vars": 100},
         target="<= 60 s at 500x200k (2 cores); same selection as BinningProcess"),
    Case("screen", "500x200k", _run, params={"rows": 200_000, "vars": 500},
         target="<= 60 s on 2 cores, < 4 GB; same selection as BinningProcess"),
]
