"""Case folding as ``re.IGNORECASE`` compares characters, for the keyword scanners.

``re.IGNORECASE`` treats characters a and b as equal when their simple lower cases are equal
or belong to one of ``re``'s extra case classes (i/ı, s/ſ, σ/ς, ...). :func:`re_fold` maps every
character to one representative of that relation, so "a matches b ignoring case" is
``re_fold(a) == re_fold(b)``. Used by :mod:`dsr_workbench.coding.textscan` (the Python scan) and
:mod:`dsr_workbench.coding.textscan_engine` (the Hyperscan patterns' character classes).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

__all__ = ["fold_tables", "re_fold"]


class FoldTables(NamedTuple):
    """The tables of :func:`fold_tables`."""

    canon: dict[int, int]  # lower case -> class representative (a word character if any)
    unsafe: re.Pattern[str]  # characters for which str.lower() differs from the re fold
    noncanon: re.Pattern[str] | None  # lower-case characters that are not representatives
    translate: dict[int, int]


@functools.cache
def fold_tables() -> FoldTables:
    """Build (once) the tables that fold case as ``re.IGNORECASE`` does.

    Returns
    -------
    FoldTables
        ``canon`` (a lower-case character of one of ``re``'s extra case classes -> the class
        representative), ``unsafe`` (characters whose ``str.lower`` differs from that fold, or
        whose fold changes whether they are word characters), ``noncanon`` (the characters
        ``canon`` replaces) and ``translate`` (``canon`` for ``str.translate``).

    Examples
    --------
    >>> tables = fold_tables()
    >>> chr(tables.canon[ord("ſ")]), bool(tables.unsafe.search("İ"))
    ('s', True)
    """
    import _sre

    try:  # re's extra case classes (CPython >= 3.11)
        from re._casefix import _EXTRA_CASES as extra  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - then only simple lower case is used
        extra = {}

    def isword(cp: int) -> bool:
        ch = chr(cp)
        return ch.isalnum() or ch == "_"

    canon: dict[int, int] = {}
    for low, others in extra.items():
        members = sorted({low, *others})
        words = [c for c in members if isword(c)]
        rep = min(words or members)
        canon.update({c: rep for c in members if c != rep})
    unsafe = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        low = _sre.unicode_tolower(cp)
        full = ch.lower()
        if low == cp and full == ch and cp not in canon:
            continue
        folded = canon.get(low, low)
        if (
            len(full) != 1
            or canon.get(ord(full), ord(full)) != folded
            or isword(cp) != isword(folded)
        ):
            unsafe.append(ch)
    noncanon = "".join(chr(c) for c in canon)
    return FoldTables(
        canon=canon,
        unsafe=re.compile("[" + "".join(map(re.escape, unsafe)) + "]"),
        noncanon=re.compile("[" + re.escape(noncanon) + "]") if noncanon else None,
        translate=dict(canon),
    )


def re_fold(text: str) -> str:
    """Fold a short string character by character (keywords, matched text).

    Examples
    --------
    >>> re_fold("ſTRAẞE"), re_fold("ΟΔΟΣ") == re_fold("οδος"), re_fold("İ")
    ('straße', True, 'i')
    """
    if text.isascii():
        return text.lower()
    import _sre

    canon = fold_tables().canon
    return "".join(chr(canon.get(c, c)) for c in map(_sre.unicode_tolower, map(ord, text)))
