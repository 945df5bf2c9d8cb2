"""Compare two coders on one transcript: agreement per code, disagreements, their kind.

The statistics and the disagreement list come from
:mod:`dsr_workbench.analysis.reliability_codings` (character units, as NVivo's coding
comparison); nothing is recomputed here. This module only adds, for each disagreement, its
*kind*: ``one side`` (the other coder did not apply the code anywhere near) or ``extent``
(both coders applied the code to overlapping spans, with different extents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dsr_workbench.analysis.reliability_codings import (
    OVERALL,
    disagreements,
    per_code_agreement,
    reliability_data,
)
from dsr_workbench.core.errors import DsrError

__all__ = ["Comparison", "compare_transcript"]


@dataclass(frozen=True)
class Comparison:
    """Two coders' codings of one transcript, compared.

    Attributes
    ----------
    coders
        ``(coder, other)``.
    agreement
        :func:`~dsr_workbench.analysis.reliability_codings.per_code_agreement` of this
        transcript (characters as units).
    disagreements
        :func:`~dsr_workbench.analysis.reliability_codings.disagreements` plus ``kind``
        (``one side`` | ``extent``).
    note
        Why there is nothing to compare (``""`` otherwise).
    """

    coders: tuple[str, str]
    agreement: pd.DataFrame
    disagreements: pd.DataFrame
    note: str = ""

    def agreement_payload(self, names: dict[str, str]) -> list[dict[str, Any]]:
        """The agreement table as the front end shows it (one dict per code).

        A statistic the reliability module could not compute (Krippendorff's alpha or the
        kappa of a code both coders applied to every unit, or to none: no variation, 0/0) is
        ``None``, shown as "–", and ``note`` says why, in the reliability module's words
        (:func:`~dsr_workbench.analysis.reliability_codings.per_code_agreement`); the widget
        shows it as the cell's tooltip and as a footnote. ``note`` is ``""`` when every
        statistic is there. Values are rounded to three places, and a rounded -0.0 is 0.0.

        Examples
        --------
        >>> turns = pd.DataFrame({"transcript_id": "I01", "turn": [1], "start": [0],
        ...                       "end": [18], "text": ["We trust Gamma now"]})
        >>> both = pd.DataFrame({"transcript_id": "I01", "start": [0, 0], "end": [18, 18],
        ...                      "code_id": "TRUST", "coder": ["R1", "R2"],
        ...                      "quote": ["We trust Gamma now"] * 2})
        >>> row = compare_transcript(both, turns, "I01", ("R1", "R2")).agreement_payload({})[0]
        >>> row["alpha"], row["kappa"], row["pct"]
        (None, None, 1.0)
        >>> print(row["note"])
        only one value (1) occurs: chance-corrected agreement is undefined (0/0); percent agreement is 1
        """

        def num(x: Any) -> float | None:
            return None if pd.isna(x) else round(float(x), 3) + 0.0  # + 0.0: no -0.0

        rows = []
        for r in self.agreement.itertuples(index=False):
            missing = pd.isna(r.alpha) or pd.isna(r.kappa) or pd.isna(r.percent_agreement)
            note = str(r.note) if isinstance(r.note, str) else ""
            if missing and not note:
                note = "not computed by the reliability module (no units to compare)"
            rows.append(
                {
                    "code": str(r.code_id),
                    "name": "all codes"
                    if r.code_id == OVERALL
                    else names.get(r.code_id, r.code_id),
                    "alpha": num(r.alpha),
                    "kappa": num(r.kappa),
                    "pct": num(r.percent_agreement),
                    "n": int(r.n_units),
                    "band": str(r.band_alpha) if isinstance(r.band_alpha, str) else "",
                    "note": note if missing else "",
                }
            )
        return rows


def _kind(row: pd.Series, codings: pd.DataFrame) -> str:
    same = codings[codings["code_id"] == row["code_id"]]
    present = same[same["coder"].isin([c.strip() for c in str(row["present"]).split(",")])]
    absent = same[same["coder"].isin([c.strip() for c in str(row["absent"]).split(",")])]
    cover = present[(present["start"] < row["end"]) & (present["end"] > row["start"])]
    if cover.empty or absent.empty:
        return "one side"
    lo, hi = int(cover["start"].min()), int(cover["end"].max())
    hit = (absent["start"] < hi) & (absent["end"] > lo)
    return "extent" if bool(np.any(hit.to_numpy())) else "one side"


def compare_transcript(
    codings: pd.DataFrame, turns: pd.DataFrame, transcript_id: str, coders: tuple[str, str]
) -> Comparison:
    """Compare two coders' codings of one transcript.

    Parameters
    ----------
    codings
        Both coders' codings (transcript_id, start, end, code_id, coder, quote).
    turns
        The corpus ``turns`` table.
    transcript_id
        The transcript.
    coders
        The two coders.

    Returns
    -------
    Comparison
        With a ``note`` and empty tables when a coder has no coding of the transcript.

    Examples
    --------
    >>> turns = pd.DataFrame({"transcript_id": "I01", "turn": [1], "start": [0], "end": [18],
    ...                       "text": ["We trust Gamma now"]})
    >>> codings = pd.DataFrame({"transcript_id": "I01", "start": [3, 3], "end": [8, 14],
    ...                         "code_id": "TRUST", "coder": ["R1", "R2"],
    ...                         "quote": ["trust", "trust Gamma"]})
    >>> c = compare_transcript(codings, turns, "I01", ("R1", "R2"))
    >>> c.disagreements[["start", "end", "present", "kind"]]
       start  end present    kind
    0      8   14      R2  extent
    """
    here = codings[(codings["transcript_id"] == transcript_id) & codings["coder"].isin(coders)]
    t_turns = turns[turns["transcript_id"] == transcript_id]
    empty = pd.DataFrame()
    missing = [c for c in coders if not (here["coder"] == c).any()]
    if missing:
        note = f"{', '.join(missing)} did not code {transcript_id}: nothing to compare yet"
        return Comparison(coders, empty, empty.assign(kind=[]), note)
    try:
        data = reliability_data(
            here, t_turns, unit="char", coders=list(coders), transcripts=[transcript_id]
        )
    except DsrError as exc:
        return Comparison(coders, empty, empty.assign(kind=[]), str(exc))
    table = disagreements(data, t_turns, here)
    table["kind"] = [_kind(row, here) for _, row in table.iterrows()]
    return Comparison(coders, per_code_agreement(data), table)
