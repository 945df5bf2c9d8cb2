"""Designed artifacts and their versions: ``data/artifacts/<artifact>/``.

An artifact (what the study *designs*) is a folder holding

``artifact.yaml``
    id (the folder's name), title, kind (construct | model | method | instantiation, after
    March & Smith 1995), purpose, research_question (an id of ``study.yaml``'s
    ``research_questions``), element_kinds (the kinds its elements may have) and, optionally,
    layout (matrix | quadrants | flow; default: chosen from the element kinds).
``v1.yaml``, ``v2.yaml``, ...
    One file per version, numbered without gaps: cycle (a cycle of ``study.yaml``), date,
    status (draft | evaluated | final), summary, optionally requirements (ids this version
    sets out to meet) and ``elements``, a tree. Each element has an id that is stable across
    versions, a kind, a name, a text, and optionally children, ``addresses: [R..]``,
    ``evidence`` (references ``transcript:FG1#turn23``, ``coding:<id>``,
    ``rating:<episode>/<participant>/<criterion>``), ``decisions: [D..]`` (the design
    decisions that shaped it) and ``properties`` (a flat mapping, e.g. a quadrant's position).

One schema serves every artifact: what makes a framework a framework is its element kinds.
:func:`load_artifacts` reads and validates them all; every error names file, line and key.

References
----------
March, S. T., & Smith, G. F. (1995). Design and natural science research on information
technology. *Decision Support Systems*, 15(4), 251-266.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.core.errors import DsrError
from dsr_workbench.core.yamlio import YamlDoc, load_yaml
from dsr_workbench.corpus.study import Study
from dsr_workbench.dsr.decisions import Decisions, _target, load_decisions
from dsr_workbench.dsr.episodes import _fail, _is_int

__all__ = [
    "ARTIFACT_KINDS",
    "ELEMENT_COLUMNS",
    "LAYOUTS",
    "STATUSES",
    "Artifacts",
    "load_artifacts",
    "research_questions",
]

ARTIFACT_KINDS: tuple[str, ...] = ("construct", "model", "method", "instantiation")
"""Artifact kinds after March & Smith (1995)."""

STATUSES: tuple[str, ...] = ("draft", "evaluated", "final")
"""Status of a version."""

LAYOUTS: tuple[str, ...] = ("matrix", "quadrants", "flow", "tree")
"""How a version is drawn (see :mod:`dsr_workbench.plots.artifacts`)."""

ELEMENT_COLUMNS: list[str] = [
    "artifact", "version", "element_id", "parent", "kind", "name", "text", "addresses",
    "evidence", "decisions", "properties", "depth", "order", "path", "line",
]  # fmt: skip
"""Columns of :attr:`Artifacts.elements` (addresses, evidence, decisions are tuples)."""

RQ_COLUMNS: list[str] = ["rq_id", "text", "parent", "artifacts"]

_ARTIFACT_KEYS = {
    "id", "title", "kind", "purpose", "research_question", "element_kinds", "layout",
    "description",
}  # fmt: skip
_VERSION_KEYS = {"version", "cycle", "date", "status", "summary", "requirements", "elements"}
_ELEMENT_KEYS = {
    "id", "kind", "name", "text", "children", "addresses", "evidence", "decisions", "properties",
}  # fmt: skip
_VERSION_FILE = re.compile(r"^v([1-9]\d*)\.yaml$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Artifacts:
    """Every designed artifact of a study, its versions and their element trees.

    Attributes
    ----------
    artifacts
        artifact, title, kind, purpose, research_question, element_kinds (tuple), layout, path.
    versions
        artifact, version, number, cycle, date, status, summary, requirements (tuple), path.
    elements
        :data:`ELEMENT_COLUMNS`, in tree order (depth first) per version.
    references
        artifact, version, element_id, reference, kind, target, path, line, key: every
        ``evidence`` entry, parsed (see :func:`dsr_workbench.dsr.trace.resolve`).
    decisions
        The study's requirements and decisions (:class:`~dsr_workbench.dsr.decisions.Decisions`),
        or ``None`` when the study has no ``decisions.yaml``.
    """

    artifacts: pd.DataFrame
    versions: pd.DataFrame
    elements: pd.DataFrame
    references: pd.DataFrame
    decisions: Decisions | None = None

    def version(self, artifact: str, version: str) -> pd.DataFrame:
        """The elements of one version (raises a one-line error if it does not exist)."""
        self.version_row(artifact, version)
        el = self.elements
        return el[(el["artifact"] == artifact) & (el["version"] == version)].reset_index(drop=True)

    def version_row(self, artifact: str, version: str) -> pd.Series:
        """The row of :attr:`versions` for one version."""
        if artifact not in set(self.artifacts["artifact"]):
            known = ", ".join(self.artifacts["artifact"]) or "none"
            raise DsrError(f"no artifact '{artifact}'", key="artifact", hint=f"use one of: {known}")
        rows = self.versions[
            (self.versions["artifact"] == artifact) & (self.versions["version"] == version)
        ]
        if rows.empty:
            mine = self.versions[self.versions["artifact"] == artifact]["version"]
            raise DsrError(
                f"artifact '{artifact}' has no version '{version}'",
                key="version",
                hint=f"use one of: {', '.join(mine) or 'none (add v1.yaml)'}",
            )
        return rows.iloc[0]

    def previous(self, artifact: str, version: str) -> str | None:
        """The version before ``version`` (``None`` for v1)."""
        number = int(self.version_row(artifact, version)["number"])
        before = self.versions[
            (self.versions["artifact"] == artifact) & (self.versions["number"] == number - 1)
        ]
        return None if before.empty else str(before["version"].iloc[0])


def research_questions(study: Study, artifacts: set[str] | None = None) -> pd.DataFrame:
    """``study.yaml``'s ``research_questions:`` as a table, validated.

    Each entry is ``{id, text, parent, artifacts}``; ids are unique, a parent is another
    question's id, and (when ``artifacts`` is given) each artifact named exists.

    Returns
    -------
    pandas.DataFrame
        rq_id, text, parent (None at the top), artifacts (tuple).

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> rqs = research_questions(load_study(EXAMPLE_STUDY))
    >>> dict(zip(rqs["rq_id"], rqs["parent"], strict=True))
    {'RQ1': None, 'RQ1a': 'RQ1', 'RQ1b': 'RQ1', 'RQ1c': 'RQ1'}
    """
    doc = YamlDoc(study.raw, study.lines, study.path)
    items = study.raw.get("research_questions") or []
    if not isinstance(items, list):
        raise _fail(doc, "research_questions", "research_questions must be a list", "write - id:")
    rows: list[list[Any]] = []
    for i, item in enumerate(items):
        where = f"research_questions[{i}]"
        if not isinstance(item, dict):
            raise _fail(doc, where, "an entry must be a mapping", "write - {id: RQ1, text: ...}")
        _keys(doc, item, {"id", "text", "parent", "artifacts"}, where)
        for need in ("id", "text"):
            if item.get(need) in (None, ""):
                raise _fail(doc, where, f"field '{need}' is missing", f"add {need}:")
        if str(item["id"]) in {r[0] for r in rows}:
            raise _fail(doc, f"{where}.id", f"research question '{item['id']}' is repeated",
                        "give each question its own id")  # fmt: skip
        named = item.get("artifacts") or []
        if not isinstance(named, list):
            raise _fail(doc, f"{where}.artifacts", "artifacts must be a list", "write [a, b]")
        parent = item.get("parent")
        rows.append([str(item["id"]), str(item["text"]), None if parent is None else str(parent),
                     tuple(str(a) for a in named)])  # fmt: skip
    ids = {r[0] for r in rows}
    for i, (_, _, parent, named) in enumerate(rows):
        if parent is not None and parent not in ids:
            raise _fail(doc, f"research_questions[{i}].parent",
                        f"parent '{parent}' is not a research question",
                        f"use one of: {', '.join(sorted(ids))}")  # fmt: skip
        for j, name in enumerate(named):
            if artifacts is not None and name not in artifacts:
                raise _fail(doc, f"research_questions[{i}].artifacts[{j}]",
                            f"artifact '{name}' does not exist",
                            f"add data/artifacts/{name}/artifact.yaml or use one of: "
                            f"{', '.join(sorted(artifacts)) or 'none'}")  # fmt: skip
    table = pd.DataFrame(rows, columns=RQ_COLUMNS, dtype=object)
    table["parent"] = pd.Series([r[2] for r in rows], dtype=object, index=table.index)
    return table


def load_artifacts(
    study: Study, *, folder: str | Path | None = None, decisions: Decisions | None = None
) -> Artifacts:
    """Read and validate every artifact under ``<data>/artifacts/``.

    Parameters
    ----------
    study
        The study (its cycles and research questions are checked against).
    folder
        The artifacts folder; default ``<data>/artifacts``. A missing folder means none.
    decisions
        Requirements and decisions; default: ``<data>/evaluations/decisions.yaml`` if present.

    Returns
    -------
    Artifacts

    Raises
    ------
    DsrError
        With file, line and key: unknown keys, missing fields, an unknown artifact or element
        kind, duplicate element ids in a version, an id reused for another kind, a version for
        a cycle that does not exist or whose number skips, an unknown requirement or decision,
        a decision naming a version that has no file, an unknown research question.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> arts = load_artifacts(load_study(EXAMPLE_STUDY))
    >>> arts.versions.groupby("artifact")["version"].agg(", ".join).to_dict()
    {'development-framework': 'v1, v2, v3', 'expectation-alignment': 'v1, v2', \
'partner-differentiation': 'v1, v2'}
    >>> sorted(arts.version("development-framework", "v3")["kind"].unique())[:3]
    ['governance_mechanism', 'layer', 'phase']
    """
    root = Path(folder) if folder is not None else study.data_dir / "artifacts"
    if decisions is None and (study.data_dir / "evaluations" / "decisions.yaml").exists():
        decisions = load_decisions(study.data_dir / "evaluations" / "decisions.yaml")
    cycles = {int(c) for c in study.cycles["cycle"]}
    arts: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    elements: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        art = _read_artifact(sub)
        arts.append(art)
        kinds_seen: dict[str, tuple[str, Path, int | None]] = {}
        files = sorted(
            ((int(m.group(1)), p) for p in sub.glob("*.yaml") if (m := _VERSION_FILE.match(p.name))),
        )  # fmt: skip
        last_cycle = 0
        for expected, (number, path) in enumerate(files, start=1):
            doc = load_yaml(path)
            if number != expected:
                raise DsrError(
                    f"version v{number} skips v{expected}", path=path, line=1, key="version",
                    hint=f"rename it to v{expected}.yaml or add the missing version",
                )  # fmt: skip
            row = _read_version(doc, art, number, cycles, last_cycle)
            last_cycle = row["cycle"]
            versions.append(row)
            _walk(doc, art, row["version"], doc.data.get("elements") or [], None, "elements",
                  0, kinds_seen, elements, refs)  # fmt: skip
        stray = [p.name for p in sub.glob("*.yaml") if p.name != "artifact.yaml"
                 and not _VERSION_FILE.match(p.name)]  # fmt: skip
        if stray:
            raise DsrError(f"unexpected file '{stray[0]}'", path=sub / stray[0],
                           hint="name versions v1.yaml, v2.yaml, ...")  # fmt: skip
    out = Artifacts(
        pd.DataFrame(arts, columns=["artifact", "title", "kind", "purpose", "research_question",
                                    "element_kinds", "layout", "path"]),
        pd.DataFrame(versions, columns=["artifact", "version", "number", "cycle", "date",
                                        "status", "summary", "requirements", "path", "line"]),
        pd.DataFrame(elements, columns=ELEMENT_COLUMNS),
        pd.DataFrame(refs, columns=["artifact", "version", "element_id", "reference", "kind",
                                    "target", "path", "line", "key"]),
        decisions,
    )  # fmt: skip
    out.elements["parent"] = pd.Series([e["parent"] for e in elements], dtype=object)
    _check_links(study, out, arts, versions, elements)
    return out


def _keys(doc: YamlDoc, item: dict, allowed: set[str], where: str) -> None:
    for key in item:
        if key not in allowed:
            raise _fail(doc, f"{where}.{key}" if where else str(key), f"unknown key '{key}'",
                        f"use one of: {', '.join(sorted(allowed))}")  # fmt: skip


def _read_artifact(folder: Path) -> dict[str, Any]:
    path = folder / "artifact.yaml"
    if not path.exists():
        raise DsrError("no artifact.yaml", path=path, hint="describe the artifact: id, title, kind")
    doc = load_yaml(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    _keys(doc, data, _ARTIFACT_KEYS, "")
    for need in ("id", "title", "kind", "element_kinds"):
        if data.get(need) in (None, "", []):
            raise _fail(doc, need, f"field '{need}' is missing", f"add {need}:")
    if str(data["id"]) != folder.name:
        raise _fail(doc, "id", f"id '{data['id']}' is not the folder's name '{folder.name}'",
                    "make them equal")  # fmt: skip
    if data["kind"] not in ARTIFACT_KINDS:
        raise _fail(doc, "kind", f"unknown artifact kind '{data['kind']}'",
                    f"use one of: {', '.join(ARTIFACT_KINDS)}")  # fmt: skip
    kinds = data["element_kinds"]
    if not isinstance(kinds, list) or not all(isinstance(k, str) and _ID.match(k) for k in kinds):
        raise _fail(doc, "element_kinds", "element_kinds must be a list of names",
                    "e.g. [phase, success_factor, practice]")  # fmt: skip
    layout = data.get("layout")
    if layout is not None and layout not in LAYOUTS:
        raise _fail(
            doc, "layout", f"unknown layout '{layout}'", f"use one of: {', '.join(LAYOUTS)}"
        )
    return {
        "artifact": folder.name, "title": str(data["title"]), "kind": data["kind"],
        "purpose": str(data.get("purpose") or ""),
        "research_question": None if data.get("research_question") is None
        else str(data["research_question"]),
        "element_kinds": tuple(kinds), "layout": layout, "path": path,
        "_doc": doc,
    }  # fmt: skip


def _read_version(
    doc: YamlDoc, art: dict, number: int, cycles: set[int], last_cycle: int
) -> dict[str, Any]:
    data = doc.data
    if not isinstance(data, dict):
        raise DsrError("a version file must be a mapping", path=doc.path, line=1,
                       hint="write cycle:, date:, status:, summary:, elements:")  # fmt: skip
    _keys(doc, data, _VERSION_KEYS, "")
    name = f"v{number}"
    if data.get("version") not in (None, name):
        raise _fail(doc, "version", f"version '{data['version']}' is not the file's '{name}'",
                    f"write version: {name} or rename the file")  # fmt: skip
    for need in ("cycle", "status", "elements"):
        if data.get(need) in (None, ""):
            raise _fail(doc, need, f"field '{need}' is missing", f"add {need}:")
    cycle = data["cycle"]
    if not _is_int(cycle) or cycle not in cycles:
        raise _fail(doc, "cycle", f"cycle {cycle!r} is not a cycle of study.yaml",
                    f"use one of: {', '.join(map(str, sorted(cycles)))}")  # fmt: skip
    if cycle < last_cycle:
        raise _fail(doc, "cycle", f"cycle {cycle} is before the previous version's cycle "
                    f"{last_cycle}", "versions follow the cycles in order")  # fmt: skip
    if data["status"] not in STATUSES:
        raise _fail(doc, "status", f"unknown status '{data['status']}'",
                    f"use one of: {', '.join(STATUSES)}")  # fmt: skip
    date = data.get("date")
    if date is not None and not isinstance(date, dt.date):
        raise _fail(doc, "date", f"date {date!r} is not a date", "write YYYY-MM-DD")
    reqs = data.get("requirements") or []
    if not isinstance(reqs, list):
        raise _fail(doc, "requirements", "requirements must be a list", "write [R01, R02]")
    if not isinstance(data["elements"], list):
        raise _fail(doc, "elements", "elements must be a list", "write - id: ...")
    return {
        "artifact": art["artifact"], "version": name, "number": number, "cycle": int(cycle),
        "date": date, "status": data["status"], "summary": str(data.get("summary") or ""),
        "requirements": tuple(str(r) for r in reqs), "path": doc.path, "line": doc.line(""),
        "_doc": doc,
    }  # fmt: skip


def _listed(doc: YamlDoc, item: dict, key: str, where: str) -> list[Any]:
    values = item.get(key) or []
    if not isinstance(values, list):
        raise _fail(doc, f"{where}.{key}", f"{key} must be a list", f"write {key}: [...]")
    return values


def _walk(
    doc: YamlDoc, art: dict, version: str, items: list, parent: str | None, where: str,
    depth: int, kinds_seen: dict, elements: list, refs: list,
) -> None:  # fmt: skip
    seen = {e["element_id"] for e in elements if e["artifact"] == art["artifact"]
            and e["version"] == version}  # fmt: skip
    for i, item in enumerate(items):
        key = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise _fail(doc, key, "an element must be a mapping", "write - {id:, kind:, name:}")
        _keys(doc, item, _ELEMENT_KEYS, key)
        for need in ("id", "kind", "name"):
            if item.get(need) in (None, ""):
                raise _fail(doc, key, f"field '{need}' is missing", f"add {need}:")
        eid, kind = str(item["id"]), str(item["kind"])
        if not _ID.match(eid):
            raise _fail(doc, f"{key}.id", f"element id '{eid}' is not a plain name",
                        "use letters, digits, '-', '_' and '.'")  # fmt: skip
        if kind not in art["element_kinds"]:
            raise _fail(doc, f"{key}.kind", f"unknown element kind '{kind}'",
                        f"use one of {', '.join(art['element_kinds'])} or add it to "
                        f"element_kinds in {art['path'].name}")  # fmt: skip
        if eid in seen:
            raise _fail(doc, f"{key}.id", f"element id '{eid}' is repeated in {version}",
                        "give each element its own id")  # fmt: skip
        seen.add(eid)
        if eid in kinds_seen and kinds_seen[eid][0] != kind:
            was, path, line = kinds_seen[eid]
            raise _fail(
                doc,
                f"{key}.kind",
                f"element '{eid}' was a {was} ({path.name}:{line}), now a {kind}",
                "keep an element's kind, or give the new one a new id",
            )
        kinds_seen.setdefault(eid, (kind, doc.path, doc.line(f"{key}.kind")))  # fmt: skip
        props = item.get("properties") or {}
        if not isinstance(props, dict) or any(isinstance(v, dict | list) for v in props.values()):
            raise _fail(doc, f"{key}.properties", "properties must be a flat mapping",
                        "write properties: {name: value}")  # fmt: skip
        evidence = _listed(doc, item, "evidence", key)
        for j, ref in enumerate(evidence):
            rkey = f"{key}.evidence[{j}]"
            rkind, target = _target(ref, doc, rkey, "source")
            refs.append({"artifact": art["artifact"], "version": version, "element_id": eid,
                         "reference": str(ref), "kind": rkind, "target": target,
                         "path": doc.path, "line": doc.line(rkey), "key": rkey})  # fmt: skip
        elements.append({
            "artifact": art["artifact"], "version": version, "element_id": eid,
            "parent": parent, "kind": kind, "name": str(item["name"]),
            "text": " ".join(str(item.get("text") or "").split()),
            "addresses": tuple(str(r) for r in _listed(doc, item, "addresses", key)),
            "evidence": tuple(str(r) for r in evidence),
            "decisions": tuple(str(d) for d in _listed(doc, item, "decisions", key)),
            "properties": {str(k): v for k, v in props.items()}, "depth": depth,
            "order": len(elements), "path": doc.path, "line": doc.line(f"{key}.id"),
            "_doc": doc, "_key": key,
        })  # fmt: skip
        children = _listed(doc, item, "children", key)
        _walk(doc, art, version, children, eid, f"{key}.children", depth + 1, kinds_seen,
              elements, refs)  # fmt: skip


def _check_links(
    study: Study, arts: Artifacts, raw_arts: list, raw_versions: list, raw_elements: list
) -> None:
    """Requirements, decisions and research questions named by artifacts exist, and back."""
    names = set(arts.artifacts["artifact"])
    rqs = research_questions(study, names if names else None)
    rq_ids = set(rqs["rq_id"])
    for art in raw_arts:
        rq = art["research_question"]
        if rq is not None and rq not in rq_ids:
            raise _fail(
                art["_doc"],
                "research_question",
                f"research question '{rq}' is not in study.yaml",
                f"use one of: {', '.join(sorted(rq_ids)) or 'none'}",
            )
    dec = arts.decisions
    if dec is None:
        return
    req_ids = set(dec.requirements["requirement_id"])
    by_id = {d["decision_id"]: d for d in dec.decisions.to_dict("records")}
    for v in raw_versions:
        for j, req in enumerate(v["requirements"]):
            if req not in req_ids:
                raise _fail(v["_doc"], f"requirements[{j}]", f"requirement '{req}' is not in "
                            "decisions.yaml", "add it there or fix the id")  # fmt: skip
    for e in raw_elements:
        for j, req in enumerate(e["addresses"]):
            if req not in req_ids:
                raise _fail(
                    e["_doc"],
                    f"{e['_key']}.addresses[{j}]",
                    f"requirement '{req}' is not in decisions.yaml",
                    "add it there or fix the id",
                )
        for j, d in enumerate(e["decisions"]):
            if d not in by_id:
                raise _fail(e["_doc"], f"{e['_key']}.decisions[{j}]", f"decision '{d}' is not "
                            "in decisions.yaml", "add it there or fix the id")  # fmt: skip
            if by_id[d]["artifact"] != e["artifact"]:
                raise _fail(e["_doc"], f"{e['_key']}.decisions[{j}]", f"decision '{d}' is "
                            f"about '{by_id[d]['artifact']}', not '{e['artifact']}'",
                            "name decisions of this artifact")  # fmt: skip
    if names:
        _check_decision_versions(study, arts, names)


def _check_decision_versions(study: Study, arts: Artifacts, names: set[str]) -> None:
    path = study.data_dir / "evaluations" / "decisions.yaml"
    doc = load_yaml(path) if path.exists() else None
    have = set(zip(arts.versions["artifact"], arts.versions["version"], strict=True))
    for i, d in enumerate(arts.decisions.decisions.to_dict("records")):  # type: ignore[union-attr]
        where = f"decisions[{i}]"
        problem = None
        if d["artifact"] not in names:
            problem = (f"{where}.artifact", f"decision {d['decision_id']} names artifact "
                       f"'{d['artifact']}', which does not exist",
                       f"use one of: {', '.join(sorted(names))}")  # fmt: skip
        elif d["version"] is not None and (d["artifact"], d["version"]) not in have:
            problem = (f"{where}.version", f"decision {d['decision_id']} names "
                       f"{d['artifact']} {d['version']}, which has no file",
                       f"add data/artifacts/{d['artifact']}/{d['version']}.yaml")  # fmt: skip
        if problem is not None:
            key, message, hint = problem
            line = doc.line(key) if doc is not None else None
            raise DsrError(message, path=path, line=line, key=key, hint=hint)
