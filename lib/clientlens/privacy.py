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


MASKED_ID = "customer_id_masked"


def artifact_ids(frame: pd.DataFrame, *, allow_raw_ids: bool = False, salt: str = "clientlens",
                 col: str = "customer_id") -> pd.DataFrame:
    """The frame as a report saves it among its artefacts: masked ids, raw ids only when allowed.

    Artefact files sit in the report folder that reviewers receive, so they follow the report's
    rule: ``customer_id_masked`` (:func:`mask_ids` with the run's salt) always, the raw ``col``
    only with ``allow_raw_ids``. Later reports join on the masked id (same salt), and the bank's
    own systems, which hold the salt, can map it back.
    """
    if col not in frame.columns:
        raise KeyError(f"frame has no column {col!r}")
    masked = mask_ids(frame[col].to_numpy(), salt).to_numpy()
    out = frame.copy()
    if allow_raw_ids:
        out.insert(out.columns.get_loc(col) + 1, MASKED_ID, masked)
    else:
        out = out.drop(columns=col)
        out.insert(0, MASKED_ID, masked)
    return out


def masked_key(frame: pd.DataFrame, *, salt: str = "clientlens", col: str = "customer_id") -> pd.Series:
    """The masked id of every row of an artefact, whether it was saved with raw ids or masked ones."""
    if MASKED_ID in frame.columns:
        return frame[MASKED_ID].astype(str).rename(MASKED_ID)
    if col in frame.columns:
        return mask_ids(frame[col].to_numpy(), salt).rename(MASKED_ID).set_axis(frame.index)
    raise KeyError(f"frame has neither {MASKED_ID!r} nor {col!r}")
