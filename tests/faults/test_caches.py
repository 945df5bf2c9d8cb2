"""Fault cases of the two read caches: damaged or stale caches only make a read slower.

The corpus cache (``.dsr-cache/corpus/``) and the coding-log cache (``data/codings/.cache/``)
are never the source of truth. Each case damages one the way a crash, a full disk or a hand
edit would, then checks that the next read returns exactly what a read without any cache
returns, raises nothing, and leaves the transcripts and logs (the truth) byte-identical.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.coding import logread
from dsr_workbench.coding.codings import load_codings
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from tests.faults import guard

AREA = "caches"
ROOT = Path(__file__).resolve().parents[2]


def _copy_example(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "study.yaml", target / "study.yaml")
    for folder in ("interviews", "data"):
        shutil.copytree(ROOT / folder, target / folder, ignore=shutil.ignore_patterns(".cache"))
    return target / "study.yaml"


def _uncached_codings(folder: Path, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(logread, "USE_CACHE", False)
        return load_codings(folder)


@pytest.mark.fault(
    case="corpus cache pack cut short, then overwritten with random bytes (a crash, a bad "
    "disk): the next load_corpus equals a load without the cache",
    area=AREA,
    outcome="survived",
)
def test_damaged_corpus_cache_reads_as_no_cache(tmp_path: Path) -> None:
    study = load_study(_copy_example(tmp_path / "s"))
    truth = guard.snapshot(tmp_path / "s" / "interviews")
    want_t, want_turns = load_corpus(study, cache=False)
    load_corpus(study)  # writes the cache
    packs = [p for p in (tmp_path / "s" / ".dsr-cache" / "corpus").rglob("*") if p.is_file()]
    packs = [p for p in packs if p.name != ".gitignore"]
    assert packs, "the corpus cache was not written"
    for damage in (lambda b: b[: len(b) // 2], lambda b: bytes(reversed(b))):
        for pack in packs:
            if pack.exists():
                pack.write_bytes(damage(pack.read_bytes()))
        got_t, got_turns = load_corpus(study)
        pd.testing.assert_frame_equal(got_t, want_t)
        pd.testing.assert_frame_equal(got_turns, want_turns)
    guard.assert_unchanged(truth, guard.snapshot(tmp_path / "s" / "interviews"))


@pytest.mark.fault(
    case="coding-log cache segment with flipped bytes, then a log edited by hand under a warm "
    "cache (same length, one coding id changed): the next load equals a parse of the logs",
    area=AREA,
    outcome="survived",
)
def test_damaged_or_stale_log_cache_reads_as_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_example(tmp_path / "s")
    folder = tmp_path / "s" / "data" / "codings"
    load_codings(folder)  # warm
    segments = [p for p in (folder / ".cache").rglob("*") if p.is_file() and p.stat().st_size]
    assert segments, "the coding-log cache was not written"
    for seg in segments:
        data = bytearray(seg.read_bytes())
        for at in range(64, len(data), 97):
            data[at] ^= 0xFF
        seg.write_bytes(bytes(data))
    pd.testing.assert_frame_equal(load_codings(folder), _uncached_codings(folder, monkeypatch))

    load_codings(folder)  # warm again, then a same-length hand edit of the first event
    log = folder / "kim.jsonl"
    raw = log.read_bytes()
    line = raw[: raw.index(b"\n")]
    old = line[line.index(b'"coding_id":"') :][:29]  # the key and its 16 hex digits
    new = old[:-1] + (b"0" if old[-1:] != b"0" else b"1")  # another coding id, same length
    log.write_bytes(raw.replace(old, new, 1))
    truth = guard.snapshot(folder / "kim.jsonl", folder / "noah.jsonl")
    got = load_codings(folder)
    pd.testing.assert_frame_equal(got, _uncached_codings(folder, monkeypatch))
    assert new[13:29].decode() in set(got["coding_id"])  # the edit is read, not the cached id
    guard.assert_unchanged(truth, guard.snapshot(folder / "kim.jsonl", folder / "noah.jsonl"))
