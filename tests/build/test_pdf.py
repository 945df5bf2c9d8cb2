"""PDF handouts: what is printed, offline printing with chromium, and no browser at all."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest

from dsr_workbench.build import pdf
from dsr_workbench.build.pdf import PdfJob, find_browser, pdf_jobs, print_pdfs, write_pdfs
from dsr_workbench.corpus.study import load_study

PAGE = """<!doctype html><html><head><style>
section{break-before:page}</style></head><body><h1>Title</h1>
<section><h2>One</h2><img src='https://example.invalid/x.png'></section>
<section><h2>Two</h2></section></body></html>"""


def _deck(reports: Path, cycle: int, report: str) -> None:
    folder = reports / f"cycle-{cycle}" / report / "v001"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"cycle": cycle, "status": "ok"}))
    (folder / "slides.html").write_text("<p>slides</p>")


def test_jobs_are_the_study_report_and_each_latest_deck(mini_study: Path) -> None:
    study = load_study(mini_study)
    reports = study.reports_dir
    _deck(reports, 1, "facilitator")
    _deck(reports, 1, "corpus")
    (reports / "cycle-1" / "corpus" / "v001" / "slides.html").unlink()  # not presented
    (reports / "study-report.html").write_text("<p>x</p>")
    jobs = pdf_jobs(study)
    assert [j.target.relative_to(reports).as_posix() for j in jobs] == [
        "study-report.pdf",
        "decks/cycle-1-facilitator.pdf",
    ]
    assert [j.slides for j in jobs] == [False, True]


def test_no_browser_warns_one_line_and_writes_nothing(
    mini_study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "find_browser", lambda: None)
    study = load_study(mini_study)
    study.reports_dir.mkdir(parents=True, exist_ok=True)
    (study.reports_dir / "study-report.html").write_text("<p>x</p>")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert write_pdfs(study) == []
    assert [w.category for w in caught] == [pdf.PdfSkipped]
    assert not (study.reports_dir / "study-report.pdf").exists()


def test_a_failing_browser_does_not_fail_the_build(
    mini_study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(jobs: object, browser: str) -> list[Path]:
        raise RuntimeError("Browser closed unexpectedly\nlong log")

    monkeypatch.setattr(pdf, "find_browser", lambda: "/bin/true")
    monkeypatch.setattr(pdf, "print_pdfs", broken)
    study = load_study(mini_study)
    study.reports_dir.mkdir(parents=True, exist_ok=True)
    (study.reports_dir / "study-report.html").write_text("<p>x</p>")
    with pytest.warns(pdf.PdfSkipped, match=r"printing failed \(RuntimeError: Browser closed"):
        assert write_pdfs(study) == []


@pytest.mark.browser
@pytest.mark.skipif(find_browser() is None, reason="no chromium with playwright")
def test_print_offline_breaks_before_chapters(tmp_path: Path) -> None:
    source = tmp_path / "page.html"
    source.write_text(PAGE, encoding="utf-8")
    browser = find_browser()
    assert browser is not None
    [written] = print_pdfs([PdfJob(source, tmp_path / "out" / "page.pdf")], browser)
    data = written.read_bytes()
    assert data.startswith(b"%PDF")
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    assert pages == 3  # title page, then each section on its own page
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_a_pdf_newer_than_its_page_is_not_printed_again(
    mini_study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed: list[list[PdfJob]] = []

    def fake(jobs: list[PdfJob], browser: str) -> list[Path]:
        printed.append(list(jobs))
        for job in jobs:
            job.target.write_bytes(b"%PDF-fake")
        return [job.target for job in jobs]

    monkeypatch.setattr(pdf, "find_browser", lambda: "/bin/true")
    monkeypatch.setattr(pdf, "print_pdfs", fake)
    study = load_study(mini_study)
    study.reports_dir.mkdir(parents=True, exist_ok=True)
    page = study.reports_dir / "study-report.html"
    page.write_text("<p>x</p>")
    assert write_pdfs(study) == [study.reports_dir / "study-report.pdf"]
    assert write_pdfs(study) == [study.reports_dir / "study-report.pdf"]  # current: no print
    assert len(printed) == 1
    os.utime(page, (page.stat().st_mtime + 10, page.stat().st_mtime + 10))  # the page changed
    write_pdfs(study)
    assert len(printed) == 2
