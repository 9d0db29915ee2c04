"""Where the heavy SQL runs: embedded DuckDB (default) or a Spark cluster.

``engine: duckdb | spark`` is a common notebook parameter. DuckDB is the right
default: it handles a 1M-customer, 100M-transaction bank on one machine. Past one
machine the same statements run on Spark SQL:

* **One source of truth for the SQL.** The wide table is written once, in DuckDB
  SQL restricted to a portable subset (:mod:`clientlens.features`), and
  :func:`to_spark_sql` transpiles it to the Spark dialect with SQLGlot. No second,
  hand-written copy exists. The gaps between the dialects are handled on purpose
  (see :data:`PORTABILITY`); :func:`to_spark_sql` refuses DuckDB-only constructs
  (lists, lambdas, ``QUALIFY``, ``HUGEINT``) rather than guessing.
* **Connection.** :func:`spark_session` starts a local Spark (``local[*]``) by
  default, a cluster through ``spark_master`` (``yarn``, ``spark://host:7077``,
  ``k8s://...``) or Spark Connect through ``spark_remote`` (``sc://host:15002``),
  with ``spark_conf`` settings on top of quiet, reproducible defaults.
* **Tables.** :func:`open_spark_bank` registers the contract tables as Spark
  views, read from the Parquet files in ``data_dir`` or from catalog (Hive) tables
  or Parquet paths named in ``spark_tables: {table: name or path}``; columns are
  renamed (``column_map``) and cast to the contract types.
* **Small results come to the driver.** The wide table is aggregated in Spark and
  collected (one row per customer); tags, charts and model fitting stay in Python.
  :func:`collect` brings results through Parquet files on a local session (no
  ``spark.driver.maxResultSize`` limit) and through Arrow on a cluster (under the
  cluster's limit, with a one-line message naming it when exceeded).

Spark is an optional extra (``make spark`` or ``pip install -e ".[spark]"``). Without it,
:func:`check_engine` stops before a kernel starts with a one-line message saying how to
install it.
"""
from __future__ import annotations

import datetime as _dt
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import ClientLensError, DataError, ParamsError

__all__ = ["ENGINES", "INSTALL_HINT", "PORTABILITY", "check_engine", "java_version", "spark_available",
           "spark_session", "to_spark_sql", "SparkBank", "open_spark_bank", "open_bank", "wide_table",
           "spark_wide_frame", "spark_score", "spark_bin_counts", "to_pandas", "collect", "collect_route",
           "COLLECT_ROUTES"]

ENGINES = ("duckdb", "spark")
MIN_JAVA = 17  # Spark 4 runs on Java 17 or 21
INSTALL_HINT = ('engine: spark needs the optional Spark extra: run `make spark` '
                '(or `pip install -e ".[spark]" -c constraints.txt`) and Java 17 or 21')

#: How each known DuckDB / Spark difference is handled (documented, and checked by tests).
PORTABILITY = {
    "date_diff('day', a, b)": "SQLGlot writes DATEDIFF(b, a): whole days, same sign",
    "date_diff('month', date_trunc('month', a), m)": "both arguments are month starts, so DuckDB's "
        "boundary count and Spark's elapsed-months count agree",
    "year(d) * 12 + month(d)": "a calendar month index (the wide table's month counts are differences of two): "
        "the same whole number in both engines",
    "strftime(d, '%m%d')": "SQLGlot writes DATE_FORMAT(d, 'MMdd')",
    "list / lambda functions": "not used; refused by to_spark_sql",
    "HUGEINT": "not used (DuckDB sums of integers are cast to BIGINT in the SQL); refused by to_spark_sql",
    "QUALIFY": "not used (window filters are written as a sub-query); refused by to_spark_sql",
    "window frames": "explicit, spelt out in each OVER (no named WINDOW with a frame added); RANGE frames "
        "over an integer day number (the event rules' 30/60/90-day spend windows)",
    "unnest(generate_series(0, n)) AS g(i)": "SQLGlot writes EXPLODE(SEQUENCE(0, n)) AS g(i): a relation of "
        "day numbers (DuckDB's range(date, date, interval) and unnest([list]) are not used)",
    "date + integer": "DuckDB's date arithmetic; Spark reads DATE + INT as date_add",
    "date_diff('year', a, b)": "not used: year(b) - year(a) (DuckDB's boundary count; Spark's counts elapsed years)",
    "DECIMAL division": "cast to DOUBLE before dividing (Spark would keep an exact DECIMAL quotient where DuckDB "
        "divides in DOUBLE), so threshold comparisons are made in the same arithmetic",
    "GROUP BY ALL": "the same in Spark SQL 3.4+",
    "bound parameters": "$name (DuckDB) -> :name (Spark), bound by each engine",
    "ordering": "every result is ORDER BY customer_id; ties cannot occur (customer_id is unique)",
    "money sums": "amounts are DOUBLE in the contract; sums differ between engines only by summation "
        "order (relative 1e-15, tested at 1e-9)",
}

_DUCKDB_ONLY = [
    (re.compile(r"\bQUALIFY\b", re.I), "QUALIFY (write the window filter as a sub-query)"),
    (re.compile(r"\bHUGEINT\b", re.I), "HUGEINT (cast to BIGINT or DECIMAL(38, 0))"),
    (re.compile(r"\blist_\w+\s*\(|\blist\s*\(|\barray_transform\s*\(|\barray_filter\s*\(", re.I),
     "list functions"),
    (re.compile(r"\s->\s"), "lambda functions"),
]


# --------------------------------------------------------------------------- availability

def spark_available() -> bool:
    """True when PySpark and SQLGlot are importable (the ``spark`` extra is installed)."""
    return importlib.util.find_spec("pyspark") is not None and importlib.util.find_spec("sqlglot") is not None


def java_version() -> int | None:
    """Major version of the ``java`` on ``JAVA_HOME`` or ``PATH`` (None when there is none)."""
    home = os.environ.get("JAVA_HOME")
    exe = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


def check_engine(engine: Any, *, spark_master: Any = "", spark_remote: Any = "", spark_conf: Any = None,
                 spark_tables: Any = None) -> str:
    """Validate the engine parameters before a kernel starts; return the engine name.

    Raises
    ------
    ParamsError
        Unknown engine, malformed Spark settings.
    ClientLensError
        ``engine: spark`` without the Spark extra, or (for a local or ``spark_master`` session)
        without Java 17+. One line saying how to fix it.
    """
    if engine not in ENGINES:
        raise ParamsError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    for name, value in (("spark_master", spark_master), ("spark_remote", spark_remote)):
        if not isinstance(value, str):
            raise ParamsError(f"{name} must be a string; got {value!r}")
    if spark_master and spark_remote:
        raise ParamsError("set spark_master or spark_remote, not both")
    if spark_remote and not spark_remote.startswith("sc://"):
        raise ParamsError(f"spark_remote must be a Spark Connect URL sc://host:port; got {spark_remote!r}")
    for name, value in (("spark_conf", spark_conf), ("spark_tables", spark_tables)):
        if value is not None and not isinstance(value, dict):
            raise ParamsError(f"{name} must be a mapping; got {value!r}")
    from .schema import TABLES

    unknown = sorted(set(spark_tables or {}) - set(TABLES))
    if unknown:
        raise ParamsError(f"spark_tables: unknown table(s) {unknown}; valid tables: {sorted(TABLES)}")
    if engine == "spark":
        if not spark_available():
            raise ClientLensError(INSTALL_HINT)
        if spark_remote and importlib.util.find_spec("grpc") is None:
            raise ClientLensError('spark_remote (Spark Connect) also needs the Connect client: '
                                  '`pip install "pyspark[connect]==4.3.0"`')
        if not spark_remote:
            jv = java_version()
            if jv is None:
                raise ClientLensError("engine: spark needs Java 17 or 21 (no `java` on JAVA_HOME or PATH); "
                                      "install a JDK, or use spark_remote (Spark Connect)")
            if jv < MIN_JAVA:
                raise ClientLensError(f"engine: spark needs Java 17 or 21; found Java {jv}")
    return engine


# --------------------------------------------------------------------------- session

#: Defaults under ``spark_conf``: UTC dates, quiet logs, visible stage progress, few shuffle partitions
#: for local runs (a cluster sets its own in ``spark_conf``).
SPARK_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.log.level": "WARN",
    "spark.ui.showConsoleProgress": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
LOCAL_DEFAULTS = {
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "2g",
}


def spark_session(*, master: str = "", remote: str = "", conf: dict | None = None, app_name: str = "clientlens"):
    """A Spark session: local (``local[*]``), a cluster (``master``) or Spark Connect (``remote``).

    ``conf`` entries override :data:`SPARK_DEFAULTS` (and, for a local session, :data:`LOCAL_DEFAULTS`).
    An existing session in this process is reused (Spark allows one per driver).
    """
    check_engine("spark", spark_master=master, spark_remote=remote, spark_conf=conf)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    settings = dict(SPARK_DEFAULTS)
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master(master or "local[*]")
        if not master or master.startswith("local"):
            settings.update(LOCAL_DEFAULTS)
    settings.update({str(k): str(v) for k, v in (conf or {}).items()})
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if not remote:
        spark.sparkContext.setLogLevel(settings["spark.log.level"])
    return spark


# --------------------------------------------------------------------------- SQL

def to_spark_sql(sql: str) -> str:
    """Transpile a DuckDB statement of the portable subset to Spark SQL (SQLGlot).

    Raises
    ------
    ClientLensError
        The statement uses a DuckDB-only construct (list/lambda functions, ``QUALIFY``,
        ``HUGEINT``): rewrite it in the portable subset rather than keeping a second copy.
    """
    for pattern, what in _DUCKDB_ONLY:
        if pattern.search(sql):
            raise ClientLensError(f"SQL not portable to Spark: uses {what}")
    import sqlglot

    out = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    if len(out) != 1:
        raise ClientLensError(f"expected one SQL statement; got {len(out)}")
    return out[0]


# --------------------------------------------------------------------------- tables

_SPARK_TYPES = {"id": "STRING", "category": "STRING", "text": "STRING", "number": "DOUBLE", "int": "BIGINT",
                "date": "DATE", "bool": "BOOLEAN"}


class _Result:
    """A Spark result behind DuckDB's ``fetchall`` / ``fetchone`` / ``fetchnumpy`` / ``df``."""

    def __init__(self, sdf=None, rows=None):
        self._sdf, self._rows = sdf, rows

    def fetchall(self):
        if self._rows is None:
            self._rows = [] if self._sdf is None else [tuple(r) for r in self._sdf.collect()]
        return self._rows

    def fetchone(self):
        rows = self.fetchall()
        return rows[0] if rows else None

    def df(self) -> pd.DataFrame:
        return collect(self._sdf)

    def fetchnumpy(self) -> dict:
        df = self.df()
        return {c: df[c].to_numpy() for c in df.columns}


#: Spark type names as DuckDB's DESCRIBE spells them (what the library's column checks compare).
_DUCKDB_TYPES = {"string": "VARCHAR", "double": "DOUBLE", "long": "BIGINT", "integer": "INTEGER", "date": "DATE",
                 "boolean": "BOOLEAN", "timestamp": "TIMESTAMP"}


class _SparkCon:
    """The little of a DuckDB connection the library's SQL stages use, on Spark.

    Statements are the library's DuckDB SQL in the portable subset, transpiled by
    :func:`to_spark_sql`; ``DESCRIBE <query>`` answers from the query's schema with
    DuckDB's type names; ``CREATE TEMP TABLE`` becomes a temporary view.
    """

    def __init__(self, spark):
        self.spark = spark

    def execute(self, sql: str, params=None):
        """Run a DuckDB statement (portable subset) on Spark; values bound as in DuckDB.

        Named parameters (``$name`` with a dict) become Spark's ``:name``, positional ones (``?``
        with a list) stay ``?``: bound by Spark, never formatted into the SQL.
        """
        if params:
            return _Result(self.spark.sql(to_spark_sql(sql), args=dict(params) if isinstance(params, dict)
                                          else list(params)))
        m = re.match(r"\s*DESCRIBE\s+(SELECT\b.*)", sql, re.I | re.S)
        if m:
            schema = self.spark.sql(to_spark_sql(m.group(1))).schema
            return _Result(rows=[(f.name, _DUCKDB_TYPES.get(f.dataType.typeName(), f.dataType.simpleString().upper()))
                                 for f in schema.fields])
        sdf = self.spark.sql(to_spark_sql(sql))
        if re.match(r"\s*(CREATE|DROP)\b", sql, re.I):
            return _Result(rows=[])
        return _Result(sdf)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """A small pandas frame (e.g. a list of customer ids) as a temporary view, like DuckDB's ``register``."""
        self.spark.createDataFrame(frame).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)


@dataclass
class SparkBank:
    """Contract tables registered as Spark temporary views (the Spark side of :class:`~clientlens.data.BankData`)."""

    spark: Any
    data_dir: Path
    sources: dict[str, str]
    columns: dict[str, list[str]]
    notes: list[str] = field(default_factory=list)

    @property
    def con(self) -> _SparkCon:
        return _SparkCon(self.spark)

    @property
    def files(self) -> dict[str, str]:
        return self.sources

    def has(self, table: str) -> bool:
        return table in self.sources

    def df(self, table: str) -> pd.DataFrame:
        """A small table (``customers``: one row per customer) collected to the driver, with DuckDB's dtypes."""
        if table not in self.sources:
            raise DataError(f"{self.data_dir}: table '{table}' is not available")
        return self.con.execute(f"SELECT * FROM {table}").df()


def _spark_source(spark, data_dir: Path, table: str, spark_tables: dict, file_map: dict | None):
    """(DataFrame, label) of one table, or (None, None) when absent."""
    from .data import find_table_files

    if table in spark_tables:
        ref = str(spark_tables[table])
        if "/" in ref or ref.endswith(".parquet"):
            return spark.read.parquet(ref), ref
        return spark.table(ref), ref
    files = find_table_files(data_dir, table, file_map)
    if not files:
        return None, None
    if any(f.suffix.lower() != ".parquet" for f in files):
        raise DataError(f"{files[0]}: engine: spark reads Parquet or catalog tables; convert this CSV to "
                        f"Parquet or name a table in spark_tables")
    label = str(files[0].parent if len(files) > 1 else files[0])
    return spark.read.option("mergeSchema", "true").parquet(*[str(f) for f in files]), label


def open_spark_bank(spark, data_dir, *, spark_tables: dict | None = None, column_map: dict | None = None,
                    value_map: dict | None = None, file_map: dict | None = None,
                    required=("customers", "transactions"), unknown_customers: str = "fail",
                    allow_pii: bool = False) -> SparkBank:
    """Register the contract tables as Spark views named after the tables.

    Columns are renamed by ``column_map`` and cast to the contract types; personal-data
    columns are dropped unless ``allow_pii``. Rows of customers not in ``customers`` stop
    the run (``unknown_customers: fail``) or are dropped (``drop``), as in the DuckDB loader.
    The DuckDB loader's value checks (unparseable values, vocabularies, duplicates) run
    before the kernel on local files; on catalog tables they are the warehouse's job.
    """
    from . import config
    from .schema import TABLES

    if value_map:
        raise ParamsError("value_map is not supported with engine: spark yet; recode the values in the "
                          "warehouse or use engine: duckdb")
    if unknown_customers not in ("fail", "drop"):
        raise DataError(f"unknown_customers must be 'fail' or 'drop'; got {unknown_customers!r}")
    data_dir = config.resolve(data_dir)
    spark_tables = dict(spark_tables or {})
    column_map = column_map or {}
    bank = SparkBank(spark=spark, data_dir=data_dir, sources={}, columns={})
    for name, table in TABLES.items():
        df, label = _spark_source(spark, data_dir, name, spark_tables, file_map)
        if df is None:
            if name in required:
                raise DataError(f"{data_dir}: required table '{name}' not found (expected {name}.parquet "
                                f"or spark_tables: {{{name}: ...}})")
            bank.notes.append(f"table '{name}' not found: its analyses are skipped")
            continue
        cmap = column_map.get(name, {})
        source_of: dict[str, str] = {}
        for src in df.columns:
            target = cmap.get(src, src)
            if target in table.column_names and target not in source_of:
                source_of[target] = src
        missing = [c for c in table.required_columns if c not in source_of]
        if missing:
            raise DataError(f"{label}: required column '{missing[0]}' is missing "
                            f"(columns found: {', '.join(df.columns[:20])})")
        raw = f"_raw_{name}"
        df.createOrReplaceTempView(raw)
        exprs: dict[str, str] = {}
        for col in table.columns:
            if col.name not in source_of or (col.pii and not allow_pii):
                continue
            src = "`" + source_of[col.name].replace("`", "``") + "`"
            expr = f"CAST({src} AS {_SPARK_TYPES[col.kind]})"
            if col.kind in ("id", "category", "text"):
                expr = f"NULLIF(trim({expr}), '')"
            exprs[col.name] = expr
        sel = [f"{e} AS `{c}`" for c, e in exprs.items()]
        where = ""
        if name != "customers" and "customers" in bank.sources and "customer_id" in exprs:
            n_unknown = spark.sql(f"SELECT count(*) FROM (SELECT {exprs['customer_id']} AS k FROM {raw}) r "
                                  f"LEFT ANTI JOIN customers c ON r.k = c.customer_id").collect()[0][0]
            if n_unknown:
                msg = f"{label}: column 'customer_id' has {n_unknown:,} row(s) of customers not in customers"
                if unknown_customers == "fail":
                    raise DataError(msg + " (set unknown_customers: drop to drop them)")
                bank.notes.append(msg + ": dropped")
                where = " WHERE customer_id IN (SELECT customer_id FROM customers)"
        spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS "
                  f"SELECT * FROM (SELECT {', '.join(sel)} FROM {raw}){where}")
        bank.sources[name] = label
        bank.columns[name] = list(exprs)
    return bank


def open_bank(engine: str, data_dir, *, spark_master: str = "", spark_remote: str = "",
              spark_conf: dict | None = None, spark_tables: dict | None = None, **load_kwargs):
    """The contract tables on the chosen engine: a DuckDB :class:`~clientlens.data.BankData` or a :class:`SparkBank`."""
    check_engine(engine, spark_master=spark_master, spark_remote=spark_remote, spark_conf=spark_conf,
                 spark_tables=spark_tables)
    if engine == "duckdb":
        from .data import load_bank

        return load_bank(data_dir, **load_kwargs)
    spark = spark_session(master=spark_master, remote=spark_remote, conf=spark_conf)
    return open_spark_bank(spark, data_dir, spark_tables=spark_tables, **load_kwargs)


# --------------------------------------------------------------------------- the wide table

def wide_table(bank, as_of, **kwargs) -> pd.DataFrame:
    """The customer wide table on the bank's engine (same SQL, same columns, same numbers).

    A DuckDB bank runs :func:`clientlens.features.build_wide_table`; a :class:`SparkBank` runs
    the same statements transpiled to Spark SQL and collects the result (one row per customer).
    """
    from . import features

    if not isinstance(bank, SparkBank):
        return features.build_wide_table(bank, as_of, **kwargs)
    windows = kwargs.pop("windows", features.DEFAULT_WINDOWS)
    kwargs.pop("threads", None)
    kwargs.pop("memory_limit", None)
    if kwargs:
        raise ParamsError(f"unknown argument(s) for the Spark wide table: {sorted(kwargs)}")
    sdf, plan = spark_wide_frame(bank, as_of, windows=windows)
    df = to_pandas(sdf, "wide table")  # one row per customer comes to the driver
    return features._finish(df, plan)


def to_pandas(sdf, label: str = "", *, via: str | None = None) -> pd.DataFrame:
    """Collect a Spark result to the driver with DuckDB's dtypes, showing the stage's progress
    (:func:`clientlens.spark_progress.stage_progress`), e.g. ``to_pandas(spark_score(...), "scoring")``.

    ``via`` is how the rows travel (default: :func:`collect_route` of the session; see :func:`collect`).
    """
    from .spark_progress import stage_progress

    with stage_progress(sdf, label):
        return collect(sdf, via=via)


#: How results reach the driver: through Parquet files (a local session) or Arrow batches (a cluster).
COLLECT_ROUTES = ("parquet", "arrow")


def collect_route(spark) -> str:
    """``parquet`` for a local session (``local[*]``: executors and driver share the disk), else ``arrow``."""
    if type(spark).__module__.startswith("pyspark.sql.connect"):
        return "arrow"  # Spark Connect streams Arrow batches over gRPC; the client has no SparkContext
    return "parquet" if spark.sparkContext.master.startswith("local") else "arrow"


def collect(sdf, *, via: str | None = None) -> pd.DataFrame:
    """All rows of ``sdf`` as a pandas frame with DuckDB's dtypes, in the frame's order.

    * ``parquet`` (a local session's default): Spark writes the result into a temporary directory
      and the driver reads it with pyarrow. Nothing goes through ``spark.driver.maxResultSize``
      (default 1 GB: the 1M-customer wide table, 1.4 GB in Arrow, exceeded it and the transfer
      failed), and the JVM holds no second copy of the result.
    * ``arrow`` (a cluster's or Spark Connect's default: its executors cannot write to the driver's
      disk): ``toPandas`` with Arrow; the result counts against the cluster's
      ``spark.driver.maxResultSize``. When it is exceeded this stops with a one-line message saying
      what to set (``spark_conf``), instead of Spark's exception in the result-transfer socket.

    Both routes give the same frame (same columns, dtypes, rows and order; tested).
    """
    via = via or collect_route(sdf.sparkSession)
    if via not in COLLECT_ROUTES:
        raise ParamsError(f"collect via must be one of {', '.join(COLLECT_ROUTES)}; got {via!r}")
    if via == "parquet":
        return _like_duckdb(_collect_via_parquet(sdf), sdf.schema)
    try:
        pdf = sdf.toPandas()
    except Exception as exc:  # PySpark raises its own wrapper of the JVM's exception; the text names the limit
        m = re.search(r"bigger than spark\.driver\.maxResultSize \(([^)]*)\)", f"{exc}")
        if not m:
            raise
        raise ClientLensError(
            f"the result ({len(sdf.columns)} columns) is larger than spark.driver.maxResultSize ({m.group(1)}): "
            f"raise it in spark_conf (the driver needs about twice that memory, spark.driver.memory), "
            f"or keep the table in Spark (spark_wide_frame, spark_score)") from exc
    return _like_duckdb(pdf, sdf.schema)


def _collect_via_parquet(sdf) -> pd.DataFrame:
    """Spark writes ``sdf`` as Parquet into a temporary directory; pyarrow reads the part files in
    partition order (the frame's order) and PySpark's own Arrow-to-pandas conversion gives the frame
    ``toPandas`` would give."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql.pandas.conversion import _convert_arrow_table_to_pandas
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(sdf.schema, timezone="UTC")
    with tempfile.TemporaryDirectory(prefix="clientlens-collect-") as tmp:
        out = Path(tmp) / "result"
        sdf.write.parquet(str(out))
        parts = sorted(out.glob("part-*.parquet"))  # part-<partition number>-...: the frame's order
        table = pa.concat_tables([pq.read_table(p) for p in parts]) if parts else schema.empty_table()
    table = table.cast(schema)  # Spark's Arrow types (e.g. timestamps in UTC, not Parquet's INT96)
    conf = sdf.sparkSession.conf
    return _convert_arrow_table_to_pandas(
        table, sdf.schema, timezone=conf.get("spark.sql.session.timeZone"),
        struct_handling_mode=conf.get("spark.sql.execution.pandas.structHandlingMode"), date_as_object=True)


def spark_wide_frame(bank: SparkBank, as_of, *, windows=None):
    """The wide table as a (lazy) Spark DataFrame, and its plan; nothing is collected.

    Holds every SQL column of :func:`clientlens.features.build_wide_table`; the two base-wide
    columns ``aum_share`` and ``aum_pct_rank`` are added on the driver by :func:`wide_table`
    (a global rank would move the whole table to one Spark task). Use it to score or
    aggregate in Spark (e.g. ``createOrReplaceTempView("scoring_base")`` for the SQL scorecard).
    """
    from . import features

    for t in ("customers", "transactions"):
        if not bank.has(t):
            raise DataError(f"{bank.data_dir}: table '{t}' is required for the wide table")
    plan = features.wide_table_sql(bank, as_of, windows=windows or features.DEFAULT_WINDOWS)
    return bank.spark.sql(to_spark_sql(features.plan_sql(plan))), plan


def _like_duckdb(df: pd.DataFrame, schema) -> pd.DataFrame:
    """Give a collected Spark frame the dtypes DuckDB's ``.df()`` gives the same columns."""
    for f in schema.fields:
        t = f.dataType.typeName()
        if t == "date":
            df[f.name] = pd.to_datetime(df[f.name]).astype("datetime64[us]")
        elif t in ("long", "integer") and df[f.name].dtype == object:
            df[f.name] = df[f.name].astype("float64")
    return df.copy()  # one block per dtype again (the casts above fragment the frame)


# --------------------------------------------------------------------------- scoring in Spark

def spark_score(scorecard, base, *, id_columns=("customer_id",), points_columns: bool = False):
    """Score ``base`` in Spark with the SQL scorecard (:func:`clientlens.scorecard_sql.scorecard_sql`).

    The model is fitted on the driver; the base is scored where it lives. The scoring SQL is
    the one :mod:`clientlens.scorecard_sql` writes for the warehouse, transpiled by
    :func:`to_spark_sql` (one source, no Spark copy), so the scores equal Python's
    ``scorecard.score`` to 1e-9 points.

    Parameters
    ----------
    scorecard : clientlens.scoring.ResponseScorecard
        A fitted scorecard.
    base : pyspark.sql.DataFrame
        One row per customer with the model variables (e.g. :func:`spark_wide_frame`).
    id_columns : sequence of str
        Columns passed through.
    points_columns : bool
        Also return each variable's points (``points_<variable>``).

    Returns
    -------
    pyspark.sql.DataFrame
        Lazy: ``<id columns>[, points_<variable>...], score``; collect it with :func:`to_pandas`
        (``to_pandas(spark_score(...), "scoring")`` shows the progress) or write it to a table.
    """
    import uuid

    from .scorecard_sql import scorecard_sql

    view = "_clientlens_scoring_base_" + uuid.uuid4().hex[:12]
    missing = [c for c in [*id_columns, *scorecard.variables_] if c not in base.columns]
    if missing:
        raise DataError(f"scoring base: column '{missing[0]}' is missing (the scorecard needs "
                        f"{', '.join(scorecard.variables_)})")
    base.createOrReplaceTempView(view)
    sql = scorecard_sql(scorecard, table=view, id_columns=id_columns, points_columns=points_columns)
    return base.sparkSession.sql(to_spark_sql(sql))


# --------------------------------------------------------------------------- per-bin counts in Spark

def spark_bin_counts(binner, base, variables=None, target: str | None = None) -> pd.DataFrame:
    """Rows and events per bin of ``base`` (a Spark DataFrame), counted in Spark on the fitted bins.

    The binning is fitted on the driver; a sample or base that lives in Spark is counted there with
    :func:`clientlens.binning.bin_count_sql` (the scoring SQL's bin ``CASE``, transpiled: one source),
    and only the counts (a few rows per variable) come to the driver, equal to
    :func:`clientlens.binning.bin_counts` of the same rows. Use them for WOE/IV tables (``target``: a
    0/1 column) or for PSI/CSI against the development sample (:func:`clientlens.binning.psi_from_counts`).
    """
    import uuid

    from .binning import sql_bin_counts

    binner._check_fitted()
    variables = binner.selected_ if variables is None else list(variables)
    missing = [c for c in [*variables, *([target] if target else [])] if c not in base.columns]
    if missing:
        raise DataError(f"bin counts: column '{missing[0]}' is missing from the Spark frame")
    from .spark_progress import stage_progress

    view = "_clientlens_bin_base_" + uuid.uuid4().hex[:12]
    base.createOrReplaceTempView(view)
    try:
        with stage_progress(base, "bin counts"):
            return sql_bin_counts(binner, _SparkCon(base.sparkSession), view, variables, target)
    finally:
        base.sparkSession.catalog.dropTempView(view)
