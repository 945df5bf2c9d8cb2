"""Run the benchmarks and write ``docs/benchmarks.md``.

Usage, from the repository root::

    python -m benchmarks.run                    # everything -> docs/benchmarks.md (make bench)
    python -m benchmarks.run --quick            # smoke run, tiny sizes -> benchmarks/_work/
    python -m benchmarks.run --only gap,queries # some benchmarks -> benchmarks/_work/
    python -m benchmarks.run --render-only      # rewrite the document from the last results
    python -m benchmarks.run --only build --full-build   # the whole example build (~25 min)

The document is rewritten after every benchmark, so an interrupted run keeps what it measured.

``--full-build`` (``make bench-build-full``) builds every job of the example study instead of
``make bench``'s four notebooks. Its results are kept in ``benchmarks/results/build-full.json``
(in git, so every clone has them) and every later ``docs/benchmarks.md`` shows them beside
the four-notebook rows, with the date they were measured; the issue's goals are judged on them.
The run re-renders ``docs/benchmarks.md`` from the last ``make bench`` results
(``benchmarks/_work/results-full.json``) when they exist, else it writes
``benchmarks/_work/benchmarks-build-full.md`` and the next ``make bench`` picks the results up.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from benchmarks.harness import Context, Goal, Section, Table, load_average, machine_info

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
DOC = ROOT / "docs" / "benchmarks.md"
FULL_BUILD = ROOT / "benchmarks" / "results" / "build-full.json"
"""The saved results of ``--full-build`` (kept in git)."""
BENCHMARKS: tuple[str, ...] = (
    "ingest",
    "autocode",
    "queries",
    "reliability",
    "codinglog",
    "gap",
    "codingview",
    "build",
)
"""Benchmark modules (``benchmarks/bench_<name>.py``), in the order they run."""


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: tiny sizes, 2 runs a row, output under _work/",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only these benchmarks (comma-separated or repeated): " + ", ".join(BENCHMARKS),
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="timed runs a row (default 5; 2 with --quick)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the Markdown file to write (default docs/benchmarks.md for a "
        "full run, else benchmarks/_work/benchmarks-*.md)",
    )
    parser.add_argument("--work", type=Path, default=WORK, help="scratch folder")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: rewrite the document from the last run's saved results "
        "(e.g. after editing benchmarks/notes/)",
    )
    parser.add_argument(
        "--full-build",
        action="store_true",
        help="build benchmark only: build every job of the example study (not 4 notebooks); "
        "results kept in benchmarks/results/build-full.json and shown in docs/benchmarks.md",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    if args.full_build:
        if names and names != ["build"]:
            parser.error("--full-build measures the build benchmark only: use --only build")
        if args.quick:
            parser.error("--full-build and --quick do not go together")
        names = ["build"]
    args.names = [n for n in BENCHMARKS if n in names] if names else list(BENCHMARKS)
    if args.runs is None:
        args.runs = 2 if args.quick else 5
    args.tag = "quick" if args.quick else ("-".join(args.names) if names else "full")
    args.results = args.work / f"results-{args.tag}.json"
    if args.full_build:
        args.tag = "build-full"
        args.results = FULL_BUILD
        main_results = args.work / "results-full.json"
        if args.out is None:
            args.out = DOC if main_results.is_file() else args.work / "benchmarks-build-full.md"
    if args.out is None:
        args.out = DOC if args.tag == "full" else args.work / f"benchmarks-{args.tag}.md"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks; return 0, or 1 if one of them failed."""
    args = _parse(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        return _render_saved(args)
    ctx = Context(quick=args.quick, runs=args.runs, work=args.work, full_build=args.full_build)
    info = machine_info()
    command = (
        "python -m benchmarks.run"
        + (" --quick" if args.quick else "")
        + (f" --only {','.join(args.names)}" if len(args.names) < len(BENCHMARKS) else "")
        + (" --full-build" if args.full_build else "")
    )
    sections: list[Section] = []
    cuts: list[str] = []
    for name in args.names:
        ctx.log(f"--- {name}")
        start, load = time.perf_counter(), load_average()
        title = name
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
            title = module.TITLE
            if getattr(module, "CUTS", None) and not args.quick and not args.full_build:
                cuts.append(module.CUTS)
            section = module.run(ctx)
        except Exception:
            section = Section(name, title, error=traceback.format_exc(limit=8))
            ctx.log(f"{name} failed:\n{section.error}")
        section.seconds = time.perf_counter() - start
        section.load = (load, load_average())
        sections.append(section)
        if not args.full_build:
            write(args.out, render(info, sections, command, ctx, cuts, done=False, **_whole(args)))
    total = time.perf_counter() - ctx.started
    saved = {
        "info": info,
        "command": command,
        "runs": ctx.runs,
        "quick": ctx.quick,
        "cuts": cuts,
        "total": total,
        "sections": [asdict(s) for s in sections],
    }
    failed = any(s.error for s in sections)
    results = args.results
    if args.full_build and failed:  # keep the last good whole-example results
        results = args.work / "results-build-full-failed.json"
    write(results, json.dumps(saved, indent=1, ensure_ascii=False) + "\n")
    if args.full_build:
        if failed:
            write(args.out, render(info, sections, command, ctx, cuts, done=True, total=total))
        else:
            _render_saved(args)
    else:
        write(
            args.out,
            render(info, sections, command, ctx, cuts, done=True, total=total, **_whole(args)),
        )
    ctx.log(f"done in {total / 60:.1f} min -> {args.out}")
    return 1 if failed else 0


def _load(path: Path) -> tuple[dict, list[Section]]:
    """Saved results: the run's record and its sections."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    sections = []
    for raw in saved["sections"]:
        raw = dict(raw)
        raw["tables"] = [Table(**t) for t in raw["tables"]]
        raw["goals"] = [Goal(**g) for g in raw["goals"]]
        raw["profiles"] = [tuple(p) for p in raw["profiles"]]
        raw["load"] = tuple(raw["load"])
        sections.append(Section(**raw))
    return saved, sections


def _whole(args: argparse.Namespace) -> dict[str, object]:
    """The saved ``--full-build`` results to merge into this document, if it has a build."""
    if args.quick or "build" not in args.names or not FULL_BUILD.is_file():
        return {}
    saved, sections = _load(FULL_BUILD)
    return {"whole": (saved["info"], sections[0])} if sections else {}


def _render_saved(args: argparse.Namespace) -> int:
    """Rewrite the document from saved results (the notes are read afresh).

    With ``--full-build`` the document is the whole run's (``make bench``) with the saved
    whole-example results merged in; without the former, a document of the latter alone.
    """
    main_results = args.work / "results-full.json" if args.full_build else args.results
    if args.full_build and not main_results.is_file():
        if not FULL_BUILD.is_file():
            print(f"no saved results at {FULL_BUILD}: run the benchmark first", file=sys.stderr)
            return 2
        saved, sections = _load(FULL_BUILD)
        ctx = Context(quick=False, runs=saved["runs"], work=args.work)
        write(
            args.out,
            render(
                saved["info"],
                sections,
                saved["command"],
                ctx,
                saved["cuts"],
                done=True,
                total=saved["total"],
            ),
        )
        return 0
    if not main_results.is_file():
        print(f"no saved results at {main_results}: run the benchmarks first", file=sys.stderr)
        return 2
    saved, sections = _load(main_results)
    ctx = Context(quick=saved["quick"], runs=saved["runs"], work=args.work)
    whole = _whole(args) if not saved["quick"] else {}
    write(
        args.out,
        render(
            saved["info"],
            sections,
            saved["command"],
            ctx,
            saved["cuts"],
            done=True,
            total=saved["total"],
            **whole,
        ),
    )
    return 0


def write(path: Path, text: str) -> None:
    """Write the document (atomically, so a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "—"}[value]


def render(
    info: dict[str, str],
    sections: list[Section],
    command: str,
    ctx: Context,
    cuts: list[str],
    *,
    done: bool,
    total: float | None = None,
    whole: tuple[dict[str, str], Section] | None = None,
) -> str:
    """The Markdown document.

    ``whole``: the machine information and build section of a ``--full-build`` run, merged
    into the build section (see :func:`benchmarks.bench_build.with_whole_example`).
    """
    if whole is not None:
        from benchmarks.bench_build import TITLE, with_whole_example

        whole_info, whole_section = whole
        sections = list(sections)
        at = next((i for i, s in enumerate(sections) if s.key == "build"), None)
        if at is None:
            sections.append(Section("build", TITLE, method=_NO_MAIN_BUILD))
            at = len(sections) - 1
        sections[at] = with_whole_example(sections[at], whole_section, whole_info)
    out = ["# Benchmarks", ""]
    out += [
        f"Generated by `{command}` (`make bench` runs it); do not edit by hand. "
        f"Each row is the median of {ctx.runs} timed runs with the fastest and slowest in "
        "brackets; a row's case and its baseline run interleaved in the same process or "
        "shell, on the same machine, in the same run. Data are synthetic and seeded "
        "(`benchmarks/generate.py`); scratch files live in `benchmarks/_work/` (git-ignored).",
        "",
    ]
    if ctx.quick:
        out += ["**Quick (smoke) run: tiny sizes, goals not judged.**", ""]
    if not done:
        out += ["**Incomplete: the run is still going or was interrupted.**", ""]
    elif total is not None:
        out += [f"Total wall time: **{total / 60:.1f} min** ({total:.0f} s).", ""]
    if cuts:
        out += [
            "To keep `make bench` under 15 minutes on 2 shared cores these sizes were cut "
            "(the number of runs never was):",
            "",
        ]
        out += [f"- {cut}" for cut in cuts] + [""]
    out += ["## Machine", "", "| | |", "|---|---|"]
    out += [f"| {key} | {value} |" for key, value in info.items()]
    out += [
        "",
        "The machine is shared with other work (other processes were running during this "
        "run: see the load average per benchmark below, on 2 cores), so absolute times carry "
        "noise, up to about a factor of 1.5 on a busy minute; ratios are steadier, because "
        "each one compares runs interleaved with each other.",
        "",
        "## Goals",
        "",
        "| benchmark | goal | measured | met? |",
        "|---|---|---|---|",
    ]
    for section in sections:
        if section.error:
            out.append(f"| {section.title} | — | failed: see below | **no** |")
        for goal in section.goals:
            out.append(f"| {goal.benchmark} | {goal.goal} | {goal.measured} | {_met(goal.met)} |")
    for section in sections:
        out += ["", f"## {section.title}", ""]
        out += [
            f"*{section.seconds:.0f} s of the run; load average "
            f"{section.load[0]:.1f} at the start, {section.load[1]:.1f} at the end.*",
            "",
        ]
        if section.method:
            out += [section.method, ""]
        if section.error:
            out += ["This benchmark failed:", "", "```", section.error.rstrip(), "```", ""]
        for table in section.tables:
            out += [table.markdown(), ""]
        for finding in section.findings:
            out += [finding, ""]
        for title, text in section.profiles:
            out += [
                f"<details><summary>{title}</summary>",
                "",
                "```",
                text,
                "```",
                "",
                "</details>",
                "",
            ]
        notes = _notes(section.key)
        if notes:
            out += [notes, ""]
    return "\n".join(out).rstrip() + "\n"


_NO_MAIN_BUILD = (
    "Only the whole-example build below was measured for this document; `make bench` "
    "measures the four-notebook build (and the Dask executor) and keeps the rows below."
)


def _notes(key: str) -> str:
    """Hand-written analysis kept beside the generated tables (``benchmarks/notes/``)."""
    path = ROOT / "benchmarks" / "notes" / f"{key}.md"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


if __name__ == "__main__":
    sys.exit(main())
