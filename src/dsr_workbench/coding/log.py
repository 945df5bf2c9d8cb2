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

This module writes logs; it also exports the reading API of
:mod:`dsr_workbench.coding.logread` (:func:`read_log`, :func:`read_logs`, :func:`log_problems`),
which parses a log column-wise and keeps a columnar cache of it
(:mod:`dsr_workbench.coding.logcache`) so that a load parses only the lines appended since.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.coding.events import _check_coder, _sha256, complete_event
from dsr_workbench.coding.logread import (
    PROBLEM_COLUMNS,
    LogWarning,
    TornLineWarning,
    _loads,
    _scan,
    log_problems,
    orjson,
    read_log,
    read_logs,
)
from dsr_workbench.core.atomic import _append_locked

__all__ = [
    "PROBLEM_COLUMNS",
    "LogWarning",
    "TornLineWarning",
    "append_events",
    "log_problems",
    "read_log",
    "read_logs",
]


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
