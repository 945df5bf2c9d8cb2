"""Tests of dsr_workbench.coding.gioia: the Gioia data structure table."""

from __future__ import annotations

import pandas as pd

from dsr_workbench.coding.gioia import GIOIA_COLUMNS, gioia_structure


def test_gioia_structure_levels_counts_and_exemplars(book):
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
    table = gioia_structure(book, codings)
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
    plain = gioia_structure(book)
    assert (plain.loc[0, "exemplar"], plain.loc[0, "exemplar_source"]) == (
        "They show us their costs.",
        "codebook",
    )
