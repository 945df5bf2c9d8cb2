"""Subtitle cues: how they name speakers, and the bad cues that are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.formats import read_file
from dsr_workbench.corpus.read import read_transcript


@pytest.mark.parametrize(
    ("name", "body", "line"),
    [
        (
            "s.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nKim: a\n\n"
            "00:00:03.000 --> 00:00:60.000\nAna: b\n",
            6,
        ),
        ("s.srt", "1\n00:00:60,000 --> 00:00:61,000\n[Kim] a\n", 2),
    ],
)
def test_a_cue_time_past_59_seconds_is_an_error_naming_the_line(
    tmp_path: Path, name: str, body: str, line: int
) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(
        InputError,
        match=rf"{name}:{line}: time '00:00:6[01][.,]000' is not a "
        "time: minutes and seconds run from 0 to 59",
    ):
        read_transcript(path)


def test_bracket_prefix_with_or_without_colon_and_sound_tags(tmp_path: Path) -> None:
    path = tmp_path / "b.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\n[Music]\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\n[SPEAKER_00]: Hello.\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\n[Music] [laughs]\n\n"
        "4\n00:00:04,000 --> 00:00:05,000\n[SPEAKER_01] Hi.\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"b\.srt:2: the first cue names no speaker"):
        read_transcript(path)  # "[Music]" is a sound, not a speaker
    path.write_text(path.read_text().split("\n\n", 1)[1], encoding="utf-8")
    parsed = read_file(path)
    assert parsed.variant == "srt/bracket"
    assert [(u.speaker, u.text) for u in parsed.utterances] == [
        ("SPEAKER_00", "Hello."),
        (None, "[Music] [laughs]"),
        ("SPEAKER_01", "Hi."),
    ]


def test_variant_is_ignored_for_subtitles_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "v.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Kim>Hi\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"'variant: colon' is for text and Word files"):
        assert read_file(path, variant="colon").variant == "vtt/voice"


def test_header_metadata_note_and_style_blocks_are_not_cues(tmp_path: Path) -> None:
    path = tmp_path / "yt.vtt"
    path.write_text(
        "WEBVTT\nKind: captions\nLanguage: en\n\nSTYLE\n::cue { color: yellow }\n\n"
        "NOTE written by hand\nstill the note\n\n"
        "intro\n00:00:01.000 --> 00:00:02.000 align:start\n<v Kim>Hello\n\n"
        "00:00:02.500 --> 00:00:03.000\n\n"  # a cue without text has no words
        "00:00:03.000 --> 00:00:04.000\n<v Ana>Hi\n",
        encoding="utf-8",
    )
    parsed = read_file(path)
    assert [(u.speaker, u.text, u.line) for u in parsed.utterances] == [
        ("Kim", "Hello", 12),
        ("Ana", "Hi", 17),
    ]


def test_srt_cues_without_a_blank_line_between_them_are_split(tmp_path: Path) -> None:
    path = tmp_path / "tight.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nKim: Hello\n2\n00:00:02,500 --> 00:00:03,000\nAna: Hi\n",
        encoding="utf-8",
    )
    assert [u.speaker for u in read_file(path).utterances] == ["Kim", "Ana"]


def test_text_outside_any_cue_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "stray.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nKim: Hello\n\nsome stray words\nmore\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nAna: Hi\n",
        encoding="utf-8",
    )
    with pytest.raises(
        InputError, match=r"stray\.srt:5: text outside any cue: 'some stray words' \(fix: "
    ):
        read_transcript(path)
