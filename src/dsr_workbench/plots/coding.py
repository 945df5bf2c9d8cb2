"""Figures of the coding: the Gioia data structure and a code co-occurrence heatmap."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.core.errors import DsrError

__all__ = ["cooccurrence_heatmap", "gioia_figure"]

_HEADERS = ("1st-order concepts", "2nd-order themes", "Aggregate dimensions")


def _wrap(text: object, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) if isinstance(text, str) else ""


def gioia_figure(
    structure: pd.DataFrame, *, quotes: bool = False, width: int = 28, quote_chars: int = 90
) -> Figure:
    """Draw the Gioia data structure: concepts -> themes -> aggregate dimensions.

    Parameters
    ----------
    structure
        From :func:`dsr_workbench.coding.queries.gioia_structure` (dimension_id, dimension,
        theme_id, theme, concept_id, concept; exemplar if ``quotes``).
    quotes
        Print each concept's exemplar quote (shortened to ``quote_chars``) under it.
    width
        Characters per line in the boxes.

    Returns
    -------
    matplotlib.figure.Figure
        Three columns of boxes, each concept linked to its theme and each theme to its
        dimension; box text is the code name.

    Examples
    --------
    >>> s = pd.DataFrame({"dimension_id": "D1", "dimension": "Relational governance",
    ...     "theme_id": "T1", "theme": "Trust", "concept_id": ["C1", "C2"],
    ...     "concept": ["Open books", "Kept promises"], "exemplar": ["We see costs.", None]})
    >>> fig = gioia_figure(s, quotes=True)
    >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_bbox_patch() is not None)
    ['Kept promises', 'Open books', 'Relational governance', 'Trust']
    """
    need = ["dimension_id", "dimension", "theme_id", "theme", "concept_id", "concept"]
    missing = [c for c in need + (["exemplar"] if quotes else []) if c not in structure.columns]
    if missing:
        raise DsrError(
            f"structure lacks column(s) {', '.join(missing)}",
            hint="pass the table of dsr_workbench.coding.queries.gioia_structure",
        )
    rows = structure.reset_index(drop=True)
    n = max(len(rows), 1)
    step = 2.0 if quotes else 1.0
    y = -np.arange(n) * step
    fig = Figure(figsize=(12, 1.2 + 0.55 * n * step), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    box = {"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.3"}
    xs = (0.0, 1.0, 2.0)
    for x, header in zip(xs, _HEADERS, strict=True):
        ax.text(x, step * 0.9, header, ha="center", va="bottom", fontweight="bold")
    theme_y: dict[object, list[float]] = {}
    dim_of: dict[object, object] = {}
    for i, row in rows.iterrows():
        if isinstance(row["concept"], str):
            ax.text(
                xs[0],
                y[i],
                _wrap(row["concept"], width),
                ha="center",
                va="center",
                fontsize=9,
                bbox=box,
            )
            if quotes and isinstance(row["exemplar"], str):
                quote = textwrap.shorten(row["exemplar"], quote_chars, placeholder=" …")
                ax.text(
                    xs[0],
                    y[i] - 0.3 * step,
                    _wrap(f"“{quote}”", width + 12),
                    ha="center",
                    va="top",
                    fontsize=7,
                    style="italic",
                    color="0.35",
                )
        key: object = row["theme_id"] if isinstance(row["theme_id"], str) else f"_{i}"
        theme_y.setdefault(key, []).append(float(y[i]))
        dim_of[key] = row["dimension_id"]
    names = rows.drop_duplicates("theme_id").set_index("theme_id")["theme"]
    dim_y: dict[object, list[tuple[float, bool]]] = {}
    for key, ys in theme_y.items():
        ty = float(np.mean(ys))
        real = not str(key).startswith("_")
        if real:
            ax.text(
                xs[1],
                ty,
                _wrap(names.get(key), width),
                ha="center",
                va="center",
                fontsize=10,
                bbox={**box, "facecolor": "0.93"},
            )
            for cy in ys:
                ax.plot([xs[0] + 0.33, xs[1] - 0.33], [cy, ty], color="0.6", lw=0.8)
        dim_y.setdefault(dim_of[key], []).append((ty, real))
    dims = rows.drop_duplicates("dimension_id").set_index("dimension_id")["dimension"]
    for dim, links in dim_y.items():
        dy = float(np.mean([at for at, _ in links]))
        ax.text(
            xs[2],
            dy,
            _wrap(dims.get(dim), width),
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            bbox={**box, "facecolor": "0.85"},
        )
        for at, drawn in links:
            if drawn:
                ax.plot([xs[1] + 0.33, xs[2] - 0.33], [at, dy], color="0.6", lw=0.8)
    ax.set_xlim(-0.5, 2.5)
    ax.set_ylim(y.min() - step, step * 1.3)
    return fig


def cooccurrence_heatmap(
    matrix: pd.DataFrame,
    *,
    codebook: Codebook | None = None,
    triangle: bool = True,
    annot: bool | None = None,
    title: str | None = None,
) -> Figure:
    """Heatmap of a code co-occurrence matrix.

    Parameters
    ----------
    matrix
        From :func:`dsr_workbench.coding.queries.cooccurrence` (square, indexed by code_id).
    codebook
        If given, axes show code names instead of ids.
    triangle
        Show only the pairs below the diagonal (the matrix is symmetric).
    annot
        Write the values in the cells (default: when there are at most 20 codes).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> m = pd.DataFrame([[3, 2], [2, 2]], index=["A", "B"], columns=["A", "B"])
    >>> fig = cooccurrence_heatmap(m, triangle=False)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['A', 'B']
    """
    if matrix.shape[0] != matrix.shape[1]:
        raise DsrError(
            "a co-occurrence matrix must be square",
            hint="pass the table of dsr_workbench.coding.queries.cooccurrence",
        )
    labels = list(matrix.index)
    if codebook is not None:
        names = codebook.codes.set_index("code_id")["name"]
        labels = [str(names.get(c, c)) for c in labels]
    data = pd.DataFrame(matrix.to_numpy(), index=labels, columns=labels)
    mask = None
    if triangle and len(labels) > 1:  # below the diagonal: drop the empty first row/last column
        data = data.iloc[1:, :-1]
        mask = np.triu(np.ones(data.shape, dtype=bool), k=1)
    side = 2.5 + 0.35 * len(labels)
    fig = Figure(figsize=(side + 1.5, side), layout="constrained")
    ax = fig.subplots()
    is_int = np.issubdtype(data.to_numpy().dtype, np.integer)
    sns.heatmap(
        data,
        mask=mask,
        ax=ax,
        cmap="rocket_r",
        square=True,
        linewidths=0.5,
        annot=len(labels) <= 20 if annot is None else annot,
        fmt="d" if is_int else ".2f",
        cbar_kws={"shrink": 0.7},
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    return fig
