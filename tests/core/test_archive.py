"""Untrusted zip archives (dsr_workbench.core.archive): limits, names, damaged data."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from dsr_workbench.core.archive import SafeZip, ZipLimits
from dsr_workbench.core.errors import InputError


def make(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_clean_archive_reads(tmp_path: Path) -> None:
    path = make(tmp_path / "a.zip", {"a.txt": b"hello", "b/c.xml": b"<c/>"})
    with SafeZip.open(path, ZipLimits()) as archive:
        archive.verify()
        assert archive.names == ["a.txt", "b/c.xml"] and archive.read("b/c.xml") == b"<c/>"


def test_read_all_checks_every_member_when_opened(tmp_path: Path) -> None:
    path = make(
        tmp_path / "a.docx", {"word/media/big.bin": b"x" * 5000, "word/document.xml": b"<w/>"}
    )
    with SafeZip.open(path, ZipLimits(member=4096)) as archive:  # only read members count
        assert archive.read("word/document.xml") == b"<w/>"
        with pytest.raises(InputError, match="'word/media/big.bin' is 5,000 bytes"):
            archive.read("word/media/big.bin")
    with pytest.raises(InputError, match=r"a\.docx: member 'word/media/big\.bin' is 5,000 bytes"):
        SafeZip.open(path, ZipLimits(member=4096, read_all=True, kind=".docx"))


def test_the_ratio_and_total_limits(tmp_path: Path) -> None:
    path = make(tmp_path / "bomb.zip", {"zeros": b"\0" * (2 * 1024**2)})
    with pytest.raises(InputError, match=r"'zeros' would expand .* times .* \(a zip bomb\?\)"):
        SafeZip.open(path, ZipLimits())
    with pytest.raises(
        InputError, match="would expand to 2,097,152 bytes, past the limit of 1,000"
    ):
        SafeZip.open(path, ZipLimits(total=1000, ratio=1e9))


def test_data_longer_than_declared_are_refused(tmp_path: Path) -> None:
    # the central directory says 5 bytes; the stored data hold 11: zipfile stops at 5 and the
    # checksum fails, so no reader ever gets more than was declared
    path = make(tmp_path / "lie.zip", {"a.txt": b"hello world"}, zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (5).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with SafeZip.open(path, ZipLimits(kind=".docx")) as archive:
        with pytest.raises(InputError, match=r"lie\.zip: member 'a\.txt' cannot be read: Bad CRC"):
            archive.verify()


def test_not_a_zip_names_the_kind(tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    path.write_text("plain text", encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.docx: not a \.docx \(zip\) archive") as info:
        SafeZip.open(path, ZipLimits(kind=".docx", again="save it again"))
    assert str(info.value).endswith("(fix: save it again)")
