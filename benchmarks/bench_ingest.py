"""Ingest: ``load_corpus`` turns/s, MB/s and peak memory vs corpus size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from benchmarks.corpora import generated
from benchmarks.harness import Context, Section, Table, fmt_rate, side_by_side
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study

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
transcripts, turns = load_corpus(study)
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
        result["corpus"] = load_corpus(parsed)

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
        "`load_corpus(load_study(...))` reads, parses, renders and maps every speaker; "
        "`load_study` (study.yaml) is outside the timing. Beside it, reading the same files' "
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
            "load_corpus median (min–max)",
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
    return section
