"""Timing, machine information and the Markdown tables of ``docs/benchmarks.md``.

Every figure is the median of ``runs`` timed runs with their min-max; the cases of one row
(ours and its baseline) run interleaved (A B A B ...) so that noise from other work on the
machine falls on both alike.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Context",
    "Goal",
    "Section",
    "Stats",
    "Table",
    "fmt_rate",
    "fmt_time",
    "load_average",
    "machine_info",
    "profile_top",
    "run_command",
    "side_by_side",
]


@dataclass
class Stats:
    """Timings of repeated runs, in seconds."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def lo(self) -> float:
        return min(self.runs)

    @property
    def hi(self) -> float:
        return max(self.runs)

    def fmt(self) -> str:
        """``1.23 s (1.20–1.31)``: median (min–max), in one unit."""
        unit, scale = _unit(self.median)
        return f"{self.median * scale:.3g} {unit} ({self.lo * scale:.3g}–{self.hi * scale:.3g})"


def _unit(seconds: float) -> tuple[str, float]:
    if seconds >= 1:
        return "s", 1.0
    if seconds >= 1e-3:
        return "ms", 1e3
    return "µs", 1e6


def fmt_time(seconds: float) -> str:
    """A duration in a readable unit, three significant digits.

    Examples
    --------
    >>> fmt_time(0.01234), fmt_time(12.3456)
    ('12.3 ms', '12.3 s')
    """
    unit, scale = _unit(seconds)
    return f"{seconds * scale:.3g} {unit}"


def fmt_rate(value: float, unit: str) -> str:
    """A rate with three significant digits and thousands separators (``1,234 turns/s``)."""
    if value >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def side_by_side(
    cases: dict[str, Callable[[], Any]],
    runs: int,
    *,
    setup: Callable[[], Any] | None = None,
    warmup: bool = False,
) -> dict[str, Stats]:
    """Time each case ``runs`` times, interleaved (A B A B ...).

    ``setup`` runs untimed before every timed call (e.g. to reset state); ``warmup`` runs
    each case once untimed first (imports, caches).
    """
    if warmup:
        for fn in cases.values():
            if setup is not None:
                setup()
            fn()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            if setup is not None:
                setup()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: Stats(t) for name, t in times.items()}


def run_command(
    argv: Sequence[str], *, cwd: str | Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, str]:
    """Run a command; return its wall time and its combined output. Raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, argv))} failed ({proc.returncode}):\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return elapsed, proc.stdout + proc.stderr


def profile_top(fn: Callable[[], Any], limit: int = 12) -> str:
    """Profile one call with cProfile; return the top functions by own time, as text."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    total = next((line.strip() for line in lines if "function calls" in line), "")
    return "\n".join([total, *lines[start:]]).rstrip()


# --------------------------------------------------------------------------- report model


@dataclass
class Table:
    """A Markdown table."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    caption: str = ""

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        head = "| " + " | ".join(self.columns) + " |"
        rule = "|" + "|".join("---" for _ in self.columns) + "|"
        body = ["| " + " | ".join(row) + " |" for row in self.rows]
        caption = [f"*{self.caption}*", ""] if self.caption else []
        return "\n".join([*caption, head, rule, *body])


@dataclass
class Goal:
    """A goal of an issue and whether this run met it (``None``: not measured)."""

    benchmark: str
    goal: str
    measured: str
    met: bool | None


@dataclass
class Section:
    """One benchmark's part of the document."""

    key: str
    title: str
    method: str = ""
    tables: list[Table] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    profiles: list[tuple[str, str]] = field(default_factory=list)  # (title, text)
    seconds: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at start and end
    error: str | None = None


@dataclass
class Context:
    """What every benchmark gets: mode, repetitions, scratch folder and a shared cache."""

    quick: bool
    runs: int
    work: Path
    full_build: bool = False  # the build benchmark builds the whole example study
    cache: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def log(self, message: str) -> None:
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:6.0f} s] {message}", file=sys.stderr, flush=True)

    def folder(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path


# --------------------------------------------------------------------------- the machine


def load_average() -> float:
    """The 1-minute load average (0 where the OS does not tell)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - Windows
        return 0.0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    """The repository's commit (short), and whether tracked files had uncommitted changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def machine_info() -> dict[str, str]:
    """CPU, cores, RAM, OS, Python, date, commit and the versions that matter to the figures."""
    grep = shutil.which("grep")
    grep_version = "not found"
    if grep:
        proc = subprocess.run([grep, "--version"], capture_output=True, text=True)
        grep_version = proc.stdout.splitlines()[0] if proc.stdout else "unknown"
    packages = [
        "dsr-workbench",
        "pandas",
        "numpy",
        "scipy",
        "krippendorff",
        "orjson",
        "papermill",
        "distributed",
        "matplotlib",
    ]
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "commit": _commit(),
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": f"{_ram_gb():.1f} GiB",
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "packages": ", ".join(f"{p} {_version(p)}" for p in packages),
        "grep": grep_version,
        "load average at start": f"{load_average():.2f}",
    }
