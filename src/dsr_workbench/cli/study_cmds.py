"""``dsr validate``, ``dsr corpus``, ``dsr pseudonymise`` and ``dsr check-leaks``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from dsr_workbench.core.errors import DsrWarning, InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the study and corpus commands to ``dsr``."""
    p = sub.add_parser(
        "validate",
        help="check study.yaml and read every transcript",
        description="Check study.yaml and read every transcript, printing the variant each "
        "file was read by (e.g. txt/colon, vtt/voice) and every problem (file, line, fix). "
        "With --files, read the given transcript files or folders instead; no study needed.",
    )
    p.add_argument(
        "--files",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="transcript files or folders to read instead of the study's transcripts",
    )
    p.add_argument(
        "--variant",
        help="with --files: read text and Word files by this variant instead of detecting it",
    )
    p.add_argument(
        "--encoding",
        default="utf-8",
        help="with --files: encoding of text files without a byte-order mark (default utf-8)",
    )
    p.set_defaults(handler=_validate)

    p = sub.add_parser("corpus", help="turns and words by transcript, speaker, ...")
    p.add_argument(
        "--by",
        default="transcript_id",
        choices=[
            "transcript_id",
            "speaker",
            "participant_id",
            "organisation",
            "perspective",
            "kind",
            "cycle",
        ],
        help="group the overview by this column (default: transcript_id)",
    )
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.set_defaults(handler=_corpus)

    p = sub.add_parser(
        "pseudonymise",
        help="write pseudonymised copies of transcripts (originals are never changed)",
        description="Replace real names by pseudonyms from a key file that lives outside "
        "the repository. Key format: a YAML list of {real, pseudonym, kind, variants}.",
    )
    p.add_argument("files", nargs="+", type=Path, help="transcripts to pseudonymise")
    p.add_argument("--out", type=Path, required=True, help="folder for the copies")
    p.add_argument("--key", type=Path, help="key file (default: the study's key_file)")
    p.set_defaults(handler=_pseudonymise)

    p = sub.add_parser(
        "check-leaks",
        help="scan files for real names from the key (exit 1 on a hit)",
        description="Scan every file (any suffix; .gz, zips at any depth, UTF-16, binary "
        "files by their text) for the key's real names, also when split by line breaks or "
        "escaped (HTML entities, \\uXXXX). Prints file:line:column and the pseudonym, "
        "never the real name; line 0 is a hit in a file's name.",
    )
    p.add_argument("paths", nargs="+", type=Path, help="files or folders to scan")
    p.add_argument("--key", type=Path, help="key file (default: the study's key_file)")
    p.set_defaults(handler=_check_leaks)


def _study(args: argparse.Namespace):
    from dsr_workbench.corpus.study import load_study

    return load_study(args.study)


def _key(args: argparse.Namespace):
    from dsr_workbench.corpus.pseudonymise import load_key

    if args.key is not None:
        return load_key(args.key)
    study = _study(args)
    if study.key_file is None:
        raise InputError(
            "no key file given and study.yaml names none",
            path=study.path,
            hint="pass --key PATH or set study.key_file",
        )
    return load_key(study.key_file)


def _report(reports) -> int:
    """Print one line per file (variant, turns, speakers) and its problems; count errors."""
    errors = 0
    for r in reports:
        if r.variant is not None:
            labels = ", ".join(f"{label} ({n})" for label, n in r.speakers.items())
            print(f"{r.file}: {r.variant}, {r.turns} turns, speakers: {labels}")
        else:
            print(f"{r.file}: not read")
        for message in r.warnings:
            print(f"dsr: warning: {message}", file=sys.stderr)
        for message in r.errors:
            print(f"dsr validate: error: {message}", file=sys.stderr)
        errors += len(r.errors)
    return errors


def _validate(args: argparse.Namespace) -> int:
    from dsr_workbench.corpus.validate import check_files, check_study

    if args.files is not None:
        reports = check_files(args.files, args.encoding, args.variant)
        if not reports:
            raise InputError(
                "no transcript files found", path=" ".join(map(str, args.files)), hint=_SUFFIXES
            )
        errors = _report(reports)
        bad = sum(not r.ok for r in reports)
        print(f"{len(reports)} file(s) read, {bad} with errors")
        return 2 if errors else 0
    if args.variant is not None or args.encoding != "utf-8":
        raise InputError(
            "--variant and --encoding apply to --files only",
            hint="set 'variant:' in the transcript's entry of study.yaml",
        )
    from dsr_workbench.corpus.read import load_corpus

    study = _study(args)
    errors = _report(check_study(study))
    if errors:
        print(f"{study.path}: {errors} problem(s) in the transcripts")
        return 2
    with warnings.catch_warnings():  # each file's warnings were printed with its line above
        warnings.simplefilter("ignore", DsrWarning)
        transcripts, turns = load_corpus(study)
    print(
        f"{study.path}: ok — {len(study.organisations)} organisations, "
        f"{len(study.participants)} participants, {len(study.cycles)} cycles, "
        f"{len(transcripts)} transcripts, {len(turns)} turns, "
        f"{int(turns.n_words.sum())} words"
    )
    return 0


_SUFFIXES = "give transcript files (.txt, .md, .docx, .vtt, .srt) or folders holding them"


def _corpus(args: argparse.Namespace) -> int:
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.corpus.stats import corpus_overview

    _, turns = load_corpus(_study(args))
    table = corpus_overview(turns, by=args.by)
    print(table.to_csv(index=False).rstrip("\n") if args.csv else table.to_string(index=False))
    return 0


def _pseudonymise(args: argparse.Namespace) -> int:
    from dsr_workbench.corpus.pseudonymise import pseudonymise_file

    key = _key(args)
    total = 0
    for src in args.files:
        dst = args.out / src.name
        count = pseudonymise_file(src, dst, key)
        total += count
        print(f"{src} -> {dst}: {count} replacement(s)")
    print(f"{len(args.files)} file(s), {total} replacement(s)")
    return 0


def _check_leaks(args: argparse.Namespace) -> int:
    from dsr_workbench.corpus.pseudonymise import check_leaks

    key = _key(args)
    hits = check_leaks(args.paths, key)
    for row in hits.itertuples(index=False):
        where = f"{row.file}:{row.line}:{row.column}" if row.line else row.file
        what = f"real name of '{row.pseudonym}' ({row.kind})"
        print(f"{where}: {what}{' in the file name' if not row.line else ''}", file=sys.stdout)
    files = hits.attrs.get("files", 0)
    if len(hits):
        print(f"{len(hits)} leak(s) found in {files} file(s) scanned", file=sys.stderr)
        return 1
    print(f"no key term found ({len(key.terms)} terms checked in {files} file(s))")
    return 0
