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
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dsr_workbench.core.errors import DsrWarning, InputError
from dsr_workbench.corpus.cache import SCHEMA, CorpusCache, Entry, entry_key
from dsr_workbench.corpus.formats import Utterance, format_of, parse_file, read_file
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
    "turn_columns",
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
    """Consecutive utterances of one speaker as one (a cue without a speaker continues)."""
    merged: list[Utterance] = []
    parts: list[str] = []  # the text of the last merged utterance, in pieces

    def close() -> None:
        if merged and len(parts) > 1 or (parts and merged[-1].text != parts[0]):
            last = merged[-1]
            merged[-1] = Utterance(
                last.speaker, "".join(parts), last.line, last.t_start, last.t_end, last.note
            )

    for utt in utterances:
        speaker = utt.speaker
        if speaker is None and merged:  # a subtitle cue that continues the previous speaker
            speaker = merged[-1].speaker
        if merged and merged[-1].speaker == speaker:
            last = merged[-1]
            if utt.text:
                if parts:
                    parts.append(" " if utt.t_end is not None else "\n")
                parts.append(utt.text)
            if utt.t_end is not None or (utt.note and not last.note):
                merged[-1] = Utterance(
                    speaker,
                    last.text,
                    last.line,
                    last.t_start,
                    utt.t_end if utt.t_end is not None else last.t_end,
                    last.note or utt.note,
                )
        else:
            close()
            if speaker is not utt.speaker:
                utt = Utterance(speaker, utt.text, utt.line, utt.t_start, utt.t_end, utt.note)
            merged.append(utt)
            parts = [utt.text] if utt.text else []
    close()
    return merged


def turn_columns(utterances: list[Utterance]) -> tuple[str, dict[str, list[Any]]]:
    """Merge utterances into turns and render the normalised text, as plain lists.

    Parameters
    ----------
    utterances
        As read from a file, in order.

    Returns
    -------
    text, columns
        The normalised text and :data:`READ_COLUMNS` without ``turn`` (a turn's number is its
        position, from 1), each a list with one value per turn; times are ``nan`` where the
        file gives none.

    Examples
    --------
    >>> from dsr_workbench.corpus.formats import Utterance
    >>> text, columns = turn_columns([Utterance("Kim", "Hi.", 1), Utterance("Kim", "So.", 2)])
    >>> text, columns["text"], columns["start"], columns["end"]
    ('Kim: Hi.\\nSo.\\n', ['Hi.\\nSo.'], [5], [12])
    """
    merged = _merge(utterances)
    speakers = [utt.speaker for utt in merged]
    texts = [utt.text for utt in merged]
    pieces = [f"{speaker}: {text}" for speaker, text in zip(speakers, texts, strict=True)]
    starts: list[int] = []
    ends: list[int] = []
    pos = -2
    for speaker, text in zip(speakers, texts, strict=True):
        start = pos + 2 + len(str(speaker)) + 2
        pos = start + len(text)
        starts.append(start)
        ends.append(pos)
    nan = math.nan
    t_starts = [nan if utt.t_start is None else utt.t_start for utt in merged]
    t_ends = [nan if utt.t_end is None else utt.t_end for utt in merged]
    # a text transcript's timestamps mark starts only: a turn ends where the next one starts
    if all(math.isnan(t) for t in t_ends) and not all(math.isnan(t) for t in t_starts):
        t_ends = [*t_starts[1:], nan]
    columns: dict[str, list[Any]] = {
        "speaker": speakers,
        "start": starts,
        "end": ends,
        "text": texts,
        "n_words": [len(text.split()) for text in texts],
        "t_start": t_starts,
        "t_end": t_ends,
        "source_line": [utt.line for utt in merged],
        "speaker_note": [utt.note for utt in merged],
    }
    return "\n\n".join(pieces) + "\n", columns


_READ_DTYPES = {
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
    text, columns = turn_columns(utterances)
    turns = pd.DataFrame(
        {"turn": range(1, len(columns["speaker"]) + 1), **columns}, columns=READ_COLUMNS
    )
    return text, turns.astype(_READ_DTYPES)


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


def _category(name: str) -> type[Warning]:
    """The :class:`DsrWarning` (sub)class of a cached warning's name (else DsrWarning)."""
    todo: list[type[Warning]] = [DsrWarning]
    while todo:
        cls = todo.pop()
        if cls.__name__ == name:
            return cls
        todo.extend(cls.__subclasses__())
    return DsrWarning


_HERE = "\x00file\x00"  # the file's path in a cached warning


def _parse(path: Path, encoding: str, variant: str | None, data: bytes | None) -> Entry:
    """Parse one file into a cache entry; its warnings are recorded in the entry and emitted
    again (in order, also when the parse fails) for the caller's filters to see."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parsed = read_file(path, encoding, variant, data=data)
    finally:
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=4)  # the caller of load_corpus
    if not parsed.utterances:
        raise InputError("no turns found", path=path, hint="check the speaker labels")
    text, columns = turn_columns(parsed.utterances)
    here = str(path)  # kept as a placeholder: the same bytes may be read at another path
    kept = [
        (w.category.__name__, str(w.message).replace(here, _HERE))
        for w in caught
        if issubclass(w.category, DsrWarning)
    ]
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    table = pa.table(columns, schema=SCHEMA)
    return Entry(parsed.format, parsed.variant, digest, table, text, kept)


def _read(path: Path, variant: str | None, store: CorpusCache, encoding: str = "utf-8") -> Entry:
    """A transcript's entry: from the cache if it holds the file's, else parsed."""
    if store.folder is None:
        return _parse(path, encoding, variant, None)
    try:
        fmt = format_of(path)
        data = path.read_bytes()
    except (OSError, InputError):  # parsing names the problem
        return _parse(path, encoding, variant, None)
    key = entry_key(
        hashlib.sha256(data).hexdigest(),
        {"format": fmt, "variant": variant, "encoding": encoding},
    )
    entry = store.get(key)
    if entry is not None:
        for category, message in entry.warnings:  # attributed to the caller of load_corpus
            warnings.warn(message.replace(_HERE, str(path)), _category(category), stacklevel=3)
        return entry
    before = _stamp(path)
    entry = _parse(path, encoding, variant, None if fmt == "docx" else data)
    if fmt != "docx" or _stamp(path) == before:  # a .docx is read again from its path
        store.put(key, entry)
    return entry


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


_TURN_DTYPES = {
    "transcript_id": "str",
    "turn": "int64",
    "speaker": "str",
    "participant_id": "str",
    "organisation": "string",
    "perspective": "str",
    "start": "int64",
    "end": "int64",
    "text": "str",
    "n_words": "int64",
    "t_start": "float64",
    "t_end": "float64",
    "kind": "str",
    "cycle": "int64",
    "source_line": "int64",
    "speaker_note": "string",
}


def load_corpus(study: Study, *, cache: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every transcript of a study into the ``transcripts`` and ``turns`` tables.

    Speakers map to participants through ``study.yaml`` (the transcript's ``speakers:`` map,
    then pseudonym, id or alias, compared case- and accent-insensitively; see
    :mod:`dsr_workbench.corpus.speakers`). Each file's parsed turns are kept in the study's
    corpus cache (:mod:`dsr_workbench.corpus.cache`), so only files that changed since the
    last load are parsed again; the result is the same either way.

    Parameters
    ----------
    study
        From :func:`dsr_workbench.corpus.study.load_study`.
    cache
        Use and update the corpus cache (``False``: parse every file, write nothing).

    Returns
    -------
    transcripts, turns
        Columns :data:`TRANSCRIPT_COLUMNS` and :data:`TURN_COLUMNS`.

    Raises
    ------
    InputError
        For any unreadable transcript, or a speaker label that no participant of
        ``study.yaml`` carries (naming file, line and label).

    Warns
    -----
    DsrWarning
        What the readers report (lines of another label style, overlapping cues, UTF-16
        without a byte-order mark), also when the turns come from the cache.

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
    store = CorpusCache.for_study(study.root) if cache else CorpusCache(None)
    rows = list(study.transcripts.itertuples(index=False))
    entries: list[Entry] = []
    pair_ids: list[str] = []  # participant of each (transcript, distinct label)
    pair_of_turn: list[int] = []
    try:
        for row in rows:
            entry = _read(Path(row.path), row.variant, store, row.encoding or "utf-8")
            labels = entry.table["speaker"].to_pylist()
            first: dict[Any, int] = {}
            for label, line in zip(labels, entry.table["source_line"].to_pylist(), strict=True):
                first.setdefault(label, line)
            ids = assign_participants(
                list(first),
                list(first.values()),
                label_map(row.speakers, speakers),
                file=row.file,
                transcript_id=row.transcript_id,
            )
            position = {label: len(pair_ids) + i for i, label in enumerate(first)}
            pair_ids += ids
            pair_of_turn += [position[label] for label in labels]
            entries.append(entry)
    finally:
        store.flush(complete=len(entries) == len(rows))
    if not rows:
        turns_all = pd.DataFrame(columns=TURN_COLUMNS)
        turns_all["organisation"] = turns_all["organisation"].astype("string")
        turns_all["cycle"] = turns_all["cycle"].astype("int64")
        return pd.DataFrame([], columns=TRANSCRIPT_COLUMNS), turns_all
    turns = pa.concat_tables([entry.table for entry in entries])
    counts = np.array([entry.table.num_rows for entry in entries], dtype=np.int64)
    starts = np.cumsum(counts) - counts
    words = np.add.reduceat(turns["n_words"].to_numpy(), starts)
    transcripts = pd.DataFrame(
        [
            {
                "transcript_id": row.transcript_id,
                "kind": row.kind,
                "date": row.date,
                "cycle": row.cycle,
                "path": str(row.path),
                "format": entry.format,
                "sha256": entry.sha256,
                "n_turns": int(n),
                "n_words": int(n_words),
                "text": entry.text,
            }
            for row, entry, n, n_words in zip(rows, entries, counts, words, strict=True)
        ],
        columns=TRANSCRIPT_COLUMNS,
    )
    people = study.participants.set_index("participant_id")
    organisation = {
        pid: None if pd.isna(org) else str(org) for pid, org in people.organisation.items()
    }
    perspective = people.perspective.to_dict()
    columns: dict[str, list[Any]] = {
        "transcript_id": [r.transcript_id for r in rows],
        "kind": [r.kind for r in rows],
        "cycle": [int(r.cycle) for r in rows],
        "date": [r.date for r in rows],
    }
    pairs: dict[str, list[Any]] = {
        "participant_id": pair_ids,
        "organisation": [organisation[pid] for pid in pair_ids],
        "perspective": [perspective[pid] for pid in pair_ids],
    }
    return transcripts, _turns_table(turns, counts, columns, pairs, pair_of_turn)


def _turns_table(
    turns: pa.Table,
    counts: np.ndarray,
    per_file: dict[str, list[Any]],
    per_pair: dict[str, list[Any]],
    pair_of_turn: list[int],
) -> pd.DataFrame:
    """The ``turns`` table, built once from the Arrow turns of every transcript, the values of
    each transcript and those of each (transcript, speaker label)."""
    of_file = pa.array(np.repeat(np.arange(len(counts)), counts))
    of_pair = pa.array(np.asarray(pair_of_turn, dtype=np.int64))
    ends = np.cumsum(counts)
    columns: dict[str, Any] = {
        "turn": pa.array(np.arange(1, int(ends[-1]) + 1) - np.repeat(ends - counts, counts)),
        **{name: turns[name] for name in turns.column_names},
    }
    for name in ("transcript_id", "kind", "cycle"):
        kind = pa.int64() if name == "cycle" else pa.string()
        columns[name] = pa.array(per_file[name], kind).take(of_file)
    for name, values in per_pair.items():
        columns[name] = pa.array(values, pa.string()).take(of_pair)
    frame = pa.table({name: columns[name] for name in TURN_COLUMNS if name != "date"}).to_pandas()
    dates = np.empty(len(counts), dtype=object)
    dates[:] = per_file["date"]
    frame.insert(TURN_COLUMNS.index("date"), "date", np.repeat(dates, counts))
    return frame.astype(_TURN_DTYPES)
