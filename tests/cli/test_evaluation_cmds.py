"""``dsr rate`` and ``dsr evaluations`` (dsr_workbench.cli.evaluation_cmds) on the mini study."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from dsr_workbench.cli import evaluation_cmds
from dsr_workbench.core.errors import DsrError
from dsr_workbench.dsr.record import write_episode

# --------------------------------------------------------------------------- CLI


@pytest.fixture
def dsr(run_group: Callable[..., int]) -> Callable[..., int]:
    """``dsr(study, *argv)`` with only the evaluation commands registered."""
    return functools.partial(run_group, evaluation_cmds)


@pytest.fixture
def cli_study(mini_study: Path, episode: dict) -> Path:
    write_episode(
        mini_study.parent / "data" / "evaluations",
        "FG-T2",
        participants={"P1": "client", "P2": "cmo"},
        **{**episode, "transcript": "T2"},
    )
    return mini_study


def test_cli_rate_then_summary(
    cli_study: Path, capsys: pytest.CaptureFixture[str], dsr: Callable[..., int]
) -> None:
    assert dsr(cli_study, "rate", "FG-T2", "P1", "usefulness", "3") == 0
    assert dsr(cli_study, "rate", "FG-T2", "P1", "usefulness", "4", "--comment", "clearer now") == 0
    assert "P1 usefulness = 4 (supersedes 3)" in capsys.readouterr().out
    assert dsr(cli_study, "evaluations") == 0
    assert "1 ratings: cycle 1: 1" in capsys.readouterr().out
    assert dsr(cli_study, "evaluations", "--summary", "--csv") == 0
    assert capsys.readouterr().out.splitlines() == [
        "cycle,artifact,criterion,perspective,n,mean,sd,ci_low,ci_high",
        "1,framework,usefulness,client,1,4.0,,,",
    ]


def test_cli_rate_bad_input_raises_one_line_error(cli_study: Path, dsr: Callable[..., int]) -> None:
    with pytest.raises(DsrError, match="participant 'P3' is not in episode 'FG-T2'"):
        dsr(cli_study, "rate", "FG-T2", "P3", "usefulness", "4")


def test_cli_decisions_exit_1_on_unresolved(
    cli_study: Path, capsys: pytest.CaptureFixture[str], dsr: Callable[..., int]
) -> None:
    (cli_study.parent / "data" / "evaluations" / "decisions.yaml").write_text(
        "requirements:\n  - {id: R1, text: t, source: ['transcript:T2#turn2', 'transcript:T2#turn9']}\n",
        encoding="utf-8",
    )
    assert dsr(cli_study, "evaluations", "--decisions") == 1
    out = capsys.readouterr().out
    assert "'transcript:T2#turn9' points at nothing" in out and "1 unresolved" in out
