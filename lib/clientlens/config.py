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
