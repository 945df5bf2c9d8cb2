"""Plain-text transcripts (and the paragraphs of a ``.docx``): variants, speakers and times.

:func:`detect_variant` finds the speaker pattern of :data:`~dsr_workbench.corpus.notation.
TEXT_VARIANTS` that most lines follow; :func:`parse_lines` reads the lines by it. Lines of
another label style are kept as text of the current turn and reported (one
:class:`~dsr_workbench.core.errors.DsrWarning` naming the file and their lines); two styles
followed by equally many lines are an error naming both, to be settled by ``variant:`` in
``study.yaml`` (or ``variant=`` in code). f4transkript / f5 time marks (``#00:01:22-6#``) are
taken out of the text: a mark ends its paragraph, so it is the ``t_end`` of that utterance and
the ``t_start`` of the next.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from dsr_workbench.core.errors import DsrWarning, InputError
from dsr_workbench.corpus.notation import (
    F4_MARK,
    TEXT_VARIANTS,
    Utterance,
    clean_name,
    sane_time,
)

__all__ = [
    "MAX_REPORTED",
    "Hit",
    "detect_variant",
    "match_label",
    "parse_lines",
    "read_lines",
    "survey",
]

MAX_REPORTED = 10
"""Most line numbers one warning about lines of another label style lists."""

_HINT = (
    "start each turn with a label such as 'Name: ', 'I: ', '[00:01:02] Name: ', "
    "'Name (00:01:02): ', '@Name: ', '[Name]', '**Name** ', a 'Name:' or '### Name' line "
    "before paragraphs, or a 'Name  00:01:02' / '00:01:02 Name' line before the text"
)


Hit = tuple[str, str, str | None, str | None]
"""A label as read: speaker, text after it, time as written (or None), note (or None)."""


def match_label(variant: str, line: str) -> Hit | None:
    """``(speaker, text, time as written or None, note or None)`` if ``line`` has a label.

    Examples
    --------
    >>> match_label("colon", "Jane Roe (Acme GmbH): Hello.")
    ('Jane Roe', 'Hello.', None, 'Acme GmbH')
    >>> match_label("colon", "I:Wie kam es dazu?")
    ('I', 'Wie kam es dazu?', None, None)
    >>> match_label("colon", "Note: not a speaker") is None
    True
    """
    found = TEXT_VARIANTS[variant].match(line)
    return _label(found) if found else None


_clean = functools.lru_cache(maxsize=4096)(clean_name)  # labels repeat: clean each once


def _label(found: re.Match[str]) -> Hit | None:
    groups = found.groupdict()
    raw = (
        groups.get("name")
        or groups.get("hname")
        or groups.get("bname")
        or groups.get("oname")
        or groups.get("abbr")
        or ""
    )
    name = _clean(raw)
    if name is None:
        return None
    text = (groups.get("text") or groups.get("atext") or "").strip()
    note = groups.get("note")
    return name, text, groups.get("ts"), note.strip() if note else None


# Cheap tests that a stripped, non-empty line must pass for a variant's pattern to match it, so
# that each pattern is tried only where it can match (every pattern is anchored at the start).
# First character: "[" (bracket_time, bracket_name), "@" (at), "*" (bold), a digit
# (time_speaker: \d is a digit), "*" or a letter or digit (colon: a name is [^\W\d_], which
# is alphanumeric; "**Name:"; "I:"), "#", "*" or alphanumeric (speaker_line). The whole line:
# paren_time holds "(", colon ":"; speaker_line starts with "#" or "*" or ends with the digit of
# its time (the line is stripped, and \s is exactly what str.strip removes). A variant without
# a test here is always tried.
_FIRST: dict[str, Callable[[str], bool]] = {
    "bracket_time": lambda c: c == "[",
    "paren_time": str.isalnum,
    "at": lambda c: c == "@",
    "bracket_name": lambda c: c == "[",
    "colon": lambda c: c == "*" or c.isalnum(),
    "speaker_line": lambda c: c in "#*" or c.isalnum(),
    "bold": lambda c: c == "*",
    "time_speaker": str.isdigit,
}
_WHOLE: dict[str, Callable[[str], bool]] = {
    "paren_time": lambda line: "(" in line,
    "colon": lambda line: ":" in line,
    "speaker_line": lambda line: line[0] in "#*" or line[-1].isdigit(),
}

_Candidate = tuple[str, Callable[[str], "re.Match[str] | None"], Callable[[str], bool] | None]


def _hits(lines: Sequence[str]) -> dict[str, dict[int, Hit]]:
    """For each variant, ``{line index: label}`` of the lines that carry its kind of label."""
    found: dict[str, dict[int, Hit]] = {}
    by_first: dict[str, list[_Candidate]] = {}  # the variants a line's first character allows
    for index, line in enumerate(lines):
        stripped = (F4_MARK.sub("", line) if "#" in line else line).strip()
        if not stripped:
            continue
        first = stripped[0]
        candidates = by_first.get(first)
        if candidates is None:
            candidates = by_first[first] = [
                (variant, pattern.match, _WHOLE.get(variant))
                for variant, pattern in TEXT_VARIANTS.items()
                if variant not in _FIRST or _FIRST[variant](first)
            ]
        for variant, match, whole in candidates:
            if (
                (whole is None or whole(stripped))
                and (matched := match(stripped))
                and (hit := _label(matched))
            ):
                found.setdefault(variant, {})[index] = hit
    return found


def survey(lines: Sequence[str]) -> dict[str, set[int]]:
    """For each variant, the indices of the lines that carry its kind of speaker label.

    Examples
    --------
    >>> survey(["Kim: Hi.", "[Ana] Hello.", "text"]) == {"colon": {0}, "bracket_name": {1}}
    True
    """
    return {variant: set(hits) for variant, hits in _hits(lines).items()}


def _rank(found: dict[str, set[int]]) -> list[str]:
    order = list(TEXT_VARIANTS)
    return sorted(found, key=lambda v: (-len(found[v]), order.index(v)))


def detect_variant(lines: Sequence[str]) -> tuple[str | None, int]:
    """Return the plain-text variant most lines follow, and how many lines follow it.

    On a tie the earlier variant of :data:`~dsr_workbench.corpus.notation.TEXT_VARIANTS`
    wins (:func:`parse_lines` refuses a tie between variants that label different lines).

    Examples
    --------
    >>> detect_variant(["[00:00:01] Kim: Hello.", "[00:00:04] Hannah: Hi.", "more"])
    ('bracket_time', 2)
    >>> detect_variant(["no labels here"])
    (None, 0)
    """
    found = survey(lines)
    if not found:
        return None, 0
    best = _rank(found)[0]
    return best, len(found[best])


def _choose(found: dict[str, set[int]], path: str | Path, variant: str | None) -> str:
    if variant is not None:
        if variant not in TEXT_VARIANTS:
            raise InputError(
                f"unknown text variant '{variant}'",
                path=path,
                hint="use one of " + ", ".join(TEXT_VARIANTS),
            )
        return variant
    if not found:
        raise InputError("no speaker labels found", path=path, hint=_HINT)
    ranked = _rank(found)
    best = ranked[0]
    for other in ranked[1:]:
        if len(found[other]) < len(found[best]):
            break
        if found[other] != found[best]:
            one, two = sorted((best, other), key=lambda v: min(found[v]))
            raise InputError(
                f"two label styles are equally common ({len(found[best])} lines each): "
                f"'{one}' (first at line {min(found[one]) + 1}) and '{two}' (first at "
                f"line {min(found[two]) + 1})",
                path=path,
                hint=f"choose one with 'variant: {one}' (or '{two}') in this transcript's "
                "entry of study.yaml, or relabel the lines of the other style",
            )
    return best


def _f4(line: str, path: str | Path, number: int) -> tuple[str, float | None]:
    """``line`` without its f4 time marks, and the time of the last one (or ``None``)."""
    last: float | None = None
    for mark in F4_MARK.finditer(line):
        seconds = sane_time(mark.group("ts"), path, number)
        tenth = mark.group("tenth")
        if tenth:
            seconds += int(tenth) / 10 ** len(tenth)
        last = seconds
    if last is None:
        return line, None
    return F4_MARK.sub("", line), last


def _heading_level(variant: str, line: str) -> int | None:
    found = TEXT_VARIANTS[variant].match(line)
    hashes = found.groupdict().get("hashes") if found else None
    return len(hashes) if hashes else None


def parse_lines(
    lines: Sequence[str],
    path: str | Path,
    *,
    first_line: int = 1,
    unit: str = "line",
    variant: str | None = None,
    numbers: Sequence[int] | None = None,
) -> list[Utterance]:
    r"""Parse lines of a plain-text transcript into utterances (see :func:`read_lines`).

    Examples
    --------
    >>> [(u.speaker, u.text) for u in parse_lines(["Kim: Hi.", "Hannah: Hello.", "Welcome."], "x")]
    [('Kim', 'Hi.'), ('Hannah', 'Hello.\nWelcome.')]
    """
    return read_lines(
        lines, path, first_line=first_line, unit=unit, variant=variant, numbers=numbers
    )[1]


def read_lines(
    lines: Sequence[str],
    path: str | Path,
    *,
    first_line: int = 1,
    unit: str = "line",
    variant: str | None = None,
    numbers: Sequence[int] | None = None,
) -> tuple[str, list[Utterance]]:
    """Parse lines of a plain-text transcript: the variant they were read by, and utterances.

    Parameters
    ----------
    lines
        The lines of the normalised text (or docx paragraphs).
    path
        The file, for messages.
    first_line
        The number of the first line.
    unit
        ``"line"`` or ``"paragraph"``, for messages.
    variant
        Read by this variant of :data:`~dsr_workbench.corpus.notation.TEXT_VARIANTS`
        instead of the detected one.
    numbers
        The number (line, or paragraph) of each line, for utterances and messages; by default
        ``first_line``, ``first_line + 1``, ...

    Raises
    ------
    InputError
        If no line carries a speaker label, two label styles are equally common, or a time is
        not sane.

    Warns
    -----
    DsrWarning
        Naming the lines that carry a label of another style than the file's (kept as text).

    Examples
    --------
    >>> variant, utterances = read_lines(["I: Wie? #00:00:04-5#", "B: So. #00:00:09-0#"], "x")
    >>> variant, [(u.speaker, u.text, u.t_start, u.t_end) for u in utterances]
    ('colon', [('I', 'Wie?', None, 4.5), ('B', 'So.', 4.5, 9.0)])
    """
    if numbers is None:
        numbers = range(first_line, first_line + len(lines))
    hits = _hits(lines)
    found = {v: set(h) for v, h in hits.items()}
    chosen = _choose(found, path, variant)
    if chosen not in found:
        raise InputError(
            f"no line follows the label style '{chosen}' chosen for it",
            path=path,
            hint="correct 'variant:' in study.yaml or leave it out to detect the style",
        )
    levels: Counter[int] = Counter()
    if chosen == "speaker_line":  # the only variant with heading labels
        levels.update(
            level for i in found[chosen] if (level := _heading_level(chosen, lines[i].strip()))
        )
    level = levels.most_common(1)[0][0] if levels else None
    out: list[Utterance] = []
    speaker: str | None = None
    note: str | None = None
    parts: list[str] = []
    start_line = numbers[0] if numbers else first_line
    t_start: float | None = None
    t_end: float | None = None
    last_mark: float | None = None
    other: list[tuple[int, str]] = []

    def flush() -> None:
        if speaker is not None:
            out.append(Utterance(speaker, "\n".join(parts), start_line, t_start, t_end, note))

    mine = hits[chosen]
    for index, line in enumerate(lines):
        number = numbers[index]
        line, mark = _f4(line, path, number) if "#" in line else (line, None)
        stripped = line.strip()
        if not stripped:
            if mark is not None:
                t_end, last_mark = mark, mark
            continue
        hit = mine.get(index)
        if hit and level is not None and _heading_level(chosen, stripped) not in (None, level):
            hit = None  # a title heading of another level than the speakers' headings
        if hit:
            flush()
            speaker, first, ts, note = hit
            t_start = sane_time(ts, path, number) if ts is not None else last_mark
            t_end = None
            parts = [first] if first else []
            start_line = number
        else:
            styles = [v for v in hits if v != chosen and index in hits[v]]
            if styles == ["speaker_line"] and _heading_level("speaker_line", stripped):
                styles = []  # a Markdown heading in a file whose speakers are not headings
            if styles:
                other.append((number, styles[0]))
            if speaker is not None:
                parts.append(stripped)
            # text before the first label is a preamble (title, date line): not a turn
        if mark is not None:
            t_end, last_mark = mark, mark
    flush()
    if other:
        shown = ", ".join(str(n) for n, _ in other[:MAX_REPORTED])
        more = f" and {len(other) - MAX_REPORTED} more" if len(other) > MAX_REPORTED else ""
        kinds = ", ".join(sorted({kind for _, kind in other}))
        warnings.warn(
            f"{path}: {len(other)} {unit}(s) carry a label of another style ({kinds}) than "
            f"the file's ({chosen}), read as text: {unit} {shown}{more} (fix: relabel them "
            f"in the '{chosen}' style, or set 'variant:' in study.yaml)",
            DsrWarning,
            stacklevel=4,
        )
    return chosen, out
