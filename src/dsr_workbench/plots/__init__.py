"""Figures: DataFrame in, :class:`matplotlib.figure.Figure` out, no file writes.

One module per topic (``plots.corpus``, ``plots.gap``, ...). Figures use the non-interactive
Agg backend unless a notebook has chosen another. The designed artifacts' figures
(:mod:`~dsr_workbench.plots.artifacts`) are re-exported here.
"""

from __future__ import annotations

from dsr_workbench.plots.artifacts import (
    artifact_figure,
    choose_layout,
    kind_colour,
)

__all__ = [
    "artifact_figure",
    "choose_layout",
    "kind_colour",
]
