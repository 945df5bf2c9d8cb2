"""Pseudonymisation and leak checks."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.pseudonymise import (
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
