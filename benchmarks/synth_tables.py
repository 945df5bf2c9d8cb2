"""In-memory tables for the benchmarks: turns, codings, coding-event logs, reliability data.

These build what a study would hold, at sizes no example study has, without writing a study
folder: :func:`make_turns` (a turns table without text), :func:`make_codings` (one or more
coders' codings at a chosen agreement), :func:`write_coding_logs` (the codings as the coders'
event logs, in the format of :mod:`dsr_workbench.coding.codings`) and :func:`make_reliability_data`
(a long unit/coder/value table and the same data as a coders x units matrix).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dsr_workbench.coding.codings import CONTEXT, coding_id

try:
    import orjson

    def _dumps(event: dict[str, Any]) -> bytes:
        return orjson.dumps(event)

except ImportError:  # pragma: no cover - same bytes, just slower

    def _dumps(event: dict[str, Any]) -> bytes:
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


__all__ = ["make_codings", "make_reliability_data", "make_turns", "write_coding_logs"]


def make_turns(
    n_turns: int, *, turns_per_transcript: int = 60, n_participants: int = 40, seed: int = 0
) -> pd.DataFrame:
    """A ``turns``-shaped table without text (for query benchmarks), ``n_turns`` rows.

    Columns: transcript_id, turn, speaker, participant_id, organisation, perspective
    (client | cmo | researcher), start, end, n_words, kind, cycle.

    Examples
    --------
    >>> t = make_turns(130, turns_per_transcript=60)
    >>> len(t), t.transcript_id.nunique(), list(t.turn[:3])
    (130, 3, [1, 2, 3])
    """
    rng = np.random.default_rng(seed)
    tix = np.arange(n_turns) // turns_per_transcript
    turn = np.arange(n_turns) % turns_per_transcript + 1
    researcher = turn % 2 == 1
    pid = rng.integers(0, n_participants, size=n_turns)
    n_words = np.where(researcher, rng.integers(5, 30, n_turns), rng.integers(20, 150, n_turns))
    length = n_words * 6 + 10
    end = np.zeros(n_turns, dtype=np.int64)
    start = np.zeros(n_turns, dtype=np.int64)
    for first in range(0, n_turns, turns_per_transcript):  # offsets restart per transcript
        seg = slice(first, first + turns_per_transcript)
        stop = np.cumsum(length[seg] + 2)
        end[seg] = stop - 2
        start[seg] = stop - 2 - length[seg] + 8
    n_tr = int(tix.max()) + 1 if n_turns else 0
    return pd.DataFrame(
        {
            "transcript_id": pd.array([f"T{k + 1:05d}" for k in tix], dtype="str"),
            "turn": turn.astype(np.int64),
            "speaker": pd.array(
                np.where(researcher, "Kim", [f"P{p:03d}" for p in pid]), dtype="str"
            ),
            "participant_id": pd.array(
                np.where(researcher, "R1", [f"P{p:03d}" for p in pid]), dtype="str"
            ),
            "organisation": pd.array(
                np.where(researcher, None, [f"ORG{p % 8:02d}" for p in pid]), dtype="string"
            ),
            "perspective": pd.array(
                np.where(researcher, "researcher", np.where(pid % 2 == 0, "client", "cmo")),
                dtype="str",
            ),
            "start": start,
            "end": end,
            "n_words": n_words.astype(np.int64),
            "kind": pd.array(np.where(tix % 8 == 7, "focus_group", "interview"), dtype="str"),
            "cycle": (1 + tix * 3 // max(n_tr, 1)).astype(np.int64),
        }
    )


def make_codings(
    turns: pd.DataFrame,
    n: int,
    codes: Sequence[str],
    *,
    n_coders: int = 1,
    agreement: float = 0.8,
    texts: dict[str, str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """A codings table: ``n`` codings of coder ``R1`` on turns, plus other coders' versions.

    Each coding spans a whole turn (30 % of them) or a stretch of words inside one. Codes follow a
    Zipf distribution (a few codes are used often, most rarely), as in real codebooks. Every
    further coder (``R2``, ``R3``, ...) repeats a coding with probability ``agreement``;
    otherwise gives its span another code (half the time) or misses it, and codes as many
    spans of its own as it missed.

    Returns columns transcript_id, turn, start, end, code_id, coder, origin, quote (when
    ``texts`` is given, else ``<NA>``), coding_id.

    Examples
    --------
    >>> c = make_codings(make_turns(200), 100, ["A", "B", "C"], n_coders=2, seed=1)
    >>> sorted(c.coder.unique()), int((c.coder == "R1").sum())
    (['R1', 'R2'], 100)
    """
    rng = np.random.default_rng(seed)
    eligible = np.flatnonzero((turns["perspective"] != "researcher").to_numpy())
    if len(eligible) == 0:
        eligible = np.arange(len(turns))
    t_start = turns["start"].to_numpy(dtype=np.int64)
    t_end = turns["end"].to_numpy(dtype=np.int64)
    weights = 1.0 / np.arange(1, len(codes) + 1) ** 0.8
    weights /= weights.sum()
    codes_arr = np.asarray(codes, dtype=object)

    def spans(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = eligible[rng.integers(0, len(eligible), size=k)]
        a, b = t_start[rows], t_end[rows]
        part = rng.random(k) < 0.7
        width = np.maximum(1, b - a)
        off = (rng.random(k) * width * 0.6).astype(np.int64)
        size = np.maximum(1, (rng.random(k) * width * 0.4).astype(np.int64) + 1)
        a2 = np.where(part, a + off, a)
        b2 = np.where(part, np.minimum(b, a + off + size), b)
        if texts is not None:  # coders select whole words: widen spans to word edges
            a2, b2 = _snap(rows, a2, b2)
        return rows, a2, b2

    tid_list = turns["transcript_id"].tolist()

    def _snap(rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert texts is not None
        starts, ends = [], []
        for r, x, y in zip(rows.tolist(), a.tolist(), b.tolist(), strict=True):
            text, lo, hi = texts[tid_list[r]], int(t_start[r]), int(t_end[r])
            x = max(lo, text.rfind(" ", lo, x + 1) + 1)
            y = text.find(" ", y - 1, hi)
            y = hi if y < 0 else y
            if y <= x:
                x, y = lo, hi
            starts.append(x)
            ends.append(y)
        return np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)

    # coder 1: n distinct (span, code) pairs (oversample, drop repeats, keep the first n)
    rows, a, b = spans(n + n // 10 + 10)
    code = rng.choice(len(codes), size=len(rows), p=weights)
    first = pd.DataFrame({"a": a, "b": b, "c": code}).duplicated().to_numpy()
    rows, a, b, code = (x[~first][:n] for x in (rows, a, b, code))
    n = len(rows)
    frames = [(rows, a, b, code, "R1")]
    for c in range(1, n_coders):
        keep = rng.random(n) < agreement
        swap = ~keep & (rng.random(n) < 0.5)
        other = (code + rng.integers(1, max(len(codes), 2), size=n)) % len(codes)
        mine = keep | swap
        k_extra = int((~mine).sum())
        r2, a2, b2 = spans(k_extra)
        frames.append(
            (
                np.concatenate([rows[mine], r2]),
                np.concatenate([a[mine], a2]),
                np.concatenate([b[mine], b2]),
                np.concatenate(
                    [
                        np.where(swap, other, code)[mine],
                        rng.choice(len(codes), size=k_extra, p=weights),
                    ]
                ),
                f"R{c + 1}",
            )
        )
    tids = turns["transcript_id"].to_numpy()
    turn_no = turns["turn"].to_numpy(dtype=np.int64)
    out = pd.DataFrame(
        {
            "transcript_id": pd.array(np.concatenate([tids[f[0]] for f in frames]), dtype="str"),
            "turn": np.concatenate([turn_no[f[0]] for f in frames]),
            "start": np.concatenate([f[1] for f in frames]),
            "end": np.concatenate([f[2] for f in frames]),
            "code_id": pd.array(np.concatenate([codes_arr[f[3]] for f in frames]), dtype="str"),
            "coder": pd.array(
                np.concatenate([np.full(len(f[0]), f[4], dtype=object) for f in frames]),
                dtype="str",
            ),
        }
    )
    out["origin"] = pd.array(
        np.where(
            rng.random(len(out)) < 0.2, "rule:" + out["code_id"].to_numpy(dtype=object), "manual"
        ),
        dtype="str",
    )
    if texts is not None:
        out["quote"] = pd.array(
            [
                texts[t][x:y]
                for t, x, y in zip(
                    out["transcript_id"].tolist(),
                    out["start"].tolist(),
                    out["end"].tolist(),
                    strict=True,
                )
            ],
            dtype="str",
        )
    else:
        out["quote"] = pd.array([None] * len(out), dtype="str")
    out = out.drop_duplicates(
        ["coder", "transcript_id", "start", "end", "code_id"], ignore_index=True
    )
    out["coding_id"] = pd.array(
        [
            coding_id(*k)
            for k in zip(
                out["coder"],
                out["transcript_id"],
                out["start"].tolist(),
                out["end"].tolist(),
                out["code_id"],
                strict=True,
            )
        ],
        dtype="str",
    )
    return out


def write_coding_logs(
    folder: str | Path,
    codings: pd.DataFrame,
    texts: dict[str, str],
    *,
    remove_share: float = 0.05,
    memo_share: float = 0.02,
    seed: int = 0,
) -> dict[str, int]:
    """Write ``codings`` as coding-event logs ``<folder>/<coder>.jsonl``; return events per coder.

    Each coding is one ``add`` event (the format of :mod:`dsr_workbench.coding.codings`: quote,
    30-character prefix/suffix, the transcript's sha256, origin); ``remove_share`` of them are
    later removed and ``memo_share`` get a memo event, as in a real log. Timestamps rise by
    about a second per event.
    """
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digests = {t: hashlib.sha256(x.encode("utf-8")).hexdigest() for t, x in texts.items()}
    base = np.datetime64("2026-01-12T09:00:00.000", "ms")
    written: dict[str, int] = {}
    for coder, own in codings.groupby("coder", sort=True):
        n = len(own)
        removed = np.flatnonzero(rng.random(n) < remove_share).tolist()
        memoed = np.flatnonzero(rng.random(n) < memo_share).tolist()
        total = n + len(removed) + len(memoed)
        blob = rng.bytes(16 * total).hex()
        ids = [blob[32 * k : 32 * k + 32] for k in range(total)]
        steps = np.cumsum(rng.integers(200, 2500, size=total)).astype("timedelta64[ms]")
        stamps = [f"{x}Z" for x in np.datetime_as_string(base + steps, unit="ms").tolist()]
        cid, tid, code, origin = (
            own[c].tolist() for c in ("coding_id", "transcript_id", "code_id", "origin")
        )
        a_s, b_s = own["start"].tolist(), own["end"].tolist()
        coder = str(coder)
        lines: list[bytes] = []
        for k in range(n):
            text, a, b = texts[tid[k]], a_s[k], b_s[k]
            lines.append(
                _dumps(
                    {
                        "event": "add",
                        "event_id": ids[k],
                        "coding_id": cid[k],
                        "coder": coder,
                        "timestamp": stamps[k],
                        "transcript_id": tid[k],
                        "sha256": digests[tid[k]],
                        "start": a,
                        "end": b,
                        "quote": text[a:b],
                        "prefix": text[max(0, a - CONTEXT) : a],
                        "suffix": text[b : b + CONTEXT],
                        "code_id": code[k],
                        "origin": origin[k],
                    }
                )
            )
        for k in memoed:
            j = len(lines)
            lines.append(
                _dumps(
                    {
                        "event": "memo",
                        "event_id": ids[j],
                        "coding_id": cid[k],
                        "coder": coder,
                        "timestamp": stamps[j],
                        "memo": "check with the second coder",
                    }
                )
            )
        for k in removed:
            j = len(lines)
            lines.append(
                _dumps(
                    {
                        "event": "remove",
                        "event_id": ids[j],
                        "coding_id": cid[k],
                        "coder": coder,
                        "timestamp": stamps[j],
                        "transcript_id": tid[k],
                        "start": a_s[k],
                        "end": b_s[k],
                        "code_id": code[k],
                        "memo": "not this code",
                    }
                )
            )
        with open(folder / f"{coder}.jsonl", "wb") as handle:
            for first in range(0, len(lines), 100_000):
                handle.write(b"\n".join(lines[first : first + 100_000]) + b"\n")
        written[coder] = len(lines)
    return written


def make_reliability_data(
    n_units: int,
    n_coders: int = 3,
    *,
    n_categories: int = 5,
    agreement: float = 0.8,
    missing: float = 0.05,
    seed: int = 0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """A long (unit, coder, value) table and the same data as a coders x units matrix.

    Each unit has a true category; a coder gives it with probability ``agreement``, else a
    random category; ``missing`` of the values are left out (no row; NaN in the matrix).

    Examples
    --------
    >>> long, matrix = make_reliability_data(10, 3, seed=1)
    >>> matrix.shape, len(long) == int((~np.isnan(matrix)).sum())
    ((3, 10), True)
    """
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_categories, size=n_units)
    values = np.where(
        rng.random((n_coders, n_units)) < agreement,
        truth,
        rng.integers(0, n_categories, size=(n_coders, n_units)),
    ).astype(float)
    values[rng.random((n_coders, n_units)) < missing] = np.nan
    coder, unit = np.nonzero(~np.isnan(values))
    cats = np.asarray([f"cat{k}" for k in range(n_categories)], dtype=object)
    long = pd.DataFrame(
        {
            "unit": unit.astype(np.int64),
            "coder": pd.array(
                np.asarray([f"C{k + 1}" for k in range(n_coders)], dtype=object)[coder], dtype="str"
            ),
            "value": pd.array(cats[values[coder, unit].astype(np.int64)], dtype="str"),
        }
    )
    return long, values
