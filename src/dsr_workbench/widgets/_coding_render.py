"""What the coding view shows: option lists and the HTML of a transcript with its codes.

Presentation only: the codings themselves come from :mod:`dsr_workbench.coding.codings`.
"""

from __future__ import annotations

import pandas as pd
import seaborn as sns

from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.widgets._common import escape

__all__ = [
    "code_colors",
    "code_options",
    "codings_in",
    "transcript_html",
    "turn_options",
]

_INDENT = "\u2003"  # an em space: <option> labels keep it, unlike plain spaces


def code_colors(codebook: Codebook) -> dict[str, str]:
    """Each code's colour: its own ``color``, else one of a colour-blind-safe palette.

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook('codes:\\n  - {id: A, name: A, color: "#112233"}\\n  - {id: B, name: B}')
    >>> code_colors(book)
    {'A': '#112233', 'B': '#de8f05'}
    """
    ids = list(codebook.codes["code_id"])
    palette = sns.color_palette("colorblind", 10).as_hex()
    out = {}
    for i, (code, color) in enumerate(zip(ids, codebook.codes["color"], strict=True)):
        out[code] = color if isinstance(color, str) and color else palette[i % len(palette)]
    return out


def code_options(codebook: Codebook, search: str = "") -> list[tuple[str, str]]:
    """The codebook as an indented tree of ``(label, code_id)``, filtered by ``search``.

    A code matches when the search text occurs (ignoring case) in its id, name or definition;
    its ancestors are kept (unmatched ones in brackets) so the tree stays readable.

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook('''codes:
    ...   - {id: REL, name: Relational governance}
    ...   - {id: TRUST, name: Trust, parent: REL}
    ...   - {id: QA, name: Quality}''')
    >>> [label for label, _ in code_options(book)]
    ['Relational governance (REL)', '\\u2003└ Trust (TRUST)', 'Quality (QA)']
    >>> code_options(book, "trust")
    [('[Relational governance]', 'REL'), ('\\u2003└ Trust (TRUST)', 'TRUST')]
    """
    codes = codebook.codes.set_index("code_id")
    depth = codebook.depth()
    roots = [c for c, p in zip(codes.index, codes["parent"], strict=True) if pd.isna(p)]
    order = [c for root in roots for c in codebook.subtree(root)]
    needle = search.strip().casefold()
    keep = set(order)
    matched = set(order)
    if needle:
        matched = {
            c
            for c in order
            if any(
                needle in str(v).casefold()
                for v in (c, codes.at[c, "name"], codes.at[c, "definition"])
                if pd.notna(v)
            )
        }
        keep = set(matched)
        for c in matched:
            keep.update(codebook.ancestors(c))
    out = []
    for code in order:
        if code not in keep:
            continue
        lead = _INDENT * int(depth[code]) + ("└ " if depth[code] else "")
        name = str(codes.at[code, "name"])
        label = f"{lead}{name} ({code})" if code in matched else f"{lead}[{name}]"
        out.append((label, code))
    return out


def turn_options(turns: pd.DataFrame, width: int = 70) -> list[tuple[str, int]]:
    """One ``(label, turn)`` per turn: number, speaker and the start of the text.

    Examples
    --------
    >>> turns = pd.DataFrame({"turn": [1, 2], "speaker": ["Kim", "Hannah"],
    ...                       "text": ["Why Gamma?", "We trust them. " * 9]})
    >>> turn_options(turns, width=20)
    [('1 · Kim: Why Gamma?', 1), ('2 · Hannah: We trust them. We t…', 2)]
    """
    out = []
    for turn, speaker, text in zip(turns["turn"], turns["speaker"], turns["text"], strict=True):
        flat = " ".join(str(text).split())
        short = flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
        out.append((f"{int(turn)} · {speaker}: {short}", int(turn)))
    return out


def codings_in(codings: pd.DataFrame, transcript_id: str, start: int, end: int) -> pd.DataFrame:
    """The codings of one transcript whose span overlaps ``[start, end)``.

    Examples
    --------
    >>> codings = pd.DataFrame({"transcript_id": ["I01", "I01", "I02"], "start": [0, 10, 0],
    ...                         "end": [5, 20, 5], "code_id": ["A", "B", "C"]})
    >>> codings_in(codings, "I01", 4, 12)["code_id"].tolist()
    ['A', 'B']
    """
    hit = (
        (codings["transcript_id"] == transcript_id)
        & (codings["start"] < end)
        & (codings["end"] > start)
    )
    return codings[hit.to_numpy(dtype=bool)]


def transcript_html(
    turns: pd.DataFrame,
    codings: pd.DataFrame,
    colors: dict[str, str],
    *,
    names: dict[str, str] | None = None,
    selected: tuple[int, ...] = (),
) -> str:
    """The turns of one transcript as HTML, coded words highlighted in their code's colour.

    Parameters
    ----------
    turns
        The transcript's turns (turn, speaker, perspective, start, end, text).
    codings
        Current codings of the transcript (start, end, code_id).
    colors
        ``{code_id: "#rrggbb"}``.
    names
        ``{code_id: name}`` for the code chips (default: the ids).
    selected
        Turn numbers to mark as selected.

    Examples
    --------
    >>> turns = pd.DataFrame({"turn": [1], "speaker": ["Hannah"], "perspective": ["client"],
    ...                       "start": [8], "end": [22], "text": ["We trust them."]})
    >>> codings = pd.DataFrame({"start": [11], "end": [16], "code_id": ["TRUST"]})
    >>> html = transcript_html(turns, codings, {"TRUST": "#4C72B0"})
    >>> "We <mark" in html and ">trust</mark> them." in html and "dsr-chip" in html
    True
    """
    names = names or {}
    starts = codings["start"].to_numpy()
    ends = codings["end"].to_numpy()
    codes = codings["code_id"].to_numpy()
    parts = ['<div class="dsr-transcript" style="font-size:95%;line-height:1.45">']
    for row in turns.itertuples(index=False):
        a, b, text = int(row.start), int(row.end), str(row.text)
        inside = [
            (max(s, a), min(e, b), c)
            for s, e, c in zip(starts, ends, codes, strict=True)
            if s < b and e > a
        ]
        cuts = sorted({a, b, *[s for s, _, _ in inside], *[e for _, e, _ in inside]})
        body = []
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=False):
            piece = escape(text[lo - a : hi - a]).replace("\n", "<br>")
            over = [c for s, e, c in inside if s <= lo and e >= hi]
            if over:
                title = escape(", ".join(dict.fromkeys(names.get(c, c) for c in over)))
                color = colors.get(over[0], "#cccccc")
                body.append(
                    f'<mark title="{title}" style="background:{color}40;'
                    f'border-bottom:2px solid {color};padding:0">{piece}</mark>'
                )
            else:
                body.append(piece)
        chips = "".join(
            f'<span class="dsr-chip" style="background:{colors.get(c, "#ccc")};color:white;'
            f'border-radius:8px;padding:0 6px;margin-left:4px;font-size:80%">'
            f"{escape(names.get(c, c))}</span>"
            for c in dict.fromkeys(c for _, _, c in inside)
        )
        mark = "background:#fff6d5;" if int(row.turn) in selected else ""
        parts.append(
            f'<div class="dsr-turn" data-turn="{int(row.turn)}" style="{mark}margin:4px 0">'
            f'<span style="color:#888">{int(row.turn)}</span> '
            f'<b>{escape(row.speaker)}</b> <i style="color:#888">{escape(row.perspective)}</i>: '
            f"{''.join(body)}{chips}</div>"
        )
    parts.append("</div>")
    return "".join(parts)
