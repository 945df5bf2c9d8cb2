"""Queries over codings: quotes, frequencies, code x perspective tables and tests.

Input tables: ``codings`` (:data:`dsr_workbench.coding.codings.CODING_COLUMNS`, or anchored codings of
:func:`dsr_workbench.coding.anchoring.anchor`; rows whose start is missing, i.e. lost anchors, are
placed in no turn) and the corpus ``turns`` (transcript_id, turn, start, end, speaker,
participant_id, organisation, perspective, kind, cycle).

A coding belongs to the turns its span overlaps; :func:`with_turns` gives each coding the first
of them (a span that starts in the speaker label before a turn belongs to that turn).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.coding.query_counts import (
    Factor,
    codes_in,
    distinct_per_group,
    factor,
    first_row_of,
    first_rows,
    int_values,
    lookup_turns,
    never_missing,
    place_spans,
    present,
    ramp,
)
from dsr_workbench.core.errors import DsrError

__all__ = [
    "BY",
    "QUOTE_COLUMNS",
    "TEST_COLUMNS",
    "code_crosstab",
    "code_frequencies",
    "coded_quotes",
    "crosstab_test",
    "with_turns",
]

TURN_FIELDS: list[str] = [
    "turn",
    "speaker",
    "participant_id",
    "organisation",
    "perspective",
    "kind",
    "cycle",
]
"""Columns :func:`with_turns` adds to the codings."""

QUOTE_COLUMNS: list[str] = [
    "code_id",
    "code",
    "coding_id",
    "coder",
    "transcript_id",
    "turn",
    "speaker",
    "participant_id",
    "organisation",
    "perspective",
    "kind",
    "cycle",
    "start",
    "end",
    "prefix",
    "quote",
    "suffix",
    "memo",
]
"""Columns of :func:`coded_quotes`."""

BY: dict[str, str] = {
    "transcript": "transcript_id",
    "organisation": "organisation",
    "perspective": "perspective",
    "kind": "kind",
    "cycle": "cycle",
    "participant": "participant_id",
    "coder": "coder",
}
"""Groupings of :func:`code_frequencies` (name -> column)."""

TEST_COLUMNS: list[str] = [
    "test",
    "statistic",
    "dof",
    "p_value",
    "n",
    "min_expected",
    "share_expected_ge5",
    "assumptions_met",
    "note",
]
"""Columns of :func:`crosstab_test`."""


def _need(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DsrError(
            f"{name} lack column(s) {', '.join(missing)}",
            hint=f"pass the {name} table of the corpus/coding modules",
        )


def _turn_span(
    codings: pd.DataFrame, turns: pd.DataFrame, *, last: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in ``turns`` of the first and last turn each coding overlaps (-1: none).

    With ``last=False`` the second array is only the first one again (not searched).
    """
    _need(turns, ("transcript_id", "start", "end"), "turns")
    return place_spans(codings, turns, last=last)


def with_turns(codings: pd.DataFrame, turns: pd.DataFrame) -> pd.DataFrame:
    """Add the coding's turn and speaker attributes (:data:`TURN_FIELDS`) to each coding.

    Examples
    --------
    >>> turns = pd.DataFrame({"transcript_id": "I01", "turn": [1, 2], "start": [5, 30],
    ...                       "end": [22, 50], "speaker": ["Kim", "Ana"],
    ...                       "participant_id": ["R1", "P01"], "organisation": [None, "ALPHA"],
    ...                       "perspective": ["researcher", "client"], "kind": "interview",
    ...                       "cycle": 1})
    >>> codings = pd.DataFrame({"transcript_id": "I01", "start": [35, 24, 99], "end": [40, 33, 120],
    ...                         "code_id": "TRUST"})
    >>> with_turns(codings, turns)[["start", "turn", "speaker", "organisation"]]
       start  turn speaker organisation
    0     35     2     Ana        ALPHA
    1     24     2     Ana        ALPHA
    2     99  <NA>     NaN          NaN
    """
    return _attach(codings, turns, TURN_FIELDS)


def _slim(codings: pd.DataFrame, *extra: str) -> pd.DataFrame:
    """The columns of ``codings`` that frequencies and crosstabs read."""
    keep = ("code_id", "transcript_id", "start", "end", "coder", *extra)
    return codings[[c for c in dict.fromkeys(keep) if c in codings.columns]]


def _attach(codings: pd.DataFrame, turns: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """:func:`with_turns` limited to ``fields`` (and to what ``codings`` holds)."""
    first, _ = _turn_span(codings, turns, last=False)
    out = codings.copy()
    for col in fields:
        if col in turns.columns:
            out[col] = _turn_column(turns, col, first, out.index)
    return out


def _turn_column(turns: pd.DataFrame, col: str, rows: np.ndarray, index: pd.Index) -> Any:
    """The turns' ``col`` at ``rows`` (``-1``: missing), as :func:`with_turns` gives it."""
    hit = rows >= 0
    if not len(turns):
        values: Any = [None] * len(rows)
    elif len(rows) < len(turns):  # take first, convert the few values
        values = turns[col].iloc[np.maximum(rows, 0)].to_numpy()
    else:
        values = turns[col].to_numpy()[np.maximum(rows, 0)]
    series = pd.Series(values, index=index)
    if col in ("turn", "cycle"):
        return pd.array(series.where(hit), dtype="Int64")
    return series.where(hit)


def _turn_rows(codings: pd.DataFrame, turns: pd.DataFrame) -> np.ndarray:
    """Row in ``turns`` of each coding's turn (``-1``: none).

    A coding's own ``turn`` (anchored codings carry one) is looked up by (transcript, turn);
    a coding without one is placed by its span (:func:`with_turns`). A coding whose start or
    end is missing (a lost anchor) is on no turn.
    """
    _need(turns, ("transcript_id", "start", "end"), "turns")
    if "turn" not in codings.columns or "turn" not in turns.columns:
        return _turn_span(codings, turns, last=False)[0]
    try:
        own, missing = int_values(codings["turn"])
        t_turn, t_missing = int_values(turns["turn"])
    except (TypeError, ValueError):  # turn numbers that are not integers: place by span
        return _turn_span(codings, turns, last=False)[0]
    if t_missing is not None:
        return _turn_span(codings, turns, last=False)[0]
    tix, cix = codes_in(codings["transcript_id"], turns["transcript_id"])
    if missing is not None:
        cix = np.where(missing, -1, cix)
    rows = lookup_turns(cix, own, tix, t_turn)
    lost = None
    for col in ("start", "end"):
        if not never_missing(codings[col]):
            gone = pd.isna(codings[col]).to_numpy()
            lost = gone if lost is None else lost | gone
    if lost is not None:
        rows[lost] = -1
        if missing is not None:
            missing = missing & ~lost
    if missing is not None and missing.any():  # no turn of its own: place by span
        redo = np.flatnonzero(missing)
        rows[redo] = _turn_span(codings.iloc[redo], turns, last=False)[0]
    return rows


def coded_quotes(
    codings: pd.DataFrame,
    turns: pd.DataFrame,
    codebook: Codebook,
    code: str,
    *,
    subtree: bool = True,
) -> pd.DataFrame:
    """The quotes coded with a code (and, by default, its sub-codes), with who said them.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`QUOTE_COLUMNS` (``code`` is the code's name; ``prefix``/``suffix`` the
        context either side), sorted by transcript, start and code.

    Raises
    ------
    InputError
        ``code`` is not in the codebook.

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook('''codes:
    ...   - {id: REL, name: Relational}
    ...   - {id: TRUST, name: Trust, parent: REL}''')
    >>> turns = pd.DataFrame({"transcript_id": "I01", "turn": [1], "start": [5], "end": [25],
    ...                       "speaker": "Ana", "participant_id": "P01", "organisation": "ALPHA",
    ...                       "perspective": "client", "kind": "interview", "cycle": 1})
    >>> codings = pd.DataFrame({"coding_id": ["c1"], "transcript_id": "I01", "start": [8],
    ...     "end": [13], "quote": ["trust"], "prefix": ["We "], "suffix": [" them"],
    ...     "code_id": "TRUST", "coder": "R1", "memo": None})
    >>> coded_quotes(codings, turns, book, "REL")[["code", "speaker", "perspective", "quote"]]
        code speaker perspective  quote
    0  Trust     Ana      client  trust
    """
    if subtree:
        codes = codebook.subtree(code)
    else:
        codebook.require(code)
        codes = [code]
    names = codebook.codes.set_index("code_id")["name"]
    picked = codings.loc[codings["code_id"].isin(codes).to_numpy()]
    table = with_turns(picked, turns)
    table["code"] = table["code_id"].map(names)
    table = table.reindex(columns=QUOTE_COLUMNS)
    rank = table["code_id"].map({c: i for i, c in enumerate(codes)})
    table = table.assign(_r=rank).sort_values(["transcript_id", "start", "_r"], kind="stable")
    return table.drop(columns="_r").reset_index(drop=True)


def _lineage(codes: Factor, codebook: Codebook) -> tuple[Factor, np.ndarray, np.ndarray]:
    """Roll codes up: the rolled codes, and per code the CSR (start, flat) of its lineage."""
    known = set(codebook.codes["code_id"])
    lineage = [[c, *codebook.ancestors(c)] if c in known else [c] for c in codes.uniques.tolist()]
    labels = sorted({c for line in lineage for c in line if not pd.isna(c)})
    labels += [c for c in codes.uniques.tolist() if pd.isna(c)][:1]
    rolled = Factor(np.zeros(0, dtype=np.int64), pd.Index(labels, dtype=codes.uniques.dtype))
    pos = {c: i for i, c in enumerate(labels) if not pd.isna(c)}
    flat = np.array([pos.get(c, rolled.na) for line in lineage for c in line], dtype=np.int64)
    lens = np.array([len(line) for line in lineage], dtype=np.int64)
    return rolled, np.concatenate([[0], np.cumsum(lens)]), flat


def code_frequencies(
    codings: pd.DataFrame,
    turns: pd.DataFrame,
    *,
    by: str | None = "transcript",
    codebook: Codebook | None = None,
    rollup: bool = False,
) -> pd.DataFrame:
    """How often each code was applied, overall or by transcript, organisation, perspective, ...

    Parameters
    ----------
    codings, turns
        See the module docstring. Codings that carry a ``turn`` (anchored codings) are counted
        on that turn; the others on the turn their span overlaps.
    by
        ``None`` (overall) or one of :data:`BY` (transcript, organisation, perspective, kind,
        cycle, participant, coder).
    codebook
        With ``rollup``, needed to count a coding for its code and every ancestor.
    rollup
        Count codings of sub-codes for their parents too (themes, dimensions).

    Returns
    -------
    pandas.DataFrame
        code_id, the ``by`` column (e.g. ``transcript_id``), segments (codings), transcripts,
        participants (distinct speakers of the coded turns); sorted by code and group. A
        group value the turns give is missing (NaN) for codings on no turn.

    Examples
    --------
    >>> turns = pd.DataFrame({"transcript_id": ["I01", "I01", "I02"], "turn": [1, 2, 1],
    ...     "start": [0, 20, 0], "end": [10, 40, 30], "participant_id": ["P01", "P02", "P03"],
    ...     "perspective": ["client", "client", "cmo"]})
    >>> codings = pd.DataFrame({"transcript_id": ["I01", "I01", "I02"], "start": [2, 25, 3],
    ...                         "end": [8, 30, 9], "code_id": "TRUST", "coder": "R1"})
    >>> code_frequencies(codings, turns, by="perspective")
      code_id perspective  segments  transcripts  participants
    0   TRUST      client         2            1             2
    1   TRUST         cmo         1            1             1
    """
    if by is not None and by not in BY:
        raise DsrError(f"cannot group by {by!r}", hint=f"use one of {', '.join(BY)} or None")
    col = BY[by] if by is not None else None
    rows = _turn_rows(codings, turns)
    if rollup and codebook is None:
        raise DsrError("rollup=True needs the codebook", hint="pass codebook=")
    own = _slim(codings).columns
    if col is not None and col not in turns.columns and col not in own:
        raise DsrError(f"turns lack column {col!r}", hint="pass the corpus turns table")
    _need(turns, ("participant_id",), "turns")
    code = factor(codings["code_id"])
    where = np.arange(len(codings), dtype=np.int64)  # the coding each counted row is
    c = code.codes
    base = code
    if rollup:
        assert codebook is not None
        rolled, start, flat = _lineage(code, codebook)
        n = np.diff(start)[c]
        where = np.repeat(where, n)
        c = flat[np.repeat(start[c], n) + ramp(n)]
        code = rolled
    on_turns = col is not None and col in turns.columns
    if col is None:
        group = Factor(np.zeros(len(turns), dtype=np.int64), pd.Index([0]))
        g = np.zeros(len(where), dtype=np.int64)
    elif on_turns:
        group = factor(turns[col])
        g = group.at(rows)[where]
    else:
        group = factor(codings[col])
        g = group.codes[where]
    gid = c * group.size + g
    n_groups = code.size * group.size
    segments = np.bincount(gid, minlength=n_groups)
    nonzero = np.flatnonzero(segments)
    if col == "transcript_id" and on_turns:  # one transcript per group, none on no turn
        transcripts = (nonzero % group.size != group.na).astype(np.int64)
    else:
        t = factor(codings["transcript_id"])
        transcripts = distinct_per_group(gid, t.codes[where], n_groups, t.size, t.na)[nonzero]
    p = factor(turns["participant_id"])
    participants = distinct_per_group(gid, p.at(rows)[where], n_groups, p.size, p.na)[nonzero]
    # the key columns as groupby gives them (dtype included): from one row per distinct key
    ci = nonzero // group.size
    rep = first_row_of(base.codes, None)
    keys = codings[["code_id"]].iloc[rep[rep >= 0]].reset_index(drop=True)
    if rollup:
        assert codebook is not None
        keys = _explode_ancestors(keys, codebook)
    out: dict[str, Any] = {"code_id": _level(keys["code_id"]).take(ci)}
    if col is not None:
        gi = nonzero % group.size
        used = present(gi, group.size)
        first = first_row_of(group.codes, used)
        if on_turns:
            if (rows < 0).any():  # as with_turns: a coding on no turn reads row 0, masked
                first[used == group.na] = -1
            value = _turn_column(turns, col, first, pd.RangeIndex(len(used)))
        else:
            value = codings[col].iloc[first].reset_index(drop=True)
        out[col] = _level(pd.Series(value)).take(np.searchsorted(used, gi))
    out |= {"segments": segments[nonzero], "transcripts": transcripts}
    out["participants"] = participants
    return pd.DataFrame(out)


def _level(key: pd.Series, *, dropna: bool = False) -> pd.Index:
    """The distinct values of a key column, sorted and typed as ``groupby`` gives them."""
    frame = pd.DataFrame({"k": key, "n": 0})
    return frame.groupby("k", sort=True, dropna=dropna)["n"].size().index


def _explode_ancestors(codings: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    lineage = {c: [c, *codebook.ancestors(c)] for c in codebook.codes["code_id"]}
    known = codings.loc[codings["code_id"].isin(lineage).to_numpy()]
    rolled = known.assign(code_id=known["code_id"].map(lineage)).explode("code_id")
    return pd.concat([rolled, codings.loc[~codings["code_id"].isin(lineage).to_numpy()]])


def code_crosstab(
    codings: pd.DataFrame,
    turns: pd.DataFrame,
    *,
    codes: Sequence[str] | None = None,
    perspective: str = "perspective",
    unit: Literal["segment", "turn", "participant"] = "segment",
) -> pd.DataFrame:
    """Code x perspective contingency table (counts).

    Parameters
    ----------
    codes
        The codes (rows) to include, in this order; default every code used.
    perspective
        The turns column for the columns of the table (``perspective``, ``organisation``,
        ``kind``, ``cycle``...); a column of the codings (e.g. ``coder``) if the turns lack it.
    unit
        What is counted: codings (``segment``), distinct coded turns, or distinct participants.
        Codings that carry a ``turn`` (anchored codings) are counted on that turn; the others
        on the turn their span overlaps.

    Returns
    -------
    pandas.DataFrame
        Index ``code_id``, one column per value of ``perspective``; integer counts.

    Examples
    --------
    >>> turns = pd.DataFrame({"transcript_id": "I01", "turn": [1, 2], "start": [0, 20],
    ...     "end": [10, 40], "participant_id": ["P01", "P07"], "perspective": ["client", "cmo"]})
    >>> codings = pd.DataFrame({"transcript_id": "I01", "start": [1, 2, 25], "end": [5, 6, 30],
    ...                         "code_id": ["TRUST", "PRICE", "TRUST"], "coder": "R1"})
    >>> code_crosstab(codings, turns)
    perspective  client  cmo
    code_id
    PRICE             1    0
    TRUST             1    1
    """
    rows = _turn_rows(codings, turns)
    on_turns = perspective in turns.columns
    if not on_turns and perspective not in _slim(codings, perspective).columns:
        raise DsrError(f"turns lack column {perspective!r}", hint="pass the corpus turns table")
    if unit not in ("segment", "turn", "participant"):
        raise DsrError(f"unit {unit!r} is not segment, turn or participant")
    side = factor(turns[perspective]) if on_turns else factor(codings[perspective])
    v = side.at(rows) if on_turns else side.codes
    code = factor(codings["code_id"])
    c = code.codes
    if unit != "segment":
        keep = np.flatnonzero(v != side.na)
        c, v = c[keep], v[keep]
        if unit == "turn":
            t = factor(codings["transcript_id"])
            turn_no = factor(turns["turn"]) if "turn" in turns.columns else None
            if turn_no is None:
                raise DsrError("turns lack column 'turn'", hint="pass the corpus turns table")
            key = [(t.codes[keep], t.size), (turn_no.at(rows[keep]), turn_no.size)]
        else:
            _need(turns, ("participant_id",), "turns")
            who = factor(turns["participant_id"])
            key = [(who.at(rows[keep]), who.size)]
        first = first_rows((c, code.size), *key)
        c, v = c[first], v[first]
    counts = np.bincount(c * side.size + v, minlength=code.size * side.size)
    counts = counts.reshape(code.size, side.size)
    counts[code.na, :] = 0  # pd.crosstab drops the pairs with a missing code or value
    counts[:, side.na] = 0
    ci = np.flatnonzero(counts.any(axis=1))
    vi = np.flatnonzero(counts.any(axis=0))
    # the table's labels as pd.crosstab gives them: from one row per code and per value, the
    # values typed as with_turns types the whole column
    if on_turns:
        probe = _turn_column(
            turns, perspective, first_row_of(side.codes, vi), pd.RangeIndex(len(vi))
        )
    else:
        probe = codings[perspective].iloc[first_row_of(side.codes, vi)]
    names = codings["code_id"].iloc[first_row_of(code.codes, ci)]
    if not len(ci):  # nothing to count: the empty table pd.crosstab gives, typed alike
        if on_turns:
            whole = pd.Series(_turn_column(turns, perspective, rows, codings.index), codings.index)
        else:
            whole = codings[perspective]
        known = whole.notna().to_numpy()
        shape = pd.crosstab(codings["code_id"][known], whole[known].rename(perspective))
        index, columns = shape.index, shape.columns
    else:
        index = _level(names, dropna=True).rename("code_id")
        columns = _level(pd.Series(probe), dropna=True).rename(perspective)
    at = np.ix_(code.uniques.get_indexer(index), side.uniques.get_indexer(columns))
    cross = pd.DataFrame(counts[at], index=index, columns=columns)
    if codes is not None:
        cross = cross.reindex(index=list(codes), fill_value=0)
    return cross.astype("int64")


def crosstab_test(
    table: pd.DataFrame | np.ndarray, *, n_resamples: int = 9999, seed: int = 0
) -> pd.DataFrame:
    """Test a contingency table for independence, choosing the test its counts allow.

    Rows and columns with no counts are dropped first. Cochran's (1954) rule decides: if no
    expected count is below 1 and at least 80 % are 5 or more, Pearson's chi-square
    (``scipy.stats.chi2_contingency``, with Yates' correction for 2 x 2) is reported.
    Otherwise a 2 x 2 table gets Fisher's exact test (``scipy.stats.fisher_exact``) and a larger
    one the Fisher-Freeman-Halton exact test estimated by Monte Carlo (``fisher_exact`` with
    ``MonteCarloMethod``, ``n_resamples`` tables, seeded), and ``note`` says why. Codings of one
    participant are not independent observations: read the p-value as descriptive.

    Returns
    -------
    pandas.DataFrame
        One row, columns :data:`TEST_COLUMNS`: test, statistic (chi-square, or the odds ratio
        for Fisher 2 x 2, or the table's probability for Monte Carlo), dof, p_value, n,
        min_expected, share_expected_ge5, assumptions_met (Cochran's rule), note.

    Examples
    --------
    Fisher's (1935) tea-tasting experiment (Agresti 2007, Table 2.8):

    >>> crosstab_test(np.array([[3, 1], [1, 3]]))[["test", "p_value", "assumptions_met"]]
               test  p_value  assumptions_met
    0  Fisher exact   0.4857            False
    """
    cross = np.asarray(table, dtype=np.int64)
    if cross.ndim != 2 or (cross < 0).any():
        raise DsrError("a contingency table is a 2-D table of non-negative counts")
    cross = cross[cross.sum(axis=1) > 0][:, cross.sum(axis=0) > 0]
    n = int(cross.sum())
    if cross.shape[0] < 2 or cross.shape[1] < 2:
        return pd.DataFrame(
            [
                [
                    "none",
                    np.nan,
                    np.nan,
                    np.nan,
                    n,
                    np.nan,
                    np.nan,
                    False,
                    "needs at least two rows and two columns with counts",
                ]
            ],
            columns=TEST_COLUMNS,
        )
    expected = stats.contingency.expected_freq(cross)
    share = float((expected >= 5).mean())
    low = float(expected.min())
    met = low >= 1 and share >= 0.8
    if met:
        res = stats.chi2_contingency(cross)
        name = "chi-square (Yates)" if cross.shape == (2, 2) else "chi-square"
        row = [name, float(res.statistic), int(res.dof), float(res.pvalue)]
        note = "Cochran's rule holds (no expected count < 1, >= 80 % of them >= 5)"
    elif cross.shape == (2, 2):
        res = stats.fisher_exact(cross)
        row = ["Fisher exact", float(res.statistic), np.nan, float(res.pvalue)]
        note = (
            f"chi-square not used: {1 - share:.0%} of expected counts < 5 "
            f"(min {low:.2f}); Fisher's exact test instead"
        )
    else:
        method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
        res = stats.fisher_exact(cross, method=method)
        row = [
            "Fisher-Freeman-Halton (Monte Carlo)",
            float(res.statistic),
            np.nan,
            float(res.pvalue),
        ]
        note = (
            f"chi-square not used: {1 - share:.0%} of expected counts < 5 "
            f"(min {low:.2f}); exact test estimated from {n_resamples} random tables"
        )
    row[3] = round(float(row[3]), 4)  # type: ignore[arg-type]
    return pd.DataFrame([[*row, n, low, share, met, note]], columns=TEST_COLUMNS)
