"""Benchmarks for clientlens.segments: fit (k selection over 2..10 with bootstrap stability) and assign.

``segment_fit_assign@1M``: 1,000,000 customers x 20 features (a synthetic bank-like frame with 6
planted groups: log-normal amounts, counts, shares, flags, one feature 10% missing), full k
selection with the default settings (MiniBatchKMeans above 200,000 customers, silhouette on a
10,000 sample, 10 bootstrap refits of 20,000 customers per k), then assigning every customer with
``predict``. Target from issue 5: <= 60 s and <= 6 GB peak.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.harness import Case

N_FEATURES = 20


def synthetic_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` customers x 20 bank-like features with 6 planted groups (column ``group`` holds the truth)."""
    rs = np.random.RandomState(seed)
    g = rs.randint(0, 6, n)
    centres = rs.normal(0, 1.2, size=(6, N_FEATURES))
    z = centres[g] + rs.normal(0, 1.0, size=(n, N_FEATURES))
    cols = {"customer_id": np.char.add("C", np.arange(n).astype("U9")), "group": g}
    for j in range(N_FEATURES):
        kind = j % 5
        if kind == 0:      # heavy-tailed amount (AUM, spend)
            v = np.exp(9 + 1.2 * z[:, j])
        elif kind == 1:    # count
            v = rs.poisson(np.exp(2 + 0.6 * z[:, j])).astype("float64")
        elif kind == 2:    # share in [0, 1]
            v = 1 / (1 + np.exp(-z[:, j]))
        elif kind == 3:    # 0/1 flag
            v = (z[:, j] > 0).astype("float64")
        else:              # plain numeric (age-like)
            v = 40 + 12 * z[:, j]
        cols[f"f{j:02d}"] = v
    df = pd.DataFrame(cols)
    df.loc[rs.rand(n) < 0.1, "f04"] = np.nan  # a feature 10% missing (median + indicator)
    return df


def _path(params, cache_dir) -> Path:
    return Path(cache_dir) / f"segments_synth_{params['n']}.parquet"


def prepare(params, cache_dir) -> None:
    p = _path(params, cache_dir)
    if not p.exists():
        tmp = p.with_suffix(".tmp")
        synthetic_frame(params["n"]).to_parquet(tmp, index=False)
        tmp.rename(p)


def run(params, cache_dir) -> dict:
    from sklearn.metrics import adjusted_rand_score

    from clientlens.segments import CustomerSegmenter

    df = pd.read_parquet(_path(params, cache_dir))
    feats = [f"f{j:02d}" for j in range(N_FEATURES)]
    seg = CustomerSegmenter(features=feats, random_state=42).fit(df)
    labels = seg.predict(df)
    return {"rows": len(df), "k": seg.k_, "ari_vs_planted": round(float(adjusted_rand_score(df["group"], labels)), 3)}


CASES = [
    Case("segment_fit_assign", "200k", run, prepare, {"n": 200_000}, "check size for the 1M target"),
    Case("segment_fit_assign", "1M", run, prepare, {"n": 1_000_000}, "<= 60 s, <= 6 GB"),
]
