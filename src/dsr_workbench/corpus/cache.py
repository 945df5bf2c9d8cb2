"""A columnar cache of the transcripts' parsed turns, so that a load re-parses only changed files.

Parsing a transcript (decoding, finding its label style, splitting cues, reading a ``.docx``)
costs hundreds of times more than reading its bytes. :func:`~dsr_workbench.corpus.read.
load_corpus` therefore keeps the turns of every file it parsed in the hidden folder
``<study root>/.dsr-cache/corpus/`` (:data:`CACHE_DIR`, which holds its own ``.gitignore``, so
no repository ever commits it; hidden folders are not build inputs either). The transcript
files stay the only source of truth.

**Key.** A file's entry is found by :func:`entry_key`: the SHA-256 of the file's bytes, its
format (from the suffix), everything else that changes the parse (the ``variant:`` and the
encoding the file is read with) and the reader's version, :data:`READER_VERSION` together with
a digest of the reader modules' source (:func:`reader_version`), so that a change to a parser
invalidates every entry even where the constant was not bumped. The per-transcript
``speakers:`` map is not part of the key: it is applied to the cached turns afterwards
(:mod:`dsr_workbench.corpus.speakers`), so editing it needs no re-parse.

**Packs.** Entries are stored together in *packs*, Arrow IPC stream files ``<digest>.arrow``
whose ``digest`` is the xxh3-128 of the file's own bytes (blake2b where ``xxhash`` is not
installed), so a truncated or damaged pack is recognised and never used. A pack's rows are the
turns of its entries, one entry after the other (columns :data:`SCHEMA`); its schema metadata
lists each entry's key, format, variant, SHA-256 of the normalised text, number of turns and
the warnings its parse gave (re-emitted on every read, so that a warm read reports what a cold
one does). Nothing in a pack is executable (no pickle). One file for the whole corpus is read
and written much faster than one per transcript. A load that parsed anything (or did not use
every entry it found, or found several packs) writes one new pack of the entries it used
(:meth:`CorpusCache.flush`) and deletes the packs it found, so the folder normally holds one
pack: the corpus as last loaded.

**Failure is only slowness.** A missing, truncated, garbage, unreadable or mismatched pack is
ignored and the files are parsed; nothing here raises. Packs are written to a temporary file
and renamed into place (``os.replace``; not fsynced: after a power failure a pack may be
missing or damaged, which its digest catches), so a reader sees a whole pack or none, and two
loaders writing at once each leave a whole, valid pack (a pack deleted under another loader
only makes that loader parse). Nothing is written where the folder cannot be created or
written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as pa_ipc

from dsr_workbench.core.atomic import atomic_write_bytes
from dsr_workbench.core.digest import ALGORITHM
from dsr_workbench.core.digest import new_hasher as _hasher

__all__ = [
    "ALGORITHM",
    "CACHE_DIR",
    "COLUMNS",
    "READER_VERSION",
    "SCHEMA",
    "CorpusCache",
    "Entry",
    "entry_key",
    "reader_version",
]

READER_VERSION = "1"
"""Version of the transcript readers and of the pack format: bump it on any change to a parser
(a pack of another version is not used; :func:`reader_version` also digests the source)."""

CACHE_DIR = Path(".dsr-cache") / "corpus"
"""The cache folder, relative to the study root."""

SCHEMA = pa.schema(
    [
        ("speaker", pa.string()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("text", pa.string()),
        ("n_words", pa.int64()),
        ("t_start", pa.float64()),
        ("t_end", pa.float64()),
        ("source_line", pa.int64()),
        ("speaker_note", pa.string()),
    ]
)
"""The turns of an entry: one row per turn (a turn's number is its position, from 1)."""

COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)
"""Columns of :data:`SCHEMA`."""

_SUFFIX = ".arrow"
_PACK = re.compile(r"[0-9a-f]{32}\.arrow")
# modules whose code decides what a file parses to (read.py renders the turns)
_READERS = (
    "read.py",
    "formats.py",
    "formats_text.py",
    "cues.py",
    "notation.py",
    "word.py",
    "cache.py",
)


@cache
def reader_version() -> str:
    """:data:`READER_VERSION` and a digest of the reader modules' source.

    Where the source cannot be read (a frozen install), the constant alone.

    Examples
    --------
    >>> reader_version().startswith(READER_VERSION + "+")
    True
    """
    digest = hashlib.sha256()
    here = Path(__file__).parent
    try:
        for name in _READERS:
            digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    except OSError:  # pragma: no cover - no source beside the bytecode
        return READER_VERSION
    return f"{READER_VERSION}+{digest.hexdigest()[:16]}"


def entry_key(sha256: str, options: dict[str, Any]) -> str:
    """The key of a file's entry: a hash of its bytes' SHA-256, the options and the reader.

    Parameters
    ----------
    sha256
        Hex SHA-256 of the transcript file's bytes.
    options
        Everything else that changes the parse (``format``, ``variant``, ``encoding``); values
        must be JSON (``None`` allowed).

    Examples
    --------
    >>> a = entry_key("ab" * 32, {"format": "txt", "variant": None})
    >>> a == entry_key("ab" * 32, {"variant": None, "format": "txt"}), len(a)
    (True, 64)
    >>> a == entry_key("ab" * 32, {"format": "txt", "variant": "colon"})
    False
    """
    parts = {"sha256": sha256, "reader": reader_version(), **options}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass
class Entry:
    """A file's parse as cached.

    Attributes
    ----------
    format, variant
        As :func:`~dsr_workbench.corpus.formats.read_file` gives them (``txt``, ``txt/colon``).
    sha256
        Hex SHA-256 of the normalised text.
    table
        The turns: an Arrow table of :data:`SCHEMA`.
    text
        The normalised text (rendered again from the turns when read from a pack).
    warnings
        ``(category name, message)`` of every warning the parse gave, in order.
    """

    format: str
    variant: str
    sha256: str
    table: pa.Table
    text: str
    warnings: list[tuple[str, str]] = field(default_factory=list)


def _digest(data: bytes | memoryview) -> str:
    hasher = _hasher()
    hasher.update(data)
    return str(hasher.hexdigest())


def _texts(table: pa.Table, counts: list[int]) -> list[str]:
    """The normalised text of each entry of a pack, rendered from its turns as
    :mod:`dsr_workbench.corpus.read` does: ``"Speaker: text"`` blocks, a blank line between."""
    if not counts:
        return []
    string = pa.large_string()
    blocks = pc.binary_join_element_wise(
        table["speaker"].cast(string),
        table["text"].cast(string),
        pa.scalar(": ", string),
        null_handling="replace",
        null_replacement="None",
    )
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]), pa.int64())
    lists = pa.LargeListArray.from_arrays(offsets, blocks.combine_chunks())
    return [text + "\n" for text in pc.binary_join(lists, pa.scalar("\n\n", string)).to_pylist()]


def _open_pack(path: Path) -> dict[str, Entry] | None:
    """The entries of a pack, or ``None`` if it is not whole, valid and of this reader."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if path.name != f"{_digest(data)}{_SUFFIX}":
        return None  # truncated, damaged or not a pack
    try:
        table = pa_ipc.open_stream(pa.py_buffer(data)).read_all()
        meta = table.schema.metadata or {}
        if meta.get(b"reader") != reader_version().encode() or not table.schema.equals(SCHEMA):
            return None
        listed = json.loads(meta[b"entries"])
        counts = [int(item[4]) for item in listed]
        if sum(counts) != table.num_rows or min(counts, default=1) < 1:
            return None
        table = table.replace_schema_metadata(None)
        texts = _texts(table, counts)
        entries: dict[str, Entry] = {}
        start = 0
        for (key, fmt, variant, sha256, rows, warned), text in zip(listed, texts, strict=True):
            entries[str(key)] = Entry(
                str(fmt),
                str(variant),
                str(sha256),
                table.slice(start, rows),
                text,
                [(str(c), str(m)) for c, m in warned],
            )
            start += rows
        return entries
    except (OSError, pa.ArrowException, ValueError, KeyError, TypeError, UnicodeError):
        return None


class CorpusCache:
    """The corpus cache of one study (see the module docstring).

    Parameters
    ----------
    folder
        Where the packs live (``<study root>/`` :data:`CACHE_DIR`); ``None`` for no cache
        (every :meth:`get` misses, nothing is written).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / ".dsr-cache" / "corpus"
    >>> store = CorpusCache(folder)
    >>> key = entry_key("00" * 32, {"format": "txt"})
    >>> store.get(key) is None
    True
    >>> turns = pa.table({"speaker": ["Kim"], "start": [5], "end": [8], "text": ["Hi."],
    ...     "n_words": [1], "t_start": [float("nan")], "t_end": [float("nan")],
    ...     "source_line": [1], "speaker_note": [None]}, schema=SCHEMA)
    >>> store.put(key, Entry("txt", "txt/colon", "ff" * 32, turns, "Kim: Hi.\\n"))
    >>> store.flush(), store.misses, store.writes
    (True, 1, 1)
    >>> again = CorpusCache(folder)
    >>> again.get(key).text, again.get(key).table["text"].to_pylist(), again.hits
    ('Kim: Hi.\\n', ['Hi.'], 2)
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self._writable = folder is not None
        self._index: dict[str, Entry] | None = None  # the packs' entries, read once
        self._read: list[str] = []  # names of the packs found (whole or not)
        self._used: dict[str, Entry] = {}  # the entries of this load, in order
        self._new = 0

    @classmethod
    def for_study(cls, root: Path) -> CorpusCache:
        """The cache of the study whose ``study.yaml`` is in ``root``."""
        return cls(root / CACHE_DIR)

    def packs(self) -> list[Path]:
        """The pack files in the folder (whatever their state)."""
        if self.folder is None:
            return []
        try:
            names = os.listdir(self.folder)
        except OSError:
            return []
        return sorted(self.folder / n for n in names if _PACK.fullmatch(n))

    def _entries(self) -> dict[str, Entry]:
        if self._index is None:
            self._index = {}
            for path in self.packs():
                found = _open_pack(path)
                self._read.append(path.name)  # deleted when a new pack is written
                if found is not None:
                    for key, entry in found.items():
                        self._index.setdefault(key, entry)
        return self._index

    def get(self, key: str) -> Entry | None:
        """The entry of ``key``, or ``None`` if no whole, valid pack holds it."""
        entry = self._entries().get(key) if self.folder is not None else None
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._used[key] = entry
        return entry

    def put(self, key: str, entry: Entry) -> None:
        """Keep ``entry`` under ``key``, to be written by :meth:`flush`."""
        self._used[key] = entry
        self._new += 1

    def flush(self, *, complete: bool = True) -> bool:
        """Write the entries of this load as one pack and delete the packs read, if anything
        changed (damaged packs are deleted too); ``True`` if a pack was written. Errors are
        ignored (``False``).

        ``complete=False`` (a load that stopped at an error) keeps the entries it did not get
        to as well.
        """
        if self.folder is None or not self._writable:
            return False
        index = self._entries()
        unused = [key for key in index if key not in self._used]
        if not self._new and not unused and len(self._read) <= 1:
            return False
        keep = dict(self._used)
        if not complete:
            keep.update((key, index[key]) for key in unused)
        try:
            name = self._write_pack(keep)
        except (OSError, pa.ArrowException, ValueError, TypeError):
            self._writable = False
            return False
        for old in self._read:
            if old != name:
                try:
                    os.unlink(self.folder / old)
                except OSError:
                    pass
        self._read = [name]
        self._index = dict(keep)
        self._used = {}
        self._new = 0
        self.writes += 1
        return True

    def _write_pack(self, entries: dict[str, Entry]) -> str:
        """Write one pack of ``entries``; return its file name."""
        listed = [
            [key, e.format, e.variant, e.sha256, e.table.num_rows, e.warnings]
            for key, e in entries.items()
        ]
        meta = {"reader": reader_version(), "entries": json.dumps(listed)}
        tables = [e.table.replace_schema_metadata(None) for e in entries.values()]
        table = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
        sink = pa.BufferOutputStream()
        with pa_ipc.new_stream(sink, SCHEMA.with_metadata(meta)) as writer:
            writer.write_table(table.replace_schema_metadata(meta))
        data = sink.getvalue()
        name = f"{_digest(memoryview(data))}{_SUFFIX}"
        self._write(name, data)
        return name

    def _write(self, name: str, data: Any) -> None:
        """Write ``data`` to ``name`` in the folder atomically (temp file, ``os.replace``)."""
        assert self.folder is not None
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# dsr-workbench: caches, rebuilt from the study's files\n*\n")
        # not fsynced: a pack lost to a power failure only makes the next read slower
        atomic_write_bytes(self.folder / name, data, fsync=False)
