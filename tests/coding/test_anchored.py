"""Tests of dsr_workbench.coding.anchored: codings anchored to today's corpus, lost ones apart."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.coding.anchored import (
    ANCHORED_COLUMNS,
    UNPLACED_COLUMNS,
    anchored_codings,
    load_anchored_codings,
)
from dsr_workbench.coding.codebook import parse_codebook
from dsr_workbench.coding.codings import code_span, load_codings
from dsr_workbench.coding.events import log_path
from dsr_workbench.coding.queries import with_turns
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study

OLD = "Kim: Why Gamma?\n\nHannah: We trust them. Their audits are open."
NEW = "Kim: Hello again.\n\nKim: Why Gamma?\n\nHannah: We trust them. Their reviews are shut."


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _corpus(text: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    transcripts = pd.DataFrame({"transcript_id": ["I01"], "text": [text], "sha256": [_sha(text)]})
    starts = [i + 2 for i in range(len(text)) if text.startswith(": ", i)]
    ends = [*(text.rfind("\n\n", 0, s) for s in starts[1:]), len(text)]
    speakers = [text[text.rfind("\n", 0, s - 2) + 1 : s - 2] for s in starts]
    turns = pd.DataFrame(
        {
            "transcript_id": "I01",
            "turn": range(1, len(starts) + 1),
            "start": starts,
            "end": ends,
            "speaker": speakers,
        }
    )
    return transcripts, turns


def _codings(words: list[str], coder: str = "R1") -> pd.DataFrame:
    starts = [OLD.index(w) for w in words]
    return pd.DataFrame(
        {
            "coding_id": [f"c{i}" for i in range(len(words))],
            "transcript_id": "I01",
            "start": starts,
            "end": [s + len(w) for s, w in zip(starts, words, strict=True)],
            "quote": words,
            "prefix": [OLD[max(0, s - 30) : s] for s in starts],
            "suffix": "",
            "code_id": ["TRUST", "AUDIT", "ASK"],
            "coder": coder,
            "sha256": _sha(OLD),
        }
    )


@pytest.fixture
def edited() -> tuple:
    transcripts, turns = _corpus(NEW)
    codings = _codings(["We trust them.", "Their audits are open.", "Why Gamma?"])
    return anchored_codings(codings, transcripts, turns), transcripts, turns


def test_placed_codings_carry_todays_offsets_quote_and_turn(edited) -> None:
    result, transcripts, turns = edited
    placed = result.codings
    assert list(placed.columns[: len(ANCHORED_COLUMNS)]) == ANCHORED_COLUMNS
    assert placed["coding_id"].tolist() == ["c0", "c2"]
    assert set(placed["status"]) == {"moved"}
    for row in placed.itertuples(index=False):
        assert NEW[row.start : row.end] == row.quote
    fresh = with_turns(placed[["transcript_id", "start", "end"]], turns)
    assert placed["turn"].tolist() == fresh["turn"].tolist() == [3, 2]
    assert with_turns(placed, turns)["speaker"].tolist() == ["Hannah", "Kim"]


def test_lost_codings_are_never_on_a_turn_and_are_listed(edited) -> None:
    result, _, _ = edited
    lost = result.table.loc[result.table["status"] == "lost"]
    assert lost["coding_id"].tolist() == ["c1"]
    assert lost["turn"].isna().all() and lost["start"].isna().all()
    unplaced = result.unplaced
    assert list(unplaced.columns) == UNPLACED_COLUMNS
    assert unplaced["coding_id"].tolist() == ["c1"]
    assert unplaced["old_quote"].tolist() == ["Their audits are open."]
    assert "I01 changed" in unplaced["reason"].iloc[0]
    assert result.counts == {"ok": 0, "moved": 2, "fuzzy": 0, "lost": 1}
    assert result.n_unplaced == 1
    assert result.note().startswith("1 coding could not be placed since I01 changed")
    assert "dsr codings check" in result.note()
    assert "could not be placed" in result._repr_html_()


def test_unchanged_transcript_places_everything() -> None:
    transcripts, turns = _corpus(OLD)
    result = anchored_codings(_codings(["We trust them.", "audits", "Why"]), transcripts, turns)
    assert result.n_unplaced == 0 and len(result.unplaced) == 0
    assert set(result.codings["status"]) == {"ok"}
    assert result.note() == "All 3 codings are placed on the current transcripts."
    assert result.left_out("dsr quotes") == ""


def test_a_coding_of_a_transcript_gone_from_the_corpus_is_unplaced_and_kept_by_only() -> None:
    transcripts, turns = _corpus(OLD)
    codings = _codings(["We trust them.", "audits", "Why"])
    codings.loc[1, "transcript_id"] = "I99"
    result = anchored_codings(codings, transcripts, turns)
    assert result.unplaced["reason"].tolist() == ["transcript 'I99' is not in the corpus"]
    assert result.why() == "I99 is not in the corpus"
    kept = result.only(transcripts=["I01"])
    assert kept.n_unplaced == 1 and len(kept.codings) == 2
    assert result.only(transcripts=[]).codings.empty
    assert result.only(codes=["TRUST"]).table["coding_id"].tolist() == ["c0"]
    assert result.only(coders=["R9"]).table.empty


def test_no_turns_gives_no_turn_and_empty_codings_give_empty_tables() -> None:
    transcripts, _ = _corpus(OLD)
    result = anchored_codings(_codings(["We trust them.", "audits", "Why"]), transcripts)
    assert result.table["turn"].isna().all()
    empty = anchored_codings(_codings(["We", "trust", "Why"]).iloc[:0], transcripts)
    assert empty.codings.empty and empty.unplaced.empty and empty.n_unplaced == 0


def test_load_anchored_codings_reads_the_logs_and_follows_an_edit(mini_study: Path) -> None:
    book = parse_codebook("codes:\n  - {id: TR, name: Track record}\n  - {id: AU, name: Audits}")
    study = load_study(mini_study)
    assert load_anchored_codings(study).table.empty  # no logs yet
    transcripts, _ = load_corpus(study)
    t1 = transcripts.set_index("transcript_id").loc["T1"]
    row = {"transcript_id": "T1", "text": t1["text"], "sha256": t1["sha256"]}
    log = log_path(study.data_dir, "R1")
    for word, code in (("track record", "TR"), ("audits", "AU")):
        at = t1["text"].index(word)
        code_span(log, row, at, at + len(word), code, codebook=book)
    path = mini_study.parent / "interviews" / "t1.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "Interviewer: Hello.\n" + text.replace("And audits.", "And visits."), encoding="utf-8"
    )
    before = load_codings(study.data_dir / "codings")
    result = load_anchored_codings(mini_study, coders=["R1"], transcripts=["T1"])
    assert len(result.table) == len(before) == 2
    assert result.codings["quote"].tolist() == ["track record"]
    assert result.codings["start"].iloc[0] > before["start"].iloc[0]
    assert result.unplaced["old_quote"].tolist() == ["audits"]
    assert load_anchored_codings(study, coders=["R2"]).table.empty
