"""Tests of dsr_workbench.cli.coding_cmds on the throw-away mini study."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from dsr_workbench.cli import coding_cmds
from dsr_workbench.coding.codings import read_log
from dsr_workbench.core.errors import DsrError

CODEBOOK = """\
codes:
  - {id: SEL, name: Partner selection}
  - {id: AUDIT, name: Audits, parent: SEL, rules: {keywords: [audits, track record]}}
  - {id: CAP, name: Capacity, rules: {keywords: [capacity], perspectives: [cmo]}}
"""


@pytest.fixture
def run(run_group: Callable[..., int]) -> Callable[..., int]:
    """``run(study, *argv)`` with only the coding commands registered."""
    return functools.partial(run_group, coding_cmds)


@pytest.fixture
def study(study_with_codebook: Callable[[str], Path]) -> Path:
    return study_with_codebook(CODEBOOK)


def test_auto_dry_run_writes_nothing(study, capsys, run):
    assert run(study, "code", "auto", "--dry-run") == 0
    out = capsys.readouterr()
    assert "AUDIT" in out.out and "CAP" in out.out
    assert "3 matches (dry run" in out.err
    assert not (study.parent / "data" / "codings").exists()


def test_auto_appends_once_then_quotes_stats_and_check(study, capsys, run):
    assert run(study, "code", "auto", "--coder", "R2") == 0
    log = study.parent / "data" / "codings" / "R2.jsonl"
    assert list(read_log(log)["origin"]) == ["rule:AUDIT", "rule:AUDIT", "rule:CAP"]
    assert run(study, "code", "auto", "--coder", "R2") == 0
    assert "0 new codings" in capsys.readouterr().err
    assert run(study, "quotes", "SEL") == 0
    out = capsys.readouterr().out
    assert "“track record”" in out and "“audits”" in out and "Ana (client, R2)" in out
    assert run(study, "codes", "stats", "--by", "perspective", "--rollup") == 0
    out = capsys.readouterr().out
    assert "Partner selection" in out and "cmo" in out
    assert run(study, "codings", "check") == 0


def test_check_exits_1_when_a_quote_is_lost(study, capsys, run):
    run(study, "code", "auto", "--coder", "R2")
    t1 = study.parent / "interviews" / "t1.txt"
    t1.write_text(t1.read_text().replace("And audits.", "And site visits."))
    assert run(study, "codings", "check") == 1
    captured = capsys.readouterr()
    assert "lost" in captured.out and "1 lost" in captured.err


def test_auto_without_coder_is_an_error(study, monkeypatch, run):
    monkeypatch.delenv("DSR_CODER", raising=False)
    with pytest.raises(DsrError, match="no coder given"):
        run(study, "code", "auto")


def test_commands_work_before_anything_is_coded(study, capsys, run):
    assert run(study, "codings", "check") == 0
    assert run(study, "codes", "stats") == 0
    assert run(study, "quotes", "SEL") == 0
    assert "(no quotes)" in capsys.readouterr().out


def test_queries_say_how_many_codings_they_left_out(study, capsys, run):
    run(study, "code", "auto", "--coder", "R2")
    capsys.readouterr()
    t1 = study.parent / "interviews" / "t1.txt"
    t1.write_text("Interviewer: Hello.\n" + t1.read_text().replace("And audits.", "And visits."))
    assert run(study, "quotes", "SEL") == 0
    captured = capsys.readouterr()
    assert "“track record”" in captured.out and "“audits”" not in captured.out
    assert captured.err.splitlines() == [
        "dsr quotes: left out 1 coding that could not be placed since T1 changed; "
        "run `dsr codings check`"
    ]
    assert run(study, "quotes", "CAP") == 0  # CAP's coding was placed: nothing left out
    assert capsys.readouterr().err == ""
    assert run(study, "codes", "stats", "--csv") == 0
    captured = capsys.readouterr()
    assert "dsr codes stats: left out 1 coding" in captured.err
    assert "AUDIT,Audits,1,1,1" in captured.out  # 2 codings of AUDIT, 1 placed


def test_auto_appends_nothing_when_the_log_already_holds_the_codings(
    study, capsys, run, monkeypatch
):
    """Another run appended the same codings after this run read the log: the check under the
    log's lock keeps them from being written twice."""
    from dsr_workbench.coding import codings as coding_api

    assert run(study, "code", "auto", "--coder", "R2") == 0
    log = study.parent / "data" / "codings" / "R2.jsonl"
    size = log.stat().st_size
    empty = coding_api.read_logs(log).iloc[:0]
    monkeypatch.setattr(coding_api, "read_logs", lambda *a, **k: empty)  # a stale read
    assert run(study, "code", "auto", "--coder", "R2") == 0
    assert "3 matches, 0 new codings" in capsys.readouterr().err
    assert log.stat().st_size == size
