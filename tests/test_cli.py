"""The ``clientlens`` command line: sub-commands, exit codes and one-line errors (issue 2 items 3 and 5)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from clientlens import cli, config
from test_data import run_cli, write_notebook, write_tiny_bank


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "run", "run-all", "index", "params"):
        assert cmd in out


def test_run_help_shows_every_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = capsys.readouterr().out
    for opt in ("--params", "-p", "--as-of", "--reports-dir", "--force", "--timeout"):
        assert opt in out


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["run"])
    assert info.value.code == 2


def test_malformed_override_is_one_line_exit_2(tmp_path, capsys):
    nb = write_notebook(tmp_path / "01_t.ipynb")
    rc, out, err = run_cli(capsys, "run", nb, "-p", "k")
    assert rc == 2 and err == "clientlens: error: override 'k' must look like key=value\n"


def test_unknown_notebook_exit_2(capsys):
    rc, out, err = run_cli(capsys, "run", "99_nope")
    assert rc == 2 and err.startswith("clientlens: error: notebook '99_nope' not found; available: 00_data_overview")


def test_params_command_lists_the_notebook_parameters(capsys):
    rc, out, err = run_cli(capsys, "params", "00_data_overview")
    assert rc == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert {"data_dir", "as_of", "column_map", "output_dir", "bins_per_decade"} <= set(names)


def test_index_command_writes_index(tmp_path, capsys):
    rc, out, err = run_cli(capsys, "index", "--reports-dir", tmp_path / "r")
    assert rc == 0 and (tmp_path / "r" / "index.html").exists()
    assert "No reports yet" in (tmp_path / "r" / "index.html").read_text()


def test_run_all_refuses_existing_report_before_any_kernel(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "nbs"
    write_notebook(folder / "01_a.ipynb")
    bank = write_tiny_bank(tmp_path / "bank")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", folder)
    day = tmp_path / "reports" / "2026-10-31"
    day.mkdir(parents=True)
    (day / "01_a.html").write_text("earlier report")
    rc, out, err = run_cli(capsys, "run-all", "-p", f"data_dir={bank}", "--reports-dir", tmp_path / "reports")
    assert rc == 2 and "01_a.html already exists; use --force to overwrite it" in err
    assert (day / "01_a.html").read_text() == "earlier report"


def test_demo_command_writes_the_four_tables(tmp_path, capsys):
    pytest.importorskip("clientlens.demo")
    out_dir = tmp_path / "demo"
    rc, out, err = run_cli(capsys, "demo", "--customers", "200", "--seed", "3", "--out", out_dir, "--no-progress")
    assert rc == 0, err
    for table in ("customers", "monthly_balances", "transactions", "campaigns"):
        assert (out_dir / f"{table}.parquet").exists() or (out_dir / table).is_dir(), table
    assert len(pd.read_parquet(out_dir / "customers.parquet")) == 200
    assert str(out_dir) in out


def test_demo_command_rejects_bad_sizes(tmp_path, capsys):
    rc, out, err = run_cli(capsys, "demo", "--customers", "0", "--out", tmp_path / "d")
    assert rc == 2 and err == "clientlens: error: --customers must be >= 1; got 0\n"
    rc, out, err = run_cli(capsys, "demo", "--as-of", "31/10/2026", "--out", tmp_path / "d")
    assert rc == 2 and "--as-of must be a date YYYY-MM-DD" in err


def test_console_script_is_installed_and_errors_on_one_line(tmp_path):
    exe = Path(sys.executable).parent / "clientlens"
    assert exe.exists(), "console script 'clientlens' missing from the venv"
    res = subprocess.run([str(exe), "run", "00_data_overview", "-p", "nope=1"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("clientlens: error: 00_data_overview: unknown "
                                                                 "parameter 'nope' (override); valid keys: ")


def test_run_all_help_shows_resume(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run-all", "--help"])
    out = capsys.readouterr().out
    assert "--resume" in out and "already ok" in out
