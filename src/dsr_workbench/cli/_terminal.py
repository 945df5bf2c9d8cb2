"""Printing from the commands that keep a server running (``dsr present``, ``dsr code --serve``)."""

from __future__ import annotations

__all__ = ["say"]


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
