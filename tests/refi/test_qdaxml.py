"""Tests of dsr_workbench.refi.qdaxml: GUID registry, code trees, plain text decoding."""

from __future__ import annotations

from xml.etree.ElementTree import Element, fromstring

import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.refi.qdaxml import GuidRegistry, decode_text, norm_guid, parse_codes

G = "00000000-0000-0000-0000-0000000000{:02d}".format


def test_a_guid_defined_twice_is_refused():
    reg = GuidRegistry("p.qde")
    reg.define(Element("Code", guid=G(1), name="A"), "code")
    with pytest.raises(InputError, match=f"guid {G(1)} is used by a code and by source 'S'"):
        reg.define(Element("TextSource", guid="{" + G(1).upper() + "}", name="S"), "source")


def test_an_object_without_guid_is_refused():
    with pytest.raises(InputError, match="code 'A' has no guid"):
        GuidRegistry("p.qde").define(Element("Code", name="A"), "code")


def test_a_reference_to_the_wrong_kind_is_refused():
    reg = GuidRegistry("p.qde")
    reg.define(Element("User", guid=G(1)), "user")
    with pytest.raises(InputError, match=r"which is not defined \(it is a user\)"):
        reg.ref(G(1), ("code",), "a Coding")
    assert reg.ref(None, ("code",), "a Coding") is None


def test_norm_guid():
    assert norm_guid("{ABC}") == "abc" and norm_guid("  ") is None


def test_code_ids_from_descriptions_win_over_ids_made_from_names():
    # the first code's name would slug to "TRUST", which the second declares as its id
    el = fromstring(
        f"""<Codes><Code guid="{G(1)}" name="TRUST" isCodable="true"/>
        <Code guid="{G(2)}" name="Trust" isCodable="false" color="#abc">
        <Description>Reliance.\n\nCode ID: TRUST\nLevel: theme</Description></Code></Codes>"""
    )
    codes, rules, by_guid = parse_codes(el, GuidRegistry("x"))
    assert list(codes["code_id"]) == ["TRUST_2", "TRUST"]
    assert list(codes["id_from"]) == ["name", "description"]
    assert codes.loc[1, ["level", "definition", "color", "codable"]].tolist() == [
        "theme",
        "Reliance.",
        "#abc",
        False,
    ]
    assert by_guid == {G(1): "TRUST_2", G(2): "TRUST"}


def test_a_deep_code_tree_is_read_without_recursion():
    depth = 3000
    xml = (
        "".join(
            f'<Code guid="{i:08d}-0000-0000-0000-000000000000" name="c{i}" isCodable="true">'
            for i in range(depth)
        )
        + "</Code>" * depth
    )
    codes, _, _ = parse_codes(fromstring(f"<Codes>{xml}</Codes>"), GuidRegistry("x"))
    assert len(codes) == depth and codes["parent"].iloc[-1] == f"c{depth - 2}"


def test_plain_text_that_is_not_utf8_is_refused():
    with pytest.raises(InputError, match=r"s\.txt:2: plain text is not UTF-8 \(byte 6\)"):
        decode_text(b"ab\ncaf\xe9", "s.txt")


def test_utf16_with_a_bom_is_read():
    assert decode_text("Café 😀".encode("utf-16"), "s.txt") == "Café 😀"
