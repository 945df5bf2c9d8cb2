"""Take the README's screenshot of the coding view: ``python -m benchmarks.docs_images``.

``make docs-images`` runs it. It copies the example study into a temporary folder (nothing of
the repository is written but the image), starts ``dsr code --serve`` there as a user would,
opens the page in Debian's chromium with Playwright (every request that leaves 127.0.0.1 is
blocked: the view works offline), waits until the highlights and stripes are drawn, scrolls to
a passage with overlapping codings, types a word into the code palette's search, picks a code
(its definition and coding rule show) and writes ``docs/img/coding-view.png``.

The screenshot shows coder ``kim``'s codings of interview I11 of the example study:
overlapping codings as layered highlights, their margin stripes in columns, and the code
palette with its number keys.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img" / "coding-view.png"
CHROMIUM = os.environ.get("DSR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
URL = re.compile(r"Coding as \S+ at (?P<url>http://127\.0\.0\.1:\d+/\?token=\S+)\n")
WAIT_MS = 60_000


def _copy_study(folder: Path) -> Path:
    shutil.copy(ROOT / "study.yaml", folder / "study.yaml")
    shutil.copytree(ROOT / "interviews", folder / "interviews")
    shutil.copytree(ROOT / "data", folder / "data", ignore=shutil.ignore_patterns(".cache"))
    return folder / "study.yaml"


LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")


def _local_only(route: Any) -> None:
    """Let requests to 127.0.0.1 through and abort the others (the view works offline)."""
    if route.request.url.startswith(LOCAL):
        route.continue_()
    else:
        route.abort()


_SCROLL = """(words) => {
  const tx = [...document.querySelectorAll('.dsr-cv-tx')].find((e) => e.textContent.includes(words));
  if (!tx) return false;
  const doc = document.querySelector('.dsr-cv-doc');
  const turn = tx.closest('.dsr-cv-turn') || tx;
  doc.scrollTop += turn.getBoundingClientRect().top - doc.getBoundingClientRect().top - 4;
  return true;
}"""


def shoot(
    out: Path,
    coder: str,
    transcript: str,
    scroll_to: str,
    search: str,
    pick: str,
    width: int,
    height: int,
) -> Path:
    """Serve the example study's coding view, take the screenshot into ``out``; return it."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="dsr-docs-img-") as tmp:
        folder = Path(tmp)
        _copy_study(folder)
        argv = ["code", "--serve", "--coder", coder, "--transcript", transcript, "--port", "0"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "dsr_workbench.cli", *argv, "--no-browser"],
            cwd=folder,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            found = URL.fullmatch(proc.stdout.readline())
            if not found:
                raise SystemExit("dsr code --serve did not print its URL")
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                page = browser.new_page(
                    viewport={"width": width, "height": height}, device_scale_factor=2
                )
                page.route("**/*", _local_only)
                page.goto(found["url"], timeout=WAIT_MS)
                page.wait_for_selector(".dsr-cv-stripe", timeout=WAIT_MS)
                page.wait_for_function(
                    "performance.getEntriesByName('dsr-coding-drawn').length > 0",
                    timeout=WAIT_MS,
                )
                if search:  # the palette's search box, as a coder types in it
                    page.click(".dsr-cv-search")
                    page.keyboard.type(search)
                if pick:  # no selection: a click on a code picks it, showing its agenda
                    page.click(f'.dsr-cv-code[data-code="{pick}"]')
                    page.wait_for_selector(".dsr-cv-info b", timeout=WAIT_MS)
                if scroll_to and not page.evaluate(_SCROLL, scroll_to):
                    raise SystemExit(f"{scroll_to!r} is not in {transcript}")
                page.wait_for_timeout(300)  # the stripes are redrawn after a scroll
                page.mouse.move(0, 0)
                view = page.locator(".dsr-coding-view")
                box = view.bounding_box()
                assert box is not None
                out.parent.mkdir(parents=True, exist_ok=True)
                pad = 6
                page.screenshot(
                    path=str(out),
                    clip={
                        "x": max(0, box["x"] - pad),
                        "y": max(0, box["y"] - pad),
                        "width": min(width, box["width"] + 2 * pad),
                        "height": min(box["height"] + 2 * pad, height - box["y"]),
                    },
                )
                browser.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the options and take the screenshot."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.docs_images")
    parser.add_argument("--out", type=Path, default=OUT, help=f"default {OUT.relative_to(ROOT)}")
    parser.add_argument("--coder", default="kim")
    parser.add_argument("--transcript", default="I11")
    parser.add_argument(
        "--scroll-to",
        default="Formally procurement segments",
        help="scroll the transcript to the turn holding these words",
    )
    parser.add_argument("--search", default="seg", help="typed into the palette's search")
    parser.add_argument("--pick", default="SEG_CRITERIA", help="the code picked in the palette")
    parser.add_argument("--width", type=int, default=980)
    parser.add_argument("--height", type=int, default=760)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    out = shoot(
        args.out,
        args.coder,
        args.transcript,
        args.scroll_to,
        args.search,
        args.pick,
        args.width,
        args.height,
    )
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
