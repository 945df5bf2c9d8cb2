"""Tests of dsr_workbench.analysis.differentiation: partner differentiation."""

from __future__ import annotations

import pandas as pd
import pytest

from dsr_workbench.analysis.differentiation import (
    APPROACHES,
    DEFAULT_WEIGHTS,
    cluster,
    cluster_quality,
    segment,
    weight_sensitivity,
)
from dsr_workbench.analysis.survey import make_survey
from dsr_workbench.core.errors import DsrError

WEIGHTS = {"importance": {"a": 0.75, "b": 0.25}, "intensity": {"c": 1.0}}
RANGES = {"a": (1, 7), "b": (1, 7), "c": (1, 7)}


@pytest.fixture
def portfolio():
    return pd.DataFrame(
        {
            "relationship_id": ["R1", "R2", "R3", "R4"],
            "a": [7, 7, 1, 4],
            "b": [7, 1, 1, 4],
            "c": [7, 1, 7, 4],
        }
    )


def test_scores_and_quadrants_by_hand(portfolio):
    seg = segment(portfolio, WEIGHTS, ranges=RANGES)
    t = seg.table.set_index("relationship_id")
    # rescaled to [0, 1] over 1-7: a = (1, 1, 0, .5), b = (1, 0, 0, .5), c = (1, 0, 1, .5)
    # x = .75 a + .25 b = (1, .75, 0, .5); y = c
    assert t["x_score"].tolist() == pytest.approx([1.0, 0.75, 0.0, 0.5])
    assert t["y_score"].tolist() == pytest.approx([1.0, 0.0, 1.0, 0.5])
    # a score on the cut-off (R4: 0.5, 0.5) counts as high
    assert t["quadrant"].tolist() == [
        "strategic partnership",
        "develop",
        "manage dependency",
        "strategic partnership",
    ]
    assert t.loc["R2", "approach"] == APPROACHES[(True, False)][1]
    assert seg.axes == ("importance", "intensity") and seg.cutoffs == (0.5, 0.5)


def test_median_cutoffs_and_min_max_rescaling(portfolio):
    seg = segment(portfolio, WEIGHTS, cutoffs="median", ranges={})
    # without ranges each criterion is rescaled over the data (here also 1..7): medians of
    # x (1, .75, 0, .5) and y (1, 0, 1, .5) are .625 and .75
    assert seg.cutoffs == pytest.approx((0.625, 0.75))
    assert seg.table["quadrant"].tolist() == [
        "strategic partnership",
        "develop",
        "manage dependency",
        "transactional",
    ]


def test_weight_sensitivity_leaves_relationships_clear_of_the_cutoff_alone(portfolio):
    data = portfolio.assign(b=[7, 1, 1, 3])
    s = weight_sensitivity(data, WEIGHTS, perturbation=0.2, ranges=RANGES)
    assert {"axis", "criterion", "perturbation", "base_quadrant", "quadrant", "changed"} <= set(
        s.columns
    )
    assert len(s) == 3 * 2 * 4  # 3 criteria x (-20 %, +20 %) x 4 relationships
    # R4: a = .5, b = 2/6 -> x = .75 * .5 + .25 * .3333 = .4583 (low). +20 % on a: weights
    # .9/1.15 and .25/1.15 -> x = .4638; -20 % on b: .75/.95 and .2/.95 -> x = .4649;
    # +20 % on b: .75/1.05, .3/1.05 -> .4524; -20 % on a: .6/.85, .25/.85 -> .4510: all low.
    # The others sit at x = 1, .75 or 0 and y = 0 or 1, far from .5. The single-criterion
    # intensity axis renormalises back to weight 1 and cannot move anything.
    assert not s["changed"].any()


def test_weight_sensitivity_reports_a_change_by_hand():
    data = pd.DataFrame({"relationship_id": ["R1", "R2"], "a": [7, 1], "b": [1, 7], "c": [4, 4]})
    weights = {"importance": {"a": 0.55, "b": 0.45}, "intensity": {"c": 1.0}}
    s = weight_sensitivity(data, weights, perturbation=0.25, ranges=RANGES)
    # R1: x = a's weight (a = 1, b = 0) = .55 (high). a -25 %: .4125 / (.4125 + .45) = .478
    # -> low, so R1 changes; a +25 % keeps it high. R2: x = b's weight = .45 (low);
    # a -25 % raises b's share to .522 -> high. b +25 %: .5625 / 1.1125 = .506 -> R2 high,
    # R1 .494 -> low. b -25 %: R2 .3375 / .8875 = .38 (low), R1 .62 (high).
    changed = s[s["changed"]]
    assert sorted(
        map(tuple, changed[["criterion", "perturbation", "relationship_id"]].values.tolist())
    ) == [
        ("a", -0.25, "R1"),
        ("a", -0.25, "R2"),
        ("b", 0.25, "R1"),
        ("b", 0.25, "R2"),
    ]


def test_example_relationships_segment_into_all_quadrants():
    seg = segment(make_survey().relationships, DEFAULT_WEIGHTS)
    assert set(seg.table["quadrant"]) == {q for q, _ in APPROACHES.values()}
    assert seg.table["x_score"].between(0, 1).all() and seg.table["y_score"].between(0, 1).all()


def test_silhouette_by_hand():
    data = pd.DataFrame({"relationship_id": list("abcd"), "x": [0.0, 1.0, 10.0, 11.0]})
    table = cluster(data, ["x"], n_clusters=2)
    # Rousseeuw (1987): s = (b - a) / max(a, b). Point 0: a = 1, b = (10 + 11) / 2 = 10.5
    # -> 1 - 1/10.5 = .904762; point 1: a = 1, b = (9 + 10) / 2 = 9.5 -> .894737.
    # (z-scoring a single column rescales all distances alike and leaves s unchanged.)
    assert table["silhouette"].tolist() == pytest.approx(
        [0.904762, 0.894737, 0.894737, 0.904762], abs=1e-6
    )
    assert table["cluster"].iloc[0] == table["cluster"].iloc[1] != table["cluster"].iloc[2]


def test_ward_and_cluster_quality_pick_the_obvious_k():
    data = pd.DataFrame(
        {
            "relationship_id": [f"R{i}" for i in range(9)],
            "x": [0, 0.1, 0.2, 5, 5.1, 5.2, 10, 10.1, 10.2],
            "y": [0, 0.2, 0.1, 5, 5.2, 5.1, 0, 0.1, 0.2],
        }
    )
    ward = cluster(data, ["x", "y"], method="ward", n_clusters=3)
    assert ward["cluster"].nunique() == 3
    quality = cluster_quality(data, ["x", "y"], k_range=range(2, 6))
    assert quality.loc[quality["silhouette"].idxmax(), "k"] == 3


# --------------------------------------------------------------------------- bad input


def test_weights_that_do_not_sum_to_one(portfolio):
    with pytest.raises(DsrError, match="weights of axis 'importance' sum to 0.9, not 1"):
        segment(portfolio, {"importance": {"a": 0.6, "b": 0.3}, "intensity": {"c": 1.0}})


def test_negative_weight(portfolio):
    with pytest.raises(DsrError, match=r"key 'weights.importance.b': weight -0.5 is negative"):
        segment(portfolio, {"importance": {"a": 1.5, "b": -0.5}, "intensity": {"c": 1.0}})


def test_unknown_criterion(portfolio):
    with pytest.raises(DsrError, match="criterion 'cc' is not a column.*did you mean 'c'"):
        segment(portfolio, {"importance": {"a": 1.0}, "intensity": {"cc": 1.0}})


def test_three_axes(portfolio):
    with pytest.raises(DsrError, match="weights define 3 axis/axes"):
        segment(portfolio, {"x": {"a": 1.0}, "y": {"b": 1.0}, "z": {"c": 1.0}})


def test_missing_criterion_value(portfolio):
    data = portfolio.astype({"c": float})
    data.loc[2, "c"] = float("nan")
    with pytest.raises(DsrError, match="criterion 'c' is missing or not numeric in row 2"):
        segment(data, WEIGHTS)


def test_value_outside_its_range(portfolio):
    with pytest.raises(DsrError, match="criterion 'c' has values outside its range 1-5"):
        segment(portfolio, WEIGHTS, ranges={"c": (1, 5)})


def test_too_many_clusters():
    data = pd.DataFrame({"relationship_id": list("abc"), "x": [0.0, 1.0, 2.0]})
    with pytest.raises(DsrError, match="n_clusters=3 needs 2 <= k < 3"):
        cluster(data, ["x"], n_clusters=3)
