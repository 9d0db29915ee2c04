"""clientlens.spark_progress: progress lines of long Spark jobs, from the driver's status tracker.

A fake tracker stands in for Spark's (same methods and fields as pyspark's StatusTracker), so these
tests run without the spark extra.
"""
from __future__ import annotations

import io
import time
from types import SimpleNamespace

import pytest

from clientlens.spark_progress import SparkProgress, progress_line


class FakeTracker:
    def __init__(self, stages, jobs):
        self.stages, self.jobs = stages, jobs

    def getActiveStageIds(self):
        return list(self.stages)

    def getStageInfo(self, sid):
        done, total, running = self.stages[sid]
        return SimpleNamespace(numTasks=total, numCompletedTasks=done, numActiveTasks=running)

    def getActiveJobsIds(self):
        return list(self.jobs)

    def getJobInfo(self, jid):
        return SimpleNamespace(stageIds=self.jobs[jid])


def test_progress_line_names_the_stage_with_most_tasks_left():
    tracker = FakeTracker({4: (10, 12, 2), 7: (35, 200, 2)}, {3: [4, 7]})
    assert progress_line(tracker, 41.2) == "[spark] 41 s: stage 7 (job 3) 35/200 tasks, 2 running; 2 stages active"
    assert progress_line(FakeTracker({}, {}), 3.0) is None


def test_spark_progress_is_quiet_for_short_blocks_and_reports_long_ones():
    tracker = FakeTracker({1: (5, 8, 3)}, {0: [1]})
    spark = SimpleNamespace(sparkContext=SimpleNamespace(statusTracker=lambda: tracker))
    out = io.StringIO()
    with SparkProgress(spark, after=60, every=60, stream=out) as p:
        pass
    assert p.lines_ == 0 and out.getvalue() == ""
    with SparkProgress(spark, after=0.01, every=0.01, stream=out) as p:
        deadline = time.monotonic() + 30
        while p.lines_ < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert p.lines_ >= 2 and out.getvalue().splitlines()[0].endswith("stage 1 (job 0) 5/8 tasks, 3 running")


def test_spark_progress_without_a_driver_tracker_runs_the_block_silently():
    class Connect:  # a Spark Connect session has no SparkContext on the client
        @property
        def sparkContext(self):
            raise RuntimeError("not supported in Spark Connect")

    with SparkProgress(Connect(), after=0) as p:
        pass
    assert p.lines_ == 0


# --------------------------------------------------------------------------- the library's Spark stages

def _fake_spark_bank(tracker):
    from pathlib import Path

    from clientlens.engine import SparkBank

    spark = SimpleNamespace(sparkContext=SimpleNamespace(statusTracker=lambda: tracker))
    return SparkBank(spark=spark, data_dir=Path("."), sources={}, columns={})


def test_progress_line_names_the_library_stage():
    tracker = FakeTracker({7: (35, 200, 2)}, {3: [7]})
    assert progress_line(tracker, 41.2, "wide table") == "[spark] wide table, 41 s: stage 7 (job 3) 35/200 tasks, 2 running"


def test_stage_progress_writes_lines_for_a_spark_bank_and_nothing_for_duckdb(monkeypatch, demo_small):
    from clientlens import spark_progress
    from clientlens.data import load_bank

    out = io.StringIO()
    monkeypatch.setattr(spark_progress, "STAGE_SETTINGS", {"after": 0.01, "every": 0.01, "stream": out})
    with spark_progress.stage_progress(_fake_spark_bank(FakeTracker({2: (1, 4, 1)}, {1: [2]})), "RFM summary") as p:
        deadline = time.monotonic() + 30
        while p.lines_ < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert out.getvalue().splitlines()[0].startswith("[spark] RFM summary, 0 s: stage 2 (job 1) 1/4 tasks")
    with spark_progress.stage_progress(load_bank(demo_small), "RFM summary") as p:
        pass
    assert p is None   # DuckDB: a no-op context


class StageRecorder:
    """Stands in for SparkProgress: records the stage labels the library opens (no thread, no lines)."""

    labels: list = []

    def __init__(self, spark, label="", **kwargs):
        StageRecorder.labels.append(label)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def test_event_rules_and_rfm_open_their_stage_on_a_spark_bank(monkeypatch):
    """detect_events and rfm_summary run inside stage_progress (labels "event rules", "RFM summary");
    the wide table, scoring and bin counts are checked on a real local Spark (tests/test_engine.py)."""
    from clientlens import DataError, spark_progress
    from clientlens.clv import rfm_summary
    from clientlens.events import detect_events

    monkeypatch.setattr(spark_progress, "SparkProgress", StageRecorder)
    StageRecorder.labels = []
    bank = _fake_spark_bank(FakeTracker({}, {}))   # no tables: every rule is skipped, RFM stops
    assert detect_events(bank, "2026-10-31", "2026-10-31").empty
    with pytest.raises(DataError, match="transactions"):
        rfm_summary(bank, as_of="2026-10-31")
    assert StageRecorder.labels == ["event rules", "RFM summary"]
