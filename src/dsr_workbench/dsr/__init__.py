"""The DSR record: evaluation episodes, ratings, requirements and design decisions, and the
designed artifacts themselves (versions, element trees, diffs, traceability).

Imports the layers below it (analysis, coding, corpus, core).
"""

from __future__ import annotations

from dsr_workbench.dsr.artifacts import (
    ARTIFACT_KINDS,
    ELEMENT_COLUMNS,
    LAYOUTS,
    STATUSES,
    Artifacts,
    load_artifacts,
    research_questions,
)
from dsr_workbench.dsr.decisions import (
    REFERENCE_COLUMNS,
    Decisions,
    load_decisions,
)
from dsr_workbench.dsr.diff import (
    CHANGE_COLUMNS,
    CHANGES,
    SOURCE_COLUMNS,
    artifact_diff,
    change_sources,
    source_texts,
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
from dsr_workbench.dsr.trace import (
    LINK_COLUMNS,
    Trace,
    check_references,
    evaluation_by_version,
    resolve,
    traceability,
    version_of_cycle,
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
    "ARTIFACT_KINDS",
    "ELEMENT_COLUMNS",
    "LAYOUTS",
    "STATUSES",
    "Artifacts",
    "load_artifacts",
    "research_questions",
    "CHANGE_COLUMNS",
    "CHANGES",
    "SOURCE_COLUMNS",
    "artifact_diff",
    "change_sources",
    "source_texts",
    "LINK_COLUMNS",
    "Trace",
    "check_references",
    "evaluation_by_version",
    "resolve",
    "traceability",
    "version_of_cycle",
]
