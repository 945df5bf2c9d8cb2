"""Transcripts -> tidy ``transcripts`` and ``turns`` tables.

Every transcript, whatever its file format, gets one **normalised text**: its turns rendered
as ``"Speaker: words"`` blocks separated by a blank line, in UTF-8, NFC, with ``\\n`` line
ends. Turn offsets are Unicode code points into that text, so ``text[start:end]`` is exactly
the turn's words, and the transcript's ``sha256`` is the hash of that text. The rendering is
the same for a ``.txt``, a ``.docx`` and a ``.vtt`` holding the same turns, so codings and
exports do not depend on the file format, timestamps or layout of the raw file (which is
never modified).

Consecutive utterances of one speaker form one turn: their text is joined with ``"\\n"``.

``turns`` columns (:data:`TURN_COLUMNS`)
    transcript_id, turn (1-based), speaker (label as written), participant_id, organisation
    (``<NA>`` for researchers), perspective (client | cmo | both | researcher), start, end,
    text, n_words, t_start, t_end (seconds or NaN), kind, cycle, date, source_line (line, or
    paragraph for .docx, where the turn starts in the raw file), speaker_note (the part in
    parentheses of a label such as ``Jane Roe (Org):``, or ``<NA>``)
``transcripts`` columns (:data:`TRANSCRIPT_COLUMNS`)
    transcript_id, kind, date, cycle, path, format, sha256, n_turns, n_words, text
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.formats import Utterance, parse_file
from dsr_workbench.corpus.speakers import assign_participants, label_map
from dsr_workbench.corpus.study import Study

__all__ = [
    "READ_COLUMNS",
    "TRANSCRIPT_COLUMNS",
    "TURN_COLUMNS",
    "Transcript",
    "load_corpus",
    "parse_transcript",
    "read_transcript",
    "render",
]

READ_COLUMNS: list[str] = [
    "turn",
    "speaker",
    "start",
    "end",
    "text",
    "n_words",
    "t_start",
    "t_end",
    "source_line",
    "speaker_note",
]
"""Columns of :func:`read_transcript`."""

TURN_COLUMNS: list[str] = [
    "transcript_id",
    "turn",
    "speaker",
    "participant_id",
    "organisation",
    "perspective",
    "start",
    "end",
    "text",
    "n_words",
    "t_start",
    "t_end",
    "kind",
    "cycle",
    "date",
    "source_line",
    "speaker_note",
]
"""Columns of the ``turns`` table."""

TRANSCRIPT_COLUMNS: list[str] = [
    "transcript_id",
    "kind",
    "date",
    "cycle",
    "path",
    "format",
    "sha256",
    "n_turns",
    "n_words",
    "text",
]
"""Columns of the ``transcripts`` table."""


@dataclass(frozen=True)
class Transcript:
    """One parsed transcript.

    Attributes
    ----------
    path
        The raw file.
    format
        ``txt``, ``md``, ``docx``, ``vtt`` or ``srt``.
    text
        The normalised text (see the module docstring).
    sha256
        Hex SHA-256 of ``text`` encoded as UTF-8.
    turns
        One row per turn, columns :data:`READ_COLUMNS`.
    """

    path: Path
    format: str
    text: str
    sha256: str
    turns: pd.DataFrame


def _merge(utterances: list[Utterance]) -> list[Utterance]:
    merged: list[Utterance] = []
    for utt in utterances:
        speaker = utt.speaker
        if speaker is None and merged:  # a subtitle cue that continues the previous speaker
            speaker = merged[-1].speaker
        if merged and merged[-1].speaker == speaker:
            last = merged[-1]
            joiner = " " if utt.t_end is not None else "\n"
            text = (
                f"{last.text}{joiner}{utt.text}"
                if last.text and utt.text
                else (last.text or utt.text)
            )
            merged[-1] = Utterance(
                speaker,
                text,
                last.line,
                last.t_start,
                utt.t_end if utt.t_end is not None else last.t_end,
                last.note or utt.note,
            )
        else:
            merged.append(Utterance(speaker, utt.text, utt.line, utt.t_start, utt.t_end, utt.note))
    return merged


def render(utterances: list[Utterance]) -> tuple[str, pd.DataFrame]:
    """Merge utterances into turns and render the normalised text.

    Parameters
    ----------
    utterances
        As read from a file, in order.

    Returns
    -------
    text, turns
        The normalised text and a DataFrame with :data:`READ_COLUMNS`.

    Examples
    --------
    >>> from dsr_workbench.corpus.formats import Utterance
    >>> text, turns = render([Utterance("Kim", "Hi.", 1), Utterance("Ana", "Hello.", 2),
    ...                       Utterance("Ana", "Yes.", 3)])
    >>> text
    'Kim: Hi.\\n\\nAna: Hello.\\nYes.\\n'
    >>> [text[s:e] for s, e in zip(turns.start, turns.end)]
    ['Hi.', 'Hello.\\nYes.']
    """
    merged = _merge(utterances)
    pieces: list[str] = []
    rows = []
    pos = 0
    for number, utt in enumerate(merged, start=1):
        label = f"{utt.speaker}: "
        if pieces:
            pieces.append("\n\n")
            pos += 2
        start = pos + len(label)
        pieces.append(label + utt.text)
        pos += len(label) + len(utt.text)
        rows.append(
            (
                number,
                utt.speaker,
                start,
                pos,
                utt.text,
                len(utt.text.split()),
                np.nan if utt.t_start is None else utt.t_start,
                np.nan if utt.t_end is None else utt.t_end,
                utt.line,
                utt.note,
            )
        )
    text = "".join(pieces) + "\n"
    turns = pd.DataFrame(rows, columns=READ_COLUMNS)
    turns = turns.astype(
        {
            "turn": "int64",
            "start": "int64",
            "end": "int64",
            "n_words": "int64",
            "t_start": "float64",
            "t_end": "float64",
            "source_line": "int64",
            "speaker": "str",
            "text": "str",
            "speaker_note": "string",
        }
    )
    # a text transcript's timestamps mark starts only: a turn ends where the next one starts
    if turns.t_start.notna().any() and turns.t_end.isna().all():
        turns["t_end"] = turns.t_start.shift(-1)
    return text, turns


def parse_transcript(
    path: str | Path, encoding: str = "utf-8", variant: str | None = None
) -> Transcript:
    """Read one transcript file into a :class:`Transcript` (no study needed).

    Parameters
    ----------
    path
        A ``.txt``, ``.md``, ``.docx``, ``.vtt`` or ``.srt`` file.
    encoding
        Encoding of text files when they carry no byte-order mark.
    variant
        Read a text or Word file by this variant instead of the detected one.

    Raises
    ------
    InputError
        Naming the file and line: empty file, undecodable bytes, unknown format, no speaker
        labels, malformed subtitle timings.
    """
    path = Path(path)
    fmt, utterances = parse_file(path, encoding, variant)
    if not utterances:
        raise InputError("no turns found", path=path, hint="check the speaker labels")
    text, turns = render(utterances)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Transcript(path=path, format=fmt, text=text, sha256=digest, turns=turns)


def read_transcript(
    path: str | Path, encoding: str = "utf-8", variant: str | None = None
) -> pd.DataFrame:
    """Read one transcript file into a DataFrame of turns; no study is needed.

    Parameters
    ----------
    path
        A ``.txt``, ``.md``, ``.docx``, ``.vtt`` or ``.srt`` file.
    encoding
        Encoding of text files when they carry no byte-order mark.
    variant
        Read a text or Word file by this variant instead of the detected one.

    Returns
    -------
    pandas.DataFrame
        One row per turn, columns :data:`READ_COLUMNS`. ``df.attrs`` holds ``text`` (the
        normalised text, ``text[start:end] == turn text``), ``sha256``, ``format`` and
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "talk.txt"
    >>> _ = f.write_text("[00:00:05] Kim: Shall we start?\\n[00:00:09] Ana: Yes.\\n")
    >>> turns = read_transcript(f)
    >>> turns[["turn", "speaker", "text", "t_start", "t_end"]]
       turn speaker              text  t_start  t_end
    0     1     Kim  Shall we start?      5.0    9.0
    1     2     Ana              Yes.      9.0    NaN
    >>> turns.attrs["text"][turns.start[1]:turns.end[1]]
    'Yes.'
    """
    transcript = parse_transcript(path, encoding, variant)
    turns = transcript.turns
    turns.attrs.update(
        text=transcript.text,
        sha256=transcript.sha256,
        format=transcript.format,
        path=str(transcript.path),
    )
    return turns


def load_corpus(study: Study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every transcript of a study into the ``transcripts`` and ``turns`` tables.

    Speakers map to participants through ``study.yaml`` (the transcript's ``speakers:`` map,
    then pseudonym, id or alias, compared case- and accent-insensitively; see
    :mod:`dsr_workbench.corpus.speakers`).

    Parameters
    ----------
    study
        From :func:`dsr_workbench.corpus.study.load_study`.

    Returns
    -------
    transcripts, turns
        Columns :data:`TRANSCRIPT_COLUMNS` and :data:`TURN_COLUMNS`.

    Raises
    ------
    InputError
        For any unreadable transcript, or a speaker label that no participant of
        ``study.yaml`` carries (naming file, line and label).

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> transcripts, turns = load_corpus(load_study(EXAMPLE_STUDY))
    >>> len(transcripts), sorted(turns.perspective.unique())
    (19, ['client', 'cmo', 'researcher'])
    >>> all(t[s:e] == x for t, s, e, x in zip(
    ...     turns.transcript_id.map(transcripts.set_index("transcript_id").text),
    ...     turns.start, turns.end, turns.text))
    True
    """
    speakers = study.speaker_map()
    people = study.participants.set_index("participant_id")
    tr_rows = []
    frames = []
    for row in study.transcripts.itertuples(index=False):
        transcript = parse_transcript(row.path, variant=row.variant)
        turns = transcript.turns.copy()
        ids = assign_participants(
            turns.speaker,
            turns.source_line,
            label_map(row.speakers, speakers),
            file=row.file,
            transcript_id=row.transcript_id,
        )
        turns.insert(0, "transcript_id", row.transcript_id)
        turns.insert(3, "participant_id", ids)
        turns.insert(4, "organisation", people.organisation.reindex(ids).to_numpy())
        turns.insert(5, "perspective", people.perspective.reindex(ids).to_numpy())
        turns["kind"] = row.kind
        turns["cycle"] = row.cycle
        turns["date"] = row.date
        frames.append(turns)
        tr_rows.append(
            {
                "transcript_id": row.transcript_id,
                "kind": row.kind,
                "date": row.date,
                "cycle": row.cycle,
                "path": str(row.path),
                "format": transcript.format,
                "sha256": transcript.sha256,
                "n_turns": len(turns),
                "n_words": int(turns.n_words.sum()),
                "text": transcript.text,
            }
        )
    transcripts = pd.DataFrame(tr_rows, columns=TRANSCRIPT_COLUMNS)
    if frames:
        turns_all = pd.concat(frames, ignore_index=True)[TURN_COLUMNS]
    else:
        turns_all = pd.DataFrame(columns=TURN_COLUMNS)
    turns_all["organisation"] = turns_all["organisation"].astype("string")
    turns_all["cycle"] = turns_all["cycle"].astype("int64")
    return transcripts, turns_all
