"""Relationship Gap figures: diverging bars, client-vs-CMO dumbbells, a radar per relationship.

Inputs are the tables of :mod:`dsr_workbench.analysis.gap`; every function returns a new
:class:`matplotlib.figure.Figure` (no pyplot state, no file writes).
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path
from matplotlib.transforms import offset_copy

from dsr_workbench.core.errors import DsrError

__all__ = ["dumbbell", "gap_bars", "radar"]

_COLORS = sns.color_palette("colorblind", 4).as_hex()


def _facets(table: pd.DataFrame) -> tuple[str, list[str]]:
    """Facet column (``kind`` of relationship_gap, ``perspective`` of servqual_gap)."""
    facet = "kind" if "kind" in table.columns else "perspective"
    if facet not in table.columns or "item" not in table.columns:
        raise DsrError("expected a table from gap.relationship_gap or gap.servqual_gap")
    return facet, list(pd.unique(table[facet]))


def _panel_figure(
    table: pd.DataFrame, facet: str, n_panels: int, width: float, *, suptitle: bool
) -> tuple[Figure, np.ndarray, dict[str, int]]:
    """A figure of ``n_panels`` side-by-side axes, one row per item (the same row in every
    panel), with fixed margins that fit the item labels; and each item's row.

    The item labels are drawn once, on the first panel; the others get no y ticks at all
    (sharing the y axis would still make and draw a tick per row on each). The margins come
    from :func:`_margins` (no layout engine: matplotlib's constrained layout re-solves them
    on every draw, about a third of the time of a small figure). Titles are placed at the
    top of their axes (``y=1``), so matplotlib need not measure the axes to place them.
    """
    labels = tuple(dict.fromkeys(table["item"].astype(str)))
    height = 1.2 + 0.32 * len(labels)
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(**_margins(labels, width, height, suptitle, mpl.rcParams["font.size"]))
    axes = np.atleast_1d(fig.subplots(1, n_panels, squeeze=False)[0])
    rows = {label: len(labels) - 1 - k for k, label in enumerate(labels)}  # first on top
    for k, ax in enumerate(axes):
        ax.set_ylim(-0.6, len(labels) - 0.4)
        if k == 0:
            ax.set_yticks(list(rows.values()), list(rows))
        else:
            ax.set_yticks([])
    return fig, axes, rows


@lru_cache(maxsize=128)
def _margins(
    labels: tuple[str, ...], width: float, height: float, suptitle: bool, font_size: float
) -> dict[str, float]:
    """Subplot margins (figure fractions) that fit the y tick ``labels``, an axes title and
    an x label (and a suptitle), computed once per label set from the font's metrics."""
    del font_size  # part of the cache key: the sizes below depend on it
    tick = FontProperties(size=mpl.rcParams["ytick.labelsize"])
    widest = max(
        (text_to_path.get_text_width_height_descent(t, tick, ismath=False)[0] for t in labels),
        default=0.0,
    )
    points = FontProperties(size="medium").get_size_in_points()
    left = (widest + 3.5 + 4 * points / 10 + 8) / 72  # labels + tick + pad + edge, inches
    top = (2.7 if suptitle else 1.5) * points * 1.2 / 72 + 0.1
    bottom = 2.6 * points * 1.2 / 72 + 0.1  # tick labels + x label
    return {
        "left": min(left / width, 0.6),
        "right": 1 - 0.15 / width,
        "top": max(1 - top / height, 0.5),
        "bottom": min(bottom / height, 0.4),
        "wspace": 0.06,
    }


def gap_bars(table: pd.DataFrame, *, alpha: float = 0.05, width: float = 9.0) -> Figure:
    """Diverging horizontal bars of the mean gap per item, with CIs; one panel per facet.

    Bars whose Holm-adjusted p-value is below ``alpha`` are solid and starred, the rest pale.

    Parameters
    ----------
    table
        :func:`~dsr_workbench.analysis.gap.relationship_gap` (gap = client − CMO, one panel per kind)
        or :func:`~dsr_workbench.analysis.gap.servqual_gap` (gap = expectation − perception, one
        panel per side).

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> from dsr_workbench.analysis.gap import relationship_gap
    >>> g = relationship_gap(make_survey(one_sided=0).responses, level="construct", n_resamples=0)
    >>> len(gap_bars(g).axes)
    2
    """
    facet, panels = _facets(table)
    fig, axes, row_of = _panel_figure(table, facet, len(panels), width, suptitle=True)
    label = "mean gap (client − CMO)" if facet == "kind" else "mean gap (expectation − perception)"
    for ax, panel in zip(axes, panels, strict=True):
        rows = table[table[facet] == panel].iloc[::-1]  # drawn bottom-up
        y = rows["item"].astype(str).map(row_of).to_numpy(dtype=float)
        gap = rows["mean_gap"].to_numpy(dtype=float)
        strong = (rows["p_holm"] < alpha).to_numpy()
        colors = [_COLORS[0] if v >= 0 else _COLORS[1] for v in gap]
        bars = ax.barh(y, gap, color=colors, edgecolor="none")
        for bar, bold in zip(bars, strong, strict=True):
            bar.set_alpha(1.0 if bold else 0.4)
        lo, hi = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(
            gap[ok],
            y[ok],
            xerr=np.vstack([gap[ok] - lo[ok], hi[ok] - gap[ok]]),
            fmt="none",
            ecolor="0.3",
            capsize=2,
            lw=0.8,
        )
        _stars(ax, gap[strong], y[strong])
        ax.axvline(0, color="0.2", lw=0.8)
        ax.margins(x=0.1)  # room for the stars beside the longest bars
        ax.set_title(str(panel), y=1.0)
        ax.set_xlabel(label)
    top = 1 - 0.06 / fig.get_figheight()  # fixed in inches, like the margins
    fig.suptitle(f"Relationship Gap (* Holm-adjusted p < {alpha:g})", y=top, va="top")
    return fig


def _stars(ax: Axes, x: np.ndarray, y: np.ndarray) -> None:
    """An asterisk beside each bar end ``(x, y)``, outside the bar: one marker collection per
    side (id ``holm-stars``) instead of a text annotation per bar, which costs about a
    millisecond each to lay out and draw."""
    for right, sign in ((x >= 0, 1), (x < 0, -1)):
        if right.any():
            shift = offset_copy(
                ax.transData, fig=ax.get_figure(root=True), x=7 * sign, units="points"
            )
            ax.scatter(
                x[right],
                y[right],
                marker=(6, 2, 0),
                s=28,
                color="0.15",
                linewidths=0.9,
                transform=shift,
                clip_on=False,
                gid="holm-stars",
                zorder=3,
            )


def dumbbell(table: pd.DataFrame, *, width: float = 9.0) -> Figure:
    """Both means per item joined by a line (client vs CMO, or expectation vs perception).

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> from dsr_workbench.analysis.gap import relationship_gap
    >>> g = relationship_gap(make_survey(one_sided=0).responses, level="construct", n_resamples=0)
    >>> fig = dumbbell(g)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['client', 'cmo']
    """
    facet, panels = _facets(table)
    if facet == "kind":
        left, right = ("mean_client", "client"), ("mean_cmo", "cmo")
    else:
        left, right = ("mean_expectation", "expectation"), ("mean_perception", "perception")
    fig, axes, row_of = _panel_figure(table, facet, len(panels), width, suptitle=False)
    for ax, panel in zip(axes, panels, strict=True):
        rows = table[table[facet] == panel].iloc[::-1]  # drawn bottom-up
        y = rows["item"].astype(str).map(row_of).to_numpy(dtype=float)
        a, b = rows[left[0]].to_numpy(dtype=float), rows[right[0]].to_numpy(dtype=float)
        ax.hlines(y, np.minimum(a, b), np.maximum(a, b), color="0.6", lw=2)
        ax.scatter(a, y, color=_COLORS[0], label=left[1], zorder=3)
        ax.scatter(b, y, color=_COLORS[1], label=right[1], zorder=3)
        ax.set_title(str(panel), y=1.0)
        ax.set_xlabel("mean rating")
        ax.legend(loc="lower right", fontsize="small")
    return fig


def radar(
    dyads: pd.DataFrame,
    relationship_id: str,
    *,
    scale: tuple[int, int] = (1, 7),
    size: float = 5.0,
) -> Figure:
    """Client and CMO profiles of one relationship on a radar, one panel per kind.

    Parameters
    ----------
    dyads
        :func:`~dsr_workbench.analysis.gap.dyad_table` (columns ``relationship_id, kind, item,
        client, cmo``).
    relationship_id
        The relationship to draw.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> from dsr_workbench.analysis.gap import dyad_table
    >>> fig = radar(dyad_table(make_survey().responses), "CMR01")
    >>> [ax.get_title() for ax in fig.axes]
    ['CMR01 expectation', 'CMR01 perception']
    """
    rows = dyads[dyads["relationship_id"] == relationship_id]
    if rows.empty:
        raise DsrError(
            f"relationship '{relationship_id}' is not in the table",
            hint="pick one of the table's relationship_id values",
        )
    kinds = list(pd.unique(rows["kind"]))
    fig = Figure(figsize=(size * len(kinds), size))
    # fixed margins in inches (room for the item labels around each circle and the title
    # above it) instead of the constrained layout, which re-solves them on every draw
    pad = 0.85
    fig.subplots_adjust(
        left=pad / (size * len(kinds)),
        right=1 - pad / (size * len(kinds)),
        bottom=0.4 / size,
        top=1 - 0.8 / size,
        wspace=2 * pad / (size - 2 * pad),
    )
    for k, kind in enumerate(kinds, start=1):
        part = rows[rows["kind"] == kind]
        labels = part["item"].tolist()
        angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False)
        closed = np.append(angles, angles[0])
        ax = fig.add_subplot(1, len(kinds), k, projection="polar")
        for side, color in (("client", _COLORS[0]), ("cmo", _COLORS[1])):
            values = part[side].to_numpy(dtype=float)
            if np.all(np.isnan(values)):
                continue
            ax.plot(closed, np.append(values, values[0]), color=color, label=side)
            ax.fill(closed, np.append(values, values[0]), color=color, alpha=0.15)
        ax.set_xticks(angles, [label.replace("_", "\n") for label in labels], fontsize="x-small")
        ax.set_ylim(scale[0], scale[1])
        ax.set_title(f"{relationship_id} {kind}", y=1.15)
        ax.legend(loc="upper right", bbox_to_anchor=(1.2, 1.16), fontsize="small")
    return fig
