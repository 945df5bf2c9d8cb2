"""Auto-coding review for the coding view: suggest, then accept, reject or skip one by one.

:func:`~dsr_workbench.coding.autocode.auto_code` proposes ``add`` events for the transcript that the
coder's log does not hold yet (nor ever held); *accept* appends one to the log, *reject*
appends it together with its ``remove`` event (memo ``rejected suggestion``), in one atomic
append, so the decision is on record and the rule does not propose it again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from dsr_workbench.coding.autocode import auto_code
from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.coding.codings import append_events, read_log
from dsr_workbench.core.errors import DsrError
from dsr_workbench.widgets._common import escape

__all__ = ["SuggestionReview"]


class SuggestionReview:
    """The suggestion part of :class:`~dsr_workbench.widgets.CodingView` (a mixin).

    The view provides ``log``, ``coder``, ``codebook``, ``transcripts_table``, ``colors``,
    ``names``, ``_turns()`` (the current transcript's turns) and ``_done(message)``.
    """

    log: Path
    coder: str
    codebook: Codebook
    transcripts_table: pd.DataFrame
    colors: dict[str, str]
    names: dict[str, str]
    suggestions: list[dict[str, Any]]
    _turns: Callable[[], pd.DataFrame]
    _done: Callable[[str], None]

    def _review_box(self, guard: Callable[[Any], Any]) -> w.VBox:
        self.suggestions = []
        self.suggest_button = w.Button(description="suggest codes", icon="magic")
        self.accept_button = w.Button(description="accept", button_style="success", disabled=True)
        self.reject_button = w.Button(description="reject", button_style="danger", disabled=True)
        self.skip_button = w.Button(description="skip", disabled=True)
        self.suggestion_html = w.HTML()
        for name in (
            "suggest_button",
            "accept_button",
            "reject_button",
            "skip_button",
            "suggestion_html",
        ):
            getattr(self, name).add_class(f"dsr-coding-{name.replace('_', '-')}")
        self.suggest_button.on_click(guard(self.suggest))
        self.accept_button.on_click(guard(self.accept))
        self.reject_button.on_click(guard(self.reject))
        self.skip_button.on_click(guard(self.skip))
        buttons = [self.suggest_button, self.accept_button, self.reject_button, self.skip_button]
        return w.VBox([w.HBox(buttons), self.suggestion_html])

    def suggest(self, _button: Any = None) -> list[dict[str, Any]]:
        """Propose the codebook's rule matches in this transcript that the log lacks."""
        seen = read_log(self.log) if self.log.exists() else None
        result = auto_code(
            self._turns(),
            self.codebook,
            dry_run=False,
            coder=self.coder,
            transcripts=self.transcripts_table,
            log_events=seen,
        )
        self.suggestions = list(result.events)
        self._show_suggestion()
        return self.suggestions

    def _show_suggestion(self) -> None:
        pending = bool(self.suggestions)
        for button in (self.accept_button, self.reject_button, self.skip_button):
            button.disabled = not pending
        if not pending:
            self.suggestion_html.value = "<i>no pending suggestion</i>"
            return
        ev = self.suggestions[0]
        turns = self._turns()
        turn = turns[(turns["start"] <= ev["start"]) & (turns["end"] > ev["start"])]
        where = (
            f"turn {int(turn['turn'].iloc[0])} ({turn['speaker'].iloc[0]})"
            if len(turn)
            else "a turn"
        )
        code = ev["code_id"]
        self.suggestion_html.value = (
            f'{len(self.suggestions)} pending — <b style="color:{self.colors.get(code, "#333")}">'
            f"{escape(self.names.get(code, code))}</b> on “{escape(ev['quote'])}” in "
            f"{escape(where)} <i>({escape(ev['origin'])})</i>"
        )

    def accept(self, _button: Any = None) -> dict[str, Any]:
        """Append the first pending suggestion to the log."""
        event = self._pop()
        written = append_events(self.log, [event])[0]
        self._done(f"accepted {self.names.get(event['code_id'], event['code_id'])}")
        self._show_suggestion()
        return written

    def reject(self, _button: Any = None) -> list[dict[str, Any]]:
        """Record the first pending suggestion as rejected (its add and remove, one append)."""
        event = self._pop()
        undo = {
            "event": "remove",
            "coding_id": event["coding_id"],
            "transcript_id": event["transcript_id"],
            "start": event["start"],
            "end": event["end"],
            "code_id": event["code_id"],
            "memo": "rejected suggestion",
        }
        written = append_events(self.log, [event, undo])
        self._done(f"rejected {self.names.get(event['code_id'], event['code_id'])}")
        self._show_suggestion()
        return written

    def skip(self, _button: Any = None) -> None:
        """Put the first pending suggestion last, without recording anything."""
        self.suggestions.append(self._pop())
        self._show_suggestion()

    def _pop(self) -> dict[str, Any]:
        if not self.suggestions:
            raise DsrError("no pending suggestion", hint="click 'suggest codes' first")
        return self.suggestions.pop(0)
