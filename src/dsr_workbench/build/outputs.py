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

import base64
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.build.tables import Table, present
from dsr_workbench.core.atomic import atomic_write_bytes, atomic_write_text
from dsr_workbench.core.errors import DsrError

__all__ = [
    "MANIFEST",
    "FigureError",
    "HashCache",
    "Outputs",
    "ShownFigure",
    "render_png",
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


class FigureError(DsrError):
    """A figure a notebook saves could not be rendered (nothing drawn, not a figure, or
    matplotlib failed)."""


@dataclass
class ShownFigure:
    """A figure as saved: the PNG bytes, the file (if any) and a caption.

    Returned by :meth:`Outputs.figure`; in a notebook it displays as the PNG that was
    saved, whatever matplotlib backend the kernel has (the build runs with ``Agg``, which
    would otherwise show ``<Figure size ...>``).
    """

    png: bytes
    name: str
    path: Path | None = None
    caption: str | None = None
    figure: Any = field(default=None, repr=False)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        data = {
            "image/png": base64.b64encode(self.png).decode("ascii"),
            "text/plain": f"Figure: {self.caption or self.name}",
        }
        meta = {"image/png": {"dsr": {"name": self.name, "caption": self.caption or ""}}}
        return data, meta


def render_png(fig: Any, name: str, dpi: int = 120) -> bytes:
    """Render a matplotlib figure (or the figure of an Axes) to PNG bytes.

    Raises
    ------
    FigureError
        If ``fig`` is not a figure, has nothing drawn, or matplotlib cannot render it; the
        message names the figure.
    """
    import io

    if fig is not None and not hasattr(fig, "savefig") and hasattr(fig, "figure"):
        fig = fig.figure  # an Axes
    if fig is None or not hasattr(fig, "savefig"):
        raise FigureError(
            f"figure '{name}' is {type(fig).__name__}, not a matplotlib figure",
            hint="pass the Figure the plotting function returns to out.figure",
        )
    if not fig.get_axes() and not fig.get_children()[1:]:
        raise FigureError(
            f"figure '{name}' has nothing drawn on it", hint="check the data it plots"
        )
    buffer = io.BytesIO()
    try:  # no timestamps in the file: reproducible bytes
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    except Exception as exc:
        raise FigureError(
            f"figure '{name}' could not be rendered: {type(exc).__name__}: {exc}",
            hint="fix what it draws (a label with bad mathtext, an empty or infinite range)",
        ) from exc
    return buffer.getvalue()


class Outputs:
    """Save a notebook's tables and figures as files of the version being built.

    In a notebook: ``out = Outputs(output_dir)``, then ``out.table(df, "name", caption=...)``
    and ``out.figure(fig, "name")``. The files are what the computation gave (the CSV is
    ``df.to_csv(index=False)``, unchanged); what is returned displays for people: the table
    formatted by :func:`dsr_workbench.build.tables.present`, the figure as its PNG. With
    ``output_dir=None`` (interactive use) nothing is written.

    Parameters
    ----------
    output_dir
        The version folder being built (``None``: write nothing).
    names
        ``{id column: {id: name}}`` for every table shown (a name column beside the ids).
    codebook
        A :class:`~dsr_workbench.coding.codebook.Codebook`: its code names are shown
        beside every ``code_id`` column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = Outputs(tempfile.mkdtemp())
    >>> shown = out.table(pd.DataFrame({"a": [1]}), "small", caption="One row")
    >>> [p.name for p in out.written], shown.csv
    (['small.csv'], 'tables/small.csv')
    """

    def __init__(
        self,
        output_dir: str | Path | None,
        *,
        names: Mapping[str, Mapping[Any, str]] | None = None,
        codebook: Any = None,
    ) -> None:
        self.root = None if output_dir in (None, "") else Path(str(output_dir))
        self.written: list[Path] = []
        self.names: dict[str, Mapping[Any, str]] = dict(names or {})
        if codebook is not None:
            codes = codebook.codes
            self.names.setdefault("code_id", dict(zip(codes.code_id, codes.name, strict=True)))

    def _target(self, folder: str, name: str, suffix: str) -> Path | None:
        if not re.fullmatch(r"[\w.-]+", name):
            raise ValueError(f"output name '{name}' must be letters, digits, '-', '_' or '.'")
        if self.root is None:
            return None
        target = self.root / folder / f"{name}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def table(
        self,
        data: pd.DataFrame,
        name: str,
        caption: str | None = None,
        **presentation: Any,
    ) -> Table:
        """Save ``data`` as ``tables/<name>.csv`` (unchanged); return it presented.

        ``caption`` and ``presentation`` (``n``, ``formats``, ``labels``, ``names``,
        ``max_rows``, ``note``) go to :func:`dsr_workbench.build.tables.present`; the
        returned :class:`~dsr_workbench.build.tables.Table` keeps the DataFrame as ``.data``.
        """
        target = self._target("tables", name, ".csv")
        if target is not None:
            atomic_write_text(target, data.to_csv(index=False))
            self.written.append(target)
        names = {**self.names, **presentation.pop("names", {})}
        return present(
            data,
            caption,
            names=names,
            csv=None if target is None else f"tables/{name}.csv",
            **presentation,
        )

    def figure(
        self, fig: Any, name: str, caption: str | None = None, dpi: int = 120
    ) -> ShownFigure:
        """Save a matplotlib figure as ``figures/<name>.png``; return it as shown.

        The figure is closed (pyplot would otherwise show it a second time); what is
        returned displays as the saved PNG. Raises :class:`FigureError` naming the figure if
        it cannot be rendered.
        """
        import matplotlib.pyplot as plt

        try:
            png = render_png(fig, name, dpi=dpi)
        finally:
            if fig is not None and hasattr(fig, "savefig"):
                plt.close(fig)
        target = self._target("figures", name, ".png")
        if target is not None:
            atomic_write_bytes(target, png)
            self.written.append(target)
        return ShownFigure(png=png, name=name, path=target, caption=caption, figure=fig)


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

    Hidden files and folders (``.git``, ``.venv``, ``.dsr-cache``) are skipped, also where a
    wildcard matches them (``*``); a pattern without wildcards that names one is taken.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> b = pathlib.Path(tempfile.mkdtemp()); (b / "d").mkdir(); (b / ".dsr-cache").mkdir()
    >>> for n in ("d/x.txt", "d/.hidden", "y.yaml", ".dsr-cache/pack"): _ = (b / n).write_text("1")
    >>> [p.relative_to(b).as_posix() for p in tree_files(b, ["d", "*.yaml"])]
    ['d/x.txt', 'y.yaml']
    >>> [p.relative_to(b).as_posix() for p in tree_files(b, ["*"])]
    ['d/x.txt', 'y.yaml']
    """
    found: set[Path] = set()
    for pattern in patterns:
        wild = any(c in pattern for c in "*?[")
        candidates = [base / pattern] if not wild else list(base.glob(pattern))
        for candidate in candidates:
            if wild and any(p.startswith(".") for p in candidate.relative_to(base).parts):
                continue
            if candidate.is_dir():
                for dirpath, dirnames, filenames in os.walk(candidate):
                    dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                    found.update(Path(dirpath) / f for f in filenames if not f.startswith("."))
            elif candidate.is_file() and not candidate.name.startswith("."):
                found.add(candidate)
    return sorted(found)
