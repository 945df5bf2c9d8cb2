"""``reports/index.html``: every cycle, report and version, and the handouts.

The index names reports and designed artifacts by their titles, gives each cycle's focus, says
in words what changed since each version's predecessor ("transcript FG4 changed; library code
changed"), links every version's page, notebook, slides, tables and figures, and links the
study report (:mod:`dsr_workbench.build.study_report`) and the PDF handouts
(:mod:`dsr_workbench.build.pdf`). :func:`write_index` writes all three, in that order, so the
index links only what exists.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.build.catalog import (
    VERSION_COLUMNS,
    report_titles,
    versions_table,
    what_changed,
)
from dsr_workbench.build.document import CSS
from dsr_workbench.build.pdf import write_pdfs
from dsr_workbench.build.study_report import write_study_report
from dsr_workbench.core.atomic import atomic_write_text
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.study import Study

__all__ = [
    "VERSION_COLUMNS",
    "index_html",
    "versions_table",
    "what_changed",
    "write_index",
    "write_study_report",
]

_CSS = (
    CSS
    + """
.ok{color:#1a7f37}.failed{color:#cf222e;font-weight:bold}
td.files{font-size:.8rem}td.changed{max-width:22rem}
.handouts li{margin:.2rem 0}
"""
)


def _failures(reports_dir: Path) -> list[dict[str, Any]]:
    out = []
    for manifest in sorted((reports_dir / ".build" / "failures").glob("*/manifest.json")):
        try:
            out.append(json.loads(manifest.read_text(encoding="utf-8")))
        except ValueError:
            continue
    return out


def _artifact_titles(study: Study) -> dict[str, str]:
    """Artifact id → title (empty when the study's artifacts do not load)."""
    from dsr_workbench.dsr.artifacts import load_artifacts

    try:
        arts = load_artifacts(study).artifacts
    except (DsrError, OSError):
        return {}
    return dict(zip(arts["artifact"], arts["title"], strict=True))


def _e(value: object) -> str:
    return html.escape(str(value))


def _files(reports: Path, path: str) -> str:
    vdir = reports / path
    links = [f"<a href='{_e(path)}/notebook.html'>page</a>",
             f"<a href='{_e(path)}/notebook.ipynb'>notebook</a>"]  # fmt: skip
    if (vdir / "slides.html").exists():
        links.append(f"<a href='{_e(path)}/slides.html'>slides</a>")
    for sheet in sorted(vdir.glob("*.html")):
        if sheet.name not in {"notebook.html", "slides.html"}:
            links.append(f"<a href='{_e(path)}/{_e(sheet.name)}'>take-away sheet</a>")
    links.append(f"<a href='{_e(path)}/manifest.json'>manifest</a>")
    for sub in ("tables", "figures"):
        files = sorted((vdir / sub).glob("*")) if (vdir / sub).is_dir() else []
        if files:
            links.append(f"{sub}: " + " ".join(
                f"<a href='{_e(path)}/{sub}/{_e(f.name)}'>{_e(f.stem.replace('_', ' '))}</a>"
                for f in files))  # fmt: skip
    return " · ".join(links)


def index_html(study: Study, table: pd.DataFrame) -> str:
    """The index page for ``table`` (:func:`versions_table` of the study's reports)."""
    reports = study.reports_dir
    titles = report_titles(study)
    artifacts = _artifact_titles(study) if table["artifact"].notna().any() else {}
    parts = [
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(study.title)} — reports</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(study.title)}</h1><p class='muted'>Every report of every design cycle, "
        "newest version first; each version is an immutable folder.</p>",
        "<h2>Study report and handouts</h2><ul class='handouts'>",
    ]
    if (reports / "study-report.html").exists():
        pdf = (" — <a href='study-report.pdf'>PDF for printing</a>"
               if (reports / "study-report.pdf").exists()
               else " <span class='muted'>(no PDF: the build machine has no browser to "
                    "print it)</span>")  # fmt: skip
        parts.append(f"<li><a href='study-report.html'>Study report</a>: the research "
                     f"questions, the designed artifacts, their evaluation and evidence{pdf}</li>")  # fmt: skip
    decks = sorted((reports / "decks").glob("*.pdf")) if (reports / "decks").is_dir() else []
    for deck in decks:
        cycle, _, report = deck.stem.removeprefix("cycle-").partition("-")
        parts.append(f"<li><a href='decks/{_e(deck.name)}'>{_e(titles.get(report, report))}, "
                     f"cycle {_e(cycle)}</a> (slides as PDF)</li>")  # fmt: skip
    parts.append("</ul>")
    failures = _failures(reports)
    if failures:
        parts.append("<h2>Failed jobs</h2><table><thead><tr><th>cycle</th><th>report</th>"
                     "<th>cell</th><th>error</th><th>when</th></tr></thead><tbody>")  # fmt: skip
        for f in failures:
            name = str(f.get("report", f.get("artifact")))  # records of 0.1 say "artifact"
            parts.append(
                f"<tr><td>{_e(f.get('cycle'))}</td><td>{_e(titles.get(name, name))}</td>"
                f"<td>{_e(f.get('cell'))}</td><td class='failed'>{_e(f.get('error'))}</td>"
                f"<td>{_e(f.get('end'))}</td></tr>"
            )
        parts.append("</tbody></table>")
    for cyc in study.cycles.itertuples(index=False):
        parts.append(f"<h2 id='cycle-{cyc.cycle}'>Cycle {cyc.cycle}: {_e(cyc.focus)}</h2>"
                     f"<p class='muted'>{_e(cyc.start)} – {_e(cyc.end)}</p>")  # fmt: skip
        sub = table[table["cycle"] == cyc.cycle]
        if sub.empty:
            parts.append("<p class='muted'>No report built yet.</p>")
            continue
        parts.append("<table><thead><tr><th>report</th><th>version</th><th>status</th>"
                     "<th>built</th><th>what changed since the version before</th><th>files</th>"
                     "</tr></thead><tbody>")  # fmt: skip
        order = sub.assign(_t=sub["report"].map(lambda r: titles.get(r, r)))
        for row in order.sort_values(["_t", "version"], ascending=[True, False]).itertuples():
            title = _e(titles.get(row.report, row.report))
            art = artifacts.get(row.artifact) if isinstance(row.artifact, str) else None
            if art and art.lower() not in title.lower():
                title += f"<br><span class='muted'>artifact: {_e(art)}</span>"
            built = str(row.end or "")[:16].replace("T", " ")
            parts.append(
                f"<tr><td>{title}</td><td>{_e(row.version)}</td>"
                f"<td class='{_e(row.status)}'>{_e(row.status)}</td><td class='short'>{_e(built)}"
                f"</td><td class='changed'>{_e(row.changed)}</td>"
                f"<td class='files'>{_files(reports, row.path)}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_index(study: Study) -> Path:
    """Write the study report, its PDF handouts and ``reports/index.html``; return the index.

    A machine without a browser gets no PDFs and one
    :class:`~dsr_workbench.build.pdf.PdfSkipped` warning; everything else is written.
    """
    reports = study.reports_dir
    table = versions_table(reports, study)
    write_study_report(study, table)
    write_pdfs(study, table)
    index = reports / "index.html"
    atomic_write_text(index, index_html(study, table))
    return index
