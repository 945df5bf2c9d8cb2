"""``reports/index.html`` (every cycle, report and version) and ``study-report.html``.

The index lists each version with its status, date and which inputs changed since the
version before it, and links the executed notebook, HTML, slides, tables and figures. The
study report assembles the latest version of every report into one HTML page (code
hidden), cycle by cycle.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from dsr_workbench.build.outputs import changed_inputs, read_manifest, version_dirs
from dsr_workbench.core.atomic import atomic_write_text
from dsr_workbench.corpus.study import Study

__all__ = ["VERSION_COLUMNS", "versions_table", "write_index", "write_study_report"]

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
]
"""Columns of :func:`versions_table`."""

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;
color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
.ok{color:#1a7f37}.failed{color:#cf222e;font-weight:bold}.muted{color:#777}
code{font-size:.85em}
"""


def what_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Say what differs between two versions' manifests: inputs, notebook, parameters,
    library code, package versions.

    Examples
    --------
    >>> what_changed({"inputs": {"a": "1"}, "parameters": {"x": 1},
    ...               "environment": {"pandas": "3.0"}, "components": {"library": "l1"}},
    ...              {"inputs": {"a": "2"}, "parameters": {"x": 2},
    ...               "environment": {"pandas": "3.1"}, "components": {"library": "l2"}})
    'changed a; parameters x; library code; packages pandas 3.0→3.1'
    """
    parts = [
        f"{k} {', '.join(v)}"
        for k, v in changed_inputs(old.get("inputs", {}), new.get("inputs", {})).items()
        if v
    ]
    old_c, new_c = old.get("components", {}), new.get("components", {})
    if old_c.get("notebook") != new_c.get("notebook") and "notebook" in new_c:
        parts.append("notebook code")
    params = sorted(
        k
        for k in set(old.get("parameters", {})) | set(new.get("parameters", {}))
        if old.get("parameters", {}).get(k) != new.get("parameters", {}).get(k)
    )
    if params:
        parts.append("parameters " + ", ".join(params))
    if old_c.get("library") != new_c.get("library") and "library" in new_c:
        parts.append("library code")
    old_env, new_env = old.get("environment", {}), new.get("environment", {})
    packages = [
        f"{k} {old_env.get(k, '-')}→{new_env.get(k, '-')}"
        for k in sorted(set(old_env) | set(new_env))
        if old_env.get(k) != new_env.get(k)
    ]
    if packages:
        parts.append("packages " + ", ".join(packages))
    return "; ".join(parts) or "code, parameters or environment"


def versions_table(reports_dir: Path) -> pd.DataFrame:
    """Return one row per version folder under ``reports_dir`` (columns :data:`VERSION_COLUMNS`).

    ``changed`` says which inputs changed since the previous version of the same report.
    """
    rows: list[dict[str, Any]] = []
    for report_dir in sorted(reports_dir.glob("cycle-*/*")):
        if not report_dir.is_dir() or report_dir.name.startswith("."):
            continue
        previous: dict[str, Any] | None = None
        for vdir in version_dirs(report_dir):
            m = read_manifest(vdir)
            changed = "first version" if previous is None else what_changed(previous, m)
            previous = m
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
                }
            )
    return pd.DataFrame(rows, columns=VERSION_COLUMNS)


def _failures(reports_dir: Path) -> list[dict[str, Any]]:
    out = []
    for manifest in sorted((reports_dir / ".build" / "failures").glob("*/manifest.json")):
        try:
            out.append(json.loads(manifest.read_text(encoding="utf-8")))
        except ValueError:
            continue
    return out


def write_index(study: Study) -> Path:
    """Write ``reports/index.html`` and ``reports/study-report.html``; return the index."""
    reports = study.reports_dir
    table = versions_table(reports)
    parts = [
        f"<!doctype html><html lang='en'><meta charset='utf-8'>"
        f"<title>{html.escape(study.title)} — reports</title><style>{_CSS}</style>",
        f"<h1>{html.escape(study.title)}</h1>",
        "<p><a href='study-report.html'>Study report</a> (latest version of every "
        "report on one page)</p>",
    ]
    failures = _failures(reports)
    if failures:
        parts.append(
            "<h2>Failed jobs</h2><table><tr><th>cycle</th><th>report</th>"
            "<th>cell</th><th>error</th><th>when</th></tr>"
        )
        for f in failures:
            parts.append(
                f"<tr><td>{f.get('cycle')}</td><td>{html.escape(str(f.get('report', f.get('artifact'))))}"
                f"</td><td>{f.get('cell')}</td><td class='failed'>"
                f"{html.escape(str(f.get('error')))}</td><td>{f.get('end')}</td></tr>"
            )
        parts.append("</table>")
    for cyc in study.cycles.itertuples(index=False):
        parts.append(
            f"<h2>Cycle {cyc.cycle}: {html.escape(cyc.focus)}</h2>"
            f"<p class='muted'>{cyc.start} – {cyc.end}</p>"
        )
        sub = table[table.cycle == cyc.cycle]
        if sub.empty:
            parts.append("<p class='muted'>No report built yet.</p>")
            continue
        parts.append(
            "<table><tr><th>report</th><th>version</th><th>status</th><th>built</th>"
            "<th>s</th><th>changed since previous</th><th>files</th></tr>"
        )
        for row in sub.sort_values(["report", "version"], ascending=[True, False]).itertuples():
            vdir = reports / row.path
            links = [
                f"<a href='{row.path}/notebook.html'>html</a>",
                f"<a href='{row.path}/notebook.ipynb'>ipynb</a>",
            ]
            if (vdir / "slides.html").exists():
                links.append(f"<a href='{row.path}/slides.html'>slides</a>")
            links.append(f"<a href='{row.path}/manifest.json'>manifest</a>")
            for sub_dir in ("tables", "figures"):
                files = sorted((vdir / sub_dir).glob("*")) if (vdir / sub_dir).is_dir() else []
                if files:
                    links.append(
                        f"{sub_dir}: "
                        + " ".join(
                            f"<a href='{row.path}/{sub_dir}/{f.name}'>{html.escape(f.stem)}</a>"
                            for f in files
                        )
                    )
            parts.append(
                f"<tr><td>{html.escape(row.report)}</td><td>{row.version}</td>"
                f"<td class='{row.status}'>{row.status}</td><td>{row.end}</td>"
                f"<td>{row.duration_s}</td><td>{html.escape(row.changed)}</td>"
                f"<td>{' · '.join(links)}</td></tr>"
            )
        parts.append("</table>")
    index = reports / "index.html"
    atomic_write_text(index, "\n".join(parts) + "\n")
    write_study_report(study, table)
    return index


def write_study_report(study: Study, table: pd.DataFrame | None = None) -> Path:
    """Assemble the latest version of every report into ``reports/study-report.html``."""
    from nbconvert import HTMLExporter

    reports = study.reports_dir
    table = versions_table(reports) if table is None else table
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# {study.title}\n\nStudy report: the latest version of every report, by design "
            f"cycle. Each section names its version; provenance is in the version's "
            f"`manifest.json` (see [the index](index.html))."
        )
    ]
    ok = table[table.status == "ok"]
    latest = ok.sort_values("version").groupby(["cycle", "report"]).tail(1)
    focus = dict(zip(study.cycles.cycle, study.cycles.focus, strict=True))
    for cycle in sorted(latest.cycle.unique()):
        cells.append(nbformat.v4.new_markdown_cell(f"## Cycle {cycle}: {focus.get(cycle, '')}"))
        for row in latest[latest.cycle == cycle].sort_values("report").itertuples():
            executed = reports / row.path / "notebook.ipynb"
            if not executed.exists():
                continue
            nb = nbformat.read(executed, as_version=4)
            cells.append(
                nbformat.v4.new_markdown_cell(f"### {row.report} ({row.version}, built {row.end})")
            )
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    # demote headings so the report's outline stays cycle > report > section
                    cell.source = "\n".join(
                        "###" + line if line.startswith("#") else line
                        for line in cell.source.splitlines()
                    )
                if "parameters" in cell.metadata.get(
                    "tags", []
                ) or "injected-parameters" in cell.metadata.get("tags", []):
                    continue
                cells.append(cell)
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"  # cells come from several notebooks: ids must be unique
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["language_info"] = {"name": "python"}
    body, _ = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    ).from_notebook_node(nb)
    target = reports / "study-report.html"
    atomic_write_text(target, body)
    return target
