"""clientlens.params: params files, the notebook's parameters cell, merging and validation.

Reference: issue 2 item 5 ("unknown keys and wrong types are errors that list the valid keys")
and docs/developing.md (parameters cell of typed literals with comments).
"""
from __future__ import annotations

import datetime as dt

import pytest

from clientlens import ParamsError
from clientlens.params import (check_type, load_params_file, notebook_parameters, params_for, parse_date,
                               parse_override, require, to_json)
from test_data import write_notebook

PARAMS = '''data_dir: str = "data/demo"   # folder with the tables
as_of: str = "2026-10-31"     # analysis date
k_max: int = 8                # largest k
weight: float = 0.5           # a float
flag: bool = False            # a flag
cols: list = ["a", "b"]       # a list
maps: dict = {}               # a dict
limit: int | None = None      # optional int
untyped = 3'''


@pytest.fixture()
def nb(tmp_path):
    return write_notebook(tmp_path / "03_x.ipynb", params=PARAMS)


def test_notebook_parameters_reads_types_defaults_and_comments(nb):
    p = notebook_parameters(nb)
    assert list(p) == ["data_dir", "as_of", "k_max", "weight", "flag", "cols", "maps", "limit", "untyped"]
    assert p["k_max"] == {"type": "int", "default": 8, "help": "largest k"}
    assert p["weight"]["type"] == "float" and p["cols"]["default"] == ["a", "b"]
    assert p["limit"]["type"] == "int?" and p["limit"]["default"] is None
    assert p["untyped"]["type"] is None and p["untyped"]["help"] == ""


def test_notebook_without_parameters_cell_or_with_non_literal_is_refused(tmp_path):
    import nbformat

    bare = nbformat.v4.new_notebook()
    bare.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(bare, str(tmp_path / "bare.ipynb"))
    with pytest.raises(ParamsError, match="no cell tagged 'parameters'"):
        notebook_parameters(tmp_path / "bare.ipynb")
    bad = write_notebook(tmp_path / "bad.ipynb", params="x: int = len([1])  # not a literal")
    with pytest.raises(ParamsError, match="parameter 'x' must be a literal"):
        notebook_parameters(bad)


def test_params_for_priority_defaults_common_section_override(nb):
    file_params = {"common": {"as_of": "2025-01-31", "k_max": 4, "seed": 1},   # seed: not declared, ignored
                   "03_x": {"k_max": 5, "weight": 1}}                          # int accepted for float
    assert params_for(nb, file_params) == {"as_of": "2025-01-31", "k_max": 5, "weight": 1}
    assert params_for(nb, file_params, {"k_max": 6})["k_max"] == 6
    assert params_for(nb) == {}


def test_unknown_key_lists_every_valid_key(nb):
    valid = "as_of, cols, data_dir, flag, k_max, limit, maps, untyped, weight"
    with pytest.raises(ParamsError) as info:
        params_for(nb, {"03_x": {"kmax": 3}})
    assert str(info.value) == f"03_x: unknown parameter 'kmax' (params file section '03_x'); valid keys: {valid}"
    with pytest.raises(ParamsError, match=f"unknown parameter 'zzz' \\(override\\); valid keys: {valid}"):
        params_for(nb, overrides={"zzz": 1})


@pytest.mark.parametrize("key,value,message", [
    ("k_max", "8", "parameter 'k_max' must be int; got str '8'"),
    ("k_max", 2.5, "parameter 'k_max' must be int; got float 2.5"),
    ("k_max", True, "parameter 'k_max' must be int; got bool True"),
    ("flag", 1, "parameter 'flag' must be bool; got int 1"),
    ("cols", "a", "parameter 'cols' must be list; got str 'a'"),
    ("maps", [], "parameter 'maps' must be dict; got list []"),
    ("weight", None, "parameter 'weight' must be float; got None"),
])
def test_wrong_types_are_refused(nb, key, value, message):
    with pytest.raises(ParamsError, match=message.replace("(", r"\(").replace("[", r"\[")):
        params_for(nb, overrides={key: value})


def test_optional_and_untyped_parameters_accept_none_and_anything(nb):
    assert params_for(nb, overrides={"limit": None, "untyped": "x"}) == {"limit": None, "untyped": "x"}
    check_type("x", None, "float?")
    check_type("x", 3, "float")


def test_load_params_file_normalises_dates_and_rejects_bad_files(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("common:\n  as_of: 2026-10-31\n  data_dir: data/demo\n03_x:\n  dates: [2026-01-31]\n")
    assert load_params_file(f) == {"common": {"as_of": "2026-10-31", "data_dir": "data/demo"},
                                   "03_x": {"dates": ["2026-01-31"]}}
    f.write_text("common: 3\n")
    with pytest.raises(ParamsError, match="expected sections 'common' and one per notebook"):
        load_params_file(f)
    f.write_text("common: {a: [1\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params_file(f)
    with pytest.raises(ParamsError, match="params file not found"):
        load_params_file(tmp_path / "none.yaml")
    assert load_params_file(None) == {}


def test_parse_override_reads_yaml_values():
    assert parse_override("k=3") == ("k", 3)
    assert parse_override("x=[1, 2]") == ("x", [1, 2])
    assert parse_override("s=abc") == ("s", "abc")
    assert parse_override("flag=true") == ("flag", True)
    assert parse_override("as_of=2026-10-31") == ("as_of", "2026-10-31")
    assert parse_override("m={a: 1}") == ("m", {"a": 1})
    assert parse_override("e=") == ("e", "")
    with pytest.raises(ParamsError, match="must look like key=value"):
        parse_override("novalue")


def test_require_messages_match_the_style_guide():
    assert require("k_max", 3, min=2) == 3
    with pytest.raises(ParamsError, match="^k_max must be >= 2; got 1$"):
        require("k_max", 1, min=2)
    with pytest.raises(ParamsError, match="^share must be <= 1; got 1.5$"):
        require("share", 1.5, max=1)
    with pytest.raises(ParamsError, match="^rate must be > 0; got 0$"):
        require("rate", 0, min=0, min_exclusive=True)
    with pytest.raises(ParamsError, match=r"^mode must be one of \['fail', 'drop'\]; got 'x'$"):
        require("mode", "x", choices=["fail", "drop"])


def test_parse_date_and_to_json():
    assert parse_date("as_of", "2026-10-31") == dt.date(2026, 10, 31)
    with pytest.raises(ParamsError, match="as_of must be a date YYYY-MM-DD; got '2026-13-01'"):
        parse_date("as_of", "2026-13-01")
    assert to_json({"b": 1, "a": "客户"}) == '{"a": "客户", "b": 1}'


def test_default_params_fit_the_notebooks():
    """params/default.yaml has a section for every notebook and only uses keys the notebooks declare."""
    from clientlens import config
    from clientlens.runner import list_notebooks

    merged = load_params_file(config.DEFAULT_PARAMS_FILE)
    for nb_path in list_notebooks():
        assert nb_path.stem in merged, f"params/default.yaml has no section for {nb_path.stem}"
        params_for(nb_path, merged)  # raises on unknown keys and wrong types


def test_require_int_refuses_bools_floats_and_small_values_with_one_line():
    import numpy as np

    from clientlens.params import require_int

    assert require_int("k", 3, 2) == 3 and require_int("k", np.int64(2), 2) == 2
    for bad in (1, True, 2.5, "3", None):
        with pytest.raises(ParamsError, match=r"^k must be an integer >= 2; got "):
            require_int("k", bad, 2)


# --------------------------------------------------------------------------- rules declared once (issue 11, item 7)

def test_declared_rules_name_real_parameters_and_the_shipped_params_pass_them():
    """Every rule of clientlens.params.RULES / RELATIONS names a parameter some notebook declares, and the
    notebooks' defaults merged with params/default.yaml pass every rule and the common-key check."""
    from clientlens import config
    from clientlens.params import RELATIONS, RULES, check_common_keys, check_rules, load_params_file, params_for
    from clientlens.runner import list_notebooks

    nbs = list_notebooks()
    declared = {nb: notebook_parameters(nb) for nb in nbs}
    names = set().union(*[set(d) for d in declared.values()])
    assert set(RULES) <= names, sorted(set(RULES) - names)
    assert {r[0] for r in RELATIONS} | {r[2] for r in RELATIONS} <= names
    file_params = load_params_file(config.DEFAULT_PARAMS_FILE)
    check_common_keys(file_params, declared.values())
    for nb, d in declared.items():
        effective = {k: v["default"] for k, v in d.items()}
        effective.update(params_for(nb, file_params))
        check_rules(effective, where=f"{nb.stem}: ")


def test_rules_messages_in_the_style_of_unknown_keys():
    from clientlens.params import check_common_keys, check_rules

    with pytest.raises(ParamsError, match=r"^03: k_max must be >= 2; got 1$"):
        check_rules({"k_max": 1}, where="03: ")
    with pytest.raises(ParamsError, match=r"auc_warn must be >= auc_fail .*; got auc_warn=0.5, auc_fail=0.6$"):
        check_rules({"auc_warn": 0.5, "auc_fail": 0.6})
    check_rules({"auc_warn": 0.6, "auc_fail": 0.6, "k_max": "x"})   # equal is allowed; types are checked elsewhere
    with pytest.raises(ParamsError, match=r"p.yaml: unknown key 'data_dri' in common .*; valid common keys: a, data_dir$"):
        check_common_keys({"common": {"data_dri": 1}}, [{"data_dir": 1, "a": 1, "b": 1}, {"data_dir": 1, "a": 1}],
                          where="p.yaml")
