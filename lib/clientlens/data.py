"""Load and validate the contract tables (see ``docs/data-contract.md``).

The loader never modifies its inputs. It opens each table in DuckDB straight
from Parquet or CSV (a single file or a folder of Parquet parts), renames a
bank's own column names to the contract names (``column_map``), recodes
category values (``value_map``), casts to the contract types, and validates.
Every problem is raised as :class:`clientlens.DataError` with a one-line
message naming the file, the column and the problem.

Typical use::

    bank = load_bank("data/demo")
    bank.con.sql("select count(*) from transactions")   # DuckDB, scales
    customers = bank.df("customers")                     # pandas, cached
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd

from . import DataError, config, loadmemo
from .i18n import t, t_matching
from .schema import PII_COLUMNS, PRODUCT_BALANCE_COLUMNS, TABLES, Table

_TRUE = ("1", "true", "t", "yes", "y", "是", "有")
_FALSE = ("0", "false", "f", "no", "n", "否", "无")


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (DuckDB): ``a"b`` -> ``"a""b"``."""
    return '"' + str(name).replace('"', '""') + '"'


def is_in(values, among) -> np.ndarray:
    """``values.isin(among)`` as a boolean array, computed by Arrow.

    pandas' own ``isin`` of Arrow-backed strings (the ``str`` dtype) converts ``among`` value by value in
    Python: 7.7 s for a million ids against 0.1 s here. ``values`` and ``among`` are Series, Indexes or
    arrays; when Arrow finds no common type (an empty or all-missing side), pandas decides.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    a, b = pa.array(pd.Series(values), from_pandas=True), pa.array(pd.Series(among), from_pandas=True)
    if a.type != b.type:
        return pd.Series(values).isin(pd.Series(among)).to_numpy(dtype=bool)
    return pc.is_in(a, value_set=b).to_numpy(zero_copy_only=False)


#: DuckDB types :func:`fetch_frame` brings through Arrow (others: DuckDB's own ``.df()``)
_ARROW_SAFE_TYPES = {"bigint", "integer", "smallint", "tinyint", "double", "float", "varchar", "date", "boolean"}


def fetch_frame(con, sql: str) -> pd.DataFrame:
    """The result of ``sql`` as the pandas frame DuckDB's ``.df()`` gives (the same dtypes), fetched through Arrow.

    ``.df()`` converts a wide result column by column in one thread: the 1M x 174 wide table takes 5.3 s that
    way against 1.8 s through Arrow. Integers and flags with missing values become pandas' nullable types, dates
    ``datetime64[us]`` and the text columns of an empty result ``object``, as ``.df()`` makes them. Other column
    types, and connections that are not DuckDB (the Spark bank's, :class:`clientlens.engine.SparkBank`), use
    ``.df()`` itself.
    """
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return con.execute(sql).df()
    rel = con.sql(sql)
    if any(str(tp.id) not in _ARROW_SAFE_TYPES for tp in rel.types):
        return rel.df()
    import pyarrow as pa

    table = rel.to_arrow_table()
    df = table.to_pandas(date_as_object=False)
    nullable = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype(), pa.int16(): pd.Int16Dtype(),
                pa.int8(): pd.Int8Dtype(), pa.bool_(): pd.BooleanDtype()}
    for i, f in enumerate(table.schema):
        if pa.types.is_date(f.type):
            df[f.name] = df[f.name].astype("datetime64[us]")
        elif f.type in nullable and table.column(i).null_count:
            df[f.name] = table.column(i).to_pandas(types_mapper=nullable.get)
        elif pa.types.is_string(f.type) and not table.num_rows:
            df[f.name] = df[f.name].astype(object)      # .df() types an empty text column as object
    return df


def quote_literal(value) -> str:
    """Quote an SQL string literal (DuckDB): ``it's`` -> ``'it''s'``."""
    return "'" + str(value).replace("'", "''") + "'"


_q, _lit = quote_ident, quote_literal


def find_table_files(data_dir: Path, table: str, file_map: dict | None = None) -> list[Path]:
    """Return the files holding ``table`` in ``data_dir`` (empty list if none).

    Looks for ``file_map[table]`` when given, else ``<table>.parquet``,
    ``<table>.csv`` or a folder ``<table>/`` of ``*.parquet`` parts.
    """
    data_dir = Path(data_dir)
    names = [file_map[table]] if file_map and table in file_map else [f"{table}.parquet", f"{table}.csv", table]
    for name in names:
        p = data_dir / name
        if p.is_file():
            return [p]
        if p.is_dir():
            parts = sorted(p.glob("*.parquet")) or sorted(p.glob("*.csv"))
            if parts:
                return parts
    return []


_TRANSCODED: dict[tuple, Path] = {}


def _utf8_copy(path: Path, encoding: str) -> Path:
    """A UTF-8 copy of a CSV in another encoding (a private temporary file, removed at exit)."""
    import atexit
    import tempfile

    key = (str(path), encoding, path.stat().st_mtime_ns)
    if key in _TRANSCODED and _TRANSCODED[key].exists():
        return _TRANSCODED[key]
    fd, tmp = tempfile.mkstemp(prefix="clientlens-", suffix=".csv")
    atexit.register(lambda p=tmp: os.path.exists(p) and os.unlink(p))
    try:
        with open(path, "r", encoding=encoding, errors="strict", newline="") as src, \
                os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            for block in iter(lambda: src.read(1 << 20), ""):
                dst.write(block)
    except UnicodeError as exc:
        where = f" (byte {exc.start:,})" if isinstance(exc, UnicodeDecodeError) else ""
        raise DataError(f"{path}: not valid {encoding} text{where}; check the encoding param "
                        f"(load_options: encoding)") from None
    _TRANSCODED[key] = Path(tmp)
    return Path(tmp)


def _reader_sql(files: list[Path], encoding: str | None = None) -> str:
    if encoding and files[0].suffix.lower() == ".csv" and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        files = [_utf8_copy(f, encoding) for f in files]
    paths = "[" + ", ".join(_lit(str(f)) for f in files) + "]"
    if files[0].suffix.lower() == ".csv":
        return f"read_csv({paths}, all_varchar=true, header=true, union_by_name=true)"
    return f"read_parquet({paths}, union_by_name=true)"


def _label(files: list[Path]) -> str:
    f = files[0]
    return str(f.parent) + os.sep if len(files) > 1 else str(f)


#: Column kinds read as trimmed text (``''`` as NULL) by :func:`_cast_expr`.
_TEXT_KINDS = ("id", "category", "text")
#: The loader's check (not a problem) whether a text column is already trimmed and never ``''``.
_UNTRIMMED = "untrimmed"


def _is_text(src_type: str) -> bool:
    """Whether a source column of DuckDB type ``src_type`` holds text."""
    return src_type.upper() in ("VARCHAR", "STRING", "TEXT") or src_type.upper().startswith("VARCHAR")


def _cast_expr(src: str, kind: str, src_type: str) -> str:
    """SQL expression casting raw column ``src`` (already quoted) to ``kind``; NULL where it fails."""
    is_text = _is_text(src_type)
    if kind in _TEXT_KINDS:
        return f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"
    if kind == "number":
        if is_text:
            return f"TRY_CAST(NULLIF(replace(trim({src}), ',', ''), '') AS DOUBLE)"
        return f"TRY_CAST({src} AS DOUBLE)"
    if kind == "int":
        if is_text:
            return f"TRY_CAST(TRY_CAST(NULLIF(trim({src}), '') AS DOUBLE) AS BIGINT)"
        return f"TRY_CAST({src} AS BIGINT)"
    if kind == "date":
        if is_text:
            s = f"NULLIF(trim({src}), '')"
            return (f"COALESCE(TRY_CAST({s} AS DATE), CAST(TRY_STRPTIME({s}, '%Y/%m/%d') AS DATE), "
                    f"CAST(TRY_STRPTIME({s}, '%Y%m%d') AS DATE), CAST(TRY_STRPTIME({s}, '%Y年%m月%d日') AS DATE))")
        return f"TRY_CAST({src} AS DATE)"
    if kind == "bool":
        if src_type.upper() == "BOOLEAN":
            return src
        s = f"lower(trim(CAST({src} AS VARCHAR)))"
        t = ", ".join(_lit(v) for v in _TRUE)
        f_ = ", ".join(_lit(v) for v in _FALSE)
        return f"CASE WHEN {s} IN ({t}) THEN TRUE WHEN {s} IN ({f_}) THEN FALSE ELSE NULL END"
    raise ValueError(f"unknown column kind {kind!r}")


_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "UHUGEINT", "INT1", "INT2", "INT4", "INT8")


def _cast_can_fail(kind: str, src_type: str) -> bool:
    """False when the source column's own type already guarantees the cast (a typed Parquet column).

    A DOUBLE amount or a DATE column cannot hold an unparseable value, so its type check (a
    scan that casts every value to text) is skipped: on 20M balance rows that scan alone took
    about 10 s. Text columns, and numbers that must become integers, are always checked.
    """
    t = src_type.upper()
    if kind == "number":
        return not (t in _INTEGER_TYPES or t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"))
    if kind == "int":
        return t not in _INTEGER_TYPES
    if kind == "date":
        return not (t == "DATE" or t.startswith("TIMESTAMP"))
    if kind == "bool":
        return t != "BOOLEAN"
    return True


# closed vocabularies the analyses rely on: (table, column) -> allowed values
_ALLOWED = {("transactions", "direction"): ("in", "out"), ("campaigns", "group"): ("model", "control"),
            ("campaigns", "response"): (0, 1)}
# the optional holdings table names its products by the monthly_balances product columns
_ALLOWED[("holdings", "product")] = PRODUCT_BALANCE_COLUMNS

_KIND_WORD = {"number": "non-numeric", "int": "non-integer", "date": "unparseable date",
              "bool": "unreadable true/false"}

# amounts the contract defines as absolute (the sign is in another column)
_ABSOLUTE = {("transactions", "amount")}
# amounts checked against the plausibility ceiling
_CEILING = {("transactions", "amount")}

#: value checks of the loader (``load_options`` in params): name -> (default, what it is)
LOAD_OPTIONS = {
    "negative_amounts": ("fail", "negative transaction amounts (the contract says absolute): fail | abs | drop"),
    "date_floor": ("1900-01-01", "dates before this day are implausible: the load stops"),
    "future_transactions": ("drop", "transactions dated after as_of: drop (counted in the notes) | fail"),
    "amount_ceiling": (1e9, "transaction amounts above this (CNY) are flagged FAIL in 00_data_overview"),
    "encoding": ({}, "{table: CSV encoding} for files that are not UTF-8, e.g. {transactions: gb18030}"),
}


def check_load_options(options: dict | None) -> dict:
    """``load_options`` with defaults filled in and every value checked (one-line :class:`DataError`)."""
    import datetime as _dt
    import codecs
    import math

    options = dict(options or {})
    unknown = sorted(set(options) - set(LOAD_OPTIONS))
    if unknown:
        raise DataError(f"unknown load_options key(s) {unknown}; valid keys: {', '.join(LOAD_OPTIONS)}")
    out = {k: options.get(k, v[0]) for k, v in LOAD_OPTIONS.items()}
    if out["negative_amounts"] not in ("fail", "abs", "drop"):
        raise DataError(f"negative_amounts must be one of fail, abs, drop; got {out['negative_amounts']!r}")
    if out["future_transactions"] not in ("fail", "drop"):
        raise DataError(f"future_transactions must be fail or drop; got {out['future_transactions']!r}")
    try:
        out["date_floor"] = _dt.date.fromisoformat(str(out["date_floor"])[:10])
    except ValueError:
        raise DataError(f"date_floor must be a date YYYY-MM-DD; got {out['date_floor']!r}") from None
    ceiling = out["amount_ceiling"]
    if isinstance(ceiling, bool) or not isinstance(ceiling, (int, float)) or not math.isfinite(ceiling) \
            or ceiling <= 0:
        raise DataError(f"amount_ceiling must be a number > 0; got {ceiling!r}")
    enc = out["encoding"]
    if not isinstance(enc, dict):
        raise DataError(f"encoding must be a mapping {{table: encoding}}; got {enc!r}")
    bad_tables = sorted(set(enc) - set(TABLES))
    if bad_tables:
        raise DataError(f"encoding: unknown table(s) {bad_tables}; valid tables: {sorted(TABLES)}")
    for t, e in enc.items():
        try:
            codecs.lookup(str(e))
        except LookupError:
            raise DataError(f"encoding of '{t}': unknown encoding {e!r} (e.g. utf-8, gb18030)") from None
    return out


def date_literal(value) -> str:
    """``DATE 'YYYY-MM-DD'`` for a :class:`datetime.date` (only: a typed, validated date, never text)."""
    import datetime as _dt

    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        raise TypeError(f"date_literal needs a datetime.date; got {type(value).__name__}")
    return f"DATE '{value.isoformat()}'"


@dataclass
class BankData:
    """The validated contract tables, as DuckDB views and (on demand) pandas frames.

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding one view per present table under its contract name.
    data_dir : Path
        Folder the tables were read from.
    files : dict[str, list[Path]]
        Source files of each present table.
    columns : dict[str, list[str]]
        Contract columns present in each table (optional ones may be absent).
    notes : list[str]
        What the loader did that a reader should know (rows dropped, tables missing).
    flags : list[dict]
        Implausible values kept but to be reported as FAIL (``table``, ``column``, ``problem``,
        ``rows``, ``example``): amounts above ``amount_ceiling``.
    """

    con: duckdb.DuckDBPyConnection
    data_dir: Path
    files: dict[str, list[Path]]
    columns: dict[str, list[str]]
    notes: list[str] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def present(self) -> set[str]:
        """Names of the tables that were found."""
        return set(self.files)

    def has(self, table: str) -> bool:
        return table in self.files

    def df(self, table: str) -> pd.DataFrame:
        """The table as a pandas DataFrame with contract column names and types (cached)."""
        if table not in self.files:
            raise DataError(f"{self.data_dir}: table '{table}' is not available (no file for it)")
        if table not in self._cache:
            self._cache[table] = self.con.sql(f"SELECT * FROM {_q(table)}").df()
        return self._cache[table]

    def sql(self, query: str) -> pd.DataFrame:
        """Run ``query`` against the views and return a DataFrame."""
        return self.con.sql(query).df()

    def fingerprints(self) -> dict[str, str]:
        """SHA-256 of every input file, keyed by path."""
        return {str(f): file_sha256(f) for files in self.files.values() for f in files}


def connect() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection with the library's memory limit and threads
    (:func:`clientlens.config.duckdb_settings`: ``CLIENTLENS_DUCKDB_MEMORY``, ``CLIENTLENS_DUCKDB_THREADS``)."""
    return duckdb.connect(config=config.duckdb_settings())


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def load_bank(
    data_dir: str | os.PathLike,
    *,
    column_map: dict | None = None,
    value_map: dict | None = None,
    file_map: dict | None = None,
    tables: Iterable[str] | None = None,
    required: Iterable[str] = ("customers", "transactions"),
    unknown_customers: str = "fail",
    allow_pii: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
    as_of=None,
    negative_amounts: str = "fail",
    date_floor="1900-01-01",
    future_transactions: str = "drop",
    amount_ceiling: float = 1e9,
    encoding: dict | None = None,
) -> BankData:
    """Open, map, type and validate the contract tables found in ``data_dir``.

    Parameters
    ----------
    data_dir : path
        Folder (absolute, or relative to the project root as in params files, so a notebook
        opened in JupyterLab finds the same data as the runner) with ``customers``, ``monthly_balances``, ``transactions`` and
        ``campaigns`` as ``.parquet``, ``.csv`` or folders of Parquet parts.
    column_map : dict, optional
        ``{table: {bank column name: contract column name}}``.
    value_map : dict, optional
        ``{table: {contract column: {bank value: contract value}}}``, e.g. to
        recode ``direction`` from ``转入/转出`` to ``in/out``.
    file_map : dict, optional
        ``{table: file or folder name}`` when the files are not named after the tables.
    tables : iterable of str, optional
        Tables to open (default: all four).
    required : iterable of str
        Tables whose absence is an error; others are skipped with a note.
    unknown_customers : {"fail", "drop"}
        What to do with transaction, balance or campaign rows whose customer is
        not in ``customers``: stop with an error, or drop them (counted in ``notes``).
    allow_pii : bool
        Keep personal-data columns (name, phone, ID number). Off by default.
    con : duckdb connection, optional
        Connection to create the views in (default: a new in-memory one from :func:`connect`, with the
        memory limit and threads of :func:`clientlens.config.duckdb_settings`).
    as_of : date or str, optional
        Analysis date: transactions dated after it are handled per ``future_transactions``.
    negative_amounts : {"fail", "abs", "drop"}
        Negative transaction amounts (the contract says absolute): stop, take the absolute value
        or drop the rows (both counted in ``notes``).
    date_floor : date or str
        Dates before this day (default 1900-01-01) stop the load.
    future_transactions : {"drop", "fail"}
        Transactions dated after ``as_of``: drop them (counted in ``notes``) or stop.
    amount_ceiling : float
        Transaction amounts above this are kept but listed in ``flags`` (a FAIL data check).
    encoding : dict, optional
        ``{table: encoding}`` of CSV files that are not UTF-8 (e.g. ``{"transactions": "gb18030"}``).

    Non-finite numbers (NaN, infinity, also as text) always stop the load. These options are the
    ``load_options`` params key (:data:`LOAD_OPTIONS`).

    Returns
    -------
    BankData

    Raises
    ------
    DataError
        One line naming the file, the column and the problem.
    """
    data_dir = config.resolve(data_dir)  # params paths are relative to the project root, not the cwd
    if unknown_customers not in ("fail", "drop"):
        raise DataError(f"unknown_customers must be 'fail' or 'drop'; got {unknown_customers!r}")
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: data folder not found")
    column_map = column_map or {}
    value_map = value_map or {}
    wanted = list(tables) if tables is not None else list(TABLES)
    unknown_tables = sorted(set(wanted) - set(TABLES)) + sorted(set(column_map) - set(TABLES))
    if unknown_tables:
        raise DataError(f"unknown table(s) {unknown_tables}; valid tables: {sorted(TABLES)}")
    required = set(required) & set(wanted)
    opts = check_load_options({"negative_amounts": negative_amounts, "date_floor": date_floor,
                               "future_transactions": future_transactions, "amount_ceiling": amount_ceiling,
                               "encoding": encoding or {}})
    if as_of not in (None, ""):
        from .params import to_date

        opts["as_of"] = to_date("as_of", as_of)
    else:
        opts["as_of"] = None
    if con is None:
        con = connect()
    bank = BankData(con=con, data_dir=data_dir, files={}, columns={})

    # customers first: the others are checked against it
    order = [t for t in TABLES if t in wanted]
    for name in order:
        files = find_table_files(data_dir, name, file_map)
        if not files:
            if name in required:
                expected = file_map[name] if file_map and name in file_map else f"{name}.parquet or {name}.csv"
                raise DataError(f"{data_dir}: required table '{name}' not found (expected {expected})")
            bank.notes.append(t("table '{name}' not found in {data_dir}: its analyses are skipped", name=name,
                                data_dir=data_dir))
            continue
        _open_table(bank, TABLES[name], files, column_map.get(name, {}), value_map.get(name, {}),
                    unknown_customers, allow_pii, opts, name in required)
    return bank


def _read_error(label: str, files: list[Path], table: str, exc: Exception) -> DataError:
    """A one-line, human message for a file DuckDB cannot read."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = str(exc).lower()
    if files[0].suffix.lower() == ".csv" and ("unicode" in low or "utf-8" in low or "utf8" in low
                                              or "encoding" in low):
        return DataError(f"{label}: not UTF-8 text; if the extract is GBK/GB18030, set the encoding param "
                         f"(load_options: {{encoding: {{{table}: gb18030}}}})")
    if files[0].suffix.lower() != ".csv" and ("parquet" in low or "magic" in low or "thrift" in low
                                              or "corrupt" in low or "too small" in low):
        return DataError(f"{label}: not a readable Parquet file (damaged or truncated; export it again)")
    return DataError(f"{label}: cannot be read ({first})")


def _open_table(bank: BankData, table: Table, files: list[Path], cmap: dict, vmap: dict,
                unknown_customers: str, allow_pii: bool, opts: dict | None = None, required: bool = True) -> None:
    label = _label(files)
    try:
        _open_table_checked(bank, table, files, cmap, vmap, unknown_customers, allow_pii,
                            opts or check_load_options(None) | {"as_of": None}, required)
    except duckdb.Error as exc:
        raise _read_error(label, files, table.name, exc) from None


def _open_table_checked(bank: BankData, table: Table, files: list[Path], cmap: dict, vmap: dict,
                        unknown_customers: str, allow_pii: bool, opts: dict, required: bool) -> None:
    con, label, name = bank.con, _label(files), table.name
    raw = f"_raw_{name}"
    con.execute(f"CREATE OR REPLACE VIEW {_q(raw)} AS SELECT * FROM "
                f"{_reader_sql(files, (opts.get('encoding') or {}).get(name))}")
    described = con.execute(f"DESCRIBE {_q(raw)}").fetchall()
    src_types = {row[0]: row[1] for row in described}
    # bank name -> contract name; an unmapped column keeps its own name
    unknown_targets = sorted(set(cmap.values()) - set(table.column_names))
    if unknown_targets:
        raise DataError(f"{label}: column_map maps to unknown contract column(s) {unknown_targets}; "
                        f"valid columns for '{name}': {table.column_names}")
    source_of: dict[str, str] = {}
    for src in src_types:
        target = cmap.get(src, src)
        if target in table.column_names and target not in source_of:
            source_of[target] = src
    missing = [c for c in table.required_columns if c not in source_of]
    if missing:
        col = missing[0]
        hint = "" if not cmap else " after column_map"
        raise DataError(f"{label}: required column '{col}' is missing{hint} "
                        f"(columns found: {', '.join(list(src_types)[:20])})")

    n_rows = con.execute(f"SELECT count(*) FROM {_q(raw)}").fetchall()[0][0]
    if n_rows == 0:
        if not required:  # an empty optional table is a missing one
            bank.notes.append(t("table '{name}' is empty ({label}): its analyses are skipped", name=name, label=label))
            return
        raise DataError(f"{label}: table '{name}' is empty (no rows)")

    exprs: dict[str, str] = {}

    def mapped(name: str, expr: str) -> str:
        if name in vmap:
            cases = " ".join(f"WHEN {expr} = {_lit(k)} THEN {_lit(v)}" for k, v in vmap[name].items())
            expr = f"CASE {cases} ELSE {expr} END"
        return expr

    for col in table.columns:
        if col.name not in source_of:
            continue
        if col.pii and not allow_pii:
            continue
        src = _q(source_of[col.name])
        exprs[col.name] = mapped(col.name, _cast_expr(src, col.kind, src_types[source_of[col.name]]))

    # type, null and vocabulary checks, counted in one scan of the table (examples only for the failing ones):
    # (column, count of offending rows, an offending value, what is wrong)
    checks: list[tuple[str, str, str, str]] = []
    for col in table.columns:
        if col.name not in exprs:
            continue
        src, expr = _q(source_of[col.name]), exprs[col.name]
        if col.kind in _KIND_WORD and _cast_can_fail(col.kind, src_types[source_of[col.name]]):
            bad = f"{src} IS NOT NULL AND trim(CAST({src} AS VARCHAR)) <> '' AND ({expr}) IS NULL"
            checks.append((col.name, f"count(*) FILTER (WHERE {bad})",
                           f"min(CAST({src} AS VARCHAR)) FILTER (WHERE {bad})", f"{_KIND_WORD[col.kind]} value(s)"))
        if not col.nullable and col.required:
            checks.append((col.name, f"count(*) FILTER (WHERE ({expr}) IS NULL)", "NULL", "empty value(s); it is required"))
        allowed = _ALLOWED.get((table.name, col.name))
        if allowed is not None:
            values = ", ".join(_lit(v) if isinstance(v, str) else str(v) for v in allowed)
            bad = f"({expr}) IS NOT NULL AND ({expr}) NOT IN ({values})"
            shown = "/".join(repr(v) for v in allowed)
            hint = "; map them with value_map" if isinstance(allowed[0], str) else ""
            checks.append((col.name, f"count(*) FILTER (WHERE {bad})",
                           f"min(CAST({src} AS VARCHAR)) FILTER (WHERE {bad})",
                           f"value(s) other than {shown}{hint}"))
        checks += _value_checks(table.name, col, src, expr, opts)
        if (col.name == "customer_id" or col.kind == "category") and _is_text(src_types[source_of[col.name]]):
            # the keys and categories the analyses group and filter by are read as they are when already trimmed
            # and never '' (the usual case): the view's trim() of them cost about 3 s of CPU per scan of 100M
            # transactions, in every query of every report. Row references (txn_id) are not checked: at 1M the
            # check of txn_id added 38 CPU-s to the load scan, about what the few queries reading it would save
            read = _cast_expr(src, col.kind, src_types[source_of[col.name]])   # the view's expression, unmapped
            checks.append((col.name, f"sum(CAST(({src} IS DISTINCT FROM {read}) AS INTEGER))", "NULL", _UNTRIMMED))
    if checks:
        counts, examples = _run_checks(con, raw, files, checks)
        for i, (col_name, _, _, problem) in enumerate(checks):
            count, example = counts[i], examples[i]
            if problem == _UNTRIMMED:
                if not count:   # NULLIF(trim(x), '') is x itself on every row
                    exprs[col_name] = mapped(col_name, _q(source_of[col_name]))
                continue
            if count and problem.startswith(("note:", "flag:")):
                kind, what = problem.split(":", 1)
                eg = f" (e.g. {example!r})" if example is not None else ""
                if kind == "note" and col_name == "txn_date" and count == n_rows:  # the future-dated rows
                    raise DataError(f"{label}: column {_shown(col_name, source_of)}: all {count:,} transaction(s) are "
                                    f"dated after as_of {opts['as_of'].isoformat()}{eg}: as_of is before the data")
                if kind == "note":
                    bank.notes.append(t("{label}: column {column}: {count:,} {what}", label=label,
                                        column=_shown(col_name, source_of), count=count, what=_problem(what)))
                else:
                    bank.flags.append({"table": name, "column": col_name, "problem": what.strip(),
                                       "rows": int(count), "example": example})
                    bank.notes.append(t("{label}: column {column} has {count:,} {what}{eg}", label=label,
                                        column=_shown(col_name, source_of), count=count, what=_problem(what),
                                        eg=t(" (e.g. {example!r})", example=example) if example is not None else ""))
                continue
            if count:
                eg = f" (e.g. {example!r})" if example is not None else ""
                if ";" in problem:  # keep the example before the hint
                    what, hint = problem.split(";", 1)
                    raise DataError(f"{label}: column {_shown(col_name, source_of)} has {count:,} {what}{eg};{hint}")
                raise DataError(f"{label}: column {_shown(col_name, source_of)} has {count:,} {problem}{eg}")

    drops = []
    if (name, "amount") in _ABSOLUTE and "amount" in exprs and opts["negative_amounts"] != "fail":
        if opts["negative_amounts"] == "abs":
            exprs["amount"] = f"abs({exprs['amount']})"
        else:
            drops.append(f"coalesce(({exprs['amount']}) >= 0, TRUE)")
    if name == "transactions" and "txn_date" in exprs and opts.get("as_of") is not None \
            and opts["future_transactions"] == "drop":
        drops.append(f"coalesce(({exprs['txn_date']}) <= {date_literal(opts['as_of'])}, TRUE)")
    select = ", ".join(f"{e} AS {_q(c)}" for c, e in exprs.items())
    where = (" WHERE " + " AND ".join(drops)) if drops else ""
    if name == "customers":
        dup = con.execute(f"SELECT {exprs['customer_id']} AS k, count(*) AS n FROM {_q(raw)} GROUP BY 1 "
                          f"HAVING count(*) > 1 ORDER BY n DESC LIMIT 1").fetchall()
        dup = dup[0] if dup else None
        if dup:
            n_dup = con.execute(f"SELECT count(*) FROM (SELECT {exprs['customer_id']} FROM {_q(raw)} GROUP BY 1 "
                                f"HAVING count(*) > 1)").fetchall()[0][0]
            raise DataError(f"{label}: column {_shown('customer_id', source_of)} has {n_dup:,} duplicate "
                            f"customer id(s) (one appears {dup[1]} times)")
    elif "customers" in bank.files and "customer_id" in exprs:
        unknown = loadmemo.fetch(
            con, f"SELECT count(*), count(DISTINCT k) FROM (SELECT {exprs['customer_id']} AS k FROM {_q(raw)}) r "
            f"ANTI JOIN customers c ON r.k = c.customer_id", [*files, *bank.files["customers"]],
            views=[raw, "customers", "_raw_customers"])[0]
        if unknown[0]:
            msg = (f"{label}: column {_shown('customer_id', source_of)} has {unknown[0]:,} row(s) of "
                   f"{unknown[1]:,} customer(s) not in customers")
            if unknown_customers == "fail":
                raise DataError(msg + " (set unknown_customers: drop to drop them)")
            bank.notes.append(t("{label}: column {column} has {rows:,} row(s) of {customers:,} customer(s) not in "
                                "customers: dropped", label=label, column=_shown("customer_id", source_of),
                                rows=unknown[0], customers=unknown[1]))
            where = (where + " AND " if where else " WHERE ") + \
                f"{exprs['customer_id']} IN (SELECT customer_id FROM customers)"
    con.execute(f"CREATE OR REPLACE VIEW {_q(name)} AS SELECT {select} FROM {_q(raw)}{where}")
    bank.files[name] = files
    bank.columns[name] = list(exprs)


def _run_checks(con, raw: str, files: list, checks: list[tuple[str, str, str, str]]) -> tuple[list, list]:
    """Offending-row counts of every check in one scan; then, only for the checks that found rows, an example each.

    The examples cost most of a scan (an aggregate over strings per check), and clean data, the usual case,
    needs none: fetching them in a second scan only when a count is not zero made the transactions'
    checks of a 100M-row table 2.8 s instead of 8.9 s. The example is the smallest offending value as
    text, so the same data give the same message.
    """
    counts = list(loadmemo.fetch(con, f"SELECT {', '.join(c[1] for c in checks)} FROM {_q(raw)}", files,
                                 views=[raw])[0])
    examples: list = [None] * len(checks)
    wanted = [i for i, c in enumerate(checks) if counts[i] and c[2] != "NULL"]
    if wanted:
        got = loadmemo.fetch(con, f"SELECT {', '.join(checks[i][2] for i in wanted)} FROM {_q(raw)}", files,
                             views=[raw])[0]
        for i, value in zip(wanted, got):
            examples[i] = value
    return counts, examples


def _value_checks(table: str, col, src: str, expr: str, opts: dict) -> list[tuple[str, str, str, str]]:
    """Plausibility checks of one column, for the loader's single scan.

    Problems starting with ``note:`` are counted into ``notes`` (rows fixed or dropped), ``flag:``
    into ``flags`` (kept, reported as FAIL); the others stop the load.
    """
    out = []
    first = f"min(CAST({src} AS VARCHAR))"
    if col.kind == "number":
        bad = f"({expr}) IS NOT NULL AND NOT isfinite({expr})"
        out.append((col.name, f"count(*) FILTER (WHERE {bad})", f"{first} FILTER (WHERE {bad})",
                    "non-finite value(s) (NaN or infinity)"))
        if (table, col.name) in _ABSOLUTE:
            bad = f"({expr}) < 0"
            mode = opts["negative_amounts"]
            problem = {"fail": "negative amount(s), but amounts are absolute (direction gives the sign); "
                               "set load_options: {negative_amounts: abs | drop} to accept them",
                       "abs": "note:" + _PROBLEMS[0], "drop": "note:" + _PROBLEMS[1]}[mode]
            out.append((col.name, f"count(*) FILTER (WHERE {bad})", f"{first} FILTER (WHERE {bad})", problem))
        if (table, col.name) in _CEILING:
            ceiling = float(opts["amount_ceiling"])
            bad = f"abs({expr}) > {ceiling!r}"
            out.append((col.name, f"count(*) FILTER (WHERE {bad})", f"{first} FILTER (WHERE {bad})",
                        "flag:" + _PROBLEMS[2].format(ceiling=f"{ceiling:,.0f}")))
    if col.kind == "date":
        floor = date_literal(opts["date_floor"])
        bad = f"({expr}) < {floor}"
        out.append((col.name, f"count(*) FILTER (WHERE {bad})", f"{first} FILTER (WHERE {bad})",
                    f"date(s) before {opts['date_floor'].isoformat()} (date_floor)"))
        if table == "transactions" and col.name == "txn_date" and opts.get("as_of") is not None:
            bad = f"({expr}) > {date_literal(opts['as_of'])}"
            problem = ("note:" + _PROBLEMS[3].format(as_of=opts['as_of'].isoformat())
                       if opts["future_transactions"] == "drop" else
                       f"transaction(s) dated after as_of {opts['as_of'].isoformat()}; set load_options: "
                       f"{{future_transactions: drop}} to leave them out")
            out.append((col.name, f"count(*) FILTER (WHERE {bad})", f"{first} FILTER (WHERE {bad})", problem))
    return out


#: the problems the loader fixes or flags (``note:`` / ``flag:`` of :func:`_value_checks`) as templates, to show
#: them in the report's language
_PROBLEMS = ("negative amount(s) taken as absolute values (negative_amounts: abs)",
             "row(s) with a negative amount dropped (negative_amounts: drop)",
             "amount(s) above the plausibility ceiling {ceiling} (amount_ceiling)",
             "transaction(s) dated after as_of {as_of} dropped (future_transactions: drop)")


def _problem(what: str) -> str:
    """A ``note:`` / ``flag:`` problem of :func:`_value_checks` in the report's language."""
    return t_matching(what.strip(), _PROBLEMS)


def _shown(contract_name: str, source_of: dict[str, str]) -> str:
    """The column as the bank calls it, quoted: ``'金额' (mapped to 'amount')`` or ``'amount'``."""
    src = source_of.get(contract_name, contract_name)
    return f"'{src}'" if src == contract_name else f"'{src}' (mapped to '{contract_name}')"


def drop_pii(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` without the contract's personal-data columns."""
    return df.drop(columns=[c for c in df.columns if c in PII_COLUMNS])
