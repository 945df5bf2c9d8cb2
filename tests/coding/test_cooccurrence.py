"""Tests of dsr_workbench.coding.co_occurrence: sparse co-occurrence equals brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from dsr_workbench.coding.co_occurrence import cooccurrence
from dsr_workbench.core.errors import DsrError


def random_codings(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 400, n)
    return pd.DataFrame(
        {
            "transcript_id": rng.choice(["I01", "I02"], n),
            "turn": rng.integers(1, 15, n),
            "start": start,
            "end": start + rng.integers(1, 40, n),
            "code_id": rng.choice(["A", "B", "C", "D"], n),
            "coder": rng.choice(["R1", "R2"], n),
        }
    )


def test_turn_cooccurrence_equals_a_pandas_self_merge():
    codings = random_codings(400, 1)
    units = codings.drop_duplicates(["coder", "transcript_id", "turn", "code_id"])
    pairs = units.merge(units, on=["coder", "transcript_id", "turn"])
    expected = pd.crosstab(pairs["code_id_x"], pairs["code_id_y"])
    got = cooccurrence(codings)
    assert np.array_equal(got.to_numpy(), expected.to_numpy())
    jac = cooccurrence(codings, measure="jaccard")
    a, b, ab = got.loc["A", "A"], got.loc["B", "B"], got.loc["A", "B"]
    assert jac.loc["A", "B"] == pytest.approx(ab / (a + b - ab))
    assert np.allclose(np.diag(jac), 1.0)


def test_overlap_cooccurrence_equals_brute_force_pairs():
    codings = random_codings(120, 2)
    expected = pd.DataFrame(0, index=list("ABCD"), columns=list("ABCD"))
    for (_, x), (_, y) in itertools.combinations(codings.iterrows(), 2):
        if (x["coder"], x["transcript_id"]) == (y["coder"], y["transcript_id"]) and (
            x["start"] < y["end"] and y["start"] < x["end"]
        ):
            expected.loc[x["code_id"], y["code_id"]] += 1
            if x["code_id"] != y["code_id"]:
                expected.loc[y["code_id"], x["code_id"]] += 1
    for code, n in codings["code_id"].value_counts().items():
        expected.loc[code, code] = n
    got = cooccurrence(codings, mode="overlap")
    off = ~np.eye(4, dtype=bool)
    assert np.array_equal(got.to_numpy()[off], expected.to_numpy()[off])
    assert np.array_equal(np.diag(got), np.diag(expected))


def test_turn_cooccurrence_from_turns_counts_spanning_codings_in_each_turn(turns, codings_of):
    codings = codings_of(
        [("I01", 35, 100, "A", "R1"), ("I01", 90, 95, "B", "R1"), ("I01", 40, 45, "C", "R1")]
    )
    got = cooccurrence(codings.drop(columns="coding_id"), turns=turns, codes=["A", "B", "C"])
    assert got.to_numpy().tolist() == [[2, 1, 1], [1, 1, 0], [1, 0, 1]]
    with pytest.raises(DsrError, match="needs a 'turn' column or turns="):
        cooccurrence(codings)


def test_turns_given_win_over_a_turn_column(turns, codings_of):
    """Anchored codings carry a ``turn`` column; ``turns=`` (e.g. one perspective's turns)
    still decides the units, so a filter on the turns filters the matrix."""
    codings = codings_of(
        [("I01", 35, 100, "A", "R1"), ("I01", 90, 95, "B", "R1"), ("I01", 40, 45, "C", "R1")]
    ).assign(turn=[2, 3, 2])
    by_column = cooccurrence(codings, codes=["A", "B", "C"])
    assert by_column.to_numpy().tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    got = cooccurrence(codings, turns=turns, codes=["A", "B", "C"])
    assert got.to_numpy().tolist() == [[2, 1, 1], [1, 1, 0], [1, 0, 1]]
    only_turn_2 = cooccurrence(codings, turns=turns.iloc[[1]], codes=["A", "B", "C"])
    assert only_turn_2.to_numpy().tolist() == [[1, 0, 1], [0, 0, 0], [1, 0, 1]]
