"""Tests of dsr_workbench.coding.events: building and checking coding events."""

from __future__ import annotations

import pytest

from dsr_workbench.coding.events import (
    EVENT_FIELDS,
    coding_id,
    complete_event,
    log_path,
    make_add_event,
)
from dsr_workbench.core.errors import DsrError

TEXT = "Kim: Why Gamma?\n\nHannah: We trust them. Their audits are open."
TRANSCRIPT = {"transcript_id": "I01", "text": TEXT, "sha256": "h1"}


def span(word: str) -> tuple[int, int]:
    start = TEXT.index(word)
    return start, start + len(word)


@pytest.mark.parametrize("start,end", [(-1, 5), (60, 999), (10, 10), (12, 8)])
def test_offsets_outside_the_transcript_are_refused(start, end):
    with pytest.raises(DsrError, match=r"outside transcript I01 \(0\.\.62\) or empty"):
        make_add_event(TRANSCRIPT, start, end, "TRUST", coder="R1")


def test_quote_that_does_not_match_the_text_is_refused():
    with pytest.raises(DsrError, match="quote 'trusts' does not match the text at"):
        make_add_event(TRANSCRIPT, *span("trust"), "TRUST", coder="R1", quote="trusts")


def test_non_integer_offsets_are_refused():
    with pytest.raises(DsrError, match="are not integers"):
        make_add_event(TRANSCRIPT, "a", 5, "TRUST", coder="R1")


def test_bad_coder_name_and_origin():
    with pytest.raises(DsrError, match="cannot name a log file"):
        log_path("data", "../evil")
    with pytest.raises(DsrError, match="origin 'robot' is not known"):
        make_add_event(TRANSCRIPT, 0, 3, "X", coder="R1", origin="robot")


def test_add_event_has_quote_context_and_a_stable_id():
    event = make_add_event(TRANSCRIPT, *span("audits"), "AUDIT", coder="R1", origin="rule:AUDIT")
    assert [k for k in EVENT_FIELDS if k in event] == list(event)
    assert (event["quote"], event["prefix"], event["suffix"]) == (
        "audits",
        "\nHannah: We trust them. Their ",  # CONTEXT = 30 characters
        " are open.",
    )
    assert event["coding_id"] == coding_id("R1", "I01", *span("audits"), "AUDIT")
    assert coding_id("R2", "I01", *span("audits"), "AUDIT") != event["coding_id"]
    assert event["sha256"] == "h1" and event["timestamp"].endswith("Z")


def test_complete_event_checks_fields_kind_and_coder():
    with pytest.raises(DsrError, match="unknown field"):
        complete_event({"event": "memo", "coding_id": "c", "memo": "m", "note": 1}, "R1", None)
    with pytest.raises(DsrError, match="event kind 'edit' is not add, remove or memo"):
        complete_event({"event": "edit", "coding_id": "c"}, "R1", None)
    with pytest.raises(DsrError, match="cannot go to the log of 'R1'"):
        complete_event({"event": "memo", "coding_id": "c", "memo": "m", "coder": "R2"}, "R1", None)
    with pytest.raises(DsrError, match="memo event lacks memo"):
        complete_event({"event": "memo", "coding_id": "c"}, "R1", None)


def test_an_unverified_coding_carries_verified_false_and_only_then():
    a, b = span("trust")
    flagged = make_add_event(TRANSCRIPT, a, b, "TRUST", coder="R1", verified=False)
    plain = make_add_event(TRANSCRIPT, a, b, "TRUST", coder="R1")
    assert flagged["verified"] is False and list(flagged)[-1] == "verified"
    assert "verified" not in plain  # events without the flag are as they always were
    assert complete_event(flagged, "R1", None)["verified"] is False
    assert "verified" not in complete_event({**plain, "verified": True}, "R1", None)


@pytest.mark.parametrize(
    "event",
    [
        {"event": "remove", "coding_id": "c1", "verified": False},
        {"event": "add", "coding_id": "c1", "verified": "no"},
    ],
)
def test_verified_is_only_false_and_only_on_an_add_event(event):
    with pytest.raises(DsrError, match="verified .* is not allowed"):
        complete_event(event, "R1", None)
