"""Where each source of an imported REFI-QDA project goes in the study.

A source whose text is the normalised text of one of the study's transcripts (as we export
it), or renders to it (the raw ``.txt`` of a transcript), *is* that transcript. So is a source
named like a transcript (its id or file name) that holds at least :data:`EDITED_OVERLAP` of
its lines: the transcript was edited since. Any other source is new: its text goes to
``<interviews>/imported/<name>.txt`` — never over an existing file (one holding the same text
is reused; otherwise ``<name>_2.txt``) — and the ``study.yaml`` line to add is proposed. A new
source must have speaker labels to become a transcript; its normalised text is rendered here
exactly as :func:`dsr_workbench.corpus.read.load_corpus` will render the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.formats import decode, parse_lines
from dsr_workbench.corpus.read import render
from dsr_workbench.corpus.study import Study, fold_label
from dsr_workbench.refi.codebook import slug, unique
from dsr_workbench.refi.model import QdpxProject

__all__ = ["EDITED_OVERLAP", "plan_sources", "sha256_text"]

EDITED_OVERLAP = 0.5
"""Share of a source's lines that must be in the transcript of its name for it to count as
that transcript, edited since (its codings are then re-anchored by their quotes)."""


def sha256_text(text: str) -> str:
    """Hex SHA-256 of ``text`` in UTF-8 (as the corpus hashes a normalised text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _render(text: str, where: Path) -> tuple[str | None, list[str]]:
    """The normalised text a ``.txt`` holding ``text`` gets in the corpus, and its speakers."""
    try:
        clean = decode(text.encode("utf-8"), where)
        if not clean.strip():
            return None, []
        utterances = parse_lines(clean.split("\n"), where)
    except InputError:
        return None, []
    if not utterances:
        return None, []
    normalised, turns = render(utterances)
    return normalised, list(dict.fromkeys(turns["speaker"]))


class _Matcher:
    """Finds the study transcript a source's text is (or was before an edit)."""

    def __init__(self, study: Study, transcripts: pd.DataFrame) -> None:
        self.by_sha = dict(zip(transcripts["sha256"], transcripts["transcript_id"], strict=True))
        self.text_of = dict(zip(transcripts["transcript_id"], transcripts["text"], strict=True))
        self.by_name: dict[str, str] = {}
        for tid, file in zip(
            study.transcripts["transcript_id"], study.transcripts["file"], strict=True
        ):
            if tid in self.text_of:
                self.by_name[str(tid).casefold()] = tid
                self.by_name.setdefault(Path(file).stem.casefold(), tid)

    def __call__(self, name: str, text: str, rendered: str | None) -> tuple[str, str] | None:
        """``(transcript_id, action)``: ``transcript`` when the text is the transcript's (raw or
        normalised), ``edited`` when the source has its name and mostly its lines."""
        for probe in (text, rendered):
            if probe is not None and sha256_text(probe) in self.by_sha:
                return self.by_sha[sha256_text(probe)], "transcript"
        tid = self.by_name.get(name.casefold()) or self.by_name.get(_stem(name).casefold())
        if tid is not None and _overlap(rendered or text, self.text_of[tid]) >= EDITED_OVERLAP:
            return tid, "edited"
        return None


def _overlap(text: str, other: str) -> float:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    theirs = {line.strip() for line in other.split("\n")}
    return sum(line in theirs for line in lines) / len(lines) if lines else 0.0


def _free_file(folder: Path, base: str, text: str, taken: set[str]) -> Path:
    """``<base>.txt``, or ``<base>_2.txt``, ...: the first that is free or holds ``text``."""
    n = 1
    while True:
        stem = base if n == 1 else f"{base}_{n}"
        path = folder / f"{stem}.txt"
        if stem not in taken and (not path.exists() or _same_text(path, text)):
            taken.add(stem)
            return path
        n += 1


def plan_sources(
    study: Study,
    project: QdpxProject,
    transcripts: pd.DataFrame,
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str] | None], dict[Path, str], list[str]]:
    """Decide where each source of ``project`` goes (see the module docstring); write nothing.

    Parameters
    ----------
    study
        The study.
    project
        The imported file (its ``sources``; ``codings`` to count them).
    transcripts
        The study's ``transcripts`` table (transcript_id, text, sha256).

    Returns
    -------
    rows, targets, files, notes
        One dict per source (:data:`~dsr_workbench.refi.importing.SOURCE_PLAN_COLUMNS`, plus
        ``_yaml``: the ``study.yaml`` line of a new transcript); ``{source_id:
        (transcript_id, normalised text)}`` (``None`` for a source that cannot be a
        transcript); ``{path: text}`` of the files to create; messages for the user.

    Examples
    --------
    >>> from dsr_workbench.corpus.read import load_corpus
    >>> from dsr_workbench.refi.model import QdpxProject
    >>> from dsr_workbench.corpus.study import load_study
    >>> study = load_study(EXAMPLE_STUDY)
    >>> transcripts, _ = load_corpus(study)
    >>> sources = pd.DataFrame({"source_id": ["a", "b"], "name": ["I01", "Site visit"],
    ...                         "text": [transcripts.text[0], "Hannah: Hello.\\nKim: Hi.\\n"]})
    >>> empty = pd.DataFrame(columns=["source_id"])
    >>> project = QdpxProject(sources, empty, empty, empty, empty)
    >>> rows, targets, files, notes = plan_sources(study, project, transcripts)
    >>> [(r["name"], r["action"], r["transcript_id"], r["file"]) for r in rows]
    [('I01', 'transcript', 'I01', None), ('Site visit', 'new', 'Site_visit', 'interviews/imported/Site_visit.txt')]
    >>> targets["b"][1]
    'Hannah: Hello.\\n\\nKim: Hi.\\n'
    """
    match = _Matcher(study, transcripts)
    folder = study.paths["interviews"] / "imported"
    ids = set(transcripts["transcript_id"]) | set(study.transcripts["transcript_id"])
    known = study.speaker_map()
    rows: list[dict[str, Any]] = []
    targets: dict[str, tuple[str, str] | None] = {}
    files: dict[Path, str] = {}
    notes: list[str] = []
    stems: set[str] = set()
    today = dt.date.today()
    for src in project.sources.to_dict("records"):
        sid, name = src["source_id"], str(src["name"])
        text = unicodedata.normalize("NFC", str(src["text"]))
        row = {
            "source_id": sid,
            "name": name,
            "transcript_id": None,
            "file": None,
            "n_codings": int((project.codings["source_id"] == sid).sum()),
            "n_new": 0,
        }
        base = slug(_stem(name).replace(":", " "), "source")  # no ":" in names (Windows)
        rendered, speakers = _render(text, folder / f"{base}.txt")
        found = match(name, text, rendered)
        if found is not None:
            tid, action = found
            rows.append({**row, "action": action, "transcript_id": tid})
            targets[sid] = (tid, match.text_of[tid])
            if action == "edited":
                notes.append(
                    f"source {name!r} is transcript {tid} as it was before an edit: its "
                    "codings are re-anchored by their quotes"
                )
            continue
        path = _free_file(folder, base, text, stems)
        action = "reuse" if path.exists() else "new"
        if action == "new":
            files[path] = text
        file = Path(os.path.relpath(path, study.root)).as_posix()
        if rendered is None:
            rows.append({**row, "action": "no speakers", "file": file})
            targets[sid] = None
            notes.append(
                f"source {name!r} has no speaker labels ('Name: text'): {file} holds "
                "its text, but its codings are not imported; add labels, list it in study.yaml "
                "and import again"
            )
            continue
        tid = unique(slug(path.stem, "S"), ids)
        ids.add(tid)
        cycle = _cycle(study, today)
        rows.append(
            {
                **row,
                "action": action,
                "transcript_id": tid,
                "file": file,
                "_yaml": f"  - {{id: {tid}, file: {file}, kind: interview, date: {today}, "
                f"cycle: {cycle}}}",
            }
        )
        targets[sid] = (tid, rendered)
        unknown = [s for s in speakers if fold_label(s) not in known]
        if unknown:
            shown = ", ".join(repr(s) for s in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            notes.append(
                f"{file}: speakers {shown}{more} are not in study.yaml; add them to "
                "participants (or as aliases) before the corpus can load it"
            )
    return rows, targets, files, notes


_DOCUMENT_SUFFIXES = (".txt", ".text", ".md", ".docx", ".doc", ".odt", ".rtf", ".pdf", ".html")
"""File extensions tools keep in a source's name (QualCoder names a source by its file)."""


def _stem(name: str) -> str:
    """A source's name without a document file extension: ``interview.txt`` -> ``interview``.

    Examples
    --------
    >>> _stem("interview.txt"), _stem("Interview 3.DOCX"), _stem("v1.2 notes"), _stem(".txt")
    ('interview', 'Interview 3', 'v1.2 notes', '.txt')
    """
    root, dot, suffix = name.strip().rpartition(".")
    if dot and root.strip() and f".{suffix.lower()}" in _DOCUMENT_SUFFIXES:
        return root
    return name


def _same_text(path: Path, text: str) -> bool:
    try:
        return path.read_bytes().decode("utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _cycle(study: Study, day: dt.date) -> int:
    cycles = study.cycles
    hit = cycles.loc[((cycles["start"] <= day) & (cycles["end"] >= day)).to_numpy(), "cycle"]
    return int(hit.iloc[0]) if len(hit) else int(cycles["cycle"].iloc[-1])
