"""The codebook: a hierarchy of codes with Mayring's coding agenda and auto-coding rules.

A study keeps its codebook in ``data/codebook.yaml``::

    title: CMR management            # optional: title, version, description
    version: 2
    codes:
      - id: REL                      # unique; letters, digits, _ . : -
        name: Relational governance
        level: dimension             # free text; the study uses dimension > theme > concept
        definition: How the partners govern the relationship beyond the contract.
        anchor_examples: ["We pick up the phone before we write a deviation."]
        coding_rule: Code governance that relies on trust or norms, not on clauses.
        color: "#4C72B0"
      - id: TRUST
        name: Trust
        parent: REL                  # any depth is allowed; no cycles
        rules:                       # optional auto-coding rules
          keywords: [trust, open book]   # whole words/phrases, case-insensitive
          regex: ['\\bgood faith\\b']     # Python regex, compiled with IGNORECASE
          speakers: [P01, Hannah]    # restrict to these speakers (label or participant id)
          perspectives: [client]     # ... these perspectives (client|cmo|both|researcher)
          kinds: [interview]         # ... these transcript kinds (interview|focus_group)

A code whose rules hold only ``speakers``/``perspectives``/``kinds`` codes every whole turn that
passes them; otherwise those filters restrict where its keywords and regexes apply. Within a
filter values are alternatives; different filters must all hold.

Tables of a :class:`Codebook`:

``codes`` (:data:`CODE_COLUMNS`)
    code_id, name, parent (``<NA>`` for a root), level, definition, anchor_example (the anchor
    examples joined by newlines), coding_rule, color; in file order.
``rules`` (:data:`RULE_COLUMNS`)
    code_id, rule (keyword | regex | speaker | perspective | kind), value; in file order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.core.errors import InputError
from dsr_workbench.core.yamlio import YamlDoc, load_yaml, parse_yaml

__all__ = [
    "CODE_COLUMNS",
    "DIFF_COLUMNS",
    "KINDS",
    "PERSPECTIVES",
    "RULE_COLUMNS",
    "Codebook",
    "codebook_diff",
    "load_codebook",
    "parse_codebook",
]

CODE_COLUMNS: list[str] = [
    "code_id",
    "name",
    "parent",
    "level",
    "definition",
    "anchor_example",
    "coding_rule",
    "color",
]
"""Columns of :attr:`Codebook.codes`."""

RULE_COLUMNS: list[str] = ["code_id", "rule", "value"]
"""Columns of :attr:`Codebook.rules`."""

DIFF_COLUMNS: list[str] = ["change", "code_id", "field", "old", "new"]
"""Columns of :func:`codebook_diff`."""

PERSPECTIVES: tuple[str, ...] = ("client", "cmo", "both", "researcher")
"""Perspectives a rule may name (those of the ``turns`` table)."""

KINDS: tuple[str, ...] = ("interview", "focus_group")
"""Transcript kinds a rule may name."""

_TOP_KEYS = {"title", "version", "description", "codes"}
_CODE_KEYS = {
    "id",
    "name",
    "parent",
    "level",
    "definition",
    "anchor_examples",
    "coding_rule",
    "color",
    "rules",
}
# YAML key -> rule name in the ``rules`` table
_RULE_KEYS = {
    "keywords": "keyword",
    "phrases": "keyword",
    "regex": "regex",
    "speakers": "speaker",
    "perspectives": "perspective",
    "kinds": "kind",
}
_ID = re.compile(r"^[\w.:-]+$")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class Codebook:
    """A validated codebook. Build it with :func:`load_codebook` or :func:`parse_codebook`.

    Attributes
    ----------
    codes
        One row per code, columns :data:`CODE_COLUMNS`.
    rules
        One row per auto-coding rule value, columns :data:`RULE_COLUMNS`.
    path
        The file it came from, if any.
    lines
        ``{code_id: line}``: the line of each code in the file (for messages).
    title, version
        From the file's header (may be ``None``).
    """

    codes: pd.DataFrame
    rules: pd.DataFrame
    path: Path | None = None
    lines: dict[str, int] = field(default_factory=dict, repr=False)
    title: str | None = None
    version: str | None = None

    def __contains__(self, code: object) -> bool:
        return code in self._parents

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def _parents(self) -> dict[str, str | None]:
        parents = self.codes["parent"].astype(object).where(self.codes["parent"].notna(), None)
        return dict(zip(self.codes["code_id"], parents, strict=True))

    def children(self, code: str) -> list[str]:
        """Return the direct children of ``code`` in file order."""
        self.require(code)
        return [c for c, p in self._parents.items() if p == code]

    def subtree(self, code: str) -> list[str]:
        """Return ``code`` and all its descendants, depth first, in file order.

        Examples
        --------
        >>> book = parse_codebook('''codes:
        ...   - {id: A, name: Root}
        ...   - {id: B, name: Child, parent: A}
        ...   - {id: C, name: Grandchild, parent: B}
        ...   - {id: D, name: Other}''')
        >>> book.subtree("A"), book.ancestors("C")
        (['A', 'B', 'C'], ['B', 'A'])
        """
        self.require(code)
        kids: dict[str | None, list[str]] = {}
        for c, p in self._parents.items():
            kids.setdefault(p, []).append(c)
        out: list[str] = []
        stack = [code]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(kids.get(node, [])))
        return out

    def ancestors(self, code: str) -> list[str]:
        """Return the parent, grandparent, ... of ``code`` (nearest first)."""
        self.require(code)
        parents = self._parents
        out: list[str] = []
        node = parents[code]
        while node is not None:
            out.append(node)
            node = parents[node]
        return out

    def depth(self) -> pd.Series:
        """Return the depth of every code (0 for a root), indexed by code_id."""
        return pd.Series(
            {c: len(self.ancestors(c)) for c in self.codes["code_id"]}, dtype="int64", name="depth"
        )

    def require(self, code: str) -> None:
        """Raise :class:`InputError` if ``code`` is not a code id of this codebook."""
        if code not in self:
            raise InputError(
                f"unknown code id {code!r}",
                path=self.path,
                hint=_suggest(code, list(self.codes["code_id"])),
            )


def _suggest(code: object, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(code), known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "use a code id from the codebook"


class _Problems:
    """Collects validation problems; raises the first (in file order) with a count."""

    def __init__(self, doc: YamlDoc, source: str | Path) -> None:
        self.doc = doc
        self.source = source
        self.items: list[tuple[int, str, str]] = []

    def add(self, key: str, message: str, hint: str) -> None:
        self.items.append((self.doc.line(key) or 0, message, hint))

    def raise_first(self) -> None:
        if not self.items:
            return
        line, message, hint = sorted(self.items, key=lambda item: item[0])[0]
        more = len(self.items) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise InputError(message, path=self.source, line=line or None, hint=hint)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _as_list(value: Any) -> list[Any] | None:
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list):
        return value
    return None


def _bad_keyword(word: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and not ch.isspace() for ch in word)


def parse_codebook(text: str, source: str | Path = "<string>") -> Codebook:
    """Parse and validate codebook YAML text; see :func:`load_codebook`.

    Examples
    --------
    >>> book = parse_codebook('''codes:
    ...   - {id: REL, name: Relational governance, level: dimension}
    ...   - {id: TRUST, name: Trust, parent: REL, level: theme,
    ...      rules: {keywords: [trust, open book], perspectives: [client]}}''')
    >>> book.codes[["code_id", "name", "parent", "level"]]
      code_id                   name parent      level
    0     REL  Relational governance    NaN  dimension
    1   TRUST                  Trust    REL      theme
    >>> book.rules
      code_id         rule      value
    0   TRUST      keyword      trust
    1   TRUST      keyword  open book
    2   TRUST  perspective     client
    """
    return _build(parse_yaml(text, source), source)


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook file (``data/codebook.yaml``).

    Parameters
    ----------
    path
        The YAML file; its format is described in the module docstring.

    Returns
    -------
    Codebook
        ``codes`` and ``rules`` tables (columns :data:`CODE_COLUMNS`, :data:`RULE_COLUMNS`).

    Raises
    ------
    InputError
        The file is not valid YAML or repeats a key; an unknown key; a missing or duplicate
        id; a parent that is not a code; a cycle of parents; a regex that does not compile; an
        empty keyword; an unknown perspective or kind; a colour that is not ``#rrggbb``. The
        message names the code and the line; with several problems, the first in the file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codebook.yaml"
    >>> _ = path.write_text("codes:\\n  - {id: A, name: Alpha}\\n  - {id: A, name: Again}\\n")
    >>> load_codebook(path)
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: .../codebook.yaml:3: code 'A' is defined twice (first at line 2) (fix: give each code its own id)
    """
    path = Path(path)
    return _build(load_yaml(path), path)


def _build(doc: YamlDoc, source: str | Path) -> Codebook:
    data = doc.data
    if not isinstance(data, dict) or "codes" not in data:
        raise InputError(
            "a codebook is a mapping with a 'codes' list",
            path=source,
            line=doc.line(""),
            hint="start the file with 'codes:'",
        )
    problems = _Problems(doc, source)
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(
                str(key), f"unknown key {key!r}", f"allowed: {', '.join(sorted(_TOP_KEYS))}"
            )
    entries = data["codes"]
    if not isinstance(entries, list):
        problems.add("codes", "'codes' must be a list of codes", "write '- id: ...' items")
        entries = []
    codes: list[dict[str, Any]] = []
    rules: list[tuple[str, str, str]] = []
    lines: dict[str, int] = {}
    for i, entry in enumerate(entries):
        where = f"codes[{i}]"
        if not isinstance(entry, dict):
            problems.add(where, f"code #{i + 1} is not a mapping", "write 'id: ..., name: ...'")
            continue
        code_id = _text(entry.get("id"))
        label = f"code {code_id!r}" if code_id else f"code #{i + 1}"
        for key in entry:
            if key not in _CODE_KEYS:
                problems.add(
                    f"{where}.{key}",
                    f"{label}: unknown key {key!r}",
                    f"allowed: {', '.join(sorted(_CODE_KEYS))}",
                )
        if not code_id:
            problems.add(where, f"{label} has no id", "add 'id: SHORT_ID'")
            continue
        if not _ID.match(code_id):
            problems.add(
                f"{where}.id",
                f"{label}: id must be letters, digits, _ . : or -",
                "remove spaces and other characters from the id",
            )
        if code_id in lines:
            problems.add(
                f"{where}.id",
                f"{label} is defined twice (first at line {lines[code_id]})",
                "give each code its own id",
            )
            continue
        lines[code_id] = doc.line(where) or 0
        row: dict[str, Any] = {"code_id": code_id}
        for key in ("name", "parent", "level", "definition", "coding_rule", "color"):
            value = entry.get(key)
            row[key] = _text(value)
            if value is not None and row[key] is None:
                problems.add(f"{where}.{key}", f"{label}: {key} must be text", "quote it")
        row["name"] = row["name"] or code_id
        color = row["color"]
        if color and not _COLOR.match(color):
            problems.add(
                f"{where}.color",
                f"{label}: colour {color!r} is not #rrggbb",
                'write a hex colour such as "#4C72B0" (quoted)',
            )
        examples = _as_list(entry.get("anchor_examples"))
        if examples is None:
            problems.add(
                f"{where}.anchor_examples",
                f"{label}: anchor_examples must be a list",
                "write a list of quotes",
            )
            examples = []
        row["anchor_example"] = "\n".join(str(x).strip() for x in examples) or None
        codes.append(row)
        rules.extend(_rules(entry.get("rules"), f"{where}.rules", code_id, label, problems))
    table = pd.DataFrame(codes, columns=CODE_COLUMNS)
    _check_tree(codes, entries, lines, problems)
    problems.raise_first()
    return Codebook(
        codes=table,
        rules=pd.DataFrame(rules, columns=RULE_COLUMNS),
        path=None if str(source) == "<string>" else Path(source),
        lines=lines,
        title=_text(data.get("title")),
        version=_text(data.get("version")),
    )


def _rules(
    spec: Any, where: str, code_id: str, label: str, problems: _Problems
) -> list[tuple[str, str, str]]:
    if spec is None:
        return []
    if not isinstance(spec, dict):
        problems.add(
            where, f"{label}: rules must be a mapping", f"use keys {', '.join(sorted(_RULE_KEYS))}"
        )
        return []
    out: list[tuple[str, str, str]] = []
    for key, values in spec.items():
        rule = _RULE_KEYS.get(key)
        if rule is None:
            problems.add(
                f"{where}.{key}",
                f"{label}: unknown rule {key!r}",
                f"allowed: {', '.join(sorted(_RULE_KEYS))}",
            )
            continue
        items = _as_list(values)
        if items is None:
            problems.add(f"{where}.{key}", f"{label}: {key} must be a list", "write [a, b]")
            continue
        for j, raw in enumerate(items):
            at = f"{where}.{key}[{j}]" if isinstance(values, list) else f"{where}.{key}"
            value = _text(raw) if rule != "regex" else (raw if isinstance(raw, str) else None)
            if not value or not value.strip():
                problems.add(
                    at, f"{label}: empty or non-text entry in {key}", "remove it or write the text"
                )
                continue
            if rule == "keyword" and _bad_keyword(value):
                problems.add(
                    at,
                    f"{label}: keyword {value!r} holds a control character",
                    "remove the control character",
                )
                continue
            if rule == "regex":
                try:
                    re.compile(value, re.IGNORECASE)
                except re.error as exc:
                    problems.add(
                        at,
                        f"{label}: regex {value!r} does not compile: {exc}",
                        "fix the pattern (Python 're' syntax; quote it in YAML)",
                    )
                    continue
            if rule == "perspective" and value not in PERSPECTIVES:
                problems.add(
                    at,
                    f"{label}: unknown perspective {value!r}",
                    f"use one of {', '.join(PERSPECTIVES)}",
                )
                continue
            if rule == "kind" and value not in KINDS:
                problems.add(
                    at,
                    f"{label}: unknown transcript kind {value!r}",
                    f"use one of {', '.join(KINDS)}",
                )
                continue
            out.append((code_id, rule, value))
    return out


def _check_tree(
    codes: list[dict[str, Any]], entries: list[Any], lines: dict[str, int], problems: _Problems
) -> None:
    index = {row["code_id"]: i for i, row in enumerate(codes)}
    parents = {row["code_id"]: row["parent"] for row in codes}
    position: dict[str, int] = {}
    for i, entry in enumerate(entries):
        code = _text(entry.get("id")) if isinstance(entry, dict) else None
        if code is not None and code in lines:
            position.setdefault(code, i)
    for code, parent in parents.items():
        if parent is not None and parent not in index:
            problems.add(
                f"codes[{position[code]}].parent",
                f"code {code!r}: parent {parent!r} is not a code",
                _suggest(parent, list(index)),
            )
    reported: set[str] = set()
    for code in index:
        path = [code]
        node = parents.get(code)
        while node is not None and node in index and node not in path:
            path.append(node)
            node = parents.get(node)
        if node is not None and node in path and node not in reported:
            loop = path[path.index(node) :] + [node]
            reported.update(loop)
            first = min(loop[:-1], key=lambda c: position[c])
            problems.add(
                f"codes[{position[first]}].parent",
                f"code {first!r}: parents form a cycle {' -> '.join(loop)}",
                "make one of these codes a root or give it another parent",
            )


def _rules_text(rules: pd.DataFrame) -> pd.Series:
    if rules.empty:
        return pd.Series(dtype=object)
    return rules.groupby("code_id", sort=False).apply(
        lambda g: "; ".join(f"{r}: {v}" for r, v in zip(g["rule"], g["value"], strict=True)),
        include_groups=False,
    )


def codebook_diff(old: Codebook, new: Codebook) -> pd.DataFrame:
    """List what changed between two versions of a codebook (e.g. from one cycle to the next).

    Codes are matched by id. ``renamed``: the name changed; ``moved``: the parent changed;
    ``redefined``: the level, definition, anchor examples, coding rule or auto-coding rules
    changed (one row per field). Colours are ignored.

    Parameters
    ----------
    old, new
        Two codebooks.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DIFF_COLUMNS`: change (added | removed | renamed | moved | redefined),
        code_id, field (the changed field; ``<NA>`` for added/removed), old, new (the old and
        new value; the code's name for added/removed). Sorted by change, then code id.

    Examples
    --------
    >>> v1 = parse_codebook('''codes:
    ...   - {id: A, name: Trust}
    ...   - {id: B, name: Audits, parent: A, definition: Quality audits}
    ...   - {id: C, name: Price}''')
    >>> v2 = parse_codebook('''codes:
    ...   - {id: A, name: Trust and openness}
    ...   - {id: B, name: Audits, definition: Audits by the client's QA}
    ...   - {id: D, name: Capacity}''')
    >>> codebook_diff(v1, v2)
          change code_id       field              old                        new
    0      added       D         NaN              NaN                   Capacity
    1    removed       C         NaN            Price                        NaN
    2    renamed       A        name            Trust         Trust and openness
    3      moved       B      parent                A                        NaN
    4  redefined       B  definition   Quality audits  Audits by the client's QA
    """
    a = old.codes.set_index("code_id").assign(rules=_rules_text(old.rules))
    b = new.codes.set_index("code_id").assign(rules=_rules_text(new.rules))
    rows: list[tuple[Any, ...]] = []
    for code in b.index.difference(a.index, sort=False):
        rows.append(("added", code, None, None, b.at[code, "name"]))
    for code in a.index.difference(b.index, sort=False):
        rows.append(("removed", code, None, a.at[code, "name"], None))
    kinds = [
        ("renamed", "name"),
        ("moved", "parent"),
        ("redefined", "level"),
        ("redefined", "definition"),
        ("redefined", "anchor_example"),
        ("redefined", "coding_rule"),
        ("redefined", "rules"),
    ]
    for code in a.index.intersection(b.index, sort=False):
        for change, col in kinds:
            x, y = _value(a.at[code, col]), _value(b.at[code, col])
            if x != y:
                rows.append((change, code, col, x, y))
    order = {"added": 0, "removed": 1, "renamed": 2, "moved": 3, "redefined": 4}
    rows.sort(key=lambda r: (order[r[0]], str(r[1])))
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def _value(x: Any) -> str | None:
    return None if x is None or (not isinstance(x, str) and pd.isna(x)) else str(x)
