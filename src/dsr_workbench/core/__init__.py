"""The base layer: error types, atomic file writes, YAML read with line numbers, and untrusted
zip archives read within limits.

Everything else may import from here; this layer imports nothing of the workbench.
"""

from __future__ import annotations

from dsr_workbench.core.archive import (
    SafeZip,
    ZipLimits,
)
from dsr_workbench.core.atomic import (
    atomic_write_bytes,
    atomic_write_text,
)
from dsr_workbench.core.errors import (
    DsrError,
    InputError,
    StudyError,
)
from dsr_workbench.core.yamlio import (
    YamlDoc,
    load_yaml,
    parse_yaml,
)

__all__ = [
    "DsrError",
    "InputError",
    "StudyError",
    "SafeZip",
    "ZipLimits",
    "atomic_write_bytes",
    "atomic_write_text",
    "YamlDoc",
    "load_yaml",
    "parse_yaml",
]
