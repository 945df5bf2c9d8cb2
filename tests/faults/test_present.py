"""Fault and abuse cases of ``dsr present``: stopping it every way, and a hostile audience.

Each case runs the real command (``python -m dsr_workbench.cli present``) on a small study
whose facilitator notebook shows a widget and then fails, opens the page once (so that a
kernel runs, as when ratings are being given) and checks the processes, the port, the
temporary folder and what the page and the server give away.
"""

from __future__ import annotations

import base64
import fcntl
import http.client
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults import guard
from tests.faults.procs import (
    Lines,
    all_cmdlines,
    cmdline,
    descendants,
    kill_all,
    port_open,
    wait_gone,
)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "data" / "notebooks"
WAIT = 120.0  # the longest any single wait may take (Voilà and a kernel on a loaded machine)
SECRET = "SECRET-INTERNAL-DETAIL"  # in the failing cell's code and error message


@pytest.fixture
def study(mini_study: Path) -> Path:
    """The mini study, with a facilitator notebook that renders a widget, then fails."""
    root = mini_study.parent
    (root / "notebooks").mkdir()
    shutil.copy(NOTEBOOKS / "present_fails.ipynb", root / "notebooks" / "facilitator_cycle.ipynb")
    return root


def _inputs(root: Path) -> dict[str, str]:
    return guard.snapshot(root / "study.yaml", root / "interviews", root / "notebooks")


@dataclass
class Presenting:
    """A running ``dsr present`` with what it printed and what it started."""

    process: subprocess.Popen[str]
    url: str
    port: int
    token: str

    def voila(self) -> int:
        """The pid of the Voilà child."""
        found = [p for p in descendants(self.process.pid) if " -m voila " in cmdline(p)]
        assert found, "no Voilà child"
        return found[0]

    def folder(self) -> Path:
        """The temporary folder Voilà serves from."""
        found = re.search(r"--Voila\.root_dir=(\S+)", cmdline(self.voila()))
        assert found, cmdline(self.voila())
        return Path(found.group(1))

    def tree(self) -> list[int]:
        """Voilà and the kernels it started."""
        return descendants(self.process.pid)


def _command(root: Path) -> list[str]:
    return [sys.executable, "-m", "dsr_workbench.cli", "--study", str(root / "study.yaml")] + [
        "present",
        "1",
        "--port",
        "0",
        "--no-browser",
    ]


def _parse(line: str, process: subprocess.Popen[str]) -> Presenting:
    url = line.rsplit(" at ", 1)[1].strip()
    found = re.match(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)$", url)
    assert found, url
    return Presenting(process, url, int(found.group(1)), found.group(2))


@contextmanager
def presenting(root: Path) -> Iterator[Presenting]:
    """Run ``dsr present 1`` (its own session, like a terminal's job); always clean up."""
    process = subprocess.Popen(
        _command(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    tree: list[int] = []
    try:
        lines = Lines(process.stdout)
        server = _parse(lines.wait_for("Presenting cycle", WAIT, process), process)
        tree = server.tree()
        yield server
    finally:
        tree += descendants(process.pid)
        if process.poll() is None:
            process.terminate()  # as a user would stop it: Voilà stops, its folder goes
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait(timeout=30)
        kill_all(tree)


def _get(server: Presenting, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def _open_page(server: Presenting) -> str:
    """Load the page as the audience's browser does (runs the notebook in a kernel)."""
    status, page = _get(server, f"/?token={server.token}")
    assert status == 200, page[:500]
    assert "hello from cycle 1" in page
    return page


def _websocket(server: Presenting, kernel: str, origin: str) -> str:
    """The status line of a raw websocket upgrade to the kernel's channels."""
    request = (
        f"GET /api/kernels/{kernel}/channels?token={server.token} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(request.encode("ascii"))
        return sock.recv(4096).split(b"\r\n", 1)[0].decode("ascii", "replace")


def _read_tty_until(master: int, text: str, process: subprocess.Popen[bytes]) -> str:
    """Read a pty (bounded) until a line holds ``text``; return that line.

    Read here, not in a thread: a read blocked in another thread would keep the terminal
    open after ``os.close``, and closing it is the point.
    """
    seen = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            seen += os.read(master, 4096)
            for line in seen.decode("utf-8", "replace").replace("\r", "").splitlines():
                if text in line and seen.endswith(b"\n"):
                    return line
    raise AssertionError(f"no line with {text!r} within {WAIT:g} s: {seen!r}")


def _assert_all_gone(server: Presenting, tree: list[int], folder: Path | None) -> None:
    assert wait_gone(tree, 30) == [], "left running: " + "; ".join(cmdline(p) for p in tree)
    assert not port_open(server.port), f"port {server.port} still accepts connections"
    if folder is not None:
        assert not folder.exists(), f"{folder} left behind"


def _stopped_by(root: Path, signum: int) -> None:
    before = _inputs(root)
    with presenting(root) as server:
        _open_page(server)
        folder, tree = server.folder(), server.tree()
        assert len(tree) >= 2, [cmdline(p) for p in tree]  # Voilà and the page's kernel
        os.kill(server.process.pid, signum)
        assert server.process.wait(timeout=60) == 0
        _assert_all_gone(server, tree, folder)
    guard.assert_unchanged(before, _inputs(root))


@pytest.mark.slow
@pytest.mark.fault(
    case="SIGTERM to `dsr present` while the page is open", area="present", outcome="survived"
)
def test_sigterm_stops_voila_and_removes_the_folder(study: Path) -> None:
    _stopped_by(study, signal.SIGTERM)


@pytest.mark.slow
@pytest.mark.fault(
    case="SIGINT (Ctrl-C) to `dsr present` while the page is open",
    area="present",
    outcome="survived",
)
def test_sigint_stops_voila_and_removes_the_folder(study: Path) -> None:
    _stopped_by(study, signal.SIGINT)


@pytest.mark.slow
@pytest.mark.fault(
    case="the terminal running `dsr present` is closed (SIGHUP from the tty)",
    area="present",
    outcome="survived",
)
def test_terminal_closing_stops_voila_and_removes_the_folder(study: Path) -> None:
    before = _inputs(study)
    master, slave = os.openpty()

    def controlling_tty() -> None:  # after setsid: the pty becomes the session's terminal
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        _command(study),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=controlling_tty,
    )
    os.close(slave)
    tree: list[int] = []
    try:
        line = _read_tty_until(master, "Presenting cycle", process)
        server = _parse(line, process)  # type: ignore[arg-type]
        _open_page(server)
        folder, tree = server.folder(), server.tree()
        assert len(tree) >= 2, [cmdline(p) for p in tree]
        os.close(master)  # the terminal window closes: the kernel sends SIGHUP
        master = -1
        assert process.wait(timeout=60) == 0
        _assert_all_gone(server, tree, folder)
    finally:
        if master >= 0:
            os.close(master)
        tree += descendants(process.pid)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        kill_all(tree)
    guard.assert_unchanged(before, _inputs(study))


@pytest.mark.slow
@pytest.mark.fault(
    case="kill -9 of `dsr present` (no clean-up possible in it)", area="present", outcome="survived"
)
def test_sigkill_voila_dies_by_parent_death_signal_folder_swept_next_time(study: Path) -> None:
    from dsr_workbench.widgets.serve import remove_stale_folders

    before = _inputs(study)
    with presenting(study) as server:
        _open_page(server)
        folder, tree = server.folder(), server.tree()
        server.process.kill()
        server.process.wait(timeout=30)
        assert wait_gone(tree, 60) == [], "left running: " + "; ".join(cmdline(p) for p in tree)
        assert not port_open(server.port)
        assert folder.exists()  # nobody could remove it ...
        assert folder in remove_stale_folders(folder.parent)  # ... the next server does
        assert not folder.exists()
    guard.assert_unchanged(before, _inputs(study))


@pytest.mark.slow
@pytest.mark.fault(
    case="another local user reads the access token from `ps` (process argv)",
    area="present",
    outcome="refused",
)
def test_token_is_in_no_process_argv(study: Path) -> None:
    before = _inputs(study)
    with presenting(study) as server:
        _open_page(server)
        mine = server.tree() + [server.process.pid]
        leaks = {pid: argv for pid, argv in all_cmdlines().items() if server.token in argv}
        assert leaks == {}
        assert len(mine) >= 3  # dsr present, Voilà, the kernel: all checked above
        environ = Path(f"/proc/{server.voila()}/environ").read_bytes()
        assert server.token.encode() not in environ
        config = server.folder() / "voila.json"
        assert server.token in config.read_text(encoding="utf-8")
        assert config.stat().st_mode & 0o777 == 0o600
        assert server.folder().stat().st_mode & 0o777 == 0o700
    guard.assert_unchanged(before, _inputs(study))


@pytest.mark.slow
@pytest.mark.fault(
    case="a page of another site (Origin: http://evil.example) uses the token: "
    "HTTP and kernel websocket",
    area="present",
    outcome="refused",
)
def test_foreign_origin_is_refused_even_with_the_token(study: Path) -> None:
    before = _inputs(study)
    with presenting(study) as server:
        page = _open_page(server)
        kernel = re.search(r'kernelId"\s*:\s*"([0-9a-f-]{36})"', page)
        assert kernel, "no kernel id in the page"
        evil = {"Origin": "http://evil.example"}
        status, _ = _get(server, f"/?token={server.token}", evil)
        assert status == 403
        status, _ = _get(server, f"/api/kernels/{kernel.group(1)}?token={server.token}", evil)
        assert status == 403
        assert " 403 " in _websocket(server, kernel.group(1), "http://evil.example")
        assert " 403 " in _websocket(server, kernel.group(1), "null")  # sandboxed frame, file://
        # the served origin itself connects: the refusal is about the origin, not the request
        served = f"http://127.0.0.1:{server.port}"
        assert " 101 " in _websocket(server, kernel.group(1), served)
    guard.assert_unchanged(before, _inputs(study))


@pytest.mark.slow
@pytest.mark.fault(
    case="a cell of the facilitator page fails in front of the audience",
    area="present",
    outcome="refused",
)
def test_failing_cell_shows_no_traceback(study: Path) -> None:
    before = _inputs(study)
    with presenting(study) as server:
        page = _open_page(server)
        assert "There was an error when executing cell" in page  # said, without details
        for leak in (SECRET, "Traceback", "RuntimeError"):
            assert leak not in page, leak
    guard.assert_unchanged(before, _inputs(study))
