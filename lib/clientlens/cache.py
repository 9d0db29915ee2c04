"""The run cache: intermediates computed once per dated run and reused by every report.

Several reports need the same expensive intermediates: the customer wide table and tags as of the
run date (01, 03, 04, 05), the campaign modelling sample (02, 05), the RFM summary (04), the event
back-test (07). :class:`RunCache` computes each once, materialises it as Parquet in one place per
dated run, ``reports/<as_of>/_cache/``, and hands later reports (or a re-run, or an analyst
re-running cells in JupyterLab, which resolves the same folder) the stored copy.

An entry is keyed by a hash of

* the input data: the SHA-256 of every loaded file (memoised by size and modification time in
  ``_cache/fingerprints.json``, so a changed file is re-hashed) and the loader's view definitions
  (file paths, ``column_map``, ``value_map``, ``unknown_customers`` and casts);
* the code version: the package version and a hash of the source of the library modules that
  produce the intermediate (not the git commit: an uncommitted edit invalidates too);
* the parameters that shape it (as-of date, windows, tag rules, campaigns, RFM settings, rules);
* a fingerprint of the id-masking key (the mask of a fixed probe string, which does not reveal the
  key): a new key recomputes, so stored masked ids always match the run's.

Entries hold masked ids only (``customer_id_masked``), like every other file of a report folder;
raw ids are restored in memory from the loaded customers table. An entry is a folder written under
a temporary name and renamed into place, so a concurrent or killed run never leaves a half-written
one; a newer entry of the same intermediate and parameters replaces the older one. Computing an entry holds
an OS file lock on it, so two report kernels of a parallel run-all asking for the same intermediate
compute it once (the second waits and reuses it).

Every use is logged (``intermediates.json`` in the report's output folder: what was reused, what
was computed); the runner lists it in the report's provenance. ``CLIENTLENS_CACHE=off`` in the
environment turns the cache off (everything is computed, nothing is stored).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import hashlib
import importlib.util
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

try:
    import fcntl
except ImportError:  # not POSIX: no cross-process lock (two kernels may compute the same entry; both store it atomically)
    fcntl = None

from . import __version__, config
from .i18n import t

__all__ = ["RunCache", "CACHE_DIRNAME", "LOG_FILE", "ENV_SWITCH", "code_fingerprint", "mask_key_fingerprint",
           "cache_enabled", "frame_fingerprint"]

CACHE_DIRNAME = "_cache"
LOG_FILE = "intermediates.json"
ENV_SWITCH = "CLIENTLENS_CACHE"
_ID = "customer_id"
_MASKED = "customer_id_masked"
_STALE_TMP_SECONDS = 3600
#: library modules whose source shapes each intermediate (with ``cache`` and ``privacy`` always)
KIND_MODULES = {
    "wide": ("data", "schema", "features"),
    "tags": ("data", "schema", "features", "tags"),
    "sample": ("data", "schema", "features", "samples"),
    "rfm": ("data", "schema", "clv"),
    "btyd": ("data", "schema", "clv"),
    "value": ("data", "schema", "clv", "value"),
    "events": ("data", "schema", "params", "events"),
    "fit": ("binning", "scoring", "lift", "validation"),
    "scores": ("binning", "scoring", "lift", "validation", "features"),
    "overview": ("data", "schema", "report", "activity", "overview", "reconciliation", "sections_overview"),
}


def cache_enabled() -> bool:
    """False when the environment sets ``CLIENTLENS_CACHE`` to off / 0 / false / no."""
    return os.environ.get(ENV_SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")


def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()


_CODE_FP: dict[tuple, str] = {}
#: the rows of each report's ``intermediates.json`` (by folder), shared by the RunCache objects of this process
_REPORT_LOGS: dict[str, list] = {}


def code_fingerprint(modules: Sequence[str]) -> str:
    """SHA-256 of the package version and the source files of ``clientlens.<module>`` for each module."""
    mods = tuple(sorted(set(modules) | {"cache", "privacy"}))
    if mods not in _CODE_FP:
        h = hashlib.sha256(__version__.encode())
        for m in mods:
            spec = importlib.util.find_spec(f"clientlens.{m}")
            h.update(m.encode())
            h.update(Path(spec.origin).read_bytes() if spec and spec.origin else b"?")
        _CODE_FP[mods] = h.hexdigest()
    return _CODE_FP[mods]


def mask_key_fingerprint() -> str:
    """The masked form of a fixed probe string: changes with the masking key, never reveals it."""
    from .privacy import mask_ids

    return str(mask_ids(pd.Series(["clientlens-run-cache-probe"])).iloc[0])


#: how the provenance names the models :meth:`RunCache.fitted` stores
_FIT_LABELS = {"WoeBinner": "WOE binning", "ResponseScorecard": "scorecard",
               "GradientBoostingChallenger": "challenger (gradient boosting)"}


def frame_fingerprint(data) -> str:
    """SHA-256 of a frame's (series', array's) values, column names, dtypes and index: equal data, equal fingerprint."""
    if isinstance(data, np.ndarray):
        data = pd.DataFrame(data if data.ndim == 2 else data.reshape(-1, 1))
    if isinstance(data, pd.Series):
        data = data.to_frame()
    h = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in data.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(data.index, index=False).to_numpy().tobytes())
    for c in data.columns:
        col = data[c]
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biufmM":
            # numbers, flags and times: their bytes (equal values, equal bytes; the dtype is in the header)
            h.update(np.ascontiguousarray(col.to_numpy()).view(np.uint8))
        else:
            h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
    return h.hexdigest()


#: attribute naming the run-cache entry a model was fitted in (:meth:`RunCache.fitted`): its key in later keys
FIT_KEY_ATTR = "_clientlens_fit_entry"


def _setting_fingerprint(value):
    """A setting as JSON when it is plain data; a model of :meth:`RunCache.fitted` by its entry; else (another
    object) the SHA-256 of its pickle."""
    import pickle

    entry = getattr(value, FIT_KEY_ATTR, None)
    if isinstance(entry, str):
        return "fit:" + entry

    plain = _params_json(value)
    try:
        json.dumps(plain)
        return plain
    except (TypeError, ValueError):
        return "pickle-sha256:" + hashlib.sha256(pickle.dumps(value, protocol=4)).hexdigest()


def _file_digest(path: Path, memo: dict) -> str:
    from .data import file_sha256

    st = path.stat()
    key = str(path.resolve())
    stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
    hit = memo.get(key)
    if hit and hit.get("stamp") == stamp:
        return hit["sha256"]
    digest = file_sha256(path)
    memo[key] = {"stamp": stamp, "sha256": digest}
    return digest


def _atomic_json(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=str, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _params_json(value):
    """Parameters as plain JSON values (tuples -> lists, dates -> ISO), for keys and the log."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(k): _params_json(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_params_json(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column_list(columns) -> list[str]:
    """Requested wide-table columns as a sorted list of names, without ``customer_id``."""
    return sorted({str(columns)} if isinstance(columns, str) else {str(c) for c in columns} - {_ID})


class RunCache:
    """Intermediates of one dated run, stored in ``directory`` and reused across reports.

    Parameters
    ----------
    bank : clientlens.data.BankData
        The loaded input data (its files and view definitions are part of every key).
    directory : path
        Where entries live (``reports/<as_of>/_cache``; see :meth:`for_run`).
    log_dir : path, optional
        The report's output folder: ``intermediates.json`` there lists every intermediate used.
    enabled : bool, optional
        Default: on unless ``CLIENTLENS_CACHE=off``. Off: everything is computed, nothing stored.
    """

    def __init__(self, bank, directory, *, log_dir=None, enabled: bool | None = None):
        self.bank = bank
        self.directory = Path(directory)
        self.log_dir = Path(log_dir) if log_dir else None
        self.enabled = cache_enabled() if enabled is None else bool(enabled)
        self.log: list[dict] = []
        self._inputs: str | None = None
        self._digests: dict[str, str] = {}
        self._ids: tuple[pd.Index, pd.Index] | None = None
        if self.enabled:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._clean_stale_tmp()

    @classmethod
    def for_run(cls, bank, as_of, reports_dir="reports", *, log_dir=None, enabled: bool | None = None) -> "RunCache":
        """The cache of the dated run ``as_of`` under ``reports_dir`` (relative paths: project root)."""
        from .params import to_date

        day = to_date("as_of", as_of).isoformat()
        return cls(bank, config.resolve(reports_dir) / day / CACHE_DIRNAME, log_dir=log_dir, enabled=enabled)

    # ------------------------------------------------------------------ intermediates

    def wide_table(self, as_of, *, windows=None) -> pd.DataFrame:
        """:func:`clientlens.features.build_wide_table` as of ``as_of`` (one row per customer)."""
        from .features import DEFAULT_WINDOWS, _check_windows, build_wide_table
        from .params import to_date

        day = to_date("as_of", as_of)
        win = _check_windows(DEFAULT_WINDOWS if windows is None else windows)
        params = {"as_of": day, "windows": list(win)}
        frames, _ = self._get("wide", params, lambda: ({"wide": build_wide_table(self.bank, day, windows=win)}, {}),
                              t("customer wide table as of {day} (windows {windows} days)", day=day,
                                windows=", ".join(map(str, win))))
        return frames["wide"]

    def wide_columns(self, as_of, columns, *, windows=None) -> pd.DataFrame:
        """``customer_id`` and ``columns`` of the wide table as of ``as_of`` (in the table's order).

        Read from the full table's entry (:meth:`wide_table`) when one is stored, else built alone
        (:func:`clientlens.features.build_wide_table` with ``columns``: a fraction of the cost) and
        stored under its own key. Either way the values are those of the full table.
        """
        from .features import DEFAULT_WINDOWS, _check_windows
        from .params import to_date

        win = _check_windows(DEFAULT_WINDOWS if windows is None else windows)
        return self._wide_columns(to_date("as_of", as_of), _column_list(columns), win)

    def wide_columns_at(self, dates, columns, *, windows=None) -> dict:
        """:meth:`wide_columns` as of each of ``dates``: ``{date: DataFrame}`` in the order given.

        The dates that neither a full table nor their own entry serves are built together, in one pass over
        the transactions and balances (:func:`clientlens.features.build_wide_tables`; the same values), and
        each is stored under its own entry, as :meth:`wide_columns` stores it.
        """
        from .features import DEFAULT_WINDOWS, _check_windows, build_wide_tables
        from .params import to_date

        days = list(dict.fromkeys(to_date("dates", d) for d in dates))
        win = _check_windows(DEFAULT_WINDOWS if windows is None else windows)
        cols = _column_list(columns)
        missing = [d for d in days if not self._wide_stored(d, win, cols)]
        t0 = time.perf_counter()
        built = build_wide_tables(self.bank, missing, windows=win, columns=cols) if len(missing) > 1 else {}
        share = (time.perf_counter() - t0) / max(len(built), 1)     # each date's record carries its share
        return {d: self._wide_columns(d, cols, win, built=built.get(d), spent=share if d in built else 0.0)
                for d in days}

    def _wide_stored(self, day, win, cols) -> bool:
        """Whether the full table of ``day`` or its entry of ``cols`` is stored (:meth:`_wide_columns` reads it)."""
        if not self.enabled:
            return False
        base = {"as_of": day, "windows": list(win)}
        return any((self.directory / "wide-{}-{}".format(*self.key("wide", p)) / "meta.json").is_file()
                   for p in (base, {**base, "columns": cols}))

    def _wide_columns(self, day, cols: list, win, built: pd.DataFrame | None = None, spent: float = 0.0) -> pd.DataFrame:
        from .features import build_wide_table

        what = t("{n} column(s) of the customer wide table as of {day}", n=len(cols), day=day)
        if self.enabled:
            t0 = time.perf_counter()
            slot, key = self.key("wide", {"as_of": day, "windows": list(win)})
            full = self.directory / f"wide-{slot}-{key}"
            try:
                frames, _ = self._read(full, columns=cols)
            except Exception:  # noqa: BLE001 - absent, unreadable or lacking a column: built alone below
                frames = None
            if frames is not None:
                self._record({"intermediate": "wide", "what": what + t(" (from the full table)"), "status": "reused",
                              "entry": full.name, "seconds": round(time.perf_counter() - t0, 2),
                              "params": _params_json({"as_of": day, "windows": list(win), "columns": cols})})
                return frames["wide"]
        params = {"as_of": day, "windows": list(win), "columns": cols}
        frames, _ = self._get("wide", params, lambda: ({"wide": built if built is not None else build_wide_table(
            self.bank, day, windows=win, columns=cols)}, {}), what, spent=spent)
        return frames["wide"]

    def wide_and_tags(self, as_of, *, windows=None, rules=None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The wide table (:meth:`wide_table`) and its tags (:func:`clientlens.tags.build_tags` with ``rules``)."""
        from .features import DEFAULT_WINDOWS, _check_windows
        from .params import to_date
        from .tags import TagRules, build_tags

        day = to_date("as_of", as_of)
        win = _check_windows(DEFAULT_WINDOWS if windows is None else windows)
        rules = TagRules.from_params(rules)
        wide = self.wide_table(day, windows=win)
        params = {"as_of": day, "windows": list(win), "rules": _params_json(rules)}
        frames, _ = self._get("tags", params, lambda: ({"tags": build_tags(wide, rules)}, {}),
                              t("customer tags as of {day}", day=day))
        return wide, frames["tags"]

    def tags(self, as_of, *, windows=None, rules=None) -> pd.DataFrame:
        """The tags of :meth:`wide_and_tags` (the same entry): reused when stored, else computed from only the
        wide-table columns they read (:func:`clientlens.tags.tags_as_of`; the same tags, tested)."""
        from .features import DEFAULT_WINDOWS, _check_windows
        from .params import to_date
        from .tags import TagRules, build_tags, tag_wide_columns

        day = to_date("as_of", as_of)
        win = _check_windows(DEFAULT_WINDOWS if windows is None else windows)
        rules = TagRules.from_params(rules)
        params = {"as_of": day, "windows": list(win), "rules": _params_json(rules)}

        def compute():
            cols = tag_wide_columns(self.bank, day, rules, windows=win)
            return {"tags": build_tags(self.wide_columns(day, cols, windows=win), rules)}, {}

        frames, _ = self._get("tags", params, compute, t("customer tags as of {day}", day=day))
        return frames["tags"]

    def training_frame(self, campaigns, *, feature_lag_days: int = 1) -> pd.DataFrame:
        """:func:`clientlens.samples.training_frame`: contacts of ``campaigns`` with features before contact."""
        from .samples import training_frame

        ids = [campaigns] if isinstance(campaigns, str) else [str(c) for c in campaigns]
        params = {"campaigns": ids, "feature_lag_days": int(feature_lag_days)}

        def compute():
            f = training_frame(self.bank, ids, feature_lag_days=feature_lag_days)
            return {"frame": f}, {}

        frames, _ = self._get("sample", params, compute,
                              t("campaign sample of {campaigns} (features {lag} day(s) before contact)",
                                campaigns=", ".join(ids), lag=feature_lag_days))
        return frames["frame"]

    def model_sample(self, campaigns, *, feature_lag_days: int = 1, split: str = "random",
                     validation_share: float = 0.3, oot_date: str | None = "", random_state: int | None = 42,
                     as_of: str | None = None, in_time_share: float = 0.0):
        """:func:`clientlens.samples.model_sample` on the cached :meth:`training_frame` (the split is recomputed)."""
        from .samples import model_sample

        frame = self.training_frame(campaigns, feature_lag_days=feature_lag_days)
        return model_sample(self.bank, campaigns, feature_lag_days=feature_lag_days, split=split,
                            validation_share=validation_share, oot_date=oot_date, random_state=random_state,
                            as_of=as_of, in_time_share=in_time_share, frame=frame)

    def rfm_summary(self, *, as_of, period: str = "day", calibration_end=None, directions=("out",),
                    categories=None, refunds: str = "drop"):
        """:func:`clientlens.clv.rfm_summary` of the bank (an :class:`clientlens.clv.RFMSummary`)."""
        from . import clv
        from .params import to_date

        day = to_date("as_of", as_of)
        cal = to_date("calibration_end", calibration_end) if calibration_end not in (None, "") else None
        params = {"as_of": day, "period": period, "calibration_end": cal,
                  "directions": None if directions is None else list(directions),
                  "categories": list(categories) if categories else None, "refunds": refunds}

        def compute():
            r = clv.rfm_summary(self.bank, as_of=day, period=period, calibration_end=cal, directions=directions,
                                categories=categories, refunds=refunds)
            frames = {"table": r.table}
            if r.holdout_daily is not None:
                frames["holdout_daily"] = r.holdout_daily
            meta = {"period": r.period, "observation_end": r.observation_end, "calibration_end": r.calibration_end,
                    "counts": r.counts, "note_items": [list(n) for n in r.note_items]}
            return frames, meta

        frames, meta = self._get("rfm", params, compute,
                                 t("RFM summary as of {day} by {period}", day=day, period=t(period))
                                 + (t(", calibration to {day}", day=cal) if cal else ""))
        return clv.RFMSummary(source=params, table=frames["table"], period=meta["period"],
                              observation_end=to_date("observation_end", meta["observation_end"]),
                              calibration_end=(to_date("calibration_end", meta["calibration_end"])
                                               if meta.get("calibration_end") else None),
                              holdout_daily=frames.get("holdout_daily"), counts=dict(meta["counts"]),
                              note_items=[tuple(n) for n in meta["note_items"]])

    def btyd_fit(self, rfm, *, penalizer: float = 0.0, random_state: int | None = None):
        """A function ``fit(model, window)`` giving :class:`clientlens.clv.BTYDModel` ``model`` fitted on ``rfm``'s
        ``"calibration"`` or ``"full"`` window; each fit is stored (its parameters, exactly) and reused while the
        summary's inputs, the code and these settings are unchanged. ``rfm`` must come from :meth:`rfm_summary`."""
        from . import clv

        if rfm.source is None:
            raise ValueError("rfm must come from RunCache.rfm_summary (its fits are keyed by the summary's key)")

        def fit(model: str, window: str = "full"):
            if window not in ("calibration", "full"):
                raise ValueError(f"window must be 'calibration' or 'full'; got {window!r}")
            params = {"rfm": rfm.source, "window": window, "model": model, "penalizer": float(penalizer),
                      "random_state": random_state}

            def compute():
                frame = rfm.calibration() if window == "calibration" else rfm.table
                m = clv.BTYDModel(model, penalizer=penalizer, random_state=random_state).fit(frame)
                return {}, {"state": m.state()}

            _, meta = self._get("btyd", params, compute, t("{model} fit on the {window} window of the RFM summary",
                                                           model=clv.MODEL_LABELS.get(model, model), window=t(window)))
            return clv.BTYDModel.from_state(meta["state"])

        return fit

    def clv_values(self, as_of, rfm, model, spend, rates=None, *, period: str = "day",
                   tier_shares=(0.2, 0.3, 0.5)) -> pd.DataFrame:
        """:func:`clientlens.value.clv_table` of :func:`clientlens.value.annual_margins` at ``as_of``: each customer's
        value to the bank (04). Stored and reused under the RFM summary's key (``rfm`` from :meth:`rfm_summary`), the
        fitted parameters of ``model`` (:class:`clientlens.clv.BTYDModel`) and ``spend``
        (:class:`clientlens.clv.SpendModel`) to the last bit, the rates, ``period`` and ``tier_shares``."""
        from . import value
        from .params import to_date

        if rfm.source is None:
            raise ValueError("rfm must come from RunCache.rfm_summary (the values are keyed by the summary's key)")
        day = to_date("as_of", as_of)
        rates = value.ValueRates.from_params(rates)
        shares = [float(x) for x in tier_shares]
        params = {"as_of": day, "rfm": rfm.source, "model": model.state(), "spend": dict(spend.params_),
                  "rates": _params_json(rates), "period": period, "tier_shares": shares}

        def compute():
            margins = value.annual_margins(self.bank, day, rates)
            return {"values": value.clv_table(margins, rfm.table, model, spend, rates, period=period,
                                              tier_shares=shares)}, {}

        frames, _ = self._get("value", params, compute, t("customer value to the bank as of {day}", day=day))
        return frames["values"]

    def daily_job(self, start, end, rules=None, warmup_days: int | None = None):
        """:func:`clientlens.events.run_daily_job` over ``start``..``end``: ``(triggered, kept)`` (``triggered``:
        the rule hits as runs, :func:`clientlens.events.rule_hits` counts them per event)."""
        from . import events as E
        from .params import to_date

        rules = E.EventRules.from_params(rules)
        s, e = to_date("start", start), to_date("end", end)
        params = {"start": s, "end": e, "rules": _params_json(rules), "warmup_days": warmup_days}

        def compute():
            trig, kept = E.run_daily_job(self.bank, s, e, rules, warmup_days=warmup_days)
            return {"triggered": trig, "kept": kept}, {}

        frames, _ = self._get("events", params, compute,
                              t("event rules run on every day from {start} to {end}", start=s, end=e))
        return frames["triggered"], frames["kept"]

    def fitted(self, estimator, X: pd.DataFrame, y=None, *, what: str | None = None):
        """``estimator.fit(X, y)``, stored and reused while the training data, the settings and the code are unchanged.

        For the models of this package (``__init__`` only stores settings; learned state ends in ``_``): the key is
        the estimator's class, its settings (a fitted estimator among them, e.g. a scorecard's binning, by the
        entry it was fitted in, else by the hash of its pickle), a hash of ``X``'s and ``y``'s values, columns,
        dtypes and index, the report language (texts a model keeps) and the code of the modelling modules. The
        fitted estimator is stored as a pickle (models hold no customer rows) with its SHA-256, checked when it is
        read back. Returns the fitted estimator, a copy read from the entry, named by it (:data:`FIT_KEY_ATTR`).
        """
        import pickle

        from .i18n import get_language

        settings = {k: _setting_fingerprint(v) for k, v in sorted(vars(estimator).items()) if not k.endswith("_")}
        cls = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
        params = {"estimator": cls, "settings": settings, "X": frame_fingerprint(X),
                  "y": None if y is None else frame_fingerprint(y),
                  "language": get_language()}   # a fitted model may keep texts (bin descriptions) in the language

        def compute():
            return {"model": pickle.dumps(estimator.fit(X, y), protocol=pickle.HIGHEST_PROTOCOL)}, {}

        label = t(_FIT_LABELS.get(type(estimator).__name__, type(estimator).__name__))
        frames, _ = self._get("fit", params, compute, what or t("{model} fitted on {n:,} rows", model=label, n=len(X)))
        model = pickle.loads(frames["model"])  # noqa: S301 - written by this cache, SHA-256 checked on reading
        if self.log[-1].get("entry"):   # its identity in later keys (a pickle's bytes may vary between processes)
            model.__dict__[FIT_KEY_ATTR] = self.log[-1]["entry"]
        return model

    def scores_and_reasons(self, model: dict, frame: pd.DataFrame, *, n_reasons: int = 3,
                           allow_raw_ids: bool = False) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """:func:`clientlens.scoring.score_frame` of ``frame`` and the scorecard's reason codes
        (:meth:`clientlens.scoring.ResponseScorecard.reason_codes`; none with ``n_reasons=0``), stored and reused for
        the same model (its fit entry, else the hash of its pickle), the same rows (:func:`frame_fingerprint`),
        settings and language (the reasons are words in the report's language). The reasons keep ``frame``'s
        index."""
        from .i18n import get_language
        from .scoring import scores_and_reasons

        params = {"model": {k: _setting_fingerprint(model.get(k)) for k in ("scorecard", "challenger")},
                  "frame": frame_fingerprint(frame), "n_reasons": int(n_reasons), "allow_raw_ids": bool(allow_raw_ids),
                  "language": get_language()}

        def compute():
            scores, reasons = scores_and_reasons(model, frame, n_reasons=n_reasons, allow_raw_ids=allow_raw_ids)
            return {"scores": scores, **({"reasons": reasons.reset_index(drop=True)} if n_reasons else {})}, {}

        what = (t("scores and reasons of {n:,} customers", n=len(frame)) if n_reasons
                else t("scores of {n:,} rows", n=len(frame)))
        frames, _ = self._get("scores", params, compute, what)
        return frames["scores"], (frames["reasons"].set_axis(frame.index) if n_reasons else None)

    def memo(self, kind: str, params: dict, compute: Callable[[], tuple[dict, dict]], what: str):
        """A report's own intermediate: ``compute()`` gives ``(frames, meta)`` (DataFrames, and JSON-able values),
        stored and reused under ``kind`` (a key of :data:`KIND_MODULES`: the modules whose code shapes it) and
        ``params``. Returns ``(frames, meta)``."""
        if kind not in KIND_MODULES:
            raise ValueError(f"kind must be one of {sorted(KIND_MODULES)}; got {kind!r}")
        return self._get(kind, params, compute, what)

    # ------------------------------------------------------------------ machinery

    def inputs_fingerprint(self) -> str:
        """Hash of the input files' SHA-256 digests and the loader's view definitions."""
        if self._inputs is None:
            memo_path = self.directory / "fingerprints.json"
            memo = {}
            if self.enabled and memo_path.is_file():
                try:
                    memo = json.loads(memo_path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    memo = {}
            n_before = json.dumps(memo, sort_keys=True)
            files = {t: [_file_digest(Path(f), memo) for f in fs] for t, fs in sorted(self.bank.files.items())}
            self._digests = {str(f): d for t, fs in sorted(self.bank.files.items()) for f, d in zip(fs, files[t])}
            names = sorted(self.bank.files) + [f"_raw_{t}" for t in sorted(self.bank.files)]
            views = self.bank.con.execute(
                "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND view_name IN "
                f"({', '.join('?' for _ in names)}) ORDER BY view_name", names).fetchall()
            self._inputs = _sha({"files": files, "views": [list(v) for v in views],
                                 "columns": {t: list(c) for t, c in sorted(self.bank.columns.items())}})
            if self.enabled and json.dumps(memo, sort_keys=True) != n_before:
                try:
                    _atomic_json(memo_path, memo)
                except OSError:
                    pass
        return self._inputs

    def file_digests(self) -> dict[str, str]:
        """SHA-256 of every input file keyed by path, as :meth:`clientlens.data.BankData.fingerprints` gives them,
        from the digests :meth:`inputs_fingerprint` took (a file unchanged since an earlier report of the run, by
        size, modification time and inode, is not read again)."""
        self.inputs_fingerprint()
        return {str(f): self._digests[str(f)] for fs in self.bank.files.values() for f in fs}

    def key(self, kind: str, params: dict) -> tuple[str, str]:
        """``(slot, key)`` of an intermediate: slot = kind and params; key = slot + inputs, code, masking key."""
        p = _params_json(params)
        slot = _sha({"kind": kind, "params": p})
        key = _sha({"slot": slot, "inputs": self.inputs_fingerprint(), "code": code_fingerprint(KIND_MODULES[kind]),
                    "mask_key": mask_key_fingerprint()})
        return slot[:10], key[:24]

    def _get(self, kind: str, params: dict, compute: Callable[[], tuple[dict, dict]], what: str, spent: float = 0.0):
        """The frames of an intermediate: read from its entry, else ``compute()``d and stored; recorded in the log
        (``spent``: seconds spent on it before, e.g. its share of a build shared by several entries)."""
        t0 = time.perf_counter() - spent
        status, entry, frames, meta = "computed (cache off)", None, None, None
        if self.enabled:
            slot, key = self.key(kind, params)
            entry = self.directory / f"{kind}-{slot}-{key}"
            if (entry / "meta.json").is_file():
                try:
                    frames, meta = self._read(entry)
                    status = "reused"
                except Exception:  # noqa: BLE001 - an unreadable entry is recomputed and replaced
                    frames = None
            if frames is None:
                status = "computed"
        if frames is None:
            with self._entry_lock(entry):
                if entry is not None and (entry / "meta.json").is_file():   # stored by a concurrent report meanwhile
                    try:
                        frames, meta = self._read(entry)
                        status = "reused"
                    except Exception:  # noqa: BLE001 - recomputed below
                        frames = None
                if frames is None:
                    frames, meta = compute()
                    if self.enabled:
                        try:
                            self._write(entry, slot, frames, meta)
                        except Exception as exc:  # noqa: BLE001 - the report goes on without storing
                            status = f"computed (not stored: {type(exc).__name__})"
        self._record({"intermediate": kind, "what": what, "status": status,
                      "entry": entry.name if entry is not None else None,
                      "seconds": round(time.perf_counter() - t0, 2), "params": _params_json(params)})
        return frames, meta

    @contextlib.contextmanager
    def _entry_lock(self, entry: Path | None):
        """Exclusive OS lock on computing ``entry``: a second report kernel asking for the same intermediate at the
        same time (a parallel run-all) waits and reads the first one's result instead of computing it again."""
        if entry is None or fcntl is None:
            yield
            return
        with open(self.directory / f".lock-{entry.name}", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _record(self, row: dict) -> None:
        self.log.append(row)
        if self.log_dir is not None:   # every RunCache of the report (this process) writes to the same list
            shared = _REPORT_LOGS.setdefault(str(self.log_dir.resolve()), [])
            shared.append(row)
            try:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                _atomic_json(self.log_dir / LOG_FILE, {"cache_dir": str(self.directory), "intermediates": shared})
            except OSError:
                pass

    # ids: masked on disk, raw in memory
    def _id_maps(self) -> tuple[pd.Index, pd.Index]:
        if self._ids is None:
            from .data import BankData
            from .privacy import mask_ids, mask_ids_in_duckdb

            if isinstance(self.bank, BankData):      # every customer's mask, hashed in parallel by DuckDB
                raw, masked = mask_ids_in_duckdb(self.bank.con, "customers", "customer_id")
            else:
                raw = self.bank.con.execute("SELECT CAST(customer_id AS VARCHAR) FROM customers").fetchnumpy()
                raw = np.asarray(next(iter(raw.values())), dtype=object)
                masked = mask_ids(raw).to_numpy(dtype=object)
            raw_idx, masked_idx = pd.Index(raw, dtype=object), pd.Index(masked, dtype=object)
            if not (raw_idx.is_unique and masked_idx.is_unique):
                raise ValueError("customer ids or their masks are not unique")
            self._ids = (raw_idx, masked_idx)
        return self._ids

    def _translate(self, values, to_masked: bool) -> np.ndarray:
        raw_idx, masked_idx = self._id_maps()
        src, dst = (raw_idx, masked_idx) if to_masked else (masked_idx, raw_idx)
        values = np.asarray(values, dtype=object)
        if len(values) == len(src) and bool((values == src.to_numpy()).all()):
            return dst.to_numpy().copy()   # the whole base in the maps' order (a wide table, sorted by id): no lookup
        pos = src.get_indexer(pd.Index(values, dtype=object))
        if (pos < 0).any():
            raise ValueError("an id of the entry is not among the loaded customers")
        return dst.to_numpy()[pos]

    def _write(self, entry: Path, slot: str, frames: dict, meta: dict) -> None:
        kind = entry.name.split("-", 1)[0]
        tmp = self.directory / f".tmp-{entry.name}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            info, blobs = {}, {}
            for name, df in frames.items():
                if isinstance(df, (bytes, bytearray)):   # a pickled model (RunCache.fitted)
                    (tmp / f"{name}.bin").write_bytes(df)
                    blobs[name] = hashlib.sha256(df).hexdigest()
                    continue
                disk, fi = self._to_disk(df)
                # dictionary pages for text only: pyarrow tries them on every column otherwise and gives up on
                # numbers (the 1.3M x 180 campaign sample: 5.6 s to write instead of 7.8 s, the same read time)
                text = [str(c) for c in disk.columns if not (pd.api.types.is_numeric_dtype(disk[c].dtype)
                                                             or pd.api.types.is_datetime64_any_dtype(disk[c].dtype))]
                disk.to_parquet(tmp / f"{name}.parquet", index=False, use_dictionary=text)
                info[name] = fi
            _atomic_json(tmp / "meta.json", {"clientlens": __version__, "frames": info, "blobs": blobs,
                                             "meta": _params_json(meta),
                                             "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds")})
            if entry.exists():        # an unreadable older copy
                shutil.rmtree(entry, ignore_errors=True)
            try:
                os.rename(tmp, entry)
            except OSError:           # another run stored it first: theirs is as good
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in self.directory.glob(f"{kind}-{slot}-*"):
            if old.name != entry.name:
                shutil.rmtree(old, ignore_errors=True)

    def _to_disk(self, df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        info = {"index": None, "dtypes": {}, "attrs": _params_json(dict(df.attrs))}
        if df.index.name == _ID:
            info["index"] = _ID
            info["index_dtype"] = str(df.index.dtype)
            df = df.reset_index()
        elif not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 or df.index.step != 1:
            df = df.reset_index(drop=True)
        info["dtypes"] = {str(c): str(t) for c, t in df.dtypes.items()}
        disk = pd.DataFrame(df, copy=False)
        disk.attrs = {}
        if _ID in disk.columns:
            disk = disk.assign(**{_ID: self._translate(disk[_ID].astype(str).to_numpy(), to_masked=True)})
            disk = disk.rename(columns={_ID: _MASKED})
        return disk, info

    def _read(self, entry: Path, columns: Sequence[str] | None = None) -> tuple[dict, dict]:
        """The frames of an entry (with ``columns``: the id column and these only, in the stored order)."""
        doc = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        frames = {}
        for name, fi in doc["frames"].items():
            cols = None
            if columns is not None:
                absent = set(columns) - set(fi["dtypes"])
                if absent:
                    raise KeyError(f"{entry.name}/{name} lacks {sorted(absent)[:5]}")
                cols = [_MASKED if c == _ID else c for c in fi["dtypes"] if c == _ID or c in set(columns)]
            df = pd.read_parquet(entry / f"{name}.parquet", columns=cols)
            if _MASKED in df.columns and _ID in fi["dtypes"]:
                df[_MASKED] = self._translate(df[_MASKED].to_numpy(), to_masked=False)
                df = df.rename(columns={_MASKED: _ID})
            for col, dtype in fi["dtypes"].items():
                if col in df.columns and str(df[col].dtype) != dtype:
                    df[col] = df[col].astype(dtype)
            if fi.get("index") == _ID:
                df = df.set_index(_ID)
                df.index = df.index.astype(fi.get("index_dtype", "str"))
            df.attrs = dict(fi.get("attrs") or {})
            frames[name] = df
        for name, digest in (doc.get("blobs") or {}).items():
            data = (entry / f"{name}.bin").read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                raise ValueError(f"{entry.name}/{name}.bin does not match its SHA-256")
            frames[name] = data
        return frames, doc.get("meta") or {}

    def _clean_stale_tmp(self) -> None:
        now = time.time()
        for tmp in self.directory.glob(".tmp-*"):
            try:
                if now - tmp.stat().st_mtime > _STALE_TMP_SECONDS:
                    shutil.rmtree(tmp, ignore_errors=True)
            except OSError:
                pass

    def summary(self) -> pd.DataFrame:
        """The intermediates used so far: what, status (reused / computed), seconds."""
        return pd.DataFrame(self.log, columns=["intermediate", "what", "status", "seconds", "entry"])
