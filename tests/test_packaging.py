"""pyproject.toml and environment.yml list the same dependencies with the same lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(req: str) -> tuple[str, str]:
    req = req.split(";")[0]  # environment markers: conda has none
    found = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    assert found, req
    return found.group(1).lower().replace("_", "-"), found.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"]]
    for extra in ("test", "dev"):
        wanted += project["optional-dependencies"][extra]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    for d in env["dependencies"]:  # packages conda takes from PyPI (not the project itself)
        if isinstance(d, dict):
            conda += [p for p in d.get("pip", []) if not p.startswith("-")]
    conda_map = dict(_norm(d) for d in conda)
    conda_map.pop("python"), conda_map.pop("pip")
    pip_map = dict(_norm(d) for d in wanted)
    assert conda_map == pip_map


def test_console_script_and_python_floor() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["dsr"] == "dsr_workbench.cli:main"
    assert project["requires-python"] == ">=3.11"


def test_every_notebook_is_committed_without_outputs() -> None:
    import nbformat

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), path
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path


def test_every_test_and_source_folder_is_collected() -> None:
    """pytest's default ``norecursedirs`` holds ``build``: it would skip tests/build silently."""
    import fnmatch

    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    patterns = options["pytest"]["ini_options"]["norecursedirs"]
    folders = [p for base in ("tests", "src/dsr_workbench") for p in (ROOT / base).iterdir()]
    skipped = [
        str(f.relative_to(ROOT))
        for f in folders
        if f.is_dir()
        and (f / "__init__.py").exists()
        and any(fnmatch.fnmatch(f.name, pattern) for pattern in patterns)
    ]
    assert skipped == []
