"""The processes of a build: owned temporary folders, stale clean-up, workers, timeouts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dsr_workbench.build.jobs import DEFAULT_TIMEOUT_MINUTES, plan
from dsr_workbench.build.outputs import PAGES, pages_outdated
from dsr_workbench.build.workers import (
    BuildLockedError,
    abort_executor,
    clean_stale,
    live_foreign_tmps,
    make_tmp,
    tmp_name,
    tmp_owner,
    wait_for_foreign_workers,
)
from dsr_workbench.core.errors import DsrWarning, StudyError
from dsr_workbench.core.procs import pid_alive, process_start
from dsr_workbench.corpus.study import load_study

NOTEBOOKS = Path(__file__).resolve().parents[1] / "data" / "notebooks"
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that stands in for a worker of another build."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


def _dead_pid() -> tuple[int, int]:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    start = process_start(process.pid) or 1
    process.wait(timeout=30)
    return process.pid, start


def test_make_tmp_names_this_process_as_owner(tmp_path: Path) -> None:
    tmp = make_tmp(tmp_path)
    owner = tmp_owner(tmp)
    assert tmp.is_dir() and owner is not None
    assert owner.pid == os.getpid() and owner.local() and owner.alive()
    assert tmp_owner(tmp_path / ".tmp-0123456789ab") is None  # made by an older version


@linux
def test_clean_stale_keeps_live_owners_and_other_hosts(tmp_path: Path, sleeper) -> None:
    report = tmp_path / "cycle-1" / "gap"
    report.mkdir(parents=True)
    live = report / tmp_name(sleeper.pid, process_start(sleeper.pid) or 0)
    dead = report / tmp_name(*_dead_pid())
    recycled = report / tmp_name(sleeper.pid, 1)  # the pid now belongs to another process
    legacy = report / ".tmp-0123456789ab"
    remote = report / ".tmp-0123456789ab-42-9001-elsewhere.invalid"
    mine = make_tmp(report)  # a folder this (lock-holding) process left earlier
    for folder in (live, dead, recycled, legacy, remote):
        folder.mkdir()
    assert [t for t, _ in live_foreign_tmps(tmp_path)] == [live]
    with pytest.warns(DsrWarning, match="kept, written by a worker on host elsewhere.invalid"):
        removed = clean_stale(tmp_path)
    assert sorted(removed) == sorted([dead, recycled, legacy, mine])
    assert live.is_dir() and remote.is_dir()


@linux
def test_a_live_worker_of_another_build_is_refused_or_waited_for(tmp_path: Path, sleeper) -> None:
    report = tmp_path / "cycle-2" / "gap"
    report.mkdir(parents=True)
    (report / tmp_name(sleeper.pid, process_start(sleeper.pid) or 0)).mkdir()
    with pytest.raises(
        BuildLockedError, match=rf"pid {sleeper.pid}\) is still writing cycle-2/gap"
    ):
        wait_for_foreign_workers(tmp_path, wait=False)
    sleeper.kill()
    sleeper.wait(timeout=30)
    wait_for_foreign_workers(tmp_path, wait=True)  # its owner is gone: returns at once


def _sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@linux
@pytest.mark.slow
def test_abort_executor_kills_the_process_pool_workers() -> None:
    from dsr_workbench.build.run import make_executor

    pool, close = make_executor("process", 1)
    future = pool.submit(_sleep, 600)
    workers = list(pool._processes)  # type: ignore[attr-defined]
    assert workers
    deadline = time.monotonic() + 60
    while not future.running() and time.monotonic() < deadline:
        time.sleep(0.1)
    abort_executor(pool)
    close()
    assert not [pid for pid in workers if pid_alive(pid)]


def test_pages_outdated_when_missing_older_or_after_a_failure(tmp_path: Path) -> None:
    assert pages_outdated(tmp_path)
    for page in PAGES:
        (tmp_path / page).write_text("x", encoding="utf-8")
    assert not pages_outdated(tmp_path)
    failure = tmp_path / ".build" / "failures" / "cycle-1-gap"
    failure.mkdir(parents=True)
    (failure / "manifest.json").write_text("{}", encoding="utf-8")
    later = (tmp_path / "index.html").stat().st_mtime_ns + 10**9
    os.utime(failure / "manifest.json", ns=(later, later))
    os.utime(failure.parent, ns=(later, later))
    assert pages_outdated(tmp_path)  # the index must list the new failure


REPORTS = """
build:
  timeout_minutes: 5
reports:
  tiny:
    notebook: notebooks/tiny.ipynb
    inputs: [interviews]
  quick:
    notebook: notebooks/tiny.ipynb
    inputs: [interviews]
    timeout_minutes: 0.5
"""


@pytest.fixture
def timed_study(mini_study: Path) -> Path:
    root = mini_study.parent
    (root / "notebooks").mkdir()
    shutil.copy(NOTEBOOKS / "tiny.ipynb", root / "notebooks" / "tiny.ipynb")
    mini_study.write_text(mini_study.read_text(encoding="utf-8") + REPORTS, encoding="utf-8")
    return root


def test_timeouts_from_study_yaml_reach_the_jobs(timed_study: Path) -> None:
    jobs = {j.report: j for j in plan(load_study(timed_study))}
    assert jobs["tiny"].timeout_minutes == 5.0 and jobs["quick"].timeout_minutes == 0.5
    text = (timed_study / "study.yaml").read_text(encoding="utf-8")
    (timed_study / "study.yaml").write_text(text.replace("build:\n  timeout_minutes: 5\n", ""))
    jobs = {j.report: j for j in plan(load_study(timed_study))}
    assert jobs["tiny"].timeout_minutes == DEFAULT_TIMEOUT_MINUTES


def test_timeout_is_not_part_of_the_key(timed_study: Path) -> None:
    """A longer timeout changes nothing a notebook computes (with study.yaml not an input)."""
    keys = {j.report: j.key for j in plan(load_study(timed_study))}
    path = timed_study / "study.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("timeout_minutes: 5", "timeout_minutes: 9")
    )
    assert {j.report: j.key for j in plan(load_study(timed_study))} == keys


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("timeout_minutes: 5", "timeout_minutes: 0", r"key 'build\.timeout_minutes': .*got 0"),
        ("timeout_minutes: 5", "timeout_minutes: soon", r"number of minutes greater than 0"),
        ("timeout_minutes: 5", "timeout_minutes: true", r"got True"),
        ("timeout_minutes: 5", "timeout_minutes: 20000", r"more than a week"),
        ("timeout_minutes: 0.5", "timeout_minutes: -1", r"key 'reports\.quick\.timeout_minutes'"),
        ("timeout_minutes: 5", "timeout_minutez: 5", r"key 'build\.timeout_minutez'.*did you mean"),
    ],
)
def test_bad_timeouts_are_refused_with_their_line(
    timed_study: Path, old: str, new: str, message: str
) -> None:
    path = timed_study / "study.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(StudyError, match=message) as info:
        plan(load_study(timed_study))
    assert "study.yaml:" in str(info.value)
