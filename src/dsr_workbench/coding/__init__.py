"""The coding layer: the codebook, coding events and their append-only logs, the current
codings, anchoring to today's transcripts (and the anchored codings every analysis reads),
text scanning and auto-coding, queries, co-occurrence and the Gioia structure.

Imports :mod:`~dsr_workbench.corpus` and :mod:`~dsr_workbench.core`.
"""

from __future__ import annotations

from dsr_workbench.coding.anchored import (
    ANCHORED_COLUMNS,
    UNPLACED_COLUMNS,
    UNPLACED_TABLE,
    AnchoredCodings,
    anchored_codings,
    load_anchored_codings,
)
from dsr_workbench.coding.anchoring import (
    ANCHOR_COLUMNS,
    CHECK_COLUMNS,
    STATUSES,
    THRESHOLD,
    anchor,
    check_codings,
)
from dsr_workbench.coding.autocode import (
    MATCH_COLUMNS,
    AutoCoding,
    auto_code,
)
from dsr_workbench.coding.co_occurrence import (
    cooccurrence,
)
from dsr_workbench.coding.codebook import (
    CODE_COLUMNS,
    DIFF_COLUMNS,
    KINDS,
    PERSPECTIVES,
    RULE_COLUMNS,
    Codebook,
    codebook_diff,
    load_codebook,
    parse_codebook,
)
from dsr_workbench.coding.codings import (
    CODING_COLUMNS,
    check_codes,
    code_span,
    code_turns,
    fold,
    load_codings,
    memo,
    remove,
)
from dsr_workbench.coding.events import (
    CONTEXT,
    EVENT_FIELDS,
    EVENTS,
    coding_id,
    complete_event,
    log_path,
    make_add_event,
)
from dsr_workbench.coding.gioia import (
    GIOIA_COLUMNS,
    gioia_structure,
)
from dsr_workbench.coding.log import (
    PROBLEM_COLUMNS,
    LogWarning,
    TornLineWarning,
    append_events,
    log_problems,
    read_log,
    read_logs,
)
from dsr_workbench.coding.queries import (
    BY,
    QUOTE_COLUMNS,
    TEST_COLUMNS,
    code_crosstab,
    code_frequencies,
    coded_quotes,
    crosstab_test,
    with_turns,
)
from dsr_workbench.coding.textscan import (
    SEP,
    join_turns,
    keyword_hits,
    keyword_key,
    keyword_regex,
    regex_hits,
)

__all__ = [
    "CODE_COLUMNS",
    "DIFF_COLUMNS",
    "KINDS",
    "PERSPECTIVES",
    "RULE_COLUMNS",
    "Codebook",
    "codebook_diff",
    "load_codebook",
    "parse_codebook",
    "CONTEXT",
    "EVENTS",
    "EVENT_FIELDS",
    "coding_id",
    "complete_event",
    "log_path",
    "make_add_event",
    "PROBLEM_COLUMNS",
    "LogWarning",
    "TornLineWarning",
    "append_events",
    "log_problems",
    "read_log",
    "read_logs",
    "CODING_COLUMNS",
    "check_codes",
    "code_span",
    "code_turns",
    "fold",
    "load_codings",
    "memo",
    "remove",
    "ANCHOR_COLUMNS",
    "CHECK_COLUMNS",
    "STATUSES",
    "THRESHOLD",
    "anchor",
    "check_codings",
    "ANCHORED_COLUMNS",
    "UNPLACED_COLUMNS",
    "UNPLACED_TABLE",
    "AnchoredCodings",
    "anchored_codings",
    "load_anchored_codings",
    "SEP",
    "join_turns",
    "keyword_hits",
    "keyword_key",
    "keyword_regex",
    "regex_hits",
    "MATCH_COLUMNS",
    "AutoCoding",
    "auto_code",
    "BY",
    "QUOTE_COLUMNS",
    "TEST_COLUMNS",
    "code_crosstab",
    "code_frequencies",
    "coded_quotes",
    "crosstab_test",
    "with_turns",
    "cooccurrence",
    "GIOIA_COLUMNS",
    "gioia_structure",
]
