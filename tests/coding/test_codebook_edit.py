"""Adding a code to a codebook file keeps every other byte, and writes nothing invalid."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dsr_workbench.coding.codebook import load_codebook
from dsr_workbench.coding.codebook_edit import add_code
from dsr_workbench.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_codebook_keeps_its_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    shutil.copy(ROOT / "data" / "codebook.yaml", path)
    old = path.read_text(encoding="utf-8")
    before = load_codebook(path)
    book, code = add_code(path, "we pick up the phone", parent="SELECT", level="concept")
    new = path.read_text(encoding="utf-8")
    entry = (
        '  - id: "WE_PICK_UP_THE_PHONE"\n    name: "we pick up the phone"\n'
        '    parent: "SELECT"\n    level: "concept"\n'
    )
    assert new.replace(entry, "", 1) == old  # one insertion, nothing else touched
    ids = list(book.codes["code_id"])
    family = set(before.subtree("SELECT"))
    last = max(i for i, c in enumerate(before.codes["code_id"]) if c in family)
    assert ids[last + 1] == code and ids[: last + 1] == list(before.codes["code_id"])[: last + 1]
    assert book.codes.set_index("code_id").at[code, "parent"] == "SELECT"
    assert load_codebook(path).codes.equals(book.codes)


def test_a_top_level_code_goes_last_and_names_are_quoted(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text("codes:\n  - {id: A, name: Alpha}\n# trailing comment\n", encoding="utf-8")
    book, code = add_code(path, 'say "no": 𝔘 #not-a-comment')
    assert path.read_text(encoding="utf-8") == (
        "codes:\n  - {id: A, name: Alpha}\n"
        '  - id: "SAY_NO_NOT_A_COMMENT"\n    name: "say \\"no\\": 𝔘 #not-a-comment"\n'
        "# trailing comment\n"
    )
    assert book.codes["name"].iloc[-1] == 'say "no": 𝔘 #not-a-comment'


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("codes: [{id: A, name: Alpha}]\n", {}, "not a block list"),
        ("codes:\n  - {id: A, name: Alpha}\n", {"code_id": "A"}, "already in the codebook"),
        ("codes:\n  - {id: A, name: Alpha}\n", {"parent": "B"}, "unknown code id 'B'"),
        ("codes:\n  - {id: A, name: Alpha}\n", {"code_id": "bad id!"}, "bad id"),
        ("codes:\n  - {id: A, name: Alpha}\n  - {id: A, name: Twice}\n", {}, "defined twice"),
    ],
)
def test_bad_edits_write_nothing(tmp_path: Path, text: str, kwargs: dict, message: str) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        add_code(path, "new words", **kwargs)
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codebook.yaml"]
