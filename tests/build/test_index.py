"""The report index: versions, what changed between them in words, titles, handouts, failures."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from dsr_workbench.build import pdf
from dsr_workbench.build.catalog import input_label, versions_table, what_changed
from dsr_workbench.build.index import index_html, write_index
from dsr_workbench.corpus.study import load_study


def _version(root: Path, cycle: int, report: str, n: int, **manifest: object) -> Path:
    folder = root / f"cycle-{cycle}" / report / f"v{n:03d}"
    folder.mkdir(parents=True)
    data = {
        "cycle": cycle,
        "status": "ok",
        "key": f"k{n}",
        "end": f"2026-01-0{n}T10:00:00+00:00",
        "inputs": {},
        "parameters": {},
        "environment": {},
        "components": {},
    }
    data.update(manifest)
    (folder / "manifest.json").write_text(json.dumps(data))
    for name in ("notebook.html", "notebook.ipynb"):
        (folder / name).write_text("{}")
    return folder


def test_versions_table_says_what_changed(tmp_path: Path) -> None:
    _version(tmp_path, 1, "gap", 1, inputs={"data/s.csv": "a"}, components={"library": "L1"})
    _version(tmp_path, 1, "gap", 2, inputs={"data/s.csv": "b"}, components={"library": "L1"})
    _version(tmp_path, 1, "gap", 3, inputs={"data/s.csv": "b"}, components={"library": "L2"})
    (tmp_path / "cycle-1" / "gap" / ".tmp-abc").mkdir()  # an interrupted build: not a version
    table = versions_table(tmp_path)
    assert table.version.tolist() == ["v001", "v002", "v003"]
    assert table.changed.tolist() == ["first version", "data/s.csv changed", "library code changed"]


def test_what_changed_names_transcripts_codings_packages_and_parameters() -> None:
    names = {"interviews/FG4.md": "FG4"}
    old = {"inputs": {"interviews/FG4.md": "1", "data/codings/kim.jsonl": "1"},
           "parameters": {"level": "item"}, "components": {"library": "a"},
           "environment": {"pandas": "3.0", "scipy": "1.1"}}  # fmt: skip
    new = {"inputs": {"interviews/FG4.md": "2", "data/codings/kim.jsonl": "1"},
           "parameters": {"level": "construct"}, "components": {"library": "b"},
           "environment": {"pandas": "3.0", "scipy": "1.2"}}  # fmt: skip
    assert what_changed(old, new, names) == (
        "transcript FG4 changed; parameter level changed; library code changed; scipy 1.1→1.2"
    )
    assert input_label("data/codings/noah.jsonl") == "codings of noah"


def test_index_has_titles_focus_words_and_handouts(mini_study: Path) -> None:
    study = load_study(mini_study)
    reports = study.reports_dir
    text = mini_study.read_text(encoding="utf-8")
    mini_study.write_text(text + "reports:\n  gap:\n    title: The Relationship Gap\n"
                          "    notebook: nb.ipynb\n", encoding="utf-8")  # fmt: skip
    study = load_study(mini_study, check_files=False)
    t1 = study.transcripts["file"].iloc[0]
    _version(reports, 1, "gap", 1, inputs={t1: "a"})
    _version(reports, 1, "gap", 2, inputs={t1: "b"}, components={"library": "L2"})
    (reports / "study-report.html").write_text("<p>report</p>")
    page = index_html(study, versions_table(reports, study))
    assert "The Relationship Gap" in page and ">gap<" not in page
    focus = study.cycles["focus"].iloc[0]
    assert f"Cycle 1: {focus}" in page
    tid = study.transcripts["transcript_id"].iloc[0]
    assert f"transcript {tid} changed; library code changed" in page
    assert "href='study-report.html'" in page
    assert "no PDF" in page and "href='study-report.pdf'" not in page  # no PDF yet: says so
    (reports / "study-report.pdf").write_bytes(b"%PDF-1.4")
    assert "href='study-report.pdf'" in index_html(study, versions_table(reports, study))
    # newest version first
    assert page.index(">v002<") < page.index(">v001<")
    for href in re.findall(r"href='([^'#]+)'", page):  # every link resolves
        assert (reports / href).exists(), href


def test_build_without_browser_says_so_once_and_writes_everything(
    mini_study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make reports` on a machine without a PDF engine: one warning, every HTML page built."""
    monkeypatch.setattr(pdf, "find_browser", lambda: None)
    study = load_study(mini_study)
    _version(study.reports_dir, 1, "gap", 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        index = write_index(study)
    skipped = [w for w in caught if issubclass(w.category, pdf.PdfSkipped)]
    assert len(skipped) == 1 and "\n" not in str(skipped[0].message)
    assert "chromium" in str(skipped[0].message).lower()
    assert index.is_file() and (study.reports_dir / "study-report.html").is_file()
    assert not (study.reports_dir / "study-report.pdf").exists()
