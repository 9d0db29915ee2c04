"""What a reader sees in a rendered report, and the checks of issue 17's done-means test on it.

:func:`visible_text` extracts the text a browser shows (no ``<style>``/``<script>``/``<head>``, no ``<code>``
identifiers, no heading anchors, no raw values of the provenance block: parameter names and values, file names and
hashes, paths, cache entries; no glossary keys, which are the words as data and tables show them). :func:`report_problems` lists what must not be in a report in any language (literal
markdown, an external URL); :func:`english_in_zh` lists the English a Chinese report still shows (sentences of three
or more English words, snake_case column headers), after artefact file names and numbers are removed.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

#: Reports whose zh text is still being written (issue 17, item 1; 00-09 are all complete). The zh check is an expected
#: failure for these; add a report's stem while its Chinese is in progress, delete it when its zh report is complete.
PENDING: set[str] = set()

_SKIP_TAGS = {"style", "script", "head", "title", "code", "pre", "svg"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
_PROVENANCE = "celltag_clientlens-provenance"
#: provenance columns holding raw values, not words: parameter names and values, paths, commits, files, hashes, entries
_RAW_COLUMNS = {"value", "取值", "parameter", "参数", "file", "文件", "sha256", "entry", "缓存条目"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []   # (tag, skipped)
        self.chunks: list[tuple[str, str]] = []   # (innermost tag, text)
        self.prov_depth = None                    # stack depth of the provenance cell
        self.heads: list[str] = []
        self.col = -1
        self.in_head_row = False
        self.glossary = False

    def _skipping(self) -> bool:
        return any(s for _, s in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.prov_depth is None and _PROVENANCE in (a.get("class") or ""):
            self.prov_depth = len(self.stack)
        skip = tag in _SKIP_TAGS or "anchor-link" in (a.get("class") or "")
        if tag == "table":
            self.heads, self.col = [], -1
            self.glossary = "clientlens-glossary" in (a.get("class") or "")
        elif tag == "thead":
            self.in_head_row = True
        elif tag == "tbody":
            self.in_head_row = False
        elif tag == "tr":
            self.col = -1
        elif tag in ("td", "th"):
            self.col += 1
            if tag == "td" and self.prov_depth is not None and self.col < len(self.heads) \
                    and self.heads[self.col].strip() in _RAW_COLUMNS:
                skip = True
            if tag == "td" and self.glossary and self.col == 0:   # the key as shown ("general_win_back")
                skip = True
        if tag not in _VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        if self.prov_depth is not None and len(self.stack) <= self.prov_depth:
            self.prov_depth = None

    def handle_data(self, data):
        if not data.strip() or self._skipping():
            return
        tag = self.stack[-1][0] if self.stack else ""
        if tag == "th" and self.in_head_row:
            self.heads.append(data)
        self.chunks.append((tag, data))


def visible_chunks(page: str) -> list[tuple[str, str]]:
    """(innermost tag, text) of every visible text node of ``page``, in order."""
    p = _Text()
    p.feed(page)
    p.close()
    return p.chunks


def visible_text(page: str) -> str:
    """The visible text of ``page``, one text node a line."""
    return "\n".join(text for _, text in visible_chunks(page))


_COMMENTS = re.compile(r"<!--.*?-->|/\*.*?\*/", re.S)
#: what a browser would fetch: src/href/action/poster attributes, CSS url() and @import, JS import from a host
_URL = re.compile(r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["']?|\bimport\s*\(?\s*["'])"""
                  r"""(?:https?:)?//""", re.I)
_MARKDOWN = re.compile(r"\*\*|`|^\s*#{1,6}\s", re.M)


def report_problems(page: str) -> list[str]:
    """Literal markdown in the visible text and external URLs in the page (any language)."""
    out = [f"external URL: {m.group(0)!r}" for m in _URL.finditer(_COMMENTS.sub("", page))]
    for _, text in visible_chunks(page):
        if _MARKDOWN.search(text):
            out.append(f"literal markdown: {text.strip()[:120]!r}")
    return out


_ARTEFACT = re.compile(r"[\w.-]+\.(?:parquet|csv|json|sql|pkl|html|ipynb|yaml)\b")
_IDENTIFIER = re.compile(r"\b\w*_\w*\b")
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}\b")     # masked ids, hashes
_NUMBER = re.compile(r"[-+]?\d[\d,.]*%?")
#: three or more English words in a row (a word: two or more letters, a capital only first; hyphenated names such
#: as Calinski-Harabasz or out-of-time count as one word)
_WORD = r"[A-Za-z][a-z]+(?:-[A-Za-z][a-z]*)*"
_ENGLISH = re.compile(rf"\b{_WORD}(?:[\s,;:'’()/]+{_WORD}\b){{2,}}")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def english_in_zh(page: str, user_texts=()) -> list[str]:
    """English a Chinese report still shows: sentences (3+ English words) and snake_case column headers.
    ``user_texts``: the analyst's own words from the params (a model's intended use, who picked a model group),
    shown as written in either language: English found inside one of them is not a missing translation."""
    out = []
    for tag, text in visible_chunks(page):
        if tag == "th" and _SNAKE.match(text.strip()):
            out.append(f"snake_case header: {text.strip()!r}")
        words = _NUMBER.sub(" ", _HEX.sub(" ", _IDENTIFIER.sub(" ", _ARTEFACT.sub(" ", text))))
        out += [f"English: {m.group(0)!r}" for m in _ENGLISH.finditer(words)
                if not any(m.group(0) in u for u in user_texts)]
    return out


def user_texts(params) -> list[str]:
    """Every string value of a params mapping (nested), for :func:`english_in_zh`."""
    if isinstance(params, str):
        return [params]
    if isinstance(params, dict):
        return [t for v in params.values() for t in user_texts(v)]
    if isinstance(params, (list, tuple)):
        return [t for v in params for t in user_texts(v)]
    return []
