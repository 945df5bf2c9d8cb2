"""Speaker labels -> participants: study-wide labels and per-transcript ``speakers:`` maps.

A label in a transcript maps to a participant by, in this order,

1. the transcript's own ``speakers:`` map in ``study.yaml``, for generic labels that mean a
   different person in each file (``Speaker 2``, ``SPEAKER_00``, ``interviewee``, ``B``)::

       transcripts:
         - {id: I15, file: interviews/I15.vtt, kind: interview, date: 2026-05-04, cycle: 2,
            speakers: {Speaker 1: R1, Speaker 2: P04}}

2. the study-wide labels: every participant's pseudonym, id and ``aliases``.

Labels are compared case- and accent-insensitively
(:func:`~dsr_workbench.corpus.notation.fold_label`). The raw file is never edited. The mapping
is applied to parsed turns (after :func:`~dsr_workbench.corpus.formats.parse_file`), so a
parse cache stays valid when ``study.yaml`` changes.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dsr_workbench.core.errors import InputError, StudyError
from dsr_workbench.corpus.notation import TEXT_VARIANTS, fold_label

__all__ = [
    "assign_participants",
    "check_encoding",
    "check_speakers",
    "check_variant",
    "describe_unmapped",
    "label_map",
    "unmapped",
]


def check_speakers(
    value: Any,
    where: str,
    participants: Iterable[str],
    fail: Callable[[str, str, str], StudyError],
) -> dict[str, str]:
    """Validate a transcript entry's ``speakers:`` map; return ``{label: participant_id}``.

    Parameters
    ----------
    value
        The ``speakers`` value as parsed from YAML (``None`` if the key is absent).
    where
        The entry's key path (``transcripts[3]``), for messages.
    participants
        The ids of every participant and researcher.
    fail
        Builds the :class:`~dsr_workbench.core.errors.StudyError` for a key, message and hint
        (it names the file and line).

    Raises
    ------
    StudyError
        Not a mapping, a label that is not text, an unknown participant id, or two labels that
        fold to the same one.

    Examples
    --------
    >>> check_speakers({"Speaker 2": "P04"}, "transcripts[0]", ["P04"], None)
    {'Speaker 2': 'P04'}
    """
    if value is None:
        return {}
    key = f"{where}.speakers"
    if not isinstance(value, dict):
        raise fail(
            key,
            "must map speaker labels to participant ids",
            "write speakers: {Speaker 1: R1, Speaker 2: P04}",
        )
    known = {str(p) for p in participants}
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for label, pid in value.items():
        if not isinstance(label, str) or not label.strip():
            raise fail(
                key,
                f"speaker label {label!r} is not text",
                "quote the label, e.g. 'No': P04 or '1': P04",
            )
        if str(pid) not in known:
            raise fail(
                f"{key}.{label}",
                f"'{pid}' (for speaker '{label}') is not a participant or researcher id",
                "use an id from participants or researchers (" + ", ".join(sorted(known)) + ")",
            )
        folded = fold_label(label)
        if folded in seen:
            raise fail(
                f"{key}.{label}",
                f"speaker labels '{seen[folded]}' and '{label}' are the same label",
                "list each label once (labels are compared ignoring case and accents)",
            )
        seen[folded] = label
        out[label] = str(pid)
    return out


def check_variant(
    value: Any, where: str, fail: Callable[[str, str, str], StudyError]
) -> str | None:
    """Validate a transcript entry's ``variant:`` (a text variant to read the file by).

    Examples
    --------
    >>> check_variant("colon", "transcripts[0]", None), check_variant(None, "t", None)
    ('colon', None)
    """
    if value is None:
        return None
    if value not in TEXT_VARIANTS:
        raise fail(
            f"{where}.variant",
            f"'{value}' is not a transcript variant",
            "use one of " + ", ".join(TEXT_VARIANTS) + " (or leave it out to detect it)",
        )
    return str(value)


def check_encoding(
    value: Any, where: str, fail: Callable[[str, str, str], StudyError]
) -> str | None:
    """Validate a transcript entry's ``encoding:`` (a codec name Python knows).

    Examples
    --------
    >>> check_encoding("cp1252", "transcripts[0]", None), check_encoding(None, "t", None)
    ('cp1252', None)
    """
    if value is None:
        return None
    try:
        codecs.lookup(str(value))
    except LookupError:
        raise fail(
            f"{where}.encoding",
            f"'{value}' is not an encoding Python knows",
            "use a codec name such as cp1252, latin-1 or utf-16 (or leave it out for UTF-8)",
        ) from None
    return str(value)


def label_map(
    speakers: Mapping[str, str] | None, study_labels: Mapping[str, str]
) -> dict[str, str]:
    """``{folded label: participant_id}`` for one transcript: its own map over the study's.

    Examples
    --------
    >>> label_map({"Speaker 2": "P04"}, {"kim": "R1"})
    {'kim': 'R1', 'speaker 2': 'P04'}
    """
    out = dict(study_labels)
    for label, pid in (speakers or {}).items():
        out[fold_label(label)] = pid
    return out


def unmapped(
    labels: Iterable[str], lines: Iterable[int], mapping: Mapping[str, str]
) -> dict[str, int]:
    """``{label: first line}`` of every label that maps to no participant, in file order.

    Examples
    --------
    >>> unmapped(["Kim", "Speaker 2", "Speaker 2"], [1, 4, 9], {"kim": "R1"})
    {'Speaker 2': 4}
    """
    out: dict[str, int] = {}
    for label, line in zip(labels, lines, strict=True):
        if fold_label(label) not in mapping and label not in out:
            out[label] = int(line)
    return out


def _fix(label: str, transcript_id: str | None) -> str:
    entry = f"transcript {transcript_id}'s entry" if transcript_id else "the transcript's entry"
    return (
        f"add the person to participants (or an alias) in study.yaml, map the label in {entry} "
        f"(speakers: {{{label}: PARTICIPANT_ID}}), or correct the label"
    )


def assign_participants(
    labels: Iterable[str],
    lines: Iterable[int],
    mapping: Mapping[str, str],
    *,
    file: str,
    transcript_id: str | None = None,
) -> list[str]:
    """The participant id of each turn's label.

    Parameters
    ----------
    labels, lines
        Each turn's speaker label as written and its source line.
    mapping
        From :func:`label_map`.
    file
        The transcript file as written in ``study.yaml``, for the message.
    transcript_id
        For the hint.

    Raises
    ------
    InputError
        Naming the file, line and the first label that maps to no participant, and the fix.

    Examples
    --------
    >>> assign_participants(["Speaker 2", "Kim"], [1, 2], {"kim": "R1", "speaker 2": "P04"},
    ...                     file="x.txt")
    ['P04', 'R1']
    """
    labels, lines = list(labels), list(lines)
    missing = unmapped(labels, lines, mapping)
    if missing:
        label, line = next(iter(missing.items()))
        others = len(missing) - 1
        more = f" ({others} more unmapped label(s) in the file)" if others else ""
        raise InputError(
            f"speaker '{label}' is not in study.yaml{more}",
            path=file,
            line=line,
            hint=_fix(label, transcript_id),
        )
    return [mapping[fold_label(label)] for label in labels]


def describe_unmapped(label: str, line: int, file: str, transcript_id: str | None) -> str:
    """One line for ``dsr validate``: file, line, label and the fix."""
    fix = _fix(label, transcript_id)
    return f"{file}:{line}: speaker '{label}' maps to no participant (fix: {fix})"
