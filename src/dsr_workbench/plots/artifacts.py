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
import zlib

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["artifact_figure", "choose_layout", "kind_colour"]

_INTENSITY = {"low": 0.25, "medium": 0.5, "high": 0.85}
_LEVEL_MARK = {"low": "●○○", "medium": "●●○", "high": "●●●"}

_PASTEL = ("#a1c9f4", "#ffb482", "#8de5a1", "#ff9f9b", "#d0bbff", "#debb9b", "#fab0e4",
           "#cfcfcf", "#fffea3", "#b9f2f0")  # fmt: skip
_KIND_COLOURS = {
    "success_factor": _PASTEL[0], "step": _PASTEL[0], "dimension": _PASTEL[0],
    "practice": _PASTEL[1], "role": _PASTEL[1],
    "governance_mechanism": _PASTEL[2], "layer": _PASTEL[2], "trigger": _PASTEL[2],
    "risk": _PASTEL[3],
}  # fmt: skip
"""A kind keeps its colour in every version and artifact; other kinds get one by name."""

_FS = 9.0
"""Body font size (points) of the box layouts; rows are sized from it."""
_LINE = _FS * 1.25 / 72
"""Height of one line of body text, in inches."""
_PAD = 0.09
"""Inner margin of a box, in inches."""
_TITLE = 0.5
"""Height reserved above a box layout for the figure's title, in inches."""


def kind_colour(kind: str) -> str:
    """The fill colour of an element kind: fixed for the common kinds, else chosen by name.

    Examples
    --------
    >>> kind_colour("risk") == kind_colour("risk"), kind_colour("risk") != kind_colour("practice")
    (True, True)
    """
    if kind in _KIND_COLOURS:
        return _KIND_COLOURS[kind]
    return _PASTEL[4 + zlib.crc32(kind.encode("utf-8")) % (len(_PASTEL) - 4)]


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


def _wrap(text: str, width: int, *, bullet: bool = False) -> str:
    """Wrap to ``width`` characters; a bullet's continuation lines are indented under it."""
    if bullet:
        lines = textwrap.wrap(str(text), width, initial_indent="• ", subsequent_indent="   ")
    else:
        lines = textwrap.wrap(str(text), width)
    return "\n".join(lines) or " "


def _lines(text: str) -> int:
    return text.count("\n") + 1 if text.strip() else 0


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
    return draw[layout](elements.sort_values("order"), title)


def _canvas(width: float, height: float, title: str) -> tuple[Figure, Axes]:
    """A figure of ``width`` x ``height`` inches (plus room for the title) whose axes use
    inches as data units, so that boxes can be sized to the lines of text they hold."""
    top = _TITLE if title else 0.0
    fig = Figure(figsize=(width, height + top))
    ax = fig.add_axes((0.0, 0.0, 1.0, height / (height + top)))
    ax.set_axis_off()
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    if title:
        fig.suptitle(title, y=1 - 0.12 / (height + top), va="top", fontsize="large",
                     fontweight="bold")  # fmt: skip
    return fig, ax


def _box(
    ax: Axes, x: float, y: float, w: float, h: float, color: str, rounding: float = 0.07
) -> None:
    """A rounded box with its lower left corner at ``(x, y)`` (in data units, mostly inches)."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={rounding}",
                                facecolor=color, edgecolor="0.35", linewidth=0.8))  # fmt: skip


def _matrix(el: pd.DataFrame, title: str = "") -> Figure:
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
    col_w, label_w, gap, chars = 2.6, 1.25, 0.05, 34
    width = label_w + len(cols) * col_w + 0.1
    cells: list[list[str]] = []
    for kind in kinds:
        row = []
        for c in cols["element_id"]:
            desc = _descendants(el, c)
            mine = desc[(desc["kind"] == kind) & ~desc["element_id"].isin(containers)]
            row.append("\n".join(
                _wrap((f"{name[p]}: " if p in containers else "") + n, chars, bullet=True)
                for p, n in zip(mine["parent"], mine["name"], strict=True)
            ))  # fmt: skip
        cells.append(row)
    band_text, band_levels = [], []
    for band in bands.itertuples(index=False):
        kids = _descendants(el, band.element_id)
        text = "  ·  ".join(kids["name"]) or band.name
        band_text.append(_wrap(text, int((width - label_w) * 72 / (_FS * 0.6))))
        props = band.properties or {}
        band_levels.append({c: str(props[c]) for c in cols["element_id"] if c in props})
    heights = [max(2, *(_lines(t) for t in row)) * _LINE + 2 * _PAD for row in cells]
    heights += [(_lines(t) + 1.6 * bool(lv)) * _LINE + 2 * _PAD
                for t, lv in zip(band_text, band_levels, strict=True)]  # fmt: skip
    head = 0.45
    height = head + sum(heights) + gap * len(heights) + 0.05
    fig, ax = _canvas(width, height, title)
    for j, c in enumerate(cols.itertuples(index=False)):
        ax.text(label_w + (j + 0.5) * col_w, height - head / 2, _wrap(c.name, 26), ha="center",
                va="center", fontsize=_FS + 1.5, fontweight="bold")  # fmt: skip
    y = height - head
    for i, kind in enumerate(kinds):
        y -= heights[i] + gap
        ax.text(label_w - 0.08, y + heights[i] / 2, _wrap(_label(kind), 14), ha="right",
                va="center", fontsize=_FS, fontweight="bold")  # fmt: skip
        for j, text in enumerate(cells[i]):
            x = label_w + j * col_w + gap / 2
            _box(ax, x, y, col_w - gap, heights[i], kind_colour(kind))
            ax.text(x + _PAD, y + heights[i] - _PAD, text, ha="left", va="top", fontsize=_FS,
                    linespacing=1.2)  # fmt: skip
    for b, band in enumerate(bands.itertuples(index=False)):
        h = heights[len(kinds) + b]
        y -= h + gap
        _box(ax, label_w + gap / 2, y, len(cols) * col_w - gap, h, kind_colour(band.kind))
        ax.text(label_w + len(cols) * col_w / 2, y + h - _PAD, band_text[b], ha="center",
                va="top", fontsize=_FS, linespacing=1.2)  # fmt: skip
        ax.text(label_w - 0.08, y + h / 2, _wrap(band.name, 14), ha="right", va="center",
                fontsize=_FS, fontweight="bold")  # fmt: skip
        for j, c in enumerate(cols.itertuples(index=False)):
            level = band_levels[b].get(c.element_id)
            if level is not None:
                ax.text(label_w + (j + 0.5) * col_w, y + _PAD + 0.3 * _LINE,
                        f"intensity: {level} {_LEVEL_MARK.get(level, '')}".rstrip(),
                        ha="center", va="bottom", fontsize=_FS,
                        fontweight="bold" if level == "high" else "normal")  # fmt: skip
    return fig


def _quadrants(el: pd.DataFrame, title: str = "") -> Figure:
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
        label = d.name + ("\n" + _wrap(f"({', '.join(parts)})", 60) if parts else "")
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
        _box(ax, x + 0.03, y + 0.03, 0.94, 0.94, color, rounding=0.02)
        ax.text(x + 0.5, y + 0.93, text, ha="center", va="top", fontsize="medium",
                fontweight="bold")  # fmt: skip
        ax.text(x + 0.08, y + 0.72, "\n".join(_wrap(n, 44, bullet=True) for n in kids["name"]),
                ha="left", va="top", fontsize=_FS + 1, linespacing=1.25)  # fmt: skip
    others = el[(el["depth"] == 0) & ~el["kind"].isin(["dimension", "quadrant"])]
    if len(others):
        ax.set_title("   ".join(f"{_label(o.kind)}: {o.name}" for o in others.itertuples()),
                     fontsize="small", loc="left")  # fmt: skip
    if title:
        fig.suptitle(title, fontsize="large", fontweight="bold")
    return fig


def _flow(el: pd.DataFrame, title: str = "") -> Figure:
    top = el[el["depth"] == 0]
    steps = top[top["kind"] == "step"]
    rows = [(k, top[top["kind"] == k]) for k in dict.fromkeys(top["kind"]) if k != "step"]
    col_w, arrow, chars = 2.7, 0.4, 36
    width = len(steps) * col_w + (len(steps) - 1) * arrow + 0.2
    heads, bodies = [], []
    for j, s in enumerate(steps.itertuples(index=False)):
        kids = _descendants(el, s.element_id)
        heads.append(_wrap(f"{j + 1}. {s.name}", 30))
        body = [_wrap(s.text, chars)] if s.text else []
        body += ["\n".join(_wrap(n, chars, bullet=True) for n in kids["name"])] if len(kids) else []
        bodies.append("\n\n".join(body))
    step_h = max(_lines(h) * (_FS + 1) / _FS + 0.6 + _lines(b) for h, b in zip(heads, bodies,
                 strict=True)) * _LINE + 2 * _PAD  # fmt: skip
    band_text = [_wrap(f"{_label(kind)}s:  " + "  ·  ".join(items["name"]),
                       int((width - 0.2) * 72 / (_FS * 0.6))) for kind, items in rows]  # fmt: skip
    band_h = [_lines(t) * _LINE + 2 * _PAD for t in band_text]
    gap = 0.12
    height = step_h + sum(band_h) + gap * (len(rows) + 1)
    fig, ax = _canvas(width, height, title)
    above = [i for i, (kind, _) in enumerate(rows) if kind == "role"]
    below = [i for i in range(len(rows)) if i not in above]
    y = height - gap / 2
    for i in above:
        y -= band_h[i]
        _band(ax, 0.1, y, width - 0.2, band_h[i], band_text[i], kind_colour(rows[i][0]))
        y -= gap
    y -= step_h
    for j in range(len(steps)):
        x = 0.1 + j * (col_w + arrow)
        _box(ax, x, y, col_w, step_h, kind_colour("step"))
        ax.text(x + _PAD, y + step_h - _PAD, heads[j], ha="left", va="top", fontsize=_FS + 1,
                fontweight="bold", linespacing=1.2)  # fmt: skip
        offset = (_lines(heads[j]) * (_FS + 1) / _FS + 0.6) * _LINE
        ax.text(x + _PAD, y + step_h - _PAD - offset, bodies[j], ha="left", va="top",
                fontsize=_FS, linespacing=1.2)  # fmt: skip
        if j < len(steps) - 1:
            ax.add_patch(FancyArrowPatch((x + col_w + 0.03, y + step_h / 2),
                                         (x + col_w + arrow - 0.03, y + step_h / 2),
                                         arrowstyle="-|>", mutation_scale=18, color="0.3"))  # fmt: skip
    for i in below:
        y -= gap + band_h[i]
        _band(ax, 0.1, y, width - 0.2, band_h[i], band_text[i], kind_colour(rows[i][0]))
    return fig


def _band(ax: Axes, x: float, y: float, w: float, h: float, text: str, color: str) -> None:
    _box(ax, x, y, w, h, color)
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=_FS, linespacing=1.2)


def _tree(el: pd.DataFrame, title: str = "") -> Figure:
    fig = Figure(figsize=(8, 0.3 * len(el) + 1), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    for i, e in enumerate(el.itertuples(index=False)):
        ax.text(0.02 + 0.04 * e.depth, 1 - (i + 0.5) / len(el), f"{e.name}  ({_label(e.kind)})",
                va="center", fontsize="small")  # fmt: skip
    if title:
        fig.suptitle(title, fontsize="large", fontweight="bold")
    return fig
