"""Integer-code helpers of the queries (coding/query_counts.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dsr_workbench.coding.query_counts import codes_in


def _pandas_codes_in(values: pd.Series, reference: pd.Series) -> tuple[list[int], list[int]]:
    """The definition: reference codes in order of first appearance; each value's code
    among them, -1 for a value the reference lacks or a missing one."""
    ref_codes, ref_ids = pd.factorize(reference.astype(object))
    lookup = {v: i for i, v in enumerate(ref_ids)}
    vals = [lookup.get(v, -1) if isinstance(v, str) else -1 for v in values.astype(object)]
    return ref_codes.tolist(), vals


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [50, 20_000])  # below and above the Arrow path's threshold
def test_codes_in_arrow_strings_equal_the_definition(seed, n):
    rng = np.random.default_rng(seed)
    pool = np.array(["I01", "I02", "é-03", "I04", "", "I 05"], dtype=object)
    values = pd.Series(rng.choice(pool, n), dtype="str")
    values[rng.random(n) < 0.05] = None  # missing transcript ids
    reference = pd.Series(rng.choice(pool[[0, 2, 3, 4]], 500), dtype="str")
    ref, val = codes_in(values, reference)
    want_ref, want_val = _pandas_codes_in(values, reference)
    assert ref.tolist() == want_ref
    assert val.tolist() == want_val
    assert val.dtype == np.int64 and ref.dtype == np.int64
    # the same with object columns (the pandas path)
    ref_o, val_o = codes_in(values.astype(object), reference.astype(object))
    assert (ref_o.tolist(), val_o.tolist()) == (want_ref, want_val)


def test_codes_in_does_not_match_strings_to_numbers():
    # transcript ids that are numbers in one table and strings in the other stay unmatched,
    # on the Arrow path as on the pandas path (no silent cast of 1 to "1")
    values = pd.Series(["1", "2", "x"] * 3000, dtype="str")
    reference = pd.Series([1, 2, 3])
    ref, val = codes_in(values, reference)
    assert ref.tolist() == [0, 1, 2]
    assert set(val.tolist()) == {-1}
