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
code, 0 not). It is built in :mod:`dsr_workbench.analysis.coding_units` and re-exported here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dsr_workbench.analysis.coding_units import (
    _CODING_COLUMNS,
    _DATA_COLUMNS,
    _TURN_COLUMNS,
    _require,
    reliability_data,
)
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
