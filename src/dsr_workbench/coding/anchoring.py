"""Anchoring: keep codings attached to their words when a transcript is edited.

A coding stores where it was (start, end), what it covered (quote), a little context (prefix,
suffix) and the sha256 of the transcript text it was made on. When the transcript's current
sha256 is the same, the coding is ``ok``. Otherwise :func:`anchor` looks for the quote again:

1. the quote is still at its offsets: ``ok``;
2. the quote occurs elsewhere: ``moved`` to the occurrence whose surroundings best match the
   stored prefix/suffix (ties: the one nearest the old position);
3. otherwise the best fuzzy match (``rapidfuzz.fuzz.partial_ratio_alignment``, first near the
   old position, then anywhere), if its score (0-100) reaches ``threshold``: ``fuzzy`` (its
   ends are then nudged by up to 8 characters to the best ``fuzz.ratio``);
4. otherwise ``lost``: the row is kept, with start/end ``<NA>`` and the old ones in
   ``old_start``/``old_end``; it is never dropped or silently moved.

:func:`check_codings` lists every coding that is not plainly ``ok`` or whose code is no longer
in the codebook (``dsr codings check``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.coding.codings import CODING_COLUMNS, CONTEXT
from dsr_workbench.core.errors import DsrError

__all__ = ["ANCHOR_COLUMNS", "CHECK_COLUMNS", "STATUSES", "THRESHOLD", "anchor", "check_codings"]

STATUSES: tuple[str, ...] = ("ok", "moved", "fuzzy", "lost")
"""Anchoring statuses, from best to worst."""

THRESHOLD = 90.0
"""Default minimum fuzzy score (0-100) for a ``fuzzy`` re-anchoring."""

ANCHOR_COLUMNS: list[str] = [
    *CODING_COLUMNS,
    "status",
    "score",
    "old_start",
    "old_end",
    "old_quote",
]
"""Columns of :func:`anchor`."""

CHECK_COLUMNS: list[str] = [
    "coding_id",
    "coder",
    "transcript_id",
    "code_id",
    "status",
    "score",
    "old_start",
    "old_end",
    "start",
    "end",
    "old_quote",
    "quote",
    "problem",
]
"""Columns of :func:`check_codings`."""

_WINDOW = 2000
_NUDGE = 8
_MAX_OCCURRENCES = 10_000


def _occurrences(text: str, quote: str) -> list[int]:
    out: list[int] = []
    at = text.find(quote)
    while at >= 0 and len(out) < _MAX_OCCURRENCES:
        out.append(at)
        at = text.find(quote, at + 1)
    return out


def _common_suffix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _best_occurrence(
    text: str, found: list[int], length: int, prefix: str, suffix: str, old: int
) -> int:
    def fit(at: int) -> tuple[int, int]:
        before = text[max(0, at - len(prefix)) : at]
        after = text[at + length : at + length + len(suffix)]
        return (-(_common_suffix(prefix, before) + _common_prefix(suffix, after)), abs(at - old))

    return min(found, key=fit)


def _fuzzy(text: str, quote: str, old: int, threshold: float) -> tuple[int, int, float] | None:
    lo = max(0, old - _WINDOW - len(quote))
    hi = min(len(text), old + _WINDOW + 2 * len(quote))
    best = None
    for a, b in ((lo, hi), (0, len(text))):
        hit = fuzz.partial_ratio_alignment(quote, text[a:b], score_cutoff=threshold)
        if hit is not None and len(quote) <= b - a:
            best = (a + hit.dest_start, a + hit.dest_end)
            break
    if best is None:
        return None
    start, end = best
    score, start, end = max(
        (fuzz.ratio(quote, text[s:e]), s, e)
        for s in range(max(0, start - _NUDGE), min(len(text), start + _NUDGE) + 1)
        for e in range(max(s + 1, end - _NUDGE), min(len(text), end + _NUDGE) + 1)
    )
    return (start, end, float(score)) if score >= threshold else None


def _reanchor(
    text: str, quote: str, prefix: str, suffix: str, start: int, end: int, threshold: float
) -> tuple[str, int | None, int | None, float]:
    if text[start:end] == quote:
        return "ok", start, end, 100.0
    found = _occurrences(text, quote)
    if found:
        at = (
            found[0]
            if len(found) == 1
            else _best_occurrence(text, found, len(quote), prefix, suffix, start)
        )
        return "moved", at, at + len(quote), 100.0
    hit = _fuzzy(text, quote, start, threshold)
    if hit is None:
        return "lost", None, None, np.nan
    return "fuzzy", hit[0], hit[1], hit[2]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def anchor(
    codings: pd.DataFrame, transcripts: pd.DataFrame, *, threshold: float = THRESHOLD
) -> pd.DataFrame:
    """Re-anchor codings made on an older version of their transcript.

    Parameters
    ----------
    codings
        Current codings (:data:`dsr_workbench.coding.codings.CODING_COLUMNS`; needs transcript_id,
        start, end, quote, prefix, suffix, sha256).
    transcripts
        The ``transcripts`` table (transcript_id, text, sha256).
    threshold
        Minimum ``rapidfuzz`` score (0-100) to accept a fuzzy match (default 90).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ANCHOR_COLUMNS`: the codings with start, end (``Int64``; ``<NA>`` when
        lost), quote, prefix, suffix as in the current text; ``status`` (ok | moved | fuzzy |
        lost), ``score`` (100 for exact, the fuzzy score, NaN when lost), and the coding's
        ``old_start``, ``old_end``, ``old_quote``. Same rows, same order.

    Raises
    ------
    DsrError
        A required column is missing.

    Examples
    --------
    >>> old = "Kim: Why?\\n\\nAna: We trust Gamma. Audits are fine."
    >>> new = "Kim: Why them?\\n\\nAna: Honestly, we trust Gamma. Audtis are fine."
    >>> quotes = ["trust Gamma", "Audits are fine", "Why?"]
    >>> starts = [old.index(q) for q in quotes]
    >>> codings = pd.DataFrame({
    ...     "coding_id": ["a", "b", "c"], "transcript_id": "I01", "start": starts,
    ...     "end": [s + len(q) for s, q in zip(starts, quotes)], "quote": quotes,
    ...     "prefix": [old[max(0, s - 30):s] for s in starts], "suffix": "",
    ...     "code_id": "X", "coder": "R1", "sha256": "old"})
    >>> transcripts = pd.DataFrame({"transcript_id": ["I01"], "text": [new], "sha256": ["new"]})
    >>> anchor(codings, transcripts)[["quote", "status", "start", "old_start", "score"]]
                 quote status  start  old_start  score
    0      trust Gamma  moved     34         19  100.0
    1  Audtis are fine  fuzzy     47         32   93.3
    2              NaN   lost   <NA>          5    NaN
    """
    needed = ("transcript_id", "start", "end", "quote", "sha256")
    missing = [c for c in needed if c not in codings.columns]
    if missing:
        raise DsrError(
            f"codings lack column(s) {', '.join(missing)}",
            hint="pass codings from dsr_workbench.coding.codings.load_codings",
        )
    out = codings.reindex(columns=CODING_COLUMNS)
    extra = [c for c in codings.columns if c not in CODING_COLUMNS]
    out[extra] = codings[extra]
    out["old_start"] = codings["start"].to_numpy()
    out["old_end"] = codings["end"].to_numpy()
    out["old_quote"] = codings["quote"].to_numpy()
    current = transcripts.set_index("transcript_id")
    text_of = current["text"]
    digest = codings["transcript_id"].map(current["sha256"])
    same = (digest == codings["sha256"]).fillna(False).to_numpy(dtype=bool)
    status = np.where(same, "ok", "lost").astype(object)
    score = np.where(same, 100.0, np.nan)
    start = pd.array(codings["start"], dtype="Int64")
    end = pd.array(codings["end"], dtype="Int64")
    quote = codings["quote"].astype(object).to_numpy(copy=True)
    prefix = out["prefix"].astype(object).to_numpy(copy=True)
    suffix = out["suffix"].astype(object).to_numpy(copy=True)
    for i in np.flatnonzero(~same):
        tid = codings["transcript_id"].iat[i]
        if tid not in text_of.index or pd.isna(start[i]) or not isinstance(quote[i], str):
            start[i] = end[i] = pd.NA
            quote[i] = prefix[i] = suffix[i] = None
            continue
        text = text_of.at[tid]
        st, a, b, sc = _reanchor(
            text,
            quote[i],
            _text(prefix[i]),
            _text(suffix[i]),
            int(start[i]),
            int(end[i]),
            threshold,
        )
        status[i], score[i] = st, sc
        if a is None or b is None:
            start[i] = end[i] = pd.NA
            quote[i] = prefix[i] = suffix[i] = None
            continue
        start[i], end[i], quote[i] = a, b, text[a:b]
        prefix[i], suffix[i] = text[max(0, a - CONTEXT) : a], text[b : b + CONTEXT]
    out["start"], out["end"] = start, end
    out["quote"] = pd.array(quote, dtype="str")
    out["prefix"] = pd.array(prefix, dtype="str")
    out["suffix"] = pd.array(suffix, dtype="str")
    out["status"] = pd.array(status, dtype="str")
    out["score"] = np.round(score, 1)
    return out[[*ANCHOR_COLUMNS, *extra]]


def check_codings(
    codings: pd.DataFrame,
    transcripts: pd.DataFrame,
    codebook: Codebook | None = None,
    *,
    threshold: float = THRESHOLD,
) -> pd.DataFrame:
    """List codings that need a look: moved, fuzzy or lost anchors, codes not in the codebook.

    Parameters
    ----------
    codings, transcripts, threshold
        As :func:`anchor`.
    codebook
        If given, codings whose code is not in it are listed (they are kept, not dropped).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHECK_COLUMNS`, one row per coding with a problem, worst first
        (lost, unknown code, fuzzy, moved); ``problem`` says what to do.

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook("codes:\\n  - {id: TRUST, name: Trust}")
    >>> codings = pd.DataFrame({"coding_id": ["a", "b"], "transcript_id": "I01",
    ...     "start": [0, 3], "end": [2, 8], "quote": ["We", "trust"], "prefix": "",
    ...     "suffix": "", "code_id": ["TRUST", "PRICE"], "coder": "R1", "sha256": "h"})
    >>> transcripts = pd.DataFrame({"transcript_id": ["I01"], "text": ["We do trust"],
    ...                             "sha256": ["h2"]})
    >>> table = check_codings(codings, transcripts, book)
    >>> table[["coding_id", "code_id", "status", "old_start", "start"]]
      coding_id code_id status  old_start  start
    0         b   PRICE  moved          3      6
    >>> print(table.loc[0, "problem"])
    moved by +3 characters; code 'PRICE' is not in the codebook: restore it or re-code
    """
    anchored = anchor(codings, transcripts, threshold=threshold)
    unknown = np.zeros(len(anchored), dtype=bool)
    if codebook is not None:
        unknown = ~anchored["code_id"].isin(set(codebook.codes["code_id"])).to_numpy()
    notes = []
    for st, sc, old, new, code, bad in zip(
        anchored["status"],
        anchored["score"],
        anchored["old_start"],
        anchored["start"],
        anchored["code_id"],
        unknown,
        strict=True,
    ):
        parts = []
        if st == "lost":
            parts.append(
                f"quote not found in the current text (no match scores {threshold:g} "
                "or more): re-code it or restore the text"
            )
        elif st == "fuzzy":
            parts.append(f"re-anchored by a fuzzy match (score {sc:.1f}): check the span")
        elif st == "moved":
            parts.append(f"moved by {int(new) - int(old):+d} characters")
        if bad:
            parts.append(f"code {code!r} is not in the codebook: restore it or re-code")
        notes.append("; ".join(parts))
    anchored["problem"] = pd.array(notes, dtype="str")
    table = anchored.loc[(anchored["problem"] != "").to_numpy()]
    rank = table["status"].map({"lost": 0, "fuzzy": 2, "moved": 3, "ok": 4}).to_numpy()
    rank = np.where(
        ~table["code_id"]
        .isin(set(codebook.codes["code_id"]) if codebook is not None else set(table["code_id"]))
        .to_numpy(),
        np.minimum(rank, 1),
        rank,
    )
    table = table.assign(_rank=rank).sort_values(
        ["_rank", "transcript_id", "old_start"], kind="stable"
    )
    return table[CHECK_COLUMNS].reset_index(drop=True)
