"""Serve a parameterised notebook with Voilà on 127.0.0.1 (for ``dsr present`` and the tests).

The notebook is first parameterised with papermill (its ``parameters`` cell followed by an
injected one, exactly as a build would run it), written to a private temporary folder, and
served from there by ``python -m voila``: the original notebook is never changed. Voilà
listens on 127.0.0.1 only and requires a random token, which the URL carries.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import nbformat

from dsr_workbench.core.errors import DsrError

__all__ = ["VoilaServer", "free_port", "serve_notebook"]

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class VoilaServer:
    """A running Voilà process; stop it with :meth:`stop` or use it as a context manager.

    Attributes
    ----------
    url
        The page to open (with the token).
    port, process, folder, log
        The port, the ``subprocess.Popen``, the temporary folder holding the parameterised
        notebook, and Voilà's log file in it.
    """

    def __init__(
        self, process: subprocess.Popen[bytes], url: str, port: int, folder: Path, log: Path
    ) -> None:
        self.process = process
        self.url = url
        self.port = port
        self.folder = folder
        self.log = log

    def running(self) -> bool:
        """Whether the Voilà process is alive."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of Voilà's log (for error messages)."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        """Stop Voilà and its kernels (SIGTERM to its process group, SIGKILL if needed)."""
        if self.running():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> VoilaServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_notebook(
    notebook: str | Path,
    *,
    parameters: dict[str, Any] | None = None,
    port: int = 0,
    token: str | None = None,
    open_browser: bool = False,
    startup_timeout: float = 60.0,
    extra_args: list[str] | None = None,
) -> VoilaServer:
    """Start Voilà on 127.0.0.1 for ``notebook`` with ``parameters`` injected; wait until up.

    Parameters
    ----------
    notebook
        The notebook; it must have a cell tagged ``parameters`` if ``parameters`` are given.
    parameters
        Values injected after the ``parameters`` cell (papermill's rules).
    port
        The port (0: a free one).
    token
        The access token (default: a random one).
    open_browser
        Let Voilà open the system's browser.
    startup_timeout
        Seconds to wait for Voilà to listen.
    extra_args
        More ``voila`` command-line arguments.

    Returns
    -------
    VoilaServer

    Raises
    ------
    DsrError
        The notebook is missing, Voilà is not installed, or it did not start in time (the
        message holds the end of its log).
    """
    notebook = Path(notebook)
    if not notebook.is_file():
        raise DsrError("notebook not found", path=notebook, hint="pass the path of an .ipynb file")
    try:
        import voila  # noqa: F401
    except ImportError:
        raise DsrError("Voilà is not installed", hint="pip install voila") from None
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(notebook))  # papermill's reader (every cell gets its tags)
    if parameters:
        nb = parameterize_notebook(nb, parameters)
    folder = Path(tempfile.mkdtemp(prefix="dsr-present-"))
    target = folder / notebook.name
    nbformat.write(nb, target)
    port = port or free_port()
    token = token or secrets.token_urlsafe(16)
    log = folder / "voila.log"
    command = [
        sys.executable,
        "-m",
        "voila",
        str(target),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        f"--token={token}",
        "--show_tracebacks=True",
        f"--Voila.root_dir={folder}",
    ]
    if not open_browser:
        command.append("--no-browser")
    command += extra_args or []
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=folder,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    server = VoilaServer(process, f"http://{HOST}:{port}/?token={token}", port, folder, log)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if not server.running():
            tail = server.log_tail()
            server.stop()
            raise DsrError(
                f"Voilà exited at start (code {process.returncode}): {tail}",
                hint="see the message above",
            )
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    tail = server.log_tail()
    server.stop()
    raise DsrError(
        f"Voilà did not listen on port {port} within {startup_timeout:g} s: {tail}",
        hint="try another --port",
    )
