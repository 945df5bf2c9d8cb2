"""Subtitle cues: WebVTT (``.vtt``) and SubRip (``.srt``) read into utterances.

Every cue timing line is checked first (:func:`check_timings`: malformed or insane times are
errors naming the line; backwards and overlapping cues are warnings); a small block reader
then splits the cues (it replaced webvtt-py, which took about 70 % of the time of reading a
20 000-cue file and could not name the line of a bad block). A cue's speaker comes from a
``<v Name>`` voice tag (MS Teams writes ``<v Last, First>`` and spreads the text over several
lines), a ``Name:`` prefix (Zoom; ``Name (Org):`` keeps the part in parentheses as the note),
or a ``[Name]`` / ``[Name]:`` prefix (WhisperX writes ``[SPEAKER_00]: text``). A cue that
names no speaker continues the previous speaker's utterance.
"""

from __future__ import annotations

import html
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from dsr_workbench.core.errors import DsrWarning, InputError
from dsr_workbench.corpus.formats_text import match_label
from dsr_workbench.corpus.notation import Utterance, clean_name, format_time, sane_time

__all__ = ["CUE_VARIANTS", "check_timings", "parse_captions"]

CUE_VARIANTS: tuple[str, ...] = ("voice", "colon", "bracket")
"""How cues name their speaker: ``<v Name>``, ``Name:`` or ``[Name]``."""

_VTT_TIMING = re.compile(
    r"^\s*(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}(?:\s.*)?$"
)
_SRT_TIMING = re.compile(r"^\s*\d{2,}:\d{2}:\d{2},\d{3}\s+-->\s+\d{2,}:\d{2}:\d{2},\d{3}\s*$")
_VOICE = re.compile(r"^<v(?:\.[\w-]+)*\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")


def check_timings(lines: Sequence[str], path: Path, fmt: str) -> list[tuple[int, float, float]]:
    """``(line, start, end)`` of every cue timing line, checked before the cue blocks are split.

    A malformed timing or a time that is not sane (see
    :func:`~dsr_workbench.corpus.notation.sane_time`) is an error naming its line. A cue that ends before it starts, and one that starts before the previous cue ends
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
            start = sane_time(first.strip(), path, number)
            end = sane_time(rest.split()[0], path, number)
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


def _cue_blocks(
    lines: Sequence[str], path: Path, fmt: str, times: dict[int, tuple[float, float]]
) -> list[tuple[int, float, float, list[str]]]:
    """``(timing line, start, end, text lines)`` of every cue with text, in file order.

    Blocks are separated by blank lines. A cue is an optional identifier line (the first line
    of its block, or in SubRip a number right before the timing), the timing line and its
    text lines. The ``WEBVTT`` header block and ``NOTE``, ``STYLE`` and ``REGION`` blocks are
    skipped; any other text outside a cue is an error naming its line. A cue without text
    has no words and gives no utterance.
    """
    cues: list[tuple[int, float, float, list[str]]] = []
    block_start = True
    in_header = fmt == "vtt"
    skipping = False
    current: list[str] | None = None
    for index, raw in enumerate(lines):
        number = index + 1
        line = raw.strip()
        if not line:
            block_start, skipping, current = True, False, None
            in_header = False
            continue
        first, block_start = block_start, False
        if number in times:
            current = []
            cues.append((number, *times[number], current))
            in_header = skipping = False
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        is_id = "-->" in following and (first or (fmt == "srt" and line.isdigit()))
        if is_id or skipping or in_header:
            continue
        if first and fmt == "vtt" and re.match(r"(NOTE|STYLE|REGION)(\s|$)", line):
            skipping = True
            continue
        if current is None:
            raise InputError(
                f"text outside any cue: '{line[:40]}'",
                path=path,
                line=number,
                hint="separate cues by one blank line; each cue starts with its timing line "
                "(an identifier line may come before it)",
            )
        current.append(line)
    return [cue for cue in cues if any(cue[3])]


def parse_captions(text: str, path: Path, fmt: str) -> tuple[str, list[Utterance]]:
    """The cue variant (most cues' kind of label, :data:`CUE_VARIANTS`) and the utterances.

    Raises
    ------
    InputError
        Naming the line: no ``WEBVTT`` header, malformed or insane timings, unreadable cue
        blocks, no cue naming a speaker, or a first cue that names none.
    """
    lines = text.split("\n")
    timings = check_timings(lines, path, fmt)
    if fmt == "vtt" and not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError(
            "does not start with 'WEBVTT'",
            path=path,
            line=1,
            hint="add the line 'WEBVTT' at the top of the file",
        )
    cues = _cue_blocks(lines, path, fmt, {line: (start, end) for line, start, end in timings})
    out: list[Utterance] = []
    kinds: Counter[str] = Counter()
    for line, start, end, body_lines in cues:
        raw = " ".join(part.strip() for part in body_lines if part.strip())
        voice = _VOICE.match(raw)
        speaker: str | None = None
        note: str | None = None
        if voice:
            speaker = clean_name(voice.group(1))
            kinds["voice"] += speaker is not None
        body = html.unescape(_TAG.sub("", raw)).strip()
        for kind, variant in (("colon", "colon"), ("bracket", "bracket_name")):
            if speaker is not None:
                break
            hit = match_label(variant, body)
            if hit:
                speaker, body, _, note = hit
                kinds[kind] += 1
        out.append(Utterance(speaker, body, line, start, end, note))
    if not any(u.speaker for u in out):
        raise InputError(
            "no speaker labels found in any cue",
            path=path,
            hint="name speakers with '<v Name>' voice tags or a 'Name: ' or '[Name] ' prefix",
        )
    if out and out[0].speaker is None:
        raise InputError(
            "the first cue names no speaker",
            path=path,
            line=out[0].line,
            hint="start it with '<v Name>' or 'Name: '",
        )
    order = list(CUE_VARIANTS)
    return max(kinds, key=lambda k: (kinds[k], -order.index(k))), out
