"""Tests of dsr_workbench.analysis.models: success-factor models and importance-performance analysis."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from dsr_workbench.analysis.models import (
    IPA_COLUMNS,
    TABLE_COLUMNS,
    ModelWarning,
    factor_scores,
    fit_success_factors,
    importance_performance,
)
from dsr_workbench.analysis.survey import RESPONSE_COLUMNS, make_survey
from dsr_workbench.core.errors import DsrError

UCLA = (
    Path(__file__).resolve().parents[1] / "data" / "ologit_ucla.csv"
)  # provenance: ologit_ucla.md
LEVELS = ["unlikely", "somewhat likely", "very likely"]


@pytest.fixture(scope="module")
def ucla():
    data = pd.read_csv(UCLA)
    data["apply"] = pd.Categorical(data["apply"], categories=LEVELS, ordered=True)
    return data


@pytest.fixture(scope="module")
def ologit(ucla):
    return fit_success_factors(ucla, "apply", ["pared", "public", "gpa"])


def quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        return fit_success_factors(*args, **kwargs)


# --------------------------------------------------------------------------- reference fits


def test_ordinal_logit_reproduces_stata_ologit_on_the_ucla_example(ologit):
    t = ologit.table.set_index("term")
    assert list(ologit.table.columns) == list(TABLE_COLUMNS)
    # UCLA OARC, "Ordinal logistic regression | Stata data analysis examples":
    # ologit apply pared public gpa -> coefficients, std. errors and /cut1, /cut2.
    stata = {
        "pared": (1.047664, 0.2657891),
        "public": (-0.0586828, 0.2978588),
        "gpa": (0.6157458, 0.2606311),
        "cut1[unlikely|somewhat likely]": (2.203323, 0.7795353),
        "cut2[somewhat likely|very likely]": (4.298767, 0.8043147),
    }
    for term, (coef, se) in stata.items():
        assert t.loc[term, "coef"] == pytest.approx(coef, abs=5e-4), term  # three decimals
        assert t.loc[term, "std_err"] == pytest.approx(se, abs=5e-4), term
    # Same page: 95 % CI of pared [.5267266, 1.568601]; odds ratio (ologit, or) 2.850982.
    assert (t.loc["pared", "ci_low"], t.loc["pared", "ci_high"]) == pytest.approx(
        (0.5267266, 1.568601), abs=5e-4
    )
    assert t.loc["pared", "odds_ratio"] == pytest.approx(2.850982, abs=5e-4)
    assert t.filter(like="cut", axis=0)["odds_ratio"].isna().all()


def test_ordinal_logit_agrees_with_r_polr_on_the_ucla_example(ologit):
    t = ologit.table.set_index("term")["coef"]
    # R MASS::polr(apply ~ pared + public + gpa) as printed on UCLA OARC's "Ordinal logistic
    # regression | R data analysis examples" and stored in statsmodels'
    # miscmodels/tests/results/results_ordinal_model.py: 1.04769, -0.05879, 0.61594;
    # intercepts 2.2039, 4.2994. polr's optim() stops about 6e-4 short of Stata's fully
    # converged cut1 (2.2039 vs 2.2033), so R agrees to 1e-3 rather than to 5e-4.
    r_polr = [1.04769011, -0.05878572, 0.61594057, 2.203915, 4.299363]
    np.testing.assert_allclose(t.to_numpy(), r_polr, atol=1e-3)


def test_fit_statistics_reproduce_stata_ologit(ologit):
    s = ologit.fit_stats
    # UCLA OARC Stata ologit output: Number of obs = 400, LR chi2(3) = 24.18,
    # Pseudo R2 = 0.0326, Log likelihood = -358.51244.
    assert s["n"] == 400 and s["n_params"] == 5
    assert s["log_likelihood"] == pytest.approx(-358.51244, abs=5e-5)
    assert s["lr_chi2"] == pytest.approx(24.18, abs=5e-3)
    assert s["pseudo_r2"] == pytest.approx(0.0326, abs=5e-5)
    # R polr: Residual Deviance 717.0249, AIC 727.0249 (UCLA OARC R page).
    assert s["aic"] == pytest.approx(727.0249, abs=5e-4)


def test_ordinal_probit_agrees_with_r_polr_probit(ucla):
    m = quiet_fit(ucla, "apply", ["pared", "public", "gpa"], link="probit")
    # R MASS::polr(..., method = "probit") on the UCLA data, from statsmodels'
    # results_ordinal_model.py: 0.59811, 0.01016, 0.35815; thresholds 1.2968, 2.5028.
    np.testing.assert_allclose(
        m.table["coef"], [0.59811, 0.01016, 0.35815, 1.2968, 2.5028], atol=1e-3
    )
    assert m.table["odds_ratio"].isna().all()


def test_formula_interface_gives_the_same_fit(ucla, ologit):
    m = fit_success_factors(ucla, formula="apply ~ pared + public + gpa")
    pd.testing.assert_frame_equal(m.table, ologit.table, atol=1e-6)


def test_ols_with_hc3_reproduces_longley_reference():
    data = sm.datasets.longley.load_pandas().data
    m = quiet_fit(data, "TOTEMP", ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"], kind="ols")
    t = m.table.set_index("term")
    # NIST StRD certified values for Longley (1967): coefficients.
    nist = {
        "const": -3482258.63459582,
        "GNPDEFL": 15.0618722713733,
        "GNP": -0.0358191792925910,
        "UNEMP": -2.02022980381683,
        "ARMED": -1.03322686717359,
        "POP": -0.0511041056535807,
        "YEAR": 1829.15146461355,
    }
    for term, coef in nist.items():
        assert t.loc[term, "coef"] == pytest.approx(coef, rel=1e-6), term
    # HC3 standard errors from Stata (regress ..., vce(hc3)), recorded in statsmodels'
    # regression/tests/results/results_regression.py (Longley.HC3_se).
    stata_hc3 = {
        "GNPDEFL": "91.11939",
        "GNP": "0.05562",
        "UNEMP": "0.82213",
        "ARMED": "0.29879",
        "POP": "0.32491",
        "YEAR": "922.80784",
        "const": "1799477",
    }
    for term, printed in stata_hc3.items():
        decimals = len(printed.partition(".")[2])  # agree to every printed decimal
        assert round(t.loc[term, "std_err"], decimals) == float(printed), term
    assert m.fit_stats["cov_type"] == "HC3"
    assert m.table["odds_ratio"].isna().all()
    # Longley is the textbook case of collinearity: the VIF diagnostic must say so.
    assert any("variance inflation factor" in w for w in m.warnings)


def test_logit_reproduces_spector_mazzeo_reference():
    data = sm.datasets.spector.load_pandas().data
    m = quiet_fit(data, "GRADE", ["GPA", "TUCE", "PSI"], kind="logit")
    t = m.table.set_index("term")
    # Spector & Mazzeo (1980) data, logit of GRADE on GPA, TUCE, PSI (Greene, Econometric
    # Analysis); Stata 11 output recorded in statsmodels' discrete/tests/results/
    # results_discrete.py (Spector.logit).
    stata = {
        "GPA": (2.82611297201, 1.26294114526),
        "TUCE": (0.0951576702557, 0.141554207662),
        "PSI": (2.37868772835, 1.06456430165),
        "const": (-13.0213483201, 4.93132462871),
    }
    for term, (coef, se) in stata.items():
        assert t.loc[term, "coef"] == pytest.approx(coef, abs=5e-4), term
        assert t.loc[term, "std_err"] == pytest.approx(se, abs=5e-4), term
    assert t.loc["GPA", "odds_ratio"] == pytest.approx(np.exp(2.82611297201), rel=1e-4)
    assert np.isnan(t.loc["const", "odds_ratio"])
    assert m.levels == (0.0, 1.0)


# --------------------------------------------------------------------------- diagnostics


def _latent_ordinal(scale_slope: float, n: int = 500, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    # location-scale latent model: with scale_slope != 0 the cumulative logits are not
    # parallel (their slopes differ by cut-point); with 0 it is a proportional-odds model.
    latent = x + np.exp(scale_slope * x) * rng.logistic(size=n)
    y = np.digitize(latent, [-1.0, 1.0])
    return pd.DataFrame({"y": pd.Categorical(y, categories=[0, 1, 2], ordered=True), "x": x})


def test_proportional_odds_check_flags_non_parallel_slopes():
    with pytest.warns(ModelWarning, match="proportional-odds .* doubtful for .*x"):
        m = fit_success_factors(_latent_ordinal(1.0), "y", ["x"])
    po = m.proportional_odds.set_index("term")
    assert po.loc["x", "df"] == 1 and po.loc["x", "p_value"] < 0.001


def test_proportional_odds_check_is_quiet_when_slopes_are_parallel():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        m = fit_success_factors(_latent_ordinal(0.0), "y", ["x"])
    assert m.proportional_odds.set_index("term").loc["omnibus", "p_value"] > 0.05
    assert m.warnings == ()


def test_few_events_per_parameter_warn(ucla):
    small = ucla.iloc[:25]
    with pytest.warns(ModelWarning) as caught:
        m = fit_success_factors(small, "apply", ["pared", "public", "gpa"])
    # Harrell (2015, sec. 4.4): effective sample size of an ordinal outcome n - sum(n_i^3)/n^2
    counts = small["apply"].value_counts().to_numpy(dtype=float)
    per = (25 - (counts**3).sum() / 25**2) / 3
    message = f"only {per:.1f} effective observations per predictor (< 10"
    assert any(message in str(w.message) for w in caught)
    assert any(message in w for w in m.warnings)


def test_missing_rows_are_dropped_and_counted(ucla):
    data = ucla.copy()
    data.loc[:4, "gpa"] = np.nan
    m = fit_success_factors(data, "apply", ["pared", "public", "gpa"])
    assert (m.fit_stats["n"], m.fit_stats["n_dropped"]) == (395, 5)


def test_factor_scores_average_a_respondents_items():
    rows = [
        ("R1", "A", "client", "trust_1", "trust", "perception", 4),
        ("R1", "A", "client", "trust_2", "trust", "perception", 7),
        ("R1", "A", "client", "satisfaction", "outcome", "outcome", 5),
        ("R1", "B", "cmo", "trust_1", "trust", "perception", 2),
    ]
    data = pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))
    f = factor_scores(data).set_index("respondent")
    assert f.loc["A", "trust"] == 5.5 and f.loc["B", "trust"] == 2.0
    assert f.loc["A", "satisfaction"] == 5 and pd.isna(f.loc["B", "satisfaction"])


def test_example_survey_model_runs_end_to_end():
    f = factor_scores(make_survey().responses)
    m = quiet_fit(f, "satisfaction", ["trust", "quality_compliance", "communication"])
    cuts = m.table[m.table["term"].str.startswith("cut")]
    assert len(cuts) == 6 and cuts["coef"].is_monotonic_increasing
    assert m.table.set_index("term").loc["quality_compliance", "coef"] > 0


# --------------------------------------------------------------------------- IPA


def _ipa_data():
    # importance (expectation) and performance (perception) of four items, one client each
    values = {"a": (6, 3), "b": (6, 6), "c": (2, 2), "d": (2, 6)}
    rows = []
    for item, (imp, perf) in values.items():
        for kind, v in (("expectation", imp), ("perception", perf)):
            rows.append(("R1", "P", "client", item, item, kind, v))
    return pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))


@pytest.mark.parametrize("crosshair", ["mean", "midpoint"])
def test_ipa_quadrants_follow_martilla_and_james(crosshair):
    ipa = importance_performance(_ipa_data(), level="item", crosshair=crosshair)
    assert list(ipa.columns) == list(IPA_COLUMNS)
    # Martilla & James (1977, Fig. 1): A "concentrate here" = high importance, low
    # performance; B "keep up the good work"; C "low priority"; D "possible overkill".
    assert ipa.set_index("item")["quadrant"].to_dict() == {
        "a": "concentrate here",
        "b": "keep up the good work",
        "c": "low priority",
        "d": "possible overkill",
    }
    assert ipa["importance_cut"].iloc[0] == 4.0  # mean of (6, 6, 2, 2) = midpoint of 1-7


def test_ipa_crosshair_at_the_data_means_differs_from_the_midpoint():
    data = _ipa_data()
    data.loc[data["kind"] == "perception", "value"] += 1  # performance 4, 7, 3, 7: mean 5.25
    by_mean = importance_performance(data, level="item", crosshair="mean").set_index("item")
    by_mid = importance_performance(data, level="item", crosshair="midpoint").set_index("item")
    assert by_mean.loc["a", "performance_cut"] == 5.25 and by_mid.loc["a", "performance_cut"] == 4
    assert by_mean.loc["a", "quadrant"] == "concentrate here"
    assert by_mid.loc["a", "quadrant"] == "keep up the good work"


# --------------------------------------------------------------------------- bad input


def test_outcome_that_is_text_is_not_ordinal(ucla):
    data = ucla.assign(apply=ucla["apply"].astype(str))
    with pytest.raises(DsrError, match="outcome 'apply' is text .* not ordinal"):
        fit_success_factors(data, "apply", ["gpa"])


def test_outcome_with_non_integer_values_is_not_ordinal(ucla):
    with pytest.raises(DsrError, match="outcome 'gpa' has non-integer values"):
        fit_success_factors(ucla, "gpa", ["pared"])


def test_unordered_categorical_outcome(ucla):
    data = ucla.assign(apply=ucla["apply"].cat.as_unordered())
    with pytest.raises(DsrError, match="unordered categorical"):
        fit_success_factors(data, "apply", ["gpa"])


def test_outcome_with_a_single_level(ucla):
    data = ucla[ucla["apply"] == "unlikely"]
    with pytest.raises(DsrError, match="outcome 'apply' has a single level \\(unlikely\\)"):
        fit_success_factors(data, "apply", ["gpa"])


def test_constant_predictor(ucla):
    with pytest.raises(DsrError, match="predictor 'one' is constant"):
        fit_success_factors(ucla.assign(one=1.0), "apply", ["gpa", "one"])


def test_collinear_predictor(ucla):
    data = ucla.assign(both=ucla["pared"] + 2 * ucla["public"])
    with pytest.raises(DsrError, match=r"predictor 'both' is collinear with \['pared', 'public'\]"):
        fit_success_factors(data, "apply", ["pared", "public", "both"])


def test_perfect_separation_in_a_logit():
    data = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    with pytest.raises(DsrError, match="perfect separation: 'x' alone"):
        fit_success_factors(data, "y", ["x"], kind="logit")


def test_perfect_separation_by_predictors_together():
    # neither x1 nor x2 separates y alone, but x1 + x2 > 0 does
    data = pd.DataFrame(
        {
            "y": [0, 0, 0, 0, 1, 1, 1, 1],
            "x1": [-3.0, 1.0, -1.0, 0.5, 3.0, -1.0, 1.0, 2.0],
            "x2": [1.0, -3.0, -0.5, -1.0, -1.0, 3.0, 0.5, 0.0],
        }
    )
    with pytest.raises(DsrError, match="perfect separation: the predictors together"):
        fit_success_factors(data, "y", ["x1", "x2"], kind="logit")


def test_logit_needs_a_binary_outcome(ucla):
    with pytest.raises(DsrError, match="has 3 levels, a logit needs 2 .*dichotomise"):
        fit_success_factors(ucla, "apply", ["gpa"], kind="logit")


def test_unknown_column(ucla):
    with pytest.raises(DsrError, match="column 'gap' is not in the data .*did you mean 'gpa'"):
        fit_success_factors(ucla, "apply", ["gap"])
