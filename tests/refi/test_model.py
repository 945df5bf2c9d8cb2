"""Tests of dsr_workbench.refi.model: the tables a REFI-QDA file is read into."""

from __future__ import annotations

import pandas as pd

from dsr_workbench.coding.codebook import CODE_COLUMNS as BOOK_COLUMNS
from dsr_workbench.refi.model import (
    CASE_COLUMNS,
    CODE_COLUMNS,
    NOTE_COLUMNS,
    PROBLEM_COLUMNS,
    VARIABLE_COLUMNS,
    QdpxProject,
)


def test_optional_tables_default_to_empty_tables_with_their_columns():
    empty = pd.DataFrame()
    p = QdpxProject(empty, empty, empty, empty, empty)
    assert list(p.cases.columns) == CASE_COLUMNS
    assert list(p.variables.columns) == VARIABLE_COLUMNS
    assert list(p.notes.columns) == NOTE_COLUMNS
    assert list(p.problems.columns) == PROBLEM_COLUMNS
    assert list(p.case_sources.columns) == ["case_id", "source_id"]


def test_codebook_keeps_our_columns_only():
    codes = pd.DataFrame(
        [["A", "Alpha", None, None, None, None, None, None, "g", True, "name"]],
        columns=CODE_COLUMNS,
    )
    rules = pd.DataFrame([["A", "keyword", "alpha"]], columns=["code_id", "rule", "value"])
    empty = pd.DataFrame()
    book = QdpxProject(empty, codes, rules, empty, empty).codebook()
    assert list(book.codes.columns) == BOOK_COLUMNS and "A" in book
    assert book.rules.values.tolist() == [["A", "keyword", "alpha"]]
