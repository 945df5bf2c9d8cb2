"""Tests of dsr_workbench.coding.log: atomic appends, crashes, concurrency, reading."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dsr_workbench.coding import logread as coding_log
from dsr_workbench.coding.events import EVENT_FIELDS, coding_id, make_add_event
from dsr_workbench.coding.log import (
    TornLineWarning,
    append_events,
    log_problems,
    read_log,
    read_logs,
)
from dsr_workbench.core.errors import DsrError, InputError


@pytest.fixture
def add(span: Callable[[str], tuple[int, int]]) -> Callable[[Path, dict, str, str], None]:
    """``add(log, transcript, word, code)``: append the event coding ``word`` with ``code``."""

    def append(log: Path, transcript: dict, word: str, code: str) -> None:
        append_events(log, [make_add_event(transcript, *span(word), code, coder=log.stem)])

    return append


# --------------------------------------------------------------- bad input


def test_malformed_line_in_the_middle_names_file_and_line(log, transcript, span):
    good = make_add_event(transcript, *span("trust"), "TRUST", coder="R1")
    log.parent.mkdir(parents=True)
    lines = [json.dumps(good), '{"event": "add", "coding_id": ', json.dumps(good)]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_log(log)
    assert (err.value.path, err.value.line) == (str(log), 2)
    assert "not valid JSON" in str(err.value)
    with pytest.warns(UserWarning, match="skipped 1 malformed line"):
        events = read_log(log, strict=False)
    assert list(events["line"]) == [1, 3]
    problems = log_problems(log)
    assert list(problems["line"]) == [2]


def test_event_lacking_a_field_is_malformed(log):
    log.parent.mkdir(parents=True)
    log.write_text(
        '{"event":"add","coding_id":"x","coder":"R1","timestamp":"t"}\n'
        '{"event":"rename","coding_id":"x","coder":"R1","timestamp":"t"}\n'
    )
    with pytest.raises(InputError, match="add event lacks 'transcript_id'") as err:
        read_log(log)
    assert err.value.line == 1
    assert list(log_problems(log)["problem"]) == [
        "add event lacks 'transcript_id'",
        "event is not add, remove or memo",
    ]


def test_coder_cannot_write_another_coders_log(log, transcript, span):
    other = make_add_event(transcript, *span("trust"), "TRUST", coder="R2")
    with pytest.raises(DsrError, match="cannot go to the log of 'R1'"):
        append_events(log, [other])


# --------------------------------------------------------------- appending and reading


def test_append_completes_plain_events_from_transcripts(log, transcripts, span):
    start, end = span("audits")
    plain = {
        "event": "add",
        "coder": "R1",
        "transcript_id": "I01",
        "start": start,
        "end": end,
        "quote": "audits",
        "code_id": "AUDIT",
        "origin": "consensus",
        "memo": "consensus: applied by R1; not by R2",
    }
    (done,) = append_events(log, [plain], transcripts=transcripts)
    assert done["sha256"] == "h1" and done["suffix"] == " are open."
    assert done["coding_id"] == coding_id("R1", "I01", start, end, "AUDIT")
    with pytest.raises(DsrError, match="add event lacks sha256"):
        append_events(log, [plain])


def test_read_logs_reads_every_coder(tmp_path, transcript, add):
    folder = tmp_path / "codings"
    for coder in ("R1", "R2"):
        add(folder / f"{coder}.jsonl", transcript, "trust", "TRUST")
    events = read_logs(folder)
    assert list(events["log"]) == ["R1.jsonl", "R2.jsonl"]
    assert sorted(events["coder"]) == ["R1", "R2"]
    assert read_logs(tmp_path / "nothing").empty


# --------------------------------------------------------------- crashes and concurrency


def test_torn_last_line_is_reported_skipped_and_set_aside(log, transcript, add):
    add(log, transcript, "trust", "TRUST")
    with open(log, "ab") as handle:
        handle.write(b'{"event":"add","coding_id":"half')
    with pytest.warns(TornLineWarning, match=r"R1\.jsonl:2: torn last line"):
        assert len(read_log(log)) == 1
    with pytest.warns(TornLineWarning, match="moved to"):
        add(log, transcript, "audits", "AUDIT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(read_log(log)["code_id"]) == ["TRUST", "AUDIT"]
    assert Path(f"{log}.torn").read_bytes() == b'{"event":"add","coding_id":"half\n'


def test_complete_last_line_without_newline_is_kept(log, transcript, span, add):
    event = make_add_event(transcript, *span("trust"), "TRUST", coder="R1")
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps(event), encoding="utf-8")
    assert len(read_log(log)) == 1
    add(log, transcript, "audits", "AUDIT")
    assert log.read_text().count("\n") == 2
    assert len(read_log(log)) == 2


WRITER = textwrap.dedent("""\
    import sys
    from dsr_workbench.coding.codings import append_events
    log, tag, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    pad = "x" * size
    for i in range(count):
        append_events(log, [{"event": "memo", "coding_id": f"{tag}-{i}",
                             "memo": f"{tag} {i} {pad}"}])
    """)


def _writer(log: Path, tag: str, count: int, size: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(log), tag, str(count), str(size)])


def _sequence(events: pd.DataFrame, tag: str) -> list[int]:
    memos = events.loc[events["coding_id"].str.startswith(f"{tag}-"), "memo"]
    return [int(m.split()[1]) for m in memos]


def test_sigkill_while_appending_leaves_every_earlier_event_readable(tmp_path):
    log = tmp_path / "R1.jsonl"
    proc = _writer(log, "k", 1_000_000, 200_000)
    deadline = time.monotonic() + 30
    while (not log.exists() or log.stat().st_size < 5_000_000) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornLineWarning)  # a torn last line is allowed
        events = read_log(log)
    seq = _sequence(events, "k")
    assert len(seq) >= 25
    assert seq == list(range(len(seq)))  # no event lost, duplicated or garbled
    assert all(len(m) > 200_000 for m in events["memo"])
    append_events(log, [{"event": "memo", "coding_id": "after", "memo": "recovered"}])
    assert read_log(log)["coding_id"].iloc[-1] == "after"


def test_two_processes_appending_to_one_log_never_interleave(tmp_path):
    log = tmp_path / "R1.jsonl"
    writers = [_writer(log, tag, 1000, 300) for tag in ("a", "b")]
    for proc in writers:
        assert proc.wait(timeout=120) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events = read_log(log)
    assert len(events) == 2000
    assert len(log.read_bytes().splitlines()) == 2000
    for tag in ("a", "b"):
        assert _sequence(events, tag) == list(range(1000))
    assert set(events.columns) >= set(EVENT_FIELDS)
    assert np.array_equal(events["line"].to_numpy(), np.arange(1, 2001))


# --------------------------------------------------------------- pyarrow and careful paths

QUOTE = "Zoë: “we trust them” – ‘fully’ 😀"


def _mixed_log(log: Path, transcript: dict, span: Callable[[str], tuple[int, int]]) -> None:
    """A log of every kind of event: unicode quotes and JSON escapes, a memo and a remove,
    optional fields left out, an unknown field, an explicit null, no newline at the end."""
    text = {**transcript, "text": f"{transcript['text']} {QUOTE}"}
    at = text["text"].index(QUOTE)
    added = [
        make_add_event(text, at, at + len(QUOTE), "QUOTE", coder="R1", memo="first “pass”"),
        make_add_event(text, *span("trust"), "TRUST", coder="R1"),
        make_add_event(text, *span("audits"), "AUDIT", coder="R1", origin="rule:AUDIT"),
    ]
    append_events(log, added)
    append_events(log, [{"event": "memo", "coding_id": added[1]["coding_id"], "memo": "ok"}])
    append_events(log, [{"event": "remove", "coding_id": added[2]["coding_id"]}])
    with open(log, "a", encoding="utf-8") as handle:  # hand-written, as other tools may
        handle.write(
            '{"event":"memo","coding_id":"c\\u0031","coder":"R1","timestamp":"2026-01-14T'
            '10:00:00Z","memo":"\\u201cq\\u201d \\ud83d\\ude00 a\\nb","quote":null,"x":[1]}\n'
        )
        handle.write(json.dumps({**added[1], "prefix": None, "suffix": None}, ensure_ascii=False))


def _read_both(log: Path, monkeypatch: pytest.MonkeyPatch, **options) -> tuple:
    """``(by pyarrow, by the careful path)``: read_log and log_problems of ``log`` each way."""
    careful = []
    monkeypatch.setattr(coding_log, "USE_CACHE", False)  # both ways parse the log
    scan = coding_log._careful
    monkeypatch.setattr(coding_log, "_careful", lambda *a: careful.append(1) or scan(*a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fast = (read_log(log, **options), log_problems(log))
        took = not careful
        monkeypatch.setattr(coding_log, "_arrow_table", lambda raw, end: None)
        slow = (read_log(log, **options), log_problems(log))
    return took, fast, slow


def _same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast, slow)
    pd.testing.assert_frame_equal(fast.map(type), slow.map(type))  # NaN is NaN, not None


def test_pyarrow_and_careful_paths_read_the_same_table(log, transcript, span, monkeypatch):
    _mixed_log(log, transcript, span)
    monkeypatch.setattr(coding_log, "_BLOCK", 1024)  # many chunks, as in a large log
    took, (fast, fast_problems), (slow, slow_problems) = _read_both(log, monkeypatch)
    assert took  # pyarrow read this log
    _same(fast, slow)
    assert fast_problems.empty and slow_problems.empty
    assert list(fast["event"]) == ["add", "add", "add", "memo", "remove", "memo", "add"]
    assert fast.loc[0, "quote"] == QUOTE and fast.loc[0, "memo"] == "first “pass”"
    assert fast.loc[5, "memo"] == "“q” 😀 a\nb" and fast.loc[5, "coding_id"] == "c1"
    assert pd.isna(fast.loc[5, "quote"]) and pd.isna(fast.loc[6, "prefix"])
    assert [str(fast[c].dtype) for c in ("line", "event", "start")] == ["int64", "object", "Int64"]


@pytest.mark.parametrize(
    ("case", "lines", "problem_lines"),
    [
        ("blank line (pyarrow skips it)", ["{good}", "", "{good}"], []),
        ("spaces-only line", ["{good}", "  ", "{good}"], []),
        ("two events on a line", ["{good}{good}", "{good}"], [1]),
        (
            "two events on a line, a blank line to even the count",
            ["{good}{good}", "", "{good}"],
            [1],
        ),
        ("byte-order mark", ["\ufeff{good}", "{good}"], [1]),
        ("not UTF-8", ["{good}", "{bad utf8}"], [2]),
        ("a repeated key", ["{good}", '{"event":"add","event":"memo"}'], [2]),
        ("a number for a text", ["{good}", '{good,"code_id":5}'], []),
        ("a float offset", ["{good}", '{good,"start":11.0}'], []),
        ("malformed middle line", ["{good}", '{"event": "add", "coding_id": ', "{good}"], [2]),
    ],
)
def test_lines_pyarrow_would_misread_go_to_the_careful_path(
    log, transcript, span, monkeypatch, case, lines, problem_lines
):
    good = json.dumps(make_add_event(transcript, *span("trust"), "TRUST", coder="R1"))[1:-1]
    body = "\n".join(lines).replace("{good}", "{" + good + "}").replace("{good,", "{" + good + ",")
    log.parent.mkdir(parents=True)
    log.write_bytes((body + "\n").encode().replace(b"{bad utf8}", b'{"event":"\xff"}'))
    took, (fast, fast_problems), (slow, slow_problems) = _read_both(log, monkeypatch, strict=False)
    assert not took  # pyarrow leaves these logs to the careful path
    _same(fast, slow)
    _same(fast_problems, slow_problems)
    assert list(fast_problems["line"]) == problem_lines


def test_malformed_line_in_a_long_log_is_named(log, transcript, span):
    good = json.dumps(make_add_event(transcript, *span("trust"), "TRUST", coder="R1"))
    lines = [good] * 3000
    lines[1233] = good[:-20]
    log.parent.mkdir(parents=True)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as err:
        read_log(log)
    assert (err.value.path, err.value.line) == (str(log), 1234)
    with pytest.warns(UserWarning, match="first at line 1234"):
        events = read_log(log, strict=False)
    assert len(events) == 2999 and 1234 not in set(events["line"])


def test_offset_beyond_int64_names_its_line(tmp_path):
    log = tmp_path / "kim.jsonl"
    good = (
        '{"event": "memo", "event_id": "e1", "coder": "kim", "timestamp": '
        '"2026-01-01T00:00:00Z", "coding_id": "c1", "memo": "ok"}\n'
    )
    bad = (
        '{"event": "add", "event_id": "e2", "coder": "kim", "timestamp": '
        '"2026-01-01T00:00:00Z", "coding_id": "c2", "transcript_id": "I01",'
        ' "start": 99999999999999999999, '
        '"end": 99999999999999999999, "quote": "x", "code_id": "A", "sha256": "0",'
        ' "origin": "manual"}\n'
    )
    log.write_text(good + bad + good.replace("e1", "e3"), encoding="utf-8")
    with pytest.raises(InputError, match=r"kim\.jsonl:2: .*start/end are not integers"):
        read_log(log)


# --------------------------------------------------------------- only_new (idempotent appends)


def test_only_new_appends_each_coding_once_and_a_rerun_nothing(log, transcript, span):
    events = [
        make_add_event(transcript, *span("trust"), "TRUST", coder="R1"),
        make_add_event(transcript, *span("audits"), "AUDIT", coder="R1"),
    ]
    first = append_events(log, [*events, events[0]], only_new=True)
    assert [e["code_id"] for e in first] == ["TRUST", "AUDIT"]
    size = log.stat().st_size
    assert append_events(log, events, only_new=True) == []
    assert log.stat().st_size == size  # the log did not grow
    assert len(read_log(log)) == 2


def test_only_new_keeps_a_removal_and_passes_other_events(log, transcript, span):
    added = make_add_event(transcript, *span("trust"), "TRUST", coder="R1")
    append_events(log, [added])
    append_events(log, [{"event": "remove", "coding_id": added["coding_id"]}])
    note = {"event": "memo", "coding_id": added["coding_id"], "memo": "why"}
    written = append_events(log, [added, note], only_new=True)
    assert [e["event"] for e in written] == ["memo"]  # the removed coding is not re-added
    assert list(read_log(log)["event"]) == ["add", "remove", "memo"]


def test_only_new_reads_a_log_with_a_complete_last_line_without_newline(log, transcript, span):
    added = make_add_event(transcript, *span("trust"), "TRUST", coder="R1")
    append_events(log, [added])
    log.write_bytes(log.read_bytes().rstrip(b"\n"))
    assert append_events(log, [added], only_new=True) == []
    fresh = make_add_event(transcript, *span("audits"), "AUDIT", coder="R1")
    assert len(append_events(log, [fresh], only_new=True)) == 1
    assert list(read_log(log)["code_id"]) == ["TRUST", "AUDIT"]
