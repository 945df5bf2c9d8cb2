"""Traceability of an artifact version: requirement → elements → evidence → evaluation.

:func:`resolve` checks where every ``evidence`` reference of the artifacts points (turns,
codings, ratings); :func:`traceability` gives, for one version, the tidy chain from each
requirement through the elements that address it to their evidence, the coverage (requirements
the version must meet but no element addresses; elements without evidence; decisions naming the
version that match no change) and the ratings of the episodes that evaluated it;
:func:`evaluation_by_version` summarises the ratings of every version of an artifact.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dsr_workbench.core.errors import DsrError
from dsr_workbench.dsr.artifacts import Artifacts
from dsr_workbench.dsr.diff import CHANGE_COLUMNS, _decisions_of, artifact_diff
from dsr_workbench.dsr.record import SUMMARY_COLUMNS, rating_summary

__all__ = [
    "LINK_COLUMNS",
    "Trace",
    "check_references",
    "evaluation_by_version",
    "resolve",
    "traceability",
    "version_of_cycle",
]

LINK_COLUMNS: list[str] = [
    "requirement_id", "requirement", "element_id", "kind", "name", "reference",
    "evidence_kind", "resolved",
]  # fmt: skip
"""Columns of :attr:`Trace.links`."""


def resolve(
    arts: Artifacts,
    *,
    turns: pd.DataFrame | None = None,
    codings: pd.DataFrame | None = None,
    evaluations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:attr:`Artifacts.references` with ``resolved`` (True/False; <NA> when not checked).

    Parameters
    ----------
    arts
        The artifacts.
    turns, codings, evaluations
        ``turns`` (transcript_id, turn), ``codings`` (coding_id) and ``evaluations``
        (episode, participant, criterion); references of a kind without its table stay <NA>.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> arts = load_artifacts(load_study(EXAMPLE_STUDY))
    >>> refs = resolve(arts, turns=pd.DataFrame({"transcript_id": ["FG1"], "turn": [23]}))
    >>> bool(refs[refs["kind"] == "transcript"]["resolved"].any()), bool(refs["resolved"].isna().any())
    (True, True)
    """
    known: dict[str, set[str] | None] = {
        "transcript": None if turns is None else {
            f"{t}#{int(n)}" for t, n in zip(turns["transcript_id"], turns["turn"], strict=True)
        },
        "coding": None if codings is None else set(codings["coding_id"].astype(str)),
        "rating": None if evaluations is None else set(
            evaluations["episode"] + "/" + evaluations["participant"] + "/"
            + evaluations["criterion"]
        ),
    }  # fmt: skip
    refs = arts.references.copy()
    flags: list[bool | None] = []
    for k, t in zip(refs["kind"], refs["target"], strict=True):
        targets = known[k]
        flags.append(None if targets is None else t in targets)
    refs["resolved"] = pd.array(flags, dtype="boolean")
    return refs


def _what(kind: str) -> str:
    return {"transcript": "turn", "coding": "coding", "rating": "rating"}[kind]


def check_references(refs: pd.DataFrame) -> None:
    """Raise a one-line :class:`DsrError` for the first reference that points at nothing.

    Examples
    --------
    >>> refs = pd.DataFrame({"reference": ["transcript:FG1#turn999"], "kind": ["transcript"],
    ...                      "path": ["v1.yaml"], "line": [7], "key": ["elements[0].evidence[0]"],
    ...                      "resolved": pd.array([False], dtype="boolean")})
    >>> check_references(refs)
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.DsrError: v1.yaml:7: key 'elements[0].evidence[0]': transcript:FG1#turn999: no such turn (fix: point at a turn that exists (dsr corpus), or remove it)
    """
    bad = refs[refs["resolved"].eq(False).fillna(False)]
    if bad.empty:
        return
    row = bad.iloc[0]
    what = _what(row["kind"])
    hints = {
        "turn": "point at a turn that exists (dsr corpus), or remove it",
        "coding": "use a coding id of data/codings (dsr codings), or remove it",
        "rating": "use episode/participant/criterion of a recorded rating",
    }
    raise DsrError(
        f"{row['reference']}: no such {what}",
        path=row["path"],
        line=None if pd.isna(row["line"]) else int(row["line"]),
        key=row["key"],
        hint=hints[what],
    )


@dataclass(frozen=True)
class Trace:
    """The traceability of one artifact version (see :func:`traceability`).

    Attributes
    ----------
    links
        :data:`LINK_COLUMNS`: requirement → element → evidence, one row per evidence reference
        (an element without evidence has one row with reference <NA>).
    coverage
        requirement_id, text, due (the version must meet it), n_elements, addressed.
    unevidenced
        element_id, kind, name of elements with no evidence.
    unmatched_decisions
        decision_id, decision: decisions naming this version that match no change.
    unresolved
        References of this version that point at nothing (path, line, key, reference).
    ratings
        The evaluation of this version (:func:`evaluation_by_version` rows).
    """

    artifact: str
    version: str
    links: pd.DataFrame
    coverage: pd.DataFrame
    unevidenced: pd.DataFrame
    unmatched_decisions: pd.DataFrame
    unresolved: pd.DataFrame
    ratings: pd.DataFrame

    @property
    def uncovered(self) -> pd.DataFrame:
        """Requirements the version must meet that no element addresses."""
        return self.coverage[self.coverage["due"] & ~self.coverage["addressed"]]

    @property
    def ok(self) -> bool:
        """Every reference resolves and every due requirement is addressed."""
        return self.unresolved.empty and self.uncovered.empty


def due_requirements(arts: Artifacts, artifact: str, version: str) -> set[str]:
    """Requirements a version must meet: its own ``requirements:`` and those addressed by the
    decisions that name this artifact at this or an earlier version."""
    row = arts.version_row(artifact, version)
    due = set(row["requirements"])
    numbers = arts.versions[arts.versions["artifact"] == artifact].set_index("version")["number"]
    for v, n in numbers.items():
        if n <= row["number"]:
            for reqs in _decisions_of(arts, artifact, str(v)).values():
                due |= reqs
    return due


def traceability(
    arts: Artifacts,
    artifact: str,
    version: str,
    *,
    references: pd.DataFrame | None = None,
    evaluations: pd.DataFrame | None = None,
) -> Trace:
    """Requirement → elements → evidence → ratings for one version, with its coverage.

    Parameters
    ----------
    arts
        The artifacts.
    artifact, version
        The version to trace.
    references
        :func:`resolve`'s table (default: the references, unchecked).
    evaluations
        The tidy ``evaluations`` table (:func:`~dsr_workbench.dsr.record.load_evaluations`).

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> arts = load_artifacts(load_study(EXAMPLE_STUDY))
    >>> trace = traceability(arts, "development-framework", "v3")
    >>> trace.coverage.query("due")["requirement_id"].tolist(), trace.ok
    (['R01', 'R02', 'R03', 'R04', 'R11'], True)
    """
    elements = arts.version(artifact, version)
    refs = resolve(arts) if references is None else references
    refs = refs[(refs["artifact"] == artifact) & (refs["version"] == version)]
    reqs = (
        arts.decisions.requirements
        if arts.decisions is not None
        else pd.DataFrame(columns=["requirement_id", "text"])
    )
    text = dict(zip(reqs["requirement_id"], reqs["text"], strict=True))
    rows = []
    for e in elements.itertuples(index=False):
        mine = refs[refs["element_id"] == e.element_id]
        for req in e.addresses or (None,):
            evidence = list(mine.itertuples(index=False)) or [None]
            for r in evidence:
                rows.append([req, text.get(req) if req else None, e.element_id, e.kind, e.name,
                             None if r is None else r.reference, None if r is None else r.kind,
                             pd.NA if r is None else r.resolved])  # fmt: skip
    links = pd.DataFrame(rows, columns=LINK_COLUMNS)
    links["resolved"] = links["resolved"].astype("boolean")
    due = due_requirements(arts, artifact, version)
    counts = links.dropna(subset=["requirement_id"]).groupby("requirement_id")["element_id"]
    n = counts.nunique()
    coverage = pd.DataFrame({"requirement_id": reqs["requirement_id"], "text": reqs["text"]})
    coverage["due"] = coverage["requirement_id"].isin(due)
    coverage["n_elements"] = coverage["requirement_id"].map(n).fillna(0).astype("int64")
    coverage["addressed"] = coverage["n_elements"] > 0
    coverage = coverage[coverage["due"] | coverage["addressed"]].reset_index(drop=True)
    unevidenced = elements[elements["evidence"].map(len) == 0][["element_id", "kind", "name"]]
    unresolved = refs[refs["resolved"].eq(False).fillna(False)][
        ["element_id", "reference", "path", "line", "key"]
    ]
    ratings = (
        evaluation_by_version(arts, evaluations, artifact).query("version == @version")
        if evaluations is not None
        else pd.DataFrame()
    )
    return Trace(
        artifact, version, links, coverage, unevidenced.reset_index(drop=True),
        _unmatched(arts, artifact, version), unresolved.reset_index(drop=True),
        ratings.reset_index(drop=True),
    )  # fmt: skip


def _unmatched(arts: Artifacts, artifact: str, version: str) -> pd.DataFrame:
    decided = _decisions_of(arts, artifact, version)
    before = arts.previous(artifact, version)
    if before is None:
        diff = pd.DataFrame(columns=CHANGE_COLUMNS)
    else:
        diff = artifact_diff(arts, artifact, before, version)
    matched = {d for ids in diff["decisions"] for d in ids}
    dec = arts.decisions.decisions if arts.decisions is not None else pd.DataFrame()
    if dec.empty:
        return pd.DataFrame(columns=["decision_id", "decision"])
    missing = [d for d in decided if d not in matched]
    out = dec[dec["decision_id"].isin(missing)][["decision_id", "decision"]]
    return out.reset_index(drop=True)


def evaluation_by_version(
    arts: Artifacts, evaluations: pd.DataFrame, artifact: str, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Ratings per version and criterion: n, mean, sd and a t interval, with the purpose.

    Uses :func:`~dsr_workbench.dsr.record.rating_summary` (pooled over perspectives); the
    purpose (formative | summative) comes from the episodes that rated the version.

    Returns
    -------
    pandas.DataFrame
        artifact, version, cycle, purpose, criterion, then n, mean, sd, ci_low, ci_high; versions
        in order (v1, v2, ...).

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> from dsr_workbench.dsr.record import load_evaluations
    >>> study = load_study(EXAMPLE_STUDY)
    >>> ev = load_evaluations(study.data_dir / "evaluations", study.participants)
    >>> t = evaluation_by_version(load_artifacts(study), ev, "development-framework")
    >>> t.query("criterion == 'completeness'")[["version", "purpose", "n", "mean"]]
      version    purpose  n  mean
    1      v1  formative  5   2.2
    5      v3  summative  6   3.3...
    """
    arts.version_row(artifact, str(arts.versions[arts.versions["artifact"] == artifact]
                                   ["version"].iloc[0]))  # fmt: skip
    by = ["artifact", "version", "cycle", "purpose", "criterion"]
    columns = [*by, *SUMMARY_COLUMNS]
    mine = evaluations[evaluations["artifact"] == artifact]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    unknown = set(mine["version"]) - set(arts.versions[arts.versions["artifact"] == artifact]
                                         ["version"])  # fmt: skip
    if unknown:
        raise DsrError(
            f"ratings of {artifact} {sorted(unknown)[0]}, which has no version file",
            key="version",
            hint=f"add data/artifacts/{artifact}/{sorted(unknown)[0]}.yaml",
        )
    out = rating_summary(mine, by=by, perspective_split=False, confidence=confidence)
    numbers = arts.versions.set_index(["artifact", "version"])["number"]
    out["_n"] = [numbers[(a, v)] for a, v in zip(out["artifact"], out["version"], strict=True)]
    return out.sort_values(["_n", "purpose", "criterion"]).drop(columns="_n")[columns]


def version_of_cycle(arts: Artifacts, artifact: str, cycle: int) -> str | None:
    """The artifact's latest version written in ``cycle`` (``None`` if there is none).

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> arts = load_artifacts(load_study(EXAMPLE_STUDY))
    >>> version_of_cycle(arts, "expectation-alignment", 3), version_of_cycle(arts,
    ...     "expectation-alignment", 2)
    ('v2', None)
    """
    v = arts.versions
    mine = v[(v["artifact"] == artifact) & (v["cycle"] == int(cycle))]
    return None if mine.empty else str(mine.sort_values("number")["version"].iloc[-1])
