"""Counting on integer codes for :mod:`dsr_workbench.coding.queries`.

The queries factorise each string column once (``pd.factorize``, sorted, missing values as
one last code) and then count with numpy: ``np.bincount`` over packed (row, column) codes for
sizes, and a sort of packed (group, value) codes for distinct counts. No ``groupby`` over
strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Factor",
    "distinct_per_group",
    "factor",
    "first_row_of",
    "first_rows",
    "lookup_turns",
    "present",
    "ramp",
]


class Factor:
    """A column as sorted integer codes, missing values as the last code :attr:`na`.

    Examples
    --------
    >>> f = factor(pd.Series(["b", None, "a", "b"], dtype=object))
    >>> f.codes.tolist(), list(f.uniques), f.na, f.size
    ([1, 2, 0, 1], ['a', 'b', nan], 2, 3)
    """

    def __init__(self, codes: np.ndarray, uniques: pd.Index) -> None:
        nulls = np.flatnonzero(pd.isna(uniques))
        self.codes = codes.astype(np.int64, copy=False)
        self.uniques = uniques
        if len(nulls):
            self.na = int(nulls[0])
        else:  # room for "missing" (e.g. a coding on no turn) after the values
            self.na = len(uniques)
        self.size = max(len(uniques), self.na + 1)

    def at(self, rows: np.ndarray) -> np.ndarray:
        """Codes of the values at ``rows`` (``-1``: missing)."""
        if not len(self.codes):
            return np.full(len(rows), self.na, dtype=np.int64)
        return np.where(rows >= 0, self.codes[np.maximum(rows, 0)], self.na)


def factor(values: Any) -> Factor:
    """Factorise ``values`` (sorted, missing values last) into a :class:`Factor`."""
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
    return Factor(np.asarray(codes), pd.Index(uniques))


def _sorted_distinct(keys: np.ndarray) -> np.ndarray:
    if not len(keys):
        return keys
    keys = np.sort(keys)
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])]


def distinct_per_group(
    group: np.ndarray, value: np.ndarray, n_groups: int, n_values: int, na: int | None = None
) -> np.ndarray:
    """How many distinct ``value`` codes (other than ``na``) each group code has.

    Examples
    --------
    >>> distinct_per_group(np.array([0, 0, 0, 1]), np.array([2, 2, 1, 0]), 2, 3).tolist()
    [2, 1]
    """
    if na is not None:
        keep = value != na
        group, value = group[keep], value[keep]
    if n_groups * n_values < 2**62:
        keys = _sorted_distinct(group * n_values + value)
        return np.bincount(keys // n_values, minlength=n_groups).astype(np.int64)
    pairs = np.unique(np.stack([group, value], axis=1), axis=0)  # pragma: no cover - huge
    return np.bincount(pairs[:, 0], minlength=n_groups).astype(np.int64)  # pragma: no cover


def first_rows(*codes: tuple[np.ndarray, int]) -> np.ndarray:
    """Positions of the first row of each distinct tuple of codes (like ``drop_duplicates``).

    Parameters
    ----------
    codes
        (codes, number of codes) per column.

    Examples
    --------
    >>> first_rows((np.array([1, 0, 1, 1]), 2), (np.array([5, 5, 5, 4]), 6)).tolist()
    [0, 1, 3]
    """
    n = len(codes[0][0])
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for values, size in codes:
        if span * size >= 2**62:  # pragma: no cover - very many codes: rank the tuples so far
            _, key = np.unique(key, return_inverse=True)
            span = int(key.max(initial=0)) + 1
        key = key * size + values
        span *= size
    order = np.argsort(key, kind="stable")
    sk = key[order]
    first = np.concatenate([[True], sk[1:] != sk[:-1]]) if n else np.zeros(0, dtype=bool)
    return np.sort(order[first])


def lookup_turns(
    transcript: np.ndarray, turn: np.ndarray, t_transcript: np.ndarray, t_turn: np.ndarray
) -> np.ndarray:
    """Row in the turns table of each (transcript code, turn number) pair; ``-1``: none.

    ``transcript`` codes ``-1`` (unknown transcript) find nothing; a pair the turns table
    holds twice finds its first row.

    Examples
    --------
    >>> lookup_turns(np.array([0, 1, 1, -1]), np.array([2, 1, 7, 1]),
    ...              np.array([0, 0, 1]), np.array([1, 2, 1])).tolist()
    [1, 2, -1, -1]
    """
    out = np.full(len(transcript), -1, dtype=np.int64)
    if not len(t_turn) or not len(transcript):
        return out
    lo, hi = int(t_turn.min()), int(t_turn.max())
    span = hi - lo + 1
    n_ids = int(t_transcript.max()) + 1
    ok = (transcript >= 0) & (turn >= lo) & (turn <= hi)
    ckey = np.where(ok, transcript * span + (turn - lo), 0)
    tkey = t_transcript * span + (t_turn - lo)
    if n_ids * span <= 4 * len(t_turn) + 4096:  # dense: a direct table
        table = np.full(n_ids * span, -1, dtype=np.int64)
        table[tkey[::-1]] = np.arange(len(tkey) - 1, -1, -1)  # the first row wins
        out[ok] = table[ckey[ok]]
        return out
    order = np.argsort(tkey, kind="stable")
    skey = tkey[order]
    pos = np.minimum(np.searchsorted(skey, ckey), len(skey) - 1)
    hit = ok & (skey[pos] == ckey)
    out[hit] = order[pos[hit]]
    return out


def present(codes: np.ndarray, size: int) -> np.ndarray:
    """The distinct codes among ``codes``, sorted."""
    return np.flatnonzero(np.bincount(codes, minlength=size))


def first_row_of(codes: np.ndarray, which: np.ndarray | None) -> np.ndarray:
    """The first row holding each code of ``which`` (default: every code); ``-1``: none."""
    size = int(codes.max(initial=-1)) + 1
    if which is not None:
        size = max(size, int(which.max(initial=-1)) + 1)
    first = np.full(size, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first if which is None else first[which]


def ramp(n: np.ndarray) -> np.ndarray:
    """``[0..n0-1, 0..n1-1, ...]`` for counts ``n``."""
    ends = np.cumsum(n)
    return np.arange(int(ends[-1]) if len(n) else 0, dtype=np.int64) - np.repeat(ends - n, n)
