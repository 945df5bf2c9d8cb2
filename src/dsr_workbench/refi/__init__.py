"""REFI-QDA exchange: import and export QDPX projects and QDC codebooks.

REFI-QDA 1.5 (QDA-XML 1.0 schemas) is how NVivo, ATLAS.ti, MAXQDA, QualCoder and others
exchange projects. This package is the public entry point; the work is split by concern:

=====================================  =========================================================
:mod:`~dsr_workbench.refi.read`        :func:`read_qdpx` / :func:`read_qdc`: any tool's file as
                                       a :class:`QdpxProject` (:mod:`~dsr_workbench.refi.model`)
:mod:`~dsr_workbench.refi.qdaxml`      QDA-XML elements, GUID references, code trees, plain text
:mod:`~dsr_workbench.refi.positions`   per-source detection of how positions are counted, and
                                       conversion to our code-point offsets
:mod:`~dsr_workbench.refi.richtext`    a source's text: its plain text, else its ``.docx``
:mod:`~dsr_workbench.refi.safety`      the untrusted archive: zip-slip, zip bombs, XML entities
:mod:`~dsr_workbench.refi.codebook`    our codes as REFI ``Code`` elements (GUIDs, description)
:mod:`~dsr_workbench.refi.write`       :func:`export_qdpx` / :func:`export_qdc`
:mod:`~dsr_workbench.refi.importing`   :func:`import_refi`: a file into the study's coding logs
:mod:`~dsr_workbench.refi.sources`     which transcript each source is, or which new file
:mod:`~dsr_workbench.refi.merge`       matching codes with the codebook; appending new ones
=====================================  =========================================================

Positions: the standard counts Unicode code points from 0, end exclusive; real files differ
(NVivo 12 counts UTF-16 code units over CRLF text). :func:`read_qdpx` checks every selection
against its source text and picks the convention the evidence supports per source. A coding
the evidence cannot place with confidence (no quote to check) is placed by the standard and
marked ``unverified`` with the reason; only one outside its source's text is listed in
``problems``. Every placed coding satisfies ``text[start:end] == quote``. Our exports use the
standard and write each coding's quote as its selection's name, so an importer can check them.

Round trip: ``export_qdpx`` then ``import_refi`` into a study holding the same transcripts
gives the same codebook (ids, names, hierarchy, coding agenda, auto-coding rules) and the
same codings (coder, transcript, span, code, memo). Their origin becomes ``import``. A coding
imported unverified keeps its ``"verified": false`` in the study's log, but REFI-QDA has no
field for it: our export writes its quote like any other, so a re-import checks the span
against that quote (which proves export and import agree, not that the first placement was
right) and, into another study, the coding arrives verified.

Examples
--------
A codebook survives the trip through a ``.qdc`` file unchanged:

>>> import pathlib, tempfile
>>> from dsr_workbench.coding.codebook import parse_codebook
>>> book = parse_codebook('''codes:
...   - {id: REL, name: Relational governance, level: dimension}
...   - {id: TRUST, name: Trust, parent: REL, definition: Reliance on the partner.,
...      anchor_examples: [We trust them.], rules: {keywords: [trust]}}''')
>>> path = write_qdc(pathlib.Path(tempfile.mkdtemp()) / "book.qdc", book)
>>> back = read_qdc(path).codebook()
>>> back.codes.equals(book.codes), back.rules.equals(book.rules)
(True, True)

The REFI-QDA exchange layer: read any tool's QDPX/QDC (a hostile archive until proven
safe), export ours, and import a project into the study's coding logs.

Imports :mod:`~dsr_workbench.coding`, :mod:`~dsr_workbench.corpus`, :mod:`~dsr_workbench.core`.
"""

from __future__ import annotations

from dsr_workbench.refi.codebook import (
    NAMESPACE,
    RULE_LABELS,
    code_guid,
    describe_code,
    guid_for,
    parse_description,
    slug,
    unique,
)
from dsr_workbench.refi.importing import (
    IMPORT_PROBLEM_COLUMNS,
    SOURCE_PLAN_COLUMNS,
    UNVERIFIED_COLUMNS,
    ImportPlan,
    apply_import,
    import_refi,
    plan_import,
    read_refi,
)
from dsr_workbench.refi.merge import (
    CODE_PLAN_COLUMNS,
    append_codes,
    merge_codes,
)
from dsr_workbench.refi.model import (
    CASE_COLUMNS,
    CODE_COLUMNS,
    CODING_COLUMNS,
    NOTE_COLUMNS,
    PROBLEM_COLUMNS,
    SET_COLUMNS,
    SOURCE_COLUMNS,
    USER_COLUMNS,
    VARIABLE_COLUMNS,
    QdpxProject,
)
from dsr_workbench.refi.positions import (
    CONVENTIONS,
    PLACEMENT_COLUMNS,
    STANDARD,
    Convention,
    Placement,
    place_selections,
    stored_text,
)
from dsr_workbench.refi.qdaxml import (
    GuidRegistry,
    decode_text,
    kid,
    kid_text,
    kids,
    local,
    norm_guid,
    parse_codes,
    parse_sets,
    plain_text,
    timestamp,
)
from dsr_workbench.refi.read import (
    read_qdc,
    read_qdpx,
)
from dsr_workbench.refi.richtext import SourceText, docx_text, source_text
from dsr_workbench.refi.safety import (
    MAX_MEMBER_SIZE,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_SIZE,
    MAX_XML_FILE_SIZE,
    RATIO_FLOOR,
    SafeArchive,
    check_member_name,
    parse_xml,
)
from dsr_workbench.refi.sources import (
    EDITED_OVERLAP,
    plan_sources,
    sha256_text,
)
from dsr_workbench.refi.write import (
    CODEBOOK_NS,
    ORIGIN,
    PROJECT_NS,
    SKIPPED_COLUMNS,
    ExportReport,
    codebook_qdc,
    export_qdc,
    export_qdpx,
    project_qdpx,
    write_qdc,
)

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
    "MAX_MEMBERS",
    "MAX_MEMBER_SIZE",
    "MAX_RATIO",
    "MAX_TOTAL_SIZE",
    "MAX_XML_FILE_SIZE",
    "RATIO_FLOOR",
    "SafeArchive",
    "check_member_name",
    "parse_xml",
    "CONVENTIONS",
    "PLACEMENT_COLUMNS",
    "STANDARD",
    "Convention",
    "Placement",
    "place_selections",
    "stored_text",
    "NAMESPACE",
    "RULE_LABELS",
    "code_guid",
    "describe_code",
    "guid_for",
    "parse_description",
    "slug",
    "unique",
    "GuidRegistry",
    "decode_text",
    "kid",
    "kid_text",
    "kids",
    "local",
    "norm_guid",
    "parse_codes",
    "parse_sets",
    "plain_text",
    "timestamp",
    "read_qdc",
    "read_qdpx",
    "SourceText",
    "docx_text",
    "source_text",
    "CODEBOOK_NS",
    "ORIGIN",
    "PROJECT_NS",
    "SKIPPED_COLUMNS",
    "ExportReport",
    "codebook_qdc",
    "export_qdc",
    "export_qdpx",
    "project_qdpx",
    "write_qdc",
    "EDITED_OVERLAP",
    "plan_sources",
    "sha256_text",
    "CODE_PLAN_COLUMNS",
    "append_codes",
    "merge_codes",
    "IMPORT_PROBLEM_COLUMNS",
    "SOURCE_PLAN_COLUMNS",
    "UNVERIFIED_COLUMNS",
    "ImportPlan",
    "apply_import",
    "import_refi",
    "plan_import",
    "read_refi",
]
