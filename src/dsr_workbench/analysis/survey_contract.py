"""The survey data contract: table columns, allowed values, items, and the data container.

Names the columns of ``responses``, the perspectives, answer kinds, relationship phases and
event types, the 12 success factors with their item wordings and the outcome items (the
item catalogue), the :class:`SurveyData` container of the five tables and the
:class:`SurveyWarning` analyses issue. The tables themselves are described in
:mod:`dsr_workbench.analysis.survey`, which re-exports everything here and checks
``responses`` against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = [
    "CONSTRUCTS",
    "EVENT_TYPES",
    "KINDS",
    "OUTCOMES",
    "PERSPECTIVES",
    "PHASES",
    "RATING_KINDS",
    "RESPONSE_COLUMNS",
    "SurveyData",
    "SurveyWarning",
    "item_catalogue",
]

RESPONSE_COLUMNS = (
    "relationship_id",
    "respondent",
    "perspective",
    "item",
    "construct",
    "kind",
    "value",
)
PERSPECTIVES = ("client", "cmo")
KINDS = ("expectation", "perception", "importance", "performance", "outcome")
RATING_KINDS = ("expectation", "perception", "importance", "performance")
PHASES = ("selection", "technology_transfer", "clinical", "commercial", "post_patent")
EVENT_TYPES = ("tech_transfer_delay", "capacity_conflict", "quality_incident")

#: The 12 success factors, each measured by two items (wording valid for both sides).
CONSTRUCTS: dict[str, tuple[str, str]] = {
    "trust": (
        "The partner keeps its promises.",
        "The partner acts in our interest even when we are not watching.",
    ),
    "communication": (
        "Communication with the partner is timely.",
        "What the partner tells us is accurate and complete.",
    ),
    "information_sharing": (
        "Forecasts and plans are shared early.",
        "Problems are disclosed openly and promptly.",
    ),
    "joint_problem_solving": (
        "Deviations and investigations are worked on jointly.",
        "We solve problems together instead of assigning blame.",
    ),
    "flexibility": (
        "Changes in volume or schedule are accommodated.",
        "Terms are adapted when circumstances change.",
    ),
    "quality_compliance": (
        "Batches are released right first time.",
        "Audits and inspections pass without major findings.",
    ),
    "capacity_access": (
        "The capacity we need is available when we need it.",
        "Capacity conflicts are resolved fairly.",
    ),
    "tech_transfer": (
        "Technology transfers finish on schedule.",
        "Process knowledge is transferred completely.",
    ),
    "power_balance": (
        "Neither side can impose terms unilaterally.",
        "Dependence between us is mutual.",
    ),
    "cultural_fit": (
        "Our ways of working are compatible.",
        "We share values on quality and patient safety.",
    ),
    "governance": (
        "Roles, escalation paths and steering meetings work.",
        "The quality and supply agreements are clear.",
    ),
    "performance_transparency": (
        "KPIs are measured and shared regularly.",
        "Performance reviews are honest and fact-based.",
    ),
}

#: Outcome items: name -> (wording, scale_min, scale_max).
OUTCOMES: dict[str, tuple[str, int, int]] = {
    "satisfaction": ("Overall, how satisfied are you with this relationship?", 1, 7),
    "intent_to_continue": ("How likely are you to continue beyond the current contract?", 1, 5),
}


class SurveyWarning(UserWarning):
    """A survey analysis dropped or doubted some data; the message says what and why."""


@dataclass(frozen=True)
class SurveyData:
    """The example survey: five tidy tables (columns in :mod:`dsr_workbench.analysis.survey`)."""

    responses: pd.DataFrame
    items: pd.DataFrame
    relationships: pd.DataFrame
    phases: pd.DataFrame
    events: pd.DataFrame


def item_catalogue() -> pd.DataFrame:
    """The example survey's items: one row per item.

    Returns
    -------
    DataFrame
        Columns ``item, construct, kind_set, wording, scale_min, scale_max``.

    Examples
    --------
    >>> cat = item_catalogue()
    >>> len(cat), cat.loc[0, "item"], cat.loc[0, "construct"]
    (26, 'trust_1', 'trust')
    """
    rows = [
        (f"{construct}_{k}", construct, "rating", wording, 1, 7)
        for construct, wordings in CONSTRUCTS.items()
        for k, wording in enumerate(wordings, start=1)
    ]
    rows += [(name, "outcome", "outcome", w, lo, hi) for name, (w, lo, hi) in OUTCOMES.items()]
    return pd.DataFrame(
        rows, columns=["item", "construct", "kind_set", "wording", "scale_min", "scale_max"]
    )
