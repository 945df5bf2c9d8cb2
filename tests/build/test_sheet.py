"""Take-away sheets (dsr_workbench.build.sheet): standalone HTML and Word, no identities."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from dsr_workbench.build.sheet import sheet_content, sheet_html, write_sheet
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.pseudonymise import load_key
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import Study, load_study
from dsr_workbench.dsr.artifacts import Artifacts, load_artifacts

# Turn 4 names a real person ("Huber"), whom the throw-away key below marks.
TRANSCRIPT = """\
Interviewer: How do you choose a CMO?

Ana: By their track record and their audits.

Interviewer: Who decided in the end?

Ana: Huber decided, after the audit of the site.
"""
KEY = "- {real: Johann Huber, pseudonym: Ben, variants: [Huber]}\n"
DECISIONS = """\
requirements:
  - {id: R1, text: Governance from day one, source: ["transcript:T1#turn2"]}
decisions:
  - {id: D1, cycle: 2, artifact: fw, version: v2, decision: Add a governance layer,
     addresses: [R1], source: ["transcript:T1#turn4"]}
"""
ARTIFACT = """\
id: fw
title: Tiny framework
kind: model
purpose: Follow a relationship through its phases.
element_kinds: [phase, practice, layer]
"""
V1 = """\
cycle: 1
status: evaluated
summary: The first draft.
elements:
  - id: p1
    kind: phase
    name: Selection
    children:
      - {id: sc, kind: practice, name: Steering committee}
"""
V2 = """\
cycle: 2
status: final
summary: Governance gets a layer of its own.
requirements: [R1]
elements:
  - id: p1
    kind: phase
    name: Selection
    text: Client and CMO choose each other.
    evidence: ["transcript:T1#turn1", "transcript:T1#turn2", "transcript:T1#turn4"]
    children:
      - {id: dd, kind: practice, name: Two-sided due diligence, text: Both sides check.}
  - id: gov
    kind: layer
    name: Governance layer
    addresses: [R1]
    decisions: [D1]
    children:
      - {id: sc, kind: practice, name: Joint steering committee, text: From day one.}
"""


@pytest.fixture
def study(mini_study: Path) -> Path:
    """The mini study with a second cycle, decisions and a two-version artifact ``fw``."""
    root = mini_study.parent
    text = mini_study.read_text(encoding="utf-8").replace(
        "  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}\n",
        "  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}\n"
        "  - {id: 2, focus: Revision, start: 2026-04-01, end: 2026-06-30}\n",
    )
    mini_study.write_text(text, encoding="utf-8")
    (root / "interviews" / "t1.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (root / "data" / "evaluations").mkdir(parents=True)
    (root / "data" / "evaluations" / "decisions.yaml").write_text(DECISIONS, encoding="utf-8")
    folder = root / "data" / "artifacts" / "fw"
    folder.mkdir(parents=True)
    for name, content in (("artifact.yaml", ARTIFACT), ("v1.yaml", V1), ("v2.yaml", V2)):
        (folder / name).write_text(content, encoding="utf-8")
    return mini_study


@pytest.fixture
def loaded(study: Path) -> tuple[Study, Artifacts, pd.DataFrame]:
    s = load_study(study)
    _, turns = load_corpus(s)
    return s, load_artifacts(s), turns


@pytest.fixture
def key(tmp_path: Path) -> Path:
    """A throw-away pseudonymisation key outside the study."""
    path = tmp_path / "elsewhere" / "key.yaml"
    path.parent.mkdir()
    path.write_text(KEY, encoding="utf-8")
    return path


EVALUATIONS = pd.DataFrame({
    "artifact": "fw", "version": "v2", "cycle": 2, "purpose": "summative",
    "criterion": "usefulness", "rating": [3, 4, 5], "episode": "E2",
    "participant": ["P1", "P2", "P1"], "perspective": ["client", "cmo", "client"],
})  # fmt: skip


def test_content_has_elements_changes_ratings_and_participant_quotes(loaded) -> None:  # type: ignore[no-untyped-def]
    s, arts, turns = loaded
    sheet = sheet_content(s, arts, "fw", "v2", evaluations=EVALUATIONS, turns=turns)
    assert sheet.title == "Tiny framework"
    assert sheet.subtitle.startswith("Version 2 · design cycle 2 · final")
    assert [name for name, _, _ in sheet.elements] == [
        "Selection (phase)",
        "Governance layer (layer)",
    ]
    assert sheet.changes == ["Add a governance layer (Governance layer, Joint steering committee)"]
    assert sheet.evaluation == ["usefulness: 4.0 of 5 (n = 3, summative)"]
    # the researcher's turn 1 is not quoted; the participant's turns are, by pseudonym and side
    assert [who for _, who in sheet.quotes] == ["Ana, client side", "Ana, client side"]
    assert sheet.figure_png.startswith(b"\x89PNG")


def test_html_is_standalone_with_the_figure_embedded(loaded) -> None:  # type: ignore[no-untyped-def]
    s, arts, turns = loaded
    sheet = sheet_content(s, arts, "fw", "v2", evaluations=EVALUATIONS, turns=turns)
    page = sheet_html(sheet)
    links = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]*)['"]""", page, flags=re.I)
    assert links and all(link.startswith("data:") for link in links)
    assert not re.search(r"https?://|<link\b|<script\b|@import|url\(", page, flags=re.I)
    (png,) = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert base64.b64decode(png) == sheet.figure_png
    for text in ("Tiny framework", "Selection", "Two-sided due diligence", "Joint steering"):
        assert text in page


def test_html_names_people_only_by_pseudonym_and_perspective(loaded) -> None:  # type: ignore[no-untyped-def]
    s, arts, turns = loaded
    page = sheet_html(sheet_content(s, arts, "fw", "v2", evaluations=EVALUATIONS, turns=turns))
    assert "— Ana, client side" in page
    people = s.participants
    hidden = set(people["participant_id"]) | set(people["organisation"].dropna())
    hidden |= set(people["role"].dropna()) | {"Acme Pharma", "CMO X", "Kim", "Interviewer"}
    for word in hidden:
        assert not re.search(rf"\b{re.escape(str(word))}\b", page), word


def test_a_quote_with_a_term_of_the_key_is_left_out(loaded, key: Path) -> None:  # type: ignore[no-untyped-def]
    s, arts, turns = loaded
    without = sheet_content(s, arts, "fw", "v2", turns=turns)
    assert any("Huber" in q for q, _ in without.quotes)  # the key, not chance, drops it
    sheet = sheet_content(s, arts, "fw", "v2", turns=turns, key=load_key(key))
    assert [q for q, _ in sheet.quotes] == ["By their track record and their audits."]
    assert "Huber" not in sheet_html(sheet)


def test_written_docx_opens_with_title_elements_and_figure(  # type: ignore[no-untyped-def]
    loaded, tmp_path: Path, key: Path
) -> None:
    s, arts, turns = loaded
    out = write_sheet(s, arts, "fw", "v2", tmp_path / "fw-v2.docx", evaluations=EVALUATIONS,
                      turns=turns, key=load_key(key))  # fmt: skip
    doc = Document(io.BytesIO(out.read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "Tiny framework"
    for name in ("Selection", "Two-sided due diligence", "Governance layer",
                 "Joint steering committee", "usefulness: 4.0 of 5"):  # fmt: skip
        assert name in text
    assert len(doc.inline_shapes) == 1
    assert "Huber" not in text and "Ana, client side" in text
    assert not list(tmp_path.glob(".probe-*"))


def test_written_html_is_the_page(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s, arts, turns = loaded
    out = write_sheet(s, arts, "fw", "v1", tmp_path / "fw-v1.html", turns=turns)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "Version 1 · design cycle 1" in page
    assert "What changed" not in page  # v1 has no previous version


def test_a_sheet_that_would_name_a_real_person_is_not_written(  # type: ignore[no-untyped-def]
    study: Path, tmp_path: Path, key: Path
) -> None:
    v2 = study.parent / "data" / "artifacts" / "fw" / "v2.yaml"
    v2.write_text(V2.replace("From day one.", "Chaired by Huber."), encoding="utf-8")
    s = load_study(study)
    out = tmp_path / "fw.html"
    with pytest.raises(DsrError, match="the sheet would name Ben's real name"):
        write_sheet(s, load_artifacts(s), "fw", "v2", out, key=load_key(key))
    assert not out.exists() and not list(tmp_path.glob(".probe-*"))


def test_unknown_format_version_or_artifact_is_one_line(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s, arts, turns = loaded
    out = tmp_path / "sheets"
    out.mkdir()
    for args, message in (
        (("fw", "v2", out / "fw.pdf"), "cannot write a sheet as '.pdf'"),
        (("fw", "v9", out / "fw.html"), "artifact 'fw' has no version 'v9'"),
        (("nope", "v1", out / "fw.html"), "no artifact 'nope'"),
    ):
        with pytest.raises(DsrError, match=re.escape(message)) as info:
            write_sheet(s, arts, *args, turns=turns)
        assert "\n" not in str(info.value)
    assert not list(out.iterdir())
