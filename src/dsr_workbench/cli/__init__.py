"""The ``dsr`` command: a thin front end over the library.

Each command group lives in its own module of this package and exposes
``register(subparsers)``; a handler takes the parsed ``argparse.Namespace`` and returns an
exit code. Errors of the project (:class:`~dsr_workbench.core.errors.DsrError`) and OS errors are
printed as one line on stderr, without a traceback, with exit code 2 (1 is kept for "the
command ran and found a problem", e.g. a leak or a failed build).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from dsr_workbench import __version__
from dsr_workbench.core.errors import DsrError, DsrWarning

# Command-group modules, in the order they appear in ``dsr --help``.
GROUPS: tuple[str, ...] = (
    "dsr_workbench.cli.study_cmds",
    "dsr_workbench.cli.build_cmds",
    "dsr_workbench.cli.reliability_cmds",
    "dsr_workbench.cli.evaluation_cmds",
    "dsr_workbench.cli.artifact_cmds",
    "dsr_workbench.cli.coding_cmds",
    "dsr_workbench.cli.present_cmds",
    "dsr_workbench.cli.qdpx_cmds",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``dsr`` argument parser with every command group registered."""
    parser = argparse.ArgumentParser(
        prog="dsr",
        description="dsr-workbench: qualitative and design-science research in Jupyter.",
    )
    parser.add_argument("--version", action="version", version=f"dsr-workbench {__version__}")
    parser.add_argument(
        "--study",
        default=os.environ.get("DSR_STUDY", "study.yaml"),
        help="path to study.yaml (default: ./study.yaml or $DSR_STUDY)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print the project's warnings as one ``dsr: warning:`` line (others as Python does)."""
    if issubclass(category, DsrWarning):
        sys.stderr.write(f"dsr: warning: {message}\n")
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dsr``; return the exit code (0 ok, 1 a problem found, 2 an error)."""
    warnings.showwarning = _show_warning
    warnings.simplefilter("default", DsrWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except DsrError as exc:
        print(f"dsr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"dsr {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `dsr ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (core.procs.Terminated)
        print(f"dsr {args.command}: interrupted", file=sys.stderr)
        return 128 + int(getattr(exc, "signum", signal.SIGINT))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
