"""Visible progress of long Spark jobs (issue 16).

Spark's own console bar is drawn by the JVM on the driver's terminal: in a notebook kernel or an
unattended ``clientlens run`` nobody sees it. :class:`SparkProgress` is a small daemon thread that
polls the driver's status tracker while a block runs and, once the block has run for ``after``
seconds, writes one line every ``every`` seconds::

    [spark] wide table, 41 s: stage 7 (job 3) 35/200 tasks, 2 running; 2 stages active

It writes to ``sys.__stderr__`` by default: the terminal of JupyterLab's server, or the kernel
log of a ``clientlens run`` (next to the report), never into a report. Spark Connect sessions have
no driver-side tracker; there the block runs without progress lines.

The Spark stages of the library run inside :func:`stage_progress` with the stage's name: the wide
table (:func:`clientlens.engine.wide_table`), the RFM summary (:func:`clientlens.clv.rfm_summary`),
the event rules (:func:`clientlens.events.detect_events`), scoring and per-bin counts
(:func:`clientlens.engine.to_pandas`, :func:`clientlens.engine.spark_bin_counts`). On a DuckDB bank
it does nothing.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time

__all__ = ["SparkProgress", "progress_line", "stage_progress"]


def progress_line(tracker, elapsed: float, label: str = "") -> str | None:
    """One progress line from a Spark ``StatusTracker`` (None when no stage is active).

    The stage shown is the active one with the most tasks left; ``elapsed`` is the block's run time;
    ``label`` names the library's stage (``wide table``, ``RFM summary``, ...).
    """
    stages = []
    for sid in tracker.getActiveStageIds():
        info = tracker.getStageInfo(sid)
        if info is not None:
            stages.append((sid, info))
    if not stages:
        return None
    jobs = {}
    for jid in tracker.getActiveJobsIds():
        job = tracker.getJobInfo(jid)
        if job is not None:
            for sid in job.stageIds:
                jobs[sid] = jid
    sid, info = max(stages, key=lambda s: (s[1].numTasks - s[1].numCompletedTasks, s[0]))
    job = f" (job {jobs[sid]})" if sid in jobs else ""
    more = f"; {len(stages)} stages active" if len(stages) > 1 else ""
    name = f"{label}, " if label else ""
    return (f"[spark] {name}{elapsed:.0f} s: stage {sid}{job} {info.numCompletedTasks}/{info.numTasks} tasks, "
            f"{info.numActiveTasks} running{more}")


class SparkProgress:
    """Context manager: progress lines of the Spark jobs run inside the block.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        A local or cluster session (a Spark Connect session gives no lines).
    after : float
        Seconds before the first line (short jobs stay quiet).
    every : float
        Seconds between lines.
    stream : file-like, optional
        Where lines go (default ``sys.__stderr__``).
    label : str
        The library's stage, named in each line.
    """

    def __init__(self, spark, after: float = 5.0, every: float = 10.0, stream=None, label: str = ""):
        self.spark = spark
        self.after = after
        self.every = every
        self.stream = stream
        self.label = label

    def _tracker(self):
        try:
            return self.spark.sparkContext.statusTracker()
        except Exception:  # Spark Connect: no SparkContext on the client
            return None

    def _loop(self, tracker, t0: float) -> None:
        wait = self.after
        while not self._stop.wait(wait):
            line = progress_line(tracker, time.monotonic() - t0, self.label)
            if line:
                print(line, file=self.stream or sys.__stderr__, flush=True)
                self.lines_ += 1
            wait = self.every

    def __enter__(self) -> "SparkProgress":
        self.lines_ = 0
        self._stop = threading.Event()
        self._thread = None
        tracker = self._tracker()
        if tracker is not None:
            self._thread = threading.Thread(target=self._loop, args=(tracker, time.monotonic()), daemon=True,
                                            name="clientlens-spark-progress")
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


#: Settings of :func:`stage_progress` (``after``, ``every``, ``stream``): the defaults of :class:`SparkProgress`.
STAGE_SETTINGS: dict = {}


def stage_progress(source, label: str):
    """Progress lines of a library stage when ``source`` runs on Spark; a no-op context otherwise.

    ``source`` is a :class:`clientlens.engine.SparkBank`, a Spark session or DataFrame, or anything else
    (a DuckDB bank, a pandas frame), which gets no lines.
    """
    from .engine import SparkBank

    if isinstance(source, SparkBank):
        spark = source.spark
    elif type(source).__module__.startswith("pyspark."):
        spark = getattr(source, "sparkSession", source)   # a DataFrame's session, or the session itself
    else:
        return contextlib.nullcontext()
    return SparkProgress(spark, label=label, **STAGE_SETTINGS)
