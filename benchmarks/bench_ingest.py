"""Ingest: ``load_corpus`` turns/s, MB/s and peak memory vs corpus size, and the corpus cache."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from benchmarks.corpora import generated
from benchmarks.harness import (
    Context,
    Goal,
    Section,
    Stats,
    Table,
    fmt_rate,
    profile_top,
    side_by_side,
)
from dsr_workbench.corpus.cache import CACHE_DIR
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import Study, load_study

NAME = "ingest"
TITLE = "Ingest: reading a study's transcripts (load_corpus)"
CUTS = "ingest: sizes 0.1, 1 and 10 MB instead of 1, 10 and 100 MB (a 100 MB load takes ~35 s)"
SIZES = (0.1, 1.0, 10.0)
QUICK_SIZES = (0.02, 0.05)

_MEMORY = """
import sys, tracemalloc
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
study = load_study(sys.argv[1])
tracemalloc.start()
transcripts, turns = load_corpus(study, cache=False)
size, peak = tracemalloc.get_traced_memory()
print(peak, size)
"""


def _peak_mb(study_yaml: Path) -> tuple[float, float]:
    """Peak and final traced memory of one load_corpus in a fresh process, in MB (10^6 B)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY, str(study_yaml)], check=True, capture_output=True, text=True
    ).stdout.split()
    peak, size = (int(x) / 1e6 for x in out)
    return peak, size


def _one_size(ctx: Context, mb: float) -> list[object]:
    study = generated(ctx, mb)
    parsed = load_study(study.study_yaml)
    paths = [Path(p) for p in parsed.transcripts["path"]]
    ctx.log(f"ingest {mb:g} MB: {len(paths)} files, {ctx.runs} runs")
    result: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}

    def ours() -> None:
        result["corpus"] = load_corpus(parsed, cache=False)

    def floor() -> None:
        for path in paths:
            path.read_bytes()

    stats = side_by_side({"ours": ours, "floor": floor}, ctx.runs, warmup=True)
    transcripts, turns = result["corpus"]
    ctx.cache[f"corpus:{mb:g}"] = (study, transcripts, turns)
    peak, size = _peak_mb(study.study_yaml)
    med = stats["ours"].median
    return [
        f"{study.file_bytes / 1e6:.2f} MB",
        len(transcripts),
        f"{len(turns):,}",
        stats["ours"].fmt(),
        f"{study.file_bytes / 1e6 / med:.2f}",
        fmt_rate(len(turns) / med, ""),
        f"{peak:.0f} MB ({size:.0f} MB)",
        stats["floor"].fmt(),
        f"{med / stats['floor'].median:.0f}×",
    ]


def run(ctx: Context) -> Section:
    sizes = QUICK_SIZES if ctx.quick else SIZES
    section = Section(NAME, TITLE)
    section.method = (
        "A seeded synthetic study (`benchmarks/generate.py`) is written to disk in the "
        "study's own formats: transcripts cycle through .txt (colon, bracket_time, "
        "paren_time, at, bracket_name variants), .md, .docx, .vtt (voice tags and "
        "colon-first cues) and .srt, about 60 turns each, alternating a researcher's short "
        "turns with a participant's ~70-word turns (focus groups every 8th transcript). "
        "`load_corpus(load_study(...), cache=False)` reads, parses, renders and maps every "
        "speaker (first table: no corpus cache); `load_study` (study.yaml) is outside the "
        "timing. The second table times the corpus cache at the largest size: cold with the "
        "cache off, cold with an empty cache (parse every file and write the pack), warm (the "
        "pack holds every file), after appending a turn to one .txt transcript (re-warmed, "
        "untimed, before each run), and the .txt/.md transcripts alone with the cache off "
        "(the issue's cold-throughput goal). Beside them, reading the same files' "
        "bytes (`Path.read_bytes`) gives the I/O floor. MB are 10^6 bytes of the transcript "
        "files. Memory: the peak and the final size of what one `load_corpus` call allocates "
        "(tracemalloc, which sees Python objects and numpy/pandas buffers; imports excluded), "
        "in a fresh process, untimed. Sizes are 0.1, 1 and 10 MB: the 100 MB step (about "
        "35 s a load, and minutes to generate) did not fit the 15-minute budget beside the "
        "build benchmark; auto-coding below runs at 100 MB of text."
    )
    table = Table(
        [
            "corpus (files)",
            "transcripts",
            "turns",
            "load_corpus, no cache: median (min–max)",
            "MB/s",
            "turns/s",
            "memory peak (result)",
            "read bytes only",
            "parse ÷ read",
        ]
    )
    for mb in sizes:
        table.add(*_one_size(ctx, mb))
    section.tables.append(table)
    _cache_rows(ctx, section, max(sizes))
    return section


TEXT_SUFFIXES = (".txt", ".md")
WARM_GOAL_S = 0.3
TEXT_GOAL_MB_S = 10.0


def _runs(runs: int, fn: Callable[[], object], setup: Callable[[], object] | None = None) -> Stats:
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return Stats(times)


def _text_only(study: Study) -> tuple[Study, int]:
    """The study with only its .txt/.md transcripts, and their bytes."""
    table = study.transcripts
    keep = table[table.path.map(lambda p: Path(p).suffix.lower() in TEXT_SUFFIXES)]
    size = sum(Path(p).stat().st_size for p in keep.path)
    return dataclasses.replace(study, transcripts=keep.reset_index(drop=True)), size


def _cache_rows(ctx: Context, section: Section, mb: float) -> None:
    """The corpus cache's table: cold, warm, after an edit; and cold .txt/.md throughput."""
    study = generated(ctx, mb)
    parsed = load_study(study.study_yaml)
    folder = parsed.root / CACHE_DIR
    paths = [Path(p) for p in parsed.transcripts["path"]]
    edited = next(p for p in paths if p.suffix == ".txt")
    original = edited.read_bytes()
    text_study, text_bytes = _text_only(parsed)
    n = len(paths)
    ctx.log(f"ingest cache {mb:g} MB: {n} files, cold, warm, one edit, .txt/.md only")

    def clear() -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def floor() -> None:
        for path in paths:
            path.read_bytes()

    def edit() -> None:
        edited.write_bytes(original)
        load_corpus(parsed)  # warm again, untimed
        edited.write_bytes(original + b"\nKim: One more thing.\n")

    floor_s = _runs(ctx.runs, floor)
    off = _runs(ctx.runs, lambda: load_corpus(parsed, cache=False))
    cold = _runs(ctx.runs, lambda: load_corpus(parsed), setup=clear)
    warm = _runs(ctx.runs, lambda: load_corpus(parsed))
    after_edit = _runs(ctx.runs, lambda: load_corpus(parsed), setup=edit)
    edited.write_bytes(original)
    load_corpus(parsed)
    text = _runs(ctx.runs, lambda: load_corpus(text_study, cache=False))
    size = study.file_bytes
    rate = text_bytes / 1e6 / text.median
    table = Table(
        ["load_corpus", "transcripts (MB)", "median (min–max)", "MB/s", "÷ read bytes", "÷ warm"],
        caption=f"With the corpus cache (`.dsr-cache/corpus/`, one Arrow IPC pack), the "
        f"{size / 1e6:.2f} MB study; read bytes: `Path.read_bytes` of every file, same run",
    )
    for name, stats, files, nbytes in [
        ("read bytes only", floor_s, n, size),
        ("cold, cache off (parse every file)", off, n, size),
        ("cold, empty cache (parse, write the pack)", cold, n, size),
        ("warm: the pack holds every file", warm, n, size),
        ("after editing one transcript (parse it, rewrite the pack)", after_edit, n, size),
        (
            "cold, cache off, .txt/.md transcripts only",
            text,
            len(text_study.transcripts),
            text_bytes,
        ),
    ]:
        table.add(
            name,
            f"{files} ({nbytes / 1e6:.2f} MB)",
            stats.fmt(),
            f"{nbytes / 1e6 / stats.median:.2f}",
            f"{stats.median / floor_s.median:.0f}×",
            "—" if stats is floor_s else f"{stats.median / warm.median:.2f}×",
        )
    section.tables.append(table)
    real = not ctx.quick
    section.goals += [
        Goal(
            TITLE,
            f"load_corpus of 577 transcripts / 12.8 MB, cache warm, ≤ {WARM_GOAL_S:g} s",
            f"{warm.median:.3f} s at {n} transcripts / {size / 1e6:.1f} MB "
            f"({off.median / warm.median:.0f}× faster than without the cache)",
            None if not real else warm.median <= WARM_GOAL_S,
        ),
        Goal(
            TITLE,
            f"load_corpus cold (no cache) of .txt/.md transcripts ≥ {TEXT_GOAL_MB_S:g} MB/s",
            f"{rate:.1f} MB/s ({len(text_study.transcripts)} files, {text_bytes / 1e6:.1f} MB)",
            None if not real else rate >= TEXT_GOAL_MB_S,
        ),
    ]
    if real and warm.median > WARM_GOAL_S:
        section.profiles.append(
            (
                f"cProfile of a warm load_corpus at {mb:g} MB",
                profile_top(lambda: load_corpus(parsed)),
            )
        )
    if real and rate < TEXT_GOAL_MB_S:
        section.profiles.append(
            (
                f"cProfile of a cold load_corpus (no cache) of the .txt/.md transcripts at {mb:g} MB",
                profile_top(lambda: load_corpus(text_study, cache=False)),
            )
        )
