"""Tests of dsr_workbench.analysis.reliability_codings: codings -> reliability data -> agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dsr_workbench.analysis.reliability import agreement
from dsr_workbench.analysis.reliability_codings import (
    OVERALL,
    consensus_events,
    disagreements,
    per_code_agreement,
    reliability_data,
)
from dsr_workbench.core.errors import DsrError


def make_turns(transcript: str, spans: list[tuple[int, int]], text: str | None = None):
    text = text if text is not None else "".join(chr(97 + i % 26) for i in range(spans[-1][1]))
    return pd.DataFrame(
        {
            "transcript_id": transcript,
            "turn": range(1, len(spans) + 1),
            "start": [a for a, _ in spans],
            "end": [b for _, b in spans],
            "text": [text[a:b] for a, b in spans],
        }
    )


def make_codings(rows):
    """rows: (transcript_id, start, end, code_id, coder)."""
    return pd.DataFrame(rows, columns=["transcript_id", "start", "end", "code_id", "coder"])


# Wikipedia, "Cohen's kappa", simple example: both yes 20, A yes/B no 5, A no/B yes 10, both
# no 15 -> p_o = 0.7, kappa = 0.4. Laid out as 50 characters of one turn ...
WIKI_CHAR_TURNS = make_turns("I01", [(0, 50)])
WIKI_CHAR_CODINGS = make_codings(
    [
        ("I01", 0, 25, "TRUST", "A"),  # 20 both + 5 A only
        ("I01", 0, 20, "TRUST", "B"),
        ("I01", 25, 35, "TRUST", "B"),  # 10 B only; 35-50: neither
    ]
)
# ... and as 50 turns of 10 characters with one-character gaps.
WIKI_TURNS = make_turns("I01", [(11 * i, 11 * i + 10) for i in range(50)])
WIKI_CODINGS = make_codings(
    [
        ("I01", 0, 11 * 24 + 10, "TRUST", "A"),  # turns 1-25
        ("I01", 0, 11 * 19 + 10, "TRUST", "B"),  # turns 1-20
        ("I01", 11 * 25 + 3, 11 * 34 + 2, "TRUST", "B"),  # turns 26-35
    ]
)


def test_turn_units_reproduce_wikipedia_cohen_example():
    data = reliability_data(WIKI_CODINGS, WIKI_TURNS, unit="turn")
    assert len(data) == 50 * 2 and (data["weight"] == 1).all()
    row = per_code_agreement(data).iloc[0]
    # Wikipedia, "Cohen's kappa", simple example: p_o = 0.7, kappa = 0.4
    assert round(row["kappa"], 3) == 0.400
    assert round(row["percent_agreement"], 3) == 0.700
    assert row["kappa_metric"] == "cohens_kappa"
    assert row["n_units"] == 50 and row["n_units_coded_by_any"] == 35


def test_char_units_reproduce_wikipedia_cohen_example():
    data = reliability_data(WIKI_CHAR_CODINGS, WIKI_CHAR_TURNS, unit="char")
    # spans [0,20) [20,25) [25,35) [35,50), one row per coder
    assert data["unit"].unique().tolist() == ["I01/0-20", "I01/20-25", "I01/25-35", "I01/35-50"]
    row = per_code_agreement(data).iloc[0]
    # Wikipedia, "Cohen's kappa", simple example: p_o = 0.7, kappa = 0.4 (1 unit = 1 char)
    assert round(row["kappa"], 3) == 0.400
    assert round(row["percent_agreement"], 3) == 0.700
    assert row["n_units"] == 50 and row["n_units_coded_by_any"] == 35


def test_turn_overlap_is_end_exclusive():
    turns = make_turns("I01", [(0, 9), (10, 20), (20, 30)])
    codings = make_codings(
        [
            ("I01", 8, 11, "A", "R1"),  # overlaps turns 1 and 2
            ("I01", 9, 10, "B", "R1"),  # in the gap: no turn
            ("I01", 10, 20, "C", "R1"),  # exactly turn 2, not turn 3
            ("I01", 0, 1, "A", "R2"),
        ]
    )
    data = reliability_data(codings, turns)
    r1 = data.loc[data["coder"] == "R1"].pivot(index="turn", columns="code_id", values="value")
    assert r1["A"].tolist() == [1, 1, 0]
    assert r1["B"].tolist() == [0, 0, 0]
    assert r1["C"].tolist() == [0, 1, 0]


def brute_force_chars(codings, turns, coders):
    """Per-character presence with plain loops (fine in a test, never in the library)."""
    rows = []
    for code in sorted(codings["code_id"].unique()):
        for _, turn in turns.iterrows():
            for pos in range(turn["start"], turn["end"]):
                for coder in coders:
                    mine = codings[
                        (codings["code_id"] == code)
                        & (codings["coder"] == coder)
                        & (codings["transcript_id"] == turn["transcript_id"])
                    ]
                    hit = ((mine["start"] <= pos) & (mine["end"] > pos)).any()
                    unit = f"{turn['transcript_id']}/{pos}"
                    rows.append({"code_id": code, "unit": unit, "coder": coder, "value": int(hit)})
    return pd.DataFrame(rows)


def test_char_spans_equal_per_character_computation():
    rng = np.random.default_rng(11)
    turns = pd.concat(
        [
            make_turns("I01", [(0, 30), (32, 61), (63, 90)]),
            make_turns("I02", [(5, 40), (41, 70)]),
        ],
        ignore_index=True,
    )
    rows = []
    for _ in range(14):
        transcript = rng.choice(["I01", "I02"])
        start = int(rng.integers(0, 85))
        rows.append(
            (
                transcript,
                start,
                start + int(rng.integers(1, 25)),
                rng.choice(["X", "Y"]),
                rng.choice(["R1", "R2", "R3"]),
            )
        )
    rows += [("I01", 0, 3, "X", c) for c in ("R1", "R2", "R3")]
    rows += [("I02", 6, 9, "Y", c) for c in ("R1", "R2", "R3")]
    codings = make_codings(rows)
    spans = reliability_data(codings, turns, unit="char")
    chars = brute_force_chars(codings, turns, ["R1", "R2", "R3"])
    # the spans tile every turn character exactly once per code and coder
    n_chars = int((turns["end"] - turns["start"]).sum())
    assert (spans.groupby(["code_id", "coder"])["weight"].sum() == n_chars).all()
    ours = per_code_agreement(spans).set_index("code_id")
    for code, group in chars.groupby("code_id"):
        reference = agreement(group).set_index("metric")["estimate"]
        assert ours.loc[code, "alpha"] == pytest.approx(reference["krippendorff_alpha"])
        assert ours.loc[code, "kappa"] == pytest.approx(reference["fleiss_kappa"])
        assert ours.loc[code, "percent_agreement"] == pytest.approx(reference["percent_agreement"])
        coded = group.loc[group["value"] == 1, "unit"].nunique()
        assert ours.loc[code, "n_units_coded_by_any"] == coded


def test_default_transcripts_are_those_every_coder_coded():
    turns = pd.concat([make_turns("I01", [(0, 10)]), make_turns("I02", [(0, 10)])])
    codings = make_codings(
        [("I01", 0, 5, "A", "R1"), ("I02", 0, 5, "A", "R1"), ("I01", 0, 5, "A", "R2")]
    )
    assert reliability_data(codings, turns)["transcript_id"].unique().tolist() == ["I01"]
    both = reliability_data(codings, turns, transcripts=["I01", "I02"])
    assert both["transcript_id"].unique().tolist() == ["I01", "I02"]
    assert both.loc[(both["transcript_id"] == "I02") & (both["coder"] == "R2"), "value"].eq(0).all()


def test_coders_selects_and_inputs_untouched():
    codings = WIKI_CODINGS.copy()
    extra = pd.concat([codings, make_codings([("I01", 0, 5, "TRUST", "C")])])
    before = extra.copy()
    data = reliability_data(extra, WIKI_TURNS, coders=["A", "B"])
    assert data["coder"].unique().tolist() == ["A", "B"]
    pd.testing.assert_frame_equal(extra, before)


# --- per-code table -------------------------------------------------------------------------


def test_per_code_table_columns_overall_and_bands():
    codings = pd.concat(
        [WIKI_CODINGS, make_codings([("I01", 0, 11 * 49 + 10, "ALL", c) for c in "AB"])]
    )
    data = reliability_data(codings, WIKI_TURNS)
    table = per_code_agreement(data)
    assert list(table.columns) == [
        "code_id",
        "alpha",
        "kappa",
        "kappa_metric",
        "percent_agreement",
        "n_units",
        "n_units_coded_by_any",
        "band_alpha",
        "band_kappa",
        "note",
    ]
    assert table["code_id"].tolist() == ["ALL", "TRUST", OVERALL]
    everything = table.set_index("code_id").loc["ALL"]
    assert np.isnan(everything["alpha"]) and pd.isna(everything["band_alpha"])
    assert "only one value" in everything["note"]
    trust = table.set_index("code_id").loc["TRUST"]
    # Landis & Koch (1977): .21-.40 fair (kappa = .4)
    assert trust["band_kappa"] == "fair"
    overall = table.set_index("code_id").loc[OVERALL]
    pooled = data.assign(unit=data["code_id"] + "|" + data["unit"])
    reference = agreement(pooled).set_index("metric")["estimate"]
    assert overall["alpha"] == pytest.approx(reference["krippendorff_alpha"])
    assert overall["n_units"] == 100


def test_per_code_three_coders_use_fleiss_kappa():
    codings = make_codings(
        [("I01", 0, 20, "X", "R1"), ("I01", 0, 20, "X", "R2"), ("I01", 0, 9, "X", "R3")]
    )
    turns = make_turns("I01", [(0, 9), (10, 20), (20, 30), (30, 40)])
    table = per_code_agreement(reliability_data(codings, turns))
    assert (table["kappa_metric"] == "fleiss_kappa").all()


def test_per_code_missing_column():
    with pytest.raises(DsrError, match="data has no column 'weight'"):
        per_code_agreement(pd.DataFrame({"code_id": [], "unit": [], "coder": [], "value": []}))


# --- disagreements and consensus ----------------------------------------------------------


def test_disagreements_turn_units_with_quotes():
    codings = WIKI_CODINGS.assign(quote=["q-A", "q-B1", "q-B2"])
    data = reliability_data(codings, WIKI_TURNS)
    table = disagreements(data, WIKI_TURNS, codings)
    # Wikipedia example: 5 A-only + 10 B-only units disagree
    assert len(table) == 15
    assert (table.loc[table["turn"] <= 25, ["present", "absent"]] == ["A", "B"]).all().all()
    assert (table.loc[table["turn"] > 25, ["present", "absent"]] == ["B", "A"]).all().all()
    turn_text = WIKI_TURNS.set_index("turn")["text"]
    assert (table["text"] == table["turn"].map(turn_text)).all()
    assert table.loc[table["turn"] == 21, "quote"].item() == "q-A"
    assert table.loc[table["turn"] == 26, "quote"].item() == "q-B2"


def test_disagreements_char_spans_have_span_text():
    text = "We trust Gamma because they told us early about the deviation."
    turns = make_turns("I01", [(0, len(text))], text=text)
    codings = make_codings([("I01", 3, 14, "TRUST", "R1"), ("I01", 3, 8, "TRUST", "R2")])
    table = disagreements(reliability_data(codings, turns, unit="char"), turns)
    assert table[["start", "end", "present", "absent", "text"]].values.tolist() == [
        [8, 14, "R1", "R2", " Gamma"]
    ]
    assert table["quote"].isna().all()


def test_disagreements_none():
    codings = make_codings([("I01", 0, 5, "X", "R1"), ("I01", 0, 5, "X", "R2")])
    turns = make_turns("I01", [(0, 10)])
    assert disagreements(reliability_data(codings, turns), turns).empty


def test_disagreements_turn_not_in_turns():
    data = reliability_data(WIKI_CODINGS, WIKI_TURNS)
    with pytest.raises(DsrError, match="turn 21 of transcript 'I01' is not in turns"):
        disagreements(data, WIKI_TURNS.iloc[:10])


def test_consensus_events():
    data = reliability_data(WIKI_CODINGS, WIKI_TURNS)
    decided = disagreements(data, WIKI_TURNS).head(3).copy()
    decided["decision"] = ["present", "absent", None]
    decided["memo"] = ["agreed: trust talk", None, None]
    events = consensus_events(decided)
    assert [e["event"] for e in events] == ["add", "remove"]
    first = events[0]
    assert set(first) == {
        "event",
        "coder",
        "transcript_id",
        "start",
        "end",
        "quote",
        "code_id",
        "origin",
        "memo",
    }
    assert first["coder"] == "consensus" and first["origin"] == "consensus"
    assert first["memo"] == "agreed: trust talk"
    assert events[1]["memo"] == "consensus: applied by A; not by B"
    turn = WIKI_TURNS.set_index("turn").loc[decided["turn"].iloc[0]]
    assert (first["start"], first["end"], first["quote"]) == (
        turn["start"],
        turn["end"],
        turn["text"],
    )
    assert consensus_events(decided, coder="R1")[0]["coder"] == "R1"


def test_consensus_bad_decision():
    decided = disagreements(reliability_data(WIKI_CODINGS, WIKI_TURNS), WIKI_TURNS).head(1)
    with pytest.raises(DsrError, match="decision 'maybe' in row 0 is neither"):
        consensus_events(decided.assign(decision="maybe"))


def test_consensus_missing_decision_column():
    decided = disagreements(reliability_data(WIKI_CODINGS, WIKI_TURNS), WIKI_TURNS)
    with pytest.raises(DsrError, match="decisions has no column 'decision'"):
        consensus_events(decided)


# --- bad input to reliability_data (one test each) ------------------------------------------


def test_bad_codings_column():
    with pytest.raises(DsrError, match="codings has no column 'coder'"):
        reliability_data(WIKI_CODINGS.drop(columns="coder"), WIKI_TURNS)


def test_bad_turns_column():
    with pytest.raises(DsrError, match="turns has no column 'turn'"):
        reliability_data(WIKI_CODINGS, WIKI_TURNS.drop(columns="turn"))


def test_bad_unknown_coder():
    with pytest.raises(DsrError, match="coder 'R9' has no codings"):
        reliability_data(WIKI_CODINGS, WIKI_TURNS, coders=["A", "R9"])


def test_bad_single_coder():
    with pytest.raises(DsrError, match="at least two coders, got A"):
        reliability_data(WIKI_CODINGS, WIKI_TURNS, coders=["A"])


def test_bad_no_shared_transcript():
    codings = make_codings([("I01", 0, 5, "X", "R1"), ("I02", 0, 5, "X", "R2")])
    with pytest.raises(DsrError, match="no transcript was coded by all of R1, R2"):
        reliability_data(codings, WIKI_TURNS)


def test_bad_transcript_without_turns():
    with pytest.raises(DsrError, match="transcript 'I09' has no turns"):
        reliability_data(WIKI_CODINGS, WIKI_TURNS, transcripts=["I01", "I09"])


def test_bad_offsets():
    codings = pd.concat([WIKI_CODINGS, make_codings([("I01", 7, 7, "X", "A")])], ignore_index=True)
    with pytest.raises(DsrError, match="codings row 3 has start=7, end=7"):
        reliability_data(codings, WIKI_TURNS)


def test_bad_overlapping_turns():
    turns = make_turns("I01", [(0, 10), (5, 20)])
    with pytest.raises(DsrError, match="turns 1 and 2 of transcript 'I01' overlap"):
        reliability_data(WIKI_CODINGS, turns)


def test_bad_unit():
    with pytest.raises(DsrError, match="unknown unit 'word'"):
        reliability_data(WIKI_CODINGS, WIKI_TURNS, unit="word")


def test_bad_missing_code_id():
    codings = WIKI_CODINGS.copy()
    codings.loc[1, "code_id"] = None
    with pytest.raises(DsrError, match="codings row 1 has no code_id"):
        reliability_data(codings, WIKI_TURNS)
