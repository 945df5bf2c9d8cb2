"""The Relationship Gap: where client and CMO expectations and perceptions diverge.

Two comparisons over the tidy ``responses`` table (see :mod:`dsr_workbench.analysis.survey`):

* :func:`relationship_gap` — client vs CMO, per item or construct and per kind, *paired over
  dyads* (Wilcoxon signed-rank) or, on request, unpaired (Mann–Whitney U);
* :func:`servqual_gap` — expectation − perception within each side (SERVQUAL-style).

The unit of analysis is a relationship's side: answers of several respondents on one side of
one relationship are averaged first (and, at ``level="construct"``, each respondent's items of
a construct are averaged before that). Missing answers are dropped pair by pair.

Every test row carries: the test and its ``zero_method``, the statistic, the p-value, the
Holm-adjusted p-value (:func:`statsmodels.stats.multitest.multipletests`; the family is the
rows of one kind — or of one side for :func:`servqual_gap`), the rank-biserial correlation
and a bootstrap CI of the mean gap (:func:`scipy.stats.bootstrap`, BCa by default; where BCa
is undefined — e.g. a degenerate jackknife — the percentile interval). The tests and the
input checks are in :mod:`dsr_workbench.analysis.gap_tests`.

References
----------
Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin*, 1, 80–83.
Pratt, J. W. (1959). Remarks on zeros and ties in the Wilcoxon signed rank procedures. *JASA*, 54.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Stat.*, 6.
Kerby, D. S. (2014). The simple difference formula: an approach to teaching nonparametric
correlation. *Comprehensive Psychology*, 3, 11.IT.3.1.
Parasuraman, A., Zeithaml, V. A. & Berry, L. L. (1988). SERVQUAL. *J. Retailing*, 64(1), 12–40.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from dsr_workbench.analysis.gap_tests import (
    Alternative,
    ZeroMethod,
    _check_both_sides,
    _check_kinds,
    _check_names,
    _check_options,
    _drop_one_sided,
    _holm,
    _mean,
    _paired,
    _select,
    _test_options,
    _unpaired,
)
from dsr_workbench.analysis.survey import validate_responses
from dsr_workbench.analysis.survey_contract import PERSPECTIVES
from dsr_workbench.core.errors import DsrError

__all__ = [
    "GAP_COLUMNS",
    "SERVQUAL_COLUMNS",
    "dyad_table",
    "relationship_gap",
    "servqual_gap",
    "side_scores",
]

Level = Literal["item", "construct"]

_TEST_COLUMNS = [
    "mean_gap",
    "median_gap",
    "ci_low",
    "ci_high",
    "test",
    "zero_method",
    "statistic",
    "p_value",
    "p_holm",
    "rank_biserial",
]
GAP_COLUMNS = (
    "kind",
    "item",
    "construct",
    "n_pairs",
    "n_client",
    "n_cmo",
    "mean_client",
    "mean_cmo",
    *_TEST_COLUMNS,
)
SERVQUAL_COLUMNS = (
    "perspective",
    "item",
    "construct",
    "n_pairs",
    "mean_expectation",
    "mean_perception",
    *_TEST_COLUMNS,
)


def side_scores(
    responses: pd.DataFrame,
    *,
    level: Level = "item",
    kinds: Iterable[str] | None = None,
    items: Iterable[str] | None = None,
    constructs: Iterable[str] | None = None,
    scale: tuple[int, int] = (1, 7),
) -> pd.DataFrame:
    """Each relationship side's mean answer per item (or construct) and kind.

    Parameters
    ----------
    responses
        Tidy survey answers (columns ``relationship_id, respondent, perspective, item,
        construct, kind, value``).
    level
        ``"item"``, or ``"construct"`` (each respondent's items of a construct averaged).
    kinds, items, constructs
        Keep only these (default: all rating kinds, all items, all constructs).
    scale
        Likert range checked by :func:`~dsr_workbench.analysis.survey.validate_responses`.

    Returns
    -------
    DataFrame
        Columns ``relationship_id, perspective, kind, item, construct, n_respondents,
        value``; at ``level="construct"`` ``item`` repeats the construct's name.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> s = side_scores(make_survey().responses, level="construct", kinds=["perception"])
    >>> s.iloc[0].to_dict()
    {'relationship_id': 'CMR01', 'perspective': 'client', 'kind': 'perception', 'item': 'trust', 'construct': 'trust', 'n_respondents': 2, 'value': 4.5}
    """
    data = validate_responses(responses, scale=scale)
    kinds = _check_kinds(data, kinds)
    data = _select(data[data["kind"].isin(kinds)], items, constructs)
    if level not in ("item", "construct"):
        raise DsrError(f"level '{level}' is not 'item' or 'construct'")
    name = "construct" if level == "construct" else "item"
    order = pd.factorize(data[name])[0]  # questionnaire order: first appearance
    answered = data["value"].notna().to_numpy()
    data, order = data[answered], order[answered]
    value = data["value"].to_numpy(dtype=np.float64)
    codes = {c: pd.factorize(data[c])[0] for c in _SCORE_KEYS}
    if level == "construct":  # each respondent's items of a construct averaged first
        first, group = _groups(
            codes, ("relationship_id", "respondent", "perspective", "kind", "construct")
        )
        value = np.bincount(group, weights=value) / np.bincount(group)
        data, order = data.iloc[first], order[first]
        codes = {c: v[first] for c, v in codes.items()}
        data = data.assign(item=data["construct"])
        codes["item"] = codes["construct"]
    first, group = _groups(codes, ("relationship_id", "perspective", "kind", "item", "construct"))
    n_groups = len(first)
    mean = np.bincount(group, weights=value, minlength=n_groups) / np.bincount(
        group, minlength=n_groups
    )
    pairs = np.unique(group * (int(codes["respondent"].max(initial=0)) + 1) + codes["respondent"])
    who = np.bincount(pairs // (int(codes["respondent"].max(initial=0)) + 1), minlength=n_groups)
    out = data.iloc[first][["relationship_id", "perspective", "kind", "item", "construct"]]
    out = out.reset_index(drop=True).assign(n_respondents=who.astype(np.int64), value=mean)
    kind_rank = out["kind"].map({k: i for i, k in enumerate(kinds)}).to_numpy()
    rank = np.lexsort((order[first], kind_rank))  # stable: groups in order of appearance
    return out.iloc[rank].reset_index(drop=True)


_SCORE_KEYS = ("relationship_id", "respondent", "perspective", "kind", "item", "construct")


def _groups(codes: dict[str, np.ndarray], keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Groups of the rows by ``keys`` (integer codes per column), in order of appearance:
    each group's first row and each row's group (``groupby(keys, sort=False)``'s order)."""
    packed = np.zeros(len(codes[keys[0]]), dtype=np.int64)
    for key in keys:  # mixed radix; small tables: no overflow at survey sizes
        packed = packed * (int(codes[key].max(initial=0)) + 1) + codes[key]
    group, uniques = pd.factorize(packed)
    first = np.full(len(uniques), len(packed), dtype=np.int64)
    np.minimum.at(first, group, np.arange(len(packed)))
    return first, group


def relationship_gap(
    responses: pd.DataFrame,
    *,
    kinds: Iterable[str] | None = None,
    level: Level = "item",
    items: Iterable[str] | None = None,
    constructs: Iterable[str] | None = None,
    paired: bool = True,
    zero_method: ZeroMethod = "wilcox",
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    n_resamples: int = 2000,
    ci_method: Literal["BCa", "percentile", "basic"] = "BCa",
    seed: int = 0,
    scale: tuple[int, int] = (1, 7),
) -> pd.DataFrame:
    """Client vs CMO per item (or construct) and kind: the Relationship Gap.

    The gap is *client − CMO*. With ``paired=True`` each relationship contributes one
    difference (its client side minus its CMO side), tested with the Wilcoxon signed-rank
    test (:func:`scipy.stats.wilcoxon`); effect size is the matched-pairs rank-biserial
    correlation ``r = (T+ − T−) / (T+ + T−)`` (Kerby 2014) over the ranks that the zero method
    keeps. With ``paired=False`` the two sides are independent samples: Mann–Whitney U
    (:func:`scipy.stats.mannwhitneyu`), rank-biserial ``r = 2U/(n_client·n_cmo) − 1``, and
    the bootstrap resamples each side separately.

    Parameters
    ----------
    responses
        Tidy survey answers (see :mod:`dsr_workbench.analysis.survey`).
    kinds
        Kinds compared (each its own Holm family); default every rating kind present
        (e.g. expectation and perception).
    level
        ``"item"`` or ``"construct"``.
    items, constructs
        Restrict to these names; an unknown name is an error.
    paired
        Pair the two sides of each relationship (default) or treat them as independent.
    zero_method
        Wilcoxon's handling of zero differences: ``"wilcox"`` (drop them), ``"pratt"``
        (rank them, then drop; Pratt 1959) or ``"zsplit"`` (split their ranks).
    alternative
        ``"two-sided"``, ``"greater"`` (client above CMO) or ``"less"``.
    confidence
        Level of the bootstrap confidence interval of the mean gap.
    n_resamples
        Bootstrap resamples; ``0`` skips the interval (NaN), e.g. for interactive use.
    ci_method
        :func:`scipy.stats.bootstrap` method.
    seed
        Seed of the bootstrap's random generator.
    scale
        Likert range; a rating outside it is an error.

    Returns
    -------
    DataFrame
        Columns ``kind, item, construct, n_pairs, n_client, n_cmo, mean_client, mean_cmo,
        mean_gap, median_gap, ci_low, ci_high, test ('wilcoxon' | 'mannwhitneyu'),
        zero_method (NA when unpaired), statistic (scipy's), p_value, p_holm,
        rank_biserial``; one row per kind and item. When paired, the n's and means are
        over complete pairs.

    Raises
    ------
    DsrError
        An unknown item, construct or kind; a rating out of range; an item answered by one
        side only; ``paired=True`` when no relationship has both sides.

    Warns
    -----
    SurveyWarning
        Relationships answered by one side only are left out of the paired analysis.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> g = relationship_gap(make_survey(one_sided=0).responses, kinds=["perception"],
    ...                      level="construct", n_resamples=200)
    >>> g.set_index("item").loc["flexibility", ["n_pairs", "mean_gap", "zero_method"]].to_dict()
    {'n_pairs': 40, 'mean_gap': -0.98125, 'zero_method': 'wilcox'}
    """
    _check_options(zero_method, confidence, n_resamples)
    scores = side_scores(
        responses, level=level, kinds=kinds, items=items, constructs=constructs, scale=scale
    )
    _check_both_sides(scores, ("client", "cmo"), "perspective")
    if paired:
        scores = _drop_one_sided(scores)
    options = _test_options(zero_method, alternative, confidence, n_resamples, ci_method, seed)
    out, sides = _side_arrays(scores, ["kind", "item", "construct"], "perspective", PERSPECTIVES)
    if paired:
        both = ~np.isnan(sides).any(axis=2)  # (groups, relationships): complete pairs
        xs = [sides[g, both[g], 0] for g in range(len(out))]
        ys = [sides[g, both[g], 1] for g in range(len(out))]
        results = _paired([x - y for x, y in zip(xs, ys, strict=True)], **options)
        out["n_pairs"] = [len(x) for x in xs]
    else:
        xs = [row[~np.isnan(row)] for row in sides[:, :, 0]]
        ys = [row[~np.isnan(row)] for row in sides[:, :, 1]]
        results = [_unpaired(x, y, **options) for x, y in zip(xs, ys, strict=True)]
        out["n_pairs"] = np.nan
    out["n_client"] = [len(x) for x in xs]
    out["n_cmo"] = [len(y) for y in ys]
    out["mean_client"] = [_mean(x) for x in xs]
    out["mean_cmo"] = [_mean(y) for y in ys]
    out = _with_results(out, results, GAP_COLUMNS)
    out["n_pairs"] = out["n_pairs"].astype("Int64")
    out["p_holm"] = _holm(out, "kind")
    return out


def _side_arrays(
    scores: pd.DataFrame, keys: list[str], column: str, sides: tuple[str, str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``keys`` groups of ``scores`` (in order of appearance) and their values as an
    array ``(groups, relationships, 2)``: relationships sorted, the two ``sides`` of
    ``column`` last, NaN where a relationship has no value for a side of a group."""
    group = scores.groupby(keys, sort=False).ngroup().to_numpy()
    labels = scores[keys].drop_duplicates().reset_index(drop=True)
    rel, names = pd.factorize(scores["relationship_id"], sort=True)
    side = scores[column].map({sides[0]: 0, sides[1]: 1})
    keep = side.notna().to_numpy()
    values = np.full((len(labels), len(names), 2), np.nan)
    values[group[keep], rel[keep], side[keep].astype(int)] = scores["value"].to_numpy()[keep]
    return labels, values


def _with_results(
    table: pd.DataFrame, results: list[dict[str, object]], columns: tuple[str, ...]
) -> pd.DataFrame:
    """``table`` with the test results' columns, in the order of ``columns``."""
    tests = pd.DataFrame(results, columns=[c for c in columns if c not in table.columns])
    return pd.concat([table, tests], axis=1)[list(columns)]


def servqual_gap(
    responses: pd.DataFrame,
    *,
    level: Level = "item",
    perspectives: Iterable[str] = ("client", "cmo"),
    items: Iterable[str] | None = None,
    constructs: Iterable[str] | None = None,
    zero_method: ZeroMethod = "wilcox",
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    n_resamples: int = 2000,
    ci_method: Literal["BCa", "percentile", "basic"] = "BCa",
    seed: int = 0,
    scale: tuple[int, int] = (1, 7),
) -> pd.DataFrame:
    """Expectation − perception within each side, paired over relationships (SERVQUAL-style).

    A positive gap means the side's expectation is not met. (SERVQUAL's quality score is
    perception − expectation, i.e. this gap with the opposite sign.) Tests, effect size and
    interval as in :func:`relationship_gap`; Holm adjusts within each side.

    Parameters
    ----------
    responses
        Tidy survey answers with ``expectation`` and ``perception`` rows.
    level, items, constructs, zero_method, alternative, confidence, n_resamples, ci_method,
    seed, scale
        As in :func:`relationship_gap`.
    perspectives
        Sides to report.

    Returns
    -------
    DataFrame
        Columns ``perspective, item, construct, n_pairs, mean_expectation,
        mean_perception, mean_gap, median_gap, ci_low, ci_high, test, zero_method,
        statistic, p_value, p_holm, rank_biserial``.

    Raises
    ------
    DsrError
        An item with expectation answers but no perception answers (or the reverse), and
        the errors of :func:`relationship_gap`.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> q = servqual_gap(make_survey().responses, level="construct", n_resamples=0)
    >>> q.loc[q["item"] == "quality_compliance", ["perspective", "mean_gap"]].round(2).values.tolist()
    [['client', 1.88], ['cmo', 1.74]]
    """
    _check_options(zero_method, confidence, n_resamples)
    present = set(responses["kind"]) if "kind" in responses.columns else set()
    for kind in ("expectation", "perception"):
        if kind not in present:
            raise DsrError(
                f"the responses have no {kind} answers; the SERVQUAL gap needs both kinds"
            )
    scores = side_scores(
        responses,
        level=level,
        kinds=["expectation", "perception"],
        items=items,
        constructs=constructs,
        scale=scale,
    )
    scores = scores[scores["perspective"].isin(list(perspectives))]
    _check_both_sides(scores, ("expectation", "perception"), "kind")
    options = _test_options(zero_method, alternative, confidence, n_resamples, ci_method, seed)
    keys = ["perspective", "item", "construct"]
    out, sides = _side_arrays(scores, keys, "kind", ("expectation", "perception"))
    both = ~np.isnan(sides).any(axis=2)
    es = [sides[g, both[g], 0] for g in range(len(out))]
    ps = [sides[g, both[g], 1] for g in range(len(out))]
    results = _paired([e - p for e, p in zip(es, ps, strict=True)], **options)
    out["n_pairs"] = [len(e) for e in es]
    out["mean_expectation"] = [_mean(e) for e in es]
    out["mean_perception"] = [_mean(p) for p in ps]
    out = _with_results(out, results, SERVQUAL_COLUMNS)
    out["p_holm"] = _holm(out, "perspective")
    return out


def dyad_table(
    responses: pd.DataFrame,
    *,
    level: Level = "construct",
    kinds: Iterable[str] = ("expectation", "perception"),
    relationships: Iterable[str] | None = None,
    scale: tuple[int, int] = (1, 7),
) -> pd.DataFrame:
    """Both sides of each relationship side by side, per item (or construct) and kind.

    Descriptive (no test); the input of the per-relationship radar and the gap explorer.

    Returns
    -------
    DataFrame
        Columns ``relationship_id, kind, item, construct, client, cmo, gap`` (gap = client −
        cmo; NaN where a side is missing).

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> d = dyad_table(make_survey().responses, relationships=["CMR02"], kinds=["perception"])
    >>> d.iloc[2].to_dict()
    {'relationship_id': 'CMR02', 'kind': 'perception', 'item': 'information_sharing', 'construct': 'information_sharing', 'client': 4.0, 'cmo': 3.0, 'gap': 1.0}
    """
    scores = side_scores(responses, level=level, kinds=kinds, scale=scale)
    if relationships is not None:
        wanted = list(relationships)
        _check_names(wanted, scores["relationship_id"], "relationship")
        scores = scores[scores["relationship_id"].isin(wanted)]
    keys = ("relationship_id", "kind", "item", "construct")
    codes = {c: pd.factorize(scores[c])[0] for c in keys}
    first, group = _groups(codes, keys)
    sides = np.full((len(first), 2), np.nan)
    side = scores["perspective"].map({"client": 0, "cmo": 1}).to_numpy()
    sides[group, side] = scores["value"].to_numpy(dtype=np.float64)
    # rows by relationship, then kind, item, construct, each in order of first appearance
    # (the order of pivot_table(..., sort=False), which this replaces)
    order = np.lexsort([codes[k][first] for k in reversed(keys)])
    first, sides = first[order], sides[order]
    wide = scores.iloc[first][list(keys)].reset_index(drop=True)
    return wide.assign(client=sides[:, 0], cmo=sides[:, 1], gap=sides[:, 0] - sides[:, 1])
