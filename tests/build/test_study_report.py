"""The study report: fixed chapter order, numbered captions, a working table of contents,
offline (no URL), quotes by pseudonym and perspective, report figures embedded."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from dsr_workbench.build.study_report import study_report_html, write_study_report
from dsr_workbench.corpus.study import load_study
from dsr_workbench.dsr.artifacts import research_questions

ROOT = Path(__file__).resolve().parents[2]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example study with one built report version (trajectories, cycle 1)."""
    root = tmp_path_factory.mktemp("example")
    shutil.copy(ROOT / "study.yaml", root / "study.yaml")
    for folder in ("interviews", "data"):
        shutil.copytree(ROOT / folder, root / folder)
    version = root / "reports" / "cycle-1" / "trajectories" / "v001"
    (version / "figures").mkdir(parents=True)
    (version / "figures" / "transitions.png").write_bytes(PNG)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## How relationships move between phases"),
        nbformat.v4.new_code_cell('out.figure(transition_heatmap(m), "transitions")'),
    ])  # fmt: skip
    nbformat.write(nb, version / "notebook.ipynb")
    (version / "notebook.html").write_text("<p>page</p>")
    manifest = {"cycle": 1, "status": "ok", "key": "k", "end": "2026-03-30T10:00:00+00:00",
                "inputs": {}, "parameters": {}, "components": {}, "environment": {}}  # fmt: skip
    (version / "manifest.json").write_text(json.dumps(manifest))
    return root / "study.yaml"


@pytest.fixture(scope="module")
def page(example: Path) -> str:
    return study_report_html(load_study(example))


def test_chapters_in_fixed_order_one_per_research_question(example: Path, page: str) -> None:
    chapters = re.findall(r"<h2 id='[^']+'>([^<]+)</h2>", page)
    rqs = research_questions(load_study(example))
    leaves = [r for r in rqs.itertuples() if r.rq_id not in set(rqs["parent"].dropna())]
    expected = (
        ["1. The study", "2. Method"]
        + [f"{i}. {r.rq_id}: {r.text}" for i, r in enumerate(leaves, start=3)]
        + ["Appendix: every report version"]
    )
    assert [c.replace("&#x27;", "'") for c in chapters] == expected
    for rq in rqs.itertuples():  # the study chapter lists every question
        assert f"<b>{rq.rq_id}</b>" in page
    sections = re.findall(r"<h3 id='[^']+'>3\.(\d) ([^<]+)</h3>", page)
    assert [s[1] for s in sections][:4] == [
        "The artifact: CMR development framework", "How it evolved",
        "Evaluation across versions", "Evidence",
    ]  # fmt: skip


def test_figures_and_tables_are_numbered_in_order(page: str) -> None:
    for kind in ("Figure", "Table"):
        numbers = [int(n) for n in re.findall(rf"<b>{kind} (\d+)\.</b>", page)]
        assert numbers and numbers == list(range(1, len(numbers) + 1))
    # every figure is an embedded PNG with a caption, every table has a caption
    assert page.count("<figure id='figure-") == page.count("src='data:image/png;base64,")
    assert page.count("<figure class='table'") == len(re.findall(r"<b>Table \d+\.</b>", page))


def test_toc_links_resolve_and_page_is_offline(page: str) -> None:
    ids = set(re.findall(r" id='([^']+)'", page))
    links = re.findall(r"<nav class='toc'.*?</nav>", page, flags=re.S)[0]
    targets = re.findall(r"href='#([^']+)'", links)
    assert len(targets) >= 10 and set(targets) <= ids
    assert not re.search(r"(?:src|href)=['\"]?(?:https?:)?//", page)  # no external URL
    assert "<link" not in page and "<script" not in page


def test_missing_reports_are_said_and_built_figures_embedded(page: str) -> None:
    # trajectories has a version: its figure is embedded, captioned by the notebook's heading
    assert base64.b64encode(PNG).decode() in page
    assert re.search(r"CMR trajectories: How relationships move between phases \(cycle 1\)", page)
    assert "cycle-1/trajectories/v001/notebook.html" in page
    # the Relationship Gap has none: the chapter says how to get it
    assert "dsr build --report relationship-gap" in page
    # the artifact's figure is drawn from its latest version when no design report exists
    assert "CMR development framework, version v3" in page


def test_quotes_name_pseudonym_and_perspective_only(example: Path, page: str) -> None:
    study = load_study(example)
    who = re.findall(r"<footer>— ([^<]+)</footer>", page)
    assert who, "the evidence has exemplar quotes"
    pseudonyms = set(study.participants["pseudonym"])
    for w in who:
        name, side = w.rsplit(", ", 1)
        assert name in pseudonyms and side in {"client side", "CMO side"}
    roles = [r for r in study.participants["role"] if isinstance(r, str)]
    quotes = "".join(re.findall(r"<blockquote>.*?</blockquote>", page, flags=re.S))
    assert not any(role in quotes for role in roles)
    assert len(set(re.findall(r"<p>“(.*?)”</p>", quotes))) == len(who)  # each quote once


def test_write_study_report_writes_one_file(example: Path) -> None:
    path = write_study_report(load_study(example))
    assert path.name == "study-report.html" and path.read_text(encoding="utf-8").startswith(
        "<!doctype html>"
    )
