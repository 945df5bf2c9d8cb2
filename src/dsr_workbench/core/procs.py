"""Child processes that die with their parent, process identity, signals turned into exceptions.

Linux is the target: :func:`die_with_parent` asks the kernel (``prctl(PR_SET_PDEATHSIG)``)
to signal a process when its parent dies, even by ``kill -9``; elsewhere it returns
``False`` and callers fall back to killing their children on the way out (see
:func:`signals_raise`). A process is identified by its pid *and* its start time
(:func:`process_start`), so a recycled pid is never mistaken for the process that wrote a
file.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = [
    "Terminated",
    "die_with_parent",
    "parent_death_preexec",
    "pid_alive",
    "process_start",
    "signals_ignored",
    "signals_raise",
]

_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by :func:`signals_raise` when SIGTERM or SIGHUP arrives.

    A :class:`KeyboardInterrupt`, so that ``finally`` blocks and ``except
    KeyboardInterrupt`` handlers (stop the server, kill the workers) run for every way of
    being stopped: Ctrl-C, ``kill``, the terminal closing.

    Attributes
    ----------
    signum
        The signal received.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"received {signal.Signals(signum).name}")


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def die_with_parent(sig: int = signal.SIGKILL, parent: int | None = None) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux only).

    Parameters
    ----------
    sig
        The signal to receive (SIGKILL: die at once; SIGTERM: let the process clean up).
    parent
        The pid the parent had when this process was started. If the parent is already
        gone (it died before the request was made), the process exits at once.

    Returns
    -------
    bool
        Whether the request was made (``False`` off Linux or if ``prctl`` failed).

    Notes
    -----
    "Parent" is the *thread* that started the process: a child started from a thread that
    exits first is signalled then. Start long-lived children from a long-lived thread.
    """
    libc = _libc()
    if libc is None:
        return False
    if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the request: nobody is left to wait for us
    return True


def parent_death_preexec(sig: int = signal.SIGKILL) -> Callable[[], None]:
    """Return a ``preexec_fn`` for :class:`subprocess.Popen` that calls :func:`die_with_parent`.

    The parent's pid is captured now, so a child whose parent died between ``fork`` and the
    request exits instead of living on.
    """
    parent = os.getpid()

    def preexec() -> None:
        die_with_parent(sig, parent)

    return preexec


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot (``/proc/PID/stat``).

    ``None`` if the process does not exist or ``/proc`` is not available. Together with
    the pid, it identifies one process for its whole life.

    Examples
    --------
    >>> process_start(os.getpid()) == process_start(os.getpid())
    True
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may contain spaces or ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 of proc(5): starttime
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int, start: int | None = None) -> bool:
    """Whether process ``pid`` runs (and, if ``start`` is given, is the one started then).

    A zombie (exited, not yet reaped) counts as dead once all its threads are gone.

    Examples
    --------
    >>> pid_alive(os.getpid(), process_start(os.getpid()))
    True
    >>> pid_alive(os.getpid(), -1)
    False
    """
    if pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if stat[stat.rfind(")") + 2 :][:1] in ("Z", "X") and not _threads_running(pid):
        return False
    return start is None or process_start(pid) == start


def _threads_running(pid: int) -> bool:
    """Whether a thread of ``pid`` still runs: while a process exits, its main thread may be
    a zombie already while the others (and the files, sockets they share) are not gone."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            stat = (task / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        if stat[stat.rfind(")") + 2 :][:1] not in ("Z", "X"):
            return True
    return False


@contextlib.contextmanager
def signals_raise(*signums: int) -> Iterator[None]:
    """Within the block, turn the given signals (default SIGTERM, SIGHUP) into :class:`Terminated`.

    Only in the main thread, and only for signals whose handler is the default one (an
    application's own handlers are left alone); the previous handlers are restored on exit.
    """
    wanted = signums or (signal.SIGTERM, signal.SIGHUP)
    installed: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    if threading.current_thread() is threading.main_thread():
        for signum in wanted:
            if signal.getsignal(signum) == signal.SIG_DFL:
                installed[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, previous in installed.items():
            signal.signal(signum, previous)


@contextlib.contextmanager
def signals_ignored(*signums: int) -> Iterator[None]:
    """Within the block, ignore the given signals (default SIGINT, SIGTERM, SIGHUP).

    For clean-up that a second Ctrl-C must not cut short (stopping a server, removing its
    folder). Only in the main thread; the previous handlers are restored on exit.
    """
    wanted = signums or (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in wanted:
            saved[signum] = signal.signal(signum, signal.SIG_IGN)
    try:
        yield
    finally:
        for signum, previous in saved.items():
            signal.signal(signum, previous)
