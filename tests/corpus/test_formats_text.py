"""Plain-text lines: label styles, mixed and tied files, role labels, f4 time marks."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_workbench.core.errors import DsrWarning, InputError
from dsr_workbench.corpus.formats import read_file
from dsr_workbench.corpus.formats_text import (
    MAX_REPORTED,
    _hits,
    _label,
    match_label,
    parse_lines,
)
from dsr_workbench.corpus.notation import F4_MARK, TEXT_VARIANTS
from dsr_workbench.corpus.read import read_transcript

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "transcripts"


@pytest.mark.parametrize(
    ("variant", "line", "expected"),
    [
        ("colon", "interviewer: Hi", ("interviewer", "Hi", None, None)),
        ("colon", "INTERVIEWEE: Hi", ("INTERVIEWEE", "Hi", None, None)),
        ("colon", "I:Ja, genau.", ("I", "Ja, genau.", None, None)),
        ("colon", "IP2:Nein.", ("IP2", "Nein.", None, None)),
        ("colon", "SPEAKER_00: Okay.", ("SPEAKER_00", "Okay.", None, None)),
        ("colon", "Jane Roe (she/her): Hi", ("Jane Roe", "Hi", None, "she/her")),
        ("bracket_name", "[SPEAKER_01]: Yes.", ("SPEAKER_01", "Yes.", None, None)),
        ("bracket_name", "[Jane Roe] 14:02:03", ("Jane Roe", "", "14:02:03", None)),
        ("speaker_line", "Speaker 1  00:01:02", ("Speaker 1", "", "00:01:02", None)),
        ("speaker_line", "Roe, Jane\t0:03", ("Roe, Jane", "", "0:03", None)),
        ("speaker_line", "### Kim", ("Kim", "", None, None)),
        ("bold", "**Kim** Hello.", ("Kim", "Hello.", None, None)),
        ("time_speaker", "00:00:03 Speaker 1", ("Speaker 1", "", "00:00:03", None)),
    ],
)
def test_labels(variant: str, line: str, expected: tuple) -> None:
    assert match_label(variant, line) == expected


@pytest.mark.parametrize(
    ("variant", "line"),
    [
        ("colon", "Note: this is prose"),
        ("colon", "Example: another line"),
        ("colon", "Date: 12 March 2026"),
        ("colon", "the approach is simple: test"),
        ("colon", "lowercase name: is prose unless a role"),
        ("colon", "This label is far too long to be a name: text"),
        ("colon", "C:\\Users\\kim"),  # a path, not "C:" glued to its text
        ("colon", "See https://example.org"),
        ("colon", "Kim (00:00:02): a time is paren_time, not a note"),
        ("speaker_line", "Meeting at 10:30"),  # one space before a time: prose
        ("speaker_line", "# Transcript"),
        ("time_speaker", "10:30 we met again at the site"),
    ],
)
def test_not_labels(variant: str, line: str) -> None:
    assert match_label(variant, line) is None


def test_mixed_styles_read_by_the_dominant_one_and_the_others_reported() -> None:
    with pytest.warns(DsrWarning) as caught:
        turns = read_transcript(FIXTURES / "mixed.txt")
    assert list(turns.speaker) == ["Kim", "Ana", "Kim", "Ana"]
    assert turns.text.iloc[1] == "Well, in the end.\n[Ben] I was not there."  # kept, as text
    assert [str(w.message) for w in caught] == [
        f"{FIXTURES / 'mixed.txt'}: 2 line(s) carry a label of another style (at, "
        "bracket_name) than the file's (colon), read as text: line 3, 6 (fix: relabel them in "
        "the 'colon' style, or set 'variant:' in study.yaml)"
    ]


def test_many_mixed_lines_are_listed_up_to_a_limit() -> None:
    lines = ["Kim: a"] * 30 + ["[Ana] b"] * (MAX_REPORTED + 3)
    with pytest.warns(DsrWarning, match=r"and 3 more \(fix:") as caught:
        parse_lines(lines, "x.txt")
    assert f"{MAX_REPORTED + 3} line(s)" in str(caught[0].message)


def test_a_tie_between_two_styles_is_an_error_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "tie.txt"
    path.write_text("Kim: Hello.\n[Ana] Hi.\nKim: Fine?\n[Ana] Yes.\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_transcript(path)
    message = str(info.value)
    assert message.startswith(f"{path}: two label styles are equally common (2 lines each)")
    assert "'colon' (first at line 1) and 'bracket_name' (first at line 2)" in message
    assert "variant: colon" in message and "study.yaml" in message
    # the tie is settled by naming the variant
    with pytest.warns(DsrWarning, match="line 2, 4"):
        turns = read_transcript(path, variant="colon")
    assert list(turns.speaker) == ["Kim"]
    with pytest.warns(DsrWarning, match="line 1, 3"):
        assert list(read_file(path, variant="bracket_name").utterances)[0].speaker == "Ana"


def test_identical_matches_are_no_tie() -> None:
    # "**Kim**" alone is both speaker_line and bold: the same lines, so no tie
    utterances = parse_lines(["**Kim**", "Hello.", "**Ana**", "Hi."], "x.md")
    assert [u.speaker for u in utterances] == ["Kim", "Ana"]


def test_unknown_or_unused_variant_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Kim: Hello.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"t\.txt: unknown text variant 'coloon' \(fix: use one"):
        read_transcript(path, variant="coloon")
    with pytest.raises(InputError, match="no line follows the label style 'at'"):
        read_transcript(path, variant="at")


def test_a_heading_of_another_level_than_the_speakers_is_not_a_speaker() -> None:
    lines = ["# Acme site visit", "", "### Kim", "Hello.", "## Agenda", "### Ana", "Hi."]
    utterances = parse_lines(lines, "x.md")
    assert [(u.speaker, u.text) for u in utterances] == [
        ("Kim", "Hello.\n## Agenda"),
        ("Ana", "Hi."),
    ]


def test_a_title_heading_in_a_colon_file_is_neither_a_speaker_nor_reported() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DsrWarning)
        utterances = parse_lines(["# Focus group", "Kim: Hi.", "Ana: Hello."], "x.md")
    assert [u.speaker for u in utterances] == ["Kim", "Ana"]


def test_an_insane_f4_mark_is_an_error_naming_its_line() -> None:
    with pytest.raises(InputError, match=r"x\.txt:2: time '00:00:75' is not a time"):
        parse_lines(["I: Hallo. #00:00:04-1#", "B: Ja. #00:00:75-0#"], "x.txt")


def test_f4_marks_on_their_own_line_and_several_per_turn() -> None:
    utterances = parse_lines(
        ["I: Erste Frage?", "#00:00:05-0#", "B: Antwort. #00:00:09-5#", "Mehr. #00:00:12-0#"],
        "x.txt",
    )
    assert [(u.text, u.t_start, u.t_end) for u in utterances] == [
        ("Erste Frage?", None, 5.0),
        ("Antwort.\nMehr.", 5.0, 12.0),
    ]


def test_role_words_only_may_be_lower_case() -> None:
    utterances = parse_lines(["moderator: Welcome.", "participant: Thanks.", "kim: hi"], "x")
    assert [(u.speaker, u.text) for u in utterances] == [
        ("moderator", "Welcome."),
        ("participant", "Thanks.\nkim: hi"),
    ]


def test_no_labels_hint_lists_the_new_styles(tmp_path: Path) -> None:
    path = tmp_path / "prose.txt"
    path.write_text("We talked.\nThen we left.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no speaker labels found \(fix: .*'I: '.*00:01:02 Name"):
        read_transcript(path)


# --- the first-character and whole-line tests that choose the patterns a line is tried with


def _naive_hits(lines: list[str]) -> dict[str, dict[int, tuple]]:
    """Every pattern tried on every line (the reading before the tests that skip patterns)."""
    found: dict[str, dict[int, tuple]] = {}
    for index, line in enumerate(lines):
        stripped = (F4_MARK.sub("", line) if "#" in line else line).strip()
        if not stripped:
            continue
        for variant, pattern in TEXT_VARIANTS.items():
            matched = pattern.match(stripped)
            if matched and (hit := _label(matched)):
                found.setdefault(variant, {})[index] = hit
    return found


_PIECES = [
    "Kim",
    "Jane Roe",
    "interviewer",
    "SPEAKER_00",
    "Speaker 1",
    "Ägidius",
    "²nd",
    "I",
    "B2",
    "Note",
    ":",
    ": ",
    "**",
    "[",
    "]",
    "(",
    ")",
    "(Acme GmbH)",
    "@",
    "#",
    "### ",
    "00:01:02",
    "1:02",
    "00:00:03,5",
    "#00:01:22-6#",
    " ",
    "  ",
    "\t",
    "\u00a0",
    "\u2003",
    "text",
    "3",
    "٣",
    ",",
    ".",
    "-",
    "'",
    "_",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join), max_size=12))
def test_the_pattern_tests_change_no_hit(lines: list[str]) -> None:
    assert _hits(lines) == _naive_hits(lines)


@pytest.mark.parametrize(
    "line",
    [
        "[00:01:02] Kim: Hi.",
        "Kim (00:01:02): Hi.",
        "@Kim: Hi.",
        "[Kim] Hi.",
        "**Kim:** Hi.",
        "I:Ja",
        "### Kim",
        "Speaker 1  0:03",
        "Roe, Jane\t00:00:03",
        "**Kim** Hi.",
        "00:00:03 Speaker 1",
        "Ägidius: Hi.",
        "Kim\u00a0 00:00:03",
    ],
)
def test_every_variant_still_finds_its_labels(line: str) -> None:
    assert _hits([line]) == _naive_hits([line]) != {}
