"""Generic speaker labels mapped to participants per transcript (``speakers:`` in study.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_workbench.core.errors import InputError, StudyError
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.speakers import assign_participants, label_map
from dsr_workbench.corpus.study import load_study
from dsr_workbench.corpus.validate import check_study

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "transcripts"


def _add(mini_study: Path, fixture: str, extra: str) -> None:
    target = mini_study.parent / "interviews" / fixture
    target.write_bytes((FIXTURES / fixture).read_bytes())
    text = mini_study.read_text(encoding="utf-8")
    entry = (
        f"  - {{id: T3, file: interviews/{fixture}, kind: interview, date: 2026-03-01, "
        f"cycle: 1{extra}}}\n"
    )
    mini_study.write_text(text + entry, encoding="utf-8")


def test_generic_labels_map_through_the_transcripts_speakers(mini_study: Path) -> None:
    _add(mini_study, "otter_speakers.txt", ", speakers: {Speaker 1: R1, speaker 2: P2}")
    raw = (mini_study.parent / "interviews" / "otter_speakers.txt").read_bytes()
    study = load_study(mini_study)
    assert study.transcripts.speakers.iloc[2] == {"Speaker 1": "R1", "speaker 2": "P2"}
    _, turns = load_corpus(study)
    t3 = turns[turns.transcript_id == "T3"]
    assert list(t3.speaker) == ["Speaker 1", "Speaker 2", "Speaker 1"]  # as written
    assert list(t3.participant_id) == ["R1", "P2", "R1"]
    assert list(t3.perspective) == ["researcher", "cmo", "researcher"]
    assert (mini_study.parent / "interviews" / "otter_speakers.txt").read_bytes() == raw
    # the map is per transcript: "Speaker 1" means nobody in T1
    assert "Speaker 1" not in set(turns[turns.transcript_id == "T1"].speaker)


def test_the_transcript_map_wins_over_study_wide_aliases(mini_study: Path) -> None:
    # "Interviewer" is an alias of R1 study-wide; in this file it is P1
    (mini_study.parent / "interviews" / "t4.txt").write_text(
        "Interviewer: Hi.\nAna: Hello.\n", encoding="utf-8"
    )
    text = mini_study.read_text(encoding="utf-8") + (
        "  - {id: T4, file: interviews/t4.txt, kind: interview, date: 2026-03-01, cycle: 1,"
        " speakers: {Interviewer: P2}}\n"
    )
    mini_study.write_text(text, encoding="utf-8")
    _, turns = load_corpus(load_study(mini_study))
    assert list(turns[turns.transcript_id == "T4"].participant_id) == ["P2", "P1"]


def test_an_unmapped_generic_label_names_file_line_label_and_fix(mini_study: Path) -> None:
    _add(mini_study, "diarised.txt", ", speakers: {SPEAKER_00: R1}")
    with pytest.raises(InputError) as info:
        load_corpus(load_study(mini_study))
    assert str(info.value) == (
        "interviews/diarised.txt:2: speaker 'SPEAKER_01' is not in study.yaml (fix: add the "
        "person to participants (or an alias) in study.yaml, map the label in transcript T3's "
        "entry (speakers: {SPEAKER_01: PARTICIPANT_ID}), or correct the label)"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ", speakers: {Speaker 1: P9}",
            r"key 'transcripts\[2\]\.speakers\.Speaker 1': 'P9' "
            r"\(for speaker 'Speaker 1'\) is not a participant or researcher id",
        ),
        (", speakers: [R1, P1]", r"key 'transcripts\[2\]\.speakers': must map speaker labels"),
        (
            ", speakers: {1: R1}",
            r"key 'transcripts\[2\]\.speakers': speaker label 1 is not text \(fix: quote",
        ),
        (
            ", speakers: {Speaker 1: R1, SPEAKER 1: P1}",
            r"key 'transcripts\[2\]\.speakers\."
            r"SPEAKER 1': speaker labels 'Speaker 1' and 'SPEAKER 1' are the same label",
        ),
        (
            ", variant: colonn",
            r"key 'transcripts\[2\]\.variant': 'colonn' is not a transcript "
            r"variant \(fix: use one of bracket_time",
        ),
        (
            ", encoding: klingon-8",
            r"key 'transcripts\[2\]\.encoding': 'klingon-8' is not an encoding Python knows "
            r"\(fix: use a codec name such as cp1252",
        ),
    ],
)
def test_bad_speakers_or_variant_keys(mini_study: Path, extra: str, message: str) -> None:
    _add(mini_study, "otter_speakers.txt", extra)
    with pytest.raises(StudyError, match=rf"study\.yaml:\d+: {message}"):
        load_study(mini_study)


def test_variant_in_study_yaml_settles_a_tie(mini_study: Path) -> None:
    (mini_study.parent / "interviews" / "tie.txt").write_text(
        "Kim: Hello.\n[Ana] Hi.\nKim: Fine?\n[Ana] Yes.\n", encoding="utf-8"
    )
    text = mini_study.read_text(encoding="utf-8")
    entry = "  - {id: T5, file: interviews/tie.txt, kind: interview, date: 2026-03-01, cycle: 1"
    mini_study.write_text(text + entry + "}\n", encoding="utf-8")
    with pytest.raises(InputError, match="two label styles are equally common"):
        load_corpus(load_study(mini_study))
    mini_study.write_text(text + entry + ", variant: bracket_name}\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="line 1, 3"):
        _, turns = load_corpus(load_study(mini_study))
    assert list(turns[turns.transcript_id == "T5"].speaker) == ["Ana"]


def test_label_map_and_assignment_fold_case_and_accents() -> None:
    mapping = label_map({"Sprecher Ö": "P1"}, {"kim": "R1"})
    assert assign_participants(["sprecher o", "KIM"], [1, 2], mapping, file="x") == ["P1", "R1"]
    with pytest.raises(InputError, match=r"x:3: speaker 'Zoe' is not in study\.yaml \(1 more"):
        assign_participants(["Kim", "Zoe", "Max"], [1, 3, 5], mapping, file="x")


def test_encoding_in_study_yaml_reads_a_cp1252_file_unchanged(mini_study: Path) -> None:
    # f4transkript on Windows saves cp1252 with CRLF; without the key the file is refused
    # with the fix, with it the study reads it and the raw file stays as it was
    _add(mini_study, "f4_cp1252.txt", ", speakers: {I: R1, B: P2}")
    raw = (mini_study.parent / "interviews" / "f4_cp1252.txt").read_bytes()
    with pytest.raises(InputError, match=r"f4_cp1252\.txt:3: cannot be decoded as utf-8.*encoding"):
        load_corpus(load_study(mini_study))
    text = mini_study.read_text(encoding="utf-8").replace("B: P2}", "B: P2}, encoding: cp1252")
    mini_study.write_text(text, encoding="utf-8")
    study = load_study(mini_study)
    assert study.transcripts.encoding.tolist() == [None, None, "cp1252"]
    _, turns = load_corpus(study)
    t3 = turns[turns.transcript_id == "T3"]
    assert list(t3.participant_id) == ["R1", "P2", "R1", "P2"]
    assert "ü" in " ".join(t3.text)
    assert [r.ok for r in check_study(study)] == [True, True, True]
    assert (mini_study.parent / "interviews" / "f4_cp1252.txt").read_bytes() == raw
