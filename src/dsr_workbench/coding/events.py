"""Coding events: their fields, their ids, and how a valid event is built.

A coder's log (:mod:`dsr_workbench.coding.log`) holds one JSON event per line
(:data:`EVENT_FIELDS`; ``None`` fields are left out of the line):

``add``
    coding_id, coder, timestamp (UTC, ISO 8601), transcript_id, sha256 (of the transcript's
    normalised text when coded), start, end (code-point offsets, end exclusive), quote (the
    exact text), prefix, suffix (up to :data:`CONTEXT` characters either side), code_id, origin
    (``manual`` | ``rule:<code_id>`` | ``import`` | ``consensus`` | ``suggestion``), memo, and
    optionally verified: ``false`` on a coding whose place nothing confirmed (an import whose
    file gave no quote to check its offsets against, see :mod:`dsr_workbench.refi.positions`);
    absent otherwise. The key is new and optional: logs written before it read as before,
    and a reader that does not know it ignores it.
``remove``
    coding_id (plus the coding's transcript_id, start, end, code_id for the audit trail) and
    an optional memo (the reason).
``memo``
    coding_id and memo: a note on a coding; the latest note wins.

Every event has an ``event_id`` (random) and a ``timestamp``. A ``coding_id`` is derived from
(coder, transcript_id, start, end, code_id), so coding the same span with the same code twice
is one coding, and a coding removed and added again is back.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dsr_workbench.core.errors import DsrError

if TYPE_CHECKING:
    from dsr_workbench.coding.codebook import Codebook

__all__ = [
    "CONTEXT",
    "EVENTS",
    "EVENT_FIELDS",
    "coding_id",
    "complete_event",
    "log_path",
    "make_add_event",
]

EVENT_FIELDS: list[str] = [
    "event",
    "event_id",
    "coding_id",
    "coder",
    "timestamp",
    "transcript_id",
    "sha256",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "code_id",
    "origin",
    "memo",
    "verified",
]
"""Fields of a log event, in the order they are written (``verified`` last: it is optional and
written only as ``false``)."""

CONTEXT = 30
"""Characters of context stored on either side of a quote (``prefix``, ``suffix``)."""

EVENTS: tuple[str, ...] = ("add", "remove", "memo")
"""Kinds of event."""
_ORIGIN = re.compile(r"^(?:manual|import|consensus|suggestion|rule:[\w.:-]+)$")
_CODER = re.compile(r"^\w[\w.-]*$")
_REQUIRED = {
    "add": (
        "coding_id",
        "coder",
        "timestamp",
        "transcript_id",
        "sha256",
        "start",
        "end",
        "quote",
        "code_id",
        "origin",
    ),
    "remove": ("coding_id", "coder", "timestamp"),
    "memo": ("coding_id", "coder", "timestamp", "memo"),
}


def log_path(data_dir: str | Path, coder: str) -> Path:
    """Return the log of ``coder`` under a study's data folder: ``<data>/codings/<coder>.jsonl``.

    Examples
    --------
    >>> log_path("data", "R2").as_posix()
    'data/codings/R2.jsonl'
    """
    _check_coder(coder)
    return Path(data_dir) / "codings" / f"{coder}.jsonl"


def _check_coder(coder: object) -> str:
    if not isinstance(coder, str) or not _CODER.match(coder):
        raise DsrError(
            f"coder name {coder!r} cannot name a log file",
            hint="use letters, digits, '_', '.' or '-', e.g. 'R1' or 'kim'",
        )
    return coder


def coding_id(coder: str, transcript_id: str, start: int, end: int, code: str) -> str:
    """Return the id of a coding: a digest of (coder, transcript_id, start, end, code).

    Examples
    --------
    >>> coding_id("R1", "I01", 10, 42, "TRUST")
    'bd2433ec272098dd'
    """
    key = f"{coder}\x1f{transcript_id}\x1f{int(start)}\x1f{int(end)}\x1f{code}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _field(record: Mapping[str, Any] | pd.Series, key: str) -> Any:
    value = record.get(key) if hasattr(record, "get") else None
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def _transcript_parts(transcript: Mapping[str, Any] | pd.Series) -> tuple[str, str, str]:
    tid, text = _field(transcript, "transcript_id"), _field(transcript, "text")
    if tid is None or not isinstance(text, str):
        raise DsrError(
            "a transcript needs 'transcript_id' and 'text'",
            hint="pass a row of the transcripts table",
        )
    return str(tid), text, _field(transcript, "sha256") or _sha256(text)


def _check_span(tid: str, text: str, start: Any, end: Any, quote: str | None) -> tuple[int, int]:
    try:
        a, b = int(start), int(end)
    except (TypeError, ValueError):
        raise DsrError(
            f"offsets {start!r}..{end!r} of transcript {tid} are not integers",
            hint="pass code-point offsets into the transcript's text",
        ) from None
    if not 0 <= a < b <= len(text):
        raise DsrError(
            f"offsets {a}..{b} are outside transcript {tid} (0..{len(text)}) or empty",
            hint="use 0 <= start < end <= the transcript's length",
        )
    if quote is not None and text[a:b] != quote:
        raise DsrError(
            f"quote {_short(quote)} does not match the text at {a}..{b} of transcript {tid}: "
            f"{_short(text[a:b])}",
            hint="re-select the span in the current transcript (or re-anchor old codings)",
        )
    return a, b


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def make_add_event(
    transcript: Mapping[str, Any] | pd.Series,
    start: int,
    end: int,
    code: str,
    *,
    coder: str,
    origin: str = "manual",
    memo: str | None = None,
    quote: str | None = None,
    codebook: Codebook | None = None,
    timestamp: str | None = None,
    verified: bool = True,
) -> dict[str, Any]:
    """Build (but do not write) the ``add`` event coding ``[start, end)`` of a transcript.

    Parameters
    ----------
    transcript
        A row of the ``transcripts`` table (transcript_id, text; sha256 is computed if absent).
    start, end
        Code-point offsets into the transcript's text, end exclusive.
    code
        The code id; checked against ``codebook`` if one is given.
    coder, origin, memo
        Who codes, how (see :data:`EVENT_FIELDS`), and an optional note.
    quote
        If given, must equal ``text[start:end]`` (a guard against stale offsets).
    codebook
        The codebook the code must belong to.
    timestamp
        UTC ISO 8601 time; default now.
    verified
        ``False`` marks a coding whose place nothing confirmed (written as
        ``"verified": false``); ``True`` (the default) writes no key.

    Returns
    -------
    dict
        The event, with keys in :data:`EVENT_FIELDS` order (``None`` values left out).

    Raises
    ------
    DsrError
        Unknown code id, offsets outside the transcript or empty, a quote that does not match
        the text at the offsets, a bad coder name or origin.

    Examples
    --------
    >>> t = {"transcript_id": "I01", "text": "Kim: Why Gamma?\\n\\nHannah: We trust them."}
    >>> e = make_add_event(t, 28, 33, "TRUST", coder="R1", timestamp="2026-01-14T10:00:00.000Z")
    >>> e["quote"], e["prefix"], e["suffix"], e["coding_id"] == coding_id("R1", "I01", 28, 33, "TRUST")
    ('trust', 'Kim: Why Gamma?\\n\\nHannah: We ', ' them.', True)
    """
    tid, text, digest = _transcript_parts(transcript)
    _check_coder(coder)
    if codebook is not None and code not in codebook:
        codebook.require(code)
    if not isinstance(origin, str) or not _ORIGIN.match(origin):
        raise DsrError(
            f"origin {origin!r} is not known",
            hint="use manual, import, consensus, suggestion or rule:<code_id>",
        )
    a, b = _check_span(tid, text, start, end, quote)
    event = {
        "event": "add",
        "event_id": uuid.uuid4().hex,
        "coding_id": coding_id(coder, tid, a, b, code),
        "coder": coder,
        "timestamp": timestamp or _now(),
        "transcript_id": tid,
        "sha256": digest,
        "start": a,
        "end": b,
        "quote": text[a:b],
        "prefix": text[max(0, a - CONTEXT) : a],
        "suffix": text[b : b + CONTEXT],
        "code_id": str(code),
        "origin": origin,
        "memo": memo,
        "verified": None if verified else False,
    }
    return {k: v for k, v in event.items() if v is not None}


def complete_event(
    event: Mapping[str, Any], coder: str, texts: Mapping[str, tuple[str, str]] | None
) -> dict[str, Any]:
    """Fill in an event's derivable fields, check it, and return it in field order.

    ``event_id`` and ``timestamp`` default to new ones, ``coder`` to the log's coder (another
    coder is an error), ``origin`` to ``manual``, ``coding_id`` to :func:`coding_id` of the
    event's span and code. With ``texts`` (``{transcript_id: (text, sha256)}``) an add event's
    offsets and quote are checked against the text, and its quote, sha256, prefix and suffix
    filled in.

    Raises
    ------
    DsrError
        Unknown field or event kind, another coder, bad origin or offsets, a quote that does
        not match, a required field missing.

    Examples
    --------
    >>> e = complete_event({"event": "memo", "coding_id": "c1", "memo": "recheck"}, "R1", None)
    >>> list(e), e["coder"]
    (['event', 'event_id', 'coding_id', 'coder', 'timestamp', 'memo'], 'R1')
    """
    unknown = set(event) - set(EVENT_FIELDS)
    if unknown:
        raise DsrError(
            f"event has unknown field(s) {sorted(unknown)}",
            hint=f"use only {', '.join(EVENT_FIELDS)}",
        )
    ev = {k: v for k, v in event.items() if v is not None}
    kind = ev.get("event")
    if kind not in EVENTS:
        raise DsrError(f"event kind {kind!r} is not add, remove or memo")
    if ev.setdefault("coder", coder) != coder:
        raise DsrError(
            f"an event of coder {ev['coder']!r} cannot go to the log of {coder!r}",
            hint="every coder appends only to their own log",
        )
    ev.setdefault("event_id", uuid.uuid4().hex)
    ev.setdefault("timestamp", _now())
    if "verified" in ev and (ev["verified"] is not False or kind != "add"):
        if ev["verified"] is True and kind == "add":
            del ev["verified"]  # verified is the default: no key
        else:
            raise DsrError(
                f"verified {ev['verified']!r} of a {kind} event is not allowed",
                hint="only an add event carries verified, and only as false",
            )
    if kind == "add":
        ev.setdefault("origin", "manual")
        tid = ev.get("transcript_id")
        if texts is not None and tid is not None:
            if tid not in texts:
                raise DsrError(f"transcript {tid!r} is not in the transcripts table")
            text, digest = texts[tid]
            a, b = _check_span(str(tid), text, ev.get("start"), ev.get("end"), ev.get("quote"))
            ev.setdefault("quote", text[a:b])
            ev.setdefault("sha256", digest)
            ev.setdefault("prefix", text[max(0, a - CONTEXT) : a])
            ev.setdefault("suffix", text[b : b + CONTEXT])
        if not _ORIGIN.match(str(ev["origin"])):
            raise DsrError(
                f"origin {ev['origin']!r} is not known",
                hint="use manual, import, consensus, suggestion or rule:<code_id>",
            )
    if "coding_id" not in ev and all(
        ev.get(k) is not None for k in ("transcript_id", "start", "end", "code_id")
    ):
        ev["coding_id"] = coding_id(
            coder, ev["transcript_id"], ev["start"], ev["end"], ev["code_id"]
        )
    for key in ("start", "end"):
        if key in ev:
            ev[key] = int(ev[key])
    missing = [k for k in _REQUIRED[kind] if ev.get(k) is None]
    if missing:
        raise DsrError(
            f"{kind} event lacks {', '.join(missing)}",
            hint="build add events with make_add_event or pass transcripts=",
        )
    return {k: ev[k] for k in EVENT_FIELDS if k in ev}
