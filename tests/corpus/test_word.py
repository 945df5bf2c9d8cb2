"""Word documents opened as untrusted archives (dsr_workbench.corpus.word): docx bombs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus import word
from dsr_workbench.corpus.formats import parse_file
from dsr_workbench.corpus.leaks import Limits
from dsr_workbench.corpus.pseudonymise import KeyTerm, PseudonymKey, check_leaks, pseudonymise_file


def clean_docx(path: Path, paragraphs: int = 3) -> Path:
    document = docx.Document()
    for i in range(paragraphs):
        document.add_paragraph(f"Kim: question {i} about capacity and audits?")
    document.save(str(path))
    return path


def bomb_docx(path: Path, size: int = 4 * 1024**2) -> Path:
    """A .docx whose word/document.xml inflates to ``size`` bytes of blanks (ratio ~1000)."""
    source = clean_docx(path.with_name("clean-" + path.name))
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "word/document.xml":
                data = data + b" " * size
            out.writestr(info.filename, data)
    return path


def test_a_clean_docx_reads(tmp_path: Path) -> None:
    fmt, utterances = parse_file(clean_docx(tmp_path / "ok.docx"))
    assert fmt == "docx" and [u.speaker for u in utterances] == ["Kim"] * 3


def test_a_docx_bomb_is_refused_before_python_docx_sees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bomb_docx(tmp_path / "bomb.docx")
    monkeypatch.setattr(docx, "Document", lambda *a: pytest.fail("python-docx was called"))
    with pytest.raises(InputError) as info:
        parse_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: member 'word/document.xml' would expand ")
    assert "(a zip bomb?)" in message and "\n" not in message


def test_a_part_past_the_part_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = clean_docx(tmp_path / "long.docx", paragraphs=200)
    size = zipfile.ZipFile(path).getinfo("word/document.xml").file_size
    monkeypatch.setattr(word, "MAX_DOCX_PART", 4096)
    with pytest.raises(InputError) as info:
        parse_file(path)
    assert str(info.value) == (
        f"{path}: member 'word/document.xml' is {size:,} bytes uncompressed, more than the limit "
        "of 4,096 (fix: do not open it unless you trust it; to read it anyway, raise "
        "dsr_workbench.corpus.word.MAX_DOCX_PART)"
    )


def test_parts_past_the_total_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = clean_docx(tmp_path / "ok.docx")
    monkeypatch.setattr(word, "MAX_DOCX_SIZE", 10_000)
    with pytest.raises(
        InputError,
        match=r"ok\.docx: archive would expand to [\d,]+ bytes, past the limit of 10,000",
    ):
        parse_file(path)


def test_a_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_text("Kim: hello\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"fake\.docx: not a \.docx \(zip\) archive: .*\(fix: open it in Word"
    ):
        parse_file(path)


def test_pseudonymise_and_check_leaks_refuse_a_docx_bomb(tmp_path: Path) -> None:
    path = bomb_docx(tmp_path / "bomb.docx")
    key = PseudonymKey(None, (KeyTerm("Berger", "Hannah", "person", None),))
    with pytest.raises(InputError, match="would expand .* zip bomb"):
        pseudonymise_file(path, tmp_path / "out" / "bomb.docx", key)
    assert not (tmp_path / "out").exists()
    # check_leaks streams members within its own budget (corpus/leaks.py): a bomb inside the
    # budget is scanned, one past it is refused rather than passed unchecked
    assert check_leaks([path], key).empty
    with pytest.raises(InputError, match="past the member limit|inflat"):
        check_leaks([path], key, limits=Limits(member_bytes=1024**2, total_bytes=2 * 1024**2))


def test_check_leaks_reads_a_zip_slip_member_without_extracting_it(tmp_path: Path) -> None:
    """check_leaks never writes members to disk, so a hostile name is just read and scanned."""
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../evil.txt", "Berger")
    key = PseudonymKey(None, (KeyTerm("Berger", "Hannah", "person", None),))
    hits = check_leaks([path], key)
    assert hits["pseudonym"].tolist() == ["Hannah"]
    assert not (tmp_path.parent / "evil.txt").exists()
