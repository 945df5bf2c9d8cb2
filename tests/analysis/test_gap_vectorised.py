"""The vectorised Relationship Gap equals the per-item computation it replaced.

``_reference_*`` below is the implementation of ``analysis/gap.py`` before the vectorisation
(one pivot, two ``scipy.stats.wilcoxon`` calls per item and kind, statsmodels' Holm), kept
verbatim apart from names so that every result of the new code can be compared with it
exactly (``check_exact=True``): on the example study's survey and on random surveys with
missing answers, ties, zero differences, small and large samples.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from dsr_workbench.analysis.gap import (
    GAP_COLUMNS,
    SERVQUAL_COLUMNS,
    dyad_table,
    relationship_gap,
    servqual_gap,
    side_scores,
)
from dsr_workbench.analysis.gap_tests import (
    _bootstrap,
    _check_both_sides,
    _check_kinds,
    _check_options,
    _drop_one_sided,
    _mean,
    _mean_axis,
    _paired,
    _select,
    _test_options,
    _unpaired,
    holm_adjust,
)
from dsr_workbench.analysis.survey import make_survey, read_survey, validate_responses

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- the old code


def _reference_paired(d, *, zero_method, alternative, confidence, n_resamples, ci_method, rng):
    out = {
        "mean_gap": _mean(d),
        "median_gap": float(np.median(d)) if len(d) else np.nan,
        "test": "wilcoxon",
        "zero_method": zero_method,
        "statistic": np.nan,
        "p_value": np.nan,
        "rank_biserial": np.nan,
    }
    out.update(_bootstrap((d,), _mean_axis, confidence, n_resamples, ci_method, rng))
    n = len(d)
    if n == 0:
        return out
    if not np.any(d):
        out.update(statistic=0.0, p_value=1.0, rank_biserial=0.0)
        return out
    res = stats.wilcoxon(d, zero_method=zero_method, alternative=alternative)
    t_plus = stats.wilcoxon(d, zero_method=zero_method, alternative="greater").statistic
    z = int(np.sum(d == 0))
    total = {
        "wilcox": (n - z) * (n - z + 1) / 2,
        "pratt": n * (n + 1) / 2 - z * (z + 1) / 2,
        "zsplit": n * (n + 1) / 2,
    }[zero_method]
    out.update(
        statistic=float(res.statistic),
        p_value=float(res.pvalue),
        rank_biserial=float(2 * t_plus / total - 1),
    )
    return out


def _reference_holm(table, family):
    adjusted = pd.Series(np.nan, index=table.index)
    for _, rows in table.groupby(family, sort=False):
        p = rows["p_value"].astype(float)
        ok = p.notna()
        if ok.any():
            adjusted[p[ok].index] = multipletests(p[ok].to_numpy(), method="holm")[1]
    return adjusted


def _reference_relationship_gap(
    responses,
    *,
    kinds=None,
    level="item",
    paired=True,
    zero_method="wilcox",
    alternative="two-sided",
    confidence=0.95,
    n_resamples=2000,
    ci_method="BCa",
    seed=0,
):
    _check_options(zero_method, confidence, n_resamples)
    scores = side_scores(responses, level=level, kinds=kinds)
    _check_both_sides(scores, ("client", "cmo"), "perspective")
    if paired:
        scores = _drop_one_sided(scores)
    options = _test_options(zero_method, alternative, confidence, n_resamples, ci_method, seed)
    rows = []
    for (kind, item, construct), group in scores.groupby(["kind", "item", "construct"], sort=False):
        wide = group.pivot(index="relationship_id", columns="perspective", values="value")
        if paired:
            pairs = wide.dropna()
            x, y = pairs["client"].to_numpy(), pairs["cmo"].to_numpy()
            result = _reference_paired(x - y, **options)
            n_pairs = len(pairs)
        else:
            x, y = wide["client"].dropna().to_numpy(), wide["cmo"].dropna().to_numpy()
            result = _unpaired(x, y, **options)
            n_pairs = np.nan
        rows.append(
            {
                "kind": kind,
                "item": item,
                "construct": construct,
                "n_pairs": n_pairs,
                "n_client": len(x),
                "n_cmo": len(y),
                "mean_client": _mean(x),
                "mean_cmo": _mean(y),
                **result,
            }
        )
    out = pd.DataFrame(rows, columns=list(GAP_COLUMNS))
    out["n_pairs"] = out["n_pairs"].astype("Int64")
    out["p_holm"] = _reference_holm(out, "kind")
    return out


def _reference_servqual_gap(responses, *, level="item", zero_method="wilcox", n_resamples=2000):
    scores = side_scores(responses, level=level, kinds=["expectation", "perception"])
    _check_both_sides(scores, ("expectation", "perception"), "kind")
    options = _test_options(zero_method, "two-sided", 0.95, n_resamples, "BCa", 0)
    rows = []
    for (perspective, item, construct), group in scores.groupby(
        ["perspective", "item", "construct"], sort=False
    ):
        wide = group.pivot(index="relationship_id", columns="kind", values="value").dropna()
        e, p = wide["expectation"].to_numpy(), wide["perception"].to_numpy()
        rows.append(
            {
                "perspective": perspective,
                "item": item,
                "construct": construct,
                "n_pairs": len(wide),
                "mean_expectation": _mean(e),
                "mean_perception": _mean(p),
                **_reference_paired(e - p, **options),
            }
        )
    out = pd.DataFrame(rows, columns=list(SERVQUAL_COLUMNS))
    out["p_holm"] = _reference_holm(out, "perspective")
    return out


# --------------------------------------------------------------------------- data


def _reference_side_scores(responses, *, level="item", kinds=None, items=None, constructs=None):
    # side_scores before its numpy grouping (two groupby passes and a sort on mapped ranks)
    data = validate_responses(responses)
    kinds = _check_kinds(data, kinds)
    data = _select(data[data["kind"].isin(kinds)], items, constructs)
    name = "construct" if level == "construct" else "item"
    order = {v: i for i, v in enumerate(pd.unique(data[name]))}
    data = data[data["value"].notna()]
    if level == "construct":
        keys = ["relationship_id", "respondent", "perspective", "kind", "construct"]
        data = data.groupby(keys, sort=False, as_index=False)["value"].mean()
        data["item"] = data["construct"]
    keys = ["relationship_id", "perspective", "kind", "item", "construct"]
    out = data.groupby(keys, sort=False, as_index=False).agg(
        n_respondents=("respondent", "nunique"), value=("value", "mean")
    )
    rank = pd.DataFrame({"k": out["kind"].map(kinds.index), "i": out["item"].map(order)})
    return out.loc[rank.sort_values(["k", "i"], kind="stable").index].reset_index(drop=True)


@pytest.fixture(scope="module")
def study_responses():
    return read_survey(ROOT / "data" / "survey").responses


def _holey(n: int, seed: int, share: float = 0.15) -> pd.DataFrame:
    """A random survey of ``n`` relationships with a share of answers left empty."""
    responses = make_survey(n, seed=seed, one_sided=0).responses.copy()
    rng = np.random.default_rng(seed)
    responses.loc[rng.random(len(responses)) < share, "value"] = np.nan
    return responses


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


# --------------------------------------------------------------------------- Holm


@pytest.mark.parametrize("m", [1, 2, 5, 24, 200])
def test_holm_equals_statsmodels_on_random_p_values(m):
    rng = np.random.default_rng(m)
    for p in (
        rng.random(m),
        rng.random(m) ** 4,  # many small ones: several adjusted values clip at 1 or tie
        np.round(rng.random(m), 2),  # tied p-values
        np.where(rng.random(m) < 0.3, 1.0, rng.random(m) / 100),
    ):
        np.testing.assert_array_equal(holm_adjust(p), multipletests(p, method="holm")[1])


def test_holm_worked_example():
    # Wikipedia, "Holm–Bonferroni method", section "Example": p-values 0.01, 0.04, 0.03,
    # 0.005 at α = 0.05; "hypotheses one and four are rejected while hypotheses two and
    # three are not". Adjusted p-values by the article's formula
    # p̃(i) = max_{j ≤ i} min(1, (m − j + 1) p(j)): 0.005·4, 0.01·3, 0.03·2, max(0.06, 0.04·1).
    adjusted = holm_adjust(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    assert (adjusted <= 0.05).tolist() == [True, False, False, True]


def test_holm_against_published_adjusted_p_values():
    # Published inputs *and* published adjusted p-values (not derived here): the Examples of
    # pingouin's documentation, `pingouin.multicomp` / `pingouin.holm` (raphaelvallat/pingouin,
    # pingouin/multicomp.py): p = [.50, .003, .32, .054, .0003] with method="holm" prints
    # "[0.64   0.012  0.64   0.162  0.0015]" and rejects tests 2 and 5 at α = .05.
    adjusted = holm_adjust(np.array([0.50, 0.003, 0.32, 0.054, 0.0003]))
    np.testing.assert_allclose(adjusted, [0.64, 0.012, 0.64, 0.162, 0.0015], rtol=1e-12)
    assert (adjusted < 0.05).tolist() == [False, True, False, False, True]
    # The same docs, "Holm correction with missing values": the third p-value set to NaN
    # (pingouin leaves it out, m = 4) prints "[0.5    0.009     nan 0.108  0.0012]";
    # holm_adjust takes the four finite p-values, as relationship_gap passes them.
    adjusted = holm_adjust(np.array([0.50, 0.003, 0.054, 0.0003]))
    np.testing.assert_allclose(adjusted, [0.5, 0.009, 0.108, 0.0012], rtol=1e-12)


def test_holm_of_no_p_values_is_empty():
    assert holm_adjust(np.array([])).shape == (0,)


# --------------------------------------------------------------------------- signed rank


def _differences(rng: np.random.Generator) -> list[np.ndarray]:
    """Arrays that exercise every branch of scipy's method choice, zero handling and ties."""
    ds = [np.array([]), np.zeros(7), np.array([0.0, 0.0, 1.0])]
    for n in (1, 2, 5, 9, 14, 30, 50, 51, 80):
        ds.append(rng.normal(size=n))  # no ties, no zeros: exact up to 50
        ds.append(rng.integers(-3, 4, size=n).astype(float))  # ties and zeros
        ds.append(rng.integers(1, 4, size=n) * rng.choice([-1.0, 1.0], size=n))  # ties only
        with_zero = rng.normal(size=n)
        with_zero[0] = 0.0
        ds.append(with_zero)  # one zero, no ties
    return ds


@pytest.mark.parametrize("zero_method", ["wilcox", "pratt", "zsplit"])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_vectorised_signed_rank_equals_one_scipy_call_per_array(zero_method, alternative):
    ds = _differences(np.random.default_rng(7))
    options = dict(
        zero_method=zero_method,
        alternative=alternative,
        confidence=0.9,
        n_resamples=99,
        ci_method="percentile",
    )
    new = _quiet(_paired, ds, **options, rng=np.random.default_rng(3))
    rng = np.random.default_rng(3)
    old = [_quiet(_reference_paired, d, **options, rng=rng) for d in ds]
    pd.testing.assert_frame_equal(pd.DataFrame(new), pd.DataFrame(old), check_exact=True)


def test_thirteen_tied_differences_get_the_same_permutation_p_value():
    # 13 is the largest sample for which scipy enumerates the permutations (ties or zeros).
    d = np.array([1.0, -1, 2, 2, -3, 0, 4, 5, -6, 7, 8, 9, 10])
    ds = [d, d[::-1] - 1, np.array([0.5, -0.5, 1, 2, 3])]
    options = dict(
        zero_method="pratt",
        alternative="two-sided",
        confidence=0.9,
        n_resamples=0,
        ci_method="BCa",
        rng=np.random.default_rng(0),
    )
    new = _quiet(_paired, ds, **options)
    old = [_quiet(_reference_paired, x, **options) for x in ds]
    pd.testing.assert_frame_equal(pd.DataFrame(new), pd.DataFrame(old), check_exact=True)


# --------------------------------------------------------------------------- whole tables


@pytest.mark.parametrize("level", ["item", "construct"])
@pytest.mark.parametrize("paired", [True, False])
def test_relationship_gap_on_the_example_study_is_unchanged(study_responses, level, paired):
    kwargs = dict(level=level, paired=paired, n_resamples=200)
    new = _quiet(relationship_gap, study_responses, **kwargs)
    old = _quiet(_reference_relationship_gap, study_responses, **kwargs)
    pd.testing.assert_frame_equal(new, old, check_exact=True)


@pytest.mark.parametrize(
    ("n", "seed", "zero_method", "level"),
    [
        (8, 1, "wilcox", "item"),  # small: permutation p-values
        (9, 2, "pratt", "construct"),
        (40, 3, "zsplit", "construct"),
        (40, 4, "wilcox", "item"),
        (70, 5, "wilcox", "construct"),  # more than 50 pairs: asymptotic throughout
    ],
)
def test_relationship_gap_on_random_surveys_with_gaps_is_unchanged(n, seed, zero_method, level):
    responses = _holey(n, seed)
    kwargs = dict(level=level, zero_method=zero_method, n_resamples=50, seed=seed)
    new = _quiet(relationship_gap, responses, **kwargs)
    old = _quiet(_reference_relationship_gap, responses, **kwargs)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert new["n_pairs"].nunique() > 1  # the missing answers did make the samples unequal


def test_relationship_gap_with_one_sided_relationships_is_unchanged():
    responses = make_survey(30, seed=9, one_sided=4).responses
    new = _quiet(relationship_gap, responses, n_resamples=0)
    old = _quiet(_reference_relationship_gap, responses, n_resamples=0)
    pd.testing.assert_frame_equal(new, old, check_exact=True)


@pytest.mark.parametrize(("data", "level"), [("study", "item"), ("holey", "construct")])
def test_servqual_gap_is_unchanged(study_responses, data, level):
    responses = study_responses if data == "study" else _holey(25, 11)
    new = _quiet(servqual_gap, responses, level=level, n_resamples=30)
    old = _quiet(_reference_servqual_gap, responses, level=level, n_resamples=30)
    pd.testing.assert_frame_equal(new, old, check_exact=True)


# --------------------------------------------------------------------------- side scores


@pytest.mark.parametrize("level", ["item", "construct"])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"kinds": ["perception", "expectation"]},  # kinds in the caller's order
        {"kinds": ["perception"], "constructs": ["trust", "flexibility"]},
        {"items": ["trust_1", "governance_2", "trust_2"]},
    ],
)
@pytest.mark.parametrize("seed", [0, 3])
def test_side_scores_equal_the_groupby_computation(study_responses, level, options, seed):
    # the numpy grouping against the two groupby passes it replaced, exactly (values, dtypes,
    # order): the example study, and a random survey with empty answers, its rows shuffled
    # (group order is order of first appearance) and a third respondent on some sides
    holey = _holey(30, seed, share=0.25)
    extra = holey[holey["relationship_id"].isin(["CMR03", "CMR07"])].copy()
    extra["respondent"] = extra["respondent"] + "b"
    holey = pd.concat([holey, extra], ignore_index=True)
    holey = holey.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    for responses in (study_responses, holey):
        if "items" in options and not set(options["items"]) <= set(responses["item"]):
            continue
        new = side_scores(responses, level=level, **options)
        old = _reference_side_scores(responses, level=level, **options)
        pd.testing.assert_frame_equal(new, old, check_exact=True)


def _reference_dyad_table(responses, *, level, relationships=None):
    # dyad_table before its numpy reshaping (pivot_table)
    scores = side_scores(responses, level=level, kinds=["expectation", "perception"])
    if relationships is not None:
        scores = scores[scores["relationship_id"].isin(relationships)]
    keys = ["relationship_id", "kind", "item", "construct"]
    wide = scores.pivot_table(index=keys, columns="perspective", values="value", sort=False)
    wide = wide.reindex(columns=["client", "cmo"]).reset_index()
    wide.columns.name = None
    wide["gap"] = wide["client"] - wide["cmo"]
    return wide


@pytest.mark.parametrize("level", ["item", "construct"])
@pytest.mark.parametrize("relationships", [None, ["CMR05", "CMR02"]])
def test_dyad_table_equals_the_pivot_table(study_responses, level, relationships):
    # one-sided relationships (a side of NaN) included: make_survey's default has some
    for responses in (study_responses, make_survey(30, seed=2).responses, _holey(20, 5)):
        new = _quiet(dyad_table, responses, level=level, relationships=relationships)
        old = _quiet(_reference_dyad_table, responses, level=level, relationships=relationships)
        pd.testing.assert_frame_equal(new, old, check_exact=True)
