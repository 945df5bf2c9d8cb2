"""Corpus figures: words by transcript and perspective, speaking shares."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = ["words_by_transcript", "words_by_group"]

PERSPECTIVE_COLORS: dict[str, str] = {
    "client": "#1f77b4",
    "cmo": "#ff7f0e",
    "both": "#2ca02c",
    "researcher": "#7f7f7f",
}
"""One colour per perspective, used by every figure of the workbench."""


def words_by_transcript(turns: pd.DataFrame) -> Figure:
    """Stacked bars: words per transcript, split by perspective.

    Examples
    --------
    >>> t = pd.DataFrame({"transcript_id": ["I1", "I1"], "perspective": ["client", "researcher"],
    ...                   "n_words": [90, 10]})
    >>> words_by_transcript(t).axes[0].get_ylabel()
    'words'
    """
    table = turns.pivot_table(
        index="transcript_id", columns="perspective", values="n_words", aggfunc="sum", fill_value=0
    )
    colors = [PERSPECTIVE_COLORS.get(c, "#999999") for c in table.columns]
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(table) + 2), 4), layout="constrained")
    table.plot.bar(stacked=True, ax=ax, color=colors, width=0.8)
    ax.set_xlabel("transcript")
    ax.set_ylabel("words")
    ax.set_title("Words per transcript by perspective")
    ax.legend(title="perspective", frameon=False)
    return fig


def words_by_group(overview: pd.DataFrame, group: str, hue: str | None = None) -> Figure:
    """Horizontal bars of ``n_words`` per ``group`` (from :func:`corpus_overview`).

    Examples
    --------
    >>> o = pd.DataFrame({"speaker": ["Kim", "Ana"], "n_words": [10, 20]})
    >>> words_by_group(o, "speaker").axes[0].get_xlabel()
    'words'
    """
    fig, ax = plt.subplots(figsize=(6, max(2.5, 0.3 * len(overview) + 1)), layout="constrained")
    palette = PERSPECTIVE_COLORS if hue == "perspective" else None
    sns.barplot(
        data=overview,
        y=group,
        x="n_words",
        hue=hue,
        ax=ax,
        orient="h",
        palette=palette,
        dodge=False,
    )
    ax.set_xlabel("words")
    ax.set_ylabel(group)
    if hue and ax.get_legend():
        ax.legend(title=hue, frameon=False)
    return fig
