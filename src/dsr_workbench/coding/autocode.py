"""Auto-coding: apply every rule of a codebook to the corpus in one pass.

Rules (see :mod:`dsr_workbench.coding.codebook`):

keyword / phrase
    matches the words case-insensitively as whole words: not preceded or followed by a word
    character (``grep -w`` semantics); whitespace inside a phrase matches any run of
    whitespace. The regex it stands for is :func:`keyword_regex` compiled with
    ``re.IGNORECASE``.
regex
    a Python regex compiled with ``re.IGNORECASE``; empty matches are ignored.
speaker / perspective / kind
    restrict the code's keywords and regexes to turns of these speakers (label or participant
    id), perspectives, or transcript kinds; a code with only these filters codes whole turns.

Every turn is matched on its own text, exactly as a naive scan of each rule over each turn
would (the property test in ``tests/test_autocode.py`` checks this), but the corpus is scanned
once for all keywords and once per regex (see :mod:`dsr_workbench.coding.textscan`).

The matches table (:data:`MATCH_COLUMNS`): transcript_id, turn, code_id, rule (keyword |
regex | turn), pattern (the keyword, regex or filter), start, end (offsets into the
transcript), match (the matched text). One row per (turn, code, span).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from dsr_workbench.coding.anchoring import anchor
from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.coding.codings import fold, make_add_event
from dsr_workbench.coding.events import _sha256
from dsr_workbench.coding.textscan import (
    join_turns,
    keyword_hits,
    keyword_key,
    keyword_regex,
    regex_hits,
)
from dsr_workbench.coding.textscan_engine import engine_name
from dsr_workbench.core.errors import DsrError

__all__ = ["MATCH_COLUMNS", "AutoCoding", "auto_code", "keyword_regex"]

MATCH_COLUMNS: list[str] = [
    "transcript_id",
    "turn",
    "code_id",
    "rule",
    "pattern",
    "start",
    "end",
    "match",
]
"""Columns of :attr:`AutoCoding.matches`."""

_RULE_ORDER = {"keyword": 0, "regex": 1, "turn": 2}


class AutoCoding(NamedTuple):
    """The result of :func:`auto_code`."""

    matches: pd.DataFrame
    """One row per match, columns :data:`MATCH_COLUMNS`."""
    events: list[dict[str, Any]]
    """The ``add`` events to append (empty for a dry run)."""


def _eligible(turns: pd.DataFrame, rules: pd.DataFrame) -> np.ndarray | None:
    """Turns that pass a code's speaker/perspective/kind filters (``None``: no filter)."""
    mask = None
    for rule, columns in (
        ("speaker", ("speaker", "participant_id")),
        ("perspective", ("perspective",)),
        ("kind", ("kind",)),
    ):
        values = set(rules.loc[rules["rule"] == rule, "value"])
        if not values:
            continue
        hit = np.zeros(len(turns), dtype=bool)
        for col in columns:
            hit |= turns[col].isin(values).to_numpy()
        mask = hit if mask is None else mask & hit
    return mask


def _require(turns: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in turns.columns]
    if missing:
        raise DsrError(
            f"turns lack column(s) {', '.join(missing)}",
            hint="pass the turns table of dsr_workbench.corpus.read.load_corpus",
        )


def auto_code(
    turns: pd.DataFrame,
    codebook: Codebook,
    *,
    dry_run: bool = True,
    coder: str | None = None,
    transcripts: pd.DataFrame | None = None,
    unit: Literal["match", "turn"] = "match",
    log_events: pd.DataFrame | None = None,
    engine: Literal["auto", "hyperscan", "python"] | None = None,
) -> AutoCoding:
    r"""Apply every auto-coding rule of a codebook to the turns, in one pass over the corpus.

    Parameters
    ----------
    turns
        The ``turns`` table (transcript_id, turn, start, end, text; speaker, participant_id,
        perspective, kind where rules filter on them).
    codebook
        The codebook whose ``rules`` are applied.
    dry_run
        Only preview the matches (default); otherwise also build the events to append.
    coder
        The coder the events are recorded for (required unless ``dry_run``).
    transcripts
        The ``transcripts`` table (transcript_id, text, sha256; required unless ``dry_run``).
    unit
        ``"match"``: an event codes the matched words; ``"turn"``: the whole turn (one event
        per turn and code).
    log_events
        The coder's log (:func:`dsr_workbench.coding.codings.read_log`): codings that are or ever
        were in it are not proposed again, so a re-run adds only new matches and a reviewer's
        removal sticks; nor are spans where one of the coder's current codings of the code now
        lies after re-anchoring to ``transcripts`` (a transcript edited since: the coding moved,
        it is not made twice). Append the events with
        ``append_events(log, events, only_new=True)`` so that concurrent runs add each once.
    engine
        The keyword scanner: ``"hyperscan"`` (candidates from the Hyperscan library, checked in
        numpy; :mod:`dsr_workbench.coding.textscan_engine`), ``"python"`` (a trie regex in
        ``re``) or ``"auto"`` (Hyperscan when the ``hyperscan`` package is installed).
        ``None`` (default) reads the environment variable ``DSR_AUTOCODE_ENGINE``
        (``auto`` | ``hyperscan`` | ``python``; unset means ``auto``), so
        ``DSR_AUTOCODE_ENGINE=python`` forces the fallback. Both give the same matches.

    Returns
    -------
    AutoCoding
        ``matches`` (columns :data:`MATCH_COLUMNS`, in corpus order) and ``events`` (``add``
        events with origin ``rule:<code_id>``; empty for a dry run).

    Raises
    ------
    DsrError
        A column is missing; ``coder``/``transcripts`` missing when not a dry run; a turn's
        text does not match its transcript; an unknown ``engine``, or ``"hyperscan"`` where
        it is not installed.

    Examples
    --------
    >>> from dsr_workbench.coding.codebook import parse_codebook
    >>> book = parse_codebook(r'''codes:
    ...   - {id: TRUST, name: Trust, rules: {keywords: [trust, open book]}}
    ...   - {id: QA, name: Quality, rules: {regex: ['\baudit\w*'], perspectives: [client]}}''')
    >>> turns = pd.DataFrame({
    ...     "transcript_id": "I01", "turn": [1, 2], "start": [5, 30], "end": [22, 60],
    ...     "text": ["Do you trust them?", "Trust, yes: open  book audits."],
    ...     "speaker": ["Kim", "Hannah"], "participant_id": ["R1", "P01"],
    ...     "perspective": ["researcher", "client"], "kind": "interview"})
    >>> auto_code(turns, book).matches
      transcript_id  turn code_id     rule       pattern  start  end       match
    0           I01     1   TRUST  keyword         trust     12   17       trust
    1           I01     2   TRUST  keyword         trust     30   35       Trust
    2           I01     2   TRUST  keyword     open book     42   52  open  book
    3           I01     2      QA    regex  \baudit\w*     53   59      audits
    """
    _require(turns, ("transcript_id", "turn", "start", "end", "text"))
    rules = codebook.rules
    used = set(rules["rule"])
    _require(
        turns,
        [
            c
            for r, cs in (
                ("speaker", ("speaker", "participant_id")),
                ("perspective", ("perspective",)),
                ("kind", ("kind",)),
            )
            if r in used
            for c in cs
        ],
    )
    if not dry_run and (coder is None or transcripts is None):
        raise DsrError(
            "auto_code needs coder= and transcripts= unless dry_run=True",
            hint="pass the coder's name and the transcripts table",
        )
    engine_name(engine)  # an unknown or missing engine is an error even without keywords
    texts = turns["text"].tolist()
    if not all(type(t) is str for t in texts):
        texts = [str(t) for t in texts]
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    joined, jstart = join_turns(texts)
    codes = list(codebook.codes["code_id"])
    code_pos = {c: i for i, c in enumerate(codes)}
    patterns: list[str] = []  # the ``pattern`` column, by index
    parts: list[tuple[np.ndarray, ...]] = []  # (turn, start, end, code, rule, pattern) arrays

    words = rules.loc[(rules["rule"] == "keyword").to_numpy(), ["code_id", "value"]]
    if len(words) and len(texts):
        words = words.assign(key=[keyword_key(v) for v in words["value"]])
        words = words.drop_duplicates(["code_id", "key"])
        keys = list(dict.fromkeys(words["key"]))
        key_pos = {k: i for i, k in enumerate(keys)}
        # for each key, the (code, pattern) pairs it stands for, as CSR arrays
        kix = words["key"].map(key_pos).to_numpy(dtype=np.int64)
        order = np.argsort(kix, kind="stable")
        w_code = np.array([code_pos[c] for c in words["code_id"]], dtype=np.int64)[order]
        w_pat = np.arange(len(patterns), len(patterns) + len(words), dtype=np.int64)[order]
        patterns.extend(words["value"])
        first = np.searchsorted(kix[order], np.arange(len(keys)))
        count = np.bincount(kix, minlength=len(keys))
        s, e, k = (np.asarray(x, dtype=np.int64) for x in keyword_hits(joined, keys, engine=engine))
        n = count[k]
        row = np.repeat(first[k], n) + _ramp(n)
        s, e = np.repeat(s, n), np.repeat(e, n)
        tix = np.searchsorted(jstart, s, side="right") - 1
        parts.append(
            (tix, s - jstart[tix], e - jstart[tix], w_code[row], np.full(len(s), 0), w_pat[row])
        )
    regexes = rules.loc[(rules["rule"] == "regex").to_numpy(), ["code_id", "value"]]
    for pattern, group in regexes.drop_duplicates().groupby("value", sort=False):
        t, a, b = (
            np.asarray(x, dtype=np.int64) for x in regex_hits(str(pattern), texts, joined, jstart)
        )
        patterns.append(str(pattern))
        for code in group["code_id"]:
            parts.append(
                (
                    t,
                    a,
                    b,
                    np.full(len(t), code_pos[code]),
                    np.full(len(t), 1),
                    np.full(len(t), len(patterns) - 1),
                )
            )
    eligible: dict[int, np.ndarray] = {}
    filtered = rules.loc[rules["rule"].isin(["speaker", "perspective", "kind"]).to_numpy()]
    matching = set(rules.loc[rules["rule"].isin(["keyword", "regex"]).to_numpy(), "code_id"])
    for code, own in filtered.groupby("code_id", sort=False):
        mask = _eligible(turns, own)
        if mask is None:
            continue
        eligible[code_pos[str(code)]] = mask
        if code not in matching:
            which = np.flatnonzero(mask)
            patterns.append(
                "; ".join(f"{r}={v}" for r, v in zip(own["rule"], own["value"], strict=True))
            )
            parts.append(
                (
                    which,
                    np.zeros(len(which), np.int64),
                    lens[which],
                    np.full(len(which), code_pos[str(code)]),
                    np.full(len(which), 2),
                    np.full(len(which), len(patterns) - 1),
                )
            )
    matches = _assemble(parts, turns, joined, jstart, eligible, codes, patterns)
    if dry_run:
        return AutoCoding(matches, [])
    return AutoCoding(matches, _events(matches, turns, transcripts, str(coder), unit, log_events))


def _ramp(n: np.ndarray) -> np.ndarray:
    """``[0..n0-1, 0..n1-1, ...]`` for counts ``n``."""
    total = int(n.sum())
    if total == len(n):
        return np.zeros(total, dtype=np.int64)
    ends = np.cumsum(n)
    return np.arange(total, dtype=np.int64) - np.repeat(ends - n, n)


def _assemble(
    parts: list[tuple[np.ndarray, ...]],
    turns: pd.DataFrame,
    joined: str,
    jstart: np.ndarray,
    eligible: dict[int, np.ndarray],
    codes: list[str],
    patterns: list[str],
) -> pd.DataFrame:
    t, a, b, c, r, p = (
        np.concatenate([part[i] for part in parts]).astype(np.int64)
        if parts
        else np.zeros(0, np.int64)
        for i in range(6)
    )
    keep = np.ones(len(t), dtype=bool)
    for code, mask in eligible.items():
        rows = c == code
        keep[rows] = mask[t[rows]]
    t, a, b, c, r, p = (x[keep] for x in (t, a, b, c, r, p))
    order = np.lexsort((r, c, b, a, t))
    t, a, b, c, r, p = (x[order] for x in (t, a, b, c, r, p))
    first = np.ones(len(t), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (c[1:] != c[:-1])
    t, a, b, c, r, p = (x[first] for x in (t, a, b, c, r, p))
    offset = turns["start"].to_numpy(dtype=np.int64)[t]
    at = jstart[t]
    return pd.DataFrame(
        {
            "transcript_id": turns["transcript_id"].astype("str").array.take(t),
            "turn": turns["turn"].to_numpy(dtype=np.int64)[t],
            "code_id": _strings(codes).take(c),
            "rule": _strings(list(_RULE_ORDER)).take(r),
            "pattern": _strings(patterns + [""]).take(p),
            "start": offset + a,
            "end": offset + b,
            "match": pd.array(
                list(map(joined.__getitem__, map(slice, (at + a).tolist(), (at + b).tolist()))),
                dtype="str",
            ),
        }
    )


def _strings(values: Any) -> Any:
    """``values`` as a pandas ``str`` array (to ``take`` rows from in C)."""
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def _events(
    matches: pd.DataFrame,
    turns: pd.DataFrame,
    transcripts: pd.DataFrame | None,
    coder: str,
    unit: str,
    log_events: pd.DataFrame | None,
) -> list[dict[str, Any]]:
    if unit not in ("match", "turn"):
        raise DsrError(f"unit {unit!r} is not 'match' or 'turn'")
    assert transcripts is not None
    spans = matches[["transcript_id", "turn", "code_id", "start", "end"]]
    if unit == "turn":
        bounds = turns.set_index(["transcript_id", "turn"])[["start", "end"]]
        spans = spans.drop_duplicates(["transcript_id", "turn", "code_id"])
        spans = spans.drop(columns=["start", "end"]).join(bounds, on=["transcript_id", "turn"])
    seen = set() if log_events is None else set(log_events["coding_id"].dropna())
    placed = set() if log_events is None else _placed_spans(log_events, transcripts)
    by_id = {
        tid: {"transcript_id": tid, "text": text, "sha256": digest}
        for tid, text, digest in zip(
            transcripts["transcript_id"],
            transcripts["text"],
            transcripts.get("sha256", [None] * len(transcripts)),
            strict=True,
        )
    }
    events = []
    for tid, code, a, b in zip(
        spans["transcript_id"], spans["code_id"], spans["start"], spans["end"], strict=True
    ):
        if tid not in by_id:
            raise DsrError(f"transcript {tid!r} of a turn is not in the transcripts table")
        if (tid, int(a), int(b), code) in placed:
            continue
        event = make_add_event(by_id[tid], int(a), int(b), code, coder=coder, origin=f"rule:{code}")
        if event["coding_id"] not in seen:
            seen.add(event["coding_id"])
            events.append(event)
    return events


def _placed_spans(log_events: pd.DataFrame, transcripts: pd.DataFrame) -> set[tuple[Any, ...]]:
    """(transcript_id, start, end, code_id) of the log's current codings, re-anchored."""
    if not len(log_events):
        return set()
    if "sha256" not in transcripts.columns:
        transcripts = transcripts.assign(sha256=[_sha256(str(t)) for t in transcripts["text"]])
    current = anchor(fold(log_events), transcripts)
    current = current.loc[(current["status"] != "lost").to_numpy()]
    return set(
        zip(
            current["transcript_id"],
            current["start"].astype("int64"),
            current["end"].astype("int64"),
            current["code_id"],
            strict=True,
        )
    )
