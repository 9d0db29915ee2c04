"""Display helpers for report notebooks: tables, callouts, verdict badges, artefact paths.

Every ``show_*`` / ``callout`` function *displays* its output (``IPython.display``)
and returns ``None``, so it can be called anywhere in a cell without the result
being shown twice. The matching ``*_html`` / ``style_table`` functions return the
object instead (for tests, or to combine several pieces).

Typical use in a notebook::

    from clientlens import report
    out = report.resolve_output_dir(output_dir, "02_binning")
    report.show_table(iv_table, caption="Information value by variable", percent_cols=["share"])
    report.callout("3 variables have IV > 0.5: check for leakage.", kind="warning")
    report.show_verdicts([
        {"check": "KS", "value": 0.41, "threshold": ">= 0.2", "verdict": report.grade(0.41, warn=0.2, fail=0.1,
                                                                                      higher_is_better=True)},
    ])

Verdicts are ``"PASS"``, ``"WARN"`` and ``"FAIL"`` (:func:`grade` maps a value and
two thresholds to one of them; :func:`worst` combines several).
"""
from __future__ import annotations

import html
import math
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import ClientLensError, ParamsError
from . import config
from .i18n import Translated, column, t, value

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
VERDICTS = (PASS, WARN, FAIL)

_KIND_STYLE = {
    # kind: (border colour, background, label)
    "note": ("#2b6cb0", "#ebf4ff", "Note"),
    "warning": ("#b7791f", "#fffaf0", "Warning"),
    "pass": ("#2f855a", "#f0fff4", "Pass"),
    "fail": ("#c53030", "#fff5f5", "Fail"),
}
_BADGE_STYLE = {PASS: ("#ffffff", "#2f855a"), WARN: ("#1a202c", "#ecc94b"), FAIL: ("#ffffff", "#c53030")}
_MISSING = "–"


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


# --------------------------------------------------------------------------- numbers

def _is_missing(value: Any) -> bool:
    """None, NaN, NA or NaT (a list-like or unknown object is not missing)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_num(value: Any, decimals: int = 0) -> str:
    """Format a number with thousands separators (``1234567.8 -> '1,234,568'``); missing -> ``'–'``."""
    if _is_missing(value):
        return _MISSING
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)) and decimals == 0:
        return f"{int(value):,}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{float(value):,.{decimals}f}"
    return str(value)


def fmt_pct(value: Any, decimals: int = 1) -> str:
    """Format a share as a percentage (``0.1234 -> '12.3%'``); missing -> ``'–'``."""
    if _is_missing(value):
        return _MISSING
    return f"{float(value):.{decimals}%}"


def _column_formatter(series: pd.Series, spec: str | Callable | None, percent: bool) -> Callable | None:
    if callable(spec):
        return lambda v: _MISSING if _isna(v) else spec(v)
    if isinstance(spec, str):   # a number format; a text cell in a numeric column (e.g. "rule skipped") as is
        return lambda v: _MISSING if _isna(v) else (v if isinstance(v, str) else spec.format(v))
    if percent:
        return fmt_pct
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_datetime64_any_dtype(series):
        vals = series.dropna()
        dates_only = bool(len(vals) == 0 or (vals.dt.normalize() == vals).all())
        return lambda v: _MISSING if _isna(v) else v.strftime("%Y-%m-%d" if dates_only else "%Y-%m-%d %H:%M")
    if pd.api.types.is_integer_dtype(series):
        return lambda v: fmt_num(v, 0)
    if pd.api.types.is_float_dtype(series):
        vals = series.dropna()
        # whole numbers (counts stored as float, amounts) without decimals; small values with more
        if len(vals) and bool(np.all(np.mod(vals, 1) == 0)):
            return lambda v: fmt_num(v, 0)
        if not len(vals):
            return lambda v: fmt_num(v, 2)
        biggest = float(np.nanmax(np.abs(vals)))
        decimals = 0 if float(np.nanmedian(np.abs(vals))) >= 1000 else 2 if biggest >= 1 else 3
        return lambda v: fmt_num(v, decimals)
    return None


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series) \
        or isinstance(series.dtype, pd.CategoricalDtype)


def _isna(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- tables

def style_table(df: pd.DataFrame, caption: str | None = None, fmt: Mapping[str, str | Callable] | str | Callable | None = None,
                percent_cols: Iterable[str] = (), max_rows: int = 50, index: bool | None = None,
                headers: Mapping[str, str] | None = None, nowrap: Iterable[str] = ()):
    """A formatted :class:`pandas.io.formats.style.Styler` for a report table.

    Parameters
    ----------
    df : DataFrame
        The table. Never pass raw customer ids: mask them first (:func:`clientlens.privacy.mask_ids`).
    caption : str, optional
        Shown above the table.
    fmt : dict or str, optional
        Per-column format (``{"aum": "{:,.0f}"}`` or a callable such as :func:`clientlens.i18n.money`), or one
        format string or callable for every numeric column. Columns without a format: integers and whole numbers with thousands
        separators, other floats with 2 decimals (0 when the values are in the thousands).
    percent_cols : iterable of str
        Columns holding shares (0-1), shown as ``12.3%``.
    max_rows : int
        Rows shown; when the table is longer the caption says ``first N of M rows``.
    index : bool, optional
        Show the index. Default: only when it is not a plain 0..n-1 range.
    headers : dict, optional
        Readable headers shown for data column names (``{"n_treated": "treated customers"}``), then translated
        like any header; ``fmt`` and ``percent_cols`` keep naming the data columns, and the frame (the saved
        artefact) keeps its names.
    nowrap : iterable of str
        Columns whose cells never break onto two lines (ids such as ``FD-2026-09``, which a narrow column
        would break at the hyphen).

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    if not isinstance(df, pd.DataFrame):
        if isinstance(df, pd.Series):
            df = df.to_frame()
        else:
            raise ClientLensError(f"show_table needs a DataFrame; got {type(df).__name__}")
    if max_rows < 1:
        raise ParamsError(f"max_rows must be >= 1; got {max_rows}")
    percent_cols, nowrap = list(percent_cols), list(nowrap)
    missing = [c for c in percent_cols + nowrap if c not in df.columns]
    if isinstance(fmt, Mapping):
        missing += [c for c in fmt if c not in df.columns]
    if missing:
        raise ClientLensError(f"show_table: column(s) {missing} not in the table; columns: {list(df.columns)}")
    n = len(df)
    shown = df.head(max_rows)
    if n > max_rows:
        note = t("first {shown:,} of {n:,} rows", shown=max_rows, n=n)
        caption = f"{caption} ({note})" if caption else note[:1].upper() + note[1:]
    formatters = {}
    for col in shown.columns:
        spec = fmt.get(col) if isinstance(fmt, Mapping) else (
            fmt if (isinstance(fmt, str) or callable(fmt)) and pd.api.types.is_numeric_dtype(df[col])
            and not pd.api.types.is_bool_dtype(df[col]) else None)
        f = _column_formatter(df[col], spec, col in percent_cols)
        if f is None and spec is None and col not in percent_cols and _is_text(df[col]):
            f = value   # category values (tags, stages, segment kinds) in the report's language
        if f is not None:
            formatters[col] = f
    headers = dict(headers or {})
    if any(n is not None for n in shown.index.names):   # index names are headers too
        shown = shown.rename_axis([column(headers.get(n, n)) for n in shown.index.names])
    # every data value, index label and column header is HTML-escaped (data may hold '<script>' or '&'); text
    # is escaped before the formatter runs, headers and category values are translated then escaped
    styler = shown.style.format(formatters, na_rep=_MISSING, escape="html")
    styler = styler.format_index(lambda v: html.escape(str(value(v))), axis=0)
    styler = styler.format_index(lambda v: html.escape(str(column(headers.get(v, v)))), axis=1)
    if index is None:
        index = not (isinstance(df.index, pd.RangeIndex) and df.index.name is None)
    if not index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(html.escape(caption))
    numeric = [c for c in shown.columns if pd.api.types.is_numeric_dtype(df[c])
               and not pd.api.types.is_bool_dtype(df[c])]
    styler = styler.set_table_styles([
        {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold; "
                                         "font-size: 1.05em; padding: 4px 0;"},
        {"selector": "th", "props": "text-align: left; padding: 3px 8px; border-bottom: 1px solid #999;"},
        {"selector": "td", "props": "padding: 3px 8px;"},
    ])
    # explicit on both sides: the notebook page's own CSS right-aligns every cell; text reads from the left
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    text = [c for c in shown.columns if c not in numeric]
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
    if nowrap:
        styler = styler.set_properties(subset=nowrap, **{"white-space": "nowrap"})
    return styler


def show_table(df: pd.DataFrame, caption: str | None = None, fmt: Mapping[str, str | Callable] | str | Callable | None = None,
               percent_cols: Iterable[str] = (), max_rows: int = 50, index: bool | None = None,
               headers: Mapping[str, str] | None = None, nowrap: Iterable[str] = ()) -> None:
    """Display a formatted table (see :func:`style_table` for the arguments). Returns ``None``.

    The table sits in a box that scrolls sideways when it is wider than the page (a 1280 px window
    shows every column: scrolled, never cut).
    """
    from IPython.display import HTML

    _display(HTML(table_html(df, caption=caption, fmt=fmt, percent_cols=percent_cols, max_rows=max_rows,
                             index=index, headers=headers, nowrap=nowrap)))


def table_html(df: pd.DataFrame, caption: str | None = None, fmt: Mapping[str, str | Callable] | str | Callable | None = None,
               percent_cols: Iterable[str] = (), max_rows: int = 50, index: bool | None = None,
               headers: Mapping[str, str] | None = None, nowrap: Iterable[str] = ()) -> str:
    """HTML of :func:`style_table` in a box that scrolls sideways when the table is wider than the page.

    Returns
    -------
    str
        ``<div class="clientlens-table" style="overflow-x: auto; max-width: 100%">`` around the table.
    """
    styler = style_table(df, caption=caption, fmt=fmt, percent_cols=percent_cols, max_rows=max_rows, index=index,
                         headers=headers, nowrap=nowrap)
    return f"<div class='clientlens-table' style='overflow-x: auto; max-width: 100%;'>{styler.to_html()}</div>"


# --------------------------------------------------------------------------- callouts and markdown

def callout_html(text: str, kind: str = "note", title: str | None = None) -> str:
    """HTML of a coloured box; ``kind`` is ``note``, ``warning``, ``pass`` or ``fail``.

    ``text`` is escaped (plain text; blank lines separate paragraphs).
    """
    if kind not in _KIND_STYLE:
        raise ParamsError(f"kind must be one of {list(_KIND_STYLE)}; got {kind!r}")
    border, bg, label = _KIND_STYLE[kind]
    title = t(label) if title is None else title
    paras = "".join(f"<p style='margin:4px 0'>{html.escape(p).replace(chr(10), '<br>')}</p>"
                    for p in str(text).split("\n\n"))
    head = f"<strong>{html.escape(title)}</strong>" if title else ""
    return (f"<div class='clientlens-callout clientlens-{kind}' style='border-left: 5px solid {border}; "
            f"background: {bg}; padding: 8px 12px; margin: 8px 0; color: #1a202c;'>{head}{paras}</div>")


def callout(text: str, kind: str = "note", title: str | None = None) -> None:
    """Display a coloured box (``note`` / ``warning`` / ``pass`` / ``fail``). Returns ``None``."""
    from IPython.display import HTML

    _display(HTML(callout_html(text, kind, title)))


def esc(value: Any) -> str:
    """A data value made safe to interpolate into :func:`show_md` text or HTML (``<``, ``>``, ``&``, quotes
    escaped; Markdown emphasis and code characters too)."""
    s = html.escape(str(value))
    for ch in "\\`*_[]|":
        s = s.replace(ch, "&#%d;" % ord(ch))
    return s


def show_md(text: str) -> None:
    """Display Markdown text (narrative built from computed numbers). Returns ``None``.

    Markdown passes HTML through: wrap every data value (ids, category values, names) in :func:`esc`.
    """
    from IPython.display import Markdown

    _display(Markdown(text))


def show_warnings(warnings: Sequence[str], title: str = "Warnings") -> None:
    """The report's warnings section: one warning box with every warning, or a pass line. Returns ``None``."""
    if warnings:
        callout("\n\n".join(warnings), kind="warning", title=title)
    else:
        callout("No warnings.", kind="pass", title=title)


# --------------------------------------------------------------------------- "what this says"

#: Metadata key marking the output of :func:`summary`: the runner moves it to the top of the report.
SUMMARY_MARK = "clientlens-summary"


def summary_html(lines: Sequence[str], title: str = "What this says") -> str:
    """HTML of the report's summary box: a title and one bullet per line (each line escaped)."""
    title = title if isinstance(title, Translated) else t(title)
    items = "".join(f"<li style='margin:2px 0'>{html.escape(str(x))}</li>" for x in lines if str(x).strip())
    return (f"<div class='clientlens-summary' style='border:1px solid #2b6cb0; border-left:6px solid #2b6cb0; "
            f"background:#f7fafc; padding:8px 14px; margin:10px 0; color:#1a202c;'>"
            f"<strong>{html.escape(title)}</strong><ul style='margin:4px 0 2px 0; padding-left:20px'>{items}</ul></div>")


def summary(lines: Sequence[str], title: str = "What this says") -> None:
    """Display the report's 3-5 line summary, computed from its results. Returns ``None``.

    Results are computed further down a notebook than its title, so the summary is displayed where its
    inputs exist (usually the last cell) with the :data:`SUMMARY_MARK` metadata; when the runner writes the
    report (:func:`clientlens.runner.move_summary`), that output moves to just after the title.
    """
    from IPython.display import HTML, display

    display(HTML(summary_html(lines, title)), metadata={SUMMARY_MARK: True})


# --------------------------------------------------------------------------- verdicts

def grade(value: float, *, warn: float, fail: float, higher_is_better: bool = False) -> str:
    """Map a metric to ``PASS`` / ``WARN`` / ``FAIL`` with two thresholds.

    ``higher_is_better=False`` (e.g. PSI with warn=0.1, fail=0.25): ``PASS`` below ``warn``,
    ``WARN`` from ``warn`` up to below ``fail``, ``FAIL`` at ``fail`` or above.
    ``higher_is_better=True`` (e.g. AUC with warn=0.7, fail=0.6): ``PASS`` at ``warn`` or above,
    ``WARN`` from ``fail`` up to below ``warn``, ``FAIL`` below ``fail``. A missing value is ``WARN``.
    """
    if higher_is_better and warn < fail or not higher_is_better and warn > fail:
        raise ParamsError(f"warn and fail thresholds are in the wrong order for higher_is_better="
                          f"{higher_is_better}; got warn={warn}, fail={fail}")
    if value is None or _isna(value):
        return WARN
    v = float(value)
    if higher_is_better:
        return PASS if v >= warn else WARN if v >= fail else FAIL
    return PASS if v < warn else WARN if v < fail else FAIL


def worst(verdicts: Iterable[str]) -> str:
    """The worst of several verdicts (``FAIL`` > ``WARN`` > ``PASS``); ``PASS`` when there are none."""
    rank = {PASS: 0, WARN: 1, FAIL: 2}
    out = PASS
    for v in verdicts:
        if v not in rank:
            raise ParamsError(f"verdict must be one of {list(VERDICTS)}; got {v!r}")
        if rank[v] > rank[out]:
            out = v
    return out


def badge(verdict: str) -> str:
    """HTML badge for a verdict (``PASS`` green, ``WARN`` amber, ``FAIL`` red)."""
    if verdict not in _BADGE_STYLE:
        raise ParamsError(f"verdict must be one of {list(VERDICTS)}; got {verdict!r}")
    fg, bg = _BADGE_STYLE[verdict]   # the colour is keyed by the English verdict, the word is translated
    return (f"<span class='clientlens-badge' data-verdict='{verdict}' style='display:inline-block; min-width:3.2em; "
            f"text-align:center; padding:1px 6px; border-radius:4px; font-weight:bold; font-size:0.9em; color:{fg}; "
            f"background:{bg};'>{html.escape(t(verdict))}</span>")


def verdict_table_html(checks: pd.DataFrame | Sequence[Mapping], caption: str | None = None,
                       nowrap: Iterable[str] = ()) -> str:
    """HTML table of checks with a badge per row.

    ``checks`` has a ``verdict`` column (``PASS``/``WARN``/``FAIL``) and any other columns
    (e.g. ``check``, ``value``, ``threshold``, ``note``), shown in their order with the verdict first.
    Float values are shown with 3 significant decimals. ``nowrap``: columns whose cells never break
    (ids, see :func:`style_table`).
    """
    df = pd.DataFrame(list(checks)) if not isinstance(checks, pd.DataFrame) else checks
    if "verdict" not in df.columns:
        raise ClientLensError(f"verdict table needs a 'verdict' column; columns: {list(df.columns)}")
    cols, nowrap = ["verdict"] + [c for c in df.columns if c != "verdict"], set(nowrap)
    head = "".join(f"<th style='text-align:left; padding:3px 8px; border-bottom:1px solid #999'>"
                   f"{html.escape(str(column(c)))}</th>" for c in cols)
    rows = []
    for _, r in df[cols].iterrows():
        cells = []
        for c in cols:
            v = r[c]
            number = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
            if c == "verdict":
                s = badge(str(v))
            elif isinstance(v, (float, np.floating)):
                s = html.escape(_MISSING if _isna(v) else f"{float(v):,.3f}".rstrip("0").rstrip(".")
                                if abs(float(v)) < 1000 else fmt_num(v))
            elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                s = fmt_num(v)
            else:
                s = html.escape(_MISSING if _isna(v) else str(value(v)))
            keep = "; white-space:nowrap" if c in nowrap else ""
            cells.append(f"<td style='padding:3px 8px; text-align:{'right' if number else 'left'}{keep}'>{s}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = (f"<caption style='caption-side:top; text-align:left; font-weight:bold; padding:4px 0'>"
           f"{html.escape(caption)}</caption>") if caption else ""
    return (f"<table class='clientlens-verdicts' style='border-collapse:collapse'>{cap}<thead><tr>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def show_verdicts(checks: pd.DataFrame | Sequence[Mapping], caption: str | None = None,
                  nowrap: Iterable[str] = ()) -> None:
    """Display a verdict table (see :func:`verdict_table_html`). Returns ``None``."""
    from IPython.display import HTML

    _display(HTML(verdict_table_html(checks, caption, nowrap=nowrap)))


# --------------------------------------------------------------------------- paths

def resolve_output_dir(output_dir: str | os.PathLike | None, notebook_stem: str) -> Path:
    """The folder a notebook saves its artefacts to, created if needed.

    The runner passes a staging folder as ``output_dir``; when it is empty (an interactive run)
    this is ``reports/_scratch/<notebook_stem>``. A relative path is taken from the project root.
    """
    if not notebook_stem:
        raise ParamsError("notebook_stem must not be empty")
    path = (config.REPORTS_DIR / "_scratch" / notebook_stem) if not output_dir else config.resolve(output_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def require_ended(notebook_stem: str, filename: str = "artefacts") -> None:
    """Raise :class:`ClientLensError` when ``notebook_stem`` belongs to the run-all this kernel is part of and has not
    ended (``CLIENTLENS_PENDING_REPORTS``, set by the runner): its ``filename`` on disk would be an earlier run's."""
    if notebook_stem in os.environ.get(config.PENDING_REPORTS_ENV, "").split(","):
        raise ClientLensError(f"{notebook_stem} has not ended in this run-all: its {filename} would be an earlier "
                              f"run's (clientlens.runner.REPORT_INPUTS must list it for this report)")


def find_artifact(reports_dir: str | os.PathLike, as_of: str, notebook_stem: str, filename: str,
                  include_scratch: bool = False) -> Path | None:
    """Path of an artefact saved by an earlier notebook of the same run, or ``None``.

    Looks for ``<reports_dir>/<as_of>/<notebook_stem>_files/<filename>`` (where the runner moves a
    successful notebook's artefacts), then in the language sub-folders (``<as_of>/zh/...``: a report run
    only in Chinese). A report in another language than English looks in its own language's folder first: the
    numbers are the same, but text an artefact carries (03's generated segment names) is in that language. With ``include_scratch=True`` (interactive work:
    ``include_scratch=not output_dir``), falls back to ``<reports_dir>/_scratch/<notebook_stem>/<filename>``.
    A relative ``reports_dir`` is taken from the project root. Inside a run-all, asking for a report of the
    run that has not ended (``CLIENTLENS_PENDING_REPORTS``, set by the runner) raises :class:`ClientLensError`.
    """
    from .i18n import LANGUAGES, get_language

    require_ended(notebook_stem, filename)
    root = config.resolve(reports_dir)
    # the en run's artefacts, else those of a run in another language (reports/<as_of>/zh/): same numbers
    lang_dirs = ("",) + LANGUAGES[1:]
    if get_language() != "en":
        lang_dirs = (get_language(),) + tuple(d for d in lang_dirs if d != get_language())
    candidates = [root / str(as_of) / lang_dir / f"{notebook_stem}_files" / filename for lang_dir in lang_dirs]
    if include_scratch:
        candidates.append(root / "_scratch" / notebook_stem / filename)
    for c in candidates:
        if c.exists():
            return c
    return None


# --------------------------------------------------------------------------- data overview summaries
# Small DuckDB aggregations over a loaded bank (clientlens.data.BankData) for the data-overview
# report; they scan each table once and return small frames, so they scale to 100M transactions.

_DATE_COLUMNS = {"customers": ("open_date", "birth_date"), "monthly_balances": ("month_end",),
                 "transactions": ("txn_date",), "campaigns": ("contact_date",)}


def _qi(name: str) -> str:
    from .data import quote_ident

    return quote_ident(name)


def row_counts(bank) -> pd.DataFrame:
    """One row per contract table: present?, rows, columns, distinct customers, source file(s)."""
    from .schema import TABLES

    rows = []
    for name, table in TABLES.items():
        if not bank.has(name):
            rows.append({"table": name, "present": False, "rows": pd.NA, "columns": pd.NA,
                         "customers": pd.NA, "source": "not found"})
            continue
        n, k = bank.con.execute(f"SELECT count(*), count(DISTINCT customer_id) FROM {_qi(name)}").fetchone()
        files = bank.files[name]
        source = files[0].name if len(files) == 1 else f"{files[0].parent.name}/ ({len(files)} parts)"
        rows.append({"table": name, "present": True, "rows": int(n), "columns": len(bank.columns[name]),
                     "customers": int(k), "source": source})
    out = pd.DataFrame(rows)
    for c in ("rows", "columns", "customers"):
        out[c] = out[c].astype("Int64")
    return out


def date_coverage(bank, as_of: str | None = None) -> pd.DataFrame:
    """Per date column: first and last date, months covered, empty values and rows after ``as_of``."""
    rows = []
    for table, cols in _DATE_COLUMNS.items():
        if not bank.has(table):
            continue
        for col in cols:
            if col not in bank.columns[table]:
                continue
            after = f", count(*) FILTER (WHERE {_qi(col)} > CAST(? AS DATE))" if as_of else ", 0"
            lo, hi, months, empty, n_after = bank.con.execute(
                f"SELECT min({_qi(col)}), max({_qi(col)}), count(DISTINCT date_trunc('month', {_qi(col)})), "
                f"count(*) - count({_qi(col)}){after} FROM {_qi(table)}", [str(as_of)] if as_of else []).fetchone()
            rows.append({"table": table, "column": col, "first": lo, "last": hi, "months": int(months),
                         "empty": int(empty), "after_as_of": int(n_after)})
    return pd.DataFrame(rows, columns=["table", "column", "first", "last", "months", "empty", "after_as_of"])


def missing_values(bank, min_share: float = 0.0, by_design_when: Mapping[str, Mapping[str, Sequence]] | None = None
                   ) -> pd.DataFrame:
    """Per column of every present table: empty values and their share (one scan per table).

    ``by_design_when`` names rows where a column is empty by design, e.g.
    ``{"transactions.channel": {"category": ["salary"]}}`` (a salary credit has no channel): those empty
    values are counted in ``empty_by_design`` and left out of ``missing`` and ``missing_share``. Only columns
    with a missing share above ``min_share`` or empty values by design are returned, most missing first.
    """
    conds = {}
    for key, where in (by_design_when or {}).items():
        table, _, col = str(key).partition(".")
        if not isinstance(where, Mapping) or len(where) != 1:
            raise ParamsError(f"missing_by_design_when[{key!r}] must map one column to its values; got {where!r}")
        conds[(table, col)] = next(iter(where.items()))
    rows = []
    for table in sorted(bank.present):
        cols = bank.columns[table]
        if not cols:
            continue
        args: list = []
        exprs = []
        for c in cols:
            cond = conds.get((table, c))
            if cond is not None and cond[0] in cols:
                marks = ", ".join("?" for _ in cond[1])
                exprs.append(f"count(*) FILTER (WHERE {_qi(c)} IS NULL AND CAST({_qi(cond[0])} AS VARCHAR) IN ({marks}))"
                             if cond[1] else "0")
                args.extend(str(v) for v in cond[1])
            else:
                exprs.append("0")
        select = ", ".join(f"count(*) - count({_qi(c)}), {e}" for c, e in zip(cols, exprs))
        values = bank.con.execute(f"SELECT count(*), {select} FROM {_qi(table)}", args).fetchone()
        n = values[0]
        for i, c in enumerate(cols):
            empty, design = values[1 + 2 * i], values[2 + 2 * i]
            miss = empty - design
            share = miss / n if n else 0.0
            if share > min_share or design:
                rows.append({"table": table, "column": c, "rows": int(n), "missing": int(miss), "missing_share": share,
                             "empty_by_design": int(design)})
    out = pd.DataFrame(rows, columns=["table", "column", "rows", "missing", "missing_share", "empty_by_design"])
    return out.sort_values(["missing_share", "table", "column"], ascending=[False, True, True], ignore_index=True)


def log_histogram(bank, table: str, column: str, *, where: Mapping[str, Any] | None = None,
                  bins_per_decade: int = 10) -> pd.DataFrame:
    """Histogram of a positive amount on a log scale, computed in DuckDB.

    Returns ``lower``, ``upper`` (bin edges, powers of 10 split in ``bins_per_decade``) and ``count``,
    plus one attribute ``non_positive`` (``out.attrs``): values <= 0, which a log scale cannot show.
    ``where`` is an optional ``{column: value}`` of equality conditions (e.g. ``{"direction": "out"}``);
    the values reach SQL as bound parameters.
    """
    if bins_per_decade < 1:
        raise ParamsError(f"bins_per_decade must be >= 1; got {bins_per_decade}")
    if where is not None and not isinstance(where, Mapping):
        raise ParamsError(f"where must be a mapping {{column: value}}; got {type(where).__name__}")
    conds = [f"{_qi(c)} = ?" for c in (where or {})]
    args = list((where or {}).values())
    prefix = " AND ".join(conds + [""])
    k = int(bins_per_decade)
    q = (f"SELECT floor(log10({_qi(column)}) * {k}) AS b, count(*) AS n FROM {_qi(table)} "
         f"WHERE {prefix}{_qi(column)} > 0 GROUP BY 1 ORDER BY 1")
    df = bank.con.execute(q, args).df()
    non_pos = bank.con.execute(f"SELECT count(*) FROM {_qi(table)} WHERE {prefix}{_qi(column)} <= 0", args).fetchone()[0]
    out = log_bins(df["b"], df["n"], k)
    out.attrs["non_positive"] = int(non_pos)
    return out


def log_bins(b, counts, bins_per_decade: int) -> pd.DataFrame:
    """``lower``, ``upper``, ``count`` of log-scale bins numbered ``b = floor(log10(x) * bins_per_decade)``
    (:func:`log_histogram`, :func:`clientlens.overview.transaction_profile`)."""
    b = np.asarray(b, dtype=float)
    return pd.DataFrame({"lower": 10 ** (b / bins_per_decade), "upper": 10 ** ((b + 1) / bins_per_decade),
                         "count": np.asarray(counts).astype("int64")})


def monthly_counts(bank, table: str = "transactions", date_col: str = "txn_date", by: str | None = "direction",
                   value: str | None = "amount") -> pd.DataFrame:
    """Rows (and the sum of ``value``) per calendar month, optionally split by ``by``."""
    cols = bank.columns.get(table, [])
    by_sql = f", {_qi(by)}" if by and by in cols else ""
    val_sql = f", sum({_qi(value)}) AS total" if value and value in cols else ""
    df = bank.con.execute(f"SELECT date_trunc('month', {_qi(date_col)}) AS month{by_sql}, count(*) AS rows{val_sql} "
                          f"FROM {_qi(table)} GROUP BY ALL ORDER BY ALL").df()
    df["month"] = pd.to_datetime(df["month"])
    return df


def value_counts(bank, table: str, column: str, *, top: int = 12, value: str | None = None) -> pd.DataFrame:
    """Counts (and share) of a category column; the rest beyond ``top`` grouped as ``(other)``.

    Empty values are counted as ``(missing)``. With ``value`` also the sum of that column.
    """
    if top < 1:
        raise ParamsError(f"top must be >= 1; got {top}")
    val_sql = f", sum({_qi(value)}) AS total" if value else ""
    df = bank.con.execute(f"SELECT coalesce(CAST({_qi(column)} AS VARCHAR), '(missing)') AS {_qi(column)}, "
                          f"count(*) AS rows{val_sql} FROM {_qi(table)} GROUP BY 1 ORDER BY 2 DESC, 1").df()
    return top_with_other(df, column, top)


def top_with_other(counts: pd.DataFrame, column: str, top: int) -> pd.DataFrame:
    """The ``top`` rows of ``counts`` (``column``, ``rows`` and optionally ``total``, most rows first) and one
    ``(other)`` row summing the rest, with each row's ``share`` of the rows (:func:`value_counts`)."""
    df = counts.reset_index(drop=True)
    if len(df) > top:
        head, rest = df.iloc[:top].copy(), df.iloc[top:]
        other = {column: "(other)", "rows": rest["rows"].sum()}
        if "total" in df:
            other["total"] = rest["total"].sum()
        df = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
    df["rows"] = df["rows"].astype("int64")
    df["share"] = df["rows"] / df["rows"].sum() if len(df) else []
    return df


def campaign_overview(bank) -> pd.DataFrame:
    """Contacts, known responses, responders and response rate per campaign and group."""
    if not bank.has("campaigns"):
        return pd.DataFrame(columns=["campaign_id", "group", "contacts", "known", "responders", "response_rate",
                                     "first_contact", "last_contact"])
    return bank.con.execute(
        'SELECT campaign_id, "group", count(*) AS contacts, count(response) AS known, '
        'coalesce(sum(response), 0) AS responders, avg(response) AS response_rate, '
        'min(contact_date) AS first_contact, max(contact_date) AS last_contact '
        'FROM campaigns GROUP BY ALL ORDER BY campaign_id, "group"').df()


def customers_without_transactions(bank, as_of=None) -> int:
    """Customers in the master with no transaction row at all (:mod:`clientlens.activity`'s definition)."""
    if not (bank.has("customers") and bank.has("transactions")):
        return 0
    from .activity import activity_counts

    day = as_of if as_of not in (None, "") else bank.con.execute(
        "SELECT coalesce(max(txn_date), DATE '1970-01-01') FROM transactions").fetchone()[0]
    counts = activity_counts(bank, day).set_index("count")["customers"]
    return int(counts["without any transaction"])


def duplicate_keys(bank, table: str) -> int:
    """Rows beyond the first for each key of ``table`` (its contract key), 0 when the key is absent."""
    from .schema import TABLES

    key = [k for k in TABLES[table].key if k in bank.columns.get(table, [])]
    if not bank.has(table) or len(key) != len(TABLES[table].key):
        return 0
    cols = ", ".join(_qi(k) for k in key)
    return int(bank.con.execute(f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {_qi(table)} "
                                f"GROUP BY {cols} HAVING count(*) > 1)").fetchone()[0])
