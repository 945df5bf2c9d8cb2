"""How each artifact's ratings moved across design cycles, client vs CMO."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from dsr_workbench.core.errors import DsrError
from dsr_workbench.dsr.record import rating_summary

__all__ = ["rating_trajectories"]

_SIDES = ("client", "cmo")
_DODGE = {"client": -0.1, "cmo": 0.1}


def rating_trajectories(
    evaluations: pd.DataFrame,
    *,
    criteria: Sequence[str] | None = None,
    scale: tuple[int, int] = (1, 5),
    confidence: float = 0.95,
) -> Figure:
    """Mean rating and its t confidence interval per evaluated version, client vs CMO.

    One row of panels per artifact, one column per criterion. Along the x axis are the
    artifact's evaluated versions in cycle order (``C<cycle> <version>``); a point is the
    mean rating of one side, its bar the confidence interval from
    :func:`~dsr_workbench.dsr.record.rating_summary` (clipped to the panel: with two or
    three raters an interval often spans the whole scale). Open markers are summative
    episodes, filled ones formative.

    Parameters
    ----------
    evaluations
        The tidy ``evaluations`` table (:func:`~dsr_workbench.dsr.record.load_evaluations`).
    criteria
        Criteria to show, in order (default: as they first appear).
    scale
        The rating scale, for the y axis.
    confidence
        Coverage of the intervals.

    Examples
    --------
    >>> ev = pd.DataFrame({
    ...     "artifact": ["framework"] * 4, "cycle": [1, 1, 2, 2], "version": ["v1", "v1", "v2", "v2"],
    ...     "purpose": ["formative"] * 2 + ["summative"] * 2, "criterion": ["usefulness"] * 4,
    ...     "perspective": ["client", "cmo"] * 2, "rating": [3, 2, 4, 4]})
    >>> fig = rating_trajectories(ev)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['C1 v1', 'C2 v2']
    """
    needed = ["artifact", "cycle", "version", "purpose", "criterion", "perspective", "rating"]
    missing = [c for c in needed if c not in evaluations.columns]
    if missing:
        raise DsrError(
            f"evaluations lack column(s) {', '.join(missing)}",
            key=missing[0],
            hint="pass the table from load_evaluations",
        )
    if evaluations.empty:
        raise DsrError(
            "no ratings to plot", key="evaluations", hint="record ratings first (dsr rate ...)"
        )
    criteria = list(criteria or pd.unique(evaluations["criterion"]))
    summary = rating_summary(
        evaluations,
        by=("artifact", "cycle", "version", "purpose", "criterion"),
        confidence=confidence,
    )
    artifacts = list(summary.sort_values("cycle", kind="stable")["artifact"].drop_duplicates())
    colors = dict(zip(_SIDES, sns.color_palette("colorblind", 2).as_hex(), strict=True))
    fig = Figure(
        figsize=(2.6 * len(criteria) + 1.2, 2.3 * len(artifacts) + 0.6), layout="constrained"
    )
    axes = fig.subplots(len(artifacts), len(criteria), sharey=True, squeeze=False)
    for r, artifact in enumerate(artifacts):
        part = summary[summary["artifact"] == artifact]
        steps = (
            part[["cycle", "version", "purpose"]]
            .drop_duplicates()
            .sort_values(["cycle", "version"])
        )
        position = {tuple(s): i for i, s in enumerate(steps.itertuples(index=False))}
        labels = [f"C{c} {v}" for c, v, _ in position]
        for c, criterion in enumerate(criteria):
            ax = axes[r][c]
            rows = part[part["criterion"] == criterion]
            for side in _SIDES:
                own = rows[rows["perspective"] == side]
                x = [
                    position[k] + _DODGE[side]
                    for k in zip(own["cycle"], own["version"], own["purpose"], strict=True)
                ]
                ax.plot(x, own["mean"], color=colors[side], lw=1, alpha=0.6)
                ax.vlines(x, own["ci_low"], own["ci_high"], color=colors[side], lw=1.5)
                for xi, mean, purpose in zip(x, own["mean"], own["purpose"], strict=True):
                    ax.plot(
                        xi,
                        mean,
                        "o",
                        ms=6,
                        color=colors[side],
                        mfc="white" if purpose == "summative" else colors[side],
                    )
            ax.set_xticks(range(len(labels)), labels, fontsize="small")
            ax.set_xlim(-0.5, len(labels) - 0.5)
            ax.set_ylim(scale[0] - 0.5, scale[1] + 0.5)
            ax.grid(axis="y", alpha=0.3)
            if r == 0:
                ax.set_title(criterion.replace("_", " "))
            if c == 0:
                ax.set_ylabel(f"{artifact}\nmean rating")
    handles = [Line2D([], [], color=colors[s], marker="o", label=s) for s in _SIDES] + [
        Line2D([], [], color="grey", marker="o", ls="", label="formative"),
        Line2D([], [], color="grey", marker="o", mfc="white", ls="", label="summative"),
    ]
    fig.legend(
        handles=handles,
        loc="outside right upper",
        fontsize="small",
        title=f"mean, {confidence:.0%} CI",
    )
    fig.suptitle("Artifact ratings across design cycles")
    return fig
