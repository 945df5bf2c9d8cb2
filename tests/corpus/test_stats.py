"""Corpus overview tables."""

from __future__ import annotations

import pandas as pd
import pytest

from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.stats import corpus_overview, filter_turns, speaking_shares


@pytest.fixture
def turns() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "transcript_id": ["I1", "I1", "I2", "I2", "F1"],
            "speaker": ["Kim", "Ana", "Kim", "Ben", "Ana"],
            "organisation": [None, "A", None, "B", "A"],
            "perspective": ["researcher", "client", "researcher", "cmo", "client"],
            "cycle": [1, 1, 1, 1, 2],
            "kind": ["interview"] * 4 + ["focus_group"],
            "n_words": [10, 40, 5, 45, 100],
        }
    )


def test_overview_by_organisation_names_the_research_team(turns: pd.DataFrame) -> None:
    table = corpus_overview(turns, by="organisation")
    assert table.organisation.tolist() == ["(research team)", "A", "B"]
    assert table.n_words.tolist() == [15, 140, 45]
    assert table.share_of_words.sum() == pytest.approx(1.0)


def test_overview_by_two_columns(turns: pd.DataFrame) -> None:
    table = corpus_overview(turns, by=["cycle", "kind"])
    assert table[["cycle", "kind", "n_transcripts", "n_turns"]].values.tolist() == [
        [1, "interview", 2, 4],
        [2, "focus_group", 1, 1],
    ]


def test_overview_does_not_mutate(turns: pd.DataFrame) -> None:
    before = turns.copy()
    corpus_overview(turns, by="organisation")
    pd.testing.assert_frame_equal(turns, before)


def test_unknown_column(turns: pd.DataFrame) -> None:
    with pytest.raises(DsrError, match="key 'site'"):
        corpus_overview(turns, by="site")


def test_filter_and_shares(turns: pd.DataFrame) -> None:
    assert len(filter_turns(turns, cycle=1, perspective="client")) == 1
    shares = speaking_shares(turns)
    assert shares.loc["I1", "client"] == pytest.approx(0.8)
    assert shares.sum(axis=1).tolist() == pytest.approx([1.0, 1.0, 1.0])
