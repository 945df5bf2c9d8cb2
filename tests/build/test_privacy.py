"""The privacy gate of ``dsr build``: no version is published with a real name in it."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from dsr_workbench.build.privacy import LEAKS_FILE, LeakCheckSkipped, gate, resolve_key
from dsr_workbench.build.run import build
from dsr_workbench.cli import main
from dsr_workbench.core.errors import InputError
from dsr_workbench.corpus.pseudonymise import check_leaks, load_key
from dsr_workbench.corpus.study import load_study

NOTEBOOKS = Path(__file__).resolve().parents[1] / "data" / "notebooks"

# invented "real names"; the study itself only ever says Hannah
KEY = "- {real: Johanna Vennemann, pseudonym: Hannah, variants: [Vennemann]}\n"
CLEAN_MEMO = "Hannah said the audit went well.\n"
LEAKY_MEMO = "Johanna\nVennemann said the audit went well.\n"  # split over two lines

REPORTS = """
reports:
  quotes:
    notebook: notebooks/leaky.ipynb
    inputs: [data]
  tiny:
    notebook: notebooks/tiny.ipynb
    inputs: [interviews]
"""


@pytest.fixture
def study_dir(mini_study: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mini study with a report that copies ``data/memo.txt`` into tables."""
    monkeypatch.delenv("DSR_KEY_FILE", raising=False)
    root = mini_study.parent
    (root / "notebooks").mkdir()
    for name in ("leaky.ipynb", "tiny.ipynb"):
        shutil.copy(NOTEBOOKS / name, root / "notebooks" / name)
    (root / "data").mkdir()
    (root / "data" / "memo.txt").write_text(CLEAN_MEMO, encoding="utf-8")
    mini_study.write_text(mini_study.read_text(encoding="utf-8") + REPORTS, encoding="utf-8")
    return root


def _no_real_name_under(folder: Path, key_path: Path) -> None:
    hits = check_leaks([folder], load_key(key_path), skip=())
    assert hits.empty, hits.to_string()


@pytest.mark.slow
def test_a_leaking_version_is_refused_and_nothing_is_published(
    study_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = study_dir / "key.yaml"  # study.key_file
    key.write_text(KEY, encoding="utf-8")
    study = str(study_dir / "study.yaml")
    assert main(["--study", study, "build", "-q", "--report", "quotes"]) == 0
    report = study_dir / "reports" / "cycle-1" / "quotes"
    v1 = report / "v001"
    before = {p: p.read_bytes() for p in v1.rglob("*") if p.is_file()}
    assert (v1 / "tables" / "quotes.csv").is_file()
    capsys.readouterr()

    (study_dir / "data" / "memo.txt").write_text(LEAKY_MEMO, encoding="utf-8")
    assert main(["--study", study, "build", "-q", "--report", "quotes"]) == 1
    err = capsys.readouterr().err
    # memo.json holds it as json.dumps writes it: "Johanna\nVennemann", one escaped line
    assert "FAILED cycle 1 quotes: leak check: memo.json:1:11: " in err
    assert "(3 hits in all, 2 other file(s); see leaks.csv in the failure record)" in err
    assert "the real name of 'Hannah' (person)" in err and "nothing was published" in err
    assert "Vennemann" not in err and "Johanna" not in err
    # nothing published, the earlier version untouched, no temporary folder left
    assert sorted(p.name for p in report.iterdir()) == ["v001"]
    assert {p: p.read_bytes() for p in v1.rglob("*") if p.is_file()} == before
    # recorded like any failure, without the real name
    failure = study_dir / "reports" / ".build" / "failures" / "cycle-1-quotes"
    assert sorted(p.name for p in failure.iterdir()) == [LEAKS_FILE, "manifest.json"]
    manifest = json.loads((failure / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed" and manifest["error"].startswith("leak check:")
    assert "tables/quotes.csv" in manifest["withdrawn"]
    leaks = (failure / LEAKS_FILE).read_text(encoding="utf-8").splitlines()
    assert leaks[0] == "file,line,column,pseudonym,kind"
    assert {row.split(",")[0] for row in leaks[1:]} >= {
        "tables/quotes.csv",
        "tables/disagreements.csv",
        "memo.json",
    }
    _no_real_name_under(study_dir / "reports", key)
    assert main(["--study", study, "status"]) == 1  # status shows it failed


@pytest.mark.slow
def test_a_failing_notebook_leaves_no_real_name_in_its_failure_record(
    study_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = study_dir / "key.yaml"
    key.write_text(KEY, encoding="utf-8")
    (study_dir / "data" / "memo.txt").write_text(LEAKY_MEMO, encoding="utf-8")
    study = str(study_dir / "study.yaml")
    failing = "  quotes-fail:\n    notebook: notebooks/leaky.ipynb\n    parameters: {fail: true}\n"
    with open(study, "a", encoding="utf-8") as handle:
        handle.write(failing + "    inputs: [data]\n")
    assert main(["--study", study, "build", "-q", "--report", "quotes-fail"]) == 1
    err = capsys.readouterr().err
    assert "FAILED cycle 1 quotes-fail:" in err and "could not code: Hannah" in err
    assert "Vennemann" not in err and "Johanna" not in err
    failure = study_dir / "reports" / ".build" / "failures" / "cycle-1-quotes-fail"
    assert (failure / LEAKS_FILE).is_file()  # the partial outputs held the name: withdrawn
    assert not (failure / "tables").exists()
    _no_real_name_under(study_dir / "reports", key)
    index = (study_dir / "reports" / "index.html").read_text(encoding="utf-8")
    assert "could not code" in index and "Vennemann" not in index


@pytest.mark.slow
def test_without_a_key_the_build_says_once_that_it_skipped_the_check(
    study_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (study_dir / "data" / "memo.txt").write_text(LEAKY_MEMO, encoding="utf-8")
    assert not (study_dir / "key.yaml").exists()  # study.key_file names a key not here
    assert main(["--study", str(study_dir / "study.yaml"), "build", "-q", "-j", "2"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "leak check" in line]
    assert len(err) == 1, err  # once per build, not once per job (3 jobs ran)
    assert err[0].startswith("dsr: warning: leak check skipped: ")
    assert "study.yaml" in err[0] and "key 'study.key_file'" in err[0] and "(fix: " in err[0]
    assert len(list((study_dir / "reports").glob("cycle-1/*/v001"))) == 2


def test_a_bad_explicit_key_stops_the_build_before_anything_runs(study_dir: Path) -> None:
    with pytest.raises(InputError, match="pseudonymisation key file not found"):
        build(load_study(study_dir), key=study_dir / "nope.yaml", progress=False)
    assert not (study_dir / "reports" / "cycle-1").exists()  # no job ran


def test_resolve_key_order(study_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    study = load_study(study_dir)
    key, skipped = resolve_key(study)
    assert key is None and skipped is not None and "not on this machine" in skipped
    (study_dir / "key.yaml").write_text(KEY, encoding="utf-8")
    key, skipped = resolve_key(load_study(study_dir))
    assert key is not None and skipped is None and key.terms[0].pseudonym == "Hannah"
    other = study_dir / "other.yaml"
    other.write_text("- {real: Kestrel, pseudonym: Alpha Pharma}\n", encoding="utf-8")
    monkeypatch.setenv("DSR_KEY_FILE", str(other))
    key, _ = resolve_key(load_study(study_dir))
    assert key is not None and key.terms[0].pseudonym == "Alpha Pharma"
    key, _ = resolve_key(load_study(study_dir), study_dir / "key.yaml")  # --key wins
    assert key is not None and key.terms[0].pseudonym == "Hannah"
    monkeypatch.setenv("DSR_KEY_FILE", str(study_dir / "missing.yaml"))
    with pytest.raises(InputError, match="key file not found"):
        resolve_key(load_study(study_dir))


def test_no_key_file_named_is_one_skip_line(study_dir: Path) -> None:
    path = study_dir / "study.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  key_file: key.yaml\n", ""))
    key, skipped = resolve_key(load_study(study_dir))
    assert key is None and skipped is not None
    assert skipped.startswith("leak check skipped: ") and "no key file is named" in skipped
    assert "\n" not in skipped


def test_gate_passes_a_clean_folder_untouched(study_dir: Path, tmp_path: Path) -> None:
    (study_dir / "key.yaml").write_text(KEY, encoding="utf-8")
    key = load_key(study_dir / "key.yaml")
    tmp = tmp_path / ".tmp-1"
    (tmp / "tables").mkdir(parents=True)
    (tmp / "tables" / "q.csv").write_text("quote\nHannah said so\n", encoding="utf-8")
    manifest: dict = {"status": "ok"}
    result: dict = {"error": None}
    assert gate(tmp, key, manifest, result)
    assert result["error"] is None and manifest == {"status": "ok"}
    assert (tmp / "tables" / "q.csv").read_text(encoding="utf-8") == "quote\nHannah said so\n"


def test_gate_without_key_passes_everything(tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text("Johanna Vennemann\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakCheckSkipped)  # the build warns, not the gate
        assert gate(tmp_path, None, {}, {"error": None})


def test_gate_refuses_and_pseudonymises_the_manifest(study_dir: Path, tmp_path: Path) -> None:
    (study_dir / "key.yaml").write_text(KEY, encoding="utf-8")
    key = load_key(study_dir / "key.yaml")
    tmp = tmp_path / ".tmp-2"
    (tmp / "figures").mkdir(parents=True)
    (tmp / "figures" / "Vennemann-network.svg").write_text("<svg/>", encoding="utf-8")
    (tmp / "notebook.html").write_text("<p>ok</p>", encoding="utf-8")
    manifest = {"parameters": {"label": "Johanna Vennemann"}, "status": "ok"}
    result: dict = {"error": None}
    assert not gate(tmp, key, manifest, result)
    assert result["error"] == (
        "leak check: figures/Hannah-network.svg: the real name of 'Hannah' (person) in the "
        "file name; nothing was published (fix: pseudonymise what the notebook reads or "
        "writes, then build again)"
    )
    assert sorted(p.name for p in tmp.iterdir()) == [LEAKS_FILE]
    assert manifest["parameters"] == {"label": "Hannah"} and manifest["status"] == "failed"
    assert manifest["withdrawn"] == ["figures", "figures/Hannah-network.svg", "notebook.html"]
