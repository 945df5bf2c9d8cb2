"""Add a code to a codebook file, keeping its comments, layout and order.

The in-vivo gesture of the coding view (a new code named from the selected words) adds one
code to ``data/codebook.yaml``. The file is a document people edit by hand, with comments and
a chosen order, so it is never re-dumped: the new entry is inserted as text, in block style
at the indentation of the other entries, right after the last code of the parent's subtree
(or at the end of the list for a top-level code). The positions come from the YAML parser's
node marks, so flow-style entries, folded scalars and comments elsewhere stay byte for byte.

The edited text is validated with :func:`~dsr_workbench.coding.codebook.parse_codebook`
*before* the file is replaced (atomically, :func:`~dsr_workbench.core.atomic.atomic_write_text`);
an edit that would not validate is not written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from dsr_workbench.coding.codebook import Codebook, parse_codebook
from dsr_workbench.core.atomic import atomic_write_text
from dsr_workbench.core.errors import InputError
from dsr_workbench.core.yamlio import compose_node

__all__ = ["add_code", "new_code_id"]

_NOT_ID = re.compile(r"[^A-Za-z0-9]+")


def new_code_id(codebook: Codebook, name: str, width: int = 24) -> str:
    """An unused code id made from a name: upper case, ``_`` between words.

    Examples
    --------
    >>> book = parse_codebook("codes:\\n  - {id: OPEN_BOOK, name: Open book}")
    >>> new_code_id(book, "open book"), new_code_id(book, "we trust them!")
    ('OPEN_BOOK_2', 'WE_TRUST_THEM')
    """
    base = _NOT_ID.sub("_", name.strip()).strip("_").upper()[:width].strip("_") or "CODE"
    known = set(codebook.codes["code_id"])
    candidate, n = base, 1
    while candidate in known:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _entry(code_id: str, fields: dict[str, str | None], indent: int) -> str:
    pad = " " * indent
    lines = [f"{pad}- id: {json.dumps(code_id, ensure_ascii=False)}"]
    for key, value in fields.items():
        if value is not None:
            lines.append(f"{pad}  {key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def _insert_at(lines: list[str], start: int, stop: int) -> int:
    """The line index to insert before: ``stop``, moved back over the blank and comment lines
    that lead into the next entry (they belong to it)."""
    at = stop
    while at > start + 1 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
        at -= 1
    return at


def add_code(
    path: str | Path,
    name: str,
    *,
    code_id: str | None = None,
    parent: str | None = None,
    level: str | None = None,
    definition: str | None = None,
) -> tuple[Codebook, str]:
    """Add a code to a codebook file and return the new codebook and the code's id.

    Parameters
    ----------
    path
        The codebook file (``data/codebook.yaml``).
    name
        The new code's name (e.g. the selected words of an in-vivo code).
    code_id
        Its id (default: :func:`new_code_id` of the name).
    parent
        The parent code's id (``None``: a top-level code).
    level, definition
        Optional fields of the entry.

    Returns
    -------
    (Codebook, str)
        The validated codebook as written, and the new code's id.

    Raises
    ------
    InputError
        The file cannot be read or parsed, its ``codes`` is not a block list, the parent is
        not a code, the id is taken, or the edited codebook fails validation (nothing is
        written then).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codebook.yaml"
    >>> _ = path.write_text("# ours\\ncodes:\\n  - {id: REL, name: Relations}  # keep\\n"
    ...                     "  - {id: QA, name: Quality}\\n")
    >>> book, new = add_code(path, "open book", parent="REL")
    >>> print(path.read_text(), end="")
    # ours
    codes:
      - {id: REL, name: Relations}  # keep
      - id: "OPEN_BOOK"
        name: "open book"
        parent: "REL"
      - {id: QA, name: Quality}
    >>> new, book.codes.set_index("code_id").at["OPEN_BOOK", "parent"]
    ('OPEN_BOOK', 'REL')
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read the codebook: {exc.strerror}", path=path, hint="check the file"
        ) from None
    book = parse_codebook(text, source=path)
    name = " ".join(str(name).split())
    if not name:
        raise InputError("the new code has no name", path=path, hint="select some words")
    code_id = code_id or new_code_id(book, name)
    if code_id in book:
        raise InputError(
            f"code id {code_id!r} is already in the codebook", path=path, hint="pick another id"
        )
    if parent is not None and parent not in book:
        book.require(parent)  # raises with a did-you-mean hint
    node = compose_node(text)
    codes = (
        next((v for k, v in node.value if getattr(k, "value", None) == "codes"), None)
        if isinstance(node, yaml.MappingNode)
        else None
    )
    if not isinstance(codes, yaml.SequenceNode) or codes.flow_style or not codes.value:
        raise InputError(
            "the codebook's 'codes' is not a block list of entries",
            path=path,
            key="codes",
            hint="write codes as '- id: ...' entries, one per item, then add the code again",
        )
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    items = codes.value
    ids = list(book.codes["code_id"])
    last = len(items) - 1
    if parent is not None:
        family = set(book.subtree(parent))
        last = max(i for i, code in enumerate(ids) if code in family)
    first_line = items[last].start_mark.line
    dash = lines[first_line]
    indent = len(dash) - len(dash.lstrip())
    if last + 1 < len(items):
        stop = items[last + 1].start_mark.line
    else:
        stop = codes.end_mark.line + (1 if codes.end_mark.column else 0)
        stop = min(max(stop, first_line + 1), len(lines))
    at = _insert_at(lines, first_line, stop)
    entry = _entry(
        code_id, {"name": name, "parent": parent, "level": level, "definition": definition}, indent
    )
    new_text = "".join(lines[:at]) + entry + "".join(lines[at:])
    new_book = parse_codebook(new_text, source=path)  # validate before anything is written
    if code_id not in new_book:  # pragma: no cover - the insertion landed outside 'codes'
        raise InputError("the new code did not land in 'codes'", path=path, hint="add it by hand")
    atomic_write_text(path, new_text)
    return new_book, code_id
