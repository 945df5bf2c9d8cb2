"""``dsr artifacts`` (list, diff, trace, sheet) on the example study and a broken copy."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dsr_workbench.cli import main
from dsr_workbench.corpus.study import load_study
from dsr_workbench.dsr.artifacts import load_artifacts
from dsr_workbench.dsr.decisions import load_decisions
from dsr_workbench.dsr.episodes import load_episodes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "study.yaml"


def dsr(
    capsys: pytest.CaptureFixture[str], *argv: str, study: Path = EXAMPLE
) -> tuple[int, str, str]:
    """Run ``dsr --study STUDY ARGV...`` in-process; return exit code, stdout and stderr."""
    code = main(["--study", str(study), "artifacts", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A writable copy of the example study (study.yaml, interviews, data)."""
    for name in ("interviews", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(EXAMPLE, tmp_path / "study.yaml")
    return tmp_path / "study.yaml"


def test_list_shows_every_version_with_its_cycle_status_and_episodes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = dsr(capsys)
    assert code == 0
    study = load_study(EXAMPLE)
    arts = load_artifacts(study)
    episodes = load_episodes(study.data_dir / "evaluations", study.participants)
    lines = out.splitlines()
    assert lines[0].split() == ["artifact", "version", "cycle", "status", "elements", "episodes",
                                "ratings"]  # fmt: skip
    assert len(lines) == 1 + len(arts.versions)
    for v, line in zip(arts.versions.itertuples(), lines[1:], strict=True):
        assert line.split()[:4] == [v.artifact, v.version, str(v.cycle), v.status]
        held = episodes[(episodes["artifact"] == v.artifact) & (episodes["version"] == v.version)]
        for episode in set(held["episode"]):  # also episodes whose ratings are not recorded
            assert episode in line, (v.artifact, v.version)


def test_diff_lists_each_change_with_its_decision(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = dsr(capsys, "diff", "development-framework", "v2", "v3")
    assert code == 0
    decisions = load_decisions(ROOT / "data" / "evaluations" / "decisions.yaml").decisions
    mine = decisions[(decisions["artifact"] == "development-framework")
                     & (decisions["version"] == "v3")]  # fmt: skip
    assert set(mine["decision_id"]) == {"D09", "D10", "D11"}
    *changes, total = out.splitlines()
    named = [re.findall(r"\[([^\]]+)\]$", line) for line in changes]
    assert all(named), changes  # every change names its decision(s)
    cited = {d.strip() for (ds,) in named for d in ds.split(",")}
    assert cited == set(mine["decision_id"])
    assert total == f"{len(changes)} changes, 0 without a decision"
    assert any(line.startswith("gm-quality-agreement (governance_mechanism) added: + ")
               for line in changes)  # fmt: skip


def test_trace_is_clean_on_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = dsr(capsys, "trace")
    assert code == 0
    summaries = [line for line in out.splitlines() if " links, " in line]
    assert len(summaries) == len(load_artifacts(load_study(EXAMPLE)).versions)
    assert all(line.endswith(" 0 uncovered, 0 unresolved") for line in summaries)
    assert "points at nothing" not in out
    code, out, _ = dsr(capsys, "trace", "expectation-alignment", "--version", "v2")
    assert code == 0 and [line for line in out.splitlines() if " links, " in line] == [
        line for line in summaries if line.startswith("expectation-alignment v2:")
    ]


def test_trace_names_a_broken_reference_and_exits_1(
    example_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v3 = example_copy.parent / "data" / "artifacts" / "development-framework" / "v3.yaml"
    text = v3.read_text(encoding="utf-8")
    assert text.count("transcript:FG1#turn39") == 1
    v3.write_text(text.replace("transcript:FG1#turn39", "transcript:FG1#turn999"), encoding="utf-8")
    line = next(i for i, t in enumerate(v3.read_text().splitlines(), 1) if "FG1#turn999" in t)
    # the key of the broken reference, found in the file's own tree
    tree = yaml.safe_load(v3.read_text(encoding="utf-8"))["elements"]

    def where(items: list, prefix: str) -> str | None:
        for i, item in enumerate(items):
            key = f"{prefix}[{i}]"
            if "transcript:FG1#turn999" in (item.get("evidence") or []):
                return f"{key}.evidence[{item['evidence'].index('transcript:FG1#turn999')}]"
            found = where(item.get("children") or [], f"{key}.children")
            if found:
                return found
        return None

    code, out, _ = dsr(capsys, "trace", study=example_copy)
    assert code == 1
    broken = [t for t in out.splitlines() if "points at nothing" in t]
    assert broken == [f"{v3}:{line}: key '{where(tree, 'elements')}': transcript:FG1#turn999 "
                      "points at nothing"]  # fmt: skip
    assert "development-framework v3: " in out and " 1 unresolved" in out
    # tracing only another version is clean again
    assert (
        dsr(capsys, "trace", "development-framework", "--version", "v2", study=example_copy)[0] == 0
    )


def test_sheet_writes_html_and_docx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix in (".html", ".docx"):
        out = tmp_path / f"tool{suffix}"
        code, printed, err = dsr(
            capsys, "sheet", "partner-differentiation", "v2", "--out", str(out)
        )
        assert (code, printed, err) == (0, f"wrote {out}\n", "")
        assert out.stat().st_size > 1000
    assert (tmp_path / "tool.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert (tmp_path / "tool.docx").read_bytes()[:2] == b"PK"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["diff", "nope", "v1", "v2"], "no artifact 'nope'"),
        (["diff", "development-framework", "v2", "v9"],
         "artifact 'development-framework' has no version 'v9'"),
        (["diff", "partner-differentiation", "v2", "v2"], "both versions are v2"),
        (["trace", "nope"], "no artifact 'nope'"),
        (["trace", "partner-differentiation", "--version", "v3"],
         "artifact 'partner-differentiation' has no version 'v3'"),
        (["trace", "--version", "v9"], "no artifact has a version 'v9'"),
        (["sheet", "nope", "v1", "--out", "{tmp}/x.html"], "no artifact 'nope'"),
        (["sheet", "expectation-alignment", "v3", "--out", "{tmp}/x.html"],
         "artifact 'expectation-alignment' has no version 'v3'"),
        (["sheet", "expectation-alignment", "v2", "--out", "{tmp}/x.pdf"],
         "cannot write a sheet as '.pdf'"),
        (["sheet", "expectation-alignment", "v2", "--out", "{tmp}/x.html", "--key",
          "{tmp}/no-key.yaml"], "pseudonymisation key file not found"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_line_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = dsr(capsys, *(a.replace("{tmp}", str(tmp_path)) for a in argv))
    assert code == 2 and out == ""
    assert err.startswith("dsr artifacts: error: ") and err.count("\n") == 1, err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_bad_argument_in_a_real_process_has_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dsr_workbench.cli", "--study", str(EXAMPLE), "artifacts", "diff",
         "development-framework", "v1", "v7"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "dsr artifacts: error: key 'version': artifact 'development-framework' has no version "
        "'v7' (fix: use one of: v1, v2, v3)"
    ]
