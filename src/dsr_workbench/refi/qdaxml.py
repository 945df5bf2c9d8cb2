"""QDA-XML helpers shared by the REFI-QDA readers: elements, GUIDs, codes, plain text.

Tags are matched by local name, so files with or without the ``urn:QDA-XML`` namespace (and
other versions of it) read alike. GUIDs are compared without braces and case-insensitively.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

import pandas as pd

from dsr_workbench.coding.codebook import RULE_COLUMNS
from dsr_workbench.core.errors import InputError
from dsr_workbench.refi.codebook import parse_description, slug, unique
from dsr_workbench.refi.model import CODE_COLUMNS, SET_COLUMNS
from dsr_workbench.refi.safety import SafeArchive

__all__ = [
    "GuidRegistry",
    "decode_text",
    "kid",
    "kid_text",
    "kids",
    "local",
    "norm_guid",
    "parse_codes",
    "parse_sets",
    "plain_text",
    "timestamp",
]

_ID = re.compile(r"^[\w.:-]+$")  # as dsr_workbench.coding.codebook


def local(tag: object) -> str:
    """Return a tag without its namespace.

    Examples
    --------
    >>> local("{urn:QDA-XML:project:1.0}Code"), local("Code")
    ('Code', 'Code')
    """
    return str(tag).rsplit("}", 1)[-1]


def kids(el: Element, name: str) -> list[Element]:
    """Return the children of ``el`` whose local name is ``name``."""
    return [c for c in el if local(c.tag) == name]


def kid(el: Element, name: str) -> Element | None:
    """Return the first child of ``el`` whose local name is ``name``, or ``None``."""
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def kid_text(el: Element, name: str) -> str | None:
    """Return the text of the first child named ``name``, or ``None``."""
    c = kid(el, name)
    if c is None or c.text is None:
        return None
    return c.text


def norm_guid(value: str | None) -> str | None:
    """Return a GUID without braces, in lower case (``None`` for a missing or empty one).

    Examples
    --------
    >>> norm_guid(" {0A1B2C3D-0000-0000-0000-00000000000F} ")
    '0a1b2c3d-0000-0000-0000-00000000000f'
    """
    if value is None:
        return None
    value = value.strip().strip("{}").lower()
    return value or None


class GuidRegistry:
    """The GUIDs a file defines, and checks of the references to them.

    Parameters
    ----------
    where
        The file (for messages).

    Examples
    --------
    >>> from xml.etree.ElementTree import Element
    >>> reg = GuidRegistry("p.qde")
    >>> reg.define(Element("Code", guid="{0000000A-0000-0000-0000-000000000000}"), "code")
    '0000000a-0000-0000-0000-000000000000'
    >>> reg.ref("0000000b-0000-0000-0000-000000000000", ("code",), "a Coding")
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: p.qde: a Coding refers to code 0000000b-0000-0000-0000-000000000000, which is not defined (fix: the file is incomplete or damaged; export it again)
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self.kinds: dict[str, str] = {}

    def define(self, el: Element, kind: str) -> str:
        """Register ``el``'s GUID as a ``kind``; refuse a missing or repeated GUID."""
        guid = norm_guid(el.get("guid"))
        name = el.get("name")
        label = f"{kind} {name!r}" if name else kind
        if guid is None:
            raise InputError(
                f"{label} has no guid",
                path=self.where,
                hint="every REFI-QDA object needs a guid; export the project again",
            )
        if guid in self.kinds:
            raise InputError(
                f"guid {guid} is used by a {self.kinds[guid]} and by {label}",
                path=self.where,
                hint="GUIDs must be unique; export the project again",
            )
        self.kinds[guid] = kind
        return guid

    def ref(self, value: str | None, kinds: tuple[str, ...], what: str) -> str | None:
        """Resolve a reference to one of ``kinds`` (``None`` if absent); refuse a dangling one."""
        guid = norm_guid(value)
        if guid is None:
            return None
        if self.kinds.get(guid) not in kinds:
            found = f" (it is a {self.kinds[guid]})" if guid in self.kinds else ""
            raise InputError(
                f"{what} refers to {' or '.join(kinds)} {guid}, which is not defined{found}",
                path=self.where,
                hint="the file is incomplete or damaged; export it again",
            )
        return guid


# --------------------------------------------------------------------------- codes


def parse_codes(
    codes_el: Element | None, reg: GuidRegistry
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Read a ``Codes`` element (nested ``Code`` elements) into our tables.

    Returns
    -------
    codes, rules, dict
        Codes (:data:`~dsr_workbench.refi.model.CODE_COLUMNS`, depth first, parents before
        children), auto-coding rules from the descriptions, and ``{guid: code_id}``. A code's
        id is its description's ``Code ID`` if it has a valid, unused one, else made from its
        name (:func:`~dsr_workbench.refi.codebook.slug`), unique.

    Examples
    --------
    >>> from xml.etree.ElementTree import fromstring
    >>> el = fromstring('''<Codes><Code guid="00000000-0000-0000-0000-000000000001"
    ...   name="Trust" isCodable="true"><Code guid="00000000-0000-0000-0000-000000000002"
    ...   name="Open book" isCodable="true"/></Code><Code name="Trust" isCodable="true"
    ...   guid="00000000-0000-0000-0000-000000000003"/></Codes>''')
    >>> parse_codes(el, GuidRegistry("x"))[0][["code_id", "name", "parent"]]
         code_id       name parent
    0      Trust      Trust    NaN
    1  Open_book  Open book  Trust
    2    Trust_2      Trust    NaN
    """
    rows: list[dict[str, Any]] = []
    rules: list[tuple[str, str, str]] = []
    by_guid: dict[str, str] = {}
    taken: set[str] = set()
    if codes_el is None:
        return pd.DataFrame(columns=CODE_COLUMNS), pd.DataFrame(columns=RULE_COLUMNS), by_guid
    stack: list[tuple[Element, str | None]] = [(c, None) for c in reversed(kids(codes_el, "Code"))]
    pending: list[tuple[dict[str, Any], list[tuple[str, str]], str]] = []
    while stack:  # iterative: a hostile file may nest deeply
        el, parent = stack.pop()
        guid = reg.define(el, "code")
        fields = parse_description(kid_text(el, "Description"))
        name = (el.get("name") or "").strip() or None
        row = {
            "guid": guid,
            "name": name,
            "parent": parent,
            "level": fields["level"],
            "definition": fields["definition"],
            "anchor_example": fields["anchor_example"],
            "coding_rule": fields["coding_rule"],
            "color": (el.get("color") or "").strip() or None,
            "codable": (el.get("isCodable") or "true").strip().lower() in ("true", "1"),
            "_own_id": fields["code_id"],
        }
        pending.append((row, fields["rules"], guid))
        stack.extend((c, guid) for c in reversed(kids(el, "Code")))
    # explicit ids first, so a name-made id never takes an id a later code declares
    for row, _, _ in pending:
        own = row["_own_id"]
        if own and own not in taken and _ID.match(own):
            row["code_id"] = own
            row["id_from"] = "description"
            taken.add(own)
    for row, _, code_guid in pending:
        if "code_id" not in row:
            row["code_id"] = unique(slug(row["name"] or code_guid[:8]), taken)
            row["id_from"] = "name"
            taken.add(row["code_id"])
        by_guid[code_guid] = row["code_id"]
    for row, code_rules, _ in pending:
        row["parent"] = by_guid[row["parent"]] if row["parent"] else None
        row["name"] = row["name"] or row["code_id"]
        rules.extend((row["code_id"], rule, value) for rule, value in code_rules)
        rows.append(row)
    codes = pd.DataFrame(rows, columns=CODE_COLUMNS)
    return codes, pd.DataFrame(rules, columns=RULE_COLUMNS), by_guid


def parse_sets(sets_el: Element | None, code_of: dict[str, str]) -> pd.DataFrame:
    """Read a ``Sets`` element (sets, or groups, of codes) into :data:`SET_COLUMNS` rows.

    One row per member code (``code_id`` ours; ``<NA>`` for a set without member codes). A
    member is ``MemberCode guid=...`` in a codebook (``Codebook.xsd``) and ``MemberCode
    targetGUID=...`` in a project (``Project.xsd``); members that are not codes of the file
    (sources, unknown GUIDs) are left out. Sets are read so an import can say they exist:
    our codebook has no sets.

    Examples
    --------
    >>> from xml.etree.ElementTree import fromstring
    >>> el = fromstring('<Sets><Set guid="{00000000-0000-0000-0000-00000000000A}" name="Q">'
    ...                 '<MemberCode guid="00000000-0000-0000-0000-000000000001"/></Set></Sets>')
    >>> parse_sets(el, {"00000000-0000-0000-0000-000000000001": "AUDIT"}).values.tolist()
    [['00000000-0000-0000-0000-00000000000a', 'Q', 'AUDIT']]
    """
    rows: list[tuple[str, str, str | None]] = []
    for el in kids(sets_el, "Set") if sets_el is not None else []:
        guid = norm_guid(el.get("guid")) or ""
        name = (el.get("name") or "").strip() or guid
        members: list[str | None] = [
            code_of[g]
            for m in kids(el, "MemberCode")
            if (g := norm_guid(m.get("targetGUID") or m.get("guid"))) in code_of
        ]
        rows.extend((guid, name, code) for code in members or [None])
    return pd.DataFrame(rows, columns=SET_COLUMNS)


def decode_text(data: bytes, where: str) -> str:
    """Decode a source's plain text: UTF-8 (a BOM is dropped), or UTF-16 with a BOM.

    Raises
    ------
    InputError
        Not UTF-8, naming the line and byte.

    Examples
    --------
    >>> decode_text("\\ufeffCafé\\r\\n".encode(), "s.txt")
    'Café\\r\\n'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"plain text is not UTF-8 (byte {exc.start})",
            path=where,
            line=line,
            hint="REFI-QDA plain text is UTF-8; export the project again",
        ) from None


def plain_text(el: Element, archive: SafeArchive, reg: GuidRegistry, label: str) -> str | None:
    """Return a source's or note's plain text: inline, or the archive member its path names.

    Returns ``None`` when the element has neither; raises :class:`InputError` when the path
    names a file that is not in the archive.
    """
    inline = kid(el, "PlainTextContent")
    if inline is not None:
        return inline.text or ""
    ref = el.get("plainTextPath")
    if not ref:
        return None
    member = archive.find(ref)
    if member is None:
        raise InputError(
            f"{label} refers to {ref!r}, which is not in the archive",
            path=archive.path,
            hint="export the project again with its sources embedded",
        )
    return decode_text(archive.read(member), f"{archive.path}:{member}")


def timestamp(*values: str | None) -> pd.Timestamp:
    """Return the first value that parses as an ISO 8601 time, in UTC (``NaT`` if none).

    Examples
    --------
    >>> timestamp(None, "2025-06-18T02:06:50Z")
    Timestamp('2025-06-18 02:06:50+0000', tz='UTC')
    """
    for value in values:
        if value:
            stamp = pd.to_datetime(value, utc=True, errors="coerce", format="ISO8601")
            if not pd.isna(stamp):
                return stamp
    return pd.NaT
