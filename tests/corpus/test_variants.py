"""Transcripts as the tools researchers use export them (fixtures: tests/data/transcripts/README.md).

For every fixture: the variant it is read by, the speaker of each turn, the turn count,
``t_start`` and that no speaker label or time mark is left in any turn's text.
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from pathlib import Path

import docx
import pytest

from dsr_workbench.core.errors import DsrWarning
from dsr_workbench.corpus.formats import read_file
from dsr_workbench.corpus.read import read_transcript

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "transcripts"
NAN = math.nan

# file -> (variant, speaker of each turn, t_start of each turn (NaN: none), encoding)
EXPORTS: dict[str, tuple[str, list[str], list[float], str]] = {
    "roles_lower.txt": (
        "txt/colon",
        ["interviewer", "interviewee", "interviewer", "interviewee"],
        [NAN] * 4,
        "utf-8",
    ),
    "roles_upper.txt": (
        "txt/colon",
        ["INTERVIEWER", "RESPONDENT", "INTERVIEWER", "RESPONDENT"],
        [NAN] * 4,
        "utf-8",
    ),
    "qa.txt": ("txt/colon", ["Q", "A", "Q", "A"], [NAN] * 4, "utf-8"),
    # f4: a mark ends its paragraph; the start is the previous mark (none before the first)
    "f4.txt": ("txt/colon", ["I", "B", "I", "B"], [NAN, 7.4, 19.8, 24.1], "utf-8"),
    "f4_cp1252.txt": ("txt/colon", ["I", "B", "I", "B"], [NAN, 62.0, 70.5, 74.2], "cp1252"),
    "diarised.txt": (
        "txt/colon",
        ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00", "SPEAKER_01"],
        [NAN] * 4,
        "utf-8",
    ),
    "speaker_numbers.txt": (
        "txt/colon",
        ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"],
        [NAN] * 4,
        "utf-8",
    ),
    "paren_note.txt": ("txt/colon", ["Jane Roe", "Kim Lee", "Jane Roe"], [NAN] * 3, "utf-8"),
    "bold_inline.md": ("md/bold", ["Kim", "Ana", "Kim"], [NAN] * 3, "utf-8"),
    "headings.md": ("md/speaker_line", ["Kim", "Ana", "Kim"], [NAN] * 3, "utf-8"),
    "otter_speakers.txt": (
        "txt/speaker_line",
        ["Speaker 1", "Speaker 2", "Speaker 1"],
        [3.0, 7.0, 75.0],
        "utf-8",
    ),
    "teams.txt": ("txt/speaker_line", ["Roe, Jane", "Lee, Kim", "Roe, Jane"], [3, 9, 14], "utf-8"),
    "time_speaker.txt": (
        "txt/time_speaker",
        ["Speaker 1", "Speaker 2", "Speaker 1"],
        [0.0, 4.0, 12.0],
        "utf-8",
    ),
    "zoom.txt": (
        "txt/bracket_name",
        ["Jane Roe", "Kim Lee", "Jane Roe"],
        [14 * 3600 + 123, 14 * 3600 + 129, 14 * 3600 + 135],  # clock times, as written
        "utf-8",
    ),
    "zoom.vtt": ("vtt/colon", ["Jane Roe", "Kim Lee", "Jane Roe"], [1.11, 4.9, 6.8], "utf-8"),
    "teams.vtt": ("vtt/voice", ["Roe, Jane", "Lee, Kim"], [3.25, 8.1], "utf-8"),
    "whisperx.srt": (
        "srt/bracket",
        ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"],
        [0.031, 2.95, 5.32],
        "utf-8",
    ),
    "bracket_cues.vtt": ("vtt/bracket", ["Kim", "Ana"], [1.0, 3.5], "utf-8"),
    "word_transcribe.docx": (
        "docx/time_speaker",
        ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"],
        [0.0, 5.0, 11.0, 13.0],
        "utf-8",
    ),
}

# what must never be left in a turn's text: a label at the start of a line, a time mark
LEFTOVER = re.compile(
    r"#\d{1,2}:\d{2}:\d{2}(?:-\d)?#"  # f4 time mark
    r"|^\s*(?:\[[^\]]+\]|<v[ .]|\*\*[^*]+\*\*|#+\s)"  # [Name], <v Name>, **Name**, ### Name
    r"|^\s*\d{1,2}:\d{2}(?::\d{2})?\s+\w+"  # 00:00:03 Speaker 1
    r"|\s{2,}\d{1,2}:\d{2}\s*$"  # Name  0:03
    r"|^(?:interviewer|interviewee|INTERVIEWER|RESPONDENT|SPEAKER_\d+|Speaker \d+|"
    r"[IBQA]|Jane Roe|Kim Lee)\s*(?:\([^)]*\))?\s*:",
    re.MULTILINE,
)


def _read(name: str):
    encoding = EXPORTS[name][3]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DsrWarning)  # none of these files is mixed
        return read_file(FIXTURES / name, encoding), read_transcript(FIXTURES / name, encoding)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_export_is_read_with_its_speakers_turns_and_times(name: str) -> None:
    variant, speakers, starts, _ = EXPORTS[name]
    parsed, turns = _read(name)
    assert parsed.variant == variant
    assert list(turns.speaker) == speakers
    assert len(turns) == len(speakers)
    assert list(turns.t_start) == pytest.approx(starts, nan_ok=True)
    text = turns.attrs["text"]
    for start, end, turn_text in zip(turns.start, turns.end, turns.text, strict=True):
        assert text[start:end] == turn_text
        assert turn_text.strip(), name
        assert not LEFTOVER.search(turn_text), (name, turn_text)


def test_the_leftover_check_can_fail() -> None:
    for text in ("Fine. #00:01:22-6#", "[Ana] hi", "00:00:03 Speaker 1", "Kim  0:03", "B: ja"):
        assert LEFTOVER.search(text), text


def test_f4_marks_give_each_paragraph_its_end_and_the_next_its_start() -> None:
    turns = read_transcript(FIXTURES / "f4.txt")
    assert list(turns.t_end) == pytest.approx([7.4, 19.8, 24.1, 38.6])
    assert turns.text.iloc[1] == (
        "Über eine Ausschreibung. Wir hatten vorher schon einmal mit dem Kunden gearbeitet."
    )


def test_f4_bom_crlf_and_cp1252_give_the_same_text() -> None:
    raw = (FIXTURES / "f4.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    raw = (FIXTURES / "f4_cp1252.txt").read_bytes()
    assert b"\r\n" in raw and "ü".encode("cp1252") in raw
    turns = read_transcript(FIXTURES / "f4_cp1252.txt", encoding="cp1252")
    assert turns.text.iloc[1] == "Im Frühjahr, nach dem Audit."


def test_prose_and_metadata_lines_are_not_speakers() -> None:
    turns = read_transcript(FIXTURES / "roles_lower.txt")  # "Date: ..." preamble, "Note: ..."
    assert turns.text.iloc[1] == (
        "I lead the analytical lab at the second site.\nNote: the lab moved buildings in 2025."
    )
    turns = read_transcript(FIXTURES / "qa.txt")
    assert turns.text.iloc[3] == "Monthly.\nExample: last March it moved twice."


def test_a_title_heading_is_not_a_speaker() -> None:
    turns = read_transcript(FIXTURES / "headings.md")
    assert "Transcript" not in set(turns.speaker)
    assert turns.text.iloc[1] == "We run two sites.\nBoth make oral solids."


def test_the_part_in_parentheses_is_the_speaker_note() -> None:
    turns = read_transcript(FIXTURES / "paren_note.txt")
    assert list(turns.speaker_note) == ["Acme Pharma", "University", "Acme Pharma"]
    turns = read_transcript(FIXTURES / "zoom.vtt")
    assert turns.speaker_note.iloc[0] == "Acme Pharma" and turns.speaker_note.isna().iloc[1]
    assert turns.text.iloc[2] == "Good. Let us start with the timeline."  # unlabelled cue
    assert read_transcript(FIXTURES / "colon.txt").speaker_note.isna().all()


def test_teams_voice_tags_over_several_lines() -> None:
    turns = read_transcript(FIXTURES / "teams.vtt")
    assert turns.text.iloc[0] == "Good morning, everyone. Thanks for joining the review."
    assert turns.text.iloc[1] == "Morning. Shall we start? I have the audit report here."
    assert list(turns.t_end) == pytest.approx([7.82, 13.0])


def test_whisperx_unlabelled_cue_continues_the_speaker() -> None:
    turns = read_transcript(FIXTURES / "whisperx.srt")
    assert turns.text.iloc[2] == "With the tech transfer, please. and how long it took."


def test_word_transcribe_docx_skips_its_header_paragraphs() -> None:
    turns = read_transcript(FIXTURES / "word_transcribe.docx")
    assert turns.text.iloc[0] == "Thanks for joining. Can you hear me?"
    assert list(turns.source_line) == [5, 7, 9, 11]  # paragraphs: heading + 3 header lines


def _renamed_main_part(tmp_path: Path) -> Path:
    """A .docx whose main part is word/document2.xml (as some Word Online files are)."""
    document = docx.Document()
    document.add_paragraph("00:00:02 Speaker 1")
    document.add_paragraph("Hello there.")
    document.add_paragraph("00:00:06 Speaker 2")
    document.add_paragraph("Hi.")
    buffer = io.BytesIO()
    document.save(buffer)
    path = tmp_path / "renamed.docx"
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            name = info.filename.replace("word/document.xml", "word/document2.xml").replace(
                "word/_rels/document.xml.rels", "word/_rels/document2.xml.rels"
            )
            if info.filename in ("[Content_Types].xml", "_rels/.rels"):
                data = data.replace(b"word/document.xml", b"word/document2.xml")
            out.writestr(name, data)
    return path


def test_docx_main_part_found_through_the_package_relationships(tmp_path: Path) -> None:
    path = _renamed_main_part(tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert "word/document.xml" not in archive.namelist()
        assert b'Target="word/document2.xml"' in archive.read("_rels/.rels")
    turns = read_transcript(path)
    assert list(turns.speaker) == ["Speaker 1", "Speaker 2"]
    assert list(turns.t_start) == [2.0, 6.0]
    assert list(turns.text) == ["Hello there.", "Hi."]
