"""Report language: one message catalogue, English source, Chinese translation (``language: en | zh``).

Reports are written in English in the notebooks and the library; the Chinese text comes from a
catalogue shipped in the package (``clientlens/messages/zh/*.yaml``), written by people using the
domain brief's terms. Nothing is machine-translated at run time.

Two kinds of entries:

* **Library text** (captions, callouts, verdict reasons, chart titles and labels, table headers, tag
  and segment values): the English text is the key. Code wraps its text in :func:`t`::

      report.show_table(df, caption=t("Customers by lifecycle stage"))
      report.callout(t("{n:,} customers have no transaction in the last {days} days", n=n, days=90))

  A key with ``{placeholders}`` is formatted after lookup, so the Chinese text may reorder them.
  Table headers (column names such as ``aum_share``) and category values (``growth``,
  ``important_develop``) are looked up the same way by :func:`column` and :func:`value`.
* **Notebook narrative** (markdown cells): ``messages/zh/notebooks/<stem>.yaml`` maps each cell id to
  ``{source_sha: <first 12 hex digits of the SHA-1 of the English source>, zh: <Chinese markdown>}``.
  The runner swaps the cells before a kernel starts (:func:`translate_notebook`); a cell whose English
  changed since it was translated (its hash differs) is stale, and the test of the catalogue fails.

With ``language: en`` every lookup returns the English text unchanged. With ``zh``, a missing entry falls
back to English and is recorded in :data:`MISSING`; with the environment variable
``CLIENTLENS_I18N_STRICT=1`` (the tests) it raises instead, naming the text.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from . import ClientLensError, ParamsError

__all__ = ["LANGUAGES", "set_language", "get_language", "using", "html_lang", "t", "t_matching", "column", "value",
           "money", "catalogue",
           "notebook_catalogue", "source_sha", "translate_notebook", "MISSING"]

LANGUAGES = ("en", "zh")
MESSAGES_DIR = Path(__file__).parent / "messages"
STRICT_ENV = "CLIENTLENS_I18N_STRICT"
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")

_state = {"language": "en"}
#: texts looked up in zh without a translation (this process); the strict mode raises instead
MISSING: set[str] = set()


class Translated(str):
    """Text returned by :func:`t` (already in the report's language)."""


def set_language(language: str) -> None:
    """Set the language of everything the library writes in this process. Returns ``None`` (a notebook
    cell ending with this call shows nothing)."""
    if language not in LANGUAGES:
        raise ParamsError(f"language must be one of {list(LANGUAGES)}; got {language!r}")
    _state["language"] = language


def get_language() -> str:
    return _state["language"]


@contextlib.contextmanager
def using(language: str):
    """Set the language inside a ``with`` block and restore the previous one after it (the runner
    writes a zh report's provenance and failure banner in zh without changing the process's language)."""
    before = _state["language"]
    set_language(language)
    try:
        yield language
    finally:
        _state["language"] = before


#: the HTML ``lang`` attribute of a report in each language
HTML_LANG = {"en": "en", "zh": "zh-CN"}


def html_lang(language: str) -> str:
    return HTML_LANG.get(language, language)


def _strict() -> bool:
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def _read_yaml(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ClientLensError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ClientLensError(f"{path}: a message catalogue is a mapping of English text to translation")
    return data


@lru_cache(maxsize=None)
def catalogue(language: str = "zh") -> dict[str, str]:
    """The library-text catalogue of ``language``: every ``messages/<language>/*.yaml`` merged.

    The same English key in two files with different translations is an error (one meaning per text).
    """
    out: dict[str, str] = {}
    where: dict[str, str] = {}
    folder = MESSAGES_DIR / language
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        for key, text in _read_yaml(path).items():
            key, text = str(key), str(text)
            if key in out and out[key] != text:
                raise ClientLensError(f"{path.name}: {key!r} is translated differently in {where[key]}")
            out[key], where[key] = text, path.name
    return out


def _lookup(text: str) -> str:
    if _state["language"] == "en":
        return text
    found = catalogue(_state["language"]).get(text)
    if found is None:
        if _strict():
            raise ClientLensError(f"no {_state['language']} translation of {text!r} "
                                  f"(add it to lib/clientlens/messages/{_state['language']}/)")
        MISSING.add(text)
        return text
    return found


def t(text: str, /, **fields: Any) -> Translated:
    """``text`` in the report's language, then ``.format(**fields)`` when fields are given."""
    out = _lookup(text)
    return Translated(out.format(**fields) if fields else out)


def t_matching(text: str, templates: Iterable[str]) -> str:
    """Text built in English from one of ``templates`` (``{name}`` placeholders, no format specs), in the report's
    language: the matching template through :func:`t`, its fields put back (each through :func:`value`, so a
    category word such as ``useless`` reads in the report's language, numbers and names unchanged). Text that
    matches no template is returned as is. For texts that are stored in English and parsed later (drop reasons
    of the binning, the loader's problems), translated only where a report shows them."""
    import re

    if _state["language"] == "en" or not isinstance(text, str):
        return text
    for template in templates:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))
        m = re.fullmatch(pattern, text.strip())
        if m:
            return t(template, **{k: value(v) for k, v in m.groupdict().items()})
    return text


def column(name: Any) -> Any:
    """A table header in the report's language (non-text headers unchanged).

    A header already in Chinese is shown as is: a header built with :func:`t` and fields (``t("segment {s}", s=3)``;
    pandas keeps column labels as plain ``str``, so the :class:`Translated` mark does not survive) or a bank's own
    Chinese column name.
    """
    if not isinstance(name, str) or _state["language"] == "en" or isinstance(name, Translated) or _CJK.search(name):
        return name
    return t(name)


def value(v: Any) -> Any:
    """A category value (tag, stage, quadrant, segment kind, verdict word) in the report's language.

    Unlike :func:`t`, a value with no entry is returned as is, never recorded as missing: data values
    (a bank's city names, product codes) are shown as the bank wrote them.
    """
    if _state["language"] == "en" or not isinstance(v, str):
        return v
    return catalogue(_state["language"]).get(v, v)


#: units a Chinese reader counts money in, largest first: 亿 (1e8), 万 (1e4)
_ZH_MONEY_UNITS = ((1e8, "亿"), (1e4, "万"))


def money(v: Any) -> str:
    """An amount of money as a reader of the report's language expects it (missing -> ``'–'``).

    en: whole units with thousands separators (``156112162 -> '156,112,162'``). zh: in 亿 (1e8) or 万 (1e4) with
    two decimals from 10,000 on (``156112162 -> '1.56 亿'``, ``45600 -> '4.56 万'``, ``-45600 -> '-4.56 万'``),
    whole units below. The currency word (元) is the caller's: a header ``（元）`` or a sentence's ``{x}元``.
    """
    import math

    try:
        x = float(v)
    except (TypeError, ValueError):
        return "–" if v is None else str(v)
    if math.isnan(x):
        return "–"
    if _state["language"] == "zh":
        for unit, name in _ZH_MONEY_UNITS:
            if abs(round(x / unit, 2)) >= 1:   # 9,999.6 reads as 1.00 万, not 10,000
                return f"{x / unit:,.2f} {name}"
    return f"{round(x) + 0:,.0f}"   # + 0: no '-0'


# --------------------------------------------------------------------------- notebook narrative

def source_sha(source: str) -> str:
    """The first 12 hex digits of the SHA-1 of a cell's English source (trailing whitespace ignored)."""
    return hashlib.sha1(source.rstrip().encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=None)
def notebook_catalogue(stem: str, language: str = "zh") -> dict[str, dict]:
    """``{cell id: {source_sha, <language>}}`` of one notebook (empty when there is no file)."""
    path = MESSAGES_DIR / language / "notebooks" / f"{stem}.yaml"
    return _read_yaml(path) if path.exists() else {}


def untranslated_cells(nb, stem: str, language: str = "zh") -> list[str]:
    """Ids of the markdown cells of ``nb`` with no translation or a stale one (English changed)."""
    cat = notebook_catalogue(stem, language)
    bad = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not cell.source.strip():
            continue
        entry = cat.get(cell.get("id"))
        if not entry or entry.get("source_sha") != source_sha(cell.source) or not entry.get(language):
            bad.append(cell.get("id"))
    return bad


def translate_notebook(nb, stem: str, language: str) -> Iterable[str]:
    """Swap the markdown cells of ``nb`` (in place) for their ``language`` text; returns the ids of the
    cells left in English (missing or stale). In strict mode a missing or stale cell raises."""
    if language == "en":
        return []
    if language not in LANGUAGES:
        raise ParamsError(f"language must be one of {list(LANGUAGES)}; got {language!r}")
    bad = untranslated_cells(nb, stem, language)
    if bad and _strict():
        raise ClientLensError(f"{stem}: markdown cell(s) {bad} have no current {language} translation "
                              f"(lib/clientlens/messages/{language}/notebooks/{stem}.yaml)")
    cat = notebook_catalogue(stem, language)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.get("id") not in bad and cell.source.strip():
            cell.source = cat[cell["id"]][language].rstrip("\n")
    return bad
