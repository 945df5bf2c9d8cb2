"""PDF handouts: the study report and every presented deck, printed by headless Chromium.

:func:`write_pdfs` prints ``reports/study-report.html`` to ``reports/study-report.pdf`` and
the slides of the latest good version of every presented report and cycle to
``reports/decks/cycle-N-<report>.pdf`` (rewritten with the index, so they never sit inside an
immutable version folder). Printing goes through Playwright with the machine's Chromium
(:func:`find_browser`: ``DSR_CHROMIUM``, then ``chromium`` on the ``PATH``, then
``/usr/bin/chromium``), offline: every request that does not stay on ``file://`` or ``data:``
is refused. The page's print CSS decides the layout (the study report breaks before chapters
and keeps figures whole; reveal.js lays slides out one per page with ``?print-pdf``).

Without a browser or Playwright, or if printing fails, :class:`PdfSkipped` is warned once (one
line) and no PDF is written; everything else is built.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dsr_workbench.build.catalog import latest_ok, versions_table
from dsr_workbench.core.errors import DsrWarning
from dsr_workbench.corpus.study import Study

__all__ = [
    "BROWSER_ARGS",
    "PdfJob",
    "PdfSkipped",
    "find_browser",
    "pdf_jobs",
    "print_pdfs",
    "write_pdfs",
]

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Chromium's command-line switches for printing (headless, no network of its own)."""

_TIMEOUT_MS = 60_000


class PdfSkipped(DsrWarning):
    """No PDF was printed (no browser on this machine, or printing failed); HTML is built."""


@dataclass(frozen=True)
class PdfJob:
    """One page to print: ``source`` HTML → ``target`` PDF; ``slides`` for a reveal.js deck."""

    source: Path
    target: Path
    slides: bool = False


def find_browser() -> str | None:
    """The Chromium to print with, or ``None`` when this machine has none or no Playwright."""
    if importlib.util.find_spec("playwright") is None:
        return None
    for candidate in (
        os.environ.get("DSR_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def pdf_jobs(study: Study, table: pd.DataFrame | None = None) -> list[PdfJob]:
    """What :func:`write_pdfs` prints: the study report, then each presented deck."""
    reports = study.reports_dir
    table = versions_table(reports, study) if table is None else table
    jobs = []
    if (reports / "study-report.html").is_file():
        jobs.append(PdfJob(reports / "study-report.html", reports / "study-report.pdf"))
    for row in latest_ok(table).sort_values(["cycle", "report"]).itertuples(index=False):
        slides = reports / row.path / "slides.html"
        if slides.is_file():
            target = reports / "decks" / f"cycle-{row.cycle}-{row.report}.pdf"
            jobs.append(PdfJob(slides, target, slides=True))
    return jobs


def print_pdfs(jobs: Iterable[PdfJob], browser: str) -> list[Path]:
    """Print each job with one headless Chromium (offline); return the PDFs written.

    Each PDF is written beside its target and renamed into place, so a failed print never
    leaves half a file.
    """
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser, headless=True, args=BROWSER_ARGS)
        try:
            for job in jobs:
                page = chromium.new_page()
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith(("file:", "data:"))
                        else route.abort()
                    ),
                )
                url = job.source.resolve().as_uri() + ("?print-pdf" if job.slides else "")
                page.goto(url, wait_until="load", timeout=_TIMEOUT_MS)
                if job.slides:  # reveal.js (loaded by require.js) lays out one .pdf-page a slide
                    page.wait_for_function(
                        "() => document.querySelectorAll('.pdf-page').length > 0",
                        timeout=_TIMEOUT_MS,
                    )
                    page.wait_for_timeout(300)  # let it finish the layout it started
                job.target.parent.mkdir(parents=True, exist_ok=True)
                tmp = job.target.with_name(f".{job.target.name}.tmp")
                page.pdf(
                    path=str(tmp),
                    print_background=True,
                    prefer_css_page_size=True,
                    format="A4",
                )
                os.replace(tmp, job.target)
                written.append(job.target)
                page.close()
        finally:
            chromium.close()
    return written


def _current(job: PdfJob) -> bool:
    """Whether ``job.target`` exists and is at least as new as its source page."""
    try:
        return job.target.stat().st_mtime >= job.source.stat().st_mtime
    except FileNotFoundError:
        return False


def write_pdfs(study: Study, table: pd.DataFrame | None = None) -> list[Path]:
    """Print the study report and the presented decks; return the PDFs written.

    Without a browser (see :func:`find_browser`), or when printing fails, warn
    :class:`PdfSkipped` in one line and return ``[]``. Deck PDFs of decks that no longer
    exist are removed.
    """
    every = pdf_jobs(study, table)
    # a PDF newer than its page is current: printing costs seconds a page, so a build that
    # changed no page (the study report is rewritten only when its content changes) prints none
    jobs = [j for j in every if not _current(j)]
    if not jobs:
        return [j.target for j in every]
    browser = find_browser()
    if browser is None:
        warnings.warn(
            "no PDF handouts: this machine has no Chromium for Playwright "
            "(apt-get install chromium; the HTML reports are built)",
            PdfSkipped,
            stacklevel=2,
        )
        return []
    try:
        written = print_pdfs(jobs, browser)
    except Exception as exc:  # a broken browser must not fail the build
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        warnings.warn(
            f"no PDF handouts: printing failed ({type(exc).__name__}: {first})",
            PdfSkipped,
            stacklevel=2,
        )
        return []
    decks = study.reports_dir / "decks"
    written = written + [j.target for j in every if j not in jobs]
    keep = {p.resolve() for p in written}
    for stale in decks.glob("*.pdf") if decks.is_dir() else []:
        if stale.resolve() not in keep:
            stale.unlink()
    return written
