"""Pseudonymisation: replace real names with the study's pseudonyms, and find leaks.

Real names live only in a **key file** outside the repository (``study.key_file``, by default
under ``~/.config/dsr-workbench/keys/``; ``keys/`` inside a study is git-ignored as a
fallback). The key is YAML, a list of entries::

    - real: Johanna Berger          # the real name (person, company or site)
      pseudonym: Hannah             # what the transcripts say instead
      kind: person                  # person | organisation | site | other (optional)
      variants: [Johanna, J. Berger] # other spellings of the same real name (optional)

or, for short keys, a mapping ``{real name: pseudonym}``.

Matching is whole-word, case-insensitive and accent-insensitive ("Tomas" finds "Tomás"),
typographic apostrophes and hyphens count as plain ones, and the words of a name may be
apart by any run of whitespace; the longest term wins. Originals are never edited:
:func:`pseudonymise_file` writes a copy. Finding names in any file, however encoded or
packed, is :func:`~dsr_workbench.corpus.leaks.check_leaks` (re-exported here).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from dsr_workbench.core.atomic import atomic_write_bytes
from dsr_workbench.core.errors import InputError
from dsr_workbench.core.yamlio import load_yaml
from dsr_workbench.corpus.formats import decode
from dsr_workbench.corpus.leaks import LEAK_COLUMNS, Limits, check_leaks, fold, scanner_for
from dsr_workbench.corpus.word import open_docx

__all__ = [
    "KeyTerm",
    "LEAK_COLUMNS",
    "Limits",
    "PseudonymKey",
    "check_leaks",
    "fold",
    "load_key",
    "pseudonymise_file",
    "pseudonymise_text",
]

_KINDS = ("person", "organisation", "site", "other")
_TEXT_SUFFIXES = {
    ".txt",
    ".md",
    ".markdown",
    ".vtt",
    ".srt",
    ".csv",
    ".tsv",
    ".json",
    ".jsonl",
    ".yaml",
    ".yml",
    ".html",
    ".htm",
    ".xml",
    ".qde",
    ".qdc",
    ".tex",
    ".ipynb",
    ".py",
    ".svg",
    ".rst",
}


@dataclass(frozen=True)
class KeyTerm:
    """One real name (or a variant of it) and its pseudonym."""

    real: str
    pseudonym: str
    kind: str
    line: int | None


@dataclass(frozen=True)
class PseudonymKey:
    """A validated key: terms sorted longest first, and one matcher over all of them."""

    path: Path | None
    terms: tuple[KeyTerm, ...]

    def pattern(self) -> re.Pattern[str]:
        """Return the regex over folded text matching any term as a whole word (compiled
        once per key and process)."""
        return scanner_for(self).pattern

    def lookup(self) -> dict[str, KeyTerm]:
        """Return ``{folded real term, whitespace collapsed: KeyTerm}``."""
        lookup: dict[str, KeyTerm] = {}
        for term in self.terms:
            lookup.setdefault(" ".join(fold(term.real).split()), term)
        return lookup


def load_key(path: str | Path) -> PseudonymKey:
    """Read and validate a pseudonymisation key file.

    Raises
    ------
    InputError
        If the file is missing or invalid, or one real name (compared case- and
        accent-insensitively) is mapped to two different pseudonyms.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "key.yaml"
    >>> _ = f.write_text("- {real: Johanna Berger, pseudonym: Hannah, variants: [Johanna]}\\n")
    >>> [(t.real, t.pseudonym) for t in load_key(f).terms]
    [('Johanna Berger', 'Hannah'), ('Johanna', 'Hannah')]
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(
            "pseudonymisation key file not found",
            path=path,
            hint="pass --key PATH or set study.key_file / DSR_KEY_FILE",
        )
    doc = load_yaml(path)
    data = doc.data
    if isinstance(data, dict):
        data = [{"real": k, "pseudonym": v} for k, v in data.items()]
        entry_key = None
    else:
        entry_key = True
    if not isinstance(data, list) or not data:
        raise InputError(
            "the key must be a non-empty list of {real, pseudonym} entries",
            path=path,
            hint="see the format in `dsr pseudonymise --help`",
        )
    terms: list[KeyTerm] = []
    seen: dict[str, KeyTerm] = {}
    for i, entry in enumerate(data):
        where = f"[{i}]" if entry_key else str(entry.get("real"))
        line = doc.line(where) if entry_key else doc.line(str(entry.get("real")))
        if not isinstance(entry, dict) or not entry.get("real") or not entry.get("pseudonym"):
            raise InputError(
                "each entry needs 'real' and 'pseudonym'",
                path=path,
                line=line,
                hint="write '- {real: Full Name, pseudonym: Alias}'",
            )
        kind = str(entry.get("kind", "person"))
        if kind not in _KINDS:
            raise InputError(
                f"unknown kind '{kind}'",
                path=path,
                line=line,
                hint="use one of " + ", ".join(_KINDS),
            )
        variants = entry.get("variants") or []
        if isinstance(variants, str):
            variants = [variants]
        for real in [entry["real"], *variants]:
            term = KeyTerm(str(real).strip(), str(entry["pseudonym"]).strip(), kind, line)
            folded = fold(term.real)
            if folded in seen and seen[folded].pseudonym != term.pseudonym:
                raise InputError(
                    f"the real name on this line is mapped to two pseudonyms "
                    f"('{seen[folded].pseudonym}' at line {seen[folded].line} and "
                    f"'{term.pseudonym}')",
                    path=path,
                    line=line,
                    hint="map each real name to exactly one pseudonym",
                )
            if folded not in seen:
                seen[folded] = term
                terms.append(term)
    terms.sort(key=lambda t: -len(t.real))
    return PseudonymKey(path=path, terms=tuple(terms))


def pseudonymise_text(text: str, key: PseudonymKey) -> tuple[str, int]:
    """Replace every key term in ``text`` by its pseudonym.

    Returns
    -------
    text, count
        The new text and the number of replacements.

    Examples
    --------
    >>> key = PseudonymKey(None, (KeyTerm("Johanna Berger", "Hannah", "person", None),
    ...                           KeyTerm("Acme", "Alpha Pharma", "organisation", None)))
    >>> pseudonymise_text("JOHANNA BERGER joined ACME; Acmes are not Acme.", key)
    ('Hannah joined Alpha Pharma; Acmes are not Alpha Pharma.', 3)
    """
    if not key.terms:
        return text, 0
    scanner = scanner_for(key)
    pieces: list[str] = []
    last = 0
    count = 0
    folded = fold(text)
    for found in scanner.matches(folded):
        pieces.append(text[last : found.start()])
        pieces.append(scanner.term(found.group(0)).pseudonym)
        last = found.end()
        count += 1
    pieces.append(text[last:])
    return "".join(pieces), count


def _pseudonymise_docx(src: Path, key: PseudonymKey) -> tuple[bytes, int]:
    document = open_docx(src)  # checked as an untrusted archive first
    count = 0
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for para in paragraphs:
        new, n = pseudonymise_text(para.text, key)
        if not n:
            continue
        count += n
        runs = para.runs
        if not runs:
            para.text = new
            continue
        per_run = [pseudonymise_text(run.text, key) for run in runs]
        if "".join(text for text, _ in per_run) == new:  # every name sits inside one run
            for run, (text, _) in zip(runs, per_run, strict=True):
                run.text = text
        else:  # a name split across runs: the paragraph keeps its first run's formatting
            runs[0].text = new
            for run in runs[1:]:
                run.text = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), count


def pseudonymise_file(src: str | Path, dst: str | Path, key: PseudonymKey) -> int:
    """Write a pseudonymised copy of ``src`` to ``dst``; the original is never touched.

    Text files (any encoding-free UTF-8 format: txt, md, vtt, srt) and .docx are supported.

    Returns
    -------
    int
        The number of replacements.

    Raises
    ------
    InputError
        If ``dst`` is ``src`` (the original must not be overwritten) or the format is
        not supported.
    """
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise InputError("file not found", path=src, hint="check the path")
    if dst.exists() and dst.resolve() == src.resolve():
        raise InputError(
            "the output would overwrite the original",
            path=src,
            hint="write the pseudonymised copy to another folder (--out)",
        )
    suffix = src.suffix.lower()
    if suffix == ".docx":
        data, count = _pseudonymise_docx(src, key)
    elif suffix in _TEXT_SUFFIXES:
        text, count = pseudonymise_text(decode(src.read_bytes(), src), key)
        data = text.encode("utf-8")
    else:
        raise InputError(
            f"cannot pseudonymise '{suffix}' files",
            path=src,
            hint="convert it to .txt, .md, .vtt, .srt or .docx",
        )
    atomic_write_bytes(dst, data)
    return count
