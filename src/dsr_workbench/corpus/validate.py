"""Check transcript files one by one, collecting every problem instead of stopping at the first.

``dsr validate`` uses :func:`check_study` (every transcript of ``study.yaml``, with its
``variant:`` and ``speakers:``) and ``dsr validate --files`` uses :func:`check_files` (any
files or folders, no study needed). Each file gives one :class:`FileReport`: the variant it
was read by (so a wrong guess is visible), its turns and speaker labels, the warnings it
raised and the errors that stopped it, each one line naming the file and line.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dsr_workbench.core.errors import DsrWarning, InputError
from dsr_workbench.corpus.formats import read_file
from dsr_workbench.corpus.notation import FORMATS
from dsr_workbench.corpus.read import render
from dsr_workbench.corpus.speakers import describe_unmapped, label_map, unmapped
from dsr_workbench.corpus.study import Study

__all__ = ["FileReport", "check_files", "check_study", "transcript_files"]


@dataclass
class FileReport:
    """What reading one transcript file found.

    Attributes
    ----------
    file
        The file as given (or as written in ``study.yaml``).
    variant
        ``format/variant`` it was read by (``txt/colon``, ``vtt/voice``), or ``None`` if it
        could not be read.
    turns, words
        Counts after merging utterances into turns.
    speakers
        ``{label: turns}`` in order of first appearance.
    warnings, errors
        One line each, naming the file and line.
    """

    file: str
    variant: str | None = None
    turns: int = 0
    words: int = 0
    speakers: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file was read without errors."""
        return not self.errors


def transcript_files(paths: Iterable[str | Path]) -> list[Path]:
    """The transcript files among ``paths``: files as given, folders walked (sorted).

    In a folder, files with a transcript suffix (:data:`~dsr_workbench.corpus.notation.
    FORMATS`) are taken, except hidden ones and a ``README`` (which describes the folder).
    """
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(
                f
                for f in sorted(path.rglob("*"))
                if f.is_file()
                and f.suffix.lower() in FORMATS
                and not f.name.startswith(".")
                and f.stem.casefold() != "readme"
            )
        else:
            out.append(path)
    return out


def _read(
    path: Path, shown: str, encoding: str, variant: str | None
) -> tuple[FileReport, list[str], list[int]]:
    report = FileReport(shown)
    labels: list[str] = []
    lines: list[int] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DsrWarning)
        try:
            parsed = read_file(path, encoding, variant)
            if not parsed.utterances:
                raise InputError("no turns found", path=shown, hint="check the speaker labels")
            _, turns = render(parsed.utterances)
        except InputError as exc:
            report.errors.append(str(exc))
        else:
            report.variant = parsed.variant
            report.turns = len(turns)
            report.words = int(turns.n_words.sum())
            report.speakers = dict(Counter(turns.speaker))
            labels, lines = list(turns.speaker), [int(x) for x in turns.source_line]
    report.warnings = [str(w.message) for w in caught if issubclass(w.category, DsrWarning)]
    for w in caught:
        if not issubclass(w.category, DsrWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return report, labels, lines


def check_files(
    paths: Sequence[str | Path], encoding: str = "utf-8", variant: str | None = None
) -> list[FileReport]:
    """Read every transcript file among ``paths`` (see :func:`transcript_files`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_text("Speaker 1: Hi.\\nSpeaker 2: Hello.\\n")
    >>> _ = (folder / "b.txt").write_text("no labels\\n")
    >>> [(r.file.split("/")[-1], r.variant, r.speakers, r.ok) for r in check_files([folder])]
    [('a.txt', 'txt/colon', {'Speaker 1': 1, 'Speaker 2': 1}, True), ('b.txt', None, {}, False)]
    """
    return [_read(p, str(p), encoding, variant)[0] for p in transcript_files(paths)]


def check_study(study: Study) -> list[FileReport]:
    """Read every transcript of ``study`` and map its speakers to participants.

    A label that maps to no participant (neither the transcript's ``speakers:`` nor a
    participant's pseudonym, id or alias) is an error of that file naming the line, the label
    and the fix.
    """
    study_labels = study.speaker_map()
    reports = []
    for row in study.transcripts.itertuples(index=False):
        report, labels, lines = _read(
            Path(row.path), row.file, row.encoding or "utf-8", row.variant
        )
        mapping = label_map(row.speakers, study_labels)
        for label, line in unmapped(labels, lines, mapping).items():
            report.errors.append(describe_unmapped(label, line, row.file, row.transcript_id))
        reports.append(report)
    return reports
