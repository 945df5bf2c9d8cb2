"""YAML files with line numbers, so that errors can point at the line that is wrong.

PyYAML's ``safe_load`` forgets where a value came from and silently keeps the last of two
duplicate keys. :func:`load_yaml` composes the node tree instead, rejects duplicate keys, and
returns the data together with the line of every key path (``"participants[3].organisation"``).

Every YAML file the workbench reads (``study.yaml``, codebooks, key files, episodes, criteria,
decisions) comes through here, and is treated as possibly hostile. One line-numbered error is
raised, and nothing is expanded, for

- an **alias** (``*name``): anchors and aliases have no use in our files, and nine nested
  aliases (a "billion laughs") would expand to 10⁹ values. They are refused while composing, so
  the cost is bounded by the size of the text. Merge keys (``<<``) go with them;
- a file larger than :data:`MAX_YAML_BYTES`, more than :data:`MAX_YAML_NODES` values, or
  nesting deeper than :data:`MAX_YAML_DEPTH` (PyYAML composes recursively);
- a tag other than the plain YAML types (``!!python/object``, ``!!binary``, ``!custom``);
- a value its type cannot hold: ``2026-02-30`` is read as a date and is none, so the message
  names the key and line instead of a ``ValueError`` traceback;
- a key that is a list or a mapping, and a key given twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dsr_workbench.core.errors import DsrError, InputError

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "YamlDoc",
    "load_yaml",
    "parse_yaml",
]

MAX_YAML_BYTES = 4 * 1024**2
"""Most bytes of one YAML file (the example study's largest, its codebook, is 38 kB).

PyYAML composes in pure Python at about 1 MB per 3-7 seconds, so this also bounds the time
one file can take."""

MAX_YAML_NODES = 200_000
"""Most values (scalars, lists and mappings) in one YAML file; bounds the memory of parsing."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of lists and mappings in one YAML file."""

_CORE = "tag:yaml.org,2002:"
_TAGS = {
    f"{_CORE}{name}": what
    for name, what in {
        "null": "empty",
        "bool": "true or false",
        "int": "a whole number",
        "float": "a number",
        "str": "text",
        "timestamp": "a date",
        "seq": "a list",
        "map": "a mapping",
        "value": "text",  # a plain "=" (PyYAML resolves it to a tag it cannot construct)
    }.items()
}
"""The tags a workbench file may use (implicitly, or written as ``!!str`` and so on)."""


@dataclass
class YamlDoc:
    """Parsed YAML with the 1-based line of every key path.

    Attributes
    ----------
    data
        The plain Python data (dicts, lists, scalars), as ``yaml.safe_load`` would give it.
    lines
        ``{path: line}`` where ``path`` is ``""`` for the root, ``"a.b"`` for mapping keys and
        ``"a[2]"`` for list items (0-based index).
    path
        The file the document came from (for messages).
    """

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    path: Path | None = None

    def line(self, key: str) -> int | None:
        """Return the line of ``key`` or of its closest ancestor that has one.

        Examples
        --------
        >>> doc = parse_yaml("a:\\n  b: 1\\n  c: [1, 2]\\n")
        >>> doc.line("a.c[1]"), doc.line("a.missing")
        (3, 1)
        """
        probe = key
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return self.lines.get("")


class _Refused(Exception):
    """Raised inside the composer; turned into the caller's error type by :func:`parse_yaml`."""

    def __init__(self, message: str, line: int, hint: str) -> None:
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


class _Loader(yaml.SafeLoader):
    """A safe loader whose composer refuses aliases and counts values and depth."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"YAML alias '*{event.anchor}' refused: anchors and aliases are not allowed "
                "in workbench files (nested aliases expand without bound)",
                line,
                "write the value out in full instead of the alias",
            )
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            raise _Refused(
                f"more than {MAX_YAML_NODES:,} values in one YAML file",
                line,
                "split the file: workbench YAML files are small; the limit is "
                "dsr_workbench.core.yamlio.MAX_YAML_NODES",
            )
        if self.depth >= MAX_YAML_DEPTH:
            raise _Refused(
                f"lists and mappings nested more than {MAX_YAML_DEPTH} levels deep",
                line,
                "flatten the structure",
            )
        self.depth += 1
        try:
            node: yaml.Node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        return node


def _join(prefix: str, key: object) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


class _Builder:
    """Turns a composed node tree into plain data, recording lines and naming bad values."""

    def __init__(self, loader: _Loader, source: str, error: type[DsrError]) -> None:
        self.loader, self.source, self.error = loader, source, error
        self.lines: dict[str, int] = {}

    def fail(self, node: yaml.Node, key: str, message: str, hint: str) -> DsrError:
        return self.error(
            message,
            path=self.source,
            line=node.start_mark.line + 1,
            key=key or None,
            hint=hint,
        )

    def build(self, node: yaml.Node, prefix: str) -> Any:
        self.lines.setdefault(prefix, node.start_mark.line + 1)
        if node.tag not in _TAGS:
            raise self.fail(
                node,
                prefix,
                f"YAML tag '{node.tag.replace(_CORE, '!!')}' is not allowed",
                "remove the tag and write a plain value",
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.key(key_node, prefix)
                path = _join(prefix, key)
                if key in out:
                    raise self.error(
                        f"duplicate key '{key}' (first at line {self.lines[path]})",
                        path=self.source,
                        line=key_node.start_mark.line + 1,
                        hint="keep one of the two entries",
                    )
                self.lines[path] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, path)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, _join(prefix, i)) for i, item in enumerate(node.value)]
        return self.scalar(node, prefix)

    def key(self, node: yaml.Node, prefix: str) -> Any:
        if node.tag == f"{_CORE}merge":
            raise self.fail(
                node,
                prefix,
                "merge keys ('<<') are not allowed",
                "write the keys out in full",
            )
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(
                node,
                prefix,
                "a key must be a plain value, not a list or mapping",
                "write the key as a word",
            )
        return self.scalar(node, prefix)

    def scalar(self, node: yaml.Node, key: str) -> Any:
        if node.tag not in _TAGS:
            raise self.fail(
                node,
                key,
                f"YAML tag '{node.tag.replace(_CORE, '!!')}' is not allowed",
                "remove the tag and write a plain value",
            )
        if node.tag == f"{_CORE}value":
            return str(node.value)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError, KeyError, AttributeError, yaml.YAMLError):
            what = _TAGS[node.tag]
            if node.tag == f"{_CORE}timestamp":
                hint = "write a real calendar date as YYYY-MM-DD, or quote it to keep it as text"
            else:
                hint = f"write {what}, or quote the value to keep it as text"
            raise self.fail(node, key, f"{_short(node.value)} is not {what}", hint) from None


def _short(value: object, limit: int = 40) -> str:
    """``value`` as text, cut to ``limit`` characters for a one-line message."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _too_big(size: int, source: str | Path, error: type[DsrError]) -> DsrError:
    return error(
        f"is {size:,} bytes, more than the limit of {MAX_YAML_BYTES:,} for a YAML file",
        path=source,
        hint="check that this is the right file: workbench YAML files are small; the limit is "
        "dsr_workbench.core.yamlio.MAX_YAML_BYTES",
    )


def parse_yaml(
    text: str, source: str | Path = "<string>", *, error: type[DsrError] = InputError
) -> YamlDoc:
    """Parse YAML text; see :func:`load_yaml`.

    Examples
    --------
    >>> parse_yaml("x: 1\\ny: [a, b]\\n").data
    {'x': 1, 'y': ['a', 'b']}
    >>> parse_yaml("x: 1\\nx: 2\\n", "f.yaml")
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: f.yaml:2: duplicate key 'x' (first at line 1) (fix: keep one of the two entries)
    >>> parse_yaml("cycles:\\n  - start: 2026-02-30\\n", "s.yaml")
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: s.yaml:2: key 'cycles[0].start': 2026-02-30 is not a date (fix: write a real calendar date as YYYY-MM-DD, or quote it to keep it as text)
    """
    if len(text) > MAX_YAML_BYTES // 4:  # a character is at most four bytes
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_YAML_BYTES:
            raise _too_big(size, source, error)
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader refuses control characters here
        builder = _Builder(loader, str(source), error)
        node = loader.get_single_node()
        data = None if node is None else builder.build(node, "")
    except _Refused as exc:
        raise error(exc.message, path=source, line=exc.line, hint=exc.hint) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        problem = getattr(exc, "problem", None) or str(exc)
        hint = "check indentation and quoting on that line"
        if isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
            problem = f"control character U+{int(exc.character):04X} is not allowed"
            hint = "remove it; a YAML file holds text only (is this file damaged?)"
        raise error(f"not valid YAML: {problem}", path=source, line=line, hint=hint) from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDoc(data=data, lines=builder.lines, path=Path(source))


def load_yaml(path: str | Path, *, error: type[DsrError] = InputError) -> YamlDoc:
    """Read a UTF-8 YAML file, rejecting duplicate keys, keeping the line of every key.

    Parameters
    ----------
    path
        The file to read.
    error
        The error class to raise (e.g. :class:`~dsr_workbench.core.errors.StudyError` for
        ``study.yaml``).

    Returns
    -------
    YamlDoc
        The data and a ``{key path: line}`` map.

    Raises
    ------
    InputError
        (or ``error``) If the file is larger than :data:`MAX_YAML_BYTES`, not UTF-8, not valid
        YAML, uses an alias, a tag or a value its type cannot hold (``2026-02-30``), or
        repeats a key; see the module docstring.
    """
    path = Path(path)
    with path.open("rb") as stream:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise _too_big(size, path, error)
        raw = stream.read(MAX_YAML_BYTES + 1)  # a file that grows (or a device) stops here
    if len(raw) > MAX_YAML_BYTES:
        raise _too_big(len(raw), path, error)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"not valid UTF-8 (byte {exc.start})", path=path, hint="re-save the file as UTF-8"
        ) from None
    return parse_yaml(text, path, error=error)


def compose_node(text: str) -> yaml.Node | None:
    """Compose ``text`` into a YAML node tree (no objects built), for position-keeping edits.

    Used by editors that insert text at positions found in the tree (they validate the edited
    file with :func:`load_yaml` before writing it).
    """
    return yaml.compose(text, Loader=yaml.SafeLoader)
