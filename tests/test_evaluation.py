"""The DSR record: episodes, rating logs, summaries, decisions, the figure and the CLI."""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from dsr_workbench.cli import evaluation_cmds
from dsr_workbench.corpus import load_corpus
from dsr_workbench.errors import DsrError, InputError
from dsr_workbench.evaluation import (
    EVALUATION_COLUMNS,
    TornRatingWarning,
    current_ratings,
    load_criteria,
    load_decisions,
    load_episodes,
    load_evaluations,
    rating_summary,
    read_ratings,
    record_rating,
    write_episode,
)
from dsr_workbench.plots.evaluation import rating_trajectories
from dsr_workbench.study import load_study

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "evaluations"
CRITERIA = ("usefulness", "applicability", "completeness", "ease_of_use")
EPISODE = dict(
    cycle=1,
    artifact="framework",
    version="v1",
    purpose="formative",
    paradigm="artificial",
    method="focus group",
    date="2026-03-12",
    transcript="FG1",
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An evaluations folder with one episode E1 rated by P1 (client) and P2 (CMO)."""
    target = tmp_path / "evaluations"
    write_episode(target, "E1", participants={"P1": "client", "P2": "cmo"}, **EPISODE)
    return target


def episode_file(folder: Path, text: str, name: str = "E2") -> Path:
    path = folder / "episodes" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_EPISODE = """\
cycle: 2
artifact: tool
version: v1
purpose: formative
paradigm: artificial
method: focus group
date: 2026-05-20
participants: [{id: P1, perspective: client}]
"""


# --------------------------------------------------------------------------- recording


def test_record_rating_writes_one_whole_line(folder: Path) -> None:
    event = record_rating(
        folder, "E1", "P1", "usefulness", 4, "onboarding", source="transcript:FG1#turn69"
    )
    lines = (folder / "ratings" / "E1.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == [event]
    assert set(event) == {
        "episode",
        "participant",
        "criterion",
        "rating",
        "comment",
        "timestamp",
        "source",
    }


def test_unknown_episode(folder: Path) -> None:
    with pytest.raises(DsrError, match=r"E9\.yaml: unknown episode 'E9' \(fix: .*E1"):
        record_rating(folder, "E9", "P1", "usefulness", 4)


def test_participant_not_in_episode(folder: Path) -> None:
    with pytest.raises(
        DsrError, match=r"E1\.yaml:\d+: key 'participants': participant 'P3' is not in"
    ):
        record_rating(folder, "E1", "P3", "usefulness", 4)


def test_unknown_criterion(folder: Path) -> None:
    with pytest.raises(DsrError, match="unknown criterion 'usability'.*use one of usefulness"):
        record_rating(folder, "E1", "P1", "usability", 4)


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_rating_off_the_scale(folder: Path, rating: int) -> None:
    with pytest.raises(DsrError, match=f"rating {rating} is off the scale 1-5"):
        record_rating(folder, "E1", "P1", "usefulness", rating)


@pytest.mark.parametrize("rating", [4.5, True, "4"])
def test_rating_not_a_whole_number(folder: Path, rating: object) -> None:
    with pytest.raises(DsrError, match="off the scale"):
        record_rating(folder, "E1", "P1", "usefulness", rating)  # type: ignore[arg-type]


def test_malformed_source(folder: Path) -> None:
    with pytest.raises(DsrError, match="malformed reference 'FG1 turn 69'"):
        record_rating(folder, "E1", "P1", "usefulness", 4, source="FG1 turn 69")


def test_bad_input_writes_nothing(folder: Path) -> None:
    for args in [
        ("E9", "P1", "usefulness", 4),
        ("E1", "P3", "usefulness", 4),
        ("E1", "P1", "usability", 4),
        ("E1", "P1", "usefulness", 9),
    ]:
        with pytest.raises(DsrError):
            record_rating(folder, *args)
    assert not (folder / "ratings").exists()


def test_bad_timestamp(folder: Path) -> None:
    with pytest.raises(DsrError, match="timestamp 'yesterday' is not a date and time"):
        record_rating(folder, "E1", "P1", "usefulness", 4, timestamp="yesterday")


def test_write_episode_bad_date(tmp_path: Path) -> None:
    with pytest.raises(DsrError, match="date '12.03.2026' is not a date"):
        write_episode(
            tmp_path, "E1", participants={"P1": "client"}, **{**EPISODE, "date": "12.03.2026"}
        )
    assert not (tmp_path / "episodes" / "E1.yaml").exists()


def test_invalid_episode_id(folder: Path) -> None:
    with pytest.raises(DsrError, match="episode id '../x' is not a valid id"):
        record_rating(folder, "../x", "P1", "usefulness", 4)


def test_two_processes_appending_500_each_give_1000_whole_lines(folder: Path) -> None:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    workers = [ctx.Process(target=_rate_many, args=(folder, who, 500)) for who in ("P1", "P2")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    raw = (folder / "ratings" / "E1.jsonl").read_bytes()
    assert raw.endswith(b"\n")
    events = [json.loads(line) for line in raw.splitlines()]
    assert len(events) == 1000
    for who in ("P1", "P2"):  # each writer's lines are all there, in its own order
        assert [e["comment"] for e in events if e["participant"] == who] == [
            f"{who}-{i}" for i in range(500)
        ]
    assert len(load_evaluations(folder)) == 8  # 2 participants x 4 criteria, the rest superseded


def _rate_many(folder: Path, who: str, n: int) -> None:
    for i in range(n):
        record_rating(folder, "E1", who, CRITERIA[i % 4], 1 + i % 5, f"{who}-{i}")


# --------------------------------------------------------------------------- supersede


def test_later_rating_supersedes_and_both_stay_in_the_log(folder: Path) -> None:
    record_rating(folder, "E1", "P1", "usefulness", 2, "first look")
    record_rating(folder, "E1", "P2", "usefulness", 3)
    record_rating(folder, "E1", "P1", "usefulness", 4, "after the demo")
    log = read_ratings(folder)
    assert log["rating"].tolist() == [2, 3, 4]
    ev = load_evaluations(folder)
    assert ev[["participant", "rating", "comment"]].values.tolist() == [
        ["P1", 4, "after the demo"],
        ["P2", 3, ""],
    ]


def test_latest_timestamp_wins_whatever_the_line_order(folder: Path) -> None:
    # as after a union merge of two facilitators' logs: the later rating on the earlier line
    record_rating(folder, "E1", "P1", "completeness", 5, timestamp="2026-03-12T15:05:00Z")
    record_rating(folder, "E1", "P1", "completeness", 3, timestamp="2026-03-12T15:00:00Z")
    assert load_evaluations(folder)["rating"].tolist() == [5]


def test_equal_timestamps_go_to_the_later_line() -> None:
    log = pd.DataFrame(
        {
            "episode": ["E"] * 2,
            "participant": ["P"] * 2,
            "criterion": ["usefulness"] * 2,
            "rating": [1, 2],
            "timestamp": pd.to_datetime(["2026-01-01T00:00Z"] * 2),
        }
    )
    assert current_ratings(log)["rating"].tolist() == [2]


# --------------------------------------------------------------------------- reading logs


def test_load_evaluations_columns_and_perspectives(folder: Path) -> None:
    record_rating(folder, "E1", "P2", "ease_of_use", 5)
    record_rating(folder, "E1", "P1", "usefulness", 4)
    ev = load_evaluations(folder)
    assert list(ev.columns) == EVALUATION_COLUMNS
    assert ev[["participant", "perspective", "criterion"]].values.tolist() == [
        ["P1", "client", "usefulness"],
        ["P2", "cmo", "ease_of_use"],
    ]
    assert str(ev["timestamp"].dt.tz) == "UTC"


def test_perspective_from_the_study(folder: Path) -> None:
    episode_file(folder, GOOD_EPISODE.replace("[{id: P1, perspective: client}]", "[P7]"))
    study = pd.DataFrame(
        {"participant_id": ["P1", "P2", "P7"], "perspective": ["client", "cmo", "cmo"]}
    )
    panel = load_episodes(folder, study)
    assert panel.set_index("participant").loc["P7", "perspective"] == "cmo"


def test_perspective_missing_without_study(folder: Path) -> None:
    episode_file(folder, GOOD_EPISODE.replace("[{id: P1, perspective: client}]", "[P7]"))
    with pytest.raises(
        DsrError, match=r"E2\.yaml:8: key 'participants\[0\]': the perspective of 'P7' is not given"
    ):
        load_evaluations(folder)


def test_both_sides_participant_needs_a_perspective(folder: Path) -> None:
    episode_file(folder, GOOD_EPISODE.replace("[{id: P1, perspective: client}]", "[P13]"))
    study = pd.DataFrame(
        {"participant_id": ["P1", "P2", "P13"], "perspective": ["client", "cmo", "both"]}
    )
    with pytest.raises(DsrError, match="the perspective of 'P13' is 'both' in the study"):
        load_episodes(folder, study)


def test_participant_not_in_study(folder: Path) -> None:
    study = pd.DataFrame({"participant_id": ["P1"], "perspective": ["client"]})
    with pytest.raises(DsrError, match="participant 'P2' is not in the study"):
        load_evaluations(folder, study)


def test_logged_criterion_no_longer_in_criteria(folder: Path) -> None:
    record_rating(folder, "E1", "P1", "ease_of_use", 4)
    (folder / "criteria.yaml").write_text("criteria: [usefulness]\n", encoding="utf-8")
    with pytest.raises(DsrError, match=r"E1\.jsonl:1: unknown criterion 'ease_of_use'"):
        load_evaluations(folder)


def test_log_without_episode_file(folder: Path) -> None:
    record_rating(folder, "E1", "P1", "usefulness", 4)
    (folder / "ratings" / "E1.jsonl").rename(folder / "ratings" / "E5.jsonl")
    with pytest.raises(InputError, match=r"E5\.jsonl:1: not a rating event of this episode"):
        load_evaluations(folder)


def test_corrupt_line_in_the_middle(folder: Path) -> None:
    record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    log.write_bytes(log.read_bytes() + b"{oops\n")
    record_rating(folder, "E1", "P2", "usefulness", 4)
    with pytest.raises(InputError, match=r"E1\.jsonl:2: not a rating event"):
        read_ratings(folder)


def test_torn_last_line_is_skipped_then_moved_aside(folder: Path) -> None:
    record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    log.write_bytes(log.read_bytes() + b'{"episode":"E1","partic')
    with pytest.warns(TornRatingWarning):
        assert len(read_ratings(folder)) == 1
    record_rating(folder, "E1", "P2", "usefulness", 5)
    assert len(read_ratings(folder)) == 2
    assert (folder / "ratings" / "E1.jsonl.torn").read_bytes() == b'{"episode":"E1","partic\n'


# --------------------------------------------------------------------------- episodes, criteria


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("purpose: formative", "purpose: exploratory"), "purpose 'exploratory' is not one of"),
        (("paradigm: artificial", "paradigm: lab"), "paradigm 'lab' is not one of"),
        (("cycle: 2", "cycle: two"), "cycle must be a whole number"),
        (("date: 2026-05-20", "date: soon"), "date 'soon' is not a date"),
        (("method: focus group\n", ""), "key 'method': field 'method' is missing"),
        (("cycle: 2", "cycle: 2\nrater: Kim"), "unknown field 'rater'"),
        (("cycle: 2", "id: E3\ncycle: 2"), "id 'E3' differs from the file name 'E2'"),
        (
            ("perspective: client", "perspective: regulator"),
            "perspective 'regulator' is not client or cmo",
        ),
        (
            ("[{id: P1, perspective: client}]", "[P1, P1]"),
            "participant id 'P1' is missing, malformed or repeated",
        ),
    ],
)
def test_bad_episode_file(folder: Path, change: tuple[str, str], message: str) -> None:
    episode_file(folder, GOOD_EPISODE.replace(*change))
    with pytest.raises(DsrError, match=message):
        load_episodes(folder)


def test_episode_is_never_overwritten(folder: Path) -> None:
    before = (folder / "episodes" / "E1.yaml").read_bytes()
    with pytest.raises(DsrError, match="episode 'E1' exists already"):
        write_episode(folder, "E1", participants={"P9": "cmo"}, **EPISODE)
    assert (folder / "episodes" / "E1.yaml").read_bytes() == before
    assert sorted(p.name for p in (folder / "episodes").iterdir()) == ["E1.yaml"]


def test_criteria_are_configurable(folder: Path) -> None:
    (folder / "criteria.yaml").write_text(
        "scale: {min: 1, max: 7}\ncriteria:\n  - {id: novelty}\n  - {id: usefulness}\n",
        encoding="utf-8",
    )
    assert load_criteria(folder).names == ("novelty", "usefulness")
    record_rating(folder, "E1", "P1", "novelty", 7)
    with pytest.raises(DsrError, match="unknown criterion 'completeness'"):
        record_rating(folder, "E1", "P1", "completeness", 3)


def test_bad_scale(folder: Path) -> None:
    (folder / "criteria.yaml").write_text(
        "scale: {min: 5, max: 1}\ncriteria: [a]\n", encoding="utf-8"
    )
    with pytest.raises(DsrError, match=r"criteria\.yaml:1: key 'scale': scale needs whole numbers"):
        load_criteria(folder)


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


# --------------------------------------------------------------------------- decisions

DECISIONS = """\
requirements:
  - id: R1
    text: Governance from day one
    source: ["transcript:FG1#turn23", "transcript:FG1#turn99", "rating:E1/P1/completeness",
             "coding:c-1"]
  - id: R2
    text: A light version
decisions:
  - id: D1
    cycle: 2
    artifact: framework
    version: v2
    decision: Governance layer
    addresses: [R1, R7]
"""


@pytest.fixture
def decisions_file(folder: Path) -> Path:
    path = folder / "decisions.yaml"
    path.write_text(DECISIONS, encoding="utf-8")
    return path


def test_decision_references_resolve_and_unresolved_are_reported(
    folder: Path, decisions_file: Path
) -> None:
    record_rating(folder, "E1", "P1", "completeness", 2)
    turns = pd.DataFrame({"transcript_id": ["FG1", "FG1"], "turn": [23, 24]})
    codings = pd.DataFrame({"coding_id": ["c-2"]})
    record = load_decisions(
        folder, turns=turns, evaluations=load_evaluations(folder), codings=codings
    )
    refs = record.references.set_index("reference")
    assert refs.loc["transcript:FG1#turn23", "resolved"]
    assert refs.loc["rating:E1/P1/completeness", "resolved"]
    assert record.unresolved["reference"].tolist() == ["transcript:FG1#turn99", "coding:c-1", "R7"]
    assert record.unresolved["line"].tolist() == [4, 5, 14]
    assert record.unaddressed["requirement_id"].tolist() == ["R2"]
    assert record.requirements["n_sources"].tolist() == [4, 0]


def test_decision_references_unchecked_without_tables(decisions_file: Path) -> None:
    record = load_decisions(decisions_file)
    assert record.references["resolved"].isna().sum() == 4  # all but the requirement links
    assert record.unresolved["reference"].tolist() == ["R7"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("transcript:FG1#turn23", "transcript:FG1"),
            r"decisions\.yaml:4: key 'requirements\[0\]\.source\[0\]': malformed reference",
        ),
        (("id: R2", "id: R1"), "id 'R1' is repeated"),
        (("    decision: Governance layer\n", ""), "field 'decision' is missing"),
        (("cycle: 2", "cycle: two"), "cycle must be a whole number"),
        (("addresses: [R1, R7]", "addresses: R1"), "addresses must be a list"),
    ],
)
def test_bad_decisions_file(folder: Path, change: tuple[str, str], message: str) -> None:
    (folder / "decisions.yaml").write_text(DECISIONS.replace(*change), encoding="utf-8")
    with pytest.raises(DsrError, match=message):
        load_decisions(folder)


def test_missing_decisions_file(folder: Path) -> None:
    with pytest.raises(DsrError, match="no decisions file"):
        load_decisions(folder)


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
    assert 6 <= len(record.requirements) <= 10 and 4 <= len(record.decisions) <= 8
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


# --------------------------------------------------------------------------- CLI


def dsr(study: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--study", default=str(study))
    evaluation_cmds.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.handler(args)


@pytest.fixture
def cli_study(mini_study: Path) -> Path:
    write_episode(
        mini_study.parent / "data" / "evaluations",
        "FG-T2",
        participants={"P1": "client", "P2": "cmo"},
        **{**EPISODE, "transcript": "T2"},
    )
    return mini_study


def test_cli_rate_then_summary(cli_study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dsr(cli_study, "rate", "FG-T2", "P1", "usefulness", "3") == 0
    assert dsr(cli_study, "rate", "FG-T2", "P1", "usefulness", "4", "--comment", "clearer now") == 0
    assert "P1 usefulness = 4 (supersedes 3)" in capsys.readouterr().out
    assert dsr(cli_study, "evaluations") == 0
    assert "1 ratings: cycle 1: 1" in capsys.readouterr().out
    assert dsr(cli_study, "evaluations", "--summary", "--csv") == 0
    assert capsys.readouterr().out.splitlines() == [
        "cycle,artifact,criterion,perspective,n,mean,sd,ci_low,ci_high",
        "1,framework,usefulness,client,1,4.0,,,",
    ]


def test_cli_rate_bad_input_raises_one_line_error(cli_study: Path) -> None:
    with pytest.raises(DsrError, match="participant 'P3' is not in episode 'FG-T2'"):
        dsr(cli_study, "rate", "FG-T2", "P3", "usefulness", "4")


def test_cli_decisions_exit_1_on_unresolved(
    cli_study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_study.parent / "data" / "evaluations" / "decisions.yaml").write_text(
        "requirements:\n  - {id: R1, text: t, source: ['transcript:T2#turn2', 'transcript:T2#turn9']}\n",
        encoding="utf-8",
    )
    assert dsr(cli_study, "evaluations", "--decisions") == 1
    out = capsys.readouterr().out
    assert "'transcript:T2#turn9' points at nothing" in out and "1 unresolved" in out
