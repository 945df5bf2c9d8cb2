"""The agreement coefficients themselves, computed from encoded reliability data.

Percent agreement, Cohen's kappa, Fleiss' kappa and Krippendorff's alpha, each from the
integer-coded table (:class:`_Coded`) that :func:`dsr_workbench.analysis.reliability.agreement`
builds from its long input, returned as one result row (:class:`_Row`) with the notes that say
what was left out or why a metric does not apply. Validating and encoding the input, and the
public API, live in :mod:`dsr_workbench.analysis.reliability`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, cast

import krippendorff
import numpy as np
import numpy.typing as npt
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa

__all__: list[str] = []

Level = Literal["nominal", "ordinal", "interval", "ratio"]


def _show(value: object) -> str:
    """``repr`` of a value for a message, numpy scalars shown as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)


@dataclass(frozen=True)
class _Coded:
    """Reliability data as integer codes.

    ``counts`` has shape (N, V): how many coders gave unit n the value v ("value counts" in
    the krippendorff package); ``matrix`` has shape (M, N): the value code coder m gave unit n,
    -1 where missing; ``weight`` has shape (N,): how many units each unit stands for (1 unless
    a weight column is given); ``domain`` has shape (V,): the values, ordered unless nominal.
    """

    counts: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.int64]
    weight: npt.NDArray[np.int64]
    domain: npt.NDArray[np.generic]
    coders: pd.Index


@dataclass(frozen=True)
class _Row:
    metric: str
    level: str
    estimate: float = np.nan
    ci_low: float = np.nan
    ci_high: float = np.nan
    n_units: int = 0
    n_coders: int = 0
    n_pairable: int = 0
    note: str = ""
    ok: bool = True


def _single_note(coded: _Coded, used: npt.NDArray[np.bool_]) -> str:
    """Say how many units with a value were left out of a metric (only one coder coded them)."""
    left_out = (coded.counts.sum(axis=1) >= 1) & ~used
    n = int(coded.weight[left_out].sum())
    if not n:
        return ""
    return f"{n} unit{'s' if n != 1 else ''} coded by one coder only left out"


def _one_value_note(counts: npt.NDArray[np.int64], domain: npt.NDArray[np.generic]) -> str:
    """Return a reason if fewer than two values occur in ``counts`` (N, V), else ''."""
    present = np.flatnonzero(counts.sum(axis=0))
    if len(present) >= 2:
        return ""
    only = f" ({_show(domain[present[0]])})" if len(present) else ""
    return (
        f"only one value{only} occurs: chance-corrected agreement is undefined (0/0); "
        "percent agreement is 1"
    )


def _percent_agreement(coded: _Coded) -> _Row:
    counts, m_u = coded.counts, coded.counts.sum(axis=1)
    used = m_u >= 2
    row = _Row("percent_agreement", "nominal", n_coders=len(coded.coders))
    if not used.any():
        return replace(row, note="no unit has values from two coders", ok=False)
    c, m, w = counts[used], m_u[used], coded.weight[used]
    # Share of agreeing coder pairs within each unit (for two coders: 1 if they agree),
    # averaged over units: Fleiss' (1971) P-bar, extended to units with any number of values.
    per_unit = (c * (c - 1)).sum(axis=1) / (m * (m - 1))
    return replace(
        row,
        estimate=float(np.average(per_unit, weights=w)),
        n_units=int(w.sum()),
        n_pairable=int((m * w).sum()),
        note=_single_note(coded, used),
    )


def _cohens_kappa(coded: _Coded, weights: str | None) -> _Row:
    level = "nominal" if weights is None else "ordinal"
    row = _Row("cohens_kappa", level, n_coders=len(coded.coders))
    if len(coded.coders) != 2:
        return replace(
            row,
            note=f"Cohen's kappa needs exactly two coders; there are {len(coded.coders)} "
            "(use fleiss_kappa or krippendorff_alpha)",
            ok=False,
        )
    first, second = coded.matrix
    both = (first >= 0) & (second >= 0)
    if not both.any():
        return replace(row, note="no unit was coded by both coders", ok=False)
    n_values = len(coded.domain)
    table = np.bincount(
        first[both] * n_values + second[both],
        weights=coded.weight[both],
        minlength=n_values * n_values,
    ).reshape(n_values, n_values)
    # Keep the categories either coder used (as R irr::kappa2 does), so that weights are
    # spaced by rank among the observed categories.
    observed = (table.sum(axis=0) + table.sum(axis=1)) > 0
    table = table[np.ix_(observed, observed)]
    n_units = int(coded.weight[both].sum())
    row = replace(row, n_units=n_units, n_pairable=2 * n_units)
    if table.shape[0] < 2:
        return replace(row, note=_one_value_note(table, coded.domain[observed]), ok=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = cohens_kappa(table, wt=weights)
    notes = [_single_note(coded, both)]
    if weights is not None:
        notes.insert(0, f"{weights} weights on the ranks of the observed categories")
    # The asymptotic interval assumes independent units, which weighted units (characters of
    # one text) are not: no interval for them.
    independent = bool((coded.weight == 1).all())
    return replace(
        row,
        estimate=float(result.kappa),
        ci_low=float(result.kappa_low) if independent else np.nan,
        ci_high=float(result.kappa_upp) if independent else np.nan,
        note="; ".join(n for n in notes if n),
    )


# Largest number of weighted units Fleiss' kappa is computed for (statsmodels needs one row
# per unit, so weighted units are repeated).
_MAX_REPEATED_UNITS = 10_000_000


def _repeat(counts: npt.NDArray[np.int64], weight: npt.NDArray[np.int64]) -> npt.NDArray:
    """Repeat each unit's row of ``counts`` (N, V) ``weight[n]`` times."""
    return counts if (weight == 1).all() else np.repeat(counts, weight, axis=0)


def _merge_unanimous(counts: npt.NDArray[np.int64], weight: npt.NDArray[np.int64]) -> npt.NDArray:
    """Weighted value counts (N, V) as unweighted value counts with the same coincidences.

    A unit whose m >= 2 values are all v adds exactly m to the coincidence matrix's cell
    (v, v) (Krippendorff 2011: o_vv gains m(m-1)/(m-1)), so all weighted unanimous units of
    value v can stand as one unit holding all their values; units with differing values are
    repeated ``weight`` times. The coincidence matrix, and so alpha at every level, is that of
    the fully repeated table, with rows only for the disagreements.
    """
    if (weight == 1).all():
        return counts
    m_u = counts.sum(axis=1)
    unanimous = counts.max(axis=1) == m_u
    merged = (counts[unanimous] * weight[unanimous, None]).sum(axis=0)
    merged_rows = np.diag(merged)[merged > 0]
    return np.vstack([merged_rows, np.repeat(counts[~unanimous], weight[~unanimous], axis=0)])


def _fleiss_kappa(coded: _Coded) -> _Row:
    m_u = coded.counts.sum(axis=1)
    used = m_u >= 2
    row = _Row("fleiss_kappa", "nominal", n_coders=len(coded.coders))
    if not used.any():
        return replace(row, note="no unit has values from two coders", ok=False)
    low, high = int(m_u[used].min()), int(m_u[used].max())
    row = replace(
        row,
        n_units=int(coded.weight[used].sum()),
        n_pairable=int((m_u[used] * coded.weight[used]).sum()),
    )
    if low != high:
        return replace(
            row,
            note=f"units have {low} to {high} values; Fleiss' kappa needs the same number "
            "for every unit (use krippendorff_alpha)",
            ok=False,
        )
    table = coded.counts[used]
    reason = _one_value_note(table, coded.domain)
    if reason:
        return replace(row, note=reason, ok=False)
    # ``table`` is what statsmodels' aggregate_raters returns (units x category counts),
    # built here with one bincount instead of a Python loop over units.
    if row.n_units > _MAX_REPEATED_UNITS:
        return replace(
            row,
            note=f"{row.n_units:,} weighted units are more than the {_MAX_REPEATED_UNITS:,} "
            "Fleiss' kappa is computed for (use krippendorff_alpha)",
            ok=False,
        )
    estimate = fleiss_kappa(_repeat(table, coded.weight[used]), method="fleiss")
    return replace(row, estimate=float(estimate), note=_single_note(coded, used))


def _alpha(counts: npt.NDArray[np.int64], domain: npt.NDArray, level: str) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(
            krippendorff.alpha(
                value_counts=counts, value_domain=domain, level_of_measurement=cast(Level, level)
            )
        )


def _krippendorff_alpha(coded: _Coded, level: str, n_boot: int, seed: int | None) -> _Row:
    m_u = coded.counts.sum(axis=1)
    used = m_u >= 2
    row = _Row("krippendorff_alpha", level, n_coders=len(coded.coders))
    if not used.any():
        return replace(row, note="no unit has values from two coders", ok=False)
    row = replace(
        row,
        n_units=int(coded.weight[used].sum()),
        n_pairable=int((m_u[used] * coded.weight[used]).sum()),
    )
    table = _merge_unanimous(coded.counts[used], coded.weight[used])
    reason = _one_value_note(table, coded.domain)
    if reason:
        return replace(row, note=reason, ok=False)
    # Nominal and ordinal distances depend only on the ranks of the values, interval and
    # ratio distances on the values themselves.
    domain = (
        coded.domain.astype(float)
        if level in ("interval", "ratio")
        else np.arange(len(coded.domain))
    )
    estimate = _alpha(table, domain, level)
    ci_low = ci_high = np.nan
    notes = [_single_note(coded, used)]
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        units = coded.counts[used]  # unweighted: agreement() refuses n_boot with weights
        n = units.shape[0]
        replicates = np.array(
            [_alpha(units[rng.integers(0, n, size=n)], domain, level) for _ in range(n_boot)]
        )
        finite = replicates[np.isfinite(replicates)]
        if len(finite):
            ci_low, ci_high = (float(q) for q in np.percentile(finite, [2.5, 97.5]))
        if len(finite) < n_boot:
            notes.append(f"{n_boot - len(finite)} of {n_boot} bootstrap samples had one value only")
    return replace(
        row,
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        note="; ".join(n for n in notes if n),
    )
