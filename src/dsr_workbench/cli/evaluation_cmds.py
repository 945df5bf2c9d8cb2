"""``dsr rate`` and ``dsr evaluations``: the DSR evaluation record."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the evaluation commands to ``dsr``."""
    p = sub.add_parser(
        "rate",
        help="record one rating of an evaluation episode (appended to its log at once)",
        description="Append a rating to data/evaluations/ratings/EPISODE.jsonl. A later "
        "rating of the same participant and criterion supersedes this one; both are kept.",
    )
    p.add_argument("episode", help="episode id, e.g. FG5-tool (data/evaluations/episodes/)")
    p.add_argument("participant", help="participant id, e.g. P03")
    p.add_argument("criterion", help="e.g. usefulness (see data/evaluations/criteria.yaml)")
    p.add_argument("rating", type=int, help="a whole number on the study's scale (e.g. 1-5)")
    p.add_argument("--comment", default="", help="the participant's reason, in short")
    p.add_argument("--source", help="where it was said, e.g. transcript:FG5#turn49")
    p.set_defaults(handler=_rate)

    p = sub.add_parser("evaluations", help="evaluation episodes, rating summaries, decisions")
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--summary",
        action="store_true",
        help="n, mean, sd and 95%% CI per group, client vs CMO",
    )
    what.add_argument(
        "--decisions",
        action="store_true",
        help="check every reference in decisions.yaml (exit 1 if one points at nothing)",
    )
    p.add_argument(
        "--by",
        default="cycle,artifact,criterion",
        help="grouping columns for --summary, comma-separated (default: cycle,artifact,criterion)",
    )
    p.add_argument("--pooled", action="store_true", help="with --summary: do not split by side")
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.set_defaults(handler=_evaluations)


def _folder(args: argparse.Namespace):
    from dsr_workbench.corpus.study import load_study

    study = load_study(args.study)
    return study, study.data_dir / "evaluations"


def _rate(args: argparse.Namespace) -> int:
    from dsr_workbench.dsr.record import current_ratings, read_ratings, record_rating

    _, folder = _folder(args)
    before = (
        read_ratings(folder, args.episode)
        if (folder / "ratings" / f"{args.episode}.jsonl").exists()
        else None
    )
    event = record_rating(
        folder,
        args.episode,
        args.participant,
        args.criterion,
        args.rating,
        args.comment,
        source=args.source,
    )
    note = ""
    if before is not None:
        now = current_ratings(before)
        same = now[(now["participant"] == args.participant) & (now["criterion"] == args.criterion)]
        if len(same):
            note = f" (supersedes {int(same['rating'].iloc[0])})"
    print(
        f"{event['episode']}: {event['participant']} {event['criterion']} = {event['rating']}"
        f"{note} at {event['timestamp']}"
    )
    return 0


def _evaluations(args: argparse.Namespace) -> int:
    from dsr_workbench.dsr.record import load_episodes, load_evaluations, rating_summary

    study, folder = _folder(args)
    if args.decisions:
        return _decisions(study, folder)
    evaluations = load_evaluations(folder, study.participants)
    if args.summary and evaluations.empty:
        print(f"no ratings yet in {folder / 'ratings'}", file=sys.stderr)
        return 0
    if args.summary:
        by = [c.strip() for c in args.by.split(",") if c.strip()]
        table = rating_summary(evaluations, by=by, perspective_split=not args.pooled)
        table = table.round({"mean": 2, "sd": 2, "ci_low": 2, "ci_high": 2})
    else:
        episodes = load_episodes(folder, study.participants)
        panel = episodes.groupby("episode", sort=False).agg(
            cycle=("cycle", "first"),
            artifact=("artifact", "first"),
            version=("version", "first"),
            purpose=("purpose", "first"),
            paradigm=("paradigm", "first"),
            method=("method", "first"),
            date=("date", "first"),
            participants=("participant", "size"),
        )
        counts = evaluations.groupby("episode").size().rename("ratings")
        table = panel.join(counts).fillna({"ratings": 0}).reset_index()
        table = table.astype({"ratings": "int64"}).sort_values(["cycle", "date", "episode"])
        if table.empty:
            print(f"no episodes in {folder / 'episodes'}", file=sys.stderr)
            return 0
    print(table.to_csv(index=False).rstrip("\n") if args.csv else table.to_string(index=False))
    if not args.summary and not args.csv:
        per_cycle = evaluations.groupby("cycle").size()
        print(
            f"{len(evaluations)} ratings: "
            + ", ".join(f"cycle {c}: {n}" for c, n in per_cycle.items())
            if len(per_cycle)
            else "no ratings yet"
        )
    return 0


def _decisions(study, folder) -> int:
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.dsr.record import load_decisions, load_evaluations

    transcripts, turns = load_corpus(study)
    evaluations = load_evaluations(folder, study.participants)
    codings = None
    if (study.data_dir / "codings").is_dir():
        from dsr_workbench.coding.anchored import load_anchored_codings

        # every current coding, placed or not: a decision that cites one still points at it
        codings = load_anchored_codings(study, corpus=(transcripts, turns)).table
    record = load_decisions(folder, turns=turns, evaluations=evaluations, codings=codings)
    path = folder / "decisions.yaml"
    for row in record.unresolved.itertuples(index=False):
        print(f"{path}:{row.line}: {row.owner}: '{row.reference}' points at nothing")
    for row in record.unaddressed.itertuples(index=False):
        print(f"{path}: {row.requirement_id} is not addressed by any decision (open)")
    n_unresolved = len(record.unresolved)
    print(
        f"{len(record.requirements)} requirements, {len(record.decisions)} decisions, "
        f"{len(record.references)} references, {n_unresolved} unresolved"
    )
    return 1 if n_unresolved else 0
