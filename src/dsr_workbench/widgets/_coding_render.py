"""What the coding view draws: the payloads of its front end (codes, turns, spans).

Presentation only: the codings themselves come from :mod:`dsr_workbench.coding.codings`.
Offsets in every payload are code-point offsets into the transcript's normalised text (the
front end converts to and from JavaScript's UTF-16 units).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import seaborn as sns

from dsr_workbench.coding.codebook import Codebook

__all__ = [
    "SIDES",
    "code_colors",
    "code_payload",
    "disagreement_payload",
    "merge_edits",
    "span_payload",
    "turn_payload",
]

SIDES = {
    "a": "the coder's own",
    "b": "the compared coder's",
    "s": "suggestion",
    "d": "disagreement",
}
"""Kinds of span the front end draws (the ``k`` field of :func:`span_payload`)."""


def code_colors(codebook: Codebook) -> dict[str, str]:
    """Each code's colour: its own ``color``, else one of a colour-blind-safe palette.

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook('codes:\\n  - {id: A, name: A, color: "#112233"}\\n  - {id: B, name: B}')
    >>> code_colors(book)
    {'A': '#112233', 'B': '#de8f05'}
    """
    ids = list(codebook.codes["code_id"])
    palette = sns.color_palette("colorblind", 10).as_hex()
    out = {}
    for i, (code, color) in enumerate(zip(ids, codebook.codes["color"], strict=True)):
        out[code] = color if isinstance(color, str) and color else palette[i % len(palette)]
    return out


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def code_payload(codebook: Codebook, colors: dict[str, str]) -> list[dict[str, Any]]:
    """The codebook in tree order (each root, then its subtree), one dict per code.

    Keys: ``id``, ``name``, ``color``, ``parent`` (``""`` for a root), ``depth``,
    ``definition``, ``rule`` (the coding rule), ``example`` (anchor examples).

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook('''codes:
    ...   - {id: REL, name: Relational governance}
    ...   - {id: QA, name: Quality}
    ...   - {id: TRUST, name: Trust, parent: REL, coding_rule: trust talk}''')
    >>> [(c["id"], c["depth"], c["rule"]) for c in code_payload(book, code_colors(book))]
    [('REL', 0, ''), ('TRUST', 1, 'trust talk'), ('QA', 0, '')]
    """
    codes = codebook.codes.set_index("code_id")
    depth = codebook.depth()
    roots = [c for c, p in zip(codes.index, codes["parent"], strict=True) if pd.isna(p)]
    order = [c for root in roots for c in codebook.subtree(root)]
    return [
        {
            "id": code,
            "name": _text(codes.at[code, "name"]),
            "color": colors.get(code, "#888888"),
            "parent": _text(codes.at[code, "parent"]),
            "depth": int(depth[code]),
            "definition": _text(codes.at[code, "definition"]),
            "rule": _text(codes.at[code, "coding_rule"]),
            "example": _text(codes.at[code, "anchor_example"]),
        }
        for code in order
    ]


def turn_payload(turns: pd.DataFrame) -> list[list[Any]]:
    """One ``[start, end, speaker, turn, perspective]`` per turn, in order.

    Examples
    --------
    >>> turns = pd.DataFrame({"turn": [1], "speaker": ["Kim"], "perspective": ["researcher"],
    ...                       "start": [5], "end": [15]})
    >>> turn_payload(turns)
    [[5, 15, 'Kim', 1, 'researcher']]
    """
    turns = turns.sort_values("start")
    return [
        [int(a), int(b), str(s), int(t), _text(p)]
        for a, b, s, t, p in zip(
            turns["start"],
            turns["end"],
            turns["speaker"],
            turns["turn"],
            turns["perspective"],
            strict=True,
        )
    ]


def span_payload(
    codings: pd.DataFrame, side: str, extra: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The spans to draw, one dict per coding.

    Keys: ``i`` (coding id), ``s``, ``e`` (offsets), ``c`` (code id), ``k`` (side, one of
    :data:`SIDES`), ``w`` (coder), ``o`` (origin), ``m`` (memo, ``""`` if none) and ``x``
    (``extra[n]`` for row ``n``, e.g. a disagreement's kind; ``""`` without).

    Examples
    --------
    >>> codings = pd.DataFrame({"coding_id": ["c1"], "start": [3], "end": [9],
    ...                         "code_id": ["TRUST"], "coder": ["R1"], "origin": ["manual"],
    ...                         "memo": [None]})
    >>> span_payload(codings, "a")
    [{'i': 'c1', 's': 3, 'e': 9, 'c': 'TRUST', 'k': 'a', 'w': 'R1', 'o': 'manual', 'm': '', 'x': ''}]
    """
    n = len(codings)
    extra = extra if extra is not None else [""] * n
    memo = codings["memo"] if "memo" in codings else [None] * n
    return [
        {
            "i": str(i),
            "s": int(s),
            "e": int(e),
            "c": str(c),
            "k": side,
            "w": str(w),
            "o": str(o),
            "m": _text(m),
            "x": x,
        }
        for i, s, e, c, w, o, m, x in zip(
            codings["coding_id"],
            codings["start"],
            codings["end"],
            codings["code_id"],
            codings["coder"],
            codings["origin"],
            memo,
            extra,
            strict=True,
        )
    ]


def merge_edits(spans: list[dict[str, Any]], edits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The spans drawn: ``spans`` with ``edits`` applied by id (``{"i": id, "del": True}``
    drops one; any other edit adds or replaces the span with its id), as the front end does.

    Examples
    --------
    >>> merge_edits([{"i": "a", "s": 0}, {"i": "b", "s": 5}], [{"i": "a", "del": True},
    ...             {"i": "c", "s": 9}])
    [{'i': 'b', 's': 5}, {'i': 'c', 's': 9}]
    """
    if not edits:
        return list(spans)
    by_id = {s["i"]: s for s in spans}
    for edit in edits:
        if edit.get("del"):
            by_id.pop(edit["i"], None)
        else:
            by_id[edit["i"]] = edit
    return list(by_id.values())


def disagreement_payload(
    table: pd.DataFrame, decided: set[tuple[str, int, int]]
) -> list[dict[str, Any]]:
    """The spans of a comparison's disagreements (side ``d``), ``resolved`` if in ``decided``.

    Examples
    --------
    >>> table = pd.DataFrame({"code_id": ["CAP"], "start": [3], "end": [9],
    ...                       "present": ["R2"], "absent": ["R1"], "kind": ["one-sided"]})
    >>> [(s["i"], s["w"], s["x"], s["m"]) for s in disagreement_payload(table, {("CAP", 3, 9)})]
    [('d0', 'R2', 'R1', 'resolved')]
    """
    rows = table.assign(
        coding_id=[f"d{n}" for n in range(len(table))],
        coder=table["present"],
        origin=table["kind"],
        memo=[
            "resolved" if (c, int(a), int(b)) in decided else ""
            for c, a, b in zip(table["code_id"], table["start"], table["end"], strict=True)
        ],
    )
    return span_payload(rows, "d", [str(a) for a in table["absent"]])
