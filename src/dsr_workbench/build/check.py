"""``dsr status`` and ``dsr verify``: is each report's latest version still current?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.build.jobs import plan
from dsr_workbench.build.outputs import (
    MANIFEST,
    changed_inputs,
    latest_version,
    read_manifest,
)
from dsr_workbench.build.run import run_job
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.study import Study

__all__ = ["STATUS_COLUMNS", "compare_versions", "status", "verify"]

STATUS_COLUMNS = ["cycle", "report", "state", "version", "built_at", "detail"]
"""Columns of :func:`status`; state is current | stale | failed | missing."""


def status(study: Study) -> pd.DataFrame:
    """Tell for every (cycle, report) whether its latest version is current.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATUS_COLUMNS`. ``stale`` lists the inputs changed since the latest
        version in ``detail``; ``failed`` gives the failing cell and error.
    """
    rows = []
    for job in plan(study):
        latest = latest_version(job.report_dir)
        failure = job.failure_dir / MANIFEST
        fail = json.loads(failure.read_text()) if failure.is_file() else None
        manifest = read_manifest(latest) if latest else {}
        if fail and fail.get("key") == job.key:
            state = "failed"
            detail = f"cell {fail.get('cell')}: {fail.get('error')}"
        elif latest is None:
            state, detail = "missing", "never built"
        elif manifest.get("key") == job.key:
            state, detail = "current", ""
        else:
            state = "stale"
            diff = changed_inputs(manifest.get("inputs", {}), job.inputs)
            parts = [
                f"{k}: {', '.join(v[:3])}{' ...' if len(v) > 3 else ''}"
                for k, v in diff.items()
                if v
            ]
            detail = "; ".join(parts) or "code, parameters or environment changed"
        rows.append(
            (
                job.cycle,
                job.report,
                state,
                latest.name if latest else None,
                manifest.get("end"),
                detail,
            )
        )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


# Text that legitimately differs between two runs of the same notebook on the same inputs.
VOLATILE: tuple[str, ...] = (
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?",  # timestamps
    r"0x[0-9a-f]{6,}",  # memory addresses in reprs
    r"/\S*/\.tmp-[0-9a-f]+\S*",  # the temporary folder a version was written in
)


def _sanitise(text: str, patterns: tuple[str, ...]) -> str:
    import re

    for pattern in patterns:
        text = re.sub(pattern, "<volatile>", text)
    return text


def _cell_outputs(notebook: Path, patterns: tuple[str, ...]) -> list[str]:
    """The text and image outputs of each code cell, volatile parts masked."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    outputs = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        parts = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                if out.get("name") == "stderr":
                    continue  # warnings and progress chatter
                parts.append(out.get("text", ""))
            for mime, value in sorted(out.get("data", {}).items()):
                if mime in ("text/plain", "text/html", "text/markdown", "image/png"):
                    parts.append(f"{mime}:{value if isinstance(value, str) else ''.join(value)}")
        outputs.append(_sanitise("\n".join(parts), patterns))
    return outputs


def compare_versions(
    a: str | Path, b: str | Path, volatile: tuple[str, ...] = VOLATILE
) -> pd.DataFrame:
    """Compare the outputs of two version folders of one report.

    Compared: the files present, every table (``tables/*.csv``, byte for byte), every figure
    (``figures/*``, byte for byte) and each code cell's outputs in ``notebook.ipynb`` with
    the ``volatile`` patterns (timestamps, addresses, temporary paths, by default) masked.
    Not compared: ``manifest.json`` timings and the HTML renderings (they embed the same
    outputs).

    Returns
    -------
    pandas.DataFrame
        One row per difference, columns ``what, name, detail``; empty when the outputs agree.
    """
    a, b = Path(a), Path(b)
    rows: list[tuple[str, str, str]] = []
    skip = {"manifest.json", "notebook.html", "slides.html"}
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()} - skip
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()} - skip
    for name in sorted(files_a ^ files_b):
        rows.append(("file", name, "only in " + ("the first" if name in files_a else "the rerun")))
    for name in sorted(files_a & files_b):
        if (
            name.startswith(("tables/", "figures/"))
            and (a / name).read_bytes() != (b / name).read_bytes()
        ):
            rows.append(("table" if name.startswith("tables/") else "figure", name, "differs"))
    if (a / "notebook.ipynb").is_file() and (b / "notebook.ipynb").is_file():
        out_a = _cell_outputs(a / "notebook.ipynb", volatile)
        out_b = _cell_outputs(b / "notebook.ipynb", volatile)
        if len(out_a) != len(out_b):
            rows.append(("notebook", "cells", f"{len(out_a)} vs {len(out_b)} code cells"))
        for number, (x, y) in enumerate(zip(out_a, out_b, strict=False), start=1):
            if x != y:
                rows.append(("notebook", f"code cell {number}", "output differs"))
    return pd.DataFrame(rows, columns=["what", "name", "detail"])


def verify(
    study: Study,
    version_dir: str | Path,
    *,
    rerun: bool = False,
    volatile: tuple[str, ...] = VOLATILE,
) -> dict[str, Any]:
    """Is a version still what today's inputs produce?

    Recomputes the version's key from today's notebook, parameters, inputs, library and
    environment. With ``rerun=True`` the job is also executed again, in a temporary reports
    folder (the study's reports are not touched), and its outputs are compared with the
    version's by :func:`compare_versions`.

    Returns
    -------
    dict
        ``state`` (current | stale), ``key`` (recorded), ``today`` (recomputed), ``changed``
        inputs, and with ``rerun``: ``reproduced`` (bool) and ``differences`` (DataFrame).
    """
    import tempfile

    version_dir = Path(version_dir).resolve()
    manifest = read_manifest(version_dir)
    if not manifest:
        raise DsrError(
            "no manifest.json here",
            path=version_dir,
            hint="pass a version folder such as reports/cycle-1/NAME/v001",
        )
    # manifests written before the rename (0.1) name the report "artifact"
    name = str(manifest.get("report", manifest.get("artifact")))
    job = plan(
        study,
        cycles=[manifest["cycle"]],
        reports=[name],
        with_code=bool(manifest.get("with_code", False)),
    )[0]
    result: dict[str, Any] = {
        "state": "current" if job.key == manifest["key"] else "stale",
        "key": manifest["key"],
        "today": job.key,
        "changed": changed_inputs(manifest.get("inputs", {}), job.inputs),
    }
    if rerun:
        with tempfile.TemporaryDirectory(prefix="dsr-verify-") as scratch:
            job.reports_dir = scratch
            run = run_job(job)
            if run.get("error"):
                raise DsrError(
                    f"the rerun failed: {run['error']}",
                    path=version_dir,
                    hint="run `dsr build` to see the failing cell",
                )
            diff = compare_versions(version_dir, job.report_dir / run["version"], volatile)
        result["reproduced"] = diff.empty
        result["differences"] = diff
    return result
