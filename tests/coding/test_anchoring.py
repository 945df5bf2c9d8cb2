"""Tests of dsr_workbench.coding.anchoring: codings survive transcript edits or are listed as lost."""

from __future__ import annotations

import pandas as pd
import pytest

from dsr_workbench.coding.anchoring import ANCHOR_COLUMNS, CHECK_COLUMNS, anchor, check_codings
from dsr_workbench.coding.codebook import parse_codebook
from dsr_workbench.coding.codings import fold, make_add_event
from dsr_workbench.core.errors import DsrError

OLD = (
    "Kim: How did it start?\n\nAna: We audited them twice. The first audit was rough, "
    "the second audit was fine. Capacity was always the issue."
)


def coded(text: str, quotes: list[tuple[str, int]], sha: str = "old") -> pd.DataFrame:
    """Codings of the n-th occurrence of each quote in ``text``."""
    events = []
    for quote, nth in quotes:
        at = -1
        for _ in range(nth + 1):
            at = text.index(quote, at + 1)
        events.append(
            make_add_event(
                {"transcript_id": "I01", "text": text, "sha256": sha},
                at,
                at + len(quote),
                "X",
                coder="R1",
            )
        )
    return fold(pd.DataFrame(events))


def current(text: str, sha: str = "new") -> pd.DataFrame:
    return pd.DataFrame({"transcript_id": ["I01"], "text": [text], "sha256": [sha]})


def test_unchanged_transcript_is_ok_without_searching():
    codings = coded(OLD, [("audited them", 0)])
    out = anchor(codings, current(OLD, sha="old"))
    assert list(out.columns) == ANCHOR_COLUMNS
    assert out.loc[0, "status"] == "ok" and out.loc[0, "score"] == 100.0


def test_exact_move_after_an_edit_before_the_quote():
    codings = coded(OLD, [("Capacity was always the issue", 0)])
    new = OLD.replace("How did it start?", "How did the relationship start, in 2019?")
    out = anchor(codings, current(new)).iloc[0]
    assert out["status"] == "moved"
    assert new[out["start"] : out["end"]] == "Capacity was always the issue"
    assert out["start"] - out["old_start"] == len(new) - len(OLD)


def test_quote_still_at_its_offsets_is_ok_after_a_later_edit():
    codings = coded(OLD, [("How did it start?", 0)])
    out = anchor(codings, current(OLD + " Extra words.")).iloc[0]
    assert (out["status"], out["start"]) == ("ok", out["old_start"])


def test_repeated_quote_is_disambiguated_by_its_context():
    codings = coded(OLD, [("audit was", 1)])  # "the second audit was fine"
    new = "Kim: Hello.\n\n" + OLD
    out = anchor(codings, current(new)).iloc[0]
    assert out["status"] == "moved"
    assert new[out["start"] - 7 : out["end"] + 5] == "second audit was fine"


def test_fuzzy_match_after_the_quote_itself_was_edited():
    codings = coded(OLD, [("the second audit was fine", 0)])
    new = OLD.replace("the second audit was fine", "the secnd audit was fine")
    out = anchor(codings, current(new)).iloc[0]
    assert out["status"] == "fuzzy"
    assert 90 <= out["score"] < 100
    assert out["quote"] == "the secnd audit was fine" == new[out["start"] : out["end"]]
    assert out["old_quote"] == "the second audit was fine"


def test_lost_when_the_quote_is_gone_and_kept_with_old_offsets():
    codings = coded(OLD, [("We audited them twice", 0), ("Capacity", 0)])
    new = OLD.replace("We audited them twice", "They never came")
    out = anchor(codings, current(new))
    assert list(out["status"]) == ["lost", "moved"]
    lost = out.iloc[0]
    assert pd.isna(lost["start"]) and pd.isna(lost["end"]) and pd.isna(lost["score"])
    assert (lost["old_start"], lost["old_quote"]) == (
        OLD.index("We audited"),
        "We audited them twice",
    )
    assert len(out) == 2


def test_threshold_decides_between_fuzzy_and_lost():
    codings = coded(OLD, [("the second audit was fine", 0)])
    new = OLD.replace("the second audit was fine", "the 2nd audit went ok")
    assert anchor(codings, current(new))["status"].iloc[0] == "lost"
    assert anchor(codings, current(new), threshold=60)["status"].iloc[0] == "fuzzy"


def test_missing_transcript_means_lost():
    codings = coded(OLD, [("Capacity", 0)])
    other = pd.DataFrame({"transcript_id": ["I02"], "text": ["x"], "sha256": ["y"]})
    assert anchor(codings, other)["status"].iloc[0] == "lost"


def test_missing_column_is_named():
    with pytest.raises(DsrError, match="codings lack column"):
        anchor(pd.DataFrame({"transcript_id": ["I01"]}), current(OLD))


def test_check_codings_lists_problems_worst_first():
    codings = coded(
        OLD,
        [
            ("Capacity", 0),
            ("We audited them twice", 0),
            ("the second audit was fine", 0),
            ("How did it start?", 0),
        ],
    )
    codings.loc[3, "code_id"] = "GONE"
    new = (
        "Kim: So, how did it start?\n\nAna: They never came. The first audit was rough, "
        "the secnd audit was fine. Capacity was always the issue."
    )
    book = parse_codebook("codes:\n  - {id: X, name: X}\n")
    table = check_codings(codings, current(new), book)
    assert list(table.columns) == CHECK_COLUMNS
    # lost; unknown code (its quote changed case: fuzzy); fuzzy; moved
    assert list(table["status"]) == ["lost", "fuzzy", "fuzzy", "moved"]
    assert list(table["code_id"]) == ["X", "GONE", "X", "X"]
    assert "'GONE' is not in the codebook" in table.loc[1, "problem"]
    shift = new.index("Capacity") - OLD.index("Capacity")
    assert table.loc[3, "problem"] == f"moved by {shift:+d} characters"


def test_check_codings_without_codings_is_empty():
    empty = fold(pd.DataFrame(columns=["event", "coding_id"]))
    table = check_codings(empty, current(OLD))
    assert table.empty and list(table.columns) == CHECK_COLUMNS
