"""Development and validation samples of campaign-response models, shared by binning and scoring.

The WOE binning of ``02_binning`` and the scorecard of ``05_response_model`` must be fitted on the
*same* development sample, and neither may see the validation sample: otherwise the binning has seen
the rows the model is validated on (leakage), or the model uses bins learnt on another campaign's
response. Both reports therefore build their samples here, with the same parameters:

* :func:`training_frame` - contacted customers of one or more campaigns with a recorded response and
  the wide-table features as of ``feature_lag_days`` before the campaign's first contact;
* :func:`split_sample` - the one split function: ``"random"`` (stratified by the target) or
  ``"out_of_time"`` (by contact date);
* :func:`model_sample` - both at once, with :func:`sample_meta`, the description that is saved with
  a fitted binning and compared by :func:`meta_mismatch` before the binning is reused.

Split rules (deterministic: same rows + same parameters -> same labels)
---------------------------------------------------------------------
``random``
    Rows are first put in a canonical order - by ``campaign_id`` and ``customer_id`` when the frame has
    them (so the split does not depend on how the rows happen to be ordered), else the frame's order.
    Within each target class of ``n_c`` rows, exactly ``k_c = floor(n_c * validation_share + 0.5)``
    rows (rounded half up) are drawn without replacement with ``numpy.random.default_rng(random_state)``
    (class 0 first, then class 1) and labelled validation. The event rate of each sample therefore
    equals the overall rate up to that rounding.
``out_of_time``
    ``date_col < oot_date`` -> development; ``date_col >= oot_date`` -> validation (the cut-off day
    itself belongs to the *validation* sample). ``validation_share`` and ``random_state`` are unused.

The development sample is identified by :func:`ids_hash`: the SHA-256 of the sorted
``campaign_id|customer_id`` keys of its rows. The hash is stored, never the ids themselves.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from . import DataError, ParamsError

__all__ = ["SPLIT_METHODS", "ORDER_COLUMNS", "split_sample", "training_frame", "ids_hash", "sample_meta",
           "meta_mismatch", "describe_meta", "ModelSample", "model_sample", "MATCH_KEYS"]

#: Split methods of :func:`split_sample`.
SPLIT_METHODS = ("random", "out_of_time")
#: Columns that give the rows their canonical order before a random split (when present).
ORDER_COLUMNS = ("campaign_id", "customer_id")
#: Keys of :func:`sample_meta` that must be equal for a saved binning to be reused.
MATCH_KEYS = ("campaigns", "feature_lag_days", "split", "validation_share", "oot_date", "seed", "n_dev",
              "n_events", "dev_ids_sha256")


def _target(frame: pd.DataFrame, target: str) -> np.ndarray:
    from .lift import _check_target

    if target not in frame.columns:
        raise DataError(f"column '{target}' (the target) is not in the frame")
    return _check_target(frame[target], target)


def split_sample(frame: pd.DataFrame, method: str = "random", validation_share: float = 0.3,
                 target: str = "response", date_col: str = "contact_date", oot_date: str | None = None,
                 random_state: int | None = 42, in_time_share: float = 0.0) -> np.ndarray:
    """Label each row ``"development"`` or ``"validation"`` (module docstring: split rules).

    With ``method="out_of_time"`` and ``in_time_share > 0`` the split has three parts: rows on or after
    ``oot_date`` are ``"out_of_time"``, and the earlier rows are cut by the ``random`` rule (share
    ``in_time_share``, ``random_state``) into ``"development"`` and ``"validation"`` (the in-time holdout).

    Parameters
    ----------
    frame : DataFrame
        One row per contact with the 0/1 ``target`` (and ``date_col`` for ``out_of_time``).
    method : {"random", "out_of_time"}
    validation_share : float
        Share of each target class in the validation sample (``random``), in (0, 1).
    oot_date : str
        ``YYYY-MM-DD``; rows on or after it are the validation sample (``out_of_time``).
    random_state : int, optional

    Returns
    -------
    numpy.ndarray of str, aligned with ``frame``'s rows.

    Raises
    ------
    ParamsError
        Unknown method, share outside (0, 1), missing or bad ``oot_date``.
    DataError
        Either sample empty or without responders (a validation sample without events cannot be validated).
    """
    if method not in SPLIT_METHODS:
        raise ParamsError(f"split must be one of {list(SPLIT_METHODS)}; got {method!r}")
    y = _target(frame, target)
    n = len(frame)
    if method == "random":
        if isinstance(validation_share, bool) or not (isinstance(validation_share, (int, float))
                                                       and 0 < validation_share < 1):
            raise ParamsError(f"validation_share must be in (0, 1); got {validation_share!r}")
        keys = [c for c in ORDER_COLUMNS if c in frame.columns]
        if keys:   # canonical order: the split does not depend on the input row order
            order = np.lexsort([frame[c].astype(str).to_numpy() for c in reversed(keys)])
        else:
            order = np.arange(n)
        y_sorted = y[order]
        rng = np.random.default_rng(random_state)
        is_val_sorted = np.zeros(n, dtype=bool)
        for cls in (0, 1):
            idx = np.flatnonzero(y_sorted == cls)
            k = int(np.floor(len(idx) * validation_share + 0.5))
            is_val_sorted[idx[rng.choice(len(idx), size=k, replace=False)]] = True
        is_val = np.empty(n, dtype=bool)
        is_val[order] = is_val_sorted
    else:
        if not oot_date:
            raise ParamsError("oot_date must be a date YYYY-MM-DD when split is 'out_of_time'; got ''")
        if date_col not in frame.columns:
            raise DataError(f"column '{date_col}' (for the out-of-time split) is not in the frame")
        try:
            cut = pd.Timestamp(str(oot_date))
        except ValueError:
            raise ParamsError(f"oot_date must be a date YYYY-MM-DD; got {oot_date!r}") from None
        is_val = (pd.to_datetime(frame[date_col]) >= cut).to_numpy()
        if in_time_share:
            if (~is_val).sum() == 0:
                raise DataError(f"the development sample is empty (split={method!r}); pick a later oot_date")
            early = frame[~is_val]
            inner = split_sample(early, "random", validation_share=in_time_share, target=target,
                                 random_state=random_state)
            labels = np.full(n, "out_of_time", dtype=object)
            labels[np.flatnonzero(~is_val)] = inner
            if y[is_val].sum() == 0:
                raise DataError(f"the out_of_time sample has no responders (events) among {int(is_val.sum()):,} "
                                f"rows; pick another oot_date")
            return labels.astype(str)
    for name, mask in (("development", ~is_val), ("validation", is_val)):
        if mask.sum() == 0:
            raise DataError(f"the {name} sample is empty (split={method!r}); change validation_share or oot_date")
        if y[mask].sum() == 0:
            raise DataError(f"the {name} sample has no responders (events) among {int(mask.sum()):,} rows; "
                            f"lift, KS and AUC cannot be computed - widen it or pick another oot_date")
    return np.where(is_val, "validation", "development")


def training_frame(bank, campaign_ids: str | Sequence[str], feature_lag_days: int = 1) -> pd.DataFrame:
    """Contacted customers of one or more campaigns with their features and a known response.

    Features come from :func:`clientlens.features.campaign_frame` (as of ``feature_lag_days`` before the
    campaign's first contact). Rows whose response is not recorded yet are dropped (counted in
    ``attrs["dropped_no_response"]``); ``attrs["features_as_of"]`` maps each campaign to its feature date.

    Raises
    ------
    DataError
        A campaign without any recorded response, or without responders.
    """
    from .features import campaign_frame

    ids = [campaign_ids] if isinstance(campaign_ids, str) else list(campaign_ids)
    if not ids:
        raise ParamsError("campaigns must name at least one campaign_id")
    parts, as_of, dropped = [], {}, {}
    for cid in ids:
        f = campaign_frame(bank, cid, feature_lag_days=feature_lag_days)
        if "response" not in f.columns:
            raise DataError(f"campaigns: column 'response' is missing; campaign {cid!r} has no target")
        known = f["response"].notna()
        if not known.any():
            raise DataError(f"campaign {cid!r}: response is empty for all {len(f):,} contacts; the target is "
                            f"missing (results not recorded yet?) - train on a campaign whose responses are in")
        if int(f.loc[known, "response"].sum()) == 0:
            raise DataError(f"campaign {cid!r}: no responders among {int(known.sum()):,} contacts with a "
                            f"recorded response; a response model needs events")
        dropped[cid] = int((~known).sum())
        as_of[cid] = f.attrs.get("features_as_of")
        parts.append(f[known])
    out = pd.concat(parts, ignore_index=True)
    out["response"] = out["response"].astype("int64")
    out.attrs["features_as_of"] = as_of
    out.attrs["dropped_no_response"] = dropped
    return out


def ids_hash(frame: pd.DataFrame, mask=None) -> str:
    """SHA-256 (hex) of the sorted ``campaign_id|customer_id`` keys of the rows (``mask``: a subset).

    Identifies a sample without storing its ids; the row order does not matter.
    """
    if "customer_id" not in frame.columns:
        raise DataError("column 'customer_id' is missing; cannot identify the sample")
    f = frame if mask is None else frame[np.asarray(mask, dtype=bool)]
    cust = f["customer_id"].astype(str)
    keys = (f["campaign_id"].astype(str) + "|" + cust) if "campaign_id" in f.columns else cust
    h = hashlib.sha256()
    for k in sorted(keys.tolist()):
        h.update(k.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def sample_meta(frame: pd.DataFrame, labels, *, campaigns: Sequence[str], feature_lag_days: int, split: str,
                validation_share: float | None, oot_date: str | None, seed: int | None,
                as_of: str | None = None, target: str = "response") -> dict:
    """Description of the development sample of ``frame`` under ``labels`` (saved with a binning).

    Keys: ``campaigns, feature_lag_days, split, validation_share`` (None for out_of_time),
    ``oot_date`` (None for random), ``seed`` (None for out_of_time), ``n_dev, n_events, n_validation,
    as_of, features_as_of, dev_ids_sha256``.
    """
    labels = np.asarray(labels)
    dev = labels == "development"
    y = _target(frame, target)
    random = split == "random"
    return {
        "campaigns": [str(c) for c in ([campaigns] if isinstance(campaigns, str) else campaigns)],
        "feature_lag_days": int(feature_lag_days), "split": str(split),
        "validation_share": float(validation_share) if random else None,
        "oot_date": None if random else (str(oot_date) if oot_date else None),
        "seed": (int(seed) if seed is not None else None) if random else None,
        "n_dev": int(dev.sum()), "n_events": int(y[dev].sum()), "n_validation": int((~dev).sum()),
        "as_of": str(as_of) if as_of else None,
        "features_as_of": {str(k): (str(v) if v is not None else None)
                           for k, v in dict(frame.attrs.get("features_as_of", {})).items()},
        "dev_ids_sha256": ids_hash(frame, dev),
    }


def meta_mismatch(saved: dict | None, expected: dict) -> list[str]:
    """Differences between a saved binning's sample description and the expected one, in words.

    An empty list means the saved binning was fitted on exactly the expected development sample
    (same :data:`MATCH_KEYS`, including the hash of the development ids).
    """
    if not saved:
        return ["the saved binning carries no description of its sample (saved before samples were recorded)"]
    out = []
    for k in MATCH_KEYS:
        a, b = saved.get(k), expected.get(k)
        if k == "validation_share" and a is not None and b is not None:
            same = abs(float(a) - float(b)) < 1e-12
        else:
            same = a == b
        if not same:
            if k == "dev_ids_sha256":
                out.append(f"development ids differ (hash {str(a)[:12]}... vs {str(b)[:12]}...)")
            else:
                out.append(f"{k}: {a!r} vs {b!r}")
    return out


def describe_meta(meta: dict | None) -> str:
    """One line describing a sample: campaigns, split, sizes and the id hash prefix."""
    from .i18n import t

    if not meta:
        return t("sample not recorded")
    if meta.get("target"):   # a bank-derived or table target (clientlens.targets)
        from .i18n import value

        dates = ", ".join(f"{value(k)} {v}" for k, v in (meta.get("features_as_of") or {}).items())
        how = (t("out-of-time sample from {oot_date}", oot_date=meta["oot_date"]) if meta.get("oot_date")
               else t("no out-of-time sample"))
        return t("development sample of '{target}' (observed at {dates}; random holdout {share:.0%}, seed {seed}; "
                 "{how}): {n:,} rows, {k:,} events; ids hash {sha}", target=", ".join(meta.get("campaigns", [])),
                 dates=dates or t("the table dates"), share=meta.get("validation_share", 0), seed=meta.get("seed"),
                 how=how, n=meta.get("n_dev", 0), k=meta.get("n_events", 0), sha=str(meta.get("dev_ids_sha256", ""))[:12])
    split = (t("stratified random split, validation share {share:.0%}, seed {seed}", share=meta["validation_share"],
               seed=meta["seed"]) if meta.get("split") == "random"
             else t("out-of-time split at {oot_date}", oot_date=meta.get("oot_date")))
    return t("development sample of {campaigns} ({split}; features {lag} day(s) before contact): {n:,} contacts, "
             "{k:,} responders; ids hash {sha}", campaigns=", ".join(meta.get("campaigns", [])), split=split,
             lag=meta.get("feature_lag_days"), n=meta.get("n_dev", 0), k=meta.get("n_events", 0),
             sha=str(meta.get("dev_ids_sha256", ""))[:12])


@dataclass
class ModelSample:
    """A training frame, its development/validation labels and the description of the development sample."""

    frame: pd.DataFrame
    labels: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def dev(self) -> pd.DataFrame:
        return self.frame[self.labels == "development"]

    @property
    def val(self) -> pd.DataFrame:
        return self.frame[self.labels == "validation"]


def model_sample(bank, campaigns: str | Sequence[str], *, feature_lag_days: int = 1, split: str = "random",
                 validation_share: float = 0.3, oot_date: str | None = "", random_state: int | None = 42,
                 as_of: str | None = None, in_time_share: float = 0.0,
                 frame: pd.DataFrame | None = None) -> ModelSample:
    """:func:`training_frame` + :func:`split_sample` + :func:`sample_meta`: the samples 02 and 05 share.

    ``in_time_share`` > 0 with ``split="out_of_time"``: three parts (development, in-time ``validation``
    holdout, ``out_of_time``; see :func:`split_sample`). ``frame``: the :func:`training_frame` of these
    campaigns and ``feature_lag_days`` when already built (:meth:`clientlens.cache.RunCache.model_sample`
    passes the run's stored copy)."""
    campaigns = [campaigns] if isinstance(campaigns, str) else list(campaigns)
    if frame is None:
        frame = training_frame(bank, campaigns, feature_lag_days=feature_lag_days)
    labels = split_sample(frame, method=split, validation_share=validation_share, oot_date=oot_date or None,
                          random_state=random_state, in_time_share=in_time_share if split == "out_of_time" else 0.0)
    meta = sample_meta(frame, labels, campaigns=campaigns, feature_lag_days=feature_lag_days, split=split,
                       validation_share=validation_share, oot_date=oot_date, seed=random_state, as_of=as_of)
    return ModelSample(frame=frame, labels=labels, meta=meta)
