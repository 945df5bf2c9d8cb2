"""Artifacts as data: loading, validation (one-line errors), diff, traceability, evaluation."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.study import load_study
from dsr_workbench.dsr.artifacts import load_artifacts, research_questions
from dsr_workbench.dsr.diff import artifact_diff, change_sources
from dsr_workbench.dsr.trace import (
    check_references,
    evaluation_by_version,
    resolve,
    traceability,
)

DECISIONS = """\
requirements:
  - {id: R1, text: Governance from day one, source: ["transcript:T1#turn1"]}
  - {id: R2, text: Two-sided, source: []}
decisions:
  - {id: D1, cycle: 2, artifact: fw, version: v2, decision: Governance layer, addresses: [R1],
     source: ["transcript:T1#turn2"]}
"""
ARTIFACT = """\
id: fw
title: A framework
kind: model
purpose: test
research_question: RQ1
element_kinds: [phase, practice, layer]
"""
V1 = """\
cycle: 1
status: evaluated
elements:
  - id: p1
    kind: phase
    name: Selection
    children:
      - {id: sc, kind: practice, name: Steering committee, text: At commercial supply.}
      - {id: old, kind: practice, name: Old practice}
"""
V2 = """\
cycle: 2
status: final
requirements: [R1]
elements:
  - id: p1
    kind: phase
    name: Selection
    children:
      - {id: new, kind: practice, name: Two-sided practice, evidence: ["transcript:T1#turn1"]}
  - id: gov
    kind: layer
    name: Governance layer
    addresses: [R1]
    children:
      - {id: sc, kind: practice, name: Joint steering committee, text: From day one.}
"""


@pytest.fixture
def study(mini_study: Path) -> Path:
    """The mini study with research questions, decisions and a two-version artifact."""
    root = mini_study.parent
    text = mini_study.read_text(encoding="utf-8")
    text = text.replace(
        "  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}\n",
        "  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}\n"
        "  - {id: 2, focus: Revision, start: 2026-04-01, end: 2026-06-30}\n",
    )
    text += "\nresearch_questions:\n  - {id: RQ1, text: How do relationships develop, artifacts: [fw]}\n"
    mini_study.write_text(text, encoding="utf-8")
    (root / "data" / "evaluations").mkdir(parents=True)
    (root / "data" / "evaluations" / "decisions.yaml").write_text(DECISIONS)
    folder = root / "data" / "artifacts" / "fw"
    folder.mkdir(parents=True)
    (folder / "artifact.yaml").write_text(ARTIFACT)
    (folder / "v1.yaml").write_text(V1)
    (folder / "v2.yaml").write_text(V2)
    return mini_study


def _load(study: Path):
    s = load_study(study)
    return s, load_artifacts(s)


def _write(study: Path, name: str, text: str) -> None:
    (study.parent / "data" / "artifacts" / "fw" / name).write_text(textwrap.dedent(text))


def test_loads_versions_and_a_tidy_element_tree(study: Path) -> None:
    _, arts = _load(study)
    assert arts.versions["version"].tolist() == ["v1", "v2"]
    v2 = arts.version("fw", "v2")
    assert v2.set_index("element_id")["parent"].to_dict() == {
        "p1": None,
        "new": "p1",
        "gov": None,
        "sc": "gov",
    }
    assert arts.previous("fw", "v2") == "v1" and arts.previous("fw", "v1") is None


def test_research_questions_are_read(study: Path) -> None:
    rqs = research_questions(load_study(study), {"fw"})
    assert rqs["artifacts"].tolist() == [("fw",)]


def test_diff_lists_each_change_with_its_decision(study: Path) -> None:
    _, arts = _load(study)
    diff = artifact_diff(arts, "fw", "v1", "v2")
    got = {(r.element_id, r.change): r.decisions for r in diff.itertuples()}
    assert got == {
        ("new", "added"): (),
        ("gov", "added"): ("D1",),
        ("sc", "renamed"): ("D1",),
        ("sc", "moved"): ("D1",),
        ("sc", "reworded"): ("D1",),
        ("old", "removed"): (),
    }
    sources = change_sources(arts, diff)
    assert set(sources["reference"]) == {"transcript:T1#turn2", "transcript:T1#turn1"}


def test_traceability_coverage_and_resolution(study: Path) -> None:
    s, arts = _load(study)
    turns = pd.DataFrame({"transcript_id": ["T1"], "turn": [1]})
    refs = resolve(arts, turns=turns)
    trace = traceability(arts, "fw", "v2", references=refs)
    assert trace.ok and trace.coverage["requirement_id"].tolist() == ["R1"]
    assert set(trace.unevidenced["element_id"]) == {"p1", "gov", "sc"}
    assert trace.unmatched_decisions.empty


def test_a_requirement_no_element_addresses_is_uncovered(study: Path) -> None:
    _write(study, "v2.yaml", V2.replace("    addresses: [R1]\n", ""))
    _, arts = _load(study)
    trace = traceability(arts, "fw", "v2")
    assert not trace.ok and trace.uncovered["requirement_id"].tolist() == ["R1"]
    assert trace.unmatched_decisions["decision_id"].tolist() == ["D1"]


def test_evaluation_by_version_summarises_ratings(study: Path) -> None:
    _, arts = _load(study)
    ev = pd.DataFrame({"artifact": "fw", "version": "v1", "cycle": 1, "purpose": "formative",
                       "criterion": "usefulness", "rating": [3, 4, 5], "episode": "E",
                       "participant": ["a", "b", "c"], "perspective": "client"})  # fmt: skip
    out = evaluation_by_version(arts, ev, "fw")
    assert out[["version", "n", "mean"]].values.tolist() == [["v1", 3, 4.0]]
    assert out["ci_low"].iloc[0] < 4 < out["ci_high"].iloc[0]


def _error(study: Path) -> str:
    with pytest.raises(DsrError) as info:
        _load(study)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_duplicate_element_ids(study: Path) -> None:
    _write(study, "v1.yaml", V1.replace("id: old", "id: sc"))
    assert _error(study).endswith(
        "v1.yaml:9: key 'elements[0].children[1].id': element id 'sc' is repeated in v1 "
        "(fix: give each element its own id)"
    )


def test_element_id_reused_for_another_kind(study: Path) -> None:
    _write(study, "v2.yaml", V2.replace("{id: new, kind: practice", "{id: p1x, kind: practice")
           .replace("  - id: gov\n    kind: layer", "  - id: old\n    kind: layer"))  # fmt: skip
    assert "v2.yaml:11: key 'elements[1].kind': element 'old' was a practice" in _error(study)


def test_missing_requirement(study: Path) -> None:
    _write(study, "v2.yaml", V2.replace("addresses: [R1]", "addresses: [R9]"))
    assert "v2.yaml:13: key 'elements[1].addresses[0]': requirement 'R9' is not in" in _error(study)


def test_missing_decision(study: Path) -> None:
    _write(study, "v2.yaml", V2.replace("addresses: [R1]", "addresses: [R1]\n    decisions: [D7]"))
    assert "key 'elements[1].decisions[0]': decision 'D7' is not in decisions.yaml" in _error(study)


@pytest.mark.parametrize(
    ("ref", "what"),
    [("transcript:T1#turn99", "turn"), ("coding:nope", "coding"), ("rating:E/P/x", "rating")],
)
def test_missing_turn_coding_or_rating(study: Path, ref: str, what: str) -> None:
    _write(study, "v2.yaml", V2.replace("transcript:T1#turn1", ref))
    s, arts = _load(study)
    refs = resolve(
        arts,
        turns=pd.DataFrame({"transcript_id": ["T1"], "turn": [1]}),
        codings=pd.DataFrame({"coding_id": ["c1"]}),
        evaluations=pd.DataFrame({"episode": ["E"], "participant": ["P"], "criterion": ["u"]}),
    )
    with pytest.raises(DsrError) as info:
        check_references(refs)
    assert str(info.value).startswith(
        f"{study.parent}/data/artifacts/fw/v2.yaml:9: key 'elements[0].children[0].evidence[0]': "
        f"{ref}: no such {what}"
    )


def test_version_for_a_cycle_that_does_not_exist(study: Path) -> None:
    _write(study, "v2.yaml", V2.replace("cycle: 2", "cycle: 7"))
    assert "v2.yaml:1: key 'cycle': cycle 7 is not a cycle of study.yaml" in _error(study)


def test_version_number_skips(study: Path) -> None:
    folder = study.parent / "data" / "artifacts" / "fw"
    shutil.move(folder / "v2.yaml", folder / "v3.yaml")
    assert "v3.yaml:1: key 'version': version v3 skips v2" in _error(study)


def test_decision_naming_a_version_without_a_file(study: Path) -> None:
    (study.parent / "data" / "artifacts" / "fw" / "v2.yaml").unlink()
    assert _error(study).startswith(
        f"{study.parent}/data/evaluations/decisions.yaml:5: key 'decisions[0].version': "
        "decision D1 names fw v2, which has no file"
    )


def test_unknown_element_kind(study: Path) -> None:
    _write(study, "v1.yaml", V1.replace("kind: phase", "kind: stage"))
    assert "v1.yaml:5: key 'elements[0].kind': unknown element kind 'stage'" in _error(study)


def test_research_question_naming_a_missing_artifact(study: Path) -> None:
    study.write_text(study.read_text().replace("artifacts: [fw]", "artifacts: [fw, nope]"))
    assert "key 'research_questions[0].artifacts[1]': artifact 'nope' does not exist" in _error(
        study
    )


def test_the_example_study_is_clean() -> None:
    from dsr_workbench.coding.codings import load_codings
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.dsr.record import load_evaluations

    root = Path(__file__).resolve().parents[2]
    s = load_study(root / "study.yaml")
    arts = load_artifacts(s)
    _, turns = load_corpus(s)
    ev = load_evaluations(s.data_dir / "evaluations", s.participants)
    refs = resolve(arts, turns=turns, codings=load_codings(s.data_dir / "codings"),
                   evaluations=ev)  # fmt: skip
    assert refs["resolved"].all()
    for a, v in zip(arts.versions["artifact"], arts.versions["version"], strict=True):
        assert traceability(arts, a, v, references=refs).ok, (a, v)
    diff = artifact_diff(arts, "development-framework", "v2", "v3")
    assert all(diff["decisions"].map(len) > 0)
