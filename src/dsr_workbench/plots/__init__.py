"""Figures: DataFrame in, :class:`matplotlib.figure.Figure` out, no file writes.

One module per topic (``plots.corpus``, ``plots.gap``, ...). Figures use the non-interactive
Agg backend unless a notebook has chosen another.
"""

from __future__ import annotations
