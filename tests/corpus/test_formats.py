"""Reading and writing every transcript format and text variant."""

from __future__ import annotations

import math
from pathlib import Path

import docx
import pytest

from dsr_workbench.core.errors import DsrWarning, InputError
from dsr_workbench.corpus.formats import (
    TEXT_VARIANTS,
    decode,
    detect_variant,
    parse_time,
    write_transcript,
)
from dsr_workbench.corpus.read import read_transcript

DATA = Path(__file__).resolve().parents[1] / "data"

FIXTURES = DATA / "transcripts"

# file -> (speakers of each turn, text of each turn, t_start of each turn or None)
EXPECTED = {
    "colon.txt": (
        ["Kim", "Ana", "Kim", "Ana"],
        [
            "Thanks for joining. Shall we start?",
            "Yes. We run two sites.\nBoth make oral solids.",
            "How do clients book capacity?",
            "Through a rolling forecast:\neighteen months, binding for the first three.",
        ],
        None,
    ),
    "bracket_time.md": (
        ["Kim", "Ana", "Ben"],
        ["Welcome, everyone.", "Thank you.", "Glad to be here."],
        [5, 9, 90],
    ),
    "paren_time.txt": (
        ["Kim", "Ana", "Kim"],
        ["First question.", "First answer.", "Second question."],
        [2, 6, 20],
    ),
    "at.txt": (["Kim", "Ana"], ["Opening.", "Reply one.\nReply two."], None),
    "bracket_name.txt": (
        ["Kim", "Ana", "Kim"],
        [
            "What changed after the audit?",
            "A lot. [laughs]\nWe rewrote the quality agreement.",
            "And the escalation path?",
        ],
        None,
    ),
    "speaker_line.md": (
        ["Kim", "Ana", "Kim"],
        [
            "Could you describe the transfer?",
            "It took nine months.\nThe analytical methods were the hard part.",
            "Why?",
        ],
        None,
    ),
    "otter.txt": (["Kim", "Ana"], ["Hello and welcome.", "Hi, thanks.\nGlad to help."], [3, 7]),
    "voice.vtt": (
        ["Kim", "Ana"],
        [
            "How long did the tech transfer take?",
            "Nine months, & three engineering batches. Then PPQ.",
        ],
        [1.0, 4.5],
    ),
    "colon.vtt": (["Kim", "Ana"], ["Ready?", "Yes, go ahead. and one more thing."], [1.0, 3.5]),
    "cues.srt": (["Kim", "Ana"], ["Who owns the forecast?", "Supply chain does."], [1.0, 4.0]),
}


def _check_offsets(turns) -> None:
    text = turns.attrs["text"]
    for start, end, turn_text in zip(turns.start, turns.end, turns.text, strict=True):
        assert text[start:end] == turn_text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_written_fixture(name: str) -> None:
    speakers, texts, starts = EXPECTED[name]
    turns = read_transcript(FIXTURES / name)
    assert len(turns) == len(speakers)
    assert list(turns.speaker) == speakers
    assert list(turns.text) == texts
    assert list(turns.turn) == list(range(1, len(speakers) + 1))
    _check_offsets(turns)
    if starts is None:
        assert turns.t_start.isna().all()
    else:
        assert list(turns.t_start) == pytest.approx(starts)


def test_vtt_times_span_the_merged_cues() -> None:
    turns = read_transcript(FIXTURES / "voice.vtt")
    assert turns.t_end.tolist() == pytest.approx([4.0, 12.0])


def test_text_timestamps_end_where_the_next_turn_starts() -> None:
    turns = read_transcript(FIXTURES / "bracket_time.md")
    assert turns.t_end.iloc[0] == 9 and turns.t_end.iloc[1] == 90
    assert math.isnan(turns.t_end.iloc[2])


def test_docx_paragraphs(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Transcript of interview 4")  # preamble, not a turn
    para = document.add_paragraph()
    para.add_run("Kim:").bold = True
    para.add_run(" Where do problems start?")
    document.add_paragraph("Ana: In technology transfer.")
    document.add_paragraph("Mostly analytical methods.")
    path = tmp_path / "interview.docx"
    document.save(str(path))
    turns = read_transcript(path)
    assert list(turns.speaker) == ["Kim", "Ana"]
    assert turns.text.iloc[1] == "In technology transfer.\nMostly analytical methods."
    assert list(turns.source_line) == [2, 3]  # paragraph numbers
    _check_offsets(turns)


def test_docx_table(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for row, cells in zip(
        table.rows,
        [
            ("Time", "Speaker", "Text"),
            ("00:00:04", "Kim", "Opening question."),
            ("00:00:09", "Ana", "An answer."),
        ],
        strict=True,
    ):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    path = tmp_path / "table.docx"
    document.save(str(path))
    turns = read_transcript(path)
    assert list(turns.speaker) == ["Kim", "Ana"]
    assert list(turns.t_start) == [4.0, 9.0]
    _check_offsets(turns)


ROUND_TRIP = [("x.txt", v) for v in TEXT_VARIANTS] + [
    ("x.md", "colon"),
    ("x.docx", "colon"),
    ("x.vtt", "voice"),
    ("x.vtt", "colon"),
    ("x.vtt", "colon_first"),
    ("x.srt", "colon"),
    ("x.srt", "colon_first"),
]


@pytest.mark.parametrize(("name", "variant"), ROUND_TRIP)
def test_write_then_read_gives_the_same_turns(tmp_path: Path, name: str, variant: str) -> None:
    turns_in = [
        {"speaker": "Kim", "text": "Could you describe your role?", "t_start": 1.0, "t_end": 3.0},
        {
            "speaker": "Tomás",
            "text": "I run the fill-finish plant & its 140 people; "
            "capacity is booked eighteen months ahead, with three months frozen.",
            "t_start": 4.0,
            "t_end": 12.0,
        },
        {"speaker": "Kim", "text": "Thank you.", "t_start": 13.0, "t_end": 14.0},
    ]
    path = write_transcript(turns_in, tmp_path / name, variant=variant, words_per_cue=5)
    turns = read_transcript(path)
    assert list(turns.speaker) == ["Kim", "Tomás", "Kim"]
    assert [" ".join(t.split()) for t in turns.text] == [t["text"] for t in turns_in]
    _check_offsets(turns)


def test_variant_detection_prefers_the_dominant_pattern() -> None:
    lines = ["[Kim]", "Note: this is not a speaker", "[Ana]", "Fine."]
    assert detect_variant(lines)[0] == "bracket_name"


def test_prose_with_a_colon_is_not_a_speaker() -> None:
    assert detect_variant(["the approach is simple: test"]) == (None, 0)


def test_parse_time_formats() -> None:
    assert parse_time("1:02:03,250") == pytest.approx(3723.25)


def test_bom_and_crlf_are_normalised() -> None:
    assert decode(b"\xef\xbb\xbfKim: a\r\nb\r", "f.txt") == "Kim: a\nb\n"


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes("Kim: Grüße\nAna: Hallo\n".encode("utf-16"))
    assert list(read_transcript(path).text) == ["Grüße", "Hallo"]


def test_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Kim: Qualité\nAna: Oui\n".encode("cp1252"))
    assert read_transcript(path, encoding="cp1252").text.iloc[0] == "Qualité"


def test_nfc_normalisation(tmp_path: Path) -> None:
    path = tmp_path / "nfd.txt"
    path.write_text("Kim: Tome\u0301s?\nAna: Yes\n", encoding="utf-8")
    turns = read_transcript(path)
    assert turns.text.iloc[0] == "Tom\u00e9s?"


# ---------------------------------------------------------------- bad input


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.txt: is empty \(fix: "):
        read_transcript(path)


def test_undecodable_bytes_name_line_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(b"Kim: fine\nAna: Qualit\xe9\n")
    with pytest.raises(InputError, match=r"latin\.txt:2: cannot be decoded as utf-8.*0xe9"):
        read_transcript(path)


def test_no_speaker_labels(tmp_path: Path) -> None:
    path = tmp_path / "prose.txt"
    path.write_text("We talked about capacity.\nThen about quality.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"prose\.txt: no speaker labels found \(fix: start"):
        read_transcript(path)


@pytest.mark.parametrize(
    ("name", "body", "line"),
    [
        (
            "bad.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Kim>Hi\n\n"
            "00:00:0x.000 --> 00:00:05.000\n<v Ana>Hello\n",
            6,
        ),
        (
            "bad.srt",
            "1\n00:00:01,000 --> 00:00:03,000\nKim: Hi\n\n2\n00:00:04.000 --> 00:00:05,000\n"
            "Ana: Hello\n",
            6,
        ),
    ],
)
def test_malformed_timestamps(tmp_path: Path, name: str, body: str, line: int) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=rf"{name}:{line}: malformed cue timing"):
        read_transcript(path)


def test_vtt_without_header(tmp_path: Path) -> None:
    path = tmp_path / "nohead.vtt"
    path.write_text("00:00:01.000 --> 00:00:03.000\n<v Kim>Hi\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"nohead\.vtt:1: does not start with 'WEBVTT'"):
        read_transcript(path)


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(InputError, match="unsupported transcript format '.pdf'"):
        read_transcript(path)


def test_writer_needs_times_for_subtitles(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="needs t_start"):
        write_transcript([{"speaker": "Kim", "text": "Hi"}], tmp_path / "x.vtt")


# ---------------------------------------------------------------- untrusted input


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_detected_decoded_and_named(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes("Kim: Grüße\nAna: Hallo\n".encode(codec))
    with pytest.warns(DsrWarning) as caught:
        turns = read_transcript(path)
    assert list(turns.text) == ["Grüße", "Hallo"]
    assert [str(w.message) for w in caught] == [
        f"{path}: {codec.upper()} text without a byte-order mark (not utf-8): read as "
        f"{codec.upper()} (fix: re-save it as UTF-8)"
    ]


def test_nul_bytes_that_are_not_utf16_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(b"Kim: hello\nAna: \x00\x01\x02\x03 world\n")
    with pytest.raises(
        InputError, match=r"binary\.txt:2: holds NUL bytes \(the first at offset 16\)"
    ):
        read_transcript(path)


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        (
            "m.vtt",
            "WEBVTT\n\n00:61:00.000 --> 00:62:00.000\n<v Kim>Hi\n",
            r"m\.vtt:3: time '00:61:00\.000' is not a time: minutes",
        ),
        (
            "s.srt",
            "1\n00:00:01,000 --> 00:00:75,000\nKim: Hi\n",
            r"s\.srt:2: time '00:00:75,000' is not a time",
        ),
        (
            "h.vtt",
            "WEBVTT\n\n999999:00:00.000 --> 999999:00:01.000\n<v Kim>Hi\n",
            r"h\.vtt:3: time '999999:00:00\.000' is past 100 hours",
        ),
        (
            "t.txt",
            "[00:00:05] Kim: Hi\n[00:99:00] Ana: Hello\n",
            r"t\.txt:2: time '00:99:00' is not a time",
        ),
    ],
)
def test_insane_times_are_refused_with_their_line(
    tmp_path: Path, name: str, body: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        read_transcript(path)
    assert "\n" not in str(info.value)


OVERLAP = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Kim>Hi\n\n"
    "00:00:04.000 --> 00:00:06.000\n<v Ana>Hello\n\n"
    "00:00:07.000 --> 00:00:09.000\n<v Kim>Fine\n"
)


def test_an_overlapping_cue_is_kept_with_a_warning_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "o.vtt"
    path.write_text(OVERLAP, encoding="utf-8")
    with pytest.warns(DsrWarning) as caught:
        turns = read_transcript(path)
    assert len(turns) == 3
    assert [str(w.message) for w in caught] == [
        f"{path}:6: cue starts (00:00:04.000) before the cue at line 3 ends (00:00:05.000) "
        "(fix: overlapping speech is kept as it is; correct the times if it is a mistake)"
    ]


def test_a_cue_that_ends_before_it_starts_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "b.srt"
    path.write_text(
        "1\n00:00:05,000 --> 00:00:01,000\nKim: Hi\n\n2\n00:00:06,000 --> 00:00:04,000\nAna: Yo\n",
        encoding="utf-8",
    )
    with pytest.warns(DsrWarning) as caught:
        read_transcript(path)
    messages = [str(w.message) for w in caught]
    assert messages[0] == (
        f"{path}:2: cue ends (00:00:01.000) before it starts (00:00:05.000) "
        "(2 such cues in the file) (fix: swap or correct the times)"
    )


def test_ordered_cues_give_no_warning(tmp_path: Path) -> None:
    import warnings

    path = tmp_path / "ok.vtt"
    path.write_text(OVERLAP.replace("00:00:04.000 -->", "00:00:05.000 -->"), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_transcript(path)) == 3
