"""Widgets driven from Python: set values, click buttons, then check the files and figures.

Every expected value is computed by calling the library directly (relationship_gap,
dyad_table, segment, rating_summary), so these tests check the wiring, not numbers
copied from a run. The study is a temporary copy of the example study.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dsr_workbench.analysis.differentiation import DEFAULT_WEIGHTS, segment
from dsr_workbench.analysis.gap import dyad_table, relationship_gap
from dsr_workbench.analysis.survey import read_survey
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from dsr_workbench.dsr.record import load_evaluations, rating_summary, write_episode
from dsr_workbench.widgets import (
    AGGREGATE,
    DifferentiationWhatIf,
    EvaluationForm,
    GapExplorer,
    presentation,
    quadrant_changes,
)

ROOT = Path(__file__).resolve().parents[2]

CODEBOOK = """\
codes:
  - {id: REL, name: Relational governance, level: dimension,
     definition: How the partners govern the relationship beyond the contract.}
  - {id: TRUST, name: Trust, parent: REL, level: theme, color: "#4C72B0",
     rules: {keywords: [trust]}}
  - {id: CAP, name: Capacity access, level: theme, rules: {keywords: [capacity]}}
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    """A copy of the example study (study.yaml, interviews/, data/) with a test codebook."""
    root = tmp_path_factory.mktemp("study")
    shutil.copy(ROOT / "study.yaml", root / "study.yaml")
    shutil.copytree(ROOT / "interviews", root / "interviews")
    shutil.copytree(ROOT / "data", root / "data")
    shutil.rmtree(root / "data" / "codings", ignore_errors=True)
    (root / "data" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return load_study(root)


@pytest.fixture(scope="module")
def corpus(study):
    return load_corpus(study)


@pytest.fixture(scope="module")
def survey(study):
    return read_survey(study.data_dir / "survey")


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --------------------------------------------------------------------------- gap explorer


def _bar_widths(fig) -> list[np.ndarray]:
    return [np.array([p.get_width() for p in ax.patches]) for ax in fig.axes]


def test_gap_explorer_draws_the_library_table(survey):
    explorer = GapExplorer(survey.responses, relationships=survey.relationships)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = relationship_gap(
            survey.responses, level="construct", kinds=explorer.kinds, n_resamples=0
        )
    panels = _bar_widths(explorer.figure)
    for kind, widths in zip(explorer.kinds, panels, strict=True):
        gaps = expected.loc[expected["kind"] == kind, "mean_gap"].to_numpy()
        np.testing.assert_allclose(widths, gaps[::-1])  # bars are drawn bottom-up
    assert "one side" in " ".join(explorer.notes.lines)  # the one-sided dyad warning shows
    explorer.level.value = "item"
    assert [len(w) for w in _bar_widths(explorer.figure)] == [24, 24]
    explorer.kind.value = "perception"
    (widths,) = _bar_widths(explorer.figure)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        items = relationship_gap(
            survey.responses, level="item", kinds=["perception"], n_resamples=0
        )
    np.testing.assert_allclose(widths, items["mean_gap"].to_numpy()[::-1])


def test_gap_explorer_one_relationship(survey):
    explorer = GapExplorer(survey.responses, relationships=survey.relationships)
    explorer.scope.value = "CMR03"
    assert [v for _, v in explorer.chart.options] == ["radar", "sides"]
    expected = dyad_table(
        survey.responses, level="construct", relationships=["CMR03"], kinds=explorer.kinds
    )
    pd.testing.assert_frame_equal(explorer.table, expected.reset_index(drop=True))
    client_line = explorer.figure.axes[0].get_lines()[0].get_ydata()[:-1]
    np.testing.assert_allclose(
        client_line, expected.loc[expected["kind"] == "expectation", "client"].to_numpy()
    )
    explorer.chart.value = "sides"
    assert explorer.figure.axes[0].get_legend() is not None
    explorer.scope.value = AGGREGATE
    assert explorer.chart.value == "sides"


def test_gap_explorer_callback_error_goes_to_panel(survey, monkeypatch):
    module = sys.modules["dsr_workbench.widgets.gap_explorer"]  # the name is also a function
    explorer = GapExplorer(survey.responses)
    before = explorer.figure

    def broken(table):
        raise DsrError("cannot draw", hint="none")

    monkeypatch.setattr(module, "dumbbell", broken)
    explorer.chart.value = "sides"
    assert explorer.errors.last == "cannot draw (fix: none)"
    assert explorer.figure is before


# --------------------------------------------------------------------------- what-if


def test_weights_move_relationships(survey):
    rel = survey.relationships
    whatif = DifferentiationWhatIf(rel)
    assert whatif.moved.empty
    whatif.sliders[("strategic_importance", "spend_meur")].value = 1.0
    weights = {a: dict(c) for a, c in DEFAULT_WEIGHTS.items()}
    weights["strategic_importance"]["spend_meur"] = 1.0
    total = sum(weights["strategic_importance"].values())
    weights["strategic_importance"] = {
        k: v / total for k, v in weights["strategic_importance"].items()
    }
    expected = segment(rel, weights)
    pd.testing.assert_frame_equal(whatif.moved, quadrant_changes(segment(rel), expected))
    assert len(whatif.moved) > 0
    assert whatif.moved["relationship_id"].iloc[0] in whatif.changes.value
    offsets = whatif.figure.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], expected.table["x_score"])
    whatif.reset_button.click()
    assert whatif.moved.empty


def test_zero_weights_show_error(survey):
    whatif = DifferentiationWhatIf(survey.relationships)
    for (axis, _), slider in whatif.sliders.items():
        if axis == "intensity":
            slider.value = 0.0
    assert "every weight of axis 'intensity' is zero" in whatif.errors.last


def test_median_cutoffs(survey):
    whatif = DifferentiationWhatIf(survey.relationships)
    whatif.cutoff_mode.value = "median"
    assert whatif.cutoff_x.disabled
    assert whatif.segmentation.cutoffs == segment(survey.relationships, cutoffs="median").cutoffs


# --------------------------------------------------------------------------- evaluation form


@pytest.fixture
def evaluations(study, tmp_path: Path) -> Path:
    folder = tmp_path / "evaluations"
    shutil.copytree(study.data_dir / "evaluations", folder)
    write_episode(
        folder,
        "FG9-live",
        cycle=2,
        artifact="partner-differentiation",
        version="v2",
        purpose="formative",
        paradigm="artificial",
        method="focus group",
        date="2026-06-20",
        participants={"P01": "client", "P07": "cmo", "P10": "cmo"},
    )
    return folder


def test_rating_is_stored_at_once_and_summary_follows(study, evaluations):
    form = EvaluationForm(evaluations, participants=study.participants, cycle=2, episode="FG9-live")
    assert form.summary is None and form.figure is None
    form.participant.value = "P07"
    form.ratings["usefulness"].value = 4
    log = evaluations / "ratings" / "FG9-live.jsonl"
    (event,) = _lines(log)
    assert {k: event[k] for k in ("episode", "participant", "criterion", "rating")} == {
        "episode": "FG9-live",
        "participant": "P07",
        "criterion": "usefulness",
        "rating": 4,
    }
    form.comments["usefulness"].value = "clear quadrants"
    assert [e["comment"] for e in _lines(log)] == ["", "clear quadrants"]
    form.participant.value = "P10"
    form.ratings["usefulness"].value = 2
    current = load_evaluations(evaluations, study.participants)
    expected = rating_summary(current[current["episode"] == "FG9-live"], by=["criterion"])
    pd.testing.assert_frame_equal(form.summary, expected)
    assert form.summary["mean"].tolist() == [3.0]
    x_labels = [t.get_text() for t in form.figure.axes[0].get_xticklabels()]
    assert x_labels == ["C2 v1", "C2 v2"]  # the live episode joins the artifact's history


def test_switching_participant_loads_without_writing(study, evaluations):
    form = EvaluationForm(evaluations, participants=study.participants, cycle=2, episode="FG2-tool")
    log = evaluations / "ratings" / "FG2-tool.jsonl"
    before = log.read_bytes()
    form.participant.value = "P06"
    given = [e for e in _lines(log) if e["participant"] == "P06"]
    assert {c: t.value for c, t in form.ratings.items()} == {
        e["criterion"]: e["rating"] for e in given
    }
    assert log.read_bytes() == before
    assert "Daniel (P06, client)" in [label for label, _ in form.participant.options]


def test_rating_error_is_shown(study, evaluations):
    form = EvaluationForm(evaluations, participants=study.participants, episode="FG9-live")
    (evaluations / "episodes" / "FG9-live.yaml").unlink()  # gone mid-session
    form.ratings["completeness"].value = 3
    assert "unknown episode 'FG9-live'" in form.errors.last
    assert not (evaluations / "ratings" / "FG9-live.jsonl").exists()


def test_form_without_episode_says_so(study, tmp_path):
    form = EvaluationForm(tmp_path / "none", participants=study.participants, cycle=1)
    assert "No evaluation episode for cycle 1" in form.notes.lines[0]
    assert form.ratings["usefulness"].disabled


# --------------------------------------------------------------------------- facilitator


def test_presentation_unknown_cycle(study):
    with pytest.raises(DsrError, match="cycle 7 is not in study.yaml"):
        presentation.cycle_title(study, 7)


def test_live_views_of_a_cycle(study, survey):
    live = presentation.live_views(study, survey, 3)
    assert set(live.form.panels["cycle"]) == {3}
    assert live.tabs.children == (live.gap.widget, live.differentiation.widget)
    assert "open in Voila" in live._repr_mimebundle_()["text/plain"]


def test_present_command_rejects_unknown_cycle(study):
    from dsr_workbench.cli import present_cmds

    parser = argparse.ArgumentParser()
    present_cmds.register(parser.add_subparsers())
    args = parser.parse_args(["present", "9", "--no-browser"])
    args.study = str(study.path)
    with pytest.raises(DsrError, match="cycle 9 is not in study.yaml"):
        args.handler(args)


def test_serve_missing_notebook(tmp_path):
    from dsr_workbench.widgets.serve import serve_notebook

    with pytest.raises(DsrError, match="notebook not found"):
        serve_notebook(tmp_path / "nope.ipynb")
