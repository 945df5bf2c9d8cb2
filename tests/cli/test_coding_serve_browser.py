"""``dsr code --serve`` in a real browser: the command as a user starts it, chromium on its page.

The test starts ``dsr code --serve`` as a subprocess (the URL is the one line it prints), opens
the page in Debian's chromium with every request that leaves 127.0.0.1 blocked (the view must
work offline: the page makes none), sees the transcript's turns rendered, applies a code with a real mouse drag and
a number key, reads the coder's log on disk, and stops the server with SIGTERM (Voilà and its
temporary folder must go with it).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from tests.widgets._coding_pages import block_outside, drag, wait_events
from tests.widgets.test_browser import ARGS, ARTIFACTS, CHROMIUM, WAIT_MS
from tests.widgets.test_coding_view import ODD, make_study

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"chromium not found at {CHROMIUM}"),
]

URL = re.compile(r"Coding as (?P<coder>\S+) at (?P<url>http://127\.0\.0\.1:\d+/\?token=\S+)\n")


def test_dsr_code_serve_codes_with_the_mouse(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    study = make_study(tmp_path)
    transcripts, turns = load_corpus(load_study(study))
    text = str(transcripts.set_index("transcript_id").loc["I02", "text"])
    n_turns = int((turns["transcript_id"] == "I02").sum())
    log = tmp_path / "data" / "codings" / "R9.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "DSR_CODER"} | {"PYTHONUNBUFFERED": "1"}
    argv = ["code", "--serve", "--coder", "R9", "--transcript", "I02", "--port", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dsr_workbench.cli", *argv, "--no-browser"],
        cwd=tmp_path,  # the study of the current folder
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        found = URL.fullmatch(line)
        assert found and found["coder"] == "R9", (line, proc.poll())
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                blocked = block_outside(page)
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(found["url"], timeout=WAIT_MS)
                # --transcript I02: the page opens on I02, every turn drawn
                page.wait_for_selector(f'.dsr-cv-tx:has-text("{ODD.strip()}")', timeout=WAIT_MS)
                assert page.eval_on_selector_all(".dsr-cv-turn", "e => e.length") == n_turns
                header = page.inner_text(".dsr-coding-view")
                assert "R9" in header and str(tmp_path) not in header

                # the view has drawn its spans (one draw: text and spans come in one message)
                page.wait_for_function("() => (window.__dsrCoding || {}).draws >= 1")
                drag(page, "Of course, no problem", after=ODD.strip())
                page.wait_for_selector(
                    '.dsr-cv-sel:has-text("Of course, no problem")', timeout=WAIT_MS
                )
                page.keyboard.press("2")  # the second code of the palette: TRUST
                (add,) = wait_events(log, 1)
                start = text.index("Of course, no problem")
                assert (add["event"], add["code_id"], add["coder"]) == ("add", "TRUST", "R9")
                assert (add["start"], add["end"]) == (start, start + len("Of course, no problem"))
                assert add["quote"] == text[add["start"] : add["end"]]
                page.wait_for_selector('.dsr-cv-stripe[data-code="TRUST"]', timeout=WAIT_MS)
                assert not errors, errors
                assert not blocked, blocked  # nothing but 127.0.0.1 (no CDN)
            except BaseException:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "dsr_code_serve_failed.png"))
                raise
            finally:
                browser.close()
        folders = list(Path(tempfile.gettempdir()).glob(f"dsr-present-{proc.pid}-*"))
        assert len(folders) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert not folders[0].exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
