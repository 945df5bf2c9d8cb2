"""REFI-QDA import faults (issue #14): no coding is dropped for want of evidence; what cannot be
placed is listed; hostile or missing source files are refused in one line, nothing written."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from dsr_workbench.cli import main
from dsr_workbench.refi.importing import import_refi
from tests.corpus.test_word import bomb_docx
from tests.faults import guard
from tests.refi.qc_style import QC_STYLE, qc_style_qdpx

G = "00000000-0000-0000-0000-0000000000{:02d}".format


@pytest.fixture
def dsr(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    def run(study: Path, *argv: str) -> tuple[int, str, str]:
        code = main(["--study", str(study), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _project(path: Path, start: object, end: object, source: str, files: dict) -> Path:
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p">
<CodeBook><Codes><Code guid="{G(1)}" name="Trust" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="{G(2)}" name="T1" {source}>
<PlainTextSelection guid="{G(3)}" startPosition="{start}" endPosition="{end}">
<Coding guid="{G(4)}"><CodeRef targetGUID="{G(1)}"/></Coding></PlainTextSelection>
</TextSource></Sources></Project>"""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        for name, data in files.items():
            zf.writestr(name, data)
    return path


PLAIN = 'plainTextPath="internal://T1.txt"'
RICH = 'plainTextPath="internal://T1.txt" richTextPath="internal://T1.docx"'


@pytest.mark.fault(
    case="QDPX (QualCoder-shaped) whose selections carry no quote and cannot settle the "
    "position convention (all 9 codings were dropped before)",
    area="archives",
    outcome="detected",
)
def test_qdpx_without_quotes_imports_every_coding_flagged(mini_study: Path, dsr) -> None:
    path = qc_style_qdpx(mini_study.parent / "qc.qdpx")
    code, out, _ = dsr(mini_study, "import", "qdpx", str(path), "--dry-run")
    assert code == 0
    assert "would append 9 (default: 9); 0 already in the logs; 0 not imported" in out
    assert "unverified: 9 of the codings to append are placed" in out


@pytest.mark.fault(
    case="QDPX selection whose startPosition is after its endPosition",
    area="archives",
    outcome="detected",
)
def test_qdpx_start_after_end(mini_study: Path) -> None:
    path = _project(mini_study.parent / "x.qdpx", 13, 8, PLAIN, {"Sources/T1.txt": "Ana: hi.\n"})
    before = guard.snapshot(mini_study.parent)
    plan = import_refi(mini_study, path, dry_run=True)
    assert plan.n_events == 0
    assert plan.problems[["selection_id", "start", "end", "problem"]].values.tolist() == [
        [G(3), "13", "8", "its startPosition 13 is after its endPosition 8"]
    ]
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="QDPX selection past its source's text among placeable ones: only it is dropped, "
    "and listed",
    area="archives",
    outcome="detected",
)
def test_qdpx_one_selection_past_the_text(mini_study: Path) -> None:
    qde = (QC_STYLE / "project.qde").read_text(encoding="utf-8")
    qde = qde.replace('startPosition="24" endPosition="35"', 'startPosition="70" endPosition="95"')
    path = mini_study.parent / "past.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        for file in (QC_STYLE / "Sources").iterdir():
            zf.write(file, f"Sources/{file.name}")
    plan = import_refi(mini_study, path, dry_run=True)
    assert plan.n_events == 8 and len(plan.problems) == 1
    assert plan.problems.loc[0, "problem"] == "offsets 70..95 fall outside the text (77 characters)"


@pytest.mark.fault(
    case="QDPX source whose plain text and .docx are both missing from the archive",
    area="archives",
    outcome="refused",
)
def test_qdpx_missing_source_and_docx(mini_study: Path, dsr) -> None:
    path = _project(mini_study.parent / "x.qdpx", 0, 3, RICH, {})
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "import", "qdpx", str(path))
    assert code == 2
    assert err == (
        f"dsr import: error: {path}: source 'T1' ({G(2)}) refers to 'internal://T1.txt', "
        "which is not in the archive, and its rich text 'internal://T1.docx' is not in the "
        "archive either (fix: export the project again with its sources embedded)\n"
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))


@pytest.mark.fault(
    case="QDPX source read from its .docx (plain text missing), the .docx a zip bomb",
    area="archives",
    outcome="refused",
)
def test_qdpx_docx_bomb(mini_study: Path, dsr) -> None:
    bomb = bomb_docx(mini_study.parent / "bomb.docx").read_bytes()
    path = _project(mini_study.parent / "x.qdpx", 0, 3, RICH, {"Sources/T1.docx": bomb})
    before = guard.snapshot(mini_study.parent)
    code, _, err = dsr(mini_study, "import", "qdpx", str(path))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(
        f"dsr import: error: {path}:Sources/T1.docx: member 'word/document.xml' would expand"
    )
    guard.assert_unchanged(before, guard.snapshot(mini_study.parent))
