"""Tests of dsr_workbench.coding.textscan: one scan gives what re gives turn by turn."""

from __future__ import annotations

import re

import pytest

from dsr_workbench.coding.textscan import (
    join_turns,
    keyword_hits,
    keyword_key,
    keyword_regex,
    regex_hits,
)


def naive_keywords(texts: list[str], keywords: list[str]) -> set[tuple[int, int, int, str]]:
    out = set()
    for t, text in enumerate(texts):
        for kw in keywords:
            for m in re.finditer(keyword_regex(kw), text, re.IGNORECASE):
                out.add((t, m.start(), m.end(), keyword_key(kw)))
    return out


def scanned_keywords(texts: list[str], keywords: list[str]) -> set[tuple[int, int, int, str]]:
    joined, starts = join_turns(texts)
    keys = list(dict.fromkeys(keyword_key(k) for k in keywords))
    out = set()
    for s, e, k in zip(*keyword_hits(joined, keys), strict=True):
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
    ],
)
def test_keyword_scan_equals_re_turn_by_turn(texts, keywords):
    assert scanned_keywords(texts, keywords) == naive_keywords(texts, keywords)


def test_keyword_never_matches_across_turns():
    assert scanned_keywords(["open", "book"], ["open book"]) == set()


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
