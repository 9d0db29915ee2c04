"""The fitted scorecard as portable SQL and as a JSON spec, for scoring in the bank's warehouse.

Production scoring of tens of millions of customers runs in the warehouse, not in Python. This module
turns a fitted :class:`clientlens.scoring.ResponseScorecard` into

* :func:`scorecard_spec` - a JSON-serialisable dict: points scale, and for each variable its kind, cut
  points or category groups, special codes and the points of every bin (regular bins, ``Special``,
  ``Missing`` and, for categories, an unseen category);
* :func:`scorecard_sql` - one ``SELECT`` with one ``CASE WHEN`` per variable summing the points.

Portability: only ``CASE WHEN``, ``IS NULL``, ``IN``, ``<``, ``CAST(.. AS DOUBLE)``,
``CAST(.. AS STRING)`` and ``+``; numbers are written with an exponent (``6.0000000000000000e+02``),
which both DuckDB and Spark SQL read as DOUBLE. Identifiers are left bare when they are plain names
(``[A-Za-z_][A-Za-z0-9_]*``, the same in both engines) and otherwise quoted for the ``dialect``
(``"name"`` for DuckDB / ANSI, `` `name` `` for Spark). The same rules as in Python apply:

* numeric bin ``i`` is ``[split_{i-1}, split_i)``; ``NULL`` is ``Missing``; a special code is ``Special``;
* a category is compared as text (``CAST(x AS STRING)``, Python's ``str``); an unseen category gets the
  average (WOE 0), i.e. only the variable's share of the intercept;
* points per bin ``= factor * b_j * woe_j(bin) + (offset + factor * b0) / k`` (module :mod:`clientlens.scoring`),
  so the sum over variables is the Python score (difference below 1e-9 points).

Caveat: Python treats an infinite numeric value as missing; the SQL compares it as a number.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from . import ClientLensError, ParamsError

__all__ = ["scorecard_spec", "scorecard_sql", "save_scorecard_sql", "DIALECTS"]

DIALECTS = ("duckdb", "spark", "ansi")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPEC_FORMAT = "clientlens.scorecard_spec/1"


def _ident(name: str, dialect: str) -> str:
    name = str(name)
    if _PLAIN.match(name):
        return name
    if dialect == "spark":
        return "`" + name.replace("`", "``") + "`"
    from .data import quote_ident

    return quote_ident(name)


def _num(v: float) -> str:
    v = float(v)
    if not np.isfinite(v):
        raise ClientLensError(f"cannot write the non-finite number {v!r} into the scorecard SQL")
    return f"{v:.17e}"


def _str(v) -> str:
    from .data import quote_literal

    return quote_literal(str(v))


def bins_item(vb) -> dict:
    """One variable's bins (:class:`clientlens.binning.VariableBinning`) as the spec's item, without points."""
    item = {"name": vb.name, "kind": vb.dtype, "labels": list(vb.labels),
            "special_codes": [c.item() if hasattr(c, "item") else c for c in vb.special_codes]}
    if vb.dtype == "numerical":
        item["splits"] = [float(s) for s in vb.splits]
    else:
        item["categories"] = [[str(c) for c in grp] for grp in vb.splits]
    return item


def scorecard_spec(scorecard) -> dict:
    """JSON-serialisable description of a fitted scorecard (module docstring)."""
    scorecard._check_fitted()
    k = len(scorecard.variables_)
    share = (scorecard.offset_ + scorecard.factor_ * scorecard.intercept_) / k
    variables = []
    for v in scorecard.variables_:
        vb = scorecard.binner_.binnings_[v]
        b = float(scorecard.coef_[v])
        pts = [scorecard.factor_ * b * float(w) + share for w in vb.woe]
        n = vb.n_bins
        item = bins_item(vb)
        item["coefficient"] = b
        item["points"] = {"bins": pts[:n], "special": pts[n], "missing": pts[n + 1], "unknown": share}
        variables.append(item)
    return {"format": _SPEC_FORMAT, "pdo": scorecard.pdo, "base_score": scorecard.base_score,
            "base_odds": scorecard.base_odds, "factor": scorecard.factor_, "offset": scorecard.offset_,
            "intercept": scorecard.intercept_, "intercept_share": share, "variables": variables,
            "score": "sum of the variables' points; probability = 1 / (1 + exp((offset - score) / factor))"}


def _case(item: dict, dialect: str, values: dict | None = None, fmt=_num) -> str:
    """``CASE`` giving each bin's value: ``values`` (default the item's points) holds ``bins`` (one per
    regular bin), ``special``, ``missing`` and ``unknown`` (an unseen category), written with ``fmt``."""
    col = _ident(item["name"], dialect)
    p = item["points"] if values is None else values
    lines = []
    if item["kind"] == "numerical":
        x = f"CAST({col} AS DOUBLE)"
        lines.append(f"WHEN {col} IS NULL THEN {fmt(p['missing'])}")
        if item["special_codes"]:
            codes = ", ".join(_num(c) for c in item["special_codes"])
            lines.append(f"WHEN {x} IN ({codes}) THEN {fmt(p['special'])}")
        for s, pt in zip(item["splits"], p["bins"]):
            lines.append(f"WHEN {x} < {_num(s)} THEN {fmt(pt)}")
        lines.append(f"ELSE {fmt(p['bins'][-1])}")
    else:
        x = f"CAST({col} AS STRING)"
        lines.append(f"WHEN {col} IS NULL THEN {fmt(p['missing'])}")
        if item["special_codes"]:
            codes = ", ".join(_str(c) for c in item["special_codes"])
            lines.append(f"WHEN {x} IN ({codes}) THEN {fmt(p['special'])}")
        for cats, pt in zip(item["categories"], p["bins"]):
            if cats:
                lines.append(f"WHEN {x} IN ({', '.join(_str(c) for c in cats)}) THEN {fmt(pt)}")
        lines.append(f"ELSE {fmt(p['unknown'])}")
    return "CASE\n      " + "\n      ".join(lines) + "\n    END"


def scorecard_sql(scorecard, table: str = "scoring_base", id_columns=("customer_id",), dialect: str = "duckdb",
                  points_columns: bool = True) -> str:
    """One portable ``SELECT`` scoring ``table`` with the fitted scorecard (module docstring).

    Parameters
    ----------
    table : str
        The table (or view) holding the model variables, one row per customer.
    id_columns : sequence of str
        Columns passed through (e.g. the customer key).
    dialect : {"duckdb", "spark", "ansi"}
        Only changes how unusual identifiers are quoted.
    points_columns : bool
        Also return each variable's points as ``points_<variable>`` (the reason-code inputs).

    Returns
    -------
    str
        ``SELECT <ids>, <points per variable>, <sum> AS score FROM <table>``.
    """
    if dialect not in DIALECTS:
        raise ParamsError(f"dialect must be one of {list(DIALECTS)}; got {dialect!r}")
    spec = scorecard_spec(scorecard)
    cases = [(item["name"], _case(item, dialect)) for item in spec["variables"]]
    sel = [_ident(c, dialect) for c in id_columns]
    if points_columns:
        sel += [f"{case} AS {_ident('points_' + name, dialect)}" for name, case in cases]
    sel.append("(\n    " + "\n    + ".join(case for _, case in cases) + "\n  ) AS score")
    parts = [part if "\n" not in part else part for part in sel]
    head = (f"-- ClientLens scorecard: {len(cases)} variables, {spec['base_score']:g} points at odds "
            f"{spec['base_odds']:g}:1 against response, PDO {spec['pdo']:g}\n"
            "-- probability of response = 1 / (1 + exp((offset - score) / factor)), "
            f"offset = {spec['offset']:.12g}, factor = {spec['factor']:.12g}\n")
    tbl = ".".join(_ident(t, dialect) for t in str(table).split("."))
    return head + "SELECT\n  " + ",\n  ".join(parts) + f"\nFROM {tbl}"


def bin_index_case(vb, dialect: str = "duckdb") -> str:
    """``CASE`` giving the bin index of :meth:`clientlens.binning.VariableBinning.indices`: regular bins
    ``0..n-1``, ``Special`` ``n``, ``Missing`` ``n+1``, an unseen category ``-1`` (same rules as the scoring SQL)."""
    n = vb.n_bins
    return _case(bins_item(vb), dialect, {"bins": list(range(n)), "special": n, "missing": n + 1, "unknown": -1},
                 fmt=lambda v: str(int(v)))


def save_scorecard_sql(scorecard, out_dir: str | os.PathLike, stem: str = "scorecard", **kwargs) -> dict[str, Path]:
    """Write ``<stem>.sql`` (:func:`scorecard_sql`) and ``<stem>.json`` (:func:`scorecard_spec`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"sql": out / f"{stem}.sql", "json": out / f"{stem}.json"}
    paths["sql"].write_text(scorecard_sql(scorecard, **kwargs) + "\n", encoding="utf-8")
    paths["json"].write_text(json.dumps(scorecard_spec(scorecard), indent=2, ensure_ascii=False, default=str),
                             encoding="utf-8")
    return paths
