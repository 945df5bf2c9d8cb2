"""Tests of dsr_workbench.coding.textscan: one scan gives what re gives turn by turn."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_workbench.coding.textscan import (
    join_turns,
    keyword_hits,
    keyword_key,
    keyword_regex,
    regex_hits,
)
from dsr_workbench.coding.textscan_engine import (
    ENGINE_ENV,
    engine_available,
    engine_name,
    hyperscan_keyword_hits,
)
from dsr_workbench.core.errors import DsrError

ENGINES = ["python", "hyperscan"] if engine_available() else ["python"]
needs_hyperscan = pytest.mark.skipif(not engine_available(), reason="hyperscan not installed")


def naive_keywords(texts: list[str], keywords: list[str]) -> set[tuple[int, int, int, str]]:
    out = set()
    for t, text in enumerate(texts):
        for kw in keywords:
            for m in re.finditer(keyword_regex(kw), text, re.IGNORECASE):
                out.add((t, m.start(), m.end(), keyword_key(kw)))
    return out


def scanned_keywords(
    texts: list[str], keywords: list[str], engine: str = "python"
) -> set[tuple[int, int, int, str]]:
    joined, starts = join_turns(texts)
    keys = list(dict.fromkeys(keyword_key(k) for k in keywords))
    out = set()
    for s, e, k in zip(*keyword_hits(joined, keys, engine=engine), strict=True):
        t = max(i for i, start in enumerate(starts) if start <= s)
        out.add((t, s - starts[t], e - starts[t], keys[k]))
    return out


@pytest.mark.parametrize(
    "texts,keywords",
    [
        # ASCII fast path: str.lower on the corpus
        (["Trust, TRUST and distrust.", "trust\ntrust"], ["trust"]),
        # re's extra case classes: long s, dotless i, final sigma, Kelvin sign
        (["ſupply and SUPPLY", "ıt and IT", "ΟΔΟΣ οδος", "K-value"], ["supply", "it", "οδοσ", "k"]),
        # U+0130 lower-cases to two characters: re.IGNORECASE folds instead of str.lower
        (["İstanbul, istanbul", "Tomás and TOMÁS"], ["istanbul", "tomás"]),
        # U+0345 folds to a word character although it is not one
        (["aͅ b aι"], ["aι", "a"]),
        # keywords that start or end with non-word characters
        (["the (R&D) team, R&D-led, C++ code", "c++"], ["(r&d)", "r&d", "c++"]),
        # phrases across any whitespace, and prefixes of a longer keyword
        (["open  book, open\nbooks, open book"], ["open book", "open", "book"]),
        # a key overlapping itself: re.finditer resumes after each match (a-a in a-a-a)
        (["a-a-a", "---", "x x x", ".. .."], ["a-a", "--", "x x", ".."]),
        # Latin-1 text (the engine's one-byte path) with its own whitespace and letters
        (["Ærø\xa0ÆRØ, ærø; ÿes\x85ŸES", "µ and Μ"], ["ærø", "ærø ærø", "ÿes ÿes", "µ"]),
        # non-BMP letters and their case pairs (Deseret), digits other than 0-9
        (["𐐀𐐨 𐐨𐐨, x²", "٣ x٣ x"], ["𐐨𐐨", "x", "٣"]),
    ],
)
@pytest.mark.parametrize("engine", ENGINES)
def test_keyword_scan_equals_re_turn_by_turn(texts, keywords, engine):
    assert scanned_keywords(texts, keywords, engine) == naive_keywords(texts, keywords)


@pytest.mark.parametrize("engine", ENGINES)
def test_keyword_never_matches_across_turns(engine):
    assert scanned_keywords(["open", "book"], ["open book"], engine) == set()
    assert scanned_keywords(["ab", "c"], ["b", "c", "bc"], engine) == {(1, 0, 1, "c")}


# Characters that stress word boundaries and case folding: non-ASCII letters (é, ü, Greek,
# Cyrillic), a combining mark (not a word character), digits (², ٣), apostrophes and hyphens,
# ß/ẞ, Turkish İ/ı, long s, Kelvin sign, final sigma, U+0345, non-BMP letters (𐐀/𐐨, 𝐀), an
# emoji, and whitespace beyond ASCII (NBSP, NEL, em space, ideographic space, U+001C).
UNICODE = "aAeEsSkKiIéÉüÜß\u1e9eİıſ\u212aσςΣͅιжЖ\u0301²٣'’-_.1𐐀𐐨𝐀😀 \xa0\x85\u2003\u3000\x1c\n"
LATIN1 = "aAsSkKiIéÉüÜßÿµ'-_.1 \xa0\x85\n"


@st.composite
def scan_cases(draw, alphabet):
    word = st.text(alphabet=alphabet.replace(" ", "").replace("\n", ""), min_size=1, max_size=3)
    texts = draw(st.lists(st.text(alphabet=alphabet, max_size=30), min_size=1, max_size=5))
    keywords = draw(
        st.lists(
            st.lists(word, min_size=1, max_size=2).map(" ".join).filter(str.strip),
            min_size=1,
            max_size=5,
        )
    )
    # keywords taken from the text itself, so that most cases have matches
    for text in texts[:2]:
        pieces = text.split()
        if pieces:
            keywords.append(" ".join(pieces[: draw(st.integers(1, 2))]))
    return texts, keywords


@needs_hyperscan
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(scan_cases(UNICODE), scan_cases(LATIN1)))
def test_hyperscan_and_python_engines_give_the_same_matches(case):
    texts, keywords = case
    expected = naive_keywords(texts, keywords)
    assert scanned_keywords(texts, keywords, "python") == expected
    assert scanned_keywords(texts, keywords, "hyperscan") == expected


# What may stand right beside a keyword: nothing, separators (ASCII and not), and characters
# that do or do not end a word under Unicode rules: letters with and without case (é, ß, ẞ,
# Turkish ı/İ, the Kelvin sign, non-BMP 𐐨 and 𝐀), combining marks (U+0301 and U+0345, which
# are not word characters), digits (1, ², ٣), the underscore, apostrophes and an emoji.
NEIGHBOURS = [
    *("", " ", "\n", "\xa0", "\u3000", "\x85", "-", "'", "’", ".", "😀"),
    *("_", "1", "²", "٣", "é", "É", "ß", "\u1e9e", "ı", "İ", "\u212a", "𐐨", "𝐀", "a", "S"),
    *("\u0301", "\u0345", "e\u0301", "_1", "\u0301_"),
]
KEY_WORD = st.text(alphabet="aeiksSKßẞıİéσςΣ𐐀𐐨_1²'-\u0301", min_size=1, max_size=4)
CASINGS = [str, str.upper, str.lower, str.swapcase, str.title, str.casefold]


@st.composite
def adjacent_cases(draw):
    """Texts that hold the keywords (in other casings) right beside stressing neighbours."""
    phrase = st.lists(KEY_WORD, min_size=1, max_size=2).map(" ".join).filter(str.strip)
    keywords = draw(st.lists(phrase, min_size=1, max_size=3))
    texts = []
    for _ in range(draw(st.integers(1, 4))):
        parts = [draw(st.sampled_from(NEIGHBOURS))]
        for _ in range(draw(st.integers(1, 3))):
            keyword = draw(st.sampled_from(CASINGS))(draw(st.sampled_from(keywords)))
            if draw(st.booleans()):  # the whitespace inside a phrase varies too
                keyword = keyword.replace(" ", draw(st.sampled_from([" ", "  ", "\n", "\xa0"])))
            parts += [keyword, draw(st.sampled_from(NEIGHBOURS))]
        texts.append("".join(parts))
    return texts, keywords


@needs_hyperscan
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(adjacent_cases())
def test_engines_agree_on_keywords_beside_unicode_word_boundaries(case):
    texts, keywords = case
    expected = naive_keywords(texts, keywords)
    assert scanned_keywords(texts, keywords, "python") == expected
    assert scanned_keywords(texts, keywords, "hyperscan") == expected


@needs_hyperscan
def test_a_match_at_the_very_end_of_a_long_text_is_found():
    # Hyperscan 0.9.1 missed ".A" here (a word boundary at the end of a buffer of 17 bytes or
    # more, with a second pattern in the database); hypothesis found it
    texts = ["11111111111\x851", ".A"]
    keywords = [".1", "11111111111 1", ".A"]
    assert scanned_keywords(texts, keywords, "hyperscan") == naive_keywords(texts, keywords)
    texts = [" " * 15 + ".A"]
    assert scanned_keywords(texts, [".1", ".a"], "hyperscan") == {(0, 15, 17, ".a")}


def test_adjacent_cases_do_find_keywords():
    # the strategy above is not vacuous: a keyword beside a non-word neighbour is found, and
    # one beside a word character (letter, digit, underscore, non-BMP letter) is not
    texts = ["_trust", "trust\u0301", "2trust", "𐐨trust", "ıtrust", "trust’s", "😀TRUST😀"]
    got = {t for t, *_ in scanned_keywords(texts, ["trust"], ENGINES[-1])}
    assert got == {1, 5, 6} == {t for t, *_ in naive_keywords(texts, ["trust"])}


@needs_hyperscan
def test_engine_offsets_are_code_points_after_multibyte_characters():
    joined, _ = join_turns(["😀 ß Straße STRASSE", "𐐀𐐨 x"])
    keys = [keyword_key(k) for k in ["straße", "x", "𐐨𐐨"]]
    s, e, k = hyperscan_keyword_hits(joined, keys)
    assert sorted(joined[a:b] for a, b in zip(s, e, strict=True)) == ["Straße", "x", "𐐀𐐨"]


def test_engine_choice_from_argument_and_environment(monkeypatch):
    assert engine_name("python") == "python"
    monkeypatch.setenv(ENGINE_ENV, "python")
    assert engine_name(None) == "python"
    monkeypatch.setenv(ENGINE_ENV, "grep")
    with pytest.raises(DsrError, match=ENGINE_ENV):
        engine_name(None)
    with pytest.raises(DsrError, match="unknown auto-coding engine 'fast'"):
        engine_name("fast")


def test_forcing_hyperscan_where_it_is_missing_is_a_clear_error(monkeypatch):
    from dsr_workbench.coding import textscan_engine

    monkeypatch.setattr(textscan_engine, "_hyperscan", lambda: None)
    with pytest.raises(DsrError, match="not installed") as err:
        engine_name("hyperscan")
    assert "pip install hyperscan" in (err.value.hint or "")
    assert engine_name("auto") == "python"
    assert textscan_engine.hyperscan_keyword_hits("\x00trust", ["trust"]) is None
    joined, _ = join_turns(["Trust"])
    assert [x.tolist() for x in keyword_hits(joined, ["trust"], engine="auto")] == [[1], [6], [0]]


@pytest.mark.parametrize(
    "pattern",
    [r"x.*y", r"(?s)x.+", r"\W+", r"y$", r"^y", r"(?<=x)\W*y", r"(?>x\W*)y", r"x\b", r"\Bx"],
)
def test_regex_scan_equals_re_turn_by_turn(pattern):
    texts = ["x and y", "x", "y!", "", "xx y", "y"]
    joined, starts = join_turns(texts)
    expected = {
        (t, m.start(), m.end())
        for t, text in enumerate(texts)
        for m in re.finditer(pattern, text, re.IGNORECASE)
        if m.end() > m.start()
    }
    assert set(zip(*regex_hits(pattern, texts, joined, starts), strict=True)) == expected


def test_join_turns_of_nothing():
    joined, starts = join_turns([])
    assert joined == "\x00" and starts.tolist() == []
