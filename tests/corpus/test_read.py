"""The corpus: every transcript of the example study, and load_corpus on a small study."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.read import (
    TRANSCRIPT_COLUMNS,
    TURN_COLUMNS,
    load_corpus,
    parse_transcript,
    read_transcript,
)
from dsr_workbench.corpus.study import load_study

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example():
    study = load_study(ROOT / "study.yaml")
    transcripts, turns = load_corpus(study)
    return study, transcripts, turns


def test_columns(example) -> None:
    _, transcripts, turns = example
    assert list(transcripts.columns) == TRANSCRIPT_COLUMNS
    assert list(turns.columns) == TURN_COLUMNS


def test_every_format_is_in_the_example(example) -> None:
    _, transcripts, _ = example
    assert set(transcripts.format) == {"txt", "md", "docx", "vtt", "srt"}


def test_every_turn_is_its_slice_of_the_text(example) -> None:
    _, transcripts, turns = example
    texts = transcripts.set_index("transcript_id").text
    for row in turns.itertuples(index=False):
        assert texts[row.transcript_id][row.start : row.end] == row.text


def test_sha256_is_of_the_normalised_text(example) -> None:
    _, transcripts, _ = example
    for row in transcripts.itertuples(index=False):
        assert row.sha256 == hashlib.sha256(row.text.encode("utf-8")).hexdigest()


def test_example_sizes_speakers_and_perspectives(example) -> None:
    study, transcripts, turns = example
    words = transcripts.set_index("transcript_id").n_words
    interviews = transcripts[transcripts.kind == "interview"].transcript_id
    groups = transcripts[transcripts.kind == "focus_group"].transcript_id
    assert len(interviews) == 14 and len(groups) == 5
    assert (words[interviews] >= 800).all()
    assert (words[groups] >= 1500).all()
    for tid, sub in turns.groupby("transcript_id"):
        kind = sub.kind.iloc[0]
        people = sub[sub.perspective != "researcher"]
        if kind == "interview":
            assert people.participant_id.nunique() == 1, tid
        else:  # >= 4 participants from both sides plus a moderator
            assert people.participant_id.nunique() >= 4, tid
            assert {"client", "cmo"} <= set(people.perspective), tid
            assert "R1" in set(sub.participant_id), tid
    assert set(turns.perspective) == {"client", "cmo", "researcher"}
    assert turns.organisation[turns.perspective == "researcher"].isna().all()


@pytest.mark.parametrize(
    ("tid", "n_turns", "speakers"),
    [
        ("I01", 34, {"Interviewer", "Hannah"}),  # Name: text
        ("I02", 30, {"Interviewer", "Elena"}),  # [hh:mm:ss] Name: text (Markdown)
        ("I03", 30, {"Interviewer", "Lukas"}),  # Name (hh:mm:ss): text
        ("I04", 30, {"Interviewer", "Jonas"}),  # @Name:
        ("I05", 32, {"Interviewer", "Marco"}),  # [Name]
        ("I06", 30, {"Interviewer", "Ingrid"}),  # speaker line + paragraphs
        ("I07", 30, {"Interviewer", "Claire"}),  # docx
        ("I09", 30, {"Noah", "Sofia"}),  # vtt voice tags
        ("I10", 32, {"Noah", "Aylin"}),  # vtt Name: prefixes
        ("I11", 32, {"Noah", "Priya"}),  # srt
        ("FG3", 71, {"Moderator", "Noah", "Priya", "Lukas", "Tomás", "Peter", "Claire"}),
    ],
)
def test_turn_counts_and_speakers_per_format(example, tid, n_turns, speakers) -> None:
    _, _, turns = example
    sub = turns[turns.transcript_id == tid]
    assert len(sub) == n_turns
    assert set(sub.speaker) == speakers
    # turns alternate: consecutive lines of one speaker were merged
    assert (sub.speaker.to_numpy()[1:] != sub.speaker.to_numpy()[:-1]).all()


def test_timed_formats_have_times(example) -> None:
    _, transcripts, turns = example
    timed = transcripts[transcripts.format.isin(["vtt", "srt"])].transcript_id
    sub = turns[turns.transcript_id.isin(timed)]
    assert sub.t_start.notna().all() and (sub.t_end >= sub.t_start).all()


def test_same_turns_same_text_whatever_the_format(tmp_path: Path) -> None:
    from dsr_workbench.corpus.formats import write_transcript

    turns = [
        {"speaker": "Kim", "text": "Why?", "t_start": 0.0, "t_end": 1.0},
        {"speaker": "Ana", "text": "Because.", "t_start": 1.0, "t_end": 2.0},
    ]
    hashes = {
        parse_transcript(write_transcript(turns, tmp_path / f"t.{ext}")).sha256
        for ext in ("txt", "docx", "vtt", "srt")
    }
    assert len(hashes) == 1


def test_read_transcript_outside_any_study(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "call.txt"
    path.parent.mkdir()
    path.write_text("Zoe: Hello.\nMax: Hi.\n", encoding="utf-8")
    turns = read_transcript(path)
    assert list(turns.speaker) == ["Zoe", "Max"] and turns.attrs["format"] == "txt"


def test_load_corpus_mini(mini_study: Path) -> None:
    transcripts, turns = load_corpus(load_study(mini_study))
    t1 = turns[turns.transcript_id == "T1"]
    assert list(t1.participant_id) == ["R1", "P1"]
    assert t1.text.iloc[1] == "By track record.\nAnd audits."
    t2 = turns[turns.transcript_id == "T2"]
    assert list(t2.perspective) == ["researcher", "cmo", "client"]
    assert list(t2.organisation) == [None, "CMOX", "ACME"] or t2.organisation.isna().iloc[0]
    assert transcripts.n_turns.tolist() == [2, 3]


def test_speaker_not_in_study(mini_study: Path) -> None:
    path = mini_study.parent / "interviews" / "t1.txt"
    before = path.read_bytes()
    path.write_text("Interviewer: Hello?\nZoe: Hi.\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"interviews/t1\.txt:2: speaker 'Zoe' is not in "
        r"study\.yaml \(fix: add",
    ):
        load_corpus(load_study(mini_study))
    assert before != path.read_bytes()  # (the test changed it; the library never writes)
