"""Anchored codings: the one way to read codings for analysis.

A coding stores the offsets it was made at. When a transcript is edited afterwards (a paragraph
prepended, a typo fixed), those offsets point at other words, another turn, another speaker.
Everything that analyses codings (the coding-analysis and reliability notebooks, ``dsr quotes``,
``dsr codes stats``, ``dsr agreement --codings``, the REFI-QDA export, the coding view) reads
them through :func:`load_anchored_codings` (or :func:`anchored_codings` for tables in hand),
which

1. re-anchors every current coding to today's text (:func:`dsr_workbench.coding.anchoring.anchor`:
   status ``ok``, ``moved``, ``fuzzy`` or ``lost``), so start, end and quote are today's;
2. places each coding on today's turns (``turn``: the first turn its span overlaps, by the
   current turn offsets; ``<NA>`` for a lost coding, which is never placed on a turn);
3. keeps the lost ones apart: :attr:`AnchoredCodings.codings` (what statistics, quotes and
   agreement use) holds only placed codings; :attr:`AnchoredCodings.unplaced` lists the others
   with the reason, and :meth:`AnchoredCodings.note` says in one line how many there are.

A report that uses codings saves the unplaced list as ``tables/unplaced_codings.csv``
(:data:`UNPLACED_TABLE`; empty when every coding was placed), so the count is part of each
version and ``dsr build`` can name the reports that left codings out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dsr_workbench.coding.anchoring import ANCHOR_COLUMNS, THRESHOLD, anchor
from dsr_workbench.coding.codings import load_codings
from dsr_workbench.coding.queries import with_turns

if TYPE_CHECKING:
    from dsr_workbench.corpus.study import Study

__all__ = [
    "ANCHORED_COLUMNS",
    "UNPLACED_COLUMNS",
    "UNPLACED_TABLE",
    "AnchoredCodings",
    "anchored_codings",
    "load_anchored_codings",
]

ANCHORED_COLUMNS: list[str] = [*ANCHOR_COLUMNS, "turn"]
"""Columns of :attr:`AnchoredCodings.table` and :attr:`AnchoredCodings.codings`."""

UNPLACED_COLUMNS: list[str] = [
    "coding_id",
    "coder",
    "transcript_id",
    "code_id",
    "old_start",
    "old_end",
    "old_quote",
    "reason",
]
"""Columns of :attr:`AnchoredCodings.unplaced`."""

UNPLACED_TABLE = "unplaced_codings"
"""The name under which a report saves its unplaced codings (``tables/unplaced_codings.csv``)."""


@dataclass(frozen=True)
class AnchoredCodings:
    """Current codings anchored to today's transcripts and placed on today's turns.

    Attributes
    ----------
    table
        Every current coding, columns :data:`ANCHORED_COLUMNS` (and any extra columns of the
        codings given): start, end, quote as in today's text (``<NA>`` when lost), ``status``
        (ok | moved | fuzzy | lost), ``score``, ``old_start``/``old_end``/``old_quote`` (as
        coded), ``turn`` (``Int64``; the first current turn the span overlaps).
    corpus_ids
        The transcript ids of today's corpus (a coding of any other transcript is unplaced).
    """

    table: pd.DataFrame
    corpus_ids: frozenset[str]

    @property
    def _placed(self) -> np.ndarray:
        """Boolean mask of :attr:`table`: the coding has today's offsets (not ``lost``)."""
        return (self.table["status"] != "lost").to_numpy(dtype=bool)

    @property
    def codings(self) -> pd.DataFrame:
        """The placed codings (status ok, moved or fuzzy): what analyses use.

        Every quote equals today's text at its start:end, and ``turn`` is today's turn.
        """
        return self.table.loc[self._placed].reset_index(drop=True)

    @property
    def unplaced(self) -> pd.DataFrame:
        """The codings that could not be placed (columns :data:`UNPLACED_COLUMNS`).

        ``old_start``, ``old_end``, ``old_quote`` are where and what they were when coded;
        ``reason`` says why they cannot be placed now.
        """
        lost = self.table.loc[~self._placed]
        reasons = [
            f"transcript {tid!r} is not in the corpus"
            if tid not in self.corpus_ids
            else (
                f"{tid} changed since it was coded and the quote is no longer in it"
                if isinstance(quote, str)
                else "the coding has no quote or offsets"
            )
            for tid, quote in zip(lost["transcript_id"], lost["old_quote"], strict=True)
        ]
        out = lost.reindex(columns=UNPLACED_COLUMNS[:-1]).reset_index(drop=True)
        out["reason"] = pd.array(reasons, dtype="str")
        return out

    @property
    def counts(self) -> dict[str, int]:
        """How many codings have each anchoring status (ok, moved, fuzzy, lost)."""
        status = self.table["status"].value_counts()
        return {s: int(status.get(s, 0)) for s in ("ok", "moved", "fuzzy", "lost")}

    @property
    def n_unplaced(self) -> int:
        """The number of codings that could not be placed."""
        return int((~self._placed).sum())

    def only(
        self,
        *,
        coders: Iterable[str] | None = None,
        transcripts: Iterable[str] | None = None,
        codes: Iterable[str] | None = None,
    ) -> AnchoredCodings:
        """Restrict to some coders, transcripts or codes (``None``: all).

        A coding of a transcript that is no longer in the corpus is kept by a transcript
        restriction (it cannot be told apart by its transcript, so it stays listed).

        Examples
        --------
        >>> a = anchored_codings(pd.DataFrame({"coding_id": ["a", "b"], "transcript_id": "T1",
        ...     "start": [0, 3], "end": [2, 5], "quote": ["We", "do"], "code_id": "X",
        ...     "coder": ["R1", "R2"], "sha256": "h"}),
        ...     pd.DataFrame({"transcript_id": ["T1"], "text": ["We do"], "sha256": ["h"]}))
        >>> a.only(coders=["R2"]).codings["coding_id"].tolist()
        ['b']
        """
        keep = np.ones(len(self.table), dtype=bool)
        if coders is not None:
            keep &= self.table["coder"].isin(list(coders)).to_numpy(dtype=bool)
        if transcripts is not None:
            tid = self.table["transcript_id"]
            keep &= (tid.isin(list(transcripts)) | ~tid.isin(self.corpus_ids)).to_numpy(dtype=bool)
        if codes is not None:
            keep &= self.table["code_id"].isin(list(codes)).to_numpy(dtype=bool)
        return AnchoredCodings(self.table.loc[keep].reset_index(drop=True), self.corpus_ids)

    def note(self) -> str:
        """One line: how many codings were placed, and how many could not be, and why.

        Examples
        --------
        >>> t = pd.DataFrame({"transcript_id": ["T1"], "text": ["We do not"], "sha256": ["h2"]})
        >>> c = pd.DataFrame({"coding_id": ["a", "b"], "transcript_id": "T1", "start": [0, 3],
        ...     "end": [2, 7], "quote": ["We", "trust"], "code_id": "X", "coder": "R1",
        ...     "sha256": "h1"})
        >>> print(anchored_codings(c, t).note())
        1 coding could not be placed since T1 changed (left out of every table; listed in
        unplaced_codings); run `dsr codings check`
        """
        n = self.n_unplaced
        counts = self.counts
        if not n:
            moved = counts["moved"] + counts["fuzzy"]
            extra = f" ({moved} re-anchored after transcript edits)" if moved else ""
            return f"All {len(self.table)} codings are placed on the current transcripts{extra}."
        return (
            f"{n} coding{'s' * (n != 1)} could not be placed since {self.why()} "
            f"(left out of every table; listed in {UNPLACED_TABLE}); run `dsr codings check`"
        )

    def left_out(self, command: str) -> str:
        """One line for ``command``'s stderr: how many codings it left out, and why ("" if none).

        Examples
        --------
        >>> t = pd.DataFrame({"transcript_id": ["T1"], "text": ["We do"], "sha256": ["h2"]})
        >>> c = pd.DataFrame({"coding_id": ["a"], "transcript_id": "T1", "start": 0, "end": 2,
        ...     "quote": "Us", "code_id": "X", "coder": "R1", "sha256": "h1"})
        >>> anchored_codings(c, t).left_out("dsr quotes")
        'dsr quotes: left out 1 coding that could not be placed since T1 changed; run `dsr codings check`'
        """
        n = self.n_unplaced
        if not n:
            return ""
        return (
            f"{command}: left out {n} coding{'s' * (n != 1)} that could not be placed since "
            f"{self.why()}; run `dsr codings check`"
        )

    def why(self) -> str:
        """Which transcripts changed (or are gone) so that codings could not be placed.

        Examples
        --------
        >>> t = pd.DataFrame({"transcript_id": ["T1"], "text": ["We do"], "sha256": ["h2"]})
        >>> c = pd.DataFrame({"coding_id": ["a", "b"], "transcript_id": ["T1", "T9"],
        ...     "start": 0, "end": 2, "quote": "Us", "code_id": "X", "coder": "R1",
        ...     "sha256": "h1"})
        >>> anchored_codings(c, t).why()
        'T1 changed and T9 is not in the corpus'
        """
        lost = self.table.loc[~self._placed, "transcript_id"]
        changed = sorted(set(lost[lost.isin(self.corpus_ids)].astype(str)))
        gone = sorted(set(lost[~lost.isin(self.corpus_ids)].astype(str)))
        why = []
        if changed:
            why.append(f"{', '.join(changed)} changed")
        if gone:
            why.append(f"{', '.join(gone)} {'is' if len(gone) == 1 else 'are'} not in the corpus")
        return " and ".join(why) or "nothing changed"

    def __repr__(self) -> str:
        return f"<AnchoredCodings: {self.note()}>"

    def _repr_html_(self) -> str:
        if not self.n_unplaced:
            return f"<p>{escape(self.note())}</p>"
        rows = self.unplaced.head(50)
        more = (
            f"<p>… and {self.n_unplaced - len(rows)} more (see tables/{UNPLACED_TABLE}.csv)</p>"
            if self.n_unplaced > len(rows)
            else ""
        )
        return (
            f'<p style="color:#8a6d00"><b>⚠ {escape(self.note())}</b></p>'
            + rows.to_html(index=False, escape=True)
            + more
        )


def anchored_codings(
    codings: pd.DataFrame,
    transcripts: pd.DataFrame,
    turns: pd.DataFrame | None = None,
    *,
    threshold: float = THRESHOLD,
) -> AnchoredCodings:
    """Anchor codings to today's transcripts and place them on today's turns.

    Parameters
    ----------
    codings
        Current codings (:func:`dsr_workbench.coding.codings.load_codings` or
        :func:`~dsr_workbench.coding.codings.fold`).
    transcripts
        Today's ``transcripts`` table (transcript_id, text, sha256).
    turns
        Today's ``turns`` table (transcript_id, turn, start, end); without it ``turn`` is
        ``<NA>`` throughout.
    threshold
        Minimum fuzzy score for a ``fuzzy`` re-anchoring (see
        :func:`dsr_workbench.coding.anchoring.anchor`).

    Returns
    -------
    AnchoredCodings
        ``.codings`` (placed), ``.unplaced`` (lost, with reasons), ``.table`` (all), ``.note()``.

    Examples
    --------
    A paragraph was prepended and a word changed since the codings were made:

    >>> old = "Kim: Why?\\n\\nAna: We trust Gamma. Audits are fine."
    >>> new = "Kim: Hello.\\n\\nKim: Why?\\n\\nAna: We trust Gamma. Reviews are fine."
    >>> quotes = ["trust Gamma", "Audits are fine"]
    >>> starts = [old.index(q) for q in quotes]
    >>> codings = pd.DataFrame({"coding_id": ["a", "b"], "transcript_id": "I01",
    ...     "start": starts, "end": [s + len(q) for s, q in zip(starts, quotes)],
    ...     "quote": quotes, "code_id": "X", "coder": "R1", "sha256": "old"})
    >>> transcripts = pd.DataFrame({"transcript_id": ["I01"], "text": [new], "sha256": ["new"]})
    >>> turns = pd.DataFrame({"transcript_id": "I01", "turn": [1, 2, 3],
    ...     "start": [5, 18, 29], "end": [11, 22, 62]})
    >>> result = anchored_codings(codings, transcripts, turns)
    >>> result.table[["coding_id", "status", "old_start", "start", "turn"]]
      coding_id status  old_start  start  turn
    0         a  moved         19     32     3
    1         b   lost         32   <NA>  <NA>
    >>> result.codings["quote"].tolist(), result.unplaced["old_quote"].tolist()
    (['trust Gamma'], ['Audits are fine'])
    """
    table = anchor(codings, transcripts, threshold=threshold)
    if turns is not None and len(table):
        turn = with_turns(table[["transcript_id", "start", "end"]], turns[_TURN_KEYS])["turn"]
        table["turn"] = pd.array(turn, dtype="Int64")
    else:
        table["turn"] = pd.array([pd.NA] * len(table), dtype="Int64")
    lost = (table["status"] == "lost").to_numpy(dtype=bool)
    table.loc[lost, "turn"] = pd.NA  # never placed on a turn
    extra = [c for c in table.columns if c not in ANCHORED_COLUMNS]
    ids = frozenset(str(t) for t in transcripts["transcript_id"])
    return AnchoredCodings(table[[*ANCHORED_COLUMNS, *extra]].reset_index(drop=True), ids)


_TURN_KEYS = ["transcript_id", "turn", "start", "end"]


def load_anchored_codings(
    study: Study | str | Path,
    *,
    corpus: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    coders: Iterable[str] | None = None,
    transcripts: Iterable[str] | None = None,
    strict: bool = True,
    threshold: float = THRESHOLD,
) -> AnchoredCodings:
    """Read a study's coding logs and anchor the codings to today's corpus.

    Parameters
    ----------
    study
        A loaded :class:`~dsr_workbench.corpus.study.Study` or its ``study.yaml``.
    corpus
        ``(transcripts, turns)`` of :func:`dsr_workbench.corpus.read.load_corpus`, if already
        read (else read here).
    coders, transcripts
        Keep only these coders' codings, or codings of these transcripts (see
        :meth:`AnchoredCodings.only`); ``None``: all.
    strict
        Raise on a malformed log line (default), or skip it with a warning.
    threshold
        Minimum fuzzy score (see :func:`dsr_workbench.coding.anchoring.anchor`).

    Returns
    -------
    AnchoredCodings
        See :func:`anchored_codings`. A study without coding logs gives no codings.

    Raises
    ------
    InputError
        A malformed log line (with ``strict``), an unreadable transcript.

    Examples
    --------
    >>> codings = load_anchored_codings(EXAMPLE_STUDY)
    >>> codings.n_unplaced, sorted(codings.codings["coder"].unique())
    (0, ['kim', 'noah'])
    """
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.corpus.study import Study, load_study

    if not isinstance(study, Study):
        study = load_study(study)
    texts, turns = load_corpus(study) if corpus is None else corpus
    result = anchored_codings(
        load_codings(study.data_dir / "codings", strict=strict),
        texts,
        turns,
        threshold=threshold,
    )
    if coders is not None or transcripts is not None:
        result = result.only(coders=coders, transcripts=transcripts)
    return result
