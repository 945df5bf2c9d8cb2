"""Transcript file formats: decode, parse into utterances, and write.

Readers turn a file into a list of :class:`Utterance` (speaker, text, source line, times);
:mod:`dsr_workbench.corpus.read` merges them into turns and renders the normalised text. Writers
do the reverse, for exports, tests and the synthetic-corpus generator. The readers live here;
the writers in :mod:`dsr_workbench.corpus.write` and the suffix, speaker-pattern and timestamp
conventions both share in :mod:`dsr_workbench.corpus.notation` (all re-exported here).

Supported formats (``format`` names in brackets):

- plain text / Markdown (``txt``, ``md``), one *variant* per file, detected by which speaker
  pattern most lines follow:

  ============== =========================================
  variant        example
  ============== =========================================
  colon          ``Hannah: text`` (also ``**Hannah:** text``; ``Hannah:`` alone on a line,
                 followed by paragraphs)
  bracket_time   ``[00:01:02] Hannah: text``
  paren_time     ``Hannah (00:01:02): text``
  at             ``@Hannah: text``
  bracket_name   ``[Hannah]`` alone or before the text
  speaker_line   ``**Hannah**``, ``## Hannah`` or ``Hannah  0:03`` (Otter) alone on a line,
                 followed by paragraphs
  ============== =========================================

  Lines that match no speaker pattern continue the current utterance.
- Word (``docx``, via python-docx): paragraphs read as lines of text in the variants above;
  a document whose speakers sit in a table uses the table (speaker | text, or
  time | speaker | text).
- WebVTT (``vtt``, via webvtt-py): speakers from ``<v Name>`` voice tags or a ``Name:``
  prefix; a cue without a speaker continues the previous speaker's utterance.
- SubRip (``srt``, via webvtt-py): ``Name:`` prefix or voice tag, as for WebVTT.

Files are read as untrusted. A ``.docx`` is a zip archive: before python-docx opens it, its
members' declared sizes and ratios are checked and every member is inflated once
(:func:`dsr_workbench.corpus.word.open_docx`, limits ``MAX_DOCX_PART`` and ``MAX_DOCX_SIZE``),
so a "zip bomb" is refused instead of filling memory. A text file in UTF-16 without a
byte-order mark is recognised by its NUL bytes and decoded as such (with a warning); other NUL
bytes are refused. Times must be sane (minutes and seconds below 60, at most
:data:`MAX_TIME` seconds); cues that end before they start, or start before the previous cue
ends, are read with a :class:`~dsr_workbench.core.errors.DsrWarning` naming the first line.
"""

from __future__ import annotations

import html
import io
import math
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dsr_workbench.core.errors import DsrWarning, InputError
from dsr_workbench.corpus.notation import (
    _TS,
    FORMATS,
    TEXT_VARIANTS,
    format_of,
    format_time,
    parse_time,
    utf16_order,
)
from dsr_workbench.corpus.word import docx_lines
from dsr_workbench.corpus.write import write_transcript

__all__ = [
    "FORMATS",
    "MAX_TIME",
    "TEXT_VARIANTS",
    "Utterance",
    "decode",
    "format_of",
    "format_time",
    "parse_file",
    "parse_lines",
    "parse_time",
    "write_transcript",
]

MAX_TIME = 100 * 3600.0
"""Latest time (seconds from the start of the recording) a transcript may give: 100 hours."""

_MAX_NAME_WORDS = 4
_VTT_TIMING = re.compile(
    r"^\s*(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}(?:\s.*)?$"
)
_SRT_TIMING = re.compile(r"^\s*\d{2,}:\d{2}:\d{2},\d{3}\s+-->\s+\d{2,}:\d{2}:\d{2},\d{3}\s*$")
_VOICE = re.compile(r"^<v(?:\.[\w-]+)*\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")


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
    """

    speaker: str | None
    text: str
    line: int
    t_start: float | None = None
    t_end: float | None = None


def decode(data: bytes, path: str | Path, encoding: str = "utf-8") -> str:
    """Decode bytes and normalise them once: BOM removed, ``\\n`` line ends, NFC.

    Parameters
    ----------
    data
        The raw bytes of the file.
    path
        The file name, for messages.
    encoding
        The encoding to try; a UTF-8 or UTF-16 byte-order mark overrides it, and so does the
        NUL-byte pattern of UTF-16 text without a byte-order mark.

    Raises
    ------
    InputError
        Naming the line and byte that cannot be decoded, and the encoding tried; or the first
        NUL byte of data that are not text (nor UTF-16 recognised by its NUL bytes).

    Warns
    -----
    DsrWarning
        UTF-16 without a byte-order mark, naming the file and the encoding it was read in.

    Examples
    --------
    >>> decode("Cafe\\u0301\\r\\nok".encode(), "x.txt") == "Caf\\u00e9\\nok"
    True
    """
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, data = "utf-8", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in data and not encoding.lower().replace("_", "-").startswith("utf-16"):
        sniffed = utf16_order(data)
        if sniffed is None:
            offset = data.index(b"\x00")
            raise InputError(
                f"holds NUL bytes (the first at offset {offset}): not a text file, or text in "
                "an encoding such as UTF-16 or UTF-32 that was not recognised",
                path=path,
                line=data[:offset].count(b"\n") + 1,
                hint="check that the right file is listed, or re-save it as UTF-8 text",
            )
        warnings.warn(
            f"{path}: {sniffed.upper()} text without a byte-order mark (not {encoding}): "
            f"read as {sniffed.upper()} (fix: re-save it as UTF-8)",
            DsrWarning,
            stacklevel=2,
        )
        encoding = sniffed
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"cannot be decoded as {encoding}: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start} is invalid",
            path=path,
            line=line,
            hint="re-save the file as UTF-8, or pass the encoding it was written in "
            "(e.g. --encoding cp1252)",
        ) from None
    except LookupError:
        raise InputError(
            f"unknown encoding '{encoding}'",
            path=path,
            hint="use a Python codec name such as utf-8 or cp1252",
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _time(value: str, path: str | Path, line: int) -> float:
    """Seconds of a time as written in a transcript, refusing one that is not sane.

    Minutes and seconds (every field after the first) must be below 60, and the time at most
    :data:`MAX_TIME`.

    Examples
    --------
    >>> _time("01:02:03.5", "x.vtt", 3)
    3723.5
    >>> _time("00:61:00.000", "x.vtt", 3)
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


def _clean_name(name: str) -> str | None:
    name = name.strip().strip("*").strip()
    # labels are names: capitalised, a few words ("approach is key:" is prose, not a speaker)
    if not name or not name[0].isupper() or len(name.split()) > _MAX_NAME_WORDS:
        return None
    return name


def _match(pattern: re.Pattern[str], line: str) -> tuple[str, str, str | None] | None:
    """``(speaker, text, time as written or None)`` if ``line`` follows ``pattern``."""
    found = pattern.match(line)
    if not found:
        return None
    groups = found.groupdict()
    raw = groups.get("name") or groups.get("bname") or groups.get("oname") or ""
    name = _clean_name(raw)
    if name is None:
        return None
    return name, (groups.get("text") or "").strip(), groups.get("ts")


def detect_variant(lines: Sequence[str]) -> tuple[str | None, int]:
    """Return the plain-text variant most lines follow, and how many lines follow it.

    Examples
    --------
    >>> detect_variant(["[00:00:01] Kim: Hello.", "[00:00:04] Hannah: Hi.", "more"])
    ('bracket_time', 2)
    >>> detect_variant(["no labels here"])
    (None, 0)
    """
    counts: Counter[str] = Counter()
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        for variant, pattern in TEXT_VARIANTS.items():
            if _match(pattern, stripped):
                counts[variant] += 1
    if not counts:
        return None, 0
    order = list(TEXT_VARIANTS)
    variant = max(counts, key=lambda v: (counts[v], -order.index(v)))
    return variant, counts[variant]


def parse_lines(
    lines: Sequence[str], path: str | Path, *, first_line: int = 1, unit: str = "line"
) -> list[Utterance]:
    """Parse lines of a plain-text transcript into utterances.

    Parameters
    ----------
    lines
        The lines of the normalised text (or docx paragraphs).
    path
        The file, for messages.
    first_line
        The number of the first line.
    unit
        ``"line"`` or ``"paragraph"``, for messages.

    Raises
    ------
    InputError
        If no line carries a speaker label.

    Examples
    --------
    >>> [(u.speaker, u.text) for u in parse_lines(["Kim: Hi.", "Hannah: Hello.", "Welcome."], "x")]
    [('Kim', 'Hi.'), ('Hannah', 'Hello.\\nWelcome.')]
    """
    variant, _ = detect_variant(lines)
    if variant is None:
        raise InputError(
            "no speaker labels found",
            path=path,
            hint="start each turn with a label such as 'Name: ', '[00:01:02] Name: ', "
            "'Name (00:01:02): ', '@Name: ', '[Name]' or a 'Name:' line before paragraphs",
        )
    pattern = TEXT_VARIANTS[variant]
    out: list[Utterance] = []
    speaker: str | None = None
    parts: list[str] = []
    start_line = first_line
    t_start: float | None = None

    def flush() -> None:
        if speaker is not None:
            out.append(Utterance(speaker, "\n".join(parts), start_line, t_start))

    for number, line in enumerate(lines, start=first_line):
        stripped = line.strip()
        if not stripped:
            continue
        hit = _match(pattern, stripped)
        if hit:
            flush()
            speaker, first, ts = hit
            t_start = None if ts is None else _time(ts, path, number)
            parts = [first] if first else []
            start_line = number
        elif speaker is not None:
            parts.append(stripped)
        # text before the first label is a preamble (title, date line): not a turn
    flush()
    return out


def _parse_docx(path: Path) -> list[Utterance]:
    paragraphs, rows = docx_lines(path)
    lines: list[str] = []
    numbers: list[int] = []
    for number, para in enumerate(paragraphs, start=1):
        for part in para.split("\n"):
            lines.append(part)
            numbers.append(number)
    variant, count = detect_variant(lines)
    if count == 0 and rows:
        return _parse_docx_table(rows, path)
    if not any(line.strip() for line in lines):
        raise InputError(
            "is empty (no text in the document)",
            path=path,
            hint="check that the right file is listed",
        )
    utterances = parse_lines(lines, path, unit="paragraph")
    # map line indices back to paragraph numbers
    return [Utterance(u.speaker, u.text, numbers[u.line - 1], u.t_start) for u in utterances]


def _parse_docx_table(rows: list[list[str]], path: Path) -> list[Utterance]:
    out = []
    header = {"time", "timestamp", "speaker", "name", "text", "transcript", "utterance"}
    for number, cells in enumerate(rows, start=1):
        cells = [c for c in cells if c is not None]
        if all(c.casefold().rstrip(":") in header for c in cells if c):
            continue  # a header row
        if len(cells) >= 3 and re.fullmatch(_TS, cells[0]):
            t_start: float | None = _time(cells[0], path, number)
            name, text = cells[1], " ".join(cells[2:])
        elif len(cells) >= 2:
            t_start, name, text = None, cells[0], " ".join(cells[1:])
        else:
            continue
        clean = _clean_name(name.rstrip(":"))
        if clean is None:
            continue  # no speaker in this row
        out.append(Utterance(clean, text.strip(), number, t_start))
    if not out:
        raise InputError(
            "no speaker labels found in the document's paragraphs or tables",
            path=path,
            hint="write turns as 'Name: text' paragraphs",
        )
    return out


def _check_timings(lines: Sequence[str], path: Path, fmt: str) -> list[tuple[int, float, float]]:
    """``(line, start, end)`` of every cue timing line, checked before webvtt-py sees them.

    A malformed timing or a time that is not sane (see :func:`_time`) is an error naming its
    line. A cue that ends before it starts, and one that starts before the previous cue ends
    (overlapping speech, or a damaged file), are kept, with one
    :class:`~dsr_workbench.core.errors.DsrWarning` for each kind naming the first line and the
    count.
    """
    pattern = _VTT_TIMING if fmt == "vtt" else _SRT_TIMING
    example = "00:01:02.500 --> 00:01:05.000" if fmt == "vtt" else "00:01:02,500 --> 00:01:05,000"
    timings: list[tuple[int, float, float]] = []
    backwards: list[str] = []
    overlaps: list[str] = []
    for number, line in enumerate(lines, start=1):
        if "-->" in line:
            if not pattern.match(line):
                raise InputError(
                    f"malformed cue timing '{line.strip()}'",
                    path=path,
                    line=number,
                    hint=f"write it as '{example}'",
                )
            first, _, rest = line.partition("-->")
            start = _time(first.strip(), path, number)
            end = _time(rest.split()[0], path, number)
            if end < start:
                backwards.append(
                    f"{path}:{number}: cue ends ({format_time(end)}) before it starts "
                    f"({format_time(start)})"
                )
            if timings and start < timings[-1][2]:
                previous, _, previous_end = timings[-1]
                overlaps.append(
                    f"{path}:{number}: cue starts ({format_time(start)}) before the cue at "
                    f"line {previous} ends ({format_time(previous_end)})"
                )
            timings.append((number, start, end))
    for found, fix in (
        (backwards, "swap or correct the times"),
        (overlaps, "overlapping speech is kept as it is; correct the times if it is a mistake"),
    ):
        if found:
            more = f" ({len(found)} such cues in the file)" if len(found) > 1 else ""
            warnings.warn(f"{found[0]}{more} (fix: {fix})", DsrWarning, stacklevel=4)
    return timings


def _parse_captions(text: str, path: Path, fmt: str) -> list[Utterance]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    lines = text.split("\n")
    timings = _check_timings(lines, path, fmt)
    if fmt == "vtt" and not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError(
            "does not start with 'WEBVTT'",
            path=path,
            line=1,
            hint="add the line 'WEBVTT' at the top of the file",
        )
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=fmt, strict=(fmt == "vtt"))
    except (MalformedCaptionError, MalformedFileError) as exc:
        raise InputError(
            f"not a valid {fmt.upper()} file: {exc}",
            path=path,
            hint=f"check the cue blocks against the {fmt.upper()} format",
        ) from None
    if len(captions.captions) != len(timings):
        raise InputError(
            f"{len(timings)} cue timings but {len(captions.captions)} readable cues",
            path=path,
            hint="separate cues by one blank line; each cue needs text",
        )
    out: list[Utterance] = []
    colon = TEXT_VARIANTS["colon"]
    for caption, (line, start, end) in zip(captions.captions, timings, strict=True):
        raw = " ".join(part.strip() for part in caption.raw_text.split("\n") if part.strip())
        voice = _VOICE.match(raw)
        speaker: str | None = None
        if voice:
            speaker = _clean_name(voice.group(1))
        body = html.unescape(_TAG.sub("", raw)).strip()
        if speaker is None:
            hit = _match(colon, body)
            if hit:
                speaker, body, _ = hit
        out.append(Utterance(speaker, body, line, start, end))
    if not any(u.speaker for u in out):
        raise InputError(
            "no speaker labels found in any cue",
            path=path,
            hint="name speakers with '<v Name>' voice tags or a 'Name: ' prefix",
        )
    if out and out[0].speaker is None:
        raise InputError(
            "the first cue names no speaker",
            path=path,
            line=out[0].line,
            hint="start it with '<v Name>' or 'Name: '",
        )
    return out


def parse_file(path: str | Path, encoding: str = "utf-8") -> tuple[str, list[Utterance]]:
    """Read a transcript file into its format name and utterances.

    Raises
    ------
    InputError
        If the file is missing, empty, undecodable, of an unknown format, has malformed cue
        timings or carries no speaker labels.
    """
    path = Path(path)
    fmt = format_of(path)
    if not path.is_file():
        raise InputError("file not found", path=path, hint="check the path")
    if fmt == "docx":
        return fmt, _parse_docx(path)
    text = decode(path.read_bytes(), path, encoding)
    if not text.strip():
        raise InputError("is empty", path=path, hint="check that the right file is listed")
    if fmt in ("vtt", "srt"):
        return fmt, _parse_captions(text, path, fmt)
    return fmt, parse_lines(text.split("\n"), path)
