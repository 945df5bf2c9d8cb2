"""The coding view: read a transcript, apply and remove codes, write memos, review suggestions.

Every action is one call into :mod:`dsr_workbench.coding.codings` that appends to the coder's log
(``data/codings/<coder>.jsonl``) at once, so a kernel crash loses nothing:

* **apply**: :func:`~dsr_workbench.coding.codings.code_turns` (whole selected turns) or
  :func:`~dsr_workbench.coding.codings.code_span` (the words typed into *span*, found in the one
  selected turn);
* **remove**: :func:`~dsr_workbench.coding.codings.remove` for the codings picked under *codings
  here*, or else for this coder's codings of the selected code in the selected turns;
* **memo**: :func:`~dsr_workbench.coding.codings.memo` on the codings picked under *codings here*;
* **suggestions**: :func:`~dsr_workbench.coding.autocode.auto_code` proposes ``add`` events for the
  transcript; *accept* appends one, *reject* appends it together with its ``remove`` event
  (memo ``rejected suggestion``), so the decision is on record and the rule does not propose
  it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from dsr_workbench.coding.anchored import UNPLACED_COLUMNS, anchored_codings
from dsr_workbench.coding.codebook import Codebook, load_codebook
from dsr_workbench.coding.codings import (
    CODING_COLUMNS,
    code_span,
    code_turns,
    fold,
    log_path,
    memo,
    read_log,
    remove,
)
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.study import Study
from dsr_workbench.widgets._coding_render import (
    code_colors,
    code_options,
    codings_in,
    transcript_html,
    turn_options,
)
from dsr_workbench.widgets._common import ErrorPanel, Notes, escape, widget_bundle
from dsr_workbench.widgets._suggestions import SuggestionReview

__all__ = ["CodingView", "coding_view"]

_ALL = "all"


class CodingView(SuggestionReview):
    """Code transcripts in a notebook; each action is appended to the coder's log at once.

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

    Attributes
    ----------
    kind, perspective, cycle, transcript
        Filters and the transcript dropdown.
    turns_select, span, search, code, memo_text
        Turn selection, optional span words, codebook search and tree, memo text.
    here
        This coder's codings in the selected turns (pick some to remove or annotate).
    apply_button, remove_button, memo_button
        The actions.
    suggest_button, accept_button, reject_button, skip_button, suggestions
        Auto-coding review; ``suggestions`` holds the pending ``add`` events.
    codings
        This coder's current codings, anchored to today's transcripts (re-read from the log
        after every action; see :func:`dsr_workbench.coding.anchored.anchored_codings`).
    unplaced
        This coder's codings that could not be placed (their transcript changed); a note
        counts them.
    log
        The coder's log file.
    """

    def __init__(
        self,
        transcripts: pd.DataFrame,
        turns: pd.DataFrame,
        codebook: Codebook,
        *,
        coder: str,
        data_dir: str | Path,
    ) -> None:
        self.transcripts_table = transcripts
        self.turns_table = turns
        self.codebook = codebook
        self.coder = coder
        self.log = log_path(data_dir, coder)
        self.colors = code_colors(codebook)
        self.names = dict(zip(codebook.codes["code_id"], codebook.codes["name"], strict=True))
        self.errors = ErrorPanel()
        self.notes = Notes()
        self.status = w.HTML()
        self.status.add_class("dsr-coding-status")
        self.codings = pd.DataFrame(columns=CODING_COLUMNS)
        self.unplaced = pd.DataFrame(columns=UNPLACED_COLUMNS)
        guard = self.errors.guard

        def choices(values: Any) -> list[Any]:
            return [_ALL, *sorted(pd.unique(values))]

        self.kind = w.Dropdown(options=choices(transcripts["kind"]), description="kind")
        self.perspective = w.Dropdown(
            options=choices(turns.loc[turns["perspective"] != "researcher", "perspective"]),
            description="perspective",
        )
        self.cycle = w.Dropdown(options=choices(transcripts["cycle"]), description="cycle")
        self.transcript = w.Dropdown(description="transcript", layout=w.Layout(width="420px"))
        self.text = w.HTML(
            layout=w.Layout(
                max_height="420px", overflow="auto", border="1px solid #ddd", padding="4px"
            )
        )
        self.turns_select = w.SelectMultiple(
            description="turns",
            rows=8,
            layout=w.Layout(width="100%"),
            style={"description_width": "90px"},
        )
        self.span = w.Text(
            description="span",
            continuous_update=False,
            placeholder="exact words inside the selected turn (empty: whole turn)",
            layout=w.Layout(width="100%"),
            style={"description_width": "90px"},
        )
        self.search = w.Text(
            description="search", placeholder="find a code", continuous_update=True
        )
        self.code = w.Select(description="code", rows=10, layout=w.Layout(width="360px"))
        self.code_info = w.HTML(layout=w.Layout(width="360px"))
        self.memo_text = w.Textarea(
            description="memo", placeholder="a note (optional)", layout=w.Layout(width="100%")
        )
        self.here = w.SelectMultiple(
            description="codings here",
            rows=5,
            layout=w.Layout(width="100%"),
            style={"description_width": "90px"},
        )
        self.apply_button = w.Button(description="apply code", button_style="primary", icon="tag")
        self.remove_button = w.Button(
            description="remove code", button_style="warning", icon="times"
        )
        self.memo_button = w.Button(description="save memo", icon="sticky-note")
        for name in (
            "kind",
            "perspective",
            "cycle",
            "transcript",
            "turns_select",
            "span",
            "search",
            "code",
            "memo_text",
            "here",
            "apply_button",
            "remove_button",
            "memo_button",
            "text",
        ):
            getattr(self, name).add_class(f"dsr-coding-{name.replace('_', '-')}")

        for control in (self.kind, self.perspective, self.cycle):
            control.observe(guard(self._on_filter), names="value")
        self.transcript.observe(guard(self._on_transcript), names="value")
        self.turns_select.observe(guard(self._on_turns), names="value")
        self.search.observe(guard(self._on_search), names="value")
        self.code.observe(guard(self._on_code), names="value")
        self.apply_button.on_click(guard(self.apply))
        self.remove_button.on_click(guard(self.remove))
        self.memo_button.on_click(guard(self.save_memo))

        left = w.VBox(
            [self.text, self.turns_select, self.span, self.here], layout=w.Layout(width="62%")
        )
        right = w.VBox(
            [
                self.search,
                self.code,
                self.code_info,
                self.memo_text,
                w.HBox([self.apply_button, self.remove_button, self.memo_button]),
            ],
            layout=w.Layout(width="38%"),
        )
        review = self._review_box(guard)
        self.widget = w.VBox(
            [
                w.HTML(f"coder <b>{escape(coder)}</b> — log <code>{escape(self.log)}</code>"),
                w.HBox([self.kind, self.perspective, self.cycle]),
                self.transcript,
                self.errors.output,
                self.status,
                w.HBox([left, right]),
                review,
                self.notes.widget,
            ]
        )
        self.widget.add_class("dsr-coding-view")
        guard(self._start)()

    # ------------------------------------------------------------------ reading

    def _start(self) -> None:
        self._on_search()
        self._reload()
        self._on_filter()

    def _reload(self) -> None:
        """Re-read this coder's log (the truth, not a copy kept in the widget), anchored to
        today's transcripts; codings that cannot be placed are not drawn but counted."""
        if self.log.exists():
            anchored = anchored_codings(
                fold(read_log(self.log)), self.transcripts_table, self.turns_table
            )
            self.codings = anchored.codings
            self.unplaced = anchored.unplaced
            if anchored.n_unplaced:
                self.notes.set(anchored.note(), warn=True)
        else:
            self.codings = pd.DataFrame(columns=CODING_COLUMNS)

    def _on_filter(self, change: Any = None) -> None:
        table = self.transcripts_table
        keep = pd.Series(True, index=table.index)
        if self.kind.value != _ALL:
            keep &= table["kind"] == self.kind.value
        if self.cycle.value != _ALL:
            keep &= table["cycle"] == self.cycle.value
        if self.perspective.value != _ALL:
            turns = self.turns_table
            having = turns.loc[turns["perspective"] == self.perspective.value, "transcript_id"]
            keep &= table["transcript_id"].isin(set(having))
        rows = table[keep.to_numpy(dtype=bool)]
        options = [
            (f"{t} · {k.replace('_', ' ')} · cycle {c} · {d}", t)
            for t, k, c, d in zip(
                rows["transcript_id"], rows["kind"], rows["cycle"], rows["date"], strict=True
            )
        ]
        current = self.transcript.value
        self.transcript.options = options
        ids = [v for _, v in options]
        self.transcript.value = current if current in ids else (ids[0] if ids else None)
        if not ids:
            self.notes.set("No transcript matches these filters.", warn=True)
            self.text.value = ""
            self.turns_select.options = []

    def _turns(self) -> pd.DataFrame:
        turns = self.turns_table
        return turns[turns["transcript_id"] == self.transcript.value]

    def _transcript_row(self) -> pd.Series:
        rows = self.transcripts_table
        return rows[rows["transcript_id"] == self.transcript.value].iloc[0]

    def _on_transcript(self, change: Any = None) -> None:
        if self.transcript.value is None:
            return
        self.turns_select.options = turn_options(self._turns())
        self.suggestions = []
        self._show_suggestion()
        self.render()

    def _on_turns(self, change: Any = None) -> None:
        self.render()

    def _on_search(self, change: Any = None) -> None:
        options = code_options(self.codebook, self.search.value)
        current = self.code.value
        self.code.options = options
        ids = [v for _, v in options]
        self.code.value = current if current in ids else None
        if not options:
            self.code_info.value = "<i>no code matches</i>"

    def _on_code(self, change: Any = None) -> None:
        code = self.code.value
        if code is None:
            self.code_info.value = ""
            return
        row = self.codebook.codes.set_index("code_id").loc[code]
        parts = [f'<b style="color:{self.colors[code]}">{escape(row["name"])}</b> ({code})']
        for field, label in (
            ("level", "level"),
            ("definition", "definition"),
            ("coding_rule", "rule"),
            ("anchor_example", "example"),
        ):
            if pd.notna(row[field]):
                parts.append(f"<br><i>{label}:</i> {escape(row[field])}")
        self.code_info.value = "".join(parts)

    def _selected_turns(self) -> pd.DataFrame:
        turns = self._turns()
        return turns[turns["turn"].isin(self.turns_select.value)]

    def render(self) -> None:
        """Redraw the transcript with this coder's codes and the codings of the selection."""
        if self.transcript.value is None:
            return
        tid = self.transcript.value
        mine = self.codings[self.codings["transcript_id"] == tid]
        self.text.value = transcript_html(
            self._turns(),
            mine,
            self.colors,
            names=self.names,
            selected=tuple(self.turns_select.value),
        )
        chosen = self._selected_turns()
        rows = [
            codings_in(mine, tid, int(a), int(b))
            for a, b in zip(chosen["start"], chosen["end"], strict=True)
        ]
        here = pd.concat(rows).drop_duplicates("coding_id") if rows else mine.iloc[:0]
        self.here.options = [
            (
                f"[{self.names.get(c, c)}] “{' '.join(str(q).split())[:60]}”"
                + (f" — memo: {m}" if isinstance(m, str) and m else ""),
                i,
            )
            for i, c, q, m in zip(
                here["coding_id"], here["code_id"], here["quote"], here["memo"], strict=True
            )
        ]

    # ------------------------------------------------------------------ actions

    def _require_code(self) -> str:
        if self.code.value is None:
            raise DsrError("no code selected", hint="pick a code in the codebook tree")
        return str(self.code.value)

    def _require_turns(self) -> pd.DataFrame:
        chosen = self._selected_turns()
        if chosen.empty:
            raise DsrError("no turn selected", hint="select one or more turns first")
        return chosen

    def apply(self, _button: Any = None) -> list[dict[str, Any]]:
        """Code the selected turns (or the span words in the one selected turn)."""
        code = self._require_code()
        chosen = self._require_turns()
        note = self.memo_text.value.strip() or None
        words = self.span.value
        if words.strip():
            if len(chosen) != 1:
                raise DsrError(
                    f"a span needs exactly one selected turn ({len(chosen)} selected)",
                    hint="select only the turn that holds the words",
                )
            turn = chosen.iloc[0]
            at = str(turn["text"]).find(words)
            if at < 0:
                raise DsrError(
                    f"the words {words!r} are not in turn {int(turn['turn'])}",
                    hint="copy them exactly from the turn's text",
                )
            start = int(turn["start"]) + at
            events = [
                code_span(
                    self.log,
                    self._transcript_row(),
                    start,
                    start + len(words),
                    code,
                    codebook=self.codebook,
                    quote=words,
                    memo=note,
                )
            ]
        else:
            events = code_turns(
                self.log, chosen, self.transcripts_table, code, codebook=self.codebook, memo=note
            )
        self._done(f"coded {len(events)} passage(s) with {self.names.get(code, code)}")
        self.span.value = ""
        return events

    def remove(self, _button: Any = None) -> list[dict[str, Any]]:
        """Remove the codings picked under *codings here*, else the selected code there."""
        picked = list(self.here.value)
        if not picked:
            code = self._require_code()
            chosen = self._require_turns()
            tid = self.transcript.value
            hits = [
                codings_in(self.codings, tid, int(a), int(b))
                for a, b in zip(chosen["start"], chosen["end"], strict=True)
            ]
            found = pd.concat(hits)
            picked = list(dict.fromkeys(found.loc[found["code_id"] == code, "coding_id"]))
            if not picked:
                raise DsrError(
                    f"no coding of {code!r} by {self.coder} in the selected turns",
                    hint="pick the coding under 'codings here'",
                )
        note = self.memo_text.value.strip() or None
        events = [remove(self.log, c, codings=self.codings, memo=note) for c in picked]
        self._done(f"removed {len(events)} coding(s)")
        return events

    def save_memo(self, _button: Any = None) -> list[dict[str, Any]]:
        """Attach the memo text to the codings picked under *codings here*."""
        picked = list(self.here.value)
        if not picked:
            raise DsrError(
                "no coding picked for the memo",
                hint="pick one or more codings under 'codings here'",
            )
        text = self.memo_text.value.strip()
        if not text:
            raise DsrError("the memo is empty", hint="write the note first")
        events = [memo(self.log, c, text, codings=self.codings) for c in picked]
        self._done(f"memo saved on {len(events)} coding(s)")
        self.memo_text.value = ""
        return events

    def _done(self, message: str) -> None:
        self._reload()
        self.render()
        self.status.value = f'<span style="color:#1b7f3b">{escape(message)}</span>'

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
        ``<data>/codebook.yaml``).
    transcripts, turns
        The corpus tables (default: :func:`dsr_workbench.corpus.read.load_corpus`).

    Examples
    --------
    >>> import shutil, tempfile, pathlib
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> from dsr_workbench.corpus.study import load_study
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = shutil.copy(EXAMPLE_STUDY, root / "study.yaml")
    >>> _ = shutil.copytree(pathlib.Path(EXAMPLE_STUDY).parent / "interviews", root / "interviews")
    >>> book = parse_codebook("codes:\\n  - {id: CAP, name: Capacity, rules: {keywords: [capacity]}}")
    >>> view = coding_view(load_study(root), "R2", codebook=book)
    >>> view.transcript.value = "I02"
    >>> view.turns_select.value = (4,)
    >>> view.code.value = "CAP"
    >>> [e["code_id"] for e in view.apply()], len(view.codings)
    (['CAP'], 1)
    """
    from dsr_workbench.corpus.read import load_corpus

    if transcripts is None or turns is None:
        transcripts, turns = load_corpus(study)
    if codebook is None:
        codebook = study.data_dir / "codebook.yaml"
    if not isinstance(codebook, Codebook):
        path = Path(codebook)
        if not path.exists():
            raise DsrError(
                "no codebook", path=path, hint="write data/codebook.yaml or pass codebook="
            )
        codebook = load_codebook(path)
    return CodingView(transcripts, turns, codebook, coder=coder, data_dir=study.data_dir)
