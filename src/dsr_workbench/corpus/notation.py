"""How transcript files are named and written down, shared by the readers and the writers.

The format names by file suffix (:data:`FORMATS`, :func:`format_of`), the speaker patterns of
the plain-text variants (:data:`TEXT_VARIANTS`), what may be a speaker label
(:func:`clean_name`: :data:`ROLE_WORDS` may be written in lower case, :data:`NOT_SPEAKERS` are
prose), f4transkript time marks (:data:`F4_MARK`), timestamps (:func:`parse_time`,
:func:`sane_time`, :func:`format_time`) and the :class:`Utterance` every reader returns.
:mod:`dsr_workbench.corpus.formats` re-exports them beside its readers;
:mod:`dsr_workbench.corpus.write` writes files in these conventions.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from dsr_workbench.core.errors import InputError

__all__ = [
    "F4_MARK",
    "FORMATS",
    "MAX_TIME",
    "NOT_SPEAKERS",
    "ROLE_WORDS",
    "TEXT_VARIANTS",
    "Utterance",
    "clean_name",
    "fold_label",
    "format_of",
    "format_time",
    "parse_time",
    "sane_time",
    "utf16_order",
]

MAX_TIME = 100 * 3600.0
"""Latest time (seconds from the start of the recording) a transcript may give: 100 hours."""


@dataclass(frozen=True)
class Utterance:
    """One labelled stretch of speech as written in the file.

    Attributes
    ----------
    speaker
        The label as written (stripped); ``None`` for a cue that names no speaker.
    text
        The words, with the lines of one utterance joined by ``"\\n"`` (text formats) or a space
        (subtitle cues).
    line
        1-based line (paragraph for docx) where the utterance starts.
    t_start, t_end
        Seconds from the start of the recording, where the format has times.
    note
        The parenthesised part of a label such as ``Jane Roe (Org):`` (``"Org"``; Zoom writes
        display names so), kept beside the speaker rather than as part of it; ``None`` if the
        label has none.
    """

    speaker: str | None
    text: str
    line: int
    t_start: float | None = None
    t_end: float | None = None
    note: str | None = None


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
# a name on a line of its own beside a time may be written "Last, First" (MS Teams)
_LNAME = r"[^\W\d_][\w .,'’\-]{0,39}?"
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# "(Org)" after a name, as Zoom writes display names; not a time (that is paren_time)
_NOTE = r"\s*\((?P<note>[^()\d\s][^()]{0,59})\)"
# role abbreviations glued to their text, as German and Dutch conventions write them: "I:Ja"
_ABBR = r"(?P<abbr>[A-Z]{1,2}\d{0,2}):(?P<atext>[^\s/\\].*)"

TEXT_VARIANTS: dict[str, re.Pattern[str]] = {
    "bracket_time": re.compile(rf"^\[(?P<ts>{_TS})\]\s*(?P<name>{_NAME})\s*:\s*(?P<text>.*)$"),
    "paren_time": re.compile(rf"^(?P<name>{_NAME})\s*\((?P<ts>{_TS})\)\s*:\s*(?P<text>.*)$"),
    "at": re.compile(rf"^@(?P<name>{_NAME})\s*:\s*(?P<text>.*)$"),
    "bracket_name": re.compile(
        rf"^\[(?P<name>{_NAME})\]\s*:?\s*(?:(?P<ts>{_TS})\s*$|(?P<text>.*)$)"
    ),
    "colon": re.compile(
        rf"^(?:(?:\*\*)?(?P<name>{_NAME})(?:{_NOTE})?(?:\*\*)?\s*:(?:\*\*)?"
        rf"(?:\s+(?P<text>.*)|$)|{_ABBR}$)"
    ),
    "speaker_line": re.compile(
        rf"^(?:(?P<hashes>#{{1,6}})\s+(?P<hname>{_NAME})\s*:?|\*\*(?P<bname>{_NAME})\s*:?\*\*"
        rf"|(?P<oname>{_LNAME})(?:\s{{2,}}|\t)(?P<ts>{_TS}))\s*$"
    ),
    "bold": re.compile(rf"^\*\*(?P<name>{_NAME})\*\*(?:\s+(?P<text>\S.*))?$"),
    "time_speaker": re.compile(rf"^(?P<ts>{_TS})\s+(?P<oname>{_LNAME})\s*$"),
}
"""Speaker patterns of plain-text transcripts, in order of preference on a tie."""

ROLE_WORDS: frozenset[str] = frozenset(
    {
        "interviewer",
        "interviewerin",
        "interviewee",
        "respondent",
        "befragte",
        "befragter",
        "geïnterviewde",
        "moderator",
        "moderatorin",
        "facilitator",
        "participant",
        "researcher",
        "speaker",
        "host",
        "guest",
        "unknown",
        "q",
        "a",
    }
)
"""Labels (first word, folded) that count as speakers also when written in lower case
(``interviewer:``); other labels must start with a capital letter."""

NOT_SPEAKERS: frozenset[str] = frozenset(
    {
        "note",
        "notes",
        "example",
        "remark",
        "comment",
        "summary",
        "date",
        "time",
        "duration",
        "location",
        "place",
        "title",
        "subject",
        "topic",
        "project",
        "file",
        "source",
        "recording",
        "transcript",
        "transcription",
        "transcriber",
        "interview",
        "anmerkung",
        "hinweis",
        "beispiel",
        "datum",
        "ort",
        "dauer",
        "zeit",
        "thema",
        "datei",
        "aufnahme",
        "transkript",
        "opmerking",
        "voorbeeld",
        "plaats",
        "duur",
        "tijd",
        "onderwerp",
        "bestand",
        "opname",
        # sounds and events, as subtitles write them: "[Music]", "[Laughter]"
        "music",
        "applause",
        "laughter",
        "laughs",
        "laughing",
        "inaudible",
        "crosstalk",
        "silence",
        "noise",
        "pause",
        "musik",
        "lachen",
        "lacht",
        "unverständlich",
        "gelach",
        "onverstaanbaar",
    }
)
"""Words (a label's first word, folded) that begin prose, metadata or sound lines
(``Note: ...``, ``Date: 12 March``, ``# Transcript``, ``[Music]``), never speaker labels."""

F4_MARK = re.compile(r"\s*#(?P<ts>\d{1,2}:\d{2}:\d{2})(?:[-.,](?P<tenth>\d{1,3}))?#")
"""An f4transkript / f5 time mark such as ``#00:01:22-6#`` (``-6``: tenths of a second)."""

_MAX_NAME_WORDS = 4


def clean_name(name: str) -> str | None:
    """A speaker label as written, or ``None`` if ``name`` is not one.

    Labels are names: a few words (``approach is key:`` is prose), starting with a capital
    letter unless the first word is one of :data:`ROLE_WORDS`, and not starting with one of
    :data:`NOT_SPEAKERS`.

    Examples
    --------
    >>> clean_name("**Kim**"), clean_name("interviewer"), clean_name("the approach is key")
    ('Kim', 'interviewer', None)
    >>> clean_name("Note") is None
    True
    """
    name = name.strip().strip("*").strip()
    words = name.split()
    if not words or len(words) > _MAX_NAME_WORDS:
        return None
    first = unicodedata.normalize("NFC", words[0].casefold()).rstrip(",.")
    if first in NOT_SPEAKERS:
        return None
    if not name[0].isupper() and first not in ROLE_WORDS:
        return None
    return name


def sane_time(value: str, path: str | Path, line: int) -> float:
    """Seconds of a time as written in a transcript, refusing one that is not sane.

    Minutes and seconds (every field after the first) must be below 60, and the time at most
    :data:`MAX_TIME`.

    Examples
    --------
    >>> sane_time("01:02:03.5", "x.vtt", 3)
    3723.5
    >>> sane_time("00:61:00.000", "x.vtt", 3)
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: x.vtt:3: time '00:61:00.000' is not a time: minutes and seconds run from 0 to 59 (fix: write it as hh:mm:ss.mmm)
    """
    parts = value.strip().replace(",", ".").split(":")
    try:
        fields = [float(part) for part in parts]
    except ValueError:
        fields = [math.nan]
    if not all(math.isfinite(f) and f >= 0 for f in fields):
        raise InputError(
            f"time '{value}' is not a time", path=path, line=line, hint="write it as hh:mm:ss"
        )
    if any(f >= 60 for f in fields[1:]):
        raise InputError(
            f"time '{value}' is not a time: minutes and seconds run from 0 to 59",
            path=path,
            line=line,
            hint="write it as hh:mm:ss.mmm",
        )
    seconds = parse_time(value)
    if seconds > MAX_TIME:
        raise InputError(
            f"time '{value}' is past {MAX_TIME / 3600:g} hours",
            path=path,
            line=line,
            hint="times count from the start of the recording; correct the time",
        )
    return seconds


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


def fold_label(label: str) -> str:
    """Fold a speaker label for matching: NFKD without accents, case-folded, spaces squeezed.

    Examples
    --------
    >>> fold_label("  Tomás ") == fold_label("TOMAS")
    True
    """
    decomposed = unicodedata.normalize("NFKD", label)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
