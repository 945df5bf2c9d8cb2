"""Transcript file formats: decode, parse into utterances, and write.

Readers turn a file into a list of :class:`Utterance` (speaker, text, source line, times, note);
:mod:`dsr_workbench.corpus.read` merges them into turns and renders the normalised text. Writers
do the reverse, for exports, tests and the synthetic-corpus generator. This module decodes
files and reads ``.docx``; plain-text lines are read by :mod:`dsr_workbench.corpus.formats_text`,
subtitle cues by :mod:`dsr_workbench.corpus.cues`, the writers live in
:mod:`dsr_workbench.corpus.write`, and the suffix, speaker-pattern and timestamp conventions
all share in :mod:`dsr_workbench.corpus.notation` (all re-exported here). :func:`read_file`
also says which *variant* it read a file by (``txt/colon``, ``vtt/voice``, ``docx/table``), so
``dsr validate`` can show a wrong guess.

Supported formats (``format`` names in brackets):

- plain text / Markdown (``txt``, ``md``), one *variant* per file, detected by which speaker
  pattern most lines follow (or set by ``variant:`` in the transcript's ``study.yaml`` entry):

  ============== =========================================================================
  variant        example
  ============== =========================================================================
  colon          ``Hannah: text``; ``**Hannah:** text``; ``Hannah:`` alone on a line before
                 paragraphs; any case (``INTERVIEWER:``, ``interviewee:``); role
                 abbreviations ``I:`` / ``B:`` / ``Q:`` / ``A:``, also glued (``I:text``);
                 diarisation names ``SPEAKER_00:``, ``Speaker 1:``; ``Jane Roe (Org):``
                 (Zoom: ``Org`` is kept as the turn's ``speaker_note``)
  bracket_time   ``[00:01:02] Hannah: text``
  paren_time     ``Hannah (00:01:02): text``
  at             ``@Hannah: text``
  bracket_name   ``[Hannah]`` alone or before the text; ``[SPEAKER_00]: text`` (WhisperX)
  speaker_line   ``**Hannah**``, ``### Hannah`` or ``Speaker 1  0:03`` (Otter, Teams; two
                 spaces or a tab before the time) alone on a line, followed by paragraphs
  bold           ``**Hannah** text`` (bold label, no colon)
  time_speaker   ``00:00:03 Speaker 1`` alone on a line, followed by paragraphs (Word for
                 the web's Transcribe)
  ============== =========================================================================

  Lines that match no speaker pattern continue the current utterance; text before the first
  label is a preamble and is not a turn. Labels are at most four words and start with a
  capital letter, unless their first word is a role (:data:`ROLE_WORDS`: ``interviewer``,
  ``speaker``, ...); lines starting ``Note:``, ``Date:``, ``# Transcript`` and the like
  (:data:`NOT_SPEAKERS`) are prose. Markdown headings of another level than the speakers'
  (a ``# Title`` above ``### Name`` headings) are not speakers. Lines with a label of
  another style than the file's are read as text and reported (a ``DsrWarning`` naming
  them); two styles equally common are an error asking for ``variant:``.
  f4transkript / f5 time marks at the end of a paragraph (``#00:01:22-6#``, ``-6`` tenths
  of a second) are taken out of the text: the mark is when that paragraph ends
  (``t_end``), the previous mark when it starts (``t_start``), in any variant.
- Word (``docx``, via python-docx, which finds the main part through the package's
  relationships, whatever it is called): paragraphs read as lines of text in the variants
  above; a document whose speakers sit in a table uses the table (speaker | text, or
  time | speaker | text).
- WebVTT (``vtt``, by the cue reader of :mod:`dsr_workbench.corpus.cues`): speakers from
  ``<v Name>`` voice tags (MS Teams: ``<v Roe, Jane>``, text over several lines), a ``Name:``
  prefix (Zoom) or a ``[Name]`` prefix (WhisperX); a cue without a speaker continues the
  previous speaker's utterance.
- SubRip (``srt``, by the same reader): as for WebVTT.

Files are read as untrusted. A ``.docx`` is a zip archive: before python-docx opens it, its
members' declared sizes and ratios are checked and every member is inflated once
(:func:`dsr_workbench.corpus.word.open_docx`, limits ``MAX_DOCX_PART`` and ``MAX_DOCX_SIZE``),
so a "zip bomb" is refused instead of filling memory. A text file in UTF-16 without a
byte-order mark is recognised by its NUL bytes and decoded as such (with a warning); other NUL
bytes are refused. Times must be sane (minutes and seconds below 60, at most
:data:`MAX_TIME` seconds: ``00:00:60.000`` is an error naming its line); cues that end before
they start, or start before the previous cue ends, are read with a
:class:`~dsr_workbench.core.errors.DsrWarning` naming the first line.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from dsr_workbench.core.errors import DsrWarning, InputError
from dsr_workbench.corpus.cues import parse_captions
from dsr_workbench.corpus.formats_text import detect_variant, parse_lines, read_lines
from dsr_workbench.corpus.notation import (
    _TS,
    FORMATS,
    MAX_TIME,
    NOT_SPEAKERS,
    ROLE_WORDS,
    TEXT_VARIANTS,
    Utterance,
    clean_name,
    format_of,
    format_time,
    parse_time,
    sane_time,
    utf16_order,
)
from dsr_workbench.corpus.word import docx_lines
from dsr_workbench.corpus.write import write_transcript

__all__ = [
    "FORMATS",
    "MAX_TIME",
    "NOT_SPEAKERS",
    "ROLE_WORDS",
    "TEXT_VARIANTS",
    "Parsed",
    "Utterance",
    "decode",
    "detect_variant",
    "format_of",
    "format_time",
    "parse_file",
    "parse_lines",
    "parse_time",
    "read_file",
    "write_transcript",
]

_time = sane_time  # the name the readers used before it moved to notation


@dataclass(frozen=True)
class Parsed:
    """A transcript file as read: its format, the variant it was read by, its utterances.

    Attributes
    ----------
    format
        ``txt``, ``md``, ``docx``, ``vtt`` or ``srt``.
    variant
        ``format/variant``: a text variant of :data:`TEXT_VARIANTS` (``txt/colon``,
        ``docx/time_speaker``), ``docx/table``, or how cues name speakers (``vtt/voice``,
        ``srt/bracket``).
    utterances
        In file order.
    """

    format: str
    variant: str
    utterances: list[Utterance]


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
            hint="give the encoding it was written in: 'encoding: cp1252' (for example) in "
            "its study.yaml entry, or --encoding cp1252 with dsr validate --files; or re-save "
            "it as UTF-8",
        ) from None
    except LookupError:
        raise InputError(
            f"unknown encoding '{encoding}'",
            path=path,
            hint="use a Python codec name such as utf-8 or cp1252",
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _parse_docx(path: Path, variant: str | None = None) -> tuple[str, list[Utterance]]:
    paragraphs, rows = docx_lines(path)
    lines: list[str] = []
    numbers: list[int] = []
    for number, para in enumerate(paragraphs, start=1):
        for part in para.split("\n"):
            lines.append(part)
            numbers.append(number)
    _, count = detect_variant(lines)
    if count == 0 and rows and variant is None:
        return "table", _parse_docx_table(rows, path)
    if not any(line.strip() for line in lines):
        raise InputError(
            "is empty (no text in the document)",
            path=path,
            hint="check that the right file is listed",
        )
    return read_lines(lines, path, unit="paragraph", variant=variant, numbers=numbers)


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
        clean = clean_name(name.rstrip(":"))
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


def read_file(
    path: str | Path,
    encoding: str = "utf-8",
    variant: str | None = None,
    *,
    data: bytes | None = None,
) -> Parsed:
    """Read a transcript file into its format, the variant it was read by, and utterances.

    Parameters
    ----------
    path
        A ``.txt``, ``.md``, ``.docx``, ``.vtt`` or ``.srt`` file.
    encoding
        Encoding of text files when they carry no byte-order mark.
    variant
        For text and Word files, a variant of :data:`TEXT_VARIANTS` to read by instead of
        the detected one (``variant:`` in ``study.yaml``).
    data
        The file's bytes, if already read (text and subtitle files; a ``.docx`` is read from
        ``path``).

    Raises
    ------
    InputError
        If the file is missing, empty, undecodable, of an unknown format, has malformed cue
        timings, carries no speaker labels or two label styles equally often.

    Warns
    -----
    DsrWarning
        Lines with a label of another style than the file's, overlapping or backwards cues,
        UTF-16 without a byte-order mark.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "talk.txt"
    >>> _ = f.write_text("INTERVIEWER: Ready?\\nSPEAKER_01: Yes.\\n")
    >>> parsed = read_file(f)
    >>> parsed.variant, [u.speaker for u in parsed.utterances]
    ('txt/colon', ['INTERVIEWER', 'SPEAKER_01'])
    """
    path = Path(path)
    fmt = format_of(path)
    if not path.is_file():
        raise InputError("file not found", path=path, hint="check the path")
    if variant is not None and variant not in TEXT_VARIANTS:
        raise InputError(
            f"unknown text variant '{variant}'",
            path=path,
            hint="use one of " + ", ".join(TEXT_VARIANTS),
        )
    if fmt == "docx":
        kind, utterances = _parse_docx(path, variant)
        return Parsed(fmt, f"{fmt}/{kind}", utterances)
    text = decode(path.read_bytes() if data is None else data, path, encoding)
    if not text.strip():
        raise InputError("is empty", path=path, hint="check that the right file is listed")
    if fmt in ("vtt", "srt"):
        if variant is not None:
            warnings.warn(
                f"{path}: 'variant: {variant}' is for text and Word files; subtitle cues "
                "name their speakers in their own way (fix: remove it)",
                DsrWarning,
                stacklevel=2,
            )
        kind, utterances = parse_captions(text, path, fmt)
        return Parsed(fmt, f"{fmt}/{kind}", utterances)
    chosen, utterances = read_lines(text.split("\n"), path, variant=variant)
    return Parsed(fmt, f"{fmt}/{chosen}", utterances)


def parse_file(
    path: str | Path, encoding: str = "utf-8", variant: str | None = None
) -> tuple[str, list[Utterance]]:
    """Read a transcript file into its format name and utterances (see :func:`read_file`).

    Raises
    ------
    InputError
        If the file is missing, empty, undecodable, of an unknown format, has malformed cue
        timings or carries no speaker labels.
    """
    parsed = read_file(path, encoding, variant)
    return parsed.format, parsed.utterances
