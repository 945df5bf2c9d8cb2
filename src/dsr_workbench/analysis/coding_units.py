"""Unitising codings: the presence/absence table of every code, coder and unit.

Lays the compared transcripts end to end and finds, by interval arithmetic on the codings'
offsets, which coder applied which code to which unit: a speaker turn (``unit="turn"``) or a
span of characters over which no coder's coding changes (``unit="char"``, weighted by its
length). Also the input checks shared with :mod:`dsr_workbench.analysis.reliability_codings`,
which re-exports :func:`reliability_data` and computes agreement from its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from dsr_workbench.analysis.coefficients import _show
from dsr_workbench.core.errors import DsrError

__all__ = ["reliability_data"]

_CODING_COLUMNS = ("transcript_id", "start", "end", "code_id", "coder")
_TURN_COLUMNS = ("transcript_id", "turn", "start", "end")
_DATA_COLUMNS = (
    "code_id",
    "unit",
    "transcript_id",
    "turn",
    "start",
    "end",
    "weight",
    "coder",
    "value",
)


def _require(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise DsrError(f"{name} must be a pandas DataFrame, not {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DsrError(
            f"{name} has no column '{missing[0]}'",
            key=missing[0],
            hint=f"{name} needs columns {', '.join(columns)}",
        )


def _offsets(frame: pd.DataFrame, name: str) -> tuple[npt.NDArray[np.int64], ...]:
    """Return (start, end) of ``frame`` as int64 arrays; raise if not whole, ordered offsets."""
    start = pd.to_numeric(frame["start"], errors="coerce").to_numpy(dtype=float)
    end = pd.to_numeric(frame["end"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(start) & np.isfinite(end) & (start >= 0) & (end > start))
    bad |= (start != np.round(start)) | (end != np.round(end))
    if bad.any():
        row = frame.index[int(bad.argmax())]
        raise DsrError(
            f"{name} row {_show(row)} has start={_show(frame.loc[row, 'start'])}, "
            f"end={_show(frame.loc[row, 'end'])}",
            hint="start and end are whole character offsets with 0 <= start < end",
        )
    return start.astype(np.int64), end.astype(np.int64)


def _select(
    codings: pd.DataFrame,
    turns: pd.DataFrame,
    coders: Sequence[str] | None,
    transcripts: Sequence[str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Validate and restrict codings and turns to the compared coders and transcripts."""
    _require(codings, _CODING_COLUMNS, "codings")
    _require(turns, _TURN_COLUMNS, "turns")
    known = sorted(codings["coder"].dropna().unique())
    chosen = known if coders is None else list(dict.fromkeys(coders))
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise DsrError(
            f"coder {_show(unknown[0])} has no codings",
            key="coder",
            hint=f"coders with codings: {', '.join(map(str, known)) or 'none'}",
        )
    if len(chosen) < 2:
        raise DsrError(
            f"agreement needs at least two coders, got {', '.join(map(str, chosen)) or 'none'}",
            key="coder",
            hint="pass coders= with two or more coders who coded the same transcripts",
        )
    codings = codings.loc[codings["coder"].isin(chosen).to_numpy()]
    for column in ("transcript_id", "code_id"):
        missing = codings[column].isna().to_numpy()
        if missing.any():
            raise DsrError(
                f"codings row {_show(codings.index[int(missing.argmax())])} has no {column}",
                key=column,
                hint=f"give every coding a {column} or drop it",
            )
    if transcripts is None:
        per_coder = codings.groupby("coder", observed=True)["transcript_id"].agg(set)
        shared = sorted(set.intersection(*per_coder.tolist()))
        if not shared:
            raise DsrError(
                f"no transcript was coded by all of {', '.join(map(str, chosen))}",
                hint="pass transcripts= to choose the transcripts to compare",
            )
    else:
        shared = list(dict.fromkeys(transcripts))
    without_turns = sorted(set(shared) - set(turns["transcript_id"]))
    if without_turns:
        raise DsrError(
            f"transcript {_show(without_turns[0])} has no turns",
            key="transcript_id",
            hint="pass the turns of every compared transcript",
        )
    codings = codings.loc[codings["transcript_id"].isin(shared).to_numpy()]
    turns = turns.loc[turns["transcript_id"].isin(shared).to_numpy()]
    return codings, turns, chosen


def _global_positions(
    codings: pd.DataFrame, turns: pd.DataFrame
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], npt.NDArray[np.int64], pd.Series]:
    """Lay the transcripts end to end; return sorted turns, their global starts/ends, offsets.

    Turns are sorted by (transcript, start); the offset of each transcript is added to its
    turns' and codings' positions so that one sorted axis holds every transcript.
    """
    c_start, c_end = _offsets(codings, "codings")
    t_start, t_end = _offsets(turns, "turns")
    ends = pd.concat(
        [
            pd.Series(t_end, index=turns["transcript_id"].to_numpy()),
            pd.Series(c_end, index=codings["transcript_id"].to_numpy()),
        ]
    )
    length = ends.groupby(level=0).max().sort_index() + 1
    offset = length.cumsum() - length
    turns = turns.assign(start=t_start, end=t_end).sort_values(["transcript_id", "start"])
    t_off = turns["transcript_id"].map(offset).to_numpy(np.int64)
    g_start, g_end = turns["start"].to_numpy() + t_off, turns["end"].to_numpy() + t_off
    if (g_start[1:] < g_end[:-1]).any():
        i = int((g_start[1:] < g_end[:-1]).argmax())
        raise DsrError(
            f"turns {_show(turns['turn'].iloc[i])} and {_show(turns['turn'].iloc[i + 1])} of "
            f"transcript {_show(turns['transcript_id'].iloc[i])} overlap",
            hint="turns must not overlap (end is exclusive)",
        )
    return turns.reset_index(drop=True), g_start, g_end, offset


def _presence(
    lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64], key: npt.NDArray[np.int64], shape
) -> npt.NDArray[np.bool_]:
    """Boolean (K, E): True where element e lies in some interval [lo, hi) of key k."""
    diff = np.zeros((shape[0], shape[1] + 1), dtype=np.int64)
    np.add.at(diff, (key, lo), 1)
    np.add.at(diff, (key, hi), -1)
    return np.cumsum(diff, axis=1)[:, : shape[1]] > 0


def reliability_data(
    codings: pd.DataFrame,
    turns: pd.DataFrame,
    unit: Literal["turn", "char"] = "turn",
    coders: Sequence[str] | None = None,
    *,
    transcripts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Presence/absence of every code for every coder and unit, as a long table.

    Parameters
    ----------
    codings
        One row per coding: transcript_id, start, end, code_id, coder (see the module
        docstring). Not modified.
    turns
        The corpus ``turns`` table: transcript_id, turn, start, end.
    unit
        ``"turn"``: a turn is coded with X if any coding of X overlaps it. ``"char"``: every
        character of the turns' text is a unit, as in NVivo; rows are spans of characters
        with the same coding (``weight`` = their length).
    coders
        Coders to compare; default: every coder in ``codings`` (a ``"consensus"`` coder from
        :func:`~dsr_workbench.analysis.reliability_codings.consensus_events` too: pass
        ``coders=`` to leave it out). At least two.
    transcripts
        Transcripts to compare; default: those that *every* compared coder has coded (the
        reliability sample), so that a transcript only one coder opened does not count as
        the other coder's "absent" everywhere.

    Returns
    -------
    pandas.DataFrame
        One row per (code, unit, coder), sorted by code_id, transcript, position, coder;
        columns ``code_id``, ``unit`` (``"<transcript>/<turn>"`` or
        ``"<transcript>/<start>-<end>"``), ``transcript_id``, ``turn``, ``start``, ``end``
        (offsets of the turn or span in the transcript), ``weight`` (1 for a turn, the number
        of characters for a span), ``coder``, ``value`` (1 applied, 0 not). Codes are those
        that at least one compared coder applied in the compared transcripts; a coding outside
        every turn is ignored. Feed it to
        :func:`~dsr_workbench.analysis.reliability_codings.per_code_agreement` (or to
        :func:`~dsr_workbench.analysis.reliability.agreement` with ``weight="weight"``).

    Raises
    ------
    DsrError
        A column is missing; a coder has no codings; fewer than two coders; no transcript
        coded by all coders; a transcript without turns; offsets not whole numbers with
        0 <= start < end; overlapping turns; an unknown unit.

    Examples
    --------
    >>> turns = pd.DataFrame({"transcript_id": ["I01", "I01"], "turn": [1, 2],
    ...                       "start": [0, 20], "end": [18, 40]})
    >>> codings = pd.DataFrame({"transcript_id": ["I01", "I01"], "start": [2, 25],
    ...                         "end": [10, 30], "code_id": ["TRUST", "TRUST"],
    ...                         "coder": ["R1", "R2"]})
    >>> reliability_data(codings, turns)[["unit", "coder", "value"]]
        unit coder  value
    0  I01/1    R1      1
    1  I01/1    R2      0
    2  I01/2    R1      0
    3  I01/2    R2      1
    >>> spans = reliability_data(codings, turns, unit="char")
    >>> spans.loc[spans["coder"] == "R1", ["unit", "weight", "value"]]
             unit  weight  value
    0     I01/0-2       2      0
    2    I01/2-10       8      1
    4   I01/10-18       8      0
    6   I01/20-25       5      0
    8   I01/25-30       5      0
    10  I01/30-40      10      0
    """
    if unit not in ("turn", "char"):
        raise DsrError(f"unknown unit {_show(unit)}", hint="use unit='turn' or unit='char'")
    codings, turns, chosen = _select(codings, turns, coders, transcripts)
    turns, t_start, t_end, offset = _global_positions(codings, turns)
    c_off = codings["transcript_id"].map(offset).to_numpy(np.int64)
    c_start, c_end = _offsets(codings, "codings")
    c_start, c_end = c_start + c_off, c_end + c_off
    code_codes, codes = pd.factorize(codings["code_id"], sort=True)
    coder_index = pd.Index(chosen)
    coder_codes = coder_index.get_indexer(codings["coder"])
    n_coders = len(chosen)
    key = code_codes.astype(np.int64) * n_coders + coder_codes

    if unit == "turn":
        # Turns overlapped by a coding: the first whose end is after the coding's start up to
        # the last whose start is before the coding's end.
        lo = np.searchsorted(t_end, c_start, side="right")
        hi = np.searchsorted(t_start, c_end, side="left")
        keep = lo < hi
        present = _presence(lo[keep], hi[keep], key[keep], (len(codes) * n_coders, len(turns)))
        elems = pd.DataFrame(
            {
                "transcript_id": turns["transcript_id"],
                "turn": turns["turn"],
                "start": turns["start"],
                "end": turns["end"],
                "weight": 1,
            }
        )
        elems["unit"] = elems["transcript_id"].astype(str) + "/" + elems["turn"].astype(str)
        per_code = [(elems, present[c * n_coders : (c + 1) * n_coders]) for c in range(len(codes))]
    else:
        bounds = np.unique(np.concatenate([t_start, t_end, c_start, c_end]))
        e_start, e_end = bounds[:-1], bounds[1:]
        owner = np.searchsorted(t_start, e_start, side="right") - 1
        inside = (owner >= 0) & (e_start < t_end[np.maximum(owner, 0)])
        lo, hi = np.searchsorted(bounds, c_start), np.searchsorted(bounds, c_end)
        present = _presence(lo, hi, key, (len(codes) * n_coders, len(e_start)))[:, inside]
        e_start, e_end, owner = e_start[inside], e_end[inside], owner[inside]
        per_code = []
        for c in range(len(codes)):
            pattern = present[c * n_coders : (c + 1) * n_coders]
            # A new span starts where the turn changes, characters are not contiguous, or any
            # coder's presence changes.
            new = np.ones(len(e_start), dtype=bool)
            new[1:] = (
                (owner[1:] != owner[:-1])
                | (e_start[1:] != e_end[:-1])
                | (pattern[:, 1:] != pattern[:, :-1]).any(axis=0)
            )
            first = np.flatnonzero(new)
            last = np.append(first[1:], len(e_start)) - 1
            turn_rows = turns.iloc[owner[first]]
            t_off = turn_rows["transcript_id"].map(offset).to_numpy(np.int64)
            elems = pd.DataFrame(
                {
                    "transcript_id": turn_rows["transcript_id"].to_numpy(),
                    "turn": turn_rows["turn"].to_numpy(),
                    "start": e_start[first] - t_off,
                    "end": e_end[last] - t_off,
                }
            )
            elems["weight"] = elems["end"] - elems["start"]
            elems["unit"] = (
                elems["transcript_id"].astype(str)
                + "/"
                + elems["start"].astype(str)
                + "-"
                + elems["end"].astype(str)
            )
            per_code.append((elems, pattern[:, first]))

    frames = []
    for code, (elems, pattern) in zip(codes, per_code, strict=True):
        n_elems = len(elems)
        frame = elems.iloc[np.repeat(np.arange(n_elems), n_coders)].reset_index(drop=True)
        frame["coder"] = np.tile(np.asarray(chosen, dtype=object), n_elems)
        frame["value"] = pattern.T.reshape(-1).astype(np.int64)
        frame.insert(0, "code_id", code)
        frames.append(frame)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _DATA_COLUMNS})
    return pd.concat(frames, ignore_index=True)[list(_DATA_COLUMNS)]
