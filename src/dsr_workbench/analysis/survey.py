"""The survey data contract and the seeded synthetic example survey.

The example study surveys both sides of ~40 client–CMO relationships (dyads) on 12 success
factors (two items each), as *expectation* (how important is it?) and *perception* (how well
does this relationship do?) on 7-point Likert scales, plus two ordinal outcome items. Beside
the answers come relationship attributes (for partner differentiation), the phase history of
each relationship and the events in it (for trajectories).

Tables (all tidy, one row per observation)
------------------------------------------
``responses``
    relationship_id, respondent, perspective ('client' | 'cmo'), item, construct,
    kind ('expectation' | 'perception' | 'importance' | 'performance' | 'outcome'),
    value (Int64, <NA> where the respondent skipped the question).
``items``
    item, construct, kind_set ('rating' | 'outcome'), wording, scale_min, scale_max.
``relationships``
    relationship_id, client, cmo, modality, phase (current phase), since (date of the first
    phase), strategic_importance, supply_risk, dependency, switching_cost,
    interaction_intensity (1-7 ratings), spend_meur (annual spend, million EUR).
``phases``
    relationship_id, phase, start, end (dates; ``end`` is NaT while the phase is ongoing).
``events``
    relationship_id, date, event ('tech_transfer_delay' | 'capacity_conflict' |
    'quality_incident'), severity ('minor' | 'major' | 'critical').

The contract's names are defined in :mod:`dsr_workbench.analysis.survey_contract` and the
generator in :mod:`dsr_workbench.analysis.survey_synth`; this module re-exports both,
validates ``responses`` and reads and writes the tables as CSV files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from dsr_workbench.analysis.survey_contract import (
    CONSTRUCTS,
    EVENT_TYPES,
    KINDS,
    OUTCOMES,
    PERSPECTIVES,
    PHASES,
    RATING_KINDS,
    RESPONSE_COLUMNS,
    SurveyData,
    SurveyWarning,
    item_catalogue,
)
from dsr_workbench.analysis.survey_synth import make_survey
from dsr_workbench.core.errors import DsrError, InputError

__all__ = [
    "CONSTRUCTS",
    "EVENT_TYPES",
    "KINDS",
    "OUTCOMES",
    "PERSPECTIVES",
    "PHASES",
    "RESPONSE_COLUMNS",
    "SurveyData",
    "SurveyWarning",
    "item_catalogue",
    "make_survey",
    "read_survey",
    "validate_responses",
    "write_survey",
]


def validate_responses(
    responses: pd.DataFrame, *, scale: tuple[int, int] = (1, 7), path: str | None = None
) -> pd.DataFrame:
    """Check a ``responses`` table and return a clean copy (``value`` as float, NaN = missing).

    Parameters
    ----------
    responses
        Tidy answers with columns ``relationship_id, respondent, perspective, item,
        construct, kind, value``.
    scale
        Inclusive (min, max) of the rating scale; checked for every rating kind
        (expectation, perception, importance, performance), not for outcomes.
    path
        CSV file the table was read from (with its default index): errors then name the
        file and line (row + 2, after the header).

    Raises
    ------
    DsrError
        A missing column, a missing relationship, respondent, item or construct, an unknown
        perspective or kind, a non-numeric value, a rating outside ``scale``, or the same
        respondent answering an item twice.

    Examples
    --------
    >>> df = pd.DataFrame({"relationship_id": ["CMR01"], "respondent": ["P01"],
    ...     "perspective": ["client"], "item": ["trust_1"], "construct": ["trust"],
    ...     "kind": ["perception"], "value": [9]})
    >>> validate_responses(df)
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.DsrError: row 0: perception of 'trust_1' by P01 in CMR01 is 9, outside the scale 1-7 (fix: correct the value or pass scale=(min, max))
    """
    missing = [c for c in RESPONSE_COLUMNS if c not in responses.columns]
    if missing:
        raise DsrError(
            f"responses lack column(s) {missing}",
            path=path,
            hint=f"provide the columns {list(RESPONSE_COLUMNS)}",
        )
    data = responses.loc[:, list(RESPONSE_COLUMNS)].copy()
    for col in ("relationship_id", "respondent", "item", "construct"):
        _refuse_first(
            data,
            data[col].isna(),
            lambda r: f"{col} is missing",  # noqa: B023 (used at once)
            path=path,
            hint=f"fill in the {col} (an answer without one cannot be counted)",
        )
    for col, allowed in (("perspective", PERSPECTIVES), ("kind", KINDS)):
        _refuse_first(
            data,
            ~data[col].isin(allowed),
            lambda r: f"{col} '{r[col]}' is not one of {list(allowed)}",  # noqa: B023 (used at once)
            path=path,
            hint=f"use one of {list(allowed)}",
        )
    values = pd.to_numeric(data["value"], errors="coerce")
    _refuse_first(
        data,
        values.isna() & data["value"].notna(),
        lambda r: f"value {r['value']!r} is not a number",
        path=path,
        hint="leave a skipped answer empty",
    )
    data["value"] = values.astype(float)
    lo, hi = scale
    rating = data["kind"].isin(RATING_KINDS)
    _refuse_first(
        data,
        rating & data["value"].notna() & ~data["value"].between(lo, hi),
        lambda r: (
            f"{r['kind']} of '{r['item']}' by {r['respondent']} in "
            f"{r['relationship_id']} is {r['value']:g}, outside the scale {lo}-{hi}"
        ),
        path=path,
        hint="correct the value or pass scale=(min, max)",
    )
    _refuse_first(
        data,
        data.duplicated(["relationship_id", "respondent", "item", "kind"]),
        lambda r: (
            f"{r['respondent']} answered the {r['kind']} of '{r['item']}' in "
            f"{r['relationship_id']} twice"
        ),
        path=path,
        hint="keep one answer per respondent, item and kind",
    )
    return data


def _refuse_first(
    data: pd.DataFrame,
    bad: pd.Series,
    message: Callable[[pd.Series], str],
    *,
    path: str | None,
    hint: str,
) -> None:
    """Raise for the first row flagged in ``bad``: ``row <label>: <message(that row)>``,
    naming the file's line when ``path`` is given."""
    if bad.any():
        row = data.index[bad.to_numpy()][0]
        raise DsrError(
            f"row {row}: {message(data.loc[row])}", path=path, line=_line(row, path), hint=hint
        )


def _line(row: object, path: str | None) -> int | None:
    return int(row) + 2 if path is not None and isinstance(row, int | np.integer) else None


# --------------------------------------------------------------------------- files

_FILES = ("responses", "items", "relationships", "phases", "events")
_DATES = {"relationships": ["since"], "phases": ["start", "end"], "events": ["date"]}


def write_survey(survey: SurveyData, directory: str | Path) -> list[Path]:
    """Write the five tables as CSV files (``<table>.csv``) into ``directory``.

    The files are byte-identical for identical tables (dates as ``YYYY-MM-DD``, ``\\n`` line
    ends), so a build can hash them. Returns the paths written.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in _FILES:
        path = folder / f"{name}.csv"
        getattr(survey, name).to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")
        paths.append(path)
    return paths


def read_survey(directory: str | Path, *, tables: Iterable[str] = _FILES) -> SurveyData:
    """Read the survey tables written by :func:`write_survey` (e.g. ``data/survey``).

    ``responses`` is validated with :func:`validate_responses`; dates are parsed. A table not
    in ``tables`` is returned empty.

    Raises
    ------
    InputError
        A file is missing.
    DsrError
        ``responses.csv`` breaks the contract (the message names the file and row).
    """
    folder = Path(directory)
    wanted = set(tables)
    frames: dict[str, pd.DataFrame] = {}
    for name in _FILES:
        path = folder / f"{name}.csv"
        if name not in wanted:
            frames[name] = pd.DataFrame()
            continue
        if not path.is_file():
            raise InputError(f"{name}.csv not found", path=path, hint="run write_survey first")
        frame = pd.read_csv(path)
        for col in _DATES.get(name, []):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[s]")
        if name == "responses":
            validate_responses(frame, path=str(path))
            frame["value"] = frame["value"].astype("Int64")
        frames[name] = frame
    return SurveyData(**frames)
