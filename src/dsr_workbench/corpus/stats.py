"""Corpus overview: turns and words by transcript, speaker, organisation, perspective, cycle.

Pure functions over the ``turns`` table of :mod:`dsr_workbench.corpus.read`.
"""

from __future__ import annotations

import pandas as pd

from dsr_workbench.core.errors import DsrError

__all__ = ["OVERVIEW_COLUMNS", "corpus_overview", "filter_turns", "speaking_shares"]

OVERVIEW_COLUMNS: list[str] = [
    "n_transcripts",
    "n_turns",
    "n_words",
    "mean_words_per_turn",
    "share_of_words",
]
"""Columns of :func:`corpus_overview` after the grouping column(s)."""


def filter_turns(
    turns: pd.DataFrame,
    *,
    cycle: int | None = None,
    kind: str | None = None,
    perspective: str | None = None,
) -> pd.DataFrame:
    """Return the turns of one cycle, kind and/or perspective (``None`` keeps all).

    Examples
    --------
    >>> t = pd.DataFrame({"cycle": [1, 2], "kind": ["interview"] * 2,
    ...                   "perspective": ["client", "cmo"]})
    >>> len(filter_turns(t, cycle=2)), len(filter_turns(t, perspective="client"))
    (1, 1)
    """
    mask = pd.Series(True, index=turns.index)
    for column, value in (("cycle", cycle), ("kind", kind), ("perspective", perspective)):
        if value is not None:
            if column not in turns:
                raise DsrError(
                    f"turns have no column '{column}'",
                    key=column,
                    hint="pass the turns table from load_corpus",
                )
            mask &= turns[column] == value
    return turns.loc[mask]


def corpus_overview(turns: pd.DataFrame, by: str | list[str] = "transcript_id") -> pd.DataFrame:
    """Count transcripts, turns and words per group.

    Parameters
    ----------
    turns
        The ``turns`` table (needs ``transcript_id``, ``n_words`` and the ``by`` columns).
    by
        Column(s) to group by, e.g. ``"speaker"``, ``"organisation"``, ``"perspective"``,
        ``["cycle", "kind"]``.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then :data:`OVERVIEW_COLUMNS`; ``share_of_words`` sums to 1.
        Researchers (no organisation) appear as ``"(research team)"`` when grouping by
        organisation. Sorted by the ``by`` columns.

    Examples
    --------
    >>> t = pd.DataFrame({"transcript_id": ["I1", "I1", "I2"], "perspective": ["client", "cmo",
    ...                   "client"], "n_words": [10, 30, 60]})
    >>> corpus_overview(t, by="perspective")
      perspective  n_transcripts  n_turns  n_words  mean_words_per_turn  share_of_words
    0      client              2        2       70                 35.0             0.7
    1         cmo              1        1       30                 30.0             0.3
    """
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in [*keys, "transcript_id", "n_words"] if k not in turns]
    if missing:
        raise DsrError(
            f"turns have no column(s) {', '.join(missing)}",
            key=missing[0],
            hint="group by a column of the turns table",
        )
    data = turns.copy()
    if "organisation" in keys:
        data["organisation"] = (
            data["organisation"]
            .astype("object")
            .where(data["organisation"].notna(), "(research team)")
        )
    grouped = data.groupby(keys, sort=True, dropna=False)
    out = grouped.agg(
        n_transcripts=("transcript_id", "nunique"),
        n_turns=("n_words", "size"),
        n_words=("n_words", "sum"),
    ).reset_index()
    out["mean_words_per_turn"] = (out.n_words / out.n_turns).round(1)
    total = out.n_words.sum()
    out["share_of_words"] = (out.n_words / total).round(4) if total else 0.0
    return out[[*keys, *OVERVIEW_COLUMNS]]


def speaking_shares(turns: pd.DataFrame) -> pd.DataFrame:
    """Share of each transcript's words spoken by each perspective (rows sum to 1).

    Useful to see whether interviewers dominate or one side dominates a focus group.

    Examples
    --------
    >>> t = pd.DataFrame({"transcript_id": ["F", "F", "F"], "perspective": ["client", "cmo",
    ...                   "researcher"], "n_words": [50, 30, 20]})
    >>> speaking_shares(t)
    perspective  client  cmo  researcher
    transcript_id
    F               0.5  0.3         0.2
    """
    table = turns.pivot_table(
        index="transcript_id", columns="perspective", values="n_words", aggfunc="sum", fill_value=0
    )
    return table.div(table.sum(axis=1), axis=0).round(4)
