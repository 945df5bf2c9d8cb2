"""Checking transcripts one by one: every problem collected, the variant of each file shown."""

from __future__ import annotations

from pathlib import Path

from dsr_workbench.corpus.study import load_study
from dsr_workbench.corpus.validate import check_files, check_study, transcript_files

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "transcripts"


def test_transcript_files_walks_folders_and_skips_the_readme(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("README.md", ".hidden.txt", "notes.pdf", "a.txt", "sub/b.vtt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in transcript_files([tmp_path])] == [
        "a.txt",
        "sub/b.vtt",
    ]
    assert transcript_files([tmp_path / "notes.pdf"]) == [tmp_path / "notes.pdf"]  # as given


def test_check_files_reads_every_fixture_and_reports_each_problem() -> None:
    reports = {Path(r.file).name: r for r in check_files([FIXTURES])}
    assert "README.md" not in reports
    assert reports["teams.vtt"].variant == "vtt/voice"
    assert reports["otter_speakers.txt"].speakers == {"Speaker 1": 2, "Speaker 2": 1}
    assert reports["mixed.txt"].ok and len(reports["mixed.txt"].warnings) == 1
    assert "line 3, 6" in reports["mixed.txt"].warnings[0]
    # a cp1252 file read as UTF-8 fails alone, naming the encoding to pass
    bad = reports["f4_cp1252.txt"]
    assert not bad.ok and bad.variant is None and "--encoding cp1252" in bad.errors[0]
    assert [name for name, r in reports.items() if not r.ok] == ["f4_cp1252.txt"]


def test_check_study_lists_every_unmapped_label(mini_study: Path) -> None:
    (mini_study.parent / "interviews" / "t1.txt").write_text(
        "Speaker 1: Hello?\nSpeaker 2: Hi.\nAna: Yes.\n", encoding="utf-8"
    )
    reports = check_study(load_study(mini_study))
    assert [r.ok for r in reports] == [False, True]
    assert reports[0].variant == "txt/colon" and reports[0].turns == 3
    assert reports[0].errors == [
        f"interviews/t1.txt:{line}: speaker 'Speaker {n}' maps to no participant (fix: add the "
        "person to participants (or an alias) in study.yaml, map the label in transcript T1's "
        f"entry (speakers: {{Speaker {n}: PARTICIPANT_ID}}), or correct the label)"
        for line, n in ((1, 1), (2, 2))
    ]
