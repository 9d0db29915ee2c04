"""Personal-information protection: masked customer ids for reports and exports."""
from __future__ import annotations

import hashlib

import pandas as pd


def mask_ids(ids, salt: str = "clientlens", length: int = 12) -> pd.Series:
    """Replace raw customer ids by stable salted hashes (``K-3f9a1c0b2d4e``).

    The same id and salt always give the same masked id, so lists from one run
    can be joined back by the bank's own systems holding the salt, while the
    report or export never shows the raw number.

    Parameters
    ----------
    ids : array-like
        Raw customer identifiers.
    salt : str
        Secret salt from params; change it to make masks unlinkable across runs.
    length : int
        Hex characters kept (default 12: collisions negligible below ~10^7 ids).
    """
    s = pd.Series(ids)
    uniq = pd.unique(s.astype(str))
    mapping = {u: "K-" + hashlib.sha256((salt + "|" + u).encode("utf-8")).hexdigest()[:length] for u in uniq}
    return s.astype(str).map(mapping).rename(s.name)


def show_ids(ids, *, allow_raw: bool, salt: str = "clientlens") -> pd.Series:
    """Ids as they may appear in a report: raw only when ``allow_raw`` is explicitly set."""
    return pd.Series(ids).astype(str) if allow_raw else mask_ids(ids, salt)
