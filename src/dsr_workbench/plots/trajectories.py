"""Trajectory figures: phase timelines with events overlaid, and the transition heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from dsr_workbench.analysis.survey import PHASES
from dsr_workbench.analysis.trajectories import time_in_phase

__all__ = ["transition_heatmap", "trajectory_plot"]

_MARKERS = ("v", "X", "D", "o", "s", "^")


def trajectory_plot(
    phases: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp | None = None,
    order: Sequence[str] = PHASES,
) -> Figure:
    """One bar per relationship, coloured by phase over time; events as markers.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> s = make_survey()
    >>> fig = trajectory_plot(s.phases, s.events, as_of="2026-06-30")
    >>> len(fig.axes[0].get_yticklabels())
    40
    """
    spells = time_in_phase(phases, as_of=as_of, unit="days", order=order)
    ids = list(dict.fromkeys(spells["relationship_id"]))
    row = {rid: i for i, rid in enumerate(ids)}
    colors = dict(zip(order, sns.color_palette("colorblind", len(order)).as_hex(), strict=True))
    fig = Figure(figsize=(10, 1.5 + 0.22 * len(ids)), layout="constrained")
    ax = fig.subplots()
    ax.barh(
        spells["relationship_id"].map(row),
        spells["duration"],  # days, the unit of matplotlib's date numbers
        left=mdates.date2num(spells["start"]),
        color=spells["phase"].map(colors).tolist(),
        height=0.7,
    )
    handles: list[Artist] = [
        Patch(color=colors[p], label=p) for p in order if p in set(spells["phase"])
    ]
    if events is not None and len(events):
        for marker, (kind, part) in zip(
            _MARKERS, events.groupby("event", sort=False), strict=False
        ):
            part = part[part["relationship_id"].isin(row)]
            handles.append(
                ax.scatter(
                    mdates.date2num(pd.to_datetime(part["date"])),
                    part["relationship_id"].map(row),
                    marker=marker,
                    s=18,
                    color="black",
                    label=kind,
                    zorder=3,
                )
            )
    ax.xaxis_date()
    ax.set_yticks(np.arange(len(ids)), ids, fontsize="x-small")
    ax.invert_yaxis()
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    ax.set_title("Relationship trajectories")
    return fig


def transition_heatmap(matrix: pd.DataFrame) -> Figure:
    """Heatmap of :func:`~dsr_workbench.analysis.trajectories.transition_matrix` (shares or counts).

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> from dsr_workbench.analysis.trajectories import transition_matrix
    >>> fig = transition_heatmap(transition_matrix(make_survey().phases))
    >>> fig.axes[0].get_ylabel()
    'from_phase'
    """
    fig = Figure(figsize=(7, 5.5), layout="constrained")
    ax = fig.subplots()
    shares = bool((matrix.fillna(0).to_numpy() <= 1).all())
    sns.heatmap(
        matrix.astype(float),
        ax=ax,
        annot=True,
        fmt=".2f" if shares else ".0f",
        cmap="Blues",
        cbar=False,
        vmin=0,
    )
    ax.set_title("Phase transitions" + (" (row shares)" if shares else " (counts)"))
    return fig
