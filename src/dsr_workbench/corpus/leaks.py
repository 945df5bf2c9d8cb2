"""Leak checks: find a key's real names in files, however the text is encoded or packed.

A real name must be found wherever a reader (or a program) would see it:

* **spelling**: case, accents (``Jorg`` finds ``Jörg``), typographic apostrophes, quotes and
  hyphens (``O’Brien`` = ``O'Brien``, ``Jean‑Luc`` = ``Jean-Luc``), and any run of
  whitespace between the words of a name (double spaces, line breaks, ``\\r\\n``, NBSP);
  invisible characters (soft hyphen, zero-width space, bidi marks, combining accents, ANSI
  colour codes) are ignored;
* **escapes**: HTML entities (``&#39;``, ``&#x27;``, ``&amp;``, named ones, also escaped
  twice), ``\\uXXXX`` (with surrogate pairs), ``\\xNN``, ``%NN`` and ``\\n``-style escapes;
  decoded escapes never add lines, so a hit's line is the file's line;
* **encodings**: UTF-8, cp1252, UTF-16 with or without a byte-order mark (told by where the
  NUL bytes are);
* **containers**: gzip, bzip2 and xz streams, zip files at any depth (.docx, .xlsx, .pptx,
  .qdpx, ...; their XML as text *and* attribute values), notebooks cell by cell (with their
  embedded images), PNG text chunks, PDF text (inflated content streams, ``TJ`` arrays
  joined), Parquet and Arrow tables; any other binary file by its printable runs in UTF-8
  and UTF-16LE, as ``strings`` prints them (line = the run's line in that listing);
* **file names**: a real name in a file or member name is a hit on line 0.

Every file in a folder is read, whatever its suffix. Big files are streamed in blocks; the
key is compiled once into one trie-shaped regex (:class:`LeakScanner`). Inflating is capped
by :class:`Limits` (per member, per file in total, nesting depth, member count): a file that
cannot be checked within them is refused with an :class:`~dsr_workbench.core.errors.InputError`
rather than passed unchecked. Reports name the file, line, column and the *pseudonym* -
never the real name; file names shown are pseudonymised too.
"""

from __future__ import annotations

import bz2
import codecs
import io
import lzma
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.leaks_formats import (
    UTF8_RUN,
    TooLarge,
    notebook_parts,
    pdf_text,
    png_text,
    table_text,
    xml_attributes,
    xml_text,
)
from dsr_workbench.corpus.leaks_match import (
    Emit,
    Key,
    LeakScanner,
    Term,
    TextScan,
    fold,
    scan_text,
    scanner_for,
)
from dsr_workbench.corpus.notation import utf16_order

__all__ = [
    "LEAK_COLUMNS",
    "SKIP_DIRS",
    "LeakScanner",
    "Limits",
    "check_leaks",
    "fold",
    "scanner_for",
]

LEAK_COLUMNS: list[str] = ["file", "line", "column", "pseudonym", "kind"]
"""Columns of :func:`check_leaks`. The real term itself is never reported."""

SKIP_DIRS: frozenset[str] = frozenset(
    {".git", ".venv", "node_modules", "__pycache__", ".ipynb_checkpoints"}
)
"""Folders a folder scan skips by default."""

_BLOCK = 16 << 20  # bytes read at a time
_MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Caps on inflating, against zip and gzip bombs.

    Attributes
    ----------
    member_bytes
        Most bytes one archive member or compressed stream may inflate to (and the largest
        file read whole, e.g. a PDF or a notebook).
    total_bytes
        Most inflated bytes for one file given, all members and levels together.
    depth
        Most containers nested in one another (a zip in a zip is depth 2).
    members
        Most members of one zip.
    """

    member_bytes: int = 256 * _MiB
    total_bytes: int = 1024 * _MiB
    depth: int = 4
    members: int = 50_000


# --------------------------------------------------------------------------- bytes

_UTF16_RUN = re.compile(rb"(?:[\t\n\r\x20-\x7e\xa0-\xff]\x00|[\x00-\xff][\x01\x02]){4,}")


class _Budget:
    """Inflated bytes of one file given, against :attr:`Limits.total_bytes`."""

    def __init__(self, limits: Limits, redact: Callable[[str], str]) -> None:
        self.limits, self.redact, self.used = limits, redact, 0

    def refuse(self, name: str, what: str) -> InputError:
        return InputError(
            f"{what}; it cannot be checked for real names",
            path=self.redact(name),
            hint="unpack it and check its parts, or raise the limit (check_leaks(limits=...))",
        )

    def take(self, name: str, produced: int, member_total: int) -> None:
        self.used += produced
        if member_total > self.limits.member_bytes:
            raise self.refuse(
                name, f"inflates past the limit of {self.limits.member_bytes // _MiB} MiB"
            )
        if self.used > self.limits.total_bytes:
            raise self.refuse(
                name, f"inflates past the total limit of {self.limits.total_bytes // _MiB} MiB"
            )


def _decompressor(kind: str) -> Any:
    if kind == "gz":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    return bz2.BZ2Decompressor() if kind == "bz2" else lzma.LZMADecompressor()


def _inflate(kind: str, blocks: Iterable[bytes], name: str, budget: _Budget) -> Iterator[bytes]:
    """Inflate a gzip, bzip2 or xz stream (several members in a row too), capped."""
    step = 1 << 20
    total = 0
    engine = _decompressor(kind)
    try:
        for block in blocks:
            data = block
            while True:
                if kind == "gz":
                    out = engine.decompress(data, step)
                    data = engine.unconsumed_tail
                else:
                    out = engine.decompress(data, step)
                    data = b""
                total += len(out)
                budget.take(name, len(out), total)
                if out:
                    yield out
                if engine.eof:
                    rest = engine.unused_data + data
                    if not rest.strip(b"\x00"):
                        return
                    engine, data = _decompressor(kind), rest
                    continue
                more = data if kind == "gz" else (not engine.needs_input)
                if not more:
                    break
    except (zlib.error, OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(
            f"damaged {kind} stream ({exc})",
            path=budget.redact(name),
            hint="repair or remove the file; it cannot be checked for real names",
        ) from None


def _collect(blocks: Iterable[bytes], name: str, budget: _Budget) -> bytes:
    parts, size = [], 0
    for block in blocks:
        size += len(block)
        if size > budget.limits.member_bytes:
            raise budget.refuse(
                name, f"is larger than {budget.limits.member_bytes // _MiB} MiB to read whole"
            )
        parts.append(block)
    return b"".join(parts)


def _scanner_utf16(head: bytes) -> str | None:
    """The scanner's looser UTF-16 test (see :func:`~dsr_workbench.corpus.notation.utf16_order`)."""
    return utf16_order(head, nul_share=0.3, stray_share=0.05, min_pairs=2)


class _TextDecoder:
    """Incremental UTF-8 that falls back to cp1252 block by block (or a fixed codec)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.decoder = codecs.getincrementaldecoder(encoding)(
            "strict" if encoding == "utf-8" else "replace"
        )

    def decode(self, data: bytes, final: bool = False) -> str:
        try:
            return self.decoder.decode(data, final)
        except UnicodeDecodeError:
            pending = self.decoder.getstate()[0]
            self.decoder.reset()
            return (pending + data).decode("cp1252", errors="replace")


@dataclass
class _Ctx:
    """What scanning one file given needs: the key, the limits, where hits go."""

    scanner: LeakScanner
    limits: Limits
    emit: Emit
    budget: _Budget

    def redact(self, text: str) -> str:
        return self.scanner.redact(text)

    def name_hits(self, name: str, part: str) -> None:
        """Report a term in ``part``, the end of ``name`` below what was given, as line 0."""
        offset = len(name) - len(part)
        for start, _, term in self.scanner.find(part):
            self.emit(name, 0, offset + start + 1, term)


def _scan_blob(ctx: _Ctx, name: str, blocks: Iterator[bytes], depth: int) -> None:
    """Scan one stream of bytes: sniff what it is from its first bytes, then read it."""
    if depth > ctx.limits.depth:
        raise ctx.budget.refuse(name, f"nests containers deeper than {ctx.limits.depth}")
    first = b""
    for first in blocks:
        if first:
            break
    head = first[:65536]
    stream = _chain(first, blocks)
    lower = name.lower()
    if head.startswith(b"\x1f\x8b"):
        kind = "gz"
    elif head.startswith(b"BZh") and head[3:4].isdigit() and head[4:10] == b"1AY&SY":
        kind = "bz2"
    elif head.startswith(b"\xfd7zXZ\x00"):
        kind = "xz"
    else:
        kind = ""
    if kind:
        base = re.split(r"[!/#]", name)[-1]
        inner = re.sub(r"\.(gz|tgz|bz2|xz)$", "", base, flags=re.I) or base
        _scan_blob(ctx, f"{name}!{inner}", _inflate(kind, stream, name, ctx.budget), depth + 1)
    elif head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _scan_zip(ctx, name, io.BytesIO(_collect(stream, name, ctx.budget)), depth)
    elif head.startswith((b"\x89PNG\r\n\x1a\n", b"%PDF-", b"PAR1", b"ARROW1")):
        data = _collect(stream, name, ctx.budget)
        try:
            if head.startswith(b"%PDF-"):
                text, inflated = pdf_text(data, ctx.limits.member_bytes)
                ctx.budget.take(name, inflated, 0)
            elif head.startswith(b"\x89PNG"):
                text = png_text(data, ctx.limits.member_bytes)
            else:
                text = table_text(data) or ""
        except TooLarge as exc:
            raise ctx.budget.refuse(name, str(exc)) from None
        scan_text(ctx.scanner, name, text, ctx.emit)
        if not text:  # not readable as a table after all: its bytes, then
            _scan_runs(ctx, name, iter([data]))
    else:
        _scan_bytes(ctx, name, head, stream, lower, depth)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _scan_bytes(
    ctx: _Ctx, name: str, head: bytes, stream: Iterator[bytes], lower: str, depth: int
) -> None:
    """Text (in any of its encodings) or, failing that, a binary file's printable runs."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding: str | None = "utf-16"
    elif head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif b"\x00" in head:
        encoding = _scanner_utf16(head)
    else:
        encoding = "utf-8"
    if encoding is None:
        _scan_runs(ctx, name, stream)
        return
    if lower.endswith(".ipynb"):
        data = _collect(stream, name, ctx.budget)
        text = data.decode(encoding, errors="replace")
        parts = notebook_parts(text)
        if parts is None:  # not JSON: its text, then
            scan_text(ctx.scanner, name, text, ctx.emit)
            return
        for where, part in parts:
            if isinstance(part, bytes):  # an embedded image
                _scan_blob(ctx, name + where, iter([part]), depth + 1)
            else:
                scan_text(ctx.scanner, name + where, part, ctx.emit)
        return
    decoder = _TextDecoder(encoding)
    scan = TextScan(ctx.scanner, name, ctx.emit)
    for block in stream:
        scan.feed(decoder.decode(block))
    scan.feed(decoder.decode(b"", final=True))
    scan.close()


def _scan_runs(ctx: _Ctx, name: str, stream: Iterator[bytes]) -> None:
    """A binary stream, like ``strings``: UTF-8 runs, then UTF-16LE runs, one a line."""
    scans = [
        (UTF8_RUN, TextScan(ctx.scanner, name, ctx.emit), "utf-8"),
        (_UTF16_RUN, TextScan(ctx.scanner, f"{name} (UTF-16 text)", ctx.emit), "utf-16-le"),
    ]
    carries = [b"", b""]
    for block in stream:
        for i, (pattern, scan, encoding) in enumerate(scans):
            data = carries[i] + block
            keep = max(0, len(data) - 3)  # a character may be cut at the end
            runs = []
            for found in pattern.finditer(data):
                if found.end() > len(data) - 3:
                    keep = found.start()  # the run may go on in the next block
                    break
                runs.append(found.group(0).decode(encoding, errors="replace"))
            if len(data) - keep > _MiB:  # an endless run: report what we have
                runs.append(data[keep:].decode(encoding, errors="replace"))
                keep = len(data)
            carries[i] = data[keep:]
            if runs:
                scan.feed("\n".join(runs) + "\n")
    for i, (pattern, scan, encoding) in enumerate(scans):
        tail = [m.group(0).decode(encoding, errors="replace") for m in pattern.finditer(carries[i])]
        scan.feed("\n".join(tail))
        scan.close()


# --------------------------------------------------------------------------- zip

_XML_MEMBER = (".xml", ".rels", ".qde", ".qdc", ".vml", ".xhtml", ".opf", ".ncx")


def _scan_zip(ctx: _Ctx, name: str, source: Any, depth: int) -> None:
    depth += 1
    if depth > ctx.limits.depth:
        raise ctx.budget.refuse(name, f"nests containers deeper than {ctx.limits.depth}")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise InputError(
            "not a readable zip container",
            path=ctx.redact(name),
            hint="check that the file is not damaged",
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > ctx.limits.members:
            raise ctx.budget.refuse(name, f"holds more than {ctx.limits.members} members")
        for info in infos:
            member = f"{name}!{info.filename}"
            ctx.name_hits(member, info.filename)
            if info.is_dir():
                continue
            if info.file_size > ctx.limits.member_bytes:
                raise ctx.budget.refuse(
                    member, f"declares {info.file_size // _MiB} MiB, past the member limit"
                )
            if info.flag_bits & 0x1:
                raise ctx.budget.refuse(member, "is encrypted")
            blocks = _member_blocks(archive, info, member, ctx.budget)
            if info.filename.lower().endswith(_XML_MEMBER):
                xml = _bytes_text_any(_collect(blocks, member, ctx.budget))
                scan_text(ctx.scanner, member, xml_text(xml), ctx.emit)
                scan_text(ctx.scanner, f"{member} (attributes)", xml_attributes(xml), ctx.emit)
            else:
                _scan_blob(ctx, member, blocks, depth)


def _bytes_text_any(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    order = _scanner_utf16(data[:4096]) if b"\x00" in data[:4096] else None
    return data.decode(order or "utf-8", errors="replace").lstrip("\ufeff")


def _member_blocks(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: _Budget
) -> Iterator[bytes]:
    total = 0
    try:
        with archive.open(info) as handle:
            while block := handle.read(1 << 20):
                total += len(block)
                budget.take(name, len(block), total)
                yield block
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise InputError(
            f"damaged zip member ({exc})",
            path=budget.redact(name),
            hint="repair or remove the file; it cannot be checked for real names",
        ) from None


# --------------------------------------------------------------------------- files


def _files(
    paths: Iterable[str | Path], skip: frozenset[str], redact: Callable[[str], str]
) -> Iterator[tuple[Path, Path]]:
    """Yield ``(file, the folder or file given)`` for every regular file, folders walked."""
    for given in paths:
        root = Path(given)
        if root.is_dir():
            seen: set[tuple[int, int]] = set()
            for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
                info = os.stat(dirpath)
                if (info.st_dev, info.st_ino) in seen:  # a link loop
                    dirnames[:] = []
                    continue
                seen.add((info.st_dev, info.st_ino))
                dirnames[:] = sorted(d for d in dirnames if d not in skip)
                for filename in sorted(filenames):
                    yield Path(dirpath) / filename, root
        elif root.exists():
            yield root, root
        else:
            raise InputError(
                "no such file or folder", path=redact(str(root)), hint="check the path"
            )


def _read_blocks(handle: io.BufferedReader) -> Iterator[bytes]:
    while block := handle.read(_BLOCK):
        yield block


def _display(file: Path, relative_to: Path | None) -> str:
    if relative_to is not None:
        try:
            return file.relative_to(relative_to).as_posix()
        except ValueError:
            pass
    return str(file)


def check_leaks(
    paths: Iterable[str | Path],
    key: Key,
    *,
    limits: Limits | None = None,
    relative_to: str | Path | None = None,
    skip: Iterable[str] = SKIP_DIRS,
) -> pd.DataFrame:
    """Scan files and folders for any key term (real name); return one row per hit.

    Folders are searched recursively (``skip`` folders left out), every file whatever its
    suffix; see the module's text for what is decoded and opened.

    Parameters
    ----------
    paths
        Files and folders.
    key
        From :func:`~dsr_workbench.corpus.pseudonymise.load_key`.
    limits
        Caps on inflating (default :class:`Limits`).
    relative_to
        Show files relative to this folder.
    skip
        Folder names not to enter.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LEAK_COLUMNS`; empty when nothing leaks. The real term is not
        reported, only the pseudonym it belongs to, and file names are pseudonymised, so
        the report can be shared. Line 0 is a hit in the file's (or member's) name.
        ``attrs["files"]`` is the number of files read.

    Raises
    ------
    InputError
        A path does not exist, or a file cannot be checked (unreadable, not a regular
        file, damaged or past the :class:`Limits`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dsr_workbench.corpus.pseudonymise import KeyTerm, PseudonymKey
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_text("ok\\nBy berger.\\n")
    >>> key = PseudonymKey(None, (KeyTerm("Berger", "Hannah", "person", None),))
    >>> check_leaks([d], key)[["line", "column", "pseudonym"]].to_dict("records")
    [{'line': 2, 'column': 4, 'pseudonym': 'Hannah'}]
    """
    scanner = scanner_for(key)
    limits = limits or Limits()
    base = None if relative_to is None else Path(relative_to)
    rows: list[tuple[str, int, int, str, str]] = []

    def emit(name: str, line: int, column: int, term: Term) -> None:
        rows.append((scanner.redact(name), line, column, term.pseudonym, term.kind))

    count = 0
    for file, given in _files(paths, frozenset(skip), scanner.redact):
        name = _display(file, base)
        ctx = _Ctx(scanner, limits, emit, _Budget(limits, scanner.redact))
        part = file.relative_to(given).as_posix() if file != given else file.name
        ctx.name_hits(name, part if name.endswith(part) else name)
        try:
            mode = os.stat(file).st_mode
            if not stat.S_ISREG(mode):
                raise InputError(
                    "not a regular file; it cannot be checked for real names",
                    path=scanner.redact(name),
                    hint="remove it (a pipe, socket or device) or leave it out of the scan",
                )
            with open(file, "rb") as handle:
                magic = handle.read(4)
            if magic in (b"PK\x03\x04", b"PK\x05\x06"):  # read in place, members capped
                _scan_zip(ctx, name, file, 0)
                count += 1
                continue
            with open(file, "rb") as handle:
                _scan_blob(ctx, name, _read_blocks(handle), 0)
        except OSError as exc:
            raise InputError(
                f"cannot be read ({exc.strerror or exc}); it cannot be checked for real names",
                path=scanner.redact(name),
                hint="make it readable, or leave it out of the scan",
            ) from None
        count += 1
    hits = pd.DataFrame(rows, columns=LEAK_COLUMNS)
    hits.attrs["files"] = count
    return hits
