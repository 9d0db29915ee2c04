"""Benchmarks of the demo bank generator (clientlens.demo.generate_demo)."""
from __future__ import annotations

import shutil

from benchmarks.harness import Case


def _run(params, cache_dir):
    from clientlens.demo import generate_demo

    # Generated into the folder benchmarks.harness.demo_data() uses, so the later cases at the same
    # size (wide table, RFM) reuse this output instead of generating it again.
    out = cache_dir / f"demo_{params['n_customers']}_42"
    shutil.rmtree(out, ignore_errors=True)
    summary = generate_demo(out, n_customers=params["n_customers"], seed=42, progress=False)
    (out / ".complete").write_text("ok")
    secs = max(summary["seconds"], 1e-9)
    rows = summary["rows"]
    return {"rows": rows, "customers": rows["customers"], "transactions": rows["transactions"],
            "rows_per_s": {"customers": round(rows["customers"] / secs),
                           "transactions": round(rows["transactions"] / secs)}}


CASES = [
    Case("demo_generate", "20k", _run, params={"n_customers": 20_000},
         target="a few seconds; < 1 GB"),
    Case("demo_generate", "1M", _run, params={"n_customers": 1_000_000},
         target="1M customers (~100M transactions) within the 24 GB / 2 core machine: minutes, < 4 GB"),
]
