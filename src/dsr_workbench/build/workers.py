"""The processes of a build: the lock, workers and kernels that die with it, owned temp folders.

A build holds ``reports/.build/build.lock`` (a ``filelock``; the kernel releases it when the
process dies, even by ``kill -9``). Its pool workers are forked with a parent-death signal
(:func:`worker_init`), and every kernel they start gets one too
(:func:`kernel_manager_class`), so killing the build kills its workers and their kernels.
Where that is not available (off Linux), the build kills its workers on the way out
(:func:`abort_executor`) and ipykernel's own parent poller ends the kernels.

Each job writes into ``.tmp-<id>-<pid>-<start>-<host>``: the folder's name records the
process that owns it (pid, start time in clock ticks, host), atomically with its creation.
The next build removes the temporary folders of dead owners and waits for (or refuses to
run beside) live ones (:func:`live_foreign_tmps`), so it never deletes a folder that a
worker still writes.

A job sent to a Dask worker (``--executor dask://``), possibly on another machine, first
checks that the worker sees the study at the build's path and has the build's environment and
library source (:func:`worker_mismatch`); the manifest records who ran it
(:func:`worker_identity`).
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import os
import re
import shutil
import signal
import socket
import sys
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsr_workbench.core.errors import DsrError, DsrWarning
from dsr_workbench.core.procs import die_with_parent, pid_alive, process_start

if TYPE_CHECKING:
    from dsr_workbench.build.jobs import Job

__all__ = [
    "BuildLockedError",
    "TmpOwner",
    "abort_executor",
    "acquire_lock",
    "clean_stale",
    "kernel_manager_class",
    "live_foreign_tmps",
    "make_tmp",
    "tmp_name",
    "tmp_owner",
    "wait_for_foreign_workers",
    "worker_identity",
    "worker_init",
    "worker_mismatch",
]

_TMP = re.compile(r"^\.tmp-(?P<id>[0-9a-f]{12})-(?P<pid>\d+)-(?P<start>\d+)-(?P<host>[\w.-]*)$")
_POLL_S = 1.0


class BuildLockedError(DsrError):
    """Another build of the study (or a worker left by a killed one) is running."""


def _host() -> str:
    return re.sub(r"[^\w.-]", "_", socket.gethostname())[:64]


@dataclass(frozen=True)
class TmpOwner:
    """The process that created a temporary folder (from the folder's name)."""

    pid: int
    start: int
    host: str

    def local(self) -> bool:
        """Whether the owner ran on this host (only then can its liveness be checked)."""
        return self.host == _host()

    def alive(self) -> bool:
        """Whether the owner still runs (on another host: assumed so, it cannot be checked)."""
        if not self.local():
            return True
        return pid_alive(self.pid, self.start or None)


def tmp_name(pid: int, start: int) -> str:
    """A new temporary folder name owned by process ``pid`` started at ``start``, this host.

    Examples
    --------
    >>> tmp_owner(Path(tmp_name(42, 9001))).pid
    42
    """
    return f".tmp-{uuid.uuid4().hex[:12]}-{pid}-{start}-{_host()}"


def make_tmp(report_dir: Path) -> Path:
    """Create the temporary folder of one job in ``report_dir``, named after its owner.

    The owner is this process (a pool worker, or the build itself with a thread executor).
    """
    pid = os.getpid()
    tmp = report_dir / tmp_name(pid, process_start(pid) or 0)
    tmp.mkdir()
    return tmp


def tmp_owner(tmp: Path) -> TmpOwner | None:
    """The owner recorded in a temporary folder's name (``None``: an older, unnamed one).

    Examples
    --------
    >>> tmp_owner(Path(".tmp-0123456789ab-42-9001-lab.example"))
    TmpOwner(pid=42, start=9001, host='lab.example')
    >>> tmp_owner(Path(".tmp-0123456789ab")) is None
    True
    """
    found = _TMP.match(tmp.name)
    if not found:
        return None
    return TmpOwner(int(found["pid"]), int(found["start"]), found["host"])


def _tmps(reports_dir: Path) -> list[Path]:
    return sorted(reports_dir.glob("cycle-*/*/.tmp-*"))


def live_foreign_tmps(reports_dir: Path) -> list[tuple[Path, TmpOwner]]:
    """Temporary folders whose owner is another process of this host that still runs.

    Such a folder belongs to a worker of a build that was killed while the worker lived on
    (its build could not take it down): it must not be deleted under the worker.
    """
    me = os.getpid()
    found = []
    for tmp in _tmps(reports_dir):
        owner = tmp_owner(tmp)
        if owner is not None and owner.local() and owner.pid != me and owner.alive():
            found.append((tmp, owner))
    return found


def wait_for_foreign_workers(reports_dir: Path, wait: bool) -> None:
    """Wait until no other live process owns a temporary folder (or refuse, ``wait=False``).

    Called with the build lock held, so no new such folder can appear meanwhile.

    Raises
    ------
    BuildLockedError
        With ``wait=False``, if a live worker of another build still writes a report.
    """
    told = False
    while live := live_foreign_tmps(reports_dir):
        tmp, owner = live[0]
        where = tmp.parent.relative_to(reports_dir).as_posix()
        if not wait:
            raise BuildLockedError(
                f"a worker of another build (pid {owner.pid}) is still writing {where}",
                path=tmp,
                hint=f"wait for it, stop it (kill {owner.pid}), or drop --no-wait",
            )
        if not told:
            sys.stderr.write(
                f"a worker of another build (pid {owner.pid}) is still writing {where}; "
                "waiting for it ...\n"
            )
            told = True
        time.sleep(_POLL_S)


def clean_stale(reports_dir: Path) -> list[Path]:
    """Remove the temporary folders of interrupted builds whose owner is gone; return them.

    Safe with the build lock held: a folder of a live owner on this host is kept (see
    :func:`wait_for_foreign_workers`), and one made on another host (a remote Dask
    worker) is kept with a warning, since its owner cannot be checked from here.
    """
    removed = []
    me = os.getpid()
    for tmp in _tmps(reports_dir):
        owner = tmp_owner(tmp)
        if owner is not None and not owner.local():
            warnings.warn(
                f"{tmp}: kept, written by a worker on host {owner.host} (remove it by hand "
                "if no build runs there)",
                DsrWarning,
                stacklevel=2,
            )
            continue
        if owner is not None and owner.pid != me and owner.alive():
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


def acquire_lock(reports_dir: Path, wait: bool) -> Any:
    """Take the study's build lock ``reports/.build/build.lock``; return the held lock.

    Raises
    ------
    BuildLockedError
        With ``wait=False``, if another build holds it.
    """
    from filelock import FileLock, Timeout

    path = reports_dir / ".build" / "build.lock"
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


def worker_init(parent: int) -> None:
    """Initializer of a pool worker: die (SIGKILL) when the build process ``parent`` dies."""
    die_with_parent(signal.SIGKILL, parent)


_KM: type | None = None


def kernel_manager_class() -> type:
    """A jupyter_client kernel manager whose kernels die (SIGKILL) with the process that
    started them (passed to papermill as ``kernel_manager_class``).

    Created on first use: importing jupyter_client is not free, and a no-op build needs none.
    """
    global _KM
    if _KM is None:
        from jupyter_client.manager import AsyncKernelManager

        from dsr_workbench.core.procs import parent_death_preexec

        class DyingKernelManager(AsyncKernelManager):  # type: ignore[misc]
            """Starts kernels with a parent-death signal (Linux; elsewhere as usual)."""

            async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
                if sys.platform.startswith("linux"):
                    kw.setdefault("preexec_fn", parent_death_preexec(signal.SIGKILL))
                await super()._async_launch_kernel(kernel_cmd, **kw)

        _KM = DyingKernelManager
    return _KM


def abort_executor(pool: cf.Executor) -> None:
    """Stop an executor at once after an interrupt: cancel queued jobs, kill pool workers.

    For a process pool, every worker is killed (its kernels follow by their parent-death
    signal or ipykernel's parent poller); threads cannot be killed and finish their job.
    """
    if isinstance(pool, cf.ProcessPoolExecutor):
        processes = list(getattr(pool, "_processes", {}).values())
        for process in processes:
            try:
                process.kill()
            except (OSError, ValueError, AttributeError):
                pass
        for process in processes:
            try:
                process.join(timeout=10)
            except (OSError, ValueError, AssertionError, AttributeError):
                pass
    try:
        pool.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # an executor whose shutdown takes no cancel_futures (e.g. Dask's)
        pool.shutdown(wait=False)


def worker_identity() -> dict[str, Any]:
    """The process that runs a job, for the manifest: host, pid and, on a Dask worker, the
    worker's address (``None`` with the process or thread executor).

    Examples
    --------
    >>> me = worker_identity()
    >>> me["pid"] == os.getpid(), me["dask_worker"]
    (True, None)
    """
    address = None
    if "distributed" in sys.modules:  # imported only where a Dask executor is in use
        from distributed import get_worker

        try:
            address = get_worker().address
        except ValueError:  # not inside a Dask worker
            pass
    return {"host": socket.gethostname(), "pid": os.getpid(), "dask_worker": address}


@functools.cache
def _worker_environment() -> tuple[dict[str, str], str]:
    """This process's :func:`~dsr_workbench.build.jobs.environment` and library hash (once)."""
    from dsr_workbench.build.jobs import environment, library_hash

    return environment(), library_hash()


def worker_mismatch(job: Job, worker: dict[str, Any]) -> str | None:
    """Why a (Dask) worker cannot run ``job`` faithfully, or ``None``.

    The worker must see the study at the build's path (a filesystem shared at the same
    path), and have the environment and library source that the job's key was computed
    with, or the version's key and provenance would name code that did not produce it.

    Parameters
    ----------
    job
        The job the worker was given.
    worker
        The worker, from :func:`worker_identity`.

    Returns
    -------
    str or None
        A one-line reason (naming the worker and the fix), or ``None`` if it can run the job.

    Examples
    --------
    >>> from dsr_workbench.build.jobs import Job
    >>> job = Job(1, "r", "R", "nb.ipynb", {"study_path": "study.yaml"}, {}, False,
    ...           study_root="/nowhere", reports_dir="/nowhere/reports")
    >>> print(worker_mismatch(job, {"host": "n7", "pid": 1, "dask_worker": "tcp://n7:1"}))
    ... # doctest: +NORMALIZE_WHITESPACE
    the Dask worker tcp://n7:1 on host n7 does not see the study at /nowhere/study.yaml: every
    worker needs the study folder on a filesystem shared at the same path (mount it there, or
    build without dask://)
    """
    where = f"the Dask worker {worker['dask_worker']} on host {worker['host']}"
    study = Path(job.study_root) / str(job.parameters.get("study_path", "study.yaml"))
    if not study.is_file():
        return (
            f"{where} does not see the study at {study}: every worker needs the study folder "
            "on a filesystem shared at the same path (mount it there, or build without dask://)"
        )
    env, lib = _worker_environment()
    differ = sorted(
        name
        for name in set(env) | set(job.environment)
        if job.environment and env.get(name) != job.environment.get(name)
    )
    if differ:
        name = differ[0]
        return (
            f"{where} has {name} {env.get(name, '(missing)')}, the build has "
            f"{job.environment.get(name, '(missing)')}"
            + (f" (and {len(differ) - 1} more)" if len(differ) > 1 else "")
            + ": install the same packages on every worker"
        )
    if job.components.get("library", lib) != lib:
        return (
            f"{where} imports a different dsr_workbench source than the build: install the "
            "same version (or checkout) on every worker, and restart the workers"
        )
    return None
