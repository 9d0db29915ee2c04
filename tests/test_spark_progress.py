"""clientlens.spark_progress: progress lines of long Spark jobs, from the driver's status tracker.

A fake tracker stands in for Spark's (same methods and fields as pyspark's StatusTracker), so these
tests run without the spark extra.
"""
from __future__ import annotations

import io
import time
from types import SimpleNamespace

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
