"""Tests of dsr_workbench.refi.codebook: our codes' fields in a REFI-QDA description, GUIDs, ids."""

from __future__ import annotations

import uuid

import pytest

from dsr_workbench.refi.codebook import (
    NAMESPACE,
    code_guid,
    describe_code,
    guid_for,
    parse_description,
    slug,
    unique,
)

FULL = {
    "code_id": "TRUST",
    "level": "concept",
    "definition": "Reliance on the partner.\nSecond paragraph line.",
    "coding_rule": "Code explicit trust.\nNot mere satisfaction.",
    "anchor_example": "We trust them.\nThey deliver.",
}
RULES = [("keyword", "trust"), ("regex", r"\bgood faith\b"), ("perspective", "client")]


def test_every_field_survives_the_description():
    back = parse_description(describe_code(FULL, RULES))
    assert {k: back[k] for k in FULL} == FULL
    assert back["rules"] == RULES


def test_a_code_with_only_an_id():
    assert describe_code({"code_id": "A", "definition": float("nan")}) == "Code ID: A"
    assert parse_description("Code ID: A")["code_id"] == "A"


@pytest.mark.parametrize(
    "text",
    [
        "Erősen szkeptikus (piros)\nEnyhén szkeptikus (sárga)",  # NVivo: plain text
        "Level: high\nCoding rule: anything",  # looks like ours but has no Code ID
        "Definition.\n\nCode ID: A\nnot a field",  # a foreign last line
        "Definition.\n\nCode ID: A\nCode ID: B",  # two ids
    ],
)
def test_other_descriptions_are_the_definition(text):
    out = parse_description(text)
    assert out["definition"] == text and out["code_id"] is None and out["rules"] == []


def test_empty_description():
    assert parse_description(None)["definition"] is None
    assert parse_description("  \n ")["definition"] is None


def test_guids_are_stable_version_5_uuids():
    assert code_guid("TRUST") == str(uuid.uuid5(NAMESPACE, "code\x1fTRUST"))
    assert uuid.UUID(code_guid("TRUST")).version == 5
    assert guid_for("source", "s", "I01") != guid_for("source", "s", "I02")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Trust", "Trust"), ("1. Oltás típusa", "1._Oltás_típusa"), ("a/b\\c", "a_b_c"), ("", "code")],
)
def test_slug(name, expected):
    assert slug(name) == expected


def test_slug_is_at_most_64_characters():
    assert len(slug("x" * 200)) == 64


def test_unique():
    assert unique("A", set()) == "A"
    assert unique("A", {"A"}) == "A_2"
