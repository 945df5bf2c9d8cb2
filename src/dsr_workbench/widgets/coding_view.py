"""The coding view: select words with the mouse, pick a code, see the highlight.

The transcript is drawn by a front-end widget
(:class:`~dsr_workbench.widgets._coding_widget.TranscriptWidget`) that owns only the
gestures; this class is the source of truth. Every action the browser sends is one custom
message handled by :meth:`CodingView.handle`, and every action that changes codings is ONE
append to a coder's log (``data/codings/<coder>.jsonl``), made at once, so a kernel crash
loses nothing:

``apply`` {start, end, quote, code}
    :func:`~dsr_workbench.coding.codings.code_span`, after checking that the selection lies in
    one turn and that ``text[start:end] == quote`` (code-point offsets);
``remove`` {id} / ``memo`` {id, memo}
    :func:`~dsr_workbench.coding.codings.remove` / :func:`~dsr_workbench.coding.codings.memo`;
``invivo`` {start, end, quote, parent}
    a new code named from the selection, added to the codebook file
    (:func:`~dsr_workbench.coding.codebook_edit.add_code`, validated before it is written),
    then the selection coded with it;
``undo``
    appends the inverse of this session's last action (a remove for an add, the add again
    for a remove, the previous note for a memo): nothing is ever rewritten;
``suggest`` / ``accept`` {id} / ``reject`` {id}
    auto-coding review (:mod:`dsr_workbench.widgets._suggestions`);
``compare`` {coder} / ``resolve`` {index, decision}
    two coders side by side; a decision on a disagreement is written to the ``consensus``
    log as the event :func:`~dsr_workbench.analysis.reliability_codings.consensus_events`
    makes;
``reload`` / ``ready``
    re-read the corpus from disk / the view asks for its state when it mounts.

A refused action (a selection over two turns, a quote that no longer matches, an unknown
code, a read-only log, an in-vivo edit that fails validation) writes nothing and shows one
line in the widget's error line (:attr:`CodingView.error`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from dsr_workbench.coding.anchored import UNPLACED_COLUMNS, anchored_codings
from dsr_workbench.coding.codebook import Codebook, load_codebook
from dsr_workbench.coding.codebook_edit import add_code
from dsr_workbench.coding.codings import (
    append_events,
    code_span,
    log_path,
    memo,
    remove,
)
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.study import Study
from dsr_workbench.widgets._coding_compare import Comparison, compare_transcript
from dsr_workbench.widgets._coding_events import (
    QuoteMismatch,
    _add_of,
    _codings_of,
    _empty,
    _remove_of,
    _short,
    checked_span,
    decided,
    fold_in,
    inverse_of,
    placed_as_made,
)
from dsr_workbench.widgets._coding_render import (
    code_colors,
    code_payload,
    disagreement_payload,
    merge_edits,
    span_payload,
    turn_payload,
)
from dsr_workbench.widgets._coding_widget import TranscriptWidget
from dsr_workbench.widgets._common import Notes, escape, widget_bundle
from dsr_workbench.widgets._suggestions import SuggestionReview

__all__ = ["CONSENSUS", "CodingView", "coding_view"]

CONSENSUS = "consensus"
"""The coder name consensus decisions are logged under (``data/codings/consensus.jsonl``)."""
EDITS_MAX = 200
"""Edits sent on top of the spans before all spans are sent again (see :attr:`CodingView.spans`)."""


class CodingView(SuggestionReview):
    """Code transcripts with the mouse; each action is appended to the coder's log at once.

    Parameters
    ----------
    transcripts, turns
        The corpus tables (:func:`dsr_workbench.corpus.read.load_corpus`).
    codebook
        The study's codebook.
    coder
        Who codes; the log is ``<data_dir>/codings/<coder>.jsonl``.
    data_dir
        The study's ``data`` folder.
    codebook_path
        The codebook's file, for in-vivo codes (``None``: in-vivo coding is refused).
    reload
        Re-reads ``(transcripts, turns)`` from disk (the *reload* action); default: keep them.

    Attributes
    ----------
    view
        The front end (:class:`~dsr_workbench.widgets._coding_widget.TranscriptWidget`).
    transcript
        The transcript dropdown.
    codings, raw
        This coder's current codings anchored to today's transcripts, and as in the log.
    unplaced
        This coder's codings that could not be placed (their transcript changed).
    history
        This session's undoable actions: ``(label, log, inverse events)``.
    comparison
        The current :class:`~dsr_workbench.widgets._coding_compare.Comparison`, or ``None``.
    log, consensus_log
        The coder's log and the consensus log.
    """

    def __init__(
        self,
        transcripts: pd.DataFrame,
        turns: pd.DataFrame,
        codebook: Codebook,
        *,
        coder: str,
        data_dir: str | Path,
        codebook_path: str | Path | None = None,
        reload: Callable[[], tuple[pd.DataFrame, pd.DataFrame]] | None = None,
    ) -> None:
        self.transcripts_table = transcripts
        self.turns_table = turns
        self.coder = coder
        self.data_dir = Path(data_dir)
        self.log = log_path(data_dir, coder)
        self.consensus_log = log_path(data_dir, CONSENSUS)
        self.codebook_path = None if codebook_path is None else Path(codebook_path)
        self._reload_corpus = reload
        self.codings = _empty()
        self.raw = _empty()
        self.unplaced = pd.DataFrame(columns=UNPLACED_COLUMNS)
        self.suggestions: list[dict[str, Any]] = []
        self.history: list[tuple[str, Path, list[dict[str, Any]]]] = []
        self.comparison: Comparison | None = None
        self.other = _empty()
        self.notes = Notes()
        self.view = TranscriptWidget(coder=coder)
        self._set_codebook(codebook)
        self.view.on_msg(self._on_msg)
        self.transcript = w.Dropdown(description="transcript", layout=w.Layout(width="480px"))
        self.transcript.add_class("dsr-coding-transcript")
        self._fill_transcripts()
        self.widget = w.VBox(
            [
                w.HTML(
                    f"coder <b>{escape(coder)}</b> — log <code>{escape(self._shown_log())}</code>"
                ),
                self.transcript,
                self.notes.widget,
                self.view,
            ]
        )
        self.widget.add_class("dsr-coding-view")
        self._reload()
        self.transcript.observe(self._on_transcript, names="value")
        self._on_transcript()

    # ------------------------------------------------------------------ state

    def _shown_log(self) -> str:
        """The log's path as the study names it (``data/codings/R1.jsonl``), not the machine's."""
        root, log = self.data_dir.resolve().parent, self.log.resolve()
        return str(log.relative_to(root)) if log.is_relative_to(root) else log.name

    @property
    def error(self) -> str:
        """The widget's error line (``""`` when the last action succeeded)."""
        return str(self.view.error)

    @property
    def transcript_id(self) -> str | None:
        """The transcript shown."""
        value = self.transcript.value
        return None if value is None else str(value)

    def _set_codebook(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.colors = code_colors(codebook)
        self.names = dict(zip(codebook.codes["code_id"], codebook.codes["name"], strict=True))
        self.view.codes = code_payload(codebook, self.colors)

    def _fill_transcripts(self) -> None:
        table = self.transcripts_table
        current = self.transcript.value
        options = [
            (f"{t} · {str(k).replace('_', ' ')} · cycle {c} · {d}", t)
            for t, k, c, d in zip(
                table["transcript_id"], table["kind"], table["cycle"], table["date"], strict=True
            )
        ]
        self.transcript.options = options
        ids = [v for _, v in options]
        self.transcript.value = current if current in ids else (ids[0] if ids else None)
        self.view.coders = sorted(
            p.stem for p in (self.data_dir / "codings").glob("*.jsonl") if p.stem != self.coder
        )

    def current_turns(self) -> pd.DataFrame:
        """The turns of the transcript shown."""
        turns = self.turns_table
        return turns[turns["transcript_id"] == self.transcript_id]

    def _row(self) -> pd.Series:
        rows = self.transcripts_table
        return rows[rows["transcript_id"] == self.transcript_id].iloc[0]

    def _reload(self) -> None:
        """Re-read this coder's log (the truth), anchored to today's transcripts."""
        self.raw = _codings_of(self.log)
        anchored = anchored_codings(self.raw, self.transcripts_table, self.turns_table)
        self.codings, self.unplaced = anchored.codings, anchored.unplaced
        self.notes.set(anchored.note() if anchored.n_unplaced else "", warn=True)

    def _on_transcript(self, change: Any = None) -> None:
        self.suggestions = []
        if self.transcript_id is None:
            return
        row = self._row()
        self.view.transcript_id = self.transcript_id
        self.view.text = str(row["text"])
        self.view.turns = turn_payload(self.current_turns())
        self._compare_again()
        self.draw()

    def draw(self) -> None:
        """Send the spans of the transcript shown to the front end (a new list)."""
        tid = self.transcript_id
        mine = self.codings[self.codings["transcript_id"] == tid]
        spans = span_payload(mine, "a")
        if self.comparison is not None:
            other = self.other[self.other["transcript_id"] == tid]
            spans += span_payload(other, "b")
            table = self.comparison.disagreements
            if len(table):
                spans += disagreement_payload(table, decided(self.consensus_log, tid))
        if self.suggestions:
            spans += span_payload(self.suggestion_frame(), "s")
        with self.view.hold_sync():
            self.view.edits, self.view.spans = [], spans

    @property
    def spans(self) -> list[dict[str, Any]]:
        """What the front end draws: its ``spans`` with its ``edits`` applied (the changes since)."""
        return merge_edits(self.view.spans, self.view.edits)

    def _fold_in(self, events: list[dict[str, Any]]) -> None:
        """Fold this session's append to the coder's log in; send only the spans it changed."""
        ids = {str(e["coding_id"]) for e in events}
        self.raw = fold_in(self.raw, events)
        fresh = self.raw[self.raw["coding_id"].isin(ids)]
        placed = placed_as_made(fresh, self.codings, self._row()["sha256"], self.current_turns())
        if placed is None:
            anchored = anchored_codings(fresh, self.transcripts_table, self.turns_table)
            if anchored.n_unplaced:  # not for a coding made on today's text; but never guess
                self._reload()
                self.draw()
                return
            placed = anchored.codings
        kept = self.codings[~self.codings["coding_id"].isin(ids)]
        self.codings = pd.concat([kept, placed], ignore_index=True) if len(kept) else placed
        edits = {e["i"]: e for e in self.view.edits} | {i: {"i": i, "del": True} for i in ids}
        shown = placed[placed["transcript_id"] == self.transcript_id]
        edits |= {s["i"]: s for s in span_payload(shown, "a")}
        if len(edits) > EDITS_MAX:
            self.draw()
        else:
            self.view.edits = list(edits.values())

    # ------------------------------------------------------------------ messages

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict):
            with self.view.hold_sync():  # the action's changes reach the browser as one message
                self.handle(content)

    def handle(self, msg: dict[str, Any]) -> Any:
        """Handle one message of the front end; errors go to the error line, not raised.

        Parameters
        ----------
        msg
            ``{"action": ..., ...}`` (see the module docstring).

        Returns
        -------
        The action's result (e.g. the event written), or ``None`` if it was refused.
        """
        actions: dict[str, Callable[[dict[str, Any]], Any]] = {
            "ready": self._ready,
            "apply": self.apply,
            "remove": self.remove,
            "memo": self.save_memo,
            "undo": self.undo,
            "invivo": self.in_vivo,
            "suggest": self.suggest,
            "accept": self.accept,
            "reject": self.reject,
            "compare": self.compare,
            "resolve": self.resolve,
            "reload": self.reload,
        }
        action = msg.get("action")
        try:
            if action not in actions:
                raise DsrError(
                    f"unknown action {action!r}", hint=f"use one of {', '.join(actions)}"
                )
            result = actions[str(action)](msg)
        except DsrError as exc:
            self.view.error = " ".join(str(exc).split())
            return None
        except OSError as exc:
            where = exc.filename or self.log
            self.view.error = (
                f"cannot write {where}: {exc.strerror or exc} (fix: make the file writable, "
                "then repeat the action; nothing was written)"
            )
            return None
        self.view.error = ""
        if action != "reload":
            self.view.reload = False
        return result

    def _ready(self, msg: dict[str, Any]) -> None:
        self.draw()

    def _done(self, message: str, events: list[dict[str, Any]] | None = None) -> None:
        """After an action: fold its ``events`` (appended to the coder's log) in, or re-read."""
        if events is None:
            self._reload()
            self.draw()
        else:
            self._fold_in(events)
        self.view.status = message

    def _remember(self, label: str, log: Path, inverse: list[dict[str, Any]]) -> None:
        if inverse:
            self.history.append((label, log, inverse))

    def _use(self, code: str) -> None:
        self.view.recent = [code, *[c for c in self.view.recent if c != code]][:9]

    # ------------------------------------------------------------------ actions

    def _span(self, msg: dict[str, Any]) -> tuple[int, int, str]:
        """The selection of a message, checked (a quote mismatch offers a reload)."""
        try:
            return checked_span(msg, str(self._row()["text"]), self.current_turns())
        except QuoteMismatch:
            self.view.reload = True
            raise

    def apply(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        """Code the selection ``msg`` (start, end, quote) with ``msg["code"]``."""
        start, end, quote = self._span(msg)
        code = str(msg.get("code") or "")
        if not code:
            raise DsrError("no code picked", hint="pick a code in the palette (or press 1-9)")
        tid = self.transcript_id
        mine = self.raw  # the offsets first (integer arrays), then the few rows they leave
        held = mine[(mine["start"].to_numpy() == start) & (mine["end"].to_numpy() == end)]
        if ((held["transcript_id"] == tid) & (held["code_id"] == code)).any():
            self._use(code)
            self.view.status = f"already coded with {self.names.get(code, code)}"
            return None
        note = str(msg.get("memo") or "").strip() or None
        event = code_span(
            self.log, self._row(), start, end, code, codebook=self.codebook, quote=quote, memo=note
        )
        self._remember(f"apply {self.names.get(code, code)}", self.log, [_remove_of(event)])
        self._use(code)
        self._done(f"coded “{_short(quote)}” with {self.names.get(code, code)}", [event])
        return event

    def _find(self, coding: object) -> pd.Series:
        hit = self.raw[self.raw["coding_id"] == coding]
        if hit.empty:
            raise DsrError(
                f"coding {coding!r} is not a current coding of {self.coder}",
                path=self.log,
                hint="only your own codings can be changed; reload the view",
            )
        return hit.iloc[0]

    def remove(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Remove this coder's coding ``msg["id"]``."""
        row = self._find(msg.get("id"))
        event = remove(self.log, str(row["coding_id"]), codings=self.raw)
        self._remember(
            f"remove {self.names.get(row['code_id'], row['code_id'])}", self.log, [_add_of(row)]
        )
        self._done(f"removed {self.names.get(row['code_id'], row['code_id'])}", [event])
        return event

    def save_memo(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Attach the note ``msg["memo"]`` to this coder's coding ``msg["id"]``."""
        row = self._find(msg.get("id"))
        text = str(msg.get("memo") or "").strip()
        if not text:
            raise DsrError("the memo is empty", hint="write the note first")
        event = memo(self.log, str(row["coding_id"]), text, codings=self.raw)
        before = row["memo"] if isinstance(row["memo"], str) else ""
        back = {"event": "memo", "coding_id": row["coding_id"], "memo": before}
        self._remember("memo", self.log, [back])
        self._done("memo saved", [event])
        return event

    def undo(self, msg: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Append the inverse of this session's last action (nothing is rewritten)."""
        if not self.history:
            raise DsrError(
                "nothing to undo in this session",
                hint="undo reaches back only to actions made since the view was opened",
            )
        label, log, inverse = self.history[-1]
        written = append_events(log, inverse)
        self.history.pop()
        if log == self.consensus_log:
            self._compare_again()
        self._done(f"undid {label}", written if log == self.log else None)
        return written

    def in_vivo(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Add a code named from the selection to the codebook file, then code the selection."""
        start, end, quote = self._span(msg)
        if self.codebook_path is None:
            raise DsrError(
                "in-vivo coding needs the codebook's file",
                hint="open the view with coding_view(study, coder) or pass codebook_path=",
            )
        parent = str(msg.get("parent") or "") or None
        book, code = add_code(self.codebook_path, str(msg.get("name") or quote), parent=parent)
        self._set_codebook(book)
        event = code_span(self.log, self._row(), start, end, code, codebook=book, quote=quote)
        self._remember(f"in-vivo {code}", self.log, [_remove_of(event)])
        self._use(code)
        self._done(
            f"new code {code} (in vivo) added to {self.codebook_path.name} and applied", [event]
        )
        return event

    def reload(self, msg: dict[str, Any] | None = None) -> None:
        """Re-read the corpus (if the view can) and this coder's log; redraw."""
        if self._reload_corpus is not None:
            self.transcripts_table, self.turns_table = self._reload_corpus()
        self.view.reload = False
        self._fill_transcripts()
        self._reload()
        self._on_transcript()
        self.view.status = "reloaded"

    # ------------------------------------------------------------------ comparison

    def compare(self, msg: dict[str, Any]) -> Comparison | None:
        """Compare with coder ``msg["coder"]`` (``""``: stop comparing)."""
        other = str(msg.get("coder") or "")
        if not other:
            self.comparison, self.view.compare, self.view.agreement = None, "", []
            self.draw()
            return None
        path = log_path(self.data_dir, other)
        if other == self.coder or not path.exists():
            raise DsrError(
                f"no other coder {other!r} to compare with",
                path=path,
                hint=f"pick one of {', '.join(self.view.coders) or '(no other log yet)'}",
            )
        self.view.compare = other
        self._compare_again()
        self.draw()
        return self.comparison

    def _compare_again(self) -> None:
        other = str(self.view.compare)
        if not other or self.transcript_id is None:
            return
        found = _codings_of(log_path(self.data_dir, other))
        self.other = anchored_codings(found, self.transcripts_table, self.turns_table).codings
        both = pd.concat([self.codings, self.other], ignore_index=True)
        self.comparison = compare_transcript(
            both, self.turns_table, self.transcript_id, (self.coder, other)
        )
        self.view.agreement = self.comparison.agreement_payload(self.names)
        if self.comparison.note:
            self.view.status = self.comparison.note

    def resolve(self, msg: dict[str, Any]) -> list[dict[str, Any]]:
        """Decide disagreement ``msg["index"]``: ``msg["decision"]`` present or absent."""
        from dsr_workbench.analysis.reliability_codings import consensus_events

        if self.comparison is None:
            raise DsrError("no comparison open", hint="pick a coder to compare with first")
        table = self.comparison.disagreements
        try:
            index = int(msg["index"])
            row = table.iloc[[index]]
        except (KeyError, TypeError, ValueError, IndexError):
            raise DsrError(
                f"no disagreement {msg.get('index')!r}", hint="click a marked disagreement"
            ) from None
        events = consensus_events(row.assign(decision=[msg.get("decision")]), coder=CONSENSUS)
        before = _codings_of(self.consensus_log)
        written = append_events(self.consensus_log, events, transcripts=self.transcripts_table)
        self._remember("resolve", self.consensus_log, inverse_of(written, before))
        code = str(row["code_id"].iloc[0])
        self._done(f"resolved {self.names.get(code, code)}: {msg.get('decision')}")
        return written

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return widget_bundle(
            self.widget, "Coding view (live: open the notebook in JupyterLab)", **kwargs
        )


def coding_view(
    study: Study,
    coder: str,
    *,
    codebook: Codebook | str | Path | None = None,
    transcripts: pd.DataFrame | None = None,
    turns: pd.DataFrame | None = None,
) -> CodingView:
    """Build a :class:`CodingView` for a study (reads the corpus and codebook if not given).

    Parameters
    ----------
    study
        From :func:`dsr_workbench.corpus.study.load_study`.
    coder
        Who codes (their log is ``data/codings/<coder>.jsonl``).
    codebook
        A :class:`~dsr_workbench.coding.codebook.Codebook` or its file (default
        ``<data>/codebook.yaml``); in-vivo codes are added to the file.
    transcripts, turns
        The corpus tables (default: :func:`dsr_workbench.corpus.read.load_corpus`).

    Examples
    --------
    >>> import shutil, tempfile, pathlib
    >>> from dsr_workbench.corpus.study import load_study
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = shutil.copy(EXAMPLE_STUDY, root / "study.yaml")
    >>> _ = shutil.copytree(pathlib.Path(EXAMPLE_STUDY).parent / "interviews", root / "interviews")
    >>> (root / "data").mkdir()
    >>> _ = (root / "data" / "codebook.yaml").write_text("codes:\\n  - {id: CAP, name: Capacity}\\n")
    >>> view = coding_view(load_study(root), "R2")
    >>> view.transcript.value = "I02"
    >>> text = view.view.text
    >>> at = text.index("capacity")
    >>> msg = {"action": "apply", "start": at, "end": at + 8, "quote": "capacity", "code": "CAP"}
    >>> view.handle(msg)["code_id"], len(view.codings), view.error
    ('CAP', 1, '')
    """
    from dsr_workbench.corpus.read import load_corpus

    if transcripts is None or turns is None:
        transcripts, turns = load_corpus(study)
    path: Path | None = None
    if codebook is None:
        codebook = study.data_dir / "codebook.yaml"
    if not isinstance(codebook, Codebook):
        path = Path(codebook)
        if not path.exists():
            raise DsrError(
                "no codebook", path=path, hint="write data/codebook.yaml or pass codebook="
            )
        codebook = load_codebook(path)
    return CodingView(
        transcripts,
        turns,
        codebook,
        coder=coder,
        data_dir=study.data_dir,
        codebook_path=path,
        reload=lambda: load_corpus(study),
    )
