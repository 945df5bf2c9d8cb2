"""Tests of dsr_workbench.refi.richtext: a source read from its .docx when its plain text is
empty or missing; hostile and missing files refused with the source and its guid named."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.refi.read import read_qdpx
from tests.corpus.test_word import bomb_docx
from tests.refi.test_read import G, project, selection

LINES = ["Kim: Why Gamma?", "Ana: We trust them. Audits are fine."]
DOCX_TEXT = "\n".join(LINES)


def word_file(path: Path, lines: list[str] = LINES) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path.read_bytes()


def rich_source(body: str, plain: str | None = "internal://T1.txt", rich="internal://T1.docx"):
    attrs = f' plainTextPath="{plain}"' if plain else ""
    attrs += f' richTextPath="{rich}"' if rich else ""
    return f'<TextSource guid="{G(10)}" name="T1"{attrs}>{body}</TextSource>'


def qdpx_with(tmp_path: Path, source: str, files: dict[str, object]) -> Path:
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", project(source))
        for name, data in files.items():
            zf.writestr(name, data)  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize("plain", ["empty", "missing"])
def test_a_source_without_plain_text_is_read_from_its_docx(tmp_path, plain):
    trust = DOCX_TEXT.index("trust")
    audits = DOCX_TEXT.index("Audits")
    body = selection(20, trust, trust + 5, 2) + selection(21, audits, audits + 6, 3)
    files: dict[str, object] = {"Sources/T1.docx": word_file(tmp_path / "w.docx")}
    if plain == "empty":
        files["Sources/T1.txt"] = ""
    p = read_qdpx(qdpx_with(tmp_path, rich_source(body), files))
    assert p.sources.loc[0, "text"] == DOCX_TEXT
    assert p.sources.loc[0, "text_from"] == "Sources/T1.docx"
    assert p.codings["quote"].tolist() == ["trust", "Audits"]
    # the positions count into our extraction, not the exporter's text: unverified
    assert set(p.codings["verified"]) == {"unverified"}
    assert p.codings.loc[0, "reason"].startswith("positions counted into the text of Sources/T1")


def test_a_quote_confirms_a_coding_of_a_docx_source(tmp_path):
    trust = DOCX_TEXT.index("trust")
    body = selection(20, trust, trust + 5, 2).replace('endPosition="', 'name="trust" endPosition="')
    files = {"Sources/T1.docx": word_file(tmp_path / "w.docx")}
    p = read_qdpx(qdpx_with(tmp_path, rich_source(body, plain=None), files))
    assert p.codings[["quote", "verified"]].values.tolist() == [["trust", "quote"]]


def test_a_plain_text_is_preferred_to_the_docx(tmp_path):
    files = {"Sources/T1.txt": "Ana: plain.", "Sources/T1.docx": word_file(tmp_path / "w.docx")}
    p = read_qdpx(qdpx_with(tmp_path, rich_source(selection(20, 5, 10, 2)), files))
    assert p.sources.loc[0, "text"] == "Ana: plain."
    assert p.sources["text_from"].isna().all()


def test_a_missing_plain_text_and_a_missing_docx_are_refused_naming_both(tmp_path):
    path = qdpx_with(tmp_path, rich_source(selection(20, 0, 3, 2)), {})
    with pytest.raises(InputError) as info:
        read_qdpx(path)
    assert str(info.value) == (
        f"{path}: source 'T1' ({G(10)}) refers to 'internal://T1.txt', which is not in the "
        "archive, and its rich text 'internal://T1.docx' is not in the archive either "
        "(fix: export the project again with its sources embedded)"
    )


def test_a_rich_text_that_is_not_a_docx_is_named(tmp_path):
    source = rich_source(selection(20, 0, 3, 2), rich="internal://T1.rtf")
    path = qdpx_with(tmp_path, source, {"Sources/T1.rtf": r"{\rtf1 Ana: hi}"})
    with pytest.raises(InputError, match=r"its rich text 'internal://T1\.rtf' is not a \.docx"):
        read_qdpx(path)


def test_a_hostile_docx_is_refused_naming_the_archive_member(tmp_path):
    bomb = bomb_docx(tmp_path / "bomb.docx").read_bytes()
    path = qdpx_with(tmp_path, rich_source(selection(20, 0, 3, 2)), {"Sources/T1.docx": bomb})
    with pytest.raises(InputError) as info:
        read_qdpx(path)
    message = str(info.value)
    assert message.startswith(f"{path}:Sources/T1.docx: member 'word/document.xml' would expand")
    assert "(a zip bomb?)" in message and "\n" not in message


def test_a_damaged_docx_is_refused_naming_the_archive_member(tmp_path):
    files = {"Sources/T1.docx": b"PK\x03\x04 not really a zip"}
    path = qdpx_with(tmp_path, rich_source(selection(20, 0, 3, 2)), files)
    with pytest.raises(InputError, match=rf"^{path}:Sources/T1\.docx: "):
        read_qdpx(path)
