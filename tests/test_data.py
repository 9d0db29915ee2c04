"""The loader (clientlens.data.load_bank): every bad-input case of issue 2, item 4.

Each case is checked twice: directly (DataError naming file, column and problem) and through
``clientlens run`` (exit code 2 and a one-line ``clientlens: error: ...`` before any kernel starts).
Inputs are never modified (hash before/after). Reference: issue 2 "Data contract" and
docs/data-contract.md.
"""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from clientlens import DataError, ParamsError, cli
from clientlens.data import load_bank

# --------------------------------------------------------------------------- helpers (also used by test_runner)

CUSTOMERS_CSV = """customer_id,birth_date,gender,income_monthly,open_date
C001,1980-05-01,F,12000,2019-03-15
C002,1975-11-20,M,,2020-07-01
C003,1999-01-31,F,8000.5,2024-12-01
"""
TRANSACTIONS_CSV = """txn_id,customer_id,txn_date,amount,direction,channel,category
T1,C001,2026-01-05,100.00,out,mobile,consumption
T2,C001,2026-02-10,"1,250.50",out,pos,consumption
T3,C002,2026-03-01,9000,in,online,salary
T4,C003,2026-10-31,35.2,out,mobile,consumption
"""

PARAMS_SOURCE = '''data_dir: str = "data/demo"        # folder with the contract tables
as_of: str = "2026-10-31"          # analysis date (YYYY-MM-DD)
column_map: dict = {}              # {table: {bank column: contract column}}
value_map: dict = {}               # {table: {column: {bank value: contract value}}}
unknown_customers: str = "fail"    # fail | drop
output_dir: str = ""               # set by the runner
reports_dir: str = "reports"       # root of dated reports
fail: bool = False                 # raise in the body (tests)
k: int = 3                         # an int parameter'''

BODY_SOURCE = '''from pathlib import Path
from clientlens.data import load_bank
bank = load_bank(data_dir, column_map=column_map, value_map=value_map, unknown_customers=unknown_customers)
SOURCE_CODE_MARKER_XYZ = bank.sql("select count(*) as n from customers")["n"].iloc[0]
assert not fail, "planted failure for the test"
Path(output_dir or ".", "artefact.txt").write_text(f"k={k}")
print(f"customers counted: {SOURCE_CODE_MARKER_XYZ}")'''


def write_tiny_bank(folder: Path, customers: str = CUSTOMERS_CSV, transactions: str = TRANSACTIONS_CSV) -> Path:
    """A three-customer bank as CSV (customers + transactions only)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers.csv").write_text(customers, encoding="utf-8")
    (folder / "transactions.csv").write_text(transactions, encoding="utf-8")
    return folder


def write_notebook(path: Path, params: str = PARAMS_SOURCE, body: str = BODY_SOURCE) -> Path:
    """A small report notebook with a tagged parameters cell and the clientlens kernelspec."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "clientlens", "display_name": "Python (clientlens)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Test report\n\nA tiny report for the runner tests."), p,
                nbformat.v4.new_code_cell(body)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


# --------------------------------------------------------------------------- bad-input cases

def _bank(tmp_path, **files) -> Path:
    folder = tmp_path / "bank"
    write_tiny_bank(folder)
    for name, text in files.items():
        target = folder / name
        if text is None:
            target.unlink()
        else:
            target.write_text(text, encoding="utf-8")
    return folder


CASES = {
    # id: (files to change, expected fragments of the message: file, column, problem)
    "missing_file": ({"customers.csv": None}, ["customers", "not found"]),
    "missing_required_column": (
        {"transactions.csv": TRANSACTIONS_CSV.replace("amount", "amt")},
        ["transactions.csv", "'amount'", "missing"]),
    "non_numeric_amount": (
        {"transactions.csv": TRANSACTIONS_CSV.replace("35.2", "about 35")},
        ["transactions.csv", "'amount'", "1 non-numeric", "about 35"]),
    "unparseable_date": (
        {"transactions.csv": TRANSACTIONS_CSV.replace("2026-03-01", "2026-02-30")},
        ["transactions.csv", "'txn_date'", "1 unparseable date", "2026-02-30"]),
    "duplicate_customer_id": (
        {"customers.csv": CUSTOMERS_CSV + "C002,1960-01-01,M,5000,2018-01-01\n"},
        ["customers.csv", "'customer_id'", "1 duplicate"]),
    "unknown_customers": (
        {"transactions.csv": TRANSACTIONS_CSV + "T5,C999,2026-04-01,10,out,mobile,consumption\n"
                                                 "T6,C998,2026-04-02,11,out,mobile,consumption\n"},
        ["transactions.csv", "'customer_id'", "2 row(s) of 2 customer(s) not in customers", "drop"]),
    "empty_table": (
        {"transactions.csv": TRANSACTIONS_CSV.splitlines()[0] + "\n"},
        ["transactions.csv", "empty"]),
    "bad_direction": (
        {"transactions.csv": TRANSACTIONS_CSV.replace(",in,", ",credit,")},
        ["transactions.csv", "'direction'", "other than 'in'/'out'", "credit", "value_map"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_raises_one_line_data_error_naming_file_column_problem(tmp_path, case):
    changes, fragments = CASES[case]
    folder = _bank(tmp_path, **changes)
    before = tree_hashes(folder)
    with pytest.raises(DataError) as info:
        load_bank(folder)
    msg = str(info.value)
    assert "\n" not in msg
    for frag in fragments:
        assert frag in msg, (frag, msg)
    assert tree_hashes(folder) == before  # inputs untouched


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_makes_clientlens_run_exit_2_before_the_kernel(tmp_path, capsys, case):
    changes, fragments = CASES[case]
    folder = _bank(tmp_path, **changes)
    nb = write_notebook(tmp_path / "nb" / "01_test.ipynb")
    reports = tmp_path / "reports"
    rc, out, err = run_cli(capsys, "run", nb, "-p", f"data_dir={folder}", "--reports-dir", reports, "--no-progress")
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clientlens: error: ")
    for frag in fragments:
        assert frag in lines[0]
    assert not (reports / "2026-10-31").exists()  # nothing executed, nothing written
    assert "Traceback" not in err


def test_non_numeric_amount_in_parquet_names_file_and_column(tmp_path):
    folder = _bank(tmp_path)
    tx = pd.read_csv(folder / "transactions.csv", dtype=str)
    tx.loc[1, "amount"] = "n/a"
    tx.to_parquet(folder / "transactions.parquet")
    (folder / "transactions.csv").unlink()
    with pytest.raises(DataError, match=r"transactions\.parquet: column 'amount' has 1 non-numeric value\(s\)"):
        load_bank(folder)


@pytest.mark.parametrize("order", ["as_written", "reversed"])
def test_bad_value_example_is_the_smallest_offending_value_whatever_the_row_order(tmp_path, order):
    # the examples come from a second scan run only when a check finds rows; the example is the smallest
    # offending text, so a message does not depend on row order or on how the scan was split over threads
    rows = TRANSACTIONS_CSV.splitlines()
    body = [r.replace("100.00", "lots").replace("9000", "about 9k").replace("35.2", "n/a") for r in rows[1:]]
    text = "\n".join([rows[0], *(body if order == "as_written" else body[::-1])]) + "\n"
    folder = _bank(tmp_path, **{"transactions.csv": text})
    with pytest.raises(DataError) as info:
        load_bank(folder)
    assert "column 'amount' has 3 non-numeric value(s) (e.g. 'about 9k')" in str(info.value)


def test_a_flagged_value_keeps_its_example(tmp_path):
    # a check that does not stop the load (the amount ceiling) still names its example, fetched in the second scan
    folder = _bank(tmp_path, **{"transactions.csv": TRANSACTIONS_CSV.replace("9000", "2000000000")})
    bank = load_bank(folder)
    assert [(f["column"], f["rows"], f["example"]) for f in bank.flags] == [("amount", 1, "2000000000")]


def test_unknown_customers_drop_loads_and_counts_them(tmp_path):
    changes, _ = CASES["unknown_customers"]
    folder = _bank(tmp_path, **changes)
    bank = load_bank(folder, unknown_customers="drop")
    assert bank.sql("select count(*) as n from transactions")["n"].iloc[0] == 4  # 6 rows - 2 unknown
    notes = [n for n in bank.notes if "not in customers" in n]
    assert len(notes) == 1 and "2 row(s) of 2 customer(s)" in notes[0] and notes[0].endswith("dropped")


def test_unknown_customers_param_value_is_checked(tmp_path):
    folder = _bank(tmp_path)
    with pytest.raises(DataError, match="unknown_customers must be 'fail' or 'drop'; got 'ignore'"):
        load_bank(folder, unknown_customers="ignore")


def test_missing_data_folder(tmp_path):
    with pytest.raises(DataError, match="data folder not found"):
        load_bank(tmp_path / "nowhere")


def test_valid_tiny_bank_loads_with_contract_types(tmp_path):
    bank = load_bank(_bank(tmp_path))
    tx = bank.df("transactions")
    # "1,250.50" (thousands separator in CSV) is read as 1250.5
    assert tx["amount"].tolist() == [100.0, 1250.5, 9000.0, 35.2]
    assert str(tx["txn_date"].dtype).startswith("datetime64")
    cust = bank.df("customers")
    assert cust["income_monthly"].isna().tolist() == [False, True, False]
    assert set(bank.present) == {"customers", "transactions"}
    assert any("monthly_balances" in n for n in bank.notes)


# --------------------------------------------------------------------------- a Chinese-named extract

CN_CUSTOMERS = """客户号,出生日期,性别,月收入,开户日期
K1,1980/05/01,女,12000,2019年03月15日
K2,1975/11/20,男,,20200701
"""
CN_TRANSACTIONS = """流水号,客户号,交易日期,金额,方向,渠道
L1,K1,2026/01/05,100,转出,手机银行
L2,K1,2026/02/10,"2,000",转入,网银
L3,K2,2026/03/01,55.5,转出,手机银行
"""
CN_COLUMN_MAP = {
    "customers": {"客户号": "customer_id", "出生日期": "birth_date", "性别": "gender", "月收入": "income_monthly",
                  "开户日期": "open_date"},
    "transactions": {"流水号": "txn_id", "客户号": "customer_id", "交易日期": "txn_date", "金额": "amount",
                     "方向": "direction", "渠道": "channel"},
}
CN_VALUE_MAP = {
    "customers": {"gender": {"女": "F", "男": "M"}},
    "transactions": {"direction": {"转入": "in", "转出": "out"}, "channel": {"手机银行": "mobile", "网银": "online"}},
}


def test_chinese_column_map_and_value_map_load_correctly_and_leave_inputs_unchanged(tmp_path):
    folder = write_tiny_bank(tmp_path / "cn", CN_CUSTOMERS, CN_TRANSACTIONS)
    before = tree_hashes(folder)
    bank = load_bank(folder, column_map=CN_COLUMN_MAP, value_map=CN_VALUE_MAP)
    tx = bank.df("transactions").sort_values("txn_id")
    assert tx["customer_id"].tolist() == ["K1", "K1", "K2"]
    assert tx["direction"].tolist() == ["out", "in", "out"]
    assert tx["channel"].tolist() == ["mobile", "online", "mobile"]
    assert tx["amount"].tolist() == [100.0, 2000.0, 55.5]
    assert [d.strftime("%Y-%m-%d") for d in tx["txn_date"]] == ["2026-01-05", "2026-02-10", "2026-03-01"]
    cust = bank.df("customers").sort_values("customer_id")
    assert cust["gender"].tolist() == ["F", "M"]
    assert [d.strftime("%Y-%m-%d") for d in cust["open_date"]] == ["2019-03-15", "2020-07-01"]
    assert tree_hashes(folder) == before


def test_chinese_extract_without_value_map_names_the_bank_column(tmp_path):
    folder = write_tiny_bank(tmp_path / "cn", CN_CUSTOMERS, CN_TRANSACTIONS)
    with pytest.raises(DataError) as info:
        load_bank(folder, column_map=CN_COLUMN_MAP)
    msg = str(info.value)
    assert "transactions.csv" in msg and "'方向' (mapped to 'direction')" in msg and "转" in msg


def test_chinese_extract_with_missing_mapping_names_the_missing_contract_column(tmp_path):
    folder = write_tiny_bank(tmp_path / "cn", CN_CUSTOMERS, CN_TRANSACTIONS)
    cmap = {"customers": CN_COLUMN_MAP["customers"],
            "transactions": {k: v for k, v in CN_COLUMN_MAP["transactions"].items() if v != "amount"}}
    with pytest.raises(DataError, match=r"transactions\.csv: required column 'amount' is missing after column_map"):
        load_bank(folder, column_map=cmap, value_map=CN_VALUE_MAP)


def test_column_map_to_unknown_contract_column_is_refused(tmp_path):
    folder = _bank(tmp_path)
    with pytest.raises(DataError, match="unknown contract column"):
        load_bank(folder, column_map={"transactions": {"amount": "amount_cny"}})


def test_fingerprints_are_sha256_of_the_input_files(tmp_path):
    folder = _bank(tmp_path)
    fps = load_bank(folder).fingerprints()
    expected = hashlib.sha256((folder / "customers.csv").read_bytes()).hexdigest()
    assert fps[str(folder / "customers.csv")] == expected
    assert len(fps) == 2


def test_relative_data_dir_is_taken_from_the_project_root_not_the_cwd(demo_small, tmp_path, monkeypatch):
    """JupyterLab runs a notebook with cwd = notebooks/: params paths must still point at the same data."""
    from clientlens import config

    rel = demo_small.relative_to(config.PROJECT_ROOT)
    monkeypatch.chdir(tmp_path)
    bank = load_bank(rel)
    assert bank.data_dir == demo_small
    assert len(bank.df("customers")) == 3_000


def test_type_checks_run_only_where_the_source_type_can_hold_bad_values():
    from clientlens.data import _cast_can_fail

    # typed Parquet columns cannot hold an unparseable value: their (costly) text scan is skipped
    assert not _cast_can_fail("number", "DOUBLE") and not _cast_can_fail("number", "DECIMAL(18,2)")
    assert not _cast_can_fail("number", "BIGINT") and not _cast_can_fail("int", "INTEGER")
    assert not _cast_can_fail("date", "DATE") and not _cast_can_fail("date", "TIMESTAMP_NS")
    assert not _cast_can_fail("bool", "BOOLEAN")
    # text always is checked, and so is a DOUBLE that must become an integer (1e300, NaN)
    assert _cast_can_fail("number", "VARCHAR") and _cast_can_fail("date", "VARCHAR")
    assert _cast_can_fail("int", "DOUBLE") and _cast_can_fail("bool", "VARCHAR")


def test_artifact_ids_mask_by_default_and_join_either_way():
    from clientlens.privacy import MASKED_ID, artifact_ids, mask_ids, masked_key

    df = pd.DataFrame({"customer_id": ["C1", "C2"], "tier": ["high", "low"]})
    masked = artifact_ids(df)
    assert list(masked.columns) == [MASKED_ID, "tier"]
    assert masked[MASKED_ID].tolist() == mask_ids(["C1", "C2"]).tolist()
    both = artifact_ids(df, allow_raw_ids=True)
    assert list(both.columns) == ["customer_id", MASKED_ID, "tier"]
    # a later report finds the same key in either form
    assert masked_key(masked).tolist() == masked_key(df).tolist() == masked[MASKED_ID].tolist()
    assert df.columns.tolist() == ["customer_id", "tier"]          # the input is not modified
    with pytest.raises(KeyError):
        masked_key(pd.DataFrame({"x": [1]}))


def test_duckdb_memory_limit_and_threads_come_from_config_and_its_environment(demo_small, monkeypatch):
    """Every connection the library opens for heavy work (load_bank's, hence the wide table's, the RFM
    summary's, the event job's) gets clientlens.config's limit; the environment overrides it."""
    from clientlens import config
    from clientlens.features import build_wide_table

    monkeypatch.delenv(config.DUCKDB_MEMORY_ENV, raising=False)
    monkeypatch.delenv(config.DUCKDB_THREADS_ENV, raising=False)
    assert config.duckdb_settings() == {"memory_limit": config.DEFAULT_DUCKDB_MEMORY,
                                        "disabled_optimizers": "partitioned_execution"}
    monkeypatch.setenv(config.DUCKDB_MEMORY_ENV, "1536MB")
    monkeypatch.setenv(config.DUCKDB_THREADS_ENV, "1")
    bank = load_bank(demo_small)
    setting = lambda k: bank.con.execute("SELECT current_setting(?)", [k]).fetchone()[0]  # noqa: E731
    assert setting("memory_limit") in ("1.4 GiB", "1.5 GiB") and setting("threads") == 1
    assert setting("disabled_optimizers") == "partitioned_execution"
    build_wide_table(bank, "2026-10-31")           # sets the same limit for its call and restores it
    assert setting("memory_limit") in ("1.4 GiB", "1.5 GiB")
    for name, bad in ((config.DUCKDB_MEMORY_ENV, "lots"), (config.DUCKDB_MEMORY_ENV, "0GB"),
                      (config.DUCKDB_THREADS_ENV, "0"), (config.DUCKDB_THREADS_ENV, "two")):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ParamsError, match=f"^{name} must be"):
            config.duckdb_settings()
        monkeypatch.setenv(name, "1536MB" if name == config.DUCKDB_MEMORY_ENV else "1")


@pytest.mark.parametrize("with_missing", [False, True])
def test_fetch_frame_gives_the_frame_duckdb_df_gives(with_missing):
    # fetch_frame goes through Arrow (a third of .df()'s cost for a wide table); the frame, dtypes included, must be
    # the one DuckDB's own .df() gives: nullable integers and flags when values are missing, dates as datetime64[us].
    import duckdb

    from clientlens.data import fetch_frame

    con = duckdb.connect()
    second = "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)" if with_missing else \
        "(-7, 0, 3, -2, 0.25, 2.5, 'b', DATE '1999-12-31', false)"
    sql = ("SELECT * FROM (VALUES (1::BIGINT, 2::INTEGER, 3::SMALLINT, 4::TINYINT, 1.5::DOUBLE, 0.5::FLOAT, 'a', "
           f"DATE '2026-10-31', true), {second}) t(i64, i32, i16, i8, f64, f32, s, d, flag)")
    for query in (sql, sql + " WHERE false", "SELECT 1.5::DECIMAL(4, 1) AS dec, [1, 2] AS list, 2::HUGEINT AS h"):
        pd.testing.assert_frame_equal(fetch_frame(con, query), con.execute(query).df())


def test_wide_table_through_arrow_equals_duckdb_df(demo_small, monkeypatch):
    from clientlens import features

    bank = load_bank(demo_small)
    fast = features.build_wide_table(bank, "2026-10-31")
    monkeypatch.setattr(features, "fetch_frame", lambda con, sql: con.execute(sql).df())
    pd.testing.assert_frame_equal(fast, features.build_wide_table(bank, "2026-10-31"))
    assert {str(fast[c].dtype) for c in ("open_date", "balance_month_end")} == {"datetime64[us]"}


def _trimmed_in_view(bank, name: str) -> set[str]:
    """The text columns the view of table ``name`` trims (DuckDB's own spelling of the view)."""
    sql = bank.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]).fetchall()[0][0]
    return set(re.findall(r'"trim"\(CAST\((\w+) AS VARCHAR\)\)', sql))


def test_text_already_trimmed_is_read_as_it_is_and_padded_text_is_trimmed(tmp_path):
    # the loader checks customer_id and the category columns once: trimmed and never '' -> the view reads them
    # without trim(); otherwise NULLIF(trim(x), '') as before (spaces, no-break and ideographic spaces; '' -> NULL).
    # Row references (txn_id) are not checked: always trimmed
    clean = load_bank(_bank(tmp_path / "clean"))
    assert _trimmed_in_view(clean, "transactions") == {"txn_id"}
    assert _trimmed_in_view(clean, "customers") == set()
    assert clean.df("transactions")["category"].tolist() == ["consumption", "consumption", "salary", "consumption"]
    folder = tmp_path / "padded"
    folder.mkdir()
    pd.read_csv(io.StringIO(CUSTOMERS_CSV)).to_parquet(folder / "customers.parquet")
    tx = pd.read_csv(io.StringIO(TRANSACTIONS_CSV), thousands=",")
    tx["customer_id"] = [" C001", "C001\u00a0", "C002", "C003"]
    tx["category"] = ["consumption", "\u3000consumption", "salary", ""]
    tx.to_parquet(folder / "transactions.parquet")
    padded = load_bank(folder)
    got = padded.df("transactions").sort_values("txn_id")
    assert got["customer_id"].tolist() == ["C001", "C001", "C002", "C003"]
    assert got["category"].tolist()[:3] == ["consumption", "consumption", "salary"]
    assert pd.isna(got["category"].iloc[3])
    assert got["channel"].tolist() == ["mobile", "pos", "online", "mobile"]
    assert _trimmed_in_view(padded, "transactions") == {"txn_id", "customer_id", "category"}
