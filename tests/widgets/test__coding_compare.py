"""Tests of dsr_workbench.widgets._coding_compare: the compare-coders table's payload."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dsr_workbench.analysis.reliability_codings import per_code_agreement, reliability_data
from dsr_workbench.widgets._coding_compare import compare_transcript

TEXT = "We trust Gamma now"


def _turns(text: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"transcript_id": "I01", "turn": [1], "start": [0], "end": [len(text)], "text": [text]}
    )


def _codings(rows: list[tuple[str, str, int, int]], text: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "transcript_id": "I01",
                "coder": coder,
                "code_id": code,
                "start": a,
                "end": b,
                "quote": text[a:b],
            }
            for coder, code, a, b in rows
        ]
    )


def test_an_undefined_alpha_is_none_with_the_reliability_modules_reason() -> None:
    """Both coders applied TRUST to every character: 100 % agreement, alpha 0/0 — the payload
    says None (shown "–"), never nan or -0.00, and carries the reason for the tooltip."""
    n = len(TEXT)
    codings = _codings([("R1", "TRUST", 0, n), ("R2", "TRUST", 0, n), ("R1", "X", 3, 8)], TEXT)
    comparison = compare_transcript(codings, _turns(TEXT), "I01", ("R1", "R2"))
    rows = {r["code"]: r for r in comparison.agreement_payload({"TRUST": "Trust"})}
    trust = rows["TRUST"]
    assert (trust["name"], trust["alpha"], trust["kappa"], trust["pct"]) == (
        "Trust",
        None,
        None,
        1.0,
    )
    assert "undefined" in trust["note"] and "only one value" in trust["note"]
    expected = comparison.agreement.set_index("code_id").loc["TRUST", "note"]
    assert trust["note"] == expected  # the reliability module's words, not the widget's
    # a code with variation has its statistics and no note
    assert rows["X"]["alpha"] is not None and rows["X"]["note"] == ""
    assert rows["(overall)"]["alpha"] is not None and rows["(overall)"]["note"] == ""


def test_the_values_are_the_reliability_modules() -> None:
    codings = _codings([("R1", "TRUST", 3, 8), ("R2", "TRUST", 3, 14), ("R2", "X", 0, 2)], TEXT)
    comparison = compare_transcript(codings, _turns(TEXT), "I01", ("R1", "R2"))
    data = reliability_data(codings, _turns(TEXT), unit="char", coders=["R1", "R2"])
    expected = per_code_agreement(data).set_index("code_id")
    for row in comparison.agreement_payload({}):
        want = expected.loc[row["code"]]
        assert row["alpha"] == pytest.approx(round(float(want["alpha"]), 3))
        assert row["kappa"] == pytest.approx(round(float(want["kappa"]), 3))
        assert row["pct"] == pytest.approx(round(float(want["percent_agreement"]), 3))


def test_a_tiny_negative_alpha_is_not_minus_zero() -> None:
    """The coders applied A to different single characters of 3,000: alpha is about
    -0.0002, which rounds to 0.0 — not -0.0, which a front end prints as "-0.00"."""
    text = "x" * 3000
    rows = [("R1", "A", 10, 11), ("R2", "A", 20, 21), ("R2", "B", 0, 5), ("R1", "B", 0, 5)]
    codings = _codings(rows, text)
    comparison = compare_transcript(codings, _turns(text), "I01", ("R1", "R2"))
    raw = comparison.agreement.set_index("code_id").loc["A", "alpha"]
    assert -0.0005 < raw < 0  # the reliability module's value really is a tiny negative
    (a,) = [r for r in comparison.agreement_payload({}) if r["code"] == "A"]
    assert a["alpha"] == 0.0 and math.copysign(1.0, a["alpha"]) == 1.0
    assert a["note"] == ""
