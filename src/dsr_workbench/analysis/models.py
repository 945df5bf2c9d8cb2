"""Success-factor models and importance–performance analysis.

:func:`fit_success_factors` fits an outcome (e.g. satisfaction) on success factors with
statsmodels — an ordinal model (:class:`~statsmodels.miscmodels.ordinal_model.OrderedModel`,
logit or probit link), OLS (HC3 standard errors by default) or a binary logit — and returns
a :class:`SuccessFactorModel` with a tidy coefficient table, fit statistics and the
small-sample diagnostics as warnings. :func:`factor_scores` turns the tidy ``responses`` into
the one-row-per-respondent table such a model needs; :func:`importance_performance` places
items in the four quadrants of Martilla & James (1977).

References
----------
Brant, R. (1990). Assessing proportionality in the proportional odds model for ordinal
logistic regression. *Biometrics*, 46, 1171–1178.
Harrell, F. E. (2015). *Regression Modeling Strategies* (2nd ed.), section 4.4. Springer.
Long, J. S. & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors in the
linear regression model. *The American Statistician*, 54, 217–224.
Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *Journal of
Marketing*, 41(1), 77–79.
Peduzzi, P. et al. (1996). A simulation study of the number of events per variable in
logistic regression analysis. *J. Clin. Epidemiol.*, 49, 1373–1379.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.contrast import ContrastResults
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

from dsr_workbench.analysis.gap import side_scores
from dsr_workbench.analysis.survey import SurveyWarning, validate_responses
from dsr_workbench.core.errors import DsrError

__all__ = [
    "IPA_COLUMNS",
    "TABLE_COLUMNS",
    "ModelWarning",
    "SuccessFactorModel",
    "factor_scores",
    "fit_success_factors",
    "importance_performance",
]

Kind = Literal["ordinal", "ols", "logit"]
TABLE_COLUMNS = (
    "term",
    "coef",
    "std_err",
    "stat",
    "p_value",
    "ci_low",
    "ci_high",
    "odds_ratio",
)
IPA_COLUMNS = (
    "item",
    "construct",
    "n",
    "importance",
    "performance",
    "importance_cut",
    "performance_cut",
    "quadrant",
)
_QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


class ModelWarning(SurveyWarning):
    """A fitted model is doubtful: small sample, separation, collinearity, non-convergence."""


@dataclass(frozen=True)
class SuccessFactorModel:
    """A fitted success-factor model.

    Attributes
    ----------
    kind, link
        ``"ordinal"`` (link ``"logit"`` or ``"probit"``), ``"ols"`` or ``"logit"``.
    outcome, terms
        The outcome and the predictor terms (design-matrix columns).
    levels
        Outcome levels in order (ordinal), or (non-event, event) (logit); ``None`` for OLS.
    result
        The statsmodels results object (``.summary()``, ``.predict()``, ...).
    table
        Columns ``term, coef, std_err, stat, p_value, ci_low, ci_high, odds_ratio``.
        Ordinal models end with the cut-points, terms ``cut1[a|b]``.. in increasing order,
        as thresholds on the latent scale (delta-method standard errors). ``stat`` is *t*
        for OLS and *z* otherwise; ``odds_ratio`` = exp(coef) for the predictors of logit
        and logit-link ordinal models, NaN elsewhere.
    fit_stats
        ``kind, link, n, n_dropped, n_params, log_likelihood, aic, bic, pseudo_r2``
        (McFadden), ``r2, r2_adj`` (OLS), ``lr_chi2, lr_pvalue`` (vs the null model),
        ``converged, cov_type``.
    warnings
        The diagnostics that failed (also issued as :class:`ModelWarning`).
    proportional_odds
        Ordinal models: Brant-type test of parallel slopes, columns ``term, chi2, df,
        p_value`` (``term == "omnibus"`` for all at once); ``None`` when not computed.
    """

    kind: str
    link: str | None
    outcome: str
    terms: tuple[str, ...]
    levels: tuple[Any, ...] | None
    result: Any = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    fit_stats: pd.Series = field(repr=False)
    warnings: tuple[str, ...] = ()
    proportional_odds: pd.DataFrame | None = field(default=None, repr=False)


def factor_scores(
    responses: pd.DataFrame,
    *,
    kind: str = "perception",
    level: Literal["item", "construct"] = "construct",
    outcomes: bool = True,
    scale: tuple[int, int] = (1, 7),
) -> pd.DataFrame:
    """One row per respondent: mean score per construct (or item) plus the outcome items.

    Returns
    -------
    DataFrame
        ``relationship_id, respondent, perspective``, then one float column per construct
        (mean of the respondent's non-missing items of that ``kind``) and, with
        ``outcomes=True``, one Int64 column per outcome item.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> f = factor_scores(make_survey().responses)
    >>> f.shape, list(f.columns[:5])
    ((80, 17), ['relationship_id', 'respondent', 'perspective', 'trust', 'communication'])
    """
    data = validate_responses(responses, scale=scale)
    keys = ["relationship_id", "respondent", "perspective"]
    name = "construct" if level == "construct" else "item"
    rated = data[data["kind"] == kind]
    if rated.empty:
        raise DsrError(f"no '{kind}' answers in the responses", hint="check kind=")
    wide = rated.pivot_table(index=keys, columns=name, values="value", aggfunc="mean", sort=False)
    wide = wide.reindex(columns=list(pd.unique(rated[name])))
    if outcomes:
        out = data[data["kind"] == "outcome"]
        ys = out.pivot_table(index=keys, columns="item", values="value", sort=False)
        ys = ys.reindex(columns=list(pd.unique(out["item"]))).round().astype("Int64")
        wide = wide.join(ys, how="left")
    wide.columns.name = None
    return wide.reset_index()


def fit_success_factors(
    data: pd.DataFrame,
    outcome: str | None = None,
    factors: Sequence[str] | str | None = None,
    kind: Kind = "ordinal",
    *,
    formula: str | None = None,
    link: Literal["logit", "probit"] = "logit",
    cov_type: str | None = None,
    alpha: float = 0.05,
    min_per_parameter: float = 10,
    maxiter: int = 200,
) -> SuccessFactorModel:
    """Fit an outcome on success factors: ordinal, OLS or logit (statsmodels).

    Parameters
    ----------
    data
        One row per observation (e.g. :func:`factor_scores`).
    outcome, factors
        Outcome column and numeric predictor columns. Or give ``formula`` instead.
    kind
        ``"ordinal"`` (outcome: ordered Categorical or integer levels), ``"ols"`` (numeric)
        or ``"logit"`` (bool, 0/1 or two categories; the second is the event).
    formula
        A formula, e.g. ``"satisfaction ~ trust + C(perspective)"``; its left side must be a
        column. Ordinal models have no intercept (the cut-points take its place).
    link
        Ordinal models only: ``"logit"`` (proportional odds) or ``"probit"``.
    cov_type
        OLS only: statsmodels covariance type, ``"HC3"`` by default (Long & Ervin 2000).
    alpha
        1 − confidence level of the intervals, and the level of the proportional-odds check.
    min_per_parameter
        Warn below this many events (logit: the smaller class; ordinal: Harrell's effective
        sample size ``n − Σ n_i³/n²``; OLS: observations) per predictor.
    maxiter
        Maximum iterations of the optimiser.

    Returns
    -------
    SuccessFactorModel

    Raises
    ------
    DsrError
        Unknown columns; an outcome that is not ordinal (ordinal), not binary (logit) or not
        numeric (OLS), or has a single level; a constant predictor; a predictor that is an
        exact linear combination of others; perfect separation.

    Warns
    -----
    ModelWarning
        Few events per parameter, sparse outcome levels, high variance inflation (VIF > 10),
        possible quasi-complete separation, non-convergence, and non-parallel slopes
        (ordinal logit/probit; Brant-type Wald test on the cumulative binary models with a
        cluster-robust covariance, over cut-points with at least 10 observations each side).

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> f = factor_scores(make_survey().responses)
    >>> m = fit_success_factors(f, "satisfaction", ["trust", "quality_compliance"])
    >>> m.table[["term", "coef", "odds_ratio"]].round(3).values.tolist()[:3]
    [['trust', 0.664, 1.943], ['quality_compliance', 1.962, 7.114], ['cut1[1|2]', 6.698, nan]]
    >>> m.warnings[0]
    "outcome 'satisfaction' level(s) 1, 2 have fewer than 5 observations; consider merging adjacent levels"
    """
    if kind not in ("ordinal", "ols", "logit"):
        raise DsrError(f"kind '{kind}' is unknown", hint="use 'ordinal', 'ols' or 'logit'")
    if link not in ("logit", "probit"):
        raise DsrError(f"link '{link}' is unknown", hint="use 'logit' or 'probit'")
    if cov_type is not None and kind != "ols":
        raise DsrError(f"cov_type applies to kind='ols' only, not '{kind}'")
    if formula is not None:
        if outcome is not None or factors is not None:
            raise DsrError("give either formula= or outcome and factors, not both")
        outcome = formula.split("~")[0].strip()
        _check_columns([outcome], data)
        frame = data.copy()
    else:
        if outcome is None or not factors:
            raise DsrError("no model given", hint="pass outcome= and factors=, or formula=")
        factors = [factors] if isinstance(factors, str) else list(factors)
        _check_columns([outcome, *factors], data)
        for name in factors:
            if not pd.api.types.is_numeric_dtype(data[name]) or data[name].dtype == bool:
                raise DsrError(
                    f"predictor '{name}' is not numeric ({data[name].dtype})",
                    hint=f"use formula= with C({name}) for a categorical predictor",
                )
        frame = data.loc[:, [outcome, *factors]].dropna()
    y, levels = _prepare_outcome(frame[outcome], outcome, kind)
    frame[outcome] = y
    if formula is None:
        _check_design(frame[factors].astype(float))
    model = _build(kind, link, frame, outcome, factors, formula)
    names = list(model.exog_names)[: model.exog.shape[1]]  # ordinal: thresholds follow
    has_const = kind != "ordinal"
    terms = [n for n in names if n not in ("Intercept", "const")]
    x = pd.DataFrame(model.exog, columns=names)[terms]
    _check_design(x)
    codes = np.asarray(model.endog, dtype=float).astype(int)
    if kind != "ols":
        _check_separation(codes, x, outcome, levels)
    result, notes = _fit(model, kind, cov_type, maxiter)
    table = _table(result, model, kind, link, levels, alpha)
    notes += _diagnostics(result, kind, codes, x, levels, outcome, min_per_parameter, table)
    po = None
    if kind == "ordinal":
        po, note = _parallel_slopes(codes, x, link, alpha)
        notes += [note] if note else []
    stats_ = _fit_stats(result, kind, link, len(data) - int(result.nobs), has_const)
    for note in notes:
        warnings.warn(note, ModelWarning, stacklevel=2)
    return SuccessFactorModel(
        kind=kind,
        link=link if kind == "ordinal" else ("logit" if kind == "logit" else None),
        outcome=outcome,
        terms=tuple(terms),
        levels=levels,
        result=result,
        table=table,
        fit_stats=stats_,
        warnings=tuple(notes),
        proportional_odds=po,
    )


def importance_performance(
    responses: pd.DataFrame,
    *,
    level: Literal["item", "construct"] = "construct",
    perspectives: Iterable[str] = ("client", "cmo"),
    crosshair: Literal["mean", "midpoint"] = "mean",
    importance: str = "expectation",
    performance: str = "perception",
    items: Iterable[str] | None = None,
    constructs: Iterable[str] | None = None,
    scale: tuple[int, int] = (1, 7),
) -> pd.DataFrame:
    """Importance–performance analysis (Martilla & James 1977).

    Each item's mean importance and mean performance over relationship sides (of the chosen
    ``perspectives``) places it in a quadrant of the importance (y) × performance (x) grid:
    *concentrate here* (important, performing below the crosshair), *keep up the good work*,
    *low priority*, *possible overkill* (unimportant but performing well). The crosshair is
    at the scale midpoint or at the means of the item means; a value on the crosshair
    counts as high.

    Returns
    -------
    DataFrame
        Columns ``item, construct, n, importance, performance, importance_cut,
        performance_cut, quadrant``; ``n`` counts the relationship sides rated.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> ipa = importance_performance(make_survey().responses, perspectives=["client"])
    >>> ipa.set_index("item").loc[["quality_compliance", "power_balance"], "quadrant"].tolist()
    ['concentrate here', 'possible overkill']
    """
    if crosshair not in ("mean", "midpoint"):
        raise DsrError(f"crosshair '{crosshair}' is unknown", hint="use 'mean' or 'midpoint'")
    scores = side_scores(
        responses,
        level=level,
        kinds=[importance, performance],
        items=items,
        constructs=constructs,
        scale=scale,
    )
    scores = scores[scores["perspective"].isin(list(perspectives))]
    if scores.empty:
        raise DsrError(f"no answers from perspectives {list(perspectives)}")
    wide = scores.pivot_table(
        index=["item", "construct"], columns="kind", values="value", aggfunc="mean", sort=False
    )
    if importance not in wide or performance not in wide:
        raise DsrError(f"IPA needs both '{importance}' and '{performance}' answers")
    units = scores.assign(unit=scores["relationship_id"] + "/" + scores["perspective"])
    n = units.groupby(["item", "construct"], sort=False)["unit"].nunique()
    out = pd.DataFrame(
        {
            "n": n,
            "importance": wide[importance],
            "performance": wide[performance],
        }
    ).reset_index()
    if crosshair == "midpoint":
        cut_i = cut_p = (scale[0] + scale[1]) / 2
    else:
        cut_i, cut_p = out["importance"].mean(), out["performance"].mean()
    out["importance_cut"], out["performance_cut"] = float(cut_i), float(cut_p)
    keys = zip(out["importance"] >= cut_i, out["performance"] >= cut_p, strict=True)
    out["quadrant"] = [_QUADRANTS[(bool(a), bool(b))] for a, b in keys]
    return out.loc[:, list(IPA_COLUMNS)]


# --------------------------------------------------------------------------- helpers


def _check_columns(names: Sequence[str], data: pd.DataFrame) -> None:
    for name in names:
        if name not in data.columns:
            close = difflib.get_close_matches(name, [str(c) for c in data.columns], n=1)
            hint = f"did you mean '{close[0]}'?" if close else "check the column names"
            raise DsrError(f"column '{name}' is not in the data", hint=hint)


def _prepare_outcome(y: pd.Series, name: str, kind: str) -> tuple[pd.Series, tuple | None]:
    observed = y.dropna()
    if isinstance(y.dtype, pd.CategoricalDtype):
        if kind == "ordinal" and not y.dtype.ordered:
            raise DsrError(
                f"outcome '{name}' is an unordered categorical",
                hint="give its levels an order: .cat.reorder_categories([...], ordered=True)",
            )
        y = y.cat.remove_unused_categories()
        levels = tuple(y.cat.categories.tolist())
    elif pd.api.types.is_bool_dtype(y) or pd.api.types.is_numeric_dtype(y):
        values = observed.astype(float)
        if kind == "ordinal" and not np.all(values == np.round(values)):
            raise DsrError(
                f"outcome '{name}' has non-integer values (e.g. {values[values % 1 != 0].iloc[0]:g}) "
                "and is not ordinal",
                hint="use an ordered Categorical or integer levels, or kind='ols'",
            )
        levels = tuple(sorted(observed.unique().tolist()))
        if kind == "ordinal":
            y = pd.Series(pd.Categorical(y, categories=levels, ordered=True), index=y.index)
    else:
        raise DsrError(
            f"outcome '{name}' is text ({y.dtype}), not ordinal or numeric",
            hint="make it an ordered pandas Categorical with its levels in order",
        )
    if len(levels) < 2:
        raise DsrError(
            f"outcome '{name}' has a single level ({levels[0] if levels else 'none'}) "
            "in the rows used",
            hint="a model needs an outcome that varies",
        )
    if kind == "ols":
        if isinstance(y.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(y):
            raise DsrError(f"outcome '{name}' is not numeric", hint="use kind='ordinal'/'logit'")
        return y.astype(float), None
    if kind == "logit":
        if len(levels) != 2:
            raise DsrError(
                f"outcome '{name}' has {len(levels)} levels, a logit needs 2",
                hint=f"dichotomise it, e.g. data.assign(high={name} >= 4), or kind='ordinal'",
            )
        codes = y.cat.codes if isinstance(y.dtype, pd.CategoricalDtype) else y.map(levels.index)
        return codes.astype(float).where(y.notna()), levels
    return y, levels


def _build(kind, link, frame, outcome, factors, formula):
    if formula is not None:
        if kind == "ordinal":
            try:
                return OrderedModel.from_formula(formula, frame, distr=link)
            except ValueError as err:
                if "constant" not in str(err):
                    raise
                raise DsrError(
                    "a predictor in the formula is constant", hint="drop it from the formula"
                ) from err
        return (smf.ols if kind == "ols" else smf.logit)(formula, frame)
    x = frame[factors].astype(float)
    if kind == "ordinal":
        return OrderedModel(frame[outcome], x, distr=link)
    x = sm.add_constant(x, prepend=True, has_constant="add")
    return (sm.OLS if kind == "ols" else sm.Logit)(frame[outcome], x)


def _check_design(x: pd.DataFrame) -> None:
    """Constant or exactly collinear predictors (an intercept is assumed in every model)."""
    for name in x.columns:
        if np.ptp(x[name].to_numpy()) == 0:
            raise DsrError(
                f"predictor '{name}' is constant (every row is {x[name].iloc[0]:g})",
                hint="drop it from the factors",
            )
    z = ((x - x.mean()) / x.std()).to_numpy()
    ones = np.ones((len(x), 1))
    for j, name in enumerate(x.columns):
        block = np.column_stack([ones, z[:, : j + 1]])
        if np.linalg.matrix_rank(block, tol=1e-8 * np.sqrt(len(x))) < j + 2:
            coef = np.linalg.lstsq(block[:, :-1], z[:, j], rcond=None)[0][1:]
            others = [str(x.columns[i]) for i in np.flatnonzero(np.abs(coef) > 1e-6)]
            raise DsrError(
                f"predictor '{name}' is collinear with {others or ['the intercept']} "
                "(an exact linear combination)",
                hint="drop one of them",
            )


def _check_separation(codes: np.ndarray, x: pd.DataFrame, outcome: str, levels) -> None:
    """A single predictor that orders the outcome levels without overlap."""
    present = np.unique(codes)
    for name in x.columns:
        v = x[name].to_numpy()
        lows = np.array([v[codes == k].min() for k in present])
        highs = np.array([v[codes == k].max() for k in present])
        if np.all(highs[:-1] < lows[1:]) or np.all(lows[:-1] > highs[1:]):
            raise DsrError(
                f"perfect separation: '{name}' alone sorts every row into its level of "
                f"'{outcome}', so its coefficient is infinite",
                hint="drop or coarsen the predictor, or merge outcome levels",
            )


def _fit(model, kind: str, cov_type: str | None, maxiter: int):
    notes: list[str] = []
    if kind == "ols":
        return model.fit(cov_type=cov_type or "HC3", use_t=True), notes
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            if kind == "logit":
                result = model.fit(disp=False, maxiter=maxiter)
            else:
                result = model.fit(method="newton", disp=False, maxiter=maxiter)
                if not result.mle_retvals.get("converged", False):
                    result = model.fit(method="bfgs", disp=False, maxiter=maxiter * 10)
        except (PerfectSeparationWarning, PerfectSeparationError) as err:
            raise DsrError(
                "perfect separation: the predictors together predict the outcome exactly",
                hint="drop predictors or merge outcome levels",
            ) from err
    if not result.mle_retvals.get("converged", True):
        notes.append("the optimiser did not converge; estimates are unreliable")
    return result, notes


def _table(result, model, kind: str, link: str, levels, alpha: float) -> pd.DataFrame:
    params = np.asarray(result.params)
    k = model.exog.shape[1]
    names = list(model.exog_names)[:k]
    ci = np.asarray(result.conf_int(alpha))
    table = pd.DataFrame(
        {
            "term": names,
            "coef": params[:k],
            "std_err": np.asarray(result.bse)[:k],
            "stat": np.asarray(result.tvalues)[:k],
            "p_value": np.asarray(result.pvalues)[:k],
            "ci_low": ci[:k, 0],
            "ci_high": ci[:k, 1],
        }
    )
    odds = kind == "logit" or (kind == "ordinal" and link == "logit")
    is_const = table["term"].isin(["Intercept", "const"])
    table["odds_ratio"] = np.nan
    if odds:
        table.loc[~is_const, "odds_ratio"] = np.exp(table.loc[~is_const, "coef"])
    if kind == "ordinal":
        # Thresholds from statsmodels' increments; standard errors by the delta method.
        nl = result._get_wald_nonlinear(lambda p: model.transform_threshold_params(p)[1:-1])
        effect, se = np.atleast_1d(nl.predicted()), np.atleast_1d(nl.se_vectorized())
        cr = ContrastResults(effect=effect, statistic=effect / se, sd=se, distribution="norm")
        cut_ci = np.asarray(cr.conf_int(alpha))
        cuts = pd.DataFrame(
            {
                "term": [
                    f"cut{j + 1}[{levels[j]}|{levels[j + 1]}]" for j in range(len(levels) - 1)
                ],
                "coef": effect,
                "std_err": se,
                "stat": effect / se,
                "p_value": np.asarray(cr.pvalue).ravel(),
                "ci_low": cut_ci[:, 0],
                "ci_high": cut_ci[:, 1],
                "odds_ratio": np.nan,
            }
        )
        table = pd.concat([table, cuts], ignore_index=True)
    return table.loc[:, list(TABLE_COLUMNS)]


def _diagnostics(result, kind, codes, x, levels, outcome, minimum, table) -> list[str]:
    notes = []
    n, p = len(codes), max(x.shape[1], 1)
    if kind == "ols":
        m, what = n, "observations"
    elif kind == "logit":
        m, what = min(np.sum(codes == 1), np.sum(codes == 0)), "events"
    else:
        counts = np.bincount(codes)
        m, what = n - np.sum(counts.astype(float) ** 3) / n**2, "effective observations"
        sparse = [str(levels[i]) for i in np.flatnonzero(counts < 5)]
        if sparse:
            notes.append(
                f"outcome '{outcome}' level(s) {', '.join(sparse)} have fewer than 5 "
                "observations; consider merging adjacent levels"
            )
    if m / p < minimum:
        notes.append(
            f"only {m / p:.1f} {what} per predictor (< {minimum:g}; Peduzzi et al. 1996, "
            "Harrell 2015): estimates may be biased and unstable, use fewer factors"
        )
    if x.shape[1] > 1:
        xc = sm.add_constant(x.to_numpy(), has_constant="add")
        for j, name in enumerate(x.columns, start=1):
            vif = variance_inflation_factor(xc, j)
            if vif > 10:
                notes.append(f"predictor '{name}' has a variance inflation factor of {vif:.1f}")
    if kind != "ols":
        slopes = table[table["term"].isin(list(x.columns))]
        for row in slopes.itertuples(index=False):
            if abs(row.coef) > 10 or row.std_err > 100:
                notes.append(
                    f"possible quasi-complete separation: '{row.term}' has coefficient "
                    f"{row.coef:.3g} (std. error {row.std_err:.3g})"
                )
    return notes


def _parallel_slopes(codes: np.ndarray, x: pd.DataFrame, link: str, alpha: float, min_side=10):
    """Brant-type Wald test that the slopes of the cumulative binary models are equal."""
    cuts = [
        k
        for k in range(codes.max())
        if min(np.sum(codes > k), np.sum(codes <= k)) >= max(min_side, x.shape[1] + 1)
    ]
    if len(cuts) < 2:
        return None, (
            "proportional-odds check skipped: fewer than two cut-points with at least "
            f"{min_side} observations on each side"
        )
    n, p = x.shape
    j_ = len(cuts)
    xs = np.column_stack([np.ones(n), x.to_numpy()])
    design = np.kron(np.eye(j_), xs)  # block-diagonal: one binary model per cut-point
    y = np.concatenate([(codes > k).astype(float) for k in cuts])
    groups = np.tile(np.arange(n), j_)
    binary = sm.Logit if link == "logit" else sm.Probit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            res = binary(y, design).fit(
                disp=False,
                cov_type="cluster",
                cov_kwds={"groups": groups, "use_correction": False},
            )
    except (PerfectSeparationWarning, PerfectSeparationError, np.linalg.LinAlgError) as err:
        return None, f"proportional-odds check skipped: a cumulative binary model failed ({err})"
    width = p + 1
    rows, out = [], []
    for i, name in enumerate(x.columns, start=1):
        r = np.zeros((j_ - 1, j_ * width))
        for c in range(1, j_):
            r[c - 1, i] = -1.0
            r[c - 1, c * width + i] = 1.0
        rows.append(r)
        w = res.wald_test(r, scalar=True)
        out.append((str(name), float(w.statistic), j_ - 1, float(w.pvalue)))
    w = res.wald_test(np.vstack(rows), scalar=True)
    out.insert(0, ("omnibus", float(w.statistic), p * (j_ - 1), float(w.pvalue)))
    po = pd.DataFrame(out, columns=["term", "chi2", "df", "p_value"])
    bad = po[po["p_value"] < alpha]["term"].tolist()
    note = None
    if bad:
        note = (
            f"proportional-odds (parallel slopes) assumption doubtful for {', '.join(bad)} "
            f"(p < {alpha:g}); see .proportional_odds"
        )
    return po, note


def _fit_stats(result, kind: str, link: str, dropped: int, has_const: bool) -> pd.Series:
    ols = kind == "ols"
    mle = getattr(result, "mle_retvals", None) or {}
    return pd.Series(
        {
            "kind": kind,
            "link": link if kind == "ordinal" else ("logit" if kind == "logit" else None),
            "n": int(result.nobs),
            "n_dropped": dropped,
            "n_params": len(result.params),
            "log_likelihood": float(result.llf),
            "aic": float(result.aic),
            "bic": float(result.bic),
            "pseudo_r2": np.nan if ols else float(result.prsquared),
            "r2": float(result.rsquared) if ols else np.nan,
            "r2_adj": float(result.rsquared_adj) if ols else np.nan,
            "lr_chi2": np.nan if ols else float(result.llr),
            "lr_pvalue": np.nan if ols else float(result.llr_pvalue),
            "converged": bool(mle.get("converged", True)),
            "cov_type": result.cov_type if ols else "nonrobust",
        },
        dtype=object,
    )
