"""Tests of dsr_workbench.coding.codebook: loading, validation (one test per bad input), diff."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dsr_workbench.coding.codebook import (
    CODE_COLUMNS,
    DIFF_COLUMNS,
    RULE_COLUMNS,
    codebook_diff,
    load_codebook,
    parse_codebook,
)
from dsr_workbench.core.errors import DsrError, InputError

GOOD = textwrap.dedent("""\
    title: CMR management
    version: 1
    codes:
      - id: REL
        name: Relational governance
        level: dimension
        definition: Governance beyond the contract.
        anchor_examples:
          - We pick up the phone first.
          - We trust them with our forecasts.
        coding_rule: Code norms and trust, not clauses.
        color: "#4C72B0"
      - id: TRUST
        name: Trust
        parent: REL
        level: theme
        rules:
          keywords: [trust, open book]
          phrases: [good faith]
          regex: ['\\btrust\\w*']
          speakers: [P01]
          perspectives: [client, cmo]
          kinds: [interview]
      - id: OPEN
        name: Open books
        parent: TRUST
        level: concept
      - id: PRICE
        name: Price
        level: dimension
    """)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_load_gives_codes_and_rules_tables(tmp_path):
    book = load_codebook(write(tmp_path, GOOD))
    assert list(book.codes.columns) == CODE_COLUMNS
    assert list(book.codes["code_id"]) == ["REL", "TRUST", "OPEN", "PRICE"]
    assert book.codes.loc[0, "anchor_example"] == (
        "We pick up the phone first.\nWe trust them with our forecasts."
    )
    assert list(book.rules.columns) == RULE_COLUMNS
    assert list(book.rules["rule"]) == [
        "keyword",
        "keyword",
        "keyword",
        "regex",
        "speaker",
        "perspective",
        "perspective",
        "kind",
    ]
    assert book.rules.loc[2, "value"] == "good faith"
    assert book.lines == {"REL": 4, "TRUST": 13, "OPEN": 24, "PRICE": 28}
    assert (book.title, book.version) == ("CMR management", "1")


def test_tree_navigation():
    book = parse_codebook(GOOD)
    assert book.subtree("REL") == ["REL", "TRUST", "OPEN"]
    assert book.ancestors("OPEN") == ["TRUST", "REL"]
    assert book.children("REL") == ["TRUST"]
    assert book.depth().to_dict() == {"REL": 0, "TRUST": 1, "OPEN": 2, "PRICE": 0}
    assert "OPEN" in book and "NOPE" not in book


def test_unknown_code_id_suggests_the_closest():
    with pytest.raises(InputError, match="unknown code id 'TRSUT'.*did you mean 'TRUST'"):
        parse_codebook(GOOD).subtree("TRSUT")


# --------------------------------------------------------------- bad input, one test each


def test_duplicate_id_names_both_lines(tmp_path):
    path = write(
        tmp_path,
        """\
        codes:
          - {id: A, name: Alpha}
          - {id: B, name: Beta}
          - {id: A, name: Again}
        """,
    )
    with pytest.raises(InputError) as err:
        load_codebook(path)
    assert err.value.line == 4
    assert "code 'A' is defined twice (first at line 2)" in str(err.value)
    assert str(path) in str(err.value)


def test_parent_cycle_names_the_codes_and_line():
    with pytest.raises(InputError) as err:
        parse_codebook("""\
codes:
  - {id: ROOT, name: Root}
  - {id: A, name: A, parent: C}
  - {id: B, name: B, parent: A}
  - {id: C, name: C, parent: B}
""")
    assert "parents form a cycle A -> C -> B -> A" in str(err.value)
    assert err.value.line == 3


def test_self_parent_is_a_cycle():
    with pytest.raises(InputError, match="cycle A -> A"):
        parse_codebook("codes:\n  - {id: A, name: A, parent: A}\n")


def test_missing_parent_names_code_and_line():
    with pytest.raises(InputError) as err:
        parse_codebook("codes:\n  - {id: A, name: A}\n  - {id: B, name: B, parent: AA}\n")
    assert "code 'B': parent 'AA' is not a code" in str(err.value)
    assert err.value.line == 3
    assert "did you mean 'A'" in str(err.value)


def test_regex_that_does_not_compile_names_code_and_line():
    with pytest.raises(InputError) as err:
        parse_codebook("codes:\n  - id: Q\n    rules:\n      regex:\n        - 'audit(s'\n")
    assert "code 'Q': regex 'audit(s' does not compile" in str(err.value)
    assert err.value.line == 5


def test_unknown_key_is_reported_with_the_allowed_keys():
    with pytest.raises(InputError, match="code 'A': unknown key 'parnet'.*allowed: "):
        parse_codebook("codes:\n  - {id: A, name: A, parnet: B}\n")


def test_unknown_rule_perspective_and_kind():
    with pytest.raises(InputError, match="unknown perspective 'clients'"):
        parse_codebook("codes:\n  - {id: A, rules: {perspectives: [clients]}}\n")
    with pytest.raises(InputError, match="unknown transcript kind 'survey'"):
        parse_codebook("codes:\n  - {id: A, rules: {kinds: [survey]}}\n")
    with pytest.raises(InputError, match="unknown rule 'keyword'"):
        parse_codebook("codes:\n  - {id: A, rules: {keyword: [x]}}\n")


def test_empty_keyword_is_rejected():
    with pytest.raises(InputError, match="empty or non-text entry in keywords"):
        parse_codebook("codes:\n  - {id: A, rules: {keywords: [trust, '  ']}}\n")


def test_bad_colour_and_bad_id():
    with pytest.raises(InputError, match="colour 'blue' is not #rrggbb"):
        parse_codebook("codes:\n  - {id: A, color: blue}\n")
    with pytest.raises(InputError, match="id must be letters"):
        parse_codebook("codes:\n  - {id: 'A B'}\n")
    with pytest.raises(InputError, match="has no id"):
        parse_codebook("codes:\n  - {name: Nameless}\n")


def test_not_a_codebook():
    with pytest.raises(InputError, match="a mapping with a 'codes' list"):
        parse_codebook("- just a list\n")
    with pytest.raises(InputError, match="not valid YAML"):
        parse_codebook("codes: [\n")


def test_several_problems_report_the_first_and_a_count():
    with pytest.raises(InputError, match=r"unknown key 'x' \(and 1 more problem\)") as err:
        parse_codebook("codes:\n  - {id: A, x: 1}\n  - {id: B, parent: Z}\n")
    assert err.value.line == 2


def test_errors_are_dsr_errors():
    with pytest.raises(DsrError):
        parse_codebook("codes:\n  - {id: A}\n  - {id: A}\n")


# --------------------------------------------------------------- diff


def test_codebook_diff_lists_every_kind_of_change():
    old = parse_codebook(GOOD)
    new = parse_codebook(
        GOOD.replace("name: Trust\n", "name: Trust and openness\n")
        .replace("parent: TRUST", "parent: REL")
        .replace("Governance beyond the contract.", "Relational norms.")
        .replace("keywords: [trust, open book]", "keywords: [trust]")
        .replace(
            "  - id: PRICE\n    name: Price\n    level: dimension\n",
            "  - id: COST\n    name: Cost\n",
        )
    )
    diff = codebook_diff(old, new)
    assert list(diff.columns) == DIFF_COLUMNS
    rows = [
        tuple(r)
        for r in diff[["change", "code_id", "field"]]
        .astype(object)
        .where(diff[["change", "code_id", "field"]].notna(), None)
        .itertuples(index=False)
    ]
    assert rows == [
        ("added", "COST", None),
        ("removed", "PRICE", None),
        ("renamed", "TRUST", "name"),
        ("moved", "OPEN", "parent"),
        ("redefined", "REL", "definition"),
        ("redefined", "TRUST", "rules"),
    ]
    moved = diff.loc[diff["change"] == "moved"].iloc[0]
    assert (moved["old"], moved["new"]) == ("TRUST", "REL")


def test_identical_codebooks_have_no_diff():
    assert codebook_diff(parse_codebook(GOOD), parse_codebook(GOOD)).empty
