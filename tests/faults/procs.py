"""Process helpers for the fault suite: descendants, argv, bounded waits (Linux ``/proc``)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from dsr_workbench.core.procs import pid_alive, process_start


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return int(stat[stat.rfind(")") + 2 :].split()[1])


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren, ...), whatever its session."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = _ppid(int(entry.name))
            if ppid is not None:
                parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return [p for p in found if pid_alive(p)]


def cmdline(pid: int) -> str:
    """A process's argv joined by spaces ('' if it is gone or unreadable)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def all_cmdlines() -> dict[int, str]:
    """The argv of every process this user can see."""
    return {
        int(entry.name): cmdline(int(entry.name))
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
    }


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail the test (never hang) after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait (bounded) until none of ``pids`` runs (zombies count as gone); return the rest."""
    identities = {pid: process_start(pid) for pid in pids}
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p, start in identities.items() if start and pid_alive(p, start)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def kill_all(pids: Iterable[int]) -> None:
    """SIGKILL whatever of ``pids`` still runs (test clean-up)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Lines:
    """The lines a child writes to a pipe, read by a thread, with bounded waits for one."""

    def __init__(self, stream: object) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for line in stream:  # type: ignore[attr-defined]
                self._queue.put(line)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, text: str, timeout: float, process: subprocess.Popen[str]) -> str:
        """The first line containing ``text``; fail after ``timeout`` s or if the child exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                if process.poll() is not None and self._queue.empty():
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout:g} s: {''.join(self.seen)}")
