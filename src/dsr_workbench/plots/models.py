"""Success-factor figures: a coefficient (forest) plot and the importance–performance grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from dsr_workbench.analysis.models import SuccessFactorModel
from dsr_workbench.core.errors import DsrError

__all__ = ["coefficient_plot", "ipa_plot"]

_COLORS = sns.color_palette("colorblind", 4).as_hex()


def coefficient_plot(model: SuccessFactorModel, *, odds_ratio: bool | None = None) -> Figure:
    """Forest plot of the predictors' estimates with confidence intervals.

    Cut-points and the intercept are left out. Odds ratios on a log axis for logit and
    logit-link ordinal models (``odds_ratio=None`` chooses), coefficients otherwise.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> from dsr_workbench.analysis.models import factor_scores, fit_success_factors
    >>> f = factor_scores(make_survey().responses)
    >>> m = fit_success_factors(f, "satisfaction", ["trust", "communication"])
    >>> coefficient_plot(m).axes[0].get_xscale()
    'log'
    """
    table = model.table
    rows = table[~table["term"].str.startswith("cut") & ~table["term"].isin(["Intercept", "const"])]
    use_or = rows["odds_ratio"].notna().all() if odds_ratio is None else odds_ratio
    if use_or and rows["odds_ratio"].isna().any():
        raise DsrError(f"a {model.kind} model has no odds ratios", hint="pass odds_ratio=False")
    est, lo, hi = rows["coef"], rows["ci_low"], rows["ci_high"]
    if use_or:
        est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
    rows = rows.iloc[::-1]
    est, lo, hi = (s.iloc[::-1].to_numpy(dtype=float) for s in (est, lo, hi))
    y = np.arange(len(rows))
    fig = Figure(figsize=(6.5, 1.2 + 0.4 * len(rows)), layout="constrained")
    ax = fig.subplots()
    ax.hlines(y, lo, hi, color="0.4")
    ax.scatter(est, y, color=_COLORS[0], zorder=3)
    ax.axvline(1.0 if use_or else 0.0, color="0.2", lw=0.8, ls="--")
    ax.set_yticks(y, rows["term"].tolist())
    if use_or:
        ax.set_xscale("log")
    ax.set_xlabel("odds ratio" if use_or else "coefficient")
    ax.set_title(f"{model.outcome}: {model.kind} model (n = {model.fit_stats['n']})")
    return fig


def ipa_plot(ipa: pd.DataFrame, *, annotate: bool = True) -> Figure:
    """Importance–performance grid (Martilla & James 1977): performance x, importance y.

    Parameters
    ----------
    ipa
        :func:`~dsr_workbench.analysis.models.importance_performance`.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> from dsr_workbench.analysis.models import importance_performance
    >>> fig = ipa_plot(importance_performance(make_survey().responses))
    >>> len(fig.axes[0].collections[0].get_offsets())
    12
    """
    fig = Figure(figsize=(7, 6), layout="constrained")
    ax = fig.subplots()
    quadrants = ["concentrate here", "keep up the good work", "low priority", "possible overkill"]
    colors = dict(zip(quadrants, _COLORS, strict=True))
    ax.scatter(ipa["performance"], ipa["importance"], c=ipa["quadrant"].map(colors).tolist())
    cut_p, cut_i = float(ipa["performance_cut"].iloc[0]), float(ipa["importance_cut"].iloc[0])
    ax.axvline(cut_p, color="0.3", lw=0.8)
    ax.axhline(cut_i, color="0.3", lw=0.8)
    if annotate:
        for row in ipa.itertuples(index=False):
            ax.annotate(
                row.item,
                (row.performance, row.importance),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize="x-small",
            )
    corners = {
        "concentrate here": (0.02, 0.98, "left", "top"),
        "keep up the good work": (0.98, 0.98, "right", "top"),
        "low priority": (0.02, 0.02, "left", "bottom"),
        "possible overkill": (0.98, 0.02, "right", "bottom"),
    }
    for name, (x, y, ha, va) in corners.items():
        ax.text(x, y, name, transform=ax.transAxes, ha=ha, va=va, color=colors[name])
    ax.set_xlabel("performance (mean perception)")
    ax.set_ylabel("importance (mean expectation)")
    ax.set_title("Importance–performance analysis")
    return fig
