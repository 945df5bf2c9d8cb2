"""Partner differentiation what-if: move the weights, see the quadrants and who moves.

Scores, quadrants and approaches come from :func:`dsr_workbench.analysis.differentiation.segment` and the
chart from :func:`dsr_workbench.plots.differentiation.quadrant_plot`. The sliders give relative
weights; each axis' weights are divided by their sum before they are passed on (the library
requires weights that sum to 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from dsr_workbench.analysis.differentiation import DEFAULT_WEIGHTS, Segmentation, segment
from dsr_workbench.core.errors import DsrError
from dsr_workbench.plots.differentiation import quadrant_plot
from dsr_workbench.widgets._common import ErrorPanel, FigureView, Notes, escape, widget_bundle

__all__ = [
    "CHANGE_COLUMNS",
    "DifferentiationWhatIf",
    "differentiation_what_if",
    "normalise_weights",
    "quadrant_changes",
]

CHANGE_COLUMNS = ["base_quadrant", "quadrant", "x_score", "y_score"]
"""Columns of :func:`quadrant_changes` after the unit column."""


def normalise_weights(raw: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Divide each axis' slider values by their sum, so that they sum to 1.

    Raises
    ------
    DsrError
        An axis whose values are all zero.

    Examples
    --------
    >>> normalise_weights({"x": {"a": 1, "b": 3}, "y": {"c": 0.5}})
    {'x': {'a': 0.25, 'b': 0.75}, 'y': {'c': 1.0}}
    """
    out: dict[str, dict[str, float]] = {}
    for axis, criteria in raw.items():
        total = float(sum(criteria.values()))
        if total <= 0:
            raise DsrError(
                f"every weight of axis '{axis}' is zero",
                key=f"weights.{axis}",
                hint="give at least one criterion a weight",
            )
        out[axis] = {name: float(value) / total for name, value in criteria.items()}
    return out


def quadrant_changes(
    base: Segmentation, new: Segmentation, *, unit: str = "relationship_id"
) -> pd.DataFrame:
    """The relationships whose quadrant differs between two segmentations.

    Returns
    -------
    pandas.DataFrame
        ``unit``, then :data:`CHANGE_COLUMNS` (the base and new quadrant and the new
        scores), in the order of ``new``.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> rel = make_survey().relationships
    >>> base = segment(rel)
    >>> tilted = segment(rel, {"strategic_importance": {"spend_meur": 1.0},
    ...                        "intensity": DEFAULT_WEIGHTS["intensity"]})
    >>> moved = quadrant_changes(base, tilted)
    >>> len(moved) > 0, moved.columns.tolist()
    (True, ['relationship_id', 'base_quadrant', 'quadrant', 'x_score', 'y_score'])
    """
    before = base.table.set_index(unit)["quadrant"]
    table = new.table.assign(base_quadrant=new.table[unit].map(before))
    moved = table[table["base_quadrant"] != table["quadrant"]]
    return moved[[unit, *CHANGE_COLUMNS]].reset_index(drop=True)


class DifferentiationWhatIf:
    """Weight sliders → quadrant chart and the relationships that change quadrant.

    Parameters
    ----------
    relationships
        One row per relationship with the criteria named in ``weights``.
    weights
        The starting (base) weights, ``{x_axis: {criterion: weight}, y_axis: {...}}``.
    cutoffs
        Base cut-offs ``(x, y)`` or ``"median"``.
    unit
        The identifying column.
    dpi
        Resolution of the rendered chart.

    Attributes
    ----------
    sliders
        ``{(axis, criterion): FloatSlider}`` (``continuous_update=False``).
    cutoff_mode, cutoff_x, cutoff_y
        Fixed or median cut-offs and the fixed values.
    segmentation, base
        The current and the base :class:`~dsr_workbench.analysis.differentiation.Segmentation`.
    moved
        :func:`quadrant_changes` of the current weights against the base.
    """

    def __init__(
        self,
        relationships: pd.DataFrame,
        weights: Mapping[str, Mapping[str, float]] = DEFAULT_WEIGHTS,
        *,
        cutoffs: tuple[float, float] | str = (0.5, 0.5),
        unit: str = "relationship_id",
        dpi: int = 80,
    ) -> None:
        self.relationships = relationships
        self.unit = unit
        self.base_weights = {a: dict(c) for a, c in weights.items()}
        self.base_cutoffs = cutoffs
        self.errors = ErrorPanel()
        self.notes = Notes()
        self.view = FigureView(dpi=dpi, css_class="dsr-quadrant-figure")
        self.changes = w.HTML()
        self.changes.add_class("dsr-quadrant-changes")
        self.base = segment(relationships, self.base_weights, unit=unit, cutoffs=cutoffs)  # type: ignore[arg-type]
        self.segmentation = self.base
        self.moved = quadrant_changes(self.base, self.base, unit=unit)
        self.sliders: dict[tuple[str, str], w.FloatSlider] = {}
        columns = []
        for axis, criteria in self.base_weights.items():
            rows: list[w.Widget] = [w.HTML(f"<b>{escape(axis)}</b>")]
            for name, value in criteria.items():
                slider = w.FloatSlider(
                    value=value,
                    min=0.0,
                    max=1.0,
                    step=0.05,
                    description=name,
                    continuous_update=False,
                    readout_format=".2f",
                    style={"description_width": "150px"},
                    layout=w.Layout(width="380px"),
                )
                slider.add_class(f"dsr-weight-{name}")
                slider.observe(self._on_change, names="value")
                self.sliders[(axis, name)] = slider
                rows.append(slider)
            columns.append(w.VBox(rows))
        fixed = cutoffs if isinstance(cutoffs, tuple) else (0.5, 0.5)
        self.cutoff_mode = w.ToggleButtons(
            options=[("fixed", "fixed"), ("median", "median")],
            value="median" if cutoffs == "median" else "fixed",
            description="cut-offs",
        )
        self.cutoff_x = w.FloatSlider(
            value=fixed[0],
            min=0,
            max=1,
            step=0.05,
            description="x cut-off",
            continuous_update=False,
        )
        self.cutoff_y = w.FloatSlider(
            value=fixed[1],
            min=0,
            max=1,
            step=0.05,
            description="y cut-off",
            continuous_update=False,
        )
        for control in (self.cutoff_mode, self.cutoff_x, self.cutoff_y):
            control.observe(self._on_change, names="value")
        self.reset_button = w.Button(description="reset weights", icon="undo")
        self.reset_button.on_click(self.errors.guard(self._reset))
        self.widget = w.VBox(
            [
                w.HBox(columns),
                w.HBox([self.cutoff_mode, self.cutoff_x, self.cutoff_y, self.reset_button]),
                self.errors.output,
                self.notes.widget,
                w.HBox([self.view.widget, self.changes]),
            ]
        )
        self.widget.add_class("dsr-differentiation")
        self.errors.guard(self.render)()

    def weights(self) -> dict[str, dict[str, float]]:
        """The weights the sliders give, normalised per axis."""
        raw: dict[str, dict[str, float]] = {}
        for (axis, name), slider in self.sliders.items():
            raw.setdefault(axis, {})[name] = slider.value
        return normalise_weights(raw)

    def cutoffs(self) -> tuple[float, float] | str:
        """The cut-offs the controls give."""
        if self.cutoff_mode.value == "median":
            return "median"
        return (float(self.cutoff_x.value), float(self.cutoff_y.value))

    def _on_change(self, change: dict[str, Any]) -> None:
        fixed = self.cutoff_mode.value == "fixed"
        self.cutoff_x.disabled = self.cutoff_y.disabled = not fixed
        self.errors.guard(self.render)()

    def _reset(self, _button: Any = None) -> None:
        for (axis, name), slider in self.sliders.items():
            slider.unobserve(self._on_change, names="value")
            slider.value = self.base_weights[axis][name]
            slider.observe(self._on_change, names="value")
        self.render()

    def render(self) -> None:
        """Segment with the current weights and draw (errors go to the panel)."""
        weights = self.weights()
        seg = segment(self.relationships, weights, unit=self.unit, cutoffs=self.cutoffs())  # type: ignore[arg-type]
        self.segmentation = seg
        self.moved = quadrant_changes(self.base, seg, unit=self.unit)
        self.view.show(quadrant_plot(seg, unit=self.unit))
        shown = "; ".join(
            f"{axis}: " + ", ".join(f"{k} {v:.2f}" for k, v in crit.items())
            for axis, crit in weights.items()
        )
        self.notes.set(f"weights used (each axis sums to 1) — {shown}")
        if self.moved.empty:
            self.changes.value = "<p>No relationship changes quadrant.</p>"
        else:
            table = self.moved[[self.unit, "base_quadrant", "quadrant"]].rename(
                columns={"base_quadrant": "from", "quadrant": "to"}
            )
            self.changes.value = (
                f"<p><b>{len(table)} relationship(s) change quadrant</b></p>"
                + table.to_html(index=False, escape=True, border=0)
            )

    @property
    def figure(self) -> Any:
        return self.view.figure

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return widget_bundle(
            self.widget,
            "Partner differentiation what-if (live: open in Voila or JupyterLab)",
            **kwargs,
        )


def differentiation_what_if(relationships: pd.DataFrame, **kwargs: Any) -> DifferentiationWhatIf:
    """Build a :class:`DifferentiationWhatIf` (keyword arguments as the class).

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> whatif = differentiation_what_if(make_survey().relationships)
    >>> len(whatif.moved)
    0
    >>> whatif.sliders[("strategic_importance", "spend_meur")].value = 1.0
    >>> len(whatif.moved) > 0
    True
    """
    return DifferentiationWhatIf(relationships, **kwargs)
