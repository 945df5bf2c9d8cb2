"""Reading an untrusted QDPX archive and its XML safely.

A ``.qdpx`` file is a zip archive made by someone else's software; it may be damaged or hostile.
The archive checks are :mod:`dsr_workbench.core.archive`'s (shared with the ``.docx`` reader),
with the QDPX limits below, read at each call so that they can be changed at run time. An
archive is refused, with a one-line :class:`~dsr_workbench.core.errors.InputError` naming the
archive and the member, when

- a member's name is absolute, has a drive letter or a ``..`` segment (zip-slip), is a symbolic
  link, is encrypted, or appears twice;
- it holds more than :data:`MAX_MEMBERS` members;
- the declared uncompressed size of all members passes :data:`MAX_TOTAL_SIZE`, or a member
  larger than :data:`RATIO_FLOOR` expands more than :data:`MAX_RATIO` times (a zip bomb);
- a member we read is larger than :data:`MAX_MEMBER_SIZE`;
- its XML declares a DTD or entities (billion laughs, external entities): parsed with
  ``defusedxml``, which refuses them, and QDA-XML never needs them.

``zipfile`` never returns more bytes than a member declares, so the declared sizes checked up
front bound what reading can cost.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import Any, Self
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, fromstring

from dsr_workbench.core.archive import SafeZip, ZipLimits, check_member_name
from dsr_workbench.core.errors import InputError

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_SIZE",
    "MAX_RATIO",
    "MAX_TOTAL_SIZE",
    "MAX_XML_FILE_SIZE",
    "RATIO_FLOOR",
    "SafeArchive",
    "check_member_name",
    "parse_xml",
    "qdpx_limits",
]

MAX_MEMBERS = 10_000
"""Most members an archive may hold."""

MAX_TOTAL_SIZE = 4 * 1024**3
"""Most declared uncompressed bytes of all members together (4 GiB: media sources are big)."""

MAX_MEMBER_SIZE = 256 * 1024**2
"""Most uncompressed bytes of one member we read (``project.qde``, a plain-text source)."""

MAX_RATIO = 100.0
"""Most a member may expand (uncompressed / compressed size); text and XML expand 2-10 times."""

RATIO_FLOOR = 1024**2
"""Members up to this many uncompressed bytes are not held to :data:`MAX_RATIO`."""

MAX_XML_FILE_SIZE = MAX_MEMBER_SIZE
"""Most bytes of a stand-alone ``.qdc`` codebook file."""


def qdpx_limits() -> ZipLimits:
    """The limits of a QDPX archive, from this module's constants as they are now."""
    return ZipLimits(
        members=MAX_MEMBERS,
        total=MAX_TOTAL_SIZE,
        member=MAX_MEMBER_SIZE,
        ratio=MAX_RATIO,
        ratio_floor=RATIO_FLOOR,
        kind="QDPX",
        again="export the project again as REFI-QDA .qdpx",
        settings="dsr_workbench.refi.safety.MAX_MEMBER_SIZE",
    )


class SafeArchive(SafeZip):
    """A checked, read-only view of a QDPX (zip) archive.

    Build it with :meth:`open`; use it as a context manager. :meth:`read` returns a member's
    bytes; :meth:`find` resolves the many ways tools write a source's path.

    Examples
    --------
    >>> import io, pathlib, tempfile, zipfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.qdpx"
    >>> with zipfile.ZipFile(path, "w") as z:
    ...     z.writestr("project.qde", "<Project/>")
    ...     z.writestr("Sources/A.txt", "hello")
    >>> with SafeArchive.open(path) as archive:
    ...     archive.find("internal://A.txt"), archive.read("Sources/A.txt")
    ('Sources/A.txt', b'hello')
    """

    def __init__(self, zf: zipfile.ZipFile, path: Path, limits: ZipLimits) -> None:
        super().__init__(zf, path, limits)
        self._lower: dict[str, list[str]] = {}
        for name in self.names:
            self._lower.setdefault(posixpath.basename(name).lower(), []).append(name)

    @classmethod
    def open(cls, path: str | Path, limits: ZipLimits | None = None) -> Self:
        """Open and check an archive (see the module docstring for what is refused).

        Raises
        ------
        InputError
            Not a zip file, or any of the checks fails.
        """
        return super().open(path, limits or qdpx_limits())

    def find(self, reference: str) -> str | None:
        """Resolve a source path as tools write it to a member name, or ``None``.

        ``internal://x.txt`` means ``Sources/x.txt``; ``relative://``, ``absolute://``,
        ``file://`` and bare paths are looked up as written, under ``Sources/``, and finally
        by file name (case-insensitive) when that is unique. A reference with a ``..``
        segment is refused.
        """
        ref = reference.strip()
        scheme, sep, rest = ref.partition("://")
        if not sep:
            scheme, rest = "", ref
        rest = rest.replace("\\", "/")
        if ".." in rest.split("/"):
            raise InputError(
                f"source path {reference!r} points outside the archive",
                path=self.path,
                hint="do not open this file; ask its sender for a clean export",
            )
        rest = rest.lstrip("/")
        while rest.startswith("./"):
            rest = rest[2:]
        candidates = [f"Sources/{rest}", rest] if scheme.lower() == "internal" else [rest]
        candidates.append(f"Sources/{rest}")
        for name in candidates:
            if name in self.names:
                return name
        hits = self._lower.get(posixpath.basename(rest).lower(), [])
        return hits[0] if len(hits) == 1 else None


class _LineBuilder(TreeBuilder):
    """A tree builder that records the line each element starts on."""

    def __init__(self, lines: dict[int, int]) -> None:
        super().__init__()
        self.lines = lines
        self.parser: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        el = super().start(tag, attrs)
        self.lines[id(el)] = self.parser.parser.CurrentLineNumber
        return el


def parse_xml(data: bytes, where: str | Path, lines: dict[int, int] | None = None) -> Element:
    """Parse untrusted XML with ``defusedxml``; DTDs and entities are refused.

    Parameters
    ----------
    data
        The document's bytes.
    where
        What to name in messages (e.g. ``'x.qdpx:project.qde'``).
    lines
        If given, filled with ``{id(element): line}`` for every element, so that messages
        about an element can name its line (valid while the returned tree lives).

    Raises
    ------
    InputError
        Malformed XML (with its line), or a DTD / entity declaration.

    Examples
    --------
    >>> lines = {}
    >>> root = parse_xml(b"<a>\\n<b/></a>", "t.xml", lines)
    >>> root.tag, lines[id(root[0])]
    ('a', 2)
    >>> parse_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "t.xml")
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: t.xml: XML declares a DTD or entities, which QDA-XML never needs: refused (billion-laughs / external-entity protection) (fix: do not open this file; ask its sender for a clean export)
    """
    safe = {"forbid_dtd": True, "forbid_entities": True, "forbid_external": True}
    try:
        if lines is None:
            return fromstring(data, **safe)
        builder = _LineBuilder(lines)
        parser = DefusedXMLParser(target=builder, **safe)
        builder.parser = parser
        parser.feed(data)
        root: Element = parser.close()
        return root
    except DefusedXmlException:
        raise InputError(
            "XML declares a DTD or entities, which QDA-XML never needs: refused "
            "(billion-laughs / external-entity protection)",
            path=where,
            hint="do not open this file; ask its sender for a clean export",
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(
            f"malformed XML: {exc}",
            path=where,
            line=line,
            hint="the file is damaged or not QDA-XML; export it again",
        ) from None
