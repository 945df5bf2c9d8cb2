"""``reports/study-report.html``: the study as a report, one offline file.

The order is fixed: the study (title, purpose, research questions); the method (sample by
organisation and perspective, interviews and focus groups per cycle, coding and reliability);
one chapter per research question (its leaves, when questions have sub-questions) with the
designed artifact that answers it — the latest version's figure and take-away sheet, how the
artifact evolved across versions and why (:func:`~dsr_workbench.dsr.diff.artifact_diff`
and the design decisions), its evaluation across versions
(:func:`~dsr_workbench.dsr.trace.evaluation_by_version`) and the evidence (the Gioia
concepts its elements cite, with exemplar quotes by perspective, and the figures of the
analysis reports in :data:`EVIDENCE_REPORTS`); then an appendix linking every report version.

Figures and tables come from the latest good version of the report that made them (its
``figures/*.png`` embedded as data URIs, its ``tables/*.csv`` read back); only what no report
computes is asked of the library here (study-wide Gioia structure, the diffs between every
pair of versions). No statistic is computed in this module. Quotes name the speaker by
pseudonym and perspective only, and a quote holding a term of the pseudonymisation key (when
the key is on this machine) is left out.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from dsr_workbench.build.catalog import latest_ok, report_titles, versions_table
from dsr_workbench.build.document import Document
from dsr_workbench.core.atomic import atomic_write_text
from dsr_workbench.corpus.pseudonymise import PseudonymKey, fold
from dsr_workbench.corpus.study import Study

__all__ = ["EVIDENCE_REPORTS", "study_report_html", "write_study_report"]

EVIDENCE_REPORTS: dict[str, tuple[str, ...]] = {
    "development-framework": ("trajectories",),
    "partner-differentiation": ("success-factors", "partner-differentiation"),
    "expectation-alignment": ("relationship-gap",),
}
"""Artifact → the analysis reports whose figures are its evidence (RQ1a: trajectories; RQ1b:
the success-factor models and partner differentiation; RQ1c: the Relationship Gap). An
artifact not listed gets the report of the same name, if there is one."""

PERSPECTIVE_WORDS = {"client": "client side", "cmo": "CMO side"}
_MAX_CONCEPTS = 4  # concepts per chapter whose exemplar quotes are shown


class _Build:
    """The published versions, read once: latest good version per report, figures, CSVs."""

    def __init__(self, study: Study, table: pd.DataFrame) -> None:
        self.root = study.reports_dir
        self.table = table
        self.latest = latest_ok(table)
        self.titles = report_titles(study)

    def latest_of(self, report: str | None = None, artifact: str | None = None) -> pd.Series | None:
        """The newest good version of a report, or of the report presenting an artifact
        (in its latest cycle), or ``None``."""
        rows = self.latest[self.latest["report"] == report]
        if artifact is not None:
            rows = self.latest[self.latest["artifact"] == artifact]
        if rows.empty:
            return None
        return rows.sort_values(["cycle", "version"]).iloc[-1]

    def label(self, row: pd.Series) -> tuple[str, str]:
        """``(href, words)`` naming a version: link to its page."""
        title = self.titles.get(str(row["report"]), str(row["report"]))
        return f"{row['path']}/notebook.html", f"{title}, cycle {row['cycle']}, {row['version']}"

    def figure(self, row: pd.Series, name: str) -> bytes | None:
        path = self.root / str(row["path"]) / "figures" / f"{name}.png"
        return path.read_bytes() if path.is_file() else None

    def figures(self, row: pd.Series) -> list[tuple[str, bytes, str]]:
        """Every figure of a version: (name, PNG, caption from the notebook's headings)."""
        folder = self.root / str(row["path"])
        captions = _figure_captions(folder / "notebook.ipynb")
        return [
            (p.stem, p.read_bytes(), captions.get(p.stem) or p.stem.replace("_", " ").capitalize())
            for p in sorted((folder / "figures").glob("*.png"))
        ]

    def csv(self, row: pd.Series | None, name: str) -> pd.DataFrame | None:
        if row is None:
            return None
        path = self.root / str(row["path"]) / "tables" / f"{name}.csv"
        return pd.read_csv(path) if path.is_file() else None


def _figure_captions(notebook: Path) -> dict[str, str]:
    """Figure name → the heading of the notebook section that draws it."""
    if not notebook.is_file():
        return {}
    heading = ""
    out: dict[str, str] = {}
    # read as JSON: importing nbformat costs a no-op build a second
    for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
        raw = cell.get("source", "")
        source = "".join(raw) if isinstance(raw, list) else str(raw)
        if cell.get("cell_type") == "markdown":
            found = [ln.lstrip("#").strip() for ln in source.splitlines() if ln.startswith("#")]
            heading = found[-1] if found else heading
        elif "out.figure(" in source:
            for name in re.findall(r"[\"']([\w.-]+)[\"']\s*\)", source):
                out.setdefault(name, heading)
    return out


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _missing(doc: Document, build: _Build, report: str, what: str) -> None:
    if report not in build.titles:
        doc.note(f"{what}: the study has no report “{report}” in study.yaml.")
        return
    title = build.titles[report]
    doc.note(
        f"{what}: the report “{title}” has no built version yet (dsr build --report {report})."
    )


# --- chapters ----------------------------------------------------------------------------


def _the_study(doc: Document, study: Study, rqs: pd.DataFrame, arts: Any) -> None:
    doc.chapter("The study")
    description = (study.raw.get("study") or {}).get("description")
    if description:
        doc.text(" ".join(str(description).split()), cls="lead")
    titles = dict(zip(arts.artifacts["artifact"], arts.artifacts["title"], strict=True))
    if study.synthetic:
        doc.text("The study's data are synthetic: every organisation, person and transcript is "
                 "invented.", cls="muted")  # fmt: skip
    doc.section("Research questions")
    items = []
    for rq in rqs.itertuples(index=False):
        answered = ", ".join(titles.get(a, a) for a in rq.artifacts)
        indent = " style='margin-left:1.4rem'" if rq.parent else ""
        items.append(
            f"<li{indent}><b>{_esc(rq.rq_id)}</b> {_esc(rq.text)}"
            + (f" <span class='muted'>— answered by: {_esc(answered)}</span>" if answered else "")
            + "</li>"
        )
    doc.raw(f"<ul class='rqs'>{''.join(items)}</ul>")


def _method(
    doc: Document, study: Study, build: _Build, codings: Any, structure: pd.DataFrame
) -> None:
    doc.chapter("Method")
    doc.section("Sample")
    people = study.participants[study.participants["perspective"] != "researcher"]
    orgs = study.organisations.rename(columns={"organisation": "org"})
    counts = people.groupby("organisation").size()
    sample = pd.DataFrame({
        "Organisation": orgs["pseudonym"],
        "Perspective": orgs["perspective"].map(lambda p: PERSPECTIVE_WORDS.get(p, "both sides")),
        "Participants": [int(counts.get(o, 0)) for o in orgs["org"]],
    })  # fmt: skip
    sides = people["perspective"].value_counts()
    doc.text(
        f"{len(people)} participants from {len(orgs)} organisations: "
        + ", ".join(f"{int(n)} {PERSPECTIVE_WORDS.get(str(p), str(p))}" for p, n in sides.items())
        + ". Everyone is named by pseudonym."
    )
    doc.table(sample, f"Sample by organisation and perspective (n = {len(people)} participants).")
    doc.section("Interviews and focus groups per cycle")
    words = build.csv(build.latest_of("corpus-overview"), "by_cycle_and_kind")
    rows = []
    for cyc in study.cycles.itertuples(index=False):
        mine = study.transcripts[study.transcripts["cycle"] == cyc.cycle]
        row = {"Cycle": cyc.cycle, "Focus": cyc.focus,
               "Interviews": int((mine["kind"] == "interview").sum()),
               "Focus groups": int((mine["kind"] == "focus_group").sum())}  # fmt: skip
        if words is not None:
            row["Words"] = int(words.loc[words["cycle"] == cyc.cycle, "n_words"].sum())
        rows.append(row)
    doc.table(pd.DataFrame(rows), f"Transcripts per design cycle (n = {len(study.transcripts)}).",
              source=_src(build, "corpus-overview"))  # fmt: skip
    doc.section("Coding and reliability")
    n_dim, n_theme = structure["dimension_id"].nunique(), structure["theme_id"].nunique()
    n_concept = structure["concept_id"].nunique()
    coders = sorted(set(codings["coder"])) if len(codings) else []
    fig_gioia = doc.figures + 1 if not structure.empty else None
    fig_agreement = doc.figures + 1 + (fig_gioia is not None)
    doc.text(
        f"Coding: {len(codings)} codings by {len(coders)} coder(s) ({', '.join(coders)}) on "
        f"{codings['transcript_id'].nunique() if len(codings) else 0} transcripts, with a "
        f"codebook of {n_dim} aggregate dimensions, {n_theme} second-order themes and "
        f"{n_concept} first-order concepts (Gioia, Corley & Hamilton 2013"
        + (f"; Figure {fig_gioia})." if fig_gioia else ").")
    )
    rel = build.latest_of("intercoder-reliability")
    agreement = build.csv(rel, "agreement_per_code")
    if rel is not None and agreement is not None and "band_alpha" in agreement:
        bands = agreement["band_alpha"].value_counts()
        doc.text(
            f"Reliability (cycle {rel['cycle']}, Krippendorff's α per code"
            + (f"; Figure {fig_agreement}" if build.figure(rel, "agreement_heatmap") else "")
            + f"): of {len(agreement)} codes, "
            + ", ".join(f"{int(n)} {b}" for b, n in bands.items())
            + "."
        )
    else:
        _missing(doc, build, "intercoder-reliability", "Reliability")
    from dsr_workbench.plots.coding import gioia_figure

    if structure.empty:
        doc.note("No Gioia data structure yet: the study has no codebook with codes.")
    else:
        doc.figure(_png(gioia_figure(structure, quotes=False)),
                   "The Gioia data structure of all codings: first-order concepts, second-order "
                   "themes and aggregate dimensions.")  # fmt: skip
    png = build.figure(rel, "agreement_heatmap") if rel is not None else None
    if png is not None and rel is not None:
        doc.figure(png, f"Inter-coder agreement per code, cycle {rel['cycle']}.",
                   source=build.label(rel))  # fmt: skip


def _artifact(doc: Document, build: _Build, ctx: _Context, artifact: str) -> None:
    arts = ctx.arts
    meta = arts.artifacts.set_index("artifact").loc[artifact]
    versions = arts.versions[arts.versions["artifact"] == artifact].sort_values("number")
    last = versions.iloc[-1]
    doc.section(f"The artifact: {meta['title']}")
    doc.text(f"{meta['title']} is a {meta['kind']} (March & Smith 1995). {meta['purpose']}")
    doc.text(f"Latest version {last['version']} (cycle {last['cycle']}, {last['status']}, "
             f"{last['date']}): {' '.join(str(last['summary']).split())}")  # fmt: skip
    row = build.latest_of(artifact=artifact)
    from dsr_workbench.dsr.trace import version_of_cycle

    shown = version_of_cycle(arts, artifact, int(row["cycle"])) if row is not None else None
    png = build.figure(row, "artifact") if row is not None and shown == last["version"] else None
    source = build.label(row) if png is not None and row is not None else None
    if png is None:  # no report shows the latest version yet: draw it
        from dsr_workbench.plots.artifacts import artifact_figure

        png = _png(
            artifact_figure(
                arts.version(artifact, str(last["version"])),
                layout=meta["layout"],
                title=f"{meta['title']} {last['version']}",
            )
        )
    doc.figure(png, f"{meta['title']}, version {last['version']} (cycle {last['cycle']}).",
               source=source)  # fmt: skip
    sheet = None if row is None else f"{row['path']}/{artifact}-{last['version']}.html"
    if sheet is not None and (build.root / sheet).is_file():
        doc.raw(
            f"<p>Take-away sheet for practitioners: <a href='{_esc(sheet)}'>{_esc(meta['title'])} "
            f"{_esc(last['version'])}</a> (also as Word, beside it).</p>"
        )
    else:
        doc.note(f"No take-away sheet of {last['version']} yet: it is written by the design "
                 "report of the version's cycle.")  # fmt: skip

    doc.section("How it evolved")
    doc.table(versions[["version", "cycle", "date", "status", "summary"]].rename(columns=str.capitalize),
              f"The versions of {meta['title']} (n = {len(versions)}).")  # fmt: skip
    from dsr_workbench.dsr.diff import artifact_diff

    decisions = arts.decisions.decisions if arts.decisions is not None else pd.DataFrame()
    requirements = ({} if arts.decisions is None else dict(zip(
        arts.decisions.requirements["requirement_id"], arts.decisions.requirements["text"],
        strict=True)))  # fmt: skip
    for before, after in zip(versions["version"], versions["version"].iloc[1:], strict=False):
        diff = artifact_diff(arts, artifact, str(before), str(after))
        doc.heading(f"From {before} to {after}")
        if diff.empty:
            doc.text("No element changed.", cls="muted")
            continue
        shown_diff = pd.DataFrame({
            "Element": diff["name"], "Kind": diff["kind"].str.replace("_", " "),
            "Change": diff["change"], "Decisions": diff["decisions"],
        })  # fmt: skip
        doc.table(shown_diff, f"What changed from {before} to {after} ({len(diff)} changes), with "
                  "the design decisions behind each change.")  # fmt: skip
        why = (
            decisions[(decisions.get("artifact") == artifact) & (decisions.get("version") == after)]
            if not decisions.empty
            else decisions
        )
        if len(why):
            items = []
            for d in why.itertuples(index=False):
                reqs = ctx.addresses.get(str(d.decision_id), [])
                req = "; ".join(f"{r}: {' '.join(requirements.get(r, '').split())}" for r in reqs)
                items.append(
                    f"<li><b>{_esc(d.decision_id)}</b> {_esc(' '.join(str(d.decision).split()))}"
                    + (f" <span class='muted'>(meets {_esc(req)})</span>" if req else "")
                    + "</li>"
                )
            doc.raw(f"<p>Why:</p><ul>{''.join(items)}</ul>")

    doc.section("Evaluation across versions")
    ev = build.csv(row, "evaluation_by_version")
    if ev is None:
        from dsr_workbench.dsr.trace import evaluation_by_version

        ev = (evaluation_by_version(arts, ctx.evaluations, artifact)
              if ctx.evaluations is not None else pd.DataFrame())  # fmt: skip
    if ev.empty:
        doc.note(f"No version of {meta['title']} has been rated yet.")
    else:
        shown_ev = pd.DataFrame({
            "Version": ev["version"], "Cycle": ev["cycle"], "Purpose": ev["purpose"],
            "Criterion": ev["criterion"].str.replace("_", " "), "n": ev["n"], "Mean": ev["mean"],
            "95% CI": [f"{lo:.2f} – {hi:.2f}" if pd.notna(lo) else "–"
                       for lo, hi in zip(ev["ci_low"], ev["ci_high"], strict=True)],
        })  # fmt: skip
        doc.table(shown_ev, f"Ratings of {meta['title']} per version and criterion (1–5): n, mean "
                  "and 95% t interval; formative or summative after the episode.",
                  source=build.label(row) if row is not None else None)  # fmt: skip

    doc.section("Evidence")
    _gioia_evidence(doc, ctx, artifact, str(meta["title"]))
    for report in EVIDENCE_REPORTS.get(artifact, (artifact,)):
        if report not in build.titles:
            continue
        ev_row = build.latest_of(report)
        if ev_row is None:
            _missing(doc, build, report, "Evidence")
            continue
        doc.heading(f"From the analysis: {build.titles[report]}")
        for _name, fig, caption in build.figures(ev_row):
            doc.figure(fig, f"{build.titles[report]}: {caption} (cycle {ev_row['cycle']}).",
                       source=build.label(ev_row))  # fmt: skip


def _gioia_evidence(doc: Document, ctx: _Context, artifact: str, title: str) -> None:
    """The Gioia concepts the artifact's elements cite, and exemplar quotes by perspective."""
    if ctx.codebook is None:
        doc.text("The study has no codebook yet, so no Gioia structure.", cls="muted")
        return
    refs = ctx.arts.references
    cited = set(refs.loc[(refs["artifact"] == artifact) & (refs["kind"] == "coding"), "target"])
    codes = set(ctx.codings.loc[ctx.codings["coding_id"].isin(cited), "code_id"])
    codes |= {a for c in codes for a in ctx.codebook.ancestors(c)}
    rows = ctx.structure[ctx.structure["concept_id"].isin(codes)]
    if rows.empty:
        doc.text(f"The elements of {title} cite no coding; the whole data structure is in the "
                 "Method chapter.", cls="muted")  # fmt: skip
        return
    table = rows[["dimension", "theme", "concept", "n_codings"]].copy()
    for column in ("theme", "dimension"):  # name a group once, on its first row
        table[column] = table[column].where(table[column].ne(table[column].shift()), "")
    table = table.rename(columns={
        "dimension": "Aggregate dimension", "theme": "Second-order theme",
        "concept": "First-order concept", "n_codings": "Codings"})  # fmt: skip
    doc.table(table, f"The Gioia concepts cited as evidence by {title} ({len(rows)} concepts).")
    doc.heading("Exemplar quotes by perspective")
    top = rows.sort_values("n_codings", ascending=False, kind="stable").head(_MAX_CONCEPTS)
    for concept_id, concept in zip(top["concept_id"], top["concept"], strict=True):
        quotes = [
            q
            for q in (ctx.exemplar(concept_id, p) for p in PERSPECTIVE_WORDS)
            if q and q[0] not in ctx.quoted
        ]
        if not quotes:
            continue
        doc.raw(f"<p><b>{_esc(concept)}</b></p>")
        for text, who in quotes:
            if text not in ctx.quoted:
                doc.quote(text, who)
                ctx.quoted.add(text)


class _Context:
    """What the chapters read from the library, loaded once."""

    def __init__(self, study: Study, key: PseudonymKey | None) -> None:
        from dsr_workbench.coding.anchored import load_anchored_codings
        from dsr_workbench.coding.codebook import load_codebook
        from dsr_workbench.coding.gioia import GIOIA_COLUMNS, gioia_structure
        from dsr_workbench.coding.queries import with_turns
        from dsr_workbench.corpus.read import load_corpus
        from dsr_workbench.dsr.artifacts import load_artifacts, research_questions
        from dsr_workbench.dsr.record import load_evaluations

        self.study = study
        self.missing: list[str] = []  # what the study does not have (yet), in words
        self.arts = load_artifacts(study)
        self.rqs = research_questions(study)
        transcripts, turns = load_corpus(study)
        book = study.data_dir / "codebook.yaml"
        self.codebook = load_codebook(book) if book.is_file() else None
        if self.codebook is None:
            self.missing.append("a codebook (data/codebook.yaml)")
        self.codings = load_anchored_codings(study, corpus=(transcripts, turns)).codings
        self.structure = (
            gioia_structure(self.codebook, self.codings)
            if self.codebook is not None
            else pd.DataFrame(columns=GIOIA_COLUMNS)
        )
        folder = study.data_dir / "evaluations"
        self.evaluations = load_evaluations(folder, study.participants) if folder.is_dir() else None
        self.said = with_turns(self.codings, turns)
        self.by_side = {
            p: gioia_structure(self.codebook, self.codings[(self.said["perspective"] == p).to_numpy()])
            for p in PERSPECTIVE_WORDS
        } if self.codebook is not None else {}  # fmt: skip
        self.quoted: set[str] = set()  # each quote once in the report
        self.pattern = key.pattern() if key is not None and key.terms else None
        refs = self.arts.decisions.references if self.arts.decisions is not None else None
        self.addresses: dict[str, list[str]] = {}
        if refs is not None:
            for r in refs[
                (refs["field"] == "addresses") & (refs["kind"] == "requirement")
            ].itertuples():
                self.addresses.setdefault(str(r.owner), []).append(str(r.target))
        self.names = dict(zip(study.participants["participant_id"], study.participants["pseudonym"],
                              strict=True))  # fmt: skip

    def exemplar(self, concept_id: str, perspective: str) -> tuple[str, str] | None:
        """The concept's exemplar quote from one side, and who said it (pseudonym, side)."""
        side = self.by_side.get(perspective)
        if side is None:
            return None
        hit = side[(side["concept_id"] == concept_id) & (side["exemplar_source"] == "coding")]
        if hit.empty:
            return None
        text = " ".join(str(hit["exemplar"].iloc[0]).split())
        if self.pattern is not None and self.pattern.search(fold(text)):
            return None
        said = self.said[(self.said["quote"].map(lambda q: " ".join(str(q).split())) == text)
                         & (self.said["perspective"] == perspective)]  # fmt: skip
        if said.empty:
            return None
        who = self.names.get(str(said["participant_id"].iloc[0]), "a participant")
        text = text if len(text) <= 320 else text[:317].rsplit(" ", 1)[0] + " …"
        return text, f"{who}, {PERSPECTIVE_WORDS[perspective]}"


def _appendix(doc: Document, build: _Build) -> None:
    doc.chapter("Appendix: every report version", numbered=False)
    table = build.table.sort_values(["cycle", "report", "version"])
    links = []
    for row in table.itertuples(index=False):
        folder = build.root / row.path
        parts = [f"<a href='{_esc(row.path)}/notebook.html'>page</a>"]
        if (folder / "slides.html").is_file():
            parts.append(f"<a href='{_esc(row.path)}/slides.html'>slides</a>")
        links.append(" · ".join(parts))
    shown = pd.DataFrame({
        "Cycle": table["cycle"], "Report": [build.titles.get(r, r) for r in table["report"]],
        "Version": table["version"], "Status": table["status"],
        "Built": table["end"].astype(str).str[:10], "Open": links,
    })  # fmt: skip
    doc.table(shown, f"Every version the build has published (n = {len(shown)}); "
              "each folder also holds the notebook, its tables, figures and manifest.",
              html_columns=("Open",))  # fmt: skip


def study_report_html(study: Study, table: pd.DataFrame | None = None,
                      key: PseudonymKey | None = None) -> str:  # fmt: skip
    """The study report as one HTML page (see the module docstring for its order).

    Parameters
    ----------
    study
        The study, from :func:`~dsr_workbench.corpus.study.load_study`.
    table
        :func:`~dsr_workbench.build.catalog.versions_table` of its reports (read if ``None``).
    key
        The pseudonymisation key: quotes holding one of its terms are left out.
    """
    table = versions_table(study.reports_dir, study) if table is None else table
    build = _Build(study, table)
    ctx = _Context(study, key)
    doc = Document(study.title, "Study report: the research questions, the designed artifacts "
                   "that answer them, their evaluation and the evidence.")  # fmt: skip
    _the_study(doc, study, ctx.rqs, ctx.arts)
    _method(doc, study, build, ctx.codings, ctx.structure)
    parents = set(ctx.rqs["parent"].dropna())
    for rq in ctx.rqs.itertuples(index=False):
        if rq.rq_id in parents:
            continue  # answered through its sub-questions
        doc.chapter(f"{rq.rq_id}: {rq.text}")
        if not rq.artifacts:
            doc.note("No designed artifact answers this question yet.")
        for artifact in rq.artifacts:
            _artifact(doc, build, ctx, artifact)
    _appendix(doc, build)
    return doc.render()


def write_study_report(study: Study, table: pd.DataFrame | None = None,
                       key: PseudonymKey | None = None) -> Path:  # fmt: skip
    """Write ``reports/study-report.html`` (:func:`study_report_html`); return its path."""
    if key is None:
        from dsr_workbench.build.privacy import resolve_key

        key, _ = resolve_key(study)
    target = study.reports_dir / "study-report.html"
    html = study_report_html(study, table, key)
    if not (target.is_file() and target.read_text(encoding="utf-8") == html):
        atomic_write_text(target, html)  # unchanged content keeps its mtime: no new PDF
    return target


def _src(build: _Build, report: str) -> tuple[str, str] | None:
    row = build.latest_of(report)
    return None if row is None else build.label(row)


def _esc(text: object) -> str:
    import html

    return html.escape(str(text))
