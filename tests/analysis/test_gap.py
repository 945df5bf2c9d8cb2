"""Tests of dsr_workbench.analysis.gap: the Relationship Gap and the SERVQUAL-style gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dsr_workbench.analysis.gap import (
    GAP_COLUMNS,
    SERVQUAL_COLUMNS,
    dyad_table,
    relationship_gap,
    servqual_gap,
    side_scores,
)
from dsr_workbench.analysis.survey import RESPONSE_COLUMNS, SurveyWarning, make_survey
from dsr_workbench.core.errors import DsrError

# Darwin's Zea mays data: cross- minus self-fertilised height differences (eighths of an
# inch) of 15 pairs, Fisher (1935), *The Design of Experiments*, section 17.
ZEA_MAYS = np.array([6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75])


def responses_from(client, cmo, *, item="trust_1", construct="trust", kind="perception"):
    """One relationship per pair: client answer ``client[i]``, CMO answer ``cmo[i]``."""
    rows = []
    for i, (a, b) in enumerate(zip(client, cmo, strict=True)):
        rid = f"R{i:02d}"
        for side, value in (("client", a), ("cmo", b)):
            if value is not None:
                rows.append((rid, f"{rid}-{side}", side, item, construct, kind, value))
    return pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))


@pytest.fixture(scope="module")
def survey():
    return make_survey()


# --------------------------------------------------------------------------- statistics


def test_wilcoxon_on_darwin_zea_mays_matches_published_exact_test():
    data = responses_from(list(100 + ZEA_MAYS), [100] * 15)
    row = relationship_gap(data, kinds=["perception"], scale=(0, 200), n_resamples=0).iloc[0]
    # Exact two-sided Wilcoxon signed-rank test on Darwin's data: T = min(T+, T-) = 24,
    # p = 0.04126 (the worked example of scipy.stats.wilcoxon's documentation, data from
    # Fisher 1935, section 17).
    assert row["statistic"] == 24.0
    assert row["p_value"] == pytest.approx(0.041259765625, abs=1e-9)
    # Rank-biserial by hand (Kerby 2014): |d| ranks 1..15; the negatives -48 and -67 have
    # ranks 10 and 14, so T- = 24, T+ = 120 - 24 = 96 and r = (96 - 24) / 120 = 0.6.
    assert row["rank_biserial"] == pytest.approx(0.6)
    assert row["mean_gap"] == pytest.approx(ZEA_MAYS.mean())
    assert row["test"] == "wilcoxon" and row["zero_method"] == "wilcox"


@pytest.mark.parametrize(
    ("zero_method", "expected"),
    [
        # d = [2, 1, 0, -1, 3, 1] ranked by hand:
        # wilcox drops the zero: |1| x3 -> rank 2 each, 2 -> 4, 3 -> 5; T+ = 13, T- = 2, r = 11/15
        ("wilcox", 11 / 15),
        # pratt ranks the zero (rank 1), then drops it: |1| -> 3 each, 2 -> 5, 3 -> 6;
        # T+ = 17, T- = 3, r = 14/20
        ("pratt", 14 / 20),
        # zsplit gives half the zero's rank to each side: T+ = 17.5, T- = 3.5, r = 14/21
        ("zsplit", 14 / 21),
    ],
)
def test_rank_biserial_by_hand_for_six_pairs(zero_method, expected):
    d = np.array([2, 1, 0, -1, 3, 1])
    data = responses_from(list(4 + d), [4] * 6)
    row = relationship_gap(data, kinds=["perception"], zero_method=zero_method, n_resamples=0).iloc[
        0
    ]
    assert row["rank_biserial"] == pytest.approx(expected)
    assert row["zero_method"] == zero_method
    reference = stats.wilcoxon(d, zero_method=zero_method)
    assert row["statistic"] == reference.statistic
    assert row["p_value"] == pytest.approx(reference.pvalue)


def test_all_zero_differences_give_no_evidence_of_a_gap():
    row = relationship_gap(responses_from([5, 5, 5], [5, 5, 5]), n_resamples=100).iloc[0]
    assert (row["p_value"], row["rank_biserial"], row["ci_low"], row["ci_high"]) == (
        1.0,
        0.0,
        0.0,
        0.0,
    )


def test_mann_whitney_for_unpaired_sides_by_hand():
    # Client answers from R00-R02, CMO answers from R03-R05: no relationship has both sides.
    data = responses_from([1, 2, 3, None, None, None], [None, None, None, 4, 5, 6])
    row = relationship_gap(data, paired=False, n_resamples=0).iloc[0]
    # Every client value is below every CMO value: U = 0; exact two-sided p = 2 / C(6, 3)
    # = 0.1; rank-biserial 2U/(n1 n2) - 1 = -1 (hand computed).
    assert (row["test"], row["statistic"], row["rank_biserial"]) == ("mannwhitneyu", 0.0, -1.0)
    assert row["p_value"] == pytest.approx(0.1)
    assert pd.isna(row["zero_method"]) and pd.isna(row["n_pairs"])
    assert (row["n_client"], row["n_cmo"], row["mean_gap"]) == (3, 3, -3.0)


@pytest.mark.filterwarnings("ignore::dsr_workbench.analysis.survey.SurveyWarning")
def test_holm_adjustment_by_hand_within_each_kind(survey):
    table = relationship_gap(survey.responses, level="construct", n_resamples=0)
    for _, rows in table.groupby("kind"):
        p = rows["p_value"].to_numpy()
        order = np.argsort(p)
        m = len(p)
        # Holm (1979): the i-th smallest p times (m - i + 1), made monotone, capped at 1.
        stepped = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * p[order]))
        expected = np.empty(m)
        expected[order] = stepped
        np.testing.assert_allclose(rows["p_holm"].to_numpy(), expected)


def test_bootstrap_interval_is_scipys_for_the_same_seed():
    client, cmo = [5, 6, 4, 7, 5, 6, 3, 6], [4, 4, 4, 5, 6, 4, 3, 5]
    row = relationship_gap(responses_from(client, cmo), n_resamples=999, seed=7).iloc[0]
    d = np.array(client, float) - np.array(cmo, float)
    ref = stats.bootstrap(
        (d,), np.mean, n_resamples=999, method="BCa", rng=np.random.default_rng(7)
    ).confidence_interval
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref.low, ref.high))
    assert row["ci_low"] < row["mean_gap"] < row["ci_high"]


def test_servqual_gap_is_expectation_minus_perception_per_side():
    rows = []
    for i, (e, p) in enumerate([(7, 4), (6, 5), (6, 6), (7, 3), (5, 4), (6, 4)]):
        for side, shift in (("client", 0), ("cmo", -1)):
            for kind, value in (("expectation", e), ("perception", p + shift)):
                rows.append((f"R{i}", f"R{i}{side}", side, "trust_1", "trust", kind, value))
    data = pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))
    table = servqual_gap(data, n_resamples=0)
    assert list(table.columns) == list(SERVQUAL_COLUMNS)
    client = table.set_index("perspective").loc["client"]
    # client gaps E - P = [3, 1, 0, 4, 1, 2]: mean 11/6; wilcox ranks of [3, 1, 4, 1, 2]:
    # 1 -> 1.5 (x2), 2 -> 3, 3 -> 4, 4 -> 5; all positive, so r = +1.
    assert client["mean_gap"] == pytest.approx(11 / 6)
    assert client["rank_biserial"] == 1.0
    assert client["p_value"] == pytest.approx(stats.wilcoxon([3, 1, 0, 4, 1, 2]).pvalue)
    cmo = table.set_index("perspective").loc["cmo"]
    assert cmo["mean_gap"] == pytest.approx(11 / 6 + 1)


def test_construct_level_averages_items_then_respondents():
    rows = [
        ("R1", "A", "client", "trust_1", "trust", "perception", 4),
        ("R1", "A", "client", "trust_2", "trust", "perception", 6),
        ("R1", "B", "client", "trust_1", "trust", "perception", 2),
        ("R1", "C", "cmo", "trust_1", "trust", "perception", 3),
    ]
    data = pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))
    scores = side_scores(data, level="construct").set_index("perspective")
    # respondent A: (4 + 6) / 2 = 5, respondent B: 2 -> client side (5 + 2) / 2 = 3.5
    assert scores.loc["client", "value"] == 3.5
    assert scores.loc["client", "n_respondents"] == 2


def test_gap_table_has_the_documented_columns_and_order(survey):
    with pytest.warns(SurveyWarning):
        table = relationship_gap(survey.responses, n_resamples=0)
    assert list(table.columns) == list(GAP_COLUMNS)
    assert table["item"].tolist()[:3] == ["trust_1", "trust_2", "communication_1"]
    assert set(table["kind"]) == {"expectation", "perception"}


def test_dyad_table_gap_is_client_minus_cmo_and_keeps_one_sided_relationships(survey):
    table = dyad_table(survey.responses, kinds=["perception"])
    np.testing.assert_allclose(table["gap"], table["client"] - table["cmo"])
    assert table.loc[table["relationship_id"] == "CMR40", "cmo"].isna().all()


def test_input_is_not_mutated(survey):
    before = survey.responses.copy()
    relationship_gap(survey.responses.iloc[:400], n_resamples=0, paired=False)
    pd.testing.assert_frame_equal(survey.responses, before)


# --------------------------------------------------------------------------- bad input


def test_dyad_with_one_side_only_is_dropped_with_a_warning(survey):
    with pytest.warns(SurveyWarning, match="one side only.*CMR40"):
        table = relationship_gap(
            survey.responses, kinds=["perception"], level="construct", n_resamples=0
        )
    assert table["n_pairs"].max() <= 39


def test_pairing_requested_but_no_relationship_has_both_sides():
    data = responses_from([1, 2, 3, None, None, None], [None, None, None, 4, 5, 6])
    with pytest.raises(DsrError, match="no relationship has answers from both.*paired=False"):
        relationship_gap(data)


def test_item_present_for_one_side_only():
    data = pd.concat(
        [
            responses_from([4, 5], [5, 6]),
            responses_from([4, 5], [None, None], item="flexibility_1", construct="flexibility"),
        ]
    )
    with pytest.raises(DsrError, match="item 'flexibility_1' .* has no cmo answers"):
        relationship_gap(data)


@pytest.mark.parametrize(("argument", "name"), [("items", "trust_3"), ("constructs", "trsut")])
def test_unknown_item_or_construct_name(survey, argument, name):
    with pytest.raises(DsrError, match=f"unknown {argument[:-1]} '{name}'.*did you mean"):
        relationship_gap(survey.responses, **{argument: [name]})


def test_likert_value_out_of_range():
    data = responses_from([4, 8], [4, 5])
    with pytest.raises(
        DsrError, match=r"row \d+: perception of 'trust_1' .* is 8, outside the scale 1-7"
    ):
        relationship_gap(data)


def test_unknown_zero_method():
    with pytest.raises(DsrError, match="zero_method 'exact' is unknown"):
        relationship_gap(responses_from([4, 5], [4, 5]), zero_method="exact")


def test_servqual_item_without_perceptions():
    data = responses_from([4, 5], [4, 5], kind="expectation")
    with pytest.raises(DsrError, match="no perception answers"):
        servqual_gap(data)
