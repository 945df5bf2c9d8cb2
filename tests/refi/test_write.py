"""Tests of dsr_workbench.refi.write: QDC and QDPX exports, checked against the REFI-QDA XSDs."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.coding.codebook import load_codebook, parse_codebook
from dsr_workbench.coding.codings import code_span, load_codings, log_path
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from dsr_workbench.refi.read import read_qdpx
from dsr_workbench.refi.write import codebook_qdc, export_qdc, export_qdpx, project_qdpx

# ../shared next to the checkout; DSR_SHARED names it for a checkout elsewhere (a worktree)
REFI = (
    Path(os.environ.get("DSR_SHARED", Path(__file__).resolve().parents[3] / "shared")) / "refi-qda"
)
CODEBOOK = """\
codes:
  - {id: SEL, name: Partner selection, level: theme, color: "#4C72B0"}
  - {id: AUDIT, name: Audits, parent: SEL, definition: Audits of the CMO., rules: {keywords: [audits]}}
  - {id: CAP, name: Capacity}
"""


def schema(name: str):
    xmlschema = pytest.importorskip("xmlschema")
    if not (REFI / name).exists():
        pytest.skip(f"the REFI-QDA schemas are not at {REFI} (clone ../shared beside the repo)")
    return xmlschema.XMLSchema(str(REFI / name))


@pytest.fixture
def coded(mini_study: Path) -> Path:
    """The mini study with a codebook and codings by two coders (one with a memo)."""
    data = mini_study.parent / "data"
    data.mkdir()
    (data / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    book = load_codebook(data / "codebook.yaml")
    transcripts, _ = load_corpus(load_study(mini_study))
    t1, t2 = (row for _, row in transcripts.iterrows())
    for coder, text, word, code, memo in [
        ("R1", t1, "track record", "SEL", None),
        ("R1", t1, "audits", "AUDIT", "check the rule"),
        ("R2", t2, "Capacity is tight", "CAP", None),
    ]:
        at = text["text"].index(word)
        code_span(log_path(data, coder), text, at, at + len(word), code, codebook=book, memo=memo)
    return mini_study


def test_codebook_qdc_validates_against_the_codebook_schema():
    qdc = codebook_qdc(parse_codebook(CODEBOOK))
    schema("Codebook.xsd").validate(qdc.decode("utf-8"))


def test_an_empty_codebook_cannot_be_a_qdc():
    with pytest.raises(DsrError, match="the codebook has no codes"):
        codebook_qdc(parse_codebook("codes: []"))


def test_export_qdpx_validates_and_holds_the_study(coded, tmp_path):
    report = export_qdpx(coded, tmp_path / "mini.qdpx")
    assert report.counts == {
        "sources": 2,
        "codes": 3,
        "codings": 3,
        "users": 2,
        "cases": 4,
        "notes": 1,
    }
    with zipfile.ZipFile(report.path) as zf:
        qde = zf.read("project.qde").decode("utf-8")
        texts = sorted(n for n in zf.namelist() if n.startswith("Sources/"))
    schema("Project.xsd").validate(qde)
    assert len(texts) == 2
    assert 'name="track record"' in qde  # the quote travels with the selection
    assert '<User guid="' in qde and 'name="Kim" id="R1"' in qde
    p = read_qdpx(report.path)
    assert set(p.sources["convention"]) == {"codepoint/raw/exclusive"}
    assert (p.codings["verified"] == "quote").all()
    assert p.cases["name"].tolist() == ["Acme Pharma", "CMO X", "Ana", "Ben"]
    ana = p.cases.loc[p.cases["name"] == "Ana", "case_id"].iloc[0]
    values = p.variables.loc[p.variables["owner_id"] == ana].set_index("variable")["value"]
    assert values.to_dict() == {
        "ID": "P1",
        "Case type": "participant",
        "Perspective": "client",
        "Organisation": "ACME",
        "Role": "Head of QA",
    }
    assert len(p.case_sources.loc[p.case_sources["case_id"] == ana]) == 2  # she speaks in both
    assert p.codings.loc[p.codings["code_id"] == "AUDIT", "memo"].tolist() == ["check the rule"]


def test_exports_are_reproducible(coded, tmp_path):
    a = export_qdpx(coded, tmp_path / "a.qdpx").path.read_bytes()
    b = export_qdpx(coded, tmp_path / "b.qdpx").path.read_bytes()
    assert a == b


def test_codings_that_cannot_be_exported_are_listed(coded):
    study = load_study(coded)
    transcripts, turns = load_corpus(study)
    book = load_codebook(study.data_dir / "codebook.yaml")
    codings = load_codings(study.data_dir / "codings").astype(object)
    codings["code_id"] = ["GONE", *codings["code_id"][1:]]
    codings["quote"] = [codings["quote"][0], "stale text", codings["quote"][2]]
    codings["transcript_id"] = [*codings["transcript_id"][:2], "T9"]
    data, counts, skipped = project_qdpx(study, transcripts, book, codings, turns)
    assert counts["codings"] == 0
    assert [r.split(" (")[0] for r in skipped["reason"]] == [
        "code 'GONE' is not in the codebook",
        "its quote does not match the transcript",
        "transcript 'T9' is not in the study",
    ]
    schema("Project.xsd").validate(zipfile.ZipFile(io.BytesIO(data)).read("project.qde").decode())


def test_characters_xml_cannot_hold_are_replaced(coded):
    study = load_study(coded)
    transcripts, turns = load_corpus(study)
    book = parse_codebook('codes:\n  - {id: SEL, name: "Sel\\x07ection", definition: "a\\x01b"}')
    codings = pd.DataFrame(columns=["coding_id", "transcript_id", "code_id", "start", "end"])
    data, _, _ = project_qdpx(study, transcripts, book, codings, turns)
    qde = zipfile.ZipFile(io.BytesIO(data)).read("project.qde").decode()
    schema("Project.xsd").validate(qde)
    assert "Sel\ufffdection" in qde and "a\ufffdb" in qde


def test_export_qdc_needs_a_codebook(mini_study, tmp_path):
    with pytest.raises(DsrError, match="the study has no codebook"):
        export_qdc(mini_study, tmp_path / "x.qdc")


def test_export_qdc_writes_the_codebook(coded, tmp_path):
    report = export_qdc(coded, tmp_path / "book.qdc")
    assert report.counts == {"codes": 3}
    schema("Codebook.xsd").validate(report.path.read_text(encoding="utf-8"))
