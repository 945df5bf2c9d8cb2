"""The coding view in JupyterLab 4: the same core flow as in Voilà, with the notebook's keys.

JupyterLab runs on a free port of 127.0.0.1 with a random token and its own settings folder
(news notifications off, so nothing covers the output). The test opens a notebook that calls
``coding_view``, waits for the kernel to be idle, runs the cell with Ctrl+Enter (the notebook
stays in command mode, where a bare ``m`` would turn the cell into Markdown), then runs every
gesture of the Voilà test (:func:`tests.widgets.test_coding_browser.every_gesture`: drags after
non-BMP characters, number key, palette search, remove, Ctrl+Z, memo, in vivo, a two-turn
refusal, compare and resolve), checking the coder's log on disk after each step, and checks
that the keys the widget handles (``m``, ``v``, digits, Ctrl+Z) did not reach the notebook.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from dsr_workbench.widgets.serve import free_port
from tests.widgets._coding_pages import block_outside, lines
from tests.widgets.test_browser import ARGS, ARTIFACTS, CHROMIUM, WAIT_MS
from tests.widgets.test_coding_browser import every_gesture, make_compare_study
from tests.widgets.test_coding_view import ODD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"chromium not found at {CHROMIUM}"),
]

CELL = """\
from dsr_workbench.corpus.study import load_study
from dsr_workbench.widgets import coding_view

view = coding_view(load_study({study!r}), "R7")
view.transcript.value = "I02"
view"""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def lab(tmp_path: Path):
    """JupyterLab serving a folder with one notebook that opens the coding view."""
    study = make_compare_study(tmp_path)
    work = tmp_path / "lab"
    work.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL.format(study=str(study)))]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, work / "coding.ipynb")
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
    )
    port, token = free_port(), secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    env.pop("JUPYTER_TOKEN", None)
    log = open(tmp_path / "lab.log", "wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--allow-root",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={work}",
            "--LabApp.news_url=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not _listening(port):
            assert process.poll() is None, (tmp_path / "lab.log").read_text()
            assert time.monotonic() < deadline, "JupyterLab did not listen within 90 s"
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/lab/tree/coding.ipynb?token={token}", study
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _accept_kernel(page, wait_ms: int = 5000) -> None:
    """Accept the 'Select Kernel' dialog if JupyterLab shows one (the default kernel)."""
    try:
        page.wait_for_selector(".jp-Dialog .jp-mod-accept", timeout=wait_ms)
    except Exception:  # no dialog: the kernel started by itself
        return
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(".jp-Dialog", state="detached", timeout=WAIT_MS)


def test_code_with_the_mouse_in_jupyterlab(lab, browser) -> None:
    url, study = lab
    log = study.parent / "data" / "codings" / "R7.jsonl"
    transcripts, _ = load_corpus(load_study(study))
    text = str(transcripts.set_index("transcript_id").loc["I02", "text"])
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    block_outside(page)
    page.goto(url, timeout=WAIT_MS)
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=90_000)
    _accept_kernel(page)
    page.wait_for_selector(
        ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000
    )
    for close in page.query_selector_all(".jp-Notification-Toast-Close, .Toastify__close-button"):
        close.click()  # a notification must not cover the output
    page.click(".jp-NotebookPanel .jp-CodeCell .jp-InputArea-editor")
    page.keyboard.press("Control+Enter")
    _accept_kernel(page, wait_ms=2000)
    try:
        page.wait_for_selector(f'.dsr-cv-tx:has-text("{ODD.strip()}")', timeout=90_000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "coding_view_lab_failed.png"))
        raise
    assert page.eval_on_selector_all(".jp-NotebookPanel .jp-Cell", "e => e.length") == 1

    every_gesture(page, study.parent / "data", log, text)
    n = len(lines(log))

    # keys the widget handles never reach the notebook: the cell stays a code cell, no new cell
    page.focus(".dsr-cv")
    page.keyboard.press("m")
    page.keyboard.press("3")
    page.wait_for_timeout(500)
    assert page.eval_on_selector_all(".jp-NotebookPanel .jp-MarkdownCell", "e => e.length") == 0
    assert page.eval_on_selector_all(".jp-NotebookPanel .jp-CodeCell", "e => e.length") == 1
    assert len(lines(log)) == n
    page.screenshot(path=str(ARTIFACTS / "coding_view_lab.png"))
