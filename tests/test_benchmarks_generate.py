"""The synthetic-study generator of ``benchmarks/`` and a smoke run of the benchmark runner.

The benchmarks themselves measure, they are not tests; here we only check that what the
generator writes is a valid study in the study's own formats (so the benchmarks measure real
work) and that the runner writes its document.
"""

from __future__ import annotations

import doctest
import filecmp
from pathlib import Path

import numpy as np
import pytest

from benchmarks import generate, harness, synth_tables, synth_text
from benchmarks.generate import StudySpec, generate_study, make_reliability_data
from benchmarks.run import main
from dsr_workbench.analysis.reliability import agreement
from dsr_workbench.analysis.survey import read_survey
from dsr_workbench.coding.codebook import load_codebook
from dsr_workbench.coding.codings import load_codings, read_logs
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study

TINY = StudySpec(
    n_transcripts=7,
    turns_per_transcript=8,
    n_participants=5,
    n_codes=12,
    n_coders=3,
    codings_per_coder=40,
    n_relationships=8,
    focus_group_every=3,
    words_per_turn=20,
    seed=7,
)


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory: pytest.TempPathFactory) -> generate.GeneratedStudy:
    return generate_study(tmp_path_factory.mktemp("tiny"), TINY)


def test_generated_study_loads_in_the_study_formats(tiny_study: generate.GeneratedStudy) -> None:
    study = load_study(tiny_study.study_yaml)
    transcripts, turns = load_corpus(study)
    assert len(transcripts) == TINY.n_transcripts
    assert len(turns) == tiny_study.n_turns
    assert set(transcripts["format"]) == {"txt", "md", "docx", "vtt", "srt"}
    assert set(transcripts["kind"]) == {"interview", "focus_group"}
    assert set(turns["perspective"]) == {"client", "cmo", "researcher"}
    assert tiny_study.text_bytes == sum(len(t.encode()) for t in turns["text"])


def test_codebook_has_one_keyword_rule_per_code(tiny_study: generate.GeneratedStudy) -> None:
    book = load_codebook(tiny_study.root / "data" / "codebook.yaml")
    assert len(book) == TINY.n_codes
    assert sorted(book.rules["value"]) == sorted(tiny_study.keywords)
    assert set(book.codes["level"]) == {"dimension", "theme", "concept"}


def test_coding_logs_quote_the_transcripts(tiny_study: generate.GeneratedStudy) -> None:
    transcripts, _ = load_corpus(load_study(tiny_study.study_yaml))
    text = dict(zip(transcripts["transcript_id"], transcripts["text"], strict=True))
    sha = dict(zip(transcripts["transcript_id"], transcripts["sha256"], strict=True))
    events = read_logs(tiny_study.root / "data" / "codings")
    codings = load_codings(tiny_study.root / "data" / "codings")
    assert set(events["event"]) <= {"add", "remove", "memo"}
    assert sorted(codings["coder"].unique()) == ["R1", "R2", "R3"]
    assert (codings["coder"] == "R1").sum() <= TINY.codings_per_coder
    for row in codings.itertuples():
        assert text[row.transcript_id][row.start : row.end] == row.quote
        assert sha[row.transcript_id] == row.sha256


def test_survey_dyads_are_written(tiny_study: generate.GeneratedStudy) -> None:
    survey = read_survey(tiny_study.root / "data" / "survey")
    assert survey.relationships["relationship_id"].nunique() == TINY.n_relationships


def test_same_spec_same_files(tmp_path: Path, tiny_study: generate.GeneratedStudy) -> None:
    again = generate_study(tmp_path / "again", TINY)
    for name in [
        "study.yaml",
        "data/codebook.yaml",
        "data/codings/R2.jsonl",
        "interviews/T00001.txt",
        "interviews/T00005.vtt",
    ]:
        assert filecmp.cmp(tiny_study.root / name, again.root / name, shallow=False), name


def test_agreement_level_shows_in_the_codings() -> None:
    turns = generate.make_turns(600)
    high = generate.make_codings(turns, 400, list("ABCDEF"), n_coders=2, agreement=0.9, seed=1)
    low = generate.make_codings(turns, 400, list("ABCDEF"), n_coders=2, agreement=0.3, seed=1)

    def shared(c):  # share of R1's codings that R2 repeats exactly
        keys = ["transcript_id", "start", "end", "code_id"]
        r1, r2 = c[c.coder == "R1"][keys], c[c.coder == "R2"][keys]
        return len(r1.merge(r2)) / len(r1)

    assert shared(high) > 0.8 > 0.4 > shared(low)


def test_reliability_data_long_and_matrix_agree() -> None:
    import krippendorff

    long, matrix = make_reliability_data(300, 3, seed=2)
    ours = agreement(long, level="nominal", metrics=["krippendorff_alpha"])["estimate"].iloc[0]
    theirs = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert np.isnan(matrix).mean() == pytest.approx(0.05, abs=0.02)


@pytest.mark.parametrize("module", [generate, synth_text, synth_tables, harness])
def test_docstring_examples(module) -> None:
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


def test_quick_run_writes_the_document(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    assert (
        main(["--quick", "--only", "reliability", "--work", str(tmp_path), "--out", str(out)]) == 0
    )
    text = out.read_text()
    assert "## Machine" in text and "Quick (smoke) run" in text
    assert "| 1,000 × 3 |" in text  # the reliability table's largest quick size
    out.unlink()  # the saved results give the same document without measuring again
    assert (
        main(
            [
                "--quick",
                "--only",
                "reliability",
                "--work",
                str(tmp_path),
                "--out",
                str(out),
                "--render-only",
            ]
        )
        == 0
    )
    assert out.read_text() == text


def test_unknown_benchmark_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--only", "nonsense"])
    assert "unknown benchmark 'nonsense'" in capsys.readouterr().err
