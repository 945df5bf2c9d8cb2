"""The agreement heatmap shows the numbers it is given."""

from __future__ import annotations

import pandas as pd

from dsr_workbench.plots.reliability import agreement_heatmap


def test_heatmap_cells_carry_the_values() -> None:
    table = pd.DataFrame(
        {
            "code_id": ["(overall)", "TRUST", "CAP"],
            "alpha": [0.7, 0.81, 0.55],
            "kappa": [0.69, 0.8, 0.5],
            "percent_agreement": [0.9, 0.95, 0.85],
        }
    )
    fig = agreement_heatmap(table)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["TRUST", "CAP", "(overall)"]
    texts = [t.get_text() for t in ax.texts]
    assert texts[:3] == ["0.81", "0.80", "0.95"]
