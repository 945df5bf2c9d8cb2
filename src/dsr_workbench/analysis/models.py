"""Success-factor models and importance–performance analysis.

:func:`fit_success_factors` fits an outcome (e.g. satisfaction) on success factors with
statsmodels — an ordinal model (:class:`~statsmodels.miscmodels.ordinal_model.OrderedModel`,
logit or probit link), OLS (HC3 standard errors by default) or a binary logit — and returns
a :class:`SuccessFactorModel` with a tidy coefficient table, fit statistics and the
small-sample diagnostics as warnings. :func:`factor_scores` turns the tidy ``responses`` into
the one-row-per-respondent table such a model needs; :func:`importance_performance` places
items in the four quadrants of Martilla & James (1977). The statsmodels plumbing (building,
checking and fitting the model, its table and diagnostics) is in
:mod:`dsr_workbench.analysis.model_fit`.

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

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from dsr_workbench.analysis.gap import side_scores
from dsr_workbench.analysis.model_fit import (
    TABLE_COLUMNS,
    _build,
    _check_columns,
    _check_design,
    _check_separation,
    _diagnostics,
    _fit,
    _fit_stats,
    _parallel_slopes,
    _prepare_outcome,
    _table,
)
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
