"""Generated studies shared by several benchmarks (generated once per run, cached on disk)."""

from __future__ import annotations

import time

import pandas as pd

from benchmarks.generate import GeneratedStudy, generate_study, spec_for_megabytes
from benchmarks.harness import Context
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study

__all__ = ["generated", "loaded"]


def generated(ctx: Context, megabytes: float) -> GeneratedStudy:
    """The synthetic study of about ``megabytes`` of transcript text (seed 0)."""
    key = f"study:{megabytes:g}"
    if key not in ctx.cache:
        start = time.perf_counter()
        ctx.cache[key] = generate_study(
            ctx.work / f"study-{megabytes:g}MB", spec_for_megabytes(megabytes)
        )
        ctx.log(f"study of {megabytes:g} MB ready in {time.perf_counter() - start:.1f} s")
    return ctx.cache[key]


def loaded(ctx: Context, megabytes: float) -> tuple[GeneratedStudy, pd.DataFrame, pd.DataFrame]:
    """The study, its ``transcripts`` and its ``turns`` (loaded once per run)."""
    key = f"corpus:{megabytes:g}"
    if key not in ctx.cache:
        study = generated(ctx, megabytes)
        ctx.cache[key] = (study, *load_corpus(load_study(study.study_yaml)))
    return ctx.cache[key]
