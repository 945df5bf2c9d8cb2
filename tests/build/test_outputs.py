"""Version folders, hashing with a cache, notebook outputs, vendored static files."""

from __future__ import annotations

import base64
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from dsr_workbench.build.outputs import (
    HashCache,
    Outputs,
    ensure_static,
    file_sha256,
    latest_version,
    tree_files,
)


def test_hash_cache_rereads_only_changed_files(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("one")
    cache = HashCache(tmp_path / "cache.json")
    first = cache.sha256(f)
    cache.save()
    again = HashCache(tmp_path / "cache.json")
    assert again.sha256(f) == first and not again.dirty  # served from the cache
    f.write_text("two!")  # new size: re-read
    assert again.sha256(f) == file_sha256(f) != first


def test_outputs_write_tables_and_figures(tmp_path: Path) -> None:
    out = Outputs(tmp_path)
    out.table(pd.DataFrame({"a": [1, 2]}), "t")
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    shown = out.figure(fig, "f", caption="A line")
    assert shown.figure is fig and shown.path == tmp_path / "figures" / "f.png"
    data, meta = shown._repr_mimebundle_()  # displays as the PNG it saved, whatever the backend
    assert base64.b64decode(data["image/png"]) == shown.path.read_bytes()
    assert meta["image/png"]["dsr"]["caption"] == "A line"
    assert (tmp_path / "tables" / "t.csv").read_text() == "a\n1\n2\n"
    assert (tmp_path / "figures" / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert not plt.get_fignums()  # closed: shown once in a notebook


def test_outputs_without_a_folder_write_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Outputs(None).table(pd.DataFrame({"a": [1]}), "t")
    assert list(tmp_path.iterdir()) == []


def test_latest_version_and_tree_files(tmp_path: Path) -> None:
    for name in ("v001", "v002", ".tmp-1"):
        (tmp_path / "art" / name).mkdir(parents=True)
    assert latest_version(tmp_path / "art").name == "v002"
    assert tree_files(tmp_path, ["art"]) == []  # folders only, no files yet


def test_ensure_static_copies_reveal_and_require(tmp_path: Path) -> None:
    static = ensure_static(tmp_path)
    assert (static / "reveal.js" / "dist" / "reveal.js").is_file()
    assert (static / "require.js").is_file()
