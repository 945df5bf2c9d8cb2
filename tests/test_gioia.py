"""Tests of dsr_workbench.gioia: the Gioia data structure table."""

from __future__ import annotations

import pandas as pd

from dsr_workbench.codebook import parse_codebook
from dsr_workbench.gioia import GIOIA_COLUMNS, gioia_structure

BOOK = parse_codebook("""\
codes:
  - {id: D1, name: Relational governance}
  - {id: T1, name: Trust building, parent: D1}
  - {id: C1, name: Open books, parent: T1, anchor_examples: [They show us their costs.]}
  - {id: C1a, name: Cost breakdowns, parent: C1}
  - {id: C2, name: Kept promises, parent: T1}
  - {id: T2, name: Routines, parent: D1}
  - {id: D2, name: Differentiation}
""")


def test_gioia_structure_levels_counts_and_exemplars():
    codings = pd.DataFrame(
        {
            "code_id": ["C1a", "C1", "C1", "C2"],
            "coder": ["R1", "R1", "R2", "R1"],
            "transcript_id": "I01",
            "start": [0, 50, 50, 90],
            "end": [20, 70, 70, 99],
            "quote": ["a short one", "both coders took this", "both coders took this", "kept"],
        }
    )
    table = gioia_structure(BOOK, codings)
    assert list(table.columns) == GIOIA_COLUMNS
    assert table[["dimension_id", "theme_id", "concept_id"]].astype(object).where(
        table[["dimension_id", "theme_id", "concept_id"]].notna(), None
    ).values.tolist() == [
        ["D1", "T1", "C1"],
        ["D1", "T1", "C2"],
        ["D1", "T2", None],
        ["D2", None, None],
    ]
    assert table["n_codings"].tolist() == [3, 1, 0, 0]
    assert table.loc[0, "exemplar"] == "both coders took this"  # agreed on by two coders
    assert list(table["exemplar_source"].iloc[:2]) == ["coding", "coding"]
    plain = gioia_structure(BOOK)
    assert (plain.loc[0, "exemplar"], plain.loc[0, "exemplar_source"]) == (
        "They show us their costs.",
        "codebook",
    )
