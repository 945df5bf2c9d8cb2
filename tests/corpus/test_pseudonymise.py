"""Pseudonymisation and leak checks."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.pseudonymise import (
    Limits,
    PseudonymKey,
    check_leaks,
    fold,
    load_key,
    pseudonymise_file,
    pseudonymise_text,
)

ROOT = Path(__file__).resolve().parents[2]

# An invented key for the example study: these "real names" must appear nowhere in it.
EXAMPLE_KEY = """\
- {real: Johanna Vennemann, pseudonym: Hannah, variants: [Johanna, Vennemann]}
- {real: Matteo Ricciardelli, pseudonym: Marco, variants: [Matteo, Ricciardelli]}
- {real: Tomasz Wielgosz, pseudonym: Tomás, variants: [Tomasz, Wielgosz]}
- {real: Ingeborg Søndergaard, pseudonym: Ingrid, variants: [Ingeborg, Søndergaard]}
- {real: Vireon Biologics AG, pseudonym: Gamma CDMO, kind: organisation, variants: [Vireon]}
- {real: Kestrel Pharmaceuticals, pseudonym: Alpha Pharma, kind: organisation,
   variants: [Kestrel]}
- {real: Lindenhofen, pseudonym: Site East, kind: site}
"""


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "outside-repo" / "key.yaml"
    path.parent.mkdir()
    path.write_text(EXAMPLE_KEY, encoding="utf-8")
    return path


def test_key_terms_sorted_longest_first(key_file: Path) -> None:
    key = load_key(key_file)
    lengths = [len(t.real) for t in key.terms]
    assert lengths == sorted(lengths, reverse=True)
    assert {t.pseudonym for t in key.terms if t.kind == "site"} == {"Site East"}


def test_mapping_form(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("Johanna Vennemann: Hannah\nKestrel: Alpha Pharma\n", encoding="utf-8")
    assert [t.pseudonym for t in load_key(path).terms] == ["Hannah", "Alpha Pharma"]


def test_replacement_is_whole_word_case_and_accent_insensitive(key_file: Path) -> None:
    key = load_key(key_file)
    text = (
        "JOHANNA VENNEMANN said Johanna's team at kestrel met Ingeborg Sondergaard in "
        "Lindenhöfen; Johannas and Kestrels are other words."
    )
    new, count = pseudonymise_text(text, key)
    assert new == (
        "Hannah said Hannah's team at Alpha Pharma met Ingrid in Site East; "
        "Johannas and Kestrels are other words."
    )
    assert count == 5


def test_fold_keeps_length() -> None:
    text = "Søndergaard Æ ß İ ﬁ Ωmega"
    assert len(fold(text)) == len(text)


def test_pseudonymise_file_writes_a_copy_and_never_edits_the_original(
    tmp_path: Path, key_file: Path
) -> None:
    raw = tmp_path / "raw" / "i01.txt"
    raw.parent.mkdir()
    raw.write_text("Interviewer: Hello Johanna.\nJohanna: Hi, I'm at Kestrel.\n", encoding="utf-8")
    before = raw.read_bytes()
    out = tmp_path / "clean" / "i01.txt"
    assert pseudonymise_file(raw, out, load_key(key_file)) == 3
    assert raw.read_bytes() == before
    assert out.read_text(encoding="utf-8") == (
        "Interviewer: Hello Hannah.\nHannah: Hi, I'm at Alpha Pharma.\n"
    )


def test_pseudonymise_docx_keeps_formatting_and_handles_split_runs(
    tmp_path: Path, key_file: Path
) -> None:
    document = docx.Document()
    para = document.add_paragraph()
    para.add_run("Johanna:").bold = True
    para.add_run(" we moved to Vireon.")
    split = document.add_paragraph()
    split.add_run("Matteo Ricci")
    split.add_run("ardelli joined.")
    raw = tmp_path / "raw.docx"
    document.save(str(raw))
    out = tmp_path / "out" / "clean.docx"
    assert pseudonymise_file(raw, out, load_key(key_file)) == 3
    clean = docx.Document(str(out))
    assert clean.paragraphs[0].text == "Hannah: we moved to Gamma CDMO."
    assert clean.paragraphs[0].runs[0].bold
    assert clean.paragraphs[1].text == "Marco joined."


def test_refuses_to_overwrite_the_original(tmp_path: Path, key_file: Path) -> None:
    raw = tmp_path / "a.txt"
    raw.write_text("Johanna: hi\n", encoding="utf-8")
    with pytest.raises(InputError, match="would overwrite the original"):
        pseudonymise_file(raw, raw, load_key(key_file))
    assert raw.read_text(encoding="utf-8") == "Johanna: hi\n"


def test_same_real_name_mapped_to_two_pseudonyms(tmp_path: Path) -> None:
    path = tmp_path / "key.yaml"
    path.write_text(
        "- {real: Johanna Vennemann, pseudonym: Hannah}\n"
        "- {real: Kestrel, pseudonym: Alpha Pharma, kind: organisation}\n"
        "- {real: johanna vennemann, pseudonym: Hanna}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        InputError,
        match=r"key\.yaml:3: the real name on this line is mapped "
        r"to two pseudonyms \('Hannah' at line 1 and 'Hanna'\)",
    ):
        load_key(path)


def test_duplicate_key_in_mapping_form(tmp_path: Path) -> None:
    path = tmp_path / "key.yaml"
    path.write_text("Johanna: Hannah\nJohanna: Hanna\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"key\.yaml:2: duplicate key 'Johanna'"):
        load_key(path)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="pseudonymisation key file not found"):
        load_key(tmp_path / "nope.yaml")


def test_entry_without_pseudonym(tmp_path: Path) -> None:
    path = tmp_path / "key.yaml"
    path.write_text("- {real: Johanna}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"key\.yaml:1: each entry needs 'real' and 'pseudonym'"):
        load_key(path)


def test_example_study_has_no_leak(key_file: Path) -> None:
    hits = check_leaks(
        [ROOT / "interviews", ROOT / "study.yaml", ROOT / "README.md"], load_key(key_file)
    )
    assert hits.empty, hits


def test_planted_names_are_found_in_text_docx_and_notebooks(tmp_path: Path, key_file: Path) -> None:
    tmp_path = tmp_path / "reports"
    tmp_path.mkdir()
    (tmp_path / "t.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Kim>Ask VENNEMANN.\n", encoding="utf-8"
    )
    document = docx.Document()
    para = document.add_paragraph()
    para.add_run("Lindenh")
    para.add_run("ofen site")  # split over runs, as Word does
    document.save(str(tmp_path / "r.docx"))
    nb = {
        "cells": [
            {"cell_type": "code", "source": ["x = 1"], "outputs": [{"text": ["Met tomasz today"]}]}
        ]
    }
    (tmp_path / "report.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    hits = check_leaks([tmp_path], load_key(key_file))
    assert sorted(hits.pseudonym) == ["Hannah", "Site East", "Tomás"]
    vtt = hits[hits.file.str.endswith("t.vtt")].iloc[0]
    assert (vtt.line, vtt.column) == (4, 12)  # 1-based, after "<v Kim>Ask "
    assert "Vennemann" not in hits.to_string()  # the report never repeats a real name


# --------------------------------------------------------------------------- evasions
# One test per way a real name can hide from a naive scan. The "real names" are invented.

EVASION_KEY = """\
- {real: Johanna Vennemann, pseudonym: Hannah, variants: [Vennemann]}
- {real: Siobhan O'Brien, pseudonym: Sarah}
- {real: Jörg Wielgosz, pseudonym: Jonas}
- {real: Jean-Luc Ardent, pseudonym: Jules}
"""


@pytest.fixture
def evasion_key(tmp_path: Path) -> PseudonymKey:
    path = tmp_path / "secret" / "key.yaml"
    path.parent.mkdir()
    path.write_text(EVASION_KEY, encoding="utf-8")
    return load_key(path)


def _hits(tmp_path: Path, key: PseudonymKey, name: str, data: bytes | str) -> list[tuple]:
    folder = tmp_path / "scan"
    folder.mkdir(exist_ok=True)
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        target.write_text(data, encoding="utf-8", newline="")
    else:
        target.write_bytes(data)
    hits = check_leaks([folder], key, relative_to=folder)
    for real in ("Vennemann", "Brien", "Wielgosz", "Ardent"):
        assert real not in hits.to_string()  # never a real name in the report
    return [tuple(r) for r in hits[["file", "line", "column", "pseudonym"]].itertuples(index=False)]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_name_split_by_a_line_break(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    hits = _hits(tmp_path, evasion_key, "memo.md", "Quote from Johanna\nVennemann.\n")
    assert hits == [("memo.md", 1, 12, "Hannah")]


def test_name_split_by_crlf_and_indent(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    hits = _hits(tmp_path, evasion_key, "memo.txt", "a\r\nby Johanna\r\n    Vennemann\r\n")
    assert hits == [("memo.txt", 2, 4, "Hannah")]


def test_name_split_by_a_double_space_or_tab(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    hits = _hits(tmp_path, evasion_key, "q.csv", "id,quote\n1,Johanna  \tVennemann\n")
    assert hits == [("q.csv", 2, 3, "Hannah")]


def test_name_split_by_a_no_break_space(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    hits = _hits(tmp_path, evasion_key, "q.txt", "Jörg\u00a0Wielgosz and Jean-Luc\u202fArdent\n")
    assert hits == [("q.txt", 1, 1, "Jonas"), ("q.txt", 1, 19, "Jules")]


@pytest.mark.parametrize(
    "entity",
    ["O&#39;Brien", "O&#x27;Brien", "O&apos;Brien", "O&amp;#39;Brien", "O&rsquo;Brien"],
)
def test_html_entities_are_decoded(tmp_path: Path, evasion_key: PseudonymKey, entity: str) -> None:
    hits = _hits(tmp_path, evasion_key, "r.html", f"<td>x</td>\n<td>Siobhan&nbsp;{entity}</td>")
    assert hits == [("r.html", 2, 5, "Sarah")]  # line and column of the file as written


def test_typographic_apostrophe(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    hits = _hits(tmp_path, evasion_key, "m.md", "Siobhan O\u2019Brien and Siobhan O\u02bcBrien\n")
    assert [h[3] for h in hits] == ["Sarah", "Sarah"]


def test_hyphen_variants(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    text = "Jean\u2011Luc Ardent; Jean\u2013Luc Ardent; Jean\u2010Luc Ardent\n"
    assert [h[2] for h in _hits(tmp_path, evasion_key, "m.txt", text)] == [1, 18, 35]


def test_json_unicode_escapes(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    data = json.dumps({"quote": "as Jörg Wielgosz said"})  # ASCII: "J\u00f6rg"
    assert "\\u00f6" in data
    assert _hits(tmp_path, evasion_key, "d.json", data) == [("d.json", 1, 15, "Jonas")]


def test_json_surrogate_pair_escapes(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    # a mathematical bold J (outside the BMP) is escaped as a surrogate pair
    data = json.dumps(["\U0001f600", "\U0001d409örg Wielgosz"])
    assert "\\ud835\\udc09" in data
    assert _hits(tmp_path, evasion_key, "d.json", data) == [("d.json", 1, 19, "Jonas")]


def test_utf16_with_bom(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    data = "memo\nfrom Jörg Wielgosz\n".encode("utf-16")
    assert _hits(tmp_path, evasion_key, "memo.txt", data) == [("memo.txt", 2, 6, "Jonas")]


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(tmp_path: Path, evasion_key: PseudonymKey, order: str) -> None:
    data = "memo\nfrom Jörg Wielgosz\n".encode(order)
    assert _hits(tmp_path, evasion_key, "memo", data) == [("memo", 2, 6, "Jonas")]


def test_gzip_is_opened(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    data = gzip.compress(b"ok\nlog: Johanna Vennemann\n")
    assert _hits(tmp_path, evasion_key, "run.log.gz", data) == [
        ("run.log.gz!run.log", 2, 6, "Hannah")
    ]


def test_nested_zips_are_opened(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    inner = _zip({"notes/a.txt": b"Jean-Luc Ardent", "b.csv.gz": gzip.compress(b"x,Vennemann")})
    data = _zip({"inner.zip": _zip({"deeper.zip": inner})})
    assert _hits(tmp_path, evasion_key, "bundle.zip", data) == [
        ("bundle.zip!inner.zip!deeper.zip!notes/a.txt", 1, 1, "Jules"),
        ("bundle.zip!inner.zip!deeper.zip!b.csv.gz!b.csv", 1, 3, "Hannah"),
    ]


@pytest.mark.parametrize("name", ["build.log", "app.js", "README", "data.bin.unknown"])
def test_every_suffix_is_scanned(tmp_path: Path, evasion_key: PseudonymKey, name: str) -> None:
    assert _hits(tmp_path, evasion_key, name, "var q = 'Vennemann';\n") == [(name, 1, 10, "Hannah")]


def test_binary_file_by_its_text_runs(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    data = (
        b"\x00\x01\xfe" * 50
        + b"Johanna Vennemann\x00\x02\x03"
        + "Jörg Wielgosz".encode("utf-16-le")
        + b"\x00\x00\xff" * 50
    )
    hits = _hits(tmp_path, evasion_key, "blob.dat", data)
    assert sorted((h[0], h[3]) for h in hits) == [
        ("blob.dat", "Hannah"),
        ("blob.dat (UTF-16 text)", "Jonas"),
    ]


def test_pdf_text_is_found(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("Quote by Siobhan O'Brien")  # drawn as a TJ array, one glyph at a time
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf")
    plt.close(fig)
    assert b"Siobhan" not in buffer.getvalue()  # compressed: a plain grep finds nothing
    assert [h[3] for h in _hits(tmp_path, evasion_key, "figure.pdf", buffer.getvalue())] == [
        "Sarah"
    ]


def test_png_text_chunks(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress("Jörg Wielgosz".encode("latin-1")))
        + chunk(b"iTXt", b"Title\x00\x01\x00en\x00\x00" + zlib.compress(b"Jean-Luc Ardent"))
        + chunk(b"IEND", b"")
    )
    assert [h[3] for h in _hits(tmp_path, evasion_key, "fig.png", data)] == ["Jonas", "Jules"]


def test_invisible_characters_inside_a_name(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    text = "Jo\u00adhanna Ven\u200bnemann; Jo\u0308rg Wielgosz; \x1b[31mVennemann\x1b[0m\n"
    hits = _hits(tmp_path, evasion_key, "t.log", text)
    assert [(h[2], h[3]) for h in hits] == [(1, "Hannah"), (22, "Jonas"), (43, "Hannah")]


def test_spreadsheet_cells_and_docx_comment_authors(
    tmp_path: Path, evasion_key: PseudonymKey
) -> None:
    xlsx = _zip(
        {
            "xl/sharedStrings.xml": b"<sst><si><t>Jean-Luc</t></si><si><t>x</t></si>"
            b"<si><t>Jean-Luc Ardent</t></si></sst>",
            "word/comments.xml": b'<w:comments><w:comment w:author="Siobhan O&apos;Brien">'
            b"<w:p><w:r><w:t>ok</w:t></w:r></w:p></w:comment></w:comments>",
        }
    )
    assert _hits(tmp_path, evasion_key, "sheet.xlsx", xlsx) == [
        ("sheet.xlsx!xl/sharedStrings.xml", 3, 1, "Jules"),
        ("sheet.xlsx!word/comments.xml (attributes)", 1, 1, "Sarah"),
    ]


def test_parquet_strings_are_found(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame({"quote": ["fine", "Jörg Wielgosz" * 1]}).to_parquet(buffer)
    assert [h[3] for h in _hits(tmp_path, evasion_key, "t.parquet", buffer.getvalue())] == ["Jonas"]


def test_a_real_name_in_a_file_name_is_reported_pseudonymised(
    tmp_path: Path, evasion_key: PseudonymKey
) -> None:
    hits = _hits(tmp_path, evasion_key, "quotes/Vennemann.csv", "fine\n")
    assert hits == [("quotes/Hannah.csv", 0, 8, "Hannah")]


def test_notebook_cells_are_reported_cell_by_cell(
    tmp_path: Path, evasion_key: PseudonymKey
) -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Notes\n"]},
            {
                "cell_type": "code",
                "source": ["print(quote)\n"],
                "outputs": [{"output_type": "stream", "text": ["Johanna\n", "Vennemann said\n"]}],
            },
        ],
        "metadata": {},
    }
    hits = _hits(tmp_path, evasion_key, "report.ipynb", json.dumps(nb, indent=1))
    assert hits == [("report.ipynb#cell-2", 2, 1, "Hannah")]


def test_zip_bomb_member_is_refused(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    data = _zip({"big.txt": b"\x00" * (3 << 20)})  # 3 MiB of zeros: a few KiB zipped
    (tmp_path / "bomb.zip").write_bytes(data)
    with pytest.raises(InputError, match=r"bomb\.zip!big\.txt: .*past the member limit"):
        check_leaks([tmp_path / "bomb.zip"], evasion_key, limits=Limits(member_bytes=1 << 20))


def test_gzip_bomb_total_is_refused(tmp_path: Path, evasion_key: PseudonymKey) -> None:
    data = gzip.compress(gzip.compress(b"a" * (3 << 20)))
    (tmp_path / "x.gz").write_bytes(data)
    with pytest.raises(InputError, match=r"x\.gz.*inflates past the total limit of 2 MiB"):
        check_leaks([tmp_path / "x.gz"], evasion_key, limits=Limits(total_bytes=2 << 20))


def test_zip_nesting_deeper_than_the_limit_is_refused(
    tmp_path: Path, evasion_key: PseudonymKey
) -> None:
    data = b"Vennemann"
    for level in range(4):
        data = _zip({f"l{level}.zip" if level else "a.txt": data})
    (tmp_path / "deep.zip").write_bytes(data)
    with pytest.raises(InputError, match="nests containers deeper than 3"):
        check_leaks([tmp_path / "deep.zip"], evasion_key, limits=Limits(depth=3))
    assert len(check_leaks([tmp_path / "deep.zip"], evasion_key)) == 1  # default depth 4


def test_block_edges_lose_no_hit_and_count_lines(
    tmp_path: Path, evasion_key: PseudonymKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsr_workbench.corpus import leaks
    from dsr_workbench.corpus.leaks_match import TextScan

    lines = [
        ("x" * (i % 37)) + (" Johanna\n Vennemann &amp; O&#39;x" if i % 5 == 0 else "")
        for i in range(400)
    ]
    text = "\n".join(lines) + "\n"
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    whole = check_leaks([tmp_path / "long.txt"], evasion_key)
    monkeypatch.setattr(leaks, "_BLOCK", 97)  # bytes read at a time
    monkeypatch.setattr(TextScan, "chunk", 50)  # characters scanned at a time
    monkeypatch.setattr(TextScan, "overlap", 40)
    chunked = check_leaks([tmp_path / "long.txt"], evasion_key)
    assert len(whole) == 80
    assert chunked.to_dict("records") == whole.to_dict("records")
