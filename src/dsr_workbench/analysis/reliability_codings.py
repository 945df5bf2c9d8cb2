"""From codings to reliability data: per-code agreement, disagreements, consensus events.

Two or more coders code the same transcripts; for every code, each coder either applied it to
a unit of text or did not. The unit is chosen by the researcher:

``unit="turn"``
    A speaker turn (segment). A coder applied code X to a turn if any of their codings of X
    overlaps the turn by at least one character.
``unit="char"``
    A character, as NVivo's coding comparison does: every character of every turn's text is a
    unit (speaker labels and the blank lines between turns are not). Characters are never
    enumerated one by one: the table holds *spans*, maximal runs of characters within a turn
    over which no coder's presence/absence changes, each with a ``weight`` (its number of
    characters), found by interval arithmetic on the codings' offsets.

Input tables (columns the functions read; others are ignored):

``codings``: transcript_id, start, end (code-point offsets into the transcript's normalised
text, end exclusive), code_id, coder; ``quote`` is used by :func:`disagreements` if present.
``turns``: transcript_id, turn, start, end; ``text`` is used by :func:`disagreements`.

The reliability table (:func:`reliability_data`) has one row per (code, unit, coder):
code_id, unit, transcript_id, turn, start, end, weight, coder, value (1 the coder applied the
code, 0 not).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from dsr_workbench.analysis.reliability import _agreement, _show, band_alpha, band_kappa
from dsr_workbench.core.errors import DsrError

__all__ = [
    "OVERALL",
    "consensus_events",
    "disagreements",
    "per_code_agreement",
    "reliability_data",
]

#: ``code_id`` of the overall row of :func:`per_code_agreement`.
OVERALL = "(overall)"

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
        :func:`consensus_events` too: pass ``coders=`` to leave it out). At least two.
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
        every turn is ignored. Feed it to :func:`per_code_agreement` (or to
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


def per_code_agreement(
    data: pd.DataFrame,
    code: str = "code_id",
    unit: str = "unit",
    coder: str = "coder",
    value: str = "value",
    weight: str | None = "weight",
) -> pd.DataFrame:
    """Agreement per code on presence/absence data, with an overall row and reading bands.

    Parameters
    ----------
    data
        A table from :func:`reliability_data` (or any long table of 0/1 values per code,
        unit and coder).
    code, unit, coder, value
        Column names.
    weight
        Column saying how many units a row stands for (characters for ``unit="char"``);
        ``None`` if every row is one unit.

    Returns
    -------
    pandas.DataFrame
        One row per code, sorted by code, then the overall row (``code_id`` =
        :data:`OVERALL`: every (code, unit) pair pooled as one unit). Columns:
        ``code_id``; ``alpha`` (Krippendorff's alpha, nominal); ``kappa`` (Cohen's kappa for
        two coders, Fleiss' kappa for more); ``kappa_metric`` (which one); ``percent_agreement``
        (proportion of agreeing pairs, 0-1); ``n_units`` (units, or characters, compared);
        ``n_units_coded_by_any`` (units at least one coder applied the code to);
        ``band_alpha`` (Krippendorff 2004: reliable >= .800, tentative >= .667, else
        unreliable); ``band_kappa`` (Landis & Koch 1977); ``note`` (why a statistic is
        missing, e.g. a code that every coder applied to every unit).

    Raises
    ------
    DsrError
        A column is missing, fewer than two coders, duplicate rows (see
        :func:`~dsr_workbench.analysis.reliability.agreement`).

    Examples
    --------
    >>> data = pd.DataFrame({
    ...     "code_id": ["TRUST"] * 8,
    ...     "unit": ["u1", "u1", "u2", "u2", "u3", "u3", "u4", "u4"],
    ...     "coder": ["R1", "R2"] * 4,
    ...     "value": [1, 1, 0, 0, 1, 0, 0, 0],
    ... })
    >>> per_code_agreement(data, weight=None)[["code_id", "alpha", "kappa", "band_kappa"]]
         code_id     alpha  kappa band_kappa
    0      TRUST  0.533333    0.5   moderate
    1  (overall)  0.533333    0.5   moderate
    """
    columns = [code, unit, coder, value] + ([weight] if weight else [])
    _require(data, columns, "data")
    n_coders = data[coder].nunique()
    kappa_metric = "cohens_kappa" if n_coders == 2 else "fleiss_kappa"
    metrics = ("percent_agreement", kappa_metric, "krippendorff_alpha")
    pooled = data.assign(_unit=data[code].astype(str) + "\x1f" + data[unit].astype(str))
    groups = [(c, g) for c, g in data.groupby(code, sort=True, observed=True)]
    groups.append((OVERALL, pooled))
    rows = []
    for code_id, group in groups:
        units = "_unit" if code_id == OVERALL else unit
        result = _agreement(
            group, units, coder, value, "nominal", metrics, None, 0, None, weight, strict=False
        ).set_index("metric")
        wanted = group[value].to_numpy() == 1
        by_any = group.loc[wanted].drop_duplicates(units)
        n_any = int(by_any[weight].sum()) if weight else len(by_any)
        rows.append(
            {
                "code_id": code_id,
                "alpha": result.loc["krippendorff_alpha", "estimate"],
                "kappa": result.loc[kappa_metric, "estimate"],
                "kappa_metric": kappa_metric,
                "percent_agreement": result.loc["percent_agreement", "estimate"],
                "n_units": int(result.loc["krippendorff_alpha", "n_units"]),
                "n_units_coded_by_any": n_any,
                "note": "; ".join(dict.fromkeys(n for n in result["note"] if n)),
            }
        )
    table = pd.DataFrame(rows)
    table.insert(table.columns.get_loc("note"), "band_alpha", band_alpha(table["alpha"]))
    table.insert(table.columns.get_loc("note"), "band_kappa", band_kappa(table["kappa"]))
    return table


def disagreements(
    data: pd.DataFrame,
    turns: pd.DataFrame,
    codings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Units on which the coders disagree about a code: the list for a consensus meeting.

    Parameters
    ----------
    data
        A table from :func:`reliability_data`.
    turns
        The corpus ``turns`` table (transcript_id, turn, start, end, text).
    codings
        Optional codings (transcript_id, start, end, code_id, quote): the quotes of the codings
        of the code that overlap the unit are listed in ``quote``.

    Returns
    -------
    pandas.DataFrame
        One row per (code, unit) with different values, sorted by code_id, transcript_id,
        start; columns ``code_id``, ``transcript_id``, ``turn``, ``start``, ``end``, ``unit``,
        ``present`` (coders who applied the code, comma-separated), ``absent`` (coders who did
        not), ``text`` (the turn's text, or the span's text for character units), ``quote``
        (the overlapping codings' quotes joined by " | "; ``<NA>`` without codings).

    Raises
    ------
    DsrError
        A column is missing, or a unit's turn is not in ``turns``.

    Examples
    --------
    >>> turns = pd.DataFrame({"transcript_id": ["I01", "I01"], "turn": [1, 2],
    ...                       "start": [0, 20], "end": [18, 40],
    ...                       "text": ["We trust Gamma now", "Audits were painful"]})
    >>> data = pd.DataFrame({"code_id": "TRUST", "unit": ["I01/1"] * 2 + ["I01/2"] * 2,
    ...                      "transcript_id": "I01", "turn": [1, 1, 2, 2],
    ...                      "start": [0, 0, 20, 20], "end": [18, 18, 40, 40], "weight": 1,
    ...                      "coder": ["R1", "R2"] * 2, "value": [1, 0, 0, 0]})
    >>> disagreements(data, turns)[["unit", "present", "absent", "text"]]
        unit present absent                text
    0  I01/1      R1     R2  We trust Gamma now
    """
    _require(data, _DATA_COLUMNS, "data")
    _require(turns, (*_TURN_COLUMNS, "text"), "turns")
    keys = ["code_id", "unit"]
    spread = data.groupby(keys, sort=False)["value"].transform("nunique")
    split = data.loc[spread.to_numpy() > 1]
    columns = ["code_id", "transcript_id", "turn", "start", "end", "unit", "present", "absent"]
    if split.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (*columns, "text", "quote")})

    said = split.assign(_says=np.where(split["value"].to_numpy() == 1, "present", "absent"))
    who = (
        said.groupby([*keys, "_says"], sort=False)["coder"]
        .agg(lambda rows: ", ".join(map(str, rows)))
        .unstack("_says")
        .reindex(columns=["present", "absent"])
    )
    units = split.drop_duplicates(keys).set_index(keys)
    table = units.join(who).reset_index()[columns]
    turn_text = turns.set_index(["transcript_id", "turn"])[["start", "text"]].rename(
        columns={"start": "start_turn"}
    )
    located = table.join(turn_text, on=["transcript_id", "turn"])
    if located["text"].isna().any():
        row = located.loc[located["text"].isna()].iloc[0]
        raise DsrError(
            f"turn {_show(row['turn'])} of transcript {_show(row['transcript_id'])} is not in turns",
            hint="pass the same turns table that made the reliability data",
        )
    first = (located["start"] - located["start_turn"]).to_numpy(np.int64)
    last = (located["end"] - located["start_turn"]).to_numpy(np.int64)
    table["text"] = [t[a:b] for t, a, b in zip(located["text"], first, last, strict=True)]
    table["quote"] = pd.NA
    if codings is not None and "quote" in codings.columns:
        _require(codings, _CODING_COLUMNS, "codings")
        pairs = (
            table[["transcript_id", "code_id", "start", "end"]]
            .reset_index()
            .merge(
                codings[["transcript_id", "code_id", "start", "end", "quote"]],
                on=["transcript_id", "code_id"],
                suffixes=("", "_coding"),
            )
        )
        overlap = (pairs["start_coding"] < pairs["end"]) & (pairs["end_coding"] > pairs["start"])
        quotes = (
            pairs.loc[overlap.to_numpy()]
            .drop_duplicates(["index", "quote"])
            .groupby("index")["quote"]
            .agg(lambda q: " | ".join(map(str, q)))
        )
        table["quote"] = (
            quotes.reindex(table.index).astype(object).where(lambda s: s.notna(), pd.NA)
        )
    table[["present", "absent"]] = table[["present", "absent"]].fillna("")
    return table.sort_values(["code_id", "transcript_id", "start"], ignore_index=True)


def consensus_events(
    decisions: pd.DataFrame,
    coder: str = "consensus",
    decision: str = "decision",
) -> list[dict[str, object]]:
    """Turn decided disagreements into coding events for the consensus coder's log.

    Parameters
    ----------
    decisions
        A table from :func:`disagreements` with a column ``decision``: ``"present"`` (the
        code applies to the unit) or ``"absent"`` (it does not); an empty or missing decision
        means "not decided yet" and the row is skipped. ``start``/``end`` may be narrowed
        to the words that carry the code, with ``text`` set to the transcript's text between
        them. An optional ``memo`` column is carried into the event.
    coder
        Coder name the events are recorded under.
    decision
        Name of the decision column.

    Returns
    -------
    list of dict
        One event per decided row, in row order, with keys ``event`` (``"add"`` for present,
        ``"remove"`` for absent), ``coder``, ``transcript_id``, ``start``, ``end``, ``quote``
        (the text of [start, end)), ``code_id``, ``origin`` (``"consensus"``) and ``memo``
        (the row's memo, or who said what before the decision). These are plain dicts for the
        coding-log module to append; nothing is written here.

    Raises
    ------
    DsrError
        A column is missing, or a decision is neither present nor absent.

    Examples
    --------
    >>> decided = pd.DataFrame({"code_id": ["TRUST"], "transcript_id": ["I01"],
    ...                         "start": [0], "end": [18], "text": ["We trust Gamma now"],
    ...                         "present": ["R1"], "absent": ["R2"], "decision": ["present"]})
    >>> consensus_events(decided)[0]["event"], consensus_events(decided)[0]["memo"]
    ('add', 'consensus: applied by R1; not by R2')
    """
    _require(
        decisions,
        ("code_id", "transcript_id", "start", "end", "text", "present", "absent", decision),
        "decisions",
    )
    events: list[dict[str, object]] = []
    for label, row in decisions.iterrows():
        verdict = row[decision]
        if pd.isna(verdict) or str(verdict).strip() == "":
            continue
        verdict = str(verdict).strip().lower()
        if verdict not in ("present", "absent"):
            raise DsrError(
                f"decision {_show(row[decision])} in row {_show(label)} is neither 'present' nor 'absent'",
                key=decision,
                hint="write 'present' (the code applies), 'absent', or leave it empty",
            )
        memo = row["memo"] if "memo" in decisions.columns and pd.notna(row["memo"]) else None
        if memo is None:
            memo = f"consensus: applied by {row['present'] or 'nobody'}; not by {row['absent']}"
        events.append(
            {
                "event": "add" if verdict == "present" else "remove",
                "coder": coder,
                "transcript_id": row["transcript_id"],
                "start": int(row["start"]),
                "end": int(row["end"]),
                "quote": row["text"],
                "code_id": row["code_id"],
                "origin": "consensus",
                "memo": memo,
            }
        )
    return events
