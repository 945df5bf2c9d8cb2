"""dsr-workbench: qualitative and design-science research in Jupyter.

The library is layered (arrows point down only)::

    cli, widgets            thin front ends
    build, artifacts        papermill batch build, versioned artifact folders
    plots                   figures: DataFrame in, Figure out
    analyses                reliability, models, gap, segmentation, trajectories, evaluation
    coding, codebook, qdpx  codings, codebook, REFI-QDA exchange
    corpus                  transcripts -> tidy tables; pseudonymisation
    study                   study.yaml
    errors                  the project's error types

See ``docs/architecture.md``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
