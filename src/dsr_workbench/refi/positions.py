"""Coding positions in REFI-QDA files: detect each source's convention and convert it.

REFI-QDA 1.5 counts ``startPosition``/``endPosition`` of a ``PlainTextSelection`` in Unicode
code points from 0, end exclusive, over the source's plain text. Real exporters differ: NVivo 12
counts UTF-16 code units over text with CRLF line ends; others count every line end as one
character or as two, count UTF-8 bytes, or make the end inclusive. A selection carries no
quote in the standard, so the convention must be inferred from what the file offers.

For each source, every *candidate convention* (a :class:`Convention`: unit ``codepoint`` |
``utf16`` | ``utf8``, counted over the ``raw`` text, the text with every line end as ``lf``
or as ``crlf``, with an ``exclusive`` or ``inclusive`` end) maps every selection to code-point
offsets into the *stored* text (the raw text with CRLF and lone CR turned into LF). A
candidate is scored on the selections it places differently from the others by

1. quotes: selections whose ``name`` or ``Description`` holds the selected text (some
   exporters write it; ours does) and match the text at the mapped offsets;
2. clean ends: a mapped selection that starts and ends on a word boundary and not on a space
   (people select words; a convention that is off by a few characters cuts words).
   Offsets inside a character (half a surrogate pair, inside a UTF-8 sequence) or outside the
   text do not map at all.

The standard convention is kept unless another is *clearly* better on the selections where
they differ (more matching quotes, or at least ``max(2, 20%)`` more clean ends).

A selection is **never placed silently and never dropped for want of evidence**. Each row's
``verified`` says how it was placed: ``quote`` (its quote matches), ``convention`` (by a
convention the evidence clearly prefers, by the same margin, to the best rival that places it
elsewhere) or ``unverified`` (with the ``reason``):

- the file has no quote to check against and a rival convention the evidence cannot rule out
  places it elsewhere: it is placed by the standard's convention, :data:`STANDARD` (Unicode
  code points of the plain text from 0, end exclusive: REFI-QDA, *Exchange of processed data
  between qualitative data analysis software packages*, ed. F. van Blommestein, 2019, §9.2
  "Text selections", as recorded in the reference files' README, ``../shared/refi-qda``; the
  schemas, ``Project.xsd`` ``PlainTextSelectionType``, say only ``xsd:integer``), which our
  own exports write too; or, when the evidence has ruled the standard out, by the convention
  the evidence prefers;
- its quote matches under no convention: it is placed by the chosen convention (the text may
  have been edited after coding);
- its offsets cut a character under the chosen convention (half a surrogate pair, inside a
  UTF-8 sequence): it is widened to the whole characters.

Only a selection that cannot be placed at all is a ``problem`` (not placed): one that falls
outside the text, one whose start is after its end, an empty one, and one with a negative
position (which :func:`~dsr_workbench.refi.read.read_qdpx` refuses before it gets here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "CONVENTIONS",
    "PLACEMENT_COLUMNS",
    "STANDARD",
    "Convention",
    "Placement",
    "place_selections",
    "stored_text",
]

PLACEMENT_COLUMNS: list[str] = ["selection", "start", "end", "verified", "reason", "problem"]
"""Columns of :attr:`Placement.table`."""


@dataclass(frozen=True)
class Convention:
    """How a tool counts positions: unit, line ends, end inclusive or not.

    Examples
    --------
    >>> str(Convention("utf16", "raw", "exclusive"))
    'utf16/raw/exclusive'
    """

    unit: str  # codepoint | utf16 | utf8
    base: str  # raw | lf | crlf
    end: str  # exclusive | inclusive

    def __str__(self) -> str:
        return f"{self.unit}/{self.base}/{self.end}"


STANDARD = Convention("codepoint", "raw", "exclusive")
"""REFI-QDA's own convention: code points over the plain text, end exclusive."""

CONVENTIONS: tuple[Convention, ...] = tuple(
    Convention(unit, base, end)
    for end in ("exclusive", "inclusive")
    for unit, base in (
        ("codepoint", "raw"),
        ("codepoint", "lf"),
        ("utf16", "raw"),
        ("utf16", "lf"),
        ("codepoint", "crlf"),
        ("utf16", "crlf"),
        ("utf8", "raw"),
        ("utf8", "lf"),
        ("utf8", "crlf"),
    )
)
"""Candidate conventions, most preferred first (the standard first)."""

_ELLIPSIS = ("...", "…")


def stored_text(raw: str) -> str:
    """Return the text as we store it: CRLF and lone CR become LF, nothing else changes.

    Examples
    --------
    >>> stored_text("a\\r\\nb\\rc\\n")
    'a\\nb\\nc\\n'
    """
    return raw.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class Placement:
    """The selections of one source placed in its stored text.

    Attributes
    ----------
    text
        The stored text (see :func:`stored_text`).
    table
        One row per selection, in input order, columns :data:`PLACEMENT_COLUMNS`: selection,
        start, end (``Int64`` code points into ``text``, end exclusive; ``<NA>`` when not
        placed), verified (``quote`` | ``convention`` | ``unverified``; ``<NA>`` when not
        placed), reason (why ``unverified``; else ``<NA>``), problem (why not placed;
        ``<NA>`` when placed).
    convention
        The convention chosen (``None`` when the source has no selections).
    """

    text: str
    table: pd.DataFrame
    convention: Convention | None


@dataclass
class _Candidate:
    convention: Convention
    start: np.ndarray  # stored offsets, -1 where the selection does not map
    end: np.ndarray
    valid: np.ndarray
    clean: np.ndarray  # 0, 1 or 2 clean ends per selection
    quote: np.ndarray  # bool: the selection's quote matches here

    def key(self) -> bytes:
        return self.start.tobytes() + self.end.tobytes()


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64)


def _base(stored: str, raw: str, base: str) -> str:
    if base == "raw":
        return raw
    if base == "lf":
        return stored
    return stored.replace("\n", "\r\n")


def _map(
    cps: np.ndarray, unit: str, inclusive: bool, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map native offsets over a base text (its code points ``cps``) to stored offsets."""
    n = len(cps)
    pair_cr = np.zeros(n, dtype=np.int64)
    if n > 1:
        pair_cr[:-1] = (cps[:-1] == 13) & (cps[1:] == 10)
    to_stored = np.concatenate([[0], np.arange(1, n + 1) - np.cumsum(pair_cr)])
    cum = np.concatenate([[0], np.cumsum(_widths(cps, unit))])

    def index(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        idx = np.searchsorted(cum, x, side="left")
        safe = np.minimum(idx, n)
        ok = (x >= 0) & (idx <= n) & (cum[safe] == x)
        return safe, ok

    a, ok_a = index(starts)
    b, ok_b = index(ends)
    if inclusive:  # the end names the last character: the boundary is after it
        ok_b &= b < n
        b = np.minimum(b + 1, n)
    s, e = to_stored[a], to_stored[b]
    valid = ok_a & ok_b & (s < e)
    return np.where(valid, s, -1), np.where(valid, e, -1), valid


def _norm(text: str) -> str:
    return " ".join(text.split())


def _quote_match(text: str, start: int, end: int, quote: str) -> bool:
    got = _norm(text[start:end])
    want = _norm(quote)
    for mark in _ELLIPSIS:
        if want.endswith(mark) and len(want) > len(mark):
            return got.startswith(want[: -len(mark)].rstrip())
    return got == want


def _clear_win(x: _Candidate, y: _Candidate) -> bool:
    """Whether the evidence clearly prefers ``x`` to ``y`` where they place differently."""
    differ = (x.start != y.start) | (x.end != y.end)
    n = int(differ.sum())
    if n == 0:
        return False
    qx, qy = int(x.quote[differ].sum()), int(y.quote[differ].sum())
    if qx != qy:
        return qx > qy
    margin = int(x.clean[differ].sum()) - int(y.clean[differ].sum())
    return margin >= max(2, math.ceil(0.2 * 2 * n))


def place_selections(
    raw: str,
    starts: list[int] | np.ndarray,
    ends: list[int] | np.ndarray,
    quotes: list[str | None] | None = None,
    selections: list[str] | None = None,
) -> Placement:
    """Detect a source's position convention and place its selections in the stored text.

    Parameters
    ----------
    raw
        The source's plain text as decoded (byte-order mark removed, line ends untouched).
    starts, ends
        ``startPosition`` and ``endPosition`` of each selection, as written in the file.
    quotes
        The text each selection claims to cover, when the file gives one (else ``None``).
    selections
        Ids for the result's ``selection`` column (default ``0, 1, ...``).

    Returns
    -------
    Placement
        The stored text, one row per selection, and the convention chosen.

    Examples
    --------
    NVivo counts UTF-16 units over CRLF text: the emoji takes two units, each line end two.

    >>> raw = "Kim: Hi 😀\\r\\nAna: We trust them.\\r\\nAna: Audits are fine.\\r\\n"
    >>> p = place_selections(raw, [20, 38], [25, 44])
    >>> str(p.convention), [p.text[s:e] for s, e in zip(p.table.start, p.table.end)]
    ('utf16/raw/exclusive', ['trust', 'Audits'])

    The standard convention places the same numbers elsewhere, cutting words; it is not used.

    >>> p.text[20:25]
    'ust t'
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    n_sel = len(starts)
    ids = list(selections) if selections is not None else list(range(n_sel))
    quotes = list(quotes) if quotes is not None else [None] * n_sel
    stored = stored_text(raw)
    if n_sel == 0:
        return Placement(stored, _table([], [], [], [], []), None)
    n_text = len(stored)
    if n_text == 0:
        empty: list[str | None] = ["the source's text is empty"] * n_sel
        return Placement(
            stored,
            _table(ids, [None] * n_sel, [None] * n_sel, [None] * n_sel, empty),
            STANDARD,
        )
    alnum = np.fromiter((c.isalnum() for c in stored), dtype=bool, count=n_text)
    space = np.fromiter((c.isspace() for c in stored), dtype=bool, count=n_text)
    has_quote = np.array([isinstance(q, str) and bool(q.strip()) for q in quotes])

    candidates: list[_Candidate] = []
    seen: set[bytes] = set()
    cps_of: dict[str, np.ndarray] = {}
    for conv in CONVENTIONS:
        if conv.base not in cps_of:
            cps_of[conv.base] = _codepoints(_base(stored, raw, conv.base))
        s, e, valid = _map(cps_of[conv.base], conv.unit, conv.end == "inclusive", starts, ends)
        si, ei = np.where(valid, s, 0), np.where(valid, e, 1)
        before = np.where(si > 0, alnum[np.maximum(si - 1, 0)], False)
        clean_start = (
            valid
            & ~space[np.minimum(si, n_text - 1)]
            & ~(before & alnum[np.minimum(si, n_text - 1)])
        )
        after = np.where(ei < n_text, alnum[np.minimum(ei, n_text - 1)], False)
        clean_end = valid & ~space[ei - 1] & ~(alnum[ei - 1] & after)
        quote = np.array(
            [
                bool(v and h and _quote_match(stored, int(a), int(b), str(q)))
                for v, h, a, b, q in zip(valid, has_quote, s, e, quotes, strict=True)
            ],
            dtype=bool,
        )
        cand = _Candidate(conv, s, e, valid, clean_start.astype(int) + clean_end, quote)
        if cand.key() not in seen:  # keep the most preferred of identical placements
            seen.add(cand.key())
            candidates.append(cand)

    # names that are labels, not quotes, are no evidence
    if has_quote.any() and max(int(c.quote.sum()) for c in candidates) < 0.5 * has_quote.sum():
        has_quote[:] = False
        for c in candidates:
            c.quote[:] = False

    order = {c.convention: i for i, c in enumerate(candidates)}
    ranked = sorted(
        candidates,
        key=lambda c: (-int(c.quote.sum()), -int(c.clean.sum()), order[c.convention]),
    )
    standard = candidates[0]
    best = ranked[0]
    chosen = best if best is not standard and _clear_win(best, standard) else standard
    rivals = [c for c in ranked if c is not chosen]
    rival = rivals[0] if rivals else None
    ambiguous = np.zeros(n_sel, dtype=bool)
    if rival is not None:
        # the evidence settles a selection only if it clearly prefers the chosen convention
        # to the best rival that places it elsewhere (a tie, or a narrow lead, does not)
        if not _clear_win(chosen, rival):
            ambiguous = (chosen.start != rival.start) | (chosen.end != rival.end)

    out_s: list[int | None] = []
    out_e: list[int | None] = []
    verified: list[str | None] = []
    reasons: list[str | None] = []
    problems: list[str | None] = []
    base = cps_of[chosen.convention.base]
    for i in range(n_sel):
        a, b = int(starts[i]), int(ends[i])
        cs, ce = int(chosen.start[i]), int(chosen.end[i])
        place: tuple[int, int, str] | None = None
        why: str | None = None
        problem: str | None = None
        if has_quote[i] and chosen.quote[i]:
            place = (cs, ce, "quote")
        elif has_quote[i] and (
            hits := {(int(c.start[i]), int(c.end[i])) for c in candidates if c.quote[i]}
        ):
            if len(hits) == 1:
                (hs, he) = hits.pop()
                place = (hs, he, "quote")
            else:  # the quote is at several places, each under some convention
                top = next(c for c in ranked if c.quote[i])
                place = (int(top.start[i]), int(top.end[i]), "unverified")
                why = (
                    "its quote is at several places, each under another convention; placed by "
                    f"{top.convention}"
                )
        elif not chosen.valid[i]:
            problem = _unplaceable(a, b, base, n_text, chosen.convention)
            if problem is None:  # the offsets cut a character: take the whole characters
                ws, we = _widen(base, chosen.convention, a, b)
                place = (ws, we, "unverified")
                why = (
                    f"its offsets cut a character under {chosen.convention}; widened to the "
                    "whole characters"
                )
        elif has_quote[i]:
            place = (cs, ce, "unverified")
            why = (
                "its quote is not at its offsets under any convention (the text may have been "
                f"edited after coding); placed by {chosen.convention}"
            )
        elif ambiguous[i]:
            place = (cs, ce, "unverified")
            by = (
                "the REFI-QDA standard's code-point convention"
                if chosen.convention == STANDARD
                else f"{chosen.convention} (the evidence rules the standard out)"
            )
            why = (
                f"placed by {by}, unverified: the selections carry no quote text to check "
                f"against, and {rival.convention if rival else '?'} cannot be ruled out"
            )
        else:
            place = (cs, ce, "convention")
        if place is None:
            out_s.append(None)
            out_e.append(None)
            verified.append(None)
            reasons.append(None)
            problems.append(problem or why)
        else:
            out_s.append(place[0])
            out_e.append(place[1])
            verified.append(place[2])
            reasons.append(why)
            problems.append(None)
    return Placement(
        stored, _table(ids, out_s, out_e, verified, problems, reasons), chosen.convention
    )


def _widths(cps: np.ndarray, unit: str) -> np.ndarray:
    """How many units of ``unit`` each code point takes."""
    if unit == "codepoint":
        return np.ones(len(cps), dtype=np.int64)
    if unit == "utf16":
        return 1 + (cps > 0xFFFF).astype(np.int64)
    return 1 + (cps >= 0x80) + (cps >= 0x800) + (cps >= 0x10000).astype(np.int64)


def _unplaceable(a: int, b: int, base: np.ndarray, n_text: int, conv: Convention) -> str | None:
    """Why native offsets ``a..b`` cannot be placed at all under ``conv`` (``None``: they
    are inside the text and only cut a character)."""
    if a < 0 or b < 0:
        return f"its positions {a}..{b} are negative"
    if a > b:
        return f"its startPosition {a} is after its endPosition {b}"
    if a == b and conv.end == "exclusive":
        return f"it is empty (startPosition = endPosition = {a})"
    length = int(_widths(base, conv.unit).sum())
    last = length if conv.end == "exclusive" else length - 1
    if b > last:
        count = f"{n_text} characters"
        if length != n_text:
            count += f", {length} positions under {conv}"
        return f"offsets {a}..{b} fall outside the text ({count})"
    return None


def _widen(base: np.ndarray, conv: Convention, a: int, b: int) -> tuple[int, int]:
    """Stored offsets of the whole characters that native offsets ``a..b`` touch."""
    n = len(base)
    cum = np.concatenate([[0], np.cumsum(_widths(base, conv.unit))])
    first = int(np.searchsorted(cum, a, side="right")) - 1  # the character holding a
    stop = int(np.searchsorted(cum, b, side="left"))  # the first boundary at or after b
    if conv.end == "inclusive":
        stop = int(np.searchsorted(cum, b, side="right"))
    first, stop = max(0, min(first, n - 1)), max(1, min(stop, n))
    pair_cr = np.zeros(n, dtype=np.int64)
    if n > 1:
        pair_cr[:-1] = (base[:-1] == 13) & (base[1:] == 10)
    to_stored = np.concatenate([[0], np.arange(1, n + 1) - np.cumsum(pair_cr)])
    s, e = int(to_stored[first]), int(to_stored[stop])
    return s, max(e, s + 1)


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(
    ids: Sequence[object],
    starts: list[int | None],
    ends: list[int | None],
    verified: list[str | None],
    problems: list[str | None],
    reasons: list[str | None] | None = None,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "selection": pd.array([str(x) for x in ids], dtype="str"),
            "start": pd.array(starts, dtype="Int64"),
            "end": pd.array(ends, dtype="Int64"),
            "verified": pd.array(verified, dtype="str"),
            "reason": pd.array(reasons or [None] * len(ids), dtype="str"),
            "problem": pd.array(problems, dtype="str"),
        },
        columns=PLACEMENT_COLUMNS,
    )
