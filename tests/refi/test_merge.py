"""Tests of dsr_workbench.refi.merge: matching imported codes with ours, appending new ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_workbench.coding.codebook import parse_codebook
from dsr_workbench.core.errors import DsrError
from dsr_workbench.refi.merge import append_codes, merge_codes
from dsr_workbench.refi.read import read_qdc
from dsr_workbench.refi.write import write_qdc

OURS = """\
# Our codebook: comments and layout must survive an import.
title: CMR
codes:
  - id: SEL            # partner selection
    name: Partner selection
  - {id: AUDIT, name: Audits, parent: SEL, definition: Audits of the CMO.}
  - id: CAP
    name: Capacity
"""


def qdc(tmp_path: Path, yaml_text: str) -> Path:
    return write_qdc(tmp_path / "theirs.qdc", parse_codebook(yaml_text))


def test_our_own_export_matches_every_code_and_adds_none(tmp_path):
    book = parse_codebook(OURS)
    plan, mapping, entries = merge_codes(read_qdc(qdc(tmp_path, OURS)), book)
    assert set(plan["action"]) == {"existing"} and entries == []
    assert mapping == {"SEL": "SEL", "AUDIT": "AUDIT", "CAP": "CAP"}


def test_a_code_renamed_and_moved_elsewhere_is_a_conflict_and_ours_is_kept(tmp_path):
    theirs = OURS.replace("name: Audits, parent: SEL", "name: Quality audits")
    plan, mapping, entries = merge_codes(read_qdc(qdc(tmp_path, theirs)), parse_codebook(OURS))
    row = plan.set_index("code_id").loc["AUDIT"]
    assert row["action"] == "conflict" and mapping["AUDIT"] == "AUDIT" and entries == []
    assert row["detail"] == (
        "named 'Audits' here, 'Quality audits' there; parent 'SEL' here, None there (kept ours)"
    )


def test_a_foreign_code_with_our_name_is_ours(tmp_path):
    path = tmp_path / "nvivo.qdc"
    path.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code isCodable="true" '
        'guid="00000000-0000-0000-0000-000000000001" name="capacity"/></Codes></CodeBook>'
    )
    plan, mapping, _ = merge_codes(read_qdc(path), parse_codebook(OURS))
    assert mapping == {"capacity": "CAP"}


def test_new_codes_get_free_ids_and_our_parents(tmp_path):
    # a foreign codebook: "Capacity" is ours (by name); "NEW" would slug to an id we use
    path = tmp_path / "nvivo.qdc"
    path.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        '<Code guid="00000000-0000-0000-0000-000000000001" name="Capacity" isCodable="true">'
        '<Code guid="00000000-0000-0000-0000-000000000002" name="NEW" isCodable="true" '
        'color="#aabbcc"/></Code>'
        '<Code guid="00000000-0000-0000-0000-000000000003" name="Price" isCodable="true"/>'
        "</Codes></CodeBook>"
    )
    ours = parse_codebook(OURS + "  - {id: NEW, name: Something else}\n")
    plan, mapping, entries = merge_codes(read_qdc(path), ours)
    assert entries == [
        {"id": "NEW_2", "name": "NEW", "parent": "CAP", "color": "#aabbcc"},
        {"id": "Price", "name": "Price"},
    ]
    assert plan["action"].tolist() == ["existing", "new", "new"]
    assert plan.set_index("code_id").loc["NEW", "detail"] == "id 'NEW' is taken here"


def test_the_same_id_is_the_same_code(tmp_path):
    # our exports derive a code's GUID from its id: another study's NEW is our NEW
    theirs = OURS + "  - {id: NEW, name: Price}\n"
    ours = parse_codebook(OURS + "  - {id: NEW, name: Something else}\n")
    plan, mapping, entries = merge_codes(read_qdc(qdc(tmp_path, theirs)), ours)
    assert mapping["NEW"] == "NEW" and entries == []
    assert plan.set_index("code_id").loc["NEW", "action"] == "conflict"


def test_appending_keeps_every_existing_line():
    after = append_codes(Path("codebook.yaml"), OURS, [{"id": "PRICE", "name": "Price"}], "x")
    assert after.startswith(OURS)
    assert list(parse_codebook(after).codes["code_id"]) == ["SEL", "AUDIT", "CAP", "PRICE"]


def test_appending_rules_and_multiline_text_round_trips():
    entry = {
        "id": "T",
        "name": "Trust: 'open' book",
        "definition": "Line one.\nLine two: with colon.",
        "anchor_examples": ["We trust them.", "- a dash"],
        "rules": {"keywords": ["trust"], "regex": ["\\bgood faith\\b"]},
    }
    book = parse_codebook(append_codes(Path("c.yaml"), OURS, [entry], "x"))
    row = book.codes.set_index("code_id").loc["T"]
    assert row["name"] == entry["name"] and row["definition"] == entry["definition"]
    assert row["anchor_example"] == "We trust them.\n- a dash"
    assert book.rules.values.tolist() == [
        ["T", "keyword", "trust"],
        ["T", "regex", "\\bgood faith\\b"],
    ]


def test_a_codebook_file_is_started_when_there_is_none():
    text = append_codes(Path("c.yaml"), None, [{"id": "A", "name": "Alpha"}], "x")
    assert list(parse_codebook(text).codes["code_id"]) == ["A"]


def test_codes_that_are_not_the_last_section_cannot_be_appended_to():
    text = "codes:\n  - {id: A, name: Alpha}\ntitle: later\n"
    with pytest.raises(DsrError, match="'codes' must be the last section"):
        append_codes(Path("c.yaml"), text, [{"id": "B", "name": "Beta"}], "x")


def test_a_flow_style_codes_list_cannot_be_appended_to():
    text = "codes: [{id: A, name: Alpha}]\n"
    with pytest.raises(DsrError, match="not a block list"):
        append_codes(Path("c.yaml"), text, [{"id": "B", "name": "Beta"}], "x")
