"""Every notebook in git is clean and runnable by the runner (issue 2 "Done means"):
no outputs or execution counts, the clientlens kernelspec, and a ``parameters`` cell of typed
literals with the keys every report declares (docs/developing.md, "Notebooks")."""
from __future__ import annotations

import ast

import nbformat
import pytest

from clientlens import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
COMMON_KEYS = {"data_dir": "str", "as_of": "str", "column_map": "dict", "value_map": "dict",
               "unknown_customers": "str", "allow_raw_ids": "bool", "load_options": "dict", "seed": "int",
               "output_dir": "str", "reports_dir": "str", "language": "str"}
TYPES = {"int", "float", "str", "bool", "list", "dict"}


def test_there_are_notebooks():
    assert any(p.name == "00_data_overview.ipynb" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has outputs"
            assert cell.execution_count is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_the_clientlens_kernelspec(path):
    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == config.KERNEL_NAME
    assert nb.metadata["kernelspec"].get("language") == "python"
    assert nb.metadata.get("language_info", {}).get("name") == "python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_has_typed_literals_and_the_common_keys(path):
    nb = nbformat.read(str(path), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged 'parameters'"
    assert cells[0].cell_type == "code"
    tree = ast.parse(cells[0].source)
    declared = {}
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), f"line {node.lineno}: not 'name: type = literal'"
        name = node.target.id
        ann = ast.unparse(node.annotation).replace(" ", "")
        base = ann.replace("|None", "")
        assert base in TYPES, f"{name}: annotation {ann!r} not one of {sorted(TYPES)}"
        assert node.value is not None, f"{name}: no default"
        ast.literal_eval(node.value)  # raises when not a literal
        line = cells[0].source.splitlines()[node.lineno - 1]
        assert "#" in line, f"{name}: no comment explaining it"
        declared[name] = base
    for key, typ in COMMON_KEYS.items():
        assert declared.get(key) == typ, f"missing common parameter {key}: {typ}"
    # the id key is a secret read by the kernel itself (clientlens.privacy), never a parameter (issue 11)
    assert not {"id_salt", "id_key", "salt"} & set(declared)
    assert ast.literal_eval(next(n.value for n in tree.body if n.target.id == "allow_raw_ids")) is False
    assert ast.literal_eval(next(n.value for n in tree.body if n.target.id == "output_dir")) == ""


# Thin notebooks (issue 17, item 8): at most 120 code lines per notebook, counted as the project's before-stop
# hook counts them (every line of every code cell, the parameters cell and blank lines included), in cells of at
# most 15 lines (the parameters cell excepted).
MAX_CODE_LINES = 120
MAX_CELL_LINES = 15
THINNED = ("00_data_overview", "01_profile", "02_binning", "03_segmentation", "04_clv", "05_response_model",
           "06_model_validation", "07_event_triggers", "08_strategy", "09_post_evaluation")


def _code_lines(nb) -> int:
    return sum(len("".join(c["source"]).splitlines()) for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_lines_within_the_thin_notebook_limit(path):
    n = _code_lines(nbformat.read(str(path), as_version=4))
    assert n <= MAX_CODE_LINES, f"{path.name}: {n} code lines > {MAX_CODE_LINES}; move logic into lib/clientlens (issue 17)"


def test_every_notebook_is_thinned():
    assert sorted(THINNED) == sorted(p.stem for p in NOTEBOOKS)


@pytest.mark.parametrize("stem", THINNED)
def test_thinned_notebook_cells_are_short(stem):
    nb = nbformat.read(str(config.NOTEBOOKS_DIR / f"{stem}.ipynb"), as_version=4)
    long = [(c.get("id"), len(c.source.splitlines())) for c in nb.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
            and len(c.source.splitlines()) > MAX_CELL_LINES]
    assert not long, f"{stem}: cells over {MAX_CELL_LINES} lines: {long}"


def test_code_line_count_is_the_hooks_count():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1\n\nb = 2"), nbformat.v4.new_markdown_cell("x\ny"),
                                         nbformat.v4.new_code_cell("")])
    assert _code_lines(nb) == 3
