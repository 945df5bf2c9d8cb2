"""Small helpers of the coding view: a coder's current codings and the inverse events of undo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dsr_workbench.coding.codings import CODING_COLUMNS, fold, read_log
from dsr_workbench.coding.events import EVENT_FIELDS

_APPEND_FIELDS = ("event", "event_id", "coder", "timestamp")
"""Fields of an event that the append sets, never copied from the coding being restored."""


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=CODING_COLUMNS)


def _codings_of(log: Path) -> pd.DataFrame:
    return fold(read_log(log)) if log.exists() else _empty()


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _remove_of(event: dict[str, Any]) -> dict[str, Any]:
    keys = ("coding_id", "transcript_id", "start", "end", "code_id")
    return {"event": "remove", **{k: event[k] for k in keys}, "memo": "undo"}


def _add_of(row: pd.Series) -> dict[str, Any]:
    """The add event that brings a removed coding back, as it was (same coding id)."""
    # every field of an add event the coding row carries; who and when are the new append's
    keys = [k for k in EVENT_FIELDS if k in row.index and k not in _APPEND_FIELDS]
    event: dict[str, Any] = {"event": "add"}
    for key in keys:
        value = row[key]
        if key == "verified":  # a boolean column of the codings: only false is written
            if isinstance(value, (bool, np.bool_)) and not value:
                event[key] = False
            continue
        if isinstance(value, str) or (value is not None and not pd.isna(value)):
            event[key] = int(value) if key in ("start", "end") else str(value)
    return event
