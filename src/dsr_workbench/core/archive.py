"""Reading an untrusted zip archive (``.qdpx``, ``.docx``, any zip container) safely.

A zip file made by someone else's software may be damaged or hostile. Nothing here extracts
to disk: members are read into memory, and only after the whole archive has been checked. An
archive is refused, with a one-line :class:`~dsr_workbench.core.errors.InputError` naming the
archive and the member, when

- a member's name is absolute, has a drive letter or a ``..`` segment (zip-slip), is a symbolic
  link, is encrypted, or appears twice;
- it holds more than :attr:`ZipLimits.members` members;
- the declared uncompressed size of all members passes :attr:`ZipLimits.total`, or a member
  larger than :attr:`ZipLimits.ratio_floor` expands more than :attr:`ZipLimits.ratio` times
  (a zip bomb);
- a member we read (with :attr:`ZipLimits.read_all`: any member) is larger than
  :attr:`ZipLimits.member`;
- a member's data do not inflate to its declared size (:meth:`SafeZip.verify`).

``zipfile`` takes the sizes from the central directory and never returns more bytes than a
member declares (more data fail its CRC check), so the declared sizes checked up front bound
what reading can cost, here and in a library such as python-docx that opens the same file.

The REFI-QDA reader (:mod:`dsr_workbench.refi.safety`) and the transcript readers
(:mod:`dsr_workbench.corpus.formats`) each set their own limits.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from dsr_workbench.core.errors import InputError

__all__ = ["SafeZip", "ZipLimits", "check_member_name", "check_zip"]

_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1 << 20
_BOMB = "do not open this file; ask its sender for a clean export"


@dataclass(frozen=True)
class ZipLimits:
    """What one kind of archive may hold, and how to name it in messages.

    Attributes
    ----------
    members
        Most members.
    total
        Most declared uncompressed bytes of all members together.
    member
        Most uncompressed bytes of one member that is read.
    ratio
        Most a member may expand (uncompressed / compressed size).
    ratio_floor
        Members up to this many uncompressed bytes are not held to ``ratio``.
    read_all
        Every member will be read (python-docx loads every part), so ``member`` is checked
        for all of them when the archive is opened.
    kind
        What the archive is, for messages (``"QDPX"``, ``".docx"``).
    again
        How to get a clean copy, for messages.
    settings
        Where :attr:`member` is set, for the hint on raising it.
    """

    members: int = 10_000
    total: int = 4 * 1024**3
    member: int = 256 * 1024**2
    ratio: float = 100.0
    ratio_floor: int = 1024**2
    read_all: bool = False
    kind: str = "zip"
    again: str = "ask its sender for a clean copy"
    settings: str = "ZipLimits.member"


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


def check_zip(zf: zipfile.ZipFile, path: Path, limits: ZipLimits) -> None:
    """Check an open archive's member names, kinds and declared sizes against ``limits``.

    Raises
    ------
    InputError
        Naming the archive and the member; see the module docstring.
    """
    infos = zf.infolist()
    if len(infos) > limits.members:
        raise InputError(
            f"archive holds {len(infos):,} members, more than the limit of {limits.members:,}",
            path=path,
            hint=f"this is not a {limits.kind} file as tools write them",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = check_member_name(info.filename, path)
        if name in seen:
            raise InputError(
                f"member {name!r} appears twice",
                path=path,
                hint=f"the archive is ambiguous; {limits.again}",
            )
        seen.add(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InputError(
                f"member {name!r} is a symbolic link",
                path=path,
                hint=f"{limits.kind} archives hold plain files only; {limits.again}",
            )
        if info.flag_bits & 0x1:
            raise InputError(
                f"member {name!r} is encrypted",
                path=path,
                hint=f"save it again without a password ({limits.again})",
            )
        total += info.file_size
        if info.file_size > limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.ratio:
                raise InputError(
                    f"member {name!r} would expand {ratio:,.0f} times ({info.file_size:,} "
                    f"bytes), past the limit of {limits.ratio:g} (a zip bomb?)",
                    path=path,
                    hint=_BOMB,
                )
        if limits.read_all and not info.is_dir():
            _check_member_size(info, path, limits)
    if total > limits.total:
        raise InputError(
            f"archive would expand to {total:,} bytes, past the limit of {limits.total:,} "
            "(a zip bomb?)",
            path=path,
            hint=_BOMB,
        )


def _check_member_size(info: zipfile.ZipInfo, path: Path, limits: ZipLimits) -> None:
    if info.file_size > limits.member:
        raise InputError(
            f"member {info.filename!r} is {info.file_size:,} bytes uncompressed, more than "
            f"the limit of {limits.member:,}",
            path=path,
            hint=f"do not open it unless you trust it; to read it anyway, raise {limits.settings}",
        )


class SafeZip:
    """A checked, read-only view of a zip archive.

    Build it with :meth:`open`; use it as a context manager. :meth:`read` returns a member's
    bytes; :meth:`verify` inflates every member once to prove its data match its declared
    size and checksum.

    Examples
    --------
    >>> import pathlib, tempfile, zipfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.zip"
    >>> with zipfile.ZipFile(path, "w") as z:
    ...     z.writestr("word/document.xml", "<w:document/>")
    >>> with SafeZip.open(path, ZipLimits(kind=".docx")) as archive:
    ...     archive.names, archive.read("word/document.xml")
    (['word/document.xml'], b'<w:document/>')
    """

    def __init__(self, zf: zipfile.ZipFile, path: Path, limits: ZipLimits) -> None:
        self._zip = zf
        self.path = path
        self.limits = limits
        self.names: list[str] = [info.filename for info in zf.infolist() if not info.is_dir()]

    @classmethod
    def open(cls, path: str | Path, limits: ZipLimits) -> Self:
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
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise InputError(
                f"not a {limits.kind} (zip) archive: {exc}",
                path=path,
                hint=limits.again,
            ) from None
        try:
            check_zip(zf, path, limits)
        except BaseException:
            zf.close()
            raise
        return cls(zf, path, limits)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying zip file."""
        self._zip.close()

    def read(self, name: str) -> bytes:
        """Return a member's bytes (at most :attr:`ZipLimits.member`).

        Raises
        ------
        InputError
            The member is larger than the limit, or its data are damaged.
        """
        info = self._zip.getinfo(name)
        _check_member_size(info, self.path, self.limits)
        return b"".join(self._inflate(info))

    def verify(self) -> None:
        """Inflate every member once, keeping nothing, to check that its data are whole.

        A member whose data inflate to more (or fewer) bytes than declared, or fail the CRC
        check, is refused: no library is then handed a file whose contents lie about their
        size.
        """
        for info in self._zip.infolist():
            if not info.is_dir():
                for _ in self._inflate(info):
                    pass

    def _inflate(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """Yield the member's data in chunks, never more than it declares."""
        count = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    count += len(chunk)
                    if count > info.file_size:  # zipfile stops at the declared size; be sure
                        raise zipfile.BadZipFile("more data than declared")
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
            raise InputError(
                f"member {info.filename!r} cannot be read: {exc}",
                path=self.path,
                hint=f"the archive is damaged; {self.limits.again}",
            ) from None
        if count != info.file_size:
            raise InputError(
                f"member {info.filename!r} holds {count:,} bytes, not the {info.file_size:,} "
                "it declares",
                path=self.path,
                hint=f"the archive is damaged; {self.limits.again}",
            )
