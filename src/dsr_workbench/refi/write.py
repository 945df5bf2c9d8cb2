"""Write the codebook as a REFI-QDA codebook (``.qdc``) and the study as a project (``.qdpx``).

The project holds

- every transcript as a text source: its *normalised text* (:mod:`dsr_workbench.corpus.read`) in
  ``Sources/<guid>.txt`` (UTF-8, LF), with variables Kind, Date and Cycle;
- the codebook with its hierarchy; each code's description carries its definition and our
  other fields (:mod:`dsr_workbench.refi.codebook`);
- the coders as users (``id`` the coder, ``name`` the pseudonym if the coder is a researcher);
- every current coding as a ``PlainTextSelection`` in Unicode code points, end exclusive (the
  standard), with the quote as the selection's name, so an importer can check the position;
  a coding's memo becomes a note;
- organisations and participants as cases, with variables ID, Case type, Perspective,
  Organisation and Role, linked to the transcripts in which they speak.

GUIDs are derived from ids (version-5 UUIDs) and the archive's timestamps are fixed, so the
same study gives the same bytes. Both files validate against the REFI-QDA 1.0 schemas.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import pandas as pd

from dsr_workbench import __version__
from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.core.atomic import atomic_write_bytes
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.study import Study
from dsr_workbench.refi.codebook import code_guid, describe_code, guid_for

__all__ = [
    "CODEBOOK_NS",
    "ORIGIN",
    "PROJECT_NS",
    "SKIPPED_COLUMNS",
    "ExportReport",
    "codebook_qdc",
    "export_qdc",
    "export_qdpx",
    "project_qdpx",
    "write_qdc",
]

PROJECT_NS = "urn:QDA-XML:project:1.0"
"""Namespace of ``project.qde``."""
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
"""Namespace of a ``.qdc`` codebook."""
ORIGIN = f"dsr-workbench {__version__}"
"""The ``origin`` we write."""

SKIPPED_COLUMNS = ["coding_id", "transcript_id", "code_id", "coder", "reason"]
"""Columns of :attr:`ExportReport.skipped`."""

_CODING_FIELDS = [
    "coding_id",
    "transcript_id",
    "start",
    "end",
    "quote",
    "code_id",
    "coder",
    "created_at",
    "memo",
]
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass
class ExportReport:
    """What an export wrote.

    Attributes
    ----------
    path
        The file written.
    counts
        ``{"sources": n, "codes": n, "codings": n, "users": n, "cases": n, "notes": n}``.
    skipped
        Codings left out and why (:data:`SKIPPED_COLUMNS`).
    """

    path: Path
    counts: dict[str, int]
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))


def _safe(text: object) -> str:
    return _BAD_XML.sub("\ufffd", str(text))


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _stamp(value: Any) -> str | None:
    if _missing(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _codes_xml(parent: Element, codebook: Codebook) -> int:
    """Append the codebook's ``Code`` tree to ``parent``; return the number of codes."""
    codes = codebook.codes
    rules: dict[str, list[tuple[str, str]]] = {}
    for code, rule, value in codebook.rules[["code_id", "rule", "value"]].itertuples(index=False):
        rules.setdefault(code, []).append((rule, value))
    elements: dict[str, Element] = {}
    rows = {row["code_id"]: row for row in codes.to_dict("records")}
    for code in _tree_order(codebook):
        row = rows[code]
        up = row["parent"]
        holder = elements[up] if not _missing(up) else parent
        attrs = {"guid": code_guid(code), "name": _safe(row["name"]), "isCodable": "true"}
        if not _missing(row["color"]):
            attrs["color"] = str(row["color"])
        el = SubElement(holder, "Code", attrs)
        SubElement(el, "Description").text = _safe(describe_code(row, rules.get(code)))
        elements[code] = el
    return len(elements)


def _tree_order(codebook: Codebook) -> list[str]:
    """Codes with every parent before its children (roots in file order, depth first)."""
    out: list[str] = []
    parents = codebook.codes["parent"]
    for code, parent in zip(codebook.codes["code_id"], parents, strict=True):
        if _missing(parent):
            out.extend(codebook.subtree(code))
    return out


def codebook_qdc(codebook: Codebook) -> bytes:
    """Return the codebook as a REFI-QDA codebook (``.qdc``) document.

    Raises
    ------
    DsrError
        The codebook has no codes (the schema needs at least one).

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook('''codes:
    ...   - {id: REL, name: Relations, color: "#4C72B0"}
    ...   - {id: TRUST, name: Trust, parent: REL, definition: Reliance on the partner.}''')
    >>> print(codebook_qdc(book).decode())  # doctest: +NORMALIZE_WHITESPACE
    <?xml version='1.0' encoding='utf-8'?>
    <CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="dsr-workbench ..."><Codes><Code
    guid="..." name="Relations" isCodable="true" color="#4C72B0"><Description>Code ID:
    REL</Description><Code guid="41478f30-7ca3-51c0-bbeb-40a70ffe78f4" name="Trust"
    isCodable="true"><Description>Reliance on the partner.
    <BLANKLINE>
    Code ID: TRUST</Description></Code></Code></Codes></CodeBook>
    """
    if len(codebook.codes) == 0:
        raise DsrError(
            "the codebook has no codes", hint="add codes to data/codebook.yaml before exporting"
        )
    root = Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": ORIGIN})
    _codes_xml(SubElement(root, "Codes"), codebook)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def write_qdc(path: str | Path, codebook: Codebook) -> Path:
    """Write :func:`codebook_qdc` to ``path`` atomically; return the path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "book.qdc"
    >>> write_qdc(path, parse_codebook("codes:\\n  - {id: A, name: Alpha}")).read_text()[:38]
    "<?xml version='1.0' encoding='utf-8'?>"
    """
    return atomic_write_bytes(path, codebook_qdc(codebook))


def _variable(root: Element, name: str, kind: str) -> str:
    guid = guid_for("variable", name)
    SubElement(root, "Variable", {"guid": guid, "name": name, "typeOfVariable": kind})
    return guid


def _value(el: Element, variable: str, value: Any, kind: str = "TextValue") -> None:
    if _missing(value) or str(value) == "":
        return
    vv = SubElement(el, "VariableValue")
    SubElement(vv, "VariableRef", {"targetGUID": variable})
    SubElement(vv, kind).text = _safe(value)


def _usable_codings(
    codings: pd.DataFrame, texts: dict[str, str], codebook: Codebook | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep, skipped = [], []
    known = set(codebook.codes["code_id"]) if codebook is not None else set()
    for row in codings.to_dict("records"):
        tid, code = row["transcript_id"], row["code_id"]
        reason = None
        if tid not in texts:
            reason = f"transcript {tid!r} is not in the study"
        elif code not in known:
            reason = f"code {code!r} is not in the codebook"
        elif _missing(row["start"]) or _missing(row["end"]):
            reason = "the coding is lost (its quote is no longer in the transcript)"
        elif texts[tid][int(row["start"]) : int(row["end"])] != row["quote"]:
            reason = "its quote does not match the transcript (run dsr codings check)"
        if reason is None:
            keep.append(row)
        else:
            skipped.append([row.get("coding_id"), tid, code, row.get("coder"), reason])
    return (
        pd.DataFrame(keep, columns=codings.columns),
        pd.DataFrame(skipped, columns=SKIPPED_COLUMNS),
    )


def project_qdpx(
    study: Study,
    transcripts: pd.DataFrame,
    codebook: Codebook | None,
    codings: pd.DataFrame,
    turns: pd.DataFrame | None = None,
) -> tuple[bytes, dict[str, int], pd.DataFrame]:
    """Build the study's REFI-QDA project archive in memory.

    Parameters
    ----------
    study
        The study (for its title, organisations, participants and researchers).
    transcripts
        The ``transcripts`` table (transcript_id, text, kind, date, cycle).
    codebook
        The codebook, or ``None``.
    codings
        Current codings (:data:`dsr_workbench.coding.codings.CODING_COLUMNS`: coding_id,
        transcript_id, start, end, quote, code_id, coder, created_at, memo), positions in the
        transcripts' current text.
    turns
        The ``turns`` table, to link cases to the transcripts in which they speak (optional).

    Returns
    -------
    bytes, dict, pandas.DataFrame
        The ``.qdpx`` archive, counts of what it holds, and the codings left out
        (:data:`SKIPPED_COLUMNS`: unknown transcript or code, or a quote that does not match).

    Examples
    --------
    >>> from dsr_workbench.corpus.read import load_corpus
    >>> from dsr_workbench.corpus.study import load_study
    >>> study = load_study(EXAMPLE_STUDY)
    >>> transcripts, turns = load_corpus(study)
    >>> data, counts, skipped = project_qdpx(study, transcripts, None, pd.DataFrame(), turns)
    >>> data[:2], counts
    (b'PK', {'sources': 19, 'codes': 0, 'codings': 0, 'users': 0, 'cases': 19, 'notes': 0})
    """
    texts = dict(zip(transcripts["transcript_id"], transcripts["text"], strict=True))
    columns = [*_CODING_FIELDS, *(c for c in codings.columns if c not in _CODING_FIELDS)]
    codings, skipped = _usable_codings(codings.reindex(columns=columns), texts, codebook)
    root = Element("Project", {"xmlns": PROJECT_NS, "name": _safe(study.title), "origin": ORIGIN})

    people = study.participants
    pseudonym = dict(zip(people["participant_id"], people["pseudonym"], strict=True))
    coders = sorted(set(codings["coder"].astype(str)))
    user_guid = {coder: guid_for("user", coder) for coder in coders}
    if coders:
        users = SubElement(root, "Users")
        for coder in coders:
            name = _safe(pseudonym.get(coder, coder))
            SubElement(users, "User", {"guid": user_guid[coder], "name": name, "id": coder})

    n_codes = 0
    if codebook is not None and len(codebook.codes):
        n_codes = _codes_xml(SubElement(SubElement(root, "CodeBook"), "Codes"), codebook)

    variables = SubElement(root, "Variables")
    var = {
        name: _variable(variables, name, kind)
        for name, kind in (
            ("ID", "Text"),
            ("Case type", "Text"),
            ("Perspective", "Text"),
            ("Organisation", "Text"),
            ("Role", "Text"),
            ("Kind", "Text"),
            ("Date", "Date"),
            ("Cycle", "Integer"),
        )
    }
    source_guid = {tid: guid_for("source", study.id, tid) for tid in texts}
    spoken: dict[str, set[str]] = {}
    if turns is not None and len(turns):
        for pid, tid in zip(turns["participant_id"], turns["transcript_id"], strict=True):
            spoken.setdefault(str(pid), set()).add(str(tid))
    n_cases = _cases(root, study, var, source_guid, spoken)

    sources = SubElement(root, "Sources")
    members: dict[str, bytes] = {}
    notes: list[tuple[str, str, str, str | None]] = []
    by_transcript = {tid: group for tid, group in codings.groupby("transcript_id", sort=False)}
    for row in transcripts.to_dict("records"):
        tid = row["transcript_id"]
        guid = source_guid[tid]
        el = SubElement(
            sources,
            "TextSource",
            {"guid": guid, "name": _safe(tid), "plainTextPath": f"internal://{guid}.txt"},
        )
        members[f"Sources/{guid}.txt"] = str(row["text"]).encode("utf-8")
        group = by_transcript.get(tid)
        for coding in [] if group is None else group.to_dict("records"):
            _selection(el, coding, user_guid, notes)
        _value(el, var["Kind"], row.get("kind"))
        date = row.get("date")
        _value(el, var["Date"], None if _missing(date) else str(date)[:10], "DateValue")
        _value(el, var["Cycle"], row.get("cycle"), "IntegerValue")
    if not len(sources):
        root.remove(sources)
    if notes:
        holder = SubElement(root, "Notes")
        for guid, name, text, user in notes:
            attrs = {"guid": guid, "name": _safe(name)}
            if user:
                attrs["creatingUser"] = user
            note = SubElement(holder, "Note", attrs)
            SubElement(note, "PlainTextContent").text = _safe(text)
    qde = tostring(root, encoding="utf-8", xml_declaration=True)
    counts = {
        "sources": len(texts),
        "codes": n_codes,
        "codings": len(codings),
        "users": len(coders),
        "cases": n_cases,
        "notes": len(notes),
    }
    return _zip({"project.qde": qde, **dict(sorted(members.items()))}), counts, skipped


def _selection(
    source: Element,
    coding: dict[str, Any],
    user_guid: dict[str, str],
    notes: list[tuple[str, str, str, str | None]],
) -> None:
    cid = str(coding["coding_id"])
    user = user_guid.get(str(coding["coder"]))
    quote = str(coding["quote"])
    attrs = {"guid": guid_for("selection", cid)}
    if _safe(quote) == quote:
        attrs["name"] = quote
    attrs["startPosition"] = str(int(coding["start"]))
    attrs["endPosition"] = str(int(coding["end"]))
    stamp = _stamp(coding.get("created_at"))
    if user:
        attrs["creatingUser"] = user
    if stamp:
        attrs["creationDateTime"] = stamp
    sel = SubElement(source, "PlainTextSelection", attrs)
    attrs = {"guid": guid_for("coding", cid)}
    if user:
        attrs["creatingUser"] = user
    if stamp:
        attrs["creationDateTime"] = stamp
    el = SubElement(sel, "Coding", attrs)
    SubElement(el, "CodeRef", {"targetGUID": code_guid(str(coding["code_id"]))})
    memo = coding.get("memo")
    if not _missing(memo) and str(memo).strip():
        note = guid_for("note", cid)
        SubElement(el, "NoteRef", {"targetGUID": note})
        name = f"Memo: {coding['code_id']} in {coding['transcript_id']}"
        notes.append((note, name, str(memo), user))


def _cases(
    root: Element,
    study: Study,
    var: dict[str, str],
    source_guid: dict[str, str],
    spoken: dict[str, set[str]],
) -> int:
    cases = SubElement(root, "Cases")
    people = study.participants.loc[(study.participants["perspective"] != "researcher").to_numpy()]
    for org in study.organisations.to_dict("records"):
        oid = str(org["organisation"])
        el = SubElement(cases, "Case", {"guid": guid_for("case", study.id, "org", oid)})
        el.set("name", _safe(org["pseudonym"]))
        if org.get("description"):
            SubElement(el, "Description").text = _safe(org["description"])
        _value(el, var["ID"], oid)
        _value(el, var["Case type"], "organisation")
        _value(el, var["Perspective"], org["perspective"])
        members = people.loc[(people["organisation"] == oid).to_numpy(), "participant_id"]
        _source_refs(el, (t for p in members for t in spoken.get(str(p), ())), source_guid)
    for person in people.to_dict("records"):
        pid = str(person["participant_id"])
        el = SubElement(cases, "Case", {"guid": guid_for("case", study.id, "participant", pid)})
        el.set("name", _safe(person["pseudonym"]))
        _value(el, var["ID"], pid)
        _value(el, var["Case type"], "participant")
        _value(el, var["Perspective"], person["perspective"])
        _value(el, var["Organisation"], person["organisation"])
        _value(el, var["Role"], person["role"])
        _source_refs(el, spoken.get(pid, ()), source_guid)
    n = len(cases)
    if not n:
        root.remove(cases)
    return n


def _source_refs(el: Element, tids: Iterable[str], source_guid: dict[str, str]) -> None:
    for tid in sorted(set(tids)):
        if tid in source_guid:
            SubElement(el, "SourceRef", {"targetGUID": source_guid[tid]})


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


# --------------------------------------------------------------------------- from a study


def _load(study: str | Path | Study) -> tuple[Study, Codebook | None]:
    from dsr_workbench.coding.codebook import load_codebook
    from dsr_workbench.corpus.study import load_study

    if not isinstance(study, Study):
        study = load_study(study)
    book_path = study.data_dir / "codebook.yaml"
    return study, load_codebook(book_path) if book_path.exists() else None


def export_qdc(study: str | Path | Study, out: str | Path) -> ExportReport:
    """Write the study's codebook (``data/codebook.yaml``) as a ``.qdc`` file.

    Raises
    ------
    DsrError
        The study has no codebook, or it has no codes.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "cmr.qdc"
    >>> export_qdc(EXAMPLE_STUDY, out).path == out
    True
    """
    study, book = _load(study)
    if book is None:
        raise DsrError(
            "the study has no codebook",
            path=study.data_dir / "codebook.yaml",
            hint="write data/codebook.yaml (see dsr_workbench.coding.codebook)",
        )
    path = write_qdc(out, book)
    return ExportReport(path=path, counts={"codes": len(book.codes)})


def export_qdpx(study: str | Path | Study, out: str | Path) -> ExportReport:
    """Write the whole study (see the module docstring) as a ``.qdpx`` file, atomically.

    Codings are re-anchored to the current transcripts first
    (:func:`dsr_workbench.coding.anchored.load_anchored_codings`); lost ones, and codings of
    codes no longer in the codebook, are left out and listed in the report.

    Parameters
    ----------
    study
        ``study.yaml`` (or its folder), or a loaded :class:`~dsr_workbench.corpus.study.Study`.
    out
        The ``.qdpx`` file to write.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "cmr.qdpx"
    >>> report = export_qdpx(EXAMPLE_STUDY, out)
    >>> report.counts["sources"], report.counts["cases"]
    (19, 19)
    """
    from dsr_workbench.coding.anchored import load_anchored_codings
    from dsr_workbench.corpus.read import load_corpus

    study, book = _load(study)
    transcripts, turns = load_corpus(study)
    # every current coding, anchored: the lost ones (no offsets) are left out and listed
    codings = load_anchored_codings(study, corpus=(transcripts, turns)).table
    data, counts, skipped = project_qdpx(study, transcripts, book, codings, turns)
    return ExportReport(path=atomic_write_bytes(out, data), counts=counts, skipped=skipped)
