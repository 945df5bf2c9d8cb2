"""Evaluation episodes and the study's rating criteria.

Part of the DSR record (see :mod:`dsr_workbench.dsr.record`, the public import site), kept
under ``data/evaluations/``:

``criteria.yaml`` (optional)
    The study's rating criteria and scale: ``scale: {min: 1, max: 5}`` and ``criteria:``, a
    list of ``{id, label, question}``. Without it: :data:`DEFAULT_CRITERIA` on 1-5.
``episodes/<episode>.yaml``
    One evaluation episode per file (see :func:`write_episode`): cycle, artifact, version,
    FEDS purpose (formative | summative) and paradigm (artificial | naturalistic) after
    Venable, Pries-Heje & Baskerville (2016), method, date, transcript (the focus group's
    transcript id, if any), participants (``{id, perspective}``; perspective client | cmo),
    notes.

The ``episodes`` table (:func:`load_episodes`, :data:`EPISODE_COLUMNS`) has one row per
(episode, participant): episode, cycle, artifact, version, purpose, paradigm, method, date,
transcript_id, participant, perspective.

References
----------
Venable, J., Pries-Heje, J., & Baskerville, R. (2016). FEDS: a Framework for Evaluation in
Design Science Research. *European Journal of Information Systems*, 25(1), 77-89.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd
import yaml

from dsr_workbench.core.errors import DsrError
from dsr_workbench.core.yamlio import YamlDoc, load_yaml, parse_yaml

__all__ = [
    "DEFAULT_CRITERIA",
    "EPISODE_COLUMNS",
    "PARADIGMS",
    "PURPOSES",
    "RATER_PERSPECTIVES",
    "Criteria",
    "load_criteria",
    "load_episodes",
    "write_episode",
]

PURPOSES: tuple[str, ...] = ("formative", "summative")
PARADIGMS: tuple[str, ...] = ("artificial", "naturalistic")
RATER_PERSPECTIVES: tuple[str, ...] = ("client", "cmo")
DEFAULT_CRITERIA: tuple[str, ...] = ("usefulness", "applicability", "completeness", "ease_of_use")

EPISODE_COLUMNS: list[str] = [
    "episode", "cycle", "artifact", "version", "purpose", "paradigm", "method", "date",
    "transcript_id", "participant", "perspective",
]  # fmt: skip

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_EPISODE_KEYS = {
    "id": False, "cycle": True, "artifact": True, "version": True, "purpose": True,
    "paradigm": True, "method": True, "date": True, "transcript": False, "participants": True,
    "notes": False,
}  # fmt: skip


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
