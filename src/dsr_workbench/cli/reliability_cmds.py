"""``dsr agreement``: inter-coder agreement of a long CSV, or of the study's coders.

``dsr agreement FILE.csv [--level L] [--weights W] [--boot N] [--seed S] [--json]`` reads a
long CSV with columns ``unit,coder,value`` (an empty cell is a missing value) and prints one
row per metric (:func:`dsr_workbench.analysis.reliability.agreement`).

``dsr agreement --codings [--unit turn|char] [--coders R1 R2 ...] [--json]`` prints the
per-code table of the study's coders
(:func:`dsr_workbench.analysis.reliability_codings.per_code_agreement`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from dsr_workbench.core.errors import DsrError, InputError

# the levels of dsr_workbench.analysis.reliability.LEVELS, spelled out so that building the `dsr`
# parser does not import scipy and statsmodels (tests check the two agree)
LEVELS = ("nominal", "ordinal", "interval", "ratio")

__all__ = ["register", "run_agreement"]

CSV_COLUMNS = ("unit", "coder", "value")
DESCRIPTION = """\
Inter-coder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

  dsr agreement FILE.csv [--level L] [--weights W] [--boot N] [--seed S] [--json]
      FILE.csv is a long table with a header unit,coder,value (an empty cell is a missing
      value); prints one row per metric.
  dsr agreement --codings [--unit turn|char] [--coders R1 R2 ...] [--json]
      per-code agreement of the study's coders, with an overall row.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``agreement`` command to the ``dsr`` parser's subparsers."""
    parser = subparsers.add_parser(
        "agreement",
        help="inter-coder agreement (alpha, kappa, percent agreement)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file", nargs="?", metavar="FILE.csv", help="long CSV with columns unit,coder,value"
    )
    parser.add_argument(
        "--level", choices=LEVELS, default="nominal", help="level of measurement (for alpha)"
    )
    parser.add_argument("--weights", choices=("linear", "quadratic"), help="weighted Cohen's kappa")
    parser.add_argument(
        "--boot", type=int, default=0, metavar="N", help="bootstrap samples for alpha's CI"
    )
    parser.add_argument("--seed", type=int, help="seed of the bootstrap")
    parser.add_argument("--json", action="store_true", help="print JSON records")
    parser.add_argument(
        "--codings", action="store_true", help="compare the study's coders' codings"
    )
    parser.add_argument(
        "--unit",
        choices=("turn", "char"),
        default="turn",
        help="with --codings: a turn or a character is the unit (default: turn)",
    )
    parser.add_argument("--coders", nargs="+", metavar="CODER", help="with --codings: coders")
    parser.set_defaults(handler=run_agreement)


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("file not found", path=path, hint="give the path of a long CSV")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"not a readable CSV: {reason}", path=path) from exc
    for column in CSV_COLUMNS:
        if column not in table.columns:
            raise InputError(
                f"column '{column}' is missing (columns: {', '.join(map(str, table.columns))})",
                path=path,
                hint="the CSV needs a header line unit,coder,value",
            )
    # Row labels = line numbers of the file (line 1 is the header), so that an error about
    # "row 7" points at line 7.
    table.index = pd.RangeIndex(2, len(table) + 2)
    return table


def _load_codings(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (codings, turns) of the study named by ``args.study``: every coder's current
    codings anchored to today's corpus (those that could not be placed are left out, with
    one stderr line saying how many) and the corpus turns."""
    from dsr_workbench.coding.anchored import load_anchored_codings
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.corpus.study import load_study

    study = load_study(args.study)
    folder = study.data_dir / "codings"
    if not folder.is_dir() or not any(folder.glob("*.jsonl")):
        raise InputError(
            "no coding logs found",
            path=folder,
            hint="code transcripts first (data/codings/<coder>.jsonl)",
        )
    transcripts, turns = load_corpus(study)
    anchored = load_anchored_codings(study, corpus=(transcripts, turns))
    if anchored.n_unplaced:
        sys.stderr.write(anchored.left_out("dsr agreement") + "\n")
    return anchored.codings, turns


def _emit(table: pd.DataFrame, as_json: bool) -> None:
    if as_json:
        records = json.loads(table.to_json(orient="records"))  # NaN -> null
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(table.to_string(index=False, float_format="{:.3f}".format) + "\n")


def _run_codings(args: argparse.Namespace, codings: pd.DataFrame, turns: pd.DataFrame) -> int:
    from dsr_workbench.analysis.reliability_codings import per_code_agreement, reliability_data

    data = reliability_data(codings, turns, unit=args.unit, coders=args.coders)
    _emit(per_code_agreement(data), args.json)
    return 0


def run_agreement(args: argparse.Namespace) -> int:
    """Handle ``dsr agreement``; return the exit code (0), raise DsrError on bad input."""
    from dsr_workbench.analysis.reliability import agreement

    if args.codings:
        if args.file:
            raise DsrError(
                "give either FILE.csv or --codings, not both",
                hint="dsr agreement FILE.csv, or dsr agreement --codings",
            )
        codings, turns = _load_codings(args)
        return _run_codings(args, codings, turns)
    if not args.file:
        raise DsrError(
            "no input: give FILE.csv (columns unit,coder,value) or --codings",
            hint="dsr agreement ratings.csv --level ordinal",
        )
    path = Path(args.file)
    table = _read_csv(path)
    try:
        result = agreement(
            table,
            level=args.level,
            weights=args.weights,
            n_boot=args.boot,
            seed=args.seed,
        )
    except InputError:
        raise
    except DsrError as exc:
        raise InputError(exc.message, path=path, key=exc.key, hint=exc.hint) from exc
    _emit(result, args.json)
    return 0
