"""The reading of ``load_corpus`` before the corpus cache (frozen here as the reference the
cached and uncached reads are compared with): one DataFrame per transcript, then ``concat``."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.formats import Utterance, parse_file
from dsr_workbench.corpus.read import READ_COLUMNS, TRANSCRIPT_COLUMNS, TURN_COLUMNS
from dsr_workbench.corpus.speakers import assign_participants, label_map
from dsr_workbench.corpus.study import Study


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
    """The old render."""
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


def old_load_corpus(study: Study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``load_corpus`` as it was before the cache."""
    speakers = study.speaker_map()
    people = study.participants.set_index("participant_id")
    tr_rows = []
    frames = []
    for row in study.transcripts.itertuples(index=False):
        fmt, utterances = parse_file(row.path, variant=row.variant)
        if not utterances:
            raise InputError("no turns found", path=row.path, hint="check the speaker labels")
        text, turns = render(utterances)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        turns = turns.copy()
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
                "format": fmt,
                "sha256": digest,
                "n_turns": len(turns),
                "n_words": int(turns.n_words.sum()),
                "text": text,
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
