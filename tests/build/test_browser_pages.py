"""What people open, in a real browser: the index, the study report, one page of each report
and one slides deck of a real build of the example study (cycle 3), over ``file://``, offline.

For every page: no broken image, no console error, no request leaving ``file://`` (each is
refused and recorded), no machine path and no ``<Figure size`` in the text. Screenshots go to
``test-artifacts/pages/`` (git-ignored). One build serves the module (about 2 minutes on two
busy cores).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "pages"
CHROMIUM = os.environ.get("DSR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
MACHINE_PATH = re.compile(r"/tmp/|/home/|/root/|site-packages")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"chromium not found at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reports folder of a cycle-3 build of a copy of the example study."""
    from dsr_workbench.build.run import build
    from dsr_workbench.corpus.study import load_study

    root = tmp_path_factory.mktemp("example")
    shutil.copy(ROOT / "study.yaml", root / "study.yaml")
    for folder in ("interviews", "data", "notebooks"):
        shutil.copytree(ROOT / folder, root / folder)
    study = load_study(root / "study.yaml")
    with pytest.warns(Warning):  # the leak check is skipped: no key on a test machine
        result = build(study, cycles=[3], jobs=2, progress=False)
    assert (result["status"] == "built").all(), result
    return study.reports_dir


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _pages(reports: Path) -> list[tuple[str, Path]]:
    pages = [("index", reports / "index.html"), ("study-report", reports / "study-report.html")]
    for report in sorted((reports / "cycle-3").iterdir()):
        latest = sorted(report.glob("v[0-9][0-9][0-9]"))[-1]
        pages.append((f"page-{report.name}", latest / "notebook.html"))
    deck = sorted((reports / "cycle-3" / "facilitator").glob("v*/slides.html"))[-1]
    pages.append(("slides-facilitator", deck))
    return pages


def _visit(browser: Any, path: Path, shot: Path) -> dict[str, list[str]]:
    """Open one page offline; return what went wrong, by kind."""
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    found: dict[str, list[str]] = {"requests": [], "console": [], "images": [], "text": []}
    page.on("console", lambda m: found["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found["console"].append(str(e)))

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            found["requests"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_timeout(800)
    found["images"] = page.eval_on_selector_all(
        "img",
        "els => els.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))",
    )
    text = page.inner_text("body")
    found["text"] = sorted({m.group(0) for m in MACHINE_PATH.finditer(text)})
    if "<Figure size" in text:
        found["text"].append("<Figure size")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=False)
    page.close()
    return found


@pytest.fixture(scope="module")
def visits(built: Path, browser: Any) -> dict[str, dict[str, list[str]]]:
    return {name: _visit(browser, path, SHOTS / f"{name}.png") for name, path in _pages(built)}


def _page_names() -> list[str]:
    names = ["index", "study-report", "slides-facilitator"]
    # one page of each report built for cycle 3 (the study's reports: known without building)
    import yaml

    spec = yaml.safe_load((ROOT / "study.yaml").read_text(encoding="utf-8"))["reports"]
    names += [f"page-{r}" for r, s in spec.items() if 3 in s.get("cycles", [1, 2, 3])]
    return names


@pytest.mark.parametrize("name", _page_names())
@pytest.mark.parametrize("problem", ["requests", "console", "images", "text"])
def test_page_is_whole_offline_and_clean(
    visits: dict[str, dict[str, list[str]]], name: str, problem: str
) -> None:
    assert name in visits, f"{name} was not built"
    assert visits[name][problem] == [], f"{name}: {problem}: {visits[name][problem][:5]}"


def test_study_report_toc_links_resolve_in_the_browser(built: Path, browser: Any) -> None:
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else r.abort())  # fmt: skip
    page.goto((built / "study-report.html").as_uri())
    anchors = page.eval_on_selector_all("nav.toc a", "els => els.map(a => a.hash.slice(1))")
    assert len(anchors) >= 10
    for anchor in anchors:
        assert page.locator(f"[id='{anchor}']").count() == 1, anchor
    # the links out of the study report (report pages, sheets) point at files that exist
    hrefs = page.eval_on_selector_all("a[href]:not([href^='#'])", "els => els.map(a => a.href)")
    assert hrefs and all(h.startswith("file://") and Path(h[7:]).exists() for h in hrefs)
    page.close()
