"""Partner-differentiation figures: the portfolio quadrant chart and weight sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from dsr_workbench.analysis.differentiation import Segmentation

__all__ = ["quadrant_plot", "sensitivity_plot"]


def quadrant_plot(segmentation: Segmentation, *, unit: str = "relationship_id") -> Figure:
    """Relationships on the two axes, cut-off lines, quadrant names, labelled points.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> from dsr_workbench.analysis.differentiation import segment
    >>> fig = quadrant_plot(segment(make_survey().relationships))
    >>> fig.axes[0].get_xlabel(), len(fig.axes[0].collections[0].get_offsets())
    ('strategic_importance', 40)
    """
    table = segmentation.table
    fig = Figure(figsize=(7.5, 6.5), layout="constrained")
    ax = fig.subplots()
    names = list(dict.fromkeys(table["quadrant"]))
    palette = dict(zip(names, sns.color_palette("colorblind", len(names)).as_hex(), strict=True))
    ax.scatter(table["x_score"], table["y_score"], c=table["quadrant"].map(palette).tolist())
    for row in table.itertuples(index=False):
        ax.annotate(
            str(getattr(row, unit)),
            (row.x_score, row.y_score),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize="x-small",
        )
    cx, cy = segmentation.cutoffs
    ax.axvline(cx, color="0.3", lw=0.8)
    ax.axhline(cy, color="0.3", lw=0.8)
    corners = {(True, True): (0.98, 0.98), (True, False): (0.98, 0.02)}
    corners |= {(False, True): (0.02, 0.98), (False, False): (0.02, 0.02)}
    for (xh, yh), (x, y) in corners.items():
        hit = table[(table["x_high"] == xh) & (table["y_high"] == yh)]["quadrant"]
        if len(hit):
            ax.text(
                x,
                y,
                hit.iloc[0],
                transform=ax.transAxes,
                ha="right" if xh else "left",
                va="top" if yh else "bottom",
                color=palette[hit.iloc[0]],
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(segmentation.axes[0])
    ax.set_ylabel(segmentation.axes[1])
    ax.set_title("Partner differentiation")
    return fig


def sensitivity_plot(sensitivity: pd.DataFrame, *, unit: str = "relationship_id") -> Figure:
    """Which relationships change quadrant in which weight scenario (dark = changed).

    Only relationships that change in at least one scenario are shown.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> from dsr_workbench.analysis.differentiation import weight_sensitivity
    >>> fig = sensitivity_plot(weight_sensitivity(make_survey().relationships, perturbation=0.2))
    >>> len(fig.axes[0].get_yticklabels())
    9
    """
    data = sensitivity.assign(
        scenario=sensitivity["criterion"]
        + " "
        + sensitivity["perturbation"].map(lambda p: f"{p:+.0%}")
    )
    moved = data.groupby(unit)["changed"].any()
    keep = moved.index[moved].tolist()
    fig = Figure(figsize=(8, 1.5 + 0.35 * max(len(keep), 1)), layout="constrained")
    ax = fig.subplots()
    if not keep:
        ax.text(0.5, 0.5, "no relationship changes quadrant", ha="center", va="center")
        ax.set_axis_off()
        return fig
    grid = (
        data[data[unit].isin(keep)]
        .pivot_table(index=unit, columns="scenario", values="changed", aggfunc="max", sort=False)
        .astype(float)
    )
    ax.imshow(grid.to_numpy(), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(np.arange(len(grid)), grid.index.tolist())
    ax.set_xticks(np.arange(grid.shape[1]), grid.columns.tolist(), rotation=60, ha="right")
    ax.set_title("Quadrant changes under weight perturbations")
    return fig
