"""Tests of dsr_workbench.refi.safety: hostile archives and XML are refused, nothing is written.

The malicious archives are built here with ``zipfile``, one per attack.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.refi import safety as qdpx_safety
from dsr_workbench.refi.importing import import_refi
from dsr_workbench.refi.read import read_qdpx
from dsr_workbench.refi.safety import SafeArchive, check_member_name, parse_xml

G = "00000000-0000-0000-0000-0000000000{:02d}".format
QDE = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p">
<CodeBook><Codes><Code guid="{G(1)}" name="Trust" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="{G(2)}" name="T1" plainTextPath="internal://T1.txt"/></Sources>
</Project>"""


def make(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "Sources/../../evil.txt", "/etc/evil", "C:/Windows/evil", "..\\evil.txt"],
)
def test_zip_slip_and_absolute_member_names_are_refused(tmp_path, name, snapshot):
    archive = make(tmp_path / "bad.qdpx", {"project.qde": QDE, "Sources/T1.txt": "x", name: "x"})
    before = snapshot(tmp_path)
    with pytest.raises(InputError, match="points outside the archive"):
        read_qdpx(archive)
    assert snapshot(tmp_path) == before


def test_check_member_name_accepts_ordinary_names():
    assert check_member_name("Sources/a b.txt") == "Sources/a b.txt"


def test_a_source_path_that_escapes_is_refused(tmp_path):
    qde = QDE.replace("internal://T1.txt", "relative://../../etc/passwd")
    archive = make(tmp_path / "bad.qdpx", {"project.qde": qde})
    with pytest.raises(InputError, match="source path .* points outside"):
        read_qdpx(archive)


def test_a_zip_bomb_ratio_is_refused(tmp_path):
    # 8 MiB of zeros deflate to ~8 KiB: a ratio of ~1000, past MAX_RATIO (100)
    archive = make(tmp_path / "bomb.qdpx", {"project.qde": QDE, "Sources/T1.txt": b"\0" * 2**23})
    with pytest.raises(InputError, match="would expand .* times .* zip bomb"):
        read_qdpx(archive)


def test_a_total_size_past_the_limit_is_refused(tmp_path, monkeypatch):
    archive = make(tmp_path / "big.qdpx", {"project.qde": QDE, "Sources/T1.txt": "x" * 5000})
    monkeypatch.setattr(qdpx_safety, "MAX_TOTAL_SIZE", 4096)
    with pytest.raises(InputError, match="would expand to .* past the limit of 4,096"):
        read_qdpx(archive)


def test_a_member_past_the_size_limit_is_not_read(tmp_path, monkeypatch):
    archive = make(tmp_path / "big.qdpx", {"project.qde": QDE, "Sources/T1.txt": "x" * 5000})
    monkeypatch.setattr(qdpx_safety, "MAX_MEMBER_SIZE", 4096)
    with pytest.raises(InputError, match="'Sources/T1.txt' is 5,000 bytes"):
        read_qdpx(archive)


def test_too_many_members_are_refused(tmp_path, monkeypatch):
    archive = make(tmp_path / "many.qdpx", {f"f{i}": "x" for i in range(5)})
    monkeypatch.setattr(qdpx_safety, "MAX_MEMBERS", 4)
    with pytest.raises(InputError, match="holds 5 members"):
        SafeArchive.open(archive)


def test_a_member_twice_is_refused(tmp_path):
    path = tmp_path / "twice.qdpx"
    with zipfile.ZipFile(path, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("project.qde", QDE)
        zf.writestr("project.qde", "<Project/>")
    with pytest.raises(InputError, match="appears twice"):
        read_qdpx(path)


def test_a_symbolic_link_is_refused(tmp_path):
    path = tmp_path / "link.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", QDE)
        info = zipfile.ZipInfo("Sources/T1.txt")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="is a symbolic link"):
        read_qdpx(path)


def test_an_encrypted_member_is_refused(tmp_path):
    path = make(tmp_path / "enc.qdpx", {"project.qde": QDE, "Sources/T1.txt": "x"})
    data = bytearray(path.read_bytes())
    # set bit 0 (encrypted) of the general-purpose flags in the central directory entries
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 8] |= 1
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="is encrypted"):
        read_qdpx(path)


def test_not_a_zip_file(tmp_path):
    path = tmp_path / "x.qdpx"
    path.write_text("hello")
    with pytest.raises(InputError, match="not a QDPX \\(zip\\) archive"):
        read_qdpx(path)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;"/>"""


@pytest.mark.parametrize("qde", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_xml_entity_tricks_are_refused(tmp_path, qde):
    archive = make(tmp_path / "xml.qdpx", {"project.qde": qde})
    with pytest.raises(InputError, match="declares a DTD or entities"):
        read_qdpx(archive)


def test_malformed_xml_names_the_line():
    with pytest.raises(InputError, match=r"t\.xml:2: malformed XML"):
        parse_xml(b"<a>\n<b></a>", "t.xml")


def test_a_missing_source_file_is_refused(tmp_path):
    archive = make(tmp_path / "m.qdpx", {"project.qde": QDE})
    with pytest.raises(InputError, match="refers to 'internal://T1.txt', which is not in"):
        read_qdpx(archive)


def test_unresolved_guids_are_refused(tmp_path):
    qde = QDE.replace(
        'plainTextPath="internal://T1.txt"/>',
        f'plainTextPath="internal://T1.txt"><Coding guid="{G(3)}"><CodeRef targetGUID="{G(9)}"/>'
        "</Coding></TextSource>",
    )
    archive = make(tmp_path / "g.qdpx", {"project.qde": qde, "Sources/T1.txt": "text"})
    with pytest.raises(InputError, match=f"refers to code {G(9)}, which is not defined"):
        read_qdpx(archive)


def test_a_hostile_archive_leaves_the_study_untouched(tmp_path, mini_study, snapshot):
    archive = make(tmp_path / "bad.qdpx", {"project.qde": QDE, "../../interviews/x.txt": "x"})
    before = snapshot(tmp_path)
    with pytest.raises(InputError, match="zip-slip"):
        import_refi(mini_study, archive)
    assert snapshot(tmp_path) == before
