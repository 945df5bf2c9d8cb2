"""Tests of dsr_workbench.analysis.reliability (agreement statistics) and the ``dsr agreement`` CLI.

Every statistic is checked against a published worked example or reference output, cited
beside the assertion.
"""

from __future__ import annotations

import functools
import json

import krippendorff
import numpy as np
import pandas as pd
import pytest

from dsr_workbench.analysis.reliability import COLUMNS, METRICS, agreement, band_alpha, band_kappa
from dsr_workbench.cli import reliability_cmds
from dsr_workbench.core.errors import DsrError, InputError

NA = np.nan


def long_table(matrix, coders=None) -> pd.DataFrame:
    """Coders x units matrix (NaN = missing) -> long (unit, coder, value) table."""
    matrix = np.asarray(matrix, dtype=object)
    coders = coders or [f"c{i + 1}" for i in range(matrix.shape[0])]
    rows = [
        {"unit": j + 1, "coder": coders[i], "value": matrix[i, j]}
        for i in range(matrix.shape[0])
        for j in range(matrix.shape[1])
        if not (isinstance(matrix[i, j], float) and np.isnan(matrix[i, j]))
    ]
    return pd.DataFrame(rows)


def counts_to_long(counts) -> pd.DataFrame:
    """Subjects x categories count table (Fleiss' layout) -> long table, raters numbered."""
    rows = []
    for subject, row in enumerate(np.asarray(counts)):
        values = np.repeat(np.arange(1, len(row) + 1), row)
        rows += [{"unit": subject, "coder": r, "value": v} for r, v in enumerate(values)]
    return pd.DataFrame(rows)


def crosstab_to_long(table) -> pd.DataFrame:
    """Two coders' k x k contingency table (rows: coder A) -> long table."""
    rows, unit = [], 0
    for a, row in enumerate(np.asarray(table)):
        for b, n in enumerate(row):
            for _ in range(n):
                rows += [
                    {"unit": unit, "coder": "A", "value": a},
                    {"unit": unit, "coder": "B", "value": b},
                ]
                unit += 1
    return pd.DataFrame(rows)


def estimate(table: pd.DataFrame, metric: str) -> float:
    return float(table.set_index("metric").loc[metric, "estimate"])


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", sections C-F: 4 observers
# A-D x 12 units, values 1-5, "." = missing.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
    [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
]

# Fleiss (1971), Table 1: psychiatric diagnoses of 30 patients by 6 raters (categories 1-5:
# depression, personality disorder, schizophrenia, neurosis, other); R irr's `diagnoses`.
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories (counts).
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# R package irr (Gamer et al., 0.84), data set `anxiety`: raters 2 and 3, 20 subjects.
ANXIETY_RATER2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
ANXIETY_RATER3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]


# --- Krippendorff's alpha -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "published"),
    [
        ("nominal", 0.743),  # Krippendorff (2011), section C: alpha = .743
        ("ordinal", 0.815),  # Krippendorff (2011), section D: alpha_ordinal = .815
        ("interval", 0.849),  # Krippendorff (2011), section E: alpha_interval = .849
        ("ratio", 0.797),  # Krippendorff (2011), section F: alpha_ratio = .797
    ],
)
def test_alpha_krippendorff_2011_all_levels(level, published):
    table = agreement(long_table(KRIPPENDORFF_2011), level=level, metrics=["krippendorff_alpha"])
    assert round(estimate(table, "krippendorff_alpha"), 3) == published
    # Krippendorff (2011), section C: n = 40 pairable values in 11 units (unit 12 has one).
    assert table.loc[0, "n_pairable"] == 40
    assert table.loc[0, "n_units"] == 11
    assert table.loc[0, "note"] == "1 unit coded by one coder only left out"
    assert table.loc[0, "level"] == level


def test_alpha_ordinal_text_categories_in_order():
    labels = ["very low", "low", "mid", "high", "very high"]
    data = long_table(KRIPPENDORFF_2011)
    data["value"] = pd.Categorical(
        [labels[int(v) - 1] for v in data["value"]], categories=labels, ordered=True
    )
    table = agreement(data, level="ordinal", metrics=["krippendorff_alpha"])
    # Krippendorff (2011), section D: alpha_ordinal = .815 (same data, values as labels)
    assert round(estimate(table, "krippendorff_alpha"), 3) == 0.815


def test_alpha_binary_two_observers_krippendorff_2011_section_a():
    data = long_table([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]])
    # Krippendorff (2011), section A (binary data, two observers, no missing): alpha = .095
    assert round(estimate(agreement(data), "krippendorff_alpha"), 3) == 0.095


def test_alpha_nominal_two_observers_krippendorff_2011_section_b():
    data = long_table(
        ["a a b b d c c c e d d a".split(), "b a b b b c c c e d d d".split()],
        coders=["Ben", "Gerry"],
    )
    # Krippendorff (2011), section B (nominal data, two observers, no missing): alpha = .692
    assert round(estimate(agreement(data), "krippendorff_alpha"), 3) == 0.692


def test_alpha_wikipedia_three_coders_fifteen_units():
    matrix = [
        [NA, NA, NA, NA, NA, 3, 4, 1, 2, 1, 1, 3, 3, NA, 3],
        [1, NA, 2, 1, 3, 3, 4, 3, NA, NA, NA, NA, NA, NA, NA],
        [NA, NA, 2, 1, 3, 4, 4, NA, 2, 1, 1, 3, 3, NA, 4],
    ]
    table = agreement(long_table(matrix), metrics=["krippendorff_alpha"])
    # Wikipedia, "Krippendorff's alpha", "A computational example": alpha_nominal = 0.691
    assert round(estimate(table, "krippendorff_alpha"), 3) == 0.691


def test_alpha_from_long_table_matches_package_on_matrix():
    rng = np.random.default_rng(7)
    matrix = rng.integers(1, 6, size=(3, 2_000)).astype(float)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    data = long_table(matrix).sample(frac=1.0, random_state=1)  # row order must not matter
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ours = estimate(
            agreement(data, level=level, metrics=["krippendorff_alpha"]), "krippendorff_alpha"
        )
        theirs = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
        assert ours == pytest.approx(theirs, rel=1e-12)


def test_bootstrap_ci_is_seeded_and_reproducible():
    data = long_table(KRIPPENDORFF_2011)
    first = agreement(data, metrics=["krippendorff_alpha"], n_boot=200, seed=1)
    again = agreement(data, metrics=["krippendorff_alpha"], n_boot=200, seed=1)
    other = agreement(data, metrics=["krippendorff_alpha"], n_boot=200, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert (first.loc[0, "ci_low"], first.loc[0, "ci_high"]) != (
        other.loc[0, "ci_low"],
        other.loc[0, "ci_high"],
    )
    assert first.loc[0, "ci_low"] < first.loc[0, "estimate"] < first.loc[0, "ci_high"] <= 1


def test_no_bootstrap_gives_no_alpha_ci():
    table = agreement(long_table(KRIPPENDORFF_2011), metrics=["krippendorff_alpha"])
    assert np.isnan(table.loc[0, "ci_low"]) and np.isnan(table.loc[0, "ci_high"])


# --- Fleiss' kappa and percent agreement ----------------------------------------------------


def test_fleiss_kappa_fleiss_1971():
    matrix = FLEISS_1971.T  # raters x subjects
    table = agreement(long_table(matrix), metrics=["fleiss_kappa"])
    # Fleiss (1971), worked example on Table 1: kappa = .430 (R irr::kappam.fleiss(diagnoses): 0.4302445)
    assert round(estimate(table, "fleiss_kappa"), 3) == 0.430
    assert table.loc[0, "n_units"] == 30 and table.loc[0, "n_pairable"] == 180


def test_fleiss_kappa_and_percent_agreement_wikipedia_example():
    table = agreement(counts_to_long(WIKIPEDIA_FLEISS))
    # Wikipedia, "Fleiss' kappa", worked example: P-bar = 0.378, kappa = 0.210
    assert round(estimate(table, "percent_agreement"), 3) == 0.378
    assert round(estimate(table, "fleiss_kappa"), 3) == 0.210


def test_fleiss_kappa_needs_the_same_number_of_values_per_unit():
    data = long_table(KRIPPENDORFF_2011)
    row = agreement(data).set_index("metric").loc["fleiss_kappa"]
    assert np.isnan(row["estimate"]) and "2 to 4 values" in row["note"]
    with pytest.raises(DsrError, match="fleiss_kappa does not apply"):
        agreement(data, metrics=["fleiss_kappa"])


# --- Cohen's kappa --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crosstab", "published_kappa", "published_po"),
    [
        # Wikipedia, "Cohen's kappa", simple example (50 grant proposals): po = 0.7, kappa = 0.4
        ([[20, 5], [10, 15]], 0.400, 0.700),
        # Wikipedia, "Cohen's kappa", same percentages but different numbers: kappa = 0.1304
        ([[45, 15], [25, 15]], 0.130, 0.600),
        # ... and the second table of that example: kappa = 0.2593
        ([[25, 35], [5, 35]], 0.259, 0.600),
    ],
)
def test_cohens_kappa_wikipedia_examples(crosstab, published_kappa, published_po):
    table = agreement(crosstab_to_long(crosstab))
    assert round(estimate(table, "cohens_kappa"), 3) == published_kappa
    assert round(estimate(table, "percent_agreement"), 3) == published_po
    row = table.set_index("metric").loc["cohens_kappa"]
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert row["n_units"] == sum(map(sum, crosstab))


@pytest.mark.parametrize(
    ("weights", "reference"),
    [
        (None, -0.006289308),  # R irr::kappa2(anxiety[, 2:3]) = -0.006289308
        ("linear", 0.1459075),  # R irr::kappa2(anxiety[, 2:3], "equal") = 0.1459075
        ("quadratic", 0.2520325),  # R irr::kappa2(anxiety[, 2:3], "squared") = 0.2520325
    ],
)
def test_weighted_cohens_kappa_against_r_irr(weights, reference):
    data = long_table([ANXIETY_RATER2, ANXIETY_RATER3], coders=["rater2", "rater3"])
    table = agreement(data, level="ordinal", weights=weights, metrics=["cohens_kappa"])
    # Reference output of R irr 0.84 (Gamer, Lemon, Fellows & Singh), as checked in
    # statsmodels' test_inter_rater.py; irr drops the unused category 5, as we do.
    assert round(estimate(table, "cohens_kappa"), 3) == round(reference, 3)
    assert table.loc[0, "level"] == ("nominal" if weights is None else "ordinal")


def test_cohens_kappa_needs_two_coders():
    table = agreement(long_table(KRIPPENDORFF_2011))
    row = table.set_index("metric").loc["cohens_kappa"]
    assert np.isnan(row["estimate"]) and "exactly two coders; there are 4" in row["note"]
    with pytest.raises(DsrError, match="exactly two coders"):
        agreement(long_table(KRIPPENDORFF_2011), metrics=["cohens_kappa"])


# --- the table ------------------------------------------------------------------------------


def test_columns_and_metric_order():
    table = agreement(long_table(KRIPPENDORFF_2011))
    assert tuple(table.columns) == COLUMNS
    assert tuple(table["metric"]) == METRICS
    assert (table["n_coders"] == 4).all()
    reordered = agreement(
        long_table(KRIPPENDORFF_2011), metrics=["krippendorff_alpha", "percent_agreement"]
    )
    assert list(reordered["metric"]) == ["krippendorff_alpha", "percent_agreement"]


def test_custom_column_names_and_input_untouched():
    data = long_table(KRIPPENDORFF_2011).rename(
        columns={"unit": "item", "coder": "rater", "value": "score"}
    )
    before = data.copy()
    table = agreement(data, unit="item", coder="rater", value="score", level="interval")
    # Krippendorff (2011), section E: alpha_interval = .849
    assert round(estimate(table, "krippendorff_alpha"), 3) == 0.849
    pd.testing.assert_frame_equal(data, before)


def repeat_units(data: pd.DataFrame, weight: str) -> pd.DataFrame:
    """Each unit repeated ``weight`` times as distinct units (the reference for weights)."""
    expanded = data.loc[data.index.repeat(data[weight])].copy()
    copy = expanded.groupby(["unit", "coder"]).cumcount().astype(str)
    expanded["unit"] = expanded["unit"].astype(str) + "." + copy
    return expanded.drop(columns=weight)


COMPARED = ["metric", "estimate", "n_units", "n_pairable"]


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_weight_column_equals_repeated_units_alpha(level):
    data = long_table(KRIPPENDORFF_2011)
    data["n"] = data["unit"].map(dict(enumerate([3, 1, 2, 4, 1, 2, 5, 1, 3, 2, 2, 1], start=1)))
    ours = agreement(
        data, level=level, weight="n", metrics=["percent_agreement", "krippendorff_alpha"]
    )
    reference = agreement(
        repeat_units(data, "n"), level=level, metrics=["percent_agreement", "krippendorff_alpha"]
    )
    pd.testing.assert_frame_equal(ours[COMPARED], reference[COMPARED])


def test_weight_column_equals_repeated_units_kappas():
    data = crosstab_to_long([[3, 1], [2, 4]])
    data["n"] = np.where(data["unit"] % 2 == 0, 3, 1)
    ours = agreement(data, weight="n")
    reference = agreement(repeat_units(data, "n"))
    pd.testing.assert_frame_equal(ours[COMPARED], reference[COMPARED])
    assert ours["ci_low"].isna().all()  # no intervals for weighted units


def test_bands():
    # Krippendorff (2004, p. 241): >= .800 reliable, >= .667 tentative, below unreliable
    assert band_alpha([0.800, 0.799, 0.667, 0.666]).tolist() == [
        "reliable",
        "tentative",
        "tentative",
        "unreliable",
    ]
    # Landis & Koch (1977, p. 165): <0 poor, .00-.20 slight, .21-.40 fair, .41-.60 moderate,
    # .61-.80 substantial, .81-1.00 almost perfect
    assert band_kappa([-0.01, 0.0, 0.21, 0.41, 0.61, 0.81, 1.0]).tolist() == [
        "poor",
        "slight",
        "fair",
        "moderate",
        "substantial",
        "almost perfect",
        "almost perfect",
    ]
    assert band_kappa([np.nan]).isna().all()


# --- edge cases named in issue 4 ------------------------------------------------------------


def test_edge_one_category_only():
    data = long_table([["x"] * 5, ["x"] * 5])
    table = agreement(data).set_index("metric")
    assert table.loc["percent_agreement", "estimate"] == 1.0
    for metric in ("cohens_kappa", "fleiss_kappa", "krippendorff_alpha"):
        assert np.isnan(table.loc[metric, "estimate"])
        assert "only one value ('x') occurs" in table.loc[metric, "note"]
    with pytest.raises(DsrError, match="krippendorff_alpha does not apply: only one value"):
        agreement(data, metrics=["krippendorff_alpha"])


def test_edge_single_coder():
    data = long_table([[1, 2, 3]], coders=["R1"])
    with pytest.raises(DsrError, match="only one coder \\('R1'\\)"):
        agreement(data)


def test_edge_all_values_missing():
    data = pd.DataFrame({"unit": [1, 1], "coder": ["A", "B"], "value": [NA, NA]})
    with pytest.raises(DsrError, match="every value in column 'value' is missing"):
        agreement(data)


def test_edge_unit_coded_by_one_coder_only_is_left_out():
    data = crosstab_to_long([[20, 5], [10, 15]])
    extra = pd.concat([data, pd.DataFrame({"unit": [999], "coder": ["A"], "value": [1]})])
    with_extra, without = agreement(extra), agreement(data)
    cols = ["metric", "estimate", "n_units", "n_pairable"]
    pd.testing.assert_frame_equal(with_extra[cols], without[cols])
    assert (with_extra["note"] == "1 unit coded by one coder only left out").all()


def test_edge_non_numeric_values_at_interval_level():
    data = long_table([[1, 2, "three"], [1, 2, 3]])
    with pytest.raises(DsrError, match="value 'three' in row 2 is not a number.*'interval'"):
        agreement(data, level="interval")


def test_edge_duplicate_unit_coder_rows():
    data = pd.DataFrame({"unit": [1, 1, 1, 2, 2], "coder": ["A", "A", "B", "A", "B"], "value": 1})
    with pytest.raises(DsrError, match="unit 1 has 2 values from coder 'A'"):
        agreement(data)


# --- other bad input (one test each) --------------------------------------------------------


def test_bad_missing_column():
    with pytest.raises(DsrError, match="column 'value' is missing.*pass value="):
        agreement(pd.DataFrame({"unit": [1], "coder": ["A"], "score": [1]}))


def test_bad_not_a_dataframe():
    with pytest.raises(DsrError, match="must be a pandas DataFrame"):
        agreement([[1, 2], [1, 2]])


def test_bad_level():
    with pytest.raises(DsrError, match="unknown level of measurement 'metric'"):
        agreement(long_table(KRIPPENDORFF_2011), level="metric")


def test_bad_metric():
    with pytest.raises(DsrError, match="unknown metric 'scotts_pi'"):
        agreement(long_table(KRIPPENDORFF_2011), metrics=["scotts_pi"])


def test_bad_weights_name():
    with pytest.raises(DsrError, match="unknown weights 'cubic'"):
        agreement(long_table(KRIPPENDORFF_2011), level="ordinal", weights="cubic")


def test_bad_weights_with_nominal_level():
    with pytest.raises(DsrError, match="need ordered categories"):
        agreement(long_table(KRIPPENDORFF_2011), weights="linear")


def test_bad_n_boot():
    with pytest.raises(DsrError, match="n_boot must be a whole number"):
        agreement(long_table(KRIPPENDORFF_2011), n_boot=-1)


def test_bad_ordinal_text_without_order():
    data = long_table([["low", "high"], ["low", "mid"]])
    with pytest.raises(DsrError, match="ordinal values .* are not numbers.*ordered pandas"):
        agreement(data, level="ordinal")


def test_bad_negative_value_at_ratio_level():
    data = long_table([[1, -2], [1, 2]])
    with pytest.raises(DsrError, match="value -2 in row 1 is negative"):
        agreement(data, level="ratio")


def test_bad_missing_unit_label():
    data = pd.DataFrame({"unit": [1, None], "coder": ["A", "B"], "value": [1, 2]})
    with pytest.raises(DsrError, match="the unit is missing in row 1"):
        agreement(data)


def test_bad_weight_value():
    data = crosstab_to_long([[1, 1], [1, 1]]).assign(n=0.5)
    with pytest.raises(DsrError, match="weight 0.5 in row 0 is not a whole number"):
        agreement(data, weight="n")


def test_bad_weight_differs_within_unit():
    data = crosstab_to_long([[1, 1], [1, 1]]).assign(n=[1, 2] + [1] * 6)
    with pytest.raises(DsrError, match=r"weight in row \d differs"):
        agreement(data, weight="n")


# --- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def run_in(run_group):
    """``run_in(study, *argv)``: ``dsr --study STUDY agreement ARGV...``."""

    def run(study, *argv: str) -> int:
        return run_group(reliability_cmds, study, "agreement", *argv)

    return run


@pytest.fixture
def run_cli(run_in):
    """``run_cli(*argv)``: ``dsr agreement ARGV...`` with the default ``--study study.yaml``."""
    return functools.partial(run_in, "study.yaml")


@pytest.fixture
def ratings_csv(tmp_path):
    path = tmp_path / "ratings.csv"
    long_table(KRIPPENDORFF_2011).to_csv(path, index=False)
    return path


def test_cli_table(ratings_csv, capsys, run_cli):
    assert run_cli(str(ratings_csv), "--level", "interval") == 0
    out = capsys.readouterr().out
    line = next(s for s in out.splitlines() if s.strip().startswith("krippendorff_alpha"))
    # Krippendorff (2011), section E: alpha_interval = .849
    assert "0.849" in line.split()


def test_cli_json_with_bootstrap(ratings_csv, capsys, run_cli):
    assert (
        run_cli(str(ratings_csv), "--level", "ordinal", "--boot", "50", "--seed", "3", "--json")
        == 0
    )
    records = json.loads(capsys.readouterr().out)
    alpha = next(r for r in records if r["metric"] == "krippendorff_alpha")
    # Krippendorff (2011), section D: alpha_ordinal = .815
    assert round(alpha["estimate"], 3) == 0.815
    assert alpha["ci_low"] < alpha["estimate"] < alpha["ci_high"]
    cohen = next(r for r in records if r["metric"] == "cohens_kappa")
    assert cohen["estimate"] is None and "two coders" in cohen["note"]


def test_cli_missing_file(tmp_path, run_cli):
    with pytest.raises(InputError, match="nope.csv: file not found"):
        run_cli(str(tmp_path / "nope.csv"))


def test_cli_missing_column(tmp_path, run_cli):
    path = tmp_path / "bad.csv"
    path.write_text("unit,rater,value\n1,A,1\n")
    with pytest.raises(InputError, match="bad.csv: column 'coder' is missing"):
        run_cli(str(path))


def test_cli_bad_value_names_file_and_line(tmp_path, run_cli):
    path = tmp_path / "scores.csv"
    path.write_text("unit,coder,value\n1,A,1\n1,B,2\n2,A,x\n2,B,3\n")
    with pytest.raises(InputError, match="scores.csv: .*value 'x' in row 4 is not a number"):
        run_cli(str(path), "--level", "interval")


def test_cli_no_input(run_cli):
    with pytest.raises(DsrError, match="no input"):
        run_cli()


def test_cli_file_and_codings_together(ratings_csv, run_cli):
    with pytest.raises(DsrError, match="either FILE.csv or --codings"):
        run_cli(str(ratings_csv), "--codings")


def test_cli_codings_without_logs(mini_study, run_in):
    with pytest.raises(InputError, match="codings: no coding logs found"):
        run_in(mini_study, "--codings")


def test_cli_codings_from_the_study_logs(mini_study, capsys, run_in):
    from dsr_workbench.coding.codebook import parse_codebook
    from dsr_workbench.coding.codings import code_turns
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.corpus.study import load_study

    transcripts, turns = load_corpus(load_study(mini_study))
    codebook = parse_codebook(
        "codes:\n  - {id: CAP, name: Capacity, level: concept}\n", "codebook.yaml"
    )
    logs = mini_study.parent / "data" / "codings"
    # T2 turns 2 and 3 are participants; both coders code turn 2, only kim codes turn 3
    for coder, wanted in (("kim", [2, 3]), ("noah", [2])):
        chosen = turns[(turns.transcript_id == "T2") & turns.turn.isin(wanted)]
        code_turns(logs / f"{coder}.jsonl", chosen, transcripts, "CAP", codebook=codebook)
    assert run_in(mini_study, "--codings", "--unit", "turn", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    cap = next(r for r in rows if r["code_id"] == "CAP")
    assert cap["n_units_coded_by_any"] == 2


def test_cli_codings_per_code_table(monkeypatch, capsys, run_cli):
    turns = pd.DataFrame(
        {
            "transcript_id": "I01",
            "turn": [1, 2, 3, 4],
            "start": [0, 10, 20, 30],
            "end": [9, 19, 29, 39],
            "text": ["a" * 9] * 4,
        }
    )
    codings = pd.DataFrame(
        {
            "transcript_id": "I01",
            "start": [0, 20, 0, 30],
            "end": [5, 25, 5, 35],
            "code_id": "TRUST",
            "coder": ["R1", "R1", "R2", "R2"],
        }
    )
    monkeypatch.setattr(reliability_cmds, "_load_codings", lambda args: (codings, turns))
    assert run_cli("--codings", "--unit", "turn", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["code_id"] for r in rows] == ["TRUST", "(overall)"]
    # turns: R1 = 1,0,1,0; R2 = 1,0,0,1 -> percent agreement 2/4
    assert rows[0]["percent_agreement"] == 0.5 and rows[0]["n_units_coded_by_any"] == 3


def test_bad_bootstrap_with_weights():
    data = crosstab_to_long([[1, 1], [1, 1]]).assign(n=2)
    with pytest.raises(DsrError, match="no bootstrap with a weight column"):
        agreement(data, weight="n", n_boot=10)


def test_cli_through_dsr_main(monkeypatch, ratings_csv, tmp_path, capsys):
    from dsr_workbench import cli

    monkeypatch.setattr(cli, "GROUPS", ("dsr_workbench.cli.reliability_cmds",))
    assert cli.main(["agreement", str(ratings_csv), "--level", "ratio"]) == 0
    assert "krippendorff_alpha" in capsys.readouterr().out
    assert cli.main(["agreement", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("missing.csv: file not found (fix: give the path of a long CSV)")
    assert len(err.splitlines()) == 1


def test_cli_levels_match_the_library():
    from dsr_workbench.analysis.reliability import LEVELS

    assert tuple(reliability_cmds.LEVELS) == tuple(LEVELS)
