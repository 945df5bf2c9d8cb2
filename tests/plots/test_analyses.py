"""Tests of the analysis figures: plots.gap, plots.models, plots.differentiation, plots.trajectories.

Each figure is checked for what it draws (the data behind the artists), not for pixels.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

from dsr_workbench.analysis.differentiation import segment, weight_sensitivity
from dsr_workbench.analysis.gap import dyad_table, relationship_gap, servqual_gap
from dsr_workbench.analysis.models import (
    ModelWarning,
    factor_scores,
    fit_success_factors,
    importance_performance,
)
from dsr_workbench.analysis.survey import make_survey
from dsr_workbench.analysis.trajectories import time_in_phase, transition_matrix
from dsr_workbench.core.errors import DsrError
from dsr_workbench.plots import differentiation as pseg
from dsr_workbench.plots import gap as pgap
from dsr_workbench.plots import models as pmodels
from dsr_workbench.plots import trajectories as ptraj


@pytest.fixture(scope="module")
def survey():
    return make_survey(one_sided=0)


@pytest.fixture(scope="module")
def gap_table(survey):
    return relationship_gap(survey.responses, level="construct", n_resamples=200)


def test_gap_bars_draw_the_mean_gaps(gap_table):
    fig = pgap.gap_bars(gap_table)
    assert isinstance(fig, Figure) and [ax.get_title() for ax in fig.axes] == [
        "expectation",
        "perception",
    ]
    perception = gap_table[gap_table["kind"] == "perception"]
    widths = [bar.get_width() for bar in fig.axes[1].patches]
    # bars are drawn bottom-up, so the table's first item is the top (last) bar
    np.testing.assert_allclose(widths[::-1], perception["mean_gap"])
    stars = [c for c in fig.axes[1].collections if c.get_gid() == "holm-stars"]
    at = sorted(tuple(xy) for c in stars for xy in c.get_offsets())
    bars = [b for b in fig.axes[1].patches if b.get_alpha() == 1.0]  # the solid bars
    strong = perception[perception["p_holm"] < 0.05]
    assert len(at) == len(bars) == len(strong) > 0
    assert at == sorted((b.get_width(), b.get_y() + b.get_height() / 2) for b in bars)


def test_gap_bars_accept_the_servqual_table(survey):
    table = servqual_gap(survey.responses, level="construct", n_resamples=0)
    fig = pgap.gap_bars(table)
    assert [ax.get_title() for ax in fig.axes] == ["client", "cmo"]
    assert "expectation − perception" in fig.axes[0].get_xlabel()


def test_dumbbell_places_both_sides(gap_table):
    fig = pgap.dumbbell(gap_table)
    ax = fig.axes[0]
    client, cmo = ax.collections[1], ax.collections[2]
    expectation = gap_table[gap_table["kind"] == "expectation"].iloc[::-1]
    np.testing.assert_allclose(client.get_offsets()[:, 0], expectation["mean_client"])
    np.testing.assert_allclose(cmo.get_offsets()[:, 0], expectation["mean_cmo"])


def test_radar_draws_each_side_of_one_relationship(survey):
    dyads = dyad_table(survey.responses)
    fig = pgap.radar(dyads, "CMR02")
    ax = fig.axes[1]  # perception
    rows = dyads[(dyads["relationship_id"] == "CMR02") & (dyads["kind"] == "perception")]
    client_line = ax.get_lines()[0]
    np.testing.assert_allclose(client_line.get_ydata()[:-1], rows["client"])
    with pytest.raises(DsrError, match="relationship 'CMR99' is not in the table"):
        pgap.radar(dyads, "CMR99")


def test_coefficient_plot_shows_odds_ratios(survey):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        m = fit_success_factors(
            factor_scores(survey.responses), "satisfaction", ["trust", "communication"]
        )
    fig = pmodels.coefficient_plot(m)
    points = fig.axes[0].collections[-1].get_offsets()[:, 0]
    np.testing.assert_allclose(points[::-1], m.table["odds_ratio"].iloc[:2])
    linear = pmodels.coefficient_plot(m, odds_ratio=False)
    assert linear.axes[0].get_xscale() == "linear"


def test_ipa_plot_places_items_and_crosshair(survey):
    ipa = importance_performance(survey.responses)
    fig = pmodels.ipa_plot(ipa)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), ipa[["performance", "importance"]])
    assert ax.lines[0].get_xdata()[0] == ipa["performance_cut"].iloc[0]


def test_quadrant_plot_and_sensitivity_plot(survey):
    seg = segment(survey.relationships)
    fig = pseg.quadrant_plot(seg)
    np.testing.assert_allclose(
        fig.axes[0].collections[0].get_offsets(), seg.table[["x_score", "y_score"]]
    )
    assert fig.axes[0].get_ylabel() == "intensity"
    sens = weight_sensitivity(survey.relationships, perturbation=0.2)
    heat = pseg.sensitivity_plot(sens)
    moved = sens.groupby("relationship_id")["changed"].any()
    assert [t.get_text() for t in heat.axes[0].get_yticklabels()] == moved.index[moved].tolist()
    calm = pseg.sensitivity_plot(sens.assign(changed=False))
    assert calm.axes[0].texts[0].get_text() == "no relationship changes quadrant"


def test_trajectory_plot_draws_every_spell_and_event(survey):
    fig = ptraj.trajectory_plot(survey.phases, survey.events, as_of="2026-06-30")
    ax = fig.axes[0]
    spells = time_in_phase(survey.phases, as_of="2026-06-30", unit="days")
    assert len(ax.patches) == len(spells)
    np.testing.assert_allclose(
        sorted(p.get_width() for p in ax.patches), sorted(spells["duration"])
    )
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(survey.events)


def test_transition_heatmap_annotates_the_matrix(survey):
    matrix = transition_matrix(survey.phases)
    fig = ptraj.transition_heatmap(matrix)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert f"{matrix.loc['commercial', 'post_patent']:.2f}" in texts
    assert fig.axes[0].get_title() == "Phase transitions (row shares)"


def test_gap_panels_put_each_item_on_its_own_row(gap_table):
    # panels share the rows by item name, labelled once on the first panel: an item that one
    # kind lacks leaves its row empty there instead of shifting the others up
    table = gap_table[~((gap_table["kind"] == "perception") & (gap_table["item"] == "trust"))]
    for draw in (pgap.gap_bars, pgap.dumbbell):
        fig = draw(table)
        first, second = fig.axes
        labels = {
            t.get_text(): y
            for t, y in zip(first.get_yticklabels(), first.get_yticks(), strict=True)
        }
        top_down = sorted(labels, key=labels.__getitem__, reverse=True)
        assert top_down == list(dict.fromkeys(gap_table["item"]))  # the table's order
        assert len(second.get_yticks()) == 0 and second.get_ylim() == first.get_ylim()
        perception = table[table["kind"] == "perception"].iloc[::-1]
        if draw is pgap.gap_bars:
            ys = [bar.get_y() + bar.get_height() / 2 for bar in second.patches]
        else:
            ys = list(second.collections[1].get_offsets()[:, 1])
        assert ys == [labels[item] for item in perception["item"]]
        assert labels["trust"] not in ys
