"""Report parameters: files, merging, validation.

A params file (YAML) has a ``common`` section shared by every notebook and one
section per notebook, named by the notebook's stem::

    common:
      data_dir: data/demo
      as_of: "2026-10-31"
    01_profile:
      rfm_weights: [0.3, 0.3, 0.4]

The parameters a notebook accepts, and their types, are read from its cell
tagged ``parameters`` (typed literals, e.g. ``k_max: int = 8  # largest k``).
:func:`params_for` merges, in increasing priority, the notebook defaults, the
``common`` keys the notebook declares, the notebook's section and command-line
overrides, and refuses unknown keys and wrong types *before* a kernel starts.
"""
from __future__ import annotations

import ast
import dataclasses
import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from . import ParamsError

_TYPES = {
    "int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
    "list": (list, tuple), "dict": (dict,),
}


def load_params_file(path: str | os.PathLike | None) -> dict:
    """Read a params YAML file into ``{"common": {...}, notebook: {...}}``."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: params file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ParamsError(f"{path}: not valid YAML ({first})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ParamsError(f"{path}: expected sections 'common' and one per notebook, each a mapping of key: value")
    return {k: _normalise(v) for k, v in data.items()}


def _normalise(value: Any) -> Any:
    """YAML dates become ISO strings (notebook parameters are literals)."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def notebook_parameters(notebook: str | os.PathLike) -> dict[str, dict]:
    """The parameters declared in a notebook's ``parameters`` cell.

    Returns ``{name: {"type": type name or None, "default": value, "help": comment}}``.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise ParamsError(f"{notebook}: no cell tagged 'parameters'")
    source = cells[0].source
    out: dict[str, dict] = {}
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, ann, value = node.target.id, ast.unparse(node.annotation), node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, ann, value = node.targets[0].id, None, node.value
        else:
            continue
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            raise ParamsError(f"{notebook}: parameter '{name}' must be a literal") from None
        line = lines[node.lineno - 1]
        help_ = line.split("#", 1)[1].strip() if "#" in line else ""
        out[name] = {"type": _type_name(ann), "default": default, "help": help_}
    return out


def _type_name(annotation: str | None) -> str | None:
    if not annotation:
        return None
    a = annotation.replace(" ", "")
    if "|None" in a or "Optional[" in a or "None|" in a:
        base = a.replace("|None", "").replace("None|", "").replace("Optional[", "").rstrip("]")
        return _type_name(base) + "?" if _type_name(base) else None
    for t in _TYPES:
        if a == t or a.startswith(t + "["):
            return t
    return None


def check_type(key: str, value: Any, type_name: str | None, where: str = "") -> None:
    """Raise :class:`ParamsError` unless ``value`` fits ``type_name`` (e.g. ``"int"``, ``"float?"``)."""
    if type_name is None:
        return
    optional = type_name.endswith("?")
    base = type_name.rstrip("?")
    if value is None:
        if optional:
            return
        raise ParamsError(f"{where}parameter '{key}' must be {base}; got None")
    ok = isinstance(value, _TYPES[base]) and not (base in ("int", "float") and isinstance(value, bool))
    if not ok:
        raise ParamsError(f"{where}parameter '{key}' must be {base}; got {type(value).__name__} {value!r}")


def parse_override(text: str) -> tuple[str, Any]:
    """Parse a command-line ``key=value``; the value is read as YAML (``k=3``, ``x=[1,2]``, ``s=abc``)."""
    if "=" not in text:
        raise ParamsError(f"override {text!r} must look like key=value")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), _normalise(value)


def params_for(notebook: str | os.PathLike, file_params: dict | None = None,
               overrides: dict | None = None) -> dict:
    """Merge and validate the parameters for one notebook.

    Parameters
    ----------
    notebook : path
        The notebook; its ``parameters`` cell defines the valid keys and types.
    file_params : dict
        Parsed params file (:func:`load_params_file`).
    overrides : dict
        Highest-priority values (``-p key=value``, ``--as-of``).

    Returns
    -------
    dict
        Only the parameters that differ from or restate the notebook's defaults,
        all valid for it.

    Raises
    ------
    ParamsError
        Unknown key (the message lists the valid keys) or wrong type.
    """
    notebook = Path(notebook)
    declared = notebook_parameters(notebook)
    file_params = file_params or {}
    stem = notebook.stem
    valid = sorted(declared)
    merged: dict[str, Any] = {}
    for key, value in (file_params.get("common") or {}).items():
        if key in declared:  # common keys apply where a notebook declares them
            merged[key] = value
    for source, values in (("params file section '" + stem + "'", file_params.get(stem) or {}),
                           ("override", overrides or {})):
        for key, value in values.items():
            if key not in declared:
                raise ParamsError(f"{stem}: unknown parameter '{key}' ({source}); valid keys: {', '.join(valid)}")
            merged[key] = value
    for key, value in merged.items():
        check_type(key, value, declared[key]["type"], where=f"{stem}: ")
    return merged


def require(name: str, value: Any, *, min: float | None = None, max: float | None = None,
            choices: Iterable | None = None, min_exclusive: bool = False) -> Any:
    """Validate one parameter inside a notebook; message like ``k_max must be >= 2; got 1``."""
    if choices is not None:
        choices = list(choices)
        if value not in choices:
            raise ParamsError(f"{name} must be one of {choices}; got {value!r}")
    if min is not None:
        if (value <= min) if min_exclusive else (value < min):
            raise ParamsError(f"{name} must be {'>' if min_exclusive else '>='} {min}; got {value!r}")
    if max is not None and value > max:
        raise ParamsError(f"{name} must be <= {max}; got {value!r}")
    return value


def require_int(name: str, value: Any, min: int) -> int:
    """An integer parameter (not a bool) of at least ``min``; message like ``k must be an integer >= 2; got 1``."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < min:
        raise ParamsError(f"{name} must be an integer >= {min}; got {value!r}")
    return int(value)


def parse_date(name: str, value: str) -> _dt.date:
    """Parse an ISO date parameter; message like ``as_of must be a date YYYY-MM-DD; got '2026-13-01'``."""
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise ParamsError(f"{name} must be a date YYYY-MM-DD; got {value!r}") from None


def to_date(name: str, value) -> _dt.date:
    """A date from a ``date``, ``datetime``, ``pandas.Timestamp`` or ISO string parameter.

    Message like ``as_of must be a date YYYY-MM-DD; got 'soon'``.
    """
    if isinstance(value, _dt.datetime):  # also pandas.Timestamp
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ParamsError(f"{name} must be a date YYYY-MM-DD; got {value!r}") from None


def to_json(params: dict) -> str:
    """Stable JSON rendering for manifests and provenance blocks."""
    return json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)


def _like_default(value, default):
    """``value`` with the number type of ``default``: a whole number where the default is a float becomes a float
    (``100000`` -> ``100000.0``), element by element in a tuple or dict of floats. Rules spelled ``100000`` in a
    params file and rules left at the default ``100000.0`` are then the same rules, with the same cache key
    (:mod:`clientlens.cache`); other values are left as they are (validation judges them)."""
    def one(v, d):
        return float(v) if isinstance(d, float) and isinstance(v, int) and not isinstance(v, bool) else v

    if isinstance(value, tuple) and isinstance(default, tuple) and default \
            and all(isinstance(d, float) for d in default):
        return tuple(one(v, default[0]) for v in value)
    if isinstance(value, dict) and isinstance(default, dict) and default \
            and all(isinstance(d, float) for d in default.values()):
        return {k: one(v, 0.0) for k, v in value.items()}
    return one(value, default)


def rules_from_params(cls, params, what: str):
    """A validated instance of the rules dataclass ``cls`` (``TagRules``, ``EventRules``, ...).

    ``params`` is a dict of overrides of the defaults (lists become tuples), an instance (copied)
    or None (the defaults); unknown keys are refused with the list of valid ones, and the result's
    ``validate()`` is called. ``what`` names the rules in messages (``"tag rule"``).
    """
    if params is None:
        rules = cls()
    elif isinstance(params, cls):
        rules = dataclasses.replace(params)
    elif isinstance(params, dict):
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise ParamsError(f"unknown {what} parameter(s) {unknown}; valid keys: {', '.join(valid)}")
        defaults = {f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
                    for f in dataclasses.fields(cls)}
        rules = cls(**{k: _like_default(tuple(v) if isinstance(v, list) else v, defaults[k])
                       for k, v in params.items()})
    else:
        raise ParamsError(f"{what}s must be a dict or {cls.__name__}; got {type(params).__name__}")
    rules.validate()
    return rules


# --------------------------------------------------------------------------- rules checked before a kernel starts
# Ranges and relations of parameters, declared once by name. Every notebook that declares a parameter of
# this name gets the check before its kernel starts (the notebook's own require() calls stay as the
# in-kernel guard for interactive runs). Keep names unambiguous: a rule applies wherever the name appears.

#: name -> {"min", "max", "min_exclusive", "max_exclusive", "integer"} or {"choices": [...]}
RULES: dict[str, dict] = {
    "language": {"choices": ["en", "zh"]},   # report language (clientlens.i18n)
    "k_min": {"min": 2, "integer": True},
    "k_max": {"min": 2, "integer": True},
    "n_tiles": {"min": 2, "integer": True},
    "max_n_bins": {"min": 2, "integer": True},
    "history_days": {"min": 1, "integer": True},
    "holdout_months": {"min": 1, "integer": True},
    "bins_per_decade": {"min": 1, "integer": True},
    "top_categories": {"min": 1, "integer": True},
    # shares in (0, 1]
    "validation_share": {"min": 0, "min_exclusive": True, "max": 1},
    "list_top_frac": {"min": 0, "min_exclusive": True, "max": 1},
    "top_share": {"min": 0, "min_exclusive": True, "max": 1},
    "max_missing": {"min": 0, "min_exclusive": True, "max": 1},
    "confidence": {"min": 0, "min_exclusive": True, "max": 1, "max_exclusive": True},
    "leak_auc": {"min": 0.5, "min_exclusive": True, "max": 1},   # single-variable AUC at or above it: a leak
    # shares in [0, 1]
    "missing_warn_share": {"min": 0, "max": 1},
    "no_txn_warn_share": {"min": 0, "max": 1},
    "reconcile_warn_share": {"min": 0, "max": 1},
    "reconcile_fail_share": {"min": 0, "max": 1},
    "missing_warn": {"min": 0, "max": 1},
    "margin_rate": {"min": 0, "max": 1},
    "stability_threshold": {"min": 0, "max": 1},
    "max_corr": {"min": 0, "max": 1},
    "max_spend_corr": {"min": 0, "max": 1},
    "min_bin_size": {"min": 0, "max": 1},
    # non-negative thresholds
    **{name: {"min": 0} for name in (
        "iv_min", "iv_max", "psi_watch", "psi_shifted", "holdout_error_warn", "holdout_error_fail",
        "auc_warn", "auc_fail", "ks_warn", "ks_fail", "lift_top10_warn", "lift_top10_fail",
        "capture_top20_warn", "capture_top20_fail", "score_psi_warn", "score_psi_fail", "variable_psi_warn",
        "variable_psi_fail", "rank_order_p_warn", "rank_order_p_fail", "hl_p_warn", "hl_p_fail",
        "recalibration_p_warn", "recalibration_p_fail", "recent_contact_days", "rm_min_aum",
        "penalizer", "list_top_n", "feature_lag_days")},
}

#: (left, operator, right, why): checked when a notebook declares both
RELATIONS: list[tuple[str, str, str, str]] = [
    ("k_min", "<=", "k_max", "the range of k tried"),
    ("iv_min", "<", "iv_max", "IV: useless below iv_min, suspicious above iv_max"),
    ("psi_watch", "<", "psi_shifted", "PSI bands"),
    ("holdout_error_warn", "<=", "holdout_error_fail", "lower is better: warn before fail"),
    ("auc_warn", ">=", "auc_fail", "higher is better: the warn threshold is above the fail threshold"),
    ("ks_warn", ">=", "ks_fail", "higher is better: the warn threshold is above the fail threshold"),
    ("lift_top10_warn", ">=", "lift_top10_fail", "higher is better: the warn threshold is above the fail threshold"),
    ("capture_top20_warn", ">=", "capture_top20_fail",
     "higher is better: the warn threshold is above the fail threshold"),
    ("score_psi_warn", "<=", "score_psi_fail", "lower is better: the warn threshold is below the fail threshold"),
    ("variable_psi_warn", "<=", "variable_psi_fail", "lower is better: the warn threshold is below the fail threshold"),
    ("rank_order_p_warn", ">=", "rank_order_p_fail", "p-values: a break is named below warn, fails below fail"),
    ("hl_p_warn", ">=", "hl_p_fail", "p-values: WARN below warn, FAIL below fail"),
    ("recalibration_p_warn", ">=", "recalibration_p_fail", "p-values: WARN below warn, FAIL below fail"),
]

_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def check_rules(params: dict, where: str = "") -> None:
    """Check the declared :data:`RULES` and :data:`RELATIONS` on a notebook's effective parameters.

    Raises :class:`ParamsError` with a message like ``k_max must be >= 2; got 1`` or
    ``auc_warn must be >= auc_fail (...); got auc_warn=0.5, auc_fail=0.6``.
    """
    import numbers

    for name, rule in RULES.items():
        if name not in params or params[name] is None:
            continue
        v = params[name]
        if "choices" in rule:
            if v not in rule["choices"]:
                raise ParamsError(f"{where}{name} must be one of {list(rule['choices'])}; got {v!r}")
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            continue  # the type check reports it
        if rule.get("integer") and float(v) != int(v):
            raise ParamsError(f"{where}{name} must be an integer; got {v!r}")
        lo, hi = rule.get("min"), rule.get("max")
        if lo is not None and (v <= lo if rule.get("min_exclusive") else v < lo):
            raise ParamsError(f"{where}{name} must be {'>' if rule.get('min_exclusive') else '>='} {lo}; got {v!r}")
        if hi is not None and (v >= hi if rule.get("max_exclusive") else v > hi):
            raise ParamsError(f"{where}{name} must be {'<' if rule.get('max_exclusive') else '<='} {hi}; got {v!r}")
    for left, op, right, why in RELATIONS:
        a, b = params.get(left), params.get(right)
        if not all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in (a, b)):
            continue
        if not _OPS[op](a, b):
            raise ParamsError(f"{where}{left} must be {op} {right} ({why}); got {left}={a!r}, {right}={b!r}")


def check_common_keys(file_params: dict, declared: Iterable[dict], where: str = "params") -> None:
    """A ``common`` key that no notebook declares is an error listing the valid common keys.

    ``declared`` holds each notebook's :func:`notebook_parameters`. The message lists the keys
    declared by at least two notebooks (the shared settings that belong in ``common``).
    """
    declared = list(declared)
    common = file_params.get("common") or {}
    known = set().union(*[set(d) for d in declared]) if declared else set()
    unknown = sorted(k for k in common if k not in known)
    if unknown:
        counts: dict[str, int] = {}
        for d in declared:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        shared = sorted(k for k, n in counts.items() if n >= 2) or sorted(known)
        raise ParamsError(f"{where}: unknown key '{unknown[0]}' in common (no notebook declares it); "
                          f"valid common keys: {', '.join(shared)}")


_LITERALS = (str, int, float, bool, list, dict, type(None))


def namespace_params(ns: Mapping[str, Any]) -> dict:
    """The notebook's parameters from its namespace (``globals()``): literal values, no private names.

    Parameters
    ----------
    ns : mapping
        A notebook's global namespace.

    Returns
    -------
    dict
        Names not starting with ``_`` whose value is a literal (str, int, float, bool, list, dict, None).
    """
    return {k: v for k, v in ns.items() if not k.startswith("_") and isinstance(v, _LITERALS)
            and k not in {"In", "Out"}}
