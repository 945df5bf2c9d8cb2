"""The live evaluation form: participants rate the presented artifact version on the criteria.

Every rating is stored the moment it is given, by :func:`dsr_workbench.dsr.record.record_rating`
(one atomic append to ``data/evaluations/ratings/<episode>.jsonl``); a comment typed after the
rating is stored as a new rating event with the same value (the latest supersedes). The
summary table comes from :func:`~dsr_workbench.dsr.record.rating_summary` and the chart from
:func:`~dsr_workbench.plots.evaluation.rating_trajectories` (the artifact's ratings across
cycles up to this episode, including the ratings just given).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from dsr_workbench.dsr.record import (
    current_ratings,
    load_criteria,
    load_episodes,
    load_evaluations,
    rating_summary,
    read_ratings,
    record_rating,
)
from dsr_workbench.plots.evaluation import rating_trajectories
from dsr_workbench.widgets._common import ErrorPanel, FigureView, Notes, escape, widget_bundle

__all__ = ["EvaluationForm", "evaluation_form"]


class EvaluationForm:
    """Rate the artifact version of an evaluation episode, live, criterion by criterion.

    Parameters
    ----------
    folder
        The study's ``data/evaluations`` folder (episodes must exist: see
        :func:`dsr_workbench.dsr.record.write_episode`).
    participants
        The study's ``participants`` table (participant_id, pseudonym, perspective): the
        panel is shown by pseudonym and perspectives missing in an episode come from it.
    cycle
        Offer only this cycle's episodes (default: all).
    episode
        The episode selected first (default: the first offered).
    dpi
        Resolution of the summary chart.

    Attributes
    ----------
    episode, participant
        Dropdowns (values: episode id, participant id).
    ratings, comments
        ``{criterion: ToggleButtons}`` and ``{criterion: Text}``.
    saved
        The rating events this form wrote, in order.
    summary
        The last :func:`~dsr_workbench.dsr.record.rating_summary` of the episode.
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        participants: pd.DataFrame | None = None,
        cycle: int | None = None,
        episode: str | None = None,
        dpi: int = 72,
    ) -> None:
        self.folder = Path(folder)
        self.people = participants
        self.errors = ErrorPanel()
        self.notes = Notes()
        self.status = w.HTML()
        self.status.add_class("dsr-eval-status")
        self.view = FigureView(dpi=dpi, css_class="dsr-eval-figure")
        self.summary_html = w.HTML()
        self.summary_html.add_class("dsr-eval-summary")
        self.saved: list[dict[str, Any]] = []
        self.summary: pd.DataFrame | None = None
        self._loading = False
        self.criteria = load_criteria(self.folder)
        episodes = load_episodes(self.folder, participants) if self._has_episodes() else None
        if episodes is not None and cycle is not None:
            episodes = episodes[episodes["cycle"] == int(cycle)]
        self.panels = episodes if episodes is not None else pd.DataFrame()
        options = _episode_options(self.panels)
        self.episode = w.Dropdown(
            options=options, description="episode", layout=w.Layout(width="520px")
        )
        if episode is not None:
            self.episode.value = episode
        self.participant = w.Dropdown(description="participant", layout=w.Layout(width="520px"))
        self.episode.add_class("dsr-eval-episode")
        self.participant.add_class("dsr-eval-participant")
        scale = list(range(self.criteria.low, self.criteria.high + 1))
        self.ratings: dict[str, w.ToggleButtons] = {}
        self.comments: dict[str, w.Text] = {}
        rows = []
        for name in self.criteria.names:
            toggle = w.ToggleButtons(
                options=[(str(v), v) for v in scale], value=None, style={"button_width": "38px"}
            )
            comment = w.Text(
                placeholder="why? (optional)",
                continuous_update=False,
                layout=w.Layout(width="320px"),
            )
            toggle.add_class(f"dsr-rate-{name}")
            comment.add_class(f"dsr-comment-{name}")
            toggle.observe(self.errors.guard(self._on_rating(name)), names="value")
            comment.observe(self.errors.guard(self._on_comment(name)), names="value")
            self.ratings[name], self.comments[name] = toggle, comment
            label = w.HTML(
                f"<b>{escape(name.replace('_', ' '))}</b>", layout=w.Layout(width="130px")
            )
            rows.append(w.HBox([label, toggle, comment]))
        self.episode.observe(self.errors.guard(self._on_episode), names="value")
        self.participant.observe(self.errors.guard(self._on_participant), names="value")
        self.widget = w.VBox(
            [
                self.episode,
                self.participant,
                *rows,
                self.status,
                self.errors.output,
                self.notes.widget,
                self.summary_html,
                self.view.widget,
            ]
        )
        self.widget.add_class("dsr-evaluation-form")
        if not options:
            where = f"cycle {cycle}" if cycle is not None else "this study"
            self.notes.set(
                f"No evaluation episode for {where} in {self.folder}: create one "
                "with dsr_workbench.dsr.record.write_episode(...) first.",
                warn=True,
            )
            for control in [*self.ratings.values(), *self.comments.values()]:
                control.disabled = True
        else:
            self.errors.guard(self._on_episode)()

    # ------------------------------------------------------------------ state

    def _has_episodes(self) -> bool:
        return any((self.folder / "episodes").glob("*.yaml"))

    def _panel(self) -> pd.DataFrame:
        return self.panels[self.panels["episode"] == self.episode.value]

    def _on_episode(self, change: Any = None) -> None:
        panel = self._panel()
        names = {}
        if self.people is not None and "pseudonym" in self.people.columns:
            names = dict(zip(self.people["participant_id"], self.people["pseudonym"], strict=True))
        options = [
            (f"{names.get(p, p)} ({p}, {s})", p)
            for p, s in zip(panel["participant"], panel["perspective"], strict=True)
        ]
        self._loading = True
        try:
            self.participant.options = options
            self.participant.value = options[0][1] if options else None
        finally:
            self._loading = False
        self._load_participant()
        self.refresh()

    def _on_participant(self, change: Any = None) -> None:
        if not self._loading:
            self._load_participant()

    def _load_participant(self) -> None:
        """Show the selected participant's current ratings (without recording anything)."""
        log = read_ratings(self.folder, self.episode.value)
        mine = current_ratings(log[log["participant"] == self.participant.value])
        given = {
            c: (r, m)
            for c, r, m in zip(mine["criterion"], mine["rating"], mine["comment"], strict=True)
        }
        self._loading = True
        try:
            for name in self.criteria.names:
                rating, comment = given.get(name, (None, ""))
                self.ratings[name].value = None if rating is None else int(rating)
                self.comments[name].value = comment or ""
        finally:
            self._loading = False

    # ------------------------------------------------------------------ recording

    def _on_rating(self, criterion: str) -> Any:
        def handler(change: dict[str, Any]) -> None:
            if self._loading or change["new"] is None:
                return
            self.record(criterion, int(change["new"]), self.comments[criterion].value)

        return handler

    def _on_comment(self, criterion: str) -> Any:
        def handler(change: dict[str, Any]) -> None:
            rating = self.ratings[criterion].value
            if self._loading or rating is None:
                return
            self.record(criterion, int(rating), change["new"])

        return handler

    def record(self, criterion: str, rating: int, comment: str = "") -> dict[str, Any]:
        """Store one rating of the selected participant now, then refresh the summary."""
        event = record_rating(
            self.folder, self.episode.value, self.participant.value, criterion, rating, comment
        )
        self.saved.append(event)
        who = self.participant.label or self.participant.value
        self.status.value = (
            f'<span style="color:#1b7f3b">saved: {escape(who)} rated '
            f"{escape(criterion.replace('_', ' '))} {rating}"
            f"{' — ' + escape(comment) if comment else ''}</span>"
        )
        self.refresh()
        return event

    def refresh(self) -> None:
        """Re-read the evaluation record and redraw the summary table and chart."""
        evaluations = load_evaluations(self.folder, self.people)
        mine = evaluations[evaluations["episode"] == self.episode.value]
        if mine.empty:
            self.summary = None
            self.summary_html.value = "<p>No ratings yet in this episode.</p>"
            self.view.clear()
            return
        self.summary = rating_summary(mine, by=["criterion"], perspective_split=True)
        table = self.summary.pivot(index="criterion", columns="perspective", values="mean")
        table = table.reindex([c for c in self.criteria.names if c in table.index])
        counts = self.summary.groupby("perspective")["n"].max().to_dict()
        header = ", ".join(f"{side}: {n} rater(s)" for side, n in counts.items())
        self.summary_html.value = (
            f"<p><b>Mean rating so far</b> ({escape(header)})</p>"
            + table.round(2).to_html(border=0, na_rep="–")
        )
        episode = self._panel().iloc[0]
        history = evaluations[
            (evaluations["artifact"] == episode["artifact"])
            & (evaluations["cycle"] <= episode["cycle"])
        ]
        self.view.show(
            rating_trajectories(
                history,
                criteria=list(self.criteria.names),
                scale=(self.criteria.low, self.criteria.high),
            )
        )

    @property
    def figure(self) -> Any:
        return self.view.figure

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return widget_bundle(
            self.widget, "Live evaluation form (open in Voila or JupyterLab)", **kwargs
        )


def _episode_options(panels: pd.DataFrame) -> list[tuple[str, str]]:
    if panels.empty:
        return []
    first = panels.drop_duplicates("episode")
    return [
        (f"{r.episode} · {r.artifact} {r.version} · {r.date} · {r.purpose}", r.episode)
        for r in first.itertuples(index=False)
    ]


def evaluation_form(folder: str | Path, **kwargs: Any) -> EvaluationForm:
    """Build an :class:`EvaluationForm` (keyword arguments as the class).

    Examples
    --------
    >>> import tempfile
    >>> from dsr_workbench.dsr.record import write_episode
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_episode(folder, "FG9-tool", cycle=3, artifact="tool", version="v2",
    ...                   purpose="summative", paradigm="naturalistic", method="focus group",
    ...                   date="2026-10-07", participants={"P01": "client", "P07": "cmo"})
    >>> form = evaluation_form(folder, cycle=3)
    >>> form.participant.value = "P07"
    >>> form.ratings["usefulness"].value = 4
    >>> [(e["participant"], e["criterion"], e["rating"]) for e in form.saved]
    [('P07', 'usefulness', 4)]
    >>> form.summary[["criterion", "perspective", "n", "mean"]]
        criterion perspective  n  mean
    0  usefulness         cmo  1   4.0
    """
    return EvaluationForm(folder, **kwargs)
