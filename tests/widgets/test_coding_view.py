"""The coding view driven through its message handler, as the browser drives it.

Every test sends the messages the front end sends (``{"action": ...}``) to
:meth:`CodingView.handle` and then reads the coder's log from disk: the log is what must be
right. Expected offsets are found in the transcript's text with ``str.index`` (code points),
and the transcript fixture has characters outside the BMP (𝔘, 🙂) before the coded words, so
a UTF-16 offset would differ from the right one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.analysis.reliability_codings import per_code_agreement, reliability_data
from dsr_workbench.coding.codebook import load_codebook, parse_codebook
from dsr_workbench.coding.codings import code_span, fold, read_log
from dsr_workbench.corpus.study import load_study
from dsr_workbench.widgets.coding_view import CodingView, coding_view

ROOT = Path(__file__).resolve().parents[2]

CODEBOOK = """\
# Test codebook: comments and order must survive an in-vivo edit.
codes:
  - {id: REL, name: Relational governance, level: dimension}  # a root
  - {id: TRUST, name: Trust, parent: REL, coding_rule: Trust talk, rules: {keywords: [trust]}}
  # capacity is its own root
  - {id: CAP, name: Capacity access, definition: Getting line time., rules: {keywords: [capacity]}}
"""
ODD = "𝔘🙂 "  # two characters outside the BMP, before the words the tests code


def make_study(root: Path) -> Path:
    """A copy of the example study whose I02 has non-BMP characters in Elena's first turn."""
    shutil.copy(ROOT / "study.yaml", root / "study.yaml")
    shutil.copytree(ROOT / "interviews", root / "interviews")
    shutil.copytree(ROOT / "data", root / "data")
    shutil.rmtree(root / "data" / "codings", ignore_errors=True)
    (root / "data" / "codings").mkdir()
    (root / "data" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    i02 = root / "interviews" / "I02_elena.md"
    text = i02.read_text(encoding="utf-8")
    i02.write_text(text.replace("Elena: Of course,", f"Elena: {ODD}Of course,", 1), "utf-8")
    return root / "study.yaml"


@pytest.fixture
def study(tmp_path: Path):
    return load_study(make_study(tmp_path))


@pytest.fixture
def view(study) -> CodingView:
    v = coding_view(study, "R1")
    v.transcript.value = "I02"
    return v


def lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def words(view: CodingView, quote: str, after: str = "") -> dict:
    """A selection message for the first ``quote`` after ``after`` in the transcript shown."""
    text = view.view.text
    start = text.index(quote, text.index(after) if after else 0)
    return {"start": start, "end": start + len(quote), "quote": quote}


def apply(view: CodingView, quote: str, code: str, after: str = "") -> dict:
    return view.handle({"action": "apply", "code": code, **words(view, quote, after)})


def test_apply_writes_code_point_offsets_after_non_bmp_text(view):
    text = view.view.text
    assert ODD.strip() in text
    event = apply(view, "Of course", "TRUST")
    assert view.error == ""
    (written,) = lines(view.log)
    start = text.index("Of course")
    utf16 = len(text[:start].encode("utf-16-le")) // 2
    assert utf16 == start + 2  # a UTF-16 offset would be two units off
    assert (written["event"], written["start"], written["end"], written["quote"]) == (
        "add",
        start,
        start + 9,
        "Of course",
    )
    assert written["code_id"] == "TRUST" and written["origin"] == "manual"
    assert written == event
    assert text[written["start"] : written["end"]] == "Of course"
    spans = [s for s in view.spans if s["k"] == "a"]
    assert [(s["s"], s["e"], s["c"]) for s in spans] == [(start, start + 9, "TRUST")]
    assert view.view.recent == ["TRUST"]
    # the same span and code again is the same coding: nothing more is written
    apply(view, "Of course", "TRUST")
    assert len(lines(view.log)) == 1 and "already coded" in view.view.status


def test_remove_memo_and_undo_append_inverse_events(view):
    event = apply(view, "no problem", "CAP")
    cid = event["coding_id"]
    view.handle({"action": "memo", "id": cid, "memo": "ask Elena"})
    view.handle({"action": "remove", "id": cid})
    kinds = [(e["event"], e["coding_id"]) for e in lines(view.log)]
    assert kinds == [("add", cid), ("memo", cid), ("remove", cid)]
    assert lines(view.log)[1]["memo"] == "ask Elena"
    assert view.codings.empty

    view.handle({"action": "undo"})  # the remove: the same coding is added back, memo and all
    back = lines(view.log)[-1]
    assert back["event"] == "add" and back["coding_id"] == cid
    assert (back["start"], back["end"], back["quote"], back["origin"]) == (
        event["start"],
        event["end"],
        "no problem",
        "manual",
    )
    assert view.codings["memo"].tolist() == ["ask Elena"]
    view.handle({"action": "undo"})  # the memo: the previous (empty) note
    assert lines(view.log)[-1] == {**lines(view.log)[-1], "event": "memo", "memo": ""}
    view.handle({"action": "undo"})  # the apply: a remove
    assert (lines(view.log)[-1]["event"], lines(view.log)[-1]["memo"]) == ("remove", "undo")
    assert fold(read_log(view.log)).empty
    n = len(lines(view.log))
    assert view.handle({"action": "undo"}) is None
    assert view.error.startswith("nothing to undo") and len(lines(view.log)) == n


def test_selection_over_two_turns_is_refused(view):
    turns = view.current_turns().sort_values("start")
    first, second = turns.iloc[0], turns.iloc[1]
    text = view.view.text
    msg = {
        "action": "apply",
        "code": "CAP",
        "start": int(first["end"]) - 5,
        "end": int(second["start"]) + 5,
        "quote": text[int(first["end"]) - 5 : int(second["start"]) + 5],
    }
    assert view.handle(msg) is None
    assert view.error.startswith("the selection spans two turns")
    assert "\n" not in view.error
    assert not view.log.exists()


def test_quote_mismatch_refuses_and_offers_reload(view):
    msg = {"action": "apply", "code": "CAP", **words(view, "no problem")}
    msg["quote"] = "no problen"  # the text the browser had is not the text at these offsets
    assert view.handle(msg) is None
    assert "no longer match" in view.error and view.view.reload is True
    assert not view.log.exists()
    view.handle({"action": "reload"})
    assert view.view.reload is False and view.view.text.count(ODD.strip()) == 1


def test_unknown_code_and_bad_messages_are_refused(view):
    assert apply(view, "no problem", "TRUTS") is None
    assert "unknown code id 'TRUTS'" in view.error and "TRUST" in view.error
    assert view.handle({"action": "apply", "start": "x", "end": 3, "code": "CAP"}) is None
    assert "no valid start/end" in view.error
    assert (
        view.handle({"action": "apply", "start": 10, "end": 10, "quote": "", "code": "CAP"}) is None
    )
    assert view.handle({"action": "remove", "id": "nope"}) is None
    assert "not a current coding of R1" in view.error
    assert view.handle({"action": "explode"}) is None and "unknown action" in view.error
    event = apply(view, "no problem", "CAP")
    assert view.handle({"action": "memo", "id": event["coding_id"], "memo": "  "}) is None
    assert view.error.startswith("the memo is empty")
    assert [e["event"] for e in lines(view.log)] == ["add"]


@pytest.fixture
def read_only(tmp_path: Path):
    """Make a file read-only for this process, even for root (immutable with chattr)."""
    made: list[Path] = []

    def freeze(path: Path) -> None:
        path.touch()
        if os.geteuid() == 0:
            if shutil.which("chattr") is None:
                pytest.skip("running as root without chattr: cannot make a read-only file")
            subprocess.run(["chattr", "+i", str(path)], check=True)
        else:
            path.chmod(0o444)
        made.append(path)

    yield freeze
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=False)
        path.chmod(0o644)


def test_read_only_log_is_reported_and_nothing_is_lost(view, read_only):
    read_only(view.log)
    assert apply(view, "no problem", "CAP") is None
    assert view.error.startswith(f"cannot write {view.log}") and "nothing was written" in view.error
    assert view.log.read_bytes() == b""
    assert view.history == []


def test_in_vivo_adds_the_code_keeping_the_file_and_codes_the_words(view, study):
    path = study.data_dir / "codebook.yaml"
    msg = {"action": "invivo", "parent": "REL", **words(view, "no problem")}
    event = view.handle(msg)
    assert view.error == ""
    new_text = path.read_text(encoding="utf-8")
    old = CODEBOOK.splitlines(keepends=True)
    # every old line is kept, in order; the new entry sits after REL's subtree (TRUST)
    assert new_text == "".join(old[:4]) + (
        '  - id: "NO_PROBLEM"\n    name: "no problem"\n    parent: "REL"\n'
    ) + "".join(old[4:])
    book = load_codebook(path)
    assert list(book.codes["code_id"]) == ["REL", "TRUST", "NO_PROBLEM", "CAP"]
    (written,) = lines(view.log)
    assert written == event and written["code_id"] == "NO_PROBLEM"
    assert (written["start"], written["quote"]) == (
        words(view, "no problem")["start"],
        "no problem",
    )
    assert "NO_PROBLEM" in [c["id"] for c in view.view.codes]
    view.handle({"action": "undo"})
    assert lines(view.log)[-1]["event"] == "remove"


def test_in_vivo_that_fails_validation_writes_nothing(view, study):
    path = study.data_dir / "codebook.yaml"
    before = path.read_bytes()
    assert view.handle({"action": "invivo", "parent": "NOPE", **words(view, "no problem")}) is None
    assert "unknown code id 'NOPE'" in view.error
    # a codebook someone broke meanwhile (a second TRUST): the edit would not validate
    path.write_text(CODEBOOK + "  - {id: TRUST, name: Again}\n", encoding="utf-8")
    broken = path.read_bytes()
    assert view.handle({"action": "invivo", **words(view, "no problem")}) is None
    assert "defined twice" in view.error and str(path) in view.error
    assert path.read_bytes() == broken and before != broken
    assert not view.log.exists()


def test_in_vivo_without_a_codebook_file_is_refused(study):
    from dsr_workbench.corpus.read import load_corpus

    transcripts, turns = load_corpus(study)
    v = CodingView(
        transcripts, turns, parse_codebook(CODEBOOK), coder="R1", data_dir=study.data_dir
    )
    v.transcript.value = "I02"
    assert v.handle({"action": "invivo", **words(v, "no problem")}) is None
    assert v.error.startswith("in-vivo coding needs the codebook's file")


def test_suggestions_are_drawn_dashed_and_accept_reject_are_on_record(view):
    pending = view.handle({"action": "suggest"})
    assert pending and all(e["transcript_id"] == "I02" for e in pending)
    drawn = [s for s in view.spans if s["k"] == "s"]
    assert [s["i"] for s in drawn] == [e["coding_id"] for e in pending]
    view.handle({"action": "accept", "id": pending[0]["coding_id"]})
    view.handle({"action": "reject", "id": pending[1]["coding_id"]})
    log = lines(view.log)
    assert [(e["event"], e["coding_id"]) for e in log] == [
        ("add", pending[0]["coding_id"]),
        ("add", pending[1]["coding_id"]),
        ("remove", pending[1]["coding_id"]),
    ]
    assert log[2]["memo"] == "rejected suggestion"
    assert fold(read_log(view.log))["coding_id"].tolist() == [pending[0]["coding_id"]]
    assert view.handle({"action": "accept", "id": pending[1]["coding_id"]}) is None
    assert view.error.startswith("no pending suggestion")


def test_compare_shows_the_reliability_modules_agreement_and_resolve_writes_consensus(study):
    from dsr_workbench.corpus.read import load_corpus

    transcripts, turns = load_corpus(study)
    book = load_codebook(study.data_dir / "codebook.yaml")
    row = transcripts.set_index("transcript_id").loc["I02"]
    t = {"transcript_id": "I02", "text": row["text"], "sha256": row["sha256"]}
    text = row["text"]
    a = text.index("Of course")
    b = text.index("capacity is not a shelf")
    r2 = study.data_dir / "codings" / "R2.jsonl"
    code_span(study.data_dir / "codings" / "R1.jsonl", t, a, a + 9, "TRUST", codebook=book)
    code_span(r2, t, a, a + 21, "TRUST", codebook=book)  # a longer span: an extent difference
    code_span(r2, t, b, b + 8, "CAP", codebook=book)  # R1 never applied CAP: one side only

    view = coding_view(study, "R1")
    view.transcript.value = "I02"
    assert view.view.coders == ["R2"]
    comparison = view.handle({"action": "compare", "coder": "R2"})
    both = pd.concat([fold(read_log(p)) for p in (view.log, r2)], ignore_index=True)
    i02 = turns[turns["transcript_id"] == "I02"]
    expected = per_code_agreement(
        reliability_data(both, i02, unit="char", coders=["R1", "R2"], transcripts=["I02"])
    )
    pd.testing.assert_frame_equal(comparison.agreement, expected)
    shown = {r["code"]: r for r in view.view.agreement}
    for r in expected.itertuples(index=False):
        assert shown[r.code_id]["alpha"] == pytest.approx(r.alpha, abs=1e-3, nan_ok=True)
    table = comparison.disagreements
    assert sorted(zip(table["code_id"], table["kind"], table["present"], strict=True)) == [
        ("CAP", "one side", "R2"),
        ("TRUST", "extent", "R2"),
    ]
    marked = [s for s in view.spans if s["k"] == "d"]
    assert len(marked) == 2 and {s["k"] for s in view.view.spans} == {"a", "b", "d"}

    n = int(table.index[table["code_id"] == "CAP"][0])
    written = view.handle({"action": "resolve", "index": n, "decision": "present"})
    (event,) = lines(view.consensus_log)
    assert written == [event]
    assert (event["event"], event["code_id"], event["origin"], event["coder"]) == (
        "add",
        "CAP",
        "consensus",
        "consensus",
    )
    assert (event["start"], event["end"], event["quote"]) == (b, b + 8, "capacity")
    assert event["memo"] == "consensus: applied by R2; not by R1"
    assert [s["m"] for s in view.spans if s["k"] == "d" and s["c"] == "CAP"] == ["resolved"]
    view.handle({"action": "undo"})
    assert [e["event"] for e in lines(view.consensus_log)] == ["add", "remove"]
    assert view.handle({"action": "resolve", "index": 99, "decision": "present"}) is None
    assert view.error.startswith("no disagreement 99")
    assert view.handle({"action": "resolve", "index": 0, "decision": "maybe"}) is None
    assert "neither 'present' nor 'absent'" in view.error
    assert len(lines(view.consensus_log)) == 2
    assert view.handle({"action": "compare", "coder": "R1"}) is None
    assert "no other coder 'R1' to compare with" in view.error


def test_ready_sends_the_spans_again(view):
    apply(view, "no problem", "CAP")
    before = view.spans
    view.handle({"action": "ready"})
    assert view.view.spans == before and view.view.spans is not before
    assert view.view.edits == []  # the edits are folded into the spans sent again


def test_an_action_sends_only_the_spans_it_changed(view):
    apply(view, "Of course", "TRUST")
    apply(view, "no problem", "CAP")
    view.handle({"action": "ready"})
    base = view.view.spans
    event = apply(view, "Could you", "TRUST")
    assert view.view.spans is base  # the 2 spans are not sent again
    assert [(e["i"], e["s"], e["c"]) for e in view.view.edits] == [
        (event["coding_id"], event["start"], "TRUST")
    ]
    view.handle({"action": "remove", "id": event["coding_id"]})
    assert view.view.spans is base
    assert view.view.edits == [{"i": event["coding_id"], "del": True}]
    assert sorted(s["i"] for s in view.spans) == sorted(s["i"] for s in base)


def test_the_codings_in_memory_are_the_logs_after_every_action(view):
    """The view folds its own appends in instead of re-reading the log: both must agree."""
    from dsr_workbench.coding.anchored import anchored_codings

    def check() -> None:
        truth = fold(read_log(view.log))
        placed = anchored_codings(truth, view.transcripts_table, view.turns_table).codings
        keys = ["coding_id", "transcript_id", "start", "end", "code_id", "quote", "memo"]
        anchored = [*keys, "status", "score", "old_start", "old_end", "turn"]
        for mine, disk, cols in [(view.raw, truth, keys), (view.codings, placed, anchored)]:
            assert list(mine.columns) == list(disk.columns)
            assert mine[keys].dtypes.astype(str).tolist() == disk[keys].dtypes.astype(str).tolist()
            got = mine[cols].astype(object).where(mine[cols].notna(), None)
            want = disk[cols].astype(object).where(disk[cols].notna(), None)
            assert sorted(map(tuple, got.values)) == sorted(map(tuple, want.values))
        drawn = {(s["i"], s["s"], s["e"], s["c"], s["m"]) for s in view.spans if s["k"] == "a"}
        mine = placed[placed["transcript_id"] == view.transcript_id]
        assert drawn == {
            (i, s, e, c, m if isinstance(m, str) else "")
            for i, s, e, c, m in zip(
                mine["coding_id"],
                mine["start"],
                mine["end"],
                mine["code_id"],
                mine["memo"],
                strict=True,
            )
        }

    first = apply(view, "Of course", "TRUST")
    check()
    second = apply(view, "no problem", "CAP")
    check()
    view.handle({"action": "memo", "id": first["coding_id"], "memo": "habit"})
    check()
    view.handle({"action": "remove", "id": first["coding_id"]})
    check()
    view.handle({"action": "undo"})  # the add again, with its memo
    check()
    view.handle({"action": "undo"})  # the memo's inverse: the note before (none)
    check()
    view.handle({"action": "remove", "id": second["coding_id"]})
    check()
    assert len(view.raw) == 1 and view.error == ""


def test_the_header_names_the_log_as_the_study_does_not_by_machine_path(view):
    # a machine path on a page shown to a focus group is a bug (and leaks the user's folders)
    header = view.widget.children[0].value
    assert "data/codings/" in header
    assert str(view.data_dir.resolve().parent) not in header
