"""The corpus layer: ``study.yaml``, transcript formats, reading transcripts into tidy
``transcripts``/``turns`` tables, corpus statistics, pseudonymisation and leak checks.

Imports only :mod:`dsr_workbench.core`.
"""

from __future__ import annotations

from dsr_workbench.corpus.formats import (
    FORMATS,
    TEXT_VARIANTS,
    Utterance,
    decode,
    format_of,
    format_time,
    parse_file,
    parse_lines,
    parse_time,
    write_transcript,
)
from dsr_workbench.corpus.pseudonymise import (
    LEAK_COLUMNS,
    KeyTerm,
    PseudonymKey,
    check_leaks,
    fold,
    load_key,
    pseudonymise_file,
    pseudonymise_text,
)
from dsr_workbench.corpus.read import (
    READ_COLUMNS,
    TRANSCRIPT_COLUMNS,
    TURN_COLUMNS,
    Transcript,
    load_corpus,
    parse_transcript,
    read_transcript,
    render,
)
from dsr_workbench.corpus.stats import (
    OVERVIEW_COLUMNS,
    corpus_overview,
    filter_turns,
    speaking_shares,
)
from dsr_workbench.corpus.study import (
    KINDS,
    PERSPECTIVES,
    Study,
    find_study,
    load_study,
)

__all__ = [
    "KINDS",
    "PERSPECTIVES",
    "Study",
    "find_study",
    "load_study",
    "FORMATS",
    "TEXT_VARIANTS",
    "Utterance",
    "decode",
    "format_of",
    "format_time",
    "parse_file",
    "parse_lines",
    "parse_time",
    "write_transcript",
    "READ_COLUMNS",
    "TRANSCRIPT_COLUMNS",
    "TURN_COLUMNS",
    "Transcript",
    "load_corpus",
    "parse_transcript",
    "read_transcript",
    "render",
    "OVERVIEW_COLUMNS",
    "corpus_overview",
    "filter_turns",
    "speaking_shares",
    "KeyTerm",
    "LEAK_COLUMNS",
    "PseudonymKey",
    "check_leaks",
    "fold",
    "load_key",
    "pseudonymise_file",
    "pseudonymise_text",
]
