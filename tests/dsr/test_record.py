"""dsr_workbench.dsr.record, the public import site: rating summaries, and the example
study's whole record (ratings, their sources, decisions, the figure) read through it."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from dsr_workbench.dsr.record import (
    EVALUATION_COLUMNS,
    load_decisions,
    load_evaluations,
    rating_summary,
    read_ratings,
)
from dsr_workbench.plots.evaluation import rating_trajectories

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "evaluations"


# --------------------------------------------------------------------------- summary


def test_ci_against_r_t_test_on_students_sleep_data() -> None:
    # Student (1908) sleep data, drug 1 minus drug 2 per patient. R Core Team, datasets::sleep,
    # `t.test(extra ~ group, data = sleep, paired = TRUE)` (the ?t.test example) prints
    # "mean difference -1.58" and "95 percent confidence interval: -2.4598858 -0.7001142";
    # a paired interval is the one-sample t interval of the differences.
    g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    data = pd.DataFrame({"criterion": "x", "rating": np.subtract(g1, g2)})
    row = rating_summary(data, by=["criterion"], perspective_split=False).iloc[0]
    assert row["n"] == 10
    assert row["mean"] == pytest.approx(-1.58)
    assert row["ci_low"] == pytest.approx(-2.4598858, abs=1e-7)
    assert row["ci_high"] == pytest.approx(-0.7001142, abs=1e-7)


def test_ci_against_a_hand_computed_t_interval() -> None:
    # ratings 4, 4, 3, 3, 4: mean 3.6, sd sqrt(0.3) = 0.5477 (n - 1 denominator), se 0.2449;
    # t(0.975, 4) = 2.776 from the t table (NIST/SEMATECH e-Handbook of Statistical Methods,
    # sec. 1.3.6.7.2, "Critical values of the Student's t distribution"); half-width
    # 2.776 * 0.2449 = 0.680, so 2.920 .. 4.280.
    data = pd.DataFrame(
        {"criterion": "usefulness", "perspective": "client", "rating": [4, 4, 3, 3, 4]}
    )
    row = rating_summary(data, by=["criterion"]).iloc[0]
    assert (row["n"], row["mean"]) == (5, pytest.approx(3.6))
    assert row["sd"] == pytest.approx(math.sqrt(0.3))
    half = 2.776 * math.sqrt(0.3) / math.sqrt(5)
    assert row["ci_low"] == pytest.approx(3.6 - half, abs=1e-3)
    assert row["ci_high"] == pytest.approx(3.6 + half, abs=1e-3)


def test_summary_splits_client_and_cmo_and_handles_small_groups() -> None:
    data = pd.DataFrame({
        "cycle": [1] * 4, "artifact": ["a"] * 4, "criterion": ["usefulness"] * 4,
        "perspective": ["client", "client", "cmo", "client"], "rating": [4, 4, 2, 4],
    })  # fmt: skip
    out = rating_summary(data).set_index("perspective")
    assert out.loc["client", "n"] == 3 and out.loc["cmo", "n"] == 1
    assert out.loc["client", ["ci_low", "ci_high"]].tolist() == [4.0, 4.0]  # sd 0
    assert np.isnan(out.loc["cmo", "sd"]) and np.isnan(out.loc["cmo", "ci_low"])  # n = 1


def test_summary_missing_column() -> None:
    with pytest.raises(DsrError, match="evaluations lack column.*perspective"):
        rating_summary(
            pd.DataFrame({"cycle": [1], "artifact": ["a"], "criterion": ["u"], "rating": [3]})
        )


def test_summary_bad_confidence() -> None:
    data = pd.DataFrame({"criterion": ["u"], "rating": [3]})
    with pytest.raises(DsrError, match="confidence 95 is not between 0 and 1"):
        rating_summary(data, by=["criterion"], perspective_split=False, confidence=95)


# --------------------------------------------------------------------------- example data


@pytest.fixture(scope="module")
def example() -> tuple[pd.DataFrame, pd.DataFrame]:
    study = load_study(ROOT / "study.yaml")
    _, turns = load_corpus(study)
    return load_evaluations(EXAMPLE, study.participants), turns


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def test_example_data_has_ratings_for_all_three_cycles(example) -> None:
    ev, _ = example
    assert ev.groupby("cycle").size().to_dict() == {1: 20, 2: 40, 3: 92}
    assert set(ev["perspective"]) == {"client", "cmo"}
    assert ev["rating"].between(1, 5).all()
    assert set(ev["artifact"]) == {
        "development-framework",
        "partner-differentiation",
        "expectation-alignment",
    }
    assert set(ev.loc[ev["participant"] == "P13", "perspective"]) == {"client"}
    assert set(ev.loc[ev["participant"] == "P14", "perspective"]) == {"cmo"}


def test_example_ratings_were_spoken_by_the_rater_at_their_source_turn(example) -> None:
    _, turns = example
    log = read_ratings(EXAMPLE)
    said = turns.set_index(["transcript_id", "turn"])[["participant_id", "text"]]
    for row in log.itertuples(index=False):
        transcript, turn = row.source.removeprefix("transcript:").split("#turn")
        speaker, text = said.loc[(transcript, int(turn))]
        assert speaker == row.participant, row
        assert NUMBER_WORDS[row.rating] in text.lower(), row


def test_example_decisions_resolve(example) -> None:
    ev, turns = example
    record = load_decisions(EXAMPLE, turns=turns, evaluations=ev)
    assert 6 <= len(record.requirements) <= 12 and 4 <= len(record.decisions) <= 12
    assert record.unresolved.empty
    assert record.references["resolved"].notna().all()


def test_figure_has_a_panel_per_artifact_and_criterion(example) -> None:
    fig = rating_trajectories(example[0])
    assert len(fig.axes) == 3 * 4
    assert [t.get_text() for t in fig.axes[4].get_xticklabels()] == ["C2 v1", "C3 v2"]


def test_figure_needs_ratings() -> None:
    empty = pd.DataFrame(columns=EVALUATION_COLUMNS)
    with pytest.raises(DsrError, match="no ratings to plot"):
        rating_trajectories(empty)
