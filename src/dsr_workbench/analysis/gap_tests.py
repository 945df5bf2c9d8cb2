"""The tests and checks behind the Relationship Gap: statistics, then input validation.

Wilcoxon signed-rank and Mann–Whitney U rows with their rank-biserial correlation, the
bootstrap CI of the mean gap and the Holm adjustment; and the option, name and side checks
that :mod:`dsr_workbench.analysis.gap` runs on ``responses`` before testing. The public
functions, and the references, are in :mod:`dsr_workbench.analysis.gap`.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from dsr_workbench.analysis.survey_contract import SurveyWarning
from dsr_workbench.core.errors import DsrError

__all__: list[str] = []

ZeroMethod = Literal["wilcox", "pratt", "zsplit"]
Alternative = Literal["two-sided", "greater", "less"]

_ZERO_METHODS = ("wilcox", "pratt", "zsplit")


# --------------------------------------------------------------------------- statistics


def _test_options(
    zero_method: ZeroMethod,
    alternative: Alternative,
    confidence: float,
    n_resamples: int,
    ci_method: str,
    seed: int,
) -> dict[str, Any]:
    """The keyword arguments of :func:`_paired` / :func:`_unpaired`, with a generator seeded
    by ``seed`` that every item's bootstrap draws from in turn."""
    return dict(
        zero_method=zero_method,
        alternative=alternative,
        confidence=confidence,
        n_resamples=n_resamples,
        ci_method=ci_method,
        rng=np.random.default_rng(seed),
    )


def _paired(
    d: np.ndarray,
    *,
    zero_method: ZeroMethod,
    alternative: Alternative,
    confidence: float,
    n_resamples: int,
    ci_method: str,
    rng: np.random.Generator,
) -> dict[str, object]:
    """Wilcoxon signed-rank on differences ``d`` (1-D) with rank-biserial and bootstrap CI."""
    out: dict[str, object] = {
        "mean_gap": _mean(d),
        "median_gap": float(np.median(d)) if len(d) else np.nan,
        "test": "wilcoxon",
        "zero_method": zero_method,
        "statistic": np.nan,
        "p_value": np.nan,
        "rank_biserial": np.nan,
    }
    out.update(_bootstrap((d,), _mean_axis, confidence, n_resamples, ci_method, rng))
    n = len(d)
    if n == 0:
        return out
    if not np.any(d):  # every difference zero: no signed ranks, nothing to test
        out.update(statistic=0.0, p_value=1.0, rank_biserial=0.0)
        return out
    res = stats.wilcoxon(d, zero_method=zero_method, alternative=alternative)
    # T+ (sum of ranks of positive differences, zsplit: plus half the zero ranks) from scipy.
    t_plus = stats.wilcoxon(d, zero_method=zero_method, alternative="greater").statistic
    z = int(np.sum(d == 0))
    total = {
        "wilcox": (n - z) * (n - z + 1) / 2,
        "pratt": n * (n + 1) / 2 - z * (z + 1) / 2,
        "zsplit": n * (n + 1) / 2,
    }[zero_method]
    out.update(
        statistic=float(res.statistic),
        p_value=float(res.pvalue),
        rank_biserial=float(2 * t_plus / total - 1),
    )
    return out


def _unpaired(
    x: np.ndarray,
    y: np.ndarray,
    *,
    zero_method: ZeroMethod,
    alternative: Alternative,
    confidence: float,
    n_resamples: int,
    ci_method: str,
    rng: np.random.Generator,
) -> dict[str, object]:
    """Mann–Whitney U of ``x`` vs ``y`` with rank-biserial and a two-sample bootstrap CI."""
    out: dict[str, object] = {
        "mean_gap": _mean(x) - _mean(y),
        "median_gap": np.nan,
        "test": "mannwhitneyu",
        "zero_method": pd.NA,
        "statistic": np.nan,
        "p_value": np.nan,
        "rank_biserial": np.nan,
    }
    if len(x) and len(y):
        out["median_gap"] = float(np.median(x) - np.median(y))
        res = stats.mannwhitneyu(x, y, alternative=alternative)
        out.update(
            statistic=float(res.statistic),
            p_value=float(res.pvalue),
            rank_biserial=float(2 * res.statistic / (len(x) * len(y)) - 1),
        )
    out.update(_bootstrap((x, y), _mean_diff, confidence, n_resamples, ci_method, rng))
    return out


def _mean_axis(d: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(d, axis=axis)


def _mean_diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _bootstrap(
    samples: tuple[np.ndarray, ...],
    statistic,
    confidence: float,
    n_resamples: int,
    method: str,
    rng: np.random.Generator,
) -> dict[str, float]:
    if n_resamples == 0 or any(len(s) < 2 for s in samples):
        return {"ci_low": np.nan, "ci_high": np.nan}
    if all(np.ptp(s) == 0 for s in samples):  # no variation: the interval is the point
        value = float(statistic(*samples))
        return {"ci_low": value, "ci_high": value}
    for m in dict.fromkeys([method, "percentile"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            res = stats.bootstrap(
                samples,
                statistic,
                confidence_level=confidence,
                n_resamples=n_resamples,
                method=m,
                rng=rng,
                vectorized=True,
            )
        low, high = res.confidence_interval
        if np.isfinite(low) and np.isfinite(high):
            break
    return {"ci_low": float(low), "ci_high": float(high)}


def _holm(table: pd.DataFrame, family: str) -> pd.Series:
    adjusted = pd.Series(np.nan, index=table.index)
    for _, rows in table.groupby(family, sort=False):
        p = rows["p_value"].astype(float)
        ok = p.notna()
        if ok.any():
            adjusted[p[ok].index] = multipletests(p[ok].to_numpy(), method="holm")[1]
    return adjusted


def _mean(a: np.ndarray) -> float:
    return float(np.mean(a)) if len(a) else np.nan


# --------------------------------------------------------------------------- checks


def _check_options(zero_method: str, confidence: float, n_resamples: int) -> None:
    if zero_method not in _ZERO_METHODS:
        raise DsrError(
            f"zero_method '{zero_method}' is unknown", hint=f"use one of {list(_ZERO_METHODS)}"
        )
    if not 0 < confidence < 1:
        raise DsrError(f"confidence={confidence} is not in (0, 1)", hint="e.g. 0.95")
    if n_resamples < 0:
        raise DsrError(f"n_resamples={n_resamples} is negative", hint="use 0 to skip the CI")


def _check_kinds(data: pd.DataFrame, kinds: Iterable[str] | None) -> list[str]:
    present = list(pd.unique(data["kind"]))
    if kinds is None:
        return [k for k in present if k != "outcome"]
    wanted = [kinds] if isinstance(kinds, str) else list(kinds)
    _check_names(wanted, present, "kind")
    return wanted


def _check_names(wanted: Sequence[str], present: Iterable[str], what: str) -> None:
    known = list(dict.fromkeys(present))
    for name in wanted:
        if name not in known:
            close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {known[:12]}"
            raise DsrError(f"unknown {what} '{name}' (not in the responses)", hint=hint)


def _select(
    data: pd.DataFrame, items: Iterable[str] | None, constructs: Iterable[str] | None
) -> pd.DataFrame:
    if constructs is not None:
        wanted = [constructs] if isinstance(constructs, str) else list(constructs)
        _check_names(wanted, data["construct"], "construct")
        data = data[data["construct"].isin(wanted)]
    if items is not None:
        wanted = [items] if isinstance(items, str) else list(items)
        _check_names(wanted, data["item"], "item")
        data = data[data["item"].isin(wanted)]
    return data


def _check_both_sides(scores: pd.DataFrame, sides: tuple[str, str], column: str) -> None:
    """Every (kind/perspective, item) must have answers on both ``sides`` of ``column``."""
    other = "kind" if column == "perspective" else "perspective"
    seen = scores.groupby([other, "item"], sort=False)[column].unique()
    for (group, item), values in seen.items():
        lacking = [s for s in sides if s not in set(values)]
        if lacking:
            raise DsrError(
                f"item '{item}' ({group}) has no {lacking[0]} answers, only {sorted(values)}",
                hint="drop the item (items=/constructs=) or add the missing side's answers",
            )


def _drop_one_sided(scores: pd.DataFrame) -> pd.DataFrame:
    sides = scores.groupby("relationship_id")["perspective"].nunique()
    one = sorted(sides.index[sides < 2])
    if one and len(one) == len(sides):
        raise DsrError(
            "no relationship has answers from both the client and the CMO side",
            hint="pass paired=False to compare the sides with a Mann-Whitney test",
        )
    if one:
        warnings.warn(
            f"{len(one)} relationship(s) answered by one side only, left out of the paired "
            f"test: {', '.join(one)}",
            SurveyWarning,
            stacklevel=3,
        )
    return scores[~scores["relationship_id"].isin(one)]
