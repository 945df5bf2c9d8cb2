"""Code co-occurrence, built with sparse matrices so that it stays fast on large corpora.

Input: ``codings`` (transcript_id, code_id, coder; ``turn`` or start/end as the mode needs).
For speed on millions of codings, make code_id, coder and transcript_id categorical
(``codings.astype({"code_id": "category", ...})``): their codes are then used as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from dsr_workbench.coding.queries import _need, _turn_span
from dsr_workbench.core.errors import DsrError

__all__ = ["cooccurrence"]


def _factor(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(np.int64), np.asarray(series.cat.categories)
    codes, uniques = pd.factorize(series, sort=True)  # on the column: Arrow strings stay fast
    return codes.astype(np.int64), np.asarray(uniques)


def cooccurrence(
    codings: pd.DataFrame,
    *,
    turns: pd.DataFrame | None = None,
    mode: Literal["turn", "overlap"] = "turn",
    measure: Literal["count", "jaccard"] = "count",
    codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Code co-occurrence matrix, built with sparse matrices.

    ``mode="turn"``: codes co-occur when one coder applied both to the same turn. A unit is a
    (coder, transcript, turn); ``X`` is the sparse unit x code incidence matrix and ``X.T @ X``
    counts the units holding both codes (diagonal: units holding the code). The units come
    from ``turns=`` if given (a coding that spans several turns counts in each; only these
    turns count), else from the codings' ``turn`` column (e.g. from :func:`with_turns`).

    ``mode="overlap"``: codes co-occur when two codings of one coder in one transcript share at
    least one character; the count is the number of such pairs (diagonal: codings of the code).

    ``measure="jaccard"``: ``n12 / (n1 + n2 - n12)`` (for overlap mode ATLAS.ti's
    c-coefficient, which can exceed 1 when one coding overlaps several of the other code).

    Returns
    -------
    pandas.DataFrame
        Square, index and columns ``code_id`` (``codes`` order, else sorted).

    Examples
    --------
    >>> codings = pd.DataFrame({"transcript_id": "I01", "turn": [1, 1, 2, 2, 3],
    ...     "start": [0, 5, 20, 22, 40], "end": [9, 12, 30, 25, 50],
    ...     "code_id": ["A", "B", "A", "B", "A"], "coder": "R1"})
    >>> cooccurrence(codings)
    code_id  A  B
    code_id
    A        3  2
    B        2  2
    >>> cooccurrence(codings, measure="jaccard").round(2)
    code_id     A     B
    code_id
    A        1.00  0.67
    B        0.67  1.00
    """
    _need(codings, ("transcript_id", "code_id", "coder"), "codings")
    code_ix, names = _factor(codings["code_id"])
    if codes is not None:
        lookup = pd.Index(list(codes))
        code_ix = lookup.get_indexer(np.asarray(names, dtype=object))[code_ix]
        names = np.asarray(list(codes), dtype=object)
    n_codes = len(names)
    coder_ix, coders = _factor(codings["coder"])
    tid_ix, tids = _factor(codings["transcript_id"])
    group = coder_ix * max(len(tids), 1) + tid_ix
    if mode == "turn":
        if turns is None and "turn" in codings.columns:
            turn = pd.array(codings["turn"], dtype="Int64")
            keep = ~turn.isna() & (code_ix >= 0)
            rows = (
                group * (int(turn.max(skipna=True) or 0) + 1)
                + turn.to_numpy(dtype=np.int64, na_value=0)
            )[keep]
            cols = code_ix[keep]
        elif turns is not None:
            first, last = _turn_span(codings, turns)
            keep = (first >= 0) & (code_ix >= 0)
            span = (last - first + 1)[keep]
            rows = np.repeat(first[keep], span) + _ramp(span)
            rows = np.repeat(group[keep], span) * (len(turns) + 1) + rows
            cols = np.repeat(code_ix[keep], span)
        else:
            raise DsrError(
                "mode='turn' needs a 'turn' column or turns=",
                hint="pass turns= or codings from with_turns()",
            )
        top = int(rows.max(initial=-1)) + 1
        unit = rows if top <= 8 * len(rows) + 1024 else pd.factorize(rows)[0]
        x = sparse.csr_matrix(
            (np.ones(len(unit), dtype=np.int64), (unit, cols)),
            shape=(int(unit.max(initial=-1)) + 1, n_codes),
        )
        x.data[:] = 1  # duplicates were summed: a unit holds a code or not
        counts = (x.T @ x).toarray()
    elif mode == "overlap":
        counts = _overlap_counts(codings, group, code_ix, n_codes)
    else:
        raise DsrError(f"mode {mode!r} is not 'turn' or 'overlap'")
    result = counts.astype(np.float64) if measure == "jaccard" else counts
    if measure == "jaccard":
        diag = np.diag(counts).astype(np.float64)
        union = diag[:, None] + diag[None, :] - counts
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.where(union > 0, counts / union, 0.0)
        np.fill_diagonal(result, np.where(diag > 0, 1.0, 0.0))
    elif measure != "count":
        raise DsrError(f"measure {measure!r} is not 'count' or 'jaccard'")
    index = pd.Index(names, name="code_id")
    return pd.DataFrame(result, index=index, columns=index.copy())


def _ramp(n: np.ndarray) -> np.ndarray:
    ends = np.cumsum(n)
    return np.arange(int(n.sum()), dtype=np.int64) - np.repeat(ends - n, n)


def _overlap_counts(
    codings: pd.DataFrame, group: np.ndarray, code_ix: np.ndarray, n_codes: int
) -> np.ndarray:
    """Count pairs of overlapping codings (same coder and transcript) per code pair."""
    start = pd.array(codings["start"], dtype="Int64")
    end = pd.array(codings["end"], dtype="Int64")
    keep = ~start.isna() & ~end.isna() & (code_ix >= 0)
    s = start.to_numpy(dtype=np.int64, na_value=0)[keep]
    e = end.to_numpy(dtype=np.int64, na_value=0)[keep]
    g, c = group[keep], code_ix[keep]
    big = int(e.max(initial=0)) + 1
    order = np.lexsort((s, g))
    s, e, g, c = s[order], e[order], g[order], c[order]
    key = g * big + s
    # later codings (in start order) that start before this one ends overlap it
    hi = np.searchsorted(key, g * big + e, side="left")
    n = hi - np.arange(len(key)) - 1
    n = np.maximum(n, 0)
    a = np.repeat(np.arange(len(key)), n)
    b = a + 1 + _ramp(n)
    pairs = sparse.coo_matrix(
        (np.ones(len(a), dtype=np.int64), (c[a], c[b])), shape=(n_codes, n_codes)
    ).toarray()
    counts = pairs + pairs.T
    np.fill_diagonal(counts, np.bincount(c, minlength=n_codes))
    return counts
