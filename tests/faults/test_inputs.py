"""Fault and abuse cases: hostile and broken inputs (YAML, transcripts, archives, study, ratings).

Each case builds the bad input inside the mini study, snapshots every input file, runs the
library or the ``dsr`` command, asserts the one-line error (or warning) and that no input
changed. Cases that could run without bound (alias bomb, deep nesting) run ``dsr`` first in a
child process limited in time and memory (:func:`bounded`), so a regression fails instead of
hanging the suite.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from dsr_workbench.cli import main
from dsr_workbench.coding.codebook import load_codebook
from dsr_workbench.core import yamlio
from dsr_workbench.core.errors import DsrError, DsrWarning, InputError, StudyError
from dsr_workbench.corpus import word
from dsr_workbench.corpus.pseudonymise import load_key
from dsr_workbench.corpus.read import read_transcript
from dsr_workbench.corpus.study import load_study
from dsr_workbench.dsr.episodes import write_episode
from dsr_workbench.dsr.ratings import record_rating
from dsr_workbench.refi.read import read_qdpx
from tests.faults import guard

BOMB = 'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
"""Nine levels of nine aliases ("billion laughs"): 9**9 strings if anything expanded it."""


def bounded(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``dsr ARGV`` in a child process held to 60 seconds and 2 GiB of address space.

    A regression that expands the input again then fails here, cleanly, instead of hanging the
    suite or taking the machine's memory.
    """

    def limit() -> None:
        resource.setrlimit(
            resource.RLIMIT_AS, (2 * 1024**3, resource.getrlimit(resource.RLIMIT_AS)[1])
        )

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "dsr_workbench.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
        env=env,
    )


@pytest.fixture
def dsr(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``dsr(study, *argv)``: run the ``dsr`` command in-process; (exit code, stdout, stderr)."""

    def run(study: Path, *argv: str) -> tuple[int, str, str]:
        code = main(["--study", str(study), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def one_line_error(err: str, command: str, where: Path) -> str:
    """The single error line of ``dsr COMMAND``, which must name ``where``."""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"dsr {command}: error: {where}"), err
    return err


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --------------------------------------------------------------------------- yaml


@pytest.mark.fault(
    case="study.yaml holds a nine-level alias bomb (billion laughs)",
    area="yaml",
    outcome="refused",
)
def test_alias_bomb_in_study_yaml(mini_study: Path, dsr) -> None:
    mini_study.write_text(mini_study.read_text(encoding="utf-8") + BOMB, encoding="utf-8")
    before = guard.snapshot(mini_study.parent)
    done = bounded("--study", str(mini_study), "validate")
    assert done.returncode == 2
    line = one_line_error(done.stderr, "validate", mini_study)
    assert f"{mini_study}:19: YAML alias '*a' refused" in line
    assert dsr(mini_study, "validate") == (2, "", line)  # the same in-process
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="data/codebook.yaml holds a nine-level alias bomb", area="yaml", outcome="refused"
)
def test_alias_bomb_in_a_codebook(study_with_codebook) -> None:
    study = study_with_codebook("title: t\nversion: 1\n" + BOMB + "codes:\n  - {id: A, name: A}\n")
    book = study.parent / "data" / "codebook.yaml"
    before = guard.snapshot(study.parent)
    done = bounded("--study", str(study), "codes", "stats")
    assert done.returncode == 2
    assert "codebook.yaml:4: YAML alias '*a' refused" in one_line_error(done.stderr, "codes", book)
    with pytest.raises(InputError, match=r"codebook\.yaml:4: YAML alias '\*a' refused"):
        load_codebook(book)
    guard.assert_unchanged(before, guard.snapshot(study.parent))


@pytest.mark.fault(
    case="the pseudonymisation key file holds a nine-level alias bomb",
    area="yaml",
    outcome="refused",
)
def test_alias_bomb_in_a_key_file(mini_study: Path) -> None:
    key = mini_study.parent / "key.yaml"
    nine = ", ".join(["lol"] * 9)
    levels = "".join(
        f"- &{c} [{', '.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    key.write_text(
        f"- {{real: Johanna Berger, pseudonym: Hannah}}\n- &a [{nine}]\n{levels}", encoding="utf-8"
    )
    before = guard.snapshot(mini_study.parent)
    done = bounded(
        "--study", str(mini_study), "check-leaks", "--key", str(key), str(mini_study.parent)
    )
    assert done.returncode == 2
    assert "key.yaml:3: YAML alias '*a' refused" in one_line_error(done.stderr, "check-leaks", key)
    with pytest.raises(InputError, match=r"key\.yaml:3: YAML alias '\*a' refused"):
        load_key(key)
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="a YAML file larger than the size limit (limit lowered to 2 kB)",
    area="yaml",
    outcome="refused",
)
def test_oversized_yaml(mini_study: Path, dsr, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", 2048)
    edit(
        mini_study,
        "  title: A tiny study\n",
        f"  title: A tiny study\n  description: {'x' * 3000}\n",
    )
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "validate")
    assert code == 2
    assert "bytes, more than the limit of 2,048 for a YAML file" in one_line_error(
        err, "validate", mini_study
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="study.yaml nests lists 10,000 levels deep (a RecursionError before)",
    area="yaml",
    outcome="refused",
)
def test_deeply_nested_yaml(mini_study: Path) -> None:
    mini_study.write_text(
        mini_study.read_text(encoding="utf-8") + "deep: " + "[" * 10_000 + "]" * 10_000 + "\n",
        encoding="utf-8",
    )
    before = guard.snapshot(mini_study.parent)
    done = bounded("--study", str(mini_study), "validate")
    assert done.returncode == 2 and "nested more than 64 levels" in done.stderr
    with pytest.raises(StudyError, match=r"study\.yaml:18: lists and mappings nested more than"):
        load_study(mini_study)
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="an episode file carries a !!python/object tag", area="yaml", outcome="refused"
)
def test_python_tag_in_an_episode(mini_study: Path, episode: dict) -> None:
    folder = mini_study.parent / "data" / "evaluations"
    path = write_episode(folder, "E1", participants={"P1": "client"}, **episode)
    edit(path, "method: focus group", "method: !!python/object/apply:os.system [touch pwned]")
    before = guard.snapshot(mini_study.parent)
    with pytest.raises(DsrError, match=r"E1\.yaml:\d+: key 'method': YAML tag '!!python/object"):
        record_rating(folder, "E1", "P1", "usefulness", 4)
    assert not (Path.cwd() / "pwned").exists()
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


# --------------------------------------------------------------------------- study


@pytest.mark.fault(
    case="study.yaml gives a cycle start 2026-02-30", area="study", outcome="refused"
)
def test_impossible_date(mini_study: Path, dsr) -> None:
    edit(mini_study, "start: 2026-01-01", "start: 2026-02-30")
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "validate")
    assert code == 2
    assert one_line_error(err, "validate", mini_study) == (
        f"dsr validate: error: {mini_study}:14: key 'cycles[0].start': 2026-02-30 is not a date "
        "(fix: write a real calendar date as YYYY-MM-DD, or quote it to keep it as text)\n"
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="study.yaml lists the same transcript file under two ids",
    area="study",
    outcome="refused",
)
def test_same_file_twice(mini_study: Path, dsr) -> None:
    edit(mini_study, "file: interviews/t2.vtt", "file: interviews/t1.txt")
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "validate")
    assert code == 2
    line = one_line_error(err, "validate", mini_study)
    assert (
        f"{mini_study}:17: key 'transcripts[1].file': transcript file 'interviews/t1.txt' " in line
    )
    assert "is already listed as transcripts[0] ('T1')" in line
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="a transcript path '../x.txt' leaves the study folder", area="study", outcome="refused"
)
def test_path_outside_relative(mini_study: Path, dsr) -> None:
    outside = mini_study.parent.parent / "x.txt"
    outside.write_text("Ana: not part of the study\n", encoding="utf-8")
    edit(mini_study, "file: interviews/t2.vtt", "file: ../x.txt")
    before = guard.snapshot(mini_study.parent, outside)
    code, _, err = dsr(mini_study, "validate")
    assert code == 2
    line = one_line_error(err, "validate", mini_study)
    assert (
        "key 'transcripts[1].file': transcript file '../x.txt' is outside the study folder" in line
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent, outside))


@pytest.mark.fault(
    case="a transcript path is absolute, elsewhere on the disk", area="study", outcome="refused"
)
def test_path_outside_absolute(mini_study: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "x.txt"
    outside.write_text("Ana: not part of the study\n", encoding="utf-8")
    edit(mini_study, "file: interviews/t2.vtt", f"file: {outside}")
    before = guard.snapshot(mini_study.parent, outside)
    with pytest.raises(StudyError, match=r"'transcripts\[1\]\.file'.* is outside the study folder"):
        load_study(mini_study)
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent, outside))


@pytest.mark.fault(
    case="a transcript is a symbolic link leading out of the study folder",
    area="study",
    outcome="refused",
)
def test_path_outside_symlink(mini_study: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "x.txt"
    outside.write_text("Ana: not part of the study\n", encoding="utf-8")
    (mini_study.parent / "interviews" / "link.txt").symlink_to(outside)
    edit(mini_study, "file: interviews/t2.vtt", "file: interviews/link.txt")
    before = guard.snapshot(mini_study.parent, outside)
    with pytest.raises(
        StudyError, match=r"is outside the study folder .* \(through a symbolic link\)"
    ):
        load_study(mini_study)
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent, outside))


@pytest.mark.fault(
    case="a transcript is dated outside its cycle's start and end",
    area="study",
    outcome="detected",
)
def test_date_outside_cycle(mini_study: Path, dsr) -> None:
    edit(mini_study, "date: 2026-02-10, cycle: 1", "date: 2026-05-10, cycle: 1")
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "validate")
    assert code == 0
    assert err == (
        f"dsr: warning: {mini_study}:17: key 'transcripts[1].date': 2026-05-10 is outside cycle 1 "
        "(2026-01-01 to 2026-03-31) (fix: correct the date or the cycle (or the cycle's start and "
        "end))\n"
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


# --------------------------------------------------------------------------- transcripts


@pytest.mark.fault(
    case="an ASCII transcript saved as UTF-16-LE without a byte-order mark",
    area="transcripts",
    outcome="detected",
)
def test_utf16_without_bom(mini_study: Path, dsr) -> None:
    t1 = mini_study.parent / "interviews" / "t1.txt"
    t1.write_bytes(t1.read_text(encoding="utf-8").encode("utf-16-le"))
    before = guard.snapshot(mini_study.parent)
    with pytest.warns(DsrWarning, match="UTF-16-LE text without a byte-order mark"):
        turns = read_transcript(t1)
    assert turns.speaker.tolist()[:2] == ["Interviewer", "Ana"]
    code, _, err = dsr(mini_study, "validate")
    assert code == 0
    assert err == (
        f"dsr: warning: {t1}: UTF-16-LE text without a byte-order mark (not utf-8): read as "
        "UTF-16-LE (fix: re-save it as UTF-8)\n"
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="a .txt transcript holds binary data (NUL bytes, not UTF-16)",
    area="transcripts",
    outcome="refused",
)
def test_binary_transcript(mini_study: Path, dsr) -> None:
    t1 = mini_study.parent / "interviews" / "t1.txt"
    t1.write_bytes(b"Interviewer: hi\n\x00\x01\x02\x03\x00\xff\xfe binary")
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "validate")
    assert code == 2
    assert f"{t1}:2: holds NUL bytes (the first at offset 16)" in one_line_error(
        err, "validate", t1
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="a WebVTT file whose cues overlap (one starts before the previous ends)",
    area="transcripts",
    outcome="detected",
)
def test_overlapping_cues(mini_study: Path, dsr) -> None:
    t2 = mini_study.parent / "interviews" / "t2.vtt"
    edit(t2, "00:00:03.500 --> 00:00:06.000", "00:00:02.500 --> 00:00:06.000")
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "validate")
    assert code == 0
    assert err == (
        f"dsr: warning: {t2}:6: cue starts (00:00:02.500) before the cue at line 3 ends "
        "(00:00:03.000) (fix: overlapping speech is kept as it is; correct the times if it is a "
        "mistake)\n"
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="a WebVTT cue ends before it starts (negative duration)",
    area="transcripts",
    outcome="detected",
)
def test_negative_duration_cue(mini_study: Path) -> None:
    t2 = mini_study.parent / "interviews" / "t2.vtt"
    edit(t2, "00:00:06.500 --> 00:00:09.000", "00:00:09.000 --> 00:00:06.500")
    before = guard.snapshot(mini_study.parent)
    with pytest.warns(DsrWarning, match=r"t2\.vtt:9: cue ends \(00:00:06\.500\) before it starts"):
        assert len(read_transcript(t2)) == 3
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(case="a WebVTT cue time of 999,999 hours", area="transcripts", outcome="refused")
def test_insane_cue_time(mini_study: Path) -> None:
    t2 = mini_study.parent / "interviews" / "t2.vtt"
    edit(t2, "00:00:06.500 --> 00:00:09.000", "999999:00:06.500 --> 00:61:09.000")
    before = guard.snapshot(mini_study.parent)
    with pytest.raises(InputError, match=r"t2\.vtt:9: time '999999:00:06\.500' is past 100 hours"):
        read_transcript(t2)
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


# --------------------------------------------------------------------------- archives


def _docx_bomb(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Interviewer: How do you choose a CMO?")
    document.add_paragraph("Ana: By track record.")
    plain = path.with_suffix(".plain")
    document.save(str(plain))
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "word/document.xml":  # 64 kB that compress to about 100 bytes
                data = data.replace(b"</w:body>", b"<!--" + b"x" * 65536 + b"--></w:body>")
            out.writestr(info.filename, data)
    plain.unlink()


@pytest.mark.fault(
    case=".docx whose document.xml inflates past the part limit (limit lowered to 32 kB)",
    area="archives",
    outcome="refused",
)
def test_docx_bomb(mini_study: Path, dsr, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(word, "MAX_DOCX_PART", 32 * 1024)
    bomb = mini_study.parent / "interviews" / "t3.docx"
    _docx_bomb(bomb)
    monkeypatch.setattr(docx, "Document", lambda *a: pytest.fail("python-docx opened the bomb"))
    edit(
        mini_study,
        "transcripts:\n",
        "transcripts:\n  - {id: T3, file: interviews/t3.docx, kind: interview, date: 2026-01-12, "
        "cycle: 1}\n",
    )
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "validate")
    assert code == 2
    line = one_line_error(err, "validate", bomb)
    assert "member 'word/document.xml' is " in line and "more than the limit of 32,768" in line
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


def _qdpx(path: Path, start: object, end: object) -> Path:
    g = "00000000-0000-0000-0000-0000000000{:02d}".format
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p">
<CodeBook><Codes><Code guid="{g(1)}" name="Trust" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="{g(2)}" name="T1" plainTextPath="internal://T1.txt">
<PlainTextSelection guid="{g(3)}" startPosition="{start}" endPosition="{end}">
<Coding guid="{g(4)}"><CodeRef targetGUID="{g(1)}"/></Coding></PlainTextSelection>
</TextSource></Sources></Project>"""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("Sources/T1.txt", "Ana: We trust them.\n")
    return path


@pytest.mark.fault(
    case='QDPX selection with endPosition="1e30"', area="archives", outcome="refused"
)
def test_qdpx_end_position_1e30(mini_study: Path, dsr) -> None:
    path = _qdpx(mini_study.parent / "x.qdpx", 0, "1e30")
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "import", "qdpx", str(path), "--dry-run")
    assert code == 2
    assert one_line_error(err, "import", path) == (
        f"dsr import: error: {path}:project.qde:4: PlainTextSelection "
        "00000000-0000-0000-0000-000000000003 endPosition '1e30' is not a whole number (fix: "
        "positions count characters from 0 in whole numbers; the file is damaged or was not "
        "written by a REFI-QDA tool: export it again)\n"
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case='QDPX selection with startPosition="-5"', area="archives", outcome="refused"
)
def test_qdpx_negative_position(mini_study: Path) -> None:
    path = _qdpx(mini_study.parent / "x.qdpx", -5, 3)
    before = guard.snapshot(mini_study.parent)
    with pytest.raises(
        InputError, match=r"project\.qde:4: PlainTextSelection .* startPosition '-5' is negative"
    ):
        read_qdpx(path)
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="QDPX selection with a 31-digit endPosition (an OverflowError before)",
    area="archives",
    outcome="refused",
)
def test_qdpx_huge_position(mini_study: Path) -> None:
    path = _qdpx(mini_study.parent / "x.qdpx", 0, 10**30)
    before = guard.snapshot(mini_study.parent)
    with pytest.raises(InputError, match=r"endPosition '1000.*' is too large \(31 digits\)"):
        read_qdpx(path)
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="QDPX selection whose whole-number endPosition lies past the source text",
    area="archives",
    outcome="detected",
)
def test_qdpx_position_past_the_text(mini_study: Path) -> None:
    path = _qdpx(mini_study.parent / "x.qdpx", 0, 10**17)
    before = guard.snapshot(mini_study.parent)
    project = read_qdpx(path)
    assert project.codings.empty  # never placed
    assert project.problems["problem"].str.contains("fall outside the text").tolist() == [True]
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


# --------------------------------------------------------------------------- ratings


@pytest.mark.fault(
    case="a rating log ends in a torn line (partial JSON, no newline)",
    area="ratings",
    outcome="survived",
)
def test_torn_ratings_line(mini_study: Path, episode: dict, dsr) -> None:
    folder = mini_study.parent / "data" / "evaluations"
    write_episode(folder, "E1", participants={"P1": "client", "P2": "cmo"}, **episode)
    record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    log.write_bytes(log.read_bytes() + b'{"episode":"E1","participant":"P2","crit')
    before = guard.snapshot(mini_study.parent)
    code, out, err = dsr(mini_study, "evaluations")
    assert code == 0 and "1 ratings: cycle 1: 1" in out
    assert err == f"dsr: warning: {log}:2: torn last line (40 bytes, no newline): skipped\n"
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="a rating log line holds a rating of 10**30 (an OverflowError before)",
    area="ratings",
    outcome="refused",
)
def test_rating_past_64_bits(mini_study: Path, episode: dict, dsr) -> None:
    folder = mini_study.parent / "data" / "evaluations"
    write_episode(folder, "E1", participants={"P1": "client"}, **episode)
    event = record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({**event, "rating": 10**30}) + "\n")
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "evaluations")
    assert code == 2
    assert f"{log}:2: rating 1" in one_line_error(err, "evaluations", log)
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="a rating log line holds a 9 on the study's 1-5 scale", area="ratings", outcome="refused"
)
def test_rating_off_the_scale(mini_study: Path, episode: dict, dsr) -> None:
    folder = mini_study.parent / "data" / "evaluations"
    write_episode(folder, "E1", participants={"P1": "client"}, **episode)
    event = record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({**event, "rating": 9}) + "\n")
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "evaluations")
    assert code == 2
    assert one_line_error(err, "evaluations", log) == (
        f"dsr evaluations: error: {log}:2: rating 9 is off the scale 1-5 (fix: correct the line "
        "or the scale in criteria.yaml)\n"
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))
