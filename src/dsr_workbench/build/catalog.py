"""What the build has published: every version folder of every report, in words.

:func:`versions_table` lists the versions under ``reports/`` with their status and what
changed since the version before (:func:`what_changed`, in words a reader understands:
"transcript FG4 changed; library code changed"); :func:`latest_ok` picks the newest good
version of each report and cycle; :func:`report_titles` reads the reports' titles from
``study.yaml``. The index and the study report both read the build through this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.build.outputs import changed_inputs, read_manifest, version_dirs
from dsr_workbench.corpus.study import Study

__all__ = [
    "VERSION_COLUMNS",
    "input_label",
    "latest_ok",
    "report_titles",
    "versions_table",
    "what_changed",
]

VERSION_COLUMNS = [
    "cycle",
    "report",
    "version",
    "status",
    "end",
    "duration_s",
    "key",
    "changed",
    "path",
    "artifact",
]
"""Columns of :func:`versions_table` (``artifact``: the designed artifact a report presents,
from its ``artifact`` parameter, else ``None``)."""


def input_label(path: str, names: dict[str, str] | None = None) -> str:
    """Name an input file for a reader: ``transcript FG4`` rather than its path.

    Parameters
    ----------
    path
        The input's path relative to the study (as in a manifest).
    names
        Path → transcript id (from ``study.transcripts``); ``None``: none known.

    Examples
    --------
    >>> input_label("interviews/FG4_alignment_v1.md", {"interviews/FG4_alignment_v1.md": "FG4"})
    'transcript FG4'
    >>> input_label("data/codings/kim.jsonl")
    'codings of kim'
    >>> input_label("data/artifacts/expectation-alignment/v2.yaml")
    'artifact expectation-alignment v2'
    >>> input_label("data/survey/responses.csv")
    'survey responses.csv'
    """
    if names and path in names:
        return f"transcript {names[path]}"
    parts = path.split("/")
    if path == "study.yaml":
        return "study.yaml"
    if parts[:2] == ["data", "codings"] and path.endswith(".jsonl"):
        return f"codings of {Path(path).stem}"
    if parts[:2] == ["data", "artifacts"] and len(parts) == 4:
        stem = Path(parts[3]).stem
        return f"artifact {parts[2]}" + ("" if stem == "artifact" else f" {stem}")
    if parts[:2] == ["data", "evaluations"] and len(parts) >= 3:
        return f"evaluations {'/'.join(parts[2:])}"
    if parts[:2] == ["data", "survey"] and len(parts) == 3:
        return f"survey {parts[2]}"
    if parts[:1] == ["interviews"]:
        return f"interview file {'/'.join(parts[1:])}"
    return path


def what_changed(
    old: dict[str, Any], new: dict[str, Any], names: dict[str, str] | None = None
) -> str:
    """Say in words what differs between two versions' manifests: inputs, notebook,
    parameters, library code, package versions.

    Parameters
    ----------
    old, new
        The manifests of a version and of the one after it.
    names
        Input path → transcript id, so that transcripts are named by id (see
        :func:`input_label`).

    Examples
    --------
    >>> what_changed({"inputs": {"a": "1", "b": "1"}, "parameters": {"x": 1},
    ...               "environment": {"pandas": "3.0"}, "components": {"library": "l1"}},
    ...              {"inputs": {"a": "2", "c": "1"}, "parameters": {"x": 2},
    ...               "environment": {"pandas": "3.1"}, "components": {"library": "l2"}})
    'a changed; c added; b removed; parameter x changed; library code changed; pandas 3.0→3.1'
    """
    diff = changed_inputs(old.get("inputs", {}), new.get("inputs", {}))
    parts = [
        f"{', '.join(dict.fromkeys(input_label(p, names) for p in diff[how]))} {how}"
        for how in ("changed", "added", "removed")
        if diff[how]
    ]
    old_c, new_c = old.get("components", {}), new.get("components", {})
    if old_c.get("notebook") != new_c.get("notebook") and "notebook" in new_c:
        parts.append("notebook code changed")
    old_p, new_p = old.get("parameters", {}), new.get("parameters", {})
    params = sorted(k for k in set(old_p) | set(new_p) if old_p.get(k) != new_p.get(k))
    if params:
        parts.append(f"parameter{'s' if len(params) > 1 else ''} {', '.join(params)} changed")
    if old_c.get("library") != new_c.get("library") and "library" in new_c:
        parts.append("library code changed")
    old_env, new_env = old.get("environment", {}), new.get("environment", {})
    parts.extend(
        f"{k} {old_env.get(k, '-')}→{new_env.get(k, '-')}"
        for k in sorted(set(old_env) | set(new_env))
        if old_env.get(k) != new_env.get(k)
    )
    return "; ".join(parts) or "rebuilt (nothing it records changed)"


def _transcript_names(study: Study | None) -> dict[str, str]:
    if study is None or study.transcripts.empty:
        return {}
    root = study.root
    out = {}
    for t in study.transcripts.itertuples(index=False):
        path = Path(str(t.path))
        try:
            out[(path if not path.is_absolute() else path.relative_to(root)).as_posix()] = str(
                t.transcript_id
            )
        except ValueError:
            continue
    return out


def versions_table(reports_dir: Path, study: Study | None = None) -> pd.DataFrame:
    """One row per version folder under ``reports_dir`` (columns :data:`VERSION_COLUMNS`).

    ``changed`` says in words what changed since the previous version of the same report
    (transcripts named by id when ``study`` is given).
    """
    names = _transcript_names(study)
    rows: list[dict[str, Any]] = []
    for report_dir in sorted(reports_dir.glob("cycle-*/*")):
        if not report_dir.is_dir() or report_dir.name.startswith((".", "_")):
            continue
        previous: dict[str, Any] | None = None
        for vdir in version_dirs(report_dir):
            m = read_manifest(vdir)
            changed = "first version" if previous is None else what_changed(previous, m, names)
            previous = m
            artifact = (m.get("parameters") or {}).get("artifact")
            rows.append(
                {
                    "cycle": m.get("cycle", int(report_dir.parent.name.split("-")[-1])),
                    "report": report_dir.name,
                    "version": vdir.name,
                    "status": m.get("status", "unknown"),
                    "end": m.get("end"),
                    "duration_s": m.get("duration_s"),
                    "key": (m.get("key") or "")[:12],
                    "changed": changed,
                    "path": vdir.relative_to(reports_dir).as_posix(),
                    "artifact": artifact if isinstance(artifact, str) else None,
                }
            )
    return pd.DataFrame(rows, columns=VERSION_COLUMNS)


def latest_ok(table: pd.DataFrame) -> pd.DataFrame:
    """The newest version with status ``ok`` of each (cycle, report) of :func:`versions_table`."""
    ok = table[table["status"] == "ok"]
    return ok.sort_values("version").groupby(["cycle", "report"]).tail(1).reset_index(drop=True)


def report_titles(study: Study) -> dict[str, str]:
    """Report name → its ``title:`` in ``study.yaml`` (the name when it has none)."""
    specs = study.raw.get("reports") or {}
    if not isinstance(specs, dict):
        return {}
    return {
        str(name): str(spec.get("title") or name) if isinstance(spec, dict) else str(name)
        for name, spec in specs.items()
    }
