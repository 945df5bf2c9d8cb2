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


# --------------------------------------------------------------------------- dsr code --serve


def _no_voila(*args, **kwargs):
    raise AssertionError("Voilà must not start on bad input")


@pytest.fixture
def no_voila(monkeypatch):
    from dsr_workbench.widgets import serve

    monkeypatch.setattr(serve, "serve_notebook", _no_voila)


@pytest.fixture
def busy_port():
    """A port of 127.0.0.1 that something listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["code"], "no action given"),
        (["code", "--serve"], "no coder given"),
        (["code", "--serve", "--coder", "R 2"], "coder name 'R 2' cannot name a log file"),
        (["code", "--serve", "--coder", "../R2"], "cannot name a log file"),
        (["code", "--serve", "--coder", "consensus"], "log of resolved disagreements"),
        (["code", "--serve", "--coder", "R2", "--transcript", "T9"], "'T9' is not in study"),
        (["code", "--serve", "--coder", "R2", "--port", "70000"], "not a TCP port"),
        (["code", "--serve", "--coder", "R2", "auto"], "--serve takes no action"),
    ],
)
def test_serve_refuses_bad_input_before_starting(study, run, no_voila, monkeypatch, argv, message):
    monkeypatch.delenv("DSR_CODER", raising=False)
    with pytest.raises(DsrError, match=message.replace("(", r"\(")):
        run(study, *argv)


def test_serve_refuses_a_port_in_use(study, run, no_voila, busy_port):
    with pytest.raises(DsrError, match=f"port {busy_port} on 127.0.0.1 is in use"):
        run(study, "code", "--serve", "--coder", "R2", "--port", str(busy_port))


def test_serve_refuses_a_study_without_codebook(mini_study, run, no_voila):
    with pytest.raises(DsrError, match="the study has no codebook"):
        run(mini_study, "code", "--serve", "--coder", "R2")


def test_serve_refuses_a_codebook_that_fails_validation(study_with_codebook, run, no_voila):
    study = study_with_codebook("codes:\n  - {id: A, name: A, parent: NOPE}\n")
    with pytest.raises(DsrError, match="NOPE"):
        run(study, "code", "--serve", "--coder", "R2")


def test_serve_refuses_a_transcript_that_cannot_be_read(study, run, no_voila):
    (study.parent / "interviews" / "t1.txt").unlink()
    with pytest.raises(DsrError, match="t1.txt"):
        run(study, "code", "--serve", "--coder", "R2")


class _Server:
    url = "http://127.0.0.1:1/?token=t"

    def __init__(self) -> None:
        self.stopped = False
        self.process = self

    def wait(self) -> int:
        return 0

    def stop(self) -> None:
        self.stopped = True


def test_serve_runs_coding_view_for_the_coder_and_transcript(study, run, capsys, monkeypatch):
    """The served notebook opens ``coding_view(study, coder)`` on the transcript asked for;
    the coder may come from $DSR_CODER; the URL is one line; the server is stopped after."""
    import nbformat

    from dsr_workbench.widgets import serve

    seen = {}

    def fake(notebook, *, parameters, port):
        seen["nb"] = nbformat.read(notebook, as_version=4)
        seen["parameters"], seen["port"] = parameters, port
        seen["server"] = _Server()
        return seen["server"]

    monkeypatch.setattr(serve, "serve_notebook", fake)
    monkeypatch.setenv("DSR_CODER", "R7")
    argv = ("code", "--serve", "--transcript", "T2", "--port", "0", "--no-browser")
    assert run(study, *argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Coding as R7 at {_Server.url}"
    assert seen["parameters"] == {"study_path": str(study), "coder": "R7", "transcript": "T2"}
    assert seen["port"] == 0 and seen["server"].stopped
    cells = seen["nb"].cells
    assert cells[0].metadata["tags"] == ["parameters"]
    assert "coding_view(load_study(study_path), coder=coder)" in cells[1].source
    assert "view.transcript.value = transcript" in cells[1].source
    monkeypatch.setenv("DSR_CODER", "R7")
    assert run(study, "code", "--serve", "--coder", "R3", "--no-browser", "--port", "0") == 0
    assert seen["parameters"]["coder"] == "R3"  # --coder wins over $DSR_CODER
    assert seen["parameters"]["transcript"] is None


def _run_dsr(*argv: str, cwd: Path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DSR_CODER", "DSR_STUDY")}
    return subprocess.run(
        [sys.executable, "-m", "dsr_workbench.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize(
    ("argv", "where", "message"),
    [
        (["code", "--serve", "--coder", "R2"], "empty", "no study.yaml in"),
        (["code", "--serve", "--coder", "a/b"], "study", "cannot name a log file"),
        (["code", "--serve", "--coder", "R2", "--transcript", "X"], "study", "not in study"),
        (["code", "--serve"], "study", "no coder given"),
    ],
)
def test_serve_bad_input_is_one_line_without_traceback(
    study, tmp_path_factory, argv, where, message
):
    # a folder with no study.yaml in it or above it (tmp_path holds the study)
    cwd = study.parent if where == "study" else tmp_path_factory.mktemp("empty")
    result = _run_dsr(*argv, cwd=cwd)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("dsr code: error: ") and message in line


def test_serve_port_in_use_is_one_line(study, busy_port):
    result = _run_dsr(
        "code", "--serve", "--coder", "R2", "--port", str(busy_port), cwd=study.parent
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"port {busy_port} on 127.0.0.1 is in use" in line and "--port" in line


@pytest.mark.slow
def test_serve_starts_voila_prints_the_url_and_stops_on_sigterm(study):
    """A real start: one URL line, Voilà listening on 127.0.0.1 with a token, and after
    SIGTERM the command exits 0, Voilà is gone and its temporary folder removed."""
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    import tempfile

    argv = ["code", "--serve", "--coder", "R2", "--port", "0", "--no-browser"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dsr_workbench.cli", *argv],
        cwd=study.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        found = re.fullmatch(r"Coding as R2 at http://127\.0\.0\.1:(\d+)/\?token=\S{16,}\n", line)
        assert found, (line, proc.stderr.read() if proc.poll() is not None else "")
        port = int(found[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        folders = list(Path(tempfile.gettempdir()).glob(f"dsr-present-{proc.pid}-*"))
        assert len(folders) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert not folders[0].exists()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
