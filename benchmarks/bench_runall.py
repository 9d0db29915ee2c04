"""``clientlens run-all`` end to end on a demo bank: the default 20,000 customers, and 1M.

Runs every ``notebooks/NN_*.ipynb`` with ``params/default.yaml`` into a temporary reports folder,
so the project's ``reports/`` is untouched. Figures: wall time, peak memory of the runner process (the kernels run
in child processes: their memory is reported as ``children_peak_rss_mb``), notebooks ok/failed.

``run_all@1M`` (issue 18) runs the whole set twice in the same reports folder: **cold** (empty run
cache ``reports/<as_of>/_cache`` and an empty loader check memo, :mod:`clientlens.loadmemo`) and **warm** (a re-run with ``force``, unchanged inputs: every
intermediate is reused). Per report: wall time and the peak resident memory of its kernel (the
kernel's ``VmHWM``, sampled every 0.5 s while it runs), its CPU seconds (user + system of the kernel process, from
the same samples: far steadier than wall time when the machine's speed drifts) and the intermediates it reused. One
command::

    .venv/bin/python -m benchmarks.run -k run_all@1M

(generates the 1M demo bank into ``benchmarks/.cache`` first if absent, untimed). The reports run as
``clientlens run-all`` runs them: ``--jobs auto`` (two kernels at a time on 2 cores and 16 GB;
``CLIENTLENS_BENCH_JOBS=1`` measures one at a time).
Set ``CLIENTLENS_BENCH_KEEP=<folder>`` to keep the reports (executed notebooks carry papermill's
per-cell durations); the cold run's notebooks and manifests are kept in ``<folder>/cold``.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import tempfile
import threading
import time
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


class _KernelPeaks:
    """Samples the peak resident memory (``VmHWM``) and the CPU seconds (user + system) of every descendant
    process of this one; :meth:`take` hands over those of the processes that have ended since the last call (a
    report's kernel has exited by the time the runner records the report; the other kernel still runs)."""

    def __init__(self, every: float = 0.5):
        self.every, self.peaks, self.cpu, self._stop = every, {}, {}, threading.Event()
        self._lock = threading.Lock()
        self._tick = os.sysconf("SC_CLK_TCK")
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _descendants(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                    children.setdefault(ppid, []).append(int(d))
                except (OSError, ValueError, IndexError):
                    pass
        out, todo = [], [os.getpid()]
        while todo:
            for c in children.get(todo.pop(), []):
                out.append(c)
                todo.append(c)
        return out

    def _sample(self) -> None:
        for pid in self._descendants():
            try:
                with open(f"/proc/{pid}/status") as fh:
                    hwm = next((int(line.split()[1]) for line in fh if line.startswith("VmHWM:")), 0)
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / self._tick   # utime + stime
            except (OSError, ValueError, IndexError):
                continue
            with self._lock:
                self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def start(self) -> "_KernelPeaks":
        self._thread.start()
        return self

    def take(self) -> tuple[float, float]:
        """Peak memory (MB, the largest) and CPU seconds (summed) of the processes that have ended since the
        last call; forgets them. CPU used in a process's last half second before it ended is not counted."""
        with self._lock:
            ended = [pid for pid in self.peaks if not os.path.exists(f"/proc/{pid}")]
            peak = max((self.peaks.pop(pid) for pid in ended), default=0) / 1024.0
            cpu = sum(self.cpu.pop(pid, 0.0) for pid in ended)
        return round(peak, 1), round(cpu, 1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _run_cold_warm(params: dict, cache: Path) -> dict:
    from clientlens.runner import run_all

    data = demo_data(params["customers"], params.get("seed", 42))
    keep = os.environ.get("CLIENTLENS_BENCH_KEEP")
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench_runall_"))
    reports = root / "reports"
    out = {}
    from clientlens.runner import resolve_jobs

    jobs = resolve_jobs(os.environ.get("CLIENTLENS_BENCH_JOBS", "auto"))   # as `clientlens run-all` (--jobs auto)
    try:
        # the loader's check memo (clientlens.loadmemo) of this benchmark only: empty for the cold run
        os.environ["CLIENTLENS_LOAD_MEMO"] = str(root / "load-memo")
        for phase in ("cold", "warm"):
            if phase == "cold":   # no run cache, no loader memo
                shutil.rmtree(reports, ignore_errors=True)
                shutil.rmtree(root / "load-memo", ignore_errors=True)
            sampler, per = _KernelPeaks().start(), {}

            def on_result(r, per=per, sampler=sampler):
                m = json.loads(Path(r.manifest).read_text(encoding="utf-8"))
                peak, cpu = sampler.take()
                per[r.stem] = {"status": r.status, "wall_s": r.duration_s, "kernel_peak_rss_mb": peak,
                               "kernel_cpu_s": cpu,
                               "intermediates": {i["intermediate"]: i["status"] for i in m.get("intermediates", [])}}

            t0, own0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
            sampler.take()
            try:
                run_all(params_file=ROOT / "params" / "default.yaml", overrides={"data_dir": str(data)},
                        reports_dir=reports, force=True, progress=False, on_result=on_result, jobs=jobs)
            finally:
                sampler.stop()
            own1 = resource.getrusage(resource.RUSAGE_SELF)
            out[phase] = {"wall_s": round(time.perf_counter() - t0, 1), "jobs": jobs,
                          # the runner's own CPU (validation, HTML, manifests) beside the kernels'
                          "runner_cpu_s": round(own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime, 1),
                          "ok": sum(p["status"] == "ok" for p in per.values()), "notebooks": len(per),
                          "max_kernel_peak_rss_mb": max((p["kernel_peak_rss_mb"] for p in per.values()), default=0),
                          "kernel_cpu_s": round(sum(p["kernel_cpu_s"] for p in per.values()), 1),
                          "per_notebook": per}
            print(f"[run_all@1M] {phase}: {json.dumps(out[phase])}", flush=True)
            if keep and phase == "cold":   # the cold run's executed notebooks (per-cell durations) kept beside
                for f in reports.glob("*/*.ipynb"):
                    (root / "cold").mkdir(exist_ok=True)
                    shutil.copy2(f, root / "cold" / f.name)
                for f in reports.glob("*/*.manifest.json"):
                    shutil.copy2(f, root / "cold" / f.name)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return out


CASES = [
    Case(name="run_all", size="20k", run=_run, prepare=_prepare, params={"customers": 20_000, "seed": 42},
         target="make demo report stage on the default demo; every notebook ok"),
    Case(name="run_all", size="1M", run=_run_cold_warm, prepare=_prepare, params={"customers": 1_000_000, "seed": 42},
         target="cold <= 10 min and <= 12 GB per kernel; warm (re-run, same inputs) <= 5 min (2 cores)",
         timeout=7200),
]
