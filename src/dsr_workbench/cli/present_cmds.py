"""``dsr present CYCLE``: serve the facilitator notebook of a design cycle with Voilà.

However ``dsr present`` is stopped, Voilà stops with it: Ctrl-C, SIGTERM and SIGHUP (the
terminal closing) unwind to :meth:`~dsr_workbench.widgets.serve.VoilaServer.stop`, which
stops Voilà and removes its temporary folder; if ``dsr present`` is killed outright, Voilà's
parent-death signal stops it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from dsr_workbench.cli._terminal import say, serve_until_stopped
from dsr_workbench.core.errors import DsrError

if TYPE_CHECKING:
    from dsr_workbench.widgets.serve import VoilaServer

NOTEBOOK = "facilitator_cycle.ipynb"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``dsr present`` to ``dsr``."""
    p = sub.add_parser(
        "present",
        help="serve a cycle's facilitator notebook with Voila on 127.0.0.1",
        description="Start Voila on 127.0.0.1 for notebooks/facilitator_cycle.ipynb with the "
        "given cycle, print the URL (with its access token) and serve until Ctrl-C. Ratings "
        "given in the page are stored at once under data/evaluations/.",
    )
    p.add_argument("cycle", type=int, help="the design cycle to present")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866; 0: any free)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(handler=_present)


def _present(args: argparse.Namespace) -> int:
    from dsr_workbench.corpus.study import load_study
    from dsr_workbench.widgets.serve import serve_notebook

    study = load_study(args.study)
    if args.cycle not in set(study.cycles["cycle"]):
        raise DsrError(
            f"cycle {args.cycle} is not in study.yaml",
            path=study.path,
            key="cycles",
            hint=f"use one of {', '.join(map(str, study.cycles['cycle']))}",
        )
    notebook = study.paths["notebooks"] / NOTEBOOK
    if not notebook.is_file():
        raise DsrError(
            "the facilitator notebook is missing",
            path=notebook,
            hint=f"copy {NOTEBOOK} from the dsr-workbench repository's notebooks/",
        )
    parameters = {"study_path": str(study.path), "cycle": int(args.cycle), "output_dir": None}
    return serve_until_stopped(
        lambda: serve_notebook(notebook, parameters=parameters, port=args.port),
        banner=f"Presenting cycle {args.cycle}",
        open_browser=not args.no_browser,
        failed=_failed,
    )


def _failed(server: VoilaServer, code: int) -> DsrError:
    """Voilà exited by itself: print the end of its log; the error says the exit code."""
    say(server.log_tail())
    return DsrError(f"Voila stopped with exit code {code}")
