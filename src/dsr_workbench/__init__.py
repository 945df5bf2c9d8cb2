"""dsr-workbench: qualitative and design-science research in Jupyter.

One subpackage per layer; a layer imports only the layers below it (checked by the
import-linter contract in ``pyproject.toml`` and ``tests/test_layers.py``)::

    cli                 the ``dsr`` command
    widgets             ipywidgets/anywidget views for JupyterLab and Voilà
    build               plan, run, check and index the versioned reports
    plots               figures: DataFrame in, Figure out
    dsr                 the DSR record: evaluation episodes, ratings, requirements, decisions
    analysis | refi     reliability, models, gap, differentiation, trajectories | REFI-QDA
    coding              codebook, coding logs, anchoring, auto-coding, queries
    corpus              study.yaml, transcripts -> tidy tables, pseudonymisation
    core                errors, atomic writes, YAML with line numbers

See ``docs/architecture.md``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
