"""Auto-coding review for the coding view: suggestions drawn dashed, accepted or rejected.

:func:`~dsr_workbench.coding.autocode.auto_code` proposes ``add`` events for the transcript that
the coder's log does not hold yet (nor ever held); the view draws them dashed. *Accept*
appends one to the log; *reject* appends it together with its ``remove`` event (memo
``rejected suggestion``), in one atomic append, so the decision is on record and the rule
does not propose it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.coding.autocode import auto_code
from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.coding.codings import append_events, read_log
from dsr_workbench.core.errors import DsrError

__all__ = ["SuggestionReview"]


class SuggestionReview:
    """The suggestion part of :class:`~dsr_workbench.widgets.CodingView` (a mixin).

    The view provides ``log``, ``coder``, ``codebook``, ``transcripts_table``, ``names``,
    ``current_turns()``, ``_remember(label, log, inverse)`` and ``_done(message)``.
    """

    log: Path
    coder: str
    codebook: Codebook
    transcripts_table: pd.DataFrame
    names: dict[str, str]
    suggestions: list[dict[str, Any]]

    def current_turns(self) -> pd.DataFrame:  # pragma: no cover - provided by the view
        raise NotImplementedError

    def _remember(self, label: str, log: Path, inverse: list[dict[str, Any]]) -> None:
        raise NotImplementedError  # pragma: no cover - provided by the view

    def _done(self, message: str) -> None:
        raise NotImplementedError  # pragma: no cover - provided by the view

    def suggest(self, msg: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Propose the codebook's rule matches in this transcript that the log lacks."""
        seen = read_log(self.log) if self.log.exists() else None
        result = auto_code(
            self.current_turns(),
            self.codebook,
            dry_run=False,
            coder=self.coder,
            transcripts=self.transcripts_table,
            log_events=seen,
        )
        self.suggestions = list(result.events)
        self._done(f"{len(self.suggestions)} suggestion(s) from the codebook's rules")
        return list(self.suggestions)

    def suggestion_frame(self) -> pd.DataFrame:
        """The pending suggestions as a codings-like table (for drawing)."""
        rows = self.suggestions
        return pd.DataFrame(
            {
                "coding_id": [e["coding_id"] for e in rows],
                "start": [e["start"] for e in rows],
                "end": [e["end"] for e in rows],
                "code_id": [e["code_id"] for e in rows],
                "coder": [self.coder] * len(rows),
                "origin": [e["origin"] for e in rows],
                "memo": [e.get("memo") for e in rows],
            }
        )

    def accept(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Append the pending suggestion ``msg["id"]`` to the log."""
        event = self._pop(msg)
        written = append_events(self.log, [event])[0]
        inverse = {
            "event": "remove",
            "coding_id": event["coding_id"],
            "transcript_id": event["transcript_id"],
            "start": event["start"],
            "end": event["end"],
            "code_id": event["code_id"],
            "memo": "undo",
        }
        name = self.names.get(event["code_id"], event["code_id"])
        self._remember(f"accept {name}", self.log, [inverse])
        self._done(f"accepted {name}")
        return written

    def reject(self, msg: dict[str, Any]) -> list[dict[str, Any]]:
        """Record the pending suggestion ``msg["id"]`` as rejected (add and remove, one append)."""
        event = self._pop(msg)
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
        return written

    def _pop(self, msg: dict[str, Any]) -> dict[str, Any]:
        wanted = msg.get("id")
        for n, event in enumerate(self.suggestions):
            if event["coding_id"] == wanted:
                return self.suggestions.pop(n)
        raise DsrError(
            f"no pending suggestion {wanted!r}", hint="click 'suggest' to propose codes again"
        )
