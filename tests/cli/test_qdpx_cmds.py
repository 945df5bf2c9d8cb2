"""Tests of dsr_workbench.cli.qdpx_cmds (dsr import / dsr export) on the mini study."""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from dsr_workbench.cli import qdpx_cmds
from dsr_workbench.core.errors import DsrError

CODEBOOK = (
    "codes:\n  - {id: SEL, name: Partner selection}\n  - {id: AUDIT, name: Audits, parent: SEL}\n"
)
G = "00000000-0000-0000-0000-0000000000{:02d}".format


@pytest.fixture
def run(run_group: Callable[..., int]) -> Callable[..., int]:
    """``run(study, *argv)`` with only the import/export commands registered."""
    return functools.partial(run_group, qdpx_cmds)


@pytest.fixture
def study(study_with_codebook: Callable[[str], Path]) -> Path:
    return study_with_codebook(CODEBOOK)


def test_export_qdpx_writes_study_id_qdpx_here(study, tmp_path, monkeypatch, capsys, run):
    monkeypatch.chdir(tmp_path)
    assert run(study, "export", "qdpx") == 0
    assert (tmp_path / "mini.qdpx").exists()
    assert "wrote mini.qdpx: 2 sources, 2 codes, 0 codings" in capsys.readouterr().out


def test_export_qdc_to_a_file(study, tmp_path, capsys, run):
    assert run(study, "export", "qdc", "--out", str(tmp_path / "book.qdc")) == 0
    assert "2 codes" in capsys.readouterr().out


def test_import_dry_run_prints_the_plan_and_writes_nothing(study, tmp_path, capsys, run):
    run(study, "export", "qdpx", "--out", str(tmp_path / "m.qdpx"))
    capsys.readouterr()
    before = sorted(p for p in study.parent.rglob("*") if p.is_file())
    assert run(study, "import", "qdpx", str(tmp_path / "m.qdpx"), "--dry-run") == 0
    out = capsys.readouterr()
    assert "codes: 2 already in the codebook, 0 in conflict (ours kept), would append 0" in out.out
    assert "codings: would append 0 (none); 0 already in the logs; 0 not imported" in out.out
    assert "dry run, nothing written" in out.err
    assert sorted(p for p in study.parent.rglob("*") if p.is_file()) == before


def test_import_exits_1_when_a_coding_is_not_imported(study, tmp_path, capsys, run):
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p">
<Users><User guid="{G(9)}" name="Gergo"/></Users>
<CodeBook><Codes><Code guid="{G(1)}" name="Price" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="{G(2)}" name="t1" plainTextPath="internal://t1.txt">
<PlainTextSelection guid="{G(3)}" startPosition="500" endPosition="510"><Coding guid="{G(4)}"
 creatingUser="{G(9)}"><CodeRef targetGUID="{G(1)}"/></Coding></PlainTextSelection>
</TextSource></Sources></Project>"""
    path = tmp_path / "x.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("Sources/t1.txt", (study.parent / "interviews" / "t1.txt").read_text())
    assert run(study, "import", "qdpx", str(path), "--coder-map", "Gergo=R2") == 1
    out = capsys.readouterr()
    assert "would append" not in out.out and "append 1" in out.out  # the new code Price
    assert "fall outside the text" in out.out
    assert "wrote" in out.err and "codebook.yaml" in out.err


def test_a_bad_coder_map_is_an_error(study, tmp_path, run):
    with pytest.raises(DsrError, match="is not OLD=NEW"):
        run(study, "import", "qdc", str(tmp_path / "x.qdc"), "--coder-map", "Gergo")


def test_dry_run_says_how_many_codings_are_unverified_and_why(study, tmp_path, capsys, run):
    from tests.refi.qc_style import qc_style_qdpx

    path = qc_style_qdpx(tmp_path / "qc.qdpx")
    assert run(study, "import", "qdpx", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "codings: would append 9 (default: 9); 0 already in the logs; 0 not imported" in out
    why = (
        "codings placed by the REFI-QDA standard's code-point convention, unverified: the "
        "selections carry no quote text to check against, and codepoint/raw/inclusive cannot "
        "be ruled out"
    )
    assert "unverified: 9 of the codings to append are placed" in out
    assert f"  t1.txt: 3 {why}\n" in out
    assert f"  interview.txt: 6 {why}\n" in out


def test_each_coding_not_imported_is_listed_with_its_selection(study, tmp_path, capsys, run):
    from tests.refi.qc_style import QC_STYLE

    qde = (QC_STYLE / "project.qde").read_text(encoding="utf-8")
    for old in ('startPosition="24" endPosition="35"', 'startPosition="46" endPosition="57"'):
        qde = qde.replace(old, 'startPosition="70" endPosition="95"')
    path = tmp_path / "past.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        for file in (QC_STYLE / "Sources").iterdir():
            zf.write(file, f"Sources/{file.name}")
    assert run(study, "import", "qdpx", str(path), "--dry-run") == 1
    out = capsys.readouterr().out
    assert "7 (default: 7); 0 already in the logs; 2 not imported" in out
    listed = out.split("not imported (each one):\n", 1)[1].splitlines()
    assert listed[0].split() == [
        "source",
        "selection_id",
        "start",
        "end",
        "code_id",
        "coder",
        "problem",
    ]
    for guid, line in zip(("114", "115"), listed[1:3], strict=True):
        assert line.split()[:6] == [
            "t1.txt",
            f"7c1e4a52-3b9d-4f0e-a6c2-000000000{guid}",
            "70",
            "95",
            "Selection_criteria",
            "default",
        ]
        assert line.endswith("offsets 70..95 fall outside the text (77 characters)")


def test_import_qdc_appends_its_codes(study, tmp_path, capsys, run):
    from tests.refi.test_read import qdc

    path = tmp_path / "maxqda.qdc"
    path.write_text(qdc("MAXQDA"), encoding="utf-8")
    assert run(study, "import", "qdc", str(path)) == 0
    out = capsys.readouterr().out
    # Audits is the study's AUDIT by name, with another parent: a conflict, ours kept
    assert "codes: 0 already in the codebook, 1 in conflict (ours kept), append 2" in out
    assert "note: 1 set(s) of codes ('Quality') are not imported" in out
    assert "Track_record" in (study.parent / "data" / "codebook.yaml").read_text()
