"""``make bench``: run the benchmark cases and write ``benchmarks/results/<date>.json``."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys

from benchmarks.harness import ROOT, discover, run_case


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-k", default="", help="only cases whose id contains this text")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)
    cases = {k: v for k, v in discover().items() if args.k in k}
    if args.list:
        for key, (_, case) in cases.items():
            print(f"{key:50s} {case.target}")
        return 0
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    results = {
        "date": dt.date.today().isoformat(),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "commit": commit,
        "cases": {},
    }
    out = ROOT / "benchmarks" / "results" / f"{results['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():  # keep figures of cases not re-run today
        try:
            results["cases"] = json.loads(out.read_text()).get("cases", {})
        except json.JSONDecodeError:
            pass
    for key, (_, case) in cases.items():
        print(f"[bench] {key} ...", flush=True)
        fig = run_case(key)
        fig["target"] = case.target
        results["cases"][key] = fig
        print(f"[bench] {key}: {json.dumps(fig, ensure_ascii=False)}", flush=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"[bench] results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
