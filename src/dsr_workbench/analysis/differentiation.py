"""Partner differentiation: place each relationship in a portfolio and say how to manage it.

In the spirit of Kraljic (1983) and Bensaou (1999), each relationship gets a weighted
multi-criteria score on two axes — by default *strategic importance* (x) and *relationship
intensity / dependency* (y) — and falls into one of four quadrants, each with a management
approach. :func:`weight_sensitivity` shows which relationships change quadrant when a weight
moves by ±x %, and :func:`cluster` offers a data-driven grouping (k-means or Ward) with
silhouette widths (Rousseeuw 1987) for comparison.

Scoring
-------
Each criterion is rescaled to [0, 1] — by its ``ranges`` entry (e.g. ``(1, 7)`` for a
Likert rating; fixed, so scores do not depend on which relationships are included) or else
by the minimum and maximum over the relationships — and an axis score is the weighted sum
of its criteria. A score at or above the axis cut-off counts as *high*.

References
----------
Bensaou, M. (1999). Portfolios of buyer-supplier relationships. *Sloan Management Review*,
40(4), 35–44.
Kraljic, P. (1983). Purchasing must become supply management. *Harvard Business Review*,
61(5), 109–117.
Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and validation
of cluster analysis. *J. Comput. Appl. Math.*, 20, 53–65.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from dsr_workbench.core.errors import DsrError

__all__ = [
    "APPROACHES",
    "DEFAULT_WEIGHTS",
    "SEGMENT_COLUMNS",
    "Segmentation",
    "cluster",
    "cluster_quality",
    "segment",
    "weight_sensitivity",
]

Weights = Mapping[str, Mapping[str, float]]

#: Default axes and weights for the example data (``relationships`` of the example survey).
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "strategic_importance": {"strategic_importance": 0.5, "spend_meur": 0.3, "supply_risk": 0.2},
    "intensity": {"dependency": 0.4, "switching_cost": 0.3, "interaction_intensity": 0.3},
}
#: Default ranges: Likert criteria are rescaled over their scale, not over the data.
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    name: (1.0, 7.0)
    for name in (
        "strategic_importance",
        "supply_risk",
        "dependency",
        "switching_cost",
        "interaction_intensity",
    )
}
#: (x high?, y high?) -> (quadrant, management approach), for importance (x) × intensity (y).
APPROACHES: dict[tuple[bool, bool], tuple[str, str]] = {
    (True, True): (
        "strategic partnership",
        "joint governance: executive sponsors, joint steering committee, shared KPIs and "
        "joint improvement and capacity planning",
    ),
    (True, False): (
        "develop",
        "invest in the relationship: more contact points, early forecast sharing, "
        "capability building and a path to partnership",
    ),
    (False, True): (
        "manage dependency",
        "contain lock-in: second-source qualification, standardised processes and "
        "lean governance proportionate to the business",
    ),
    (False, False): (
        "transactional",
        "market exchange: standard contracts, periodic performance reviews, efficient "
        "ordering and little relationship-specific investment",
    ),
}
SEGMENT_COLUMNS = ("x_score", "y_score", "x_high", "y_high", "quadrant", "approach")


@dataclass(frozen=True)
class Segmentation:
    """Result of :func:`segment`.

    Attributes
    ----------
    table
        Columns ``<unit>, x_score, y_score, x_high, y_high, quadrant, approach``.
    axes
        Names of the x and y axes (the keys of ``weights``).
    cutoffs
        The numeric cut-offs used on x and y.
    weights
        The validated weights.
    """

    table: pd.DataFrame
    axes: tuple[str, str]
    cutoffs: tuple[float, float]
    weights: dict[str, dict[str, float]]


def segment(
    relationships: pd.DataFrame,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    unit: str = "relationship_id",
    cutoffs: tuple[float, float] | Literal["median"] = (0.5, 0.5),
    ranges: Mapping[str, tuple[float, float]] | None = None,
    approaches: Mapping[tuple[bool, bool], tuple[str, str]] = APPROACHES,
) -> Segmentation:
    """Score relationships on two weighted axes and assign quadrants and approaches.

    Parameters
    ----------
    relationships
        One row per relationship: ``unit`` and the numeric criteria named in ``weights``.
    weights
        ``{x_axis: {criterion: weight, ...}, y_axis: {...}}``: exactly two axes; each axis'
        weights non-negative and summing to 1.
    unit
        The identifying column.
    cutoffs
        (x, y) cut-offs on the [0, 1] score scale, or ``"median"`` for the medians.
    ranges
        ``{criterion: (min, max)}`` for rescaling; default :data:`DEFAULT_RANGES` for the
        Likert criteria it names, min–max over the data for the rest.
    approaches
        ``{(x_high, y_high): (quadrant, approach)}``; default :data:`APPROACHES`.

    Returns
    -------
    Segmentation

    Raises
    ------
    DsrError
        Not two axes; a negative weight or weights not summing to 1; an unknown,
        non-numeric or missing criterion value; a value outside its range.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> seg = segment(make_survey().relationships)
    >>> seg.axes, seg.table["quadrant"].value_counts().to_dict()
    (('strategic_importance', 'intensity'), {'transactional': 14, 'strategic partnership': 12, 'manage dependency': 11, 'develop': 3})
    """
    w = _check_weights(weights, relationships)
    return _segment(relationships, w, unit, cutoffs, _ranges(relationships, w, ranges), approaches)


def weight_sensitivity(
    relationships: pd.DataFrame,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    perturbation: float | Sequence[float] = 0.1,
    unit: str = "relationship_id",
    cutoffs: tuple[float, float] | Literal["median"] = (0.5, 0.5),
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Which relationships change quadrant when one weight moves by ±``perturbation``.

    One scenario per criterion and signed perturbation: the criterion's weight is multiplied
    by ``1 ± p`` and its axis' weights renormalised to sum to 1; rescaling ranges stay fixed,
    and ``"median"`` cut-offs are recomputed per scenario.

    Returns
    -------
    DataFrame
        Columns ``axis, criterion, perturbation, <unit>, base_quadrant, quadrant, changed``;
        one row per scenario and relationship. ``table.groupby(unit)["changed"].any()``
        lists the relationships whose quadrant is sensitive.

    Examples
    --------
    >>> from dsr_workbench.analysis.survey import make_survey
    >>> s = weight_sensitivity(make_survey().relationships, perturbation=0.2)
    >>> sorted(s.loc[s["changed"], "relationship_id"].unique())
    ['CMR04', 'CMR15', 'CMR19', 'CMR23', 'CMR24', 'CMR27', 'CMR37', 'CMR38', 'CMR39']
    """
    w = _check_weights(weights, relationships)
    steps = [perturbation] if isinstance(perturbation, int | float) else list(perturbation)
    if any(not 0 < p < 1 for p in steps):
        raise DsrError(f"perturbation {steps} must lie in (0, 1)", hint="e.g. 0.1 for ±10 %")
    rng_ = _ranges(relationships, w, ranges)
    base = _segment(relationships, w, unit, cutoffs, rng_, APPROACHES).table
    frames = []
    for axis, criteria in w.items():
        for criterion in criteria:
            for p in steps:
                for sign in (-1.0, 1.0):
                    changed = {a: dict(c) for a, c in w.items()}
                    changed[axis][criterion] *= 1 + sign * p
                    total = sum(changed[axis].values())
                    if total == 0:
                        continue
                    changed[axis] = {c: v / total for c, v in changed[axis].items()}
                    new = _segment(relationships, changed, unit, cutoffs, rng_, APPROACHES)
                    frames.append(
                        pd.DataFrame(
                            {
                                "axis": axis,
                                "criterion": criterion,
                                "perturbation": sign * p,
                                unit: base[unit],
                                "base_quadrant": base["quadrant"],
                                "quadrant": new.table["quadrant"],
                            }
                        )
                    )
    out = pd.concat(frames, ignore_index=True)
    out["changed"] = out["quadrant"] != out["base_quadrant"]
    return out


def cluster(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    method: Literal["kmeans", "ward"] = "kmeans",
    n_clusters: int = 4,
    unit: str = "relationship_id",
    seed: int = 0,
) -> pd.DataFrame:
    """Cluster relationships on standardised (z-scored) columns; silhouette per relationship.

    Parameters
    ----------
    data
        One row per relationship (e.g. ``Segmentation.table`` or the raw criteria).
    columns
        Numeric columns to cluster on.
    method
        :class:`sklearn.cluster.KMeans` (``n_init=10``) or Ward's agglomerative clustering.
    n_clusters
        Number of clusters, 2 ≤ k < number of relationships.

    Returns
    -------
    DataFrame
        Columns ``<unit>, cluster (0-based int), silhouette`` (Rousseeuw 1987, from
        :func:`sklearn.metrics.silhouette_samples`; the mean is the overall fit).

    Examples
    --------
    >>> df = pd.DataFrame({"relationship_id": list("abcd"), "x": [0.0, 1.0, 10.0, 11.0]})
    >>> cluster(df, ["x"], n_clusters=2)["silhouette"].round(3).tolist()
    [0.905, 0.895, 0.895, 0.905]
    """
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.metrics import silhouette_samples

    z = _standardise(data, columns, unit)
    if not 2 <= n_clusters < len(z):
        raise DsrError(
            f"n_clusters={n_clusters} needs 2 <= k < {len(z)} (the number of relationships)"
        )
    if method == "kmeans":
        model = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed)
    elif method == "ward":
        model = AgglomerativeClustering(n_clusters=n_clusters, linkage="ward")
    else:
        raise DsrError(f"method '{method}' is unknown", hint="use 'kmeans' or 'ward'")
    labels = model.fit_predict(z)
    return pd.DataFrame(
        {
            unit: data[unit].to_numpy(),
            "cluster": labels,
            "silhouette": silhouette_samples(z, labels),
        }
    )


def cluster_quality(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    method: Literal["kmeans", "ward"] = "kmeans",
    k_range: Iterable[int] = range(2, 7),
    unit: str = "relationship_id",
    seed: int = 0,
) -> pd.DataFrame:
    """Mean silhouette width for each number of clusters (pick the k with the highest).

    Returns
    -------
    DataFrame
        Columns ``k, silhouette``.
    """
    rows = []
    for k in k_range:
        table = cluster(data, columns, method=method, n_clusters=k, unit=unit, seed=seed)
        rows.append((k, float(table["silhouette"].mean())))
    return pd.DataFrame(rows, columns=["k", "silhouette"])


# --------------------------------------------------------------------------- helpers


def _check_weights(weights: Weights, data: pd.DataFrame) -> dict[str, dict[str, float]]:
    if len(weights) != 2:
        raise DsrError(
            f"weights define {len(weights)} axis/axes {list(weights)}, not 2",
            hint="give {x_axis: {criterion: weight}, y_axis: {...}}",
        )
    out: dict[str, dict[str, float]] = {}
    for axis, criteria in weights.items():
        if not criteria:
            raise DsrError(f"axis '{axis}' has no criteria", key=f"weights.{axis}")
        for name, value in criteria.items():
            if name not in data.columns:
                close = difflib.get_close_matches(name, [str(c) for c in data.columns], n=1)
                hint = f"did you mean '{close[0]}'?" if close else "check the column names"
                raise DsrError(
                    f"criterion '{name}' is not a column of the relationships",
                    key=f"weights.{axis}.{name}",
                    hint=hint,
                )
            if not np.isfinite(value) or value < 0:
                raise DsrError(
                    f"weight {value} is negative or not a number",
                    key=f"weights.{axis}.{name}",
                    hint="weights must be non-negative",
                )
        total = float(sum(criteria.values()))
        if abs(total - 1) > 1e-6:
            raise DsrError(
                f"weights of axis '{axis}' sum to {total:g}, not 1",
                key=f"weights.{axis}",
                hint="rescale them, e.g. divide each by their sum",
            )
        out[str(axis)] = {str(k): float(v) for k, v in criteria.items()}
    return out


def _ranges(data, weights, ranges) -> dict[str, tuple[float, float]]:
    given = dict(DEFAULT_RANGES if ranges is None else ranges)
    out = {}
    for criteria in weights.values():
        for name in criteria:
            values = pd.to_numeric(data[name], errors="coerce")
            if values.isna().any():
                row = data.index[values.isna().to_numpy()][0]
                raise DsrError(
                    f"criterion '{name}' is missing or not numeric in row {row} "
                    f"({data.at[row, name]!r})",
                    hint="fill the value or drop the relationship",
                )
            lo, hi = given.get(name, (float(values.min()), float(values.max())))
            if not values.between(lo, hi).all():
                raise DsrError(
                    f"criterion '{name}' has values outside its range {lo:g}-{hi:g}",
                    hint="correct the data or pass ranges=",
                )
            out[name] = (float(lo), float(hi))
    return out


def _segment(data, weights, unit, cutoffs, ranges, approaches) -> Segmentation:
    if unit not in data.columns:
        raise DsrError(f"unit column '{unit}' is not in the relationships")
    scores = []
    for criteria in weights.values():
        score = np.zeros(len(data))
        for name, w in criteria.items():
            lo, hi = ranges[name]
            scaled = (data[name].to_numpy(dtype=float) - lo) / (hi - lo) if hi > lo else 0.5
            score = score + w * scaled
        scores.append(score)
    x, y = scores
    if isinstance(cutoffs, str):
        if cutoffs != "median":
            raise DsrError(f"cutoffs '{cutoffs}' is unknown", hint="give (x, y) or 'median'")
        cut = (float(np.median(x)), float(np.median(y)))
    else:
        cut = (float(cutoffs[0]), float(cutoffs[1]))
    x_high, y_high = x >= cut[0], y >= cut[1]
    labels = [approaches[(bool(a), bool(b))] for a, b in zip(x_high, y_high, strict=True)]
    table = pd.DataFrame(
        {
            unit: data[unit].to_numpy(),
            "x_score": x,
            "y_score": y,
            "x_high": x_high,
            "y_high": y_high,
            "quadrant": [q for q, _ in labels],
            "approach": [a for _, a in labels],
        }
    )
    axes = tuple(weights)
    return Segmentation(table, (axes[0], axes[1]), cut, weights)


def _standardise(data: pd.DataFrame, columns: Sequence[str], unit: str) -> np.ndarray:
    for name in [unit, *columns]:
        if name not in data.columns:
            raise DsrError(f"column '{name}' is not in the data")
    x = data[list(columns)].apply(pd.to_numeric, errors="coerce")
    if x.isna().any().any():
        raise DsrError("the clustering columns contain missing or non-numeric values")
    sd = x.std(ddof=0)
    const = sd.index[sd == 0].tolist()
    if const:
        raise DsrError(f"column(s) {const} are constant and cannot be standardised")
    return ((x - x.mean()) / sd).to_numpy()
