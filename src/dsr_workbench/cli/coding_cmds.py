"""``dsr code --serve``, ``dsr code auto``, ``dsr quotes``, ``dsr codes stats``, ``dsr codings check``.

They read the study's corpus, its codebook (``<data>/codebook.yaml``) and the coding logs
(``<data>/codings/*.jsonl``). ``dsr code --serve`` serves the mouse-driven coding view
(:func:`~dsr_workbench.widgets.coding_view.coding_view`) with Voilà on 127.0.0.1, the way
``dsr present`` serves the facilitator notebook (:mod:`dsr_workbench.widgets.serve`): a
token in the printed URL, only the served origin may connect, nothing loaded from the
network, and Voilà stops with the command however it is stopped.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from dsr_workbench.cli._terminal import serve_until_stopped
from dsr_workbench.core.errors import DsrError

SERVE_PORT = 8867
"""The default port of ``dsr code --serve`` (``dsr present`` uses Voilà's 8866)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the coding commands to ``dsr``."""
    p = sub.add_parser(
        "code",
        help="coding commands (the coding view in a browser, auto-coding)",
        description="`dsr code --serve --coder NAME` serves the coding view (select words with "
        "the mouse, pick a code) with Voila on 127.0.0.1 and prints its URL; every action is "
        "appended to data/codings/NAME.jsonl at once. `dsr code auto` applies the codebook's "
        "auto-coding rules.",
    )
    p.add_argument(
        "--serve", action="store_true", help="serve the coding view with Voila on 127.0.0.1"
    )
    p.add_argument(
        "--coder",
        dest="serve_coder",
        default=None,
        metavar="NAME",
        help="with --serve: whose log the view writes (default: $DSR_CODER)",
    )
    p.add_argument(
        "--transcript",
        dest="serve_transcript",
        metavar="ID",
        help="with --serve: the transcript to open first (default: the first)",
    )
    p.add_argument(
        "--port",
        dest="serve_port",
        metavar="PORT",
        type=int,
        default=SERVE_PORT,
        help=f"with --serve: the port (default {SERVE_PORT}; 0: any free)",
    )
    p.add_argument(
        "--no-browser",
        dest="serve_no_browser",
        action="store_true",
        help="with --serve: do not open a browser",
    )
    p.set_defaults(handler=_code)
    code_sub = p.add_subparsers(dest="code_command", metavar="[ACTION]", required=False)
    auto = code_sub.add_parser(
        "auto",
        help="apply the codebook's keyword/regex/speaker rules to every transcript",
        description="Apply every auto-coding rule of data/codebook.yaml in one pass and append "
        "the new codings (origin rule:<code>) to the coder's log. Codings the log ever held are "
        "not proposed again, so a reviewer's removals stick; this is checked again under the "
        "log's lock, so two runs at once append each coding once.",
    )
    auto.add_argument("--dry-run", action="store_true", help="only list the matches")
    auto.add_argument(
        "--coder",
        default=os.environ.get("DSR_CODER"),
        help="whose log to append to (default: $DSR_CODER)",
    )
    auto.add_argument(
        "--unit",
        choices=["match", "turn"],
        default="match",
        help="code the matched words (default) or the whole turn",
    )
    auto.add_argument("--csv", action="store_true", help="print the matches as CSV")
    auto.set_defaults(handler=_auto)

    p = sub.add_parser("quotes", help="the quotes coded with a code (and its sub-codes)")
    p.add_argument("code", help="a code id of the codebook")
    p.add_argument("--no-subtree", action="store_true", help="leave out the sub-codes")
    p.add_argument("--coder", help="only this coder's codings")
    p.add_argument("--perspective", help="only this perspective (client, cmo, ...)")
    p.add_argument("--cycle", type=int, help="only this design cycle")
    p.add_argument("--csv", action="store_true", help="print CSV instead of text")
    p.set_defaults(handler=_quotes)

    p = sub.add_parser("codes", help="codebook commands (statistics)")
    codes_sub = p.add_subparsers(dest="codes_command", metavar="ACTION", required=True)
    stats = codes_sub.add_parser("stats", help="how often each code was applied")
    stats.add_argument(
        "--by",
        choices=[
            "transcript",
            "organisation",
            "perspective",
            "kind",
            "cycle",
            "participant",
            "coder",
        ],
        help="break the counts down (default: overall)",
    )
    stats.add_argument(
        "--rollup", action="store_true", help="count sub-codes' codings for their parents too"
    )
    stats.add_argument("--coder", help="only this coder's codings")
    stats.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    stats.set_defaults(handler=_stats)

    p = sub.add_parser("codings", help="coding-log commands (checks)")
    codings_sub = p.add_subparsers(dest="codings_command", metavar="ACTION", required=True)
    check = codings_sub.add_parser(
        "check",
        help="list codings that moved, need a look, or are lost (exit 1 if any lost)",
        description="Re-anchor every coding against the current transcripts and list those "
        "that moved, were re-anchored by a fuzzy match, or cannot be found, codings whose code "
        "is no longer in the codebook, and damaged log lines. Exit 1 if any coding is lost, "
        "uses an unknown code, or a log line is damaged.",
    )
    check.add_argument(
        "--threshold", type=float, default=None, help="minimum fuzzy score 0-100 (default 90)"
    )
    check.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    check.set_defaults(handler=_check)


@contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        sys.stderr.write(f"dsr: warning: {w.message}\n")


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _table(frame: pd.DataFrame, csv: bool) -> str:
    if csv:
        return frame.to_csv(index=False)
    return frame.to_string(index=False) if len(frame) else "(none)"


def _load(args: argparse.Namespace, *, strict: bool = True) -> dict[str, Any]:
    from dsr_workbench.coding.codebook import load_codebook
    from dsr_workbench.coding.codings import read_logs
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.corpus.study import load_study

    study = load_study(args.study)
    transcripts, turns = load_corpus(study)
    book_path = study.data_dir / "codebook.yaml"
    if not book_path.exists():
        raise DsrError(
            "the study has no codebook",
            path=book_path,
            hint="write data/codebook.yaml (see dsr_workbench.coding.codebook)",
        )
    with _warnings_to_stderr():
        events = read_logs(study.data_dir / "codings", strict=strict)
    return {
        "study": study,
        "transcripts": transcripts,
        "turns": turns,
        "codebook": load_codebook(book_path),
        "events": events,
    }


def _codings(
    ctx: dict[str, Any],
    command: str,
    coder: str | None = None,
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """The placed codings (anchored to today's corpus); say on stderr how many were left out."""
    from dsr_workbench.coding.anchored import anchored_codings
    from dsr_workbench.coding.codings import fold

    events = ctx["events"]
    if coder is not None:
        events = events.loc[(events["coder"] == coder).to_numpy()]
    anchored = anchored_codings(fold(events), ctx["transcripts"], ctx["turns"])
    if codes is not None:
        anchored = anchored.only(codes=codes)
    if anchored.n_unplaced:
        sys.stderr.write(anchored.left_out(command) + "\n")
    return anchored.codings


def _auto(args: argparse.Namespace) -> int:
    from dsr_workbench.coding.autocode import auto_code
    from dsr_workbench.coding.codings import append_events, log_path

    if args.serve:
        raise DsrError("--serve takes no action", hint="run `dsr code --serve --coder NAME`")
    ctx = _load(args)
    if not args.dry_run and not args.coder:
        raise DsrError(
            "no coder given", hint="pass --coder NAME (or set DSR_CODER), or --dry-run to preview"
        )
    events = ctx["events"]
    log_events = None
    if args.coder:
        log_events = events.loc[(events["coder"] == args.coder).to_numpy()]
    result = auto_code(
        ctx["turns"],
        ctx["codebook"],
        dry_run=args.dry_run,
        coder=args.coder,
        transcripts=ctx["transcripts"],
        unit=args.unit,
        log_events=log_events,
    )
    matches = result.matches
    if args.csv:
        _out(matches.to_csv(index=False))
    else:
        summary = (
            matches.groupby("code_id").size().rename("matches").reset_index()
            if len(matches)
            else matches
        )
        _out(_table(summary[["code_id", "matches"]] if len(matches) else summary, False))
    if args.dry_run:
        sys.stderr.write(f"dsr code auto: {len(matches)} matches (dry run: nothing written)\n")
        return 0
    log = log_path(ctx["study"].data_dir, args.coder)
    with _warnings_to_stderr():
        written = append_events(log, result.events, only_new=True)  # checked under the lock
    sys.stderr.write(
        f"dsr code auto: {len(matches)} matches, {len(written)} new codings appended to {log}\n"
    )
    return 0


def _quotes(args: argparse.Namespace) -> int:
    from dsr_workbench.coding.queries import coded_quotes

    ctx = _load(args)
    book = ctx["codebook"]
    book.require(args.code)
    codes = [args.code] if args.no_subtree else book.subtree(args.code)
    table = coded_quotes(
        _codings(ctx, "dsr quotes", args.coder, codes),
        ctx["turns"],
        ctx["codebook"],
        args.code,
        subtree=not args.no_subtree,
    )
    if args.perspective:
        table = table.loc[(table["perspective"] == args.perspective).to_numpy()]
    if args.cycle is not None:
        table = table.loc[(table["cycle"] == args.cycle).fillna(False).to_numpy(dtype=bool)]
    if args.csv:
        _out(table.to_csv(index=False))
        return 0
    lines = []
    for row in table.itertuples(index=False):
        where = f"{row.transcript_id}/{row.turn}" if pd.notna(row.turn) else row.transcript_id
        lines.append(
            f"[{row.code_id}] {where} {row.speaker} ({row.perspective}, {row.coder}): “{row.quote}”"
        )
    _out("\n".join(lines) if lines else "(no quotes)")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from dsr_workbench.coding.queries import code_frequencies

    ctx = _load(args)
    table = code_frequencies(
        _codings(ctx, "dsr codes stats", args.coder),
        ctx["turns"],
        by=args.by,
        codebook=ctx["codebook"],
        rollup=args.rollup,
    )
    names = ctx["codebook"].codes.set_index("code_id")["name"]
    table.insert(1, "name", table["code_id"].map(names))
    _out(_table(table, args.csv))
    return 0


def _check(args: argparse.Namespace) -> int:
    from dsr_workbench.coding.anchoring import THRESHOLD, check_codings
    from dsr_workbench.coding.codings import fold, log_problems

    ctx = _load(args, strict=False)
    folder = ctx["study"].data_dir / "codings"
    damaged = [log_problems(p) for p in sorted(folder.glob("*.jsonl"))] if folder.is_dir() else []
    damaged = [d for d in damaged if len(d)]
    threshold = THRESHOLD if args.threshold is None else args.threshold
    table = check_codings(
        fold(ctx["events"]), ctx["transcripts"], ctx["codebook"], threshold=threshold
    )
    columns = [
        "coding_id",
        "coder",
        "transcript_id",
        "code_id",
        "status",
        "old_start",
        "start",
        "problem",
    ]
    _out(_table(table[columns], args.csv))
    for problems in damaged:
        _out(_table(problems, args.csv))
    lost = int((table["status"] == "lost").sum())
    unknown = int(table["problem"].str.contains("not in the codebook").sum())
    bad_lines = sum(len(d) for d in damaged)
    sys.stderr.write(
        f"dsr codings check: {len(table)} codings listed; {lost} lost, "
        f"{unknown} with unknown codes, {bad_lines} damaged log lines\n"
    )
    return 1 if lost or unknown or bad_lines else 0


_VIEW_CELL = """\
from dsr_workbench.corpus.study import load_study
from dsr_workbench.widgets import coding_view

view = coding_view(load_study(study_path), coder=coder)
if transcript:
    view.transcript.value = transcript
view"""


def _code(args: argparse.Namespace) -> int:
    """``dsr code`` without an action: ``--serve``, or say what to pass."""
    if not args.serve:
        raise DsrError(
            "no action given",
            hint="serve the coding view with `dsr code --serve --coder NAME`, "
            "or run `dsr code auto` (see `dsr code --help`)",
        )
    return _serve(args)


def _port_free(port: int) -> bool:
    """Whether Voilà could listen on ``port`` of 127.0.0.1 now (``SO_REUSEADDR`` as Tornado)."""
    from dsr_workbench.widgets.serve import HOST

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _serve(args: argparse.Namespace) -> int:
    """``dsr code --serve``: check the input, start Voilà, print the URL, serve until stopped."""
    import nbformat

    from dsr_workbench.coding.codebook import load_codebook
    from dsr_workbench.coding.events import log_path
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.corpus.study import load_study
    from dsr_workbench.widgets.coding_view import CONSENSUS
    from dsr_workbench.widgets.serve import VoilaServer, serve_notebook

    study = load_study(args.study)
    coder = args.serve_coder or os.environ.get("DSR_CODER")
    if not coder:
        raise DsrError("no coder given", hint="pass --coder NAME (or set DSR_CODER)")
    log_path(study.data_dir, coder)  # a name that cannot name a log file: one-line error
    if coder == CONSENSUS:
        raise DsrError(
            f"{CONSENSUS!r} is the log of resolved disagreements, not a coder",
            hint="pass your own --coder NAME and resolve in the view's compare mode",
        )
    ids = [str(t) for t in study.transcripts["transcript_id"]]
    if args.serve_transcript is not None and args.serve_transcript not in ids:
        raise DsrError(
            f"transcript {args.serve_transcript!r} is not in study.yaml",
            path=study.path,
            key="transcripts",
            hint=f"use one of {', '.join(ids[:8])}{', ...' if len(ids) > 8 else ''}",
        )
    book = study.data_dir / "codebook.yaml"
    if not book.exists():
        raise DsrError(
            "the study has no codebook",
            path=book,
            hint="write data/codebook.yaml (see dsr_workbench.coding.codebook)",
        )
    load_codebook(book)  # a codebook that fails validation: its one-line error, here
    load_corpus(study)  # so does a transcript that cannot be read (~0.2 s for the example)
    port = int(args.serve_port)
    if not 0 <= port <= 65535:
        raise DsrError(f"port {port} is not a TCP port", hint="pass --port 1024-65535 (0: any)")
    if port and not _port_free(port):
        raise DsrError(
            f"port {port} on 127.0.0.1 is in use",
            hint="stop what uses it, or pass another --port (0: any free port)",
        )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            'study_path = "study.yaml"\ncoder = "R1"\ntranscript = None',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell(_VIEW_CELL),
    ]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = {
        "study_path": str(study.path),
        "coder": coder,
        "transcript": args.serve_transcript,
    }

    def start() -> VoilaServer:
        # the notebook's folder lives only while serve_notebook copies it into its own
        with tempfile.TemporaryDirectory(prefix="dsr-code-") as folder:
            source = os.path.join(folder, "coding_view.ipynb")
            nbformat.write(notebook, source)
            return serve_notebook(source, parameters=parameters, port=port)

    def failed(server: VoilaServer, code: int) -> DsrError:
        return DsrError(
            f"Voila stopped with exit code {code}: {server.log_tail(1)}",
            hint="see the message above",
        )

    return serve_until_stopped(
        start,
        banner=f"Coding as {coder}",
        open_browser=not args.serve_no_browser,
        failed=failed,
    )
