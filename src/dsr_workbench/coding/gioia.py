"""The Gioia data structure: aggregate dimensions > second-order themes > first-order concepts.

Gioia, Corley & Hamilton (2013), "Seeking qualitative rigor in inductive research",
*Organizational Research Methods* 16(1), 15-31: the data structure shows how first-order
concepts (informant-centric codes) group into second-order themes and aggregate dimensions.
"""

from __future__ import annotations

import pandas as pd

from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.coding.queries import _need

__all__ = ["GIOIA_COLUMNS", "gioia_structure"]

GIOIA_COLUMNS: list[str] = [
    "dimension_id",
    "dimension",
    "theme_id",
    "theme",
    "concept_id",
    "concept",
    "n_codings",
    "exemplar",
    "exemplar_source",
]
"""Columns of :func:`gioia_structure`."""


def _gioia_levels(codebook: Codebook) -> pd.DataFrame:
    depth = codebook.depth()
    rows: list[tuple[str, str | None, str | None]] = []
    for code in codebook.codes["code_id"]:
        if depth[code] != 0:
            continue
        themes = codebook.children(code)
        if not themes:
            rows.append((code, None, None))
        for theme in themes:
            concepts = codebook.children(theme)
            if not concepts:
                rows.append((code, theme, None))
            rows.extend((code, theme, concept) for concept in concepts)
    return pd.DataFrame(rows, columns=["dimension_id", "theme_id", "concept_id"])


def gioia_structure(codebook: Codebook, codings: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Gioia data structure: aggregate dimensions > second-order themes > concepts.

    Levels come from the tree: roots are aggregate dimensions, their children second-order
    themes, their grandchildren first-order concepts (deeper codes count for their concept).
    The exemplar of a concept is the quote most coders coded with it (ties: a readable quote
    of 40–300 characters, closest to 160, then the first in the corpus); without codings, the
    concept's first anchor example.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GIOIA_COLUMNS`, one row per concept in codebook order (a theme without
        concepts, or a dimension without themes, gets one row with ``<NA>`` below it);
        ``n_codings`` counts the codings of the concept and its sub-codes; exemplar_source is
        ``coding``, ``codebook`` or ``<NA>``.

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook('''codes:
    ...   - {id: D1, name: Relational governance}
    ...   - {id: T1, name: Trust building, parent: D1}
    ...   - {id: C1, name: Open books, parent: T1, anchor_examples: [They show us their costs.]}
    ...   - {id: C2, name: Keeping promises, parent: T1}''')
    >>> codings = pd.DataFrame({"code_id": ["C2", "C2"], "coder": ["R1", "R2"],
    ...     "transcript_id": "I01", "start": 5, "end": 30, "quote": "They delivered as promised"})
    >>> gioia_structure(book, codings)[["theme", "concept", "n_codings", "exemplar"]]
                theme           concept  n_codings                    exemplar
    0  Trust building        Open books          0    They show us their costs.
    1  Trust building  Keeping promises          2  They delivered as promised
    """
    levels = _gioia_levels(codebook)
    codes = codebook.codes.set_index("code_id")
    for level in ("dimension", "theme", "concept"):
        levels[level] = levels[f"{level}_id"].map(codes["name"])
    counts: dict[str, int] = {}
    exemplars: dict[str, str] = {}
    if codings is not None and len(codings):
        _need(codings, ("code_id", "coder", "transcript_id", "start", "end", "quote"), "codings")
        depth = codebook.depth()
        owner = {}
        for code in codebook.codes["code_id"]:
            chain = [code, *codebook.ancestors(code)]
            if depth[code] >= 2:
                owner[code] = chain[depth[code] - 2]
        picked = codings.assign(concept=codings["code_id"].map(owner))
        picked = picked.loc[picked["concept"].notna().to_numpy()]
        counts = picked.groupby("concept").size().to_dict()
        spans = (
            picked.groupby(["concept", "transcript_id", "start", "end", "quote"])["coder"]
            .nunique()
            .rename("coders")
            .reset_index()
        )
        length = spans["quote"].str.len()
        spans = spans.assign(
            readable=length.between(40, 300),  # a sentence or two, not a fragment or a page
            distance=(length - 160).abs(),
        ).sort_values(
            ["concept", "coders", "readable", "distance", "transcript_id", "start"],
            ascending=[True, False, False, True, True, True],
            kind="stable",
        )
        exemplars = spans.drop_duplicates("concept").set_index("concept")["quote"].to_dict()
    levels["n_codings"] = levels["concept_id"].map(counts).fillna(0).astype("int64")
    anchors = codes["anchor_example"].dropna().map(lambda s: s.split("\n")[0])
    coded = levels["concept_id"].map(exemplars)
    fallback = levels["concept_id"].map(anchors)
    levels["exemplar"] = coded.where(coded.notna(), fallback)
    source = pd.Series(None, index=levels.index, dtype=object)
    source[fallback.notna().to_numpy()] = "codebook"
    source[coded.notna().to_numpy()] = "coding"
    levels["exemplar_source"] = source
    return levels[GIOIA_COLUMNS]
