"""The fast non-cryptographic hash the caches key their contents by.

The coding-log cache (:mod:`dsr_workbench.coding.logcache`) and the corpus cache
(:mod:`dsr_workbench.corpus.cache`) only need to notice a change of bytes, not to resist an
attacker: xxh3 (128 bits) hashes about ten times faster than blake2b. Where :mod:`xxhash` is
not installed, blake2b with a 16-byte digest gives the same guarantees, slower;
:data:`ALGORITHM` names the one in use and is part of every cache key, so a cache written with
the other is rebuilt, never misread.

Examples
--------
>>> h = new_hasher()
>>> h.update(b"Kim: Hello.")
>>> len(h.hexdigest()), ALGORITHM in {"xxh3_128", "blake2b-128"}
(32, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

__all__ = ["ALGORITHM", "new_hasher"]

try:
    import xxhash

    ALGORITHM = "xxh3_128"
    """The hash in use (part of every cache key)."""
    new_hasher: Callable[[], Any] = xxhash.xxh3_128
except ImportError:  # pragma: no cover - blake2b gives the same guarantees, slower
    ALGORITHM = "blake2b-128"

    def new_hasher() -> Any:
        """A fresh blake2b hasher with a 16-byte digest (xxhash is not installed)."""
        return hashlib.blake2b(digest_size=16)
