"""``dsr build --executor dask://HOST:PORT`` on a real cluster: a Dask scheduler and two
workers started as separate processes on 127.0.0.1 (the scale-out proof of issue 18)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from distributed import Client

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
START_TIMEOUT_S = 60.0
BUILD_TIMEOUT_S = 300.0
PROBE_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    """The test's environment for the child processes, with this worktree's source first."""
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": str(SRC) + (os.pathsep + path if path else ""),
        "MPLBACKEND": "Agg",
        **extra,
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child and everything it started (its own process group): TERM, then KILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    worker_pids: dict[str, int]
    """Worker address -> pid, as the scheduler reports them."""


@contextlib.contextmanager
def _start_cluster(tmp_path: Path, n_workers: int) -> Iterator[Cluster]:
    """A scheduler and ``n_workers`` single-threaded workers, each its own process (group),
    all stopped on the way out, whatever happened."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "cluster-logs"
    logs.mkdir()
    started: list[subprocess.Popen[bytes]] = []

    def spawn(name: str, *argv: str) -> subprocess.Popen[bytes]:
        with open(logs / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", *argv],
                env=_env(),
                cwd=tmp_path,  # not the study: the workers find it by its absolute path
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stopped with its children
            )
        started.append(process)
        return process

    try:
        scheduler = spawn(
            "scheduler",
            "distributed.cli.dask_scheduler",
            "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
        )  # fmt: skip
        workers = [
            spawn(
                f"worker-{i}",
                "distributed.cli.dask_worker",
                address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--local-directory",
                str(tmp_path / f"worker-{i}"),
            )  # fmt: skip
            for i in range(1, n_workers + 1)
        ]
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # the scheduler first: the client's own timeout starts when it connects
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if scheduler.poll() is not None or time.monotonic() > deadline:
                pytest.fail("scheduler did not start:\n" + (logs / "scheduler.log").read_text())
            time.sleep(0.2)
        with Client(address, timeout=START_TIMEOUT_S, set_as_default=False) as client:
            try:
                if n_workers:
                    client.wait_for_workers(
                        n_workers, timeout=max(1.0, deadline - time.monotonic())
                    )
            except TimeoutError:
                text = "\n".join(p.read_text() for p in sorted(logs.glob("worker-*.log")))
                pytest.fail(
                    f"{n_workers} workers did not register in {START_TIMEOUT_S:g} s:\n{text}"
                )
            pids = {addr: int(pid) for addr, pid in client.run(os.getpid).items()}
        assert sorted(pids.values()) == sorted(p.pid for p in workers)  # no nanny: same pid
        yield Cluster(address, scheduler, workers, pids)
    finally:
        for process in reversed(started):  # workers first, then the scheduler
            _stop(process)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A scheduler and two workers on 127.0.0.1, separate processes."""
    with _start_cluster(tmp_path, 2) as running:
        yield running


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A writable copy of the example study (its inputs and notebooks)."""
    root = tmp_path / "study"
    root.mkdir()
    for folder in ("interviews", "data", "notebooks"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "study.yaml", root / "study.yaml")
    return root


def _dsr(study: Path, *argv: str, timeout: float, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dsr_workbench.cli", "--study", str(study), *argv],
        env=_env(**env),
        cwd=study,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_build_runs_on_the_workers_of_a_separate_cluster(cluster: Cluster, example: Path) -> None:
    start = time.monotonic()
    done = _dsr(
        example,
        "build", "--executor", cluster.address.replace("tcp://", "dask://"),
        "--report", "corpus-overview", "--cycle", "1", "--cycle", "2", "--quiet",
        timeout=BUILD_TIMEOUT_S,
    )  # fmt: skip
    took = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 built" in done.stdout, done.stdout
    ran_on = {}
    for cycle in (1, 2):
        version = example / "reports" / f"cycle-{cycle}" / "corpus-overview" / "v001"
        for name in ("notebook.ipynb", "notebook.html", "manifest.json"):
            assert (version / name).is_file(), f"{version}/{name}"
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["status"] == "ok"
        worker = manifest["worker"]
        # the job ran in a worker process of the cluster, not in the build (nor a pool of it)
        assert worker["dask_worker"] in cluster.worker_pids, worker
        assert worker["pid"] == cluster.worker_pids[worker["dask_worker"]], worker
        ran_on[cycle] = worker["dask_worker"]
    # two single-threaded workers, two jobs submitted at once: one on each
    assert len(set(ran_on.values())) == 2, ran_on
    assert (example / "reports" / "index.html").is_file()
    assert all(p.poll() is None for p in [cluster.scheduler, *cluster.workers])
    print(f"dask cluster build of 2 notebooks: {took:.1f} s")


@pytest.mark.slow
def test_no_scheduler_at_the_address_is_a_one_line_error(example: Path) -> None:
    spec = f"dask://127.0.0.1:{_free_port()}"  # nothing listens there
    start = time.monotonic()
    done = _dsr(
        example, "build", "--executor", spec, "--report", "corpus-overview", "--cycle", "1",
        timeout=PROBE_TIMEOUT_S, DSR_DASK_TIMEOUT="3",
    )  # fmt: skip
    assert time.monotonic() - start < PROBE_TIMEOUT_S
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(lines) == 1, done.stderr
    assert f"no Dask scheduler answers at {spec} within 3 s" in lines[0], lines[0]
    assert "dask scheduler" in lines[0] and "--executor process" in lines[0], lines[0]
    assert "Traceback" not in done.stderr
    assert not list((example / "reports").glob("cycle-*/*/v*"))  # nothing was built


def test_bad_timeout_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from dsr_workbench.build.run import make_executor
    from dsr_workbench.core.errors import DsrError

    monkeypatch.setenv("DSR_DASK_TIMEOUT", "soon")
    with pytest.raises(DsrError, match="DSR_DASK_TIMEOUT must be a number of seconds"):
        make_executor("dask://127.0.0.1:1", 1)


TINY = Path(__file__).resolve().parents[1] / "data" / "notebooks" / "tiny.ipynb"


@pytest.fixture
def tiny_study(mini_study: Path) -> Path:
    """The small study with one report: tests/data/notebooks/tiny.ipynb for cycle 1."""
    root = mini_study.parent
    (root / "notebooks").mkdir()
    shutil.copy(TINY, root / "notebooks" / "tiny.ipynb")
    text = mini_study.read_text(encoding="utf-8")
    report = "reports:\n  tiny:\n    notebook: notebooks/tiny.ipynb\n    inputs: [interviews]\n"
    mini_study.write_text(text + report + "    parameters: {sleep: 0.0}\n", encoding="utf-8")
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_earlier_versions_intact(
    cluster: Cluster, tiny_study: Path
) -> None:
    spec = cluster.address.replace("tcp://", "dask://")
    first = _dsr(tiny_study, "build", "--executor", spec, "--quiet", timeout=BUILD_TIMEOUT_S)
    assert first.returncode == 0, first.stdout + first.stderr
    report = tiny_study / "reports" / "cycle-1" / "tiny"
    before = _files(report / "v001")

    path = tiny_study / "study.yaml"
    path.write_text(path.read_text().replace("{sleep: 0.0}", "{sleep: 4.0}"), encoding="utf-8")
    build = subprocess.Popen(
        [sys.executable, "-m", "dsr_workbench.cli", "--study", str(tiny_study), "build",
         "--executor", spec, "--quiet"],
        env=_env(), cwd=tiny_study, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + BUILD_TIMEOUT_S
        victim = None
        while victim is None:  # the job's temporary folder names the process that writes it
            for tmp in report.glob(".tmp-*"):
                pid = int(tmp.name.split("-")[2])
                victim = next((p for p in cluster.workers if p.pid == pid), None)
            assert build.poll() is None and time.monotonic() < deadline, build.communicate()
            time.sleep(0.05)
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and the kernel it started
        victim.wait(timeout=10)
        out, err = build.communicate(timeout=BUILD_TIMEOUT_S)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    # Dask gives the job to the surviving worker; either way v001 is untouched
    assert _files(report / "v001") == before
    assert build.returncode == 0, out + err
    manifest = json.loads((report / "v002" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["worker"]["pid"] != victim.pid
    assert manifest["worker"]["pid"] in cluster.worker_pids.values()
    assert not list(report.glob(".tmp-*"))  # the dead worker's folder was cleaned up


def test_a_worker_refuses_a_job_it_cannot_run_faithfully(tiny_study: Path, tmp_path: Path) -> None:
    from dsr_workbench.build.jobs import plan
    from dsr_workbench.build.workers import worker_mismatch
    from dsr_workbench.corpus.study import load_study

    (job,) = plan(load_study(tiny_study))
    worker = {"host": "node7", "pid": 1, "dask_worker": "tcp://10.0.0.7:40000"}
    assert worker_mismatch(job, worker) is None  # same machine, same environment

    job.environment = {**job.environment, "pandas": "0.0.1"}
    problem = worker_mismatch(job, worker)
    assert problem is not None and "tcp://10.0.0.7:40000 on host node7 has pandas" in problem
    assert "the build has 0.0.1: install the same packages on every worker" in problem

    (job,) = plan(load_study(tiny_study))
    job.components = {**job.components, "library": "0" * 64}
    problem = worker_mismatch(job, worker)
    assert problem is not None and "different dsr_workbench source" in problem

    (job,) = plan(load_study(tiny_study))
    job.study_root = str(tmp_path / "not-mounted-here")
    problem = worker_mismatch(job, worker)
    assert problem is not None and "does not see the study at" in problem
    assert "shared at the same path" in problem
    assert not (tmp_path / "not-mounted-here").exists()


def test_overlapping_jobs_of_a_threaded_worker_restore_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Dask worker with --nthreads 2 runs two jobs at once in one process: fd 2 must end
    # where it started, whatever the order in which the jobs finish
    import multiprocessing
    from types import SimpleNamespace

    from dsr_workbench.build import run

    monkeypatch.setattr(
        multiprocessing, "current_process", lambda: SimpleNamespace(name="Dask Worker")
    )
    jobs = [SimpleNamespace(reports_dir=str(tmp_path), cycle=1, report=r) for r in "ab"]
    original = os.fstat(2)
    first = run._redirect_stderr(jobs[0])  # type: ignore[arg-type]
    second = run._redirect_stderr(jobs[1])  # type: ignore[arg-type]  # overlaps: no swap
    os.write(2, b"kernel chatter\n")
    first()  # the first job ends while the second still runs
    assert os.fstat(2).st_ino == original.st_ino
    second()
    assert os.fstat(2).st_ino == original.st_ino
    logs = tmp_path / ".build" / "logs"
    assert (logs / "cycle-1-a.log").read_bytes() == b"kernel chatter\n"
    assert not (logs / "cycle-1-b.log").exists()
    third = run._redirect_stderr(jobs[1])  # type: ignore[arg-type]  # free again: redirects
    assert os.fstat(2).st_ino != original.st_ino
    third()
    assert os.fstat(2).st_ino == original.st_ino


@pytest.mark.slow
def test_a_scheduler_without_workers_is_a_one_line_error(tmp_path: Path, example: Path) -> None:
    with _start_cluster(tmp_path, 0) as empty:
        spec = empty.address.replace("tcp://", "dask://")
        done = _dsr(
            example, "build", "--executor", spec, "--report", "corpus-overview", "--cycle", "1",
            timeout=PROBE_TIMEOUT_S, DSR_DASK_TIMEOUT="2",
        )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(lines) == 1, done.stderr
    assert f"the Dask scheduler at {spec} has no worker (waited 2 s)" in lines[0], lines[0]
    assert f"dask worker {empty.address} --nthreads 1" in lines[0], lines[0]
