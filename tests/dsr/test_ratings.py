"""Rating logs and current ratings (dsr_workbench.dsr.ratings): record, supersede, read."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.core.errors import DsrError, InputError
from dsr_workbench.dsr.ratings import (
    EVALUATION_COLUMNS,
    TornRatingWarning,
    current_ratings,
    load_evaluations,
    read_ratings,
    record_rating,
)

CRITERIA = ("usefulness", "applicability", "completeness", "ease_of_use")


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
    with pytest.warns(
        TornRatingWarning, match=r"E1\.jsonl:2: torn last line \(23 bytes, no newline\): skipped"
    ):
        assert len(read_ratings(folder)) == 1
    with pytest.warns(TornRatingWarning, match=r"torn last line \(23 bytes\) was moved to"):
        record_rating(folder, "E1", "P2", "usefulness", 5)
    assert len(read_ratings(folder)) == 2
    assert (folder / "ratings" / "E1.jsonl.torn").read_bytes() == b'{"episode":"E1","partic\n'


def test_a_last_line_that_is_json_but_no_object_is_torn(folder: Path) -> None:
    record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    log.write_bytes(log.read_bytes() + b"12")
    with pytest.warns(TornRatingWarning, match=r"E1\.jsonl:2: torn last line \(2 bytes"):
        assert len(read_ratings(folder)) == 1


def test_a_whole_last_event_without_newline_is_kept(folder: Path) -> None:
    import warnings

    record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    log.write_bytes(log.read_bytes().rstrip(b"\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_ratings(folder)) == 1


def test_a_rating_past_64_bits_is_an_error_not_an_overflow(folder: Path) -> None:
    record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    event = json.loads(log.read_text(encoding="utf-8"))
    log.write_text(log.read_text(encoding="utf-8") + json.dumps({**event, "rating": 10**30}) + "\n")
    with pytest.raises(InputError, match=r"E1\.jsonl:2: rating 10{20}\.\.\. is off any scale"):
        read_ratings(folder)


def test_the_cli_reports_a_torn_rating_line_as_one_warning(
    mini_study: Path, episode: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    from dsr_workbench.cli import main
    from dsr_workbench.dsr.episodes import write_episode

    folder = mini_study.parent / "data" / "evaluations"
    write_episode(folder, "E1", participants={"P1": "client", "P2": "cmo"}, **episode)
    record_rating(folder, "E1", "P1", "usefulness", 4)
    log = folder / "ratings" / "E1.jsonl"
    log.write_bytes(log.read_bytes() + b'{"episode":"E1","partic')
    before = log.read_bytes()
    assert main(["--study", str(mini_study), "evaluations"]) == 0
    out, err = capsys.readouterr()
    assert err == f"dsr: warning: {log}:2: torn last line (23 bytes, no newline): skipped\n"
    assert "1 ratings: cycle 1: 1" in out
    assert log.read_bytes() == before  # reading never repairs; the next rating sets it aside
