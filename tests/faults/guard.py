"""Snapshots for the fault suite: prove that a case changed no earlier data."""

from __future__ import annotations

import hashlib
from pathlib import Path


def snapshot(*roots: Path) -> dict[str, str]:
    """SHA-256 of every file under ``roots`` (codings, ratings, published versions, inputs).

    Folders that a run may legitimately add to (``reports/.build``) are skipped; a version
    folder ``vNNN`` that existed before must be byte-identical afterwards.
    """
    digests: dict[str, str] = {}
    for root in roots:
        if root.is_file():
            digests[str(root)] = hashlib.sha256(root.read_bytes()).hexdigest()
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and ".build" not in path.parts and ".tmp-" not in str(path):
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def assert_unchanged(before: dict[str, str], after: dict[str, str]) -> None:
    """Every file of ``before`` is still there with the same bytes (new files are allowed)."""
    changed = sorted(k for k, v in before.items() if after.get(k) != v)
    assert changed == [], f"files changed or lost: {changed}"
