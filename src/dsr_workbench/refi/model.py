"""The tables a REFI-QDA file is read into: :class:`QdpxProject` and its columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dsr_workbench.coding.codebook import CODE_COLUMNS as BOOK_COLUMNS
from dsr_workbench.coding.codebook import Codebook

__all__ = [
    "CASE_COLUMNS",
    "CODE_COLUMNS",
    "CODING_COLUMNS",
    "NOTE_COLUMNS",
    "PROBLEM_COLUMNS",
    "SET_COLUMNS",
    "SOURCE_COLUMNS",
    "USER_COLUMNS",
    "VARIABLE_COLUMNS",
    "QdpxProject",
]

SOURCE_COLUMNS = [
    "source_id",
    "name",
    "text",
    "convention",
    "n_selections",
    "n_placed",
    "text_from",
]
"""Columns of :attr:`QdpxProject.sources`."""
CODE_COLUMNS = [*BOOK_COLUMNS, "guid", "codable", "id_from"]
"""Columns of :attr:`QdpxProject.codes` (our codebook's, plus guid, codable, id_from)."""
CODING_COLUMNS = [
    "source_id",
    "start",
    "end",
    "code_id",
    "coder",
    "quote",
    "memo",
    "created_at",
    "selection_id",
    "verified",
    "reason",
]
"""Columns of :attr:`QdpxProject.codings`."""
USER_COLUMNS = ["user_id", "name", "id", "coder"]
"""Columns of :attr:`QdpxProject.users`."""
CASE_COLUMNS = ["case_id", "name", "description"]
"""Columns of :attr:`QdpxProject.cases`."""
VARIABLE_COLUMNS = ["owner_id", "owner", "variable", "type", "value"]
"""Columns of :attr:`QdpxProject.variables`."""
NOTE_COLUMNS = ["note_id", "name", "text", "target_id", "target"]
"""Columns of :attr:`QdpxProject.notes`."""
PROBLEM_COLUMNS = ["source_id", "selection_id", "code_id", "coder", "start", "end", "problem"]
"""Columns of :attr:`QdpxProject.problems`."""
SET_COLUMNS = ["set_id", "name", "code_id"]
"""Columns of :attr:`QdpxProject.sets`."""


@dataclass(frozen=True)
class QdpxProject:
    """A REFI-QDA project (or codebook) as tidy tables.

    Attributes
    ----------
    sources
        :data:`SOURCE_COLUMNS`: one row per text source: its GUID, name, stored text (the
        plain text with CRLF / CR line ends turned into LF), the position convention detected
        (e.g. ``utf16/raw/exclusive``; ``<NA>`` without selections), how many selections it has
        and how many were placed, and text_from: the ``.docx`` member its text was extracted
        from when its plain text is missing or empty (else ``<NA>``; see
        :mod:`~dsr_workbench.refi.richtext`).
    codes
        :data:`CODE_COLUMNS`, depth first in file order: code_id (ours, from the description's
        ``Code ID`` line, else made from the name, unique), name, parent (its code_id), level,
        definition, anchor_example, coding_rule, color, guid, codable, id_from
        (``description`` when the id came from a ``Code ID`` line, else ``name``).
    rules
        Auto-coding rules found in descriptions (code_id, rule, value).
    codings
        :data:`CODING_COLUMNS`: source_id, start, end (code points into the source's stored
        text, end exclusive), code_id, coder (``<NA>`` if the file names none), quote
        (``text[start:end]``), memo (its notes), created_at (UTC), selection_id, verified
        (``quote``: the file's quote matched; ``convention``: placed by the convention the
        source's evidence supports; ``unverified``: placed, but nothing in the file confirms
        the place, see reason; ``source``: the whole source is coded), reason (why
        ``unverified``, else ``<NA>``; see :mod:`~dsr_workbench.refi.positions`).
    users
        :data:`USER_COLUMNS`: GUID, name, id (as written) and coder (a name usable as a
        coder: the id if it is one, else the name made safe).
    cases, case_sources, variables
        Cases (:data:`CASE_COLUMNS`), their sources (case_id, source_id), and variable values
        of cases and sources (:data:`VARIABLE_COLUMNS`; owner is ``case`` or ``source``).
    notes
        :data:`NOTE_COLUMNS`: every note, with the GUID and kind (``coding``, ``selection``,
        ``code``, ``source``, ``case``, ``project``) of what refers to it, if anything.
    problems
        :data:`PROBLEM_COLUMNS`: codings that were not placed and why (start/end as written).
    sets
        :data:`SET_COLUMNS`: sets (groups) of codes, one row per member code (not imported:
        our codebook has no sets; an import says they were left out).
    origin, name, path
        The exporting software, the project's name, the file read.
    """

    sources: pd.DataFrame
    codes: pd.DataFrame
    rules: pd.DataFrame
    codings: pd.DataFrame
    users: pd.DataFrame
    cases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CASE_COLUMNS))
    case_sources: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["case_id", "source_id"])
    )
    variables: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VARIABLE_COLUMNS))
    notes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NOTE_COLUMNS))
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))
    sets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SET_COLUMNS))
    origin: str | None = None
    name: str | None = None
    path: Path | None = None

    def codebook(self) -> Codebook:
        """Return the codes as a :class:`~dsr_workbench.coding.codebook.Codebook`."""
        return Codebook(
            codes=self.codes[BOOK_COLUMNS].reset_index(drop=True),
            rules=self.rules.reset_index(drop=True),
            path=self.path,
        )
