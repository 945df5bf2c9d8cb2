"""The report index: versions, what changed between them, failures."""

from __future__ import annotations

import json
from pathlib import Path

from dsr_workbench.build.index import versions_table, what_changed


def _version(root: Path, cycle: int, report: str, n: int, **manifest: object) -> None:
    folder = root / f"cycle-{cycle}" / report / f"v{n:03d}"
    folder.mkdir(parents=True)
    data = {
        "cycle": cycle,
        "status": "ok",
        "key": f"k{n}",
        "end": f"2026-01-0{n}",
        "inputs": {},
        "parameters": {},
        "environment": {},
        "components": {},
    }
    data.update(manifest)
    (folder / "manifest.json").write_text(json.dumps(data))


def test_versions_table_says_what_changed(tmp_path: Path) -> None:
    _version(tmp_path, 1, "gap", 1, inputs={"data/s.csv": "a"}, components={"library": "L1"})
    _version(tmp_path, 1, "gap", 2, inputs={"data/s.csv": "b"}, components={"library": "L1"})
    _version(tmp_path, 1, "gap", 3, inputs={"data/s.csv": "b"}, components={"library": "L2"})
    (tmp_path / "cycle-1" / "gap" / ".tmp-abc").mkdir()  # an interrupted build: not a version
    table = versions_table(tmp_path)
    assert table.version.tolist() == ["v001", "v002", "v003"]
    assert table.changed.tolist() == ["first version", "changed data/s.csv", "library code"]


def test_what_changed_names_packages_and_parameters() -> None:
    old = {"parameters": {"level": "item"}, "environment": {"pandas": "3.0", "scipy": "1.1"}}
    new = {"parameters": {"level": "construct"}, "environment": {"pandas": "3.0", "scipy": "1.2"}}
    assert what_changed(old, new) == "parameters level; packages scipy 1.1→1.2"
