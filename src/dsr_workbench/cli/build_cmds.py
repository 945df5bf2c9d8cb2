"""``dsr build``, ``dsr status`` and ``dsr verify``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the build commands to ``dsr``."""
    p = sub.add_parser("build", help="build every cycle's reports (skips what is current)")
    p.add_argument("--cycle", type=int, action="append", help="only this cycle (repeatable)")
    p.add_argument("--report", action="append", help="only this report (repeatable)")
    p.add_argument("--jobs", "-j", type=int, default=2, help="parallel jobs (default 2)")
    p.add_argument("--force", action="store_true", help="run even jobs that are current")
    p.add_argument(
        "--executor",
        default="process",
        help="process (default), thread, dask-local or dask://HOST:8786 (a running Dask "
        "scheduler whose workers share the study's folder at the same path; waits "
        "$DSR_DASK_TIMEOUT s, default 10, for it and a worker)",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="fail at once if another build of the study is running",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument(
        "--key",
        type=Path,
        help="pseudonymisation key: every new version is checked for real names before it "
        "is published (default: $DSR_KEY_FILE, then the study's key_file)",
    )
    p.add_argument(
        "--with-code",
        action="store_true",
        help="pages show the code from the start (default: hidden behind a 'Show code' "
        "button); a build with code is never taken for one without, nor the reverse",
    )
    p.set_defaults(handler=_build)

    p = sub.add_parser("status", help="which reports are current, stale, failed or missing")
    p.set_defaults(handler=_status)

    p = sub.add_parser("verify", help="is a version still what today's inputs produce?")
    p.add_argument("version_dir", type=Path, help="e.g. reports/cycle-1/corpus-overview/v001")
    p.add_argument(
        "--rerun",
        action="store_true",
        help="run the notebook again (in a scratch folder) and compare the outputs",
    )
    p.set_defaults(handler=_verify)


def _study(args: argparse.Namespace):
    from dsr_workbench.corpus.study import load_study

    return load_study(args.study)


def _build(args: argparse.Namespace) -> int:
    from dsr_workbench.build.run import build

    if args.jobs < 1:
        from dsr_workbench.core.errors import DsrError

        raise DsrError(f"--jobs must be at least 1, got {args.jobs}", hint="use --jobs 2")
    study = _study(args)
    result = build(
        study,
        cycles=args.cycle,
        reports=args.report,
        jobs=args.jobs,
        force=args.force,
        executor=args.executor,
        progress=not args.quiet,
        wait=not args.no_wait,
        key=args.key,
        with_code=args.with_code,
    )
    counts = result.status.value_counts().to_dict()
    print(
        f"dsr build: {counts.get('built', 0)} built, {counts.get('skipped', 0)} current "
        f"(skipped), {counts.get('failed', 0)} failed -> {study.reports_dir / 'index.html'}"
    )
    failed = result[result.status == "failed"]
    for row in failed.itertuples(index=False):
        error = " ".join(str(row.error).split())  # one line, whatever the exception said
        print(f"  FAILED cycle {row.cycle} {row.report}: {error}", file=sys.stderr)
    for line in _unplaced_lines(study, result):
        print(line, file=sys.stderr)
    return 1 if len(failed) else 0


UNPLACED_TABLE = "unplaced_codings"
"""The table a report that uses codings saves its unplaced ones in: the value of
:data:`dsr_workbench.coding.anchored.UNPLACED_TABLE`, repeated so that ``dsr build`` does not
import the coding layer (scipy) on its fast path; ``tests/cli/test_cli.py`` checks they agree."""


def _unplaced_lines(study, result) -> list[str]:
    """One line per report version (built or current) that left codings out because they
    could not be placed on today's transcripts (its ``tables/unplaced_codings.csv``)."""
    import csv

    lines = []
    for row in result.itertuples(index=False):
        if not isinstance(row.version, str):
            continue
        version = study.reports_dir / f"cycle-{row.cycle}" / row.report / row.version
        table = version / "tables" / f"{UNPLACED_TABLE}.csv"
        if not table.is_file():
            continue
        with open(table, newline="", encoding="utf-8") as handle:
            n = sum(1 for _ in csv.reader(handle)) - 1  # a quote may span lines: count records
        if n > 0:
            lines.append(
                f"dsr build: warning: cycle {row.cycle} {row.report} {row.version}: left out "
                f"{n} coding{'s' * (n != 1)} that could not be placed on the current "
                f"transcripts (listed in {table.relative_to(version)}); run `dsr codings check`"
            )
    return lines


def _status(args: argparse.Namespace) -> int:
    from dsr_workbench.build.check import status

    table = status(_study(args))
    print(table.to_string(index=False))
    return 1 if (table.state == "failed").any() else 0


def _verify(args: argparse.Namespace) -> int:
    from dsr_workbench.build.check import verify

    res = verify(_study(args), args.version_dir, rerun=args.rerun)
    print(f"{args.version_dir}: {res['state']}")
    for kind, files in res["changed"].items():
        for f in files:
            print(f"  {kind}: {f}")
    if args.rerun:
        diff = res["differences"]
        print(
            "rerun: outputs reproduced"
            if res["reproduced"]
            else f"rerun: {len(diff)} difference(s)"
        )
        for row in diff.itertuples(index=False):
            print(f"  {row.what} {row.name}: {row.detail}")
    ok = res["state"] == "current" and res.get("reproduced", True)
    return 0 if ok else 1
