"""Shared fixtures: paths of the example study and a small throw-away study."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

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


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to prove nothing was written or changed)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# fixture notebooks are run by the build tests, not collected by nbval
collect_ignore_glob = ["data/*"]
