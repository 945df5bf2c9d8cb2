"""Matching a key's real names in text, however it is spelled or escaped.

:class:`LeakScanner` compiles a key once into one trie-shaped regex over *folded* text
(:func:`fold`: case, accents, typographic apostrophes, quotes and hyphens, one character for
one), where the words of a term may be apart by any run of whitespace (double spaces, line
breaks, ``\\r\\n``, NBSP). Before matching, escapes are decoded - HTML entities (also
escaped twice), ``\\uXXXX`` (surrogate pairs too), ``\\xNN``, ``%NN``, ``\\n`` - and
invisible characters dropped (soft hyphen, zero-width and bidi marks, combining accents, ANSI
colour codes); the offsets of a hit still point into the text as given, and an escaped line
break never adds a line. :class:`TextScan` scans text fed in pieces (big files are streamed)
and reports each hit with its line and column. :mod:`dsr_workbench.corpus.leaks` uses it for
files of every kind.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Protocol

__all__ = ["Emit", "Key", "LeakScanner", "Term", "TextScan", "fold", "scan_text", "scanner_for"]


class Term(Protocol):
    """What matching needs of a key term (:class:`~dsr_workbench.corpus.pseudonymise.KeyTerm`)."""

    @property
    def real(self) -> str: ...

    @property
    def pseudonym(self) -> str: ...

    @property
    def kind(self) -> str: ...


class Key(Protocol):
    """What matching needs of a key (:class:`~dsr_workbench.corpus.pseudonymise.PseudonymKey`)."""

    @property
    def terms(self) -> Sequence[Term]: ...

    def __hash__(self) -> int: ...


# --------------------------------------------------------------------------- folding

_FOLD_EXTRA = {
    # letters that carry no combining mark but are "accented" to a reader
    "ø": "o",
    "Ø": "o",
    "đ": "d",
    "Đ": "d",
    "ł": "l",
    "Ł": "l",
    "ħ": "h",
    "Ħ": "h",
    "ı": "i",
    "ŧ": "t",
    "Ŧ": "t",
    # typographic apostrophes and quotes
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u02bc\u02b9\u2032\u00b4`\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\uff02", '"'),
    # hyphens and dashes
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d", "-"),
}


def _fold_char(char: str) -> str:
    char = _FOLD_EXTRA.get(char, char)
    base = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in base if not unicodedata.combining(c)) or char
    low = base.lower()
    return low if len(low) == 1 else (base if len(base) == 1 else char)


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds each new character once, when first met."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Case- and accent-fold ``text`` one character at a time, keeping its length.

    Each character maps to exactly one character, so offsets into the folded text are
    offsets into the original. Typographic apostrophes, quotes and hyphens fold to their
    ASCII forms.

    Examples
    --------
    >>> fold("Tomás ÖZ Søren O’Brien"), len(fold("Straße")) == len("Straße")
    ("tomas oz soren o'brien", True)
    """
    if text.isascii():
        low = text.lower()
        return low.replace("`", "'") if "`" in low else low
    return text.translate(_FOLD)


# --------------------------------------------------------------------------- escapes

_INVISIBLE = (
    "\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\u0300-\u036f"
)
# One character class first, so that the regex engine skips ahead fast to a candidate.
_ESCAPE = re.compile(
    rf"[&\\%\x1b{_INVISIBLE}]"
    r"(?:(?<=&)(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?"
    r"|(?<=\\)(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}(?:\\x[0-9a-fA-F]{2})*|[nrt])"
    r"|(?<=%)[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*"
    r"|(?<=\x1b)\[[0-9;?]*[ -/]*[@-~]"
    rf"|(?<=[{_INVISIBLE}])[{_INVISIBLE}]*)"
)
_LINE_CHARS = "\r\n\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _flat(text: str) -> str:
    """Decoded text on one line: an escaped line break must not shift line numbers."""
    return "".join(" " if c in _LINE_CHARS or unicodedata.category(c) == "Cc" else c for c in text)


def _bytes_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@lru_cache(maxsize=8192)
def _unescape(token: str) -> str | None:
    """The text an escape stands for (``None``: leave it; ``""``: an invisible character)."""
    first = token[0]
    if first == "&":
        out = html.unescape(token)
        return None if out == token else _flat(out)
    if first == "\\":
        kind = token[1]
        if kind in "nrt":
            return " "
        if kind == "x":
            return _flat(_bytes_text(bytes.fromhex(token.replace("\\x", ""))))
        if len(token) == 12:  # a surrogate pair
            high, low = int(token[2:6], 16), int(token[8:12], 16)
            return _flat(chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)))
        code = int(token[2:], 16)
        return None if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else _flat(chr(code))
    if first == "%":
        return _flat(_bytes_text(bytes.fromhex(token.replace("%", ""))))
    return ""  # ANSI codes, zero-width and combining characters


@dataclass
class _OffsetMap:
    """Positions of one decoding pass: decoded offset -> offset before decoding."""

    new_start: list[int]
    new_end: list[int]
    old_start: list[int]
    old_end: list[int]

    def start(self, pos: int) -> int:
        i = bisect_right(self.new_start, pos) - 1
        if i < 0:
            return pos
        if pos < self.new_end[i]:
            return self.old_start[i]
        return self.old_end[i] + pos - self.new_end[i]

    def end(self, pos: int) -> int:
        i = bisect_left(self.new_start, pos) - 1
        if i < 0:
            return pos
        if pos <= self.new_end[i]:
            return self.old_end[i]
        return self.old_end[i] + pos - self.new_end[i]


def _decode_once(text: str) -> tuple[str, _OffsetMap] | None:
    pieces: list[str] = []
    offsets = _OffsetMap([], [], [], [])
    last = shift = 0
    for found in _ESCAPE.finditer(text):
        replacement = _unescape(found.group(0))
        if replacement is None:
            continue
        start, end = found.span()
        pieces.append(text[last:start])
        pieces.append(replacement)
        offsets.new_start.append(start + shift)
        offsets.new_end.append(start + shift + len(replacement))
        offsets.old_start.append(start)
        offsets.old_end.append(end)
        shift += len(replacement) - (end - start)
        last = end
    if not offsets.new_start:
        return None
    pieces.append(text[last:])
    return "".join(pieces), offsets


def _keep_or_decode(found: re.Match[str]) -> str:
    token = found.group(0)
    replacement = _unescape(token)
    return token if replacement is None else replacement


def _decode_fast(text: str) -> str:
    """What :func:`_decode_escapes` decodes, without the offset maps (a quick first pass)."""
    for _ in range(3):
        if _ESCAPE.search(text) is None:
            break
        decoded = _ESCAPE.sub(_keep_or_decode, text)
        if decoded == text:
            break
        text = decoded
    return text


def _decode_escapes(text: str) -> tuple[str, list[_OffsetMap]]:
    """Decode escapes (up to three times: ``&amp;#39;``), with the maps back to ``text``."""
    maps: list[_OffsetMap] = []
    for _ in range(3):
        decoded = _decode_once(text)
        if decoded is None:
            break
        text, offsets = decoded
        maps.append(offsets)
    return text, maps


# --------------------------------------------------------------------------- the matcher

_WS = object()  # a run of whitespace between two words of a term
_END = object()


def _collapse(folded: str) -> str:
    return " ".join(folded.split())


def _trie_regex(node: dict[Any, Any]) -> str:
    branches = []
    for token in sorted((t for t in node if t is not _END and t is not _WS), key=str):
        branches.append(re.escape(token) + _trie_regex(node[token]))
    if _WS in node:
        branches.append(r"\s+" + _trie_regex(node[_WS]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:  # greedy: the longer term is tried first
        return f"(?:{body})?" if len(branches) == 1 else body + "?"
    return body


class LeakScanner:
    """A key compiled once: find its terms in any text, whole words only.

    Parameters
    ----------
    terms
        The key's terms (:attr:`PseudonymKey.terms`), longest first.

    Examples
    --------
    >>> from dsr_workbench.corpus.pseudonymise import KeyTerm
    >>> scan = LeakScanner([KeyTerm("Jörg Berger", "Hannah", "person", None)])
    >>> [(s, e, t.pseudonym) for s, e, t in scan.find("Hi J\\\\u00f6rg\\r\\n  BERGER!")]
    [(3, 22, 'Hannah')]
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        self.lookup: dict[str, Term] = {}
        for term in terms:
            self.lookup.setdefault(_collapse(fold(term.real)), term)
        trie: dict[Any, Any] = {}
        for text in self.lookup:
            node = trie
            for word_no, word in enumerate(text.split(" ")):
                if word_no:
                    node = node.setdefault(_WS, {})
                for char in word:
                    node = node.setdefault(char, {})
            node[_END] = True
        body = _trie_regex(trie) or "(?!)"
        self.pattern: re.Pattern[str] = re.compile(rf"(?<!\w){body}(?!\w)")
        """Matches a term in folded text (not escape-decoded)."""
        # without the look-behind, the engine skips fast to a term's first letter; the
        # word start is then checked by hand (see :meth:`matches`)
        self._fast = re.compile(rf"{body}(?!\w)")

    def matches(self, folded: str) -> Iterator[re.Match[str]]:
        """What ``pattern.finditer(folded)`` yields, faster."""
        pos, search = 0, self._fast.search
        while (found := search(folded, pos)) is not None:
            start = found.start()
            if start and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
                found = self.pattern.search(folded, start + 1)  # a later start, if any
                if found is None:
                    return
            yield found
            pos = found.end() if found.end() > found.start() else found.end() + 1

    def term(self, folded_match: str) -> Term:
        """The term a match of :attr:`pattern` stands for."""
        return self.lookup[_collapse(folded_match)]

    def find(self, text: str) -> Iterator[tuple[int, int, Term]]:
        """Yield ``(start, end, term)`` of every term in ``text``, offsets into ``text``.

        Escapes are decoded first; the offsets still point into ``text`` as given.
        """
        if next(self.matches(fold(_decode_fast(text))), None) is None:
            return  # the common case: no hit, no offsets needed
        decoded, maps = _decode_escapes(text)
        for found in self.matches(fold(decoded)):
            start, end = found.span()
            for offsets in reversed(maps):
                start, end = offsets.start(start), offsets.end(end)
            yield start, end, self.term(found.group(0))

    def redact(self, text: str) -> str:
        """``text`` with every term replaced by its pseudonym (for names shown in reports)."""
        pieces, last = [], 0
        for start, end, term in self.find(text):
            if start < last:
                continue
            pieces.append(text[last:start])
            pieces.append(term.pseudonym)
            last = end
        pieces.append(text[last:])
        return "".join(pieces)


@lru_cache(maxsize=8)
def scanner_for(key: Key) -> LeakScanner:
    """The compiled :class:`LeakScanner` of a key (compiled once per key and process)."""
    return LeakScanner(key.terms)


# --------------------------------------------------------------------------- scanning text

Emit = Callable[[str, int, int, Term], None]


class TextScan:
    """Scan text fed in pieces; each hit is emitted with the line and column of the text.

    Pieces are gathered up to :attr:`chunk` characters, then scanned; the last
    :attr:`overlap` characters are scanned again with the next piece, so that no hit is
    lost or reported twice at the edge (a name spread over more characters than that may
    be missed).

    Parameters
    ----------
    scanner
        The compiled key.
    name
        The name hits are emitted with.
    emit
        Called as ``emit(name, line, column, term)``, both 1-based.
    """

    chunk: ClassVar[int] = 4 << 20
    overlap: ClassVar[int] = 4096

    def __init__(self, scanner: LeakScanner, name: str, emit: Emit) -> None:
        self.scanner, self.name, self.emit = scanner, name, emit
        self.buf = ""
        self.base = 0  # absolute offset of buf[0]
        self.lines = 0  # line breaks before buf[0]
        self.last_nl = -1  # absolute offset of the last line break before buf[0]
        self.accept_from = 0  # absolute offset before which hits were already reported

    def feed(self, piece: str, final: bool = False) -> None:
        """Add text; ``final``: it is the last piece."""
        buf = self.buf + piece
        if not final and len(buf) < 2 * self.overlap + self.chunk:
            self.buf = buf
            return
        limit = len(buf) if final else len(buf) - self.overlap
        pos, lines = 0, self.lines
        for start, end, term in self.scanner.find(buf):
            if start >= limit:
                break
            if self.base + start < self.accept_from:
                continue
            lines += buf.count("\n", pos, start)
            pos = start
            newline = buf.rfind("\n", 0, start)
            column = start - newline if newline >= 0 else self.base + start - self.last_nl
            self.emit(self.name, lines + 1, column, term)
            self.accept_from = self.base + end
        self.accept_from = max(self.accept_from, self.base + limit)
        keep = max(0, limit - 1)  # one character of context for the look-behind
        dropped = buf[:keep]
        newline = dropped.rfind("\n")
        if newline >= 0:
            self.last_nl = self.base + newline
        self.lines += dropped.count("\n")
        self.base += keep
        self.buf = buf[keep:]

    def close(self) -> None:
        """Scan what is left."""
        self.feed("", final=True)
        self.buf = ""


def scan_text(scanner: LeakScanner, name: str, text: str, emit: Emit) -> None:
    """Scan one whole text (see :class:`TextScan`)."""
    TextScan(scanner, name, emit).feed(text, final=True)
