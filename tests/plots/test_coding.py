"""Tests of dsr_workbench.plots.coding: the Gioia figure and the co-occurrence heatmap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from dsr_workbench.coding.codebook import parse_codebook
from dsr_workbench.coding.gioia import gioia_structure
from dsr_workbench.core.errors import DsrError
from dsr_workbench.plots.coding import cooccurrence_heatmap, gioia_figure

BOOK = parse_codebook("""\
codes:
  - {id: D1, name: Relational governance}
  - {id: T1, name: Trust building, parent: D1}
  - {id: C1, name: Open books, parent: T1, anchor_examples: [They show us their costs.]}
  - {id: C2, name: Kept promises, parent: T1}
  - {id: T2, name: Routines, parent: D1}
  - {id: C3, name: Weekly calls, parent: T2}
  - {id: D2, name: Differentiation}
""")


def boxed(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts if t.get_bbox_patch() is not None]


def test_gioia_figure_draws_one_box_per_code_and_links():
    fig = gioia_figure(gioia_structure(BOOK))
    assert isinstance(fig, Figure)
    assert sorted(boxed(fig)) == sorted(
        [
            "Relational governance",
            "Trust building",
            "Open books",
            "Kept promises",
            "Routines",
            "Weekly calls",
            "Differentiation",
        ]
    )
    # 3 concept->theme links and 2 theme->dimension links
    assert len(fig.axes[0].lines) == 5


def test_gioia_figure_with_quotes_prints_exemplars():
    fig = gioia_figure(gioia_structure(BOOK), quotes=True)
    italic = [t.get_text() for t in fig.axes[0].texts if t.get_style() == "italic"]
    assert italic == ["“They show us their costs.”"]


def test_gioia_figure_needs_the_structure_columns():
    with pytest.raises(DsrError, match="structure lacks column"):
        gioia_figure(pd.DataFrame({"concept": ["x"]}))


def test_heatmap_uses_names_and_shows_the_lower_triangle():
    m = pd.DataFrame(
        [[3, 2, 1], [2, 2, 0], [1, 0, 4]], index=["C1", "C2", "C3"], columns=["C1", "C2", "C3"]
    )
    fig = cooccurrence_heatmap(m, codebook=BOOK)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Kept promises", "Weekly calls"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Open books", "Kept promises"]
    values = sorted(t.get_text() for t in ax.texts)
    assert values == ["0", "1", "2"]
    full = cooccurrence_heatmap(m, triangle=False, annot=False)
    assert len(full.axes[0].texts) == 0
    assert np.array_equal(full.axes[0].collections[0].get_array().reshape(3, 3), m.to_numpy())


def test_heatmap_needs_a_square_matrix():
    with pytest.raises(DsrError, match="must be square"):
        cooccurrence_heatmap(pd.DataFrame([[1, 2]]))
