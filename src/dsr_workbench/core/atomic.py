"""Atomic file writes: write a temporary file beside the target, fsync, rename into place.

A reader sees the old file or the new one, never half of one; a crash leaves the old file.

Append-only JSON-lines logs (coding logs, rating logs) are appended to instead, by
:func:`_append_locked`: whole lines in one ``os.write`` under a lock, so a crash can leave at
most a torn last line, which the next append sets aside.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def atomic_write_bytes(path: str | Path, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (same-folder temp file, fsync, ``os.replace``).

    ``fsync=False`` is for rebuildable files (caches): after a power failure the file may be
    missing or damaged, never half-replaced by a reader's view of it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "a.bin"
    >>> atomic_write_bytes(target, b"x").read_bytes()
    b'x'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _mode_for(path: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual 0o666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode(encoding))


def _append_locked(
    log: Path,
    data: bytes | Callable[[], bytes],
    *,
    timeout: float,
    loads: Callable[[bytes], Any] = json.loads,
    torn_warning: type[Warning] | None = None,
) -> None:
    """Append whole lines ``data`` to the JSON-lines file ``log``, atomically.

    The bytes go to the file in one ``os.write`` on a descriptor opened with ``O_APPEND``,
    then ``fsync``, under a ``filelock`` lock (``<log>.lock``; ``filelock.Timeout`` after
    ``timeout`` seconds), so appending processes never interleave. A last line without its
    newline is dealt with first, under the lock: a complete JSON object (``loads`` gives a
    dict; a hand edit) just gets its newline; anything else is a torn line, moved to
    ``<log>.torn`` (nothing is deleted unseen) and cut from the log, with a ``torn_warning``
    (if given) attributed to the caller of the function that called this one.

    ``data`` may be a function called under the lock, after that repair, that returns the
    bytes to append (e.g. only the events the log does not already hold); ``b""`` appends
    nothing.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{log}.lock", timeout=timeout).acquire(poll_interval=0.002):
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        fd = os.open(log, flags, 0o644)
        try:
            size = os.fstat(fd).st_size
            lead = b""
            if size and _last_byte(fd, size) != b"\n":
                pos, tail = _last_line(fd, size)
                if _is_object(tail, loads):
                    lead = b"\n"
                else:
                    _set_aside(fd, log, pos, tail)
                    if torn_warning is not None:
                        warnings.warn(
                            f"{log}: a torn last line ({len(tail)} bytes) was moved to {log}.torn",
                            torn_warning,
                            stacklevel=3,
                        )
            payload = data() if callable(data) else data
            if not payload:
                return
            view = memoryview(lead + payload)
            while view:  # one write; loops only if the OS writes part of it
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)


def _last_byte(fd: int, size: int) -> bytes:
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1)


def _last_line(fd: int, size: int) -> tuple[int, bytes]:
    """The offset and bytes of the file's last line (read backwards in 64 KiB chunks)."""
    chunk = 1 << 16
    pos = size
    tail = b""
    while pos > 0:
        step = min(chunk, pos)
        pos -= step
        os.lseek(fd, pos, os.SEEK_SET)
        tail = os.read(fd, step) + tail
        cut = tail.rfind(b"\n")
        if cut >= 0:
            pos += cut + 1
            tail = tail[cut + 1 :]
            break
    return pos, tail


def _is_object(line: bytes, loads: Callable[[bytes], Any]) -> bool:
    try:
        return isinstance(loads(line), dict)
    except ValueError:
        return False


def _set_aside(fd: int, log: Path, pos: int, tail: bytes) -> None:
    """Move the torn last line (from ``pos``) to ``<log>.torn`` and cut it from the log."""
    with open(f"{log}.torn", "ab") as torn:
        torn.write(tail + b"\n")
        torn.flush()
        os.fsync(torn.fileno())
    os.ftruncate(fd, pos)
