"""Benchmark harness: wall time and peak memory of named stages at named sizes.

Each ``benchmarks/bench_<area>.py`` module defines ``CASES``, a list of
:class:`Case`. For every case the harness runs ``prepare`` (untimed, results
cached under ``benchmarks/.cache``) in one subprocess, then ``run`` in a fresh
subprocess, timing it with ``time.perf_counter`` and reading that process's
peak resident memory, so one case's memory never leaks into another's figure.

Timings are measured here and reported; tests never assert them.

Use::

    python -m benchmarks.run                       # every case
    python -m benchmarks.run -k features           # cases whose id contains "features"
    python -m benchmarks.harness bench_demo:demo_generate@20k   # one case, prints JSON
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"


@dataclasses.dataclass
class Case:
    """One benchmark: a stage at a size.

    Parameters
    ----------
    name : str
        Stage name, e.g. ``"wide_table"``.
    size : str
        Size label, e.g. ``"1M"``.
    run : callable(params, cache_dir) -> dict | None
        The measured work. May return extra figures (rows, rows_per_s, ratio...).
    prepare : callable(params, cache_dir) -> None, optional
        Untimed set-up (generate inputs into ``cache_dir``; skip if already there).
    params : dict
        Passed to ``prepare`` and ``run``.
    target : str
        The target from the issue, e.g. ``"<= 60 s, <= 8 GB"``, copied into the results.
    """

    name: str
    size: str
    run: Callable
    prepare: Callable | None = None
    params: dict = dataclasses.field(default_factory=dict)
    target: str = ""
    timeout: int = 3600             # seconds for each of prepare and run

    @property
    def id(self) -> str:
        return f"{self.name}@{self.size}"


def demo_data(n_customers: int, seed: int = 42) -> Path:
    """Path of a cached demo bank of ``n_customers`` (generated on first use)."""
    from clientlens.demo import cached_demo

    return cached_demo(CACHE, n_customers, seed, progress=True)


def discover() -> dict[str, tuple[str, Case]]:
    """All cases: ``{"module:case_id": (module_name, case)}``."""
    found = {}
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        mod = importlib.import_module(f"benchmarks.{path.stem}")
        for case in getattr(mod, "CASES", []):
            found[f"{path.stem}:{case.id}"] = (path.stem, case)
    return found


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run_in_this_process(key: str, phase: str) -> dict:
    module, case_id = key.split(":", 1)
    mod = importlib.import_module(f"benchmarks.{module}")
    case = next(c for c in mod.CASES if c.id == case_id)
    CACHE.mkdir(parents=True, exist_ok=True)
    if phase == "prepare":
        if case.prepare is not None:
            case.prepare(case.params, CACHE)
        return {}
    t0 = time.perf_counter()
    extra = case.run(case.params, CACHE) or {}
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 3), "peak_rss_mb": round(_peak_rss_mb(), 1), **extra}


def run_case(key: str, timeout: int | None = None) -> dict:
    """Prepare then run one case, each in a fresh subprocess; return its figures."""
    if timeout is None:
        timeout = discover()[key][1].timeout
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "benchmarks.harness"]
    prep = subprocess.run(cmd + ["--phase", "prepare", key], cwd=ROOT, env=env, timeout=timeout,
                          capture_output=True, text=True)
    if prep.returncode != 0:
        return {"status": "error", "phase": "prepare", "error": prep.stderr.strip().splitlines()[-1:]}
    res = subprocess.run(cmd + ["--phase", "run", key], cwd=ROOT, env=env, timeout=timeout,
                         capture_output=True, text=True)
    if res.returncode != 0:
        return {"status": "error", "phase": "run", "error": res.stderr.strip().splitlines()[-1:]}
    return {"status": "ok", **json.loads(res.stdout.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Run one benchmark case in this process (used by benchmarks.run).")
    ap.add_argument("key", help="module:name@size, e.g. bench_demo:demo_generate@20k")
    ap.add_argument("--phase", choices=["prepare", "run", "both"], default="both")
    args = ap.parse_args(argv)
    if args.phase == "both":
        print(json.dumps(run_case(args.key)))
        return 0
    out = _run_in_this_process(args.key, args.phase)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
