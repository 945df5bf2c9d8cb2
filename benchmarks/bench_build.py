"""Build: cold ``dsr build --jobs 2`` vs sequential papermill, no-op and one-input rebuilds, Dask.

``make bench`` builds four notebooks of one design cycle; ``make bench-build-full``
(``python -m benchmarks.run --only build --full-build``) builds every job of the example study
and saves its results in ``benchmarks/results/build-full.json``, which :func:`with_whole_example`
merges into the section of every later document.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import yaml

from benchmarks.harness import Context, Goal, Section, Stats, Table, run_command
from dsr_workbench.build.jobs import Job, plan
from dsr_workbench.corpus.study import load_study

NAME = "build"
TITLE = "Build: the example study's notebooks"
CUTS = (
    "build: four notebooks of design cycle 3 instead of every notebook of every cycle (the "
    "whole example build takes minutes cold with papermill; `make bench-build-full` measures "
    "it separately, see the build section)"
)
ROOT = Path(__file__).resolve().parents[1]
COPY = ("study.yaml", "interviews", "data", "notebooks")
CHANGED = "interviews/I01_hannah.txt"  # a transcript: read by the corpus overview and others
# Five runs of every row of the whole example build (20 notebooks and growing) would not fit
# the 15-minute budget of `make bench`, so the benchmark builds four notebooks of one design
# cycle, two of them presented as slides; a fixed list keeps the size steady as the example
# study gains reports.
SELECTION_CYCLE = 3
SELECTION_REPORTS = (
    "corpus-overview",
    "evaluation-record",
    "partner-differentiation",
    "relationship-gap",
)
QUICK_SELECTION = (["--cycle", "1", "--report", "corpus-overview"], [1], ["corpus-overview"])

_NOOP = """
import json, sys, time
t0 = time.perf_counter()
from dsr_workbench.build.run import build
from dsr_workbench.corpus.study import load_study
t1 = time.perf_counter()
times, ran = [], 0
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    result = build(load_study(sys.argv[1]), jobs=2, progress=False, cycles=json.loads(sys.argv[3]),
                   reports=json.loads(sys.argv[4]))
    times.append(time.perf_counter() - start)
    ran += int((result["status"] != "skipped").sum())
print(json.dumps({"imports": t1 - t0, "times": times, "ran": ran}))
"""

CLUSTER = (
    "**On a real cluster.** The same build runs on a Dask cluster: start a scheduler "
    "(`dask scheduler`, port 8786) and workers (`dask worker tcp://HOST:8786 --nthreads 1`, "
    "one process per notebook you want in parallel; a notebook kernel is a process of its "
    "own, so one thread a worker is enough), then run `dsr build --executor "
    "dask://HOST:8786 --jobs N` in the study folder. Every worker needs dsr-workbench "
    "installed in the same version with the same packages (`pip install "
    "'dsr-workbench[dask]'`, or the project's environment.yml) and a `python3` Jupyter "
    "kernel, since a job's key includes the package versions and a version's manifest "
    "records the worker's; and every worker must see the study folder at the same absolute "
    "path (a shared file system, e.g. NFS), because jobs carry absolute paths to the "
    "notebook, the study and `reports/`, and the workers write the new version folders "
    "there themselves (a temporary folder renamed into place, which is atomic on one file "
    "system). The client holds the build lock and writes `reports/index.html`. A cluster "
    "pays off when the notebooks are many or slow: each job still starts one kernel, so the "
    "gain is the number of workers, less the scheduler's start-up of a few seconds."
)


def _counts(output: str) -> dict[str, int]:
    found = re.search(r"(\d+) built, (\d+) current \(skipped\), (\d+) failed", output)
    if not found:
        raise RuntimeError(f"unexpected dsr build output: {output[-500:]}")
    built, skipped, failed = map(int, found.groups())
    if failed:
        raise RuntimeError(f"the build failed:\n{output[-2000:]}")
    return {"built": built, "skipped": skipped}


def _copy_example(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in COPY:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source,
                target / name,
                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
            )
        else:
            shutil.copy2(source, target / name)


def run(ctx: Context) -> Section:
    full = ctx.full_build and not ctx.quick
    section = Section(NAME, TITLE)
    study_dir = ctx.work / "build" / "study"
    pm_out = ctx.work / "build" / "papermill"
    _copy_example(study_dir)
    # a snapshot of the library, so that edits to src/ during the run do not change the jobs'
    # keys (the key hashes the library's source); kernels inherit PYTHONPATH
    lib = ctx.work / "build" / "lib"
    shutil.rmtree(lib, ignore_errors=True)
    shutil.copytree(
        ROOT / "src" / "dsr_workbench",
        lib / "dsr_workbench",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    env = {**os.environ, "PYTHONPATH": str(lib)}
    bindir = Path(sys.executable).parent
    dsr, papermill = str(bindir / "dsr"), str(bindir / "papermill")
    everything = plan(load_study(study_dir))
    select: list[str]
    cycles: list[int] | None
    selected_reports: list[str] | None
    if ctx.quick:
        select, cycles, selected_reports = QUICK_SELECTION
    elif full:
        select, cycles, selected_reports = [], None, None
    else:
        known = {job.report for job in everything if job.cycle == SELECTION_CYCLE}
        names = [a for a in SELECTION_REPORTS if a in known] or sorted(known)[:4]
        cycles, selected_reports = [SELECTION_CYCLE], names
        select = ["--cycle", str(SELECTION_CYCLE)]
        for name in names:
            select += ["--report", name]
    jobs = plan(load_study(study_dir), cycles=cycles, reports=selected_reports)
    n = len(jobs)
    readers = sum(CHANGED in job.inputs for job in jobs)
    reports = study_dir / "reports"
    changed = study_dir / CHANGED
    original = changed.read_text(encoding="utf-8")
    base = [dsr, "build", "--jobs", "2", "--quiet", *select]
    n_cycles = len({j.cycle for j in jobs})
    if full:
        scope = (
            f"every job of the example study, `dsr build` with no selection: all {n} jobs "
            f"({n_cycles} design cycles × their reports: "
            f"{', '.join(sorted({j.report for j in jobs}))})"
        )
        size = (
            "This is the build the issue names, run by `make bench-build-full` rather than "
            "`make bench` because five runs of every row take far longer than its 15-minute "
            "budget; the Dask row "
            f"is left to `make bench` ({len(SELECTION_REPORTS)} notebooks) to save time."
        )
    else:
        scope = (
            f"`{' '.join(select) or '(everything)'}`: {n} of its {len(everything)} jobs "
            f"(cycle × report: {', '.join(sorted({j.report for j in jobs}))})"
        )
        size = (
            f"Five runs of every row of the whole example build do not fit the 15-minute "
            f"budget of `make bench`, so the size is {n} notebooks of one design cycle (the "
            f"number of runs is kept); `make bench-build-full` measures the whole example."
        )
    section.method = (
        f"A copy of the example study (study.yaml, interviews/, data/, notebooks/) under "
        f"`benchmarks/_work/build/`, built with {scope}, each job a papermill run of one "
        f"notebook in a fresh kernel. {size} "
        "The library is copied to a snapshot on PYTHONPATH first, so that work on `src/` "
        "during the run cannot change the jobs' keys. Every run, in this order: *cold* — "
        "`reports/` deleted, `dsr build --jobs 2` (process pool of 2); *no-op* — the same "
        "command again (every job current); *forced* — `dsr build --jobs 2 --force` (every "
        "job runs again, but now each has a previous version whose duration lets the pool "
        "take the longest jobs first; with `reports/` deleted the cold build has none and "
        "takes them in plan order); *one input changed* — a line appended to "
        f"`{CHANGED}` (read by {readers} of the {n} jobs), `dsr build --jobs 2`, the "
        "file restored; *papermill* — the same jobs one after another with the papermill "
        "CLI (`papermill NOTEBOOK OUT -y PARAMETERS --cwd STUDY`, the parameters of "
        "`dsr_workbench.build.run.plan`, a fresh output folder)"
        + (
            ""
            if full
            else "; *Dask* — `reports/` deleted, `dsr build --jobs 2 --executor dask-local` "
            "(a LocalCluster of 2 single-thread worker processes, started and stopped "
            "inside the command)"
        )
        + ". Wall time of each "
        "command, process start and imports included. `dsr build` does more than papermill "
        "here: it also exports each notebook to HTML (and reveal.js slides for presented "
        "reports), writes manifests and the report index. The no-op is also timed "
        "in-process (`build(load_study(...))` in one Python process, after its imports), "
        "which shows the command's start-up cost."
    )
    keys = ("cold", "noop", "force", "changed", "pm") + (() if full else ("dask",))
    times: dict[str, list[float]] = {k: [] for k in keys}
    built: dict[str, set[int]] = {k: set() for k in times}
    job_time: list[float] = []  # the cold build's jobs' own durations, summed
    bound: list[float] = []  # the best speed-up 2 workers could give those jobs
    try:
        for i in range(ctx.runs):
            ctx.log(f"build run {i + 1}/{ctx.runs}")
            shutil.rmtree(reports, ignore_errors=True)
            t, out = run_command(base, cwd=study_dir, env=env)
            times["cold"].append(t)
            built["cold"].add(_counts(out)["built"])
            durations = [
                json.loads(m.read_text())["duration_s"]
                for m in reports.glob("cycle-*/*/v001/manifest.json")
            ]
            job_time.append(sum(durations))
            bound.append(sum(durations) / _makespan(durations, 2))
            t, out = run_command(base, cwd=study_dir, env=env)
            times["noop"].append(t)
            built["noop"].add(_counts(out)["built"])
            t, out = run_command([*base, "--force"], cwd=study_dir, env=env)
            times["force"].append(t)
            built["force"].add(_counts(out)["built"])
            changed.write_text(
                original + f"\nHannah: One more thing, run {i + 1}.\n", encoding="utf-8"
            )
            try:
                t, out = run_command(base, cwd=study_dir, env=env)
            finally:
                changed.write_text(original, encoding="utf-8")
            times["changed"].append(t)
            built["changed"].add(_counts(out)["built"])
            times["pm"].append(_papermill(jobs, papermill, pm_out, env))
            if not full:
                shutil.rmtree(reports, ignore_errors=True)
                t, out = run_command([*base, "--executor", "dask-local"], cwd=study_dir, env=env)
                times["dask"].append(t)
                built["dask"].add(_counts(out)["built"])
        # the no-op in-process, on current reports (after the changed input's rebuild the
        # readers are stale again unless the Dask build ran last)
        run_command(base, cwd=study_dir, env=env)
        _, out = run_command(
            [
                sys.executable,
                "-c",
                _NOOP,
                str(study_dir),
                str(ctx.runs),
                json.dumps(cycles),
                json.dumps(selected_reports),
            ],
            env=env,
        )
        noop = json.loads(out.strip().splitlines()[-1])
        inproc = noop["times"]
        built["inproc"] = {noop["ran"]}
    finally:
        changed.write_text(original, encoding="utf-8")
    st = {k: Stats(v) for k, v in times.items()}
    noop_in = Stats(inproc)
    speedup = st["pm"].median / st["cold"].median
    forced = st["pm"].median / st["force"].median

    def done(key: str) -> str:
        return "/".join(str(b) for b in sorted(built[key]))

    table = Table(
        ["build", "notebooks run", "median (min–max)", "baseline", "ratio", "goal", "met?"]
    )
    table.add(
        "cold, `dsr build --jobs 2` (process pool)",
        done("cold"),
        st["cold"].fmt(),
        f"papermill CLI, one after another: {st['pm'].fmt()}",
        f"{speedup:.2f}× faster",
        "≥ 1.8×",
        _yes(speedup >= 1.8, ctx),
    )
    table.add(
        "forced, `dsr build --jobs 2 --force` (longest first)",
        done("force"),
        st["force"].fmt(),
        f"papermill CLI, one after another: {st['pm'].fmt()}",
        f"{forced:.2f}× faster",
        "—",
        "—",
    )
    table.add(
        "no-op rebuild, `dsr build` command",
        done("noop"),
        st["noop"].fmt(),
        "—",
        "—",
        "≤ 1 s",
        _yes(st["noop"].median <= 1.0 and built["noop"] == {0}, ctx),
    )
    table.add(
        "no-op rebuild, `build()` in-process",
        done("inproc"),
        noop_in.fmt(),
        f"imports before it: {noop['imports']:.2f} s",
        "—",
        "(≤ 1 s)",
        _yes(noop_in.median <= 1.0, ctx),
    )
    table.add(
        f"one input changed (`{CHANGED}`)",
        done("changed"),
        st["changed"].fmt(),
        f"cold build: {st['cold'].fmt()}",
        f"{st['cold'].median / st['changed'].median:.1f}× faster",
        f"rebuild the {readers} that read it",
        _yes(built["changed"] == {readers}, ctx),
    )
    if not full:
        table.add(
            "cold, `--executor dask-local` (LocalCluster, 2 workers)",
            done("dask"),
            st["dask"].fmt(),
            f"process pool: {st['cold'].fmt()}",
            f"{st['dask'].median / st['cold'].median:.2f}× the time",
            "—",
            "—",
        )
    section.tables.append(table)
    ideal = Stats(job_time).median / Stats(bound).median
    section.findings.append(
        f"In the cold builds the {n} jobs themselves (papermill plus HTML/slides export, from "
        f"their manifests) took {Stats(job_time).median:.1f} s together. Handed out longest "
        f"first, 2 workers can give jobs of these lengths at most a "
        f"{Stats(bound).median:.2f}× speed-up: the ideal `--jobs 2` build takes "
        f"{ideal:.1f} s, and the other {st['cold'].median - ideal:.1f} s of the "
        f"{st['cold'].median:.1f} s are the command's own start-up, planning, process pool "
        "and report index, and (cold, with no previous durations) the pool handing jobs out "
        "in plan order rather than longest first; the job times already include running "
        "side by side on 2 cores."
    )
    what = f"whole example, {n} notebooks" if full else f"{n} notebooks of cycle {SELECTION_CYCLE}"
    if ctx.quick:
        what = f"{n} notebook(s)"
    section.goals += [
        Goal(
            TITLE,
            f"{GOAL_SPEEDUP} ({what})",
            f"{speedup:.2f}× ({st['cold'].median:.1f} s vs {st['pm'].median:.1f} s)",
            None if ctx.quick else speedup >= 1.8,
        ),
        Goal(
            TITLE,
            f"{GOAL_NOOP} ({what})",
            f"{st['noop'].median:.2f} s (in-process {noop_in.median:.2f} s)",
            None if ctx.quick else st["noop"].median <= 1.0 and built["noop"] == {0},
        ),
        Goal(
            TITLE,
            f"{GOAL_CHANGED} ({what})",
            f"{done('changed')} of {n} notebooks rebuilt ({readers} read the transcript)",
            None if ctx.quick else built["changed"] == {readers},
        ),
    ]
    section.findings.append(CLUSTER)
    return section


def _papermill(jobs: list[Job], papermill: str, pm_out: Path, env: dict[str, str]) -> float:
    """Run the jobs one after another with the papermill CLI; return the wall time."""
    shutil.rmtree(pm_out, ignore_errors=True)
    start = time.perf_counter()
    for job in jobs:
        out_dir = pm_out / f"cycle-{job.cycle}-{job.report}"
        out_dir.mkdir(parents=True)
        params = {**job.parameters, "output_dir": str(out_dir)}
        run_command(
            [
                papermill,
                job.notebook,
                str(out_dir / "notebook.ipynb"),
                "-y",
                yaml.safe_dump(params),
                "--cwd",
                job.study_root,
                "-k",
                "python3",
                "--no-progress-bar",
                "--log-level",
                "ERROR",
            ],
            env=env,
        )
    return time.perf_counter() - start


def with_whole_example(section: Section, whole: Section, info: dict[str, str]) -> Section:
    """The ``make bench`` section with the ``make bench-build-full`` results merged in.

    The issue's goals are judged on the whole example (what the issue names), with the
    four-notebook figures beside them; the whole example's table follows the four-notebook
    one under a heading of its own that gives the date it was measured.
    """
    when = info.get("date", "?")
    commit = info.get("commit")
    small = {_goal_key(g): g for g in section.goals}
    goals = []
    for goal in whole.goals:
        other = small.pop(_goal_key(goal), None)
        measured = f"{goal.measured}"
        if other is not None:
            verdict = {True: "met", False: "not met", None: "not judged"}[other.met]
            scope = other.goal[len(_goal_key(other)) :].strip(" ()") or "`make bench`"
            measured += f"; {scope} (`make bench`): {other.measured}, {verdict}"
        goals.append(
            Goal(goal.benchmark, f"{goal.goal}, `make bench-build-full` {when}", measured, goal.met)
        )
    goals += list(small.values())
    if whole.error:
        goals.append(Goal(TITLE, "`make bench-build-full`", "failed: see below", False))
    head = [
        "### The whole example (`make bench-build-full`)",
        f"*Measured {when}"
        + (f", commit {commit}" if commit else "")
        + f"; {whole.seconds:.0f} s; load average {whole.load[0]:.1f} at the start, "
        f"{whole.load[1]:.1f} at the end (2 cores).*",
    ]
    body = [whole.method] if whole.method else []
    if whole.error:
        body += ["This benchmark failed:\n\n```\n" + whole.error.rstrip() + "\n```"]
    body += [t.markdown() for t in whole.tables]
    body += [f for f in whole.findings if f != CLUSTER]
    findings = [f for f in section.findings if f != CLUSTER]
    findings += ["\n\n".join(head), *body]
    if CLUSTER in section.findings or CLUSTER in whole.findings:
        findings.append(CLUSTER)
    return Section(
        key=section.key,
        title=section.title,
        method=section.method,
        tables=list(section.tables),
        goals=goals,
        findings=findings,
        profiles=list(section.profiles),
        seconds=section.seconds,
        load=section.load,
        error=section.error,
    )


GOAL_SPEEDUP = "cold `dsr build --jobs 2` ≥ 1.8× sequential papermill"
GOAL_NOOP = "no-op `dsr build` ≤ 1 s"
GOAL_CHANGED = "changing one input rebuilds exactly the reports that read it"


def _goal_key(goal: Goal) -> str:
    """Which of the issue's goals a :class:`Goal` is, whatever the size it was measured at."""
    for key in (GOAL_SPEEDUP, GOAL_NOOP, GOAL_CHANGED):
        if goal.goal.startswith(key):
            return key
    return goal.goal


def _makespan(durations: list[float], workers: int) -> float:
    """Finish time of jobs handed out longest first to the least-loaded of ``workers``.

    Examples
    --------
    >>> _makespan([7.9, 4.6, 4.5, 3.7], 2)
    11.6
    """
    loads = [0.0] * workers
    for d in sorted(durations, reverse=True):
        loads[loads.index(min(loads))] += d
    return round(max(loads), 6)


def _yes(ok: bool, ctx: Context) -> str:
    if ctx.quick:
        return "(quick)"
    return "yes" if ok else "**no**"
