"""Small helpers of the coding view: a coder's current codings and the inverse events of undo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dsr_workbench.coding.codings import CODING_COLUMNS, fold, read_log
from dsr_workbench.coding.events import EVENT_FIELDS
from dsr_workbench.core.errors import DsrError

_APPEND_FIELDS = ("event", "event_id", "coder", "timestamp")
"""Fields of an event that the append sets, never copied from the coding being restored."""


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=CODING_COLUMNS)


def _codings_of(log: Path) -> pd.DataFrame:
    return fold(read_log(log)) if log.exists() else _empty()


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _remove_of(event: dict[str, Any]) -> dict[str, Any]:
    keys = ("coding_id", "transcript_id", "start", "end", "code_id")
    return {"event": "remove", **{k: event[k] for k in keys}, "memo": "undo"}


def _add_of(row: pd.Series) -> dict[str, Any]:
    """The add event that brings a removed coding back, as it was (same coding id)."""
    # every field of an add event the coding row carries; who and when are the new append's
    keys = [k for k in EVENT_FIELDS if k in row.index and k not in _APPEND_FIELDS]
    event: dict[str, Any] = {"event": "add"}
    for key in keys:
        value = row[key]
        if key == "verified":  # a boolean column of the codings: only false is written
            if isinstance(value, (bool, np.bool_)) and not value:
                event[key] = False
            continue
        if isinstance(value, str) or (value is not None and not pd.isna(value)):
            event[key] = int(value) if key in ("start", "end") else str(value)
    return event


_TYPES = {
    c: np.int64 if c in ("start", "end") else pd.StringDtype(na_value=np.nan)
    for c in CODING_COLUMNS
    if c != "created_at"
}
"""The dtypes :func:`~dsr_workbench.coding.codings.fold` gives (text: pandas' ``str``)."""


def fold_in(codings: pd.DataFrame, events: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The current codings after ``events`` were appended to their log, without reading it.

    The in-memory twin of ``fold(read_log(log))`` for the view's own appends: an add
    (re)places its coding at the end, a remove drops it, a memo sets its note. The log stays
    the truth; a test checks that both agree after every kind of action.

    Examples
    --------
    >>> add = {"event": "add", "coding_id": "c1", "transcript_id": "I01", "start": 0,
    ...        "end": 2, "quote": "We", "code_id": "A", "coder": "R1", "origin": "manual",
    ...        "timestamp": "2026-01-14T10:00:00Z"}
    >>> now = fold_in(_empty(), [add, {"event": "memo", "coding_id": "c1", "memo": "ask"}])
    >>> now[["coding_id", "start", "end", "memo"]].values.tolist()
    [['c1', 0, 2, 'ask']]
    >>> len(fold_in(now, [{"event": "remove", "coding_id": "c1"}]))
    0
    """
    out = codings
    for event in events:
        coding, kind = event["coding_id"], event["event"]
        if kind == "add":
            row = {c: event.get(c) for c in CODING_COLUMNS}
            row["created_at"] = event.get("timestamp")
            new = pd.DataFrame([row], columns=CODING_COLUMNS).astype(_TYPES)
            new["created_at"] = pd.to_datetime(new["created_at"], utc=True, format="ISO8601")
            new["created_at"] = new["created_at"].dt.as_unit("us")
            kept = out[out["coding_id"] != coding]
            out = pd.concat([kept, new], ignore_index=True) if len(kept) else new
        elif kind == "remove":
            out = out[out["coding_id"] != coding].reset_index(drop=True)
        elif kind == "memo":
            out = out.copy()
            out.loc[out["coding_id"] == coding, "memo"] = event.get("memo")
    return out


def decided(consensus_log: Path, transcript_id: str | None) -> set[tuple[str, int, int]]:
    """(code, start, end) of the consensus events of a transcript (resolved disagreements)."""
    if not consensus_log.exists():
        return set()
    events = read_log(consensus_log)
    events = events[events["transcript_id"] == transcript_id]
    return {
        (str(c), int(a), int(b))
        for c, a, b in zip(events["code_id"], events["start"], events["end"], strict=True)
        if pd.notna(a) and pd.notna(b)
    }


def inverse_of(written: list[dict[str, Any]], before: pd.DataFrame) -> list[dict[str, Any]]:
    """The events that undo ``written`` (consensus adds and removes), given the codings before."""
    inverse = []
    for ev in written:
        held = before[before["coding_id"] == ev["coding_id"]]
        if ev["event"] == "add" and held.empty:
            inverse.append(_remove_of(ev))
        elif ev["event"] == "remove" and len(held):
            inverse.append(_add_of(held.iloc[0]))
    return inverse


class QuoteMismatch(DsrError):
    """The selected words are not the transcript's at the offsets: the text changed."""


def checked_span(msg: Mapping[str, Any], text: str, turns: pd.DataFrame) -> tuple[int, int, str]:
    """The selection of a message, checked: integers, inside one turn, the quote matches.

    Raises
    ------
    DsrError
        Not integers, empty, outside the text, over two turns; :class:`QuoteMismatch` if
        ``text[start:end] != quote``.
    """
    try:
        start, end = int(msg["start"]), int(msg["end"])
    except (KeyError, TypeError, ValueError):
        raise DsrError(
            "the selection has no valid start/end", hint="select words in the transcript"
        ) from None
    quote = msg.get("quote")
    if not 0 <= start < end <= len(text):
        raise DsrError(
            f"the selection {start}..{end} is empty or outside the transcript",
            hint="select some words",
        )
    inside = turns[(turns["start"] <= start) & (turns["end"] >= end)]
    if inside.empty:
        raise DsrError(
            "the selection spans two turns (or the gap between them): nothing was coded",
            hint="select words within one speaker turn",
        )
    if not isinstance(quote, str) or text[start:end] != quote:
        raise QuoteMismatch(
            f"the selected words no longer match the transcript at {start}..{end} "
            "(the text changed under the view): nothing was written",
            hint="reload the transcript and select again",
        )
    return start, end, quote


def placed_as_made(
    fresh: pd.DataFrame, like: pd.DataFrame, sha256: str, turns: pd.DataFrame
) -> pd.DataFrame | None:
    """Codings just made on today's text, placed as they are (what anchoring gives them).

    A coding whose transcript digest is today's ``sha256`` keeps its offsets (status ``ok``,
    score 100) on the turn it starts in (``turns``: today's turns of its transcript). The rows
    come with the columns and dtypes of ``like`` (the view's anchored codings). ``None`` when
    that does not hold for every row, or ``like`` is empty (then anchor them).

    Examples
    --------
    >>> like = pd.DataFrame({"coding_id": ["a"], "start": pd.array([0], dtype="Int64"),
    ...     "end": pd.array([2], dtype="Int64"), "quote": ["We"], "sha256": ["h"],
    ...     "status": ["ok"], "score": [100.0], "old_start": [0], "old_end": [2],
    ...     "old_quote": ["We"], "turn": pd.array([1], dtype="Int64")})
    >>> fresh = pd.DataFrame({"coding_id": ["b"], "start": [12], "end": [17],
    ...                       "quote": ["trust"], "sha256": ["h"]})
    >>> turns = pd.DataFrame({"turn": [1, 2], "start": [0, 10], "end": [8, 30]})
    >>> placed_as_made(fresh, like, "h", turns)[["coding_id", "start", "status", "turn"]]
      coding_id  start status  turn
    0         b     12     ok     2
    >>> placed_as_made(fresh, like, "other", turns) is None
    True
    """
    if like.empty or fresh.empty or not (fresh["sha256"] == sha256).all():
        return None
    turns = turns.sort_values("start")
    starts, ends = fresh["start"].to_numpy(dtype=np.int64), fresh["end"].to_numpy(dtype=np.int64)
    at = np.searchsorted(turns["end"].to_numpy(dtype=np.int64), starts, side="right")
    if (at >= len(turns)).any() or (
        turns["start"].to_numpy()[np.minimum(at, len(turns) - 1)] >= ends
    ).any():
        return None
    rows = fresh.assign(
        status="ok",
        score=100.0,
        old_start=starts,
        old_end=ends,
        old_quote=fresh["quote"],
        turn=turns["turn"].to_numpy()[at],
    )
    return rows.reindex(columns=like.columns).astype(like.dtypes.to_dict()).reset_index(drop=True)
