"""Inter-coder reliability figures: a per-code heatmap of agreement statistics."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = ["agreement_heatmap"]


def agreement_heatmap(
    table: pd.DataFrame,
    metrics: tuple[str, ...] = ("alpha", "kappa", "percent_agreement"),
    *,
    code: str = "code_id",
) -> Figure:
    """Heatmap of agreement per code (rows) and metric (columns), annotated, on [-1, 1].

    Parameters
    ----------
    table
        From :func:`dsr_workbench.analysis.reliability_codings.per_code_agreement` (one row per code,
        plus an ``(overall)`` row, which is drawn last).
    metrics
        Columns to show.
    code
        The column naming the code.

    Examples
    --------
    >>> t = pd.DataFrame({"code_id": ["A", "(overall)"], "alpha": [0.8, 0.7],
    ...                   "kappa": [0.8, 0.7], "percent_agreement": [0.9, 0.85]})
    >>> agreement_heatmap(t).axes[0].get_yticklabels()[-1].get_text()
    '(overall)'
    """
    data = table.set_index(code)[list(metrics)].astype(float)
    overall = [i for i in data.index if str(i).startswith("(")]
    data = data.loc[[i for i in data.index if i not in overall] + overall]
    height = max(2.5, 0.28 * len(data) + 1.2)
    fig, ax = plt.subplots(figsize=(1.6 * len(metrics) + 2.5, height), layout="constrained")
    sns.heatmap(
        data,
        ax=ax,
        vmin=-1,
        vmax=1,
        cmap="RdYlGn",
        annot=True,
        fmt=".2f",
        cbar_kws={"label": "agreement"},
        linewidths=0.5,
    )
    ax.set_xlabel("")
    ax.set_ylabel("code")
    ax.set_title("Inter-coder agreement per code")
    return fig
