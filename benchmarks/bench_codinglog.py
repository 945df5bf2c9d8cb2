"""Loading coding-event logs: ``load_codings`` (read + fold) for 10^4 .. 10^6 events."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from benchmarks.corpora import loaded
from benchmarks.generate import make_codings, write_coding_logs
from benchmarks.harness import Context, Goal, Section, Stats, Table, profile_top
from dsr_workbench.coding.codings import fold, load_codings, read_logs

try:
    import orjson

    _loads = orjson.loads
    _PARSER = "orjson.loads"
except ImportError:  # pragma: no cover
    _loads = json.loads
    _PARSER = "json.loads"

NAME = "codinglog"
TITLE = "Coding logs: loading 10^6 events"
CUTS = "coding logs: pandas.read_json only up to 10^5 events (~20 s a run at 10^6)"
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 5_000)
READ_JSON_MAX = 100_000  # pandas.read_json takes ~20 s a run at 10^6 events: skipped there
CORPUS_MB = 10.0
QUICK_CORPUS_MB = 0.05
EXTRA = 1.07  # events per coding: 5 % removed later, 2 % get a memo


def _logs(ctx: Context, n_events: int, corpus_mb: float) -> tuple[Path, int, float]:
    """A folder of two coders' logs with about ``n_events`` events (cached on disk)."""
    folder = ctx.work / f"codings-{n_events}"
    marker = folder / ".done"
    if not marker.is_file():
        _, transcripts, turns = loaded(ctx, corpus_mb)
        texts = dict(zip(transcripts["transcript_id"], transcripts["text"], strict=True))
        start = time.perf_counter()
        per_coder = max(1, round(n_events / EXTRA / 2))
        codings = make_codings(
            turns,
            per_coder,
            [f"K{k + 1:03d}" for k in range(300)],
            n_coders=2,
            agreement=0.8,
            texts=texts,
            seed=n_events,
        )
        for old in folder.glob("*.jsonl"):
            old.unlink()
        written = write_coding_logs(folder, codings, texts, seed=n_events)
        marker.write_text(str(sum(written.values())))
        ctx.log(
            f"codinglog: {sum(written.values()):,} events written in "
            f"{time.perf_counter() - start:.1f} s"
        )
    files = sorted(folder.glob("*.jsonl"))
    return folder, int(marker.read_text()), sum(f.stat().st_size for f in files) / 1e6


def _parse_floor(folder: Path) -> None:
    for path in sorted(folder.glob("*.jsonl")):
        [_loads(line) for line in path.read_bytes().splitlines()]


def _read_json(folder: Path) -> pd.DataFrame:
    return pd.concat(
        [pd.read_json(path, lines=True) for path in sorted(folder.glob("*.jsonl"))],
        ignore_index=True,
    )


def run(ctx: Context) -> Section:
    sizes = QUICK_SIZES if ctx.quick else SIZES
    corpus_mb = QUICK_CORPUS_MB if ctx.quick else CORPUS_MB
    section = Section(NAME, TITLE)
    section.method = (
        "Two coders' logs (`data/codings/<coder>.jsonl`) written in the format of "
        "`dsr_workbench.coding.codings` by `benchmarks/generate.py`: add events with quote, "
        "30-character prefix and suffix, the transcript's sha256 and origin, on the turns of "
        f"the {corpus_mb:g} MB synthetic study (spans of whole turns or of words inside "
        "them), plus 5 % remove and 2 % memo events. Ours: `load_codings(folder)`, i.e. "
        "`fold(read_logs(folder))`, timed in its two parts within each run (read: parse and "
        "validate every line into the event table; fold: the current codings). Floor: "
        f"parsing every line with `{_PARSER}` into a list of dicts, what any JSON-lines "
        "reader pays before building a table. Baseline: `pandas.read_json(lines=True)` per "
        f"log and `concat`, up to {READ_JSON_MAX:,} events (about 20 s a run at 10^6, which "
        "the time budget could not hold)."
    )
    table = Table(
        [
            "events",
            "log size",
            "load_codings median (min–max)",
            "read_logs",
            "fold",
            "events/s",
            f"floor: {_PARSER}",
            "pandas.read_json",
            "load ÷ floor",
        ]
    )
    loads: dict[int, float] = {}
    folders: dict[int, Path] = {}
    for n in sizes:
        folder, n_events, mb = _logs(ctx, n, corpus_mb)
        folders[n] = folder
        ctx.log(f"codinglog {n_events:,} events ({mb:.0f} MB), {ctx.runs} runs")
        if n < max(sizes):
            load_codings(folder)  # warm-up (page cache); skipped at the largest size (time)
        read_t, fold_t, total_t, floor_t, pandas_t = [], [], [], [], []
        for _ in range(ctx.runs):
            start = time.perf_counter()
            events = read_logs(folder)
            middle = time.perf_counter()
            load = fold(events)
            end = time.perf_counter()
            del events
            read_t.append(middle - start)
            fold_t.append(end - middle)
            total_t.append(end - start)
            start = time.perf_counter()
            _parse_floor(folder)
            floor_t.append(time.perf_counter() - start)
            if n <= READ_JSON_MAX:
                start = time.perf_counter()
                _read_json(folder)
                pandas_t.append(time.perf_counter() - start)
        total, floor = Stats(total_t), Stats(floor_t)
        loads[n] = total.median
        table.add(
            f"{n_events:,} ({len(load):,} codings)",
            f"{mb:.0f} MB",
            total.fmt(),
            Stats(read_t).fmt(),
            Stats(fold_t).fmt(),
            f"{n_events / total.median:,.0f}",
            floor.fmt(),
            Stats(pandas_t).fmt() if pandas_t else "skipped (time budget)",
            f"{total.median / floor.median:.1f}×",
        )
    section.tables.append(table)
    top = max(sizes)
    section.goals.append(
        Goal(
            TITLE,
            "load 10^6 coding events in ≤ 2 s",
            f"{loads[top]:.2f} s at {top:,} events",
            None if ctx.quick else loads[top] <= 2.0,
        )
    )
    if not ctx.quick and loads[top] > 2.0:  # profiled one size down: same hot spots, 10x cheaper
        mid = sorted(sizes)[-2]
        section.profiles.append(
            (
                f"cProfile of load_codings at {mid:,} events",
                profile_top(lambda: load_codings(folders[mid])),
            )
        )
    return section
