"""The ``dsr`` front end: exit codes, one-line errors, nothing written on bad input."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dsr_workbench.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``dsr`` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "dsr_workbench.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_every_command() -> None:
    text = build_parser().format_help()
    for command in (
        "validate",
        "corpus",
        "pseudonymise",
        "check-leaks",
        "build",
        "status",
        "verify",
    ):
        assert command in text


def test_validate_example_study() -> None:
    result = run("--study", str(ROOT / "study.yaml"), "validate")
    assert result.returncode == 0, result.stderr
    assert "19 transcripts" in result.stdout


def test_bad_study_is_one_line_without_traceback(
    mini_study: Path, snapshot: Callable[[Path], dict[str, bytes]]
) -> None:
    text = mini_study.read_text(encoding="utf-8").replace("transcripts:", "transcript:")
    mini_study.write_text(text, encoding="utf-8")
    before = snapshot(mini_study.parent)
    result = run("--study", str(mini_study), "validate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "study.yaml:" in lines[0] and "did you mean 'transcripts'" in lines[0]
    assert snapshot(mini_study.parent) == before


def test_corpus_overview_by_perspective(mini_study: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--study", str(mini_study), "corpus", "--by", "perspective", "--csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("perspective,n_transcripts,n_turns,n_words")
    assert len(out) == 4  # client, cmo, researcher


def test_pseudonymise_and_check_leaks(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    key = tmp_path / "secret" / "key.yaml"
    key.parent.mkdir()
    key.write_text(
        "- {real: Johanna Vennemann, pseudonym: Hannah, variants: [Johanna]}\n", encoding="utf-8"
    )
    raw = tmp_path / "raw" / "i1.txt"
    raw.parent.mkdir()
    raw.write_text("Kim: Hello Johanna.\nJohanna: Hello.\n", encoding="utf-8")
    assert main(["check-leaks", str(raw.parent), "--key", str(key)]) == 1
    out = capsys.readouterr().out
    assert "i1.txt:1:12: real name of 'Hannah'" in out and "Johanna" not in out
    assert (
        main(["pseudonymise", str(raw), "--out", str(tmp_path / "clean"), "--key", str(key)]) == 0
    )
    assert (tmp_path / "clean" / "i1.txt").read_text(encoding="utf-8") == (
        "Kim: Hello Hannah.\nHannah: Hello.\n"
    )
    assert main(["check-leaks", str(tmp_path / "clean"), "--key", str(key)]) == 0


def test_check_leaks_passes_on_the_example_study(tmp_path: Path) -> None:
    key = tmp_path / "key.yaml"
    key.write_text(
        "- {real: Johanna Vennemann, pseudonym: Hannah, variants: [Johanna]}\n"
        "- {real: Kestrel Pharmaceuticals, pseudonym: Alpha Pharma, "
        "kind: organisation, variants: [Kestrel]}\n",
        encoding="utf-8",
    )
    result = run(
        "check-leaks", str(ROOT / "interviews"), str(ROOT / "study.yaml"), "--key", str(key)
    )
    assert result.returncode == 0, result.stdout
    assert "no key term found" in result.stdout


def test_bad_key_writes_nothing(tmp_path: Path) -> None:
    key = tmp_path / "key.yaml"
    key.write_text(
        "- {real: Johanna, pseudonym: Hannah}\n- {real: JOHANNA, pseudonym: Anna}\n",
        encoding="utf-8",
    )
    raw = tmp_path / "i1.txt"
    raw.write_text("Johanna: hi\n", encoding="utf-8")
    result = run("pseudonymise", str(raw), "--out", str(tmp_path / "out"), "--key", str(key))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "key.yaml:2: the real name on this line is mapped to two pseudonyms" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    result = run("check-leaks", str(tmp_path / "nope"), "--key", str(tmp_path / "k.yaml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_build_reads_the_unplaced_codings_table_the_notebooks_write() -> None:
    from dsr_workbench.cli.build_cmds import UNPLACED_TABLE as cli_name
    from dsr_workbench.coding.anchored import UNPLACED_TABLE

    assert cli_name == UNPLACED_TABLE
