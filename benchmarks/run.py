"""Run the benchmarks and write ``docs/benchmarks.md``.

Usage, from the repository root::

    python -m benchmarks.run                    # everything -> docs/benchmarks.md (make bench)
    python -m benchmarks.run --quick            # smoke run, tiny sizes -> benchmarks/_work/
    python -m benchmarks.run --only gap,queries # some benchmarks -> benchmarks/_work/
    python -m benchmarks.run --render-only      # rewrite the document from the last results

The document is rewritten after every benchmark, so an interrupted run keeps what it measured.
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
BENCHMARKS: tuple[str, ...] = (
    "ingest",
    "autocode",
    "queries",
    "reliability",
    "codinglog",
    "gap",
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
    args = parser.parse_args(argv)
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    args.names = [n for n in BENCHMARKS if n in names] if names else list(BENCHMARKS)
    if args.runs is None:
        args.runs = 2 if args.quick else 5
    args.tag = "quick" if args.quick else ("-".join(args.names) if names else "full")
    if args.out is None:
        args.out = DOC if args.tag == "full" else args.work / f"benchmarks-{args.tag}.md"
    args.results = args.work / f"results-{args.tag}.json"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks; return 0, or 1 if one of them failed."""
    args = _parse(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        return _render_saved(args)
    ctx = Context(quick=args.quick, runs=args.runs, work=args.work)
    info = machine_info()
    command = (
        "python -m benchmarks.run"
        + (" --quick" if args.quick else "")
        + (f" --only {','.join(args.names)}" if len(args.names) < len(BENCHMARKS) else "")
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
            if getattr(module, "CUTS", None) and not args.quick:
                cuts.append(module.CUTS)
            section = module.run(ctx)
        except Exception:
            section = Section(name, title, error=traceback.format_exc(limit=8))
            ctx.log(f"{name} failed:\n{section.error}")
        section.seconds = time.perf_counter() - start
        section.load = (load, load_average())
        sections.append(section)
        write(args.out, render(info, sections, command, ctx, cuts, done=False))
    total = time.perf_counter() - ctx.started
    write(args.out, render(info, sections, command, ctx, cuts, done=True, total=total))
    saved = {
        "info": info,
        "command": command,
        "runs": ctx.runs,
        "quick": ctx.quick,
        "cuts": cuts,
        "total": total,
        "sections": [asdict(s) for s in sections],
    }
    write(args.results, json.dumps(saved, indent=1, ensure_ascii=False))
    ctx.log(f"done in {total / 60:.1f} min -> {args.out}")
    return 1 if any(s.error for s in sections) else 0


def _render_saved(args: argparse.Namespace) -> int:
    """Rewrite the document from saved results (the notes are read afresh)."""
    if not args.results.is_file():
        print(f"no saved results at {args.results}: run the benchmarks first", file=sys.stderr)
        return 2
    saved = json.loads(args.results.read_text(encoding="utf-8"))
    sections = []
    for raw in saved["sections"]:
        raw["tables"] = [Table(**t) for t in raw["tables"]]
        raw["goals"] = [Goal(**g) for g in raw["goals"]]
        raw["profiles"] = [tuple(p) for p in raw["profiles"]]
        raw["load"] = tuple(raw["load"])
        sections.append(Section(**raw))
    ctx = Context(quick=saved["quick"], runs=saved["runs"], work=args.work)
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
) -> str:
    """The Markdown document."""
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


def _notes(key: str) -> str:
    """Hand-written analysis kept beside the generated tables (``benchmarks/notes/``)."""
    path = ROOT / "benchmarks" / "notes" / f"{key}.md"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


if __name__ == "__main__":
    sys.exit(main())
