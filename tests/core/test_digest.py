"""The caches' hash: streamed and one-shot digests agree, any changed byte changes it."""

from __future__ import annotations

from dsr_workbench.core.digest import ALGORITHM, new_hasher


def _digest(*parts: bytes) -> str:
    h = new_hasher()
    for part in parts:
        h.update(part)
    return str(h.hexdigest())


def test_streamed_equals_one_shot_and_a_flipped_byte_changes_it() -> None:
    data = "Kim: Grüße 𝟙\n".encode() * 1000
    assert _digest(data) == _digest(data[:7], data[7:5000], data[5000:])
    flipped = bytearray(data)
    flipped[4321] ^= 1
    assert _digest(bytes(flipped)) != _digest(data)
    assert _digest(data + b"\n") != _digest(data)


def test_the_hash_named_is_the_one_in_use() -> None:
    # xxhash is a dependency; the name is part of every cache key
    assert ALGORITHM == "xxh3_128"
    assert len(_digest(b"")) == 32
