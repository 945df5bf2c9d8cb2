"""One-pass text scanning for auto-coding: whole-word keywords and regexes over many turns.

The turns are joined into one string with a ``NUL`` before each turn; every match is still a
match *within one turn*, exactly as scanning each turn on its own would give.

Keywords
    are found by the Hyperscan engine of :mod:`dsr_workbench.coding.textscan_engine` when the
    ``hyperscan`` package is installed (``engine=`` or the environment variable
    ``DSR_AUTOCODE_ENGINE`` choose), and otherwise by the pure-Python scan described here;
    both give the same matches. A key's matches never overlap each other (as ``re.finditer``
    resumes after a match); different keys' matches may.
    The Python scan: keywords are case-folded the way ``re.IGNORECASE`` compares characters
    (simple lower case plus
    ``re``'s extra case classes such as i/ı, s/ſ, σ/ς), put in a trie, and matched by one
    regex ``\\W(?=(trie)(?!\\w))`` over the folded corpus: a zero-width match at each word
    start, so overlapping keywords are all found; a shorter keyword that is a prefix of the
    longest match is checked at the same position. The corpus is folded with ``str.lower`` in
    C (exact unless it holds one of a few characters whose full lower case differs, such as
    U+0130; then ``re.IGNORECASE`` does the folding itself).
Regexes
    are one scan of the joined string each; turns that a match crosses into (through a
    ``NUL``) are re-scanned alone, and a regex that anchors or looks around (``^ $ \\A \\Z``,
    look-ahead/behind, atomic groups, possessive repeats) is run turn by turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from dsr_workbench.coding.casefold import fold_tables, re_fold
from dsr_workbench.coding.textscan_engine import engine_name, hyperscan_keyword_hits

__all__ = ["SEP", "join_turns", "keyword_hits", "keyword_key", "keyword_regex", "regex_hits"]

SEP = "\x00"
"""The separator put before every turn of the joined corpus."""


def keyword_regex(keyword: str) -> str:
    r"""Return the regex a keyword rule stands for (compile it with ``re.IGNORECASE``).

    Examples
    --------
    >>> keyword_regex("open  book")
    '(?<!\\w)open\\s+book(?!\\w)'
    >>> [m.group() for m in re.finditer(keyword_regex("open book"),
    ...                                  "Open book, open-book, open\nbooks", re.I)]
    ['Open book']
    """
    return r"(?<!\w)" + r"\s+".join(map(re.escape, keyword.split())) + r"(?!\w)"


def keyword_key(text: str) -> str:
    """Return the key of a keyword (or matched text): case-folded, whitespace runs as one space.

    Two keywords with one key match the same text.

    Examples
    --------
    >>> keyword_key("Open\\n  BOOK"), keyword_key("ſtraße") == keyword_key("STRAßE")
    ('open book', True)
    """
    return " ".join(re_fold(text).split())


def _fold_corpus(text: str) -> str | None:
    """Fold the joined corpus fast (``str.lower`` in C); ``None`` if that would not be exact."""
    if text.isascii():
        return text.lower()
    tables = fold_tables()
    if tables.unsafe.search(text):
        return None
    low = text.lower()
    if len(low) != len(text):  # pragma: no cover - excluded by the unsafe set
        return None
    if tables.noncanon is not None and tables.noncanon.search(low):
        low = low.translate(tables.translate)
    return low


# --------------------------------------------------------------------------- the trie


def _trie_regex(keys: Sequence[str]) -> str:
    """One regex matching any of ``keys`` (folded, single-spaced), longest first."""
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict[str, Any]) -> str:
        alts = [
            (r"\s+" if ch == " " else re.escape(ch)) + emit(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return emit(trie)


def join_turns(texts: Sequence[str]) -> tuple[str, np.ndarray]:
    """Join turn texts with :data:`SEP` before each; return the string and each turn's start.

    Examples
    --------
    >>> joined, starts = join_turns(["Yes.", "No!"])
    >>> joined, starts.tolist()
    ('\\x00Yes.\\x00No!', [1, 6])
    """
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(np.concatenate([[1], lens[:-1] + 1])) if len(texts) else lens
    return SEP + SEP.join(texts), starts.astype(np.int64)


def keyword_hits(
    joined: str, keys: list[str], *, engine: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find every whole-word, case-insensitive match of every keyword, in one scan.

    Parameters
    ----------
    joined
        The turns joined by :func:`join_turns`.
    keys
        Distinct keyword keys (:func:`keyword_key`).
    engine
        ``"hyperscan"`` (:mod:`dsr_workbench.coding.textscan_engine`), ``"python"`` (one
        ``re`` scan of a trie regex) or ``"auto"`` (Hyperscan when installed); ``None`` reads
        the environment variable ``DSR_AUTOCODE_ENGINE`` (default ``auto``). Both engines
        give the same matches.

    Returns
    -------
    starts, ends, which
        Offsets into ``joined`` and the index in ``keys`` of every match (overlapping matches
        of different keys included; one key's matches do not overlap, as ``re.finditer``
        gives them), in no particular order.

    Examples
    --------
    >>> joined, _ = join_turns(["Supply chain: the supply-chain team.", "CHAIN"])
    >>> keys = [keyword_key(k) for k in ["supply chain", "supply", "chain"]]
    >>> sorted((int(s), joined[s:e], keys[k]) for s, e, k in zip(*keyword_hits(joined, keys)))
    ... # doctest: +NORMALIZE_WHITESPACE
    [(1, 'Supply', 'supply'), (1, 'Supply chain', 'supply chain'), (8, 'chain', 'chain'),
     (19, 'supply', 'supply'), (26, 'chain', 'chain'), (38, 'CHAIN', 'chain')]
    """
    if engine_name(engine) == "hyperscan":
        fast = hyperscan_keyword_hits(joined, keys)
        if fast is not None:
            return _one_key_no_overlap(*fast)
    return _one_key_no_overlap(*_python_keyword_hits(joined, keys))


def _one_key_no_overlap(
    starts: Any, ends: Any, which: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop a key's matches that overlap its previous one, as ``re.finditer`` would skip them.

    Only keys with non-word characters inside can overlap themselves (``a-a`` in ``a-a-a``).
    """
    s, e, k = (np.asarray(x, dtype=np.int64) for x in (starts, ends, which))
    order = np.lexsort((s, k))
    so, eo, ko = s[order], e[order], k[order]
    clash = np.flatnonzero((ko[1:] == ko[:-1]) & (so[1:] < eo[:-1])) + 1
    if not len(clash):
        return s, e, k
    keep = np.ones(len(s), dtype=bool)
    for key in np.unique(ko[clash]).tolist():
        rows = np.flatnonzero(ko == key)
        last = -1
        for r in rows.tolist():
            if so[r] < last:
                keep[order[r]] = False
            else:
                last = int(eo[r])
    return s[keep], e[keep], k[keep]


def _python_keyword_hits(joined: str, keys: list[str]) -> tuple[list[int], list[int], list[int]]:
    """The pure-Python scan: one ``re`` trie regex over the folded corpus."""
    folded = _fold_corpus(joined)
    flags = 0
    haystack = joined if folded is None else folded
    if folded is None:  # rare characters (e.g. U+0130): let re fold case itself
        flags = re.IGNORECASE
    index = {k: i for i, k in enumerate(keys)}
    finder = re.compile(r"\W(?=(" + _trie_regex(keys) + r")(?!\w))", flags)
    # keys that are a whole-word prefix of another key can match where the longer one does
    prefixes: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        for j, other in enumerate(keys):
            if i != j and other.startswith(key) and len(other) > len(key):
                prefixes.setdefault(j, []).append(i)
    singles = {
        i: re.compile(_trie_regex([keys[i]]) + r"(?!\w)", flags)
        for i in {i for ps in prefixes.values() for i in ps}
    }
    starts: list[int] = []
    ends: list[int] = []
    which: list[int] = []
    cache: dict[str, int] = {}
    for m in finder.finditer(haystack):
        s, e = m.span(1)
        text = haystack[s:e]
        k = index.get(text) if folded is not None else None
        if k is None:
            k = cache.get(text)
            if k is None:
                k = cache[text] = index[keyword_key(text)]
        starts.append(s)
        ends.append(e)
        which.append(k)
        for p in prefixes.get(k, ()):
            hit = singles[p].match(haystack, s)
            if hit:
                starts.append(s)
                ends.append(hit.end())
                which.append(p)
    return starts, ends, which


# --------------------------------------------------------------------------- regex rules


def _joinable(pattern: str) -> bool:
    """Whether a regex gives the same matches on the NUL-joined turns as on each turn."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    unsafe_ops = {c.ASSERT, c.ASSERT_NOT, c.ATOMIC_GROUP, c.POSSESSIVE_REPEAT}
    safe_at = {c.AT_BOUNDARY, c.AT_NON_BOUNDARY}

    def parts(av: Any) -> Iterator[Any]:
        if isinstance(av, _parser.SubPattern):
            yield av
        elif isinstance(av, (tuple, list)):
            for x in av:
                yield from parts(x)

    def ok(sub: Any) -> bool:
        for op, av in sub:
            if op in unsafe_ops or (op is c.AT and av not in safe_at):
                return False
            if not all(ok(child) for child in parts(av)):
                return False
        return True

    try:
        return ok(_parser.parse(pattern, re.IGNORECASE))
    except Exception:  # pragma: no cover - private API changed: be safe
        return False


def regex_hits(
    pattern: str, texts: Sequence[str], joined: str, jstart: np.ndarray
) -> tuple[list[int], list[int], list[int]]:
    """Find every non-empty match of a regex (``re.IGNORECASE``) in each turn.

    Parameters
    ----------
    pattern
        A Python regex.
    texts
        The turn texts.
    joined, jstart
        From :func:`join_turns` of ``texts``.

    Returns
    -------
    turns, starts, ends
        Turn index and offsets within the turn of every match, as ``re.finditer`` over each
        turn would give them (not necessarily in turn order).

    Examples
    --------
    >>> texts = ["Audit done", "audits. Re-audit"]
    >>> joined, jstart = join_turns(texts)
    >>> sorted(zip(*regex_hits(r"\\baudit\\w*", texts, joined, jstart)))
    [(0, 0, 5), (1, 0, 6), (1, 11, 16)]
    >>> sorted(zip(*regex_hits(r"^\\w+", texts, joined, jstart)))  # anchored: turn by turn
    [(0, 0, 5), (1, 0, 6)]
    """
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    rx = re.compile(pattern, re.IGNORECASE)
    turn: list[int] = []
    starts: list[int] = []
    ends: list[int] = []

    def scan_turn(k: int) -> None:
        for m in rx.finditer(texts[k]):
            if m.end() > m.start():
                turn.append(k)
                starts.append(m.start())
                ends.append(m.end())

    if not _joinable(pattern):
        for k in range(len(texts)):
            scan_turn(k)
        return turn, starts, ends
    spans = np.array(
        [m.span() for m in rx.finditer(joined) if m.end() > m.start()], dtype=np.int64
    ).reshape(-1, 2)
    s, e = spans[:, 0], spans[:, 1]
    ts = np.searchsorted(jstart, s, side="right") - 1
    tend = np.where(ts >= 0, jstart[np.maximum(ts, 0)] + lens[np.maximum(ts, 0)], -1)
    cross = (ts < 0) | (e > tend)
    redo: set[int] = set()
    for a, b, t0, te in zip(s[cross], e[cross], ts[cross], tend[cross], strict=True):
        first = t0 if a < te else t0 + 1
        last = np.searchsorted(jstart, b - 1, side="right") - 1
        redo.update(range(max(int(first), 0), int(last) + 1))
    keep = ~cross & ~np.isin(ts, np.fromiter(redo, dtype=np.int64, count=len(redo)))
    turn.extend(ts[keep].tolist())
    starts.extend((s[keep] - jstart[ts[keep]]).tolist())
    ends.extend((e[keep] - jstart[ts[keep]]).tolist())
    for k in sorted(redo):
        scan_turn(k)
    return turn, starts, ends
