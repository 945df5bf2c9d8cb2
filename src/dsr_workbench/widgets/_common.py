"""Shared plumbing of the widgets: the error panel, figure display, warnings, HTML escaping.

Nothing here computes a result: these helpers only move library output onto the screen.
"""

from __future__ import annotations

import functools
import html
import io
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import ipywidgets as w
from IPython.display import HTML
from matplotlib.figure import Figure

from dsr_workbench.core.errors import DsrError

__all__ = [
    "ErrorPanel",
    "FigureView",
    "Notes",
    "escape",
    "figure_png",
    "record_warnings",
    "widget_bundle",
]

F = TypeVar("F", bound=Callable[..., Any])


def escape(text: object) -> str:
    """Escape text for an HTML widget.

    Examples
    --------
    >>> escape("<b>Tomás & co</b>")
    '&lt;b&gt;Tomás &amp; co&lt;/b&gt;'
    """
    return html.escape(str(text), quote=True)


class ErrorPanel:
    """An :class:`ipywidgets.Output` that shows the errors of widget callbacks.

    Wrap every callback with :meth:`guard`: an exception is shown in the panel (a project
    error as its one-line message, anything else with a short traceback) instead of
    vanishing into the kernel log, and kept in :attr:`errors`. A successful callback clears
    the panel.

    Examples
    --------
    >>> panel = ErrorPanel()
    >>> @panel.guard
    ... def boom():
    ...     raise DsrError("unknown code id 'TRUTS'", hint="did you mean 'TRUST'?")
    >>> boom()
    >>> panel.last
    "unknown code id 'TRUTS' (fix: did you mean 'TRUST'?)"
    """

    def __init__(self) -> None:
        self.output = w.Output(layout=w.Layout(width="100%"))
        self.output.add_class("dsr-errors")
        self.errors: list[BaseException] = []
        self.messages: list[str] = []

    @property
    def last(self) -> str | None:
        """The message of the latest error shown, or ``None``."""
        return self.messages[-1] if self.messages else None

    def clear(self) -> None:
        """Remove the shown error (the history in :attr:`errors` is kept)."""
        if self.output.outputs:
            self.output.outputs = ()

    def show(self, exc: BaseException) -> None:
        """Show ``exc`` in the panel."""
        self.errors.append(exc)
        if isinstance(exc, DsrError):
            message = str(exc)
            detail = ""
        else:
            message = f"{type(exc).__name__}: {exc}"
            detail = "".join(traceback.format_exception(exc, limit=-4))
        self.messages.append(message)
        body = f'<div class="dsr-error" style="color:#b00020"><b>Error:</b> {escape(message)}</div>'
        if detail:
            body += f"<details><summary>traceback</summary><pre>{escape(detail)}</pre></details>"
        self.output.outputs = ()
        self.output.append_display_data(HTML(body))

    def guard(self, fn: F) -> F:
        """Return ``fn`` wrapped so that its exceptions are shown here, not raised."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:  # shown in the panel: the user must see every error
                self.show(exc)
                return None
            self.clear()
            return result

        return wrapper  # type: ignore[return-value]


class Notes:
    """A small HTML line for status messages and warnings of the library (never errors)."""

    def __init__(self) -> None:
        self.widget = w.HTML(value="")
        self.widget.add_class("dsr-notes")
        self.lines: list[str] = []

    def set(self, *lines: str, warn: bool = False) -> None:
        """Show ``lines`` (replacing what was shown)."""
        self.lines = [str(x) for x in lines if x]
        color = "#8a6d00" if warn else "#555"
        self.widget.value = "".join(
            f'<div style="color:{color};font-size:90%">{escape(x)}</div>' for x in self.lines
        )


@contextmanager
def record_warnings() -> Iterator[list[str]]:
    """Collect the messages of warnings raised inside the block (each message once).

    Examples
    --------
    >>> with record_warnings() as caught:
    ...     warnings.warn("CMR40 has one side only")
    ...     warnings.warn("CMR40 has one side only")
    >>> caught
    ['CMR40 has one side only']
    """
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    for item in caught:
        text = str(item.message)
        if text not in messages:
            messages.append(text)


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes (no pyplot, no file).

    Examples
    --------
    >>> fig = Figure(figsize=(1, 1))
    >>> figure_png(fig)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


class FigureView:
    """An :class:`ipywidgets.Image` showing the latest figure; the Figure stays inspectable.

    Sending a PNG to an ``Image`` widget is faster and steadier than clearing and refilling
    an ``Output`` (no flicker, no resize jump), which matters for live re-rendering.
    """

    def __init__(self, dpi: int = 80, css_class: str = "dsr-figure") -> None:
        self.dpi = dpi
        self.figure: Figure | None = None
        self.widget = w.Image(format="png", layout=w.Layout(max_width="100%", height="auto"))
        self.widget.add_class(css_class)
        self.renders = 0

    def show(self, fig: Figure, png: bytes | None = None) -> bytes:
        """Render ``fig`` into the image (or show ``png``, its rendering); return the PNG."""
        png = figure_png(fig, self.dpi) if png is None else png
        self.widget.value = png
        self.widget.layout.display = None
        self.figure = fig
        self.renders += 1
        return png

    def clear(self) -> None:
        """Show nothing (the image is hidden: an empty one is a broken-image icon in a browser)."""
        self.widget.value = b""
        self.widget.layout.display = "none"
        self.figure = None


def widget_bundle(widget: w.Widget, text: str, **kwargs: Any) -> dict[str, Any] | None:
    """A widget's display bundle with a readable ``text/plain`` (shown where widgets are not,
    e.g. in a notebook exported to HTML without widget state).

    Examples
    --------
    >>> widget_bundle(w.Button(), "a button")["text/plain"]
    'a button'
    """
    bundle = widget._repr_mimebundle_(**kwargs)
    if bundle is not None:
        bundle["text/plain"] = text
    return bundle
