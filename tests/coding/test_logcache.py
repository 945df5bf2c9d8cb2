"""Tests of dsr_workbench.coding.logcache: the columnar cache of each coding log.

The cache must never change what a read returns: every test compares the read through the
cache with a read that parses the whole log (``logread.USE_CACHE = False``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as pa_ipc
import pytest

from dsr_workbench.coding import logcache, logread
from dsr_workbench.coding.codings import load_codings
from dsr_workbench.coding.events import make_add_event
from dsr_workbench.coding.log import TornLineWarning, append_events, log_problems, read_log
from dsr_workbench.core.errors import InputError

TEXT = "Kim: Why Gamma?\n\nHannah: We trust them. Their audits are open. Zoë: “fully” 😀"
TRANSCRIPT = {"transcript_id": "I01", "text": TEXT, "sha256": "h1"}
CODES = ["TRUST", "AUDIT", "REL", "OPEN"]


def _events(n: int, seed: int, ids: list[str] | None = None) -> list[dict]:
    """``n`` random events: adds (some twice), removes and memos of earlier codings, memos
    after a removal, removes of unknown ids."""
    rng = np.random.default_rng(seed)
    ids = [] if ids is None else ids
    out: list[dict] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.6 or not ids:
            start = int(rng.integers(0, len(TEXT) - 2))
            end = int(rng.integers(start + 1, min(len(TEXT), start + 12) + 1))
            memo = "first “pass”" if rng.random() < 0.2 else None
            event = make_add_event(
                TRANSCRIPT, start, end, str(rng.choice(CODES)), coder="R1", memo=memo
            )
            ids.append(event["coding_id"])
            out.append(event)
        elif roll < 0.75:
            out.append({"event": "remove", "coding_id": str(rng.choice(ids))})
        elif roll < 0.95:
            note = f"note {rng.integers(1000)}\nline two"
            out.append({"event": "memo", "coding_id": str(rng.choice(ids)), "memo": note})
        else:
            out.append({"event": "remove", "coding_id": f"unknown{rng.integers(1000)}"})
    return out


def _parsed(raw: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Record the length of every byte string :func:`logread._parse` parses into ``raw``."""
    parse = logread._parse

    def counting(data: bytes, before: int, **options):
        raw.append(len(data))
        return parse(data, before, **options)

    monkeypatch.setattr(logread, "_parse", counting)


def _uncached(monkeypatch: pytest.MonkeyPatch, fn, *args, **options):
    with monkeypatch.context() as m:
        m.setattr(logread, "USE_CACHE", False)
        return fn(*args, **options)


def _same(log: Path, monkeypatch: pytest.MonkeyPatch, **options) -> pd.DataFrame:
    """Read ``log`` through the cache and without; assert both equal (types too)."""
    cached = read_log(log, **options)
    whole = _uncached(monkeypatch, read_log, log, **options)
    pd.testing.assert_frame_equal(cached, whole)
    pd.testing.assert_frame_equal(cached.map(type), whole.map(type))
    folded = load_codings(log, **options)
    pd.testing.assert_frame_equal(folded, _uncached(monkeypatch, load_codings, log, **options))
    return cached


def _segments(log: Path) -> list[Path]:
    return logcache.cache_files(log)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "codings" / "R1.jsonl"
    append_events(path, _events(300, seed=1))
    return path


# --------------------------------------------------------------- the cache is used


def test_a_read_writes_the_cache_and_the_next_reads_it_without_parsing(log, monkeypatch):
    first = _same(log, monkeypatch)
    assert len(first) == 300
    (segment,) = _segments(log)
    assert segment.parent.name == ".cache" and segment.parent.parent == log.parent
    assert (segment.parent / ".gitignore").read_text().splitlines()[-1] == "*"
    meta = pa_ipc.open_file(pa.OSFile(str(segment))).schema.metadata
    assert int(meta[b"start"]) == 0 and int(meta[b"end"]) == log.stat().st_size
    assert meta[b"algorithm"].decode() == logcache.ALGORITHM and len(meta[b"digest"]) == 32
    parsed: list[int] = []
    _parsed(parsed, monkeypatch)
    again = read_log(log)
    pd.testing.assert_frame_equal(again, first)
    assert parsed == [0]  # nothing left to parse


def test_an_append_is_read_by_parsing_only_the_new_bytes(log, monkeypatch):
    before = _same(log, monkeypatch)
    size = log.stat().st_size
    ids = list(before.loc[before["event"] == "add", "coding_id"])
    append_events(log, _events(40, seed=2, ids=ids))
    parsed: list[int] = []
    _parsed(parsed, monkeypatch)
    after = read_log(log)
    assert parsed == [log.stat().st_size - size]  # only the appended bytes
    assert len(after) == 340
    pd.testing.assert_frame_equal(after.iloc[:300], before)
    assert len(_segments(log)) == 2
    parsed.clear()
    _same(log, monkeypatch)
    assert parsed[0] == 0  # the extended cache covers the log


@pytest.mark.parametrize("appended", [0, 40])
def test_a_large_parse_reads_its_events_back_from_the_segment_it_wrote(log, monkeypatch, appended):
    """From ``_REMAP`` bytes parsed on, the events come from the segment just written."""
    monkeypatch.setattr(logread, "_REMAP", 1)  # every parse counts as large
    opened: list[Path] = []
    segment = logcache._open_segment

    def recording(path, *args):
        opened.append(path)
        return segment(path, *args)

    monkeypatch.setattr(logcache, "_open_segment", recording)
    if appended:
        read_log(log)
        append_events(log, _events(appended, seed=4))
        opened.clear()
    _same(log, monkeypatch)  # through the cache (written, then read back) and without
    assert opened and opened[-1 if not appended else 1] in _segments(log)


def test_verified_false_is_parsed_by_pyarrow_cached_and_folded(tmp_path, monkeypatch):
    """Adds with ``"verified": false`` (a REFI-QDA import) keep the log on pyarrow's path and
    in the cache; the folded codings say ``verified`` False for them, True for the others."""
    log = tmp_path / "codings" / "R1.jsonl"
    events = _events(200, seed=5)
    flagged = {e["coding_id"] for e in events[::7] if e["event"] == "add"}
    for event in events:
        if event["coding_id"] in flagged and event["event"] == "add":
            event["verified"] = False
    append_events(log, events)
    raw = log.read_bytes()
    assert raw.count(b'"verified":false') >= len(flagged) > 0
    assert logread._arrow_table(raw, len(raw)) is not None  # not the careful path
    events_read = _same(log, monkeypatch)
    assert {v for v in events_read["verified"] if v is not np.nan} == {False}
    parsed: list[int] = []
    _parsed(parsed, monkeypatch)
    codings = load_codings(log)
    assert parsed == [0]  # from the cache
    assert codings["verified"].dtype == bool
    assert set(codings.loc[~codings["verified"], "coding_id"]) <= flagged
    assert codings.loc[codings["coding_id"].isin(flagged), "verified"].eq(False).all()
    assert codings.loc[~codings["coding_id"].isin(flagged), "verified"].all()


def test_many_appends_compact_the_chain(log, monkeypatch):
    ids: list[str] = []
    for k in range(logcache.MAX_SEGMENTS + 3):
        append_events(log, _events(5, seed=10 + k, ids=ids))
        read_log(log)
        assert len(_segments(log)) <= logcache.MAX_SEGMENTS
    _same(log, monkeypatch)


def test_a_same_length_edit_in_the_middle_is_seen(log, monkeypatch):
    _same(log, monkeypatch)
    raw = log.read_bytes()
    at = raw.index(b'"code_id":"AUDIT"', len(raw) // 2)
    edited = raw[:at] + b'"code_id":"EDITS"' + raw[at + len(b'"code_id":"AUDIT"') :]
    assert len(edited) == len(raw) and log.stat().st_size == len(raw)
    log.write_bytes(edited)
    parsed: list[int] = []
    _parsed(parsed, monkeypatch)
    events = _same(log, monkeypatch)
    assert parsed[0] == len(raw)  # the whole log was parsed again
    assert list(events["code_id"]).count("EDITS") == 1
    assert len(_segments(log)) == 1


def test_a_truncated_log_is_parsed_again(log, monkeypatch):
    _same(log, monkeypatch)
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-5]))  # whole lines cut
    assert len(_same(log, monkeypatch)) == 295
    log.write_bytes(b"".join(lines[:-10]) + lines[-10][:30])  # cut inside a line
    with pytest.warns(TornLineWarning):
        events = read_log(log)
    assert len(events) == 290
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornLineWarning)
        _same(log, monkeypatch)


def test_a_torn_last_line_is_never_cached(log, monkeypatch):
    size = log.stat().st_size
    with open(log, "ab") as handle:
        handle.write(b'{"event":"memo","coding_id":"hal')
    with pytest.warns(TornLineWarning, match=r"R1\.jsonl:301: torn last line"):
        assert len(read_log(log)) == 300
    (segment,) = _segments(log)
    meta = pa_ipc.open_file(pa.OSFile(str(segment))).schema.metadata
    assert int(meta[b"end"]) == size
    with pytest.warns(TornLineWarning, match="moved to"):
        append_events(log, [{"event": "memo", "coding_id": "after", "memo": "next"}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events = _same(log, monkeypatch)
    assert list(events["coding_id"].iloc[-1:]) == ["after"] and len(events) == 301


def test_a_complete_last_line_without_newline_is_read_but_not_cached(log, monkeypatch):
    size = log.stat().st_size
    event = make_add_event(TRANSCRIPT, 0, 3, "TRUST", coder="R1")
    with open(log, "ab") as handle:
        handle.write(json.dumps(event).encode())
    assert len(_same(log, monkeypatch)) == 301
    meta = pa_ipc.open_file(pa.OSFile(str(_segments(log)[0]))).schema.metadata
    assert int(meta[b"end"]) == size
    append_events(log, [{"event": "memo", "coding_id": event["coding_id"], "memo": "ok"}])
    events = _same(log, monkeypatch)
    assert len(events) == 302 and list(events["line"].iloc[-2:]) == [301, 302]


def test_malformed_lines_read_from_the_cache_raise_and_warn_as_parsed(log, monkeypatch):
    lines = log.read_bytes().splitlines(keepends=True)
    lines[100] = b'{"event": "add", "coding_id": \n'
    lines[200] = b'{"event":"rename","coding_id":"x","coder":"R1","timestamp":"t"}\n'
    log.write_bytes(b"".join(lines))
    for _ in range(2):  # parsed (and cached), then from the cache
        with pytest.raises(InputError, match="not valid JSON") as err:
            read_log(log)
        assert err.value.line == 101 and "(and 1 more)" in str(err.value)
        with pytest.warns(UserWarning, match="skipped 2 malformed line"):
            events = _same(log, monkeypatch, strict=False)
        assert len(events) == 298 and 101 not in set(events["line"])
        assert list(log_problems(log)["line"]) == [101, 201]
    assert _segments(log)


# --------------------------------------------------------------- a bad cache is only slower


def _meta(segment: Path) -> dict[bytes, bytes]:
    return dict(pa_ipc.open_file(pa.OSFile(str(segment))).schema.metadata)


def _rewrite(segment: Path, table: pa.Table) -> None:
    with pa_ipc.new_file(str(segment), table.schema) as writer:
        writer.write_table(table)


def _garbage(segment: Path) -> None:
    segment.write_bytes(b"ARROW1\x00\x00 not really" * 50)


def _empty(segment: Path) -> None:
    segment.write_bytes(b"")


def _half(segment: Path) -> None:
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])


def _wrong_schema(segment: Path) -> None:
    meta = _meta(segment)
    _rewrite(
        segment, pa.table({"line": [1, 2], "event": ["add", "memo"]}).replace_schema_metadata(meta)
    )


def _future_version(segment: Path) -> None:
    table = pa_ipc.open_file(pa.OSFile(str(segment))).read_all()
    _rewrite(segment, table.replace_schema_metadata({**_meta(segment), b"version": b"99"}))


def _other_fields(segment: Path) -> None:
    table = pa_ipc.open_file(pa.OSFile(str(segment))).read_all()
    fields = json.dumps([*json.loads(_meta(segment)[b"fields"]), "verified"]).encode()
    _rewrite(segment, table.replace_schema_metadata({**_meta(segment), b"fields": fields}))


def _wrong_digest(segment: Path) -> None:
    table = pa_ipc.open_file(pa.OSFile(str(segment))).read_all()
    _rewrite(segment, table.replace_schema_metadata({**_meta(segment), b"digest": b"0" * 32}))


def _rows_dropped(segment: Path) -> None:  # valid-looking, but its lines do not add up
    table = pa_ipc.open_file(pa.OSFile(str(segment))).read_all()
    _rewrite(segment, table.slice(1).replace_schema_metadata(_meta(segment)))


def _bad_metadata(segment: Path) -> None:
    table = pa_ipc.open_file(pa.OSFile(str(segment))).read_all()
    _rewrite(segment, table.replace_schema_metadata({**_meta(segment), b"problems": b"{oops"}))


def _deleted(segment: Path) -> None:
    segment.unlink()


def _a_folder(segment: Path) -> None:
    segment.unlink()
    segment.mkdir()


@pytest.mark.parametrize(
    "damage",
    [
        _garbage,
        _empty,
        _half,
        _wrong_schema,
        _future_version,
        _other_fields,
        _wrong_digest,
        _bad_metadata,
        _deleted,
        _a_folder,
    ],
)
def test_a_damaged_or_missing_cache_is_ignored_and_rewritten(log, monkeypatch, damage):
    expected = _same(log, monkeypatch)
    (segment,) = _segments(log)
    damage(segment)
    parsed: list[int] = []
    _parsed(parsed, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either: a cache problem is not the user's
        pd.testing.assert_frame_equal(read_log(log), expected)
    assert parsed == [log.stat().st_size]
    if damage is not _a_folder:
        parsed.clear()
        pd.testing.assert_frame_equal(read_log(log), expected)
        assert parsed == [0]  # rewritten whole


def test_events_read_survive_their_cache_file_overwritten_in_place(log, monkeypatch):
    events = _same(log, monkeypatch)
    expected = events.copy(deep=True)
    (segment,) = _segments(log)
    with open(segment, "r+b") as handle:  # as cp or a hand edit would, not by renaming
        handle.truncate(0)
        handle.write(b"x" * 100)
    pd.testing.assert_frame_equal(events, expected)  # not memory-mapped: still readable
    pd.testing.assert_frame_equal(read_log(log), expected)


def test_a_segment_whose_rows_do_not_match_its_lines_is_ignored(log, monkeypatch):
    expected = _same(log, monkeypatch)
    (segment,) = _segments(log)
    table = pa_ipc.open_file(pa.OSFile(str(segment))).read_all()
    shifted = table.set_column(0, "line", pa.array(np.arange(2, 302), pa.int64()))
    _rewrite(segment, shifted.replace_schema_metadata(_meta(segment)))
    pd.testing.assert_frame_equal(read_log(log), expected)


def test_a_read_only_folder_is_read_without_writing_a_cache(log, monkeypatch, snapshot):
    folder = log.parent
    before = snapshot(folder)
    folder.chmod(0o555)
    try:
        if os.geteuid() == 0:  # root writes anyway: make the check see what a user would
            monkeypatch.setattr(logcache.os, "access", lambda path, mode: False)
        events = _uncached(monkeypatch, read_log, log)
        pd.testing.assert_frame_equal(read_log(log), events)
        pd.testing.assert_frame_equal(read_log(log), events)
        assert snapshot(folder) == before
    finally:
        folder.chmod(0o755)


def test_a_failing_cache_write_is_only_slower(log, monkeypatch):
    def refuse(*args, **options):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(logcache.tempfile, "mkstemp", refuse)
    events = _uncached(monkeypatch, read_log, log)
    pd.testing.assert_frame_equal(read_log(log), events)
    assert not _segments(log)


def test_the_cache_deleted_between_loads(log, monkeypatch):
    events = _same(log, monkeypatch)
    for segment in _segments(log):
        segment.unlink()
    (log.parent / logcache.CACHE_DIR / ".gitignore").unlink()
    (log.parent / logcache.CACHE_DIR).rmdir()
    pd.testing.assert_frame_equal(read_log(log), events)
    assert len(_segments(log)) == 1


def test_a_replaced_log_of_the_same_length_is_parsed_again(log, monkeypatch):
    _same(log, monkeypatch)
    raw = log.read_bytes()
    lines = raw.splitlines(keepends=True)
    lines[0], lines[1] = lines[1], lines[0]  # same bytes, other order
    log.write_bytes(b"".join(lines))
    events = _same(log, monkeypatch)
    assert list(events["event_id"].iloc[:2]) == [
        json.loads(lines[0])["event_id"],
        json.loads(lines[1])["event_id"],
    ]


# --------------------------------------------------------------- processes at once

READER = textwrap.dedent("""\
    import sys, warnings
    from dsr_workbench.coding.log import TornLineWarning, read_log
    warnings.simplefilter("ignore", TornLineWarning)
    log, rounds = sys.argv[1], int(sys.argv[2])
    lows = []
    for _ in range(rounds):
        with open(log, "rb") as handle:
            held = handle.read().count(b"\\n")  # complete events in the log now
        events = read_log(log)
        memos = [m for m in events["memo"] if isinstance(m, str) and m.startswith("w ")]
        seq = [int(m.split()[1]) for m in memos]
        assert len(events) >= held, (len(events), held)
        assert seq == list(range(len(seq))), "an event was lost, doubled or torn"
        assert all(len(m) == len(f"w {i} ") + 500 for i, m in zip(seq, memos)), "torn memo"
        lows.append(len(events))
    print(max(lows))
    """)

APPENDER = textwrap.dedent("""\
    import sys
    from dsr_workbench.coding.log import append_events
    log, count = sys.argv[1], int(sys.argv[2])
    for i in range(count):
        append_events(log, [{"event": "memo", "coding_id": f"w-{i}", "memo": f"w {i} " + "x" * 500}])
    """)


def _python(code: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_readers_while_a_process_appends_see_every_event_held_and_none_torn(tmp_path, processes):
    log = tmp_path / "codings" / "R1.jsonl"
    append_events(log, [{"event": "memo", "coding_id": "w-start", "memo": "start"}])
    appender = _python(APPENDER, log, 1500)
    processes.append(appender)
    deadline = time.monotonic() + 30
    while log.stat().st_size < 20_000 and time.monotonic() < deadline:
        time.sleep(0.01)
    readers = [_python(READER, log, 25) for _ in range(2)]  # they also write the cache at once
    processes.extend(readers)
    for proc in readers:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0
        assert int(out) > 1
    assert appender.wait(timeout=300) == 0
    events = read_log(log)
    assert len(events) == 1501
    with_cache = events
    for segment in logcache.cache_files(log):
        segment.unlink()
    pd.testing.assert_frame_equal(read_log(log), with_cache)
