"""The DSR record: evaluation episodes, ratings, requirements and design decisions.

Everything lives as plain text under ``data/evaluations/``, laid out so that two facilitators
can write at once and git merges stay trivial:

``criteria.yaml`` (optional)
    The study's rating criteria and scale: ``scale: {min: 1, max: 5}`` and ``criteria:``, a
    list of ``{id, label, question}``. Without it: :data:`DEFAULT_CRITERIA` on 1-5.
``episodes/<episode>.yaml``
    One evaluation episode per file (see :func:`write_episode`): cycle, artifact, version,
    FEDS purpose (formative | summative) and paradigm (artificial | naturalistic) after
    Venable, Pries-Heje & Baskerville (2016), method, date, transcript (the focus group's
    transcript id, if any), participants (``{id, perspective}``; perspective client | cmo),
    notes.
``ratings/<episode>.jsonl``
    The episode's append-only rating log (see :func:`record_rating`): one JSON event a line
    with episode, participant, criterion, rating, comment, timestamp (UTC) and an optional
    source (e.g. ``transcript:FG1#turn69``). A later rating of the same (episode, participant,
    criterion) supersedes the earlier one in the current state (latest timestamp wins, then
    the later line); both stay in the log. Lines are appended atomically, so a live widget
    can store each rating the moment it is given.
``decisions.yaml``
    Requirements (id, text, source: references) and design decisions (id, cycle, artifact,
    version, decision, addresses: requirement ids, source); see :func:`load_decisions`.

A reference is ``coding:<coding_id>``, ``transcript:<transcript_id>#turn<n>`` or
``rating:<episode>/<participant>/<criterion>``.

The tidy ``evaluations`` table (:func:`load_evaluations`, :data:`EVALUATION_COLUMNS`) has one
row per current rating: cycle, artifact, version, episode, participant, perspective,
criterion, rating, comment, timestamp, purpose, paradigm, method.

References
----------
Venable, J., Pries-Heje, J., & Baskerville, R. (2016). FEDS: a Framework for Evaluation in
Design Science Research. *European Journal of Information Systems*, 25(1), 77-89.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd
import yaml
from filelock import FileLock
from scipy import stats

from dsr_workbench.errors import DsrError, InputError
from dsr_workbench.yamlio import YamlDoc, load_yaml, parse_yaml

__all__ = [
    "DEFAULT_CRITERIA",
    "EPISODE_COLUMNS",
    "EVALUATION_COLUMNS",
    "PARADIGMS",
    "PURPOSES",
    "RATING_LOG_COLUMNS",
    "REFERENCE_COLUMNS",
    "SUMMARY_COLUMNS",
    "Criteria",
    "Decisions",
    "TornRatingWarning",
    "current_ratings",
    "load_criteria",
    "load_decisions",
    "load_episodes",
    "load_evaluations",
    "rating_summary",
    "read_ratings",
    "record_rating",
    "write_episode",
]

PURPOSES: tuple[str, ...] = ("formative", "summative")
PARADIGMS: tuple[str, ...] = ("artificial", "naturalistic")
RATER_PERSPECTIVES: tuple[str, ...] = ("client", "cmo")
DEFAULT_CRITERIA: tuple[str, ...] = ("usefulness", "applicability", "completeness", "ease_of_use")

EVALUATION_COLUMNS: list[str] = [
    "cycle", "artifact", "version", "episode", "participant", "perspective", "criterion",
    "rating", "comment", "timestamp", "purpose", "paradigm", "method",
]  # fmt: skip
EPISODE_COLUMNS: list[str] = [
    "episode", "cycle", "artifact", "version", "purpose", "paradigm", "method", "date",
    "transcript_id", "participant", "perspective",
]  # fmt: skip
RATING_LOG_COLUMNS: list[str] = [
    "episode", "participant", "criterion", "rating", "comment", "timestamp", "source", "path",
    "line",
]  # fmt: skip
SUMMARY_COLUMNS: list[str] = ["n", "mean", "sd", "ci_low", "ci_high"]
REFERENCE_COLUMNS: list[str] = ["owner", "field", "reference", "kind", "target", "resolved", "line"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_EPISODE_KEYS = {
    "id": False, "cycle": True, "artifact": True, "version": True, "purpose": True,
    "paradigm": True, "method": True, "date": True, "transcript": False, "participants": True,
    "notes": False,
}  # fmt: skip
_REF_PATTERNS = {
    "coding": re.compile(r"^(?P<coding_id>[^\s/#]+)$"),
    "transcript": re.compile(r"^(?P<transcript_id>[A-Za-z0-9_.-]+)#turn(?P<turn>[1-9]\d*)$"),
    "rating": re.compile(r"^(?P<episode>[^\s/]+)/(?P<participant>[^\s/]+)/(?P<criterion>[^\s/]+)$"),
}


class TornRatingWarning(UserWarning):
    """A rating log ends in a torn line (an interrupted write); it was skipped."""


# --------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class Criteria:
    """A study's rating criteria and their scale (``low`` to ``high``, whole numbers)."""

    names: tuple[str, ...] = DEFAULT_CRITERIA
    low: int = 1
    high: int = 5
    path: Path | None = None

    @property
    def where(self) -> str:
        """The file the criteria came from (for messages)."""
        return str(self.path) if self.path else "criteria (default)"


def load_criteria(folder: str | Path) -> Criteria:
    """Read ``<folder>/criteria.yaml``; without it, the default four criteria on 1-5.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> load_criteria(tempfile.mkdtemp()).names
    ('usefulness', 'applicability', 'completeness', 'ease_of_use')
    """
    path = Path(folder) / "criteria.yaml"
    if not path.exists():
        return Criteria()
    doc = load_yaml(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    scale = data.get("scale", {"min": 1, "max": 5})
    low, high = (scale.get(k) if isinstance(scale, dict) else None for k in ("min", "max"))
    if not (_is_int(low) and _is_int(high) and low < high):
        raise DsrError(
            "scale needs whole numbers min < max",
            path=path,
            line=doc.line("scale"),
            key="scale",
            hint="write scale: {min: 1, max: 5}",
        )
    items = data.get("criteria")
    if not isinstance(items, list) or not items:
        raise DsrError(
            "no criteria listed",
            path=path,
            line=doc.line("criteria"),
            key="criteria",
            hint="list them as - {id: usefulness, label: ...}",
        )
    names = []
    for i, item in enumerate(items):
        name = item.get("id") if isinstance(item, dict) else item
        if not isinstance(name, str) or not _ID.match(name) or name in names:
            raise DsrError(
                f"criterion id {name!r} is missing, malformed or repeated",
                path=path,
                line=doc.line(f"criteria[{i}]"),
                key=f"criteria[{i}].id",
                hint="give each criterion a unique id such as ease_of_use",
            )
        names.append(name)
    return Criteria(tuple(names), int(low), int(high), path)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


# --------------------------------------------------------------------------- episodes


@dataclass(frozen=True)
class _Episode:
    id: str
    fields: dict[str, Any]
    panel: dict[str, str | None]  # participant -> perspective (None: take the study's)
    path: Path
    doc: YamlDoc


def _fail(doc: YamlDoc, key: str, message: str, hint: str) -> DsrError:
    return DsrError(message, path=doc.path, line=doc.line(key), key=key, hint=hint)


def _parse_episode(doc: YamlDoc, episode: str) -> _Episode:
    data = doc.data
    if not isinstance(data, dict):
        raise DsrError(
            "an episode file must be a mapping",
            path=doc.path,
            hint="see data/evaluations/README.md for the fields",
        )
    for key in data:
        if key not in _EPISODE_KEYS:
            raise _fail(
                doc, str(key), f"unknown field '{key}'", f"use only {', '.join(_EPISODE_KEYS)}"
            )
    for key, required in _EPISODE_KEYS.items():
        if required and data.get(key) in (None, ""):
            raise _fail(doc, key, f"field '{key}' is missing", f"add {key}: to the file")
    if data.get("id", episode) != episode:
        raise _fail(
            doc,
            "id",
            f"id '{data['id']}' differs from the file name '{episode}'",
            "make them equal",
        )
    if not _is_int(data["cycle"]) or data["cycle"] < 1:
        raise _fail(doc, "cycle", "cycle must be a whole number >= 1", "write e.g. cycle: 2")
    for key, options in (("purpose", PURPOSES), ("paradigm", PARADIGMS)):
        if data[key] not in options:
            raise _fail(
                doc,
                key,
                f"{key} '{data[key]}' is not one of {', '.join(options)}",
                "use the FEDS terms (Venable et al. 2016)",
            )
    if not isinstance(data["date"], dt.date):
        raise _fail(doc, "date", f"date {data['date']!r} is not a date", "write YYYY-MM-DD")
    panel: dict[str, str | None] = {}
    if not isinstance(data["participants"], list):
        raise _fail(
            doc,
            "participants",
            "participants must be a list",
            "write - {id: P01, perspective: client}",
        )
    for i, item in enumerate(data["participants"]):
        key = f"participants[{i}]"
        pid, persp = (
            (item.get("id"), item.get("perspective")) if isinstance(item, dict) else (item, None)
        )
        if not isinstance(pid, str) or not _ID.match(pid) or pid in panel:
            raise _fail(
                doc,
                key,
                f"participant id {pid!r} is missing, malformed or repeated",
                "give each participant once, by id (e.g. P01)",
            )
        if persp is not None and persp not in RATER_PERSPECTIVES:
            raise _fail(
                doc,
                f"{key}.perspective",
                f"perspective '{persp}' is not client or cmo",
                "say which side the participant spoke for in this episode",
            )
        panel[pid] = persp
    fields = {k: data.get(k) for k in _EPISODE_KEYS if k not in ("id", "participants")}
    fields = {k: v if k in ("cycle", "date") or v is None else str(v) for k, v in fields.items()}
    return _Episode(episode, fields, panel, Path(doc.path or ""), doc)


def _episode_path(folder: Path, episode: str) -> Path:
    if not isinstance(episode, str) or not _ID.match(episode):
        raise DsrError(
            f"episode id {episode!r} is not a valid id",
            key="episode",
            hint="use letters, digits, '-', '_' or '.', e.g. FG1-framework",
        )
    return folder / "episodes" / f"{episode}.yaml"


def _read_episode(folder: Path, episode: str) -> _Episode:
    path = _episode_path(folder, episode)
    if not path.exists():
        known = sorted(p.stem for p in (folder / "episodes").glob("*.yaml"))
        raise DsrError(
            f"unknown episode '{episode}'",
            path=path,
            hint=f"create it with write_episode or use one of: {', '.join(known)}"
            if known
            else "create it with write_episode",
        )
    return _parse_episode(load_yaml(path), episode)


def _episodes(folder: Path) -> dict[str, _Episode]:
    return {
        p.stem: _read_episode(folder, p.stem) for p in sorted((folder / "episodes").glob("*.yaml"))
    }


def write_episode(
    folder: str | Path,
    episode: str,
    *,
    cycle: int,
    artifact: str,
    version: str,
    purpose: str,
    paradigm: str,
    method: str,
    date: str | dt.date,
    participants: Mapping[str, str],
    transcript: str | None = None,
    notes: str | None = None,
) -> Path:
    """Create ``<folder>/episodes/<episode>.yaml``; an existing episode is never overwritten.

    Parameters
    ----------
    folder
        The study's ``data/evaluations`` folder.
    episode
        The episode id (and file name), e.g. ``FG1-framework``.
    cycle, artifact, version
        Design cycle, artifact name and version label (e.g. ``v1``) evaluated.
    purpose, paradigm
        FEDS purpose (formative | summative) and paradigm (artificial | naturalistic).
    method, date, transcript
        E.g. ``focus group``; the date; the focus group's transcript id, if any.
    participants
        ``{participant_id: perspective}`` with perspective ``client`` or ``cmo``.
    notes
        Free text, e.g. why the paradigm was chosen.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    DsrError
        A field is invalid, or the episode exists already (edit its file instead).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> write_episode(folder, "FG1-framework", cycle=1, artifact="framework", version="v1",
    ...               purpose="formative", paradigm="artificial", method="focus group",
    ...               date="2026-03-12", participants={"P01": "client", "P07": "cmo"}).name
    'FG1-framework.yaml'
    """
    path = _episode_path(Path(folder), episode)
    data = {
        "id": episode,
        "cycle": cycle,
        "artifact": artifact,
        "version": version,
        "purpose": purpose,
        "paradigm": paradigm,
        "method": method,
        "date": _as_date(date),
        "transcript": transcript,
        "participants": [{"id": p, "perspective": v} for p, v in participants.items()],
        "notes": notes,
    }
    text = yaml.safe_dump(
        {k: v for k, v in data.items() if v is not None},
        sort_keys=False,
        allow_unicode=True,
        width=96,
    )
    _parse_episode(parse_yaml(text, path), episode)  # the same checks as on reading
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic and exclusive: fails if the episode exists
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: check, then rename
            if path.exists():
                raise FileExistsError(path) from None
            os.replace(tmp, path)
    except FileExistsError:
        raise DsrError(
            f"episode '{episode}' exists already",
            path=path,
            hint="edit its file, or choose another id",
        ) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _as_date(value: str | dt.date) -> str | dt.date:
    """A ``date`` from ISO text; anything else is left for the episode checks to reject."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value


def load_episodes(folder: str | Path, participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every episode and its panel, one row per (episode, participant).

    Parameters
    ----------
    folder
        The ``data/evaluations`` folder.
    participants
        Optional study ``participants`` table (participant_id, perspective): every panel
        member must be in it, and it supplies perspectives an episode file leaves out.

    Returns
    -------
    pandas.DataFrame
        :data:`EPISODE_COLUMNS`: episode, cycle, artifact, version, purpose, paradigm,
        method, date, transcript_id, participant, perspective.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_episode(folder, "FG1-framework", cycle=1, artifact="framework", version="v1",
    ...                   purpose="formative", paradigm="artificial", method="focus group",
    ...                   date="2026-03-12", participants={"P01": "client", "P07": "cmo"})
    >>> load_episodes(folder)[["episode", "participant", "perspective", "purpose"]]
             episode participant perspective    purpose
    0  FG1-framework         P01      client  formative
    1  FG1-framework         P07         cmo  formative
    """
    folder = Path(folder)
    rows = []
    for ep in _episodes(folder).values():
        for pid, persp in _panel(ep, participants).items():
            rows.append(
                {
                    "episode": ep.id,
                    **ep.fields,
                    "transcript_id": ep.fields["transcript"],
                    "participant": pid,
                    "perspective": persp,
                }
            )
    table = pd.DataFrame(rows, columns=[*EPISODE_COLUMNS])
    return table.astype({"cycle": "int64"})


def _panel(ep: _Episode, participants: pd.DataFrame | None) -> dict[str, str]:
    study = {}
    if participants is not None:
        study = dict(zip(participants["participant_id"], participants["perspective"], strict=True))
    out = {}
    for i, (pid, persp) in enumerate(ep.panel.items()):
        key = f"participants[{i}]"
        if participants is not None and pid not in study:
            raise _fail(
                ep.doc,
                key,
                f"participant '{pid}' is not in the study",
                "add them to study.yaml or fix the id",
            )
        persp = persp or study.get(pid)
        if persp not in RATER_PERSPECTIVES:
            why = f"is '{persp}' in the study" if persp else "is not given"
            raise _fail(
                ep.doc,
                key,
                f"the perspective of '{pid}' {why}",
                "write {id: ..., perspective: client|cmo} for this episode",
            )
        out[pid] = persp
    return out


# --------------------------------------------------------------------------- ratings


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
    dsr_workbench.errors.DsrError: criteria (default): key 'rating': rating 7 is off the scale 1-5 (fix: give a whole number from 1 to 5)
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
    _append(folder / "ratings" / f"{episode}.jsonl", line.encode("utf-8"), timeout)
    return event


def _append(log: Path, data: bytes, timeout: float) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{log}.lock", timeout=timeout):
        fd = os.open(log, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        try:
            size = os.fstat(fd).st_size
            if size:
                os.lseek(fd, size - 1, os.SEEK_SET)
                if os.read(fd, 1) != b"\n":
                    data = _repair_tail(fd, log) + data
            view = memoryview(data)
            while view:  # one write; loops only if the OS writes part of it
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)


def _repair_tail(fd: int, log: Path) -> bytes:
    """Under the lock: end a complete last line, or move a torn one to ``<log>.torn``."""
    os.lseek(fd, 0, os.SEEK_SET)
    content = b""
    while chunk := os.read(fd, 1 << 20):
        content += chunk
    cut = content.rfind(b"\n") + 1
    try:
        if isinstance(json.loads(content[cut:]), dict):
            return b"\n"
    except ValueError:
        pass
    with open(f"{log}.torn", "ab") as torn:
        torn.write(content[cut:] + b"\n")
    os.ftruncate(fd, cut)
    return b""


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
            if number == len(lines):  # no newline after it: an interrupted append
                warnings.warn(
                    f"{log}:{number}: torn last line skipped", TornRatingWarning, stacklevel=3
                )
                continue
            event = None
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
        :func:`load_episodes`.

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


# --------------------------------------------------------------------------- summary


def rating_summary(
    evaluations: pd.DataFrame,
    by: Sequence[str] = ("cycle", "artifact", "criterion"),
    perspective_split: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """n, mean, standard deviation and a t confidence interval of the mean rating per group.

    The interval is ``mean ± t(1 - α/2, n - 1) · sd / √n`` from ``scipy.stats.t.interval``
    (Student's t; e.g. Moore, McCabe & Craig, *Introduction to the Practice of Statistics*,
    §7.1, the one-sample t confidence interval). With n = 1 the sd and interval are NaN;
    with sd = 0 the interval is the mean itself.

    Parameters
    ----------
    evaluations
        The tidy ``evaluations`` table (needs ``rating``, the ``by`` columns and, when split,
        ``perspective``).
    by
        Grouping columns.
    perspective_split
        Also group by perspective (client vs CMO).
    confidence
        Coverage of the interval, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``perspective`` (when split), then :data:`SUMMARY_COLUMNS`: n,
        mean, sd (n - 1 denominator), ci_low, ci_high.

    Examples
    --------
    >>> ev = pd.DataFrame({"criterion": ["usefulness"] * 5, "rating": [4, 4, 3, 3, 4],
    ...                    "perspective": ["client", "client", "cmo", "cmo", "client"]})
    >>> rating_summary(ev, by=["criterion"], perspective_split=False).round(3)
        criterion  n  mean     sd  ci_low  ci_high
    0  usefulness  5   3.6  0.548    2.92     4.28
    """
    keys = [*by, "perspective"] if perspective_split else list(by)
    missing = [c for c in [*keys, "rating"] if c not in evaluations.columns]
    if missing:
        raise DsrError(
            f"evaluations lack column(s) {', '.join(missing)}",
            key=missing[0],
            hint="pass the table from load_evaluations or fix `by`",
        )
    if not 0 < confidence < 1:
        raise DsrError(
            f"confidence {confidence} is not between 0 and 1",
            key="confidence",
            hint="use e.g. 0.95",
        )
    if not keys:
        raise DsrError("nothing to group by", key="by", hint="name at least one column")
    grouped = evaluations.groupby(keys, sort=True, observed=True)["rating"]
    out = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    se = out["sd"] / np.sqrt(out["n"])
    low, high = stats.t.interval(
        confidence, out["n"] - 1, loc=out["mean"], scale=se.where(se > 0, 1.0)
    )
    flat = se == 0
    out["ci_low"] = np.where(flat, out["mean"], low)
    out["ci_high"] = np.where(flat, out["mean"], high)
    out = out.astype({"n": "int64", "mean": "float64", "sd": "float64"})
    return out[[*keys, *SUMMARY_COLUMNS]]


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Decisions:
    """Requirements, design decisions and every reference they make.

    Attributes
    ----------
    requirements
        requirement_id, text, n_sources.
    decisions
        decision_id, cycle, artifact, version, decision.
    references
        owner (requirement or decision id), field (source | addresses), reference (as
        written), kind (coding | transcript | rating | requirement), target, resolved
        (True/False, <NA> when no table to check it against was given), line (in the file).
    """

    requirements: pd.DataFrame
    decisions: pd.DataFrame
    references: pd.DataFrame

    @property
    def unresolved(self) -> pd.DataFrame:
        """References that were checked and point at nothing."""
        return self.references[self.references["resolved"].eq(False).fillna(False)]

    @property
    def unaddressed(self) -> pd.DataFrame:
        """Requirements that no design decision addresses (yet)."""
        links = self.references[self.references["kind"] == "requirement"]["target"]
        return self.requirements[~self.requirements["requirement_id"].isin(links)]


def _parse_reference(ref: Any, doc: YamlDoc | None, key: str) -> tuple[str, dict[str, str]]:
    kind, _, rest = ref.partition(":") if isinstance(ref, str) else ("", "", "")
    match = _REF_PATTERNS[kind].match(rest) if kind in _REF_PATTERNS else None
    if match is None:
        hint = (
            "write coding:<coding_id>, transcript:<id>#turn<n> or "
            "rating:<episode>/<participant>/<criterion>"
        )
        if doc is None:
            raise DsrError(f"malformed reference {ref!r}", key=key, hint=hint)
        raise _fail(doc, key, f"malformed reference {ref!r}", hint)
    return kind, match.groupdict()


def load_decisions(
    path: str | Path,
    *,
    turns: pd.DataFrame | None = None,
    evaluations: pd.DataFrame | None = None,
    codings: pd.DataFrame | None = None,
) -> Decisions:
    """Read ``decisions.yaml`` and check where every reference points.

    Parameters
    ----------
    path
        ``decisions.yaml`` or the ``data/evaluations`` folder holding it.
    turns, evaluations, codings
        Optional ``turns`` (transcript_id, turn), ``evaluations`` (episode, participant,
        criterion) and ``codings`` (coding_id) tables: references of that kind are resolved
        against them; without a table, they are left unchecked (``resolved`` is <NA>).
        ``addresses`` are always checked against the file's requirements.

    Returns
    -------
    Decisions
        Tidy tables; :attr:`Decisions.unresolved` lists references that point at nothing.

    Raises
    ------
    DsrError
        Missing file, missing or repeated ids, missing fields, or a malformed reference.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "decisions.yaml"
    >>> _ = f.write_text('''requirements:
    ...   - {id: R1, text: Governance from day one, source: ["transcript:FG1#turn23"]}
    ... decisions:
    ...   - {id: D1, cycle: 2, artifact: framework, decision: Governance layer,
    ...      addresses: [R1, R9]}
    ... ''')
    >>> turns = pd.DataFrame({"transcript_id": ["FG1"], "turn": [23]})
    >>> load_decisions(f, turns=turns).references[["owner", "kind", "target", "resolved"]]
      owner         kind    target  resolved
    0    R1   transcript  FG1#23      True
    1    D1  requirement      R1      True
    2    D1  requirement      R9     False
    """
    path = Path(path)
    path = path / "decisions.yaml" if path.is_dir() else path
    if not path.exists():
        raise DsrError(
            "no decisions file", path=path, hint="create it with requirements: and decisions: lists"
        )
    doc = load_yaml(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    reqs = _entries(doc, data, "requirements", ("id", "text"))
    decs = _entries(doc, data, "decisions", ("id", "cycle", "artifact", "decision"))
    known: dict[str, set[str] | None] = {
        "requirement": {str(r["id"]) for r in reqs},
        "transcript": None if turns is None else {
            f"{t}#{int(n)}" for t, n in zip(turns["transcript_id"], turns["turn"], strict=True)
        },
        "rating": None if evaluations is None else set(
            evaluations["episode"] + "/" + evaluations["participant"] + "/"
            + evaluations["criterion"]
        ),
        "coding": None if codings is None else set(codings["coding_id"].astype(str)),
    }  # fmt: skip
    refs = []
    for section, items in (("requirements", reqs), ("decisions", decs)):
        for i, item in enumerate(items):
            for fld in ("source", "addresses") if section == "decisions" else ("source",):
                for j, ref in enumerate(_listed(doc, item, f"{section}[{i}]", fld)):
                    key = f"{section}[{i}].{fld}[{j}]"
                    kind, target = _target(ref, doc, key, fld)
                    targets = known[kind]
                    ok = None if targets is None else target in targets
                    refs.append([item["id"], fld, str(ref), kind, target, ok, doc.line(key)])
    requirements = pd.DataFrame(
        {
            "requirement_id": [str(r["id"]) for r in reqs],
            "text": [str(r["text"]) for r in reqs],
            "n_sources": [len(r.get("source") or []) for r in reqs],
        }
    )
    decisions = pd.DataFrame(
        {
            "decision_id": [str(d["id"]) for d in decs],
            "cycle": pd.array([d["cycle"] for d in decs], dtype="int64"),
            "artifact": [str(d["artifact"]) for d in decs],
            "version": [None if d.get("version") is None else str(d["version"]) for d in decs],
            "decision": [str(d["decision"]) for d in decs],
        }
    )
    references = pd.DataFrame(refs, columns=REFERENCE_COLUMNS)
    references["resolved"] = references["resolved"].astype("boolean")
    return Decisions(requirements, decisions, references)


def _listed(doc: YamlDoc, item: dict, where: str, fld: str) -> list[Any]:
    values = item.get(fld) or []
    if not isinstance(values, list):
        raise _fail(doc, f"{where}.{fld}", f"{fld} must be a list", f"write {fld}: [...]")
    return values


def _target(ref: Any, doc: YamlDoc, key: str, fld: str) -> tuple[str, str]:
    """``(kind, target)`` of one reference; ``addresses`` name requirements."""
    if fld == "addresses":
        return "requirement", str(ref)
    kind, parts = _parse_reference(ref, doc, key)
    if kind == "transcript":
        return kind, f"{parts['transcript_id']}#{parts['turn']}"
    return kind, "/".join(parts.values())


def _entries(doc: YamlDoc, data: dict, section: str, required: tuple[str, ...]) -> list[dict]:
    items = data.get(section) or []
    if not isinstance(items, list):
        raise _fail(doc, section, f"{section} must be a list", f"write {section}: - id: ...")
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{section}[{i}]"
        if not isinstance(item, dict):
            raise _fail(doc, where, "an entry must be a mapping", "write - {id: ..., ...}")
        for key in required:
            if item.get(key) in (None, ""):
                raise _fail(doc, where, f"field '{key}' is missing", f"add {key}:")
        if item["id"] in seen:
            raise _fail(
                doc, f"{where}.id", f"id '{item['id']}' is repeated", "give each entry its own id"
            )
        seen.add(item["id"])
        if section == "decisions" and not _is_int(item["cycle"]):
            raise _fail(doc, f"{where}.cycle", "cycle must be a whole number", "e.g. cycle: 2")
    return items
