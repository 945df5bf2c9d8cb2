"""Serve a parameterised notebook with Voilà on 127.0.0.1 (for ``dsr present`` and the tests).

The notebook is first parameterised with papermill (its ``parameters`` cell followed by an
injected one, exactly as a build would run it), written to a private temporary folder, and
served from there by ``python -m voila``: the original notebook is never changed. Voilà
listens on 127.0.0.1 only and requires a random token, which the URL carries.

Hardening (the audience's browser and other local users are not trusted):

- the token and the security settings are in ``voila.json`` (mode 0600) in the private
  folder (mode 0700), which Voilà reads from its working directory: never on a command
  line, where ``ps`` would show it to every local user;
- only the served origin ``http://127.0.0.1:PORT`` may connect (HTTP and websocket;
  :mod:`dsr_workbench.widgets._voila_security`), and the ``Host`` header must name this
  machine (no DNS rebinding);
- tracebacks are not shown in the page (a failing cell says so, without its code or data);
- nothing is loaded from another host (meeting rooms may have no internet): the page uses
  the ``dsr`` template in ``widgets/voila/templates/``, Voilà's ``lab`` template without
  its links to Font Awesome on a CDN (Voilà's own ``voila.js`` bundles the same Font
  Awesome, served from 127.0.0.1);
- Voilà gets a parent-death signal (SIGTERM, Linux): it stops when the process that
  started it dies, however it dies; :meth:`VoilaServer.stop` removes the folder, and the
  folders of servers whose owner was killed are removed by the next :func:`serve_notebook`.
"""

from __future__ import annotations

import json
import os
import re
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
from dsr_workbench.core.procs import parent_death_preexec, pid_alive, process_start

__all__ = ["VoilaServer", "free_port", "serve_notebook"]

HOST = "127.0.0.1"
TEMPLATE = "dsr"
"""The Voilà template of the served pages (``lab`` without CDN links)."""
TEMPLATE_ROOT = Path(__file__).resolve().parent
"""A Jupyter data folder holding ``voila/templates/dsr`` (added to ``JUPYTER_PATH``)."""
_FOLDER = re.compile(r"^dsr-present-(?P<pid>\d+)-(?P<start>\d+)-")


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


def write_config(folder: Path, token: str, port: int) -> Path:
    """Write ``voila.json`` (mode 0600) into ``folder``: token, origin, no tracebacks, template.

    Voilà reads it from its working directory, so the token never appears in an argv.
    """
    origin = f"http://{HOST}:{port}"
    config = {
        "Voila": {
            "token": token,
            "identity_provider_class": (
                "dsr_workbench.widgets._voila_security.SameOriginIdentityProvider"
            ),
            "tornado_settings": {
                "allow_origin": origin,  # the only origin a browser may connect from
                "allow_remote_access": False,  # the Host header must name this machine
            },
        },
        "VoilaConfiguration": {"show_tracebacks": False, "template": TEMPLATE},
    }
    path = folder / "voila.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    return path


def remove_stale_folders(root: str | Path | None = None) -> list[Path]:
    """Remove the temporary folders of servers whose starting process is gone; return them.

    A ``dsr present`` killed with SIGKILL cannot remove its folder (Voilà itself stops, by
    its parent-death signal); the next server started removes it. Only this user's
    folders are touched.
    """
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob("dsr-present-*"):
        found = _FOLDER.match(folder.name)
        try:
            mine = folder.is_dir() and folder.stat().st_uid == os.getuid()
        except OSError:
            continue
        if not found or not mine:
            continue
        pid, start = int(found["pid"]), int(found["start"])
        if not pid_alive(pid, start or None):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


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
        More ``voila`` command-line arguments (never a secret: others can read an argv).

    Returns
    -------
    VoilaServer

    Notes
    -----
    Voilà is signalled when the *thread* that started it exits (Linux's parent-death
    signal): call this from a thread that lives as long as the server should.

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
    remove_stale_folders()
    me = os.getpid()
    folder = Path(tempfile.mkdtemp(prefix=f"dsr-present-{me}-{process_start(me) or 0}-"))
    target = folder / notebook.name
    nbformat.write(nb, target)
    port = port or free_port()
    token = token or secrets.token_urlsafe(16)
    write_config(folder, token, port)
    log = folder / "voila.log"
    command = [
        sys.executable,
        "-m",
        "voila",
        str(target),
        f"--port={port}",
        "--Voila.port_retries=0",  # another port would not be the origin allowed to connect
        f"--Voila.ip={HOST}",
        f"--Voila.root_dir={folder}",
    ]
    if not open_browser:
        command.append("--no-browser")
    command += extra_args or []
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    for name in ("JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE"):
        env.pop(name, None)  # the token is the one of voila.json
    # where Voilà finds the `dsr` template (after any folder the user set)
    env["JUPYTER_PATH"] = os.pathsep.join(
        [*filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep)), str(TEMPLATE_ROOT)]
    )
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=folder,  # Voilà reads voila.json from here
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C goes to `dsr present`, which stops Voilà
            preexec_fn=parent_death_preexec(signal.SIGTERM),
        )
    server = VoilaServer(process, f"http://{HOST}:{port}/?token={token}", port, folder, log)
    try:
        _wait_until_listening(server, startup_timeout)
    except BaseException:  # not up in time, or interrupted while starting: leave nothing
        server.stop()
        raise
    return server


def _wait_until_listening(server: VoilaServer, startup_timeout: float) -> None:
    """Return once Voilà accepts connections; raise :class:`DsrError` if it exits or is late."""
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if not server.running():
            raise DsrError(
                f"Voilà exited at start (code {server.process.returncode}): {server.log_tail()}",
                hint="see the message above",
            )
        try:
            with socket.create_connection((HOST, server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise DsrError(
        f"Voilà did not listen on port {server.port} within {startup_timeout:g} s: "
        f"{server.log_tail()}",
        hint="try another --port",
    )
