"""Targets of the modelling chain (02_binning -> 05_response_model -> 06_model_validation).

A target is the common parameter ``target`` (a dict) the three reports share. Its ``kind`` is one of

``campaign_response``
    ``{kind: campaign_response, campaigns: [FD2026]}``: who responds to a campaign offer (the contacted
    customers of past campaigns, target = the recorded response; :mod:`clientlens.samples`).
``primary_account_conversion``
    ``{kind: primary_account_conversion, horizon_months: 3}``: customers whose primary-account flag (the
    domain's three-condition rule, :func:`clientlens.tags.primary_account`, with the tag rules' thresholds)
    is 0 at the observation date; target 1 when it is 1 at any month-end within the horizon.
``asset_outflow``
    ``{kind: asset_outflow, horizon_months: 3, drop_share: 0.5, min_aum: 50000}``: customers with AUM of at
    least ``min_aum`` at the observation date; target 1 when AUM at a month-end within the horizon is at most
    ``(1 - drop_share)`` times the AUM at the observation date (a missing balance row counts as 0).
``product_uptake``
    ``{kind: product_uptake, product: fund, horizon_months: 3}``: customers with no balance in ``product``
    at the observation date; target 1 when they hold it (balance > 0) at a month-end within the horizon.
``table``
    ``{kind: table, path: ..., column: ..., positive: 1, id: "", date: "", sample: "", exclude: []}``: a flat
    modelling table the bank prepared (Parquet or CSV, any column names and language). ``id`` optional (row
    numbers otherwise), ``date`` optional (enables an out-of-time split), ``sample`` optional (a column whose
    values say development / validation / out_of_time), every other column a candidate predictor. No bank
    tables are needed.

Observation dates of the bank-derived kinds
-------------------------------------------
Features are the customer wide table as of the observation date (:func:`clientlens.features.build_wide_table`);
the label comes strictly after it, from the month-ends of ``monthly_balances``. With ``T`` the last month-end
on or before ``as_of`` and ``h`` the horizon: the out-of-time observation date is ``T - h`` months and the
development observation date ``T - 2h`` months, so both label windows end by ``as_of`` and the development
window ends where the out-of-time one starts. The development observation's eligible customers are split
at random (stratified, :func:`clientlens.samples.split_sample`) into ``development`` and ``validation``; the
later observation's are ``out_of_time``. When the data do not reach back to ``T - 2h`` (plus
``min_history_months`` of history), only ``T - h`` is used, with the random split alone (said in the report).
The scoring base is the eligible population at ``as_of``.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from . import DataError, ParamsError

__all__ = ["KINDS", "BANK_KINDS", "PRODUCTS", "check_target", "describe", "TargetSample", "build_sample",
           "binning_samples", "fit_target_model", "scored_sample", "list_rules", "column_fates",
           "observation_dates", "SAMPLE_LABELS"]

KINDS = ("campaign_response", "primary_account_conversion", "asset_outflow", "product_uptake", "table")
BANK_KINDS = ("primary_account_conversion", "asset_outflow", "product_uptake")
#: Balance columns of ``monthly_balances`` a product_uptake target can name.
PRODUCTS = ("fund", "wealth_mgmt", "insurance", "time_deposit", "loan", "credit_card")
#: Labels of the ``sample`` column of the scored sample.
SAMPLE_LABELS = ("development", "validation", "out_of_time")

_SPEC = {   # key -> (default, required)
    "campaign_response": {"campaigns": (None, False)},
    "primary_account_conversion": {"horizon_months": (3, False)},
    "asset_outflow": {"horizon_months": (3, False), "drop_share": (0.5, False), "min_aum": (50_000.0, False)},
    "product_uptake": {"product": ("fund", False), "horizon_months": (3, False)},
    "table": {"path": (None, True), "column": (None, True), "positive": (1, False), "id": ("", False),
              "date": ("", False), "sample": ("", False), "exclude": ([], False)},
}
_PRODUCT_WORDS = {"fund": "a fund", "wealth_mgmt": "a wealth-management product", "insurance": "insurance",
                  "time_deposit": "a time deposit", "loan": "a loan", "credit_card": "a credit card"}


# --------------------------------------------------------------------------- the parameter

def _table_columns(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet" or path.is_dir():
        import pyarrow.parquet as pq

        return list(pq.read_schema(next(path.glob("*.parquet")) if path.is_dir() else path).names)
    return list(pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns)


def check_target(target, *, data_dir: str | None = None, check_files: bool = True) -> dict:
    """Validate the ``target`` parameter and return it with its defaults filled in.

    Raises
    ------
    ParamsError
        One line: not a dict, unknown kind, unknown or missing keys, bad values, a bank-derived kind
        without ``data_dir``, the table file or one of its named columns not found.
    """
    if not isinstance(target, dict):
        raise ParamsError(f"target must be a dict with a 'kind' (one of {list(KINDS)}); got {target!r}")
    kind = target.get("kind")
    if kind not in KINDS:
        raise ParamsError(f"target: kind must be one of {list(KINDS)}; got {kind!r}")
    spec = _SPEC[kind]
    unknown = sorted(set(target) - set(spec) - {"kind"})
    if unknown:
        raise ParamsError(f"target ({kind}): unknown key(s) {unknown}; valid: {sorted(spec)}")
    out = {"kind": kind}
    for k, (default, required) in spec.items():
        if k not in target or target[k] in (None, ""):
            if required:
                raise ParamsError(f"target ({kind}): '{k}' is required")
            out[k] = list(default) if isinstance(default, list) else default
        else:
            out[k] = target[k]
    if "horizon_months" in out:
        h = out["horizon_months"]
        if isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 24:
            raise ParamsError(f"target ({kind}): horizon_months must be a whole number in 1..24; got {h!r}")
    if kind == "asset_outflow":
        d, m = out["drop_share"], out["min_aum"]
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 < d < 1:
            raise ParamsError(f"target (asset_outflow): drop_share must be in (0, 1); got {d!r}")
        if isinstance(m, bool) or not isinstance(m, (int, float)) or m < 0:
            raise ParamsError(f"target (asset_outflow): min_aum must be a number >= 0; got {m!r}")
        out["drop_share"], out["min_aum"] = float(d), float(m)
    if kind == "product_uptake" and out["product"] not in PRODUCTS:
        raise ParamsError(f"target (product_uptake): product must be one of {list(PRODUCTS)}; got {out['product']!r}")
    if kind == "campaign_response" and out["campaigns"] is not None:
        c = out["campaigns"]
        if isinstance(c, str):
            c = [c]
        if not isinstance(c, list) or not c or not all(isinstance(x, str) and x for x in c):
            raise ParamsError(f"target (campaign_response): campaigns must be a non-empty list of campaign ids; got {c!r}")
        out["campaigns"] = c
    if kind in BANK_KINDS and not data_dir:
        raise ParamsError(f"target ({kind}) is derived from the bank tables: data_dir must name their folder")
    if kind == "table":
        ex = out["exclude"]
        if isinstance(ex, str):
            ex = [ex]
        if not isinstance(ex, list) or not all(isinstance(x, str) for x in ex):
            raise ParamsError(f"target (table): exclude must be a list of column names; got {ex!r}")
        out["exclude"] = ex
        for k in ("path", "column", "id", "date", "sample"):
            if not isinstance(out[k], str):
                raise ParamsError(f"target (table): {k} must be a text; got {out[k]!r}")
        if check_files:
            from . import config

            path = config.resolve(out["path"])
            if not path.exists():
                raise ParamsError(f"target (table): file {out['path']} not found")
            try:
                cols = _table_columns(path)
            except Exception as e:   # unreadable file: one line
                raise ParamsError(f"target (table): {out['path']}: cannot read the header ({type(e).__name__}: "
                                  f"{str(e).splitlines()[0][:120]})") from None
            for k in ("column", "id", "date", "sample"):
                if out[k] and out[k] not in cols:
                    raise ParamsError(f"target (table): {out['path']}: column '{out[k]}' ({k}) not found; "
                                      f"columns: {cols[:12]}")
            absent = [c for c in out["exclude"] if c not in cols]
            if absent:
                raise ParamsError(f"target (table): {out['path']}: exclude column(s) {absent} not found")
    return out


def describe(target: dict) -> dict:
    """Words for reports, lists and the model card, from the target itself.

    Keys: ``kind``, ``predicts`` ("converts to a primary account within 3 months"), ``title``,
    ``population`` (who is scored), ``event`` / ``events`` (a converter / converters), ``rate`` (what the
    event rate is called), ``contactable`` (a customer base to list), ``benchmark`` (the reference bank's
    result for this kind, or None).
    """
    from .i18n import t as _t, value as _value

    t = target
    k = t["kind"]
    h = t.get("horizon_months")
    within = (_t("within {h} month", h=h) if h == 1 else _t("within {h} months", h=h)) if h else ""
    if k == "campaign_response":
        camps = ", ".join(t.get("campaigns") or [])
        return {"kind": k, "predicts": _t("responds to the campaign offer ({campaigns})", campaigns=camps),
                "title": _t("campaign response"), "population": _t("customers contacted in the campaign(s)"),
                "event": _t("responder"), "events": _t("responders"), "rate": _t("response rate"), "contactable": True,
                "benchmark": None}
    if k == "primary_account_conversion":
        return {"kind": k, "predicts": _t("converts to a primary account {within}", within=within),
                "title": _t("conversion to primary account (主账户转化)"),
                "population": _t("customers whose account is not their primary account at the observation date"),
                "event": _t("converter"), "events": _t("converters"), "rate": _t("conversion rate"), "contactable": True,
                "benchmark": _t("the reference bank's conversion model: the top 10% captured 36% of converters "
                                "(lift 3.6x)")}
    if k == "asset_outflow":
        return {"kind": k, "predicts": _t("moves at least {share:.0%} of assets out {within}", share=t["drop_share"],
                                          within=within),
                "title": _t("asset outflow early warning (流失预警)"),
                "population": _t("customers with AUM of at least {aum:,.0f} at the observation date", aum=t["min_aum"]),
                "event": _t("customer moving assets out"), "events": _t("customers moving assets out"),
                "rate": _t("outflow rate"), "contactable": True, "benchmark": None}
    if k == "product_uptake":
        w = _t(_PRODUCT_WORDS[t["product"]]) if t["product"] in _PRODUCT_WORDS else t["product"]
        return {"kind": k, "predicts": _t("takes up {product} {within}", product=w, within=within),
                "title": _t("product uptake: {product} (产品响应)", product=_value(t["product"])),
                "population": _t("customers not holding {product} at the observation date", product=w),
                "event": _t("taker"), "events": _t("takers"), "rate": _t("uptake rate"), "contactable": True,
                "benchmark": None}
    return {"kind": k, "predicts": f"{t['column']} = {t['positive']}",
            "title": _t("{column} (own modelling table)", column=t["column"]),
            "population": _t("rows of {file}", file=Path(str(t["path"])).name), "event": f"{t['column']} = {t['positive']}",
            "events": _t("rows with {column} = {positive}", column=t["column"], positive=t["positive"]),
            "rate": _t("event rate"), "contactable": False, "benchmark": None}


# --------------------------------------------------------------------------- samples

@dataclass
class TargetSample:
    """Modelling rows of a target: features, ``target`` (0/1), ``sample`` labels, the scoring base.

    ``frame`` holds ``customer_id`` (the table's id or a row number), ``obs_date`` (when there is one),
    ``target`` and the candidate predictors; ``labels`` the sample of each row; ``features`` the candidate
    predictor columns; ``base`` the rows to score (eligible customers at as_of; the table's rows);
    ``fates`` (table kind) one row per column of the user table; ``meta`` the sample description
    (:func:`clientlens.samples.sample_meta` keys, so a saved binning can be matched); ``notes`` sentences
    for the report.
    """

    frame: pd.DataFrame
    labels: np.ndarray
    features: list[str]
    base: pd.DataFrame
    meta: dict = field(default_factory=dict)
    fates: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    has_ids: bool = True

    @property
    def dev(self) -> pd.DataFrame:
        return self.frame[self.labels == "development"]


def _ids_hash(frame: pd.DataFrame, mask) -> str:
    f = frame[np.asarray(mask, dtype=bool)]
    keys = f["customer_id"].astype(str)
    if "obs_date" in f.columns:
        keys = f["obs_date"].astype(str) + "|" + keys
    h = hashlib.sha256()
    for k in sorted(keys.tolist()):
        h.update(k.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def _meta(target: dict, frame: pd.DataFrame, labels: np.ndarray, *, split: str, validation_share: float,
          oot_date: str | None, seed: int | None, as_of: str | None, features_as_of: dict) -> dict:
    dev = labels == "development"
    y = frame["target"].to_numpy()
    random = split == "random"
    return {"campaigns": [describe(target)["predicts"]], "feature_lag_days": 0, "split": split,
            "validation_share": float(validation_share), "oot_date": oot_date or None,
            "seed": int(seed) if seed is not None else None, "n_dev": int(dev.sum()), "n_events": int(y[dev].sum()),
            "n_validation": int((labels == "validation").sum()), "n_out_of_time": int((labels == "out_of_time").sum()),
            "as_of": str(as_of) if as_of else None, "features_as_of": features_as_of,
            "dev_ids_sha256": _ids_hash(frame, dev), "target": dict(target), "random_split": random}


def _month_ends(bank, as_of: _dt.date) -> list[_dt.date]:
    if not bank.has("monthly_balances"):
        raise DataError(f"{bank.data_dir}: table 'monthly_balances' not found; the bank-derived targets read "
                        "their label from the month-end balances")
    rows = bank.con.execute("SELECT DISTINCT month_end FROM monthly_balances WHERE month_end <= ? ORDER BY 1",
                            [as_of]).fetchall()
    return [r[0] if isinstance(r[0], _dt.date) else pd.Timestamp(r[0]).date() for r in rows]


def observation_dates(month_ends: Sequence[_dt.date], horizon: int, min_history_months: int = 3) -> dict:
    """The development and out-of-time observation dates (module docstring).

    Returns ``{"development": date, "out_of_time": date or None, "note": str}``.

    Raises
    ------
    DataError
        Fewer month-ends than ``min_history_months + horizon + 1``.
    """
    me = list(month_ends)
    n = len(me)
    i_oot, i_dev = n - 1 - horizon, n - 1 - 2 * horizon
    if i_oot < min_history_months:
        raise DataError(f"monthly_balances: {n} month-end(s) up to as_of; a {horizon}-month target needs at least "
                        f"{min_history_months + horizon + 1} ({min_history_months} of history, the observation "
                        f"month-end and {horizon} to label)")
    if i_dev >= min_history_months:
        return {"development": me[i_dev], "out_of_time": me[i_oot],
                "note": _to_text("Out-of-time validation: the model is developed on customers observed at {dev} "
                                 "(label window to {oot}) and validated on a random holdout of them and on the "
                                 "customers observed at {oot} (label window to {last}).", dev=me[i_dev], oot=me[i_oot],
                                 last=me[-1])}
    return {"development": me[i_oot], "out_of_time": None,
            "note": _to_text("The data cover one complete label window only (month-ends {first} to {last}): the model "
                             "is developed and validated on customers observed at {obs} with a random stratified "
                             "holdout; no out-of-time validation.", first=me[0], last=me[-1], obs=me[i_oot])}


def _add_months(month_ends: list, d: _dt.date, k: int) -> list:
    i = month_ends.index(d)
    return month_ends[i + 1:i + 1 + k]


def _eligible_and_label(bank, target: dict, wide: pd.DataFrame, obs: _dt.date, later: list, rules) -> tuple:
    """(eligible mask over ``wide``, label for the eligible rows or None when ``later`` is empty)."""
    from .features import build_wide_table
    from .tags import primary_account

    kind = target["kind"]
    ids = wide["customer_id"].astype(str)
    if kind == "primary_account_conversion":
        elig = ~primary_account(wide, rules)["is_primary_account"].fillna(False).astype(bool).to_numpy()
        if not later:
            return elig, None
        hit = np.zeros(len(ids), dtype=bool)
        for d in later:
            w = build_wide_table(bank, d)
            flag = primary_account(w, rules)["is_primary_account"].fillna(False).astype(bool).to_numpy()
            hit |= pd.Series(flag, index=w["customer_id"].astype(str)).reindex(ids.values,
                                                                           fill_value=False).to_numpy(dtype=bool)
        return elig, hit[elig].astype(int)
    col = "aum" if kind == "asset_outflow" else target["product"]
    if col not in wide.columns:
        raise DataError(f"monthly_balances: column '{col}' is missing; the {kind} target needs it")
    now = pd.to_numeric(wide[col], errors="coerce").fillna(0.0).to_numpy()
    elig = now >= target["min_aum"] if kind == "asset_outflow" else now <= 0
    if kind == "asset_outflow":
        elig &= now > 0
    if not later:
        return elig, None
    from .data import quote_ident

    q = quote_ident(col)
    lab = bank.con.execute(
        f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, min(coalesce({q}, 0)) AS lo, max(coalesce({q}, 0)) AS hi, "
        f"count(*) AS n FROM monthly_balances WHERE month_end > ? AND month_end <= ? GROUP BY 1",
        [obs, later[-1]]).df().set_index("customer_id")
    lab = lab.reindex(ids.values)
    if kind == "asset_outflow":
        lo = lab["lo"].fillna(0.0).to_numpy()
        lo = np.where(lab["n"].fillna(0).to_numpy() < len(later), 0.0, lo)   # a missing month-end counts as 0
        y = lo <= (1 - target["drop_share"]) * now
    else:
        y = lab["hi"].fillna(0.0).to_numpy() > 0
    return elig, y[elig].astype(int)


def build_sample(bank, target: dict, *, as_of, split: str = "auto", validation_share: float = 0.3,
                 random_state: int | None = 42, tag_rules: dict | None = None,
                 min_history_months: int = 3) -> TargetSample:
    """Modelling rows of a bank-derived or table target (module docstring); not for campaign_response.

    ``split``: ``auto`` (out of time when the data cover it, else random), ``random`` or ``out_of_time``.
    """
    from .samples import split_sample

    if split not in ("auto", "random", "out_of_time"):
        raise ParamsError(f"split must be one of ['auto', 'random', 'out_of_time']; got {split!r}")
    if target["kind"] == "table":
        return _table_sample(target, split=split, validation_share=validation_share, random_state=random_state,
                             as_of=as_of)
    if target["kind"] not in BANK_KINDS:
        raise ParamsError(f"build_sample does not build {target['kind']!r} samples (use clientlens.samples)")
    from .features import build_wide_table
    from .tags import TagRules

    rules = TagRules.from_params(tag_rules or {})
    as_of_d = pd.Timestamp(str(as_of)).date()
    me = _month_ends(bank, as_of_d)
    h = int(target["horizon_months"])
    dates = observation_dates(me, h, min_history_months)
    if split == "random":
        dates = {"development": dates["out_of_time"] or dates["development"], "out_of_time": None,
                 "note": _to_text("Random stratified validation (split: random), no out-of-time sample.")}
    elif split == "out_of_time" and dates["out_of_time"] is None:
        raise DataError(dates["note"] + " Set split to auto or random.")
    parts, labels, feat_dates = [], [], {}
    for name in ("development", "out_of_time"):
        obs = dates[name]
        if obs is None:
            continue
        wide = build_wide_table(bank, obs)
        elig, y = _eligible_and_label(bank, target, wide, obs, _add_months(me, obs, h), rules)
        f = wide[elig].reset_index(drop=True)
        f.insert(1, "obs_date", pd.Timestamp(obs))
        f.insert(2, "target", y)
        if name == "development":
            lab = split_sample(f, method="random", validation_share=validation_share, target="target",
                               random_state=random_state)
        else:
            lab = np.full(len(f), "out_of_time", dtype=object)
            if f["target"].sum() == 0:
                raise DataError(f"no {describe(target)['events']} among the {len(f):,} customers observed at {obs}")
        parts.append(f)
        labels.append(np.asarray(lab, dtype=object))
        feat_dates[name] = obs.isoformat()
    frame = pd.concat(parts, ignore_index=True)
    labs = np.concatenate(labels).astype(str)
    wide_now = build_wide_table(bank, as_of_d)
    elig_now, _ = _eligible_and_label(bank, target, wide_now, as_of_d, [], rules)
    base = wide_now[elig_now].reset_index(drop=True)
    from .scoring import candidate_features

    feats = [c for c in candidate_features(frame, exclude=("target", "obs_date")) if c in base.columns]
    oot = dates["out_of_time"].isoformat() if dates["out_of_time"] else None
    meta = _meta(target, frame, labs, split="out_of_time" if oot else "random", validation_share=validation_share,
                 oot_date=oot, seed=random_state, as_of=str(as_of), features_as_of=feat_dates)
    meta["observation_note"] = dates["note"]
    notes = [dates["note"], _to_text("Scoring base: the {n:,} {population}, with {as_of} as the observation date.",
                                     n=len(base), population=describe(target)["population"], as_of=as_of_d)]
    return TargetSample(frame=frame, labels=labs, features=feats, base=base, meta=meta, notes=notes)


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet" or path.is_dir():
        return pd.read_parquet(path)
    return pd.read_csv(path, encoding="utf-8-sig", low_memory=False)


_SAMPLE_WORDS = {"development": "development", "dev": "development", "train": "development", "training": "development",
                 "开发": "development", "训练": "development", "validation": "validation", "valid": "validation",
                 "val": "validation", "test": "validation", "holdout": "validation", "验证": "validation",
                 "测试": "validation", "out_of_time": "out_of_time", "oot": "out_of_time", "跨时间": "out_of_time"}


def _table_sample(target: dict, *, split: str, validation_share: float, random_state, as_of) -> TargetSample:
    from . import config
    from .samples import split_sample

    path = config.resolve(target["path"])
    raw = _read_table(path)
    name = path.name
    col = target["column"]
    if raw.empty:
        raise DataError(f"{name}: the table is empty")
    pos = target["positive"]
    yraw = raw[col]
    known = yraw.notna()
    y = (yraw.astype(str) == str(pos)).to_numpy()
    if pd.api.types.is_numeric_dtype(yraw) and isinstance(pos, (int, float)):
        y = (pd.to_numeric(yraw, errors="coerce") == pos).to_numpy()
    if not y.any():
        raise DataError(f"{name}: column '{col}' has no value {pos!r} (the positive class); values: "
                        f"{yraw.dropna().astype(str).unique()[:6].tolist()}")
    if y.all():
        raise DataError(f"{name}: every row of column '{col}' equals {pos!r}: a target needs both classes")
    roles = {col: "target variable"}
    frame = pd.DataFrame(index=raw.index)
    has_ids = bool(target["id"])
    if has_ids:
        ids = raw[target["id"]].astype(str)
        if ids.duplicated().any():
            raise DataError(f"{name}: column '{target['id']}' (id) has {int(ids.duplicated().sum()):,} duplicate values")
        roles[target["id"]] = "id"
    else:
        ids = pd.Series([f"row{i + 1:08d}" for i in range(len(raw))], index=raw.index)
    frame["customer_id"] = ids.to_numpy()
    obs = None
    if target["date"]:
        obs = pd.to_datetime(raw[target["date"]], errors="coerce")
        if obs.isna().all():
            raise DataError(f"{name}: column '{target['date']}' (date) has no parseable date")
        frame["obs_date"] = obs.to_numpy()
        roles[target["date"]] = "observation date"
    frame["target"] = y.astype(int)
    for c in target["exclude"]:
        roles.setdefault(c, "excluded (target.exclude)")
    if target["sample"]:
        roles[target["sample"]] = "sample"
    feats = [c for c in raw.columns if c not in roles]
    fates = []
    leak_dates = {}
    cols: dict[str, np.ndarray] = {}   # gathered, then joined once (a wide table inserted column by column fragments)
    for c in feats:
        s = raw[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s):   # dates written as text: parse when they are dates
            parsed = pd.to_datetime(s, errors="coerce", format="mixed") if s.notna().any() else None
            if parsed is not None and parsed.notna().sum() >= 0.9 * s.notna().sum() \
                    and not pd.to_numeric(s, errors="coerce").notna().any():
                s = parsed
        if pd.api.types.is_datetime64_any_dtype(s):
            if obs is not None and (s > obs).mean() > 0.01:
                leak_dates[c] = float((s > obs).mean())
            elif obs is not None:
                cols[f"{c}__days_before"] = (obs - s).dt.days.astype("float64").to_numpy()
                roles[c] = f"date: used as days before {target['date']} ({c}__days_before)"
                continue
            roles[c] = "date"
            continue
        cols[c] = s.to_numpy()
    frame = pd.concat([frame, pd.DataFrame(cols, index=frame.index)], axis=1)
    frame = frame[known.to_numpy()].reset_index(drop=True)
    dropped_unlabelled = int((~known).sum())
    # samples
    if target["sample"]:
        words = raw.loc[known, target["sample"]].astype(str).str.strip().str.lower().map(
            lambda v: _SAMPLE_WORDS.get(v, v))
        bad = sorted(set(words) - set(SAMPLE_LABELS))
        if bad:
            raise DataError(f"{name}: column '{target['sample']}' (sample) has value(s) {bad[:5]}; expected "
                            f"development / validation / out_of_time")
        labs = words.to_numpy().astype(str)
        how, oot = _to_text("the table's own sample column '{column}'", column=target["sample"]), None
    elif obs is not None and split in ("auto", "out_of_time"):
        d = frame["obs_date"]
        months = sorted(d.dropna().dt.to_period("M").unique())
        if len(months) >= 2:
            cut = months[-max(1, len(months) // 4)].to_timestamp()
            is_oot = (d >= cut).to_numpy()
            inner = frame[~is_oot]
            lab_in = split_sample(inner, method="random", validation_share=validation_share, target="target",
                                  random_state=random_state)
            labs = np.full(len(frame), "out_of_time", dtype=object)
            labs[~is_oot] = lab_in
            labs = labs.astype(str)
            oot = cut.date().isoformat()
            how = _to_text("out of time: rows dated on or after {oot} (the last quarter of the months in '{date}') "
                           "validate out of time; the earlier rows are split at random", oot=oot, date=target["date"])
        else:
            if split == "out_of_time":
                raise DataError(f"{name}: column '{target['date']}' covers one month only; no out-of-time split")
            labs = split_sample(frame, method="random", validation_share=validation_share, target="target",
                                random_state=random_state)
            how, oot = _to_text("random stratified (the dates cover one month only)"), None
    else:
        if split == "out_of_time":
            raise ParamsError("split is 'out_of_time' but the target table has no date column (target.date)")
        labs = split_sample(frame, method="random", validation_share=validation_share, target="target",
                            random_state=random_state)
        how, oot = _to_text("random stratified"), None
    for lab in ("development", "validation"):
        m = labs == lab
        if m.sum() == 0 or frame["target"].to_numpy()[m].sum() == 0:
            raise DataError(f"{name}: the {lab} sample is empty or has no events")
    feat_cols = [c for c in frame.columns if c not in ("customer_id", "obs_date", "target")]
    for c in raw.columns:
        role = roles.get(c)
        if c in leak_dates:
            fates.append({"column": c, "role": "predictor", "fate": "dropped",
                          "reason": f"leak: dated after the observation date '{target['date']}' in "
                                    f"{leak_dates[c]:.0%} of rows"})
        elif role is None:
            fates.append({"column": c, "role": "predictor", "fate": "candidate", "reason": ""})
        elif role.startswith("date: used"):
            fates.append({"column": c, "role": "predictor", "fate": "candidate", "reason": role})
        elif role == "date":
            fates.append({"column": c, "role": "date", "fate": "dropped",
                          "reason": "a date (no observation date to measure it against)"})
        else:
            fates.append({"column": c, "role": role, "fate": "not a predictor", "reason": ""})
    meta = _meta(target, frame, labs, split="out_of_time" if oot else "random", validation_share=validation_share,
                 oot_date=oot, seed=random_state, as_of=str(as_of), features_as_of={})
    meta["observation_note"] = _to_text("Split: {how}.", how=how)
    notes = [_to_text("Own modelling table {name}: {rows:,} rows, {columns} columns; target '{column}' = {positive} "
                      "({events:,} events). Split: {how}.", name=name, rows=len(raw), columns=raw.shape[1], column=col,
                      positive=repr(pos), events=int(frame["target"].sum()), how=how)]
    if dropped_unlabelled:
        notes.append(_to_text("{n:,} row(s) without a value in '{column}' are left out of the samples.",
                              n=dropped_unlabelled, column=col))
    base = frame.drop(columns=["target"])
    return TargetSample(frame=frame, labels=labs, features=feat_cols, base=base, meta=meta,
                        fates=pd.DataFrame(fates, columns=["column", "role", "fate", "reason"]), notes=notes,
                        has_ids=has_ids)


#: the roles and reasons :func:`column_fates` shows, as templates (:func:`clientlens.i18n.t_matching`); the binning's own
#: drop reasons are :data:`clientlens.binning.REASON_TEMPLATES`
FATE_TEMPLATES = ("date: used as days before {date} ({column})",
                  "leak: dated after the observation date '{date}' in {share} of rows",
                  "a date (no observation date to measure it against)", "IV {iv}")


def column_fates(ts: TargetSample, summary: pd.DataFrame, selected: Sequence[str], model_vars: Sequence[str] = ()):
    """Every column of a user table with its fate after the binning (and the scorecard): used, dropped and why.
    Roles and reasons read in the report's language (the role and fate words are category values the table
    translates)."""
    from .binning import reason_text
    from .i18n import t_matching

    if ts.fates is None:
        return None
    s = summary.set_index("variable")
    rows = []
    for r in ts.fates.to_dict("records"):
        col = r["column"]
        var = col if col in s.index else next((v for v in s.index if v == f"{col}__days_before"), None)
        if r["fate"] == "candidate" and var is not None:
            if var in model_vars:
                r.update(fate="used (scorecard)", reason=f"IV {s.at[var, 'iv']:.3f}")
            elif var in selected:
                r.update(fate="selected by the binning", reason=f"IV {s.at[var, 'iv']:.3f}")
            else:
                r.update(fate="dropped", reason=str(s.at[var, "reason"]))
        r["role"] = t_matching(r["role"], FATE_TEMPLATES)
        r["reason"] = reason_text(t_matching(r["reason"], FATE_TEMPLATES))
        rows.append(r)
    return pd.DataFrame(rows, columns=["column", "role", "fate", "reason"])


def binning_samples(ts: TargetSample):
    """The binning report's samples (:class:`clientlens.binning.BinningSamples`) of a target sample:
    development rows, and the validation rows (plus out-of-time ones) as the PSI comparison sample."""
    from .binning import BinningSamples

    dev = ts.labels == "development"
    cmp_ = ~dev
    X = ts.frame[ts.features]
    y = ts.frame["target"].to_numpy()
    rows = []
    for name in SAMPLE_LABELS:
        m = ts.labels == name
        if m.any():
            rows.append({"sample": name, "source": _to_text({"development": "development sample",
                                                             "validation": "validation holdout",
                                                             "out_of_time": "out-of-time sample"}[name]),
                         "features_as_of": ts.meta.get("features_as_of", {}).get(
                             "out_of_time" if name == "out_of_time" else "development", ""),
                         "rows": int(m.sum()), "events": int(y[m].sum()), "event_rate": float(y[m].mean())})
    return BinningSamples(X_dev=X[dev].reset_index(drop=True), y_dev=y[dev], X_cmp=X[cmp_].reset_index(drop=True),
                          y_cmp=y[cmp_], info=pd.DataFrame(rows), notes=list(ts.notes), meta=dict(ts.meta))


# --------------------------------------------------------------------------- model

def fit_target_model(ts: TargetSample, target: dict, *, binner=None, binning_info: dict | None = None,
                     binner_params: dict | None = None, max_variables: int | None = None, pdo: float = 20.0,
                     base_score: float = 600.0, base_odds: float = 19.0, C: float = 1.0,
                     fit_challenger: bool = True, random_state: int | None = 42, allow_raw_ids: bool = False) -> dict:
    """Scorecard (+ challenger) on a target sample; the dict of :func:`clientlens.scoring.fit_response_model`
    (``scorecard``, ``challenger``, ``samples``, ``meta``) plus ``base`` (the rows to score).

    ``samples`` carries ``response`` (= ``target``) and ``group`` so the validation report reads it as it
    reads a campaign model's.
    """
    from .samples import describe_meta
    from .scoring import GradientBoostingChallenger, ResponseScorecard, score_frame

    frame, labels = ts.frame, ts.labels
    dev = frame[labels == "development"]
    if binner is not None:
        absent = [v for v in binner.selected_ if v not in frame.columns]
        if absent:
            raise DataError(f"the saved binning uses variable(s) {absent[:5]} not in the modelling sample")
    info = dict(binning_info or {"source": "fitted here", "kind": "note", "mismatch": [], "sample": dict(ts.meta),
                                 "note": "fitted on the development sample"})
    info["same_as_development"] = bool(info.get("sample")) and \
        info["sample"].get("dev_ids_sha256") == ts.meta.get("dev_ids_sha256")
    sc = ResponseScorecard(binner=binner, binner_params=binner_params, max_variables=max_variables, pdo=pdo,
                           base_score=base_score, base_odds=base_odds, C=C, random_state=random_state)
    sc.fit(dev[ts.features], dev["target"])
    ch = None
    if fit_challenger:
        pool = [v for v in (getattr(sc.binner_, "iv_passed_", None) or ts.features) if v in ts.features]
        ch = GradientBoostingChallenger(features=pool, random_state=random_state).fit(dev, dev["target"])
    model = {"scorecard": sc, "challenger": ch}
    samples = score_frame(model, frame, allow_raw_ids=allow_raw_ids)
    if not ts.has_ids:
        samples = samples.drop(columns=[c for c in ("customer_id", "customer_id_masked") if c in samples.columns])
    pos = 0
    if "obs_date" in frame.columns:
        samples.insert(pos, "obs_date", pd.to_datetime(frame["obs_date"]).to_numpy())
        pos += 1
    samples.insert(pos, "group", "n/a")
    samples.insert(pos + 1, "sample", labels)
    samples.insert(pos + 2, "response", frame["target"].to_numpy())
    samples.insert(pos + 3, "target", frame["target"].to_numpy())
    d = describe(target)
    fa = dict(ts.meta.get("features_as_of", {}))
    windows = {d["predicts"]: [fa.get("development", "-"), fa.get("out_of_time", fa.get("development", "-"))]}
    meta = {
        "target": _to_text("target = 1 when the customer {predicts}; population: {population}.",
                           predicts=d["predicts"], population=d["population"]),
        "target_spec": dict(target), "target_words": d, "campaigns": [d["predicts"]],
        "features_as_of": fa or {"table": "as recorded in the table"}, "contact_windows": windows,
        "dropped_no_response": {}, "split": "random", "validation_share": ts.meta.get("validation_share"),
        "oot_date": ts.meta.get("oot_date"),
        "n": {s: int((labels == s).sum()) for s in SAMPLE_LABELS},
        "responders": {s: int(frame["target"].to_numpy()[labels == s].sum()) for s in SAMPLE_LABELS},
        "sample": dict(ts.meta), "binning_source": (f"{info['source']} (reused): fitted on the "
                                                    f"{describe_meta(info.get('sample'))}" if binner is not None
                                                    else f"fitted in the model fit on the {describe_meta(ts.meta)}"),
        "binning": info, "n_candidates": len(ts.features),
        "points": {"pdo": pdo, "base_score": base_score, "base_odds": base_odds}, "C": C,
        "random_state": random_state,
    }
    model.update(samples=samples, meta=meta, base=ts.base)
    return model


def scored_sample(model: dict) -> pd.DataFrame:
    """The ``scored_sample.parquet`` artefact: ``customer_id_masked`` (when there are ids), ``obs_date``
    (when there is one), ``sample`` (development / validation / out_of_time), ``target`` (0/1), ``prob``,
    ``score``."""
    s = model["samples"]
    cols = [c for c in ("customer_id_masked", "customer_id", "obs_date") if c in s.columns]
    out = s[cols].copy()
    if "obs_date" not in out.columns and "contact_date" in s.columns:
        out["obs_date"] = pd.to_datetime(s["contact_date"])
    out["sample"] = s["sample"].astype(str).to_numpy()
    out["target"] = (s["target"] if "target" in s.columns else s["response"]).astype("int64").to_numpy()
    out["prob"] = s["prob"].to_numpy()
    out["score"] = s["score"].to_numpy()
    return out


def list_rules(base: pd.DataFrame, *, exclude_opt_out: bool, recent_contact_days: int | None) -> tuple[dict, list[str]]:
    """Contact rules of the list that the base's columns allow; a rule needing an absent column is skipped
    with a note (``marketing_opt_out``, ``days_since_last_contact`` are optional)."""
    notes = []
    opt = bool(exclude_opt_out)
    if opt and "marketing_opt_out" not in base.columns:
        opt = False
        notes.append(_to_text("No marketing_opt_out column: the opt-out rule is skipped (check the list against "
                              "the bank's do-not-contact register)."))
    recent = recent_contact_days
    if recent is not None and "days_since_last_contact" not in base.columns:
        recent = None
        notes.append(_to_text("No campaign history (campaigns table): the recent-contact rule is skipped."))
    return {"exclude_opt_out": opt, "recent_contact_days": recent}, notes


def _to_text(text: str, /, **fields) -> str:
    from .i18n import t

    return t(text, **fields)


def sample_table(model: dict) -> pd.DataFrame:
    """Rows, events and event rate per sample (and per campaign for a campaign model), with the dates."""
    s, meta = model["samples"], model["meta"]
    y = s["response"] if "response" in s.columns else s["target"]
    keys = ["campaign_id", "sample"] if "campaign_id" in s.columns else ["sample"]
    rows = []
    for key, part in s.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        r = dict(zip(keys, key))
        yy = y.loc[part.index]
        r.update(rows=len(part), events=int(yy.sum()), event_rate=float(yy.mean()))
        if "campaign_id" in r:
            r["dates"] = _to_text(" to ").join(meta["contact_windows"].get(r["campaign_id"], []))
            r["features as of"] = meta["features_as_of"].get(r["campaign_id"], "")
        elif "obs_date" in part.columns:
            r["observation date"] = str(pd.Timestamp(part["obs_date"].min()).date())
        rows.append(r)
    out = pd.DataFrame(rows)
    order = {k: i for i, k in enumerate(SAMPLE_LABELS)}
    return out.sort_values(keys, key=lambda c: c.map(order) if c.name == "sample" else c, kind="mergesort",
                           ignore_index=True)


def fingerprints(target: dict) -> dict[str, str]:
    """SHA-256 of a table target's file (``{path: digest}``); empty for the other kinds."""
    if target.get("kind") != "table":
        return {}
    from . import config
    from .data import file_sha256

    path = config.resolve(target["path"])
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    return {str(f): file_sha256(f) for f in files}
