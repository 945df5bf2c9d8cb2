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
    ds: Sequence[np.ndarray],
    *,
    zero_method: ZeroMethod,
    alternative: Alternative,
    confidence: float,
    n_resamples: int,
    ci_method: str,
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    """Wilcoxon signed-rank on each 1-D array of differences in ``ds``, with rank-biserial
    and bootstrap CI; one dict per array, in order.

    The bootstraps draw from ``rng`` in the order of ``ds``. The signed-rank tests run as
    few vectorised :func:`scipy.stats.wilcoxon` calls (``axis=-1``, one per group of
    :func:`_signed_rank_groups`), whose results equal one call per array.
    """
    rows: list[dict[str, object]] = []
    for d in ds:
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
        if len(d) and not np.any(d):  # every difference zero: no signed ranks, nothing to test
            out.update(statistic=0.0, p_value=1.0, rank_biserial=0.0)
        rows.append(out)
    for members in _signed_rank_groups(ds):
        block = np.stack([ds[i] for i in members])  # (arrays, n): one test per row
        res = stats.wilcoxon(block, zero_method=zero_method, alternative=alternative, axis=-1)
        # T+ (sum of ranks of positive differences, zsplit: plus half the zero ranks): scipy's
        # statistic for alternative="greater", whatever the p-value method (so the cheapest).
        t_plus = stats.wilcoxon(
            block, zero_method=zero_method, alternative="greater", method="asymptotic", axis=-1
        ).statistic
        n = block.shape[1]
        zeros = np.sum(block == 0, axis=1)
        total = {
            "wilcox": (n - zeros) * (n - zeros + 1) / 2,
            "pratt": n * (n + 1) / 2 - zeros * (zeros + 1) / 2,
            "zsplit": np.full(len(members), n * (n + 1) / 2),
        }[zero_method]
        for j, i in enumerate(members):
            rows[i].update(
                statistic=float(res.statistic[j]),
                p_value=float(res.pvalue[j]),
                rank_biserial=float(2 * t_plus[j] / total[j] - 1),
            )
    return rows


def _signed_rank_groups(ds: Sequence[np.ndarray]) -> list[list[int]]:
    """Indices of the arrays to test, grouped so that one 2-D ``wilcoxon`` call per group
    gives each array the result of its own call.

    :func:`scipy.stats.wilcoxon` resolves ``method="auto"`` once for the whole input: from
    the length of the axis (exact up to 50, permutations up to 13 when there are ties or
    zeros), whether *any* slice has a zero and whether *any* has tied absolute differences
    (scipy 1.17, ``stats/_wilcoxon.py``; the rule is in the Notes of
    https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.wilcoxon.html). Arrays
    in one group share all three, so the group's method is each member's own. Empty and
    all-zero arrays are not tested (see :func:`_paired`).
    """
    groups: dict[tuple[int, bool, bool], list[int]] = {}
    for i, d in enumerate(ds):
        if not len(d) or not np.any(d):
            continue
        absolute = np.abs(d)
        key = (len(d), bool(np.any(d == 0)), len(np.unique(absolute)) < len(absolute))
        groups.setdefault(key, []).append(i)
    return list(groups.values())


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
    """Holm-adjusted ``p_value`` within each ``family`` (NaN p-values stay NaN, out of it)."""
    adjusted = pd.Series(np.nan, index=table.index)
    for _, rows in table.groupby(family, sort=False):
        p = rows["p_value"].astype(float)
        ok = p.notna()
        if ok.any():
            adjusted[p[ok].index] = holm_adjust(p[ok].to_numpy())
    return adjusted


def holm_adjust(p: np.ndarray) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values.

    Sort the ``m`` p-values, multiply the ``i``-th smallest (from 0) by ``m - i``, take the
    running maximum and clip at 1; return them in the input's order. The same arithmetic,
    step by step, as ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``
    (statsmodels 0.15), without the ``gc.collect()`` that it runs on every Holm call (tens of
    milliseconds with a large heap).

    Parameters
    ----------
    p
        1-D array of p-values in [0, 1], without NaN.

    Returns
    -------
    ndarray
        Adjusted p-values, same order and shape.

    Examples
    --------
    The worked example of the Wikipedia article "Holm–Bonferroni method": four hypotheses
    with p-values 0.01, 0.04, 0.03 and 0.005 at α = 0.05; H1 and H4 are rejected:

    >>> holm_adjust(np.array([0.01, 0.04, 0.03, 0.005])).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    adjusted = np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))
    adjusted[adjusted > 1] = 1
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


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
