"""Writing transcript files: turns to text, Markdown, Word, WebVTT or SubRip.

:func:`write_transcript` renders turns (speaker, text, times) in the format of the target's
suffix and the chosen speaker variant, the reverse of the readers in
:mod:`dsr_workbench.corpus.formats` (which re-exports it), for exports, tests and the
synthetic-corpus generator.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable
from pathlib import Path

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.notation import TEXT_VARIANTS, format_of, format_time

__all__ = ["write_transcript"]


def _turn_fields(turns: Iterable[object]) -> list[tuple[str, str, float | None, float | None]]:
    out = []
    for t in turns:
        get = t.get if isinstance(t, dict) else (lambda k, d=None, t=t: getattr(t, k, d))
        start, end = get("t_start"), get("t_end")
        start = None if start is None or start != start else float(start)
        end = None if end is None or end != end else float(end)
        out.append((str(get("speaker")), str(get("text")), start, end))
    return out


def _require_times(rows: list[tuple[str, str, float | None, float | None]], fmt: str) -> None:
    if any(start is None for _, _, start, _ in rows):
        raise InputError(
            f"format '{fmt}' needs t_start for every turn",
            hint="give times or choose a format without times (txt, docx)",
        )


def write_transcript(
    turns: Iterable[object], path: str | Path, *, variant: str = "colon", words_per_cue: int = 18
) -> Path:
    """Write turns to a transcript file; the format comes from the suffix.

    Parameters
    ----------
    turns
        Rows with ``speaker``, ``text`` and, for timed formats, ``t_start`` and ``t_end``
        (dicts, namedtuples or ``DataFrame.itertuples()``).
    path
        Target file (``.txt``, ``.md``, ``.docx``, ``.vtt``, ``.srt``).
    variant
        For text formats one of :data:`~dsr_workbench.corpus.formats.TEXT_VARIANTS`; for
        subtitles ``"voice"`` (``<v Name>`` on every cue, ``.vtt`` only), ``"colon"``
        (``Name:`` on every cue) or ``"colon_first"`` (``Name:`` on the first cue of a turn
        only; the others continue it).
    words_per_cue
        Subtitle formats split a turn into cues of about this many words.

    Returns
    -------
    Path
        The file written (atomically: a temporary file renamed into place).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> _ = write_transcript([{"speaker": "Kim", "text": "Hello."}], target)
    >>> target.read_text()
    'Kim: Hello.\\n'
    """
    from dsr_workbench.core.atomic import atomic_write_bytes

    path = Path(path)
    fmt = format_of(path)
    rows = _turn_fields(turns)
    if fmt in ("txt", "md"):
        data = _render_text(rows, variant).encode("utf-8")
    elif fmt == "docx":
        data = _render_docx(rows)
    else:
        _require_times(rows, fmt)
        data = _render_captions(rows, fmt, variant, words_per_cue).encode("utf-8")
    return atomic_write_bytes(path, data)


def _render_text(rows: list[tuple[str, str, float | None, float | None]], variant: str) -> str:
    if variant not in TEXT_VARIANTS:
        raise InputError(
            f"unknown text variant '{variant}'", hint="use one of " + ", ".join(TEXT_VARIANTS)
        )
    if variant in ("bracket_time", "paren_time", "time_speaker"):
        _require_times(rows, variant)
    blocks = []
    for speaker, text, start, _ in rows:
        ts = "" if start is None else format_time(start).split(".")[0]
        if variant == "colon":
            blocks.append(f"{speaker}: {text}")
        elif variant == "bracket_time":
            blocks.append(f"[{ts}] {speaker}: {text}")
        elif variant == "paren_time":
            blocks.append(f"{speaker} ({ts}): {text}")
        elif variant == "at":
            blocks.append(f"@{speaker}: {text}")
        elif variant == "bracket_name":
            blocks.append(f"[{speaker}]\n{text}")
        elif variant == "bold":
            blocks.append(f"**{speaker}** {text}")
        elif variant == "time_speaker":
            blocks.append(f"{ts} {speaker}\n{text}")
        else:  # speaker_line
            paragraphs = "\n\n".join(text.split("\n"))
            blocks.append(f"**{speaker}**\n\n{paragraphs}")
    sep = "\n" if variant in ("bracket_time", "paren_time", "at") else "\n\n"
    return sep.join(blocks) + "\n"


def _render_docx(rows: list[tuple[str, str, float | None, float | None]]) -> bytes:
    import docx

    document = docx.Document()
    for speaker, text, _, _ in rows:
        para = document.add_paragraph()
        para.add_run(f"{speaker}:").bold = True
        para.add_run(f" {text}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _render_captions(
    rows: list[tuple[str, str, float | None, float | None]],
    fmt: str,
    variant: str,
    words_per_cue: int,
) -> str:
    sep = "." if fmt == "vtt" else ","
    blocks = ["WEBVTT"] if fmt == "vtt" else []
    number = 0
    for speaker, text, start, end in rows:
        assert start is not None
        words = text.split()
        chunks = [words[i : i + words_per_cue] for i in range(0, len(words), words_per_cue)] or [[]]
        stop = end if end is not None else start + 0.4 * max(len(words), 1)
        step = (stop - start) / len(chunks)
        for i, chunk in enumerate(chunks):
            number += 1
            body = " ".join(chunk)
            if fmt == "vtt":
                body = html.escape(body, quote=False)
            if fmt == "vtt" and variant == "voice":
                body = f"<v {speaker}>{body}"
            elif i == 0 or variant != "colon_first":
                body = f"{speaker}: {body}"
            timing = (
                f"{format_time(start + i * step, sep)} --> "
                f"{format_time(start + (i + 1) * step, sep)}"
            )
            if fmt == "srt":
                blocks.append(f"{number}\n{timing}\n{body}")
            else:
                blocks.append(f"{timing}\n{body}")
    return "\n\n".join(blocks) + "\n"
