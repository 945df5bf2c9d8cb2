"""Requirements and design decisions, and the references that trace them.

Part of the DSR record (see :mod:`dsr_workbench.dsr.record`, the public import site):
``data/evaluations/decisions.yaml`` lists requirements (id, text, source: references) and
design decisions (id, cycle, artifact, version, decision, addresses: requirement ids,
source); see :func:`load_decisions`.

A reference is ``coding:<coding_id>``, ``transcript:<transcript_id>#turn<n>`` or
``rating:<episode>/<participant>/<criterion>``; the references a file makes are the tidy
:data:`REFERENCE_COLUMNS` table (:attr:`Decisions.references`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.core.errors import DsrError
from dsr_workbench.core.yamlio import YamlDoc, load_yaml
from dsr_workbench.dsr.episodes import _fail, _is_int

__all__ = ["REFERENCE_COLUMNS", "Decisions", "load_decisions"]

REFERENCE_COLUMNS: list[str] = ["owner", "field", "reference", "kind", "target", "resolved", "line"]

_REF_PATTERNS = {
    "coding": re.compile(r"^(?P<coding_id>[^\s/#]+)$"),
    "transcript": re.compile(r"^(?P<transcript_id>[A-Za-z0-9_.-]+)#turn(?P<turn>[1-9]\d*)$"),
    "rating": re.compile(r"^(?P<episode>[^\s/]+)/(?P<participant>[^\s/]+)/(?P<criterion>[^\s/]+)$"),
}


@dataclass(frozen=True)
class Decisions:
    """Requirements, design decisions and every reference they make.

    Attributes
    ----------
    requirements
        requirement_id, text, n_sources.
    decisions
        decision_id, cycle, artifact, version, decision.
    references
        owner (requirement or decision id), field (source | addresses), reference (as
        written), kind (coding | transcript | rating | requirement), target, resolved
        (True/False, <NA> when no table to check it against was given), line (in the file).
    """

    requirements: pd.DataFrame
    decisions: pd.DataFrame
    references: pd.DataFrame

    @property
    def unresolved(self) -> pd.DataFrame:
        """References that were checked and point at nothing."""
        return self.references[self.references["resolved"].eq(False).fillna(False)]

    @property
    def unaddressed(self) -> pd.DataFrame:
        """Requirements that no design decision addresses (yet)."""
        links = self.references[self.references["kind"] == "requirement"]["target"]
        return self.requirements[~self.requirements["requirement_id"].isin(links)]


def _parse_reference(ref: Any, doc: YamlDoc | None, key: str) -> tuple[str, dict[str, str]]:
    kind, _, rest = ref.partition(":") if isinstance(ref, str) else ("", "", "")
    match = _REF_PATTERNS[kind].match(rest) if kind in _REF_PATTERNS else None
    if match is None:
        hint = (
            "write coding:<coding_id>, transcript:<id>#turn<n> or "
            "rating:<episode>/<participant>/<criterion>"
        )
        if doc is None:
            raise DsrError(f"malformed reference {ref!r}", key=key, hint=hint)
        raise _fail(doc, key, f"malformed reference {ref!r}", hint)
    return kind, match.groupdict()


def load_decisions(
    path: str | Path,
    *,
    turns: pd.DataFrame | None = None,
    evaluations: pd.DataFrame | None = None,
    codings: pd.DataFrame | None = None,
) -> Decisions:
    """Read ``decisions.yaml`` and check where every reference points.

    Parameters
    ----------
    path
        ``decisions.yaml`` or the ``data/evaluations`` folder holding it.
    turns, evaluations, codings
        Optional ``turns`` (transcript_id, turn), ``evaluations`` (episode, participant,
        criterion) and ``codings`` (coding_id) tables: references of that kind are resolved
        against them; without a table, they are left unchecked (``resolved`` is <NA>).
        ``addresses`` are always checked against the file's requirements.

    Returns
    -------
    Decisions
        Tidy tables; :attr:`Decisions.unresolved` lists references that point at nothing.

    Raises
    ------
    DsrError
        Missing file, missing or repeated ids, missing fields, or a malformed reference.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "decisions.yaml"
    >>> _ = f.write_text('''requirements:
    ...   - {id: R1, text: Governance from day one, source: ["transcript:FG1#turn23"]}
    ... decisions:
    ...   - {id: D1, cycle: 2, artifact: framework, decision: Governance layer,
    ...      addresses: [R1, R9]}
    ... ''')
    >>> turns = pd.DataFrame({"transcript_id": ["FG1"], "turn": [23]})
    >>> load_decisions(f, turns=turns).references[["owner", "kind", "target", "resolved"]]
      owner         kind    target  resolved
    0    R1   transcript  FG1#23      True
    1    D1  requirement      R1      True
    2    D1  requirement      R9     False
    """
    path = Path(path)
    path = path / "decisions.yaml" if path.is_dir() else path
    if not path.exists():
        raise DsrError(
            "no decisions file", path=path, hint="create it with requirements: and decisions: lists"
        )
    doc = load_yaml(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    reqs = _entries(doc, data, "requirements", ("id", "text"))
    decs = _entries(doc, data, "decisions", ("id", "cycle", "artifact", "decision"))
    known: dict[str, set[str] | None] = {
        "requirement": {str(r["id"]) for r in reqs},
        "transcript": None if turns is None else {
            f"{t}#{int(n)}" for t, n in zip(turns["transcript_id"], turns["turn"], strict=True)
        },
        "rating": None if evaluations is None else set(
            evaluations["episode"] + "/" + evaluations["participant"] + "/"
            + evaluations["criterion"]
        ),
        "coding": None if codings is None else set(codings["coding_id"].astype(str)),
    }  # fmt: skip
    refs = []
    for section, items in (("requirements", reqs), ("decisions", decs)):
        for i, item in enumerate(items):
            for fld in ("source", "addresses") if section == "decisions" else ("source",):
                for j, ref in enumerate(_listed(doc, item, f"{section}[{i}]", fld)):
                    key = f"{section}[{i}].{fld}[{j}]"
                    kind, target = _target(ref, doc, key, fld)
                    targets = known[kind]
                    ok = None if targets is None else target in targets
                    refs.append([item["id"], fld, str(ref), kind, target, ok, doc.line(key)])
    requirements = pd.DataFrame(
        {
            "requirement_id": [str(r["id"]) for r in reqs],
            "text": [str(r["text"]) for r in reqs],
            "n_sources": [len(r.get("source") or []) for r in reqs],
        }
    )
    decisions = pd.DataFrame(
        {
            "decision_id": [str(d["id"]) for d in decs],
            "cycle": pd.array([d["cycle"] for d in decs], dtype="int64"),
            "artifact": [str(d["artifact"]) for d in decs],
            "version": [None if d.get("version") is None else str(d["version"]) for d in decs],
            "decision": [str(d["decision"]) for d in decs],
        }
    )
    references = pd.DataFrame(refs, columns=REFERENCE_COLUMNS)
    references["resolved"] = references["resolved"].astype("boolean")
    return Decisions(requirements, decisions, references)


def _listed(doc: YamlDoc, item: dict, where: str, fld: str) -> list[Any]:
    values = item.get(fld) or []
    if not isinstance(values, list):
        raise _fail(doc, f"{where}.{fld}", f"{fld} must be a list", f"write {fld}: [...]")
    return values


def _target(ref: Any, doc: YamlDoc, key: str, fld: str) -> tuple[str, str]:
    """``(kind, target)`` of one reference; ``addresses`` name requirements."""
    if fld == "addresses":
        return "requirement", str(ref)
    kind, parts = _parse_reference(ref, doc, key)
    if kind == "transcript":
        return kind, f"{parts['transcript_id']}#{parts['turn']}"
    return kind, "/".join(parts.values())


def _entries(doc: YamlDoc, data: dict, section: str, required: tuple[str, ...]) -> list[dict]:
    items = data.get(section) or []
    if not isinstance(items, list):
        raise _fail(doc, section, f"{section} must be a list", f"write {section}: - id: ...")
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{section}[{i}]"
        if not isinstance(item, dict):
            raise _fail(doc, where, "an entry must be a mapping", "write - {id: ..., ...}")
        for key in required:
            if item.get(key) in (None, ""):
                raise _fail(doc, where, f"field '{key}' is missing", f"add {key}:")
        if item["id"] in seen:
            raise _fail(
                doc, f"{where}.id", f"id '{item['id']}' is repeated", "give each entry its own id"
            )
        seen.add(item["id"])
        if section == "decisions" and not _is_int(item["cycle"]):
            raise _fail(doc, f"{where}.cycle", "cycle must be a whole number", "e.g. cycle: 2")
    return items
