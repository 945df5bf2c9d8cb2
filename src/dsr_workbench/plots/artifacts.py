"""Figures of a designed artifact's version, drawn from its element tree.

The figure follows from the element kinds, not from the artifact: :func:`artifact_figure`
chooses a layout (or takes the artifact's ``layout:``) and draws

``matrix``
    the top-level elements of the main kind (e.g. phases) as columns and the kinds of their
    descendants as rows; other top-level elements (e.g. a governance layer) become bands across
    all columns, showing a property named after a column (e.g. an intensity per phase) in it.
``quadrants``
    ``quadrant`` elements placed by their ``x``/``y`` properties (low | high), each with its
    children (e.g. the governance it recommends) and its ``intensity``; ``dimension`` elements
    with an ``axis`` property label the axes.
``flow``
    top-level ``step`` elements as boxes from left to right with their children; ``role`` and
    ``trigger`` elements as rows above and below.
``tree``
    any other tree, indented.

Input is the tidy element table of one version (``Artifacts.version(...)``); no file writes.
"""

from __future__ import annotations

import textwrap

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["artifact_figure", "choose_layout"]

_INTENSITY = {"low": 0.25, "medium": 0.5, "high": 0.85}


def choose_layout(elements: pd.DataFrame) -> str:
    """The layout for a tree: quadrants, flow, matrix (a kind with children at the top) or tree.

    Examples
    --------
    >>> choose_layout(pd.DataFrame({"kind": ["step"], "depth": [0], "element_id": ["a"],
    ...                             "parent": [None]}))
    'flow'
    """
    top = elements[elements["depth"] == 0]
    kinds = set(elements["kind"])
    if "quadrant" in kinds:
        return "quadrants"
    if "step" in set(top["kind"]):
        return "flow"
    if not top.empty and elements["depth"].max() > 0:
        return "matrix"
    return "tree"


def _label(kind: str) -> str:
    return kind.replace("_", " ")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or " "


def _descendants(elements: pd.DataFrame, eid: str) -> pd.DataFrame:
    ids, frontier = [], [eid]
    while frontier:
        kids = elements[elements["parent"].isin(frontier)]["element_id"].tolist()
        ids += kids
        frontier = kids
    return elements[elements["element_id"].isin(ids)]


def artifact_figure(
    elements: pd.DataFrame, *, layout: str | None = None, title: str = ""
) -> Figure:
    """Draw one version's element tree (see the module docstring for the layouts).

    Parameters
    ----------
    elements
        The version's elements (columns element_id, parent, kind, name, depth, order,
        properties).
    layout
        matrix | quadrants | flow | tree; default :func:`choose_layout`.
    title
        The figure's title.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> arts = load_artifacts(load_study(EXAMPLE_STUDY))
    >>> fig = artifact_figure(arts.version("development-framework", "v3"))
    >>> [t.get_text() for t in fig.axes[0].texts if "•" not in t.get_text()][:3]
    ['Partner selection', 'Technology transfer', 'Clinical supply']
    """
    if elements.empty:
        raise ValueError("the version has no elements to draw")
    layout = layout or choose_layout(elements)
    draw = {"matrix": _matrix, "quadrants": _quadrants, "flow": _flow, "tree": _tree}
    if layout not in draw:
        raise ValueError(f"unknown layout {layout!r}; use one of {', '.join(draw)}")
    fig = draw[layout](elements.sort_values("order"))
    if title:
        fig.suptitle(title, fontsize="large", fontweight="bold")
    return fig


def _box(ax, x, y, w, h, text, *, color, size="small", weight="normal", align="center"):  # type: ignore[no-untyped-def]
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.004,rounding_size=0.01",
                                facecolor=color, edgecolor="0.35", linewidth=0.8))  # fmt: skip
    tx = x + w / 2 if align == "center" else x + 0.008
    ax.text(tx, y + h - 0.01, text, ha=align, va="top", fontsize=size, fontweight=weight,
            linespacing=1.15)  # fmt: skip


def _matrix(el: pd.DataFrame) -> Figure:
    top = el[el["depth"] == 0]
    main = top["kind"].value_counts().idxmax()
    cols = top[top["kind"] == main]
    bands = top[top["kind"] != main]
    containers = set(el["parent"].dropna()) - set(cols["element_id"]) - set(bands["element_id"])
    name = dict(zip(el["element_id"], el["name"], strict=True))
    leaves = el[~el["element_id"].isin(containers)]
    kinds = list(dict.fromkeys(
        k for c in cols["element_id"]
        for k in _descendants(leaves.assign(parent=el["parent"]), c)["kind"]
    ))  # fmt: skip
    n_rows = len(kinds) + len(bands)
    fig = Figure(figsize=(3.2 * len(cols) + 1.6, 2.1 * n_rows + 0.8), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    palette = sns.color_palette("pastel", max(len(kinds) + len(bands), 1)).as_hex()
    left, head = 0.11, 0.07
    cw, rh = (1 - left) / len(cols), (1 - head) / max(n_rows, 1)
    width = 30
    for j, c in enumerate(cols.itertuples(index=False)):
        ax.text(left + (j + 0.5) * cw, 1 - head / 2, c.name, ha="center", va="center",
                fontsize="medium", fontweight="bold")  # fmt: skip
        desc = _descendants(el, c.element_id)
        desc = desc[~desc["element_id"].isin(containers)]
        for i, kind in enumerate(kinds):
            mine = desc[desc["kind"] == kind]
            names = [
                (f"{name[p]}: " if p in containers else "") + n
                for p, n in zip(mine["parent"], mine["name"], strict=True)
            ]
            text = "\n".join(_wrap("• " + n, width) for n in names)
            _box(ax, left + j * cw + 0.003, 1 - head - (i + 1) * rh + 0.004, cw - 0.006,
                 rh - 0.008, text, color=palette[i], size="small", align="left")  # fmt: skip
    for i, kind in enumerate(kinds):
        ax.text(left - 0.008, 1 - head - (i + 0.5) * rh, _wrap(_label(kind), 14), ha="right",
                va="center", fontsize="small", fontweight="bold")  # fmt: skip
    for b, band in enumerate(bands.itertuples(index=False)):
        i = len(kinds) + b
        y = 1 - head - (i + 1) * rh + 0.004
        kids = _descendants(el, band.element_id)
        _box(
            ax,
            left + 0.003,
            y,
            1 - left - 0.006,
            rh - 0.008,
            "  ·  ".join(kids["name"]) or band.name,
            color=palette[i],
            size="small",
        )
        ax.text(left - 0.008, y + rh / 2, _wrap(band.name, 14), ha="right", va="center",
                fontsize="small", fontweight="bold")  # fmt: skip
        props = band.properties or {}
        for j, c in enumerate(cols.itertuples(index=False)):
            if c.element_id in props:
                level = str(props[c.element_id])
                ax.text(left + (j + 0.5) * cw, y + (rh - 0.008) * 0.35, f"intensity: {level}",
                        ha="center", va="center", fontsize="small", fontweight="bold",
                        alpha=0.4 + 0.6 * _INTENSITY.get(level, 0.5))  # fmt: skip
    return fig


def _quadrants(el: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(10, 8), layout="constrained")
    ax = fig.subplots()
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    ax.set_xticks([0.5, 1.5], ["low", "high"])
    ax.set_yticks([0.5, 1.5], ["low", "high"])
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    dims = el[el["kind"] == "dimension"]
    for d in dims.itertuples(index=False):
        axis = (d.properties or {}).get("axis")
        kids = el[el["parent"] == d.element_id]
        parts = [f"{k.name} {k.properties['weight']:.0%}" if "weight" in (k.properties or {})
                 else k.name for k in kids.itertuples(index=False)]  # fmt: skip
        label = d.name + (f"\n({', '.join(parts)})" if parts else "")
        if axis == "x":
            ax.set_xlabel(label, fontsize="medium", fontweight="bold")
        elif axis == "y":
            ax.set_ylabel(label, fontsize="medium", fontweight="bold")
    cmap = sns.color_palette("Blues", as_cmap=True)
    for q in el[el["kind"] == "quadrant"].itertuples(index=False):
        p = q.properties or {}
        x, y = (1 if p.get("x") == "high" else 0), (1 if p.get("y") == "high" else 0)
        level = p.get("intensity")
        color = cmap(0.15 + 0.5 * _INTENSITY[level]) if level in _INTENSITY else "0.93"
        kids = _descendants(el, q.element_id)
        text = q.name + (f"\ngovernance intensity: {level}" if level else "")
        _box(ax, x + 0.03, y + 0.03, 0.94, 0.94, "", color=color)
        ax.text(x + 0.5, y + 0.93, text, ha="center", va="top", fontsize="medium",
                fontweight="bold")  # fmt: skip
        ax.text(x + 0.08, y + 0.72, "\n".join(_wrap("• " + n, 40) for n in kids["name"]),
                ha="left", va="top", fontsize="small")  # fmt: skip
    others = el[(el["depth"] == 0) & ~el["kind"].isin(["dimension", "quadrant"])]
    if len(others):
        ax.set_title("   ".join(f"{_label(o.kind)}: {o.name}" for o in others.itertuples()),
                     fontsize="small", loc="left")  # fmt: skip
    return fig


def _flow(el: pd.DataFrame) -> Figure:
    top = el[el["depth"] == 0]
    steps = top[top["kind"] == "step"]
    rows = [(k, top[top["kind"] == k]) for k in dict.fromkeys(top["kind"]) if k != "step"]
    above = [r for r in rows if r[0] == "role"]
    below = [r for r in rows if r[0] != "role"]
    fig = Figure(figsize=(3.3 * len(steps) + 0.6, 6.0 + 0.7 * len(rows)), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    band = 0.11
    bottom, ceiling = band * len(below) + 0.01, 1 - band * len(above) - 0.01
    w = 1 / max(len(steps), 1)
    palette = sns.color_palette("pastel", 3).as_hex()
    for j, s in enumerate(steps.itertuples(index=False)):
        kids = _descendants(el, s.element_id)
        lines = [_wrap(f"{j + 1}. {s.name}", 28), "", _wrap(s.text, 34), ""]
        lines += [_wrap("• " + n, 32) for n in kids["name"]]
        x = j * w + 0.012
        _box(ax, x, bottom + 0.01, w - 0.05, ceiling - bottom - 0.02, "\n".join(lines),
             color=palette[0], size="small", align="left")  # fmt: skip
        if j < len(steps) - 1:
            mid = (bottom + ceiling) / 2
            ax.add_patch(
                FancyArrowPatch(
                    (x + w - 0.05, mid),
                    (x + w + 0.004, mid),
                    arrowstyle="-|>",
                    mutation_scale=18,
                    color="0.3",
                )
            )
    for r, (kind, items) in enumerate(above):
        y = 1 - (r + 1) * band
        text = f"{_label(kind)}s:  " + "  ·  ".join(items["name"])
        _box(ax, 0.012, y, 0.976, band - 0.02, _wrap(text, 160), color=palette[1])
    for r, (kind, items) in enumerate(below):
        y = (len(below) - r - 1) * band + 0.005
        text = f"{_label(kind)}s:  " + "  ·  ".join(items["name"])
        _box(ax, 0.012, y, 0.976, band - 0.02, _wrap(text, 160), color=palette[2])
    return fig


def _tree(el: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(8, 0.3 * len(el) + 1), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    for i, e in enumerate(el.itertuples(index=False)):
        ax.text(0.02 + 0.04 * e.depth, 1 - (i + 0.5) / len(el), f"{e.name}  ({_label(e.kind)})",
                va="center", fontsize="small")  # fmt: skip
    return fig
