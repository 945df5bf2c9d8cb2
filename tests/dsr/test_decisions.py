"""Requirements and design decisions (dsr_workbench.dsr.decisions): references."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.core.errors import DsrError
from dsr_workbench.dsr.decisions import load_decisions
from dsr_workbench.dsr.ratings import load_evaluations, record_rating

# --------------------------------------------------------------------------- decisions

DECISIONS = """\
requirements:
  - id: R1
    text: Governance from day one
    source: ["transcript:FG1#turn23", "transcript:FG1#turn99", "rating:E1/P1/completeness",
             "coding:c-1"]
  - id: R2
    text: A light version
decisions:
  - id: D1
    cycle: 2
    artifact: framework
    version: v2
    decision: Governance layer
    addresses: [R1, R7]
"""


@pytest.fixture
def decisions_file(folder: Path) -> Path:
    path = folder / "decisions.yaml"
    path.write_text(DECISIONS, encoding="utf-8")
    return path


def test_decision_references_resolve_and_unresolved_are_reported(
    folder: Path, decisions_file: Path
) -> None:
    record_rating(folder, "E1", "P1", "completeness", 2)
    turns = pd.DataFrame({"transcript_id": ["FG1", "FG1"], "turn": [23, 24]})
    codings = pd.DataFrame({"coding_id": ["c-2"]})
    record = load_decisions(
        folder, turns=turns, evaluations=load_evaluations(folder), codings=codings
    )
    refs = record.references.set_index("reference")
    assert refs.loc["transcript:FG1#turn23", "resolved"]
    assert refs.loc["rating:E1/P1/completeness", "resolved"]
    assert record.unresolved["reference"].tolist() == ["transcript:FG1#turn99", "coding:c-1", "R7"]
    assert record.unresolved["line"].tolist() == [4, 5, 14]
    assert record.unaddressed["requirement_id"].tolist() == ["R2"]
    assert record.requirements["n_sources"].tolist() == [4, 0]


def test_decision_references_unchecked_without_tables(decisions_file: Path) -> None:
    record = load_decisions(decisions_file)
    assert record.references["resolved"].isna().sum() == 4  # all but the requirement links
    assert record.unresolved["reference"].tolist() == ["R7"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("transcript:FG1#turn23", "transcript:FG1"),
            r"decisions\.yaml:4: key 'requirements\[0\]\.source\[0\]': malformed reference",
        ),
        (("id: R2", "id: R1"), "id 'R1' is repeated"),
        (("    decision: Governance layer\n", ""), "field 'decision' is missing"),
        (("cycle: 2", "cycle: two"), "cycle must be a whole number"),
        (("addresses: [R1, R7]", "addresses: R1"), "addresses must be a list"),
    ],
)
def test_bad_decisions_file(folder: Path, change: tuple[str, str], message: str) -> None:
    (folder / "decisions.yaml").write_text(DECISIONS.replace(*change), encoding="utf-8")
    with pytest.raises(DsrError, match=message):
        load_decisions(folder)


def test_missing_decisions_file(folder: Path) -> None:
    with pytest.raises(DsrError, match="no decisions file"):
        load_decisions(folder)
