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
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.notation import (
    _TS,
    FORMATS,
    TEXT_VARIANTS,
    format_of,
    format_time,
    parse_time,
)
from dsr_workbench.corpus.write import write_transcript

__all__ = [
    "FORMATS",
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
        The encoding to try; a UTF-8 or UTF-16 byte-order mark overrides it.

    Raises
    ------
    InputError
        Naming the line and byte that cannot be decoded, and the encoding tried.

    Examples
    --------
    >>> decode("Cafe\\u0301\\r\\nok".encode(), "x.txt") == "Caf\\u00e9\\nok"
    True
    """
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, data = "utf-8", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
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


def _clean_name(name: str) -> str | None:
    name = name.strip().strip("*").strip()
    # labels are names: capitalised, a few words ("approach is key:" is prose, not a speaker)
    if not name or not name[0].isupper() or len(name.split()) > _MAX_NAME_WORDS:
        return None
    return name


def _match(pattern: re.Pattern[str], line: str) -> tuple[str, str, float | None] | None:
    found = pattern.match(line)
    if not found:
        return None
    groups = found.groupdict()
    raw = groups.get("name") or groups.get("bname") or groups.get("oname") or ""
    name = _clean_name(raw)
    if name is None:
        return None
    ts = groups.get("ts")
    return name, (groups.get("text") or "").strip(), None if ts is None else parse_time(ts)


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
            speaker, first, t_start = hit
            parts = [first] if first else []
            start_line = number
        elif speaker is not None:
            parts.append(stripped)
        # text before the first label is a preamble (title, date line): not a turn
    flush()
    return out


def _docx_lines(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError:  # pragma: no cover - python-docx is a dependency
        raise InputError(
            "python-docx is not installed", path=path, hint="pip install python-docx"
        ) from None
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise InputError(
            f"not a readable .docx file ({exc.__class__.__name__})",
            path=path,
            hint="open and re-save it in Word as .docx",
        ) from None
    paragraphs = [
        unicodedata.normalize("NFC", p.text.replace("\r", "\n")) for p in document.paragraphs
    ]
    rows: list[list[str]] = []
    for table in document.tables:
        for row in table.rows:
            rows.append([unicodedata.normalize("NFC", c.text.strip()) for c in row.cells])
    return paragraphs, rows


def _parse_docx(path: Path) -> list[Utterance]:
    paragraphs, rows = _docx_lines(path)
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
            t_start, name, text = parse_time(cells[0]), cells[1], " ".join(cells[2:])
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


def _check_timings(lines: Sequence[str], path: Path, fmt: str) -> list[int]:
    pattern = _VTT_TIMING if fmt == "vtt" else _SRT_TIMING
    example = "00:01:02.500 --> 00:01:05.000" if fmt == "vtt" else "00:01:02,500 --> 00:01:05,000"
    timing_lines = []
    for number, line in enumerate(lines, start=1):
        if "-->" in line:
            if not pattern.match(line):
                raise InputError(
                    f"malformed cue timing '{line.strip()}'",
                    path=path,
                    line=number,
                    hint=f"write it as '{example}'",
                )
            timing_lines.append(number)
    return timing_lines


def _parse_captions(text: str, path: Path, fmt: str) -> list[Utterance]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    lines = text.split("\n")
    timing_lines = _check_timings(lines, path, fmt)
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
    if len(captions.captions) != len(timing_lines):
        raise InputError(
            f"{len(timing_lines)} cue timings but {len(captions.captions)} readable cues",
            path=path,
            hint="separate cues by one blank line; each cue needs text",
        )
    out: list[Utterance] = []
    colon = TEXT_VARIANTS["colon"]
    for caption, line in zip(captions.captions, timing_lines, strict=True):
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
        out.append(
            Utterance(speaker, body, line, parse_time(caption.start), parse_time(caption.end))
        )
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
