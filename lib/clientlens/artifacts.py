"""Saving and loading fitted objects (binning, models) as report artefacts.

Writes go to a temporary file renamed into place, so a crash never leaves a half-written
artefact; reads turn any unpickling failure into a one-line :class:`clientlens.DataError`.
Only open files you trust: loading unpickles.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

from . import DataError, __version__


def dump_artifact(payload: dict, path: str | os.PathLike, *, fmt: str) -> Path:
    """Pickle ``payload`` (plus ``format`` and the clientlens version) atomically to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump({"format": fmt, "clientlens": __version__, **payload}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


def load_artifact(path: str | os.PathLike, *, fmt: str, what: str) -> dict:
    """Load what :func:`dump_artifact` wrote with format ``fmt``; ``what`` names it in messages."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: {what} file not found")
    try:
        with open(path, "rb") as fh:
            payload = pickle.load(fh)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file for the user
        raise DataError(f"{path}: not a readable {what} file ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise DataError(f"{path}: not a clientlens {what} file (expected format {fmt})")
    return payload
