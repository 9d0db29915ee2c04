"""The loader's check memo (clientlens.loadmemo): same files, same checks -> the stored answer; any change of a
file, a load option or a column map -> the checks run again. Reference: the loader without the memo."""
from __future__ import annotations

import datetime as dt
import decimal
import os
import shutil

import pandas as pd
import pytest

from clientlens import DataError, loadmemo
from clientlens.data import load_bank


@pytest.fixture
def memo(tmp_path, monkeypatch):
    folder = tmp_path / "memo"
    monkeypatch.setenv(loadmemo.MEMO_ENV, str(folder))
    return folder


def _bank_dir(tmp_path, demo_small):
    d = tmp_path / "bank"
    shutil.copytree(demo_small, d, ignore=shutil.ignore_patterns("truth"))
    return d


def _state(bank):
    return list(bank.notes), [dict(f) for f in bank.flags], dict(bank.columns)


def test_second_load_answers_from_the_memo_with_identical_notes_and_flags(tmp_path, demo_small, memo, monkeypatch):
    d = _bank_dir(tmp_path, demo_small)
    opts = dict(as_of="2026-06-30", negative_amounts="drop", future_transactions="drop")
    first = load_bank(d, **opts)
    entries = sorted(memo.glob("*.json"))
    assert len(entries) >= 3                                  # value checks per table, unknown customers
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in entries)
    calls = []
    real = loadmemo.fetch.__globals__["_decode"]
    monkeypatch.setattr(loadmemo, "_decode", lambda v: calls.append(v) or real(v))
    second = load_bank(d, **opts)
    assert calls and _state(second) == _state(first)
    assert second.con.execute("SELECT count(*) FROM transactions").fetchall() == \
        first.con.execute("SELECT count(*) FROM transactions").fetchall()
    monkeypatch.setenv(loadmemo.MEMO_ENV, "off")
    assert _state(load_bank(d, **opts)) == _state(first)      # the reference: no memo at all


def test_a_changed_file_or_option_runs_the_checks_again(tmp_path, demo_small, memo):
    d = _bank_dir(tmp_path, demo_small)
    load_bank(d)
    n = len(list(memo.glob("*.json")))
    load_bank(d, as_of="2026-03-31")                          # another as_of: other check queries
    assert len(list(memo.glob("*.json"))) > n
    n = len(list(memo.glob("*.json")))
    tx = pd.read_parquet(d / "transactions.parquet")
    tx.loc[tx.index[0], "amount"] = -1.0                      # same size class of change, new bytes
    tx.to_parquet(d / "transactions.parquet", index=False)
    with pytest.raises(DataError, match=r"transactions\.parquet: column 'amount' has 1 negative"):
        load_bank(d)
    assert len(list(memo.glob("*.json"))) > n
    with pytest.raises(DataError, match="has 1 negative"):      # the stored answer of a failing check fails too
        load_bank(d)
    os.utime(d / "transactions.parquet")                      # touched only: checked again, same answer
    with pytest.raises(DataError, match="has 1 negative"):
        load_bank(d)


def test_values_round_trip_with_their_types():
    for v in (None, True, 3, "x", 1.5, float("inf"), dt.date(2026, 1, 31), dt.datetime(2026, 1, 31, 8, 5),
              decimal.Decimal("12.3400")):
        back = loadmemo._decode(loadmemo._encode(v))
        assert back == v and type(back) is type(v)
    with pytest.raises(TypeError):
        loadmemo._encode(object())


def test_memo_off_with_the_run_cache_switch(monkeypatch, tmp_path):
    monkeypatch.setenv(loadmemo.MEMO_ENV, str(tmp_path))
    assert loadmemo.memo_dir() == tmp_path
    monkeypatch.setenv("CLIENTLENS_CACHE", "off")
    assert loadmemo.memo_dir() is None
    monkeypatch.delenv("CLIENTLENS_CACHE")
    monkeypatch.delenv(loadmemo.MEMO_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert loadmemo.memo_dir() == tmp_path / "xdg" / "clientlens" / "load-checks"
