"""Maintaining the Chinese narrative of a notebook (``messages/zh/notebooks/<stem>.yaml``).

``python -m clientlens.i18n_tools 05_response_model`` prints the notebook's translation file with the current
``source_sha`` of every markdown cell: existing Chinese is kept, a cell whose English changed is marked
``# STALE`` (translate it again, then delete the mark), a new cell gets its English under ``TODO``. Redirect the
output over the file, translate, and run ``tests/test_i18n_reports.py``.
"""
from __future__ import annotations

import sys

from . import config
from .i18n import MESSAGES_DIR, _read_yaml, source_sha

__all__ = ["notebook_skeleton"]


def notebook_skeleton(stem: str, language: str = "zh") -> str:
    """The translation file of notebook ``stem`` with current hashes (existing translations kept)."""
    import nbformat

    nb = nbformat.read(str(config.resolve("notebooks") / f"{stem}.ipynb"), as_version=4)
    path = MESSAGES_DIR / language / "notebooks" / f"{stem}.yaml"
    old = _read_yaml(path) if path.exists() else {}
    lines = [f"# {stem}: {language} text of the notebook's markdown cells, by cell id (clientlens.i18n.translate_notebook).",
             "# source_sha: clientlens.i18n.source_sha of the English cell; a changed English cell is stale until "
             "re-translated."]
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not cell.source.strip():
            continue
        sha, prev = source_sha(cell.source), old.get(cell.get("id")) or {}
        text = prev.get(language) or "TODO\n" + cell.source
        stale = bool(prev) and prev.get("source_sha") != sha
        lines += [f"'{cell['id']}':" + ("  # STALE: the English cell changed" if stale else ""),
                  f"  source_sha: '{sha}'", f"  {language}: |-"]
        lines += ["    " + line if line else "" for line in text.rstrip().split("\n")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(notebook_skeleton(*sys.argv[1:]))
