"""Loading coding-event logs: ``load_codings`` (read + fold) for 10^4 .. 10^6 events, parsed
and from the logs' columnar cache (cold, warm, after an append; peak memory)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from benchmarks.corpora import loaded
from benchmarks.generate import make_codings, write_coding_logs
from benchmarks.harness import Context, Goal, Section, Stats, Table, fmt_time, profile_top
from dsr_workbench.coding import logcache, logread
from dsr_workbench.coding.codings import fold, load_codings, read_logs
from dsr_workbench.coding.log import append_events

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
APPENDED, QUICK_APPENDED = 1_000, 100  # events appended to a warm log


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
        "the time budget could not hold). This table parses the logs (their cache switched "
        "off). The second table is `load_codings` with the logs' columnar cache "
        "(`dsr_workbench.coding.logcache`) on a copy of the largest logs: cold (the cache "
        "removed before each run: parse, then write the cache), warm (the cache covers the "
        f"logs), and after appending {APPENDED:,} events (add events copied from the log, with "
        "new ids) to a warm log: a run truncates the log back to its size, which keeps its "
        "cache, then appends, untimed; the timed load parses only the appended lines. Warm "
        "and appended runs are interleaved, and compared with the floor of the first table "
        "at the same size, in the same run. The same logs with every tenth add event carrying "
        '`"verified": false` (as a REFI-QDA import writes it) are loaded cold and warm too: '
        "they must load as fast. Peak memory is the peak resident set size (`VmHWM` of "
        "`/proc/self/status`) of a fresh Python process after its imports and after one "
        "`load_codings` of those logs, cold and warm."
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
    floors: dict[int, float] = {}
    folders: dict[int, Path] = {}
    for n in sizes:
        folder, n_events, mb = _logs(ctx, n, corpus_mb)
        folders[n] = folder
        ctx.log(f"codinglog {n_events:,} events ({mb:.0f} MB), {ctx.runs} runs")
        logread.USE_CACHE = False  # this table times parsing: the cache has its own
        try:
            if n < max(sizes):
                load_codings(folder)  # warm-up (page cache); skipped at the largest size (time)
            codings, (read_t, fold_t, total_t, floor_t, pandas_t) = _parse_runs(n, ctx.runs, folder)
        finally:
            logread.USE_CACHE = True
        total, floor = Stats(total_t), Stats(floor_t)
        loads[n] = total.median
        floors[n] = floor.median
        table.add(
            f"{n_events:,} ({codings:,} codings)",
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
            "load 10^6 coding events in ≤ 2 s (parsing the logs, no cache)",
            f"{loads[top]:.2f} s at {top:,} events",
            None if ctx.quick else loads[top] <= 2.0,
        )
    )
    if not ctx.quick and loads[top] > 2.0:  # profiled one size down: same hot spots, 10x cheaper
        mid = sorted(sizes)[-2]
        logread.USE_CACHE = False
        try:
            top_functions = profile_top(lambda: load_codings(folders[mid]))
        finally:
            logread.USE_CACHE = True
        section.profiles.append((f"cProfile of load_codings at {mid:,} events", top_functions))
    _cache_rows(ctx, section, folders[top], floors[top], top)
    return section


def _parse_runs(n: int, runs: int, folder: Path) -> tuple[int, list[list[float]]]:
    """Timed runs of read_logs + fold (parsing), the orjson floor and pandas.read_json.

    Returns the number of codings and the times: read, fold, total, floor, pandas.
    """
    times: list[list[float]] = [[], [], [], [], []]
    codings = 0
    for _ in range(runs):
        start = time.perf_counter()
        events = read_logs(folder)
        middle = time.perf_counter()
        codings = len(fold(events))
        end = time.perf_counter()
        del events
        times[0].append(middle - start)
        times[1].append(end - middle)
        times[2].append(end - start)
        start = time.perf_counter()
        _parse_floor(folder)
        times[3].append(time.perf_counter() - start)
        if n <= READ_JSON_MAX:
            start = time.perf_counter()
            _read_json(folder)
            times[4].append(time.perf_counter() - start)
    return codings, times


_RSS = """
import sys
def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
from dsr_workbench.coding.codings import load_codings
base = hwm()
if sys.argv[1] != "imports":
    codings = load_codings(sys.argv[2])
print(base, hwm())
"""


def _peak_rss(mode: str, folder: Path) -> tuple[float, float]:
    """Peak RSS (bytes) of a fresh process after its imports, and after one ``load_codings``
    of ``folder`` (``mode`` ``imports``: no load): ``VmHWM`` of ``/proc/self/status``, which
    a new program starts afresh (``ru_maxrss`` keeps the peak of the forking benchmark)."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS, mode, str(folder)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    base, peak = out.split()[-2:]
    return int(base) * 1024.0, int(peak) * 1024.0  # VmHWM is in kB


def _clear_cache(folder: Path) -> None:
    shutil.rmtree(folder / logcache.CACHE_DIR, ignore_errors=True)


def _appendix(log: Path, count: int) -> list[dict]:
    """``count`` add events like the log's last ones (new event ids and timestamps)."""
    lines = log.read_bytes().splitlines()
    adds = [json.loads(line) for line in lines[-4 * count :]]
    adds = [e for e in adds if e["event"] == "add"][:count]
    for event in adds:
        del event["event_id"], event["timestamp"]
    return adds


def _flag(line: bytes, k: int) -> bytes:
    """Every tenth add event gets ``"verified": false`` (as a REFI-QDA import writes it)."""
    if k % 10 or not line.startswith(b'{"event":"add"'):
        return line
    return line[:-1] + b',"verified":false}'


def _verified_rows(ctx: Context, folder: Path, n: int) -> list[tuple[str, Stats]]:
    """Cold and warm loads of the same logs where 10 % of the adds carry ``verified: false``."""
    flagged = ctx.work / f"codings-{n}-verified"
    shutil.rmtree(flagged, ignore_errors=True)
    flagged.mkdir(parents=True)
    for log in sorted(folder.glob("*.jsonl")):
        lines = log.read_bytes().split(b"\n")
        body = b"\n".join(_flag(line, k) for k, line in enumerate(lines))
        (flagged / log.name).write_bytes(body)
    ctx.log("codinglog cache: the same logs, 10 % of adds verified: false (cold, warm)")
    cold_t, warm_t = [], []
    for _ in range(ctx.runs):
        _clear_cache(flagged)
        start = time.perf_counter()
        codings = load_codings(flagged)
        cold_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        load_codings(flagged)
        warm_t.append(time.perf_counter() - start)
    unverified = int((~codings["verified"]).sum())
    shutil.rmtree(flagged, ignore_errors=True)
    label = f'10 % of adds "verified": false ({unverified:,} codings)'
    return [(f"cold, {label}", Stats(cold_t)), (f"warm, {label}", Stats(warm_t))]


def _cache_rows(ctx: Context, section: Section, source: Path, floor: float, n: int) -> None:
    """The cache's table: cold, warm and after-append loads, and peak memory."""
    folder = ctx.work / f"codings-{n}-cache"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(logcache.CACHE_DIR, ".done"))
    log = sorted(folder.glob("*.jsonl"))[0]
    size = log.stat().st_size
    count = QUICK_APPENDED if ctx.quick else APPENDED
    extra = _appendix(log, count)
    ctx.log(f"codinglog cache: {n:,} events, cold, warm, +{count:,}, peak memory")
    cold_t = []
    for _ in range(ctx.runs):
        _clear_cache(folder)
        start = time.perf_counter()
        codings = load_codings(folder)
        cold_t.append(time.perf_counter() - start)
    warm_t, append_t = [], []
    for _ in range(ctx.runs):
        with open(log, "r+b") as handle:
            handle.truncate(size)
        start = time.perf_counter()
        load_codings(folder)
        warm_t.append(time.perf_counter() - start)
        append_events(log, extra)
        start = time.perf_counter()
        load_codings(folder)
        append_t.append(time.perf_counter() - start)
    with open(log, "r+b") as handle:
        handle.truncate(size)
    load_codings(folder)  # warm again, for the memory of a warm load
    rss_warm = _peak_rss("load", folder)
    _clear_cache(folder)
    rss_cold = _peak_rss("load", folder)
    rss_base = _peak_rss("imports", folder)
    cold, warm, appended = Stats(cold_t), Stats(warm_t), Stats(append_t)
    flagged = _verified_rows(ctx, folder, n)
    table = Table(
        ["load_codings", "events", "median (min–max)", "÷ floor (orjson parse)", "÷ warm"],
        caption=f"With the logs' columnar cache; floor: {_PARSER} of every line, "
        f"{fmt_time(floor)} (first table, same run)",
    )
    table.add(f"floor: {_PARSER} of every line", f"{n:,}", fmt_time(floor), "1.0×", "—")
    for name, stats in [
        ("cold: no cache (parse, write the cache)", cold),
        ("warm: cache covers the logs", warm),
        (f"after appending {count:,} events to a warm log", appended),
        *flagged,
    ]:
        table.add(
            name,
            f"{n:,} ({len(codings):,} codings)",
            stats.fmt(),
            f"{stats.median / floor:.2f}×",
            f"{stats.median / warm.median:.2f}×",
        )
    section.tables.append(table)
    memory = Table(
        ["fresh process (VmHWM)", "events", "after imports", "peak", "peak − imports"],
        caption="Peak resident set size of a new Python process: VmHWM of /proc/self/status "
        "after its imports (pandas, pyarrow, dsr_workbench.coding) and after one load_codings",
    )
    for name, (base, peak) in [
        ("imports only", rss_base),
        ("load_codings, cold (parse, write the cache)", rss_cold),
        ("load_codings, warm (from the cache)", rss_warm),
    ]:
        memory.add(
            name,
            "—" if peak == base else f"{n:,}",
            f"{base / 1e9:.2f} GB",
            f"{peak / 1e9:.2f} GB",
            f"{(peak - base) / 1e9:.2f} GB",
        )
    section.tables.append(memory)
    real = not ctx.quick
    peak = max(rss_cold[1], rss_warm[1])
    section.goals += [
        Goal(
            TITLE,
            "`load_codings`, 10^6 events, cache warm: ≤ 1 s, and ≤ 0.3× orjson's parse of the "
            "same lines",
            f"{warm.median:.2f} s, {warm.median / floor:.2f}× the parse at {n:,} events",
            None if not real else warm.median <= 1.0 and warm.median <= 0.3 * floor,
        ),
        Goal(
            TITLE,
            f"`load_codings` after appending {APPENDED:,} events to a warm 10^6 log: ≤ 1.2× the "
            "warm time",
            f"{appended.median:.2f} s, {appended.median / warm.median:.2f}× warm",
            None if not real else appended.median <= 1.2 * warm.median,
        ),
        Goal(
            TITLE,
            "peak memory loading the 10^6-event log: ≤ 1.5 GB RSS, reported",
            f"cold {rss_cold[1] / 1e9:.2f} GB, warm {rss_warm[1] / 1e9:.2f} GB (VmHWM of a "
            f"fresh process; its imports alone {rss_base[1] / 1e9:.2f} GB)",
            None if not real else peak <= 1.5e9,
        ),
    ]
    if real and (warm.median > 1.0 or warm.median > 0.3 * floor):
        section.profiles.append(
            (
                f"cProfile of a warm load_codings at {n:,} events",
                profile_top(lambda: load_codings(folder)),
            )
        )
    shutil.rmtree(folder, ignore_errors=True)
