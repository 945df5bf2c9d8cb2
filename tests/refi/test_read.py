"""Tests of dsr_workbench.refi.read on small hand-made projects (built here with zipfile)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from dsr_workbench.coding.codebook import Codebook
from dsr_workbench.core.errors import InputError
from dsr_workbench.refi.read import read_qdc, read_qdpx

G = "00000000-0000-0000-0000-0000000000{:02d}".format
TEXT = "Kim: Why Gamma?\nAna: We trust them. Audits are fine.\n"
USERS = f'<Users><User guid="{G(90)}" name="Kim Lee" id="R1"/><User guid="{G(91)}" name="Noah N"/>'
USERS += f'<User guid="{G(92)}" name="Noah N"/></Users>'
CODES = f"""<CodeBook><Codes>
<Code guid="{G(1)}" name="Relations" isCodable="true">
  <Code guid="{G(2)}" name="Trust" isCodable="true" color="#4C72B0"/>
</Code>
<Code guid="{G(3)}" name="Audits" isCodable="true"/>
</Codes></CodeBook>"""


def selection(
    guid: int, start: object, end: object, code: int, user: int | None = 90, extra: str = ""
) -> str:
    who = f' creatingUser="{G(user)}"' if user is not None else ""
    return (
        f'<PlainTextSelection guid="{G(guid)}" startPosition="{start}" '
        f'endPosition="{end}"><Coding guid="{G(guid + 40)}"{who} '
        f'creationDateTime="2026-01-14T10:00:00Z"><CodeRef targetGUID="{G(code)}"/>{extra}'
        "</Coding></PlainTextSelection>"
    )


def project(sources: str, head: str = "", tail: str = "") -> str:
    return (
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="Tool 1.0">{USERS}{CODES}'
        f"{head}<Sources>{sources}</Sources>{tail}</Project>"
    )


def make(path: Path, qde: str, files: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return path


def text_source(body: str, path: str = "internal://T1.txt", guid: int = 10) -> str:
    return f'<TextSource guid="{G(guid)}" name="T1" plainTextPath="{path}">{body}</TextSource>'


def test_codes_users_and_placed_codings(tmp_path):
    trust = TEXT.index("trust")
    body = selection(20, trust, trust + 5, 2) + selection(21, 0, 3, 3, user=91)
    p = read_qdpx(make(tmp_path / "p.qdpx", project(text_source(body)), {"Sources/T1.txt": TEXT}))
    assert p.origin == "Tool 1.0" and p.name == "p"
    codes = p.codes[["code_id", "name", "parent", "color"]].astype(object)
    assert codes.where(codes.notna(), None).values.tolist() == [
        ["Relations", "Relations", None, None],
        ["Trust", "Trust", "Relations", "#4C72B0"],
        ["Audits", "Audits", None, None],
    ]
    assert list(p.users["coder"]) == ["R1", "Noah_N", "Noah_N_2"]
    assert p.codings[["start", "end", "code_id", "coder", "quote"]].values.tolist() == [
        [trust, trust + 5, "Trust", "R1", "trust"],
        [0, 3, "Audits", "Noah_N", "Kim"],
    ]
    assert p.codings["created_at"].iloc[0] == pd.Timestamp("2026-01-14T10:00:00Z")
    assert p.sources.loc[0, ["name", "text", "n_selections", "n_placed"]].tolist() == [
        "T1",
        TEXT,
        2,
        2,
    ]
    assert isinstance(p.codebook(), Codebook) and "Trust" in p.codebook()


@pytest.mark.parametrize(
    ("ref", "member"),
    [
        ("internal://T1.txt", "Sources/T1.txt"),
        ("relative://T1.txt", "Sources/T1.txt"),
        ("T1.txt", "Sources/T1.txt"),
        ("Sources/T1.txt", "Sources/T1.txt"),
        ("T1.txt", "T1.txt"),
        ("absolute://C:\\Users\\me\\Project\\t1.TXT", "Sources/T1.txt"),
        ("file:///home/me/T1.txt", "elsewhere/T1.txt"),
    ],
)
def test_source_paths_as_tools_write_them(tmp_path, ref, member):
    qde = project(text_source(selection(20, 0, 3, 3), path=ref))
    p = read_qdpx(make(tmp_path / "p.qdpx", qde, {member: TEXT}))
    assert p.codings["quote"].tolist() == ["Kim"]


def test_inline_text_notes_cases_and_variables(tmp_path):
    memo = f'<NoteRef targetGUID="{G(65)}"/>'
    body = f"<PlainTextContent>{TEXT}</PlainTextContent>" + selection(20, 0, 3, 3, extra=memo)
    body += f'<VariableValue><VariableRef targetGUID="{G(70)}"/><TextValue>interview</TextValue>'
    body += "</VariableValue>"
    head = f'<Variables><Variable guid="{G(70)}" name="Kind" typeOfVariable="Text"/></Variables>'
    head += f'<Cases><Case guid="{G(80)}" name="Ana"><Description>CMO</Description>'
    head += f'<VariableValue><VariableRef targetGUID="{G(70)}"/><TextValue>person</TextValue>'
    head += f'</VariableValue><SourceRef targetGUID="{G(10)}"/></Case></Cases>'
    notes = f'<Notes><Note guid="{G(65)}" name="m"><PlainTextContent>Ask Noah.</PlainTextContent>'
    notes += "</Note></Notes>"
    source = f'<TextSource guid="{G(10)}" name="T1">{body}</TextSource>'
    p = read_qdpx(make(tmp_path / "p.qdpx", project(source, head, notes)))
    assert p.codings.loc[0, "memo"] == "Ask Noah."
    assert p.notes[["name", "text", "target"]].values.tolist() == [["m", "Ask Noah.", "coding"]]
    assert p.cases[["name", "description"]].values.tolist() == [["Ana", "CMO"]]
    assert p.case_sources["source_id"].tolist() == [G(10)]
    assert p.variables[["owner", "variable", "value"]].values.tolist() == [
        ["source", "Kind", "interview"],
        ["case", "Kind", "person"],
    ]


def test_a_whole_source_coding_and_a_coding_without_user(tmp_path):
    body = f'<Coding guid="{G(50)}"><CodeRef targetGUID="{G(3)}"/></Coding>'
    body = selection(20, 0, 3, 2, user=None) + body
    p = read_qdpx(make(tmp_path / "p.qdpx", project(text_source(body)), {"Sources/T1.txt": TEXT}))
    # one selection, "Kim", is as clean read with an inclusive end ("Kim:"): unverified
    assert p.codings[["start", "end", "verified"]].values.tolist() == [
        [0, 3, "unverified"],
        [0, len(TEXT), "source"],
    ]
    assert p.codings["coder"].isna().all()


def test_codings_of_other_source_kinds_and_bad_positions_are_problems(tmp_path):
    pdf = f'<PDFSource guid="{G(11)}" name="Report" path="internal://r.pdf"><PDFSelection '
    pdf += f'guid="{G(30)}" page="1" firstX="0" firstY="0" secondX="1" secondY="1"><Coding '
    pdf += f'guid="{G(31)}"><CodeRef targetGUID="{G(2)}"/></Coding></PDFSelection></PDFSource>'
    body = selection(21, 200, 300, 3)
    qde = project(text_source(body) + pdf)
    p = read_qdpx(make(tmp_path / "p.qdpx", qde, {"Sources/T1.txt": TEXT}))
    assert p.codings.empty
    assert p.problems["problem"].tolist() == [
        "offsets 200..300 fall outside the text (53 characters)",
        "source 'Report' is a PDFSource; only text sources are read",
    ]
    assert p.problems["code_id"].tolist() == ["Audits", "Trust"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("x", 3, r"startPosition 'x' is not a whole number"),
        (0, "1e30", r"endPosition '1e30' is not a whole number"),
        (0, "NaN", r"endPosition 'NaN' is not a whole number"),
        (0, "2.5", r"endPosition '2\.5' is not a whole number"),
        (-5, 3, r"startPosition '-5' is negative"),
        (0, 10**30, r"endPosition '1000.*' is too large \(31 digits\)"),
    ],
)
def test_a_position_that_is_not_a_whole_number_is_refused(tmp_path, start, end, message):
    qde = project(text_source(selection(20, 0, 3, 3) + selection(21, start, end, 3)))
    with pytest.raises(InputError, match=message) as info:
        read_qdpx(make(tmp_path / "p.qdpx", qde, {"Sources/T1.txt": TEXT}))
    line = qde[: qde.index(f'guid="{G(21)}"')].count("\n") + 1
    assert str(info.value).startswith(f"{tmp_path / 'p.qdpx'}:project.qde:{line}: ")
    assert f"PlainTextSelection {G(21)} " in str(info.value)
    assert "\n" not in str(info.value)


def test_a_selection_without_a_position_is_refused(tmp_path):
    qde = project(text_source(selection(20, 0, 3, 3).replace(' endPosition="3"', "")))
    with pytest.raises(InputError, match=f"PlainTextSelection {G(20)} has no endPosition"):
        read_qdpx(make(tmp_path / "p.qdpx", qde, {"Sources/T1.txt": TEXT}))


def test_a_position_past_the_text_is_a_problem_not_an_error(tmp_path):
    # a whole number past the text may be another tool's convention or an edited source:
    # listed, not imported, and the other codings of the project still read
    body = selection(20, 0, 3, 3) + selection(21, 10**17, 10**17 + 3, 3)
    p = read_qdpx(make(tmp_path / "p.qdpx", project(text_source(body)), {"Sources/T1.txt": TEXT}))
    assert p.codings["quote"].tolist() == ["Kim"]
    assert p.problems["problem"].str.contains("fall outside the text").tolist() == [True]


def test_an_unknown_user_is_refused(tmp_path):
    qde = project(text_source(selection(20, 0, 3, 3, user=99)))
    with pytest.raises(InputError, match="creatingUser of a Coding refers to user"):
        read_qdpx(make(tmp_path / "p.qdpx", qde, {"Sources/T1.txt": TEXT}))


def test_an_unknown_note_is_refused(tmp_path):
    qde = project(text_source(selection(20, 0, 3, 3, extra=f'<NoteRef targetGUID="{G(61)}"/>')))
    with pytest.raises(InputError, match="NoteRef of a coding refers to note"):
        read_qdpx(make(tmp_path / "p.qdpx", qde, {"Sources/T1.txt": TEXT}))


def test_no_project_qde(tmp_path):
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("Sources/T1.txt", TEXT)
    with pytest.raises(InputError, match="the archive has no project.qde"):
        read_qdpx(path)


def test_a_root_that_is_not_project(tmp_path):
    with pytest.raises(InputError, match="root element is 'CodeBook', not 'Project'"):
        read_qdpx(make(tmp_path / "p.qdpx", "<CodeBook/>"))


def test_read_qdc_hierarchy_and_errors(tmp_path):
    path = tmp_path / "c.qdc"
    path.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0">{CODES[10:-11]}</CodeBook>')
    book = read_qdc(path).codebook()
    assert book.subtree("Relations") == ["Relations", "Trust"]
    path.write_text("<Project/>")
    with pytest.raises(InputError, match="not 'CodeBook'"):
        read_qdc(path)
    with pytest.raises(InputError, match="file not found"):
        read_qdc(tmp_path / "missing.qdc")


# --------------------------------------------------------------------------- .qdc from any tool

Q = "a1b2c3d4-0000-4000-8000-0000000000{:02d}".format


def qdc(tool: str) -> str:
    """A REFI-QDA codebook shaped as ``tool`` writes one (same codes, each tool's habits)."""
    if tool == "MAXQDA":  # braces and capitals in GUIDs, colours on every code, a set
        g = lambda n: "{" + Q(n).upper() + "}"  # noqa: E731
        return f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 origin="MAXQDA 2022 (Release 22.7.0)">
 <Codes>
  <Code guid="{g(1)}" name="Partner choice" isCodable="true" color="#FF0000">
   <Description>Why a client picks a CMO.</Description>
   <Code guid="{g(2)}" name="Track record" isCodable="true" color="#00FF00"/>
   <Code guid="{g(3)}" name="Audits" isCodable="true" color="#0000FF">
    <Description>Inspections &amp; their findings.</Description></Code>
  </Code>
 </Codes>
 <Sets><Set guid="{g(10)}" name="Quality"><MemberCode guid="{g(3)}"/></Set></Sets>
</CodeBook>"""
    if tool == "ATLAS.ti":  # code groups as sets, two members
        return f"""<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<CodeBook origin="ATLAS.ti 23.0.8" xmlns="urn:QDA-XML:codebook:1.0">
<Codes>
<Code guid="{Q(1)}" name="Partner choice" isCodable="true" color="#ff0000">
<Description>Why a client picks a CMO.</Description>
<Code guid="{Q(2)}" name="Track record" isCodable="true" color="#00ff00"/>
<Code guid="{Q(3)}" name="Audits" isCodable="true" color="#0000ff">
<Description>Inspections &amp; their findings.</Description></Code>
</Code>
</Codes>
<Sets>
<Set guid="{Q(10)}" name="Quality"><Description>Code group</Description>
<MemberCode guid="{Q(2)}"/><MemberCode guid="{Q(3)}"/></Set>
</Sets>
</CodeBook>"""
    if tool == "NVivo":  # its own namespace version, no colours, no sets
        return f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1:0" origin="NVivo 14">
  <Codes>
    <Code guid="{Q(1)}" name="Partner choice" isCodable="true">
      <Description>Why a client picks a CMO.</Description>
      <Code guid="{Q(2)}" name="Track record" isCodable="true" />
      <Code guid="{Q(3)}" name="Audits" isCodable="true">
        <Description>Inspections &amp; their findings.</Description>
      </Code>
    </Code>
  </Codes>
</CodeBook>"""
    if tool == "QualCoder":  # a category is a code that cannot be coded
        return f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" origin="QualCoder 3.5">
<Codes>
<Code guid="{Q(1)}" name="Partner choice" isCodable="false">
<Description>Why a client picks a CMO.</Description>
<Code guid="{Q(2)}" name="Track record" isCodable="true" color="#00FF00">
</Code>
<Code guid="{Q(3)}" name="Audits" isCodable="true" color="#0000FF">
<Description>Inspections &amp; their findings.</Description>
</Code>
</Code>
</Codes>
</CodeBook>"""
    if tool == "prefixed":  # the namespace with a prefix
        return f"""<qdc:CodeBook xmlns:qdc="urn:QDA-XML:codebook:1.0" origin="a script">
<qdc:Codes><qdc:Code guid="{Q(1)}" name="Partner choice" isCodable="true">
<qdc:Description>Why a client picks a CMO.</qdc:Description>
<qdc:Code guid="{Q(2)}" name="Track record" isCodable="true"/>
<qdc:Code guid="{Q(3)}" name="Audits" isCodable="true">
<qdc:Description>Inspections &amp; their findings.</qdc:Description></qdc:Code>
</qdc:Code></qdc:Codes>
<qdc:Sets><qdc:Set guid="{Q(10)}" name="Quality"><qdc:MemberCode guid="{Q(3)}"/></qdc:Set>
</qdc:Sets></qdc:CodeBook>"""
    assert tool == "bare"  # no namespace at all
    return f"""<CodeBook><Codes><Code guid="{Q(1)}" name="Partner choice" isCodable="true">
<Description>Why a client picks a CMO.</Description>
<Code guid="{Q(2)}" name="Track record" isCodable="true"/>
<Code guid="{Q(3)}" name="Audits" isCodable="true">
<Description>Inspections &amp; their findings.</Description></Code>
</Code></Codes></CodeBook>"""


@pytest.mark.parametrize(
    ("tool", "colors", "category", "sets"),
    [
        ("MAXQDA", ["#FF0000", "#00FF00", "#0000FF"], True, [("Quality", "Audits")]),
        (
            "ATLAS.ti",
            ["#ff0000", "#00ff00", "#0000ff"],
            True,
            [("Quality", "Track_record"), ("Quality", "Audits")],
        ),
        ("NVivo", [None, None, None], True, []),
        ("QualCoder", [None, "#00FF00", "#0000FF"], False, []),
        ("prefixed", [None, None, None], True, [("Quality", "Audits")]),
        ("bare", [None, None, None], True, []),
    ],
)
def test_a_qdc_of_any_tool_reads_alike(tmp_path, tool, colors, category, sets):
    path = tmp_path / "book.qdc"
    path.write_text(qdc(tool), encoding="utf-8")
    p = read_qdc(path)
    codes = p.codes.astype(object).where(p.codes.notna(), None)
    assert codes[["code_id", "name", "parent", "definition"]].values.tolist() == [
        ["Partner_choice", "Partner choice", None, "Why a client picks a CMO."],
        ["Track_record", "Track record", "Partner_choice", None],
        ["Audits", "Audits", "Partner_choice", "Inspections & their findings."],
    ]
    assert codes["color"].tolist() == colors
    assert codes["codable"].tolist() == [category, True, True]
    assert list(zip(p.sets["name"], p.sets["code_id"], strict=True)) == sets
    assert p.sources.empty and p.codings.empty


def test_a_qdpx_with_a_codebook_and_no_sources_reads_its_codes(tmp_path):
    qde = f'<Project xmlns="urn:QDA-XML:project:1.0" name="book" origin="MAXQDA 2022">{CODES}'
    qde += f'<Sets><Set guid="{G(60)}" name="S"><MemberCode targetGUID="{G(2)}"/></Set></Sets>'
    qde += "</Project>"
    p = read_qdpx(make(tmp_path / "book.qdpx", qde))
    assert p.codes["code_id"].tolist() == ["Relations", "Trust", "Audits"]
    assert p.sources.empty and p.codings.empty and p.problems.empty
    assert p.sets[["name", "code_id"]].values.tolist() == [["S", "Trust"]]


def test_a_qdc_whose_root_is_not_a_codebook_is_refused(tmp_path):
    path = tmp_path / "book.qdc"
    path.write_text('<Project xmlns="urn:QDA-XML:project:1.0"/>', encoding="utf-8")
    with pytest.raises(InputError, match=r"book\.qdc: root element is 'Project', not 'CodeBook'"):
        read_qdc(path)
