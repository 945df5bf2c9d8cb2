"""Reliability: Krippendorff's alpha from the long table vs the krippendorff package's own call."""

from __future__ import annotations

import krippendorff

from benchmarks.generate import make_reliability_data
from benchmarks.harness import Context, Goal, Section, Table, profile_top, side_by_side
from dsr_workbench.analysis.reliability import agreement

NAME = "reliability"
TITLE = "Reliability: Krippendorff's alpha, long table in"
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (100, 1_000)
N_CODERS = 3


def _one_size(ctx: Context, n: int) -> tuple[list[str], float]:
    """Time ours, the krippendorff package and ours with every metric on n units."""
    long, matrix = make_reliability_data(n, N_CODERS, seed=n)
    got: dict[str, float] = {}
    ctx.log(f"reliability {n:,} units, {ctx.runs} runs")

    def ours() -> None:
        res = agreement(
            long,
            unit="unit",
            coder="coder",
            value="value",
            level="nominal",
            metrics=["krippendorff_alpha"],
        )
        got["ours"] = float(res["estimate"].iloc[0])

    def theirs() -> None:
        got["theirs"] = float(
            krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        )

    def everything() -> None:
        agreement(long, unit="unit", coder="coder", value="value", level="nominal")

    stats = side_by_side({"ours": ours, "theirs": theirs, "all": everything}, ctx.runs, warmup=True)
    ratio = stats["ours"].median / stats["theirs"].median
    equal = abs(got["ours"] - got["theirs"]) < 1e-9
    cells = [
        f"{n:,} × {N_CODERS}",
        f"{len(long):,}",
        stats["ours"].fmt(),
        stats["theirs"].fmt(),
        f"{ratio:.2f}×",
        f"yes ({got['ours']:.4f})"
        if equal
        else f"**no** ({got['ours']:.4f} vs {got['theirs']:.4f})",
        stats["all"].fmt(),
    ]
    return cells, ratio


def run(ctx: Context) -> Section:
    sizes = QUICK_SIZES if ctx.quick else SIZES
    section = Section(NAME, TITLE)
    section.method = (
        f"Units x {N_CODERS} coders, nominal values from 5 categories (as text, e.g. "
        "'cat3'), each coder giving a unit's true category with probability 0.8, 5 % of the "
        "values missing. Ours: `agreement(long, unit='unit', coder='coder', value='value', "
        "level='nominal', metrics=['krippendorff_alpha'])` on the long (unit, coder, value) "
        "table, i.e. validation, reshaping and the statistic, to the result table. Baseline: "
        "`krippendorff.alpha(reliability_data=matrix, level_of_measurement='nominal')` on the "
        "coders x units float matrix with NaN for missing values, built beforehand (not "
        "timed). The last column times ours with all four metrics (percent agreement, "
        "Cohen's and Fleiss' kappa, alpha; kappas give a reason row here, as three coders "
        "and missing values rule them out). The two alphas are checked equal."
    )
    table = Table(
        [
            "units × coders",
            "values",
            "ours median (min–max)",
            "krippendorff median (min–max)",
            "ours ÷ krippendorff (time)",
            "alphas equal",
            "ours, all four metrics",
        ]
    )
    ratios: dict[int, float] = {}
    for n in sizes:
        cells, ratios[n] = _one_size(ctx, n)
        table.add(*cells)
    section.tables.append(table)
    top = max(sizes)
    section.goals.append(
        Goal(
            TITLE,
            f"alpha for 10^5 units × {N_CODERS} coders within 3× of krippendorff.alpha",
            f"{ratios[top]:.2f}× at {top:,} units",
            None if ctx.quick else ratios[top] <= 3,
        )
    )
    if not ctx.quick and ratios[top] > 3:
        big, _ = make_reliability_data(top, N_CODERS, seed=top)
        section.profiles.append(
            (
                f"cProfile of agreement at {top:,} units",
                profile_top(
                    lambda: agreement(big, level="nominal", metrics=["krippendorff_alpha"])
                ),
            )
        )
    return section
