"""Notebook widgets (ipywidgets 8; JupyterLab 4 and Voilà): coding and focus-group facilitation.

Views (each a class with a ``widget`` to display, and a builder function):

:class:`CodingView` / :func:`coding_view`
    read a transcript, apply and remove codes, write memos, accept or reject auto-coding
    suggestions; each action is appended to the coder's log at once.
:class:`GapExplorer` / :func:`gap_explorer`
    the Relationship Gap, aggregate or per relationship, item or construct, client vs CMO.
:class:`DifferentiationWhatIf` / :func:`differentiation_what_if`
    weight sliders → quadrant chart and which relationships change quadrant.
:class:`EvaluationForm` / :func:`evaluation_form`
    participants rate the presented artifact version; each rating is stored at once.

The widgets only wire controls to library calls: every number comes from the analysis
modules, every figure from :mod:`dsr_workbench.plots`, every write from
:mod:`dsr_workbench.coding.codings` or :mod:`dsr_workbench.dsr.record`. A callback's error is shown
in the view's error panel (``view.errors``), never swallowed.

:mod:`~dsr_workbench.widgets.presentation` holds the facilitator notebook's slide content and
:mod:`~dsr_workbench.widgets.serve` starts Voilà for ``dsr present``.
"""

from __future__ import annotations

from dsr_workbench.widgets.coding_view import CodingView, coding_view
from dsr_workbench.widgets.differentiation import (
    DifferentiationWhatIf,
    differentiation_what_if,
    normalise_weights,
    quadrant_changes,
)
from dsr_workbench.widgets.evaluation_form import EvaluationForm, evaluation_form
from dsr_workbench.widgets.gap_explorer import AGGREGATE, GapExplorer, gap_explorer

__all__ = [
    "AGGREGATE",
    "CodingView",
    "DifferentiationWhatIf",
    "EvaluationForm",
    "GapExplorer",
    "coding_view",
    "differentiation_what_if",
    "evaluation_form",
    "gap_explorer",
    "normalise_weights",
    "quadrant_changes",
]
