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


# --------------------------------------------------------------------------- hostile YAML

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
"""Nine levels of nine aliases: 9**9 (387 million) strings if expanded."""


def test_an_alias_is_refused_with_its_line() -> None:
    with pytest.raises(InputError, match=r"^f\.yaml:2: YAML alias '\*a' refused") as info:
        parse_yaml(BOMB, "f.yaml")
    assert "\n" not in str(info.value) and "(fix: write the value out in full" in str(info.value)


def test_the_alias_bomb_is_refused_before_any_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    # by construction: the composer stops at the first alias, so the builder never runs
    from dsr_workbench.core import yamlio

    built: list[str] = []
    real = yamlio._Builder.build
    monkeypatch.setattr(
        yamlio._Builder,
        "build",
        lambda self, node, prefix: built.append(prefix) or real(self, node, prefix),
    )
    with pytest.raises(InputError, match="alias"):
        parse_yaml(BOMB, "f.yaml")
    assert built == []


def test_the_alias_bomb_does_not_hang_a_process(tmp_path: Path) -> None:
    # a regression (aliases expanded again) fails here, bounded in time and memory, instead of
    # hanging the run
    import subprocess
    import sys

    path = tmp_path / "study.yaml"
    path.write_text(BOMB, encoding="utf-8")
    code = (
        "import sys; from dsr_workbench.core.yamlio import load_yaml\n"
        "try:\n    load_yaml(sys.argv[1])\nexcept ValueError as e:\n    print(e)\n"
    )
    import resource

    def limit() -> None:  # 1 GiB of address space: an expansion fails fast, not the machine
        resource.setrlimit(resource.RLIMIT_AS, (1024**3, resource.getrlimit(resource.RLIMIT_AS)[1]))

    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
    )
    assert done.stdout.startswith(f"{path}:2: YAML alias '*a' refused")


def test_an_anchor_alone_is_harmless() -> None:
    assert parse_yaml("a: &x 1\nb: 2\n").data == {"a": 1, "b": 2}


def test_merge_keys_are_refused() -> None:
    with pytest.raises(InputError, match=r"f\.yaml:3: key 'b': merge keys \('<<'\) are not"):
        parse_yaml("a: {x: 1}\nb:\n  <<: {y: 2}\n", "f.yaml")


def test_a_file_over_the_size_limit_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsr_workbench.core import yamlio

    monkeypatch.setattr(yamlio, "MAX_YAML_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"big\.yaml: is 2,004 bytes, more than the limit of 1,000"
    ):
        load_yaml(path)
    with pytest.raises(InputError, match="more than the limit of 1,000"):
        parse_yaml(path.read_text(encoding="utf-8"), path)


def test_the_default_size_limit_is_a_few_megabytes() -> None:
    from dsr_workbench.core import yamlio

    assert 1024**2 <= yamlio.MAX_YAML_BYTES <= 10 * 1024**2


def test_too_many_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from dsr_workbench.core import yamlio

    monkeypatch.setattr(yamlio, "MAX_YAML_NODES", 10)
    with pytest.raises(InputError, match=r"f\.yaml:10: more than 10 values"):
        parse_yaml("".join(f"- {i}\n" for i in range(20)), "f.yaml")


@pytest.mark.parametrize(
    "text", ["[" * 10_000 + "]" * 10_000, "a:\n" + "".join(f"{' ' * i}b:\n" for i in range(1, 100))]
)
def test_deep_nesting_is_refused_not_a_recursion_error(text: str) -> None:
    with pytest.raises(InputError, match="nested more than 64 levels deep"):
        parse_yaml(text, "f.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: !!python/object/apply:os.system [ls]\n",
            r"key 'a': YAML tag '!!python/object/apply:os\.system' is not allowed",
        ),
        ("a: !!binary aGVsbG8=\n", r"YAML tag '!!binary' is not allowed"),
        ("a: !custom 3\n", r"YAML tag '!custom' is not allowed"),
        ("a: !!bool maybe\n", r"key 'a': maybe is not true or false"),
        ("a: !!int " + "9" * 5000 + "\n", r"key 'a': 9{37}\.\.\. is not a whole number"),
        ("? [a, b]\n: 1\n", r"a key must be a plain value"),
        ("a: 1\n---\nb: 2\n", r"f\.yaml:2: not valid YAML"),
        ("a: 1\nb: \x00\n", r"f\.yaml:2: not valid YAML: control character U\+0000"),
    ],
)
def test_unusual_yaml_is_one_line_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_yaml(text, "f.yaml")
    assert "\n" not in str(info.value) and str(info.value).startswith("f.yaml")


def test_explicit_core_tags_and_a_plain_equals_sign_are_read() -> None:
    assert parse_yaml("a: !!str 2026-01-01\nb: =\nc: !!int '3'\n").data == {
        "a": "2026-01-01",
        "b": "=",
        "c": 3,
    }


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("2026-02-30", "cycles[0].start"),
        ("2026-13-01", "cycles[0].start"),
        ("2026-01-01 25:00:00", "cycles[0].start"),
    ],
)
def test_an_impossible_date_names_its_key_and_line(value: str, key: str) -> None:
    text = f"study: x\ncycles:\n  - id: 1\n    start: {value}\n"
    with pytest.raises(InputError) as info:
        parse_yaml(text, "study.yaml")
    assert str(info.value) == (
        f"study.yaml:4: key '{key}': {value} is not a date (fix: write a real calendar date as "
        "YYYY-MM-DD, or quote it to keep it as text)"
    )


def test_the_error_class_can_be_chosen(tmp_path: Path) -> None:
    from dsr_workbench.core.errors import StudyError

    path = tmp_path / "s.yaml"
    path.write_text("d: 2026-02-30\n", encoding="utf-8")
    with pytest.raises(StudyError, match="is not a date"):
        load_yaml(path, error=StudyError)


def test_every_yaml_file_is_read_through_yamlio() -> None:
    # one loader for every file we read: aliases, sizes and dates checked everywhere
    import re

    src = Path(__file__).resolve().parents[2] / "src" / "dsr_workbench"
    direct = re.compile(
        r"yaml\.(safe_load|load|full_load|unsafe_load|compose|parse|scan)\b|yaml\.(C?SafeLoader|Loader|CLoader)\b"
    )
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if p.name != "yamlio.py" and direct.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
