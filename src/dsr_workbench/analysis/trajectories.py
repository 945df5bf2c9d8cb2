"""CMR trajectories: how relationships move through phases over time, and what happens there.

Input tables (see :mod:`dsr_workbench.analysis.survey`)
-----------------------------------------------
``phases``
    relationship_id, phase, start, end — one row per spell; ``end`` empty (NaT) while the
    spell is ongoing. Spells of one relationship must not overlap. A relationship may
    return to an earlier phase (e.g. a second technology transfer).
``events``
    relationship_id, date, event (free text, e.g. 'tech_transfer_delay',
    'capacity_conflict', 'quality_incident'), optionally severity.

Durations of ongoing spells are right-censored at ``as_of``; :func:`phase_durations`
estimates median time in phase with the Kaplan–Meier estimator
(:class:`statsmodels.duration.survfunc.SurvfuncRight`), and :func:`event_rates` gives events
per unit of time in each phase with exact Poisson intervals
(:func:`statsmodels.stats.rates.confint_poisson`, Garwood 1936).

References
----------
Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete observations.
*JASA*, 53, 457–481.
Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika*, 28, 437–442.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.rates import confint_poisson

from dsr_workbench.analysis.survey import PHASES
from dsr_workbench.core.errors import DsrError

__all__ = [
    "END",
    "event_rates",
    "events_in_phase",
    "phase_durations",
    "time_in_phase",
    "transition_matrix",
    "transitions",
]

Unit = Literal["days", "months", "years"]
_DAYS = {"days": 1.0, "months": 30.4375, "years": 365.25}
#: Pseudo-phase a relationship moves to when its last spell has ended.
END = "ended"


def time_in_phase(
    phases: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    unit: Unit = "months",
    order: Sequence[str] = PHASES,
) -> pd.DataFrame:
    """Each spell's duration; ongoing spells run to ``as_of`` and are flagged.

    Parameters
    ----------
    phases
        Columns ``relationship_id, phase, start, end``.
    as_of
        Observation date; required when any spell is ongoing.
    unit
        ``"days"``, ``"months"`` (30.4375 days) or ``"years"`` (365.25 days).
    order
        The known phases, in their usual order.

    Returns
    -------
    DataFrame
        Columns ``relationship_id, spell (1-based), phase, start, end, duration, ongoing``,
        sorted by relationship and start.

    Raises
    ------
    DsrError
        A missing column, an unknown phase, an end before its start, overlapping spells, or
        an ongoing spell without ``as_of``.

    Examples
    --------
    >>> p = pd.DataFrame({"relationship_id": ["CMR01", "CMR01"],
    ...     "phase": ["selection", "technology_transfer"],
    ...     "start": pd.to_datetime(["2025-01-01", "2025-04-01"]),
    ...     "end": pd.to_datetime(["2025-04-01", None])})
    >>> time_in_phase(p, as_of="2025-12-31", unit="days")[["phase", "duration", "ongoing"]].values.tolist()
    [['selection', 90.0, False], ['technology_transfer', 274.0, True]]
    """
    data = _validate(phases, order, as_of)
    stop = data["end"].fillna(pd.Timestamp(as_of) if as_of is not None else pd.NaT)
    out = data.assign(
        spell=data.groupby("relationship_id").cumcount() + 1,
        duration=(stop - data["start"]).dt.days / _DAYS[_unit(unit)],
        ongoing=data["end"].isna(),
    )
    cols = ["relationship_id", "spell", "phase", "start", "end", "duration", "ongoing"]
    return out.loc[:, cols].reset_index(drop=True)


def phase_durations(
    phases: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    unit: Unit = "months",
    confidence: float = 0.95,
    order: Sequence[str] = PHASES,
) -> pd.DataFrame:
    """Time in phase per phase: Kaplan–Meier median (ongoing spells censored) and summaries.

    Returns
    -------
    DataFrame
        Columns ``phase, n_spells, n_ongoing, median, ci_low, ci_high, mean_completed,
        max_observed``; ``median`` and its interval (statsmodels' ``quantile_ci``, cloglog
        method) are NaN where the survival curve never falls to 0.5.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> d = phase_durations(make_survey().phases, as_of="2026-06-30")
    >>> d[["phase", "n_spells", "n_ongoing"]].values.tolist()
    [['selection', 40, 4], ['technology_transfer', 40, 10], ['clinical', 19, 9], ['commercial', 21, 10], ['post_patent', 7, 7]]
    """
    spells = time_in_phase(phases, as_of=as_of, unit=unit, order=order)
    rows = []
    for phase in _present(spells["phase"], order):
        s = spells[spells["phase"] == phase]
        t, done = s["duration"].to_numpy(), (~s["ongoing"]).to_numpy().astype(int)
        median = low = high = np.nan
        if done.any():
            sf = SurvfuncRight(t, done)
            median = float(sf.quantile(0.5))
            with np.errstate(divide="ignore", invalid="ignore"):  # log(0) where S(t) hits 0
                low, high = (float(v) for v in sf.quantile_ci(0.5, alpha=1 - confidence))
        rows.append(
            {
                "phase": phase,
                "n_spells": len(s),
                "n_ongoing": int(s["ongoing"].sum()),
                "median": median,
                "ci_low": low,
                "ci_high": high,
                "mean_completed": float(t[done == 1].mean()) if done.any() else np.nan,
                "max_observed": float(t.max()),
            }
        )
    return pd.DataFrame(rows)


def transitions(phases: pd.DataFrame, *, order: Sequence[str] = PHASES) -> pd.DataFrame:
    """Every move from one phase to the next, per relationship.

    A relationship whose last spell has an end date moves to :data:`END` (``"ended"``).

    Returns
    -------
    DataFrame
        Columns ``relationship_id, from_phase, to_phase, date``.
    """
    data = _validate(phases, order, as_of=None, need_as_of=False)
    nxt = data.groupby("relationship_id")["phase"].shift(-1)
    last = nxt.isna()
    moves = data.assign(to_phase=nxt.where(~last, END), date=data["end"])
    moves = moves[~last | data["end"].notna()]
    moves = moves.rename(columns={"phase": "from_phase"})
    return moves.loc[:, ["relationship_id", "from_phase", "to_phase", "date"]].reset_index(
        drop=True
    )


def transition_matrix(
    phases: pd.DataFrame, *, normalize: bool = True, order: Sequence[str] = PHASES
) -> pd.DataFrame:
    """Counts (or row shares) of moves between phases: rows *from*, columns *to*.

    Rows and columns follow ``order`` (plus ``"ended"`` as a column when some relationship
    ended); phases never left have a row of zeros (or NaN shares).

    Examples
    --------
    >>> p = pd.DataFrame({"relationship_id": ["A", "A", "A", "B", "B"],
    ...     "phase": ["selection", "technology_transfer", "commercial", "selection", "technology_transfer"],
    ...     "start": pd.to_datetime(["2020-01-01", "2020-06-01", "2021-06-01", "2022-01-01", "2022-05-01"]),
    ...     "end": pd.to_datetime(["2020-06-01", "2021-06-01", None, "2022-05-01", None])})
    >>> transition_matrix(p, normalize=False).loc["selection", "technology_transfer"]
    np.int64(2)
    """
    moves = transitions(phases, order=order)
    present = _present(pd.concat([moves["from_phase"], moves["to_phase"]]), order)
    rows = [p for p in order if p in set(present)] or list(order)
    cols = rows + ([END] if (moves["to_phase"] == END).any() else [])
    counts = pd.crosstab(moves["from_phase"], moves["to_phase"]).reindex(
        index=rows, columns=cols, fill_value=0
    )
    counts.index.name, counts.columns.name = "from_phase", "to_phase"
    if not normalize:
        return counts
    totals = counts.sum(axis=1)
    return counts.div(totals.where(totals > 0), axis=0)


def events_in_phase(
    phases: pd.DataFrame,
    events: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    order: Sequence[str] = PHASES,
) -> pd.DataFrame:
    """Attach to each event the phase (and spell) its relationship was in on that date.

    Returns
    -------
    DataFrame
        The events' columns plus ``phase`` and ``spell``; <NA> for an event outside every
        spell of its relationship.
    """
    spells = time_in_phase(phases, as_of=as_of, order=order, unit="days")
    for col in ("relationship_id", "date", "event"):
        if col not in events.columns:
            raise DsrError(
                f"events lack column '{col}'", hint="columns: relationship_id, date, event"
            )
    ev = events.copy()
    ev["date"] = pd.to_datetime(ev["date"])
    stop = spells["end"].fillna(pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.max)
    phase, spell = [], []
    for rid, date in zip(ev["relationship_id"], ev["date"], strict=True):
        hit = (spells["relationship_id"] == rid) & (spells["start"] <= date) & (date < stop)
        idx = np.flatnonzero(hit.to_numpy())
        phase.append(spells["phase"].iat[idx[0]] if len(idx) else pd.NA)
        spell.append(int(spells["spell"].iat[idx[0]]) if len(idx) else pd.NA)
    ev["phase"] = pd.array(phase, dtype="string")
    ev["spell"] = pd.array(spell, dtype="Int64")
    return ev


def event_rates(
    phases: pd.DataFrame,
    events: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    per: Unit = "years",
    confidence: float = 0.95,
    order: Sequence[str] = PHASES,
) -> pd.DataFrame:
    """Events per unit of time spent in each phase, with exact Poisson intervals.

    Exposure is the total time all relationships spent in the phase (ongoing spells up to
    ``as_of``). Events outside every spell are not counted.

    Returns
    -------
    DataFrame
        Columns ``phase, event, n_events, exposure, rate, ci_low, ci_high`` (rate and
        interval per ``per``); every phase × event type, zeros included.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> s = make_survey()
    >>> r = event_rates(s.phases, s.events, as_of="2026-06-30")
    >>> r.set_index(["phase", "event"]).loc[("technology_transfer", "tech_transfer_delay"), "n_events"]
    np.int64(28)
    """
    spells = time_in_phase(phases, as_of=as_of, unit=per, order=order)
    exposure = spells.groupby("phase")["duration"].sum()
    tagged = events_in_phase(phases, events, as_of=as_of, order=order)
    counts = tagged.dropna(subset=["phase"]).groupby(["phase", "event"]).size()
    kinds = list(pd.unique(events["event"]))
    rows = []
    for phase in _present(spells["phase"], order):
        for kind in kinds:
            n = int(counts.get((phase, kind), 0))
            t = float(exposure[phase])
            low, high = confint_poisson(n, t, method="exact-c", alpha=1 - confidence)
            rows.append((phase, kind, n, t, n / t, float(low), float(high)))
    cols = ["phase", "event", "n_events", "exposure", "rate", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- helpers


def _unit(unit: str) -> str:
    if unit not in _DAYS:
        raise DsrError(f"unit '{unit}' is unknown", hint=f"use one of {list(_DAYS)}")
    return unit


def _present(values: pd.Series, order: Sequence[str]) -> list[str]:
    seen = set(values.dropna())
    return [p for p in order if p in seen]


def _validate(
    phases: pd.DataFrame, order: Sequence[str], as_of, *, need_as_of: bool = True
) -> pd.DataFrame:
    cols = ["relationship_id", "phase", "start", "end"]
    missing = [c for c in cols if c not in phases.columns]
    if missing:
        raise DsrError(f"phases lack column(s) {missing}", hint=f"columns: {cols}")
    data = phases.loc[:, cols].copy()
    unknown = ~data["phase"].isin(list(order))
    if unknown.any():
        row = data.index[unknown.to_numpy()][0]
        name = str(data.at[row, "phase"])
        close = difflib.get_close_matches(name, list(order), n=1)
        raise DsrError(
            f"row {row}: phase '{name}' of {data.at[row, 'relationship_id']} is unknown",
            hint=f"did you mean '{close[0]}'?" if close else f"use one of {list(order)} or order=",
        )
    for col in ("start", "end"):
        data[col] = pd.to_datetime(data[col])
    if data["start"].isna().any():
        row = data.index[data["start"].isna().to_numpy()][0]
        raise DsrError(f"row {row}: spell has no start date", hint="fill in its start")
    back = data["end"].notna() & (data["end"] < data["start"])
    if back.any():
        row = data.index[back.to_numpy()][0]
        raise DsrError(
            f"row {row}: {data.at[row, 'phase']} of {data.at[row, 'relationship_id']} ends "
            f"({data.at[row, 'end']:%Y-%m-%d}) before it starts ({data.at[row, 'start']:%Y-%m-%d})",
            hint="swap or correct the dates",
        )
    data = data.sort_values(["relationship_id", "start"], kind="stable")
    prev_end = data.groupby("relationship_id")["end"].shift(1)
    prev_open = data.groupby("relationship_id")["end"].shift(1).isna() & (
        data.groupby("relationship_id").cumcount() > 0
    )
    overlap = prev_open | (prev_end.notna() & (data["start"] < prev_end))
    if overlap.any():
        row = data.index[overlap.to_numpy()][0]
        raise DsrError(
            f"row {row}: spells of {data.at[row, 'relationship_id']} overlap (the "
            f"{data.at[row, 'phase']} spell starts before the previous one ends)",
            hint="give each spell an end no later than the next start",
        )
    if need_as_of and as_of is None and data["end"].isna().any():
        rid = data.loc[data["end"].isna(), "relationship_id"].iloc[0]
        raise DsrError(
            f"{rid} has an ongoing phase (no end date)",
            hint="pass as_of= (the observation date) to censor ongoing spells",
        )
    if as_of is not None:
        late = data["start"] > pd.Timestamp(as_of)
        if late.any():
            row = data.index[late.to_numpy()][0]
            raise DsrError(f"row {row}: spell starts after as_of={as_of}")
    return data
