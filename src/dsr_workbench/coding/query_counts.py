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
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Factor",
    "codes_in",
    "distinct_per_group",
    "factor",
    "first_ending_after",
    "first_row_of",
    "first_rows",
    "int_values",
    "lookup_turns",
    "map_codes",
    "never_missing",
    "place_spans",
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
        """Codes of the values at ``rows`` (row ``-1``: :attr:`na`).

        Examples
        --------
        >>> factor(pd.Series(["b", "a"])).at(np.array([1, -1, 0])).tolist()
        [0, 2, 1]
        """
        return np.append(self.codes, self.na)[rows]  # row -1 reads the appended "missing"


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
    n = len(transcript)
    if not len(t_turn) or not n:
        return np.full(n, -1, dtype=np.int64)
    at = np.arange(len(t_turn), dtype=np.int64)
    if int(t_transcript.min()) < 0:  # turns of no transcript: never found
        at = np.flatnonzero(t_transcript >= 0)
        if not len(at):
            return np.full(n, -1, dtype=np.int64)
        t_transcript, t_turn = t_transcript[at], t_turn[at]
    lo, hi = int(t_turn.min()), int(t_turn.max())
    span = hi - lo + 1
    n_ids = int(t_transcript.max()) + 1
    tkey = t_transcript * span + (t_turn - lo)
    rel = turn - lo
    ckey = transcript * span + rel
    # in range iff 0 <= rel < span and 0 <= ckey (transcript -1 makes ckey negative)
    ok = (rel.view(np.uint64) < span) & (ckey.view(np.uint64) < n_ids * span)
    if n_ids * span <= 4 * len(t_turn) + 4096:  # dense: a direct table, one slot for "none"
        table = np.full(n_ids * span + 1, -1, dtype=np.int64)
        table[tkey[::-1]] = at[::-1]  # the first row wins
        return table[np.where(ok, ckey, n_ids * span)]
    out = np.full(n, -1, dtype=np.int64)
    order = np.argsort(tkey, kind="stable")
    skey = tkey[order]
    pos = np.minimum(np.searchsorted(skey, ckey), len(skey) - 1)
    hit = ok & (skey[pos] == ckey)
    out[hit] = at[order[pos[hit]]]
    return out


def map_codes(codes: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """``mapping[codes]``, with code ``-1`` mapped to ``-1``.

    Examples
    --------
    >>> map_codes(np.array([1, -1, 0]), np.array([5, 7])).tolist()
    [7, -1, 5]
    """
    return np.append(mapping.astype(np.int64, copy=False), -1)[codes]


def codes_in(values: Any, reference: Any) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``reference`` (order of first appearance) and of ``values`` in the same coding.

    A value of ``values`` that ``reference`` lacks, or a missing one, gets ``-1``. Each
    column is hashed once (``pd.factorize``); only the distinct values are matched.

    Examples
    --------
    >>> ref, val = codes_in(pd.Series(["b", "x", None]), pd.Series(["a", "b", "a"]))
    >>> ref.tolist(), val.tolist()
    ([0, 1, 0], [1, -1, -1])
    """
    ref_codes, ref_ids = pd.factorize(reference)
    arrow = _arrow_strings(values)
    if arrow is not None and len(arrow) >= _ARROW_MIN:
        # Arrow strings (pandas' default ``str``): look each value up among the reference's
        # distinct values in one pass (``index_in``: one hash of each value, about half the
        # time of factorising and then matching the distinct values)
        wanted = pa.array(np.asarray(ref_ids, dtype=object), from_pandas=True)
        if pa.types.is_string(wanted.type) or len(wanted) == 0:  # else: types differ
            found = pc.index_in(arrow, value_set=wanted.cast(arrow.type))
            codes = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False))
            return ref_codes.astype(np.int64, copy=False), codes.astype(np.int64, copy=False)
    val_codes, val_ids = pd.factorize(values)
    mapped = pd.Index(ref_ids).get_indexer(pd.Index(val_ids))
    return ref_codes.astype(np.int64, copy=False), map_codes(val_codes, mapped)


_ARROW_MIN = 4096  # below this, the pandas path is as fast and has no conversion to pay


def _arrow_strings(values: Any) -> pa.ChunkedArray | None:
    """The Arrow string data behind a pandas ``str``/``string[pyarrow]`` column, else None."""
    dtype = getattr(values, "dtype", None)
    storage = getattr(dtype, "storage", None)
    if not (isinstance(dtype, pd.StringDtype) and storage == "pyarrow"):
        return None
    data = pa.chunked_array(pa.array(values.array))  # zero-copy: the column's own buffers
    return data if pa.types.is_string(data.type) or pa.types.is_large_string(data.type) else None


def first_ending_after(
    group: np.ndarray, ends: np.ndarray, g: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """``np.searchsorted(group * big + ends, g * big + x, "right")``, without sorting ``x``.

    For each needle, the first position whose group is above ``g`` or whose end is above
    ``x`` in group ``g``. ``(group, ends)`` must be sorted (by group, then end) with
    ``0 <= ends``; ``g`` must be codes ``>= 0``. Each group's range of ends is cut into
    buckets of one width; a table holds the answer at every bucket's edges (one sorted
    search), and a vectorised binary search finishes between the two edges of a needle's
    bucket (usually in zero or one step). A plain ``np.searchsorted`` of 10^6 unsorted
    needles misses the cache at every step; sorting them first costs more than this.

    Examples
    --------
    >>> first_ending_after(np.array([0, 0, 1, 1]), np.array([10, 20, 5, 9]),
    ...                    np.array([0, 0, 1, 1, 0, 2]), np.array([3, 10, 9, 100, 25, 1])).tolist()
    [0, 1, 4, 4, 2, 4]
    """
    n = len(group)
    if not len(x) or not n:
        return np.zeros(len(x), dtype=np.int64) + n
    n_groups = int(max(int(group.max()), int(g.max()))) + 1
    below = int(np.searchsorted(group, 0))  # positions of groups < 0 (never asked for)
    g_first = np.searchsorted(group, np.arange(n_groups + 1))  # each group's first position
    has = g_first[1:] > g_first[:-1]
    top = np.zeros(n_groups, dtype=np.int64)  # each group's largest end
    top[has] = ends[g_first[1:][has] - 1]
    # buckets of 2**shift, about two per position; edge j of a group is x = j * 2**shift - 1.
    # Groups of similar reach share one layout (group k's edges at k * width), so that a
    # needle's bucket is arithmetic; otherwise each group gets as many edges as it needs.
    reach = int(top.max())
    uniform = n_groups * (reach + 1) <= 4 * int(top.sum() + n_groups)
    shift = int(n_groups * (reach + 1) if uniform else top.sum() + n_groups) // (2 * n)
    shift = max(0, shift.bit_length() - 1)
    if uniform:
        width = (reach >> shift) + 2
        base = np.arange(n_groups + 1, dtype=np.int64) * width
    else:
        base = np.concatenate([[0], np.cumsum((top >> shift) + 2)])
    # the answer at each edge: the positions whose end lies below it (a position counts from
    # the first edge above its end on), i.e. a running count
    edge_of = base[group[below:]] + (ends[below:] >> shift) + 1
    small = np.int32 if max(n, reach, int(x.max())) < 2**31 - 2 else np.int64  # halve lookups
    table: np.ndarray = np.cumsum(np.bincount(edge_of, minlength=int(base[-1]) + 1), dtype=small)
    if below:
        table += below
    # a needle's candidates are the positions whose end lies in its bucket b, table[b] to
    # table[b + 1] - 1 (every earlier position ends before the bucket); the answer is table[b]
    # (an empty bucket) or, with one candidate, table[b] plus one if its end is <= x; a bucket
    # of 2+ candidates is finished by a binary search
    ends_at = np.append(ends, np.iinfo(small).max).astype(small)  # position n: none
    xc = x if int(x.min()) >= 0 else np.maximum(x, 0)
    if uniform:  # past the longest group's reach, every bucket is empty: clamp to reach
        b = g * width
        b += (xc if int(xc.max()) <= reach else np.minimum(xc, reach)) >> shift
    else:
        b = base[g]
        b += np.minimum(xc, top[g]) >> shift
    first = table[b]
    nxt = table[1:][b]  # (no b + 1 array)
    count = nxt - first
    hit = ends_at[first] <= x
    hit &= count > 0
    out = first + hit
    wide = np.flatnonzero(count > 1)  # rare: finished by a binary search
    lo_w, hi_w, x_w = first[wide], nxt[wide], x[wide]
    todo = np.arange(len(wide))
    while len(todo):
        mid = (lo_w[todo] + hi_w[todo]) // 2
        right = ends[mid] <= x_w[todo]
        lo_w[todo[right]] = mid[right] + 1
        hi_w[todo[~right]] = mid[~right]
        todo = todo[lo_w[todo] < hi_w[todo]]
    out[wide] = lo_w
    return out.astype(np.int64, copy=False)


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


def _search(keys: np.ndarray, needles: np.ndarray, side: str, order: np.ndarray) -> np.ndarray:
    """``np.searchsorted`` of needles taken in (nearly) sorted ``order``: cache-friendly."""
    out = np.empty(len(needles), dtype=np.int64)
    out[order] = np.searchsorted(keys, needles[order], side=side)  # type: ignore[call-overload]
    return out


def never_missing(values: pd.Series) -> bool:
    """Whether ``values`` are numpy integers (which cannot be missing).

    Examples
    --------
    >>> never_missing(pd.Series([1, 2])), never_missing(pd.Series([1, None], dtype="Int64"))
    (True, False)
    """
    return isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu"


def int_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Integers of a column (missing as 0) and where it is missing (``None``: nowhere).

    Examples
    --------
    >>> values, missing = int_values(pd.Series([3, None], dtype="Int64"))
    >>> values.tolist(), missing.tolist()
    ([3, 0], [False, True])
    """
    if never_missing(values):  # numpy integers: nothing missing, no copy
        return values.to_numpy(dtype=np.int64, copy=False), None
    array = pd.array(values, dtype="Int64")
    missing = np.asarray(array.isna())
    return array.to_numpy(dtype=np.int64, na_value=0), missing if missing.any() else None


def place_spans(
    codings: pd.DataFrame, turns: pd.DataFrame, *, last: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in ``turns`` of the first and last turn each coding overlaps (-1: none).

    ``turns`` has transcript_id, start and end. With ``last=False`` the second array is
    only the first one again (not searched). A coding whose transcript is not in ``turns``
    or whose start or end is missing is on no turn.

    Examples
    --------
    >>> turns = pd.DataFrame({"transcript_id": "I01", "start": [0, 20], "end": [10, 40]})
    >>> codings = pd.DataFrame({"transcript_id": ["I01", "I01", "I02"], "start": [5, 12, 1],
    ...                         "end": [25, 18, 2]})
    >>> [a.tolist() for a in place_spans(codings, turns)]
    [[0, -1, -1], [1, -1, -1]]
    """
    t_code, c_code = codes_in(codings["transcript_id"], turns["transcript_id"])
    cs, c_missing = int_values(codings["start"])
    ce, e_missing = int_values(codings["end"])
    known = None if int(c_code.min(initial=0)) >= 0 else c_code >= 0  # None: every coding
    for missing in (c_missing, e_missing):
        if missing is not None:
            known = ~missing if known is None else known & ~missing
    ts = turns["start"].to_numpy(dtype=np.int64)
    te = turns["end"].to_numpy(dtype=np.int64)
    n = len(ts)
    if not n:
        return np.full(len(cs), -1, dtype=np.int64), np.full(len(cs), -1, dtype=np.int64)
    big = int(max(te.max(initial=0), ce.max(initial=0))) + 1
    skey = t_code * big + ts
    sorted_turns = not (n > 1 and (skey[1:] < skey[:-1]).any())
    if sorted_turns:
        order = np.arange(n, dtype=np.int64)
    else:  # turns out of order: sort them (stable)
        order = np.lexsort((ts, t_code))
        skey = skey[order]
    group, starts, ends = (
        (t_code, ts, te) if sorted_turns else (t_code[order], ts[order], te[order])
    )
    ekey = group * big + ends
    if min(int(starts.min()), int(ends.min())) >= 0 and not (ekey[1:] < ekey[:-1]).any():
        g = c_code if int(c_code.min(initial=0)) >= 0 else np.maximum(c_code, 0)
        first = first_ending_after(group, ends, g, cs)  # first turn ending after the start
        # ... found if it starts before the coding ends, in the coding's transcript: a turn
        # of the next transcript (or none, the last slot) has a start key above g * big + ce
        ok = np.append(skey, np.iinfo(np.int64).max)[first] < g * big + ce
        if known is not None:
            ok &= known
        if not last:
            first = np.where(ok, first if sorted_turns else order[np.minimum(first, n - 1)], -1)
            return first, first
        last_row = first_ending_after(group, starts, g, ce - 1) - 1  # last starting before
    else:  # overlapping turns: the plain sorted search
        by_start = np.argsort(c_code * big + cs)
        first = _search(ekey, c_code * big + cs, "right", by_start)
        last_row = _search(skey, c_code * big + ce, "left", by_start) - 1
        ok = (first < n) & (last_row >= first) & (last_row >= 0)
        ok &= group[np.minimum(first, n - 1)] == c_code
        if known is not None:
            ok &= known
    first = np.where(ok, order[np.minimum(first, n - 1)], -1)
    return first, np.where(ok, order[np.clip(last_row, 0, n - 1)], -1)
