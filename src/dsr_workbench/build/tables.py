"""Tables for people: how a report shows a table, declared apart from how it is computed.

A notebook computes a tidy DataFrame and hands it to :meth:`Outputs.table
<dsr_workbench.build.outputs.Outputs.table>`, which saves the raw CSV unchanged and shows
:func:`present`'s rendering: names beside ids, sensible rounding, no meaningless index, a
caption with what the table shows and its n, every row in a scrollable box, and a link to
the CSV. The rendering is pandas' :class:`~pandas.io.formats.style.Styler` (see
``docs/architecture.md`` for why), always with the HTML escaped and without random ids, so
that two builds of the same data give the same page.

How a column is shown follows its name (:data:`COLUMN_FORMATS`, first match wins):
``p``, ``p_value``, ``p_holm`` are p-values (3 significant digits, ``< 0.001``);
``estimate``, ``mean_*``, ``ci_low``, ``sd`` are estimates (2 decimals); ``alpha``,
``kappa``, ``rank_biserial`` are coefficients (3 decimals); ``share_*`` are percentages; a
notebook overrides any column with ``formats={"column": "percent"}``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

__all__ = [
    "COLUMN_FORMATS",
    "FORMATTERS",
    "TABLE_CSS",
    "Table",
    "column_label",
    "format_value",
    "present",
]

Formatter = Callable[[Any], str]

MISSING = "–"
"""What a missing value shows as."""


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, lists
        return False


def _pvalue(value: Any) -> str:
    """``< 0.001`` or three significant digits: 0.0685, 0.556, 1.00."""
    p = float(value)
    return "< 0.001" if p < 0.001 else f"{p:#.3g}".rstrip(".")


def _decimals(places: int) -> Formatter:
    def fmt(value: Any) -> str:
        x = float(value)
        if x != 0 and abs(x) < 10 ** (-places):
            return f"{x:.2g}"  # tiny but not zero: never shown as 0.00
        return f"{x:,.{places}f}"

    return fmt


def _integer(value: Any) -> str:
    x = float(value)
    return f"{int(x):,}" if x.is_integer() else f"{x:,.2f}"


def _plain_integer(value: Any) -> str:
    x = float(value)
    return str(int(x)) if x.is_integer() else str(value)


def _percent(value: Any) -> str:
    return f"{float(value) * 100:.1f} %"


def _number(value: Any) -> str:
    """A float of unknown meaning: 2 decimals, tiny values with 2 significant digits."""
    x = float(value)
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) < 0.01:
        return f"{x:.2g}"
    return f"{x:,.2f}"


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):  # a number in a column of mixed values (a statistic, a value)
        return _number(value)
    return str(value)


FORMATTERS: dict[str, Formatter] = {
    "pvalue": _pvalue,
    "estimate": _decimals(2),
    "coefficient": _decimals(3),
    "integer": _integer,
    "id": _plain_integer,
    "percent": _percent,
    "number": _number,
    "text": _text,
}
"""The named formats a column can have."""

COLUMN_FORMATS: list[tuple[str, str]] = [
    (r"p|pvalue|p_value|p_(?:holm|adj|adjusted|fdr|bonferroni|exact)|.*_p_value", "pvalue"),
    (r"cycle|turn|start|end|line|year|version|.*_id|old_(?:start|end)", "id"),
    (r"n|n_.*|.*_n|count|.*_count|segments|transcripts|participants|dof|df", "integer"),
    (r"share|share_.*|.*_share|percent|percent_.*|.*_percent|proportion", "percent"),
    (
        r"alpha|kappa|.*_alpha|.*_kappa|rank_biserial|r|rho|tau|icc|cramers_v|pseudo_r2",
        "coefficient",
    ),
    (
        r"estimate|coef|coefficient|beta|b|se|sd|std|std_err|mean|median|.*_mean|"
        r"mean_.*|median_.*|ci_low|ci_high|ci_lower|ci_upper|lower|upper|gap|.*_gap|"
        r"odds_ratio|or|statistic|z|t|importance|performance|score|.*_score|duration|"
        r"duration_.*|months|days|weight",
        "estimate",
    ),
]
"""(column-name pattern, format) pairs; the first pattern matching the whole name wins.
A column no pattern matches is shown by its dtype (floats as ``number``)."""

_WORDS = {
    "id": "id",
    "ci": "CI",
    "sd": "SD",
    "se": "SE",
    "cmo": "CMO",
    "cmr": "CMR",
    "dof": "df",
    "n": "n",
    "p": "p",
    "ipa": "IPA",
}
_LABELS = {
    "p_value": "p",
    "p_holm": "p (Holm)",
    "p_adj": "p (adjusted)",
    "p_fdr": "p (FDR)",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "rank_biserial": "Rank-biserial r",
    "n_pairs": "n pairs",
}

TABLE_CSS = """
.dsr-table{margin:1.2em 0;max-width:100%}
.dsr-table figcaption{font-weight:600;margin:0 0 .4em}
.dsr-table .dsr-table-box{display:inline-block;max-width:100%;max-height:32em;overflow:auto;
border:1px solid #d0d7de}
.dsr-table table{border-collapse:collapse;font-size:.9em;font-variant-numeric:tabular-nums}
.dsr-table th{position:sticky;top:0;background:#f3f5f7;text-align:left;padding:.3em .6em;
border-bottom:1px solid #b8c0c8;vertical-align:bottom}
.dsr-table td{padding:.25em .6em;border-bottom:1px solid #eceff2;vertical-align:top;
max-width:36em;white-space:normal}
.dsr-table th,.dsr-table td,.jp-RenderedHTMLCommon .dsr-table th,
.jp-RenderedHTMLCommon .dsr-table td{text-align:left}
.dsr-table td.dsr-num,.jp-RenderedHTMLCommon .dsr-table td.dsr-num{text-align:right;
white-space:nowrap}
.dsr-table .dsr-table-note{color:#57606a;font-size:.85em;margin:.3em 0 0}
""".strip()
"""The style a presented table needs (inlined with each table, so it works anywhere)."""


def column_label(name: Any) -> str:
    """The header shown for a column.

    Examples
    --------
    >>> [column_label(c) for c in ["p_holm", "mean_gap", "n_pairs", "cmo", "code_id"]]
    ['p (Holm)', 'Mean gap', 'n pairs', 'CMO', 'Code id']
    """
    text = str(name)
    if text in _LABELS:
        return _LABELS[text]
    words = [_WORDS.get(w.lower(), w) for w in re.split(r"[_\s]+", text) if w]
    if not words:
        return text
    first = words[0]
    if first not in _WORDS.values():
        first = first[:1].upper() + first[1:]
    return " ".join([first, *words[1:]])


def _format_name(column: str, series: pd.Series, formats: Mapping[str, str]) -> str:
    if column in formats:
        return formats[column]
    for pattern, name in formats.items():
        if any(c in pattern for c in "*?[") and re.fullmatch(pattern.replace("*", ".*"), column):
            return name
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_object_dtype(series):
        return "text"
    if pd.api.types.is_string_dtype(series):
        return "text"
    for pattern, name in COLUMN_FORMATS:
        if re.fullmatch(pattern, column.lower()):
            return name
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "text"


def format_value(value: Any, kind: str = "number") -> str:
    """Show one value in a named format (see :data:`FORMATTERS`); missing values as ``–``.

    Examples
    --------
    >>> [format_value(p, "pvalue") for p in (0.0004, 0.0685, 0.5556, 1.0)]
    ['< 0.001', '0.0685', '0.556', '1.00']
    >>> format_value(-0.07692307692307693, "estimate"), format_value(float("nan"))
    ('-0.08', '–')
    """
    if _missing(value):
        return MISSING
    try:
        return FORMATTERS[kind](value)
    except (TypeError, ValueError, OverflowError):
        return _text(value)


@dataclass
class Table:
    """A table as saved (``data``, unchanged) and as shown (:meth:`to_html`).

    Returned by :meth:`Outputs.table <dsr_workbench.build.outputs.Outputs.table>`; in a
    notebook it displays as the formatted table. ``data`` is the DataFrame that was saved.
    """

    data: pd.DataFrame
    caption: str | None = None
    n: int | str | None = None
    formats: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    names: dict[str, Mapping[Any, str]] = field(default_factory=dict)
    csv: str | None = None
    max_rows: int | None = None
    note: str | None = None

    def shown(self) -> pd.DataFrame:
        """The DataFrame as displayed: index made a column if it means something, names
        inserted beside ids, rows cut to ``max_rows``."""
        df = self.data
        if any(name is not None for name in df.index.names):  # a named index means something
            df = df.reset_index()
        if isinstance(df.columns, pd.MultiIndex):
            df = df.set_axis([" ".join(str(p) for p in c if str(p)) for c in df.columns], axis=1)
        for column, mapping in self.names.items():
            if column not in df.columns:
                continue
            target = column[: -len("_id")] if column.endswith("_id") else f"{column}_name"
            if target in df.columns:
                continue
            df = df.copy()
            df.insert(
                df.columns.get_loc(column) + 1,
                target,
                [mapping.get(v, MISSING) if not _missing(v) else MISSING for v in df[column]],
            )
        if self.max_rows is not None and len(df) > self.max_rows:
            df = df.head(self.max_rows)
        return df

    def _caption(self) -> str:
        rows = len(self.data)
        n = self.n if self.n is not None else f"{rows} row{'s' * (rows != 1)}"
        text = (self.caption or "").strip().rstrip(".")
        return f"{text} (n = {n})." if text else f"n = {n}."

    def to_html(self) -> str:
        """The table as an HTML fragment (``<figure class="dsr-table">``, styles inlined)."""
        df = self.shown()
        columns = [str(c) for c in df.columns]
        df = df.set_axis(columns, axis=1)
        kinds = {c: _format_name(c, df[c], self.formats) for c in columns}
        styler = Styler(df, uuid="dsr", cell_ids=False).hide(axis="index")
        for column, kind in kinds.items():
            styler = styler.format(
                lambda v, k=kind: html.escape(format_value(v, k), quote=False), subset=[column]
            )
        numeric = [c for c, k in kinds.items() if k not in ("text", "id")]
        styler = styler.set_td_classes(
            pd.DataFrame(
                [["dsr-num" if c in numeric else "" for c in columns]] * len(df),
                index=df.index,
                columns=columns,
            )
        )
        styler = styler.relabel_index(
            [self.labels.get(c, column_label(c)) for c in columns], axis="columns"
        )
        table = styler.to_html(doctype_html=False)
        table = re.sub(r"<style[^>]*>.*?</style>\s*", "", table, flags=re.S)
        table = re.sub(r'\s+id="T_[^"]*"', "", table)  # no ids: one page may hold many tables
        notes = []
        if self.max_rows is not None and len(self.data) > self.max_rows:
            notes.append(f"The first {self.max_rows} of {len(self.data)} rows.")
        if self.note:
            notes.append(html.escape(self.note))
        if self.csv:
            href = html.escape(self.csv, quote=True)
            notes.append(f'All rows: <a href="{href}">{html.escape(self.csv)}</a>')
        note = f'<p class="dsr-table-note">{" ".join(notes)}</p>' if notes else ""
        return (
            f'<figure class="dsr-table"><style>{TABLE_CSS}</style>'
            f"<figcaption>{html.escape(self._caption())}</figcaption>"
            f'<div class="dsr-table-box">{table}</div>{note}</figure>'
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        shown = self.shown()
        body = shown.to_string(index=False, max_rows=20, max_colwidth=40)
        return f"{self._caption()}\n{body}"


def present(
    data: pd.DataFrame,
    caption: str | None = None,
    *,
    n: int | str | None = None,
    formats: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    names: Mapping[str, Mapping[Any, str]] | None = None,
    csv: str | None = None,
    max_rows: int | None = None,
    note: str | None = None,
) -> Table:
    """Return ``data`` ready to be shown to people (``data`` itself is not changed).

    Parameters
    ----------
    data
        The computed table.
    caption
        What the table shows, in words; ``n`` is appended.
    n
        The table's n ("39 dyads"); default the number of rows.
    formats
        ``{column or glob: format}`` overriding :data:`COLUMN_FORMATS` (formats:
        :data:`FORMATTERS`).
    labels
        ``{column: header}`` overriding :func:`column_label`.
    names
        ``{id column: {id: name}}``: a name column is shown beside each id column
        (``code_id`` gets ``code``).
    csv
        Relative link to the saved CSV (``tables/<name>.csv``).
    max_rows
        Show only the first rows (the note says how many there are); default all, in a
        scrollable box.
    note
        A sentence shown under the table.

    Examples
    --------
    >>> t = present(pd.DataFrame({"code_id": ["A"], "p_holm": [0.00002]}), "Codes",
    ...             names={"code_id": {"A": "Alpha"}})
    >>> list(t.shown().columns), "&lt; 0.001" in t.to_html(), "(n = 1 row)" in t.to_html()
    (['code_id', 'code', 'p_holm'], True, True)
    """
    for kind in (formats or {}).values():
        if kind not in FORMATTERS:
            raise ValueError(f"unknown format '{kind}' (use {', '.join(FORMATTERS)})")
    if not isinstance(data, pd.DataFrame):
        if isinstance(data, pd.Series):
            data = data.to_frame()
        else:
            raise TypeError(f"a table must be a DataFrame, got {type(data).__name__}")
    return Table(
        data=data,
        caption=caption,
        n=n,
        formats=dict(formats or {}),
        labels=dict(labels or {}),
        names={k: dict(v) for k, v in (names or {}).items()},
        csv=csv,
        max_rows=max_rows,
        note=note,
    )
