"""Tests of dsr_workbench.refi.sources: which transcript a source is, or which file it gets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from dsr_workbench.refi.model import QdpxProject
from dsr_workbench.refi.sources import plan_sources

T1_RAW = "Interviewer: How do you choose a CMO?\nAna: By track record.\nAna: And audits.\n"


def plan(study_path: Path, sources: list[tuple[str, str]]):
    study = load_study(study_path)
    transcripts, _ = load_corpus(study)
    table = pd.DataFrame(
        [(f"s{i}", name, text) for i, (name, text) in enumerate(sources)],
        columns=["source_id", "name", "text"],
    )
    empty = pd.DataFrame(columns=["source_id"])
    return plan_sources(study, QdpxProject(table, empty, empty, empty, empty), transcripts)


def test_the_raw_file_and_the_normalised_text_are_the_transcript(mini_study):
    normalised = load_corpus(load_study(mini_study))[0].set_index("transcript_id").at["T1", "text"]
    rows, targets, files, _ = plan(
        mini_study, [("x", T1_RAW.replace("\n", "\r\n")), ("y", normalised)]
    )
    assert [(r["action"], r["transcript_id"]) for r in rows] == [("transcript", "T1")] * 2
    assert targets["s0"] == ("T1", normalised) and files == {}


def test_an_edited_transcript_is_recognised_by_its_name_and_lines(mini_study):
    edited = T1_RAW.replace("How do you", "How did you")
    sources = [("T1", edited), ("t1", edited), ("other", edited), ("t1.txt", edited)]
    rows, targets, _, notes = plan(mini_study, sources)
    # "t1.txt": QualCoder names a source by its file
    assert [r["action"] for r in rows] == ["edited", "edited", "new", "edited"]
    assert "as it was before an edit" in notes[0]


def test_an_unrelated_text_with_a_transcript_name_is_new(mini_study):
    rows, _, _, _ = plan(mini_study, [("T1", "Ana: Something else entirely.\n")])
    assert rows[0]["action"] == "new" and rows[0]["transcript_id"] == "T1_2"


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("../../etc/passwd", "interviews/imported/etc_passwd.txt"),
        ("C:\\Users\\x:y", "interviews/imported/C_Users_x_y.txt"),
        ("...", "interviews/imported/source.txt"),
        ("interview 3.txt", "interviews/imported/interview_3.txt"),  # not interview_3.txt.txt
        ("Focus group.DOCX", "interviews/imported/Focus_group.txt"),
    ],
)
def test_source_names_make_safe_file_names(mini_study, name, file):
    rows, _, files, _ = plan(mini_study, [(name, "Ana: Hello.\n")])
    assert rows[0]["file"] == file
    (path,) = files
    assert path.resolve().parent == (mini_study.parent / "interviews" / "imported").resolve()


def test_two_sources_with_one_name_get_two_files(mini_study):
    rows, _, files, _ = plan(mini_study, [("A", "Ana: One.\n"), ("A", "Ana: Two.\n")])
    assert [r["file"] for r in rows] == [
        "interviews/imported/A.txt",
        "interviews/imported/A_2.txt",
    ]
    assert len(files) == 2


def test_speakers_not_in_the_study_are_named(mini_study):
    rows, _, _, notes = plan(mini_study, [("A", "Zoe: Hello.\nAna: Hi.\n")])
    assert rows[0]["_yaml"].startswith("  - {id: A, file: interviews/imported/A.txt,")
    assert notes == [
        "interviews/imported/A.txt: speakers 'Zoe' are not in study.yaml; add them to "
        "participants (or as aliases) before the corpus can load it"
    ]
