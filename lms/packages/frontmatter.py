"""YAML with line numbers, and Markdown files split into `---` front matter and body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_YAML_DATE_RE = re.compile(r"(?<![\w-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w-])")

Path_ = tuple[str | int, ...]  # mapping keys (as written) and list indexes
# libyaml when installed: the pure-Python parser takes most of an import's time.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["Document", "YamlDocument", "load_yaml", "read_text", "split_front_matter"]


@dataclass
class YamlDocument:
    """Loaded YAML, the file line of every value by its path, and the problems found."""

    data: Any = None
    lines: dict[Path_, int] = field(default_factory=dict)
    errors: list[tuple[int, str]] = field(default_factory=list)
    first_line: int = 1

    def line(self, *path: str | int) -> int:
        """The line of the value at `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return self.first_line


@dataclass
class Document(YamlDocument):
    """A Markdown file: its front matter (as YamlDocument) and its body."""

    body: str = ""
    body_line: int = 1  # the file line of the body's first line


def load_yaml(text: str, first_line: int = 1) -> YamlDocument:
    """Load one YAML document; `first_line` is the file line of the text's first line."""
    document = YamlDocument(first_line=first_line)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _record_lines(node, (), document, first_line)
            document.data = loader.construct_document(node)
    except yaml.YAMLError as error:
        document.errors.append(_yaml_error(error, first_line))
    except ValueError as error:  # PyYAML builds dates itself and refuses impossible ones
        line = first_line - 1 + _impossible_date_line(text)
        document.errors.append((line, f"invalid date: {error}"))
    finally:
        loader.dispose()
    return document


def _impossible_date_line(text: str) -> int:
    """The line of the first YYYY-MM-DD that is no date (2025-13-01), else 1."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _YAML_DATE_RE.finditer(line):
            try:
                date(*(int(part) for part in match.groups()))
            except ValueError:
                return number
    return 1


def _yaml_error(error: yaml.YAMLError, first_line: int) -> tuple[int, str]:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = first_line + (mark.line if mark is not None else 0)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    reason = f"{context}, {problem}" if context else problem
    return line, f"invalid YAML: {reason}"


def _record_lines(node: Node, path: Path_, document: YamlDocument, first_line: int) -> None:
    document.lines[path] = first_line + node.start_mark.line
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), document, first_line)
    elif isinstance(node, MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else "?"
            if key in seen:
                line = first_line + key_node.start_mark.line
                document.errors.append((line, f"key {key!r} appears twice"))
            seen.add(key)
            _record_lines(value_node, (*path, key), document, first_line)
            document.lines[(*path, key)] = first_line + key_node.start_mark.line


def split_front_matter(text: str) -> Document:
    """Split `---` YAML front matter from the Markdown body below it."""
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        return Document(errors=[(1, "the file must start with a '---' line of front matter")])
    closing = next(
        (index for index in range(1, len(lines)) if lines[index].rstrip("\r\n") == "---"), None
    )
    if closing is None:
        return Document(errors=[(1, "the front matter has no closing '---' line")])
    front = load_yaml("".join(lines[1:closing]), first_line=2)
    document = Document(
        data=front.data,
        lines=front.lines,
        errors=front.errors,
        first_line=2,
        body="".join(lines[closing + 1 :]),
        body_line=closing + 2,
    )
    if not front.errors and not isinstance(front.data, dict):
        document.errors.append((2, "the front matter must be a mapping of keys to values"))
    return document


def read_text(path: Path, relpath: str, problems: list[str]) -> str:
    """The file as UTF-8 text; otherwise "" and a problem at the line of the first bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problems.append(f"{relpath}:{line}: the file is not UTF-8 text")
        return ""
