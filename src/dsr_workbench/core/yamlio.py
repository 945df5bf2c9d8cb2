"""YAML files with line numbers, so that errors can point at the line that is wrong.

PyYAML's ``safe_load`` forgets where a value came from and silently keeps the last of two
duplicate keys. :func:`load_yaml` composes the node tree instead, rejects duplicate keys, and
returns the data together with the line of every key path (``"participants[3].organisation"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dsr_workbench.core.errors import InputError

__all__ = ["YamlDoc", "load_yaml", "parse_yaml"]


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


def _join(prefix: str, key: object) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _construct(node: yaml.Node, prefix: str, lines: dict[str, int], source: str) -> Any:
    lines.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            path = _join(prefix, key)
            if key in out:
                raise InputError(
                    f"duplicate key '{key}' (first at line {lines[path]})",
                    path=source,
                    line=key_node.start_mark.line + 1,
                    hint="keep one of the two entries",
                )
            lines[path] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, path, lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, _join(prefix, i), lines, source) for i, item in enumerate(node.value)
        ]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def parse_yaml(text: str, source: str | Path = "<string>") -> YamlDoc:
    """Parse YAML text; see :func:`load_yaml`.

    Examples
    --------
    >>> parse_yaml("x: 1\\ny: [a, b]\\n").data
    {'x': 1, 'y': ['a', 'b']}
    >>> parse_yaml("x: 1\\nx: 2\\n", "f.yaml")
    Traceback (most recent call last):
    ...
    dsr_workbench.core.errors.InputError: f.yaml:2: duplicate key 'x' (first at line 1) (fix: keep one of the two entries)
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            f"not valid YAML: {problem}",
            path=source,
            line=None if mark is None else mark.line + 1,
            hint="check indentation and quoting on that line",
        ) from None
    lines: dict[str, int] = {}
    data = None if node is None else _construct(node, "", lines, str(source))
    return YamlDoc(data=data, lines=lines, path=Path(source))


def load_yaml(path: str | Path) -> YamlDoc:
    """Read a UTF-8 YAML file, rejecting duplicate keys, keeping the line of every key.

    Parameters
    ----------
    path
        The file to read.

    Returns
    -------
    YamlDoc
        The data and a ``{key path: line}`` map.

    Raises
    ------
    InputError
        If the file is not UTF-8, not valid YAML, or repeats a key.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not valid UTF-8 (byte {exc.start})", path=path, hint="re-save the file as UTF-8"
        ) from None
    return parse_yaml(text, path)
