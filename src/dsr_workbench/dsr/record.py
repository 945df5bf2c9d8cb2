"""The DSR record: evaluation episodes, ratings, requirements and design decisions.

Everything lives as plain text under ``data/evaluations/``, laid out so that two facilitators
can write at once and git merges stay trivial:

``criteria.yaml`` (optional)
    The study's rating criteria and scale: ``scale: {min: 1, max: 5}`` and ``criteria:``, a
    list of ``{id, label, question}``. Without it: :data:`DEFAULT_CRITERIA` on 1-5.
``episodes/<episode>.yaml``
    One evaluation episode per file (see :func:`write_episode`): cycle, artifact, version,
    FEDS purpose (formative | summative) and paradigm (artificial | naturalistic) after
    Venable, Pries-Heje & Baskerville (2016), method, date, transcript (the focus group's
    transcript id, if any), participants (``{id, perspective}``; perspective client | cmo),
    notes.
``ratings/<episode>.jsonl``
    The episode's append-only rating log (see :func:`record_rating`): one JSON event a line
    with episode, participant, criterion, rating, comment, timestamp (UTC) and an optional
    source (e.g. ``transcript:FG1#turn69``). A later rating of the same (episode, participant,
    criterion) supersedes the earlier one in the current state (latest timestamp wins, then
    the later line); both stay in the log. Lines are appended atomically, so a live widget
    can store each rating the moment it is given.
``decisions.yaml``
    Requirements (id, text, source: references) and design decisions (id, cycle, artifact,
    version, decision, addresses: requirement ids, source); see :func:`load_decisions`.

A reference is ``coding:<coding_id>``, ``transcript:<transcript_id>#turn<n>`` or
``rating:<episode>/<participant>/<criterion>``.

The tidy ``evaluations`` table (:func:`load_evaluations`, :data:`EVALUATION_COLUMNS`) has one
row per current rating: cycle, artifact, version, episode, participant, perspective,
criterion, rating, comment, timestamp, purpose, paradigm, method.

The code lives in three modules, re-exported here (import from ``dsr_workbench.dsr.record``):
:mod:`~dsr_workbench.dsr.episodes` (criteria and episodes),
:mod:`~dsr_workbench.dsr.ratings` (rating logs and the ``evaluations`` table) and
:mod:`~dsr_workbench.dsr.decisions` (requirements and design decisions). This module
adds :func:`rating_summary`, the summary statistics of the ``evaluations`` table.

References
----------
Venable, J., Pries-Heje, J., & Baskerville, R. (2016). FEDS: a Framework for Evaluation in
Design Science Research. *European Journal of Information Systems*, 25(1), 77-89.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from dsr_workbench.core.errors import DsrError
from dsr_workbench.dsr.decisions import REFERENCE_COLUMNS, Decisions, load_decisions
from dsr_workbench.dsr.episodes import (
    DEFAULT_CRITERIA,
    EPISODE_COLUMNS,
    PARADIGMS,
    PURPOSES,
    Criteria,
    load_criteria,
    load_episodes,
    write_episode,
)
from dsr_workbench.dsr.episodes import (
    RATER_PERSPECTIVES as RATER_PERSPECTIVES,  # public name, not in __all__ (as before)
)
from dsr_workbench.dsr.ratings import (
    EVALUATION_COLUMNS,
    RATING_LOG_COLUMNS,
    TornRatingWarning,
    current_ratings,
    load_evaluations,
    read_ratings,
    record_rating,
)

__all__ = [
    "DEFAULT_CRITERIA",
    "EPISODE_COLUMNS",
    "EVALUATION_COLUMNS",
    "PARADIGMS",
    "PURPOSES",
    "RATING_LOG_COLUMNS",
    "REFERENCE_COLUMNS",
    "SUMMARY_COLUMNS",
    "Criteria",
    "Decisions",
    "TornRatingWarning",
    "current_ratings",
    "load_criteria",
    "load_decisions",
    "load_episodes",
    "load_evaluations",
    "rating_summary",
    "read_ratings",
    "record_rating",
    "write_episode",
]


SUMMARY_COLUMNS: list[str] = ["n", "mean", "sd", "ci_low", "ci_high"]


def rating_summary(
    evaluations: pd.DataFrame,
    by: Sequence[str] = ("cycle", "artifact", "criterion"),
    perspective_split: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """n, mean, standard deviation and a t confidence interval of the mean rating per group.

    The interval is ``mean ± t(1 - α/2, n - 1) · sd / √n`` from ``scipy.stats.t.interval``
    (Student's t; e.g. Moore, McCabe & Craig, *Introduction to the Practice of Statistics*,
    §7.1, the one-sample t confidence interval). With n = 1 the sd and interval are NaN;
    with sd = 0 the interval is the mean itself.

    Parameters
    ----------
    evaluations
        The tidy ``evaluations`` table (needs ``rating``, the ``by`` columns and, when split,
        ``perspective``).
    by
        Grouping columns.
    perspective_split
        Also group by perspective (client vs CMO).
    confidence
        Coverage of the interval, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``perspective`` (when split), then :data:`SUMMARY_COLUMNS`: n,
        mean, sd (n - 1 denominator), ci_low, ci_high.

    Examples
    --------
    >>> ev = pd.DataFrame({"criterion": ["usefulness"] * 5, "rating": [4, 4, 3, 3, 4],
    ...                    "perspective": ["client", "client", "cmo", "cmo", "client"]})
    >>> rating_summary(ev, by=["criterion"], perspective_split=False).round(3)
        criterion  n  mean     sd  ci_low  ci_high
    0  usefulness  5   3.6  0.548    2.92     4.28
    """
    keys = [*by, "perspective"] if perspective_split else list(by)
    missing = [c for c in [*keys, "rating"] if c not in evaluations.columns]
    if missing:
        raise DsrError(
            f"evaluations lack column(s) {', '.join(missing)}",
            key=missing[0],
            hint="pass the table from load_evaluations or fix `by`",
        )
    if not 0 < confidence < 1:
        raise DsrError(
            f"confidence {confidence} is not between 0 and 1",
            key="confidence",
            hint="use e.g. 0.95",
        )
    if not keys:
        raise DsrError("nothing to group by", key="by", hint="name at least one column")
    grouped = evaluations.groupby(keys, sort=True, observed=True)["rating"]
    out = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    se = out["sd"] / np.sqrt(out["n"])
    low, high = stats.t.interval(
        confidence, out["n"] - 1, loc=out["mean"], scale=se.where(se > 0, 1.0)
    )
    flat = se == 0
    out["ci_low"] = np.where(flat, out["mean"], low)
    out["ci_high"] = np.where(flat, out["mean"], high)
    out = out.astype({"n": "int64", "mean": "float64", "sd": "float64"})
    return out[[*keys, *SUMMARY_COLUMNS]]
