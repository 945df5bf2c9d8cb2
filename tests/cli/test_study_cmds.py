"""``dsr validate``: the variant of every transcript, every problem, and ``--files``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "transcripts"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dsr_workbench.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_prints_the_variant_of_every_study_transcript() -> None:
    result = run("--study", str(ROOT / "study.yaml"), "validate")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    study = load_study(ROOT / "study.yaml")
    transcripts, _ = load_corpus(study)
    assert len(lines) == len(study.transcripts) + 1
    for line, file, fmt, n in zip(
        lines[:-1], study.transcripts.file, transcripts.format, transcripts.n_turns, strict=True
    ):
        assert line.startswith(f"{file}: {fmt}/") and f", {n} turns, speakers: " in line
    assert lines[-1].endswith("19 transcripts, 783 turns, 27338 words")


def test_validate_reports_unmapped_labels_of_every_file(mini_study: Path) -> None:
    (mini_study.parent / "interviews" / "t1.txt").write_text(
        "Speaker 1: Hello?\nSpeaker 2: Hi.\n", encoding="utf-8"
    )
    result = run("--study", str(mini_study), "validate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[0] == (
        "interviews/t1.txt: txt/colon, 2 turns, speakers: Speaker 1 (1), Speaker 2 (1)"
    )
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert errors == [
        f"dsr validate: error: interviews/t1.txt:{n}: speaker 'Speaker {n}' maps to no "
        "participant (fix: add the person to participants (or an alias) in study.yaml, map "
        f"the label in transcript T1's entry (speakers: {{Speaker {n}: PARTICIPANT_ID}}), or "
        "correct the label)"
        for n in (1, 2)
    ]
    assert result.stdout.splitlines()[-1].endswith("2 problem(s) in the transcripts")
    assert len(result.stderr.splitlines()) == 2  # one line per problem, nothing else


def test_validate_files_prints_the_variant_of_each_fixture(
    tmp_path: Path, snapshot: Callable[[Path], dict[str, bytes]]
) -> None:
    before = snapshot(FIXTURES)
    result = run("validate", "--files", str(FIXTURES))
    assert snapshot(FIXTURES) == before  # raw files are never modified
    assert result.returncode == 2  # f4_cp1252.txt is not UTF-8
    rows = dict(line.split(": ", 1) for line in result.stdout.splitlines()[:-1])
    names = {Path(k).name: v for k, v in rows.items()}
    assert names["teams.vtt"] == "vtt/voice, 2 turns, speakers: Roe, Jane (1), Lee, Kim (1)"
    assert names["word_transcribe.docx"].startswith("docx/time_speaker, 4 turns")
    assert names["f4.txt"] == "txt/colon, 4 turns, speakers: I (2), B (2)"
    assert names["f4_cp1252.txt"] == "not read"
    assert "README.md" not in names
    assert result.stdout.splitlines()[-1] == f"{len(names)} file(s) read, 1 with errors"
    assert "mixed.txt: 2 line(s) carry a label of another style" in result.stderr
    # the right encoding reads it
    ok = run("validate", "--files", str(FIXTURES / "f4_cp1252.txt"), "--encoding", "cp1252")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0].endswith(
        "f4_cp1252.txt: txt/colon, 4 turns, speakers: I (2), B (2)"
    )


def test_validate_files_with_a_variant_settles_a_tie(tmp_path: Path) -> None:
    path = tmp_path / "tie.txt"
    path.write_text("Kim: Hello.\n[Ana] Hi.\n", encoding="utf-8")
    result = run("validate", "--files", str(path))
    assert result.returncode == 2
    assert "two label styles are equally common" in result.stderr
    result = run("validate", "--files", str(path), "--variant", "colon")
    assert result.returncode == 0 and "txt/colon, 1 turns" in result.stdout


def test_validate_files_without_transcripts_is_one_line(tmp_path: Path) -> None:
    result = run("validate", "--files", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no transcript files found" in result.stderr


def test_validate_options_of_files_alone_are_refused_for_the_study(mini_study: Path) -> None:
    result = run("--study", str(mini_study), "validate", "--variant", "colon")
    assert result.returncode == 2 and "apply to --files only" in result.stderr


def test_example_study_turn_counts_are_unchanged() -> None:
    # turn counts per transcript of the example study before the new variants (main, 0.2)
    expected = dict(
        I01=34, I02=30, I03=30, I04=30, I05=32, I06=30, I07=30, I08=32, I09=30, I10=32,
        I11=32, I12=30, I13=32, I14=28, FG1=81, FG2=68, FG3=71, FG4=74, FG5=57,
    )  # fmt: skip
    transcripts, _ = load_corpus(load_study(ROOT / "study.yaml"))
    assert dict(zip(transcripts.transcript_id, transcripts.n_turns, strict=True)) == expected
    assert isinstance(transcripts, pd.DataFrame)
