"""The qc-style fixture (tests/data/refi/qc-style, see its README): a QualCoder-shaped
REFI-QDA project whose selections carry no quotes, zipped into a ``.qdpx`` for a test."""

from __future__ import annotations

import zipfile
from pathlib import Path

QC_STYLE = Path(__file__).resolve().parents[1] / "data" / "refi" / "qc-style"
"""The unzipped project: ``project.qde`` and ``Sources/``."""
QC_QUOTES = {
    "t1.txt": ["track recor", "choose a CM", "And audits."],
    "interview.txt": [
        "chose Gamma because th",
        "Capacity is tight this year, and audits take weeks.\n",
        "trust matters mor",
        "café talk felt honest 😀",
        "Price matters",
        "audits take wee",
    ],
}
"""The text each selection covers under the standard's convention, per source, in file order
(the selections were made from these strings; see the README)."""


def qc_style_qdpx(path: Path) -> Path:
    """Zip the fixture into ``path`` (a ``.qdpx``) and return it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(QC_STYLE.rglob("*")):
            if file.is_file() and file.name != "README.md":
                zf.write(file, file.relative_to(QC_STYLE).as_posix())
    return path
