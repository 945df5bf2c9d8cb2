"""Fault cases of ``dsr build``: killed builds, their workers, hanging cells, builds at once.

Every case snapshots the published versions before and checks they are byte-identical
after. Builds run as real ``dsr build`` processes where the case is about processes (a
``kill -9`` must hit a real process tree: build, pool workers, kernels).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dsr_workbench.build.outputs import PAGES
from dsr_workbench.build.run import build
from dsr_workbench.build.workers import tmp_name, tmp_owner
from dsr_workbench.core.procs import process_start
from dsr_workbench.corpus.study import load_study
from tests.faults import guard
from tests.faults.procs import Lines, cmdline, descendants, kill_all, wait_for, wait_gone

NOTEBOOKS = Path(__file__).resolve().parents[1] / "data" / "notebooks"
WAIT = 120.0  # the longest any single wait may take (kernel start on a loaded machine)

REPORTS = """
reports:
  tiny-data:
    notebook: notebooks/tiny.ipynb
    inputs: [data]
  hang:
    notebook: notebooks/hang.ipynb
    inputs: [interviews]
    parameters: {gate: GATE}
"""


@pytest.fixture
def study(mini_study: Path) -> Path:
    """The mini study with a quick report (tiny-data) and one that waits for a gate file."""
    root = mini_study.parent
    (root / "notebooks").mkdir()
    for name in ("tiny.ipynb", "hang.ipynb"):
        shutil.copy(NOTEBOOKS / name, root / "notebooks" / name)
    (root / "data").mkdir()
    (root / "data" / "survey.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    reports = REPORTS.replace("GATE", str(root / "gate"))
    mini_study.write_text(mini_study.read_text(encoding="utf-8") + reports, encoding="utf-8")
    return root


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "study.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _dsr_build(root: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``dsr build`` for the study as its own process group (so clean-up can reach it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "dsr_workbench.cli", "--study", str(root / "study.yaml")]
        + ["build", "-q", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _kernels(pid: int) -> list[int]:
    return [p for p in descendants(pid) if "ipykernel" in cmdline(p)]


def _stop(*processes: subprocess.Popen[str]) -> None:
    for process in processes:
        if process.poll() is None:
            kill_all([process.pid, *descendants(process.pid)])
            process.wait(timeout=30)


def _stand_in_worker(report_dir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A live process owning a temporary folder, as a worker that outlived a killed build
    would (one that could not be given a parent-death signal)."""
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    start = process_start(worker.pid)
    assert start, "no /proc start time"
    tmp = report_dir / tmp_name(worker.pid, start)
    tmp.mkdir(parents=True)
    (tmp / "notebook.ipynb").write_text("{}", encoding="utf-8")
    assert tmp_owner(tmp) is not None and tmp_owner(tmp).pid == worker.pid  # type: ignore[union-attr]
    return worker, tmp


@pytest.mark.slow
@pytest.mark.fault(
    case="kill -9 of `dsr build` while a notebook runs: its workers and kernels",
    area="build",
    outcome="survived",
)
def test_kill_9_takes_workers_and_kernels_down_and_next_build_recovers(study: Path) -> None:
    build(load_study(study), reports=["tiny-data"], progress=False)
    reports = study / "reports"
    before = guard.snapshot(reports / "cycle-1")
    _edit(study, "    inputs: [data]\n", "    inputs: [data]\n    parameters: {sleep: 600.0}\n")
    proc = _dsr_build(study, "--report", "tiny-data")
    tree: list[int] = []
    try:
        wait_for(lambda: bool(_kernels(proc.pid)), WAIT, "the build's kernel to start")
        tree = descendants(proc.pid)  # pool worker(s) and the kernel(s) they started
        assert _kernels(proc.pid) and len(tree) >= 2, [cmdline(p) for p in tree]
        os.kill(proc.pid, signal.SIGKILL)  # the build only: nobody else cleans up
        proc.wait(timeout=30)
        assert wait_gone(tree, 30) == [], "orphans: " + "; ".join(cmdline(p) for p in tree)
    finally:
        _stop(proc)
        kill_all(tree)
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))
    art = reports / "cycle-1" / "tiny-data"
    assert not (art / "v002").exists() and list(art.glob(".tmp-*"))  # left by the killed build
    _edit(study, "    parameters: {sleep: 600.0}\n", "    parameters: {sleep: 0.0}\n")
    result = build(load_study(study), reports=["tiny-data"], progress=False)
    assert result.status.tolist() == ["built"], result.error.tolist()
    assert result.version.tolist() == ["v002"]
    assert not list(art.glob(".tmp-*"))  # its owner is dead: removed
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))


@pytest.mark.slow
@pytest.mark.fault(
    case="SIGTERM (plain `kill`) to `dsr build` while a notebook runs",
    area="build",
    outcome="survived",
)
def test_sigterm_stops_workers_removes_temp_folder_and_releases_lock(study: Path) -> None:
    from filelock import FileLock

    build(load_study(study), reports=["tiny-data"], progress=False)
    reports = study / "reports"
    before = guard.snapshot(reports / "cycle-1")
    _edit(study, "    inputs: [data]\n", "    inputs: [data]\n    parameters: {sleep: 600.0}\n")
    proc = _dsr_build(study, "--report", "tiny-data")
    tree: list[int] = []
    try:
        wait_for(lambda: bool(_kernels(proc.pid)), WAIT, "the build's kernel to start")
        tree = descendants(proc.pid)
        os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=WAIT)
        assert proc.returncode == 128 + signal.SIGTERM and "interrupted" in err, err
        assert wait_gone(tree, 30) == [], "orphans: " + "; ".join(cmdline(p) for p in tree)
    finally:
        _stop(proc)
        kill_all(tree)
    art = reports / "cycle-1" / "tiny-data"
    assert not list(art.glob(".tmp-*")) and not (art / "v002").exists()  # cleaned on the way out
    lock = FileLock(str(reports / ".build" / "build.lock"))
    lock.acquire(timeout=0)
    lock.release()
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))


@pytest.mark.slow
@pytest.mark.fault(
    case="`dsr build --no-wait` finds a live worker of a killed build writing a report",
    area="build",
    outcome="refused",
)
def test_build_refuses_beside_a_live_worker_and_keeps_its_folder(study: Path) -> None:
    build(load_study(study), reports=["tiny-data"], progress=False)
    reports = study / "reports"
    worker, tmp = _stand_in_worker(reports / "cycle-1" / "tiny-data")
    before = guard.snapshot(reports / "cycle-1")
    try:
        (study / "data" / "survey.csv").write_text("a,b\n1,3\n", encoding="utf-8")  # must run
        proc = _dsr_build(study, "--report", "tiny-data", "--no-wait")
        out, err = proc.communicate(timeout=WAIT)
        assert proc.returncode == 2, (out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and f"a worker of another build (pid {worker.pid})" in lines[0]
        assert "still writing cycle-1/tiny-data" in lines[0] and "kill" in lines[0]
        assert (tmp / "notebook.ipynb").read_text(encoding="utf-8") == "{}"  # not deleted
        assert not (tmp.parent / "v002").exists()
    finally:
        worker.kill()
        worker.wait(timeout=30)
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))


@pytest.mark.slow
@pytest.mark.fault(
    case="`dsr build` finds a live worker of a killed build: waits, then cleans up and builds",
    area="build",
    outcome="held",
)
def test_build_waits_for_a_live_worker_then_builds(study: Path) -> None:
    build(load_study(study), reports=["tiny-data"], progress=False)
    reports = study / "reports"
    worker, tmp = _stand_in_worker(reports / "cycle-1" / "tiny-data")
    before = guard.snapshot(reports / "cycle-1")
    (study / "data" / "survey.csv").write_text("a,b\n1,3\n", encoding="utf-8")  # must run
    proc = _dsr_build(study, "--report", "tiny-data")
    try:
        Lines(proc.stderr).wait_for("waiting for it", WAIT, proc)
        assert proc.poll() is None and (tmp / "notebook.ipynb").is_file()  # waits, keeps it
        worker.kill()
        worker.wait(timeout=30)
        proc.wait(timeout=WAIT)
        out = proc.stdout.read() if proc.stdout else ""
    finally:
        worker.kill()
        _stop(proc)
    assert proc.returncode == 0 and "1 built" in out, out
    assert not tmp.exists()  # its owner is gone now: removed
    assert (reports / "cycle-1" / "tiny-data" / "v002").is_dir()
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))


@pytest.mark.slow
@pytest.mark.fault(
    case="index and study report older than the newest version, or missing (build killed "
    "before writing them): a no-op build",
    area="build",
    outcome="survived",
)
def test_noop_build_rewrites_stale_or_missing_pages(study: Path) -> None:
    build(load_study(study), reports=["tiny-data"], progress=False)
    reports = study / "reports"
    before = guard.snapshot(reports / "cycle-1")
    # a version published after the pages were written (its build died before writing them)
    version = reports / "cycle-1" / "tiny-data" / "v001"
    newest = (version / "manifest.json").stat().st_mtime_ns
    old = newest - 3_600 * 10**9
    for page in PAGES:
        (reports / page).write_text("stale", encoding="utf-8")
        os.utime(reports / page, ns=(old, old))
    result = build(load_study(study), reports=["tiny-data"], progress=False)
    assert result.status.tolist() == ["skipped"]  # nothing to run ...
    for page in PAGES:  # ... yet both pages are rewritten and list the version
        text = (reports / page).read_text(encoding="utf-8")
        assert text != "stale" and (reports / page).stat().st_mtime_ns > newest
    assert "cycle-1/tiny-data/v001" in (reports / "index.html").read_text(encoding="utf-8")
    (reports / "study-report.html").unlink()
    assert build(load_study(study), reports=["tiny-data"], progress=False).status.tolist() == [
        "skipped"
    ]
    assert (reports / "study-report.html").is_file()
    written = (reports / "index.html").stat().st_mtime_ns
    build(load_study(study), reports=["tiny-data"], progress=False)  # current: left alone
    assert (reports / "index.html").stat().st_mtime_ns == written
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))


@pytest.mark.slow
@pytest.mark.fault(
    case="a cell that hangs (time.sleep(3600)) with timeout_minutes of 3 s",
    area="build",
    outcome="survived",
)
def test_hanging_cell_times_out_fails_its_job_and_releases_the_lock(study: Path) -> None:
    from filelock import FileLock

    build(load_study(study), reports=["tiny-data"], progress=False)
    reports = study / "reports"
    before = guard.snapshot(reports / "cycle-1")
    _edit(study, "    parameters: {gate: ", "    timeout_minutes: 0.05\n    parameters: {gate: ")
    _edit(study, f"{{gate: {study / 'gate'}}}", "{gate: ''}")  # no gate: sleeps an hour
    proc = _dsr_build(study, "--report", "hang", "--report", "tiny-data")
    try:
        out, err = proc.communicate(timeout=WAIT)
    finally:
        _stop(proc)
    assert proc.returncode == 1, (out, err)  # ran, and found a failed job
    assert "0 built, 1 current (skipped), 1 failed" in out
    assert "FAILED cycle 1 hang: TimeoutError: cell 4 ran longer than 3 s" in err
    lock = FileLock(str(reports / ".build" / "build.lock"))
    lock.acquire(timeout=0)  # released: a next build can start at once
    lock.release()
    assert not (reports / "cycle-1" / "hang").exists() or not list(
        (reports / "cycle-1" / "hang").glob("v*")
    )
    failure = reports / ".build" / "failures" / "cycle-1-hang" / "manifest.json"
    assert "ran longer than 3 s" in failure.read_text(encoding="utf-8")
    assert "ran longer than 3 s" in (reports / "index.html").read_text(encoding="utf-8")
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))


@pytest.mark.slow
@pytest.mark.fault(
    case="two `dsr build` at once (and a third with --no-wait)",
    area="build",
    outcome="held",
)
def test_second_build_waits_third_refuses_no_duplicate_version(study: Path) -> None:
    build(load_study(study), reports=["tiny-data"], progress=False)
    reports = study / "reports"
    before = guard.snapshot(reports / "cycle-1")
    first = _dsr_build(study, "--report", "hang")
    second = third = None
    try:
        hang = reports / "cycle-1" / "hang"
        wait_for(lambda: bool(list(hang.glob(".tmp-*/notebook.ipynb"))), WAIT, "the first job")
        third = _dsr_build(study, "--report", "hang", "--no-wait")
        _, err = third.communicate(timeout=WAIT)
        assert third.returncode == 2 and "another build of this study is running" in err, err
        second = _dsr_build(study, "--report", "hang")
        Lines(second.stderr).wait_for("waiting for", WAIT, second)
        assert first.poll() is None and list(hang.glob(".tmp-*"))  # untouched by the others
        (study / "gate").write_text("open", encoding="utf-8")  # let the first job finish
        out1, err1 = first.communicate(timeout=WAIT)
        second.wait(timeout=WAIT)
        out2 = second.stdout.read() if second.stdout else ""
    finally:
        _stop(first, *(p for p in (second, third) if p is not None))
    assert first.returncode == 0 and "1 built" in out1, (out1, err1)
    assert second.returncode == 0 and "0 built, 1 current" in out2, out2  # found it current
    assert sorted(p.name for p in hang.iterdir()) == ["v001"]
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))
