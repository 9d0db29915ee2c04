"""The runner end to end (issue 2, item 5): dated HTML reports without code, manifest, provenance
block, index, refusal to overwrite, failure handling, params validated before any kernel starts.

Notebook runs start a kernel (~3-5 s each), so the end-to-end checks are grouped into few runs.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from clientlens import ClientLensError, ParamsError, config
from clientlens import runner
from test_data import run_cli, tree_hashes, write_notebook, write_tiny_bank

AS_OF = "2026-10-31"


def _body(html: str) -> str:
    """The page body without <style>/<script> (CSS mentions prompt classes)."""
    body = html[html.index("<body"):]
    body = re.sub(r"<style.*?</style>", "", body, flags=re.S)
    return re.sub(r"<script.*?</script>", "", body, flags=re.S)


def _assert_no_code(html: str, source_fragments=()) -> None:
    body = _body(html)
    assert "jp-InputPrompt" not in body and "jp-OutputPrompt" not in body
    assert "In&nbsp;[" not in body and "In [" not in body
    assert "jp-CodeMirrorEditor" not in body and 'class="highlight' not in body
    for frag in source_fragments:
        assert frag not in body, frag


@pytest.fixture()
def setup(tmp_path):
    bank = write_tiny_bank(tmp_path / "bank")
    nb = write_notebook(tmp_path / "nb" / "01_tiny.ipynb")
    return {"bank": bank, "nb": nb, "reports": tmp_path / "reports", "tmp": tmp_path}


def _run(capsys, s, *extra):
    return run_cli(capsys, "run", s["nb"], "-p", f"data_dir={s['bank']}", "--reports-dir", s["reports"],
                   "--no-progress", *extra)


@pytest.mark.slow
def test_report_manifest_index_then_refusal_then_failure_keeps_good_report(setup, capsys):
    s = setup
    day = s["reports"] / AS_OF
    # 1. a good run
    rc, out, err = _run(capsys, s, "-p", "k=7")
    assert rc == 0, err
    html_path = day / "01_tiny.html"
    html = html_path.read_text(encoding="utf-8")
    _assert_no_code(html, ["SOURCE_CODE_MARKER_XYZ", "load_bank(", "planted failure"])
    assert "customers counted: 3" in html                      # the output is there
    assert "Provenance" in html and "Git commit" in html and "clientlens " in html
    assert "customers.csv" in html and "transactions.csv" in html   # data fingerprints listed
    assert "id_salt" not in html
    assert (day / "01_tiny.ipynb").exists()
    assert (day / "01_tiny_files" / "artefact.txt").read_text() == "k=7"
    manifest = json.loads((day / "01_tiny.manifest.json").read_text())
    for key in ("params", "clientlens_version", "git_commit", "git_dirty", "inputs", "started_at", "ended_at",
                "duration_s", "status", "error", "as_of", "notebook"):
        assert key in manifest, key
    assert manifest["status"] == "ok" and manifest["error"] is None
    assert manifest["params"]["k"] == 7 and manifest["params"]["data_dir"] == str(s["bank"])
    assert manifest["overrides"] == {"k": 7, "data_dir": str(s["bank"])}
    assert manifest["inputs"]["customers.csv"] == tree_hashes(s["bank"])["customers.csv"]
    assert manifest["outputs"]["files"] == ["artefact.txt"]
    index = (s["reports"] / "index.html").read_text(encoding="utf-8")
    assert f"href='{AS_OF}/01_tiny.html'" in index and f"href='{AS_OF}/01_tiny.manifest.json'" in index
    assert ">ok<" in index
    assert not list(day.glob(".staging-*")) and not list(day.glob(".*.tmp"))
    good = tree_hashes(day)

    # 2. refused without --force: exit 2, one line, nothing touched
    rc, out, err = _run(capsys, s)
    assert rc == 2
    assert err.strip() == f"clientlens: error: {html_path} already exists; use --force to overwrite it"
    assert tree_hashes(day) == good

    # 3. a failing run with --force: exit 1, FAILED report, earlier good report byte-identical
    rc, out, err = _run(capsys, s, "--force", "-p", "fail=true")
    assert rc == 1
    assert "AssertionError: planted failure for the test" in err
    after = tree_hashes(day)
    for name in good:   # every file of the good run, its manifest included, is byte-identical
        assert after[name] == good[name], name
    failed = (day / "01_tiny.FAILED.html").read_text(encoding="utf-8")
    body = _body(failed)
    top = body.index("FAILED: this report did not complete")
    assert top < body.index("Test report")                     # error at the top of the page
    assert "planted failure for the test" in body[top:top + 2000]
    assert "Provenance" in body
    manifest = json.loads((day / "01_tiny.FAILED.manifest.json").read_text())   # the failure's own manifest
    assert manifest["status"] == "failed" and "planted failure" in manifest["error"]
    assert manifest["last_ok_report"] == "01_tiny.html"
    index = (s["reports"] / "index.html").read_text(encoding="utf-8")
    assert f"href='{AS_OF}/01_tiny.FAILED.html'" in index and ">failed<" in index and "last good report" in index

    # 4. a later success removes the stale FAILED files
    rc, out, err = _run(capsys, s, "--force")
    assert rc == 0, err
    assert not (day / "01_tiny.FAILED.html").exists() and not (day / "01_tiny.FAILED.ipynb").exists()
    assert not (day / "01_tiny.FAILED.manifest.json").exists()
    assert (day / "01_tiny_files" / "artefact.txt").read_text() == "k=3"
    assert json.loads((day / "01_tiny.manifest.json").read_text())["status"] == "ok"


def test_unknown_param_exits_2_listing_valid_keys_before_kernel(setup, capsys):
    rc, out, err = _run(capsys, setup, "-p", "kk=1")
    assert rc == 2
    assert err.strip() == ("clientlens: error: 01_tiny: unknown parameter 'kk' (override); valid keys: as_of, "
                           "column_map, data_dir, fail, k, output_dir, reports_dir, unknown_customers, value_map")
    assert not setup["reports"].exists()


def test_wrong_type_param_exits_2_before_kernel(setup, capsys):
    rc, out, err = _run(capsys, setup, "-p", "k=three")
    assert rc == 2 and err.strip() == "clientlens: error: 01_tiny: parameter 'k' must be int; got str 'three'"
    rc, out, err = _run(capsys, setup, "-p", "fail=1")
    assert rc == 2 and "parameter 'fail' must be bool; got int 1" in err
    assert not setup["reports"].exists()


def test_params_file_unknown_key_and_bad_yaml_exit_2(setup, capsys):
    pf = setup["tmp"] / "p.yaml"
    pf.write_text("common:\n  seed: 1\n01_tiny:\n  k_max: 3\n")
    rc, out, err = _run(capsys, setup, "--params", pf)
    assert rc == 2 and "unknown parameter 'k_max' (params file section '01_tiny'); valid keys: as_of," in err
    pf.write_text("common: [unclosed\n")
    rc, out, err = _run(capsys, setup, "--params", pf)
    assert rc == 2 and "not valid YAML" in err and len(err.strip().splitlines()) == 1
    rc, out, err = _run(capsys, setup, "--params", setup["tmp"] / "missing.yaml")
    assert rc == 2 and "params file not found" in err


def test_bad_as_of_and_timeout_exit_2(setup, capsys):
    rc, out, err = _run(capsys, setup, "--as-of", "2026-02-30")
    assert rc == 2 and "--as-of must be a date YYYY-MM-DD; got '2026-02-30'" in err
    rc, out, err = _run(capsys, setup, "--timeout", "0")
    assert rc == 2 and "--timeout must be > 0 seconds" in err


def test_as_of_precedence_cli_then_params_then_notebook_default(setup):
    nb, bank, reports = setup["nb"], setup["bank"], setup["reports"]
    pf = setup["tmp"] / "p.yaml"
    pf.write_text("common:\n  as_of: 2026-06-30\n  data_dir: %s\n" % bank)
    plan = runner.plan_run(nb, overrides={"data_dir": str(bank)}, reports_dir=reports)
    assert plan.as_of == AS_OF and plan.html_path == reports.resolve() / AS_OF / "01_tiny.html"
    plan = runner.plan_run(nb, params_file=pf, reports_dir=reports)
    assert plan.as_of == "2026-06-30" and plan.params["as_of"] == "2026-06-30"
    plan = runner.plan_run(nb, params_file=pf, as_of="2026-03-31", reports_dir=reports)
    assert plan.as_of == "2026-03-31" and plan.params["as_of"] == "2026-03-31"
    assert set(plan.fingerprints) == {"customers.csv", "transactions.csv"}


def test_run_all_validates_every_notebook_before_running_any(setup, capsys):
    folder = setup["nb"].parent
    write_notebook(folder / "02_other.ipynb", params='k: int = 1  # k\ndata_dir: str = "x"  # data')
    with pytest.raises(ParamsError, match="unknown parameter 'nope' \\(override\\); valid keys: as_of"):
        runner.run_all(notebooks=[folder / "01_tiny.ipynb", folder / "02_other.ipynb"],
                       overrides={"nope": 1}, reports_dir=setup["reports"])
    # 02_other's data_dir does not exist: the whole run-all stops before any kernel
    with pytest.raises(ClientLensError, match="data folder not found"):
        runner.run_all(notebooks=[folder / "01_tiny.ipynb", folder / "02_other.ipynb"],
                       reports_dir=setup["reports"])
    assert not setup["reports"].exists()


@pytest.mark.slow
def test_run_all_continues_after_a_failure_and_returns_1(setup, capsys, monkeypatch):
    folder = setup["nb"].parent
    write_notebook(folder / "02_boom.ipynb", body="raise ValueError('boom in 02')")
    write_notebook(folder / "03_after.ipynb", body="print('after the failure')")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", folder)
    rc, out, err = run_cli(capsys, "run-all", "-p", f"data_dir={setup['bank']}", "--reports-dir", setup["reports"],
                           "--no-progress")
    assert rc == 1
    day = setup["reports"] / AS_OF
    assert (day / "01_tiny.html").exists() and (day / "03_after.html").exists()
    assert (day / "02_boom.FAILED.html").exists() and not (day / "02_boom.html").exists()
    assert "2 ok, 1 failed" in out
    index = (setup["reports"] / "index.html").read_text()
    assert index.count("<tr><td>") == 3 and "3 report(s), 1 failed" in index


def test_resolve_notebook_by_stem_prefix_and_path(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    write_notebook(folder / "00_a.ipynb")
    write_notebook(folder / "01_b.ipynb")
    (folder / "scratch.ipynb").write_text("{}")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", folder)
    assert runner.resolve_notebook("01_b") == (folder / "01_b.ipynb").resolve()
    assert runner.resolve_notebook("01_b.ipynb") == (folder / "01_b.ipynb").resolve()
    assert runner.resolve_notebook("00") == (folder / "00_a.ipynb").resolve()
    assert runner.resolve_notebook(folder / "00_a.ipynb") == (folder / "00_a.ipynb").resolve()
    assert [p.name for p in runner.list_notebooks()] == ["00_a.ipynb", "01_b.ipynb"]
    with pytest.raises(ClientLensError, match="notebook '02_c' not found; available: 00_a, 01_b"):
        runner.resolve_notebook("02_c")


def test_index_lists_dated_runs_newest_first_with_status_and_links(tmp_path):
    for day, stem, status in (("2026-09-30", "00_x", "ok"), ("2026-10-31", "00_x", "ok"),
                              ("2026-10-31", "01_y", "failed")):
        d = tmp_path / day
        d.mkdir(exist_ok=True)
        html = f"{stem}.html" if status == "ok" else f"{stem}.FAILED.html"
        (d / html).write_text("x")
        (d / f"{stem}.manifest.json").write_text(json.dumps(
            {"stem": stem, "status": status, "duration_s": 12.5, "started_at": "t", "error": None if status == "ok"
             else "ValueError: bad", "outputs": {"html": html}}))
    (tmp_path / "_scratch").mkdir()
    page = runner.write_index(tmp_path).read_text()
    assert page.index("<h2>As of 2026-10-31") < page.index("<h2>As of 2026-09-30")
    assert page.count("latest run") == 1
    assert "href='2026-10-31/01_y.FAILED.html'" in page and "ValueError: bad" in page
    assert "href='2026-09-30/00_x.manifest.json'" in page and "12.5 s" in page
    assert "_scratch" not in page


@pytest.mark.slow
def test_data_overview_report_on_demo(demo_small, tmp_path, capsys):
    """00_data_overview end to end on the 3,000-customer demo: no code, no raw ids, provenance."""
    reports = tmp_path / "reports"
    rc, out, err = run_cli(capsys, "run", "00_data_overview", "-p", f"data_dir={demo_small}",
                           "--reports-dir", reports, "--no-progress")
    assert rc == 0, err
    html = (reports / AS_OF / "00_data_overview.html").read_text(encoding="utf-8")
    _assert_no_code(html, ["load_bank(", "report.show_table", "plt.subplots"])
    body = _body(html)
    for heading in ("Tables and row counts", "Date coverage", "Missing values", "Transactions", "Provenance"):
        assert heading in body, heading
    assert "3,000" in body and "<img" in body
    import pandas as pd

    ids = pd.read_parquet(Path(demo_small) / "customers.parquet", columns=["customer_id"])["customer_id"]
    text = re.sub(r"<img[^>]*>", "", body)  # base64 images could contain any short string by chance
    assert not any(str(i) in text for i in ids.sample(200, random_state=0)), "raw customer id in the report"
    manifest = json.loads((reports / AS_OF / "00_data_overview.manifest.json").read_text())
    assert manifest["status"] == "ok" and "customers.parquet" in manifest["inputs"]
    assert {"row_counts.parquet", "date_coverage.parquet", "missing_values.parquet"} <= set(
        manifest["outputs"]["files"])


# --------------------------------------------------------------------------- report helpers used by notebooks

def test_report_number_formats_and_table_styling():
    import pandas as pd

    from clientlens import report

    assert report.fmt_num(1234567.8) == "1,234,568" and report.fmt_num(1234, 2) == "1,234.00"
    assert report.fmt_num(float("nan")) == "–" and report.fmt_pct(0.1234) == "12.3%"
    df = pd.DataFrame({"n": [1234567, 2], "share": [0.1234, 0.5], "aum": [12345.6, 99999.1],
                       "day": pd.to_datetime(["2025-06-01", "2025-07-01"])})
    html = report.style_table(df, caption="T", percent_cols=["share"]).to_html()
    for text in ("1,234,567", "12.3%", "12,346", "99,999", "2025-06-01", ">T<"):
        assert text in html, text
    assert "00:00:00" not in html
    long = pd.DataFrame({"x": range(120)})
    assert "first 50 of 120 rows" in report.style_table(long, caption="Long").to_html()
    with pytest.raises(ClientLensError, match=r"column\(s\) \['nope'\] not in the table"):
        report.style_table(df, percent_cols=["nope"])


def test_report_verdicts_follow_the_psi_and_auc_thresholds():
    from clientlens import report

    # PSI < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted (domain brief)
    assert [report.grade(v, warn=0.1, fail=0.25) for v in (0.05, 0.1, 0.2, 0.25, 0.4)] == \
           ["PASS", "WARN", "WARN", "FAIL", "FAIL"]
    assert [report.grade(v, warn=0.7, fail=0.6, higher_is_better=True) for v in (0.75, 0.7, 0.65, 0.55)] == \
           ["PASS", "PASS", "WARN", "FAIL"]
    assert report.grade(float("nan"), warn=0.1, fail=0.25) == "WARN"
    with pytest.raises(ParamsError, match="wrong order"):
        report.grade(0.1, warn=0.25, fail=0.1)
    assert report.worst(["PASS", "WARN", "PASS"]) == "WARN" and report.worst([]) == "PASS"
    assert "FAIL" in report.badge("FAIL")
    html = report.verdict_table_html([{"check": "KS <b>", "value": 0.41234, "verdict": "PASS"}])
    assert "0.412" in html and "KS &lt;b&gt;" in html and html.index("verdict") < html.index("check")
    assert "&lt;script&gt;" in report.callout_html("<script>", kind="warning")
    with pytest.raises(ParamsError, match="kind must be one of"):
        report.callout_html("x", kind="info")


def test_report_output_dir_and_find_artifact(tmp_path, monkeypatch):
    from clientlens import report

    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    scratch = report.resolve_output_dir("", "02_binning")
    assert scratch == tmp_path / "reports" / "_scratch" / "02_binning" and scratch.is_dir()
    assert report.resolve_output_dir(tmp_path / "out", "02_binning") == tmp_path / "out"
    (scratch / "binning.pkl").write_text("s")
    root = tmp_path / "reports"
    assert report.find_artifact(root, AS_OF, "02_binning", "binning.pkl") is None
    assert report.find_artifact(root, AS_OF, "02_binning", "binning.pkl", include_scratch=True) == \
           scratch / "binning.pkl"
    dated = root / AS_OF / "02_binning_files"
    dated.mkdir(parents=True)
    (dated / "binning.pkl").write_text("d")
    assert report.find_artifact(root, AS_OF, "02_binning", "binning.pkl", include_scratch=True) == \
           dated / "binning.pkl"


def test_report_overview_summaries_on_a_tiny_bank(tmp_path):
    from clientlens import report
    from clientlens.data import load_bank

    bank = load_bank(write_tiny_bank(tmp_path / "bank"))
    counts = report.row_counts(bank).set_index("table")
    assert counts.loc["transactions", "rows"] == 4 and counts.loc["transactions", "customers"] == 3
    assert not counts.loc["campaigns", "present"]
    cov = report.date_coverage(bank, as_of="2026-09-30").set_index("column")
    assert str(cov.loc["txn_date", "first"])[:10] == "2026-01-05" and cov.loc["txn_date", "after_as_of"] == 1
    miss = report.missing_values(bank)
    assert miss[["table", "column", "missing"]].values.tolist() == [["customers", "income_monthly", 1]]
    h = report.log_histogram(bank, "transactions", "amount", bins_per_decade=1)
    # 35.2 -> [10, 100); 100 -> [100, 1000); 1250.5 -> [1000, 10^4); 9000 -> [1000, 10^4)
    assert h["count"].tolist() == [1, 1, 2] and h["lower"].round(6).tolist() == [10.0, 100.0, 1000.0]
    vc = report.value_counts(bank, "transactions", "direction", top=1)
    assert vc["direction"].tolist() == ["out", "(other)"] and vc["rows"].tolist() == [3, 1]
    assert report.customers_without_transactions(bank) == 0
    m = report.monthly_counts(bank)
    assert m["rows"].sum() == 4 and set(m["direction"]) == {"in", "out"}


@pytest.mark.slow(seconds=290)
def test_run_all_every_notebook_on_demo_small(demo_small, tmp_path, capsys, monkeypatch):
    """run-all over every notebooks/NN_*.ipynb with the default params on the 3,000-customer demo, then again in
    Chinese (issue 17's done-means: every report in en and zh, see :func:`_assert_every_report_reads_right`)."""
    import yaml

    from clientlens import i18n
    from clientlens.params import load_params_file

    monkeypatch.setenv(i18n.STRICT_ENV, "1")   # the kernels inherit it: a text without its zh entry fails a report
    merged = load_params_file(config.DEFAULT_PARAMS_FILE)
    merged.setdefault("common", {})["data_dir"] = str(demo_small)
    pf = tmp_path / "params.yaml"
    pf.write_text(yaml.safe_dump(merged, allow_unicode=True), encoding="utf-8")
    rc, out, err = run_cli(capsys, "run-all", "--params", pf, "--reports-dir", tmp_path / "reports",
                           "--no-progress", "--jobs", "2")   # two kernels at a time (the zh run below: one)
    assert rc == 0, err[-3000:]
    stems = [p.stem for p in runner.list_notebooks()]
    for stem in stems:
        html = (tmp_path / "reports" / AS_OF / f"{stem}.html").read_text(encoding="utf-8")
        _assert_no_code(html)
        assert "Provenance" in html
    # nothing in the dated report folder (reports, executed notebooks, artefacts, lists) holds a raw
    # customer id: artefacts are keyed by customer_id_masked (allow_raw_ids is false)
    import pandas as pd

    raw = set(pd.read_parquet(demo_small / "customers.parquet")["customer_id"])
    pattern = re.compile(r"C\d{8}")
    for f in sorted((tmp_path / "reports" / AS_OF).rglob("*")):
        if f.suffix == ".parquet":
            df = pd.read_parquet(f)
            assert "customer_id" not in df.columns, f.name
            for c in df.columns:
                if df[c].dtype == object or str(df[c].dtype).startswith(("str", "string")):
                    assert not set(df[c].dropna().astype(str)) & raw, (f.name, c)
        elif f.suffix in (".html", ".ipynb", ".csv", ".json"):
            found = set(pattern.findall(f.read_text(encoding="utf-8", errors="replace"))) & raw
            assert not found, (f.name, sorted(found)[:3])
    # 06 (issue 13): the verdict is out-of-time with intervals, rank order, calibration tests, stability over time
    val_html = (tmp_path / "reports" / AS_OF / "06_model_validation.html").read_text(encoding="utf-8")
    verdicts = val_html[val_html.index("Validation checks on the out-of-time sample"):]
    verdicts = verdicts[: verdicts.index("</table>")]
    for check in ("AUC (ranking power", "KS (max gap", "Lift in the top 10%", "Rank order across deciles",
                  "Hosmer-Lemeshow p-value", "Calibration slope / intercept", "Score PSI", "Largest variable CSI",
                  "Leakage review"):
        assert check in verdicts, check
    assert re.search(r"0\.\d{3} \(0\.\d{3} to 0\.\d{3}\)", verdicts)          # a value with its interval
    assert "in-time holdout" in verdicts
    over_time = val_html[val_html.index("PSI / CSI at the last 12 month-ends"):]
    over_time = over_time[: over_time.index("</table>")]
    assert "2025-11-30" in over_time and "2026-10-31" in over_time
    assert over_time.count("<tr") >= 1 + 1 + 2                # header, the score, at least two variables
    files = tmp_path / "reports" / AS_OF / "05_response_model_files"
    assert {"scored_sample.parquet", "scorecard.sql", "scorecard.json"} <= {f.name for f in files.iterdir()}
    smp = pd.read_parquet(files / "scored_sample.parquet")
    assert set(smp["sample"]) == {"development", "validation", "out_of_time"}
    assert {"customer_id_masked", "obs_date", "target", "prob", "score"} <= set(smp.columns)
    # suitability (issue 14): no list or task row pairs a customer with a product above their level; the list's
    # holdout control is a random 10% and is saved with it; the funnels count the exclusions
    from clientlens.offers import Catalogue
    from clientlens.privacy import mask_ids

    cat = Catalogue.from_params(merged["common"]["products"], merged["common"]["suitability"])
    cust = pd.read_parquet(demo_small / "customers.parquet")
    appetite = pd.Series(cust["risk_appetite"].to_numpy(), index=mask_ids(cust["customer_id"]).to_numpy())
    lst = pd.read_parquet(tmp_path / "reports" / AS_OF / "05_response_model_files" / "marketing_list.parquet")
    assert len(lst) and lst["product"].nunique() == 1
    assert cat.suitable(appetite.reindex(lst["customer_id_masked"]).to_numpy(dtype=object), lst["product"].to_numpy()).all()
    assert (lst["group"] == "control").sum() == round(0.1 * len(lst))
    tasks = pd.read_parquet(tmp_path / "reports" / AS_OF / "07_event_triggers_files" / "event_tasks_backtest.parquet")
    assert cat.suitable(appetite.reindex(tasks["customer_id_masked"]).to_numpy(dtype=object),
                        tasks["product"].to_numpy(dtype=object)).all()
    assert "unsuitable, removed" in (tmp_path / "reports" / AS_OF / "05_response_model.html").read_text(encoding="utf-8")
    strat = pd.read_parquet(tmp_path / "reports" / AS_OF / "08_strategy_files" / "strategy_lists.parquet")
    assert cat.suitable(appetite.reindex(strat["customer_id_masked"]).to_numpy(dtype=object),
                        strat["product"].to_numpy(dtype=object)).all()
    # the CLV report still joins the segments (now on masked ids)
    clv_html = (tmp_path / "reports" / AS_OF / "04_clv.html").read_text(encoding="utf-8")
    matched = re.search(r"([\d,]+) of ([\d,]+) valued customers matched", clv_html)
    assert matched and matched.group(1) == matched.group(2), matched and matched.group(0)
    _assert_masks_cannot_be_recomputed_from_reports(tmp_path / "reports", raw)
    _assert_every_report_reads_right(pf, tmp_path / "reports", stems, capsys)   # last: it may end in an xfail


def _assert_every_report_reads_right(pf: Path, reports: Path, stems: list[str], capsys) -> None:
    """Issue 17, done-means: each report rendered in en (the run above) and in zh (a second run-all on the same
    reports folder: the run cache's intermediates are reused) with CLIENTLENS_I18N_STRICT=1 in the kernels, so a
    text without its Chinese entry or a markdown cell without a current translation fails the report. On every page:
    no literal markdown, no external URL; in zh no English sentence and no snake_case column header in the visible
    text (tests/report_text.py). Reports in report_text.PENDING are still being translated: their zh failures are
    an expected failure (xfail, not strict), reported after every other check has passed."""
    import yaml
    from report_text import PENDING, english_in_zh, report_problems, user_texts

    own_words = user_texts(yaml.safe_load(Path(pf).read_text(encoding="utf-8")))

    run_cli(capsys, "run-all", "--params", pf, "-p", "language=zh", "--reports-dir", reports, "--no-progress",
            "--jobs", "1")
    _assert_same_numbers_in_both_runs(reports)
    pending = {}
    for stem in stems:
        en = (reports / AS_OF / f"{stem}.html").read_text(encoding="utf-8")
        assert not report_problems(en), (stem, report_problems(en)[:5])
        zh_dir = reports / AS_OF / "zh"
        if not (zh_dir / f"{stem}.html").exists():
            failed = json.loads((zh_dir / f"{stem}.FAILED.manifest.json").read_text(encoding="utf-8"))
            problems = [f"zh report failed: {str(failed.get('error'))[-600:]}"]
        else:
            zh = (zh_dir / f"{stem}.html").read_text(encoding="utf-8")
            assert 'lang="zh-CN"' in zh and not report_problems(zh), (stem, report_problems(zh)[:5])
            problems = english_in_zh(zh, own_words)
        if stem in PENDING:
            pending[stem] = problems
        else:
            assert not problems, (stem, problems[:10])
    if any(pending.values()):
        pytest.xfail("zh text of " + ", ".join(s for s, p in pending.items() if p) + " still being written "
                     "(tests/report_text.py PENDING): " + "; ".join(f"{s}: {p[:2]}" for s, p in pending.items() if p))


def _assert_same_numbers_in_both_runs(reports: Path) -> None:
    """The en run-all (two kernels at a time) and the zh one (one at a time) save the same numbers: every numeric
    column of the lists, scores, values and tasks (text columns are in each run's language)."""
    import pandas as pd

    day = reports / AS_OF
    for rel in ("01_profile_files/tags.parquet", "03_segmentation_files/segments.parquet", "04_clv_files/clv.parquet",
                "05_response_model_files/base_scores.parquet", "05_response_model_files/marketing_list.parquet",
                "07_event_triggers_files/event_tasks_backtest.parquet", "08_strategy_files/strategy_lists.parquet",
                "09_post_evaluation_files/treated_vs_control.parquet"):
        en, zh = pd.read_parquet(day / rel), pd.read_parquet(day / "zh" / rel)
        assert len(en) == len(zh), rel
        numeric = [c for c in en.columns if pd.api.types.is_numeric_dtype(en[c]) or c == "customer_id_masked"]
        assert len(numeric) >= 2, rel
        pd.testing.assert_frame_equal(en[numeric], zh[numeric], obj=rel)


def _assert_masks_cannot_be_recomputed_from_reports(reports: Path, raw_ids) -> None:
    """Issue 11: no file under reports/ holds the id key, and no string found there re-creates the masks."""
    import hashlib
    import hmac

    import pandas as pd

    from clientlens.privacy import id_key, mask_ids

    key = id_key()
    sample = sorted(raw_ids)[:50]
    masks = set(mask_ids(sample))
    # the kernel used the same key as this process: the saved masks are HMAC(key, raw id)
    saved = set(pd.read_parquet(reports / AS_OF / "01_profile_files" / "tags.parquet")["customer_id_masked"])
    assert masks <= saved
    candidates = {"clientlens", ""}
    for f in sorted(reports.rglob("*")):
        if not f.is_file():
            continue
        data = f.read_bytes()
        assert key not in data, f"id key in {f.name}"
        assert b"id_salt" not in data, f.name
        if f.name.endswith(".manifest.json"):
            def strings(v):
                if isinstance(v, str):
                    yield v
                elif isinstance(v, dict):
                    for x in v.values():
                        yield from strings(x)
                elif isinstance(v, list):
                    for x in v:
                        yield from strings(x)
            candidates |= set(strings(json.loads(data)))
    for c in candidates:   # neither the old salted hash nor an HMAC keyed by anything in a manifest
        k = c.encode()
        for cid in sample[:5]:
            assert "K-" + hashlib.sha256((c + "|" + cid).encode()).hexdigest()[:12] not in saved
            assert "K-" + hmac.new(k, cid.encode(), hashlib.sha256).hexdigest()[:12] not in saved


def test_file_map_lets_every_notebook_read_files_not_named_after_the_tables(demo_small, tmp_path):
    """A bank extract whose transactions file has its own (Chinese) name: file_map in `common`."""
    import shutil as _shutil

    from clientlens.runner import execute_plan, list_notebooks, plan_run

    bank = tmp_path / "bank"
    bank.mkdir()
    for f in demo_small.glob("*.parquet"):
        _shutil.copy(f, bank / ("交易流水.parquet" if f.stem == "transactions" else f.name))
    common = {"data_dir": str(bank), "file_map": {"transactions": "交易流水.parquet"}}
    plans = [plan_run(nb, file_params={"common": common}, reports_dir=tmp_path / "reports", check_data=True)
             for nb in list_notebooks()]  # params and data are validated for every notebook, no kernel yet
    assert all(p.params.get("file_map") == common["file_map"] for p in plans)
    result = execute_plan(next(p for p in plans if p.stem == "01_profile"), progress=False)
    assert result.status == "ok", result.error


def test_report_kernels_use_encrypted_sockets(setup, capfd):
    """Report kernels see customer data: their ZeroMQ sockets are CurveZMQ-encrypted (ipykernel then does
    not print its 'running over TCP without encryption' warning on every run)."""
    import zmq

    if not zmq.has("curve"):
        pytest.skip("pyzmq without CurveZMQ")
    km = runner._encrypted_kernel_manager()(kernel_name=config.KERNEL_NAME)
    assert km.transport_encryption == "auto"
    res = runner.run_notebook(setup["nb"], overrides={"data_dir": str(setup["bank"])}, reports_dir=setup["reports"],
                              progress=False)
    assert res.status == "ok"
    err = capfd.readouterr().err
    assert "without encryption" not in err
    assert "IPKernelApp" not in err and "KeyboardInterrupt" not in err   # successful runs print nothing alarming


# --------------------------------------------------------------------------- interruption and concurrency (issue 11)

SLOW_PARAMS = '''data_dir: str = "data/demo"        # folder with the contract tables
as_of: str = "2026-10-31"          # analysis date (YYYY-MM-DD)
output_dir: str = ""               # set by the runner
reports_dir: str = "reports"       # root of dated reports
sleep: float = 60.0                # seconds to sleep (tests)'''
SLOW_BODY = '''import os, time
from pathlib import Path
Path(reports_dir, "kernel_" + Path(output_dir).parent.name.split("-")[1] + ".pid").write_text(str(os.getpid()))
time.sleep(sleep)
print("slept")'''


def _project(tmp_path) -> tuple[Path, dict]:
    """A project folder (CLIENTLENS_HOME) with 01_fast, 02_slow and 03_fast notebooks and a tiny bank."""
    proj = tmp_path / "proj"
    (proj / "notebooks").mkdir(parents=True)
    (proj / "pyproject.toml").write_text("")
    write_notebook(proj / "notebooks" / "01_fast.ipynb")
    write_notebook(proj / "notebooks" / "02_slow.ipynb", params=SLOW_PARAMS, body=SLOW_BODY)
    write_notebook(proj / "notebooks" / "03_fast.ipynb")
    write_tiny_bank(proj / "bank")
    env = dict(os.environ, CLIENTLENS_HOME=str(proj), PYTHONUNBUFFERED="1")
    return proj, env


def _cli(*args) -> list[str]:
    import sys

    return [sys.executable, "-m", "clientlens.cli", *map(str, args), "--no-progress"]


def _wait_for(path: Path, proc, timeout: float = 180.0) -> None:
    import time

    t0 = time.monotonic()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, f"{path} never appeared"
        time.sleep(0.2)
    time.sleep(0.5)


def _kill_quietly(pid: int, sig=None) -> None:
    import signal

    try:
        os.kill(pid, sig or signal.SIGKILL)
    except OSError:
        pass


@pytest.mark.slow
def test_kill_9_of_run_all_midway_then_resume_gives_every_report_ok(tmp_path):
    import signal
    import subprocess

    proj, env = _project(tmp_path)
    reports = proj / "reports"
    args = ["--reports-dir", reports, "-p", f"data_dir={proj / 'bank'}"]
    p = subprocess.Popen(_cli("run-all", *args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    marker = reports / "kernel_02_slow.pid"
    try:
        _wait_for(marker, p)
    finally:
        p.send_signal(signal.SIGKILL)
        p.communicate()
        if marker.exists():
            _kill_quietly(int(marker.read_text()))
    day = reports / AS_OF
    assert (day / "01_fast.html").exists() and not (day / "02_slow.html").exists()
    assert list(day.glob(".staging-02_slow-*"))                     # what a dead run leaves behind
    runner.write_index(reports)
    index = (reports / "index.html").read_text()
    assert "INCOMPLETE" in index and "all ok" not in index            # not "1 report(s), all ok"
    first = (day / "01_fast.html").read_bytes()

    r = subprocess.run(_cli("run-all", "--resume", *args, "-p", "sleep=0"), env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    assert "2 ok, 0 failed, 1 skipped (already ok)" in r.stdout
    assert (day / "01_fast.html").read_bytes() == first              # skipped, untouched
    for stem in ("01_fast", "02_slow", "03_fast"):
        assert json.loads((day / f"{stem}.manifest.json").read_text())["status"] == "ok"
    assert not list(day.glob(".staging-*")) and not list(day.glob(".*.lock")) and not list(day.glob(".*.tmp"))
    index = (reports / "index.html").read_text()
    assert "INCOMPLETE" not in index and "3 report(s), all ok" in index and "latest run" in index
    assert json.loads((day / runner.JOURNAL).read_text())["status"] == "complete"


@pytest.mark.slow
def test_two_concurrent_runs_of_one_report_exactly_one_writes(tmp_path):
    import subprocess

    proj, env = _project(tmp_path)
    reports = proj / "reports"
    cmd = _cli("run", "02_slow", "--reports-dir", reports, "-p", f"data_dir={proj / 'bank'}", "-p", "sleep=4")
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    loser = outs[[p.returncode for p in procs].index(2)][1]
    assert ("is being written by another run" in loser or "already exists" in loser), loser
    assert len(loser.strip().splitlines()) == 1
    day = reports / AS_OF
    assert json.loads((day / "02_slow.manifest.json").read_text())["status"] == "ok"
    assert not list(day.glob(".staging-*")) and not list(day.glob(".*.lock"))
    assert not (day / "02_slow.FAILED.manifest.json").exists()


@pytest.mark.slow
def test_sigterm_marks_the_report_interrupted_and_keeps_the_good_one(tmp_path):
    import signal
    import subprocess
    import time

    proj, env = _project(tmp_path)
    reports = proj / "reports"
    base = ["--reports-dir", reports, "-p", f"data_dir={proj / 'bank'}"]
    ok = subprocess.run(_cli("run", "02_slow", *base, "-p", "sleep=0"), env=env, capture_output=True, text=True,
                        timeout=600)
    assert ok.returncode == 0, ok.stderr
    day = reports / AS_OF
    good = tree_hashes(day)
    marker = reports / "kernel_02_slow.pid"
    marker.unlink()
    p = subprocess.Popen(_cli("run", "02_slow", *base, "--force"), env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    _wait_for(marker, p)
    kernel = int(marker.read_text())
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 143, err
    assert err.strip().endswith("clientlens: error: terminated (SIGTERM)"), err
    assert "Traceback" not in err and "Task exception" not in err, err   # one line, no executor noise
    after = tree_hashes(day)
    assert all(after[k] == v for k, v in good.items())               # the good report, manifest included
    m = json.loads((day / "02_slow.FAILED.manifest.json").read_text())
    assert m["status"] == "interrupted" and "SIGTERM" in m["error"]
    index = (reports / "index.html").read_text()
    assert ">interrupted<" in index and "last good report" in index
    assert not list(day.glob(".staging-*")) and not list(day.glob(".*.lock"))
    for _ in range(50):                                                # the kernel was shut down
        try:
            os.kill(kernel, 0)
        except OSError:
            break
        time.sleep(0.2)
    else:
        _kill_quietly(kernel)
        pytest.fail("the kernel outlived the interrupted run")


@pytest.mark.slow
def test_a_report_with_a_fail_data_check_says_so_on_the_command_line(demo_small, tmp_path, capsys):
    """00_data_overview with an amount ceiling the demo exceeds: exit 0 (the report is complete), but the
    result line and the index say the report holds FAIL checks. (The demo's AUM/flow reconciliation FAILs by
    design, docs/demo-bank.md: its tolerance is set out of the way so that the ceiling is the one FAIL.)"""
    rc, out, err = run_cli(capsys, "run", "00_data_overview", "-p", f"data_dir={demo_small}", "-p",
                           "load_options={amount_ceiling: 50000}", "-p", "reconcile_warn_share=1.0", "-p",
                           "reconcile_fail_share=1.0", "--reports-dir", tmp_path / "reports", "--no-progress")
    assert rc == 0, err
    assert re.search(r"ok .*00_data_overview.*\(1 FAIL check\(s\) in the report: read them before using it\)", out), out
    m = json.loads((tmp_path / "reports" / AS_OF / "00_data_overview.manifest.json").read_text())
    assert m["fail_checks"] == 1
    assert "1 FAIL check(s)" in (tmp_path / "reports" / "index.html").read_text()
    html = (tmp_path / "reports" / AS_OF / "00_data_overview.html").read_text()
    assert "transaction amounts below the plausibility ceiling" in html


# --------------------------------------------------------------------------- parallel run-all (issue 18)

TIMED_BODY = """import json, os, time
from pathlib import Path
t0 = time.time()
time.sleep(sleep)
from clientlens import report
seen = {}
for stem in reads:
    try:
        seen[stem] = str(report.find_artifact(reports_dir, as_of, stem, "t.json"))
    except Exception as exc:
        seen[stem] = type(exc).__name__ + ": " + str(exc)
if touch:
    Path(touch).write_text("done")
while wait_for and not Path(wait_for).exists() and time.time() - t0 < 300:
    time.sleep(0.2)
out = Path(output_dir or ".")
(out / "t.json").write_text(json.dumps({"start": t0, "end": time.time(), "seen": seen,
                                        "pending": os.environ.get("CLIENTLENS_PENDING_REPORTS")}))
"""
TIMED_PARAMS = ('data_dir: str = "x"  # data\nas_of: str = "2026-10-31"  # date\nsleep: float = 3.0  # s\n'
                'reads: list = []  # reports whose t.json it looks for\noutput_dir: str = ""  # out\n'
                'reports_dir: str = "reports"  # root\ntouch: str = ""  # file written when done\n'
                'wait_for: str = ""  # file awaited before ending')


@pytest.mark.slow
def test_parallel_run_all_runs_independent_reports_together_and_dependent_ones_after(setup, capsys, monkeypatch):
    """jobs=2: 01_a and 02_b (independent) overlap in time; 03_c (reads 01_a) starts after 01_a ended and sees
    its artefact; 04_d reads 02_b without declaring it: find_artifact refuses (02_b was pending at its start:
    02_b ends only after 04_d has looked, whatever the machine's load)."""
    folder = setup["tmp"] / "pnb"
    for stem in ("01_a", "02_b", "03_c", "04_d"):
        write_notebook(folder / f"{stem}.ipynb", params=TIMED_PARAMS, body=TIMED_BODY)
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", folder)
    monkeypatch.setattr(runner, "REPORT_INPUTS", {"01_a": (), "02_b": (), "03_c": ("01_a",), "04_d": ()})
    pf = setup["tmp"] / "p.yaml"
    flag = setup["tmp"] / "d_looked"
    pf.write_text("common:\n  data_dir: %s\n01_a:\n  sleep: 10\n02_b:\n  sleep: 0\n  wait_for: %s\n03_c:\n"
                  "  sleep: 0\n  reads: [01_a]\n04_d:\n  sleep: 0\n  reads: [02_b]\n  touch: %s\n"
                  % (setup["bank"], flag, flag), encoding="utf-8")
    rc, out, err = run_cli(capsys, "run-all", "--params", pf, "--reports-dir", setup["reports"], "--no-progress",
                           "--jobs", "2")
    assert rc == 0, err
    day = setup["reports"] / AS_OF
    t = {s: json.loads((day / f"{s}_files" / "t.json").read_text()) for s in ("01_a", "02_b", "03_c", "04_d")}
    assert t["01_a"]["start"] < t["02_b"]["end"] and t["02_b"]["start"] < t["01_a"]["end"]   # together
    assert t["03_c"]["start"] > t["01_a"]["end"]
    assert t["03_c"]["seen"]["01_a"].endswith("01_a_files/t.json")
    assert "01_a" not in t["03_c"]["pending"].split(",")
    # 04_d starts as soon as a kernel is free (before 02_b ends) and may not read 02_b's earlier artefacts
    assert "02_b has not ended in this run-all" in t["04_d"]["seen"]["02_b"], t["04_d"]
    assert "4 ok, 0 failed" in out
    assert json.loads((day / runner.JOURNAL).read_text())["status"] == "complete"
    with pytest.raises(ParamsError, match="jobs must be a whole number >= 1 or 'auto'; got '0'"):
        runner.run_all(notebooks=[folder / "01_a.ipynb"], reports_dir=setup["reports"], jobs="0")


def test_report_inputs_list_every_report_whose_artefacts_a_report_reads():
    """REPORT_INPUTS (the parallel run-all's order) against the code: every report stem named in a notebook's code
    cells, or in the source of a clientlens module it imports (transitively), is among that report's inputs."""
    import importlib

    import nbformat

    lib = Path(runner.__file__).parent
    stem_re = re.compile(r"[\"'](\d\d_[a-z_]+)[\"']")

    def imports(src: str) -> set[str]:   # top-level imports (a function's own import is not followed)
        mods = set(re.findall(r"^from (?:\.|clientlens\.)(\w+) import", src, flags=re.M))
        for names in re.findall(r"^from (?:\.|clientlens) import (\([^)]*\)|[^\n]+)", src, flags=re.M):
            mods |= {n.split(" as ")[0].strip(" ()\n") for n in names.split(",")}
        return {m for m in mods if (lib / f"{m}.py").exists()}

    def reach(mods: set[str]) -> set[str]:
        seen, todo = set(), list(mods)
        while todo:
            m = todo.pop()
            if m not in seen and m not in ("runner", "cli"):
                seen.add(m)
                todo += imports((lib / f"{m}.py").read_text(encoding="utf-8"))
        return seen

    known = {p.stem for p in runner.list_notebooks()}
    for nb_path in runner.list_notebooks():
        code = "\n".join(c.source for c in nbformat.read(str(nb_path), as_version=4).cells if c.cell_type == "code")
        named = set(stem_re.findall(code))
        for m in reach(imports(code)):   # stems a module passes to find_artifact, or keeps in an ARTIFACT* table
            src = (lib / f"{m}.py").read_text(encoding="utf-8")
            for call in re.findall(r"find_artifact\(([^\n]*)", src):   # its first line of arguments
                named |= set(stem_re.findall(call))
            mod = importlib.import_module(f"clientlens.{m}")
            for name in dir(mod):
                if name.startswith("ARTIFACT"):
                    named |= set(stem_re.findall(repr(getattr(mod, name))))
        named = (named & known) - {nb_path.stem}
        assert nb_path.stem in runner.REPORT_INPUTS, nb_path.stem
        assert named <= set(runner.REPORT_INPUTS[nb_path.stem]), (nb_path.stem, sorted(named))


def test_papermill_parameter_parser_noise_is_dropped_and_other_warnings_kept(caplog):
    """`make demo` printed "Passed unknown parameter: n_tiles" for parameters the runner had checked (papermill's
    parser stops at a comment holding '='): those two messages are dropped, any other warning still shows."""
    import logging

    runner._quiet_papermill_parameter_noise()
    runner._quiet_papermill_parameter_noise()          # once only
    log = logging.getLogger("papermill")
    assert sum(isinstance(f, runner._PapermillParameterNoise) for f in log.filters) == 1
    with caplog.at_level(logging.WARNING, logger="papermill"):
        log.warning("Passed unknown parameter: n_tiles")
        logging.getLogger("papermill.translators").warning("Unable to parse line 16 'n_tiles: int = 10'.")
        log.warning("Input notebook does not contain a cell with tag 'parameters'")
    assert [r.getMessage() for r in caplog.records] == ["Input notebook does not contain a cell with tag 'parameters'"]


def test_common_engine_spark_on_a_notebook_without_it_is_stated_not_silent(tmp_path, capsys):
    """engine is a common parameter applied where declared (01_profile); 02_binning runs on DuckDB and says so
    in one line (stderr) and in the report's provenance (issue 16)."""
    plan = runner.plan_run("02_binning", file_params={"common": {"engine": "spark"}}, reports_dir=tmp_path,
                           check_data=False)
    assert (plan.engine, plan.engine_note) == ("duckdb", "engine: spark is not supported by 02_binning yet: "
                                                         "it ran on DuckDB")
    assert "clientlens: note: engine: spark is not supported by 02_binning yet" in capsys.readouterr().err
    plan = runner.plan_run("01_profile", file_params={"common": {"engine": "duckdb"}}, reports_dir=tmp_path,
                           check_data=False)
    assert (plan.engine, plan.engine_note) == ("duckdb", "")
    manifest = {"status": "ok", "notebook": "notebooks/02_binning.ipynb", "as_of": AS_OF, "engine": "duckdb",
                "engine_note": "engine: spark is not supported by 02_binning yet: it ran on DuckDB",
                "clientlens_version": "0", "python": "3", "git_commit": None, "started_at": "s", "ended_at": "e",
                "duration_s": 1.0, "params": {}}
    source = runner._provenance_cell(manifest).source
    assert "| Engine | DuckDB (engine: spark is not supported by 02_binning yet: it ran on DuckDB) |" in source
    assert "| Engine | Spark |" in runner._provenance_cell({**manifest, "engine": "spark", "engine_note": ""}).source
    from clientlens import i18n

    with i18n.using("zh"):
        zh = runner._provenance_cell(manifest).source
    assert "| 计算引擎 | DuckDB (02_binning 暂不支持 engine: spark：本次在 DuckDB 上运行) |" in zh


def test_parallel_order_without_an_earlier_run_uses_typical_durations(tmp_path):
    # a first run of the day has no manifests to go by: the typical 1M durations order the reports, so the
    # chain 02 -> 05 -> 06 starts first and 09 (longer) before 08; a report's own last run wins when there is one
    from types import SimpleNamespace

    plan = lambda stem: SimpleNamespace(stem=stem, day_dir=tmp_path)   # noqa: E731
    assert runner._last_duration(plan("09_post_evaluation")) > runner._last_duration(plan("08_strategy"))
    assert runner._last_duration(plan("02_binning")) == runner.TYPICAL_SECONDS["02_binning"]
    assert runner._last_duration(plan("99_custom")) == 60.0
    (tmp_path / "08_strategy.manifest.json").write_text(json.dumps({"duration_s": 500.5}))
    assert runner._last_duration(plan("08_strategy")) == 500.5
    assert set(runner.TYPICAL_SECONDS) == {p.stem for p in runner.list_notebooks()}
