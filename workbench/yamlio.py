"""Safe YAML loading that remembers the line of every key, for precise error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.exceptions import InvalidInput, Problem

KeyPath = tuple[str, ...]


@dataclass
class LocatedYaml:
    """Parsed YAML data plus the 1-based line of each key path."""

    data: Any
    source: str
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def problem(self, path: KeyPath, message: str) -> Problem:
        """A :class:`Problem` located at ``path``."""
        return Problem(self.source, ".".join(path), message, self.line_of(path))


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            lines.setdefault((*path, key), key_node.start_mark.line + 1)
            _walk(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, str(index)), item.start_mark.line + 1)
            _walk(item, (*path, str(index)), lines)


def load_yaml(path: Path, source: str | None = None, max_bytes: int = 1_000_000) -> LocatedYaml:
    """Load ``path`` with ``yaml.safe_load`` semantics.

    Raises :class:`InvalidInput` naming the file and line on syntax errors, on
    duplicate keys and on files larger than ``max_bytes``.
    """
    label = source or str(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInput([Problem(label, "", f"file is {size} bytes; the limit is {max_bytes}")])
    text = path.read_text(encoding="utf-8", errors="strict")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise InvalidInput([Problem(label, "", f"YAML syntax error: {what}", line)]) from None
    except yaml.YAMLError as exc:
        raise InvalidInput([Problem(label, "", f"YAML error: {exc}")]) from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _check_duplicates(node, (), label)
        _walk(node, (), lines)
    return LocatedYaml(data=data, source=label, lines=lines)


def _check_duplicates(node: yaml.Node, path: KeyPath, label: str) -> None:
    """YAML silently keeps the last of duplicate keys; we refuse them instead."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dotted = ".".join((*path, key))
                raise InvalidInput(
                    [Problem(label, dotted, "duplicate key", key_node.start_mark.line + 1)]
                )
            seen.add(key)
            _check_duplicates(value_node, (*path, key), label)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicates(item, (*path, str(index)), label)
