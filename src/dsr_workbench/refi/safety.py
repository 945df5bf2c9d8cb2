"""Reading an untrusted QDPX archive and its XML safely.

A ``.qdpx`` file is a zip archive made by someone else's software; it may be damaged or hostile.
Nothing here extracts to disk: members are read into memory, and only after the whole archive
has been checked. An archive is refused, with a one-line :class:`~dsr_workbench.core.errors.InputError`
naming the archive and the member, when

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
import re
import stat
import zipfile
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

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

_DRIVE = re.compile(r"^[A-Za-z]:")


def check_member_name(name: str, archive: str | Path = "<archive>") -> str:
    """Return ``name`` if it stays inside the archive; raise :class:`InputError` otherwise.

    Examples
    --------
    >>> check_member_name("Sources/a.txt")
    'Sources/a.txt'
    >>> check_member_name("../../home/me/.bashrc")
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: <archive>: member '../../home/me/.bashrc' points outside the archive (zip-slip) (fix: do not open this file; ask its sender for a clean export)
    """
    posix = name.replace("\\", "/")
    parts = posix.split("/")
    if not name or "\x00" in name or posix.startswith("/") or _DRIVE.match(posix) or ".." in parts:
        raise InputError(
            f"member {name!r} points outside the archive (zip-slip)",
            path=archive,
            hint="do not open this file; ask its sender for a clean export",
        )
    return name


class SafeArchive:
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

    def __init__(self, zf: zipfile.ZipFile, path: Path) -> None:
        self._zip = zf
        self.path = path
        self.names: list[str] = [info.filename for info in zf.infolist() if not info.is_dir()]
        self._lower: dict[str, list[str]] = {}
        for name in self.names:
            self._lower.setdefault(posixpath.basename(name).lower(), []).append(name)

    @classmethod
    def open(cls, path: str | Path) -> SafeArchive:
        """Open and check an archive (see the module docstring for what is refused).

        Raises
        ------
        InputError
            Not a zip file, or any of the checks fails.
        """
        path = Path(path)
        try:
            zf = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise InputError("file not found", path=path, hint="check the path") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(
                f"not a QDPX (zip) archive: {exc}",
                path=path,
                hint="export the project again as REFI-QDA .qdpx",
            ) from None
        try:
            _check(zf, path)
        except BaseException:
            zf.close()
            raise
        return cls(zf, path)

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying zip file."""
        self._zip.close()

    def read(self, name: str) -> bytes:
        """Return a member's bytes (at most :data:`MAX_MEMBER_SIZE`)."""
        info = self._zip.getinfo(name)
        if info.file_size > MAX_MEMBER_SIZE:
            raise InputError(
                f"member {name!r} is {info.file_size:,} bytes uncompressed, more than the "
                f"limit of {MAX_MEMBER_SIZE:,}",
                path=self.path,
                hint="split the project, or raise qdpx_safety.MAX_MEMBER_SIZE if you trust it",
            )
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(
                f"member {name!r} cannot be read: {exc}",
                path=self.path,
                hint="the archive is damaged; export it again",
            ) from None

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


def _check(zf: zipfile.ZipFile, path: Path) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(
            f"archive holds {len(infos):,} members, more than the limit of {MAX_MEMBERS:,}",
            path=path,
            hint="this is not a QDPX project as tools write them",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = check_member_name(info.filename, path)
        if name in seen:
            raise InputError(
                f"member {name!r} appears twice",
                path=path,
                hint="the archive is ambiguous; export it again",
            )
        seen.add(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InputError(
                f"member {name!r} is a symbolic link",
                path=path,
                hint="QDPX archives hold plain files only; export it again",
            )
        if info.flag_bits & 0x1:
            raise InputError(
                f"member {name!r} is encrypted",
                path=path,
                hint="export the project without a password",
            )
        total += info.file_size
        if info.file_size > RATIO_FLOOR:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_RATIO:
                raise InputError(
                    f"member {name!r} would expand {ratio:,.0f} times ({info.file_size:,} "
                    f"bytes), past the limit of {MAX_RATIO:g} (a zip bomb?)",
                    path=path,
                    hint="do not open this file; ask its sender for a clean export",
                )
    if total > MAX_TOTAL_SIZE:
        raise InputError(
            f"archive would expand to {total:,} bytes, past the limit of {MAX_TOTAL_SIZE:,} "
            "(a zip bomb?)",
            path=path,
            hint="do not open this file; ask its sender for a clean export",
        )


def parse_xml(data: bytes, where: str | Path) -> Element:
    """Parse untrusted XML with ``defusedxml``; DTDs and entities are refused.

    Parameters
    ----------
    data
        The document's bytes.
    where
        What to name in messages (e.g. ``'x.qdpx:project.qde'``).

    Raises
    ------
    InputError
        Malformed XML (with its line), or a DTD / entity declaration.

    Examples
    --------
    >>> parse_xml(b"<a><b/></a>", "t.xml").tag
    'a'
    >>> parse_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "t.xml")
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: t.xml: XML declares a DTD or entities, which QDA-XML never needs: refused (billion-laughs / external-entity protection) (fix: do not open this file; ask its sender for a clean export)
    """
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
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
