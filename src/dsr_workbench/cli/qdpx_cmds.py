"""``dsr import qdpx|qdc FILE`` and ``dsr export qdpx|qdc``: REFI-QDA exchange.

See :mod:`dsr_workbench.refi` for what is exported and what an import does.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from dsr_workbench.core.errors import DsrError

_SHOWN = 20


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``import`` and ``export`` commands to ``dsr``."""
    p = sub.add_parser("import", help="import a REFI-QDA project or codebook into the study")
    import_sub = p.add_subparsers(dest="import_command", metavar="FORMAT", required=True)
    for fmt, what in (("qdpx", "project (.qdpx)"), ("qdc", "codebook (.qdc)")):
        q = import_sub.add_parser(
            fmt,
            help=f"import a REFI-QDA {what}",
            description="Bring sources, codes and codings made in NVivo, ATLAS.ti, MAXQDA, "
            "QualCoder (or exported by dsr) into the study. New source texts go to "
            "interviews/imported/ (never overwriting a file) and the study.yaml lines to add "
            "are printed; new codes are appended to data/codebook.yaml; codings are appended "
            "to each coder's log with origin 'import'. A coding whose position nothing in the "
            "file confirms (no quote to check it against) is placed by the REFI-QDA standard's "
            "code-point convention and marked unverified, counted per source with the reason; "
            "only a coding outside its source's text is not imported, and each one is listed. "
            "Exit 1 if any coding was not imported.",
        )
        q.add_argument("file", help=f"the {what} file (either format is accepted)")
        q.add_argument(
            "--dry-run", action="store_true", help="show what would happen; write nothing"
        )
        q.add_argument(
            "--coder-map",
            action="append",
            default=[],
            metavar="OLD=NEW",
            help="import the codings of user OLD as coder NEW (repeatable)",
        )
        q.add_argument(
            "--default-coder",
            default="imported",
            help="coder of codings whose file names no user (default: imported)",
        )
        q.set_defaults(handler=_import)

    p = sub.add_parser("export", help="export the study as REFI-QDA (.qdpx, .qdc)")
    export_sub = p.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    q = export_sub.add_parser(
        "qdpx",
        help="the whole study as a REFI-QDA project",
        description="Write transcripts (normalised text), codebook, coders, codings, memos, "
        "organisations and participants as a REFI-QDA 1.0 project for NVivo, ATLAS.ti, "
        "MAXQDA or QualCoder.",
    )
    q.add_argument("--out", help="the file to write (default: <study id>.qdpx here)")
    q.set_defaults(handler=_export, format="qdpx")
    q = export_sub.add_parser("qdc", help="the codebook as a REFI-QDA codebook")
    q.add_argument("--out", help="the file to write (default: <study id>.qdc here)")
    q.set_defaults(handler=_export, format="qdc")


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _table(frame: pd.DataFrame, columns: list[str], limit: int | None = _SHOWN) -> str:
    shown = frame[columns] if limit is None else frame[columns].head(limit)
    shown = shown.astype(object)
    shown = shown.where(shown.notna(), "-")
    text = shown.to_string(index=False)
    if limit is not None and len(frame) > limit:
        text += f"\n... and {len(frame) - limit} more"
    return "\n".join(f"  {line}" for line in text.split("\n"))


def _renames(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise DsrError(f"--coder-map {pair!r} is not OLD=NEW", hint="e.g. --coder-map Gergo=R2")
        out[old.strip()] = new.strip()
    return out


def _import(args: argparse.Namespace) -> int:
    from dsr_workbench.refi import import_refi

    plan = import_refi(
        args.study,
        args.file,
        dry_run=args.dry_run,
        coders=_renames(args.coder_map),
        default_coder=args.default_coder,
    )
    would = "would " if args.dry_run else ""
    if len(plan.sources):
        _out(f"sources ({len(plan.sources)}):")
        _out(
            _table(plan.sources, ["name", "action", "transcript_id", "file", "n_codings", "n_new"])
        )
    codes = plan.codes
    counts = codes["action"].value_counts()
    _out(
        f"codes: {counts.get('existing', 0)} already in the codebook, "
        f"{counts.get('conflict', 0)} in conflict (ours kept), {would}append {plan.n_new_codes}"
    )
    conflicts = codes.loc[(codes["action"] == "conflict").to_numpy()]
    if len(conflicts):
        _out(_table(conflicts, ["code_id", "study_code", "detail"]))
    by_coder = ", ".join(f"{coder}: {len(ev)}" for coder, ev in plan.events.items()) or "none"
    _out(
        f"codings: {would}append {plan.n_events} ({by_coder}); {plan.n_present} already in the "
        f"logs; {len(plan.problems)} not imported"
    )
    n_unverified = int(plan.unverified["n_codings"].sum())
    if n_unverified:
        _out(
            f"unverified: {n_unverified} of the codings {'to append' if would else 'appended'} "
            "are placed, but nothing in the file confirms where (their events carry verified: "
            "false; check them):"
        )
        for row in plan.unverified.itertuples(index=False):
            what = "coding" if row.n_codings == 1 else "codings"
            reason = str(row.reason)
            if not reason.startswith("placed by"):
                reason = f"unverified: {reason}"
            _out(f"  {row.source}: {row.n_codings} {what} {reason}")
    if len(plan.problems):
        _out("not imported (each one):")
        columns = ["source", "selection_id", "start", "end", "code_id", "coder", "problem"]
        _out(_table(plan.problems, columns, limit=None))
    if plan.study_yaml:
        _out("add under 'transcripts:' in study.yaml (check kind, date and cycle):")
        for line in plan.study_yaml:
            _out(line)
    for note in plan.notes:
        _out(f"note: {note}")
    if args.dry_run:
        sys.stderr.write("dsr import: dry run, nothing written\n")
    else:
        for path in plan.written:
            sys.stderr.write(f"dsr import: wrote {path}\n")
    return 1 if len(plan.problems) else 0


def _export(args: argparse.Namespace) -> int:
    from dsr_workbench.corpus.study import load_study
    from dsr_workbench.refi import export_qdc, export_qdpx

    study = load_study(args.study)
    out = args.out or f"{study.id}.{args.format}"
    if args.format == "qdc":
        report = export_qdc(study, out)
    else:
        report = export_qdpx(study, out)
    what = ", ".join(f"{n} {k}" for k, n in report.counts.items())
    _out(f"wrote {report.path}: {what}")
    if len(report.skipped):
        _out(f"left out {len(report.skipped)} codings:")
        _out(_table(report.skipped, ["coding_id", "transcript_id", "code_id", "reason"]))
    return 0
