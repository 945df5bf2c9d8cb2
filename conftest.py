"""Root conftest: names available to docstring examples (``--doctest-modules``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    doctest_namespace["EXAMPLE_STUDY"] = ROOT / "study.yaml"
