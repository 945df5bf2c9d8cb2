"""The DSR record: evaluation episodes, ratings, requirements and design decisions.

Imports the layers below it (analysis, coding, corpus, core).
"""

from __future__ import annotations

from dsr_workbench.dsr.decisions import (
    REFERENCE_COLUMNS,
    Decisions,
    load_decisions,
)
from dsr_workbench.dsr.episodes import (
    DEFAULT_CRITERIA,
    EPISODE_COLUMNS,
    PARADIGMS,
    PURPOSES,
    RATER_PERSPECTIVES,
    Criteria,
    load_criteria,
    load_episodes,
    write_episode,
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
from dsr_workbench.dsr.record import (
    SUMMARY_COLUMNS,
    rating_summary,
)

__all__ = [
    "DEFAULT_CRITERIA",
    "EPISODE_COLUMNS",
    "PARADIGMS",
    "PURPOSES",
    "RATER_PERSPECTIVES",
    "Criteria",
    "load_criteria",
    "load_episodes",
    "write_episode",
    "REFERENCE_COLUMNS",
    "Decisions",
    "load_decisions",
    "EVALUATION_COLUMNS",
    "RATING_LOG_COLUMNS",
    "TornRatingWarning",
    "current_ratings",
    "load_evaluations",
    "read_ratings",
    "record_rating",
    "SUMMARY_COLUMNS",
    "rating_summary",
]
