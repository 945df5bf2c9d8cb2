"""``dsr build``: plan the artifacts of every design cycle, skip what is current, run the rest.

``study.yaml`` declares the artifacts::

    artifacts:
      corpus-overview:
        notebook: notebooks/corpus_overview.ipynb
        title: Corpus overview          # optional
        cycles: [1, 2, 3]               # optional; default: every cycle
        parameters: {}                  # optional; study_path, cycle, output_dir are given
        inputs: [interviews, study.yaml] # optional; default: all study inputs
        present: false                  # true: also export reveal.js slides

A job is one (cycle, artifact). Its **key** is the SHA-256 of the notebook's code cells, the
parameters, the hashes of the inputs it reads, the library's source and the environment
(Python and package versions). A job whose key equals its latest version's is skipped
without starting a kernel; the rest run with papermill through any
:class:`concurrent.futures.Executor` (a process pool by default, a Dask cluster with
``--executor dask://HOST:8786``). Each run writes a new immutable version folder (see
:mod:`dsr_workbench.artifacts`); a failure is recorded in ``reports/.build/failures/`` and
never touches an earlier version.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from dsr_workbench import __version__
from dsr_workbench.artifacts import (
    MANIFEST,
    HashCache,
    changed_inputs,
    ensure_static,
    latest_version,
    list_versions,
    read_manifest,
    tree_files,
)
from dsr_workbench.atomic import atomic_write_text
from dsr_workbench.errors import DsrError, StudyError
from dsr_workbench.study import Study

__all__ = [
    "RESULT_COLUMNS",
    "STATUS_COLUMNS",
    "BuildLockedError",
    "Job",
    "build",
    "make_executor",
    "plan",
    "status",
    "verify",
]

RESULT_COLUMNS = ["cycle", "artifact", "status", "version", "duration_s", "error"]
"""Columns of :func:`build`'s result; status is built | skipped | failed."""

STATUS_COLUMNS = ["cycle", "artifact", "state", "version", "built_at", "detail"]
"""Columns of :func:`status`; state is current | stale | failed | missing."""

DEFAULT_INPUTS = ("study.yaml", "{interviews}", "{data}")
INJECTED = ("study_path", "cycle", "output_dir")
_ARTIFACT_KEYS = {"notebook", "title", "cycles", "parameters", "inputs", "present", "description"}
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
    "tuple": (list, tuple),
}
_SELF = Path(__file__).resolve().parent


class BuildLockedError(DsrError):
    """Another build holds the study's build lock."""


@dataclass
class Job:
    """One (cycle, artifact) to build. ``key`` is filled in by :func:`plan`."""

    cycle: int
    artifact: str
    title: str
    notebook: str
    parameters: dict[str, Any]
    inputs: dict[str, str]
    present: bool
    study_root: str
    reports_dir: str
    key: str = ""
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def artifact_dir(self) -> Path:
        """``reports/cycle-<N>/<artifact>``."""
        return Path(self.reports_dir) / f"cycle-{self.cycle}" / self.artifact


def environment() -> dict[str, str]:
    """Return Python's version and the versions of the installed dependencies.

    Examples
    --------
    >>> env = environment()
    >>> "python" in env and "pandas" in env and "dsr-workbench" in env
    True
    """
    env = {"python": platform.python_version(), "dsr-workbench": __version__}
    try:
        requires = metadata.requires("dsr-workbench") or []
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        requires = []
    names = {
        r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip()
        for r in requires
        if "extra ==" not in r
    }
    for name in sorted(names | {"ipykernel", "nbclient", "jupyter_client"}):
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            env[name] = "missing"
    return env


def library_hash() -> str:
    """SHA-256 over the source of the ``dsr_workbench`` package (every ``.py`` file)."""
    digest = hashlib.sha256()
    for file in sorted(_SELF.rglob("*.py")):
        digest.update(file.relative_to(_SELF).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def code_cells(notebook: Path) -> list[str]:
    """Return the sources of a notebook's code cells (what its key depends on)."""
    nb = nbformat.read(notebook, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _parameters_cell(notebook: Path, where: str, study: Study) -> dict[str, dict[str, Any]]:
    from papermill.inspection import inspect_notebook

    nb = nbformat.read(notebook, as_version=4)
    if not any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
        raise StudyError(
            f"notebook '{notebook.name}' has no cell tagged 'parameters'",
            path=study.path,
            line=study.lines.get(where),
            key=where,
            hint="tag the notebook's first code cell 'parameters' (View > Cell toolbar > Tags)",
        )
    return dict(inspect_notebook(str(notebook)))


def _declared_type(info: dict[str, Any]) -> str:
    """The type of a notebook parameter: its annotation, else the type of its default."""
    import ast

    hinted = str(info.get("inferred_type_name", "None"))
    if hinted != "None":
        return hinted
    try:
        default = ast.literal_eval(str(info.get("default")))
    except (ValueError, SyntaxError):
        return "None"
    return "None" if default is None else type(default).__name__


def _check_parameters(
    values: dict[str, Any],
    declared: dict[str, dict[str, Any]],
    notebook: Path,
    where: str,
    study: Study,
) -> None:
    for name, value in values.items():
        if name not in declared:
            raise StudyError(
                f"parameter '{name}' is not declared in {notebook.name}'s parameters cell",
                path=study.path,
                line=study.lines.get(f"{where}.{name}"),
                key=f"{where}.{name}",
                hint="declared: " + ", ".join(sorted(declared)) + "; fix the name or add it "
                "to the parameters cell",
            )
        type_name = _declared_type(declared[name])
        expected = _TYPES.get(type_name.split("[")[0].strip())
        if expected is None or value is None:
            continue  # default None / untyped: anything goes
        bad = not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected)
        if bad:
            raise StudyError(
                f"parameter '{name}' should be {type_name} (as in {notebook.name}), "
                f"got {type(value).__name__} {value!r}",
                path=study.path,
                line=study.lines.get(f"{where}.{name}"),
                key=f"{where}.{name}",
                hint=f"give a {type_name} value",
            )


def artifact_specs(study: Study) -> dict[str, dict[str, Any]]:
    """Return the validated ``artifacts`` section of ``study.yaml``."""
    raw = study.raw.get("artifacts") or {}
    if not isinstance(raw, dict):
        raise StudyError(
            "'artifacts' must map artifact names to their settings",
            path=study.path,
            line=study.lines.get("artifacts"),
            key="artifacts",
            hint="write 'artifacts:' then 'name: {notebook: ...}' entries",
        )
    cycles = set(study.cycles.cycle)
    out = {}
    for name, spec in raw.items():
        where = f"artifacts.{name}"
        line = study.lines.get(where)
        if not isinstance(spec, dict) or "notebook" not in spec:
            raise StudyError(
                f"artifact '{name}' needs a 'notebook'",
                path=study.path,
                line=line,
                key=where,
                hint="add 'notebook: notebooks/NAME.ipynb'",
            )
        unknown = set(spec) - _ARTIFACT_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise StudyError(
                f"unknown key '{key}'",
                path=study.path,
                line=study.lines.get(f"{where}.{key}"),
                key=f"{where}.{key}",
                hint="allowed: " + ", ".join(sorted(_ARTIFACT_KEYS)),
            )
        wanted = spec.get("cycles") or sorted(cycles)
        for c in wanted:
            if c not in cycles:
                raise StudyError(
                    f"unknown cycle '{c}'",
                    path=study.path,
                    line=study.lines.get(f"{where}.cycles"),
                    key=f"{where}.cycles",
                    hint="use ids from 'cycles': " + ", ".join(map(str, cycles)),
                )
        params = spec.get("parameters") or {}
        clash = set(params) & set(INJECTED)
        if clash:
            raise StudyError(
                f"parameter '{sorted(clash)[0]}' is set by the build",
                path=study.path,
                line=line,
                key=f"{where}.parameters",
                hint="remove it from the artifact's parameters",
            )
        out[str(name)] = {**spec, "cycles": list(wanted), "parameters": dict(params)}
    return out


def _input_files(study: Study, patterns: Iterable[str]) -> list[Path]:
    expanded = []
    for pattern in patterns:
        pattern = str(pattern).format(
            interviews=os.path.relpath(study.paths["interviews"], study.root),
            data=os.path.relpath(study.paths["data"], study.root),
        )
        expanded.append(pattern)
    return tree_files(study.root, expanded)


def job_key(job: Job, cells: list[str], lib: str) -> str:
    """Return the SHA-256 that identifies a job's inputs + code + environment."""
    payload = {
        "cells": cells,
        "parameters": {k: v for k, v in job.parameters.items() if k != "output_dir"},
        "inputs": job.inputs,
        "library": lib,
        "environment": job.environment,
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def plan(
    study: Study, *, cycles: Iterable[int] | None = None, artifacts: Iterable[str] | None = None
) -> list[Job]:
    """Return the jobs of a build, each with its key, validating everything first.

    Raises
    ------
    StudyError
        For an artifact whose notebook is missing or has no ``parameters`` cell, a parameter
        the notebook does not declare or of the wrong type, an unknown cycle or artifact.
    """
    specs = artifact_specs(study)
    if artifacts is not None:
        names = list(artifacts)
        for name in names:
            if name not in specs:
                raise StudyError(
                    f"no artifact named '{name}'",
                    path=study.path,
                    key="artifacts",
                    hint="artifacts: " + ", ".join(sorted(specs)),
                )
        specs = {k: v for k, v in specs.items() if k in names}
    wanted_cycles = None if cycles is None else set(cycles)
    if wanted_cycles is not None and not wanted_cycles <= set(study.cycles.cycle):
        bad = sorted(wanted_cycles - set(study.cycles.cycle))[0]
        raise StudyError(
            f"no cycle {bad}",
            path=study.path,
            key="cycles",
            hint="cycles: " + ", ".join(map(str, study.cycles.cycle)),
        )
    cache = HashCache(study.reports_dir / ".build" / "hashes.json")
    env = environment()
    lib = library_hash()
    jobs = []
    for name, spec in specs.items():
        where = f"artifacts.{name}.notebook"
        notebook = (study.root / str(spec["notebook"])).resolve()
        if not notebook.is_file():
            raise StudyError(
                f"notebook '{spec['notebook']}' does not exist",
                path=study.path,
                line=study.lines.get(where),
                key=where,
                hint="fix the path (relative to study.yaml) or add the notebook",
            )
        declared = _parameters_cell(notebook, where, study)
        _check_parameters(
            spec["parameters"], declared, notebook, f"artifacts.{name}.parameters", study
        )
        missing = [p for p in INJECTED if p not in declared]
        if missing:
            raise StudyError(
                f"notebook '{spec['notebook']}' does not declare '{missing[0]}'",
                path=study.path,
                line=study.lines.get(where),
                key=where,
                hint="its parameters cell must define study_path, cycle and output_dir",
            )
        cells = code_cells(notebook)
        files = _input_files(study, spec.get("inputs") or DEFAULT_INPUTS)
        inputs = {f.relative_to(study.root).as_posix(): cache.sha256(f) for f in files}
        for cycle in spec["cycles"]:
            if wanted_cycles is not None and cycle not in wanted_cycles:
                continue
            job = Job(
                cycle=int(cycle),
                artifact=name,
                title=str(spec.get("title") or name),
                notebook=str(notebook),
                parameters={
                    "study_path": str(study.path),
                    "cycle": int(cycle),
                    **spec["parameters"],
                },
                inputs=inputs,
                present=bool(spec.get("present", False)),
                study_root=str(study.root),
                reports_dir=str(study.reports_dir),
                environment=env,
            )
            job.key = job_key(job, cells, lib)
            jobs.append(job)
    cache.save()
    return sorted(jobs, key=lambda j: (j.cycle, j.artifact))


def _git_state(root: Path) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return {"commit": commit, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _export_html(executed: Path, target: Path, *, slides: bool) -> None:
    from nbconvert import HTMLExporter, SlidesExporter

    nb = nbformat.read(executed, as_version=4)
    static = "../../../_static"  # reports/cycle-N/<artifact>/vNNN/ -> reports/_static
    offline = {"require_js_url": f"{static}/require.js", "jquery_url": ""}
    if slides:
        exporter = SlidesExporter(
            reveal_url_prefix=f"{static}/reveal.js",
            reveal_theme="white",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            **offline,
        )
    else:
        exporter = HTMLExporter(template_name="lab", **offline)
    body, _ = exporter.from_notebook_node(nb)
    atomic_write_text(target, body)


def run_job(job: Job) -> dict[str, Any]:
    """Execute one job into a new version folder. Runs in a worker; returns a result dict.

    Never raises for a notebook error: the failure (cell, error) is returned and recorded.
    """
    import papermill as pm

    start = time.time()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    art_dir = job.artifact_dir
    art_dir.mkdir(parents=True, exist_ok=True)
    tmp = art_dir / f".tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    params = {**job.parameters, "output_dir": str(tmp)}
    result: dict[str, Any] = {
        "cycle": job.cycle,
        "artifact": job.artifact,
        "version": None,
        "error": None,
        "cell": None,
    }
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
        )
        _export_html(tmp / "notebook.ipynb", tmp / "notebook.html", slides=False)
        if job.present:
            _export_html(tmp / "notebook.ipynb", tmp / "slides.html", slides=True)
    except pm.PapermillExecutionError as exc:
        result["error"] = f"{exc.ename}: {exc.evalue}".strip()
        result["cell"] = exc.exec_count
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc(limit=5)
    finally:
        log()
    end = time.time()
    result["duration_s"] = round(end - start, 2)
    manifest = {
        "artifact": job.artifact,
        "title": job.title,
        "cycle": job.cycle,
        "key": job.key,
        "notebook": os.path.relpath(job.notebook, job.study_root),
        "parameters": {k: v for k, v in job.parameters.items()},
        "inputs": job.inputs,
        "environment": job.environment,
        "git": _git_state(Path(job.study_root)),
        "present": job.present,
        "start": started_at,
        "end": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_s": result["duration_s"],
        "status": "ok" if result["error"] is None else "failed",
        "files": sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file()),
    }
    if result["error"] is not None:
        _record_failure(job, manifest, result, tmp)
        return result
    atomic_write_text(tmp / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    result["version"] = _publish(tmp, art_dir)
    _clear_failure(job)
    return result


def _redirect_stderr(job: Job) -> Callable[[], None]:
    """In a worker process, send the kernel's stderr chatter to ``reports/.build/logs/``.

    Returns the function that restores stderr. In the main process (thread executor) nothing
    is redirected, since stderr is shared.
    """
    import multiprocessing

    if multiprocessing.current_process().name == "MainProcess":
        return lambda: None
    logs = Path(job.reports_dir) / ".build" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    handle = open(logs / f"cycle-{job.cycle}-{job.artifact}.log", "ab")
    os.dup2(handle.fileno(), 2)

    def restore() -> None:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        handle.close()

    return restore


def _publish(tmp: Path, art_dir: Path) -> str:
    """Rename the finished temporary folder to the next free ``vNNN`` (atomic, no overwrite)."""
    while True:
        numbers = list_versions(art_dir)
        name = f"v{(numbers[-1] if numbers else 0) + 1:03d}"
        try:
            os.rename(tmp, art_dir / name)  # fails if the target exists and is not empty
        except OSError:
            if (art_dir / name).exists():
                continue
            raise
        return name


def _failure_path(job: Job) -> Path:
    return Path(job.reports_dir) / ".build" / "failures" / f"cycle-{job.cycle}-{job.artifact}"


def _record_failure(job: Job, manifest: dict[str, Any], result: dict[str, Any], tmp: Path) -> None:
    target = _failure_path(job)
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
    target = _failure_path(job)
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)


def make_executor(spec: str | None, jobs: int) -> tuple[cf.Executor, Callable[[], None]]:
    """Return an executor and a function that shuts it down.

    ``spec``: ``None`` or ``"process"`` (a process pool of ``jobs`` workers), ``"thread"``,
    ``"dask-local"`` (a Dask ``LocalCluster`` of ``jobs`` workers) or ``"dask://HOST:PORT"``
    (an existing Dask scheduler).
    """
    if spec in (None, "", "process"):
        pool = cf.ProcessPoolExecutor(max_workers=jobs)
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
            client = Client(spec.replace("dask://", "tcp://"))
            close = client.close
        return client.get_executor(), close
    raise DsrError(
        f"unknown executor '{spec}'", hint="use process, thread, dask-local or dask://HOST:PORT"
    )


def _lock(study: Study, wait: bool):
    from filelock import FileLock, Timeout

    path = study.reports_dir / ".build" / "build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise BuildLockedError(
                "another build of this study is running",
                path=path,
                hint="wait for it, or drop --no-wait",
            ) from None
        sys.stderr.write(f"another build of this study is running; waiting for {path} ...\n")
        lock.acquire()
    return lock


def _clean_stale(study: Study) -> None:
    """Remove temporary folders of interrupted builds (safe: we hold the build lock)."""
    for tmp in study.reports_dir.glob("cycle-*/*/.tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def build(
    study: Study,
    *,
    cycles: Iterable[int] | None = None,
    artifacts: Iterable[str] | None = None,
    jobs: int = 2,
    force: bool = False,
    executor: str | cf.Executor | None = None,
    progress: bool = True,
    wait: bool = True,
) -> pd.DataFrame:
    """Build the study's artifacts: skip current ones, run the rest in parallel.

    Parameters
    ----------
    study
        From :func:`dsr_workbench.study.load_study`.
    cycles, artifacts
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
        If another build of the study runs, wait for it (else raise
        :class:`BuildLockedError`).

    Returns
    -------
    pandas.DataFrame
        One row per job, columns :data:`RESULT_COLUMNS`.
    """
    from dsr_workbench.report_index import write_index

    todo = plan(study, cycles=cycles, artifacts=artifacts)
    lock = _lock(study, wait)
    try:
        _clean_stale(study)
        rows = []
        run = []
        for job in todo:
            latest = latest_version(job.artifact_dir)
            if not force and latest is not None and read_manifest(latest).get("key") == job.key:
                rows.append((job.cycle, job.artifact, "skipped", latest.name, 0.0, None))
            else:
                run.append(job)
        if run:
            ensure_static(study.reports_dir)
            rows.extend(_run(run, jobs, executor, progress))
        if run or not (study.reports_dir / "index.html").exists():
            write_index(study)
    finally:
        lock.release()
    return pd.DataFrame(rows, columns=RESULT_COLUMNS).sort_values(
        ["cycle", "artifact"], ignore_index=True
    )


def _run(
    jobs_to_run: list[Job], jobs: int, executor: str | cf.Executor | None, progress: bool
) -> list[tuple[Any, ...]]:
    from tqdm import tqdm

    if isinstance(executor, cf.Executor):
        pool, close = executor, (lambda: None)
    else:
        pool, close = make_executor(executor, min(jobs, len(jobs_to_run)))
    rows = []
    try:
        futures = {pool.submit(run_job, job): job for job in jobs_to_run}
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
            bar.set_postfix_str(f"cycle {job.cycle} {job.artifact}: {status_}")
            bar.update()
            rows.append(
                (
                    job.cycle,
                    job.artifact,
                    status_,
                    res.get("version"),
                    res.get("duration_s"),
                    res.get("error"),
                )
            )
        bar.close()
    finally:
        close()
    return rows


def status(study: Study) -> pd.DataFrame:
    """Tell for every (cycle, artifact) whether its latest version is current.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATUS_COLUMNS`. ``stale`` lists the inputs changed since the latest
        version in ``detail``; ``failed`` gives the failing cell and error.
    """
    rows = []
    for job in plan(study):
        latest = latest_version(job.artifact_dir)
        failure = _failure_path(job) / MANIFEST
        fail = json.loads(failure.read_text()) if failure.is_file() else None
        manifest = read_manifest(latest) if latest else {}
        if fail and fail.get("key") == job.key:
            state = "failed"
            detail = f"cell {fail.get('cell')}: {fail.get('error')}"
        elif latest is None:
            state, detail = "missing", "never built"
        elif manifest.get("key") == job.key:
            state, detail = "current", ""
        else:
            state = "stale"
            diff = changed_inputs(manifest.get("inputs", {}), job.inputs)
            parts = [
                f"{k}: {', '.join(v[:3])}{' ...' if len(v) > 3 else ''}"
                for k, v in diff.items()
                if v
            ]
            detail = "; ".join(parts) or "code, parameters or environment changed"
        rows.append(
            (
                job.cycle,
                job.artifact,
                state,
                latest.name if latest else None,
                manifest.get("end"),
                detail,
            )
        )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def verify(study: Study, version_dir: str | Path) -> dict[str, Any]:
    """Recompute a version's key from today's inputs: is it still what they produce?

    Returns
    -------
    dict
        ``state`` (current | stale), ``key`` (recorded), ``today`` (recomputed) and
        ``changed`` inputs.
    """
    version_dir = Path(version_dir).resolve()
    manifest = read_manifest(version_dir)
    if not manifest:
        raise DsrError(
            "no manifest.json here",
            path=version_dir,
            hint="pass a version folder such as reports/cycle-1/NAME/v001",
        )
    jobs = [j for j in plan(study, cycles=[manifest["cycle"]], artifacts=[manifest["artifact"]])]
    job = jobs[0]
    return {
        "state": "current" if job.key == manifest["key"] else "stale",
        "key": manifest["key"],
        "today": job.key,
        "changed": changed_inputs(manifest.get("inputs", {}), job.inputs),
    }


def job_dict(job: Job) -> dict[str, Any]:
    """A job as plain data (for logs and tests)."""
    return asdict(job)
