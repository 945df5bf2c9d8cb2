"""Append-only rating logs and the tidy ``evaluations`` table of current ratings.

Part of the DSR record (see :mod:`dsr_workbench.dsr.record`, the public import site):

``data/evaluations/ratings/<episode>.jsonl``
    The episode's append-only rating log (see :func:`record_rating`): one JSON event a line
    with episode, participant, criterion, rating, comment, timestamp (UTC) and an optional
    source (e.g. ``transcript:FG1#turn69``). A later rating of the same (episode, participant,
    criterion) supersedes the earlier one in the current state (latest timestamp wins, then
    the later line); both stay in the log. Lines are appended atomically, so a live widget
    can store each rating the moment it is given.

The tidy ``evaluations`` table (:func:`load_evaluations`, :data:`EVALUATION_COLUMNS`) has one
row per current rating: cycle, artifact, version, episode, participant, perspective,
criterion, rating, comment, timestamp, purpose, paradigm, method.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dsr_workbench.core.atomic import _append_locked
from dsr_workbench.core.errors import DsrError, DsrWarning, InputError
from dsr_workbench.dsr.decisions import _parse_reference
from dsr_workbench.dsr.episodes import (
    _episode_path,
    _episodes,
    _fail,
    _is_int,
    _panel,
    _read_episode,
    load_criteria,
)

__all__ = [
    "EVALUATION_COLUMNS",
    "RATING_LOG_COLUMNS",
    "TornRatingWarning",
    "current_ratings",
    "load_evaluations",
    "read_ratings",
    "record_rating",
]

EVALUATION_COLUMNS: list[str] = [
    "cycle", "artifact", "version", "episode", "participant", "perspective", "criterion",
    "rating", "comment", "timestamp", "purpose", "paradigm", "method",
]  # fmt: skip
RATING_LOG_COLUMNS: list[str] = [
    "episode", "participant", "criterion", "rating", "comment", "timestamp", "source", "path",
    "line",
]  # fmt: skip


class TornRatingWarning(DsrWarning):
    """A rating log ends in a torn line (an interrupted write); it was skipped.

    As a coding log's torn line (:class:`~dsr_workbench.coding.log.TornLineWarning`), it is
    reported once, naming the file and line (``dsr`` prints it as one ``dsr: warning:`` line),
    and the next rating moves it to ``<log>.torn`` before appending.
    """


def _timestamp(value: str | dt.datetime | pd.Timestamp | None) -> str:
    try:
        ts = pd.Timestamp.now(tz="UTC") if value is None else pd.Timestamp(value)
    except (ValueError, TypeError):
        raise DsrError(
            f"timestamp {value!r} is not a date and time",
            key="timestamp",
            hint="give ISO 8601, e.g. 2026-03-12T15:40:00Z",
        ) from None
    if ts is pd.NaT:
        raise DsrError("timestamp is empty", key="timestamp", hint="leave it out for now")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_rating(
    folder: str | Path,
    episode: str,
    participant: str,
    criterion: str,
    rating: int,
    comment: str = "",
    *,
    source: str | None = None,
    timestamp: str | dt.datetime | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Validate one rating and append it to ``<folder>/ratings/<episode>.jsonl``.

    The line is written with one ``os.write`` on an ``O_APPEND`` descriptor, then fsync'd,
    under a ``filelock`` lock (``<log>.lock``): concurrent writers never interleave, and a
    rating is on disk when this returns. A later rating of the same (episode, participant,
    criterion) supersedes this one (see :func:`current_ratings`).

    Parameters
    ----------
    folder
        The ``data/evaluations`` folder.
    episode, participant, criterion
        Must be an episode file, a member of its panel and a criterion of the study.
    rating
        A whole number on the study's scale (default 1-5).
    comment
        The participant's reason, in short.
    source
        Optional reference to where it was given, e.g. ``transcript:FG1#turn69``.
    timestamp
        When it was given (default: now); naive times are taken as UTC.
    timeout
        Seconds to wait for the log's lock.

    Returns
    -------
    dict
        The event as written.

    Raises
    ------
    DsrError
        Unknown episode, participant not in the episode, unknown criterion, rating off the
        scale, or a malformed source (nothing is written then).

    Examples
    --------
    >>> import tempfile
    >>> from dsr_workbench.dsr.record import write_episode
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_episode(folder, "FG1-framework", cycle=1, artifact="framework", version="v1",
    ...                   purpose="formative", paradigm="artificial", method="focus group",
    ...                   date="2026-03-12", participants={"P01": "client", "P07": "cmo"})
    >>> record_rating(folder, "FG1-framework", "P01", "usefulness", 4, "for onboarding CMOs",
    ...               timestamp="2026-03-12T15:40:00Z")
    {'episode': 'FG1-framework', 'participant': 'P01', 'criterion': 'usefulness', 'rating': 4, 'comment': 'for onboarding CMOs', 'timestamp': '2026-03-12T15:40:00.000000Z'}
    >>> record_rating(folder, "FG1-framework", "P01", "usefulness", 7)
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.DsrError: criteria (default): key 'rating': rating 7 is off the scale 1-5 (fix: give a whole number from 1 to 5)
    """
    folder = Path(folder)
    ep = _read_episode(folder, episode)
    if participant not in ep.panel:
        raise _fail(
            ep.doc,
            "participants",
            f"participant '{participant}' is not in episode '{episode}'",
            f"add them to participants in {ep.path.name} or fix the id",
        )
    crit = load_criteria(folder)
    if criterion not in crit.names:
        raise DsrError(
            f"unknown criterion '{criterion}'",
            path=crit.where,
            key="criterion",
            hint=f"use one of {', '.join(crit.names)} or add it to criteria.yaml",
        )
    if not _is_int(rating) or not crit.low <= rating <= crit.high:
        raise DsrError(
            f"rating {rating!r} is off the scale {crit.low}-{crit.high}",
            path=crit.where,
            key="rating",
            hint=f"give a whole number from {crit.low} to {crit.high}",
        )
    if not isinstance(comment, str):
        raise DsrError("comment must be text", key="comment", hint="pass a string")
    if source is not None:
        _parse_reference(source, None, "source")
    event = {
        "episode": episode,
        "participant": participant,
        "criterion": criterion,
        "rating": int(rating),
        "comment": comment,
        "timestamp": _timestamp(timestamp),
    }
    if source is not None:
        event["source"] = source
    line = json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"
    _append_locked(
        folder / "ratings" / f"{episode}.jsonl",
        line.encode("utf-8"),
        timeout=timeout,
        torn_warning=TornRatingWarning,
    )
    return event


def read_ratings(folder: str | Path, episode: str | None = None) -> pd.DataFrame:
    """Every rating event in the logs (superseded ones too), in file and line order.

    A torn last line (an interrupted write) is skipped with a :class:`TornRatingWarning`.

    Returns
    -------
    pandas.DataFrame
        :data:`RATING_LOG_COLUMNS`: episode, participant, criterion, rating, comment,
        timestamp (UTC), source, path, line (1-based).

    Raises
    ------
    DsrError
        A line that is not a complete rating event (names the file and line).
    """
    folder = Path(folder)
    if episode is not None:
        _episode_path(folder, episode)  # a valid id, not a path
    logs = (
        [folder / "ratings" / f"{episode}.jsonl"]
        if episode
        else sorted((folder / "ratings").glob("*.jsonl"))
    )
    rows = []
    for log in logs:
        if log.exists():
            rows.extend(_read_log(log))
    table = pd.DataFrame(rows, columns=RATING_LOG_COLUMNS)
    table["timestamp"] = pd.to_datetime(table["timestamp"], utc=True, format="ISO8601")
    return table.astype({"rating": "int64", "line": "int64"})


def _read_log(log: Path) -> list[dict[str, Any]]:
    raw = log.read_bytes()
    lines = raw.split(b"\n")
    rows = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if number == len(lines) and not isinstance(event, dict):
            # no newline after it and not a whole object: an interrupted append
            warnings.warn(
                f"{log}:{number}: torn last line ({len(text)} bytes, no newline): skipped",
                TornRatingWarning,
                stacklevel=3,
            )
            continue
        if isinstance(event, dict) and _is_int(event.get("rating")):
            if not _INT64[0] <= event["rating"] <= _INT64[1]:
                raise InputError(
                    f"rating {_short(event['rating'])} is off any scale",
                    path=log,
                    line=number,
                    hint="fix the line or move it out (logs are append-only)",
                )
        if not _valid_event(event, log.stem):
            raise InputError(
                "not a rating event of this episode",
                path=log,
                line=number,
                hint="fix the line or move it out (logs are append-only)",
            )
        rows.append(
            {
                **{k: event.get(k) for k in RATING_LOG_COLUMNS[:7]},
                "comment": event.get("comment") or "",
                "path": str(log),
                "line": number,
            }
        )
    return rows


_INT64 = (-(2**63), 2**63 - 1)


def _short(value: object, limit: int = 24) -> str:
    text = str(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _valid_event(event: Any, episode: str) -> bool:
    if not isinstance(event, dict) or event.get("episode") != episode:
        return False
    texts = all(isinstance(event.get(k), str) for k in ("participant", "criterion", "timestamp"))
    texts = texts and all(isinstance(event.get(k, ""), str) for k in ("comment", "source"))
    try:
        pd.Timestamp(event.get("timestamp"))
    except (ValueError, TypeError):
        return False
    return texts and _is_int(event.get("rating"))


def current_ratings(log: pd.DataFrame) -> pd.DataFrame:
    """Fold a rating log into the current ratings: the latest per (episode, participant,
    criterion) by timestamp, ties going to the later line.

    Examples
    --------
    >>> log = pd.DataFrame({"episode": ["E", "E", "E"], "participant": ["P1", "P1", "P2"],
    ...                     "criterion": ["usefulness"] * 3, "rating": [2, 4, 3],
    ...                     "timestamp": pd.to_datetime(["2026-03-12T10:00Z"] * 3)})
    >>> current_ratings(log)[["participant", "rating"]]
      participant  rating
    0          P1       4
    1          P2       3
    """
    key = ["episode", "participant", "criterion"]
    order = log.assign(_i=np.arange(len(log))).sort_values(["timestamp", "_i"], kind="stable")
    latest = order.drop_duplicates(key, keep="last").sort_values("_i")
    return latest.drop(columns="_i").reset_index(drop=True)


def load_evaluations(folder: str | Path, participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """The current ratings of every episode as the tidy ``evaluations`` table.

    Parameters
    ----------
    folder
        The ``data/evaluations`` folder.
    participants
        Optional study ``participants`` table (participant_id, perspective); see
        :func:`~dsr_workbench.dsr.episodes.load_episodes`.

    Returns
    -------
    pandas.DataFrame
        :data:`EVALUATION_COLUMNS`, sorted by cycle, episode, participant and criterion (in
        the order of the study's criteria).

    Raises
    ------
    DsrError
        A log for an episode without a file, or a logged rating whose participant,
        criterion or value the episode or criteria no longer accept (names file and line).

    Examples
    --------
    >>> import tempfile
    >>> from dsr_workbench.dsr.record import write_episode
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_episode(folder, "FG1-framework", cycle=1, artifact="framework", version="v1",
    ...                   purpose="formative", paradigm="artificial", method="focus group",
    ...                   date="2026-03-12", participants={"P01": "client", "P07": "cmo"})
    >>> for who, value in [("P07", 3), ("P01", 2), ("P01", 4)]:
    ...     _ = record_rating(folder, "FG1-framework", who, "usefulness", value)
    >>> load_evaluations(folder)[["cycle", "participant", "perspective", "criterion", "rating"]]
       cycle participant perspective   criterion  rating
    0      1         P01      client  usefulness       4
    1      1         P07         cmo  usefulness       3
    """
    folder = Path(folder)
    crit = load_criteria(folder)
    episodes = _episodes(folder)
    log = read_ratings(folder)
    panels = {name: _panel(ep, participants) for name, ep in episodes.items()}
    for row in log.itertuples(index=False):
        problem = None
        if row.episode not in episodes:
            problem = (
                f"ratings for unknown episode '{row.episode}'",
                f"create episodes/{row.episode}.yaml",
            )
        elif row.participant not in panels[row.episode]:
            problem = (
                f"participant '{row.participant}' is not in episode '{row.episode}'",
                f"add them to episodes/{row.episode}.yaml",
            )
        elif row.criterion not in crit.names:
            problem = (
                f"unknown criterion '{row.criterion}'",
                f"add it to {crit.where} or correct the line",
            )
        elif not crit.low <= row.rating <= crit.high:
            problem = (
                f"rating {row.rating} is off the scale {crit.low}-{crit.high}",
                "correct the line or the scale in criteria.yaml",
            )
        if problem:
            raise DsrError(problem[0], path=row.path, line=row.line, hint=problem[1])
    cur = current_ratings(log)
    rows = []
    for row in cur.itertuples(index=False):
        f = episodes[row.episode].fields
        rows.append(
            {
                "cycle": f["cycle"],
                "artifact": f["artifact"],
                "version": f["version"],
                "episode": row.episode,
                "participant": row.participant,
                "perspective": panels[row.episode][row.participant],
                "criterion": row.criterion,
                "rating": row.rating,
                "comment": row.comment,
                "timestamp": row.timestamp,
                "purpose": f["purpose"],
                "paradigm": f["paradigm"],
                "method": f["method"],
            }
        )
    table = pd.DataFrame(rows, columns=EVALUATION_COLUMNS)
    rank = table["criterion"].map({c: i for i, c in enumerate(crit.names)})
    table = table.assign(_r=rank).sort_values(["cycle", "episode", "participant", "_r"])
    table = table.drop(columns="_r").reset_index(drop=True)
    table["timestamp"] = pd.to_datetime(table["timestamp"], utc=True)
    return table.astype({"cycle": "int64", "rating": "int64"})
