"""Inter-coder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

Reliability data come as a tidy *long* table, one row per value a coder gave a unit::

    unit    coder   value
    1       A       yes
    1       B       no
    2       A       yes
    ...

A missing value (NaN / ``<NA>``) and a missing row mean the same thing: that coder did not
code that unit. The statistics come from the field's libraries: Krippendorff's alpha from the
``krippendorff`` package (the level of measurement is always passed explicitly; the package's
own default is *interval*), Cohen's and Fleiss' kappa from :mod:`statsmodels.stats.inter_rater`.
The long table is reshaped with categorical codes and :func:`numpy.bincount` (no loop over
units), so the reshaping costs less than the statistic even for 100,000 units. This module
validates and encodes the table; the coefficients are computed in
:mod:`dsr_workbench.analysis.coefficients`.

Codings (coded text segments) are turned into such tables by
:mod:`dsr_workbench.analysis.reliability_codings`.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
Psychological Measurement* 20(1), 37-46.
Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. *Psychological
Bulletin* 76(5), 378-382.
Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
measure for coding data. *Communication Methods and Measures* 1(1), 77-89.
Krippendorff, K. (2004). *Content Analysis: An Introduction to Its Methodology* (2nd ed.),
ch. 11. Sage.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Departmental papers
(ASC), University of Pennsylvania.
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical
data. *Biometrics* 33(1), 159-174.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from dsr_workbench.analysis.coefficients import (
    Level,
    _Coded,
    _cohens_kappa,
    _fleiss_kappa,
    _krippendorff_alpha,
    _percent_agreement,
    _show,
)
from dsr_workbench.core.errors import DsrError

__all__ = [
    "COLUMNS",
    "LEVELS",
    "METRICS",
    "agreement",
    "band_alpha",
    "band_kappa",
]

Metric = Literal["percent_agreement", "cohens_kappa", "fleiss_kappa", "krippendorff_alpha"]
Weights = Literal["linear", "quadratic"]

#: Levels of measurement understood by :func:`agreement`.
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
#: Metrics computed by :func:`agreement`, in the order of its rows.
METRICS: tuple[str, ...] = (
    "percent_agreement",
    "cohens_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
)
#: Columns of the table :func:`agreement` returns.
COLUMNS: tuple[str, ...] = (
    "metric",
    "level",
    "estimate",
    "ci_low",
    "ci_high",
    "n_units",
    "n_coders",
    "n_pairable",
    "note",
)
_WEIGHTS: tuple[str, ...] = ("linear", "quadratic")


def _check_columns(data: pd.DataFrame, columns: dict[str, str | None]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DsrError(
            f"data must be a pandas DataFrame, not {type(data).__name__}",
            hint="build a long table with columns unit, coder, value",
        )
    for argument, column in columns.items():
        if column is not None and column not in data.columns:
            raise DsrError(
                f"column '{column}' is missing (columns: {', '.join(map(str, data.columns))})",
                key=column,
                hint=f"pass {argument}= with the name of the column that holds the {argument}",
            )


def _factorize(column: pd.Series, sort: bool = False) -> tuple[npt.NDArray[np.int64], pd.Index]:
    """Integer codes (n,) of a column (-1 where missing) and its distinct labels.

    Categorical columns use their own codes; object columns are factorized as a plain array,
    which pandas hashes about twice as fast as an object Series; any other column (pandas 3's
    Arrow-backed ``str``, numbers) as itself, since ``to_numpy()`` would first turn Arrow
    strings into Python objects (most of the time at 10^5 units).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(np.int64), pd.Index(column.cat.categories)
    array = column.to_numpy() if column.dtype == object else column
    try:
        codes, labels = pd.factorize(array, sort=sort)
    except TypeError:  # mixed types cannot be sorted
        codes, labels = pd.factorize(array, sort=False)
    return codes.astype(np.int64), pd.Index(labels)


def _encode_values(
    values: pd.Series, level: str, column: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.generic]]:
    """Return (codes, domain): codes (n,) index into domain (V,), ordered unless nominal."""
    if level in ("interval", "ratio"):
        plain = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
        if pd.api.types.is_bool_dtype(plain.dtype):
            numbers = pd.Series(np.nan, index=plain.index)
        else:
            numbers = pd.to_numeric(plain, errors="coerce")
        bad = numbers.isna().to_numpy()
        if bad.any():
            row = values.index[int(bad.argmax())]
            raise DsrError(
                f"value {_show(values.loc[row])} in row {_show(row)} is not a number, "
                f"which level '{level}' needs",
                key=column,
                hint="recode the values as numbers, or use level='nominal' or 'ordinal'",
            )
        if level == "ratio" and (numbers < 0).any():
            row = numbers.index[int((numbers < 0).to_numpy().argmax())]
            raise DsrError(
                f"value {_show(values.loc[row])} in row {_show(row)} is negative; the ratio level "
                "needs values on a scale with an absolute zero",
                key=column,
                hint="use level='interval' for values that can be negative",
            )
        codes, uniques = pd.factorize(numbers, sort=True)
        return codes.astype(np.int64), np.asarray(uniques, dtype=float)
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        used = values.cat.remove_unused_categories()
        return used.cat.codes.to_numpy(np.int64), np.asarray(used.cat.categories)
    if level == "ordinal" and not pd.api.types.is_numeric_dtype(values.dtype):
        examples = ", ".join(repr(v) for v in pd.unique(values)[:3])
        raise DsrError(
            f"ordinal values in column '{column}' are not numbers ({examples}, ...), "
            "so their order is unknown",
            key=column,
            hint="pass an ordered pandas Categorical, e.g. "
            "pd.Categorical(values, categories=[...], ordered=True), or number the categories",
        )
    codes, labels = _factorize(values, sort=True)  # nominal: the order does not matter
    return codes, np.asarray(labels)


def _prepare(
    data: pd.DataFrame,
    unit: str,
    coder: str,
    value: str,
    level: str,
    weight: str | None = None,
) -> _Coded:
    """Validate the long table and encode it (see :class:`_Coded`); raise DsrError if bad."""
    _check_columns(data, {"unit": unit, "coder": coder, "value": value, "weight": weight})
    if level not in LEVELS:
        raise DsrError(
            f"unknown level of measurement {_show(level)}",
            hint=f"choose one of {', '.join(LEVELS)}",
        )
    keep = data[value].notna().to_numpy()
    if not keep.any():
        raise DsrError(
            f"no values to compare: every value in column '{value}' is missing"
            if len(data)
            else "no values to compare: the table is empty",
            key=value,
            hint="check that the right column is passed as value=",
        )
    rows = data.index[keep]
    encoded = {}
    for argument, column in (("unit", unit), ("coder", coder)):
        codes, labels = _factorize(data[column], sort=argument == "coder")
        codes = codes[keep]
        if (codes < 0).any():
            raise DsrError(
                f"the {argument} is missing in row {_show(rows[int((codes < 0).argmax())])}",
                key=column,
                hint=f"give every row a {argument} or drop the row",
            )
        # Keep only the labels that have a value (a coder whose values are all missing is
        # not a coder of this table).
        used = np.bincount(codes, minlength=len(labels)) > 0
        if not used.all():
            codes, labels = (np.cumsum(used) - 1)[codes], labels[used]
        encoded[argument] = codes, labels
    (unit_codes, units), (coder_codes, coders) = encoded["unit"], encoded["coder"]
    if len(coders) < 2:
        raise DsrError(
            f"only one coder ({_show(coders[0])}) in column '{coder}'; agreement needs at least two",
            key=coder,
            hint="add the second coder's values to the table",
        )
    n_units, n_coders = len(units), len(coders)
    per_cell = np.bincount(unit_codes * n_coders + coder_codes, minlength=n_units * n_coders)
    if (per_cell > 1).any():
        cell = int((per_cell > 1).argmax())
        raise DsrError(
            f"unit {_show(units[cell // n_coders])} has {per_cell[cell]} values from coder "
            f"{_show(coders[cell % n_coders])}; each coder gives one value per unit",
            key=unit,
            hint=f"drop or merge the duplicate rows, e.g. data.drop_duplicates([{_show(unit)}, "
            f"{_show(coder)}])",
        )
    value_codes, domain = _encode_values(data[value][keep], level, value)
    n_values = len(domain)
    counts = np.bincount(unit_codes * n_values + value_codes, minlength=n_units * n_values).reshape(
        n_units, n_values
    )
    matrix = np.full((n_coders, n_units), -1, dtype=np.int64)
    matrix[coder_codes, unit_codes] = value_codes
    unit_weight = np.ones(n_units, dtype=np.int64)
    if weight is not None:
        given = data[weight][keep]
        row_weight = pd.to_numeric(given, errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(row_weight) & (row_weight >= 1) & (row_weight == np.round(row_weight)))
        if bad.any():
            row = rows[int(bad.argmax())]
            raise DsrError(
                f"weight {_show(given.loc[row])} in row {_show(row)} is not a whole number >= 1",
                key=weight,
                hint="the weight says how many units (e.g. characters) a row stands for",
            )
        unit_weight[unit_codes] = row_weight.astype(np.int64)
        differs = unit_weight[unit_codes] != row_weight
        if differs.any():
            row = rows[int(differs.argmax())]
            raise DsrError(
                f"the weight in row {_show(row)} differs from another row of unit "
                f"{_show(data[unit].loc[row])}",
                key=weight,
                hint="give every row of a unit the same weight",
            )
    return _Coded(counts, matrix, unit_weight, domain, coders)


def agreement(
    data: pd.DataFrame,
    unit: str = "unit",
    coder: str = "coder",
    value: str = "value",
    level: Level = "nominal",
    metrics: Sequence[Metric] | None = None,
    weights: Weights | None = None,
    n_boot: int = 0,
    seed: int | None = None,
    *,
    weight: str | None = None,
) -> pd.DataFrame:
    """Inter-coder agreement of a long (unit, coder, value) table, one row per metric.

    Parameters
    ----------
    data
        Long table, one row per value a coder gave a unit; other columns are ignored. A
        missing value (NaN / ``<NA>``) means the coder did not code the unit, as does a
        missing row.
    unit, coder, value
        Names of the columns holding the unit, the coder and the value.
    level
        Level of measurement of the values, for Krippendorff's alpha: ``"nominal"``,
        ``"ordinal"``, ``"interval"`` or ``"ratio"``. Ordinal values must be numbers or an
        ordered :class:`pandas.Categorical`; interval and ratio values must be numbers (ratio:
        not negative). Percent agreement and Fleiss' kappa always treat values as nominal.
    metrics
        Metrics to compute, a subset of :data:`METRICS`, in the order wanted. ``None`` (the
        default) computes all four and gives a metric that does not apply to the data (e.g.
        Cohen's kappa with three coders) a row with ``estimate`` NaN and the reason in
        ``note``; a metric asked for explicitly that does not apply raises
        :class:`~dsr_workbench.core.errors.DsrError`.
    weights
        ``None`` (unweighted Cohen's kappa), ``"linear"`` or ``"quadratic"``: weighted
        kappa for ordered categories (Cohen 1968), with weights spaced by the ranks of the
        categories the two coders used, as R's ``irr::kappa2`` does. Needs a level other than
        ``"nominal"``.
    n_boot
        Number of bootstrap samples for a 95 % percentile confidence interval of alpha; 0
        (the default) for none. Each sample draws the pairable units with replacement (the
        idea of bootstrapping alpha is Hayes & Krippendorff's (2007); their algorithm
        resamples pairs of values within the coincidence matrix, this one resamples units).
    seed
        Seed of the bootstrap's random generator; the same seed gives the same interval.
    weight
        Optional column saying how many units a row stands for (a whole number >= 1, the
        same in every row of a unit), e.g. the ``weight`` of a character span from
        :func:`dsr_workbench.analysis.reliability_codings.reliability_data`. The statistics are those
        of the table with each unit repeated that many times (Fleiss' kappa up to 10 million
        such units). Weighted tables get no confidence intervals, as characters of one text
        are not independent units; ``n_boot`` must then be 0.

    Returns
    -------
    pandas.DataFrame
        One row per metric, columns :data:`COLUMNS`:

        - ``metric``: ``percent_agreement`` (the share of agreeing coder pairs within a unit,
          averaged over units; a proportion between 0 and 1; for two coders the share of
          units they agree on), ``cohens_kappa`` (exactly two coders, units coded by both;
          Cohen 1960, weighted: Cohen 1968), ``fleiss_kappa`` (the same number of values in
          every unit; Fleiss 1971), ``krippendorff_alpha`` (any number of coders, missing
          values; Krippendorff 2011);
        - ``level``: the level the metric treated the values at;
        - ``estimate``: the statistic, NaN if it does not apply;
        - ``ci_low``, ``ci_high``: 95 % confidence interval: bootstrap for alpha when
          ``n_boot > 0``, statsmodels' asymptotic interval for Cohen's kappa, else NaN;
        - ``n_units``: units that entered the metric (those with values from at least two
          coders; for Cohen's kappa, from both coders);
        - ``n_coders``: coders with at least one value;
        - ``n_pairable``: values that entered the metric;
        - ``note``: why a metric does not apply, or what was left out; ``""`` if nothing.

    Raises
    ------
    DsrError
        A column is missing; every value is missing; there is only one coder; a (unit, coder)
        pair has more than one value; the values are not numbers although the level is
        interval or ratio (or negative for ratio), or text for ordinal; an unknown level,
        metric or weights; weights with level nominal; a metric asked for that does not apply.

    Notes
    -----
    Edge cases. *One category only*: every coder gave every unit the same value; percent
    agreement is 1, the kappas and alpha are undefined (0/0): NaN with a note. *A unit coded
    by one coder only*: it has nothing to be compared with and is left out of every metric
    (the note says how many). *A single coder*, *all values missing*, *duplicate (unit,
    coder) rows* and *non-numeric values at interval level* raise :class:`DsrError`.

    Examples
    --------
    >>> data = pd.DataFrame({
    ...     "unit": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6],
    ...     "coder": ["A", "B"] * 5 + ["A"],
    ...     "value": ["yes", "yes", "no", "no", "yes", "no", "no", "no", "yes", "yes", "no"],
    ... })
    >>> table = agreement(data)
    >>> table[["metric", "level", "estimate", "n_units", "n_pairable"]].round(3)
                   metric    level  estimate  n_units  n_pairable
    0   percent_agreement  nominal     0.800        5          10
    1        cohens_kappa  nominal     0.615        5          10
    2        fleiss_kappa  nominal     0.600        5          10
    3  krippendorff_alpha  nominal     0.640        5          10
    >>> print(table.loc[3, "note"])
    1 unit coded by one coder only left out
    """
    return _agreement(data, unit, coder, value, level, metrics, weights, n_boot, seed, weight)


def _agreement(
    data: pd.DataFrame,
    unit: str,
    coder: str,
    value: str,
    level: str,
    metrics: Sequence[str] | str | None,
    weights: str | None,
    n_boot: int,
    seed: int | None,
    weight: str | None,
    strict: bool | None = None,
) -> pd.DataFrame:
    """:func:`agreement`; ``strict`` (default: metrics given) raises for a metric that does not apply."""
    if metrics is None:
        wanted, explicit = list(METRICS), False if strict is None else strict
    else:
        wanted = [metrics] if isinstance(metrics, str) else list(metrics)
        explicit = True if strict is None else strict
        unknown = [m for m in wanted if m not in METRICS]
        if unknown or not wanted:
            raise DsrError(
                f"unknown metric {_show(unknown[0])}" if unknown else "no metric asked for",
                hint=f"choose from {', '.join(METRICS)}",
            )
    if weights is not None and weights not in _WEIGHTS:
        raise DsrError(f"unknown weights {_show(weights)}", hint="use 'linear' or 'quadratic'")
    if weights is not None and level == "nominal":
        raise DsrError(
            f"weights={_show(weights)} need ordered categories, but level is 'nominal'",
            hint="pass level='ordinal' (or interval/ratio), or drop weights",
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise DsrError(f"n_boot must be a whole number >= 0, not {_show(n_boot)}")
    if n_boot and weight is not None:
        raise DsrError(
            "no bootstrap with a weight column: it would resample characters of the same text "
            "as if they were independent units",
            hint="use n_boot=0, or units that are independent (e.g. turns)",
        )
    coded = _prepare(data, unit, coder, value, level, weight)
    compute = {
        "percent_agreement": lambda: _percent_agreement(coded),
        "cohens_kappa": lambda: _cohens_kappa(coded, weights),
        "fleiss_kappa": lambda: _fleiss_kappa(coded),
        "krippendorff_alpha": lambda: _krippendorff_alpha(coded, level, int(n_boot), seed),
    }
    rows = [compute[m]() for m in wanted]
    if explicit:
        for row in rows:
            if not row.ok:
                raise DsrError(
                    f"{row.metric} does not apply: {row.note}",
                    hint="leave metrics=None to get a row with the reason instead",
                )
    table = pd.DataFrame([{c: getattr(r, c) for c in COLUMNS} for r in rows], columns=COLUMNS)
    return table.astype(
        {
            "metric": str,
            "level": str,
            "estimate": float,
            "ci_low": float,
            "ci_high": float,
            "n_units": np.int64,
            "n_coders": np.int64,
            "n_pairable": np.int64,
            "note": str,
        }
    )


_ALPHA_BANDS = ("unreliable", "tentative", "reliable")
_KAPPA_BANDS = ("poor", "slight", "fair", "moderate", "substantial", "almost perfect")


def band_alpha(values: npt.ArrayLike) -> pd.Series:
    """Krippendorff's (2004, p. 241) reading of alpha: reliable, tentative or unreliable.

    ``alpha >= .800``: reliable; ``.667 <= alpha < .800``: tentative conclusions only;
    ``alpha < .667``: unreliable; NaN gives ``<NA>``. A band is a reading aid beside the
    number, not a verdict.

    Parameters
    ----------
    values
        Alpha values.

    Returns
    -------
    pandas.Series
        The band of each value (string dtype).

    Examples
    --------
    >>> band_alpha([0.95, 0.8, 0.7, 0.5, float("nan")]).tolist()
    ['reliable', 'reliable', 'tentative', 'unreliable', <NA>]
    """
    x = np.asarray(values, dtype=float)
    bands = np.asarray(_ALPHA_BANDS)[np.searchsorted([0.667, 0.800], x, "right")]
    return pd.Series(bands, dtype="string").mask(np.isnan(x))


def band_kappa(values: npt.ArrayLike) -> pd.Series:
    """Landis & Koch's (1977, p. 165) labels for kappa.

    ``< 0``: poor; ``0-.20``: slight; ``.21-.40``: fair; ``.41-.60``: moderate;
    ``.61-.80``: substantial; ``.81-1``: almost perfect (upper bounds inclusive); NaN gives
    ``<NA>``.

    Parameters
    ----------
    values
        Kappa values.

    Returns
    -------
    pandas.Series
        The band of each value (string dtype).

    Examples
    --------
    >>> band_kappa([-0.1, 0.0, 0.2, 0.4, 0.6, 0.75, 0.9]).tolist()
    ['poor', 'slight', 'slight', 'fair', 'moderate', 'substantial', 'almost perfect']
    """
    x = np.asarray(values, dtype=float)
    index = np.where(x < 0, 0, np.searchsorted([0.2, 0.4, 0.6, 0.8], x, "left") + 1)
    bands = np.asarray(_KAPPA_BANDS)[np.where(np.isnan(x), 0, index)]
    return pd.Series(bands, dtype="string").mask(np.isnan(x))
