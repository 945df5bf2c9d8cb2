"""``dsr present CYCLE``: serve the facilitator notebook of a design cycle with Voilà.

However ``dsr present`` is stopped, Voilà stops with it: Ctrl-C, SIGTERM and SIGHUP (the
terminal closing) unwind to :meth:`~dsr_workbench.widgets.serve.VoilaServer.stop`, which
stops Voilà and removes its temporary folder; if ``dsr present`` is killed outright, Voilà's
parent-death signal stops it.
"""

from __future__ import annotations

import argparse
import webbrowser

from dsr_workbench.cli._terminal import say
from dsr_workbench.core.errors import DsrError
from dsr_workbench.core.procs import signals_ignored, signals_raise

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
    with signals_raise():  # SIGTERM, SIGHUP (terminal closed): stop Voilà like Ctrl-C does
        try:
            server = serve_notebook(notebook, parameters=parameters, port=args.port)
        except KeyboardInterrupt:  # stopped while starting: serve_notebook cleaned up
            say("stopping")
            return 0
        try:
            print(f"Presenting cycle {args.cycle} at {server.url}", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            if not args.no_browser:
                webbrowser.open(server.url)
            code = server.process.wait()
            if code:
                print(server.log_tail())
                raise DsrError(f"Voila stopped with exit code {code}")
        except KeyboardInterrupt:
            say("stopping")
        finally:
            with signals_ignored():  # a second Ctrl-C must not leave Voilà running
                server.stop()
    return 0
