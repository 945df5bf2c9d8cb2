"""Reading coding logs: parsing, checking, and the columnar cache that spares re-parsing.

A log (:mod:`dsr_workbench.coding.log`) is read by :func:`read_log` / :func:`read_logs`. The
events of its complete lines come from the log's cache (:mod:`dsr_workbench.coding.logcache`)
as far as the cache still matches the log's bytes; the rest is parsed, and added to the cache.

Parsing is columnar: a well-formed log is parsed by ``pyarrow.json`` straight into columns,
on every core, and checked column-wise; a log pyarrow does not take (a malformed or blank
line, a value of an unexpected type, no pyarrow installed) is read by the careful path,
``orjson`` line by line, which names the line of each problem. Both give the same table, and
so does the cache. Fields other than :data:`EVENT_FIELDS` are not read; start and end are
integers, ``verified`` a boolean (``"verified": false`` of an import; absent on most events),
the others text.

A crash while appending can leave a torn last line: it is reported (:class:`TornLineWarning`)
and skipped, every earlier event kept; it is never cached (only bytes up to the last newline
are). A complete last line without its newline (a hand edit) is read, but not cached.
"""

from __future__ import annotations

import gc
import json
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dsr_workbench.coding import logcache
from dsr_workbench.coding.events import _REQUIRED, EVENT_FIELDS, EVENTS
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
    "log_problems",
    "read_log",
    "read_logs",
]

PROBLEM_COLUMNS: list[str] = ["path", "line", "problem"]
"""Columns of :func:`log_problems`."""

USE_CACHE = True
"""Read and write the logs' caches (False: parse every log in full, as tests of parsing do)."""


class TornLineWarning(DsrWarning):
    """The last line of a log is incomplete (a crash while appending); it was skipped."""


class LogWarning(UserWarning):
    """Malformed lines of a log were skipped (``read_log(strict=False)``)."""


# --------------------------------------------------------------------------- reading

_Problem = tuple[int, str, str]
"""A problem of a log: ``(line, kind, message)``, kind ``torn`` or ``malformed``."""

_OFFSETS = ("start", "end")
_FLAGS = ("verified",)
"""Optional boolean fields (``"verified": false``): nullable booleans in the schema."""
_REPEATED = frozenset({"event", "coder", "transcript_id", "sha256", "code_id", "origin", "memo"})
"""Fields with few distinct values: each value becomes a Python string once."""
_REMAP = 1 << 24
"""From this many bytes parsed on, a read takes the new events from the cache it just wrote."""
_BLOCK = 1 << 22
"""Bytes pyarrow parses at a time (in parallel); a table has a chunk per block."""

if pa is not None:
    _SCHEMA = pa.schema(
        [
            (
                name,
                pa.int64()
                if name in _OFFSETS
                else pa.bool_()
                if name in _FLAGS
                else pa.large_string(),
            )
            for name in EVENT_FIELDS
        ]
    )
    _CACHED = pa.schema([("line", pa.int64()), *_SCHEMA])
    """The events of a log's cache: ``line`` and the fields, as parsed."""


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
    """Read and check a log; return its events and its problems.

    The events of the bytes the log's cache covers (:func:`logcache.lookup`) come from the
    cache; the rest is parsed by :func:`_parse`, and its complete lines are added to the cache
    (where the folder is writable). ``typed`` keeps the text columns as pandas ``str`` instead
    of objects where they are text (for :func:`dsr_workbench.coding.codings.load_codings`,
    which folds them at once).
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        use = USE_CACHE and pa is not None
        cached = logcache.lookup(path, handle, size, _CACHED, EVENT_FIELDS) if use else None
        done = cached.end if cached is not None else 0
        lines = cached.lines if cached is not None else 0
        handle.seek(done)
        raw = handle.read()
        events, problems, cut = _parse(raw, lines, check=use or typed)
        new = _as_table(events) if use else None
        stored = None
        if cached is not None and new is not None and cut:
            complete = lines + raw.count(b"\n", 0, cut)
            rows = int(np.searchsorted(new.column("line").to_numpy(), complete, side="right"))
            stored = logcache.store(
                path,
                raw,
                cut,
                cached,
                new.slice(0, rows),
                complete - lines,
                [p for p in problems if p[0] <= complete and p[1] != "torn"],
                EVENT_FIELDS,
            )
    problems = [*(cached.problems if cached is not None else []), *problems]
    if stored is not None and new is not None and cut >= _REMAP and rows == new.num_rows:
        # a large parse: its events from the segment just written (mapped, compact), so the
        # parse's buffers (larger than the events) are freed before the fold needs memory
        cached, new, events, raw = stored, new.schema.empty_table(), pd.DataFrame(), b""
    if cached is None or not cached.tables:
        if new is not None:
            events = _frame(new, check=False)
        return (events if typed else _as_objects_or(events)), problems
    if new is not None:
        events = _frame(pa.concat_tables([*cached.tables, new]), check=False)
        return (events if typed else _as_objects(events)), problems
    old = _as_objects(_frame(pa.concat_tables(cached.tables), check=False))
    return pd.concat([old, _as_objects_or(events)], ignore_index=True), problems


def _as_objects_or(events: pd.DataFrame) -> pd.DataFrame:
    """:func:`_as_objects` where the text columns are ``str`` (parsed by pyarrow)."""
    if all(events[name].dtype == object for name in EVENT_FIELDS if name not in _OFFSETS):
        return events
    return _as_objects(events)


def _as_table(events: pd.DataFrame) -> Any:
    """The events as an Arrow table of the cache's schema; None if a value is not of its type
    (a number where text is due, read by the careful path) or a text is not UTF-8."""
    try:
        columns = [pa.array(events["line"].to_numpy(), type=pa.int64())]
        for name in EVENT_FIELDS:
            values = events[name].array
            kind = _SCHEMA.field(name).type
            if isinstance(values, pd.arrays.ArrowStringArray) and kind == pa.large_string():
                columns.append(_chunked(pa.array(values)).cast(kind))  # chunks kept: no copy
            else:
                columns.append(pa.array(values, type=kind, from_pandas=True))
        return pa.Table.from_arrays(columns, schema=_CACHED)
    except (pa.ArrowException, ValueError, TypeError, UnicodeError):
        return None


def _parse(raw: bytes, before: int, *, check: bool) -> tuple[pd.DataFrame, list[_Problem], int]:
    """Parse and check the lines of ``raw`` (the log after its first ``before`` lines).

    Returns the events (``line`` numbered from ``before + 1``), the problems and the length
    of the complete lines (up to the last newline). A well-formed part is parsed column-wise
    by pyarrow (:func:`_arrow_table`); any other (a malformed or blank line, a value of an
    unexpected type, no pyarrow) is read line by line by :func:`_careful`, which knows each
    line's number. Both give the same table (text as ``str`` from pyarrow, objects from the
    careful path); ``check`` that pyarrow's text is UTF-8 (else it goes the careful way).
    """
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
            problems.append((before + raw.count(b"\n") + 1, "torn", torn))
    table = _arrow_table(raw, end)
    events = None
    if table is not None:
        try:
            events, bad = _validate(_frame(table, check=check, before=before))
            if not check:
                events = _as_objects(events)
        except (pa.ArrowException, ValueError):  # a text that is not UTF-8
            events = None
    if events is None:
        events, bad = _validate(_careful(raw, cut, end, problems, before))
    problems.extend(bad)
    return events, problems, cut


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


def _frame(table: Any, check: bool, before: int = 0) -> pd.DataFrame:
    """The event table of a parsed log, text as pandas ``str``; ``check`` that it is UTF-8.

    ``line`` is the table's own (a cached table) or numbers from ``before + 1``.
    """
    if check:
        table.validate(full=True)  # raises ArrowInvalid if not UTF-8
    if "line" in table.column_names:
        line = table.column("line").to_numpy()
    else:
        line = np.arange(before + 1, before + table.num_rows + 1, dtype=np.int64)
    columns: dict[str, Any] = {"line": line}
    for name in EVENT_FIELDS:
        column = table.column(name)
        if name in _OFFSETS:
            values = column.fill_null(0).to_numpy()
            mask = column.is_null().to_numpy(zero_copy_only=False)
            columns[name] = pd.arrays.IntegerArray(values, mask)
        elif name in _FLAGS:
            values = column.fill_null(True).to_numpy(zero_copy_only=False)
            mask = column.is_null().to_numpy(zero_copy_only=False)
            columns[name] = pd.arrays.BooleanArray(values, mask)
        else:
            columns[name] = pd.array(column, dtype="str")
    return pd.DataFrame(columns, copy=False)


def _as_objects(events: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python strings (``NaN`` where absent); raises ValueError if not UTF-8.

    A field with few distinct values (:data:`_REPEATED`) makes each value once. The numbers
    are copied: nothing returned points into a (memory-mapped) cache segment.
    """
    for name in ("line", *_OFFSETS):
        values = events[name].array
        if isinstance(values, pd.arrays.IntegerArray):
            events[name] = values.copy()
        else:
            events[name] = np.array(events[name].to_numpy(), copy=True)
    for name in EVENT_FIELDS:
        if name in _OFFSETS:
            continue
        if name in _FLAGS:
            events[name] = _flag_objects(events[name])
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


def _flag_objects(column: pd.Series) -> pd.Series:
    """A boolean column as Python ``True`` / ``False`` objects, ``NaN`` where absent (as the
    careful path reads them)."""
    if column.dtype == object:
        return column
    values = column.array
    mask = np.asarray(values.isna(), dtype=bool)
    truth = values.to_numpy(dtype=bool, na_value=True)
    objects = np.full(len(values), np.nan, dtype=object)
    objects[~mask & truth] = True
    objects[~mask & ~truth] = False
    return pd.Series(objects, index=column.index, dtype=object, copy=False)


def _chunked(column: Any) -> Any:
    """A pyarrow array or chunked array as a chunked array (its chunks as they are)."""
    return column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])


def _careful(
    raw: bytes, cut: int, end: int, problems: list[_Problem], before: int = 0
) -> pd.DataFrame:
    """Parse ``raw[:end]`` with orjson, line by line where a line is malformed (its number,
    counted from ``before + 1``, goes to ``problems``); a JSON ``null`` is read as absent
    (``NaN``), as by pyarrow."""
    lines = raw[:cut].split(b"\n")
    lines.pop()
    if end > cut:
        lines.append(raw[cut:end])
    numbers: Sequence[int] | np.ndarray
    with _gc_paused():
        try:
            records = list(map(_loads, lines))
            numbers = np.arange(before + 1, before + len(lines) + 1)
            if not all(type(r) is dict for r in records):
                raise ValueError
        except ValueError:
            records, numbers = [], []
            for i, line in enumerate(lines, start=before + 1):
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
        are ``Int64``, the other fields objects (``NaN`` where absent or ``null``; ``verified``
        is ``False`` where the event says so).

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
    broken = sorted((p for p in problems if p[1] != "torn"), key=lambda p: p[0])
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
