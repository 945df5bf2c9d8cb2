"""Word documents (``.docx``) opened as untrusted archives.

A ``.docx`` is a zip archive, and python-docx loads every part of it into memory: a
``word/document.xml`` that inflates to 1.5 GB takes more than 3 GB before a single paragraph
is read. :func:`open_docx` first checks the archive with
:class:`~dsr_workbench.core.archive.SafeZip` (member names, declared sizes against
:data:`MAX_DOCX_PART` and :data:`MAX_DOCX_SIZE`, expansion ratios), inflates every member
once to prove its data match its declared size, and only then hands the file to python-docx.
Each refusal is one line naming the file and the member. The limits are read at each call, so
they can be changed at run time (``dsr_workbench.corpus.word.MAX_DOCX_PART = ...``).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from dsr_workbench.core.archive import SafeZip, ZipLimits
from dsr_workbench.core.errors import InputError

__all__ = ["MAX_DOCX_PART", "MAX_DOCX_SIZE", "docx_limits", "docx_lines", "open_docx"]

MAX_DOCX_PART = 64 * 1024**2
"""Most uncompressed bytes of one part of a ``.docx`` (``word/document.xml``, an image)."""

MAX_DOCX_SIZE = 256 * 1024**2
"""Most uncompressed bytes of all parts of a ``.docx`` together (python-docx loads them all)."""


def docx_limits() -> ZipLimits:
    """The limits of a ``.docx`` archive, from this module's constants as they are now."""
    return ZipLimits(
        total=MAX_DOCX_SIZE,
        member=MAX_DOCX_PART,
        read_all=True,
        kind=".docx",
        again="open it in Word and save it again as .docx",
        settings="dsr_workbench.corpus.word.MAX_DOCX_PART",
    )


def open_docx(path: str | Path) -> Any:
    """Check a ``.docx`` as an untrusted archive, then open it with python-docx.

    Every member's declared size, the total and the expansion ratios are checked against
    :func:`docx_limits`, and every member is inflated once (keeping nothing) to prove its data
    match what it declares; only then does python-docx, which loads every part into memory,
    see the file.

    Returns
    -------
    docx.document.Document

    Raises
    ------
    InputError
        Not a zip archive, a member past the limits (a zip bomb), damaged data, or a file
        python-docx cannot read.
    """
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError:  # pragma: no cover - python-docx is a dependency
        raise InputError(
            "python-docx is not installed", path=path, hint="pip install python-docx"
        ) from None
    path = Path(path)
    with SafeZip.open(path, docx_limits()) as archive:
        archive.verify()
    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError, SyntaxError) as exc:
        raise InputError(
            f"not a readable .docx file ({exc.__class__.__name__})",
            path=path,
            hint="open and re-save it in Word as .docx",
        ) from None


def docx_lines(path: Path) -> tuple[list[str], list[list[str]]]:
    """The paragraphs (NFC) and table rows (cells stripped) of a checked ``.docx``."""
    document = open_docx(path)
    paragraphs = [
        unicodedata.normalize("NFC", p.text.replace("\r", "\n")) for p in document.paragraphs
    ]
    rows: list[list[str]] = []
    for table in document.tables:
        for row in table.rows:
            rows.append([unicodedata.normalize("NFC", c.text.strip()) for c in row.cells])
    return paragraphs, rows
