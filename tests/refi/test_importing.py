"""Tests of dsr_workbench.refi.importing: a co-author's project brought into the mini study.

The project is made here the way NVivo writes one (CRLF text, UTF-16 offsets, no quotes), with
one source that is the raw file of transcript T1, one new interview with speaker labels, and
one source without speakers. The qc-style fixture (tests/data/refi/qc-style) is a project
whose selections carry no quotes and cannot settle their convention: imported, flagged.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.coding.anchored import load_anchored_codings
from dsr_workbench.coding.codebook import load_codebook, parse_codebook
from dsr_workbench.coding.codings import code_span, load_codings, log_path, read_log, remove
from dsr_workbench.core.errors import DsrError
from dsr_workbench.corpus.read import load_corpus
from dsr_workbench.corpus.study import load_study
from dsr_workbench.refi.importing import apply_import, import_refi, plan_import, read_refi
from dsr_workbench.refi.write import export_qdpx
from tests.refi.qc_style import QC_QUOTES, QC_STYLE, qc_style_qdpx
from tests.refi.test_read import qdc

# the raw file interviews/t1.txt of the mini study (tests/conftest.py)
T1 = "Interviewer: How do you choose a CMO?\nAna: By track record.\nAna: And audits.\n"
G = "00000000-0000-0000-0000-0000000000{:02d}".format
NEW = "Ana: We trust Gamma 😀 completely.\nBen: Capacity is tight this year.\n"
NOTES = "just some notes\nwithout any speaker labels at all\n"


def units(text: str, word: str) -> tuple[int, int]:
    """NVivo's offsets of ``word`` in ``text`` with CRLF line ends: UTF-16 code units."""
    crlf, word = text.replace("\n", "\r\n"), word.replace("\n", "\r\n")
    at = crlf.index(word)
    return len(crlf[:at].encode("utf-16-le")) // 2, len(
        crlf[: at + len(word)].encode("utf-16-le")
    ) // 2


def sel(n: int, text: str, word: str, code: int, user: int | None = 90) -> str:
    a, b = units(text, word)
    who = f' creatingUser="{G(user)}"' if user else ""
    return (
        f'<PlainTextSelection guid="{G(n)}" name="" startPosition="{a}" endPosition="{b}">'
        f'<Coding guid="{G(n + 30)}"{who}><CodeRef targetGUID="{G(code)}"/></Coding>'
        "</PlainTextSelection>"
    )


def nvivo_project(path: Path) -> Path:
    t1 = [("track record", 2), ("audits", 2), ("choose a CMO", 3), ("record.\nAna: And", 2)]
    new = [("trust Gamma", 1), ("Capacity is tight", 3), ("completely", 1)]
    body1 = "".join(sel(10 + i, T1, w, c) for i, (w, c) in enumerate(t1))
    body2 = "".join(sel(20 + i, NEW, w, c, 91 if i else None) for i, (w, c) in enumerate(new))
    body3 = sel(29, NOTES, "notes", 1)
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Untitled" origin="NVivo for Windows 12.6">
<Users><User guid="{G(90)}" name="Gergo"/><User guid="{G(91)}" name="Kim" id="R1"/></Users>
<CodeBook><Codes>
<Code guid="{G(1)}" name="Trust" isCodable="true"><Description>Relying on the partner.</Description>
  <Code guid="{G(2)}" name="Audits" isCodable="true"/></Code>
<Code guid="{G(3)}" name="Capacity" isCodable="true"/>
</Codes></CodeBook>
<Sources>
<TextSource guid="{G(5)}" name="t1" plainTextPath="internal://{G(5)}.txt">{body1}</TextSource>
<TextSource guid="{G(6)}" name="Interview Ana/Ben" plainTextPath="internal://{G(6)}.txt">{body2}</TextSource>
<TextSource guid="{G(7)}" name="field notes" plainTextPath="internal://{G(7)}.txt">{body3}</TextSource>
</Sources></Project>"""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde.encode("utf-8"))
        for guid, text in ((G(5), T1), (G(6), NEW), (G(7), NOTES)):
            zf.writestr(
                f"Sources/{guid}.txt", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
            )
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return nvivo_project(tmp_path / "coauthor.qdpx")


def test_the_project_reads_as_nvivo_writes_it(project):
    p = read_refi(project)
    conventions = dict(zip(p.sources["name"], p.sources["convention"], strict=True))
    # NVivo's UTF-16 units differ from code points only after the emoji of the new interview
    assert conventions == {
        "t1": "codepoint/raw/exclusive",
        "Interview Ana/Ben": "utf16/raw/exclusive",
        "field notes": "codepoint/raw/exclusive",
    }
    assert "trust Gamma" in p.codings["quote"].tolist()


def test_a_dry_run_writes_nothing_and_says_what_would_happen(mini_study, project, snapshot):
    before = snapshot(mini_study.parent)
    plan = import_refi(mini_study, project, dry_run=True)
    assert snapshot(mini_study.parent) == before  # no cache either
    assert plan.written == []
    table = plan.sources[["name", "action", "transcript_id", "file"]].fillna("-")
    assert table.values.tolist() == [
        ["t1", "transcript", "T1", "-"],
        [
            "Interview Ana/Ben",
            "new",
            "Interview_Ana_Ben",
            "interviews/imported/Interview_Ana_Ben.txt",
        ],
        ["field notes", "no speakers", "-", "interviews/imported/field_notes.txt"],
    ]
    assert plan.study_yaml[0].startswith(
        "  - {id: Interview_Ana_Ben, file: interviews/imported/Interview_Ana_Ben.txt, "
        "kind: interview, date: "
    )
    assert plan.n_new_codes == 3 and plan.n_events == 6
    assert {k: len(v) for k, v in plan.events.items()} == {"Gergo": 3, "imported": 1, "R1": 2}
    assert sorted(plan.problems["problem"].str[:20]) == [
        "its source cannot be",
        "its text is not in t",  # "record.\nAna: And" spans two turns of T1
    ]
    assert any("no speaker labels" in note for note in plan.notes)


def test_import_writes_sources_codebook_and_coding_events(mini_study, project):
    plan = import_refi(mini_study, project)
    root = mini_study.parent
    assert (root / "interviews/imported/Interview_Ana_Ben.txt").read_text(encoding="utf-8") == NEW
    assert (root / "interviews/imported/field_notes.txt").exists()
    codebook = (root / "data/codebook.yaml").read_text(encoding="utf-8")
    assert "id: Trust" in codebook and "parent: Trust" in codebook
    gergo = read_log(log_path(root / "data", "Gergo"))
    assert set(gergo["origin"]) == {"import"}
    # the new transcript joins the corpus once its line is in study.yaml: codings line up
    study_yaml = root / "study.yaml"
    study_yaml.write_text(study_yaml.read_text() + plan.study_yaml[0] + "\n")
    transcripts, _ = load_corpus(load_study(study_yaml))
    texts = transcripts.set_index("transcript_id")
    codings = load_codings(root / "data" / "codings")
    assert len(codings) == 6
    for row in codings.itertuples():
        assert texts.at[row.transcript_id, "text"][row.start : row.end] == row.quote
        assert texts.at[row.transcript_id, "sha256"] == row.sha256
    assert sorted(codings["quote"]) == sorted(
        ["track record", "audits", "choose a CMO", "trust Gamma", "Capacity is tight", "completely"]
    )


def test_importing_twice_adds_nothing(mini_study, project, snapshot):
    import_refi(mini_study, project)

    def inputs() -> dict[str, bytes]:  # the coding-log and corpus caches are rebuilt
        return {
            k: v
            for k, v in snapshot(mini_study.parent).items()
            if "/.cache/" not in k and ".dsr-cache/" not in k
        }

    before = inputs()
    plan = import_refi(mini_study, project)
    assert plan.n_events == 0 and plan.n_present == 6 and plan.n_new_codes == 0
    assert set(plan.sources["action"]) == {"transcript", "reuse", "no speakers"}
    assert inputs() == before


def test_a_coding_a_reviewer_removed_is_not_imported_again(mini_study, project):
    import_refi(mini_study, project)
    log = log_path(mini_study.parent / "data", "R1")
    first = read_log(log)["coding_id"].iloc[0]
    remove(log, first, memo="not capacity")
    plan = import_refi(mini_study, project, dry_run=True)
    assert plan.n_events == 0


def test_an_existing_file_with_other_text_is_never_overwritten(mini_study, project):
    folder = mini_study.parent / "interviews" / "imported"
    folder.mkdir(parents=True)
    (folder / "Interview_Ana_Ben.txt").write_text("Ana: something else\n", encoding="utf-8")
    plan = import_refi(mini_study, project)
    assert (folder / "Interview_Ana_Ben.txt").read_text() == "Ana: something else\n"
    assert (folder / "Interview_Ana_Ben_2.txt").read_text(encoding="utf-8") == NEW
    assert "Interview_Ana_Ben_2" in plan.sources["transcript_id"].tolist()


def test_coders_can_be_renamed_and_unattributed_codings_get_a_default(mini_study, project):
    plan = import_refi(
        mini_study, project, dry_run=True, coders={"Gergo": "R2"}, default_coder="coauthor"
    )
    assert {k: len(v) for k, v in plan.events.items()} == {"R2": 3, "coauthor": 1, "R1": 2}


def test_a_coder_name_that_cannot_name_a_log_is_refused(mini_study, project):
    with pytest.raises(DsrError, match="cannot name a log file"):
        import_refi(mini_study, project, dry_run=True, coders={"Gergo": "../x"})


def test_apply_refuses_when_the_codebook_changed_meanwhile(mini_study, project):
    plan = plan_import(mini_study, read_refi(project))
    data = mini_study.parent / "data"
    data.mkdir()
    (data / "codebook.yaml").write_text("codes:\n  - {id: X, name: X}\n")
    with pytest.raises(DsrError, match="the codebook changed while importing"):
        apply_import(plan)
    assert not (data / "codings").exists()


def test_codings_made_on_an_older_version_of_a_transcript_are_re_anchored(mini_study, tmp_path):
    # the study is exported with a coding; a co-author codes it; meanwhile T1 gets an edit
    data = mini_study.parent / "data"
    data.mkdir()
    (data / "codebook.yaml").write_text("codes:\n  - {id: AUDIT, name: Audits}\n")
    book = parse_codebook("codes:\n  - {id: AUDIT, name: Audits}")
    t1 = load_corpus(load_study(mini_study))[0].iloc[0]
    at = t1["text"].index("audits")
    code_span(log_path(data, "R1"), t1, at, at + 6, "AUDIT", codebook=book)
    qdpx = export_qdpx(mini_study, tmp_path / "old.qdpx").path
    raw = mini_study.parent / "interviews" / "t1.txt"
    raw.write_text(raw.read_text().replace("How do you choose", "So, how do you choose"))
    plan = import_refi(mini_study, qdpx, coders={"R1": "R3"})
    assert plan.sources.set_index("name").at["T1", "action"] == "edited"
    (coding,) = load_codings(data / "codings").query("coder == 'R3'").itertuples()
    text = load_corpus(load_study(mini_study))[0].iloc[0]["text"]
    assert coding.quote == "audits" and text[coding.start : coding.end] == "audits"
    assert coding.start == at + len("So, h") - 1
    # R1's own coding has moved with the edit: importing it again adds nothing
    assert import_refi(mini_study, qdpx, dry_run=True).n_events == 0


# --------------------------------------------------------------------------- no quotes


@pytest.fixture
def qc_project(tmp_path: Path) -> Path:
    return qc_style_qdpx(tmp_path / "qc-style.qdpx")


NO_QUOTE = (
    "placed by the REFI-QDA standard's code-point convention, unverified: the selections carry "
    "no quote text to check against, and codepoint/raw/inclusive cannot be ruled out"
)


def test_a_project_without_quotes_places_every_coding_unverified(qc_project):
    p = read_refi(qc_project)
    assert p.problems.empty  # before: all 9 were dropped as ambiguous
    assert p.origin == "QualCoder 3.5"
    names = dict(zip(p.sources["source_id"], p.sources["name"], strict=True))
    got = {name: [] for name in QC_QUOTES}
    for row in p.codings.itertuples():
        got[names[row.source_id]].append(row.quote)
    assert got == QC_QUOTES
    assert set(p.codings["verified"]) == {"unverified"}
    assert set(p.codings["reason"]) == {NO_QUOTE}
    assert set(p.codings["coder"]) == {"default"}


def test_importing_it_flags_every_coding_and_says_why(mini_study, qc_project):
    plan = import_refi(mini_study, qc_project)
    assert plan.problems.empty and plan.n_events == 9
    assert plan.unverified.values.tolist() == [
        ["7c1e4a52-3b9d-4f0e-a6c2-000000000021", "t1.txt", 3, NO_QUOTE],
        ["7c1e4a52-3b9d-4f0e-a6c2-000000000022", "interview.txt", 6, NO_QUOTE],
    ]
    log = log_path(mini_study.parent / "data", "default")
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["verified"] for e in lines] == [False] * 9
    # analysis still reads them: the anchored codings of the study hold all nine
    study_yaml = mini_study
    study_yaml.write_text(study_yaml.read_text() + plan.study_yaml[0] + "\n")
    anchored = load_anchored_codings(load_study(study_yaml))
    assert len(anchored.codings) == 9 and anchored.unplaced.empty
    assert sorted(anchored.codings["quote"]) == sorted(q for v in QC_QUOTES.values() for q in v)


def test_re_exporting_and_importing_again_gives_the_same_codings(mini_study, qc_project, tmp_path):
    plan = import_refi(mini_study, qc_project)
    mini_study.write_text(mini_study.read_text() + plan.study_yaml[0] + "\n")
    ours = export_qdpx(mini_study, tmp_path / "ours.qdpx").path
    # our export writes each coding's quote: read back, every one is verified by it
    back = read_refi(ours)
    assert len(back.codings) == 9 and set(back.codings["verified"]) == {"quote"}
    # into the study it came from: nothing new, the flagged events stay as they are
    again = import_refi(mini_study, ours, dry_run=True)
    assert again.n_events == 0 and again.n_present == 9 and again.problems.empty
    # into a fresh copy: the same codings (code, span, quote, coder)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(mini_study, fresh / "study.yaml")
    shutil.copytree(mini_study.parent / "interviews", fresh / "interviews")
    import_refi(fresh / "study.yaml", ours)
    columns = ["coding_id", "transcript_id", "start", "end", "quote", "code_id", "coder"]
    a = load_codings(mini_study.parent / "data" / "codings")[columns].sort_values("coding_id")
    b = load_codings(fresh / "data" / "codings")[columns].sort_values("coding_id")
    assert len(a) == 9
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    # the flag does not travel through REFI-QDA (the standard has no place for it): the
    # quotes our export wrote prove export and import agree, not the first placement
    log = log_path(fresh / "data", "default")
    assert all("verified" not in json.loads(x) for x in log.read_text().splitlines())


def test_only_a_selection_outside_the_text_is_dropped_and_each_is_listed(mini_study, tmp_path):
    qde = (QC_STYLE / "project.qde").read_text(encoding="utf-8")
    qde = qde.replace('startPosition="24" endPosition="35"', 'startPosition="70" endPosition="95"')
    path = tmp_path / "past.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        for file in (QC_STYLE / "Sources").iterdir():
            zf.write(file, f"Sources/{file.name}")
    plan = import_refi(mini_study, path, dry_run=True)
    assert plan.n_events == 8
    assert plan.problems.values.tolist() == [
        [
            "7c1e4a52-3b9d-4f0e-a6c2-000000000021",
            "t1.txt",
            "7c1e4a52-3b9d-4f0e-a6c2-000000000115",
            "70",
            "95",
            "Selection_criteria",
            "default",
            "offsets 70..95 fall outside the text (77 characters)",
        ]
    ]


# --------------------------------------------------------------------------- codebooks only


@pytest.mark.parametrize("tool", ["MAXQDA", "ATLAS.ti", "NVivo", "QualCoder", "prefixed", "bare"])
def test_a_qdc_of_any_tool_goes_into_the_studys_codebook(mini_study, tmp_path, tool):
    path = tmp_path / "theirs.qdc"
    path.write_text(qdc(tool), encoding="utf-8")
    plan = import_refi(mini_study, path)
    assert plan.n_new_codes == 3 and plan.n_events == 0 and plan.problems.empty
    book = load_codebook(mini_study.parent / "data" / "codebook.yaml")
    codes = book.codes.set_index("code_id")
    assert codes.loc["Audits", "parent"] == "Partner_choice"
    assert codes.loc["Audits", "definition"] == "Inspections & their findings."
    assert codes.loc["Partner_choice", "definition"] == "Why a client picks a CMO."
    if tool == "MAXQDA":
        assert codes.loc["Audits", "color"] == "#0000FF"
    if tool in ("MAXQDA", "ATLAS.ti", "prefixed"):
        assert any("set(s) of codes ('Quality') are not imported" in n for n in plan.notes)
    # a second import of the same codebook adds nothing
    assert import_refi(mini_study, path, dry_run=True).n_new_codes == 0


def test_a_qdc_merges_with_codes_the_study_has(mini_study, tmp_path):
    data = mini_study.parent / "data"
    data.mkdir()
    (data / "codebook.yaml").write_text("# ours\ncodes:\n  - {id: AUDIT, name: Audits}\n")
    path = tmp_path / "theirs.qdc"
    path.write_text(qdc("NVivo"), encoding="utf-8")
    plan = import_refi(mini_study, path)
    assert dict(zip(plan.codes["code_id"], plan.codes["action"], strict=True)) == {
        "Partner_choice": "new",
        "Track_record": "new",
        "Audits": "conflict",  # matched by name; their parent and definition differ
    }
    assert plan.codes.set_index("code_id").at["Audits", "study_code"] == "AUDIT"  # ours kept
    text = (data / "codebook.yaml").read_text()
    assert text.startswith("# ours\ncodes:\n  - {id: AUDIT, name: Audits}\n")
    assert load_codebook(data / "codebook.yaml").codes["code_id"].tolist() == [
        "AUDIT",
        "Partner_choice",
        "Track_record",
    ]


def test_a_codebook_only_qdpx_imports_its_codes_and_says_so(mini_study, tmp_path):
    qde = '<Project xmlns="urn:QDA-XML:project:1.0" name="book" origin="ATLAS.ti 23">'
    qde += "<CodeBook>" + qdc("bare").split("<CodeBook>", 1)[1].rsplit("</CodeBook>")[0]
    qde += "</CodeBook></Project>"
    path = tmp_path / "book.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
    plan = import_refi(mini_study, path)
    assert plan.n_new_codes == 3 and plan.sources.empty and plan.problems.empty
    assert any("holds a codebook only" in n for n in plan.notes)
    assert "Track_record" in load_codebook(mini_study.parent / "data" / "codebook.yaml")
