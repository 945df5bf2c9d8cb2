"""Tests of dsr_workbench.coding.codings: the fold of the logs and the coding API."""

from __future__ import annotations

import pandas as pd
import pytest

from dsr_workbench.coding import logread as coding_log
from dsr_workbench.coding.codebook import parse_codebook
from dsr_workbench.coding.codings import (
    CODING_COLUMNS,
    check_codes,
    code_span,
    code_turns,
    coding_id,
    fold,
    load_codings,
    log_path,
    memo,
    read_log,
    read_logs,
    remove,
)
from dsr_workbench.core.errors import DsrError

BOOK = parse_codebook("""\
codes:
  - {id: REL, name: Relational}
  - {id: TRUST, name: Trust, parent: REL}
  - {id: AUDIT, name: Audits, parent: REL}
""")


# --------------------------------------------------------------- bad input, one test each


def test_unknown_code_id_is_refused(log, transcript, span):
    with pytest.raises(DsrError, match="unknown code id 'TRUTS'.*did you mean 'TRUST'"):
        code_span(log, transcript, *span("trust"), "TRUTS", codebook=BOOK)
    assert not log.exists()


def test_code_removed_from_codebook_is_reported_and_codings_kept(log, transcript, span):
    code_span(log, transcript, *span("trust"), "TRUST", codebook=BOOK)
    code_span(log, transcript, *span("audits"), "AUDIT", codebook=BOOK)
    smaller = parse_codebook("codes:\n  - {id: REL, name: R}\n  - {id: TRUST, name: T}\n")
    codings = load_codings(log.parent)
    report = check_codes(codings, smaller)
    assert list(report["code_id"]) == ["AUDIT"]
    assert report.loc[0, "problem"] == (
        "code 'AUDIT' is used by 1 coding but is not in the codebook"
    )
    assert len(load_codings(log.parent)) == 2  # nothing was dropped


def test_coder_cannot_write_another_coders_log(log, transcript, span):
    with pytest.raises(DsrError, match="coder 'R2' cannot write to the log of 'R1'"):
        code_span(log, transcript, *span("trust"), "TRUST", codebook=BOOK, coder="R2")


def test_remove_or_memo_of_an_unknown_coding_is_refused(log, transcript, span):
    code_span(log, transcript, *span("trust"), "TRUST", codebook=BOOK)
    with pytest.raises(DsrError, match="coding 'nope' is not a current coding of 'R1'"):
        remove(log, "nope")
    with pytest.raises(DsrError, match="is not a current coding"):
        memo(log, "nope", "text")


# --------------------------------------------------------------- coding API and fold


def test_code_span_remove_memo_round_trip(log, transcript, span):
    added = code_span(log, transcript, *span("trust"), "TRUST", codebook=BOOK, memo="first")
    code_span(log, transcript, *span("audits"), "AUDIT", codebook=BOOK)
    memo(log, added["coding_id"], "check with Noah")
    codings = load_codings(log.parent)
    assert list(codings.columns) == CODING_COLUMNS
    row = codings.set_index("coding_id").loc[added["coding_id"]]
    assert (row["quote"], row["prefix"], row["suffix"]) == (
        "trust",
        "Kim: Why Gamma?\n\nHannah: We ",
        " them. Their audits are open.",
    )
    assert (row["memo"], row["origin"], row["sha256"]) == ("check with Noah", "manual", "h1")
    assert str(codings["created_at"].dtype) == "datetime64[us, UTC]"
    remove(log, added["coding_id"], memo="not trust, politeness")
    assert list(load_codings(log.parent)["code_id"]) == ["AUDIT"]
    events = read_log(log)
    assert list(events["event"]) == ["add", "add", "memo", "remove"]  # nothing rewritten
    with pytest.raises(DsrError, match="is not a current coding"):
        remove(log, added["coding_id"])


def test_same_span_and_code_is_one_coding_and_readding_restores_it(log, transcript, span):
    first = code_span(log, transcript, *span("trust"), "TRUST", codebook=BOOK)
    code_span(log, transcript, *span("trust"), "TRUST", codebook=BOOK)
    assert len(load_codings(log.parent)) == 1
    remove(log, first["coding_id"])
    code_span(log, transcript, *span("trust"), "TRUST", codebook=BOOK)
    codings = load_codings(log.parent)
    assert list(codings["coding_id"]) == [first["coding_id"]]
    assert first["coding_id"] == coding_id("R1", "I01", *span("trust"), "TRUST")


def test_code_turns_codes_whole_turns_in_one_append(log, transcript, transcripts):
    text = transcript["text"]
    start = text.index("We trust")
    turns = pd.DataFrame(
        {
            "transcript_id": ["I01"],
            "turn": [2],
            "start": [start],
            "end": [len(text)],
            "text": [text[start:]],
        }
    )
    events = code_turns(log, turns, transcripts, "TRUST", codebook=BOOK)
    assert [e["quote"] for e in events] == [text[start:]]
    stale = turns.assign(text="We trusted them.")
    with pytest.raises(DsrError, match="does not match the text"):
        code_turns(log, stale, transcripts, "TRUST", codebook=BOOK)


def test_fold_keeps_latest_state_and_memo():
    base = {
        "coder": "R1",
        "timestamp": "2026-01-14T10:00:00Z",
        "transcript_id": "I01",
        "sha256": "h",
        "quote": "x",
        "origin": "manual",
    }
    events = pd.DataFrame(
        [
            {
                **base,
                "event": "add",
                "coding_id": "a",
                "start": 0,
                "end": 4,
                "code_id": "A",
                "memo": "m1",
            },
            {**base, "event": "memo", "coding_id": "a", "memo": "m2"},
            {**base, "event": "add", "coding_id": "b", "start": 5, "end": 9, "code_id": "B"},
            {**base, "event": "remove", "coding_id": "b"},
            {**base, "event": "add", "coding_id": "c", "start": 1, "end": 2, "code_id": "C"},
            {**base, "event": "remove", "coding_id": "c"},
            {
                **base,
                "event": "add",
                "coding_id": "c",
                "start": 1,
                "end": 2,
                "code_id": "C",
                "timestamp": "2026-02-01T00:00:00Z",
            },
        ]
    )
    codings = fold(events)
    assert list(codings["coding_id"]) == ["a", "c"]
    assert list(codings["memo"].fillna("")) == ["m2", ""]
    assert codings.loc[1, "created_at"] == pd.Timestamp("2026-02-01", tz="UTC")
    assert fold(events.iloc[:0]).columns.tolist() == CODING_COLUMNS


# --------------------------------------------------------------- fast paths give the same codings


def test_load_codings_equals_the_fold_of_the_careful_read(tmp_path, transcript, span, monkeypatch):
    quote = "Zoë: “we trust them” – ‘fully’"
    text = {**transcript, "text": f"{transcript['text']} {quote}"}
    at = text["text"].index(quote)
    ids = {}
    for coder in ("R1", "R2"):
        log = log_path(tmp_path / "data", coder)
        for word, code in [("trust", "TRUST"), ("audits", "AUDIT"), ("Gamma", "REL")]:
            ids[coder, code] = code_span(log, text, *span(word), code, codebook=BOOK)["coding_id"]
        code_span(log, text, at, at + len(quote), "TRUST", codebook=BOOK, memo="“first”")
        memo(log, ids[coder, "TRUST"], f"{coder}: check")
        remove(log, ids[coder, "AUDIT"])
    remove(log, ids["R2", "REL"])
    code_span(log, text, *span("Gamma"), "REL", codebook=BOOK, memo="back")  # added again
    folder = tmp_path / "data" / "codings"
    monkeypatch.setattr(coding_log, "_BLOCK", 1024)  # many chunks, as in a large log
    fast = load_codings(folder)  # parsed, and cached
    pd.testing.assert_frame_equal(fast, fold(read_logs(folder)))  # from the cache
    pd.testing.assert_frame_equal(fast, load_codings(folder))
    monkeypatch.setattr(coding_log, "USE_CACHE", False)
    monkeypatch.setattr(coding_log, "_arrow_table", lambda raw, end: None)
    careful = fold(read_logs(folder))
    pd.testing.assert_frame_equal(fast, careful)
    pd.testing.assert_frame_equal(fast.map(type), careful.map(type))
    assert [c for c in CODING_COLUMNS if fast[c].dtype == "str"] == [
        c for c in CODING_COLUMNS if c not in ("start", "end", "created_at", "verified")
    ]
    assert fast["verified"].dtype == bool and fast["verified"].all()
    assert len(fast) == 6 and list(fast["coder"]) == ["R1", "R1", "R1", "R2", "R2", "R2"]
    memos = dict(zip(fast["coding_id"], fast["memo"], strict=True))
    assert memos[ids["R2", "TRUST"]] == "R2: check" and memos[ids["R2", "REL"]] == "back"
    assert list(fast["quote"]).count(quote) == 2


def _adds(stamps: list[str], dtype: str) -> pd.DataFrame:
    n = len(stamps)
    return pd.DataFrame(
        {
            "event": "add",
            "coding_id": [f"c{i}" for i in range(n)],
            "coder": "R1",
            "timestamp": stamps,
            "transcript_id": "I01",
            "sha256": "h",
            "start": range(n),
            "end": range(1, n + 1),
            "quote": "x",
            "code_id": "A",
            "origin": "manual",
        }
    ).astype({"event": dtype, "coding_id": dtype, "timestamp": dtype, "quote": dtype})


@pytest.mark.parametrize("dtype", ["str", "object"])
@pytest.mark.parametrize(
    "stamps",
    [
        ["2026-01-14T10:00:00Z", "2026-01-14T10:00:00.5Z", "2026-12-31T23:59:59.123456Z"],
        ["2026-01-14T10:00:00Z", "2026-01-14T10:00:00+02:00", "2026-01-14T10:00:00"],
        ["2026-01-14T10:00:00.123456789Z", "2026-01-14 10:00Z"],
    ],
)
def test_created_at_is_the_pandas_reading_of_the_timestamp(stamps, dtype):
    got = fold(_adds(stamps, dtype))["created_at"]
    want = pd.to_datetime(stamps, utc=True, format="ISO8601").as_unit("us")
    pd.testing.assert_series_equal(got, pd.Series(want, name="created_at"))


def test_impossible_timestamp_is_refused_as_by_pandas():
    with pytest.raises(ValueError, match="2026-02-30"):
        fold(_adds(["2026-01-14T10:00:00Z", "2026-02-30T10:00:00Z"], "str"))
