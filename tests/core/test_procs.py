"""Children that die with their parent, process identity, signals turned into exceptions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from dsr_workbench.core.procs import (
    Terminated,
    pid_alive,
    process_start,
    signals_ignored,
    signals_raise,
)

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _wait_dead(pid: int, start: int | None, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid, start):
            return True
        time.sleep(0.1)
    return False


@linux
def test_grandchild_with_parent_death_signal_dies_with_its_parent() -> None:
    # the parent starts a long sleeper with the preexec function, prints its pid, waits
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""\
                import signal, subprocess, sys, time
                from dsr_workbench.core.procs import parent_death_preexec
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                         preexec_fn=parent_death_preexec(signal.SIGKILL))
                print(child.pid, flush=True)
                time.sleep(600)
            """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        start = process_start(child)
        assert start is not None and pid_alive(child, start)
        parent.kill()  # SIGKILL: the parent runs no clean-up at all
        parent.wait(timeout=30)
        assert _wait_dead(child, start), "the child outlived its parent"
    finally:
        parent.kill()
        parent.wait(timeout=30)


@linux
def test_pid_alive_knows_zombies_and_recycled_pids() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    start = process_start(child.pid)
    assert start is not None
    assert _wait_dead(child.pid, start)  # exited, not yet reaped: a zombie counts as dead
    assert process_start(child.pid) == start  # still in the table until reaped ...
    child.wait(timeout=30)
    assert not pid_alive(child.pid)
    me = os.getpid()
    assert pid_alive(me) and pid_alive(me, process_start(me)) and not pid_alive(me, 1)
    assert not pid_alive(0) and not pid_alive(-5)


def test_signals_raise_turns_sigterm_into_terminated_and_restores() -> None:
    before = signal.getsignal(signal.SIGTERM)
    if before != signal.SIG_DFL:
        pytest.skip("SIGTERM already has a handler here")
    with pytest.raises(Terminated) as info:
        with signals_raise():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs between bytecodes: this is never finished
    assert info.value.signum == signal.SIGTERM
    assert isinstance(info.value, KeyboardInterrupt)  # so `except KeyboardInterrupt` cleans up
    assert signal.getsignal(signal.SIGTERM) == before


def test_signals_raise_leaves_an_application_handler_alone() -> None:
    seen: list[int] = []

    def mine(signum: int, frame: object) -> None:
        seen.append(signum)

    previous = signal.signal(signal.SIGHUP, mine)
    try:
        with signals_raise():
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(0.05)
        assert seen == [signal.SIGHUP]
        assert signal.getsignal(signal.SIGHUP) is mine
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_signals_ignored_during_clean_up() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with signals_ignored(signal.SIGTERM):
        os.kill(os.getpid(), signal.SIGTERM)  # ignored: the test process lives on
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGTERM) == before
