"""Read REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``) written by any tool.

:func:`read_qdpx` opens the archive safely (:mod:`dsr_workbench.refi.safety`), parses
``project.qde`` with ``defusedxml``, resolves every GUID reference, reads each text source's
plain text (``internal://``, relative, absolute or bare paths, or inline ``PlainTextContent``),
detects each source's position convention and places its codings
(:mod:`dsr_workbench.refi.positions`). The result is a
:class:`~dsr_workbench.refi.model.QdpxProject` of tidy tables.

Refused with a one-line :class:`~dsr_workbench.core.errors.InputError`: an unsafe archive, XML with
a DTD or entities, a root that is not ``Project``, a missing ``project.qde``, a note file that
is not in the archive, a source file that is not in the archive when no ``.docx`` of the source
is either, a hostile or damaged ``.docx``, a plain text that is not UTF-8, an object without a
GUID or
two objects with one GUID, and a reference (``CodeRef``, ``NoteRef``, ``SourceRef``,
``SelectionRef``, ``VariableRef``, ``creatingUser`` of a source, selection or coding) to a GUID
that is not defined, and a ``startPosition`` or ``endPosition`` that is not a whole number
from 0 (``1e30``, ``NaN``, ``-5``, more than 18 digits), naming the selection and its line.
Codings whose place the file cannot confirm are placed and marked ``unverified`` (see
:mod:`dsr_workbench.refi.positions`); codings that cannot be placed at all (positions past the
text, a start after its end, an empty selection) are not refused: they are listed in
``problems``. A source whose plain text is empty or missing is read from its ``.docx``
(:mod:`dsr_workbench.refi.richtext`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pandas as pd

from dsr_workbench.coding.events import _CODER
from dsr_workbench.core.errors import InputError
from dsr_workbench.refi.codebook import slug, unique
from dsr_workbench.refi.model import (
    CASE_COLUMNS,
    CODING_COLUMNS,
    NOTE_COLUMNS,
    PROBLEM_COLUMNS,
    SOURCE_COLUMNS,
    USER_COLUMNS,
    VARIABLE_COLUMNS,
    QdpxProject,
)
from dsr_workbench.refi.positions import place_selections
from dsr_workbench.refi.qdaxml import (
    GuidRegistry,
    kid,
    kid_text,
    kids,
    local,
    norm_guid,
    parse_codes,
    parse_sets,
    plain_text,
    timestamp,
)
from dsr_workbench.refi.richtext import source_text
from dsr_workbench.refi.safety import MAX_XML_FILE_SIZE, SafeArchive, parse_xml

__all__ = ["QdpxProject", "read_qdc", "read_qdpx"]


def read_qdpx(path: str | Path) -> QdpxProject:
    """Read a REFI-QDA project (``.qdpx``) written by any tool.

    Parameters
    ----------
    path
        The ``.qdpx`` archive.

    Returns
    -------
    QdpxProject
        Sources, codes, codings placed in our code-point offsets (``text[start:end] ==
        quote`` for every coding), users, cases, variables, notes, and the codings that could
        not be placed (``problems``).

    Raises
    ------
    InputError
        See the module docstring.

    Examples
    --------
    >>> import pathlib, tempfile, zipfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.qdpx"
    >>> qde = '''<Project xmlns="urn:QDA-XML:project:1.0" name="p">
    ...  <Users><User guid="00000000-0000-0000-0000-00000000000a" name="Kim"/></Users>
    ...  <CodeBook><Codes><Code guid="00000000-0000-0000-0000-000000000001" name="Trust"
    ...    isCodable="true"/></Codes></CodeBook>
    ...  <Sources><TextSource guid="00000000-0000-0000-0000-000000000002" name="I01"
    ...    plainTextPath="internal://I01.txt">
    ...   <PlainTextSelection guid="00000000-0000-0000-0000-000000000003" startPosition="8"
    ...     endPosition="13"><Coding guid="00000000-0000-0000-0000-000000000004"
    ...     creatingUser="00000000-0000-0000-0000-00000000000a"><CodeRef
    ...     targetGUID="00000000-0000-0000-0000-000000000001"/></Coding></PlainTextSelection>
    ...  </TextSource></Sources></Project>'''
    >>> with zipfile.ZipFile(path, "w") as z:
    ...     z.writestr("project.qde", qde)
    ...     z.writestr("Sources/I01.txt", "Ana: We trust them.")
    >>> p = read_qdpx(path)
    >>> p.codings[["source_id", "start", "end", "code_id", "coder", "quote"]]
                                  source_id  start  end code_id coder  quote
    0  00000000-0000-0000-0000-000000000002      8   13   Trust   Kim  trust
    """
    path = Path(path)
    with SafeArchive.open(path) as archive:
        names = [n for n in archive.names if n.lower().endswith(".qde")]
        main = "project.qde" if "project.qde" in names else (names[0] if len(names) == 1 else None)
        if main is None:
            raise InputError(
                "the archive has no project.qde"
                if not names
                else "the archive has several .qde files",
                path=path,
                hint="a .qdpx holds one project.qde and a Sources folder; export it again",
            )
        where = f"{path}:{main}"
        lines: dict[int, int] = {}
        root = parse_xml(archive.read(main), where, lines)
        if local(root.tag) != "Project":
            raise InputError(
                f"root element is {local(root.tag)!r}, not 'Project'",
                path=where,
                hint="this is not a REFI-QDA project",
            )
        return _Reader(root, archive, GuidRegistry(where), path, lines).project()


def read_qdc(path: str | Path) -> QdpxProject:
    """Read a REFI-QDA codebook (``.qdc``): only ``codes`` and ``rules`` are filled.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "c.qdc"
    >>> _ = path.write_text('''<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
    ...  <Code guid="00000000-0000-0000-0000-000000000001" name="Relations" isCodable="true">
    ...   <Code guid="00000000-0000-0000-0000-000000000002" name="Trust" isCodable="true"/>
    ...  </Code></Codes></CodeBook>''')
    >>> read_qdc(path).codes[["code_id", "name", "parent"]]
         code_id       name     parent
    0  Relations  Relations        NaN
    1      Trust      Trust  Relations
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", path=path, hint="check the path") from None
    if size > MAX_XML_FILE_SIZE:
        raise InputError(
            f"codebook is {size:,} bytes, more than the limit of {MAX_XML_FILE_SIZE:,}",
            path=path,
            hint="this is not a codebook as tools write them",
        )
    root = parse_xml(path.read_bytes(), path)
    if local(root.tag) != "CodeBook":
        raise InputError(
            f"root element is {local(root.tag)!r}, not 'CodeBook'",
            path=path,
            hint="this is not a REFI-QDA codebook (.qdc)",
        )
    codes, rules, code_of = parse_codes(kid(root, "Codes"), GuidRegistry(str(path)))
    return QdpxProject(
        sources=pd.DataFrame(columns=SOURCE_COLUMNS),
        codes=codes,
        rules=rules,
        codings=pd.DataFrame(columns=CODING_COLUMNS),
        users=pd.DataFrame(columns=USER_COLUMNS),
        sets=parse_sets(kid(root, "Sets"), code_of),
        origin=root.get("origin"),
        path=path,
    )


_POSITION = re.compile(r"[0-9]{1,18}")
"""A selection position: a whole number of characters from 0 (18 digits fit 64 bits)."""


class _Reader:
    """Reads one ``project.qde``: first every GUID is registered, then references resolve."""

    def __init__(
        self,
        root: Element,
        archive: SafeArchive,
        reg: GuidRegistry,
        path: Path,
        lines: dict[int, int] | None = None,
    ):
        self.root, self.archive, self.reg, self.path = root, archive, reg, path
        self.lines = lines or {}
        self.coding_rows: list[dict[str, Any]] = []
        self.problems: list[dict[str, Any]] = []
        self.variables: list[tuple[str, str, str, str, str | None]] = []
        self.note_target: dict[str, tuple[str, str]] = {}

    def _all(self, parent: str, child: str) -> list[Element]:
        holder = kid(self.root, parent)
        return kids(holder, child) if holder is not None else []

    def project(self) -> QdpxProject:
        self.users = self._users()
        self.coder_of = dict(zip(self.users["user_id"], self.users["coder"], strict=True))
        book = kid(self.root, "CodeBook")
        codes_el = kid(book, "Codes") if book is not None else None
        codes, rules, self.code_of = parse_codes(codes_el, self.reg)
        self.var_meta = {}
        for el in self._all("Variables", "Variable"):
            guid = self.reg.define(el, "variable")
            self.var_meta[guid] = (
                (el.get("name") or guid).strip(),
                el.get("typeOfVariable") or "Text",
            )
        sources_el = kid(self.root, "Sources")
        sources = list(sources_el) if sources_el is not None else []
        for el in sources:
            self.reg.define(el, "source")
            for sub in el.iter():
                if sub is not el and local(sub.tag).endswith("Selection"):
                    self.reg.define(sub, "selection")
                elif local(sub.tag) == "Coding":
                    self.reg.define(sub, "coding")
        note_els = self._all("Notes", "Note")
        for el in note_els:
            self.reg.define(el, "note")
        case_els = self._all("Cases", "Case")
        for el in case_els:
            self.reg.define(el, "case")
        notes = self._notes(note_els)
        self.note_refs(self.root, "project")
        for code in codes_el.iter() if codes_el is not None else []:
            if local(code.tag) == "Code":
                self.note_refs(code, "code")
        source_rows = [row for el in sources if (row := self._source(el)) is not None]
        cases, members = self._cases(case_els)
        notes["target_id"] = notes["note_id"].map(lambda g: self.note_target.get(g, (None,))[0])
        notes["target"] = notes["note_id"].map(lambda g: self.note_target.get(g, (None, None))[1])
        codings = pd.DataFrame(self.coding_rows, columns=CODING_COLUMNS)
        codings = codings.astype({"start": "int64", "end": "int64"})
        codings["created_at"] = pd.to_datetime(codings["created_at"], utc=True)
        return QdpxProject(
            sources=pd.DataFrame(source_rows, columns=SOURCE_COLUMNS),
            codes=codes,
            rules=rules,
            codings=codings,
            users=self.users,
            cases=cases,
            case_sources=members,
            variables=pd.DataFrame(self.variables, columns=VARIABLE_COLUMNS),
            notes=notes[NOTE_COLUMNS],
            problems=pd.DataFrame(self.problems, columns=PROBLEM_COLUMNS),
            sets=parse_sets(kid(self.root, "Sets"), self.code_of),
            origin=self.root.get("origin"),
            name=self.root.get("name"),
            path=self.path,
        )

    def _users(self) -> pd.DataFrame:
        rows = []
        taken: set[str] = set()
        for el in self._all("Users", "User"):
            guid = self.reg.define(el, "user")
            name = (el.get("name") or "").strip() or None
            own = (el.get("id") or "").strip() or None
            fallback = f"user_{guid[:8]}"
            base = own if own and _CODER.match(own) else slug(name or own or "", fallback)
            coder = unique(base if _CODER.match(base) else fallback, taken)
            taken.add(coder)
            rows.append({"user_id": guid, "name": name, "id": own, "coder": coder})
        return pd.DataFrame(rows, columns=USER_COLUMNS)

    def _notes(self, note_els: list[Element]) -> pd.DataFrame:
        self.notes_text: dict[str, str] = {}
        rows = []
        for el in note_els:
            guid = norm_guid(el.get("guid")) or ""
            label = f"note {el.get('name')!r}"
            text = plain_text(el, self.archive, self.reg, label) or ""
            text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
            self.notes_text[guid] = text
            rows.append({"note_id": guid, "name": el.get("name"), "text": text})
        return pd.DataFrame(rows, columns=["note_id", "name", "text"])

    def note_refs(self, el: Element, kind: str) -> list[str]:
        """Resolve an element's NoteRefs; remember what each note is attached to."""
        refs = []
        for ref in kids(el, "NoteRef"):
            guid = self.reg.ref(ref.get("targetGUID"), ("note",), f"a NoteRef of a {kind}")
            if guid:
                refs.append(guid)
                self.note_target.setdefault(guid, (norm_guid(el.get("guid")) or "", kind))
        return refs

    def _values(self, el: Element, owner: str) -> None:
        for vv in kids(el, "VariableValue"):
            ref = kid(vv, "VariableRef")
            target = ref.get("targetGUID") if ref is not None else None
            guid = self.reg.ref(target, ("variable",), f"a VariableValue of a {owner}")
            if guid is None:
                continue
            value = next((c.text for c in vv if local(c.tag).endswith("Value")), None)
            name, kind = self.var_meta[guid]
            self.variables.append((norm_guid(el.get("guid")) or "", owner, name, kind, value))

    def _code_ref(self, coding: Element) -> str:
        ref = kid(coding, "CodeRef")
        guid = self.reg.ref(
            ref.get("targetGUID") if ref is not None else None, ("code",), "a Coding"
        )
        if guid is None:
            raise InputError(
                f"a Coding ({coding.get('guid')}) has no CodeRef",
                path=self.reg.where,
                hint="the file is incomplete; export it again",
            )
        return self.code_of[guid]

    def _codings(self, el: Element, user: str | None, kind: str) -> list[dict[str, Any]]:
        """code_id, coder, memo, created_at of an element's Coding children."""
        outer = self.note_refs(el, kind) if kind == "selection" else []
        out = []
        for coding in kids(el, "Coding"):
            code = self._code_ref(coding)
            who = self.reg.ref(
                coding.get("creatingUser"), ("user",), "the creatingUser of a Coding"
            )
            who = who or user
            memo = "\n\n".join(
                self.notes_text[g]
                for g in [*self.note_refs(coding, "coding"), *outer]
                if self.notes_text[g]
            )
            out.append(
                {
                    "code_id": code,
                    "coder": self.coder_of.get(who) if who else None,
                    "memo": memo or None,
                    "created_at": timestamp(
                        coding.get("creationDateTime"), el.get("creationDateTime")
                    ),
                }
            )
        return out

    def _problem(
        self, sid: str, sel: str | None, code: str | None, coder: Any, a: Any, b: Any, why: str
    ) -> None:
        self.problems.append(
            {
                "source_id": sid,
                "selection_id": sel,
                "code_id": code,
                "coder": coder,
                "start": a,
                "end": b,
                "problem": why,
            }
        )

    def _source(self, el: Element) -> dict[str, Any] | None:
        tag = local(el.tag)
        sid = norm_guid(el.get("guid")) or ""
        label = f"source {el.get('name') or sid!r}"
        got = source_text(el, self.archive, self.reg, label) if tag == "TextSource" else None
        raw = got.text if got is not None else None
        self.note_refs(el, "source")
        self._values(el, "source")
        user = self.reg.ref(el.get("creatingUser"), ("user",), f"the creatingUser of {label}")
        if raw is None:
            skip = (
                f"{label} is a {tag}; only text sources are read"
                if got is None
                else f"{label} has no plain text (plainTextPath or PlainTextContent)"
            )
            for coding in el.iter():
                if local(coding.tag) == "Coding":
                    self._problem(sid, None, self._code_ref(coding), None, None, None, skip)
            return None
        sels = kids(el, "PlainTextSelection")
        starts: list[int] = []
        ends: list[int] = []
        quotes: list[str | None] = []
        for sel in sels:
            starts.append(self._position(sel, "startPosition"))
            ends.append(self._position(sel, "endPosition"))
            quote = (sel.get("name") or "").strip() or (kid_text(sel, "Description") or "").strip()
            quotes.append(quote or None)
        ids = [norm_guid(sel.get("guid")) or "" for sel in sels]
        placed = place_selections(raw, starts, ends, quotes, ids)
        text = placed.text
        table = placed.table
        if got is not None and got.origin == "docx":  # positions into our extraction
            by = (table["verified"] == "convention").to_numpy()
            table.loc[by, "verified"] = "unverified"
            table.loc[by, "reason"] = (
                f"positions counted into the text of {got.member} (its plain text is missing "
                "or empty), which may differ from the exporter's plain text"
            )
        n_placed = 0
        for sel, row in zip(sels, table.itertuples(index=False), strict=True):
            who = self.reg.ref(
                sel.get("creatingUser"), ("user",), "the creatingUser of a selection"
            )
            why = None if pd.isna(row.problem) else str(row.problem)
            for found in self._codings(sel, who or user, "selection"):
                if why is not None:
                    at = (sel.get("startPosition"), sel.get("endPosition"))
                    self._problem(sid, row.selection, found["code_id"], found["coder"], *at, why)
                    continue
                s, e = int(row.start), int(row.end)
                self.coding_rows.append(
                    {
                        "source_id": sid,
                        "start": s,
                        "end": e,
                        "quote": text[s:e],
                        "selection_id": row.selection,
                        "verified": row.verified,
                        "reason": None if pd.isna(row.reason) else str(row.reason),
                        **found,
                    }
                )
                n_placed += 1
        for found in self._codings(el, user, "source"):
            if not text:
                self._problem(
                    sid, None, found["code_id"], found["coder"], None, None, f"{label} is empty"
                )
                continue
            self.coding_rows.append(
                {
                    "source_id": sid,
                    "start": 0,
                    "end": len(text),
                    "quote": text,
                    "selection_id": None,
                    "verified": "source",
                    "reason": None,
                    **found,
                }
            )
            n_placed += 1
        return {
            "source_id": sid,
            "name": el.get("name") or sid,
            "text": text,
            "convention": str(placed.convention) if placed.convention else None,
            "n_selections": len(sels),
            "n_placed": n_placed,
            "text_from": got.member if got is not None and got.origin == "docx" else None,
        }

    def _position(self, sel: Element, attr: str) -> int:
        """A selection's ``startPosition`` or ``endPosition``: a whole number from 0.

        A number that is no whole number (``1e30``, ``NaN``, ``1.5``), is negative, too large
        for 64 bits or missing is refused, naming the element and its line. A whole number
        past the source's text is no error here: the selection is listed as a problem and
        not imported (see :func:`~dsr_workbench.refi.positions.place_selections`).
        """
        value = sel.get(attr)
        text = (value or "").strip()
        if _POSITION.fullmatch(text):
            return int(text)
        shown = repr(value if value is None or len(value) <= 24 else value[:21] + "...")
        if value is None:
            what = f"has no {attr}"
        elif text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
            what = f"{attr} {shown} is negative"
        elif text.isascii() and text.isdigit():
            what = f"{attr} {shown} is too large ({len(text)} digits)"
        else:
            what = f"{attr} {shown} is not a whole number"
        raise InputError(
            f"PlainTextSelection {norm_guid(sel.get('guid'))} {what}",
            path=self.reg.where,
            line=self.lines.get(id(sel)),
            hint="positions count characters from 0 in whole numbers; the file is damaged or "
            "was not written by a REFI-QDA tool: export it again",
        )

    def _cases(self, case_els: list[Element]) -> tuple[pd.DataFrame, pd.DataFrame]:
        rows, members = [], []
        for el in case_els:
            guid = norm_guid(el.get("guid")) or ""
            rows.append([guid, el.get("name"), kid_text(el, "Description")])
            self.note_refs(el, "case")
            self._values(el, "case")
            for ref in kids(el, "SourceRef"):
                what = f"a SourceRef of case {el.get('name') or guid!r}"
                members.append([guid, self.reg.ref(ref.get("targetGUID"), ("source",), what)])
            for ref in kids(el, "SelectionRef"):
                what = f"a SelectionRef of case {el.get('name') or guid!r}"
                self.reg.ref(ref.get("targetGUID"), ("selection",), what)
        return (
            pd.DataFrame(rows, columns=CASE_COLUMNS),
            pd.DataFrame(members, columns=["case_id", "source_id"]),
        )
