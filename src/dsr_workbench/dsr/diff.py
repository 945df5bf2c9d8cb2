"""What changed between two versions of an artifact, and which design decisions changed it.

:func:`artifact_diff` compares two element trees by element id (ids are stable across
versions): an element is *added*, *removed*, *renamed* (its name changed), *moved* (its parent
changed) or *re-worded* (its text changed); one element may change in several ways, one row
each. Each change is linked to the design decisions of ``decisions.yaml`` that name this
artifact and the later version: those the element lists under ``decisions:`` (in either
version) or, when it lists none of them, those that address a requirement the element or one
of its ancestors addresses (for a removed element: where it was, in the later tree).
:func:`change_sources` follows the links to the requirements and to the turns and ratings
behind each decision and requirement.
"""

from __future__ import annotations

import pandas as pd

from dsr_workbench.core.errors import DsrError
from dsr_workbench.dsr.artifacts import Artifacts

__all__ = [
    "CHANGE_COLUMNS",
    "CHANGES",
    "SOURCE_COLUMNS",
    "artifact_diff",
    "change_sources",
    "source_texts",
]

CHANGES: tuple[str, ...] = ("added", "removed", "renamed", "moved", "reworded")
"""Kinds of change, in the order they are listed."""

CHANGE_COLUMNS: list[str] = [
    "artifact", "v_from", "v_to", "element_id", "kind", "name", "change", "before", "after",
    "decisions", "requirements",
]  # fmt: skip
"""Columns of :func:`artifact_diff`; decisions and requirements are tuples of ids."""

SOURCE_COLUMNS: list[str] = [
    "element_id", "change", "decision_id", "via", "owner", "reference", "kind", "target",
]  # fmt: skip
"""Columns of :func:`change_sources`."""


def _ancestry(tree: pd.DataFrame) -> dict[str, set[str]]:
    """Element id → the requirements it and its ancestors address."""
    parent = dict(zip(tree["element_id"], tree["parent"], strict=True))
    own = dict(zip(tree["element_id"], tree["addresses"], strict=True))
    out: dict[str, set[str]] = {}
    for eid in tree["element_id"]:
        reqs: set[str] = set()
        probe: str | None = eid
        while probe is not None:
            reqs |= set(own.get(probe, ()))
            probe = parent.get(probe)
        out[eid] = reqs
    return out


def artifact_diff(arts: Artifacts, artifact: str, v_from: str, v_to: str) -> pd.DataFrame:
    """The changes from ``v_from`` to ``v_to``, each with its design decisions.

    Parameters
    ----------
    arts
        From :func:`~dsr_workbench.dsr.artifacts.load_artifacts`.
    artifact, v_from, v_to
        The artifact and two of its versions (``v_from`` need not be the one before).

    Returns
    -------
    pandas.DataFrame
        :data:`CHANGE_COLUMNS`, one row per change, in the order of the later tree (removed
        elements last). ``before``/``after`` hold the old and new name, parent or text.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> arts = load_artifacts(load_study(EXAMPLE_STUDY))
    >>> diff = artifact_diff(arts, "development-framework", "v1", "v2")
    >>> row = diff[diff["element_id"] == "gm-steering-committee"].iloc[0]
    >>> row["change"], row["before"], row["after"], row["decisions"]
    ('renamed', 'Establish joint steering committee', 'Joint steering committee', ('D01',))
    """
    old, new = arts.version(artifact, v_from), arts.version(artifact, v_to)
    if v_from == v_to:
        raise DsrError(
            f"both versions are {v_from}", key="v_to", hint="name two different versions"
        )
    decided = _decisions_of(arts, artifact, v_to)
    req_old, req_new = _ancestry(old), _ancestry(new)
    old_by = old.set_index("element_id")
    rows: list[list[object]] = []

    def emit(e: pd.Series, eid: str, change: str, before: object, after: object) -> None:
        reqs = req_new.get(eid, set()) | req_old.get(eid, set())
        if change == "removed":  # the requirements of where it was, as that part is now
            reqs |= req_new.get(str(e["parent"]), set())
        listed = set(e["decisions"]) | (
            set(old_by.loc[eid, "decisions"]) if eid in old_by.index else set()
        )
        named = [d for d in decided if d in listed]  # decisions.yaml order
        ids = tuple(named or [d for d, addr in decided.items() if addr & reqs])
        rows.append([artifact, v_from, v_to, eid, e["kind"], e["name"], change, before, after,
                     ids, tuple(sorted(reqs))])  # fmt: skip

    for e in new.to_dict("records"):
        eid = e["element_id"]
        if eid not in old_by.index:
            emit(pd.Series(e), eid, "added", None, e["name"])
            continue
        o = old_by.loc[eid]
        for change, fld in (("renamed", "name"), ("moved", "parent"), ("reworded", "text")):
            if _norm(o[fld]) != _norm(e[fld]):
                emit(pd.Series(e), eid, change, o[fld], e[fld])
    new_ids = set(new["element_id"])
    for o in old.to_dict("records"):
        if o["element_id"] not in new_ids:
            emit(pd.Series(o), o["element_id"], "removed", o["name"], None)
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _norm(value: object) -> object:
    """``None`` for a missing value (None, NaN, ""), else the value."""
    return (
        None
        if value is None or value == "" or (isinstance(value, float) and value != value)
        else value
    )


def _decisions_of(arts: Artifacts, artifact: str, version: str) -> dict[str, set[str]]:
    """Decision id → requirements it addresses, for decisions naming this artifact version."""
    if arts.decisions is None:
        return {}
    d, refs = arts.decisions.decisions, arts.decisions.references
    mine = d[(d["artifact"] == artifact) & (d["version"] == version)]["decision_id"]
    req = refs[refs["kind"] == "requirement"]
    return {i: set(req[req["owner"] == i]["target"]) for i in mine}


def change_sources(arts: Artifacts, diff: pd.DataFrame) -> pd.DataFrame:
    """Why each change was made: its decisions, their requirements, and their sources.

    For every change and each of its decisions: the decision's own sources (``via`` =
    ``decision``) and the sources of the requirements it addresses (``via`` = ``requirement``),
    as references (``transcript:FG1#turn23``, ``rating:...``, ``coding:...``).

    Returns
    -------
    pandas.DataFrame
        :data:`SOURCE_COLUMNS`; ``owner`` is the decision or requirement id that cites it.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> arts = load_artifacts(load_study(EXAMPLE_STUDY))
    >>> diff = artifact_diff(arts, "development-framework", "v2", "v3")
    >>> src = change_sources(arts, diff)
    >>> sorted(set(src[src["element_id"] == "gm-quality-agreement"]["owner"]))
    ['D09', 'R01', 'R04']
    """
    if arts.decisions is None or diff.empty:
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    refs = arts.decisions.references
    sources = refs[refs["field"] == "source"]
    addressed = refs[refs["kind"] == "requirement"]
    rows = []
    for ch in diff.itertuples(index=False):
        for dec in ch.decisions:
            for s in sources[sources["owner"] == dec].itertuples(index=False):
                rows.append([ch.element_id, ch.change, dec, "decision", dec, s.reference,
                             s.kind, s.target])  # fmt: skip
            for req in addressed[addressed["owner"] == dec]["target"]:
                for s in sources[sources["owner"] == req].itertuples(index=False):
                    rows.append([ch.element_id, ch.change, dec, "requirement", req,
                                 s.reference, s.kind, s.target])  # fmt: skip
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


def source_texts(
    sources: pd.DataFrame,
    *,
    turns: pd.DataFrame | None = None,
    evaluations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``sources`` (e.g. :func:`change_sources`) with what each reference says and who said it.

    Adds ``who`` (participant id and perspective) and ``text`` (the turn's words, or the
    rating and its comment); codings and references not found keep <NA>.

    Examples
    --------
    >>> src = pd.DataFrame({"kind": ["transcript"], "target": ["FG1#2"]})
    >>> turns = pd.DataFrame({"transcript_id": ["FG1"], "turn": [2], "participant_id": ["P01"],
    ...                       "perspective": ["client"], "text": ["Hannah, Alpha."]})
    >>> source_texts(src, turns=turns)[["who", "text"]].iloc[0].tolist()
    ['P01 (client)', 'Hannah, Alpha.']
    """
    said: dict[tuple[str, str], tuple[str, str]] = {}
    if turns is not None:
        for t in turns.itertuples(index=False):
            said[("transcript", f"{t.transcript_id}#{t.turn}")] = (
                f"{t.participant_id} ({t.perspective})",
                str(t.text),
            )
    if evaluations is not None:
        for r in evaluations.itertuples(index=False):
            said[("rating", f"{r.episode}/{r.participant}/{r.criterion}")] = (
                f"{r.participant} ({r.perspective})",
                f"{r.criterion} {r.rating}: {r.comment}")  # fmt: skip
    out = sources.copy()
    found = [said.get((k, t)) for k, t in zip(out["kind"], out["target"], strict=True)]
    out["who"] = [None if f is None else f[0] for f in found]
    out["text"] = [None if f is None else f[1] for f in found]
    return out
