"""Episodes and criteria (dsr_workbench.dsr.episodes): files, panels, perspectives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.core.errors import DsrError
from dsr_workbench.dsr.episodes import load_criteria, load_episodes, write_episode
from dsr_workbench.dsr.ratings import load_evaluations, record_rating


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


# --------------------------------------------------------------------------- writing


def test_write_episode_bad_date(tmp_path: Path, episode: dict) -> None:
    with pytest.raises(DsrError, match="date '12.03.2026' is not a date"):
        write_episode(
            tmp_path, "E1", participants={"P1": "client"}, **{**episode, "date": "12.03.2026"}
        )
    assert not (tmp_path / "episodes" / "E1.yaml").exists()


# --------------------------------------------------------------------------- panels, perspectives


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


def test_episode_is_never_overwritten(folder: Path, episode: dict) -> None:
    before = (folder / "episodes" / "E1.yaml").read_bytes()
    with pytest.raises(DsrError, match="episode 'E1' exists already"):
        write_episode(folder, "E1", participants={"P9": "cmo"}, **episode)
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
