"""Shared fixtures: paths of the example study, a small throw-away study, and the small tables
and folders that several test modules build the same way."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from dsr_workbench.coding.codebook import Codebook, parse_codebook
from dsr_workbench.coding.events import log_path
from dsr_workbench.dsr.episodes import write_episode

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = ROOT / "study.yaml"

MINI_YAML = """\
study:
  id: mini
  title: A tiny study
  key_file: key.yaml
organisations:
  - {id: ACME, pseudonym: Acme Pharma, perspective: client}
  - {id: CMOX, pseudonym: CMO X, perspective: cmo}
participants:
  - {id: P1, pseudonym: Ana, organisation: ACME, role: Head of QA}
  - {id: P2, pseudonym: Ben, organisation: CMOX, role: Site head, aliases: [B.]}
researchers:
  - {id: R1, pseudonym: Kim, role: Interviewer, aliases: [Interviewer, Moderator]}
cycles:
  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}
transcripts:
  - {id: T1, file: interviews/t1.txt, kind: interview, date: 2026-01-10, cycle: 1}
  - {id: T2, file: interviews/t2.vtt, kind: focus_group, date: 2026-02-10, cycle: 1}
"""

T1 = "Interviewer: How do you choose a CMO?\nAna: By track record.\nAna: And audits.\n"
T2 = textwrap.dedent("""\
    WEBVTT

    00:00:01.000 --> 00:00:03.000
    <v Moderator>Welcome.

    00:00:03.500 --> 00:00:06.000
    <v Ben>Thanks. Capacity is tight.

    00:00:06.500 --> 00:00:09.000
    <v Ana>For us too.
    """)


@pytest.fixture
def mini_study(tmp_path: Path) -> Path:
    """A valid two-transcript study in a temporary folder; returns its study.yaml."""
    (tmp_path / "interviews").mkdir()
    (tmp_path / "interviews" / "t1.txt").write_text(T1, encoding="utf-8")
    (tmp_path / "interviews" / "t2.vtt").write_text(T2, encoding="utf-8")
    study = tmp_path / "study.yaml"
    study.write_text(MINI_YAML, encoding="utf-8")
    return study


@pytest.fixture
def transcripts_dir(tmp_path: Path) -> Path:
    """A writable copy of the hand-written transcript fixtures."""
    target = tmp_path / "transcripts"
    shutil.copytree(DATA / "transcripts", target)
    return target


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes]]:
    """``snapshot(folder)``: every file under ``folder`` with its bytes (compare two to prove
    nothing was written or changed)."""
    return _snapshot


@pytest.fixture
def run_group() -> Callable[..., int]:
    """``run_group(group, study, *argv)``: run ``dsr --study STUDY ARGV...`` in-process with
    only the command-group module ``group`` (e.g. ``dsr_workbench.cli.coding_cmds``)
    registered; returns the handler's exit code and lets its errors propagate."""

    def run(group: ModuleType, study: Path | str, *argv: str) -> int:
        parser = argparse.ArgumentParser(prog="dsr")
        parser.add_argument("--study", default=str(study))
        group.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(list(argv))
        return args.handler(args)

    return run


@pytest.fixture
def study_with_codebook(mini_study: Path) -> Callable[[str], Path]:
    """``study_with_codebook(text)``: the mini study with ``data/codebook.yaml`` holding
    ``text``; returns its study.yaml."""

    def make(codebook: str) -> Path:
        data = mini_study.parent / "data"
        data.mkdir()
        (data / "codebook.yaml").write_text(codebook, encoding="utf-8")
        return mini_study

    return make


# --------------------------------------------------------------------------- coding

CODED_TEXT = "Kim: Why Gamma?\n\nHannah: We trust them. Their audits are open."


@pytest.fixture
def transcript() -> dict[str, str]:
    """Transcript I01 (two turns) as a row of the ``transcripts`` table."""
    return {"transcript_id": "I01", "text": CODED_TEXT, "sha256": "h1"}


@pytest.fixture
def transcripts() -> pd.DataFrame:
    """The ``transcripts`` table holding only :func:`transcript`."""
    return pd.DataFrame({"transcript_id": ["I01"], "text": [CODED_TEXT], "sha256": ["h1"]})


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """Coder R1's (not yet written) log in a temporary data folder."""
    return log_path(tmp_path / "data", "R1")


@pytest.fixture
def span() -> Callable[[str], tuple[int, int]]:
    """``span(word)``: the offsets ``(start, end)`` of ``word`` in :func:`transcript`'s text."""

    def offsets(word: str) -> tuple[int, int]:
        start = CODED_TEXT.index(word)
        return start, start + len(word)

    return offsets


@pytest.fixture
def book() -> Codebook:
    """A three-level codebook: dimensions D1, D2; themes T1, T2 under D1; concepts C1 (with
    an anchor example, and sub-code C1a) and C2 under T1."""
    return parse_codebook("""\
codes:
  - {id: D1, name: Relational governance}
  - {id: T1, name: Trust building, parent: D1}
  - {id: C1, name: Open books, parent: T1, anchor_examples: [They show us their costs.]}
  - {id: C1a, name: Cost breakdowns, parent: C1}
  - {id: C2, name: Kept promises, parent: T1}
  - {id: T2, name: Routines, parent: D1}
  - {id: D2, name: Differentiation}
""")


@pytest.fixture
def turns() -> pd.DataFrame:
    """Five turns of two transcripts: I01 (interview, cycle 1: researcher, then two client
    turns) and I02 (focus group, cycle 2: researcher, then a CMO turn)."""
    return pd.DataFrame(
        {
            "transcript_id": ["I01", "I01", "I01", "I02", "I02"],
            "turn": [1, 2, 3, 1, 2],
            "speaker": ["Kim", "Ana", "Ana", "Kim", "Ben"],
            "participant_id": ["R1", "P01", "P01", "R1", "P07"],
            "organisation": [pd.NA, "ALPHA", "ALPHA", pd.NA, "GAMMA"],
            "perspective": ["researcher", "client", "client", "researcher", "cmo"],
            "start": [5, 30, 80, 5, 40],
            "end": [25, 70, 120, 30, 90],
            "kind": ["interview"] * 3 + ["focus_group"] * 2,
            "cycle": [1, 1, 1, 2, 2],
        }
    )


def _codings_of(rows: list[tuple]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["transcript_id", "start", "end", "code_id", "coder"])
    table["coding_id"] = [f"c{i}" for i in range(len(table))]
    table["quote"] = [f"q{i}" for i in range(len(table))]
    table[["prefix", "suffix", "memo"]] = None
    return table


@pytest.fixture
def codings_of() -> Callable[[list[tuple]], pd.DataFrame]:
    """``codings_of(rows)``: a codings table from ``(transcript_id, start, end, code_id,
    coder)`` tuples, with coding ids ``c0, c1, ...``, quotes ``q0, q1, ...`` and no context
    or memo."""
    return _codings_of


# --------------------------------------------------------------------------- evaluation


@pytest.fixture
def episode() -> dict[str, Any]:
    """The fields of a formative focus-group episode of cycle 1 (for ``write_episode``)."""
    return dict(
        cycle=1,
        artifact="framework",
        version="v1",
        purpose="formative",
        paradigm="artificial",
        method="focus group",
        date="2026-03-12",
        transcript="FG1",
    )


@pytest.fixture
def folder(tmp_path: Path, episode: dict[str, Any]) -> Path:
    """An evaluations folder with one episode E1 rated by P1 (client) and P2 (CMO)."""
    target = tmp_path / "evaluations"
    write_episode(target, "E1", participants={"P1": "client", "P2": "cmo"}, **episode)
    return target


# fixture notebooks are run by the build tests, not collected by nbval
collect_ignore_glob = ["data/*"]
