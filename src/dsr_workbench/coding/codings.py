"""Codings: the current state of the coding logs, and the API to change it.

The current codings are the *fold* of the coders' logs (:func:`fold`): a coding exists if its
last add/remove event is an add. Columns (:data:`CODING_COLUMNS`): coding_id, transcript_id,
start, end, quote, prefix, suffix, code_id, coder, origin, created_at (the timestamp of the add
in force, UTC), memo (the latest note), sha256 (of the transcript text it was made on), verified
(a boolean: ``False`` where the add in force says ``"verified": false``, a coding whose place
nothing confirmed, as a REFI-QDA import writes it; ``True`` where the key is absent).

:func:`code_span`, :func:`code_turns`, :func:`remove` and :func:`memo` append events to a
coder's log (see :mod:`dsr_workbench.coding.log` and :mod:`dsr_workbench.coding.events`, whose
main names this module re-exports).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

try:  # pyarrow parses the usual timestamps several times faster than pandas
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - pandas gives the same result
    pa = None

from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.coding.events import (
    CONTEXT,
    EVENT_FIELDS,
    EVENTS,
    _check_coder,
    coding_id,
    log_path,
    make_add_event,
)
from dsr_workbench.coding.log import (
    TornLineWarning,
    append_events,
    log_problems,
    read_log,
    read_logs,
)
from dsr_workbench.coding.logread import _read_logs
from dsr_workbench.core.errors import DsrError

__all__ = [
    "CODING_COLUMNS",
    "CONTEXT",
    "EVENT_FIELDS",
    "TornLineWarning",
    "append_events",
    "check_codes",
    "code_span",
    "code_turns",
    "coding_id",
    "fold",
    "load_codings",
    "log_path",
    "log_problems",
    "make_add_event",
    "memo",
    "read_log",
    "read_logs",
    "remove",
]

CODING_COLUMNS: list[str] = [
    "coding_id",
    "transcript_id",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "code_id",
    "coder",
    "origin",
    "created_at",
    "memo",
    "sha256",
    "verified",
]
"""Columns of the current codings (:func:`fold`); see the module's docstring."""


def fold(events: pd.DataFrame) -> pd.DataFrame:
    """Fold events into the current codings.

    A coding exists if its last add/remove event (in table order) is an add; its memo is the
    latest note of its add or memo events; ``verified`` is False only where the add in force
    says ``false``. Vectorised, with no loop over events: the coding ids are numbered once
    (read as numbers where they have :func:`coding_id`'s form), the rest is done on row
    positions, and the columns of the current codings are taken from the events in parallel
    threads (pyarrow's take, regex and cast release the GIL).

    Parameters
    ----------
    events
        From :func:`read_log` / :func:`read_logs` (or any table with :data:`EVENT_FIELDS`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CODING_COLUMNS`, one row per current coding, in the order of the
        add events in force.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "event": ["add", "add", "remove", "memo"], "coding_id": ["a", "b", "a", "b"],
    ...     "coder": "R1", "timestamp": "2026-01-14T10:00:00Z", "transcript_id": "I01",
    ...     "sha256": "x", "start": [0, 5, None, None], "end": [4, 9, None, None],
    ...     "quote": ["We t", "st t", None, None], "code_id": ["A", "B", None, None],
    ...     "origin": "manual", "memo": [None, None, None, "ask Noah"]})
    >>> fold(events)[["coding_id", "start", "end", "code_id", "memo"]]
      coding_id  start  end code_id      memo
    0         b      5    9       B  ask Noah
    """
    events = events.reindex(columns=list(dict.fromkeys([*EVENT_FIELDS, *events.columns])))
    kind = _kinds(events["event"])  # 0 add, 1 remove, 2 memo, -1 anything else
    coding = _codes(events["coding_id"])
    state = _last(np.flatnonzero((kind == 0) | (kind == 1)), coding)
    rows = state[kind[state] == 0]
    noted = ((kind == 0) | (kind == 2)) & events["memo"].notna().to_numpy(dtype=bool)
    noted = _last(np.flatnonzero(noted), coding)  # each coding's latest note
    found = pd.Index(coding[noted]).get_indexer(coding[rows])  # ... of each current coding
    memo = _pick(_take(events["memo"], noted), found)

    names = [c for c in CODING_COLUMNS if c not in ("created_at", "memo")] + ["timestamp"]

    def taken_column(name: str) -> Any:
        values = _take(events[name], rows)
        return _utc(values) if name == "timestamp" else values

    if len(rows) < _THREADED:
        taken = {name: taken_column(name) for name in names}
    else:  # pyarrow's take, regex and cast release the GIL
        with ThreadPoolExecutor(min(len(names), os.cpu_count() or 1)) as pool:
            taken = dict(zip(names, pool.map(taken_column, names), strict=True))
    columns: dict[str, Any] = {}
    for name in CODING_COLUMNS:
        if name in ("start", "end"):
            columns[name] = taken[name].to_numpy(dtype=np.int64)
        elif name == "created_at":
            columns[name] = taken["timestamp"]
        elif name == "verified":
            columns[name] = _verified(taken[name])
        else:
            columns[name] = _text(memo if name == "memo" else taken[name])
    return pd.DataFrame(columns, copy=False)


def _pick(values: Any, index: np.ndarray) -> Any:
    """``values[index]``, missing where ``index`` is -1 (pyarrow text stays pyarrow text)."""
    if pa is not None and isinstance(values, pd.arrays.ArrowStringArray):
        data = pa.array(values)
        if isinstance(data, pa.ChunkedArray):
            data = data.combine_chunks()
        return pd.array(data.take(pa.array(index, mask=index < 0)), dtype=_TEXT)
    out = np.full(len(index), np.nan, dtype=object)
    hit = index >= 0
    out[hit] = np.asarray(values, dtype=object)[index[hit]]
    return out


def _kinds(event: pd.Series) -> np.ndarray:
    """Each event's kind as its index in :data:`EVENTS` (-1: none of them)."""
    values = event.array
    if pa is not None and isinstance(values, pd.arrays.ArrowStringArray):
        found = pc.index_in(pa.array(values), value_set=pa.array(list(EVENTS)))
        return np.asarray(found.fill_null(-1).to_numpy(), dtype=np.int64)
    return pd.Index(list(EVENTS)).get_indexer(event.to_numpy(dtype=object))


_HEX = np.full(256, 255, dtype=np.uint8)
_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)


def _codes(ids: pd.Series) -> np.ndarray:
    """A number per row for its coding id: equal ids, equal numbers (int64).

    Ids of :func:`coding_id`'s form (16 lowercase hex digits, pyarrow text) are their own
    64-bit number, read straight from pyarrow's buffer (no hashing of strings); any other id
    (hand-written, missing) is numbered by pandas' ``factorize``.
    """
    keys = _hex_keys(ids.array)
    if keys is not None:
        return keys.view(np.int64)
    return np.asarray(pd.factorize(ids, use_na_sentinel=False)[0], dtype=np.int64)


def _hex_keys(values: Any) -> np.ndarray | None:
    """16-digit lowercase hex ids as unsigned 64-bit numbers; None unless every one is."""
    if pa is None or not isinstance(values, pd.arrays.ArrowStringArray):
        return None
    data = pa.array(values)
    keys = []
    for chunk in data.chunks if isinstance(data, pa.ChunkedArray) else [data]:
        n = len(chunk)
        if not n:
            continue
        if chunk.null_count:
            return None
        wide = pa.types.is_large_string(chunk.type)
        if not wide and not pa.types.is_string(chunk.type):
            return None
        _, offsets_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)
        offsets = offsets[chunk.offset : chunk.offset + n + 1]
        first = int(offsets[0])
        if int(offsets[-1]) - first != 16 * n or (np.diff(offsets) != 16).any():
            return None
        digits = _HEX[np.frombuffer(data_buffer, dtype=np.uint8, count=16 * n, offset=first)]
        if digits.max() > 15:
            return None
        pairs = digits.reshape(n, 8, 2)
        packed = np.ascontiguousarray((pairs[:, :, 0] << 4) | pairs[:, :, 1])
        keys.append(packed.view(">u8").ravel().astype(np.uint64))
    return np.concatenate(keys) if keys else np.empty(0, dtype=np.uint64)


def _verified(values: Any) -> np.ndarray:
    """``verified`` of the adds in force as booleans: False only where it is ``false``."""
    if isinstance(values, pd.arrays.BooleanArray):
        return values.to_numpy(dtype=bool, na_value=True)
    objects = np.asarray(values, dtype=object)
    false = np.fromiter((v is False or v is np.False_ for v in objects), bool, len(objects))
    return ~false


_TEXT = pd.StringDtype(na_value=np.nan)  # pandas' default text dtype, "str"
_ISO_UTC = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d{1,6})?Z$"
)


_THREADED = 50_000
"""From this many current codings on, their columns are taken in parallel threads."""


def _last(positions: np.ndarray, coding: np.ndarray) -> np.ndarray:
    """The last of rising ``positions`` of each coding (``coding``: :func:`_codes` of all rows)."""
    return positions[~pd.Series(coding[positions]).duplicated(keep="last").to_numpy()]


def _take(column: pd.Series, rows: np.ndarray) -> Any:
    """Rows (strictly rising positions) of a column, as an array.

    pyarrow text is taken chunk by chunk: pyarrow's own take first joins all the chunks (a
    table of several logs has several), which is ten times slower. Where most rows are kept
    (a fold keeps nine in ten), a filter copies the runs of kept rows in bulk, a third faster
    than taking them one by one.
    """
    values = column.array
    if not isinstance(values, pd.arrays.ArrowStringArray):
        return values.take(rows)
    data = pa.array(values)  # a ChunkedArray
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    starts = np.cumsum([0, *(len(chunk) for chunk in chunks)])
    if 4 * len(rows) > len(values):
        keep = np.zeros(len(values), dtype=bool)
        keep[rows] = True
        parts = [
            chunk.filter(pa.array(keep[first : first + len(chunk)]))
            for chunk, first in zip(chunks, starts, strict=False)
        ]
    else:
        cuts = np.searchsorted(rows, starts)
        parts = [
            chunk.take(rows[a:b] - first)
            for chunk, first, a, b in zip(chunks, starts, cuts[:-1], cuts[1:], strict=False)
        ]
    return pd.array(pa.chunked_array(parts, data.type), dtype=values.dtype)


def _text(values: Any) -> Any:
    """An array as pandas ``str`` (missing values ``NaN``, anything else made text)."""
    if values.dtype == _TEXT:
        return values
    return pd.array(np.asarray(values, dtype=object), dtype=_TEXT)


def _utc(stamps: Any) -> pd.DatetimeIndex:
    """Parse ISO 8601 timestamps to UTC (microseconds); pyarrow does the usual ``...Z`` form."""
    if pa is not None and len(stamps):
        try:
            values = pa.array(stamps, from_pandas=True)
            if (
                pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
            ) and not values.null_count:
                fixed = _iso_utc_fixed(values)
                if fixed or (
                    fixed is None and pc.all(pc.match_substring_regex(values, _ISO_UTC)).as_py()
                ):
                    parsed = pc.cast(values, pa.timestamp("us", tz="UTC")).to_numpy()
                    return pd.DatetimeIndex(parsed).tz_localize("UTC")
        except (pa.ArrowException, ValueError, TypeError):
            pass
    return pd.to_datetime(stamps.to_numpy(), utc=True, format="ISO8601").as_unit("us")


_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_SIGNS = {4: b"-", 7: b"-", 10: b"T", 13: b":", 16: b":"}
_RANGES = {5: (1, 12), 8: (1, 31), 11: (0, 23), 14: (0, 59), 17: (0, 59)}


def _iso_utc_fixed(values: Any) -> bool | None:
    """Whether pyarrow text all matches :data:`_ISO_UTC`, checked on its bytes with numpy
    where every value has one length (a log's timestamps do); None where they do not (use
    the regex). Five times faster than the regex."""
    width = None
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        n = len(chunk)
        if not n:
            continue
        _, offsets_buffer, data_buffer = chunk.buffers()
        wide = pa.types.is_large_string(chunk.type)
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)
        offsets = offsets[chunk.offset : chunk.offset + n + 1]
        width = int(offsets[1] - offsets[0]) if width is None else width
        if width not in (20, 22, 23, 24, 25, 26, 27) or (np.diff(offsets) != width).any():
            return None
        raw = np.frombuffer(data_buffer, np.uint8, count=n * width, offset=int(offsets[0]))
        text = raw.reshape(n, width)
        digits = [*_DIGITS, *range(20, width - 1)]
        number = text[:, digits] - np.uint8(48)  # a digit is 0..9, anything else wraps above
        signs = {**_SIGNS, width - 1: b"Z", **({19: b"."} if width > 20 else {})}
        if (number > 9).any() or any((text[:, i] != ord(c)).any() for i, c in signs.items()):
            return False
        for at, (low, high) in _RANGES.items():
            two = text[:, at].astype(np.int16) * 10 + text[:, at + 1] - 528  # 528 = 11 * 48
            if ((two < low) | (two > high)).any():
                return False
    return True


def load_codings(source: str | Path | Iterable[str | Path], *, strict: bool = True) -> pd.DataFrame:
    """Read every log of a folder (``data/codings``) and fold it: the current codings.

    See :func:`read_logs` and :func:`fold`.
    """
    return fold(_read_logs(source, strict=strict, typed=True))


# --------------------------------------------------------------------------- coding API


def _log_coder(log: str | Path, coder: str | None) -> str:
    name = _check_coder(Path(log).stem)
    if coder is not None and coder != name:
        raise DsrError(
            f"coder {coder!r} cannot write to the log of {name!r}",
            hint=f"use the log {Path(log).with_stem(coder).name}",
        )
    return name


def code_span(
    log: str | Path,
    transcript: Mapping[str, Any] | pd.Series,
    start: int,
    end: int,
    code: str,
    *,
    codebook: Codebook,
    coder: str | None = None,
    quote: str | None = None,
    memo: str | None = None,
    origin: str = "manual",
) -> dict[str, Any]:
    """Code a character span of a transcript: append an ``add`` event to the coder's log.

    Parameters
    ----------
    log
        The coder's log (``<data>/codings/<coder>.jsonl``); its name is the coder.
    transcript
        A row of the ``transcripts`` table (transcript_id, text, sha256).
    start, end
        Code-point offsets into the transcript's text, end exclusive.
    code
        A code id of ``codebook``.
    codebook
        The study's codebook.
    coder
        Optional; must match the log's name.
    quote
        Optional: the text the coder selected; must equal ``text[start:end]``.
    memo, origin
        A note; how the coding was made (default ``manual``).

    Returns
    -------
    dict
        The event written (its ``coding_id`` identifies the coding).

    Raises
    ------
    DsrError
        Unknown code id, offsets outside the transcript, a quote that does not match the text
        at the offsets, a coder that is not the log's.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook("codes:\\n  - {id: TRUST, name: Trust}")
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "R1.jsonl"
    >>> t = {"transcript_id": "I01", "text": "Hannah: We trust them."}
    >>> code_span(log, t, 11, 16, "TRUST", codebook=book)["quote"]
    'trust'
    >>> code_span(log, t, 11, 16, "TRUTS", codebook=book)
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: unknown code id 'TRUTS' (fix: did you mean 'TRUST'?)
    """
    who = _log_coder(log, coder)
    event = make_add_event(
        transcript,
        start,
        end,
        code,
        coder=who,
        origin=origin,
        memo=memo,
        quote=quote,
        codebook=codebook,
    )
    return append_events(log, [event])[0]


def code_turns(
    log: str | Path,
    turns: pd.DataFrame,
    transcripts: pd.DataFrame,
    code: str,
    *,
    codebook: Codebook,
    coder: str | None = None,
    memo: str | None = None,
    origin: str = "manual",
) -> list[dict[str, Any]]:
    """Code whole turns (each turn's ``[start, end)``), in one atomic append.

    Parameters
    ----------
    turns
        The turns to code (rows of the ``turns`` table: transcript_id, start, end, text).
    transcripts
        The ``transcripts`` table (transcript_id, text, sha256).
    log, code, codebook, coder, memo, origin
        As :func:`code_span`.

    Returns
    -------
    list of dict
        The events written.

    Raises
    ------
    DsrError
        As :func:`code_span`; also a turn whose transcript is missing or whose text no longer
        matches the transcript at its offsets.
    """
    who = _log_coder(log, coder)
    index = transcripts.set_index("transcript_id")
    events = []
    for tid, a, b, text in zip(
        turns["transcript_id"], turns["start"], turns["end"], turns["text"], strict=True
    ):
        if tid not in index.index:
            raise DsrError(f"transcript {tid!r} of a turn is not in the transcripts table")
        row = index.loc[tid]
        transcript = {"transcript_id": tid, "text": row["text"], "sha256": row.get("sha256")}
        events.append(
            make_add_event(
                transcript,
                a,
                b,
                code,
                coder=who,
                origin=origin,
                memo=memo,
                quote=text,
                codebook=codebook,
            )
        )
    return append_events(log, events)


def _current(log: Path, codings: pd.DataFrame | None) -> pd.DataFrame:
    if codings is None:
        codings = fold(read_log(log)) if log.exists() else pd.DataFrame(columns=CODING_COLUMNS)
    return codings


def _find(log: Path, coding: str, codings: pd.DataFrame | None) -> pd.Series:
    who = _log_coder(log, None)
    current = _current(log, codings)
    hit = current.loc[((current["coding_id"] == coding) & (current["coder"] == who)).to_numpy()]
    if hit.empty:
        raise DsrError(
            f"coding {coding!r} is not a current coding of {who!r}",
            path=log,
            hint="take the coding_id from load_codings(...)",
        )
    return hit.iloc[0]


def remove(
    log: str | Path, coding: str, *, codings: pd.DataFrame | None = None, memo: str | None = None
) -> dict[str, Any]:
    """Remove a coding: append a ``remove`` event (the add stays in the log).

    Parameters
    ----------
    log
        The coder's log.
    coding
        The ``coding_id``.
    codings
        The current codings (default: read and fold ``log``).
    memo
        Why it was removed.

    Returns
    -------
    dict
        The event written.

    Raises
    ------
    DsrError
        The coding is not a current coding of this coder.
    """
    log = Path(log)
    row = _find(log, coding, codings)
    event = {
        "event": "remove",
        "coding_id": coding,
        "transcript_id": row["transcript_id"],
        "start": int(row["start"]),
        "end": int(row["end"]),
        "code_id": row["code_id"],
        "memo": memo,
    }
    return append_events(log, [event])[0]


def memo(
    log: str | Path, coding: str, text: str, *, codings: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Attach a note to a coding (the latest note wins); see :func:`remove` for arguments."""
    log = Path(log)
    _find(log, coding, codings)
    return append_events(log, [{"event": "memo", "coding_id": coding, "memo": str(text)}])[0]


def check_codes(codings: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """List codes that codings use but the codebook no longer has (the codings are kept).

    Returns
    -------
    pandas.DataFrame
        code_id, n_codings, coders (comma-separated), problem; empty when all is well.

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook("codes:\\n  - {id: TRUST, name: Trust}")
    >>> codings = pd.DataFrame({"code_id": ["TRUST", "PRICE", "PRICE"], "coder": ["R1", "R1", "R2"]})
    >>> check_codes(codings, book)[["code_id", "n_codings", "coders"]]
      code_id  n_codings coders
    0   PRICE          2  R1,R2
    """
    known = set(codebook.codes["code_id"])
    orphan = codings.loc[~codings["code_id"].isin(known).to_numpy()]
    table = (
        orphan.groupby("code_id", sort=True)
        .agg(
            n_codings=("code_id", "size"),
            coders=("coder", lambda s: ",".join(sorted(set(map(str, s))))),
        )
        .reset_index()
    )
    table["problem"] = [
        f"code {c!r} is used by {n} coding{'s' * (n != 1)} but is not in the codebook"
        for c, n in zip(table["code_id"], table["n_codings"], strict=True)
    ]
    return table[["code_id", "n_codings", "coders", "problem"]]
