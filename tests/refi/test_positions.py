"""Tests of dsr_workbench.refi.positions: detecting and converting position conventions.

Native offsets are computed here independently of the module (``str.encode`` and slicing),
for each way real exporters count, and the module must find the words back.
"""

from __future__ import annotations

import pandas as pd
import pytest

from dsr_workbench.refi.positions import STANDARD, place_selections, stored_text

# Text with emoji outside the BMP (two UTF-16 units, four UTF-8 bytes), accents (two UTF-8
# bytes) and several lines, as in the NVivo export of the shared reference files.
LINES = [
    "Kim: Why did you choose Gamma? 😀",
    "Hannah: Frankly, we trust them 👍 more than Delta.",
    "Hannah: Their Qualified Person answers within the hour — café talk, not clauses.",
    "Kim: And the audits? 🤔",
    "Hannah: Audits are fine; the price is the problem 💶.",
]
WORDS = ["choose", "trust", "Qualified Person", "hour", "café talk", "audits", "price", "problem"]


def _native(raw: str, unit: str, base: str, end: str) -> tuple[list[int], list[int]]:
    """Offsets of WORDS in ``raw`` as a tool counting this way writes them."""
    text = {"raw": raw, "lf": stored_text(raw), "crlf": stored_text(raw).replace("\n", "\r\n")}[
        base
    ]
    enc = {"codepoint": None, "utf16": "utf-16-le", "utf8": "utf-8"}[unit]

    def count(s: str) -> int:
        if enc is None:
            return len(s)
        return len(s.encode(enc)) // (2 if enc == "utf-16-le" else 1)

    starts, ends = [], []
    for word in WORDS:
        at = text.index(word)
        starts.append(count(text[:at]))
        stop = count(text[: at + len(word)])
        if end == "inclusive":
            stop = count(text[: at + len(word) - 1])
        ends.append(stop)
    return starts, ends


def _quotes(p, rows: slice = slice(None)) -> list[str]:
    table = p.table.iloc[rows]
    return [p.text[s:e] for s, e in zip(table["start"], table["end"], strict=True)]


@pytest.mark.parametrize(
    ("line_end", "unit", "base", "end"),
    [
        ("\n", "codepoint", "raw", "exclusive"),  # the standard
        ("\r\n", "utf16", "raw", "exclusive"),  # NVivo 12 (see the shared README)
        ("\r\n", "codepoint", "lf", "exclusive"),  # a tool that drops the CR
        ("\n", "codepoint", "crlf", "exclusive"),  # a tool that inserts a CR
        ("\r\n", "utf8", "raw", "exclusive"),  # byte offsets
        ("\n", "codepoint", "raw", "inclusive"),  # end names the last character
        ("\r\n", "utf16", "raw", "inclusive"),
    ],
)
def test_detects_the_convention_and_finds_every_word(line_end, unit, base, end):
    raw = line_end.join(LINES) + line_end
    starts, ends = _native(raw, unit, base, end)
    p = place_selections(raw, starts, ends)
    assert str(p.convention) == f"{unit}/{base}/{end}"
    assert _quotes(p) == WORDS
    assert p.table["problem"].isna().all()
    assert (p.table["verified"] == "convention").all()


def test_stored_text_is_the_raw_text_with_lf_line_ends():
    raw = "\r\n".join(LINES) + "\r\n"
    p = place_selections(raw, *_native(raw, "utf16", "raw", "exclusive"))
    assert p.text == "\n".join(LINES) + "\n"


def test_the_standard_wins_a_tie():
    raw = "Ana: We trust them.\n"  # ASCII, LF: every convention but utf8-on-accents agrees
    p = place_selections(raw, [8], [13])
    assert p.convention == STANDARD
    assert _quotes(p) == ["trust"]
    # one selection cannot rule out an inclusive end ("trust "): placed, but unverified
    assert p.table.loc[0, "verified"] == "unverified"


def test_quotes_in_the_file_decide_and_are_marked_verified():
    raw = "\n".join(LINES) + "\n"
    starts, ends = _native(raw, "codepoint", "raw", "exclusive")
    p = place_selections(raw, starts, ends, quotes=WORDS)
    assert _quotes(p) == WORDS
    assert (p.table["verified"] == "quote").all()


def test_a_quote_that_matches_under_no_convention_is_placed_unverified():
    raw = "\n".join(LINES) + "\n"
    starts, ends = _native(raw, "codepoint", "raw", "exclusive")
    quotes = list(WORDS)
    quotes[1] = "distrust"
    p = place_selections(raw, starts, ends, quotes=quotes)
    assert _quotes(p) == WORDS  # placed where the offsets say, by the proven convention
    assert p.table.loc[1, "verified"] == "unverified"
    assert p.table.loc[1, "reason"].startswith("its quote is not at its offsets")
    assert (p.table.drop(index=1)["verified"] == "quote").all()
    assert p.table["problem"].isna().all()


def test_a_quote_with_an_ellipsis_matches_its_beginning():
    raw = "Hannah: Their Qualified Person answers within the hour.\n"
    p = place_selections(raw, [14], [54], quotes=["Qualified Person answers…"])
    assert p.table.loc[0, "verified"] == "quote"


def test_names_that_are_labels_not_quotes_are_ignored():
    raw = "\n".join(LINES) + "\n"
    starts, ends = _native(raw, "codepoint", "raw", "exclusive")
    p = place_selections(raw, starts, ends, quotes=[f"Selection {i}" for i in range(8)])
    assert _quotes(p) == WORDS
    assert (p.table["verified"] == "convention").all()


def test_a_selection_outside_the_text_is_a_problem_never_placed():
    raw = "Ana: We trust them.\n"
    p = place_selections(raw, [8, 15], [13, 99])
    assert _quotes(p, slice(0, 1)) == ["trust"]
    assert p.table.loc[1, "start"] is pd.NA
    assert "fall outside the text" in p.table.loc[1, "problem"]


def test_one_selection_cannot_settle_a_non_standard_convention():
    # CRLF text counted with one character per line end: "ef" is found, but with one
    # selection an inclusive end (giving "ef ") cannot be ruled out: placed, unverified.
    raw = "ab cd\r\nef gh\r\n"
    p = place_selections(raw, [6], [8])
    assert _quotes(p) == ["ef"]
    assert p.table.loc[0, "verified"] == "unverified"
    assert (
        "codepoint/lf/exclusive (the evidence rules the standard out)" in p.table.loc[0, "reason"]
    )
    assert "cannot be ruled out" in p.table.loc[0, "reason"]
    assert p.table["problem"].isna().all()


def test_without_quotes_an_undecided_source_is_placed_by_the_standard():
    # Sloppy selections (cut mid-word, as people select): an inclusive end makes one of
    # them end on a word boundary, too little to rule the standard out. Before, every
    # selection was dropped as ambiguous; now each is placed by the standard, unverified.
    raw = "Ana: We trust them a lot.\nBen: Audits are fine, mostly.\n"
    starts = [raw.index("trus"), raw.index("Audits are f")]
    ends = [starts[0] + 4, starts[1] + len("Audits are f")]
    p = place_selections(raw, starts, ends)
    assert p.convention == STANDARD
    assert _quotes(p) == ["trus", "Audits are f"]
    assert (p.table["verified"] == "unverified").all()
    reason = p.table.loc[0, "reason"]
    assert reason.startswith("placed by the REFI-QDA standard's code-point convention")
    assert "carry no quote text" in reason
    assert p.table["problem"].isna().all()


def test_start_after_end_negative_and_empty_selections_are_problems():
    raw = "Ana: We trust them.\n"
    p = place_selections(raw, [13, 8, -2, 8], [8, 8, 3, 13])
    assert p.table["problem"].tolist()[:3] == [
        "its startPosition 13 is after its endPosition 8",
        "it is empty (startPosition = endPosition = 8)",
        "its positions -2..3 are negative",
    ]
    assert p.table["start"].isna().tolist() == [True, True, True, False]
    assert _quotes(p, slice(3, 4)) == ["trust"]


def test_many_selections_settle_it():
    words = [f"word{chr(65 + i)}" for i in range(12)]
    raw = "\r\n".join(f"line {w} holds more here" for w in words) + "\r\n"
    lf = stored_text(raw)
    starts = [lf.index(w) for w in words]
    ends = [s + len(w) for s, w in zip(starts, words, strict=True)]
    p = place_selections(raw, starts, ends)
    assert str(p.convention) == "codepoint/lf/exclusive"
    assert _quotes(p) == words


def test_a_selection_inside_a_surrogate_pair_is_widened_to_the_whole_character():
    raw = "\r\n".join(LINES) + "\r\n"
    starts, ends = _native(raw, "utf16", "raw", "exclusive")
    emoji = len(raw[: raw.index("😀")].encode("utf-16-le")) // 2
    p = place_selections(raw, [*starts, emoji + 1], [*ends, emoji + 2])
    assert str(p.convention) == "utf16/raw/exclusive"
    assert _quotes(p) == [*WORDS, "😀"]
    assert p.table.iloc[-1]["verified"] == "unverified"
    assert "cut a character" in p.table.iloc[-1]["reason"]


def test_outside_the_text_names_the_length_under_the_convention():
    raw = "\r\n".join(LINES) + "\r\n"
    starts, ends = _native(raw, "utf16", "raw", "exclusive")
    total = len(raw.encode("utf-16-le")) // 2
    p = place_selections(raw, [*starts, total - 1], [*ends, total + 1])
    assert p.table.iloc[-1]["problem"] == (
        f"offsets {total - 1}..{total + 1} fall outside the text ({len(stored_text(raw))} "
        f"characters, {total} positions under utf16/raw/exclusive)"
    )


def test_no_selections_and_an_empty_text():
    assert place_selections("text", [], []).convention is None
    p = place_selections("", [0], [1])
    assert p.table.loc[0, "problem"] == "the source's text is empty"
