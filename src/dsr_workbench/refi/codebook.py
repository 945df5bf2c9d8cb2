"""Our codes as REFI-QDA ``Code`` elements, and back.

REFI-QDA gives a code a GUID, a name, a colour and a free-text ``Description``. Our codebook
has more (:mod:`dsr_workbench.coding.codebook`): a short id, a level, Mayring's coding agenda
(definition, anchor examples, coding rule) and auto-coding rules. On export the description
holds the definition, a blank line, then one labelled line per field, readable in any tool::

    How the partners govern the relationship beyond the contract.

    Code ID: REL
    Level: dimension
    Coding rule: Code governance that relies on trust or norms, not on clauses.
    Anchor example: We pick up the phone before we write a deviation.
    Auto-code keyword: trust

A field with several lines (or several values) repeats its label. On import a description
whose last paragraph is made of such lines, one of them ``Code ID``, gives those fields back;
any other description is the definition. A code's GUID is derived from its id
(:func:`code_guid`), so the same code has the same GUID in every export.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

__all__ = [
    "NAMESPACE",
    "RULE_LABELS",
    "code_guid",
    "describe_code",
    "guid_for",
    "parse_description",
    "slug",
    "unique",
]

NAMESPACE = uuid.UUID("6f1c2a4e-8d3b-5e7f-9a10-2b3c4d5e6f70")
"""Namespace of the name-based (version 5) GUIDs of our exports."""

RULE_LABELS: dict[str, str] = {
    "keyword": "Auto-code keyword",
    "regex": "Auto-code regex",
    "speaker": "Auto-code speaker",
    "perspective": "Auto-code perspective",
    "kind": "Auto-code kind",
}
"""Description label of each auto-coding rule kind."""

_FIELD_LABELS: dict[str, str] = {
    "code_id": "Code ID",
    "level": "Level",
    "coding_rule": "Coding rule",
    "anchor_example": "Anchor example",
}
_BY_LABEL = {label: key for key, label in _FIELD_LABELS.items()} | {
    label: f"rule:{rule}" for rule, label in RULE_LABELS.items()
}
_LINE = re.compile(r"^(" + "|".join(map(re.escape, _BY_LABEL)) + r"): ?(.*)$")


def guid_for(kind: str, *key: object) -> str:
    """Return a stable GUID for an object of an export (version 5, from its kind and key).

    Examples
    --------
    >>> guid_for("source", "cmr-example", "I01") == guid_for("source", "cmr-example", "I01")
    True
    """
    return str(uuid.uuid5(NAMESPACE, "\x1f".join([kind, *map(str, key)])))


def code_guid(code_id: str) -> str:
    """Return the GUID of a code in our exports (derived from its id alone).

    Examples
    --------
    >>> code_guid("TRUST")
    '41478f30-7ca3-51c0-bbeb-40a70ffe78f4'
    """
    return guid_for("code", code_id)


def describe_code(code: dict[str, Any], rules: list[tuple[str, str]] | None = None) -> str:
    """Return the REFI-QDA description of one of our codes (see the module docstring).

    Parameters
    ----------
    code
        A row of ``Codebook.codes`` as a mapping (code_id, level, definition,
        anchor_example, coding_rule; missing or ``None``/NaN values are left out).
    rules
        The code's ``(rule, value)`` pairs from ``Codebook.rules``.

    Examples
    --------
    >>> print(describe_code({"code_id": "TRUST", "definition": "Reliance on the partner.",
    ...                      "anchor_example": "We trust them.\\nThey deliver."},
    ...                     [("keyword", "trust")]))
    Reliance on the partner.
    <BLANKLINE>
    Code ID: TRUST
    Anchor example: We trust them.
    Anchor example: They deliver.
    Auto-code keyword: trust
    """
    lines: list[str] = []
    for key in ("code_id", "level", "coding_rule", "anchor_example"):
        value = _value(code.get(key))
        if value is not None:
            lines.extend(f"{_FIELD_LABELS[key]}: {part}" for part in value.split("\n"))
    for rule, value in rules or []:
        lines.append(f"{RULE_LABELS[rule]}: {' '.join(str(value).splitlines())}")
    definition = _value(code.get("definition"))
    block = "\n".join(lines)
    return f"{definition}\n\n{block}" if definition else block


def parse_description(text: str | None) -> dict[str, Any]:
    """Split a code's description into our fields (see the module docstring).

    Returns
    -------
    dict
        ``definition`` and, when the description ends with our labelled lines, ``code_id``,
        ``level``, ``coding_rule``, ``anchor_example`` (``None`` when absent) and ``rules``
        (a list of ``(rule, value)``).

    Examples
    --------
    >>> parse_description("Reliance.\\n\\nCode ID: TRUST\\nAuto-code keyword: trust")
    {'definition': 'Reliance.', 'code_id': 'TRUST', 'level': None, 'coding_rule': None, 'anchor_example': None, 'rules': [('keyword', 'trust')]}
    >>> parse_description("Level: high means strong.")["definition"]
    'Level: high means strong.'
    """
    out: dict[str, Any] = {
        "definition": None,
        "code_id": None,
        "level": None,
        "coding_rule": None,
        "anchor_example": None,
        "rules": [],
    }
    if not text or not text.strip():
        return out
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    blank = max((i for i, line in enumerate(lines) if not line.strip()), default=-1)
    tail = lines[blank + 1 :]
    matches = [_LINE.match(line) for line in tail]
    if not tail or not all(matches) or sum(m[1] == "Code ID" for m in matches if m) != 1:
        out["definition"] = text.strip() or None
        return out
    fields: dict[str, list[str]] = {}
    for m in matches:
        assert m is not None
        key = _BY_LABEL[m[1]]
        if key.startswith("rule:"):
            out["rules"].append((key[5:], m[2]))
        else:
            fields.setdefault(key, []).append(m[2])
    for key, parts in fields.items():
        out[key] = "\n".join(parts).strip() or None
    definition = "\n".join(lines[:blank]).strip() if blank >= 0 else ""
    out["definition"] = definition or None
    return out


def slug(name: str, fallback: str = "code") -> str:
    """Turn a name into an id of letters, digits and ``_ . : -`` (at most 64 characters).

    Examples
    --------
    >>> slug("1. Oltás típusa"), slug("  ?? "), slug("HBM 1. Perceived Susceptibility – Észlelt")
    ('1._Oltás_típusa', 'code', 'HBM_1._Perceived_Susceptibility_Észlelt')
    """
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"[^\w.:-]+", "_", text).strip("_.:-")
    return text[:64].rstrip("_.:-") or fallback


def unique(name: str, taken: set[str]) -> str:
    """Return ``name``, or ``name_2``, ``name_3``, ... whichever is not in ``taken``.

    Examples
    --------
    >>> unique("A", {"A", "A_2"})
    'A_3'
    """
    if name not in taken:
        return name
    n = 2
    while f"{name}_{n}" in taken:
        n += 1
    return f"{name}_{n}"


def _value(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        try:
            if value != value:  # NaN / NA
                return None
        except (TypeError, ValueError):
            return None
        value = str(value)
    value = value.strip()
    return value or None
