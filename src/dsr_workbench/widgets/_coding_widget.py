"""The front end of the coding view: an anywidget that draws a transcript and owns the gestures.

Python sets the state (traits): the normalised text, the turns, the codes, the spans to draw,
the agreement table of a comparison, the error and status lines. The browser reports the
current selection (trait ``selection``: start, end, quote in code points) and every action as
a custom message ``{"action": ..., ...}`` (apply, remove, memo, undo, invivo, resolve,
accept, reject, suggest, compare, reload, ready), handled by
:meth:`dsr_workbench.widgets.coding_view.CodingView.handle`.

The JavaScript and CSS ship as package data (``widgets/static/coding_view.{js,css}``): the
view works offline. When the view has drawn its highlights and stripes it sets the
performance mark ``dsr-coding-drawn`` (and ``dsr-coding-drawn-<n>`` for the n-th draw, also
after an edit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

__all__ = ["STATIC", "TranscriptWidget"]

STATIC = Path(__file__).parent / "static"
"""The folder holding ``coding_view.js`` and ``coding_view.css``."""


class TranscriptWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """The transcript, its highlights and stripes, the code palette and the comparison panel.

    Attributes
    ----------
    text
        The transcript's normalised text.
    turns
        ``[start, end, speaker, turn, perspective]`` per turn
        (:func:`~dsr_workbench.widgets._coding_render.turn_payload`).
    codes
        The codebook (:func:`~dsr_workbench.widgets._coding_render.code_payload`).
    spans
        What to draw (:func:`~dsr_workbench.widgets._coding_render.span_payload`); always
        assign a new list.
    edits
        Spans changed since ``spans`` was sent, applied by id
        (:func:`~dsr_workbench.widgets._coding_render.merge_edits`): an action sends only the
        spans it changed, not all of them; the front end redraws only the turns they touch.
    recent
        Code ids used lately, most recent first.
    coder, compare
        Who codes; the compared coder (``""``: no comparison).
    coders
        Coders the comparison can pick.
    agreement
        Per-code agreement of this transcript in a comparison (code, name, alpha, kappa,
        percent, n).
    selection
        The browser's current selection: ``{"start", "end", "quote"}`` (code points).
    error, status, reload
        The error line, the status line, and whether to offer a reload.
    """

    _esm = (STATIC / "coding_view.js").read_text(encoding="utf-8")
    _css = (STATIC / "coding_view.css").read_text(encoding="utf-8")

    transcript_id = t.Unicode("").tag(sync=True)
    text = t.Unicode("").tag(sync=True)
    turns: t.List[Any] = t.List().tag(sync=True)
    codes: t.List[Any] = t.List().tag(sync=True)
    spans: t.List[Any] = t.List().tag(sync=True)
    edits: t.List[Any] = t.List().tag(sync=True)
    recent: t.List[Any] = t.List().tag(sync=True)
    coder = t.Unicode("").tag(sync=True)
    compare = t.Unicode("").tag(sync=True)
    coders: t.List[Any] = t.List().tag(sync=True)
    agreement: t.List[Any] = t.List().tag(sync=True)
    selection = t.Dict().tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    reload = t.Bool(False).tag(sync=True)
