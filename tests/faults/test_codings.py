"""Fault cases of the codings area: transcripts edited under existing codings, lost codings,
concurrent auto-coding.

The example study is copied to a scratch folder and interview I01 is edited the way a
researcher would: a paragraph is prepended (every later offset moves, so codings read with
their old offsets would land on the wrong words, turn and speaker) and two passages are
reworded (the codings on them can no longer be found: lost). Every report table that uses
codings is then checked against a fresh anchoring of the logs to the edited corpus.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

from dsr_workbench.analysis.reliability_codings import (
    disagreements,
    per_code_agreement,
    reliability_data,
)
from dsr_workbench.coding.anchoring import anchor
from dsr_workbench.coding.codebook import load_codebook
from dsr_workbench.coding.codings import load_codings, read_log
from dsr_workbench.coding.gioia import gioia_structure
from dsr_workbench.coding.queries import (
    code_crosstab,
    code_frequencies,
    coded_quotes,
    with_turns,
)
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.stats import filter_turns
from dsr_workbench.corpus.study import load_study
from tests.faults import guard

AREA = "codings"
ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PREPENDED = (
    "Interviewer: Before we start, a note for the record: this is the second session; "
    "the first recording failed.\n\n"
)
REWORDED = {
    "Well, it depends who you ask and on which day. In the contract they're a supplier. "
    "In the presentations they're a partner.": "Honestly? We never settled that question "
    "internally, and I doubt we ever will settle it.",
    "People talk about trust as if it's a feeling. For me it's more like a track record of "
    "small promises kept.": "Nobody here agrees on what that word means, so I stopped using "
    "it in meetings.",
}


def _copy_example(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "study.yaml", target / "study.yaml")
    for folder in ("interviews", "data", "notebooks"):
        shutil.copytree(ROOT / folder, target / folder)
    return target / "study.yaml"


def _edit_i01(root: Path) -> None:
    path = root / "interviews" / "I01_hannah.txt"
    text = path.read_text(encoding="utf-8")
    for old, new in REWORDED.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(PREPENDED + text, encoding="utf-8")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}


def _dsr(study: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dsr_workbench.cli", "--study", str(study), *argv],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=900,
    )


def _fresh(study_yaml: Path) -> dict:
    """The edited corpus and a fresh anchoring of every coding to it (by ``anchor`` itself)."""
    study = load_study(study_yaml)
    transcripts, turns = load_corpus(study)
    anchored = anchor(load_codings(study.data_dir / "codings"), transcripts)
    lost = anchored["status"] == "lost"
    return {
        "study": study,
        "transcripts": transcripts,
        "turns": turns,
        "book": load_codebook(study.data_dir / "codebook.yaml"),
        "placed": anchored.loc[~lost].reset_index(drop=True),
        "lost": anchored.loc[lost].reset_index(drop=True),
        "text": transcripts.set_index("transcript_id")["text"],
    }


def _roundtrip(table: pd.DataFrame) -> pd.DataFrame:
    """A table as the report's CSV holds it (saved with ``index=False``, read back)."""
    return pd.read_csv(io.StringIO(table.to_csv(index=False)))


def _same_table(saved: Path, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(pd.read_csv(saved), _roundtrip(expected), check_dtype=False)


@pytest.fixture(scope="module")
def edited_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The example study with I01 edited, and ``dsr build`` of the two coding reports."""
    root = tmp_path_factory.mktemp("edited-example")
    study_yaml = _copy_example(root)
    _edit_i01(root)
    fresh = _fresh(study_yaml)
    assert len(fresh["lost"]) >= 4, "the edit should lose some codings"
    moved = fresh["placed"]["start"] != fresh["placed"]["old_start"]
    assert moved.sum() >= 30, "the prepended paragraph should move I01's codings"
    before = guard.snapshot(root / "data", root / "interviews")
    result = _dsr(
        study_yaml,
        "build",
        "--cycle",
        "1",
        "--report",
        "coding-analysis",
        "--report",
        "intercoder-reliability",
        "-j",
        "1",
        "-q",
    )
    assert result.returncode == 0, result.stderr
    reports = root / "reports" / "cycle-1"
    return {
        **fresh,
        "root": root,
        "result": result,
        "before": before,
        "analysis": reports / "coding-analysis" / "v001",
        "reliability": reports / "intercoder-reliability" / "v001",
    }


@pytest.mark.fault(
    case="interview edited under its codings (paragraph prepended, passages reworded), "
    "reports rebuilt: every quote, turn, speaker, count and agreement matches a fresh anchoring",
    area=AREA,
    outcome="detected",
)
def test_transcript_edit_reports_match_a_fresh_anchoring(edited_build: dict) -> None:
    b = edited_build
    turns = filter_turns(b["turns"], cycle=1)
    ids = set(turns["transcript_id"])
    placed = b["placed"].loc[b["placed"]["transcript_id"].isin(ids)].reset_index(drop=True)
    lost_ids = set(b["lost"]["coding_id"])
    tables = b["analysis"] / "tables"

    quotes = pd.read_csv(tables / "quotes.csv", keep_default_na=False)
    assert len(quotes) and not set(quotes["coding_id"]) & lost_ids
    for row in quotes.itertuples(index=False):  # today's words at today's offsets
        assert b["text"][row.transcript_id][int(row.start) : int(row.end)] == row.quote
    where = with_turns(quotes[["transcript_id", "start", "end"]], b["turns"])
    assert quotes["turn"].astype(int).tolist() == where["turn"].astype(int).tolist()
    assert quotes["speaker"].tolist() == where["speaker"].tolist()
    i01 = quotes.loc[quotes["transcript_id"] == "I01"]
    old = placed.set_index("coding_id")["old_start"]
    assert (i01["start"] != i01["coding_id"].map(old)).all()  # old offsets would misplace

    book = b["book"]
    _same_table(
        tables / "frequencies_by_perspective.csv",
        code_frequencies(placed, turns, by="perspective", codebook=book, rollup=True),
    )
    _same_table(
        tables / "frequencies_by_cycle.csv",
        code_frequencies(placed, turns, by="cycle", codebook=book),
    )
    _same_table(
        tables / "crosstab_code_perspective.csv",
        code_crosstab(placed, turns, unit="turn").reset_index(),
    )
    structure = gioia_structure(book, placed)
    _same_table(tables / "gioia_structure.csv", structure)
    chosen = structure.iloc[0, 0]
    expected = coded_quotes(placed, turns, book, chosen)
    assert quotes["coding_id"].tolist() == expected["coding_id"].tolist()

    data = reliability_data(placed, turns, transcripts=sorted(ids))
    tables = b["reliability"] / "tables"
    _same_table(tables / "agreement_per_code.csv", per_code_agreement(data))
    disagree = pd.read_csv(tables / "disagreements.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(
        disagree, _roundtrip(disagreements(data, turns, placed)).fillna(""), check_dtype=False
    )
    lost_quotes = set(b["lost"]["old_quote"])
    for row in disagree.itertuples(index=False):
        for quote in filter(None, str(row.quote).split(" | ")):
            assert quote in b["text"][row.transcript_id]
            assert quote not in lost_quotes
    guard.assert_unchanged(
        b["before"], guard.snapshot(b["root"] / "data", b["root"] / "interviews")
    )


@pytest.mark.fault(
    case="codings lost by a transcript edit: listed only in each report's unplaced table, "
    "shown in the notebook and counted by dsr build",
    area=AREA,
    outcome="detected",
)
def test_lost_codings_are_counted_in_reports_and_the_build(edited_build: dict) -> None:
    b = edited_build
    lost = b["lost"]
    n = len(lost)
    for version in (b["analysis"], b["reliability"]):
        unplaced = pd.read_csv(version / "tables" / "unplaced_codings.csv")
        assert sorted(unplaced["coding_id"]) == sorted(lost["coding_id"])
        assert (unplaced["transcript_id"] == "I01").all()
        assert unplaced["old_quote"].tolist() == [
            lost.set_index("coding_id").loc[c, "old_quote"] for c in unplaced["coding_id"]
        ]
        html = (version / "notebook.html").read_text(encoding="utf-8")
        assert f"{n} codings could not be placed since I01 changed" in html
        for table in (version / "tables").glob("*.csv"):
            if table.name != "unplaced_codings.csv":
                assert not set(lost["coding_id"]) & set(
                    pd.read_csv(table).get("coding_id", pd.Series(dtype=str))
                )
    warnings = [line for line in b["result"].stderr.splitlines() if "could not be placed" in line]
    assert len(warnings) == 2
    assert all(f"left out {n} codings that could not be placed" in w for w in warnings)
    assert "coding-analysis v001" in warnings[0] + warnings[1]
    assert "intercoder-reliability v001" in warnings[0] + warnings[1]


@pytest.mark.fault(
    case="CLI queries after a transcript edit (dsr quotes, codes stats, agreement --codings) "
    "say on stderr how many codings they left out, and count only placed ones",
    area=AREA,
    outcome="detected",
)
def test_cli_queries_count_the_codings_they_leave_out(tmp_path: Path) -> None:
    study_yaml = _copy_example(tmp_path / "s")
    _edit_i01(tmp_path / "s")
    fresh = _fresh(study_yaml)
    before = guard.snapshot(tmp_path / "s" / "data")
    n = len(fresh["lost"])
    line = f"left out {n} codings that could not be placed since I01 changed"

    stats = _dsr(study_yaml, "codes", "stats", "--csv")
    assert stats.returncode == 0, stats.stderr
    assert stats.stderr.splitlines() == [f"dsr codes stats: {line}; run `dsr codings check`"]
    counts = pd.read_csv(io.StringIO(stats.stdout))
    assert counts["segments"].sum() == len(fresh["placed"])
    expected = fresh["placed"]["code_id"].value_counts()
    assert counts.set_index("code_id")["segments"].to_dict() == expected.to_dict()

    code = fresh["lost"]["code_id"].iloc[0]
    quotes = _dsr(study_yaml, "quotes", code, "--no-subtree", "--csv")
    assert quotes.returncode == 0, quotes.stderr
    n_code = int((fresh["lost"]["code_id"] == code).sum())
    assert f"dsr quotes: left out {n_code} coding" in quotes.stderr
    table = pd.read_csv(io.StringIO(quotes.stdout), keep_default_na=False)
    assert len(table) == int((fresh["placed"]["code_id"] == code).sum())
    assert not set(table["coding_id"]) & set(fresh["lost"]["coding_id"])
    for row in table.itertuples(index=False):
        assert fresh["text"][row.transcript_id][int(row.start) : int(row.end)] == row.quote

    agreement = _dsr(study_yaml, "agreement", "--codings", "--json")
    assert agreement.returncode == 0, agreement.stderr
    assert f"dsr agreement: {line}" in agreement.stderr
    guard.assert_unchanged(before, guard.snapshot(tmp_path / "s" / "data"))


@pytest.mark.fault(
    case="REFI-QDA export after a transcript edit: placed codings exported at today's offsets, "
    "lost ones left out and listed",
    area=AREA,
    outcome="detected",
)
def test_qdpx_export_leaves_lost_codings_out_and_lists_them(tmp_path: Path) -> None:
    from dsr_workbench.refi.write import export_qdpx

    study_yaml = _copy_example(tmp_path / "s")
    _edit_i01(tmp_path / "s")
    fresh = _fresh(study_yaml)
    before = guard.snapshot(tmp_path / "s" / "data", tmp_path / "s" / "interviews")
    report = export_qdpx(study_yaml, tmp_path / "out.qdpx")
    lost = report.skipped.loc[report.skipped["reason"].str.contains("lost")]
    assert sorted(lost["coding_id"]) == sorted(fresh["lost"]["coding_id"])
    assert report.counts["codings"] == len(fresh["placed"])
    guard.assert_unchanged(
        before, guard.snapshot(tmp_path / "s" / "data", tmp_path / "s" / "interviews")
    )


@pytest.mark.fault(
    case="coding view opened on an edited transcript: codings drawn at today's offsets, lost "
    "ones not drawn but counted in a note",
    area=AREA,
    outcome="detected",
)
def test_coding_view_draws_only_placed_codings(tmp_path: Path) -> None:
    from dsr_workbench.widgets.coding_view import coding_view

    study_yaml = _copy_example(tmp_path / "s")
    _edit_i01(tmp_path / "s")
    fresh = _fresh(study_yaml)
    before = guard.snapshot(tmp_path / "s" / "data")
    view = coding_view(load_study(study_yaml), coder="kim")
    mine = fresh["lost"].loc[fresh["lost"]["coder"] == "kim"]
    assert sorted(view.unplaced["coding_id"]) == sorted(mine["coding_id"])
    assert not set(view.codings["coding_id"]) & set(mine["coding_id"])
    for row in view.codings.itertuples(index=False):
        assert fresh["text"][row.transcript_id][int(row.start) : int(row.end)] == row.quote
    assert any(f"{len(mine)} codings could not be placed" in x for x in view.notes.lines)
    guard.assert_unchanged(before, guard.snapshot(tmp_path / "s" / "data"))


_RACER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from dsr_workbench.coding import codings
    from dsr_workbench.cli import main

    real = codings.append_events

    def append(log, events, **options):  # the run has read the log; now it appends
        Path(sys.argv[1]).write_text(str(len(events)))
        return real(log, events, **options)

    codings.append_events = append
    sys.exit(main(["--study", sys.argv[2], "code", "auto", "--coder", "auto"]))
    """
)


@pytest.mark.fault(
    case="two dsr code auto runs at once (both read the log before either appends): each "
    "coding is written once, and a third run leaves the log as it is",
    area=AREA,
    outcome="held",
)
def test_concurrent_auto_code_runs_write_each_coding_once(tmp_path: Path) -> None:
    study_yaml = _copy_example(tmp_path / "s")
    data = tmp_path / "s" / "data" / "codings"
    before = guard.snapshot(data / "kim.jsonl", data / "noah.jsonl")
    log = data / "auto.jsonl"
    script = tmp_path / "racer.py"
    script.write_text(_RACER, encoding="utf-8")
    marks = [tmp_path / f"ready-{i}" for i in range(2)]
    lock = FileLock(f"{log}.lock")
    with lock:  # hold the log's lock: both runs read the (empty) log and wait to append
        racers = [
            subprocess.Popen(
                [sys.executable, str(script), str(mark), str(study_yaml)],
                env=_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for mark in marks
        ]
        deadline = time.monotonic() + 600
        while not all(m.exists() for m in marks):
            assert all(r.poll() is None for r in racers), [r.communicate() for r in racers]
            assert time.monotonic() < deadline, "the auto-coding runs never reached the append"
            time.sleep(0.05)
    errors = [r.communicate(timeout=600)[1] for r in racers]
    assert [r.returncode for r in racers] == [0, 0], errors
    proposed = {int(m.read_text()) for m in marks}
    assert len(proposed) == 1 and proposed.pop() > 0  # both runs proposed every coding
    events = read_log(log)
    assert events["coding_id"].is_unique
    appended = [int(m) for e in errors for m in re.findall(r"matches, (\d+) new codings", e)]
    assert sorted(appended) == [0, len(events)]  # one run wrote them all, the other none
    size = log.stat().st_size
    third = _dsr(study_yaml, "code", "auto", "--coder", "auto")
    assert third.returncode == 0 and "0 new codings" in third.stderr
    assert log.stat().st_size == size
    guard.assert_unchanged(before, guard.snapshot(data / "kim.jsonl", data / "noah.jsonl"))


@pytest.mark.fault(
    case="dsr code auto re-run after a paragraph was prepended: the moved auto-codings are not "
    "coded a second time at their new offsets",
    area=AREA,
    outcome="survived",
)
def test_auto_code_after_a_transcript_edit_codes_nothing_twice(tmp_path: Path) -> None:
    study_yaml = _copy_example(tmp_path / "s")
    first = _dsr(study_yaml, "code", "auto", "--coder", "auto")
    assert first.returncode == 0, first.stderr
    log = tmp_path / "s" / "data" / "codings" / "auto.jsonl"
    n = len(read_log(log))
    path = tmp_path / "s" / "interviews" / "I01_hannah.txt"
    path.write_text(PREPENDED + path.read_text(encoding="utf-8"), encoding="utf-8")
    before = guard.snapshot(log)
    again = _dsr(study_yaml, "code", "auto", "--coder", "auto")
    assert again.returncode == 0, again.stderr
    assert "0 new codings" in again.stderr
    guard.assert_unchanged(before, guard.snapshot(log))
    assert len(read_log(log)) == n
