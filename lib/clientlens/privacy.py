"""Personal-information protection: pseudonymised (keyed-hash) customer ids for reports and exports.

Masked ids are ``K-`` + the first 12 hex characters of HMAC-SHA256(key, raw id). The key is a
secret that never appears in params, manifests, executed notebooks, logs or reports; it comes from

1. the environment variable ``CLIENTLENS_ID_KEY`` (at least 16 characters), or else
2. a key file, ``~/.config/clientlens/id_key`` by default (``CLIENTLENS_ID_KEY_FILE`` overrides the
   path), created on first use with 32 random bytes (hex) and mode 0600. The file must lie outside
   the project folder (so outside ``reports/`` too).

The same key always gives the same masks, so a later report joins on ``customer_id_masked``; a
different key gives masks that cannot be linked. The bank's own systems, which hold the key, map a
mask back by computing the HMAC of their customer numbers and looking the mask up; without the key,
the masks cannot be recomputed from anything a report contains.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from . import ClientLensError

KEY_ENV = "CLIENTLENS_ID_KEY"
KEY_FILE_ENV = "CLIENTLENS_ID_KEY_FILE"
MIN_KEY_LENGTH = 16
MASKED_ID = "customer_id_masked"


def key_path() -> Path:
    """Where the id key file lives: ``$CLIENTLENS_ID_KEY_FILE`` or ``~/.config/clientlens/id_key``."""
    env = os.environ.get(KEY_FILE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return (Path.home() / ".config" / "clientlens" / "id_key").resolve()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def id_key() -> bytes:
    """The secret key of masked ids (see the module docstring); created on first use.

    Raises
    ------
    ClientLensError
        Empty or short key, a key file inside the project, or an unreadable key file. The message
        never contains the key.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        key = env.strip()
        if len(key) < MIN_KEY_LENGTH:
            raise ClientLensError(f"{KEY_ENV} is {'empty' if not key else 'too short'}: the id key must have at "
                                  f"least {MIN_KEY_LENGTH} characters (unset it to use the key file {key_path()})")
        return key.encode("utf-8")
    from . import config

    path = key_path()
    if _inside(path, config.PROJECT_ROOT) or _inside(path, config.REPORTS_DIR):
        raise ClientLensError(f"{path}: the id key file must lie outside the project folder and reports/ "
                              f"(set {KEY_FILE_ENV} to a path elsewhere)")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientLensError(f"{path}: cannot read the id key file ({type(exc).__name__})") from None
    if len(key) < MIN_KEY_LENGTH:
        raise ClientLensError(f"{path}: the id key file is {'empty' if not key else 'too short'}; the key must "
                              f"have at least {MIN_KEY_LENGTH} characters (delete the file to create a new key)")
    return key.encode("utf-8")


def mask_ids(ids, length: int = 12, *, key: bytes | None = None) -> pd.Series:
    """Replace raw customer ids by keyed hashes (``K-3f9a1c0b2d4e``): HMAC-SHA256 with :func:`id_key`.

    The same id and key always give the same masked id, so lists from one run can be joined to
    later reports and mapped back by the bank's own systems (which hold the key), while the
    report or export never shows the raw number and nobody without the key can recompute it.

    Parameters
    ----------
    ids : array-like
        Raw customer identifiers.
    length : int
        Hex characters kept (default 12: collisions negligible below ~10^7 ids).
    key : bytes, optional
        The key (default: :func:`id_key`); for tests and the bank's own mapping scripts.
    """
    key = id_key() if key is None else key
    s = pd.Series(ids)
    text = s.astype(str)
    codes, uniq = pd.factorize(text)
    uniq = np.asarray(uniq, dtype=object).tolist()   # Python str: iterating Arrow-backed strings is slow
    memo = _memo(key, length)
    new = [u for u in uniq if u not in memo]
    if new:
        mac = _hmac_sha256(key)
        memo.update((u, "K-" + mac(u.encode("utf-8"))[:length]) for u in new)
    masked = np.array([memo[u] for u in uniq], dtype=object)
    return pd.Series(masked[codes], index=s.index, name=s.name, dtype=text.dtype)


#: masked ids this process has already computed, for the last key and length used ({raw: masked}): a report
#: masks the same million ids in several artefacts. In memory only, like the raw ids it holds; dropped past
#: ``MASK_MEMO_MAX`` ids or when another key or length is used.
_MASKED: dict = {"tag": None, "ids": {}}
MASK_MEMO_MAX = 5_000_000


def mask_ids_in_duckdb(con, relation: str, column: str = "customer_id", length: int = 12, *,
                       key: bytes | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids of ``relation.column`` and their masks, hashed by DuckDB in parallel.

    The same masks as :func:`mask_ids` (HMAC-SHA256 of the id's UTF-8 bytes, RFC 2104), in about a
    quarter of the time for a million ids: the run cache maps every customer of the base once per
    report. The key's two padded blocks reach DuckDB as bound parameters of this one query (never
    in its text, a log or a file). The masks are remembered like :func:`mask_ids`'s, so later calls of
    :func:`mask_ids` in the process find them.

    Returns
    -------
    (raw, masked) : two object arrays of str, in the order of the raw ids
    """
    from .data import quote_ident

    length = int(length)
    if not 1 <= length <= 64:
        raise ValueError(f"length must be between 1 and 64; got {length}")
    key = id_key() if key is None else key
    inner, outer = _hmac_pads(key)
    col = quote_ident(column)
    out = con.execute(
        f"SELECT raw, 'K-' || left(sha256($outer || unhex(sha256($inner || encode(raw)))), $n) AS masked "
        f"FROM (SELECT DISTINCT CAST({col} AS VARCHAR) AS raw FROM {quote_ident(relation)} WHERE {col} IS NOT NULL) "
        f"ORDER BY raw", {"inner": inner, "outer": outer, "n": length}).fetchnumpy()
    raw, masked = np.asarray(out["raw"], dtype=object), np.asarray(out["masked"], dtype=object)
    if len(raw) <= MASK_MEMO_MAX:
        _memo(key, length).update(zip(raw.tolist(), masked.tolist()))
    return raw, masked


def _memo(key: bytes, length: int) -> dict:
    """The process's remembered masks ({raw: masked}, :data:`_MASKED`) of this key and length."""
    tag = (hashlib.sha256(key).digest(), int(length))     # the memo's key and length, not the key itself
    if _MASKED["tag"] != tag or len(_MASKED["ids"]) > MASK_MEMO_MAX:
        _MASKED.update(tag=tag, ids={})
    return _MASKED["ids"]


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The key's inner and outer padded blocks of HMAC-SHA256 (RFC 2104)."""
    if len(key) > 64:                              # SHA-256's block size
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _hmac_sha256(key: bytes):
    """HMAC-SHA256 (RFC 2104) of one message -> hex digest, with the key's padded hash states prepared once:
    the same digests as :func:`hmac.new`, about twice as fast over a million ids."""
    ipad, opad = _hmac_pads(key)
    inner, outer = hashlib.sha256(ipad), hashlib.sha256(opad)

    def mac(message: bytes) -> str:
        i, o = inner.copy(), outer.copy()
        i.update(message)
        o.update(i.digest())
        return o.hexdigest()

    return mac


def show_ids(ids, *, allow_raw: bool) -> pd.Series:
    """Ids as they may appear in a report: raw only when ``allow_raw`` is explicitly set."""
    return pd.Series(ids).astype(str) if allow_raw else mask_ids(ids)


def artifact_ids(frame: pd.DataFrame, *, allow_raw_ids: bool = False, col: str = "customer_id") -> pd.DataFrame:
    """The frame as a report saves it among its artefacts: masked ids, raw ids only when allowed.

    Artefact files sit in the report folder that reviewers receive, so they follow the report's
    rule: ``customer_id_masked`` (:func:`mask_ids`) always, the raw ``col`` only with
    ``allow_raw_ids``. Later reports join on the masked id (same key), and the bank's own
    systems, which hold the key, can map it back.
    """
    if col not in frame.columns:
        raise KeyError(f"frame has no column {col!r}")
    masked = mask_ids(frame[col].to_numpy()).to_numpy()
    out = frame.copy()
    if allow_raw_ids:
        out.insert(out.columns.get_loc(col) + 1, MASKED_ID, masked)
    else:
        out = out.drop(columns=col)
        out.insert(0, MASKED_ID, masked)
    return out


def masked_key(frame: pd.DataFrame, *, col: str = "customer_id") -> pd.Series:
    """The masked id of every row of an artefact, whether it was saved with raw ids or masked ones."""
    if MASKED_ID in frame.columns:
        return frame[MASKED_ID].astype(str).rename(MASKED_ID)
    if col in frame.columns:
        return mask_ids(frame[col].to_numpy()).rename(MASKED_ID).set_axis(frame.index)
    raise KeyError(f"frame has neither {MASKED_ID!r} nor {col!r}")
