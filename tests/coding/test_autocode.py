"""Tests of dsr_workbench.coding.autocode: one-pass auto-coding equals a naive per-rule scan."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_workbench.coding.autocode import MATCH_COLUMNS, AutoCoding, auto_code
from dsr_workbench.coding.codebook import parse_codebook
from dsr_workbench.coding.codings import coding_id, fold, make_add_event
from dsr_workbench.coding.textscan_engine import engine_available
from dsr_workbench.core.errors import DsrError

PERSPECTIVES = ["client", "cmo", "researcher"]


def make_turns(
    texts: list[str], perspectives: list[str] | None = None, tid: str = "I01"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turns and a transcript whose text holds them as 'X: text' blocks."""
    perspectives = perspectives or [PERSPECTIVES[i % 3] for i in range(len(texts))]
    pieces, starts = [], []
    pos = 0
    for text in texts:
        pieces.append("X: ")
        pos += 3
        starts.append(pos)
        pieces.append(text + "\n\n")
        pos += len(text) + 2
    full = "".join(pieces)
    turns = pd.DataFrame(
        {
            "transcript_id": tid,
            "turn": np.arange(1, len(texts) + 1),
            "speaker": ["Kim" if p == "researcher" else "Ana" for p in perspectives],
            "participant_id": ["R1" if p == "researcher" else "P01" for p in perspectives],
            "perspective": perspectives,
            "start": starts,
            "end": [s + len(t) for s, t in zip(starts, texts, strict=True)],
            "text": texts,
            "kind": "interview",
        }
    )
    transcripts = pd.DataFrame({"transcript_id": [tid], "text": [full], "sha256": ["h"]})
    return turns, transcripts


def book_of(rules: list[dict]) -> object:
    lines = ["codes:"]
    for i, spec in enumerate(rules):
        lines.append(f"  - id: C{i}")
        lines.append("    rules:")
        for key, values in spec.items():
            quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
            lines.append(f"      {key}: [{quoted}]")
    return parse_codebook("\n".join(lines))


def naive(turns: pd.DataFrame, book) -> set[tuple[int, str, int, int]]:
    """The reference: every rule scanned over every turn with its own regex."""
    out = set()
    for row in turns.itertuples(index=False):
        for code in book.codes["code_id"]:
            own = book.rules[book.rules["code_id"] == code]
            values = {
                r: list(own.loc[own["rule"] == r, "value"])
                for r in ("keyword", "regex", "speaker", "perspective", "kind")
            }
            ok = True
            if values["speaker"]:
                ok &= row.speaker in values["speaker"] or row.participant_id in values["speaker"]
            if values["perspective"]:
                ok &= row.perspective in values["perspective"]
            if values["kind"]:
                ok &= row.kind in values["kind"]
            if not ok:
                continue
            if not values["keyword"] and not values["regex"]:
                if values["speaker"] or values["perspective"] or values["kind"]:
                    out.add((row.turn, code, row.start, row.end))
                continue
            patterns = [
                r"(?<!\w)" + r"\s+".join(re.escape(w) for w in k.split()) + r"(?!\w)"
                for k in values["keyword"]
            ] + values["regex"]
            for pattern in patterns:
                for m in re.finditer(pattern, row.text, re.IGNORECASE):
                    if m.end() > m.start():
                        out.add((row.turn, code, row.start + m.start(), row.start + m.end()))
    return out


def found(result) -> set[tuple[int, str, int, int]]:
    m = result.matches
    return set(zip(m["turn"], m["code_id"], m["start"], m["end"], strict=True))


# Characters chosen to stress case folding (İ ı ſ K ß ẞ Σ σ ς ͅ ι, non-BMP 𐐀/𐐨) and word
# boundaries (é, a combining acute, ², apostrophes, hyphens, an emoji, NBSP).
ALPHABET = "abAB İıſKßẞΣσςͅι-_.\n1é\u0301²'’𐐀𐐨😀\xa0"
WORD = st.text(alphabet="abABİıſKßẞΣσςͅι-_1é\u0301²'’𐐀𐐨", min_size=1, max_size=3)
ENGINES = ["python", "hyperscan"] if engine_available() else ["python"]
REGEXES = [
    r"a+",
    r"\bab",
    r"^a",
    r"b$",
    r"a.b",
    r"(?<=a)b",
    r"a\s+b",
    r"[ab]{2}",
    r"(?>a+)b",
    r"a(?=b)",
    r"\w+",
    r"a|ab",
    r"(a)\1",
    r"a*",
    r"σ",
    r"k\W",
    r"(?s).b",
    r"\Bb",
    r"a++",
    r"\Aa",
    r"b\Z",
]


@st.composite
def cases(draw):
    texts = draw(st.lists(st.text(alphabet=ALPHABET, max_size=25), min_size=1, max_size=6))
    rules = []
    for _ in range(draw(st.integers(1, 4))):
        spec = {}
        kws = draw(st.lists(st.lists(WORD, min_size=1, max_size=2).map(" ".join), max_size=3))
        if kws:
            spec["keywords"] = kws
        if draw(st.booleans()):
            spec["regex"] = draw(st.lists(st.sampled_from(REGEXES), min_size=1, max_size=2))
        if draw(st.integers(0, 3)) == 0:
            spec["perspectives"] = draw(
                st.lists(st.sampled_from(PERSPECTIVES), min_size=1, max_size=2, unique=True)
            )
        if not spec:
            spec["speakers"] = ["Ana"]
        rules.append(spec)
    return texts, rules


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_auto_code_equals_naive_per_rule_scan(case):
    texts, rules = case
    turns, _ = make_turns(texts)
    book = book_of(rules)
    expected = naive(turns, book)
    tables = [auto_code(turns, book, engine=engine).matches for engine in ENGINES]
    for table in tables:
        assert found(AutoCoding(table, [])) == expected
    for table in tables[1:]:  # the engines give the same table, row for row
        pd.testing.assert_frame_equal(table, tables[0])


@pytest.mark.skipif(not engine_available(), reason="hyperscan not installed")
@pytest.mark.parametrize(
    "texts",
    [
        ["Trust, TRUST and distrust.", "trust-worthy trust's"],  # ASCII
        ["Ærø trust\xa0ÆRØ, Straße"],  # Latin-1: one byte per character
        ["ærø 😀 trust STRASSE straße 𐐀𐐨"],  # UTF-8 with non-BMP characters
    ],
)
def test_engines_agree_on_each_text_encoding(texts):
    turns, _ = make_turns(texts)
    book = book_of([{"keywords": ["trust", "ærø", "straße", "𐐨𐐨"]}, {"keywords": ["trust"]}])
    fast = auto_code(turns, book, engine="hyperscan").matches
    pd.testing.assert_frame_equal(fast, auto_code(turns, book, engine="python").matches)
    assert found(AutoCoding(fast, [])) == naive(turns, book)
    assert len(fast) >= 2


def test_environment_variable_forces_the_python_engine(monkeypatch):
    from dsr_workbench.coding import textscan_engine

    turns, _ = make_turns(["We trust Gamma."])
    book = book_of([{"keywords": ["trust"]}])
    called = []
    monkeypatch.setattr(
        textscan_engine, "hyperscan_keyword_hits", lambda *a: called.append(a) or None
    )
    monkeypatch.setenv("DSR_AUTOCODE_ENGINE", "python")
    assert list(auto_code(turns, book).matches["match"]) == ["trust"]
    assert called == []


def test_unknown_engine_is_a_clear_error():
    turns, _ = make_turns(["trust"])
    with pytest.raises(DsrError, match="unknown auto-coding engine 'grep'"):
        auto_code(turns, book_of([{"keywords": ["trust"]}]), engine="grep")  # type: ignore[arg-type]


def test_auto_code_equals_naive_on_a_larger_corpus():
    rng = np.random.default_rng(7)
    vocab = [
        "trust",
        "Trust",
        "quality",
        "agreement",
        "supply",
        "chain",
        "audit",
        "the",
        "we",
        "tech-transfer",
        "QA",
        "Tomás",
        "ſupply",
        "capacity",
        "co-packer",
    ]
    texts = [" ".join(rng.choice(vocab, 40)) + rng.choice([".", "!", " (QA)"]) for _ in range(60)]
    turns, _ = make_turns(texts)
    rules = [
        {"keywords": ["trust", "supply chain", "supply"]},
        {"keywords": ["QA", "audit"]},
        {"keywords": ["tech-transfer", "tomás"], "perspectives": ["client"]},
        {"regex": [r"agree\w*", r"capacity$"]},
        {"keywords": ["co-packer", "co"]},
    ]
    book = book_of(rules)
    for engine in ENGINES:
        result = auto_code(turns, book, engine=engine)
        assert found(result) == naive(turns, book)
        assert len(result.matches) > 500


def test_overlapping_keywords_are_all_found():
    turns, _ = make_turns(["Our supply chain, supply chains and the chain."])
    book = book_of([{"keywords": ["supply chain", "supply", "chain"]}])
    got = auto_code(turns, book).matches
    assert list(got["match"]) == ["supply", "supply chain", "chain", "supply", "chain"]


def test_matches_table_has_documented_columns_and_text():
    turns, _ = make_turns(["We TRUST Gamma.", "trustworthy? No: distrust."])
    book = book_of([{"keywords": ["trust"]}])
    m = auto_code(turns, book).matches
    assert list(m.columns) == MATCH_COLUMNS
    assert list(m["match"]) == ["TRUST"]  # whole words only
    assert m.loc[0, "rule"] == "keyword" and m.loc[0, "pattern"] == "trust"


def test_filter_only_rule_codes_whole_turns():
    turns, _ = make_turns(["a", "b", "c"], perspectives=["client", "cmo", "client"])
    book = book_of([{"perspectives": ["client"]}])
    m = auto_code(turns, book).matches
    assert list(m["turn"]) == [1, 3]
    assert list(m["rule"]) == ["turn", "turn"]
    assert (m["end"] - m["start"]).tolist() == [1, 1]


def test_events_are_built_and_reruns_add_nothing_new():
    turns, transcripts = make_turns(["We trust Gamma. Trust matters."])
    book = book_of([{"keywords": ["trust"]}])
    result = auto_code(turns, book, dry_run=False, coder="R1", transcripts=transcripts)
    assert [e["origin"] for e in result.events] == ["rule:C0", "rule:C0"]
    assert [e["quote"] for e in result.events] == ["trust", "Trust"]
    log = pd.DataFrame(result.events)
    again = auto_code(
        turns, book, dry_run=False, coder="R1", transcripts=transcripts, log_events=log
    )
    assert again.events == []
    assert len(fold(log)) == 2


def test_unit_turn_gives_one_event_per_turn_and_code():
    turns, transcripts = make_turns(["trust, trust, trust", "no"])
    book = book_of([{"keywords": ["trust"]}])
    events = auto_code(
        turns, book, dry_run=False, coder="R1", transcripts=transcripts, unit="turn"
    ).events
    assert len(events) == 1
    assert events[0]["quote"] == "trust, trust, trust"
    assert events[0]["coding_id"] == coding_id("R1", "I01", 3, 22, "C0")


def test_removed_coding_is_not_proposed_again():
    turns, transcripts = make_turns(["We trust Gamma."])
    book = book_of([{"keywords": ["trust"]}])
    start = int(turns.loc[0, "start"]) + "We trust Gamma.".index("trust")
    add = make_add_event(transcripts.iloc[0], start, start + 5, "C0", coder="R1", origin="rule:C0")
    log = pd.DataFrame(
        [
            add,
            {
                "event": "remove",
                "coding_id": add["coding_id"],
                "coder": "R1",
                "timestamp": "2026-01-01T00:00:00Z",
            },
        ]
    )
    assert (
        auto_code(
            turns, book, dry_run=False, coder="R1", transcripts=transcripts, log_events=log
        ).events
        == []
    )


def test_not_a_dry_run_needs_coder_and_transcripts():
    turns, _ = make_turns(["trust"])
    with pytest.raises(DsrError, match="coder= and transcripts="):
        auto_code(turns, book_of([{"keywords": ["trust"]}]), dry_run=False)


def test_missing_turn_column_is_named():
    turns, _ = make_turns(["trust"])
    with pytest.raises(DsrError, match="perspective"):
        auto_code(
            turns.drop(columns="perspective"),
            book_of([{"keywords": ["trust"], "perspectives": ["client"]}]),
        )


def test_empty_codebook_rules_give_empty_typed_table():
    turns, _ = make_turns(["trust"])
    m = auto_code(turns, parse_codebook("codes:\n  - {id: A, name: A}")).matches
    assert m.empty and list(m.columns) == MATCH_COLUMNS


def test_a_coding_moved_by_a_transcript_edit_is_not_made_twice():
    turns, transcripts = make_turns(["We trust Gamma."])
    book = book_of([{"keywords": ["trust"]}])
    first = auto_code(turns, book, dry_run=False, coder="R1", transcripts=transcripts)
    assert len(first.events) == 1
    # a turn is prepended: the old coding moves, the same match has new offsets (a new id)
    turns2, transcripts2 = make_turns(["Hello.", "We trust Gamma."])
    transcripts2["sha256"] = "h2"
    log = pd.DataFrame(first.events)
    again = auto_code(
        turns2, book, dry_run=False, coder="R1", transcripts=transcripts2, log_events=log
    )
    assert len(again.matches) == 1 and again.events == []
    # without the log the match would be proposed at its new offsets
    fresh = auto_code(turns2, book, dry_run=False, coder="R1", transcripts=transcripts2)
    assert [e["coding_id"] for e in fresh.events] != [first.events[0]["coding_id"]]
