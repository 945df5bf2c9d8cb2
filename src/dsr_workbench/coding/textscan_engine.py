"""The fast keyword scan: Hyperscan finds candidate matches, numpy keeps the true ones.

:func:`dsr_workbench.coding.textscan.keyword_hits` uses this engine when the ``hyperscan``
package is importable (and not turned off, see :func:`engine_name`); its pure-Python scan is
the fallback, and the two give the same matches (``tests/coding/test_textscan.py`` checks it
on random Unicode text).

How it works
    The NUL-joined corpus is encoded as Latin-1 when it fits (a copy of the string's own
    bytes; byte offsets are then code-point offsets) and as UTF-8 otherwise. Every keyword key
    becomes one byte-level Hyperscan pattern: each character is the alternation of the
    encodings of every character ``re.IGNORECASE`` takes as equal to it (``s`` is
    ``[sS]|ſ``, ``k`` is ``[kK]|K``, ``i`` is ``[iI]|ı|İ``; the classes of
    :func:`dsr_workbench.coding.casefold.re_fold`), a space is a run of any of the characters
    Python's ``\\s`` matches, and an ASCII word character at either end gets an ASCII ``\\b``
    beside it. That pattern set matches a superset of the true matches (its only looseness
    is at word boundaries next to non-ASCII characters) and is scanned once, in C. The
    candidates are then checked with numpy: the characters either side are not word
    characters (``str.isalnum`` or ``_``, like Python's ``\\w``; a 256-entry table for bytes,
    ``str`` for the few non-ASCII neighbours of UTF-8 text), and byte offsets are turned into
    code points with the positions of the UTF-8 continuation bytes (one ``searchsorted``).
    Hyperscan reports each candidate to a Python callback as (pattern, end offset); a word's
    start is its end minus its length in code points, while phrases (whose whitespace runs
    vary) are a second database that also reports the leftmost start (asking for starts slows
    every pattern of a database, so the words' database does not).
When it steps aside
    Text that encodes neither way (lone surrogates) or a pattern set Hyperscan rejects: the
    caller then uses the Python scan, which gives the same matches.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from dsr_workbench.coding.casefold import fold_tables, re_fold

__all__ = ["ENGINE_ENV", "engine_available", "engine_name", "hyperscan_keyword_hits"]

ENGINE_ENV = "DSR_AUTOCODE_ENGINE"
"""Environment variable choosing the keyword engine: ``hyperscan``, ``python`` or ``auto``."""

ENGINES = ("auto", "hyperscan", "python")


@functools.cache
def _hyperscan() -> Any:
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - depends on the platform's wheels
        return None
    return hyperscan


def engine_available() -> bool:
    """Whether the Hyperscan engine can be used (the ``hyperscan`` package imports).

    Examples
    --------
    >>> isinstance(engine_available(), bool)
    True
    """
    return _hyperscan() is not None


def engine_name(engine: str | None = None) -> str:
    """Resolve an engine choice to ``"hyperscan"`` or ``"python"``.

    Parameters
    ----------
    engine
        ``"auto"`` (Hyperscan when available), ``"hyperscan"`` or ``"python"``; ``None``
        reads :data:`ENGINE_ENV` (default ``auto``).

    Raises
    ------
    DsrError
        An unknown engine name, or ``"hyperscan"`` asked for where it cannot be imported.

    Examples
    --------
    >>> engine_name("python")
    'python'
    """
    from dsr_workbench.core.errors import DsrError

    source = "engine="
    if engine is None:
        engine = os.environ.get(ENGINE_ENV, "").strip().lower() or "auto"
        source = f"environment variable {ENGINE_ENV}"
    if engine not in ENGINES:
        raise DsrError(
            f"unknown auto-coding engine {engine!r} (from {source})",
            hint=f"use one of {', '.join(ENGINES)}",
        )
    if engine == "auto":
        return "hyperscan" if engine_available() else "python"
    if engine == "hyperscan" and not engine_available():
        raise DsrError(
            "the hyperscan auto-coding engine is not installed",
            hint="pip install hyperscan, or use engine='python'",
        )
    return engine


# --------------------------------------------------------------------------- character classes


@functools.cache
def _classes() -> tuple[dict[int, tuple[int, ...]], tuple[int, ...]]:
    """Case classes (fold -> members, for folds with more than one member) and ``\\s`` chars."""
    import _sre

    canon = fold_tables().canon
    groups: dict[int, list[int]] = {}
    space = re.compile(r"\s")
    spaces = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        low = _sre.unicode_tolower(cp)
        folded = canon.get(low, low)
        if folded != cp:
            groups.setdefault(folded, []).append(cp)
        if cp < 0x3100 and space.match(chr(cp)):
            spaces.append(cp)
    for folded, members in groups.items():
        low = _sre.unicode_tolower(folded)
        if canon.get(low, low) == folded:
            members.append(folded)
    return {f: tuple(sorted(m)) for f, m in groups.items()}, tuple(spaces)


def _byte(b: int) -> str:
    return f"\\x{b:02x}"


def _alternation(members: Sequence[int], encoding: str, *, before: bool, after: bool) -> str | None:
    """Pattern for one of ``members``; ASCII word characters get ``\\b`` where asked.

    ``None`` if no member can be encoded (the text cannot hold any of them).
    """
    single: list[int] = []
    word: list[int] = []
    multi: list[str] = []
    for cp in members:
        try:
            raw = chr(cp).encode(encoding)
        except UnicodeEncodeError:
            continue  # the text cannot hold it in this encoding
        if len(raw) > 1:
            multi.append("".join(map(_byte, raw)))
        elif cp < 128 and (chr(cp).isalnum() or cp == 0x5F):
            word.append(cp)
        else:
            single.append(cp)
    alts = []
    if word:
        body = "[" + "".join(map(_byte, word)) + "]"
        alts.append(("\\b" if before else "") + body + ("\\b" if after else ""))
    if single:
        alts.append("[" + "".join(map(_byte, single)) + "]")
    alts.extend(multi)
    if not alts:
        return None
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


def _pattern(key: str, encoding: str) -> bytes | None:
    """The byte-level Hyperscan pattern of a keyword key (see the module docstring).

    ``None`` if one of the key's characters cannot be encoded: the key cannot match.
    """
    groups, spaces = _classes()
    out = []
    for i, ch in enumerate(key):
        if ch == " ":
            part = _alternation(spaces, encoding, before=False, after=False)
            out.append(f"(?:{part})+")
            continue
        members = groups.get(ord(re_fold(ch)), (ord(ch),))
        part = _alternation(members, encoding, before=i == 0, after=i == len(key) - 1)
        if part is None:
            return None
        out.append(part)
    return "".join(out).encode("ascii")


@functools.lru_cache(maxsize=8)
def _databases(keys: tuple[str, ...], encoding: str) -> list[tuple[Any, bool]]:
    """Compiled databases and the key index of each pattern: words, and phrases (with SOM).

    Phrases get a database of their own because asking for the start of match (SOM) slows
    the scan of every pattern in a database.
    """
    hs = _hyperscan()
    out = []
    patterns = [_pattern(k, encoding) for k in keys]
    for som in (False, True):
        ids = [i for i, k in enumerate(keys) if (" " in k) == som and patterns[i] is not None]
        if not ids:
            continue
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        db.compile(
            expressions=[patterns[i] for i in ids],
            ids=ids,
            elements=len(ids),
            flags=hs.HS_FLAG_SOM_LEFTMOST if som else 0,
        )
        out.append((db, som))
    return out


@functools.cache
def _word_bytes() -> np.ndarray:
    """Whether each Latin-1 character is a word character (``\\w``)."""
    return np.array([chr(b).isalnum() or b == 0x5F for b in range(256)], dtype=bool)


# --------------------------------------------------------------------------- the scan


def hyperscan_keyword_hits(
    joined: str, keys: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`dsr_workbench.coding.textscan.keyword_hits` with Hyperscan, before de-overlapping.

    Returns
    -------
    starts, ends, which
        Code-point offsets into ``joined`` and key index of every whole-word match (overlapping
        matches of one key included), or ``None`` where the engine cannot run (not installed,
        text that does not encode, such as lone surrogates).
    """
    if _hyperscan() is None or not keys:
        return None
    try:
        data = joined.encode("latin-1")
        encoding = "latin-1"
    except UnicodeEncodeError:
        try:
            data = joined.encode("utf-8")
        except UnicodeEncodeError:
            return None
        encoding = "utf-8"
    ids: list[int] = []
    froms: list[int] = []
    tos: list[int] = []
    add_id, add_from, add_to = ids.append, froms.append, tos.append

    def found(i: int, s: int, e: int, flags: int, context: object) -> None:
        add_id(i)
        add_to(e)

    def found_som(i: int, s: int, e: int, flags: int, context: object) -> None:
        add_id(i)
        add_from(s)
        add_to(e)

    try:
        databases = _databases(tuple(keys), encoding)
    except _hyperscan().error:  # pragma: no cover - e.g. a pattern set too large to compile
        return None
    # Scan with a NUL after the text: Hyperscan 0.9.1 (block mode, several patterns) can miss
    # a match whose ``\b`` falls on the end of the buffer once the buffer is 17 bytes or
    # longer (``[.][1]\b`` and ``[.][Aa]\b`` find nothing in ``b"1" * 15 + b".A"``). A NUL
    # is in no pattern, so every match ends inside the text, and there the boundary is
    # ordinary; the text starts with a NUL already (:func:`~.textscan.join_turns`).
    padded = data + b"\x00"
    for db, som in databases:
        db.scan(padded, match_event_handler=found_som if som else found)
        froms.extend([0] * (len(tos) - len(froms)))  # words: start from the length below
    which = np.array(ids, dtype=np.int64)
    bstart = np.array(froms, dtype=np.int64)
    bend = np.array(tos, dtype=np.int64)
    nchars = np.array([len(k) for k in keys], dtype=np.int64)
    phrase = np.array([" " in k for k in keys], dtype=bool)
    raw = np.frombuffer(data, dtype=np.uint8)
    size = len(raw)
    if encoding == "latin-1":
        start = np.where(phrase[which], bstart, bend - nchars[which])
        end = bend
        bstart = start
    else:
        high = np.flatnonzero(raw >= 0x80)
        cont = high[raw[high] < 0xC0]  # byte offsets of continuation bytes
        end = bend - np.searchsorted(cont, bend)
        start = np.where(phrase[which], bstart - np.searchsorted(cont, bstart), end - nchars[which])
        shifted = cont - np.arange(len(cont))
        bstart = start + np.searchsorted(shifted, start, side="right")
    word = _word_bytes()
    # the character before the start and the one at the end must not be word characters
    prev = raw[np.maximum(bstart - 1, 0)]
    nxt = raw[np.minimum(bend, size - 1)]
    ok_prev = (bstart == 0) | ~word[prev]
    ok_next = (bend >= size) | ~word[nxt]
    if encoding == "utf-8":
        for rows, offset, ok in (
            (np.flatnonzero((bstart > 0) & (prev >= 0x80)), start - 1, ok_prev),
            (np.flatnonzero((bend < size) & (nxt >= 0x80)), end, ok_next),
        ):
            for r in rows.tolist():
                ch = joined[int(offset[r])]
                ok[r] = not (ch.isalnum() or ch == "_")
    keep = ok_prev & ok_next
    return start[keep], end[keep], which[keep]
