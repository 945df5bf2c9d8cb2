"""The privacy gate of ``dsr build``: no report version is published with a real name in it.

With a pseudonymisation key (``--key``, ``DSR_KEY_FILE`` or ``study.key_file``), every file
of a new version folder - notebook, HTML, slides, tables, figures, logs, anything a notebook
wrote - is scanned by :func:`dsr_workbench.corpus.leaks.check_leaks` while it is still the
temporary ``.tmp-<id>`` folder. A hit (or a file that cannot be checked) fails the job:

* the files are deleted, so nothing is renamed into ``vNNN`` and no copy of the real name
  stays under ``reports/``;
* the failure is recorded in ``reports/.build/failures/cycle-N-<report>/`` like any other:
  ``manifest.json`` (every string pseudonymised) and ``leaks.csv`` (file, line, column and
  pseudonym of each hit - never the real name);
* the job's error names the first hit's file, line and pseudonym, so ``dsr build`` prints
  it and exits 1.

The key is read once per build, in the parent (:func:`resolve_key`), and handed to the
workers with each job; without one, the build warns once (:class:`LeakCheckSkipped`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.core.atomic import atomic_write_text
from dsr_workbench.core.errors import DsrError, DsrWarning
from dsr_workbench.corpus.leaks import LEAK_COLUMNS, check_leaks, scanner_for
from dsr_workbench.corpus.pseudonymise import PseudonymKey, load_key
from dsr_workbench.corpus.study import Study

__all__ = ["LEAKS_FILE", "LeakCheckSkipped", "gate", "redact", "resolve_key"]

LEAKS_FILE = "leaks.csv"
"""Written into a failure record: one row per hit, columns ``LEAK_COLUMNS``."""


class LeakCheckSkipped(DsrWarning):
    """The build found no key, so new versions were not checked for real names."""


def resolve_key(
    study: Study, key: str | Path | PseudonymKey | None = None
) -> tuple[PseudonymKey | None, str | None]:
    """Find and read the build's key once: ``key``, else ``DSR_KEY_FILE``, else the study's.

    Parameters
    ----------
    study
        The study being built.
    key
        A key or the path of a key file (``dsr build --key``); ``None`` to look further.

    Returns
    -------
    key, skipped
        The key, or ``None`` and the one-line reason the leak check is skipped (no key file
        named, or ``study.key_file`` not on this machine).

    Raises
    ------
    InputError
        If a key file given explicitly (``key`` or ``DSR_KEY_FILE``) is missing or invalid,
        or the study's key file exists but is invalid.
    """
    if isinstance(key, PseudonymKey):
        return key, None
    if key is not None:
        return load_key(key), None
    env = os.environ.get("DSR_KEY_FILE")
    if env:
        return load_key(env), None
    line = study.lines.get("study.key_file")
    if study.key_file is None:
        reason = DsrError(
            "new report versions are not checked for real names: no key file is named",
            path=study.path,
            line=line,
            hint="set study.key_file, DSR_KEY_FILE or pass --key",
        )
        return None, f"leak check skipped: {reason}"
    if not Path(study.key_file).is_file():
        reason = DsrError(
            "new report versions are not checked for real names: the key file is not on "
            "this machine",
            path=study.path,
            line=line,
            key="study.key_file",
            hint=f"put the key at {study.key_file}, set DSR_KEY_FILE or pass --key",
        )
        return None, f"leak check skipped: {reason}"
    return load_key(study.key_file), None


def redact(value: Any, key: PseudonymKey) -> Any:
    """``value`` (str, list, dict, nested) with every real name replaced by its pseudonym."""
    scanner = scanner_for(key)
    if isinstance(value, str):
        return scanner.redact(value)
    if isinstance(value, dict):
        return {redact(k, key): redact(v, key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, key) for v in value]
    return value


def _withdraw(folder: Path) -> None:
    """Delete everything inside ``folder`` (links removed, never followed)."""
    for child in list(folder.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def gate(
    version_tmp_dir: Path,
    key: PseudonymKey | None,
    manifest: dict[str, Any],
    result: dict[str, Any],
) -> bool:
    """Check a finished version folder before it is published; ``True`` if it may be.

    On a hit, or when a file cannot be checked, the folder is emptied except for
    :data:`LEAKS_FILE`, ``manifest`` is pseudonymised and marked failed, and
    ``result["error"]`` says where (file, line, pseudonym) - the caller then records the
    folder as the job's failure instead of publishing it.

    Parameters
    ----------
    version_tmp_dir
        The temporary version folder (``reports/cycle-N/<report>/.tmp-<id>``).
    key
        The build's key; ``None``: nothing is checked (the build has warned once).
    manifest, result
        The job's manifest and result, updated in place on a failure.
    """
    if key is None:
        return True
    problem: str | None = None
    try:
        hits = check_leaks([version_tmp_dir], key, relative_to=version_tmp_dir, skip=())
    except DsrError as exc:  # a file that cannot be checked is not published either
        hits, problem = pd.DataFrame(columns=LEAK_COLUMNS), str(exc)
    if hits.empty and problem is None:
        return True
    files = sorted(p.relative_to(version_tmp_dir).as_posix() for p in version_tmp_dir.rglob("*"))
    _withdraw(version_tmp_dir)
    atomic_write_text(version_tmp_dir / LEAKS_FILE, hits.to_csv(index=False))
    if problem is not None:
        error = f"leak check: {problem}; nothing was published"
    else:
        first = hits.iloc[0]
        where = first.file if first.line == 0 else f"{first.file}:{first.line}:{first.column}"
        others = hits.file.nunique() - 1
        more = (
            f" ({len(hits)} hits in all, {others} other file(s); see {LEAKS_FILE} in the "
            "failure record)"
            if len(hits) > 1
            else ""
        )
        error = (
            f"leak check: {where}: the real name of '{first.pseudonym}' ({first.kind})"
            f"{' in the file name' if first.line == 0 else ''}{more}; nothing was published "
            "(fix: pseudonymise what the notebook reads or writes, then build again)"
        )
    clean = redact(manifest, key)
    manifest.clear()
    manifest.update(clean)
    manifest.update(status="failed", files=[LEAKS_FILE], withdrawn=redact(files, key))
    result["error"] = error
    return False


def scrub_failure(
    tmp: Path, key: PseudonymKey | None, manifest: dict[str, Any], result: dict[str, Any]
) -> None:
    """Keep real names out of a failed job's record, which stays under ``reports/.build``.

    A failing notebook's partial outputs, its error text and traceback may hold a real name
    (an exception message quoting a memo, say). With a key: the error and traceback are
    pseudonymised in place (they reach stderr and ``index.html``), and if any file of the
    folder holds a real name, or cannot be checked, the files are withdrawn and only
    :data:`LEAKS_FILE` is kept beside the record.
    """
    if key is None:
        return
    for field in ("error", "traceback"):
        if isinstance(result.get(field), str):
            result[field] = redact(result[field], key)
    clean = redact(manifest, key)
    manifest.clear()
    manifest.update(clean)
    try:
        hits = check_leaks([tmp], key, relative_to=tmp, skip=())
    except DsrError:
        hits = None
    if hits is not None and hits.empty:
        return
    files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*"))
    _withdraw(tmp)
    if hits is not None:
        atomic_write_text(tmp / LEAKS_FILE, hits.to_csv(index=False))
    manifest.update(files=[LEAKS_FILE] if hits is not None else [], withdrawn=redact(files, key))
