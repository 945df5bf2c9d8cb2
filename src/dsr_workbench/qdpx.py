"""REFI-QDA exchange: import and export QDPX projects and QDC codebooks.

REFI-QDA 1.5 (QDA-XML 1.0 schemas) is how NVivo, ATLAS.ti, MAXQDA, QualCoder and others
exchange projects. This module is the public entry point; the work is split by concern:

=====================================  =========================================================
:mod:`~dsr_workbench.qdpx_read`        :func:`read_qdpx` / :func:`read_qdc`: any tool's file as
                                       a :class:`QdpxProject` (:mod:`~dsr_workbench.qdpx_model`)
:mod:`~dsr_workbench.qdpx_xml`         QDA-XML elements, GUID references, code trees, plain text
:mod:`~dsr_workbench.qdpx_positions`   per-source detection of how positions are counted, and
                                       conversion to our code-point offsets
:mod:`~dsr_workbench.qdpx_safety`      the untrusted archive: zip-slip, zip bombs, XML entities
:mod:`~dsr_workbench.qdpx_codebook`    our codes as REFI ``Code`` elements (GUIDs, description)
:mod:`~dsr_workbench.qdpx_write`       :func:`export_qdpx` / :func:`export_qdc`
:mod:`~dsr_workbench.qdpx_import`      :func:`import_refi`: a file into the study's coding logs
:mod:`~dsr_workbench.qdpx_sources`     which transcript each source is, or which new file
:mod:`~dsr_workbench.qdpx_merge`       matching codes with the codebook; appending new ones
=====================================  =========================================================

Positions: the standard counts Unicode code points from 0, end exclusive; real files differ
(NVivo 12 counts UTF-16 code units over CRLF text). :func:`read_qdpx` checks every selection
against its source text, picks the convention the evidence supports per source, and lists in
``problems`` every coding it cannot place with confidence; every placed coding satisfies
``text[start:end] == quote``. Our exports use the standard and write each coding's quote as
its selection's name, so an importer can check them.

Round trip: ``export_qdpx`` then ``import_refi`` into a study holding the same transcripts
gives the same codebook (ids, names, hierarchy, coding agenda, auto-coding rules) and the
same codings (coder, transcript, span, code, memo). Their origin becomes ``import``.

Examples
--------
A codebook survives the trip through a ``.qdc`` file unchanged:

>>> import pathlib, tempfile
>>> from dsr_workbench.codebook import parse_codebook
>>> book = parse_codebook('''codes:
...   - {id: REL, name: Relational governance, level: dimension}
...   - {id: TRUST, name: Trust, parent: REL, definition: Reliance on the partner.,
...      anchor_examples: [We trust them.], rules: {keywords: [trust]}}''')
>>> path = write_qdc(pathlib.Path(tempfile.mkdtemp()) / "book.qdc", book)
>>> back = read_qdc(path).codebook()
>>> back.codes.equals(book.codes), back.rules.equals(book.rules)
(True, True)
"""

from __future__ import annotations

from dsr_workbench.qdpx_import import ImportPlan, apply_import, import_refi, plan_import, read_refi
from dsr_workbench.qdpx_model import QdpxProject
from dsr_workbench.qdpx_positions import Convention, place_selections
from dsr_workbench.qdpx_read import read_qdc, read_qdpx
from dsr_workbench.qdpx_safety import (
    MAX_MEMBER_SIZE,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_SIZE,
)
from dsr_workbench.qdpx_write import (
    ExportReport,
    codebook_qdc,
    export_qdc,
    export_qdpx,
    project_qdpx,
    write_qdc,
)

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_SIZE",
    "MAX_RATIO",
    "MAX_TOTAL_SIZE",
    "Convention",
    "ExportReport",
    "ImportPlan",
    "QdpxProject",
    "apply_import",
    "codebook_qdc",
    "export_qdc",
    "export_qdpx",
    "import_refi",
    "place_selections",
    "plan_import",
    "project_qdpx",
    "read_qdc",
    "read_qdpx",
    "read_refi",
    "write_qdc",
]
