"""Fitting and checking the success-factor models: the statsmodels plumbing behind them.

Builds the ordinal, OLS or logit model from columns or a formula, checks the outcome and
the design (constant or collinear predictors, perfect separation), fits it, and turns the
result into the tidy coefficient table, the fit statistics, the small-sample diagnostics and
the Brant-type parallel-slopes check that
:func:`dsr_workbench.analysis.models.fit_success_factors` returns.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.contrast import ContrastResults
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

from dsr_workbench.core.errors import DsrError

__all__ = ["TABLE_COLUMNS"]

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
