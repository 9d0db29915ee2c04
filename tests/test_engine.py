"""engine: duckdb | spark (issue 16): one SQL source, the same numbers on both engines.

The equality tests run the DuckDB wide table and its SQLGlot transpilation on a local Spark
(``local[2]``, 2 shuffle partitions) on the 3k demo bank. They skip with the install hint when
the ``spark`` extra is absent and with a clear reason when Java 17+ is absent.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientlens import ClientLensError, ParamsError, engine

AS_OF = "2026-10-31"


def _skip_without_spark():
    if not engine.spark_available():
        pytest.skip(engine.INSTALL_HINT)
    jv = engine.java_version()
    if jv is None or jv < engine.MIN_JAVA:
        pytest.skip(f"engine: spark needs Java 17 or 21 on PATH or JAVA_HOME; found {jv or 'none'}")


@pytest.fixture(scope="session")
def spark():
    """One local Spark for every equality test of the session (JVM start-up is the slow part)."""
    _skip_without_spark()
    session = engine.spark_session(master="local[2]", conf={"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()  # never leave a JVM behind


@pytest.fixture
def stage_labels(monkeypatch):
    """The labels of the progress stages the library opens (SparkProgress replaced by a recorder)."""
    from clientlens import spark_progress
    from test_spark_progress import StageRecorder

    monkeypatch.setattr(spark_progress, "SparkProgress", StageRecorder)
    StageRecorder.labels = []
    return StageRecorder.labels


def assert_same_frame(a: pd.DataFrame, b: pd.DataFrame, key: str, rtol: float = 1e-9) -> None:
    """Identical keys, columns and integer/text values; floats equal to ``rtol`` relative (NaN == NaN)."""
    assert list(a.columns) == list(b.columns)
    assert a[key].tolist() == b[key].tolist()
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            xa, ya = x.to_numpy(dtype="float64"), y.to_numpy(dtype="float64")
            assert np.array_equal(np.isnan(xa), np.isnan(ya)), c
            ok = ~np.isnan(xa)
            np.testing.assert_allclose(xa[ok], ya[ok], rtol=rtol, atol=0, err_msg=c)
        else:
            assert x.dtype == y.dtype, (c, x.dtype, y.dtype)
            assert x.fillna("<NA>").tolist() == y.fillna("<NA>").tolist(), c


# --------------------------------------------------------------------------- parameters (no Spark needed)

def test_check_engine_names_the_valid_engines():
    assert engine.check_engine("duckdb") == "duckdb"
    with pytest.raises(ParamsError, match="engine must be one of duckdb, spark; got 'polars'"):
        engine.check_engine("polars")
    with pytest.raises(ParamsError, match="not both"):
        engine.check_engine("duckdb", spark_master="yarn", spark_remote="sc://h:15002")
    with pytest.raises(ParamsError, match="sc://host:port"):
        engine.check_engine("duckdb", spark_remote="http://h")
    with pytest.raises(ParamsError, match="unknown table"):
        engine.check_engine("duckdb", spark_tables={"txns": "db.txns"})


def test_engine_spark_without_the_extra_says_how_to_install(monkeypatch):
    monkeypatch.setattr(engine, "spark_available", lambda: False)
    with pytest.raises(ClientLensError) as info:
        engine.check_engine("spark")
    assert str(info.value) == engine.INSTALL_HINT and "make spark" in str(info.value)


def test_run_with_engine_spark_without_the_extra_stops_before_a_kernel(monkeypatch, capsys, demo_small, tmp_path):
    from test_data import run_cli

    monkeypatch.setattr(engine, "spark_available", lambda: False)
    rc, out, err = run_cli(capsys, "run", "01_profile", "-p", "engine=spark", "-p", f"data_dir={demo_small}",
                           "--reports-dir", tmp_path / "r")
    assert rc == 2 and err == f"clientlens: error: {engine.INSTALL_HINT}\n"
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").rglob("*.html"))


def test_to_spark_sql_refuses_duckdb_only_constructs():
    for sql, what in [("SELECT * FROM t QUALIFY row_number() OVER (ORDER BY a) = 1", "QUALIFY"),
                      ("SELECT CAST(x AS HUGEINT) FROM t", "HUGEINT"),
                      ("SELECT list_transform(xs, x -> x + 1) FROM t", "list functions")]:
        with pytest.raises(ClientLensError, match=what):
            engine.to_spark_sql(sql)


def test_wide_table_sql_transpiles_to_spark_without_duckdb_spellings(demo_small):
    pytest.importorskip("sqlglot", reason=engine.INSTALL_HINT)
    from clientlens.data import load_bank
    from clientlens.features import plan_sql, wide_table_sql

    sql = engine.to_spark_sql(plan_sql(wide_table_sql(load_bank(demo_small), AS_OF)))
    assert "DATEDIFF(DAY" in sql and "DATE_FORMAT(" in sql and "SHIFTLEFT(" in sql
    for duckdb_only in ("strftime", "date_diff(", "<<", '"'):
        assert duckdb_only not in sql


# --------------------------------------------------------------------------- equality on local Spark

@pytest.mark.spark
def test_spark_wide_table_and_tags_equal_duckdb_on_demo_small(spark, demo_small, stage_labels):
    from clientlens.data import load_bank
    from clientlens.tags import build_tags

    d_bank = load_bank(demo_small)
    s_bank = engine.open_spark_bank(spark, demo_small)
    assert s_bank.columns == d_bank.columns
    d = engine.wide_table(d_bank, AS_OF)
    s = engine.wide_table(s_bank, AS_OF)
    assert len(d) == 3_000 and stage_labels == ["wide table"]   # progress lines on Spark only
    assert_same_frame(d, s, "customer_id")
    # tags are rules over the wide table on the driver: identical
    assert_same_frame(build_tags(d), build_tags(s), "customer_id", rtol=0)


@pytest.mark.spark
def test_spark_unknown_customers_fail_or_drop_like_duckdb(spark, demo_small, tmp_path):
    from clientlens import DataError

    bank = tmp_path / "bank"
    bank.mkdir()
    for f in demo_small.glob("*.parquet"):
        df = pd.read_parquet(f)
        if f.stem == "transactions":
            df = pd.concat([df, df.head(2).assign(customer_id="NOBODY")], ignore_index=True)
        df.to_parquet(bank / f.name, index=False)
    with pytest.raises(DataError, match="2 row"):
        engine.open_spark_bank(spark, bank)
    s_bank = engine.open_spark_bank(spark, bank, unknown_customers="drop")
    assert any("dropped" in n for n in s_bank.notes)
    assert spark.sql("SELECT count(*) FROM transactions WHERE customer_id = 'NOBODY'").collect()[0][0] == 0


@pytest.mark.spark
@pytest.mark.slow
def test_run_01_profile_on_spark_writes_the_duckdb_artefacts(demo_small, tmp_path):
    """`clientlens run 01_profile -p engine=spark` renders; its wide and tags artefacts equal DuckDB's."""
    _skip_without_spark()
    from clientlens import runner

    arts = {}
    for eng in ("duckdb", "spark"):
        reports = tmp_path / eng
        res = runner.run_notebook("01_profile", overrides={"data_dir": str(demo_small), "engine": eng,
                                                           "spark_master": "local[2]",
                                                           "spark_conf": {"spark.sql.shuffle.partitions": 2}},
                                  reports_dir=reports, progress=False)
        assert res.status == "ok", res.error
        files = next(f for f in reports.rglob("tags.parquet") if "_cache" not in f.parts).parent  # the report's own
        arts[eng] = {a: pd.read_parquet(files / f"{a}.parquet") for a in ("wide", "tags")}
    for a in ("wide", "tags"):
        assert_same_frame(arts["duckdb"][a], arts["spark"][a], "customer_id_masked")


@pytest.mark.spark
def test_sql_scorecard_scores_the_demo_base_on_spark_identically_to_python(spark, demo_small, stage_labels):
    """The response scorecard fitted on the driver scores the Spark wide table (the warehouse SQL,
    transpiled) with the Python scores to 1e-9 points, for every customer of the 3k demo."""
    import warnings

    from clientlens.data import load_bank
    from clientlens.scoring import fit_response_model

    d_bank = load_bank(demo_small)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_response_model(d_bank, ["WM2025", "CC2026", "FD2026"], fit_challenger=False, random_state=42,
                                   binner_params={"keep_suspicious": True})
    sc = model["scorecard"]
    base = engine.wide_table(d_bank, AS_OF)
    sdf, _ = engine.spark_wide_frame(engine.open_spark_bank(spark, demo_small), AS_OF)
    got = engine.to_pandas(engine.spark_score(sc, sdf, points_columns=True).orderBy("customer_id"), "scoring")
    assert stage_labels == ["scoring"]
    assert got["customer_id"].tolist() == base["customer_id"].tolist() and len(got) == 3_000
    assert np.max(np.abs(got["score"].to_numpy() - sc.score(base))) < 1e-9
    assert [c for c in got.columns if c.startswith("points_")] == [f"points_{v}" for v in sc.variables_]
    with pytest.raises(ClientLensError, match="column 'investment_share' is missing"):
        engine.spark_score(sc, sdf.drop("investment_share"))


@pytest.mark.spark
def test_spark_rfm_summary_equals_duckdb_on_demo_small(spark, demo_small, stage_labels):
    """RFM summaries (clientlens.clv, one SQL source) on Spark: identical customers, counts and notes,
    frequency / recency / T and money equal (exact DECIMAL(38, 0) sums on both engines), daily with a
    calibration / holdout split and monthly without."""
    from clientlens.clv import rfm_summary
    from clientlens.data import load_bank

    d_bank, s_bank = load_bank(demo_small), engine.open_spark_bank(spark, demo_small)
    for kw in ({"period": "day", "calibration_end": "2026-04-30"}, {"period": "month"}):
        d, s = rfm_summary(d_bank, as_of=AS_OF, **kw), rfm_summary(s_bank, as_of=AS_OF, **kw)
        assert d.counts == s.counts and d.notes == s.notes and d.counts["customers"] > 2000
        assert stage_labels[-1] == "RFM summary"
        assert_same_frame(d.table.reset_index(), s.table.reset_index(), "customer_id")
        assert (d.holdout_daily is None) == (s.holdout_daily is None)
        if d.holdout_daily is not None:
            assert_same_frame(d.holdout_daily, s.holdout_daily, "date")


# --------------------------------------------------------------------------- event rules and campaign management

EVENT_WINDOW = ("2026-08-03", AS_OF)   # 07's default back-test (history_days: 90)


def _event_rules():
    from clientlens.config import PARAMS_DIR
    from clientlens.params import load_params_file

    return load_params_file(PARAMS_DIR / "default.yaml")["07_event_triggers"]["event_rules"]


class _RecordingCon:
    """A DuckDB connection that records the statements run on it."""

    def __init__(self, con):
        self._con, self.sql = con, []

    def execute(self, sql, *args):
        self.sql.append(sql)
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_event_rules_sql_transpiles_to_spark_without_duckdb_spellings(demo_small):
    """Every statement of the daily event job (all eight rules and the cooldown's warm-up) is in the
    portable subset: to_spark_sql accepts it and no DuckDB-only spelling is left."""
    pytest.importorskip("sqlglot", reason=engine.INSTALL_HINT)
    from clientlens.data import load_bank
    from clientlens.events import EVENTS, run_daily_job

    bank = load_bank(demo_small)
    bank.con = rec = _RecordingCon(bank.con)
    _, kept = run_daily_job(bank, *EVENT_WINDOW, _event_rules())
    assert sorted(kept["event"].unique()) == sorted(EVENTS)
    rules_sql = [s for s in rec.sql if "AS event" in s]
    assert len(rules_sql) == 2 * len(EVENTS)   # the window and the warm-up
    for sql in rules_sql:
        out = engine.to_spark_sql(sql)
        for duckdb_only in ("range(DATE", "unnest([", "date_diff(", "WINDOW c", "$"):
            assert duckdb_only not in out


@pytest.mark.spark
def test_spark_event_tasks_equal_duckdb_on_demo_small(spark, demo_small, stage_labels):
    """The daily event job (every rule, 07's params, 90-day back-test with the cooldown's warm-up) on
    Spark from the same SQL: identical rule hits and events after the cooldown (keys, rule, day, counts;
    amounts to 1e-9), and campaign management on the driver gives identical tasks and funnel counts."""
    from clientlens.data import load_bank
    from clientlens.events import EVENTS, campaign_tasks, rule_hits, run_daily_job
    from clientlens.offers import Catalogue

    rules = _event_rules()
    d_bank, s_bank = load_bank(demo_small), engine.open_spark_bank(spark, demo_small)
    (d_trig, d_kept), (s_trig, s_kept) = (run_daily_job(b, *EVENT_WINDOW, rules) for b in (d_bank, s_bank))
    assert sorted(d_kept["event"].unique()) == sorted(EVENTS) and rule_hits(d_trig).sum() > len(d_kept) > 1_000
    assert stage_labels == ["event rules", "event rules"]   # the window and the warm-up, on Spark only
    for d, s in ((d_trig, s_trig), (d_kept, s_kept)):
        assert d.attrs == s.attrs
        assert_same_frame(d, s, "customer_id")
        assert d.groupby("event").size().to_dict() == s.groupby("event").size().to_dict()
    catalogue = Catalogue.from_params()
    d_tasks = campaign_tasks(d_kept, d_bank.df("customers"), rules, catalogue=catalogue)
    s_tasks = campaign_tasks(s_kept, s_bank.df("customers"), rules, catalogue=catalogue)
    assert d_tasks.attrs["funnel"] == s_tasks.attrs["funnel"] and d_tasks.attrs["funnel"]["unsuitable"] > 0
    assert len(d_tasks) > 1_000
    assert_same_frame(d_tasks, s_tasks, "customer_id_masked")


# --------------------------------------------------------------------------- per-bin counts (binning, PSI / CSI)

BIN_VARIABLES = ["amt_out_90d", "income_monthly", "days_since_last_out", "n_online_90d", "risk_appetite", "city",
                 "occupation", "education"]


@pytest.fixture(scope="module")
def fitted_binning(demo_small):
    """A WOE binning of numerical and categorical variables fitted on the driver (the campaign sample)."""
    import warnings

    from clientlens.binning import WoeBinner, campaign_samples
    from clientlens.data import load_bank

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = campaign_samples(load_bank(demo_small), ["WM2025", "CC2026"], comparison="base", as_of=AS_OF)
        binner = WoeBinner(variables=BIN_VARIABLES, keep_suspicious=True).fit(samples.X_dev, samples.y_dev)
    return binner, samples


def test_sql_bin_counts_equal_the_binners_counts_on_duckdb(fitted_binning):
    """The bin-count SQL (one source for both engines) on DuckDB: the fitted binning's own event and
    non-event counts per bin on its development sample, and the PSI of 02 from the counts alone."""
    from clientlens import binning as B
    from clientlens.data import connect

    binner, s = fitted_binning
    con = connect()
    con.register("dev", s.X_dev.assign(target=s.y_dev))
    got = B.sql_bin_counts(binner, con, "dev", BIN_VARIABLES, target="target")
    pd.testing.assert_frame_equal(got, B.bin_counts(binner, s.X_dev, BIN_VARIABLES, y=s.y_dev))
    for v in BIN_VARIABLES:
        g, vb = got[got["variable"] == v], binner.binnings_[v]
        assert g["events"].tolist() == [*vb.n_event.astype(int).tolist(), 0], v
        assert (g["count"] - g["events"]).tolist() == [*vb.n_nonevent.astype(int).tolist(), 0], v
    assert {binner.binnings_[v].dtype for v in BIN_VARIABLES} == {"numerical", "categorical"}
    summary, tables = B.psi_from_counts(got, B.bin_counts(binner, s.X_cmp, BIN_VARIABLES))
    pd.testing.assert_frame_equal(summary, B.variable_psi(binner, s.X_dev, s.X_cmp, BIN_VARIABLES))
    pd.testing.assert_frame_equal(tables["city"], B.psi_table(binner, "city", s.X_dev, s.X_cmp))


@pytest.mark.spark
def test_spark_bin_counts_and_psi_equal_pandas_on_demo_small(spark, demo_small, fitted_binning, stage_labels):
    """Per-bin counts computed by Spark SQL: events per bin of the development sample equal the binning's,
    the base's counts (the Spark wide table) equal pandas' on the DuckDB wide table, so PSI/CSI are equal."""
    from clientlens import binning as B
    from clientlens.data import load_bank

    binner, s = fitted_binning
    dev = spark.createDataFrame(s.X_dev[BIN_VARIABLES].assign(target=s.y_dev.astype("int64")))
    got = engine.spark_bin_counts(binner, dev, BIN_VARIABLES, target="target")
    pd.testing.assert_frame_equal(got, B.bin_counts(binner, s.X_dev, BIN_VARIABLES, y=s.y_dev))
    base_sdf, _ = engine.spark_wide_frame(engine.open_spark_bank(spark, demo_small), AS_OF)
    base = engine.wide_table(load_bank(demo_small), AS_OF)
    s_base = engine.spark_bin_counts(binner, base_sdf, BIN_VARIABLES)
    pd.testing.assert_frame_equal(s_base, B.bin_counts(binner, base, BIN_VARIABLES))
    assert s_base.groupby("variable")["count"].sum().eq(3_000).all()
    assert stage_labels == ["bin counts", "bin counts"]
    summary, _ = B.psi_from_counts(got, s_base)
    pd.testing.assert_frame_equal(summary, B.variable_psi(binner, s.X_dev, base, BIN_VARIABLES))


# --------------------------------------------------------------------------- results to the driver

@pytest.fixture
def tiny_max_result_size(spark):
    """``spark.driver.maxResultSize`` of the running local Spark lowered to 1 MB (Spark's minimum) for
    one test, then restored: the 3k wide table (about 4 MB in Arrow) exceeds it, as the 1M-customer
    wide table (1.4 GB) exceeded the default 1 GB. The scheduler reads the setting for each new job."""
    conf = spark.sparkContext._jsc.sc().conf()
    before = conf.getOption("spark.driver.maxResultSize")
    conf.set("spark.driver.maxResultSize", "1m")
    yield
    if before.isDefined():
        conf.set("spark.driver.maxResultSize", before.get())
    else:
        conf.remove("spark.driver.maxResultSize")


@pytest.mark.spark
def test_collect_via_parquet_gives_the_frame_topandas_gives(spark, demo_small):
    bank = engine.open_spark_bank(spark, demo_small)
    sdf, _ = engine.spark_wide_frame(bank, AS_OF)
    assert engine.collect_route(spark) == "parquet"   # a local session's default
    arrow = engine.collect(sdf, via="arrow")
    parquet = engine.collect(sdf, via="parquet")
    assert len(parquet) == 3_000 and parquet["customer_id"].is_monotonic_increasing   # the frame's order
    pd.testing.assert_frame_equal(parquet, arrow)   # same columns, dtypes, values and row order
    empty = sdf.limit(0)
    pd.testing.assert_frame_equal(engine.collect(empty, via="parquet"), engine.collect(empty, via="arrow"))
    with pytest.raises(ParamsError, match="parquet, arrow"):
        engine.collect(sdf, via="rows")


@pytest.mark.spark
def test_local_wide_table_survives_a_small_max_result_size(spark, demo_small, tiny_max_result_size):
    """The 1M-customer failure at 3k: the Arrow transfer stops with a message naming the setting;
    a local session's wide table comes through Parquet, which the limit does not apply to."""
    bank = engine.open_spark_bank(spark, demo_small)
    sdf, _ = engine.spark_wide_frame(bank, AS_OF)
    with pytest.raises(ClientLensError, match=r"larger than spark.driver.maxResultSize \(1024.0 KiB\): raise it in spark_conf"):
        engine.collect(sdf, via="arrow")
    wide = engine.wide_table(bank, AS_OF)
    assert len(wide) == 3_000
