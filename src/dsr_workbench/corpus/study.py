"""``study.yaml``: organisations, participants, researchers, design cycles and transcripts.

A study is one folder with a ``study.yaml`` at its root. :func:`load_study` reads and validates
it; every error names the file, the line, the key and the fix. The result is a
:class:`Study` whose tables are tidy DataFrames with fixed columns:

``organisations``
    organisation, pseudonym, perspective (client | cmo | both), description
``participants``
    participant_id, pseudonym, organisation, role, perspective (client | cmo | researcher),
    aliases (tuple of extra speaker labels). Researchers are participants whose perspective
    is ``researcher`` and whose organisation is missing.
``cycles``
    cycle (int), focus, start, end (``datetime.date``)
``transcripts``
    transcript_id, path (absolute), file (as written), kind (interview | focus_group), date,
    cycle, variant (the text variant to read the file by, or ``None`` to detect it), speakers
    (``{label: participant_id}`` for generic labels of this file, see
    :mod:`dsr_workbench.corpus.speakers`), encoding (a text file's encoding when it is not
    UTF-8, such as ``cp1252`` for an older Windows editor's "save as text"; ``None``: UTF-8, or
    the encoding its byte-order mark names)
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.core.errors import DsrWarning, StudyError
from dsr_workbench.core.yamlio import YamlDoc, load_yaml
from dsr_workbench.corpus.notation import fold_label
from dsr_workbench.corpus.speakers import check_encoding, check_speakers, check_variant

__all__ = [
    "DsrDeprecationWarning",
    "KINDS",
    "PERSPECTIVES",
    "Study",
    "find_study",
    "fold_label",
    "load_study",
]

PERSPECTIVES: tuple[str, ...] = ("client", "cmo", "both")
"""Perspectives an organisation may take."""

KINDS: tuple[str, ...] = ("interview", "focus_group")
"""Kinds of transcript."""

# key -> (required, type description); order is the order of the documented file.
_TOP: dict[str, bool] = {
    "study": True,
    "paths": False,
    "organisations": True,
    "participants": True,
    "researchers": False,
    "cycles": True,
    "transcripts": True,
    "reports": False,
    "build": False,
    "artifacts": False,  # deprecated spelling of "reports" (read for one release)
    "evaluation": False,
    "research_questions": False,  # validated by dsr.artifacts.research_questions
}
_SECTIONS: dict[str, dict[str, bool]] = {
    "study": {
        "id": True,
        "title": True,
        "synthetic": False,
        "key_file": False,
        "description": False,
    },
    "paths": {"interviews": False, "data": False, "reports": False, "notebooks": False},
    "build": {"timeout_minutes": False},  # values checked by dsr_workbench.build.jobs
    "organisations": {"id": True, "pseudonym": True, "perspective": True, "description": False},
    "participants": {
        "id": True,
        "pseudonym": True,
        "organisation": True,
        "role": True,
        "perspective": False,
        "aliases": False,
    },
    "researchers": {"id": True, "pseudonym": True, "role": False, "aliases": False},
    "cycles": {"id": True, "focus": True, "start": True, "end": True, "artifacts": False},
    "transcripts": {
        "id": True,
        "file": True,
        "kind": True,
        "date": True,
        "cycle": True,
        "variant": False,  # read a text/Word file by this variant (corpus.formats)
        "speakers": False,  # {label: participant id} for this file (corpus.speakers)
        "encoding": False,  # the text file's encoding when it is not UTF-8 (e.g. cp1252)
    },
}
# per-file options (corpus.speakers), None kept as None
_PER_FILE = ["variant", "speakers", "encoding"]
_DEFAULT_PATHS = {
    "interviews": "interviews",
    "data": "data",
    "reports": "reports",
    "notebooks": "notebooks",
}


@dataclass(frozen=True)
class Study:
    """A validated study. Build it with :func:`load_study`.

    Attributes
    ----------
    path
        The ``study.yaml`` file (absolute).
    id, title
        From the ``study`` section.
    organisations, participants, cycles, transcripts
        Tidy tables; columns are listed in the module docstring.
    paths
        Absolute folders: ``interviews``, ``data``, ``reports``, ``notebooks``.
    key_file
        Where the pseudonymisation key is expected (may not exist).
    raw
        The parsed YAML (for sections other modules own, e.g. ``reports``).
    """

    path: Path
    id: str
    title: str
    organisations: pd.DataFrame
    participants: pd.DataFrame
    cycles: pd.DataFrame
    transcripts: pd.DataFrame
    paths: dict[str, Path]
    key_file: Path | None
    raw: dict[str, Any] = field(repr=False)
    synthetic: bool = False
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def root(self) -> Path:
        """The study folder (where ``study.yaml`` lives)."""
        return self.path.parent

    @property
    def data_dir(self) -> Path:
        """The ``data/`` folder (codebook, codings, surveys, evaluations)."""
        return self.paths["data"]

    @property
    def reports_dir(self) -> Path:
        """Where builds write their reports."""
        return self.paths["reports"]

    def speaker_map(self) -> dict[str, str]:
        """Return ``{folded speaker label: participant_id}`` for every label a transcript may use.

        Labels are a participant's pseudonym, id and aliases, compared case- and
        accent-insensitively (see :func:`fold_label`).
        """
        out: dict[str, str] = {}
        for row in self.participants.itertuples(index=False):
            for label in (row.pseudonym, row.participant_id, *row.aliases):
                out[fold_label(label)] = row.participant_id
        return out


def find_study(start: str | Path = ".") -> Path:
    """Return the ``study.yaml`` in ``start`` or the nearest parent folder that has one.

    Raises
    ------
    StudyError
        If no folder from ``start`` up to the root holds a ``study.yaml``.
    """
    here = Path(start).resolve()
    if here.is_file():
        return here
    for folder in (here, *here.parents):
        candidate = folder / "study.yaml"
        if candidate.is_file():
            return candidate
    raise StudyError(
        f"no study.yaml in {here} or any parent folder",
        hint="run from the study folder or pass --study PATH",
    )


class _Checker:
    """Collects the context for precise error messages while validating one file."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc

    def fail(self, key: str, message: str, hint: str) -> StudyError:
        return StudyError(message, path=self.doc.path, line=self.doc.line(key), key=key, hint=hint)

    def keys(self, mapping: Any, allowed: dict[str, bool], where: str) -> None:
        if not isinstance(mapping, dict):
            raise self.fail(
                where,
                "must be a mapping of keys to values",
                f"write '{where}' as 'key: value' lines",
            )
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), list(allowed), n=1)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else "allowed keys are " + ", ".join(allowed)
                )
                raise self.fail(_key(where, key), f"unknown key '{key}'", hint)
        for key, required in allowed.items():
            if required and mapping.get(key) in (None, ""):
                raise self.fail(
                    where, f"missing key '{key}'", f"add '{key}:' to {where or 'the file'}"
                )

    def entries(self, data: dict[str, Any], section: str) -> list[dict[str, Any]]:
        items = data.get(section) or []
        if not isinstance(items, list):
            raise self.fail(section, "must be a list of entries", "write each entry as '- id: ...'")
        for i, item in enumerate(items):
            self.keys(item, _SECTIONS[section], f"{section}[{i}]")
        return items

    def unique(self, items: list[dict[str, Any]], section: str) -> None:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            ident = str(item["id"])
            if ident in seen:
                raise self.fail(
                    f"{section}[{i}].id",
                    f"duplicate {section} id '{ident}' (also {section}[{seen[ident]}])",
                    "give every entry its own id",
                )
            seen[ident] = i

    def choice(self, value: Any, options: tuple[str, ...], key: str) -> str:
        if value not in options:
            raise self.fail(
                key,
                f"'{value}' is not one of {', '.join(options)}",
                f"use one of {', '.join(options)}",
            )
        return str(value)

    def date(self, value: Any, key: str) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, f"'{value}' is not a date", "write dates as YYYY-MM-DD") from None

    def transcript_file(
        self,
        file: str,
        full: Path,
        root: Path,
        i: int,
        seen: dict[object, int],
        entries: list[dict[str, Any]],
    ) -> None:
        """Refuse a transcript path outside the study folder, or one listed twice.

        ``full`` is resolved, so ``../x.txt``, an absolute path elsewhere and a symbolic link
        that leads out of the folder are all caught; ``seen`` maps each file already listed
        (by device and inode where it exists, so two spellings of one file match) to its
        entry.
        """
        where = f"transcripts[{i}]"
        if not full.is_relative_to(root):
            raise self.fail(
                f"{where}.file",
                f"transcript file '{file}' is outside the study folder {root}"
                + (" (through a symbolic link)" if _inside_unresolved(file, root) else ""),
                "move the file into the study folder (e.g. interviews/) and give its path "
                "relative to study.yaml",
            )
        try:
            info = full.stat()
            ident: object = (info.st_dev, info.st_ino)
        except OSError:
            ident = str(full)
        if ident in seen:
            j = seen[ident]
            raise self.fail(
                f"{where}.file",
                f"transcript file '{file}' is already listed as transcripts[{j}] "
                f"('{entries[j]['id']}')",
                "list each file once: remove one of the entries or correct its path",
            )
        seen[ident] = i

    def in_cycle(self, row: dict[str, Any], cycles: list[dict[str, Any]], where: str) -> None:
        """Warn (:class:`DsrWarning`) when a transcript's date lies outside its cycle."""
        cycle = next(c for c in cycles if c["cycle"] == row["cycle"])
        if not cycle["start"] <= row["date"] <= cycle["end"]:
            message = self.fail(
                f"{where}.date",
                f"{row['date']} is outside cycle {cycle['cycle']} "
                f"({cycle['start']} to {cycle['end']})",
                "correct the date or the cycle (or the cycle's start and end)",
            )
            warnings.warn(str(message), DsrWarning, stacklevel=3)


def _inside_unresolved(file: str, root: Path) -> bool:
    """Whether ``file`` stays in ``root`` when symbolic links are not followed."""
    return Path(os.path.normpath(root / file)).is_relative_to(root)


def _key(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


class DsrDeprecationWarning(DsrWarning, DeprecationWarning):
    """A ``study.yaml`` spelling that still works but will stop working in the next release."""


def _rename_artifacts_to_reports(doc: YamlDoc, path: Path) -> None:
    """Read the old top-level key ``artifacts:`` as ``reports:``, with a deprecation warning.

    Until 0.2 the build's outputs were called artifacts; the word now means the designed DSR
    artifacts, and the section is ``reports:``. Line numbers move with the keys, so messages
    about the old file still name the right line.
    """
    data = doc.data
    if not isinstance(data, dict) or "artifacts" not in data:
        return
    line = doc.lines.get("artifacts")
    if "reports" in data:
        raise StudyError(
            "both 'reports' and its old name 'artifacts' are present",
            path=path,
            line=line,
            key="artifacts",
            hint="move the entries of 'artifacts:' under 'reports:' and delete 'artifacts:'",
        )
    warnings.warn(
        f"{path.name}:{line}: key 'artifacts' is deprecated: rename it to 'reports' "
        "(a notebook's build output is a report; 'artifact' means a designed DSR artifact)",
        DsrDeprecationWarning,
        stacklevel=3,
    )
    data["reports"] = data.pop("artifacts")
    for key in [k for k in doc.lines if k == "artifacts" or k.startswith("artifacts.")]:
        doc.lines["reports" + key[len("artifacts") :]] = doc.lines.pop(key)


def load_study(path: str | Path = "study.yaml", *, check_files: bool = True) -> Study:
    """Read and validate a ``study.yaml``.

    Parameters
    ----------
    path
        The ``study.yaml`` file, or a folder holding one (parents are searched too).
    check_files
        Also check that every transcript file exists.

    Returns
    -------
    Study

    Raises
    ------
    StudyError
        With the file, line and key of the first problem and the fix: unknown or misspelled
        keys, missing keys, duplicate ids, unknown organisations or cycles, bad perspectives,
        kinds or dates (``2026-02-30``), missing transcript files, a transcript file outside
        the study folder (``../x.txt``, an absolute path, a symbolic link leading out) or
        listed under two ids, and hostile YAML (see :mod:`dsr_workbench.core.yamlio`).

    Warns
    -----
    DsrWarning
        A transcript dated outside its cycle's start and end (naming its key and line).

    Examples
    --------
    >>> study = load_study(EXAMPLE_STUDY)
    >>> study.id, len(study.organisations), len(study.transcripts)
    ('cmr-example', 5, 19)
    >>> sorted(study.organisations.perspective.unique())
    ['both', 'client', 'cmo']
    """
    path = Path(path)
    if path.is_dir() or not path.exists():
        path = find_study(path if path.is_dir() else path.parent)
    path = path.resolve()
    doc = load_yaml(path, error=StudyError)
    _rename_artifacts_to_reports(doc, path)
    data = doc.data
    check = _Checker(doc)
    check.keys(data, _TOP, "")

    meta = data["study"]
    check.keys(meta, _SECTIONS["study"], "study")
    paths_raw = data.get("paths") or {}
    check.keys(paths_raw, _SECTIONS["paths"], "paths")
    if data.get("build") is not None:
        check.keys(data["build"], _SECTIONS["build"], "build")
    paths = {
        name: (path.parent / str(paths_raw.get(name, default))).resolve()
        for name, default in _DEFAULT_PATHS.items()
    }

    orgs = check.entries(data, "organisations")
    check.unique(orgs, "organisations")
    org_rows = []
    for i, entry in enumerate(orgs):
        org_rows.append(
            {
                "organisation": str(entry["id"]),
                "pseudonym": str(entry["pseudonym"]),
                "perspective": check.choice(
                    entry["perspective"], PERSPECTIVES, f"organisations[{i}].perspective"
                ),
                "description": str(entry.get("description") or ""),
            }
        )
    org_persp = {row["organisation"]: row["perspective"] for row in org_rows}

    people = check.entries(data, "participants")
    researchers = check.entries(data, "researchers")
    everyone = [*people, *researchers]
    check.unique(everyone, "participants")
    part_rows = []
    labels: dict[str, str] = {}
    for i, person in enumerate(people):
        where = f"participants[{i}]"
        org = str(person["organisation"])
        if org not in org_persp:
            raise check.fail(
                f"{where}.organisation",
                f"unknown organisation '{org}'",
                "use an id from 'organisations' (" + ", ".join(org_persp) + ")",
            )
        own = person.get("perspective")
        if own is None:
            perspective = org_persp[org]
        else:
            perspective = check.choice(own, PERSPECTIVES, f"{where}.perspective")
        part_rows.append(_person(person, org, perspective, check, where))
    for i, person in enumerate(researchers):
        part_rows.append(_person(person, None, "researcher", check, f"researchers[{i}]"))
    for row in part_rows:
        for label in (row["pseudonym"], row["participant_id"], *row["aliases"]):
            folded = fold_label(label)
            if folded in labels and labels[folded] != row["participant_id"]:
                raise check.fail(
                    "participants",
                    f"speaker label '{label}' belongs to both "
                    f"{labels[folded]} and {row['participant_id']}",
                    "make pseudonyms and aliases unique",
                )
            labels[folded] = row["participant_id"]

    cycles = check.entries(data, "cycles")
    check.unique(cycles, "cycles")
    cycle_rows: list[dict[str, Any]] = []
    for i, cyc in enumerate(cycles):
        where = f"cycles[{i}]"
        if not isinstance(cyc["id"], int) or isinstance(cyc["id"], bool):
            raise check.fail(
                f"{where}.id",
                f"cycle id '{cyc['id']}' is not a whole number",
                "number design cycles 1, 2, 3, ...",
            )
        start = check.date(cyc["start"], f"{where}.start")
        end = check.date(cyc["end"], f"{where}.end")
        if end < start:
            raise check.fail(
                f"{where}.end",
                f"cycle {cyc['id']} ends ({end}) before it starts ({start})",
                "swap or correct the dates",
            )
        cycle_rows.append(
            {"cycle": int(cyc["id"]), "focus": str(cyc["focus"]), "start": start, "end": end}
        )
    cycle_ids: set[int] = {int(row["cycle"]) for row in cycle_rows}

    ids = [row["participant_id"] for row in part_rows]
    transcripts = check.entries(data, "transcripts")
    check.unique(transcripts, "transcripts")
    tr_rows = []
    files_seen: dict[object, int] = {}
    for i, tr in enumerate(transcripts):
        where = f"transcripts[{i}]"
        file = str(tr["file"])
        full = (path.parent / file).resolve()
        check.transcript_file(file, full, path.parent, i, files_seen, transcripts)
        if check_files and not full.is_file():
            raise check.fail(
                f"{where}.file",
                f"transcript file '{file}' does not exist",
                "fix the path (relative to study.yaml) or add the file",
            )
        if tr["cycle"] not in cycle_ids:
            raise check.fail(
                f"{where}.cycle",
                f"unknown cycle '{tr['cycle']}'",
                "use an id from 'cycles' (" + ", ".join(map(str, sorted(cycle_ids))) + ")",
            )
        tr_rows.append(
            {
                "transcript_id": str(tr["id"]),
                "path": full,
                "file": file,
                "kind": check.choice(tr["kind"], KINDS, f"{where}.kind"),
                "date": check.date(tr["date"], f"{where}.date"),
                "cycle": int(tr["cycle"]),
                "variant": check_variant(tr.get("variant"), where, check.fail),
                "speakers": check_speakers(tr.get("speakers"), where, ids, check.fail),
                "encoding": check_encoding(tr.get("encoding"), where, check.fail),
            }
        )
        check.in_cycle(tr_rows[-1], cycle_rows, where)

    key_file = meta.get("key_file")
    env_key = os.environ.get("DSR_KEY_FILE")
    if env_key:
        key_path: Path | None = Path(env_key).expanduser()
    elif key_file:
        key_path = Path(str(key_file)).expanduser()
        if not key_path.is_absolute():
            key_path = path.parent / key_path
    else:
        key_path = None

    return Study(
        path=path,
        id=str(meta["id"]),
        title=str(meta["title"]),
        synthetic=bool(meta.get("synthetic", False)),
        organisations=pd.DataFrame(
            org_rows, columns=["organisation", "pseudonym", "perspective", "description"]
        ),
        participants=pd.DataFrame(
            part_rows,
            columns=[
                "participant_id",
                "pseudonym",
                "organisation",
                "role",
                "perspective",
                "aliases",
            ],
        ),
        cycles=pd.DataFrame(cycle_rows, columns=["cycle", "focus", "start", "end"]),
        transcripts=pd.DataFrame(
            tr_rows, columns=["transcript_id", "path", "file", "kind", "date", "cycle"]
        ).assign(**{k: pd.Series([r[k] for r in tr_rows], dtype=object) for k in _PER_FILE}),
        paths=paths,
        key_file=key_path,
        raw=data,
        lines=doc.lines,
    )


def _person(
    person: dict[str, Any], org: str | None, perspective: str, check: _Checker, where: str
) -> dict[str, Any]:
    aliases = person.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise check.fail(
            f"{where}.aliases",
            "aliases must be a list of speaker labels",
            "write aliases: [Label1, Label2]",
        )
    return {
        "participant_id": str(person["id"]),
        "pseudonym": str(person["pseudonym"]),
        "organisation": org,
        "role": str(person.get("role") or ""),
        "perspective": perspective,
        "aliases": tuple(aliases),
    }
