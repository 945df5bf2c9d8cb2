"""A columnar cache of each coding log, so that a load parses only what was appended since.

Parsing a million JSON lines takes seconds; reading the same events from Arrow IPC takes a
tenth of that. Each log ``<folder>/<coder>.jsonl`` gets a cache in the hidden folder
``<folder>/.cache/`` (which holds its own ``.gitignore``, so no repository ever commits it;
hidden folders are not build inputs either). The JSONL log stays the only source of truth: the
cache holds the *validated* events of the log's complete lines (those up to a newline), and is
used only where it still describes the log's bytes.

The cache is a chain of *segments*, Arrow IPC files ``<coder>.jsonl.<start>.arrow``, each of
the log's bytes ``[start, end)`` (whole lines). A segment's schema metadata is its key:

``version``
    :data:`VERSION` of this format, and ``fields``: the event fields; another version or
    other fields (a newer or older dsr-workbench) is not used.
``start``, ``end``, ``first_line``, ``lines``
    The bytes it covers, the number of lines before ``start`` and the lines it holds.
``algorithm``, ``digest``
    A hash (xxh3-128, or blake2b where ``xxhash`` is not installed) of the log's bytes
    ``[start, end)``.
``problems``
    The malformed lines of that part (line, kind, message), so that ``strict`` reading raises
    and ``strict=False`` warns exactly as when the lines were parsed.

**Invalidation.** A read walks the chain from byte 0: a segment is used if it starts where the
previous one ended, its ``first_line`` is the line count so far, it ends within the log, and
the hash of the log's bytes over its range equals its digest (so every cached byte is checked
on every read: xxh3 hashes about 10 GB/s, a hundred times faster than parsing). The walk stops
at the first segment that fails; the log from there on is parsed. So an append is read by
parsing only the new lines (a new segment is written for them), while an edit, a truncation or
a replaced file invalidates every segment from the changed bytes on. A torn last line (a
writer mid-append) is never cached: only bytes up to the last newline are.

**Failure is only slowness.** A missing, unreadable, corrupt (garbage, wrong schema, other
version) or stale segment is ignored; nothing here raises. Segments are written to a temporary
file and renamed into place (``os.replace``), so a reader sees a whole segment or none, and two
processes writing at once each leave a whole, valid segment (the last rename wins). Nothing is
written where the folder is not writable. Once a chain has more than :data:`MAX_SEGMENTS`
segments it is rewritten as one.

**Mapped, not read.** A segment is memory-mapped (a warm load then costs no copy of the
cached events, and a fresh process no page faults of fresh memory for them). That is safe
because nothing here changes a segment file in place: it is replaced by a rename (the mapping
keeps the old file) or unlinked (likewise). :mod:`~dsr_workbench.coding.logread` copies
whatever it returns out of the mapping, so a table a caller holds survives even a hand
overwrite of the segment in place; only such an overwrite *during* a load (a second or so)
could stop the reading process.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BufferedReader
from pathlib import Path
from typing import Any

from dsr_workbench.core.digest import ALGORITHM
from dsr_workbench.core.digest import new_hasher as _hasher

try:
    import pyarrow as pa
    import pyarrow.ipc as pa_ipc
except ImportError:  # pragma: no cover - without pyarrow there is no cache, only parsing
    pa = None

__all__ = ["ALGORITHM", "CACHE_DIR", "MAX_SEGMENTS", "VERSION", "Cached", "cache_files"]

VERSION = "2"
"""Version of the cache format (a segment of another version is not used)."""
CACHE_DIR = ".cache"
"""The cache folder, beside the logs."""
MAX_SEGMENTS = 8
"""A chain of more segments is rewritten as one."""
_CHUNK = 1 << 22  # bytes hashed at a time (in a reused buffer)
_SUFFIX = ".arrow"


@dataclass
class Cached:
    """The verified part of a log's cache: events of bytes ``[0, end)``, ``lines`` lines."""

    tables: list[Any] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    end: int = 0
    lines: int = 0
    segments: int = 0
    prefix: Any = field(default_factory=lambda: _hasher())  # of the bytes [0, end)


def cache_files(log: Path) -> list[Path]:
    """The segment files of ``log``'s cache (whatever their state)."""
    folder = log.parent / CACHE_DIR
    try:
        return sorted(folder.glob(f"{log.name}.*{_SUFFIX}"))
    except OSError:
        return []


def _segment_start(path: Path, log: Path) -> int | None:
    middle = path.name[len(log.name) + 1 : -len(_SUFFIX)]
    return int(middle) if middle.isdigit() else None


def _meta(table_schema: Any) -> dict[str, str] | None:
    raw = table_schema.metadata or {}
    try:
        return {k.decode(): v.decode() for k, v in raw.items()}
    except UnicodeDecodeError:
        return None


@dataclass
class _Key:
    """A segment's key (its schema metadata)."""

    start: int
    end: int
    first_line: int
    lines: int
    algorithm: str
    digest: str
    problems: list[tuple[int, str, str]]


def _open_segment(path: Path, schema: Any, fields: str) -> tuple[Any, _Key] | None:
    """A segment's table and key, or None if it cannot be read or is not of this format."""
    try:  # mapped, not copied (see the module's docstring on why that is safe)
        with pa.memory_map(str(path)) as source:
            table = pa_ipc.open_file(source).read_all()
    except (OSError, pa.ArrowException, ValueError):
        return None
    meta = _meta(table.schema)
    if meta is None or meta.get("version") != VERSION or meta.get("fields") != fields:
        return None
    if not table.schema.remove_metadata().equals(schema):
        return None
    try:
        key = _Key(
            int(meta["start"]),
            int(meta["end"]),
            int(meta["first_line"]),
            int(meta["lines"]),
            meta["algorithm"],
            meta["digest"],
            [(int(a), str(b), str(c)) for a, b, c in json.loads(meta["problems"])],
        )
    except (KeyError, ValueError, TypeError):
        return None
    if key.end <= key.start or key.lines < table.num_rows:
        return None
    return table, key


def _digest(
    handle: BufferedReader, start: int, end: int, buffer: bytearray, hashers: list[Any]
) -> bool:
    """Feed the file's bytes ``[start, end)`` to ``hashers``; False if it has fewer."""
    handle.seek(start)
    view = memoryview(buffer)
    left = end - start
    while left:
        got = handle.readinto(view[: min(left, len(buffer))])
        if not got:
            return False
        for hasher in hashers:
            hasher.update(view[:got])
        left -= got
    return True


def lookup(
    log: Path, handle: BufferedReader, size: int, schema: Any, fields: Sequence[str]
) -> Cached:
    """The verified chain of ``log``'s cache (empty if none), checked against ``handle``.

    ``size`` is the log's length as opened; ``schema`` the events' Arrow schema.
    """
    found = Cached()
    if pa is None:
        return found
    by_start: dict[int, list[Path]] = {}
    for path in cache_files(log):
        start = _segment_start(path, log)
        if start is not None:
            by_start.setdefault(start, []).append(path)
    names = json.dumps(list(fields))
    buffer = bytearray(_CHUNK)
    while found.end in by_start:
        opened = _open_segment(by_start.pop(found.end)[0], schema, names)
        if opened is None:
            break
        table, key = opened
        if key.first_line != found.lines or key.end > size or key.algorithm != ALGORITHM:
            break
        if table.num_rows:
            lines = table.column("line")
            low, high = lines[0].as_py(), lines[-1].as_py()
            if low <= found.lines or high > found.lines + key.lines:
                break
        own, prefix = _hasher(), found.prefix.copy()
        if not _digest(handle, key.start, key.end, buffer, [own, prefix]):
            break
        if own.hexdigest() != key.digest:
            break
        found.prefix = prefix
        found.tables.append(table)
        found.problems.extend(key.problems)
        found.end, found.lines = key.end, found.lines + key.lines
        found.segments += 1
    return found


def store(
    log: Path,
    data: bytes,
    cut: int,
    cached: Cached,
    table: Any,
    lines: int,
    problems: Sequence[tuple[int, str, str]],
    fields: Sequence[str],
) -> Cached | None:
    """Add the events ``table`` of the log's next bytes ``data[:cut]`` to the cache.

    ``data`` are the log's bytes from ``cached.end`` on, as parsed; ``cut`` ends a line;
    ``lines`` is the number of lines in ``data[:cut]`` and ``problems`` their problems. With
    more than :data:`MAX_SEGMENTS` segments, the whole chain is written as one. Returns the
    chain as stored, its new segment memory-mapped from the file written (compact, and no
    anonymous memory: a caller may drop the parsed table for it); None where nothing was
    written (a folder that is not writable, a failed write) or the file is no longer the one
    written (another process replaced it at once).
    """
    if pa is None or cut <= 0:
        return None
    folder = log.parent / CACHE_DIR
    if not os.access(folder if folder.is_dir() else log.parent, os.W_OK):
        return None
    part = memoryview(data)[:cut]
    start, first_line, rows = cached.end, cached.lines, [table]
    hasher = _hasher()
    if cached.segments + 1 > MAX_SEGMENTS:  # compact: one segment of everything
        start, first_line, hasher = 0, 0, cached.prefix.copy()
        rows = [*cached.tables, table]
        problems = [*cached.problems, *problems]
        lines += cached.lines
    hasher.update(part)
    key = {
        "version": VERSION,
        "fields": json.dumps(list(fields)),
        "start": str(start),
        "end": str(cached.end + cut),
        "first_line": str(first_line),
        "lines": str(lines),
        "algorithm": ALGORITHM,
        "digest": str(hasher.hexdigest()),
        "problems": json.dumps([list(p) for p in problems]),
    }
    target = folder / f"{log.name}.{start}{_SUFFIX}"
    try:
        whole = pa.concat_tables(rows) if len(rows) > 1 else table
        _write(folder, target, whole.replace_schema_metadata(key))
    except (OSError, pa.ArrowException):
        return None
    if start == 0:
        _remove_others(log, keep=target)
    opened = _open_segment(target, table.schema, key["fields"])
    if opened is None or (opened[1].start, opened[1].end, opened[1].digest) != (
        start,
        cached.end + cut,
        key["digest"],
    ):
        return None
    kept = [] if start == 0 else cached.tables
    return Cached(
        [*kept, opened[0]],
        [*([] if start == 0 else cached.problems), *problems],
        cached.end + cut,
        first_line + lines,
        len(kept) + 1,
        cached.prefix.copy() if start else hasher,
    )


def _write(folder: Path, target: Path, table: Any) -> None:
    """Write ``table`` to ``target`` atomically (temp file in ``folder``, ``os.replace``).

    Not fsynced: after a power failure a segment may be missing or damaged, which only makes
    the next read slower (a damaged segment fails to open or to match its digest).
    """
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# dsr-workbench: caches of the coding logs, rebuilt from them\n*\n")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            with pa_ipc.new_file(handle, table.schema) as writer:
                writer.write_table(table)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _remove_others(log: Path, keep: Path) -> None:
    """Remove the log's other segments (superseded by ``keep``); best effort."""
    for path in cache_files(log):
        if path != keep:
            try:
                path.unlink()
            except OSError:
                pass
