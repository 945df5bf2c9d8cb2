"""YAML with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_workbench.core.errors import InputError
from dsr_workbench.core.yamlio import load_yaml, parse_yaml


def test_lines_of_nested_keys() -> None:
    doc = parse_yaml("a: 1\nitems:\n  - id: x\n  - id: y\n    name: z\n")
    assert doc.lines["items[1].name"] == 5
    assert doc.line("items[1].missing") == 4


def test_dates_and_types_as_safe_load() -> None:
    import datetime as dt

    assert parse_yaml("d: 2026-01-14\nn: 3\nb: true\n").data == {
        "d": dt.date(2026, 1, 14),
        "n": 3,
        "b": True,
    }


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.yaml:\d+: not valid YAML"):
        load_yaml(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        load_yaml(path)
