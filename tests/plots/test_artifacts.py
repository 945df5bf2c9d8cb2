"""Artifact figures (dsr_workbench.plots.artifacts) from small hand-made element trees."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from dsr_workbench.corpus.study import load_study
from dsr_workbench.dsr.artifacts import load_artifacts
from dsr_workbench.plots.artifacts import artifact_figure, choose_layout, kind_colour

EXAMPLE = Path(__file__).resolve().parents[2] / "study.yaml"

Row = tuple[str, str | None, str, str]


def tree(*rows: Row, properties: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """An element table from ``(id, parent, kind, name)`` rows in tree order."""
    depth: dict[str | None, int] = {None: -1}
    records = []
    for order, (eid, parent, kind, name) in enumerate(rows):
        depth[eid] = depth[parent] + 1
        records.append({"element_id": eid, "parent": parent, "kind": kind, "name": name,
                        "text": f"What {name} is.", "depth": depth[eid], "order": order,
                        "properties": (properties or {}).get(eid, {})})  # fmt: skip
    return pd.DataFrame(records)


FRAMEWORK = [
    ("p1", None, "phase", "Selection"),
    ("p1-sf", "p1", "success_factor", "Capability fit"),
    ("p1-pr", "p1", "practice", "Pre-award audit"),
    ("p2", None, "phase", "Transfer"),
    ("p2-step", "p2", "step", "Knowledge transfer"),
    ("p2-sf", "p2-step", "success_factor", "Process knowledge"),
    ("p2-pr", "p2", "practice", "Method transfer"),
    ("gov", None, "layer", "Governance layer"),
    ("gov-sc", "gov", "governance_mechanism", "Steering committee"),
    ("gov-esc", "gov", "governance_mechanism", "Escalation path"),
]
TOOL = [
    ("x", None, "dimension", "Strategic importance"),
    ("x-rev", "x", "criterion", "Revenue share"),
    ("y", None, "dimension", "Switching difficulty"),
    ("q-ll", None, "quadrant", "Transactional"),
    ("q-ll-1", "q-ll", "governance_mechanism", "Standard contracts"),
    ("q-hh", None, "quadrant", "Strategic"),
    ("q-hh-1", "q-hh", "governance_mechanism", "Joint steering"),
    ("q-hh-2", "q-hh", "governance_mechanism", "Open-book"),
    ("q-hl", None, "quadrant", "Leverage"),
    ("q-lh", None, "quadrant", "Bottleneck"),
    ("role", None, "role", "Sourcing lead"),
]
TOOL_PROPS = {
    "x": {"axis": "x"},
    "x-rev": {"weight": 0.6},
    "y": {"axis": "y"},
    "q-ll": {"x": "low", "y": "low", "intensity": "low"},
    "q-hh": {"x": "high", "y": "high", "intensity": "high"},
    "q-hl": {"x": "high", "y": "low"},
    "q-lh": {"x": "low", "y": "high", "intensity": "medium"},
}
METHOD = [
    ("s1", None, "step", "Form"),
    ("s1-a", "s1", "success_factor", "Trust"),
    ("s2", None, "step", "Gaps"),
    ("s3", None, "step", "Workshop"),
    ("r1", None, "role", "Moderator"),
    ("t1", None, "trigger", "Once a year"),
    ("t2", None, "trigger", "Phase change"),
]


def texts(fig: Figure) -> list[str]:
    """Every text of the figure's axes (and its title), wrapped lines joined by a space."""
    found = [t.get_text() for ax in fig.axes for t in ax.texts]
    found += [fig._suptitle.get_text()] if fig._suptitle is not None else []
    return [" ".join(t.split()) for t in found]


def boxes(fig: Figure) -> list[FancyBboxPatch]:
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, FancyBboxPatch)]


def test_choose_layout_follows_the_element_kinds() -> None:
    assert choose_layout(tree(*FRAMEWORK)) == "matrix"
    assert choose_layout(tree(*TOOL)) == "quadrants"
    assert choose_layout(tree(*METHOD)) == "flow"
    assert (
        choose_layout(tree(("a", None, "construct", "A"), ("b", None, "construct", "B"))) == "tree"
    )


def test_matrix_has_a_cell_per_phase_and_kind_and_a_band_per_layer() -> None:
    fig = artifact_figure(tree(*FRAMEWORK, properties={"gov": {"p2": "high"}}), title="FW v1")
    found = texts(fig)
    # 2 phases x 2 kinds (success factor, practice) + 1 governance band
    assert len(boxes(fig)) == 2 * 2 + 1
    for label in ("Selection", "Transfer", "success factor", "practice", "Governance layer",
                  "FW v1"):  # fmt: skip
        assert label in found
    assert "• Capability fit" in found
    # a leaf under a step (a container) is shown with its step's name
    assert "• Knowledge transfer: Process knowledge" in found
    assert "Steering committee · Escalation path" in found
    assert [t for t in found if t.startswith("intensity:")] == ["intensity: high ●●●"]


def test_a_kind_keeps_its_colour_whatever_the_other_kinds() -> None:
    def colours(fig: Figure) -> set[str]:
        return {to_hex(b.get_facecolor()) for b in boxes(fig)}

    without_risk = artifact_figure(tree(*FRAMEWORK))
    with_risk = artifact_figure(tree(*FRAMEWORK, ("p1-rk", "p1", "risk", "Price only")))
    assert colours(with_risk) - colours(without_risk) == {kind_colour("risk")}
    assert kind_colour("practice") in colours(without_risk)
    assert kind_colour("layer") in colours(with_risk)
    assert kind_colour("an-unknown-kind") == kind_colour("an-unknown-kind")


def test_quadrants_place_each_quadrant_by_its_position() -> None:
    fig = artifact_figure(tree(*TOOL, properties=TOOL_PROPS))
    ax = fig.axes[0]
    assert len(boxes(fig)) == 4
    assert ax.get_xlabel().startswith("Strategic importance\n(Revenue share 60%)")
    assert ax.get_ylabel() == "Switching difficulty"
    assert "role: Sourcing lead" in ax.get_title(loc="left")
    title = {t.get_text().split("\n")[0]: t.get_position() for t in ax.texts}
    assert title["Strategic"][0] > 1 and title["Strategic"][1] > 1
    assert title["Transactional"][0] < 1 and title["Transactional"][1] < 1
    assert title["Leverage"][0] > 1 > title["Leverage"][1]
    assert "• Joint steering • Open-book" in texts(fig)
    # the box of a high-intensity quadrant is darker than that of a low one
    by_corner = {(round(b.get_x()), round(b.get_y())): b.get_facecolor() for b in boxes(fig)}
    assert sum(by_corner[(1, 1)][:3]) < sum(by_corner[(0, 0)][:3])


def test_flow_draws_steps_left_to_right_with_roles_above_and_triggers_below() -> None:
    fig = artifact_figure(tree(*METHOD))
    ax = fig.axes[0]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes(fig)) == 3 + 2 and len(arrows) == 2
    heads = {t.get_text(): t for t in ax.texts if t.get_text()[:2] in ("1.", "2.", "3.")}
    assert "What Form is. • Trust" in texts(fig)
    assert list(heads) == ["1. Form", "2. Gaps", "3. Workshop"]
    assert all(t.get_fontweight() == "bold" for t in heads.values())
    xs = [t.get_position()[0] for t in heads.values()]
    assert xs == sorted(xs)
    band = {t.get_text().split(":")[0]: t.get_position()[1] for t in ax.texts
            if t.get_text().startswith(("roles:", "triggers:"))}  # fmt: skip
    step_y = heads["1. Form"].get_position()[1]
    assert band["roles"] > step_y > band["triggers"]
    assert "triggers: Once a year · Phase change" in texts(fig)


def test_unknown_layout_and_empty_tree_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown layout 'spiral'"):
        artifact_figure(tree(*METHOD), layout="spiral")
    with pytest.raises(ValueError, match="no elements"):
        artifact_figure(tree(*METHOD).iloc[0:0])


@pytest.fixture(scope="module")
def figures() -> list[tuple[str, Figure]]:
    """Every version of the example's artifacts, drawn with its title, and the hand-made ones."""
    study = load_study(EXAMPLE)
    arts = load_artifacts(study)
    layout = arts.artifacts.set_index("artifact")["layout"]
    drawn = [
        (f"{a} {v}", artifact_figure(arts.version(a, v), layout=layout[a], title=f"{a} {v}"))
        for a, v in zip(arts.versions["artifact"], arts.versions["version"], strict=True)
    ]
    return drawn + [
        ("matrix", artifact_figure(tree(*FRAMEWORK, properties={"gov": {"p1": "low"}}))),
        ("quadrants", artifact_figure(tree(*TOOL, properties=TOOL_PROPS), title="Tool")),
        ("flow", artifact_figure(tree(*METHOD), title="Method")),
    ]


def _overlap(a: Any, b: Any, tol: float = 0.5) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tol) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tol)


def test_no_text_is_cut_overlaps_another_or_leaves_its_box(
    figures: list[tuple[str, Figure]],
) -> None:
    for name, fig in figures:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        page = fig.bbox
        items: list[Text] = [t for ax in fig.axes for t in ax.texts if t.get_text().strip()]
        items += [fig._suptitle] if fig._suptitle is not None else []
        extents = [(t.get_text(), t.get_window_extent(renderer)) for t in items]
        for text, e in extents:
            assert page.x0 <= e.x0 and e.x1 <= page.x1, (name, "cut at a side", text)
            assert page.y0 <= e.y0 and e.y1 <= page.y1, (name, "cut at the top/bottom", text)
        for (ta, a), (tb, b) in itertools.combinations(extents, 2):
            assert not _overlap(a, b), (name, "overlap", ta, tb)
        frames = [b.get_window_extent(renderer) for b in boxes(fig)]
        for box, f in zip(boxes(fig), frames, strict=True):  # boxes are clipped by their axes
            clip = box.axes.bbox
            assert clip.x0 - 1 <= f.x0 and f.x1 <= clip.x1 + 1, (name, "box cut", f, clip)
            assert clip.y0 - 1 <= f.y0 and f.y1 <= clip.y1 + 1, (name, "box cut", f, clip)
        for text, e in extents:
            for f in [f for f in frames if f.contains(e.x0 + 1, e.y1 - 1)]:
                # a text that starts in a box ends in it
                assert f.x0 <= e.x0 and e.x1 <= f.x1 + 1 and f.y0 <= e.y0 + 1, (name, text)
