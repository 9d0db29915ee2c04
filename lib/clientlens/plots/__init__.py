"""Plotting helpers, one module per report area; every function takes ax=None and returns the axes.

Importing this package registers Noto Sans CJK SC (shipped by the ``mplfonts`` package) as a
fallback font, so Chinese labels (a bank's own category values, city names) render in charts
instead of empty boxes; Latin text keeps matplotlib's default font.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


def use_cjk_font() -> str | None:
    """Register the CJK fallback font; return its family name (None if the font is not installed)."""
    spec = importlib.util.find_spec("mplfonts")  # locate without importing (its import changes rcParams)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    # matplotlib falls back glyph by glyph along font.family (a generic name such as "sans-serif"
    # resolves to one font), so the CJK font goes right after the families already in use
    families = [f for f in mpl.rcParams["font.family"] if f != name]
    mpl.rcParams["font.family"] = families + [name]
    return name


CJK_FONT_NAME = use_cjk_font()


def tr(text, **fields):
    """Chart text in the report's language (:func:`clientlens.i18n.t`); text already translated (the result of
    ``t``, e.g. a title the caller translated) and non-text labels pass through unchanged."""
    from ..i18n import Translated, t

    if not isinstance(text, str) or isinstance(text, Translated):
        return text
    return t(text, **fields)
