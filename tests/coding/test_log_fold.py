"""The vectorised fold (``codings.fold``) against a plain event-by-event fold, on random logs.

The reference below is the fold's definition written as a loop over events: a coding exists
if its last add or remove is an add; its fields are those of that add; its memo is the latest
non-missing note of its add and memo events (a remove's memo is its reason, not a note).
Hypothesis draws event sequences with duplicate adds, removes of unknown ids, memos before an
add, after a removal and on codings never added, re-adds (some ``"verified": false``, as a
REFI-QDA import writes them), and logs of several coders, and each
is read the three ways a log can be read (parsed by pyarrow, by the careful path, and from the
cache).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_workbench.coding import logread
from dsr_workbench.coding.codings import CODING_COLUMNS, fold, load_codings
from dsr_workbench.coding.events import make_add_event
from dsr_workbench.coding.log import append_events, read_logs

TEXT = "Kim: Why Gamma?\n\nHannah: We trust them. Their audits are open. Zoë 😀"
TRANSCRIPT = {"transcript_id": "I01", "text": TEXT, "sha256": "h1"}


def reference_fold(events: pd.DataFrame) -> pd.DataFrame:
    """The current codings, one event at a time (the definition, not the fast path)."""
    state: dict[Any, int] = {}  # coding -> row of its last add or remove
    note: dict[Any, int] = {}  # coding -> row of its latest note
    records = events.to_dict("records")
    for row, event in enumerate(records):
        key = event["coding_id"]
        if event["event"] in ("add", "remove"):
            state[key] = row
        if event["event"] in ("add", "memo") and not pd.isna(event["memo"]):
            note[key] = row
    current = sorted(row for row in state.values() if records[row]["event"] == "add")
    out = []
    for row in current:
        event = records[row]
        noted = note.get(event["coding_id"])
        out.append(
            {
                **{c: event[c] for c in CODING_COLUMNS if c not in ("created_at", "memo")},
                "verified": event["verified"] is not False,  # absent: verified
                "created_at": event["timestamp"],
                "memo": records[noted]["memo"] if noted is not None else np.nan,
            }
        )
    table = pd.DataFrame(out, columns=CODING_COLUMNS)
    for name in CODING_COLUMNS:
        if name in ("start", "end"):
            table[name] = table[name].astype(np.int64)
        elif name == "verified":
            table[name] = table[name].astype(bool)
        elif name == "created_at":
            table[name] = pd.to_datetime(table[name], utc=True, format="ISO8601").dt.as_unit("us")
        else:
            table[name] = pd.array(table[name].to_numpy(dtype=object), dtype="str")
    return table


SPANS = [(0, 3), (5, 10), (18, 24), (28, 33), (41, 47), (63, 66), (67, 68)]
CODES = ["TRUST", "AUDIT", "REL"]
MEMOS = [None, None, "why?", "“quoted” 😀", "two\nlines"]


@st.composite
def logs(draw: st.DrawFn) -> dict[str, list[dict]]:
    """Events for one to three coders: adds (often of the same span twice), removes of
    codings added or not, memos on codings added, removed or unknown."""
    out: dict[str, list[dict]] = {}
    for coder in draw(st.sampled_from([["R1"], ["R1", "R2"], ["A", "R1", "z.3"]])):
        events: list[dict] = []
        ids: list[str] = []
        for _ in range(draw(st.integers(0, 40))):
            kind = draw(st.sampled_from(["add", "add", "remove", "memo", "unknown"]))
            if kind == "add":
                start, end = draw(st.sampled_from(SPANS))
                event = make_add_event(
                    TRANSCRIPT,
                    start,
                    end,
                    draw(st.sampled_from(CODES)),
                    coder=coder,
                    memo=draw(st.sampled_from(MEMOS)),
                    timestamp=f"2026-01-{draw(st.integers(10, 28))}T10:00:0{draw(st.integers(0, 9))}Z",
                    verified=draw(st.sampled_from([True, True, False])),  # as an import writes
                )
                ids.append(event["coding_id"])
                events.append(event)
            elif kind == "unknown" or not ids:
                coding = draw(st.sampled_from(["0123456789abcdef", "not-a-hex-id", "R1-x"]))
                events.append(
                    {
                        "event": draw(st.sampled_from(["remove", "memo"])),
                        "coding_id": coding,
                        "memo": "x",
                    }
                )
            else:
                coding = draw(st.sampled_from(ids))
                memo = draw(st.sampled_from(MEMOS))
                if kind == "memo":
                    events.append({"event": "memo", "coding_id": coding, "memo": memo or "note"})
                else:
                    events.append({"event": "remove", "coding_id": coding, "memo": memo})
        out[coder] = events
    return out


def _write(folder: Path, drawn: dict[str, list[dict]]) -> None:
    for old in folder.glob("*.jsonl"):
        old.unlink()
    for path in (folder / ".cache").glob("*") if (folder / ".cache").is_dir() else []:
        path.unlink()
    for coder, events in drawn.items():
        log = folder / f"{coder}.jsonl"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.touch()
        if events:
            append_events(log, events)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=logs())
def test_the_fold_equals_the_event_by_event_fold(tmp_path_factory, drawn):
    folder = tmp_path_factory.mktemp("codings")
    _write(folder, drawn)
    events = read_logs(folder)  # parsed (and cached)
    expected = reference_fold(events)
    pd.testing.assert_frame_equal(fold(events), expected)
    pd.testing.assert_frame_equal(load_codings(folder), expected)  # from the cache, typed
    logread.USE_CACHE = False
    try:
        pd.testing.assert_frame_equal(load_codings(folder), expected)
        careful = logread._arrow_table
        logread._arrow_table = lambda raw, end: None
        try:
            pd.testing.assert_frame_equal(load_codings(folder), expected)  # object columns
        finally:
            logread._arrow_table = careful
    finally:
        logread.USE_CACHE = True


@pytest.mark.parametrize("seed", range(5))
def test_the_fold_of_a_log_grown_by_appends_equals_the_reference(tmp_path, seed):
    """The fold of a log read through a cache extended append by append (fixed seeds)."""
    rng = np.random.default_rng(seed)
    log = tmp_path / "codings" / "R1.jsonl"
    ids: list[str] = []
    for _ in range(6):
        batch = []
        for _ in range(int(rng.integers(1, 30))):
            roll = rng.random()
            if roll < 0.5 or not ids:
                start, end = SPANS[int(rng.integers(len(SPANS)))]
                event = make_add_event(
                    TRANSCRIPT, start, end, CODES[int(rng.integers(3))], coder="R1"
                )
                ids.append(event["coding_id"])
                batch.append(event)
            elif roll < 0.75:
                batch.append({"event": "remove", "coding_id": ids[int(rng.integers(len(ids)))]})
            else:
                batch.append(
                    {
                        "event": "memo",
                        "coding_id": ids[int(rng.integers(len(ids)))],
                        "memo": f"m{roll:.3f}",
                    }
                )
        append_events(log, batch)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            codings = load_codings(log)
        logread.USE_CACHE = False
        try:
            expected = reference_fold(read_logs(log))
        finally:
            logread.USE_CACHE = True
        pd.testing.assert_frame_equal(codings, expected)


ISO = st.datetimes(timezones=st.none()).map(
    lambda d: d.isoformat(timespec=["seconds", "milliseconds", "microseconds"][d.second % 3]) + "Z"
)
STAMPS = st.one_of(
    ISO,
    st.tuples(ISO, st.integers(0, 26), st.sampled_from("0123456789-T:.Z +a")).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]  # one character changed
    ),
    st.text(alphabet="0123456789-T:.Z +", min_size=18, max_size=27),
    st.sampled_from(["2026-13-01T10:00:00Z", "2026-01-32T10:00:00Z", "2026-01-01T24:00:00Z"]),
)


@settings(max_examples=300, deadline=None)
@given(stamps=st.lists(STAMPS, min_size=1, max_size=6), same=st.booleans())
def test_the_fixed_width_timestamp_check_equals_the_regex(stamps, same):
    """``_iso_utc_fixed`` (numpy on the bytes) says what the ISO-UTC regex says, or passes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from dsr_workbench.coding.codings import _ISO_UTC, _iso_utc_fixed

    if same:  # one length for all: the fixed-width check decides
        stamps = [s for s in stamps if len(s) == len(stamps[0])]
    values = pa.chunked_array(
        [pa.array(stamps[:1], pa.large_string()), pa.array(stamps[1:], pa.large_string())]
    )
    fixed = _iso_utc_fixed(values)
    regex = pc.all(pc.match_substring_regex(values, _ISO_UTC)).as_py()
    assert fixed is None or fixed == regex
    if fixed is None:
        assert len(set(map(len, stamps))) > 1 or len(stamps[0]) not in (20, 22, 23, 24, 25, 26, 27)


def test_hex_coding_ids_are_numbered_as_factorize_numbers_them():
    """The fast numbering of ``coding_id``-form ids splits rows as ``pd.factorize`` does; any
    other id (upper case, other length, missing) goes to ``factorize``."""
    from dsr_workbench.coding.codings import _codes, _hex_keys

    rng = np.random.default_rng(3)
    ids = [f"{int(v):016x}" for v in rng.integers(0, 2**63, 50)]
    column = pd.Series(list(rng.choice(ids, 400)), dtype="str")
    assert _hex_keys(column.array) is not None
    fast = _codes(column)
    slow = pd.factorize(column)[0]
    assert (pd.factorize(fast)[0] == slow).all()
    for other in ["ABCDEF0123456789", "abc", None, "0123456789abcdeg"]:
        mixed = pd.Series([*column[:5], other], dtype="str")
        assert _hex_keys(mixed.array) is None
        assert (
            pd.factorize(_codes(mixed))[0] == pd.factorize(mixed, use_na_sentinel=False)[0]
        ).all()
