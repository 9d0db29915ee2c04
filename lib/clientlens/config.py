"""Project paths, in one place (cookiecutter-data-science style).

Every path the workbench uses is derived here from the project root. The root
is the folder holding ``pyproject.toml`` above this package, or the value of
``CLIENTLENS_HOME`` when set (for installs outside a checkout).
"""
from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    env = os.environ.get("CLIENTLENS_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "notebooks").is_dir():
            return parent
    return Path.cwd().resolve()


PROJECT_ROOT: Path = _find_root()
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
PARAMS_DIR: Path = PROJECT_ROOT / "params"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
DATA_DIR: Path = PROJECT_ROOT / "data"
DEMO_DATA_DIR: Path = DATA_DIR / "demo"
DEFAULT_PARAMS_FILE: Path = PARAMS_DIR / "default.yaml"
KERNEL_NAME: str = "clientlens"

# Default demo period: 24 month-ends ending at the default as-of date.
DEMO_AS_OF: str = "2026-10-31"
DEMO_MONTHS: int = 24


def resolve(path: str | os.PathLike) -> Path:
    """Resolve ``path`` against the project root when it is relative."""
    p = Path(path)
    return p if p.is_absolute() else (PROJECT_ROOT / p)


# DuckDB resources: every connection the library opens for heavy work (clientlens.data.connect) uses these,
# so a report kernel on a large bank stays within the machine (DuckDB spills to disk above the limit).
DUCKDB_MEMORY_ENV: str = "CLIENTLENS_DUCKDB_MEMORY"
#: set by the runner in a report kernel's environment: the reports of the same run-all not ended yet
#: (:func:`clientlens.report.find_artifact` refuses their artefacts, which would be an earlier run's)
PENDING_REPORTS_ENV: str = "CLIENTLENS_PENDING_REPORTS"
DUCKDB_THREADS_ENV: str = "CLIENTLENS_DUCKDB_THREADS"
#: DuckDB's memory limit per connection; with the pandas frames of a report, a kernel stays under ~12 GB at 1M
DEFAULT_DUCKDB_MEMORY: str = "4GB"
#: DuckDB optimizers the library's connections turn off. ``partitioned_execution`` splits a ``GROUP BY customer_id``
#: over a table stored in customer order into one aggregate per range of row groups: on the 1M demo's transactions
#: (read without ``trim()`` once the loader has found them trimmed) the wide table's transaction aggregates took 99
#: CPU-s that way against 48 CPU-s as one aggregate (DuckDB 2.0.0, 2 cores; docs/benchmarks.md).
DUCKDB_DISABLED_OPTIMIZERS: str = "partitioned_execution"


def duckdb_settings() -> dict:
    """``memory_limit``, ``threads`` and ``disabled_optimizers`` (:data:`DUCKDB_DISABLED_OPTIMIZERS`) of the
    library's DuckDB connections.

    ``CLIENTLENS_DUCKDB_MEMORY`` (e.g. ``4GB``, ``512MB``; default :data:`DEFAULT_DUCKDB_MEMORY`) and
    ``CLIENTLENS_DUCKDB_THREADS`` (a whole number >= 1; default: DuckDB's, every core) override them.
    A bad value stops with one line naming the variable (:class:`clientlens.ParamsError`).
    """
    import re

    from . import ParamsError

    mem = os.environ.get(DUCKDB_MEMORY_ENV, "").strip() or DEFAULT_DUCKDB_MEMORY
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", mem, flags=re.IGNORECASE) \
            or float(re.match(r"\d+(\.\d+)?", mem).group()) <= 0:
        raise ParamsError(f"{DUCKDB_MEMORY_ENV} must be a size such as 4GB or 512MB; got {mem!r}")
    out: dict = {"memory_limit": mem, "disabled_optimizers": DUCKDB_DISABLED_OPTIMIZERS}
    threads = os.environ.get(DUCKDB_THREADS_ENV, "").strip()
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise ParamsError(f"{DUCKDB_THREADS_ENV} must be a whole number >= 1; got {threads!r}")
        out["threads"] = int(threads)
    return out
