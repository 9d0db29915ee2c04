"""Command line: ``clientlens demo | run | run-all | index | params``.

Exit codes: 0 success; 1 a notebook failed (its FAILED report was written); 2 bad input found
before any kernel started (bad params, bad data, existing report without ``--force``, the report
being written by another run): the message is printed on one line as ``clientlens: error: <message>``,
without a traceback; 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), the run recorded as interrupted.
A report whose checks show FAIL is still exit 0, but the result line says so.
"""
from __future__ import annotations

import argparse
import sys

from . import ClientLensError, ParamsError, __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    line = " ".join(str(message).split())
    print(f"clientlens: error: {line}", file=sys.stderr)


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", metavar="FILE", help="params YAML (sections 'common' and one per notebook); "
                   "default: the notebooks' own defaults")
    p.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                   help="override one parameter (value read as YAML: k=3, x=[1,2], s=abc); repeatable")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="analysis date (default: params, then notebook default)")
    p.add_argument("--reports-dir", metavar="DIR", help="reports root (default: reports/ in the project)")
    p.add_argument("--force", action="store_true", help="replace an existing report for the same date")
    p.add_argument("--timeout", type=int, default=1800, metavar="SECONDS",
                   help="execution timeout per cell (default 1800)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="clientlens", description="ClientLens: notebook reports for retail-bank "
                                 "customer insight. Reports go to reports/<as-of>/<notebook>.html.")
    ap.add_argument("--version", action="version", version=f"clientlens {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="generate the synthetic demo bank")
    d.add_argument("--customers", type=int, default=20_000, metavar="N", help="number of customers (default 20000)")
    d.add_argument("--seed", type=int, default=42, metavar="S", help="random seed (default 42)")
    d.add_argument("--out", default="data/demo", metavar="DIR", help="output folder (default data/demo)")
    d.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="last month-end (default 2026-10-31)")
    d.add_argument("--months", type=int, default=None, metavar="M", help="months of history (default 24)")
    d.add_argument("--no-progress", action="store_true", help="no progress display")

    r = sub.add_parser("run", help="run one notebook into a dated HTML report")
    r.add_argument("notebook", metavar="NOTEBOOK", help="path or stem, e.g. 00_data_overview")
    _run_options(r)

    a = sub.add_parser("run-all", help="run every notebooks/NN_*.ipynb in order")
    _run_options(a)
    a.add_argument("--resume", action="store_true",
                   help="skip the reports already ok for this date (same parameters) and run the rest")
    a.add_argument("--jobs", default="auto", metavar="N",
                   help="report kernels at a time, each report after those it reads (default auto: 2 with at "
                        "least 2 cores and 16 GB of memory, else 1)")

    i = sub.add_parser("index", help="regenerate reports/index.html")
    i.add_argument("--reports-dir", metavar="DIR", help="reports root (default: reports/)")

    pp = sub.add_parser("params", help="list a notebook's parameters (name, type, default, help)")
    pp.add_argument("notebook", metavar="NOTEBOOK")
    return ap


def _overrides(items: list[str]) -> dict:
    from .params import parse_override

    out = {}
    for text in items:
        k, v = parse_override(text)
        if not k:
            raise ParamsError(f"override {text!r} has an empty key")
        out[k] = v
    return out


def _print_result(res) -> None:
    from .runner import _show_path

    tail = f"  {res.error}" if res.error else ""
    if res.status == "ok" and getattr(res, "fail_checks", 0):
        tail += f"  ({res.fail_checks} FAIL check(s) in the report: read them before using it)"
    print(f"{res.status:6s} {res.stem:28s} {res.duration_s:8.1f} s  {_show_path(res.report)}{tail}",
          file=sys.stderr if res.status != "ok" else sys.stdout, flush=True)


def _cmd_demo(args) -> int:
    from pathlib import Path

    from . import config
    from .params import parse_date

    if args.customers < 1:
        raise ParamsError(f"--customers must be >= 1; got {args.customers}")
    try:
        from .demo import generate_demo
    except ImportError as exc:
        raise ClientLensError(f"the demo generator is not available ({exc})") from None
    kwargs = {"n_customers": args.customers, "seed": args.seed, "progress": not args.no_progress}
    if args.as_of:
        kwargs["as_of"] = parse_date("--as-of", args.as_of).isoformat()
    if args.months is not None:
        if args.months < 1:
            raise ParamsError(f"--months must be >= 1; got {args.months}")
        kwargs["months"] = args.months
    out = config.resolve(args.out)
    info = generate_demo(out, **kwargs)
    print(f"demo bank: {out}")
    if isinstance(info, dict):
        for k, v in info.items():
            if isinstance(v, (int, float, str)) and not isinstance(v, bool):
                print(f"  {k}: {v:,}" if isinstance(v, int) else f"  {k}: {v}")
    return EXIT_OK


def _cmd_run(args) -> int:
    from .runner import execute_plan, plan_run, write_index

    if args.timeout <= 0:
        raise ParamsError(f"--timeout must be > 0 seconds; got {args.timeout}")
    plan = plan_run(args.notebook, params_file=args.params, overrides=_overrides(args.param), as_of=args.as_of,
                    reports_dir=args.reports_dir, force=args.force)
    res = execute_plan(plan, timeout=args.timeout, progress=not args.no_progress)
    _print_result(res)
    from .runner import _show_path

    print(f"index: {_show_path(plan.reports_root / 'index.html')}")
    return EXIT_OK if res.status == "ok" else EXIT_FAILED


def _cmd_run_all(args) -> int:
    from . import config
    from .runner import _show_path, run_all

    if args.timeout <= 0:
        raise ParamsError(f"--timeout must be > 0 seconds; got {args.timeout}")
    results = run_all(params_file=args.params, overrides=_overrides(args.param), as_of=args.as_of,
                      reports_dir=args.reports_dir, force=args.force, timeout=args.timeout,
                      progress=not args.no_progress, on_result=_print_result, resume=args.resume, jobs=args.jobs)
    n_fail = sum(r.status not in ("ok", "skipped") for r in results)
    n_skip = sum(r.status == "skipped" for r in results)
    n_checks = sum(r.fail_checks for r in results if r.status == "ok")
    root = config.resolve(args.reports_dir) if args.reports_dir else config.REPORTS_DIR
    extra = (f", {n_skip} skipped (already ok)" if n_skip else "") + \
        (f"; {n_checks} FAIL check(s) in the reports" if n_checks else "")
    print(f"{len(results) - n_fail - n_skip} ok, {n_fail} failed{extra}; index: {_show_path(root / 'index.html')}")
    return EXIT_OK if n_fail == 0 else EXIT_FAILED


def _cmd_index(args) -> int:
    from . import config
    from .runner import write_index

    out = write_index(config.resolve(args.reports_dir) if args.reports_dir else None)
    print(out)
    return EXIT_OK


def _cmd_params(args) -> int:
    from .params import notebook_parameters
    from .runner import resolve_notebook

    nb = resolve_notebook(args.notebook)
    for name, info in notebook_parameters(nb).items():
        print(f"{name:24s} {str(info['type'] or '?'):6s} {info['default']!r:28s} {info['help']}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``clientlens`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    handler = {"demo": _cmd_demo, "run": _cmd_run, "run-all": _cmd_run_all, "index": _cmd_index,
               "params": _cmd_params}[args.command]
    try:
        return handler(args)
    except ClientLensError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        from .runner import RunInterrupted

        term = isinstance(exc, RunInterrupted)
        _err("terminated (SIGTERM)" if term else "interrupted")
        return 143 if term else 130


if __name__ == "__main__":  # python -m clientlens.cli
    sys.exit(main())
