"""The library's layers (docs/architecture.md) hold: arrows point down, no circle, small files.

The layer contract is import-linter's (``[tool.importlinter]`` in ``pyproject.toml``); these
tests run it on the package and on a copy with a deliberately wrong import, so a contract that
silently stopped checking would fail here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dsr_workbench"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = ("core", "corpus", "coding", "refi", "analysis", "dsr", "plots", "build", "widgets", "cli")


def _lint(root: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layer_contract_is_kept() -> None:
    result = _lint(ROOT / "src", ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Layers point down only KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import"),
    [
        ("core/errors.py", "from dsr_workbench.build import run"),  # lowest imports highest
        ("corpus/study.py", "import dsr_workbench.coding.codebook"),  # one layer up
        ("analysis/gap.py", "from dsr_workbench.refi import read"),  # independent siblings
    ],
)
def test_a_wrong_import_breaks_the_contract(tmp_path: Path, module: str, bad_import: str) -> None:
    copy = tmp_path / "dsr_workbench"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("static", "__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{bad_import}  # noqa\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = _lint(tmp_path, tmp_path / "pyproject.toml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Layers point down only BROKEN" in result.stdout
    importer = "dsr_workbench." + module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout  # the report names the offending module


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_circle_between_modules() -> None:
    graph = grimp.build_graph("dsr_workbench", cache_dir=None)
    # a package's __init__ re-exports its modules; that is not a circle of concerns
    for module in list(graph.modules):
        if module.count(".") == 1 and module.split(".")[1] in LAYERS:
            for imported in list(graph.find_modules_directly_imported_by(module)):
                graph.remove_import(importer=module, imported=imported)
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_circle() -> None:
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_every_module_lives_in_a_layer_folder() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py"]
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS)


def test_no_module_is_over_600_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}
