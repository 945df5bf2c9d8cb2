"""Bring a REFI-QDA project (``.qdpx``) or codebook (``.qdc``) into the study.

``dsr import qdpx FILE`` (:func:`import_refi`) is for a researcher whose co-author coded in
NVivo, ATLAS.ti, MAXQDA or QualCoder, or who moves a project over. What it does, and what it
never does:

**Sources.** A source whose text is the normalised text of one of the study's transcripts
(as we export it), or whose text renders to it (the raw ``.txt`` of a transcript), *is* that
transcript: its codings go to it. So is a source named like a transcript (its id or file name)
that holds mostly the same lines: the transcript was edited since (a typo fixed); its codings
are re-anchored by their quotes. Any other source is new: its text is written, once, to
``<interviews>/imported/<name>.txt`` — an existing file is never overwritten (the same text
already there is reused, so importing twice is harmless; another text gets ``<name>_2.txt``).
``study.yaml`` is never edited: the lines to add are printed (check kind, date and cycle).
A new source must have speaker labels (``Name: text``) to become a transcript; without them
the file is still written, but its codings are listed as problems, not imported.

**Codebook.** Each imported code is matched to a code of ``data/codebook.yaml`` by GUID (our
exports derive it from the id), by its ``Code ID`` line, or by name (case-insensitive, when
unique). Matched codes are never changed; differences in name, parent or definition are
listed as conflicts. New codes are *appended* to ``data/codebook.yaml`` (created if absent)
under their parent, keeping every existing line and comment.

**Codings.** Each coding placed by :func:`~dsr_workbench.refi.read.read_qdpx` is moved from
the source's text to the transcript's normalised text by its quote (exactly; the file's
position and context choose among repeats) and appended, as an ``add`` event with origin
``import``, to the log of its coder: the REFI user's id (or name), renamed with ``coders``.
A coding any log already holds — current (also where an edit of its transcript has moved it),
or removed by a reviewer — is not added again.
A coding whose place nothing in the file confirms (no quote to check the offsets against and
a rival position convention that cannot be ruled out, see
:mod:`~dsr_workbench.refi.positions`) is imported, not dropped: placed by the REFI-QDA
standard's code-point convention, its event marked ``"verified": false``, and counted per
source with the reason in :attr:`ImportPlan.unverified`. Codings that cannot be placed at all
(outside the source's text) or moved are listed in :attr:`ImportPlan.problems` with the
source, selection, positions and reason; none is placed silently.

Nothing is written until everything has been checked; ``dry_run`` writes nothing at all.
Cases and variables are read but not merged: organisations and participants live in
``study.yaml``, which you edit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.coding.anchoring import anchor
from dsr_workbench.coding.codebook import load_codebook
from dsr_workbench.coding.codings import append_events, coding_id, fold, log_path, read_logs
from dsr_workbench.coding.events import _check_coder, make_add_event
from dsr_workbench.core.atomic import atomic_write_text
from dsr_workbench.core.errors import DsrError, InputError
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import Study, load_study
from dsr_workbench.refi.merge import CODE_PLAN_COLUMNS, append_codes, merge_codes
from dsr_workbench.refi.model import QdpxProject
from dsr_workbench.refi.read import read_qdc, read_qdpx
from dsr_workbench.refi.sources import plan_sources, sha256_text

__all__ = [
    "CODE_PLAN_COLUMNS",
    "IMPORT_PROBLEM_COLUMNS",
    "SOURCE_PLAN_COLUMNS",
    "UNVERIFIED_COLUMNS",
    "ImportPlan",
    "apply_import",
    "import_refi",
    "plan_import",
    "read_refi",
]

SOURCE_PLAN_COLUMNS = [
    "source_id",
    "name",
    "action",
    "transcript_id",
    "file",
    "n_codings",
    "n_new",
]
"""Columns of :attr:`ImportPlan.sources`; action is ``transcript`` (an existing transcript),
``edited`` (an existing transcript, edited since), ``new`` (a file to write), ``reuse`` (its
file was written by an earlier import) or ``no speakers`` (written, but not a transcript)."""
IMPORT_PROBLEM_COLUMNS = [
    "source_id",
    "source",
    "selection_id",
    "start",
    "end",
    "code_id",
    "coder",
    "problem",
]
"""Columns of :attr:`ImportPlan.problems`: the source's GUID and name, the selection's GUID,
its positions (as written in the file for a selection that could not be placed; code points
into the source's text for one that was placed but cannot go to a transcript), code, coder,
and why the coding is not imported."""
UNVERIFIED_COLUMNS = ["source_id", "source", "n_codings", "reason"]
"""Columns of :attr:`ImportPlan.unverified`: per source and reason, how many of the codings
to append are placed but unverified (their events carry ``"verified": false``)."""


@dataclass
class ImportPlan:
    """What an import does (or did); built by :func:`plan_import`, carried out by
    :func:`apply_import`.

    Attributes
    ----------
    sources
        One row per source (:data:`SOURCE_PLAN_COLUMNS`).
    codes
        One row per imported code (:data:`CODE_PLAN_COLUMNS`).
    events
        ``{coder: [add event, ...]}``: the codings to append, per coder.
    problems
        Codings not imported and why (:data:`IMPORT_PROBLEM_COLUMNS`).
    unverified
        Codings imported whose place nothing in the file confirms, per source and reason
        (:data:`UNVERIFIED_COLUMNS`).
    study_yaml
        Lines to add under ``transcripts:`` in ``study.yaml`` for the new sources.
    notes
        Other things the user should know (one line each).
    n_present
        Codings not added because a log already holds them.
    written
        Files written by :func:`apply_import` (empty for a dry run).
    """

    study: Study
    project: QdpxProject
    sources: pd.DataFrame
    codes: pd.DataFrame
    events: dict[str, list[dict[str, Any]]]
    problems: pd.DataFrame
    study_yaml: list[str]
    notes: list[str]
    n_present: int
    unverified: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=UNVERIFIED_COLUMNS)
    )
    codebook_text: str | None = None
    codebook_before: str | None = None
    files: dict[Path, str] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)

    @property
    def n_new_codes(self) -> int:
        """How many codes are appended to the codebook."""
        return int((self.codes["action"] == "new").sum())

    @property
    def n_events(self) -> int:
        """How many codings are appended to the logs."""
        return sum(len(v) for v in self.events.values())


def read_refi(path: str | Path) -> QdpxProject:
    """Read a ``.qdpx`` project or a ``.qdc`` codebook, whichever ``path`` holds.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> from dsr_workbench.refi.write import write_qdc
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "book.xml"
    >>> _ = write_qdc(path, parse_codebook("codes:\\n  - {id: A, name: Alpha}"))
    >>> read_refi(path).codes["code_id"].tolist()
    ['A']
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except FileNotFoundError:
        raise InputError("file not found", path=path, hint="check the path") from None
    return read_qdpx(path) if head.startswith(b"PK") else read_qdc(path)


# --------------------------------------------------------------------------- plan / apply


def plan_import(
    study: str | Path | Study,
    project: QdpxProject,
    *,
    coders: Mapping[str, str] | None = None,
    default_coder: str = "imported",
) -> ImportPlan:
    """Work out what importing ``project`` into the study does; write nothing.

    Parameters
    ----------
    study
        ``study.yaml`` (or its folder) or a loaded study.
    project
        From :func:`read_refi` / :func:`~dsr_workbench.refi.read.read_qdpx`.
    coders
        ``{coder in the file: coder in the study}`` renames (e.g. ``{"Gergo": "R2"}``).
    default_coder
        The coder of codings whose file names no user.

    Returns
    -------
    ImportPlan

    Raises
    ------
    DsrError
        The study cannot be loaded, a coder name cannot name a log, or the codebook file
        cannot take new codes.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> from dsr_workbench.refi.write import write_qdc
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "theirs.qdc"
    >>> _ = write_qdc(path, parse_codebook("codes:\\n  - {id: PRICE_TALKS, name: Price talks}"))
    >>> plan = plan_import(EXAMPLE_STUDY, read_refi(path))
    >>> plan.codes[["code_id", "action", "study_code"]], plan.n_events
    (       code_id action   study_code
    0  PRICE_TALKS    new  PRICE_TALKS, 0)
    """
    if not isinstance(study, Study):
        study = load_study(study)
    transcripts, _ = load_corpus(study, cache=False)  # "write nothing": not even the cache
    book_path = study.data_dir / "codebook.yaml"
    before = book_path.read_bytes().decode("utf-8-sig") if book_path.exists() else None
    book = load_codebook(book_path) if before is not None else None
    events = read_logs(study.data_dir / "codings")
    logged = _logged(events, transcripts)

    rows, targets, files, notes = plan_sources(study, project, transcripts)
    code_rows, code_map, entries = merge_codes(project, book)
    origin = project.path.name if project.path is not None else "a REFI-QDA file"
    codebook_text = append_codes(book_path, before, entries, origin) if entries else None

    rename = dict(coders or {})
    names = dict(zip(project.sources["source_id"], project.sources["name"], strict=True))
    problems = [
        {k: p.get(k) for k in IMPORT_PROBLEM_COLUMNS} | {"source": names.get(p["source_id"])}
        for p in project.problems.to_dict("records")
    ]
    unverified: dict[tuple[str, str], int] = {}
    plan_events: dict[str, list[dict[str, Any]]] = {}
    target_rows: dict[str, dict[str, str]] = {}
    n_present = 0
    seen: set[str] = set()
    codings = project.codings
    n_new: dict[str, int] = {}
    for sid, group in codings.groupby("source_id", sort=False):
        target = targets.get(sid)
        if target is None:
            for c in group.to_dict("records"):
                problems.append(
                    _problem(c, names, "its source cannot become a transcript (no speakers)")
                )
            continue
        tid, text = target
        target_rows[tid] = {"transcript_id": tid, "text": text, "sha256": sha256_text(text)}
        moved = _move(group, project, sid, tid, text)
        for c, (status, a, b) in zip(group.to_dict("records"), moved, strict=True):
            if status not in ("ok", "moved") or a is None or b is None:
                problems.append(
                    _problem(
                        c,
                        names,
                        f"its text is not in transcript {tid}'s normalised text (it spans "
                        "speaker turns, or the texts differ)",
                    )
                )
                continue
            coder = str(c["coder"]) if _filled(c["coder"]) else default_coder
            coder = _check_coder(rename.get(coder, coder))
            memo = str(c["memo"]) if _filled(c["memo"]) else None
            checked = c.get("verified") != "unverified"
            event = make_add_event(
                target_rows[tid],
                a,
                b,
                code_map[c["code_id"]],
                coder=coder,
                origin="import",
                memo=memo,
                verified=checked,
            )
            if (coder, event["coding_id"]) in logged:
                n_present += 1
                continue
            if event["coding_id"] in seen:
                continue
            seen.add(event["coding_id"])
            plan_events.setdefault(coder, []).append(event)
            n_new[sid] = n_new.get(sid, 0) + 1
            if not checked:
                key = (str(sid), str(c.get("reason") or "nothing in the file confirms its place"))
                unverified[key] = unverified.get(key, 0) + 1
    for row in rows:
        row["n_new"] = n_new.get(row["source_id"], 0)
    if len(project.sets):
        named = list(dict.fromkeys(project.sets["name"]))
        shown = ", ".join(repr(n) for n in named[:5]) + (" ..." if len(named) > 5 else "")
        notes.append(
            f"{len(named)} set(s) of codes ({shown}) are not imported: the study's codebook "
            "has no sets; their codes are imported as codes"
        )
    is_qdc = project.path is not None and project.path.suffix.lower() == ".qdc"
    if not len(project.sources) and not len(project.codings) and not is_qdc:
        notes.append(
            f"{origin} holds a codebook only (no sources, no codings): its codes are merged "
            "into data/codebook.yaml"
        )
    study_yaml = [r.pop("_yaml") for r in rows if "_yaml" in r]
    return ImportPlan(
        study=study,
        project=project,
        sources=pd.DataFrame(rows, columns=SOURCE_PLAN_COLUMNS),
        codes=code_rows,
        events=plan_events,
        problems=pd.DataFrame(problems, columns=IMPORT_PROBLEM_COLUMNS),
        unverified=pd.DataFrame(
            [(sid, names.get(sid), n, why) for (sid, why), n in unverified.items()],
            columns=UNVERIFIED_COLUMNS,
        ),
        study_yaml=study_yaml,
        notes=notes,
        n_present=n_present,
        codebook_text=codebook_text,
        codebook_before=before,
        files=files,
    )


def _logged(events: pd.DataFrame, transcripts: pd.DataFrame) -> set[tuple[str, str]]:
    """(coder, coding_id) of every coding the logs hold, and of every current coding at the
    span it has moved to after an edit of its transcript."""
    logged = set(zip(events["coder"], events["coding_id"], strict=True))
    if not len(events):
        return logged
    current = anchor(fold(events), transcripts)
    current = current.loc[(current["status"] != "lost").to_numpy()]
    columns = ["coder", "transcript_id", "start", "end", "code_id"]
    for c, t, a, b, k in current[columns].itertuples(index=False):
        logged.add((c, coding_id(c, t, int(a), int(b), k)))
    return logged


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _problem(coding: dict[str, Any], names: dict[str, str], why: str) -> dict[str, Any]:
    return {
        "source_id": coding["source_id"],
        "source": names.get(coding["source_id"]),
        "selection_id": coding.get("selection_id"),
        "start": coding.get("start"),
        "end": coding.get("end"),
        "code_id": coding["code_id"],
        "coder": coding["coder"],
        "problem": why,
    }


def _move(
    group: pd.DataFrame, project: QdpxProject, sid: str, tid: str, target: str
) -> list[tuple[str, int | None, int | None]]:
    """Move codings from a source's text to the target text by their quotes (exactly)."""
    source = project.sources.set_index("source_id").at[sid, "text"]
    nfc = unicodedata.normalize("NFC", str(source))
    starts, ends, quotes, prefixes, suffixes = [], [], [], [], []
    for a, b in zip(group["start"], group["end"], strict=True):
        a, b = int(a), int(b)
        quotes.append(unicodedata.normalize("NFC", source[a:b]))
        prefixes.append(unicodedata.normalize("NFC", source[max(0, a - 30) : a]))
        suffixes.append(unicodedata.normalize("NFC", source[b : b + 30]))
        if nfc != source:  # NFC changed lengths: aim near the same fraction of the text
            a = round(a * len(nfc) / max(len(source), 1))
        starts.append(a)
        ends.append(a + len(quotes[-1]))
    frame = pd.DataFrame(
        {
            "coding_id": [str(i) for i in range(len(group))],
            "transcript_id": tid,
            "start": starts,
            "end": ends,
            "quote": quotes,
            "prefix": prefixes,
            "suffix": suffixes,
            "code_id": "x",
            "coder": "x",
            "sha256": sha256_text(nfc),
        }
    )
    table = pd.DataFrame(
        {"transcript_id": [tid], "text": [target], "sha256": [sha256_text(target)]}
    )
    moved = anchor(frame, table, threshold=100.0)
    return [
        (st, None if pd.isna(a) else int(a), None if pd.isna(b) else int(b))
        for st, a, b in zip(moved["status"], moved["start"], moved["end"], strict=True)
    ]


def apply_import(plan: ImportPlan) -> list[Path]:
    """Carry out a plan: write new source files, append new codes, append coding events.

    Source files are created exclusively (never overwritten); the codebook is rewritten
    atomically and only if it has not changed since the plan was made; each coder's events
    go to their log in one atomic append.

    Returns
    -------
    list of Path
        The files written or appended to.

    Raises
    ------
    DsrError
        A source file appeared, or the codebook changed, since the plan was made.

    See :func:`import_refi` (which plans and applies) for an example.
    """
    book_path = plan.study.data_dir / "codebook.yaml"
    if plan.codebook_text is not None:
        now = book_path.read_bytes().decode("utf-8-sig") if book_path.exists() else None
        if now != plan.codebook_before:
            raise DsrError(
                "the codebook changed while importing",
                path=book_path,
                hint="run the import again",
            )
    written: list[Path] = []
    for path, text in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except FileExistsError:
            raise DsrError(
                "file appeared while importing; not overwritten",
                path=path,
                hint="run the import again",
            ) from None
        written.append(path)
    if plan.codebook_text is not None:
        written.append(atomic_write_text(book_path, plan.codebook_text))
    for coder, events in plan.events.items():
        log = log_path(plan.study.data_dir, coder)
        append_events(log, events)
        written.append(log)
    plan.written = written
    return written


def import_refi(
    study: str | Path | Study,
    path: str | Path,
    *,
    dry_run: bool = False,
    coders: Mapping[str, str] | None = None,
    default_coder: str = "imported",
) -> ImportPlan:
    """Import a ``.qdpx`` project or ``.qdc`` codebook into the study (see the module docstring).

    Parameters
    ----------
    study
        ``study.yaml`` (or its folder) or a loaded study.
    path
        The ``.qdpx`` or ``.qdc`` file.
    dry_run
        Plan only; write nothing.
    coders, default_coder
        See :func:`plan_import`.

    Returns
    -------
    ImportPlan
        What was (or, with ``dry_run``, would be) done; ``written`` lists the files.

    Examples
    --------
    Our own export, imported back into the study it came from, changes nothing:

    >>> import pathlib, tempfile
    >>> from dsr_workbench.refi.write import export_qdpx
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "cmr.qdpx"
    >>> _ = export_qdpx(EXAMPLE_STUDY, out)
    >>> plan = import_refi(EXAMPLE_STUDY, out, dry_run=True)
    >>> sorted(set(plan.sources["action"])), plan.n_new_codes, plan.n_events, len(plan.problems)
    (['transcript'], 0, 0, 0)
    """
    plan = plan_import(study, read_refi(path), coders=coders, default_coder=default_coder)
    if not dry_run:
        apply_import(plan)
    return plan
