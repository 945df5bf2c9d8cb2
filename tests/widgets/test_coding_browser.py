"""The coding view in a real browser: Voilà on 127.0.0.1, driven by Playwright with chromium.

Real mouse drags (per-character rectangles from a ``Range``, then mouse down, ten moves, up)
select words that come after characters outside the BMP (𝔘🙂), so a UTF-16 offset would be
wrong. After every gesture the test reads the coder's log from disk and checks the event and
its code-point offsets against the transcript's text. Requests that leave 127.0.0.1 are
blocked, and there must be none: the view must work offline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_workbench.coding.codebook import load_codebook
from dsr_workbench.coding.codings import code_span
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from tests.widgets._coding_pages import (
    block_outside,
    click_words,
    drag,
    drag_between,
    lines,
    wait_events,
    wait_for,
)
from tests.widgets.test_browser import ARGS, ARTIFACTS, CHROMIUM, WAIT_MS
from tests.widgets.test_coding_view import ODD, make_study

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "tests" / "data" / "widgets" / "coding_view.ipynb"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"chromium not found at {CHROMIUM}"),
]


def make_compare_study(tmp_path: Path) -> Path:
    """The test study, with a second coder (R2) who coded I02 a little differently."""
    path = make_study(tmp_path)
    s = load_study(path)
    transcripts, _ = load_corpus(s)
    row = transcripts.set_index("transcript_id").loc["I02"]
    t = {"transcript_id": "I02", "text": row["text"], "sha256": row["sha256"]}
    book = load_codebook(s.data_dir / "codebook.yaml")
    at = row["text"].index("capacity is not a shelf")
    code_span(s.data_dir / "codings" / "R2.jsonl", t, at, at + 8, "CAP", codebook=book)
    return path


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return make_compare_study(tmp_path)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def i02_text(study: Path) -> str:
    transcripts, _ = load_corpus(load_study(study))
    return str(transcripts.set_index("transcript_id").loc["I02", "text"])


def open_i02(page) -> None:
    page.wait_for_selector(".dsr-cv-tx span", timeout=WAIT_MS)
    values = page.eval_on_selector_all(
        ".dsr-coding-transcript option", "els => els.map(e => e.value)"
    )
    page.select_option(".dsr-coding-transcript select", [v for v in values if v.startswith("I02 ")])
    page.wait_for_selector(f'.dsr-cv-tx:has-text("{ODD.strip()}")', timeout=WAIT_MS)


def span_of(text: str, quote: str, after: str = "") -> tuple[int, int]:
    start = text.index(quote, text.index(after) if after else 0)
    return start, start + len(quote)


def every_gesture(page, data: Path, log: Path, text: str) -> None:
    """Steps 1-8 on I02 (opened): each gesture, then the coder's log on disk checked.

    Shared by the Voilà test here and the JupyterLab test (tests/widgets/test_coding_lab.py).
    ``data`` is the study's data folder, ``log`` the coder's log (empty at the start).
    """
    # 1. drag over words after 𝔘🙂, apply the second code of the palette with its number key
    drag(page, "Of course, no problem", after=ODD.strip())
    page.wait_for_selector('.dsr-cv-sel:has-text("Of course, no problem")', timeout=WAIT_MS)
    page.keyboard.press("2")
    (add,) = wait_events(log, 1)
    a, b = span_of(text, "Of course, no problem")
    assert (add["event"], add["code_id"], add["start"], add["end"]) == ("add", "TRUST", a, b)
    assert add["quote"] == "Of course, no problem" == text[a:b]
    page.wait_for_selector('.dsr-cv-stripe[data-code="TRUST"]', timeout=WAIT_MS)
    title = page.get_attribute('.dsr-cv-stripe[data-code="TRUST"]', "title")
    assert title.startswith("Trust (TRUST)")

    # 2. double-click a word, extend it by a word with Shift+Alt+Right, apply by palette search
    click_words(page, "used", after="Of course", clicks=2)
    page.keyboard.press("Shift+Alt+ArrowRight")
    page.wait_for_selector('.dsr-cv-sel:has-text("used to")', timeout=WAIT_MS)
    page.click(".dsr-cv-search")
    page.keyboard.type("line time")  # CAP's definition, not its name
    page.wait_for_selector('.dsr-cv-code[data-code="CAP"]', timeout=WAIT_MS)
    assert page.eval_on_selector_all(".dsr-cv-code", "e => e.length") == 1
    page.keyboard.press("Enter")
    events = wait_events(log, 2)
    c, d = span_of(text, "used to", after="Of course")
    assert (events[1]["code_id"], events[1]["start"], events[1]["end"]) == ("CAP", c, d)
    assert events[1]["quote"] == "used to"
    page.wait_for_selector('.dsr-cv-info:has-text("Getting line time.")', timeout=WAIT_MS)

    # 3. click the highlight, remove the coding; 4. undo with Ctrl+Z
    click_words(page, "used", after="Of course")
    page.click('.dsr-cv-pop .item[data-kind="a"] .dsr-cv-remove')
    events = wait_events(log, 3)
    assert (events[2]["event"], events[2]["coding_id"]) == ("remove", events[1]["coding_id"])
    page.keyboard.press("Control+z")
    events = wait_events(log, 4)
    assert (events[3]["event"], events[3]["coding_id"]) == ("add", events[1]["coding_id"])
    assert (events[3]["start"], events[3]["end"]) == (c, d)

    # 5. a memo on the coding under the click
    page.wait_for_function(
        "() => document.querySelector('.dsr-cv-status').textContent.startsWith('undid')"
    )
    click_words(page, "to", after="used")
    page.click(f'.dsr-cv-pop .item[data-kind="a"][data-i="{events[1]["coding_id"]}"] .dsr-cv-memo')
    page.fill(".dsr-cv-pop .dsr-cv-memo-text", "habit, not trust")
    page.click(".dsr-cv-pop .dsr-cv-memo-save")
    events = wait_events(log, 5)
    assert (events[4]["event"], events[4]["coding_id"], events[4]["memo"]) == (
        "memo",
        events[1]["coding_id"],
        "habit, not trust",
    )

    # 6. in vivo: a new code named from the selection, under REL, written to the codebook
    drag(page, "client calls", after=ODD.strip())
    page.select_option(".dsr-cv-vivo-parent", "REL")
    page.focus(".dsr-cv")
    page.keyboard.press("v")
    events = wait_events(log, 6)
    e, f = span_of(text, "client calls")
    assert (events[5]["code_id"], events[5]["start"], events[5]["end"]) == (
        "CLIENT_CALLS",
        e,
        f,
    )
    book = load_codebook(data / "codebook.yaml")
    assert book.codes.set_index("code_id").at["CLIENT_CALLS", "parent"] == "REL"
    page.wait_for_selector('.dsr-cv-code[data-code="CLIENT_CALLS"]', timeout=WAIT_MS)

    # 7. a drag over two turns is refused in the error line; nothing is written
    drag_between(page, "Of course", "Could you briefly")
    page.wait_for_selector('.dsr-cv-error:has-text("spans two turns")', timeout=WAIT_MS)
    page.keyboard.press("3")
    page.wait_for_timeout(500)
    assert len(lines(log)) == 6

    # 8. compare with R2 and resolve the disagreement on CAP (R2 only) as present
    page.select_option(".dsr-cv-compare", "R2")
    page.wait_for_selector(".dsr-cv-agreement table", timeout=WAIT_MS)
    page.wait_for_selector(".dsr-cv-stripes.b .dsr-cv-stripe", timeout=WAIT_MS)
    cells = page.eval_on_selector_all(
        ".dsr-cv-agreement td", "es => es.map(e => [e.textContent, e.className, e.title])"
    )
    assert not [c for c in cells if c[0].strip().lower() in {"nan", "-0.00", "-0"}], cells
    # an undefined coefficient is a dash with the reliability module's reason
    assert all(title for _, cls, title in cells if cls == "undef"), cells
    undefined = [c for c in cells if c[1] == "undef"]
    if undefined:
        assert page.inner_text(".dsr-cv-agreement .dsr-cv-foot").startswith("* ")
    page.screenshot(path=str(ARTIFACTS / "coding_view_compare.png"))
    click_words(page, "capacity", after="capacity is not")
    page.click('.dsr-cv-pop .item[data-kind="d"] .dsr-cv-resolve-present')
    (consensus,) = wait_events(data / "codings" / "consensus.jsonl", 1)
    g, h = span_of(text, "capacity", after="capacity is not")
    assert (consensus["event"], consensus["code_id"], consensus["origin"]) == (
        "add",
        "CAP",
        "consensus",
    )
    assert (consensus["start"], consensus["end"], consensus["quote"]) == (g, h, "capacity")
    assert len(lines(log)) == 6  # the coder's own log is untouched by the resolution

    # the coder's highlights: a stripe per current coding, the overlaps as runs
    wait_for(
        lambda: page.eval_on_selector_all(".dsr-cv-stripes.a .dsr-cv-stripe", "e => e.length") == 3,
        "three stripes of the coder",
    )


def test_code_with_the_mouse_in_voila(study: Path, browser) -> None:
    from dsr_workbench.widgets.serve import serve_notebook

    ARTIFACTS.mkdir(exist_ok=True)
    data = study.parent / "data"
    log = data / "codings" / "R9.jsonl"
    text = i02_text(study)
    server = serve_notebook(NOTEBOOK, parameters={"study_path": str(study), "coder": "R9"})
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        blocked = block_outside(page)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url, timeout=WAIT_MS)
        open_i02(page)

        every_gesture(page, data, log, text)
        page.screenshot(path=str(ARTIFACTS / "coding_view_voila.png"))
        assert not errors, errors
        assert not blocked, blocked  # nothing but 127.0.0.1 (no CDN)
    finally:
        server.stop()
    assert not server.running()
