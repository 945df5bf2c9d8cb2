"""A numbered, self-contained HTML document: chapters, sections, captioned figures and tables.

:class:`Document` collects the parts of a page a person reads or prints (the study report):
chapters and sections are numbered and listed in a table of contents, every figure and table
gets a number and a caption ("Figure 3. ..."), figures are embedded as ``data:`` URIs and the
CSS is inline, so the page is one file that opens offline. The print CSS starts every
chapter on a new page and keeps figures, captions and table rows whole.
"""

from __future__ import annotations

import base64
import html
import math
import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["CSS", "Document", "format_cell"]

CSS = """
:root{--ink:#1f2328;--muted:#656d76;--line:#d0d7de;--accent:#0b5cad}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
margin:2rem auto;max-width:60rem;padding:0 1.2rem;line-height:1.5}
h1{font-size:1.9rem;margin-bottom:.2rem;line-height:1.25}
h2{font-size:1.45rem;margin-top:2.4rem;border-bottom:2px solid var(--line);padding-bottom:.2rem}
h3{font-size:1.15rem;margin-top:1.8rem}h4{font-size:1rem;margin-top:1.2rem}
a{color:var(--accent)}.muted{color:var(--muted)}.lead{font-size:1.05rem}
nav.toc{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:.6rem 1.2rem}
nav.toc h2{border:0;margin:.3rem 0;font-size:1.1rem}nav.toc ol{margin:.2rem 0;padding-left:1.1rem;list-style:none}
nav.toc li{margin:.1rem 0}
figure{margin:1.2rem 0;break-inside:avoid;page-break-inside:avoid}
figure img{max-width:100%;max-height:85vh;width:auto;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:var(--muted);margin:.35rem 0}
figcaption b{color:var(--ink)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.86rem}
th,td{text-align:left;padding:.28rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}
th{border-bottom:2px solid var(--line);background:#fafbfc}
td.short{white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr{break-inside:avoid;page-break-inside:avoid}thead{display:table-header-group}
blockquote{margin:.5rem 0 .5rem 0;padding:.2rem .9rem;border-left:3px solid var(--line)}
blockquote footer{font-size:.85rem;color:var(--muted)}
.note{background:#fff8c5;border:1px solid #eed888;border-radius:6px;padding:.4rem .8rem}
ul.rqs li{margin:.25rem 0}
@page{size:A4;margin:16mm 14mm}
@media print{body{margin:0;max-width:none;font-size:10.5pt}
section.chapter{break-before:page;page-break-before:always}
h2,h3,h4{break-after:avoid;page-break-after:avoid}
nav.toc{break-inside:avoid}.table-wrap{overflow:visible}a{color:inherit}}
"""
"""The document's inline CSS (screen and print)."""


def format_cell(value: object) -> str:
    """A table cell for people: 2 decimals for non-integers, no ``nan``, tuples joined.

    Examples
    --------
    >>> [format_cell(v) for v in (3.14159, 4.0, float("nan"), None, ("R01", "R02"), "x")]
    ['3.14', '4', '–', '–', 'R01, R02', 'x']
    """
    if value is None or value is pd.NA:
        return "–"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.0f}" if value.is_integer() else f"{value:.2f}"
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "part"


@dataclass
class _Entry:
    level: int
    anchor: str
    label: str
    children: list[_Entry] = field(default_factory=list)


class Document:
    """An HTML document built part by part.

    Parameters
    ----------
    title
        The page's title and top heading.
    subtitle
        A line under the title (plain text).

    Examples
    --------
    >>> doc = Document("A study")
    >>> _ = doc.chapter("The study")
    >>> doc.figure(b"png", "A chart")
    'Figure 1'
    >>> doc.table(pd.DataFrame({"a": [1.234]}), "Numbers")
    'Table 1'
    >>> page = doc.render()
    >>> "Figure 1.</b> A chart" in page and "<a href='#the-study'>1. The study</a>" in page
    True
    """

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.parts: list[str] = []
        self.toc: list[_Entry] = []
        self.figures = 0
        self.tables = 0
        self._chapter = 0
        self._section = 0
        self._anchors: set[str] = set()
        self._open = False

    def _anchor(self, text: str) -> str:
        base = anchor = _slug(text)
        n = 2
        while anchor in self._anchors:
            anchor, n = f"{base}-{n}", n + 1
        self._anchors.add(anchor)
        return anchor

    def chapter(self, title: str, *, numbered: bool = True) -> str:
        """Start a chapter (an ``h2`` on a new printed page); return its anchor."""
        if self._open:
            self.parts.append("</section>")
        if numbered:
            self._chapter += 1
        self._section = 0
        label = f"{self._chapter}. {title}" if numbered else title
        anchor = self._anchor(title)
        self.toc.append(_Entry(2, anchor, label))
        self.parts.append(f"<section class='chapter'><h2 id='{anchor}'>{html.escape(label)}</h2>")
        self._open = True
        return anchor

    def section(self, title: str) -> str:
        """Start a numbered section (``h3``) of the current chapter; return its anchor."""
        self._section += 1
        label = f"{self._chapter}.{self._section} {title}" if self._chapter else title
        anchor = self._anchor(title)
        entry = _Entry(3, anchor, label)
        (self.toc[-1].children if self.toc else self.toc).append(entry)
        self.parts.append(f"<h3 id='{anchor}'>{html.escape(label)}</h3>")
        return anchor

    def heading(self, text: str) -> None:
        """An unnumbered ``h4`` (not in the table of contents)."""
        self.parts.append(f"<h4>{html.escape(text)}</h4>")

    def text(self, text: str, *, cls: str = "") -> None:
        """A paragraph of plain text."""
        attr = f" class='{cls}'" if cls else ""
        self.parts.append(f"<p{attr}>{html.escape(text)}</p>")

    def raw(self, markup: str) -> None:
        """Markup the caller has escaped."""
        self.parts.append(markup)

    def note(self, text: str) -> None:
        """A highlighted note (something missing, and how to get it)."""
        self.parts.append(f"<p class='note'>{html.escape(text)}</p>")

    def quote(self, text: str, who: str) -> None:
        """A quote and who said it (pseudonym and perspective only)."""
        self.parts.append(
            f"<blockquote><p>“{html.escape(text)}”</p><footer>— {html.escape(who)}</footer>"
            "</blockquote>"
        )

    def _caption(self, kind: str, number: int, caption: str, source: tuple[str, str] | None) -> str:
        link = ""
        if source is not None:
            href, label = source
            link = f" <span class='src'>Source: <a href='{html.escape(href)}'>{html.escape(label)}</a>.</span>"
        return f"<figcaption><b>{kind} {number}.</b> {html.escape(caption)}{link}</figcaption>"

    def figure(
        self, png: bytes, caption: str, *, source: tuple[str, str] | None = None, alt: str = ""
    ) -> str:
        """Embed a PNG with a numbered caption; return its label (``'Figure 3'``).

        ``source`` is ``(href, label)`` of where it comes from (a report version).
        """
        self.figures += 1
        data = base64.b64encode(png).decode("ascii")
        self.parts.append(
            f"<figure id='figure-{self.figures}'><img src='data:image/png;base64,{data}' "
            f"alt='{html.escape(alt or caption)}'>"
            f"{self._caption('Figure', self.figures, caption, source)}</figure>"
        )
        return f"Figure {self.figures}"

    def table(
        self,
        frame: pd.DataFrame,
        caption: str,
        *,
        source: tuple[str, str] | None = None,
        html_columns: tuple[str, ...] = (),
    ) -> str:
        """A table (no index column) with a numbered caption above it; return its label.

        Numbers are right-aligned and rounded by :func:`format_cell`; ``html_columns`` hold
        markup the caller escaped (links).
        """
        self.tables += 1
        numeric = {
            c
            for c in frame.columns
            if pd.api.types.is_numeric_dtype(frame[c]) and c not in html_columns
        }
        short = {
            c for c in frame.columns
            if c not in html_columns and frame[c].map(lambda v: len(format_cell(v))).max() <= 12
        } if len(frame) else set()  # fmt: skip
        head = "".join(
            f"<th{' class=num' if c in numeric else ''}>{html.escape(str(c))}</th>"
            for c in frame.columns
        )
        rows = []
        for values in frame.itertuples(index=False):
            cells = []
            for c, v in zip(frame.columns, values, strict=True):
                text = str(v) if c in html_columns else html.escape(format_cell(v))
                cls = " ".join(k for k, on in (("num", c in numeric), ("short", c in short)) if on)
                cells.append(f"<td{f' class={cls!r}' if cls else ''}>{text}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        self.parts.append(
            f"<figure class='table' id='table-{self.tables}'>"
            f"{self._caption('Table', self.tables, caption, source)}<div class='table-wrap'>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "</div></figure>"
        )
        return f"Table {self.tables}"

    def _toc(self) -> str:
        def items(entries: list[_Entry]) -> str:
            out = []
            for e in entries:
                sub = f"<ol>{items(e.children)}</ol>" if e.children else ""
                out.append(f"<li><a href='#{e.anchor}'>{html.escape(e.label)}</a>{sub}</li>")
            return "".join(out)

        return f"<nav class='toc' id='contents'><h2>Contents</h2><ol>{items(self.toc)}</ol></nav>"

    def render(self) -> str:
        """The whole page: head with inline CSS, title, table of contents, body."""
        body = "\n".join(self.parts) + ("</section>" if self._open else "")
        sub = f"<p class='muted lead'>{html.escape(self.subtitle)}</p>" if self.subtitle else ""
        return (
            "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(self.title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{html.escape(self.title)}</h1>{sub}</header>\n{self._toc()}\n"
            f"{body}\n</body></html>\n"
        )
