"""Merge an imported codebook into the study's ``data/codebook.yaml``.

:func:`merge_codes` matches each imported code to one of ours — by GUID (our exports derive it
from the id), by its ``Code ID`` line, or by name (case-insensitive, when unique) — and never
changes a matched code: differences in name, parent or definition are reported as conflicts.
Unmatched codes are new; :func:`append_codes` appends them to the codebook file *as text*,
below a comment naming the source, so every existing line and comment stays as it was, and
checks that the result parses to the old codes followed by the new ones.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from dsr_workbench.coding.codebook import Codebook, parse_codebook
from dsr_workbench.core.errors import DsrError
from dsr_workbench.core.yamlio import parse_yaml
from dsr_workbench.refi.codebook import code_guid, unique
from dsr_workbench.refi.model import QdpxProject

__all__ = ["CODE_PLAN_COLUMNS", "append_codes", "merge_codes"]

CODE_PLAN_COLUMNS = ["code_id", "name", "action", "study_code", "detail"]
"""Columns of the plan rows of :func:`merge_codes`; action is ``existing``, ``conflict`` or
``new``; study_code is the code's id in the study; detail explains a conflict or a new id."""

_RULE_KEYS = {
    "keyword": "keywords",
    "regex": "regex",
    "speaker": "speakers",
    "perspective": "perspectives",
    "kind": "kinds",
}


def _norm(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return " ".join(str(value).split()) or None


def merge_codes(
    project: QdpxProject, book: Codebook | None
) -> tuple[pd.DataFrame, dict[str, str], list[dict[str, Any]]]:
    """Match an imported codebook with ours (see the module docstring); change nothing.

    Parameters
    ----------
    project
        The imported file (its ``codes`` and ``rules``), parents before children.
    book
        The study's codebook, or ``None`` if it has none.

    Returns
    -------
    plan, mapping, entries
        One row per imported code (:data:`CODE_PLAN_COLUMNS`); ``{imported code_id: study
        code_id}``; the new codes as codebook entries (``{"id": ..., "name": ...}``) to append.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> from dsr_workbench.refi.read import read_qdc
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "theirs.qdc"
    >>> _ = path.write_text('''<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
    ...   <Code guid="00000000-0000-0000-0000-000000000001" name="Trust" isCodable="true">
    ...   <Code guid="00000000-0000-0000-0000-000000000002" name="Open book" isCodable="true"/>
    ...   </Code></Codes></CodeBook>''')
    >>> ours = parse_codebook("codes:\\n  - {id: TRUST, name: Trust}")
    >>> plan, mapping, entries = merge_codes(read_qdc(path), ours)
    >>> plan[["code_id", "action", "study_code"]]
         code_id    action study_code
    0      Trust  existing      TRUST
    1  Open_book       new  Open_book
    >>> entries
    [{'id': 'Open_book', 'name': 'Open book', 'parent': 'TRUST'}]
    """
    existing = book.codes if book is not None else pd.DataFrame(columns=["code_id", "name"])
    ids = list(existing["code_id"])
    by_guid = {code_guid(c): c for c in ids}
    by_name: dict[str, list[str]] = {}
    for code, name in zip(existing["code_id"], existing["name"], strict=True):
        by_name.setdefault(str(name).casefold().strip(), []).append(code)
    rows_of = {r["code_id"]: r for r in existing.to_dict("records")}
    taken = set(ids)
    mapping: dict[str, str] = {}
    plan, entries = [], []
    rules = project.rules.groupby("code_id", sort=False) if len(project.rules) else None
    rule_map = {c: g for c, g in rules} if rules is not None else {}
    for code in project.codes.to_dict("records"):
        cid, name = code["code_id"], code["name"]
        parent = mapping.get(code["parent"]) if _norm(code["parent"]) else None
        match = by_guid.get(code["guid"])
        if match is None and cid in rows_of:
            same_name = str(rows_of[cid]["name"]).casefold() == str(name).casefold()
            if same_name or code["id_from"] == "description":
                match = cid
        if match is None:
            hits = by_name.get(str(name).casefold().strip(), [])
            match = hits[0] if len(hits) == 1 else None
        if match is not None:
            mapping[cid] = match
            ours = rows_of[match]
            diffs = []
            if _norm(ours["name"]) != _norm(name):
                diffs.append(f"named {ours['name']!r} here, {name!r} there")
            if _norm(ours["parent"]) != parent:
                diffs.append(f"parent {ours['parent']!r} here, {parent!r} there")
            theirs = _norm(code["definition"])
            if theirs is not None and _norm(ours["definition"]) != theirs:
                diffs.append("the definitions differ")
            plan.append(
                {
                    "code_id": cid,
                    "name": name,
                    "action": "conflict" if diffs else "existing",
                    "study_code": match,
                    "detail": "; ".join(diffs) + " (kept ours)" if diffs else None,
                }
            )
            continue
        new_id = unique(cid, taken)
        taken.add(new_id)
        mapping[cid] = new_id
        entry: dict[str, Any] = {"id": new_id, "name": str(name)}
        if parent:
            entry["parent"] = parent
        for key in ("level", "definition"):
            if _norm(code[key]):
                entry[key] = str(code[key]).strip()
        if _norm(code["anchor_example"]):
            entry["anchor_examples"] = str(code["anchor_example"]).split("\n")
        for key in ("coding_rule", "color"):
            if _norm(code[key]):
                entry[key] = str(code[key]).strip()
        if cid in rule_map:
            spec: dict[str, list[str]] = {}
            for rule, value in zip(rule_map[cid]["rule"], rule_map[cid]["value"], strict=True):
                spec.setdefault(_RULE_KEYS[rule], []).append(str(value))
            entry["rules"] = spec
        entries.append(entry)
        detail = None if new_id == cid else f"id {cid!r} is taken here"
        plan.append(
            {"code_id": cid, "name": name, "action": "new", "study_code": new_id, "detail": detail}
        )
    return pd.DataFrame(plan, columns=CODE_PLAN_COLUMNS), mapping, entries


def append_codes(path: Path, before: str | None, entries: list[dict[str, Any]], origin: str) -> str:
    """Return the codebook file's text with ``entries`` appended to its ``codes`` list.

    Parameters
    ----------
    path
        The codebook file (for messages).
    before
        Its current text, or ``None`` if it does not exist (a new file is started).
    entries
        New codes, as from :func:`merge_codes`.
    origin
        What they came from (written in a comment above them).

    Raises
    ------
    DsrError
        ``codes`` is not the file's last section, or not a block list; or the result would
        not parse to the old codes followed by the new ones.

    Examples
    --------
    >>> before = "# our codes\\ncodes:\\n  - id: A   # first\\n    name: Alpha\\n"
    >>> after = append_codes(Path("codebook.yaml"), before,
    ...                      [{"id": "B", "name": "Beta", "parent": "A"}], "theirs.qdc")
    >>> print(after)  # doctest: +ELLIPSIS
    # our codes
    codes:
      - id: A   # first
        name: Alpha
      # imported from theirs.qdc on ...
      - id: B
        name: Beta
        parent: A
    <BLANKLINE>
    """
    today = dt.date.today()
    if before is None:
        head = (
            "# The study's codebook (see dsr_workbench.coding.codebook for the format).\ncodes:\n"
        )
        indent, text = "  ", head
    else:
        doc = parse_yaml(before, path)
        data = doc.data if isinstance(doc.data, dict) else {}
        codes = data.get("codes")
        if not isinstance(codes, list) or not codes or list(data)[-1] != "codes":
            raise DsrError(
                "cannot append the new codes: 'codes' must be the last section of the file "
                "and a non-empty block list",
                path=path,
                hint="move 'codes:' to the end of the file, or add the codes by hand",
            )
        line = before.split("\n")[(doc.line("codes[0]") or 1) - 1]
        indent = line[: len(line) - len(line.lstrip())]
        if not line.lstrip().startswith("-"):
            raise DsrError(
                "cannot append the new codes: 'codes' is not a block list ('- id: ...')",
                path=path,
                hint="write one '- id: ...' item per line, or add the codes by hand",
            )
        text = before if before.endswith("\n") else before + "\n"
    block = [f"{indent}# imported from {origin} on {today}"]
    for entry in entries:
        dumped = yaml.safe_dump(
            entry, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10**6
        ).rstrip("\n")
        for i, part in enumerate(dumped.split("\n")):
            block.append(f"{indent}{'- ' if i == 0 else '  '}{part}")
    after = text + "\n".join(block) + "\n"
    old = parse_codebook(before, path) if before is not None else None
    new = parse_codebook(after, path)
    expected = [*([] if old is None else list(old.codes["code_id"])), *(e["id"] for e in entries)]
    if list(new.codes["code_id"]) != expected:
        raise DsrError(
            "appending the new codes would change existing ones",
            path=path,
            hint="move 'codes:' to the end of the file, or add the codes by hand",
        )
    return after
