"""Coding logs: append-only JSON-lines files, one per coder, written atomically.

Every coder writes only their own log, ``data/codings/<coder>.jsonl``: one event
(:mod:`dsr_workbench.coding.events`) per line, never rewritten. Nothing is lost (a removal is a
new event), every change is auditable, two coders never write the same file, and git merges of
logs are trivial.

Appends are atomic: the whole batch of lines goes to the file in one ``os.write`` on a file
opened with ``O_APPEND``, then flush and ``fsync``, under a ``filelock`` lock (``<log>.lock``),
so processes appending for the same coder never interleave. A crash can leave at most a torn
last line; :func:`read_log` reports it (:class:`TornLineWarning`) and skips it, keeping every
earlier event, and the next append moves it to ``<log>.torn`` before writing.

Reading is columnar: a well-formed log is parsed by ``pyarrow.json`` straight into columns,
on every core, and checked column-wise; a log pyarrow does not take (a malformed or blank
line, a value of an unexpected type, no pyarrow installed) is read by the careful path,
``orjson`` line by line, which names the line of each problem. Both give the same table.
"""

from __future__ import annotations

import gc
import json
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dsr_workbench.coding.events import (
    _REQUIRED,
    EVENT_FIELDS,
    EVENTS,
    _check_coder,
    _sha256,
    complete_event,
)
from dsr_workbench.core.atomic import _append_locked
from dsr_workbench.core.errors import DsrWarning, InputError

_loads: Callable[[bytes], Any]
try:  # orjson parses a large log several times faster than the json module
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover - the json module gives the same results
    orjson = None  # type: ignore[assignment]
    _loads = json.loads

try:  # pyarrow parses a whole log into columns, several times faster than line by line
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pa_json
except ImportError:  # pragma: no cover - the careful path gives the same table, slower
    pa = None

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


class TornLineWarning(DsrWarning):
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
    only_new: bool = False,
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
    only_new
        Append only the ``add`` events of codings the log does not hold yet (no event of the
        log has their ``coding_id``: a coding removed since is not added again), and each
        coding once. Checked under the log's lock, so two processes appending the same
        codings at once (two ``dsr code auto`` runs) write them once; a second run appends
        nothing. Other events are appended as given.

    Returns
    -------
    list of dict
        The events as written (with ``only_new``, those not already held).

    Raises
    ------
    DsrError
        An event is incomplete or invalid (nothing is written then).
    filelock.Timeout
        Another process held the lock longer than ``timeout``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from dsr_workbench.coding.events import make_add_event
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
    if not only_new:
        _append_locked(
            log,
            b"".join(map(_dumps, done)),
            timeout=timeout,
            loads=_loads,
            torn_warning=TornLineWarning,
        )
        return done
    written: list[dict[str, Any]] = []

    def new_lines() -> bytes:  # called under the log's lock
        written[:] = _not_held(log, done)
        return b"".join(map(_dumps, written))

    _append_locked(log, new_lines, timeout=timeout, loads=_loads, torn_warning=TornLineWarning)
    return written


def _not_held(log: Path, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events whose coding the log does not hold yet (add events; others all), each once.

    A damaged line is skipped here as by ``read_log(strict=False)``: its coding may be added
    again, never lost.
    """
    held = set(_scan(log, typed=True)[0]["coding_id"].dropna()) if log.stat().st_size else set()
    out = []
    for event in events:
        if event["event"] == "add":
            if event["coding_id"] in held:
                continue
            held.add(event["coding_id"])
        out.append(event)
    return out


# --------------------------------------------------------------------------- reading

_Problem = tuple[int, str, str]
"""A problem of a log: ``(line, kind, message)``, kind ``torn`` or ``malformed``."""

_OFFSETS = ("start", "end")
_REPEATED = frozenset({"event", "coder", "transcript_id", "sha256", "code_id", "origin", "memo"})
"""Fields with few distinct values: each value becomes a Python string once."""
_BLOCK = 1 << 22
"""Bytes pyarrow parses at a time (in parallel); a table has a chunk per block."""

if pa is not None:
    _SCHEMA = pa.schema(
        [(name, pa.int64() if name in _OFFSETS else pa.large_string()) for name in EVENT_FIELDS]
    )


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


def _scan(path: Path, *, typed: bool = False) -> tuple[pd.DataFrame, list[_Problem]]:
    """Parse and check a log; return its events and its problems.

    A well-formed log is parsed column-wise by pyarrow (:func:`_arrow_table`); any other (a
    malformed or blank line, a value of an unexpected type, no pyarrow) is read line by line
    by :func:`_careful`, which knows each line's number. Both give the same table. ``typed``
    keeps the text columns of a parsed log as pandas ``str`` instead of objects (for
    :func:`dsr_workbench.coding.codings.load_codings`, which folds them at once).
    """
    raw = path.read_bytes()
    cut = raw.rfind(b"\n") + 1
    end, tail = cut, raw[cut:]
    problems: list[_Problem] = []
    if tail.strip():
        try:
            last = _loads(tail)
        except ValueError:
            last = None
        if isinstance(last, dict):
            end = len(raw)
        else:
            torn = f"torn last line ({len(tail)} bytes, no newline): skipped"
            problems.append((raw.count(b"\n") + 1, "torn", torn))
    table = _arrow_table(raw, end)
    events = None
    if table is not None:
        try:
            events, bad = _validate(_frame(table, check=typed))
            if not typed:
                events = _as_objects(events)
        except (pa.ArrowException, ValueError):  # a text that is not UTF-8
            events = None
    if events is None:
        events, bad = _validate(_careful(raw, cut, end, problems))
    problems.extend(bad)
    return events, problems


def _arrow_table(raw: bytes, end: int) -> Any:
    """Parse ``raw[:end]`` with pyarrow; None where the careful path has to read it.

    pyarrow skips blank lines and reads two objects on one line as two rows, so the log is
    taken only if every line starts with ``{`` and gives one row: line numbers are then
    1..n. pyarrow refuses a line that is not JSON, a repeated key or a value of another type
    than the schema's; it does not check UTF-8 (:func:`_frame` does).
    """
    if pa is None or end == 0 or raw[0] != ord("{"):
        return None
    data = np.frombuffer(raw, dtype=np.uint8, count=end)
    lines, step = 1, 1 << 20  # scanned a megabyte at a time: twice as fast as at once
    for first in range(0, end, step):
        starts = np.flatnonzero(data[first : first + step] == ord("\n")) + (first + 1)
        starts = starts[starts < end]
        if not (data[starts] == ord("{")).all():
            return None
        lines += len(starts)
    try:
        table = pa_json.read_json(
            pa.BufferReader(pa.py_buffer(memoryview(raw)[:end])),
            read_options=pa_json.ReadOptions(block_size=_BLOCK),
            parse_options=pa_json.ParseOptions(
                explicit_schema=_SCHEMA, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    return table if table.num_rows == lines else None


def _frame(table: Any, check: bool) -> pd.DataFrame:
    """The event table of a parsed log, text as pandas ``str``; ``check`` that it is UTF-8."""
    if check:
        table.validate(full=True)  # raises ArrowInvalid if not UTF-8
    columns: dict[str, Any] = {"line": np.arange(1, table.num_rows + 1, dtype=np.int64)}
    for name in EVENT_FIELDS:
        column = table.column(name)
        if name in _OFFSETS:
            values = column.fill_null(0).to_numpy()
            mask = column.is_null().to_numpy(zero_copy_only=False)
            columns[name] = pd.arrays.IntegerArray(values, mask)
        else:
            columns[name] = pd.array(column, dtype="str")
    return pd.DataFrame(columns, copy=False)


def _as_objects(events: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python strings (``NaN`` where absent); raises ValueError if not UTF-8.

    A field with few distinct values (:data:`_REPEATED`) makes each value once.
    """
    for name in EVENT_FIELDS:
        if name in _OFFSETS:
            continue
        column = pa.array(events[name].array)
        if name in _REPEATED:
            distinct = pc.unique(column)
            strings = np.empty(len(distinct), dtype=object)
            strings[:] = [np.nan if s is None else s for s in distinct.to_pylist()]
            strings = strings.take(pc.index_in(column, value_set=distinct).to_numpy())
        else:
            strings = column.to_numpy(zero_copy_only=False)
            if column.null_count:
                strings[column.is_null().to_numpy(zero_copy_only=False)] = np.nan
        events[name] = pd.Series(strings, index=events.index, dtype=object, copy=False)
    return events


def _careful(raw: bytes, cut: int, end: int, problems: list[_Problem]) -> pd.DataFrame:
    """Parse ``raw[:end]`` with orjson, line by line where a line is malformed (its number
    goes to ``problems``); a JSON ``null`` is read as absent (``NaN``), as by pyarrow."""
    lines = raw[:cut].split(b"\n")
    lines.pop()
    if end > cut:
        lines.append(raw[cut:end])
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
    for name in EVENT_FIELDS:
        values = events[name].to_numpy()
        events[name] = pd.Series(np.where(pd.isna(values), np.nan, values), dtype=object)
    events.insert(0, "line", np.asarray(numbers, dtype=np.int64))
    return events


def _reason(exc: Exception) -> str:
    column = getattr(exc, "colno", None)
    return f"error at column {column}" if column else type(exc).__name__


def _validate(events: pd.DataFrame) -> tuple[pd.DataFrame, list[_Problem]]:
    """Check event kinds, required fields and offsets, vectorised; drop the bad rows."""
    messages = ["event is not add, remove or memo"]
    bad = np.zeros(len(events), dtype=np.int16)  # 0 = fine, else 1 + index into messages
    kind = pd.Index(EVENTS).get_indexer(events["event"])
    bad[kind < 0] = 1
    for k, name in enumerate(EVENTS):
        rows = kind == k
        if not rows.any():
            continue
        for key in _REQUIRED[name]:
            missing = rows & (bad == 0) & events[key].isna().to_numpy()
            if missing.any():
                messages.append(f"{name} event lacks {key!r}")
                bad[missing] = len(messages)
    offsets = {}
    for key in _OFFSETS:
        values, broken = events[key].array, np.zeros(len(events), dtype=bool)
        try:
            values = pd.array(values, dtype="Int64")  # a no-op if parsed by pyarrow
        except (TypeError, ValueError, OverflowError):
            raw = events[key].to_numpy()
            number = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce")
            too_big = number.abs() >= 2.0**63  # not an offset into any text
            broken = (pd.notna(raw) & (number.isna() | (number % 1 != 0) | too_big)).to_numpy()
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
        are ``Int64``, the other fields objects (``NaN`` where absent or ``null``).

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
    return _read(Path(path), strict=strict, typed=False)


def _read(path: Path, *, strict: bool, typed: bool) -> pd.DataFrame:
    """:func:`read_log`, with its text columns as ``str`` if ``typed`` (where parsed so)."""
    events, problems = _scan(path, typed=typed)
    for line, kind, message in problems:
        if kind == "torn":
            warnings.warn(f"{path}:{line}: {message}", TornLineWarning, stacklevel=3)
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
            stacklevel=3,
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
    return _read_logs(source, strict=strict, typed=False)


def _read_logs(
    source: str | Path | Iterable[str | Path], *, strict: bool, typed: bool
) -> pd.DataFrame:
    """:func:`read_logs`, with text columns as ``str`` if ``typed`` (see :func:`_scan`)."""
    if isinstance(source, (str, Path)):
        folder = Path(source)
        paths = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        if not folder.is_dir() and folder.suffix == ".jsonl":
            paths = [folder]
    else:
        paths = [Path(p) for p in source]
    frames = []
    for path in paths:
        events = _read(path, strict=strict, typed=typed)
        events.insert(0, "log", path.name)
        frames.append(events)
    if not frames:
        empty = pd.DataFrame(columns=["log", "line", *EVENT_FIELDS], dtype=object)
        return empty.astype({"line": "int64", "start": "Int64", "end": "Int64"})
    return pd.concat(frames, ignore_index=True)
