"""Run report notebooks into dated HTML reports (``clientlens run`` / ``clientlens run-all``).

For each notebook the runner

1. validates, before any kernel starts: the parameters (:func:`clientlens.params.params_for`:
   unknown keys and wrong types), the as-of date, that the dated report does not exist yet
   (unless ``force``), and the input data (:func:`clientlens.data.load_bank` on the notebook's
   ``data_dir`` with its ``column_map`` / ``value_map`` / ``file_map`` / ``unknown_customers``);
   any problem raises :class:`clientlens.ClientLensError` with a one-line message;
2. executes the notebook with papermill on the project kernel (``config.KERNEL_NAME``), with the
   project root as working directory, a per-cell timeout, ``output_dir`` set to a staging folder
   and ``reports_dir`` to the reports root (for notebooks that declare them);
3. on success writes ``reports/<as_of>/<stem>.html`` (code hidden), the executed
   ``<stem>.ipynb``, the artefacts in ``<stem>_files/`` and ``<stem>.manifest.json``, each first
   under a temporary name and then renamed; a provenance block (parameters, code version, git
   commit, input fingerprints, run time, status) is appended to the report;
4. on failure writes ``<stem>.FAILED.html`` / ``<stem>.FAILED.ipynb`` (error at the top) and its own
   ``<stem>.FAILED.manifest.json`` (status ``failed``, or ``interrupted`` after SIGTERM / SIGINT), and
   leaves every file of an earlier good run untouched, its manifest included;
5. regenerates ``reports/index.html``.

A report in another language than English (the common parameter ``language: zh``) is written to the
language's sub-folder of the dated folder, ``reports/<as_of>/zh/<stem>.html`` (with its executed
notebook, manifest and artefacts there); its markdown cells are swapped for the catalogue's
translation before the kernel starts (:func:`clientlens.i18n.translate_notebook`). It finds the
artefacts of the earlier reports and the run cache ``reports/<as_of>/_cache`` of the same as-of date
(shared by both languages: a zh run after an en run reuses the en run's intermediates).

Each dated report is written under an exclusive lock (``reports/<as_of>/.<stem>.lock``, an OS file
lock released when the process ends, even on ``kill -9``): a second concurrent run of the same report
stops with a one-line message. Staging folders and temporary files left by a dead run are removed
when the next run of that report starts. ``run-all`` keeps a journal (``run-all.journal.json``) open
until its last notebook ends, so the index shows a run-all that did not finish as incomplete;
``run-all --resume`` then skips the reports already ok for that date.

Layout of a reports folder::

    reports/index.html
    reports/2026-10-31/00_data_overview.html
    reports/2026-10-31/00_data_overview.ipynb
    reports/2026-10-31/00_data_overview.manifest.json
    reports/2026-10-31/00_data_overview_files/...
    reports/2026-10-31/zh/00_data_overview.html        (language: zh)
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from . import ClientLensError, ParamsError, __version__
from . import config
from .i18n import LANGUAGES, t
from .params import load_params_file, notebook_parameters, params_for, parse_date

NOTEBOOK_PATTERN = re.compile(r"^\d\d_.+\.ipynb$")
DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PROVENANCE_TAG = "clientlens-provenance"
FAILURE_TAG = "clientlens-failure"
REMOVE_TAGS = {"remove_cell", "remove-cell"}
JOURNAL = "run-all.journal.json"
#: the reports whose artefacts each report reads (:func:`clientlens.report.find_artifact`, directly or through
#: the library): in a parallel ``run-all`` a report starts only after those of the run have ended. A notebook
#: not listed waits for every earlier notebook of the run (the sequential order).
REPORT_INPUTS: dict[str, tuple[str, ...]] = {
    "00_data_overview": (), "01_profile": (), "02_binning": (), "03_segmentation": (),
    "04_clv": ("03_segmentation",),
    "05_response_model": ("02_binning",),
    "06_model_validation": ("05_response_model",),
    "07_event_triggers": ("04_clv",),
    "08_strategy": ("01_profile", "03_segmentation", "04_clv", "05_response_model"),
    "09_post_evaluation": ("03_segmentation", "05_response_model"),
}
_FAIL_BADGE = re.compile(r"class='clientlens-badge' data-verdict='FAIL'")


@dataclasses.dataclass
class RunPlan:
    """A validated run of one notebook (made by :func:`plan_run`; no kernel started yet)."""

    notebook: Path
    stem: str
    as_of: str
    reports_root: Path
    params: dict                   # parameters passed to papermill (before output_dir / reports_dir)
    declared: dict                 # the notebook's parameters cell (name -> type/default/help)
    params_file: Path | None = None
    overrides: dict = dataclasses.field(default_factory=dict)
    data_dir: Path | None = None
    fingerprints: dict = dataclasses.field(default_factory=dict)   # file (relative to data_dir) -> sha256
    loader_notes: list = dataclasses.field(default_factory=list)
    force: bool = False
    language: str = "en"           # report language (clientlens.i18n); zh reports go to <as_of>/zh/
    engine: str = "duckdb"         # where the heavy SQL ran (the notebook's engine parameter, else DuckDB)
    engine_note: str = ""          # why it is not the engine the params file asked for ("" when it is)

    @property
    def date_dir(self) -> Path:
        """``<reports_root>/<as_of>``: the dated folder (en reports, the run cache, other languages' folders)."""
        return self.reports_root / self.as_of

    @property
    def day_dir(self) -> Path:
        """Where this run's report, manifest and artefacts go: the dated folder, or its language sub-folder."""
        return self.date_dir if self.language == "en" else self.date_dir / self.language

    @property
    def html_path(self) -> Path:
        return self.day_dir / f"{self.stem}.html"

    def effective_params(self) -> dict:
        """Every declared parameter with the value the notebook runs with."""
        out = {k: v["default"] for k, v in self.declared.items()}
        out.update(self.params)
        return out


@dataclasses.dataclass
class RunResult:
    """Outcome of one notebook run."""

    stem: str
    status: str                    # "ok" | "failed" | "interrupted" | "skipped" (run-all --resume)
    report: Path                   # the .html (or .FAILED.html) written
    manifest: Path
    duration_s: float
    error: str | None = None
    fail_checks: int = 0           # FAIL verdicts shown in the report (e.g. data checks)


# --------------------------------------------------------------------------- resolving and validating

def list_notebooks(notebooks_dir: str | os.PathLike | None = None) -> list[Path]:
    """The report notebooks ``NN_*.ipynb`` of ``notebooks_dir``, in order."""
    d = Path(notebooks_dir) if notebooks_dir else config.NOTEBOOKS_DIR
    return sorted(p for p in d.glob("*.ipynb") if NOTEBOOK_PATTERN.match(p.name))


def resolve_notebook(name: str | os.PathLike) -> Path:
    """A notebook path from a path or a stem (``01_profile``, ``01_profile.ipynb`` or ``01``)."""
    p = Path(name)
    if p.suffix == ".ipynb" and p.is_file():
        return p.resolve()
    for cand in (config.resolve(p), config.NOTEBOOKS_DIR / p.name, config.NOTEBOOKS_DIR / f"{p.name}.ipynb"):
        if cand.suffix == ".ipynb" and cand.is_file():
            return cand.resolve()
    available = list_notebooks()
    matches = [nb for nb in available if nb.stem.startswith(str(name) + "_")]
    if len(matches) == 1:
        return matches[0].resolve()
    names = ", ".join(nb.stem for nb in available) or "none"
    raise ClientLensError(f"notebook '{name}' not found; available: {names}")


_DATA_KEYS = ("data_dir", "column_map", "value_map", "file_map", "unknown_customers", "load_options", "as_of")


def _data_key(params: dict) -> str:
    return json.dumps({k: params.get(k) for k in _DATA_KEYS}, sort_keys=True, default=str)


def validate_data(params: dict, cache: dict | None = None) -> tuple[Path, dict, list, dict]:
    """Load and validate a notebook's input data as the notebook will.

    Returns ``(data_dir, fingerprints, notes, facts)``; ``facts`` holds the campaign ids and the
    first and last transaction date, for the parameter checks that need the data (:func:`check_against_data`).

    Raises :class:`clientlens.DataError` with the loader's one-line message. ``cache`` (a dict)
    avoids validating and hashing the same data twice in one ``run-all``.
    """
    from .data import load_bank

    key = _data_key(params)
    if cache is not None and key in cache:
        return cache[key]
    data_dir = config.resolve(params["data_dir"])
    kwargs = {}
    for name in ("column_map", "value_map", "file_map"):
        if params.get(name):
            kwargs[name] = params[name]
    if params.get("unknown_customers"):
        kwargs["unknown_customers"] = params["unknown_customers"]
    if "load_options" in params:
        if not isinstance(params["load_options"], dict):
            raise ParamsError(f"load_options must be a mapping; got {params['load_options']!r}")
        from .data import check_load_options

        check_load_options(params["load_options"])  # unknown keys and bad values, one line each
        kwargs.update(params["load_options"] or {})
        if params.get("as_of"):
            kwargs["as_of"] = params["as_of"]
    from .data import connect

    con = connect()
    try:
        bank = load_bank(data_dir, con=con, **kwargs)
        fps = {}
        for path, digest in bank.fingerprints().items():
            try:
                rel = str(Path(path).relative_to(data_dir))
            except ValueError:
                rel = str(path)
            fps[rel] = digest
        facts = {"campaign_ids": [], "txn_range": None}
        if bank.has("campaigns"):
            facts["campaign_ids"] = [r[0] for r in con.execute(
                "SELECT DISTINCT campaign_id FROM campaigns ORDER BY 1").fetchall()]
        if bank.has("transactions"):
            facts["txn_range"] = con.execute("SELECT min(txn_date), max(txn_date) FROM transactions").fetchone()
        out = (data_dir, dict(sorted(fps.items())), list(bank.notes), facts)
    finally:
        con.close()
    if cache is not None:
        cache[key] = out
    return out


def plan_run(notebook: str | os.PathLike, *, params_file: str | os.PathLike | None = None,
             file_params: dict | None = None, overrides: dict | None = None, as_of: str | None = None,
             reports_dir: str | os.PathLike | None = None, force: bool = False, check_data: bool = True,
             data_cache: dict | None = None, check_common: bool = True) -> RunPlan:
    """Validate everything about one run before a kernel starts.

    Parameters
    ----------
    notebook : path or stem
    params_file : path, optional
        Params YAML (``common`` + one section per notebook). Ignored when ``file_params`` is given.
    file_params : dict, optional
        Already parsed params file.
    overrides : dict, optional
        ``-p key=value`` values (highest priority after ``as_of``).
    as_of : str, optional
        Analysis date ``YYYY-MM-DD``; default: params (``common.as_of`` or the notebook section),
        then the notebook's default, then today.
    reports_dir : path, optional
        Reports root (default ``config.REPORTS_DIR``).
    force : bool
        Allow replacing an existing dated report.
    check_data : bool
        Load and validate the input data (and fingerprint it) now.

    Raises
    ------
    ClientLensError
        Unknown notebook, bad params (unknown key: the message lists the valid keys; wrong type),
        bad as-of date, existing report without ``force``, or bad input data.
    """
    nb = resolve_notebook(notebook)
    stem = nb.stem
    if file_params is None:
        file_params = load_params_file(params_file) if params_file else {}
    declared = notebook_parameters(nb)
    if check_common and file_params.get("common"):
        from .params import check_common_keys

        check_common_keys(file_params, [declared] + [notebook_parameters(p) for p in list_notebooks()],
                          where=str(params_file) if params_file else "params")
    overrides = dict(overrides or {})
    if as_of is not None:
        parse_date("--as-of", as_of)
        if "as_of" in declared:
            overrides["as_of"] = as_of
    params = params_for(nb, file_params, overrides)
    if as_of is None:
        as_of = params.get("as_of") or (file_params.get("common") or {}).get("as_of") \
            or declared.get("as_of", {}).get("default") or _dt.date.today().isoformat()
    as_of = parse_date("as_of", as_of).isoformat()
    if "as_of" in declared:
        params["as_of"] = as_of
    reports_root = config.resolve(reports_dir) if reports_dir else config.REPORTS_DIR
    plan = RunPlan(notebook=nb, stem=stem, as_of=as_of, reports_root=reports_root.resolve(), params=params,
                   declared=declared, params_file=Path(params_file) if params_file else None,
                   overrides=overrides, force=force)
    effective = plan.effective_params()
    from .params import check_rules

    check_rules(effective, where=f"{stem}: ")   # a bad language is one line here, before the path below
    plan.language = effective.get("language") or "en"
    if plan.html_path.exists() and not force:
        raise ClientLensError(f"{_show_path(plan.html_path)} already exists; use --force to overwrite it")
    if effective.get("strategy_map"):  # 08_strategy: the strategy map file is checked before a kernel starts
        from .strategy import load_strategy_map
        load_strategy_map(config.resolve(effective["strategy_map"]), products=effective.get("products") or None)
    if "allow_raw_ids" in declared:
        from .privacy import id_key

        id_key()  # a bad or unusable id key stops the run before a kernel starts (never shown)
    plan.engine, plan.engine_note = run_engine(stem, declared, effective, file_params)
    if plan.engine_note:
        print(f"clientlens: note: {plan.engine_note}", file=sys.stderr, flush=True)
    if "engine" in effective:  # engine: duckdb | spark (and the Spark extra) is checked before a kernel starts
        from .engine import check_engine
        check_engine(effective["engine"], **{k: effective[k] for k in
                                             ("spark_master", "spark_remote", "spark_conf", "spark_tables")
                                             if k in effective})
    if effective.get("spark_tables"):  # catalog tables: the warehouse validates them, DuckDB cannot read them
        check_data = False
    if "target" in effective:   # the modelling target (02, 05, 06): one-line error before a kernel starts
        from .targets import check_target
        check_target(effective["target"], data_dir=effective.get("data_dir"))
    if check_data and effective.get("data_dir"):
        plan.data_dir, plan.fingerprints, plan.loader_notes, facts = validate_data(effective, data_cache)
        check_against_data(stem, effective, facts, declared)
    elif effective.get("data_dir"):
        plan.data_dir = config.resolve(effective["data_dir"])
    return plan


ENGINE_NOTE = "engine: {engine} is not supported by {stem} yet: it ran on DuckDB"


def run_engine(stem: str, declared: dict, effective: dict, file_params: dict) -> tuple[str, str]:
    """(engine the notebook runs on, note): the notebook's ``engine`` parameter, else DuckDB.

    ``engine`` is a common parameter, applied only where a notebook declares it; a notebook that does not
    runs on DuckDB whatever ``common.engine`` says, and the note says so (in the report's provenance and
    the run's manifest) instead of leaving it silent.
    """
    if "engine" in declared:
        return str(effective["engine"]), ""
    asked = (file_params.get("common") or {}).get("engine", "duckdb")
    note = "" if asked == "duckdb" else ENGINE_NOTE.format(engine=asked, stem=stem)
    return "duckdb", note


#: parameters naming campaigns that must exist in the campaigns table (empty: not used)
CAMPAIGN_PARAMS = ("evaluation_campaign", "comparison_campaign", "campaigns")


def check_against_data(stem: str, params: dict, facts: dict, declared: dict) -> None:
    """Parameter checks that need the data, cheap enough to run before a kernel starts.

    Campaign ids given in params exist in the campaigns table (compared as values, never put into
    SQL); ``as_of`` is not before the first transaction.
    """
    ids = facts.get("campaign_ids") or []
    for name in CAMPAIGN_PARAMS:
        if name not in declared or name not in params:
            continue
        if name == "comparison_campaign" and params.get("comparison") not in (None, "campaign"):
            continue
        if name == "campaigns" and not ids:
            continue  # no campaigns table: the notebook says what it cannot do
        v = params[name]
        wanted = [v] if isinstance(v, str) else list(v or []) if isinstance(v, (list, tuple)) else []
        for w in wanted:
            if w in ("", None):
                continue
            if str(w) not in ids:
                shown = ", ".join(map(str, ids[:20])) or "none (no campaigns table)"
                raise ParamsError(f"{stem}: {name}: campaign {_one_line(repr(w), 80)} not found in the campaigns "
                                  f"table; campaigns: {shown}")
    rng = facts.get("txn_range")
    if rng and rng[0] is not None and params.get("as_of"):
        from .params import to_date

        a = to_date("as_of", params["as_of"])
        if a < rng[0]:
            raise ParamsError(f"{stem}: as_of {a} is before the first transaction ({rng[0]}); the data covers "
                              f"{rng[0]} to {rng[1]}")


# --------------------------------------------------------------------------- locks and leftovers

class ReportLock:
    """Exclusive lock on one dated report: ``<day>/.<stem>.lock`` held with ``flock`` while it is written.

    The OS releases the lock when its process ends (even ``kill -9``), so a lock file left by a dead
    run is stale and simply taken over; the file records the holder's pid for the message.
    """

    def __init__(self, path: Path, report: Path):
        self.path, self.report, self.fd = Path(path), Path(report), None

    def acquire(self) -> "ReportLock":
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                try:
                    holder = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
                except (OSError, ValueError):
                    holder = {}
                os.close(fd)
                who = f" (pid {holder.get('pid')}, started {holder.get('started_at')})" if holder.get("pid") else ""
                raise ClientLensError(f"{_show_path(self.report)} is being written by another run{who}; "
                                      f"wait for it to finish") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the holder removed the file between our open and flock: try again
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": platform.node(),
                                     "started_at": _now().isoformat(timespec="seconds")}).encode("utf-8"))
            self.fd = fd
            return self

    def release(self) -> None:
        import fcntl

        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def _remove_leftovers(day_dir: Path, stem: str) -> list[str]:
    """Staging folders and temporary files of dead runs of ``stem`` (the caller holds its lock)."""
    removed = []
    patterns = (f".staging-{stem}-*", f".{stem}.*.tmp", f".{stem}_files.*.tmp")
    for pattern in patterns:
        for p in day_dir.glob(pattern):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    p.unlink()
                except OSError:
                    continue
            removed.append(p.name)
    return removed


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    return True


class RunInterrupted(KeyboardInterrupt):
    """SIGTERM received during a run (SIGINT raises :class:`KeyboardInterrupt` itself)."""


class _Cancel(threading.Event):
    """Set by a parallel run-all when it is interrupted; ``reason`` is the interruption (shown in the reports)."""

    reason: BaseException | None = None


class _PapermillParameterNoise(logging.Filter):
    """Drops papermill's "Unable to parse line ..." / "Passed unknown parameter: ..." warnings: its parser stops at
    a comment holding ``=`` or ``//`` and then calls the parameter unknown, while the runner has already checked
    every parameter against the notebook's parameters cell (:func:`clientlens.params.params_for`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(("Unable to parse line", "Passed unknown parameter"))


def _quiet_papermill_parameter_noise() -> None:
    for name in ("papermill", "papermill.translators"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _PapermillParameterNoise) for f in log.filters):
            log.addFilter(_PapermillParameterNoise())


def _quiet_interrupted_run() -> None:
    """After an interruption the kernel's death and the executor's orphaned asyncio tasks are expected: keep
    them off stderr, whose last line must be the command's own one-line message."""
    import logging

    for name in ("asyncio", "traitlets", "nbclient", "papermill"):
        logging.getLogger(name).disabled = True


def _raise_interrupted(signum, frame):
    _quiet_interrupted_run()
    raise RunInterrupted(f"signal {signum}")


# --------------------------------------------------------------------------- code version

_GIT_CACHE: dict[str, Any] = {}


def code_version() -> dict:
    """``{"clientlens_version", "git_commit", "git_dirty"}`` of the project checkout (commit None outside git)."""
    if "v" not in _GIT_CACHE:
        commit, dirty = None, None
        try:
            r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=config.PROJECT_ROOT, capture_output=True,
                               text=True, timeout=30)
            if r.returncode == 0:
                commit = r.stdout.strip()
                s = subprocess.run(["git", "status", "--porcelain"], cwd=config.PROJECT_ROOT,
                                   capture_output=True, text=True, timeout=60)
                dirty = bool(s.stdout.strip()) if s.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            pass
        _GIT_CACHE["v"] = {"clientlens_version": __version__, "git_commit": commit, "git_dirty": dirty}
    return dict(_GIT_CACHE["v"])


# --------------------------------------------------------------------------- execution

def _now() -> _dt.datetime:
    return _dt.datetime.now().astimezone()


def _show_path(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _rel_to_root(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(config.PROJECT_ROOT))
    except ValueError:
        return str(p)


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _encrypted_kernel_manager(log_path: str | os.PathLike | None = None, env: dict | None = None,
                              live: set | None = None):
    """Kernel manager for report runs: CurveZMQ-encrypted kernel sockets when the kernel supports them.

    Report kernels see customer data; jupyter_client's default leaves the local TCP sockets in
    plain text (and ipykernel warns about it on every run). ``transport_encryption = "auto"``
    provisions Curve keys when pyzmq has Curve and the kernelspec declares support (ipykernel's
    does), and falls back to the default otherwise. ``env``: variables added to the kernel's environment;
    ``live``: a set the manager adds itself to (a parallel run-all stops its kernels on an interruption).
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    class EncryptedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            if zmq.has("curve"):
                kwargs.setdefault("transport_encryption", "auto")
            super().__init__(**kwargs)
            if live is not None:
                live.add(self)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # the kernel process's own stdout/stderr (e.g. "[IPKernelApp] ERROR | KeyboardInterrupt
            # caught in kernel" at shutdown) go to a log file, not to the user's terminal
            if log_path is not None:
                fh = open(log_path, "ab")
                kw.setdefault("stdout", fh)
                kw.setdefault("stderr", fh)
            if env:
                kw["env"] = {**(kw.get("env") or os.environ), **env}
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return EncryptedKernelManager


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def execute_plan(plan: RunPlan, *, timeout: int = 1800, progress: bool = True,
                 update_index: bool = True, pending: Iterable[str] = (), cancel=None,
                 live: set | None = None) -> RunResult:
    """Execute a validated :class:`RunPlan` and write the report, manifest and index.

    Returns a :class:`RunResult`; a failing notebook gives ``status="failed"`` (no exception).
    Raises :class:`clientlens.ClientLensError` when another run holds the report's lock or the
    report appeared meanwhile (without ``force``); re-raises :class:`KeyboardInterrupt` after
    recording an interrupted run (SIGINT, or SIGTERM as :class:`RunInterrupted`).
    ``pending``: reports of the same run-all that have not ended (:data:`clientlens.config.PENDING_REPORTS_ENV`). ``cancel`` (a
    ``threading.Event``) and ``live`` (a set receiving the kernel manager): a parallel run-all that is
    interrupted sets ``cancel`` and stops the kernels; the report is then recorded as interrupted.
    """
    if timeout is None or timeout <= 0:
        raise ParamsError(f"timeout must be > 0 seconds; got {timeout}")
    created = [d for d in (plan.day_dir, plan.date_dir) if not d.exists()]   # removed again when left empty
    plan.day_dir.mkdir(parents=True, exist_ok=True)
    lock = ReportLock(plan.day_dir / f".{plan.stem}.lock", plan.html_path)
    try:
        lock.acquire()
    except ClientLensError:
        for d in created:
            _rmdir_quiet(d)
        raise
    try:
        if plan.html_path.exists() and not plan.force:
            raise ClientLensError(f"{_show_path(plan.html_path)} already exists; use --force to overwrite it")
        _remove_leftovers(plan.day_dir, plan.stem)
        return _execute_locked(plan, timeout=timeout, progress=progress, update_index=update_index,
                               pending=pending, cancel=cancel, live=live)
    finally:
        lock.release()
        for d in created:
            _rmdir_quiet(d)


def _rmdir_quiet(path: Path) -> None:
    try:
        path.rmdir()  # only when empty
    except OSError:
        pass


def _log_tail(path: Path) -> str:
    """The last non-empty line of the kernel's own output (shown only when a run fails)."""
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return _ANSI.sub("", lines[-1])[:300] if lines else ""


def _count_fail_checks(nb) -> int:
    n = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = (out.get("data") or {}).get("text/html", "")
            n += len(_FAIL_BADGE.findall(text if isinstance(text, str) else "".join(text)))
    return n


#: the runner writes one report's outputs (and the index) at a time, also in a parallel run-all
_OUTPUT_LOCK = threading.RLock()


def _execute_locked(plan: RunPlan, *, timeout: int, progress: bool, update_index: bool, pending: Iterable[str] = (),
                    cancel=None, live: set | None = None) -> RunResult:
    import signal

    import nbformat
    import papermill as pm

    _quiet_papermill_parameter_noise()

    stage = Path(tempfile.mkdtemp(prefix=f".staging-{plan.stem}-", dir=plan.day_dir))
    files_stage = stage / "files"
    files_stage.mkdir()
    out_nb = stage / f"{plan.stem}.ipynb"
    params = dict(plan.params)
    if "output_dir" in plan.declared:
        params["output_dir"] = str(files_stage)
    if "reports_dir" in plan.declared:
        params["reports_dir"] = str(plan.reports_root)
    started = _now()
    t0 = time.perf_counter()
    error: str | None = None
    interrupted: BaseException | None = None
    in_main = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _raise_interrupted) if in_main else None
    try:
        try:
            source = _translated_source(plan, stage)
            pm.execute_notebook(str(source), str(out_nb), parameters=params, kernel_name=config.KERNEL_NAME,
                                progress_bar=progress, log_output=False, cwd=str(config.PROJECT_ROOT),
                                execution_timeout=int(timeout),
                                kernel_manager_class=_encrypted_kernel_manager(
                                    stage / "kernel.log", env={config.PENDING_REPORTS_ENV: ",".join(sorted(set(pending) - {plan.stem}))},
                                    live=live))
        except pm.PapermillExecutionError as exc:
            error = _one_line(f"{exc.ename}: {_ANSI.sub('', str(exc.evalue))}" if exc.evalue else exc.ename)
            error += f" (cell {exc.exec_count})" if exc.exec_count else ""
        except ClientLensError as exc:  # a notebook's translation missing or stale (strict mode)
            error = _one_line(str(exc))
        except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM (RunInterrupted)
            _quiet_interrupted_run()
            interrupted = exc
            error = "interrupted by " + ("SIGTERM" if isinstance(exc, RunInterrupted) else "SIGINT (Ctrl-C)")
        except Exception as exc:  # kernel died, timeout, kernel not found ...
            text = _ANSI.sub("", str(exc)).split("Here is a preview of the cell contents")[0].strip()
            error = _one_line(f"{type(exc).__name__}: {text}")
            tail = _log_tail(stage / "kernel.log")
            if tail:
                error = _one_line(f"{error} (kernel said: {tail})")
        if cancel is not None and cancel.is_set() and interrupted is None:  # a parallel run-all stopped the kernel
            _quiet_interrupted_run()
            interrupted = getattr(cancel, "reason", None) or KeyboardInterrupt()
            error = "interrupted by " + ("SIGTERM" if isinstance(interrupted, RunInterrupted) else "SIGINT (Ctrl-C)")
        # from here on a second signal must not leave half-written files: ignore them while recording
        if in_main:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            with _OUTPUT_LOCK:
                result = _write_outputs(plan, stage, files_stage, out_nb, params, error, interrupted, started, t0)
                if update_index:
                    write_index(plan.reports_root)
        finally:
            if in_main:
                signal.signal(signal.SIGINT, old_int)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, old_term if old_term is not None else signal.SIG_DFL)
        shutil.rmtree(stage, ignore_errors=True)
    if interrupted is not None:
        raise interrupted
    return result


def _translated_source(plan: RunPlan, stage: Path) -> Path:
    """The notebook papermill runs: the notebook itself (en), or a copy with its markdown in ``plan.language``
    (missing or stale cells stay English; in strict mode they raise :class:`ClientLensError`)."""
    if plan.language == "en":
        return plan.notebook
    import nbformat

    from .i18n import translate_notebook

    nb = nbformat.read(str(plan.notebook), as_version=4)
    translate_notebook(nb, plan.stem, plan.language)
    path = stage / f"{plan.stem}.{plan.language}.ipynb"
    nbformat.write(nb, str(path))
    return path


def _write_outputs(plan: RunPlan, stage: Path, files_stage: Path, out_nb: Path, params: dict, error: str | None,
                   interrupted, started, t0) -> RunResult:
    from .i18n import using

    with using(plan.language):   # the provenance block and the failure banner in the report's language
        return _write_outputs_in_language(plan, stage, files_stage, out_nb, params, error, interrupted, started, t0)


def _write_outputs_in_language(plan: RunPlan, stage: Path, files_stage: Path, out_nb: Path, params: dict,
                               error: str | None, interrupted, started, t0) -> RunResult:
    import nbformat

    duration = time.perf_counter() - t0
    ended = _now()
    status = "ok" if error is None else ("interrupted" if interrupted is not None else "failed")
    nb = None
    if out_nb.exists():
        try:
            nb = nbformat.read(str(out_nb), as_version=4)
        except Exception:  # noqa: BLE001 - a half-written notebook after an interruption
            nb = None
    if nb is None:
        nb = nbformat.read(str(plan.notebook), as_version=4)
    final_files = plan.day_dir / f"{plan.stem}_files"
    manifest = _manifest(plan, params, status, error, started, ended, duration, final_files)
    manifest["fail_checks"] = _count_fail_checks(nb) if status == "ok" else None
    manifest["intermediates"] = _intermediates(files_stage)
    manifest["title"] = report_title(nb) or plan.stem
    manifest_path = plan.day_dir / f"{plan.stem}.manifest.json"
    failed_manifest = plan.day_dir / f"{plan.stem}.FAILED.manifest.json"
    failed_html = plan.day_dir / f"{plan.stem}.FAILED.html"
    failed_nb = plan.day_dir / f"{plan.stem}.FAILED.ipynb"
    move_summary(nb)
    nb.cells.append(_provenance_cell(manifest))
    if status == "ok":
        outputs = sorted(str(p.relative_to(files_stage)) for p in files_stage.rglob("*") if p.is_file())
        manifest["outputs"]["files"] = outputs
        nb.cells[-1] = _provenance_cell(manifest)
        _atomic_write_text(plan.html_path, _to_html(nb, title=plan.stem, language=plan.language))
        _atomic_write_text(plan.day_dir / f"{plan.stem}.ipynb", nbformat.writes(nb))
        old = stage / "old_files"
        if final_files.exists():
            os.replace(final_files, old)
        os.replace(files_stage, final_files)
        _atomic_write_text(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        for stale in (failed_html, failed_nb, failed_manifest):
            if stale.exists():
                stale.unlink()
        report, mpath = plan.html_path, manifest_path
    else:
        if plan.html_path.exists():
            manifest["last_ok_report"] = plan.html_path.name
        _mark_failed(nb, error, plan)
        _atomic_write_text(failed_html, _to_html(nb, title=f"{t('FAILED')} {plan.stem}", language=plan.language))
        _atomic_write_text(failed_nb, nbformat.writes(nb))
        _atomic_write_text(failed_manifest, json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        report, mpath = failed_html, failed_manifest
    return RunResult(stem=plan.stem, status=status, report=report, manifest=mpath,
                     duration_s=round(duration, 3), error=error, fail_checks=manifest["fail_checks"] or 0)


def _manifest(plan: RunPlan, params: dict, status: str, error: str | None, started: _dt.datetime,
              ended: _dt.datetime, duration: float, final_files: Path) -> dict:
    effective = plan.effective_params()
    effective.update(params)
    if "output_dir" in effective and "output_dir" in params:
        effective["output_dir"] = str(final_files)
    return {
        "notebook": _rel_to_root(plan.notebook),
        "stem": plan.stem,
        "as_of": plan.as_of,
        "language": plan.language,
        "engine": plan.engine,
        "engine_note": plan.engine_note,
        "status": status,
        "error": error,
        "params": effective,
        "params_file": str(plan.params_file) if plan.params_file else None,
        "overrides": plan.overrides,
        **code_version(),
        "python": platform.python_version(),
        "kernel": config.KERNEL_NAME,
        "data_dir": str(plan.data_dir) if plan.data_dir else None,
        "inputs": plan.fingerprints,
        "loader_notes": plan.loader_notes,
        "started_at": started.isoformat(timespec="seconds"),
        "ended_at": ended.isoformat(timespec="seconds"),
        "duration_s": round(duration, 3),
        "outputs": {"html": f"{plan.stem}.html" if status == "ok" else f"{plan.stem}.FAILED.html",
                    "ipynb": f"{plan.stem}.ipynb" if status == "ok" else f"{plan.stem}.FAILED.ipynb",
                    "files_dir": final_files.name if status == "ok" else None, "files": []},
    }


def _intermediates(files_dir: Path) -> list[dict]:
    """The run-cache intermediates the notebook used (``clientlens.cache`` logs them in its output folder)."""
    from .cache import LOG_FILE

    try:
        doc = json.loads((files_dir / LOG_FILE).read_text(encoding="utf-8"))
        return [{k: r.get(k) for k in ("intermediate", "what", "status", "entry", "seconds")}
                for r in doc.get("intermediates", [])]
    except (OSError, ValueError, AttributeError, TypeError):
        return []


def _md_escape(text: Any) -> str:
    s = text if isinstance(text, str) else repr(text)
    s = s if len(s) <= 160 else s[:159] + "…"
    return html.escape(s).replace("|", "&#124;").replace("\n", " ")


def _provenance_cell(manifest: dict):
    import nbformat

    from .i18n import t, t_matching, value

    commit = manifest.get("git_commit")
    commit_s = t("not a git checkout") if not commit else commit[:12] + (
        t(" (with uncommitted changes)") if manifest.get("git_dirty") else "")
    rows = [
        (t("Status"), value(manifest["status"]) + (f": {manifest['error']}" if manifest.get("error") else "")),
        (t("Notebook"), manifest["notebook"]),
        (t("As-of date"), manifest["as_of"]),
        (t("Engine"), {"duckdb": "DuckDB", "spark": "Spark"}.get(manifest.get("engine"), manifest.get("engine"))
         + (f" ({t_matching(manifest['engine_note'], [ENGINE_NOTE])})" if manifest.get("engine_note") else "")),
        (t("Code version"), f"clientlens {manifest['clientlens_version']}, Python {manifest['python']}"),
        (t("Git commit"), commit_s),
        (t("Run started"), manifest["started_at"]),
        (t("Run ended"), manifest["ended_at"]),
        (t("Duration"), t("{s:,.1f} s", s=manifest["duration_s"])),
        (t("Params file"), manifest.get("params_file") or t("none (notebook defaults)")),
    ]
    lines = ["---", "", "## " + t("Provenance"), "",
             t("How this report was produced (written by the ClientLens runner)."), "",
             f"| {t('item')} | {t('value')} |", "| --- | --- |"]
    lines += [f"| {k} | {_md_escape(v)} |" for k, v in rows]
    lines += ["", f"**{t('Parameters')}**", "", f"| {t('parameter')} | {t('value')} |", "| --- | --- |"]
    for k, v in sorted(manifest["params"].items()):
        shown = v
        if k in ("output_dir", "reports_dir") and isinstance(v, str):
            shown = _rel_to_root(Path(v))
        lines.append(f"| {_md_escape(k)} | {_md_escape(shown)} |")
    if manifest.get("inputs"):
        lines += ["", t("**Input files** (SHA-256, first 12 characters; folder `{folder}`)",
                        folder=_md_escape(manifest["data_dir"])),
                  "", f"| {t('file')} | sha256 |", "| --- | --- |"]
        lines += [f"| {_md_escape(f)} | `{d[:12]}` |" for f, d in manifest["inputs"].items()]
    if manifest.get("intermediates"):
        lines += ["", t("**Intermediates** (run cache `{cache}`: reused = computed earlier in this dated run with "
                        "the same inputs, code and parameters)", cache=f"{_md_escape(manifest['as_of'])}/_cache"), "",
                  f"| {t('intermediate')} | {t('status')} | {t('seconds')} | {t('entry')} |", "| --- | --- | --- | --- |"]
        lines += [f"| {_md_escape(r.get('what'))} | {_md_escape(value(r.get('status')))} | {r.get('seconds') or 0:,.1f} | "
                  f"`{_md_escape(r.get('entry') or '-')}` |" for r in manifest["intermediates"]]
    if manifest.get("loader_notes"):
        lines += ["", f"**{t('Loader notes')}**", ""] + [f"- {_md_escape(n)}" for n in manifest["loader_notes"]]
    cell = nbformat.v4.new_markdown_cell("\n".join(lines))
    cell.metadata["tags"] = [PROVENANCE_TAG]
    return cell


SUMMARY_TAG = "clientlens-summary"


def report_title(nb) -> str:
    """The report's title: the text of the first ``#`` heading of its first markdown cell with one ("" if none);
    the translated notebook of a zh run gives the Chinese title (the index shows both)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+?)\s*$", cell.source, flags=re.M)
            if m:
                return m.group(1).strip("*_ ")
    return ""


def move_summary(nb) -> bool:
    """Move the outputs marked by :func:`clientlens.report.summary` to a cell just after the title.

    A report's "what this says" lines are computed from results further down the notebook; the reader
    sees them first. The marked outputs are taken out of their cells (in order) into one new output-only
    cell tagged ``clientlens-summary``, placed after the first markdown cell that starts with a ``#``
    heading (the title and its introduction), else first. Returns whether anything moved.
    """
    import nbformat

    from .report import SUMMARY_MARK

    moved = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.get("outputs"):
            continue
        keep = []
        for out in cell.outputs:
            (moved if out.get("metadata", {}).get(SUMMARY_MARK) else keep).append(out)
        cell.outputs = keep
    if not moved:
        return False
    new = nbformat.v4.new_code_cell("", metadata={"tags": [SUMMARY_TAG]})
    new.outputs = moved
    at = next((i + 1 for i, c in enumerate(nb.cells)
               if c.cell_type == "markdown" and c.source.lstrip().startswith("#")), 0)
    nb.cells.insert(at, new)
    return True


def _mark_failed(nb, error: str | None, plan: RunPlan) -> None:
    import nbformat

    from .i18n import t

    # drop papermill's own header (it points at "In [n]" prompts a reader does not see); keep its anchor
    def _is_pm_header(c) -> bool:
        return ("papermill-error-cell-tag" in c.get("metadata", {}).get("tags", [])
                and 'id="papermill-error-cell"' not in c.source)

    nb.cells = [c for c in nb.cells if not _is_pm_header(c)]
    has_anchor = any('id="papermill-error-cell"' in c.source for c in nb.cells if c.cell_type == "markdown")
    link = f" <a href='#papermill-error-cell'>{t('Go to the failed step.')}</a>" if has_anchor else ""
    text = (f"<div style='border:3px solid #c53030; background:#fff5f5; padding:10px 14px; margin:8px 0;'>"
            f"<h2 style='color:#c53030; margin-top:0'>{t('FAILED: this report did not complete')}</h2>"
            f"<p><strong>{t('Notebook:')}</strong> {html.escape(plan.stem)} &nbsp; <strong>{t('As-of:')}</strong> "
            f"{html.escape(plan.as_of)}</p>"
            f"<p><strong>{t('Error:')}</strong> <code>{html.escape(error or 'unknown error')}</code>{link}</p>"
            f"<p>{t('The results below stop at the failed step and must not be used. An earlier successful report for this date, if any, is kept unchanged.')}</p></div>")
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = [FAILURE_TAG]
    nb.cells.insert(0, cell)


def _to_html(nb, title: str, language: str = "en") -> str:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_TAGS)
    exporter = HTMLExporter(config=c, exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    if language != "en":
        from .i18n import html_lang

        body = re.sub(r"<html\b[^>]*>", f'<html lang="{html_lang(language)}">', body, count=1)
    return strip_external(body)


_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I)
_SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>(.*?)</script>", re.I | re.S)
_REMOTE_IMPORT = re.compile(r"""(?:\bimport\b[^;]*?|\bimport\s*\()\s*["'](?:https?:)?//""", re.I)


def strip_external(page: str) -> str:
    """The report page without anything loaded from the internet.

    nbconvert's template references require.js, MathJax and mermaid on a CDN; reports are read
    inside the bank (often offline) and must load nothing from outside, so those ``<script src>``
    / ``<link href>`` tags and inline scripts importing remote modules are removed. Reports show
    no code, widgets or LaTeX that would need them.
    """
    page = _EXTERNAL_SCRIPT.sub("", page)
    page = _EXTERNAL_LINK.sub("", page)
    return _SCRIPT_BLOCK.sub(lambda m: "" if _REMOTE_IMPORT.search(m.group(1)) else m.group(0), page)


# --------------------------------------------------------------------------- index

def _read_json(path: Path) -> dict | None:
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) else None


def _read_language_manifests(folder: Path, prefix: str) -> dict[str, dict]:
    """stem -> the latest attempt's manifest in one folder (a dated folder or its language sub-folder)."""
    by_stem: dict[str, dict] = {}
    for mf in sorted(folder.glob("*.manifest.json")) if folder.is_dir() else []:
        m = _read_json(mf)
        if m is None:
            continue
        failed_file = mf.name.endswith(".FAILED.manifest.json")
        stem = str(m.get("stem") or mf.name[: -len(".FAILED.manifest.json" if failed_file else ".manifest.json")])
        m["_manifest"] = prefix + mf.name
        m["_prefix"] = prefix
        m["_has_ok_html"] = (folder / f"{stem}.html").exists()
        if stem not in by_stem or failed_file:
            by_stem[stem] = m
    return by_stem


def _read_manifests(reports_root: Path) -> dict[str, list[dict]]:
    """Per dated folder (newest first): one manifest per report, the latest attempt (a FAILED or
    interrupted run shadows the earlier good one, which stays linked). A report also run in another
    language carries that run's manifest in ``_translations`` (a report run only in another language
    is listed by that run's manifest)."""
    runs: dict[str, list[dict]] = {}
    if not reports_root.is_dir():
        return runs
    for day in sorted((d for d in reports_root.iterdir() if d.is_dir() and DATE_DIR.match(d.name)), reverse=True):
        by_stem = _read_language_manifests(day, "")
        for lang in LANGUAGES[1:]:
            for stem, m in _read_language_manifests(day / lang, lang + "/").items():
                m["_language"] = lang
                if stem in by_stem:
                    by_stem[stem].setdefault("_translations", {})[lang] = m
                else:
                    by_stem[stem] = m
        if by_stem:
            runs[day.name] = [by_stem[k] for k in sorted(by_stem)]
    return runs


def _bi(text: str, /, **fields: Any) -> str:
    """HTML of an index label in English with its Chinese beside it (the index is one page for readers of both
    languages). ``text`` is a catalogue key (ours, may hold markup); every text field is escaped."""
    safe = {k: html.escape(v) if isinstance(v, str) else v for k, v in fields.items()}
    return (text.format(**safe) if fields else text) + _zh(text, **safe)


def _zh(text: str, /, **safe: Any) -> str:
    """`` <span class='zh'>...</span>``: the Chinese of ``text`` (fields already escaped), or "" when it has none."""
    from .i18n import using

    with using("zh"):
        zh = t(text, **safe)
    return "" if zh == (text.format(**safe) if safe else text) else f" <span class='zh' lang='zh-CN'>{zh}</span>"


def _when(stamp: Any) -> str:
    """A run time of a manifest (ISO 8601) as the index shows it: ``2026-12-01 12:05:15 UTC`` (date and time apart,
    so a narrow column breaks between them)."""
    text = str(stamp or "").replace("T", " ", 1)
    return text[: -len("+00:00")] + " UTC" if text.endswith("+00:00") else text


def _badge(status: Any) -> str:
    """A status word (ok / failed / interrupted) as a coloured badge, its Chinese beside it."""
    status = str(status)
    zh = _zh(status) if status in _STATUS else ""
    return f"<span class='{'ok' if status == 'ok' else 'failed'}'>{html.escape(status)}</span>{zh}"


#: status words of a manifest (the index translates these; any other value is shown as written)
_STATUS = ("ok", "failed", "interrupted")


def _language_link(day: str, m: dict) -> str:
    """A link to the report of another language (its status when not ok)."""
    lang = m.get("_language") or m.get("language") or "zh"
    name = LANGUAGE_NAMES.get(lang, lang)
    target = f"{day}/{m['_prefix']}{m['outputs']['html']}" if m.get("outputs") else f"{day}/{m['_prefix']}{m.get('stem')}.html"
    ok = m.get("status") == "ok"
    return f"<a href='{html.escape(target)}'>{html.escape(name)}</a>" + ("" if ok else f" {_badge(m.get('status'))}")


#: how the index names a report language (each in its own language)
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


def _journal_state(day: Path) -> tuple[str, str] | None:
    """(css class, HTML sentence in English and Chinese) about the day's run-all journal, or None when there is
    none or it completed (the journals of the language sub-folders too: an unfinished zh run-all is shown as well)."""
    for lang in LANGUAGES[1:]:
        if (day / lang / JOURNAL).exists():
            state = _journal_state(day / lang)
            if state:
                return state[0], f"{html.escape(LANGUAGE_NAMES.get(lang, lang))}: {state[1]}"
    j = _read_json(day / JOURNAL)
    if not j or j.get("status") == "complete":
        return None
    done = j.get("done") or {}
    n, k = len(j.get("notebooks") or []), sum(1 for v in done.values() if v in ("ok", "skipped", "failed"))
    when = _when(j.get("started_at", ""))
    if j.get("status") == "running" and _pid_alive(j.get("pid")) and j.get("host") == platform.node():
        return "running", _bi("run-all started {when} is still running ({k} of {n} reports done)", when=when, k=k, n=n)
    text = ("INCOMPLETE: the run-all started {when} was interrupted ({k} of {n} reports done); "
            "<code>clientlens run-all --resume</code> runs the rest") if j.get("status") == "interrupted" else \
        ("INCOMPLETE: the run-all started {when} did not finish ({k} of {n} reports done); "
         "<code>clientlens run-all --resume</code> runs the rest")
    return "incomplete", _bi(text, when=when, k=k, n=n)


def language_versions(day_dir: Path, stem: str) -> list[tuple[str, str]]:
    """The other-language versions of a report found in a dated folder, as (language, relative path).

    A report's version in language ``xx`` is ``<day>/xx/<stem>.html`` (the default-language report is
    ``<day>/<stem>.html``); the index links every one that exists, so adding a language needs no change here.
    """
    out = []
    for sub in sorted(p for p in day_dir.iterdir() if p.is_dir() and re.fullmatch(r"[a-z]{2}", p.name)) \
            if day_dir.is_dir() else []:
        if (sub / f"{stem}.html").exists():
            out.append((sub.name, f"{sub.name}/{stem}.html"))
    return out


def _index_row(root: Path, day: str, m: dict) -> str:
    """One report of a dated run: its title in each language it ran in (linked), status, duration, start, links."""
    stem = str(m.get("stem", ""))
    ok = m.get("status") == "ok"
    badge = _badge(m.get("status"))
    if ok and m.get("fail_checks"):
        n = int(m["fail_checks"])
        badge += f" <span class='failed'>{n} FAIL check(s)</span>{_zh('{n} FAIL check(s)', n=n)}"
    prefix = m.get("_prefix", "")
    main_link = f"{day}/{prefix}{m['outputs']['html']}" if m.get("outputs") else f"{day}/{prefix}{stem}.html"
    links = [f"<a href='{html.escape(main_link)}'>{_bi('report' if ok else 'failed report')}</a>",
             f"<a href='{html.escape(day + '/' + m['_manifest'])}'>{_bi('manifest')}</a>"]
    if not ok and m["_has_ok_html"]:
        links.append(f"<a href='{html.escape(day + '/' + prefix + stem + '.html')}'>{_bi('last good report')}</a>")
    titles = [f"<a href='{html.escape(main_link)}'>{html.escape(str(m.get('title') or stem))}</a>"]
    if m.get("_language"):   # run only in another language
        links[0] = _language_link(day, m)
    else:
        for lang, rel in language_versions(root / day, stem):
            href = html.escape(day + "/" + rel)
            links.append(f"<a href='{href}'>{html.escape(LANGUAGE_NAMES.get(lang, lang))}</a>")
            other = (m.get("_translations") or {}).get(lang) or {}
            if other.get("title"):
                titles.append(f"<a href='{href}' lang='{lang}'>{html.escape(str(other['title']))}</a>")
    titles.append(f"<span class='stem'>{html.escape(stem)}</span>")
    err = f"<div class='err'>{html.escape(str(m.get('error') or ''))}</div>" if not ok else ""
    dur = m.get("duration_s")
    return (f"<tr><td>{'<br>'.join(titles)}{err}</td><td>{badge}</td>"
            f"<td class='num'>{'' if dur is None else f'{dur:,.1f} s'}</td>"
            f"<td>{html.escape(_when(m.get('started_at', '')))}</td><td>{' · '.join(links)}</td></tr>")


#: columns of a dated run's table in the index
_INDEX_HEADERS = ("report", "status", "duration", "started", "links")


def write_index(reports_dir: str | os.PathLike | None = None) -> Path:
    """Regenerate ``<reports_dir>/index.html``: each as-of date (newest first), its reports and run times, every
    label in English with the Chinese beside it, each report's title in each language it ran in."""
    root = Path(reports_dir) if reports_dir else config.REPORTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    runs = _read_manifests(root)
    latest_day, latest_t = None, ""
    for day, items in runs.items():
        started = max(str(m.get("started_at") or "") for m in items)
        if started > latest_t:
            latest_day, latest_t = day, started
    head = "".join(f"<th>{_bi(h)}</th>" for h in _INDEX_HEADERS)
    parts = []
    for day, items in runs.items():
        n, n_fail = len(items), sum(1 for m in items if m.get("status") != "ok")
        summary = _bi("{n} report(s), {k} failed", n=n, k=n_fail) if n_fail else _bi("{n} report(s), all ok", n=n)
        journal = _journal_state(root / day)
        if journal:  # an unfinished run-all is never "all ok"
            summary = (f"<span class='{journal[0]}'>{journal[1]}</span> · "
                       f"{_bi('{n} report(s) so far, {k} failed', n=n, k=n_fail)}")
        first = min(str(m.get("started_at") or "") for m in items)
        last = max(str(m.get("ended_at") or "") for m in items)
        rows = "".join(_index_row(root, day, m) for m in items)
        mark = f" <span class='latest'>{_bi('latest run')}</span>" if day == latest_day else ""
        parts.append(f"<h2>{_bi('As of {day}', day=day)}{mark}</h2><p class='sum'>{summary}<br>"
                     f"{_bi('Run time: {first} to {last}', first=_when(first), last=_when(last))}</p><table><thead><tr>{head}"
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    body = "".join(parts) or f"<p>{_bi('No reports yet: run <code>clientlens run-all</code>.')}</p>"
    intro = _bi("Each as-of date (newest first) with its reports, the status of each report's most recent attempt "
                "and when it ran. Generated {when} by clientlens {version}.",
                when=_when(_now().isoformat(timespec="seconds")), version=__version__)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ClientLens reports · 报告索引</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
       margin: 2em auto; max-width: 64em; color: #1a202c; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }}
th, td {{ text-align: left; padding: 4px 10px; border-bottom: 1px solid #ddd; vertical-align: top; }}
td.num {{ text-align: right; white-space: nowrap; }}
.zh {{ color: #4a5568; }}
.ok .zh, .failed .zh, .incomplete .zh, .running .zh, .latest .zh {{ color: inherit; }}
.stem {{ color: #718096; font-size: 0.85em; }}
.ok {{ color: #fff; background: #2f855a; padding: 1px 8px; border-radius: 4px; white-space: nowrap; }}
.failed, .incomplete {{ color: #fff; background: #c53030; padding: 1px 8px; border-radius: 4px; }}
.running, .latest {{ color: #fff; background: #2b6cb0; padding: 1px 8px; border-radius: 4px; }}
span.failed {{ white-space: nowrap; }}
.err {{ color: #c53030; font-size: 0.85em; }}
.sum {{ color: #555; }}
</style></head><body>
<h1>{_bi("ClientLens reports")}</h1>
<p>{intro}</p>
{body}
</body></html>
"""
    out = root / "index.html"
    _atomic_write_text(out, page)
    return out


# --------------------------------------------------------------------------- entry points

def run_notebook(notebook: str | os.PathLike, *, params_file: str | os.PathLike | None = None,
                 overrides: dict | None = None, as_of: str | None = None,
                 reports_dir: str | os.PathLike | None = None, force: bool = False, timeout: int = 1800,
                 progress: bool = True) -> RunResult:
    """Validate then execute one notebook (see the module docstring).

    Raises :class:`clientlens.ClientLensError` for anything found before the kernel starts;
    returns a :class:`RunResult` with ``status`` ``"ok"`` or ``"failed"`` otherwise.
    """
    if timeout is None or timeout <= 0:
        raise ParamsError(f"timeout must be > 0 seconds; got {timeout}")
    plan = plan_run(notebook, params_file=params_file, overrides=overrides, as_of=as_of,
                    reports_dir=reports_dir, force=force)
    return execute_plan(plan, timeout=timeout, progress=progress)


def run_all(*, params_file: str | os.PathLike | None = None, overrides: dict | None = None,
            as_of: str | None = None, reports_dir: str | os.PathLike | None = None, force: bool = False,
            timeout: int = 1800, progress: bool = True, notebooks: Iterable[str | os.PathLike] | None = None,
            on_result: Callable[[RunResult], None] | None = None, resume: bool = False,
            jobs: int | str = 1) -> list[RunResult]:
    """Run every report notebook (``notebooks/NN_*.ipynb``) in order.

    All notebooks are validated (params, existing reports, data) before the first kernel starts;
    then each runs in turn and a failure does not stop the others. ``overrides`` apply to the
    notebooks that declare each key (a key no notebook declares is an error). A journal
    (``reports/<as_of>/run-all.journal.json``) is written at the start and closed at the end, so the
    index shows a run-all that died as incomplete. ``resume=True`` skips the reports already ok for
    that date (made with the same parameters) and runs the others.

    ``jobs`` > 1 (or ``"auto"``, :func:`default_jobs`) runs that many report kernels at a time, each report
    after the reports whose artefacts it reads (:data:`REPORT_INPUTS`); the reports and their numbers are
    the same as in order (the run cache computes each intermediate once, also for two kernels asking at
    the same time). Progress bars are off then; ``on_result`` is called as each report ends.
    """
    n_jobs = resolve_jobs(jobs)
    if timeout is None or timeout <= 0:
        raise ParamsError(f"timeout must be > 0 seconds; got {timeout}")
    if resume and force:
        raise ParamsError("--resume and --force exclude each other (resume keeps the reports already ok)")
    nbs = [resolve_notebook(n) for n in notebooks] if notebooks is not None else list_notebooks()
    if not nbs:
        raise ClientLensError(f"no notebooks NN_*.ipynb in {config.NOTEBOOKS_DIR}")
    file_params = load_params_file(params_file) if params_file else {}
    overrides = dict(overrides or {})
    declared_all = {nb: notebook_parameters(nb) for nb in nbs}
    unknown = sorted(k for k in overrides if not any(k in d for d in declared_all.values()))
    if unknown:
        valid = sorted({k for d in declared_all.values() for k in d})
        raise ParamsError(f"unknown parameter '{unknown[0]}' (override); valid keys: {', '.join(valid)}")
    from .params import check_common_keys

    # a common key is valid when any report notebook declares it, not only the ones run now (a subset
    # run with the full params file must not fail on another report's settings)
    every = {nb: declared_all.get(nb) or notebook_parameters(nb) for nb in set(nbs) | set(list_notebooks())}
    check_common_keys(file_params, every.values(), where=str(params_file) if params_file else "params")
    cache: dict = {}
    plans = [plan_run(nb, params_file=params_file, file_params=file_params,
                      overrides={k: v for k, v in overrides.items() if k in declared_all[nb]},
                      as_of=as_of, reports_dir=reports_dir, force=force or resume, data_cache=cache,
                      check_common=False) for nb in nbs]
    skip = set()
    if resume:
        for plan in plans:
            if _already_ok(plan):
                skip.add(plan.stem)
            plan.force = False if plan.stem not in skip and not plan.html_path.exists() else plan.force
    journals = {}
    for plan in plans:
        journals.setdefault(plan.day_dir, {"started_at": _now().isoformat(timespec="seconds"), "pid": os.getpid(),
                                           "host": platform.node(), "status": "running", "resume": resume,
                                           "params_file": str(params_file) if params_file else None,
                                           "notebooks": [], "done": {}})["notebooks"].append(plan.stem)
    for day, j in journals.items():
        day.mkdir(parents=True, exist_ok=True)
        _atomic_write_text(day / JOURNAL, json.dumps(j, indent=2))
    status = "complete"
    import signal

    def record(plan: RunPlan, res: RunResult) -> None:
        with _OUTPUT_LOCK:
            j = journals[plan.day_dir]
            j["done"][plan.stem] = res.status
            _atomic_write_text(plan.day_dir / JOURNAL, json.dumps(j, indent=2))
            write_index(plans[0].reports_root)
        if on_result:
            on_result(res)

    in_main = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _raise_interrupted) if in_main else None
    try:
        if n_jobs > 1 and len(plans) - len(skip) > 1:
            results = _run_parallel(plans, skip, jobs=n_jobs, timeout=timeout, record=record)
        else:
            results = []
            for i, plan in enumerate(plans):
                if plan.stem in skip:
                    res = _skipped(plan)
                else:
                    res = execute_plan(plan, timeout=timeout, progress=progress, update_index=False,
                                       pending=[q.stem for q in plans[i:] if q.stem not in skip])
                results.append(res)
                record(plan, res)
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except BaseException:
        status = "aborted"
        raise
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, old_term if old_term is not None else signal.SIG_DFL)
        for day, j in journals.items():
            j["status"] = status
            j["ended_at"] = _now().isoformat(timespec="seconds")
            _atomic_write_text(day / JOURNAL, json.dumps(j, indent=2))
        write_index(plans[0].reports_root)
    return results


def _skipped(plan: RunPlan) -> RunResult:
    return RunResult(stem=plan.stem, status="skipped", report=plan.html_path,
                     manifest=plan.day_dir / f"{plan.stem}.manifest.json", duration_s=0.0,
                     error="already ok for this date (--resume)")


def default_jobs() -> int:
    """``--jobs auto``: two report kernels at a time on a machine with at least 2 cores and 16 GiB of memory (a
    report kernel on a 1M-customer bank peaks near 10 GB; each DuckDB connection is capped, README), else one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = 0
    return 2 if cores >= 2 and memory >= 16 * 2**30 else 1


def resolve_jobs(jobs: int | str | None) -> int:
    """The number of report kernels run at a time: an int >= 1, or ``"auto"`` (:func:`default_jobs`)."""
    if jobs in (None, "auto"):
        return default_jobs()
    try:
        n = int(jobs)
    except (TypeError, ValueError):
        n = 0
    if isinstance(jobs, bool) or n < 1 or str(n) != str(jobs).strip():
        raise ParamsError(f"jobs must be a whole number >= 1 or 'auto'; got {jobs!r}")
    return n


def report_inputs(stems: list[str]) -> dict[str, set[str]]:
    """For each report of a run, the reports of the same run it must wait for (:data:`REPORT_INPUTS`; a
    notebook not listed there waits for every earlier one)."""
    out = {}
    for i, stem in enumerate(stems):
        before = set(stems[:i])
        out[stem] = set(REPORT_INPUTS[stem]) & before if stem in REPORT_INPUTS else before
    return out


#: seconds each report took in a cold ``run_all@1M`` (docs/benchmarks.md): :func:`_run_parallel`'s order when a
#: report has no earlier run for the date to go by (only their ratios matter: the longest chains start first)
TYPICAL_SECONDS = {"00_data_overview": 80, "01_profile": 67, "02_binning": 237, "03_segmentation": 106,
                   "04_clv": 159, "05_response_model": 198, "06_model_validation": 143, "07_event_triggers": 88,
                   "08_strategy": 39, "09_post_evaluation": 89}


def _last_duration(plan: RunPlan) -> float:
    """The report's duration in its last run for the date, else :data:`TYPICAL_SECONDS` (60 s for another notebook)."""
    m = _read_json(plan.day_dir / f"{plan.stem}.manifest.json") or {}
    typical = float(TYPICAL_SECONDS.get(plan.stem, 60.0))
    try:
        return max(float(m.get("duration_s") or typical), 1.0)
    except (TypeError, ValueError):
        return typical


def _run_parallel(plans: list[RunPlan], skip: set, *, jobs: int, timeout: int,
                  record: Callable[[RunPlan, RunResult], None]) -> list[RunResult]:
    """Run the plans ``jobs`` at a time, each after the reports it reads (:func:`report_inputs`); among the
    reports ready to start, the one heading the longest remaining chain first (by the last run's durations)."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    stems = [p.stem for p in plans]
    needs = report_inputs(stems)
    weight = {p.stem: _last_duration(p) for p in plans}
    chain: dict[str, float] = {}
    for stem in reversed(stems):   # longest chain of reports waiting on this one, itself included
        chain[stem] = weight[stem] + max((chain[s] for s in stems if stem in needs[s]), default=0.0)
    results: dict[str, RunResult] = {}
    done = set()
    for plan in plans:
        if plan.stem in skip:
            results[plan.stem] = _skipped(plan)
            done.add(plan.stem)
            record(plan, results[plan.stem])
    cancel, live, running = _Cancel(), set(), {}
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="clientlens-report")
    try:
        while len(done) < len(plans):
            started = {p.stem for p in running.values()}
            ready = sorted((p for p in plans if p.stem not in done | started and needs[p.stem] <= done),
                           key=lambda p: (-chain[p.stem], stems.index(p.stem)))
            for plan in ready[:jobs - len(running)]:
                running[pool.submit(execute_plan, plan, timeout=timeout, progress=False, update_index=False,
                                    pending=[s for s in stems if s not in done], cancel=cancel, live=live)] = plan
            finished, _ = wait(list(running), timeout=1.0, return_when=FIRST_COMPLETED)
            for fut in finished:
                plan = running.pop(fut)
                results[plan.stem] = fut.result()   # the report's lock held by another run: the run-all stops
                done.add(plan.stem)
                record(plan, results[plan.stem])
    except BaseException as exc:
        cancel.reason = exc if isinstance(exc, KeyboardInterrupt) else None
        cancel.set()
        for km in list(live):   # stop the other kernels: their reports are recorded as interrupted
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            if proc is not None and proc.poll() is None:
                proc.kill()
        wait(list(running))
        raise
    finally:
        pool.shutdown(wait=True)
    return [results[s] for s in stems if s in results]


def _comparable(params: dict) -> str:
    drop = ("output_dir", "reports_dir")
    return json.dumps({k: v for k, v in params.items() if k not in drop}, sort_keys=True, default=str)


def _already_ok(plan: RunPlan) -> bool:
    """True when the dated report exists with an ok manifest made with the same parameters."""
    m = _read_json(plan.day_dir / f"{plan.stem}.manifest.json")
    if not (m and m.get("status") == "ok" and plan.html_path.exists()):
        return False
    if _comparable(json.loads(json.dumps(plan.effective_params(), default=str))) != _comparable(m.get("params") or {}):
        raise ClientLensError(f"{_show_path(plan.html_path)} was made with other parameters; "
                              f"use --force to redo it")
    return True
