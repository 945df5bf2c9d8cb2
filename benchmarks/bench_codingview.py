"""Coding view in a real browser: open a long coded transcript, and code new words with the mouse.

Voilà serves the coding view's test notebook (``tests/data/widgets/coding_view.ipynb``, the one
``tests/widgets/test_coding_browser.py`` serves) for a synthetic study of one transcript of about
300,000 characters with 2,000 codings of the coder (and a second coder's log); Playwright drives
Debian's chromium, headless. Times are taken in the page (``performance`` marks and
``performance.now()``), not with Python sleeps.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.generate import GeneratedStudy, StudySpec, generate_study
from benchmarks.harness import Context, Goal, Section, Stats, Table, fmt_time, profile_top
from benchmarks.synth_tables import make_codings, write_coding_logs

NAME = "codingview"
TITLE = "Coding view: open a coded transcript, code with the mouse"
CUTS = ""
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "tests" / "data" / "widgets" / "coding_view.ipynb"
TEXT_CHARS, QUICK_TEXT_CHARS = 300_000, 30_000
CODINGS, QUICK_CODINGS = 2_000, 200
APPLIES, QUICK_APPLIES = 20, 3
N_CODES = 24
CHARS_PER_TURN = 285  # the generator's mean turn length (words_per_turn 70, alternating)
OPEN_GOAL_S, APPLY_GOAL_S = 1.0, 0.150
CODER, OTHER = "R1", "R2"
WAIT_MS = 120_000
SETTLE_MS = 3_000  # the view open this long before the first apply

# --------------------------------------------------------------------------- the page's side

# Installed before the page's scripts: the time of the frame after the first draw, and (once
# `__benchWS` is an array: armed for an apply) when the page's websocket sends the apply
# message and receives the kernel's `edits` of it, to split the round trip.
_INIT = r"""
const Plain = window.WebSocket;
const text = (d) => typeof d === 'string' ? d : (d instanceof ArrayBuffer || ArrayBuffer.isView(d)) ? new TextDecoder().decode(d) : '';
const said = (d, word) => text(d).includes(word);
window.WebSocket = class extends Plain {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', (e) => {
      const log = window.__benchWS;
      if (Array.isArray(log) && !log.recv && said(e.data, '"edits"')) {
        log.recv = performance.now(); log.recvWall = Date.now();
        const m = text(e.data).match(/"date"\s*:\s*"([^"]+)"/);  // the header's: when the kernel sent it
        if (m) log.kernelWall = Date.parse(m[1].replace(/(\.\d{3})\d*/, '$1').replace(/\+00:00$/, 'Z'));
      }
    });
  }
  send(d) {
    const log = window.__benchWS;
    if (Array.isArray(log) && !log.sent && said(d, '"apply"')) { log.sent = performance.now(); log.sentWall = Date.now(); }
    return super.send(d);
  }
};
new PerformanceObserver((list, obs) => {
  for (const e of list.getEntries()) {
    if (e.name === 'dsr-coding-drawn') {
      requestAnimationFrame(() => setTimeout(() => { window.__benchFrame = performance.now(); }, 0));
      obs.disconnect();
    }
  }
}).observe({type: 'mark', buffered: true});
"""

# Marks of the first page load: navigation start is 0 on the page's clock.
_MARKS = """
() => {
  const one = (n) => { const e = performance.getEntriesByName(n); return e.length ? e[0].startTime : null; };
  const spans = document.querySelectorAll('.dsr-cv-tx > span').length;
  return {mount: one('dsr-coding-mount'), drawn: one('dsr-coding-drawn'),
          frame: window.__benchFrame ?? null, firstDraw: window.__dsrCoding.firstDrawMs,
          runs: spans, highlighted: document.querySelectorAll('.dsr-cv-tx > span[class]').length,
          stripes: document.querySelectorAll('.dsr-cv-stripes.a .dsr-cv-stripe').length};
}
"""

# Scroll the turn holding code points [start, end) into view; the viewport rectangles of its
# first and last character (the text has no characters outside the BMP: UTF-16 == code points).
_RECTS = """
([start, end]) => {
  const runs = [...document.querySelectorAll('.dsr-cv-tx > span')];
  const find = (cp) => {
    let lo = 0, hi = runs.length - 1, ans = 0;
    while (lo <= hi) { const m = (lo + hi) >> 1; if (+runs[m].dataset.s <= cp) { ans = m; lo = m + 1; } else hi = m - 1; }
    return [runs[ans].firstChild, cp - +runs[ans].dataset.s];
  };
  const [n0] = find(start);
  n0.parentElement.parentElement.scrollIntoView({block: 'center'});
  const rect = (cp) => {
    const [node, off] = find(cp);
    const r = document.createRange(); r.setStart(node, off); r.setEnd(node, off + 1);
    const b = r.getClientRects()[0];
    return {left: b.left, right: b.right, top: b.top, bottom: b.bottom};
  };
  return {first: rect(start), last: rect(end - 1)};
}
"""

# Arm the measurement of one apply: t0 = the trigger event's time (keydown or mouseup, in the
# capture phase, before the widget sees it); t1 = when a MutationObserver sees the highlight of
# the NEW coding: the run starting at `start` carries a style class made after the arming (the
# widget's class numbers only grow, and the new coding's id makes a new set of codings).
_ARM = """
([start, trigger]) => {
  const text = document.querySelector('.dsr-cv-text');
  const k = (e) => (e && e.className ? +e.className.slice(1) : -1);
  let before = -1;
  for (const e of text.querySelectorAll('.dsr-cv-tx > span[class]')) before = Math.max(before, k(e));
  const stripes = new Set([...document.querySelectorAll('.dsr-cv-stripes.a .dsr-cv-stripe')].map((e) => e.dataset.i));
  const b = window.__bench = {t0: null, t1: null, stripe: null, draws0: window.__dsrCoding.draws};
  window.__benchWS = [];
  const onEvent = (e) => { if (b.t0 === null) b.t0 = e.timeStamp; };
  window.addEventListener(trigger, onEvent, true);
  const check = () => {
    const run = text.querySelector(`.dsr-cv-tx > span[data-s="${start}"]`);
    if (b.t1 === null && run && k(run) > before) {
      b.t1 = performance.now();
      const fresh = [...document.querySelectorAll('.dsr-cv-stripes.a .dsr-cv-stripe')].filter((e) => !stripes.has(e.dataset.i));
      b.stripe = fresh.length;
      obs.disconnect(); window.removeEventListener(trigger, onEvent, true);
    }
  };
  const obs = new MutationObserver(check);
  obs.observe(document.querySelector('.dsr-cv'), {childList: true, subtree: true});
}
"""


# --------------------------------------------------------------------------- the study


def _study(ctx: Context, chars: int, n_codings: int) -> tuple[GeneratedStudy, Path]:
    """One long transcript, codebook of N_CODES codes; logs of R1 (n_codings) and R2.

    The logs are kept in ``codings-orig/`` and copied into ``data/codings`` by :func:`_fresh`.
    """
    spec = StudySpec(
        n_transcripts=1,
        turns_per_transcript=round(chars / CHARS_PER_TURN),
        n_participants=2,
        n_codes=N_CODES,
        codings_per_coder=0,
        focus_group_every=0,
        n_relationships=6,
        formats=(("txt", "colon"),),
    )
    study = generate_study(ctx.work / f"codingview-{chars}", spec)
    orig = study.root / "codings-orig"
    if not (orig / ".done").is_file():
        from dsr_workbench.corpus.read import load_corpus
        from dsr_workbench.corpus.study import load_study

        transcripts, turns = load_corpus(load_study(study.study_yaml))
        texts = dict(zip(transcripts["transcript_id"], transcripts["text"], strict=True))
        codings = make_codings(
            turns,
            n_codings,
            [f"K{k + 1:03d}" for k in range(N_CODES)],
            n_coders=2,
            agreement=0.8,
            texts=texts,
            seed=17,
        )
        shutil.rmtree(orig, ignore_errors=True)
        write_coding_logs(orig, codings, texts, remove_share=0.0, memo_share=0.02, seed=17)
        (orig / ".done").write_text("")
    return study, orig


def _fresh(study: GeneratedStudy, orig: Path) -> Path:
    """Reset the study's logs to the generated ones; return the coder's log."""
    folder = study.root / "data" / "codings"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(orig, folder, ignore=shutil.ignore_patterns(".done"))
    return folder / f"{CODER}.jsonl"


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x.strip()]


def _targets(text: str, turns: pd.DataFrame, n: int, seed: int = 5) -> list[tuple[int, int]]:
    """``n`` selections of 2 to 5 whole words inside participants' turns, spread over the text."""
    rng = np.random.default_rng(seed)
    rows = turns[(turns["perspective"] != "researcher") & (turns["end"] - turns["start"] > 120)]
    picks = np.linspace(0, len(rows) - 1, n + 2)[1:-1].round().astype(int)
    out = []
    for r in picks:
        a, b = int(rows["start"].iloc[r]), int(rows["end"].iloc[r])
        spaces = [a - 1, *[i for i in range(a, b) if text[i] == " "], b]
        w0 = int(rng.integers(1, max(2, len(spaces) // 2)))
        w1 = min(len(spaces) - 1, w0 + int(rng.integers(2, 6)))
        out.append((spaces[w0] + 1, spaces[w1]))
    return out


# --------------------------------------------------------------------------- the browser


def _browser(playwright: Any) -> Any:
    from tests.widgets.test_browser import ARGS, CHROMIUM

    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


def _page(browser: Any, url: str) -> tuple[Any, Any, list[str]]:
    from tests.widgets._coding_pages import block_outside

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    block_outside(page)
    page.add_init_script(_INIT)
    page.goto(url, timeout=WAIT_MS)
    page.wait_for_function(
        "() => window.__dsrCoding && window.__dsrCoding.draws >= 1 && window.__benchFrame",
        timeout=WAIT_MS,
        polling=50,
    )
    return context, page, errors


def _open(ctx: Context, browser: Any, url: str, loads: int) -> list[dict[str, Any]]:
    """``loads`` fresh page loads (a new browser context each: nothing cached); their marks."""
    out = []
    for n in range(loads):
        context, page, errors = _page(browser, url)
        marks = page.evaluate(_MARKS)
        context.close()
        if errors:
            raise RuntimeError(f"page errors: {errors}")
        ctx.log(
            f"codingview load {n + 1}: navigation→drawn {marks['drawn']:.0f} ms, "
            f"mount→drawn {marks['drawn'] - marks['mount']:.0f} ms"
        )
        out.append(marks)
        time.sleep(1.0)  # let Voilà shut the page's kernel down before the next load
    return out


def _drag(page: Any, start: int, end: int) -> None:
    page.evaluate(_RECTS, [start, end])  # scrolls first
    r = page.evaluate(_RECTS, [start, end])
    y0 = (r["first"]["top"] + r["first"]["bottom"]) / 2
    y1 = (r["last"]["top"] + r["last"]["bottom"]) / 2
    page.mouse.move(r["first"]["left"] + 1, y0)
    page.mouse.down()
    page.mouse.move(r["last"]["right"] - 1, y1, steps=10)


def _apply_once(
    page: Any, log: Path, text: str, start: int, end: int, trigger: str, expected: int
) -> dict[str, Any]:
    """One drag + apply; the in-page times; checks the event the coder's log got."""
    _drag(page, start, end)
    if trigger == "keydown":
        page.mouse.up()
        page.wait_for_function(
            f"() => document.querySelector('.dsr-cv-sel').textContent.startsWith("
            f"'selected {end - start} characters')",
            timeout=WAIT_MS,
        )
        page.evaluate(_ARM, [start, trigger])
        page.keyboard.press("1")
    else:  # sticky active code: the mouse-up applies it
        page.evaluate(_ARM, [start, trigger])
        page.mouse.up()
    page.wait_for_function(
        "() => window.__bench.t1 !== null && window.__bench.t0 !== null", timeout=WAIT_MS
    )
    result = page.evaluate(
        "() => ({...window.__bench, lastApplyMs: window.__dsrCoding.lastApplyMs,"
        " lastDrawMs: window.__dsrCoding.lastDrawMs, parts: window.__dsrCoding.lastParts,"
        " sent: window.__benchWS.sent ?? null, recv: window.__benchWS.recv ?? null,"
        " sentWall: window.__benchWS.sentWall ?? null, recvWall: window.__benchWS.recvWall ?? null,"
        " kernelWall: window.__benchWS.kernelWall ?? null})"
    )
    deadline = time.monotonic() + 30
    while len(events := _lines(log)) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    last = events[-1]
    if len(events) != expected or (last["event"], last["start"], last["end"]) != (
        "add",
        start,
        end,
    ):
        raise RuntimeError(f"expected add {start}..{end} as event {expected}; log ends {last}")
    if last["quote"] != text[start:end]:
        raise RuntimeError(f"quote {last['quote']!r} != text {text[start:end]!r}")
    # let Python's follow-up (status line, recent codes) settle before the next gesture
    page.wait_for_function(
        "() => document.querySelector('.dsr-cv-status').textContent.startsWith('coded')",
        timeout=WAIT_MS,
    )
    page.keyboard.press("Escape")
    return result


def _sticky(page: Any, on: bool) -> None:
    """Switch the sticky active code (key s) on or off."""
    if page.is_checked(".dsr-cv-sticky") != on:
        page.focus(".dsr-cv")
        page.keyboard.press("s")
    if page.is_checked(".dsr-cv-sticky") != on:
        raise RuntimeError("the key s did not switch the sticky code")


def _applies(
    ctx: Context, browser: Any, url: str, log: Path, text: str, targets: list[tuple[int, int]]
) -> dict[str, list[dict[str, Any]]]:
    """Each target applied by the number key 1, then (one word shorter) by the sticky code's
    mouse-up: the two ways interleaved, so that load from other work falls on both alike."""
    context, page, errors = _page(browser, url)
    page.wait_for_timeout(SETTLE_MS)  # not timed: the kernel settles after running the notebook
    expected = len(_lines(log))
    out: dict[str, list[dict[str, Any]]] = {"keydown": [], "mouseup": []}
    try:
        for n, (a, b) in enumerate(targets):
            _sticky(page, False)
            expected += 1
            out["keydown"].append(_apply_once(page, log, text, a, b, "keydown", expected))
            ctx.log(f"codingview apply {n + 1} by key: {_split(out['keydown'][-1])}")
            _sticky(page, True)  # mouse-up applies the picked code (the key 1's)
            expected += 1
            b2 = text.rfind(" ", a, b)  # one word fewer: a new span
            out["mouseup"].append(_apply_once(page, log, text, a, b2, "mouseup", expected))
            ctx.log(f"codingview apply {n + 1} by mouse-up: {_split(out['mouseup'][-1])}")
    finally:
        context.close()
    if errors:
        raise RuntimeError(f"page errors: {errors}")
    return out


def _ms(r: dict[str, Any]) -> float:
    return float(r["t1"] - r["t0"])


def _split(r: dict[str, Any]) -> str:
    if r["sent"] is None or r["recv"] is None:
        return f"{_ms(r):.0f} ms"
    return (
        f"{_ms(r):.0f} ms (to send {r['sent'] - r['t0']:.0f}, kernel {r['recv'] - r['sent']:.0f} "
        f"[in {(r.get('kernelWall') or 0) - (r.get('sentWall') or 0):.0f}], "
        f"draw {r['t1'] - r['recv']:.0f}; parts {r.get('parts')})"
    )


# --------------------------------------------------------------------------- Python alone


def _python_side(
    study: GeneratedStudy, orig: Path, targets: list[tuple[int, int]]
) -> tuple[Stats, Stats, int, str]:
    """The kernel's share of an apply, in-process: ``handle(apply)`` and the spans it sends."""
    from dsr_workbench.corpus.study import load_study
    from dsr_workbench.widgets.coding_view import coding_view

    log = _fresh(study, orig)
    view = coding_view(load_study(study.study_yaml), CODER)
    text = view.view.text
    sent: list[int] = []
    view.view.observe(lambda change: sent.append(len(change["new"])), names="spans")
    handle_t = []
    code = view.view.codes[0]["id"]
    for a, b in targets:
        msg = {"action": "apply", "start": a, "end": b, "quote": text[a:b], "code": code}
        start = time.perf_counter()
        view.handle(msg)
        handle_t.append(time.perf_counter() - start)
    payload = len(json.dumps(view.view.spans, ensure_ascii=False).encode())
    draw_t = []
    for _ in range(5):
        start = time.perf_counter()
        view.draw()
        draw_t.append(time.perf_counter() - start)
    a, b = targets[0]
    b = text.rfind(" ", a, b)
    msg = {"action": "apply", "start": a, "end": b, "quote": text[a:b], "code": code}
    top = profile_top(lambda: view.handle(msg), limit=10)
    _fresh(study, orig)
    del log
    return Stats(handle_t), Stats(draw_t), payload, top + f"\n(spans sent per change: {sent[-1]})"


# --------------------------------------------------------------------------- the section


def run(ctx: Context) -> Section:
    from playwright.sync_api import sync_playwright

    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.corpus.study import load_study
    from dsr_workbench.widgets.serve import serve_notebook

    chars = QUICK_TEXT_CHARS if ctx.quick else TEXT_CHARS
    n_codings = QUICK_CODINGS if ctx.quick else CODINGS
    n_applies = QUICK_APPLIES if ctx.quick else APPLIES
    loads = ctx.runs
    study, orig = _study(ctx, chars, n_codings)
    transcripts, turns = load_corpus(load_study(study.study_yaml))
    text = str(transcripts["text"].iloc[0])
    if any(ord(c) > 0xFFFF for c in text):
        raise RuntimeError("the synthetic text must stay in the BMP (the page's rectangles)")
    log = _fresh(study, orig)
    mine = len(_lines(log))
    other = len(_lines(log.with_name(f"{OTHER}.jsonl")))
    targets = _targets(text, turns, n_applies)
    ctx.log(f"codingview: {len(text):,} characters, {len(turns):,} turns, {mine:,} events")

    handle, draw, payload, top = _python_side(study, orig, targets)
    log = _fresh(study, orig)
    server = serve_notebook(
        NOTEBOOK, parameters={"study_path": str(study.study_yaml), "coder": CODER}
    )
    try:
        with sync_playwright() as p:
            browser = _browser(p)
            try:
                marks = _open(ctx, browser, server.url, loads)
                applied = _applies(ctx, browser, server.url, log, text, targets)
            finally:
                browser.close()
    finally:
        server.stop()
        _fresh(study, orig)

    section = Section(NAME, TITLE)
    section.method = (
        f"A synthetic study (`benchmarks/generate.py`) of one transcript of {len(text):,} "
        f"characters in {len(turns):,} turns; codebook of {N_CODES} codes; the coder's log "
        f"({CODER}) holds {mine:,} add and memo events ({n_codings:,} codings, overlapping: "
        "whole turns or stretches of words, many turns coded several times), a second coder's "
        f"({OTHER}, {other:,} events) is in `data/codings` too. Voilà serves "
        "`tests/data/widgets/coding_view.ipynb` (as `tests/widgets/test_coding_browser.py` "
        "does) on 127.0.0.1; Playwright drives Debian's chromium headless (1400×1000), requests "
        "leaving 127.0.0.1 blocked. **Open**: "
        f"{loads} page loads, each in a new browser context (nothing cached) and a new kernel; "
        "from the widget's `dsr-coding-mount` mark (the view renders: the model state has "
        "arrived) to its `dsr-coding-drawn` mark (every turn's runs and highlights in the DOM, "
        "the margin stripes placed, layout done); also from navigation start (Voilà starts a "
        "kernel, runs the notebook: reading the corpus and the log) and to the next frame. "
        f"**Apply**: {n_applies} real mouse drags (`page.mouse`: down on the first character, "
        "ten moves, up on the last) over 2–5 words in turns spread over the transcript, each "
        "applied with the number key 1, each followed by the same words less the last one "
        "coded with the sticky active code, which the mouse-up applies (the two interleaved; "
        f"the view open {SETTLE_MS / 1e3:g} s before the first). Timed in the page: from the key's or "
        "mouse-up's event time (`event.timeStamp`, a capture listener) to a MutationObserver "
        "seeing the run that starts at the selection carry a style class made for the new "
        "coding; the round trip includes the kernel writing the event to the log (checked on "
        "disk after every apply: event, offsets, quote). Python alone: `CodingView.handle` of "
        "the same applies in-process on a copy of the logs."
    )
    nav = Stats([m["drawn"] / 1e3 for m in marks])
    mount = Stats([(m["drawn"] - m["mount"]) / 1e3 for m in marks])
    frame = Stats([(m["frame"] - m["mount"]) / 1e3 for m in marks])
    to_mount = Stats([m["mount"] / 1e3 for m in marks])
    opened = Table(
        ["open the view", "median (min–max)"],
        caption=f"{len(text):,} characters, {marks[0]['highlighted']:,} highlighted runs of "
        f"{marks[0]['runs']:,}, {marks[0]['stripes']:,} stripes; {loads} page loads",
    )
    opened.add("widget mount → highlights and stripes drawn (`dsr-coding-drawn`)", mount.fmt())
    opened.add("widget mount → the next frame", frame.fmt())
    opened.add("navigation start → widget mount (Voilà: kernel, notebook)", to_mount.fmt())
    opened.add("navigation start → drawn", nav.fmt())
    section.tables.append(opened)

    keyed = Stats([_ms(r) / 1e3 for r in applied["keydown"]])
    upped = Stats([_ms(r) / 1e3 for r in applied["mouseup"]])
    widget = Stats([r["lastApplyMs"] / 1e3 for r in applied["keydown"] + applied["mouseup"]])
    redraw = Stats([r["lastDrawMs"] / 1e3 for r in applied["keydown"] + applied["mouseup"]])
    apply_t = Table(
        ["apply a code to a new selection", "n", "median (min–max)"],
        caption=f"each apply appends one event to a log of {mine:,}+ events",
    )
    apply_t.add("key 1 → the new coding's highlight in the DOM", len(keyed.runs), keyed.fmt())
    apply_t.add("mouse-up (sticky code) → highlight in the DOM", len(upped.runs), upped.fmt())
    apply_t.add(
        "widget: message sent → redraw done (`lastApplyMs`)", len(widget.runs), widget.fmt()
    )
    apply_t.add("widget: the redraw alone (`lastDrawMs`)", len(redraw.runs), redraw.fmt())
    both = applied["keydown"] + applied["mouseup"]
    split = [r for r in both if r["sent"] is not None and r["recv"] is not None]
    if split:
        for label, fn in [
            ("trigger → apply message on the websocket", lambda r: r["sent"] - r["t0"]),
            (
                "websocket: apply sent → its edits back (kernel, Voilà)",
                lambda r: r["recv"] - r["sent"],
            ),
            ("edits received → highlight in the DOM", lambda r: r["t1"] - r["recv"]),
        ]:
            part = Stats([fn(r) / 1e3 for r in split])
            apply_t.add(label, len(part.runs), part.fmt())
        dated = [r for r in split if r.get("kernelWall") and r.get("sentWall")]
        for label, fn in [
            (
                "… of it: page sent → the kernel sent the edits (its clock)",
                lambda r: r["kernelWall"] - r["sentWall"],
            ),
            ("… of it: kernel sent → the page got them", lambda r: r["recvWall"] - r["kernelWall"]),
        ]:
            if dated:
                part = Stats([max(0.0, fn(r)) / 1e3 for r in dated])
                apply_t.add(label, len(part.runs), part.fmt())
    parts = [r["parts"] for r in both if r.get("parts")]
    for key, label in [
        ("layoutBefore", "redraw: layout before (heights of the touched turns)"),
        ("runs", "redraw: runs of the touched turns, new style rules"),
        ("layoutAfter", "redraw: layout after"),
        ("stripes", "redraw: stripes (changed ones measured, all placed)"),
    ]:
        if parts:
            part = Stats([p[key] / 1e3 for p in parts])
            apply_t.add(label, len(part.runs), part.fmt())
    apply_t.add("Python in-process: `handle(apply)`", len(handle.runs), handle.fmt())
    apply_t.add("Python in-process: `draw()` (the spans payload)", len(draw.runs), draw.fmt())
    apply_t.add("spans payload of a change", "—", f"{payload / 1e3:,.0f} kB of JSON")
    section.tables.append(apply_t)
    if handle.median > 0.05:
        section.profiles.append(("cProfile of one `CodingView.handle(apply)`", top))

    real = not ctx.quick
    section.goals += [
        Goal(
            TITLE,
            "300,000 characters with 2,000 codings: highlights and stripes within 1 s of opening",
            f"{fmt_time(mount.median)} from widget mount to `dsr-coding-drawn`, "
            f"{fmt_time(frame.median)} to the next frame ({fmt_time(nav.median)} from "
            "navigation start, with Voilà starting a kernel)",
            None if not real else max(mount.median, frame.median) <= OPEN_GOAL_S,
        ),
        Goal(
            TITLE,
            "mouse-up → highlight of a new coding ≤ 150 ms (median of 20)",
            f"{fmt_time(upped.median)} by mouse-up (sticky code), {fmt_time(keyed.median)} by "
            "number key",
            None if not real else max(upped.median, keyed.median) <= APPLY_GOAL_S,
        ),
    ]
    section.findings.append(
        f"median of all applies {fmt_time(statistics.median(keyed.runs + upped.runs))}"
    )
    return section
