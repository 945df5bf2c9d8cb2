"""The Relationship Gap explorer: pick a scope, level, kind and chart; the figure follows.

All numbers come from :mod:`dsr_workbench.analysis.gap` and all figures from
:mod:`dsr_workbench.plots.gap`; the explorer only chooses which rows to draw. Because the
survey does not change during a session, each level's tables are computed once (at start,
with ``precompute=True``) and re-used: a change of choice then only filters rows and draws.
The last :data:`CACHE_SIZE` drawings are kept, so going back to a view seen before (as a
facilitator does, switching back and forth in front of the group) shows it at once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import ipywidgets as w
import pandas as pd

from dsr_workbench.analysis.gap import Level, dyad_table, relationship_gap
from dsr_workbench.analysis.survey import RATING_KINDS
from dsr_workbench.plots.gap import dumbbell, gap_bars, radar
from dsr_workbench.widgets._common import (
    ErrorPanel,
    FigureView,
    Notes,
    record_warnings,
    widget_bundle,
)

__all__ = ["AGGREGATE", "CACHE_SIZE", "GapExplorer", "gap_explorer"]

AGGREGATE = "__all__"
"""The scope value meaning "all relationships" (the paired test over dyads)."""

CACHE_SIZE = 16
"""How many drawn views (table, figure, PNG) the explorer keeps."""

_CHARTS_ALL = [("gap (client − CMO)", "bars"), ("client vs CMO", "sides")]
_CHARTS_ONE = [("radar", "radar"), ("client vs CMO", "sides")]


class GapExplorer:
    """Interactive Relationship Gap: aggregate or one relationship, item or construct.

    Parameters
    ----------
    responses
        Tidy survey answers (:attr:`dsr_workbench.analysis.survey.SurveyData.responses`).
    relationships
        Optional ``relationships`` table (relationship_id, client, cmo) for readable labels.
    level
        Initial level, ``"construct"`` or ``"item"``.
    precompute
        Compute both levels' tables at once (a slower start, fast changes afterwards).
    dpi
        Resolution of the rendered figure.

    Attributes
    ----------
    scope, level, kind, chart
        The controls (``scope.value`` is :data:`AGGREGATE` or a relationship id).
    table
        The rows drawn last: :func:`~dsr_workbench.analysis.gap.relationship_gap` rows (aggregate) or
        :func:`~dsr_workbench.analysis.gap.dyad_table` rows (one relationship).
    figure
        The last :class:`matplotlib.figure.Figure` drawn.
    errors
        The :class:`~dsr_workbench.widgets._common.ErrorPanel` of the callbacks.
    widget
        The box to display.
    """

    def __init__(
        self,
        responses: pd.DataFrame,
        *,
        relationships: pd.DataFrame | None = None,
        level: str = "construct",
        precompute: bool = True,
        dpi: int = 80,
    ) -> None:
        self.responses = responses
        self._gaps: dict[str, pd.DataFrame] = {}
        self._dyads: dict[str, pd.DataFrame] = {}
        self._drawn: OrderedDict[tuple[str, ...], tuple[Any, ...]] = OrderedDict()
        self.table: pd.DataFrame | None = None
        self.errors = ErrorPanel()
        self.notes = Notes()
        self.view = FigureView(dpi=dpi, css_class="dsr-gap-figure")
        present = set(responses["kind"]) if "kind" in responses.columns else set()
        self.kinds = [k for k in RATING_KINDS if k in present]
        ids = list(pd.unique(responses["relationship_id"])) if len(responses) else []
        labels = _labels(ids, relationships)
        self.scope = w.Dropdown(
            options=[("all relationships (paired over dyads)", AGGREGATE), *labels],
            value=AGGREGATE,
            description="scope",
        )
        self.level = w.ToggleButtons(
            options=[("construct", "construct"), ("item", "item")],
            value=level,
            description="level",
        )
        self.kind = w.ToggleButtons(
            options=[("both", "all"), *[(k, k) for k in self.kinds]],
            value="all",
            description="kind",
        )
        self.chart = w.ToggleButtons(options=_CHARTS_ALL, value="bars", description="chart")
        for control, name in (
            (self.scope, "scope"),
            (self.level, "level"),
            (self.kind, "kind"),
            (self.chart, "chart"),
        ):
            control.add_class(f"dsr-gap-{name}")
        self.scope.observe(self._on_scope, names="value")
        for control in (self.level, self.kind, self.chart):
            control.observe(self._on_change, names="value")
        if precompute:
            self._precompute()
        self.widget = w.VBox(
            [
                w.HBox([self.scope, self.level]),
                w.HBox([self.kind, self.chart]),
                self.errors.output,
                self.notes.widget,
                self.view.widget,
            ]
        )
        self.widget.add_class("dsr-gap-explorer")
        self.errors.guard(self.render)()

    # ------------------------------------------------------------------ library calls

    @property
    def figure(self) -> Any:
        return self.view.figure

    def _precompute(self) -> None:
        with record_warnings() as caught:
            for level in ("construct", "item"):
                self._gap(level)
                self._dyad(level)
        self._warnings = caught

    def _gap(self, level: Level) -> pd.DataFrame:
        if level not in self._gaps:
            self._gaps[level] = relationship_gap(
                self.responses, level=level, kinds=self.kinds, n_resamples=0
            )
        return self._gaps[level]

    def _dyad(self, level: Level) -> pd.DataFrame:
        if level not in self._dyads:
            self._dyads[level] = dyad_table(self.responses, level=level, kinds=self.kinds)
        return self._dyads[level]

    # ------------------------------------------------------------------ callbacks

    def _on_scope(self, change: dict[str, Any]) -> None:
        options = _CHARTS_ALL if change["new"] == AGGREGATE else _CHARTS_ONE
        wanted = self.chart.value if self.chart.value in dict(options).values() else options[0][1]
        self.chart.unobserve(self._on_change, names="value")
        try:
            self.chart.options = options
            self.chart.value = wanted
        finally:
            self.chart.observe(self._on_change, names="value")
        self.errors.guard(self.render)()

    def _on_change(self, change: dict[str, Any]) -> None:
        self.errors.guard(self.render)()

    def render(self) -> None:
        """Draw the current choice (called by every control; errors go to the panel)."""
        key = (self.scope.value, self.level.value, self.kind.value, self.chart.value)
        if key in self._drawn:
            self._drawn.move_to_end(key)
            self.table, fig, png, notes = self._drawn[key]
            self.view.show(fig, png)
            self.notes.set(*notes, warn=bool(notes))
            return
        kinds = self.kinds if self.kind.value == "all" else [self.kind.value]
        with record_warnings() as caught:
            if self.scope.value == AGGREGATE:
                table = self._gap(self.level.value)
                table = table[table["kind"].isin(kinds)].reset_index(drop=True)
                fig = gap_bars(table) if self.chart.value == "bars" else dumbbell(table)
            else:
                rid = self.scope.value
                dyads = self._dyad(self.level.value)
                table = dyads[(dyads["relationship_id"] == rid) & dyads["kind"].isin(kinds)]
                table = table.reset_index(drop=True)
                if self.chart.value == "radar":
                    fig = radar(table, rid)
                else:
                    fig = dumbbell(
                        table.rename(columns={"client": "mean_client", "cmo": "mean_cmo"})
                    )
        self.table = table
        notes = list(dict.fromkeys([*getattr(self, "_warnings", []), *caught]))
        self.notes.set(*notes, warn=bool(notes))
        self._drawn[key] = (table, fig, self.view.show(fig), notes)
        while len(self._drawn) > CACHE_SIZE:
            self._drawn.popitem(last=False)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return widget_bundle(
            self.widget, "Relationship Gap explorer (live: open in Voila or JupyterLab)", **kwargs
        )


def _labels(ids: list[str], relationships: pd.DataFrame | None) -> list[tuple[str, str]]:
    if relationships is None or not {"relationship_id", "client", "cmo"} <= set(
        relationships.columns
    ):
        return [(str(i), str(i)) for i in ids]
    pairs = relationships.set_index("relationship_id")[["client", "cmo"]]
    out = []
    for rid in ids:
        if rid in pairs.index:
            client, cmo = pairs.loc[rid]
            out.append((f"{rid} · {client} – {cmo}", str(rid)))
        else:
            out.append((str(rid), str(rid)))
    return out


def gap_explorer(responses: pd.DataFrame, **kwargs: Any) -> GapExplorer:
    """Build a :class:`GapExplorer` (keyword arguments as the class).

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> survey = make_survey(one_sided=0)
    >>> explorer = gap_explorer(survey.responses, relationships=survey.relationships)
    >>> explorer.table[["kind", "item"]].head(2).values.tolist()
    [['expectation', 'trust'], ['expectation', 'communication']]
    >>> explorer.kind.value = "perception"
    >>> sorted(explorer.table["kind"].unique()), len(explorer.figure.axes)
    (['perception'], 1)
    """
    return GapExplorer(responses, **kwargs)
