"""``dsr artifacts``: the designed artifacts, their versions, changes and traceability."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``dsr artifacts`` (list, diff, trace, sheet) to ``dsr``."""
    p = sub.add_parser(
        "artifacts",
        help="designed artifacts: versions, diffs, traceability, take-away sheets",
        description="Without a subcommand: list every artifact version with its cycle, status, "
        "episodes and mean ratings (data/artifacts/<artifact>/vN.yaml).",
    )
    p.set_defaults(handler=_list)
    acts = p.add_subparsers(dest="action", metavar="ACTION")
    d = acts.add_parser("diff", help="what changed between two versions, and which decision")
    d.add_argument("artifact")
    d.add_argument("v_from", metavar="V1")
    d.add_argument("v_to", metavar="V2")
    d.set_defaults(handler=_diff)
    t = acts.add_parser(
        "trace",
        help="check references and requirement coverage (exit 1 on a problem)",
        description="Resolve every evidence reference and check that each requirement a "
        "version must meet is addressed. Exit 1 when one does not resolve or is uncovered.",
    )
    t.add_argument("artifact", nargs="?", help="default: every artifact")
    t.add_argument("--version", help="default: every version")
    t.set_defaults(handler=_trace)
    s = acts.add_parser("sheet", help="write a take-away sheet (.html or .docx)")
    s.add_argument("artifact")
    s.add_argument("version")
    s.add_argument("--out", required=True, type=Path, help="FILE.html or FILE.docx")
    s.add_argument(
        "--key",
        type=Path,
        help="pseudonymisation key: leave out quotes naming a real person (default: the "
        "study's key_file, if it exists)",
    )
    s.set_defaults(handler=_sheet)


def _context(args: argparse.Namespace, *, references: bool = False) -> dict[str, Any]:
    from dsr_workbench.corpus.study import load_study
    from dsr_workbench.dsr.artifacts import load_artifacts
    from dsr_workbench.dsr.record import load_evaluations

    study = load_study(args.study)
    arts = load_artifacts(study)
    folder = study.data_dir / "evaluations"
    ev = load_evaluations(folder, study.participants) if (folder / "episodes").is_dir() else None
    out: dict[str, Any] = {"study": study, "arts": arts, "evaluations": ev}
    if references:
        from dsr_workbench.coding.codings import load_codings
        from dsr_workbench.corpus.read import load_corpus
        from dsr_workbench.dsr.trace import resolve

        _, turns = load_corpus(study)
        codings = load_codings(study.data_dir / "codings")
        out["references"] = resolve(arts, turns=turns, codings=codings, evaluations=ev)
    return out


def _list(args: argparse.Namespace) -> int:
    from dsr_workbench.dsr.episodes import load_episodes
    from dsr_workbench.dsr.trace import evaluation_by_version

    ctx = _context(args)
    study, arts, ev = ctx["study"], ctx["arts"], ctx["evaluations"]
    if arts.versions.empty:
        print(f"no artifacts in {study.data_dir / 'artifacts'}", file=sys.stderr)
        return 0
    panels = None
    if ev is not None:  # every episode, also one whose ratings are not (yet) recorded
        panels = load_episodes(study.data_dir / "evaluations", study.participants)
        panels = panels.drop_duplicates("episode")
    rows = []
    for v in arts.versions.itertuples(index=False):
        episodes, means = "", ""
        if ev is not None and panels is not None:
            mine = ev[(ev["artifact"] == v.artifact) & (ev["version"] == v.version)]
            held = panels[(panels["artifact"] == v.artifact) & (panels["version"] == v.version)]
            episodes = ", ".join(held["episode"])
            summary = evaluation_by_version(arts, mine, v.artifact) if len(mine) else None
            if summary is not None:
                m = summary.groupby("criterion")["mean"].mean()
                means = " ".join(f"{c[:4]}={x:.1f}" for c, x in m.items())
        n = int(((arts.elements["artifact"] == v.artifact)
                 & (arts.elements["version"] == v.version)).sum())  # fmt: skip
        rows.append([v.artifact, v.version, v.cycle, v.status, n, episodes or "-", means or "-"])
    import pandas as pd

    table = pd.DataFrame(
        rows, columns=["artifact", "version", "cycle", "status", "elements", "episodes", "ratings"]
    )
    print(table.to_string(index=False))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from dsr_workbench.dsr.diff import artifact_diff

    arts = _context(args)["arts"]
    diff = artifact_diff(arts, args.artifact, args.v_from, args.v_to)
    if diff.empty:
        print(f"{args.artifact}: no change from {args.v_from} to {args.v_to}")
        return 0
    for r in diff.itertuples(index=False):
        what = {
            "added": f"+ {r.name}",
            "removed": f"- {r.before}",
            "renamed": f"~ '{r.before}' -> '{r.after}'",
            "moved": f"> moved from {r.before or '(top)'} to {r.after or '(top)'}",
            "reworded": "~ re-worded",
        }[r.change]
        why = ", ".join(r.decisions) or "no decision"
        print(f"{r.element_id} ({r.kind}) {r.change}: {what}  [{why}]")
    print(f"{len(diff)} changes, {sum(1 for d in diff['decisions'] if not d)} without a decision")
    return 0


def _trace(args: argparse.Namespace) -> int:
    from dsr_workbench.dsr.trace import traceability

    ctx = _context(args, references=True)
    arts = ctx["arts"]
    versions = arts.versions
    if args.artifact:
        arts.version_row(args.artifact, args.version or str(
            versions[versions["artifact"] == args.artifact]["version"].iloc[0]
            if (versions["artifact"] == args.artifact).any() else "v1"))  # fmt: skip
        versions = versions[versions["artifact"] == args.artifact]
    if args.version:
        versions = versions[versions["version"] == args.version]
        if versions.empty:
            from dsr_workbench.core.errors import DsrError

            raise DsrError(f"no artifact has a version '{args.version}'", key="version",
                           hint="see `dsr artifacts` for the versions")  # fmt: skip
    problems = 0
    for v in versions.itertuples(index=False):
        t = traceability(
            arts, v.artifact, v.version, references=ctx["references"],
            evaluations=ctx["evaluations"],
        )  # fmt: skip
        for r in t.unresolved.itertuples(index=False):
            print(f"{r.path}:{r.line}: key '{r.key}': {r.reference} points at nothing")
        for r in t.uncovered.itertuples(index=False):
            print(f"{v.path}: {v.artifact} {v.version}: requirement {r.requirement_id} is "
                  "addressed by no element")  # fmt: skip
        for r in t.unmatched_decisions.itertuples(index=False):
            print(f"{v.path}: note: decision {r.decision_id} names {v.version} but matches no "
                  "change")  # fmt: skip
        for r in t.unevidenced.itertuples(index=False):
            print(f"{v.path}: note: element {r.element_id} has no evidence")
        problems += len(t.unresolved) + len(t.uncovered)
        due = int(t.coverage["due"].sum())
        print(f"{v.artifact} {v.version}: {len(t.links)} links, {due} requirements due, "
              f"{len(t.uncovered)} uncovered, {len(t.unresolved)} unresolved")  # fmt: skip
    return 1 if problems else 0


def _sheet(args: argparse.Namespace) -> int:
    from dsr_workbench.build.sheet import write_sheet
    from dsr_workbench.corpus.pseudonymise import load_key

    ctx = _context(args)
    study = ctx["study"]
    key_path = args.key or study.key_file
    key = load_key(key_path) if key_path is not None and Path(key_path).exists() else None
    if args.key is not None and key is None:
        load_key(args.key)  # raises the one-line "not found" error
    path = write_sheet(study, ctx["arts"], args.artifact, args.version, args.out,
                       evaluations=ctx["evaluations"], key=key)  # fmt: skip
    print(f"wrote {path}")
    return 0
