"""What the facilitator notebook shows: the cycle, its artifact versions, their figures.

The facilitator notebook (``notebooks/facilitator_cycle.ipynb``) is one notebook for every
design cycle: these functions turn ``study.yaml``, the evaluation record and the survey into
slide content (Markdown and figures from :mod:`dsr_workbench.plots`), and
:func:`live_views` builds the facilitator's live widgets.

Each artifact version a cycle's episodes evaluate is presented from its own data
(``data/artifacts/<artifact>/vN.yaml``, :func:`~dsr_workbench.dsr.artifacts.load_artifacts`),
drawn by :func:`~dsr_workbench.plots.artifacts.artifact_figure`; a version without a file is
presented by its name, version and episode only.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from dsr_workbench.analysis.survey import SurveyData
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.study import Study
from dsr_workbench.dsr.artifacts import load_artifacts
from dsr_workbench.dsr.record import load_episodes, load_evaluations
from dsr_workbench.plots.artifacts import artifact_figure
from dsr_workbench.plots.evaluation import rating_trajectories
from dsr_workbench.widgets._common import escape, figure_png, widget_bundle
from dsr_workbench.widgets.differentiation import DifferentiationWhatIf
from dsr_workbench.widgets.evaluation_form import EvaluationForm
from dsr_workbench.widgets.gap_explorer import GapExplorer

__all__ = [
    "EPISODE_SUMMARY_COLUMNS",
    "LiveViews",
    "artifact_gallery",
    "cycle_episodes",
    "cycle_title",
    "evaluation_folder",
    "figure_html",
    "live_views",
    "ratings_figure",
    "ratings_so_far",
]

EPISODE_SUMMARY_COLUMNS = [
    "episode",
    "artifact",
    "version",
    "date",
    "method",
    "purpose",
    "paradigm",
    "transcript_id",
    "n_participants",
]
"""Columns of :func:`cycle_episodes`."""


def evaluation_folder(study: Study) -> Any:
    """The study's evaluation record folder, ``<data>/evaluations``."""
    return study.data_dir / "evaluations"


def _cycle_row(study: Study, cycle: int) -> pd.Series:
    rows = study.cycles[study.cycles["cycle"] == int(cycle)]
    if rows.empty:
        raise DsrError(
            f"cycle {cycle} is not in study.yaml",
            path=study.path,
            key="cycles",
            hint=f"use one of {', '.join(map(str, study.cycles['cycle']))}",
        )
    return rows.iloc[0]


def cycle_episodes(study: Study, cycle: int) -> pd.DataFrame:
    """The evaluation episodes of one cycle, one row each (:data:`EPISODE_SUMMARY_COLUMNS`).

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> cycle_episodes(load_study(EXAMPLE_STUDY), 2)[["episode", "artifact", "version"]]
            episode                 artifact version
    0  FG2-framework    development-framework      v2
    1       FG2-tool  partner-differentiation      v1
    2       FG3-tool  partner-differentiation      v1
    """
    _cycle_row(study, cycle)
    folder = evaluation_folder(study)
    if not any((folder / "episodes").glob("*.yaml")):
        return pd.DataFrame(columns=EPISODE_SUMMARY_COLUMNS)
    panels = load_episodes(folder, study.participants)
    panels = panels[panels["cycle"] == int(cycle)]
    sizes = panels.groupby("episode", sort=False)["participant"].size()
    first = panels.drop_duplicates("episode").set_index("episode")
    first["n_participants"] = sizes
    return first.reset_index()[EPISODE_SUMMARY_COLUMNS].reset_index(drop=True)


def cycle_title(study: Study, cycle: int) -> Markdown:
    """The title slide: the cycle's focus, dates and the artifact versions it evaluates.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> print(cycle_title(load_study(EXAMPLE_STUDY), 1).data)
    # Design cycle 1
    ## Problem understanding and the CMR development framework (v1)
    ...
    | development-framework | v1 | FG1-framework | 2026-03-12 | focus group | formative | 5 |
    """
    row = _cycle_row(study, cycle)
    episodes = cycle_episodes(study, cycle)
    lines = [
        f"# Design cycle {int(cycle)}",
        f"## {row['focus']}",
        "",
        f"*{study.title}* — {row['start']} to {row['end']}",
        "",
    ]
    if episodes.empty:
        lines.append("No evaluation episode is recorded for this cycle yet.")
    else:
        lines += [
            "| artifact | version | episode | date | method | purpose | participants |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.artifact} | {r.version} | {r.episode} | {r.date} | {r.method} | "
            f"{r.purpose} | {r.n_participants} |"
            for r in episodes.itertuples()
        ]
    return Markdown("\n".join(lines))


def artifact_gallery(study: Study, survey: SurveyData | None, cycle: int, *, dpi: int = 80) -> HTML:
    """The artifact versions evaluated in the cycle, each drawn from its element tree.

    Artifacts are those of the cycle's episodes, in order, one figure each with its title,
    version, status, the episodes that evaluate it and its summary (``survey`` is not used;
    kept for the notebook's call). On a reveal.js slide the figures are stacked
    (``r-stack``) and shown one at a time as fragments, so that the slide does not overflow;
    elsewhere (notebook, Voilà) they follow one another.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> html = artifact_gallery(load_study(EXAMPLE_STUDY), None, 3).data
    >>> html.count("<img"), "CMR development framework v3" in html
    (4, True)
    """
    episodes = cycle_episodes(study, cycle)
    versions = episodes.drop_duplicates(["artifact", "version"])[["artifact", "version"]]
    if versions.empty:
        return HTML(f"<p>No artifact version is evaluated in cycle {int(cycle)} yet.</p>")
    arts = load_artifacts(study)
    have = set(zip(arts.versions["artifact"], arts.versions["version"], strict=True))
    meta = arts.artifacts.set_index("artifact")
    cells = []
    for artifact, version in versions.itertuples(index=False):
        mine = episodes[(episodes["artifact"] == artifact) & (episodes["version"] == version)]
        held = ", ".join(f"{e.episode} ({e.purpose})" for e in mine.itertuples())
        if (artifact, version) not in have:
            cells.append(
                f"<b>{escape(artifact)} {escape(version)}</b> (no version file in "
                f"data/artifacts) · episodes: {escape(held)}"
            )
            continue
        row = arts.version_row(artifact, version)
        title = f"{meta.loc[artifact, 'title']} {version}"
        fig = artifact_figure(arts.version(artifact, version), layout=meta.loc[artifact, "layout"])
        png = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
        cells.append(
            f"<figcaption><b>{escape(title)}</b> ({escape(row['status'])}, cycle "
            f"{int(row['cycle'])}) · episodes: {escape(held)}<br>"
            f"<small>{escape(row['summary'])}</small></figcaption>"
            f'<img src="data:image/png;base64,{png}" alt="{escape(title)}" '
            'style="max-width:100%;max-height:500px">'
        )
    return HTML('<div class="dsr-gallery r-stack">' + "".join(
        f"<figure {_step(i, len(cells))} "
        f'style="margin:0 0 1.2em;text-align:center;background:white">{cell}</figure>'
        for i, cell in enumerate(cells)
    ) + "</div>")  # fmt: skip


def _step(i: int, n: int) -> str:
    """The reveal.js fragment attributes that show the ``i``-th of ``n`` stacked figures alone.

    The first is shown at first and fades out at step 0; the ``i``-th is shown at step
    ``i - 1`` only, and the last stays from its step on.
    """
    if n < 2:
        return 'class="dsr-artifact"'
    kind = " fade-out" if i == 0 else " current-visible" if i < n - 1 else ""
    return f'class="dsr-artifact fragment{kind}" data-fragment-index="{max(i - 1, 0)}"'


def figure_html(fig: Figure, *, dpi: int = 90, caption: str = "") -> HTML:
    """A figure as an HTML image (shown alike in notebooks, Voilà and exported slides).

    Examples
    --------
    >>> figure_html(Figure(figsize=(1, 1)), caption="empty").data[:40]
    '<figure style="margin:0;text-align:cente'
    """
    png = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
    text = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return HTML(
        f'<figure style="margin:0;text-align:center">'
        f'<img src="data:image/png;base64,{png}" style="max-width:100%;max-height:600px">'
        f"{text}</figure>"
    )


def ratings_so_far(study: Study, cycle: int) -> HTML | Markdown:
    """Ratings of the cycle's artifacts up to this cycle as a figure, or a note if none yet.

    The figure is :func:`~dsr_workbench.plots.evaluation.rating_trajectories` (see
    :func:`ratings_figure`) as an HTML image.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> "<img" in ratings_so_far(load_study(EXAMPLE_STUDY), 2).data
    True
    """
    fig = ratings_figure(study, cycle)
    if fig is None:
        return Markdown(f"No ratings recorded for cycle {int(cycle)} yet.")
    return figure_html(fig)


def ratings_figure(study: Study, cycle: int) -> Figure | None:
    """The ratings of the cycle's artifacts up to this cycle (``None`` if there are none).

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> fig = ratings_figure(load_study(EXAMPLE_STUDY), 2)
    >>> fig.axes[0].get_ylabel().splitlines()[0]
    'development-framework'
    """
    folder = evaluation_folder(study)
    episodes = cycle_episodes(study, cycle)
    if episodes.empty:
        return None
    evaluations = load_evaluations(folder, study.participants)
    mine = evaluations[
        evaluations["artifact"].isin(set(episodes["artifact"]))
        & (evaluations["cycle"] <= int(cycle))
    ]
    if mine.empty:
        return None
    return rating_trajectories(mine)


@dataclass
class LiveViews:
    """The facilitator's live widgets; displaying it shows the explorer and what-if as tabs.

    Attributes
    ----------
    gap, differentiation, form
        The :class:`~dsr_workbench.widgets.GapExplorer`,
        :class:`~dsr_workbench.widgets.DifferentiationWhatIf` and
        :class:`~dsr_workbench.widgets.EvaluationForm` (display ``form`` on its own).
    tabs
        The tab widget holding the explorer and the what-if.
    """

    gap: GapExplorer
    differentiation: DifferentiationWhatIf
    form: EvaluationForm
    tabs: w.Tab

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        text = "Relationship Gap explorer and partner differentiation (live: open in Voila)"
        return widget_bundle(self.tabs, text, **kwargs)


def live_views(study: Study, survey: SurveyData, cycle: int) -> LiveViews:
    """Build the facilitator's live widgets for a cycle (the form offers its episodes).

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import read_survey
    >>> from dsr_workbench.corpus.study import load_study
    >>> study = load_study(EXAMPLE_STUDY)
    >>> live = live_views(study, read_survey(study.data_dir / "survey"), 3)
    >>> [title for title in live.tabs.titles], live.form.episode.value
    (['Relationship Gap', 'Partner differentiation'], 'FG4-method')
    """
    _cycle_row(study, cycle)
    gap = GapExplorer(survey.responses, relationships=survey.relationships)
    what_if = DifferentiationWhatIf(survey.relationships)
    form = EvaluationForm(
        evaluation_folder(study), participants=study.participants, cycle=int(cycle)
    )
    tabs = w.Tab(children=[gap.widget, what_if.widget])
    tabs.set_title(0, "Relationship Gap")
    tabs.set_title(1, "Partner differentiation")
    tabs.add_class("dsr-facilitator-tabs")
    return LiveViews(gap, what_if, form, tabs)
