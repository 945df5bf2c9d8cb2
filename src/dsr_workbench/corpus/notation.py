"""How transcript files are named and written down, shared by the readers and the writers.

The format names by file suffix (:data:`FORMATS`, :func:`format_of`), the speaker patterns of
the plain-text variants (:data:`TEXT_VARIANTS`), and timestamps (:func:`parse_time`,
:func:`format_time`). :mod:`dsr_workbench.corpus.formats` re-exports them beside its readers;
:mod:`dsr_workbench.corpus.write` writes files in these conventions.
"""

from __future__ import annotations

import re
from pathlib import Path

from dsr_workbench.core.errors import InputError

__all__ = [
    "FORMATS",
    "TEXT_VARIANTS",
    "format_of",
    "format_time",
    "parse_time",
    "utf16_order",
]

FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
    ".vtt": "vtt",
    ".srt": "srt",
}
"""File suffix -> format name."""

_NAME = r"[^\W\d_][\w .'’\-]{0,39}?"
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"

TEXT_VARIANTS: dict[str, re.Pattern[str]] = {
    "bracket_time": re.compile(rf"^\[(?P<ts>{_TS})\]\s*(?P<name>{_NAME})\s*:\s*(?P<text>.*)$"),
    "paren_time": re.compile(rf"^(?P<name>{_NAME})\s*\((?P<ts>{_TS})\)\s*:\s*(?P<text>.*)$"),
    "at": re.compile(rf"^@(?P<name>{_NAME})\s*:\s*(?P<text>.*)$"),
    "bracket_name": re.compile(rf"^\[(?P<name>{_NAME})\]\s*:?\s*(?P<text>.*)$"),
    "colon": re.compile(rf"^(?:\*\*)?(?P<name>{_NAME})(?:\*\*)?\s*:(?:\*\*)?(?:\s+(?P<text>.*)|$)"),
    "speaker_line": re.compile(
        rf"^(?:#{{1,6}}\s+(?P<name>{_NAME})\s*:?|\*\*(?P<bname>{_NAME})\s*:?\*\*"
        rf"|(?P<oname>{_NAME})\s{{2,}}(?P<ts>{_TS}))\s*$"
    ),
}
"""Speaker patterns of plain-text transcripts, in order of preference on a tie."""


def format_of(path: str | Path) -> str:
    """Return the format name of a transcript file from its suffix.

    Examples
    --------
    >>> format_of("interviews/I01.TXT"), format_of("a.vtt")
    ('txt', 'vtt')
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"unsupported transcript format '{suffix or '(no suffix)'}'",
            path=path,
            hint="use one of " + ", ".join(sorted(FORMATS)),
        )
    return FORMATS[suffix]


def parse_time(value: str) -> float:
    """Parse ``hh:mm:ss[.fff]``, ``mm:ss`` or ``h:mm:ss,fff`` into seconds.

    Examples
    --------
    >>> parse_time("01:02:03.5"), parse_time("2:05"), parse_time("00:00:01,250")
    (3723.5, 125.0, 1.25)
    """
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def format_time(seconds: float, sep: str = ".") -> str:
    """Format seconds as ``hh:mm:ss.mmm`` (``sep=","`` for SubRip).

    Examples
    --------
    >>> format_time(3723.5), format_time(1.25, ",")
    ('01:02:03.500', '00:00:01,250')
    """
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"


def utf16_order(
    data: bytes, *, nul_share: float = 0.5, stray_share: float = 0.02, min_pairs: int = 1
) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` if ``data`` look like UTF-16 text without a BOM.

    Text that is mostly Latin has a NUL as the high byte of nearly every character: at odd
    offsets (little-endian) or even ones (big-endian), and almost never at the others. At
    least ``nul_share`` of the byte pairs must carry the NUL on one side, at most
    ``stray_share`` on the other; the transcript reader uses the strict defaults, the leak
    scanner a looser test (it would rather decode a file one way too many than miss a name).

    Examples
    --------
    >>> utf16_order("Kim: Hallo\\n".encode("utf-16-le"))
    'utf-16-le'
    >>> utf16_order("Kim: Hallo\\n".encode("utf-16-be"))
    'utf-16-be'
    >>> utf16_order(b"PK\\x03\\x04\\x00\\x00binary") is None
    True
    """
    sample = data[: 1 << 16]
    sample = sample[: len(sample) // 2 * 2]
    pairs = len(sample) // 2
    if pairs < max(1, min_pairs):
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= nul_share * pairs and even <= stray_share * pairs:
        return "utf-16-le"
    if even >= nul_share * pairs and odd <= stray_share * pairs:
        return "utf-16-be"
    return None
