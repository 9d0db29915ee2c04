"""``clientlens run-all`` end to end on the default demo bank (20,000 customers, seed 42).

Runs every ``notebooks/NN_*.ipynb`` with ``params/default.yaml`` into a temporary reports folder,
so the project's ``reports/`` is untouched. Figures: wall time, peak memory of the runner process (the kernels run
in child processes: their memory is reported as ``children_peak_rss_mb``), notebooks ok/failed.
"""
from __future__ import annotations

import resource
import shutil
import tempfile
from pathlib import Path

from benchmarks.harness import ROOT, Case, demo_data


def _prepare(params: dict, cache: Path) -> None:
    demo_data(params["customers"], params.get("seed", 42))


def _run(params: dict, cache: Path) -> dict:
    from clientlens.runner import run_all

    data = demo_data(params["customers"], params.get("seed", 42))
    tmp = Path(tempfile.mkdtemp(prefix="bench_runall_"))
    try:
        results = run_all(params_file=ROOT / "params" / "default.yaml", overrides={"data_dir": str(data)},
                          reports_dir=tmp / "reports", force=True, progress=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return {"notebooks": len(results), "ok": sum(r.status == "ok" for r in results),
            "failed": [r.stem for r in results if r.status != "ok"],
            "per_notebook_s": {r.stem: r.duration_s for r in results},
            "children_peak_rss_mb": round(children, 1)}


CASES = [
    Case(name="run_all", size="20k", run=_run, prepare=_prepare, params={"customers": 20_000, "seed": 42},
         target="make demo report stage on the default demo; every notebook ok"),
]
