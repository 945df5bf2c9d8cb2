"""Tests of dsr_workbench.analysis.survey: the survey contract and the synthetic example survey."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dsr_workbench.analysis.survey import (
    CONSTRUCTS,
    PHASES,
    RESPONSE_COLUMNS,
    make_survey,
    read_survey,
    validate_responses,
    write_survey,
)
from dsr_workbench.core.errors import DsrError, InputError

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("responses", "items", "relationships", "phases", "events")


@pytest.fixture(scope="module")
def survey():
    return make_survey()


def test_same_seed_same_survey_other_seed_other_answers(survey):
    again = make_survey()
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(survey, name), getattr(again, name))
    other = make_survey(seed=1)
    assert not other.responses["value"].equals(survey.responses["value"])


def test_shape_of_the_example_survey(survey):
    r = survey.responses
    assert list(r.columns) == list(RESPONSE_COLUMNS)
    rel = survey.relationships
    assert rel["relationship_id"].tolist() == [f"CMR{k:02d}" for k in range(1, 41)]
    # every respondent answers 12 constructs x 2 items x (expectation, perception) + 2 outcomes
    per_respondent = r.groupby(["relationship_id", "respondent"]).size()
    assert set(per_respondent) == {len(CONSTRUCTS) * 2 * 2 + 2}
    ratings = r[r["kind"] != "outcome"]["value"].dropna()
    assert ratings.between(1, 7).all()
    assert 0.01 < r["value"].isna().mean() < 0.06
    sides = r.groupby("relationship_id")["perspective"].nunique()
    assert sides[sides < 2].index.tolist() == ["CMR40"]
    assert rel["phase"].isin(PHASES).all()


def test_cast_dyads_pair_study_participants_with_their_organisations(survey):
    study = yaml.safe_load((ROOT / "study.yaml").read_text(encoding="utf-8"))
    org_of = {p["id"]: p["organisation"] for p in study["participants"]}
    rel = survey.relationships.set_index("relationship_id")
    cast = survey.responses[survey.responses["respondent"].str.fullmatch(r"P\d\d")]
    assert not cast.empty
    for (rid, respondent, side), _ in cast.groupby(
        ["relationship_id", "respondent", "perspective"]
    ):
        assert org_of[respondent] == rel.loc[rid, side], (rid, respondent, side)
    assert rel.loc["CMR01", ["client", "cmo"]].tolist() == ["ALPHA", "GAMMA"]


def test_phase_histories_are_contiguous_and_end_in_the_current_phase(survey):
    p = survey.phases
    for rid, spells in p.groupby("relationship_id"):
        assert spells["end"].iloc[:-1].tolist() == spells["start"].iloc[1:].tolist(), rid
        assert pd.isna(spells["end"].iloc[-1])
    last = p.groupby("relationship_id")["phase"].last()
    current = survey.relationships.set_index("relationship_id")["phase"]
    assert last.sort_index().tolist() == current.sort_index().tolist()
    first = p.groupby("relationship_id")["start"].min()
    assert (survey.events["date"] >= survey.events["relationship_id"].map(first)).all()


def test_example_files_are_exactly_the_documented_generator_call(tmp_path):
    # data/survey/README.md: write_survey(make_survey(40, seed=20260105), "data/survey")
    write_survey(make_survey(40, seed=20260105), tmp_path)
    for name in TABLES:
        committed = (ROOT / "data" / "survey" / f"{name}.csv").read_bytes()
        assert committed == (tmp_path / f"{name}.csv").read_bytes(), name


def test_write_then_read_round_trips(survey, tmp_path):
    write_survey(survey, tmp_path)
    back = read_survey(tmp_path)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(survey, name), check_dtype=False)
    assert back.responses["value"].dtype == "Int64"


def test_read_survey_names_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="responses.csv not found"):
        read_survey(tmp_path)


# --------------------------------------------------------------------------- bad input

ROW = {
    "relationship_id": "CMR01",
    "respondent": "P01",
    "perspective": "client",
    "item": "trust_1",
    "construct": "trust",
    "kind": "perception",
    "value": 5,
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"value": 0},
            r"row 0: perception of 'trust_1' by P01 in CMR01 is 0, outside the scale 1-7",
        ),
        ({"value": "five"}, r"row 0: value 'five' is not a number"),
        ({"perspective": "supplier"}, r"row 0: perspective 'supplier' is not one of"),
        ({"kind": "wish"}, r"row 0: kind 'wish' is not one of"),
        # an answer nobody can be counted for: refused (earlier analyses dropped it silently)
        ({"respondent": None}, r"row 0: respondent is missing .*fill in the respondent"),
        ({"relationship_id": np.nan}, r"row 0: relationship_id is missing"),
        ({"item": None}, r"row 0: item is missing"),
        ({"construct": None}, r"row 0: construct is missing"),
    ],
)
def test_bad_rows_are_named(change, message):
    with pytest.raises(DsrError, match=message):
        validate_responses(pd.DataFrame([{**ROW, **change}]))


def test_missing_column_is_named():
    with pytest.raises(DsrError, match=r"lack column\(s\) \['value'\]"):
        validate_responses(pd.DataFrame([{k: v for k, v in ROW.items() if k != "value"}]))


def test_duplicate_answer_is_named():
    with pytest.raises(
        DsrError, match="row 1: P01 answered the perception of 'trust_1' in CMR01 twice"
    ):
        validate_responses(pd.DataFrame([ROW, ROW]))


def test_outcomes_are_not_checked_against_the_rating_scale():
    data = validate_responses(
        pd.DataFrame([{**ROW, "kind": "outcome", "item": "spend", "value": 12}])
    )
    assert data["value"].tolist() == [12.0]


def test_read_survey_names_file_and_line_of_an_answer_without_respondent(survey, tmp_path):
    write_survey(survey, tmp_path)
    path = tmp_path / "responses.csv"
    before = path.read_bytes()
    lines = before.decode("utf-8").splitlines()
    cells = lines[3].split(",")
    cells[1] = ""  # file line 4 = data row 2: the respondent cell left empty
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    edited = path.read_bytes()
    with pytest.raises(DsrError, match=r"responses.csv:4: row 2: respondent is missing"):
        read_survey(tmp_path)
    assert path.read_bytes() == edited  # the raw file is left as it was


def test_read_survey_names_file_and_line_of_a_bad_answer(survey, tmp_path):
    write_survey(survey, tmp_path)
    path = tmp_path / "responses.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",9"  # file line 6 = data row 4
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DsrError, match=r"responses.csv:6: row 4: .* is 9, outside the scale 1-7"):
        read_survey(tmp_path)
