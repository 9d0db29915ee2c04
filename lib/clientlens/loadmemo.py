"""Memo of the loader's full-scan checks: the same files and the same check give the same answer.

:func:`clientlens.data.load_bank` validates every table before any analysis: types, allowed values, dates,
amounts, unknown customers. At 1M customers and 100M transactions these checks scan every row (about 25 s),
and every report of a run loads the same files again. The answer of a check query depends only on the
query's text (which holds the column map, value map, load options and ``as_of``), on the bytes of the files
it reads and on the loader's code, so :func:`fetch` keys the answer on

- the query text and the definitions of the views it reads (the raw file reader, the ``customers`` view),
- each file read: its resolved path, size, modification time (ns), inode and a digest of its first and
  last MiB (a re-exported file has a new modification time and footer, so it is checked again),
- the loader's code (:func:`clientlens.cache.code_fingerprint` of ``data`` and ``schema``) and DuckDB's version,

and keeps it as a small JSON file (counts and the example values the loader's messages quote, which the
reports show anyway) in :func:`memo_dir`: ``CLIENTLENS_LOAD_MEMO`` (a folder, or ``off``), by default the
user's cache folder ``~/.cache/clientlens/load-checks`` (readable by the user only). ``CLIENTLENS_CACHE=off``
turns it off with the run cache. Inputs are never written to.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Sequence

__all__ = ["MEMO_ENV", "memo_dir", "fetch"]

MEMO_ENV = "CLIENTLENS_LOAD_MEMO"
_MAX_ENTRIES = 2000
_OFF = ("off", "0", "false", "no")


def memo_dir() -> Path | None:
    """Where answers are kept, or None when the memo is off (``CLIENTLENS_LOAD_MEMO`` / ``CLIENTLENS_CACHE``)."""
    from .cache import cache_enabled

    if not cache_enabled():
        return None
    value = os.environ.get(MEMO_ENV, "").strip()
    if value.lower() in _OFF:
        return None
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "clientlens" / "load-checks"


_EDGE = 1 << 20


def _stamp(path: Path) -> list:
    """Path, size, modification time, inode and a digest of the first and last MiB (a Parquet file's
    footer, with its row-group statistics, is at its end): a file rewritten within the clock's resolution
    still changes its stamp."""
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        h.update(fh.read(_EDGE))
        if st.st_size > 2 * _EDGE:
            fh.seek(-_EDGE, os.SEEK_END)
        h.update(fh.read())
    return [str(Path(path).resolve()), st.st_size, st.st_mtime_ns, st.st_ino, h.hexdigest()]


def _key(con, sql: str, files: Sequence[Path], views: Sequence[str]) -> str:
    import duckdb

    from .cache import code_fingerprint

    names = sorted(set(views))
    defs = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND view_name IN "
                       f"({', '.join('?' for _ in names)}) ORDER BY view_name", names).fetchall() if names else []
    doc = {"sql": sql, "views": [list(d) for d in defs], "files": [_stamp(Path(f)) for f in files],
           "code": code_fingerprint(("data", "schema")), "duckdb": duckdb.__version__}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()


def _encode(value):
    """A JSON value that decodes to an equal Python value of the same type, or raise TypeError."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"float": repr(value)}          # nan and inf too
    if isinstance(value, _dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    raise TypeError(type(value).__name__)


def _decode(value):
    if not isinstance(value, dict):
        return value
    (kind, text), = value.items()
    return {"float": float, "datetime": _dt.datetime.fromisoformat, "date": _dt.date.fromisoformat,
            "decimal": decimal.Decimal}[kind](text)


def fetch(con, sql: str, files: Sequence[Path], views: Sequence[str] = ()) -> list[tuple]:
    """``con.execute(sql).fetchall()``, answered from the memo when ``files``, the definitions of ``views`` and
    the loader are unchanged."""
    folder = memo_dir()
    if folder is None:
        return con.execute(sql).fetchall()
    try:
        path = folder / f"{_key(con, sql, files, views)}.json"
    except OSError:                               # a file vanished: let the query report it
        return con.execute(sql).fetchall()
    try:
        return [tuple(_decode(v) for v in row) for row in json.loads(path.read_text(encoding="utf-8"))["rows"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    rows = con.execute(sql).fetchall()
    try:
        text = json.dumps({"rows": [[_encode(v) for v in row] for row in rows]})
    except TypeError:                             # a type the memo does not keep: answer without storing
        return rows
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = folder / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        _prune(folder)
    except OSError:                               # a read-only or full cache folder: no memo, same answer
        pass
    return rows


def _prune(folder: Path) -> None:
    entries = list(folder.glob("*.json"))
    if len(entries) <= _MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) - _MAX_ENTRIES]:
        try:
            old.unlink()
        except OSError:
            pass
