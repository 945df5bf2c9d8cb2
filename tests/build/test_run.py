"""``dsr build``: planning, keys, skipping, versions, failures, locking, executors."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dsr_workbench.build.check import status, verify
from dsr_workbench.build.jobs import plan
from dsr_workbench.build.outputs import read_manifest
from dsr_workbench.build.run import BuildLockedError, build
from dsr_workbench.core.errors import StudyError
from dsr_workbench.corpus.study import DsrDeprecationWarning, load_study

NOTEBOOKS = Path(__file__).resolve().parents[1] / "data" / "notebooks"

REPORTS = """
reports:
  tiny:
    notebook: notebooks/tiny.ipynb
    parameters: {label: hello}
    inputs: [interviews]
    present: true
  tiny-data:
    notebook: notebooks/tiny.ipynb
    cycles: [1]
    inputs: [data]
"""


@pytest.fixture
def study_dir(mini_study: Path) -> Path:
    root = mini_study.parent
    (root / "notebooks").mkdir()
    for name in ("tiny.ipynb", "no_parameters.ipynb"):
        shutil.copy(NOTEBOOKS / name, root / "notebooks" / name)
    (root / "data").mkdir()
    (root / "data" / "survey.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    text = mini_study.read_text(encoding="utf-8")
    text = text.replace(
        "  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}\n",
        "  - {id: 1, focus: Framework, start: 2026-01-01, end: 2026-03-31}\n"
        "  - {id: 2, focus: Tool, start: 2026-04-01, end: 2026-06-30}\n",
    )
    mini_study.write_text(text + REPORTS, encoding="utf-8")
    return root


def _edit_study(root: Path, old: str, new: str) -> None:
    path = root / "study.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.slow
def test_build_skip_and_rebuild_exactly_what_changed(study_dir: Path) -> None:
    study = load_study(study_dir)
    first = build(study, jobs=2, progress=False)
    assert first.status.tolist() == ["built", "built", "built"]
    v1 = study_dir / "reports" / "cycle-1" / "tiny" / "v001"
    manifest = read_manifest(v1)
    assert manifest["status"] == "ok" and manifest["parameters"]["label"] == "hello"
    assert set(manifest["inputs"]) == {"interviews/t1.txt", "interviews/t2.vtt"}
    assert {"python", "pandas", "papermill"} <= set(manifest["environment"])
    assert manifest["git"].keys() == {"commit", "dirty"}
    for name in ("notebook.ipynb", "notebook.html", "tables/summary.csv", "manifest.json"):
        assert (v1 / name).is_file(), name
    assert (study_dir / "reports" / "index.html").is_file()
    assert (study_dir / "reports" / "study-report.html").is_file()
    # presented reports get reveal.js slides that work offline (no CDN)
    slides = (v1 / "slides.html").read_text(encoding="utf-8")
    assert '"../../../_static/reveal.js/dist/reveal.js"' in slides
    remote = re.findall(r"https?://[^\"' )]*", slides)
    scripts = [u for u in remote if u.endswith((".js", ".mjs")) and "mermaid" not in u]
    assert not [u for u in scripts if "reveal" in u or "require" in u or "jquery" in u], remote
    assert (study_dir / "reports" / "_static" / "reveal.js" / "dist" / "reveal.js").is_file()
    assert (study_dir / "reports" / "_static" / "require.js").is_file()
    assert not (study_dir / "reports" / "cycle-1" / "tiny-data" / "v001" / "slides.html").exists()

    # nothing changed: no notebook runs, no version is written
    again = build(load_study(study_dir), jobs=2, progress=False)
    assert again.status.tolist() == ["skipped"] * 3
    assert not (study_dir / "reports" / "cycle-1" / "tiny" / "v002").exists()

    # one input changed: only the report that reads it runs again
    (study_dir / "data" / "survey.csv").write_text("a,b\n1,3\n", encoding="utf-8")
    third = build(load_study(study_dir), jobs=2, progress=False)
    assert dict(zip(third.report + "@" + third.cycle.astype(str), third.status, strict=True)) == {
        "tiny@1": "skipped",
        "tiny@2": "skipped",
        "tiny-data@1": "built",
    }
    assert (study_dir / "reports" / "cycle-1" / "tiny-data" / "v002").is_dir()
    index = (study_dir / "reports" / "index.html").read_text(encoding="utf-8")
    assert "data/survey.csv changed" in index
    assert status(load_study(study_dir)).state.tolist() == ["current"] * 3


@pytest.mark.slow
def test_failure_is_recorded_and_earlier_versions_survive(study_dir: Path) -> None:
    build(load_study(study_dir), reports=["tiny-data"], progress=False)
    v1 = study_dir / "reports" / "cycle-1" / "tiny-data" / "v001"
    before = {p: p.read_bytes() for p in v1.rglob("*") if p.is_file()}
    _edit_study(
        study_dir, "    inputs: [data]\n", "    inputs: [data]\n    parameters: {fail: true}\n"
    )
    result = build(load_study(study_dir), reports=["tiny-data"], progress=False)
    assert result.status.tolist() == ["failed"]
    assert "RuntimeError: planned failure" in result.error.iloc[0]
    assert {p: p.read_bytes() for p in v1.rglob("*") if p.is_file()} == before
    assert not (v1.parent / "v002").exists()
    state = status(load_study(study_dir)).set_index("report").loc["tiny-data"]
    assert (
        state.state == "failed" and "planned failure" in state.detail and "cell 4" in state.detail
    )  # In [4]
    index = (study_dir / "reports" / "index.html").read_text(encoding="utf-8")
    assert "planned failure" in index


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "notebook: notebooks/tiny.ipynb\n    parameters",
            "notebook: notebooks/gone.ipynb\n    parameters",
            r"key 'reports\.tiny\.notebook': notebook 'notebooks/gone\.ipynb' does "
            r"not exist",
        ),
        (
            "notebook: notebooks/tiny.ipynb\n    parameters",
            "notebook: notebooks/no_parameters.ipynb\n    parameters",
            r"has no cell tagged 'parameters'",
        ),
        (
            "{label: hello}",
            "{labl: hello}",
            r"key 'reports\.tiny\.parameters\.labl': parameter 'labl' is not declared .*label",
        ),
        (
            "{label: hello}",
            "{label: 3}",
            r"parameter 'label' should be str \(as in tiny\.ipynb\), got int 3",
        ),
        ("{label: hello}", "{sleep: fast}", r"parameter 'sleep' should be float"),
        ("{label: hello}", "{cycle: 2}", r"parameter 'cycle' is set by the build"),
        ("cycles: [1]", "cycles: [7]", r"unknown cycle '7'"),
    ],
)
def test_bad_reports_fail_before_anything_runs(
    study_dir: Path, old: str, new: str, message: str
) -> None:
    _edit_study(study_dir, old, new)
    with pytest.raises(StudyError, match=message) as info:
        build(load_study(study_dir), progress=False)
    assert "study.yaml:" in str(info.value)
    assert not (study_dir / "reports" / "cycle-1").exists()


def test_plan_keys_depend_on_parameters_and_inputs(study_dir: Path) -> None:
    keys = {(j.cycle, j.report): j.key for j in plan(load_study(study_dir))}
    assert len(set(keys.values())) == 3  # cycle is a parameter: every job has its own key
    (study_dir / "interviews" / "t1.txt").write_text(
        "Interviewer: Hi?\nAna: Hello.\n", encoding="utf-8"
    )
    after = {(j.cycle, j.report): j.key for j in plan(load_study(study_dir))}
    assert after[(1, "tiny")] != keys[(1, "tiny")]
    assert after[(1, "tiny-data")] == keys[(1, "tiny-data")]


@pytest.mark.slow
def test_second_build_refuses_or_waits(study_dir: Path) -> None:
    from filelock import FileLock

    lock_path = study_dir / "reports" / ".build" / "build.lock"
    lock_path.parent.mkdir(parents=True)
    held, release = threading.Event(), threading.Event()

    def other_build() -> None:  # stands in for a build running in another process
        with FileLock(str(lock_path)):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=other_build)
    thread.start()
    held.wait(10)
    try:
        with pytest.raises(BuildLockedError, match="another build of this study is running"):
            build(load_study(study_dir), reports=["tiny-data"], progress=False, wait=False)
        assert not (study_dir / "reports" / "cycle-1").exists()
        threading.Timer(1.0, release.set).start()
        result = build(load_study(study_dir), reports=["tiny-data"], progress=False)
    finally:
        release.set()
        thread.join()
    assert result.status.tolist() == ["built"]


@pytest.mark.slow
def test_sigkill_mid_build_leaves_earlier_versions_and_next_build_recovers(study_dir: Path) -> None:
    build(load_study(study_dir), reports=["tiny-data"], progress=False)
    art = study_dir / "reports" / "cycle-1" / "tiny-data"
    before = {p: p.read_bytes() for p in (art / "v001").rglob("*") if p.is_file()}
    _edit_study(
        study_dir, "    inputs: [data]\n", "    inputs: [data]\n    parameters: {sleep: 60.0}\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dsr_workbench.cli",
            "--study",
            str(study_dir / "study.yaml"),
            "build",
            "--report",
            "tiny-data",
            "-q",
        ],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 90
    while not list(art.glob(".tmp-*/notebook.ipynb")) and time.time() < deadline:
        time.sleep(0.2)
    assert list(art.glob(".tmp-*")), "the build never started its job"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert {p: p.read_bytes() for p in (art / "v001").rglob("*") if p.is_file()} == before
    assert not (art / "v002").exists()
    _edit_study(study_dir, "    parameters: {sleep: 60.0}\n", "    parameters: {sleep: 0.0}\n")
    result = build(load_study(study_dir), reports=["tiny-data"], progress=False)
    assert result.status.tolist() == ["built"] and result.version.tolist() == ["v002"]
    assert not list(art.glob(".tmp-*"))


@pytest.mark.slow
def test_dask_local_cluster_executor(study_dir: Path) -> None:
    pytest.importorskip("distributed")
    result = build(load_study(study_dir), jobs=2, executor="dask-local", progress=False)
    assert result.status.tolist() == ["built"] * 3
    assert (
        json.loads(
            (study_dir / "reports" / "cycle-2" / "tiny" / "v001" / "manifest.json").read_text()
        )["cycle"]
        == 2
    )


@pytest.mark.slow
def test_verify_current_then_stale(study_dir: Path) -> None:
    build(load_study(study_dir), reports=["tiny-data"], progress=False)
    version = study_dir / "reports" / "cycle-1" / "tiny-data" / "v001"
    assert verify(load_study(study_dir), version)["state"] == "current"
    (study_dir / "data" / "new.csv").write_text("x\n1\n", encoding="utf-8")
    res = verify(load_study(study_dir), version)
    assert res["state"] == "stale" and res["changed"]["added"] == ["data/new.csv"]


@pytest.mark.slow
def test_verify_rerun_reproduces_the_outputs(study_dir: Path) -> None:
    build(load_study(study_dir), reports=["tiny-data"], progress=False)
    version = study_dir / "reports" / "cycle-1" / "tiny-data" / "v001"
    res = verify(load_study(study_dir), version, rerun=True)
    assert res["state"] == "current" and res["reproduced"], res["differences"]
    assert not (version.parent / "v002").exists()  # the rerun never becomes a version
    # a table that no longer matches is reported
    table = version / "tables" / "summary.csv"
    table.write_text(table.read_text() + "9,x\n")
    diff = verify(load_study(study_dir), version, rerun=True)["differences"]
    assert diff.to_dict("records") == [
        {"what": "table", "name": "tables/summary.csv", "detail": "differs"}
    ]


def test_unknown_executor(study_dir: Path) -> None:
    from dsr_workbench.build.run import make_executor
    from dsr_workbench.core.errors import DsrError

    with pytest.raises(DsrError, match="unknown executor 'ray'"):
        make_executor("ray", 2)


@pytest.mark.slow
def test_versions_written_before_the_rename_stay_readable(study_dir: Path) -> None:
    """A manifest of 0.1 says ``artifact:``; status and verify still read it."""
    build(load_study(study_dir), reports=["tiny-data"], progress=False)
    version = study_dir / "reports" / "cycle-1" / "tiny-data" / "v001"
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["artifact"] = manifest.pop("report")
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert verify(load_study(study_dir), version)["state"] == "current"
    state = status(load_study(study_dir)).set_index("report").loc["tiny-data"]
    assert state["state"] == "current"


def test_old_key_artifacts_is_read_with_one_deprecation_warning(study_dir: Path) -> None:
    _edit_study(study_dir, "\nreports:\n", "\nartifacts:\n")
    with pytest.warns(
        DsrDeprecationWarning,
        match=r"study\.yaml:\d+: key 'artifacts' is deprecated: rename it to 'reports'",
    ):
        study = load_study(study_dir)
    assert {j.report for j in plan(study)} == {"tiny", "tiny-data"}


def test_old_key_artifacts_in_the_cli_is_one_warning_line(
    study_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dsr_workbench.cli import main

    _edit_study(study_dir, "\nreports:\n", "\nartifacts:\n")
    assert main(["--study", str(study_dir / "study.yaml"), "status"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dsr: warning: study.yaml:")
    assert "rename it to 'reports'" in err[0]


def test_old_and_new_key_together_is_an_error(study_dir: Path) -> None:
    path = study_dir / "study.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "artifacts:\n  x: {notebook: a.ipynb}\n")
    with pytest.raises(StudyError, match=r"key 'artifacts': both 'reports' and its old name"):
        load_study(study_dir)
