"""The analysis layer: pure functions over tidy DataFrames — inter-coder reliability,
success-factor models, the Relationship Gap, partner differentiation, trajectories, and
the survey data set they read.

Imports :mod:`~dsr_workbench.coding`, :mod:`~dsr_workbench.corpus`, :mod:`~dsr_workbench.core`;
no I/O except the survey's CSV files.
"""

from __future__ import annotations

from dsr_workbench.analysis.differentiation import (
    APPROACHES,
    DEFAULT_WEIGHTS,
    SEGMENT_COLUMNS,
    Segmentation,
    cluster,
    cluster_quality,
    segment,
    weight_sensitivity,
)
from dsr_workbench.analysis.gap import (
    GAP_COLUMNS,
    SERVQUAL_COLUMNS,
    dyad_table,
    relationship_gap,
    servqual_gap,
    side_scores,
)
from dsr_workbench.analysis.models import (
    IPA_COLUMNS,
    TABLE_COLUMNS,
    ModelWarning,
    SuccessFactorModel,
    factor_scores,
    fit_success_factors,
    importance_performance,
)
from dsr_workbench.analysis.reliability import (
    COLUMNS,
    LEVELS,
    METRICS,
    agreement,
    band_alpha,
    band_kappa,
)
from dsr_workbench.analysis.reliability_codings import (
    OVERALL,
    consensus_events,
    disagreements,
    per_code_agreement,
    reliability_data,
)
from dsr_workbench.analysis.survey import (
    CONSTRUCTS,
    EVENT_TYPES,
    KINDS,
    OUTCOMES,
    PERSPECTIVES,
    PHASES,
    RESPONSE_COLUMNS,
    SurveyData,
    SurveyWarning,
    item_catalogue,
    make_survey,
    read_survey,
    validate_responses,
    write_survey,
)
from dsr_workbench.analysis.trajectories import (
    END,
    event_rates,
    events_in_phase,
    phase_durations,
    time_in_phase,
    transition_matrix,
    transitions,
)

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
    "COLUMNS",
    "LEVELS",
    "METRICS",
    "agreement",
    "band_alpha",
    "band_kappa",
    "OVERALL",
    "consensus_events",
    "disagreements",
    "per_code_agreement",
    "reliability_data",
    "IPA_COLUMNS",
    "TABLE_COLUMNS",
    "ModelWarning",
    "SuccessFactorModel",
    "factor_scores",
    "fit_success_factors",
    "importance_performance",
    "GAP_COLUMNS",
    "SERVQUAL_COLUMNS",
    "dyad_table",
    "relationship_gap",
    "servqual_gap",
    "side_scores",
    "APPROACHES",
    "DEFAULT_WEIGHTS",
    "SEGMENT_COLUMNS",
    "Segmentation",
    "cluster",
    "cluster_quality",
    "segment",
    "weight_sensitivity",
    "END",
    "event_rates",
    "events_in_phase",
    "phase_durations",
    "time_in_phase",
    "transition_matrix",
    "transitions",
]
