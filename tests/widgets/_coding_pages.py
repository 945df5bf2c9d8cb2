"""Helpers for driving the coding view in a real browser (Voilà and JupyterLab tests).

A drag is a real one: the per-character rectangles of the words come from a DOM ``Range``
over the rendered text nodes, then the mouse moves to the left edge of the first character,
presses, moves in ten steps to the right edge of the last one, and releases.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WAIT_S = 30.0

# Find `quote` (after `after`) in the text of the turns and return the viewport rectangles of
# its first and last character (UTF-16 positions inside the text nodes of the runs).
_RECTS = """
([quote, after, nth]) => {
  const txs = [...document.querySelectorAll('.dsr-cv-tx')];
  let found = 0;
  for (const tx of txs) {
    const all = tx.textContent;
    let from = after ? all.indexOf(after) : 0;
    if (from < 0) continue;
    let at = all.indexOf(quote, from);
    while (at >= 0 && found < nth) { found++; at = all.indexOf(quote, at + 1); }
    if (at < 0) continue;
    const point = (pos) => {
      const walker = document.createTreeWalker(tx, NodeFilter.SHOW_TEXT);
      let n, seen = 0;
      while ((n = walker.nextNode())) {
        if (pos < seen + n.data.length) return [n, pos - seen];
        seen += n.data.length;
      }
      return null;
    };
    const rect = (pos, len) => {
      const [node, off] = point(pos);
      const r = document.createRange();
      r.setStart(node, off); r.setEnd(node, off + len);
      const b = r.getClientRects()[0];
      return {left: b.left, right: b.right, top: b.top, bottom: b.bottom};
    };
    const last = quote.length - (/[\\uDC00-\\uDFFF]/.test(quote.slice(-1)) ? 2 : 1);
    tx.scrollIntoView({block: 'center'});
    return {first: rect(at, 1), last: rect(at + last, quote.length - last)};
  }
  return null;
}
"""


def rects(page: Any, quote: str, after: str = "", nth: int = 0) -> dict[str, dict[str, float]]:
    """Viewport rectangles of the first and last character of ``quote`` in the transcript."""
    page.evaluate(_RECTS, [quote, after, nth])  # scrolls the turn into view first
    found = page.evaluate(
        _RECTS.replace("tx.scrollIntoView({block: 'center'});", ""), [quote, after, nth]
    )
    assert found, f"{quote!r} is not in the rendered transcript"
    return found


def drag(page: Any, quote: str, after: str = "", nth: int = 0) -> None:
    """Select ``quote`` with a real mouse drag."""
    r = rects(page, quote, after, nth)
    y0 = (r["first"]["top"] + r["first"]["bottom"]) / 2
    y1 = (r["last"]["top"] + r["last"]["bottom"]) / 2
    page.mouse.move(r["first"]["left"] + 1, y0)
    page.mouse.down()
    page.mouse.move(r["last"]["right"] - 1, y1, steps=10)
    page.mouse.up()


def drag_between(page: Any, first: str, last: str) -> None:
    """Drag from the first character of ``first`` to the last character of ``last``."""
    a, b = rects(page, first)["first"], rects(page, last)["last"]
    page.mouse.move(a["left"] + 1, (a["top"] + a["bottom"]) / 2)
    page.mouse.down()
    page.mouse.move(b["right"] - 1, (b["top"] + b["bottom"]) / 2, steps=10)
    page.mouse.up()


def click_words(page: Any, quote: str, after: str = "", clicks: int = 1) -> None:
    """Click the middle of ``quote``'s first character (``clicks=2``: double-click)."""
    r = rects(page, quote, after)["first"]
    page.mouse.click((r["left"] + r["right"]) / 2, (r["top"] + r["bottom"]) / 2, click_count=clicks)


def lines(path: Path) -> list[dict[str, Any]]:
    """The events of a JSONL log (none if it does not exist)."""
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Poll ``check`` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def wait_events(path: Path, n: int) -> list[dict[str, Any]]:
    """Wait until the log holds ``n`` events; return them."""
    wait_for(lambda: len(lines(path)) >= n, f"{n} events in {path.name}")
    time.sleep(0.1)
    events = lines(path)
    assert len(events) == n, events
    return events


def block_outside(page: Any) -> list[str]:
    """Abort every request that does not go to 127.0.0.1 and return the list of their URLs.

    A served page must need none (meeting rooms may be offline): the tests assert it is empty.
    """
    blocked: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    page.route("**/*", route)
    return blocked
