"""Tests of dsr_workbench.analysis.trajectories: phases over time, transitions, events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dsr_workbench.analysis.survey import make_survey
from dsr_workbench.analysis.trajectories import (
    END,
    event_rates,
    events_in_phase,
    phase_durations,
    time_in_phase,
    transition_matrix,
    transitions,
)
from dsr_workbench.core.errors import DsrError

AS_OF = pd.Timestamp("2020-01-01")


def spells(rows):
    """rows: (relationship_id, phase, start, end or None)."""
    frame = pd.DataFrame(rows, columns=["relationship_id", "phase", "start", "end"])
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame


@pytest.fixture
def history():
    return spells(
        [
            ("A", "selection", "2015-01-01", "2015-07-01"),
            ("A", "technology_transfer", "2015-07-01", "2016-07-01"),
            ("A", "commercial", "2016-07-01", "2018-01-01"),
            ("A", "technology_transfer", "2018-01-01", "2019-01-01"),
            ("A", "commercial", "2019-01-01", None),
            ("B", "selection", "2017-01-01", "2017-05-01"),
            ("B", "technology_transfer", "2017-05-01", "2018-05-01"),
            ("B", "clinical", "2018-05-01", "2019-06-01"),
            ("C", "selection", "2018-01-01", "2018-04-01"),
        ]
    )


def test_kaplan_meier_median_reproduces_the_6mp_leukaemia_example():
    # Freireich et al. (1963) 6-MP arm, weeks in remission (+ = censored), the worked
    # Kaplan-Meier example of Kleinbaum & Klein (2012), *Survival Analysis*, ch. 2:
    # median remission time 23 weeks.
    events = [6, 6, 6, 7, 10, 13, 16, 22, 23]
    censored = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
    rows = []
    for i, weeks in enumerate(events):
        start = AS_OF - pd.Timedelta(weeks=60)
        rows.append((f"E{i}", "clinical", start, start + pd.Timedelta(weeks=weeks)))
    for i, weeks in enumerate(censored):
        rows.append((f"C{i}", "clinical", AS_OF - pd.Timedelta(weeks=weeks), None))
    table = phase_durations(spells(rows), as_of=AS_OF, unit="days")
    row = table.set_index("phase").loc["clinical"]
    assert row["median"] / 7 == pytest.approx(23)
    assert (row["n_spells"], row["n_ongoing"]) == (21, 12)
    assert row["ci_low"] <= row["median"] <= row["ci_high"]


def test_time_in_phase_by_hand(history):
    t = time_in_phase(history, as_of=AS_OF, unit="days")
    a = t[t["relationship_id"] == "A"]
    # 2015-01-01 .. 2015-07-01 = 181 days; the last spell runs 2019-01-01 .. as_of = 365 days
    assert a["duration"].tolist() == [181, 366, 549, 365, 365]
    assert a["ongoing"].tolist() == [False] * 4 + [True]
    assert a["spell"].tolist() == [1, 2, 3, 4, 5]
    years = time_in_phase(history, as_of=AS_OF, unit="years")
    assert years["duration"].iloc[1] == pytest.approx(366 / 365.25)


def test_transitions_and_matrix_by_hand(history):
    moves = transitions(history)
    # A: sel->tt, tt->com, com->tt, tt->com; B: sel->tt, tt->clin, clin->ended; C: sel->ended
    assert len(moves) == 8
    assert moves.loc[moves["relationship_id"] == "C", "to_phase"].tolist() == [END]
    counts = transition_matrix(history, normalize=False)
    assert counts.loc["selection", "technology_transfer"] == 2
    assert counts.loc["selection", END] == 1
    assert counts.loc["technology_transfer", "commercial"] == 2
    shares = transition_matrix(history)
    assert shares.loc["technology_transfer"].tolist() == pytest.approx([0, 0, 1 / 3, 2 / 3, 0])
    assert shares.loc["technology_transfer", END] == 0
    assert shares.loc["selection"].sum() == pytest.approx(1.0)
    assert shares.loc["commercial", "technology_transfer"] == 1.0


def test_events_are_placed_in_the_phase_of_their_date(history):
    events = pd.DataFrame(
        {
            "relationship_id": ["A", "A", "B", "C"],
            "date": pd.to_datetime(["2015-08-01", "2019-06-01", "2019-06-01", "2019-01-01"]),
            "event": [
                "tech_transfer_delay",
                "capacity_conflict",
                "quality_incident",
                "quality_incident",
            ],
        }
    )
    tagged = events_in_phase(history, events, as_of=AS_OF)
    # B's clinical spell ends on 2019-06-01 (end exclusive) and C ended in 2018: no phase
    assert tagged["phase"].tolist()[:2] == ["technology_transfer", "commercial"]
    assert tagged["phase"].isna().tolist() == [False, False, True, True]
    assert tagged["spell"].tolist()[:2] == [2, 5]


def test_exact_poisson_interval_of_an_event_rate():
    one_year = spells([("A", "commercial", "2019-01-01", "2020-01-01")])  # 365 days
    events = pd.DataFrame(
        {
            "relationship_id": ["A"] * 10,
            "date": pd.date_range("2019-02-01", periods=10, freq="7D"),
            "event": ["capacity_conflict"] * 10,
        }
    )
    row = event_rates(one_year, events, per="days").iloc[0]
    assert (row["n_events"], row["exposure"]) == (10, 365)
    # Exact (Garwood 1936) 95 % limits for an observed Poisson count of 10: 4.795 and
    # 18.390 (standard tables of exact Poisson confidence limits).
    assert row["ci_low"] * 365 == pytest.approx(4.795, abs=5e-4)
    assert row["ci_high"] * 365 == pytest.approx(18.390, abs=5e-4)
    assert row["rate"] == pytest.approx(10 / 365)


def test_example_trajectories_are_consistent():
    s = make_survey()
    rates = event_rates(s.phases, s.events, as_of="2026-06-30")
    assert rates["n_events"].sum() == len(s.events)  # every event falls in a spell
    exposure = time_in_phase(s.phases, as_of="2026-06-30", unit="years")["duration"].sum()
    assert rates.drop_duplicates("phase")["exposure"].sum() == pytest.approx(exposure)
    shares = transition_matrix(s.phases)
    left = shares.dropna(how="all")
    np.testing.assert_allclose(left.sum(axis=1), 1.0)


# --------------------------------------------------------------------------- bad input


def test_unknown_phase(history):
    data = history.copy()
    data.loc[2, "phase"] = "comercial"
    with pytest.raises(
        DsrError, match="row 2: phase 'comercial' of A is unknown.*did you mean 'commercial'"
    ):
        time_in_phase(data, as_of=AS_OF)


def test_end_before_start(history):
    data = history.copy()
    data.loc[0, "end"] = pd.Timestamp("2014-01-01")
    with pytest.raises(
        DsrError, match="row 0: selection of A ends \\(2014-01-01\\) before it starts"
    ):
        time_in_phase(data, as_of=AS_OF)


def test_overlapping_spells(history):
    data = history.copy()
    data.loc[1, "start"] = pd.Timestamp("2015-03-01")
    with pytest.raises(DsrError, match="row 1: spells of A overlap"):
        time_in_phase(data, as_of=AS_OF)


def test_ongoing_spell_needs_as_of(history):
    with pytest.raises(DsrError, match="A has an ongoing phase .*pass as_of="):
        time_in_phase(history)


def test_missing_column(history):
    with pytest.raises(DsrError, match=r"phases lack column\(s\) \['end'\]"):
        time_in_phase(history.drop(columns="end"), as_of=AS_OF)
