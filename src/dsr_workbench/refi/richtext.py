"""A text source's text: its plain text, or the text of its ``.docx`` when that is all there is.

REFI-QDA gives a ``TextSource`` its plain text (``plainTextPath`` or inline
``PlainTextContent``) and, optionally, its formatted original (``richTextPath``, a ``.docx``
as NVivo, MAXQDA and ATLAS.ti write it). Positions count into the plain text. Some exports
leave the plain text empty, or name a plain-text file they did not pack, but carry the
``.docx``. Such a source is read from the ``.docx``: the archive member is copied (within the
archive's size limits, :mod:`dsr_workbench.refi.safety`) to a temporary file and opened with
the project's safe opener (:func:`dsr_workbench.corpus.word.docx_lines`, which refuses zip
bombs and damaged files), and its paragraphs are joined by ``\\n``.

Why ``\\n``: the standard's plain text of a document is its text with one line separator per
paragraph break, and :mod:`dsr_workbench.refi.positions` detects whether a tool counted a
line end as one character or two (CRLF), so joining by one LF loses nothing. Paragraphs only:
python-docx lists tables apart from the paragraphs, so text inside tables is left out (its
place between the paragraphs is not known). Positions into an extracted text may differ from
those the exporting tool counted into its own plain text, so codings of such a source are
placed ``unverified`` unless their quote matches (see
:func:`dsr_workbench.refi.read.read_qdpx`).
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.word import docx_lines
from dsr_workbench.refi.qdaxml import GuidRegistry, decode_text, kid, norm_guid
from dsr_workbench.refi.safety import SafeArchive

__all__ = ["SourceText", "docx_text", "source_text"]


@dataclass(frozen=True)
class SourceText:
    """What a text source's text is, and where it came from.

    Attributes
    ----------
    text
        The raw text (line ends untouched), or ``None`` when there is none to read.
    origin
        ``plain`` (its plain text), ``docx`` (extracted from its ``.docx``) or ``None``.
    member
        The archive member read (``None`` for inline text or no text).
    """

    text: str | None
    origin: str | None = None
    member: str | None = None


def docx_text(archive: SafeArchive, member: str) -> str:
    """The text of a ``.docx`` member of the archive: its paragraphs joined by ``\\n``.

    Raises
    ------
    InputError
        The ``.docx`` is hostile (a zip bomb, a member past the limits) or damaged, naming
        the archive and the member.

    Examples
    --------
    >>> import io, pathlib, tempfile, zipfile, docx
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> d = docx.Document(); _ = d.add_paragraph("Ana: We trust them."); _ = d.add_paragraph("Ben: Yes.")
    >>> d.save(folder / "a.docx")
    >>> with zipfile.ZipFile(folder / "p.qdpx", "w") as z:
    ...     z.write(folder / "a.docx", "Sources/a.docx")
    >>> with SafeArchive.open(folder / "p.qdpx") as archive:
    ...     docx_text(archive, "Sources/a.docx")
    'Ana: We trust them.\\nBen: Yes.'
    """
    data = archive.read(member)
    where = f"{archive.path}:{member}"
    handle, name = tempfile.mkstemp(suffix=".docx")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        try:
            paragraphs, _ = docx_lines(Path(name))
        except InputError as exc:  # name the archive member, not the temporary copy
            raise InputError(
                exc.message.replace(name, where),
                path=where,
                hint=exc.hint or "do not open this file; ask its sender for a clean export",
            ) from None
    finally:
        os.unlink(name)
    return "\n".join(paragraphs)


def source_text(el: Element, archive: SafeArchive, reg: GuidRegistry, label: str) -> SourceText:
    """Read a ``TextSource``'s text (see the module docstring).

    The plain text (inline or ``plainTextPath``) is used when it holds any text; else a
    ``.docx`` named by ``richTextPath`` is read. An empty plain text without a readable
    ``.docx`` is returned as the empty text.

    Raises
    ------
    InputError
        The plain text is not UTF-8; a path points outside the archive; the plain text the
        source names is not in the archive and there is no ``.docx`` to read instead (naming
        the source, its guid and both paths); the ``.docx`` is hostile or damaged.
    """
    guid = norm_guid(el.get("guid")) or ""
    inline = kid(el, "PlainTextContent")
    plain_ref = el.get("plainTextPath")
    rich_ref = (el.get("richTextPath") or "").strip() or None
    plain: SourceText | None = None
    if inline is not None:
        plain = SourceText(inline.text or "", "plain")
    elif plain_ref:
        member = archive.find(plain_ref)
        if member is not None:
            text = decode_text(archive.read(member), f"{archive.path}:{member}")
            plain = SourceText(text, "plain", member)
    if plain is not None and plain.text and plain.text.strip():
        return plain
    rich = archive.find(rich_ref) if rich_ref else None
    if rich is not None and posixpath.splitext(rich)[1].lower() == ".docx":
        return SourceText(docx_text(archive, rich), "docx", rich)
    if plain is not None:
        return plain  # empty, and no .docx to read instead
    if not plain_ref and inline is None and rich_ref is None:
        return SourceText(None)
    named = []
    if plain_ref:
        named.append(f"refers to {plain_ref!r}, which is not in the archive")
    if rich_ref:
        kind = "is not in the archive either" if rich is None else "is not a .docx"
        named.append(f"its rich text {rich_ref!r} {kind}")
    raise InputError(
        f"{label} ({guid}) {', and '.join(named)}",
        path=archive.path,
        hint="export the project again with its sources embedded",
    )
