"""Printing from the commands that keep a server running (``dsr present``, ``dsr code --serve``)."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING

from dsr_workbench.core.errors import DsrError
from dsr_workbench.core.procs import signals_ignored, signals_raise

if TYPE_CHECKING:
    from dsr_workbench.widgets.serve import VoilaServer

__all__ = ["say", "serve_until_stopped"]


def say(message: str) -> None:
    """Print a line; after SIGHUP the terminal may be gone, which must not stop the clean-up.

    Examples
    --------
    >>> say("stopping")
    stopping
    """
    try:
        print(message, flush=True)
    except OSError:
        pass


def serve_until_stopped(
    start: Callable[[], VoilaServer],
    *,
    banner: str,
    open_browser: bool,
    failed: Callable[[VoilaServer, int], DsrError],
) -> int:
    """Start a Voilà server with ``start()``, print its URL and serve until it is stopped.

    However the command is stopped, Voilà stops with it: Ctrl-C, SIGTERM and SIGHUP (the
    terminal closing) unwind to :meth:`~dsr_workbench.widgets.serve.VoilaServer.stop`
    (which a second signal cannot interrupt); stopped while starting, ``start`` has cleaned
    up (as :func:`~dsr_workbench.widgets.serve.serve_notebook` does).

    Parameters
    ----------
    start
        Starts the server (called once, with SIGTERM and SIGHUP raising).
    banner
        What the server does: ``"{banner} at {url}"`` is printed once it is up, then "Press
        Ctrl-C to stop.".
    open_browser
        Open the system's browser on the URL.
    failed
        The error to raise when Voilà exits by itself with a non-zero code (it may print
        more first).

    Returns
    -------
    int
        0, once stopped by a signal (or when Voilà exited with code 0).
    """
    with signals_raise():  # SIGTERM, SIGHUP (terminal closed): stop Voilà like Ctrl-C does
        try:
            server = start()
        except KeyboardInterrupt:  # stopped while starting: start() cleaned up
            say("stopping")
            return 0
        try:
            say(f"{banner} at {server.url}")
            say("Press Ctrl-C to stop.")
            if open_browser:
                webbrowser.open(server.url)
            code = server.process.wait()
            if code:
                raise failed(server, code)
        except KeyboardInterrupt:
            say("stopping")
        finally:
            with signals_ignored():  # a second Ctrl-C must not leave Voilà running
                server.stop()
    return 0
