"""The bad-input matrix of issue 11: data, params, security and runner cases.

Each case runs ``clientlens run`` (or ``run-all``) in-process on a tiny bank and states its expected
exit code, a fragment of the one-line message and whether everything under ``reports/`` must stay
byte-identical (``unchanged``). None of these cases starts a kernel: every problem is caught before.
A reports folder with an earlier good report of another date is in place for every case, so
"nothing under reports/ changed" is a real check, not an empty folder staying empty.
Reference: issue 11 "Done means" (at least 45 cases; injection strings through every parameter
that reaches SQL).
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from clientlens import config, runner
from test_data import CUSTOMERS_CSV, TRANSACTIONS_CSV, run_cli, tree_hashes, write_notebook, write_tiny_bank

AS_OF = "2026-10-31"
CAMPAIGNS_CSV = """campaign_id,customer_id,contact_date,group,response
FD2026,C001,2026-03-01,model,1
FD2026,C002,2026-03-01,control,0
O'Brien,C003,2026-04-01,model,1
"""
MATRIX_PARAMS = '''data_dir: str = "data/demo"        # folder with the contract tables
as_of: str = "2026-10-31"          # analysis date (YYYY-MM-DD)
column_map: dict = {}              # {table: {bank column: contract column}}
value_map: dict = {}               # {table: {column: {bank value: contract value}}}
file_map: dict = {}                # {table: file or folder name}
unknown_customers: str = "fail"    # fail | drop
load_options: dict = {}            # loader checks
allow_raw_ids: bool = False        # raw ids (PIPL)
seed: int = 42                     # random_state
output_dir: str = ""               # set by the runner
reports_dir: str = "reports"       # root of dated reports
k_min: int = 2                     # smallest k
k_max: int = 6                     # largest k
validation_share: float = 0.3      # validation share
auc_warn: float = 0.70             # AUC PASS at or above
auc_fail: float = 0.60             # AUC FAIL below
score_psi_warn: float = 0.10       # PSI PASS below
score_psi_fail: float = 0.25       # PSI FAIL at or above
iv_min: float = 0.02               # IV useless below
iv_max: float = 0.5                # IV suspicious above
evaluation_campaign: str = "FD2026"  # campaign of the post-evaluation
campaigns: list = ["FD2026"]       # development campaigns'''
PWNED = Path("/tmp/clientlens_pwned_by_test.csv")
INJECTIONS = {
    "quote": "FD2026'",
    "or_true": "x' OR '1'='1",
    "copy_to": f"x'; COPY (SELECT 1) TO '{PWNED}'; --",
    "union": "x' UNION ALL SELECT 'model', 1 --",
}


def _gb18030_customers() -> bytes:
    text = CUSTOMERS_CSV.replace("open_date\n", "open_date,city\n", 1)
    lines = text.strip().splitlines()
    lines = [lines[0]] + [ln + ",上海" for ln in lines[1:]]
    return ("\n".join(lines) + "\n").encode("gb18030")


def _parquet_bytes(tmp_path: Path) -> bytes:
    df = pd.read_csv(tmp_path / "bank" / "customers.csv", dtype=str)
    p = tmp_path / "c.parquet"
    df.to_parquet(p)
    return p.read_bytes()


@dataclasses.dataclass
class Case:
    area: str                                   # data | params | security | runner
    args: list = dataclasses.field(default_factory=list)   # extra CLI arguments
    files: dict = dataclasses.field(default_factory=dict)  # bank file -> text / bytes / None (delete) / callable
    params_yaml: str | None = None              # a params file
    env: dict = dataclasses.field(default_factory=dict)    # environment (None: unset)
    setup: Callable | None = None               # f(ctx) before the run
    command: str = "run"
    rc: int = 2
    fragment: str = ""
    unchanged: bool = True


def _existing_report(ctx):
    day = ctx["reports"] / AS_OF
    day.mkdir(parents=True)
    (day / "01_matrix.html").write_text("earlier good report")
    (day / "01_matrix.manifest.json").write_text(json.dumps({"stem": "01_matrix", "status": "ok", "params": {}}))


def _held_lock(ctx):
    day = ctx["reports"] / AS_OF
    day.mkdir(parents=True)
    ctx["lock"] = runner.ReportLock(day / ".01_matrix.lock", day / "01_matrix.html").acquire()


def _ok_with_other_params(ctx):
    _existing_report(ctx)
    m = ctx["reports"] / AS_OF / "01_matrix.manifest.json"
    m.write_text(json.dumps({"stem": "01_matrix", "status": "ok", "as_of": AS_OF,
                             "params": {"k_max": 9, "data_dir": "elsewhere"}}))


def _key_file(content: str):
    def setup(ctx):
        path = ctx["tmp"] / "keys" / "id_key"
        path.parent.mkdir()
        path.write_text(content)
        ctx["monkeypatch"].setenv("CLIENTLENS_ID_KEY_FILE", str(path))
        ctx["monkeypatch"].delenv("CLIENTLENS_ID_KEY", raising=False)
    return setup


def _key_file_in_project(ctx):
    ctx["monkeypatch"].delenv("CLIENTLENS_ID_KEY", raising=False)
    ctx["monkeypatch"].setenv("CLIENTLENS_ID_KEY_FILE", str(config.PROJECT_ROOT / "reports" / "id_key"))


TX = TRANSACTIONS_CSV
CASES: dict[str, Case] = {
    # ------------------------------------------------------------------ data
    "nan_text_amount": Case("data", files={"transactions.csv": TX.replace("35.2", "NaN")},
                            fragment="transactions.csv: column 'amount' has 1 non-finite value(s) (NaN or infinity) "
                                     "(e.g. 'NaN')"),
    "inf_amount": Case("data", files={"transactions.csv": TX.replace("35.2", "inf")},
                       fragment="column 'amount' has 1 non-finite value(s)"),
    "minus_infinity_amount": Case("data", files={"transactions.csv": TX.replace("35.2", "-Infinity")},
                                  fragment="'-Infinity'"),
    "negative_amount": Case("data", files={"transactions.csv": TX.replace("35.2", "-35.2")},
                            fragment="column 'amount' has 1 negative amount(s), but amounts are absolute"),
    "negative_amount_hint": Case("data", files={"transactions.csv": TX.replace("35.2", "-35.2")},
                                 fragment="negative_amounts: abs | drop"),
    "transaction_in_1800": Case("data", files={"transactions.csv": TX.replace("2026-01-05", "1800-01-05")},
                                fragment="column 'txn_date' has 1 date(s) before 1900-01-01 (date_floor) "
                                         "(e.g. '1800-01-05')"),
    "birth_date_1850": Case("data", files={"customers.csv": CUSTOMERS_CSV.replace("1980-05-01", "1850-05-01")},
                            fragment="customers.csv: column 'birth_date' has 1 date(s) before 1900-01-01"),
    "raised_date_floor": Case("data", args=["-p", "load_options={date_floor: 1990-01-01}"],
                              fragment="column 'birth_date' has 2 date(s) before 1990-01-01"),
    "future_transaction_fail": Case("data", args=["--as-of", "2026-06-30", "-p",
                                                  "load_options={future_transactions: fail}"],
                                    fragment="column 'txn_date' has 1 transaction(s) dated after as_of 2026-06-30"),
    "not_utf8_csv": Case("data", files={"customers.csv": _gb18030_customers()},
                         fragment="customers.csv: not UTF-8 text; if the extract is GBK/GB18030, set the encoding "
                                  "param (load_options: {encoding: {customers: gb18030}})"),
    "wrong_encoding_param": Case("data", files={"customers.csv": "customer_id\n\udcff".encode("utf-8",
                                                                                                 "surrogateescape")},
                                 args=["-p", "load_options={encoding: {customers: utf-16}}"],
                                 fragment="not valid utf-16 text"),
    "corrupted_parquet": Case("data", files={"customers.csv": None, "customers.parquet": b"PAR1 garbage, not parquet"},
                              fragment="customers.parquet: not a readable Parquet file (damaged or truncated"),
    "truncated_parquet": Case("data", files={"customers.parquet": lambda tmp: _parquet_bytes(tmp)[:40],
                                             "customers.csv": None},
                              fragment="not a readable Parquet file"),
    "empty_required_table": Case("data", files={"customers.csv": "customer_id,birth_date,open_date\n"},
                                 fragment="table 'customers' is empty"),
    "unknown_load_option": Case("data", args=["-p", "load_options={negative_amount: abs}"],
                                fragment="unknown load_options key(s) ['negative_amount']; valid keys: "
                                         "negative_amounts, date_floor"),
    "bad_negative_amounts_value": Case("data", args=["-p", "load_options={negative_amounts: ignore}"],
                                       fragment="negative_amounts must be one of fail, abs, drop; got 'ignore'"),
    "bad_date_floor": Case("data", args=["-p", "load_options={date_floor: long ago}"],
                           fragment="date_floor must be a date YYYY-MM-DD; got 'long ago'"),
    "bad_amount_ceiling": Case("data", args=["-p", "load_options={amount_ceiling: -5}"],
                               fragment="amount_ceiling must be a number > 0; got -5"),
    "unknown_encoding": Case("data", args=["-p", "load_options={encoding: {customers: klingon}}"],
                             fragment="encoding of 'customers': unknown encoding 'klingon'"),
    "encoding_unknown_table": Case("data", args=["-p", "load_options={encoding: {clients: gb18030}}"],
                                   fragment="encoding: unknown table(s) ['clients']"),
    "missing_required_column": Case("data", files={"transactions.csv": TX.replace("amount", "amt")},
                                    fragment="transactions.csv: required column 'amount' is missing"),
    "duplicate_customer": Case("data", files={"customers.csv": CUSTOMERS_CSV + "C002,1960-01-01,M,5000,2018-01-01\n"},
                               fragment="column 'customer_id' has 1 duplicate customer id(s)"),
    "data_folder_missing": Case("data", args=["-p", "data_dir=/nonexistent/bank"],
                                fragment="/nonexistent/bank: data folder not found"),
    # ------------------------------------------------------------------ params
    "common_key_typo": Case("params", params_yaml="common:\n  data_dri: data/bank\n",
                            fragment="unknown key 'data_dri' in common (no notebook declares it); valid common keys: "),
    "common_key_typo_lists_data_dir": Case("params", params_yaml="common:\n  data_dri: data/bank\n",
                                           fragment="data_dir"),
    "k_max_below_2": Case("params", args=["-p", "k_max=1", "-p", "k_min=2"], fragment="k_max must be >= 2; got 1"),
    "k_min_above_k_max": Case("params", args=["-p", "k_min=5", "-p", "k_max=3"],
                              fragment="k_min must be <= k_max (the range of k tried); got k_min=5, k_max=3"),
    "share_zero": Case("params", args=["-p", "validation_share=0.0"], fragment="validation_share must be > 0; got 0.0"),
    "share_above_one": Case("params", args=["-p", "validation_share=1.5"],
                            fragment="validation_share must be <= 1; got 1.5"),
    "warn_below_fail_higher_is_better": Case("params", args=["-p", "auc_warn=0.5"],
                                             fragment="auc_warn must be >= auc_fail (higher is better"),
    "warn_above_fail_lower_is_better": Case("params", args=["-p", "score_psi_warn=0.3"],
                                            fragment="score_psi_warn must be <= score_psi_fail"),
    "negative_threshold": Case("params", args=["-p", "iv_min=-0.1"], fragment="iv_min must be >= 0; got -0.1"),
    "iv_min_above_iv_max": Case("params", args=["-p", "iv_min=0.6"], fragment="iv_min must be < iv_max"),
    "as_of_before_data": Case("params", args=["--as-of", "2020-01-31"],
                              fragment="all 4 transaction(s) are dated after as_of 2020-01-31 (e.g. '2026-01-05'): "
                                       "as_of is before the data"),
    "as_of_not_a_date": Case("params", args=["--as-of", "2026-02-30"],
                             fragment="--as-of must be a date YYYY-MM-DD; got '2026-02-30'"),
    "wrong_type": Case("params", args=["-p", "k_max=many"], fragment="parameter 'k_max' must be int; got str 'many'"),
    "float_for_int": Case("params", args=["-p", "k_max=2.5"], fragment="parameter 'k_max' must be int; got float 2.5"),
    "unknown_override": Case("params", args=["-p", "kmax=3"], fragment="unknown parameter 'kmax' (override)"),
    "bad_yaml": Case("params", params_yaml="common: [unclosed\n", fragment="not valid YAML"),
    "params_not_sections": Case("params", params_yaml="- a\n- b\n", fragment="expected sections 'common'"),
    "section_unknown_key": Case("params", params_yaml="01_matrix:\n  kmin: 2\n",
                                fragment="unknown parameter 'kmin' (params file section '01_matrix')"),
    "timeout_zero": Case("params", args=["--timeout", "0"], fragment="--timeout must be > 0 seconds"),
    "load_options_not_mapping": Case("params", args=["-p", "load_options=[1, 2]"],
                                     fragment="parameter 'load_options' must be dict"),
    # ------------------------------------------------------------------ security
    **{f"injection_evaluation_campaign_{k}": Case(
        "security", args=["-p", f"evaluation_campaign={v}"],
        fragment="evaluation_campaign: campaign") for k, v in INJECTIONS.items()},
    **{f"injection_campaigns_{k}": Case(
        "security", params_yaml="01_matrix:\n  campaigns: [%s]\n" % json.dumps(v),
        fragment="campaigns: campaign") for k, v in INJECTIONS.items()},
    "injection_file_map": Case("security", args=["-p", "file_map={transactions: \"x'; COPY (SELECT 1) TO "
                                                       f"'{PWNED}'; --\"}}"],
                               fragment="required table 'transactions' not found"),
    "injection_data_dir": Case("security", args=["-p", f"data_dir=/tmp/x'; COPY (SELECT 1) TO '{PWNED}'; --"],
                               fragment="data folder not found"),
    "injection_column_map_target": Case("security", args=["-p", "column_map={transactions: {amount: 'amount\"; "
                                                                "DROP TABLE customers; --'}}"],
                                        fragment="column_map maps to unknown contract column(s)"),
    "id_key_too_short": Case("security", env={"CLIENTLENS_ID_KEY": "short"},
                             fragment="CLIENTLENS_ID_KEY is too short: the id key must have at least 16 characters"),
    "id_key_empty": Case("security", env={"CLIENTLENS_ID_KEY": ""}, fragment="CLIENTLENS_ID_KEY is empty"),
    "id_key_file_too_short": Case("security", setup=_key_file("abc\n"), fragment="the id key file is too short"),
    "id_key_file_inside_project": Case("security", setup=_key_file_in_project,
                                       fragment="the id key file must lie outside the project folder"),
    "id_key_as_parameter": Case("security", args=["-p", "id_salt=clientlens"],
                                fragment="unknown parameter 'id_salt' (override)"),
    # ------------------------------------------------------------------ runner
    "report_exists": Case("runner", setup=_existing_report, fragment="01_matrix.html already exists; use --force"),
    "report_locked_by_another_run": Case("runner", setup=_held_lock, args=["--force"],
                                         fragment=f"01_matrix.html is being written by another run (pid {os.getpid()}"),
    "resume_and_force": Case("runner", command="run-all", args=["--resume", "--force"],
                             fragment="--resume and --force exclude each other"),
    "resume_with_other_params": Case("runner", command="run-all", args=["--resume"], setup=_ok_with_other_params,
                                     fragment="01_matrix.html was made with other parameters; use --force"),
    "run_all_unknown_override": Case("runner", command="run-all", args=["-p", "nope=1"],
                                     fragment="unknown parameter 'nope' (override)"),
    "unknown_notebook": Case("runner", fragment="notebook '99_nothing' not found", args=["--notebook-name",
                                                                                          "99_nothing"]),
}


def test_the_matrix_has_at_least_45_cases_in_every_area():
    areas = {}
    for c in CASES.values():
        areas[c.area] = areas.get(c.area, 0) + 1
    assert len(CASES) >= 45 and set(areas) == {"data", "params", "security", "runner"}, areas


@pytest.fixture()
def ctx(tmp_path, monkeypatch):
    bank = write_tiny_bank(tmp_path / "bank")
    (bank / "campaigns.csv").write_text(CAMPAIGNS_CSV, encoding="utf-8")
    nbdir = tmp_path / "nb"
    nb = write_notebook(nbdir / "01_matrix.ipynb", params=MATRIX_PARAMS, body="print('no kernel should run')")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", nbdir)
    reports = tmp_path / "reports"
    earlier = reports / "2026-09-30"
    earlier.mkdir(parents=True)
    (earlier / "01_matrix.html").write_text("<html>an earlier good report</html>")
    (earlier / "01_matrix.manifest.json").write_text(json.dumps({"stem": "01_matrix", "status": "ok"}))
    (reports / "index.html").write_text("index")
    c = {"tmp": tmp_path, "bank": bank, "nb": nb, "reports": reports, "monkeypatch": monkeypatch}
    yield c
    if c.get("lock"):
        c["lock"].release()


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(ctx, capsys, monkeypatch, name):
    case = CASES[name]
    for fname, content in case.files.items():
        target = ctx["bank"] / fname
        if callable(content):
            content = content(ctx["tmp"])
        if content is None:
            target.unlink()
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)
    if case.setup:
        case.setup(ctx)
    PWNED.unlink(missing_ok=True)
    before = tree_hashes(ctx["reports"])
    argv = [case.command]
    args = list(case.args)
    if case.command == "run":
        if "--notebook-name" in args:
            i = args.index("--notebook-name")
            argv.append(args[i + 1])
            del args[i:i + 2]
        else:
            argv.append(ctx["nb"])
    argv += ["--reports-dir", ctx["reports"], "--no-progress"]
    if not any(str(a).startswith("data_dir=") for a in args):
        argv += ["-p", f"data_dir={ctx['bank']}"]
    if case.params_yaml is not None:
        pf = ctx["tmp"] / "params.yaml"
        pf.write_text(case.params_yaml, encoding="utf-8")
        argv += ["--params", pf]
    rc, out, err = run_cli(capsys, *argv, *args)
    assert rc == case.rc, (rc, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clientlens: error: "), err
    assert case.fragment in lines[0], (case.fragment, lines[0])
    assert "Traceback" not in err
    if case.unchanged:
        assert tree_hashes(ctx["reports"]) == before
    assert not PWNED.exists()  # no injected COPY ever ran


# --------------------------------------------------------------------------- injection: right answers, no side effect

def test_an_id_with_a_quote_is_a_legitimate_campaign(ctx):
    """``O'Brien`` passes the pre-kernel check and the bound query of 06 returns exactly its rows."""
    import nbformat

    from clientlens.data import load_bank

    plan = runner.plan_run(ctx["nb"], overrides={"data_dir": str(ctx["bank"]), "evaluation_campaign": "O'Brien",
                                                 "campaigns": ["O'Brien", "FD2026"]}, reports_dir=ctx["reports"])
    assert plan.params["evaluation_campaign"] == "O'Brien"
    # 06's post-evaluation (clientlens.validation.post_evaluation) binds the campaign id
    import inspect
    import re

    from clientlens import validation

    src = inspect.getsource(validation.post_evaluation)
    assert "campaign_id = ?" in src and "{campaign}'" not in src
    query = re.search(r"execute\('([^']*)'", src).group(1)
    bank = load_bank(ctx["bank"])
    for cid, expected in (("O'Brien", [("model", 1)]), ("x' OR '1'='1", []),
                          ("x' UNION ALL SELECT 'model', 1 --", [])):
        rows = bank.con.execute(query, [cid]).fetchall()
        assert rows == expected, (cid, rows)


def test_real_06_notebook_refuses_injected_campaign_before_its_kernel(demo_small, tmp_path, capsys):
    reports = tmp_path / "reports"
    for value in INJECTIONS.values():
        PWNED.unlink(missing_ok=True)
        rc, out, err = run_cli(capsys, "run", "06_model_validation", "-p", f"data_dir={demo_small}",
                               "-p", f"evaluation_campaign={value}", "--reports-dir", reports, "--no-progress")
        assert rc == 2 and "evaluation_campaign: campaign" in err and "not found in the campaigns table" in err, err
        assert "; campaigns: " in err and "FD2026" in err.split("; campaigns: ")[1]
        assert not reports.exists() and not PWNED.exists()


def test_injection_strings_in_value_map_and_clv_categories_change_nothing(ctx):
    """Values that reach SQL through the loader's value_map and the CLV category filter are quoted or bound:
    an injection string is just a value that matches nothing (no pooled rows, no file written)."""
    from clientlens import clv
    from clientlens.data import load_bank

    PWNED.unlink(missing_ok=True)
    plain = load_bank(ctx["bank"])
    n = plain.con.execute("SELECT count(*), sum(amount) FROM transactions").fetchall()
    for value in INJECTIONS.values():
        bank = load_bank(ctx["bank"], value_map={"transactions": {"direction": {value: "in"}}})
        assert bank.con.execute("SELECT count(*), sum(amount) FROM transactions").fetchall() == n
        assert bank.df("transactions")["direction"].tolist() == plain.df("transactions")["direction"].tolist()
        with pytest.raises(Exception, match="no qualifying transaction"):
            clv.rfm_summary(bank, as_of="2026-10-31", categories=[value])
    assert not PWNED.exists()


# --------------------------------------------------------------------------- the loader's value checks, accepted forms

def test_negative_amounts_abs_and_drop_are_counted(ctx):
    from clientlens.data import load_bank

    (ctx["bank"] / "transactions.csv").write_text(TX.replace("35.2", "-35.2"), encoding="utf-8")
    a = load_bank(ctx["bank"], negative_amounts="abs")
    assert a.df("transactions")["amount"].tolist() == [100.0, 1250.5, 9000.0, 35.2]
    assert any("1 negative amount(s) taken as absolute values" in n for n in a.notes)
    d = load_bank(ctx["bank"], negative_amounts="drop")
    assert len(d.df("transactions")) == 3
    assert any("1 row(s) with a negative amount dropped" in n for n in d.notes)


def test_transactions_after_as_of_are_dropped_and_counted_by_default(ctx):
    from clientlens.data import load_bank

    b = load_bank(ctx["bank"], as_of="2026-06-30")
    assert b.df("transactions")["txn_date"].max() <= pd.Timestamp("2026-06-30")
    assert any("1 transaction(s) dated after as_of 2026-06-30 dropped" in n for n in b.notes)


def test_amount_above_the_ceiling_is_flagged_not_fatal(ctx):
    from clientlens.data import load_bank

    (ctx["bank"] / "transactions.csv").write_text(TX.replace("9000", "1e15"), encoding="utf-8")
    b = load_bank(ctx["bank"])
    assert b.flags == [{"table": "transactions", "column": "amount", "rows": 1, "example": "1e15",
                        "problem": "amount(s) above the plausibility ceiling 1,000,000,000 (amount_ceiling)"}]


def test_gb18030_extract_loads_with_the_encoding_param(ctx):
    from clientlens.data import load_bank

    (ctx["bank"] / "customers.csv").write_bytes(_gb18030_customers())
    b = load_bank(ctx["bank"], encoding={"customers": "gb18030"})
    assert b.df("customers")["city"].tolist() == ["上海"] * 3


def test_an_empty_optional_table_is_treated_as_missing(ctx):
    from clientlens.data import load_bank

    (ctx["bank"] / "campaigns.csv").write_text(CAMPAIGNS_CSV.splitlines()[0] + "\n", encoding="utf-8")
    b = load_bank(ctx["bank"])
    assert not b.has("campaigns")
    assert any("table 'campaigns' is empty" in n and "skipped" in n for n in b.notes)


# --------------------------------------------------------------------------- escaping

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "R&D"]


def test_hostile_values_are_escaped_in_report_tables_callouts_and_captions():
    """Three tables (campaign ids, city, category) with ``<script>``, ``<img onerror>`` and ``&``."""
    from clientlens import report

    tables = {
        "campaigns": pd.DataFrame({"campaign_id": HOSTILE, "contacts": [1, 2, 3]}),
        "cities": pd.DataFrame({"city": HOSTILE, "customers": [10, 20, 30]}).set_index("city"),
        "categories": pd.DataFrame({"category": HOSTILE, "share": [0.1, 0.2, 0.7]}).pivot_table(
            columns="category", values="share"),   # data values as column headers
    }
    for name, df in tables.items():
        page = report.style_table(df, caption=f"{name}: {HOSTILE[1]}").to_html()
        assert "<script>" not in page and "<img" not in page, name
        assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page, name
        assert "R&amp;D" in page, name
    box = report.callout_html(f"Campaign {HOSTILE[1]} not found", kind="warning", title=HOSTILE[0])
    assert "<img" not in box and "<script>" not in box
    v = report.verdict_table_html([{"check": HOSTILE[1], "value": HOSTILE[2], "verdict": "FAIL"}],
                                  caption=HOSTILE[0])
    assert "<img" not in v and "<script>" not in v and "R&amp;D" in v
    assert report.esc(HOSTILE[1]) == "&lt;img src=x onerror=alert(1)&gt;"


# --------------------------------------------------------------------------- static audit of the SQL

def test_no_value_is_formatted_into_sql_in_lib_or_notebooks():
    """Audit of every f-string SQL site (issue 11, item 1): no ``'{...}'`` (a value pasted between quotes)
    in a line of SQL. Values are bound (``?``), names go through ``quote_ident``, dates through
    ``date_literal`` (a typed date, never text). The two allowed sites are validated constants."""
    import re

    import nbformat

    allowed = {"return f\"DATE '{value.isoformat()}'\"",                     # data.date_literal (typed date)
               "return f\"CAST(date_trunc('{period}', {col}) AS DATE)\""}   # clv: period checked against PERIODS
    sql_word = re.compile(r"\b(SELECT|WHERE|FROM|DATE|JOIN|IN \(|current_setting)\b")
    pasted = re.compile(r"'\{[^}]+\}'")
    sources = [(p.name, p.read_text(encoding="utf-8")) for p in sorted((config.PROJECT_ROOT / "lib").rglob("*.py"))]
    for nb_path in sorted((config.PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(str(nb_path), as_version=4)
        sources += [(nb_path.name, c.source) for c in nb.cells if c.cell_type == "code"]
    offenders = []
    for name, text in sources:
        for line in text.splitlines():
            if pasted.search(line) and sql_word.search(line) and line.strip() not in allowed:
                offenders.append(f"{name}: {line.strip()}")
    assert not offenders, offenders
