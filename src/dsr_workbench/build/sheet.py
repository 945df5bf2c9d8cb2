"""Take-away sheets: one artifact version on one or two pages, for practitioners.

:func:`write_sheet` writes a standalone HTML page (the figure embedded) or a ``.docx`` (via
python-docx) with the version's purpose, figure, elements, what changed since the previous
version and why, its evaluation and a few quotes. People appear only by pseudonym and
perspective; with a pseudonymisation key, a quote that contains a term of the key is left out,
and the written file is checked for leaks before it is kept.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dsr_workbench.core.atomic import atomic_write_bytes
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.pseudonymise import PseudonymKey, check_leaks, fold
from dsr_workbench.corpus.study import Study
from dsr_workbench.dsr.artifacts import Artifacts
from dsr_workbench.dsr.diff import artifact_diff
from dsr_workbench.dsr.trace import evaluation_by_version
from dsr_workbench.plots.artifacts import artifact_figure

__all__ = ["Sheet", "sheet_content", "sheet_docx", "sheet_html", "write_sheet"]

_MAX_QUOTES = 5


@dataclass
class Sheet:
    """What a take-away sheet says (see :func:`sheet_content`)."""

    title: str
    subtitle: str
    purpose: str
    summary: str
    figure_png: bytes
    elements: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    evaluation: list[str] = field(default_factory=list)
    quotes: list[tuple[str, str]] = field(default_factory=list)


def sheet_content(
    study: Study,
    arts: Artifacts,
    artifact: str,
    version: str,
    *,
    evaluations: pd.DataFrame | None = None,
    turns: pd.DataFrame | None = None,
    key: PseudonymKey | None = None,
) -> Sheet:
    """Collect a sheet's content: figure, elements by group, changes, ratings, quotes.

    Examples
    --------
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> study = load_study(EXAMPLE_STUDY)
    >>> sheet = sheet_content(study, load_artifacts(study), "expectation-alignment", "v2")
    >>> sheet.title, len(sheet.changes), sheet.figure_png[:4]
    ('Expectation alignment method', 4, b'\\x89PNG')
    """
    row = arts.version_row(artifact, version)
    meta = arts.artifacts.set_index("artifact").loc[artifact]
    tree = arts.version(artifact, version)
    fig = artifact_figure(tree, layout=meta["layout"])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    groups = []
    for top in tree[tree["depth"] == 0].itertuples(index=False):
        kids = tree[tree["parent"] == top.element_id]
        groups.append((f"{top.name} ({top.kind.replace('_', ' ')})", top.text,
                       [(k.name, k.text) for k in kids.itertuples(index=False)]))  # fmt: skip
    changes = []
    before = arts.previous(artifact, version)
    if before is not None and arts.decisions is not None:
        diff = artifact_diff(arts, artifact, before, version)
        text = dict(zip(arts.decisions.decisions["decision_id"],
                        arts.decisions.decisions["decision"], strict=True))  # fmt: skip
        for dec, part in diff.explode("decisions").groupby("decisions", sort=False):
            names = ", ".join(dict.fromkeys(part["name"]))
            changes.append(f"{text.get(dec, dec)} ({names})")
    evaluation = []
    if evaluations is not None:
        ev = evaluation_by_version(arts, evaluations, artifact).query("version == @version")
        for r in ev.itertuples(index=False):
            evaluation.append(f"{r.criterion.replace('_', ' ')}: {r.mean:.1f} of 5 "
                              f"(n = {r.n}, {r.purpose})")  # fmt: skip
    return Sheet(
        title=str(meta["title"]),
        subtitle=f"Version {version[1:]} · design cycle {row['cycle']} · {row['status']}"
        + (f" · {row['date']}" if row["date"] else ""),
        purpose=str(meta["purpose"]),
        summary=str(row["summary"]),
        figure_png=buf.getvalue(),
        elements=groups,
        changes=changes,
        evaluation=evaluation,
        quotes=_quotes(study, arts, artifact, version, turns, key),
    )


def _quotes(
    study: Study, arts: Artifacts, artifact: str, version: str,
    turns: pd.DataFrame | None, key: PseudonymKey | None,
) -> list[tuple[str, str]]:  # fmt: skip
    """Short participant quotes from the version's evidence turns: (quote, 'Pseudonym, side')."""
    if turns is None:
        return []
    refs = arts.references
    refs = refs[(refs["artifact"] == artifact) & (refs["version"] == version)
                & (refs["kind"] == "transcript")]  # fmt: skip
    people = study.participants.set_index("participant_id")
    pattern = key.pattern() if key is not None and key.terms else None
    by_turn = turns.assign(target=turns["transcript_id"] + "#" + turns["turn"].astype(str))
    by_turn = by_turn.set_index("target")
    out: list[tuple[str, str]] = []
    for target in dict.fromkeys(refs["target"]):
        if target not in by_turn.index or len(out) >= _MAX_QUOTES:
            continue
        t = by_turn.loc[target]
        pid = t["participant_id"]
        if pid not in people.index or people.loc[pid, "perspective"] == "researcher":
            continue
        text = " ".join(str(t["text"]).split())
        text = text if len(text) <= 220 else text[:217].rsplit(" ", 1)[0] + " …"
        if pattern is not None and pattern.search(fold(text)):
            continue
        out.append((text, f"{people.loc[pid, 'pseudonym']}, {t['perspective']} side"))
    return out


def sheet_html(sheet: Sheet) -> str:
    """The sheet as one standalone HTML page (the figure embedded as a data URI)."""
    import base64

    e = html.escape
    png = base64.b64encode(sheet.figure_png).decode("ascii")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{e(sheet.title)}</title><style>body{{font-family:sans-serif;max-width:60em;"
        "margin:1.5em auto;line-height:1.35}img{max-width:100%}h2{margin-top:1em;"
        "border-bottom:1px solid #ccc}blockquote{color:#333;margin:.4em 1em}"
        "@media print{h2{break-after:avoid}}</style></head><body>",
        f"<h1>{e(sheet.title)}</h1><p><b>{e(sheet.subtitle)}</b></p>",
        f"<p>{e(sheet.purpose)}</p><p>{e(sheet.summary)}</p>",
        f"<img alt='{e(sheet.title)}' src='data:image/png;base64,{png}'>",
        "<h2>What it contains</h2>",
    ]
    for name, text, kids in sheet.elements:
        lis = "".join(f"<li><b>{e(n)}</b>{': ' + e(t) if t else ''}</li>" for n, t in kids)
        parts.append(f"<p><b>{e(name)}</b> {e(text)}</p>" + (f"<ul>{lis}</ul>" if lis else ""))
    for heading, items in (("What changed since the previous version", sheet.changes),
                           ("How practitioners rated it", sheet.evaluation)):  # fmt: skip
        if items:
            parts.append(f"<h2>{heading}</h2><ul>")
            parts += [f"<li>{e(i)}</li>" for i in items]
            parts.append("</ul>")
    if sheet.quotes:
        parts.append("<h2>In their words</h2>")
        parts += [f"<blockquote>“{e(q)}” — {e(who)}</blockquote>" for q, who in sheet.quotes]
    parts.append("</body></html>")
    return "\n".join(parts)


def sheet_docx(sheet: Sheet) -> bytes:
    """The sheet as a Word document (python-docx)."""
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    doc.add_heading(sheet.title, level=0)
    doc.add_paragraph(sheet.subtitle).runs[0].bold = True
    doc.add_paragraph(sheet.purpose)
    doc.add_paragraph(sheet.summary)
    doc.add_picture(io.BytesIO(sheet.figure_png), width=Cm(16))
    doc.add_heading("What it contains", level=1)
    for name, text, kids in sheet.elements:
        p = doc.add_paragraph()
        p.add_run(name + " ").bold = True
        p.add_run(text)
        for n, t in kids:
            item = doc.add_paragraph(style="List Bullet")
            item.add_run(n).bold = True
            if t:
                item.add_run(": " + t)
    for heading, items in (("What changed since the previous version", sheet.changes),
                           ("How practitioners rated it", sheet.evaluation)):  # fmt: skip
        if items:
            doc.add_heading(heading, level=1)
            for i in items:
                doc.add_paragraph(i, style="List Bullet")
    if sheet.quotes:
        doc.add_heading("In their words", level=1)
        for q, who in sheet.quotes:
            doc.add_paragraph(f"“{q}” — {who}", style="Quote")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_sheet(
    study: Study,
    arts: Artifacts,
    artifact: str,
    version: str,
    out: str | Path,
    *,
    evaluations: pd.DataFrame | None = None,
    turns: pd.DataFrame | None = None,
    key: PseudonymKey | None = None,
) -> Path:
    """Write the sheet to ``out`` (``.html`` or ``.docx``); return the path.

    Without ``turns`` the study's corpus is read for the quotes. With ``key``, the file is
    checked for leaks and refused (nothing written) if a real name is in it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dsr_workbench.corpus.study import load_study
    >>> from dsr_workbench.dsr.artifacts import load_artifacts
    >>> study = load_study(EXAMPLE_STUDY)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "tool.docx"
    >>> write_sheet(study, load_artifacts(study), "partner-differentiation", "v2", out).exists()
    True
    """
    out = Path(out)
    if out.suffix.lower() not in (".html", ".docx"):
        raise DsrError(f"cannot write a sheet as '{out.suffix}'", path=out,
                       hint="name the file .html or .docx")  # fmt: skip
    if turns is None:
        from dsr_workbench.corpus.read import load_corpus

        _, turns = load_corpus(study)
    sheet = sheet_content(study, arts, artifact, version, evaluations=evaluations, turns=turns,
                          key=key)  # fmt: skip
    data = sheet_html(sheet).encode("utf-8") if out.suffix.lower() == ".html" else sheet_docx(sheet)
    if key is not None and key.terms:
        probe = out.with_name(f".probe-{out.name}")
        probe.write_bytes(data)
        try:
            leaks = check_leaks([probe], key)
        finally:
            probe.unlink()
        if len(leaks):
            raise DsrError(f"the sheet would name {leaks.iloc[0]['pseudonym']}'s real name",
                           path=out, hint="remove that evidence from the version")  # fmt: skip
    atomic_write_bytes(out, data)
    return out
