"""Versioned report folders, manifests, hashing, and the outputs a notebook saves.

Layout written by :mod:`dsr_workbench.build.run`::

    reports/
      cycle-<N>/<report>/v001/    one immutable version: notebook.ipynb, notebook.html,
                                    [slides.html], tables/*.csv, figures/*.png, manifest.json
      .build/                       lock, hash cache, failure records (not reports)
      index.html, study-report.html

A version folder is written under a temporary name and renamed into place in one step, so
it either exists complete or not at all; versions are never modified afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.core.atomic import atomic_write_text

__all__ = [
    "MANIFEST",
    "HashCache",
    "Outputs",
    "file_sha256",
    "latest_version",
    "list_versions",
    "changed_inputs",
    "pages_outdated",
    "ensure_static",
    "read_manifest",
    "tree_files",
    "version_dirs",
]

MANIFEST = "manifest.json"
_VERSION = re.compile(r"^v(\d{3,})$")


def file_sha256(path: str | Path) -> str:
    """Return the hex SHA-256 of a file's bytes (read in 1 MiB blocks).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a"; _ = f.write_bytes(b"abc")
    >>> file_sha256(f)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class HashCache:
    """SHA-256 of files, remembered by (size, mtime_ns) so unchanged files are not re-read.

    The cache lives in ``reports/.build/hashes.json``; a stale entry is impossible because a
    changed file changes its size or modification time.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                self.entries = {}

    def sha256(self, file: Path) -> str:
        """Return the file's hash, from the cache when size and mtime match."""
        stat = file.stat()
        key = str(file)
        hit = self.entries.get(key)
        if hit and hit[0] == stat.st_size and hit[1] == stat.st_mtime_ns:
            return str(hit[2])
        digest = file_sha256(file)
        self.entries[key] = [stat.st_size, stat.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        """Write the cache back if it changed."""
        if self.path is not None and self.dirty:
            atomic_write_text(self.path, json.dumps(self.entries))
            self.dirty = False


def list_versions(report_dir: Path) -> list[int]:
    """Return the version numbers present in an report folder, ascending.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("v001", "v010", ".tmp-x", "notes"): (d / name).mkdir()
    >>> list_versions(d)
    [1, 10]
    """
    if not report_dir.is_dir():
        return []
    numbers = []
    for child in report_dir.iterdir():
        found = _VERSION.match(child.name)
        if found and child.is_dir():
            numbers.append(int(found.group(1)))
    return sorted(numbers)


def version_dirs(report_dir: Path) -> list[Path]:
    """Return the version folders of an report, oldest first."""
    return [report_dir / f"v{n:03d}" for n in list_versions(report_dir)]


def read_manifest(version_dir: Path) -> dict[str, Any]:
    """Read a version's ``manifest.json`` (empty dict if missing or unreadable)."""
    try:
        return json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def latest_version(report_dir: Path) -> Path | None:
    """Return the newest version folder of an report, or ``None``."""
    dirs = version_dirs(report_dir)
    return dirs[-1] if dirs else None


PAGES = ("index.html", "study-report.html")
"""The pages derived from every version: rewritten by each build that finds them outdated."""


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def pages_outdated(reports_dir: Path) -> bool:
    """Whether ``index.html`` or ``study-report.html`` is missing or older than what it shows.

    What they show: every version folder and its manifest, the set of versions of each
    report (a report folder's modification time changes when a version is added or
    removed) and the failure records in ``.build/failures/``. A build that was killed
    after publishing a version but before writing the pages leaves them outdated; the next
    build, even one with nothing to run, rewrites them.

    Examples
    --------
    >>> import tempfile, pathlib, os
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pages_outdated(d)
    True
    >>> for page in PAGES: _ = (d / page).write_text("x")
    >>> pages_outdated(d)
    False
    >>> (d / "cycle-1" / "gap" / "v001").mkdir(parents=True)
    >>> _ = (d / "cycle-1" / "gap" / "v001" / MANIFEST).write_text("{}")
    >>> future = (d / "index.html").stat().st_mtime_ns + 10**9
    >>> os.utime(d / "cycle-1" / "gap" / "v001" / MANIFEST, ns=(future, future))
    >>> pages_outdated(d)
    True
    """
    written = [_mtime(reports_dir / page) for page in PAGES]
    if not all(written):
        return True
    shown = [0]
    for report_dir in reports_dir.glob("cycle-*/*"):
        if report_dir.is_dir() and not report_dir.name.startswith("."):
            shown.append(_mtime(report_dir))
            for vdir in version_dirs(report_dir):
                shown += [_mtime(vdir), _mtime(vdir / MANIFEST)]
    failures = reports_dir / ".build" / "failures"
    shown.append(_mtime(failures))
    shown += [_mtime(m) for m in failures.glob("*/" + MANIFEST)]
    return min(written) <= max(shown)


def changed_inputs(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, list[str]]:
    """Compare two ``{input path: sha256}`` maps.

    Examples
    --------
    >>> changed_inputs({"a": "1", "b": "2"}, {"b": "3", "c": "4"})
    {'added': ['c'], 'removed': ['a'], 'changed': ['b']}
    """
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(k for k in set(old) & set(new) if old[k] != new[k]),
    }


class Outputs:
    """Save a notebook's tables and figures as files of the version being built.

    In a notebook: ``out = Outputs(output_dir)``, then ``out.table(df, "name")`` and
    ``out.figure(fig, "name")``. Both return what they were given, so the table or figure
    is also shown in the notebook. With ``output_dir=None`` (interactive use) nothing is
    written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = Outputs(tempfile.mkdtemp())
    >>> _ = out.table(pd.DataFrame({"a": [1]}), "small")
    >>> [p.name for p in out.written]
    ['small.csv']
    """

    def __init__(self, output_dir: str | Path | None) -> None:
        self.root = None if output_dir in (None, "") else Path(str(output_dir))
        self.written: list[Path] = []

    def _target(self, folder: str, name: str, suffix: str) -> Path | None:
        if self.root is None:
            return None
        if not re.fullmatch(r"[\w.-]+", name):
            raise ValueError(f"output name '{name}' must be letters, digits, '-', '_' or '.'")
        target = self.root / folder / f"{name}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def table(self, data: pd.DataFrame, name: str) -> pd.DataFrame:
        """Save ``data`` as ``tables/<name>.csv``; return it unchanged."""
        target = self._target("tables", name, ".csv")
        if target is not None:
            atomic_write_text(target, data.to_csv(index=False))
            self.written.append(target)
        return data

    def figure(self, fig: Any, name: str, dpi: int = 120) -> Any:
        """Save a matplotlib figure as ``figures/<name>.png``; return it (closed for pyplot).

        Closing the figure keeps pyplot from showing it a second time in the notebook.
        """
        import matplotlib.pyplot as plt

        target = self._target("figures", name, ".png")
        if target is not None:
            fig.savefig(
                target, dpi=dpi, bbox_inches="tight", metadata={"Software": None}
            )  # no timestamps: reproducible files
            self.written.append(target)
        plt.close(fig)
        return fig


STATIC = Path(__file__).resolve().parents[1] / "static"
"""Vendored reveal.js and require.js (see ``static/README.md``)."""


def ensure_static(reports_dir: Path) -> Path:
    """Copy the vendored front-end files to ``reports/_static`` if missing or outdated.

    Slides and HTML link to them with relative paths, so a report folder works offline.
    """
    target = reports_dir / "_static"
    for source in STATIC.rglob("*"):
        if source.is_file():
            dest = target / source.relative_to(STATIC)
            if not dest.exists() or dest.stat().st_size != source.stat().st_size:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
    return target


def tree_files(base: Path, patterns: Iterable[str]) -> list[Path]:
    """Return every file under ``base`` matched by ``patterns`` (folders match recursively).

    Hidden files and folders (``.git``, ``.venv``, ``.lock``) are skipped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> b = pathlib.Path(tempfile.mkdtemp()); (b / "d").mkdir()
    >>> for n in ("d/x.txt", "d/.hidden", "y.yaml"): _ = (b / n).write_text("1")
    >>> [p.relative_to(b).as_posix() for p in tree_files(b, ["d", "*.yaml"])]
    ['d/x.txt', 'y.yaml']
    """
    found: set[Path] = set()
    for pattern in patterns:
        candidates = (
            [base / pattern] if not any(c in pattern for c in "*?[") else list(base.glob(pattern))
        )
        for candidate in candidates:
            if candidate.is_dir():
                for dirpath, dirnames, filenames in os.walk(candidate):
                    dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                    found.update(Path(dirpath) / f for f in filenames if not f.startswith("."))
            elif candidate.is_file() and not candidate.name.startswith("."):
                found.add(candidate)
    return sorted(found)
