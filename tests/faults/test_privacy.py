"""Fault cases of the privacy gate: a real name hidden in a new report version, every way.

Each case writes a would-be version folder (``.tmp-<id>`` beside a published ``v001``) and
runs the gate on it, as ``dsr build`` does before the rename into ``vNNN``: the version must
be refused, no file of it may keep the real name, the error must name the file and the
pseudonym (never the real name), and the published version must stay byte-identical. The
last cases drive whole builds. The "real names" are invented.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from dsr_workbench.build.privacy import LEAKS_FILE, gate
from dsr_workbench.cli import main
from dsr_workbench.corpus.leaks import Limits
from dsr_workbench.corpus.pseudonymise import PseudonymKey, check_leaks, load_key
from tests.faults import guard

AREA = "privacy"
KEY = """\
- {real: Johanna Vennemann, pseudonym: Hannah, variants: [Vennemann]}
- {real: Siobhan O'Brien, pseudonym: Sarah}
- {real: Jörg Wielgosz, pseudonym: Jonas}
"""
REAL = ("Johanna", "Vennemann", "Brien", "Wielgosz", "Jörg")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "data" / "notebooks"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(chunk(*c) for c in chunks) + chunk(b"IEND", b"")


def _pdf() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("Network of Siobhan O'Brien")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf")
    plt.close(fig)
    return buffer.getvalue()


@pytest.fixture
def key(tmp_path: Path) -> PseudonymKey:
    path = tmp_path / "outside" / "key.yaml"
    path.parent.mkdir()
    path.write_text(KEY, encoding="utf-8")
    return load_key(path)


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """A reports folder with one published, clean version."""
    v1 = tmp_path / "reports" / "cycle-1" / "quotes" / "v001"
    (v1 / "tables").mkdir(parents=True)
    (v1 / "tables" / "quotes.csv").write_text("quote\nHannah said so\n", encoding="utf-8")
    (v1 / "manifest.json").write_text('{"status": "ok"}', encoding="utf-8")
    return tmp_path / "reports"


def _refused(reports: Path, key: PseudonymKey, files: dict[str, bytes | str], **kw) -> str:
    """Run the gate on a new version holding ``files``; assert it was refused cleanly."""
    tmp = reports / "cycle-1" / "quotes" / ".tmp-0123456789ab"
    for name, data in files.items():
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8", newline="")
        else:
            target.write_bytes(data)
    before = guard.snapshot(reports)
    manifest = {"status": "ok", "parameters": {"label": "x"}, "files": sorted(files)}
    result: dict = {"error": None}
    assert gate(tmp, key, manifest, result, **kw) is False
    error = result["error"]
    assert error.startswith("leak check: ") and "nothing was published" in error
    assert "\n" not in error and not any(real in error for real in REAL)
    assert sorted(p.name for p in tmp.iterdir()) == [LEAKS_FILE]
    assert manifest["status"] == "failed"
    assert not any(real in json.dumps(manifest, ensure_ascii=False) for real in REAL)
    assert check_leaks([tmp], key).empty  # the leaks file itself repeats no real name
    guard.assert_unchanged(before, guard.snapshot(reports))
    assert sorted(p.name for p in (reports / "cycle-1" / "quotes").iterdir()) == [
        ".tmp-0123456789ab",
        "v001",
    ]  # the caller records the withdrawn folder as the failure; no vNNN was made
    return error


CASES = [
    ("a real name split by a line break in a table", {"tables/q.csv": 'q\n"Johanna\nVennemann"\n'}),
    ("a real name split by CRLF and indentation", {"memo.txt": "by Johanna\r\n   Vennemann\r\n"}),
    ("a real name with a double space", {"tables/q.csv": "q\nJohanna  Vennemann\n"}),
    ("a real name with a no-break space", {"notebook.html": "<td>Johanna\u00a0Vennemann</td>"}),
    ("an apostrophe as the HTML entity &#39;", {"notebook.html": "<p>Siobhan O&#39;Brien</p>"}),
    ("an apostrophe as the HTML entity &#x27;", {"slides.html": "<p>Siobhan O&#x27;Brien</p>"}),
    ("a name escaped twice (&amp;#39;)", {"notebook.html": "<p>Siobhan O&amp;#39;Brien</p>"}),
    ("a named HTML entity for an accent (&ouml;)", {"index.html": "J&ouml;rg Wielgosz"}),
    ("a typographic apostrophe (’ for ')", {"memo.md": "Siobhan O\u2019Brien agreed"}),
    (
        "a \\u-escaped name in JSON (json.dumps)",
        {"data.json": json.dumps({"coder": "Jörg Wielgosz"})},
    ),
    (
        "a name after a surrogate-pair escape in JSON",
        {"data.json": json.dumps({"c": "\U0001f600 Jörg Wielgosz"})},
    ),
    ("a name in UTF-16 with a BOM", {"export.txt": "Jörg Wielgosz".encode("utf-16")}),
    ("a name in UTF-16LE without a BOM", {"export.csv": "q\nJörg Wielgosz\n".encode("utf-16-le")}),
    ("a name in a .gz log", {"logs/run.log.gz": gzip.compress(b"coder Johanna Vennemann\n")}),
    (
        "a name in a zip inside a zip",
        {"bundle.zip": _zip({"inner.zip": _zip({"notes.txt": b"Vennemann"})})},
    ),
    (
        "a name in a .xlsx sheet",
        {"tables/q.xlsx": _zip({"xl/sharedStrings.xml": b"<si><t>Vennemann</t></si>"})},
    ),
    ("a name in a .log file", {"kernel.log": "INFO coder=Vennemann\n"}),
    ("a name in a .js file", {"widget.js": "const who = 'Vennemann';\n"}),
    ("a name in a suffix-less file", {"NOTES": "Vennemann\n"}),
    ("a name in a PDF figure (compressed TJ text)", {"figures/net.pdf": _pdf()}),
    (
        "a name in a PNG's compressed text chunk",
        {"figures/net.png": _png([(b"zTXt", b"Title\x00\x00" + zlib.compress(b"Vennemann"))])},
    ),
    ("a name in an SVG comment", {"figures/net.svg": "<svg><!-- Johanna Vennemann --></svg>"}),
    (
        "a name in a binary file's UTF-16LE strings",
        {"model.pkl": b"\x80\x04\x95" + "Jörg Wielgosz".encode("utf-16-le") + b"\x00\x00\x00"},
    ),
    ("a name split by a soft hyphen", {"memo.txt": "Venne\u00admann"}),
    ("a name in a file name", {"tables/Vennemann-quotes.csv": "q\nok\n"}),
    (
        "a name in a notebook output",
        {
            "notebook.ipynb": json.dumps(
                {"cells": [{"cell_type": "code", "source": "", "outputs": [{"text": "Vennemann"}]}]}
            )
        },
    ),
]


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            files,
            id=f"case{i:02d}",
            marks=pytest.mark.fault(case=f"gate: {case}", area=AREA, outcome="refused"),
        )
        for i, (case, files) in enumerate(CASES)
    ],
)
def test_gate_refuses_a_hidden_real_name(
    reports: Path, key: PseudonymKey, files: dict[str, bytes | str]
) -> None:
    error = _refused(reports, key, files)
    shown = next(iter(files)).replace("Vennemann", "Hannah")
    assert f"leak check: {shown}" in error  # the file (pseudonymised) is named


@pytest.mark.fault(
    case="gate: a zip bomb in a new version (member inflates past the limit)",
    area=AREA,
    outcome="refused",
)
def test_gate_refuses_a_zip_bomb(reports: Path, key: PseudonymKey, monkeypatch) -> None:
    import dsr_workbench.corpus.leaks as leaks

    monkeypatch.setattr(leaks, "Limits", lambda: Limits(member_bytes=1 << 20))
    error = _refused(reports, key, {"bomb.zip": _zip({"zeros.bin": b"\x00" * (4 << 20)})})
    assert "bomb.zip!zeros.bin" in error and "cannot be checked" in error


@pytest.mark.fault(case="gate: zips nested deeper than the limit", area=AREA, outcome="refused")
def test_gate_refuses_deep_nesting(reports: Path, key: PseudonymKey) -> None:
    data = b"fine"
    for level in range(6):
        data = _zip({f"l{level}.zip": data})
    error = _refused(reports, key, {"deep.zip": data})
    assert "nests containers deeper than 4" in error


@pytest.mark.fault(
    case="gate: a named pipe in a new version (reading it would hang)",
    area=AREA,
    outcome="refused",
)
def test_gate_refuses_a_fifo(reports: Path, key: PseudonymKey) -> None:
    tmp = reports / "cycle-1" / "quotes" / ".tmp-0123456789ab"
    tmp.mkdir()
    os.mkfifo(tmp / "pipe")
    error = _refused(reports, key, {})
    assert "pipe: not a regular file" in error


@pytest.mark.fault(
    case="gate: a symlink to a folder holding a real name", area=AREA, outcome="refused"
)
def test_gate_follows_a_symlinked_folder(reports: Path, key: PseudonymKey, tmp_path: Path) -> None:
    outside = tmp_path / "outside-data"
    outside.mkdir()
    (outside / "memo.txt").write_text("Johanna Vennemann\n", encoding="utf-8")
    tmp = reports / "cycle-1" / "quotes" / ".tmp-0123456789ab"
    tmp.mkdir()
    (tmp / "data").symlink_to(outside)
    (tmp / "loop").symlink_to(tmp)  # a loop must not hang the scan
    error = _refused(reports, key, {})
    assert "data/memo.txt:1:1" in error
    assert (outside / "memo.txt").is_file()  # the link was removed, never followed


# --------------------------------------------------------------------------- whole builds


@pytest.fixture
def study(mini_study: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DSR_KEY_FILE", raising=False)
    root = mini_study.parent
    (root / "notebooks").mkdir()
    shutil.copy(NOTEBOOKS / "leaky.ipynb", root / "notebooks" / "leaky.ipynb")
    (root / "data").mkdir()
    (root / "data" / "memo.txt").write_text("Hannah said so.\n", encoding="utf-8")
    mini_study.write_text(
        mini_study.read_text(encoding="utf-8")
        + "reports:\n  quotes: {notebook: notebooks/leaky.ipynb, inputs: [data]}\n",
        encoding="utf-8",
    )
    return mini_study


@pytest.mark.slow
@pytest.mark.fault(
    case="build: a memo naming a participant is copied into quotes.csv and disagreements.csv",
    area=AREA,
    outcome="refused",
)
def test_build_refuses_to_publish_a_leaking_version(
    study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (study.parent / "key.yaml").write_text(KEY, encoding="utf-8")
    assert main(["--study", str(study), "build", "-q"]) == 0
    reports = study.parent / "reports"
    before = guard.snapshot(reports / "cycle-1")  # the index is rewritten, to list the failure
    (study.parent / "data" / "memo.txt").write_text("Jörg Wielgosz said so.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--study", str(study), "build", "-q"]) == 1
    err = capsys.readouterr().err
    assert "leak check: memo.json:1:11: the real name of 'Jonas'" in err  # "J\u00f6rg"
    assert not any(real in err for real in REAL)
    guard.assert_unchanged(before, guard.snapshot(reports / "cycle-1"))
    assert sorted(p.name for p in (reports / "cycle-1" / "quotes").iterdir()) == ["v001"]
    # no real name anywhere under reports/: index, failure record, logs
    assert check_leaks([reports], load_key(study.parent / "key.yaml"), skip=()).empty


@pytest.mark.slow
@pytest.mark.fault(
    case="build: no key on this machine - the skipped check is said once, not per job",
    area=AREA,
    outcome="detected",
)
def test_build_without_key_says_the_check_was_skipped(
    study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = study.read_text(encoding="utf-8")
    study.write_text(
        text.replace(
            "  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}\n",
            "  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}\n"
            "  - {id: 2, focus: Tool, start: 2026-04-01, end: 2026-06-30}\n",
        ),
        encoding="utf-8",
    )
    assert main(["--study", str(study), "build", "-q", "-j", "2"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "leak check" in line]
    assert len(lines) == 1 and lines[0].startswith("dsr: warning: leak check skipped: ")


@pytest.mark.fault(
    case="build: --key names a missing key file - refused before any notebook runs",
    area=AREA,
    outcome="refused",
)
def test_build_with_a_missing_key_runs_nothing(
    study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = study.parent / "nope.yaml"
    assert main(["--study", str(study), "build", "-q", "--key", str(missing)]) == 2
    assert "pseudonymisation key file not found" in capsys.readouterr().err
    assert not (study.parent / "reports" / "cycle-1").exists()
