"""study.yaml: loading the example study, and one test per kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_workbench.core.errors import DsrError, DsrWarning, StudyError
from dsr_workbench.corpus.study import find_study, fold_label, load_study

ROOT = Path(__file__).resolve().parents[2]


def test_example_study_loads() -> None:
    study = load_study(ROOT / "study.yaml")
    assert study.id == "cmr-example" and study.synthetic
    assert list(study.organisations.perspective.value_counts().sort_index().items()) == [
        ("both", 1),
        ("client", 2),
        ("cmo", 2),
    ]
    assert study.transcripts.kind.value_counts().to_dict() == {"interview": 14, "focus_group": 5}
    assert sorted(study.cycles.cycle) == [1, 2, 3]
    # Epsilon is 'both'; its two people speak for one side each
    people = study.participants.set_index("participant_id")
    assert people.loc["P13", "perspective"] == "client"
    assert people.loc["P14", "perspective"] == "cmo"
    assert people.loc["R1", "perspective"] == "researcher"


def test_speaker_map_uses_pseudonyms_ids_and_aliases(mini_study: Path) -> None:
    labels = load_study(mini_study).speaker_map()
    assert labels[fold_label("Interviewer")] == "R1"
    assert labels[fold_label("b.")] == "P2"
    assert labels[fold_label("ANA")] == "P1"


def test_find_study_walks_up(mini_study: Path) -> None:
    assert find_study(mini_study.parent / "interviews") == mini_study


def test_load_study_accepts_a_folder(mini_study: Path) -> None:
    assert load_study(mini_study.parent).id == "mini"


def _edit(study: Path, old: str, new: str) -> None:
    text = study.read_text(encoding="utf-8")
    assert old in text
    study.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a misspelled key: names the key, the line and the likely fix
        (
            "participants:",
            "participant:",
            r"study\.yaml:8: key 'participant': unknown key 'participant' \(fix: did you mean "
            r"'participants'\?\)",
        ),
        # a missing key
        (
            "  title: A tiny study\n",
            "",
            r"study\.yaml:1: key 'study': missing key 'title' \(fix: add 'title:' to study\)",
        ),
        # an unknown organisation
        (
            "organisation: CMOX, role: Site head",
            "organisation: CMOZ, role: Site head",
            r"key 'participants\[1\]\.organisation': unknown organisation 'CMOZ'",
        ),
        # a bad perspective
        (
            "perspective: cmo}",
            "perspective: supplier}",
            r"organisations\[1\]\.perspective': 'supplier' is not one of client, cmo, both",
        ),
        # a bad kind
        ("kind: focus_group", "kind: workshop", r"'workshop' is not one of interview, focus_group"),
        # an unknown cycle
        ("date: 2026-02-10, cycle: 1", "date: 2026-02-10, cycle: 4", r"unknown cycle '4'"),
        # a bad date
        ("date: 2026-01-10", "date: 10.01.2026", r"'10\.01\.2026' is not a date"),
        # duplicate transcript ids
        (
            "{id: T2,",
            "{id: T1,",
            r"transcripts\[1\]\.id': duplicate transcripts id 'T1' \(also transcripts\[0\]\)",
        ),
        # a missing transcript file
        (
            "interviews/t2.vtt",
            "interviews/t9.vtt",
            r"transcript file 'interviews/t9\.vtt' does not",
        ),
        # two people answering to one label
        ("aliases: [B.]", "aliases: [Ana]", r"speaker label 'Ana' belongs to both P1 and P2"),
        # a duplicate key in YAML (PyYAML would silently keep the last one)
        ("cycles:\n", "cycles:\ncycles:\n", r"duplicate key 'cycles'"),
    ],
)
def test_bad_study_yaml(mini_study: Path, old: str, new: str, message: str) -> None:
    _edit(mini_study, old, new)
    with pytest.raises(DsrError, match=message) as info:
        load_study(mini_study)
    assert "\n" not in str(info.value)
    assert str(mini_study) in str(info.value)


def test_cycle_that_ends_before_it_starts(mini_study: Path) -> None:
    _edit(mini_study, "end: 2026-03-31", "end: 2025-03-31")
    with pytest.raises(StudyError, match=r"cycles\[0\]\.end'.*ends .* before it starts"):
        load_study(mini_study)


def test_no_study_found(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="no study.yaml"):
        find_study(tmp_path)


# --------------------------------------------------------------------------- hostile input


def test_an_impossible_date_names_key_and_line(mini_study: Path) -> None:
    _edit(mini_study, "start: 2026-01-01", "start: 2026-02-30")
    with pytest.raises(StudyError) as info:
        load_study(mini_study)
    assert str(info.value) == (
        f"{mini_study}:14: key 'cycles[0].start': 2026-02-30 is not a date (fix: write a real "
        "calendar date as YYYY-MM-DD, or quote it to keep it as text)"
    )


def test_an_alias_in_study_yaml_is_refused(mini_study: Path) -> None:
    _edit(mini_study, "  - {id: 1, focus: Framework,", "  - &c {id: 1, focus: Framework,")
    _edit(mini_study, "transcripts:\n", "extra: *c\ntranscripts:\n")
    with pytest.raises(StudyError, match=r"study\.yaml:15: YAML alias '\*c' refused"):
        load_study(mini_study)


def test_the_same_file_under_two_ids(mini_study: Path) -> None:
    _edit(mini_study, "file: interviews/t2.vtt", "file: ./interviews/../interviews/t1.txt")
    with pytest.raises(StudyError) as info:
        load_study(mini_study)
    assert str(info.value) == (
        f"{mini_study}:17: key 'transcripts[1].file': transcript file "
        "'./interviews/../interviews/t1.txt' is already listed as transcripts[0] ('T1') "
        "(fix: list each file once: remove one of the entries or correct its path)"
    )


def test_the_same_file_through_a_link_under_two_ids(mini_study: Path) -> None:
    (mini_study.parent / "interviews" / "again.txt").symlink_to("t1.txt")
    _edit(mini_study, "file: interviews/t2.vtt", "file: interviews/again.txt")
    with pytest.raises(
        StudyError, match=r"'transcripts\[1\]\.file'.*already listed as transcripts\[0\]"
    ):
        load_study(mini_study)


@pytest.mark.parametrize("where", ["../outside.txt", "ABSOLUTE", "interviews/link.txt"])
def test_a_transcript_outside_the_study_folder(
    mini_study: Path, tmp_path_factory, where: str
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "outside.txt"
    outside.write_text("Ana: secret\n", encoding="utf-8")
    if where == "../outside.txt":
        target = mini_study.parent.parent / "outside.txt"
        target.write_text("Ana: secret\n", encoding="utf-8")
    elif where == "ABSOLUTE":
        where = str(outside)
    else:
        (mini_study.parent / where).symlink_to(outside)
    _edit(mini_study, "file: interviews/t2.vtt", f"file: {where}")
    with pytest.raises(StudyError) as info:
        load_study(mini_study)
    message = str(info.value)
    assert message.startswith(
        f"{mini_study}:17: key 'transcripts[1].file': transcript file '{where}' is outside the study folder"
    )
    assert message.endswith(
        "(fix: move the file into the study folder (e.g. interviews/) and give its path relative to study.yaml)"
    )
    assert ("through a symbolic link" in message) == (where == "interviews/link.txt")


def test_a_transcript_dated_outside_its_cycle_is_a_warning(mini_study: Path) -> None:
    _edit(mini_study, "date: 2026-02-10, cycle: 1", "date: 2026-05-10, cycle: 1")
    with pytest.warns(DsrWarning) as caught:
        study = load_study(mini_study)
    assert len(study.transcripts) == 2
    assert [str(w.message) for w in caught] == [
        f"{mini_study}:17: key 'transcripts[1].date': 2026-05-10 is outside cycle 1 "
        "(2026-01-01 to 2026-03-31) (fix: correct the date or the cycle (or the cycle's start "
        "and end))"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "start: 2026-01-01",
            "start: 2026-02-30",
            "key 'cycles[0].start': 2026-02-30 is not a date",
        ),
        ("file: interviews/t2.vtt", "file: ../../etc/passwd", "is outside the study folder"),
        (
            "file: interviews/t2.vtt",
            "file: interviews/t1.txt",
            "is already listed as transcripts[0]",
        ),
    ],
)
def test_the_cli_prints_one_line_and_exits_2(
    mini_study: Path, capsys, old: str, new: str, message: str
) -> None:
    from dsr_workbench.cli import main

    _edit(mini_study, old, new)
    assert main(["--study", str(mini_study), "validate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"dsr validate: error: {mini_study}:")
    assert message in err and "Traceback" not in err


def test_the_cli_prints_the_cycle_warning_as_one_line(mini_study: Path, capsys) -> None:
    from dsr_workbench.cli import main

    _edit(mini_study, "date: 2026-02-10, cycle: 1", "date: 2026-05-10, cycle: 1")
    assert main(["--study", str(mini_study), "validate"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"dsr: warning: {mini_study}:17: key 'transcripts[1].date': 2026-05-10")
    assert err.count("dsr: warning:") == 1 and err.count("\n") == 1
