"""Coding logs: append-only JSON-lines files, one per coder, written atomically.

Every coder writes only their own log, ``data/codings/<coder>.jsonl``: one event
(:mod:`dsr_workbench.coding_events`) per line, never rewritten. Nothing is lost (a removal is a
new event), every change is auditable, two coders never write the same file, and git merges of
logs are trivial.

Appends are atomic: the whole batch of lines goes to the file in one ``os.write`` on a file
opened with ``O_APPEND``, then flush and ``fsync``, under a ``filelock`` lock (``<log>.lock``),
so processes appending for the same coder never interleave. A crash can leave at most a torn
last line; :func:`read_log` reports it (:class:`TornLineWarning`) and skips it, keeping every
earlier event, and the next append moves it to ``<log>.torn`` before writing.

Reading is vectorised: lines are parsed with ``orjson`` (with the garbage collector paused)
and checked column-wise with pandas; a malformed line is looked for line by line only when
the fast path fails.
"""

from __future__ import annotations

import gc
import json
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock

from dsr_workbench.coding_events import (
    _REQUIRED,
    EVENT_FIELDS,
    EVENTS,
    _check_coder,
    _sha256,
    complete_event,
)
from dsr_workbench.errors import InputError

_loads: Callable[[bytes], Any]
try:  # orjson parses a large log several times faster than the json module
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover - the json module gives the same results
    orjson = None  # type: ignore[assignment]
    _loads = json.loads

__all__ = [
    "PROBLEM_COLUMNS",
    "LogWarning",
    "TornLineWarning",
    "append_events",
    "log_problems",
    "read_log",
    "read_logs",
]

PROBLEM_COLUMNS: list[str] = ["path", "line", "problem"]
"""Columns of :func:`log_problems`."""


class TornLineWarning(UserWarning):
    """The last line of a log is incomplete (a crash while appending); it was skipped."""


class LogWarning(UserWarning):
    """Malformed lines of a log were skipped (``read_log(strict=False)``)."""


def _dumps(event: dict[str, Any]) -> bytes:
    if orjson is not None:
        return orjson.dumps(event) + b"\n"
    return (json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def append_events(
    log: str | Path,
    events: Iterable[Mapping[str, Any]],
    *,
    transcripts: pd.DataFrame | None = None,
    timeout: float = 60.0,
) -> list[dict[str, Any]]:
    """Append events to a coder's log, atomically, in one write.

    Missing ``event_id``, ``timestamp``, ``coder`` (the log's name) and ``coding_id`` are
    filled in; with ``transcripts``, an add event's offsets and quote are checked against the
    text and its ``sha256``, ``quote``, ``prefix``, ``suffix`` filled in (so the plain dicts of
    e.g. ``reliability_codings.consensus_events`` can be appended as they are).

    Parameters
    ----------
    log
        The coder's log, ``<data>/codings/<coder>.jsonl`` (created with its folder).
    events
        Event mappings (see :data:`EVENT_FIELDS`).
    transcripts
        Optional ``transcripts`` table (transcript_id, text, sha256).
    timeout
        Seconds to wait for the log's lock.

    Returns
    -------
    list of dict
        The events as written.

    Raises
    ------
    DsrError
        An event is incomplete or invalid (nothing is written then).
    filelock.Timeout
        Another process held the lock longer than ``timeout``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from dsr_workbench.coding_events import make_add_event
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "codings" / "R1.jsonl"
    >>> t = {"transcript_id": "I01", "text": "Hannah: We trust them."}
    >>> written = append_events(log, [make_add_event(t, 11, 16, "TRUST", coder="R1")])
    >>> read_log(log)[["coder", "transcript_id", "start", "end", "quote", "code_id"]]
      coder transcript_id  start  end  quote code_id
    0    R1           I01     11   16  trust   TRUST
    """
    log = Path(log)
    coder = _check_coder(log.stem)
    texts = None
    if transcripts is not None:
        texts = {
            tid: (text, digest if isinstance(digest, str) else _sha256(text))
            for tid, text, digest in zip(
                transcripts["transcript_id"],
                transcripts["text"],
                transcripts["sha256"] if "sha256" in transcripts else [None] * len(transcripts),
                strict=True,
            )
        }
    done = [complete_event(ev, coder, texts) for ev in events]
    if not done:
        return done
    data = b"".join(map(_dumps, done))
    log.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{log}.lock", timeout=timeout).acquire(poll_interval=0.002):
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        fd = os.open(log, flags, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and _last_byte(fd, size) != b"\n":
                data = _repair_tail(fd, log, size) + data
            view = memoryview(data)
            while view:  # one write; loops only if the OS writes part of it
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
    return done


def _last_byte(fd: int, size: int) -> bytes:
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1)


def _repair_tail(fd: int, log: Path, size: int) -> bytes:
    """Deal with a last line without newline before appending (called under the lock).

    A complete event (a hand edit) just gets its newline; a torn line is moved to
    ``<log>.torn`` (nothing is deleted unseen) and cut from the log.
    """
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
    try:
        if isinstance(_loads(tail), dict):
            return b"\n"
    except ValueError:
        pass
    with open(f"{log}.torn", "ab") as torn:
        torn.write(tail + b"\n")
        torn.flush()
        os.fsync(torn.fileno())
    os.ftruncate(fd, pos)
    warnings.warn(
        f"{log}: a torn last line ({len(tail)} bytes) was moved to {log}.torn",
        TornLineWarning,
        stacklevel=3,
    )
    return b""


# --------------------------------------------------------------------------- reading


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of dicts are made (2-3x faster)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _scan(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """Parse a log; return its events and its problems ``(line, kind, message)``."""
    raw = path.read_bytes()
    cut = raw.rfind(b"\n") + 1
    body, tail = raw[:cut], raw[cut:]
    lines = body.split(b"\n")
    lines.pop()
    problems: list[tuple[int, str, str]] = []
    if tail.strip():
        try:
            last = _loads(tail)
        except ValueError:
            last = None
        if isinstance(last, dict):
            lines.append(tail)
        else:
            problems.append(
                (len(lines) + 1, "torn", f"torn last line ({len(tail)} bytes, no newline): skipped")
            )
    numbers: Sequence[int] | np.ndarray
    with _gc_paused():
        try:
            records = list(map(_loads, lines))
            numbers = np.arange(1, len(lines) + 1)
            if not all(type(r) is dict for r in records):
                raise ValueError
        except ValueError:
            records, numbers = [], []
            for i, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    record = _loads(line)
                except ValueError as exc:
                    problems.append((i, "malformed", f"not valid JSON ({_reason(exc)})"))
                    continue
                if not isinstance(record, dict):
                    problems.append((i, "malformed", "not a JSON object"))
                    continue
                records.append(record)
                numbers.append(i)
        events = pd.DataFrame(records, columns=EVENT_FIELDS, dtype=object)
    events.insert(0, "line", np.asarray(numbers, dtype=np.int64))
    events, bad = _validate(events)
    problems.extend(bad)
    return events, problems


def _reason(exc: Exception) -> str:
    column = getattr(exc, "colno", None)
    return f"error at column {column}" if column else type(exc).__name__


def _validate(events: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """Check event kinds, required fields and offsets, vectorised; drop the bad rows."""
    messages = ["event is not add, remove or memo"]
    bad = np.zeros(len(events), dtype=np.int16)  # 0 = fine, else 1 + index into messages
    kind = pd.Index(EVENTS).get_indexer(events["event"].to_numpy())
    bad[kind < 0] = 1
    for k, name in enumerate(EVENTS):
        rows = kind == k
        if not rows.any():
            continue
        for key in _REQUIRED[name]:
            missing = rows & (bad == 0) & pd.isna(events[key].to_numpy())
            if missing.any():
                messages.append(f"{name} event lacks {key!r}")
                bad[missing] = len(messages)
    offsets = {}
    for key in ("start", "end"):
        raw = events[key].to_numpy()
        try:
            values = pd.array(raw, dtype="Int64")
            broken = np.zeros(len(raw), dtype=bool)
        except (TypeError, ValueError):
            number = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce")
            broken = (pd.notna(raw) & (number.isna() | (number % 1 != 0))).to_numpy()
            values = pd.array(number.where(~broken), dtype="Int64")
        offsets[key] = values
        adds = (kind == 0) & (bad == 0) & broken
        if adds.any():
            messages.append("start/end are not integers")
            bad[adds] = len(messages)
    within = ((offsets["start"] >= 0) & (offsets["start"] < offsets["end"])).fillna(False)
    order = (kind == 0) & (bad == 0) & ~within.to_numpy(dtype=bool)
    if order.any():
        messages.append("needs 0 <= start < end")
        bad[order] = len(messages)
    events["start"] = offsets["start"]
    events["end"] = offsets["end"]
    flagged = bad > 0
    if not flagged.any():
        return events, []
    problems = [
        (int(n), "malformed", messages[m - 1])
        for n, m in zip(events["line"].to_numpy()[flagged], bad[flagged], strict=True)
    ]
    return events.loc[~flagged].reset_index(drop=True), problems


def read_log(path: str | Path, *, strict: bool = True) -> pd.DataFrame:
    """Read one coder's log into a table of events.

    A torn *last* line (a crash while appending) is skipped with a :class:`TornLineWarning`;
    every earlier event is kept. A malformed line anywhere else means the file was damaged or
    hand-edited: with ``strict`` it raises, naming the file and line, so that no event is
    silently lost; with ``strict=False`` it is skipped with a :class:`LogWarning` (list them
    all with :func:`log_problems`).

    Parameters
    ----------
    path
        A ``.jsonl`` log.
    strict
        Raise on a malformed line (default) or skip it.

    Returns
    -------
    pandas.DataFrame
        ``line`` (1-based line number) and :data:`EVENT_FIELDS`, in file order; start and end
        are ``Int64``, the other fields objects (``NaN`` where absent).

    Raises
    ------
    InputError
        ``strict`` and a line that is not a JSON object, or an event that lacks a required
        field, has an unknown kind, or bad offsets.
    OSError
        The file cannot be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "R1.jsonl"
    >>> _ = log.write_text('{"event":"memo","coding_id":"c1","coder":"R1",'
    ...                    '"timestamp":"2026-01-14T10:00:00Z","memo":"check"}\\n{"event":"ad')
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     events = read_log(log)
    >>> events[["line", "event", "coding_id", "memo"]], str(caught[0].message)
    (   line event coding_id   memo
    0     1  memo        c1  check, '...R1.jsonl:2: torn last line (12 bytes, no newline): skipped')
    """
    path = Path(path)
    events, problems = _scan(path)
    for line, kind, message in problems:
        if kind == "torn":
            warnings.warn(f"{path}:{line}: {message}", TornLineWarning, stacklevel=2)
    broken = [p for p in problems if p[1] != "torn"]
    if broken and strict:
        line, _, message = broken[0]
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        raise InputError(
            f"{message}{more}",
            path=path,
            line=line,
            hint="repair the line by hand (git diff shows what changed), or read with "
            "strict=False to skip it",
        )
    if broken:
        warnings.warn(
            f"{path}: skipped {len(broken)} malformed line(s), first at line {broken[0][0]}; "
            "see log_problems()",
            LogWarning,
            stacklevel=2,
        )
    return events


def log_problems(path: str | Path) -> pd.DataFrame:
    """List a log's torn and malformed lines (columns :data:`PROBLEM_COLUMNS`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "R1.jsonl"
    >>> _ = log.write_text('{"event":"add"}\\nnot json\\n')
    >>> log_problems(log)[["line", "problem"]]
       line                                            problem
    0     1                   add event lacks 'coding_id'
    1     2  not valid JSON (error at column 1)
    """
    path = Path(path)
    _, problems = _scan(path)
    rows = sorted((str(path), line, message) for line, _, message in problems)
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


def read_logs(source: str | Path | Iterable[str | Path], *, strict: bool = True) -> pd.DataFrame:
    """Read several logs (a folder's ``*.jsonl``, or a list of files) into one event table.

    Returns :func:`read_log`'s columns plus ``log`` (the file's name), file by file in name
    order. A missing folder gives an empty table.
    """
    if isinstance(source, (str, Path)):
        folder = Path(source)
        paths = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        if not folder.is_dir() and folder.suffix == ".jsonl":
            paths = [folder]
    else:
        paths = [Path(p) for p in source]
    frames = []
    for path in paths:
        events = read_log(path, strict=strict)
        events.insert(0, "log", path.name)
        frames.append(events)
    if not frames:
        empty = pd.DataFrame(columns=["log", "line", *EVENT_FIELDS], dtype=object)
        return empty.astype({"line": "int64", "start": "Int64", "end": "Int64"})
    return pd.concat(frames, ignore_index=True)
