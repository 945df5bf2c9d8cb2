"""End to end in a real browser: Voilà on 127.0.0.1, driven by Playwright with Debian's chromium.

Each test serves a notebook for a temporary copy of the example study, clicks through the
page like a facilitator or coder would, checks the files the clicks wrote, saves a screenshot
under ``test-artifacts/`` (git-ignored) and always stops Voilà. Waits are bounded; each test
takes well under a minute.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.widgets._coding_pages import block_outside

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("DSR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 45_000  # the longest a single page wait may take (kernel start + first render)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"chromium not found at {CHROMIUM} (apt-get install chromium)",
    ),
]

CODEBOOK = """\
codes:
  - {id: REL, name: Relational governance, level: dimension}
  - {id: TRUST, name: Trust, parent: REL, rules: {keywords: [trust]}}
  - {id: CAP, name: Capacity access, rules: {keywords: [capacity]}}
"""

# The `dsr present` handler, run as `dsr` would run it (whether or not `dsr` lists it yet).
PRESENT = """\
import argparse, sys
from dsr_workbench.cli import present_cmds
parser = argparse.ArgumentParser(prog="dsr")
parser.add_argument("--study")
present_cmds.register(parser.add_subparsers(dest="command"))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A copy of the example study (with the facilitator notebook), a codebook and a fresh
    evaluation episode."""
    from dsr_workbench.dsr.record import write_episode

    shutil.copy(ROOT / "study.yaml", tmp_path / "study.yaml")
    shutil.copytree(ROOT / "interviews", tmp_path / "interviews")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "facilitator_cycle.ipynb", tmp_path / "notebooks")
    shutil.rmtree(tmp_path / "data" / "codings", ignore_errors=True)
    (tmp_path / "data" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    write_episode(
        tmp_path / "data" / "evaluations",
        "FG9-live",
        cycle=2,
        artifact="partner-differentiation",
        version="v2",
        purpose="formative",
        paradigm="artificial",
        method="focus group",
        date="2026-06-20",
        participants={"P01": "client", "P07": "cmo"},
    )
    return tmp_path / "study.yaml"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _option(page, widget: str, prefix: str) -> str:
    """The value of the first option of a dropdown/select widget whose label contains text."""
    page.wait_for_selector(f"{widget} option", state="attached", timeout=WAIT_MS)
    values = page.eval_on_selector_all(f"{widget} option", "els => els.map(e => e.value)")
    hits = [v for v in values if prefix in v]
    assert hits, f"no option with {prefix!r} in {widget}: {values}"
    return hits[0]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _read_url(process: subprocess.Popen[str], timeout: float) -> str:
    """Wait (bounded) for the 'Presenting cycle N at URL' line of `dsr present`."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("Presenting cycle"):
            return line.rsplit(" at ", 1)[1].strip()
    raise AssertionError(f"`dsr present` printed no URL in {timeout} s: {''.join(seen)}")


def _port_open(url: str) -> bool:
    port = int(url.split(":")[2].split("/")[0])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_rating_through_the_facilitator_page(study: Path, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PRESENT,
            "--study",
            str(study),
            "present",
            "2",
            "--port",
            "0",
            "--no-browser",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    url = ""
    try:
        url = _read_url(process, 60)
        assert url.startswith("http://127.0.0.1:") and "token=" in url
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        blocked = block_outside(page)
        page.goto(url, timeout=WAIT_MS)
        page.wait_for_selector(".dsr-evaluation-form", timeout=WAIT_MS)

        # the live gap explorer re-renders when a choice changes
        image = ".dsr-gap-figure"
        before = page.get_attribute(image, "src")
        page.click('.dsr-gap-level button:text-is("item")')
        page.wait_for_function(
            "([sel, old]) => document.querySelector(sel).getAttribute('src') !== old",
            arg=[image, before],
            timeout=WAIT_MS,
        )

        # rate, then add a reason: each is stored at once
        page.select_option(
            ".dsr-eval-episode select", _option(page, ".dsr-eval-episode", "FG9-live")
        )
        page.wait_for_selector(
            '.dsr-eval-participant option[value*="(P07,"]', state="attached", timeout=WAIT_MS
        )
        page.select_option(
            ".dsr-eval-participant select", _option(page, ".dsr-eval-participant", "(P07,")
        )
        page.click('.dsr-rate-usefulness button:text-is("4")')
        page.wait_for_selector('.dsr-eval-status:has-text("rated usefulness 4")', timeout=WAIT_MS)
        page.fill(".dsr-comment-usefulness input", "the quadrants start the talk")
        page.press(".dsr-comment-usefulness input", "Enter")
        page.wait_for_selector(
            '.dsr-eval-status:has-text("the quadrants start the talk")', timeout=WAIT_MS
        )
        page.wait_for_selector(".dsr-eval-summary:has-text('Mean rating so far')", timeout=WAIT_MS)
        form = page.query_selector(".dsr-evaluation-form")
        form.scroll_into_view_if_needed()
        form.screenshot(path=str(ARTIFACTS / "facilitator_form.png"))
        page.screenshot(path=str(ARTIFACTS / "facilitator_page.png"))

        log = study.parent / "data" / "evaluations" / "ratings" / "FG9-live.jsonl"
        events = _lines(log)
        assert [(e["participant"], e["criterion"], e["rating"], e["comment"]) for e in events] == [
            ("P07", "usefulness", 4, ""),
            ("P07", "usefulness", 4, "the quadrants start the talk"),
        ]
        assert not blocked, blocked  # the page of `dsr present` asks no host but 127.0.0.1
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C: `dsr present` stops Voilà itself
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    assert process.returncode == 0
    assert not url or not _port_open(url)


# Whether the first ``.fa`` icon is drawn with Font Awesome's font: the font face its glyph
# uses has loaded (from 127.0.0.1: nothing else is reachable) and the glyph has a width.
_ICON = """
async (e) => {
  await document.fonts.ready;
  const before = getComputedStyle(e, '::before');
  const family = before.fontFamily.split(',')[0].replace(/["']/g, '').trim();
  const loaded = [...document.fonts].some(f => f.family.replace(/["']/g, '') === family
                                              && f.status === 'loaded');
  return {family, loaded, glyph: before.content, width: e.getBoundingClientRect().width};
}
"""


def test_facilitator_page_needs_no_other_host_and_draws_its_icons(study: Path, browser) -> None:
    """Offline, the page of ``dsr present`` (``serve_notebook`` on the facilitator notebook)
    asks no host but 127.0.0.1, its one icon (reset weights) is drawn with Font Awesome from
    Voilà's own bundle, no image is broken and no machine path is shown."""
    from dsr_workbench.widgets.serve import serve_notebook

    ARTIFACTS.mkdir(exist_ok=True)
    notebook = study.parent / "notebooks" / "facilitator_cycle.ipynb"
    parameters = {"study_path": str(study), "cycle": 2, "output_dir": None}
    with serve_notebook(notebook, parameters=parameters) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        blocked = block_outside(page)
        page.goto(server.url, timeout=WAIT_MS)
        page.wait_for_selector(".dsr-evaluation-form", timeout=WAIT_MS)
        page.wait_for_selector(".dsr-eval-summary:has-text('No ratings yet')", timeout=WAIT_MS)
        # every image shown has loaded (no broken-image icon, e.g. an empty chart)
        broken = page.eval_on_selector_all(
            "img",
            "es => es.filter(e => e.getClientRects().length && !e.naturalWidth)"
            ".map(e => e.className)",
        )
        assert not broken, broken
        assert str(study.parent) not in page.inner_text("body")
        page.click('.lm-TabBar-tab:has-text("Partner differentiation")')
        button = 'button:has-text("reset weights")'
        page.wait_for_selector(button, state="visible", timeout=WAIT_MS)
        page.eval_on_selector(button, "e => e.scrollIntoView({block: 'center'})")
        icon = page.eval_on_selector(f"{button} i.fa", _ICON)
        assert icon["family"].startswith("Font Awesome") and icon["loaded"], icon
        assert icon["glyph"] not in ("none", "normal", "") and icon["width"] > 0, icon
        page.screenshot(path=str(ARTIFACTS / "facilitator_offline.png"))
        assert not blocked, blocked
