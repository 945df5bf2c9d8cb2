"""``dsr build``: plan the reports of every design cycle, skip what is current, run the rest.

``study.yaml`` declares the reports::

    reports:
      corpus-overview:
        notebook: notebooks/corpus_overview.ipynb
        title: Corpus overview          # optional
        cycles: [1, 2, 3]               # optional; default: every cycle
        parameters: {}                  # optional; study_path, cycle, output_dir are given
        inputs: [interviews, study.yaml] # optional; default: all study inputs
        present: false                  # true: also export reveal.js slides

A job is one (cycle, report). Its **key** is the SHA-256 of the notebook's code cells, the
parameters, the hashes of the inputs it reads, the library's source and the environment
(Python and package versions). A job whose key equals its latest version's is skipped
without starting a kernel; the rest run with papermill through any
:class:`concurrent.futures.Executor` (a process pool by default, a Dask cluster with
``--executor dask://HOST:8786``). Each run writes a new immutable version folder (see
:mod:`dsr_workbench.build.outputs`); a failure is recorded in ``reports/.build/failures/`` and
never touches an earlier version.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.build.jobs import Job, plan
from dsr_workbench.build.outputs import (
    MANIFEST,
    ensure_static,
    latest_version,
    list_versions,
    pages_outdated,
    read_manifest,
)
from dsr_workbench.build.pages import failing_cell, finish_version
from dsr_workbench.build.privacy import LeakCheckSkipped, gate, resolve_key, scrub_failure
from dsr_workbench.build.workers import (
    BuildLockedError,
    abort_executor,
    acquire_lock,
    clean_stale,
    kernel_manager_class,
    make_tmp,
    wait_for_foreign_workers,
    worker_identity,
    worker_init,
    worker_mismatch,
)
from dsr_workbench.core.atomic import atomic_write_text
from dsr_workbench.core.errors import DsrError
from dsr_workbench.core.procs import signals_raise
from dsr_workbench.corpus.pseudonymise import PseudonymKey
from dsr_workbench.corpus.study import Study

__all__ = [
    "RESULT_COLUMNS",
    "BuildLockedError",
    "build",
    "make_executor",
    "run_job",
]

RESULT_COLUMNS = ["cycle", "report", "status", "version", "duration_s", "error"]
"""Columns of :func:`build`'s result; status is built | skipped | failed."""


def _git_state(root: Path) -> dict[str, Any]:
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
        return {"commit": commit, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _git(root: Path, *args: str) -> str:
    """The stripped output of a read-only ``git`` command run in ``root``."""
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


def run_job(job: Job, key: PseudonymKey | None = None) -> dict[str, Any]:
    """Execute one job into a new version folder. Runs in a worker; returns a result dict.

    Never raises for a notebook error: the failure (cell, error) is returned and recorded.
    With a pseudonymisation ``key``, the finished folder passes the privacy gate
    (:func:`dsr_workbench.build.privacy.gate`) before it is published.
    """
    worker = worker_identity()
    if worker.get("dask_worker"):  # a Dask worker may run on another host, in another env
        problem = worker_mismatch(job, worker)
        if problem is not None:  # nothing was written: the study may not even be visible
            return {**_empty_result(job), "error": problem, "duration_s": 0.0}
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    start = time.time()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report_dir = job.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    tmp = make_tmp(report_dir)  # named after this process: see build.workers
    params = {**job.parameters, "output_dir": os.path.relpath(tmp, job.study_root)}
    result = _empty_result(job)
    log = _redirect_stderr(job)
    try:
        pm.execute_notebook(
            job.notebook,
            str(tmp / "notebook.ipynb"),
            parameters=params,
            cwd=job.study_root,
            progress_bar=False,
            log_output=False,
            kernel_name="python3",
            execution_timeout=_timeout_seconds(job.timeout_minutes),
            kernel_manager_class=kernel_manager_class(),
        )
        finish_version(job, tmp)  # paths, checks, notebook.html, slides.html, size
    except pm.PapermillExecutionError as exc:
        where = failing_cell(tmp / "notebook.ipynb", exc.exec_count)
        result["error"] = (f"{where}: " if where else "") + f"{exc.ename}: {exc.evalue}".strip()
        result["cell"] = exc.exec_count
    except CellTimeoutError:
        result["error"], result["cell"] = _timeout_error(
            tmp / "notebook.ipynb", job.timeout_minutes
        )
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc(limit=5)
    finally:
        log()
    end = time.time()
    result["duration_s"] = round(end - start, 2)
    manifest = {
        "report": job.report,
        "title": job.title,
        "cycle": job.cycle,
        "key": job.key,
        "components": job.components,
        "notebook": os.path.relpath(job.notebook, job.study_root),
        "parameters": {k: v for k, v in job.parameters.items()},
        "inputs": job.inputs,
        "environment": job.environment,
        "git": _git_state(Path(job.study_root)),
        "worker": worker,
        "present": job.present,
        "with_code": job.with_code,
        "start": started_at,
        "end": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_s": result["duration_s"],
        "status": "ok" if result["error"] is None else "failed",
        "files": sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file()),
    }
    if result["error"] is not None:
        scrub_failure(tmp, key, manifest, result)  # a failed run's record holds no real name
        _record_failure(job, manifest, result, tmp)
        return result
    atomic_write_text(tmp / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    if not gate(tmp, key, manifest, result):  # a real name: withdrawn, recorded as failed
        _record_failure(job, manifest, result, tmp)
        return result
    result["version"] = _publish(tmp, report_dir)
    _clear_failure(job)
    return result


def _empty_result(job: Job) -> dict[str, Any]:
    return {"cycle": job.cycle, "report": job.report, "version": None, "error": None, "cell": None}


def _timeout_seconds(minutes: float | None) -> int | None:
    """Papermill's ``execution_timeout`` (whole seconds per cell) for ``timeout_minutes``."""
    return None if minutes is None else max(1, round(minutes * 60))


def _timeout_error(executed: Path, minutes: float | None) -> tuple[str, int | None]:
    """The error of a job whose cell hit the execution timeout, and that cell's number.

    The cell is the last one that started (papermill saves the notebook as it stops): its
    execution count, as ``In [N]`` shows it, like a failing cell's.
    """
    cell = None
    try:
        cells = json.loads(executed.read_text(encoding="utf-8")).get("cells", [])
        counts = [c.get("execution_count") for c in cells if c.get("cell_type") == "code"]
        started = [n for n in counts if isinstance(n, int)]
        cell = max(started) if started else None
    except (OSError, ValueError, AttributeError):
        pass
    seconds = _timeout_seconds(minutes) or 0
    limit = f"{seconds // 60:g} min" if seconds % 60 == 0 else f"{seconds} s"
    where = f"cell {cell}" if cell is not None else "a cell"
    return (
        f"TimeoutError: {where} ran longer than {limit} (timeout_minutes in study.yaml)",
        cell,
    )


_STDERR_LOCK = threading.Lock()
_stderr_taken = False  # a job of this process has fd 2 pointed at its log (under the lock)


def _redirect_stderr(job: Job) -> Callable[[], None]:
    """In a worker process, send the kernel's stderr chatter to ``reports/.build/logs/``.

    Returns the function that restores stderr. In the main process (thread executor) nothing
    is redirected, since stderr is shared. In a worker with several threads (a Dask worker
    started without ``--nthreads 1``) only the first of overlapping jobs redirects, and it
    restores the original: each swap of fd 2 is undone by the job that made it, in order.
    """
    global _stderr_taken
    import multiprocessing

    if multiprocessing.current_process().name == "MainProcess":
        return lambda: None
    with _STDERR_LOCK:
        if _stderr_taken:  # another job of this process holds it: leave fd 2 alone
            return lambda: None
        _stderr_taken = True
        try:
            logs = Path(job.reports_dir) / ".build" / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            sys.stderr.flush()
            saved = os.dup(2)
            handle = open(logs / f"cycle-{job.cycle}-{job.report}.log", "ab")
            os.dup2(handle.fileno(), 2)
        except BaseException:
            _stderr_taken = False
            raise

    def restore() -> None:
        global _stderr_taken
        with _STDERR_LOCK:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            handle.close()
            _stderr_taken = False

    return restore


def _publish(tmp: Path, report_dir: Path) -> str:
    """Rename the finished temporary folder to the next free ``vNNN`` (atomic, no overwrite)."""
    while True:
        numbers = list_versions(report_dir)
        name = f"v{(numbers[-1] if numbers else 0) + 1:03d}"
        try:
            os.rename(tmp, report_dir / name)  # fails if the target exists and is not empty
        except OSError:
            if (report_dir / name).exists():
                continue
            raise
        return name


def _record_failure(job: Job, manifest: dict[str, Any], result: dict[str, Any], tmp: Path) -> None:
    target = job.failure_dir
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    manifest = {
        **manifest,
        "error": result["error"],
        "cell": result["cell"],
        "traceback": result.get("traceback"),
    }
    atomic_write_text(tmp / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    os.rename(tmp, target)


def _clear_failure(job: Job) -> None:
    target = job.failure_dir
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)


def make_executor(spec: str | None, jobs: int) -> tuple[cf.Executor, Callable[[], None]]:
    """Return an executor and a function that shuts it down.

    ``spec``: ``None`` or ``"process"`` (a process pool of ``jobs`` workers), ``"thread"``,
    ``"dask-local"`` (a Dask ``LocalCluster`` of ``jobs`` workers) or ``"dask://HOST:PORT"``
    (an existing Dask scheduler).
    """
    if spec in (None, "", "process"):
        import multiprocessing

        # Import what every job needs once, here, and fork the workers from this process so
        # they inherit it: each worker importing papermill and nbconvert itself costs ~3 s.
        import nbconvert  # noqa: F401
        import papermill  # noqa: F401

        context = (
            multiprocessing.get_context("fork")
            if "fork" in multiprocessing.get_all_start_methods()
            else None
        )
        # each worker dies with the build, even if the build is killed (see build.workers)
        pool = cf.ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=worker_init, initargs=(os.getpid(),)
        )
        return pool, lambda: pool.shutdown(wait=True)
    if spec == "thread":
        tpool = cf.ThreadPoolExecutor(max_workers=jobs)
        return tpool, lambda: tpool.shutdown(wait=True)
    if spec == "dask-local" or spec.startswith(("dask://", "tcp://")):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise DsrError(
                "the Dask executor needs 'distributed'", hint="pip install 'dsr-workbench[dask]'"
            ) from None
        if spec == "dask-local":
            cluster = LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)

            def close() -> None:
                client.close()
                cluster.close()
        else:
            client = _connect(Client, spec)
            close = client.close
        return client.get_executor(), close
    raise DsrError(
        f"unknown executor '{spec}'", hint="use process, thread, dask-local or dask://HOST:PORT"
    )


CONNECT_TIMEOUT_S = 10.0
"""How long ``dsr build --executor dask://...`` waits for the scheduler, and then for a
first worker (``DSR_DASK_TIMEOUT`` overrides it, in seconds)."""


def _connect_timeout() -> float:
    raw = os.environ.get("DSR_DASK_TIMEOUT")
    if raw is None:
        return CONNECT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise DsrError(
            f"DSR_DASK_TIMEOUT must be a number of seconds above 0, got '{raw}'",
            hint="e.g. DSR_DASK_TIMEOUT=30, or unset it (default 10)",
        )
    return value


def _connect(client_class: Any, spec: str) -> Any:
    """A Dask client of the scheduler at ``spec`` that has at least one worker.

    Raises
    ------
    DsrError
        If no scheduler answers at the address, or it has no worker, within
        :func:`_connect_timeout` seconds: one line naming the address and what to do.
    """
    address = spec.replace("dask://", "tcp://", 1)
    timeout = _connect_timeout()
    try:
        client = client_class(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DsrError(
            f"no Dask scheduler answers at {spec} within {timeout:g} s ({reason})",
            hint=f"start one there (`dask scheduler --port {address.rsplit(':', 1)[-1]}` and "
            f"`dask worker {address} --nthreads 1`), fix the address, or use --executor process",
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise DsrError(
            f"the Dask scheduler at {spec} has no worker (waited {timeout:g} s)",
            hint=f"start workers with `dask worker {address} --nthreads 1`",
        ) from None
    return client


def build(
    study: Study,
    *,
    cycles: Iterable[int] | None = None,
    reports: Iterable[str] | None = None,
    jobs: int = 2,
    force: bool = False,
    executor: str | cf.Executor | None = None,
    progress: bool = True,
    wait: bool = True,
    key: str | Path | PseudonymKey | None = None,
    with_code: bool = False,
) -> pd.DataFrame:
    """Build the study's reports: skip current ones, run the rest in parallel.

    Parameters
    ----------
    study
        From :func:`dsr_workbench.corpus.study.load_study`.
    cycles, reports
        Restrict the build (default: everything).
    jobs
        Parallel jobs.
    force
        Run even jobs whose key is unchanged.
    executor
        An executor, or a spec for :func:`make_executor`.
    progress
        Show a progress bar on stderr.
    wait
        If another build of the study runs, or a worker of a killed one still writes a
        report, wait for it (else raise :class:`BuildLockedError`).
    key
        Pseudonymisation key (or its file) for the privacy gate; default ``DSR_KEY_FILE``,
        then ``study.key_file``. Without one, a :class:`LeakCheckSkipped` warning is given
        once.
    with_code
        Pages show the code from the start (see :func:`dsr_workbench.build.jobs.plan`).

    Returns
    -------
    pandas.DataFrame
        One row per job, columns :data:`RESULT_COLUMNS`.
    """
    todo = plan(study, cycles=cycles, reports=reports, with_code=with_code)
    leak_key, skipped = resolve_key(study, key)  # read once, here; handed to every job
    with signals_raise():  # SIGTERM, SIGHUP: unwind (kill the workers, release the lock)
        return _build_locked(study, todo, jobs, force, executor, progress, wait, leak_key, skipped)


def _build_locked(
    study: Study,
    todo: list[Job],
    jobs: int,
    force: bool,
    executor: str | cf.Executor | None,
    progress: bool,
    wait: bool,
    leak_key: PseudonymKey | None,
    skipped: str | None,
) -> pd.DataFrame:
    """:func:`build` once the jobs are planned: take the lock, clean up, run, index."""
    lock = acquire_lock(study.reports_dir, wait)
    try:
        wait_for_foreign_workers(study.reports_dir, wait)
        clean_stale(study.reports_dir)
        rows = []
        run = []
        for job in todo:
            latest = latest_version(job.report_dir)
            if not force and latest is not None and read_manifest(latest).get("key") == job.key:
                rows.append((job.cycle, job.report, "skipped", latest.name, 0.0, None))
            else:
                run.append(job)
        if run:
            if skipped:
                warnings.warn(skipped, LeakCheckSkipped, stacklevel=3)
            ensure_static(study.reports_dir)
            try:
                rows.extend(_run(run, jobs, executor, progress, leak_key))
            finally:
                clean_stale(study.reports_dir)  # the folders of workers killed by an interrupt
        if run or pages_outdated(study.reports_dir):
            from dsr_workbench.build.index import write_index  # imports nbconvert: lazily

            write_index(study)
    finally:
        lock.release()
    return pd.DataFrame(rows, columns=RESULT_COLUMNS).sort_values(
        ["cycle", "report"], ignore_index=True
    )


def _expected_duration(job: Job) -> float:
    """The duration of the job's latest version (unknown jobs first: +inf)."""
    latest = latest_version(job.report_dir)
    duration = read_manifest(latest).get("duration_s") if latest else None
    return float("inf") if duration is None else float(duration)


def _run(
    jobs_to_run: list[Job],
    jobs: int,
    executor: str | cf.Executor | None,
    progress: bool,
    key: PseudonymKey | None = None,
) -> list[tuple[Any, ...]]:
    from tqdm import tqdm

    owned = not isinstance(executor, cf.Executor)
    if isinstance(executor, cf.Executor):
        pool, close = executor, (lambda: None)
    else:
        pool, close = make_executor(executor, min(jobs, len(jobs_to_run)))
    rows = []
    futures: dict[cf.Future[dict[str, Any]], Job] = {}
    try:
        # longest first (by the last run's duration), so that no long job starts last
        ordered = sorted(jobs_to_run, key=_expected_duration, reverse=True)
        futures = {pool.submit(run_job, job, key): job for job in ordered}
        bar = tqdm(
            total=len(futures),
            desc="dsr build",
            unit="notebook",
            disable=not progress,
            file=sys.stderr,
        )
        for future in cf.as_completed(futures):
            job = futures[future]
            try:
                res = future.result()
            except Exception as exc:
                res = {"version": None, "error": f"{type(exc).__name__}: {exc}", "duration_s": None}
            status_ = "failed" if res.get("error") else "built"
            bar.set_postfix_str(f"cycle {job.cycle} {job.report}: {status_}")
            bar.update()
            rows.append(
                (
                    job.cycle,
                    job.report,
                    status_,
                    res.get("version"),
                    res.get("duration_s"),
                    res.get("error"),
                )
            )
        bar.close()
    except BaseException:  # Ctrl-C, SIGTERM, SIGHUP: stop the workers now, not after their jobs
        for future in futures:
            future.cancel()
        if owned:  # a caller's executor is the caller's to stop
            abort_executor(pool)
        raise
    finally:
        close()
    return rows


def job_dict(job: Job) -> dict[str, Any]:
    """A job as plain data (for logs and tests)."""
    return asdict(job)
