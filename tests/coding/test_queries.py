"""Tests of dsr_workbench.coding.queries: quotes, frequencies, crosstabs and their tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from dsr_workbench.coding.codebook import Codebook, parse_codebook
from dsr_workbench.coding.queries import (
    BY,
    QUOTE_COLUMNS,
    TEST_COLUMNS,
    code_crosstab,
    code_frequencies,
    coded_quotes,
    crosstab_test,
    with_turns,
)
from dsr_workbench.coding.queries import _need as _need
from dsr_workbench.coding.query_counts import first_ending_after
from dsr_workbench.core.errors import DsrError


def test_with_turns_places_codings_and_gaps(turns, codings_of):
    codings = codings_of(
        [
            ("I01", 35, 40, "C1", "R1"),
            ("I01", 72, 90, "C1", "R1"),
            ("I01", 10, 100, "C2", "R1"),
            ("I02", 0, 3, "C2", "R1"),
            ("I09", 0, 3, "C2", "R1"),
        ]
    )
    out = with_turns(codings, turns)
    assert out["turn"].tolist() == [2, 3, 1, pd.NA, pd.NA]  # label gap -> next turn
    assert out["perspective"].iloc[1] == "client"
    assert len(out) == len(codings)


def test_coded_quotes_of_a_subtree(turns, codings_of, book):
    codings = codings_of(
        [("I01", 35, 40, "C1a", "R1"), ("I02", 45, 50, "C2", "R2"), ("I01", 85, 90, "T2", "R1")]
    )
    quotes = coded_quotes(codings, turns, book, "T1")
    assert list(quotes.columns) == QUOTE_COLUMNS
    assert list(quotes["code"]) == ["Cost breakdowns", "Kept promises"]
    assert list(quotes["organisation"]) == ["ALPHA", "GAMMA"]
    assert list(quotes["cycle"]) == [1, 2]
    assert coded_quotes(codings, turns, book, "T1", subtree=False).empty
    with pytest.raises(DsrError, match="unknown code id 'T9'"):
        coded_quotes(codings, turns, book, "T9")


def test_code_frequencies_by_group_and_rollup(turns, codings_of, book):
    codings = codings_of(
        [
            ("I01", 35, 40, "C1a", "R1"),
            ("I01", 85, 90, "C1", "R1"),
            ("I02", 45, 50, "C2", "R1"),
            ("I02", 10, 12, "C2", "R1"),
        ]
    )
    by_kind = code_frequencies(codings, turns, by="kind")
    assert by_kind.to_dict("records")[-1] == {
        "code_id": "C2",
        "kind": "focus_group",
        "segments": 2,
        "transcripts": 1,
        "participants": 2,
    }
    rolled = code_frequencies(codings, turns, by=None, codebook=book, rollup=True)
    assert rolled.set_index("code_id")["segments"].to_dict() == {
        "C1": 2,
        "C1a": 1,
        "C2": 2,
        "D1": 4,
        "T1": 4,
    }
    with pytest.raises(DsrError, match="cannot group by 'weather'"):
        code_frequencies(codings, turns, by="weather")


def agresti_codings(
    codings_of: Callable[[list[tuple]], pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Codings whose code x perspective table is Agresti (2007) Table 2.5."""
    counts = {"client": (762, 484), "cmo": (327, 239), "both": (468, 477)}
    turns = pd.DataFrame(
        {
            "transcript_id": "I01",
            "turn": [1, 2, 3],
            "participant_id": ["P01", "P07", "P13"],
            "perspective": list(counts),
            "start": [0, 10, 20],
            "end": [9, 19, 29],
        }
    )
    rows = []
    for k, (a, b) in enumerate(counts.values()):
        rows += [("I01", 10 * k, 10 * k + 2, "DEM", "R1")] * a
        rows += [("I01", 10 * k, 10 * k + 2, "REP", "R1")] * b
    return codings_of(rows), turns


def test_chi_square_on_agresti_table_2_5(codings_of):
    codings, turns = agresti_codings(codings_of)
    table = code_crosstab(codings, turns, perspective="perspective")
    assert table.loc["DEM", "client"] == 762 and table.loc["REP", "both"] == 477
    result = crosstab_test(table).iloc[0]
    assert list(result.index) == TEST_COLUMNS
    # Agresti (2007), An Introduction to Categorical Data Analysis, 2nd ed., Sec. 2.4.3,
    # Table 2.5 (party identification by gender): X^2 = 30.1, df = 2, P < 0.0001.
    assert result["test"] == "chi-square"
    assert round(result["statistic"], 1) == 30.1
    assert result["dof"] == 2 and result["p_value"] < 0.0001
    assert bool(result["assumptions_met"])


def test_fisher_exact_on_the_tea_tasting_table():
    # Fisher (1935) tea tasting, Agresti (2007) Sec. 2.6.2, Table 2.8: two-sided P = 0.486;
    # all expected counts are 2 < 5, so chi-square is not used.
    result = crosstab_test(pd.DataFrame([[3, 1], [1, 3]])).iloc[0]
    assert result["test"] == "Fisher exact"
    assert round(result["p_value"], 3) == 0.486
    assert not result["assumptions_met"] and "Fisher's exact test instead" in result["note"]


def test_freeman_halton_monte_carlo_on_job_satisfaction():
    # Agresti (2002), Categorical Data Analysis, 2nd ed., Table 2.8 (job satisfaction by
    # income), as in R's ?fisher.test example: exact Fisher-Freeman-Halton P = 0.7827.
    job = np.array([[1, 3, 10, 6], [2, 3, 10, 7], [1, 6, 14, 12], [0, 1, 9, 11]])
    result = crosstab_test(job).iloc[0]
    assert result["test"] == "Fisher-Freeman-Halton (Monte Carlo)"
    assert abs(result["p_value"] - 0.7827) < 0.02  # Monte Carlo, 9999 tables
    assert result["share_expected_ge5"] < 0.8


def test_crosstab_test_needs_two_rows_and_columns():
    assert crosstab_test(np.array([[3, 0], [4, 0]]))["test"].iloc[0] == "none"
    with pytest.raises(DsrError, match="non-negative counts"):
        crosstab_test(np.array([[1, -1], [2, 3]]))


def test_crosstab_units(turns, codings_of):
    codings = codings_of(
        [
            ("I01", 35, 40, "C1", "R1"),
            ("I01", 45, 50, "C1", "R1"),
            ("I01", 85, 90, "C1", "R1"),
            ("I02", 45, 50, "C1", "R1"),
        ]
    )
    assert code_crosstab(codings, turns).loc["C1"].to_dict() == {"client": 3, "cmo": 1}
    assert code_crosstab(codings, turns, unit="turn").loc["C1"].to_dict() == {"client": 2, "cmo": 1}
    assert code_crosstab(codings, turns, unit="participant").loc["C1"].to_dict() == {
        "client": 1,
        "cmo": 1,
    }
    assert list(code_crosstab(codings, turns, codes=["C2", "C1"]).index) == ["C2", "C1"]


# --------------------------------------------------------------------------- the reference
#
# The implementation of code_frequencies and code_crosstab before they counted on integer
# codes (merge by span, then groupby/nunique and pd.crosstab on the strings), kept verbatim as
# the reference the new one must equal: same columns, dtypes, order and index.


def _old_search(keys: np.ndarray, needles: np.ndarray, side: str, order: np.ndarray) -> np.ndarray:
    """``np.searchsorted`` of needles taken in (nearly) sorted ``order``: cache-friendly."""
    out = np.empty(len(needles), dtype=np.int64)
    out[order] = np.searchsorted(keys, needles[order], side=side)  # type: ignore[call-overload]
    return out


def _old_turn_span(codings: pd.DataFrame, turns: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in ``turns`` of the first and last turn each coding overlaps (-1: none)."""
    _need(turns, ("transcript_id", "start", "end"), "turns")
    ids = pd.Index(pd.unique(turns["transcript_id"]))
    t_code = ids.get_indexer(turns["transcript_id"]).astype(np.int64)
    c_code = ids.get_indexer(codings["transcript_id"]).astype(np.int64)
    c_start = pd.array(codings["start"], dtype="Int64")
    c_end = pd.array(codings["end"], dtype="Int64")
    known = (c_code >= 0) & ~c_start.isna() & ~c_end.isna()
    cs = c_start.to_numpy(dtype=np.int64, na_value=0)
    ce = c_end.to_numpy(dtype=np.int64, na_value=0)
    ts = turns["start"].to_numpy(dtype=np.int64)
    te = turns["end"].to_numpy(dtype=np.int64)
    big = int(max(te.max(initial=0), ce.max(initial=0))) + 1
    order = np.lexsort((ts, t_code))
    skey = t_code[order] * big + ts[order]
    ekey = t_code[order] * big + te[order]
    by_start = np.argsort(c_code * big + cs)
    first = _old_search(ekey, c_code * big + cs, "right", by_start)
    last = _old_search(skey, c_code * big + ce, "left", by_start) - 1
    n = len(order)
    ok = known & (first < n) & (last >= first) & (last >= 0)
    ok &= t_code[order][np.minimum(first, n - 1)] == c_code if n else False
    first = np.where(ok, order[np.minimum(first, max(n - 1, 0))] if n else -1, -1)
    last = np.where(ok, order[np.clip(last, 0, max(n - 1, 0))] if n else -1, -1)
    return first, last


def _old_slim(codings: pd.DataFrame, *extra: str) -> pd.DataFrame:
    """The columns of ``codings`` that frequencies and crosstabs read."""
    keep = ("code_id", "transcript_id", "start", "end", "coder", *extra)
    return codings[[c for c in dict.fromkeys(keep) if c in codings.columns]]


def _old_attach(codings: pd.DataFrame, turns: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """:func:`with_turns` limited to ``fields`` (and to what ``codings`` holds)."""
    first, _ = _old_turn_span(codings, turns)
    out = codings.copy()
    hit = first >= 0
    for col in fields:
        if col not in turns.columns:
            continue
        values = turns[col].to_numpy()[np.maximum(first, 0)] if len(turns) else np.array([])
        series = pd.Series(values if len(turns) else [None] * len(out), index=out.index)
        if col in ("turn", "cycle"):
            series = pd.array(series.where(hit), dtype="Int64")
        else:
            series = series.where(hit)
        out[col] = series
    return out


def _old_explode_ancestors(codings: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    lineage = {c: [c, *codebook.ancestors(c)] for c in codebook.codes["code_id"]}
    known = codings.loc[codings["code_id"].isin(lineage).to_numpy()]
    rolled = known.assign(code_id=known["code_id"].map(lineage)).explode("code_id")
    return pd.concat([rolled, codings.loc[~codings["code_id"].isin(lineage).to_numpy()]])


def old_code_frequencies(
    codings: pd.DataFrame,
    turns: pd.DataFrame,
    *,
    by: str | None = "transcript",
    codebook: Codebook | None = None,
    rollup: bool = False,
) -> pd.DataFrame:
    """The implementation before issue #18 (groupby on strings), kept as the reference."""
    if by is not None and by not in BY:
        raise DsrError(f"cannot group by {by!r}", hint=f"use one of {', '.join(BY)} or None")
    wanted = ["turn", "participant_id"] + ([BY[by]] if by is not None else [])
    table = _old_attach(_old_slim(codings), turns, wanted)
    if rollup:
        if codebook is None:
            raise DsrError("rollup=True needs the codebook", hint="pass codebook=")
        table = _old_explode_ancestors(table, codebook)
    keys = ["code_id"] + ([BY[by]] if by is not None else [])
    if by is not None and BY[by] not in table.columns:
        raise DsrError(f"turns lack column {BY[by]!r}", hint="pass the corpus turns table")
    grouped = table.groupby(keys, sort=True, dropna=False)
    out = grouped.agg(
        segments=("code_id", "size"),
        transcripts=("transcript_id", "nunique"),
        participants=("participant_id", "nunique"),
    ).reset_index()
    return out


def old_code_crosstab(
    codings: pd.DataFrame,
    turns: pd.DataFrame,
    *,
    codes: Sequence[str] | None = None,
    perspective: str = "perspective",
    unit: Literal["segment", "turn", "participant"] = "segment",
) -> pd.DataFrame:
    """The implementation before issue #18 (groupby on strings), kept as the reference."""
    table = _old_attach(
        _old_slim(codings, perspective), turns, ["turn", "participant_id", perspective]
    )
    if perspective not in table.columns:
        raise DsrError(f"turns lack column {perspective!r}", hint="pass the corpus turns table")
    table = table.loc[table[perspective].notna().to_numpy()]
    if unit == "turn":
        table = table.drop_duplicates(["code_id", "transcript_id", "turn"])
    elif unit == "participant":
        table = table.drop_duplicates(["code_id", "participant_id"])
    elif unit != "segment":
        raise DsrError(f"unit {unit!r} is not segment, turn or participant")
    cross = pd.crosstab(table["code_id"], table[perspective])
    if codes is not None:
        cross = cross.reindex(index=list(codes), fill_value=0)
    return cross.astype("int64")


# --------------------------------------------------------------------------- random inputs

REF_BOOK = """codes:
  - {id: D1, name: D1}
  - {id: T1, name: T1, parent: D1}
  - {id: C1, name: C1, parent: T1}
  - {id: C1a, name: C1a, parent: C1}
  - {id: C2, name: C2, parent: T1}
  - {id: D2, name: D2}
"""


def random_study(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turns (gaps between them, missing participant/perspective/organisation values) and
    codings (spans inside, across and outside turns, lost anchors, unknown transcripts and
    codes, several coders)."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(int(rng.integers(1, 5))):
        pos = int(rng.integers(0, 5))
        for k in range(int(rng.integers(1, 8))):
            start = pos + int(rng.integers(0, 4))
            end = start + int(rng.integers(1, 20))
            rows.append((f"I{t:02d}", k + 1, start, end))
            pos = end
    n = len(rows)
    str_or_none = lambda values, p: [  # noqa: E731
        None if rng.random() < p else str(rng.choice(values)) for _ in range(n)
    ]
    turns = pd.DataFrame(rows, columns=["transcript_id", "turn", "start", "end"])
    turns["participant_id"] = str_or_none(["P01", "P02", "R1", "P03"], 0.15)
    turns["speaker"] = turns["participant_id"]
    turns["perspective"] = str_or_none(["client", "cmo", "researcher"], 0.15)
    turns["organisation"] = pd.array(str_or_none(["ALPHA", "GAMMA"], 0.3), dtype="string")
    turns["kind"] = str_or_none(["interview", "focus_group"], 0.0)
    turns["cycle"] = rng.integers(1, 4, n)
    if seed % 2:  # object columns as well as pandas' str dtype
        turns = turns.astype({"transcript_id": object, "perspective": object, "kind": object})
    else:
        turns = turns.astype({"transcript_id": "str", "perspective": "str", "kind": "str"})
    ids = sorted(set(turns["transcript_id"])) + ["I99"]
    m = int(rng.integers(0, 60))
    top = int(turns["end"].max()) + 10
    starts = rng.integers(0, top, m)
    codings = pd.DataFrame(
        {
            "coding_id": [f"c{i}" for i in range(m)],
            "transcript_id": rng.choice(ids, m) if m else [],
            "start": starts,
            "end": starts + rng.integers(1, 25, m),
            "code_id": rng.choice(["C1", "C1a", "C2", "T1", "D2", "X9"], m) if m else [],
            "coder": rng.choice(["R1", "R2"], m) if m else [],
        }
    )
    codings["start"] = pd.array(codings["start"], dtype="Int64")
    codings["end"] = pd.array(codings["end"], dtype="Int64")
    lost = rng.random(m) < 0.1
    codings.loc[lost, ["start", "end"]] = pd.NA
    if seed % 3 == 0:
        codings = codings.astype({"code_id": "str", "transcript_id": "str", "coder": "str"})
    return codings, turns


def with_own_turn(codings: pd.DataFrame, turns: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The codings carrying their turn, as anchored codings do (some without one)."""
    out = codings.copy()
    out["turn"] = pd.array(with_turns(codings, turns)["turn"], dtype="Int64")
    if seed % 4 == 1 and len(out):  # a few codings lack their turn: placed by span
        out.loc[out.index[::3], "turn"] = pd.NA
    return out


@pytest.mark.parametrize("seed", range(24))
def test_frequencies_equal_the_groupby_reference(seed):
    codings, turns = random_study(seed)
    book = parse_codebook(REF_BOOK)
    for table in (codings, with_own_turn(codings, turns, seed)):
        for by in [None, *BY]:
            for rollup in (False, True):
                got = code_frequencies(table, turns, by=by, codebook=book, rollup=rollup)
                want = old_code_frequencies(table, turns, by=by, codebook=book, rollup=rollup)
                pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("seed", range(24))
def test_crosstab_equals_the_pd_crosstab_reference(seed):
    codings, turns = random_study(seed)
    for table in (codings, with_own_turn(codings, turns, seed)):
        for perspective in ("perspective", "organisation", "kind", "cycle", "coder"):
            for unit in ("segment", "turn", "participant"):
                for codes in (None, ["C2", "ZZ", "C1"]):
                    got = code_crosstab(
                        table, turns, perspective=perspective, unit=unit, codes=codes
                    )
                    want = old_code_crosstab(
                        table, turns, perspective=perspective, unit=unit, codes=codes
                    )
                    pd.testing.assert_frame_equal(got, want)


def test_a_codings_own_turn_is_used_not_its_span(turns, codings_of):
    codings = codings_of([("I01", 35, 40, "C1", "R1"), ("I01", 35, 40, "C2", "R1")])
    codings["turn"] = pd.array([2, 3], dtype="Int64")  # C2 says it is on turn 3
    table = code_frequencies(codings, turns, by=None)
    assert table["participants"].tolist() == [1, 1]
    cross = code_crosstab(codings, turns, unit="turn")
    assert cross.to_dict("index") == {"C1": {"client": 1}, "C2": {"client": 1}}
    with_span = code_frequencies(codings.drop(columns="turn"), turns, by="transcript")
    assert with_span["segments"].tolist() == [1, 1]


@pytest.mark.parametrize("seed", range(40))
def test_first_ending_after_equals_a_sorted_search(seed):
    # the bucketed search that places codings by span, against np.searchsorted on packed keys:
    # empty groups, groups of one, ends shared by several turns, needles past every end,
    # below every end and negative, groups never asked for
    rng = np.random.default_rng(seed)
    n_groups, n = int(rng.integers(1, 7)), int(rng.integers(1, 40))
    group = np.sort(rng.integers(0, n_groups, n))
    ends = np.zeros(n, dtype=np.int64)
    for k in range(n_groups):
        here = group == k
        ends[here] = np.sort(rng.integers(0, int(rng.integers(1, 300)), int(here.sum())))
    m = int(rng.integers(1, 80))
    g = rng.integers(0, n_groups + 1, m)
    x = rng.integers(-5, 350, m)
    big = 10**6
    want = np.searchsorted(group * big + ends, g * big + x, side="right")
    assert first_ending_after(group, ends, g, x).tolist() == want.tolist()


@pytest.mark.parametrize("seed", range(12))
def test_turns_out_of_order_or_overlapping_give_the_reference(seed):
    # the span placement sorts turns that are out of order, and falls back to a sorted search
    # when turns overlap (their ends are then not sorted): both must still equal the reference
    codings, turns = random_study(seed)
    shuffled = turns.sample(frac=1, random_state=seed)
    overlapping = turns.assign(end=turns["end"] + np.arange(len(turns)) % 3 * 7)
    for table in (shuffled, overlapping):
        got = with_turns(codings, table)
        want = _old_attach(codings, table, ["turn", "speaker", "perspective", "cycle"])
        pd.testing.assert_frame_equal(got[want.columns], want)
        for unit in ("segment", "turn"):
            pd.testing.assert_frame_equal(
                code_crosstab(codings, table, unit=unit),
                old_code_crosstab(codings, table, unit=unit),
            )
        pd.testing.assert_frame_equal(
            code_frequencies(codings, table, by="perspective"),
            old_code_frequencies(codings, table, by="perspective"),
        )


@pytest.mark.parametrize("seed", range(12))
def test_categorical_ids_give_the_reference(seed):
    # ids held as categoricals (factorised from their codes) count as the strings do
    codings, turns = random_study(seed)
    cat_codings = codings.astype({"code_id": "category", "transcript_id": "category"})
    cat_turns = turns.astype({"transcript_id": "category", "perspective": "category"})
    for table, corpus in ((cat_codings, turns), (codings, cat_turns), (cat_codings, cat_turns)):
        pd.testing.assert_frame_equal(
            code_crosstab(table, corpus), old_code_crosstab(table, corpus)
        )
        pd.testing.assert_frame_equal(
            code_frequencies(table, corpus, by="perspective"),
            old_code_frequencies(table, corpus, by="perspective"),
        )
