"""Coding queries: code frequency, code x perspective crosstab and co-occurrence vs pandas."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from benchmarks.generate import make_codings, make_turns
from benchmarks.harness import Context, Goal, Section, Stats, Table, profile_top, side_by_side
from dsr_workbench.coding.queries import code_crosstab, code_frequencies

try:  # co-occurrence moved to a module of its own
    from dsr_workbench.coding.co_occurrence import cooccurrence
except ImportError:  # pragma: no cover - older layout
    from dsr_workbench.coding.queries import cooccurrence  # type: ignore[attr-defined,no-redef]

NAME = "queries"
TITLE = "Coding queries: frequency, crosstab, co-occurrence"
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
N_CODES = 300
CODINGS_PER_TURN = 4


def _pandas_frequencies(codings: pd.DataFrame, turns: pd.DataFrame) -> pd.DataFrame:
    merged = codings.merge(
        turns[["transcript_id", "turn", "participant_id"]], on=["transcript_id", "turn"], how="left"
    )
    return (
        merged.groupby(["code_id", "transcript_id"])
        .agg(
            segments=("code_id", "size"),
            transcripts=("transcript_id", "nunique"),
            participants=("participant_id", "nunique"),
        )
        .reset_index()
    )


def _pandas_crosstab(codings: pd.DataFrame, turns: pd.DataFrame) -> pd.DataFrame:
    merged = codings.merge(
        turns[["transcript_id", "turn", "perspective"]], on=["transcript_id", "turn"], how="left"
    )
    return pd.crosstab(merged["code_id"], merged["perspective"])


def _pandas_cooccurrence(codings: pd.DataFrame) -> pd.DataFrame:
    units = codings[["coder", "transcript_id", "turn", "code_id"]].drop_duplicates()
    pairs = units.merge(units, on=["coder", "transcript_id", "turn"])
    return pairs.groupby(["code_id_x", "code_id_y"]).size().unstack(fill_value=0)


def _same(ours: pd.DataFrame, theirs: pd.DataFrame) -> bool:
    theirs = theirs.reindex(index=ours.index, columns=ours.columns, fill_value=0)
    return bool(np.array_equal(ours.to_numpy(dtype=np.int64), theirs.to_numpy(dtype=np.int64)))


def _tables(ctx: Context, n: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Codings with a turn column, the same without it, and the turns (cached per size)."""
    key = f"queries:{n}"
    if key not in ctx.cache:
        start = time.perf_counter()
        turns = make_turns(n // CODINGS_PER_TURN, seed=n)
        codings = make_codings(
            turns,
            n // 2,
            [f"K{k + 1:03d}" for k in range(N_CODES)],
            n_coders=2,
            agreement=0.8,
            seed=n + 1,
        )
        ctx.cache[key] = (codings, codings.drop(columns=["turn"]), turns)
        ctx.log(
            f"queries {len(codings):,} codings over {len(turns):,} turns (made in "
            f"{time.perf_counter() - start:.1f} s), {ctx.runs} runs"
        )
    return ctx.cache[key]


def _one_size(
    ctx: Context, tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], *, warmup: bool
) -> list[tuple[str, Stats, Stats, bool, bool]]:
    """Rows (label, ours, baseline, baseline shared with the row above, results equal)."""
    with_turn, plain, turns = tables
    out: dict[str, pd.DataFrame] = {}

    def keep(name: str, fn: Callable[[], pd.DataFrame]) -> Callable[[], None]:
        return lambda: out.__setitem__(name, fn())

    freq = side_by_side(
        {
            "ours": keep("f", lambda: code_frequencies(plain, turns, by="transcript")),
            "turn": keep("ft", lambda: code_frequencies(with_turn, turns, by="transcript")),
            "pandas": keep("fb", lambda: _pandas_frequencies(with_turn, turns)),
        },
        ctx.runs,
        warmup=warmup,
    )
    cross = side_by_side(
        {
            "ours": keep("x", lambda: code_crosstab(plain, turns)),
            "turn": keep("xt", lambda: code_crosstab(with_turn, turns)),
            "pandas": keep("xb", lambda: _pandas_crosstab(with_turn, turns)),
        },
        ctx.runs,
        warmup=warmup,
    )
    cooc = side_by_side(
        {
            "ours": keep("c", lambda: cooccurrence(with_turn)),
            "mapped": keep("cm", lambda: cooccurrence(plain, turns=turns)),
            "pandas": keep("cb", lambda: _pandas_cooccurrence(with_turn)),
        },
        ctx.runs,
        warmup=warmup,
    )
    columns = ["code_id", "transcript_id", "segments"]
    return [
        (
            "code frequency (by transcript)",
            freq["ours"],
            freq["pandas"],
            False,
            bool(
                np.array_equal(
                    out["f"][columns].to_numpy(dtype=object),
                    out["fb"][columns].to_numpy(dtype=object),
                )
            ),
        ),
        (
            "code frequency (by transcript), codings with turn",
            freq["turn"],
            freq["pandas"],
            True,
            bool(
                np.array_equal(
                    out["ft"][columns].to_numpy(dtype=object),
                    out["fb"][columns].to_numpy(dtype=object),
                )
            ),
        ),
        (
            "code × perspective crosstab",
            cross["ours"],
            cross["pandas"],
            False,
            _same(out["x"], out["xb"]),
        ),
        (
            "code × perspective crosstab, codings with turn",
            cross["turn"],
            cross["pandas"],
            True,
            _same(out["xt"], out["xb"]),
        ),
        (
            "co-occurrence, same turn (codings with turn)",
            cooc["ours"],
            cooc["pandas"],
            False,
            _same(out["c"], out["cb"]),
        ),
        (
            "co-occurrence, same turn (turns= mapping)",
            cooc["mapped"],
            cooc["pandas"],
            True,
            _same(out["cm"], out["cb"]),
        ),
    ]


def run(ctx: Context) -> Section:
    sizes = QUICK_SIZES if ctx.quick else SIZES
    section = Section(NAME, TITLE)
    section.method = (
        f"In-memory tables: a turns table (60 turns a transcript, researcher and participant "
        f"turns alternating, 40 participants, client or CMO) with one turn per "
        f"{CODINGS_PER_TURN} codings, and codings by two coders (the second repeats 80 % of "
        f"the first's) of {N_CODES} codes used with Zipf frequencies, spanning whole turns "
        "or stretches inside them. Ours gets the codings with their offsets and the turns "
        "table, as in a study, and maps each coding to its turn itself (`with_turns`, a "
        "sorted search); the pandas baselines get codings that already carry their turn, "
        "so they do less work. Frequency: `code_frequencies(codings, turns, "
        "by='transcript')` vs a merge with the turns and `groupby(['code_id', "
        "'transcript_id']).agg(size, nunique, nunique)`. Crosstab: `code_crosstab(codings, "
        "turns)` (code x perspective) vs a merge and `pd.crosstab`. Both are also timed on "
        "the codings with their turn column (what anchored codings carry; ours then looks "
        "the turn up instead of placing the span), the input the baselines get. "
        "Co-occurrence: "
        "`cooccurrence(codings)` (codes one coder applied to the same turn; a sparse "
        "unit x code matrix, `X.T @ X`) on codings with a turn column, the input the "
        "baseline gets, and `cooccurrence(codings, turns=turns)` with the mapping, vs the "
        "pandas self-merge of the (coder, transcript, turn, code) units on the turn and "
        "`groupby(...).size().unstack()`. The results are checked equal."
    )
    table = Table(
        [
            "query",
            "codings",
            "ours median (min–max)",
            "pandas median (min–max)",
            "speed-up (pandas ÷ ours)",
            "results equal",
        ]
    )
    speedups: dict[tuple[str, int], float] = {}
    for n in sizes:
        tables = _tables(ctx, n)
        for label, ours, base, shared, equal in _one_size(ctx, tables, warmup=n < max(sizes)):
            ratio = base.median / ours.median
            speedups[(label, n)] = ratio
            table.add(
                label,
                f"{len(tables[0]):,}",
                ours.fmt(),
                f"(as above) {base.fmt()}" if shared else base.fmt(),
                f"{ratio:.1f}×",
                "yes" if equal else "**no**",
            )
    section.tables.append(table)
    top = max(sizes)
    ratio = speedups[("co-occurrence, same turn (codings with turn)", top)]
    section.goals.append(
        Goal(
            TITLE,
            f"co-occurrence of 10^6 codings × {N_CODES} codes ≥ 5× a pandas self-merge",
            f"{ratio:.1f}× at {top:,} codings "
            f"({speedups[('co-occurrence, same turn (turns= mapping)', top)]:.1f}× with the "
            "mapping)",
            None if ctx.quick else ratio >= 5,
        )
    )
    for label in (
        "code frequency (by transcript), codings with turn",
        "code × perspective crosstab, codings with turn",
        "code frequency (by transcript)",
        "code × perspective crosstab",
    ):
        r = speedups[(label, top)]
        what = (
            "carrying their turn"
            if label.endswith(", codings with turn")
            else "placed on turns by their span (the baseline gets the turn)"
        )
        section.goals.append(
            Goal(
                TITLE,
                f"{label.replace(', codings with turn', '')} of 10^6 codings {what} ≥ 1.5× pandas",
                f"{r:.1f}× at {top:,} codings",
                None if ctx.quick else r >= 1.5,
            )
        )
    slow = [(label, r) for (label, n), r in speedups.items() if n == top and r < 1.5]
    if slow and not ctx.quick:
        with_turn, plain, turns = _tables(ctx, top)
        calls = {
            "code frequency (by transcript)": lambda: code_frequencies(
                plain, turns, by="transcript"
            ),
            "code × perspective crosstab": lambda: code_crosstab(plain, turns),
            "code frequency (by transcript), codings with turn": lambda: code_frequencies(
                with_turn, turns, by="transcript"
            ),
            "code × perspective crosstab, codings with turn": lambda: code_crosstab(
                with_turn, turns
            ),
        }
        for label, r in slow:
            if label in calls:
                section.profiles.append(
                    (
                        f"cProfile of {label} at {top:,} codings ({r:.2f}× pandas)",
                        profile_top(calls[label]),
                    )
                )
    for key in [k for k in ctx.cache if k.startswith("queries:")]:
        del ctx.cache[key]  # free the memory for the next benchmarks
    return section
