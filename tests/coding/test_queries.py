"""Tests of dsr_workbench.coding.queries: quotes, frequencies, crosstabs and their tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from dsr_workbench.coding.queries import (
    QUOTE_COLUMNS,
    TEST_COLUMNS,
    code_crosstab,
    code_frequencies,
    coded_quotes,
    crosstab_test,
    with_turns,
)
from dsr_workbench.core.errors import DsrError


def test_with_turns_places_codings_and_gaps(turns, codings_of):
    codings = codings_of(
        [
            ("I01", 35, 40, "C1", "R1"),
            ("I01", 72, 90, "C1", "R1"),
            ("I01", 10, 100, "C2", "R1"),
            ("I02", 0, 3, "C2", "R1"),
            ("I09", 0, 3, "C2", "R1"),
        ]
    )
    out = with_turns(codings, turns)
    assert out["turn"].tolist() == [2, 3, 1, pd.NA, pd.NA]  # label gap -> next turn
    assert out["perspective"].iloc[1] == "client"
    assert len(out) == len(codings)


def test_coded_quotes_of_a_subtree(turns, codings_of, book):
    codings = codings_of(
        [("I01", 35, 40, "C1a", "R1"), ("I02", 45, 50, "C2", "R2"), ("I01", 85, 90, "T2", "R1")]
    )
    quotes = coded_quotes(codings, turns, book, "T1")
    assert list(quotes.columns) == QUOTE_COLUMNS
    assert list(quotes["code"]) == ["Cost breakdowns", "Kept promises"]
    assert list(quotes["organisation"]) == ["ALPHA", "GAMMA"]
    assert list(quotes["cycle"]) == [1, 2]
    assert coded_quotes(codings, turns, book, "T1", subtree=False).empty
    with pytest.raises(DsrError, match="unknown code id 'T9'"):
        coded_quotes(codings, turns, book, "T9")


def test_code_frequencies_by_group_and_rollup(turns, codings_of, book):
    codings = codings_of(
        [
            ("I01", 35, 40, "C1a", "R1"),
            ("I01", 85, 90, "C1", "R1"),
            ("I02", 45, 50, "C2", "R1"),
            ("I02", 10, 12, "C2", "R1"),
        ]
    )
    by_kind = code_frequencies(codings, turns, by="kind")
    assert by_kind.to_dict("records")[-1] == {
        "code_id": "C2",
        "kind": "focus_group",
        "segments": 2,
        "transcripts": 1,
        "participants": 2,
    }
    rolled = code_frequencies(codings, turns, by=None, codebook=book, rollup=True)
    assert rolled.set_index("code_id")["segments"].to_dict() == {
        "C1": 2,
        "C1a": 1,
        "C2": 2,
        "D1": 4,
        "T1": 4,
    }
    with pytest.raises(DsrError, match="cannot group by 'weather'"):
        code_frequencies(codings, turns, by="weather")


def agresti_codings(
    codings_of: Callable[[list[tuple]], pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Codings whose code x perspective table is Agresti (2007) Table 2.5."""
    counts = {"client": (762, 484), "cmo": (327, 239), "both": (468, 477)}
    turns = pd.DataFrame(
        {
            "transcript_id": "I01",
            "turn": [1, 2, 3],
            "participant_id": ["P01", "P07", "P13"],
            "perspective": list(counts),
            "start": [0, 10, 20],
            "end": [9, 19, 29],
        }
    )
    rows = []
    for k, (a, b) in enumerate(counts.values()):
        rows += [("I01", 10 * k, 10 * k + 2, "DEM", "R1")] * a
        rows += [("I01", 10 * k, 10 * k + 2, "REP", "R1")] * b
    return codings_of(rows), turns


def test_chi_square_on_agresti_table_2_5(codings_of):
    codings, turns = agresti_codings(codings_of)
    table = code_crosstab(codings, turns, perspective="perspective")
    assert table.loc["DEM", "client"] == 762 and table.loc["REP", "both"] == 477
    result = crosstab_test(table).iloc[0]
    assert list(result.index) == TEST_COLUMNS
    # Agresti (2007), An Introduction to Categorical Data Analysis, 2nd ed., Sec. 2.4.3,
    # Table 2.5 (party identification by gender): X^2 = 30.1, df = 2, P < 0.0001.
    assert result["test"] == "chi-square"
    assert round(result["statistic"], 1) == 30.1
    assert result["dof"] == 2 and result["p_value"] < 0.0001
    assert bool(result["assumptions_met"])


def test_fisher_exact_on_the_tea_tasting_table():
    # Fisher (1935) tea tasting, Agresti (2007) Sec. 2.6.2, Table 2.8: two-sided P = 0.486;
    # all expected counts are 2 < 5, so chi-square is not used.
    result = crosstab_test(pd.DataFrame([[3, 1], [1, 3]])).iloc[0]
    assert result["test"] == "Fisher exact"
    assert round(result["p_value"], 3) == 0.486
    assert not result["assumptions_met"] and "Fisher's exact test instead" in result["note"]


def test_freeman_halton_monte_carlo_on_job_satisfaction():
    # Agresti (2002), Categorical Data Analysis, 2nd ed., Table 2.8 (job satisfaction by
    # income), as in R's ?fisher.test example: exact Fisher-Freeman-Halton P = 0.7827.
    job = np.array([[1, 3, 10, 6], [2, 3, 10, 7], [1, 6, 14, 12], [0, 1, 9, 11]])
    result = crosstab_test(job).iloc[0]
    assert result["test"] == "Fisher-Freeman-Halton (Monte Carlo)"
    assert abs(result["p_value"] - 0.7827) < 0.02  # Monte Carlo, 9999 tables
    assert result["share_expected_ge5"] < 0.8


def test_crosstab_test_needs_two_rows_and_columns():
    assert crosstab_test(np.array([[3, 0], [4, 0]]))["test"].iloc[0] == "none"
    with pytest.raises(DsrError, match="non-negative counts"):
        crosstab_test(np.array([[1, -1], [2, 3]]))


def test_crosstab_units(turns, codings_of):
    codings = codings_of(
        [
            ("I01", 35, 40, "C1", "R1"),
            ("I01", 45, 50, "C1", "R1"),
            ("I01", 85, 90, "C1", "R1"),
            ("I02", 45, 50, "C1", "R1"),
        ]
    )
    assert code_crosstab(codings, turns).loc["C1"].to_dict() == {"client": 3, "cmo": 1}
    assert code_crosstab(codings, turns, unit="turn").loc["C1"].to_dict() == {"client": 2, "cmo": 1}
    assert code_crosstab(codings, turns, unit="participant").loc["C1"].to_dict() == {
        "client": 1,
        "cmo": 1,
    }
    assert list(code_crosstab(codings, turns, codes=["C2", "C1"]).index) == ["C2", "C1"]
